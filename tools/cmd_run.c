/*
 * `iovlab run LAB [--show NAME]... [--json]`: bring a lab file's host up
 * (src/hv/host.c: platform, srnic, NDIS with the PF driver, vSwitches, the
 * virtualization stack with its VMs), run the script steps the host side can
 * run, print the views asked for (src/views), tear the host down in the
 * documented order and exit with what happened.
 *
 * The VMs' guests are not built yet (another issue): every VM runs on the
 * host side only, a VF it gets is offered and not used, VFDataPathActive
 * stays False and StatusDescription says why. The rule for steps:
 *
 *   - a step the host side can run runs (show, expect on a view, set
 *     vmnetworkadapter / keywords, start, stop, echo, sleep);
 *   - a step that needs what is not built (guests: wait, send, expect path /
 *     received, expect on VFDataPathActive or IPAddresses; kill, migrate,
 *     link, reset, unload, inject, clear, diagnose) is reported with
 *     FILE:LINE and skipped -- a warning, not a failure;
 *   - a step that runs and fails (an expectation that does not hold, a
 *     refused setting, an unknown view) is reported with FILE:LINE and makes
 *     the exit status 1, as does a PF driver that fails to come up.
 *
 * Exit status: 0, 1 (something in the lab failed), 2 (usage, or the lab file
 * is invalid).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "commands.h"
#include "hv/host.h"
#include "lab/lab.h"
#include "lab/lab_schema.h"
#include "views/views.h"

#ifndef IOVLAB_DRIVERS_DIR
#define IOVLAB_DRIVERS_DIR NULL
#endif

struct run {
	const struct lab *lab;
	struct hv_host *host;
	bool json;
	FILE *msg;		/* where step messages go: stdout as text, stderr with --json */
	unsigned ran, skipped, failed;
	unsigned broken;	/* PF drivers that did not come up */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iovlab run LAB [--show NAME]... [--json]\n\n"
		   "Bring LAB's host up, run its script, print the views, tear down.\n\n"
		   "  --show NAME  print a view after the script; NAME is a cmdlet or its noun,\n"
		   "               case-insensitive, with the cmdlet's arguments in the same word:\n"
		   "               --show vmnetworkadapter, --show 'Get-VMSwitch | fl Iov*',\n"
		   "               --show 'Get-NetAdapterAdvancedProperty -RegistryKeyword *SRIOV',\n"
		   "               --show ndiskd:netadapter:-iov:-vfs:-vports:-nicswitch\n"
		   "  --json       each view as a JSON array of objects keyed by the PowerShell\n"
		   "               property names (ConvertTo-Json -EnumsAsStrings); messages go\n"
		   "               to stderr\n\n"
		   "views:\n");
	views_print_names(f, "  ");
	fprintf(f, "\nexit status: 0 ok, 1 something in the lab failed (an expectation, a setting,\n"
		   "a driver), 2 usage or an invalid lab file. Steps that need the VMs' guests\n"
		   "(not built yet) are reported and skipped.\n");
}

__attribute__((format(printf, 4, 5))) static void say(struct run *r, const struct lab_step *s, const char *kind,
						      const char *fmt, ...)
{
	va_list ap;

	fprintf(r->msg, "%s:%d: %s: ", r->lab->file, s->line, kind);
	for (int i = -1; i < s->argc; i++)
		fprintf(r->msg, "%s%s", i < 0 ? "" : " ", i < 0 ? s->verb : s->argv[i]);
	fprintf(r->msg, ": ");
	va_start(ap, fmt);
	vfprintf(r->msg, fmt, ap);
	va_end(ap);
	fprintf(r->msg, "\n");
}

static void skip(struct run *r, const struct lab_step *s, const char *why)
{
	r->skipped++;
	say(r, s, "skipped", "%s", why);
}

static void failed(struct run *r, const struct lab_step *s, const char *why)
{
	r->failed++;
	say(r, s, "FAILED", "%s", why);
}

