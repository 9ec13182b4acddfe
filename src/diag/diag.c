/*
 * diagnose's report (diag.h): diag_run() collects, per VM network adapter,
 * what the checks read -- its switch, the [nic] and PF adapter under it,
 * the VM's process and that guest's own answer (VMCTL_MSG_DIAG, parsed by
 * guest_facts.c) -- walks the chain (checks.c) and keeps the links; the
 * report renders as JSON (the schema of docs/diagnose.md) and as text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "diag/diag_int.h"

#define DIAG_LOG "lab.diag"
#define DIAG_GUEST_TIMEOUT_MS 3000

const char *diag_status_name(enum diag_status s)
{
	switch (s) {
	case DIAG_OK: return "ok";
	case DIAG_BROKEN: return "broken";
	case DIAG_WARNING: return "warning";
	case DIAG_NOT_REACHED: return "not-reached";
	case DIAG_NA: return "n/a";
	}
	return "?";
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The guest's answer for the VM of c (c->w set): c->guest, or c->guest_why. */
static void ask_guest(struct diag_ctx *c)
{
	static char text[VMCTL_DIAG_JSON_MAX + 1];
	char why[160];
	int64_t deadline;
	int seq;

	c->guest = false;
	if (!c->w) {
		snprintf(c->guest_why, sizeof(c->guest_why), "the VM's guest is not running%s",
			 c->h && !hv_host_runs_guests(c->h) ? " (the host runs no guests: --host-only)" : "");
		return;
	}
	/* A guest still booting is given the same bound to say READY. */
	for (deadline = now_ms() + DIAG_GUEST_TIMEOUT_MS; vmwp_state(c->w) == VMWP_STARTING && now_ms() < deadline;)
		(void)hv_host_run(c->h, 2);
	if (vmwp_state(c->w) != VMWP_RUNNING) {
		snprintf(c->guest_why, sizeof(c->guest_why), "the VM's guest is %s (process %d)",
			 vmwp_state_name(vmwp_state(c->w)), (int)vmwp_pid(c->w));
		return;
	}
	if ((seq = vmwp_diag_query(c->w)) < 0) {
		snprintf(c->guest_why, sizeof(c->guest_why), "the guest's control channel took no query (%s)",
			 strerror(-seq));
		return;
	}
	for (deadline = now_ms() + DIAG_GUEST_TIMEOUT_MS; !vmwp_diag(c->w, seq, text, sizeof(text));) {
		if (now_ms() >= deadline || vmwp_state(c->w) != VMWP_RUNNING) {
			snprintf(c->guest_why, sizeof(c->guest_why), "the guest did not answer the diagnose query in %d ms",
				 DIAG_GUEST_TIMEOUT_MS);
			return;
		}
		(void)hv_host_run(c->h, 2);
	}
	if (diag_guest_facts_parse(text, strlen(text), &c->g, why, sizeof(why))) {
		log_warn(DIAG_LOG, "%s: the guest's diagnose answer was refused: %s", vstack_vm_name(c->vm), why);
		snprintf(c->guest_why, sizeof(c->guest_why), "the guest's answer was refused: %s", why);
		return;
	}
	if (c->g.has_error) {
		snprintf(c->guest_why, sizeof(c->guest_why), "the guest could not describe itself: %s", c->g.error);
		return;
	}
	c->guest = true;
}

static void fill_ctx(struct hv_host *h, struct vstack_vmnic *n, struct diag_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->h = h;
	c->n = n;
	if (!n)
		return;
	c->vm = vstack_vmnic_vm(n);
	c->sw = vstack_vmnic_switch(n);
	c->nic = c->sw ? hv_host_switch_nic(h, c->sw) : NULL;
	c->pf = c->nic ? hv_nic_adapter(c->nic) : NULL;
	c->w = hv_host_vm_guest(h, c->vm);
}

