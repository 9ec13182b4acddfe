/*
 * Tests of the PCIe model (src/pcie) with a minimal fake device behind it:
 * config space masks (RO/RW/RW1C), the capability list, BAR sizing, the
 * SR-IOV capability (VF Enable, NumVFs and page-size locks, VF routing IDs,
 * VF BARs), the VF state machine (disabled/enabled/resetting) with its
 * illegal transitions, FLR, MSI-X delivery, the host bus (BAR placement,
 * MMIO decode, SriovSupport from the platform properties) and the IOMMU
 * bounds check. Driven through pcie_cfg_* and MMIO as a bus driver would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "base/log.h"
#include "pcie/pci_regs.h"
#include "pcie/pcie.h"

#define SR 0x160	/* SR-IOV capability offset */

struct fake {
	unsigned resets[8];
	enum pcie_fn_state state_in_reset[8];
	unsigned vfs_changed_calls, last_num_vfs;
	uint32_t reg[8][16];
	unsigned msi_count;
	uint64_t msi_addr;
	uint32_t msi_data;
};

static int f_read(void *ctx, struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t *val)
{
	struct fake *f = ctx;
	(void)bar;
	*val = f->reg[pcie_fn_index(fn)][(off / 4) % 16];
	return 0;
}

static int f_write(void *ctx, struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t val)
{
	struct fake *f = ctx;
	(void)bar;
	f->reg[pcie_fn_index(fn)][(off / 4) % 16] = val;
	return 0;
}

static void f_reset(void *ctx, struct pcie_function *fn)
{
	struct fake *f = ctx;
	unsigned i = pcie_fn_index(fn);
	f->resets[i]++;
	f->state_in_reset[i] = pcie_fn_state(fn);
	memset(f->reg[i], 0, sizeof(f->reg[i]));
}

static void f_vfs(void *ctx, struct pcie_function *pf, unsigned n)
{
	struct fake *f = ctx;
	(void)pf;
	f->vfs_changed_calls++;
	f->last_num_vfs = n;
}

static void f_msi(void *ctx, struct pcie_function *fn, uint64_t addr, uint32_t data)
{
	struct fake *f = ctx;
	(void)fn;
	f->msi_count++;
	f->msi_addr = addr;
	f->msi_data = data;
}

static const struct pcie_function_ops fops = { f_read, f_write, f_reset, f_vfs };

struct env {
	struct pcie_host *host;
	struct pcie_function *pf;
	struct fake fake;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pcie_function_config c = {
		.vendor_id = 0x1ab4, .device_id = 0x10ed, .subsys_vendor_id = 0x1ab4, .subsys_id = 1,
		.revision = 1, .class_code = 0x020000,
		.bars = { [0] = { 0x10000, true, false }, [2] = { 0x4000, true, false } },
		.msix_vectors = 3, .msix_bar = 2, .msix_table_off = 0, .msix_pba_off = 0x2000,
	};
	struct pcie_sriov_config s = {
		.initial_vfs = 6, .total_vfs = 6, .first_vf_offset = 8, .vf_stride = 2, .vf_device_id = 0x10ee,
		.vf = { .class_code = 0x020000,
			.bars = { [0] = { 0x4000, true, true }, [2] = { 0x4000, true, true } },
			.msix_vectors = 3, .msix_bar = 2, .msix_pba_off = 0x2000 },
	};

