/*
 * The WDM subset iovlab's drivers use: device and driver objects, IRPs with
 * their stack locations, the PnP/internal-ioctl codes a bus driver and an
 * NDIS-WDM miniport exchange (IRP_MN_QUERY_INTERFACE, IRP_MJ_INTERNAL_DEVICE_
 * CONTROL), INTERFACE, CTL_CODE and CM_PARTIAL_RESOURCE_DESCRIPTOR. Codes and
 * values follow wdm.h. The objects are the lab's own layout (nothing outside
 * the lab reads them), reduced to the fields a driver touches; src/pnp
 * implements the Io* functions so that an IRP a driver forwards or swallows
 * has the same effect as on Windows.
 */
#ifndef IOVLAB_NDIS_WDM_H
#define IOVLAB_NDIS_WDM_H

#include "ndis_types.h"
#include "ndis_status.h"

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

struct _IRP {
	IO_STATUS_BLOCK IoStatus;
	PVOID UserBuffer;
	union {
		PVOID SystemBuffer;
	} AssociatedIrp;
	BOOLEAN PendingReturned;
	BOOLEAN Cancel;
	CHAR StackCount;
	CHAR CurrentLocation;	/* 1-based index; StackCount + 1 when unused */
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

#define IO_NO_INCREMENT 0

#endif /* IOVLAB_NDIS_WDM_H */
