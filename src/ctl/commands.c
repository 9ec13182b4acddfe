/*
 * The live lab's command table and events (lab_ctl.h): what an
 * administrator does to a running lab through its control socket. Every
 * row is a name, an argument schema (checked by proto.c before the handler
 * runs) and a handler that reuses what the lab script uses -- the views
 * (src/views: show, ndiskd), the admin operations (src/hv/admin.h: Set-VM*,
 * Set-NetAdapterAdvancedProperty, Start/Stop-VM, a crash, traffic) -- so a
 * new command is one row and one handler.
 *
 * Events: after every round of the host's loop (hv_host_set_round_fn) the
 * watcher compares each VM, VM network adapter and PF with what it saw the
 * round before and sends one event per change. A state that comes and goes
 * within one round is not seen; the states that last (a VF in use, a VM
 * off) always are.
 */
#include "ctl/lab_ctl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/trace.h"
#include "ctl/server.h"
#include "diag/diag.h"
#include "hv/admin.h"
#include "hv/vmwp.h"
#include "trace/merge.h"
#include "views/views.h"

struct vm_seen {
	enum vstack_vm_state state;
	int guest;		/* enum vmwp_state, -1: no process */
};

struct vmnic_seen {
	bool active;
	enum vstack_vf_state vf;
};

struct ctl_lab {
	struct hv_host *h;
	struct ctl_server *srv;
	char *lab_file;
	bool quit;
	bool hooked;
	struct vm_seen *vms;
	size_t nvms;
	struct vmnic_seen *vmnics;
	size_t nvmnics;
	enum hv_nic_state *nics;
	size_t nnics;
};

/* ---- helpers --------------------------------------------------------------------------- */
static const char *lab_name(const struct ctl_lab *c)
{
	const struct lab *lab = hv_host_lab(c->h);

	return lab->info.name ? lab->info.name : "";
}

static const char *guest_name(int g)
{
	return g < 0 ? "none" : vmwp_state_name((enum vmwp_state)g);
}

static int guest_of(const struct ctl_lab *c, const struct vstack_vm *vm)
{
	struct vmwp *w = hv_host_vm_guest(c->h, vm);

	return w ? (int)vmwp_state(w) : -1;
}

/* A string argument, or NULL when absent. */
static const char *str_arg(json_t *args, const char *name)
{
	return json_string_value(json_object_get(args, name));
}

/* A string-or-integer argument as text. */
static const char *scalar_arg(json_t *args, const char *name, char *buf, size_t len)
{
	json_t *v = json_object_get(args, name);

	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return json_string_value(v);
}