	log_configure("none", NULL, 0);
	e->host = pcie_host_create();
	pcie_host_set_msi_handler(e->host, f_msi, &e->fake);
	e->pf = pcie_pf_create(e->host, 3, 0, &c, &fops, &e->fake);
	assert_non_null(e->pf);
	assert_int_equal(pcie_sriov_init(e->pf, &s), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	pcie_host_destroy(e->host);
	free(e);
	return 0;
}

static uint32_t rd(struct pcie_function *fn, unsigned off, unsigned len)
{
	uint32_t v;
	assert_int_equal(pcie_cfg_read(fn, off, len, &v), 0);
	return v;
}

static void enable_vfs(struct pcie_function *pf, unsigned n)
{
	assert_int_equal(pcie_cfg_write(pf, SR + PCI_SRIOV_NUM_VF, 2, n), 0);
	assert_int_equal(pcie_cfg_write(pf, SR + PCI_SRIOV_CTRL, 2,
					PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI), 0);
}

static void test_header_and_caps(void **state)
{
	struct env *e = *state;
	unsigned p, seen = 0;

	assert_int_equal(rd(e->pf, PCI_VENDOR_ID, 2), 0x1ab4);
	assert_int_equal(rd(e->pf, PCI_DEVICE_ID, 2), 0x10ed);
	assert_int_equal(rd(e->pf, PCI_CLASS_DEVICE, 2), 0x0200);
	assert_true(rd(e->pf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* Walk the capability list: PM -> MSI-X -> Express, then extended. */
	for (p = rd(e->pf, PCI_CAPABILITY_LIST, 1); p; p = rd(e->pf, p + 1, 1)) {
		unsigned id = rd(e->pf, p, 1);
		if (id == PCI_CAP_ID_PM) seen |= 1;
		if (id == PCI_CAP_ID_MSIX) seen |= 2;
		if (id == PCI_CAP_ID_EXP) {
			seen |= 4;
			assert_true(rd(e->pf, p + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR);
		}
	}
	assert_int_equal(seen, 7);
	assert_int_equal(rd(e->pf, 0x100, 4) & 0xffff, PCI_EXT_CAP_ID_ARI);
	assert_int_equal(rd(e->pf, 0x100, 4) >> 20, SR);
	assert_int_equal(rd(e->pf, SR, 4) & 0xffff, PCI_EXT_CAP_ID_SRIOV);
	assert_int_equal((rd(e->pf, SR, 4) >> 16) & 0xf, 1);
	assert_int_equal(rd(e->pf, SR, 4) >> 20, 0);
}

static void test_ro_rw_rw1c(void **state)
{
	struct env *e = *state;
	unsigned devsta = 0x60 + PCI_EXP_DEVSTA;
	uint8_t mem[64];

	/* RO: vendor, TotalVFs, VF offset, VF device id. */
	assert_int_equal(pcie_cfg_write(e->pf, PCI_VENDOR_ID, 2, 0x1234), 0);
	assert_int_equal(rd(e->pf, PCI_VENDOR_ID, 2), 0x1ab4);
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_TOTAL_VF, 2, 99);
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_VF_OFFSET, 2, 1);
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_VF_DID, 2, 0);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_TOTAL_VF, 2), 6);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_VF_OFFSET, 2), 8);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_VF_DID, 2), 0x10ee);
	/* RW: Command memory + master; reserved bits stay 0. */
	pcie_cfg_write(e->pf, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(rd(e->pf, PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	/* Only the SR-IOV control bits the model implements are writable. */
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, 0xfffe);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_CTRL, 2), PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI);
	/* RW1C: a DMA fault sets Received Master Abort; writing 0 keeps it,
	 * writing 1 clears it. Device Status bits are never set by writing 1. */
	assert_null(pcie_dma_map(e->pf, 0, 4));	/* no domain */
	assert_true(rd(e->pf, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT);
	pcie_cfg_write(e->pf, PCI_STATUS, 2, 0);
	assert_true(rd(e->pf, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT);
	pcie_cfg_write(e->pf, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_false(rd(e->pf, PCI_STATUS, 2) & PCI_STATUS_REC_MASTER_ABORT);
	assert_true(rd(e->pf, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);	/* RO bit survives */
	pcie_cfg_write(e->pf, devsta, 2, 0xffff);
	assert_int_equal(rd(e->pf, devsta, 2), 0);
	(void)mem;
}

static void test_bad_access(void **state)
{
	struct env *e = *state;
	uint32_t v;

	assert_int_equal(pcie_cfg_read(e->pf, 0x01, 2, &v), -EINVAL);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(pcie_cfg_read(e->pf, 0x00, 3, &v), -EINVAL);
	assert_int_equal(pcie_cfg_write(e->pf, 0xffe, 4, 0), -EINVAL);
	assert_int_equal(pcie_cfg_read(e->pf, 4096, 1, &v), -EINVAL);
	assert_int_equal(pcie_host_cfg_read(e->host, PCIE_RID(3, 1, 0), 0, 4, &v), -ENODEV);
	assert_int_equal(v, 0xffffffffu);
}

static void test_bar_sizing(void **state)
{
	struct env *e = *state;

	pcie_cfg_write(e->pf, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	pcie_cfg_write(e->pf, PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
	assert_int_equal(rd(e->pf, PCI_BASE_ADDRESS_0, 4), 0xffff0000u | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(rd(e->pf, PCI_BASE_ADDRESS_0 + 4, 4), 0xffffffffu);
	pcie_cfg_write(e->pf, PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
	assert_int_equal(rd(e->pf, PCI_BASE_ADDRESS_0 + 8, 4), 0xffffc000u | PCI_BASE_ADDRESS_MEM_TYPE_64);
	/* Unused BAR4 reads 0 even after all ones. */
	pcie_cfg_write(e->pf, PCI_BASE_ADDRESS_0 + 16, 4, 0xffffffff);
	assert_int_equal(rd(e->pf, PCI_BASE_ADDRESS_0 + 16, 4), 0);
	/* VF BAR0 in the SR-IOV capability: per-VF size 16 KiB. */
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_BAR, 4, 0xffffffff);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_BAR, 4),
			 0xffffc000u | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	/* With a 64 KiB system page the VF BAR aperture grows to a page. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4, 0x10), 0);
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_BAR, 4, 0xffffffff);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_BAR, 4) & ~0xfu, 0xffff0000u);
}

static void test_sriov_enable_disable(void **state)
{
	struct env *e = *state;
	struct pcie_function *list[16];
	uint32_t v;

	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_INITIAL_VF, 2), 6);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_SUP_PGSIZE, 4), 0x553);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4), 1);
	assert_int_equal(pcie_host_list(e->host, list, 16), 1);
	enable_vfs(e->pf, 3);
	assert_int_equal(e->fake.last_num_vfs, 3);
	assert_int_equal(pcie_pf_num_vfs(e->pf), 3);
	assert_int_equal(pcie_host_list(e->host, list, 16), 4);
	/* VF n at PF RID + 8 + (n-1)*2: 03:01.0, 03:01.2, 03:01.4 */
	assert_int_equal(pcie_fn_rid(list[1]), PCIE_RID(3, 1, 0));
	assert_int_equal(pcie_fn_rid(list[2]), PCIE_RID(3, 1, 2));
	assert_int_equal(pcie_fn_rid(list[3]), PCIE_RID(3, 1, 4));
	assert_int_equal(pcie_host_cfg_read(e->host, PCIE_RID(3, 1, 2), PCI_VENDOR_ID, 4, &v), 0);
	assert_int_equal(v, 0xffffffffu);	/* VF Vendor and Device ID read 0xFFFF */
	assert_int_equal(pcie_host_cfg_read(e->host, PCIE_RID(3, 1, 2), PCI_CLASS_DEVICE, 2, &v), 0);
	assert_int_equal(v, 0x0200);
	assert_int_equal(pcie_host_cfg_read(e->host, PCIE_RID(3, 1, 6), 0, 4, &v), -ENODEV);
	assert_int_equal(e->fake.resets[1], 1);	/* enabling resets each VF once */
	/* NumVFs and page size locked while VF Enable is set. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_NUM_VF, 2, 5), -EBUSY);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_NUM_VF, 2), 3);
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4, 2), -EBUSY);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4), 1);
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE), -EBUSY);
	assert_true(rd(e->pf, SR + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_ARI);
	/* Clearing VF Enable removes them. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, 0), 0);
	assert_int_equal(pcie_pf_num_vfs(e->pf), 0);
	assert_int_equal(e->fake.last_num_vfs, 0);
	assert_int_equal(pcie_host_list(e->host, list, 16), 1);
	assert_int_equal(pcie_host_cfg_read(e->host, PCIE_RID(3, 1, 0), 0, 4, &v), -ENODEV);
	/* Now NumVFs is writable again. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_NUM_VF, 2, 5), 0);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_NUM_VF, 2), 5);
}

static void test_sriov_illegal(void **state)
{
	struct env *e = *state;

	/* NumVFs > TotalVFs: VF Enable refused and stays clear. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_NUM_VF, 2, 7), 0);
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE), -EINVAL);
	assert_false(rd(e->pf, SR + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE);
	assert_int_equal(pcie_pf_num_vfs(e->pf), 0);
	/* Page size must be one supported size. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4, 3), -EINVAL);
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4, 4), -EINVAL); /* 16K unsupported */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4, 0), -EINVAL);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4), 1);
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4, 2), 0);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_SYS_PGSIZE, 4), 2);
	/* VF Enable with NumVFs 0: legal, no VFs. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_NUM_VF, 2, 0), 0);
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE), 0);
	assert_int_equal(pcie_pf_num_vfs(e->pf), 0);
}

/* VF state machine: disabled -> enabled -> resetting -> enabled -> disabled,
 * and the transitions that must be refused. */
