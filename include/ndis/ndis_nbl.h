/*
 * The NET_BUFFER_LIST / NET_BUFFER / MDL subset of ndis.h (nbl.h, wdm.h
 * MDL) a miniport and a protocol use on the data path: the structures with
 * the WDK's field order for the fields kept (the SLIST_HEADER unions and
 * NET_BUFFER_LIST_CONTEXT are left out), the accessor macros, the
 * NetBufferListInfo out-of-band slots of NDIS 6.30 on x64 (so
 * NetBufferListFilteringInfo carries the receive vPort id, spec 8.3), pools,
 * MDLs, and the send / receive / return calls. Ownership is NDIS's: an NBL
 * passed down in a send belongs to the miniport until
 * NdisMSendNetBufferListsComplete; one indicated up belongs to the protocol
 * until NdisReturnNetBufferLists; the framework tracks both and the verifier
 * reports a list completed twice or never (docs/ndis/verifier.md).
 */
#ifndef IOVLAB_NDIS_NBL_H
#define IOVLAB_NDIS_NBL_H

#include "ndis_types.h"
#include "ndis_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MEMORY_ALLOCATION_ALIGNMENT 16
#define NDIS_NBL_ALIGN __attribute__((aligned(MEMORY_ALLOCATION_ALIGNMENT)))

/* ---- MDL (wdm.h subset) ------------------------------------------------ */
typedef struct _MDL {
	struct _MDL *Next;
	SHORT Size;
	SHORT MdlFlags;
	PVOID Process;
	PVOID MappedSystemVa;	/* the data: StartVa + ByteOffset */
	PVOID StartVa;		/* page-aligned */
	ULONG ByteCount;
	ULONG ByteOffset;
} MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004

typedef enum _MM_PAGE_PRIORITY {
	LowPagePriority,
	NormalPagePriority = 16,
	HighPagePriority = 32
} MM_PAGE_PRIORITY;

#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((PUCHAR)(Mdl)->StartVa + (Mdl)->ByteOffset))
#define MmGetSystemAddressForMdlSafe(Mdl, Priority) ((Mdl)->MappedSystemVa)
#define NDIS_MDL_LINKAGE(Mdl) ((Mdl)->Next)
#define NdisGetNextMdl(CurrentMdl, NextMdl) do { *(NextMdl) = (CurrentMdl)->Next; } while (0)
#define NdisQueryMdl(Mdl, VirtualAddress, Length, Priority) \
	do { \
		*(PVOID *)(VirtualAddress) = (Mdl)->MappedSystemVa; \
		*(Length) = (Mdl)->ByteCount; \
	} while (0)

/* ---- NET_BUFFER -------------------------------------------------------- */
typedef struct _NET_BUFFER_LIST NET_BUFFER_LIST, *PNET_BUFFER_LIST;
typedef struct _NET_BUFFER NET_BUFFER, *PNET_BUFFER;

struct _NET_BUFFER {
	PNET_BUFFER Next;
	PMDL CurrentMdl;
	ULONG CurrentMdlOffset;
	union {
		ULONG DataLength;
		SIZE_T stDataLength;
	};
	PMDL MdlChain;
	ULONG DataOffset;
	USHORT ChecksumBias;
	USHORT Reserved;
	NDIS_HANDLE NdisPoolHandle;
	NDIS_NBL_ALIGN PVOID NdisReserved[2];
	NDIS_NBL_ALIGN PVOID ProtocolReserved[6];
	NDIS_NBL_ALIGN PVOID MiniportReserved[4];
	NDIS_PHYSICAL_ADDRESS DataPhysicalAddress;
	PVOID SharedMemoryInfo;
};

#define NET_BUFFER_NEXT_NB(Nb) ((Nb)->Next)
#define NET_BUFFER_FIRST_MDL(Nb) ((Nb)->MdlChain)
#define NET_BUFFER_DATA_LENGTH(Nb) ((Nb)->DataLength)
#define NET_BUFFER_DATA_OFFSET(Nb) ((Nb)->DataOffset)
#define NET_BUFFER_CURRENT_MDL(Nb) ((Nb)->CurrentMdl)
#define NET_BUFFER_CURRENT_MDL_OFFSET(Nb) ((Nb)->CurrentMdlOffset)
#define NET_BUFFER_PROTOCOL_RESERVED(Nb) ((Nb)->ProtocolReserved)
#define NET_BUFFER_MINIPORT_RESERVED(Nb) ((Nb)->MiniportReserved)

/* ---- NET_BUFFER_LIST --------------------------------------------------- */
/* Out-of-band slots, NDIS 6.30 on x64 (ndis/nbl.h order). */
typedef enum _NDIS_NET_BUFFER_LIST_INFO {
	TcpIpChecksumNetBufferListInfo,
	TcpOffloadBytesTransferred = TcpIpChecksumNetBufferListInfo,
	IPsecOffloadV1NetBufferListInfo,
	IPsecOffloadV2NetBufferListInfo = IPsecOffloadV1NetBufferListInfo,
	TcpLargeSendNetBufferListInfo,
	TcpReceiveNoPush = TcpLargeSendNetBufferListInfo,
	ClassificationHandleNetBufferListInfo,
	Ieee8021QNetBufferListInfo,
	NetBufferListCancelId,
	MediaSpecificInformation,
	NetBufferListFrameType,
	NetBufferListProtocolId = NetBufferListFrameType,
	NetBufferListHashValue,
	NetBufferListHashInfo,
	WfpNetBufferListInfo,
	IPsecOffloadV2TunnelNetBufferListInfo,
	IPsecOffloadV2HeaderNetBufferListInfo,
	NetBufferListCorrelationId,
	NetBufferListFilteringInfo,
	MediaSpecificInformationEx,
	NblOriginalInterfaceIfIndex,
	NblReAuthWfpFlowContext = NblOriginalInterfaceIfIndex,
	TcpReceiveBytesTransferred,
	SwitchForwardingReserved,
	SwitchForwardingDetail,
	VirtualSubnetInfo,
	IMReserved,
	TcpRecvSegCoalesceInfo,
	RscTcpTimestampDelta,
	TcpSendOffloadsSupplementalNetBufferListInfo = RscTcpTimestampDelta,
	MaxNetBufferListInfo
} NDIS_NET_BUFFER_LIST_INFO, *PNDIS_NET_BUFFER_LIST_INFO;