/* ---- steps ------------------------------------------------------------------------ */
static void step_show(struct run *r, const struct lab_step *s)
{
	char err[512];
	int rc;

	fflush(r->msg);
	rc = views_show(r->host, s->argc, s->argv, r->json ? VIEWS_JSON : VIEWS_TEXT, stdout, err, sizeof(err));
	fflush(stdout);
	if (rc)
		failed(r, s, err);
	else
		r->ran++;
}

static void step_expect(struct run *r, const struct lab_step *s)
{
	char msg[1024], value[256] = "";
	size_t at = 0;
	int rc;

	if (!views_is_view(s->argv[0])) {
		skip(r, s, "needs the guest side, not built yet");
		return;
	}
	if (s->argc < 4) {
		failed(r, s, "expect VIEW OBJECT PROPERTY VALUE");
		return;
	}
	for (int i = 3; i < s->argc && at < sizeof(value); i++)
		at += (size_t)snprintf(value + at, sizeof(value) - at, "%s%s", i > 3 ? " " : "", s->argv[i]);
	rc = views_expect(r->host, s->argv[0], s->argv[1], s->argv[2], value, msg, sizeof(msg));
	switch (rc) {
	case 1:
		r->ran++;
		if (!r->json)
			say(r, s, "ok", "%s", msg);
		break;
	case 0:
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ", want '%s'", value);
		failed(r, s, msg);
		break;
	case -EAGAIN:
		skip(r, s, msg);
		break;
	default:
		failed(r, s, msg);
		break;
	}
}

static int parse_value(const struct lab_key *k, const char *text, union lab_value *v, char *err, size_t len)
{
	return lab_value_parse(k, text, v, err, len);
}

static void step_set(struct run *r, const struct lab_step *s)
{
	const struct lab_section_schema *sec = lab_schema_section_find(s->argv[0], true);
	const char *obj = s->argv[1], *prop = s->argv[2], *val = s->argv[3];
	const struct lab_key *k;
	union lab_value v;
	char err[512];
	int rc;

	if (!sec) {
		failed(r, s, "nothing to set");
		return;
	}
	if (sec->id == LAB_SEC_KEYWORDS) {
		struct hv_nic *nic = hv_host_nic_find(r->host, obj);
		rc = nic ? hv_nic_set_keyword(r->host, nic, prop, val, err, sizeof(err)) : -ENODEV;
		if (!nic)
			snprintf(err, sizeof(err), "no [nic %s]", obj);
		if (rc)
			failed(r, s, err);
		else
			r->ran++;
		return;
	}
	k = lab_schema_key_find(sec, prop);
	if (!k || parse_value(k, val, &v, err, sizeof(err))) {
		failed(r, s, k ? err : "no such property");
		return;
	}
	if (sec->id == LAB_SEC_VMNIC) {
		struct vstack_vmnic *n = vstack_vmnic_find(hv_host_vstack(r->host), obj);

		if (!n)
			rc = -ENOENT;
		else if (!strcmp(k->name, "iov_weight"))
			rc = vstack_vmnic_set_iov_weight(n, (uint32_t)v.u);
		else if (!strcmp(k->name, "iov_queue_pairs_requested"))
			rc = vstack_vmnic_set_iov_queue_pairs(n, (uint32_t)v.u);
		else if (!strcmp(k->name, "iov_interrupt_moderation"))
			rc = vstack_vmnic_set_iov_interrupt_moderation(n, (enum vstack_moderation)v.e);
		else
			rc = -ENOTSUP;
		if (rc == -ENOTSUP)
			skip(r, s, "changing this property of a running adapter is not built yet");
		else if (rc)
			failed(r, s, strerror(-rc));
		else
			r->ran++;
	} else if (sec->id == LAB_SEC_VMSWITCH && !strcmp(k->name, "iov")) {
		struct vswitch *sw = hv_host_switch_find(r->host, obj);
		if (sw && vswitch_set_iov(sw, v.b) == 0) {
			r->ran++;
		} else {
			snprintf(err, sizeof(err), "Set-VMSwitch: IOV can only be chosen when the switch is created "
				 "(New-VMSwitch -EnableIov); '%s' keeps IovEnabled %s", obj,
				 sw && vswitch_iov_enabled(sw) ? "True" : "False");
			failed(r, s, err);
		}
	} else {
		skip(r, s, "changing this setting while the lab runs is not built yet");
	}
	lab_value_fini(k, &v);
}

