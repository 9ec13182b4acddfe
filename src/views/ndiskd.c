/*
 * !ndiskd.netadapter for the host's PFs (tools-and-views.md 1.7; spec 7.1):
 * the MINIPORT / STATE / BINDINGS sections every netadapter shows, plus the
 * SR-IOV ones the options ask for -- -iov (hardware and current SR-IOV
 * capabilities, "Current Configuration: IOV enabled/disabled"), -nicswitch
 * (NIC-switch capabilities and the switch NDIS created), -vfs (ENUM_VFS),
 * -vports (ENUM_VPORTS with their filters). Field names beyond the
 * documented layout are not public (spec 8.8); these mirror the structures.
 * Pointers are not printed: the lab has no kernel addresses worth showing.
 *
 * With -vm VM the same sections come from inside that VM's guest: the host
 * asks its guest NDIS over the control channel (VMCTL_MSG_NDISKD_QUERY,
 * wire/vmctl.h), and renders the answer -- NetVsc's adapter, the VF
 * miniport's, each protocol binding with "Declined with NDIS_STATUS_..."
 * when the protocol declined (tools-and-views.md 1.7: the place to show
 * NETVSCVFPP declining the VF). The answer was checked on arrival
 * (vmctl_msg_check): strings terminated, counts and states in range.
 *
 * Each adapter's report is built once as data (a JSON object, sections in
 * order) and rendered from that: as text in ndiskd's indented layout, or as
 * the JSON itself with --json.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hv/vmwp.h"
#include "ndis/framework.h"
#include "ndis/names.h"
#include "ndis/protocol.h"
#include "views/ndiskd.h"
#include "views/view.h"

#define NDISKD_GUEST_UP_MS 10000	/* a VM's guest that is still starting */
#define NDISKD_GUEST_ANSWER_MS 5000	/* the guest's answer over the control channel */

_Static_assert(VMCTL_NDISKD_ADAPTER_STATES == NDIS_ADAPTER_STATE_COUNT, "ndiskd carries NDIS's adapter states");
_Static_assert(VMCTL_NDISKD_BINDING_STATES == NDIS_BINDING_STATE_COUNT, "ndiskd carries NDIS's binding states");

enum { OPT_IOV = 1, OPT_VFS = 2, OPT_VPORTS = 4, OPT_NICSWITCH = 8, OPT_BINDINGS = 16 };

__attribute__((format(printf, 3, 4))) static void kv(json_t *sec, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_set_new(sec, key, json_string(buf));
}

static void miniport(json_t *rep, struct hv_nic *nic)
{
	json_t *s = json_object();
	struct ndis_adapter *ad = hv_nic_adapter(nic);
	char mac[24];
	const uint8_t *m = hv_nic_mac(nic);

	kv(s, "Description", "%s", hv_nic_description(nic));
	kv(s, "Driver", "%s", ad ? ndis_adapter_driver_name(ad) : "(none)");
	kv(s, "Device instance", "%s", hv_nic_hardware_id(nic));
	snprintf(mac, sizeof(mac), "%02x-%02x-%02x-%02x-%02x-%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	kv(s, "MAC address", "%s", mac);
	json_object_set_new(rep, "MINIPORT", s);
}

static void state(json_t *rep, struct hv_nic *nic)
{
	json_t *s = json_object();
	struct ndis_adapter *ad = hv_nic_adapter(nic);
	char st[96], name[96];
	const char *pending = "None";

	kv(s, "Miniport", "%s", ad ? ndis_adapter_state_name(ndis_adapter_state(ad)) : hv_nic_state_name(hv_nic_state(nic)));
	kv(s, "Device PnP", "%s", ad ? "Started" : "No driver");
	if (ad && ndis_adapter_init_status(ad))
		kv(s, "Initialize status", "%s", ndis_status_format(st, sizeof(st), ndis_adapter_init_status(ad)));
	for (size_t i = 0; ad && i < ndis_adapter_oid_record_count(ad); i++) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(ad, i);
		if (r->pending) {
			pending = ndis_oid_format(name, sizeof(name), r->oid);
			break;
		}
	}
	kv(s, "Pending OID", "%s", pending);
	json_object_set_new(rep, "STATE", s);
}

