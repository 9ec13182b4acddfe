/*
 * mp_main.c -- DriverEntry of netvsc.sys and the life of its miniport edge,
 * the VM network adapter (ndis-sriov-spec.md 1.1 row 13). DriverEntry runs
 * once per service: as "netvsc" it registers the miniport, as "netvscvfpp"
 * the VF protocol edge (vf_main.c). MiniportInitializeEx finds the NVSP
 * channel on the adapter's PDO (IRP_MN_QUERY_INTERFACE for
 * GUID_NETVSC_CHANNEL_INTERFACE), opens it -- the NVSP handshake -- and
 * registers the adapter in the table the VF edge searches for a matching
 * VF serial. Halt leaves the VF first (data path back to synthetic), then
 * closes the channel.
 */
#include "netvsc.h"

#include <time.h>

PMP_ADAPTER NetvscAdapters;
static NDIS_HANDLE MPDriverHandle;

/* ---- adapter state machine ------------------------------------------------ */
static const char *const MPAdapterStateNames[MpAdapterStateCount] = {
	"Halted", "Initializing", "Paused", "Restarting", "Running", "Pausing", "Halting",
};

static const BOOLEAN MPAdapterTransitions[MpAdapterStateCount][MpAdapterStateCount] = {
	[MpAdapterHalted] = { [MpAdapterInitializing] = TRUE },
	[MpAdapterInitializing] = { [MpAdapterPaused] = TRUE, [MpAdapterHalted] = TRUE },
	[MpAdapterPaused] = { [MpAdapterRestarting] = TRUE, [MpAdapterHalting] = TRUE },
	[MpAdapterRestarting] = { [MpAdapterRunning] = TRUE, [MpAdapterPaused] = TRUE },
	[MpAdapterRunning] = { [MpAdapterPausing] = TRUE },
	[MpAdapterPausing] = { [MpAdapterPaused] = TRUE },
	[MpAdapterHalting] = { [MpAdapterHalted] = TRUE },
};

const char *MPAdapterStateName(MP_ADAPTER_STATE State)
{
	return (unsigned)State < MpAdapterStateCount ? MPAdapterStateNames[State] : "?";
}

BOOLEAN MPAdapterStateTransitionAllowed(MP_ADAPTER_STATE From, MP_ADAPTER_STATE To)
{
	return (unsigned)From < MpAdapterStateCount && (unsigned)To < MpAdapterStateCount && MPAdapterTransitions[From][To];
}

NDIS_STATUS MPSetAdapterState(PMP_ADAPTER Adapter, MP_ADAPTER_STATE To)
{
	if (!MPAdapterStateTransitionAllowed(Adapter->State, To)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "NetVsc #%u: illegal adapter transition %s -> %s refused",
			    Adapter->Index, MPAdapterStateName(Adapter->State), MPAdapterStateName(To));
		return NDIS_STATUS_INVALID_STATE;
	}
	TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_INIT, "NetVsc #%u: adapter %s -> %s", Adapter->Index,
		    MPAdapterStateName(Adapter->State), MPAdapterStateName(To));
	Adapter->State = To;
	return NDIS_STATUS_SUCCESS;
}

/* Exported for the state-table test (tests/netvsc/test_netvsc_states.c). */
__attribute__((visibility("default"))) BOOLEAN NetvscTestAdapterTransition(ULONG From, ULONG To)
{
	return MPAdapterStateTransitionAllowed((MP_ADAPTER_STATE)From, (MP_ADAPTER_STATE)To);
}

__attribute__((visibility("default"))) BOOLEAN NetvscTestAdapterSetState(ULONG From, ULONG To)
{
	MP_ADAPTER a;

	NdisZeroMemory(&a, sizeof(a));
	a.State = (MP_ADAPTER_STATE)From;
	return MPSetAdapterState(&a, (MP_ADAPTER_STATE)To) == NDIS_STATUS_SUCCESS && a.State == (MP_ADAPTER_STATE)To;
}

/* ---- small helpers ------------------------------------------------------------ */
/*
 * The statuses netvsc's traces name. A driver cannot reach src/ndis/names.h
 * (it sees include/ndis only), so it carries the few it prints.
 */
