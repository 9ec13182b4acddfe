/*
 * `iovlab diagnose LAB [VM] [--json] [--settle DURATION] [--script]
 * [--host-only]`: bring a lab's host up the way `iovlab run` does (every
 * running VM a process with its guest stack), let the bring-up settle --
 * until every adapter that asks for a VF has VFDataPathActive True, or
 * nothing has changed for a quiet second, bounded by --settle (default
 * 5 s) -- then walk the SR-IOV chain (src/diag) and print the report, and
 * tear the host down. The lab's script is not run, unless --script asks
 * for it first (its messages and views go to stderr): then what is
 * diagnosed is the state the script left. docs/diagnose.md.
 *
 * Exit status: 0 nothing is broken (warnings may be printed), 1 a link is
 * broken, 2 usage, an invalid lab file, or a host that did not come up.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "commands.h"
#include "diag/diag.h"
#include "hv/guest_vm.h"
#include "hv/host.h"
#include "hv/vmwp.h"
#include "lab/lab.h"
#include "lab/lab_schema.h"

#define QUIET_MS 1000	/* nothing changed for this long: the bring-up has settled */

static void usage(FILE *f)
{
	fprintf(f, "usage: iovlab diagnose LAB [VM] [--json] [--settle DURATION] [--script] [--host-only]\n\n"
		   "Bring LAB's host up (its script is not run), wait for the SR-IOV bring-up to\n"
		   "settle, walk the chain in path order and name the first broken link with its\n"
		   "evidence and fix, then tear down.\n\n"
		   "  VM                diagnose that VM's network adapters only (default: every VM)\n"
		   "  --json            the report as JSON (docs/diagnose.md has the schema)\n"
		   "  --settle DURATION the longest wait for the bring-up (default 5s): until every\n"
		   "                    adapter asking for a VF has VFDataPathActive True, or nothing\n"
		   "                    changed for 1 s\n"
		   "  --script          run the lab's script first (its output to stderr), then settle and\n"
		   "                    diagnose the state it left: faults injected or settings changed\n"
		   "                    by the script\n"
		   "  --host-only       run the VMs on the host side only (the guest links are not reached)\n\n"
		   "links: platform pci pf-driver keywords nic-switch vswitch-iov iov-weight vf-pool\n"
		   "       vf-allocation vport-filters vpci-offer guest-driver vbd-interface vf-miniport\n"
		   "       netvsc-binding datapath-switch traffic\n\n"
		   "exit status: 0 nothing broken, 1 a link is broken, 2 usage, an invalid lab file\n"
		   "or a host that did not come up.\n");
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * A fingerprint of the bring-up's progress: the VMs' processes and, per
 * adapter, its VF state, IovUsage, VFDataPathActive, the guest side's VF
 * state and what the guest's periodic status says (its VF adapters,
 * NETVSCVFPP's binding, NetVsc's data path); and whether every adapter that
 * asks for a VF is on it.
 */
static uint64_t progress(struct hv_host *h, bool *all_active, bool *booting)
{
	struct vstack *vs = hv_host_vstack(h);
	uint64_t sig = 1469598103934665603ull;

	*all_active = true;
	*booting = false;
	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		struct vstack_vm *vm = vstack_vmnic_vm(n);
		struct vmwp *w = hv_host_vm_guest(h, vm);
		uint64_t v = (uint64_t)vstack_vmnic_vf_state(n) | (uint64_t)vstack_vmnic_iov_usage(n) << 8 |
			     (uint64_t)vstack_vmnic_datapath_active(n) << 16 | (uint64_t)vstack_vm_state(vm) << 24 |
			     (uint64_t)(w ? vmwp_state(w) + 1 : 0) << 32 |
			     (uint64_t)(w ? vmwp_vf_state(w, n) + 1 : 0) << 40;

		sig = (sig ^ v) * 1099511628211ull;
		/* A guest still booting (no READY yet, e.g. a late VMBus: F19) is not a settled state. */
		if (w && vmwp_state(w) == VMWP_STARTING)
			*booting = true;
		if (w) {
			/* The guest's own progress, from its periodic status: VF adapters, NETVSCVFPP, data path. */
			struct vmctl_status st;

			(void)vmwp_status(w, &st);
			v = (uint64_t)st.vf_adapters | (uint64_t)st.vf_binding << 8 | (uint64_t)st.data_path << 16 |
			    (uint64_t)st.vf_status << 32;
			sig = (sig ^ v) * 1099511628211ull;
		}
		if (vstack_vm_state(vm) == VSTACK_VM_RUNNING && vstack_vmnic_iov_weight(n) &&
		    !vstack_vmnic_datapath_active(n))
			*all_active = false;
	}
	if (vstack_busy(vs))
		sig = ~sig;
	return sig;
}

