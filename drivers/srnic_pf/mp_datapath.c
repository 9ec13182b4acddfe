/*
 * mp_datapath.c -- send and receive of the srnic PF on the default vPort
 * (vPort 0, PF queue pair 0), the path the synthetic data path of the
 * virtual switch rides on (spec 1.2). Rings and buffers are NDIS shared
 * memory (NdisMAllocateSharedMemory); descriptors follow
 * include/wire/srnic_regs.h. MSI-X message 1 (queue pair 0) and message 0
 * (errors, link) come through NdisMRegisterInterruptEx: the ISR takes and
 * acknowledges INT_CAUSE, the DPC completes sends, indicates receives and
 * reports link changes.
 *
 * Contract with the device (datasheet "Queue pairs", "Descriptor"):
 *  - TX: the driver fills [TxTail] (addr, len, EOP, status 0) and then moves
 *    TX_TAIL; the device sets DONE (and ERR) before it moves TX_HEAD, so a
 *    DONE descriptor's buffer is free. The ring keeps one slot empty.
 *  - RX: the driver posts empty buffers [RxTail] and moves RX_TAIL; the
 *    device writes the frame, then len/vport, then DONE (release order); the
 *    driver reads DONE first. [RxNext, RxTail) are posted and empty; a
 *    buffer is posted again only after NDIS returned its NBL, in ring order.
 * Sends that find the ring full wait in order and go out as completions
 * free slots. While the adapter is paused the ISR leaves the queue pair's
 * causes set and masks them; MiniportRestart unmasks them, the device
 * signals again and the DPC indicates what arrived meanwhile.
 * Every received NBL carries the vPort the NIC switch steered the frame to
 * (NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID, spec 8.3); a send's vPort id is
 * ignored -- everything leaves on the default vPort's queue (spec 8.2).
 */
#include "srnic_pf.h"

#define MP_RING_MASK (MP_RING_SIZE - 1)

static ULONG64 MPPa(NDIS_PHYSICAL_ADDRESS Pa)
{
	return (ULONG64)Pa.QuadPart;
}

static VOID MPQpWrite(_In_ PMP_ADAPTER Adapter, ULONG Reg, ULONG Value)
{
	HWWriteRegister(Adapter, SRNIC_REG_QP(MP_QP, Reg), Value);
}

/* ---- receive --------------------------------------------------------------------- */
/* Post free buffers at RxTail, in ring order, keeping one slot empty. */
static VOID MPRxRefill(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	ULONG tail = dp->RxTail;

	while (((tail + 1) & MP_RING_MASK) != dp->RxNext && !dp->RxIndicated[tail]) {
		struct srnic_desc *d = &dp->RxRing[tail];

		d->addr = dp->RxBufPa + (ULONG64)tail * MP_BUFFER_SIZE;
		d->len = MP_BUFFER_SIZE;
		d->flags = 0;
		d->vport = 0;
		d->status = 0;
		tail = (tail + 1) & MP_RING_MASK;
	}
	if (tail != dp->RxTail) {
		dp->RxTail = tail;
		MPQpWrite(Adapter, SRNIC_QP_RX_TAIL, tail);	/* doorbell after the descriptors */
	}
}

