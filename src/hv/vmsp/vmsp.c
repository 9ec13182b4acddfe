/*
 * vmsp.c -- the Hyper-V extensible switch's protocol edge (VMSP), a raw-
 * frame NDIS 6 protocol in the Windows idiom against include/ndis, loaded
 * from vmsp.so + vmsp.inf into the root partition (vmsp.h). One binding per
 * PF miniport (LowerRange "ndis5"): it sets the packet filter, sends the
 * frames the switch hands it (they leave on the default vPort, spec 8.2)
 * and hands every frame the PF indicates to the switch attached to that
 * adapter. The switch's forwarding lives in the lab (src/hv/vswitch.c).
 */
#include <ndis/ndis.h>
#include <errno.h>

#include "vmsp.h"

#define VMSP_TAG	0x70734d56	/* 'VMsp' */
#define VMSP_TX_NBLS	1024u
#define VMSP_BUFFER_SIZE 1536u
#define VMSP_PACKET_FILTER (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST)

#define VmspTrace(Level, Msg, ...) (void)DbgPrintEx(DPFLTR_IHVNETWORK_ID, (Level), "VMSP: " Msg "\n", ##__VA_ARGS__)

typedef struct _VMSP_ATTACHMENT {
	BOOLEAN Used;
	UCHAR Mac[6];
	vmsp_rx_fn Rx;
	void *Context;
	struct vmsp_counters Counters;
} VMSP_ATTACHMENT, *PVMSP_ATTACHMENT;

typedef struct _VMSP_BINDING {
	BOOLEAN Used;
	NDIS_HANDLE BindingHandle;
	BOOLEAN Running;		/* NetEventRestart seen, no NetEventPause since */
	UCHAR Mac[6];
	ULONG PacketFilter;
	NDIS_OID_REQUEST FilterRequest;
} VMSP_BINDING, *PVMSP_BINDING;

static NDIS_HANDLE VmspProtocolHandle;
static NDIS_HANDLE VmspTxPool;
static PNET_BUFFER_LIST VmspTxFree;
static ULONG VmspTxAllocated;
static VMSP_BINDING VmspBindings[VMSP_MAX_BINDINGS];
static VMSP_ATTACHMENT VmspAttachments[VMSP_MAX_BINDINGS];
static UCHAR VmspRxStorage[VMSP_BUFFER_SIZE];

static BOOLEAN VmspSameMac(const UCHAR *a, const uint8_t *b)
{
	ULONG i;

	for (i = 0; i < 6; i++)
		if (a[i] != b[i])
			return FALSE;
	return TRUE;
}

static PVMSP_ATTACHMENT VmspAttachmentOf(const uint8_t Mac[6])
{
	ULONG i;

	for (i = 0; i < VMSP_MAX_BINDINGS; i++)
		if (VmspAttachments[i].Used && VmspSameMac(VmspAttachments[i].Mac, Mac))
			return &VmspAttachments[i];
	return NULL;
}

static PVMSP_BINDING VmspBindingOf(const uint8_t Mac[6])
{
	ULONG i;

	for (i = 0; i < VMSP_MAX_BINDINGS; i++)
		if (VmspBindings[i].Used && VmspSameMac(VmspBindings[i].Mac, Mac))
			return &VmspBindings[i];
	return NULL;
}

/* ---- the exported table ------------------------------------------------------- */
static int VmspAttach(const uint8_t Mac[6], vmsp_rx_fn Rx, void *Context)
{
	PVMSP_ATTACHMENT A = VmspAttachmentOf(Mac);
	ULONG i;

	if (!A && Rx)
		for (i = 0; i < VMSP_MAX_BINDINGS && !A; i++)
			if (!VmspAttachments[i].Used)
				A = &VmspAttachments[i];
	if (!A)
		return Rx ? -ENOSPC : 0;
	if (!Rx) {
		NdisZeroMemory(A, sizeof(*A));
		return 0;
	}
	A->Used = TRUE;
	NdisMoveMemory(A->Mac, Mac, 6);
	A->Rx = Rx;
	A->Context = Context;
	return 0;
}

static int VmspSend(const uint8_t Mac[6], const struct vmsp_frame *Frames, unsigned Count)
{
	PVMSP_BINDING B = VmspBindingOf(Mac);
	PVMSP_ATTACHMENT A = VmspAttachmentOf(Mac);
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head;
	unsigned n = 0, i;

	if (!B || !B->Running) {
		if (A)
			A->Counters.refused++;
		return -ENOTCONN;
	}
	for (i = 0; i < Count; i++)
		if (Frames[i].len < 14u || Frames[i].len > VMSP_BUFFER_SIZE)
			return -EINVAL;
	while (n < Count && VmspTxFree) {
		PNET_BUFFER_LIST Nbl = VmspTxFree;
		PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);

		VmspTxFree = NET_BUFFER_LIST_NEXT_NBL(Nbl);
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
	if (A)
		A->Counters.sent += n;
	NdisSendNetBufferLists(B->BindingHandle, Head, NDIS_DEFAULT_PORT_NUMBER, 0);
	return (int)n;
}

