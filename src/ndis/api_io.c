/*
 * I/O space: NdisMMapIoSpace / NdisMUnmapIoSpace and the register accessors
 * (macros in the WDK, functions here). A mapping comes from the adapter's bus
 * (the srnic model hands out its shared BAR page); the accessors find the
 * mapping an address falls in -- they get no handle -- and, when the bus
 * wants to see register traffic (doorbells, read side effects), call its
 * mmio_read/mmio_write with the register's physical address instead of
 * touching memory. The mapping list is process-wide (mappings of every
 * partition in the process) under one small lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "ndis/internal.h"

struct mapping {
	struct mapping *next;
	struct ndis_adapter *ad;
	uint8_t *va;
	uint64_t phys;
	uint32_t len;
};

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mapping *maps;

NDIS_EXPORT NDIS_STATUS NdisMMapIoSpace(PVOID *VirtualAddress, NDIS_HANDLE MiniportAdapterHandle,
					NDIS_PHYSICAL_ADDRESS PhysicalAddress, UINT Length)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMMapIoSpace");
	struct mapping *m;
	void *va = NULL;
	int rc;

	if (!ad || !VirtualAddress || !Length)
		return NDIS_STATUS_FAILURE;
	*VirtualAddress = NULL;
	if (!ad->bus || !ad->bus->map_io_space) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMMapIoSpace: the bus maps no I/O space", ad->name);
		return NDIS_STATUS_FAILURE;
	}
	rc = ad->bus->map_io_space(ad->bus_ctx, (uint64_t)PhysicalAddress.QuadPart, Length, &va);
	if (rc < 0 || !va) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMMapIoSpace(0x%llx, %u) refused by the bus: %d", ad->name,
			 (unsigned long long)PhysicalAddress.QuadPart, Length, rc);
		return rc == -ENOMEM ? NDIS_STATUS_RESOURCES : NDIS_STATUS_RESOURCE_CONFLICT;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		if (ad->bus->unmap_io_space)
			ad->bus->unmap_io_space(ad->bus_ctx, va, Length);
		return NDIS_STATUS_RESOURCES;
	}
	m->ad = ad;
	m->va = va;
	m->phys = (uint64_t)PhysicalAddress.QuadPart;
	m->len = Length;
	pthread_mutex_lock(&maps_lock);
	m->next = maps;
	maps = m;
	pthread_mutex_unlock(&maps_lock);
	ad->n_maps++;
	*VirtualAddress = va;
	log_debug(NDIS_LOG, "adapter '%s': mapped 0x%llx+0x%x", ad->name, (unsigned long long)m->phys, Length);
	return NDIS_STATUS_SUCCESS;
}

static struct mapping *unlink_mapping(struct ndis_adapter *ad, void *va)
{
	struct mapping **pp, *m = NULL;

	pthread_mutex_lock(&maps_lock);
	for (pp = &maps; *pp; pp = &(*pp)->next)
		if ((*pp)->ad == ad && (!va || (*pp)->va == va)) {
			m = *pp;
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&maps_lock);
	return m;
}

NDIS_EXPORT VOID NdisMUnmapIoSpace(NDIS_HANDLE MiniportAdapterHandle, PVOID VirtualAddress, UINT Length)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMUnmapIoSpace");
	struct mapping *m;

	(void)Length;
	if (!ad)
		return;
	m = unlink_mapping(ad, VirtualAddress);
	if (!m) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMUnmapIoSpace(%p) of a range it did not map", ad->name, VirtualAddress);
		return;
	}
	if (ad->bus && ad->bus->unmap_io_space)
		ad->bus->unmap_io_space(ad->bus_ctx, m->va, m->len);
	ad->n_maps--;
	free(m);
}

void ndis__io_unmap_all(struct ndis_adapter *ad)
{
	struct mapping *m;

	while ((m = unlink_mapping(ad, NULL))) {
		if (ad->bus && ad->bus->unmap_io_space)
			ad->bus->unmap_io_space(ad->bus_ctx, m->va, m->len);
		free(m);
	}
	ad->n_maps = 0;
}

/* The mapping an access falls in; its bus hooks and the physical address. */
static bool lookup(volatile void *reg, unsigned size, const struct ndis_bus_ops **bus, void **ctx, uint64_t *phys)
{
	uint8_t *p = (uint8_t *)(uintptr_t)reg;
	bool found = false;

	pthread_mutex_lock(&maps_lock);
	for (struct mapping *m = maps; m; m = m->next)
		if (p >= m->va && p + size <= m->va + m->len) {
			*bus = m->ad->bus;
			*ctx = m->ad->bus_ctx;
			*phys = m->phys + (uint64_t)(p - m->va);
			found = true;
			break;
		}
	pthread_mutex_unlock(&maps_lock);
	return found;
}

static uint64_t reg_read(volatile void *reg, unsigned size)
{
	const struct ndis_bus_ops *bus;
	void *ctx;
	uint64_t phys, v = 0;

	if (lookup(reg, size, &bus, &ctx, &phys) && bus->mmio_read && bus->mmio_read(ctx, phys, size, &v) == 0)
		return v;
	switch (size) {
	case 1:
		return *(volatile uint8_t *)reg;
	case 2:
		return *(volatile uint16_t *)reg;
	default:
		return *(volatile uint32_t *)reg;
	}
}

static void reg_write(volatile void *reg, unsigned size, uint64_t v)
{
	const struct ndis_bus_ops *bus;
	void *ctx;
	uint64_t phys;

	if (lookup(reg, size, &bus, &ctx, &phys) && bus->mmio_write && bus->mmio_write(ctx, phys, size, v) == 0)
		return;
	switch (size) {
	case 1:
		*(volatile uint8_t *)reg = (uint8_t)v;
		break;
	case 2:
		*(volatile uint16_t *)reg = (uint16_t)v;
		break;
	default:
		*(volatile uint32_t *)reg = (uint32_t)v;
		break;
	}
}

NDIS_EXPORT VOID NdisReadRegisterUchar(volatile UCHAR *Register, PUCHAR Data)
{
	*Data = (UCHAR)reg_read(Register, 1);
}

NDIS_EXPORT VOID NdisReadRegisterUshort(volatile USHORT *Register, PUSHORT Data)
{
	*Data = (USHORT)reg_read(Register, 2);
}

NDIS_EXPORT VOID NdisReadRegisterUlong(volatile ULONG *Register, PULONG Data)
{
	*Data = (ULONG)reg_read(Register, 4);
}

NDIS_EXPORT VOID NdisWriteRegisterUchar(volatile UCHAR *Register, UCHAR Data)
{
	reg_write(Register, 1, Data);
}

NDIS_EXPORT VOID NdisWriteRegisterUshort(volatile USHORT *Register, USHORT Data)
{
	reg_write(Register, 2, Data);
}

NDIS_EXPORT VOID NdisWriteRegisterUlong(volatile ULONG *Register, ULONG Data)
{
	reg_write(Register, 4, Data);
}
