/*
 * guest_traffic_proto.c -- the guest traffic protocol driver (IOVTRAFFIC),
 * a raw-frame NDIS 6 protocol in the mould of the WDK's NDISPROT sample,
 * written in the Windows idiom against include/ndis (it is a driver, loaded
 * from guest_traffic.so + guest_traffic.inf). It binds to one VM network
 * adapter (LowerRange ndis5), sets its packet filter, sends the frames the
 * lab hands it through GuestTrafficProtocol.send and hands every frame it
 * receives to the sink the lab attached (guest_traffic.c). See
 * guest_traffic_proto.h for the exported table.
 */
#include <ndis/ndis.h>
#include <errno.h>

#include "guest_traffic_proto.h"

/*
 * Built twice: as IOVTRAFFIC (guest_traffic.so, the numbered-frame source
 * and sink) and, with GT_PROTO_NAME "IOVTCPIP", as the link of the guest's
 * TCP/IP stack (guest_tcpip.so, guest_tcpip.h) -- one raw-frame protocol,
 * two services bound side by side above NetVsc, as NDISPROT and tcpip.sys
 * are on Windows. Each build exports its own GuestTrafficProtocol table.
 */
#ifndef GT_PROTO_NAME
#define GT_PROTO_NAME GUEST_TRAFFIC_PROTO_NAME
#endif

#define GT_TAG		0x66725447	/* 'GTrf' */
#define GT_TX_NBLS	1024u
#define GT_BUFFER_SIZE	1536u
#define GT_PACKET_FILTER (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST)

#define GtTrace(Level, Msg, ...) (void)DbgPrintEx(DPFLTR_IHVNETWORK_ID, (Level), GT_PROTO_NAME ": " Msg "\n", ##__VA_ARGS__)

typedef struct _GT_BINDING {
	NDIS_HANDLE BindingHandle;
	BOOLEAN Running;		/* NetEventRestart seen, no NetEventPause since */
	UCHAR Mac[6];
	ULONG PacketFilter;
	NDIS_OID_REQUEST FilterRequest;
} GT_BINDING, *PGT_BINDING;

static NDIS_HANDLE GtProtocolHandle;
static NDIS_HANDLE GtTxPool;
static PNET_BUFFER_LIST GtTxFree;
static ULONG GtTxAllocated, GtTxOutstanding;
static PGT_BINDING GtBinding;
static struct guest_traffic_proto_counters GtCounters;
static guest_traffic_rx_fn GtRx;
static guest_traffic_tx_done_fn GtTxDone;
static void *GtSinkContext;
static UCHAR GtRxStorage[GT_BUFFER_SIZE];

/* ---- the exported table ------------------------------------------------------- */
static int GtAttach(guest_traffic_rx_fn Rx, guest_traffic_tx_done_fn TxDone, void *Context)
{
	if (Rx && GtRx)
		return -EBUSY;
	GtRx = Rx;
	GtTxDone = Rx ? TxDone : NULL;
	GtSinkContext = Rx ? Context : NULL;
	return 0;
}

static int GtSend(const struct guest_traffic_frame *Frames, unsigned Count)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head;
	unsigned n = 0, i;

	if (!GtBinding || !GtBinding->Running) {
		GtCounters.refused++;
		return -ENOTCONN;
	}
	for (i = 0; i < Count; i++)
		if (Frames[i].len < 14u || Frames[i].len > GT_BUFFER_SIZE)
			return -EINVAL;
	while (n < Count && GtTxFree) {
		PNET_BUFFER_LIST Nbl = GtTxFree;
		PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);

		GtTxFree = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		NdisMoveMemory(MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(Nb), NormalPagePriority), Frames[n].data,
			       Frames[n].len);
		NET_BUFFER_DATA_LENGTH(Nb) = Frames[n].len;
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		n++;
	}
	if (!Head)
		return 0;
	GtTxOutstanding += n;
	GtCounters.sent += n;
	NdisSendNetBufferLists(GtBinding->BindingHandle, Head, NDIS_DEFAULT_PORT_NUMBER, 0);
	return (int)n;
}

static bool GtRunning(uint8_t Mac[6])
{
	if (!GtBinding || !GtBinding->Running)
		return false;
	if (Mac)
		NdisMoveMemory(Mac, GtBinding->Mac, 6);
	return true;
}

