/*
 * The lab's PCIe model, public API: a host bus (root complex + root port
 * below which devices sit) with functions that each own a 4 KiB
 * configuration space, and the platform properties that decide whether
 * SR-IOV can work (IOMMU, ACS, bus numbers, VF BAR space, _OSC, SLAT).
 * Device models (src/hw/srnic) create their PF here, describe its BARs and
 * MSI-X, and add the SR-IOV extended capability with pcie_sriov_init(); the
 * bus then creates the VF functions, routes config and MMIO accesses to
 * them, runs FLR, and bounds-checks every DMA against the memory domain a
 * function is assigned to (the IOMMU). Views (iovlab lspci, Get-VMHost) and
 * lab files read and set the platform through pcie_host_*_platform().
 * Implements PCIe Base Spec 4.0 sections 7.5 (config space), 6.6.2 (FLR),
 * 7.8.7 (ARI) and 9 (SR-IOV); see docs/pcie.md.
 *
 * Threading: none inside; the caller serialises all calls on one host.
 */
#ifndef IOVLAB_PCIE_PCIE_H
#define IOVLAB_PCIE_PCIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pcie_host;
struct pcie_function;

/* Routing ID: bus in 15:8, device/function (or ARI function) in 7:0. */
#define PCIE_RID(bus, dev, fn)	((uint16_t)(((bus) << 8) | ((dev) << 3) | (fn)))
#define PCIE_RID_BUS(rid)	((unsigned)((rid) >> 8) & 0xffu)
#define PCIE_RID_DEV(rid)	((unsigned)((rid) >> 3) & 0x1fu)
#define PCIE_RID_FN(rid)	((unsigned)(rid) & 0x7u)

/*
 * Platform properties, as firmware and the OS leave them. A plain struct:
 * later code (lab files, views) sets it whole and reads it back.
 */
struct pcie_platform {
	bool dma_remapping;		/* IOMMU DMA remapping present and enabled */
	bool interrupt_remapping;	/* IOMMU interrupt remapping */
	bool acs_root_port;		/* ACS on the root port above the device */
	bool osc_pcie_control;		/* firmware grants native PCIe control (_OSC) */
	bool slat;			/* second-level address translation */
	unsigned bus_numbers;		/* buses available below the root port, incl. the PF's */
	uint64_t vf_bar_space;		/* bytes firmware reserved for VF BARs */
};

/* DEVPKEY_PciDevice_SriovSupport values (tools-and-views.md 1.4). */
enum pcie_sriov_support {
	PCIE_SRIOV_OK = 0,
	PCIE_SRIOV_MISSING_ACS = 1,
	PCIE_SRIOV_MISSING_PF_DRIVER = 2,
	PCIE_SRIOV_NO_BUS_RESOURCE = 3,
	PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE = 4,
};

/* State of a function on the bus. PFs are always PRESENT. */
enum pcie_fn_state {
	PCIE_FN_DISABLED = 0,	/* VF not enabled: absent from the bus */
	PCIE_FN_ENABLED,	/* present, config space and BARs reachable */
	PCIE_FN_RESETTING,	/* inside a Function Level Reset */
};

struct pcie_bar_info {
	uint64_t size;		/* 0 = unused; else power of two >= 16 (memory) */
	bool mem64;
	bool prefetch;
};

/* Identity and resources of one function (PF, or the VFs of a PF). */
struct pcie_function_config {
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint8_t revision;
	uint32_t class_code;		/* 24 bits: class, subclass, prog-if */
	struct pcie_bar_info bars[6];
	unsigned msix_vectors;		/* 0 = no MSI-X capability */
	unsigned msix_bar;
	uint32_t msix_table_off, msix_pba_off;
};

struct pcie_sriov_config {
	uint16_t initial_vfs, total_vfs;
	uint16_t first_vf_offset, vf_stride;
	uint16_t vf_device_id;
	/* VF identity and per-VF BAR sizes; vendor_id/device_id are ignored
	 * (a VF reads 0xFFFF there, PCIe Base 4.0 section 9.3.4.1.1). */
	struct pcie_function_config vf;
};

