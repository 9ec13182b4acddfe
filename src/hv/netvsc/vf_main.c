/*
 * vf_main.c -- NETVSCVFPP, NetVsc's VF protocol edge (ndis-sriov-spec.md
 * 1.5, 2.17; the Windows-side job prior-art.md B describes for VIOPROT).
 * NDIS offers it only VF miniports (LowerRange "ndisvf"). On a bind it
 * opens the VF, asks NDIS for OID_SRIOV_VF_SERIAL_NUMBER and looks for the
 * NetVsc adapter whose host-sent VF association carries that serial (the
 * adapter table of mp_main.c). A failed query or no match declines the
 * binding with the failing status, which NDIS keeps for the bindings view
 * ("Declined with NDIS_STATUS_NOT_SUPPORTED", spec 7.4). A match binds; once
 * the VF runs, its link is up and the association still names it, the VF
 * is plugged into the adapter's data path (netvsc_channel.h SetVf: sends
 * through NdisSendNetBufferLists on this binding, receives from the VF's
 * indications up to the miniport edge) and the engine switches the data
 * path to the VF, waiting for the host's acknowledgement. Whenever one of
 * those conditions goes -- NetEventPause of the VF, link down, surprise
 * removal, the association withdrawn, unbind, the adapter halting -- the
 * data path goes back to synthetic first (the engine flushes the VF through
 * Flush), and only then is the VF unplugged or closed.
 */
#include "netvsc.h"

#include <stdio.h>

PVF_BINDING NetvscVfBindings;
static NDIS_HANDLE VFProtocolHandle;

/* ---- VF binding state machine -------------------------------------------- */
static const char *const VFBindingStateNames[VfBindingStateCount] = {
	"Opening", "Standby", "Active", "Closing", "Closed",
};

static const BOOLEAN VFBindingTransitions[VfBindingStateCount][VfBindingStateCount] = {
	[VfBindingOpening] = { [VfBindingStandby] = TRUE, [VfBindingClosed] = TRUE },
	[VfBindingStandby] = { [VfBindingActive] = TRUE, [VfBindingClosing] = TRUE },
	[VfBindingActive] = { [VfBindingStandby] = TRUE },
	[VfBindingClosing] = { [VfBindingClosed] = TRUE },
};

const char *VFBindingStateName(VF_BINDING_STATE State)
{
	return (unsigned)State < VfBindingStateCount ? VFBindingStateNames[State] : "?";
}

BOOLEAN VFBindingStateTransitionAllowed(VF_BINDING_STATE From, VF_BINDING_STATE To)
{
	return (unsigned)From < VfBindingStateCount && (unsigned)To < VfBindingStateCount && VFBindingTransitions[From][To];
}

static NDIS_STATUS VFSetState(PVF_BINDING Binding, VF_BINDING_STATE To)
{
	if (!VFBindingStateTransitionAllowed(Binding->State, To)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_VF, "NETVSCVFPP: VF '%s': illegal binding transition %s -> %s refused",
			    Binding->Name, VFBindingStateName(Binding->State), VFBindingStateName(To));
		return NDIS_STATUS_INVALID_STATE;
	}
	TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_VF, "NETVSCVFPP: VF '%s': %s -> %s", Binding->Name,
		    VFBindingStateName(Binding->State), VFBindingStateName(To));
	Binding->State = To;
	return NDIS_STATUS_SUCCESS;
}

/* Exported for the state-table test (tests/netvsc/test_netvsc_states.c). */
__attribute__((visibility("default"))) BOOLEAN NetvscTestVfTransition(ULONG From, ULONG To)
{
	return VFBindingStateTransitionAllowed((VF_BINDING_STATE)From, (VF_BINDING_STATE)To);
}

__attribute__((visibility("default"))) BOOLEAN NetvscTestVfSetState(ULONG From, ULONG To)
{
	VF_BINDING b;

	NdisZeroMemory(&b, sizeof(b));
	b.State = (VF_BINDING_STATE)From;
	return VFSetState(&b, (VF_BINDING_STATE)To) == NDIS_STATUS_SUCCESS && b.State == (VF_BINDING_STATE)To;
}

