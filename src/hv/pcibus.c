/*
 * The root partition's PCI bus driver for one PF (pcibus.h): the lower edge
 * NDIS sits on in the parent partition. Every access goes to the host bus by
 * routing ID or physical address, exactly as pci.sys reaches hardware -- the
 * PF and its VFs are never touched through a device model's private API.
 * Config space (PCI 3.0 section 6, PCIe Base 4.0 section 7.5) is split into
 * naturally aligned 1/2/4-byte transactions; the SR-IOV capability is
 * programmed in the order of ndis-sriov-spec.md 8.5 (NumVFs, then VF Enable
 * with VF MSE and ARI Capable Hierarchy; disable in reverse).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/pcibus.h"
#include "pcie/pci_regs.h"

#define PCIBUS_TOPIC "lab.hv.pcibus"
#define PCIBUS_PAGE 4096u
#define PCIBUS_DMA_PAGES (PCIBUS_DMA_SIZE / PCIBUS_PAGE)
#define PCIBUS_MSI_ADDR 0xfee00000u	/* the local APIC's message window */

struct pcibus_map {
	struct pcibus_map *next;
	uint8_t *va;		/* stand-in bytes; every access goes through the hooks */
	uint64_t phys;
	uint32_t len;
};

struct pcibus_pf {
	struct pcie_host *host;
	struct pcie_function *fn;
	uint16_t rid;
	unsigned sriov;			/* SR-IOV capability offset, 0 = none */
	uint32_t probed[PCI_NUM_BARS];	/* VF BARs read back after the all-ones probe */
	struct pcibus_map *maps;
	unsigned n_maps;
	unsigned enable_calls;
	int last_refusal;
	/* root-partition memory assigned to the PF as its IOMMU domain */
	uint8_t *dma;
	uint8_t dma_used[PCIBUS_DMA_PAGES];	/* pages: 0 free, else the run's first page is 2 */
	unsigned dma_pages_used;
	/* the connected interrupt */
	void (*isr)(void *ctx, unsigned message);
	void *isr_ctx;
	unsigned msix;				/* MSI-X capability offset, 0 = none */
	unsigned msix_vectors;
	pcie_msi_fn fwd;			/* messages of other functions */
	void *fwd_ctx;
};

/* ---- config space ---------------------------------------------------------- */

/* Largest naturally aligned access at off that fits in n bytes. */
static unsigned chunk(uint32_t off, uint32_t n)
{
	if (!(off & 3) && n >= 4)
		return 4;
	if (!(off & 1) && n >= 2)
		return 2;
	return 1;
}

static int cfg_rw(struct pcie_host *host, uint16_t rid, uint32_t off, uint8_t *buf, uint32_t len, bool write)
{
	uint32_t done = 0;

	if (off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
		return -EINVAL;
	while (done < len) {
		unsigned n = chunk(off + done, len - done);
		uint32_t v = 0;
		int rc;

		if (write) {
			for (unsigned i = 0; i < n; i++)
				v |= (uint32_t)buf[done + i] << (8 * i);
			rc = pcie_host_cfg_write(host, rid, off + done, n, v);
			/* A write the register ignores (RO, -EBUSY) is not a bus error. */
			if (rc == -ENODEV)
				return rc;
		} else {
			rc = pcie_host_cfg_read(host, rid, off + done, n, &v);
			if (rc == -ENODEV)
				return rc;
			for (unsigned i = 0; i < n; i++)
				buf[done + i] = (uint8_t)(v >> (8 * i));
		}
		done += n;
	}
	return (int)len;
}

static uint32_t cfg32(const struct pcibus_pf *pf, unsigned off, unsigned len)
{
	uint32_t v = 0;

	(void)pcie_host_cfg_read(pf->host, pf->rid, off, len, &v);
	return v;
}

static int cfg_set(struct pcibus_pf *pf, unsigned off, unsigned len, uint32_t v)
{
	return pcie_host_cfg_write(pf->host, pf->rid, off, len, v);
}

/* Walk the extended capability list for the SR-IOV capability. */
static unsigned find_sriov(const struct pcibus_pf *pf)
{
	unsigned off = PCI_EXT_CAP_START;

	for (unsigned guard = 0; off >= PCI_EXT_CAP_START && off < PCI_CFG_SIZE && guard < 64; guard++) {
		uint32_t h = cfg32(pf, off, 4);

		if (h == 0 || h == 0xffffffffu)
			return 0;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_SRIOV)
			return off;
		off = (h >> 20) & 0xffc;
	}
	return 0;
}

