/*
 * srnic_vbd.h -- the reference IHV virtual bus driver for srnic VFs in a
 * guest (ndis-sriov-spec.md 1.1 row 14, 6.4, 6.5). It is the function
 * driver (FDO) of the vPCI PDO of an srnic VF and the bus driver of one
 * child PDO, the VF's NIC function ("SRNICVBD\NIC"), on which NDIS loads
 * the VF miniport as an NDIS-WDM miniport. (A real VBD would also create
 * children for storage or RDMA functions of the same VF.)
 *
 * On the child PDO it forwards to the vPCI PDO what NDIS needs from the
 * vPCI bus -- IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) and the
 * IOCTL_VPCI_* internal device controls (NDIS keeps INVALIDATE_BLOCK
 * pending) -- unless the device parameter ForwardVpciInterface is 0: then
 * it swallows them, exactly the field report of spec 6.5 (F22): NDIS
 * captures no interface, OID_SRIOV_VF_SERIAL_NUMBER fails with
 * NDIS_STATUS_NOT_SUPPORTED and NetVsc declines the VF. Config space and
 * the bus interface (DMA) are always forwarded. The VF miniport reads its
 * configuration blocks through GUID_SRNIC_VBD_INTERFACE (srnic_vbd_if.h).
 *
 * The same binary serves the srnic PF in the parent partition (spec 6.4,
 * "With IHV VBD"): srnic_vbd.inf also matches the PF's PCI ID; on the PCI
 * PDO the FDO takes GUID_PCI_VIRTUALIZATION_INTERFACE, the child is
 * "SRNICVBD\PF" (srnic_pf.inf serves it, NDIS-WDM) and the child answers
 * GUID_SRNIC_VBD_PF_INTERFACE by calling the PCI virtualization interface.
 *
 * File split: driver.c (DriverEntry, AddDevice, dispatch), fdo.c (the FDO
 * on the vPCI PDO), pdo.c (the child PDO). Written against include/ndis
 * only (wdm.h, vpci.h). docs/drivers/srnic_vbd.md.
 */
#ifndef SRNIC_VBD_H
#define SRNIC_VBD_H

#include <wdm.h>
#include <vpci.h>

#include "srnic_vbd_if.h"
#include "trace.h"

#define VBD_POOL_TAG 0x44425653	/* 'SVBD' */

typedef enum _VBD_DEVICE_KIND {
	VbdKindFdo = 0x46445642,	/* 'BVDF' */
	VbdKindPdo = 0x50445642,	/* 'BVDP' */
} VBD_DEVICE_KIND;

/*
 * Which function the FDO drives, decided at START by what the bus below
 * offers: a VF's vPCI PDO in a guest (GUID_VPCI_INTERFACE_STANDARD), or
 * the PF's PCI PDO in the parent (GUID_PCI_VIRTUALIZATION_INTERFACE).
 */
typedef enum _VBD_ROLE {
	VbdRoleNone,
	VbdRoleGuestVf,		/* child SRNICVBD\NIC for srnic_vf */
	VbdRoleHostPf,		/* child SRNICVBD\PF for srnic_pf */
} VBD_ROLE;

typedef struct _VBD_FDO VBD_FDO, *PVBD_FDO;

typedef struct _VBD_PDO {
	VBD_DEVICE_KIND Kind;
	PDEVICE_OBJECT Self;
	PVBD_FDO Parent;
	BOOLEAN Present;	/* reported in the bus relations */
	BOOLEAN Started;
	ULONG InterfaceRefs;	/* GUID_SRNIC_VBD_INTERFACE / _PF_INTERFACE references out */
} VBD_PDO, *PVBD_PDO;

struct _VBD_FDO {
	VBD_DEVICE_KIND Kind;
	PDEVICE_OBJECT Self;
	PDEVICE_OBJECT Pdo;		/* the vPCI PDO */
	PDEVICE_OBJECT Lower;		/* what we attached to */
	VPCI_INTERFACE_STANDARD Vpci;	/* the VBD's own reference */
	BOOLEAN HaveVpci;
	ULONG ForwardVpciInterface;	/* device parameter, default 1 */
	VBD_ROLE Role;
	PCI_VIRTUALIZATION_INTERFACE PciVirt;	/* host role: from the PF's PCI PDO */
	BOOLEAN HavePciVirt;
	BOOLEAN Started;
	PDEVICE_OBJECT Child;		/* the NIC function's PDO */
};

/* driver.c */
NTSTATUS VbdCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information);
NTSTATUS VbdForwardToBus(PVBD_FDO Fdo, PIRP Irp);

/* fdo.c */
NTSTATUS VbdAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo);
NTSTATUS VbdFdoDispatchPnp(PVBD_FDO Fdo, PIRP Irp);

/* pdo.c */
NTSTATUS VbdPdoCreate(PVBD_FDO Fdo);
NTSTATUS VbdPdoDispatchPnp(PVBD_PDO Pdo, PIRP Irp);
NTSTATUS VbdPdoDispatchInternalIoctl(PVBD_PDO Pdo, PIRP Irp);

#endif /* SRNIC_VBD_H */
