/*
 * mp_datapath.c -- the NetVsc miniport edge's data path. Sends: NBLs from
 * the protocols queue here in order, and each NET_BUFFER becomes one frame
 * handed to the engine (SendFrames), which copies it into a send section
 * (synthetic path) or passes it to the VF edge (VF path); an NBL is
 * send-completed once the engine took all its frames. The engine may take
 * fewer (no free section, a data-path switch in progress, the engine busy
 * below us on the stack): the rest stays queued, in order, and goes from
 * ChannelIdle. Receives: frames from the synthetic path (engine callback,
 * valid only during the call) and from the VF (vf_main.c) are copied into
 * the adapter's own receive NBLs and indicated; the NBLs come back through
 * MiniportReturnNetBufferLists, and a pause waits for them.
 */
#include "netvsc.h"

/* ---- receive ---------------------------------------------------------------- */
NDIS_STATUS MPAllocateReceiveNbls(PMP_ADAPTER Adapter)
{
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	ULONG i;

	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = NETVSC_TAG;
	pp.DataSize = NETVSC_BUFFER_SIZE;
	Adapter->RxPool = NdisAllocateNetBufferListPool(Adapter->AdapterHandle, &pp);
	if (!Adapter->RxPool)
		return NDIS_STATUS_RESOURCES;
	for (i = 0; i < NETVSC_RX_NBLS; i++) {
		PNET_BUFFER_LIST Nbl = NdisAllocateNetBufferAndNetBufferList(Adapter->RxPool, 0, 0, NULL, 0, NETVSC_BUFFER_SIZE);

		if (!Nbl)
			break;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = Adapter->RxFree;
		Adapter->RxFree = Nbl;
		Adapter->RxAllocated++;
	}
	if (!Adapter->RxAllocated) {
		NdisFreeNetBufferListPool(Adapter->RxPool);
		Adapter->RxPool = NULL;
		return NDIS_STATUS_RESOURCES;
	}
	return NDIS_STATUS_SUCCESS;
}

VOID MPFreeReceiveNbls(PMP_ADAPTER Adapter)
{
	PNET_BUFFER_LIST Nbl, Next;

	if (Adapter->RxOutstanding)
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DATAPATH, "NetVsc #%u: %u receive NBL(s) never returned",
			    Adapter->Index, (unsigned)Adapter->RxOutstanding);
	for (Nbl = Adapter->RxFree; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
	Adapter->RxFree = NULL;
	if (Adapter->RxPool)
		NdisFreeNetBufferListPool(Adapter->RxPool);
	Adapter->RxPool = NULL;
}

/* The packet filter and multicast list, as a NIC's MAC filter applies them. */
static BOOLEAN MPFilterAccepts(PMP_ADAPTER Adapter, const UCHAR *Dst)
{
	static const UCHAR Broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	ULONG f = Adapter->PacketFilter, i;

	if (f & NDIS_PACKET_TYPE_PROMISCUOUS)
		return TRUE;
	if (NdisEqualMemory(Dst, Broadcast, 6))
		return (f & NDIS_PACKET_TYPE_BROADCAST) != 0;
	if (Dst[0] & 1) {
		if (f & NDIS_PACKET_TYPE_ALL_MULTICAST)
			return TRUE;
		if (!(f & NDIS_PACKET_TYPE_MULTICAST))
			return FALSE;
		for (i = 0; i < Adapter->MulticastCount; i++)
			if (NdisEqualMemory(Dst, Adapter->MulticastList[i], 6))
				return TRUE;
		return FALSE;
	}
	return (f & NDIS_PACKET_TYPE_DIRECTED) && NdisEqualMemory(Dst, Adapter->Info.MacAddress, 6);
}