/* pci.sys sizes the VF BARs once at enumeration (PCIe Base 4.0 9.3.3.14). */
static void probe_vf_bars(struct pcibus_pf *pf)
{
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		unsigned reg = pf->sriov + PCI_SRIOV_BAR + 4 * b;
		uint32_t saved = cfg32(pf, reg, 4);

		(void)cfg_set(pf, reg, 4, 0xffffffffu);
		pf->probed[b] = cfg32(pf, reg, 4);
		(void)cfg_set(pf, reg, 4, saved);
	}
}

static int config_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	struct pcibus_pf *pf = ctx;

	return cfg_rw(pf->host, pf->rid, off, buf, len, false);
}

static int config_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	struct pcibus_pf *pf = ctx;

	return cfg_rw(pf->host, pf->rid, off, (uint8_t *)(uintptr_t)buf, len, true);
}

/* ---- the PCI virtualization interface ----------------------------------------- */
static bool vfs_enabled(const struct pcibus_pf *pf)
{
	return pf->sriov && (cfg32(pf, pf->sriov + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE);
}

/* RID of VF vf (0-based, as NDIS numbers them), or -ENODEV if it is not enabled. */
static int vf_rid(const struct pcibus_pf *pf, uint16_t vf, uint16_t *rid)
{
	uint32_t num, off, stride;

	if (!vfs_enabled(pf))
		return -ENODEV;
	num = cfg32(pf, pf->sriov + PCI_SRIOV_NUM_VF, 2);
	if (vf >= num)
		return -ENODEV;
	off = cfg32(pf, pf->sriov + PCI_SRIOV_VF_OFFSET, 2);
	stride = cfg32(pf, pf->sriov + PCI_SRIOV_VF_STRIDE, 2);
	*rid = (uint16_t)(pf->rid + off + (uint32_t)vf * stride);
	return 0;
}

static int vf_config_rw(void *ctx, uint16_t vf, uint32_t off, uint8_t *buf, uint32_t len, bool write)
{
	struct pcibus_pf *pf = ctx;
	uint16_t rid;
	int rc = vf_rid(pf, vf, &rid);

	if (rc) {
		log_warn(PCIBUS_TOPIC, "%02x:%02x.%x: VF %u config %s refused: VF not enabled", PCIE_RID_BUS(pf->rid),
			 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), vf, write ? "write" : "read");
		return rc;
	}
	return cfg_rw(pf->host, rid, off, buf, len, write);
}

static int vf_config_read(void *ctx, uint16_t vf, uint32_t off, void *buf, uint32_t len)
{
	return vf_config_rw(ctx, vf, off, buf, len, false);
}

static int vf_config_write(void *ctx, uint16_t vf, uint32_t off, const void *buf, uint32_t len)
{
	return vf_config_rw(ctx, vf, off, (uint8_t *)(uintptr_t)buf, len, true);
}

static int vf_location(void *ctx, uint16_t vf, uint16_t *segment, uint8_t *bus, uint8_t *function)
{
	struct pcibus_pf *pf = ctx;
	uint16_t rid;
	int rc = vf_rid(pf, vf, &rid);

	if (rc)
		return rc;
	*segment = 0;
	*bus = (uint8_t)PCIE_RID_BUS(rid);
	*function = (uint8_t)(rid & 0xff);	/* ARI: the whole devfn byte is the function */
	return 0;
}

static int refuse(struct pcibus_pf *pf, int err, const char *why)
{
	log_warn(PCIBUS_TOPIC, "%02x:%02x.%x: EnableVirtualization refused: %s", PCIE_RID_BUS(pf->rid),
		 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), why);
	pf->last_refusal = err;
	return err;
}

