/*
 * mp_oid.c -- MiniportOidRequest of the NetVsc miniport edge: the general
 * and 802.3 OIDs a protocol stack asks a VM network adapter. Everything is
 * answered from the adapter's own state (the NVSP handshake gave the MAC
 * address and the MTU); nothing pends. The packet filter gates receive
 * indications here -- the host already filters by MAC (NetVSP, RNDIS
 * packet filter) -- and is what the VF edge pushes down to a VF it plugs in.
 */
#include "netvsc.h"

const NDIS_OID NetvscSupportedOids[] = {
	OID_GEN_SUPPORTED_LIST,
	OID_GEN_HARDWARE_STATUS,
	OID_GEN_MEDIA_SUPPORTED,
	OID_GEN_MEDIA_IN_USE,
	OID_GEN_MAXIMUM_LOOKAHEAD,
	OID_GEN_MAXIMUM_FRAME_SIZE,
	OID_GEN_LINK_SPEED,
	OID_GEN_TRANSMIT_BLOCK_SIZE,
	OID_GEN_RECEIVE_BLOCK_SIZE,
	OID_GEN_VENDOR_ID,
	OID_GEN_VENDOR_DESCRIPTION,
	OID_GEN_VENDOR_DRIVER_VERSION,
	OID_GEN_CURRENT_PACKET_FILTER,
	OID_GEN_CURRENT_LOOKAHEAD,
	OID_GEN_MAXIMUM_TOTAL_SIZE,
	OID_GEN_MEDIA_CONNECT_STATUS,
	OID_GEN_XMIT_OK,
	OID_GEN_RCV_OK,
	OID_GEN_XMIT_ERROR,
	OID_GEN_RCV_NO_BUFFER,
	OID_GEN_RCV_DISCARDS,
	OID_802_3_PERMANENT_ADDRESS,
	OID_802_3_CURRENT_ADDRESS,
	OID_802_3_MULTICAST_LIST,
	OID_802_3_MAXIMUM_LIST_SIZE,
};
const ULONG NetvscSupportedOidsSize = sizeof(NetvscSupportedOids);

