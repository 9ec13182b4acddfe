/*
 * Get-NetAdapterSriovVf (MSFT_NetAdapterSriovVfSettingData,
 * tools-and-views.md 1.5): every VF allocated on a PF, from NDIS's ENUM_VFS
 * answer (what ALLOCATE_VF carried: VM name and friendly name, NIC name,
 * MACs, VFId, RequestorId) and the vPorts attached to it (ENUM_VPORTS). The
 * exact default columns of the cmdlet are not confirmed by a capture; the
 * table shows the VF id, its adapter, vPorts, current MAC and VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "views/view.h"

struct vf_obj {
	struct hv_nic *nic;
	NDIS_NIC_SWITCH_VF_INFO vf;
	uint32_t vports[4];
	size_t nvports;
};

#define VF(o) ((const struct vf_obj *)(o))

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", hv_nic_name(VF(o)->nic));
}

static void p_function(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VF(o)->vf.VFId);
}

static void p_switch(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VF(o)->vf.SwitchId);
}

static void p_vports(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uints(v);
	for (size_t i = 0; i < VF(o)->nvports; i++)
		view_add_uint(v, VF(o)->vports[i]);
}

static void p_cur_mac(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char mac[24];

	(void)c;
	view_set_str(v, "%s", view_mac_net(VF(o)->vf.CurrentMacAddress, mac, sizeof(mac)));
}

static void p_perm_mac(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char mac[24];

	(void)c;
	view_set_str(v, "%s", view_mac_net(VF(o)->vf.PermanentMacAddress, mac, sizeof(mac)));
}

static void p_vm_id(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char s[IF_MAX_STRING_SIZE + 1];

	(void)c;
	view_set_str(v, "%s", ndisq_string(&VF(o)->vf.VMName, s, sizeof(s)));
}

static void p_vm_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char s[IF_MAX_STRING_SIZE + 1];

	(void)c;
	view_set_str(v, "%s", ndisq_string(&VF(o)->vf.VMFriendlyName, s, sizeof(s)));
}

static void p_nic_id(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char s[IF_MAX_STRING_SIZE + 1];

	(void)c;
	view_set_str(v, "%s", ndisq_string(&VF(o)->vf.NicName, s, sizeof(s)));
}

static void p_rid(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VF(o)->vf.RequestorId);
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "FunctionID", VIEW_UINT, VIEW_TABLE | VIEW_LIST, NULL, p_function },
	{ "SwitchID", VIEW_UINT, VIEW_LIST, NULL, p_switch },
	{ "VPortID", VIEW_UINTS, VIEW_TABLE | VIEW_LIST, NULL, p_vports },
	{ "CurrentMacAddress", VIEW_STRING, VIEW_TABLE | VIEW_LIST, "MacAddress", p_cur_mac },
	{ "PermanentMacAddress", VIEW_STRING, VIEW_LIST, NULL, p_perm_mac },
	{ "VmID", VIEW_STRING, VIEW_LIST, NULL, p_vm_id },
	{ "VmFriendlyName", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_vm_name },
	{ "VmNicID", VIEW_STRING, VIEW_LIST, NULL, p_nic_id },
	{ "RequestorID", VIEW_UINT, VIEW_LIST, NULL, p_rid },
};

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < hv_host_nic_count(c->host); i++) {
		struct hv_nic *nic = hv_host_nic_at(c->host, i);
		NDIS_NIC_SWITCH_VF_INFO *vfs = NULL;
		NDIS_NIC_SWITCH_VPORT_INFO *vps = NULL;
		size_t nvf = 0, nvp = 0;

		if (ndisq_vfs(hv_nic_adapter(nic), &vfs, &nvf))
			continue;
		if (ndisq_vports(hv_nic_adapter(nic), &vps, &nvp))
			nvp = 0;
		for (size_t k = 0; !rc && k < nvf; k++) {
			struct vf_obj o;

			memset(&o, 0, sizeof(o));
			o.nic = nic;
			o.vf = vfs[k];
			for (size_t p = 0; p < nvp && o.nvports < 4; p++)
				if (vps[p].AttachedFunctionId == vfs[k].VFId)
					o.vports[o.nvports++] = vps[p].VPortId;
			rc = view_rows_add(rows, &o);
		}
		free(vfs);
		free(vps);
	}
	return rc;
}

/* -Name is the adapter; the VM's name picks its VF too. */
static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	char s[IF_MAX_STRING_SIZE + 1];

	(void)c;
	return !strcasecmp(name, hv_nic_name(VF(o)->nic)) ||
	       !strcasecmp(name, ndisq_string(&VF(o)->vf.VMFriendlyName, s, sizeof(s)));
}

const struct view_class view_netadaptersriovvf = {
	.noun = "NetAdapterSriovVf",
	.what = "each allocated VF: FunctionID, vPorts, MACs, the VM it belongs to",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_TABLE,
	.obj_size = sizeof(struct vf_obj),
	.enumerate = enumerate,
	.names = names,
};
