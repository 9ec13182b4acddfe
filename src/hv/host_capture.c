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
#include <stdio.h>
#include <string.h>

#include "base/capture.h"
#include "hv/host.h"
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

void hv_host_capture_attach(struct hv_host *h)
{
	struct vstack *vs = h ? hv_host_vstack(h) : NULL;

	if (!h || !capture_on())
		return;
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
