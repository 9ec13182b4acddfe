/*
 * Get-VMSwitch (tools-and-views.md 1.3): a switch's IOV state. IovEnabled is
 * what New-VMSwitch chose; IovSupport / IovSupportReasons come from the
 * platform (R1-R9) and the bound adapter; the four counters are the NIC
 * switch's, from NDIS's cache (ENUM_SWITCHES, current NIC-switch
 * capabilities): IovVirtualFunctionCount is the switch's NumVFs on an IOV
 * switch (0 otherwise, as the captured non-IOV switch shows), in use its
 * NumAllocatedVFs; IovQueuePairCount is MaxNumQueuePairs whatever IovEnabled
 * is, in use the queue pairs of the default and non-default vPorts. Through an
 * LBFO team no VF reaches the switch (F16): both VF counters are 0.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "views/view.h"

struct vmswitch_obj {
	struct vswitch *sw;
};

static struct ndis_adapter *adapter(const struct view_ctx *c, const struct vmswitch_obj *o)
{
	struct hv_nic *nic = hv_host_switch_nic(c->host, o->sw);

	return nic ? hv_nic_adapter(nic) : NULL;
}

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", vswitch_name(((const struct vmswitch_obj *)o)->sw));
}

static void p_id(const struct view_ctx *c, const void *o, struct view_value *v)
{
	const char *name = vswitch_name(((const struct vmswitch_obj *)o)->sw);
	uint64_t h = 0xcbf29ce484222325ull;

	(void)c;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)(*p | 0x20)) * 0x100000001b3ull;
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;	/* splitmix64's finalizer */
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	view_set_str(v, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)(h >> 32), (unsigned)(h >> 16) & 0xffffu,
		     (unsigned)h & 0xfffu, (unsigned)(h >> 52), (unsigned long long)(h * 31) & 0xffffffffffffull);
}

static void p_type(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_enum(v, vswitch_type_name(vswitch_type(((const struct vmswitch_obj *)o)->sw)));
}

static void p_desc(const struct view_ctx *c, const void *o, struct view_value *v)
{
	struct hv_nic *nic = hv_host_switch_nic(c->host, ((const struct vmswitch_obj *)o)->sw);

	if (nic)
		view_set_str(v, "%s", hv_nic_description(nic));
	else
		view_set_null(v);
}

static void p_bw_mode(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	/* New-VMSwitch -MinimumBandwidthMode Default: Weight, but None on an IOV switch. */
	view_set_enum(v, vswitch_iov_enabled(((const struct vmswitch_obj *)o)->sw) ? "None" : "Weight");
}

static void p_iov_enabled(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_bool(v, vswitch_iov_enabled(((const struct vmswitch_obj *)o)->sw));
}

static void p_iov_support(const struct view_ctx *c, const void *o, struct view_value *v)
{
	struct view_value r = { 0 };

	view_switch_reasons(c, ((const struct vmswitch_obj *)o)->sw, &r);
	view_set_bool(v, r.null);
	view_value_fini(&r);
}

static void p_iov_reasons(const struct view_ctx *c, const void *o, struct view_value *v)
{
	view_switch_reasons(c, ((const struct vmswitch_obj *)o)->sw, v);
}

static void p_vf_count(const struct view_ctx *c, const void *o, struct view_value *v)
{
	const struct vmswitch_obj *s = o;
	NDIS_NIC_SWITCH_INFO info;

	view_set_uint(v, vswitch_iov_enabled(s->sw) && vswitch_iov_passed_up(s->sw) && !ndisq_switch(adapter(c, s), &info) ?
				 info.NumVFs : 0);
}

static void p_vf_in_use(const struct view_ctx *c, const void *o, struct view_value *v)
{
	const struct vmswitch_obj *s = o;
	NDIS_NIC_SWITCH_INFO info;

	view_set_uint(v, vswitch_iov_enabled(s->sw) && vswitch_iov_passed_up(s->sw) && !ndisq_switch(adapter(c, s), &info) ?
				 info.NumAllocatedVFs : 0);
}

static void p_qp_count(const struct view_ctx *c, const void *o, struct view_value *v)
{
	NDIS_NIC_SWITCH_CAPABILITIES caps;

	view_set_uint(v, !ndisq_switch_caps(adapter(c, o), true, &caps) ? caps.MaxNumQueuePairs : 0);
}

static void p_qp_in_use(const struct view_ctx *c, const void *o, struct view_value *v)
{
	NDIS_NIC_SWITCH_INFO info;

	view_set_uint(v, !ndisq_switch(adapter(c, o), &info) ?
				 (uint64_t)info.NumQueuePairsForDefaultVPort + info.NumQueuePairsForNonDefaultVPorts : 0);
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "Id", VIEW_STRING, VIEW_LIST, NULL, p_id },
	{ "SwitchType", VIEW_ENUM, VIEW_TABLE | VIEW_LIST, NULL, p_type },
	{ "NetAdapterInterfaceDescription", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_desc },
	{ "BandwidthReservationMode", VIEW_ENUM, VIEW_LIST, NULL, p_bw_mode },
	{ "IovEnabled", VIEW_BOOL, VIEW_LIST, NULL, p_iov_enabled },
	{ "IovSupport", VIEW_BOOL, VIEW_LIST, NULL, p_iov_support },
	{ "IovSupportReasons", VIEW_STRINGS, VIEW_LIST, NULL, p_iov_reasons },
	{ "IovVirtualFunctionCount", VIEW_UINT, VIEW_LIST, NULL, p_vf_count },
	{ "IovVirtualFunctionsInUse", VIEW_UINT, VIEW_LIST, NULL, p_vf_in_use },
	{ "IovQueuePairCount", VIEW_UINT, VIEW_LIST, NULL, p_qp_count },
	{ "IovQueuePairsInUse", VIEW_UINT, VIEW_LIST, NULL, p_qp_in_use },
};

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	for (size_t i = 0; i < hv_host_switch_count(c->host); i++) {
		struct vmswitch_obj o = { hv_host_switch_at(c->host, i) };
		int rc = view_rows_add(rows, &o);
		if (rc)
			return rc;
	}
	return 0;
}

static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	(void)c;
	return !strcasecmp(name, vswitch_name(((const struct vmswitch_obj *)o)->sw));
}

const struct view_class view_vmswitch = {
	.noun = "VMSwitch",
	.what = "each virtual switch: IovEnabled, IovSupport(Reasons), VFs and queue pairs",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_TABLE,
	.obj_size = sizeof(struct vmswitch_obj),
	.enumerate = enumerate,
	.names = names,
};
