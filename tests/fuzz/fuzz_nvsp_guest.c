/*
 * Fuzz target: the NetVsc protocol engine (src/hv/netvsc_proto.c) facing a
 * hostile host. A detached engine (no channel; what it sends is dropped),
 * as after a handshake that agreed NVSP 4 with SR-IOV, gets the input's
 * packets as if they had come out of the host-to-guest ring, in batches,
 * interleaved with writes into the receive buffer and with the calls its
 * upper edge makes (send, start a switch either way, plug or unplug the
 * VF). Whatever arrives, the engine must not crash, must hand its upper
 * edge only frames of a legal length lying inside the receive buffer or
 * its own copy, and must stay in a legal data-path state.
 *
 * Input: the records of fuzz_nvsp_records.h. Writes go to receive-buffer
 * section (tid low % 64) at GPA 0x10000; calls (tid kind % 4) send a frame
 * of tid low % 1600 bytes, begin a switch to the VF, begin a switch to
 * synthetic, plug (tid low & 1) or unplug the VF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/shm.h"
#include "hv/netvsc_proto.h"

#include "fuzz_nvsp_records.h"

#define MEM_SIZE (1u << 20)
#define RECV_GPA 0x10000u
#define SEND_GPA 0x40000u
#define BUF_LEN (64u * NVSP_SECTION_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem *gm;

static void rx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	if (n == 0 || n > 64)
		abort();
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t first, last;

		if (!nvsp_frame_ok(&f[i]))
			abort();
		first = ((const uint8_t *)f[i].data)[0];
		last = ((const uint8_t *)f[i].data)[f[i].len - 1];
		(void)first;
		(void)last;
	}
}

static void on_link(void *ctx, bool up)
{
	(void)ctx;
	(void)up;
}

static void assoc(void *ctx, bool allocated, uint32_t serial)
{
	(void)ctx;
	(void)allocated;
	(void)serial;
}

static int vf_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	for (unsigned i = 0; i < n; i++)
		if (!nvsp_frame_ok(&f[i]))
			abort();
	return (int)n;
}

static int vf_flush(void *ctx, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	return 0;
}

static const struct netvsc_proto_ops ops = { rx, on_link, assoc };
static const struct netvsc_vf_ops vf_ops = { vf_tx, vf_flush };

static void call(struct netvsc_proto *nc, uint8_t which, uint16_t arg)
{
	static uint8_t frame[1600];
	struct nvsp_frame f = { frame, arg % sizeof(frame) };

	switch (which % 4) {
	case 0:
		netvsc_proto_send(nc, &f, 1);
		break;
	case 1:
		netvsc_proto__begin_switch(nc, NVSP_DATAPATH_VF);
		break;
	case 2:
		netvsc_proto__begin_switch(nc, NVSP_DATAPATH_SYNTHETIC);
		break;
	case 3:
		netvsc_proto_set_vf(nc, (arg & 1) ? &vf_ops : NULL, NULL);
		break;
	}
	if ((unsigned)netvsc_proto_state(nc) >= NETVSC_DP_STATE_COUNT)
		abort();
}

static void dispatch(void *ctx, const struct vmbus_pkt_in *pkts, unsigned n)
{
	netvsc_proto__dispatch(ctx, pkts, n);
	if ((unsigned)netvsc_proto_state(ctx) >= NETVSC_DP_STATE_COUNT)
		abort();
}

static void write_section(void *ctx, uint16_t section, const uint8_t *data, uint16_t len)
{
	(void)ctx;
	if (len)
		memcpy(gmem_ptr(gm, RECV_GPA + (section % 64u) * NVSP_SECTION_SIZE,
				NVSP_SECTION_SIZE),
		       data, len < NVSP_SECTION_SIZE ? len : NVSP_SECTION_SIZE);
}

static void call_any(void *ctx, uint8_t which, uint16_t arg)
{
	call(ctx, which, arg);
}

static const struct nvsp_fuzz_ops walk = { dispatch, write_section, call_any };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netvsc_proto_config cfg = {
		.name = "fuzz", .recv_buf_gpa = RECV_GPA, .recv_buf_len = BUF_LEN,
		.send_buf_gpa = SEND_GPA, .send_buf_len = BUF_LEN, .ops = &ops,
	};
	struct netvsc_proto *nc;

	if (!gm) {
		log_configure("*=none", NULL, 0);
		if (gmem_create("fuzz-nvsp-guest", MEM_SIZE, &gm))
			abort();
	}
	cfg.mem = gm;
	if (netvsc_proto__create_detached(&cfg, &nc) || netvsc_proto_set_vf(nc, &vf_ops, NULL))
		abort();
	nvsp_fuzz_walk(data, size, &walk, nc);
	netvsc_proto_destroy(nc);
	return 0;
}
