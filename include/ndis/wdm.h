/*
 * The WDM subset iovlab's drivers use: device and driver objects, IRPs with
 * their stack locations, the PnP/internal-ioctl codes a bus driver and an
 * NDIS-WDM miniport exchange (IRP_MN_QUERY_INTERFACE, IRP_MJ_INTERNAL_DEVICE_
 * CONTROL), INTERFACE, CTL_CODE and CM_PARTIAL_RESOURCE_DESCRIPTOR. Codes and
 * values follow wdm.h. The objects are the lab's own layout (nothing outside
 * the lab reads them), reduced to the fields a driver touches; src/pnp
 * implements the Io* functions so that an IRP a driver forwards or swallows
 * has the same effect as on Windows.
 *
 * The second half declares the kernel routines src/pnp exports to drivers
 * (the I/O manager's Io*, pool, events, the device registry key, the bus
 * interface and DMA adapter a PDO's bus offers, DbgPrintEx); docs/pnp.md
 * says what each does in iovlab and where it differs from Windows.
 */
#ifndef IOVLAB_NDIS_WDM_H
#define IOVLAB_NDIS_WDM_H

#include <stdarg.h>

#include "ndis_types.h"
#include "ndis_status.h"

/* ntstatus.h codes the I/O manager and bus drivers return. */
#define STATUS_DELETE_PENDING ((NTSTATUS)0xC0000056L)

/* ---- scalar kernel types (ntdef.h, wdm.h) ------------------------------ */
typedef PVOID HANDLE, *PHANDLE;
typedef ULONG ACCESS_MASK;
typedef CHAR CCHAR;
typedef LONG KPRIORITY;
typedef const CHAR *PCCH;
typedef KIRQL *PKIRQL;

/* ---- GUIDs ------------------------------------------------------------- */
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
	static const GUID name __attribute__((unused)) = \
		{ l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }

static inline BOOLEAN IsEqualGUID(const GUID *a, const GUID *b)
{
	const UCHAR *x = (const UCHAR *)a, *y = (const UCHAR *)b;
	for (unsigned i = 0; i < sizeof(GUID); i++)
		if (x[i] != y[i])
			return FALSE;
	return TRUE;
}

/* ---- debug output (dpfilter.h): DbgPrintEx components and levels ------ */
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVBUS_ID 82

/* ---- I/O control codes (devioctl.h) ----------------------------------- */
#define FILE_DEVICE_PHYSICAL_NETCARD 0x00000017
#define FILE_DEVICE_BUS_EXTENDER 0x0000002a
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#define FILE_ANY_ACCESS 0
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002
#define CTL_CODE(DeviceType, Function, Method, Access) \
	(((ULONG)(DeviceType) << 16) | ((ULONG)(Access) << 14) | \
	 ((ULONG)(Function) << 2) | (ULONG)(Method))

/* ---- IRP major and minor function codes ------------------------------- */
#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define IRP_MJ_POWER 0x16
#define IRP_MJ_SYSTEM_CONTROL 0x17
#define IRP_MJ_PNP 0x1b
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b

#define IRP_MN_START_DEVICE 0x00
#define IRP_MN_QUERY_REMOVE_DEVICE 0x01
#define IRP_MN_REMOVE_DEVICE 0x02
#define IRP_MN_CANCEL_REMOVE_DEVICE 0x03
#define IRP_MN_STOP_DEVICE 0x04
#define IRP_MN_QUERY_STOP_DEVICE 0x05
#define IRP_MN_CANCEL_STOP_DEVICE 0x06
#define IRP_MN_QUERY_DEVICE_RELATIONS 0x07
#define IRP_MN_QUERY_INTERFACE 0x08
#define IRP_MN_QUERY_CAPABILITIES 0x09
#define IRP_MN_QUERY_RESOURCES 0x0a
#define IRP_MN_QUERY_RESOURCE_REQUIREMENTS 0x0b
#define IRP_MN_QUERY_DEVICE_TEXT 0x0c
#define IRP_MN_FILTER_RESOURCE_REQUIREMENTS 0x0d
#define IRP_MN_READ_CONFIG 0x0f
#define IRP_MN_WRITE_CONFIG 0x10
#define IRP_MN_EJECT 0x11
#define IRP_MN_SET_LOCK 0x12
#define IRP_MN_QUERY_ID 0x13
#define IRP_MN_QUERY_PNP_DEVICE_STATE 0x14
#define IRP_MN_QUERY_BUS_INFORMATION 0x15
#define IRP_MN_DEVICE_USAGE_NOTIFICATION 0x16
#define IRP_MN_SURPRISE_REMOVAL 0x17

