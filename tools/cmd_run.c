/*
 * `iovlab run LAB [--show NAME]... [--json] [--host-only]`: bring a lab
 * file's host up (src/hv/host.c: platform, srnic, NDIS with the PF driver,
 * vSwitches, the virtualization stack with its VMs), start every running
 * VM as a process with the guest stack (src/hv/vmwp.c, guest_vm.c), run
 * the script, print the views asked for (src/views), tear the host down in
 * the documented order and exit with what happened (docs/hv/e2e.md).
 *
 * With --host-only the VMs run on the host side only (no processes): a VF
 * is offered and never used, VFDataPathActive stays False. The rule for
 * steps:
 *
 *   - a step that can run runs (show, expect on a view, set, start, stop,
 *     echo, sleep, and with guests wait, send, expect received / path,
 *     kill, revoke, and from the guests' TCP/IP stacks ping, tcp, udp); waits are
 *     bounded and run the host's event loop;
 *   - a step that needs what is not built (migrate, link, reset, unload,
 *     diagnose, expect on IPAddresses; the guest steps under
 *     --host-only) is reported with FILE:LINE and skipped -- a warning, not
 *     a failure;
 *   - a step that runs and fails (an expectation that does not hold, a
 *     refused setting, an unknown view, a wait that times out) is reported
 *     with FILE:LINE and makes the exit status 1, as does a PF driver that
 *     fails to come up.
 *
 * (diagnose [OBJECT] is built now: it prints src/diag's report over what
 * the lab reached at that step, and a broken link does not fail the step.)
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
#include <time.h>

#include "base/capture.h"
#include "base/log.h"
#include "commands.h"
#include "hv/admin.h"
#include "diag/diag.h"
#include "hv/guest_vm.h"
#include "hv/host.h"
#include "hv/vmwp.h"
#include "hw/srnic/srnic.h"
#include "lab/lab.h"
#include "lab/lab_schema.h"
#include "run_trace.h"
#include "views/views.h"
#include "wire/srnic_regs.h"

struct run {
	const struct lab *lab;
	struct hv_host *host;
	bool json;
	bool host_only;		/* --host-only: VMs without processes */
	FILE *msg;		/* where step messages go: stdout as text, stderr with --json */
	unsigned ran, skipped, failed;
	unsigned broken;	/* PF drivers that did not come up */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iovlab run LAB [--show NAME]... [--json] [--host-only]\n"
		   "                      [--capture FILE.pcapng [--capture-point NAME]...]\n"
		   "                      [--trace FILE] [--timeline FILE.json]\n\n"
		   "Bring LAB's host up, run its script, print the views, tear down.\n\n"
		   "  --show NAME  print a view after the script; NAME is a cmdlet or its noun,\n"
		   "               case-insensitive, with the cmdlet's arguments in the same word:\n"
		   "               --show vmnetworkadapter, --show 'Get-VMSwitch | fl Iov*',\n"
		   "               --show 'Get-NetAdapterAdvancedProperty -RegistryKeyword *SRIOV',\n"
		   "               --show ndiskd:netadapter:-iov:-vfs:-vports:-nicswitch,\n"
		   "               --show ndiskd:netadapter:-vm:vm1:-bindings (inside vm1's guest)\n"
		   "  --json       each view as a JSON array of objects keyed by the PowerShell\n"
		   "               property names (ConvertTo-Json -EnumsAsStrings); messages go\n"
		   "               to stderr\n"
		   "  --host-only  run the VMs on the host side only: no VM processes, VFs\n"
		   "               offered and never used (VFDataPathActive stays False)\n"
		   "  --capture FILE.pcapng\n"
		   "               record every capture point into one pcapng file, one interface\n"
		   "               per point: 'vm1 NetVsc', 'pf0 VF 0 (vm1)', 'vSwitch ext port\n"
		   "               vm1', 'pf0 PF', 'pf0 uplink' (docs/capture.md)\n"
		   "  --capture-point NAME\n"
		   "               keep only the points NAME matches (a shell pattern, case-\n"
		   "               insensitive: 'vm1*', '*VF*'); may be repeated\n"
		   "  --trace FILE  the WPP-style text trace of every partition, merged in time\n"
		   "               order, each line labelled [root] / [VM] (FILE '-': stdout);\n"
		   "               IOVLAB_LOG sets its levels (default info; stderr keeps warnings)\n"
		   "  --timeline FILE.json  every sequence (host boot, VM start, config space,\n"
		   "               teardown, failover) as Chrome trace JSON for Perfetto or\n"
		   "               chrome://tracing (docs/tracing.md)\n\n"
		   "views:\n");
	views_print_names(f, "  ");
	fprintf(f, "\nexit status: 0 ok, 1 something in the lab failed (an expectation, a setting,\n"
		   "a driver, a wait that timed out), 2 usage or an invalid lab file. Steps that\n"
		   "need what is not built yet are reported and skipped.\n");
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
	if (rc == -EAGAIN)
		skip(r, s, err);	/* a guest's view under --host-only */
	else if (rc)
		failed(r, s, err);
	else
		r->ran++;
}

static void step_diagnose(struct run *r, const struct lab_step *s);
static void step_expect_received(struct run *r, const struct lab_step *s);
static void step_fault(struct run *r, const struct lab_step *s, bool arm);
static void step_expect_path(struct run *r, const struct lab_step *s);

