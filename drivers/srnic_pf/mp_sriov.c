/*
 * mp_sriov.c -- the PF's SR-IOV side (spec 2.13, 2.15, 2.16, 3.3): the VF
 * state machine, the PF's SR-IOV capability, and the OIDs through which the
 * virtualization stack reaches a VF it may not touch itself -- VF config
 * space, the config-block backchannel, Function Level Reset, power state,
 * the PnP IDs, probed BARs and BAR resources. Every one checks, in this
 * order: SR-IOV enabled (else NDIS_STATUS_NOT_SUPPORTED), the fixed
 * structure's length (NDIS_STATUS_INVALID_LENGTH, BytesNeeded in the
 * request type's member), its header, that the VF is allocated
 * (NDIS_STATUS_INVALID_PARAMETER), then the variable part (mp_parse.c).
 * VF config space is reached only through NdisM{Get,Set}VirtualFunctionBusData,
 * i.e. pci.sys's PCI virtualization interface.
 */
#include "srnic_pf.h"

#define PCI_CAP_LIST_REG	0x34
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_EXP		0x10
#define PCI_PM_PMC		0x02
#define PCI_PM_PMC_D1		0x0200
#define PCI_PM_PMC_D2		0x0400
#define PCI_PM_CTRL		0x04
#define PCI_PM_CTRL_STATE_MASK	0x0003
#define PCI_PM_CTRL_PME_ENABLE	0x0100
#define PCI_EXP_DEVCTL		0x08
#define PCI_EXP_DEVCTL_BCR_FLR	0x8000
#define PCI_EXT_CAP_START	0x100
#define PCI_EXT_CAP_ID_SRIOV	0x0010
#define SRIOV_TOTAL_VF		0x0e
#define SRIOV_VF_DID		0x1a
#define SRIOV_SYS_PGSIZE	0x20
#define SRIOV_BAR		0x24
#define PCI_BAR_MEM64		0x04
#define PCI_BAR_PREFETCH	0x08
#define PCI_CFG_SPACE		4096u

/* ---- VF state machine (tables in mp_state.c) ------------------------------------- */
NDIS_STATUS MPSetVfState(_Inout_ PMP_ADAPTER Adapter, _Inout_ PMP_VF Vf, MP_VF_STATE To)
{
	UNREFERENCED_PARAMETER(Adapter);
	if (!MPVfStateTransitionAllowed(Vf->State, To)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_SRIOV, "VF %u: illegal transition %s -> %s refused", Vf->VFId,
			    MPVfStateName(Vf->State), MPVfStateName(To));
		return NDIS_STATUS_INVALID_STATE;
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_SRIOV, "VF %u: %s -> %s", Vf->VFId, MPVfStateName(Vf->State),
		    MPVfStateName(To));
	Vf->State = To;
	return NDIS_STATUS_SUCCESS;
}

PMP_VF MPFindAllocatedVf(_In_ PMP_ADAPTER Adapter, USHORT VFId)
{
	if (VFId >= Adapter->NumVFs || VFId >= MP_MAX_VFS || Adapter->Vf[VFId].State == MpVfDisabled)
		return NULL;
	return &Adapter->Vf[VFId];
}

/* ---- the PF's SR-IOV capability ------------------------------------------------------ */
NDIS_STATUS MPSriovReadCapability(_Inout_ PMP_ADAPTER Adapter)
{
	ULONG off = PCI_EXT_CAP_START;

	for (int guard = 0; guard < 64 && off >= PCI_EXT_CAP_START && off < PCI_CFG_SPACE; guard++) {
		ULONG h = HWReadConfig(Adapter, off, 4);

		if (h == 0 || h == 0xffffffffu)
			break;
		if ((h & 0xffff) == PCI_EXT_CAP_ID_SRIOV) {
			Adapter->SriovCapOffset = off;
			Adapter->TotalVFs = (USHORT)HWReadConfig(Adapter, off + SRIOV_TOTAL_VF, 2);
			Adapter->VfDeviceId = (USHORT)HWReadConfig(Adapter, off + SRIOV_VF_DID, 2);
			if (Adapter->TotalVFs > MP_MAX_VFS)
				Adapter->TotalVFs = MP_MAX_VFS;
			TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_SRIOV, "SR-IOV capability at 0x%x: TotalVFs %u, VF device 0x%x",
				    off, Adapter->TotalVFs, Adapter->VfDeviceId);
			return NDIS_STATUS_SUCCESS;
		}
		off = (h >> 20) & 0xffc;
	}
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "the PF has no SR-IOV capability: no VFs");
	Adapter->TotalVFs = 0;
	return NDIS_STATUS_SUCCESS;
}