struct _NET_BUFFER_LIST {
	PNET_BUFFER_LIST Next;
	PNET_BUFFER FirstNetBuffer;
	PVOID Context;		/* PNET_BUFFER_LIST_CONTEXT: not modelled, NULL */
	PNET_BUFFER_LIST ParentNetBufferList;
	NDIS_HANDLE NdisPoolHandle;
	NDIS_NBL_ALIGN PVOID NdisReserved[2];
	NDIS_NBL_ALIGN PVOID ProtocolReserved[4];
	NDIS_NBL_ALIGN PVOID MiniportReserved[2];
	PVOID Scratch;
	NDIS_HANDLE SourceHandle;
	ULONG NblFlags;
	LONG ChildRefCount;
	ULONG Flags;
	union {
		NDIS_STATUS Status;
		ULONG NdisReserved2;
	};
	PVOID NetBufferListInfo[MaxNetBufferListInfo];
};

#define NET_BUFFER_LIST_NEXT_NBL(Nbl) ((Nbl)->Next)
#define NET_BUFFER_LIST_FIRST_NB(Nbl) ((Nbl)->FirstNetBuffer)
#define NET_BUFFER_LIST_FLAGS(Nbl) ((Nbl)->Flags)
#define NET_BUFFER_LIST_STATUS(Nbl) ((Nbl)->Status)
#define NET_BUFFER_LIST_INFO(Nbl, Id) ((Nbl)->NetBufferListInfo[(Id)])
#define NET_BUFFER_LIST_PROTOCOL_RESERVED(Nbl) ((Nbl)->ProtocolReserved)
#define NET_BUFFER_LIST_MINIPORT_RESERVED(Nbl) ((Nbl)->MiniportReserved)

/* Send cancellation ids (NdisCancelSendNetBufferLists). */
#define NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(Nbl, Id) (NET_BUFFER_LIST_INFO((Nbl), NetBufferListCancelId) = (PVOID)(Id))
#define NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(Nbl) (NET_BUFFER_LIST_INFO((Nbl), NetBufferListCancelId))

/* The receive-filter OOB slot (spec 8.3): FilterId + QueueId/VPortId. */
typedef struct _NDIS_NET_BUFFER_LIST_FILTERING_INFO {
	union {
		struct {
			USHORT FilterId;
			union {
				USHORT QueueId;
				USHORT VPortId;
			} QueueVPortInfo;
		} FilteringInfo;
		PVOID Value;
	};
} NDIS_NET_BUFFER_LIST_FILTERING_INFO, *PNDIS_NET_BUFFER_LIST_FILTERING_INFO;

#define NET_BUFFER_LIST_FILTERING_INFO(Nbl) \
	((PNDIS_NET_BUFFER_LIST_FILTERING_INFO)&NET_BUFFER_LIST_INFO((Nbl), NetBufferListFilteringInfo))
#define NET_BUFFER_LIST_RECEIVE_FILTER_ID(Nbl) \
	(NET_BUFFER_LIST_FILTERING_INFO(Nbl)->FilteringInfo.FilterId)
#define NET_BUFFER_LIST_RECEIVE_QUEUE_ID(Nbl) \
	(NET_BUFFER_LIST_FILTERING_INFO(Nbl)->FilteringInfo.QueueVPortInfo.QueueId)
#define NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(Nbl) \
	(NET_BUFFER_LIST_FILTERING_INFO(Nbl)->FilteringInfo.QueueVPortInfo.VPortId)

/* ---- pools --------------------------------------------------------------- */
#define NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 1
typedef struct _NET_BUFFER_LIST_POOL_PARAMETERS {
	NDIS_OBJECT_HEADER Header;	/* NDIS_OBJECT_TYPE_DEFAULT, revision 1 */
	UCHAR ProtocolId;
	BOOLEAN fAllocateNetBuffer;	/* NdisAllocateNetBufferAndNetBufferList */
	USHORT ContextSize;		/* must be 0 in iovlab */
	ULONG PoolTag;
	ULONG DataSize;			/* > 0: NDIS allocates the data and its MDL */
} NET_BUFFER_LIST_POOL_PARAMETERS, *PNET_BUFFER_LIST_POOL_PARAMETERS;
#define NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 \
	RTL_SIZEOF_THROUGH_FIELD(NET_BUFFER_LIST_POOL_PARAMETERS, DataSize)

#define NDIS_PROTOCOL_ID_DEFAULT 0x00
#define NDIS_PROTOCOL_ID_TCP_IP 0x02
#define NDIS_DEFAULT_PORT_NUMBER ((NDIS_PORT_NUMBER)0)

/* ---- send / receive flags ---------------------------------------------- */
#define NDIS_SEND_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK 0x00000002
#define NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL 0x00000001
#define NDIS_RECEIVE_FLAGS_RESOURCES 0x00000002
#define NDIS_RETURN_FLAGS_DISPATCH_LEVEL 0x00000001

#ifdef __cplusplus
}
#endif
#endif /* IOVLAB_NDIS_NBL_H */
