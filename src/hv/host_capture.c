/*
 * The root partition's capture points (docs/capture.md): what `iovlab run
 * --capture` records in the host process. Each [nic] gives three kinds:
 *
 *   "pf0 PF"          the PF miniport's edge in the host's NDIS: frames the
 *                     switch's protocol edge (VMSP) sends to the miniport,
 *                     frames the miniport indicates (src/ndis/nbl.c);
 *   "pf0 VF n (vm1)"  VF n's queue pairs as the srnic device model serves
 *                     them: what the VF really put on and took off the NIC
 *                     switch, whatever the guest's driver believes. The VM
 *                     in brackets is the one the VF is assigned to when the
 *                     frame passes (a VF given to another VM later is
 *                     another point);
 *   "pf0 uplink"      the wire side of the NIC switch (srnic's uplink).
 *
 * The vSwitch's ports name themselves (vswitch.c), each VM process its
 * NetVsc (guest_vm.c). Only public accessors of the host are used here.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/capture.h"
#include "base/log.h"
#include "hv/host.h"
#include "hv/vmwp.h"
#include "hw/srnic/srnic.h"

#define HOST_CAPTURE_MAX_NICS 16

static struct host_capture_nic {
	struct hv_host *h;
	struct hv_nic *nic;
	struct capture_point *uplink;
} cap_nics[HOST_CAPTURE_MAX_NICS];

/* The VM whose adapter holds VF vf of nic, NULL when none does. */
static const char *vf_owner(struct hv_host *h, struct hv_nic *nic, uint16_t vf)
{
	struct vstack *vs = hv_host_vstack(h);

	for (size_t i = 0; vs && i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		struct vswitch *sw = vstack_vmnic_switch(n);

		if (sw && vstack_vmnic_has_vf(n) && vstack_vmnic_vf_id(n) == vf && hv_host_switch_nic(h, sw) == nic)
			return vstack_vm_name(vstack_vmnic_vm(n));
	}
	return NULL;
}

/* VF vf's point: named after the VM that holds it now. */
static struct capture_point *vf_point(struct host_capture_nic *c, uint16_t vf)
{
	const char *name = hv_nic_name(c->nic), *vm = vf_owner(c->h, c->nic, vf);
	char point[128], desc[256];

	if (vm)
		snprintf(point, sizeof(point), "%s VF %u (%s)", name, vf, vm);
	else
		snprintf(point, sizeof(point), "%s VF %u", name, vf);
	snprintf(desc, sizeof(desc), "VF %u of %s%s%s: its queue pairs as the srnic device model serves them "
		 "(outbound = the VF sent, inbound = the VF received)", vf, name, vm ? ", assigned to " : "",
		 vm ? vm : "");
	return capture_point_get(point, desc);
}

static void on_frame(void *ctx, int fn, bool inbound, const void *frame, uint32_t len)
{
	struct host_capture_nic *c = ctx;

	if (!capture_on())
		return;
	if (fn == SRNIC_CAPTURE_UPLINK) {
		capture_frame(c->uplink, inbound ? CAPTURE_IN : CAPTURE_OUT, frame, len);
		return;
	}
	if (fn <= 0)
		return;	/* the PF's own queues: its point is the miniport edge */
	/* srnic function n is NDIS VF id n - 1 */
	capture_frame(vf_point(c, (uint16_t)(fn - 1)), inbound ? CAPTURE_IN : CAPTURE_OUT, frame, len);
}

static void live_join_booted(struct hv_host *h);

void hv_host_capture_attach(struct hv_host *h)
{
	struct vstack *vs = h ? hv_host_vstack(h) : NULL;

	if (!h || !capture_on())
		return;
	live_join_booted(h);
	for (size_t i = 0; i < hv_host_nic_count(h) && i < HOST_CAPTURE_MAX_NICS; i++) {
		struct hv_nic *nic = hv_host_nic_at(h, i);
		struct host_capture_nic *c = &cap_nics[i];
		char point[128], desc[256];

		c->h = h;
		c->nic = nic;
		if (hv_nic_adapter(nic)) {
			snprintf(point, sizeof(point), "%s PF", hv_nic_name(nic));
			snprintf(desc, sizeof(desc), "PF miniport of %s at the host's NDIS edge (outbound = sent to the "
				 "miniport, inbound = indicated by it)", hv_nic_name(nic));
			ndis_adapter_set_capture(hv_nic_adapter(nic), point, desc);
		}
		if (hv_nic_device(nic)) {
			snprintf(point, sizeof(point), "%s uplink", hv_nic_name(nic));
			snprintf(desc, sizeof(desc), "uplink of %s's NIC switch (outbound = to the wire, inbound = from "
				 "it)", hv_nic_name(nic));
			c->uplink = capture_point_get(point, desc);
			srnic_set_capture(hv_nic_device(nic), on_frame, c);
		}
	}
	/* the vSwitch ports that exist already (a capture started on a running lab) */
	for (size_t i = 0; i < hv_host_switch_count(h); i++)
		vswitch_capture_attach(hv_host_switch_at(h, i));
	/* VFs assigned now get their interface even if they stay silent (a declined VF, F22) */
	for (size_t i = 0; vs && i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		struct vswitch *sw = vstack_vmnic_switch(n);
		struct hv_nic *nic = sw ? hv_host_switch_nic(h, sw) : NULL;

		for (size_t k = 0; nic && vstack_vmnic_has_vf(n) && k < HOST_CAPTURE_MAX_NICS; k++)
			if (cap_nics[k].nic == nic && cap_nics[k].h == h)
				(void)vf_point(&cap_nics[k], vstack_vmnic_vf_id(n));
	}
}