/* ---- VF config space --------------------------------------------------------------------- */
static ULONG MPVfConfigRead(_In_ PMP_ADAPTER Adapter, USHORT VFId, ULONG Offset, ULONG Length)
{
	UCHAR b[4] = { 0 };
	ULONG v = 0;

	if (NICGetVfBusData(Adapter, VFId, b, Offset, Length) != Length)
		return 0xffffffffu;
	for (ULONG i = 0; i < Length; i++)
		v |= (ULONG)b[i] << (8 * i);
	return v;
}

static BOOLEAN MPVfConfigWrite(_In_ PMP_ADAPTER Adapter, USHORT VFId, ULONG Offset, ULONG Length, ULONG Value)
{
	UCHAR b[4];

	for (ULONG i = 0; i < Length; i++)
		b[i] = (UCHAR)(Value >> (8 * i));
	return NICSetVfBusData(Adapter, VFId, b, Offset, Length) == Length;
}

/* Offset of a capability in the VF's list, 0 if absent. */
static ULONG MPVfFindCap(_In_ PMP_ADAPTER Adapter, USHORT VFId, UCHAR CapId)
{
	ULONG off = MPVfConfigRead(Adapter, VFId, PCI_CAP_LIST_REG, 1);

	for (int guard = 0; guard < 48 && off >= 0x40 && off < 0x100; guard++) {
		ULONG h = MPVfConfigRead(Adapter, VFId, off, 2);

		if ((h & 0xff) == CapId)
			return off;
		off = (h >> 8) & 0xfc;
	}
	return 0;
}

/* ---- config block 0 ------------------------------------------------------------------------ */
/*
 * Block 0 (struct srnic_cfgblock_vf_info) says what the NIC switch does for
 * the VF: the MAC and VLAN of the first filter on its vPort (the
 * ALLOCATE_VF MAC until a filter is there), the MTU, the uplink's speed,
 * and link up while it has a vPort and the uplink is up. Whenever that
 * changes -- a vPort created or deleted, a filter set, moved or cleared on
 * its vPort, the uplink's link -- the generation is bumped and the VF is
 * told with NdisMInvalidateConfigBlock(bit 0).
 */