static NDIS_STATUS MPCopyOut(PNDIS_OID_REQUEST Req, const VOID *Data, ULONG Len)
{
	if (Req->DATA.QUERY_INFORMATION.InformationBufferLength < Len) {
		Req->DATA.QUERY_INFORMATION.BytesNeeded = Len;
		return NDIS_STATUS_INVALID_LENGTH;
	}
	NdisMoveMemory(Req->DATA.QUERY_INFORMATION.InformationBuffer, Data, Len);
	Req->DATA.QUERY_INFORMATION.BytesWritten = Len;
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPQueryUlong(PNDIS_OID_REQUEST Req, ULONG Value)
{
	return MPCopyOut(Req, &Value, sizeof(Value));
}

static NDIS_STATUS MPQueryUlong64(PNDIS_OID_REQUEST Req, ULONG64 Value)
{
	/* Statistics OIDs take a ULONG buffer too and get the low half (NDIS rules). */
	if (Req->DATA.QUERY_INFORMATION.InformationBufferLength >= sizeof(ULONG64))
		return MPCopyOut(Req, &Value, sizeof(Value));
	return MPQueryUlong(Req, (ULONG)Value);
}

static NDIS_STATUS MPQuery(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	ULONG MaxData = Adapter->Info.MaxFrameSize - 14u;

	switch (Req->DATA.QUERY_INFORMATION.Oid) {
	case OID_GEN_SUPPORTED_LIST:
		return MPCopyOut(Req, NetvscSupportedOids, NetvscSupportedOidsSize);
	case OID_GEN_HARDWARE_STATUS:
		return MPQueryUlong(Req, 0);	/* NdisHardwareStatusReady */
	case OID_GEN_MEDIA_SUPPORTED:
	case OID_GEN_MEDIA_IN_USE:
		return MPQueryUlong(Req, NdisMedium802_3);
	case OID_GEN_MAXIMUM_LOOKAHEAD:
	case OID_GEN_MAXIMUM_FRAME_SIZE:
		return MPQueryUlong(Req, MaxData);
	case OID_GEN_CURRENT_LOOKAHEAD:
		return MPQueryUlong(Req, Adapter->Lookahead);
	case OID_GEN_LINK_SPEED:
		return MPQueryUlong(Req, (ULONG)(NETVSC_LINK_SPEED / 100u));	/* in 100 bit/s */
	case OID_GEN_TRANSMIT_BLOCK_SIZE:
	case OID_GEN_RECEIVE_BLOCK_SIZE:
	case OID_GEN_MAXIMUM_TOTAL_SIZE:
		return MPQueryUlong(Req, Adapter->Info.MaxFrameSize);
	case OID_GEN_VENDOR_ID:
		return MPQueryUlong(Req, 0x00155dffu);	/* Microsoft's OUI 00-15-5D */
	case OID_GEN_VENDOR_DESCRIPTION:
		return MPCopyOut(Req, NETVSC_VENDOR_DESCRIPTION, sizeof(NETVSC_VENDOR_DESCRIPTION));
	case OID_GEN_VENDOR_DRIVER_VERSION:
		return MPQueryUlong(Req, (NETVSC_DRIVER_VERSION_MAJOR << 16) | NETVSC_DRIVER_VERSION_MINOR);
	case OID_GEN_CURRENT_PACKET_FILTER:
		return MPQueryUlong(Req, Adapter->PacketFilter);
	case OID_GEN_MEDIA_CONNECT_STATUS:
		return MPQueryUlong(Req, Adapter->LinkUp ? 0u : 1u);	/* NdisMediaStateConnected / Disconnected */
	case OID_GEN_XMIT_OK:
		return MPQueryUlong64(Req, Adapter->TxFrames);
	case OID_GEN_RCV_OK:
		return MPQueryUlong64(Req, Adapter->RxFrames);
	case OID_GEN_XMIT_ERROR:
		return MPQueryUlong64(Req, Adapter->TxErrors);
	case OID_GEN_RCV_NO_BUFFER:
		return MPQueryUlong64(Req, Adapter->RxNoBuffer);
	case OID_GEN_RCV_DISCARDS:
		return MPQueryUlong64(Req, Adapter->RxDiscards);
	case OID_802_3_PERMANENT_ADDRESS:
	case OID_802_3_CURRENT_ADDRESS:
		return MPCopyOut(Req, Adapter->Info.MacAddress, 6);
	case OID_802_3_MULTICAST_LIST:
		return MPCopyOut(Req, Adapter->MulticastList, Adapter->MulticastCount * 6u);
	case OID_802_3_MAXIMUM_LIST_SIZE:
		return MPQueryUlong(Req, NETVSC_MAX_MULTICAST);
	default:
		return NDIS_STATUS_NOT_SUPPORTED;
	}
}

static NDIS_STATUS MPSet(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	PVOID Buf = Req->DATA.SET_INFORMATION.InformationBuffer;
	ULONG Len = Req->DATA.SET_INFORMATION.InformationBufferLength;
	ULONG Value;

	switch (Req->DATA.SET_INFORMATION.Oid) {
	case OID_GEN_CURRENT_PACKET_FILTER:
		if (Len < sizeof(ULONG)) {
			Req->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		NdisMoveMemory(&Value, Buf, sizeof(Value));
		if (Value & ~NETVSC_PACKET_FILTERS)
			return NDIS_STATUS_NOT_SUPPORTED;
		TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_OID, "NetVsc #%u: packet filter 0x%x -> 0x%x", Adapter->Index,
			    (unsigned)Adapter->PacketFilter, (unsigned)Value);
		Adapter->PacketFilter = Value;
		Req->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		VFPacketFilterChanged(Adapter);
		return NDIS_STATUS_SUCCESS;
	case OID_GEN_CURRENT_LOOKAHEAD:
		if (Len < sizeof(ULONG)) {
			Req->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		NdisMoveMemory(&Value, Buf, sizeof(Value));
		if (Value > Adapter->Info.MaxFrameSize - 14u)
			return NDIS_STATUS_INVALID_DATA;
		Adapter->Lookahead = Value;
		Req->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		return NDIS_STATUS_SUCCESS;
	case OID_802_3_MULTICAST_LIST:
		if (Len % 6u) {
			Req->DATA.SET_INFORMATION.BytesNeeded = (Len / 6u + 1u) * 6u;
			return NDIS_STATUS_INVALID_LENGTH;
		}
		if (Len / 6u > NETVSC_MAX_MULTICAST)
			return NDIS_STATUS_MULTICAST_FULL;
		NdisMoveMemory(Adapter->MulticastList, Buf, Len);
		Adapter->MulticastCount = Len / 6u;
		Req->DATA.SET_INFORMATION.BytesRead = Len;
		return NDIS_STATUS_SUCCESS;
	default:
		return NDIS_STATUS_NOT_SUPPORTED;
	}
}

NDIS_STATUS MPOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	switch (OidRequest->RequestType) {
	case NdisRequestQueryInformation:
	case NdisRequestQueryStatistics:
		return MPQuery(Adapter, OidRequest);
	case NdisRequestSetInformation:
		return MPSet(Adapter, OidRequest);
	default:
		return NDIS_STATUS_NOT_SUPPORTED;
	}
}

VOID MPCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
	/* Every request completes inside MPOidRequest: nothing to cancel. */
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(RequestId);
}
