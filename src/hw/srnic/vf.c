/*
 * srnic's VF personality: what the SR-IOV capability advertises for each VF
 * (VF Device ID 0x10ee, 16 KiB register BAR0, MSI-X BAR2, two queue pairs)
 * and the VF's register window, which is the shared core's per-function
 * block with the PF-only switch registers refused: a VF's driver runs in a
 * guest and must never reach the NIC switch or another function
 * (ndis-sriov-spec.md 1.1 row 12).
 */
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic_int.h"
#include "pcie/pci_regs.h"

void srnic__vf_config(struct pcie_sriov_config *s)
{
	memset(s, 0, sizeof(*s));
	s->initial_vfs = SRNIC_DEFAULT_VFS;
	s->total_vfs = SRNIC_DEFAULT_VFS;
	s->first_vf_offset = 8;
	s->vf_stride = 2;
	s->vf_device_id = SRNIC_VF_DEVICE_ID;
	s->vf.subsys_vendor_id = SRNIC_VENDOR_ID;
	s->vf.subsys_id = SRNIC_SUBSYS_ID;
	s->vf.revision = SRNIC_REVISION;
	s->vf.class_code = PCI_CLASS_NETWORK_ETHERNET << 8;
	s->vf.bars[SRNIC_BAR_REGS] = (struct pcie_bar_info){ SRNIC_VF_REGS_SIZE, true, true };
	s->vf.bars[SRNIC_BAR_MSIX] = (struct pcie_bar_info){ SRNIC_MSIX_BAR_SIZE, true, true };
	s->vf.msix_vectors = SRNIC_VF_MSIX_VECTORS;
	s->vf.msix_bar = SRNIC_BAR_MSIX;
	s->vf.msix_table_off = SRNIC_MSIX_TABLE_OFF;
	s->vf.msix_pba_off = SRNIC_MSIX_PBA_OFF;
}

static int refuse_pf_only(struct srnic_fn *f, uint32_t off)
{
	log_warn(SRNIC_TOPIC, "VF %u: access to PF-only register 0x%x refused", f->index, off);
	f->err_cause |= SRNIC_ERR_REG;
	return -EPERM;
}

int srnic__vf_read(struct srnic_fn *f, uint32_t off, uint32_t *val)
{
	if (off >= SRNIC_REG_SW_CTRL) {
		*val = 0;
		return refuse_pf_only(f, off);
	}
	return srnic__fn_read(f, off, val);
}

int srnic__vf_write(struct srnic_fn *f, uint32_t off, uint32_t val)
{
	if (off >= SRNIC_REG_SW_CTRL)
		return refuse_pf_only(f, off);
	return srnic__fn_write(f, off, val);
}