VOID MPVfRefreshInfo(_Inout_ PMP_ADAPTER Adapter, _Inout_ PMP_VF Vf, BOOLEAN Invalidate)
{
	static const UCHAR zero[6] = { 0 };
	struct srnic_cfgblock_vf_info n;
	const UCHAR *mac = Vf->MacAddress;
	USHORT vlan = 0;

	NdisZeroMemory(&n, sizeof(n));
	if (Vf->VPortId)
		for (ULONG i = 0; i < MP_MAX_FILTERS; i++)
			if (Adapter->Filter[i].InUse && Adapter->Filter[i].VPortId == Vf->VPortId) {
				mac = Adapter->Filter[i].Mac;
				vlan = Adapter->Filter[i].VlanId;
				break;
			}
	n.magic = SRNIC_CFGBLOCK_MAGIC;
	n.version = SRNIC_CFGBLOCK_VERSION_1;
	n.length = sizeof(n);
	n.generation = Vf->Info.generation;
	n.flags = (NdisEqualMemory(mac, zero, 6) ? 0 : SRNIC_VFINFO_F_MAC_VALID) | (vlan ? SRNIC_VFINFO_F_VLAN : 0) |
		  (Vf->VPortId && HWUplinkUp(Adapter) ? SRNIC_VFINFO_F_LINK_UP : 0);
	NdisMoveMemory(n.mac, mac, 6);
	n.vlan_id = vlan;
	n.vport_id = (uint16_t)Vf->VPortId;
	n.num_queue_pairs = Vf->VPortId ? (uint16_t)Adapter->VPort[Vf->VPortId].NumQueuePairs : 0;
	n.mtu = MP_MTU;
	n.link_speed = MP_LINK_SPEED;
	if (NdisEqualMemory(&n, &Vf->Info, sizeof(n)))
		return;
	n.generation++;			/* every change, before the VF is told */
	Vf->Info = n;
	if (!Invalidate)
		return;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_SRIOV,
		    "VF %u: block 0 generation %u: %02x:%02x:%02x:%02x:%02x:%02x vlan %u link %s vPort %u; invalidating",
		    Vf->VFId, n.generation, n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5], n.vlan_id,
		    (n.flags & SRNIC_VFINFO_F_LINK_UP) ? "up" : "down", n.vport_id);
	NdisMInvalidateConfigBlock(Adapter->AdapterHandle, Vf->VFId, 1ull << SRNIC_CFGBLOCK_VF_INFO);
}

/* ---- common prologue ---------------------------------------------------------------------- */
/* SR-IOV enabled (else NDIS_STATUS_NOT_SUPPORTED), then the fixed structure. */
static NDIS_STATUS MPSriovFixed(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, ULONG Min, ULONG Needed,
				_Out_writes_bytes_(Min) PVOID Params)
{
	if (!Adapter->SriovEnabled)
		return NDIS_STATUS_NOT_SUPPORTED;
	return MPOidFixed(Request, Min, Needed, FALSE, Params);
}

/*
 * The variable part of a request (mp_parse.c), mapped to statuses: too
 * short is NDIS_STATUS_INVALID_LENGTH with the BytesNeeded the area needs,
 * anything malformed NDIS_STATUS_INVALID_PARAMETER.
 */
static NDIS_STATUS MPCheckDataArea(_Inout_ PNDIS_OID_REQUEST Request, ULONG FixedSize, ULONG BufferLength,
				   ULONG BufferOffset, ULONG Length, ULONG MaxLength, ULONG Offset, ULONG SpaceSize)
{
	ULONG Needed;

	switch (MPParseDataArea(FixedSize, BufferLength, BufferOffset, Length, MaxLength, Offset, SpaceSize, &Needed)) {
	case MpParseOk:
		return NDIS_STATUS_SUCCESS;
	case MpParseTooShort:
		return MPOidTooShort(Request, Needed);
	default:
		return NDIS_STATUS_INVALID_PARAMETER;
	}
}

/* A VF that is not allocated gets NDIS_STATUS_INVALID_PARAMETER (spec 3.3). */
static NDIS_STATUS MPVfOf(_In_ PMP_ADAPTER Adapter, USHORT VFId, _Out_ PMP_VF *Vf, const char *What)
{
	*Vf = MPFindAllocatedVf(Adapter, VFId);
	if (*Vf)
		return NDIS_STATUS_SUCCESS;
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "%s: VF %u is not allocated (%u VFs enabled)", What, VFId,
		    Adapter->NumVFs);
	return NDIS_STATUS_INVALID_PARAMETER;
}

