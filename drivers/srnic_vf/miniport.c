/*
 * miniport.c -- srnic_vf's DriverEntry and the adapter lifecycle:
 * MPInitializeEx in the order of ndis-sriov-spec.md 2.12 (hypervisor check
 * first, then where the adapter sits -- vPCI PDO or srnic_vbd --, then
 * attributes, configuration block 0, hardware, SR-IOV caps), MPHaltEx,
 * MPPause / MPRestart, MPDevicePnPEventNotify (surprise removal: no more
 * hardware access, OIDs NDIS_STATUS_NOT_ACCEPTED, spec 2.17) and
 * MPShutdownEx; and the adapter's state machine.
 *
 * Interrupts: the VF registers its MSI-X messages (NdisMRegisterInterruptEx,
 * message based; without them it fails to load, catalogue F26), but the
 * guest's vPCI delivers none, so the rings are serviced on every send and
 * from SrnicVfPoll(), the stand-in for MiniportInterruptDPC that the lab
 * (or a test) calls; docs/drivers/srnic_vf.md.
 */
#include "srnic_vf.h"

NDIS_HANDLE MiniportDriverHandle;
static PMP_ADAPTER AdapterList;

/* ---- the state machine ------------------------------------------------------ */
static const BOOLEAN MpTransitions[MpStateCount][MpStateCount] = {
	[MpStateHalted] = { [MpStateInitializing] = TRUE },
	[MpStateInitializing] = { [MpStatePaused] = TRUE, [MpStateHalted] = TRUE },
	[MpStatePaused] = { [MpStateRunning] = TRUE, [MpStateHalted] = TRUE, [MpStateSurpriseRemoved] = TRUE },
	[MpStateRunning] = { [MpStatePausing] = TRUE, [MpStateResetting] = TRUE, [MpStateSurpriseRemoved] = TRUE },
	[MpStatePausing] = { [MpStatePaused] = TRUE, [MpStateSurpriseRemoved] = TRUE },
	[MpStateResetting] = { [MpStateRunning] = TRUE, [MpStateSurpriseRemoved] = TRUE },
	[MpStateSurpriseRemoved] = { [MpStateHalted] = TRUE },
};

PCSTR MpStateName(MP_STATE State)
{
	static const PCSTR Names[MpStateCount] = {
		"Halted", "Initializing", "Paused", "Running", "Pausing", "Resetting", "SurpriseRemoved",
	};

	return (ULONG)State < MpStateCount ? Names[State] : "?";
}

BOOLEAN MpSetState(PMP_ADAPTER Adapter, MP_STATE NewState)
{
	if ((ULONG)NewState >= MpStateCount || !MpTransitions[Adapter->State][NewState]) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "illegal transition %s -> %s refused",
			    MpStateName(Adapter->State), MpStateName(NewState));
		return FALSE;
	}
	TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_DRIVER, "%s -> %s", MpStateName(Adapter->State), MpStateName(NewState));
	Adapter->State = NewState;
	return TRUE;
}

/* For the state-machine test (tests/guest): the table, as the driver has it. */
__attribute__((visibility("default"))) BOOLEAN SrnicVfStateTransitionAllowed(ULONG From, ULONG To)
{
	return From < MpStateCount && To < MpStateCount && MpTransitions[From][To];
}

