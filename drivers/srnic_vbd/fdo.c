/*
 * fdo.c -- srnic_vbd as the function driver of an srnic VF's vPCI PDO:
 * AddDevice attaches the FDO; IRP_MN_START_DEVICE, after the vPCI PDO
 * started, reads the ForwardVpciInterface device parameter, takes the
 * VBD's own GUID_VPCI_INTERFACE_STANDARD from the vPCI PDO (its config
 * blocks are the VBD's to serve, spec 6.4) and creates the NIC function's
 * child PDO, which it reports in the bus relations; IRP_MN_REMOVE_DEVICE
 * deletes the child (the PnP manager removed its stack first), lets the
 * interface go and detaches. On an srnic PF's PCI PDO in the parent (no
 * vPCI interface below, GUID_PCI_VIRTUALIZATION_INTERFACE instead) the FDO
 * takes the host role: the child is the PF's NIC function.
 */
#include "srnic_vbd.h"

NTSTATUS VbdAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
	PDEVICE_OBJECT Self;
	PVBD_FDO Fdo;
	NTSTATUS Status;

	Status = IoCreateDevice(DriverObject, sizeof(VBD_FDO), NULL, FILE_DEVICE_BUS_EXTENDER, FILE_DEVICE_SECURE_OPEN,
				FALSE, &Self);
	if (!NT_SUCCESS(Status))
		return Status;
	Fdo = Self->DeviceExtension;
	*Fdo = (VBD_FDO){ 0 };
	Fdo->Kind = VbdKindFdo;
	Fdo->Self = Self;
	Fdo->Pdo = Pdo;
	Fdo->ForwardVpciInterface = 1;
	Fdo->Lower = IoAttachDeviceToDeviceStack(Self, Pdo);
	if (!Fdo->Lower) {
		IoDeleteDevice(Self);
		return STATUS_NO_SUCH_DEVICE;
	}
	Self->Flags &= ~DO_DEVICE_INITIALIZING;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_FDO, "FDO attached to the vPCI PDO");
	return STATUS_SUCCESS;
}

/* The ForwardVpciInterface device parameter ("Device Parameters"); 1 if absent. */
static ULONG VbdReadForwardKeyword(PVBD_FDO Fdo)
{
	static const WCHAR Name[] = u"ForwardVpciInterface";
	UCHAR Buf[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
	PKEY_VALUE_PARTIAL_INFORMATION Info = (PKEY_VALUE_PARTIAL_INFORMATION)Buf;
	UNICODE_STRING Value;
	HANDLE Key;
	ULONG Len, Result = 1;
	NTSTATUS Status;

	Value.Buffer = (PWCHAR)Name;
	Value.Length = sizeof(Name) - sizeof(WCHAR);
	Value.MaximumLength = sizeof(Name);
	Status = IoOpenDeviceRegistryKey(Fdo->Pdo, PLUGPLAY_REGKEY_DEVICE, KEY_READ, &Key);
	if (!NT_SUCCESS(Status))
		return Result;
	Status = ZwQueryValueKey(Key, &Value, KeyValuePartialInformation, Info, sizeof(Buf), &Len);
	if (NT_SUCCESS(Status) && Info->Type == REG_DWORD && Info->DataLength == sizeof(ULONG))
		Result = *(ULONG *)Info->Data;
	ZwClose(Key);
	return Result;
}

static NTSTATUS VbdSyncCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	UNREFERENCED_PARAMETER(DeviceObject);
	UNREFERENCED_PARAMETER(Irp);
	KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
	return STATUS_MORE_PROCESSING_REQUIRED;
}

