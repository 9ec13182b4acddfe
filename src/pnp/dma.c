/*
 * DMA for the guest's drivers: IoGetDmaAdapter, and the common-buffer pool
 * a bus driver serves it from. On Windows IoGetDmaAdapter asks the device's
 * stack for GUID_BUS_INTERFACE_STANDARD and calls its GetDmaAdapter (the bus
 * decides how its children reach memory), and AllocateCommonBuffer returns
 * memory the device can DMA to plus its logical address. iovlab does the
 * same: the vPCI bus (src/hv/vpci_pdo.c) answers with an adapter over a
 * window of the guest's RAM whose logical addresses are guest-physical
 * addresses, the ones the device model's IOMMU accepts for a function
 * assigned to this VM (docs/hw/srnic.md, "DMA and the IOMMU"). A virtual
 * bus driver forwards the query to its own bus, so a VF under a VBD gets the
 * same memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnp/pnp_int.h"

struct extent {
	struct extent *next;
	uint64_t off, len;
	const void *owner;	/* the adapter that allocated it (used list) */
};

struct pnp_dma_pool {
	char name[32];
	uint8_t *va;
	uint64_t logical, size;
	struct extent *free;	/* sorted by offset, coalesced */
	struct extent *used;
	uint64_t in_use;
	uint64_t dirty_end;	/* bytes from here on were never handed out and are zero (pnp_dma_pool_mark_zero) */
};

struct pnp_dma_adapter {
	DMA_ADAPTER a;		/* first */
	DMA_OPERATIONS ops;
	struct pnp_dma_pool *pool;
	char owner[64];
};

int pnp_dma_pool_create(const char *name, void *va, uint64_t logical, uint64_t size, struct pnp_dma_pool **out)
{
	struct pnp_dma_pool *p;

	*out = NULL;
	if (!va || !size || logical + size < logical)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->free = calloc(1, sizeof(*p->free)))) {
		free(p);
		return -ENOMEM;
	}
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "dma");
	p->va = va;
	p->logical = logical;
	p->size = size;
	p->free->len = size;
	p->dirty_end = size;	/* nothing known: every common buffer is zeroed in full */
	*out = p;
	return 0;
}

void pnp_dma_pool_mark_zero(struct pnp_dma_pool *pool)
{
	if (pool && !pool->used)
		pool->dirty_end = 0;
}

static void free_list(struct extent *e)
{
	while (e) {
		struct extent *n = e->next;

		free(e);
		e = n;
	}
}

void pnp_dma_pool_destroy(struct pnp_dma_pool *pool)
{
	if (!pool)
		return;
	if (pool->used)
		log_warn(PNP_LOG, "DMA pool %s destroyed with %llu bytes of common buffers still allocated", pool->name,
			 (unsigned long long)pool->in_use);
	free_list(pool->free);
	free_list(pool->used);
	free(pool);
}

uint64_t pnp_dma_pool_in_use(const struct pnp_dma_pool *pool)
{
	return pool ? pool->in_use : 0;
}

static int pool_alloc(struct pnp_dma_pool *p, uint64_t len, const void *owner, uint64_t *off)
{
	uint64_t align = len >= 4096 ? 4096 : 64;

	len = (len + 63) & ~63ull;
	for (struct extent **pp = &p->free; *pp; pp = &(*pp)->next) {
		struct extent *e = *pp, *u;
		uint64_t start = (e->off + align - 1) & ~(align - 1);

		if (start < e->off || start + len > e->off + e->len || start + len < start)
			continue;
		u = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->off = start;
		u->len = len;
		u->owner = owner;
		if (start + len < e->off + e->len) {	/* tail stays free */
			struct extent *t = calloc(1, sizeof(*t));

			if (!t) {
				free(u);
				return -ENOMEM;
			}
			t->off = start + len;
			t->len = e->off + e->len - t->off;
			t->next = e->next;
			e->next = t;
		}
		if (start > e->off) {			/* head stays free */
			e->len = start - e->off;
		} else {
			*pp = e->next;
			free(e);
		}
		u->next = p->used;
		p->used = u;
		p->in_use += len;
		*off = start;
		return 0;
	}
	return -ENOSPC;
}

