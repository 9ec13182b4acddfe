/*
 * srnic_pf.h -- the reference SR-IOV PF miniport for the emulated srnic NIC
 * (docs/hw/srnic.md), written as a Windows NDIS 6.30 miniport against
 * include/ndis only, in the file split of Windows-driver-samples
 * network/ndis/netvmini/6x: mp_main.c (DriverEntry, MiniportInitializeEx /
 * Halt / Pause / Restart), mp_oid.c (MiniportOidRequest and general OIDs),
 * mp_sriov.c (PF SR-IOV OIDs, VFs, config blocks), mp_nicswitch.c (switch,
 * vPort, VF allocation and receive-filter OIDs), mp_parse.c (pure checks of
 * variable-length OID buffers, fuzzed), mp_state.c (the adapter and VF
 * state tables), mp_hw.c (HW* register access),
 * mp_datapath.c (send/receive on the default vPort), mp_vbd.c (PCI
 * virtualization through NDIS, or through srnic_vbd in the parent). This header is the
 * adapter context they share and their cross-file entry points.
 *
 * Spec: ndis-sriov-spec.md 2.1-2.10, 2.13, 2.15-2.18, 3, 5, 6.4; the driver
 * is described in docs/drivers/srnic_pf.md.
 */
#ifndef SRNIC_PF_H
#define SRNIC_PF_H

#include <ndis/ndis.h>
#include <wire/srnic_regs.h>
#include <wire/srnic_cfgblock.h>

#include "srnic_vbd_if.h"

#include "trace.h"

#define MP_TAG			0x50666e53	/* 'SnfP' */
#define MP_MAJOR_DRIVER_VERSION	1
#define MP_MINOR_DRIVER_VERSION	0
#define MP_VENDOR_DESCRIPTION	"iovlab srnic SR-IOV PF"
#define MP_MTU			1500u
#define MP_MAX_FRAME		(MP_MTU + 14u)
#define MP_LINK_SPEED		10000000000ull	/* the uplink: 10 Gbit/s */
#define MP_MAX_MULTICAST	32u

#define MP_MAX_VFS		SRNIC_TOTAL_VFS
#define MP_MAX_VPORTS		SRNIC_NUM_VPORTS
#define MP_MAX_FILTERS		SRNIC_NUM_FILTERS
#define MP_MAX_FILTER_FIELDS	2u	/* a MAC test and a VLAN test */

/* ---- the adapter state machine (style: one set_state, traced) ---------- */
typedef enum _MP_ADAPTER_STATE {
	MpAdapterHalted,
	MpAdapterInitializing,
	MpAdapterPaused,
	MpAdapterRestarting,
	MpAdapterRunning,
	MpAdapterPausing,
	MpAdapterHalting,
	MpAdapterStateCount
} MP_ADAPTER_STATE;

/*
 * A VF's life on this PF (docs/drivers/srnic_pf.md, "VF states"):
 * Disabled (on the bus, no software resources) -ALLOCATE_VF-> Allocated
 * -CREATE_VPORT-> Assigned -VF driver reports up (config block 1)-> Active;
 * RESET_VF passes through Resetting; DELETE_VPORT and FREE_VF go back.
 */
typedef enum _MP_VF_STATE {
	MpVfDisabled,
	MpVfAllocated,
	MpVfAssigned,
	MpVfActive,
	MpVfResetting,
	MpVfStateCount
} MP_VF_STATE;

typedef enum _MP_VPORT_STATE {
	MpVPortFree,
	MpVPortDeactivated,	/* PF non-default vPort as created */
	MpVPortActivated,
} MP_VPORT_STATE;

/* Interfaces the *SriovPreferred / *RssOrVmqPreference table enabled (spec 2.2). */
#define MP_MODE_SRIOV	0x1u
#define MP_MODE_VMQ	0x2u
#define MP_MODE_RSS	0x4u

