/*
 * srnic_vf.h -- the srnic VF miniport: an NDIS 6.30 miniport for the VF of
 * the lab's SR-IOV NIC, running in a Hyper-V guest (ndis-sriov-spec.md
 * 2.12-2.13, 2.17). Two ways to be loaded: on the VF's vPCI PDO (a plain
 * NDIS miniport that reads its configuration blocks with
 * NdisMReadConfigBlock), or on srnic_vbd's NIC child PDO (an NDIS-WDM
 * miniport that asks the VBD through GUID_SRNIC_VBD_INTERFACE). It
 * registers SR-IOV caps SRIOV_SUPPORTED | VF_MINIPORT (hardware and
 * current), no VMQ, no NIC switch, reads no SR-IOV keyword, refuses to run
 * outside a child partition, learns its MAC from config block 0
 * (include/wire/srnic_cfgblock.h), and sends and receives on the first
 * queue pair of its vPort through the srnic VF registers
 * (include/wire/srnic_regs.h) with rings in DMA common buffers.
 *
 * File split (netvmini 6x's): miniport.c (DriverEntry, initialize, halt,
 * pause/restart, PnP events, the adapter state machine), adapter.c
 * (attributes, config blocks, the VBD interface), hardware.c (HW*:
 * registers, rings, reset), datapath.c (send, receive, return), ctrlpath.c
 * (OIDs). docs/drivers/srnic_vf.md.
 */
#ifndef SRNIC_VF_H
#define SRNIC_VF_H

#include <ndis.h>
#include <wire/srnic_cfgblock.h>
#include <wire/srnic_regs.h>

#include "srnic_vbd_if.h"
#include "trace.h"

#define MP_TAG 0x46564e53		/* 'SNVF' */
#define MP_DRIVER_VERSION 0x00010000u	/* 1.0 */
#define MP_RING_SIZE 512u		/* descriptors per ring (power of two): room for a few ms of a flood */
#define MP_BUFFER_SIZE 2048u		/* bytes per TX/RX buffer */
#define MP_MAX_FRAME 1514u		/* 1500 + Ethernet header */
#define MP_QUEUE_PAIR 0u		/* the vPort's first queue pair */
#define MP_DEFAULT_SPEED 10000000000ull	/* 10 Gb/s */
#define MP_RX_NBLS MP_RING_SIZE	/* receive NBLs at most (MPReturnNetBufferLists recycles them) */
#define MP_RX_NBLS_INITIAL 64u	/* allocated at initialization; more as traffic needs them */
#define MP_HEALTH_EVERY 16u		/* idle services between health/link checks (miniport.c) */
#define MP_HEALTH_MIN_MS 10		/* ... and at least this long (NdisGetSystemUpTimeEx) */

/* The adapter's state machine (style.md rule 6); MpSetState checks it. */
typedef enum _MP_STATE {
	MpStateHalted,
	MpStateInitializing,
	MpStatePaused,
	MpStateRunning,
	MpStatePausing,
	MpStateResetting,
	MpStateSurpriseRemoved,
	MpStateCount
} MP_STATE;

typedef struct _MP_RING {
	struct srnic_desc *Desc;	/* MP_RING_SIZE descriptors, DMA common buffer */
	NDIS_PHYSICAL_ADDRESS DescPa;
	PUCHAR Buffers;			/* MP_RING_SIZE x MP_BUFFER_SIZE */
	NDIS_PHYSICAL_ADDRESS BuffersPa;
	ULONG Head;			/* next descriptor to reap */
	ULONG Tail;			/* next descriptor to post */
} MP_RING, *PMP_RING;

