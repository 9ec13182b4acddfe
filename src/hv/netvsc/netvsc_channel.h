/*
 * netvsc_channel.h -- the private interface between the guest's VMBus bus
 * driver and netvsc.sys: what NetVsc's miniport edge finds on its PDO. On
 * Hyper-V, netvsc.sys reaches its VMBus channel through the kernel-mode
 * client library (VmbChannelAllocate on the PDO) and speaks NVSP itself; in
 * iovlab the NVSP engine is the lab's src/hv/netvsc_proto.c, so the bus side
 * (netvsc_dev.c) wraps that engine in this table and answers
 * IRP_MN_QUERY_INTERFACE(GUID_NETVSC_CHANNEL_INTERFACE) on the synthetic
 * NIC's PDO with it, the way vpci.sys answers GUID_VPCI_INTERFACE_STANDARD
 * (ndis-sriov-spec.md 6.2). The miniport gets its PDO with
 * NdisMGetDeviceProperty and sends the query down (docs/hv/netvsc-edges.md,
 * "How the miniport edge reaches the engine").
 *
 * Driver-facing, so Windows idiom: NTSTATUS results, PVOID contexts. Every
 * function runs on the guest partition's one thread. A call that would
 * enter the engine while the engine is already running (from one of the
 * callbacks below, or while the engine waits for the host) returns
 * STATUS_DEVICE_BUSY instead of re-entering it; ChannelIdle is called once
 * the engine is idle again, so the caller retries from there.
 */
#ifndef IOVLAB_HV_NETVSC_CHANNEL_H
#define IOVLAB_HV_NETVSC_CHANNEL_H

#include <ndis/ndis.h>

/* iovlab's own GUID ("netvsc" in the last bytes); Hyper-V has no such interface. */
DEFINE_GUID(GUID_NETVSC_CHANNEL_INTERFACE, 0x3c6c7b59, 0x5d1e, 0x4c1b,
	    0x9a, 0x52, 0x00, 0x6e, 0x65, 0x74, 0x76, 0x73);
#define NETVSC_CHANNEL_INTERFACE_VERSION 1

/* The synthetic NIC's class GUID, as the VMBus offer carries it (netvsc's INF matches it). */
#define NETVSC_HARDWARE_ID "VMBUS\\{f8615163-df3e-46c5-913f-f2d2f965ed0e}"

#ifndef STATUS_IO_TIMEOUT
#define STATUS_IO_TIMEOUT ((NTSTATUS)0xC00000B5L)
#endif

/* One Ethernet frame: 14..1518 bytes, valid only during the call that passes it. */
typedef struct _NETVSC_FRAME {
	const VOID *Data;
	ULONG Length;
} NETVSC_FRAME, *PNETVSC_FRAME;

#define NETVSC_FRAME_MIN 14u
#define NETVSC_FRAME_MAX 1518u

/* ---- what the miniport edge implements (called by the bus side) -------- */
/* Frames received on the synthetic path, in order. */
typedef VOID (NETVSC_RECEIVE_FRAMES)(PVOID Context, const NETVSC_FRAME *Frames, ULONG Count);
/* Media connect state changed (also FALSE once the channel is rescinded). */
typedef VOID (NETVSC_LINK_CHANGE)(PVOID Context, BOOLEAN Up);
/*
 * The host associated a VF (Allocated, Serial), or withdrew it (!Allocated,
 * reported once the data path is synthetic again, spec 2.17).
 */
typedef VOID (NETVSC_VF_ASSOCIATION)(PVOID Context, BOOLEAN Allocated, ULONG Serial);
/* The engine is idle: send what was held, finish deferred work. */
typedef VOID (NETVSC_CHANNEL_IDLE)(PVOID Context);

typedef struct _NETVSC_CHANNEL_CALLBACKS {
	NETVSC_RECEIVE_FRAMES *ReceiveFrames;	/* required */
	NETVSC_LINK_CHANGE *LinkChange;
	NETVSC_VF_ASSOCIATION *VfAssociation;
	NETVSC_CHANNEL_IDLE *ChannelIdle;
} NETVSC_CHANNEL_CALLBACKS, *PNETVSC_CHANNEL_CALLBACKS;

/* ---- what the VF protocol edge implements (plugged in with SetVf) -------- */
/* Send frames through the VF, in order; *Taken says how many it took (data copied). */
typedef NTSTATUS (NETVSC_VF_SEND)(PVOID Context, const NETVSC_FRAME *Frames, ULONG Count, PULONG Taken);
/* Return once every frame the VF took has left it (send-completed), or TimeoutMs passed. */
typedef NTSTATUS (NETVSC_VF_FLUSH)(PVOID Context, ULONG TimeoutMs);