/* ---- views: show, ndiskd ----------------------------------------------------------------- */
/* Print the view argv names and hand it back as {"text": ...} or {"json": ...}. */
static int view(struct ctl_lab *c, int argc, char **argv, json_t *args, json_t **ret, char *err, size_t errlen)
{
	const char *format = str_arg(args, "format");
	bool json = false;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (format && !strcasecmp(format, "json"))
		json = true;
	else if (format && strcasecmp(format, "text")) {
		snprintf(err, errlen, "Parameter 'format' must be \"text\" or \"json\", not \"%.40s\"", format);
		return -EINVAL;
	}
	if (!(f = open_memstream(&buf, &len))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = views_show(c->h, argc, argv, json ? VIEWS_JSON : VIEWS_TEXT, f, err, errlen);
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	if (json) {
		json_error_t jerr;
		json_t *v = json_loadb(buf, len, 0, &jerr);

		if (!v) {
			snprintf(err, errlen, "the view did not give JSON: %s", jerr.text);
			free(buf);
			return -EIO;
		}
		*ret = json_pack("{s:o}", "json", v);
	} else {
		*ret = json_pack("{s:s%}", "text", buf, len);
	}
	free(buf);
	return *ret ? 0 : -ENOMEM;
}

/* argv = the words of first (split like --show) followed by the strings of args[name]. */
static int words(const char *first, json_t *arr, char ***argv, int *argc)
{
	size_t i;
	json_t *e;
	char **v;
	int rc = views_split(first, argv, argc);

	if (rc)
		return rc;
	if (!json_array_size(arr))
		return 0;
	if (json_array_size(arr) > 64 || !(v = realloc(*argv, sizeof(*v) * ((size_t)*argc + json_array_size(arr) + 1))))
		return -E2BIG;
	*argv = v;
	json_array_foreach(arr, i, e) {
		if (!(v[*argc] = strdup(json_string_value(e))))
			return -ENOMEM;
		v[++*argc] = NULL;
	}
	return 0;
}

static int cmd_show(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	char **argv = NULL;
	int argc = 0, rc = words(str_arg(args, "view"), json_object_get(args, "args"), &argv, &argc);

	if (rc)
		snprintf(err, errlen, "%s", rc == -E2BIG ? "too many arguments" : "cannot read the view's words");
	else if (argc < 1) {
		snprintf(err, errlen, "Parameter 'view' names no view");
		rc = -EINVAL;
	} else
		rc = view(ctx, argc, argv, args, ret, err, errlen);
	views_split_free(argv, argc);
	return rc;
}

static int cmd_ndiskd(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	char **argv = NULL;
	int argc = 0, rc = words("ndiskd", json_object_get(args, "args"), &argv, &argc);

	if (rc)
		snprintf(err, errlen, "%s", rc == -E2BIG ? "too many arguments" : "cannot read the arguments");
	else
		rc = view(ctx, argc, argv, args, ret, err, errlen);
	views_split_free(argv, argc);
	return rc;
}

/* ---- queries ------------------------------------------------------------------------- */
static int cmd_query_status(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;

	(void)args, (void)err, (void)errlen;
	*ret = json_pack("{s:s,s:b,s:s,s:i}", "status", "running", "running", 1, "lab", lab_name(c), "pid",
			 (int)getpid());
	return *ret ? 0 : -ENOMEM;
}

static int cmd_query_lab(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	struct hv_host *h = c->h;
	const struct lab *lab = hv_host_lab(h);
	struct vstack *vs = hv_host_vstack(h);
	json_t *nics = json_array(), *sws = json_array(), *vms = json_array(), *ads = json_array();
	char desc[512];

	(void)args, (void)err, (void)errlen;
	for (size_t i = 0; i < hv_host_nic_count(h); i++) {
		struct hv_nic *n = hv_host_nic_at(h, i);

		json_array_append_new(nics, json_pack("{s:s,s:s,s:s}", "name", hv_nic_name(n), "state",
						      hv_nic_state_name(hv_nic_state(n)), "description",
						      hv_nic_description(n) ? hv_nic_description(n) : ""));
	}
	for (size_t i = 0; i < hv_host_switch_count(h); i++) {
		struct vswitch *sw = hv_host_switch_at(h, i);

		json_array_append_new(sws, json_pack("{s:s,s:s,s:s?,s:b}", "name", vswitch_name(sw), "type",
						     vswitch_type_name(vswitch_type(sw)), "adapter",
						     vswitch_adapter_name(sw), "iov_enabled", vswitch_iov_enabled(sw)));
	}
	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		struct vstack_vm *vm = vstack_vm_at(vs, i);
		struct vmwp *w = hv_host_vm_guest(h, vm);

		json_array_append_new(vms, json_pack("{s:s,s:s,s:s,s:i}", "name", vstack_vm_name(vm), "state",
						     vstack_vm_state_name(vstack_vm_state(vm)), "guest",
						     guest_name(guest_of(c, vm)), "pid", w ? (int)vmwp_pid(w) : 0));
	}
	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);

		vstack_vmnic_status(n, desc, sizeof(desc));
		json_array_append_new(ads, json_pack("{s:s,s:s,s:i,s:i,s:b,s:s,s:s}", "name", vstack_vmnic_name(n),
						     "vm", vstack_vm_name(vstack_vmnic_vm(n)), "iov_weight",
						     (int)vstack_vmnic_iov_weight(n), "iov_usage",
						     (int)vstack_vmnic_iov_usage(n), "vf_datapath_active",
						     vstack_vmnic_datapath_active(n), "vf_state",
						     vstack_vf_state_name(vstack_vmnic_vf_state(n)), "status", desc));
	}
	*ret = json_pack("{s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:o,s:o}", "lab", lab_name(c), "file", c->lab_file,
			 "description", lab->info.description ? lab->info.description : "", "computer_name",
			 hv_host_computer_name(h), "runs_guests", hv_host_runs_guests(h), "nics", nics, "switches",
			 sws, "vms", vms, "adapters", ads);
	return *ret ? 0 : -ENOMEM;
}