typedef enum _DEVICE_RELATION_TYPE {
	BusRelations,
	EjectionRelations,
	PowerRelations,
	RemovalRelations,
	TargetDeviceRelation,
	SingleBusRelations,
	TransportRelations
} DEVICE_RELATION_TYPE, *PDEVICE_RELATION_TYPE;

typedef enum _BUS_QUERY_ID_TYPE {
	BusQueryDeviceID = 0,
	BusQueryHardwareIDs = 1,
	BusQueryCompatibleIDs = 2,
	BusQueryInstanceID = 3,
	BusQueryDeviceSerialNumber = 4,
	BusQueryContainerID = 5
} BUS_QUERY_ID_TYPE, *PBUS_QUERY_ID_TYPE;

/* ---- INTERFACE (IRP_MN_QUERY_INTERFACE) ------------------------------- */
typedef VOID (*PINTERFACE_REFERENCE)(PVOID Context);
typedef VOID (*PINTERFACE_DEREFERENCE)(PVOID Context);

typedef struct _INTERFACE {
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	/* interface-specific entries follow */
} INTERFACE, *PINTERFACE;

/* ---- resources -------------------------------------------------------- */
#define PCI_TYPE0_ADDRESSES 6
#define PCI_WHICHSPACE_CONFIG 0x0
#define PCI_WHICHSPACE_ROM 0x52696350

#define CmResourceTypeNull 0
#define CmResourceTypePort 1
#define CmResourceTypeInterrupt 2
#define CmResourceTypeMemory 3
#define CmResourceTypeMemoryLarge 7
#define CmResourceShareUndetermined 0
#define CmResourceShareDeviceExclusive 1
#define CmResourceShareDriverExclusive 2
#define CmResourceShareShared 3
#define CM_RESOURCE_MEMORY_READ_WRITE 0x0000
#define CM_RESOURCE_MEMORY_PREFETCHABLE 0x0004

#pragma pack(push, 4)
typedef struct _CM_PARTIAL_RESOURCE_DESCRIPTOR {
	UCHAR Type;
	UCHAR ShareDisposition;
	USHORT Flags;
	union {
		struct {
			PHYSICAL_ADDRESS Start;
			ULONG Length;
		} Generic;
		struct {
			PHYSICAL_ADDRESS Start;
			ULONG Length;
		} Memory;
		struct {
			PHYSICAL_ADDRESS Start;
			ULONG Length;
		} Port;
		struct {
			USHORT Level;
			USHORT Group;
			ULONG Vector;
			KAFFINITY Affinity;
		} Interrupt;
		struct {
			ULONG Data[3];
		} DeviceSpecificData;
	} u;
} CM_PARTIAL_RESOURCE_DESCRIPTOR, *PCM_PARTIAL_RESOURCE_DESCRIPTOR;
#pragma pack(pop)

C_ASSERT(sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR) == 20);	/* x64, pack(4) */

/* ---- interrupt messages (wdm.h): what IoConnectInterruptEx connected ---- */
typedef enum _KINTERRUPT_MODE {
	LevelSensitive,
	Latched
} KINTERRUPT_MODE;

typedef enum _KINTERRUPT_POLARITY {
	InterruptPolarityUnknown,
	InterruptActiveHigh,
	InterruptActiveLow
} KINTERRUPT_POLARITY;

typedef struct _IO_INTERRUPT_MESSAGE_INFO_ENTRY {
	PHYSICAL_ADDRESS MessageAddress;
	KAFFINITY TargetProcessorSet;
	PVOID InterruptObject;		/* PKINTERRUPT */
	ULONG MessageData;
	ULONG Vector;
	KIRQL Irql;
	KINTERRUPT_MODE Mode;
	KINTERRUPT_POLARITY Polarity;
} IO_INTERRUPT_MESSAGE_INFO_ENTRY, *PIO_INTERRUPT_MESSAGE_INFO_ENTRY;

typedef struct _IO_INTERRUPT_MESSAGE_INFO {
	KIRQL UnifiedIrql;
	ULONG MessageCount;
	IO_INTERRUPT_MESSAGE_INFO_ENTRY MessageInfo[ANYSIZE_ARRAY];
} IO_INTERRUPT_MESSAGE_INFO, *PIO_INTERRUPT_MESSAGE_INFO;