int diag_run(struct hv_host *h, const char *vm, struct diag_report **out)
{
	struct vstack *vs;
	struct diag_report *r;
	struct vstack_vm *want = NULL;
	size_t cap;

	if (!h || !out)
		return -EINVAL;
	*out = NULL;
	vs = hv_host_vstack(h);
	if (vm && !(want = vstack_vm_find(vs, vm)))
		return -ENOENT;
	r = calloc(1, sizeof(*r));
	cap = vstack_vmnic_count(vs) + 1;
	if (!r || !(r->adapters = calloc(cap, sizeof(*r->adapters)))) {
		free(r);
		return -ENOMEM;
	}
	snprintf(r->lab, sizeof(r->lab), "%s",
		 hv_host_lab(h)->info.name ? hv_host_lab(h)->info.name : hv_host_computer_name(h));
	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		struct diag_adapter *a = &r->adapters[r->nadapters];
		struct diag_ctx *c;

		if (want && vstack_vmnic_vm(n) != want)
			continue;
		if (!(c = malloc(sizeof(*c)))) {
			diag_report_destroy(r);
			return -ENOMEM;
		}
		fill_ctx(h, n, c);
		ask_guest(c);
		diag__pick_vf(c);
		/*
		 * Failover / migration: NetVsc used a VF and the stack is taking it
		 * back now (catalogue F29). A VF that is gone for any other reason
		 * with IovWeight still asking is a break the chain shows.
		 */
		c->withdrawn = c->guest && c->g.switches && !vstack_vmnic_has_vf(n) && !vstack_vmnic_datapath_active(n) &&
			       vstack_vmnic_iov_reason(n) == VSTACK_IOV_TEARING_DOWN;
		snprintf(a->vm, sizeof(a->vm), "%s", vstack_vm_name(c->vm));
		snprintf(a->adapter, sizeof(a->adapter), "%s", vstack_vmnic_name(n));
		diag__walk(c, a);
		r->nadapters++;
		free(c);
	}
	if (!r->nadapters && !want) {
		/* No VM adapter: the host's links alone. */
		struct diag_ctx *c = malloc(sizeof(*c));

		if (!c) {
			diag_report_destroy(r);
			return -ENOMEM;
		}
		fill_ctx(h, NULL, c);
		if (hv_host_switch_count(h)) {
			c->sw = hv_host_switch_at(h, 0);
			c->nic = hv_host_switch_nic(h, c->sw);
		} else if (hv_host_nic_count(h)) {
			c->nic = hv_host_nic_at(h, 0);
		}
		c->pf = c->nic ? hv_nic_adapter(c->nic) : NULL;
		if (c->sw && vswitch_type(c->sw) != VSWITCH_PRIVATE) {
			/* New-VMSwitch -AllowManagementOS (Hyper-V's default): the host's own vNIC is on it. */
			const struct lab_vswitch *ls = lab_vswitch_find(hv_host_lab(h), vswitch_name(c->sw));

			if (ls && ls->allow_management_os) {
				c->mgmt_os = true;
				snprintf(r->adapters[r->nadapters].adapter, sizeof(r->adapters[0].adapter),
					 "%s (management OS)", vswitch_name(c->sw));
			}
		}
		diag__walk(c, &r->adapters[r->nadapters++]);
		free(c);
	}
	*out = r;
	return 0;
}

void diag_report_destroy(struct diag_report *r)
{
	if (!r)
		return;
	free(r->adapters);
	free(r);
}

/* The adapter whose first broken link comes earliest in the chain (ties: adapter order). */
static const struct diag_adapter *first_adapter(const struct diag_report *r)
{
	const struct diag_adapter *best = NULL;

	for (size_t i = 0; r && i < r->nadapters; i++)
		if (r->adapters[i].first_broken >= 0 && (!best || r->adapters[i].first_broken < best->first_broken))
			best = &r->adapters[i];
	return best;
}

const char *diag_report_first_broken(const struct diag_report *r)
{
	const struct diag_adapter *a = first_adapter(r);

	return a ? diag_link_name(a->links[a->first_broken].id) : NULL;
}

const char *diag_report_first_catalogue(const struct diag_report *r)
{
	const struct diag_adapter *a = first_adapter(r);
	const struct diag_link *l = a ? &a->links[a->first_broken] : NULL;

	return l && l->ncatalogue ? l->catalogue[0] : NULL;
}

size_t diag_report_adapter_count(const struct diag_report *r)
{
	return r ? r->nadapters : 0;
}

const char *diag_report_adapter_vm(const struct diag_report *r, size_t i)
{
	return r && i < r->nadapters ? r->adapters[i].vm : NULL;
}

const char *diag_report_adapter_name(const struct diag_report *r, size_t i)
{
	return r && i < r->nadapters ? r->adapters[i].adapter : NULL;
}

enum diag_status diag_report_link_status(const struct diag_report *r, size_t adapter, enum diag_link_id id)
{
	if (!r || adapter >= r->nadapters || (unsigned)id >= DIAG_LINK_COUNT)
		return DIAG_NA;
	return r->adapters[adapter].links[id].status;
}

/* ---- JSON ------------------------------------------------------------------------------ */
static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *evidence_json(const struct diag_link *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->nevidence; i++)
		(void)json_array_append_new(a, json_string(l->evidence[i]));
	return a;
}

static json_t *broken_json(const struct diag_adapter *a, bool full)
{
	const struct diag_link *l;
	json_t *o;

	if (!a || a->first_broken < 0)
		return json_null();
	l = &a->links[a->first_broken];
	o = json_pack("{s:s,s:o,s:s}", "id", diag_link_name(l->id), "catalogue",
		      str_or_null(l->ncatalogue ? l->catalogue[0] : NULL), "summary", l->observed);
	(void)json_object_set_new(o, "evidence", evidence_json(l));
	(void)json_object_set_new(o, "fix", str_or_null(l->fix));
	if (full) {
		(void)json_object_set_new(o, "vm", str_or_null(a->vm));
		(void)json_object_set_new(o, "adapter", str_or_null(a->adapter));
	}
	return o;
}