static void step_expect(struct run *r, const struct lab_step *s)
{
	char msg[1024], value[256] = "";
	size_t at = 0;
	int rc;

	if (!strcasecmp(s->argv[0], "received")) {
		step_expect_received(r, s);
		return;
	}
	if (!strcasecmp(s->argv[0], "path")) {
		step_expect_path(r, s);
		return;
	}
	if (!views_is_view(s->argv[0])) {
		skip(r, s, "not built yet");
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

/*
 * Frames lost around a data-path switch are counted where they are lost, in
 * the NIC switch (issue 8): `set vmnetworkadapter VM IovWeight N` marks the
 * counters, each `wait vfdatapath` says how many were dropped since (and
 * marks again, so what a teardown drops after the wait is in the next), and
 * `revoke` says how many were dropped while it ran. Goal: 0
 * (docs/hv/vstack.md, [host] vf_filter_move).
 */
#define NET_DROP_KINDS 4
static void switch_drops(struct run *r, uint64_t d[NET_DROP_KINDS]);
static const char *drops_text(struct run *r, const uint64_t before[NET_DROP_KINDS], char *buf, size_t len);
static uint64_t switch_mark[NET_DROP_KINDS];
static bool switch_marked;

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
		/* Set-NetAdapterAdvancedProperty returns once the adapter restarted, its VFs torn down first (F31). */
		rc = nic ? hv_admin_nic_set_keyword(r->host, obj, prop, val, err, sizeof(err)) : -ENODEV;
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
		if (!switch_marked && (!strcasecmp(k->name, "iov_weight") || !strcasecmp(prop, "IovWeight"))) {
			switch_drops(r, switch_mark);
			switch_marked = true;
		}
		rc = hv_admin_vmnic_set(r->host, obj, prop, val, err, sizeof(err));
		if (rc == -ENOTSUP)
			skip(r, s, "changing this property of a running adapter is not built yet");
		else if (rc)
			failed(r, s, err);
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
	int rc = start ? hv_host_vm_start(r->host, s->argv[0]) : hv_host_vm_stop(r->host, s->argv[0]);

	if (rc == 0 || rc == -EINPROGRESS) {
		r->ran++;
		if (start && !r->json && !hv_host_runs_guests(r->host))
			say(r, s, "note", "the VM runs on the host side; its guest is not started");
	} else {
		failed(r, s, rc == -EPERM ? (start ? "the VM is not off" : "the VM is not running") : strerror(-rc));
	}
}

/* ---- steps on the running guests ------------------------------------------------------ */
static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run the host until done(ctx) or ms pass; true if done. */
static bool run_until(struct run *r, bool (*done)(struct run *, void *), void *ctx, int64_t ms)
{
	int64_t deadline = now_ms() + ms;

	for (;;) {
		if (done(r, ctx))
			return true;
		if (now_ms() >= deadline)
			return false;
		(void)hv_host_run(r->host, 2);
	}
}

/* Every running VM's guest is up (or gone). */
static bool guests_booted(struct run *r, void *ctx)
{
	struct vstack *vs = hv_host_vstack(r->host);

	(void)ctx;
	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		struct vmwp *w = hv_host_vm_guest(r->host, vstack_vm_at(vs, i));

		if (w && vmwp_state(w) == VMWP_STARTING)
			return false;
	}
	return true;
}

static bool never(struct run *r, void *ctx)
{
	(void)r;
	(void)ctx;
	return false;
}

static int duration(const struct lab_step *s, int i, uint64_t dflt, uint64_t *ms)
{
	char err[128];

	*ms = dflt;
	return i < s->argc ? lab_duration_parse(s->argv[i], ms, err, sizeof(err)) : 0;
}

static void step_sleep(struct run *r, const struct lab_step *s)
{
	uint64_t ms;

	if (s->argc < 1 || duration(s, 0, 0, &ms)) {
		failed(r, s, "sleep DURATION (e.g. 2s, 250ms)");
		return;
	}
	(void)run_until(r, never, NULL, (int64_t)ms);
	r->ran++;
}

/* A lab object that names a VM network adapter: the adapter's name, or its VM's when it has one. */
static struct vstack_vmnic *vmnic_of(struct run *r, const char *name)
{
	return vstack_vmnic_find(hv_host_vstack(r->host), name);
}

static bool guest_started(struct run *r, void *ctx)
{
	struct vstack_vmnic *n = ctx;
	struct vmwp *w = hv_host_vm_guest(r->host, vstack_vmnic_vm(n));

	return !w || vmwp_state(w) != VMWP_STARTING;
}

/* The adapter's VM's guest once it is up (waiting for it to come up, bounded), or NULL. */
static struct vmwp *guest_of(struct run *r, struct vstack_vmnic *n)
{
	struct vmwp *w;

	if (!n)
		return NULL;
	(void)run_until(r, guest_started, n, 10000);
	w = hv_host_vm_guest(r->host, vstack_vmnic_vm(n));
	return w && vmwp_state(w) == VMWP_RUNNING ? w : NULL;
}

/* "peer" or "peer:NIC": the built-in uplink peer of that [nic] (the first one for "peer"). */
static struct srnic_peer *peer_of(struct run *r, const char *name)
{
	struct hv_nic *nic = NULL;

	if (!strcasecmp(name, "peer"))
		nic = hv_host_nic_at(r->host, 0);
	else if (!strncasecmp(name, "peer:", 5))
		nic = hv_host_nic_find(r->host, name + 5);
	else
		return NULL;
	return nic ? hv_nic_peer(nic) : NULL;
}

struct wait_ctx {
	const char *property;
	struct vstack_vmnic *n;
	struct vmwp *w;
	const char *want;
	int seq;
	uint64_t count;
	struct srnic_peer *peer;
	struct vmctl_status st;
};

static bool want_bool(const char *v)
{
	return !strcasecmp(v, "true") || !strcasecmp(v, "$true") || !strcmp(v, "1");
}

static bool wait_done(struct run *r, void *ctx)
{
	struct wait_ctx *c = ctx;

	(void)r;
	if (!strcasecmp(c->property, "vfdatapath"))
		return vstack_vmnic_datapath_active(c->n) == want_bool(c->want);
	if (!strcasecmp(c->property, "iovusage"))
		return vstack_vmnic_iov_usage(c->n) == atoi(c->want);
	return false;
}

