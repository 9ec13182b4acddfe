/*
 * The Hyper-V extensible switch (VMSwitch) as the root partition sees it:
 * what New-VMSwitch creates. An External switch is bound above the PF
 * miniport's adapter; its protocol edge ("VMSP") is where every NIC-switch
 * and receive-filter OID of the virtualization stack originates
 * (ndis-sriov-spec.md 1.1 rows 8-9). The switch owns its ports -- one per
 * connected VM network adapter -- and, for each, the MAC(+VLAN) receive filter
 * it sets on the PF's default vPort when the adapter connects, so the
 * adapter's frames reach the synthetic path (spec 2.10, 2.11 step 1). The
 * virtualization stack (vstack.c) later moves that filter to a VF's vPort and
 * back; the switch clears it when the adapter disconnects (spec 2.18 1a).
 *
 * IOV is chosen at creation (New-VMSwitch -EnableIov) and can never be
 * changed (catalogue F15; tools-and-views.md 1.3): vswitch_set_iov() refuses.
 *
 * The packet path is the minimum the synthetic data path needs (spec 1.2):
 * frames a port's VM adapter sends (NetVSP) are forwarded by destination
 * MAC -- to another port of the switch, or out through the external
 * adapter's protocol edge (the PF's default vPort) -- and frames the PF
 * indicates go to the port with that MAC; broadcast and multicast go to
 * every other port and out. No learning beyond the ports' own MACs, no
 * VLAN handling, no extensions, no VMQ. Single-threaded: called from the
 * host's loop.
 */
#ifndef IOVLAB_HV_VSWITCH_H
#define IOVLAB_HV_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndis/framework.h"

struct vswitch;
struct vswitch_port;

/* Get-VMSwitch SwitchType. */
enum vswitch_type {
	VSWITCH_EXTERNAL,
	VSWITCH_INTERNAL,
	VSWITCH_PRIVATE,
};
const char *vswitch_type_name(enum vswitch_type t);	/* "External", ... */

/* The issuer every OID of the switch and the virtualization stack carries. */
extern const struct ndis_issuer vswitch_issuer;

/*
 * What sits between an External switch and its adapter. An LBFO team's
 * multiplexor miniport passes no SR-IOV capabilities up, so a switch bound
 * to one never offers VFs (catalogue F16; S12 part 7); SET does.
 */
enum vswitch_teaming {
	VSWITCH_TEAM_NONE,
	VSWITCH_TEAM_SET,
	VSWITCH_TEAM_LBFO,
};

struct vswitch_config {
	const char *name;		/* Name, e.g. "ext" (copied) */
	enum vswitch_type type;
	bool iov;			/* -EnableIov: fixed for the switch's life */
	const char *adapter_name;	/* NetAdapterName ("pf0"), NULL for Internal/Private (copied) */
	struct ndis_adapter *pf;	/* the bound adapter, NULL if none came up */
	enum vswitch_teaming teaming;	/* NONE unless the lab says otherwise */
};

/*
 * New-VMSwitch. 0 and *out (freed with vswitch_destroy), -EINVAL (no name,
 * an External switch without an adapter name), -ENOMEM.
 */
int vswitch_create(const struct vswitch_config *cfg, struct vswitch **out);
/* Disconnects any port still connected (clearing its filter); NULL is a no-op. */
void vswitch_destroy(struct vswitch *sw);

const char *vswitch_name(const struct vswitch *sw);
enum vswitch_type vswitch_type(const struct vswitch *sw);
bool vswitch_iov_enabled(const struct vswitch *sw);
enum vswitch_teaming vswitch_teaming(const struct vswitch *sw);
/* Whether SR-IOV reaches the switch from its adapter: false through an LBFO team. */
bool vswitch_iov_passed_up(const struct vswitch *sw);
const char *vswitch_adapter_name(const struct vswitch *sw);	/* NULL if none */
struct ndis_adapter *vswitch_pf(const struct vswitch *sw);	/* NULL if none */
/*
 * Set-VMSwitch cannot change IOV: 0 when iov is what the switch already
 * has, else -EPERM ("IOV can only be chosen when the switch is created").
 */
int vswitch_set_iov(struct vswitch *sw, bool iov);
/*
 * The PF adapter is about to halt (a restart) or came back. Unbinding
 * clears every port's filter (OID_RECEIVE_FILTER_CLEAR_FILTER, spec 2.18
 * step 1a) and then issues nothing until vswitch_rebind(), which sets every
 * connected port's filter again.
 */
void vswitch_unbind(struct vswitch *sw);
void vswitch_rebind(struct vswitch *sw, struct ndis_adapter *pf);

/*
 * Issue an OID through the switch's protocol edge (issuer VMSP), with the
 * framework's semantics (ndis_oid_request): 0 with *status when it completed
 * at once, -EINPROGRESS when done will be called, -ENODEV when the switch
 * has no adapter.
 */
int vswitch_oid(struct vswitch *sw, NDIS_OID_REQUEST *req, ndis_oid_done_fn *done, void *ctx,
		uint32_t *status);
/* Synchronous form for queries; a request the miniport pends is -EINPROGRESS (not waited for). */
int vswitch_oid_sync(struct vswitch *sw, NDIS_OID_REQUEST *req, uint32_t *status);