static const char *VFStatusText(NDIS_STATUS Status, char *Buf, ULONG Len)
{
	const char *Name = NetvscStatusName(Status);

	if (Name)
		return Name;
	snprintf(Buf, Len, "0x%x", (unsigned)Status);
	return Buf;
}

/* ---- the data path through the VF (NETVSC_VF_CALLBACKS) ------------------------ */
static NTSTATUS VFSend(PVOID Context, const NETVSC_FRAME *Frames, ULONG Count, PULONG Taken)
{
	PVF_BINDING Binding = Context;
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head;
	ULONG n = 0;

	*Taken = 0;
	/* A VF on its way out takes nothing: the engine holds the frames until it has switched back. */
	if (Binding->State != VfBindingActive || !Binding->VfRunning || !Binding->VfLinkUp)
		return STATUS_DEVICE_BUSY;
	while (n < Count && (Binding->TxFree || Binding->TxAllocated < NETVSC_VF_TX_NBLS)) {
		PNET_BUFFER_LIST Nbl = Binding->TxFree;
		PNET_BUFFER Nb;
		PUCHAR Data;

		if (!Nbl) {
			/* The pool grows to NETVSC_VF_TX_NBLS as a flood needs it (VFAllocateResources). */
			Nbl = NdisAllocateNetBufferAndNetBufferList(Binding->TxPool, 0, 0, NULL, 0, NETVSC_BUFFER_SIZE);
			if (!Nbl)
				break;
			NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
			Binding->TxFree = Nbl;
			Binding->TxAllocated++;
		}
		Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
		Data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(Nb), NormalPagePriority);
		Binding->TxFree = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		NdisMoveMemory(Data, Frames[n].Data, Frames[n].Length);
		NET_BUFFER_DATA_LENGTH(Nb) = Frames[n].Length;
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		n++;
	}
	if (!Head)
		return STATUS_SUCCESS;	/* every NBL is at the VF: the caller retries once some complete */
	Binding->TxOutstanding += n;
	Binding->TxFrames += n;
	*Taken = n;
	/* The completion may run inside this call; Taken is already final. */
	NdisSendNetBufferLists(Binding->BindingHandle, Head, NDIS_DEFAULT_PORT_NUMBER, 0);
	return STATUS_SUCCESS;
}

/*
 * Every frame the VF took has left it when the VF send-completed it. The VF
 * completes from its interrupt; while we wait, the partition's other event
 * sources run through the channel's Wait (on Windows: the DPC on another CPU).
 */
static NTSTATUS VFFlush(PVOID Context, ULONG TimeoutMs)
{
	PVF_BINDING Binding = Context;
	ULONG64 Deadline = NetvscNowMs() + TimeoutMs;
	PMP_ADAPTER Adapter = Binding->Adapter;

	while (Binding->TxOutstanding) {
		ULONG64 Now = NetvscNowMs();

		if (Now >= Deadline || !Adapter) {
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_VF,
				    "NETVSCVFPP: VF '%s': %u send(s) still at the VF after %u ms", Binding->Name,
				    (unsigned)Binding->TxOutstanding, (unsigned)TimeoutMs);
			return STATUS_IO_TIMEOUT;
		}
		if (!NT_SUCCESS(Adapter->Channel.Wait(Adapter->Channel.Context, (ULONG)(Deadline - Now))))
			return STATUS_IO_TIMEOUT;
	}
	return STATUS_SUCCESS;
}

static const NETVSC_VF_CALLBACKS VFCallbacks = { .Send = VFSend, .Flush = VFFlush };

/* ---- plugging the VF in and out ----------------------------------------------- */
static BOOLEAN VFMayBeActive(PVF_BINDING Binding)
{
	PMP_ADAPTER Adapter = Binding->Adapter;

	return Adapter && Adapter->ChannelOpen && Adapter->State != MpAdapterHalting && Binding->VfRunning &&
	       Binding->VfLinkUp && Adapter->VfAllocated && Adapter->VfSerial == Binding->Serial;
}