static void bindings(json_t *rep, struct hv_nic *nic)
{
	json_t *a = json_array();
	struct ndis_adapter *ad = hv_nic_adapter(nic);

	for (size_t i = 0; ad && i < ndis_adapter_binding_count(ad); i++) {
		struct ndis_binding_info b;
		char d[128];
		json_t *o;

		if (ndis_adapter_binding_at(ad, i, &b))
			continue;
		o = json_object();
		kv(o, "Protocol", "%s", b.protocol);
		kv(o, "State", "%s", ndis_binding_describe(&b, d, sizeof(d)));
		json_array_append_new(a, o);
	}
	json_object_set_new(rep, "BINDINGS", a);
}

static void sriov(json_t *rep, struct hv_nic *nic)
{
	json_t *s = json_object();
	struct ndis_adapter *ad = hv_nic_adapter(nic);
	NDIS_SRIOV_CAPABILITIES c;
	struct ndis_sriov_view v;
	char t[96];

	memset(&v, 0, sizeof(v));
	if (ad)
		ndis_adapter_sriov_view(ad, &v);
	kv(s, "Hardware capabilities", "%s", ndisq_sriov_caps(ad, false, &c) ? "None" :
		view_sriov_caps_text(c.SriovCapabilities, t, sizeof(t)));
	kv(s, "Current capabilities", "%s", ndisq_sriov_caps(ad, true, &c) ? "None" :
		view_sriov_caps_text(c.SriovCapabilities, t, sizeof(t)));
	kv(s, "Current Configuration", "%s", v.has_cur_sriov && v.switch_created ? "IOV enabled" : "IOV disabled");
	if (v.virtualization_enabled)
		kv(s, "Virtualization", "Enabled, NumVFs %u", v.enabled_vfs);
	else
		kv(s, "Virtualization", "Disabled");
	json_object_set_new(rep, "SR-IOV", s);
}

static void switch_caps(json_t *s, const char *key, struct ndis_adapter *ad, bool current)
{
	NDIS_NIC_SWITCH_CAPABILITIES c;

	if (ndisq_switch_caps(ad, current, &c))
		kv(s, key, "None");
	else
		kv(s, key, "MaxNumSwitches %u, MaxNumVPorts %u, MaxNumVFs %u, MaxNumQueuePairs %u, "
		   "MaxNumQueuePairsPerNonDefaultVPort %u, MaxNumMacAddresses %u, flags 0x%x", c.MaxNumSwitches,
		   c.MaxNumVPorts, c.MaxNumVFs, c.MaxNumQueuePairs, c.MaxNumQueuePairsPerNonDefaultVPort,
		   c.MaxNumMacAddresses, c.NicSwitchCapabilities);
}

static void nicswitch(json_t *rep, struct hv_nic *nic)
{
	json_t *s = json_object();
	struct ndis_adapter *ad = hv_nic_adapter(nic);
	NDIS_NIC_SWITCH_INFO i;
	char name[IF_MAX_STRING_SIZE + 1];

	switch_caps(s, "Hardware capabilities", ad, false);
	switch_caps(s, "Current capabilities", ad, true);
	if (ndisq_switch(ad, &i))
		kv(s, "NIC switches", "None");
	else
		kv(s, "Switch 0", "\"%s\" %s, NumVFs %u (%u allocated), vPorts %u active of %u, queue pairs %u default + %u "
		   "non-default", ndisq_string(&i.SwitchFriendlyName, name, sizeof(name)), view_switch_type_name(i.SwitchType),
		   i.NumVFs, i.NumAllocatedVFs, i.NumActiveVPorts, i.NumVPorts, i.NumQueuePairsForDefaultVPort,
		   i.NumQueuePairsForNonDefaultVPorts);
	json_object_set_new(rep, "NIC SWITCH", s);
}

