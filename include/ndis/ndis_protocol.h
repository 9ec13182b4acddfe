/*
 * The protocol side of ndis.h: what a protocol driver (or a protocol edge
 * such as NetVsc's VF binding) registers with NdisRegisterProtocolDriver, the
 * parameters NDIS hands it when it offers a binding (NDIS_BIND_PARAMETERS,
 * carrying the adapter's SR-IOV and NIC-switch capabilities), what it passes
 * to NdisOpenAdapterEx, and the PnP events NDIS sends to a binding. NDIS
 * offers a binding when the protocol's Ndi\Interfaces LowerRange and the
 * miniport's UpperRange share an interface name (ndis5, ndisvf, ...); a
 * protocol declines it by failing ProtocolBindAdapterEx, and NDIS keeps that
 * status for the views ("Declined with NDIS_STATUS_NOT_SUPPORTED").
 * NDIS_BIND_PARAMETERS keeps the WDK's field order; members whose types are
 * outside this SDK are PVOID.
 */
#ifndef IOVLAB_NDIS_PROTOCOL_H
#define IOVLAB_NDIS_PROTOCOL_H

#include "ndis_types.h"
#include "ndis_status.h"
#include "ntddndis.h"
#include "wdm.h"
#include "ndis_nbl.h"
#include "ndis_miniport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- PnP events to a binding ------------------------------------------- */
typedef enum _NET_PNP_EVENT_CODE {
	NetEventSetPower,
	NetEventQueryPower,
	NetEventQueryRemoveDevice,
	NetEventCancelRemoveDevice,
	NetEventReconfigure,
	NetEventBindList,
	NetEventBindsComplete,
	NetEventPnPCapabilities,
	NetEventPause,
	NetEventRestart,
	NetEventPortActivation,
	NetEventPortDeactivation,
	NetEventIMReEnableDevice,
	NetEventNDKEnable,
	NetEventNDKDisable,
	NetEventFilterPreDetach,
	NetEventBindFailed,
	NetEventSwitchActivate,
	NetEventAllowBindsAbove,
	NetEventInhibitBindsAbove,
	NetEventRequirePause,
	NetEventUploadGftFlowEntries,
	NetEventMaximum
} NET_PNP_EVENT_CODE, *PNET_PNP_EVENT_CODE;

typedef struct _NET_PNP_EVENT {
	NET_PNP_EVENT_CODE NetEvent;
	PVOID Buffer;
	ULONG BufferLength;
	ULONG_PTR NdisReserved[4];
	ULONG_PTR TransportReserved[4];
	ULONG_PTR TdiReserved[4];
	ULONG_PTR TdiClientReserved[4];
} NET_PNP_EVENT, *PNET_PNP_EVENT;

#define NET_PNP_EVENT_NOTIFICATION_REVISION_1 1
typedef struct _NET_PNP_EVENT_NOTIFICATION {
	NDIS_OBJECT_HEADER Header;
	NDIS_PORT_NUMBER PortNumber;
	NET_PNP_EVENT NetPnPEvent;
} NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;

/* ---- bind and open ------------------------------------------------------ */
#define NDIS_BIND_PARAMETERS_REVISION_1 1
#define NDIS_BIND_PARAMETERS_REVISION_2 2	/* NDIS 6.20 */
#define NDIS_BIND_PARAMETERS_REVISION_3 3	/* NDIS 6.30 */

