/*
 * Ndis* exports of the data path: NBL pools and allocation, MDLs,
 * NdisGetDataBuffer, and the send / send-complete / receive-indicate /
 * return calls (over nbl.c, which tracks ownership).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ndis/internal.h"

NDIS_EXPORT NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters)
{
	return ndis__nbl_pool_create(NdisHandle, Parameters);
}

NDIS_EXPORT VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle)
{
	if (ndis__handle_kind(PoolHandle) != NDIS_H_NBL_POOL) {
		log_error(NDIS_LOG_DATA, "NdisFreeNetBufferListPool(%p): not a pool handle", PoolHandle);
		return;
	}
	ndis__nbl_pool_destroy(PoolHandle);
}

NDIS_EXPORT PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
								  USHORT ContextBackFill, PMDL MdlChain,
								  ULONG DataOffset, SIZE_T DataLength)
{
	if (ndis__handle_kind(PoolHandle) != NDIS_H_NBL_POOL || ContextSize || ContextBackFill)
		return NULL;
	return ndis__nbl_alloc(PoolHandle, true, MdlChain, DataOffset, DataLength);
}

NDIS_EXPORT PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
						      USHORT ContextBackFill)
{
	if (ndis__handle_kind(PoolHandle) != NDIS_H_NBL_POOL || ContextSize || ContextBackFill)
		return NULL;
	return ndis__nbl_alloc(PoolHandle, false, NULL, 0, 0);
}

NDIS_EXPORT VOID NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
	ndis__nbl_free(NetBufferList);
}

NDIS_EXPORT PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length)
{
	PMDL mdl;

	(void)NdisHandle;
	if (!VirtualAddress || !Length)
		return NULL;
	mdl = calloc(1, sizeof(*mdl));
	if (!mdl)
		return NULL;
	mdl->MappedSystemVa = VirtualAddress;
	mdl->StartVa = (PVOID)((uintptr_t)VirtualAddress & ~(uintptr_t)0xfff);
	mdl->ByteOffset = (ULONG)((uintptr_t)VirtualAddress & 0xfff);
	mdl->ByteCount = Length;
	mdl->MdlFlags = MDL_MAPPED_TO_SYSTEM_VA;
	if (ndis__handle_add(mdl, NDIS_H_MDL)) {
		free(mdl);
		return NULL;
	}
	return mdl;
}

NDIS_EXPORT VOID NdisFreeMdl(PMDL Mdl)
{
	if (ndis__handle_kind(Mdl) != NDIS_H_MDL) {
		log_error(NDIS_LOG_DATA, "NdisFreeMdl(%p): not from NdisAllocateMdl, or freed twice", (void *)Mdl);
		return;
	}
	ndis__handle_remove(Mdl);
	free(Mdl);
}

NDIS_EXPORT PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage, UINT AlignMultiple,
				    UINT AlignOffset)
{
	PMDL mdl;
	ULONG off, copied = 0;

	(void)AlignMultiple;
	(void)AlignOffset;
	if (!NetBuffer || BytesNeeded > NetBuffer->DataLength || !NetBuffer->CurrentMdl)
		return NULL;
	mdl = NetBuffer->CurrentMdl;
	off = NetBuffer->CurrentMdlOffset;
	/* Contiguous in the current MDL: hand out a pointer into it. */
	if (off + BytesNeeded <= mdl->ByteCount)
		return (PUCHAR)mdl->MappedSystemVa + off;
	if (!Storage)
		return NULL;
	while (mdl && copied < BytesNeeded) {
		ULONG n = mdl->ByteCount - off;
		if (n > BytesNeeded - copied)
			n = BytesNeeded - copied;
		memcpy((PUCHAR)Storage + copied, (PUCHAR)mdl->MappedSystemVa + off, n);
		copied += n;
		mdl = mdl->Next;
		off = 0;
	}
	return copied == BytesNeeded ? Storage : NULL;
}

NDIS_EXPORT VOID NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferList,
						 ULONG SendCompleteFlags)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMSendNetBufferListsComplete");

	if (ad)
		ndis__nbl_send_complete(ad, NetBufferList, SendCompleteFlags);
}

NDIS_EXPORT VOID NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferList,
						    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
						    ULONG ReceiveFlags)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMIndicateReceiveNetBufferLists");

	if (ad)
		ndis__nbl_indicate(ad, NetBufferList, PortNumber, NumberOfNetBufferLists, ReceiveFlags);
}

NDIS_EXPORT VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
					NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	struct ndis_binding *b = ndis__api_binding(NdisBindingHandle, "NdisSendNetBufferLists");

	if (b && b->opened)
		ndis__nbl_send(b, NetBufferLists, PortNumber, SendFlags);
}

NDIS_EXPORT VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
					  ULONG ReturnFlags)
{
	struct ndis_binding *b = ndis__api_binding(NdisBindingHandle, "NdisReturnNetBufferLists");

	if (b)
		ndis__nbl_return(b, NetBufferLists, ReturnFlags);
}

NDIS_EXPORT VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId)
{
	struct ndis_binding *b = ndis__api_binding(NdisBindingHandle, "NdisCancelSendNetBufferLists");
	struct ndis_call call;

	if (!b || !b->opened || !b->ad->drv)
		return;
	/* MiniportCancelSend completes what it still holds with that id. */
	ndis__call_enter(&call, b->ad->fw, b->ad->drv, b->ad);
	b->ad->drv->mchars.CancelSendHandler(b->ad->ctx, CancelId);
	ndis__call_leave(&call);
}