/* What pci.sys checks before it lets VFs appear (failure catalogue F01-F11). */
static const char *platform_refusal(const struct pcibus_pf *pf)
{
	struct pcie_platform p;

	pcie_host_get_platform(pf->host, &p);
	if (!p.osc_pcie_control)
		return "firmware did not grant native PCIe control (_OSC)";
	if (!p.dma_remapping)
		return "no IOMMU DMA remapping";
	if (!p.interrupt_remapping)
		return "no interrupt remapping";
	switch (pcie_host_sriov_support(pf->host, pf->fn)) {
	case PCIE_SRIOV_OK:
		return NULL;
	case PCIE_SRIOV_MISSING_ACS:
		return "no ACS on the root port (SriovSupport MissingAcs)";
	case PCIE_SRIOV_NO_BUS_RESOURCE:
		return "not enough bus numbers for the VF routing IDs (SriovSupport NoBusResource)";
	case PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE:
		return "VF BARs got no space (SriovSupport DidntGetVfBarSpace)";
	case PCIE_SRIOV_MISSING_PF_DRIVER:
		return "the PF has no SR-IOV capability (SriovSupport MissingPfDriver)";
	}
	return "unknown platform state";
}

static int enable_virtualization(void *ctx, uint16_t num_vfs, bool enable)
{
	struct pcibus_pf *pf = ctx;
	unsigned ctrl_reg, total;
	uint32_t ctrl;
	const char *why;
	int rc;

	pf->enable_calls++;
	if (!pf->sriov)
		return refuse(pf, -ENOTSUP, "the PF has no SR-IOV capability");
	ctrl_reg = pf->sriov + PCI_SRIOV_CTRL;
	ctrl = cfg32(pf, ctrl_reg, 2);
	if (!enable) {
		if (num_vfs)
			return refuse(pf, -EINVAL, "NumVFs must be 0 when disabling");
		if (!(ctrl & PCI_SRIOV_CTRL_VFE))
			return 0;
		/* Reverse order: VF Enable and VF MSE off, then NumVFs 0. */
		if ((rc = cfg_set(pf, ctrl_reg, 2, ctrl & ~(PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE))) ||
		    (rc = cfg_set(pf, pf->sriov + PCI_SRIOV_NUM_VF, 2, 0)))
			return refuse(pf, rc, "the SR-IOV capability refused the write");
		log_info(PCIBUS_TOPIC, "%02x:%02x.%x: virtualization disabled", PCIE_RID_BUS(pf->rid),
			 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid));
		return 0;
	}
	if (ctrl & PCI_SRIOV_CTRL_VFE)
		return refuse(pf, -EBUSY, "VFs are enabled already; disable first");
	total = cfg32(pf, pf->sriov + PCI_SRIOV_TOTAL_VF, 2);
	if (num_vfs == 0 || num_vfs > total)
		return refuse(pf, -EINVAL, num_vfs ? "NumVFs above TotalVFs" : "NumVFs 0");
	if ((why = platform_refusal(pf)))
		return refuse(pf, -ENOTSUP, why);
	if ((rc = cfg_set(pf, pf->sriov + PCI_SRIOV_NUM_VF, 2, num_vfs)) ||
	    (rc = cfg_set(pf, ctrl_reg, 2, ctrl | PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI)))
		return refuse(pf, rc, "the SR-IOV capability refused the write");
	if (!vfs_enabled(pf))
		return refuse(pf, -EIO, "VF Enable did not stick");
	pf->last_refusal = 0;
	log_info(PCIBUS_TOPIC, "%02x:%02x.%x: virtualization enabled with %u of %u VFs", PCIE_RID_BUS(pf->rid),
		 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), num_vfs, total);
	return 0;
}

static int query_probed_bars(void *ctx, uint32_t values[6])
{
	struct pcibus_pf *pf = ctx;

	if (!pf->sriov)
		return -ENOTSUP;
	memcpy(values, pf->probed, sizeof(pf->probed));
	return 0;
}

/* ---- MMIO ---------------------------------------------------------------------- */

/* True if [phys, phys+len) lies inside one of the PF's BARs. */
static bool in_pf_bar(const struct pcibus_pf *pf, uint64_t phys, uint32_t len)
{
	for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
		uint64_t base = pcie_fn_bar_addr(pf->fn, b), size = pcie_fn_bar_size(pf->fn, b);

		if (base && size && phys >= base && len <= size && phys - base <= size - len)
			return true;
	}
	return false;
}

