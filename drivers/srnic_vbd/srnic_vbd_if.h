/*
 * srnic_vbd_if.h -- the private interface srnic_vbd offers the function
 * drivers on its child PDOs (IRP_MN_QUERY_INTERFACE with
 * GUID_SRNIC_VBD_INTERFACE, as an IHV bus driver re-exposes its bus's
 * services; ndis-sriov-spec.md 6.4, "With IHV VBD"). A VF miniport that
 * sits on the VBD is an NDIS-WDM miniport and must not call
 * NdisMReadConfigBlock / NdisMWriteConfigBlock: it asks the VBD, which
 * reads and writes the VF's configuration blocks through the
 * GUID_VPCI_INTERFACE_STANDARD it holds from the vPCI PDO below it.
 * Shared by drivers/srnic_vbd, drivers/srnic_vf and drivers/srnic_pf (one
 * IHV package).
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

/*
 * The host role (spec 6.4, parent partition): srnic_vbd is the function
 * driver of the srnic PF's PCI PDO and holds GUID_PCI_VIRTUALIZATION_
 * INTERFACE from it; the PF miniport on its child ("SRNICVBD\PF") is an
 * NDIS-WDM miniport that must not call NdisMEnableVirtualization,
 * NdisM{Get,Set}VirtualFunctionBusData, NdisMGetVirtualFunctionLocation or
 * NdisMQueryProbedBars. It asks the VBD through this interface instead;
 * each routine is the PCI virtualization routine of the same contract.
 */
/* {9a7c3e51-2d84-4b6f-8e13-5c0f7a2d9b64} */
DEFINE_GUID(GUID_SRNIC_VBD_PF_INTERFACE, 0x9a7c3e51, 0x2d84, 0x4b6f, 0x8e, 0x13, 0x5c, 0x0f, 0x7a, 0x2d, 0x9b, 0x64);

#define SRNIC_VBD_PF_INTERFACE_VERSION 1

/* EnableVirtualization (NumVFs 0 and FALSE to disable): STATUS_INVALID_PARAMETER, _INVALID_DEVICE_STATE, ... */
typedef NTSTATUS (*PSRNIC_VBD_ENABLE_VIRTUALIZATION)(PVOID Context, USHORT NumVFs, BOOLEAN Enable);
/* Get/SetVirtualFunctionData: bytes read / written, 0 on failure. */
typedef ULONG (*PSRNIC_VBD_VF_CONFIG)(PVOID Context, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length);
/* GetLocation. */
typedef NTSTATUS (*PSRNIC_VBD_VF_LOCATION)(PVOID Context, USHORT VFId, PUSHORT SegmentNumber, PUCHAR BusNumber,
					   PUCHAR FunctionNumber);
/* GetVirtualFunctionProbedBars: BaseRegisterValues[PCI_TYPE0_ADDRESSES]. */
typedef NTSTATUS (*PSRNIC_VBD_PROBED_BARS)(PVOID Context, PULONG BaseRegisterValues);

typedef struct _SRNIC_VBD_PF_INTERFACE {
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	PSRNIC_VBD_ENABLE_VIRTUALIZATION EnableVirtualization;
	PSRNIC_VBD_VF_CONFIG ReadVfConfig;
	PSRNIC_VBD_VF_CONFIG WriteVfConfig;
	PSRNIC_VBD_VF_LOCATION GetVfLocation;
	PSRNIC_VBD_PROBED_BARS QueryProbedBars;
} SRNIC_VBD_PF_INTERFACE, *PSRNIC_VBD_PF_INTERFACE;

#endif /* SRNIC_VBD_IF_H */
