/*
 * Fuzz target for srnic's TX hot path (core.c hairpin_burst, uplink_burst
 * and the destination cache): unlike fuzz_srnic_rings, which starts from
 * random memory and rarely gets a frame through, this one starts from a
 * working lab -- VF1 with a posted TX batch of frames to VF2, the uplink and
 * broadcast; VF2 with posted RX buffers; filters for both -- and lets the
 * input corrupt it while it runs. Each VF's DMA domain is an exact-size heap
 * block, so ASan flags any access outside it. Input: 6-byte records (op,
 * 16-bit a, 16-bit v, 1 spare byte): write v at a in VF1's or VF2's memory,
 * ring a doorbell, retarget or clear a filter, toggle links, queues and the
 * switch, enable the MSI-X handler that reprograms the switch from inside a
 * doorbell, poll in deferred mode. Must never crash and never touch memory
 * outside the domains.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DOM	8192u
#define SR	0x160
#define RING	16u
#define TXR	0x0000u		/* VF1 TX ring */
#define TXB	0x0400u		/* VF1 frames, 0x100 apart */
#define RXR	0x0200u		/* VF2 RX ring */
#define RXB	0x1000u		/* VF2 buffers, 0x100 apart */

struct lab {
	struct srnic *nic;
	uint8_t mac[3][6];
	unsigned retargets;	/* switch writes made by the MSI handler */
};

static void w(struct srnic *nic, unsigned fn, uint32_t off, uint32_t v)
{
	srnic_mmio_write32(nic, fn, SRNIC_BAR_REGS, off, v);
}

static void filter(struct srnic *nic, unsigned idx, const uint8_t *mac, uint32_t cfg)
{
	w(nic, 0, SRNIC_REG_FILTER_SEL, idx);
	w(nic, 0, SRNIC_REG_FILTER_MAC_LO, mac[0] | mac[1] << 8 | mac[2] << 16 | (uint32_t)mac[3] << 24);
	w(nic, 0, SRNIC_REG_FILTER_MAC_HI, mac[4] | mac[5] << 8);
	w(nic, 0, SRNIC_REG_FILTER_CFG, cfg);
}

/* A driver's interrupt routine that moves VF2's MAC between vPorts from
 * inside the doorbell that raised it (bounded: no endless re-entry). */
static void on_msi(void *ctx, struct pcie_function *fn, uint64_t addr, uint32_t data)
{
	struct lab *l = ctx;

	(void)fn;
	(void)addr;
	if (l->retargets++ < 64)
		filter(l->nic, 2, l->mac[2], SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(data & 3));
}

