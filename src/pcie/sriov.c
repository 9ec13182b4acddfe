/*
 * The SR-IOV extended capability (ID 0x0010) as a reusable helper of the
 * PCIe model: any PF calls pcie_sriov_init() with its TotalVFs, VF offset and
 * stride, VF Device ID and per-VF BARs; this file lays the capability out,
 * makes VF Enable / VF MSE / ARI Capable Hierarchy, NumVFs, System Page Size
 * and the VF BARs writable as the spec says, and brings VF functions in and
 * out of the bus when VF Enable changes. Nothing here knows about NICs
 * (srnic is one user). All TotalVFs function objects exist from init; VF
 * Enable only moves them between disabled and enabled. PCIe Base 4.0
 * section 9.3.3; the field offsets are ndis-sriov-spec.md 8.5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "pcie/pcie_int.h"

#define SRIOV(reg) (PCIE_OFF_SRIOV + (reg))

static uint64_t page_bytes(uint32_t pgsz_reg)
{
	/* System Page Size bit n selects 2^(n+12) bytes. */
	for (unsigned n = 0; n < 32; n++)
		if (pgsz_reg & (1u << n))
			return 4096ull << n;
	return 4096;
}

uint16_t pcie__vf_rid(const struct pcie_function *pf, unsigned n)
{
	uint32_t off = pcie__get(pf->cfg, SRIOV(PCI_SRIOV_VF_OFFSET), 2);
	uint32_t stride = pcie__get(pf->cfg, SRIOV(PCI_SRIOV_VF_STRIDE), 2);

	/* VF RID = PF RID + First VF Offset + (n - 1) * VF Stride (9.3.3.9/10). */
	return (uint16_t)(pf->rid + off + (n - 1) * stride);
}

int pcie_sriov_init(struct pcie_function *pf, const struct pcie_sriov_config *c)
{
	uint8_t *cfg = pf->cfg, *wm = pf->wmask;
	uint32_t last;

	if (!pf || pf->index || pf->has_sriov)
		return -EINVAL;
	last = pf->rid + (uint32_t)c->first_vf_offset + (uint32_t)(c->total_vfs - 1) * c->vf_stride;
	if (!c->total_vfs || c->initial_vfs > c->total_vfs || !c->first_vf_offset ||
	    (c->total_vfs > 1 && !c->vf_stride) || last > 0xffff) {
		log_error(PCIE_TOPIC, "SR-IOV init: bad TotalVFs %u / InitialVFs %u / offset %u / stride %u",
			  c->total_vfs, c->initial_vfs, c->first_vf_offset, c->vf_stride);
		return -EINVAL;
	}
	pf->vfs = calloc(c->total_vfs, sizeof(*pf->vfs));
	if (!pf->vfs)
		return -ENOMEM;
	pf->sriov = *c;

	/* ARI is the first extended capability; chain SR-IOV after it. */
	pcie__set(cfg, PCIE_OFF_ARI, 4, PCI_EXT_CAP_HDR(PCI_EXT_CAP_ID_ARI, 1, PCIE_OFF_SRIOV));
	pcie__set(cfg, SRIOV(0), 4, PCI_EXT_CAP_HDR(PCI_EXT_CAP_ID_SRIOV, 1, 0));
	pcie__set(cfg, SRIOV(PCI_SRIOV_CAP), 4, 0);	/* no VF migration */
	pcie__set(wm, SRIOV(PCI_SRIOV_CTRL), 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI);
	pcie__set(pf->w1cmask, SRIOV(PCI_SRIOV_STATUS), 2, PCI_SRIOV_STATUS_VFM);
	pcie__set(cfg, SRIOV(PCI_SRIOV_INITIAL_VF), 2, c->initial_vfs);
	pcie__set(cfg, SRIOV(PCI_SRIOV_TOTAL_VF), 2, c->total_vfs);
	pcie__set(wm, SRIOV(PCI_SRIOV_NUM_VF), 2, 0xffff);
	cfg[SRIOV(PCI_SRIOV_FUNC_LINK)] = (uint8_t)(pf->rid & 0xff);
	pcie__set(cfg, SRIOV(PCI_SRIOV_VF_OFFSET), 2, c->first_vf_offset);
	pcie__set(cfg, SRIOV(PCI_SRIOV_VF_STRIDE), 2, c->vf_stride);
	pcie__set(cfg, SRIOV(PCI_SRIOV_VF_DID), 2, c->vf_device_id);
	pcie__set(cfg, SRIOV(PCI_SRIOV_SUP_PGSIZE), 4, PCI_SRIOV_SUP_PGSIZE_DEFAULT);
	pcie__set(cfg, SRIOV(PCI_SRIOV_SYS_PGSIZE), 4, 1);	/* 4 KiB */
	pcie__set(wm, SRIOV(PCI_SRIOV_SYS_PGSIZE), 4, 0xffffffff);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pcie_bar_info *b = &c->vf.bars[i];
		if (b->size) {
			pcie__set(cfg, SRIOV(PCI_SRIOV_BAR) + 4 * i, 4, pcie__bar_flags(b));
			if (b->mem64)
				i++;
		}
	}
	pcie__bar_masks(wm, SRIOV(PCI_SRIOV_BAR), c->vf.bars, PCI_NUM_BARS, 4096);
	pcie__set(cfg, SRIOV(PCI_SRIOV_VFM_OFFSET), 4, 0);
	pf->has_sriov = true;
	memcpy(pf->init, cfg, PCI_CFG_SIZE);
	memcpy(pf->init_wmask, wm, PCI_CFG_SIZE);

	for (unsigned n = 1; n <= c->total_vfs; n++) {
		struct pcie_function *vf = calloc(1, sizeof(*vf));

		if (!vf)
			return -ENOMEM;	/* pcie_host_destroy frees what exists */
		vf->host = pf->host;
		vf->pf = pf;
		vf->index = n;
		vf->rid = pcie__vf_rid(pf, n);
		vf->state = PCIE_FN_DISABLED;
		vf->ops = pf->ops;
		vf->ctx = pf->ctx;
		pcie__fn_build(vf, &c->vf, true);
		pf->vfs[n - 1] = vf;
	}
	log_info(PCIE_TOPIC, "%02x:%02x.%x: SR-IOV capability at 0x%x, TotalVFs %u, offset %u, stride %u, VF device 0x%x",
		 PCIE_RID_BUS(pf->rid), PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), PCIE_OFF_SRIOV,
		 c->total_vfs, c->first_vf_offset, c->vf_stride, c->vf_device_id);
	return 0;
}

