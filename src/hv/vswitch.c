/*
 * The Hyper-V extensible switch, root partition side (vswitch.h): a switch
 * with IOV fixed at creation, bound above the PF adapter, and its ports --
 * one per connected VM network adapter -- each with the MAC(+VLAN) receive
 * filter VMSwitch sets on the PF's default vPort (ndis-sriov-spec.md 2.10,
 * 2.11 step 1) and clears when the adapter leaves (2.18 step 1a). The
 * virtualization stack (vstack.c) issues its NIC-switch OIDs through this
 * switch's protocol edge, so every OID in the adapter's history from the
 * Hyper-V side says "VMSP".
 *
 * A port's filter has a small state machine (style rule 6):
 *
 *     UNFILTERED --SET_FILTER--> FILTERING --success--> FILTERED
 *          |                         |                     |
 *          +-- no NIC switch --> REFUSED <-- failed -------+
 *     FILTERED --CLEAR_FILTER (disconnect, unbind)--> CLEARING --> UNFILTERED / freed
 *     REFUSED --unbind--> UNFILTERED (tried again on rebind)
 *
 * UNFILTERED is "not tried yet"; REFUSED is "tried, no filter".
 *
 * A port asked to disconnect while its SET_FILTER is still at the miniport
 * is freed once that request completes (clearing the filter first if it was
 * set), never while the framework still holds its request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/capture.h"
#include "base/log.h"
#include "hv/vswitch.h"
#include "ndis/names.h"

#define VSW_LOG "lab.hv.vswitch"

const struct ndis_issuer vswitch_issuer = { NDIS_ISSUER_OVERLYING, "VMSP" };

const char *vswitch_port_state_name(enum vswitch_port_state s)
{
	static const char *const names[VSWITCH_PORT_STATE_COUNT] = { "Unfiltered", "Filtering", "Filtered", "Clearing",
							     "Refused" };
	return (unsigned)s < VSWITCH_PORT_STATE_COUNT ? names[s] : "?";
}

/* [from][to]: the legal transitions of a port's filter. */
static const bool port_transitions[VSWITCH_PORT_STATE_COUNT][VSWITCH_PORT_STATE_COUNT] = {
	[VSWITCH_PORT_UNFILTERED] = { [VSWITCH_PORT_FILTERING] = true, [VSWITCH_PORT_REFUSED] = true },
	[VSWITCH_PORT_FILTERING] = { [VSWITCH_PORT_FILTERED] = true, [VSWITCH_PORT_REFUSED] = true },
	[VSWITCH_PORT_FILTERED] = { [VSWITCH_PORT_CLEARING] = true, [VSWITCH_PORT_UNFILTERED] = true },
	[VSWITCH_PORT_CLEARING] = { [VSWITCH_PORT_UNFILTERED] = true },
	[VSWITCH_PORT_REFUSED] = { [VSWITCH_PORT_UNFILTERED] = true },
};

bool vswitch_port_state_transition_allowed(enum vswitch_port_state from, enum vswitch_port_state to)
{
	return (unsigned)from < VSWITCH_PORT_STATE_COUNT && (unsigned)to < VSWITCH_PORT_STATE_COUNT &&
	       port_transitions[from][to];
}

/* SET_FILTER's buffer: the parameters, then the MAC and VLAN field tests. */
struct set_filter_buf {
	NDIS_RECEIVE_FILTER_PARAMETERS params;
	NDIS_RECEIVE_FILTER_FIELD_PARAMETERS fields[2];
};

struct vswitch_port {
	struct vswitch *sw;
	struct vswitch_port *next;
	char name[64];
	uint8_t mac[6];
	uint16_t vlan;
	enum vswitch_port_state state;
	bool closing;			/* disconnect asked; free when the request completes */
	uint32_t filter_id;
	uint32_t filter_vport;
	uint32_t filter_status;
	vswitch_port_notify_fn *notify;
	void *notify_ctx;
	struct capture_point *cap;	/* "vSwitch SW port ADAPTER" while capturing (docs/capture.md) */
	NDIS_OID_REQUEST req;		/* the one request the port may have in flight */
	union {
		struct set_filter_buf set;
		NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS clear;
	} u;
};

