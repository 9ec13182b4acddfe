/*
 * Fuzz target: the host's vPCI VSP (src/hv/vpci_vsp.c) and the shared
 * message table (src/hv/vpci_proto.c) facing a hostile guest, with the
 * host's own actions (hot add, remove, invalidate, eject timeout, channel
 * events, a full guest ring) interleaved. The VSP runs detached: its
 * packets go to a sink, and every guest packet is handed straight to
 * vpci_vsp__handle(). Beyond not crashing, after every step the VSP must
 * hold at most VPCI_MAX_FUNCS functions, none of them removed, in unique
 * slots, and the backend must only ever be asked about the VF it serves
 * with in-range arguments.
 *
 * Input: a sequence of operations, each an opcode byte (mod 8) and its
 * arguments:
 *   0 guest packet: u8 flags | u8 packet kind (even: in-band, odd:
 *     completion) | u16 length (LE, cut to what is left) | bytes
 *   1 channel event: u8 (mod 4: opened, data, closed, rescinded)
 *   2 invalidate: u8 function index | u64 mask (LE)
 *   3 remove: u8 function index
 *   4 eject timeout: u8 function index
 *   5 flush
 *   6 add a function: u8 slot
 *   7 toggle "the guest's ring is full"
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/vpci_priv.h"

#define VF_ID 7u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ring_full;
static uint8_t cfg_space[VPCI_CFG_SPACE_SIZE];

static int sink(void *arg, const struct vmbus_pkt *p)
{
	(void)arg;
	/* what the VSP sends must be well framed */
	if (p->len < sizeof(struct vpci_msg_hdr) || p->len > 4096 || !p->data)
		abort();
	return ring_full ? 0 : 1;
}

static void check_vf(uint16_t vf_id)
{
	if (vf_id != VF_ID)
		abort();
}

static uint32_t read_cfg(void *ctx, uint16_t vf, uint32_t off, void *buf, uint32_t len)
{
	(void)ctx;
	check_vf(vf);
	if (!len || len > VPCI_CFG_XFER_MAX || (uint64_t)off + len > VPCI_CFG_SPACE_SIZE)
		abort();	/* the VSP must never pass such a range on */
	memcpy(buf, cfg_space + off, len);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t write_cfg(void *ctx, uint16_t vf, uint32_t off, const void *buf, uint32_t len)
{
	(void)ctx;
	check_vf(vf);
	if (!len || len > VPCI_CFG_XFER_MAX || (uint64_t)off + len > VPCI_CFG_SPACE_SIZE)
		abort();
	memcpy(cfg_space + off, buf, len);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t read_block(void *ctx, uint16_t vf, uint32_t id, void *buf, uint32_t len)
{
	(void)ctx;
	check_vf(vf);
	if (!len || len > VPCI_BLOCK_MAX)
		abort();
	memset(buf, (int)id, len);
	return id < 64 ? VPCI_STATUS_SUCCESS : VPCI_STATUS_INVALID_PARAMETER;
}

static volatile uint8_t touched;

static uint32_t write_block(void *ctx, uint16_t vf, uint32_t id, const void *buf, uint32_t len)
{
	(void)ctx;
	check_vf(vf);
	if (!len || len > VPCI_BLOCK_MAX)
		abort();
	for (uint32_t i = 0; i < len; i++)	/* every byte must be readable */
		touched ^= ((const uint8_t *)buf)[i];
	return id < 64 ? VPCI_STATUS_SUCCESS : VPCI_STATUS_INVALID_PARAMETER;
}

static uint32_t probed_bars(void *ctx, uint32_t bars[VPCI_BAR_COUNT])
{
	(void)ctx;
	memset(bars, 0, VPCI_BAR_COUNT * sizeof(bars[0]));
	bars[0] = 0xffffc00cu;	/* 64-bit, BAR1 its top */
	bars[2] = 0xfffff000u;
	bars[5] = 0xfffffffcu;	/* 64-bit pattern in the last BAR: no top half to skip */
	return VPCI_STATUS_SUCCESS;
}

static uint32_t bar_resources(void *ctx, uint16_t vf, uint16_t bar, struct vpci_bar_desc *res)
{
	(void)ctx;
	check_vf(vf);
	if (bar >= VPCI_BAR_COUNT || bar == 1)
		abort();	/* an upper half or out of range */
	*res = (struct vpci_bar_desc){ .start = 0xf0000000u + bar * 0x10000u, .length = 0x1000,
				       .type = VPCI_RES_TYPE_MEMORY };
	return VPCI_STATUS_SUCCESS;
}

static uint32_t ids(void *ctx, uint16_t vf, uint16_t *v, uint16_t *d)
{
	(void)ctx;
	check_vf(vf);
	*v = 0x8086;
	*d = 0x10ca;
	return VPCI_STATUS_SUCCESS;
}

static uint32_t power(void *ctx, uint16_t vf, uint32_t state, bool wake)
{
	(void)ctx;
	check_vf(vf);
	if (state < VPCI_POWER_D0 || state > VPCI_POWER_D3 || (state == VPCI_POWER_D0 && wake))
		abort();
	return VPCI_STATUS_SUCCESS;
}

static const struct vpci_backend_ops ops = {
	read_cfg, write_cfg, read_block, write_block, probed_bars, bar_resources, ids, power,
};

static void check_invariants(struct vpci_vsp *vsp)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_vsp_dev *a = vpci_vsp__dev_at(vsp, i);

		if (!a)
			continue;
		n++;
		if (vpci_vsp_dev_state(a) >= VPCI_DEV_REMOVED)
			abort();
		for (unsigned j = i + 1; j < VPCI_MAX_FUNCS; j++) {
			struct vpci_vsp_dev *b = vpci_vsp__dev_at(vsp, j);

			if (b && vpci_vsp_dev_desc(a)->slot == vpci_vsp_dev_desc(b)->slot)
				abort();
		}
	}
	if (n != vpci_vsp_dev_count(vsp) || vpci_vsp_bus_state(vsp) >= VPCI_BUS_STATE_COUNT)
		abort();
}

