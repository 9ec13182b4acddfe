/*
 * mp_nicswitch.c -- the NIC switch of the srnic PF (spec 2.3-2.10): dynamic
 * creation and deletion of the default switch (with NdisMEnableVirtualization),
 * its parameters, VF allocation and freeing, vPorts (one per VF, VF vPorts
 * activated, PF vPorts deactivated until activated once), and MAC/VLAN
 * receive filters on vPorts, all programmed into srnic's switch registers
 * (mp_hw.c). NDIS validates much of this before the PF sees it
 * (docs/ndis/oid-path.md); the PF checks again what it depends on, so a
 * request that slips past NDIS still cannot corrupt the hardware.
 *
 * The filter table is the hardware's: slot i of Adapter->Filter is
 * FILTER_SEL i. vPort ids are NDIS's (1..MaxNumVPorts-1) and equal the
 * hardware vPort index. A VF's vPort is function VFId+1, queue pairs from 0;
 * a PF vPort takes contiguous spare PF queue pairs (the default vPort keeps
 * queue pair 0).
 */
#include "srnic_pf.h"

/* ---- helpers ------------------------------------------------------------------------ */
static BOOLEAN MPInterruptModerationValid(NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION m)
{
	switch (m) {
	case NdisNicSwitchVPortInterruptModerationUndefined:
	case NdisNicSwitchVPortInterruptModerationAdaptive:
	case NdisNicSwitchVPortInterruptModerationOff:
	case NdisNicSwitchVPortInterruptModerationLow:
	case NdisNicSwitchVPortInterruptModerationMedium:
	case NdisNicSwitchVPortInterruptModerationHigh:
		return TRUE;
	default:
		return FALSE;
	}
}

static BOOLEAN MPOneProcessor(_In_ const GROUP_AFFINITY *a)
{
	return a->Mask && !(a->Mask & (a->Mask - 1));
}

static BOOLEAN MPNameValid(_In_ const NDIS_IF_COUNTED_STRING *s)
{
	return s->Length <= IF_MAX_STRING_SIZE * sizeof(WCHAR) && !(s->Length % sizeof(WCHAR));
}

static BOOLEAN MPVPortExists(_In_ PMP_ADAPTER Adapter, ULONG VPortId)
{
	return VPortId < Adapter->CurSwitchCaps.MaxNumVPorts && VPortId < MP_MAX_VPORTS &&
	       Adapter->VPort[VPortId].State != MpVPortFree;
}

/* The VF a vPort is attached to, or NULL for a PF vPort. */
static PMP_VF MPVPortVf(_In_ PMP_ADAPTER Adapter, ULONG VPortId)
{
	USHORT fn = Adapter->VPort[VPortId].AttachedFunctionId;

	return VPortId && fn != NDIS_PF_FUNCTION_ID ? MPFindAllocatedVf(Adapter, fn) : NULL;
}

static VOID MPRefreshVPortVf(_Inout_ PMP_ADAPTER Adapter, ULONG VPortId)
{
	PMP_VF Vf = MPVPortVf(Adapter, VPortId);

	if (Vf)
		MPVfRefreshInfo(Adapter, Vf, TRUE);
}

static PMP_FILTER MPFindFilter(_In_ PMP_ADAPTER Adapter, NDIS_RECEIVE_FILTER_ID FilterId)
{
	for (ULONG i = 0; i < MP_MAX_FILTERS; i++)
		if (Adapter->Filter[i].InUse && Adapter->Filter[i].FilterId == FilterId)
			return &Adapter->Filter[i];
	return NULL;
}

/*
 * Switch OIDs need SR-IOV enabled and, but for CREATE_SWITCH, the switch
 * (else NDIS_STATUS_NOT_SUPPORTED); then the fixed structure, in the output
 * too for a method.
 */
static NDIS_STATUS MPSwitchFixed(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, ULONG Min, ULONG Needed,
				 BOOLEAN NeedSwitch, _Out_writes_bytes_(Min) PVOID Params)
{
	if (!Adapter->SriovEnabled || (NeedSwitch && !Adapter->SwitchCreated))
		return NDIS_STATUS_NOT_SUPPORTED;
	return MPOidFixed(Request, Min, Needed, Request->RequestType == NdisRequestMethod, Params);
}

