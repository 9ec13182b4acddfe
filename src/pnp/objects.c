/*
 * The process-wide set of objects the I/O manager handed out (driver and
 * device objects, IRPs, registry key handles), with their kind, so every
 * Io* export checks a pointer before it dereferences it. Several guests in
 * one process (tests) share it; open addressing under one mutex, as the
 * NDIS handle table (src/ndis/handle.c) does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pnp/pnp_int.h"

struct slot {
	const void *p;		/* NULL = empty, TOMBSTONE = deleted */
	enum pnp_obj_kind kind;
};

#define TOMBSTONE ((const void *)1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static size_t cap, used, live;

struct pnp_stats pnp__stats;

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

static int rehash(size_t ncap)
{
	struct slot *old = slots, *ns = calloc(ncap, sizeof(*ns));
	size_t ocap = cap;

	if (!ns)
		return -ENOMEM;
	slots = ns;
	cap = ncap;
	used = live;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].p && old[i].p != TOMBSTONE) {
			size_t j = hash(old[i].p) & (cap - 1);

			while (slots[j].p)
				j = (j + 1) & (cap - 1);
			slots[j] = old[i];
		}
	free(old);
	return 0;
}

int pnp__obj_add(const void *p, enum pnp_obj_kind kind)
{
	int rc = 0;

	if (!p || p == TOMBSTONE)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	if ((used + 1) * 2 > cap) {
		size_t n = 64;

		while (n < (live + 1) * 4)
			n *= 2;
		rc = rehash(n);
	}
	if (!rc) {
		struct slot *s = find(p);

		if (s) {
			s->kind = kind;
		} else {
			size_t i = hash(p) & (cap - 1);

			while (slots[i].p && slots[i].p != TOMBSTONE)
				i = (i + 1) & (cap - 1);
			if (!slots[i].p)
				used++;
			slots[i].p = p;
			slots[i].kind = kind;
			live++;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void pnp__obj_remove(const void *p)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	if ((s = find(p))) {
		s->p = TOMBSTONE;
		s->kind = PNP_OBJ_NONE;
		live--;
	}
	if (!live && slots) {
		free(slots);
		slots = NULL;
		cap = used = 0;
	}
	pthread_mutex_unlock(&lock);
}

enum pnp_obj_kind pnp__obj_kind(const void *p)
{
	enum pnp_obj_kind k = PNP_OBJ_NONE;
	struct slot *s;

	if (!p)
		return PNP_OBJ_NONE;
	pthread_mutex_lock(&lock);
	if ((s = find(p)))
		k = s->kind;
	pthread_mutex_unlock(&lock);
	return k;
}

static const char *kind_name(enum pnp_obj_kind k)
{
	switch (k) {
	case PNP_OBJ_DRIVER:
		return "driver object";
	case PNP_OBJ_DEVICE:
		return "device object";
	case PNP_OBJ_IRP:
		return "IRP";
	case PNP_OBJ_KEY:
		return "registry key handle";
	case PNP_OBJ_DMA:
		return "DMA adapter";
	case PNP_OBJ_NONE:
		break;
	}
	return "nothing the I/O manager issued";
}

bool pnp__obj_check(const void *p, enum pnp_obj_kind kind, const char *fn)
{
	enum pnp_obj_kind k = pnp__obj_kind(p);

	if (k == kind)
		return true;
	pnp__stats.bad_objects++;
	log_warn(PNP_LOG, "%s: %p is %s, not a live %s; refused (a bugcheck on Windows)", fn, p, kind_name(k),
		 kind_name(kind));
	return false;
}

void pnp__driver_bug(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pnp__stats.driver_bugs++;
	log_warn(PNP_LOG, "%s", buf);
}

void pnp_get_stats(struct pnp_stats *st)
{
	*st = pnp__stats;
}