typedef struct _MP_ADAPTER {
	NDIS_HANDLE AdapterHandle;
	MP_STATE State;
	struct _MP_ADAPTER *Next;	/* the driver's adapters (SrnicVfPoll) */

	/* where we sit */
	PDEVICE_OBJECT Pdo, Fdo, NextDevice;
	BOOLEAN OverVbd;		/* NDIS-WDM over srnic_vbd */
	SRNIC_VBD_INTERFACE Vbd;
	BOOLEAN HaveVbd;

	/* what block 0 said */
	struct srnic_cfgblock_vf_info VfInfo;
	BOOLEAN VfInfoValid;
	UCHAR PermanentMac[6];
	UCHAR CurrentMac[6];
	ULONG Mtu;
	ULONG64 LinkSpeed;
	ULONG InfoReads;		/* block 0 reads (initialization + invalidations) */

	/* hardware */
	NDIS_PHYSICAL_ADDRESS Bar0Pa;
	volatile UCHAR *Bar0;
	ULONG FuncId;
	BOOLEAN LinkUp;
	PDMA_ADAPTER Dma;
	PVOID RingsVa;
	NDIS_PHYSICAL_ADDRESS RingsPa;
	PVOID BuffersVa;
	NDIS_PHYSICAL_ADDRESS BuffersPa;
	MP_RING Tx, Rx;
	PNET_BUFFER_LIST TxNbl[MP_RING_SIZE];	/* set on the slot of an NBL's last NET_BUFFER */
	/* Sends that did not fit in the TX ring yet, oldest first (posted as
	 * descriptors complete): with a doorbell page the device drains the
	 * ring after the send call returns, not inside it. */
	PNET_BUFFER_LIST WaitHead, WaitTail;
	ULONG WaitCount;

	/* NDIS */
	NDIS_HANDLE RxPool;
	PNET_BUFFER_LIST RxFree;	/* receive NBLs not indicated, each with an MP_BUFFER_SIZE buffer */
	ULONG RxAllocated;		/* allocated so far (<= MP_RX_NBLS), freed at halt */
	ULONG RxOutstanding;		/* indicated, not yet returned */
	ULONG PacketFilter;
	ULONG Lookahead;
	BOOLEAN PausePending;

	/* statistics */
	ULONG64 TxFrames, TxBytes, TxErrors, TxDiscards;
	ULONG64 RxFrames, RxBytes, RxDiscards;
	ULONG64 RxNoBuffer;		/* of RxDiscards: every receive NBL was with the protocols */
	ULONG Resets;
	ULONG HealthCountdown;		/* idle services left before the next health/link check */
	LONGLONG LastHealthMs;		/* when the last check ran (0: never) */
	NDIS_HANDLE Interrupt;		/* NdisMRegisterInterruptEx: the VF's MSI-X messages */
} MP_ADAPTER, *PMP_ADAPTER;

/* miniport.c */
extern NDIS_HANDLE MiniportDriverHandle;
BOOLEAN MpSetState(PMP_ADAPTER Adapter, MP_STATE NewState);
PCSTR MpStateName(MP_STATE State);

/* adapter.c */
NTSTATUS NICQueryVbdInterface(PMP_ADAPTER Adapter);
VOID NICReleaseVbdInterface(PMP_ADAPTER Adapter);
NDIS_STATUS NICReadVfInfo(PMP_ADAPTER Adapter);
VOID NICWriteReport(PMP_ADAPTER Adapter);
NDIS_STATUS NICSetRegistrationAttributes(PMP_ADAPTER Adapter);
NDIS_STATUS NICSetGeneralAttributes(PMP_ADAPTER Adapter);
NDIS_STATUS NICSetHardwareAssistAttributes(PMP_ADAPTER Adapter);
VOID NICIndicateLinkState(PMP_ADAPTER Adapter);
extern const NDIS_OID NICSupportedOids[];
extern const ULONG NICSupportedOidsLength;

/* hardware.c */
NDIS_STATUS HWInitialize(PMP_ADAPTER Adapter);
VOID HWShutdown(PMP_ADAPTER Adapter, BOOLEAN TouchDevice);
NDIS_STATUS HWProgramQueues(PMP_ADAPTER Adapter);
VOID HWSetMac(PMP_ADAPTER Adapter, const UCHAR *Mac);
BOOLEAN HWIsHealthy(PMP_ADAPTER Adapter);
BOOLEAN HWLinkUp(PMP_ADAPTER Adapter);
ULONG HWRead(PMP_ADAPTER Adapter, ULONG Offset);
VOID HWWrite(PMP_ADAPTER Adapter, ULONG Offset, ULONG Value);

/* datapath.c */
MINIPORT_SEND_NET_BUFFER_LISTS MPSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS MPReturnNetBufferLists;
MINIPORT_CANCEL_SEND MPCancelSend;
ULONG NICServiceRings(PMP_ADAPTER Adapter);
VOID NICFailSends(PMP_ADAPTER Adapter, NDIS_STATUS Status);
BOOLEAN NICTxIdle(PMP_ADAPTER Adapter);

/* ctrlpath.c */
MINIPORT_OID_REQUEST MPOidRequest;
MINIPORT_CANCEL_OID_REQUEST MPCancelOidRequest;

#endif /* SRNIC_VF_H */