static void settle(struct hv_host *h, uint64_t max_ms)
{
	int64_t deadline = now_ms() + (int64_t)max_ms, quiet_since = now_ms();
	bool all, booting;
	uint64_t last = progress(h, &all, &booting);

	while (now_ms() < deadline) {
		uint64_t cur;

		(void)hv_host_run(h, 5);
		cur = progress(h, &all, &booting);
		if (all && !vstack_busy(hv_host_vstack(h)))
			return;
		if (cur != last) {
			last = cur;
			quiet_since = now_ms();
		} else if (now_ms() - quiet_since >= QUIET_MS && !booting && !vstack_busy(hv_host_vstack(h))) {
			return;
		}
	}
}

int cmd_diagnose(int argc, char **argv)
{
	const char *path = NULL, *vm = NULL;
	bool json = false, host_only = false, script = false;
	uint64_t settle_ms = 5000;
	struct hv_host_options opt = { 0 };
	struct diag_report *rep = NULL;
	struct hv_host *host = NULL;
	struct lab *lab = NULL;
	char err[512];
	int rc, status;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--host-only")) {
			host_only = true;
		} else if (!strcmp(a, "--script")) {
			script = true;
		} else if (!strcmp(a, "--settle") || !strncmp(a, "--settle=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;

			if (!v || lab_duration_parse(v, &settle_ms, err, sizeof(err)) || settle_ms > 600000) {
				fprintf(stderr, "iovlab diagnose: --settle needs a duration up to 10min (e.g. 5s, 500ms)\n");
				return 2;
			}
		} else if (!strcmp(a, "--socket") || !strcmp(a, "--lab")) {
			return cmd_ctl(argc, argv);	/* the running lab's diagnose */
		} else if (a[0] == '-' || (path && vm)) {
			fprintf(stderr, "iovlab diagnose: unexpected '%s'\n", a);
			usage(stderr);
			return 2;
		} else if (!path) {
			path = a;
		} else {
			vm = a;
		}
	}
	/*
	 * No lab file: diagnose the running lab (`iovlab up`) through its
	 * control socket -- `iovlab diagnose [VM] [--json] [--socket PATH]`.
	 * A first argument that is neither an existing file nor *.lab is that VM.
	 */
	if (!path || (access(path, F_OK) && !(strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".lab"))))
		return cmd_ctl(argc, argv);
	if (lab_load_file(path, &lab, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s\n", err);
		return 2;
	}
	if (vm && !lab_vm_find(lab, vm)) {
		fprintf(stderr, "iovlab diagnose: %s has no [vm %s]\n", path, vm);
		lab_free(lab);
		return 2;
	}
	if (!getenv("IOVLAB_LOG"))
		log_configure("*=error", NULL, 0);
	tools_host_options(&opt, !host_only);
	if (hv_host_create(lab, &opt, &host, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s: the host did not come up: %s\n", path, err);
		lab_free(lab);
		return 2;
	}
	settle(host, settle_ms);
	if (script) {
		/* The script's views and messages must not mix with the report: stdout goes to stderr meanwhile. */
		int saved;
		unsigned nfailed;

		fflush(stdout);
		saved = dup(STDOUT_FILENO);
		if (saved < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			fprintf(stderr, "iovlab diagnose: %s\n", strerror(errno));
			hv_host_destroy(host);
			lab_free(lab);
			return 2;
		}
		nfailed = cmd_run_script(host, lab, json, stderr);
		fflush(stdout);
		(void)dup2(saved, STDOUT_FILENO);
		close(saved);
		if (nfailed)
			fprintf(stderr, "iovlab diagnose: %u script step(s) failed; diagnosing the state they left\n", nfailed);
		settle(host, settle_ms);
	}
	rc = diag_run(host, vm, &rep);
	if (rc) {
		fprintf(stderr, "iovlab diagnose: %s\n", strerror(-rc));
		status = 2;
	} else {
		if (json) {
			json_t *j = diag_report_json(rep);

			if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
				rc = -EIO;
			fputc('\n', stdout);
			json_decref(j);
		} else {
			rc = diag_report_print(rep, stdout);
		}
		status = rc ? 2 : diag_report_first_broken(rep) ? 1 : 0;
		diag_report_destroy(rep);
	}
	fflush(stdout);
	hv_host_destroy(host);
	lab_free(lab);
	return status;
}