static void vfs(json_t *rep, struct hv_nic *nic)
{
	json_t *a = json_array();
	NDIS_NIC_SWITCH_VF_INFO *v = NULL;
	NDIS_NIC_SWITCH_VPORT_INFO *vp = NULL;
	size_t n = 0, nvp = 0;
	char s[IF_MAX_STRING_SIZE + 1], mac[24];

	if (!ndisq_vfs(hv_nic_adapter(nic), &v, &n))
		(void)ndisq_vports(hv_nic_adapter(nic), &vp, &nvp);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		char ports[64] = "";
		size_t at = 0;

		for (size_t k = 0; k < nvp; k++)
			if (vp[k].AttachedFunctionId == v[i].VFId)
				at += (size_t)snprintf(ports + at, sizeof(ports) - at, "%s%u", at ? "," : "", vp[k].VPortId);
		json_object_set_new(o, "VF", json_integer(v[i].VFId));
		kv(o, "RID", "0x%04x", v[i].RequestorId);
		kv(o, "VM", "%s", ndisq_string(&v[i].VMFriendlyName, s, sizeof(s)));
		kv(o, "MAC", "%s", view_mac_net(v[i].CurrentMacAddress, mac, sizeof(mac)));
		kv(o, "vPort", "%s", at ? ports : "-");
		kv(o, "NIC", "%s", ndisq_string(&v[i].NicName, s, sizeof(s)));
		json_array_append_new(a, o);
	}
	free(v);
	free(vp);
	json_object_set_new(rep, "VFS", a);
}

static void vports(json_t *rep, struct hv_nic *nic)
{
	json_t *a = json_array();
	NDIS_NIC_SWITCH_VPORT_INFO *vp = NULL;
	struct ndisq_filter *f = NULL;
	size_t n = 0, nf = 0;
	char s[IF_MAX_STRING_SIZE + 1], mac[24];

	if (!ndisq_vports(hv_nic_adapter(nic), &vp, &n))
		(void)ndisq_filters(hv_nic_adapter(nic), &f, &nf);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		char filters[160] = "";
		size_t at = 0;

		for (size_t k = 0; k < nf; k++) {
			if (f[k].vport != vp[i].VPortId)
				continue;
			at += (size_t)snprintf(filters + at, sizeof(filters) - at, "%s%u", at ? "; " : "", f[k].id);
			if (f[k].has_mac && at < sizeof(filters))
				at += (size_t)snprintf(filters + at, sizeof(filters) - at, " %s",
						       view_mac_net(f[k].mac, mac, sizeof(mac)));
			if (f[k].has_vlan && at < sizeof(filters))
				at += (size_t)snprintf(filters + at, sizeof(filters) - at, " VLAN %u", f[k].vlan);
		}
		json_object_set_new(o, "vPort", json_integer(vp[i].VPortId));
		if (vp[i].AttachedFunctionId == NDIS_PF_FUNCTION_ID)
			kv(o, "Function", "PF");
		else
			kv(o, "Function", "VF %u", vp[i].AttachedFunctionId);
		kv(o, "State", "%s", view_vport_state_name(vp[i].VPortState));
		json_object_set_new(o, "QPairs", json_integer(vp[i].NumQueuePairs));
		kv(o, "Moderation", "%s", view_moderation_name(vp[i].InterruptModeration));
		kv(o, "Filters", "%s", at ? filters : "-");
		kv(o, "Name", "%s", ndisq_string(&vp[i].VPortName, s, sizeof(s)));
		json_array_append_new(a, o);
	}
	free(vp);
	free(f);
	json_object_set_new(rep, "VPORTS", a);
}

static json_t *report(struct hv_nic *nic, unsigned opts)
{
	json_t *rep = json_object();

	json_object_set_new(rep, "Adapter", json_string(hv_nic_name(nic)));
	miniport(rep, nic);
	state(rep, nic);
	bindings(rep, nic);
	if (opts & OPT_IOV)
		sriov(rep, nic);
	if (opts & OPT_NICSWITCH)
		nicswitch(rep, nic);
	if (opts & OPT_VFS)
		vfs(rep, nic);
	if (opts & OPT_VPORTS)
		vports(rep, nic);
	return rep;
}

