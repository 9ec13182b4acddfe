/*
 * Protocol drivers and the binding table (protocol.h). A protocol package is
 * an INF of class NetTrans/NetService whose model is a component ID; its
 * driver registers with NdisRegisterProtocolDriver from DriverEntry. NDIS
 * offers a binding to every adapter whose Ndi\Interfaces UpperRange shares
 * an interface name with the protocol's LowerRange (net:specifying-binding-
 * interfaces; "ndisvf" for NetVsc's VF edge, spec 1.5), while the adapter is
 * paused: ProtocolBindAdapterEx opens with NdisOpenAdapterEx and accepts, or
 * fails and declines -- the decline status is kept, because "Declined with
 * NDIS_STATUS_NOT_SUPPORTED" in the bindings view is how a failed VF data
 * path shows itself (spec 7.4). Unbinding goes through
 * ProtocolUnbindAdapterEx and NdisCloseAdapterEx; both may pend.
 *
 * Binding states: Binding -> Bound | Declined; Bound -> Unbinding -> Unbound.
 * A protocol's PnP events (NetEventPause / NetEventRestart) follow the
 * adapter's pause and restart; they must complete synchronously here
 * (NdisCompleteNetPnPEvent is not modelled).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ndis/internal.h"
#include "base/trace.h"

static const char *const binding_state_names[NDIS_BINDING_STATE_COUNT] = {
	[NDIS_BINDING_BINDING] = "Binding",
	[NDIS_BINDING_BOUND] = "Bound",
	[NDIS_BINDING_DECLINED] = "Declined",
	[NDIS_BINDING_UNBINDING] = "Unbinding",
	[NDIS_BINDING_UNBOUND] = "Unbound",
};

const char *ndis_binding_state_name(enum ndis_binding_state s)
{
	return (unsigned)s < NDIS_BINDING_STATE_COUNT ? binding_state_names[s] : "?";
}

char *ndis_binding_describe(const struct ndis_binding_info *b, char *buf, size_t len)
{
	if (b->state == NDIS_BINDING_DECLINED)
		snprintf(buf, len, "Declined with %s", ndis_status_name(b->status) ? ndis_status_name(b->status) :
										     ndis__status_str(b->status));
	else
		snprintf(buf, len, "%s", ndis_binding_state_name(b->state));
	return buf;
}

/* allowed[from][to]; the direct -> Unbound edges are NDIS closing a binding
 * whose protocol deregistered or whose adapter is torn down. */
static const bool binding_allowed[NDIS_BINDING_STATE_COUNT][NDIS_BINDING_STATE_COUNT] = {
	[NDIS_BINDING_BINDING] = { [NDIS_BINDING_BOUND] = true, [NDIS_BINDING_DECLINED] = true,
				   [NDIS_BINDING_UNBOUND] = true },
	[NDIS_BINDING_BOUND] = { [NDIS_BINDING_UNBINDING] = true, [NDIS_BINDING_UNBOUND] = true },
	[NDIS_BINDING_UNBINDING] = { [NDIS_BINDING_UNBOUND] = true },
};

bool ndis_binding_state_transition_allowed(enum ndis_binding_state from, enum ndis_binding_state to)
{
	return (unsigned)from < NDIS_BINDING_STATE_COUNT && (unsigned)to < NDIS_BINDING_STATE_COUNT &&
	       binding_allowed[from][to];
}

static int set_binding_state(struct ndis_binding *b, enum ndis_binding_state to)
{
	if (!ndis_binding_state_transition_allowed(b->state, to)) {
		log_error(NDIS_LOG, "binding %s -> '%s': transition %s -> %s refused", b->proto->name, b->ad->name,
			  ndis_binding_state_name(b->state), ndis_binding_state_name(to));
		return -EPERM;
	}
	log_info(NDIS_LOG, "binding %s -> '%s': %s -> %s", b->proto->name, b->ad->name,
		 ndis_binding_state_name(b->state), ndis_binding_state_name(to));
	b->state = to;
	return 0;
}