static void vfs_enable(struct pcie_function *pf, unsigned num)
{
	for (unsigned n = 1; n <= num; n++) {
		struct pcie_function *vf = pf->vfs[n - 1];

		vf->rid = pcie__vf_rid(pf, n);
		memcpy(vf->cfg, vf->init, PCI_CFG_SIZE);
		memcpy(vf->wmask, vf->init_wmask, PCI_CFG_SIZE);
		vf->bus_master = false;
		pcie__fn_update_window(vf);
		pcie__msix_reset(vf);
		if (pcie__fn_set_state(vf, PCIE_FN_ENABLED))
			continue;
		if (vf->ops && vf->ops->reset)
			vf->ops->reset(vf->ctx, vf);
	}
	pf->num_vfs_enabled = num;
	log_info(PCIE_TOPIC, "%02x:%02x.%x: VF Enable set, %u VFs present", PCIE_RID_BUS(pf->rid),
		 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), num);
	if (pf->ops && pf->ops->vfs_changed)
		pf->ops->vfs_changed(pf->ctx, pf, num);
}

static void vfs_disable(struct pcie_function *pf)
{
	unsigned num = pf->num_vfs_enabled;

	for (unsigned n = 1; n <= num; n++) {
		struct pcie_function *vf = pf->vfs[n - 1];

		if (pcie__fn_set_state(vf, PCIE_FN_DISABLED))
			continue;
		if (vf->ops && vf->ops->reset)
			vf->ops->reset(vf->ctx, vf);
		vf->dma_base = NULL;	/* the IOMMU mapping goes with the function */
		vf->dma_size = 0;
		pcie__fn_update_window(vf);
	}
	pf->num_vfs_enabled = 0;
	log_info(PCIE_TOPIC, "%02x:%02x.%x: VF Enable cleared, %u VFs removed", PCIE_RID_BUS(pf->rid),
		 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), num);
	if (pf->ops && pf->ops->vfs_changed)
		pf->ops->vfs_changed(pf->ctx, pf, 0);
}

void pcie__sriov_reset(struct pcie_function *pf)
{
	if (pf->num_vfs_enabled ||
	    (pcie__get(pf->cfg, SRIOV(PCI_SRIOV_CTRL), 2) & PCI_SRIOV_CTRL_VFE))
		vfs_disable(pf);
}

static void restore(struct pcie_function *pf, const uint8_t *old, unsigned reg, unsigned len)
{
	memcpy(pf->cfg + SRIOV(reg), old + reg, len);
}