void hv_host_capture_detach(struct hv_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < hv_host_nic_count(h) && i < HOST_CAPTURE_MAX_NICS; i++) {
		struct hv_nic *nic = hv_host_nic_at(h, i);

		if (cap_nics[i].h != h)
			continue;
		if (hv_nic_device(nic))
			srnic_set_capture(hv_nic_device(nic), NULL, NULL);
		if (hv_nic_adapter(nic))
			ndis_adapter_set_capture(hv_nic_adapter(nic), NULL, NULL);
		memset(&cap_nics[i], 0, sizeof(cap_nics[i]));
	}
}

/* ---- live capture: `iovlab capture start/stop` on a running lab ---------------------------------- */
#define LIVE_ANSWER_MS 5000	/* a guest's CAPTURE_ACK; its loop wakes at least every few ms */

static bool live;	/* the open session is a live capture (not `up --capture`'s) */
static char live_points[VMCTL_CAPTURE_FILTERS][VMCTL_CAPTURE_FILTER_MAX];	/* its filters, for late guests */
static size_t live_npoints;

/* Guests still booting when the capture started: forked without it, asked once they run. */
#define LIVE_MAX_BOOTING 32
static struct live_booting {
	struct vstack_vm *vm;
	struct vmwp *w;
} booting[LIVE_MAX_BOOTING];
static size_t nbooting;

/*
 * From hv_host_capture_attach() (once a second while the lab runs): a
 * booting guest that is up now is told its part, without waiting for the
 * answer; one that is gone (or replaced: a process forked since joined
 * through the fork path) is forgotten.
 */
static void live_join_booted(struct hv_host *h)
{
	const char *points[VMCTL_CAPTURE_FILTERS];
	char part[VMCTL_CAPTURE_PATH_MAX];
	int rc;

	if (!live)
		return;
	for (size_t i = 0; i < live_npoints; i++)
		points[i] = live_points[i];
	for (size_t i = 0; i < nbooting;) {
		struct live_booting *b = &booting[i];
		struct vmwp *w = hv_host_vm_guest(h, b->vm);

		if (w == b->w && vmwp_state(w) == VMWP_STARTING) {
			i++;
			continue;
		}
		if (w == b->w && vmwp_state(w) == VMWP_RUNNING) {
			if ((rc = capture_add_part(vstack_vm_name(b->vm), part, sizeof(part))) == 0)
				rc = vmwp_capture_start(w, part, points, live_npoints);
			if (rc < 0)
				log_warn("lab.capture", "VM %s came up during the capture but is not captured: %s",
					 vstack_vm_name(b->vm), strerror(-rc));
		}
		*b = booting[--nbooting];
	}
}

bool hv_host_capture_live(void)
{
	return live && capture_on();
}

struct live_guest {
	struct vstack_vm *vm;
	struct vmwp *w;
	int seq;		/* > 0: asked */
	bool answered;
	struct vmctl_capture_ack ack;
};

/* Wait (bounded) until every asked guest answered or is gone; the loop may reap a VM: look it up each round. */
static void wait_answers(struct hv_host *h, struct live_guest *g, size_t n)
{
	for (int waited = 0; waited <= LIVE_ANSWER_MS; waited += 2) {
		bool pending = false;

		for (size_t i = 0; i < n; i++) {
			if (g[i].seq <= 0 || g[i].answered)
				continue;
			if (hv_host_vm_guest(h, g[i].vm) != g[i].w || vmwp_state(g[i].w) != VMWP_RUNNING) {
				g[i].seq = 0;	/* gone meanwhile: its part is whatever it wrote */
				continue;
			}
			if (vmwp_capture_acked(g[i].w, g[i].seq, &g[i].ack))
				g[i].answered = true;
			else
				pending = true;
		}
		if (!pending)
			return;
		(void)hv_host_run(h, 2);
	}
}

/* Ask every running guest to close its part (a guest without one answers -ENOENT: fine). */
static void stop_guests(struct hv_host *h)
{
	struct vstack *vs = hv_host_vstack(h);
	size_t n = vs ? vstack_vm_count(vs) : 0;
	struct live_guest *g = calloc(n + 1, sizeof(*g));

	if (!g)
		return;
	for (size_t i = 0; i < n; i++) {
		g[i].vm = vstack_vm_at(vs, i);
		g[i].w = hv_host_vm_guest(h, g[i].vm);
		if (g[i].w && vmwp_state(g[i].w) == VMWP_RUNNING)
			g[i].seq = vmwp_capture_stop(g[i].w);
	}
	wait_answers(h, g, n);
	free(g);
}