json_t *diag_report_json(const struct diag_report *r)
{
	json_t *root, *warnings, *ads;

	if (!r)
		return NULL;
	root = json_object();
	warnings = json_array();
	ads = json_array();
	(void)json_object_set_new(root, "lab", json_string(r->lab));
	(void)json_object_set_new(root, "first_broken", broken_json(first_adapter(r), true));
	for (size_t i = 0; i < r->nadapters; i++) {
		const struct diag_adapter *a = &r->adapters[i];
		json_t *o = json_object(), *links = json_array();

		(void)json_object_set_new(o, "vm", str_or_null(a->vm));
		(void)json_object_set_new(o, "adapter", str_or_null(a->adapter));
		(void)json_object_set_new(o, "first_broken", broken_json(a, false));
		for (int k = 0; k < DIAG_LINK_COUNT; k++) {
			const struct diag_link *l = &a->links[k];
			json_t *lo = json_object(), *cat = json_array();

			for (size_t j = 0; j < l->ncatalogue; j++)
				(void)json_array_append_new(cat, json_string(l->catalogue[j]));
			(void)json_object_set_new(lo, "id", json_string(diag_link_name(l->id)));
			(void)json_object_set_new(lo, "title", json_string(diag_checks[k].title));
			(void)json_object_set_new(lo, "status", json_string(diag_status_name(l->status)));
			(void)json_object_set_new(lo, "observed", json_string(l->observed));
			(void)json_object_set_new(lo, "evidence", evidence_json(l));
			(void)json_object_set_new(lo, "fix", str_or_null(l->fix));
			(void)json_object_set_new(lo, "catalogue", cat);
			(void)json_array_append_new(links, lo);
			if (l->status == DIAG_WARNING)
				(void)json_array_append_new(
					warnings, json_pack("{s:s,s:o,s:s,s:o,s:o}", "id", diag_link_name(l->id), "catalogue",
							    str_or_null(l->ncatalogue ? l->catalogue[0] : NULL), "summary",
							    l->observed, "vm", str_or_null(a->vm), "adapter",
							    str_or_null(a->adapter)));
		}
		(void)json_object_set_new(o, "links", links);
		(void)json_array_append_new(ads, o);
	}
	(void)json_object_set_new(root, "warnings", warnings);
	(void)json_object_set_new(root, "adapters", ads);
	return root;
}

/* ---- text ------------------------------------------------------------------------------ */
static const char *tag(enum diag_status s)
{
	switch (s) {
	case DIAG_OK: return "[ ok ]";
	case DIAG_BROKEN: return "[FAIL]";
	case DIAG_WARNING: return "[warn]";
	case DIAG_NOT_REACHED: return "[ -- ]";
	case DIAG_NA: return "[ n/a]";
	}
	return "[ ?? ]";
}

int diag_report_print(const struct diag_report *r, FILE *out)
{
	const struct diag_adapter *fa = first_adapter(r);
	size_t nwarn = 0;

	if (!r || !out)
		return -EINVAL;
	fprintf(out, "Diagnose %s: the SR-IOV chain in path order\n", r->lab);
	for (size_t i = 0; i < r->nadapters; i++) {
		const struct diag_adapter *a = &r->adapters[i];

		if (a->vm[0])
			fprintf(out, "\nVM %s, adapter %s:\n", a->vm, a->adapter);
		else if (a->adapter[0])
			fprintf(out, "\nhost, adapter %s (no VM network adapter):\n", a->adapter);
		else
			fprintf(out, "\nhost (no VM network adapter):\n");
		for (int k = 0; k < DIAG_LINK_COUNT; k++) {
			const struct diag_link *l = &a->links[k];

			fprintf(out, "%s %-15s %s%s%s%s\n", tag(l->status), diag_link_name(l->id), l->observed,
				l->ncatalogue ? " (" : "", l->ncatalogue ? l->catalogue[0] : "", l->ncatalogue ? ")" : "");
			if (l->status == DIAG_WARNING)
				nwarn++;
		}
	}
	fprintf(out, "\n");
	if (!fa) {
		fprintf(out, "First broken link: none%s\n", nwarn ? " (see the warnings above)" : "");
	} else {
		const struct diag_link *l = &fa->links[fa->first_broken];

		fprintf(out, "First broken link: %s%s%s%s%s\n", diag_link_name(l->id), l->ncatalogue ? " (" : "",
			l->ncatalogue ? l->catalogue[0] : "", l->ncatalogue ? ")" : "",
			fa->vm[0] ? "" : " on the host");
		if (fa->vm[0])
			fprintf(out, "  VM %s, adapter %s\n", fa->vm, fa->adapter);
		fprintf(out, "  %s\n", l->observed);
		if (l->nevidence)
			fprintf(out, "Evidence:\n");
		for (size_t i = 0; i < l->nevidence; i++)
			fprintf(out, "  - %s\n", l->evidence[i]);
		if (l->fix[0])
			fprintf(out, "Fix: %s\n", l->fix);
	}
	return ferror(out) ? -EIO : 0;
}
