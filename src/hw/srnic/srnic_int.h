/*
 * Private to src/hw/srnic: the shared core's state (functions, queues, NIC
 * switch) that the PF and VF personalities, the switch and the uplink code
 * share. Never included from outside this directory.
 */
#ifndef IOVLAB_HW_SRNIC_SRNIC_INT_H
#define IOVLAB_HW_SRNIC_SRNIC_INT_H

#include <string.h>

#include "hw/srnic/srnic.h"
#include "wire/srnic_regs.h"

#define SRNIC_TOPIC "lab.hw.srnic"
#define SRNIC_NFUNCS (1 + SRNIC_TOTAL_VFS)
#define SRNIC_FHASH_BITS 10u	/* twice SRNIC_NUM_FILTERS: open addressing stays short */
#define SRNIC_FHASH (1u << SRNIC_FHASH_BITS)
_Static_assert(SRNIC_FHASH >= 2 * SRNIC_NUM_FILTERS, "the filter hash has room for every filter");

enum srnic_qstate {
	SRNIC_Q_DISABLED = SRNIC_QSTATE_DISABLED,
	SRNIC_Q_ENABLED = SRNIC_QSTATE_ENABLED,
	SRNIC_Q_ERROR = SRNIC_QSTATE_ERROR,
};

struct srnic_queue {
	uint64_t base;
	uint32_t size;
	uint32_t head, tail;
	enum srnic_qstate state;
	bool pending;		/* deferred mode: doorbell rung, not processed */
};

enum srnic_stat {
	SRNIC_ST_TX_FRAMES, SRNIC_ST_TX_BYTES, SRNIC_ST_RX_FRAMES, SRNIC_ST_RX_BYTES,
	SRNIC_ST_DROP_NO_FILTER, SRNIC_ST_DROP_RING_FULL, SRNIC_ST_DROP_BAD_DESC,
	SRNIC_ST_DROP_LINK_DOWN, SRNIC_ST_DMA_ERRORS,
};

struct srnic_fn {
	struct srnic *nic;
	struct pcie_function *pci;
	const struct pcie_dma_window *dma;	/* the function's IOMMU window */
	bool present;		/* on the bus (PF always; VF n while n <= NumVFs enabled) */
	bool link_forced_down;	/* srnic_vf_set_link(): the PF took the VF's link down */
	unsigned index;		/* 0 = PF */
	unsigned nqp;
	uint32_t ctrl, err_cause, int_cause, int_mask;
	uint8_t mac[6];
	uint32_t stats[SRNIC_NUM_STATS];
	struct srnic_queue txq[SRNIC_MAX_QP], rxq[SRNIC_MAX_QP];
	int vport;		/* first vPort attached to this function, -1 none */
	/* Destination cache of this function's TX: the last plain unicast
	 * (untagged) destination MAC it sent to and where the switch steered
	 * it. Valid only while gen == nic->gen (srnic__changed()). */
	struct {
		uint64_t mac;	/* srnic__fkey(mac, false, 0) */
		uint64_t gen;	/* 0: empty (nic->gen starts at 1) */
		int vport;	/* hairpin target vPort, or -1: the uplink */
	} dcache;
};

enum srnic_drop {
	SRNIC_DROP_NO_FILTER, SRNIC_DROP_RING_FULL, SRNIC_DROP_BAD_DESC, SRNIC_DROP_LINK_DOWN,
};

struct srnic_filter {
	uint32_t mac_lo, mac_hi, cfg;	/* as programmed */
	uint8_t mac[6];
};

struct srnic {
	struct pcie_host *host;
	struct pcie_function *pf;
	struct srnic_fn fns[SRNIC_NFUNCS];
	bool deferred;
	/* NIC switch (PF registers 0x2000..) */
	uint32_t sw_ctrl, vport_sel, filter_sel, cmd_status;
	uint32_t vport_cfg[SRNIC_NUM_VPORTS];
	struct srnic_filter filters[SRNIC_NUM_FILTERS];
	struct {
		uint64_t key;	/* MAC | VLAN_EN << 60 | VLAN << 48 */
		int16_t vport;	/* -1 empty */
	} fhash[SRNIC_FHASH];
	uint32_t sw_drops[4], sw_uplink_tx, sw_uplink_rx;
	const struct srnic_uplink_ops *uplink;
	void *uplink_ctx;
	srnic_event_fn event;	/* srnic_set_event_hook(); NULL: none */
	void *event_ctx;
	/* Forwarding generation: bumped by srnic__changed() on every change
	 * that can alter where a function's frame goes. 64-bit: never wraps. */
	uint64_t gen;
	/* srnic_set_capture(): every frame at a function's queues and the uplink; NULL: off */
	srnic_capture_fn *cap;
	void *cap_ctx;
};

