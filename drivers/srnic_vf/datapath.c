/*
 * datapath.c -- srnic_vf's send and receive on the first queue pair of its
 * vPort (spec 2.12 step 6: the VF sends on its vPort's queues and neither
 * sets nor reads an NBL's vPort id). Sends are copied into the TX slot's
 * bounce buffer (one descriptor per NET_BUFFER, EOP) with one doorbell per
 * call; an NBL completes when the descriptor of its last NET_BUFFER is
 * DONE; NBLs that do not fit in the ring wait in order on the adapter's
 * wait list and are posted as descriptors complete (the device drains the
 * ring asynchronously when the doorbell is a shared page, so a full ring is
 * normal, not an error; netvmini 6x's SendWaitList). Received frames are copied out of the RX slot into an NBL from the
 * adapter's free list (MP_RX_NBLS_INITIAL allocated at initialization,
 * grown on demand to MP_RX_NBLS; none free and none to add: the frame is
 * dropped and counted in RxNoBuffer), the slot goes back to
 * the device at once, and the NBL is the protocol's until it comes back in
 * MPReturnNetBufferLists, which puts it back on the free list.
 *
 * Ring contract with the device (docs/hw/srnic.md, "Queue pairs" and the
 * descriptor table): the driver owns a TX descriptor from when it is
 * reaped until it is posted, the device from the TX_TAIL write that covers
 * it until it sets DONE; likewise RX with RX_TAIL. The driver writes
 * addr/len/flags and clears status, then a release fence, then the tail
 * register; the device publishes status (and the RX length) with a release
 * fence, so the driver reads status with acquire before anything else of
 * the descriptor or its buffer.
 */
#include "srnic_vf.h"

#define RING_MASK (MP_RING_SIZE - 1)

static USHORT DescStatus(struct srnic_desc *Desc)
{
	return __atomic_load_n(&Desc->status, __ATOMIC_ACQUIRE);
}

static ULONG TxFree(PMP_ADAPTER Adapter)
{
	return (Adapter->Tx.Head - Adapter->Tx.Tail - 1) & RING_MASK;
}

BOOLEAN NICTxIdle(PMP_ADAPTER Adapter)
{
	return Adapter->Tx.Head == Adapter->Tx.Tail && !Adapter->WaitHead;
}

/* Append Nbl to a chain being built. */
static VOID NblAppend(PNET_BUFFER_LIST **Tail, PNET_BUFFER_LIST Nbl)
{
	NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
	**Tail = Nbl;
	*Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
}

/* Copy a NET_BUFFER's data into Dst (at most Max bytes); its length, or 0 if it does not fit. */
static ULONG NICCopyNetBuffer(PNET_BUFFER Nb, PUCHAR Dst, ULONG Max)
{
	PMDL Mdl = NET_BUFFER_CURRENT_MDL(Nb);
	ULONG Offset = NET_BUFFER_CURRENT_MDL_OFFSET(Nb);
	ULONG Left = NET_BUFFER_DATA_LENGTH(Nb), Length = Left;

	if (!Length || Length > Max)
		return 0;
	while (Left && Mdl) {
		PUCHAR Va = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
		ULONG n;

		if (!Va || Offset > MmGetMdlByteCount(Mdl))
			return 0;
		n = MmGetMdlByteCount(Mdl) - Offset;
		if (n > Left)
			n = Left;
		NdisMoveMemory(Dst, Va + Offset, n);
		Dst += n;
		Left -= n;
		Offset = 0;
		NdisGetNextMdl(Mdl, &Mdl);
	}
	return Left ? 0 : Length;
}