static VOID VFActivate(PVF_BINDING Binding)
{
	PMP_ADAPTER Adapter = Binding->Adapter;
	PNETVSC_CHANNEL_INTERFACE Ch = &Adapter->Channel;
	NTSTATUS St;

	St = Ch->SetVf(Ch->Context, &VFCallbacks, Binding);
	if (NT_SUCCESS(St)) {
		VFSetState(Binding, VfBindingActive);
		St = Ch->SwitchDataPath(Ch->Context, TRUE, NETVSC_SWITCH_TIMEOUT_MS);
	}
	if (NT_SUCCESS(St)) {
		Binding->Activations++;
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_VF,
			    "NETVSCVFPP: VF '%s' serial 0x%x: data path of NetVsc #%u switched to the VF", Binding->Name,
			    (unsigned)Binding->Serial, Adapter->Index);
		return;
	}
	if (Binding->State == VfBindingActive)
		VFSetState(Binding, VfBindingStandby);
	(void)Ch->SetVf(Ch->Context, NULL, NULL);
	if (St == STATUS_DEVICE_BUSY) {
		/* The engine is below us on the stack: try again once it is idle. */
		Adapter->VfWorkPending = TRUE;
		return;
	}
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_VF,
		    "NETVSCVFPP: VF '%s' serial 0x%x: switch to the VF failed (0x%x); NetVsc #%u stays synthetic",
		    Binding->Name, (unsigned)Binding->Serial, (unsigned)St, Adapter->Index);
	/* No acknowledgement: the host may think we are on the VF. Tell it we are not. */
	if (Ch->QueryDataPath(Ch->Context) == NetvscDataPathError)
		(void)Ch->SwitchDataPath(Ch->Context, FALSE, NETVSC_SWITCH_TIMEOUT_MS);
}

/* Back to synthetic, then unplug. The binding ends in Standby either way. */
static VOID VFDeactivate(PVF_BINDING Binding, const char *Why)
{
	PMP_ADAPTER Adapter = Binding->Adapter;
	PNETVSC_CHANNEL_INTERFACE Ch = &Adapter->Channel;
	NTSTATUS St;

	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_VF, "NETVSCVFPP: VF '%s': %s; NetVsc #%u switches back to synthetic",
		    Binding->Name, Why, Adapter->Index);
	St = Ch->SwitchDataPath(Ch->Context, FALSE, NETVSC_SWITCH_TIMEOUT_MS);
	if (Binding->State != VfBindingActive) {
		/* The wait ran the partition's events, and a nested deactivation
		 * (the host withdrew the VF meanwhile) already unplugged it. */
		return;
	}
	if (St == STATUS_DEVICE_BUSY) {
		/* The engine is below us on the stack. The VF takes no more frames
		 * (VFSend) and the engine holds them; switch once it is idle. */
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_VF, "NETVSCVFPP: VF '%s': engine busy; switching back when idle",
			    Binding->Name);
		Adapter->VfWorkPending = TRUE;
		return;
	}
	if (!NT_SUCCESS(St))
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_VF,
			    "NETVSCVFPP: VF '%s': switch back to synthetic failed (0x%x); data path state %d", Binding->Name,
			    (unsigned)St, (int)Ch->QueryDataPath(Ch->Context));
	/* Still plugged in only if the engine is on or switching to the VF. */
	St = Ch->SetVf(Ch->Context, NULL, NULL);
	if (!NT_SUCCESS(St))
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_VF, "NETVSCVFPP: VF '%s': could not unplug the VF (0x%x)",
			    Binding->Name, (unsigned)St);
	VFSetState(Binding, VfBindingStandby);
}