struct vswitch {
	char *name;
	char *adapter_name;
	enum vswitch_type type;
	bool iov;
	enum vswitch_teaming teaming;
	struct ndis_adapter *pf;
	struct vswitch_port *ports;
	size_t nports;
	vswitch_port_rx_fn *port_rx;
	void *port_rx_ctx;
	vswitch_external_tx_fn *ext_tx;
	void *ext_tx_ctx;
	struct vswitch_stats stats;
};

const char *vswitch_type_name(enum vswitch_type t)
{
	switch (t) {
	case VSWITCH_EXTERNAL: return "External";
	case VSWITCH_INTERNAL: return "Internal";
	case VSWITCH_PRIVATE: return "Private";
	}
	return "?";
}

static void port_set_state(struct vswitch_port *p, enum vswitch_port_state to)
{
	const char *sw = p->sw ? p->sw->name : "(removed)";	/* a port orphaned by vswitch_destroy */

	if (!vswitch_port_state_transition_allowed(p->state, to)) {
		log_error(VSW_LOG, "switch '%s' port '%s': illegal filter transition %s -> %s", sw, p->name,
			  vswitch_port_state_name(p->state), vswitch_port_state_name(to));
		return;
	}
	log_debug(VSW_LOG, "switch '%s' port '%s': filter %s -> %s", sw, p->name, vswitch_port_state_name(p->state),
		  vswitch_port_state_name(to));
	p->state = to;
}

int vswitch_create(const struct vswitch_config *cfg, struct vswitch **out)
{
	struct vswitch *sw;

	*out = NULL;
	if (!cfg || !cfg->name || !*cfg->name || (cfg->type == VSWITCH_EXTERNAL && !cfg->adapter_name))
		return -EINVAL;
	sw = calloc(1, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	sw->name = strdup(cfg->name);
	sw->adapter_name = cfg->adapter_name ? strdup(cfg->adapter_name) : NULL;
	if (!sw->name || (cfg->adapter_name && !sw->adapter_name)) {
		free(sw->name);
		free(sw->adapter_name);
		free(sw);
		return -ENOMEM;
	}
	sw->type = cfg->type;
	sw->iov = cfg->iov;
	sw->teaming = cfg->teaming;
	sw->pf = cfg->type == VSWITCH_EXTERNAL ? cfg->pf : NULL;
	log_info(VSW_LOG, "New-VMSwitch '%s' -SwitchType %s%s%s -EnableIov $%s", sw->name, vswitch_type_name(sw->type),
		 sw->adapter_name ? " -NetAdapterName " : "", sw->adapter_name ? sw->adapter_name : "",
		 sw->iov ? "true" : "false");
	*out = sw;
	return 0;
}

void vswitch_destroy(struct vswitch *sw)
{
	if (!sw)
		return;
	while (sw->ports) {
		struct vswitch_port *p = sw->ports;
		vswitch_port_disconnect(p);
		if (sw->ports == p) {
			/* Still held by the framework: orphan it rather than free memory it points to. */
			log_error(VSW_LOG, "switch '%s': port '%s' still has an OID at the miniport; leaking it", sw->name,
				  p->name);
			sw->ports = p->next;
			p->sw = NULL;
		}
	}
	log_info(VSW_LOG, "Remove-VMSwitch '%s'", sw->name);
	free(sw->name);
	free(sw->adapter_name);
	free(sw);
}

const char *vswitch_name(const struct vswitch *sw)
{
	return sw->name;
}

enum vswitch_type vswitch_type(const struct vswitch *sw)
{
	return sw->type;
}

bool vswitch_iov_enabled(const struct vswitch *sw)
{
	return sw->iov;
}

enum vswitch_teaming vswitch_teaming(const struct vswitch *sw)
{
	return sw->teaming;
}

bool vswitch_iov_passed_up(const struct vswitch *sw)
{
	/* The LBFO multiplexor reports no SR-IOV or NIC-switch capabilities of its own (S12 part 7). */
	return sw->teaming != VSWITCH_TEAM_LBFO;
}

const char *vswitch_adapter_name(const struct vswitch *sw)
{
	return sw->adapter_name;
}

struct ndis_adapter *vswitch_pf(const struct vswitch *sw)
{
	return sw->pf;
}

int vswitch_set_iov(struct vswitch *sw, bool iov)
{
	if (iov == sw->iov)
		return 0;
	/* tools-and-views.md 1.3: only New-VMSwitch -EnableIov chooses it. */
	log_warn(VSW_LOG, "switch '%s': IOV can only be chosen when the switch is created (New-VMSwitch -EnableIov); "
		 "it stays %s", sw->name, sw->iov ? "enabled" : "disabled");
	return -EPERM;
}

int vswitch_oid(struct vswitch *sw, NDIS_OID_REQUEST *req, ndis_oid_done_fn *done, void *ctx, uint32_t *status)
{
	if (!sw->pf)
		return -ENODEV;
	return ndis_oid_request(sw->pf, &vswitch_issuer, req, done, ctx, status);
}

static void sync_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	(void)ctx;
	(void)req;
	(void)status;
}