/*
 * What a device model implements for its functions. All calls happen
 * synchronously inside a config or MMIO access. ctx is the pointer given to
 * pcie_pf_create(); fn identifies the PF or VF (pcie_fn_index()).
 */
struct pcie_function_ops {
	/* BAR access other than the MSI-X table/PBA (the bus handles those).
	 * off is 4-aligned and inside the BAR. Return 0 or -errno. */
	int (*mmio_read32)(void *ctx, struct pcie_function *fn, unsigned bar,
			   uint64_t off, uint32_t *val);
	int (*mmio_write32)(void *ctx, struct pcie_function *fn, unsigned bar,
			    uint64_t off, uint32_t val);
	/* Device state of this one function back to power-on: FLR, VF enable
	 * and VF disable all call it. */
	void (*reset)(void *ctx, struct pcie_function *fn);
	/* VF Enable changed on the PF; num_vfs VFs now exist (0 = none). */
	void (*vfs_changed)(void *ctx, struct pcie_function *pf, unsigned num_vfs);
};

/* MSI-X message delivery: called for every message a function signals. */
typedef void (*pcie_msi_fn)(void *ctx, struct pcie_function *fn,
			    uint64_t addr, uint32_t data);

/* ---- host bus ---- */

/* Heap; every property defaults to "SR-IOV works". destroy(NULL) is a no-op;
 * destroy frees every function created on the host. */
struct pcie_host *pcie_host_create(void);
void pcie_host_destroy(struct pcie_host *host);
void pcie_host_set_platform(struct pcie_host *host, const struct pcie_platform *p);
void pcie_host_get_platform(const struct pcie_host *host, struct pcie_platform *p);
void pcie_host_set_msi_handler(struct pcie_host *host, pcie_msi_fn fn, void *ctx);

/* The PCI bus driver's verdict for a PF, as far as the bus can know it. */
enum pcie_sriov_support pcie_host_sriov_support(const struct pcie_host *host,
						const struct pcie_function *pf);
const char *pcie_sriov_support_name(enum pcie_sriov_support s);

/* Firmware-style BAR placement: PF BARs in the 32/64-bit MMIO window, VF
 * BARs in the VF BAR window (as much as vf_bar_space allows). Writes the
 * addresses into config space and enables memory decoding. */
int pcie_host_assign_bars(struct pcie_host *host);

/* Enumeration in RID order: present functions only (PFs, enabled VFs). */
size_t pcie_host_list(const struct pcie_host *host, struct pcie_function **out, size_t max);
struct pcie_function *pcie_host_find(const struct pcie_host *host, uint16_t rid);

/* Config access by RID as the root complex does it: an absent function
 * reads all ones and returns -ENODEV. */
int pcie_host_cfg_read(struct pcie_host *host, uint16_t rid, unsigned off,
		       unsigned len, uint32_t *val);
int pcie_host_cfg_write(struct pcie_host *host, uint16_t rid, unsigned off,
			unsigned len, uint32_t val);
/* MMIO by physical address: decoded against every enabled BAR. */
int pcie_host_mmio_read32(struct pcie_host *host, uint64_t addr, uint32_t *val);
int pcie_host_mmio_write32(struct pcie_host *host, uint64_t addr, uint32_t val);

/* ---- functions ---- */

/* Create a PF at bus/devfn. Owned by the host (freed by pcie_host_destroy).
 * Lays out the type-0 header, PM, PCI Express (FLR capable), MSI-X and the
 * ARI extended capability. Returns NULL with errno set on failure. */
struct pcie_function *pcie_pf_create(struct pcie_host *host, uint8_t bus, uint8_t devfn,
				     const struct pcie_function_config *cfg,
				     const struct pcie_function_ops *ops, void *ctx);

/* Add the SR-IOV extended capability to a PF and create its TotalVFs VF
 * functions (disabled until VF Enable). Call once, before any access. */
int pcie_sriov_init(struct pcie_function *pf, const struct pcie_sriov_config *cfg);

/* Config space access on one function. len is 1, 2 or 4 and off is
 * len-aligned. RO bits ignore writes, RW1C bits clear on 1. Writes the spec
 * says are ignored (NumVFs while VF Enable is set, ...) are logged and
 * return -EBUSY / -EINVAL with the register unchanged. */