/* ---- inside a guest ------------------------------------------------------------------ */
static json_t *guest_report(const char *vm, const struct vmctl_ndiskd_adapter *a, unsigned opts)
{
	json_t *rep = json_object(), *s, *bs;
	char st[96], name[96];

	json_object_set_new(rep, "Adapter", json_string(a->name));
	json_object_set_new(rep, "VM", json_string(vm));
	s = json_object();
	kv(s, "Description", "%s (%s)", a->name, a->flags & VMCTL_NDISKD_SYNTHETIC ? "Microsoft Hyper-V Network Adapter" :
					       a->flags & VMCTL_NDISKD_VF     ? "SR-IOV VF miniport" :
										"miniport");
	kv(s, "Driver", "%s", a->driver[0] ? a->driver : "(none)");
	json_object_set_new(rep, "MINIPORT", s);

	s = json_object();
	kv(s, "Miniport", "%s", ndis_adapter_state_name((enum ndis_adapter_state)a->state));
	kv(s, "Device PnP", "%s", "Started");
	if (a->init_status)
		kv(s, "Initialize status", "%s", ndis_status_format(st, sizeof(st), a->init_status));
	kv(s, "Pending OID", "%s", a->pending_oid ? ndis_oid_format(name, sizeof(name), a->pending_oid) : "None");
	json_object_set_new(rep, "STATE", s);

	bs = json_array();
	for (uint32_t i = 0; i < a->nbindings; i++) {
		struct ndis_binding_info b = { .protocol = a->bindings[i].protocol, .adapter = a->name,
					       .state = (enum ndis_binding_state)a->bindings[i].state,
					       .status = a->bindings[i].status };
		char d[128];
		json_t *o = json_object();

		kv(o, "Protocol", "%s", b.protocol);
		kv(o, "State", "%s", ndis_binding_describe(&b, d, sizeof(d)));
		json_array_append_new(bs, o);
	}
	if (a->bindings_total > a->nbindings) {
		json_t *o = json_object();

		kv(o, "Protocol", "...");
		kv(o, "State", "%u more not carried by the answer", a->bindings_total - a->nbindings);
		json_array_append_new(bs, o);
	}
	json_object_set_new(rep, "BINDINGS", bs);

	if (opts & OPT_IOV) {
		s = json_object();
		kv(s, "Current capabilities", "%s", a->sriov_caps ? view_sriov_caps_text(a->sriov_caps, st, sizeof(st)) : "None");
		if (a->flags & VMCTL_NDISKD_VF) {
			kv(s, "vPCI interface", "%s", a->flags & VMCTL_NDISKD_VPCI ? "GUID_VPCI_INTERFACE_STANDARD captured" :
										"Not captured (no serial number)");
			if (a->vf_serial)
				kv(s, "VF serial number", "%u", a->vf_serial);
			else
				kv(s, "VF serial number", "None");
		}
		json_object_set_new(rep, "SR-IOV", s);
	}
	return rep;
}

/* The running guest of VM name, waiting (bounded) for one that is starting. */
static struct vmwp *guest_of(struct hv_host *h, const char *name, char *err, size_t errlen, int *rc)
{
	struct vstack_vm *vm = vstack_vm_find(hv_host_vstack(h), name);
	struct vmwp *w;

	if (!vm) {
		snprintf(err, errlen, "ndiskd netadapter -vm: no VM '%s'", name);
		*rc = -ENOENT;
		return NULL;
	}
	if (!hv_host_runs_guests(h)) {
		snprintf(err, errlen, "ndiskd netadapter -vm %s: needs the VM's guest (this host runs none: --host-only)",
			 name);
		*rc = -EAGAIN;
		return NULL;
	}
	for (int waited = 0; (w = hv_host_vm_guest(h, vm)) && vmwp_state(w) == VMWP_STARTING &&
			     waited < NDISKD_GUEST_UP_MS; waited += 2)
		(void)hv_host_run(h, 2);
	if (!w || vmwp_state(w) != VMWP_RUNNING) {
		snprintf(err, errlen, "ndiskd netadapter -vm %s: the VM has no running guest", name);
		*rc = -ENODEV;
		return NULL;
	}
	return w;
}