int vswitch_oid_sync(struct vswitch *sw, NDIS_OID_REQUEST *req, uint32_t *status)
{
	return vswitch_oid(sw, req, sync_done, NULL, status);
}

/* ---- ports -------------------------------------------------------------------- */
static void port_free(struct vswitch_port *p)
{
	struct vswitch *sw = p->sw;

	if (sw) {
		for (struct vswitch_port **pp = &sw->ports; *pp; pp = &(*pp)->next)
			if (*pp == p) {
				*pp = p->next;
				sw->nports--;
				break;
			}
		log_info(VSW_LOG, "switch '%s': port '%s' disconnected", sw->name, p->name);
	}
	free(p);
}

static void clear_filter(struct vswitch_port *p);

static void set_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct vswitch_port *p = ctx;
	char st[96];

	(void)req;
	p->filter_status = status;
	if (status == (uint32_t)NDIS_STATUS_SUCCESS) {
		p->filter_id = p->u.set.params.FilterId;
		p->filter_vport = NDIS_DEFAULT_VPORT_ID;
		port_set_state(p, VSWITCH_PORT_FILTERED);
		log_info(VSW_LOG, "switch '%s' port '%s': MAC filter %u on the default vPort", p->sw ? p->sw->name : "?",
			 p->name, p->filter_id);
	} else {
		port_set_state(p, VSWITCH_PORT_REFUSED);
		log_warn(VSW_LOG, "switch '%s' port '%s': OID_RECEIVE_FILTER_SET_FILTER failed with %s; the adapter's "
			 "MAC has no filter on the NIC switch", p->sw ? p->sw->name : "?", p->name,
			 ndis_status_format(st, sizeof(st), status));
	}
	if (p->closing) {
		if (p->state == VSWITCH_PORT_FILTERED && p->sw && p->sw->pf)
			clear_filter(p);
		else
			port_free(p);
		return;
	}
	if (p->notify)
		p->notify(p->notify_ctx, p);
}

/* Does the adapter have a NIC switch (and so a default vPort)? ENUM_SWITCHES, answered by NDIS. */
static bool has_nic_switch(struct vswitch *sw)
{
	struct {
		NDIS_NIC_SWITCH_INFO_ARRAY a;
		NDIS_NIC_SWITCH_INFO i;
	} b;
	NDIS_OID_REQUEST r;
	uint32_t st;

	memset(&b, 0, sizeof(b));
	ndis_oid_init(&r, NdisRequestQueryInformation, OID_NIC_SWITCH_ENUM_SWITCHES, &b, sizeof(b));
	return vswitch_oid_sync(sw, &r, &st) == 0 && st == (uint32_t)NDIS_STATUS_SUCCESS && b.a.NumElements > 0;
}