/* ---- OID_SRIOV_READ/WRITE_VF_CONFIG_SPACE ---------------------------------------------------- */
static NDIS_STATUS MPReadVfConfigSpace(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1;
	PUCHAR Buf = MPOidBuffer(Request);
	ULONG n;
	NDIS_STATUS Status;
	PMP_VF Vf;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "READ_VF_CONFIG_SPACE")) != NDIS_STATUS_SUCCESS)
		return Status;
	Status = MPCheckDataArea(Request, fixed, MPOidOutLength(Request), p.BufferOffset, p.Length, PCI_CFG_SPACE,
				 p.Offset, PCI_CFG_SPACE);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	n = NICGetVfBusData(Adapter, p.VFId, Buf + p.BufferOffset, p.Offset, p.Length);
	if (n != p.Length) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_SRIOV, "VF %u: config read 0x%x+%u returned %u bytes", p.VFId, p.Offset,
			    p.Length, n);
		return NDIS_STATUS_FAILURE;
	}
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, p.BufferOffset + p.Length);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPWriteVfConfigSpace(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_WRITE_VF_CONFIG_SPACE_PARAMETERS p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_WRITE_VF_CONFIG_SPACE_PARAMETERS_REVISION_1;
	UCHAR Data[PCI_CFG_SPACE];
	ULONG n, exp, flr_byte;
	NDIS_STATUS Status;
	PMP_VF Vf;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "WRITE_VF_CONFIG_SPACE")) != NDIS_STATUS_SUCCESS)
		return Status;
	Status = MPCheckDataArea(Request, fixed, MPOidInLength(Request), p.BufferOffset, p.Length, PCI_CFG_SPACE,
				 p.Offset, PCI_CFG_SPACE);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	NdisMoveMemory(Data, (PUCHAR)MPOidBuffer(Request) + p.BufferOffset, p.Length);
	/*
	 * Initiate FLR is privileged: a guest asking for it gets the request
	 * turned into OID_SRIOV_RESET_VF by the stack (spec 2.15), so the bit
	 * never reaches the VF from here.
	 */
	exp = MPVfFindCap(Adapter, p.VFId, PCI_CAP_ID_EXP);
	flr_byte = exp + PCI_EXP_DEVCTL + 1;
	if (exp && flr_byte >= p.Offset && flr_byte < p.Offset + p.Length && (Data[flr_byte - p.Offset] & 0x80)) {
		Data[flr_byte - p.Offset] &= (UCHAR)~0x80;
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "VF %u: Initiate FLR in a config write dropped (use RESET_VF)",
			    p.VFId);
	}
	n = NICSetVfBusData(Adapter, p.VFId, Data, p.Offset, p.Length);
	if (n != p.Length) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_SRIOV, "VF %u: config write 0x%x+%u wrote %u bytes", p.VFId, p.Offset,
			    p.Length, n);
		return NDIS_STATUS_FAILURE;
	}
	MPOidSetBytesRead(Request, p.BufferOffset + p.Length);
	return NDIS_STATUS_SUCCESS;
}

