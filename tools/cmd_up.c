/*
 * `iovlab up LAB [--socket PATH] [--host-only]`: bring a lab file's host up
 * as `iovlab run` does (the VMs as processes with their guests), but do not
 * run its script: keep it running and serve the control socket (src/ctl,
 * docs/live-lab.md) until a client sends `quit` (`iovlab down`) or SIGINT /
 * SIGTERM arrives; then tear the host down in the documented order and exit.
 *
 * The socket: --socket PATH, else $XDG_RUNTIME_DIR/iovlab/NAME.sock, or
 * /tmp/iovlab-UID/NAME.sock without XDG_RUNTIME_DIR, NAME being the lab's
 * [lab] name (the file's name without .lab when it has none). Printed on
 * the first line once the lab serves.
 *
 * Exit status: 0 (stopped by quit or a signal, host torn down), 1 (the host
 * or the socket could not be set up), 2 (usage, or the lab file is invalid).
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/capture.h"
#include "base/log.h"
#include "base/trace.h"
#include "commands.h"
#include "ctl/client.h"
#include "ctl/lab_ctl.h"
#include "hv/guest_vm.h"
#include "hv/host.h"
#include "hv/vmwp.h"
#include "lab/lab.h"
#include "run_trace.h"

#ifndef IOVLAB_VERSION
#define IOVLAB_VERSION "0"
#endif

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: iovlab up LAB [--socket PATH] [--host-only] [--trace FILE] [--timeline FILE.json]\n"
		   "                [--capture FILE.pcapng [--capture-point NAME]...]\n\n"
		   "Bring LAB's host up and keep it running, serving a control socket (JSON, QMP-like)\n"
		   "for `iovlab show`, `set`, `vm`, `send`, `events`, `down` and any QMP client.\n"
		   "The lab's script is not run (that is `iovlab run`).\n\n"
		   "  --socket PATH  where to serve; default $XDG_RUNTIME_DIR/iovlab/NAME.sock or\n"
		   "                 /tmp/iovlab-UID/NAME.sock (NAME: the lab's [lab] name)\n"
		   "  --host-only    run the VMs on the host side only (no VM processes)\n"
		   "  --trace FILE, --timeline FILE.json\n"
		   "                 at the end, the merged trace / timeline of the whole session (as\n"
		   "                 `iovlab run`); `iovlab trace` writes it so far at any time\n"
		   "  --capture FILE.pcapng, --capture-point NAME\n"
		   "                 record the capture points for the whole session, written at the end\n\n"
		   "Stops on `iovlab down` (the quit command), SIGINT or SIGTERM; exit status 0.\n");
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool guests_booted(struct hv_host *h)
{
	struct vstack *vs = hv_host_vstack(h);

	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		struct vmwp *w = hv_host_vm_guest(h, vstack_vm_at(vs, i));

		if (w && vmwp_state(w) == VMWP_STARTING)
			return false;
	}
	return true;
}

/* The lab's name for its socket: [lab] name, else the file name without ".lab". */
static void lab_socket_name(const struct lab *lab, const char *path, char *buf, size_t len)
{
	char *copy = strdup(path), *base, *dot;

	if (lab->info.name && *lab->info.name) {
		snprintf(buf, len, "%s", lab->info.name);
	} else {
		base = copy ? basename(copy) : "lab";
		snprintf(buf, len, "%s", base);
		if ((dot = strrchr(buf, '.')) && dot != buf && !strcmp(dot, ".lab"))
			*dot = '\0';
	}
	free(copy);
}

/* The open capture session's file (cmd_up's own capture_path names its --capture option). */
static const char *live_capture_file(void)
{
	return capture_path();
}

