/*
 * Fuzz target: random config-space read/write sequences (and some MMIO)
 * against srnic's PF with VFs enabled, as a buggy or hostile bus driver
 * would issue them. Input: records of 8 bytes -- function (0..4), op,
 * offset (2 bytes), value (4 bytes). Must never crash; the SR-IOV
 * invariants must hold after every access (VFs present == NumVFs while VF
 * Enable is set, none when clear; PF identity never changes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SR 0x160

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcie_host *host;
	struct srnic *nic;
	uint32_t v;

	log_configure("none", NULL, 0);
	host = pcie_host_create();
	nic = srnic_create(host, 3, 0);
	if (!nic)
		abort();
	pcie_host_assign_bars(host);
	srnic_cfg_write(nic, 0, SR + PCI_SRIOV_NUM_VF, 2, 3);
	srnic_cfg_write(nic, 0, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
	for (size_t i = 0; i + 8 <= size; i += 8) {
		const uint8_t *p = data + i;
		unsigned fn = p[0] % 5, op = p[1] % 8;
		unsigned off = (unsigned)(p[2] | p[3] << 8);
		uint32_t val = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		static const unsigned lens[] = { 1, 2, 4, 3 };

		if (op < 2)
			srnic_cfg_read(nic, fn, off % 4200, lens[p[1] >> 6], &v);
		else if (op < 5)
			srnic_cfg_write(nic, fn, off % 4200, lens[p[1] >> 6], val);
		else if (op == 5)
			srnic_cfg_write(nic, fn, SR + (off % 0x40), lens[p[1] >> 6], val);
		else if (op == 6)
			srnic_mmio_write32(nic, fn, p[1] >> 7 ? 2 : 0, off, val);
		else
			srnic_mmio_read32(nic, fn, p[1] >> 7 ? 2 : 0, off, &v);

		struct pcie_function *pf = srnic_function(nic, 0);
		uint32_t ctrl = 0, num = 0;
		pcie_cfg_read(pf, SR + PCI_SRIOV_CTRL, 2, &ctrl);
		pcie_cfg_read(pf, SR + PCI_SRIOV_NUM_VF, 2, &num);
		if ((ctrl & PCI_SRIOV_CTRL_VFE) ? pcie_pf_num_vfs(pf) != num : pcie_pf_num_vfs(pf) != 0)
			abort();
		if (pcie_pf_num_vfs(pf) > SRNIC_TOTAL_VFS)
			abort();
		pcie_cfg_read(pf, PCI_VENDOR_ID, 4, &v);
		if (v != (SRNIC_VENDOR_ID | SRNIC_PF_DEVICE_ID << 16))
			abort();
	}
	srnic_destroy(nic);
	pcie_host_destroy(host);
	return 0;
}