static void set_filter(struct vswitch_port *p)
{
	struct set_filter_buf *b = &p->u.set;
	NDIS_RECEIVE_FILTER_FIELD_PARAMETERS *f;
	uint32_t n = 1, status;
	int rc;

	if (!has_nic_switch(p->sw)) {
		/* No NIC switch, no default vPort to filter on: the PF's own receive path serves the port. */
		p->filter_status = (uint32_t)NDIS_STATUS_NOT_SUPPORTED;
		port_set_state(p, VSWITCH_PORT_REFUSED);
		log_info(VSW_LOG, "switch '%s' port '%s': the adapter has no NIC switch; no vPort filter is set",
			 p->sw->name, p->name);
		if (p->notify)
			p->notify(p->notify_ctx, p);
		return;
	}

	memset(b, 0, sizeof(*b));
	b->params.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	b->params.Header.Revision = NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	b->params.Header.Size = NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	b->params.FilterType = NdisReceiveFilterTypeVMQueue;
	b->params.QueueId = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
	b->params.FilterId = NDIS_DEFAULT_RECEIVE_FILTER_ID;
	b->params.VPortId = NDIS_DEFAULT_VPORT_ID;
	b->params.FieldParametersArrayOffset = (ULONG)offsetof(struct set_filter_buf, fields);
	b->params.FieldParametersArrayElementSize = sizeof(NDIS_RECEIVE_FILTER_FIELD_PARAMETERS);
	f = &b->fields[0];
	f->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	f->Header.Revision = NDIS_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1;
	f->Header.Size = NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1;
	f->FrameHeader = NdisFrameHeaderMac;
	f->ReceiveFilterTest = NdisReceiveFilterTestEqual;
	f->HeaderField.MacHeaderField = NdisMacHeaderFieldDestinationAddress;
	memcpy(f->FieldValue.FieldByteArrayValue, p->mac, 6);
	if (p->vlan) {
		f = &b->fields[n++];
		f->Header = b->fields[0].Header;
		f->FrameHeader = NdisFrameHeaderMac;
		f->ReceiveFilterTest = NdisReceiveFilterTestEqual;
		f->HeaderField.MacHeaderField = NdisMacHeaderFieldVlanId;
		f->FieldValue.FieldShortValue = p->vlan;
	} else {
		/* spec 2.10: VMSwitch sets the flag itself on a MAC filter without a VLAN test. */
		f->Flags = NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
	}
	b->params.FieldParametersArrayNumElements = n;
	ndis_oid_init(&p->req, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, b,
		      (uint32_t)(offsetof(struct set_filter_buf, fields) + n * sizeof(b->fields[0])));
	port_set_state(p, VSWITCH_PORT_FILTERING);
	rc = vswitch_oid(p->sw, &p->req, set_done, p, &status);
	if (rc == 0)
		set_done(p, &p->req, status);
	else if (rc != -EINPROGRESS)
		set_done(p, &p->req, (uint32_t)NDIS_STATUS_FAILURE);
}

static void clear_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct vswitch_port *p = ctx;
	char st[96];

	(void)req;
	if (status != (uint32_t)NDIS_STATUS_SUCCESS)
		log_warn(VSW_LOG, "switch '%s' port '%s': OID_RECEIVE_FILTER_CLEAR_FILTER of filter %u failed with %s",
			 p->sw ? p->sw->name : "?", p->name, p->filter_id, ndis_status_format(st, sizeof(st), status));
	p->filter_id = 0;
	port_set_state(p, VSWITCH_PORT_UNFILTERED);
	if (p->closing)
		port_free(p);
}

static void clear_filter(struct vswitch_port *p)
{
	uint32_t status;
	int rc;

	memset(&p->u.clear, 0, sizeof(p->u.clear));
	p->u.clear.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	p->u.clear.Header.Revision = NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1;
	p->u.clear.Header.Size = NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1;
	p->u.clear.QueueId = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
	p->u.clear.FilterId = p->filter_id;
	ndis_oid_init(&p->req, NdisRequestSetInformation, OID_RECEIVE_FILTER_CLEAR_FILTER, &p->u.clear,
		      NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
	port_set_state(p, VSWITCH_PORT_CLEARING);
	rc = vswitch_oid(p->sw, &p->req, clear_done, p, &status);
	if (rc == 0)
		clear_done(p, &p->req, status);
	else if (rc != -EINPROGRESS)
		clear_done(p, &p->req, (uint32_t)NDIS_STATUS_FAILURE);
}

/* The port's capture point while a capture runs (docs/capture.md); kept across sessions (capture.h). */
static void port_capture(struct vswitch_port *p)
{
	if (capture_on()) {
		/* the port is the adapter's: "VM/adapter" names it, the adapter's name the point */
		const char *slash = strrchr(p->name, '/');
		char point[160], desc[200];

		snprintf(point, sizeof(point), "vSwitch %s port %s", p->sw->name, slash ? slash + 1 : p->name);
		snprintf(desc, sizeof(desc), "vSwitch '%s' port of VM adapter '%s': inbound = into the switch "
			 "from the VM, outbound = to the VM", p->sw->name, p->name);
		p->cap = capture_point_get(point, desc);
	}
}

/* A capture started on a running lab (`iovlab capture start`): the ports that exist get their points. */
void vswitch_capture_attach(struct vswitch *sw)
{
	for (struct vswitch_port *p = sw ? sw->ports : NULL; p && capture_on(); p = p->next)
		if (!p->closing)
			port_capture(p);
}

int vswitch_port_connect(struct vswitch *sw, const char *name, const uint8_t mac[6], uint16_t vlan,
			 vswitch_port_notify_fn *notify, void *ctx, struct vswitch_port **out)
{
	struct vswitch_port *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->sw = sw;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "?");
	memcpy(p->mac, mac, 6);
	p->vlan = vlan;
	p->notify = notify;
	p->notify_ctx = ctx;
	p->state = VSWITCH_PORT_UNFILTERED;
	p->filter_status = (uint32_t)NDIS_STATUS_SUCCESS;
	p->next = sw->ports;
	sw->ports = p;
	sw->nports++;
	port_capture(p);
	log_info(VSW_LOG, "switch '%s': port '%s' connected (MAC %02X-%02X-%02X-%02X-%02X-%02X, VLAN %u)", sw->name,
		 p->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], vlan);
	*out = p;
	if (sw->pf)
		set_filter(p);
	return 0;
}

