/*
 * Test double of a vPCI function's backend: what a PF miniport would answer
 * to the SR-IOV OIDs for one VF (struct vpci_backend_ops), with a 4 KiB
 * config space, 128 config blocks, fixed probed BARs and BAR placements,
 * and a record of every call so tests can see what reached the "PF".
 * Tests only; the real backend is the PF miniport behind NDIS.
 */
#ifndef IOVLAB_TEST_VPCI_DOUBLE_H
#define IOVLAB_TEST_VPCI_DOUBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vpci_vsp.h"

#define DOUBLE_VF_ID 3u
#define DOUBLE_BLOCKS 128u		/* valid block ids: 0..127 */
#define DOUBLE_REPORT_BLOCK 100u	/* tests' guests write their reports here */
#define DOUBLE_VENDOR 0x8086u
#define DOUBLE_DEVICE 0x10cau

struct vpci_double {
	uint16_t vendor_id, device_id;
	uint32_t probed[VPCI_BAR_COUNT];
	struct vpci_bar_desc bars[VPCI_BAR_COUNT];
	uint8_t cfg[VPCI_CFG_SPACE_SIZE];
	uint8_t blocks[DOUBLE_BLOCKS][VPCI_BLOCK_MAX];
	/* calls */
	unsigned n_cfg_read, n_cfg_write, n_blk_read, n_blk_write;
	unsigned n_probed, n_bar, n_ids, n_power;
	unsigned report_writes;		/* writes to DOUBLE_REPORT_BLOCK */
	uint32_t last_read_off, last_read_len;
	uint32_t last_write_off, last_write_len;
	uint32_t last_blk_id, last_blk_len;
	uint16_t bad_vf_ids;		/* calls naming another VF */
	uint32_t power;			/* last power state set, 0 = none yet */
	bool wake;
	/* optional: called at the start of every config read */
	void (*on_cfg_read)(struct vpci_double *d, void *arg);
	void *hook_arg;
};

extern const struct vpci_backend_ops vpci_double_ops;

/* Config byte i reads as this after init. */
#define DOUBLE_CFG_BYTE(i) ((uint8_t)((i) * 7u + 3u))

/*
 * Zero everything, then: ids 8086:10ca, BAR0 64-bit prefetchable 16 KiB
 * (BAR1 its upper half), BAR2 32-bit 4 KiB, config bytes DOUBLE_CFG_BYTE(i).
 */
void vpci_double_init(struct vpci_double *d);

#endif /* IOVLAB_TEST_VPCI_DOUBLE_H */