/* ---- initialization ------------------------------------------------------------- */
static NDIS_STATUS MpCheckPartition(void)
{
	NDIS_HYPERVISOR_INFO Hv;
	NDIS_STATUS Status;

	NdisZeroMemory(&Hv, sizeof(Hv));
	Hv.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	Hv.Header.Revision = NDIS_HYPERVISOR_INFO_REVISION_1;
	Hv.Header.Size = NDIS_SIZEOF_HYPERVISOR_INFO_REVISION_1;
	Status = NdisGetHypervisorInfo(&Hv);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	if (!(Hv.Flags & NDIS_HYPERVISOR_INFO_FLAG_HYPERVISOR_PRESENT) ||
	    Hv.PartitionType != NdisHypervisorPartitionMsHvChild) {
		/* Spec 2.12 step 1: outside a child partition this is no VF, and
		 * srnic_vf cannot be a PF (that is srnic_pf's job). */
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "not in a Hyper-V child partition (partition type %u, flags 0x%x): "
			    "srnic_vf runs only as a VF miniport", (unsigned)Hv.PartitionType, Hv.Flags);
		return NDIS_STATUS_NOT_SUPPORTED;
	}
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MpAllocateRxPool(PMP_ADAPTER Adapter)
{
	NET_BUFFER_LIST_POOL_PARAMETERS Pool;

	NdisZeroMemory(&Pool, sizeof(Pool));
	Pool.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	Pool.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	Pool.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	Pool.ProtocolId = NDIS_PROTOCOL_ID_DEFAULT;
	Pool.fAllocateNetBuffer = TRUE;
	Pool.PoolTag = MP_TAG;
	Pool.DataSize = MP_BUFFER_SIZE;
	Adapter->RxPool = NdisAllocateNetBufferListPool(Adapter->AdapterHandle, &Pool);
	if (!Adapter->RxPool)
		return NDIS_STATUS_RESOURCES;
	/*
	 * Receive NBLs recycled by MPReturnNetBufferLists (the
	 * Windows-driver-samples netvmini RCB list): allocating one per frame
	 * cost a zeroed 2 KiB block and two handle-table updates per frame.
	 * A few up front (all 512 added ~0.9 ms of page faults to every VF's
	 * bring-up); the receive path adds more, up to MP_RX_NBLS, when a
	 * burst finds none free (NICServiceRx).
	 */
	while (Adapter->RxAllocated < MP_RX_NBLS_INITIAL) {
		PNET_BUFFER_LIST Nbl = NdisAllocateNetBufferAndNetBufferList(Adapter->RxPool, 0, 0, NULL, 0,
									      MP_BUFFER_SIZE);

		if (!Nbl)
			break;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = Adapter->RxFree;
		Adapter->RxFree = Nbl;
		Adapter->RxAllocated++;
	}
	if (!Adapter->RxAllocated) {
		NdisFreeNetBufferListPool(Adapter->RxPool);
		return NDIS_STATUS_RESOURCES;
	}
	return NDIS_STATUS_SUCCESS;
}

/* Free the receive NBLs (all returned: halt comes after pause) and the pool. */
static VOID MpFreeRxPool(PMP_ADAPTER Adapter)
{
	PNET_BUFFER_LIST Nbl, Next;

	if (Adapter->RxOutstanding)
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "halt with %u receive NBL(s) not returned; they are leaked",
			    (unsigned)Adapter->RxOutstanding);
	for (Nbl = Adapter->RxFree; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
	Adapter->RxFree = NULL;
	Adapter->RxAllocated = 0;
	NdisFreeNetBufferListPool(Adapter->RxPool);
}

/* ---- MSI-X ------------------------------------------------------------------------ */
static ULONG MpService(PMP_ADAPTER Adapter);

static BOOLEAN MpMessageIsr(NDIS_HANDLE Context, ULONG MessageId, PBOOLEAN QueueDpc, PULONG TargetProcessors)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(MessageId);
	UNREFERENCED_PARAMETER(TargetProcessors);
	*QueueDpc = TRUE;
	return TRUE;	/* MSI-X messages are never shared */
}

static VOID MpMessageDpc(NDIS_HANDLE Context, ULONG MessageId, PVOID DpcContext, PVOID Reserved1, PVOID Reserved2)
{
	UNREFERENCED_PARAMETER(MessageId);
	UNREFERENCED_PARAMETER(DpcContext);
	UNREFERENCED_PARAMETER(Reserved1);
	UNREFERENCED_PARAMETER(Reserved2);
	(void)MpService(Context);
}

static BOOLEAN MpIsr(NDIS_HANDLE Context, PBOOLEAN QueueDpc, PULONG TargetProcessors)
{
	return MpMessageIsr(Context, 0, QueueDpc, TargetProcessors);
}

static VOID MpDpc(NDIS_HANDLE Context, PVOID DpcContext, PVOID Reserved1, PVOID Reserved2)
{
	MpMessageDpc(Context, 0, DpcContext, Reserved1, Reserved2);
}

/*
 * A VF has no line-based interrupt (SR-IOV 1.1 section 3.5.4): without MSI-X
 * messages from the guest (catalogue F26) the driver cannot run and fails
 * to load, as VF drivers do ("ixgbevf: unable to allocate MSI-X").
 */
