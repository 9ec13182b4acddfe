/*
 * The host bus of the PCIe model: the root complex and the one root port a
 * device sits below, with its bus numbers, the MMIO windows firmware uses to
 * place PF and VF BARs, the platform properties (IOMMU, interrupt remapping,
 * ACS, _OSC, SLAT, bus numbers, VF BAR space) and the PCI bus driver's
 * SriovSupport verdict computed from them (DEVPKEY_PciDevice_SriovSupport,
 * tools-and-views.md 1.4). It routes config accesses by Routing ID (PF RID,
 * VF RID = PF RID + First VF Offset + (n-1) * VF Stride) and MMIO by
 * physical address. Owns every function created on it. PCIe Base 4.0
 * sections 2.2.4 (routing), 6.13 (ARI), 9.2 (SR-IOV resources).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "pcie/pcie_int.h"

#define MMIO32_BASE	0xe0000000ull
#define MMIO32_END	0xf0000000ull
#define VF_BAR_BASE	0x4000000000ull

struct pcie_host *pcie_host_create(void)
{
	struct pcie_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->plat = (struct pcie_platform){
		.dma_remapping = true,
		.interrupt_remapping = true,
		.acs_root_port = true,
		.osc_pcie_control = true,
		.slat = true,
		.bus_numbers = 8,
		.vf_bar_space = 1ull << 30,
	};
	return h;
}

void pcie_host_destroy(struct pcie_host *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->num_pfs; i++) {
		struct pcie_function *pf = h->pfs[i];

		if (pf->vfs)
			for (unsigned n = 0; n < pf->sriov.total_vfs; n++)
				free(pf->vfs[n]);
		free(pf->vfs);
		free(pf);
	}
	free(h);
}

void pcie_host_set_platform(struct pcie_host *h, const struct pcie_platform *p)
{
	h->plat = *p;
	log_info(PCIE_TOPIC, "platform: DMA remapping %s, interrupt remapping %s, ACS %s, _OSC %s, SLAT %s, %u bus numbers, VF BAR space 0x%llx",
		 p->dma_remapping ? "on" : "off", p->interrupt_remapping ? "on" : "off",
		 p->acs_root_port ? "on" : "off", p->osc_pcie_control ? "granted" : "denied",
		 p->slat ? "yes" : "no", p->bus_numbers, (unsigned long long)p->vf_bar_space);
}

void pcie_host_get_platform(const struct pcie_host *h, struct pcie_platform *p)
{
	*p = h->plat;
}

void pcie_host_set_msi_handler(struct pcie_host *h, pcie_msi_fn fn, void *ctx)
{
	h->msi_fn = fn;
	h->msi_ctx = ctx;
}

struct pcie_function *pcie_pf_create(struct pcie_host *h, uint8_t bus, uint8_t devfn,
				     const struct pcie_function_config *cfg,
				     const struct pcie_function_ops *ops, void *ctx)
{
	struct pcie_function *pf;
	uint16_t rid = (uint16_t)((bus << 8) | devfn);

	if (!h || !cfg || cfg->msix_vectors > PCIE_MSIX_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (h->num_pfs == PCIE_MAX_PFS || pcie_host_find(h, rid)) {
		log_error(PCIE_TOPIC, "%02x:%02x.%x: cannot add a PF there", bus, devfn >> 3, devfn & 7);
		errno = EEXIST;
		return NULL;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf) {
		errno = ENOMEM;
		return NULL;
	}
	pf->host = h;
	pf->pf = pf;
	pf->rid = rid;
	pf->state = PCIE_FN_ENABLED;
	pf->ops = ops;
	pf->ctx = ctx;
	pcie__fn_build(pf, cfg, false);
	pcie__msix_reset(pf);
	h->pfs[h->num_pfs++] = pf;
	return pf;
}

struct pcie_function *pcie_host_find(const struct pcie_host *h, uint16_t rid)
{
	for (unsigned i = 0; i < h->num_pfs; i++) {
		struct pcie_function *pf = h->pfs[i];

		if (pf->rid == rid)
			return pf;
		for (unsigned n = 1; n <= pf->num_vfs_enabled; n++)
			if (pf->vfs[n - 1]->rid == rid)
				return pf->vfs[n - 1];
	}
	return NULL;
}

size_t pcie_host_list(const struct pcie_host *h, struct pcie_function **out, size_t max)
{
	size_t count = 0;

	for (unsigned i = 0; i < h->num_pfs; i++) {
		struct pcie_function *pf = h->pfs[i];

		if (count < max)
			out[count] = pf;
		count++;
		for (unsigned n = 1; n <= pf->num_vfs_enabled; n++) {
			if (count < max)
				out[count] = pf->vfs[n - 1];
			count++;
		}
	}
	/* insertion sort by RID over what fitted */
	for (size_t i = 1; i < count && i < max; i++)
		for (size_t j = i; j > 0 && out[j - 1]->rid > out[j]->rid; j--) {
			struct pcie_function *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return count;
}