int cmd_up(int argc, char **argv)
{
	const char *path = NULL, *sock = NULL;
	bool host_only = false;
	struct hv_host_options opt = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct hv_host *h = NULL;
	struct ctl_lab *ctl = NULL;
	struct lab *lab = NULL;
	char err[512], name[128], defpath[512];
	int64_t deadline, next_attach = 0;
	struct run_trace rt = { 0 };
	const char *capture_path = NULL, *capture_points[16];
	size_t ncapture_points = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--host-only")) {
			host_only = true;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			sock = argv[i] + 9;
		} else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
			rt.text_path = argv[++i];
		} else if (!strcmp(argv[i], "--timeline") && i + 1 < argc) {
			rt.timeline_path = argv[++i];
		} else if (!strcmp(argv[i], "--capture") && i + 1 < argc) {
			capture_path = argv[++i];
		} else if (!strcmp(argv[i], "--capture-point") && i + 1 < argc) {
			if (ncapture_points == sizeof(capture_points) / sizeof(capture_points[0])) {
				fprintf(stderr, "iovlab up: at most %zu --capture-point\n", ncapture_points);
				return 2;
			}
			capture_points[ncapture_points++] = argv[++i];
		} else if (argv[i][0] == '-' || path) {
			fprintf(stderr, "iovlab up: unexpected '%s'\n", argv[i]);
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
	if (lab_load_file(path, &lab, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s\n", err);
		return 2;
	}
	if (!sock) {
		lab_socket_name(lab, path, name, sizeof(name));
		if ((rc = ctl_socket_path(name, defpath, sizeof(defpath), 1))) {
			fprintf(stderr, "iovlab up: cannot make the socket's directory: %s\n", strerror(-rc));
			lab_free(lab);
			return 1;
		}
		sock = defpath;
	}
	{
		/* Somebody serving there already: say so before a host and its VMs come up for nothing. */
		struct ctl_client *other;

		if (ctl_client_connect(sock, 2000, &other, err, sizeof(err)) == 0) {
			ctl_client_close(other);
			fprintf(stderr, "iovlab up: %s: another lab is serving there (`iovlab down --socket %s`)\n",
				sock, sock);
			lab_free(lab);
			return 1;
		}
	}
	if (!getenv("IOVLAB_LOG"))
		log_configure("*=warn", NULL, 0);
	if (ncapture_points && !capture_path) {
		fprintf(stderr, "iovlab up: --capture-point needs --capture FILE\n");
		lab_free(lab);
		return 2;
	}
	if (capture_path && capture_start(capture_path, capture_points, ncapture_points, err, sizeof(err))) {
		fprintf(stderr, "iovlab up: --capture: %s\n", err);
		lab_free(lab);
		return 2;
	}
	/*
	 * A live lab always keeps a trace session, so `iovlab trace` can merge
	 * it at any time: every partition writes its own file (info level unless
	 * IOVLAB_LOG says otherwise; stderr keeps warnings), removed at the end
	 * unless --trace / --timeline asked for the merge then too.
	 */
	if (rt.text_path || rt.timeline_path) {
		if (run_trace_start(&rt)) {
			lab_free(lab);
			return 2;
		}
	} else {
		if (!getenv("IOVLAB_LOG")) {
			log_configure("*=info", NULL, 0);
			log_set_stream_level(LOG_WARN);
		}
		if (trace_session_start("root", err, sizeof(err)))
			fprintf(stderr, "iovlab up: no trace session (`iovlab trace` will say so): %s\n", err);
	}
	tools_host_options(&opt, !host_only);
	/* Signals only set a flag: the loop below sees it between rounds (epoll_wait returns EINTR). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (hv_host_create(lab, &opt, &h, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s: the host did not come up: %s\n", path, err);
		rc = 1;
		goto out_session;
	}
	hv_host_capture_attach(h);
	if ((rc = ctl_lab_create(h, path, sock, IOVLAB_VERSION, &ctl, err, sizeof(err)))) {
		fprintf(stderr, "iovlab up: %s\n", err);
		hv_host_destroy(h);
		rc = 1;
		goto out_session;
	}
	/* Let the VMs boot (bounded) before saying the lab is up; clients are served meanwhile. */
	for (deadline = now_ms() + 10000; !guests_booted(h) && now_ms() < deadline && !stop_signal;)
		(void)hv_host_run(h, 10);
	printf("iovlab up: lab %s serving on %s (pid %d)\n", lab->info.name ? lab->info.name : path, sock,
	       (int)getpid());
	for (size_t i = 0; i < hv_host_note_count(h); i++)
		printf("  note: %s\n", hv_host_note_at(h, i));
	printf("stop it with `iovlab down%s%s`, SIGINT or SIGTERM\n", sock == defpath ? "" : " --socket ",
	       sock == defpath ? "" : sock);
	fflush(stdout);

	while (!stop_signal && !ctl_lab_quit_requested(ctl)) {
		(void)hv_host_run(h, 200);
		/* VFs come and go on a live lab: each assigned VF gets its capture point (once a second). */
		if (capture_on() && now_ms() >= next_attach) {
			hv_host_capture_attach(h);
			next_attach = now_ms() + 1000;
		}
	}

	ctl_lab_shutdown(ctl, stop_signal ? "signal" : "quit");
	hv_host_capture_attach(h);
	hv_host_destroy(h);
	ctl_lab_destroy(ctl);
	printf("iovlab up: %s: host torn down (%s).\n", path, stop_signal == SIGINT ? "SIGINT" :
	       stop_signal == SIGTERM ? "SIGTERM" : "quit");
	rc = 0;
out_session:
	if (capture_path) {
		struct capture_summary sum;

		if (capture_finish(&sum, err, sizeof(err))) {
			fprintf(stderr, "iovlab up: --capture %s: %s\n", capture_path, err);
			rc = 1;
		} else {
			printf("capture: %zu frames on %zu capture points written to %s\n", sum.frames, sum.interfaces,
			       capture_path);
		}
	}
	if (capture_on()) {
		/* a live capture (`iovlab capture start`) still running when the lab stopped: merged now */
		struct capture_summary sum;
		char file[4096];

		snprintf(file, sizeof(file), "%s", live_capture_file());
		if (capture_finish(&sum, err, sizeof(err))) {
			fprintf(stderr, "iovlab up: live capture %s: %s\n", file, err);
			rc = 1;
		} else {
			printf("capture: %zu frames on %zu capture points written to %s (the live capture, ended "
			       "with the lab)\n", sum.frames, sum.interfaces, file);
		}
	}
	if (rt.on) {
		if (run_trace_finish(&rt))
			rc = 1;
	} else if (trace_session_dir()) {
		trace_session_stop();
		trace_session_remove();
	}
	lab_free(lab);
	return rc;
}