static NDIS_STATUS MpRegisterInterrupt(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS Ic;
	NDIS_STATUS Status;

	NdisZeroMemory(&Ic, sizeof(Ic));
	Ic.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT;
	Ic.Header.Revision = NDIS_MINIPORT_INTERRUPT_REVISION_1;
	Ic.Header.Size = NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1;
	Ic.InterruptHandler = MpIsr;
	Ic.InterruptDpcHandler = MpDpc;
	Ic.MsiSupported = TRUE;
	Ic.MessageInterruptHandler = MpMessageIsr;
	Ic.MessageInterruptDpcHandler = MpMessageDpc;
	Status = NdisMRegisterInterruptEx(Adapter->AdapterHandle, Adapter, &Ic, &Adapter->Interrupt);
	if (Status != NDIS_STATUS_SUCCESS) {
		Adapter->Interrupt = NULL;
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "no MSI-X: NdisMRegisterInterruptEx failed with 0x%x; a VF has "
			    "no line-based interrupt, so the driver cannot load", (unsigned)Status);
		return Status;
	}
	if (Ic.InterruptType != NDIS_CONNECT_MESSAGE_BASED) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "NDIS connected a line-based interrupt: a VF needs MSI-X");
		NdisMDeregisterInterruptEx(Adapter->Interrupt);
		Adapter->Interrupt = NULL;
		return NDIS_STATUS_RESOURCES;
	}
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
				  PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
	PMP_ADAPTER Adapter;
	NDIS_STATUS Status;

	UNREFERENCED_PARAMETER(MiniportDriverContext);
	UNREFERENCED_PARAMETER(MiniportInitParameters);
#ifdef SRNIC_VF_VARIANT_SKIPS_HYPERVISOR_INFO
	/* Variant skips-hypervisor-info (catalogue F24): NdisGetHypervisorInfo never called. */
	(void)MpCheckPartition;
	Status = NDIS_STATUS_SUCCESS;
#else
	Status = MpCheckPartition();
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
#endif
	Adapter = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(*Adapter), MP_TAG, NormalPoolPriority);
	if (!Adapter)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Adapter, sizeof(*Adapter));
	Adapter->AdapterHandle = MiniportAdapterHandle;
	Adapter->State = MpStateHalted;
	Adapter->PacketFilter = 0;
	Adapter->Lookahead = MP_MAX_FRAME - 14;
	(void)MpSetState(Adapter, MpStateInitializing);

	/* Where are we: on the vPCI PDO, or on srnic_vbd's NIC child? */
	NdisMGetDeviceProperty(MiniportAdapterHandle, &Adapter->Pdo, &Adapter->Fdo, &Adapter->NextDevice, NULL, NULL);
	Adapter->OverVbd = NT_SUCCESS(NICQueryVbdInterface(Adapter));
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "initializing as %s",
		    Adapter->OverVbd ? "an NDIS-WDM miniport over srnic_vbd" : "a VF miniport on the vPCI PDO");

	Status = NICSetRegistrationAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;
	Status = MpAllocateRxPool(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;
	/* Who we are on the wire: configuration block 0 (spec 2.13). */
	(void)NICReadVfInfo(Adapter);
	Status = HWInitialize(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_pool;
	Status = MpRegisterInterrupt(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
	Status = NICSetGeneralAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
	/* Spec 2.12 step 3: SRIOV_SUPPORTED | VF_MINIPORT, hardware and current. */
	Status = NICSetHardwareAssistAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
	NICWriteReport(Adapter);
	Adapter->Next = AdapterList;
	AdapterList = Adapter;
	(void)MpSetState(Adapter, MpStatePaused);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "VF %u ready: MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s",
		    Adapter->FuncId, Adapter->CurrentMac[0], Adapter->CurrentMac[1], Adapter->CurrentMac[2],
		    Adapter->CurrentMac[3], Adapter->CurrentMac[4], Adapter->CurrentMac[5],
		    Adapter->LinkUp ? "up" : "down");
	return NDIS_STATUS_SUCCESS;

fail_hw:
	if (Adapter->Interrupt)
		NdisMDeregisterInterruptEx(Adapter->Interrupt);
	HWShutdown(Adapter, TRUE);
fail_pool:
	MpFreeRxPool(Adapter);
fail:
	NICReleaseVbdInterface(Adapter);
	(void)MpSetState(Adapter, MpStateHalted);
	TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "initialization failed: 0x%x", (unsigned)Status);
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
	return Status;
}

