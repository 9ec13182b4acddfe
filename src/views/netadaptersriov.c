/*
 * Get-NetAdapterSriov (MSFT_NetAdapterSriovSettingData, tools-and-views.md
 * 1.4): per PF, Enabled from the *SRIOV keyword in the adapter's registry,
 * SriovSupport from the platform model and the driver (host.c), and the NIC
 * switch's numbers as NDIS reports them (ENUM_SWITCHES; the configured
 * NicSwitches\0 values while no switch exists). HardwareCapabilities and
 * CurrentCapabilities are the NIC-switch capabilities NDIS holds -- $null
 * when the driver reports none, which is how F14 shows. The default list is
 * the captured one: Name, InterfaceDescription, Enabled, SriovSupport,
 * SwitchName, NumVFs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "views/view.h"

struct sriov_obj {
	struct hv_nic *nic;
};

#define NIC(o) (((const struct sriov_obj *)(o))->nic)

static bool info(const void *o, NDIS_NIC_SWITCH_INFO *i)
{
	return ndisq_switch(hv_nic_adapter(NIC(o)), i) == 0;
}

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", hv_nic_name(NIC(o)));
}

static void p_desc(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", hv_nic_description(NIC(o)));
}

static void p_enabled(const struct view_ctx *c, const void *o, struct view_value *v)
{
	char val[32];
	struct ndis_adapter *ad = hv_nic_adapter(NIC(o));

	(void)c;
	view_set_bool(v, ad && !ndis_adapter_get_keyword(ad, "*SRIOV", val, sizeof(val)) && !strcmp(val, "1"));
}

static void p_support(const struct view_ctx *c, const void *o, struct view_value *v)
{
	view_set_enum(v, view_sriov_support_name(hv_nic_sriov_support(c->host, NIC(o))));
}

static void p_switch_type(const struct view_ctx *c, const void *o, struct view_value *v)
{
	NDIS_NIC_SWITCH_INFO i;

	(void)c;
	if (info(o, &i))
		view_set_enum(v, view_switch_type_name(i.SwitchType));
	else
		view_set_null(v);
}

static void p_switch_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	NDIS_NIC_SWITCH_INFO i;
	char name[IF_MAX_STRING_SIZE + 1];
	struct ndis_adapter *ad = hv_nic_adapter(NIC(o));

	(void)c;
	if (info(o, &i))
		view_set_str(v, "%s", ndisq_string(&i.SwitchFriendlyName, name, sizeof(name)));
	else if (ad && !ndis_adapter_get_keyword(ad, "NicSwitches\\0\\*SwitchName", name, sizeof(name)))
		view_set_str(v, "%s", name);
	else
		view_set_null(v);
}

static void p_num_vfs(const struct view_ctx *c, const void *o, struct view_value *v)
{
	NDIS_NIC_SWITCH_INFO i;
	char val[32];
	struct ndis_adapter *ad = hv_nic_adapter(NIC(o));
	struct ndis_sriov_view sv;

	(void)c;
	if (info(o, &i)) {
		view_set_uint(v, i.NumVFs);
		return;
	}
	/* No switch: the configured count, if the driver does SR-IOV at all (F12 shows 0). */
	if (ad) {
		ndis_adapter_sriov_view(ad, &sv);
		if (sv.has_hw_sriov && !ndis_adapter_get_keyword(ad, "NicSwitches\\0\\*NumVFs", val, sizeof(val))) {
			view_set_uint(v, strtoul(val, NULL, 0));
			return;
		}
	}
	view_set_uint(v, 0);
}

#define INFO_FIELD(fn, field)                                                        \
	static void fn(const struct view_ctx *c, const void *o, struct view_value *v) \
	{                                                                             \
		NDIS_NIC_SWITCH_INFO i;                                               \
		(void)c;                                                              \
		view_set_uint(v, info(o, &i) ? i.field : 0);                          \
	}