static void step_wait(struct run *r, const struct lab_step *s)
{
	struct wait_ctx c = { 0 };
	uint64_t ms;
	char msg[256];

	if (s->argc < 3 || duration(s, 3, 10000, &ms)) {
		failed(r, s, "wait PROPERTY OBJECT VALUE [TIMEOUT]");
		return;
	}
	c.property = s->argv[0];
	c.want = s->argv[2];
	if (strcasecmp(c.property, "vfdatapath") && strcasecmp(c.property, "iovusage")) {
		skip(r, s, "waiting on this property is not built yet (vfdatapath, iovusage are)");
		return;
	}
	if (!(c.n = vmnic_of(r, s->argv[1]))) {
		failed(r, s, "no such VM network adapter");
		return;
	}
	if (!hv_host_runs_guests(r->host) && !strcasecmp(c.property, "vfdatapath")) {
		skip(r, s, "needs the guest side");
		return;
	}
	if (run_until(r, wait_done, &c, (int64_t)ms)) {
		char dropped[160] = "";

		r->ran++;
		if (switch_marked && !strcasecmp(c.property, "vfdatapath")) {
			dropped[0] = ';';
			dropped[1] = ' ';
			drops_text(r, switch_mark, dropped + 2, sizeof(dropped) - 2);
			strncat(dropped, " since the IovWeight change or the last such wait",
				sizeof(dropped) - strlen(dropped) - 1);
			switch_drops(r, switch_mark);	/* the next report covers from here: nothing falls between */
		}
		if (!r->json)
			say(r, s, "ok", "%s of '%s' is %s%s", c.property, vstack_vmnic_name(c.n), c.want, dropped);
		return;
	}
	vstack_vmnic_status(c.n, msg, sizeof(msg));
	snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " (timed out after %llu ms)", (unsigned long long)ms);
	failed(r, s, msg);
}

/* Per VM, what its last send did (expect path). */
struct last_send {
	const struct vstack_vm *vm;
	uint64_t count, synthetic, vf;
};
static struct last_send last_sends[16];

static struct last_send *last_send_of(const struct vstack_vm *vm, bool create)
{
	for (unsigned i = 0; i < 16; i++)
		if (last_sends[i].vm == vm || (create && !last_sends[i].vm)) {
			last_sends[i].vm = vm;
			return &last_sends[i];
		}
	return NULL;
}

static void step_send(struct run *r, const struct lab_step *s)
{
	struct wait_ctx c = { 0 };
	struct hv_admin_send_result res;
	struct last_send *ls;
	char *end, err[256];
	unsigned long count, size;
	int rc;

	if (s->argc != 4) {
		failed(r, s, "send FROM TO COUNT SIZE");
		return;
	}
	count = strtoul(s->argv[2], &end, 10);
	if (*end || !count || count > 1000000) {
		failed(r, s, "COUNT must be 1..1000000");
		return;
	}
	size = strtoul(s->argv[3], &end, 10);
	if (*end || size < 60 || size > 1514) {
		failed(r, s, "SIZE must be 60..1514 bytes");
		return;
	}
	if (!(c.n = vmnic_of(r, s->argv[0]))) {
		failed(r, s, "FROM is not a VM network adapter");
		return;
	}
	if (!hv_host_runs_guests(r->host)) {
		skip(r, s, "needs the guest side");
		return;
	}
	if ((rc = hv_admin_send(r->host, s->argv[0], s->argv[1], (uint32_t)count, (uint32_t)size, 60000, &res, err,
				sizeof(err)))) {
		failed(r, s, err);
		return;
	}
	if ((ls = last_send_of(vstack_vmnic_vm(c.n), true))) {
		ls->count = count;
		ls->synthetic = res.synthetic;
		ls->vf = res.vf;
	}
	if (res.frames != count || res.completed != count) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%llu frames handed to NDIS, %llu completed, %llu failed",
			 (unsigned long long)res.frames, (unsigned long long)res.completed,
			 (unsigned long long)res.failed);
		failed(r, s, msg);
		return;
	}
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "%lu frames sent (%llu through the VF, %llu synthetic)", count,
		    (unsigned long long)(ls ? ls->vf : 0), (unsigned long long)(ls ? ls->synthetic : 0));
}

static bool received(struct run *r, void *ctx)
{
	struct wait_ctx *c = ctx;

	(void)r;
	if (c->peer)
		return srnic_peer_rx_frames(c->peer) >= c->count;
	if (vmwp_state(c->w) != VMWP_RUNNING)
		return true;
	if (c->seq <= 0 || vmwp_status(c->w, &c->st) < (uint32_t)c->seq) {
		if (c->seq <= 0 || vmwp_status(c->w, NULL) < (uint32_t)c->seq)
			return false;
	}
	if (c->st.rx_received >= c->count)
		return true;
	c->seq = vmwp_query(c->w);	/* ask again */
	return false;
}

static void step_expect_received(struct run *r, const struct lab_step *s)
{
	struct wait_ctx c = { 0 };
	char *end, msg[256];
	uint64_t got;

	if (s->argc != 3) {
		failed(r, s, "expect received OBJECT COUNT");
		return;
	}
	c.count = strtoull(s->argv[2], &end, 10);
	if (*end) {
		failed(r, s, "COUNT must be a number");
		return;
	}
	if (!hv_host_runs_guests(r->host)) {
		skip(r, s, "needs the guest side");
		return;
	}
	if (!(c.peer = peer_of(r, s->argv[1]))) {
		if (!strncasecmp(s->argv[1], "peer", 4)) {
			failed(r, s, "that [nic] has no built-in uplink peer");
			return;
		}
		if (!(c.n = vmnic_of(r, s->argv[1])) || !(c.w = guest_of(r, c.n))) {
			failed(r, s, c.n ? "the VM has no running guest" : "no such VM network adapter or peer");
			return;
		}
		c.seq = vmwp_query(c.w);
	}
	/* Frames may still be on their way: wait (bounded) for the count, then check it exactly. */
	(void)run_until(r, received, &c, 5000);
	(void)run_until(r, never, NULL, 20);
	if (c.peer) {
		got = srnic_peer_rx_frames(c.peer);
		snprintf(msg, sizeof(msg), "the uplink peer received %llu frames", (unsigned long long)got);
	} else {
		c.seq = vmwp_query(c.w);
		(void)run_until(r, received, &c, 1000);
		got = c.st.rx_received;
		snprintf(msg, sizeof(msg), "%s received %llu numbered frames (lost %llu, duplicated %llu, reordered %llu, "
			 "damaged %llu)", vstack_vmnic_name(c.n), (unsigned long long)got, (unsigned long long)c.st.rx_lost,
			 (unsigned long long)c.st.rx_dup, (unsigned long long)c.st.rx_reorder,
			 (unsigned long long)c.st.rx_bad);
	}
	if (got != c.count || (!c.peer && (c.st.rx_lost || c.st.rx_dup || c.st.rx_reorder || c.st.rx_bad))) {
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ", want %llu", (unsigned long long)c.count);
		failed(r, s, msg);
		return;
	}
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "%s", msg);
}