static VOID MPRxProcess(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	PNET_BUFFER_LIST head = NULL, *link = &head;
	ULONG count = 0;

	/* Nothing is indicated unless the adapter runs; DONE slots wait for MPRestart. */
	if (!dp->Ready || Adapter->State != MpAdapterRunning)
		return;
	while (dp->RxNext != dp->RxTail) {
		ULONG slot = dp->RxNext;
		struct srnic_desc *d = &dp->RxRing[slot];
		PNET_BUFFER_LIST nbl;

		if (!(__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & SRNIC_DESC_S_DONE))
			break;
		dp->RxNext = (slot + 1) & MP_RING_MASK;
		if ((d->status & SRNIC_DESC_S_ERR) || d->len < 14 || d->len > MP_BUFFER_SIZE) {
			dp->RxErrors++;
			continue;	/* the buffer is free: refilled below */
		}
		nbl = dp->RxNbl[slot];
		NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
		NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(nbl)) = d->len;
		NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SUCCESS;
		NET_BUFFER_LIST_INFO(nbl, NetBufferListFilteringInfo) = NULL;
		NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(nbl) = d->vport;
		dp->RxIndicated[slot] = TRUE;
		*link = nbl;
		link = &NET_BUFFER_LIST_NEXT_NBL(nbl);
		count++;
	}
	MPRxRefill(Adapter);
	if (!count)
		return;
	dp->RxFrames += count;
	TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_DATAPATH, "indicating %u frame(s)", count);
	NdisMIndicateReceiveNetBufferLists(Adapter->AdapterHandle, head, NDIS_DEFAULT_PORT_NUMBER, count, 0);
}

VOID MPReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	MP_DATAPATH *dp = &Adapter->Dp;
	PNET_BUFFER_LIST nbl, next;

	UNREFERENCED_PARAMETER(ReturnFlags);
	for (nbl = NetBufferLists; nbl; nbl = next) {
		ULONG slot = (ULONG)(ULONG_PTR)NET_BUFFER_LIST_MINIPORT_RESERVED(nbl)[0];

		next = NET_BUFFER_LIST_NEXT_NBL(nbl);
		NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
		if (slot < MP_RING_SIZE && dp->RxNbl[slot] == nbl)
			dp->RxIndicated[slot] = FALSE;
	}
	if (dp->Ready)
		MPRxRefill(Adapter);
}

/* ---- send ------------------------------------------------------------------------- */
static ULONG MPTxFree(_In_ const MP_DATAPATH *dp)
{
	return MP_RING_SIZE - 1 - ((dp->TxTail - dp->TxHead) & MP_RING_MASK);
}

static ULONG MPFrames(_In_ PNET_BUFFER_LIST Nbl)
{
	ULONG n = 0;

	for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(Nbl); nb; nb = NET_BUFFER_NEXT_NB(nb))
		n++;
	return n;
}

static VOID MPCompleteNow(_In_ PMP_ADAPTER Adapter, _In_ PNET_BUFFER_LIST Nbl, NDIS_STATUS Status)
{
	NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
	NET_BUFFER_LIST_STATUS(Nbl) = Status;
	NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Nbl, 0);
}

/* Copy one NBL's frames into ring slots (the caller checked there is room). */
static VOID MPTxPost(_Inout_ MP_DATAPATH *dp, _In_ PNET_BUFFER_LIST Nbl)
{
	NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
	for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(Nbl); nb; nb = NET_BUFFER_NEXT_NB(nb)) {
		ULONG slot = dp->TxTail, len = NET_BUFFER_DATA_LENGTH(nb);
		PUCHAR buf = dp->TxBuf + (SIZE_T)slot * MP_BUFFER_SIZE;
		PUCHAR data = NdisGetDataBuffer(nb, len, buf, 1, 0);
		struct srnic_desc *d = &dp->TxRing[slot];

		if (data && data != buf)
			NdisMoveMemory(buf, data, len);
		d->addr = dp->TxBufPa + (ULONG64)slot * MP_BUFFER_SIZE;
		d->len = (USHORT)len;
		d->flags = SRNIC_DESC_F_EOP;
		d->vport = 0;
		d->status = 0;
		dp->TxNbl[slot] = Nbl;
		dp->TxLast[slot] = NET_BUFFER_NEXT_NB(nb) == NULL;
		dp->TxTail = (slot + 1) & MP_RING_MASK;
	}
}