/* ---- OID_SRIOV_READ/WRITE_VF_CONFIG_BLOCK -------------------------------------------------------- */
static NDIS_STATUS MPReadVfConfigBlock(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1;
	UCHAR Block[SRNIC_CFGBLOCK_MAX];
	NDIS_STATUS Status;
	PMP_VF Vf;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "READ_VF_CONFIG_BLOCK")) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.BlockId != SRNIC_CFGBLOCK_VF_INFO && p.BlockId != SRNIC_CFGBLOCK_VF_REPORT) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "VF %u: no config block %u", p.VFId, p.BlockId);
		return NDIS_STATUS_INVALID_PARAMETER;
	}
	Status = MPCheckDataArea(Request, fixed, MPOidOutLength(Request), p.BufferOffset, p.Length, SRNIC_CFGBLOCK_MAX,
				 0, 0);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	NdisZeroMemory(Block, sizeof(Block));
	if (p.BlockId == SRNIC_CFGBLOCK_VF_INFO) {
		/* The VF reads it now: bring it up to date without another invalidation. */
		MPVfRefreshInfo(Adapter, Vf, FALSE);
		NdisMoveMemory(Block, &Vf->Info, sizeof(Vf->Info));
	} else {
		NdisMoveMemory(Block, Vf->ReportBlock, sizeof(Block));
	}
	NdisMoveMemory((PUCHAR)MPOidBuffer(Request) + p.BufferOffset, Block, p.Length);
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, p.BufferOffset + p.Length);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPWriteVfConfigBlock(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1;
	struct srnic_cfgblock_vf_report r;
	NDIS_STATUS Status;
	PMP_VF Vf;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "WRITE_VF_CONFIG_BLOCK")) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.BlockId != SRNIC_CFGBLOCK_VF_REPORT) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "VF %u: config block %u is %s", p.VFId, p.BlockId,
			    p.BlockId == SRNIC_CFGBLOCK_VF_INFO ? "read-only" : "unknown");
		return NDIS_STATUS_INVALID_PARAMETER;
	}
	Status = MPCheckDataArea(Request, fixed, MPOidInLength(Request), p.BufferOffset, p.Length, SRNIC_CFGBLOCK_MAX,
				 0, 0);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	/* Stored as written (read back by OID_SRIOV_READ_VF_CONFIG_BLOCK); an srnic report also moves the state. */
	NdisZeroMemory(Vf->ReportBlock, sizeof(Vf->ReportBlock));
	NdisMoveMemory(Vf->ReportBlock, (PUCHAR)MPOidBuffer(Request) + p.BufferOffset, p.Length);
	NdisMoveMemory(&r, Vf->ReportBlock, sizeof(r));
	if (srnic_cfgblock_vf_report_valid(&r, p.Length)) {
		BOOLEAN Running = (r.flags & SRNIC_VFREPORT_F_RUNNING) != 0;

		if (Running && Vf->State == MpVfAssigned)
			(void)MPSetVfState(Adapter, Vf, MpVfActive);
		else if (!Running && Vf->State == MpVfActive)
			(void)MPSetVfState(Adapter, Vf, MpVfAssigned);
		else
			TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_SRIOV,
				    "VF %u: driver reports %s (generation %u seen, block 0 at %u) while %s", p.VFId,
				    Running ? "running" : "stopped", r.generation_seen, Vf->Info.generation,
				    MPVfStateName(Vf->State));
	}
	MPOidSetBytesRead(Request, p.BufferOffset + p.Length);
	return NDIS_STATUS_SUCCESS;
}

