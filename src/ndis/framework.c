/*
 * One framework instance per partition (framework.h): creation, teardown in
 * the order Windows tears a stack down (adapters halted, protocols unbound and
 * unloaded, drivers unloaded), driver-package installation, and the
 * thread-local "current call" that lets handle-less exports find their
 * instance: while the framework runs driver code (DriverEntry, a Miniport*
 * or Protocol* handler) the thread records which framework, driver and
 * adapter it is in. NdisGetHypervisorInfo has no handle and uses it; outside
 * such a call (a driver's own worker thread) the only live instance in the
 * process is used -- the lab runs one partition per process, so this is
 * exact there (docs/ndis/design.md, "Finding the instance").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ndis/internal.h"

static __thread struct ndis_call *current_call;

static pthread_mutex_t instances_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ndis_framework *only_instance;
static unsigned n_instances;

void ndis__call_enter(struct ndis_call *c, struct ndis_framework *fw, struct ndis_driver *drv,
		      struct ndis_adapter *ad)
{
	c->fw = fw;
	c->drv = drv;
	c->ad = ad;
	c->prev = current_call;
	current_call = c;
}

void ndis__call_leave(struct ndis_call *c)
{
	current_call = c->prev;
	/* An interrupt that came in while the miniport ran is serviced now. */
	if (c->ad && c->ad->intr)
		ndis__interrupt_run_pending(c->ad);
}

struct ndis_call *ndis__call_current(void)
{
	return current_call;
}

struct ndis_framework *ndis_framework_current(void)
{
	return current_call ? current_call->fw : NULL;
}

struct ndis_framework *ndis__framework_for_call(void)
{
	struct ndis_framework *fw = NULL;

	if (current_call)
		return current_call->fw;
	pthread_mutex_lock(&instances_lock);
	if (n_instances == 1)
		fw = only_instance;
	pthread_mutex_unlock(&instances_lock);
	return fw;
}

const char *ndis_partition_name(enum ndis_partition p)
{
	switch (p) {
	case NDIS_PARTITION_NONE:
		return "none";
	case NDIS_PARTITION_PARENT:
		return "parent";
	case NDIS_PARTITION_CHILD:
		return "child";
	}
	return "?";
}

struct ndis_framework *ndis_framework_create(const char *name, enum ndis_partition partition)
{
	struct ndis_framework *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return NULL;
	ndis__strlcpy(fw->name, name ? name : "ndis", sizeof(fw->name));
	fw->partition = partition;
	fw->next_ifindex = 10;
	fw->next_luid = 0x1000;
	pthread_mutex_lock(&instances_lock);
	n_instances++;
	only_instance = fw;
	pthread_mutex_unlock(&instances_lock);
	log_info(NDIS_LOG, "NDIS instance '%s' created (partition: %s)", fw->name,
		 ndis_partition_name(partition));
	return fw;
}

void ndis_framework_destroy(struct ndis_framework *fw)
{
	struct ndis_package *pkg, *next;

	if (!fw)
		return;
	fw->destroying = true;
	while (fw->adapters)
		ndis_adapter_destroy(fw->adapters);
	ndis__protocol_unload_all(fw);
	while (fw->drivers)
		ndis__driver_unload(fw->drivers);
	for (pkg = fw->packages; pkg; pkg = next) {
		next = pkg->next;
		ndis_inf_destroy(pkg->inf);
		free(pkg->bindir);
		free(pkg);
	}
	ndis__findings_free(fw);
	pthread_mutex_lock(&instances_lock);
	n_instances--;
	if (only_instance == fw)
		only_instance = NULL;
	pthread_mutex_unlock(&instances_lock);
	log_info(NDIS_LOG, "NDIS instance '%s' destroyed", fw->name);
	free(fw);
}

const char *ndis_framework_name(const struct ndis_framework *fw)
{
	return fw->name;
}

enum ndis_partition ndis_framework_partition(const struct ndis_framework *fw)
{
	return fw->partition;
}

void ndis_framework_set_virt_ops(struct ndis_framework *fw, const struct ndis_virt_ops *ops, void *ctx)
{
	fw->virt = ops;
	fw->virt_ctx = ctx;
}

