/*
 * mp_oid.c -- MiniportOidRequest of the srnic PF: dispatch by request type
 * to the SR-IOV (mp_sriov.c) and NIC-switch / receive-filter
 * (mp_nicswitch.c) handlers, the general OIDs a NIC answers, the
 * SupportedOidList (every P OID of spec 3.2, listed whatever *SRIOV says:
 * with SR-IOV off they fail with NDIS_STATUS_NOT_SUPPORTED), and the
 * length helpers every handler uses. Length rule (spec 3.1, documented in
 * docs/drivers/srnic_pf.md): a buffer shorter than the structure's
 * revision-1 size fails with NDIS_STATUS_INVALID_LENGTH and BytesNeeded =
 * sizeof(structure) in the DATA member of the request type; a bad header is
 * NDIS_STATUS_INVALID_PARAMETER. Requests complete synchronously.
 */
#include "srnic_pf.h"

const NDIS_OID MPSupportedOids[] = {
	/* general */
	OID_GEN_HARDWARE_STATUS, OID_GEN_MEDIA_SUPPORTED, OID_GEN_MEDIA_IN_USE, OID_GEN_PHYSICAL_MEDIUM,
	OID_GEN_MAXIMUM_LOOKAHEAD, OID_GEN_CURRENT_LOOKAHEAD, OID_GEN_MAXIMUM_FRAME_SIZE, OID_GEN_MAXIMUM_TOTAL_SIZE,
	OID_GEN_LINK_SPEED, OID_GEN_TRANSMIT_BLOCK_SIZE, OID_GEN_RECEIVE_BLOCK_SIZE, OID_GEN_VENDOR_ID,
	OID_GEN_VENDOR_DESCRIPTION, OID_GEN_VENDOR_DRIVER_VERSION, OID_GEN_DRIVER_VERSION, OID_GEN_CURRENT_PACKET_FILTER,
	OID_GEN_MAC_OPTIONS, OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_MAXIMUM_SEND_PACKETS, OID_GEN_XMIT_OK, OID_GEN_RCV_OK,
	OID_GEN_XMIT_ERROR, OID_GEN_RCV_ERROR, OID_GEN_RCV_NO_BUFFER, OID_802_3_PERMANENT_ADDRESS,
	OID_802_3_CURRENT_ADDRESS, OID_802_3_MULTICAST_LIST, OID_802_3_MAXIMUM_LIST_SIZE,
	/* NIC switch (spec 3.2, "P") */
	OID_NIC_SWITCH_CREATE_SWITCH, OID_NIC_SWITCH_PARAMETERS, OID_NIC_SWITCH_DELETE_SWITCH,
	OID_NIC_SWITCH_CREATE_VPORT, OID_NIC_SWITCH_VPORT_PARAMETERS, OID_NIC_SWITCH_DELETE_VPORT,
	OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_FREE_VF,
	/* SR-IOV */
	OID_SRIOV_READ_VF_CONFIG_SPACE, OID_SRIOV_WRITE_VF_CONFIG_SPACE, OID_SRIOV_READ_VF_CONFIG_BLOCK,
	OID_SRIOV_WRITE_VF_CONFIG_BLOCK, OID_SRIOV_RESET_VF, OID_SRIOV_SET_VF_POWER_STATE, OID_SRIOV_VF_VENDOR_DEVICE_ID,
	OID_SRIOV_PROBED_BARS, OID_SRIOV_BAR_RESOURCES,
	/* receive filters on vPorts */
	OID_RECEIVE_FILTER_SET_FILTER, OID_RECEIVE_FILTER_CLEAR_FILTER, OID_RECEIVE_FILTER_MOVE_FILTER,
};
const ULONG MPSupportedOidsLength = sizeof(MPSupportedOids);

/* ---- helpers ---------------------------------------------------------------------- */
PVOID MPOidBuffer(_In_ PNDIS_OID_REQUEST Request)
{
	return Request->DATA.QUERY_INFORMATION.InformationBuffer;	/* same place in all three */
}