static void test_vf_state_machine(void **state)
{
	struct env *e = *state;
	struct pcie_function *vf1 = pcie_pf_vf(e->pf, 1), *vf2 = pcie_pf_vf(e->pf, 2);
	unsigned devctl = 0x60 + PCI_EXP_DEVCTL;
	uint32_t v;

	assert_int_equal(pcie_fn_state(vf1), PCIE_FN_DISABLED);
	assert_string_equal(pcie_fn_state_name(PCIE_FN_RESETTING), "resetting");
	/* Illegal: FLR or any config access to a disabled VF. */
	assert_int_equal(pcie_cfg_write(vf1, devctl, 2, PCI_EXP_DEVCTL_BCR_FLR), -ENODEV);
	assert_int_equal(pcie_cfg_read(vf1, 0, 4, &v), -ENODEV);
	assert_int_equal(pcie_mmio_read32(vf1, 0, 0, &v), -ENODEV);
	assert_int_equal(pcie_fn_state(vf1), PCIE_FN_DISABLED);
	enable_vfs(e->pf, 2);
	assert_int_equal(pcie_fn_state(vf1), PCIE_FN_ENABLED);
	assert_int_equal(pcie_fn_state(vf2), PCIE_FN_ENABLED);
	/* FLR on VF1: passes through resetting; VF2 untouched. */
	pcie_cfg_write(vf1, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	pcie_cfg_write(vf2, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	pcie_mmio_write32(vf2, 0, 8, 0x55);
	unsigned r1 = e->fake.resets[1], r2 = e->fake.resets[2];
	assert_int_equal(pcie_cfg_write(vf1, devctl, 2, PCI_EXP_DEVCTL_BCR_FLR | 0x10), 0);
	assert_int_equal(e->fake.resets[1], r1 + 1);
	assert_int_equal(e->fake.state_in_reset[1], PCIE_FN_RESETTING);
	assert_int_equal(e->fake.resets[2], r2);
	assert_int_equal(pcie_fn_state(vf1), PCIE_FN_ENABLED);
	assert_int_equal(rd(vf1, PCI_COMMAND, 2), 0);
	assert_int_equal(rd(vf2, PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	assert_int_equal(rd(vf1, devctl, 2) & PCI_EXP_DEVCTL_BCR_FLR, 0);	/* reads 0 */
	assert_int_equal(pcie_mmio_read32(vf2, 0, 8, &v), 0);
	assert_int_equal(v, 0x55);
	/* VF's Memory Space Enable is RO 0 in the VF; VF MSE in the PF gates MMIO. */
	pcie_cfg_write(vf1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(rd(vf1, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY, 0);
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_ARI);
	assert_int_equal(pcie_mmio_read32(vf2, 0, 8, &v), -EIO);
	assert_int_equal(v, 0xffffffffu);
	/* enabled -> disabled */
	pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, 0);
	assert_int_equal(pcie_fn_state(vf1), PCIE_FN_DISABLED);
	assert_int_equal(pcie_fn_state(vf2), PCIE_FN_DISABLED);
}

static void test_pf_flr_removes_vfs(void **state)
{
	struct env *e = *state;

	enable_vfs(e->pf, 2);
	pcie_cfg_write(e->pf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(pcie_cfg_write(e->pf, 0x60 + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR), 0);
	assert_int_equal(pcie_pf_num_vfs(e->pf), 0);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_CTRL, 2), 0);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_NUM_VF, 2), 0);
	assert_int_equal(rd(e->pf, PCI_COMMAND, 2), 0);
	assert_int_equal(pcie_fn_state(e->pf), PCIE_FN_ENABLED);
	assert_int_equal(pcie_fn_state(pcie_pf_vf(e->pf, 1)), PCIE_FN_DISABLED);
}

static void test_bars_and_decode(void **state)
{
	struct env *e = *state;
	uint32_t v;
	uint64_t pf0, vf1, vf2;

	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	pf0 = pcie_fn_bar_addr(e->pf, 0);
	assert_int_not_equal(pf0, 0);
	assert_int_equal(pf0 % 0x10000, 0);
	assert_int_equal(pcie_host_mmio_write32(e->host, pf0 + 4, 0xabcd), 0);
	assert_int_equal(e->fake.reg[0][1], 0xabcd);
	enable_vfs(e->pf, 2);
	vf1 = pcie_fn_bar_addr(pcie_pf_vf(e->pf, 1), 0);
	vf2 = pcie_fn_bar_addr(pcie_pf_vf(e->pf, 2), 0);
	assert_int_not_equal(vf1, 0);
	assert_int_equal(vf2 - vf1, 0x4000);	/* VF BAR n = VF BAR + (n-1) * size */
	assert_int_equal(pcie_host_mmio_write32(e->host, vf2 + 8, 7), 0);
	assert_int_equal(e->fake.reg[2][2], 7);
	assert_int_equal(pcie_host_mmio_read32(e->host, 0x1000, &v), -ENXIO);
	/* Memory decode off on the PF refuses MMIO. */
	pcie_cfg_write(e->pf, PCI_COMMAND, 2, 0);
	assert_int_equal(pcie_host_mmio_read32(e->host, pf0, &v), -EIO);
	/* Out of range / unaligned / missing BAR */
	pcie_cfg_write(e->pf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(pcie_mmio_read32(e->pf, 0, 0x10000, &v), -EINVAL);
	assert_int_equal(pcie_mmio_read32(e->pf, 0, 2, &v), -EINVAL);
	assert_int_equal(pcie_mmio_read32(e->pf, 4, 0, &v), -EINVAL);
	assert_int_equal(pcie_mmio_read32(e->pf, 9, 0, &v), -EINVAL);
}

/*
 * decode() finds a VF's BAR by division (src/pcie/host.c): every register
 * of every enabled VF reaches that VF, the last byte of a VF BAR is still
 * it, and the address just past the last enabled VF -- or past a VF that
 * was disabled again -- decodes to nothing.
 */
static void test_decode_every_vf(void **state)
{
	struct env *e = *state;
	uint64_t first, ap;
	uint32_t v;

	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	enable_vfs(e->pf, 4);	/* of 6: the BAR0 array has room for VFs 5 and 6, not enabled */
	first = pcie_fn_bar_addr(pcie_pf_vf(e->pf, 1), 0);
	ap = pcie_fn_bar_addr(pcie_pf_vf(e->pf, 2), 0) - first;
	for (unsigned n = 1; n <= 4; n++) {
		uint64_t base = pcie_fn_bar_addr(pcie_pf_vf(e->pf, n), 0);

		assert_int_equal(base, first + (n - 1) * ap);
		assert_int_equal(pcie_host_mmio_write32(e->host, base + 4 * n, 0x100 + n), 0);
		assert_int_equal(e->fake.reg[n][n], 0x100 + n);
		assert_int_equal(pcie_host_mmio_read32(e->host, base + pcie_fn_bar_size(pcie_pf_vf(e->pf, n), 0) - 4, &v), 0);
	}
	assert_int_equal(pcie_host_mmio_read32(e->host, first + 4 * ap, &v), -ENXIO);
	assert_int_equal(pcie_host_mmio_read32(e->host, first + 5 * ap + 4, &v), -ENXIO);
	/* VFs off, then two back: the third VF's BAR decodes to nothing. */
	assert_int_equal(pcie_cfg_write(e->pf, SR + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_ARI), 0);
	assert_int_equal(pcie_host_mmio_read32(e->host, first, &v), -ENXIO);
	enable_vfs(e->pf, 2);
	assert_int_equal(pcie_host_mmio_read32(e->host, first + 2 * ap, &v), -ENXIO);
	assert_int_equal(pcie_host_mmio_write32(e->host, first + ap + 8, 9), 0);
	assert_int_equal(e->fake.reg[2][2], 9);
}

static void test_sriov_support(void **state)
{
	struct env *e = *state;
	struct pcie_platform p;

	pcie_host_get_platform(e->host, &p);
	assert_int_equal(pcie_host_sriov_support(e->host, e->pf), PCIE_SRIOV_OK);
	p.acs_root_port = false;
	pcie_host_set_platform(e->host, &p);
	assert_int_equal(pcie_host_sriov_support(e->host, e->pf), PCIE_SRIOV_MISSING_ACS);
	assert_string_equal(pcie_sriov_support_name(PCIE_SRIOV_MISSING_ACS), "MissingAcs");
	p.acs_root_port = true;
	p.vf_bar_space = 0x10000;	/* 6 VFs x 2 BARs x 16 KiB = 192 KiB needed */
	pcie_host_set_platform(e->host, &p);
	assert_int_equal(pcie_host_sriov_support(e->host, e->pf), PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE);
	pcie_host_assign_bars(e->host);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_BAR + 4, 4), 0);	/* not placed */
	p.vf_bar_space = 0x30000;
	pcie_host_set_platform(e->host, &p);
	pcie_host_assign_bars(e->host);
	assert_int_equal(pcie_host_sriov_support(e->host, e->pf), PCIE_SRIOV_OK);
	assert_int_equal(rd(e->pf, SR + PCI_SRIOV_BAR + 4, 4), 0x40);	/* placed at 0x40_0000_0000 */
	p.bus_numbers = 0;
	pcie_host_set_platform(e->host, &p);
	assert_int_equal(pcie_host_sriov_support(e->host, e->pf), PCIE_SRIOV_NO_BUS_RESOURCE);
	assert_int_equal(pcie_host_sriov_support(e->host, pcie_pf_vf(e->pf, 1)), PCIE_SRIOV_MISSING_PF_DRIVER);
}