const char *NetvscStatusName(NDIS_STATUS Status)
{
	switch (Status) {
	case NDIS_STATUS_SUCCESS: return "NDIS_STATUS_SUCCESS";
	case NDIS_STATUS_PENDING: return "NDIS_STATUS_PENDING";
	case NDIS_STATUS_FAILURE: return "NDIS_STATUS_FAILURE";
	case NDIS_STATUS_RESOURCES: return "NDIS_STATUS_RESOURCES";
	case NDIS_STATUS_NOT_SUPPORTED: return "NDIS_STATUS_NOT_SUPPORTED";
	case NDIS_STATUS_ADAPTER_NOT_FOUND: return "NDIS_STATUS_ADAPTER_NOT_FOUND";
	case NDIS_STATUS_RESOURCE_CONFLICT: return "NDIS_STATUS_RESOURCE_CONFLICT";
	case NDIS_STATUS_INVALID_OID: return "NDIS_STATUS_INVALID_OID";
	case NDIS_STATUS_INVALID_LENGTH: return "NDIS_STATUS_INVALID_LENGTH";
	case NDIS_STATUS_INVALID_STATE: return "NDIS_STATUS_INVALID_STATE";
	case NDIS_STATUS_NOT_ACCEPTED: return "NDIS_STATUS_NOT_ACCEPTED";
	case NDIS_STATUS_CLOSING: return "NDIS_STATUS_CLOSING";
	case NDIS_STATUS_PAUSED: return "NDIS_STATUS_PAUSED";
	case NDIS_STATUS_UNSUPPORTED_MEDIA: return "NDIS_STATUS_UNSUPPORTED_MEDIA";
	case NDIS_STATUS_OPEN_FAILED: return "NDIS_STATUS_OPEN_FAILED";
	case STATUS_DEVICE_BUSY: return "STATUS_DEVICE_BUSY";
	case STATUS_OBJECT_NAME_NOT_FOUND: return "STATUS_OBJECT_NAME_NOT_FOUND";
	case STATUS_NO_SUCH_DEVICE: return "STATUS_NO_SUCH_DEVICE";
	case STATUS_IO_TIMEOUT: return "STATUS_IO_TIMEOUT";
	case STATUS_DEVICE_REMOVED: return "STATUS_DEVICE_REMOVED";
	default: return NULL;
	}
}

ULONG64 NetvscNowMs(VOID)
{
	struct timespec ts;

	/* The lab's stand-in for KeQueryInterruptTime: a monotonic clock. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ULONG64)ts.tv_sec * 1000u + (ULONG64)ts.tv_nsec / 1000000u;
}

/* ---- the channel interface on the PDO -------------------------------------------- */
/*
 * IoCallDriver as the I/O manager does it: move to the next stack location
 * and call the target's dispatch routine. iovlab's I/O manager (src/pnp)
 * is not exported to drivers yet; this is the one place to switch over.
 */
static NTSTATUS MPCallDriver(PDEVICE_OBJECT Device, PIRP Irp)
{
	PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
	PDRIVER_DISPATCH Dispatch;

	if (!Device->DriverObject || !(Dispatch = Device->DriverObject->MajorFunction[Next->MajorFunction]))
		return STATUS_INVALID_DEVICE_REQUEST;
	Irp->CurrentLocation--;
	Next->DeviceObject = Device;
	return Dispatch(Device, Irp);
}

static NDIS_STATUS MPQueryChannelInterface(PMP_ADAPTER Adapter)
{
	PDEVICE_OBJECT Pdo = NULL, Fdo = NULL, Next = NULL;
	PIO_STACK_LOCATION Sl;
	IRP Irp;
	NTSTATUS Status;

	NdisMGetDeviceProperty(Adapter->AdapterHandle, &Pdo, &Fdo, &Next, NULL, NULL);
	if (!Next)
		Next = Pdo;
	if (!Next) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "NetVsc #%u: no PDO: not a VMBus device", Adapter->Index);
		return NDIS_STATUS_ADAPTER_NOT_FOUND;
	}
	NdisZeroMemory(&Irp, sizeof(Irp));
	Irp.StackCount = 1;
	Irp.CurrentLocation = 2;
	Irp.IoStatus.Status = STATUS_NOT_SUPPORTED;	/* what a PnP IRP starts with */
	Sl = IoGetNextIrpStackLocation(&Irp);
	Sl->MajorFunction = IRP_MJ_PNP;
	Sl->MinorFunction = IRP_MN_QUERY_INTERFACE;
	Sl->Parameters.QueryInterface.InterfaceType = &GUID_NETVSC_CHANNEL_INTERFACE;
	Sl->Parameters.QueryInterface.Size = sizeof(Adapter->Channel);
	Sl->Parameters.QueryInterface.Version = NETVSC_CHANNEL_INTERFACE_VERSION;
	Sl->Parameters.QueryInterface.Interface = (PINTERFACE)&Adapter->Channel;
	Status = MPCallDriver(Next, &Irp);
	if (!NT_SUCCESS(Status) || Adapter->Channel.Size < sizeof(Adapter->Channel) || !Adapter->Channel.OpenChannel) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT,
			    "NetVsc #%u: IRP_MN_QUERY_INTERFACE(GUID_NETVSC_CHANNEL_INTERFACE) failed with 0x%x",
			    Adapter->Index, (unsigned)Status);
		NdisZeroMemory(&Adapter->Channel, sizeof(Adapter->Channel));
		return NDIS_STATUS_ADAPTER_NOT_FOUND;
	}
	return NDIS_STATUS_SUCCESS;
}