static void step_expect_path(struct run *r, const struct lab_step *s)
{
	struct vstack_vmnic *n;
	struct last_send *ls;
	bool vf;
	char msg[200];

	if (s->argc != 3 || (strcasecmp(s->argv[2], "vf") && strcasecmp(s->argv[2], "synthetic"))) {
		failed(r, s, "expect path VM vf|synthetic");
		return;
	}
	if (!hv_host_runs_guests(r->host)) {
		skip(r, s, "needs the guest side");
		return;
	}
	if (!(n = vmnic_of(r, s->argv[1]))) {
		failed(r, s, "no such VM network adapter");
		return;
	}
	vf = !strcasecmp(s->argv[2], "vf");
	ls = last_send_of(vstack_vmnic_vm(n), false);
	if (!ls) {
		failed(r, s, "the VM has sent nothing yet: the path is what its frames took");
		return;
	}
	snprintf(msg, sizeof(msg), "its last %llu frames: %llu through the VF, %llu on the synthetic path",
		 (unsigned long long)ls->count, (unsigned long long)ls->vf, (unsigned long long)ls->synthetic);
	if ((vf ? ls->vf : ls->synthetic) != ls->count) {
		failed(r, s, msg);
		return;
	}
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "%s", msg);
}

static void step_kill(struct run *r, const struct lab_step *s)
{
	struct vstack_vm *vm = s->argc == 1 ? vstack_vm_find(hv_host_vstack(r->host), s->argv[0]) : NULL;
	char err[256];
	int rc;

	if (!vm) {
		failed(r, s, "kill VM");
		return;
	}
	if (!hv_host_runs_guests(r->host)) {
		skip(r, s, "needs the guest side");
		return;
	}
	if ((rc = hv_admin_vm_kill(r->host, s->argv[0], 10000, err, sizeof(err)))) {
		failed(r, s, err);
		return;
	}
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "the VM's process was killed; its VF was taken back and the VM is off");
}

/* ---- steps on the guests' TCP/IP stacks (ping, tcp, udp; docs/hv/guest-tcpip.md) ---------- */
/* ADDR or ADDR:PORT of a step: an IPv4 address, or an adapter (or one-adapter VM) with an ip. */
static int net_addr(struct run *r, const char *a, bool with_port, uint32_t *addr, uint16_t *port)
{
	const char *name;
	char nm[64];
	int rc = lab_addr_arg_parse(a, with_port, addr, port, &name);
	struct vstack_vmnic *n;

	if (rc <= 0)
		return rc;
	snprintf(nm, sizeof(nm), "%.*s", rc, name);
	if (!(n = vmnic_of(r, nm)) || !(*addr = vstack_vmnic_ipv4(n, NULL)))
		return -ENOENT;
	return 0;
}

/*
 * The NIC switches' drop counters (srnic's SW_DROP_* registers, read like
 * `ethtool -S`): no filter, ring full, bad descriptor, link down, summed
 * over the lab's NICs. Frames lost on the way show up here.
 */
#define NET_DROP_KINDS 4
static void switch_drops(struct run *r, uint64_t d[NET_DROP_KINDS])
{
	static const uint32_t reg[NET_DROP_KINDS] = { SRNIC_REG_SW_DROP_NO_FILTER, SRNIC_REG_SW_DROP_RING_FULL,
						      SRNIC_REG_SW_DROP_BAD_DESC, SRNIC_REG_SW_DROP_LINK_DOWN };

	memset(d, 0, NET_DROP_KINDS * sizeof(d[0]));
	for (size_t i = 0; i < hv_host_nic_count(r->host); i++) {
		struct srnic *dev = hv_nic_device(hv_host_nic_at(r->host, i));

		for (unsigned k = 0; dev && k < NET_DROP_KINDS; k++) {
			uint32_t v = 0;

			if (srnic_mmio_read32(dev, 0, 0, reg[k], &v) == 0)
				d[k] += v;
		}
	}
}

/* "3 dropped in the NIC switch (ring full 3)" for the drops since before[]. */
static const char *drops_text(struct run *r, const uint64_t before[NET_DROP_KINDS], char *buf, size_t len)
{
	static const char *const names[NET_DROP_KINDS] = { "no filter", "ring full", "bad descriptor", "link down" };
	uint64_t now[NET_DROP_KINDS], total = 0;
	size_t o;

	switch_drops(r, now);
	for (unsigned k = 0; k < NET_DROP_KINDS; k++)
		total += now[k] - before[k];
	o = (size_t)snprintf(buf, len, "%llu frame(s) dropped in the NIC switch", (unsigned long long)total);
	for (unsigned k = 0, first = 1; k < NET_DROP_KINDS && o < len; k++)
		if (now[k] != before[k]) {
			o += (size_t)snprintf(buf + o, len - o, "%s%s %llu", first ? " (" : ", ", names[k],
					      (unsigned long long)(now[k] - before[k]));
			first = 0;
		}
	if (total && o < len)
		snprintf(buf + o, len - o, ")");
	return buf;
}

/* The guest's status for an operation, in words a lab author can act on. */
static const char *net_status_text(int status)
{
	switch (status) {
	case -ENETDOWN:
		return "the guest's TCP/IP stack is not up (IOVTCPIP not bound or its package missing; see the guest's log)";
	case -EBUSY:
		return "the guest is still running another network operation (a tcp ... background?)";
	case -EINVAL:
		return "the guest refused the request (its own address, or a value out of range)";
	case -ETIMEDOUT:
		return "timed out";
	default:
		return strerror(-status);
	}
}

static const char *path_text(const struct vmctl_net_done *d, char *buf, size_t len)
{
	snprintf(buf, len, "%llu frames through the VF, %llu synthetic", (unsigned long long)d->tx_vf,
		 (unsigned long long)d->tx_synthetic);
	return buf;
}

/*
 * The verdict of a guest TCP/IP run (ping, tcp, udp): failed with the
 * guest's status in front of msg when bad, else ok with msg.
 */