static NDIS_STATUS MPRefuse(const char *Oid, const char *Why)
{
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "%s refused: %s", Oid, Why);
	return NDIS_STATUS_INVALID_PARAMETER;
}

/* ---- the switch (spec 2.3-2.5) ---------------------------------------------------------- */
static NDIS_STATUS MPCreateSwitch(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_PARAMETERS p;
	NDIS_STATUS Status;

	NdisZeroMemory(&p, sizeof(p));
	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), FALSE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.Flags != 0 || p.SwitchType != NdisNicSwitchTypeExternal || p.SwitchId != NDIS_DEFAULT_SWITCH_ID ||
	    !MPNameValid(&p.SwitchFriendlyName))
		return MPRefuse("CREATE_SWITCH", "not the default external switch");
	if (Adapter->SwitchCreated)
		return MPRefuse("CREATE_SWITCH", "the default switch exists already");
	if (p.NumVFs > Adapter->CurSwitchCaps.MaxNumVFs) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "CREATE_SWITCH: NumVFs %u above MaxNumVFs %u", p.NumVFs,
			    Adapter->CurSwitchCaps.MaxNumVFs);
		return NDIS_STATUS_INVALID_PARAMETER;
	}
	/* The default vPort owns PF queue pair 0 only (6.30: one queue pair). */
	if ((Status = HWProgramVPort(Adapter, NDIS_DEFAULT_VPORT_ID, 0, 0, 1)) != NDIS_STATUS_SUCCESS ||
	    (Status = HWSetSwitchEnable(Adapter, TRUE)) != NDIS_STATUS_SUCCESS)
		return NDIS_STATUS_FAILURE;
	/* Dynamic creation: VFs appear now (spec 2.3 step 4). */
	if (p.NumVFs) {
		Status = NICEnableVirtualization(Adapter, (USHORT)p.NumVFs, TRUE);
		if (Status != NDIS_STATUS_SUCCESS) {
			TraceEvents(TRACE_LEVEL_ERROR, TRACE_NICSWITCH,
				    "EnableVirtualization(%u) failed with 0x%x: the platform gave no VFs", p.NumVFs,
				    (unsigned)Status);
			(void)HWSetSwitchEnable(Adapter, FALSE);
			return Status;
		}
		Adapter->VirtualizationEnabled = TRUE;
	}
	Adapter->SwitchCreated = TRUE;
	Adapter->NumVFs = p.NumVFs;
	Adapter->SwitchName = p.SwitchFriendlyName;
	NdisZeroMemory(Adapter->Vf, sizeof(Adapter->Vf));
	for (USHORT i = 0; i < MP_MAX_VFS; i++) {
		Adapter->Vf[i].VFId = i;
		Adapter->Vf[i].PowerState = NdisDeviceStateD0;
	}
	NdisZeroMemory(Adapter->VPort, sizeof(Adapter->VPort));
	Adapter->VPort[0].State = MpVPortActivated;
	Adapter->VPort[0].AttachedFunctionId = NDIS_PF_FUNCTION_ID;
	Adapter->VPort[0].NumQueuePairs = 1;
	Adapter->PfQueuePairsInUse = 1;
	NdisZeroMemory(Adapter->Filter, sizeof(Adapter->Filter));
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "default switch created with %u VFs", p.NumVFs);
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/*
 * Only the name may change (spec 2.4). It lives in software only, so the
 * change applies at once: SUCCESS, never NDIS_STATUS_REINIT_REQUIRED.
 */