/* ---- objects ---------------------------------------------------------- */
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _DRIVER_OBJECT DRIVER_OBJECT, *PDRIVER_OBJECT;
typedef struct _IRP IRP, *PIRP;

typedef struct _IO_STATUS_BLOCK {
	NTSTATUS Status;
	ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

typedef NTSTATUS (DRIVER_DISPATCH)(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef NTSTATUS (DRIVER_ADD_DEVICE)(PDRIVER_OBJECT DriverObject,
				     PDEVICE_OBJECT PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;
typedef VOID (DRIVER_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
typedef NTSTATUS (IO_COMPLETION_ROUTINE)(PDEVICE_OBJECT DeviceObject, PIRP Irp,
					 PVOID Context);
typedef IO_COMPLETION_ROUTINE *PIO_COMPLETION_ROUTINE;
typedef VOID (DRIVER_CANCEL)(PDEVICE_OBJECT DeviceObject, PIRP Irp);
typedef DRIVER_CANCEL *PDRIVER_CANCEL;
#define STATUS_CONTINUE_COMPLETION STATUS_SUCCESS
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)

typedef struct _DRIVER_EXTENSION {
	PDRIVER_OBJECT DriverObject;
	PDRIVER_ADD_DEVICE AddDevice;
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

struct _DRIVER_OBJECT {
	PDEVICE_OBJECT DeviceObject;	/* first device created by this driver */
	PDRIVER_EXTENSION DriverExtension;
	UNICODE_STRING DriverName;
	PDRIVER_UNLOAD DriverUnload;
	PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
};

#define DO_BUFFERED_IO 0x00000004
#define DO_DEVICE_INITIALIZING 0x00000080
#define DO_POWER_PAGABLE 0x00002000
#define FILE_DEVICE_SECURE_OPEN 0x00000100

struct _DEVICE_OBJECT {
	PDRIVER_OBJECT DriverObject;
	PDEVICE_OBJECT NextDevice;	/* next device of the same driver */
	PDEVICE_OBJECT AttachedDevice;	/* device attached above this one */
	ULONG Flags;
	ULONG Characteristics;
	ULONG DeviceType;
	CHAR StackSize;
	PVOID DeviceExtension;
	/* The I/O manager's own record (device node, the device this one is
	 * attached to); opaque to drivers, as on Windows. */
	struct _DEVOBJ_EXTENSION *DeviceObjectExtension;
};

typedef struct _DEVICE_RELATIONS {
	ULONG Count;
	PDEVICE_OBJECT Objects[1];
} DEVICE_RELATIONS, *PDEVICE_RELATIONS;

#define SL_PENDING_RETURNED 0x01
#define SL_INVOKE_ON_CANCEL 0x20
#define SL_INVOKE_ON_SUCCESS 0x40
#define SL_INVOKE_ON_ERROR 0x80

typedef struct _IO_STACK_LOCATION {
	UCHAR MajorFunction;
	UCHAR MinorFunction;
	UCHAR Flags;
	UCHAR Control;
	union {
		struct {
			const GUID *InterfaceType;
			USHORT Size;
			USHORT Version;
			PINTERFACE Interface;
			PVOID InterfaceSpecificData;
		} QueryInterface;
		struct {
			ULONG OutputBufferLength;
			ULONG InputBufferLength;
			ULONG IoControlCode;
			PVOID Type3InputBuffer;
		} DeviceIoControl;
		struct {
			DEVICE_RELATION_TYPE Type;
		} QueryDeviceRelations;
		struct {
			BUS_QUERY_ID_TYPE IdType;
		} QueryId;
		struct {
			PVOID AllocatedResources;
			PVOID AllocatedResourcesTranslated;
		} StartDevice;
		struct {
			ULONG WhichSpace;
			PVOID Buffer;
			ULONG Offset;
			ULONG Length;
		} ReadWriteConfig;
	} Parameters;
	PDEVICE_OBJECT DeviceObject;
	PIO_COMPLETION_ROUTINE CompletionRoutine;
	PVOID Context;
} IO_STACK_LOCATION, *PIO_STACK_LOCATION;

#define IOVLAB_IRP_MAX_STACK 16

/* ---- events (KEVENT) ---------------------------------------------------- */
typedef enum _EVENT_TYPE {
	NotificationEvent,
	SynchronizationEvent
} EVENT_TYPE;

typedef enum _KWAIT_REASON {
	Executive = 0
} KWAIT_REASON;

typedef enum _MODE {
	KernelMode,
	UserMode,
	MaximumMode
} MODE;
typedef CCHAR KPROCESSOR_MODE;

typedef struct _KEVENT {
	EVENT_TYPE Type;
	LONG SignalState;
} KEVENT, *PKEVENT;

struct _IRP {
	IO_STATUS_BLOCK IoStatus;
	PVOID UserBuffer;
	union {
		PVOID SystemBuffer;
	} AssociatedIrp;
	BOOLEAN PendingReturned;
	BOOLEAN Cancel;
	KIRQL CancelIrql;
	CHAR StackCount;
	CHAR CurrentLocation;	/* 1-based index; StackCount + 1 when unused */
	PDRIVER_CANCEL CancelRoutine;
	PIO_STATUS_BLOCK UserIosb;	/* IoBuildDeviceIoControlRequest's IoStatusBlock */
	PKEVENT UserEvent;		/* ... and its Event */
	IO_STACK_LOCATION Stack[IOVLAB_IRP_MAX_STACK];
};

/* Stack-location helpers, with the semantics of wdm.h's inline functions. */
static inline PIO_STACK_LOCATION IoGetCurrentIrpStackLocation(PIRP Irp)
{
	return &Irp->Stack[Irp->CurrentLocation - 1];
}

static inline PIO_STACK_LOCATION IoGetNextIrpStackLocation(PIRP Irp)
{
	return &Irp->Stack[Irp->CurrentLocation - 2];
}

static inline VOID IoSkipCurrentIrpStackLocation(PIRP Irp)
{
	Irp->CurrentLocation++;
}

static inline VOID IoSetNextIrpStackLocation(PIRP Irp)
{
	Irp->CurrentLocation--;
}

static inline VOID IoCopyCurrentIrpStackLocationToNext(PIRP Irp)
{
	PIO_STACK_LOCATION cur = IoGetCurrentIrpStackLocation(Irp);
	PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);

	*next = *cur;
	next->CompletionRoutine = NULL;
	next->Context = NULL;
	next->Control = 0;
}

static inline VOID IoSetCompletionRoutine(PIRP Irp, PIO_COMPLETION_ROUTINE Routine,
					  PVOID Context, BOOLEAN OnSuccess,
					  BOOLEAN OnError, BOOLEAN OnCancel)
{
	PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);

	next->CompletionRoutine = Routine;
	next->Context = Context;
	next->Control = (UCHAR)((OnSuccess ? SL_INVOKE_ON_SUCCESS : 0) |
				(OnError ? SL_INVOKE_ON_ERROR : 0) |
				(OnCancel ? SL_INVOKE_ON_CANCEL : 0));
}

static inline VOID IoMarkIrpPending(PIRP Irp)
{
	IoGetCurrentIrpStackLocation(Irp)->Control |= SL_PENDING_RETURNED;
}

/* IoSetCancelRoutine: the previous routine (an atomic exchange on Windows;
 * iovlab's guest runs its drivers on one thread). */
static inline PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
	PDRIVER_CANCEL old = Irp->CancelRoutine;

	Irp->CancelRoutine = CancelRoutine;
	return old;
}

#define IO_NO_INCREMENT 0

/* ---- pool ---------------------------------------------------------------- */
typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	PagedPool = 1,
	NonPagedPoolNx = 512
} POOL_TYPE;