typedef struct _MP_VF {
	MP_VF_STATE State;
	MP_VF_STATE StateBeforeReset;
	USHORT VFId;
	NDIS_VF_RID RequestorId;
	UCHAR MacAddress[6];			/* CurrentMacAddress of ALLOCATE_VF */
	ULONG VPortId;				/* 0 = none */
	NDIS_DEVICE_POWER_STATE PowerState;
	BOOLEAN WakeEnable;
	struct srnic_cfgblock_vf_info Info;	/* block 0 as the VF last saw it */
	UCHAR ReportBlock[SRNIC_CFGBLOCK_MAX];	/* block 64 as the VF wrote it */
} MP_VF, *PMP_VF;

typedef struct _MP_VPORT {
	MP_VPORT_STATE State;
	USHORT AttachedFunctionId;		/* NDIS_PF_FUNCTION_ID or a VFId */
	ULONG NumQueuePairs;
	ULONG FirstQueuePair;			/* on its function */
	NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION InterruptModeration;
	GROUP_AFFINITY ProcessorAffinity;
	NDIS_VPORT_NAME Name;
	ULONG NumFilters;
} MP_VPORT, *PMP_VPORT;

/* One hardware filter slot (FILTER_SEL index), owned by an NDIS filter id. */
typedef struct _MP_FILTER {
	BOOLEAN InUse;
	NDIS_RECEIVE_FILTER_ID FilterId;
	ULONG VPortId;
	UCHAR Mac[6];
	USHORT VlanId;				/* 0 = untagged or VLAN 0 */
} MP_FILTER, *PMP_FILTER;

/* ---- the data path (mp_datapath.c) ---------------------------------------- */
#define MP_RING_SIZE		64u		/* descriptors per ring (power of two) */
#define MP_BUFFER_SIZE		2048u		/* one frame per buffer */
#define MP_QP			0u		/* the default vPort's queue pair */
#define MP_MSG_MISC		0u		/* MSI-X message: errors, link */
#define MP_MSG_QP		(1u + MP_QP)	/* MSI-X message: the queue pair */

/*
 * Queue pair 0 of the PF, the default vPort's: both rings and all buffers
 * in one block of NDIS shared memory. TX copies each frame into its slot's
 * buffer; RX indicates NBLs whose MDLs point at the receive buffers and
 * reposts a buffer when its NBL comes back.
 */
typedef struct _MP_DATAPATH {
	BOOLEAN Ready;				/* rings programmed, queues enabled */
	PUCHAR Va;
	NDIS_PHYSICAL_ADDRESS Pa;
	ULONG Length;
	struct srnic_desc *TxRing, *RxRing;
	PUCHAR TxBuf, RxBuf;
	ULONG64 TxRingPa, RxRingPa, TxBufPa, RxBufPa;
	ULONG TxHead, TxTail;			/* [TxHead, TxTail): on the ring, not completed */
	PNET_BUFFER_LIST TxNbl[MP_RING_SIZE];	/* the NBL each posted frame belongs to */
	BOOLEAN TxLast[MP_RING_SIZE];		/* the NBL's last frame */
	PNET_BUFFER_LIST TxWaitHead, TxWaitTail;	/* sends waiting for ring space */
	ULONG RxNext;				/* next slot the device fills */
	ULONG RxTail;				/* [RxNext, RxTail): posted and empty */
	NDIS_HANDLE RxPool;
	PNET_BUFFER_LIST RxNbl[MP_RING_SIZE];	/* bound to slot i's buffer */
	PMDL RxMdl[MP_RING_SIZE];
	BOOLEAN RxIndicated[MP_RING_SIZE];	/* owned by NDIS until returned */
	NDIS_HANDLE Interrupt;
	ULONG IntMask;				/* INT_MASK while running */
	ULONG PendingCause;			/* INT_CAUSE bits the ISR took, for the DPC */
	ULONG64 TxFrames, TxErrors, RxFrames, RxErrors, Interrupts;
} MP_DATAPATH;