static bool VmspRunning(const uint8_t Mac[6])
{
	PVMSP_BINDING B = VmspBindingOf(Mac);

	return B && B->Running;
}

static void VmspGetCounters(const uint8_t Mac[6], struct vmsp_counters *c)
{
	PVMSP_ATTACHMENT A = VmspAttachmentOf(Mac);

	if (A)
		*c = A->Counters;
	else
		NdisZeroMemory(c, sizeof(*c));
}

__attribute__((visibility("default"))) const struct vmsp_proto VmspProtocol = {
	.attach = VmspAttach,
	.send = VmspSend,
	.running = VmspRunning,
	.get_counters = VmspGetCounters,
};

/* ---- protocol handlers ------------------------------------------------------------ */
static NDIS_STATUS VmspBindAdapterEx(NDIS_HANDLE ProtocolDriverContext, NDIS_HANDLE BindContext,
				     PNDIS_BIND_PARAMETERS BindParameters)
{
	NDIS_OPEN_PARAMETERS op;
	NDIS_MEDIUM Media[] = { NdisMedium802_3 };
	UINT Selected = 0;
	PVMSP_BINDING B = NULL;
	PNDIS_OID_REQUEST Req;
	NDIS_STATUS Status;
	ULONG i;

	UNREFERENCED_PARAMETER(ProtocolDriverContext);
	for (i = 0; i < VMSP_MAX_BINDINGS && !B; i++)
		if (!VmspBindings[i].Used)
			B = &VmspBindings[i];
	if (!B)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(B, sizeof(*B));
	NdisMoveMemory(B->Mac, BindParameters->CurrentMacAddress, 6);
	NdisZeroMemory(&op, sizeof(op));
	op.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
	op.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
	op.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
	op.MediumArray = Media;
	op.MediumArraySize = RTL_NUMBER_OF(Media);
	op.SelectedMediumIndex = &Selected;
	B->Used = TRUE;
	Status = NdisOpenAdapterEx(VmspProtocolHandle, B, &op, BindContext, &B->BindingHandle);
	if (Status != NDIS_STATUS_SUCCESS) {
		B->Used = FALSE;
		return Status;
	}
	/* The switch receives what its ports' filters steer to the default vPort, and group frames. */
	Req = &B->FilterRequest;
	Req->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
	Req->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
	Req->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
	Req->RequestType = NdisRequestSetInformation;
	B->PacketFilter = VMSP_PACKET_FILTER;
	Req->DATA.SET_INFORMATION.Oid = OID_GEN_CURRENT_PACKET_FILTER;
	Req->DATA.SET_INFORMATION.InformationBuffer = &B->PacketFilter;
	Req->DATA.SET_INFORMATION.InformationBufferLength = sizeof(B->PacketFilter);
	Status = NdisOidRequest(B->BindingHandle, Req);
	if (Status != NDIS_STATUS_SUCCESS && Status != NDIS_STATUS_PENDING)
		VmspTrace(DPFLTR_WARNING_LEVEL, "packet filter refused (0x%x); receiving what the adapter gives",
			  (unsigned)Status);
	VmspTrace(DPFLTR_TRACE_LEVEL, "bound to %02x:%02x:%02x:%02x:%02x:%02x", B->Mac[0], B->Mac[1], B->Mac[2],
		  B->Mac[3], B->Mac[4], B->Mac[5]);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS VmspUnbindAdapterEx(NDIS_HANDLE UnbindContext, NDIS_HANDLE ProtocolBindingContext)
{
	PVMSP_BINDING B = ProtocolBindingContext;

	UNREFERENCED_PARAMETER(UnbindContext);
	B->Running = FALSE;
	(void)NdisCloseAdapterEx(B->BindingHandle);
	NdisZeroMemory(B, sizeof(*B));
	return NDIS_STATUS_SUCCESS;
}

static VOID VmspOpenAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(Status);
}

static VOID VmspCloseAdapterCompleteEx(NDIS_HANDLE ProtocolBindingContext)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
}

static NDIS_STATUS VmspNetPnPEvent(NDIS_HANDLE ProtocolBindingContext, PNET_PNP_EVENT_NOTIFICATION Notification)
{
	PVMSP_BINDING B = ProtocolBindingContext;

	if (!B)
		return NDIS_STATUS_SUCCESS;
	if (Notification->NetPnPEvent.NetEvent == NetEventPause)
		B->Running = FALSE;
	else if (Notification->NetPnPEvent.NetEvent == NetEventRestart)
		B->Running = TRUE;
	return NDIS_STATUS_SUCCESS;
}