ULONG MPOidInLength(_In_ PNDIS_OID_REQUEST Request)
{
	switch (Request->RequestType) {
	case NdisRequestMethod:
		return Request->DATA.METHOD_INFORMATION.InputBufferLength;
	case NdisRequestSetInformation:
		return Request->DATA.SET_INFORMATION.InformationBufferLength;
	default:
		return 0;
	}
}

ULONG MPOidOutLength(_In_ PNDIS_OID_REQUEST Request)
{
	switch (Request->RequestType) {
	case NdisRequestMethod:
		return Request->DATA.METHOD_INFORMATION.OutputBufferLength;
	case NdisRequestSetInformation:
		return 0;
	default:
		return Request->DATA.QUERY_INFORMATION.InformationBufferLength;
	}
}

VOID MPOidSetBytesNeeded(_Inout_ PNDIS_OID_REQUEST Request, ULONG Needed)
{
	switch (Request->RequestType) {
	case NdisRequestMethod:
		Request->DATA.METHOD_INFORMATION.BytesNeeded = Needed;
		break;
	case NdisRequestSetInformation:
		Request->DATA.SET_INFORMATION.BytesNeeded = Needed;
		break;
	default:
		Request->DATA.QUERY_INFORMATION.BytesNeeded = Needed;
		break;
	}
}

VOID MPOidSetBytesRead(_Inout_ PNDIS_OID_REQUEST Request, ULONG Read)
{
	if (Request->RequestType == NdisRequestMethod)
		Request->DATA.METHOD_INFORMATION.BytesRead = Read;
	else if (Request->RequestType == NdisRequestSetInformation)
		Request->DATA.SET_INFORMATION.BytesRead = Read;
}

VOID MPOidSetBytesWritten(_Inout_ PNDIS_OID_REQUEST Request, ULONG Written)
{
	if (Request->RequestType == NdisRequestMethod)
		Request->DATA.METHOD_INFORMATION.BytesWritten = Written;
	else if (Request->RequestType != NdisRequestSetInformation)
		Request->DATA.QUERY_INFORMATION.BytesWritten = Written;
}

NDIS_STATUS MPOidTooShort(_Inout_ PNDIS_OID_REQUEST Request, ULONG Needed)
{
	MPOidSetBytesNeeded(Request, Needed);
	return NDIS_STATUS_INVALID_LENGTH;
}

BOOLEAN MPHeaderValid(_In_ const VOID *Buffer, UCHAR MinRevision, USHORT MinSize)
{
	NDIS_OBJECT_HEADER h;

	NdisMoveMemory(&h, Buffer, sizeof(h));
	return h.Type == NDIS_OBJECT_TYPE_DEFAULT && h.Revision >= MinRevision && h.Size >= MinSize;
}

NDIS_STATUS MPOidFixed(_Inout_ PNDIS_OID_REQUEST Request, ULONG Min, ULONG Needed, BOOLEAN OutputToo,
		       _Out_writes_bytes_(Min) PVOID Params)
{
	if (MPOidInLength(Request) < Min || (OutputToo && MPOidOutLength(Request) < Min))
		return MPOidTooShort(Request, Needed);
	if (!MPHeaderValid(MPOidBuffer(Request), 1, (USHORT)Min))
		return NDIS_STATUS_INVALID_PARAMETER;
	NdisMoveMemory(Params, MPOidBuffer(Request), Min);
	return NDIS_STATUS_SUCCESS;
}