typedef struct _MP_ADAPTER {
	NDIS_HANDLE AdapterHandle;
	MP_ADAPTER_STATE State;

	/* hardware (mp_hw.c) */
	PUCHAR Bar0;
	ULONG Bar0Length;
	NDIS_PHYSICAL_ADDRESS Bar0Pa;
	UCHAR PermanentMac[6];
	UCHAR CurrentMac[6];
	ULONG NumQueuePairs;			/* NUM_QP of the PF */
	USHORT VendorId;

	/* keywords and the interfaces they enabled (spec 2.2) */
	BOOLEAN Parent;				/* NdisGetHypervisorInfo said parent */
	ULONG SriovPreferred, RssOrVmqPreference;
	ULONG SriovKeyword, VmqKeyword, RssKeyword, VmqVlanFiltering;
	ULONG NumVFsKeyword;
	ULONG Mode;				/* MP_MODE_* */
	BOOLEAN SriovEnabled;			/* current SR-IOV caps reported */

	/* the PF's SR-IOV capability (config space) */
	ULONG SriovCapOffset;
	USHORT TotalVFs;
	USHORT VfDeviceId;

	/* capabilities registered in MiniportInitializeEx */
	NDIS_SRIOV_CAPABILITIES SriovCaps;
	NDIS_NIC_SWITCH_CAPABILITIES HwSwitchCaps, CurSwitchCaps;
	NDIS_RECEIVE_FILTER_CAPABILITIES HwFilterCaps, CurFilterCaps;

	/* the NIC switch (mp_nicswitch.c) */
	BOOLEAN SwitchCreated;
	BOOLEAN VirtualizationEnabled;
	ULONG NumVFs;				/* VFs enabled by CREATE_SWITCH */
	NDIS_NIC_SWITCH_FRIENDLYNAME SwitchName;
	ULONG PfQueuePairsInUse;		/* bit q: PF queue pair q belongs to a vPort */
	MP_VF Vf[MP_MAX_VFS];
	MP_VPORT VPort[MP_MAX_VPORTS];
	MP_FILTER Filter[MP_MAX_FILTERS];

	/* general OIDs */
	ULONG PacketFilter;
	ULONG Lookahead;
	ULONG MulticastCount;

	MP_DATAPATH Dp;

	/* the device stack (mp_vbd.c): on the PCI PDO, or NDIS-WDM over srnic_vbd */
	PDEVICE_OBJECT Pdo, Fdo, NextDevice;
	BOOLEAN OverVbd;
	SRNIC_VBD_PF_INTERFACE Vbd;
	ULONG VbdBypass;			/* hidden keyword: the test mutant */

	/* lab fault keywords (hidden, registry only; docs/faults.md) */
	NDIS_OID FailOid;			/* IovlabFailOid: complete this OID with FailStatus */
	NDIS_STATUS FailStatus;			/* IovlabFailStatus */
	ULONG VfVlanLimit;			/* IovlabVfVlanLimit + 1: 0 = no limit */
} MP_ADAPTER, *PMP_ADAPTER;

/* ---- mp_state.c (pure) ------------------------------------------------------ */
const char *MPAdapterStateName(MP_ADAPTER_STATE State);
BOOLEAN MPAdapterStateTransitionAllowed(MP_ADAPTER_STATE From, MP_ADAPTER_STATE To);
const char *MPVfStateName(MP_VF_STATE State);
BOOLEAN MPVfStateTransitionAllowed(MP_VF_STATE From, MP_VF_STATE To);

/* ---- mp_main.c ------------------------------------------------------------- */
NDIS_STATUS MPSetAdapterState(_Inout_ PMP_ADAPTER Adapter, MP_ADAPTER_STATE To);

/* ---- mp_fault.c: the lab's fault keywords (docs/faults.md) ------------------- */
VOID MPReadFaultKeywords(_Inout_ PMP_ADAPTER Adapter, _In_ NDIS_HANDLE Config);
ULONG MPVfVlanFilters(_In_ PMP_ADAPTER Adapter);