/* Bring the binding where its conditions say it belongs. */
static VOID VFEvaluate(PVF_BINDING Binding, const char *Why)
{
	BOOLEAN May = VFMayBeActive(Binding);

	if (Binding->State == VfBindingActive && !May)
		VFDeactivate(Binding, Why);
	else if (Binding->State == VfBindingStandby && May)
		VFActivate(Binding);
}

static VOID VFLink(PVF_BINDING Binding, PMP_ADAPTER Adapter)
{
	Binding->Adapter = Adapter;
	Adapter->Vf = Binding;
}

static VOID VFUnlink(PVF_BINDING Binding)
{
	if (Binding->Adapter && Binding->Adapter->Vf == Binding)
		Binding->Adapter->Vf = NULL;
	Binding->Adapter = NULL;
}

VOID VFAdapterChanged(PMP_ADAPTER Adapter)
{
	PVF_BINDING Binding = Adapter->Vf;

	/* A bound VF whose adapter went away and came back (orphan) may fit again. */
	if (!Binding && Adapter->VfAllocated)
		for (PVF_BINDING b = NetvscVfBindings; b; b = b->Next)
			if (b->State == VfBindingStandby && !b->Adapter && b->Serial == Adapter->VfSerial) {
				TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_VF,
					    "NETVSCVFPP: VF '%s' serial 0x%x belongs to NetVsc #%u again", b->Name,
					    (unsigned)b->Serial, Adapter->Index);
				VFLink(b, Adapter);
				Binding = b;
				break;
			}
	if (Binding)
		VFEvaluate(Binding, Adapter->VfAllocated ? "association changed" : "the host withdrew the VF");
}

VOID VFAdapterHalting(PMP_ADAPTER Adapter)
{
	PVF_BINDING Binding = Adapter->Vf;

	if (!Binding)
		return;
	if (Binding->State == VfBindingActive)
		VFDeactivate(Binding, "NetVsc adapter halting");
	VFUnlink(Binding);
}

/* ---- binding -------------------------------------------------------------------- */
static VOID VFFreeBinding(PVF_BINDING Binding)
{
	PVF_BINDING *pp;
	PNET_BUFFER_LIST Nbl, Next;

	for (pp = &NetvscVfBindings; *pp; pp = &(*pp)->Next)
		if (*pp == Binding) {
			*pp = Binding->Next;
			break;
		}
	for (Nbl = Binding->TxFree; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
	if (Binding->TxOutstanding)
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_VF, "NETVSCVFPP: VF '%s': closed with %u send(s) not completed",
			    Binding->Name, (unsigned)Binding->TxOutstanding);
	if (Binding->TxPool)
		NdisFreeNetBufferListPool(Binding->TxPool);
	if (Binding->RxStorage)
		NdisFreeMemory(Binding->RxStorage, NETVSC_VF_RX_BATCH * NETVSC_BUFFER_SIZE, 0);
	NdisFreeMemory(Binding, sizeof(*Binding), 0);
}