/* ---- channel callbacks ---------------------------------------------------------- */
static VOID MPLinkChange(PVOID Context, BOOLEAN Up)
{
	PMP_ADAPTER Adapter = Context;
	NDIS_STATUS_INDICATION Ind;

	if (Adapter->LinkUp == Up)
		return;
	Adapter->LinkUp = Up;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "NetVsc #%u: link %s", Adapter->Index, Up ? "up" : "down");
	if (Adapter->State == MpAdapterHalted || Adapter->State == MpAdapterInitializing)
		return;
	NdisZeroMemory(&Ind, sizeof(Ind));
	Ind.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
	Ind.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
	Ind.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
	Ind.SourceHandle = Adapter->AdapterHandle;
	Ind.StatusCode = Up ? NDIS_STATUS_MEDIA_CONNECT : NDIS_STATUS_MEDIA_DISCONNECT;
	NdisMIndicateStatusEx(Adapter->AdapterHandle, &Ind);
}

static VOID MPVfAssociation(PVOID Context, BOOLEAN Allocated, ULONG Serial)
{
	PMP_ADAPTER Adapter = Context;

	Adapter->VfAllocated = Allocated;
	if (Allocated)
		Adapter->VfSerial = Serial;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_VF, "NetVsc #%u: VF association from the host: %s, serial 0x%x",
		    Adapter->Index, Allocated ? "allocated" : "withdrawn", (unsigned)Serial);
	/* The VF edge acts once the engine is idle (ChannelIdle). */
	Adapter->VfWorkPending = TRUE;
}

static VOID MPChannelIdle(PVOID Context)
{
	PMP_ADAPTER Adapter = Context;

	MPDrainSendQueue(Adapter);
	/* Not while MiniportInitializeEx still runs: it looks once it is done. */
	if (Adapter->VfWorkPending && Adapter->ChannelOpen && Adapter->State != MpAdapterInitializing &&
	    Adapter->State != MpAdapterHalting) {
		Adapter->VfWorkPending = FALSE;
		VFAdapterChanged(Adapter);
	}
}

static const NETVSC_CHANNEL_CALLBACKS MPChannelCallbacks = {
	.ReceiveFrames = MPReceiveFrames,
	.LinkChange = MPLinkChange,
	.VfAssociation = MPVfAssociation,
	.ChannelIdle = MPChannelIdle,
};

/* ---- initialization -------------------------------------------------------------- */
static NDIS_STATUS MPSetRegistrationAttributes(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;

	NdisZeroMemory(&ra, sizeof(ra));
	ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	ra.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.MiniportAdapterContext = Adapter;
	/* A virtual adapter on VMBus: no PCI resources, no bus mastering. */
	ra.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK;
	ra.InterfaceType = NdisInterfaceInternal;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra);
}

static NDIS_STATUS MPSetGeneralAttributes(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES ga;

	NdisZeroMemory(&ga, sizeof(ga));
	ga.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
	ga.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.MediaType = NdisMedium802_3;
	ga.PhysicalMediumType = NdisPhysicalMedium802_3;
	ga.MtuSize = Adapter->Info.MaxFrameSize - 14u;
	ga.MaxXmitLinkSpeed = ga.XmitLinkSpeed = ga.MaxRcvLinkSpeed = ga.RcvLinkSpeed = NETVSC_LINK_SPEED;
	ga.MediaConnectState = Adapter->LinkUp ? MediaConnectStateConnected : MediaConnectStateDisconnected;
	ga.MediaDuplexState = MediaDuplexStateFull;
	ga.LookaheadSize = Adapter->Info.MaxFrameSize - 14u;
	ga.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
			NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_FULL_DUPLEX;
	ga.SupportedPacketFilters = NETVSC_PACKET_FILTERS;
	ga.MaxMulticastListSize = NETVSC_MAX_MULTICAST;
	ga.MacAddressLength = 6;
	NdisMoveMemory(ga.PermanentMacAddress, Adapter->Info.MacAddress, 6);
	NdisMoveMemory(ga.CurrentMacAddress, Adapter->Info.MacAddress, 6);
	ga.AccessType = NET_IF_ACCESS_BROADCAST;
	ga.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
	ga.ConnectionType = NET_IF_CONNECTION_DEDICATED;
	ga.IfType = IF_TYPE_ETHERNET_CSMACD;
	ga.IfConnectorPresent = FALSE;	/* a virtual NIC */
	ga.SupportedStatistics = NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED |
				 NDIS_STATISTICS_XMIT_ERROR_SUPPORTED;
	ga.SupportedOidList = (PNDIS_OID)NetvscSupportedOids;
	ga.SupportedOidListLength = NetvscSupportedOidsSize;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ga);
}