/* ---- registration ------------------------------------------------------------- */
int ndis__protocol_register(struct ndis_driver *drv, NDIS_HANDLE ctx,
			    const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *ch, struct ndis_protocol **out)
{
	static const struct {
		size_t off;
		const char *name;
	} required[] = {
#define REQ(f) { offsetof(NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, f), #f }
		REQ(BindAdapterHandlerEx), REQ(UnbindAdapterHandlerEx), REQ(OpenAdapterCompleteHandlerEx),
		REQ(CloseAdapterCompleteHandlerEx), REQ(NetPnPEventHandler), REQ(OidRequestCompleteHandler),
		REQ(StatusHandlerEx), REQ(ReceiveNetBufferListsHandler), REQ(SendNetBufferListsCompleteHandler),
#undef REQ
	};
	struct ndis_protocol *p;
	size_t want;
	char name[64];

	if (!drv->in_driver_entry || drv->role != NDIS_DRIVER_UNREGISTERED) {
		ndis__driver_finding(drv, NDIS_RULE_STATE, "NdisRegisterProtocolDriver outside DriverEntry or twice");
		return -EPERM;
	}
	if (!ch || ch->Header.Type != NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "protocol characteristics Header.Type is not NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS (0x95)");
		return -EPROTO;
	}
	want = ch->Header.Revision == NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 ?
		       NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1 :
	       ch->Header.Revision == NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 ?
		       NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2 : 0;
	if (!want || ch->Header.Size != want || ch->MajorNdisVersion != 6) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "protocol characteristics revision %u size %u (NDIS %u.%u) is not a known NDIS 6 revision",
				     ch->Header.Revision, ch->Header.Size, ch->MajorNdisVersion, ch->MinorNdisVersion);
		return -EPROTO;
	}
	if (ndis__ustr_to_ascii(&ch->Name, name, sizeof(name)) || !name[0]) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS, "protocol characteristics have no Name");
		return -ENOEXEC;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		void *fn;
		memcpy(&fn, (const char *)ch + required[i].off, sizeof(fn));
		if (!fn) {
			ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS, "required protocol handler %s is NULL",
					     required[i].name);
			return -ENOEXEC;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fw = drv->fw;
	p->drv = drv;
	p->ctx = ctx;
	memcpy(&p->chars, ch, want);
	ndis__strlcpy(p->name, name, sizeof(p->name));
	if (ndis__handle_add(p, NDIS_H_PROTOCOL)) {
		free(p);
		return -ENOMEM;
	}
	drv->role = NDIS_DRIVER_PROTOCOL;
	drv->protocol = p;
	log_info(NDIS_LOG, "driver %s registered protocol %s (NDIS %u.%u)", drv->name, p->name, ch->MajorNdisVersion,
		 ch->MinorNdisVersion);
	*out = p;
	return 0;
}