static void fn_up(struct srnic *nic, unsigned fn, uint8_t *mem, uint8_t *mac)
{
	uint32_t lo = 0, hi = 0;

	srnic_cfg_write(nic, fn, PCI_COMMAND, 2, PCI_COMMAND_MASTER | (fn ? 0 : PCI_COMMAND_MEMORY));
	srnic_set_dma_domain(nic, fn, mem, DOM);
	w(nic, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_LO), TXR);
	w(nic, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_SIZE), RING);
	w(nic, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE);
	w(nic, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_BASE_LO), RXR);
	w(nic, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_SIZE), RING);
	w(nic, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	for (unsigned i = 0; i < RING; i++) {
		struct srnic_desc *d = (struct srnic_desc *)(mem + RXR + 16 * i);

		d->addr = RXB + 0x100 * i;
		d->len = 0x100;
	}
	w(nic, fn, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	srnic_mmio_read32(nic, fn, SRNIC_BAR_REGS, SRNIC_REG_MAC_LO, &lo);
	srnic_mmio_read32(nic, fn, SRNIC_BAR_REGS, SRNIC_REG_MAC_HI, &hi);
	for (int i = 0; i < 4; i++)
		mac[i] = (uint8_t)(lo >> (8 * i));
	mac[4] = (uint8_t)hi;
	mac[5] = (uint8_t)(hi >> 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t stranger[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x01 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct lab l = { 0 };
	struct pcie_host *host;
	struct srnic_peer *peer;
	uint8_t *mem[3];

	log_configure("none", NULL, 0);
	host = pcie_host_create();
	l.nic = srnic_create(host, 3, 0);
	peer = srnic_peer_create(l.nic, 4);
	for (int i = 0; i < 3; i++)
		mem[i] = calloc(1, DOM);
	if (!l.nic || !peer || !mem[0] || !mem[1] || !mem[2])
		abort();
	pcie_host_set_msi_handler(host, on_msi, &l);
	pcie_host_assign_bars(host);
	srnic_cfg_write(l.nic, 0, SR + PCI_SRIOV_NUM_VF, 2, 2);
	srnic_cfg_write(l.nic, 0, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
	for (unsigned f = 0; f < 3; f++)
		fn_up(l.nic, f, mem[f], l.mac[f]);
	w(l.nic, 0, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	for (unsigned v = 1; v <= 2; v++) {
		w(l.nic, 0, SRNIC_REG_VPORT_SEL, v);
		w(l.nic, 0, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(v) |
						 SRNIC_VPORT_CFG_QP_NUM(1));
	}
	for (unsigned f = 0; f < 3; f++)
		filter(l.nic, f, l.mac[f], SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(f));
	/* VF2 posts its buffers; VF1 has a batch ready, mostly to VF2. */
	w(l.nic, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1);
	for (unsigned i = 0; i < RING; i++) {
		struct srnic_desc *d = (struct srnic_desc *)(mem[1] + TXR + 16 * i);
		uint8_t *fr = mem[1] + TXB + 0x100 * i;
		const uint8_t *dst = i % 4 == 3 ? stranger : i % 8 == 5 ? bcast : l.mac[2];

		memcpy(fr, dst, 6);
		memcpy(fr + 6, l.mac[1], 6);
		fr[12] = 0x08;
		memset(fr + 14, (int)i, 0x100 - 14);
		d->addr = TXB + 0x100 * i;
		d->len = (uint16_t)(60 + 8 * i);
		d->flags = SRNIC_DESC_F_EOP;
	}
	for (size_t i = 0; i + 6 <= size; i += 6) {
		const uint8_t *p = data + i;
		unsigned a = p[1] | p[2] << 8, v = p[3] | p[4] << 8;

		switch (p[0] % 12) {
		case 0:		/* VF1 memory: rings, descriptors, frames */
		case 1:		/* VF2 memory */
			a %= DOM - 1;
			mem[1 + p[0] % 2][a] = (uint8_t)v;
			mem[1 + p[0] % 2][a + 1] = (uint8_t)(v >> 8);
			break;
		case 2:
			w(l.nic, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), v % (2 * RING));
			break;
		case 3:
			w(l.nic, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), v % (2 * RING));
			break;
		case 4:		/* retarget or clear one of the filters */
			filter(l.nic, a % 4, a & 4 ? stranger : l.mac[1 + (a >> 3) % 2],
			       v & 0x100 ? SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(v % 4) : 0);
			break;
		case 5:
			srnic_peer_set_link(peer, v & 1);
			break;
		case 6:		/* VF1 TX or VF2 RX queue off and on again */
			w(l.nic, 1 + (v & 1), SRNIC_REG_QP(0, v & 1 ? SRNIC_QP_RX_CTRL : SRNIC_QP_TX_CTRL), 0);
			w(l.nic, 1 + (v & 1), SRNIC_REG_QP(0, v & 1 ? SRNIC_QP_RX_CTRL : SRNIC_QP_TX_CTRL),
			  SRNIC_QCTRL_ENABLE);
			break;
		case 7:
			w(l.nic, 1 + (v & 1), SRNIC_REG_CTRL, v & 2 ? SRNIC_CTRL_ENABLE : 0);
			break;
		case 8:
			w(l.nic, 0, SRNIC_REG_SW_CTRL, v & 1);
			break;
		case 9:		/* VF2's RX interrupt on, handled by on_msi() */
			srnic_mmio_write32(l.nic, 2, SRNIC_BAR_MSIX, 16 * 1 + 8, v);
			srnic_mmio_write32(l.nic, 2, SRNIC_BAR_MSIX, 16 * 1 + 12, 0);
			srnic_cfg_write(l.nic, 2, 0x50 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
			w(l.nic, 2, SRNIC_REG_INT_MASK, ~SRNIC_INT_RX(0));
			w(l.nic, 2, SRNIC_REG_INT_CAUSE, ~0u);
			break;
		case 10:
			srnic_set_deferred(l.nic, v & 1);
			srnic_poll(l.nic);
			break;
		default:	/* VF2's vPort moves: deleted, or re-created as vPort 2 + (v & 1) */
			w(l.nic, 0, SRNIC_REG_VPORT_SEL, 2 + (a & 1));
			w(l.nic, 0, SRNIC_REG_VPORT_CFG, v & 2 ? SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(2) |
							 SRNIC_VPORT_CFG_QP_NUM(1) : 0);
			break;
		}
	}
	srnic_peer_destroy(peer);
	srnic_destroy(l.nic);
	pcie_host_destroy(host);
	for (int i = 0; i < 3; i++)
		free(mem[i]);
	return 0;
}