/* ---- ports ---------------------------------------------------------------- */
/* A port's receive filter (vswitch.c has the diagram). */
enum vswitch_port_state {
	VSWITCH_PORT_UNFILTERED,	/* no filter tried yet (or no adapter to try on) */
	VSWITCH_PORT_FILTERING,		/* SET_FILTER at the miniport */
	VSWITCH_PORT_FILTERED,		/* the MAC filter is set (default or a VF vPort) */
	VSWITCH_PORT_CLEARING,		/* CLEAR_FILTER at the miniport */
	VSWITCH_PORT_REFUSED,		/* tried: no NIC switch, or SET_FILTER failed */
	VSWITCH_PORT_STATE_COUNT
};
const char *vswitch_port_state_name(enum vswitch_port_state s);
bool vswitch_port_state_transition_allowed(enum vswitch_port_state from, enum vswitch_port_state to);
enum vswitch_port_state vswitch_port_state(const struct vswitch_port *p);

/*
 * Called when a port's SET_FILTER completes (also from inside
 * vswitch_port_connect when it completes at once), so the owner can act on
 * the filter being there -- or not. Never called after disconnect.
 */
typedef void vswitch_port_notify_fn(void *ctx, struct vswitch_port *p);

/*
 * Connect a VM network adapter: a port, and (when the switch has an
 * adapter) OID_RECEIVE_FILTER_SET_FILTER on the default vPort for mac, with
 * a VLAN test when vlan != 0 or VLAN_UNTAGGED_OR_ZERO when it is 0, the way
 * VMSwitch programs it (spec 2.10). A refused filter is not an error for the
 * port -- it stays connected without one and vswitch_port_filter_status()
 * says why. 0 and *out (owned by the switch until vswitch_port_disconnect),
 * -ENOMEM. name is copied (for logs).
 */
int vswitch_port_connect(struct vswitch *sw, const char *name, const uint8_t mac[6], uint16_t vlan,
			 vswitch_port_notify_fn *notify, void *ctx, struct vswitch_port **out);
/* OID_RECEIVE_FILTER_CLEAR_FILTER (if a filter is set), then the port is freed. NULL is a no-op. */
void vswitch_port_disconnect(struct vswitch_port *p);
/* While capture_on(): every open port gets its capture point now (a live capture, docs/capture.md). */
void vswitch_capture_attach(struct vswitch *sw);

struct vswitch *vswitch_port_switch(const struct vswitch_port *p);
/* The NDIS filter id of the port's MAC filter, 0 if none is set. */
uint32_t vswitch_port_filter_id(const struct vswitch_port *p);
/*
 * True once the port's filter is decided: set, or refused (no NIC switch,
 * SET_FILTER failed), or there is no adapter to set it on. False while the
 * SET_FILTER is at the miniport or still to be issued (a rebind).
 */
bool vswitch_port_filter_settled(const struct vswitch_port *p);
/* The status of the last SET_FILTER (NDIS_STATUS_SUCCESS when set). */
uint32_t vswitch_port_filter_status(const struct vswitch_port *p);
/* The vPort the filter is on as far as the switch moved it (0 = default). */
uint32_t vswitch_port_filter_vport(const struct vswitch_port *p);
/* Record a completed MOVE_FILTER (the vstack moves, the switch remembers where). */
void vswitch_port_filter_moved(struct vswitch_port *p, uint32_t vport);
const uint8_t *vswitch_port_mac(const struct vswitch_port *p);
uint16_t vswitch_port_vlan(const struct vswitch_port *p);

size_t vswitch_port_count(const struct vswitch *sw);
/* Port i in connection order (NULL past the end), and its name ("VM/adapter"). */
struct vswitch_port *vswitch_port_at(const struct vswitch *sw, size_t i);
const char *vswitch_port_name(const struct vswitch_port *p);

/* ---- data path ------------------------------------------------------------ */
/* A frame handed in or out; data is valid only during the call. */
struct vswitch_frame {
	const void *data;
	uint32_t len;
};

/*
 * Deliver frames to port p's VM adapter (NetVSP's receive path). Returns
 * how many it took; the rest are counted as dropped. Set by the owner of
 * the ports (the host), one per switch.
 */
typedef int vswitch_port_rx_fn(void *ctx, struct vswitch_port *p, const struct vswitch_frame *f, unsigned n);
void vswitch_set_port_rx(struct vswitch *sw, vswitch_port_rx_fn *fn, void *ctx);
/* Send frames out through the external adapter (the PF). Returns how many it took. */
typedef int vswitch_external_tx_fn(void *ctx, const struct vswitch_frame *f, unsigned n);
void vswitch_set_external(struct vswitch *sw, vswitch_external_tx_fn *fn, void *ctx);

/*
 * Frames port p's VM adapter sent (synthetic path), forwarded in order:
 * unicast to a port's MAC goes to that port, other unicast out, broadcast
 * and multicast to every other port and out. Returns n (what could not be
 * delivered is counted as dropped).
 */
int vswitch_port_send(struct vswitch_port *p, const struct vswitch_frame *f, unsigned n);
/* Frames the PF indicated on the switch's binding: to the port with the destination MAC, or flooded. */
void vswitch_external_receive(struct vswitch *sw, const struct vswitch_frame *f, unsigned n);

struct vswitch_stats {
	uint64_t from_ports, to_ports;		/* frames in from / out to VM adapters */
	uint64_t to_external, from_external;	/* frames out through / in from the PF */
	uint64_t dropped;			/* no taker, or the taker refused */
};
void vswitch_get_stats(const struct vswitch *sw, struct vswitch_stats *st);

#endif /* IOVLAB_HV_VSWITCH_H */