int ndis_framework_install_inf(struct ndis_framework *fw, const char *inf_path,
			       const char *binary_dir, char *err, size_t errlen)
{
	struct ndis_package *pkg;
	struct ndis_inf *inf;
	int rc;

	rc = ndis_inf_load(inf_path, &inf, err, errlen);
	if (rc) {
		log_error(NDIS_LOG, "driver package refused: %s", err ? err : inf_path);
		return rc;
	}
	/* A hardware or component ID may be served by one package only. */
	for (size_t i = 0; i < ndis_inf_model_count(inf); i++) {
		const struct ndis_package *other;
		const char *id = ndis_inf_model_at(inf, i)->id;

		if (ndis__find_model(fw, id, &other)) {
			if (err)
				snprintf(err, errlen, "%s:%d: %s is already served by %s", inf_path,
					 ndis_inf_model_at(inf, i)->line, id, ndis_inf_name(other->inf));
			log_error(NDIS_LOG, "driver package refused: %s is already served by %s", id,
				  ndis_inf_name(other->inf));
			ndis_inf_destroy(inf);
			return -EEXIST;
		}
	}
	pkg = calloc(1, sizeof(*pkg));
	if (!pkg || !(pkg->bindir = strdup(binary_dir ? binary_dir : "."))) {
		free(pkg);
		ndis_inf_destroy(inf);
		return -ENOMEM;
	}
	pkg->inf = inf;
	pkg->next = fw->packages;
	fw->packages = pkg;
	log_info(NDIS_LOG, "driver package %s installed (class %s, %zu model(s))", inf_path,
		 ndis_inf_class_name(ndis_inf_class(inf)), ndis_inf_model_count(inf));
	return 0;
}

const struct ndis_inf_model *ndis__find_model(struct ndis_framework *fw, const char *id,
					      const struct ndis_package **pkg)
{
	for (const struct ndis_package *p = fw->packages; p; p = p->next) {
		const struct ndis_inf_model *m = ndis_inf_find_model(p->inf, id);
		if (m) {
			if (pkg)
				*pkg = p;
			return m;
		}
	}
	return NULL;
}

size_t ndis__strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (len) {
		size_t c = n < len - 1 ? n : len - 1;
		memcpy(dst, src, c);
		dst[c] = 0;
	}
	return n;
}

size_t ndis__ascii_to_utf16(WCHAR *dst, size_t cap, const char *src, size_t n)
{
	if (!cap)
		return 0;
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (WCHAR)(unsigned char)src[i];
	dst[n] = 0;
	return n;
}

void ndis__ustr_set(UNICODE_STRING *u, WCHAR *buf, size_t cap, const char *s)
{
	size_t n = ndis__ascii_to_utf16(buf, cap, s, strlen(s));

	u->Buffer = buf;
	u->Length = (USHORT)(n * sizeof(WCHAR));
	u->MaximumLength = (USHORT)(cap * sizeof(WCHAR));
}

const char *ndis__oid_str(uint32_t oid)
{
	static __thread char buf[4][80];
	static __thread unsigned i;
	char *b = buf[i++ % 4];

	return ndis_oid_format(b, sizeof(buf[0]), oid);
}

const char *ndis__status_str(uint32_t status)
{
	static __thread char buf[4][80];
	static __thread unsigned i;
	char *b = buf[i++ % 4];

	return ndis_status_format(b, sizeof(buf[0]), status);
}

size_t ndis_framework_adapter_count(const struct ndis_framework *fw)
{
	size_t n = 0;

	for (const struct ndis_adapter *ad = fw->adapters; ad; ad = ad->next)
		n++;
	return n;
}

struct ndis_adapter *ndis_framework_adapter_at(const struct ndis_framework *fw, size_t i)
{
	struct ndis_adapter *ad = fw->adapters;

	while (ad && i--)
		ad = ad->next;
	return ad;
}

struct ndis_adapter *ndis_framework_find_adapter(const struct ndis_framework *fw, const char *name)
{
	for (struct ndis_adapter *ad = fw->adapters; ad; ad = ad->next)
		if (strcasecmp(ad->name, name) == 0)
			return ad;
	return NULL;
}