static void test_bus_numbers_from_rids(void **state)
{
	/* A PF whose VFs spill onto the next bus needs two bus numbers. */
	struct pcie_host *h = pcie_host_create();
	struct pcie_function_config c = { .vendor_id = 1, .device_id = 2 };
	struct pcie_sriov_config s = { .initial_vfs = 200, .total_vfs = 200, .first_vf_offset = 1,
				       .vf_stride = 2, .vf_device_id = 3 };
	struct pcie_function *pf = pcie_pf_create(h, 5, 0, &c, &fops, NULL);
	struct pcie_platform p;

	(void)state;
	assert_int_equal(pcie_sriov_init(pf, &s), 0);
	assert_int_equal(pcie_fn_rid(pcie_pf_vf(pf, 200)), 0x0500 + 1 + 199 * 2);
	pcie_host_get_platform(h, &p);
	p.bus_numbers = 1;
	pcie_host_set_platform(h, &p);
	assert_int_equal(pcie_host_sriov_support(h, pf), PCIE_SRIOV_NO_BUS_RESOURCE);
	p.bus_numbers = 2;
	pcie_host_set_platform(h, &p);
	assert_int_equal(pcie_host_sriov_support(h, pf), PCIE_SRIOV_OK);
	/* Invalid SR-IOV parameters are refused. */
	struct pcie_function *pf2 = pcie_pf_create(h, 6, 0, &c, &fops, NULL);
	s.first_vf_offset = 0;
	assert_int_equal(pcie_sriov_init(pf2, &s), -EINVAL);
	assert_null(pcie_pf_create(h, 5, 0, &c, &fops, NULL));	/* RID taken */
	pcie_host_destroy(h);
}