INFO_FIELD(p_allocated, NumAllocatedVFs)
INFO_FIELD(p_vports, NumVPorts)
INFO_FIELD(p_active_vports, NumActiveVPorts)
INFO_FIELD(p_qp_default, NumQueuePairsForDefaultVPort)
INFO_FIELD(p_qp_nondefault, NumQueuePairsForNonDefaultVPorts)
INFO_FIELD(p_mac_default, NumActiveDefaultVPortMacAddresses)
INFO_FIELD(p_mac_nondefault, NumActiveNonDefaultVPortMacAddresses)
INFO_FIELD(p_vlan_default, NumActiveDefaultVPortVlanIds)
INFO_FIELD(p_vlan_nondefault, NumActiveNonDefaultVPortVlanIds)
#undef INFO_FIELD

static void caps(const void *o, bool current, struct view_value *v)
{
	NDIS_NIC_SWITCH_CAPABILITIES sc;
	NDIS_SRIOV_CAPABILITIES sr;
	struct ndis_adapter *ad = hv_nic_adapter(NIC(o));
	char flags[96];

	if (ndisq_sriov_caps(ad, current, &sr) || ndisq_switch_caps(ad, current, &sc)) {
		view_set_null(v);
		return;
	}
	view_set_str(v, "MSFT_NetAdapterSriovCapabilities (%s, MaxNumSwitches = %u, MaxNumVPorts = %u, "
		     "MaxNumVFs = %u, MaxNumQueuePairs = %u, MaxNumQueuePairsPerNonDefaultVPort = %u, "
		     "MaxNumMacAddresses = %u)", view_sriov_caps_text(sr.SriovCapabilities, flags, sizeof(flags)),
		     sc.MaxNumSwitches, sc.MaxNumVPorts, sc.MaxNumVFs, sc.MaxNumQueuePairs,
		     sc.MaxNumQueuePairsPerNonDefaultVPort, sc.MaxNumMacAddresses);
}

static void p_hw_caps(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	caps(o, false, v);
}

static void p_cur_caps(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	caps(o, true, v);
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "InterfaceDescription", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_desc },
	{ "Enabled", VIEW_BOOL, VIEW_TABLE | VIEW_LIST, NULL, p_enabled },
	{ "SriovSupport", VIEW_ENUM, VIEW_TABLE | VIEW_LIST, NULL, p_support },
	{ "SwitchType", VIEW_ENUM, 0, NULL, p_switch_type },
	{ "SwitchName", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_switch_name },
	{ "NumVFs", VIEW_UINT, VIEW_TABLE | VIEW_LIST, NULL, p_num_vfs },
	{ "NumAllocatedVFs", VIEW_UINT, 0, NULL, p_allocated },
	{ "NumVPorts", VIEW_UINT, 0, NULL, p_vports },
	{ "NumActiveVPorts", VIEW_UINT, 0, NULL, p_active_vports },
	{ "NumQueuePairsForDefaultVPort", VIEW_UINT, 0, NULL, p_qp_default },
	{ "NumQueuePairsForNonDefaultVPorts", VIEW_UINT, 0, NULL, p_qp_nondefault },
	{ "NumActiveDefaultVPortMacAddresses", VIEW_UINT, 0, NULL, p_mac_default },
	{ "NumActiveNonDefaultVPortMacAddresses", VIEW_UINT, 0, NULL, p_mac_nondefault },
	{ "NumActiveDefaultVPortVlanIds", VIEW_UINT, 0, NULL, p_vlan_default },
	{ "NumActiveNonDefaultVPortVlanIds", VIEW_UINT, 0, NULL, p_vlan_nondefault },
	{ "HardwareCapabilities", VIEW_STRING, 0, NULL, p_hw_caps },
	{ "CurrentCapabilities", VIEW_STRING, 0, NULL, p_cur_caps },
};

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	for (size_t i = 0; i < hv_host_nic_count(c->host); i++) {
		struct sriov_obj o = { hv_host_nic_at(c->host, i) };
		int rc = view_rows_add(rows, &o);
		if (rc)
			return rc;
	}
	return 0;
}

static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	(void)c;
	return !strcasecmp(name, hv_nic_name(NIC(o)));
}

const struct view_class view_netadaptersriov = {
	.noun = "NetAdapterSriov",
	.what = "each PF: Enabled, SriovSupport, SwitchName, NumVFs and the NIC switch's numbers",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_LIST,
	.obj_size = sizeof(struct sriov_obj),
	.enumerate = enumerate,
	.names = names,
};