/* Move waiting sends onto the ring while they fit; one doorbell for the lot. */
static VOID MPTxPump(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	BOOLEAN posted = FALSE;

	while (dp->TxWaitHead && MPFrames(dp->TxWaitHead) <= MPTxFree(dp)) {
		PNET_BUFFER_LIST nbl = dp->TxWaitHead;

		dp->TxWaitHead = NET_BUFFER_LIST_NEXT_NBL(nbl);
		if (!dp->TxWaitHead)
			dp->TxWaitTail = NULL;
		NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
		MPTxPost(dp, nbl);
		posted = TRUE;
	}
	if (posted) {
		__atomic_thread_fence(__ATOMIC_RELEASE);	/* descriptors before the doorbell */
		MPQpWrite(Adapter, SRNIC_QP_TX_TAIL, dp->TxTail);
	}
}

/* Complete the NBLs whose last frame the device is done with. */
static VOID MPTxReap(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	PNET_BUFFER_LIST done = NULL, *link = &done;

	while (dp->TxHead != dp->TxTail) {
		ULONG slot = dp->TxHead;
		USHORT st = __atomic_load_n(&dp->TxRing[slot].status, __ATOMIC_ACQUIRE);
		PNET_BUFFER_LIST nbl = dp->TxNbl[slot];

		if (!(st & SRNIC_DESC_S_DONE))
			break;
		if (st & SRNIC_DESC_S_ERR) {
			dp->TxErrors++;
			NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_FAILURE;
		} else {
			dp->TxFrames++;
		}
		if (dp->TxLast[slot]) {
			*link = nbl;
			link = &NET_BUFFER_LIST_NEXT_NBL(nbl);
			*link = NULL;
		}
		dp->TxNbl[slot] = NULL;
		dp->TxLast[slot] = FALSE;
		dp->TxHead = (slot + 1) & MP_RING_MASK;
	}
	if (done)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, done, 0);
}

/* Every waiting send back to its sender with Status. */
static VOID MPTxFlushWaiting(_Inout_ PMP_ADAPTER Adapter, NDIS_STATUS Status)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	PNET_BUFFER_LIST head = dp->TxWaitHead;

	dp->TxWaitHead = dp->TxWaitTail = NULL;
	for (PNET_BUFFER_LIST nbl = head; nbl; nbl = NET_BUFFER_LIST_NEXT_NBL(nbl))
		NET_BUFFER_LIST_STATUS(nbl) = Status;
	if (head)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, head, 0);
}

VOID MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
			  NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	MP_DATAPATH *dp = &Adapter->Dp;
	PNET_BUFFER_LIST nbl, next;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(SendFlags);
	for (nbl = NetBufferList; nbl; nbl = next) {
		ULONG frames = 0;
		BOOLEAN bad = FALSE;

		next = NET_BUFFER_LIST_NEXT_NBL(nbl);
		if (!dp->Ready || Adapter->State != MpAdapterRunning) {
			MPCompleteNow(Adapter, nbl, NDIS_STATUS_PAUSED);
			continue;
		}
		for (PNET_BUFFER nb = NET_BUFFER_LIST_FIRST_NB(nbl); nb; nb = NET_BUFFER_NEXT_NB(nb)) {
			frames++;
			bad |= NET_BUFFER_DATA_LENGTH(nb) < SRNIC_FRAME_MIN || NET_BUFFER_DATA_LENGTH(nb) > MP_BUFFER_SIZE;
		}
		if (bad || !frames || frames >= MP_RING_SIZE) {
			MPCompleteNow(Adapter, nbl, NDIS_STATUS_INVALID_PACKET);
			continue;
		}
		/* In order behind whatever waits already. */
		NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
		if (dp->TxWaitTail)
			NET_BUFFER_LIST_NEXT_NBL(dp->TxWaitTail) = nbl;
		else
			dp->TxWaitHead = nbl;
		dp->TxWaitTail = nbl;
	}
	MPTxPump(Adapter);
}

