/*
 * The miniport adapter: creation from a hardware ID (INF model -> driver ->
 * registry), and the adapter state machine NDIS runs a miniport through
 * (net:miniport-adapter-states-and-operations; diagram in
 * docs/ndis/adapter-states.md):
 *
 *   Halted -> Initializing -> Paused <-> Restarting -> Running -> Pausing -> Paused
 *   Initializing -> Halted (MiniportInitializeEx failed)
 *   Restarting -> Paused (MiniportRestart failed)
 *   Paused -> Halting -> Halted
 *
 * Every change goes through ndis__adapter_set_state(), which checks the table
 * and traces old -> new. Pause, restart and the OIDs NDIS issues while
 * halting may pend; the adapter then waits in its state and
 * ndis__adapter_progress() finishes the job when the miniport completes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dlfcn.h>

#include "ndis/internal.h"
#include "base/trace.h"

static const char *const state_names[NDIS_ADAPTER_STATE_COUNT] = {
	[NDIS_ADAPTER_HALTED] = "Halted",
	[NDIS_ADAPTER_INITIALIZING] = "Initializing",
	[NDIS_ADAPTER_PAUSED] = "Paused",
	[NDIS_ADAPTER_RESTARTING] = "Restarting",
	[NDIS_ADAPTER_RUNNING] = "Running",
	[NDIS_ADAPTER_PAUSING] = "Pausing",
	[NDIS_ADAPTER_HALTING] = "Halting",
};

/* allowed[from][to] */
static const bool allowed[NDIS_ADAPTER_STATE_COUNT][NDIS_ADAPTER_STATE_COUNT] = {
	[NDIS_ADAPTER_HALTED] = { [NDIS_ADAPTER_INITIALIZING] = true },
	[NDIS_ADAPTER_INITIALIZING] = { [NDIS_ADAPTER_PAUSED] = true, [NDIS_ADAPTER_HALTED] = true },
	[NDIS_ADAPTER_PAUSED] = { [NDIS_ADAPTER_RESTARTING] = true, [NDIS_ADAPTER_HALTING] = true },
	[NDIS_ADAPTER_RESTARTING] = { [NDIS_ADAPTER_RUNNING] = true, [NDIS_ADAPTER_PAUSED] = true },
	[NDIS_ADAPTER_RUNNING] = { [NDIS_ADAPTER_PAUSING] = true },
	[NDIS_ADAPTER_PAUSING] = { [NDIS_ADAPTER_PAUSED] = true },
	[NDIS_ADAPTER_HALTING] = { [NDIS_ADAPTER_HALTED] = true },
};

const char *ndis_adapter_state_name(enum ndis_adapter_state s)
{
	return (unsigned)s < NDIS_ADAPTER_STATE_COUNT ? state_names[s] : "?";
}

bool ndis_adapter_state_transition_allowed(enum ndis_adapter_state from, enum ndis_adapter_state to)
{
	return (unsigned)from < NDIS_ADAPTER_STATE_COUNT && (unsigned)to < NDIS_ADAPTER_STATE_COUNT &&
	       allowed[from][to];
}

int ndis__adapter_set_state(struct ndis_adapter *ad, enum ndis_adapter_state to)
{
	if (!ndis_adapter_state_transition_allowed(ad->state, to)) {
		log_error(NDIS_LOG, "adapter '%s': transition %s -> %s refused", ad->name,
			  ndis_adapter_state_name(ad->state), ndis_adapter_state_name(to));
		return -EPERM;
	}
	log_info(NDIS_LOG, "adapter '%s': %s -> %s", ad->name, ndis_adapter_state_name(ad->state),
		 ndis_adapter_state_name(to));
	ad->state = to;
	return 0;
}

