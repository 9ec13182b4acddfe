/*
 * ctrlpath.c -- srnic_vf's OID handling. Besides the general and 802.3
 * OIDs, the one a VF miniport must handle is the method
 * OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK: the PF changed configuration blocks
 * (NdisMInvalidateConfigBlock), the host completed NDIS's pending
 * IOCTL_VPCI_INVALIDATE_BLOCK, and NDIS asks us to re-read the blocks in
 * BlockMask (spec 2.13 steps 5-6). After a surprise removal every OID
 * completes with NDIS_STATUS_NOT_ACCEPTED (spec 2.17).
 */
#include "srnic_vf.h"

static const char VendorDescription[] = "Contoso srnic Virtual Function";

static NDIS_STATUS MpQueryBuffer(PNDIS_OID_REQUEST Req, const VOID *Data, ULONG Length)
{
	if (Req->DATA.QUERY_INFORMATION.InformationBufferLength < Length) {
		Req->DATA.QUERY_INFORMATION.BytesNeeded = Length;
		return NDIS_STATUS_BUFFER_TOO_SHORT;
	}
	NdisMoveMemory(Req->DATA.QUERY_INFORMATION.InformationBuffer, Data, Length);
	Req->DATA.QUERY_INFORMATION.BytesWritten = Length;
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MpQueryUlong(PNDIS_OID_REQUEST Req, ULONG Value)
{
	return MpQueryBuffer(Req, &Value, sizeof(Value));
}

/* Statistics: 64 bits if the buffer holds them, else the low 32 (the rule for OID_GEN_*_OK). */
static NDIS_STATUS MpQueryCounter(PNDIS_OID_REQUEST Req, ULONG64 Value)
{
	if (Req->DATA.QUERY_INFORMATION.InformationBufferLength >= sizeof(ULONG64))
		return MpQueryBuffer(Req, &Value, sizeof(ULONG64));
	return MpQueryUlong(Req, (ULONG)Value);
}

static NDIS_STATUS MpQuery(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	switch (Req->DATA.QUERY_INFORMATION.Oid) {
	case OID_GEN_SUPPORTED_LIST:
		return MpQueryBuffer(Req, NICSupportedOids, NICSupportedOidsLength);
	case OID_GEN_HARDWARE_STATUS:
		return MpQueryUlong(Req, 0);	/* NdisHardwareStatusReady */
	case OID_GEN_MEDIA_SUPPORTED:
	case OID_GEN_MEDIA_IN_USE:
		return MpQueryUlong(Req, NdisMedium802_3);
	case OID_GEN_MAXIMUM_LOOKAHEAD:
	case OID_GEN_MAXIMUM_FRAME_SIZE:
		return MpQueryUlong(Req, Adapter->Mtu);
	case OID_GEN_CURRENT_LOOKAHEAD:
		return MpQueryUlong(Req, Adapter->Lookahead);
	case OID_GEN_MAXIMUM_TOTAL_SIZE:
		return MpQueryUlong(Req, Adapter->Mtu + 14);
	case OID_GEN_LINK_SPEED:
		return MpQueryUlong(Req, (ULONG)(Adapter->LinkSpeed / 100));	/* in 100 bit/s */
	case OID_GEN_VENDOR_ID:
		return MpQueryUlong(Req, (ULONG)Adapter->PermanentMac[0] | (ULONG)Adapter->PermanentMac[1] << 8 |
						 (ULONG)Adapter->PermanentMac[2] << 16);
	case OID_GEN_VENDOR_DESCRIPTION:
		return MpQueryBuffer(Req, VendorDescription, sizeof(VendorDescription));
	case OID_GEN_VENDOR_DRIVER_VERSION:
		return MpQueryUlong(Req, MP_DRIVER_VERSION);
	case OID_GEN_CURRENT_PACKET_FILTER:
		return MpQueryUlong(Req, Adapter->PacketFilter);
	case OID_GEN_MEDIA_CONNECT_STATUS:
		return MpQueryUlong(Req, Adapter->LinkUp ? NdisMediaStateConnected : NdisMediaStateDisconnected);
	case OID_GEN_MAXIMUM_SEND_PACKETS:
		return MpQueryUlong(Req, MP_RING_SIZE - 1);
	case OID_GEN_XMIT_OK:
		return MpQueryCounter(Req, Adapter->TxFrames);
	case OID_GEN_RCV_OK:
		return MpQueryCounter(Req, Adapter->RxFrames);
	case OID_GEN_XMIT_ERROR:
		return MpQueryCounter(Req, Adapter->TxErrors);
	case OID_GEN_RCV_NO_BUFFER:
		return MpQueryCounter(Req, Adapter->RxNoBuffer);
	case OID_GEN_RCV_DISCARDS:
		return MpQueryCounter(Req, Adapter->RxDiscards);
	case OID_GEN_XMIT_DISCARDS:
		return MpQueryCounter(Req, Adapter->TxDiscards);
	case OID_GEN_BYTES_XMIT:
		return MpQueryCounter(Req, Adapter->TxBytes);
	case OID_GEN_BYTES_RCV:
		return MpQueryCounter(Req, Adapter->RxBytes);
	case OID_802_3_PERMANENT_ADDRESS:
		return MpQueryBuffer(Req, Adapter->PermanentMac, 6);
	case OID_802_3_CURRENT_ADDRESS:
		return MpQueryBuffer(Req, Adapter->CurrentMac, 6);
	case OID_802_3_MAXIMUM_LIST_SIZE:
		return MpQueryUlong(Req, 32);
	case OID_802_3_MULTICAST_LIST:
		Req->DATA.QUERY_INFORMATION.BytesWritten = 0;	/* multicast is the vPort filter's job (the PF) */
		return NDIS_STATUS_SUCCESS;
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

static NDIS_STATUS MpSet(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	PVOID Buf = Req->DATA.SET_INFORMATION.InformationBuffer;
	ULONG Len = Req->DATA.SET_INFORMATION.InformationBufferLength;
	ULONG Value;

	switch (Req->DATA.SET_INFORMATION.Oid) {
	case OID_GEN_CURRENT_PACKET_FILTER:
	case OID_GEN_CURRENT_LOOKAHEAD:
		if (Len < sizeof(ULONG)) {
			Req->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		NdisMoveMemory(&Value, Buf, sizeof(Value));
		Req->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		if (Req->DATA.SET_INFORMATION.Oid == OID_GEN_CURRENT_LOOKAHEAD) {
			if (Value > Adapter->Mtu)
				return NDIS_STATUS_INVALID_DATA;
			Adapter->Lookahead = Value;
			return NDIS_STATUS_SUCCESS;
		}
		if (Value & ~(ULONG)(NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
				     NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST))
			return NDIS_STATUS_NOT_SUPPORTED;
		Adapter->PacketFilter = Value;
		TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_OID, "packet filter 0x%x", Value);
		return NDIS_STATUS_SUCCESS;
	case OID_802_3_MULTICAST_LIST:
		if (Len % 6 || Len > 32 * 6)
			return Len % 6 ? NDIS_STATUS_INVALID_LENGTH : NDIS_STATUS_MULTICAST_FULL;
		Req->DATA.SET_INFORMATION.BytesRead = Len;
		return NDIS_STATUS_SUCCESS;
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

/* Re-read block 0 and apply what changed (spec 2.13 step 6). */
static VOID MpRefreshVfInfo(PMP_ADAPTER Adapter)
{
	UCHAR OldMac[6];

	NdisMoveMemory(OldMac, Adapter->CurrentMac, 6);
	if (NICReadVfInfo(Adapter) != NDIS_STATUS_SUCCESS)
		return;
	if (!NdisEqualMemory(OldMac, Adapter->CurrentMac, 6)) {
		TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_OID, "the PF changed the MAC to %02x:%02x:%02x:%02x:%02x:%02x",
			    Adapter->CurrentMac[0], Adapter->CurrentMac[1], Adapter->CurrentMac[2],
			    Adapter->CurrentMac[3], Adapter->CurrentMac[4], Adapter->CurrentMac[5]);
		if (Adapter->Bar0 && Adapter->State != MpStateSurpriseRemoved)
			HWSetMac(Adapter, Adapter->CurrentMac);
	}
	NICWriteReport(Adapter);
}

static NDIS_STATUS MpMethod(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	PNDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO Info = Req->DATA.METHOD_INFORMATION.InformationBuffer;
	ULONG In = Req->DATA.METHOD_INFORMATION.InputBufferLength;

	if (Req->DATA.METHOD_INFORMATION.Oid != OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK)
		return NDIS_STATUS_INVALID_OID;
	if (In < NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1 || !Info) {
		Req->DATA.METHOD_INFORMATION.BytesNeeded = NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1;
		return NDIS_STATUS_INVALID_LENGTH;
	}
	if (Info->Header.Type != NDIS_OBJECT_TYPE_DEFAULT ||
	    Info->Header.Revision < NDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1)
		return NDIS_STATUS_INVALID_PARAMETER;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_OID, "OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK mask 0x%llx",
		    (unsigned long long)Info->BlockMask);
	if (Info->BlockMask & (1ull << SRNIC_CFGBLOCK_VF_INFO))
		MpRefreshVfInfo(Adapter);
	Req->DATA.METHOD_INFORMATION.BytesRead = NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1;
	return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS MPOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	if (Adapter->State == MpStateSurpriseRemoved)
		return NDIS_STATUS_NOT_ACCEPTED;	/* spec 2.17 */
	switch (OidRequest->RequestType) {
	case NdisRequestQueryInformation:
	case NdisRequestQueryStatistics:
		return MpQuery(Adapter, OidRequest);
	case NdisRequestSetInformation:
		return MpSet(Adapter, OidRequest);
	case NdisRequestMethod:
		return MpMethod(Adapter, OidRequest);
	default:
		return NDIS_STATUS_NOT_SUPPORTED;
	}
}

/* Every OID completes before MPOidRequest returns: nothing to cancel. */
VOID MPCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(RequestId);
}