static void pool_release(struct pnp_dma_pool *p, struct extent *u)
{
	struct extent **pp = &p->free;

	p->in_use -= u->len;
	while (*pp && (*pp)->off < u->off)
		pp = &(*pp)->next;
	u->next = *pp;
	u->owner = NULL;
	*pp = u;
	/* Coalesce with the next, then with the previous. */
	if (u->next && u->off + u->len == u->next->off) {
		struct extent *n = u->next;

		u->len += n->len;
		u->next = n->next;
		free(n);
	}
	for (struct extent *e = p->free; e && e->next; e = e->next)
		if (e->next == u && e->off + e->len == u->off) {
			e->len += u->len;
			e->next = u->next;
			free(u);
			break;
		}
}

static struct extent *unlink_used(struct pnp_dma_pool *p, uint64_t off, const void *owner)
{
	for (struct extent **pp = &p->used; *pp; pp = &(*pp)->next)
		if ((*pp)->off == off && (!owner || (*pp)->owner == owner)) {
			struct extent *u = *pp;

			*pp = u->next;
			return u;
		}
	return NULL;
}

/* ---- the adapter --------------------------------------------------------------------- */
static struct pnp_dma_adapter *adapter(PDMA_ADAPTER a, const char *fn)
{
	return pnp__obj_check(a, PNP_OBJ_DMA, fn) ? (struct pnp_dma_adapter *)a : NULL;
}

static PVOID allocate_common_buffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
				    BOOLEAN CacheEnabled)
{
	struct pnp_dma_adapter *da = adapter(DmaAdapter, "AllocateCommonBuffer");
	uint64_t off;
	int rc;

	(void)CacheEnabled;
	if (!da || !LogicalAddress || !Length)
		return NULL;
	rc = pool_alloc(da->pool, Length, da, &off);
	if (rc) {
		log_warn(PNP_LOG, "AllocateCommonBuffer(%u) for %s: DMA pool %s %s", Length, da->owner, da->pool->name,
			 rc == -ENOSPC ? "exhausted" : "out of memory");
		return NULL;
	}
	/*
	 * Zeroed as the framework always did, but only what was handed out
	 * before: a fresh memfd's pages are zero already, and touching them
	 * here faulted in 2 MiB (srnic_vf's buffers) on every VF's bring-up
	 * before the device or the driver needed a byte of it.
	 */
	if (off < da->pool->dirty_end)
		memset(da->pool->va + off, 0, (size_t)(off + Length <= da->pool->dirty_end ? Length :
						       da->pool->dirty_end - off));
	if (off + Length > da->pool->dirty_end)
		da->pool->dirty_end = off + Length;
	LogicalAddress->QuadPart = (LONGLONG)(da->pool->logical + off);
	return da->pool->va + off;
}

static VOID free_common_buffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
			       PVOID VirtualAddress, BOOLEAN CacheEnabled)
{
	struct pnp_dma_adapter *da = adapter(DmaAdapter, "FreeCommonBuffer");
	uint64_t off;
	struct extent *u;

	(void)Length;
	(void)CacheEnabled;
	if (!da)
		return;
	off = (uint64_t)LogicalAddress.QuadPart - da->pool->logical;
	if ((uint64_t)LogicalAddress.QuadPart < da->pool->logical || off >= da->pool->size ||
	    (uint8_t *)VirtualAddress != da->pool->va + off || !(u = unlink_used(da->pool, off, da))) {
		pnp__driver_bug("FreeCommonBuffer(%s): 0x%llx/%p is not a common buffer of this adapter", da->owner,
				(unsigned long long)LogicalAddress.QuadPart, VirtualAddress);
		return;
	}
	pool_release(da->pool, u);
}

