/*
 * netvsc.h -- iovlab's netvsc.sys, the guest's synthetic NIC driver
 * (ndis-sriov-spec.md 1.1 row 13, 1.2, 1.5, 2.17), written as a Windows NDIS
 * 6.30 driver against include/ndis. One binary, two edges, two services
 * (docs/hv/netvsc-edges.md):
 *   - the miniport edge (service "netvsc", netvsc.inf): the VM network
 *     adapter guest protocols bind to (UpperRange ndis5), running over the
 *     NVSP engine it reaches through its PDO (netvsc_channel.h);
 *     mp_main.c (DriverEntry, lifecycle, the adapter table), mp_oid.c,
 *     mp_datapath.c;
 *   - the VF protocol edge (service "netvscvfpp", netvscvfpp.inf, protocol
 *     name NETVSCVFPP, LowerRange ndisvf): binds to VF miniports only,
 *     matches OID_SRIOV_VF_SERIAL_NUMBER against the serial the host sent
 *     over NVSP and plugs the VF into the matching adapter's data path, or
 *     declines with the failing status; vf_main.c.
 * The two edges find each other through the adapter table below: both are
 * the same driver package on Windows too. This header is their shared,
 * private state; nothing outside src/hv/netvsc includes it.
 */
#ifndef IOVLAB_HV_NETVSC_NETVSC_H
#define IOVLAB_HV_NETVSC_NETVSC_H

#include <ndis/ndis.h>

#include "netvsc_channel.h"
#include "trace.h"

#define NETVSC_TAG		0x6373764e	/* 'Nvsc' */
#define NETVSC_DRIVER_VERSION_MAJOR 1
#define NETVSC_DRIVER_VERSION_MINOR 0
#define NETVSC_VENDOR_DESCRIPTION "Microsoft Hyper-V Network Adapter (iovlab)"
#define NETVSC_LINK_SPEED	10000000000ull	/* what Hyper-V's synthetic NIC reports */
#define NETVSC_MAX_MULTICAST	32u
#define NETVSC_BUFFER_SIZE	1536u		/* one frame (1518) and then some */
#define NETVSC_TX_BATCH		64u		/* frames per SendFrames call */
#define NETVSC_RX_NBLS		512u		/* receive NBLs per adapter */
#define NETVSC_VF_TX_NBLS	512u		/* send NBLs per VF binding */
#define NETVSC_VF_TX_NBLS_INITIAL 64u	/* of them allocated at bind; VFSend adds the rest as needed */
#define NETVSC_VF_RX_BATCH	64u
#define NETVSC_SWITCH_TIMEOUT_MS 5000u
#define NETVSC_PACKET_FILTERS                                                          \
	(NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST | \
	 NDIS_PACKET_TYPE_BROADCAST | NDIS_PACKET_TYPE_PROMISCUOUS)

/* The service names DriverEntry tells the two edges apart by (RegistryPath). */
#define NETVSC_MINIPORT_SERVICE	u"netvsc"
#define NETVSC_VF_SERVICE	u"netvscvfpp"
#define NETVSC_VF_PROTOCOL_NAME	"NETVSCVFPP"

/* ---- the miniport adapter (docs/ndis/adapter-states.md) ----------------- */
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
 * A VF binding's life (docs/hv/netvsc-edges.md, "VF binding states"):
 *   Opening -> Standby      serial matched a NetVsc adapter: Bound
 *   Opening -> Closed       query failed or no match: Declined with <status>
 *   Standby -> Active       VF running, link up, association matches: plugged
 *                           in, data path switched to the VF (host acked)
 *   Active -> Standby       VF pausing, link down, association withdrawn,
 *                           adapter halting: data path switched back first
 *   Standby -> Closing      ProtocolUnbindAdapterEx (never from Active)
 *   Closing -> Closed       NdisCloseAdapterEx done
 */
typedef enum _VF_BINDING_STATE {
	VfBindingOpening,
	VfBindingStandby,
	VfBindingActive,
	VfBindingClosing,
	VfBindingClosed,
	VfBindingStateCount
} VF_BINDING_STATE;

typedef struct _VF_BINDING VF_BINDING, *PVF_BINDING;
typedef struct _MP_ADAPTER MP_ADAPTER, *PMP_ADAPTER;

struct _MP_ADAPTER {
	PMP_ADAPTER Next;		/* the adapter table (NetvscAdapters) */
	NDIS_HANDLE AdapterHandle;
	MP_ADAPTER_STATE State;
	ULONG Index;			/* "NetVsc #n" in traces: the interface index */
	BOOLEAN SurpriseRemoved;

	/* The channel (netvsc_channel.h), open between Initialize and Halt. */
	NETVSC_CHANNEL_INTERFACE Channel;
	BOOLEAN ChannelOpen;
	NETVSC_CHANNEL_INFO Info;
	BOOLEAN LinkUp;

	/* OID state */
	ULONG PacketFilter;
	ULONG Lookahead;
	UCHAR MulticastList[NETVSC_MAX_MULTICAST][6];
	ULONG MulticastCount;