/* ---- OID_SRIOV_RESET_VF (spec 2.15) -------------------------------------------------------------- */
static NDIS_STATUS MPResetVf(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_RESET_VF_PARAMETERS p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1;
	ULONG exp, ctl;
	NDIS_STATUS Status;
	PMP_VF Vf;
	BOOLEAN ok;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "RESET_VF")) != NDIS_STATUS_SUCCESS)
		return Status;
	exp = MPVfFindCap(Adapter, p.VFId, PCI_CAP_ID_EXP);
	if (!exp) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_SRIOV, "VF %u has no PCI Express capability: no FLR", p.VFId);
		return NDIS_STATUS_FAILURE;
	}
	Vf->StateBeforeReset = Vf->State == MpVfActive ? MpVfAssigned : Vf->State;
	(void)MPSetVfState(Adapter, Vf, MpVfResetting);
	/* PCIe Base 4.0 6.6.2: Initiate Function Level Reset in Device Control. */
	ctl = MPVfConfigRead(Adapter, p.VFId, exp + PCI_EXP_DEVCTL, 2);
	ok = ctl != 0xffffffffu && MPVfConfigWrite(Adapter, p.VFId, exp + PCI_EXP_DEVCTL, 2, ctl | PCI_EXP_DEVCTL_BCR_FLR);
	/* The VF driver is gone; it starts over in D0 (spec 2.15). */
	NdisZeroMemory(Vf->ReportBlock, sizeof(Vf->ReportBlock));
	Vf->PowerState = NdisDeviceStateD0;
	Vf->WakeEnable = FALSE;
	(void)MPSetVfState(Adapter, Vf, Vf->StateBeforeReset);
	if (!ok) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_SRIOV, "VF %u: FLR write failed", p.VFId);
		return NDIS_STATUS_FAILURE;
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_SRIOV, "VF %u: function level reset done", p.VFId);
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- OID_SRIOV_SET_VF_POWER_STATE (spec 2.16) ---------------------------------------------------- */
static NDIS_STATUS MPSetVfPowerState(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_SET_VF_POWER_STATE_PARAMETERS p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1;
	ULONG pm, pmc, ctl;
	NDIS_STATUS Status;
	PMP_VF Vf;

	NdisZeroMemory(&p, sizeof(p));
	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "SET_VF_POWER_STATE")) != NDIS_STATUS_SUCCESS)
		return Status;
	pm = MPVfFindCap(Adapter, p.VFId, PCI_CAP_ID_PM);
	pmc = pm ? MPVfConfigRead(Adapter, p.VFId, pm + PCI_PM_PMC, 2) : 0;
	/* D0 and D3 always; D1/D2 only if the VF's PMC says so; no wake in D0. */
	if (p.PowerState < NdisDeviceStateD0 || p.PowerState > NdisDeviceStateD3 ||
	    (p.PowerState == NdisDeviceStateD1 && !(pmc & PCI_PM_PMC_D1)) ||
	    (p.PowerState == NdisDeviceStateD2 && !(pmc & PCI_PM_PMC_D2)) ||
	    (p.PowerState == NdisDeviceStateD0 && p.WakeEnable)) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "VF %u: power state D%d (wake %u) refused", p.VFId,
			    (int)p.PowerState - 1, p.WakeEnable);
		return NDIS_STATUS_INVALID_PARAMETER;
	}
	if (!pm)
		return NDIS_STATUS_FAILURE;
	ctl = MPVfConfigRead(Adapter, p.VFId, pm + PCI_PM_CTRL, 2);
	ctl = (ctl & ~(ULONG)(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE)) | ((ULONG)p.PowerState - 1) |
	      (p.WakeEnable ? PCI_PM_CTRL_PME_ENABLE : 0);
	if (!MPVfConfigWrite(Adapter, p.VFId, pm + PCI_PM_CTRL, 2, ctl))
		return NDIS_STATUS_FAILURE;
	Vf->PowerState = p.PowerState;
	Vf->WakeEnable = p.WakeEnable;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_SRIOV, "VF %u: D%d, wake %s", p.VFId, (int)p.PowerState - 1,
		    p.WakeEnable ? "armed" : "off");
	MPOidSetBytesRead(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- OID_SRIOV_VF_VENDOR_DEVICE_ID ----------------------------------------------------------------- */
static NDIS_STATUS MPVfVendorDeviceId(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_VF_VENDOR_DEVICE_ID_INFO p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1;
	NDIS_STATUS Status;
	PMP_VF Vf;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, sizeof(p), &p)) != NDIS_STATUS_SUCCESS)
		return Status;
	if (MPOidOutLength(Request) < fixed)
		return MPOidTooShort(Request, sizeof(p));
	if ((Status = MPVfOf(Adapter, p.VFId, &Vf, "VF_VENDOR_DEVICE_ID")) != NDIS_STATUS_SUCCESS)
		return Status;
	/* The physical IDs: the guest loads the srnic VF miniport for them. */
	p.VendorId = Adapter->VendorId;
	p.DeviceId = Adapter->VfDeviceId;
	NdisMoveMemory(MPOidBuffer(Request), &p, fixed);
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, fixed);
	return NDIS_STATUS_SUCCESS;
}

/* ---- OID_SRIOV_PROBED_BARS (spec 8.7 item 4: 8 + 6 x 4 = 32 bytes) ------------------------------------ */
#define MP_PROBED_BARS_SIZE (NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1 + PCI_TYPE0_ADDRESSES * sizeof(ULONG))