/* ---- the device's registry key (IoOpenDeviceRegistryKey) ---------------- */
#define PLUGPLAY_REGKEY_DEVICE 1
#define PLUGPLAY_REGKEY_DRIVER 2
#define KEY_QUERY_VALUE 0x0001
#define KEY_READ 0x20019
#define REG_NONE 0
#define REG_SZ 1
#define REG_BINARY 3
#define REG_DWORD 4
#define REG_MULTI_SZ 7

typedef enum _KEY_VALUE_INFORMATION_CLASS {
	KeyValueBasicInformation,
	KeyValueFullInformation,
	KeyValuePartialInformation
} KEY_VALUE_INFORMATION_CLASS;

typedef struct _KEY_VALUE_PARTIAL_INFORMATION {
	ULONG TitleIndex;
	ULONG Type;
	ULONG DataLength;
	UCHAR Data[1];
} KEY_VALUE_PARTIAL_INFORMATION, *PKEY_VALUE_PARTIAL_INFORMATION;

/* ---- the bus interface and DMA adapters (wdm.h, wdmguid.h) -------------- */
DEFINE_GUID(GUID_BUS_INTERFACE_STANDARD, 0x496b8280, 0x6f25, 0x11d0,
	    0xbe, 0xaf, 0x08, 0x00, 0x2b, 0xe2, 0x09, 0x2f);

