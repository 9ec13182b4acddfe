/*
 * Private to src/pcie: the layout of a function and a host, and the helpers
 * the config-space, SR-IOV, MSI-X and host files share. Never included from
 * outside src/pcie (lab code uses pcie.h).
 */
#ifndef IOVLAB_PCIE_PCIE_INT_H
#define IOVLAB_PCIE_PCIE_INT_H

#include "pcie/pcie.h"
#include "pcie/pci_regs.h"

#define PCIE_TOPIC "lab.pcie"
#define PCIE_MAX_PFS 8
#define PCIE_MSIX_MAX 64

/* Capability offsets the model uses for every function (docs/pcie.md). */
#define PCIE_OFF_PM	0x40
#define PCIE_OFF_MSIX	0x50
#define PCIE_OFF_EXP	0x60
#define PCIE_OFF_ARI	0x100
#define PCIE_OFF_SRIOV	0x160

struct pcie_function {
	struct pcie_host *host;
	struct pcie_function *pf;	/* self for a PF */
	unsigned index;			/* 0 = PF, n = VF n */
	uint16_t rid;
	enum pcie_fn_state state;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* 1 = RW bit */
	uint8_t w1cmask[PCI_CFG_SIZE];	/* 1 = RW1C bit */
	uint8_t init[PCI_CFG_SIZE];	/* power-on image, for FLR */
	uint8_t init_wmask[PCI_CFG_SIZE];
	struct pcie_function_config conf;
	const struct pcie_function_ops *ops;
	void *ctx;
	bool bus_master;		/* cached Command.BME */
	/* MSI-X table entries: addr lo, addr hi, data, ctrl */
	uint32_t msix_table[PCIE_MSIX_MAX][4];
	uint64_t msix_pba;
	/* IOMMU */
	uint8_t *dma_base;
	uint64_t dma_size;
	uint64_t dma_faults;
	struct pcie_dma_window win;	/* effective: base NULL unless BME + domain */
	/* PF only: SR-IOV */
	bool has_sriov;
	struct pcie_sriov_config sriov;
	unsigned num_vfs_enabled;
	struct pcie_function **vfs;	/* total_vfs entries */
	bool vf_bar_space_short;	/* firmware could not place VF BARs */
};

struct pcie_host {
	struct pcie_platform plat;
	struct pcie_function *pfs[PCIE_MAX_PFS];
	unsigned num_pfs;
	pcie_msi_fn msi_fn;
	void *msi_ctx;
};

/* Little-endian field of len (1..4) bytes at off in a config image. Inline:
 * every MMIO access reads the decode bits through it (check_mmio). */
static inline uint32_t pcie__get(const uint8_t *p, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[off + i] << (8 * i);
	return v;
}

static inline void pcie__set(uint8_t *p, unsigned off, unsigned len, uint32_t v)
{
	for (unsigned i = 0; i < len; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* config.c */
void pcie__bar_masks(uint8_t *wmask, unsigned off, const struct pcie_bar_info *bars,
		     unsigned n, uint64_t min_size);
uint32_t pcie__bar_flags(const struct pcie_bar_info *b);
int pcie__fn_set_state(struct pcie_function *fn, enum pcie_fn_state to);
void pcie__fn_build(struct pcie_function *fn, const struct pcie_function_config *c, bool vf);
void pcie__fn_flr(struct pcie_function *fn);
void pcie__fn_update_window(struct pcie_function *fn);

/* sriov.c */
int pcie__sriov_write(struct pcie_function *pf, unsigned off, unsigned len,
		      const uint8_t *old_cap);
uint16_t pcie__vf_rid(const struct pcie_function *pf, unsigned n);
uint64_t pcie__vf_bar_aperture(const struct pcie_function *pf, unsigned bar);
void pcie__sriov_reset(struct pcie_function *pf);

/* msix.c */
int pcie__msix_read(struct pcie_function *fn, uint64_t off, uint32_t *val);
int pcie__msix_write(struct pcie_function *fn, uint64_t off, uint32_t val);
void pcie__msix_reset(struct pcie_function *fn);
void pcie__msix_ctrl_written(struct pcie_function *fn);

#endif
