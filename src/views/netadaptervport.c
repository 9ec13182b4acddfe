/*
 * Get-NetAdapterVPort (MSFT_NetAdapterVPortSettingData, tools-and-views.md
 * 1.5): every vPort of a PF's NIC switch, default vPort first, from NDIS's
 * ENUM_VPORTS, with the receive filters on it (ENUM_FILTERS and
 * RECEIVE_FILTER_PARAMETERS: the MAC and VLAN the switch steers there). The
 * table uses the cmdlet's short column names (ID, MacAddress, VID, FID,
 * State, ITR, QPairs); FunctionID prints PF for the PF's own vPorts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "views/view.h"

#define MAX_FILTERS 8

struct vport_obj {
	struct hv_nic *nic;
	NDIS_NIC_SWITCH_VPORT_INFO vp;
	struct ndisq_filter filters[MAX_FILTERS];
	size_t nfilters;
};

#define VP(o) ((const struct vport_obj *)(o))

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", hv_nic_name(VP(o)->nic));
}

static void p_id(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VP(o)->vp.VPortId);
}

static void p_vport_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char s[IF_MAX_STRING_SIZE + 1];

	(void)c;
	view_set_str(v, "%s", ndisq_string(&VP(o)->vp.VPortName, s, sizeof(s)));
}

static void p_mac(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char mac[24];

	(void)c;
	for (size_t i = 0; i < VP(o)->nfilters; i++)
		if (VP(o)->filters[i].has_mac) {
			view_set_str(v, "%s", view_mac_net(VP(o)->filters[i].mac, mac, sizeof(mac)));
			return;
		}
	view_set_null(v);
}

static void p_vlan(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	for (size_t i = 0; i < VP(o)->nfilters; i++)
		if (VP(o)->filters[i].has_vlan) {
			view_set_uint(v, VP(o)->filters[i].vlan);
			return;
		}
	view_set_null(v);
}

static void p_switch(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VP(o)->vp.SwitchId);
}

static void p_function(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_function(v, VP(o)->vp.AttachedFunctionId);
}

static void p_state(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_enum(v, view_vport_state_name(VP(o)->vp.VPortState));
}

static void p_itr(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_enum(v, view_moderation_name(VP(o)->vp.InterruptModeration));
}

static void p_qps(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VP(o)->vp.NumQueuePairs);
}

static void p_mask(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VP(o)->vp.ProcessorAffinity.Mask);
}

static void p_group(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VP(o)->vp.ProcessorAffinity.Group);
}

static void p_nfilters(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uint(v, VP(o)->vp.NumFilters);
}

static void p_filters(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_uints(v);
	for (size_t i = 0; i < VP(o)->nfilters; i++)
		view_add_uint(v, VP(o)->filters[i].id);
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "VPortID", VIEW_UINT, VIEW_TABLE | VIEW_LIST, "ID", p_id },
	{ "VPortName", VIEW_STRING, VIEW_LIST, NULL, p_vport_name },
	{ "MacAddress", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_mac },
	{ "VlanID", VIEW_UINT, VIEW_TABLE | VIEW_LIST, "VID", p_vlan },
	{ "SwitchID", VIEW_UINT, VIEW_LIST, NULL, p_switch },
	{ "FunctionID", VIEW_FUNCTION, VIEW_TABLE | VIEW_LIST, "FID", p_function },
	{ "VPortState", VIEW_ENUM, VIEW_TABLE | VIEW_LIST, "State", p_state },
	{ "InterruptModeration", VIEW_ENUM, VIEW_TABLE | VIEW_LIST, "ITR", p_itr },
	{ "NumQueuePairs", VIEW_UINT, VIEW_TABLE | VIEW_LIST, "QPairs", p_qps },
	{ "ProcessorAffinityMask", VIEW_UINT, VIEW_LIST, NULL, p_mask },
	{ "ProcessorGroup", VIEW_UINT, VIEW_LIST, NULL, p_group },
	{ "NumFilters", VIEW_UINT, VIEW_LIST, NULL, p_nfilters },
	{ "FilterList", VIEW_UINTS, VIEW_LIST, NULL, p_filters },
};

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < hv_host_nic_count(c->host); i++) {
		struct hv_nic *nic = hv_host_nic_at(c->host, i);
		NDIS_NIC_SWITCH_VPORT_INFO *vps = NULL;
		struct ndisq_filter *fs = NULL;
		size_t nvp = 0, nf = 0;

		if (ndisq_vports(hv_nic_adapter(nic), &vps, &nvp))
			continue;
		if (ndisq_filters(hv_nic_adapter(nic), &fs, &nf))
			nf = 0;
		for (size_t k = 0; !rc && k < nvp; k++) {
			struct vport_obj o;

			memset(&o, 0, sizeof(o));
			o.nic = nic;
			o.vp = vps[k];
			for (size_t f = 0; f < nf && o.nfilters < MAX_FILTERS; f++)
				if (fs[f].vport == vps[k].VPortId)
					o.filters[o.nfilters++] = fs[f];
			rc = view_rows_add(rows, &o);
		}
		free(vps);
		free(fs);
	}
	return rc;
}

static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	(void)c;
	return !strcasecmp(name, hv_nic_name(VP(o)->nic));
}

const struct view_class view_netadaptervport = {
	.noun = "NetAdapterVPort",
	.what = "each vPort of the NIC switch: function, state, queue pairs, MAC/VLAN filters",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_TABLE,
	.obj_size = sizeof(struct vport_obj),
	.enumerate = enumerate,
	.names = names,
};
