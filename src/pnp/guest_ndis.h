/*
 * NDIS's PnP edge in a guest: the part of ndis.sys that is a WDM driver.
 * For every device node whose hardware ID an installed NDIS miniport
 * package serves -- a vPCI PDO, or an IHV virtual bus driver's child PDO --
 * it creates NDIS's FDO on the stack (AddDevice) and, on
 * IRP_MN_START_DEVICE, the framework adapter, with the adapter's lower
 * edges made of real IRPs sent down that stack:
 *
 *   vpci.query_interface   IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD),
 *                          once per initialization (spec 6.5): a VBD that
 *                          swallows it leaves NDIS with no interface;
 *   bus.config_read/write  IRP_MN_READ_CONFIG / WRITE_CONFIG (the vPCI bus
 *                          turns them into config requests to the host,
 *                          which asks the PF with OID_SRIOV_READ/WRITE_VF_
 *                          CONFIG_SPACE);
 *   invalidation           an IOCTL_VPCI_INVALIDATE_BLOCK kept pending; its
 *                          completion becomes ndis_adapter_vf_config_
 *                          invalidated() and the IOCTL is sent again (2.13);
 *   MMIO                   the guest's physical address space (mmio ops).
 *
 * Surprise removal and removal reach the adapter as on Windows
 * (MiniportDevicePnPEventNotify, then halt). Single threaded, on the
 * guest's loop. Design note: docs/pnp.md.
 */
#ifndef IOVLAB_PNP_GUEST_NDIS_H
#define IOVLAB_PNP_GUEST_NDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndis/framework.h"
#include "pnp/pnp.h"

/*
 * The guest's physical address space as NdisMMapIoSpace sees it: map a
 * device's register range, and (optionally) see every access, as the
 * framework's bus ops do (src/ndis/bus.h). A NULL map makes
 * NdisMMapIoSpace fail.
 */
struct guest_mmio_ops {
	int (*map)(void *ctx, uint64_t phys, uint32_t len, void **va);
	void (*unmap)(void *ctx, void *va, uint32_t len);
	int (*read)(void *ctx, uint64_t phys, unsigned size, uint64_t *value);
	int (*write)(void *ctx, uint64_t phys, unsigned size, uint64_t value);
};

/*
 * The parent partition uses the same edge for a PF miniport on an IHV
 * virtual bus driver's child (spec 6.4; the host's stack is PCI PDO ->
 * VBD FDO, VBD child PDO -> NDIS FDO). There the creator describes each
 * device before its adapter is created: the adapter's name and registry
 * overrides, and the lower edges IRPs do not carry in iovlab -- MMIO
 * mappings, DMA common buffers, the interrupt -- from the platform's bus
 * (src/hv/pcibus.h). Config space still goes down the stack as IRPs, and
 * NDIS gets no PCI virtualization ops: the VBD owns that interface. In the
 * parent NDIS asks no vPCI interface.
 */
struct guest_ndis_device {
	const char *name;			/* NULL: "<prefix> <n>" */
	const struct ndis_keyword *keywords;
	size_t n_keywords;
	const struct ndis_bus_ops *platform;	/* map/unmap/mmio, DMA, interrupts; NULL: mmio ops below */
	void *platform_ctx;
};

struct guest_ndis_config {
	struct pnp_manager *pm;
	struct ndis_framework *fw;		/* the guest's NDIS (NDIS_PARTITION_CHILD), or the parent's */
	const struct guest_mmio_ops *mmio;	/* may be NULL */
	void *mmio_ctx;
	const char *name_prefix;		/* adapters are "<prefix> <n>"; NULL: "Ethernet" */
	unsigned first_index;			/* n of the first adapter; 0: 2 (the synthetic NIC is "Ethernet") */
	/*
	 * The partition's interrupt controller cannot give devices without a
	 * platform (the VF on vPCI) MSI-X messages: NdisMRegisterInterruptEx
	 * fails with NDIS_STATUS_RESOURCES (catalogue F26). false: it gives
	 * each such device its MSI-X table's messages. iovlab polls the VF, so
	 * no message is ever delivered either way.
	 */
	bool no_msix;
	/* Optional: fill *d for the device on pdo (the node NDIS's FDO sits on) at START. */
	void (*describe)(void *ctx, PDEVICE_OBJECT pdo, struct guest_ndis_device *d);
	void *describe_ctx;
};

struct guest_ndis;

/* Register NDIS's PnP edge with pm (a driver "ndis" and a provider). */
int guest_ndis_create(const struct guest_ndis_config *cfg, struct guest_ndis **out);
/* After every device it serves was removed (vpci_bus_destroy); NULL is a no-op. */
void guest_ndis_destroy(struct guest_ndis *gn);

/*
 * Install a miniport (or protocol) package into the framework, and serve
 * its hardware IDs in the device tree from now on. Same errors as
 * ndis_framework_install_inf().
 */
int guest_ndis_install_inf(struct guest_ndis *gn, const char *inf_path, const char *binary_dir, char *err,
			   size_t errlen);

/* What the edge knows about one adapter (views, diagnose, tests). */
struct guest_ndis_adapter_info {
	struct ndis_adapter *ad;	/* NULL if START never created one */
	PDEVICE_OBJECT pdo, fdo, lower;
	bool over_vbd;			/* the PDO is an IHV bus driver's child */
	bool started;
	bool surprise_removed;
	NTSTATUS interface_status;	/* the last GUID_VPCI_INTERFACE_STANDARD query */
	bool invalidate_pending;	/* an IOCTL_VPCI_INVALIDATE_BLOCK is down the stack */
	NTSTATUS invalidate_status;	/* how the last one completed (STATUS_PENDING: never) */
	uint64_t invalidations;		/* completed with a mask and passed to NDIS */
	uint64_t last_mask;
};
size_t guest_ndis_adapter_count(const struct guest_ndis *gn);
/* 0 and *info, or -ENOENT. */
int guest_ndis_adapter_info_at(const struct guest_ndis *gn, size_t i, struct guest_ndis_adapter_info *info);
/* The adapter on the stack of pdo (its PDO), or NULL. */
struct ndis_adapter *guest_ndis_adapter_of(const struct guest_ndis *gn, PDEVICE_OBJECT pdo);
int guest_ndis_adapter_info(const struct guest_ndis *gn, const struct ndis_adapter *ad,
			    struct guest_ndis_adapter_info *info);

#endif /* IOVLAB_PNP_GUEST_NDIS_H */