void ndis__protocol_deregister(struct ndis_protocol *p)
{
	struct ndis_protocol **pp;

	for (struct ndis_adapter *ad = p->fw->adapters; ad; ad = ad->next)
		for (struct ndis_binding *b = ad->bindings; b; b = b->next)
			if (b->proto == p && (b->state == NDIS_BINDING_BOUND || b->state == NDIS_BINDING_BINDING)) {
				log_warn(NDIS_LOG, "protocol %s deregistered while bound to '%s'", p->name, ad->name);
				ndis__binding_close(b, true);
				set_binding_state(b, NDIS_BINDING_UNBOUND);
			}
	for (pp = &p->fw->protocols; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	/* Bindings keep pointing at p for their history; they are dropped at
	 * the next unbind of their adapter, and p with them. */
	p->drv->protocol = NULL;
	p->drv->role = NDIS_DRIVER_UNREGISTERED;
	p->drv = NULL;
	ndis__handle_remove(p);
	for (struct ndis_adapter *ad = p->fw->adapters; ad; ad = ad->next) {
		struct ndis_binding **bp = &ad->bindings;
		while (*bp) {
			struct ndis_binding *b = *bp;
			if (b->proto == p) {
				*bp = b->next;
				ndis__handle_remove(b);
				ndis__handle_remove(&b->bind_token);
				ndis__handle_remove(&b->unbind_token);
				free(b);
			} else {
				bp = &b->next;
			}
		}
	}
	log_info(NDIS_LOG, "protocol %s deregistered", p->name);
	free(p);
}

/* ---- binding ------------------------------------------------------------------- */
static void fill_bind_params(struct ndis_binding *b)
{
	struct ndis_adapter *ad = b->ad;
	NDIS_BIND_PARAMETERS *bp = &b->bp;
	const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *ga = &ad->gen_attrs;
	char name[80];

	snprintf(name, sizeof(name), "\\DEVICE\\%s", ad->name);
	ndis__ustr_set(&b->adapter_name, b->adapter_name_buf, sizeof(b->adapter_name_buf) / sizeof(WCHAR), name);
	memset(bp, 0, sizeof(*bp));
	bp->Header.Type = NDIS_OBJECT_TYPE_BIND_PARAMETERS;
	bp->Header.Revision = NDIS_BIND_PARAMETERS_REVISION_3;
	bp->Header.Size = NDIS_SIZEOF_BIND_PARAMETERS_REVISION_3;
	bp->AdapterName = &b->adapter_name;
	bp->BoundAdapterName = &b->adapter_name;
	bp->PhysicalDeviceObject = ad->pdo;
	bp->MediaType = ga->MediaType;
	bp->MtuSize = ga->MtuSize;
	bp->MaxXmitLinkSpeed = ga->MaxXmitLinkSpeed;
	bp->XmitLinkSpeed = ga->XmitLinkSpeed;
	bp->MaxRcvLinkSpeed = ga->MaxRcvLinkSpeed;
	bp->RcvLinkSpeed = ga->RcvLinkSpeed;
	bp->MediaConnectState = ga->MediaConnectState;
	bp->MediaDuplexState = ga->MediaDuplexState;
	bp->LookaheadSize = ga->LookaheadSize;
	bp->SupportedPacketFilters = ga->SupportedPacketFilters;
	bp->MaxMulticastListSize = ga->MaxMulticastListSize;
	bp->MacAddressLength = ga->MacAddressLength;
	memcpy(bp->CurrentMacAddress, ga->CurrentMacAddress, sizeof(bp->CurrentMacAddress));
	bp->PhysicalMediumType = ga->PhysicalMediumType;
	bp->BoundIfNetluid = bp->LowestIfNetluid = ad->net_luid;
	bp->BoundIfIndex = bp->LowestIfIndex = ad->ifindex;
	bp->AccessType = ga->AccessType;
	bp->DirectionType = ga->DirectionType;
	bp->ConnectionType = ga->ConnectionType;
	bp->IfType = ga->IfType;
	bp->IfConnectorPresent = ga->IfConnectorPresent;
	bp->DataBackFillSize = ga->DataBackFillSize;
	bp->ContextBackFillSize = ga->ContextBackFillSize;
	bp->MacOptions = ga->MacOptions;
	/* What the overlying driver needs to use SR-IOV (spec 2.3, 3.3). */
	bp->ReceiveFilterCapabilities = ad->has_cur_rcv ? &ad->cur_rcv : NULL;
	bp->NicSwitchCapabilities = ad->has_cur_switch ? &ad->cur_switch : NULL;
	bp->SriovCapabilities = ad->has_cur_sriov ? &ad->cur_sriov : NULL;
	if (ad->switch_created && ndis__nicswitch_info_array(ad, b->switch_array, sizeof(b->switch_array)) > 0)
		bp->NicSwitchArray = (PNDIS_NIC_SWITCH_INFO_ARRAY)b->switch_array;
}

static void finish_bind(struct ndis_binding *b, uint32_t status)
{
	if (status == (uint32_t)NDIS_STATUS_SUCCESS && b->opened) {
		set_binding_state(b, NDIS_BINDING_BOUND);
		return;
	}
	if (status == (uint32_t)NDIS_STATUS_SUCCESS) {
		log_error(NDIS_LOG, "binding %s -> '%s': ProtocolBindAdapterEx succeeded without NdisOpenAdapterEx",
			  b->proto->name, b->ad->name);
		status = (uint32_t)NDIS_STATUS_FAILURE;
	}
	if (b->opened) {
		log_warn(NDIS_LOG, "binding %s -> '%s': declined without NdisCloseAdapterEx; NDIS closes it", b->proto->name,
			 b->ad->name);
		ndis__binding_close(b, true);
	}
	b->status = status;
	set_binding_state(b, NDIS_BINDING_DECLINED);
	log_info(NDIS_LOG, "binding %s -> '%s': Declined with %s", b->proto->name, b->ad->name, ndis__status_str(status));
}

static void bind_one(struct ndis_protocol *p, struct ndis_adapter *ad)
{
	struct ndis_binding *b = calloc(1, sizeof(*b)), **tail;
	struct ndis_call call;
	NDIS_STATUS st;

	if (!b)
		return;
	b->proto = p;
	b->ad = ad;
	b->state = NDIS_BINDING_BINDING;
	if (ndis__handle_add(b, NDIS_H_BINDING) || ndis__handle_add(&b->bind_token, NDIS_H_BIND_CONTEXT) ||
	    ndis__handle_add(&b->unbind_token, NDIS_H_UNBIND_CONTEXT)) {
		ndis__handle_remove(b);
		ndis__handle_remove(&b->bind_token);
		free(b);
		return;
	}
	for (tail = &ad->bindings; *tail; tail = &(*tail)->next)
		;
	*tail = b;
	fill_bind_params(b);
	log_info(NDIS_LOG, "binding %s -> '%s' offered (%s over %s)", p->name, ad->name, p->lower_range, ad->upper_range);
	b->in_bind = true;
	trace_span_begin("ndis", "ProtocolBindAdapterEx", "protocol=%s adapter=%s", p->name, ad->name);
	ndis__call_enter(&call, p->fw, p->drv, NULL);
	st = p->chars.BindAdapterHandlerEx(p->ctx, &b->bind_token, &b->bp);
	ndis__call_leave(&call);
	trace_span_end();
	b->in_bind = false;
	if (st == NDIS_STATUS_PENDING) {
		b->bind_pended = true;
		return;
	}
	finish_bind(b, (uint32_t)st);
}

void ndis__binding_bind_complete(struct ndis_binding *b, uint32_t status)
{
	if (!b->bind_pended) {
		ndis__finding(b->proto->fw, NDIS_RULE_STATE, b->proto->name, b->ad->name,
			      "NdisCompleteBindAdapterEx for a bind that did not pend");
		return;
	}
	b->bind_pended = false;
	finish_bind(b, status);
}

int ndis__binding_open(struct ndis_binding *b, struct ndis_protocol *p, NDIS_HANDLE ctx,
		       const NDIS_OPEN_PARAMETERS *op)
{
	bool ok = false;

	if (b->proto != p || b->state != NDIS_BINDING_BINDING || b->opened) {
		ndis__finding(b->proto->fw, NDIS_RULE_STATE, b->proto->name, b->ad->name,
			      "NdisOpenAdapterEx outside the protocol's own pending bind");
		return -EPERM;
	}
	if (!op || op->Header.Type != NDIS_OBJECT_TYPE_OPEN_PARAMETERS || op->Header.Revision < 1 ||
	    op->Header.Size < NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1 || !op->MediumArray || !op->SelectedMediumIndex)
		return -EINVAL;
	for (UINT i = 0; i < op->MediumArraySize; i++)
		if (op->MediumArray[i] == b->ad->gen_attrs.MediaType) {
			*op->SelectedMediumIndex = i;
			ok = true;
			break;
		}
	if (!ok)
		return -EMEDIUMTYPE;
	b->proto_ctx = ctx;
	b->opened = true;
	log_info(NDIS_LOG, "binding %s -> '%s': opened", p->name, b->ad->name);
	return 0;
}

void ndis__binding_close(struct ndis_binding *b, bool report)
{
	if (!b->opened)
		return;
	ndis__nbl_binding_closed(b, report);
	b->opened = false;
	log_info(NDIS_LOG, "binding %s -> '%s': closed", b->proto->name, b->ad->name);
}

static void finish_unbind(struct ndis_binding *b)
{
	if (b->opened) {
		log_warn(NDIS_LOG, "binding %s -> '%s': unbound without NdisCloseAdapterEx; NDIS closes it", b->proto->name,
			 b->ad->name);
		ndis__binding_close(b, true);
	}
	b->unbind_pended = false;
	set_binding_state(b, NDIS_BINDING_UNBOUND);
}

void ndis__binding_unbind_complete(struct ndis_binding *b)
{
	if (!b->unbind_pended) {
		ndis__finding(b->proto->fw, NDIS_RULE_STATE, b->proto->name, b->ad->name,
			      "NdisCompleteUnbindAdapterEx for an unbind that did not pend");
		return;
	}
	finish_unbind(b);
	ndis__adapter_progress(b->ad);
}

static int unbind_one(struct ndis_binding *b)
{
	struct ndis_call call;
	NDIS_STATUS st;

	set_binding_state(b, NDIS_BINDING_UNBINDING);
	b->in_unbind = true;
	ndis__call_enter(&call, b->proto->fw, b->proto->drv, NULL);
	st = b->proto->chars.UnbindAdapterHandlerEx(&b->unbind_token, b->proto_ctx);
	ndis__call_leave(&call);
	b->in_unbind = false;
	if (st == NDIS_STATUS_PENDING && b->state == NDIS_BINDING_UNBINDING) {
		b->unbind_pended = true;
		return -EINPROGRESS;
	}
	finish_unbind(b);
	return 0;
}

static bool ranges_match(const struct ndis_protocol *p, const struct ndis_adapter *ad)
{
	return ndis__ranges_intersect(p->lower_range, ad->upper_range);
}

void ndis__adapter_bind_all(struct ndis_adapter *ad)
{
	for (struct ndis_protocol *p = ad->fw->protocols; p; p = p->next)
		if (p->loaded && ranges_match(p, ad))
			bind_one(p, ad);
}

static void free_binding(struct ndis_binding *b)
{
	ndis__handle_remove(b);
	ndis__handle_remove(&b->bind_token);
	ndis__handle_remove(&b->unbind_token);
	free(b);
}

int ndis__adapter_unbind_all(struct ndis_adapter *ad)
{
	struct ndis_binding **bp;
	bool waiting = false;

	for (struct ndis_binding *b = ad->bindings; b; b = b->next) {
		if (b->state == NDIS_BINDING_BOUND)
			(void)unbind_one(b);
		if (b->state == NDIS_BINDING_UNBINDING || b->state == NDIS_BINDING_BINDING)
			waiting = true;
	}
	if (waiting)
		return -EINPROGRESS;
	for (bp = &ad->bindings; *bp;) {
		struct ndis_binding *b = *bp;
		*bp = b->next;
		free_binding(b);
	}
	return 0;
}

void ndis__adapter_force_unbind(struct ndis_adapter *ad)
{
	while (ad->bindings) {
		struct ndis_binding *b = ad->bindings;

		if (b->state == NDIS_BINDING_BINDING || b->state == NDIS_BINDING_UNBINDING || b->state == NDIS_BINDING_BOUND) {
			log_warn(NDIS_LOG, "binding %s -> '%s' still %s at teardown; NDIS closes it", b->proto->name, ad->name,
				 ndis_binding_state_name(b->state));
			ndis__binding_close(b, true);
		}
		ad->bindings = b->next;
		free_binding(b);
	}
}

void ndis__adapter_pnp_to_bindings(struct ndis_adapter *ad, NET_PNP_EVENT_CODE code)
{
	for (struct ndis_binding *b = ad->bindings; b; b = b->next) {
		NET_PNP_EVENT_NOTIFICATION n;
		struct ndis_call call;
		NDIS_STATUS st;

		if (b->state != NDIS_BINDING_BOUND || !b->opened)
			continue;
		memset(&n, 0, sizeof(n));
		n.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		n.Header.Revision = NET_PNP_EVENT_NOTIFICATION_REVISION_1;
		n.Header.Size = sizeof(n);
		n.NetPnPEvent.NetEvent = code;
		ndis__call_enter(&call, b->proto->fw, b->proto->drv, NULL);
		st = b->proto->chars.NetPnPEventHandler(b->proto_ctx, &n);
		ndis__call_leave(&call);
		if (st == NDIS_STATUS_PENDING)
			log_warn(NDIS_LOG, "binding %s -> '%s' pended a PnP event; iovlab completes PnP events synchronously",
				 b->proto->name, ad->name);
	}
}

void ndis__adapter_status_to_bindings(struct ndis_adapter *ad, NDIS_STATUS_INDICATION *ind)
{
	for (struct ndis_binding *b = ad->bindings; b; b = b->next) {
		struct ndis_call call;

		if (b->state != NDIS_BINDING_BOUND || !b->opened)
			continue;
		ndis__call_enter(&call, b->proto->fw, b->proto->drv, NULL);
		b->proto->chars.StatusHandlerEx(b->proto_ctx, ind);
		ndis__call_leave(&call);
	}
}

/* ---- loading ------------------------------------------------------------------ */
static void protocol_bind_adapters(struct ndis_protocol *p)
{
	for (struct ndis_adapter *ad = p->fw->adapters; ad; ad = ad->next) {
		bool was_running = ad->state == NDIS_ADAPTER_RUNNING;

		if (!ranges_match(p, ad))
			continue;
		if (ad->state != NDIS_ADAPTER_RUNNING && ad->state != NDIS_ADAPTER_PAUSED)
			continue;
		/* Bindings are made on a paused stack (NDIS_PAUSE_BIND_PROTOCOL). */
		if (was_running && ndis_adapter_pause(ad) != 0) {
			log_warn(NDIS_LOG, "protocol %s: adapter '%s' did not pause; binding later", p->name, ad->name);
			continue;
		}
		bind_one(p, ad);
		if (was_running)
			(void)ndis_adapter_restart(ad);
	}
}

int ndis_protocol_load(struct ndis_framework *fw, const char *component_id, struct ndis_protocol **out)
{
	const struct ndis_package *pkg = NULL;
	const struct ndis_inf_model *m = ndis__find_model(fw, component_id, &pkg);
	struct ndis_reg_key *reg;
	struct ndis_driver *drv;
	struct ndis_protocol *p;
	int rc;

	*out = NULL;
	if (!m) {
		log_error(NDIS_LOG, "no installed package provides protocol %s", component_id);
		return -ENOENT;
	}
	if (ndis_inf_class(pkg->inf) == NDIS_INF_CLASS_NET) {
		log_error(NDIS_LOG, "%s is a network adapter model, not a protocol", component_id);
		return -ENOEXEC;
	}
	rc = ndis__driver_get(fw, pkg, m->install, &drv);
	if (rc)
		return rc == -ENOMEM ? rc : -ENOEXEC;
	if (drv->role != NDIS_DRIVER_PROTOCOL || !drv->protocol) {
		log_error(NDIS_LOG, "driver %s did not register a protocol", drv->name);
		ndis__driver_unload(drv);
		return -ENOEXEC;
	}
	p = drv->protocol;
	if (p->loaded) {
		*out = p;
		return 0;
	}
	reg = ndis_reg_create();
	if (!reg || ndis_inf_apply(m->install, reg)) {
		ndis_reg_destroy(reg);
		ndis__driver_unload(drv);
		return -ENOMEM;
	}
	ndis_reg_value_format(ndis_reg_get(ndis_reg_open_const(reg, "Ndi\\Interfaces"), "LowerRange"), p->lower_range,
			      sizeof(p->lower_range));
	ndis_reg_destroy(reg);
	p->next = fw->protocols;
	fw->protocols = p;
	p->loaded = true;
	log_info(NDIS_LOG, "protocol %s loaded (LowerRange \"%s\")", p->name, p->lower_range);
	protocol_bind_adapters(p);
	*out = p;
	return 0;
}

void ndis_protocol_unload(struct ndis_protocol *p)
{
	struct ndis_driver *drv;

	if (!p)
		return;
	drv = p->drv;
	for (struct ndis_adapter *ad = p->fw->adapters; ad; ad = ad->next) {
		bool was_running = ad->state == NDIS_ADAPTER_RUNNING, paused = false;

		for (struct ndis_binding *b = ad->bindings; b; b = b->next) {
			if (b->proto != p || b->state != NDIS_BINDING_BOUND)
				continue;
			if (was_running && !paused)
				paused = ndis_adapter_pause(ad) == 0;
			if (unbind_one(b) == -EINPROGRESS) {
				log_warn(NDIS_LOG, "protocol %s pended its unbind from '%s' while unloading; NDIS closes it",
					 p->name, ad->name);
				finish_unbind(b);
			}
		}
		if (paused)
			(void)ndis_adapter_restart(ad);
	}
	/* The driver's unload calls NdisDeregisterProtocolDriver (driver.c
	 * deregisters for a driver that forgets). */
	ndis__driver_unload(drv);
}

void ndis__protocol_unload_all(struct ndis_framework *fw)
{
	while (fw->protocols)
		ndis_protocol_unload(fw->protocols);
}

const char *ndis_protocol_name(const struct ndis_protocol *p)
{
	return p->name;
}

void *ndis_protocol_driver_symbol(const struct ndis_protocol *p, const char *symbol)
{
	return p->drv && p->drv->dl ? dlsym(p->drv->dl, symbol) : NULL;
}

size_t ndis_adapter_binding_count(const struct ndis_adapter *ad)
{
	size_t n = 0;

	for (const struct ndis_binding *b = ad->bindings; b; b = b->next)
		n++;
	return n;
}

int ndis_adapter_binding_at(const struct ndis_adapter *ad, size_t i, struct ndis_binding_info *out)
{
	const struct ndis_binding *b = ad->bindings;

	while (b && i--)
		b = b->next;
	if (!b)
		return -ENOENT;
	out->protocol = b->proto->name;
	out->adapter = ad->name;
	out->state = b->state;
	out->status = b->status;
	return 0;
}