static int cmd_query_commands(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ctx, (void)args, (void)err, (void)errlen;
	*ret = json_array();
	for (size_t i = 0; *ret && i < ctl_lab_command_count; i++)
		json_array_append_new(*ret, json_pack("{s:s,s:s}", "name", ctl_lab_commands[i].name, "help",
						      ctl_lab_commands[i].help));
	return *ret ? 0 : -ENOMEM;
}

/* ---- settings ------------------------------------------------------------------------ */
static const char *const vmnic_properties[] = { "IovWeight", "IovQueuePairsRequested", "IovInterruptModeration" };

static int cmd_set_vmnic(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	const char *vm = str_arg(args, "vm");
	unsigned set = 0;

	(void)ret;
	for (size_t i = 0; i < sizeof(vmnic_properties) / sizeof(vmnic_properties[0]); i++) {
		char num[32];
		const char *v = scalar_arg(args, vmnic_properties[i], num, sizeof(num));
		int rc;

		if (!v)
			continue;
		if ((rc = hv_admin_vmnic_set(c->h, vm, vmnic_properties[i], v, err, errlen)))
			return rc;
		set++;
	}
	if (!set) {
		snprintf(err, errlen, "nothing to set: give IovWeight, IovQueuePairsRequested or IovInterruptModeration");
		return -EINVAL;
	}
	return 0;
}

static int cmd_set_advprop(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	char num[32];

	(void)ret;
	return hv_admin_nic_set_keyword(c->h, str_arg(args, "name"), str_arg(args, "RegistryKeyword"),
					scalar_arg(args, "RegistryValue", num, sizeof(num)), err, errlen);
}

/* ---- VMs and traffic --------------------------------------------------------------------- */
static int cmd_vm_start(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ret;
	return hv_admin_vm_start(((struct ctl_lab *)ctx)->h, str_arg(args, "vm"), err, errlen);
}

static int cmd_vm_stop(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ret;
	return hv_admin_vm_stop(((struct ctl_lab *)ctx)->h, str_arg(args, "vm"), err, errlen);
}

static int cmd_vm_kill(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ret;
	return hv_admin_vm_kill(((struct ctl_lab *)ctx)->h, str_arg(args, "vm"), 10000, err, errlen);
}

static int cmd_send(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	json_int_t count = json_integer_value(json_object_get(args, "count"));
	json_int_t size = json_integer_value(json_object_get(args, "size"));
	struct hv_admin_send_result r;
	int rc;

	/* The range checks are hv_admin_send()'s; only keep the cast honest. */
	if (count < 0 || count > UINT32_MAX)
		count = 0;
	if (size < 0 || size > UINT32_MAX)
		size = 0;
	rc = hv_admin_send(c->h, str_arg(args, "from"), str_arg(args, "to"), (uint32_t)count, (uint32_t)size, 60000,
			   &r, err, errlen);
	if (rc)
		return rc;
	*ret = json_pack("{s:I,s:I,s:I,s:I,s:I}", "frames", (json_int_t)r.frames, "completed",
			 (json_int_t)r.completed, "failed", (json_int_t)r.failed, "vf", (json_int_t)r.vf, "synthetic",
			 (json_int_t)r.synthetic);
	return *ret ? 0 : -ENOMEM;
}