/* ---- mp_hw.c ---------------------------------------------------------------- */
NDIS_STATUS HWInitialize(_Inout_ PMP_ADAPTER Adapter);
VOID HWRelease(_Inout_ PMP_ADAPTER Adapter);
ULONG HWReadRegister(_In_ PMP_ADAPTER Adapter, ULONG Offset);
VOID HWWriteRegister(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Value);
ULONG HWReadConfig(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Length);
BOOLEAN HWWriteConfig(_In_ PMP_ADAPTER Adapter, ULONG Offset, ULONG Length, ULONG Value);
BOOLEAN HWUplinkUp(_In_ PMP_ADAPTER Adapter);
NDIS_STATUS HWSetSwitchEnable(_In_ PMP_ADAPTER Adapter, BOOLEAN Enable);
NDIS_STATUS HWProgramVPort(_In_ PMP_ADAPTER Adapter, ULONG VPortId, ULONG Function, ULONG FirstQp, ULONG NumQp);
NDIS_STATUS HWClearVPort(_In_ PMP_ADAPTER Adapter, ULONG VPortId);
NDIS_STATUS HWProgramFilter(_In_ PMP_ADAPTER Adapter, ULONG Slot, const UCHAR *Mac, USHORT VlanId, ULONG VPortId);
NDIS_STATUS HWClearFilter(_In_ PMP_ADAPTER Adapter, ULONG Slot);
NDIS_STATUS HWResetVfState(_In_ PMP_ADAPTER Adapter, USHORT VFId);

/* ---- mp_oid.c ------------------------------------------------------------------ */
MINIPORT_OID_REQUEST MPOidRequest;
MINIPORT_CANCEL_OID_REQUEST MPCancelOidRequest;
extern const NDIS_OID MPSupportedOids[];
extern const ULONG MPSupportedOidsLength;	/* bytes */
PVOID MPOidBuffer(_In_ PNDIS_OID_REQUEST Request);
ULONG MPOidInLength(_In_ PNDIS_OID_REQUEST Request);
ULONG MPOidOutLength(_In_ PNDIS_OID_REQUEST Request);
VOID MPOidSetBytesNeeded(_Inout_ PNDIS_OID_REQUEST Request, ULONG Needed);
VOID MPOidSetBytesRead(_Inout_ PNDIS_OID_REQUEST Request, ULONG Read);
VOID MPOidSetBytesWritten(_Inout_ PNDIS_OID_REQUEST Request, ULONG Written);
NDIS_STATUS MPOidTooShort(_Inout_ PNDIS_OID_REQUEST Request, ULONG Needed);
BOOLEAN MPHeaderValid(_In_ const VOID *Buffer, UCHAR MinRevision, USHORT MinSize);
/*
 * The fixed structure of a request: Min bytes of input (and of output when
 * OutputToo), else NDIS_STATUS_INVALID_LENGTH with BytesNeeded = Needed; a
 * valid header, else NDIS_STATUS_INVALID_PARAMETER; copied to Params.
 */
NDIS_STATUS MPOidFixed(_Inout_ PNDIS_OID_REQUEST Request, ULONG Min, ULONG Needed, BOOLEAN OutputToo,
		       _Out_writes_bytes_(Min) PVOID Params);

/* ---- mp_parse.c (pure; tests/fuzz/fuzz_srnic_pf_oid.c) -------------------------- */
typedef enum _MP_PARSE_RESULT {
	MpParseOk,
	MpParseTooShort,	/* *Needed says how much buffer the request needs */
	MpParseInvalid,		/* a field is malformed */
	MpParseUnsupported,	/* well formed, but not something srnic can do */
} MP_PARSE_RESULT;

/*
 * The variable-length part of READ/WRITE_VF_CONFIG_SPACE and _BLOCK: the
 * data area [BufferOffset, BufferOffset + Length) must start after the
 * fixed structure and fit in BufferLength; Length is 1..MaxLength; for
 * config space [Offset, Offset + Length) must lie in the 4 KiB space
 * (SpaceSize != 0). Overflow-safe. *Needed is set on MpParseTooShort.
 */