VOID MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	MP_DATAPATH *dp = &Adapter->Dp;
	PNET_BUFFER_LIST keep = NULL, *kt = &keep, gone = NULL, *gt = &gone, nbl, next;

	/* Only sends still waiting for the ring can be taken back. */
	for (nbl = dp->TxWaitHead; nbl; nbl = next) {
		next = NET_BUFFER_LIST_NEXT_NBL(nbl);
		NET_BUFFER_LIST_NEXT_NBL(nbl) = NULL;
		if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(nbl) == CancelId) {
			NET_BUFFER_LIST_STATUS(nbl) = NDIS_STATUS_SEND_ABORTED;
			*gt = nbl;
			gt = &NET_BUFFER_LIST_NEXT_NBL(nbl);
		} else {
			*kt = nbl;
			dp->TxWaitTail = nbl;
			kt = &NET_BUFFER_LIST_NEXT_NBL(nbl);
		}
	}
	dp->TxWaitHead = keep;
	if (!keep)
		dp->TxWaitTail = NULL;
	if (gone)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, gone, 0);
}

/* ---- interrupts ---------------------------------------------------------------------- */
static VOID MPIndicateLinkState(_In_ PMP_ADAPTER Adapter)
{
	NDIS_STATUS_INDICATION ind;
	NDIS_LINK_STATE ls;
	BOOLEAN up = HWUplinkUp(Adapter);

	NdisZeroMemory(&ls, sizeof(ls));
	ls.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	ls.Header.Revision = NDIS_LINK_STATE_REVISION_1;
	ls.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
	ls.MediaConnectState = up ? MediaConnectStateConnected : MediaConnectStateDisconnected;
	ls.MediaDuplexState = MediaDuplexStateFull;
	ls.XmitLinkSpeed = ls.RcvLinkSpeed = up ? MP_LINK_SPEED : NDIS_LINK_SPEED_UNKNOWN;
	ls.PauseFunctions = NdisPauseFunctionsUnsupported;
	NdisZeroMemory(&ind, sizeof(ind));
	ind.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
	ind.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
	ind.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
	ind.SourceHandle = Adapter->AdapterHandle;
	ind.StatusCode = NDIS_STATUS_LINK_STATE;
	ind.StatusBuffer = &ls;
	ind.StatusBufferSize = sizeof(ls);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DATAPATH, "uplink %s", up ? "up" : "down");
	NdisMIndicateStatusEx(Adapter->AdapterHandle, &ind);
	/* Each VF's block 0 carries the link too (docs/drivers/srnic_pf.md). */
	for (USHORT i = 0; i < Adapter->NumVFs && i < MP_MAX_VFS; i++)
		if (Adapter->Vf[i].State != MpVfDisabled)
			MPVfRefreshInfo(Adapter, &Adapter->Vf[i], TRUE);
}

#define MP_DATA_CAUSES (SRNIC_INT_TX(MP_QP) | SRNIC_INT_RX(MP_QP))

/*
 * Take the causes for the DPC and acknowledge them (RW1C: the next event
 * raises a new message). While not running, the queue pair's causes stay
 * set and masked instead, for MPDatapathStart to unmask.
 */
static BOOLEAN MPTakeCause(_Inout_ PMP_ADAPTER Adapter)
{
	ULONG cause = HWReadRegister(Adapter, SRNIC_REG_INT_CAUSE) & ~HWReadRegister(Adapter, SRNIC_REG_INT_MASK);

	if (!cause)
		return FALSE;
	Adapter->Dp.Interrupts++;
	if (Adapter->State != MpAdapterRunning && (cause & MP_DATA_CAUSES)) {
		HWWriteRegister(Adapter, SRNIC_REG_INT_MASK, Adapter->Dp.IntMask | MP_DATA_CAUSES);
		cause &= ~MP_DATA_CAUSES;
	}
	if (cause)
		HWWriteRegister(Adapter, SRNIC_REG_INT_CAUSE, cause);
	Adapter->Dp.PendingCause |= cause;
	return cause != 0;
}