/* IRP_MN_QUERY_INTERFACE(Type) to the PDO below, for the VBD itself. */
static NTSTATUS VbdQueryBusInterface(PVBD_FDO Fdo, const GUID *Type, USHORT Size, PINTERFACE Interface)
{
	PIO_STACK_LOCATION Stack;
	KEVENT Event;
	NTSTATUS Status;
	PIRP Irp;

	Irp = IoAllocateIrp(Fdo->Lower->StackSize, FALSE);
	if (!Irp)
		return STATUS_INSUFFICIENT_RESOURCES;
	Irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
	Stack = IoGetNextIrpStackLocation(Irp);
	Stack->MajorFunction = IRP_MJ_PNP;
	Stack->MinorFunction = IRP_MN_QUERY_INTERFACE;
	Stack->Parameters.QueryInterface.InterfaceType = Type;
	Stack->Parameters.QueryInterface.Size = Size;
	Stack->Parameters.QueryInterface.Version = 1;
	Stack->Parameters.QueryInterface.Interface = Interface;
	KeInitializeEvent(&Event, NotificationEvent, FALSE);
	IoSetCompletionRoutine(Irp, VbdSyncCompletion, &Event, TRUE, TRUE, TRUE);
	Status = IoCallDriver(Fdo->Lower, Irp);
	if (Status == STATUS_PENDING &&
	    KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL) != STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;	/* still below us: not ours to free */
	Status = Irp->IoStatus.Status;
	IoFreeIrp(Irp);
	return Status;
}

static NTSTATUS VbdQueryVpciInterface(PVBD_FDO Fdo)
{
	NTSTATUS Status = VbdQueryBusInterface(Fdo, &GUID_VPCI_INTERFACE_STANDARD, sizeof(Fdo->Vpci),
					       (PINTERFACE)&Fdo->Vpci);

	Fdo->HaveVpci = NT_SUCCESS(Status);
	return Status;
}

/* Host role: GUID_PCI_VIRTUALIZATION_INTERFACE from the PF's PCI PDO (spec 6.4, PASSIVE_LEVEL). */
static NTSTATUS VbdQueryPciVirtInterface(PVBD_FDO Fdo)
{
	NTSTATUS Status = VbdQueryBusInterface(Fdo, &GUID_PCI_VIRTUALIZATION_INTERFACE, sizeof(Fdo->PciVirt),
					       (PINTERFACE)&Fdo->PciVirt);

	Fdo->HavePciVirt = NT_SUCCESS(Status) && Fdo->PciVirt.Size >= sizeof(Fdo->PciVirt) &&
			   Fdo->PciVirt.EnableVirtualization;
	return Fdo->HavePciVirt ? STATUS_SUCCESS : Status;
}

static NTSTATUS VbdFdoStart(PVBD_FDO Fdo, PIRP Irp)
{
	NTSTATUS Status;

	if (!IoForwardIrpSynchronously(Fdo->Lower, Irp))
		return VbdCompleteIrp(Irp, STATUS_UNSUCCESSFUL, 0);
	Status = Irp->IoStatus.Status;
	if (!NT_SUCCESS(Status))
		return VbdCompleteIrp(Irp, Status, 0);
	Fdo->ForwardVpciInterface = VbdReadForwardKeyword(Fdo);
	Status = VbdQueryVpciInterface(Fdo);
	Fdo->Role = VbdRoleGuestVf;
	if (!NT_SUCCESS(Status) && NT_SUCCESS(VbdQueryPciVirtInterface(Fdo))) {
		/* The parent partition: we drive the PF, for the PF miniport on our child. */
		Fdo->Role = VbdRoleHostPf;
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_FDO, "GUID_PCI_VIRTUALIZATION_INTERFACE from the PF's PCI PDO: "
			    "host role, the PF miniport asks us through GUID_SRNIC_VBD_PF_INTERFACE");
	} else if (NT_SUCCESS(Status))
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_FDO, "GUID_VPCI_INTERFACE_STANDARD from the vPCI PDO: "
			    "serial number %u; ForwardVpciInterface=%u", Fdo->Vpci.SerialNumber, Fdo->ForwardVpciInterface);
	else
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_FDO, "the bus below offers no GUID_VPCI_INTERFACE_STANDARD "
			    "(0x%x): config blocks will fail", (unsigned)Status);
	if (!Fdo->ForwardVpciInterface && Fdo->Role == VbdRoleGuestVf)
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_FDO, "ForwardVpciInterface=0: GUID_VPCI_INTERFACE_STANDARD and "
			    "IOCTL_VPCI_* from the NIC function will NOT be forwarded (NDIS gets no serial number)");
	if (!Fdo->Child) {
		Status = VbdPdoCreate(Fdo);
		if (!NT_SUCCESS(Status))
			return VbdCompleteIrp(Irp, Status, 0);
	}
	Fdo->Started = TRUE;
	return VbdCompleteIrp(Irp, STATUS_SUCCESS, 0);
}