static NDIS_STATUS VFAllocateResources(PVF_BINDING Binding)
{
	NET_BUFFER_LIST_POOL_PARAMETERS pp;

	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = NETVSC_TAG;
	pp.DataSize = NETVSC_BUFFER_SIZE;
	Binding->TxPool = NdisAllocateNetBufferListPool(VFProtocolHandle, &pp);
	if (!Binding->TxPool)
		return NDIS_STATUS_RESOURCES;
	/* A few now: all 512 cost ~0.8 ms of page faults in every VF's bring-up. */
	while (Binding->TxAllocated < NETVSC_VF_TX_NBLS_INITIAL) {
		PNET_BUFFER_LIST Nbl = NdisAllocateNetBufferAndNetBufferList(Binding->TxPool, 0, 0, NULL, 0, NETVSC_BUFFER_SIZE);

		if (!Nbl)
			break;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = Binding->TxFree;
		Binding->TxFree = Nbl;
		Binding->TxAllocated++;
	}
	Binding->RxStorage = NdisAllocateMemoryWithTagPriority(VFProtocolHandle, NETVSC_VF_RX_BATCH * NETVSC_BUFFER_SIZE,
							       NETVSC_TAG, NormalPoolPriority);
	return Binding->TxAllocated && Binding->RxStorage ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

/* Push the NetVsc adapter's packet filter down to the VF (prior-art.md B). */
static VOID VFSetPacketFilter(PVF_BINDING Binding)
{
	PNDIS_OID_REQUEST Req = &Binding->FilterRequest;
	NDIS_STATUS Status;

	NdisZeroMemory(Req, sizeof(*Req));
	Req->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
	Req->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
	Req->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
	Req->RequestType = NdisRequestSetInformation;
	Binding->FilterValue = Binding->Adapter->PacketFilter ? Binding->Adapter->PacketFilter
							      : NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
									NDIS_PACKET_TYPE_BROADCAST;
	Req->DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
	Req->DATA.SET_INFORMATION.InformationBuffer = &Binding->FilterValue;
	Req->DATA.SET_INFORMATION.InformationBufferLength = sizeof(Binding->FilterValue);
	Binding->FilterStatus = NDIS_STATUS_PENDING;
	Status = NdisOidRequest(Binding->BindingHandle, Req);
	if (Status != NDIS_STATUS_PENDING)
		Binding->FilterStatus = Status;
	if (Status != NDIS_STATUS_SUCCESS && Status != NDIS_STATUS_PENDING)
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_VF, "NETVSCVFPP: VF '%s': packet filter 0x%x refused (0x%x)",
			    Binding->Name, (unsigned)Binding->FilterValue, (unsigned)Status);
}

VOID VFPacketFilterChanged(PMP_ADAPTER Adapter)
{
	PVF_BINDING Binding = Adapter->Vf;

	/* One request at a time: a change while one is out goes with the next. */
	if (Binding && Binding->BindingHandle && Binding->FilterStatus != NDIS_STATUS_PENDING)
		VFSetPacketFilter(Binding);
}

/* Decline: close what we opened; NDIS keeps the status for the views. */
static NDIS_STATUS VFDecline(PVF_BINDING Binding, NDIS_STATUS Status, const char *Why)
{
	char Hex[12];

	TraceEvents(TRACE_LEVEL_WARNING, TRACE_VF, "NETVSCVFPP: VF '%s': %s: Declined with %s", Binding->Name, Why,
		    VFStatusText(Status, Hex, sizeof(Hex)));
	if (Binding->BindingHandle)
		(void)NdisCloseAdapterEx(Binding->BindingHandle);
	Binding->BindingHandle = NULL;
	VFSetState(Binding, VfBindingClosed);
	VFFreeBinding(Binding);
	return Status;
}