static NDIS_STATUS MPSetSwitchParameters(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_PARAMETERS p;
	NDIS_STATUS Status;

	NdisZeroMemory(&p, sizeof(p));
	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.SwitchId != NDIS_DEFAULT_SWITCH_ID)
		return MPRefuse("NIC_SWITCH_PARAMETERS", "SwitchId is not the default switch");
	if ((p.Flags & NDIS_NIC_SWITCH_PARAMETERS_CHANGE_MASK) != NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED)
		return MPRefuse("NIC_SWITCH_PARAMETERS", "only SWITCH_NAME_CHANGED may be set");
	if (!MPNameValid(&p.SwitchFriendlyName))
		return MPRefuse("NIC_SWITCH_PARAMETERS", "SwitchFriendlyName length");
	Adapter->SwitchName = p.SwitchFriendlyName;
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

VOID MPNicSwitchTeardown(_Inout_ PMP_ADAPTER Adapter)
{
	NDIS_STATUS Status;

	/* NDIS guarantees all this is gone (spec 2.5); whatever is not goes now. */
	for (ULONG i = 0; i < MP_MAX_FILTERS; i++)
		if (Adapter->Filter[i].InUse) {
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "filter %u still set at switch deletion",
				    Adapter->Filter[i].FilterId);
			(void)HWClearFilter(Adapter, i);
			Adapter->Filter[i].InUse = FALSE;
		}
	for (ULONG v = 1; v < MP_MAX_VPORTS; v++)
		if (Adapter->VPort[v].State != MpVPortFree) {
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "vPort %u still exists at switch deletion", v);
			(void)HWClearVPort(Adapter, v);
			Adapter->VPort[v].State = MpVPortFree;
		}
	for (USHORT i = 0; i < MP_MAX_VFS; i++) {
		PMP_VF Vf = &Adapter->Vf[i];

		if (Vf->State == MpVfDisabled)
			continue;
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "VF %u still %s at switch deletion", i,
			    MPVfStateName(Vf->State));
		if (Vf->State == MpVfActive)
			(void)MPSetVfState(Adapter, Vf, MpVfAssigned);
		if (Vf->State == MpVfAssigned)
			(void)MPSetVfState(Adapter, Vf, MpVfAllocated);
		(void)MPSetVfState(Adapter, Vf, MpVfDisabled);
		Vf->VPortId = 0;
	}
	(void)HWSetSwitchEnable(Adapter, FALSE);
	/* The default vPort gets all PF queue pairs back, as at reset. */
	(void)HWProgramVPort(Adapter, NDIS_DEFAULT_VPORT_ID, 0, 0, Adapter->NumQueuePairs);
	if (Adapter->VirtualizationEnabled) {
		Status = NICEnableVirtualization(Adapter, 0, FALSE);
		if (Status != NDIS_STATUS_SUCCESS)
			TraceEvents(TRACE_LEVEL_ERROR, TRACE_NICSWITCH, "EnableVirtualization(0, FALSE) failed with 0x%x",
				    (unsigned)Status);
		Adapter->VirtualizationEnabled = FALSE;
	}
	Adapter->SwitchCreated = FALSE;
	Adapter->NumVFs = 0;
	Adapter->PfQueuePairsInUse = 0;
	NdisZeroMemory(Adapter->VPort, sizeof(Adapter->VPort));
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "default switch deleted, virtualization disabled");
}

