/*
 * Fuzz target: random descriptor rings and doorbells against a VF whose DMA
 * domain is a small exact-size heap block (so ASan flags any access outside
 * it). Input: the first 4 KiB seed the guest memory (rings, descriptors,
 * frames); the rest are 6-byte records: register selector, value (4 bytes),
 * and an action byte (register write, uplink frame, poll). Must never crash
 * and never touch memory outside the VF's or the PF's domain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DOM 4096u
#define SR 0x160

static const uint32_t regs[] = {
	SRNIC_REG_CTRL, SRNIC_REG_INT_MASK, SRNIC_REG_INT_CAUSE, SRNIC_REG_ERR_CAUSE,
	SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_LO), SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_HI),
	SRNIC_REG_QP(0, SRNIC_QP_TX_SIZE), SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL),
	SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), SRNIC_REG_QP(0, SRNIC_QP_RX_BASE_LO),
	SRNIC_REG_QP(0, SRNIC_QP_RX_SIZE), SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL),
	SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), SRNIC_REG_QP(1, SRNIC_QP_TX_BASE_LO),
	SRNIC_REG_QP(1, SRNIC_QP_TX_SIZE), SRNIC_REG_QP(1, SRNIC_QP_TX_CTRL),
	SRNIC_REG_QP(1, SRNIC_QP_TX_TAIL), SRNIC_REG_MAC_LO,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcie_host *host;
	struct srnic *nic;
	struct srnic_peer *peer;
	uint8_t *vfmem, *pfmem;
	size_t seed = size < DOM ? size : DOM;

	log_configure("none", NULL, 0);
	host = pcie_host_create();
	nic = srnic_create(host, 3, 0);
	peer = srnic_peer_create(nic, 4);
	vfmem = calloc(1, DOM);
	pfmem = calloc(1, DOM);
	if (!nic || !peer || !vfmem || !pfmem)
		abort();
	memcpy(vfmem, data, seed);
	memcpy(pfmem, data, seed);
	pcie_host_assign_bars(host);
	srnic_cfg_write(nic, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	srnic_cfg_write(nic, 0, SR + PCI_SRIOV_NUM_VF, 2, 1);
	srnic_cfg_write(nic, 0, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
	srnic_cfg_write(nic, 1, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	srnic_set_dma_domain(nic, 0, pfmem, DOM);
	srnic_set_dma_domain(nic, 1, vfmem, DOM);
	/* The PF attaches VF1 to vPort 1 and steers two MACs to it. */
	srnic_mmio_write32(nic, 0, 0, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	srnic_mmio_write32(nic, 0, 0, SRNIC_REG_VPORT_SEL, 1);
	srnic_mmio_write32(nic, 0, 0, SRNIC_REG_VPORT_CFG,
			   SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(1) | SRNIC_VPORT_CFG_QP_NUM(2));
	srnic_mmio_write32(nic, 0, 0, SRNIC_REG_FILTER_MAC_LO, 0x00b41a02);
	srnic_mmio_write32(nic, 0, 0, SRNIC_REG_FILTER_CFG, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(1));
	for (size_t i = seed; i + 6 <= size; i += 6) {
		const uint8_t *p = data + i;
		uint32_t val = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
		unsigned fn = p[5] & 1;

		switch (p[5] >> 5) {
		case 0: case 1: case 2: case 3:
			srnic_mmio_write32(nic, fn, 0, regs[p[0] % (sizeof(regs) / sizeof(regs[0]))], val);
			break;
		case 4: {
			uint8_t frame[128];
			size_t len = 14 + p[1] % 100;
			memcpy(frame, (p[2] & 1) ? "\x02\x1a\xb4\x00\x00\x00" : "\xff\xff\xff\xff\xff\xff", 6);
			memset(frame + 6, p[3], len - 6);
			srnic_peer_send(peer, frame, len);
			break;
		}
		case 5:
			srnic_set_deferred(nic, p[0] & 1);
			srnic_poll(nic);
			break;
		case 6:
			srnic_peer_set_link(peer, p[0] & 1);
			break;
		default:
			srnic_mmio_write32(nic, 0, 0, SRNIC_REG_VF_RESET, 1 + (p[0] & 1));
			break;
		}
	}
	srnic_peer_destroy(peer);
	srnic_destroy(nic);
	pcie_host_destroy(host);
	free(vfmem);
	free(pfmem);
	return 0;
}