/* ---- general OIDs ------------------------------------------------------------------- */
static NDIS_STATUS MPQueryCopy(_Inout_ PNDIS_OID_REQUEST Request, const VOID *Data, ULONG Length)
{
	if (Request->DATA.QUERY_INFORMATION.InformationBufferLength < Length)
		return MPOidTooShort(Request, Length);
	NdisMoveMemory(Request->DATA.QUERY_INFORMATION.InformationBuffer, Data, Length);
	Request->DATA.QUERY_INFORMATION.BytesWritten = Length;
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPQueryUlong(_Inout_ PNDIS_OID_REQUEST Request, ULONG Value)
{
	return MPQueryCopy(Request, &Value, sizeof(Value));
}

static NDIS_STATUS MPQueryGeneral(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	static const char Desc[] = MP_VENDOR_DESCRIPTION;

	switch (Request->DATA.QUERY_INFORMATION.Oid) {
	case OID_GEN_HARDWARE_STATUS:
		return MPQueryUlong(Request, 0);	/* NdisHardwareStatusReady */
	case OID_GEN_MEDIA_SUPPORTED:
	case OID_GEN_MEDIA_IN_USE:
		return MPQueryUlong(Request, NdisMedium802_3);
	case OID_GEN_PHYSICAL_MEDIUM:
		return MPQueryUlong(Request, NdisPhysicalMedium802_3);
	case OID_GEN_MAXIMUM_LOOKAHEAD:
	case OID_GEN_MAXIMUM_FRAME_SIZE:
		return MPQueryUlong(Request, MP_MTU);
	case OID_GEN_CURRENT_LOOKAHEAD:
		return MPQueryUlong(Request, Adapter->Lookahead);
	case OID_GEN_MAXIMUM_TOTAL_SIZE:
	case OID_GEN_TRANSMIT_BLOCK_SIZE:
	case OID_GEN_RECEIVE_BLOCK_SIZE:
		return MPQueryUlong(Request, MP_MAX_FRAME);
	case OID_GEN_LINK_SPEED:
		return MPQueryUlong(Request, (ULONG)(MP_LINK_SPEED / 100));	/* units of 100 bit/s */
	case OID_GEN_VENDOR_ID:
		return MPQueryUlong(Request, (ULONG)Adapter->PermanentMac[0] | (ULONG)Adapter->PermanentMac[1] << 8 |
						     (ULONG)Adapter->PermanentMac[2] << 16);
	case OID_GEN_VENDOR_DESCRIPTION:
		return MPQueryCopy(Request, Desc, sizeof(Desc));
	case OID_GEN_VENDOR_DRIVER_VERSION:
		return MPQueryUlong(Request, MP_MAJOR_DRIVER_VERSION << 16 | MP_MINOR_DRIVER_VERSION);
	case OID_GEN_DRIVER_VERSION:
		return MPQueryUlong(Request, NDIS_MINIPORT_MAJOR_VERSION << 8 | NDIS_MINIPORT_MINOR_VERSION);
	case OID_GEN_CURRENT_PACKET_FILTER:
		return MPQueryUlong(Request, Adapter->PacketFilter);
	case OID_GEN_MAC_OPTIONS:
		return MPQueryUlong(Request, NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
						     NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_FULL_DUPLEX |
						     NDIS_MAC_OPTION_8021Q_VLAN);
	case OID_GEN_MEDIA_CONNECT_STATUS:
		return MPQueryUlong(Request, HWUplinkUp(Adapter) ? NdisMediaStateConnected : NdisMediaStateDisconnected);
	case OID_GEN_MAXIMUM_SEND_PACKETS:
		return MPQueryUlong(Request, MP_RING_SIZE - 1);
	case OID_GEN_XMIT_OK:
		return MPQueryUlong(Request, HWReadRegister(Adapter, SRNIC_REG_STAT_TX_FRAMES));
	case OID_GEN_RCV_OK:
		return MPQueryUlong(Request, HWReadRegister(Adapter, SRNIC_REG_STAT_RX_FRAMES));
	case OID_GEN_XMIT_ERROR:
		return MPQueryUlong(Request, HWReadRegister(Adapter, SRNIC_REG_STAT_DROP_BAD_DESC) +
						     HWReadRegister(Adapter, SRNIC_REG_STAT_DROP_LINK_DOWN));
	case OID_GEN_RCV_ERROR:
		return MPQueryUlong(Request, HWReadRegister(Adapter, SRNIC_REG_STAT_DMA_ERRORS));
	case OID_GEN_RCV_NO_BUFFER:
		return MPQueryUlong(Request, HWReadRegister(Adapter, SRNIC_REG_STAT_DROP_RING_FULL));
	case OID_802_3_PERMANENT_ADDRESS:
		return MPQueryCopy(Request, Adapter->PermanentMac, 6);
	case OID_802_3_CURRENT_ADDRESS:
		return MPQueryCopy(Request, Adapter->CurrentMac, 6);
	case OID_802_3_MAXIMUM_LIST_SIZE:
		return MPQueryUlong(Request, MP_MAX_MULTICAST);
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

static NDIS_STATUS MPSetGeneral(_In_ PMP_ADAPTER Adapter, _Inout_ PNDIS_OID_REQUEST Request)
{
	PVOID Buf = Request->DATA.SET_INFORMATION.InformationBuffer;
	ULONG Len = Request->DATA.SET_INFORMATION.InformationBufferLength;
	const ULONG supported = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST |
				NDIS_PACKET_TYPE_BROADCAST;
	ULONG v;

	switch (Request->DATA.SET_INFORMATION.Oid) {
	case OID_GEN_CURRENT_PACKET_FILTER:
		if (Len < sizeof(ULONG))
			return MPOidTooShort(Request, sizeof(ULONG));
		NdisMoveMemory(&v, Buf, sizeof(v));
		if (v & ~supported)
			return NDIS_STATUS_NOT_SUPPORTED;
		Adapter->PacketFilter = v;
		Request->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		return NDIS_STATUS_SUCCESS;
	case OID_GEN_CURRENT_LOOKAHEAD:
		if (Len < sizeof(ULONG))
			return MPOidTooShort(Request, sizeof(ULONG));
		NdisMoveMemory(&v, Buf, sizeof(v));
		if (v > MP_MTU)
			return NDIS_STATUS_INVALID_DATA;
		Adapter->Lookahead = v;
		Request->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		return NDIS_STATUS_SUCCESS;
	case OID_802_3_MULTICAST_LIST:
		if (Len % 6)
			return MPOidTooShort(Request, (Len / 6 + 1) * 6);
		if (Len / 6 > MP_MAX_MULTICAST)
			return NDIS_STATUS_MULTICAST_FULL;
		Adapter->MulticastCount = Len / 6;
		Request->DATA.SET_INFORMATION.BytesRead = Len;
		return NDIS_STATUS_SUCCESS;
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

/* ---- dispatch ---------------------------------------------------------------------- */
NDIS_STATUS MPOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	NDIS_OID Oid = OidRequest->DATA.QUERY_INFORMATION.Oid;
	BOOLEAN Handled = FALSE;
	NDIS_STATUS Status;

	/* IovlabFailOid (mp_fault.c): the lab's stand-in for a vendor bug in this handler. */
	if (Adapter->FailOid && Oid == Adapter->FailOid) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_OID, "OID 0x%08x type %d: failed with 0x%x (IovlabFailOid)", Oid,
			    OidRequest->RequestType, (unsigned)Adapter->FailStatus);
		return Adapter->FailStatus;
	}
	switch (OidRequest->RequestType) {
	case NdisRequestQueryInformation:
	case NdisRequestQueryStatistics:
		Status = MPSriovQuery(Adapter, OidRequest, &Handled);
		if (!Handled)
			Status = MPQueryGeneral(Adapter, OidRequest);
		break;
	case NdisRequestSetInformation:
		Status = MPNicSwitchSet(Adapter, OidRequest, &Handled);
		if (!Handled)
			Status = MPSriovSet(Adapter, OidRequest, &Handled);
		if (!Handled)
			Status = MPSetGeneral(Adapter, OidRequest);
		break;
	case NdisRequestMethod:
		Status = MPNicSwitchMethod(Adapter, OidRequest, &Handled);
		if (!Handled)
			Status = MPSriovMethod(Adapter, OidRequest, &Handled);
		if (!Handled)
			Status = NDIS_STATUS_INVALID_OID;
		break;
	default:
		Status = NDIS_STATUS_NOT_SUPPORTED;
		break;
	}
	TraceEvents(Status == NDIS_STATUS_SUCCESS ? TRACE_LEVEL_VERBOSE : TRACE_LEVEL_INFORMATION, TRACE_OID,
		    "OID 0x%08x type %d: status 0x%x", Oid, OidRequest->RequestType, (unsigned)Status);
	return Status;
}

VOID MPCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
	/* Every request completes inside MPOidRequest: nothing is ever pending. */
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(RequestId);
}
