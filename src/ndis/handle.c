/*
 * The process-wide handle table: every object the framework hands a driver
 * as an NDIS_HANDLE (or a DRIVER_OBJECT / NBL pointer) is registered here
 * with its kind, so an exported Ndis* call can check what it was given before
 * it dereferences it. Drivers of several framework instances (partitions) in
 * one process share the table; it is an open-addressing hash set under a
 * mutex (the data path looks up NBLs here, so lookups are O(1)).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "ndis/internal.h"

struct slot {
	const void *p;		/* NULL = empty (removal shifts, no tombstones are left) */
	enum ndis_handle_kind kind;
};

#define TOMBSTONE ((const void *)1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static size_t cap, used, live;

static size_t hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x;
}

static struct slot *find(const void *p)
{
	if (!cap)
		return NULL;
	for (size_t i = hash(p) & (cap - 1), n = 0; n < cap; i = (i + 1) & (cap - 1), n++) {
		if (slots[i].p == NULL)
			return NULL;
		if (slots[i].p == p)
			return &slots[i];
	}
	return NULL;
}

/*
 * Rehash into a larger table when half the slots are in use. Removal leaves
 * no tombstones (ndis__handle_remove), so "in use" is the live entries and
 * the table stays proportional to them however many NBLs come and go; the
 * check below keeps that true should a tombstone ever be reintroduced.
 */
static int grow(void)
{
	size_t ncap = !cap ? 256 : live * 4 >= cap ? cap * 2 : cap;
	struct slot *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		const void *p = slots[i].p;
		if (!p || p == TOMBSTONE)
			continue;
		for (size_t j = hash(p) & (ncap - 1);; j = (j + 1) & (ncap - 1))
			if (!n[j].p) {
				n[j] = slots[i];
				break;
			}
	}
	free(slots);
	slots = n;
	cap = ncap;
	used = live;
	return 0;
}

int ndis__handle_add(const void *p, enum ndis_handle_kind kind)
{
	int rc = 0;

	if (!p || p == TOMBSTONE)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	if (find(p)) {
		rc = -EEXIST;
		goto out;
	}
	if ((used + 1) * 2 > cap && (rc = grow()))
		goto out;
	for (size_t i = hash(p) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (!slots[i].p || slots[i].p == TOMBSTONE) {
			if (!slots[i].p)
				used++;
			slots[i].p = p;
			slots[i].kind = kind;
			live++;
			break;
		}
	}
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

void ndis__handle_remove(const void *p)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = find(p);
	if (s) {
		/*
		 * Backward-shift deletion (Knuth 6.4, algorithm R): pull later
		 * members of the probe run into the hole instead of leaving a
		 * tombstone, so runs stay as short as the live entries make them.
		 * Tombstones made every lookup on the per-frame NBL path walk
		 * long runs of deleted slots (a fifth of a receiving guest's time).
		 */
		size_t i = (size_t)(s - slots), j = i;

		for (;;) {
			size_t k;

			j = (j + 1) & (cap - 1);
			if (!slots[j].p)
				break;
			k = hash(slots[j].p) & (cap - 1);
			/* slots[j] may move to i only if its home k is not cyclically in (i, j]. */
			if (i <= j ? (k > i && k <= j) : (k > i || k <= j))
				continue;
			slots[i] = slots[j];
			i = j;
		}
		slots[i].p = NULL;
		slots[i].kind = NDIS_H_NONE;
		used--;
		live--;
		if (live == 0) {
			free(slots);
			slots = NULL;
			cap = used = 0;
		}
	}
	pthread_mutex_unlock(&lock);
}

enum ndis_handle_kind ndis__handle_kind(const void *p)
{
	enum ndis_handle_kind k = NDIS_H_NONE;
	struct slot *s;

	if (!p)
		return NDIS_H_NONE;
	pthread_mutex_lock(&lock);
	s = find(p);
	if (s)
		k = s->kind;
	pthread_mutex_unlock(&lock);
	return k;
}

void ndis__handle_table_size(size_t *capacity, size_t *live_out)
{
	pthread_mutex_lock(&lock);
	*capacity = cap;
	*live_out = live;
	pthread_mutex_unlock(&lock);
}

const char *ndis__handle_kind_name(enum ndis_handle_kind kind)
{
	static const char *const names[] = {
		[NDIS_H_NONE] = "not an NDIS handle",
		[NDIS_H_DRIVER] = "NdisMiniportDriverHandle",
		[NDIS_H_DRIVER_OBJECT] = "DRIVER_OBJECT",
		[NDIS_H_ADAPTER] = "MiniportAdapterHandle",
		[NDIS_H_CONFIG] = "ConfigurationHandle",
		[NDIS_H_PROTOCOL] = "NdisProtocolHandle",
		[NDIS_H_BIND_CONTEXT] = "BindContext",
		[NDIS_H_BINDING] = "NdisBindingHandle",
		[NDIS_H_UNBIND_CONTEXT] = "UnbindContext",
		[NDIS_H_NBL_POOL] = "NET_BUFFER_LIST pool handle",
		[NDIS_H_NBL] = "NET_BUFFER_LIST",
		[NDIS_H_MDL] = "MDL",
		[NDIS_H_MEMORY] = "NdisAllocateMemoryWithTagPriority block",
		[NDIS_H_INTERRUPT] = "NdisMRegisterInterruptEx handle",
	};
	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}