/* Live-migration-like: the VF taken back in the documented order, given back later (hv_host_vf_revoke). */
static int cmd_vf_revoke(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	const char *vm = str_arg(args, "vm");
	json_t *b = json_object_get(args, "back_after_ms");
	json_int_t back = b ? json_integer_value(b) : -1;
	int rc;

	(void)ret;
	if (back < -1 || back > 3600000) {
		snprintf(err, errlen, "back_after_ms %lld is out of range (-1 = until vf-return, 0..3600000)",
			 (long long)back);
		return -EINVAL;
	}
	rc = hv_host_vf_revoke(c->h, vm, (int)back);
	if (rc == -ENOENT)
		snprintf(err, errlen, "no VM network adapter '%s'", vm);
	else if (rc == -ENODEV)
		snprintf(err, errlen, "'%s' holds no VF to revoke (IovUsage 0)", vm);
	else if (rc == -EBUSY)
		snprintf(err, errlen, "the VF of '%s' is already revoked", vm);
	else if (rc)
		snprintf(err, errlen, "revoking the VF of '%s' failed: %s", vm, strerror(-rc));
	return rc;
}

static int cmd_vf_return(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	const char *vm = str_arg(args, "vm");
	int rc = hv_host_vf_return(((struct ctl_lab *)ctx)->h, vm);

	(void)ret;
	if (rc == -ENOENT)
		snprintf(err, errlen, "no VM network adapter '%s'", vm);
	else if (rc == -EALREADY)
		snprintf(err, errlen, "the VF of '%s' is not revoked", vm);
	else if (rc)
		snprintf(err, errlen, "returning the VF of '%s' failed: %s", vm, strerror(-rc));
	return rc;
}

/*
 * The merged trace of every partition so far (src/trace/merge.h, live mode:
 * a record still being written is skipped, open spans end at their last
 * record), written by the host to the files the client names -- a trace
 * grows without bound, so it does not travel in the reply (QMP's
 * dump-guest-memory takes a path the same way). Paths must be absolute.
 */