VOID MPIndicateFrames(PMP_ADAPTER Adapter, const NETVSC_FRAME *Frames, ULONG Count)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head;
	ULONG n = 0, i;

	if (Adapter->State != MpAdapterRunning) {
		Adapter->RxDiscards += Count;	/* nobody to give them to */
		return;
	}
	for (i = 0; i < Count; i++) {
		const NETVSC_FRAME *f = &Frames[i];
		PNET_BUFFER_LIST Nbl;
		PNET_BUFFER Nb;
		PUCHAR Data;

		if (f->Length < NETVSC_FRAME_MIN || f->Length > NETVSC_BUFFER_SIZE ||
		    !MPFilterAccepts(Adapter, f->Data)) {
			Adapter->RxDiscards++;
			continue;
		}
		Nbl = Adapter->RxFree;
		if (!Nbl) {
			Adapter->RxNoBuffer++;
			continue;
		}
		Adapter->RxFree = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
		Data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(Nb), NormalPagePriority);
		NdisMoveMemory(Data, f->Data, f->Length);
		NET_BUFFER_DATA_LENGTH(Nb) = f->Length;
		Adapter->RxBytes += f->Length;
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		n++;
	}
	if (!Head)
		return;
	Adapter->RxFrames += n;
	Adapter->RxOutstanding += n;
	NdisMIndicateReceiveNetBufferLists(Adapter->AdapterHandle, Head, NDIS_DEFAULT_PORT_NUMBER, n, 0);
}

VOID MPReceiveFrames(PVOID Context, const NETVSC_FRAME *Frames, ULONG Count)
{
	MPIndicateFrames(Context, Frames, Count);
}

VOID MPReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(ReturnFlags);
	for (Nbl = NetBufferLists; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = Adapter->RxFree;
		Adapter->RxFree = Nbl;
		if (Adapter->RxOutstanding)
			Adapter->RxOutstanding--;
	}
	if (Adapter->PausePending && !Adapter->RxOutstanding) {
		Adapter->PausePending = FALSE;
		MPSetAdapterState(Adapter, MpAdapterPaused);
		NdisMPauseComplete(Adapter->AdapterHandle);
	}
}

/* ---- send ---------------------------------------------------------------------- */
static VOID MPCompleteChain(PMP_ADAPTER Adapter, PNET_BUFFER_LIST Head)
{
	if (Head)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Head, 0);
}

static BOOLEAN MPNblValid(PNET_BUFFER_LIST Nbl)
{
	PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);

	if (!Nb)
		return FALSE;
	for (; Nb; Nb = NET_BUFFER_NEXT_NB(Nb))
		if (NET_BUFFER_DATA_LENGTH(Nb) < NETVSC_FRAME_MIN || NET_BUFFER_DATA_LENGTH(Nb) > NETVSC_FRAME_MAX)
			return FALSE;
	return TRUE;
}

VOID MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
			  NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Nbl, Next, Refused = NULL, *RefusedTail = &Refused;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(SendFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		if (Adapter->State != MpAdapterRunning || !MPNblValid(Nbl)) {
			NET_BUFFER_LIST_STATUS(Nbl) =
				Adapter->State != MpAdapterRunning ? NDIS_STATUS_PAUSED : NDIS_STATUS_INVALID_LENGTH;
			Adapter->TxErrors++;
			*RefusedTail = Nbl;
			RefusedTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
			continue;
		}
		if (Adapter->SendTail)
			NET_BUFFER_LIST_NEXT_NBL(Adapter->SendTail) = Nbl;
		else {
			Adapter->SendHead = Nbl;
			Adapter->SendNextNb = NET_BUFFER_LIST_FIRST_NB(Nbl);
		}
		Adapter->SendTail = Nbl;
	}
	MPCompleteChain(Adapter, Refused);
	MPDrainSendQueue(Adapter);
}

/* Take one frame off the queue; a fully taken NBL goes onto *Done. */
static VOID MPConsumeFrame(PMP_ADAPTER Adapter, PNET_BUFFER_LIST **DoneTail)
{
	PNET_BUFFER_LIST Head = Adapter->SendHead;

	Adapter->TxFrames++;
	Adapter->TxBytes += NET_BUFFER_DATA_LENGTH(Adapter->SendNextNb);
	Adapter->SendNextNb = NET_BUFFER_NEXT_NB(Adapter->SendNextNb);
	if (Adapter->SendNextNb)
		return;
	Adapter->SendHead = NET_BUFFER_LIST_NEXT_NBL(Head);
	if (!Adapter->SendHead)
		Adapter->SendTail = NULL;
	else
		Adapter->SendNextNb = NET_BUFFER_LIST_FIRST_NB(Adapter->SendHead);
	NET_BUFFER_LIST_NEXT_NBL(Head) = NULL;
	NET_BUFFER_LIST_STATUS(Head) = NDIS_STATUS_SUCCESS;
	**DoneTail = Head;
	*DoneTail = &NET_BUFFER_LIST_NEXT_NBL(Head);
}

