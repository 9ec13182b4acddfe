/*
 * mp_datapath.c -- send and receive of the srnic PF on the default vPort.
 * (First cut: no DMA memory yet, so sends complete with
 * NDIS_STATUS_FAILURE and nothing is received.)
 */
#include "srnic_pf.h"

NDIS_STATUS MPDatapathInitialize(_Inout_ PMP_ADAPTER Adapter)
{
	UNREFERENCED_PARAMETER(Adapter);
	return NDIS_STATUS_SUCCESS;
}

VOID MPDatapathRelease(_Inout_ PMP_ADAPTER Adapter)
{
	UNREFERENCED_PARAMETER(Adapter);
}

VOID MPDatapathStart(_Inout_ PMP_ADAPTER Adapter)
{
	UNREFERENCED_PARAMETER(Adapter);
}

VOID MPDatapathStop(_Inout_ PMP_ADAPTER Adapter)
{
	UNREFERENCED_PARAMETER(Adapter);
}

VOID MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
			  NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(SendFlags);
	for (PNET_BUFFER_LIST Nbl = NetBufferList; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl))
		NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_FAILURE;
	NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, NetBufferList, 0);
}

VOID MPReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(NetBufferLists);
	UNREFERENCED_PARAMETER(ReturnFlags);
}

VOID MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(CancelId);
}