static void GtGetCounters(struct guest_traffic_proto_counters *c)
{
	*c = GtCounters;
}

__attribute__((visibility("default"))) const struct guest_traffic_proto GuestTrafficProtocol = {
	.attach = GtAttach,
	.send = GtSend,
	.running = GtRunning,
	.get_counters = GtGetCounters,
};

/* ---- protocol handlers ------------------------------------------------------------ */
static NDIS_STATUS GtBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
				   PNDIS_BIND_PARAMETERS BindParameters)
{
	NDIS_OPEN_PARAMETERS op;
	NDIS_MEDIUM Media[] = { NdisMedium802_3 };
	UINT Selected = 0;
	PGT_BINDING Binding;
	PNDIS_OID_REQUEST Req;
	NDIS_STATUS Status;

	UNREFERENCED_PARAMETER(ProtocolDriverContext);
	if (GtBinding)
		return NDIS_STATUS_NOT_ACCEPTED;	/* one adapter at a time */
	Binding = NdisAllocateMemoryWithTagPriority(GtProtocolHandle, sizeof(*Binding), GT_TAG, NormalPoolPriority);
	if (!Binding)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Binding, sizeof(*Binding));
	NdisMoveMemory(Binding->Mac, BindParameters->CurrentMacAddress, 6);
	NdisZeroMemory(&op, sizeof(op));
	op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
	op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
	op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
	op.MediumArray = Media;
	op.MediumArraySize = RTL_NUMBER_OF(Media);
	op.SelectedMediumIndex = &Selected;
	Status = NdisOpenAdapterEx(GtProtocolHandle, Binding, &op, BindContext, &Binding->BindingHandle);
	if (Status != NDIS_STATUS_SUCCESS) {
		NdisFreeMemory(Binding, sizeof(*Binding), 0);
		return Status;
	}
	/* Receive what a host stack receives: our address, multicast, broadcast. */
	Req = &Binding->FilterRequest;
	Req->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
	Req->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
	Req->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
	Req->RequestType = NdisRequestSetInformation;
	Binding->PacketFilter = GT_PACKET_FILTER;
	Req->DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
	Req->DATA.SET_INFORMATION.InformationBuffer = &Binding->PacketFilter;
	Req->DATA.SET_INFORMATION.InformationBufferLength = sizeof(Binding->PacketFilter);
	Status = NdisOidRequest(Binding->BindingHandle, Req);
	if (Status != NDIS_STATUS_SUCCESS && Status != NDIS_STATUS_PENDING) {
		GtTrace(DPFLTR_WARNING_LEVEL, "packet filter refused (0x%x)", (unsigned)Status);
		(void)NdisCloseAdapterEx(Binding->BindingHandle);
		NdisFreeMemory(Binding, sizeof(*Binding), 0);
		return Status;
	}
	GtBinding = Binding;
	GtCounters.binds++;
	GtTrace(DPFLTR_TRACE_LEVEL, "bound (MAC %02x:%02x:%02x:%02x:%02x:%02x)", Binding->Mac[0], Binding->Mac[1],
		Binding->Mac[2], Binding->Mac[3], Binding->Mac[4], Binding->Mac[5]);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS GtUnbindAdapterEx(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
	PGT_BINDING Binding = ProtocolBindingContext;

	UNREFERENCED_PARAMETER(UnbindContext);
	Binding->Running = FALSE;
	(void)NdisCloseAdapterEx(Binding->BindingHandle);
	GtBinding = NULL;
	GtCounters.unbinds++;
	NdisFreeMemory(Binding, sizeof(*Binding), 0);
	return NDIS_STATUS_SUCCESS;
}

static VOID GtOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(Status);
}

static VOID GtCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

static NDIS_STATUS GtNetPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Notification)
{
	PGT_BINDING Binding = ProtocolBindingContext;

	if (Notification->NetPnPEvent.NetEvent == NetEventPause) {
		Binding->Running = FALSE;
		GtCounters.pauses++;
	} else if (Notification->NetPnPEvent.NetEvent == NetEventRestart) {
		Binding->Running = TRUE;
		GtCounters.restarts++;
	}
	return NDIS_STATUS_SUCCESS;
}