/* One pass: hand the engine batches until it takes less. TRUE if it took any. */
static BOOLEAN MPSendSome(PMP_ADAPTER Adapter, PNET_BUFFER_LIST *Done)
{
	PNET_BUFFER_LIST *DoneTail = Done;
	BOOLEAN Progress = FALSE;

	while (Adapter->SendHead && Adapter->ChannelOpen) {
		NETVSC_FRAME Frames[NETVSC_TX_BATCH];
		PNET_BUFFER_LIST Nbl = Adapter->SendHead;
		PNET_BUFFER Nb = Adapter->SendNextNb;
		ULONG k = 0, Taken = 0, i;
		NTSTATUS St;

		while (Nbl && k < NETVSC_TX_BATCH) {
			ULONG Len;

			if (!Nb) {
				Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl);
				Nb = Nbl ? NET_BUFFER_LIST_FIRST_NB(Nbl) : NULL;
				continue;
			}
			Len = NET_BUFFER_DATA_LENGTH(Nb);
			Frames[k].Data = NdisGetDataBuffer(Nb, Len, Adapter->TxStorage + k * NETVSC_BUFFER_SIZE, 1, 0);
			Frames[k].Length = Len;
			k++;
			Nb = NET_BUFFER_NEXT_NB(Nb);
		}
		St = Adapter->Channel.SendFrames(Adapter->Channel.Context, Frames, k, &Taken);
		for (i = 0; i < Taken && i < k; i++)
			MPConsumeFrame(Adapter, &DoneTail);
		if (Taken)
			Progress = TRUE;
		if (St == STATUS_DEVICE_REMOVED) {
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_DATAPATH, "NetVsc #%u: channel gone; sends fail",
				    Adapter->Index);
			break;
		}
		if (St == STATUS_DEVICE_BUSY)
			Adapter->TxHeld++;
		if (!NT_SUCCESS(St) || Taken < k)
			break;
	}
	return Progress;
}

VOID MPDrainSendQueue(PMP_ADAPTER Adapter)
{
	BOOLEAN Progress;

	/* Completing NBLs runs protocol code that may send again: that lands
	 * in the queue and the loop below takes it. */
	if (Adapter->Draining)
		return;
	Adapter->Draining = TRUE;
	do {
		PNET_BUFFER_LIST Done = NULL;

		Progress = MPSendSome(Adapter, &Done);
		MPCompleteChain(Adapter, Done);
	} while (Progress && Adapter->SendHead);
	Adapter->Draining = FALSE;
	if (Adapter->SendHead && !Adapter->ChannelOpen)
		MPFailSendQueue(Adapter, NDIS_STATUS_MEDIA_DISCONNECTED);
}

VOID MPFailSendQueue(PMP_ADAPTER Adapter, NDIS_STATUS Status)
{
	PNET_BUFFER_LIST Head = Adapter->SendHead, Nbl;

	if (!Head)
		return;
	if (Adapter->SendNextNb != NET_BUFFER_LIST_FIRST_NB(Head))
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_DATAPATH,
			    "NetVsc #%u: an NBL fails with %s after some of its frames were sent", Adapter->Index,
			    NetvscStatusName(Status) ? NetvscStatusName(Status) : "an error");
	Adapter->SendHead = Adapter->SendTail = NULL;
	Adapter->SendNextNb = NULL;
	for (Nbl = Head; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
		NET_BUFFER_LIST_STATUS(Nbl) = Status;
		Adapter->TxErrors++;
	}
	MPCompleteChain(Adapter, Head);
}

VOID MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Nbl, Next, Keep = NULL, *KeepTail = &Keep, Cancel = NULL, *CancelTail = &Cancel, Last = NULL;
	PNET_BUFFER_LIST Head = Adapter->SendHead;
	BOOLEAN HeadStarted = Head && Adapter->SendNextNb != NET_BUFFER_LIST_FIRST_NB(Head);

	for (Nbl = Head; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		/* The head NBL with frames already sent cannot be taken back. */
		if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(Nbl) == CancelId && !(Nbl == Head && HeadStarted)) {
			NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SEND_ABORTED;
			*CancelTail = Nbl;
			CancelTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		} else {
			*KeepTail = Nbl;
			KeepTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
			Last = Nbl;
		}
	}
	if (Keep != Head)
		Adapter->SendNextNb = Keep ? NET_BUFFER_LIST_FIRST_NB(Keep) : NULL;
	Adapter->SendHead = Keep;
	Adapter->SendTail = Last;
	MPCompleteChain(Adapter, Cancel);
}