static int open_trace_out(const char *path, const char *what, FILE **out, char *err, size_t errlen)
{
	if (!path)
		return 0;
	if (path[0] != '/') {
		snprintf(err, errlen, "%s '%s' is not an absolute path", what, path);
		return -EINVAL;
	}
	*out = fopen(path, "we");
	if (!*out) {
		snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int cmd_trace(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	const char *text_path = json_string_value(json_object_get(args, "file"));
	const char *timeline_path = json_string_value(json_object_get(args, "timeline"));
	size_t n = trace_session_file_count();
	FILE *text = NULL, *timeline = NULL;
	struct trace_merge *m;
	int rc;

	(void)ctx;
	if (!text_path && !timeline_path) {
		snprintf(err, errlen, "give 'file' (the text trace), 'timeline' (Chrome trace JSON) or both");
		return -EINVAL;
	}
	if (!n) {
		snprintf(err, errlen, "this lab keeps no trace (it was brought up without a trace session)");
		return -ENOENT;
	}
	if ((rc = open_trace_out(text_path, "file", &text, err, errlen)) ||
	    (rc = open_trace_out(timeline_path, "timeline", &timeline, err, errlen))) {
		if (text)
			fclose(text);
		return rc;
	}
	m = trace_merge_create();
	if (!m) {
		rc = -ENOMEM;
		goto out;
	}
	trace_merge_set_live(m, true);
	for (size_t i = 0; i < n; i++)
		(void)trace_merge_add_file(m, trace_session_file_at(i));	/* failures are problems */
	if ((text && (rc = trace_merge_write_text(m, text))) ||
	    (timeline && (rc = trace_merge_write_timeline(m, timeline)))) {
		snprintf(err, errlen, "writing the merged trace failed: %s", strerror(-rc));
		goto out;
	}
	{
		json_t *problems = json_array();

		for (size_t i = 0; i < trace_merge_problem_count(m) && i < TRACE_MERGE_PROBLEMS_KEPT; i++)
			json_array_append_new(problems, json_string(trace_merge_problem_at(m, i)));
		*ret = json_pack("{s:I,s:I,s:I,s:o}", "partitions", (json_int_t)n, "records",
				 (json_int_t)trace_merge_record_count(m), "lines", (json_int_t)trace_merge_log_count(m),
				 "problems", problems);
		rc = *ret ? 0 : -ENOMEM;
	}
out:
	trace_merge_destroy(m);
	if (text && fclose(text) && !rc)
		rc = -EIO;
	if (timeline && fclose(timeline) && !rc)
		rc = -EIO;
	return rc;
}

/* The lab's [fault NAME] armed or disarmed live (hv_host_fault_arm; docs/faults.md). */
static int fault_arm(void *ctx, json_t *args, bool armed, char *err, size_t errlen)
{
	return hv_host_fault_arm(((struct ctl_lab *)ctx)->h, str_arg(args, "name"), armed, err, errlen);
}

static int cmd_fault_inject(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ret;
	return fault_arm(ctx, args, true, err, errlen);
}

static int cmd_fault_clear(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ret;
	return fault_arm(ctx, args, false, err, errlen);
}

/* diagnose on the running lab, as it is now: {vm?, format text|json} (src/diag, docs/diagnose.md). */
static int cmd_diagnose(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	const char *vm = json_string_value(json_object_get(args, "vm"));
	const char *format = json_string_value(json_object_get(args, "format"));
	struct diag_report *r = NULL;
	int rc;

	if (format && strcmp(format, "text") && strcmp(format, "json")) {
		snprintf(err, errlen, "format '%s': text or json", format);
		return -EINVAL;
	}
	rc = diag_run(((struct ctl_lab *)ctx)->h, vm, &r);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "no VM '%s'", vm ? vm : "");
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "diagnose failed: %s", strerror(-rc));
		return rc;
	}
	if (format && !strcmp(format, "json")) {
		*ret = json_pack("{s:o,s:b}", "json", diag_report_json(r), "broken", diag_report_first_broken(r) != NULL);
	} else {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (f) {
			(void)diag_report_print(r, f);
			fclose(f);
			*ret = json_pack("{s:s%,s:b}", "text", text ? text : "", len, "broken",
					 diag_report_first_broken(r) != NULL);
		}
		free(text);
	}
	diag_report_destroy(r);
	return *ret ? 0 : -ENOMEM;
}

