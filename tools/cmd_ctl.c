/*
 * The commands that talk to a running lab (`iovlab up`) over its control
 * socket (src/ctl/client.h, docs/live-lab.md): status, show, ndiskd, set,
 * vm, send, events, down. Each turns its words into one command of the
 * protocol, prints the reply, and on an error prints the lab's description
 * of it and exits 1 (2 for a usage error). Parameters follow PowerShell:
 * `-IovWeight`, `-VMName`, `-RegistryKeyword` in any case.
 *
 * Which lab: --socket PATH, else $IOVLAB_SOCKET, else --lab NAME's default
 * socket, else the only lab up (client.h's rule).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "ctl/client.h"

struct opts {
	const char *socket;
	const char *lab;
	bool json;
	long count;		/* events --count */
	int argc;		/* what is left: argv[0] is the subcommand */
	char **argv;
};

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: iovlab status [--json]\n"
		"       iovlab show VIEW [ARGS...] [--json]      e.g. show Get-VMNetworkAdapter '|' fl Iov*\n"
		"       iovlab ndiskd netadapter [-vm VM] [-iov -vfs -vports -nicswitch -bindings] [--json]\n"
		"       iovlab set vmnetworkadapter VM [-IovWeight N] [-IovQueuePairsRequested N]\n"
		"                                      [-IovInterruptModeration M]   (or -VMName VM)\n"
		"       iovlab set netadapteradvancedproperty NIC -RegistryKeyword K -RegistryValue V\n"
		"       iovlab vm start|stop|kill VM\n"
		"       iovlab send FROM TO COUNT SIZE\n"
		"       iovlab capture start FILE.pcapng [--point PATTERN]... | iovlab capture stop\n"
		"       iovlab events [--count N]\n"
		"       iovlab down\n"
		"common options: --socket PATH | --lab NAME (default: $IOVLAB_SOCKET, else the only lab up)\n"
		"%s%s%s", cmd ? "(" : "", cmd ? cmd : "", cmd ? ")\n" : "");
}

/* Pull --socket/--lab/--json/--count out of argv wherever they are. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->argv = calloc((size_t)argc + 1, sizeof(*o->argv));
	if (!o->argv)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i > 0 && (!strcmp(a, "--socket") || !strcmp(a, "--lab") || !strcmp(a, "--count"))) {
			if (i + 1 >= argc) {
				fprintf(stderr, "iovlab %s: %s needs a value\n", argv[0], a);
				return -EINVAL;
			}
			if (!strcmp(a, "--socket"))
				o->socket = argv[++i];
			else if (!strcmp(a, "--lab"))
				o->lab = argv[++i];
			else {
				char *end;

				o->count = strtol(argv[++i], &end, 10);
				if (*end || o->count <= 0) {
					fprintf(stderr, "iovlab %s: --count takes a number above 0\n", argv[0]);
					return -EINVAL;
				}
			}
		} else if (i > 0 && !strcmp(a, "--json")) {
			o->json = true;
		} else if (i > 0 && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			return 1;
		} else {
			o->argv[o->argc++] = argv[i];
		}
	}
	return 0;
}

static int connect_lab(const struct opts *o, struct ctl_client **c)
{
	char path[512], err[768];
	int rc = ctl_socket_find(o->socket, o->lab, path, sizeof(path), err, sizeof(err));

	if (!rc)
		rc = ctl_client_connect(path, 10000, c, err, sizeof(err));
	if (rc)
		fprintf(stderr, "iovlab %s: %s\n", o->argv[0], err);
	return rc;
}

/* Run one command and print its reply; the exit status. */
static int execute(const struct opts *o, const char *cmd, json_t *args, void (*print)(const struct opts *, json_t *))
{
	struct ctl_client *c;
	json_t *ret;
	char err[1024];
	int rc;

	if (connect_lab(o, &c)) {
		json_decref(args);
		return 1;
	}
	rc = ctl_client_execute(c, cmd, args, &ret, err, sizeof(err));
	ctl_client_close(c);
	if (rc) {
		fprintf(stderr, "iovlab %s: %s\n", o->argv[0], err);
		return 1;
	}
	if (print)
		print(o, ret);
	json_decref(ret);
	return 0;
}

