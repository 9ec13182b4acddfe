/*
 * pf_proto.c -- a test protocol driver standing where the virtual switch
 * binds to the PF (pf_proto.h), written as an NDIS 6 protocol against
 * include/ndis. It copies what it receives and can hold the NBLs, which
 * lets a test fill the PF's receive ring.
 */
#include <ndis/ndis.h>

#include "pf_proto.h"

#define PROTO_TAG 0x6f725046	/* 'FPro' */

__attribute__((visibility("default"))) struct pf_proto PfProto;

static NDIS_HANDLE ProtocolHandle, TxPool, BindingHandle;

__attribute__((visibility("default"))) void PfProtoReset(void)
{
	NdisZeroMemory(&PfProto, sizeof(PfProto));
}

static NDIS_STATUS PtBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
				   PNDIS_BIND_PARAMETERS BindParameters)
{
	NDIS_OPEN_PARAMETERS op;
	NDIS_MEDIUM Media[] = { NdisMedium802_3 };
	UINT Selected = 0;

	UNREFERENCED_PARAMETER(ProtocolDriverContext);
	UNREFERENCED_PARAMETER(BindParameters);
	NdisZeroMemory(&op, sizeof(op));
	op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
	op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
	op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
	op.MediumArray = Media;
	op.MediumArraySize = 1;
	op.SelectedMediumIndex = &Selected;
	PfProto.binds++;
	return NdisOpenAdapterEx(ProtocolHandle, &BindingHandle, &op, BindContext, &BindingHandle);
}

__attribute__((visibility("default"))) void PfProtoReturnHeld(void)
{
	PNET_BUFFER_LIST held = PfProto.held;

	if (!held || !BindingHandle)
		return;
	PfProto.held = NULL;
	PfProto.held_count = 0;
	NdisReturnNetBufferLists(BindingHandle, held, 0);
}

static NDIS_STATUS PtUnbindAdapterEx(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
	UNREFERENCED_PARAMETER(UnbindContext);
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	PfProto.unbinds++;
	PfProtoReturnHeld();
	(void)NdisCloseAdapterEx(BindingHandle);
	BindingHandle = NULL;
	return NDIS_STATUS_SUCCESS;
}

static VOID PtOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(Status);
}

static VOID PtCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

static NDIS_STATUS PtNetPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Notification)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	if (Notification->NetPnPEvent.NetEvent == NetEventPause)
		PfProtoReturnHeld();
	return NDIS_STATUS_SUCCESS;
}

static VOID PtOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(OidRequest);
	UNREFERENCED_PARAMETER(Status);
}

static VOID PtStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	if (StatusIndication->StatusCode == NDIS_STATUS_LINK_STATE && StatusIndication->StatusBuffer) {
		PfProto.link_indications++;
		PfProto.last_link = ((PNDIS_LINK_STATE)StatusIndication->StatusBuffer)->MediaConnectState;
	}
}

static VOID PtReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
				    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
	PNET_BUFFER_LIST Nbl, Last = NULL;

	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
	PfProto.receive_calls++;
	for (Nbl = NetBufferLists; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
		PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
		struct pf_proto_frame *f = &PfProto.frames[PfProto.received % PF_PROTO_KEEP];
		ULONG n = NET_BUFFER_DATA_LENGTH(nb) < sizeof(f->data) ? NET_BUFFER_DATA_LENGTH(nb) : sizeof(f->data);
		PUCHAR data = NdisGetDataBuffer(nb, n, f->data, 1, 0);

		if (data && data != f->data)
			NdisMoveMemory(f->data, data, n);
		f->len = NET_BUFFER_DATA_LENGTH(nb);
		f->vport = NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(Nbl);
		PfProto.received++;
		Last = Nbl;
		if (PfProto.hold)
			PfProto.held_count++;
	}
	if (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES)
		return;
	if (PfProto.hold) {
		NET_BUFFER_LIST_NEXT_NBL(Last) = PfProto.held;
		PfProto.held = NetBufferLists;
		return;
	}
	NdisReturnNetBufferLists(BindingHandle, NetBufferLists, 0);
}

static VOID PtSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
					 ULONG SendCompleteFlags)
{
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(SendCompleteFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		PfProto.completed++;
		PfProto.last_send_status = NET_BUFFER_LIST_STATUS(Nbl);
		if (NET_BUFFER_LIST_STATUS(Nbl) == NDIS_STATUS_SUCCESS)
			PfProto.completed_ok++;
		NdisFreeNetBufferList(Nbl);
	}
}

/*
 * Send n frames in one chain: frame i is len bytes of base with byte 14 set
 * to i; vport goes in the NBL's filtering info (the PF ignores it on send).
 */
__attribute__((visibility("default"))) void PfProtoSend(const UCHAR *Base, ULONG Len, unsigned N, USHORT VPort)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head, Nbl;

	for (unsigned i = 0; i < N; i++) {
		PUCHAR Data;

		Nbl = NdisAllocateNetBufferAndNetBufferList(TxPool, 0, 0, NULL, 0, Len);
		if (!Nbl)
			break;
		Data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(Nbl)), NormalPagePriority);
		NdisMoveMemory(Data, Base, Len);
		if (Len > 14)
			Data[14] = (UCHAR)i;
		NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(Nbl) = VPort;
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		PfProto.sent++;
	}
	if (Head)
		NdisSendNetBufferLists(BindingHandle, Head, NDIS_DEFAULT_PORT_NUMBER, 0);
}

static VOID PtUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	if (TxPool)
		NdisFreeNetBufferListPool(TxPool);
	TxPool = NULL;
	NdisDeregisterProtocolDriver(ProtocolHandle);
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	NDIS_STRING Name = NDIS_STRING_CONST("VMSWITCH");

	UNREFERENCED_PARAMETER(RegistryPath);
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
	if (NdisRegisterProtocolDriver(NULL, &pc, &ProtocolHandle) != NDIS_STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;
	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = PROTO_TAG;
	pp.DataSize = 2048;
	TxPool = NdisAllocateNetBufferListPool(ProtocolHandle, &pp);
	DriverObject->DriverUnload = PtUnload;
	return TxPool ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}
