/*
 * The PnP manager of a guest: the device tree and the sequences that move a
 * device node through its states (pnp.h; docs/pnp.md has the diagram),
 * following kernel/state-transitions-for-pnp-devices and
 * kernel/removing-a-device: a reported PDO is asked for its IDs
 * (IRP_MN_QUERY_ID), the best-ranked driver that serves one of them gets
 * AddDevice, the stack is started (IRP_MN_START_DEVICE) and asked for its
 * children (IRP_MN_QUERY_DEVICE_RELATIONS / BusRelations); removal walks the
 * subtree leaves first with QUERY_REMOVE (and CANCEL_REMOVE on a refusal),
 * SURPRISE_REMOVAL, REMOVE. Every PnP IRP starts with STATUS_NOT_SUPPORTED
 * and goes to the top of the node's stack; what comes back is whatever the
 * drivers in it made of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pnp/pnp_int.h"
#include "base/trace.h"

static const char *const state_names[PNP_DN_STATE_COUNT] = {
	"Enumerated", "DriverAdded", "Started", "StartFailed", "QueryRemoved", "SurpriseRemoved", "Removed",
};

/* from -> to (docs/pnp.md). */
static const bool transitions[PNP_DN_STATE_COUNT][PNP_DN_STATE_COUNT] = {
	[PNP_DN_ENUMERATED] = { [PNP_DN_DRIVER_ADDED] = true, [PNP_DN_REMOVED] = true },
	[PNP_DN_DRIVER_ADDED] = { [PNP_DN_STARTED] = true, [PNP_DN_START_FAILED] = true, [PNP_DN_REMOVED] = true },
	[PNP_DN_STARTED] = { [PNP_DN_QUERY_REMOVED] = true, [PNP_DN_SURPRISE_REMOVED] = true },
	[PNP_DN_START_FAILED] = { [PNP_DN_REMOVED] = true },
	[PNP_DN_QUERY_REMOVED] = { [PNP_DN_STARTED] = true, [PNP_DN_SURPRISE_REMOVED] = true,
				   [PNP_DN_REMOVED] = true },
	[PNP_DN_SURPRISE_REMOVED] = { [PNP_DN_REMOVED] = true },
	[PNP_DN_REMOVED] = { false },
};

const char *pnp_dn_state_name(enum pnp_dn_state s)
{
	return (unsigned)s < PNP_DN_STATE_COUNT ? state_names[s] : "?";
}

bool pnp_dn_transition_allowed(enum pnp_dn_state from, enum pnp_dn_state to)
{
	return (unsigned)from < PNP_DN_STATE_COUNT && (unsigned)to < PNP_DN_STATE_COUNT && transitions[from][to];
}

static int set_state(struct pnp_devnode *dn, enum pnp_dn_state to)
{
	if (!pnp_dn_transition_allowed(dn->state, to)) {
		log_error(PNP_LOG, "%s: device node %s: illegal transition %s -> %s refused", dn->pm->name, dn->instance,
			  pnp_dn_state_name(dn->state), pnp_dn_state_name(to));
		return -EPERM;
	}
	log_info(PNP_LOG, "%s: %s: %s -> %s", dn->pm->name, dn->instance, pnp_dn_state_name(dn->state),
		 pnp_dn_state_name(to));
	dn->state = to;
	return 0;
}

/* ---- manager ----------------------------------------------------------------------- */
struct pnp_manager *pnp_manager_create(const char *name)
{
	struct pnp_manager *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	snprintf(pm->name, sizeof(pm->name), "%s", name ? name : "guest");
	return pm;
}

const char *pnp_manager_name(const struct pnp_manager *pm)
{
	return pm->name;
}

int pnp_manager_add_provider(struct pnp_manager *pm, const struct pnp_provider *p, void *ctx)
{
	if (!pm || !p || !p->match)
		return -EINVAL;
	if (pm->n_providers == sizeof(pm->providers) / sizeof(pm->providers[0]))
		return -ENOSPC;
	pm->providers[pm->n_providers].p = *p;
	pm->providers[pm->n_providers++].ctx = ctx;
	return 0;
}