int pcie_cfg_read(struct pcie_function *fn, unsigned off, unsigned len, uint32_t *val);
int pcie_cfg_write(struct pcie_function *fn, unsigned off, unsigned len, uint32_t val);
/* Raw bytes (for dumps); never fails, n clipped to 4096 - off. */
void pcie_cfg_dump(const struct pcie_function *fn, unsigned off, uint8_t *buf, size_t n);

/* MMIO on one BAR of a function, as a driver's mapped access. Refused
 * (-ENODEV absent, -EIO decode disabled, -EINVAL bad offset/alignment) with a
 * log line; a refused read returns all ones. */
int pcie_mmio_read32(struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t *val);
int pcie_mmio_write32(struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t val);

/* Signal MSI-X vector v (delivered, or left pending when masked/disabled). */
int pcie_msix_notify(struct pcie_function *fn, unsigned vector);
bool pcie_msix_pending(const struct pcie_function *fn, unsigned vector);

struct pcie_host *pcie_fn_host(const struct pcie_function *fn);
uint16_t pcie_fn_rid(const struct pcie_function *fn);
bool pcie_fn_is_vf(const struct pcie_function *fn);
/* 0 for a PF, n (1-based) for VF n. */
unsigned pcie_fn_index(const struct pcie_function *fn);
struct pcie_function *pcie_fn_pf(struct pcie_function *fn);
/* VF n (1..TotalVFs) of a PF, whatever its state; NULL if out of range. */
struct pcie_function *pcie_pf_vf(struct pcie_function *pf, unsigned n);
unsigned pcie_pf_num_vfs(const struct pcie_function *pf);	/* enabled VFs */
unsigned pcie_pf_total_vfs(const struct pcie_function *pf);
enum pcie_fn_state pcie_fn_state(const struct pcie_function *fn);
const char *pcie_fn_state_name(enum pcie_fn_state s);
bool pcie_fn_present(const struct pcie_function *fn);
/* Address a BAR is decoded at, 0 if unassigned (VF BARs from the PF's
 * SR-IOV VF BAR + (n-1) * size). */
uint64_t pcie_fn_bar_addr(const struct pcie_function *fn, unsigned bar);
uint64_t pcie_fn_bar_size(const struct pcie_function *fn, unsigned bar);
void *pcie_fn_ctx(const struct pcie_function *fn);

/* ---- DMA through the IOMMU ---- */

/*
 * Assign a function to a memory domain: guest memory of size bytes at base,
 * addressed by guest-physical address 0..size-1. base stays owned by the
 * caller and must outlive the assignment; pass NULL to detach.
 */
int pcie_fn_set_dma_domain(struct pcie_function *fn, void *base, uint64_t size);
/*
 * Translate [gpa, gpa+len) for a DMA by fn: a pointer into the domain, or
 * NULL (logged, counted in pcie_fn_dma_faults()) if the range is not wholly
 * inside the function's domain, no domain is assigned or Bus Master is off.
 */
void *pcie_dma_map(struct pcie_function *fn, uint64_t gpa, uint64_t len);
uint64_t pcie_fn_dma_faults(const struct pcie_function *fn);

/*
 * The function's effective IOMMU window for device models' hot paths:
 * base is NULL while no domain is assigned or Bus Master is off. Owned by
 * the function (valid as long as the host); kept current by config writes
 * and pcie_fn_set_dma_domain(). pcie_dma_map_fast() checks it inline and
 * falls back to pcie_dma_map() -- which counts and logs -- on a miss, so both
 * give the same answer.
 */
struct pcie_dma_window {
	uint8_t *base;
	uint64_t size;
};
const struct pcie_dma_window *pcie_fn_dma_window(const struct pcie_function *fn);

static inline void *pcie_dma_map_fast(struct pcie_function *fn, const struct pcie_dma_window *w,
				      uint64_t gpa, uint64_t len)
{
	if (w->base && len <= w->size && gpa <= w->size - len)
		return w->base + gpa;
	return pcie_dma_map(fn, gpa, len);
}

#endif /* IOVLAB_PCIE_PCIE_H */
