/*
 * `iovlab topology LAB [--dot FILE] [--svg FILE] [--broken LINK-ID[:VM]]
 * [--label TEXT]`: bring the lab up and run its script as `iovlab run`
 * does (its output silenced), then draw the live host -- partitions,
 * device stacks, bindings, vSwitch, NIC switch, VMBus channels, the vPCI
 * offer -- as Graphviz DOT (src/views/topology.c, docs/topology.md), and
 * as SVG through graphviz's `dot -Tsvg` when asked. --broken paints one
 * link of the diagnose chain red with the evidence (--label) on it.
 *
 * Exit status: 0 drawn, 1 the lab did not come up or the drawing could
 * not be written (or dot failed), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "diag/diag.h"
#include "views/topology.h"

extern char **environ;

struct topo_req {
	const char *broken, *vm, *label;
	FILE *out;
	int rc;		/* topo_write_dot's; 1: never called */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iovlab topology LAB [--dot FILE] [--svg FILE] [--broken LINK-ID[:VM]] [--label TEXT]\n\n"
		   "Bring LAB up, run its script (quietly), and draw the host as it is then: the root\n"
		   "partition and each VM as clusters, the PF's and each VF's device stack, the\n"
		   "bindings (declined ones dashed, with their status), the vSwitch and its ports,\n"
		   "vPorts and VFs on the NIC switch, the VMBus channels and the vPCI offer.\n\n"
		   "  --dot FILE    write the DOT there (default: standard output, unless --svg)\n"
		   "  --svg FILE    render it with graphviz (dot -Tsvg)\n"
		   "  --broken LINK-ID[:VM]\n"
		   "                draw that link of the diagnose chain red (default: the first broken\n"
		   "                link `iovlab diagnose` finds in the state drawn); the ids:\n                ");
	for (size_t i = 0; topo_link_ids[i]; i++)
		fprintf(f, "%s%s", topo_link_ids[i], topo_link_ids[i + 1] ? (i % 6 == 5 ? "\n                " : " ") : "\n");
	fprintf(f, "  --label TEXT  the evidence written on the broken link\n");
}

/*
 * Without --broken, the broken link is diagnose's (src/diag): its first
 * broken link, the VM it is in and its summary as the label -- so the
 * picture and `iovlab diagnose` never disagree.
 */
static void draw(struct hv_host *h, void *ctx)
{
	struct topo_req *q = ctx;
	struct diag_report *r = NULL;
	json_t *j = NULL, *fb;
	char link[64] = "", vm[64] = "", label[512] = "";

	if (!q->broken && diag_run(h, NULL, &r) == 0 && diag_report_first_broken(r) &&
	    (j = diag_report_json(r)) && json_is_object(fb = json_object_get(j, "first_broken"))) {
		snprintf(link, sizeof(link), "%s", diag_report_first_broken(r));
		snprintf(vm, sizeof(vm), "%s", json_string_value(json_object_get(fb, "vm")) ? json_string_value(json_object_get(fb, "vm")) : "");
		snprintf(label, sizeof(label), "%s", json_string_value(json_object_get(fb, "summary")) ? json_string_value(json_object_get(fb, "summary")) : "");
		q->broken = link;
		q->vm = vm[0] ? vm : NULL;
		if (!q->label)
			q->label = label[0] ? label : NULL;
	}
	q->rc = topo_write_dot(h, q->broken, q->vm, q->label, q->out);
	q->broken = q->broken == link ? NULL : q->broken;
	json_decref(j);
	diag_report_destroy(r);
}

/* dot -Tsvg -o svg dotfile; 0 or a message on stderr and 1. */
static int render_svg(const char *dotfile, const char *svg)
{
	char *args[] = { "dot", "-Tsvg", "-o", (char *)svg, (char *)dotfile, NULL };
	pid_t pid;
	int st, rc = posix_spawnp(&pid, "dot", NULL, NULL, args, environ);

	if (rc) {
		fprintf(stderr, "iovlab topology: --svg needs graphviz's dot (%s); scripts/deps.sh installs graphviz\n",
			strerror(rc));
		return 1;
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "iovlab topology: dot -Tsvg failed\n");
		return 1;
	}
	return 0;
}

int cmd_topology(int argc, char **argv)
{
	const char *lab = NULL, *dotfile = NULL, *svg = NULL;
	char broken[64] = "", tmp[] = "/tmp/iovlab-topology-XXXXXX";
	struct topo_req q = { .rc = 1 };
	char *run_argv[3];
	int saved, null, status, tmpfd = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--dot") && i + 1 < argc) {
			dotfile = argv[++i];
		} else if (!strcmp(argv[i], "--svg") && i + 1 < argc) {
			svg = argv[++i];
		} else if (!strcmp(argv[i], "--broken") && i + 1 < argc) {
			snprintf(broken, sizeof(broken), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
			q.label = argv[++i];
		} else if (argv[i][0] == '-' || lab) {
			fprintf(stderr, "iovlab topology: unexpected '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			lab = argv[i];
		}
	}
	if (!lab) {
		usage(stderr);
		return 2;
	}
	if (broken[0]) {
		char *colon = strchr(broken, ':');

		if (colon) {
			*colon = 0;
			q.vm = colon + 1;
		}
		q.broken = broken;
		if (!topo_link_known(q.broken)) {
			fprintf(stderr, "iovlab topology: --broken '%s': no such link id\n", q.broken);
			usage(stderr);
			return 2;
		}
	}
	if (dotfile) {
		q.out = fopen(dotfile, "w");
	} else if (svg) {
		if ((tmpfd = mkstemp(tmp)) >= 0)
			q.out = fdopen(tmpfd, "w");
		dotfile = tmp;
	} else {
		q.out = fdopen(dup(STDOUT_FILENO), "w");
	}
	if (!q.out) {
		fprintf(stderr, "iovlab topology: cannot write %s: %s\n", dotfile ? dotfile : "the output",
			strerror(errno));
		return 1;
	}
	/* The run's own output (steps, views) is not the picture: silence it. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved >= 0 && null >= 0)
		dup2(null, STDOUT_FILENO);
	run_argv[0] = "run";
	run_argv[1] = (char *)lab;
	run_argv[2] = NULL;
	status = cmd_run_then(2, run_argv, draw, &q);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (null >= 0)
		close(null);
	if (fclose(q.out) && !q.rc)
		q.rc = -EIO;
	if (status == 2) {
		if (tmpfd >= 0)
			unlink(tmp);
		return 2;	/* the lab file is invalid: run said why */
	}
	if (q.rc) {
		if (q.rc == 1)
			fprintf(stderr, "iovlab topology: %s: the host did not come up; nothing to draw\n", lab);
		else if (q.rc == -ENOENT)
			fprintf(stderr, "iovlab topology: --broken: no VM '%s' in %s\n", q.vm, lab);
		else
			fprintf(stderr, "iovlab topology: cannot draw: %s\n", strerror(-q.rc));
		if (tmpfd >= 0)
			unlink(tmp);
		return q.rc == -ENOENT ? 2 : 1;
	}
	status = svg ? render_svg(dotfile, svg) : 0;
	if (tmpfd >= 0)
		unlink(tmp);
	return status;
}