static NDIS_STATUS MPProbedBars(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_PROBED_BARS_INFO info;
	ULONG bars[PCI_TYPE0_ADDRESSES];
	PUCHAR Buf = MPOidBuffer(Request);

	if (!Adapter->SriovEnabled)
		return NDIS_STATUS_NOT_SUPPORTED;
	if (MPOidOutLength(Request) < MP_PROBED_BARS_SIZE)
		return MPOidTooShort(Request, MP_PROBED_BARS_SIZE);
	if (NICQueryProbedBars(Adapter, bars) != NDIS_STATUS_SUCCESS)
		return NDIS_STATUS_FAILURE;
#ifdef SRNIC_PF_VARIANT_BAD_PROBED_BARS
	/*
	 * Variant bad-probed-bars (catalogue F21): the values read back from
	 * the VF BAR registers without the all-ones probe -- zero for every
	 * BAR, so the guest's vPCI sees a VF with no memory BARs and its
	 * driver cannot map the registers.
	 */
	NdisZeroMemory(bars, sizeof(bars));
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "PROBED_BARS: reporting the BAR registers unprobed (0)");
#endif
	NdisZeroMemory(&info, sizeof(info));
	info.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	info.Header.Revision = NDIS_SRIOV_PROBED_BARS_INFO_REVISION_1;
	info.Header.Size = NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1;
	info.BaseRegisterValuesOffset = NDIS_SIZEOF_SRIOV_PROBED_BARS_INFO_REVISION_1;
	NdisMoveMemory(Buf, &info, sizeof(info));
	NdisMoveMemory(Buf + info.BaseRegisterValuesOffset, bars, sizeof(bars));
	MPOidSetBytesWritten(Request, MP_PROBED_BARS_SIZE);
	return NDIS_STATUS_SUCCESS;
}

/* ---- OID_SRIOV_BAR_RESOURCES ------------------------------------------------------------------------ */
/* Walk the probed BARs as pci.sys does: a 64-bit BAR takes two slots. */
static BOOLEAN MPIsVfMemoryBar(_In_reads_(PCI_TYPE0_ADDRESSES) const ULONG *Bars, ULONG Index)
{
	ULONG i = 0;

	while (i < PCI_TYPE0_ADDRESSES) {
		BOOLEAN mem64 = !(Bars[i] & 1) && (Bars[i] & PCI_BAR_MEM64);

		if (i == Index)
			return Bars[i] != 0 && !(Bars[i] & 1);
		i += mem64 ? 2 : 1;
	}
	return FALSE;
}