static void test_msix(void **state)
{
	struct env *e = *state;
	unsigned flags = 0x50 + PCI_MSIX_FLAGS;

	pcie_cfg_write(e->pf, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(rd(e->pf, flags, 2) & PCI_MSIX_FLAGS_QSIZE, 2);
	/* Program vector 1, still masked: notify leaves it pending. */
	pcie_mmio_write32(e->pf, 2, 16 + 0, 0xfee00000);
	pcie_mmio_write32(e->pf, 2, 16 + 8, 0x41);
	pcie_cfg_write(e->pf, flags, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(pcie_msix_notify(e->pf, 1), 0);
	assert_int_equal(e->fake.msi_count, 0);
	assert_true(pcie_msix_pending(e->pf, 1));
	uint32_t pba;
	pcie_mmio_read32(e->pf, 2, 0x2000, &pba);
	assert_int_equal(pba, 2);
	assert_int_equal(pcie_mmio_write32(e->pf, 2, 0x2000, 0), -EPERM);
	/* Unmask: the pending message goes out. */
	pcie_mmio_write32(e->pf, 2, 16 + 12, 0);
	assert_int_equal(e->fake.msi_count, 1);
	assert_int_equal(e->fake.msi_addr, 0xfee00000);
	assert_int_equal(e->fake.msi_data, 0x41);
	assert_false(pcie_msix_pending(e->pf, 1));
	/* Function mask holds it back, clearing it delivers. */
	pcie_cfg_write(e->pf, flags, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pcie_msix_notify(e->pf, 1);
	assert_int_equal(e->fake.msi_count, 1);
	pcie_cfg_write(e->pf, flags, 2, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(e->fake.msi_count, 2);
	assert_int_equal(pcie_msix_notify(e->pf, 3), -EINVAL);
}

static void test_iommu(void **state)
{
	struct env *e = *state;
	uint8_t *mem = calloc(1, 4096), *other = calloc(1, 4096);
	struct pcie_function *vf1;

	enable_vfs(e->pf, 2);
	vf1 = pcie_pf_vf(e->pf, 1);
	assert_int_equal(pcie_fn_set_dma_domain(vf1, mem, 4096), 0);
	assert_null(pcie_dma_map(vf1, 0, 16));	/* bus master off */
	pcie_cfg_write(vf1, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_ptr_equal(pcie_dma_map(vf1, 0, 16), mem);
	assert_ptr_equal(pcie_dma_map(vf1, 4080, 16), mem + 4080);
	assert_null(pcie_dma_map(vf1, 4081, 16));
	assert_null(pcie_dma_map(vf1, 4096, 1));
	assert_null(pcie_dma_map(vf1, UINT64_MAX - 4, 16));
	assert_null(pcie_dma_map(vf1, 0, 4097));
	assert_int_equal(pcie_fn_dma_faults(vf1), 5);
	/* VF2 has no domain: nothing maps, even addresses valid for VF1. */
	pcie_cfg_write(pcie_pf_vf(e->pf, 2), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_null(pcie_dma_map(pcie_pf_vf(e->pf, 2), 0, 16));
	assert_int_equal(pcie_fn_set_dma_domain(vf1, NULL, 0), 0);
	assert_null(pcie_dma_map(vf1, 0, 16));
	assert_int_equal(pcie_fn_set_dma_domain(vf1, other, 0), -EINVAL);
	free(mem);
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ro_rw_rw1c, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_enable_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_illegal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pf_flr_removes_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars_and_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decode_every_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_support, setup, teardown),
		cmocka_unit_test(test_bus_numbers_from_rids),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iommu, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