int pcie__sriov_write(struct pcie_function *pf, unsigned off, unsigned len, const uint8_t *old)
{
	uint32_t octrl = pcie__get(old, PCI_SRIOV_CTRL, 2);
	uint32_t nctrl = pcie__get(pf->cfg, SRIOV(PCI_SRIOV_CTRL), 2);
	uint32_t onum = pcie__get(old, PCI_SRIOV_NUM_VF, 2);
	uint32_t nnum = pcie__get(pf->cfg, SRIOV(PCI_SRIOV_NUM_VF), 2);
	uint32_t opg = pcie__get(old, PCI_SRIOV_SYS_PGSIZE, 4);
	uint32_t npg = pcie__get(pf->cfg, SRIOV(PCI_SRIOV_SYS_PGSIZE), 4);
	bool was_on = octrl & PCI_SRIOV_CTRL_VFE;
	int rc = 0;

	(void)off;
	(void)len;
	/* NumVFs, System Page Size and ARI Capable Hierarchy may change only
	 * while VF Enable is clear (9.3.3.3.5, 9.3.3.7, 9.3.3.13). */
	if (was_on && nnum != onum) {
		log_warn(PCIE_TOPIC, "SR-IOV: NumVFs write %u while VF Enable is set ignored (stays %u)", nnum, onum);
		restore(pf, old, PCI_SRIOV_NUM_VF, 2);
		rc = -EBUSY;
	}
	if (npg != opg) {
		if (was_on) {
			log_warn(PCIE_TOPIC, "SR-IOV: System Page Size write 0x%x while VF Enable is set ignored", npg);
			restore(pf, old, PCI_SRIOV_SYS_PGSIZE, 4);
			rc = -EBUSY;
		} else if (!npg || (npg & (npg - 1)) || !(npg & PCI_SRIOV_SUP_PGSIZE_DEFAULT)) {
			log_warn(PCIE_TOPIC, "SR-IOV: System Page Size 0x%x is not one supported size (0x%x), ignored",
				 npg, PCI_SRIOV_SUP_PGSIZE_DEFAULT);
			restore(pf, old, PCI_SRIOV_SYS_PGSIZE, 4);
			rc = -EINVAL;
		} else {
			/* VF BARs are aligned to the system page size, so their
			 * sizing masks follow it. */
			pcie__bar_masks(pf->wmask, SRIOV(PCI_SRIOV_BAR), pf->sriov.vf.bars, PCI_NUM_BARS,
					page_bytes(npg));
			for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
				unsigned a = SRIOV(PCI_SRIOV_BAR) + 4 * i;
				uint32_t keep = pcie__get(pf->wmask, a, 4) | (pcie__get(pf->cfg, a, 4) & 0xf);
				pcie__set(pf->cfg, a, 4, pcie__get(pf->cfg, a, 4) & keep);
			}
		}
	}
	if (was_on && (nctrl & PCI_SRIOV_CTRL_VFE) && ((nctrl ^ octrl) & PCI_SRIOV_CTRL_ARI)) {
		log_warn(PCIE_TOPIC, "SR-IOV: ARI Capable Hierarchy change while VF Enable is set ignored");
		pcie__set(pf->cfg, SRIOV(PCI_SRIOV_CTRL), 2,
			  (nctrl & ~PCI_SRIOV_CTRL_ARI) | (octrl & PCI_SRIOV_CTRL_ARI));
		rc = -EBUSY;
	}
	nnum = pcie__get(pf->cfg, SRIOV(PCI_SRIOV_NUM_VF), 2);
	if (!was_on && (nctrl & PCI_SRIOV_CTRL_VFE)) {
		if (nnum > pf->sriov.total_vfs) {
			log_warn(PCIE_TOPIC, "SR-IOV: VF Enable with NumVFs %u > TotalVFs %u refused",
				 nnum, pf->sriov.total_vfs);
			pcie__set(pf->cfg, SRIOV(PCI_SRIOV_CTRL), 2, nctrl & ~PCI_SRIOV_CTRL_VFE);
			return -EINVAL;
		}
		vfs_enable(pf, nnum);
	} else if (was_on && !(nctrl & PCI_SRIOV_CTRL_VFE)) {
		vfs_disable(pf);
	}
	return rc;
}

struct pcie_function *pcie_pf_vf(struct pcie_function *pf, unsigned n)
{
	if (!pf || !pf->has_sriov || n < 1 || n > pf->sriov.total_vfs)
		return NULL;
	return pf->vfs[n - 1];
}

unsigned pcie_pf_num_vfs(const struct pcie_function *pf)
{
	return pf->num_vfs_enabled;
}

unsigned pcie_pf_total_vfs(const struct pcie_function *pf)
{
	return pf->has_sriov ? pf->sriov.total_vfs : 0;
}

uint64_t pcie_fn_bar_addr(const struct pcie_function *fn, unsigned bar)
{
	const struct pcie_bar_info *b;
	const uint8_t *cfg;
	unsigned reg;
	uint64_t addr;

	if (bar >= PCI_NUM_BARS || !fn->conf.bars[bar].size)
		return 0;
	b = &fn->conf.bars[bar];
	if (fn->index) {
		cfg = fn->pf->cfg;
		reg = SRIOV(PCI_SRIOV_BAR) + 4 * bar;
	} else {
		cfg = fn->cfg;
		reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	}
	addr = pcie__get(cfg, reg, 4) & 0xfffffff0u;
	if (b->mem64)
		addr |= (uint64_t)pcie__get(cfg, reg + 4, 4) << 32;
	if (!addr)
		return 0;
	if (fn->index) {
		uint64_t ap = b->size;
		uint64_t pg = page_bytes(pcie__get(cfg, SRIOV(PCI_SRIOV_SYS_PGSIZE), 4));
		if (ap < pg)
			ap = pg;
		addr += (uint64_t)(fn->index - 1) * ap;
	}
	return addr;
}

uint64_t pcie__vf_bar_aperture(const struct pcie_function *pf, unsigned bar)
{
	uint64_t ap = pf->sriov.vf.bars[bar].size;
	uint64_t pg = page_bytes(pcie__get(pf->cfg, SRIOV(PCI_SRIOV_SYS_PGSIZE), 4));

	return ap && ap < pg ? pg : ap;
}