static VOID MPRegister(PMP_ADAPTER Adapter)
{
	Adapter->Next = NetvscAdapters;
	NetvscAdapters = Adapter;
}

static VOID MPUnregister(PMP_ADAPTER Adapter)
{
	PMP_ADAPTER *pp;

	for (pp = &NetvscAdapters; *pp; pp = &(*pp)->Next)
		if (*pp == Adapter) {
			*pp = Adapter->Next;
			break;
		}
	Adapter->Next = NULL;
}

static NDIS_STATUS MPInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
				  PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
	PMP_ADAPTER Adapter;
	NDIS_STATUS Status;
	NTSTATUS Nt;

	UNREFERENCED_PARAMETER(MiniportDriverContext);
	Adapter = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(*Adapter), NETVSC_TAG,
						    NormalPoolPriority);
	if (!Adapter)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Adapter, sizeof(*Adapter));
	Adapter->AdapterHandle = MiniportAdapterHandle;
	Adapter->Index = MiniportInitParameters->IfIndex;
	Adapter->State = MpAdapterHalted;
	Adapter->PacketFilter = 0;
	MPSetAdapterState(Adapter, MpAdapterInitializing);

	Status = MPSetRegistrationAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_attributes;
	Status = MPQueryChannelInterface(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_interface;
	Nt = Adapter->Channel.OpenChannel(Adapter->Channel.Context, &MPChannelCallbacks, Adapter, &Adapter->Info);
	if (!NT_SUCCESS(Nt)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "NetVsc #%u: NVSP channel did not open (0x%x)", Adapter->Index,
			    (unsigned)Nt);
		Status = Nt == STATUS_NOT_SUPPORTED ? NDIS_STATUS_NOT_SUPPORTED : NDIS_STATUS_ADAPTER_NOT_READY;
		goto fail_open;
	}
	Adapter->ChannelOpen = TRUE;
	Adapter->LinkUp = Adapter->Info.LinkUp;
	Adapter->Lookahead = Adapter->Info.MaxFrameSize - 14u;
	Status = MPSetGeneralAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_general;
	Adapter->TxStorage = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, NETVSC_TX_BATCH * NETVSC_BUFFER_SIZE,
							       NETVSC_TAG, NormalPoolPriority);
	if (!Adapter->TxStorage) {
		Status = NDIS_STATUS_RESOURCES;
		goto fail_general;
	}
	Status = MPAllocateReceiveNbls(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_rx;
	MPRegister(Adapter);
	MPSetAdapterState(Adapter, MpAdapterPaused);
	/* An association that came during the handshake: a VF bound earlier may fit it. */
	if (Adapter->VfWorkPending) {
		Adapter->VfWorkPending = FALSE;
		VFAdapterChanged(Adapter);
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT,
		    "NetVsc #%u: VM network adapter up: MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, NVSP 0x%x, link %s",
		    Adapter->Index, Adapter->Info.MacAddress[0], Adapter->Info.MacAddress[1], Adapter->Info.MacAddress[2],
		    Adapter->Info.MacAddress[3], Adapter->Info.MacAddress[4], Adapter->Info.MacAddress[5],
		    Adapter->Info.MaxFrameSize - 14u, Adapter->Info.NvspVersion, Adapter->LinkUp ? "up" : "down");
	return NDIS_STATUS_SUCCESS;

fail_rx:
	NdisFreeMemory(Adapter->TxStorage, NETVSC_TX_BATCH * NETVSC_BUFFER_SIZE, 0);
fail_general:
	Adapter->Channel.CloseChannel(Adapter->Channel.Context);
	Adapter->ChannelOpen = FALSE;
fail_open:
	Adapter->Channel.InterfaceDereference(Adapter->Channel.Context);
fail_interface:
fail_attributes:
	MPSetAdapterState(Adapter, MpAdapterHalted);
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
	return Status;
}

