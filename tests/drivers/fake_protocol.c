/*
 * fake_protocol.c -- the test protocol drivers, written like a Windows NDIS 6
 * protocol (Protocol* handlers, NDIS_STATUS returns) against include/ndis:
 * a plain protocol binding to ndis5 miniports (FAKE_PROTO_PLAIN) and a
 * NetVsc-VF-edge-shaped one binding to ndisvf miniports that checks
 * OID_SRIOV_VF_SERIAL_NUMBER while binding and declines with that OID's
 * status when it fails (FAKE_PROTO_VF_EDGE; spec 1.5 step 3). Mutants break
 * one NBL ownership rule each. Steered through FakeProtoControl.
 */
#include <ndis.h>

#include "fake_proto_control.h"

#define PROTO_TAG 0x6f727046	/* 'Fpro' */

__attribute__((visibility("default"))) struct fake_proto_control FakeProtoControl;

static NDIS_HANDLE ProtocolHandle;
static NDIS_HANDLE TxPool;
static NDIS_HANDLE PendingBindContext, PendingUnbindContext;

typedef struct _PROTO_BINDING {
	NDIS_HANDLE BindingHandle;
} PROTO_BINDING, *PPROTO_BINDING;

static PROTO_BINDING Binding;

__attribute__((visibility("default"))) void FakeProtoReset(void)
{
	NdisZeroMemory(&FakeProtoControl, sizeof(FakeProtoControl));
}

static NDIS_STATUS PtOpen(NDIS_HANDLE BindContext)
{
	NDIS_OPEN_PARAMETERS op;
	NDIS_MEDIUM Media[] = { NdisMedium802_3 };
	UINT Selected = 0;

	NdisZeroMemory(&op, sizeof(op));
	op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
	op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
	op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
	op.MediumArray = Media;
	op.MediumArraySize = 1;
	op.SelectedMediumIndex = &Selected;
	FakeProtoControl.opens++;
	FakeProtoControl.open_status = NdisOpenAdapterEx(ProtocolHandle, &Binding, &op, BindContext, &Binding.BindingHandle);
	FakeProtoControl.binding = Binding.BindingHandle;
	return FakeProtoControl.open_status;
}

static NDIS_STATUS PtBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
				   PNDIS_BIND_PARAMETERS BindParameters)
{
	NDIS_STATUS Status;

	UNREFERENCED_PARAMETER(ProtocolDriverContext);
	FakeProtoControl.binds++;
	FakeProtoControl.bound_sriov_caps = BindParameters->SriovCapabilities ?
						    BindParameters->SriovCapabilities->SriovCapabilities : 0;
	FakeProtoControl.bound_switches = BindParameters->NicSwitchArray ? BindParameters->NicSwitchArray->NumElements : 0;
	FakeProtoControl.bound_mac_length = BindParameters->MacAddressLength;
	Status = PtOpen(BindContext);
	if (Status != NDIS_STATUS_SUCCESS)
		return FakeProtoControl.bind_status = Status;
#ifdef FAKE_PROTO_VF_EDGE
	{
		/* Which VM NIC is this VF? Ask NDIS for its serial number. */
		NDIS_SRIOV_VF_SERIAL_NUMBER_INFO Info;
		NDIS_OID_REQUEST Req;

		NdisZeroMemory(&Req, sizeof(Req));
		NdisZeroMemory(&Info, sizeof(Info));
		Req.Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
		Req.Header.Revision = NDIS_OID_REQUEST_REVISION_1;
		Req.Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
		Req.RequestType = NdisRequestQueryInformation;
		Req.DATA.QUERY_INFORMATION.Oid = OID_SRIOV_VF_SERIAL_NUMBER;
		Req.DATA.QUERY_INFORMATION.InformationBuffer = &Info;
		Req.DATA.QUERY_INFORMATION.InformationBufferLength = sizeof(Info);
		FakeProtoControl.serial_status = NdisOidRequest(Binding.BindingHandle, &Req);
		if (FakeProtoControl.serial_status != NDIS_STATUS_SUCCESS) {
			/* NETVSCVFPP: "Declined with <status>". */
			FakeProtoControl.close_status = NdisCloseAdapterEx(Binding.BindingHandle);
			FakeProtoControl.closes++;
			Binding.BindingHandle = NULL;
			return FakeProtoControl.bind_status = FakeProtoControl.serial_status;
		}
		FakeProtoControl.serial = Info.SerialNumber;
	}
#endif
	if (FakeProtoControl.pend_bind) {
		PendingBindContext = BindContext;
		return FakeProtoControl.bind_status = NDIS_STATUS_PENDING;
	}
	return FakeProtoControl.bind_status = NDIS_STATUS_SUCCESS;
}