static int map_io_space(void *ctx, uint64_t phys, uint32_t len, void **va)
{
	struct pcibus_pf *pf = ctx;
	struct pcibus_map *m;

	if (!len || !in_pf_bar(pf, phys, len)) {
		log_warn(PCIBUS_TOPIC, "%02x:%02x.%x: map of 0x%llx+0x%x is not inside a BAR of the PF",
			 PCIE_RID_BUS(pf->rid), PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid),
			 (unsigned long long)phys, len);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->va = calloc(1, len);
	if (!m->va) {
		free(m);
		return -ENOMEM;
	}
	m->phys = phys;
	m->len = len;
	m->next = pf->maps;
	pf->maps = m;
	pf->n_maps++;
	*va = m->va;
	return 0;
}

static void unmap_io_space(void *ctx, void *va, uint32_t len)
{
	struct pcibus_pf *pf = ctx;

	(void)len;
	for (struct pcibus_map **pp = &pf->maps; *pp; pp = &(*pp)->next)
		if ((*pp)->va == va) {
			struct pcibus_map *m = *pp;

			*pp = m->next;
			free(m->va);
			free(m);
			pf->n_maps--;
			return;
		}
}

/* Registers are 32-bit: narrower reads take their bytes from the dword. */
static int mmio_read(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
	struct pcibus_pf *pf = ctx;
	uint32_t v = 0;
	unsigned shift = (unsigned)(phys & 3) * 8;
	int rc;

	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	rc = pcie_host_mmio_read32(pf->host, phys & ~3ull, &v);
	v >>= shift;
	*value = size == 4 ? v : v & ((1u << (8 * size)) - 1);
	return rc < 0 ? rc : 0;
}

static int mmio_write(void *ctx, uint64_t phys, unsigned size, uint64_t value)
{
	struct pcibus_pf *pf = ctx;

	if (size != 4 || (phys & 3)) {
		/* A partial write would need a read-modify-write, which a
		 * register with side effects must not see. */
		log_warn(PCIBUS_TOPIC, "%02x:%02x.%x: %u-byte register write at 0x%llx dropped (registers are 32-bit)",
			 PCIE_RID_BUS(pf->rid), PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), size,
			 (unsigned long long)phys);
		return 0;
	}
	(void)pcie_host_mmio_write32(pf->host, phys, (uint32_t)value);
	return 0;
}

/* ---- DMA memory (NdisMAllocateSharedMemory) ------------------------------------ */
/*
 * The PF lives in the root partition, so its DMA domain is root memory:
 * PCIBUS_DMA_SIZE bytes, assigned on first use, handed out in whole pages;
 * the device address of a block is its offset in the domain.
 */
static int alloc_common_buffer(void *ctx, uint32_t len, void **va, uint64_t *dma)
{
	struct pcibus_pf *pf = ctx;
	unsigned pages = (len + PCIBUS_PAGE - 1) / PCIBUS_PAGE, run = 0;

	if (!len || pages > PCIBUS_DMA_PAGES)
		return -EINVAL;
	if (!pf->dma) {
		int rc;

		pf->dma = aligned_alloc(PCIBUS_PAGE, PCIBUS_DMA_SIZE);
		if (!pf->dma)
			return -ENOMEM;
		memset(pf->dma, 0, PCIBUS_DMA_SIZE);
		rc = pcie_fn_set_dma_domain(pf->fn, pf->dma, PCIBUS_DMA_SIZE);
		if (rc) {
			free(pf->dma);
			pf->dma = NULL;
			return rc;
		}
	}
	for (unsigned p = 0; p < PCIBUS_DMA_PAGES; p++) {
		run = pf->dma_used[p] ? 0 : run + 1;
		if (run == pages) {
			unsigned first = p + 1 - pages;

			for (unsigned i = first; i <= p; i++)
				pf->dma_used[i] = 1;
			pf->dma_used[first] = 2;
			pf->dma_pages_used += pages;
			*va = pf->dma + (size_t)first * PCIBUS_PAGE;
			*dma = (uint64_t)first * PCIBUS_PAGE;
			memset(*va, 0, (size_t)pages * PCIBUS_PAGE);
			return 0;
		}
	}
	log_warn(PCIBUS_TOPIC, "%02x:%02x.%x: no %u contiguous pages left of the PF's DMA memory",
		 PCIE_RID_BUS(pf->rid), PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), pages);
	return -ENOMEM;
}