MP_PARSE_RESULT MPParseDataArea(ULONG FixedSize, ULONG BufferLength, ULONG BufferOffset, ULONG Length,
				ULONG MaxLength, ULONG Offset, ULONG SpaceSize, _Out_ PULONG Needed);

/* A SET_FILTER buffer reduced to what srnic can steer on. */
typedef struct _MP_FILTER_SPEC {
	NDIS_RECEIVE_FILTER_ID FilterId;
	NDIS_NIC_SWITCH_VPORT_ID VPortId;
	UCHAR Mac[6];
	USHORT VlanId;		/* 0: untagged or VLAN 0 */
} MP_FILTER_SPEC, *PMP_FILTER_SPEC;

MP_PARSE_RESULT MPParseSetFilter(_In_reads_bytes_(Length) const VOID *Buffer, ULONG Length,
				 _Out_ PMP_FILTER_SPEC Spec, _Out_ PULONG Needed);

/* ---- mp_sriov.c ------------------------------------------------------------------ */
NDIS_STATUS MPSetVfState(_Inout_ PMP_ADAPTER Adapter, _Inout_ PMP_VF Vf, MP_VF_STATE To);
NDIS_STATUS MPSriovReadCapability(_Inout_ PMP_ADAPTER Adapter);
PMP_VF MPFindAllocatedVf(_In_ PMP_ADAPTER Adapter, USHORT VFId);
VOID MPVfRefreshInfo(_Inout_ PMP_ADAPTER Adapter, _Inout_ PMP_VF Vf, BOOLEAN Invalidate);
NDIS_STATUS MPSriovQuery(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled);
NDIS_STATUS MPSriovSet(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled);
NDIS_STATUS MPSriovMethod(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled);

/* ---- mp_nicswitch.c ---------------------------------------------------------------- */
NDIS_STATUS MPNicSwitchSet(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled);
NDIS_STATUS MPNicSwitchMethod(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request, _Out_ PBOOLEAN Handled);
VOID MPNicSwitchTeardown(_Inout_ PMP_ADAPTER Adapter);

/* ---- mp_vbd.c: PCI virtualization, through NDIS or srnic_vbd (spec 6.4) ---------------- */
VOID MPVbdInitialize(_Inout_ PMP_ADAPTER Adapter);
VOID MPVbdRelease(_Inout_ PMP_ADAPTER Adapter);
NDIS_STATUS NICEnableVirtualization(_In_ PMP_ADAPTER Adapter, USHORT NumVFs, BOOLEAN Enable);
ULONG NICGetVfBusData(_In_ PMP_ADAPTER Adapter, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length);
ULONG NICSetVfBusData(_In_ PMP_ADAPTER Adapter, USHORT VFId, PVOID Buffer, ULONG Offset, ULONG Length);
VOID NICGetVfLocation(_In_ PMP_ADAPTER Adapter, USHORT VFId, PUSHORT Segment, PUCHAR Bus, PUCHAR Function);
NDIS_STATUS NICQueryProbedBars(_In_ PMP_ADAPTER Adapter, PULONG BaseRegisterValues);

/* ---- mp_datapath.c -------------------------------------------------------------------- */
NDIS_STATUS MPDatapathInitialize(_Inout_ PMP_ADAPTER Adapter);
VOID MPDatapathRelease(_Inout_ PMP_ADAPTER Adapter);
VOID MPDatapathStart(_Inout_ PMP_ADAPTER Adapter);
VOID MPDatapathStop(_Inout_ PMP_ADAPTER Adapter);
MINIPORT_SEND_NET_BUFFER_LISTS MPSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS MPReturnNetBufferLists;
MINIPORT_CANCEL_SEND MPCancelSend;

#endif /* SRNIC_PF_H */
