/*
 * The guest's vPCI bus driver, PnP half (vpci.sys's PDO layer), on top of
 * the protocol half in vpci_vsc.c: for every function the host brings up
 * it creates a PDO and reports it to the guest's PnP manager (src/pnp), so
 * the driver whose INF matches the function's PCI hardware ID loads on it;
 * it answers what vpci.sys answers on that PDO -- IRP_MN_QUERY_ID, the
 * function's config space (IRP_MN_READ_CONFIG / WRITE_CONFIG and
 * BUS_INTERFACE_STANDARD.Get/SetBusData, with the identity and BAR
 * registers answered from the function description), IRP_MN_QUERY_INTERFACE
 * for GUID_VPCI_INTERFACE_STANDARD (Read/WriteVfConfigBlock, SerialNumber)
 * and GUID_BUS_INTERFACE_STANDARD (the DMA adapter over the guest's RAM),
 * and the IOCTL_VPCI_READ_BLOCK / WRITE_BLOCK / INVALIDATE_BLOCK internal
 * device controls, INVALIDATE_BLOCK pending until the host invalidates
 * (ndis-sriov-spec.md 2.11, 2.13, 6.1-6.3). Eject requests become
 * IRP_MN_QUERY_REMOVE_DEVICE, removals IRP_MN_REMOVE_DEVICE, a function
 * that vanishes a surprise removal (2.17).
 *
 * Single threaded, on the guest's loop: the VSC's callbacks (from
 * vpci_vsc_poll) drive it. Design note: docs/pnp.md.
 */
#ifndef IOVLAB_HV_VPCI_PDO_H
#define IOVLAB_HV_VPCI_PDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ndis/vpci.h>

#include "hv/vpci_vsc.h"
#include "pnp/pnp.h"

struct vpci_bus;

/* The GUID_VPCI_INTERFACE_STANDARD version this bus hands out. */
#define VPCI_PDO_INTERFACE_VERSION 1
/* IOCTL_VPCI_INVALIDATE_BLOCK IRPs one PDO keeps pending at most. */
#define VPCI_PDO_MAX_PENDING 8

struct vpci_bus_config {
	struct pnp_manager *pm;		/* the guest's PnP manager */
	struct pnp_dma_pool *dma;	/* common buffers for the functions; NULL: no DMA adapter */
};

/*
 * Create the bus driver (its driver object "vpci" in pm). Then let
 * vpci_bus_vsc_config() fill the VSC's callbacks before vpci_vsc_create(),
 * so the functions already on the bus become PDOs during that call. The
 * caller owns *out; 0 or -errno.
 */
int vpci_bus_create(const struct vpci_bus_config *cfg, struct vpci_bus **out);
/* Set cfg->arrival, eject, removal and arg to this bus. */
void vpci_bus_vsc_config(struct vpci_bus *bus, struct vpci_vsc_config *cfg);
/*
 * Remove every PDO still there (by surprise: the bus itself goes) and free
 * the bus. Call it before vpci_vsc_destroy() and pnp_manager_destroy().
 * NULL is a no-op.
 */
void vpci_bus_destroy(struct vpci_bus *bus);

size_t vpci_bus_pdo_count(const struct vpci_bus *bus);
PDEVICE_OBJECT vpci_bus_pdo_at(const struct vpci_bus *bus, size_t i);
/* The PDO of the function with this serial number, or NULL. */
PDEVICE_OBJECT vpci_bus_find_pdo(const struct vpci_bus *bus, uint32_t serial);
/* The vPCI bus driver object (to tell a vPCI PDO from an IHV bus's). */
PDRIVER_OBJECT vpci_bus_driver(const struct vpci_bus *bus);

struct vpci_pdo_stats {
	uint64_t interface_queries;	/* GUID_VPCI_INTERFACE_STANDARD answered */
	uint64_t interface_refs;	/* references outstanding */
	uint64_t block_reads, block_writes;	/* through the interface or the IOCTLs */
	uint64_t ioctls_refused;	/* malformed IOCTL_VPCI_* */
	uint64_t invalidates_delivered;	/* INVALIDATE_BLOCK IRPs completed with a mask */
	unsigned pending;		/* INVALIDATE_BLOCK IRPs pending now */
	uint64_t undelivered_mask;	/* invalidated blocks nobody has asked for yet */
};
/* 0, or -ENODEV if pdo is not one of bus's. */
int vpci_pdo_get_stats(const struct vpci_bus *bus, PDEVICE_OBJECT pdo, struct vpci_pdo_stats *st);

/* ---- the IOCTL parser (exposed for its fuzz target) ---------------------- */
struct vpci_ioctl_req {
	ULONG code;		/* IOCTL_VPCI_* */
	ULONG block_id;
	ULONG length;		/* bytes to read or write */
	PVOID data;		/* read: where to put them; write: where they are */
	PVPCI_INVALIDATE_BLOCK_OUTPUT out;	/* INVALIDATE_BLOCK */
};
/*
 * Check an IRP_MJ_INTERNAL_DEVICE_CONTROL stack location (and the IRP's
 * UserBuffer) as vpci.sys checks IOCTL_VPCI_* (spec 6.3): STATUS_SUCCESS
 * with req filled, STATUS_BUFFER_TOO_SMALL for a length too small,
 * STATUS_INVALID_PARAMETER for a missing buffer or a block length outside
 * 1..VPCI_MAX_READ_WRITE_BLOCK_SIZE, STATUS_INVALID_DEVICE_REQUEST for
 * another code. Reads the input buffer, never writes.
 */
NTSTATUS vpci_pdo_parse_ioctl(const IO_STACK_LOCATION *sl, PVOID user_buffer, struct vpci_ioctl_req *req);

#endif /* IOVLAB_HV_VPCI_PDO_H */