typedef enum _INTERFACE_TYPE {
	InterfaceTypeUndefined = -1,
	Internal = 0,
	PCIBus = 5
} INTERFACE_TYPE;

#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

/* Reduced to what a bus-master PCI function states (lab layout). */
typedef struct _DEVICE_DESCRIPTION {
	ULONG Version;
	BOOLEAN Master;
	BOOLEAN ScatterGather;
	BOOLEAN Dma32BitAddresses;
	BOOLEAN Dma64BitAddresses;
	INTERFACE_TYPE InterfaceType;
	ULONG MaximumLength;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

typedef struct _DMA_ADAPTER DMA_ADAPTER, *PDMA_ADAPTER;
typedef VOID (*PPUT_DMA_ADAPTER)(PDMA_ADAPTER DmaAdapter);
typedef PVOID (*PALLOCATE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length,
					 PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled);
typedef VOID (*PFREE_COMMON_BUFFER)(PDMA_ADAPTER DmaAdapter, ULONG Length,
				    PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
				    BOOLEAN CacheEnabled);

/* The first three operations of DMA_OPERATIONS; map registers and
 * scatter/gather lists are not modelled (docs/pnp.md). */
typedef struct _DMA_OPERATIONS {
	ULONG Size;
	PPUT_DMA_ADAPTER PutDmaAdapter;
	PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
	PFREE_COMMON_BUFFER FreeCommonBuffer;
} DMA_OPERATIONS, *PDMA_OPERATIONS;

struct _DMA_ADAPTER {
	USHORT Version;
	USHORT Size;
	PDMA_OPERATIONS DmaOperations;
};

typedef BOOLEAN (*PTRANSLATE_BUS_ADDRESS)(PVOID Context, PHYSICAL_ADDRESS BusAddress, ULONG Length,
					  PULONG AddressSpace, PPHYSICAL_ADDRESS TranslatedAddress);
typedef PDMA_ADAPTER (*PGET_DMA_ADAPTER)(PVOID Context, PDEVICE_DESCRIPTION DeviceDescriptor,
					 PULONG NumberOfMapRegisters);
typedef ULONG (*PGET_SET_DEVICE_DATA)(PVOID Context, ULONG DataType, PVOID Buffer, ULONG Offset,
				      ULONG Length);

typedef struct _BUS_INTERFACE_STANDARD {
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	PTRANSLATE_BUS_ADDRESS TranslateBusAddress;
	PGET_DMA_ADAPTER GetDmaAdapter;
	PGET_SET_DEVICE_DATA SetBusData;
	PGET_SET_DEVICE_DATA GetBusData;
} BUS_INTERFACE_STANDARD, *PBUS_INTERFACE_STANDARD;


/* ---- the PCI virtualization interface (wdm.h, wdmguid.h) ---------------- */
/*
 * What pci.sys offers on an SR-IOV PF's PDO (IRP_MN_QUERY_INTERFACE,
 * PASSIVE_LEVEL): an IHV virtual bus driver that is the PF's function
 * driver holds it and does for the PF miniport on its child what NDIS
 * otherwise does with NdisMEnableVirtualization, NdisM{Get,Set}Virtual-
 * FunctionBusData, NdisMGetVirtualFunctionLocation and NdisMQueryProbedBars
 * (ndis-sriov-spec.md 6.4). VirtualFunction is zero-based like NDIS's VFId.
 */
DEFINE_GUID(GUID_PCI_VIRTUALIZATION_INTERFACE, 0x64897b47, 0x3a4a, 0x4d75,
	    0xbc, 0x74, 0x89, 0xdd, 0x6c, 0x07, 0x82, 0x93);

/* Bytes read / written, 0 on failure (VF not enabled, outside its space). */
typedef ULONG (*PSET_VIRTUAL_DEVICE_DATA)(PVOID Context, USHORT VirtualFunction, PVOID Buffer, ULONG Offset,
					  ULONG Length);
typedef ULONG (*PGET_VIRTUAL_DEVICE_DATA)(PVOID Context, USHORT VirtualFunction, PVOID Buffer, ULONG Offset,
					  ULONG Length);
typedef NTSTATUS (*PGET_VIRTUAL_DEVICE_LOCATION)(PVOID Context, USHORT VirtualFunction, PUSHORT SegmentNumber,
						 PUCHAR BusNumber, PUCHAR FunctionNumber);
/* The bus numbers captured for the VFs' routing IDs. */
typedef VOID (*PGET_VIRTUAL_DEVICE_RESOURCES)(PVOID Context, PUCHAR CapturedBusNumbers);
/*
 * STATUS_INVALID_PARAMETER: enabling with NumVFs 0 or above TotalVFs;
 * STATUS_INVALID_DEVICE_STATE: already in the requested state.
 */
typedef NTSTATUS (*PENABLE_VIRTUALIZATION)(PVOID Context, USHORT NumVFs, BOOLEAN EnableVfMigration,
					   BOOLEAN EnableMigrationInterrupt, BOOLEAN EnableVirtualization);
/* BaseRegisterValues[PCI_TYPE0_ADDRESSES]: the VF BARs read back after the all-ones probe. */
typedef NTSTATUS (*PGET_VIRTUAL_FUNCTION_PROBED_BARS)(PVOID Context, PULONG BaseRegisterValues);

typedef struct _PCI_VIRTUALIZATION_INTERFACE {
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	PSET_VIRTUAL_DEVICE_DATA SetVirtualFunctionData;
	PGET_VIRTUAL_DEVICE_DATA GetVirtualFunctionData;
	PGET_VIRTUAL_DEVICE_LOCATION GetLocation;
	PGET_VIRTUAL_DEVICE_RESOURCES GetResources;
	PENABLE_VIRTUALIZATION EnableVirtualization;
	PGET_VIRTUAL_FUNCTION_PROBED_BARS GetVirtualFunctionProbedBars;
} PCI_VIRTUALIZATION_INTERFACE, *PPCI_VIRTUALIZATION_INTERFACE;

C_ASSERT(sizeof(PCI_VIRTUALIZATION_INTERFACE) == 80);	/* x64 */


/* ---- kernel routines src/pnp exports to drivers --------------------------- */
#define WDM_EXPORT __attribute__((visibility("default")))

WDM_EXPORT NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
				   PUNICODE_STRING DeviceName, ULONG DeviceType, ULONG DeviceCharacteristics,
				   BOOLEAN Exclusive, PDEVICE_OBJECT *DeviceObject);
