/*
 * srnic_vbd_if.h -- the private interface srnic_vbd offers the function
 * drivers on its child PDOs (IRP_MN_QUERY_INTERFACE with
 * GUID_SRNIC_VBD_INTERFACE, as an IHV bus driver re-exposes its bus's
 * services; ndis-sriov-spec.md 6.4, "With IHV VBD"). A VF miniport that
 * sits on the VBD is an NDIS-WDM miniport and must not call
 * NdisMReadConfigBlock / NdisMWriteConfigBlock: it asks the VBD, which
 * reads and writes the VF's configuration blocks through the
 * GUID_VPCI_INTERFACE_STANDARD it holds from the vPCI PDO below it.
 * Shared by drivers/srnic_vbd and drivers/srnic_vf (one IHV package).
 */
#ifndef SRNIC_VBD_IF_H
#define SRNIC_VBD_IF_H

#include <wdm.h>

/* {5f3a1e2b-7c44-4e0b-9d1a-2b6c8e0f4a71} */
DEFINE_GUID(GUID_SRNIC_VBD_INTERFACE, 0x5f3a1e2b, 0x7c44, 0x4e0b, 0x9d, 0x1a, 0x2b, 0x6c, 0x8e, 0x0f, 0x4a, 0x71);

#define SRNIC_VBD_INTERFACE_VERSION 1

/* Same contract as VPCI_READ_BLOCK / VPCI_WRITE_BLOCK (Length <= 128). */
typedef NTSTATUS (*PSRNIC_VBD_CONFIG_BLOCK)(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length);

typedef struct _SRNIC_VBD_INTERFACE {
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	PSRNIC_VBD_CONFIG_BLOCK ReadConfigBlock;
	PSRNIC_VBD_CONFIG_BLOCK WriteConfigBlock;
} SRNIC_VBD_INTERFACE, *PSRNIC_VBD_INTERFACE;

#endif /* SRNIC_VBD_IF_H */