void vswitch_port_disconnect(struct vswitch_port *p)
{
	if (!p)
		return;
	p->closing = true;
	switch (p->state) {
	case VSWITCH_PORT_FILTERING:
	case VSWITCH_PORT_CLEARING:
		return;		/* freed when the request completes */
	case VSWITCH_PORT_FILTERED:
		if (p->sw && p->sw->pf) {
			/* spec 2.18 1a: a driver clears its default-vPort filters before it leaves. */
			clear_filter(p);
			return;
		}
		port_set_state(p, VSWITCH_PORT_UNFILTERED);
		break;
	default:
		break;
	}
	port_free(p);
}

void vswitch_unbind(struct vswitch *sw)
{
	/* spec 2.18 step 1a: an overlying driver clears its filters while it unbinds. */
	for (struct vswitch_port *p = sw->ports; p; p = p->next)
		if (p->state == VSWITCH_PORT_FILTERED && sw->pf)
			clear_filter(p);
	for (struct vswitch_port *p = sw->ports; p; p = p->next) {
		if (p->state == VSWITCH_PORT_REFUSED)
			port_set_state(p, VSWITCH_PORT_UNFILTERED);
		p->filter_id = 0;
		p->filter_vport = NDIS_DEFAULT_VPORT_ID;
	}
	if (sw->pf)
		log_info(VSW_LOG, "switch '%s': unbound from adapter '%s'", sw->name,
			 sw->adapter_name ? sw->adapter_name : "?");
	sw->pf = NULL;
}

void vswitch_rebind(struct vswitch *sw, struct ndis_adapter *pf)
{
	if (sw->type != VSWITCH_EXTERNAL)
		return;
	sw->pf = pf;
	if (!pf)
		return;
	log_info(VSW_LOG, "switch '%s': bound to adapter '%s' again", sw->name, sw->adapter_name);
	for (struct vswitch_port *p = sw->ports; p; p = p->next)
		if (p->state == VSWITCH_PORT_UNFILTERED && !p->closing)
			set_filter(p);
}

struct vswitch *vswitch_port_switch(const struct vswitch_port *p)
{
	return p->sw;
}

uint32_t vswitch_port_filter_id(const struct vswitch_port *p)
{
	return p->state == VSWITCH_PORT_FILTERED ? p->filter_id : 0;
}

enum vswitch_port_state vswitch_port_state(const struct vswitch_port *p)
{
	return p->state;
}

bool vswitch_port_filter_settled(const struct vswitch_port *p)
{
	/* Not yet tried on a bound adapter counts as not settled: the SET_FILTER is on its way. */
	return p->state == VSWITCH_PORT_FILTERED || p->state == VSWITCH_PORT_REFUSED ||
	       (p->state == VSWITCH_PORT_UNFILTERED && p->sw && !p->sw->pf);
}

uint32_t vswitch_port_filter_status(const struct vswitch_port *p)
{
	return p->filter_status;
}

