/*
 * Per-function configuration space of the lab's PCIe model: the 4 KiB image
 * with its RW and RW1C masks, the type-0 header and the capability list every
 * srnic function carries (Power Management, PCI Express with FLR, MSI-X; ARI
 * as the first extended capability), config reads/writes with the masks
 * applied, Function Level Reset, the function state machine, MMIO dispatch
 * and the IOMMU check on DMA. The SR-IOV capability is in sriov.c, MSI-X
 * table handling in msix.c, the bus in host.c. PCIe Base 4.0 sections 7.5
 * (header, capabilities), 6.6.2 (FLR), 7.8.7 (ARI); PCI PM 1.2.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "pcie/pcie_int.h"

uint32_t pcie__bar_flags(const struct pcie_bar_info *b)
{
	return (b->mem64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
	       (b->prefetch ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
}

/* Sizing masks for a BAR array at off (the header's BARs or the SR-IOV VF
 * BARs): the low bits below the size read 0, the type bits are RO. */
void pcie__bar_masks(uint8_t *wmask, unsigned off, const struct pcie_bar_info *bars,
		     unsigned n, uint64_t min_size)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t size = bars[i].size;
		uint64_t m;

		pcie__set(wmask, off + 4 * i, 4, 0);
		if (!size)
			continue;
		if (size < min_size)
			size = min_size;
		m = ~(size - 1) & PCI_BASE_ADDRESS_MEM_MASK;
		pcie__set(wmask, off + 4 * i, 4, (uint32_t)m);
		if (bars[i].mem64 && i + 1 < n) {
			i++;
			pcie__set(wmask, off + 4 * i, 4, (uint32_t)(m >> 32));
		}
	}
}

static const char *const state_names[] = {
	[PCIE_FN_DISABLED] = "disabled",
	[PCIE_FN_ENABLED] = "enabled",
	[PCIE_FN_RESETTING] = "resetting",
};