bool ndis__range_has(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *s = p;

		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(s, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

bool ndis__ranges_intersect(const char *a, const char *b)
{
	char tok[64];

	for (const char *p = a; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len && len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = 0;
			if (ndis__range_has(b, tok))
				return true;
		}
		p = e ? strchr(p, ',') + 1 : NULL;
	}
	return false;
}

bool ndis__adapter_is_vf(const struct ndis_adapter *ad)
{
	return ndis__range_has(ad->upper_range, "ndisvf") || ndis__range_has(ad->lower_range, "iovvf") ||
	       ad->vpci != NULL;
}

bool ndis__adapter_is_pf(const struct ndis_adapter *ad)
{
	return ad->has_hw_sriov && (ad->hw_sriov.SriovCapabilities & NDIS_SRIOV_CAPS_PF_MINIPORT);
}

void ndis__adapter_record_read(struct ndis_adapter *ad, const char *keyword, bool found, const char *value)
{
	struct ndis_config_read *r;

	if (ad->n_reads == ad->cap_reads) {
		size_t cap = ad->cap_reads ? ad->cap_reads * 2 : 16;
		struct ndis_config_read *n = realloc(ad->reads, cap * sizeof(*n));
		if (!n)
			return;
		ad->reads = n;
		ad->cap_reads = cap;
	}
	r = &ad->reads[ad->n_reads++];
	memset(r, 0, sizeof(*r));
	ndis__strlcpy(r->keyword, keyword, sizeof(r->keyword));
	r->found = found;
	ndis__strlcpy(r->value, value ? value : "", sizeof(r->value));
	log_debug(NDIS_LOG, "adapter '%s': NdisReadConfiguration %s -> %s", ad->name, keyword,
		  found ? r->value : "(not present)");
}

/* ---- keywords ------------------------------------------------------------- */
static int split_keyword(const char *keyword, char *sub, size_t sublen, const char **name)
{
	const char *sep = strrchr(keyword, '\\');

	if (!sep) {
		sub[0] = 0;
		*name = keyword;
		return 0;
	}
	if ((size_t)(sep - keyword) >= sublen)
		return -EINVAL;
	memcpy(sub, keyword, (size_t)(sep - keyword));
	sub[sep - keyword] = 0;
	*name = sep + 1;
	return 0;
}

static int keyword_set(struct ndis_reg_key *reg, const char *keyword, const char *value, char *err, size_t errlen)
{
	char sub[128], path[192];
	const char *name;
	struct ndis_reg_key *key;
	const struct ndis_reg_key *params;
	const struct ndis_reg_value *old;

	if (!keyword || !value || !keyword[0] || split_keyword(keyword, sub, sizeof(sub), &name) || !name[0]) {
		snprintf(err, errlen, "malformed keyword");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "Ndi\\params\\%s", name);
	params = sub[0] ? NULL : ndis_reg_open_const(reg, path);
	if (params) {
		const struct ndis_reg_value *type = ndis_reg_get(params, "type");
		const char *t = type && type->type == NDIS_REG_SZ ? (const char *)type->data : "edit";

		if (!strcasecmp(t, "enum")) {
			const struct ndis_reg_key *en = ndis_reg_open_const(params, "enum");
			if (!en || !ndis_reg_get(en, value)) {
				snprintf(err, errlen, "%s: \"%s\" is not one of the keyword's values", keyword, value);
				return -EINVAL;
			}
		} else if (strcasecmp(t, "edit") != 0) {
			const struct ndis_reg_value *base = ndis_reg_get(params, "base");
			int hex = base && base->type == NDIS_REG_SZ && !strcmp((const char *)base->data, "16");
			long long v, lim;
			char *end;
			const struct ndis_reg_value *mn = ndis_reg_get(params, "min"), *mx = ndis_reg_get(params, "max");

			v = strtoll(value, &end, hex ? 16 : 10);
			if (end == value || *end) {
				snprintf(err, errlen, "%s: \"%s\" is not a number", keyword, value);
				return -EINVAL;
			}
			if (mn && mn->type == NDIS_REG_SZ && (lim = strtoll((const char *)mn->data, NULL, hex ? 16 : 10)) > v) {
				snprintf(err, errlen, "%s: %lld is below the minimum %lld", keyword, v, lim);
				return -EINVAL;
			}
			if (mx && mx->type == NDIS_REG_SZ && (lim = strtoll((const char *)mx->data, NULL, hex ? 16 : 10)) < v) {
				snprintf(err, errlen, "%s: %lld is above the maximum %lld", keyword, v, lim);
				return -EINVAL;
			}
		}
	}
	key = ndis_reg_open(reg, sub, 1);
	if (!key)
		return -ENOMEM;
	old = ndis_reg_get(key, name);
	if (old && old->type == NDIS_REG_DWORD) {
		uint32_t u;
		if (ndis_reg_parse_uint(value, 0, &u)) {
			snprintf(err, errlen, "%s is a REG_DWORD; \"%s\" is not a number", keyword, value);
			return -EINVAL;
		}
		return ndis_reg_set_dword(key, name, u);
	}
	return ndis_reg_set_sz(key, name, value);
}

int ndis_adapter_set_keyword(struct ndis_adapter *ad, const char *keyword, const char *value,
			     char *err, size_t errlen)
{
	char e[160];
	int rc = keyword_set(ad->reg, keyword, value, e, sizeof(e));

	if (rc) {
		log_error(NDIS_LOG, "adapter '%s': keyword refused: %s", ad->name, e);
		if (err)
			ndis__strlcpy(err, e, errlen);
		return rc;
	}
	log_info(NDIS_LOG, "adapter '%s': keyword %s = %s (seen by the miniport at its next initialization)",
		 ad->name, keyword, value);
	return 0;
}

int ndis_adapter_get_keyword(const struct ndis_adapter *ad, const char *keyword, char *buf, size_t len)
{
	char sub[128];
	const char *name;
	const struct ndis_reg_value *v;

	if (split_keyword(keyword, sub, sizeof(sub), &name))
		return -EINVAL;
	v = ndis_reg_get(ndis_reg_open_const(ad->reg, sub), name);
	if (!v)
		return -ENOENT;
	ndis_reg_value_format(v, buf, len);
	return 0;
}

size_t ndis_adapter_config_read_count(const struct ndis_adapter *ad)
{
	return ad->n_reads;
}

const struct ndis_config_read *ndis_adapter_config_read_at(const struct ndis_adapter *ad, size_t i)
{
	return i < ad->n_reads ? &ad->reads[i] : NULL;
}

/* ---- lifecycle -------------------------------------------------------------- */
static void load_ranges(struct ndis_adapter *ad)
{
	const struct ndis_reg_key *ifs = ndis_reg_open_const(ad->reg, "Ndi\\Interfaces");

	ndis_reg_value_format(ndis_reg_get(ifs, "UpperRange"), ad->upper_range, sizeof(ad->upper_range));
	ndis_reg_value_format(ndis_reg_get(ifs, "LowerRange"), ad->lower_range, sizeof(ad->lower_range));
}

static int do_restart(struct ndis_adapter *ad)
{
	NDIS_MINIPORT_RESTART_PARAMETERS rp;
	struct ndis_call call;
	NDIS_STATUS st;
	int rc = ndis__adapter_set_state(ad, NDIS_ADAPTER_RESTARTING);

	if (rc)
		return rc;
	memset(&rp, 0, sizeof(rp));
	rp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	rp.Header.Revision = NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1;
	rp.Header.Size = sizeof(rp);
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	st = ad->drv->mchars.RestartHandler(ad->ctx, &rp);
	ndis__call_leave(&call);
	if (st == NDIS_STATUS_PENDING)
		return -EINPROGRESS;
	return ndis__adapter_restart_complete(ad, (uint32_t)st);
}

int ndis__adapter_restart_complete(struct ndis_adapter *ad, uint32_t status)
{
	if (ad->state != NDIS_ADAPTER_RESTARTING) {
		ndis__adapter_finding(ad, NDIS_RULE_STATE, "NdisMRestartComplete while the adapter is %s",
				      ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	if (status != (uint32_t)NDIS_STATUS_SUCCESS) {
		log_error(NDIS_LOG, "adapter '%s': MiniportRestart failed with %s", ad->name, ndis__status_str(status));
		ndis__adapter_set_state(ad, NDIS_ADAPTER_PAUSED);
		ndis__adapter_progress(ad);
		return -EIO;
	}
	ndis__adapter_set_state(ad, NDIS_ADAPTER_RUNNING);
	ndis__adapter_pnp_to_bindings(ad, NetEventRestart);
	ndis__interrupt_run_pending(ad);	/* held while Restarting (api_interrupt.c) */
	ndis__adapter_progress(ad);
	return 0;
}

static int do_pause(struct ndis_adapter *ad, ULONG reason)
{
	NDIS_MINIPORT_PAUSE_PARAMETERS pp;
	struct ndis_call call;
	NDIS_STATUS st;
	int rc = ndis__adapter_set_state(ad, NDIS_ADAPTER_PAUSING);

	if (rc)
		return rc;
	/* NDIS pauses the stack top-down: bindings first, then the miniport. */
	ndis__adapter_pnp_to_bindings(ad, NetEventPause);
	memset(&pp, 0, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
	pp.Header.Size = sizeof(pp);
	pp.PauseReason = reason;
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	st = ad->drv->mchars.PauseHandler(ad->ctx, &pp);
	ndis__call_leave(&call);
	if (st == NDIS_STATUS_PENDING)
		return -EINPROGRESS;
	if (st != NDIS_STATUS_SUCCESS)
		log_warn(NDIS_LOG, "adapter '%s': MiniportPause returned %s (it must succeed or pend)", ad->name,
			 ndis__status_str((uint32_t)st));
	return ndis__adapter_pause_complete(ad);
}

int ndis__adapter_pause_complete(struct ndis_adapter *ad)
{
	if (ad->state != NDIS_ADAPTER_PAUSING) {
		ndis__adapter_finding(ad, NDIS_RULE_STATE, "NdisMPauseComplete while the adapter is %s",
				      ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	ndis__nbl_check_quiesced(ad, "pause");
	ndis__adapter_set_state(ad, NDIS_ADAPTER_PAUSED);
	ndis__interrupt_run_pending(ad);	/* held while Pausing (api_interrupt.c) */
	ndis__adapter_progress(ad);
	return 0;
}

static void clear_init_state(struct ndis_adapter *ad)
{
	ndis__adapter_clear_attributes(ad);
	ndis__nicswitch_clear(ad);
	ad->hypervisor_info_called = false;
	ad->media_state_known = false;
	ad->vpci_iface_valid = false;
	memset(&ad->vpci_iface, 0, sizeof(ad->vpci_iface));
	ad->virt_enabled = false;
	ad->virt_num_vfs = 0;
	ad->surprise_removed = false;
	ad->delete_switch_issued = false;
}

static void do_halt(struct ndis_adapter *ad)
{
	struct ndis_call call;

	ndis__adapter_set_state(ad, NDIS_ADAPTER_HALTING);
	ndis__nbl_check_quiesced(ad, "halt");
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	ad->drv->mchars.HaltHandlerEx(ad->ctx, ad->halt_action);
	ndis__call_leave(&call);
	if (ad->n_maps) {
		log_warn(NDIS_LOG, "adapter '%s': MiniportHaltEx left %u I/O range(s) mapped (NdisMUnmapIoSpace missing)",
			 ad->name, ad->n_maps);
		ndis__io_unmap_all(ad);
	}
	ndis__interrupt_adapter_fini(ad);
	ndis__dma_adapter_fini(ad);
	if (ad->virt_enabled)
		log_warn(NDIS_LOG, "adapter '%s': halted with virtualization still enabled "
			 "(a PF calls NdisMEnableVirtualization(0, FALSE) in MiniportHaltEx or DELETE_SWITCH)", ad->name);
	ndis__nbl_adapter_fini(ad);
	ndis__adapter_set_state(ad, NDIS_ADAPTER_HALTED);
	clear_init_state(ad);
	ad->halt_requested = false;
}

/* One step of a halt; 0 when halted, -EINPROGRESS while waiting. */
static int halt_step_locked(struct ndis_adapter *ad)
{
	int rc;

	for (;;) {
		switch (ad->state) {
		case NDIS_ADAPTER_HALTED:
			ad->halt_requested = false;
			return 0;
		case NDIS_ADAPTER_RUNNING:
			rc = do_pause(ad, NDIS_PAUSE_MINIPORT_DEVICE_REMOVE);
			if (rc && rc != -EINPROGRESS)
				return rc;
			if (ad->state != NDIS_ADAPTER_PAUSED)
				return -EINPROGRESS;
			continue;
		case NDIS_ADAPTER_PAUSED:
			if ((rc = ndis__adapter_unbind_all(ad)))
				return rc;
			if (ad->switch_created && !ad->delete_switch_issued) {
				if ((rc = ndis__nicswitch_delete(ad)))
					return rc;
				continue;
			}
			if (!ndis__oid_idle(ad))
				return -EINPROGRESS;
			do_halt(ad);
			return 0;
		case NDIS_ADAPTER_INITIALIZING:
		case NDIS_ADAPTER_HALTING:
			return -EPERM;
		case NDIS_ADAPTER_PAUSING:
		case NDIS_ADAPTER_RESTARTING:
			return -EINPROGRESS;
		}
	}
}

/*
 * Completions (pause, restart, OIDs, unbinds) call ndis__adapter_progress();
 * stepping keeps a completion that happens inside a step from re-entering it
 * -- the outer step re-reads the state when the call returns.
 */
static int halt_step(struct ndis_adapter *ad)
{
	int rc;

	if (ad->stepping)
		return -EINPROGRESS;
	ad->stepping = true;
	rc = halt_step_locked(ad);
	ad->stepping = false;
	return rc;
}

void ndis__adapter_progress(struct ndis_adapter *ad)
{
	if (ad->halt_requested && !ad->stepping)
		(void)halt_step(ad);
}

static int do_initialize(struct ndis_adapter *ad)
{
	NDIS_MINIPORT_INIT_PARAMETERS ip;
	struct ndis_call call;
	NDIS_STATUS st;
	int rc;

	if ((rc = ndis__adapter_set_state(ad, NDIS_ADAPTER_INITIALIZING)))
		return rc;
	clear_init_state(ad);
	ad->n_reads = 0;
	load_ranges(ad);
	/* NDIS generates the PF LUID before MiniportInitializeEx (spec 3.3). */
	ad->pf_luid.LowPart = ad->fw->next_luid++;
	ad->pf_luid.HighPart = 0;
	ad->ifindex = ad->fw->next_ifindex++;
	ad->net_luid.Value = 0;
	ad->net_luid.Info.IfType = IF_TYPE_ETHERNET_CSMACD;
	ad->net_luid.Info.NetLuidIndex = ad->ifindex;
	/* Guest: the vPCI interface the device stack offers (spec 6.5). */
	if (ad->vpci && ad->vpci->query_interface) {
		VPCI_INTERFACE_STANDARD iface;

		memset(&iface, 0, sizeof(iface));
		rc = ad->vpci->query_interface(ad->vpci_ctx, &iface);
		if (rc == 0) {
			ad->vpci_iface = iface;
			ad->vpci_iface_valid = true;
			log_info(NDIS_LOG, "adapter '%s': GUID_VPCI_INTERFACE_STANDARD captured (serial number %u)",
				 ad->name, iface.SerialNumber);
		} else {
			log_warn(NDIS_LOG, "adapter '%s': IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) failed (%d): "
				 "no driver in the device stack answered; OID_SRIOV_VF_SERIAL_NUMBER will fail", ad->name, rc);
		}
	}
	memset(&ip, 0, sizeof(ip));
	ip.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS;
	ip.Header.Revision = NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1;
	ip.Header.Size = NDIS_SIZEOF_MINIPORT_INIT_PARAMETERS_REVISION_1;
	ip.IfIndex = ad->ifindex;
	ip.NetLuid = ad->net_luid;
	log_info(NDIS_LOG, "adapter '%s': calling MiniportInitializeEx of %s", ad->name, ad->drv->name);
	trace_span_begin("ndis", "MiniportInitializeEx", "adapter=%s driver=%s partition=%s", ad->name, ad->drv->name,
			 ndis_partition_name(ad->fw->partition));
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	st = ad->drv->mchars.InitializeHandlerEx(ad, ad->drv->driver_context, &ip);
	ndis__call_leave(&call);
	trace_span_end();
	ad->init_status = (uint32_t)st;
	if (st == NDIS_STATUS_PENDING) {
		ndis__adapter_finding(ad, NDIS_RULE_STATE, "MiniportInitializeEx returned NDIS_STATUS_PENDING; it completes synchronously");
		st = NDIS_STATUS_FAILURE;
	}
	if (st != NDIS_STATUS_SUCCESS) {
		log_error(NDIS_LOG, "adapter '%s': MiniportInitializeEx failed with %s", ad->name,
			  ndis__status_str((uint32_t)st));
		ndis__adapter_set_state(ad, NDIS_ADAPTER_HALTED);
		clear_init_state(ad);
		return -EIO;
	}
	ndis__adapter_set_state(ad, NDIS_ADAPTER_PAUSED);
	if (!ad->have_reg_attrs || !ad->have_gen_attrs) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_ORDER,
				      "MiniportInitializeEx succeeded without %s attributes; NDIS halts the adapter",
				      !ad->have_reg_attrs ? "registration" : "general");
		ad->init_status = (uint32_t)NDIS_STATUS_FAILURE;
		ad->halt_action = NdisHaltDeviceInitializationFailed;
		do_halt(ad);
		return -EIO;
	}
	ndis__adapter_check_initialized(ad);
	ndis__nicswitch_create(ad);
	ndis__adapter_bind_all(ad);
	/* A restart that pends or fails leaves the adapter Restarting or
	 * Paused; initialization itself succeeded. */
	(void)do_restart(ad);
	return 0;
}

static void strip_part(char *id, const char *tag, size_t digits)
{
	char *p = strcasestr(id, tag);

	if (p && strlen(p) >= strlen(tag) + digits)
		memmove(p, p + strlen(tag) + digits, strlen(p + strlen(tag) + digits) + 1);
}

static const struct ndis_inf_model *match_model(struct ndis_framework *fw, const char *hwid,
						const struct ndis_package **pkg)
{
	char ids[4][200];
	const struct ndis_inf_model *m;

	/* PnP ranks the device's IDs: with REV and SUBSYS, without REV,
	 * without SUBSYS, bare VEN&DEV. */
	for (int i = 0; i < 4; i++)
		ndis__strlcpy(ids[i], hwid, sizeof(ids[i]));
	strip_part(ids[1], "&REV_", 2);
	strip_part(ids[2], "&SUBSYS_", 8);
	strip_part(ids[3], "&REV_", 2);
	strip_part(ids[3], "&SUBSYS_", 8);
	for (int i = 0; i < 4; i++)
		if ((m = ndis__find_model(fw, ids[i], pkg)))
			return m;
	return NULL;
}

static void adapter_free(struct ndis_adapter *ad)
{
	ndis__handle_remove(ad);
	ndis_reg_destroy(ad->reg);
	free(ad->reads);
	free(ad->records);
	ndis__adapter_clear_attributes(ad);
	ndis__nicswitch_clear(ad);
	free(ad->vfs);
	free(ad->vports);
	free(ad->filters);
	free(ad);
}

int ndis_adapter_create(struct ndis_framework *fw, const struct ndis_adapter_params *p,
			struct ndis_adapter **out)
{
	const struct ndis_package *pkg = NULL;
	const struct ndis_inf_model *model;
	struct ndis_adapter *ad, **tail;
	char err[160];
	int rc;

	if (out)
		*out = NULL;
	if (!fw || !p || !out || !p->name || !p->name[0] || !p->hardware_id)
		return -EINVAL;
	if (ndis_framework_find_adapter(fw, p->name)) {
		log_error(NDIS_LOG, "adapter '%s' exists already", p->name);
		return -EEXIST;
	}
	model = match_model(fw, p->hardware_id, &pkg);
	if (!model) {
		log_error(NDIS_LOG, "adapter '%s': no installed driver package serves %s", p->name, p->hardware_id);
		return -ENOENT;
	}
	ad = calloc(1, sizeof(*ad));
	if (!ad)
		return -ENOMEM;
	ad->fw = fw;
	ad->pkg = pkg;
	ad->model = model;
	ad->state = NDIS_ADAPTER_HALTED;
	ndis__strlcpy(ad->name, p->name, sizeof(ad->name));
	ndis__strlcpy(ad->hwid, p->hardware_id, sizeof(ad->hwid));
	ad->bus = p->bus;
	ad->bus_ctx = p->bus_ctx;
	ad->vpci = p->vpci;
	ad->vpci_ctx = p->vpci_ctx;
	ad->over_vbd = p->over_vbd;
	ad->pdo = p->pdo;
	ad->fdo = p->fdo;
	ad->next_device = p->next_device;
	ad->next_filter_id = 1;
	ad->reg = ndis_reg_create();
	if (!ad->reg || ndis__handle_add(ad, NDIS_H_ADAPTER)) {
		adapter_free(ad);
		return -ENOMEM;
	}
	if ((rc = ndis_inf_apply(model->install, ad->reg))) {
		adapter_free(ad);
		return rc;
	}
	for (size_t i = 0; i < p->n_keywords; i++) {
		if ((rc = keyword_set(ad->reg, p->keywords[i].name, p->keywords[i].value, err, sizeof(err)))) {
			log_error(NDIS_LOG, "adapter '%s': keyword override refused: %s", ad->name, err);
			adapter_free(ad);
			return rc;
		}
	}
	load_ranges(ad);
	rc = ndis__driver_get(fw, pkg, model->install, &ad->drv);
	if (rc) {
		adapter_free(ad);
		return rc == -ENOMEM ? rc : -ENOEXEC;
	}
	if (ad->drv->role != NDIS_DRIVER_MINIPORT) {
		log_error(NDIS_LOG, "adapter '%s': driver %s is not a miniport", ad->name, ad->drv->name);
		adapter_free(ad);
		return -ENOEXEC;
	}
	ad->drv->n_adapters++;
	for (tail = &fw->adapters; *tail; tail = &(*tail)->next)
		;
	*tail = ad;
	log_info(NDIS_LOG, "adapter '%s' (%s) served by %s via %s [%s]", ad->name, ad->hwid, ad->drv->name,
		 ndis_inf_name(pkg->inf), model->install->name);
	*out = ad;
	rc = do_initialize(ad);
	return rc;
}

void ndis_adapter_destroy(struct ndis_adapter *ad)
{
	struct ndis_framework *fw;
	struct ndis_adapter **pp;

	if (!ad)
		return;
	fw = ad->fw;
	if (ad->state != NDIS_ADAPTER_HALTED) {
		ad->halt_requested = true;
		if (ad->halt_action == 0)
			ad->halt_action = NdisHaltDeviceDisabled;
		if (halt_step(ad) != 0) {
			/* The miniport or a protocol never finished: report, then force. */
			ndis__oid_abort_all(ad, true);
			if (ad->state == NDIS_ADAPTER_PAUSING || ad->state == NDIS_ADAPTER_RESTARTING) {
				ndis__adapter_finding(ad, NDIS_RULE_STATE, "%s never completed; NDIS tears the adapter down",
						      ad->state == NDIS_ADAPTER_PAUSING ? "MiniportPause" : "MiniportRestart");
				log_warn(NDIS_LOG, "adapter '%s': forcing %s -> Paused for teardown", ad->name,
					 ndis_adapter_state_name(ad->state));
				ad->state = NDIS_ADAPTER_PAUSED;
			}
			if (halt_step(ad) != 0 && ad->state == NDIS_ADAPTER_PAUSED) {
				log_warn(NDIS_LOG, "adapter '%s': bindings did not close; halting anyway", ad->name);
				ndis__adapter_force_unbind(ad);
				ndis__oid_abort_all(ad, true);
				if (ad->state == NDIS_ADAPTER_PAUSED)
					do_halt(ad);
			}
		}
	}
	for (pp = &fw->adapters; *pp; pp = &(*pp)->next)
		if (*pp == ad) {
			*pp = ad->next;
			break;
		}
	ndis__oid_abort_all(ad, false);
	if (ad->drv)
		ndis__driver_put(ad->drv);
	log_info(NDIS_LOG, "adapter '%s' removed", ad->name);
	adapter_free(ad);
}

int ndis_adapter_halt(struct ndis_adapter *ad, NDIS_HALT_ACTION action)
{
	if (ad->state == NDIS_ADAPTER_HALTED || ad->state == NDIS_ADAPTER_INITIALIZING ||
	    ad->state == NDIS_ADAPTER_HALTING) {
		log_error(NDIS_LOG, "adapter '%s': cannot halt while %s", ad->name, ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	ad->halt_requested = true;
	ad->halt_action = action;
	return halt_step(ad);
}

int ndis_adapter_start(struct ndis_adapter *ad)
{
	if (ad->state != NDIS_ADAPTER_HALTED) {
		log_error(NDIS_LOG, "adapter '%s': cannot initialize while %s", ad->name, ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	return do_initialize(ad);
}

int ndis_adapter_pause(struct ndis_adapter *ad)
{
	if (ad->state != NDIS_ADAPTER_RUNNING) {
		log_error(NDIS_LOG, "adapter '%s': cannot pause while %s", ad->name, ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	return do_pause(ad, NDIS_PAUSE_NDIS_INTERNAL);
}

int ndis_adapter_restart(struct ndis_adapter *ad)
{
	if (ad->state != NDIS_ADAPTER_PAUSED || ad->halt_requested) {
		log_error(NDIS_LOG, "adapter '%s': cannot restart while %s", ad->name, ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	return do_restart(ad);
}

static bool initialized(const struct ndis_adapter *ad)
{
	return ad->state == NDIS_ADAPTER_PAUSED || ad->state == NDIS_ADAPTER_RUNNING ||
	       ad->state == NDIS_ADAPTER_PAUSING || ad->state == NDIS_ADAPTER_RESTARTING;
}

int ndis_adapter_surprise_remove(struct ndis_adapter *ad)
{
	NET_DEVICE_PNP_EVENT ev;
	struct ndis_call call;

	if (!initialized(ad))
		return -EPERM;
	memset(&ev, 0, sizeof(ev));
	ev.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	ev.Header.Revision = NET_DEVICE_PNP_EVENT_REVISION_1;
	ev.Header.Size = sizeof(ev);
	ev.DevicePnPEvent = NdisDevicePnPEventSurpriseRemoved;
	ad->surprise_removed = true;
	log_info(NDIS_LOG, "adapter '%s': surprise removal (MiniportDevicePnPEventNotify)", ad->name);
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	ad->drv->mchars.DevicePnPEventNotifyHandler(ad->ctx, &ev);
	ndis__call_leave(&call);
	return 0;
}

int ndis_adapter_shutdown(struct ndis_adapter *ad)
{
	struct ndis_call call;

	if (!initialized(ad))
		return -EPERM;
	log_info(NDIS_LOG, "adapter '%s': MiniportShutdownEx(NdisShutdownPowerOff)", ad->name);
	ndis__call_enter(&call, ad->fw, ad->drv, ad);
	ad->drv->mchars.ShutdownHandlerEx(ad->ctx, NdisShutdownPowerOff);
	ndis__call_leave(&call);
	return 0;
}

enum ndis_adapter_state ndis_adapter_state(const struct ndis_adapter *ad)
{
	return ad->state;
}

const char *ndis_adapter_name(const struct ndis_adapter *ad)
{
	return ad->name;
}

struct ndis_framework *ndis_adapter_framework(const struct ndis_adapter *ad)
{
	return ad->fw;
}

const char *ndis_adapter_driver_name(const struct ndis_adapter *ad)
{
	return ad->drv ? ad->drv->name : "";
}

uint32_t ndis_adapter_init_status(const struct ndis_adapter *ad)
{
	return ad->init_status;
}

void *ndis_adapter_driver_symbol(const struct ndis_adapter *ad, const char *symbol)
{
	return ad->drv && ad->drv->dl ? dlsym(ad->drv->dl, symbol) : NULL;
}

void ndis_adapter_sriov_view(const struct ndis_adapter *ad, struct ndis_sriov_view *v)
{
	memset(v, 0, sizeof(*v));
	v->has_hw_sriov = ad->has_hw_sriov;
	v->has_cur_sriov = ad->has_cur_sriov;
	v->hw_sriov_caps = ad->has_hw_sriov ? ad->hw_sriov.SriovCapabilities : 0;
	v->cur_sriov_caps = ad->has_cur_sriov ? ad->cur_sriov.SriovCapabilities : 0;
	v->has_hw_switch = ad->has_hw_switch;
	v->has_cur_switch = ad->has_cur_switch;
	v->switch_created = ad->switch_created;
	v->num_vfs = ad->switch_created ? ad->switch_params.NumVFs : 0;
	v->virtualization_enabled = ad->virt_enabled;
	v->enabled_vfs = ad->virt_num_vfs;
	v->vpci_interface = ad->vpci_iface_valid;
	v->vf_serial = ad->vpci_iface_valid ? ad->vpci_iface.SerialNumber : 0;
	v->n_vfs = ad->n_vfs;
	v->n_vports = ad->n_vports;
	v->n_filters = ad->n_filters;
	v->hypervisor_info_called = ad->hypervisor_info_called;
	v->has_rcv_filter_caps = ad->has_hw_rcv || ad->has_cur_rcv;
	v->vmq_enabled = ad->has_cur_rcv && (ad->cur_rcv.EnabledFilterTypes & NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED);
	v->media_connect = ad->media_state_known ? ad->media_state
			   : ad->have_gen_attrs ? (uint32_t)ad->gen_attrs.MediaConnectState : 0;
}