int pcie_host_cfg_read(struct pcie_host *h, uint16_t rid, unsigned off, unsigned len, uint32_t *val)
{
	struct pcie_function *fn = pcie_host_find(h, rid);

	if (!fn) {
		*val = 0xffffffffu;	/* master abort: all ones */
		return -ENODEV;
	}
	return pcie_cfg_read(fn, off, len, val);
}

int pcie_host_cfg_write(struct pcie_host *h, uint16_t rid, unsigned off, unsigned len, uint32_t val)
{
	struct pcie_function *fn = pcie_host_find(h, rid);

	if (!fn) {
		log_warn(PCIE_TOPIC, "config write to %02x:%02x.%x: no such function", PCIE_RID_BUS(rid),
			 PCIE_RID_DEV(rid), PCIE_RID_FN(rid));
		return -ENODEV;
	}
	return pcie_cfg_write(fn, off, len, val);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t vf_bar_need(const struct pcie_function *pf)
{
	uint64_t need = 0;

	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t ap = pcie__vf_bar_aperture(pf, b);
		if (ap)
			need = align_up(need, ap) + ap * pf->sriov.total_vfs;
	}
	return need;
}

int pcie_host_assign_bars(struct pcie_host *h)
{
	uint64_t cur = MMIO32_BASE, vcur = VF_BAR_BASE;
	int rc = 0;

	for (unsigned i = 0; i < h->num_pfs; i++) {
		struct pcie_function *pf = h->pfs[i];

		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			const struct pcie_bar_info *bi = &pf->conf.bars[b];
			uint64_t a;

			if (!bi->size)
				continue;
			a = align_up(cur, bi->size);
			if (a + bi->size > MMIO32_END) {
				log_error(PCIE_TOPIC, "no MMIO space left for BAR%u of %02x:%02x.%x", b,
					  PCIE_RID_BUS(pf->rid), PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid));
				rc = -ENOSPC;
				continue;
			}
			pcie_cfg_write(pf, PCI_BASE_ADDRESS_0 + 4 * b, 4, (uint32_t)a);
			if (bi->mem64)
				pcie_cfg_write(pf, PCI_BASE_ADDRESS_0 + 4 * (b + 1), 4, (uint32_t)(a >> 32));
			cur = a + bi->size;
			if (bi->mem64)
				b++;
		}
		pcie_cfg_write(pf, PCI_COMMAND, 2,
			       pcie__get(pf->cfg, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY);
		if (!pf->has_sriov)
			continue;
		pf->vf_bar_space_short = vf_bar_need(pf) > h->plat.vf_bar_space - (vcur - VF_BAR_BASE);
		if (pf->vf_bar_space_short) {
			log_warn(PCIE_TOPIC, "%02x:%02x.%x: VF BARs need 0x%llx bytes, VF BAR space is 0x%llx: not placed",
				 PCIE_RID_BUS(pf->rid), PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid),
				 (unsigned long long)vf_bar_need(pf), (unsigned long long)h->plat.vf_bar_space);
			continue;
		}
		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			const struct pcie_bar_info *bi = &pf->sriov.vf.bars[b];
			uint64_t span = pcie__vf_bar_aperture(pf, b) * pf->sriov.total_vfs, a;
			unsigned reg = PCIE_OFF_SRIOV + PCI_SRIOV_BAR + 4 * b;

			if (!bi->size)
				continue;
			a = align_up(vcur, pcie__vf_bar_aperture(pf, b));
			pcie_cfg_write(pf, reg, 4, (uint32_t)a);
			if (bi->mem64)
				pcie_cfg_write(pf, reg + 4, 4, (uint32_t)(a >> 32));
			vcur = a + span;
			if (bi->mem64)
				b++;
		}
	}
	return rc;
}

