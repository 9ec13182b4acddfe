/*
 * vpci.h: the interface the Hyper-V virtual PCI bus driver (vpci.sys) offers
 * the drivers of a VF in a child partition -- GUID_VPCI_INTERFACE_STANDARD
 * (config-block read/write and the VF serial number), obtained with
 * IRP_MN_QUERY_INTERFACE, and the IOCTL_VPCI_* internal device controls.
 * Values and layouts per the WDK vpci.h / pcivirt.h (ndis-sriov-spec.md 6.1-
 * 6.3). Note the write callback precedes the read callback in the structure.
 */
#ifndef IOVLAB_NDIS_VPCI_H
#define IOVLAB_NDIS_VPCI_H

#include "ndis_types.h"
#include "wdm.h"

DEFINE_GUID(GUID_VPCI_INTERFACE_STANDARD, 0x12e65e71, 0xb651, 0x4067,
	    0x83, 0x1a, 0x13, 0x83, 0x20, 0x3c, 0xb0, 0xcb);
DEFINE_GUID(GUID_BUS_VPCI, 0xc066f39a, 0xde00, 0x4667,
	    0x89, 0x41, 0x33, 0x68, 0xed, 0x5d, 0x83, 0xb5);
DEFINE_GUID(GUID_DEVINTERFACE_VPCI, 0x57863182, 0xc948, 0x4692,
	    0x97, 0xe3, 0x34, 0xb5, 0x76, 0x62, 0xa3, 0xe0);

#define FILE_DEVICE_VPCI FILE_DEVICE_BUS_EXTENDER
#define IOCTL_VPCI_INVALIDATE_BLOCK \
	CTL_CODE(FILE_DEVICE_VPCI, 1, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_VPCI_READ_BLOCK \
	CTL_CODE(FILE_DEVICE_VPCI, 2, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_VPCI_WRITE_BLOCK \
	CTL_CODE(FILE_DEVICE_VPCI, 3, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)

/* pcivirt.h: the largest config block one read or write may carry. */
#define VPCI_MAX_READ_WRITE_BLOCK_SIZE 128

typedef NTSTATUS (VPCI_READ_BLOCK)(PVOID Context, ULONG BlockId, PVOID Buffer,
				   ULONG Length);
typedef VPCI_READ_BLOCK *PVPCI_READ_BLOCK;
typedef NTSTATUS (VPCI_WRITE_BLOCK)(PVOID Context, ULONG BlockId, PVOID Buffer,
				    ULONG Length);
typedef VPCI_WRITE_BLOCK *PVPCI_WRITE_BLOCK;

typedef struct _VPCI_INTERFACE_STANDARD {
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	PVPCI_WRITE_BLOCK WriteVfConfigBlock;
	PVPCI_READ_BLOCK ReadVfConfigBlock;
	UINT32 SerialNumber;
} VPCI_INTERFACE_STANDARD, *PVPCI_INTERFACE_STANDARD;

C_ASSERT(sizeof(VPCI_INTERFACE_STANDARD) == 56);
C_ASSERT(offsetof(VPCI_INTERFACE_STANDARD, WriteVfConfigBlock) == 32);
C_ASSERT(offsetof(VPCI_INTERFACE_STANDARD, SerialNumber) == 48);

typedef struct _VPCI_READ_BLOCK_INPUT {
	ULONG BlockId;
	ULONG BytesRequested;
} VPCI_READ_BLOCK_INPUT, *PVPCI_READ_BLOCK_INPUT;

typedef struct _VPCI_WRITE_BLOCK_INPUT {
	ULONG BlockId;
	ULONG DataLength;
	UCHAR Data[ANYSIZE_ARRAY];
} VPCI_WRITE_BLOCK_INPUT, *PVPCI_WRITE_BLOCK_INPUT;

typedef struct _VPCI_INVALIDATE_BLOCK_OUTPUT {
	UINT64 BlockMask;
} VPCI_INVALIDATE_BLOCK_OUTPUT, *PVPCI_INVALIDATE_BLOCK_OUTPUT;

C_ASSERT(IOCTL_VPCI_INVALIDATE_BLOCK == 0x002AC007);
C_ASSERT(IOCTL_VPCI_READ_BLOCK == 0x002AC00B);
C_ASSERT(IOCTL_VPCI_WRITE_BLOCK == 0x002AC00F);

#endif /* IOVLAB_NDIS_VPCI_H */