static VOID GtOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(OidRequest);
	if (Status != NDIS_STATUS_SUCCESS)
		GtTrace(DPFLTR_WARNING_LEVEL, "packet filter refused (0x%x)", (unsigned)Status);
}

static VOID GtStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(StatusIndication);
}

static VOID GtReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
				    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
	PGT_BINDING Binding = ProtocolBindingContext;
	PNET_BUFFER_LIST Nbl;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
	for (Nbl = NetBufferLists; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
		for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb)) {
			ULONG Len = NET_BUFFER_DATA_LENGTH(Nb);
			PVOID Data;

			if (Len > sizeof(GtRxStorage))
				continue;
			Data = NdisGetDataBuffer(Nb, Len, GtRxStorage, 1, 0);
			GtCounters.received++;
			if (GtRx && Data)
				GtRx(GtSinkContext, Data, Len);
		}
	if (!(ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES))
		NdisReturnNetBufferLists(Binding->BindingHandle, NetBufferLists, 0);
}

static VOID GtSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
					 ULONG SendCompleteFlags)
{
	PNET_BUFFER_LIST Nbl, Next;
	unsigned Completed = 0, Failed = 0;

	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(SendCompleteFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		Completed++;
		if (NET_BUFFER_LIST_STATUS(Nbl) != NDIS_STATUS_SUCCESS) {
			Failed++;
			GtCounters.last_failure = (uint32_t)NET_BUFFER_LIST_STATUS(Nbl);
		}
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = GtTxFree;
		GtTxFree = Nbl;
		if (GtTxOutstanding)
			GtTxOutstanding--;
	}
	GtCounters.completed += Completed - Failed;
	GtCounters.failed += Failed;
	if (GtTxDone)
		GtTxDone(GtSinkContext, Completed, Failed);
}

static VOID GtUnload(PDRIVER_OBJECT DriverObject)
{
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(DriverObject);
	for (Nbl = GtTxFree; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
	GtTxFree = NULL;
	GtTxAllocated = 0;
	if (GtTxPool)
		NdisFreeNetBufferListPool(GtTxPool);
	GtTxPool = NULL;
	NdisDeregisterProtocolDriver(GtProtocolHandle);
	GtProtocolHandle = NULL;
	GtRx = NULL;
	GtTxDone = NULL;
	NdisZeroMemory(&GtCounters, sizeof(GtCounters));
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	NDIS_STRING Name = NDIS_STRING_CONST(GT_PROTO_NAME);

	UNREFERENCED_PARAMETER(RegistryPath);
	NdisZeroMemory(&pc, sizeof(pc));
	pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
	pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
	pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
	pc.MajorDriverVersion = 1;
	pc.Name = Name;
	pc.BindAdapterHandlerEx = GtBindAdapterEx;
	pc.UnbindAdapterHandlerEx = GtUnbindAdapterEx;
	pc.OpenAdapterCompleteHandlerEx = GtOpenAdapterCompleteEx;
	pc.CloseAdapterCompleteHandlerEx = GtCloseAdapterCompleteEx;
	pc.NetPnPEventHandler = GtNetPnPEvent;
	pc.OidRequestCompleteHandler = GtOidRequestComplete;
	pc.StatusHandlerEx = GtStatusEx;
	pc.ReceiveNetBufferListsHandler = GtReceiveNetBufferLists;
	pc.SendNetBufferListsCompleteHandler = GtSendNetBufferListsComplete;
	if (NdisRegisterProtocolDriver(NULL, &pc, &GtProtocolHandle) != NDIS_STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;
	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = GT_TAG;
	pp.DataSize = GT_BUFFER_SIZE;
	GtTxPool = NdisAllocateNetBufferListPool(GtProtocolHandle, &pp);
	while (GtTxPool && GtTxAllocated < GT_TX_NBLS) {
		PNET_BUFFER_LIST Nbl = NdisAllocateNetBufferAndNetBufferList(GtTxPool, 0, 0, NULL, 0, GT_BUFFER_SIZE);

		if (!Nbl)
			break;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = GtTxFree;
		GtTxFree = Nbl;
		GtTxAllocated++;
	}
	DriverObject->DriverUnload = GtUnload;
	if (!GtTxAllocated) {
		GtUnload(DriverObject);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	return STATUS_SUCCESS;
}