static VOID MPHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	MPSetAdapterState(Adapter, MpAdapterHalting);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "NetVsc #%u: halt (action %d)", Adapter->Index, HaltAction);
	/* Off the VF first (spec 2.17): the engine is still there to switch back. */
	VFAdapterHalting(Adapter);
	MPUnregister(Adapter);
	MPFailSendQueue(Adapter, NDIS_STATUS_FAILURE);
	Adapter->Channel.CloseChannel(Adapter->Channel.Context);
	Adapter->ChannelOpen = FALSE;
	Adapter->Channel.InterfaceDereference(Adapter->Channel.Context);
	MPFreeReceiveNbls(Adapter);
	NdisFreeMemory(Adapter->TxStorage, NETVSC_TX_BATCH * NETVSC_BUFFER_SIZE, 0);
	MPSetAdapterState(Adapter, MpAdapterHalted);
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
}

static NDIS_STATUS MPPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(PauseParameters);
	MPSetAdapterState(Adapter, MpAdapterPausing);
	/* Nothing may stay with a paused miniport: sends not yet taken go back. */
	MPFailSendQueue(Adapter, NDIS_STATUS_PAUSED);
	if (Adapter->RxOutstanding) {
		/* Wait for the protocols to return what we indicated (MPReturnNetBufferLists). */
		Adapter->PausePending = TRUE;
		return NDIS_STATUS_PENDING;
	}
	MPSetAdapterState(Adapter, MpAdapterPaused);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(RestartParameters);
	MPSetAdapterState(Adapter, MpAdapterRestarting);
	MPSetAdapterState(Adapter, MpAdapterRunning);
	return NDIS_STATUS_SUCCESS;
}

static VOID MPDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	if (NetDevicePnPEvent->DevicePnPEvent == NdisDevicePnPEventSurpriseRemoved) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "NetVsc #%u: surprise removed", Adapter->Index);
		Adapter->SurpriseRemoved = TRUE;
	}
}

static VOID MPShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(ShutdownAction);
}

static VOID MPDriverUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	NdisMDeregisterMiniportDriver(MPDriverHandle);
	MPDriverHandle = NULL;
}

NDIS_STATUS MPDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;

	NdisZeroMemory(&mc, sizeof(mc));
	mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
	mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
	mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
	mc.MajorDriverVersion = NETVSC_DRIVER_VERSION_MAJOR;
	mc.MinorDriverVersion = NETVSC_DRIVER_VERSION_MINOR;
	mc.InitializeHandlerEx = MPInitializeEx;
	mc.HaltHandlerEx = MPHaltEx;
	mc.UnloadHandler = MPDriverUnload;
	mc.PauseHandler = MPPause;
	mc.RestartHandler = MPRestart;
	mc.OidRequestHandler = MPOidRequest;
	mc.SendNetBufferListsHandler = MPSendNetBufferLists;
	mc.ReturnNetBufferListsHandler = MPReturnNetBufferLists;
	mc.CancelSendHandler = MPCancelSend;
	mc.DevicePnPEventNotifyHandler = MPDevicePnPEventNotify;
	mc.ShutdownHandlerEx = MPShutdownEx;
	mc.CancelOidRequestHandler = MPCancelOidRequest;
	return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &MPDriverHandle);
}

/* ---- DriverEntry ------------------------------------------------------------------- */
/* Does RegistryPath end in "\<Service>" (case-insensitive)? */
static BOOLEAN MPIsService(PUNICODE_STRING RegistryPath, const WCHAR *Service)
{
	USHORT n = 0, len, i;

	while (Service[n])
		n++;
	if (!RegistryPath || !RegistryPath->Buffer)
		return FALSE;
	len = RegistryPath->Length / sizeof(WCHAR);
	if (len < n + 1 || RegistryPath->Buffer[len - n - 1] != u'\\')
		return FALSE;
	for (i = 0; i < n; i++) {
		WCHAR a = RegistryPath->Buffer[len - n + i], b = Service[i];

		if (a >= u'A' && a <= u'Z')
			a = (WCHAR)(a - u'A' + u'a');
		if (a != b)
			return FALSE;
	}
	return TRUE;
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_STATUS Status;

	/* One binary, two services: netvsc.inf installs the miniport edge,
	 * netvscvfpp.inf the VF protocol edge (docs/hv/netvsc-edges.md). */
	if (MPIsService(RegistryPath, NETVSC_VF_SERVICE))
		Status = VFDriverEntry(DriverObject, RegistryPath);
	else if (MPIsService(RegistryPath, NETVSC_MINIPORT_SERVICE))
		Status = MPDriverEntry(DriverObject, RegistryPath);
	else {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "netvsc: DriverEntry for a service that is neither netvsc nor netvscvfpp");
		return STATUS_UNSUCCESSFUL;
	}
	return Status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