static NDIS_STATUS NICCheckNbl(PMP_ADAPTER Adapter, PNET_BUFFER_LIST Nbl, ULONG *Count)
{
	PNET_BUFFER Nb;

	switch (Adapter->State) {
	case MpStateRunning:
		break;
	case MpStateSurpriseRemoved:
		return NDIS_STATUS_ADAPTER_REMOVED;
	case MpStateResetting:
		return NDIS_STATUS_RESET_IN_PROGRESS;
	default:
		return NDIS_STATUS_PAUSED;
	}
	*Count = 0;
	for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb)) {
		if (NET_BUFFER_DATA_LENGTH(Nb) < SRNIC_FRAME_MIN || NET_BUFFER_DATA_LENGTH(Nb) > MP_MAX_FRAME)
			return NDIS_STATUS_INVALID_LENGTH;
		(*Count)++;
	}
	if (!*Count)
		return NDIS_STATUS_INVALID_PACKET;
	/* More NET_BUFFERs than the ring can ever hold: never postable. */
	return *Count < MP_RING_SIZE ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

/* Put one checked NBL's NET_BUFFERs on the ring (the caller made sure they fit). */
static VOID NICPostNbl(PMP_ADAPTER Adapter, PNET_BUFFER_LIST Nbl)
{
	PNET_BUFFER Nb;

	for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb)) {
		ULONG Slot = Adapter->Tx.Tail;
		struct srnic_desc *Desc = &Adapter->Tx.Desc[Slot];
		ULONG Length = NICCopyNetBuffer(Nb, Adapter->Tx.Buffers + Slot * MP_BUFFER_SIZE, MP_BUFFER_SIZE);

		Desc->addr = (ULONG64)Adapter->Tx.BuffersPa.QuadPart + (ULONG64)Slot * MP_BUFFER_SIZE;
		Desc->len = (USHORT)Length;
		Desc->flags = SRNIC_DESC_F_EOP;
		Desc->status = 0;
		Desc->vport = 0;
		Adapter->TxNbl[Slot] = NET_BUFFER_NEXT_NB(Nb) ? NULL : Nbl;
		Adapter->Tx.Tail = (Slot + 1) & RING_MASK;
		Adapter->TxBytes += Length;
	}
	NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
}

static ULONG NICNbCount(PNET_BUFFER_LIST Nbl)
{
	PNET_BUFFER Nb;
	ULONG Count = 0;

	for (Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb))
		Count++;
	return Count;
}

/* Post waiting NBLs, oldest first, while they fit. TRUE if any was posted (the caller rings). */
static BOOLEAN NICPostWaiting(PMP_ADAPTER Adapter)
{
	BOOLEAN Posted = FALSE;

	while (Adapter->WaitHead && NICNbCount(Adapter->WaitHead) <= TxFree(Adapter)) {
		PNET_BUFFER_LIST Nbl = Adapter->WaitHead;

		Adapter->WaitHead = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		if (!Adapter->WaitHead)
			Adapter->WaitTail = NULL;
		Adapter->WaitCount--;
		NICPostNbl(Adapter, Nbl);
		Posted = TRUE;
	}
	return Posted;
}

static VOID NICWait(PMP_ADAPTER Adapter, PNET_BUFFER_LIST Nbl)
{
	NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
	if (Adapter->WaitTail)
		NET_BUFFER_LIST_NEXT_NBL(Adapter->WaitTail) = Nbl;
	else
		Adapter->WaitHead = Nbl;
	Adapter->WaitTail = Nbl;
	Adapter->WaitCount++;
}

static VOID NICRingTx(PMP_ADAPTER Adapter)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* descriptors before the doorbell */
	HWWrite(Adapter, SRNIC_REG_QP(MP_QUEUE_PAIR, SRNIC_QP_TX_TAIL), Adapter->Tx.Tail);
}