static void step_vm(struct run *r, const struct lab_step *s, bool start)
{
	struct vstack_vm *vm = vstack_vm_find(hv_host_vstack(r->host), s->argv[0]);
	int rc = vm ? (start ? vstack_vm_start(vm) : vstack_vm_stop(vm)) : -ENOENT;

	if (rc == 0 || rc == -EINPROGRESS) {
		r->ran++;
		if (start && !r->json)
			say(r, s, "note", "the VM runs on the host side; its guest is not started (the guest side is not "
			    "built yet)");
	} else {
		failed(r, s, rc == -EPERM ? (start ? "the VM is not off" : "the VM is not running") : strerror(-rc));
	}
}

static void run_step(struct run *r, const struct lab_step *s)
{
	const char *v = s->verb;

	if (!strcmp(v, "show"))
		step_show(r, s);
	else if (!strcmp(v, "expect"))
		step_expect(r, s);
	else if (!strcmp(v, "set"))
		step_set(r, s);
	else if (!strcmp(v, "start") || !strcmp(v, "stop"))
		step_vm(r, s, !strcmp(v, "start"));
	else if (!strcmp(v, "echo")) {
		for (int i = 0; i < s->argc; i++)
			fprintf(r->msg, "%s%s", i ? " " : "", s->argv[i]);
		fprintf(r->msg, "\n");
		r->ran++;
	} else if (!strcmp(v, "sleep")) {
		/* Nothing on the host side runs in the background yet: there is nothing to wait for. */
		r->ran++;
	} else if (!strcmp(v, "wait") || !strcmp(v, "send") || !strcmp(v, "kill") || !strcmp(v, "migrate") ||
		   !strcmp(v, "link"))
		skip(r, s, "needs the guest side, not built yet");
	else
		skip(r, s, "not built yet");
}

/* ---- the run ----------------------------------------------------------------------- */
static void print_host(struct run *r)
{
	struct hv_host *h = r->host;
	struct vstack *vs = hv_host_vstack(h);
	char desc[512];

	printf("Host %s is up (root partition). The VMs' guests are not started: the guest side\n"
	       "is not built yet, so VFs are offered but never used and VFDataPathActive stays False.\n",
	       hv_host_computer_name(h));
	for (size_t i = 0; i < hv_host_nic_count(h); i++) {
		struct hv_nic *n = hv_host_nic_at(h, i);
		uint16_t rid = pcie_fn_rid(hv_nic_function(n));
		printf("  nic %-12s PF 0000:%02x:%02x.%x, driver %s: %s\n", hv_nic_name(n), PCIE_RID_BUS(rid),
		       PCIE_RID_DEV(rid), PCIE_RID_FN(rid), hv_nic_lab(n)->driver ? hv_nic_lab(n)->driver : "none",
		       hv_nic_state_name(hv_nic_state(n)));
	}
	for (size_t i = 0; i < hv_host_switch_count(h); i++) {
		struct vswitch *sw = hv_host_switch_at(h, i);
		printf("  vmswitch %-7s %s%s%s, IovEnabled %s\n", vswitch_name(sw), vswitch_type_name(vswitch_type(sw)),
		       vswitch_adapter_name(sw) ? " on " : "", vswitch_adapter_name(sw) ? vswitch_adapter_name(sw) : "",
		       vswitch_iov_enabled(sw) ? "True" : "False");
	}
	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		vstack_vmnic_status(n, desc, sizeof(desc));
		printf("  vm %-13s adapter %s, IovWeight %u: %s\n", vstack_vm_name(vstack_vmnic_vm(n)),
		       vstack_vmnic_name(n), vstack_vmnic_iov_weight(n), desc);
	}
	for (size_t i = 0; i < hv_host_note_count(h); i++)
		printf("  note: %s\n", hv_host_note_at(h, i));
	printf("\n");
}