static VOID MPHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext, *pp;
	BOOLEAN Removed = Adapter->State == MpStateSurpriseRemoved;

	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "halt (action %d) while %s", (int)HaltAction,
		    MpStateName(Adapter->State));
	for (pp = &AdapterList; *pp; pp = &(*pp)->Next)
		if (*pp == Adapter) {
			*pp = Adapter->Next;
			break;
		}
	/* After a surprise removal the BAR may be gone: no register access. */
	NICFailSends(Adapter, Removed ? NDIS_STATUS_ADAPTER_REMOVED : NDIS_STATUS_REQUEST_ABORTED);
	HWShutdown(Adapter, !Removed);
	if (Adapter->Interrupt)
		NdisMDeregisterInterruptEx(Adapter->Interrupt);
	MpFreeRxPool(Adapter);
	NICReleaseVbdInterface(Adapter);
	(void)MpSetState(Adapter, MpStateHalted);
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
}

static NDIS_STATUS MPPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(PauseParameters);
	if (Adapter->State == MpStateSurpriseRemoved)
		return NDIS_STATUS_SUCCESS;
	if (!MpSetState(Adapter, MpStatePausing))
		return NDIS_STATUS_FAILURE;
	(void)NICServiceRings(Adapter);
	if (!NICTxIdle(Adapter) || Adapter->RxOutstanding) {
		/* Sends still at the device, or receives still with the protocols
		 * (MiniportPause: not before every indicated NBL is returned):
		 * the pause completes when they are done. */
		Adapter->PausePending = TRUE;
		return NDIS_STATUS_PENDING;
	}
	(void)MpSetState(Adapter, MpStatePaused);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(RestartParameters);
	if (Adapter->State == MpStateSurpriseRemoved)
		return NDIS_STATUS_ADAPTER_REMOVED;
	if (!MpSetState(Adapter, MpStateRunning))
		return NDIS_STATUS_FAILURE;
	return NDIS_STATUS_SUCCESS;
}

static VOID MpCompletePendingPause(PMP_ADAPTER Adapter)
{
	if (!Adapter->PausePending)
		return;
	Adapter->PausePending = FALSE;
	if (Adapter->State == MpStatePausing)
		(void)MpSetState(Adapter, MpStatePaused);
	NdisMPauseComplete(Adapter->AdapterHandle);
}

static VOID MPDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	if (NetDevicePnPEvent->DevicePnPEvent != NdisDevicePnPEventSurpriseRemoved)
		return;
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_DRIVER, "surprise removal: the VF is gone; no more register access");
	(void)MpSetState(Adapter, MpStateSurpriseRemoved);
	NICFailSends(Adapter, NDIS_STATUS_ADAPTER_REMOVED);
	MpCompletePendingPause(Adapter);
}

static VOID MPShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(ShutdownAction);
	if (Adapter->State != MpStateSurpriseRemoved && Adapter->Bar0)
		HWWrite(Adapter, SRNIC_REG_CTRL, 0);	/* stop DMA; nothing is freed at shutdown */
}

/* ---- the interrupt stand-in ---------------------------------------------------- */
static ULONG MpService(PMP_ADAPTER Adapter)
{
	LARGE_INTEGER Now;
	ULONG Work;

	if (Adapter->State != MpStateRunning && Adapter->State != MpStatePausing)
		return 0;
	/*
	 * Health and link are four register reads, each a round trip to the
	 * device model: not on every service. On Windows they come from the
	 * misc MSI-X vector (link, error causes) and NDIS's hang check; here
	 * after MP_HEALTH_EVERY services that found nothing to do, and not
	 * within MP_HEALTH_MIN_MS of the last check (NDIS's own hang check
	 * runs every 2 s). Under a flood the check -- four round trips the
	 * guest waits for -- came every ~20 frames and was the largest cost
	 * left on the VF path. A VF that was reset or lost its link completes
	 * nothing, so its services are idle and it is checked within 10 ms.
	 */
	if (Adapter->HealthCountdown)
		goto service;
	NdisGetSystemUpTimeEx(&Now);
	if (Adapter->LastHealthMs && Now.QuadPart - Adapter->LastHealthMs < MP_HEALTH_MIN_MS)
		goto service;
	Adapter->LastHealthMs = Now.QuadPart ? Now.QuadPart : 1;
	Adapter->HealthCountdown = MP_HEALTH_EVERY;
	if (!HWIsHealthy(Adapter)) {
		/* The VF was reset under us (FLR, OID_SRIOV_RESET_VF at the PF) or
		 * a queue stopped on an error: fail what was in flight, program
		 * the function again. */
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_HW, "the VF lost its configuration: resetting the queue pair");
		if (Adapter->State == MpStateRunning && MpSetState(Adapter, MpStateResetting)) {
			NICFailSends(Adapter, NDIS_STATUS_RESET_IN_PROGRESS);
			Adapter->Resets++;
			if (HWProgramQueues(Adapter) == NDIS_STATUS_SUCCESS)
				(void)MpSetState(Adapter, MpStateRunning);
			else
				TraceEvents(TRACE_LEVEL_ERROR, TRACE_HW, "the VF did not come back; staying in reset");
		}
	}
	if (Adapter->LinkUp != HWLinkUp(Adapter)) {
		Adapter->LinkUp = !Adapter->LinkUp;
		NICIndicateLinkState(Adapter);
	}