VOID MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
			  NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Nbl, Next, Failed = NULL, *FailedTail = &Failed;
	BOOLEAN Posted = FALSE;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(SendFlags);
	if (Adapter->State == MpStateRunning)
		(void)NICServiceRings(Adapter);	/* make room */
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		ULONG Count = 0;
		NDIS_STATUS Status;

		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		Status = NICCheckNbl(Adapter, Nbl, &Count);
		if (Status != NDIS_STATUS_SUCCESS) {
			NET_BUFFER_LIST_STATUS(Nbl) = Status;
			Adapter->TxDiscards++;
			NblAppend(&FailedTail, Nbl);
			continue;
		}
		NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
		/* In order: behind anything already waiting, or when the ring is full. */
		if (Adapter->WaitHead || Count > TxFree(Adapter)) {
			NICWait(Adapter, Nbl);
			continue;
		}
		NICPostNbl(Adapter, Nbl);
		Posted = TRUE;
	}
	if (Posted)
		NICRingTx(Adapter);
	if (Failed)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Failed, 0);
	if (Posted)
		(void)NICServiceRings(Adapter);
}

/* Reap DONE TX descriptors; complete the NBLs whose last descriptor is done. */
static ULONG NICServiceTx(PMP_ADAPTER Adapter)
{
	PNET_BUFFER_LIST Done = NULL, *DoneTail = &Done;
	ULONG Work = 0;

	while (Adapter->Tx.Head != Adapter->Tx.Tail) {
		ULONG Slot = Adapter->Tx.Head;
		USHORT Status = DescStatus(&Adapter->Tx.Desc[Slot]);

		if (!(Status & SRNIC_DESC_S_DONE))
			break;
		if (Status & SRNIC_DESC_S_ERR) {
			ULONG s = Slot;

			Adapter->TxErrors++;
			/* The NBL this descriptor belongs to is on its last one. */
			while (!Adapter->TxNbl[s] && s != Adapter->Tx.Tail)
				s = (s + 1) & RING_MASK;
			if (Adapter->TxNbl[s])
				NET_BUFFER_LIST_STATUS(Adapter->TxNbl[s]) = NDIS_STATUS_FAILURE;
		} else {
			Adapter->TxFrames++;
		}
		if (Adapter->TxNbl[Slot]) {
			NblAppend(&DoneTail, Adapter->TxNbl[Slot]);
			Adapter->TxNbl[Slot] = NULL;
		}
		Adapter->Tx.Head = (Slot + 1) & RING_MASK;
		Work++;
	}
	if (Adapter->WaitHead && (Adapter->State == MpStateRunning || Adapter->State == MpStatePausing) &&
	    NICPostWaiting(Adapter))
		NICRingTx(Adapter);
	if (Done)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Done, 0);
	return Work;
}