static NDIS_STATUS MPDeleteSwitch(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS p;
	NDIS_STATUS Status;

	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.SwitchId != NDIS_DEFAULT_SWITCH_ID)
		return MPRefuse("DELETE_SWITCH", "SwitchId is not the default switch");
	MPNicSwitchTeardown(Adapter);
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- VFs (spec 2.6, 2.18) ---------------------------------------------------------------- */
static NDIS_STATUS MPAllocateVf(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VF_PARAMETERS p;
	static const UCHAR zero[6];
	USHORT seg = 0;
	UCHAR bus = 0, fn = 0;
	NDIS_STATUS Status;
	PMP_VF Vf = NULL;

	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.SwitchId != NDIS_DEFAULT_SWITCH_ID || p.VFId != NDIS_INVALID_VF_FUNCTION_ID ||
	    p.RequestorId != NDIS_INVALID_RID || (p.MacAddressLength != 0 && p.MacAddressLength != 6))
		return MPRefuse("ALLOCATE_VF", "SwitchId, VFId, RequestorId or MacAddressLength");
	for (USHORT i = 0; i < Adapter->NumVFs && i < MP_MAX_VFS; i++)
		if (Adapter->Vf[i].State == MpVfDisabled) {
			Vf = &Adapter->Vf[i];
			break;
		}
	if (!Vf) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "ALLOCATE_VF: all %u VFs are allocated", Adapter->NumVFs);
		return NDIS_STATUS_FAILURE;
	}
	/* The RID the IOMMU will remap with (spec 2.6 step 4). */
	NICGetVfLocation(Adapter, Vf->VFId, &seg, &bus, &fn);
	NdisZeroMemory(Vf->ReportBlock, sizeof(Vf->ReportBlock));
	NdisZeroMemory(&Vf->Info, sizeof(Vf->Info));
	Vf->RequestorId = NDIS_MAKE_RID(seg, bus, fn);
	Vf->VPortId = 0;
	Vf->PowerState = NdisDeviceStateD0;
	Vf->WakeEnable = FALSE;
	if (p.MacAddressLength == 6 && !NdisEqualMemory(p.CurrentMacAddress, zero, 6))
		NdisMoveMemory(Vf->MacAddress, p.CurrentMacAddress, 6);
	else if (p.MacAddressLength == 6 && !NdisEqualMemory(p.PermanentMacAddress, zero, 6))
		NdisMoveMemory(Vf->MacAddress, p.PermanentMacAddress, 6);
	else {
		/* Locally administered, from the VF's routing ID. */
		static const UCHAR oui[3] = { 0x02, 0x1a, 0xb4 };
		NdisMoveMemory(Vf->MacAddress, oui, 3);
		Vf->MacAddress[3] = bus;
		Vf->MacAddress[4] = fn;
		Vf->MacAddress[5] = 0;
	}
	/* A clean VF: no queues or counters left from a previous owner. */
	(void)HWResetVfState(Adapter, Vf->VFId);
	(void)MPSetVfState(Adapter, Vf, MpVfAllocated);
	MPVfRefreshInfo(Adapter, Vf, FALSE);
	p.VFId = Vf->VFId;
	p.RequestorId = Vf->RequestorId;
	NdisMoveMemory(MPOidBuffer(Request), &p, fixed);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "VF %u allocated, RID 0x%x", Vf->VFId, Vf->RequestorId);
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPFreeVf(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_FREE_VF_PARAMETERS p;
	NDIS_STATUS Status;
	PMP_VF Vf;

	NdisZeroMemory(&p, sizeof(p));
	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	/* Invalid, unallocated or still attached: INVALID_PARAMETER (spec 2.18). */
	Vf = MPFindAllocatedVf(Adapter, p.VFId);
	if (!Vf)
		return MPRefuse("FREE_VF", "the VF is not allocated");
	if (Vf->VPortId)
		return MPRefuse("FREE_VF", "a vPort is still attached to the VF");
	(void)HWResetVfState(Adapter, Vf->VFId);
	NdisZeroMemory(Vf->ReportBlock, sizeof(Vf->ReportBlock));
	(void)MPSetVfState(Adapter, Vf, MpVfDisabled);
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- vPorts (spec 2.7-2.9) ------------------------------------------------------------------ */
/* Contiguous spare PF queue pairs (the default vPort keeps queue pair 0). */
static BOOLEAN MPTakePfQueuePairs(_Inout_ PMP_ADAPTER Adapter, ULONG Count, _Out_ PULONG First)
{
	for (ULONG q = 1; q + Count <= Adapter->NumQueuePairs; q++) {
		ULONG bits = ((1u << Count) - 1) << q;

		if (!(Adapter->PfQueuePairsInUse & bits)) {
			Adapter->PfQueuePairsInUse |= bits;
			*First = q;
			return TRUE;
		}
	}
	return FALSE;
}

static NDIS_STATUS MPCreateVPort(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS p;
	NDIS_STATUS Status;
	PMP_VPORT v;
	PMP_VF Vf = NULL;
	ULONG first = 0, fn = 0;
	BOOLEAN pf;

	NdisZeroMemory(&p, sizeof(p));
	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	pf = p.AttachedFunctionId == NDIS_PF_FUNCTION_ID;
	if (p.SwitchId != NDIS_DEFAULT_SWITCH_ID)
		return MPRefuse("CREATE_VPORT", "SwitchId is not the default switch");
	if (p.VPortId == NDIS_DEFAULT_VPORT_ID || p.VPortId >= Adapter->CurSwitchCaps.MaxNumVPorts ||
	    MPVPortExists(Adapter, p.VPortId))
		return MPRefuse("CREATE_VPORT", "VPortId is the default vPort, out of range or in use");
	if (p.NumQueuePairs < 1 || p.NumQueuePairs > Adapter->CurSwitchCaps.MaxNumQueuePairsPerNonDefaultVPort)
		return MPRefuse("CREATE_VPORT", "NumQueuePairs outside 1..MaxNumQueuePairsPerNonDefaultVPort");
	if (p.LookaheadSize != 0 || !MPInterruptModerationValid(p.InterruptModeration))
		return MPRefuse("CREATE_VPORT", "LookaheadSize must be 0 and InterruptModeration defined");
	/* No ASYMMETRIC_QUEUE_PAIRS capability: every non-default vPort alike (spec 2.7). */
	for (ULONG i = 1; i < MP_MAX_VPORTS; i++)
		if (Adapter->VPort[i].State != MpVPortFree && Adapter->VPort[i].NumQueuePairs != p.NumQueuePairs)
			return MPRefuse("CREATE_VPORT", "queue pairs differ from the other non-default vPorts");
	if (pf) {
		/* A PF vPort starts deactivated, on exactly one processor. */
		if (p.VPortState != NdisNicSwitchVPortStateDeactivated || !MPOneProcessor(&p.ProcessorAffinity))
			return MPRefuse("CREATE_VPORT", "a PF vPort is created deactivated with one processor");
		if (!MPTakePfQueuePairs(Adapter, p.NumQueuePairs, &first)) {
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "CREATE_VPORT: no %u spare PF queue pair(s)",
				    p.NumQueuePairs);
			return NDIS_STATUS_FAILURE;
		}
	} else {
		Vf = MPFindAllocatedVf(Adapter, p.AttachedFunctionId);
		if (!Vf || Vf->VPortId)
			return MPRefuse("CREATE_VPORT", "the VF is not allocated or has its vPort already");
		if (p.VPortState != NdisNicSwitchVPortStateActivated || p.NumQueuePairs > SRNIC_VF_NUM_QP)
			return MPRefuse("CREATE_VPORT", "a VF vPort is created activated within the VF's queue pairs");
		fn = (ULONG)Vf->VFId + 1;
	}
	Status = HWProgramVPort(Adapter, p.VPortId, fn, first, p.NumQueuePairs);
	if (Status != NDIS_STATUS_SUCCESS) {
		if (pf)
			Adapter->PfQueuePairsInUse &= ~(((1u << p.NumQueuePairs) - 1) << first);
		return NDIS_STATUS_FAILURE;
	}
	v = &Adapter->VPort[p.VPortId];
	NdisZeroMemory(v, sizeof(*v));
	v->State = pf ? MpVPortDeactivated : MpVPortActivated;
	v->AttachedFunctionId = p.AttachedFunctionId;
	v->NumQueuePairs = p.NumQueuePairs;
	v->FirstQueuePair = first;
	v->InterruptModeration = p.InterruptModeration;
	v->ProcessorAffinity = p.ProcessorAffinity;
	v->Name = p.VPortName;
	if (Vf) {
		Vf->VPortId = p.VPortId;
		(void)MPSetVfState(Adapter, Vf, MpVfAssigned);
		MPVfRefreshInfo(Adapter, Vf, TRUE);
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "vPort %u on %s%u, %u queue pair(s) from %u, %s", p.VPortId,
		    pf ? "PF" : "VF ", pf ? 0 : Vf->VFId, p.NumQueuePairs, first, pf ? "deactivated" : "activated");
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPDeleteVPort(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1;
	NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS p;
	NDIS_STATUS Status;
	PMP_VPORT v;
	PMP_VF Vf;

	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.VPortId == NDIS_DEFAULT_VPORT_ID || !MPVPortExists(Adapter, p.VPortId))
		return MPRefuse("DELETE_VPORT", "the default vPort or no such vPort");
	v = &Adapter->VPort[p.VPortId];
	if (v->NumFilters)
		return MPRefuse("DELETE_VPORT", "receive filters are still set on the vPort");
	Vf = MPVPortVf(Adapter, p.VPortId);
	if (HWClearVPort(Adapter, p.VPortId) != NDIS_STATUS_SUCCESS)
		return NDIS_STATUS_FAILURE;
	if (v->AttachedFunctionId == NDIS_PF_FUNCTION_ID)
		Adapter->PfQueuePairsInUse &= ~(((1u << v->NumQueuePairs) - 1) << v->FirstQueuePair);
	NdisZeroMemory(v, sizeof(*v));
	if (Vf) {
		Vf->VPortId = 0;
		(void)MPSetVfState(Adapter, Vf, MpVfAllocated);
		MPVfRefreshInfo(Adapter, Vf, TRUE);
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "vPort %u deleted", p.VPortId);
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPSetVPortParameters(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	const ULONG known = NDIS_NIC_SWITCH_VPORT_PARAMS_FLAGS_CHANGED | NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED |
			    NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED | NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED |
			    NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS p;
	NDIS_STATUS Status;
	PMP_VPORT v;
	BOOLEAN pf_nondefault, activate = FALSE;
	ULONG changes;

	NdisZeroMemory(&p, sizeof(p));
	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.SwitchId != NDIS_DEFAULT_SWITCH_ID || !MPVPortExists(Adapter, p.VPortId))
		return MPRefuse("VPORT_PARAMETERS", "no such vPort");
	v = &Adapter->VPort[p.VPortId];
	pf_nondefault = p.VPortId != NDIS_DEFAULT_VPORT_ID && v->AttachedFunctionId == NDIS_PF_FUNCTION_ID;
	changes = p.Flags & NDIS_NIC_SWITCH_VPORT_PARAMS_CHANGE_MASK;
	/* Only the fields whose *_CHANGED flag is set; 6.50/6.60 ones are not supported. */
	if (changes & ~known)
		return MPRefuse("VPORT_PARAMETERS", "a change this PF does not support (NDK, QoS, queue pairs)");
	if ((changes & NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED) && !MPNameValid(&p.VPortName))
		return MPRefuse("VPORT_PARAMETERS", "VPortName length");
	if ((changes & NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED) && !MPInterruptModerationValid(p.InterruptModeration))
		return MPRefuse("VPORT_PARAMETERS", "InterruptModeration");
	if ((changes & NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED) &&
	    (v->AttachedFunctionId != NDIS_PF_FUNCTION_ID || !MPOneProcessor(&p.ProcessorAffinity)))
		return MPRefuse("VPORT_PARAMETERS", "affinity is for PF vPorts, one processor");
	if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED) {
		MP_VPORT_STATE want = p.VPortState == NdisNicSwitchVPortStateActivated ? MpVPortActivated :
				      p.VPortState == NdisNicSwitchVPortStateDeactivated ? MpVPortDeactivated : MpVPortFree;

		/* Activation is one way, and only PF non-default vPorts start deactivated. */
		if (want == MpVPortFree || (want != v->State && !(pf_nondefault && want == MpVPortActivated)))
			return MPRefuse("VPORT_PARAMETERS", "the only state change is a PF vPort's activation");
		activate = want != v->State;
	}
	if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED)
		v->Name = p.VPortName;
	if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED)
		v->InterruptModeration = p.InterruptModeration;
	if (changes & NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED)
		v->ProcessorAffinity = p.ProcessorAffinity;
	if (activate) {
		v->State = MpVPortActivated;
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "PF vPort %u activated", p.VPortId);
	}
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- receive filters (spec 2.10) ------------------------------------------------------------ */
static NDIS_STATUS MPSetFilter(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	MP_FILTER_SPEC f;
	ULONG Needed, slot;

	if (!Adapter->SriovEnabled || !Adapter->SwitchCreated)
		return NDIS_STATUS_NOT_SUPPORTED;
	switch (MPParseSetFilter(MPOidBuffer(Request), MPOidInLength(Request), &f, &Needed)) {
	case MpParseOk:
		break;
	case MpParseTooShort:
		return MPOidTooShort(Request, Needed);
	case MpParseUnsupported:
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH,
			    "SET_FILTER: srnic filters on one unicast MAC, untagged or with one VLAN");
		return NDIS_STATUS_NOT_SUPPORTED;
	default:
		return MPRefuse("SET_FILTER", "malformed filter parameters");
	}
	if (MPOidOutLength(Request) < NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2)
		return MPOidTooShort(Request, MPOidInLength(Request));
	if (!MPVPortExists(Adapter, f.VPortId))
		return MPRefuse("SET_FILTER", "no such vPort");
	if (MPFindFilter(Adapter, f.FilterId))
		return MPRefuse("SET_FILTER", "FilterId in use");
	if (f.VlanId && !(Adapter->CurSwitchCaps.NicSwitchCapabilities & NDIS_NIC_SWITCH_CAPS_VLAN_SUPPORTED)) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "SET_FILTER: VLAN filtering is off (*VMQVlanFiltering 0)");
		return NDIS_STATUS_NOT_SUPPORTED;
	}
	for (slot = 0; slot < MP_MAX_FILTERS; slot++)
		if (Adapter->Filter[slot].InUse && NdisEqualMemory(Adapter->Filter[slot].Mac, f.Mac, 6) &&
		    Adapter->Filter[slot].VlanId == f.VlanId)
			return MPRefuse("SET_FILTER", "another filter steers this MAC and VLAN");
	for (slot = 0; slot < MP_MAX_FILTERS && Adapter->Filter[slot].InUse; slot++)
		;
	if (slot == MP_MAX_FILTERS) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_NICSWITCH, "SET_FILTER: all %u hardware filters in use", MP_MAX_FILTERS);
		return NDIS_STATUS_RESOURCES;
	}
	if (HWProgramFilter(Adapter, slot, f.Mac, f.VlanId, f.VPortId) != NDIS_STATUS_SUCCESS)
		return NDIS_STATUS_FAILURE;
	Adapter->Filter[slot].InUse = TRUE;
	Adapter->Filter[slot].FilterId = f.FilterId;
	Adapter->Filter[slot].VPortId = f.VPortId;
	NdisMoveMemory(Adapter->Filter[slot].Mac, f.Mac, 6);
	Adapter->Filter[slot].VlanId = f.VlanId;
	Adapter->VPort[f.VPortId].NumFilters++;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH,
		    "filter %u (slot %u): %02x:%02x:%02x:%02x:%02x:%02x vlan %u -> vPort %u", f.FilterId, slot, f.Mac[0],
		    f.Mac[1], f.Mac[2], f.Mac[3], f.Mac[4], f.Mac[5], f.VlanId, f.VPortId);
	MPRefreshVPortVf(Adapter, f.VPortId);
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPClearFilter(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1;
	NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS p;
	NDIS_STATUS Status;
	PMP_FILTER f;
	ULONG vport;

	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.QueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID || !(f = MPFindFilter(Adapter, p.FilterId)))
		return MPRefuse("CLEAR_FILTER", "QueueId or no such filter");
	if (HWClearFilter(Adapter, (ULONG)(f - Adapter->Filter)) != NDIS_STATUS_SUCCESS)
		return NDIS_STATUS_FAILURE;
	vport = f->VPortId;
	NdisZeroMemory(f, sizeof(*f));
	Adapter->VPort[vport].NumFilters--;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "filter %u cleared from vPort %u", p.FilterId, vport);
	MPRefreshVPortVf(Adapter, vport);
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* One FILTER_CFG commit moves the MAC: atomic, as spec 2.10 demands. */
static NDIS_STATUS MPMoveFilter(_Inout_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	const ULONG fixed = NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1;
	NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS p;
	NDIS_STATUS Status;
	PMP_FILTER f;

	if ((Status = MPSwitchFixed(Adapter, Request, fixed, sizeof(p), TRUE, &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (!(f = MPFindFilter(Adapter, p.FilterId)) || f->VPortId != p.SourceVPortId ||
	    p.SourceQueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID || p.DestQueueId != NDIS_DEFAULT_RECEIVE_QUEUE_ID ||
	    !MPVPortExists(Adapter, p.DestVPortId))
		return MPRefuse("MOVE_FILTER", "no such filter on the source vPort, queue ids, or no such destination");
	if (p.DestVPortId != p.SourceVPortId) {
		/* IovlabVfVlanLimit (mp_fault.c): the VFs' shared VLAN entries are used up. */
		if (Adapter->VfVlanLimit && f->VlanId && p.DestVPortId != NDIS_DEFAULT_VPORT_ID &&
		    MPVfVlanFilters(Adapter) + 1 > Adapter->VfVlanLimit - 1) {
			TraceEvents(TRACE_LEVEL_ERROR, TRACE_NICSWITCH,
				    "MOVE_FILTER: VLAN %u on vPort %u refused: the VFs' %u shared VLAN filters are in use",
				    f->VlanId, p.DestVPortId, Adapter->VfVlanLimit - 1);
			return NDIS_STATUS_RESOURCES;
		}
		if (HWProgramFilter(Adapter, (ULONG)(f - Adapter->Filter), f->Mac, f->VlanId, p.DestVPortId) !=
		    NDIS_STATUS_SUCCESS)
			return NDIS_STATUS_FAILURE;
		f->VPortId = p.DestVPortId;
		Adapter->VPort[p.SourceVPortId].NumFilters--;
		Adapter->VPort[p.DestVPortId].NumFilters++;
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_NICSWITCH, "filter %u moved vPort %u -> %u", p.FilterId,
			    p.SourceVPortId, p.DestVPortId);
		MPRefreshVPortVf(Adapter, p.SourceVPortId);
		MPRefreshVPortVf(Adapter, p.DestVPortId);
	}
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- dispatch -------------------------------------------------------------------------------- */
NDIS_STATUS MPNicSwitchSet(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled)
{
	*Handled = TRUE;
	switch (Request->DATA.SET_INFORMATION.Oid) {
	case OID_NIC_SWITCH_PARAMETERS:
		return MPSetSwitchParameters(Adapter, Request);
	case OID_NIC_SWITCH_DELETE_SWITCH:
		return MPDeleteSwitch(Adapter, Request);
	case OID_NIC_SWITCH_FREE_VF:
		return MPFreeVf(Adapter, Request);
	case OID_NIC_SWITCH_DELETE_VPORT:
		return MPDeleteVPort(Adapter, Request);
	case OID_NIC_SWITCH_VPORT_PARAMETERS:
		return MPSetVPortParameters(Adapter, Request);
	case OID_RECEIVE_FILTER_CLEAR_FILTER:
		return MPClearFilter(Adapter, Request);
	case OID_RECEIVE_FILTER_MOVE_FILTER:
		return MPMoveFilter(Adapter, Request);
	default:
		*Handled = FALSE;
		return NDIS_STATUS_INVALID_OID;
	}
}

NDIS_STATUS MPNicSwitchMethod(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled)
{
	*Handled = TRUE;
	switch (Request->DATA.METHOD_INFORMATION.Oid) {
	case OID_NIC_SWITCH_CREATE_SWITCH:
		return MPCreateSwitch(Adapter, Request);
	case OID_NIC_SWITCH_ALLOCATE_VF:
		return MPAllocateVf(Adapter, Request);
	case OID_NIC_SWITCH_CREATE_VPORT:
		return MPCreateVPort(Adapter, Request);
	case OID_RECEIVE_FILTER_SET_FILTER:
		return MPSetFilter(Adapter, Request);
	default:
		*Handled = FALSE;
		return NDIS_STATUS_INVALID_OID;
	}
}
