/*
 * pci.sys's PDO for a PF in the root partition: the device object an IHV
 * virtual bus driver attaches to when it, not NDIS, is the PF's function
 * driver (ndis-sriov-spec.md 1.1 row 14, 6.4). One struct pci_bus per host
 * PnP manager; each PF added (over its pcibus_pf, the PCI bus driver's
 * access to the function) becomes a PDO the manager enumerates at once:
 *
 *   IRP_MN_QUERY_ID       PCI\VEN_v&DEV_d&SUBSYS_s&REV_r, then without REV,
 *                         PCI\VEN_v&DEV_d&REV_r, PCI\VEN_v&DEV_d; compatible
 *                         PCI\CC_ccssppp, PCI\CC_ccss; instance = the RID;
 *   IRP_MN_QUERY_INTERFACE(GUID_PCI_VIRTUALIZATION_INTERFACE)
 *                         Size >= sizeof, Version >= 1; every routine goes to
 *                         the pcibus_pf (VF config space, location,
 *                         EnableVirtualization with the WDK's status rules,
 *                         probed VF BARs, captured bus numbers); handed out
 *                         referenced;
 *   IRP_MN_READ_CONFIG / WRITE_CONFIG   the PF's own config space;
 *   QUERY_DEVICE_RELATIONS(TargetDeviceRelation), START, QUERY/CANCEL_REMOVE,
 *                         SURPRISE_REMOVAL, REMOVE_DEVICE as a PDO answers.
 *
 * MMIO, DMA and the PF's interrupt are not IRPs in iovlab: the host hands
 * the pcibus_pf to NDIS's PnP edge for them (src/pnp/guest_ndis.h,
 * guest_ndis_config.describe). Single-threaded, on the host's loop.
 */
#ifndef IOVLAB_HV_PCI_PDO_H
#define IOVLAB_HV_PCI_PDO_H

#include <stdint.h>

#include "hv/pcibus.h"
#include "pnp/pnp.h"

struct pci_bus;

/* Registers the "pci" driver with pm. 0, -ENOMEM, or pnp_driver_create's error. */
int pci_bus_create(struct pnp_manager *pm, struct pci_bus **out);
/* Removes every PDO's device node (surprise removal if refused) and deletes the PDOs; NULL is a no-op. */
void pci_bus_destroy(struct pci_bus *bus);

/*
 * Report pf as a new PDO: the manager enumerates it and builds its stack
 * (its function driver, that driver's children). *pdo and *dn (may be
 * NULL) are set even when no driver started on it.
 */
int pci_bus_add_pf(struct pci_bus *bus, struct pcibus_pf *pf, PDEVICE_OBJECT *pdo, struct pnp_devnode **dn);
/* Remove the PF's node (graceful, surprise if refused) and delete its PDO. -ENOENT if unknown. */
int pci_bus_remove_pf(struct pci_bus *bus, struct pcibus_pf *pf);

/* Calls through the PDO's GUID_PCI_VIRTUALIZATION_INTERFACE (tests, views). */
struct pci_pdo_stats {
	unsigned interface_queries;	/* answered with the interface */
	unsigned refs;			/* references out now */
	unsigned set_data, get_data, get_location, get_resources, enable, probed_bars;
	unsigned config_irps;		/* IRP_MN_READ_CONFIG / WRITE_CONFIG */
};
int pci_bus_pf_stats(const struct pci_bus *bus, const struct pcibus_pf *pf, struct pci_pdo_stats *st);

#endif /* IOVLAB_HV_PCI_PDO_H */