int pnp_manager_set_param(struct pnp_manager *pm, const char *service, const char *name, uint32_t value)
{
	struct pnp_override *o;

	if (!pm || !service || !name || strlen(service) >= sizeof(o->service) || strlen(name) >= sizeof(o->name))
		return -EINVAL;
	for (size_t i = 0; i < pm->n_overrides; i++)
		if (!strcasecmp(pm->overrides[i].service, service) && !strcasecmp(pm->overrides[i].name, name)) {
			pm->overrides[i].value = value;
			return 0;
		}
	o = realloc(pm->overrides, (pm->n_overrides + 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	pm->overrides = o;
	o = &pm->overrides[pm->n_overrides++];
	snprintf(o->service, sizeof(o->service), "%s", service);
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->value = value;
	return 0;
}

/* ---- tree -------------------------------------------------------------------------- */
static void link_node(struct pnp_manager *pm, struct pnp_devnode *parent, struct pnp_devnode *dn)
{
	struct pnp_devnode **pp = parent ? &parent->children : &pm->roots;

	while (*pp)
		pp = &(*pp)->sibling;
	*pp = dn;
	dn->parent = parent;
}

static void unlink_node(struct pnp_devnode *dn)
{
	struct pnp_devnode **pp = dn->parent ? &dn->parent->children : &dn->pm->roots;

	for (; *pp; pp = &(*pp)->sibling)
		if (*pp == dn) {
			*pp = dn->sibling;
			break;
		}
	dn->sibling = NULL;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void node_free(struct pnp_devnode *dn)
{
	free_ids(dn->hwids, dn->n_hwids);
	free_ids(dn->compat, dn->n_compat);
	free(dn->dev_params);
	free(dn->drv_params);
	free(dn);
}

/* Forget dn in every device object of its stack. */
static void detach_stack(struct pnp_devnode *dn)
{
	if (!dn->pdo)
		return;
	if (dn->pdo->AttachedDevice)
		pnp__driver_bug("%s: %s is still attached to the PDO after IRP_MN_REMOVE_DEVICE (the function driver "
				"did not IoDetachDevice + IoDeleteDevice)", dn->instance,
				pnp__devext(dn->pdo->AttachedDevice)->name);
	for (PDEVICE_OBJECT d = dn->pdo; d; d = d->AttachedDevice)
		pnp__devext(d)->dn = NULL;
	dn->pdo = NULL;
}

void pnp__devnode_pdo_deleted(struct pnp_devnode *dn)
{
	if (dn->state != PNP_DN_REMOVED)
		pnp__driver_bug("%s: the bus driver deleted the PDO while its device node is %s (delete it after "
				"IRP_MN_REMOVE_DEVICE, once the device is gone)", dn->instance,
				pnp_dn_state_name(dn->state));
	for (PDEVICE_OBJECT d = dn->pdo ? dn->pdo->AttachedDevice : NULL; d; d = d->AttachedDevice)
		pnp__devext(d)->dn = NULL;
	dn->pdo = NULL;
}

/* ---- sending PnP IRPs ------------------------------------------------------------------ */
typedef void fill_fn(PIO_STACK_LOCATION sl, const void *arg);

static NTSTATUS send_pnp(struct pnp_devnode *dn, UCHAR minor, fill_fn *fill, const void *arg, ULONG_PTR *info)
{
	PDEVICE_OBJECT top;
	PIRP irp;

	if (info)
		*info = 0;
	if (!dn->pdo)
		return STATUS_NO_SUCH_DEVICE;
	top = IoGetAttachedDevice(dn->pdo);
	irp = pnp_build_pnp_irp(top, minor);
	if (!irp)
		return STATUS_INSUFFICIENT_RESOURCES;
	if (fill)
		fill(IoGetNextIrpStackLocation(irp), arg);
	return pnp_call_sync(top, irp, info);
}

static void fill_query_id(PIO_STACK_LOCATION sl, const void *arg)
{
	sl->Parameters.QueryId.IdType = *(const BUS_QUERY_ID_TYPE *)arg;
}

static void fill_relations(PIO_STACK_LOCATION sl, const void *arg)
{
	(void)arg;
	sl->Parameters.QueryDeviceRelations.Type = BusRelations;
}

/* A WCHAR string (or multi-string) from a driver, as ASCII; freed with ExFreePool. */
static int take_ids(ULONG_PTR info, bool multi, char ***out, size_t *n)
{
	const WCHAR *w = (const WCHAR *)info;
	char **ids = NULL;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (!w)
		return 0;
	for (size_t guard = 0; *w && guard < 64; guard++) {
		char buf[256];
		size_t k = 0;
		char **ni;

		while (w[k] && k + 1 < sizeof(buf)) {
			buf[k] = w[k] < 0x80 && w[k] >= 0x20 ? (char)w[k] : '?';
			k++;
		}
		buf[k] = 0;
		while (w[k])
			k++;
		ni = realloc(ids, (cnt + 1) * sizeof(*ids));
		if (!ni || !(ni[cnt] = strdup(buf))) {
			free_ids(ni ? ni : ids, cnt);
			ExFreePool((PVOID)info);
			return -ENOMEM;
		}
		ids = ni;
		cnt++;
		w += k + 1;
		if (!multi)
			break;
	}
	ExFreePool((PVOID)info);
	*out = ids;
	*n = cnt;
	return 0;
}

static void query_ids(struct pnp_devnode *dn)
{
	BUS_QUERY_ID_TYPE t;
	ULONG_PTR info;
	char **one;
	size_t n;
	char devid[128] = "", inst[64] = "";

	t = BusQueryHardwareIDs;
	if (NT_SUCCESS(send_pnp(dn, IRP_MN_QUERY_ID, fill_query_id, &t, &info)))
		(void)take_ids(info, true, &dn->hwids, &dn->n_hwids);
	t = BusQueryCompatibleIDs;
	if (NT_SUCCESS(send_pnp(dn, IRP_MN_QUERY_ID, fill_query_id, &t, &info)))
		(void)take_ids(info, true, &dn->compat, &dn->n_compat);
	t = BusQueryDeviceID;
	if (NT_SUCCESS(send_pnp(dn, IRP_MN_QUERY_ID, fill_query_id, &t, &info)) && !take_ids(info, false, &one, &n) &&
	    n) {
		snprintf(devid, sizeof(devid), "%s", one[0]);
		free_ids(one, n);
	}
	t = BusQueryInstanceID;
	if (NT_SUCCESS(send_pnp(dn, IRP_MN_QUERY_ID, fill_query_id, &t, &info)) && !take_ids(info, false, &one, &n) &&
	    n) {
		snprintf(inst, sizeof(inst), "%s", one[0]);
		free_ids(one, n);
	}
	if (!devid[0])
		snprintf(devid, sizeof(devid), "%s", dn->n_hwids ? dn->hwids[0] : "UNKNOWN");
	if (!inst[0])
		snprintf(inst, sizeof(inst), "%p", (void *)dn);
	snprintf(dn->instance, sizeof(dn->instance), "%s\\%s", devid, inst);
}

/* ---- finding and adding the function driver --------------------------------------------- */
static int add_param(struct pnp_param **arr, size_t *n, const char *name, ULONG type, uint32_t dword, const char *sz)
{
	struct pnp_param *p = NULL;

	for (size_t i = 0; i < *n; i++)
		if (!strcasecmp((*arr)[i].name, name))
			p = &(*arr)[i];
	if (!p) {
		struct pnp_param *na = realloc(*arr, (*n + 1) * sizeof(*na));

		if (!na)
			return -ENOMEM;
		*arr = na;
		p = &na[(*n)++];
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	p->dword = dword;
	snprintf(p->sz, sizeof(p->sz), "%s", sz ? sz : "");
	return 0;
}

static void apply_params(struct pnp_devnode *dn, const struct pnp_inf_install *inst)
{
	const struct pnp_manager *pm = dn->pm;

	for (size_t i = 0; i < inst->n_dev_values; i++)
		if (!inst->dev_values[i].subkey[0])
			(void)add_param(&dn->dev_params, &dn->n_dev_params, inst->dev_values[i].name,
					inst->dev_values[i].type, inst->dev_values[i].dword, inst->dev_values[i].sz);
	for (size_t i = 0; i < inst->n_drv_values; i++)
		if (!inst->drv_values[i].subkey[0])
			(void)add_param(&dn->drv_params, &dn->n_drv_params, inst->drv_values[i].name,
					inst->drv_values[i].type, inst->drv_values[i].dword, inst->drv_values[i].sz);
	for (size_t i = 0; i < pm->n_overrides; i++)
		if (!strcasecmp(pm->overrides[i].service, inst->service)) {
			log_info(PNP_LOG, "%s: %s: device parameter %s = %u (override)", pm->name, dn->instance,
				 pm->overrides[i].name, pm->overrides[i].value);
			(void)add_param(&dn->dev_params, &dn->n_dev_params, pm->overrides[i].name, REG_DWORD,
					pm->overrides[i].value, NULL);
		}
}

const struct pnp_param *pnp__param_find(const struct pnp_devnode *dn, ULONG key_type, const char *name)
{
	const struct pnp_param *arr = key_type == PLUGPLAY_REGKEY_DEVICE ? dn->dev_params : dn->drv_params;
	size_t n = key_type == PLUGPLAY_REGKEY_DEVICE ? dn->n_dev_params : dn->n_drv_params;

	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(arr[i].name, name))
			return &arr[i];
	return NULL;
}

static struct pnp_driver *match_id(struct pnp_devnode *dn, const char *id)
{
	struct pnp_manager *pm = dn->pm;

	for (struct pnp_package *pkg = pm->packages; pkg; pkg = pkg->next) {
		const struct pnp_inf_model *m = pnp_inf_find_model(pkg->inf, id);
		struct pnp_driver *d;

		if (!m)
			continue;
		d = pnp__driver_get(pm, pkg, m->install);
		if (!d)
			return NULL;
		log_info(PNP_LOG, "%s: %s matched %s [%s] on %s", pm->name, dn->instance, pnp_inf_name(pkg->inf),
			 m->install->name, id);
		apply_params(dn, m->install);
		return d;
	}
	for (size_t i = 0; i < pm->n_providers; i++) {
		PDRIVER_OBJECT o = pm->providers[i].p.match(pm->providers[i].ctx, dn, id);

		if (o && pnp__obj_kind(o) == PNP_OBJ_DRIVER) {
			log_info(PNP_LOG, "%s: %s served by %s (%s) on %s", pm->name, dn->instance, pnp__driver(o)->name,
				 pm->providers[i].p.name, id);
			return pnp__driver(o);
		}
	}
	return NULL;
}

static struct pnp_driver *find_driver(struct pnp_devnode *dn)
{
	struct pnp_driver *d;

	for (size_t i = 0; i < dn->n_hwids; i++)
		if ((d = match_id(dn, dn->hwids[i])))
			return d;
	for (size_t i = 0; i < dn->n_compat; i++)
		if ((d = match_id(dn, dn->compat[i])))
			return d;
	return NULL;
}

static void remove_tree(struct pnp_devnode *dn, bool surprise);
static void process_relations(struct pnp_devnode *dn);

static void start(struct pnp_devnode *dn)
{
	NTSTATUS st;
	PDEVICE_OBJECT top;

	top = IoGetAttachedDevice(dn->pdo);
	if (top->Flags & DO_DEVICE_INITIALIZING) {
		pnp__driver_bug("%s: AddDevice left DO_DEVICE_INITIALIZING set on %s (clear it before returning)",
				dn->instance, pnp__devext(top)->name);
		top->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	}
	trace_span_begin("pnp", "IRP_MN_START_DEVICE", "device=%s", dn->instance);
	st = send_pnp(dn, IRP_MN_START_DEVICE, NULL, NULL, NULL);
	trace_span_end();
	if (!NT_SUCCESS(st)) {
		dn->problem = st;
		log_error(PNP_LOG, "%s: %s: IRP_MN_START_DEVICE failed with 0x%x (device problem code 10)", dn->pm->name,
			  dn->instance, (unsigned)st);
		(void)set_state(dn, PNP_DN_START_FAILED);
		/* The stack is torn down; the PDO stays, with its problem. */
		(void)send_pnp(dn, IRP_MN_REMOVE_DEVICE, NULL, NULL, NULL);
		return;
	}
	(void)set_state(dn, PNP_DN_STARTED);
	process_relations(dn);
}

/* IDs -> driver -> AddDevice -> START (-> children). */
static void enumerate(struct pnp_devnode *dn)
{
	struct pnp_driver *drv;
	NTSTATUS st;

	dn->enumerated = true;
	query_ids(dn);
	log_info(PNP_LOG, "%s: device %s arrived (hardware ID %s)", dn->pm->name, dn->instance,
		 dn->n_hwids ? dn->hwids[0] : "(none)");
	drv = find_driver(dn);
	if (!drv) {
		log_warn(PNP_LOG, "%s: %s: no driver serves it (device problem code 28); it stays without a driver",
			 dn->pm->name, dn->instance);
		return;
	}
	dn->fdrv = drv;
	if (!drv->ext.AddDevice) {
		dn->problem = STATUS_NOT_SUPPORTED;
		log_error(PNP_LOG, "%s: %s: driver %s has no AddDevice", dn->pm->name, dn->instance, drv->name);
		return;
	}
	trace_span_begin("pnp", "AddDevice", "driver=%s device=%s", drv->name, dn->instance);
	st = drv->ext.AddDevice(&drv->obj, dn->pdo);
	trace_span_end();
	if (!NT_SUCCESS(st)) {
		dn->problem = st;
		log_error(PNP_LOG, "%s: %s: AddDevice of %s failed: 0x%x", dn->pm->name, dn->instance, drv->name,
			  (unsigned)st);
		return;
	}
	if (!dn->pdo)
		return;	/* a buggy AddDevice deleted the PDO */
	(void)set_state(dn, PNP_DN_DRIVER_ADDED);
	start(dn);
}

static struct pnp_devnode *node_create(struct pnp_manager *pm, struct pnp_devnode *parent, PDEVICE_OBJECT pdo)
{
	struct pnp_devnode *dn = calloc(1, sizeof(*dn));

	if (!dn)
		return NULL;
	dn->pm = pm;
	dn->pdo = pdo;
	dn->state = PNP_DN_ENUMERATED;
	snprintf(dn->instance, sizeof(dn->instance), "%s", pnp__devext(pdo)->name);
	pnp__devext(pdo)->dn = dn;
	link_node(pm, parent, dn);
	return dn;
}

/* A device at the bottom of its stack (with nothing attached yet, if new). */
static bool valid_pdo(PDEVICE_OBJECT pdo, const char *fn)
{
	struct _DEVOBJ_EXTENSION *x;

	if (!pnp__obj_check(pdo, PNP_OBJ_DEVICE, fn))
		return false;
	x = pnp__devext(pdo);
	if (x->attached_to || (!x->dn && pdo->AttachedDevice)) {
		pnp__driver_bug("%s: %s is not a PDO (it is in a stack already)", fn, x->name);
		return false;
	}
	return true;
}

/* ---- bus relations ---------------------------------------------------------------------- */
static void process_relations(struct pnp_devnode *dn)
{
	PDEVICE_RELATIONS rel;
	ULONG_PTR info;
	NTSTATUS st;
	struct pnp_devnode *c, *next;

	dn->relations_dirty = false;
	st = send_pnp(dn, IRP_MN_QUERY_DEVICE_RELATIONS, fill_relations, NULL, &info);
	if (!NT_SUCCESS(st))
		return;	/* nobody in the stack is a bus driver: no children */
	rel = (PDEVICE_RELATIONS)info;
	for (c = dn->children; c; c = c->sibling)
		c->seen = false;
	for (ULONG i = 0; rel && i < rel->Count && i < 256; i++) {
		PDEVICE_OBJECT pdo = rel->Objects[i];
		struct _DEVOBJ_EXTENSION *x;

		if (!valid_pdo(pdo, "IRP_MN_QUERY_DEVICE_RELATIONS"))
			continue;
		x = pnp__devext(pdo);
		if (x->dn) {
			if (x->dn->parent == dn)
				x->dn->seen = true;
			else
				pnp__driver_bug("%s reported %s, a PDO of another device node", dn->instance, x->name);
			continue;
		}
		c = node_create(dn->pm, dn, pdo);
		if (c)
			c->seen = true;
	}
	if (rel)
		ExFreePool(rel);
	/* Children gone from the list were removed by their bus: by surprise if running. */
	for (c = dn->children; c; c = next) {
		next = c->sibling;
		if (!c->seen) {
			log_info(PNP_LOG, "%s: %s is no longer reported by %s", dn->pm->name, c->instance, dn->instance);
			remove_tree(c, true);
		}
	}
	/* New ones: enumerate (those already known are left alone). */
	for (c = dn->children; c; c = c->sibling)
		if (!c->enumerated)
			enumerate(c);
}

static void enter(struct pnp_manager *pm)
{
	pm->depth++;
}

static int drain(struct pnp_manager *pm);

static void leave(struct pnp_manager *pm)
{
	if (--pm->depth == 0 && !pm->destroying)
		(void)drain(pm);
}

void pnp__relations_invalidated(struct pnp_devnode *dn)
{
	dn->relations_dirty = true;
	log_debug(PNP_LOG, "%s: %s invalidated its bus relations", dn->pm->name, dn->instance);
	if (dn->pm->depth == 0 && !dn->pm->destroying) {
		enter(dn->pm);
		leave(dn->pm);
	}
}

static struct pnp_devnode *find_dirty(struct pnp_devnode *dn)
{
	for (; dn; dn = dn->sibling) {
		struct pnp_devnode *d;

		if (dn->relations_dirty && dn->state == PNP_DN_STARTED)
			return dn;
		if ((d = find_dirty(dn->children)))
			return d;
	}
	return NULL;
}

static int drain(struct pnp_manager *pm)
{
	struct pnp_devnode *dn;
	int n = 0;

	pm->depth++;
	while (n < 1000 && (dn = find_dirty(pm->roots))) {
		process_relations(dn);
		n++;
	}
	pm->depth--;
	return n;
}

int pnp_manager_poll(struct pnp_manager *pm)
{
	return pm && pm->depth == 0 ? drain(pm) : 0;
}

/* ---- arrival ------------------------------------------------------------------------- */
int pnp_device_arrived(struct pnp_manager *pm, PDEVICE_OBJECT pdo, struct pnp_devnode **out)
{
	struct pnp_devnode *dn;

	if (out)
		*out = NULL;
	if (!pm || !pnp__obj_check(pdo, PNP_OBJ_DEVICE, "pnp_device_arrived"))
		return -EINVAL;
	if (pnp__devext(pdo)->dn && pnp__devext(pdo)->dn->pdo == pdo)
		return -EEXIST;
	if (!valid_pdo(pdo, "pnp_device_arrived"))
		return -EINVAL;
	dn = node_create(pm, NULL, pdo);
	if (!dn)
		return -ENOMEM;
	if (out)
		*out = dn;
	enter(pm);
	enumerate(dn);
	leave(pm);
	return 0;
}

/* ---- removal --------------------------------------------------------------------------- */
/* Nodes of the subtree, leaves first. */
static size_t postorder(struct pnp_devnode *dn, struct pnp_devnode **out, size_t cap, size_t n)
{
	for (struct pnp_devnode *c = dn->children; c; c = c->sibling)
		n = postorder(c, out, cap, n);
	if (n < cap)
		out[n] = dn;
	return n + 1;
}

static struct pnp_devnode **subtree(struct pnp_devnode *dn, size_t *n)
{
	size_t cnt = postorder(dn, NULL, 0, 0);
	struct pnp_devnode **v = calloc(cnt, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	*n = postorder(dn, v, cnt, 0);
	return v;
}

static int query_remove(struct pnp_devnode *dn)
{
	struct pnp_devnode **v;
	size_t n, i;
	int rc = 0;

	v = subtree(dn, &n);
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		NTSTATUS st;

		if (v[i]->state != PNP_DN_STARTED)
			continue;
		st = send_pnp(v[i], IRP_MN_QUERY_REMOVE_DEVICE, NULL, NULL, NULL);
		if (!NT_SUCCESS(st)) {
			log_info(PNP_LOG, "%s: %s refused IRP_MN_QUERY_REMOVE_DEVICE: 0x%x", dn->pm->name, v[i]->instance,
				 (unsigned)st);
			rc = -EBUSY;
			break;
		}
		(void)set_state(v[i], PNP_DN_QUERY_REMOVED);
	}
	if (rc)
		while (i--)
			if (v[i]->state == PNP_DN_QUERY_REMOVED) {
				(void)send_pnp(v[i], IRP_MN_CANCEL_REMOVE_DEVICE, NULL, NULL, NULL);
				(void)set_state(v[i], PNP_DN_STARTED);
			}
	free(v);
	return rc;
}

int pnp_device_query_remove(struct pnp_devnode *dn)
{
	int rc;

	if (!dn)
		return -EINVAL;
	enter(dn->pm);
	rc = query_remove(dn);
	leave(dn->pm);
	return rc;
}

static void remove_tree(struct pnp_devnode *dn, bool surprise)
{
	struct pnp_devnode **v;
	size_t n;

	v = subtree(dn, &n);
	if (!v) {
		log_error(PNP_LOG, "%s: out of memory removing %s", dn->pm->name, dn->instance);
		return;
	}
	if (surprise)
		for (size_t i = 0; i < n; i++)
			if (v[i]->state == PNP_DN_STARTED || v[i]->state == PNP_DN_QUERY_REMOVED) {
				(void)set_state(v[i], PNP_DN_SURPRISE_REMOVED);
				(void)send_pnp(v[i], IRP_MN_SURPRISE_REMOVAL, NULL, NULL, NULL);
			}
	for (size_t i = 0; i < n; i++) {
		struct pnp_devnode *c = v[i];

		if (c->state == PNP_DN_STARTED)
			(void)set_state(c, PNP_DN_QUERY_REMOVED);	/* forced (manager teardown) */
		(void)set_state(c, PNP_DN_REMOVED);
		(void)send_pnp(c, IRP_MN_REMOVE_DEVICE, NULL, NULL, NULL);
		detach_stack(c);
		unlink_node(c);
		log_info(PNP_LOG, "%s: %s removed", c->pm->name, c->instance);
		node_free(c);
	}
	free(v);
}

int pnp_device_remove(struct pnp_devnode *dn, bool surprise)
{
	struct pnp_manager *pm;

	if (!dn)
		return -EINVAL;
	pm = dn->pm;
	enter(pm);
	if (!surprise) {
		int rc = query_remove(dn);

		if (rc) {
			leave(pm);
			return rc;
		}
	}
	remove_tree(dn, surprise);
	leave(pm);
	return 0;
}

void pnp_manager_destroy(struct pnp_manager *pm)
{
	if (!pm)
		return;
	pm->destroying = true;
	pm->depth++;
	while (pm->roots)
		remove_tree(pm->roots, false);
	pnp__drivers_unload(pm);
	while (pm->packages) {
		struct pnp_package *p = pm->packages;

		pm->packages = p->next;
		pnp_inf_destroy(p->inf);
		free(p->bindir);
		free(p);
	}
	free(pm->overrides);
	free(pm);
}

/* ---- views ------------------------------------------------------------------------------ */
enum pnp_dn_state pnp_devnode_state(const struct pnp_devnode *dn)
{
	return dn->state;
}

PDEVICE_OBJECT pnp_devnode_pdo(const struct pnp_devnode *dn)
{
	return dn->pdo;
}

struct pnp_devnode *pnp_devnode_parent(const struct pnp_devnode *dn)
{
	return dn->parent;
}

struct pnp_manager *pnp_devnode_manager(const struct pnp_devnode *dn)
{
	return dn->pm;
}

const char *pnp_devnode_instance(const struct pnp_devnode *dn)
{
	return dn->instance;
}

const char *pnp_devnode_hwid(const struct pnp_devnode *dn, size_t i)
{
	return i < dn->n_hwids ? dn->hwids[i] : NULL;
}

const char *pnp_devnode_service(const struct pnp_devnode *dn)
{
	return dn->fdrv ? dn->fdrv->name : NULL;
}

NTSTATUS pnp_devnode_problem(const struct pnp_devnode *dn)
{
	return dn->problem;
}

struct pnp_devnode *pnp_devnode_of(PDEVICE_OBJECT dev)
{
	return pnp__obj_kind(dev) == PNP_OBJ_DEVICE ? pnp__devext(dev)->dn : NULL;
}

size_t pnp_devnode_child_count(const struct pnp_devnode *dn)
{
	size_t n = 0;

	for (const struct pnp_devnode *c = dn->children; c; c = c->sibling)
		n++;
	return n;
}

struct pnp_devnode *pnp_devnode_child_at(const struct pnp_devnode *dn, size_t i)
{
	struct pnp_devnode *c = dn->children;

	while (c && i--)
		c = c->sibling;
	return c;
}

static size_t count_from(const struct pnp_devnode *dn)
{
	size_t n = 0;

	for (; dn; dn = dn->sibling)
		n += 1 + count_from(dn->children);
	return n;
}

size_t pnp_manager_devnode_count(const struct pnp_manager *pm)
{
	return count_from(pm->roots);
}

static struct pnp_devnode *at_from(struct pnp_devnode *dn, size_t *i)
{
	for (; dn; dn = dn->sibling) {
		struct pnp_devnode *r;

		if ((*i)-- == 0)
			return dn;
		if ((r = at_from(dn->children, i)))
			return r;
	}
	return NULL;
}

struct pnp_devnode *pnp_manager_devnode_at(const struct pnp_manager *pm, size_t i)
{
	return at_from(pm->roots, &i);
}