int hv_host_capture_live_start(struct hv_host *h, const char *file, const char *const *points, size_t npoints,
			       char *err, size_t errlen)
{
	struct vstack *vs = h ? hv_host_vstack(h) : NULL;
	size_t n = vs ? vstack_vm_count(vs) : 0;
	struct live_guest *g;
	char cerr[PATH_MAX + 128];
	int rc = 0;

	if (capture_on()) {
		if (live)
			snprintf(err, errlen, "a capture into %s is already running; `iovlab capture stop` ends it",
				 capture_path());
		else
			snprintf(err, errlen, "the lab was brought up with --capture %s, which runs until the lab "
				 "stops; one capture at a time", capture_path());
		return -EBUSY;
	}
	if (!file || file[0] != '/') {
		snprintf(err, errlen, "capture file '%s' is not an absolute path", file ? file : "");
		return -EINVAL;
	}
	if (npoints > VMCTL_CAPTURE_FILTERS) {
		snprintf(err, errlen, "at most %u capture point patterns, not %zu", VMCTL_CAPTURE_FILTERS, npoints);
		return -EINVAL;
	}
	for (size_t i = 0; i < npoints; i++)
		if (!points[i] || !points[i][0] || strlen(points[i]) >= VMCTL_CAPTURE_FILTER_MAX) {
			snprintf(err, errlen, "capture point pattern %zu is empty or longer than %u bytes", i + 1,
				 VMCTL_CAPTURE_FILTER_MAX - 1);
			return -EINVAL;
		}
	if (strlen(file) + 96 >= VMCTL_CAPTURE_PATH_MAX) {
		snprintf(err, errlen, "capture file '%s' is too long (its VM parts must fit %u bytes)", file,
			 VMCTL_CAPTURE_PATH_MAX);
		return -ENAMETOOLONG;
	}
	if ((rc = capture_start(file, points, npoints, cerr, sizeof(cerr)))) {
		snprintf(err, errlen, "capture file %s: %s", file, cerr);
		return rc;
	}
	if (!(g = calloc(n + 1, sizeof(*g)))) {
		capture_abandon();
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	hv_host_capture_attach(h);
	for (size_t i = 0; i < n && !rc; i++) {
		char part[VMCTL_CAPTURE_PATH_MAX];

		g[i].vm = vstack_vm_at(vs, i);
		g[i].w = hv_host_vm_guest(h, g[i].vm);
		if (g[i].w && vmwp_state(g[i].w) == VMWP_STARTING && nbooting < LIVE_MAX_BOOTING)
			booting[nbooting++] = (struct live_booting){ g[i].vm, g[i].w };	/* asked once it runs */
		if (!g[i].w || vmwp_state(g[i].w) != VMWP_RUNNING)
			continue;	/* off, or still booting */
		/* the host names the part; the guest opens that file and no other */
		if ((rc = capture_add_part(vstack_vm_name(g[i].vm), part, sizeof(part)))) {
			snprintf(err, errlen, "VM %s: no part file for it: %s", vstack_vm_name(g[i].vm), strerror(-rc));
			break;
		}
		if ((g[i].seq = vmwp_capture_start(g[i].w, part, points, npoints)) < 0) {
			rc = g[i].seq;
			snprintf(err, errlen, "VM %s: the control channel refused CAPTURE_START (%s)",
				 vstack_vm_name(g[i].vm), strerror(-rc));
		}
	}
	wait_answers(h, g, n);
	for (size_t i = 0; i < n && !rc; i++) {
		if (g[i].seq <= 0)
			continue;
		if (!g[i].answered) {
			rc = -ETIMEDOUT;
			snprintf(err, errlen, "VM %s did not answer CAPTURE_START within %d ms", vstack_vm_name(g[i].vm),
				 LIVE_ANSWER_MS);
		} else if (g[i].ack.status) {
			rc = g[i].ack.status;
			snprintf(err, errlen, "VM %s could not open its part of %s: %s", vstack_vm_name(g[i].vm), file,
				 strerror(-rc));
		}
	}
	free(g);
	if (rc) {
		/* nothing is left behind: the guests that opened a part close it, every part is removed */
		nbooting = 0;
		stop_guests(h);
		hv_host_capture_detach(h);
		capture_abandon();
		return rc;
	}
	live = true;
	live_npoints = npoints;
	for (size_t i = 0; i < npoints; i++)
		snprintf(live_points[i], sizeof(live_points[i]), "%s", points[i]);
	return 0;
}

int hv_host_capture_live_stop(struct hv_host *h, struct capture_summary *sum, char *err, size_t errlen)
{
	if (!capture_on()) {
		snprintf(err, errlen, "no capture is running (`iovlab capture start FILE` starts one)");
		return -ENOENT;
	}
	if (!live) {
		snprintf(err, errlen, "the running capture is `iovlab up --capture %s`'s: it ends when the lab stops",
			 capture_path());
		return -EBUSY;
	}
	nbooting = 0;
	stop_guests(h);
	hv_host_capture_detach(h);
	live = false;
	return capture_finish(sum, err, errlen);
}