/* Ask vm's guest NDIS for its adapters (VMCTL_MSG_NDISKD_QUERY); 0 and *out, or -errno and err. */
static int guest_query(struct hv_host *h, const char *name, struct vmctl_ndiskd *out, char *err, size_t errlen)
{
	struct vstack_vm *vm;
	struct vmwp *w;
	int rc = 0, seq;

	if (!(w = guest_of(h, name, err, errlen, &rc)))
		return rc;
	vm = vmwp_vm(w);
	if ((seq = vmwp_ndiskd_query(w)) < 0) {
		snprintf(err, errlen, "ndiskd netadapter -vm %s: the control channel refused the query (%s)", name,
			 strerror(-seq));
		return seq;
	}
	for (int waited = 0; waited < NDISKD_GUEST_ANSWER_MS; waited += 2) {
		/* The loop may reap the VM: look it up again each round. */
		if (hv_host_vm_guest(h, vm) != w || vmwp_state(w) != VMWP_RUNNING)
			break;
		if (vmwp_ndiskd(w, seq, out))
			return 0;
		(void)hv_host_run(h, 2);
	}
	snprintf(err, errlen, "ndiskd netadapter -vm %s: the guest did not answer", name);
	return -ETIMEDOUT;
}

int ndiskd_guest_query(struct hv_host *h, const char *vm, struct vmctl_ndiskd *out, char *err, size_t errlen)
{
	return guest_query(h, vm, out, err, errlen);
}

static int guest_reports(struct hv_host *h, const char *vm, const char *only, unsigned opts, json_t *all, char *err,
			 size_t errlen)
{
	static struct vmctl_ndiskd m;	/* 1.7 KiB, one view at a time */
	bool found = false;
	int rc;

	if (opts & (OPT_VFS | OPT_VPORTS | OPT_NICSWITCH)) {
		snprintf(err, errlen, "ndiskd netadapter -vm: -vfs, -vports and -nicswitch are the host PF's; a guest "
			 "takes -bindings and -iov");
		return -EINVAL;
	}
	if ((rc = guest_query(h, vm, &m, err, errlen)))
		return rc;
	for (uint32_t i = 0; i < m.nadapters; i++) {
		if (only && strcasecmp(only, m.adapters[i].name))
			continue;
		found = true;
		json_array_append_new(all, guest_report(vm, &m.adapters[i], opts));
	}
	if (only && !found) {
		snprintf(err, errlen, "ndiskd netadapter -vm %s: no adapter '%s' in the guest", vm, only);
		return -ENOENT;
	}
	if (m.adapters_total > m.nadapters) {
		json_t *o = json_object();

		json_object_set_new(o, "Adapter", json_string("..."));
		json_object_set_new(o, "VM", json_string(vm));
		json_object_set_new(o, "MORE", json_pack("{s:i}", "Adapters not carried by the answer",
							  (int)(m.adapters_total - m.nadapters)));
		json_array_append_new(all, o);
	}
	return 0;
}

static const char *text_of(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, len, "?");
	return buf;
}

/* A table section: the first row's keys are the columns; widths from the data. */
static void text_table(FILE *f, json_t *a, const char *empty)
{
	size_t w[16] = { 0 }, ncol = 0, i;
	const char *key;
	json_t *row, *v;
	char buf[64];

	if (!json_array_size(a)) {
		fprintf(f, "    %s\n", empty);
		return;
	}
	json_object_foreach(json_array_get(a, 0), key, v) {
		if (ncol < 16)
			w[ncol++] = strlen(key);
	}
	json_array_foreach(a, i, row) {
		size_t c = 0;
		json_object_foreach(row, key, v) {
			size_t k = strlen(text_of(v, buf, sizeof(buf)));
			if (c < 16 && k > w[c])
				w[c] = k;
			c++;
		}
	}
	fprintf(f, "   ");
	{
		size_t c = 0;
		json_object_foreach(json_array_get(a, 0), key, v) {
			fprintf(f, " %-*s", c + 1 < ncol ? (int)w[c] : 0, key);
			c++;
		}
	}
	fprintf(f, "\n");
	json_array_foreach(a, i, row) {
		size_t c = 0;
		fprintf(f, "   ");
		json_object_foreach(row, key, v) {
			fprintf(f, " %-*s", c + 1 < ncol ? (int)w[c] : 0, text_of(v, buf, sizeof(buf)));
			c++;
		}
		fprintf(f, "\n");
	}
}

