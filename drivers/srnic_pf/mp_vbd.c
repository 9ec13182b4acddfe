/*
 * mp_vbd.c -- the PF's PCI virtualization operations, direct or through
 * srnic_vbd (ndis-sriov-spec.md 6.4, 1.1 row 14). On the PF's PCI PDO the
 * miniport calls NdisMEnableVirtualization, NdisM{Get,Set}VirtualFunction-
 * BusData, NdisMGetVirtualFunctionLocation and NdisMQueryProbedBars. When
 * it sits on srnic_vbd's child "SRNICVBD\PF" in the parent partition it is
 * an NDIS-WDM miniport and must not: the VBD is the PF's function driver and
 * owns GUID_PCI_VIRTUALIZATION_INTERFACE, so the miniport asks it through
 * GUID_SRNIC_VBD_PF_INTERFACE. MPVbdInitialize finds out which, by sending
 * IRP_MN_QUERY_INTERFACE(GUID_SRNIC_VBD_PF_INTERFACE) down its stack (the
 * device objects from NdisMGetDeviceProperty): pci.sys does not know the
 * GUID, srnic_vbd answers it. The NIC* helpers below choose.
 *
 * VbdBypass (hidden keyword, registry only; a test mutant): 1 makes the
 * VF config-space read take the NdisM path even over the VBD -- the
 * documented mistake NDIS's verifier reports (NDIS-VBD-PCI-VIRT).
 */
#include "srnic_pf.h"

static NTSTATUS MPVbdQueryCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	UNREFERENCED_PARAMETER(DeviceObject);
	UNREFERENCED_PARAMETER(Irp);
	KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
	return STATUS_MORE_PROCESSING_REQUIRED;
}

static NTSTATUS MPVbdQueryInterface(_Inout_ PMP_ADAPTER Adapter)
{
	PIO_STACK_LOCATION Stack;
	KEVENT Event;
	NTSTATUS Status;
	PIRP Irp;

	if (!Adapter->NextDevice)
		return STATUS_NOT_SUPPORTED;	/* not an NDIS-WDM stack at all */
	Irp = IoAllocateIrp(Adapter->NextDevice->StackSize, FALSE);
	if (!Irp)
		return STATUS_INSUFFICIENT_RESOURCES;
	Irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
	Stack = IoGetNextIrpStackLocation(Irp);
	Stack->MajorFunction = IRP_MJ_PNP;
	Stack->MinorFunction = IRP_MN_QUERY_INTERFACE;
	Stack->Parameters.QueryInterface.InterfaceType = &GUID_SRNIC_VBD_PF_INTERFACE;
	Stack->Parameters.QueryInterface.Size = sizeof(Adapter->Vbd);
	Stack->Parameters.QueryInterface.Version = SRNIC_VBD_PF_INTERFACE_VERSION;
	Stack->Parameters.QueryInterface.Interface = (PINTERFACE)&Adapter->Vbd;
	KeInitializeEvent(&Event, NotificationEvent, FALSE);
	IoSetCompletionRoutine(Irp, MPVbdQueryCompletion, &Event, TRUE, TRUE, TRUE);
	Status = IoCallDriver(Adapter->NextDevice, Irp);
	if (Status == STATUS_PENDING &&
	    KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL) != STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;	/* still below us: not ours to free */
	Status = Irp->IoStatus.Status;
	IoFreeIrp(Irp);
	if (NT_SUCCESS(Status) && (Adapter->Vbd.Size < sizeof(Adapter->Vbd) || !Adapter->Vbd.EnableVirtualization)) {
		if (Adapter->Vbd.InterfaceDereference)
			Adapter->Vbd.InterfaceDereference(Adapter->Vbd.Context);
		Status = STATUS_NOT_SUPPORTED;
	}
	return Status;
}

static VOID MPVbdReadBypass(_Inout_ PMP_ADAPTER Adapter)
{
	NDIS_STRING Keyword = NDIS_STRING_CONST("VbdBypass");
	NDIS_CONFIGURATION_OBJECT co;
	PNDIS_CONFIGURATION_PARAMETER p;
	NDIS_HANDLE Config;
	NDIS_STATUS Status;

	Adapter->VbdBypass = 0;
	co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
	co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
	co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
	co.NdisHandle = Adapter->AdapterHandle;
	co.Flags = 0;
	if (NdisOpenConfigurationEx(&co, &Config) != NDIS_STATUS_SUCCESS)
		return;
	NdisReadConfiguration(&Status, &p, Config, &Keyword, NdisParameterInteger);
	if (Status == NDIS_STATUS_SUCCESS)
		Adapter->VbdBypass = p->ParameterData.IntegerData;
	NdisCloseConfiguration(Config);
}

