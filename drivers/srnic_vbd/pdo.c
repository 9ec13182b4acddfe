/*
 * pdo.c -- the NIC function's child PDO ("SRNICVBD\NIC", which the VF
 * miniport's INF serves in the VBD configuration). As its bus driver,
 * srnic_vbd answers its IDs and its own private interface, and decides
 * what of the vPCI bus the function gets to see:
 *
 *   GUID_VPCI_INTERFACE_STANDARD, IOCTL_VPCI_*   forwarded to the vPCI PDO,
 *                        or -- ForwardVpciInterface = 0 -- not: the query
 *                        is completed with the status it came with
 *                        (STATUS_NOT_SUPPORTED), the IOCTLs with
 *                        STATUS_INVALID_DEVICE_REQUEST (spec 6.5, F22);
 *   GUID_BUS_INTERFACE_STANDARD, IRP_MN_READ/WRITE_CONFIG
 *                        always forwarded (the function's config space
 *                        and DMA are the VF's);
 *   GUID_SRNIC_VBD_INTERFACE   answered here: config blocks through the
 *                        VBD's own vPCI interface;
 *   GUID_SRNIC_VBD_PF_INTERFACE  host role ("SRNICVBD\\PF"): answered here,
 *                        each routine a call of the PCI virtualization
 *                        interface the FDO holds (spec 6.4).
 *
 * Forwarding reuses the IRP: the child PDO has a stack location to spare
 * for the vPCI PDO (VbdPdoCreate), so IoSkipCurrentIrpStackLocation +
 * IoCallDriver hands the vPCI bus the same request, and its completion --
 * even a pending INVALIDATE_BLOCK completed much later -- flows straight
 * back to NDIS.
 */
#include "srnic_vbd.h"

static const WCHAR VbdNicHardwareId[] = u"SRNICVBD\\NIC";
static const WCHAR VbdPfHardwareId[] = u"SRNICVBD\\PF";

NTSTATUS VbdPdoCreate(PVBD_FDO Fdo)
{
	static WCHAR NicName[] = u"\\Device\\SrnicVbdNic";
	static WCHAR PfName[] = u"\\Device\\SrnicVbdPf";
	PWCHAR Name = Fdo->Role == VbdRoleHostPf ? PfName : NicName;
	USHORT NameBytes = Fdo->Role == VbdRoleHostPf ? sizeof(PfName) : sizeof(NicName);
	UNICODE_STRING DeviceName;
	PDEVICE_OBJECT Child;
	PVBD_PDO Pdo;
	NTSTATUS Status;

	DeviceName.Buffer = Name;
	DeviceName.Length = NameBytes - sizeof(WCHAR);
	DeviceName.MaximumLength = NameBytes;
	Status = IoCreateDevice(Fdo->Self->DriverObject, sizeof(VBD_PDO), &DeviceName, FILE_DEVICE_BUS_EXTENDER,
				FILE_DEVICE_SECURE_OPEN, FALSE, &Child);
	if (!NT_SUCCESS(Status))
		return Status;
	Pdo = Child->DeviceExtension;
	*Pdo = (VBD_PDO){ 0 };
	Pdo->Kind = VbdKindPdo;
	Pdo->Self = Child;
	Pdo->Parent = Fdo;
	Pdo->Present = TRUE;
	/* Room to pass its IRPs on to the vPCI PDO. */
	Child->StackSize = (CHAR)(Fdo->Lower->StackSize + 1);
	Child->Flags &= ~DO_DEVICE_INITIALIZING;
	Fdo->Child = Child;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_PDO, "child PDO %s created",
		    Fdo->Role == VbdRoleHostPf ? "SRNICVBD\\PF" : "SRNICVBD\\NIC");
	return STATUS_SUCCESS;
}

static PWCHAR VbdMultiSz(const WCHAR *Id, ULONG IdBytes)
{
	PWCHAR Buffer = ExAllocatePoolWithTag(PagedPool, IdBytes + sizeof(WCHAR), VBD_POOL_TAG);
	ULONG i;

	if (!Buffer)
		return NULL;
	for (i = 0; i < IdBytes / sizeof(WCHAR); i++)
		Buffer[i] = Id[i];
	Buffer[i] = 0;	/* Id's own terminator, then the list's */
	return Buffer;
}