/* The serial number is in: match it. Returns the bind's final status. */
static NDIS_STATUS VFBindSerial(PVF_BINDING Binding, NDIS_STATUS QueryStatus)
{
	PMP_ADAPTER Adapter, Match = NULL;
	NDIS_STATUS Status;
	char Why[96];

	if (QueryStatus != NDIS_STATUS_SUCCESS)
		return VFDecline(Binding, QueryStatus, "OID_SRIOV_VF_SERIAL_NUMBER failed");
	Binding->Serial = Binding->SerialInfo.SerialNumber;
	for (Adapter = NetvscAdapters; Adapter; Adapter = Adapter->Next) {
		ULONG Serial;

		if (Adapter->ChannelOpen && Adapter->Channel.QueryVfSerial(Adapter->Channel.Context, &Serial) &&
		    Serial == Binding->Serial) {
			Match = Adapter;
			break;
		}
	}
	if (!Match) {
		snprintf(Why, sizeof(Why), "serial 0x%x matches no NetVsc adapter's VF association",
			 (unsigned)Binding->Serial);
		return VFDecline(Binding, NDIS_STATUS_ADAPTER_NOT_FOUND, Why);
	}
	if (Match->Vf) {
		snprintf(Why, sizeof(Why), "NetVsc #%u already has VF '%s'", Match->Index, Match->Vf->Name);
		return VFDecline(Binding, NDIS_STATUS_RESOURCE_CONFLICT, Why);
	}
	Status = VFAllocateResources(Binding);
	if (Status != NDIS_STATUS_SUCCESS)
		return VFDecline(Binding, Status, "out of resources");
	VFLink(Binding, Match);
	VFSetState(Binding, VfBindingStandby);
	VFSetPacketFilter(Binding);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_VF, "NETVSCVFPP: VF '%s' serial 0x%x belongs to NetVsc #%u: Bound",
		    Binding->Name, (unsigned)Binding->Serial, Match->Index);
	/* The VF is paused while it binds; NetEventRestart brings it in. */
	VFEvaluate(Binding, "bound");
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS VFBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
				   PNDIS_BIND_PARAMETERS BindParameters)
{
	NDIS_OPEN_PARAMETERS op;
	NDIS_MEDIUM Media[] = { NdisMedium802_3 };
	UINT Selected = 0;
	PVF_BINDING Binding;
	PNDIS_OID_REQUEST Req;
	NDIS_STATUS Status;
	ULONG i, n = 0;

	UNREFERENCED_PARAMETER(ProtocolDriverContext);
	Binding = NdisAllocateMemoryWithTagPriority(VFProtocolHandle, sizeof(*Binding), NETVSC_TAG, NormalPoolPriority);
	if (!Binding)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Binding, sizeof(*Binding));
	Binding->State = VfBindingOpening;
	Binding->BindContext = BindContext;
	/* "\DEVICE\<name>" -> "<name>" for traces (ASCII is all the lab uses). */
	if (BindParameters->AdapterName && BindParameters->AdapterName->Buffer) {
		ULONG Len = BindParameters->AdapterName->Length / sizeof(WCHAR), Start = 0;

		for (i = 0; i < Len; i++)
			if (BindParameters->AdapterName->Buffer[i] == u'\\')
				Start = i + 1;
		for (i = Start; i < Len && n + 1 < sizeof(Binding->Name); i++)
			Binding->Name[n++] = (CHAR)BindParameters->AdapterName->Buffer[i];
	}
	Binding->Name[n] = 0;
	Binding->VfLinkUp = BindParameters->MediaConnectState != MediaConnectStateDisconnected;
	Binding->Next = NetvscVfBindings;
	NetvscVfBindings = Binding;

	NdisZeroMemory(&op, sizeof(op));
	op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
	op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
	op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
	op.MediumArray = Media;
	op.MediumArraySize = RTL_NUMBER_OF(Media);
	op.SelectedMediumIndex = &Selected;
	Status = NdisOpenAdapterEx(VFProtocolHandle, Binding, &op, BindContext, &Binding->BindingHandle);
	if (Status != NDIS_STATUS_SUCCESS) {
		Binding->BindingHandle = NULL;
		return VFDecline(Binding, Status, "NdisOpenAdapterEx failed");
	}

	/*
	 * A VF miniport reports no VMQ (spec 2.12 step 4): one that enables VMQ
	 * receive filters is not a VF this edge can carry (catalogue F24).
	 */
	if (BindParameters->ReceiveFilterCapabilities &&
	    (BindParameters->ReceiveFilterCapabilities->EnabledFilterTypes & NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED))
		return VFDecline(Binding, NDIS_STATUS_NOT_SUPPORTED, "the VF reports VMQ receive filters");

	/* Which VM network adapter is this VF? NDIS answers from the vPCI interface (spec 6.5). */
	Req = &Binding->SerialRequest;
	Req->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
	Req->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
	Req->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
	Req->RequestType = NdisRequestQueryInformation;
	Req->DATA.QUERY_INFORMATION.Oid = OID_SRIOV_VF_SERIAL_NUMBER;
	Req->DATA.QUERY_INFORMATION.InformationBuffer = &Binding->SerialInfo;
	Req->DATA.QUERY_INFORMATION.InformationBufferLength = sizeof(Binding->SerialInfo);
	Status = NdisOidRequest(Binding->BindingHandle, Req);
	if (Status == NDIS_STATUS_PENDING)
		return NDIS_STATUS_PENDING;	/* VFOidRequestComplete finishes the bind */
	return VFBindSerial(Binding, Status);
}