uint32_t vswitch_port_filter_vport(const struct vswitch_port *p)
{
	return p->filter_vport;
}

void vswitch_port_filter_moved(struct vswitch_port *p, uint32_t vport)
{
	p->filter_vport = vport;
}

const uint8_t *vswitch_port_mac(const struct vswitch_port *p)
{
	return p->mac;
}

uint16_t vswitch_port_vlan(const struct vswitch_port *p)
{
	return p->vlan;
}

struct vswitch_port *vswitch_port_at(const struct vswitch *sw, size_t i)
{
	struct vswitch_port *p = sw->ports;
	size_t n = sw->nports;

	if (i >= n)
		return NULL;
	/* the list is newest first; index in connection order */
	for (size_t k = n - 1; p && k > i; k--)
		p = p->next;
	return p;
}

const char *vswitch_port_name(const struct vswitch_port *p)
{
	return p->name;
}

size_t vswitch_port_count(const struct vswitch *sw)
{
	return sw->nports;
}

/* ---- data path ---------------------------------------------------------------------- */
void vswitch_set_port_rx(struct vswitch *sw, vswitch_port_rx_fn *fn, void *ctx)
{
	sw->port_rx = fn;
	sw->port_rx_ctx = ctx;
}

void vswitch_set_external(struct vswitch *sw, vswitch_external_tx_fn *fn, void *ctx)
{
	sw->ext_tx = fn;
	sw->ext_tx_ctx = ctx;
}

static bool group_mac(const uint8_t *mac)
{
	return mac[0] & 1;	/* broadcast and multicast (IEEE 802 I/G bit) */
}

static void to_port(struct vswitch *sw, struct vswitch_port *p, const struct vswitch_frame *f)
{
	if (capture_on() && p->cap && !p->closing)
		capture_frame(p->cap, CAPTURE_OUT, f->data, f->len);
	if (p->closing || !sw->port_rx || sw->port_rx(sw->port_rx_ctx, p, f, 1) != 1) {
		sw->stats.dropped++;
		return;
	}
	sw->stats.to_ports++;
}

static void to_external(struct vswitch *sw, const struct vswitch_frame *f)
{
	if (!sw->ext_tx || sw->ext_tx(sw->ext_tx_ctx, f, 1) != 1) {
		sw->stats.dropped++;
		return;
	}
	sw->stats.to_external++;
}

static struct vswitch_port *port_of_mac(struct vswitch *sw, const uint8_t *mac)
{
	for (struct vswitch_port *p = sw->ports; p; p = p->next)
		if (!p->closing && !memcmp(p->mac, mac, 6))
			return p;
	return NULL;
}

int vswitch_port_send(struct vswitch_port *src, const struct vswitch_frame *f, unsigned n)
{
	struct vswitch *sw = src->sw;

	if (!sw)
		return -ENODEV;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *dst = f[i].data;
		struct vswitch_port *p;

		sw->stats.from_ports++;
		if (capture_on() && src->cap)
			capture_frame(src->cap, CAPTURE_IN, f[i].data, f[i].len);
		if (f[i].len < 14) {
			sw->stats.dropped++;
			continue;
		}
		if (group_mac(dst)) {
			for (p = sw->ports; p; p = p->next)
				if (p != src)
					to_port(sw, p, &f[i]);
			to_external(sw, &f[i]);
		} else if ((p = port_of_mac(sw, dst))) {
			if (p != src)
				to_port(sw, p, &f[i]);
			else
				sw->stats.dropped++;
		} else {
			to_external(sw, &f[i]);
		}
	}
	return (int)n;
}

void vswitch_external_receive(struct vswitch *sw, const struct vswitch_frame *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *dst = f[i].data;
		struct vswitch_port *p;

		sw->stats.from_external++;
		if (f[i].len < 14) {
			sw->stats.dropped++;
			continue;
		}
		if (group_mac(dst)) {
			for (p = sw->ports; p; p = p->next)
				to_port(sw, p, &f[i]);
		} else if ((p = port_of_mac(sw, dst))) {
			to_port(sw, p, &f[i]);
		} else {
			sw->stats.dropped++;
		}
	}
}

void vswitch_get_stats(const struct vswitch *sw, struct vswitch_stats *st)
{
	*st = sw->stats;
}
