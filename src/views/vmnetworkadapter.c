/*
 * Get-VMNetworkAdapter (tools-and-views.md 1.1): each VM network adapter as
 * the virtualization stack holds it -- settings (IovWeight,
 * IovQueuePairsRequested, IovInterruptModeration, VMQWeight) beside what
 * they got (IovQueuePairsAssigned from the VF's vPort in NDIS's cache,
 * IovUsage, VirtualFunction), Status / StatusDescription saying why the VF
 * data path is not active, and VFDataPathActive, which only the guest's
 * NetVsc can make True. IPAddresses come from the guest too; with no guest
 * running they are empty. -ManagementOS lists the host's own vNICs instead
 * (one per External or Internal switch with AllowManagementOS), whose VM
 * and IOV fields are empty (catalogue F30).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "views/view.h"

struct vmnic_obj {
	struct vstack_vmnic *n;		/* a VM's adapter, or NULL and: */
	struct vswitch *mgmt;		/* the management OS's vNIC on this switch (F30) */
};

#define N(o) (((const struct vmnic_obj *)(o))->n)
#define MGMT(o) (((const struct vmnic_obj *)(o))->mgmt)

/*
 * The management OS's vNIC has no VM and no IOV: Get-VMNetworkAdapter
 * -ManagementOS shows those fields empty (catalogue F30; S11). True when o
 * is that vNIC, with v set to $null.
 */
static bool mgmt_empty(const void *o, struct view_value *v)
{
	if (!MGMT(o))
		return false;
	view_set_null(v);
	return true;
}

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (MGMT(o)) {
		view_set_str(v, "%s", vswitch_name(MGMT(o)));	/* the host vNIC is named after its switch */
		return;
	}
	(void)c;
	view_set_str(v, "%s", vstack_vmnic_display_name(N(o)));
}

static void p_id(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_str(v, "%s", vstack_vmnic_id(N(o)));
}

static void p_mgmt(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_bool(v, MGMT(o) != NULL);
}

static void p_vm_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_str(v, "%s", vstack_vm_name(vstack_vmnic_vm(N(o))));
}

static void p_vm_id(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_str(v, "%s", vstack_vm_id(vstack_vmnic_vm(N(o))));
}

static void p_switch(const struct view_ctx *c, const void *o, struct view_value *v)
{
	struct vswitch *sw = MGMT(o) ? MGMT(o) : vstack_vmnic_switch(N(o));

	(void)c;
	if (sw)
		view_set_str(v, "%s", vswitch_name(sw));
	else
		view_set_null(v);
}

static void p_mac(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char mac[16];

	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_str(v, "%s", view_mac_vm(vstack_vmnic_mac(N(o)), mac, sizeof(mac)));
}

static void p_status(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char desc[512];

	if (MGMT(o)) {
		view_set_strings(v);
		view_add_string(v, "Ok");
		return;
	}
	(void)c;
	view_set_strings(v);
	view_add_string(v, view_op_status_name(vstack_vmnic_status(N(o), desc, sizeof(desc))));
}

static void p_status_desc(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char desc[512];

	if (MGMT(o)) {
		view_set_strings(v);
		view_add_string(v, "OK");
		return;
	}
	(void)c;
	vstack_vmnic_status(N(o), desc, sizeof(desc));
	view_set_strings(v);
	view_add_string(v, desc);
}

static void p_ips(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	(void)o;
	view_set_strings(v);	/* reported by the guest's integration services; none runs */
}

static void p_weight(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_uint(v, vstack_vmnic_iov_weight(N(o)));
}

static void p_qp_requested(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_uint(v, vstack_vmnic_iov_queue_pairs_requested(N(o)));
}

static struct ndis_adapter *pf_of(const struct vstack_vmnic *n)
{
	struct vswitch *sw = vstack_vmnic_switch(n);

	return sw ? vswitch_pf(sw) : NULL;
}

static void p_qp_assigned(const struct view_ctx *c, const void *o, struct view_value *v)
{
	NDIS_NIC_SWITCH_VPORT_INFO *vp;
	size_t n = 0;
	uint64_t qps = 0;

	if (mgmt_empty(o, v))
		return;
	(void)c;
	/* The VF's vPort as NDIS has it: what the PF was actually given. */
	if (vstack_vmnic_has_vf(N(o)) && vstack_vmnic_vport_id(N(o)) && !ndisq_vports(pf_of(N(o)), &vp, &n)) {
		for (size_t i = 0; i < n; i++)
			if (vp[i].VPortId == vstack_vmnic_vport_id(N(o)))
				qps = vp[i].NumQueuePairs;
		free(vp);
	}
	view_set_uint(v, qps);
}

static void p_moderation(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_enum(v, view_moderation_name(vstack_vmnic_iov_interrupt_moderation(N(o))));
}