__attribute__((visibility("default"))) void FakeProtoCompleteBind(NDIS_STATUS Status)
{
	NdisCompleteBindAdapterEx(PendingBindContext, Status);
}

static NDIS_STATUS PtUnbindAdapterEx(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
	PPROTO_BINDING b = ProtocolBindingContext;

	FakeProtoControl.unbinds++;
	FakeProtoReturnHeld();
	FakeProtoControl.close_status = NdisCloseAdapterEx(b->BindingHandle);
	FakeProtoControl.closes++;
	b->BindingHandle = NULL;
	if (FakeProtoControl.pend_unbind) {
		PendingUnbindContext = UnbindContext;
		return NDIS_STATUS_PENDING;
	}
	return NDIS_STATUS_SUCCESS;
}

__attribute__((visibility("default"))) void FakeProtoCompleteUnbind(void)
{
	NdisCompleteUnbindAdapterEx(PendingUnbindContext);
}

static VOID PtOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	FakeProtoControl.open_status = Status;
}

static VOID PtCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

static NDIS_STATUS PtNetPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Notification)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	FakeProtoControl.pnp_events++;
	FakeProtoControl.last_pnp = Notification->NetPnPEvent.NetEvent;
	if (Notification->NetPnPEvent.NetEvent == NetEventPause)
		FakeProtoReturnHeld();	/* a pausing protocol gives back what it holds */
	return NDIS_STATUS_SUCCESS;
}

static VOID PtOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(OidRequest);
	FakeProtoControl.oid_completions++;
	FakeProtoControl.last_oid_status = Status;
}

__attribute__((visibility("default"))) NDIS_STATUS FakeProtoOid(PNDIS_OID_REQUEST Request)
{
	return NdisOidRequest(Binding.BindingHandle, Request);
}

static VOID PtStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	FakeProtoControl.status_indications++;
	FakeProtoControl.last_indicated_status = StatusIndication->StatusCode;
}

static VOID PtReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
				    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
	PPROTO_BINDING b = ProtocolBindingContext;
	PNET_BUFFER_LIST Nbl, Last = NULL;
	UCHAR Copy[4];
	PUCHAR Data;

	UNREFERENCED_PARAMETER(PortNumber);
	FakeProtoControl.receive_calls++;
	FakeProtoControl.last_receive_count = NumberOfNetBufferLists;
	FakeProtoControl.last_receive_flags = ReceiveFlags;
	for (Nbl = NetBufferLists; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
		FakeProtoControl.received++;
		FakeProtoControl.last_vport = NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(Nbl);
		Last = Nbl;
	}
	Data = NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(NetBufferLists), 4, Copy, 1, 0);
	FakeProtoControl.last_first_byte = Data ? Data[0] : 0xff;
	if (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES)
		return;	/* not ours to keep */
#ifdef MUTANT_PROTO_KEEP_NBLS
	FakeProtoControl.hold_receives = 1;
#endif
	if (FakeProtoControl.hold_receives) {
		NET_BUFFER_LIST_NEXT_NBL(Last) = FakeProtoControl.held;
		FakeProtoControl.held = NetBufferLists;
		return;
	}