static VOID MPService(_Inout_ PMP_ADAPTER Adapter)
{
	ULONG cause = Adapter->Dp.PendingCause;

	Adapter->Dp.PendingCause = 0;
	if (cause & SRNIC_INT_TX(MP_QP)) {
		MPTxReap(Adapter);
		MPTxPump(Adapter);
	}
	if (cause & SRNIC_INT_RX(MP_QP))
		MPRxProcess(Adapter);
	if (cause & SRNIC_INT_LINK)
		MPIndicateLinkState(Adapter);
	if (cause & SRNIC_INT_ERROR) {
		ULONG err = HWReadRegister(Adapter, SRNIC_REG_ERR_CAUSE);

		HWWriteRegister(Adapter, SRNIC_REG_ERR_CAUSE, err);
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DATAPATH, "device error cause 0x%x, TX queue %u, RX queue %u", err,
			    HWReadRegister(Adapter, SRNIC_REG_QP(MP_QP, SRNIC_QP_TX_STATUS)),
			    HWReadRegister(Adapter, SRNIC_REG_QP(MP_QP, SRNIC_QP_RX_STATUS)));
	}
}

static BOOLEAN MPMessageInterrupt(NDIS_HANDLE MiniportInterruptContext, ULONG MessageId,
				  PBOOLEAN QueueDefaultInterruptDpc, PULONG TargetProcessors)
{
	PMP_ADAPTER Adapter = MiniportInterruptContext;

	UNREFERENCED_PARAMETER(MessageId);
	UNREFERENCED_PARAMETER(TargetProcessors);
	*QueueDefaultInterruptDpc = MPTakeCause(Adapter);
	return TRUE;	/* MSI-X messages are never shared */
}

static VOID MPMessageInterruptDpc(NDIS_HANDLE MiniportInterruptContext, ULONG MessageId, PVOID MiniportDpcContext,
				  PVOID ReceiveThrottleParameters, PVOID NdisReserved2)
{
	UNREFERENCED_PARAMETER(MessageId);
	UNREFERENCED_PARAMETER(MiniportDpcContext);
	UNREFERENCED_PARAMETER(ReceiveThrottleParameters);
	UNREFERENCED_PARAMETER(NdisReserved2);
	MPService(MiniportInterruptContext);
}

/* Line-based handlers NDIS requires alongside the message-based ones. */
static BOOLEAN MPInterrupt(NDIS_HANDLE MiniportInterruptContext, PBOOLEAN QueueDefaultInterruptDpc,
			   PULONG TargetProcessors)
{
	return MPMessageInterrupt(MiniportInterruptContext, 0, QueueDefaultInterruptDpc, TargetProcessors);
}

static VOID MPInterruptDpc(NDIS_HANDLE MiniportInterruptContext, PVOID MiniportDpcContext, PVOID ReceiveThrottleParameters,
			   PVOID NdisReserved2)
{
	MPMessageInterruptDpc(MiniportInterruptContext, 0, MiniportDpcContext, ReceiveThrottleParameters, NdisReserved2);
}