	/* Send: NBLs the engine has not taken yet, oldest first. */
	PNET_BUFFER_LIST SendHead, SendTail;
	PNET_BUFFER SendNextNb;		/* first NB of SendHead not yet taken */
	BOOLEAN Draining;
	PUCHAR TxStorage;		/* NETVSC_TX_BATCH frames for NdisGetDataBuffer */

	/* Receive: our NBLs, each with one NETVSC_BUFFER_SIZE buffer. */
	NDIS_HANDLE RxPool;
	PNET_BUFFER_LIST RxFree;
	ULONG RxAllocated, RxOutstanding;
	BOOLEAN PausePending;

	/* The VF (vf_main.c): the association the host sent, the binding matched to it. */
	BOOLEAN VfAllocated;
	ULONG VfSerial;
	PVF_BINDING Vf;
	BOOLEAN VfWorkPending;		/* re-evaluate the VF binding once the engine is idle */

	/* statistics (OID_GEN_*) */
	ULONG64 TxFrames, TxBytes, TxErrors, TxHeld;
	ULONG64 RxFrames, RxBytes, RxNoBuffer, RxDiscards, RxFromVf;
};

struct _VF_BINDING {
	PVF_BINDING Next;		/* the VF binding list (NetvscVfBindings) */
	VF_BINDING_STATE State;
	NDIS_HANDLE BindingHandle;
	NDIS_HANDLE BindContext;
	CHAR Name[64];			/* the VF adapter's name, for traces */
	ULONG Serial;			/* OID_SRIOV_VF_SERIAL_NUMBER */
	PMP_ADAPTER Adapter;		/* the NetVsc adapter it belongs to */
	/* Conditions for Active (state says what is, these say what may be). */
	BOOLEAN VfRunning;		/* NetEventRestart seen, no NetEventPause since */
	BOOLEAN VfLinkUp;

	NDIS_OID_REQUEST SerialRequest;
	NDIS_SRIOV_VF_SERIAL_NUMBER_INFO SerialInfo;
	NDIS_OID_REQUEST FilterRequest;
	ULONG FilterValue;
	NDIS_STATUS FilterStatus;

	NDIS_HANDLE TxPool;
	PNET_BUFFER_LIST TxFree;
	ULONG TxAllocated, TxOutstanding;
	PUCHAR RxStorage;		/* NETVSC_VF_RX_BATCH frames */

	ULONG64 TxFrames, TxCompleted, TxFailed, RxFrames, RxDropped, Activations;
};

/* ---- mp_main.c ---------------------------------------------------------- */
extern PMP_ADAPTER NetvscAdapters;
const char *MPAdapterStateName(MP_ADAPTER_STATE State);
BOOLEAN MPAdapterStateTransitionAllowed(MP_ADAPTER_STATE From, MP_ADAPTER_STATE To);
NDIS_STATUS MPSetAdapterState(PMP_ADAPTER Adapter, MP_ADAPTER_STATE To);
NDIS_STATUS MPDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
const char *NetvscStatusName(NDIS_STATUS Status);
/* Milliseconds on a monotonic clock (KeQueryInterruptTime's role). */
ULONG64 NetvscNowMs(VOID);

/* ---- mp_oid.c ----------------------------------------------------------- */
extern const NDIS_OID NetvscSupportedOids[];
extern const ULONG NetvscSupportedOidsSize;
MINIPORT_OID_REQUEST MPOidRequest;
MINIPORT_CANCEL_OID_REQUEST MPCancelOidRequest;

/* ---- mp_datapath.c ------------------------------------------------------ */
MINIPORT_SEND_NET_BUFFER_LISTS MPSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS MPReturnNetBufferLists;
MINIPORT_CANCEL_SEND MPCancelSend;
NDIS_STATUS MPAllocateReceiveNbls(PMP_ADAPTER Adapter);
VOID MPFreeReceiveNbls(PMP_ADAPTER Adapter);
/* Send what the engine will take now (also the retry from ChannelIdle). */
VOID MPDrainSendQueue(PMP_ADAPTER Adapter);
/* Complete every queued send with Status (pause, halt, channel gone). */
VOID MPFailSendQueue(PMP_ADAPTER Adapter, NDIS_STATUS Status);
/* Copy frames into our receive NBLs and indicate them (synthetic and VF path). */
VOID MPIndicateFrames(PMP_ADAPTER Adapter, const NETVSC_FRAME *Frames, ULONG Count);
NETVSC_RECEIVE_FRAMES MPReceiveFrames;

/* ---- vf_main.c ---------------------------------------------------------- */
extern PVF_BINDING NetvscVfBindings;
const char *VFBindingStateName(VF_BINDING_STATE State);
BOOLEAN VFBindingStateTransitionAllowed(VF_BINDING_STATE From, VF_BINDING_STATE To);
NDIS_STATUS VFDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
/* The adapter's association changed or the engine went idle: act on it. */
VOID VFAdapterChanged(PMP_ADAPTER Adapter);
/* The adapter is halting: leave the VF (data path back first) and unlink. */
VOID VFAdapterHalting(PMP_ADAPTER Adapter);
/* A protocol changed the adapter's packet filter: the VF gets it too. */
VOID VFPacketFilterChanged(PMP_ADAPTER Adapter);

#endif /* IOVLAB_HV_NETVSC_NETVSC_H */