static VOID VFOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
	PVF_BINDING Binding = ProtocolBindingContext;

	if (OidRequest == &Binding->SerialRequest) {
		NDIS_HANDLE BindContext = Binding->BindContext;

		/* Binding may be freed by a decline: keep what completion needs. */
		NdisCompleteBindAdapterEx(BindContext, VFBindSerial(Binding, Status));
		return;
	}
	if (OidRequest == &Binding->FilterRequest) {
		Binding->FilterStatus = Status;
		if (Status != NDIS_STATUS_SUCCESS)
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_VF, "NETVSCVFPP: VF '%s': packet filter refused (0x%x)",
				    Binding->Name, (unsigned)Status);
	}
}

static NDIS_STATUS VFUnbindAdapterEx(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
	PVF_BINDING Binding = ProtocolBindingContext;

	UNREFERENCED_PARAMETER(UnbindContext);
	/* Spec 2.17: the data path leaves the VF before the VF goes. */
	if (Binding->State == VfBindingActive)
		VFDeactivate(Binding, "unbinding");
	if (Binding->State == VfBindingActive) {
		/* Only if the engine was busy below us, which an unbind never is in the lab. */
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_VF, "NETVSCVFPP: VF '%s': unbinding while still the data path",
			    Binding->Name);
		(void)Binding->Adapter->Channel.SetVf(Binding->Adapter->Channel.Context, NULL, NULL);
		VFSetState(Binding, VfBindingStandby);
	}
	VFUnlink(Binding);
	VFSetState(Binding, VfBindingClosing);
	(void)NdisCloseAdapterEx(Binding->BindingHandle);
	Binding->BindingHandle = NULL;
	VFSetState(Binding, VfBindingClosed);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_VF,
		    "NETVSCVFPP: VF '%s' unbound (%llu frames sent, %llu received through it)", Binding->Name,
		    (unsigned long long)Binding->TxFrames, (unsigned long long)Binding->RxFrames);
	VFFreeBinding(Binding);
	return NDIS_STATUS_SUCCESS;
}

static VOID VFOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(Status);
}

static VOID VFCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

static NDIS_STATUS VFNetPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Notification)
{
	PVF_BINDING Binding = ProtocolBindingContext;

	switch (Notification->NetPnPEvent.NetEvent) {
	case NetEventPause:
		/* The VF stops sending once we return: leave it now (spec 2.17). */
		Binding->VfRunning = FALSE;
		VFEvaluate(Binding, "VF pausing");
		break;
	case NetEventRestart:
		Binding->VfRunning = TRUE;
		VFEvaluate(Binding, "VF restarted");
		break;
	default:
		break;
	}
	return NDIS_STATUS_SUCCESS;
}

static VOID VFStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
	PVF_BINDING Binding = ProtocolBindingContext;

	/* Linux netvsc switches on the VF's link changes too (prior-art.md 2). */
	if (StatusIndication->StatusCode == NDIS_STATUS_LINK_STATE) {
		/* NDIS 6 miniports indicate NDIS_LINK_STATE (catalogue F27: a VF without carrier). */
		const NDIS_LINK_STATE *Link = StatusIndication->StatusBuffer;
		BOOLEAN Up;

		if (!Link || StatusIndication->StatusBufferSize < NDIS_SIZEOF_LINK_STATE_REVISION_1)
			return;
		Up = Link->MediaConnectState == MediaConnectStateConnected;
		if (Up != Binding->VfLinkUp) {
			Binding->VfLinkUp = Up;
			VFEvaluate(Binding, Up ? "VF link up" : "VF link down");
		}
	} else if (StatusIndication->StatusCode == NDIS_STATUS_MEDIA_DISCONNECT) {
		Binding->VfLinkUp = FALSE;
		VFEvaluate(Binding, "VF link down");
	} else if (StatusIndication->StatusCode == NDIS_STATUS_MEDIA_CONNECT) {
		Binding->VfLinkUp = TRUE;
		VFEvaluate(Binding, "VF link up");
	}
}