/* ---- bring-up and teardown ------------------------------------------------------------- */
static NDIS_STATUS MPRxPoolCreate(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;

	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = MP_TAG;
	dp->RxPool = NdisAllocateNetBufferListPool(Adapter->AdapterHandle, &pp);
	if (!dp->RxPool)
		return NDIS_STATUS_RESOURCES;
	for (ULONG i = 0; i < MP_RING_SIZE; i++) {
		dp->RxMdl[i] = NdisAllocateMdl(Adapter->AdapterHandle, dp->RxBuf + (SIZE_T)i * MP_BUFFER_SIZE, MP_BUFFER_SIZE);
		if (!dp->RxMdl[i])
			return NDIS_STATUS_RESOURCES;
		dp->RxNbl[i] = NdisAllocateNetBufferAndNetBufferList(dp->RxPool, 0, 0, dp->RxMdl[i], 0, 0);
		if (!dp->RxNbl[i])
			return NDIS_STATUS_RESOURCES;
		NET_BUFFER_LIST_MINIPORT_RESERVED(dp->RxNbl[i])[0] = (PVOID)(ULONG_PTR)i;
	}
	return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS MPDatapathInitialize(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;
	NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS ic;
	const ULONG ring = MP_RING_SIZE * sizeof(struct srnic_desc);
	NDIS_STATUS Status;

	NdisZeroMemory(dp, sizeof(*dp));
	/* Layout: TX ring, RX ring (each 16-byte aligned), then the buffers from 4 KiB. */
	dp->Length = 4096 + 2 * MP_RING_SIZE * MP_BUFFER_SIZE;
	NdisMAllocateSharedMemory(Adapter->AdapterHandle, dp->Length, TRUE, (PVOID *)&dp->Va, &dp->Pa);
	if (!dp->Va) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DATAPATH, "no shared memory for the rings (%u bytes)", dp->Length);
		return NDIS_STATUS_RESOURCES;
	}
	dp->TxRing = (struct srnic_desc *)dp->Va;
	dp->RxRing = (struct srnic_desc *)(dp->Va + ring);
	dp->TxBuf = dp->Va + 4096;
	dp->RxBuf = dp->TxBuf + MP_RING_SIZE * MP_BUFFER_SIZE;
	dp->TxRingPa = MPPa(dp->Pa);
	dp->RxRingPa = dp->TxRingPa + ring;
	dp->TxBufPa = dp->TxRingPa + 4096;
	dp->RxBufPa = dp->TxBufPa + MP_RING_SIZE * MP_BUFFER_SIZE;
	Status = MPRxPoolCreate(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;

	NdisZeroMemory(&ic, sizeof(ic));
	ic.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT;
	ic.Header.Revision = NDIS_MINIPORT_INTERRUPT_REVISION_1;
	ic.Header.Size = NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1;
	ic.InterruptHandler = MPInterrupt;
	ic.InterruptDpcHandler = MPInterruptDpc;
	ic.MsiSupported = TRUE;
	ic.MessageInterruptHandler = MPMessageInterrupt;
	ic.MessageInterruptDpcHandler = MPMessageInterruptDpc;
	Status = NdisMRegisterInterruptEx(Adapter->AdapterHandle, Adapter, &ic, &dp->Interrupt);
	if (Status != NDIS_STATUS_SUCCESS) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DATAPATH, "NdisMRegisterInterruptEx failed with 0x%x", (unsigned)Status);
		dp->Interrupt = NULL;
		goto fail;
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DATAPATH, "%s interrupt, %u message(s); rings at 0x%llx",
		    ic.InterruptType == NDIS_CONNECT_MESSAGE_BASED ? "message-based" : "line-based",
		    ic.MessageInfoTable ? ic.MessageInfoTable->MessageCount : 1, (unsigned long long)dp->TxRingPa);

	/* Queue pair 0: ring registers while disabled, then enable (datasheet). */
	MPQpWrite(Adapter, SRNIC_QP_TX_BASE_LO, (ULONG)dp->TxRingPa);
	MPQpWrite(Adapter, SRNIC_QP_TX_BASE_HI, (ULONG)(dp->TxRingPa >> 32));
	MPQpWrite(Adapter, SRNIC_QP_TX_SIZE, MP_RING_SIZE);
	MPQpWrite(Adapter, SRNIC_QP_RX_BASE_LO, (ULONG)dp->RxRingPa);
	MPQpWrite(Adapter, SRNIC_QP_RX_BASE_HI, (ULONG)(dp->RxRingPa >> 32));
	MPQpWrite(Adapter, SRNIC_QP_RX_SIZE, MP_RING_SIZE);
	MPQpWrite(Adapter, SRNIC_QP_TX_CTRL, SRNIC_QCTRL_ENABLE);
	MPQpWrite(Adapter, SRNIC_QP_RX_CTRL, SRNIC_QCTRL_ENABLE);
	if (HWReadRegister(Adapter, SRNIC_REG_QP(MP_QP, SRNIC_QP_TX_STATUS)) != SRNIC_QSTATE_ENABLED ||
	    HWReadRegister(Adapter, SRNIC_REG_QP(MP_QP, SRNIC_QP_RX_STATUS)) != SRNIC_QSTATE_ENABLED) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DATAPATH, "queue pair %u did not enable (error cause 0x%x)", MP_QP,
			    HWReadRegister(Adapter, SRNIC_REG_ERR_CAUSE));
		Status = NDIS_STATUS_HARD_ERRORS;
		goto fail;
	}
	dp->Ready = TRUE;
	MPRxRefill(Adapter);
	/* Unmask what the DPC handles; everything else stays masked. */
	dp->IntMask = ~(MP_DATA_CAUSES | SRNIC_INT_LINK | SRNIC_INT_ERROR);
	HWWriteRegister(Adapter, SRNIC_REG_INT_MASK, dp->IntMask);
	return NDIS_STATUS_SUCCESS;