static VOID put_dma_adapter(PDMA_ADAPTER DmaAdapter)
{
	struct pnp_dma_adapter *da = adapter(DmaAdapter, "PutDmaAdapter");
	struct extent *u;
	unsigned n = 0;

	if (!da)
		return;
	for (struct extent *e = da->pool->used; e; e = e->next)
		n += e->owner == da;
	if (n)
		pnp__driver_bug("PutDmaAdapter(%s) with %u common buffer(s) still allocated; freed", da->owner, n);
	while (n--) {
		for (u = da->pool->used; u && u->owner != da; u = u->next)
			;
		if (!u)
			break;
		pool_release(da->pool, unlink_used(da->pool, u->off, da));
	}
	pnp__obj_remove(da);
	free(da);
}

PDMA_ADAPTER pnp_dma_adapter_create(struct pnp_dma_pool *pool, const char *owner)
{
	struct pnp_dma_adapter *da;

	if (!pool)
		return NULL;
	da = calloc(1, sizeof(*da));
	if (!da)
		return NULL;
	da->pool = pool;
	snprintf(da->owner, sizeof(da->owner), "%s", owner ? owner : "?");
	da->ops.Size = sizeof(da->ops);
	da->ops.PutDmaAdapter = put_dma_adapter;
	da->ops.AllocateCommonBuffer = allocate_common_buffer;
	da->ops.FreeCommonBuffer = free_common_buffer;
	da->a.Version = 1;
	da->a.Size = sizeof(da->a);
	da->a.DmaOperations = &da->ops;
	if (pnp__obj_add(da, PNP_OBJ_DMA)) {
		free(da);
		return NULL;
	}
	return &da->a;
}

/* ---- IoGetDmaAdapter ------------------------------------------------------------------ */
WDM_EXPORT PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject, PDEVICE_DESCRIPTION DeviceDescription,
					PULONG NumberOfMapRegisters)
{
	BUS_INTERFACE_STANDARD bus;
	PIO_STACK_LOCATION sl;
	PDEVICE_OBJECT top;
	PDMA_ADAPTER a = NULL;
	NTSTATUS st;
	PIRP irp;

	if (!pnp__obj_check(PhysicalDeviceObject, PNP_OBJ_DEVICE, "IoGetDmaAdapter") || !DeviceDescription)
		return NULL;
	if (DeviceDescription->Version > DEVICE_DESCRIPTION_VERSION3 || !DeviceDescription->Master) {
		log_warn(PNP_LOG, "IoGetDmaAdapter(%s): only bus-master devices (Master = TRUE, version <= 3) are "
			 "modelled", pnp__devext(PhysicalDeviceObject)->name);
		return NULL;
	}
	top = IoGetAttachedDevice(PhysicalDeviceObject);
	irp = pnp_build_pnp_irp(top, IRP_MN_QUERY_INTERFACE);
	if (!irp)
		return NULL;
	memset(&bus, 0, sizeof(bus));
	sl = IoGetNextIrpStackLocation(irp);
	sl->Parameters.QueryInterface.InterfaceType = &GUID_BUS_INTERFACE_STANDARD;
	sl->Parameters.QueryInterface.Size = sizeof(bus);
	sl->Parameters.QueryInterface.Version = 1;
	sl->Parameters.QueryInterface.Interface = (PINTERFACE)&bus;
	st = pnp_call_sync(top, irp, NULL);
	if (NT_SUCCESS(st) && bus.GetDmaAdapter)
		a = bus.GetDmaAdapter(bus.Context, DeviceDescription, NumberOfMapRegisters);
	if (NT_SUCCESS(st) && bus.InterfaceDereference)
		bus.InterfaceDereference(bus.Context);
	if (!a)
		log_warn(PNP_LOG, "IoGetDmaAdapter(%s): no bus in the stack offers a DMA adapter (0x%x)",
			 pnp__devext(PhysicalDeviceObject)->name, (unsigned)st);
	return a;
}