typedef struct _NDIS_BIND_PARAMETERS {
	NDIS_OBJECT_HEADER Header;
	PNDIS_STRING ProtocolSection;
	PNDIS_STRING AdapterName;
	PDEVICE_OBJECT PhysicalDeviceObject;
	NDIS_MEDIUM MediaType;
	ULONG MtuSize;
	ULONG64 MaxXmitLinkSpeed;
	ULONG64 XmitLinkSpeed;
	ULONG64 MaxRcvLinkSpeed;
	ULONG64 RcvLinkSpeed;
	NET_IF_MEDIA_CONNECT_STATE MediaConnectState;
	NET_IF_MEDIA_DUPLEX_STATE MediaDuplexState;
	ULONG LookaheadSize;
	PVOID PowerManagementCapabilities;
	ULONG SupportedPacketFilters;
	ULONG MaxMulticastListSize;
	USHORT MacAddressLength;
	UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
	NDIS_PHYSICAL_MEDIUM PhysicalMediumType;
	PNDIS_RECEIVE_SCALE_CAPABILITIES RcvScaleCapabilities;
	NET_LUID BoundIfNetluid;
	NET_IFINDEX BoundIfIndex;
	NET_LUID LowestIfNetluid;
	NET_IFINDEX LowestIfIndex;
	NET_IF_ACCESS_TYPE AccessType;
	NET_IF_DIRECTION_TYPE DirectionType;
	NET_IF_CONNECTION_TYPE ConnectionType;
	NET_IFTYPE IfType;
	BOOLEAN IfConnectorPresent;
	PVOID ActivePorts;
	ULONG DataBackFillSize;
	ULONG ContextBackFillSize;
	ULONG MacOptions;
	ULONG CompartmentId;
	PVOID DefaultOffloadConfiguration;
	PVOID TcpConnectionOffloadCapabilities;
	PNDIS_STRING BoundAdapterName;
	/* revision 2 (NDIS 6.20) */
	PVOID HDSplitCurrentConfig;
	PNDIS_RECEIVE_FILTER_CAPABILITIES ReceiveFilterCapabilities;
	PVOID PowerManagementCapabilitiesEx;
	PNDIS_NIC_SWITCH_CAPABILITIES NicSwitchCapabilities;
	/* revision 3 (NDIS 6.30) */
	BOOLEAN NDKEnabled;
	PVOID NDKCapabilities;
	PNDIS_SRIOV_CAPABILITIES SriovCapabilities;
	PNDIS_NIC_SWITCH_INFO_ARRAY NicSwitchArray;
} NDIS_BIND_PARAMETERS, *PNDIS_BIND_PARAMETERS;

#define NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3 \
	RTL_SIZEOF_THROUGH_FIELD(NDIS_BIND_PARAMETERS, NicSwitchArray)

typedef USHORT NET_FRAME_TYPE, *PNET_FRAME_TYPE;

#define NDIS_OPEN_PARAMETERS_REVISION_1 1
typedef struct _NDIS_OPEN_PARAMETERS {
	NDIS_OBJECT_HEADER Header;	/* NDIS_OBJECT_TYPE_OPEN_PARAMETERS */
	PNDIS_STRING AdapterName;
	PNDIS_MEDIUM MediumArray;
	UINT MediumArraySize;
	PUINT SelectedMediumIndex;
	PNET_FRAME_TYPE FrameTypeArray;
	UINT FrameTypeArraySize;
} NDIS_OPEN_PARAMETERS, *PNDIS_OPEN_PARAMETERS;
#define NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1 \
	RTL_SIZEOF_THROUGH_FIELD(NDIS_OPEN_PARAMETERS, FrameTypeArraySize)

/* ---- protocol handlers -------------------------------------------------- */
typedef NDIS_STATUS (PROTOCOL_BIND_ADAPTER_EX)(NDIS_HANDLE ProtocolDriverContext,
					       NDIS_HANDLE BindContext,
					       PNDIS_BIND_PARAMETERS BindParameters);