static void free_common_buffer(void *ctx, void *va, uint32_t len)
{
	struct pcibus_pf *pf = ctx;
	size_t first;

	(void)len;
	if (!pf->dma || (uint8_t *)va < pf->dma || (uint8_t *)va >= pf->dma + PCIBUS_DMA_SIZE)
		return;
	first = (size_t)((uint8_t *)va - pf->dma) / PCIBUS_PAGE;
	if (pf->dma_used[first] != 2)
		return;
	for (size_t p = first; p < PCIBUS_DMA_PAGES && pf->dma_used[p] && (p == first || pf->dma_used[p] != 2); p++) {
		pf->dma_used[p] = 0;
		pf->dma_pages_used--;
	}
}

/* ---- interrupts (IoConnectInterruptEx over MSI-X) --------------------------------- */
static unsigned find_cap(const struct pcibus_pf *pf, unsigned id)
{
	unsigned off = cfg32(pf, PCI_CAPABILITY_LIST, 1);

	for (unsigned guard = 0; off >= 0x40 && off < PCI_CFG_LEGACY_SIZE && guard < 48; guard++) {
		uint32_t h = cfg32(pf, off, 2);

		if ((h & 0xff) == id)
			return off;
		off = (h >> 8) & 0xfc;
	}
	return 0;
}

/* The host's MSI handler while the PF's interrupt is connected. */
static void msi_route(void *ctx, struct pcie_function *fn, uint64_t addr, uint32_t data)
{
	struct pcibus_pf *pf = ctx;

	if (fn == pf->fn && pf->isr) {
		pf->isr(pf->isr_ctx, data);
		return;
	}
	if (pf->fwd)
		pf->fwd(pf->fwd_ctx, fn, addr, data);
}

static uint64_t msix_table(const struct pcibus_pf *pf)
{
	uint32_t t = cfg32(pf, pf->msix + PCI_MSIX_TABLE, 4);

	return pcie_fn_bar_addr(pf->fn, t & 7) + (t & ~7u);
}