typedef struct _NETVSC_VF_CALLBACKS {
	NETVSC_VF_SEND *Send;
	NETVSC_VF_FLUSH *Flush;
} NETVSC_VF_CALLBACKS, *PNETVSC_VF_CALLBACKS;

/* ---- the interface ------------------------------------------------------ */
typedef struct _NETVSC_CHANNEL_INFO {
	UCHAR MacAddress[6];
	ULONG MaxFrameSize;	/* the host's MTU plus the Ethernet header */
	BOOLEAN LinkUp;
	ULONG NvspVersion;
} NETVSC_CHANNEL_INFO, *PNETVSC_CHANNEL_INFO;

/* The data path as the engine sees it (netvsc_proto.h enum netvsc_dp_state). */
typedef enum _NETVSC_DATA_PATH {
	NetvscDataPathSynthetic,
	NetvscDataPathSwitchingToVf,
	NetvscDataPathVf,
	NetvscDataPathSwitchingToSynthetic,
	NetvscDataPathError,
	NetvscDataPathRescinded,
} NETVSC_DATA_PATH;

typedef struct _NETVSC_CHANNEL_INTERFACE {
	/* INTERFACE header */
	USHORT Size;
	USHORT Version;
	PVOID Context;
	PINTERFACE_REFERENCE InterfaceReference;
	PINTERFACE_DEREFERENCE InterfaceDereference;
	/*
	 * Open the channel and run the NVSP handshake (MiniportInitializeEx).
	 * Callbacks start once it returns success. STATUS_DEVICE_REMOVED (no
	 * channel), STATUS_NOT_SUPPORTED (no common version), STATUS_IO_TIMEOUT,
	 * STATUS_UNSUCCESSFUL, STATUS_DEVICE_BUSY (already open).
	 */
	NTSTATUS (*OpenChannel)(PVOID Context, const NETVSC_CHANNEL_CALLBACKS *Callbacks, PVOID CallbackContext,
				PNETVSC_CHANNEL_INFO Info);
	/* Take the buffers back and close (MiniportHaltEx). No callback after it. */
	VOID (*CloseChannel)(PVOID Context);
	/*
	 * Send frames the way the data path says; *Taken frames were copied.
	 * Fewer than Count: no room, retry from ChannelIdle. STATUS_DEVICE_BUSY:
	 * a switch is in progress or the engine is running (nothing taken);
	 * STATUS_INVALID_PARAMETER: a frame of a bad length (nothing taken);
	 * STATUS_DEVICE_REMOVED: the channel is gone.
	 */
	NTSTATUS (*SendFrames)(PVOID Context, const NETVSC_FRAME *Frames, ULONG Count, PULONG Taken);
	/* Plug the VF in (Vf NULL: unplug). STATUS_DEVICE_BUSY while on or switching to it. */
	NTSTATUS (*SetVf)(PVOID Context, const NETVSC_VF_CALLBACKS *Vf, PVOID VfContext);
	/*
	 * SWITCH_DATA_PATH and wait for the host's acknowledgement (netvsc_proto.h).
	 * ToVf: STATUS_OBJECT_NAME_NOT_FOUND (no VF associated), STATUS_NO_SUCH_DEVICE
	 * (no VF plugged in), STATUS_NOT_SUPPORTED (NVSP < 4), STATUS_UNSUCCESSFUL
	 * (host refused). Both: STATUS_IO_TIMEOUT, STATUS_DEVICE_BUSY,
	 * STATUS_DEVICE_REMOVED.
	 */
	NTSTATUS (*SwitchDataPath)(PVOID Context, BOOLEAN ToVf, ULONG TimeoutMs);
	/* The host's VF association: TRUE and *Serial if a VF is allocated. */
	BOOLEAN (*QueryVfSerial)(PVOID Context, PULONG Serial);
	NETVSC_DATA_PATH (*QueryDataPath)(PVOID Context);
	/*
	 * Let the partition's other event sources (the VF's interrupts) run for
	 * up to TimeoutMs: what a wait on another CPU's DPC is on Windows.
	 * STATUS_SUCCESS, or STATUS_NOT_SUPPORTED if the partition gave no way.
	 */
	NTSTATUS (*Wait)(PVOID Context, ULONG TimeoutMs);
} NETVSC_CHANNEL_INTERFACE, *PNETVSC_CHANNEL_INTERFACE;

#endif /* IOVLAB_HV_NETVSC_CHANNEL_H */