static void p_usage(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_int(v, vstack_vmnic_iov_usage(N(o)));
}

static void p_vf(const struct view_ctx *c, const void *o, struct view_value *v)
{
	struct vswitch *sw;

	if (mgmt_empty(o, v))
		return;
	sw = vstack_vmnic_switch(N(o));
	(void)c;
	if (vstack_vmnic_iov_usage(N(o)) && sw && vswitch_adapter_name(sw))
		view_set_str(v, "MSFT_NetAdapterSriovVfSettingData (Name = \"%s\", FunctionID = %u)",
			     vswitch_adapter_name(sw), vstack_vmnic_vf_id(N(o)));
	else
		view_set_null(v);
}

static void p_vmq_weight(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (MGMT(o)) {
		view_set_uint(v, 100);
		return;
	}
	(void)c;
	view_set_uint(v, vstack_vmnic_vmq_weight(N(o)));
}

static void p_vmq_usage(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	(void)o;
	view_set_int(v, 0);	/* VMQ is not modelled: no queue is ever allocated */
}

static void p_datapath(const struct view_ctx *c, const void *o, struct view_value *v)
{
	if (mgmt_empty(o, v))
		return;
	(void)c;
	view_set_bool(v, vstack_vmnic_datapath_active(N(o)));
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "Id", VIEW_STRING, VIEW_LIST, NULL, p_id },
	{ "IsManagementOs", VIEW_BOOL, VIEW_TABLE | VIEW_LIST, NULL, p_mgmt },
	{ "VMName", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_vm_name },
	{ "VMId", VIEW_STRING, 0, NULL, p_vm_id },
	{ "SwitchName", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_switch },
	{ "MacAddress", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_mac },
	{ "Status", VIEW_STRINGS, VIEW_TABLE | VIEW_LIST, NULL, p_status },
	{ "StatusDescription", VIEW_STRINGS, VIEW_LIST, NULL, p_status_desc },
	{ "IPAddresses", VIEW_STRINGS, VIEW_TABLE | VIEW_LIST | VIEW_GUEST, NULL, p_ips },
	{ "IovWeight", VIEW_UINT, VIEW_LIST, NULL, p_weight },
	{ "IovQueuePairsRequested", VIEW_UINT, VIEW_LIST, NULL, p_qp_requested },
	{ "IovQueuePairsAssigned", VIEW_UINT, VIEW_LIST, NULL, p_qp_assigned },
	{ "IovInterruptModeration", VIEW_ENUM, VIEW_LIST, NULL, p_moderation },
	{ "IovUsage", VIEW_INT, VIEW_LIST, NULL, p_usage },
	{ "VirtualFunction", VIEW_STRING, VIEW_LIST, NULL, p_vf },
	{ "VMQWeight", VIEW_UINT, VIEW_LIST, NULL, p_vmq_weight },
	{ "VmqUsage", VIEW_INT, VIEW_LIST, NULL, p_vmq_usage },
	{ "VFDataPathActive", VIEW_BOOL, VIEW_LIST | VIEW_GUEST, NULL, p_datapath },
};

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	struct vstack *vs = hv_host_vstack(c->host);
	const struct lab *lab = hv_host_lab(c->host);

	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vmnic_obj o = { vstack_vmnic_at(vs, i), NULL };
		int rc = view_rows_add(rows, &o);
		if (rc)
			return rc;
	}
	/* New-VMSwitch -AllowManagementOS: the host's own vNIC on an External or Internal switch. */
	for (size_t i = 0; i < lab->nvswitches; i++) {
		struct vswitch *sw = hv_host_switch_find(c->host, lab->vswitches[i].name);
		struct vmnic_obj o = { NULL, sw };
		int rc;

		if (!sw || !lab->vswitches[i].allow_management_os || vswitch_type(sw) == VSWITCH_PRIVATE)
			continue;
		if ((rc = view_rows_add(rows, &o)))
			return rc;
	}
	return 0;
}

/* Get-VMNetworkAdapter's first positional parameter is -VMName; the lab's adapter name works too. */
static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	(void)c;
	if (MGMT(o))
		return !strcasecmp(name, vswitch_name(MGMT(o)));
	return !strcasecmp(name, vstack_vm_name(vstack_vmnic_vm(N(o)))) || !strcasecmp(name, vstack_vmnic_name(N(o)));
}

const struct view_class view_vmnetworkadapter = {
	.noun = "VMNetworkAdapter",
	.what = "each VM network adapter: IovWeight, IovUsage, Status, VFDataPathActive",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_TABLE,
	.obj_size = sizeof(struct vmnic_obj),
	.enumerate = enumerate,
	.names = names,
	.switch_param = "ManagementOS",
	.switch_prop = "IsManagementOs",
};