#ifdef MUTANT_PROTO_RETURN_TWICE
	NdisReturnNetBufferLists(b->BindingHandle, NetBufferLists, 0);
#endif
	NdisReturnNetBufferLists(b->BindingHandle, NetBufferLists, 0);
}

__attribute__((visibility("default"))) void FakeProtoReturnHeld(void)
{
	PNET_BUFFER_LIST Held = FakeProtoControl.held;

#ifdef MUTANT_PROTO_KEEP_NBLS
	return;
#endif
	if (!Held || !Binding.BindingHandle)
		return;
	FakeProtoControl.held = NULL;
	NdisReturnNetBufferLists(Binding.BindingHandle, Held, 0);
}

static VOID PtSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
					 ULONG SendCompleteFlags)
{
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(SendCompleteFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		FakeProtoControl.sends_completed++;
		FakeProtoControl.last_send_status = NET_BUFFER_LIST_STATUS(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
}

__attribute__((visibility("default"))) void FakeProtoSend(unsigned n)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head, Nbl;

	for (unsigned i = 0; i < n; i++) {
		Nbl = NdisAllocateNetBufferAndNetBufferList(TxPool, 0, 0, NULL, 0, 60);
		if (!Nbl)
			break;
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
	}
	if (Head)
		NdisSendNetBufferLists(Binding.BindingHandle, Head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

__attribute__((visibility("default"))) void FakeProtoSendTagged(unsigned n, PVOID CancelId)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head, Nbl;

	for (unsigned i = 0; i < n; i++) {
		Nbl = NdisAllocateNetBufferAndNetBufferList(TxPool, 0, 0, NULL, 0, 60);
		if (!Nbl)
			break;
		NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(Nbl, CancelId);
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
	}
	if (Head)
		NdisSendNetBufferLists(Binding.BindingHandle, Head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

__attribute__((visibility("default"))) void FakeProtoCancel(PVOID CancelId)
{
	NdisCancelSendNetBufferLists(Binding.BindingHandle, CancelId);
}

static VOID PtUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	FakeProtoControl.unload_calls++;
	if (TxPool)
		NdisFreeNetBufferListPool(TxPool);
	TxPool = NULL;
	NdisDeregisterProtocolDriver(ProtocolHandle);
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
#ifdef FAKE_PROTO_VF_EDGE
	NDIS_STRING Name = NDIS_STRING_CONST("NETVSCVF");
#else
	NDIS_STRING Name = NDIS_STRING_CONST(FAKE_PROTO_NAME);
#endif

	UNREFERENCED_PARAMETER(RegistryPath);
	FakeProtoControl.driver_entry_calls++;
	NdisZeroMemory(&pc, sizeof(pc));
	pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
	pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
	pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
	pc.Name = Name;
	pc.BindAdapterHandlerEx = PtBindAdapterEx;
	pc.UnbindAdapterHandlerEx = PtUnbindAdapterEx;
	pc.OpenAdapterCompleteHandlerEx = PtOpenAdapterCompleteEx;
	pc.CloseAdapterCompleteHandlerEx = PtCloseAdapterCompleteEx;
	pc.NetPnPEventHandler = PtNetPnPEvent;
	pc.OidRequestCompleteHandler = PtOidRequestComplete;
	pc.StatusHandlerEx = PtStatusEx;
	pc.ReceiveNetBufferListsHandler = PtReceiveNetBufferLists;
	pc.SendNetBufferListsCompleteHandler = PtSendNetBufferListsComplete;
	FakeProtoControl.register_status = NdisRegisterProtocolDriver(NULL, &pc, &ProtocolHandle);
	if (FakeProtoControl.register_status != NDIS_STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;
	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = PROTO_TAG;
	pp.DataSize = 128;
	TxPool = NdisAllocateNetBufferListPool(ProtocolHandle, &pp);
	DriverObject->DriverUnload = PtUnload;
	return TxPool ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}