static void net_verdict(struct run *r, const struct lab_step *s, int status, bool bad, const char *msg)
{
	if (status || bad) {
		char why[1024];

		snprintf(why, sizeof(why), "%s%s%s", status ? net_status_text(status) : "", status ? ": " : "", msg);
		failed(r, s, why);
		return;
	}
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "%s", msg);
}

struct net_wait {
	struct vmwp *w;
	int seq;
	struct vmctl_net_done d;
	uint64_t drops[NET_DROP_KINDS];	/* the switches' counters when it started */
};

static bool net_answered(struct run *r, void *ctx)
{
	struct net_wait *c = ctx;

	(void)r;
	return vmwp_state(c->w) != VMWP_RUNNING || vmwp_net_done(c->w, c->seq, &c->d);
}

/* A TCP run the script left in the background (tcp ... background), per VM. */
struct net_bg {
	const struct vstack_vm *vm;
	struct vmwp *w;
	int seq;
	int line;
	uint64_t bytes;
	uint64_t drops[NET_DROP_KINDS];
};
static struct net_bg net_bgs[8];

/* Start a NET request from the step's VM; 0 and c->w, c->seq, or a failure already reported. */
static int net_request(struct run *r, const struct lab_step *s, struct vmctl_net *req, struct net_wait *c)
{
	struct vstack_vmnic *n = vmnic_of(r, s->argv[0]);

	if (!n) {
		failed(r, s, "VM is not a VM network adapter (or a VM with one)");
		return -1;
	}
	if (!hv_host_runs_guests(r->host)) {
		skip(r, s, "needs the guest side");
		return -1;
	}
	if (!vstack_vmnic_ipv4(n, NULL)) {
		failed(r, s, "the VM's adapter has no ip: its guest runs no TCP/IP stack");
		return -1;
	}
	if (!(c->w = guest_of(r, n))) {
		failed(r, s, "the VM has no running guest");
		return -1;
	}
	switch_drops(r, c->drops);
	if ((c->seq = vmwp_net(c->w, req)) < 0) {
		failed(r, s, "the guest did not take the request");
		return -1;
	}
	return 0;
}

/* Wait for the answer (the guest's own timeout plus a margin); false: reported as failed. */
static bool net_wait_answer(struct run *r, const struct lab_step *s, struct net_wait *c, uint32_t timeout_ms)
{
	if (!run_until(r, net_answered, c, (int64_t)timeout_ms + 5000) || vmwp_state(c->w) != VMWP_RUNNING ||
	    !vmwp_net_done(c->w, c->seq, &c->d)) {
		failed(r, s, "the guest did not answer");
		return false;
	}
	return true;
}

static void step_ping(struct run *r, const struct lab_step *s)
{
	struct vmctl_net req = { .op = VMCTL_NET_PING, .count = 4, .size = 56, .timeout_ms = 0 };
	struct net_wait c = { 0 };
	char msg[256], path[96];
	unsigned long count = 4;

	if (s->argc < 2 || net_addr(r, s->argv[1], false, &req.addr, NULL)) {
		failed(r, s, "ping VM ADDR [COUNT]: ADDR is an IPv4 address or an adapter with an ip");
		return;
	}
	if (s->argc > 2)
		count = strtoul(s->argv[2], NULL, 10);
	if (!count || count > 1000000) {
		failed(r, s, "COUNT must be 1..1000000");
		return;
	}
	req.count = (uint32_t)count;
	req.timeout_ms = req.count * 1000u + 2000u > VMCTL_NET_TIMEOUT_MAX ? VMCTL_NET_TIMEOUT_MAX : req.count * 1000u + 2000u;
	if (net_request(r, s, &req, &c) || !net_wait_answer(r, s, &c, req.timeout_ms))
		return;
	snprintf(msg, sizeof(msg), "%llu sent, %llu answered, %llu lost; rtt min/avg/max %.3f/%.3f/%.3f ms; %s",
		 (unsigned long long)c.d.sent, (unsigned long long)c.d.received, (unsigned long long)c.d.lost,
		 c.d.rtt_min_us / 1000.0, c.d.rtt_avg_us / 1000.0, c.d.rtt_max_us / 1000.0,
		 path_text(&c.d, path, sizeof(path)));
	net_verdict(r, s, c.d.status, c.d.received != req.count || c.d.mismatched, msg);
}

/* Judge a finished TCP run: every byte echoed, equal, the connection intact. */
static void tcp_judge(struct run *r, const struct lab_step *s, const struct vmctl_net_done *d, uint64_t bytes,
		      const uint64_t drops[NET_DROP_KINDS])
{
	char msg[512], path[96], dropped[160];
	double secs = d->elapsed_us / 1e6;
	bool intact = d->flags & VMCTL_NET_INTACT;

	snprintf(msg, sizeof(msg),
		 "%llu of %llu bytes echoed, %llu differ, connection %s; %.3f s, %.1f Mbit/s each way; "
		 "%llu segment(s) retransmitted, either way; %s; %s",
		 (unsigned long long)d->received, (unsigned long long)bytes, (unsigned long long)d->mismatched,
		 intact ? "intact" : "NOT intact", secs, secs > 0 ? d->received * 8 / secs / 1e6 : 0.0,
		 (unsigned long long)d->retransmits, drops_text(r, drops, dropped, sizeof(dropped)),
		 path_text(d, path, sizeof(path)));
	net_verdict(r, s, d->status, d->received != bytes || d->mismatched || !intact, msg);
}