static VOID VbdFdoBusRelations(PVBD_FDO Fdo, PIRP Irp)
{
	PDEVICE_RELATIONS Prev = (PDEVICE_RELATIONS)Irp->IoStatus.Information, Rel;
	ULONG Count = Prev ? Prev->Count : 0, i;

	Rel = ExAllocatePoolWithTag(PagedPool, sizeof(DEVICE_RELATIONS) + (Count + 1) * sizeof(PDEVICE_OBJECT),
				    VBD_POOL_TAG);
	if (!Rel) {
		Irp->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
		return;
	}
	for (i = 0; i < Count; i++)
		Rel->Objects[i] = Prev->Objects[i];
	if (Fdo->Child && ((PVBD_PDO)Fdo->Child->DeviceExtension)->Present)
		Rel->Objects[Count++] = Fdo->Child;
	Rel->Count = Count;
	if (Prev)
		ExFreePool(Prev);
	Irp->IoStatus.Information = (ULONG_PTR)Rel;
	Irp->IoStatus.Status = STATUS_SUCCESS;
}

static NTSTATUS VbdFdoRemove(PVBD_FDO Fdo, PIRP Irp)
{
	PDEVICE_OBJECT Lower = Fdo->Lower, Self = Fdo->Self;
	NTSTATUS Status;

	Fdo->Started = FALSE;
	if (Fdo->Child) {
		/* The PnP manager removed the child's stack first; its PDO goes with us. */
		IoDeleteDevice(Fdo->Child);
		Fdo->Child = NULL;
	}
	if (Fdo->HaveVpci && Fdo->Vpci.InterfaceDereference)
		Fdo->Vpci.InterfaceDereference(Fdo->Vpci.Context);
	Fdo->HaveVpci = FALSE;
	if (Fdo->HavePciVirt && Fdo->PciVirt.InterfaceDereference)
		Fdo->PciVirt.InterfaceDereference(Fdo->PciVirt.Context);
	Fdo->HavePciVirt = FALSE;
	Irp->IoStatus.Status = STATUS_SUCCESS;
	IoSkipCurrentIrpStackLocation(Irp);
	Status = IoCallDriver(Lower, Irp);
	IoDetachDevice(Lower);
	IoDeleteDevice(Self);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_FDO, "FDO removed");
	return Status;
}

NTSTATUS VbdFdoDispatchPnp(PVBD_FDO Fdo, PIRP Irp)
{
	PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);

	switch (Stack->MinorFunction) {
	case IRP_MN_START_DEVICE:
		return VbdFdoStart(Fdo, Irp);
	case IRP_MN_QUERY_DEVICE_RELATIONS:
		if (Stack->Parameters.QueryDeviceRelations.Type == BusRelations)
			VbdFdoBusRelations(Fdo, Irp);
		break;
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
		Irp->IoStatus.Status = STATUS_SUCCESS;
		break;
	case IRP_MN_REMOVE_DEVICE:
		return VbdFdoRemove(Fdo, Irp);
	default:
		break;
	}
	IoSkipCurrentIrpStackLocation(Irp);
	return IoCallDriver(Fdo->Lower, Irp);
}