static void print_json(const struct opts *o, json_t *v)
{
	(void)o;
	json_dumpf(v, stdout, JSON_INDENT(2));
	printf("\n");
}

static void print_view(const struct opts *o, json_t *ret)
{
	json_t *text = json_object_get(ret, "text");

	if (text)
		fwrite(json_string_value(text), 1, json_string_length(text), stdout);
	else
		print_json(o, json_object_get(ret, "json"));
}

static void print_status(const struct opts *o, json_t *ret)
{
	size_t i;
	json_t *e;

	if (o->json) {
		print_json(o, ret);
		return;
	}
	printf("lab %s (%s) on host %s\n", json_string_value(json_object_get(ret, "lab")),
	       json_string_value(json_object_get(ret, "file")), json_string_value(json_object_get(ret, "computer_name")));
	json_array_foreach(json_object_get(ret, "nics"), i, e)
		printf("  nic %-12s %s\n", json_string_value(json_object_get(e, "name")),
		       json_string_value(json_object_get(e, "state")));
	json_array_foreach(json_object_get(ret, "vms"), i, e)
		printf("  vm %-13s %s, guest %s\n", json_string_value(json_object_get(e, "name")),
		       json_string_value(json_object_get(e, "state")), json_string_value(json_object_get(e, "guest")));
	json_array_foreach(json_object_get(ret, "adapters"), i, e)
		printf("  adapter %-8s IovWeight %d, VFDataPathActive %s: %s\n",
		       json_string_value(json_object_get(e, "name")),
		       (int)json_integer_value(json_object_get(e, "iov_weight")),
		       json_is_true(json_object_get(e, "vf_datapath_active")) ? "True" : "False",
		       json_string_value(json_object_get(e, "status")));
}