/* ---- live capture (docs/capture.md): the host and every running guest write parts, stop merges them */
static int cmd_capture_start(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	json_t *arr = json_object_get(args, "points");
	const char *points[VMCTL_CAPTURE_FILTERS];
	size_t n = arr ? json_array_size(arr) : 0;
	int rc;

	if (n > VMCTL_CAPTURE_FILTERS) {
		snprintf(err, errlen, "at most %u capture point patterns, not %zu", VMCTL_CAPTURE_FILTERS, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		points[i] = json_string_value(json_array_get(arr, i));	/* proto.c: strings */
	if ((rc = hv_host_capture_live_start(c->h, str_arg(args, "file"), points, n, err, errlen)))
		return rc;
	*ret = json_pack("{s:s}", "file", str_arg(args, "file"));
	return *ret ? 0 : -ENOMEM;
}

static int cmd_capture_stop(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct ctl_lab *c = ctx;
	struct capture_summary sum;
	char file[PATH_MAX];
	int rc;

	(void)args;
	snprintf(file, sizeof(file), "%s", capture_path() ? capture_path() : "");
	if ((rc = hv_host_capture_live_stop(c->h, &sum, err, errlen)))
		return rc;
	*ret = json_pack("{s:I,s:I,s:I,s:I,s:s}", "frames", (json_int_t)sum.frames, "interfaces",
			 (json_int_t)sum.interfaces, "parts", (json_int_t)sum.parts, "truncated",
			 (json_int_t)sum.truncated, "file", file);
	return *ret ? 0 : -ENOMEM;
}

static int cmd_quit(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)args, (void)ret, (void)err, (void)errlen;
	((struct ctl_lab *)ctx)->quit = true;
	return 0;
}

/* ---- the table ----------------------------------------------------------------------- */
static const struct ctl_arg args_show[] = {
	{ "view", CTL_ARG_STR, true },
	{ "args", CTL_ARG_STRS, false },
	{ "format", CTL_ARG_STR, false },
	{ NULL },
};
static const struct ctl_arg args_ndiskd[] = {
	{ "args", CTL_ARG_STRS, false },
	{ "format", CTL_ARG_STR, false },
	{ NULL },
};
static const struct ctl_arg args_set_vmnic[] = {
	{ "vm", CTL_ARG_STR, true },
	{ "IovWeight", CTL_ARG_INT, false },
	{ "IovQueuePairsRequested", CTL_ARG_INT, false },
	{ "IovInterruptModeration", CTL_ARG_SCALAR, false },
	{ NULL },
};
static const struct ctl_arg args_set_advprop[] = {
	{ "name", CTL_ARG_STR, true },
	{ "RegistryKeyword", CTL_ARG_STR, true },
	{ "RegistryValue", CTL_ARG_SCALAR, true },
	{ NULL },
};
static const struct ctl_arg args_vm[] = {
	{ "vm", CTL_ARG_STR, true },
	{ NULL },
};
static const struct ctl_arg args_vf_revoke[] = {
	{ "vm", CTL_ARG_STR, true },
	{ "back_after_ms", CTL_ARG_INT, false },
	{ NULL },
};
static const struct ctl_arg args_trace[] = {
	{ "file", CTL_ARG_STR, false },
	{ "timeline", CTL_ARG_STR, false },
	{ NULL },
};
static const struct ctl_arg args_fault[] = {
	{ "name", CTL_ARG_STR, true },
	{ NULL },
};
static const struct ctl_arg args_diagnose[] = {
	{ "vm", CTL_ARG_STR, false },
	{ "format", CTL_ARG_STR, false },
	{ NULL },
};
static const struct ctl_arg args_capture_start[] = {
	{ "file", CTL_ARG_STR, true },
	{ "points", CTL_ARG_STRS, false },
	{ NULL },
};

static const struct ctl_arg args_send[] = {
	{ "from", CTL_ARG_STR, true },
	{ "to", CTL_ARG_STR, true },
	{ "count", CTL_ARG_INT, true },
	{ "size", CTL_ARG_INT, true },
	{ NULL },
};

const struct ctl_command ctl_lab_commands[] = {
	{ "query-status", NULL, cmd_query_status, "whether the lab runs, its name and the host's pid" },
	{ "query-lab", NULL, cmd_query_lab, "the lab's NICs, switches, VMs and VM network adapters with their state" },
	{ "query-commands", NULL, cmd_query_commands, "the commands this lab answers" },
	{ "show", args_show, cmd_show, "a view, as `iovlab run --show` prints it: {view, args, format text|json}" },
	{ "ndiskd", args_ndiskd, cmd_ndiskd, "!ndiskd.netadapter [-vm VM] [-iov -vfs -vports -nicswitch -bindings]" },
	{ "set-vmnetworkadapter", args_set_vmnic, cmd_set_vmnic,
	  "Set-VMNetworkAdapter {vm, IovWeight, IovQueuePairsRequested, IovInterruptModeration}" },
	{ "set-netadapteradvancedproperty", args_set_advprop, cmd_set_advprop,
	  "Set-NetAdapterAdvancedProperty {name, RegistryKeyword, RegistryValue}; the adapter restarts" },
	{ "vm-start", args_vm, cmd_vm_start, "Start-VM {vm}" },
	{ "vm-stop", args_vm, cmd_vm_stop, "Stop-VM {vm}: the VF is taken back first" },
	{ "vm-kill", args_vm, cmd_vm_kill, "kill the VM's process (a crash) and wait until the host has turned it off" },
	{ "send", args_send, cmd_send, "the lab's send step: {from, to, count, size}" },
	{ "quit", NULL, cmd_quit, "tear the lab down in the documented order and exit" },
	/*
	 * Extension points: the commands other subsystems deliver are one row
	 * each, on the line kept for it below, with the handler in their own
	 * file next to what it serves (declared in lab_ctl.h; it reaches the
	 * host with ctl_lab_host(ctx) and may send events with ctl_lab_emit()).
	 * Until its row exists, a command is CommandNotFound like any other
	 * unknown name.
	 */
	{ "diagnose", args_diagnose, cmd_diagnose,
	  "the bring-up chain in path order as the lab is now, first broken link: {vm, format text|json}" },
	{ "trace", args_trace, cmd_trace,
	  "the WPP-style trace of every partition merged so far: {file (text), timeline (Chrome JSON)}, absolute paths" },
	/* capture:      { "capture", ..., "start/stop pcapng capture points" }, */
	{ "capture-start", args_capture_start, cmd_capture_start,
	  "start a pcapng capture on the running lab: {file (absolute), points: [patterns]}" },
	{ "capture-stop", NULL, cmd_capture_stop,
	  "stop the live capture and merge it: {frames, interfaces, parts, truncated, file}" },
	{ "vf-revoke", args_vf_revoke, cmd_vf_revoke,
	  "a live-migration-like VF revoke: {vm, back_after_ms (-1: until vf-return)}; IovWeight is kept" },
	{ "vf-return", args_vm, cmd_vf_return, "give a revoked VF back now: {vm}" },
	{ "fault-inject", args_fault, cmd_fault_inject,
	  "arm the lab's [fault NAME] live: {name} (pf_fail_oid restarts the PF, vf_link sets the VFs' link)" },
	{ "fault-clear", args_fault, cmd_fault_clear, "disarm the lab's [fault NAME]: {name}" },
};
const size_t ctl_lab_command_count = sizeof(ctl_lab_commands) / sizeof(ctl_lab_commands[0]);

/* ---- events ------------------------------------------------------------------------- */
static void watch(struct ctl_lab *c)
{
	struct hv_host *h = c->h;
	struct vstack *vs = hv_host_vstack(h);

	for (size_t i = 0; i < c->nvms && i < vstack_vm_count(vs); i++) {
		struct vstack_vm *vm = vstack_vm_at(vs, i);
		struct vm_seen now = { vstack_vm_state(vm), guest_of(c, vm) };

		if (now.state == c->vms[i].state && now.guest == c->vms[i].guest)
			continue;
		ctl_server_emit(c->srv, "VM_STATE_CHANGED",
				json_pack("{s:s,s:s,s:s,s:s,s:s}", "vm", vstack_vm_name(vm), "state",
					  vstack_vm_state_name(now.state), "previous",
					  vstack_vm_state_name(c->vms[i].state), "guest", guest_name(now.guest),
					  "previous_guest", guest_name(c->vms[i].guest)));
		c->vms[i] = now;
	}
	for (size_t i = 0; i < c->nvmnics && i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		struct vmnic_seen now = { vstack_vmnic_datapath_active(n), vstack_vmnic_vf_state(n) };
		const char *vm = vstack_vm_name(vstack_vmnic_vm(n));

		if (now.vf != c->vmnics[i].vf)
			ctl_server_emit(c->srv, "VF_STATE_CHANGED",
					json_pack("{s:s,s:s,s:s,s:s}", "vm", vm, "adapter", vstack_vmnic_name(n), "state",
						  vstack_vf_state_name(now.vf), "previous",
						  vstack_vf_state_name(c->vmnics[i].vf)));
		if (now.active != c->vmnics[i].active)
			ctl_server_emit(c->srv, "VF_DATAPATH_CHANGED",
					json_pack("{s:s,s:s,s:b,s:s}", "vm", vm, "adapter", vstack_vmnic_name(n),
						  "VFDataPathActive", now.active, "path", now.active ? "vf" : "synthetic"));
		c->vmnics[i] = now;
	}
	for (size_t i = 0; i < c->nnics && i < hv_host_nic_count(h); i++) {
		struct hv_nic *n = hv_host_nic_at(h, i);
		enum hv_nic_state now = hv_nic_state(n);

		if (now == c->nics[i])
			continue;
		ctl_server_emit(c->srv, "NIC_STATE_CHANGED",
				json_pack("{s:s,s:s,s:s}", "nic", hv_nic_name(n), "state", hv_nic_state_name(now),
					  "previous", hv_nic_state_name(c->nics[i])));
		c->nics[i] = now;
	}
}

static void on_round(struct hv_host *h, void *arg)
{
	struct ctl_lab *c = arg;

	(void)h;
	watch(c);
	ctl_server_dispatch(c->srv);	/* returns at once inside a running command's own waits */
	watch(c);
}

int ctl_lab_create(struct hv_host *h, const char *lab_file, const char *path, const char *version,
		   struct ctl_lab **out, char *err, size_t errlen)
{
	struct vstack *vs = hv_host_vstack(h);
	struct ctl_server_config cfg = {
		.path = path,
		.loop = hv_host_loop(h),
		.cmds = ctl_lab_commands,
		.ncmds = ctl_lab_command_count,
		.version = version,
	};
	struct ctl_lab *c = calloc(1, sizeof(*c));
	int rc;

	if (!cfg.loop) {
		free(c);
		snprintf(err, errlen, "the host has no event loop");
		return -EINVAL;
	}
	if (!c || !(c->lab_file = strdup(lab_file ? lab_file : "")))
		goto nomem;
	c->h = h;
	c->nvms = vstack_vm_count(vs);
	c->nvmnics = vstack_vmnic_count(vs);
	c->nnics = hv_host_nic_count(h);
	c->vms = calloc(c->nvms + 1, sizeof(*c->vms));
	c->vmnics = calloc(c->nvmnics + 1, sizeof(*c->vmnics));
	c->nics = calloc(c->nnics + 1, sizeof(*c->nics));
	if (!c->vms || !c->vmnics || !c->nics)
		goto nomem;
	for (size_t i = 0; i < c->nvms; i++) {
		struct vstack_vm *vm = vstack_vm_at(vs, i);

		c->vms[i] = (struct vm_seen){ vstack_vm_state(vm), guest_of(c, vm) };
	}
	for (size_t i = 0; i < c->nvmnics; i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);

		c->vmnics[i] = (struct vmnic_seen){ vstack_vmnic_datapath_active(n), vstack_vmnic_vf_state(n) };
	}
	for (size_t i = 0; i < c->nnics; i++)
		c->nics[i] = hv_nic_state(hv_host_nic_at(h, i));
	cfg.ctx = c;
	if ((rc = ctl_server_create(&cfg, &c->srv, err, errlen))) {
		ctl_lab_destroy(c);
		return rc;
	}
	hv_host_set_round_fn(h, on_round, c);
	c->hooked = true;
	*out = c;
	return 0;
nomem:
	ctl_lab_destroy(c);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

struct hv_host *ctl_lab_host(void *ctx)
{
	return ((struct ctl_lab *)ctx)->h;
}

void ctl_lab_emit(void *ctx, const char *name, json_t *data)
{
	ctl_server_emit(((struct ctl_lab *)ctx)->srv, name, data);
}

bool ctl_lab_quit_requested(const struct ctl_lab *c)
{
	return c->quit;
}

void ctl_lab_shutdown(struct ctl_lab *c, const char *reason)
{
	if (!c || !c->hooked)
		return;
	ctl_server_emit(c->srv, "SHUTDOWN", json_pack("{s:s}", "reason", reason));
	ctl_server_flush(c->srv, 1000);
	ctl_server_detach(c->srv);
	hv_host_set_round_fn(c->h, NULL, NULL);
	c->hooked = false;
}

void ctl_lab_destroy(struct ctl_lab *c)
{
	if (!c)
		return;
	if (c->hooked)
		hv_host_set_round_fn(c->h, NULL, NULL);
	ctl_server_destroy(c->srv);
	free(c->vms);
	free(c->vmnics);
	free(c->nics);
	free(c->lab_file);
	free(c);
}