static void step_tcp(struct run *r, const struct lab_step *s)
{
	struct vmctl_net req = { .op = VMCTL_NET_TCP };
	struct net_wait c = { 0 };
	bool bg = s->argc > 3 && !strcasecmp(s->argv[3], "background");

	if (s->argc < 3 || net_addr(r, s->argv[1], true, &req.addr, &req.port) || lab_bytes_arg_parse(s->argv[2], &req.bytes)) {
		failed(r, s, "tcp VM ADDR:PORT BYTES [background]");
		return;
	}
	/* Generous: a slow placement of this 2-core machine runs the lab 3-5x slower. */
	req.timeout_ms = 60000;
	if (net_request(r, s, &req, &c))
		return;
	if (bg) {
		const struct vstack_vm *vm = vstack_vmnic_vm(vmnic_of(r, s->argv[0]));

		for (unsigned i = 0; i < 8; i++)
			if (!net_bgs[i].vm || net_bgs[i].vm == vm) {
				net_bgs[i] = (struct net_bg){ .vm = vm, .w = c.w, .seq = c.seq, .line = s->line, .bytes = req.bytes };
				memcpy(net_bgs[i].drops, c.drops, sizeof(c.drops));
				r->ran++;
				if (!r->json)
					say(r, s, "ok", "started; `wait tcp %s done` checks it", s->argv[0]);
				return;
			}
		failed(r, s, "too many background TCP runs");
		return;
	}
	if (!net_wait_answer(r, s, &c, req.timeout_ms))
		return;
	tcp_judge(r, s, &c.d, req.bytes, c.drops);
}

/* wait tcp VM done [TIMEOUT]: the background TCP run of VM finished; judged like tcp. */
static void step_wait_tcp(struct run *r, const struct lab_step *s)
{
	struct vstack_vmnic *n = vmnic_of(r, s->argv[1]);
	const struct vstack_vm *vm = n ? vstack_vmnic_vm(n) : NULL;
	struct net_wait c = { 0 };
	uint64_t ms;

	if (duration(s, 3, 60000, &ms) || strcasecmp(s->argv[2], "done")) {
		failed(r, s, "wait tcp VM done [TIMEOUT]");
		return;
	}
	for (unsigned i = 0; vm && i < 8; i++) {
		if (net_bgs[i].vm != vm)
			continue;
		c.w = net_bgs[i].w;
		c.seq = net_bgs[i].seq;
		net_bgs[i].vm = NULL;
		if (hv_host_vm_guest(r->host, vm) != c.w) {
			failed(r, s, "the VM's guest is gone");
			return;
		}
		if (!run_until(r, net_answered, &c, (int64_t)ms) || vmwp_state(c.w) != VMWP_RUNNING ||
		    !vmwp_net_done(c.w, c.seq, &c.d)) {
			failed(r, s, "the TCP run did not finish in time");
			return;
		}
		tcp_judge(r, s, &c.d, net_bgs[i].bytes, net_bgs[i].drops);
		return;
	}
	failed(r, s, "no TCP run of this VM in the background (tcp VM ADDR:PORT BYTES background)");
}

static void step_udp(struct run *r, const struct lab_step *s)
{
	struct vmctl_net req = { .op = VMCTL_NET_UDP, .size = 512 };
	struct net_wait c = { 0 };
	char msg[480], path[96], dropped[160];
	unsigned long count, size = 512;

	if (s->argc < 3 || net_addr(r, s->argv[1], true, &req.addr, &req.port)) {
		failed(r, s, "udp VM ADDR:PORT COUNT [SIZE]");
		return;
	}
	count = strtoul(s->argv[2], NULL, 10);
	if (s->argc > 3)
		size = strtoul(s->argv[3], NULL, 10);
	if (!count || count > VMCTL_NET_COUNT_MAX || size < VMCTL_NET_UDP_MIN || size > VMCTL_NET_PAYLOAD_MAX) {
		failed(r, s, "COUNT must be 1..1000000 and SIZE 8..1472");
		return;
	}
	req.count = (uint32_t)count;
	req.size = (uint32_t)size;
	req.timeout_ms = 60000;
	if (net_request(r, s, &req, &c) || !net_wait_answer(r, s, &c, req.timeout_ms))
		return;
	snprintf(msg, sizeof(msg),
		 "%llu datagrams of %lu bytes sent, %llu echoed, %llu lost, %llu damaged; %.3f s, %.1f Mbit/s each way; %s; %s",
		 (unsigned long long)c.d.sent, size, (unsigned long long)c.d.received, (unsigned long long)c.d.lost,
		 (unsigned long long)c.d.mismatched, c.d.elapsed_us / 1e6,
		 c.d.elapsed_us ? c.d.received * size * 8.0 / c.d.elapsed_us : 0.0,
		 drops_text(r, c.drops, dropped, sizeof(dropped)),
		 path_text(&c.d, path, sizeof(path)));
	net_verdict(r, s, c.d.status, c.d.received != req.count || c.d.mismatched, msg);
}

/*
 * revoke VM [DURATION]: the VF taken away in order and given back
 * (hv_host_vf_revoke). Taken away: synthetic with the VF freed -- or
 * already a new VF (new serial), when the return came before a round of
 * the loop saw the gap. Back: the data path is a new VF's.
 */
static bool revoked(struct run *r, void *ctx)
{
	struct wait_ctx *c = ctx;

	(void)r;
	if (vstack_vmnic_serial(c->n) != c->count)
		return true;
	return !vstack_vmnic_datapath_active(c->n) && !vstack_vmnic_has_vf(c->n);
}

static bool returned(struct run *r, void *ctx)
{
	struct wait_ctx *c = ctx;

	(void)r;
	return vstack_vmnic_serial(c->n) != c->count && vstack_vmnic_datapath_active(c->n);
}

static void step_revoke(struct run *r, const struct lab_step *s)
{
	struct wait_ctx c = { 0 };
	uint64_t ms, d0[NET_DROP_KINDS];
	int64_t t0, t1, t2;
	char dropped[160];
	int rc;

	if (s->argc < 1 || duration(s, 1, 500, &ms) || ms > 600000) {
		failed(r, s, "revoke VM [DURATION]");
		return;
	}
	if (!(c.n = vmnic_of(r, s->argv[0]))) {
		failed(r, s, "VM is not a VM network adapter (or a VM with one)");
		return;
	}
	if (!hv_host_runs_guests(r->host)) {
		skip(r, s, "needs the guest side");
		return;
	}
	t0 = now_ms();
	switch_drops(r, d0);
	c.count = vstack_vmnic_serial(c.n);	/* the VF being taken away */
	if ((rc = hv_host_vf_revoke(r->host, s->argv[0], (int)ms))) {
		failed(r, s, rc == -ENODEV ? "the adapter holds no VF to take away" :
			     rc == -EBUSY  ? "its VF is revoked already" : strerror(-rc));
		return;
	}
	if (!run_until(r, revoked, &c, 10000)) {
		failed(r, s, "the VF was not taken back in 10 s");
		return;
	}
	t1 = now_ms();
	if (!run_until(r, returned, &c, (int64_t)ms + 10000)) {
		char msg[256];

		vstack_vmnic_status(c.n, msg, sizeof(msg));
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " (the VF did not come back)");
		failed(r, s, msg);
		return;
	}
	t2 = now_ms();
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "VF taken back in %lld ms (data path synthetic, VF freed), back on VF %u (serial %u) after %lld ms; "
		    "%s", (long long)(t1 - t0), vstack_vmnic_vf_id(c.n), vstack_vmnic_serial(c.n), (long long)(t2 - t0),
		    drops_text(r, d0, dropped, sizeof(dropped)));
}