static VOID VFReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
				    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
	PVF_BINDING Binding = ProtocolBindingContext;
	NETVSC_FRAME Frames[NETVSC_VF_RX_BATCH];
	PNET_BUFFER_LIST Nbl;
	ULONG k = 0;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
	for (Nbl = NetBufferLists; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
		for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb)) {
			ULONG Len = NET_BUFFER_DATA_LENGTH(Nb);

			if (!Binding->Adapter || Len < NETVSC_FRAME_MIN || Len > NETVSC_FRAME_MAX) {
				Binding->RxDropped++;
				continue;
			}
			Frames[k].Data = NdisGetDataBuffer(Nb, Len, Binding->RxStorage + k * NETVSC_BUFFER_SIZE, 1, 0);
			Frames[k].Length = Len;
			if (++k == NETVSC_VF_RX_BATCH) {
				Binding->RxFrames += k;
				Binding->Adapter->RxFromVf += k;
				MPIndicateFrames(Binding->Adapter, Frames, k);
				k = 0;
			}
		}
	if (k) {
		Binding->RxFrames += k;
		Binding->Adapter->RxFromVf += k;
		MPIndicateFrames(Binding->Adapter, Frames, k);
	}
	/* Copied up: the VF's NBLs go straight back (unless they were never ours to keep). */
	if (!(ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES))
		NdisReturnNetBufferLists(Binding->BindingHandle, NetBufferLists, 0);
}

static VOID VFSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
					 ULONG SendCompleteFlags)
{
	PVF_BINDING Binding = ProtocolBindingContext;
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(SendCompleteFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		if (NET_BUFFER_LIST_STATUS(Nbl) != NDIS_STATUS_SUCCESS)
			Binding->TxFailed++;
		else
			Binding->TxCompleted++;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = Binding->TxFree;
		Binding->TxFree = Nbl;
		if (Binding->TxOutstanding)
			Binding->TxOutstanding--;
	}
	/* Sends held for want of NBLs may go now. */
	if (Binding->Adapter && Binding->Adapter->SendHead)
		MPDrainSendQueue(Binding->Adapter);
}

static VOID VFUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	NdisDeregisterProtocolDriver(VFProtocolHandle);
	VFProtocolHandle = NULL;
}

NDIS_STATUS VFDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
	NDIS_STRING Name = NDIS_STRING_CONST(NETVSC_VF_PROTOCOL_NAME);
	NDIS_STATUS Status;

	UNREFERENCED_PARAMETER(RegistryPath);
	NdisZeroMemory(&pc, sizeof(pc));
	pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
	pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
	pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
	pc.MajorDriverVersion = NETVSC_DRIVER_VERSION_MAJOR;
	pc.MinorDriverVersion = NETVSC_DRIVER_VERSION_MINOR;
	pc.Name = Name;
	pc.BindAdapterHandlerEx = VFBindAdapterEx;
	pc.UnbindAdapterHandlerEx = VFUnbindAdapterEx;
	pc.OpenAdapterCompleteHandlerEx = VFOpenAdapterCompleteEx;
	pc.CloseAdapterCompleteHandlerEx = VFCloseAdapterCompleteEx;
	pc.NetPnPEventHandler = VFNetPnPEvent;
	pc.OidRequestCompleteHandler = VFOidRequestComplete;
	pc.StatusHandlerEx = VFStatusEx;
	pc.ReceiveNetBufferListsHandler = VFReceiveNetBufferLists;
	pc.SendNetBufferListsCompleteHandler = VFSendNetBufferListsComplete;
	Status = NdisRegisterProtocolDriver(NULL, &pc, &VFProtocolHandle);
	if (Status == NDIS_STATUS_SUCCESS)
		DriverObject->DriverUnload = VFUnload;
	return Status;
}