/* Received frames: copy each out, give the slot back, indicate the lot. */
static ULONG NICServiceRx(PMP_ADAPTER Adapter)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head;
	ULONG Work = 0, Count = 0;
	BOOLEAN Deliver = Adapter->State == MpStateRunning && Adapter->PacketFilter != 0;

	for (;;) {
		ULONG Slot = Adapter->Rx.Head, Post = Adapter->Rx.Tail;
		struct srnic_desc *Desc = &Adapter->Rx.Desc[Slot];
		USHORT Status = DescStatus(Desc);
		ULONG Length = Desc->len;

		if (!(Status & SRNIC_DESC_S_DONE))
			break;
		if (!Deliver || (Status & SRNIC_DESC_S_ERR) || Length < SRNIC_FRAME_MIN || Length > MP_BUFFER_SIZE) {
			Adapter->RxDiscards++;
		} else {
			PNET_BUFFER_LIST Nbl = Adapter->RxFree;

			if (!Nbl && Adapter->RxAllocated < MP_RX_NBLS) {
				/* The pool grows to its bound as traffic needs it; then it only recycles. */
				Nbl = NdisAllocateNetBufferAndNetBufferList(Adapter->RxPool, 0, 0, NULL, 0, MP_BUFFER_SIZE);
				if (Nbl) {
					NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
					Adapter->RxFree = Nbl;
					Adapter->RxAllocated++;
				}
			}
			if (!Nbl) {
				/* Every receive NBL is with the protocols: drop, counted. */
				Adapter->RxNoBuffer++;
				Adapter->RxDiscards++;
			} else {
				PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl);
				PUCHAR Data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(Nb), NormalPagePriority);

				Adapter->RxFree = NET_BUFFER_LIST_NEXT_NBL(Nbl);
				NdisMoveMemory(Data, Adapter->Rx.Buffers + Slot * MP_BUFFER_SIZE, Length);
				NET_BUFFER_DATA_LENGTH(Nb) = Length;
				NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
				Adapter->RxOutstanding++;
				NblAppend(&Tail, Nbl);
				Count++;
				Adapter->RxFrames++;
				Adapter->RxBytes += Length;
			}
		}
		/* The slot is ours again; the empty slot at the tail goes to the device. */
		Desc->status = 0;
		Adapter->Rx.Desc[Post].addr = (ULONG64)Adapter->Rx.BuffersPa.QuadPart + (ULONG64)Post * MP_BUFFER_SIZE;
		Adapter->Rx.Desc[Post].len = MP_BUFFER_SIZE;
		Adapter->Rx.Desc[Post].flags = 0;
		Adapter->Rx.Desc[Post].status = 0;
		Adapter->Rx.Tail = (Post + 1) & RING_MASK;
		Adapter->Rx.Head = (Slot + 1) & RING_MASK;
		Work++;
	}
	if (Work) {
		__atomic_thread_fence(__ATOMIC_RELEASE);	/* reposted descriptors before the tail */
		HWWrite(Adapter, SRNIC_REG_QP(MP_QUEUE_PAIR, SRNIC_QP_RX_TAIL), Adapter->Rx.Tail);
	}
	if (Head)
		NdisMIndicateReceiveNetBufferLists(Adapter->AdapterHandle, Head, NDIS_DEFAULT_PORT_NUMBER, Count, 0);
	return Work;
}

ULONG NICServiceRings(PMP_ADAPTER Adapter)
{
	if (!Adapter->Bar0 || Adapter->State == MpStateSurpriseRemoved || Adapter->State == MpStateHalted)
		return 0;
	return NICServiceTx(Adapter) + NICServiceRx(Adapter);
}

/* Complete every send still at the device with Status (reset, removal, halt). */
VOID NICFailSends(PMP_ADAPTER Adapter, NDIS_STATUS Status)
{
	PNET_BUFFER_LIST Done = NULL, *DoneTail = &Done;
	ULONG i;

	for (i = 0; i < MP_RING_SIZE; i++)
		if (Adapter->TxNbl[i]) {
			NET_BUFFER_LIST_STATUS(Adapter->TxNbl[i]) = Status;
			NblAppend(&DoneTail, Adapter->TxNbl[i]);
			Adapter->TxNbl[i] = NULL;
			Adapter->TxDiscards++;
		}
	Adapter->Tx.Head = Adapter->Tx.Tail;
	while (Adapter->WaitHead) {
		PNET_BUFFER_LIST Nbl = Adapter->WaitHead;

		Adapter->WaitHead = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_STATUS(Nbl) = Status;
		NblAppend(&DoneTail, Nbl);
		Adapter->TxDiscards++;
	}
	Adapter->WaitTail = NULL;
	Adapter->WaitCount = 0;
	if (Done)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Done, 0);
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
}

/* Waiting sends with this cancel id complete as NDIS_STATUS_SEND_ABORTED; posted ones are the device's. */
VOID MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Nbl, Next, Keep = NULL, KeepTail = NULL, Done = NULL, *DoneTail = &Done;

	for (Nbl = Adapter->WaitHead; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(Nbl) == CancelId) {
			NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SEND_ABORTED;
			NblAppend(&DoneTail, Nbl);
			Adapter->WaitCount--;
			Adapter->TxDiscards++;
			continue;
		}
		if (KeepTail)
			NET_BUFFER_LIST_NEXT_NBL(KeepTail) = Nbl;
		else
			Keep = Nbl;
		KeepTail = Nbl;
	}
	Adapter->WaitHead = Keep;
	Adapter->WaitTail = KeepTail;
	if (Done)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Done, 0);
}