static bool show_name_known(const char *arg)
{
	char **v;
	int n;
	bool ok;

	if (views_split(arg, &v, &n) || n < 1) {
		views_split_free(v, n);
		return false;
	}
	ok = views_is_view(v[0]) || !strcasecmp(v[0], "ndiskd") || !strncasecmp(v[0], "!ndiskd.", 8);
	views_split_free(v, n);
	return ok;
}

int cmd_run(int argc, char **argv)
{
	const char *path = NULL, *shows[32];
	int nshows = 0, status = 0;
	struct run r = { .msg = stdout };
	struct hv_host_options opt = { 0 };
	struct lab *lab = NULL;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			r.json = true;
		} else if (!strcmp(argv[i], "--show") && i + 1 < argc && nshows < 32) {
			shows[nshows++] = argv[++i];
		} else if (!strncmp(argv[i], "--show=", 7) && nshows < 32) {
			shows[nshows++] = argv[i] + 7;
		} else if (argv[i][0] == '-' || path) {
			fprintf(stderr, "iovlab run: unexpected '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	for (int i = 0; i < nshows; i++)
		if (!show_name_known(shows[i])) {
			fprintf(stderr, "iovlab run: --show '%s': no such view; the views are:\n", shows[i]);
			views_print_names(stderr, "  ");
			return 2;
		}
	if (lab_load_file(path, &lab, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s\n", err);
		return 2;
	}
	if (r.json)
		r.msg = stderr;
	/* The trace is for IOVLAB_LOG; a run prints warnings and errors only. */
	if (!getenv("IOVLAB_LOG"))
		log_configure("*=warn", NULL, 0);
	opt.builtin_driver_dir = getenv("IOVLAB_DRIVERS_DIR") ? getenv("IOVLAB_DRIVERS_DIR") : IOVLAB_DRIVERS_DIR;
	if (hv_host_create(lab, &opt, &r.host, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s: the host did not come up: %s\n", path, err);
		lab_free(lab);
		return 1;
	}
	r.lab = lab;
	if (!r.json) {
		printf("iovlab run %s -- %s%s%s\n\n", path, lab->info.name ? lab->info.name : "",
		       lab->info.description && *lab->info.description ? ": " : "",
		       lab->info.description ? lab->info.description : "");
		print_host(&r);
	}
	for (size_t i = 0; i < hv_host_nic_count(r.host); i++) {
		enum hv_nic_state st = hv_nic_state(hv_host_nic_at(r.host, i));
		if (st == HV_NIC_DRIVER_ERROR || st == HV_NIC_INIT_FAILED)
			r.broken++;
	}
	for (size_t i = 0; i < lab->nfaults; i++)
		fprintf(r.msg, "%s:%d: skipped: [fault %s]: fault injection is not built yet\n", lab->file,
			lab->faults[i].line, lab->faults[i].name);

	for (size_t i = 0; i < lab->script.count; i++)
		run_step(&r, &lab->script.steps[i]);

	for (int i = 0; i < nshows; i++) {
		char **v;
		int n;

		if (views_split(shows[i], &v, &n) == 0 &&
		    views_show(r.host, n, v, r.json ? VIEWS_JSON : VIEWS_TEXT, stdout, err, sizeof(err))) {
			fprintf(stderr, "iovlab run: --show '%s': %s\n", shows[i], err);
			r.failed++;
		}
		views_split_free(v, n);
	}
	fflush(stdout);
	hv_host_destroy(r.host);
	fprintf(r.msg, "%s: %zu script step(s): %u ran, %u skipped (not built yet), %u failed", lab->file,
		lab->script.count, r.ran, r.skipped, r.failed);
	if (r.broken)
		fprintf(r.msg, "; %u PF driver(s) did not come up", r.broken);
	fprintf(r.msg, "; host torn down.\n");
	if (r.failed || r.broken)
		status = 1;
	lab_free(lab);
	return status;
}