static void run_step(struct run *r, const struct lab_step *s)
{
	const char *v = s->verb;

	if (!strcmp(v, "diagnose")) {
		step_diagnose(r, s);
		return;
	}
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
		step_sleep(r, s);
	} else if (!strcmp(v, "wait") && s->argc >= 3 && !strcasecmp(s->argv[0], "tcp")) {
		step_wait_tcp(r, s);
	} else if (!strcmp(v, "wait")) {
		step_wait(r, s);
	} else if (!strcmp(v, "send")) {
		step_send(r, s);
	} else if (!strcmp(v, "kill")) {
		step_kill(r, s);
	} else if (!strcmp(v, "ping")) {
		step_ping(r, s);
	} else if (!strcmp(v, "tcp")) {
		step_tcp(r, s);
	} else if (!strcmp(v, "udp")) {
		step_udp(r, s);
	} else if (!strcmp(v, "revoke")) {
		step_revoke(r, s);
	} else if (!strcmp(v, "inject") || !strcmp(v, "clear")) {
		step_fault(r, s, !strcmp(v, "inject"));
	} else if (!strcmp(v, "migrate") || !strcmp(v, "link"))
		skip(r, s, "not built yet");
	else
		skip(r, s, "not built yet");
}

/* inject FAULT / clear FAULT: arm or disarm a [fault] (src/hv/faults.c, docs/faults.md). */
static void step_fault(struct run *r, const struct lab_step *s, bool arm)
{
	char err[512];
	int rc = hv_host_fault_arm(r->host, s->argv[0], arm, err, sizeof(err));

	if (rc) {
		failed(r, s, err);
		return;
	}
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "[fault %s] %s", s->argv[0], arm ? "armed" : "cleared");
}

/* What each [fault] does in this run, one line each. */
static void print_faults(struct run *r)
{
	const struct lab *lab = r->lab;

	for (size_t i = 0; i < lab->nfaults; i++) {
		const struct lab_fault *f = &lab->faults[i];

		fprintf(r->msg, "%s:%d: [fault %s]%s%s: %s", lab->file, f->line, f->name, f->target ? " on " : "",
			f->target ? f->target : "", f->armed ? "armed" : "not armed (the script injects it)");
		for (size_t j = 0; j < f->kv.count; j++)
			fprintf(r->msg, "%s %s = %s", j ? "," : ";", f->kv.items[j].key, f->kv.items[j].value);
		fprintf(r->msg, "\n");
	}
}

/* ---- the run ----------------------------------------------------------------------- */
static void print_host(struct run *r)
{
	struct hv_host *h = r->host;
	struct vstack *vs = hv_host_vstack(h);
	char desc[512];

	if (hv_host_runs_guests(h))
		printf("Host %s is up (root partition); every running VM is a process with its guest\n"
		       "stack (NetVsc, vPCI, the VF miniport), on VMBus and the VF's registers.\n",
		       hv_host_computer_name(h));
	else
		printf("Host %s is up (root partition). --host-only: the VMs' guests are not started,\n"
		       "so VFs are offered but never used and VFDataPathActive stays False.\n",
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
	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		struct vstack_vm *vm = vstack_vm_at(vs, i);
		struct vmwp *w = hv_host_vm_guest(h, vm);

		if (w)
			printf("  vm %-13s %s, process %d, guest %s\n", vstack_vm_name(vm), vstack_vm_state_name(vstack_vm_state(vm)),
			       (int)vmwp_pid(w), vmwp_state(w) == VMWP_RUNNING ? "up" : vmwp_state_name(vmwp_state(w)));
		else
			printf("  vm %-13s %s\n", vstack_vm_name(vm), vstack_vm_state_name(vstack_vm_state(vm)));
	}
	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		vstack_vmnic_status(n, desc, sizeof(desc));
		printf("  adapter %-8s VM %s, IovWeight %u: %s\n", vstack_vmnic_name(n), vstack_vm_name(vstack_vmnic_vm(n)),
		       vstack_vmnic_iov_weight(n), desc);
	}
	for (size_t i = 0; i < hv_host_note_count(h); i++)
		printf("  note: %s\n", hv_host_note_at(h, i));
	printf("\n");
}

/* cmd_run_then(): what to call with the live host before teardown. */
static cmd_run_after_fn *run_after;
static void *run_after_ctx;

int cmd_run_then(int argc, char **argv, cmd_run_after_fn *fn, void *ctx)
{
	int rc;

	run_after = fn;
	run_after_ctx = ctx;
	rc = cmd_run(argc, argv);
	run_after = NULL;
	run_after_ctx = NULL;
	return rc;
}