WDM_EXPORT VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject);
WDM_EXPORT PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice);
WDM_EXPORT VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice);
WDM_EXPORT PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject);
WDM_EXPORT NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp);
WDM_EXPORT VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost);
WDM_EXPORT PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota);
WDM_EXPORT VOID IoFreeIrp(PIRP Irp);
WDM_EXPORT VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus);
WDM_EXPORT PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject,
					      PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
					      ULONG OutputBufferLength, BOOLEAN InternalDeviceIoControl,
					      PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock);
WDM_EXPORT BOOLEAN IoForwardIrpSynchronously(PDEVICE_OBJECT DeviceObject, PIRP Irp);
WDM_EXPORT BOOLEAN IoCancelIrp(PIRP Irp);
WDM_EXPORT VOID IoAcquireCancelSpinLock(PKIRQL Irql);
WDM_EXPORT VOID IoReleaseCancelSpinLock(KIRQL Irql);
WDM_EXPORT VOID IoInvalidateDeviceRelations(PDEVICE_OBJECT DeviceObject, DEVICE_RELATION_TYPE Type);
WDM_EXPORT NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType,
					    ACCESS_MASK DesiredAccess, PHANDLE DevInstRegKey);
WDM_EXPORT PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject, PDEVICE_DESCRIPTION DeviceDescription,
					PULONG NumberOfMapRegisters);

WDM_EXPORT NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
				    KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass,
				    PVOID KeyValueInformation, ULONG Length, PULONG ResultLength);
WDM_EXPORT NTSTATUS ZwClose(HANDLE Handle);

WDM_EXPORT PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
WDM_EXPORT VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
WDM_EXPORT VOID ExFreePool(PVOID P);

WDM_EXPORT VOID KeInitializeEvent(PKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
WDM_EXPORT LONG KeSetEvent(PKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
WDM_EXPORT VOID KeClearEvent(PKEVENT Event);
WDM_EXPORT LONG KeReadStateEvent(PKEVENT Event);
WDM_EXPORT NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
					  BOOLEAN Alertable, PLARGE_INTEGER Timeout);

WDM_EXPORT ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
	__attribute__((format(printf, 3, 4)));
WDM_EXPORT ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level, PCCH Format,
				       va_list arglist);

#endif /* IOVLAB_NDIS_WDM_H */