const char *pcie_fn_state_name(enum pcie_fn_state s)
{
	if ((unsigned)s < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[s];
	return "?";
}

/* Legal transitions: VF Enable brings a VF in and out; FLR passes through
 * resetting and back. Nothing else. */
static const bool fn_transition_ok[3][3] = {
	[PCIE_FN_DISABLED] = { [PCIE_FN_ENABLED] = true },
	[PCIE_FN_ENABLED] = { [PCIE_FN_DISABLED] = true, [PCIE_FN_RESETTING] = true },
	[PCIE_FN_RESETTING] = { [PCIE_FN_ENABLED] = true },
};

int pcie__fn_set_state(struct pcie_function *fn, enum pcie_fn_state to)
{
	enum pcie_fn_state from = fn->state;

	if ((unsigned)to > PCIE_FN_RESETTING || !fn_transition_ok[from][to]) {
		log_error(PCIE_TOPIC, "%02x:%02x.%x: illegal state change %s -> %s refused",
			  PCIE_RID_BUS(fn->rid), PCIE_RID_DEV(fn->rid), PCIE_RID_FN(fn->rid),
			  pcie_fn_state_name(from), pcie_fn_state_name(to));
		return -EINVAL;
	}
	fn->state = to;
	log_debug(PCIE_TOPIC, "%02x:%02x.%x: %s -> %s", PCIE_RID_BUS(fn->rid),
		  PCIE_RID_DEV(fn->rid), PCIE_RID_FN(fn->rid), pcie_fn_state_name(from),
		  pcie_fn_state_name(to));
	return 0;
}

void pcie__fn_build(struct pcie_function *fn, const struct pcie_function_config *c, bool vf)
{
	uint8_t *cfg = fn->cfg, *wm = fn->wmask, *w1c = fn->w1cmask;

	memset(cfg, 0, PCI_CFG_SIZE);
	memset(wm, 0, PCI_CFG_SIZE);
	memset(w1c, 0, PCI_CFG_SIZE);
	fn->conf = *c;

	/* Type-0 header. A VF reads 0xFFFF in Vendor and Device ID (PCIe Base
	 * 4.0 section 9.3.4.1.1/2); its Memory Space Enable is the PF's VF MSE. */
	pcie__set(cfg, PCI_VENDOR_ID, 2, vf ? 0xffff : c->vendor_id);
	pcie__set(cfg, PCI_DEVICE_ID, 2, vf ? 0xffff : c->device_id);
	pcie__set(wm, PCI_COMMAND, 2, vf ? (PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR)
				       : (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
					  PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE));
	pcie__set(cfg, PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	pcie__set(w1c, PCI_STATUS, 2, PCI_STATUS_RW1C_MASK);
	cfg[PCI_REVISION_ID] = c->revision;
	pcie__set(cfg, PCI_CLASS_PROG, 1, c->class_code & 0xff);
	pcie__set(cfg, PCI_CLASS_DEVICE, 2, (c->class_code >> 8) & 0xffff);
	wm[PCI_CACHE_LINE_SIZE] = vf ? 0 : 0xff;
	if (!vf) {
		for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
			const struct pcie_bar_info *b = &c->bars[i];
			if (b->size) {
				pcie__set(cfg, PCI_BASE_ADDRESS_0 + 4 * i, 4, pcie__bar_flags(b));
				if (b->mem64)
					i++;
			}
		}
		pcie__bar_masks(wm, PCI_BASE_ADDRESS_0, c->bars, PCI_NUM_BARS, 16);
	}
	pcie__set(cfg, PCI_SUBSYSTEM_VENDOR_ID, 2, c->subsys_vendor_id);
	pcie__set(cfg, PCI_SUBSYSTEM_ID, 2, c->subsys_id);
	cfg[PCI_CAPABILITY_LIST] = PCIE_OFF_PM;
	wm[PCI_INTERRUPT_LINE] = vf ? 0 : 0xff;

	/* Power Management: D0/D3hot, No_Soft_Reset. */
	cfg[PCIE_OFF_PM] = PCI_CAP_ID_PM;
	cfg[PCIE_OFF_PM + 1] = c->msix_vectors ? PCIE_OFF_MSIX : PCIE_OFF_EXP;
	pcie__set(cfg, PCIE_OFF_PM + PCI_PM_PMC, 2, 0x0003);
	pcie__set(cfg, PCIE_OFF_PM + PCI_PM_CTRL, 2, 0x0008);
	pcie__set(wm, PCIE_OFF_PM + PCI_PM_CTRL, 2, PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE);
	pcie__set(w1c, PCIE_OFF_PM + PCI_PM_CTRL, 2, PCI_PM_CTRL_PME_STATUS);

	/* MSI-X */
	if (c->msix_vectors) {
		cfg[PCIE_OFF_MSIX] = PCI_CAP_ID_MSIX;
		cfg[PCIE_OFF_MSIX + 1] = PCIE_OFF_EXP;
		pcie__set(cfg, PCIE_OFF_MSIX + PCI_MSIX_FLAGS, 2, (c->msix_vectors - 1) & PCI_MSIX_FLAGS_QSIZE);
		pcie__set(wm, PCIE_OFF_MSIX + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
		pcie__set(cfg, PCIE_OFF_MSIX + PCI_MSIX_TABLE, 4, c->msix_table_off | c->msix_bar);
		pcie__set(cfg, PCIE_OFF_MSIX + PCI_MSIX_PBA, 4, c->msix_pba_off | c->msix_bar);
	}

	/* PCI Express v2, endpoint, FLR capable. Link fields are reserved in a VF. */
	cfg[PCIE_OFF_EXP] = PCI_CAP_ID_EXP;
	cfg[PCIE_OFF_EXP + 1] = 0;
	pcie__set(cfg, PCIE_OFF_EXP + PCI_EXP_FLAGS, 2, PCI_EXP_FLAGS_VERS2 | (PCI_EXP_TYPE_ENDPOINT << 4));
	pcie__set(cfg, PCIE_OFF_EXP + PCI_EXP_DEVCAP, 4, PCI_EXP_DEVCAP_FLR | 0x1 /* MPS 256 */);
	pcie__set(cfg, PCIE_OFF_EXP + PCI_EXP_DEVCTL, 2, 0x2010);
	pcie__set(wm, PCIE_OFF_EXP + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_RW_MASK);
	pcie__set(w1c, PCIE_OFF_EXP + PCI_EXP_DEVSTA, 2, PCI_EXP_DEVSTA_RW1C);
	if (!vf) {
		pcie__set(cfg, PCIE_OFF_EXP + PCI_EXP_LNKCAP, 4, 0x3 | (8 << 4));	/* 8GT/s x8 */
		pcie__set(cfg, PCIE_OFF_EXP + PCI_EXP_LNKSTA, 2, 0x3 | (8 << 4));
		pcie__set(wm, PCIE_OFF_EXP + PCI_EXP_LNKCTL, 2, 0x00c3);
	}

	/* ARI: every function; Next Function Number 0 (the only PF). Its next
	 * pointer is patched by pcie_sriov_init() on a PF. */
	pcie__set(cfg, PCIE_OFF_ARI, 4, PCI_EXT_CAP_HDR(PCI_EXT_CAP_ID_ARI, 1, 0));

	fn->bus_master = false;
	pcie__fn_update_window(fn);
	memcpy(fn->init, cfg, PCI_CFG_SIZE);
	memcpy(fn->init_wmask, wm, PCI_CFG_SIZE);
}

bool pcie_fn_present(const struct pcie_function *fn)
{
	return fn && fn->state != PCIE_FN_DISABLED;
}

/* Only formatted when a line is logged: MMIO doorbells are a hot path. */
static const char *fn_name(const struct pcie_function *fn, char *buf, size_t n)
{
	snprintf(buf, n, "%02x:%02x.%x", PCIE_RID_BUS(fn->rid), PCIE_RID_DEV(fn->rid),
		 PCIE_RID_FN(fn->rid));
	return buf;
}

static int check_cfg_access(struct pcie_function *fn, unsigned off, unsigned len, const char *what)
{
	char name[16];

	if (!fn)
		return -ENODEV;
	if (!pcie_fn_present(fn)) {
		log_warn(PCIE_TOPIC, "%s: config %s at 0x%x on an absent function refused",
			 fn_name(fn, name, sizeof(name)), what, off);
		return -ENODEV;
	}
	if ((len != 1 && len != 2 && len != 4) || off % len || off + len > PCI_CFG_SIZE) {
		log_warn(PCIE_TOPIC, "%s: config %s of %u bytes at 0x%x refused (bad size or alignment)",
			 fn_name(fn, name, sizeof(name)), what, len, off);
		return -EINVAL;
	}
	return 0;
}

int pcie_cfg_read(struct pcie_function *fn, unsigned off, unsigned len, uint32_t *val)
{
	int rc = check_cfg_access(fn, off, len, "read");

	if (rc) {
		*val = 0xffffffffu;
		return rc;
	}
	*val = pcie__get(fn->cfg, off, len);
	return 0;
}

void pcie_cfg_dump(const struct pcie_function *fn, unsigned off, uint8_t *buf, size_t n)
{
	if (off >= PCI_CFG_SIZE)
		return;
	if (n > PCI_CFG_SIZE - off)
		n = PCI_CFG_SIZE - off;
	memcpy(buf, fn->cfg + off, n);
}

static bool overlaps(unsigned off, unsigned len, unsigned reg, unsigned rlen)
{
	return off < reg + rlen && reg < off + len;
}

void pcie__fn_flr(struct pcie_function *fn)
{
	char name[16];

	if (pcie__fn_set_state(fn, PCIE_FN_RESETTING))
		return;
	log_info(PCIE_TOPIC, "%s: function level reset", fn_name(fn, name, sizeof(name)));
	if (fn->has_sriov)
		pcie__sriov_reset(fn);
	memcpy(fn->cfg, fn->init, PCI_CFG_SIZE);
	memcpy(fn->wmask, fn->init_wmask, PCI_CFG_SIZE);
	fn->bus_master = false;
	pcie__fn_update_window(fn);
	pcie__msix_reset(fn);
	if (fn->ops && fn->ops->reset)
		fn->ops->reset(fn->ctx, fn);
	pcie__fn_set_state(fn, PCIE_FN_ENABLED);
}

int pcie_cfg_write(struct pcie_function *fn, unsigned off, unsigned len, uint32_t val)
{
	uint8_t old_sriov[PCI_SRIOV_SIZEOF];
	bool sriov_hit;
	int rc = check_cfg_access(fn, off, len, "write");
	unsigned devctl = PCIE_OFF_EXP + PCI_EXP_DEVCTL;

	if (rc)
		return rc;
	sriov_hit = fn->has_sriov && overlaps(off, len, PCIE_OFF_SRIOV, PCI_SRIOV_SIZEOF);
	if (sriov_hit)
		memcpy(old_sriov, fn->cfg + PCIE_OFF_SRIOV, PCI_SRIOV_SIZEOF);
	for (unsigned i = 0; i < len; i++) {
		unsigned a = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		fn->cfg[a] = (uint8_t)((fn->cfg[a] & ~fn->wmask[a]) | (b & fn->wmask[a]));
		fn->cfg[a] &= (uint8_t)~(b & fn->w1cmask[a]);
	}
	if (overlaps(off, len, PCI_COMMAND, 2)) {
		fn->bus_master = pcie__get(fn->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MASTER;
		pcie__fn_update_window(fn);
	}
	if (fn->conf.msix_vectors && overlaps(off, len, PCIE_OFF_MSIX + PCI_MSIX_FLAGS, 2))
		pcie__msix_ctrl_written(fn);
	if (sriov_hit)
		rc = pcie__sriov_write(fn, off, len, old_sriov);
	/* Initiate Function Level Reset: write-only bit 15 of Device Control
	 * (PCIe Base 4.0 section 7.5.3.4); the write completes, then the
	 * function resets. */
	if (overlaps(off, len, devctl + 1, 1) && ((val >> (8 * (devctl + 1 - off))) & 0x80))
		pcie__fn_flr(fn);
	return rc;
}

static bool fn_decodes_memory(const struct pcie_function *fn)
{
	if (fn->index)
		return pcie__get(fn->pf->cfg, PCIE_OFF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_MSE;
	return pcie__get(fn->cfg, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY;
}

uint64_t pcie_fn_bar_size(const struct pcie_function *fn, unsigned bar)
{
	if (bar >= PCI_NUM_BARS)
		return 0;
	return fn->conf.bars[bar].size;
}

static int check_mmio(struct pcie_function *fn, unsigned bar, uint64_t off, const char *what)
{
	char name[16];

	if (!fn)
		return -ENODEV;
	if (fn->state != PCIE_FN_ENABLED) {
		log_warn(PCIE_TOPIC, "%s: MMIO %s on a function that is %s refused",
			 fn_name(fn, name, sizeof(name)), what,
			 pcie_fn_state_name(fn->state));
		return -ENODEV;
	}
	if (bar >= PCI_NUM_BARS || !fn->conf.bars[bar].size) {
		log_warn(PCIE_TOPIC, "%s: MMIO %s on BAR%u, which does not exist, refused",
			 fn_name(fn, name, sizeof(name)), what, bar);
		return -EINVAL;
	}
	if ((off & 3) || off + 4 > fn->conf.bars[bar].size) {
		log_warn(PCIE_TOPIC, "%s: MMIO %s at BAR%u+0x%llx refused (outside or unaligned)",
			 fn_name(fn, name, sizeof(name)), what, bar, (unsigned long long)off);
		return -EINVAL;
	}
	if (!fn_decodes_memory(fn)) {
		log_warn(PCIE_TOPIC, "%s: MMIO %s at BAR%u+0x%llx with memory decoding off (%s) refused",
			 fn_name(fn, name, sizeof(name)), what, bar, (unsigned long long)off,
			 fn->index ? "VF MSE clear" : "Command.Memory clear");
		return -EIO;
	}
	return 0;
}

static bool is_msix(const struct pcie_function *fn, unsigned bar, uint64_t off)
{
	const struct pcie_function_config *c = &fn->conf;

	if (!c->msix_vectors || bar != c->msix_bar)
		return false;
	return (off >= c->msix_table_off && off < c->msix_table_off + 16ull * c->msix_vectors) ||
	       (off >= c->msix_pba_off && off < c->msix_pba_off + 8);
}

int pcie_mmio_read32(struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t *val)
{
	int rc = check_mmio(fn, bar, off, "read");

	*val = 0xffffffffu;
	if (rc)
		return rc;
	if (is_msix(fn, bar, off))
		return pcie__msix_read(fn, off, val);
	if (!fn->ops || !fn->ops->mmio_read32)
		return 0;
	return fn->ops->mmio_read32(fn->ctx, fn, bar, off, val);
}

int pcie_mmio_write32(struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t val)
{
	int rc = check_mmio(fn, bar, off, "write");

	if (rc)
		return rc;
	if (is_msix(fn, bar, off))
		return pcie__msix_write(fn, off, val);
	if (!fn->ops || !fn->ops->mmio_write32)
		return 0;
	return fn->ops->mmio_write32(fn->ctx, fn, bar, off, val);
}

/* ---- accessors ---- */

struct pcie_host *pcie_fn_host(const struct pcie_function *fn) { return fn->host; }
uint16_t pcie_fn_rid(const struct pcie_function *fn) { return fn->rid; }
bool pcie_fn_is_vf(const struct pcie_function *fn) { return fn->index != 0; }
unsigned pcie_fn_index(const struct pcie_function *fn) { return fn->index; }
struct pcie_function *pcie_fn_pf(struct pcie_function *fn) { return fn->pf; }
enum pcie_fn_state pcie_fn_state(const struct pcie_function *fn) { return fn->state; }
void *pcie_fn_ctx(const struct pcie_function *fn) { return fn->ctx; }

/* ---- IOMMU ---- */

int pcie_fn_set_dma_domain(struct pcie_function *fn, void *base, uint64_t size)
{
	if (!fn || (base && !size))
		return -EINVAL;
	fn->dma_base = base;
	fn->dma_size = base ? size : 0;
	pcie__fn_update_window(fn);
	log_info(PCIE_TOPIC, "%02x:%02x.%x: DMA domain %s (0x%llx bytes)", PCIE_RID_BUS(fn->rid),
		 PCIE_RID_DEV(fn->rid), PCIE_RID_FN(fn->rid), base ? "attached" : "detached",
		 (unsigned long long)fn->dma_size);
	return 0;
}

void *pcie_dma_map(struct pcie_function *fn, uint64_t gpa, uint64_t len)
{
	/* Contract: a NULL return means the device must not touch memory for
	 * this access; the caller marks its own error. */
	if (fn->bus_master && fn->dma_base && len <= fn->dma_size && gpa <= fn->dma_size - len)
		return fn->dma_base + gpa;
	fn->dma_faults++;
	/* The IOMMU blocks the request; the function sees it completed as an
	 * Unsupported Request: Status.Received Master Abort (RW1C). */
	fn->cfg[PCI_STATUS + 1] |= PCI_STATUS_REC_MASTER_ABORT >> 8;
	log_warn(PCIE_TOPIC, "%02x:%02x.%x: DMA fault at 0x%llx+0x%llx (%s)", PCIE_RID_BUS(fn->rid),
		 PCIE_RID_DEV(fn->rid), PCIE_RID_FN(fn->rid), (unsigned long long)gpa,
		 (unsigned long long)len,
		 !fn->bus_master ? "bus master off" : !fn->dma_base ? "no memory domain"
								   : "outside the domain");
	return NULL;
}

void pcie__fn_update_window(struct pcie_function *fn)
{
	fn->win.base = fn->bus_master ? fn->dma_base : NULL;
	fn->win.size = fn->win.base ? fn->dma_size : 0;
}

const struct pcie_dma_window *pcie_fn_dma_window(const struct pcie_function *fn)
{
	return &fn->win;
}

uint64_t pcie_fn_dma_faults(const struct pcie_function *fn)
{
	return fn->dma_faults;
}
