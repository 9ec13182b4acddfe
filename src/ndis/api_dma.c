/*
 * NdisMAllocateSharedMemory / NdisMFreeSharedMemory: memory a miniport's
 * device can DMA to (descriptor rings, receive buffers), from the adapter's
 * bus (struct ndis_bus_ops.alloc_common_buffer -- in the parent partition
 * the PCI bus driver hands out root-partition memory inside the PF's IOMMU
 * domain). The physical address returned is the one the device uses. NDIS
 * keeps the list per adapter so a halt can free what the miniport forgot,
 * with a warning. Not modelled: NdisMRegisterScatterGatherDma as a
 * precondition, and the Cached argument (all memory is coherent here).
 */
#include <errno.h>
#include <stdlib.h>

#include "ndis/internal.h"

struct ndis_shared_memory {
	struct ndis_shared_memory *next;
	void *va;
	uint64_t pa;
	uint32_t len;
};

NDIS_EXPORT VOID NdisMAllocateSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached,
					   PVOID *VirtualAddress, PNDIS_PHYSICAL_ADDRESS PhysicalAddress)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMAllocateSharedMemory");
	struct ndis_shared_memory *m;
	void *va = NULL;
	uint64_t pa = 0;
	int rc;

	(void)Cached;
	if (VirtualAddress)
		*VirtualAddress = NULL;
	if (PhysicalAddress)
		PhysicalAddress->QuadPart = 0;
	if (!ad || !VirtualAddress || !PhysicalAddress || !Length)
		return;
	if (!ad->bus || !ad->bus->alloc_common_buffer) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMAllocateSharedMemory: the bus offers no DMA memory", ad->name);
		return;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	rc = ad->bus->alloc_common_buffer(ad->bus_ctx, Length, &va, &pa);
	if (rc < 0 || !va) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMAllocateSharedMemory(%u) refused by the bus: %d", ad->name, Length, rc);
		free(m);
		return;
	}
	m->va = va;
	m->pa = pa;
	m->len = Length;
	m->next = ad->shared;
	ad->shared = m;
	ad->n_shared++;
	*VirtualAddress = va;
	PhysicalAddress->QuadPart = (LONGLONG)pa;
	log_debug(NDIS_LOG, "adapter '%s': shared memory %u bytes at 0x%llx", ad->name, Length, (unsigned long long)pa);
}

NDIS_EXPORT VOID NdisMFreeSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached,
				       PVOID VirtualAddress, NDIS_PHYSICAL_ADDRESS PhysicalAddress)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMFreeSharedMemory");

	(void)Cached;
	if (!ad)
		return;
	for (struct ndis_shared_memory **pp = &ad->shared; *pp; pp = &(*pp)->next) {
		struct ndis_shared_memory *m = *pp;

		if (m->va != VirtualAddress)
			continue;
		if (m->len != Length || m->pa != (uint64_t)PhysicalAddress.QuadPart)
			log_warn(NDIS_LOG, "adapter '%s': NdisMFreeSharedMemory of %u bytes at 0x%llx, allocated as %u at 0x%llx",
				 ad->name, Length, (unsigned long long)PhysicalAddress.QuadPart, m->len,
				 (unsigned long long)m->pa);
		*pp = m->next;
		if (ad->bus && ad->bus->free_common_buffer)
			ad->bus->free_common_buffer(ad->bus_ctx, m->va, m->len);
		ad->n_shared--;
		free(m);
		return;
	}
	log_warn(NDIS_LOG, "adapter '%s': NdisMFreeSharedMemory(%p) of memory it did not allocate", ad->name, VirtualAddress);
}

void ndis__dma_adapter_fini(struct ndis_adapter *ad)
{
	if (ad->n_shared)
		log_warn(NDIS_LOG, "adapter '%s': MiniportHaltEx left %u shared-memory block(s) allocated "
			 "(NdisMFreeSharedMemory missing)", ad->name, ad->n_shared);
	while (ad->shared) {
		struct ndis_shared_memory *m = ad->shared;

		ad->shared = m->next;
		if (ad->bus && ad->bus->free_common_buffer)
			ad->bus->free_common_buffer(ad->bus_ctx, m->va, m->len);
		free(m);
	}
	ad->n_shared = 0;
}