/*
 * Anything that can change a forwarding decision -- filters, vPorts, switch
 * enable, a function's CTRL.ENABLE, reset or presence -- calls this, which
 * invalidates every destination cache and makes a doorbell being processed
 * (an interrupt handler may reprogram the switch from inside one) re-read
 * its per-doorbell state before the next frame.
 */
static inline void srnic__changed(struct srnic *nic)
{
	nic->gen++;
}

/* core.c */
void srnic__fn_reset(struct srnic_fn *f);
int srnic__fn_read(struct srnic_fn *f, uint32_t off, uint32_t *val);
int srnic__fn_write(struct srnic_fn *f, uint32_t off, uint32_t val);
void srnic__raise(struct srnic_fn *f, uint32_t cause);
void srnic__error(struct srnic_fn *f, uint32_t err);
unsigned srnic__tx_process(struct srnic_fn *f, unsigned q);
/* Deliver frame to vPort v's RX queue; false if dropped (counted). */
bool srnic__rx_deliver(struct srnic *nic, unsigned vport, const uint8_t *frame, uint32_t len);
static inline bool srnic__fn_up(const struct srnic_fn *f)
{
	return f->present && (f->ctrl & SRNIC_CTRL_ENABLE);
}

/* switch.c */
void srnic__switch_reset(struct srnic *nic);
void srnic__switch_tx(struct srnic_fn *src, const uint8_t *frame, uint32_t len);


/* Filter table key of a MAC and VLAN (VLAN_EN << 60 | VLAN << 48 | MAC). */
static inline uint64_t srnic__fkey(const uint8_t *mac, bool vlan_en, unsigned vlan)
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);	/* little-endian host: byte i in bits 8i+7..8i */
	if (vlan_en)
		k |= (1ull << 60) | ((uint64_t)(vlan & 0xfff) << 48);
	return k;
}

static inline unsigned srnic__fhash_slot(uint64_t k)
{
	return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> (64 - SRNIC_FHASH_BITS)) & (SRNIC_FHASH - 1);
}

/* vPort whose filter matches (mac, VLAN), or -1. Inline: it runs per frame.
 * 256 filters in 512 slots: the table is never full, probing ends. */
static inline int srnic__lookup(const struct srnic *nic, const uint8_t *mac, bool vlan_en, unsigned vlan)
{
	uint64_t k = srnic__fkey(mac, vlan_en, vlan);

	for (unsigned s = srnic__fhash_slot(k);; s = (s + 1) & (SRNIC_FHASH - 1)) {
		if (nic->fhash[s].vport < 0)
			return -1;
		if (nic->fhash[s].key == k)
			return nic->fhash[s].vport;
	}
}
void srnic__uplink_tx(struct srnic *nic, struct srnic_fn *src, const uint8_t *frame, uint32_t len);
void srnic__switch_from_uplink(struct srnic *nic, const uint8_t *frame, uint32_t len);
int srnic__switch_read(struct srnic *nic, uint32_t off, uint32_t *val);
int srnic__switch_write(struct srnic *nic, uint32_t off, uint32_t val);
void srnic__drop(struct srnic *nic, struct srnic_fn *f, enum srnic_drop why);
bool srnic__uplink_up(const struct srnic *nic);

/* pf.c / vf.c: personalities */
extern const struct pcie_function_ops srnic__ops;
void srnic__pf_config(struct pcie_function_config *c);
void srnic__vf_config(struct pcie_sriov_config *s);
int srnic__pf_read(struct srnic_fn *f, uint32_t off, uint32_t *val);
int srnic__pf_write(struct srnic_fn *f, uint32_t off, uint32_t val);
int srnic__vf_read(struct srnic_fn *f, uint32_t off, uint32_t *val);
int srnic__vf_write(struct srnic_fn *f, uint32_t off, uint32_t val);

#endif
