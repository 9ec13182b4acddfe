/*
 * srnic's PF personality: the PF's PCI identity and resources (Vendor
 * 0x1ab4, Device 0x10ed, 64 KiB register BAR0, MSI-X BAR2, SR-IOV with
 * TotalVFs 64, First VF Offset 8, VF Stride 2) and the PF-only register
 * window at 0x2000 (NIC switch, vPorts, filters, per-VF reset), which it
 * hands to switch.c. Everything else is the shared core (core.c). The PF
 * miniport (drivers/srnic_pf) is its driver.
 */
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic_int.h"
#include "pcie/pci_regs.h"

void srnic__pf_config(struct pcie_function_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vendor_id = SRNIC_VENDOR_ID;
	c->device_id = SRNIC_PF_DEVICE_ID;
	c->subsys_vendor_id = SRNIC_VENDOR_ID;
	c->subsys_id = SRNIC_SUBSYS_ID;
	c->revision = SRNIC_REVISION;
	c->class_code = PCI_CLASS_NETWORK_ETHERNET << 8;
	c->bars[SRNIC_BAR_REGS] = (struct pcie_bar_info){ SRNIC_PF_REGS_SIZE, true, false };
	c->bars[SRNIC_BAR_MSIX] = (struct pcie_bar_info){ SRNIC_MSIX_BAR_SIZE, true, false };
	c->msix_vectors = SRNIC_PF_MSIX_VECTORS;
	c->msix_bar = SRNIC_BAR_MSIX;
	c->msix_table_off = SRNIC_MSIX_TABLE_OFF;
	c->msix_pba_off = SRNIC_MSIX_PBA_OFF;
}

int srnic__pf_read(struct srnic_fn *f, uint32_t off, uint32_t *val)
{
	if (off >= SRNIC_REG_SW_CTRL && off < SRNIC_REG_PF_END)
		return srnic__switch_read(f->nic, off, val);
	return srnic__fn_read(f, off, val);
}

int srnic__pf_write(struct srnic_fn *f, uint32_t off, uint32_t val)
{
	if (off >= SRNIC_REG_SW_CTRL && off < SRNIC_REG_PF_END)
		return srnic__switch_write(f->nic, off, val);
	return srnic__fn_write(f, off, val);
}