static struct vpci_vsp_dev *dev_at(struct vpci_vsp *vsp, uint8_t idx)
{
	return vpci_vsp__dev_at(vsp, idx % VPCI_MAX_FUNCS);
}

static void add(struct vpci_vsp *vsp, uint32_t slot)
{
	struct vpci_dev_desc d = { .vf_id = VF_ID, .slot = slot, .serial = 0x5e000000u + slot,
				   .flags = VPCI_FUNC_FLAG_NUMA_AFFINITY, .numa_node = 1 };

	vpci_vsp_add_device(vsp, &d, &ops, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpci_vsp_config cfg = { .name = "fuzz" };
	struct vpci_vsp *vsp;
	size_t i = 0;

	log_configure("*=none", NULL, 0);
	ring_full = false;
	if (vpci_vsp__create_detached(&cfg, sink, NULL, &vsp))
		return 0;
	add(vsp, VPCI_SLOT(2, 0));
	add(vsp, VPCI_SLOT(3, 1));
	while (i < size) {
		uint8_t op = data[i++] % 8;

		switch (op) {
		case 0: {
			_Alignas(8) static uint8_t buf[65536];
			struct vmbus_pkt_in in = { 0 };
			size_t len;

			if (size - i < 4) {
				i = size;
				break;
			}
			in.flags = data[i];
			in.type = data[i + 1] & 1 ? VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND;
			len = (size_t)data[i + 2] | (size_t)data[i + 3] << 8;
			i += 4;
			if (len > size - i)
				len = size - i;
			memcpy(buf, data + i, len);
			i += len;
			in.trans_id = i;
			in.data = buf;
			in.len = (uint32_t)len;
			vpci_vsp__handle(vsp, &in);
			break;
		}
		case 1:
			if (i < size)
				vpci_vsp__chan_event(vsp, (enum vmbus_chan_event)(data[i++] % 4));
			break;
		case 2: {
			uint64_t mask = 0;
			struct vpci_vsp_dev *d;

			if (size - i < 9) {
				i = size;
				break;
			}
			d = dev_at(vsp, data[i]);
			memcpy(&mask, data + i + 1, sizeof(mask));
			i += 9;
			if (d)
				vpci_vsp_invalidate(d, mask);
			break;
		}
		case 3:
		case 4: {
			struct vpci_vsp_dev *d = i < size ? dev_at(vsp, data[i++]) : NULL;

			if (d && op == 3)
				vpci_vsp_remove_device(d, 1000);
			else if (d)
				vpci_vsp__eject_timeout(d);
			break;
		}
		case 5:
			vpci_vsp__flush(vsp);
			break;
		case 6:
			if (i < size)
				add(vsp, data[i++]);
			break;
		case 7:
			ring_full = !ring_full;
			break;
		}
		check_invariants(vsp);
	}
	vpci_vsp_destroy(vsp);
	return 0;
}