static json_t *strings(int argc, char **argv)
{
	json_t *a = json_array();

	for (int i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static const char *format(const struct opts *o)
{
	return o->json ? "json" : "text";
}

/* ---- set --------------------------------------------------------------------------------- */
/* A PowerShell value as JSON: an integer when it reads as one, else the text. */
static json_t *ps_value(const char *v)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (*v && !*end && errno != ERANGE)
		return json_integer(n);
	if (!strcasecmp(v, "$true"))
		return json_integer(1);
	if (!strcasecmp(v, "$false"))
		return json_integer(0);
	return json_string(v);
}

/*
 * -Param VALUE pairs after the noun; params[] are the canonical names
 * (matched case-insensitively); name_params[] name the object (-VMName ...),
 * a bare word does too. 0 with args filled and *object set, or 2 (usage).
 */
static int ps_params(const struct opts *o, int from, const char *const *params, const char *const *name_params,
		     json_t *args, const char **object)
{
	*object = NULL;
	for (int i = from; i < o->argc; i++) {
		const char *w = o->argv[i];
		bool found = false;

		if (w[0] != '-') {
			if (*object) {
				fprintf(stderr, "iovlab set: unexpected '%s'\n", w);
				return 2;
			}
			*object = w;
			continue;
		}
		if (i + 1 >= o->argc) {
			fprintf(stderr, "iovlab set: %s needs a value\n", w);
			return 2;
		}
		for (const char *const *p = name_params; *p && !found; p++)
			if (!strcasecmp(w + 1, *p)) {
				*object = o->argv[++i];
				found = true;
			}
		for (const char *const *p = params; *p && !found; p++)
			if (!strcasecmp(w + 1, *p)) {
				errno = 0;
				json_object_set_new(args, *p, ps_value(o->argv[++i]));
				found = true;
			}
		if (!found) {
			fprintf(stderr, "iovlab set: no parameter '%s' (have:", w);
			for (const char *const *p = name_params; *p; p++)
				fprintf(stderr, " -%s", *p);
			for (const char *const *p = params; *p; p++)
				fprintf(stderr, " -%s", *p);
			fprintf(stderr, ")\n");
			return 2;
		}
	}
	if (!*object) {
		fprintf(stderr, "iovlab set: which one? name it (or -%s NAME)\n", name_params[0]);
		return 2;
	}
	return 0;
}

static int set_cmd(const struct opts *o)
{
	static const char *const vmnic[] = { "IovWeight", "IovQueuePairsRequested", "IovInterruptModeration", NULL };
	static const char *const vmnic_names[] = { "VMName", "Name", "VMNetworkAdapter", NULL };
	static const char *const advprop[] = { "RegistryKeyword", "RegistryValue", NULL };
	static const char *const advprop_names[] = { "Name", "InterfaceDescription", NULL };
	const char *noun = o->argc > 1 ? o->argv[1] : "", *object;
	json_t *args = json_object();
	int rc;

	if (!strncasecmp(noun, "Set-", 4))
		noun += 4;
	if (!strcasecmp(noun, "vmnetworkadapter")) {
		if ((rc = ps_params(o, 2, vmnic, vmnic_names, args, &object)))
			goto usage;
		json_object_set_new(args, "vm", json_string(object));
		return execute(o, "set-vmnetworkadapter", args, NULL);
	}
	if (!strcasecmp(noun, "netadapteradvancedproperty")) {
		if ((rc = ps_params(o, 2, advprop, advprop_names, args, &object)))
			goto usage;
		if (json_is_integer(json_object_get(args, "RegistryKeyword"))) {
			fprintf(stderr, "iovlab set: -RegistryKeyword is a name like *SRIOV\n");
			goto usage;
		}
		json_object_set_new(args, "name", json_string(object));
		return execute(o, "set-netadapteradvancedproperty", args, NULL);
	}
	fprintf(stderr, "iovlab set: set what? vmnetworkadapter or netadapteradvancedproperty, not '%s'\n", noun);
usage:
	json_decref(args);
	usage(stderr, NULL);
	return 2;
}

/* ---- trace ----------------------------------------------------------------------------------- */
/* An absolute path for the host to write to: the host's cwd is not ours. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static void print_trace(const struct opts *o, json_t *ret)
{
	json_t *problems = json_object_get(ret, "problems");
	size_t i;
	json_t *p;

	(void)o;
	json_array_foreach(problems, i, p)
		fprintf(stderr, "iovlab trace: %s\n", json_string_value(p));
}

/*
 * iovlab trace [FILE|-] [--timeline FILE.json]: the merged trace of the
 * running lab so far. The host writes the files (a trace does not travel in
 * a reply); '-' (the default) goes through a temporary file to stdout.
 */
static int trace_cmd(const struct opts *o)
{
	const char *text = NULL, *timeline = NULL;
	char tmp[] = "/tmp/iovlab-trace-XXXXXX", *text_abs = NULL, *timeline_abs = NULL;
	bool to_stdout = false;
	json_t *args;
	int rc, fd = -1;

	for (int i = 1; i < o->argc; i++) {
		if (!strcmp(o->argv[i], "--timeline") && i + 1 < o->argc)
			timeline = o->argv[++i];
		else if (o->argv[i][0] != '-' || !strcmp(o->argv[i], "-")) {
			if (text) {
				usage(stderr, "trace [FILE|-] [--timeline FILE.json]");
				return 2;
			}
			text = o->argv[i];
		} else {
			usage(stderr, "trace [FILE|-] [--timeline FILE.json]");
			return 2;
		}
	}
	if (!text && !timeline)
		text = "-";
	if (text && !strcmp(text, "-")) {
		to_stdout = true;
		fd = mkstemp(tmp);
		if (fd < 0) {
			fprintf(stderr, "iovlab trace: a temporary file: %s\n", strerror(errno));
			return 1;
		}
		text_abs = strdup(tmp);
	} else if (text) {
		text_abs = absolute(text);
	}
	if (timeline)
		timeline_abs = absolute(timeline);
	if ((text && !text_abs) || (timeline && !timeline_abs)) {
		fprintf(stderr, "iovlab trace: %s\n", strerror(ENOMEM));
		rc = 1;
		goto out;
	}
	args = json_object();
	if (text_abs)
		json_object_set_new(args, "file", json_string(text_abs));
	if (timeline_abs)
		json_object_set_new(args, "timeline", json_string(timeline_abs));
	rc = execute(o, "trace", args, print_trace);
	if (!rc && to_stdout) {
		char buf[65536];
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(text_abs);
	free(timeline_abs);
	return rc;
}

/* ---- diagnose ----------------------------------------------------------------------------------- */
static bool diag_broken;

static void print_diagnose(const struct opts *o, json_t *ret)
{
	diag_broken = json_is_true(json_object_get(ret, "broken"));
	print_view(o, ret);
}

/* iovlab diagnose [VM] [--json] on the running lab: exit 1 when a link is broken, as the one-shot form. */
static int diagnose_cmd(const struct opts *o)
{
	json_t *args;
	int rc;

	if (o->argc > 2) {
		usage(stderr, "diagnose [VM] [--json]");
		return 2;
	}
	args = json_pack("{s:s}", "format", format(o));
	if (o->argc == 2)
		json_object_set_new(args, "vm", json_string(o->argv[1]));
	rc = execute(o, "diagnose", args, print_diagnose);
	return rc ? rc : diag_broken ? 1 : 0;
}

/* ---- fault inject|clear ------------------------------------------------------------------------ */
static int fault_cmd(const struct opts *o)
{
	const char *verb = o->argc > 1 ? o->argv[1] : "";

	if (o->argc == 3 && (!strcasecmp(verb, "inject") || !strcasecmp(verb, "clear")))
		return execute(o, !strcasecmp(verb, "inject") ? "fault-inject" : "fault-clear",
			       json_pack("{s:s}", "name", o->argv[2]), NULL);
	usage(stderr, "fault inject|clear NAME");
	return 2;
}

/* ---- vf revoke|return ------------------------------------------------------------------------- */
static int vf_cmd(const struct opts *o)
{
	const char *verb = o->argc > 1 ? o->argv[1] : "", *vm = o->argc > 2 ? o->argv[2] : NULL;
	long back = -1;
	char *end;

	if (!strcasecmp(verb, "revoke") && (o->argc == 3 || o->argc == 5)) {
		if (o->argc == 5) {
			if (strcmp(o->argv[3], "--back-after")) {
				usage(stderr, "vf revoke VM [--back-after MS] | vf return VM");
				return 2;
			}
			errno = 0;
			back = strtol(o->argv[4], &end, 10);
			if (errno || *end || end == o->argv[4] || back < 0 || back > 3600000) {
				fprintf(stderr, "iovlab vf revoke: --back-after '%s' is not a time in ms (0..3600000)\n",
					o->argv[4]);
				return 2;
			}
		}
		return execute(o, "vf-revoke", json_pack("{s:s,s:I}", "vm", vm, "back_after_ms", (json_int_t)back),
			       NULL);
	}
	if (!strcasecmp(verb, "return") && o->argc == 3)
		return execute(o, "vf-return", json_pack("{s:s}", "vm", vm), NULL);
	usage(stderr, "vf revoke VM [--back-after MS] | vf return VM");
	return 2;
}

/* ---- capture start|stop (docs/capture.md, live capture) ------------------------------------------ */
static void print_capture(const struct opts *o, json_t *r)
{
	if (o->json) {
		print_json(o, r);
		return;
	}
	if (json_object_get(r, "frames")) {
		printf("capture: %lld frames on %lld capture points written to %s (%lld processes merged%s)\n",
		       (long long)json_integer_value(json_object_get(r, "frames")),
		       (long long)json_integer_value(json_object_get(r, "interfaces")),
		       json_string_value(json_object_get(r, "file")),
		       (long long)json_integer_value(json_object_get(r, "parts")),
		       json_integer_value(json_object_get(r, "truncated")) ? "; a part was cut short" : "");
		return;
	}
	printf("capturing into %s (`iovlab capture stop` ends it)\n", json_string_value(json_object_get(r, "file")));
}

/* iovlab capture start FILE [--point PATTERN]... | capture stop. FILE is made absolute: the host's cwd is not ours. */
static int capture_cmd(const struct opts *o)
{
	const char *verb = o->argc > 1 ? o->argv[1] : "";
	const char *use = "capture start FILE.pcapng [--point PATTERN]... | capture stop";
	json_t *points;
	char *file;
	int rc;

	if (!strcasecmp(verb, "stop") && o->argc == 2)
		return execute(o, "capture-stop", NULL, print_capture);
	if (strcasecmp(verb, "start") || o->argc < 3 || o->argv[2][0] == '-' || !o->argv[2][0]) {
		usage(stderr, use);
		return 2;
	}
	if (!(points = json_array()))
		return 1;
	for (int i = 3; i < o->argc; i++) {
		if (strcmp(o->argv[i], "--point") || i + 1 >= o->argc) {
			fprintf(stderr, "iovlab capture: unexpected '%s'\n", o->argv[i]);
			usage(stderr, use);
			json_decref(points);
			return 2;
		}
		json_array_append_new(points, json_string(o->argv[++i]));
	}
	if (!(file = absolute(o->argv[2]))) {
		fprintf(stderr, "iovlab capture: %s: %s\n", o->argv[2], strerror(errno ? errno : ENOMEM));
		json_decref(points);
		return 1;
	}
	rc = execute(o, "capture-start", json_pack("{s:s,s:o}", "file", file, "points", points), print_capture);
	free(file);
	return rc;
}

/* ---- vm, send, events, down ---------------------------------------------------------------- */
static int vm_cmd(const struct opts *o)
{
	const char *verb = o->argc > 1 ? o->argv[1] : "", *vm = o->argc > 2 ? o->argv[2] : NULL;
	const char *cmd = !strcasecmp(verb, "start") ? "vm-start" : !strcasecmp(verb, "stop") ? "vm-stop" :
			  !strcasecmp(verb, "kill") ? "vm-kill" : NULL;

	if (o->argc == 4 && !strcasecmp(o->argv[2], "-VMName"))
		vm = o->argv[3];
	else if (o->argc != 3)
		vm = NULL;
	if (!cmd || !vm) {
		usage(stderr, "vm start|stop|kill VM");
		return 2;
	}
	return execute(o, cmd, json_pack("{s:s}", "vm", vm), NULL);
}

static void print_send(const struct opts *o, json_t *r)
{
	if (o->json) {
		print_json(o, r);
		return;
	}
	printf("%lld frames sent (%lld through the VF, %lld synthetic; %lld completed, %lld failed)\n",
	       (long long)json_integer_value(json_object_get(r, "frames")),
	       (long long)json_integer_value(json_object_get(r, "vf")),
	       (long long)json_integer_value(json_object_get(r, "synthetic")),
	       (long long)json_integer_value(json_object_get(r, "completed")),
	       (long long)json_integer_value(json_object_get(r, "failed")));
}

static int send_cmd(const struct opts *o)
{
	char *e1, *e2;
	long long count, size;

	if (o->argc != 5) {
		usage(stderr, "send FROM TO COUNT SIZE");
		return 2;
	}
	count = strtoll(o->argv[3], &e1, 10);
	size = strtoll(o->argv[4], &e2, 10);
	if (*e1 || *e2 || !*o->argv[3] || !*o->argv[4]) {
		fprintf(stderr, "iovlab send: COUNT and SIZE are numbers\n");
		return 2;
	}
	return execute(o, "send", json_pack("{s:s,s:s,s:I,s:I}", "from", o->argv[1], "to", o->argv[2], "count",
					    (json_int_t)count, "size", (json_int_t)size), print_send);
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int events_cmd(const struct opts *o)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	struct ctl_client *c;
	long seen = 0;

	if (connect_lab(o, &c))
		return 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!interrupted && (o->count <= 0 || seen < o->count)) {
		json_t *ev;
		int rc = ctl_client_next_event(c, 500, &ev);

		if (rc < 0) {
			fprintf(stderr, "iovlab events: the lab closed the connection\n");
			break;
		}
		if (rc == 0)
			continue;
		json_dumpf(ev, stdout, JSON_COMPACT);
		printf("\n");
		fflush(stdout);
		json_decref(ev);
		seen++;
	}
	ctl_client_close(c);
	return 0;
}

static int down_cmd(const struct opts *o)
{
	struct ctl_client *c;
	json_t *ret, *ev;
	char err[512];
	int rc;

	if (connect_lab(o, &c))
		return 1;
	if ((rc = ctl_client_execute(c, "quit", NULL, &ret, err, sizeof(err)))) {
		fprintf(stderr, "iovlab down: %s\n", err);
		ctl_client_close(c);
		return 1;
	}
	json_decref(ret);
	/* The lab closes the connection once its host is torn down (bounded). */
	for (int waited = 0; waited < 120 && (rc = ctl_client_next_event(c, 500, &ev)) >= 0; waited++)
		if (rc > 0)
			json_decref(ev);
	ctl_client_close(c);
	if (rc >= 0) {
		fprintf(stderr, "iovlab down: the lab did not finish tearing down in 60 s\n");
		return 1;
	}
	printf("lab is down\n");
	return 0;
}

int cmd_ctl(int argc, char **argv)
{
	struct opts o;
	const char *cmd = argv[0];
	int rc = parse_opts(argc, argv, &o);

	if (rc) {
		usage(rc > 0 ? stdout : stderr, NULL);
		free(o.argv);
		return rc > 0 ? 0 : 2;
	}
	if (!strcmp(cmd, "status"))
		rc = o.argc == 1 ? execute(&o, "query-lab", NULL, print_status) : (usage(stderr, "status"), 2);
	else if (!strcmp(cmd, "show"))
		rc = o.argc >= 2 ? execute(&o, "show",
					   json_pack("{s:s,s:o,s:s}", "view", o.argv[1], "args",
						     strings(o.argc - 2, o.argv + 2), "format", format(&o)),
					   print_view) : (usage(stderr, "show VIEW [ARGS...]"), 2);
	else if (!strcmp(cmd, "ndiskd"))
		rc = execute(&o, "ndiskd",
			     json_pack("{s:o,s:s}", "args", strings(o.argc - 1, o.argv + 1), "format", format(&o)),
			     print_view);
	else if (!strcmp(cmd, "set"))
		rc = set_cmd(&o);
	else if (!strcmp(cmd, "vm"))
		rc = vm_cmd(&o);
	else if (!strcmp(cmd, "vf"))
		rc = vf_cmd(&o);
	else if (!strcmp(cmd, "trace"))
		rc = trace_cmd(&o);
	else if (!strcmp(cmd, "fault"))
		rc = fault_cmd(&o);
	else if (!strcmp(cmd, "diagnose"))
		rc = diagnose_cmd(&o);
	else if (!strcmp(cmd, "send"))
		rc = send_cmd(&o);
	else if (!strcmp(cmd, "capture"))
		rc = capture_cmd(&o);
	else if (!strcmp(cmd, "events"))
		rc = o.argc == 1 ? events_cmd(&o) : (usage(stderr, "events"), 2);
	else if (!strcmp(cmd, "down"))
		rc = o.argc == 1 ? down_cmd(&o) : (usage(stderr, "down"), 2);
	else
		rc = (usage(stderr, NULL), 2);
	free(o.argv);
	return rc;
}