/* Merge the VM processes' capture parts into the file (every VM process has exited by now). */
static int finish_capture(struct run *r, const char *file)
{
	struct capture_summary sum;
	char err[512];
	int rc = capture_finish(&sum, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "iovlab run: --capture %s: %s\n", file, err);
		return rc;
	}
	fprintf(r->msg, "capture: %zu frames on %zu capture points written to %s (%zu process%s merged%s)\n",
		sum.frames, sum.interfaces, file, sum.parts, sum.parts == 1 ? "" : "es",
		sum.truncated ? "; a VM killed while writing lost its last ~0.1 s of frames" : "");
	return 0;
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
	const char *path = NULL, *shows[32], *capture_path = NULL, *capture_points[32];
	int ncapture_points = 0;
	int nshows = 0, status = 0;
	struct run r = { .msg = stdout };
	struct hv_host_options opt = { 0 };
	struct lab *lab = NULL;
	char err[512];
	struct run_trace trace = { 0 };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			r.json = true;
		} else if (!strcmp(argv[i], "--host-only")) {
			r.host_only = true;
		} else if (!strcmp(argv[i], "--capture") && i + 1 < argc) {
			capture_path = argv[++i];
		} else if (!strcmp(argv[i], "--capture-point") && i + 1 < argc && ncapture_points < 32) {
			capture_points[ncapture_points++] = argv[++i];
		} else if (!strcmp(argv[i], "--show") && i + 1 < argc && nshows < 32) {
			shows[nshows++] = argv[++i];
		} else if (!strncmp(argv[i], "--show=", 7) && nshows < 32) {
			shows[nshows++] = argv[i] + 7;
		} else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
			trace.text_path = argv[++i];
		} else if (!strncmp(argv[i], "--trace=", 8)) {
			trace.text_path = argv[i] + 8;
		} else if (!strcmp(argv[i], "--timeline") && i + 1 < argc) {
			trace.timeline_path = argv[++i];
		} else if (!strncmp(argv[i], "--timeline=", 11)) {
			trace.timeline_path = argv[i] + 11;
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
	if (ncapture_points && !capture_path) {
		fprintf(stderr, "iovlab run: --capture-point needs --capture FILE\n");
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
	tools_host_options(&opt, !r.host_only);
	if (capture_path && capture_start(capture_path, capture_points, (size_t)ncapture_points, err, sizeof(err))) {
		fprintf(stderr, "iovlab run: --capture: %s\n", err);
		lab_free(lab);
		return 2;
	}
	if (run_trace_start(&trace)) {
		lab_free(lab);
		return 2;
	}
	if (hv_host_create(lab, &opt, &r.host, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s: the host did not come up: %s\n", path, err);
		if (capture_path)
			(void)finish_capture(&r, capture_path);
		(void)run_trace_finish(&trace);
		lab_free(lab);
		return 1;
	}
	hv_host_capture_attach(r.host);
	r.lab = lab;
	/* Let the VMs boot (bounded) so what is printed is what they reached. */
	(void)run_until(&r, guests_booted, NULL, 10000);
	hv_host_capture_attach(r.host);	/* the VFs given by now: their capture points */
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
	print_faults(&r);

	for (size_t i = 0; i < lab->script.count; i++) {
		run_step(&r, &lab->script.steps[i]);
		fflush(r.msg);	/* each step's line as it happens, also into a pipe or a file */
	}

	for (int i = 0; i < nshows; i++) {
		char **v;
		int n;

		int rc = views_split(shows[i], &v, &n);

		if (!rc)
			rc = views_show(r.host, n, v, r.json ? VIEWS_JSON : VIEWS_TEXT, stdout, err, sizeof(err));
		if (rc == -EAGAIN) {
			/* a guest's view under --host-only: skipped, like the guest steps */
			fprintf(stderr, "iovlab run: --show '%s': skipped: %s\n", shows[i], err);
		} else if (rc) {
			fprintf(stderr, "iovlab run: --show '%s': %s\n", shows[i], rc == -ENOMEM ? strerror(ENOMEM) : err);
			r.failed++;
		}
		views_split_free(v, n);
	}
	if (run_after)
		run_after(r.host, run_after_ctx);
	hv_host_capture_attach(r.host);
	fflush(stdout);
	hv_host_destroy(r.host);
	if (capture_path && finish_capture(&r, capture_path))
		r.failed++;
	fprintf(r.msg, "%s: %zu script step(s): %u ran, %u skipped (not built yet), %u failed", lab->file,
		lab->script.count, r.ran, r.skipped, r.failed);
	if (r.broken)
		fprintf(r.msg, "; %u PF driver(s) did not come up", r.broken);
	fprintf(r.msg, "; host torn down.\n");
	if (run_trace_finish(&trace))
		r.failed++;
	if (r.failed || r.broken)
		status = 1;
	lab_free(lab);
	return status;
}

/*
 * `iovlab diagnose --script`: the script of a lab already up on h, run as
 * `iovlab run` runs it -- the guests given their boot first, every step
 * with the same rules -- step messages to msg, views to stdout. Returns how
 * many steps failed.
 */
unsigned cmd_run_script(struct hv_host *h, const struct lab *lab, bool json, FILE *msg)
{
	struct run r = { .lab = lab, .host = h, .json = json, .msg = msg };

	(void)run_until(&r, guests_booted, NULL, 10000);
	for (size_t i = 0; i < lab->script.count; i++)
		run_step(&r, &lab->script.steps[i]);
	return r.failed;
}

/* diagnose [OBJECT]: the chain walked over what the lab reached so far (src/diag); informational. */
static void step_diagnose(struct run *r, const struct lab_step *s)
{
	struct diag_report *rep = NULL;
	const char *vm = NULL;
	int rc;

	if (s->argc > 1) {
		failed(r, s, "diagnose [OBJECT]");
		return;
	}
	/* OBJECT: a VM, or a VM network adapter (its VM); any other lab object (the host, a nic, a switch): every VM. */
	if (s->argc) {
		struct vstack *vs = hv_host_vstack(r->host);
		struct vstack_vmnic *n;

		if (vstack_vm_find(vs, s->argv[0]))
			vm = s->argv[0];
		else if ((n = vstack_vmnic_find(vs, s->argv[0])))
			vm = vstack_vm_name(vstack_vmnic_vm(n));
	}
	fflush(r->msg);
	rc = diag_run(r->host, vm, &rep);
	if (rc) {
		failed(r, s, rc == -ENOENT ? "no such VM" : strerror(-rc));
		return;
	}
	if (r->json) {
		json_t *j = diag_report_json(rep);

		if (j)
			(void)json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		(void)diag_report_print(rep, stdout);
	}
	fflush(stdout);
	r->ran++;
	if (!r->json)
		say(r, s, "ok", "first broken link: %s", diag_report_first_broken(rep) ? diag_report_first_broken(rep)
											 : "none");
	diag_report_destroy(rep);
}