static int connect_interrupt(void *ctx, void (*isr)(void *isr_ctx, unsigned message), void *isr_ctx,
			     unsigned *messages)
{
	struct pcibus_pf *pf = ctx;
	uint64_t table;
	uint32_t flags;

	pf->msix = find_cap(pf, PCI_CAP_ID_MSIX);
	if (!pf->msix)
		return -ENOTSUP;
	flags = cfg32(pf, pf->msix + PCI_MSIX_FLAGS, 2);
	pf->msix_vectors = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	table = msix_table(pf);
	/* One message per vector: data = the vector, so the ISR knows it. */
	for (unsigned v = 0; v < pf->msix_vectors; v++) {
		(void)pcie_host_mmio_write32(pf->host, table + v * PCI_MSIX_ENTRY_SIZE, PCIBUS_MSI_ADDR);
		(void)pcie_host_mmio_write32(pf->host, table + v * PCI_MSIX_ENTRY_SIZE + 4, 0);
		(void)pcie_host_mmio_write32(pf->host, table + v * PCI_MSIX_ENTRY_SIZE + 8, v);
	}
	pf->isr = isr;
	pf->isr_ctx = isr_ctx;
	pcie_host_set_msi_handler(pf->host, msi_route, pf);
	(void)cfg_set(pf, pf->msix + PCI_MSIX_FLAGS, 2, (flags | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
	for (unsigned v = 0; v < pf->msix_vectors; v++)
		(void)pcie_host_mmio_write32(pf->host, table + v * PCI_MSIX_ENTRY_SIZE + 12, 0);
	*messages = pf->msix_vectors;
	log_info(PCIBUS_TOPIC, "%02x:%02x.%x: MSI-X enabled, %u messages connected", PCIE_RID_BUS(pf->rid),
		 PCIE_RID_DEV(pf->rid), PCIE_RID_FN(pf->rid), pf->msix_vectors);
	return 0;
}

static void disconnect_interrupt(void *ctx)
{
	struct pcibus_pf *pf = ctx;
	uint64_t table;

	if (!pf->isr)
		return;
	table = msix_table(pf);
	for (unsigned v = 0; v < pf->msix_vectors; v++)
		(void)pcie_host_mmio_write32(pf->host, table + v * PCI_MSIX_ENTRY_SIZE + 12, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	(void)cfg_set(pf, pf->msix + PCI_MSIX_FLAGS, 2, cfg32(pf, pf->msix + PCI_MSIX_FLAGS, 2) & ~PCI_MSIX_FLAGS_ENABLE);
	pf->isr = NULL;
	pf->isr_ctx = NULL;
	pcie_host_set_msi_handler(pf->host, pf->fwd, pf->fwd_ctx);
}

const struct ndis_bus_ops pcibus_ndis_ops = {
	.config_read = config_read,
	.config_write = config_write,
	.vf_config_read = vf_config_read,
	.vf_config_write = vf_config_write,
	.vf_location = vf_location,
	.enable_virtualization = enable_virtualization,
	.query_probed_bars = query_probed_bars,
	.map_io_space = map_io_space,
	.unmap_io_space = unmap_io_space,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.alloc_common_buffer = alloc_common_buffer,
	.free_common_buffer = free_common_buffer,
	.connect_interrupt = connect_interrupt,
	.disconnect_interrupt = disconnect_interrupt,
};

/* ---- lifecycle ------------------------------------------------------------------ */
int pcibus_pf_create(struct pcie_host *host, uint16_t rid, struct pcibus_pf **out)
{
	struct pcie_function *fn = host ? pcie_host_find(host, rid) : NULL;
	struct pcibus_pf *pf;

	*out = NULL;
	if (!fn || pcie_fn_is_vf(fn)) {
		log_error(PCIBUS_TOPIC, "%02x:%02x.%x: no PF at this routing ID", PCIE_RID_BUS(rid), PCIE_RID_DEV(rid),
			  PCIE_RID_FN(rid));
		return -ENODEV;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pf->host = host;
	pf->fn = fn;
	pf->rid = rid;
	pf->sriov = find_sriov(pf);
	if (pf->sriov)
		probe_vf_bars(pf);
	log_info(PCIBUS_TOPIC, "%02x:%02x.%x: PF %04x:%04x, SR-IOV capability %s0x%x", PCIE_RID_BUS(rid),
		 PCIE_RID_DEV(rid), PCIE_RID_FN(rid), cfg32(pf, PCI_VENDOR_ID, 2), cfg32(pf, PCI_DEVICE_ID, 2),
		 pf->sriov ? "at " : "absent ", pf->sriov);
	*out = pf;
	return 0;
}

void pcibus_pf_destroy(struct pcibus_pf *pf)
{
	if (!pf)
		return;
	while (pf->maps)
		unmap_io_space(pf, pf->maps->va, pf->maps->len);
	disconnect_interrupt(pf);
	if (pf->dma) {
		(void)pcie_fn_set_dma_domain(pf->fn, NULL, 0);
		free(pf->dma);
	}
	free(pf);
}

struct pcie_function *pcibus_pf_function(const struct pcibus_pf *pf)
{
	return pf->fn;
}

unsigned pcibus_pf_sriov_offset(const struct pcibus_pf *pf)
{
	return pf->sriov;
}

unsigned pcibus_pf_mapped_count(const struct pcibus_pf *pf)
{
	return pf->n_maps;
}

unsigned pcibus_pf_enable_calls(const struct pcibus_pf *pf)
{
	return pf->enable_calls;
}

int pcibus_pf_last_refusal(const struct pcibus_pf *pf)
{
	return pf->last_refusal;
}

unsigned pcibus_pf_dma_pages_used(const struct pcibus_pf *pf)
{
	return pf->dma_pages_used;
}

bool pcibus_pf_interrupt_connected(const struct pcibus_pf *pf)
{
	return pf->isr != NULL;
}

void pcibus_pf_set_msi_forward(struct pcibus_pf *pf, pcie_msi_fn fn, void *ctx)
{
	pf->fwd = fn;
	pf->fwd_ctx = ctx;
	if (!pf->isr)
		pcie_host_set_msi_handler(pf->host, fn, ctx);
}