static NDIS_STATUS MPBarResources(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	NDIS_SRIOV_BAR_RESOURCES_INFO p;
	const ULONG fixed = NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1;
	const ULONG desc = sizeof(CM_PARTIAL_RESOURCE_DESCRIPTOR);
	CM_PARTIAL_RESOURCE_DESCRIPTOR d;
	ULONG bars[PCI_TYPE0_ADDRESSES], reg, pg;
	ULONG64 mask, size, base, aperture;
	BOOLEAN mem64;
	NDIS_STATUS Status;
	PMP_VF Vf;

	if ((Status = MPSriovFixed(Adapter, Request, fixed, fixed + desc, &p)) != NDIS_STATUS_SUCCESS ||
	    (Status = MPVfOf(Adapter, p.VFId, &Vf, "BAR_RESOURCES")) != NDIS_STATUS_SUCCESS)
		return Status;
	if (p.BarIndex >= PCI_TYPE0_ADDRESSES || NICQueryProbedBars(Adapter, bars) != NDIS_STATUS_SUCCESS)
		return NDIS_STATUS_INVALID_PARAMETER;
	/* An implemented memory BAR, and not the upper half of a 64-bit one. */
	if (!MPIsVfMemoryBar(bars, p.BarIndex)) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_SRIOV, "VF %u: BAR%u is not a memory BAR", p.VFId, p.BarIndex);
		return NDIS_STATUS_INVALID_PARAMETER;
	}
	Status = MPCheckDataArea(Request, fixed, MPOidOutLength(Request), p.BarResourcesOffset, desc, desc, 0, 0);
	if (Status != NDIS_STATUS_SUCCESS)
		return Status;
	mem64 = (bars[p.BarIndex] & PCI_BAR_MEM64) != 0 && p.BarIndex + 1 < PCI_TYPE0_ADDRESSES;
	mask = bars[p.BarIndex] & ~0xfull;
	if (mem64)
		mask |= (ULONG64)bars[p.BarIndex + 1] << 32;
	else
		mask |= 0xffffffff00000000ull;
	size = ~mask + 1;
	/* Where firmware put the VF BAR: PF's SR-IOV VF BARn + VFId x aperture. */
	reg = Adapter->SriovCapOffset + SRIOV_BAR + 4 * p.BarIndex;
	base = HWReadConfig(Adapter, reg, 4) & ~0xfull;
	if (mem64)
		base |= (ULONG64)HWReadConfig(Adapter, reg + 4, 4) << 32;
	pg = HWReadConfig(Adapter, Adapter->SriovCapOffset + SRIOV_SYS_PGSIZE, 4);
	aperture = size;
	for (ULONG b = 0; b < 32; b++)
		if (pg & (1u << b)) {
			if (aperture < (4096ull << b))
				aperture = 4096ull << b;
			break;
		}
	if (base == 0) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_SRIOV, "VF BAR%u has no address: firmware placed no VF BARs", p.BarIndex);
		return NDIS_STATUS_FAILURE;
	}
	NdisZeroMemory(&d, sizeof(d));
	d.Type = CmResourceTypeMemory;
	d.ShareDisposition = CmResourceShareDeviceExclusive;
	d.Flags = CM_RESOURCE_MEMORY_READ_WRITE | ((bars[p.BarIndex] & PCI_BAR_PREFETCH) ? CM_RESOURCE_MEMORY_PREFETCHABLE : 0);
	d.u.Memory.Start.QuadPart = (LONGLONG)(base + (ULONG64)p.VFId * aperture);
	d.u.Memory.Length = (ULONG)size;
	NdisMoveMemory((PUCHAR)MPOidBuffer(Request) + p.BarResourcesOffset, &d, desc);
	MPOidSetBytesRead(Request, MPOidInLength(Request));
	MPOidSetBytesWritten(Request, p.BarResourcesOffset + desc);
	return NDIS_STATUS_SUCCESS;
}

/* ---- dispatch --------------------------------------------------------------------------------------- */
NDIS_STATUS MPSriovQuery(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled)
{
	*Handled = TRUE;
	switch (Request->DATA.QUERY_INFORMATION.Oid) {
	case OID_SRIOV_PROBED_BARS:
		return MPProbedBars(Adapter, Request);
	default:
		*Handled = FALSE;
		return NDIS_STATUS_INVALID_OID;
	}
}

NDIS_STATUS MPSriovSet(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled)
{
	*Handled = TRUE;
	switch (Request->DATA.SET_INFORMATION.Oid) {
	case OID_SRIOV_WRITE_VF_CONFIG_SPACE:
		return MPWriteVfConfigSpace(Adapter, Request);
	case OID_SRIOV_WRITE_VF_CONFIG_BLOCK:
		return MPWriteVfConfigBlock(Adapter, Request);
	case OID_SRIOV_RESET_VF:
		return MPResetVf(Adapter, Request);
	case OID_SRIOV_SET_VF_POWER_STATE:
		return MPSetVfPowerState(Adapter, Request);
	default:
		*Handled = FALSE;
		return NDIS_STATUS_INVALID_OID;
	}
}

NDIS_STATUS MPSriovMethod(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled)
{
	*Handled = TRUE;
	switch (Request->DATA.METHOD_INFORMATION.Oid) {
	case OID_SRIOV_READ_VF_CONFIG_SPACE:
		return MPReadVfConfigSpace(Adapter, Request);
	case OID_SRIOV_READ_VF_CONFIG_BLOCK:
		return MPReadVfConfigBlock(Adapter, Request);
	case OID_SRIOV_VF_VENDOR_DEVICE_ID:
		return MPVfVendorDeviceId(Adapter, Request);
	case OID_SRIOV_BAR_RESOURCES:
		return MPBarResources(Adapter, Request);
	default:
		*Handled = FALSE;
		return NDIS_STATUS_INVALID_OID;
	}
}