VOID MPVbdInitialize(_Inout_ PMP_ADAPTER Adapter)
{
	NdisZeroMemory(&Adapter->Vbd, sizeof(Adapter->Vbd));
	NdisMGetDeviceProperty(Adapter->AdapterHandle, &Adapter->Pdo, &Adapter->Fdo, &Adapter->NextDevice, NULL, NULL);
	Adapter->OverVbd = NT_SUCCESS(MPVbdQueryInterface(Adapter));
	if (!Adapter->OverVbd) {
		NdisZeroMemory(&Adapter->Vbd, sizeof(Adapter->Vbd));
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "on the PF's PCI PDO: NdisM* virtualization calls");
		return;
	}
	MPVbdReadBypass(Adapter);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "an NDIS-WDM miniport over srnic_vbd: virtualization through "
		    "GUID_SRNIC_VBD_PF_INTERFACE%s", Adapter->VbdBypass ? " (VbdBypass=1: VF config reads call NDIS)" : "");
}

VOID MPVbdRelease(_Inout_ PMP_ADAPTER Adapter)
{
	if (Adapter->OverVbd && Adapter->Vbd.InterfaceDereference)
		Adapter->Vbd.InterfaceDereference(Adapter->Vbd.Context);
	Adapter->OverVbd = FALSE;
	NdisZeroMemory(&Adapter->Vbd, sizeof(Adapter->Vbd));
}

NDIS_STATUS NICEnableVirtualization(_In_ PMP_ADAPTER Adapter, USHORT NumVFs, BOOLEAN Enable)
{
	NTSTATUS Status;

	if (!Adapter->OverVbd)
		return NdisMEnableVirtualization(Adapter->AdapterHandle, NumVFs, FALSE, FALSE, Enable);
	Status = Adapter->Vbd.EnableVirtualization(Adapter->Vbd.Context, NumVFs, Enable);
	if (NT_SUCCESS(Status))
		return NDIS_STATUS_SUCCESS;
	return Status == STATUS_INVALID_PARAMETER ? NDIS_STATUS_INVALID_PARAMETER :
	       Status == STATUS_NOT_SUPPORTED ? NDIS_STATUS_NOT_SUPPORTED : NDIS_STATUS_FAILURE;
}

ULONG NICGetVfBusData(_In_ PMP_ADAPTER Adapter, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length)
{
	if (!Adapter->OverVbd || Adapter->VbdBypass)
		return NdisMGetVirtualFunctionBusData(Adapter->AdapterHandle, VFId, Buffer, Offset, Length);
	return Adapter->Vbd.ReadVfConfig(Adapter->Vbd.Context, VFId, Buffer, Offset, Length);
}

ULONG NICSetVfBusData(_In_ PMP_ADAPTER Adapter, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length)
{
	if (!Adapter->OverVbd)
		return NdisMSetVirtualFunctionBusData(Adapter->AdapterHandle, VFId, Buffer, Offset, Length);
	return Adapter->Vbd.WriteVfConfig(Adapter->Vbd.Context, VFId, Buffer, Offset, Length);
}

VOID NICGetVfLocation(_In_ PMP_ADAPTER Adapter, USHORT VFId, PUSHORT Segment, PUCHAR Bus, PUCHAR Function)
{
	if (!Adapter->OverVbd) {
		NdisMGetVirtualFunctionLocation(Adapter->AdapterHandle, VFId, Segment, Bus, Function);
		return;
	}
	if (!NT_SUCCESS(Adapter->Vbd.GetVfLocation(Adapter->Vbd.Context, VFId, Segment, Bus, Function))) {
		*Segment = 0;
		*Bus = *Function = 0;
	}
}

NDIS_STATUS NICQueryProbedBars(_In_ PMP_ADAPTER Adapter, PULONG BaseRegisterValues)
{
	if (!Adapter->OverVbd)
		return NdisMQueryProbedBars(Adapter->AdapterHandle, BaseRegisterValues);
	return NT_SUCCESS(Adapter->Vbd.QueryProbedBars(Adapter->Vbd.Context, BaseRegisterValues)) ? NDIS_STATUS_SUCCESS :
												   NDIS_STATUS_FAILURE;
}