typedef PROTOCOL_BIND_ADAPTER_EX (*BIND_HANDLER_EX);
typedef NDIS_STATUS (PROTOCOL_UNBIND_ADAPTER_EX)(NDIS_HANDLE UnbindContext,
						 NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_UNBIND_ADAPTER_EX (*UNBIND_HANDLER_EX);
typedef VOID (PROTOCOL_OPEN_ADAPTER_COMPLETE_EX)(NDIS_HANDLE ProtocolBindingContext, NDIS_STATUS Status);
typedef PROTOCOL_OPEN_ADAPTER_COMPLETE_EX (*OPEN_ADAPTER_COMPLETE_HANDLER_EX);
typedef VOID (PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX)(NDIS_HANDLE ProtocolBindingContext);
typedef PROTOCOL_CLOSE_ADAPTER_COMPLETE_EX (*CLOSE_ADAPTER_COMPLETE_HANDLER_EX);
typedef NDIS_STATUS (PROTOCOL_NET_PNP_EVENT)(NDIS_HANDLE ProtocolBindingContext,
					     PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef PROTOCOL_NET_PNP_EVENT (*NET_PNP_EVENT_HANDLER);
typedef VOID (PROTOCOL_UNINSTALL)(VOID);
typedef PROTOCOL_UNINSTALL (*UNINSTALL_PROTOCOL_HANDLER);
typedef VOID (PROTOCOL_OID_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
					     PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef PROTOCOL_OID_REQUEST_COMPLETE (*OID_REQUEST_COMPLETE_HANDLER);
typedef VOID (PROTOCOL_STATUS_EX)(NDIS_HANDLE ProtocolBindingContext,
				  PNDIS_STATUS_INDICATION StatusIndication);
typedef PROTOCOL_STATUS_EX (*STATUS_HANDLER_EX);
typedef VOID (PROTOCOL_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE ProtocolBindingContext,
						 PNET_BUFFER_LIST NetBufferLists,
						 NDIS_PORT_NUMBER PortNumber,
						 ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
typedef PROTOCOL_RECEIVE_NET_BUFFER_LISTS (*RECEIVE_NET_BUFFER_LISTS_HANDLER);
typedef VOID (PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
						       PNET_BUFFER_LIST NetBufferList,
						       ULONG SendCompleteFlags);
typedef PROTOCOL_SEND_NET_BUFFER_LISTS_COMPLETE (*SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER);
typedef VOID (PROTOCOL_DIRECT_OID_REQUEST_COMPLETE)(NDIS_HANDLE ProtocolBindingContext,
						    PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef PROTOCOL_DIRECT_OID_REQUEST_COMPLETE (*DIRECT_OID_REQUEST_COMPLETE_HANDLER);

#define NDIS_PROTOCOL_MAJOR_VERSION 6
#define NDIS_PROTOCOL_MINOR_VERSION 30
#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 1	/* NDIS 6.0 */
#define NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 2	/* NDIS 6.1+ */

typedef struct _NDIS_PROTOCOL_DRIVER_CHARACTERISTICS {
	NDIS_OBJECT_HEADER Header;
	UCHAR MajorNdisVersion;
	UCHAR MinorNdisVersion;
	UCHAR MajorDriverVersion;
	UCHAR MinorDriverVersion;
	ULONG Flags;
	NDIS_STRING Name;
	SET_OPTIONS_HANDLER SetOptionsHandler;
	BIND_HANDLER_EX BindAdapterHandlerEx;
	UNBIND_HANDLER_EX UnbindAdapterHandlerEx;
	OPEN_ADAPTER_COMPLETE_HANDLER_EX OpenAdapterCompleteHandlerEx;
	CLOSE_ADAPTER_COMPLETE_HANDLER_EX CloseAdapterCompleteHandlerEx;
	NET_PNP_EVENT_HANDLER NetPnPEventHandler;
	UNINSTALL_PROTOCOL_HANDLER UninstallHandler;
	OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
	STATUS_HANDLER_EX StatusHandlerEx;
	RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
	SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
	/* revision 2 */
	DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
} NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, *PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS;

#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 \
	RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, SendNetBufferListsCompleteHandler)
#define NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 \
	RTL_SIZEOF_THROUGH_FIELD(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, DirectOidRequestCompleteHandler)

#ifdef __cplusplus
}
#endif
#endif /* IOVLAB_NDIS_PROTOCOL_H */
