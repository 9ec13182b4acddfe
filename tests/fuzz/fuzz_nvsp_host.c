/*
 * Fuzz target: NetVSP (src/hv/netvsp.c) facing a hostile guest. A
 * detached netvsp (no channel; what it sends is dropped) in state
 * negotiating gets the input's packets as if they had come out of the
 * guest-to-host ring, in batches, interleaved with writes into the send
 * buffer region and with the calls the vSwitch and the virtualization
 * stack make (VF offer and revoke, frames to the guest, link changes).
 * Whatever arrives, NetVSP must not crash, must hand its port only frames
 * of a legal length, and VFDataPathActive must always equal its VF state.
 *
 * Input: the records of fuzz_nvsp_records.h. Writes go to send-buffer
 * section (tid low % 64) at GPA 0x40000; calls (tid kind % 4) are
 * vf_offer(tid low), vf_revoke, rx_frames of tid low % 1600 bytes,
 * link_set(tid low & 1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/shm.h"
#include "hv/netvsp.h"

#include "fuzz_nvsp_records.h"

#define MEM_SIZE (1u << 20)
#define SEND_GPA 0x40000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem *gm;

static int port_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	if (n == 0 || n > 64)
		abort();
	for (unsigned i = 0; i < n; i++) {
		volatile uint8_t first, last;

		if (!nvsp_frame_ok(&f[i]))
			abort();
		first = ((const uint8_t *)f[i].data)[0];	/* readable, all of it */
		last = ((const uint8_t *)f[i].data)[f[i].len - 1];
		(void)first;
		(void)last;
	}
	return (int)(n - n / 2);	/* the port refuses some */
}

static void port_event(void *ctx, enum netvsp_event ev)
{
	(void)ctx;
	if ((unsigned)ev > NETVSP_EV_GONE)
		abort();
}

static const struct netvsp_port_ops ops = { port_tx, port_event };

static void check(const struct netvsp *nsp)
{
	enum netvsp_vf_state vs = netvsp_vf_state(nsp);

	if ((unsigned)netvsp_state(nsp) >= NETVSP_STATE_COUNT || (unsigned)vs >= NETVSP_VF_STATE_COUNT)
		abort();
	if (netvsp_vf_data_path_active(nsp) != (vs == NETVSP_VF_ACTIVE || vs == NETVSP_VF_REVOKING))
		abort();
}

static void call(struct netvsp *nsp, uint8_t which, uint16_t arg)
{
	static uint8_t frame[1600];
	struct nvsp_frame f = { frame, arg % sizeof(frame) };

	switch (which % 4) {
	case 0:
		netvsp_vf_offer(nsp, arg);
		break;
	case 1:
		netvsp_vf_revoke(nsp);
		break;
	case 2:
		memset(frame, (int)arg, sizeof(frame));
		netvsp_rx_frames(nsp, &f, 1);
		break;
	case 3:
		netvsp_link_set(nsp, arg & 1);
		break;
	}
}

static void dispatch(void *ctx, const struct vmbus_pkt_in *pkts, unsigned n)
{
	netvsp__dispatch(ctx, pkts, n);
	check(ctx);
}

static void write_section(void *ctx, uint16_t section, const uint8_t *data, uint16_t len)
{
	(void)ctx;
	if (len)
		memcpy(gmem_ptr(gm, SEND_GPA + (section % 64u) * NVSP_SECTION_SIZE,
				NVSP_SECTION_SIZE),
		       data, len < NVSP_SECTION_SIZE ? len : NVSP_SECTION_SIZE);
}

static void call_checked(void *ctx, uint8_t which, uint16_t arg)
{
	call(ctx, which, arg);
	check(ctx);
}

static const struct nvsp_fuzz_ops walk = { dispatch, write_section, call_checked };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netvsp_config cfg = { .name = "fuzz", .port = &ops,
				     .mac = { 0, 0x15, 0x5d, 1, 2, 3 } };
	struct netvsp *nsp;

	if (!gm) {
		log_configure("*=none", NULL, 0);
		if (gmem_create("fuzz-nvsp-host", MEM_SIZE, &gm))
			abort();
	}
	cfg.mem = gm;
	if (netvsp__create_detached(&cfg, &nsp) || netvsp__set_state(nsp, NETVSP_NEGOTIATING))
		abort();
	nvsp_fuzz_walk(data, size, &walk, nsp);
	netvsp_destroy(nsp);
	return 0;
}