static NTSTATUS VbdPdoQueryId(PVBD_PDO Pdo, PIRP Irp, BUS_QUERY_ID_TYPE IdType)
{
	static const WCHAR InstanceId[] = u"0";
	BOOLEAN Pf = Pdo->Parent && Pdo->Parent->Role == VbdRoleHostPf;
	PWCHAR Id;

	switch (IdType) {
	case BusQueryDeviceID:
	case BusQueryHardwareIDs:
		Id = Pf ? VbdMultiSz(VbdPfHardwareId, sizeof(VbdPfHardwareId)) :
			  VbdMultiSz(VbdNicHardwareId, sizeof(VbdNicHardwareId));
		break;
	case BusQueryInstanceID:
		Id = VbdMultiSz(InstanceId, sizeof(InstanceId));
		break;
	default:
		return VbdCompleteIrp(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
	}
	if (!Id)
		return VbdCompleteIrp(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
	return VbdCompleteIrp(Irp, STATUS_SUCCESS, (ULONG_PTR)Id);
}

/* ---- GUID_SRNIC_VBD_INTERFACE ----------------------------------------------------- */
static VOID VbdIfReference(PVOID Context)
{
	((PVBD_PDO)Context)->InterfaceRefs++;
}

static VOID VbdIfDereference(PVOID Context)
{
	PVBD_PDO Pdo = Context;

	if (Pdo->InterfaceRefs)
		Pdo->InterfaceRefs--;
}

static NTSTATUS VbdIfConfigBlock(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length, BOOLEAN Write)
{
	PVBD_PDO Pdo = Context;
	PVBD_FDO Fdo = Pdo->Parent;

	if (!Fdo || !Fdo->HaveVpci)
		return STATUS_DEVICE_NOT_READY;
	if (!Buffer || !Length || Length > VPCI_MAX_READ_WRITE_BLOCK_SIZE)
		return STATUS_INVALID_PARAMETER;
	return Write ? Fdo->Vpci.WriteVfConfigBlock(Fdo->Vpci.Context, BlockId, Buffer, Length) :
		       Fdo->Vpci.ReadVfConfigBlock(Fdo->Vpci.Context, BlockId, Buffer, Length);
}

static NTSTATUS VbdIfReadBlock(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length)
{
	return VbdIfConfigBlock(Context, BlockId, Buffer, Length, FALSE);
}

static NTSTATUS VbdIfWriteBlock(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length)
{
	return VbdIfConfigBlock(Context, BlockId, Buffer, Length, TRUE);
}

/* ---- GUID_SRNIC_VBD_PF_INTERFACE (host role): the PCI virtualization interface, asked for the PF ---- */
static PVBD_FDO VbdPfFdo(PVOID Context)
{
	PVBD_PDO Pdo = Context;

	return Pdo && Pdo->Parent && Pdo->Parent->HavePciVirt ? Pdo->Parent : NULL;
}

static NTSTATUS VbdPfEnableVirtualization(PVOID Context, USHORT NumVFs, BOOLEAN Enable)
{
	PVBD_FDO Fdo = VbdPfFdo(Context);
	NTSTATUS Status;

	if (!Fdo)
		return STATUS_DEVICE_NOT_READY;
	Status = Fdo->PciVirt.EnableVirtualization(Fdo->PciVirt.Context, NumVFs, FALSE, FALSE, Enable);
	TraceEvents(NT_SUCCESS(Status) ? TRACE_LEVEL_INFORMATION : TRACE_LEVEL_WARNING, TRACE_PDO,
		    "EnableVirtualization(%u, %s) for the PF miniport: 0x%x", NumVFs, Enable ? "TRUE" : "FALSE",
		    (unsigned)Status);
	return Status;
}

static ULONG VbdPfReadVfConfig(PVOID Context, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length)
{
	PVBD_FDO Fdo = VbdPfFdo(Context);

	return Fdo ? Fdo->PciVirt.GetVirtualFunctionData(Fdo->PciVirt.Context, VFId, Buffer, Offset, Length) : 0;
}

static ULONG VbdPfWriteVfConfig(PVOID Context, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length)
{
	PVBD_FDO Fdo = VbdPfFdo(Context);

	return Fdo ? Fdo->PciVirt.SetVirtualFunctionData(Fdo->PciVirt.Context, VFId, Buffer, Offset, Length) : 0;
}

static NTSTATUS VbdPfGetVfLocation(PVOID Context, USHORT VFId, PUSHORT SegmentNumber, PUCHAR BusNumber,
				   PUCHAR FunctionNumber)
{
	PVBD_FDO Fdo = VbdPfFdo(Context);

	if (!Fdo)
		return STATUS_DEVICE_NOT_READY;
	return Fdo->PciVirt.GetLocation(Fdo->PciVirt.Context, VFId, SegmentNumber, BusNumber, FunctionNumber);
}

static NTSTATUS VbdPfQueryProbedBars(PVOID Context, PULONG BaseRegisterValues)
{
	PVBD_FDO Fdo = VbdPfFdo(Context);

	if (!Fdo)
		return STATUS_DEVICE_NOT_READY;
	return Fdo->PciVirt.GetVirtualFunctionProbedBars(Fdo->PciVirt.Context, BaseRegisterValues);
}

static NTSTATUS VbdPdoQueryPfInterface(PVBD_PDO Pdo, PIRP Irp, PIO_STACK_LOCATION Stack)
{
	PSRNIC_VBD_PF_INTERFACE If = (PSRNIC_VBD_PF_INTERFACE)Stack->Parameters.QueryInterface.Interface;

	if (!VbdPfFdo(Pdo))	/* not the host role: not ours to answer */
		return VbdCompleteIrp(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
	if (!If || Stack->Parameters.QueryInterface.Size < sizeof(*If) ||
	    Stack->Parameters.QueryInterface.Version < SRNIC_VBD_PF_INTERFACE_VERSION)
		return VbdCompleteIrp(Irp, STATUS_INVALID_PARAMETER, 0);
	If->Size = sizeof(*If);
	If->Version = SRNIC_VBD_PF_INTERFACE_VERSION;
	If->Context = Pdo;
	If->InterfaceReference = VbdIfReference;
	If->InterfaceDereference = VbdIfDereference;
	If->EnableVirtualization = VbdPfEnableVirtualization;
	If->ReadVfConfig = VbdPfReadVfConfig;
	If->WriteVfConfig = VbdPfWriteVfConfig;
	If->GetVfLocation = VbdPfGetVfLocation;
	If->QueryProbedBars = VbdPfQueryProbedBars;
	VbdIfReference(Pdo);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_PDO, "GUID_SRNIC_VBD_PF_INTERFACE handed to the PF miniport");
	return VbdCompleteIrp(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS VbdPdoQueryInterface(PVBD_PDO Pdo, PIRP Irp)
{
	PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
	const GUID *Type = Stack->Parameters.QueryInterface.InterfaceType;
	PVBD_FDO Fdo = Pdo->Parent;

	if (Type && IsEqualGUID(Type, &GUID_SRNIC_VBD_PF_INTERFACE))
		return VbdPdoQueryPfInterface(Pdo, Irp, Stack);
	if (Type && IsEqualGUID(Type, &GUID_SRNIC_VBD_INTERFACE)) {
		PSRNIC_VBD_INTERFACE If = (PSRNIC_VBD_INTERFACE)Stack->Parameters.QueryInterface.Interface;

		if (!If || Stack->Parameters.QueryInterface.Size < sizeof(*If) ||
		    Stack->Parameters.QueryInterface.Version < SRNIC_VBD_INTERFACE_VERSION)
			return VbdCompleteIrp(Irp, STATUS_INVALID_PARAMETER, 0);
		If->Size = sizeof(*If);
		If->Version = SRNIC_VBD_INTERFACE_VERSION;
		If->Context = Pdo;
		If->InterfaceReference = VbdIfReference;
		If->InterfaceDereference = VbdIfDereference;
		If->ReadConfigBlock = VbdIfReadBlock;
		If->WriteConfigBlock = VbdIfWriteBlock;
		VbdIfReference(Pdo);
		return VbdCompleteIrp(Irp, STATUS_SUCCESS, 0);
	}
	if (Type && IsEqualGUID(Type, &GUID_VPCI_INTERFACE_STANDARD)) {
		if (Fdo && Fdo->ForwardVpciInterface) {
			TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_PDO,
				    "GUID_VPCI_INTERFACE_STANDARD asked on the NIC function: forwarded to the vPCI PDO");
			return VbdForwardToBus(Fdo, Irp);
		}
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_PDO,
			    "GUID_VPCI_INTERFACE_STANDARD asked on the NIC function: not forwarded (ForwardVpciInterface=0)");
		return VbdCompleteIrp(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
	}
	if (Type && IsEqualGUID(Type, &GUID_BUS_INTERFACE_STANDARD) && Fdo)
		return VbdForwardToBus(Fdo, Irp);
	/* Not ours: a PDO completes it with the status it carries. */
	return VbdCompleteIrp(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
}

NTSTATUS VbdPdoDispatchPnp(PVBD_PDO Pdo, PIRP Irp)
{
	PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
	PDEVICE_RELATIONS Rel;

	switch (Stack->MinorFunction) {
	case IRP_MN_START_DEVICE:
		Pdo->Started = TRUE;
		return VbdCompleteIrp(Irp, STATUS_SUCCESS, 0);
	case IRP_MN_QUERY_ID:
		return VbdPdoQueryId(Pdo, Irp, Stack->Parameters.QueryId.IdType);
	case IRP_MN_QUERY_INTERFACE:
		return VbdPdoQueryInterface(Pdo, Irp);
	case IRP_MN_READ_CONFIG:
	case IRP_MN_WRITE_CONFIG:
		if (Pdo->Parent)
			return VbdForwardToBus(Pdo->Parent, Irp);
		return VbdCompleteIrp(Irp, STATUS_NO_SUCH_DEVICE, 0);
	case IRP_MN_QUERY_DEVICE_RELATIONS:
		if (Stack->Parameters.QueryDeviceRelations.Type != TargetDeviceRelation)
			break;
		Rel = ExAllocatePoolWithTag(PagedPool, sizeof(*Rel), VBD_POOL_TAG);
		if (!Rel)
			return VbdCompleteIrp(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
		Rel->Count = 1;
		Rel->Objects[0] = Pdo->Self;
		return VbdCompleteIrp(Irp, STATUS_SUCCESS, (ULONG_PTR)Rel);
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
		return VbdCompleteIrp(Irp, STATUS_SUCCESS, 0);
	case IRP_MN_REMOVE_DEVICE:
		Pdo->Started = FALSE;
		if (Pdo->InterfaceRefs)
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_PDO, "removed with %u interface reference(s) out",
				    Pdo->InterfaceRefs);
		VbdCompleteIrp(Irp, STATUS_SUCCESS, 0);
		/* Still on the bus: the PDO stays until the FDO goes (or the
		 * function is reported missing). */
		if (!Pdo->Present) {
			if (Pdo->Parent)
				Pdo->Parent->Child = NULL;
			IoDeleteDevice(Pdo->Self);
		}
		return STATUS_SUCCESS;
	default:
		break;
	}
	return VbdCompleteIrp(Irp, Irp->IoStatus.Status, Irp->IoStatus.Information);
}

NTSTATUS VbdPdoDispatchInternalIoctl(PVBD_PDO Pdo, PIRP Irp)
{
	ULONG Code = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode;
	PVBD_FDO Fdo = Pdo->Parent;

	switch (Code) {
	case IOCTL_VPCI_INVALIDATE_BLOCK:
	case IOCTL_VPCI_READ_BLOCK:
	case IOCTL_VPCI_WRITE_BLOCK:
		if (Fdo && Fdo->ForwardVpciInterface)
			return VbdForwardToBus(Fdo, Irp);
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_PDO, "IOCTL_VPCI 0x%x on the NIC function: not forwarded "
			    "(ForwardVpciInterface=0)", Code);
		return VbdCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	default:
		return VbdCompleteIrp(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	}
}