static void text_report(FILE *f, json_t *rep)
{
	const char *sec;
	json_t *v;

	json_object_foreach(rep, sec, v) {
		const char *key;
		json_t *x;

		if (!json_is_object(v) && !json_is_array(v))
			continue;	/* "Adapter", "VM": named in the header */
		fprintf(f, "%s\n", sec);
		if (json_is_array(v)) {
			text_table(f, v, !strcmp(sec, "BINDINGS") ? "Protocol list      None" :
					 !strcmp(sec, "VFS") ? "No VFs allocated" : "No vPorts");
		} else {
			json_object_foreach(v, key, x) {
				char buf[64];
				if (!strcmp(key, "Description"))
					fprintf(f, "    %s\n", json_string_value(x));
				else
					fprintf(f, "    %-22s %s\n", key, text_of(x, buf, sizeof(buf)));
			}
		}
		fprintf(f, "\n");
	}
}

int ndiskd_show(struct hv_host *h, int argc, char *const argv[], enum views_output out, FILE *f, char *err,
		size_t errlen)
{
	static const struct { const char *name; unsigned bit; } opts[] = {
		{ "-iov", OPT_IOV }, { "-vfs", OPT_VFS }, { "-vports", OPT_VPORTS }, { "-nicswitch", OPT_NICSWITCH },
		{ "-nicswitches", OPT_NICSWITCH }, { "-bindings", OPT_BINDINGS },
	};
	const char *cmd = NULL, *only = NULL, *vm = NULL;
	unsigned o = 0;
	int i = 1, rc = 0;
	json_t *all;

	if (!strncasecmp(argv[0], "!ndiskd.", 8))
		cmd = argv[0] + 8;
	else if (argc > 1)
		cmd = argv[i++];
	if (!cmd || (strcasecmp(cmd, "netadapter") && strcasecmp(cmd, "miniport"))) {
		snprintf(err, errlen, "ndiskd: only netadapter (alias miniport) is built, not '%s'", cmd ? cmd : "");
		return -EINVAL;
	}
	for (; i < argc; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcasecmp(argv[i], opts[k].name)) {
				o |= opts[k].bit;
				known = true;
			}
		if (known)
			continue;
		if (!strcasecmp(argv[i], "-handle") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcasecmp(argv[i], "-vm") && i + 1 < argc && !vm) {
			vm = argv[++i];
		} else if (argv[i][0] != '-' && !only) {
			only = argv[i];
		} else {
			snprintf(err, errlen, "ndiskd netadapter: unknown option '%s' (-iov -vfs -vports -nicswitch -bindings "
				 "-handle NIC -vm VM)", argv[i]);
			return -EINVAL;
		}
	}
	if (!vm && only && !hv_host_nic_find(h, only)) {
		snprintf(err, errlen, "ndiskd netadapter: no adapter '%s'", only);
		return -ENOENT;
	}
	all = json_array();
	if (vm) {
		if ((rc = guest_reports(h, vm, only, o, all, err, errlen))) {
			json_decref(all);
			return rc;
		}
	}
	for (size_t n = 0; !vm && n < hv_host_nic_count(h); n++) {
		struct hv_nic *nic = hv_host_nic_at(h, n);
		if (!only || !strcasecmp(only, hv_nic_name(nic)))
			json_array_append_new(all, report(nic, o));
	}
	if (out == VIEWS_JSON) {
		json_dumpf(all, f, JSON_INDENT(2));
		fprintf(f, "\n");
	} else {
		size_t k;
		json_t *rep;

		if (vm)
			fprintf(f, "Inside %s (its guest's NDIS, asked over the control channel):\n", vm);
		fprintf(f, "0: kd> !ndiskd.netadapter");
		for (int a = strncasecmp(argv[0], "!ndiskd.", 8) ? 2 : 1; a < argc; a++) {
			if (vm && !strcasecmp(argv[a], "-vm") && a + 1 < argc) {
				a++;	/* the debugger is attached to that VM: not an option of its own */
				continue;
			}
			fprintf(f, " %s", argv[a]);
		}
		fprintf(f, "\n\n");
		json_array_foreach(all, k, rep)
			text_report(f, rep);
	}
	json_decref(all);
	return 0;
}