service:
	Work = NICServiceRings(Adapter);
	if (!Work && Adapter->HealthCountdown)
		Adapter->HealthCountdown--;
	if (Adapter->PausePending && NICTxIdle(Adapter) && !Adapter->RxOutstanding)
		MpCompletePendingPause(Adapter);
	return Work;
}

/*
 * MiniportInterruptDPC's stand-in: service every adapter's rings (TX
 * completions, received frames, link changes, a reset the VF went
 * through). Returns the number of descriptors handled.
 */
__attribute__((visibility("default"))) ULONG SrnicVfPoll(void)
{
	PMP_ADAPTER Adapter, Next;
	ULONG Work = 0;

	for (Adapter = AdapterList; Adapter; Adapter = Next) {
		Next = Adapter->Next;
		Work += MpService(Adapter);
	}
	return Work;
}

/*
 * The misc vector's stand-in (link change, error, a reset by the PF): the
 * lab posts those causes in the doorbell page (wire/vmctl.h, misc_cause)
 * and calls this before the next SrnicVfPoll(), so an idle guest that
 * sleeps until an interrupt still checks link and health at once.
 */
__attribute__((visibility("default"))) VOID SrnicVfMiscInterrupt(VOID)
{
	for (PMP_ADAPTER Adapter = AdapterList; Adapter; Adapter = Adapter->Next) {
		Adapter->HealthCountdown = 0;
		Adapter->LastHealthMs = 0;
	}
}

/* ---- DriverEntry ------------------------------------------------------------------ */
static VOID MPDriverUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	NdisMDeregisterMiniportDriver(MiniportDriverHandle);
	MiniportDriverHandle = NULL;
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS Chars;
	NDIS_STATUS Status;

	NdisZeroMemory(&Chars, sizeof(Chars));
	Chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
	Chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	Chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	Chars.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
	Chars.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
	Chars.MajorDriverVersion = (UCHAR)(MP_DRIVER_VERSION >> 16);
	Chars.MinorDriverVersion = (UCHAR)MP_DRIVER_VERSION;
	Chars.InitializeHandlerEx = MPInitializeEx;
	Chars.HaltHandlerEx = MPHaltEx;
	Chars.UnloadHandler = MPDriverUnload;
	Chars.PauseHandler = MPPause;
	Chars.RestartHandler = MPRestart;
	Chars.OidRequestHandler = MPOidRequest;
	Chars.SendNetBufferListsHandler = MPSendNetBufferLists;
	Chars.ReturnNetBufferListsHandler = MPReturnNetBufferLists;
	Chars.CancelSendHandler = MPCancelSend;
	Chars.DevicePnPEventNotifyHandler = MPDevicePnPEventNotify;
	Chars.ShutdownHandlerEx = MPShutdownEx;
	Chars.CancelOidRequestHandler = MPCancelOidRequest;
	Status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &Chars, &MiniportDriverHandle);
	if (Status != NDIS_STATUS_SUCCESS) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_DRIVER, "NdisMRegisterMiniportDriver failed: 0x%x", (unsigned)Status);
		return STATUS_UNSUCCESSFUL;
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "srnic_vf %u.%u registered", MP_DRIVER_VERSION >> 16,
		    MP_DRIVER_VERSION & 0xffff);
	return STATUS_SUCCESS;
}