static VOID VmspOidRequestComplete(NDIS_HANDLE ProtocolBindingContext, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(OidRequest);
	if (Status != NDIS_STATUS_SUCCESS)
		VmspTrace(DPFLTR_WARNING_LEVEL, "packet filter refused (0x%x)", (unsigned)Status);
}

static VOID VmspStatusEx(NDIS_HANDLE ProtocolBindingContext, PNDIS_STATUS_INDICATION StatusIndication)
{
	UNREFERENCED_PARAMETER(ProtocolBindingContext);
	UNREFERENCED_PARAMETER(StatusIndication);
}

static VOID VmspReceiveNetBufferLists(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferLists,
				      NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists, ULONG ReceiveFlags)
{
	PVMSP_BINDING B = ProtocolBindingContext;
	PVMSP_ATTACHMENT A = VmspAttachmentOf(B->Mac);
	PNET_BUFFER_LIST Nbl;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(NumberOfNetBufferLists);
	for (Nbl = NetBufferLists; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
		for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb)) {
			ULONG Len = NET_BUFFER_DATA_LENGTH(Nb);
			PVOID Data;

			if (Len > sizeof(VmspRxStorage))
				continue;
			Data = NdisGetDataBuffer(Nb, Len, VmspRxStorage, 1, 0);
			if (A)
				A->Counters.received++;
			if (A && A->Rx && Data)
				A->Rx(A->Context, Data, Len);
		}
	if (!(ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES))
		NdisReturnNetBufferLists(B->BindingHandle, NetBufferLists, 0);
}

static VOID VmspSendNetBufferListsComplete(NDIS_HANDLE ProtocolBindingContext, PNET_BUFFER_LIST NetBufferList,
					   ULONG SendCompleteFlags)
{
	PVMSP_BINDING B = ProtocolBindingContext;
	PVMSP_ATTACHMENT A = B ? VmspAttachmentOf(B->Mac) : NULL;
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(SendCompleteFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		if (A) {
			if (NET_BUFFER_LIST_STATUS(Nbl) == NDIS_STATUS_SUCCESS)
				A->Counters.completed++;
			else
				A->Counters.failed++;
		}
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = VmspTxFree;
		VmspTxFree = Nbl;
	}
}

static VOID VmspUnload(PDRIVER_OBJECT DriverObject)
{
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(DriverObject);
	for (Nbl = VmspTxFree; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
	VmspTxFree = NULL;
	VmspTxAllocated = 0;
	if (VmspTxPool)
		NdisFreeNetBufferListPool(VmspTxPool);
	VmspTxPool = NULL;
	NdisDeregisterProtocolDriver(VmspProtocolHandle);
	VmspProtocolHandle = NULL;
	NdisZeroMemory(VmspAttachments, sizeof(VmspAttachments));
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pc;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	NDIS_STRING Name = NDIS_STRING_CONST(VMSP_PROTO_NAME);

	UNREFERENCED_PARAMETER(RegistryPath);
	NdisZeroMemory(&pc, sizeof(pc));
	pc.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
	pc.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
	pc.MajorNdisVersion = NDIS_PROTOCOL_MAJOR_VERSION;
	pc.MinorNdisVersion = NDIS_PROTOCOL_MINOR_VERSION;
	pc.MajorDriverVersion = 1;
	pc.Name = Name;
	pc.BindAdapterHandlerEx = VmspBindAdapterEx;
	pc.UnbindAdapterHandlerEx = VmspUnbindAdapterEx;
	pc.OpenAdapterCompleteHandlerEx = VmspOpenAdapterCompleteEx;
	pc.CloseAdapterCompleteHandlerEx = VmspCloseAdapterCompleteEx;
	pc.NetPnPEventHandler = VmspNetPnPEvent;
	pc.OidRequestCompleteHandler = VmspOidRequestComplete;
	pc.StatusHandlerEx = VmspStatusEx;
	pc.ReceiveNetBufferListsHandler = VmspReceiveNetBufferLists;
	pc.SendNetBufferListsCompleteHandler = VmspSendNetBufferListsComplete;
	if (NdisRegisterProtocolDriver(NULL, &pc, &VmspProtocolHandle) != NDIS_STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;
	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = VMSP_TAG;
	pp.DataSize = VMSP_BUFFER_SIZE;
	VmspTxPool = NdisAllocateNetBufferListPool(VmspProtocolHandle, &pp);
	while (VmspTxPool && VmspTxAllocated < VMSP_TX_NBLS) {
		PNET_BUFFER_LIST Nbl = NdisAllocateNetBufferAndNetBufferList(VmspTxPool, 0, 0, NULL, 0, VMSP_BUFFER_SIZE);

		if (!Nbl)
			break;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = VmspTxFree;
		VmspTxFree = Nbl;
		VmspTxAllocated++;
	}
	DriverObject->DriverUnload = VmspUnload;
	if (!VmspTxAllocated) {
		VmspUnload(DriverObject);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	return STATUS_SUCCESS;
}