enum pcie_sriov_support pcie_host_sriov_support(const struct pcie_host *h,
						const struct pcie_function *pf)
{
	unsigned last_bus, buses;

	if (!pf || pf->index || !pf->has_sriov)
		return PCIE_SRIOV_MISSING_PF_DRIVER;
	if (!h->plat.acs_root_port)
		return PCIE_SRIOV_MISSING_ACS;
	last_bus = PCIE_RID_BUS(pcie__vf_rid(pf, pf->sriov.total_vfs));
	buses = last_bus - PCIE_RID_BUS(pf->rid) + 1;
	if (buses > h->plat.bus_numbers)
		return PCIE_SRIOV_NO_BUS_RESOURCE;
	/*
	 * The buses the VFs' routing IDs need must be free (PCIe 4.0 9.3.3.10):
	 * a device on one of them (a second NIC on the next bus, below a first
	 * with 256 VFs) would answer for a VF's RID, or a VF for it.
	 */
	for (unsigned i = 0; i < h->num_pfs; i++)
		if (h->pfs[i] != pf && PCIE_RID_BUS(h->pfs[i]->rid) > PCIE_RID_BUS(pf->rid) &&
		    PCIE_RID_BUS(h->pfs[i]->rid) <= last_bus)
			return PCIE_SRIOV_NO_BUS_RESOURCE;
	if (pf->vf_bar_space_short || vf_bar_need(pf) > h->plat.vf_bar_space)
		return PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE;
	return PCIE_SRIOV_OK;
}

const char *pcie_sriov_support_name(enum pcie_sriov_support s)
{
	switch (s) {
	case PCIE_SRIOV_OK: return "Ok";
	case PCIE_SRIOV_MISSING_ACS: return "MissingAcs";
	case PCIE_SRIOV_MISSING_PF_DRIVER: return "MissingPfDriver";
	case PCIE_SRIOV_NO_BUS_RESOURCE: return "NoBusResource";
	case PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE: return "DidntGetVfBarSpace";
	}
	return "?";
}

/* addr inside fn's BAR b: keep it if its RID is the lowest seen (the old list order). */
static void decode_try(struct pcie_function *fn, unsigned b, uint64_t addr, struct pcie_function **best,
		       unsigned *bar, uint64_t *off)
{
	uint64_t base = pcie_fn_bar_addr(fn, b), size = pcie_fn_bar_size(fn, b);

	if (base && addr >= base && addr - base < size && (!*best || fn->rid < (*best)->rid)) {
		*best = fn;
		*bar = b;
		*off = addr - base;
	}
}

/*
 * Which function's BAR decodes addr. A PF's own BARs are checked directly;
 * its VFs' BARs are one array per BAR index (VF n at VF BAR base + (n - 1)
 * x aperture, PCIe base spec 9.3.3.14), so the VF is found by division, not
 * by walking every enabled VF: O(PFs x BARs) per access instead of listing
 * and sorting up to 257 functions per PF on every register access of the
 * host's PF driver. Overlapping BARs (a misprogrammed host) resolve to the
 * lowest RID, as the walk in RID order did.
 */
static struct pcie_function *decode(struct pcie_host *h, uint64_t addr, unsigned *bar, uint64_t *off)
{
	struct pcie_function *best = NULL;

	for (unsigned i = 0; i < h->num_pfs; i++) {
		struct pcie_function *pf = h->pfs[i];

		for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
			uint64_t first, ap, n;

			decode_try(pf, b, addr, &best, bar, off);
			if (!pf->num_vfs_enabled)
				continue;
			first = pcie_fn_bar_addr(pf->vfs[0], b);
			ap = pcie__vf_bar_aperture(pf, b);
			if (!first || !ap || addr < first)
				continue;
			n = (addr - first) / ap;
			if (n < pf->num_vfs_enabled)
				decode_try(pf->vfs[n], b, addr, &best, bar, off);
		}
	}
	return best;
}

int pcie_host_mmio_read32(struct pcie_host *h, uint64_t addr, uint32_t *val)
{
	unsigned bar;
	uint64_t off;
	struct pcie_function *fn = decode(h, addr, &bar, &off);

	if (!fn) {
		*val = 0xffffffffu;
		log_warn(PCIE_TOPIC, "MMIO read at 0x%llx: no BAR decodes it", (unsigned long long)addr);
		return -ENXIO;
	}
	return pcie_mmio_read32(fn, bar, off, val);
}

int pcie_host_mmio_write32(struct pcie_host *h, uint64_t addr, uint32_t val)
{
	unsigned bar;
	uint64_t off;
	struct pcie_function *fn = decode(h, addr, &bar, &off);

	if (!fn) {
		log_warn(PCIE_TOPIC, "MMIO write at 0x%llx: no BAR decodes it", (unsigned long long)addr);
		return -ENXIO;
	}
	return pcie_mmio_write32(fn, bar, off, val);
}