fail:
	MPDatapathRelease(Adapter);
	return Status;
}

VOID MPDatapathRelease(_Inout_ PMP_ADAPTER Adapter)
{
	MP_DATAPATH *dp = &Adapter->Dp;

	if (Adapter->Bar0) {
		HWWriteRegister(Adapter, SRNIC_REG_INT_MASK, 0xffffffffu);
		MPQpWrite(Adapter, SRNIC_QP_TX_CTRL, 0);
		MPQpWrite(Adapter, SRNIC_QP_RX_CTRL, 0);
	}
	dp->Ready = FALSE;
	MPTxFlushWaiting(Adapter, NDIS_STATUS_REQUEST_ABORTED);
	if (dp->Interrupt) {
		NdisMDeregisterInterruptEx(dp->Interrupt);
		dp->Interrupt = NULL;
	}
	/* Sends still on the ring when the queue stopped never went out. */
	while (dp->TxHead != dp->TxTail) {
		ULONG slot = dp->TxHead;

		if (dp->TxLast[slot])
			MPCompleteNow(Adapter, dp->TxNbl[slot], NDIS_STATUS_REQUEST_ABORTED);
		dp->TxNbl[slot] = NULL;
		dp->TxLast[slot] = FALSE;
		dp->TxHead = (slot + 1) & MP_RING_MASK;
	}
	for (ULONG i = 0; i < MP_RING_SIZE; i++) {
		if (dp->RxNbl[i])
			NdisFreeNetBufferList(dp->RxNbl[i]);
		if (dp->RxMdl[i])
			NdisFreeMdl(dp->RxMdl[i]);
		dp->RxNbl[i] = NULL;
		dp->RxMdl[i] = NULL;
	}
	if (dp->RxPool)
		NdisFreeNetBufferListPool(dp->RxPool);
	dp->RxPool = NULL;
	if (dp->Va)
		NdisMFreeSharedMemory(Adapter->AdapterHandle, dp->Length, TRUE, dp->Va, dp->Pa);
	dp->Va = NULL;
}

/*
 * MiniportPause: every send is completed before Paused -- those on the ring
 * the device has finished, those still waiting go back as paused.
 */
VOID MPDatapathStop(_Inout_ PMP_ADAPTER Adapter)
{
	if (!Adapter->Dp.Ready)
		return;
	MPTxReap(Adapter);
	MPTxFlushWaiting(Adapter, NDIS_STATUS_PAUSED);
}

/*
 * MiniportRestart: unmask the queue pair's causes. Any left set while
 * paused signal at once; NDIS delivers that message when the restart is
 * done, and the DPC indicates what arrived meanwhile.
 */
VOID MPDatapathStart(_Inout_ PMP_ADAPTER Adapter)
{
	if (Adapter->Dp.Ready)
		HWWriteRegister(Adapter, SRNIC_REG_INT_MASK, Adapter->Dp.IntMask);
}
