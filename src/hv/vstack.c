/*
 * The root partition's virtualization stack (vstack.h): VMs, their network
 * adapters, the VF assignment policy and, per adapter, the state machine
 * that walks the PF through the documented SR-IOV sequence
 * (ndis-sriov-spec.md 2.11 bring-up, 1.3 / 2.17 / 2.18 teardown, 8.9 state
 * summary). Every OID goes through the adapter's switch (vswitch_oid, issuer
 * VMSP) and may complete at once or later; each state below is either
 * "waiting for one request" or idle, and one function per completion moves
 * the adapter on:
 *
 *   NONE -ALLOCATE_VF-> ALLOCATING -ok-> CREATING_VPORT -ok-> MOVING_FILTER
 *        -ok-> OFFERED (guest_ops.offer_vf) <-> ACTIVE (the guest's NetVsc)
 *   OFFERED|ACTIVE -revoke_vf-> REVOKING -> RESTORING_FILTER -> DELETING_VPORT
 *        -> RESETTING -> FREEING -> NONE
 *   with [host] vf_filter_move = on-switch (the default) the filters go back
 *   as soon as the guest's NetVsc switched back, before the eject:
 *        REVOKING -switched back-> RELEASING_FILTER -> EJECTING -let go->
 *        RESTORING_FILTER (nothing left to move) -> DELETING_VPORT ...
 *   a bring-up OID that fails enters the teardown at the matching point and
 *   leaves the adapter synthetic (PF_FAILED) until a setting changes;
 *   a teardown OID that fails leaves it STUCK (the VF stays held, and shown).
 *
 * Whether an adapter should hold a VF is decided in one place, reconcile():
 * it starts teardowns for adapters that no longer qualify, then hands free
 * VFs to waiting adapters by IovWeight. A completion that finds its adapter
 * no longer wanted turns into the teardown right there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/vstack.h"
#include "ndis/names.h"

#define VS_LOG "lab.hv.vstack"
#define ST(x) ((uint32_t)(x))

struct vstack_vmnic {
	struct vstack *vs;
	struct vstack_vm *vm;
	char *name;
	char *display_name;
	char guid[40];
	char id[96];
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t weight;
	uint32_t qps_requested;
	enum vstack_moderation moderation;
	uint32_t vmq_weight;
	uint32_t ipv4;
	uint8_t ipv4_prefix;
	struct vswitch *sw;		/* configured switch; NULL = not connected */
	struct vswitch_port *port;	/* while the VM runs */

	enum vstack_vf_state state;
	uint64_t want_seq;		/* when it began to want a VF (policy tie-break) */
	enum vstack_iov_reason waiting;	/* why reconcile did not give it a VF */
	bool blocked;			/* a PF failure: not tried again until a setting changes */
	bool withheld;			/* a live-migration-like revoke: no VF until it is returned */
	bool let_go;			/* RELEASING_FILTER: the guest let go while the move was at the PF */
	bool back_meanwhile;		/* STEERING: the guest switched back while the move was at the PF */
	enum vstack_iov_reason block_reason;
	uint32_t failed_oid, failed_status;
	uint16_t vf_id;
	uint32_t vport_id;
	uint32_t serial;
	uint32_t qps;			/* NumQueuePairs asked for in CREATE_VPORT */

	NDIS_OID_REQUEST req;		/* the sequence's one request in flight */
	union {
		NDIS_NIC_SWITCH_VF_PARAMETERS vf;
		NDIS_NIC_SWITCH_VPORT_PARAMETERS vport;
		NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS move;
		NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS del;
		NDIS_SRIOV_RESET_VF_PARAMETERS reset;
		NDIS_NIC_SWITCH_FREE_VF_PARAMETERS free;
	} u;
	NDIS_OID_REQUEST param_req;	/* a vPort parameter change, beside the sequence */
	NDIS_NIC_SWITCH_VPORT_PARAMETERS param;
	bool param_inflight;
	uint32_t vf_allocations;	/* ALLOCATE_VFs that succeeded for it (diagnose: F19's retry) */
};

struct vstack_vm {
	struct vstack *vs;
	char *name;
	char id[40];
	enum vstack_vm_state state;
};

struct vstack {
	const struct vstack_guest_ops *guest;
	void *guest_ctx;
	uint32_t next_serial;
	uint64_t seq;
	struct vstack_vm **vms;
	size_t nvms, cap_vms;
	struct vstack_vmnic **nics;
	size_t nnics, cap_nics;
	struct vswitch *halting;	/* a switch whose PF is about to halt */
	bool platform_ok;
	bool reconciling, again;
	enum vstack_filter_move filter_move;
};

/* ---- names and transition tables -------------------------------------------- */
const char *vstack_vm_state_name(enum vstack_vm_state s)
{
	static const char *const n[VSTACK_VM_STATE_COUNT] = { "Off", "Running", "Stopping" };
	return s < VSTACK_VM_STATE_COUNT ? n[s] : "?";
}

static const bool vm_transitions[VSTACK_VM_STATE_COUNT][VSTACK_VM_STATE_COUNT] = {
	[VSTACK_VM_OFF] = { [VSTACK_VM_RUNNING] = true },
	[VSTACK_VM_RUNNING] = { [VSTACK_VM_STOPPING] = true },
	[VSTACK_VM_STOPPING] = { [VSTACK_VM_OFF] = true },
};

bool vstack_vm_state_transition_allowed(enum vstack_vm_state from, enum vstack_vm_state to)
{
	return from < VSTACK_VM_STATE_COUNT && to < VSTACK_VM_STATE_COUNT && vm_transitions[from][to];
}

const char *vstack_vf_state_name(enum vstack_vf_state s)
{
	static const char *const n[VSTACK_VF_STATE_COUNT] = {
		"None", "Allocating", "CreatingVPort", "MovingFilter", "Offered", "Active", "Revoking",
		"RestoringFilter", "DeletingVPort", "Resetting", "Freeing", "Stuck", "ReleasingFilter", "Ejecting",
		"Steering", "Unsteering",
	};
	return s < VSTACK_VF_STATE_COUNT ? n[s] : "?";
}

#define T(from, ...) [VSTACK_VF_##from] = { __VA_ARGS__ }
#define TO(s) [VSTACK_VF_##s] = true
static const bool vf_transitions[VSTACK_VF_STATE_COUNT][VSTACK_VF_STATE_COUNT] = {
	T(NONE, TO(ALLOCATING)),
	/* failed: back to NONE; succeeded but no longer wanted: reset and free. */
	T(ALLOCATING, TO(CREATING_VPORT), TO(NONE), TO(RESETTING)),
	/* CREATING_VPORT -> OFFERED: on-switch with a guest, the filter moves when the guest switches. */
	T(CREATING_VPORT, TO(MOVING_FILTER), TO(RESETTING), TO(DELETING_VPORT), TO(OFFERED)),
	T(MOVING_FILTER, TO(OFFERED), TO(DELETING_VPORT), TO(RESTORING_FILTER)),
	/* OFFERED -> RESTORING_FILTER: the guest side refused the offer. */
	T(OFFERED, TO(ACTIVE), TO(REVOKING), TO(RESTORING_FILTER), TO(STEERING)),
	T(ACTIVE, TO(OFFERED), TO(REVOKING), TO(UNSTEERING)),
	/* the move done (or failed: back to OFFERED, blocked, and the teardown follows) */
	T(STEERING, TO(ACTIVE), TO(OFFERED)),
	T(UNSTEERING, TO(OFFERED)),
	/* REVOKING -> RELEASING_FILTER: on-switch, the guest's NetVsc switched back (acknowledged). */
	T(REVOKING, TO(RESTORING_FILTER), TO(RELEASING_FILTER)),
	/* A failed early move is tried again after the removal (RESTORING_FILTER), as after-removal does. */
	T(RELEASING_FILTER, TO(EJECTING)),
	T(EJECTING, TO(RESTORING_FILTER)),
	T(RESTORING_FILTER, TO(DELETING_VPORT), TO(STUCK)),
	T(DELETING_VPORT, TO(RESETTING), TO(STUCK)),
	T(RESETTING, TO(FREEING)),
	T(FREEING, TO(NONE), TO(STUCK)),
	/* STUCK -> NONE: the PF restarted, NDIS dropped the NIC switch with it. */
	T(STUCK, TO(NONE)),
};
#undef T
#undef TO

bool vstack_vf_state_transition_allowed(enum vstack_vf_state from, enum vstack_vf_state to)
{
	return from < VSTACK_VF_STATE_COUNT && to < VSTACK_VF_STATE_COUNT && vf_transitions[from][to];
}

static void vm_set_state(struct vstack_vm *vm, enum vstack_vm_state to)
{
	if (!vstack_vm_state_transition_allowed(vm->state, to)) {
		log_error(VS_LOG, "VM '%s': illegal transition %s -> %s", vm->name, vstack_vm_state_name(vm->state),
			  vstack_vm_state_name(to));
		return;
	}
	log_info(VS_LOG, "VM '%s': %s -> %s", vm->name, vstack_vm_state_name(vm->state), vstack_vm_state_name(to));
	vm->state = to;
}

static void set_state(struct vstack_vmnic *n, enum vstack_vf_state to)
{
	if (!vstack_vf_state_transition_allowed(n->state, to)) {
		log_error(VS_LOG, "'%s': illegal VF transition %s -> %s", n->name, vstack_vf_state_name(n->state),
			  vstack_vf_state_name(to));
		return;
	}
	log_debug(VS_LOG, "'%s': VF %s -> %s", n->name, vstack_vf_state_name(n->state), vstack_vf_state_name(to));
	n->state = to;
}

/* ---- helpers ------------------------------------------------------------------- */
static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A stable GUID from a name (FNV-1a), formatted as Hyper-V prints ids. */
static void guid_from(const char *kind, const char *name, char *out, size_t len)
{
	uint64_t h[2] = { 0xcbf29ce484222325ull, 0x84222325cbf29ce4ull };

	for (int k = 0; k < 2; k++) {
		for (const char *p = kind; *p; p++)
			h[k] = (h[k] ^ (uint8_t)*p) * 0x100000001b3ull;
		for (const char *p = name; *p; p++)
			h[k] = (h[k] ^ (uint8_t)(*p | 0x20)) * 0x100000001b3ull;	/* names are case-insensitive */
		/* splitmix64's finalizer, so that vm1 and vm2 do not look alike. */
		h[k] = (h[k] ^ (h[k] >> 30)) * 0xbf58476d1ce4e5b9ull;
		h[k] = (h[k] ^ (h[k] >> 27)) * 0x94d049bb133111ebull;
		h[k] ^= h[k] >> 31;
	}
	snprintf(out, len, "%08X-%04X-4%03X-%04X-%012llX", (unsigned)(h[0] >> 32), (unsigned)(h[0] >> 16) & 0xffffu,
		 (unsigned)h[0] & 0xfffu, (unsigned)((h[1] >> 48) & 0x3fffu) | 0x8000u,
		 (unsigned long long)(h[1] & 0xffffffffffffull));
}

static void counted(NDIS_IF_COUNTED_STRING *s, const char *text)
{
	size_t n = strlen(text);

	memset(s, 0, sizeof(*s));
	if (n > IF_MAX_STRING_SIZE)
		n = IF_MAX_STRING_SIZE;
	for (size_t i = 0; i < n; i++)
		s->String[i] = (WCHAR)(unsigned char)text[i];
	s->Length = (USHORT)(n * sizeof(WCHAR));
}

static const char *oid_str(uint32_t oid, char *buf, size_t len)
{
	return ndis_oid_format(buf, len, oid);
}

static const char *st_str(uint32_t st, char *buf, size_t len)
{
	return ndis_status_format(buf, len, st);
}

static bool holds_vf(enum vstack_vf_state s)
{
	return s != VSTACK_VF_NONE && s != VSTACK_VF_ALLOCATING;
}

static bool in_flight(const struct vstack_vmnic *n)
{
	switch (n->state) {
	case VSTACK_VF_NONE:
	case VSTACK_VF_OFFERED:
	case VSTACK_VF_ACTIVE:
	case VSTACK_VF_STUCK:
		return n->param_inflight;
	default:
		return true;
	}
}

/* Should the adapter hold a VF now (capacity aside)? */
static bool wants_vf(const struct vstack_vmnic *n)
{
	return n->weight > 0 && n->vm->state == VSTACK_VM_RUNNING && n->sw && n->port && n->vs->platform_ok &&
	       vswitch_iov_enabled(n->sw) && vswitch_pf(n->sw) && vswitch_iov_passed_up(n->sw) &&
	       n->vs->halting != n->sw && !n->blocked && !n->withheld;
}

static void reconcile(struct vstack *vs);

/* ON_SWITCH with a guest side that switches: the filters follow the guest's data path (vstack.h). */
static bool follows_switch(const struct vstack_vmnic *n)
{
	return n->vs->filter_move == VSTACK_FILTER_MOVE_ON_SWITCH && n->vs->guest != &vstack_no_guest_ops;
}

static bool filter_on_vf(const struct vstack_vmnic *n)
{
	return n->port && vswitch_port_filter_id(n->port) && n->vport_id != NDIS_DEFAULT_VPORT_ID &&
	       vswitch_port_filter_vport(n->port) == n->vport_id;
}

/* ---- the sequence ---------------------------------------------------------------- */
static void step_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status);

/* The timeline's name of the step whose OID is in n->req (docs/tracing.md). */
static const char *step_name(enum vstack_vf_state s)
{
	switch (s) {
	case VSTACK_VF_ALLOCATING: return "VF allocate";
	case VSTACK_VF_CREATING_VPORT: return "vPort create";
	case VSTACK_VF_MOVING_FILTER: return "filter move";
	case VSTACK_VF_RESTORING_FILTER: return "filter restore";
	case VSTACK_VF_RELEASING_FILTER: return "filter release";
	case VSTACK_VF_STEERING: return "filter steer";
	case VSTACK_VF_UNSTEERING: return "filter unsteer";
	case VSTACK_VF_DELETING_VPORT: return "vPort delete";
	case VSTACK_VF_RESETTING: return "VF reset";
	case VSTACK_VF_FREEING: return "VF free";
	default: return vstack_vf_state_name(s);
	}
}

/* Issue the request prepared in n->req; its completion lands in step_done. */
static void issue(struct vstack_vmnic *n)
{
	uint32_t status;
	int rc;

	/* The span covers the request; an OID that pends completes later (an "OID complete" instant). */
	trace_span_begin(n->state <= VSTACK_VF_MOVING_FILTER || n->state == VSTACK_VF_STEERING ? "vm-start"
			 : n->state == VSTACK_VF_UNSTEERING			      ? "failover"
										      : "teardown",
			 step_name(n->state), "vm=%s adapter=%s", n->vm->name, n->name);
	rc = vswitch_oid(n->sw, &n->req, step_done, n, &status);
	trace_span_end();

	if (rc == 0)
		step_done(n, &n->req, status);
	else if (rc != -EINPROGRESS)
		step_done(n, &n->req, ST(rc == -ENODEV ? NDIS_STATUS_ADAPTER_NOT_READY : NDIS_STATUS_FAILURE));
}

static void fail(struct vstack_vmnic *n, enum vstack_iov_reason why, uint32_t oid, uint32_t status)
{
	n->failed_oid = oid;
	n->failed_status = status;
	if (why != VSTACK_IOV_TEARDOWN_FAILED) {
		n->blocked = true;
		n->block_reason = why;
	}
}

/* The NDIS_OBJECT_HEADER every OID parameter block starts with (spec 4.1). */
static void hdr(NDIS_OBJECT_HEADER *h, uint8_t rev, uint16_t size)
{
	h->Type = NDIS_OBJECT_TYPE_DEFAULT;
	h->Revision = rev;
	h->Size = size;
}

static void do_allocate(struct vstack_vmnic *n)
{
	NDIS_NIC_SWITCH_VF_PARAMETERS *p = &n->u.vf;

	/* spec 2.11 step 2: the serial number exists before ALLOCATE_VF. */
	n->serial = n->vs->next_serial++;
	log_info(VS_LOG, "'%s' (VM %s): serial number %u generated; allocating a VF", n->name, n->vm->name, n->serial);
	memset(p, 0, sizeof(*p));
	hdr(&p->Header, NDIS_NIC_SWITCH_VF_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
	p->SwitchId = NDIS_DEFAULT_SWITCH_ID;
	counted(&p->VMName, n->vm->id);
	counted(&p->VMFriendlyName, n->vm->name);
	counted(&p->NicName, n->guid);
	p->MacAddressLength = 6;
	memcpy(p->PermanentMacAddress, n->mac, 6);
	memcpy(p->CurrentMacAddress, n->mac, 6);
	p->VFId = NDIS_INVALID_VF_FUNCTION_ID;
	p->RequestorId = NDIS_INVALID_RID;
	ndis_oid_init(&n->req, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, p,
		      NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
	set_state(n, VSTACK_VF_ALLOCATING);
	issue(n);
}

static void do_create_vport(struct vstack_vmnic *n)
{
	NDIS_NIC_SWITCH_VPORT_PARAMETERS *p = &n->u.vport;
	char name[160];

	n->vf_allocations++;	/* ALLOCATE_VF succeeded: the vPort comes next */
	memset(p, 0, sizeof(*p));
	hdr(&p->Header, NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1,
	    NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	p->SwitchId = NDIS_DEFAULT_SWITCH_ID;
	p->VPortId = NDIS_DEFAULT_VPORT_ID;	/* NDIS assigns it */
	snprintf(name, sizeof(name), "%s %s", n->vm->name, n->display_name);
	counted(&p->VPortName, name);
	p->AttachedFunctionId = n->vf_id;
	p->NumQueuePairs = n->qps;
	p->InterruptModeration = (NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION)n->moderation;
	p->VPortState = NdisNicSwitchVPortStateActivated;	/* a VF vPort is created activated (spec 2.7) */
	ndis_oid_init(&n->req, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, p,
		      NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	set_state(n, VSTACK_VF_CREATING_VPORT);
	issue(n);
}

static void do_move(struct vstack_vmnic *n, enum vstack_vf_state state, uint32_t to)
{
	NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS *p = &n->u.move;

	memset(p, 0, sizeof(*p));
	hdr(&p->Header, NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1,
	    NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
	p->FilterId = vswitch_port_filter_id(n->port);
	p->SourceQueueId = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
	p->SourceVPortId = vswitch_port_filter_vport(n->port);
	p->DestQueueId = NDIS_DEFAULT_RECEIVE_QUEUE_ID;
	p->DestVPortId = to;
	ndis_oid_init(&n->req, NdisRequestSetInformation, OID_RECEIVE_FILTER_MOVE_FILTER, p,
		      NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
	set_state(n, state);
	issue(n);
}

static void do_delete_vport(struct vstack_vmnic *n)
{
	NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS *p = &n->u.del;

	memset(p, 0, sizeof(*p));
	hdr(&p->Header, NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1,
	    NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
	p->VPortId = n->vport_id;
	ndis_oid_init(&n->req, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_VPORT, p,
		      NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
	set_state(n, VSTACK_VF_DELETING_VPORT);
	issue(n);
}

static void do_reset(struct vstack_vmnic *n)
{
	NDIS_SRIOV_RESET_VF_PARAMETERS *p = &n->u.reset;

	memset(p, 0, sizeof(*p));
	hdr(&p->Header, NDIS_SRIOV_RESET_VF_PARAMETERS_REVISION_1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
	p->VFId = n->vf_id;
	ndis_oid_init(&n->req, NdisRequestSetInformation, OID_SRIOV_RESET_VF, p,
		      NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
	set_state(n, VSTACK_VF_RESETTING);
	issue(n);
}

static void do_free(struct vstack_vmnic *n)
{
	NDIS_NIC_SWITCH_FREE_VF_PARAMETERS *p = &n->u.free;

	memset(p, 0, sizeof(*p));
	hdr(&p->Header, NDIS_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1,
	    NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
	p->VFId = n->vf_id;
	ndis_oid_init(&n->req, NdisRequestSetInformation, OID_NIC_SWITCH_FREE_VF, p,
		      NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
	set_state(n, VSTACK_VF_FREEING);
	issue(n);
}

/* Filters back to the default vPort (skipped when the filter never moved). */
static void do_restore(struct vstack_vmnic *n)
{
	if (n->port && vswitch_port_filter_id(n->port) && vswitch_port_filter_vport(n->port) == n->vport_id &&
	    n->vport_id != NDIS_DEFAULT_VPORT_ID) {
		do_move(n, VSTACK_VF_RESTORING_FILTER, NDIS_DEFAULT_VPORT_ID);
		return;
	}
	set_state(n, VSTACK_VF_RESTORING_FILTER);
	do_delete_vport(n);
}

static void do_offer(struct vstack_vmnic *n)
{
	const struct vstack_guest_ops *g = n->vs->guest;
	int rc;

	set_state(n, VSTACK_VF_OFFERED);
	log_info(VS_LOG, "'%s' (VM %s): VF %u steered (vPort %u, filter %u); offering it to the guest (serial %u)",
		 n->name, n->vm->name, n->vf_id, n->vport_id, vswitch_port_filter_id(n->port), n->serial);
	trace_span_begin("vm-start", "vPCI offer", "vm=%s adapter=%s vf=%u serial=%u", n->vm->name, n->name, n->vf_id,
			 n->serial);
	rc = g->offer_vf ? g->offer_vf(n->vs->guest_ctx, n, n->vf_id, n->serial) : -ENOTSUP;
	trace_span_end();
	if (rc == -EAGAIN && n->state == VSTACK_VF_OFFERED) {
		/* The System event 236 case (failure catalogue F19): benign, retried once the VM is ready. */
		log_warn(VS_LOG, "event 236: '%s' (VM %s): VF %u was allocated before the VM's VMBus channel was ready; "
			 "taking it back and trying again when the VM is ready", n->name, n->vm->name, n->vf_id);
		fail(n, VSTACK_IOV_GUEST_NOT_READY, 0, 0);
		do_restore(n);
	} else if (rc && n->state == VSTACK_VF_OFFERED) {
		log_warn(VS_LOG, "'%s': the guest side could not take VF %u (%s); taking it back", n->name, n->vf_id,
			 strerror(-rc));
		fail(n, VSTACK_IOV_PF_FAILED, 0, ST(NDIS_STATUS_FAILURE));
		do_restore(n);
	}
}

/* Start (or continue) the teardown of an idle adapter that holds a VF. */
static void teardown(struct vstack_vmnic *n)
{
	const struct vstack_guest_ops *g = n->vs->guest;
	int rc;

	if (n->state != VSTACK_VF_OFFERED && n->state != VSTACK_VF_ACTIVE)
		return;
	/* spec 1.3: the guest's removal comes first, then the parent's steps. */
	set_state(n, VSTACK_VF_REVOKING);
	log_info(VS_LOG, "'%s' (VM %s): taking VF %u back from the guest", n->name, n->vm->name, n->vf_id);
	trace_span_begin("teardown", "VF revoke", "vm=%s adapter=%s vf=%u", n->vm->name, n->name, n->vf_id);
	rc = g->revoke_vf ? g->revoke_vf(n->vs->guest_ctx, n, n->vf_id) : 0;
	trace_span_end();
	if (rc == -EINPROGRESS)
		return;
	if (rc)
		log_warn(VS_LOG, "'%s': the guest side failed to revoke VF %u (%s); continuing as if removed", n->name,
			 n->vf_id, strerror(-rc));
	vstack_vmnic_vf_revoked(n);
}

void vstack_vmnic_vf_revoked(struct vstack_vmnic *n)
{
	if (n->state == VSTACK_VF_RELEASING_FILTER) {
		n->let_go = true;	/* the early move completes first; step_done goes on */
		return;
	}
	if (n->state == VSTACK_VF_EJECTING) {
		log_info(VS_LOG, "'%s' (VM %s): the guest let go of VF %u; its filters are on the default vPort already",
			 n->name, n->vm->name, n->vf_id);
		do_restore(n);	/* moves again only if the early move failed */
		return;
	}
	if (n->state != VSTACK_VF_REVOKING) {
		log_warn(VS_LOG, "'%s': guest reported VF removal in state %s; ignored", n->name,
			 vstack_vf_state_name(n->state));
		return;
	}
	do_restore(n);
}

/*
 * The on-switch filter-move point (enum vstack_filter_move, docs/hv/vstack.md):
 * the guest's NetVsc has switched back and the host acknowledged it; the VF
 * miniport still runs until the eject pauses it. Moving the filters now means
 * frames for the VM go PF -> vSwitch -> NetVSP from here on, and what reached
 * the VF before is still indicated through NetVsc's VF edge (it receives
 * until unbind), so no window drops them.
 */
int vstack_vmnic_switched_back(struct vstack_vmnic *n)
{
	if (n->state == VSTACK_VF_REVOKING)
		trace_instant("failover", "guest off the VF", "vm=%s adapter=%s vf=%u filter_move=%s", n->vm->name,
			      n->name, n->vf_id, vstack_filter_move_name(n->vs->filter_move));
	if (n->state != VSTACK_VF_REVOKING || n->vs->filter_move != VSTACK_FILTER_MOVE_ON_SWITCH)
		return 0;
	if (!filter_on_vf(n)) {
		set_state(n, VSTACK_VF_RELEASING_FILTER);
		set_state(n, VSTACK_VF_EJECTING);	/* nothing on the VF's vPort to move */
		return 0;
	}
	log_info(VS_LOG, "'%s' (VM %s): the guest switched back to synthetic; filters back to the default vPort "
		 "before VF %u is ejected (vf_filter_move on-switch)", n->name, n->vm->name, n->vf_id);
	n->let_go = false;
	do_move(n, VSTACK_VF_RELEASING_FILTER, NDIS_DEFAULT_VPORT_ID);
	/* do_move completed at once unless the PF pended it (still RELEASING_FILTER then) */
	return n->state == VSTACK_VF_RELEASING_FILTER ? -EINPROGRESS : 0;
}

static void step_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct vstack_vmnic *n = ctx;
	bool ok = status == ST(NDIS_STATUS_SUCCESS);
	uint32_t oid = req->DATA.QUERY_INFORMATION.Oid;
	char o[96], s[96];

	if (!ok)
		log_warn(VS_LOG, "'%s' (VM %s): %s failed with %s", n->name, n->vm->name, oid_str(oid, o, sizeof(o)),
			 st_str(status, s, sizeof(s)));
	switch (n->state) {
	case VSTACK_VF_ALLOCATING:
		if (!ok) {
			/* HNS-style event: the VM stays on the synthetic path. */
			log_warn(VS_LOG, "Failed to allocate virtual function for NIC %s (Friendly Name: %s), status = %s",
				 n->guid, n->display_name, st_str(status, s, sizeof(s)));
			fail(n, VSTACK_IOV_PF_FAILED, oid, status);
			n->serial = 0;
			set_state(n, VSTACK_VF_NONE);
			break;
		}
		n->vf_id = n->u.vf.VFId;
		log_info(VS_LOG, "'%s': VF %u allocated (RID 0x%x)", n->name, n->vf_id, n->u.vf.RequestorId);
		if (!wants_vf(n))
			do_reset(n);
		else
			do_create_vport(n);
		break;
	case VSTACK_VF_CREATING_VPORT:
		if (!ok) {
			fail(n, VSTACK_IOV_PF_FAILED, oid, status);
			do_reset(n);
			break;
		}
		n->vport_id = n->u.vport.VPortId;
		log_info(VS_LOG, "'%s': vPort %u created on VF %u (%u queue pair(s))", n->name, n->vport_id, n->vf_id,
			 n->qps);
		if (!wants_vf(n)) {
			do_delete_vport(n);
		} else if (!vswitch_port_filter_id(n->port)) {
			fail(n, VSTACK_IOV_NO_FILTER, OID_RECEIVE_FILTER_SET_FILTER, vswitch_port_filter_status(n->port));
			do_delete_vport(n);
		} else if (follows_switch(n)) {
			/* on-switch: offered with the filter on the default vPort; it moves when the guest switches */
			do_offer(n);
		} else {
			do_move(n, VSTACK_VF_MOVING_FILTER, n->vport_id);
		}
		break;
	case VSTACK_VF_MOVING_FILTER:
		if (!ok) {
			fail(n, VSTACK_IOV_PF_FAILED, oid, status);
			do_delete_vport(n);
			break;
		}
		vswitch_port_filter_moved(n->port, n->vport_id);
		if (!wants_vf(n))
			do_restore(n);
		else
			do_offer(n);
		break;
	case VSTACK_VF_RESTORING_FILTER:
		if (!ok) {
			fail(n, VSTACK_IOV_TEARDOWN_FAILED, oid, status);
			set_state(n, VSTACK_VF_STUCK);
			break;
		}
		vswitch_port_filter_moved(n->port, NDIS_DEFAULT_VPORT_ID);
		do_delete_vport(n);
		break;
	case VSTACK_VF_STEERING:
		if (!ok) {
			/* The guest is on the VF but nothing steers to it: take the VF back (F20, F28). */
			n->back_meanwhile = false;
			fail(n, VSTACK_IOV_PF_FAILED, oid, status);
			set_state(n, VSTACK_VF_OFFERED);
			break;
		}
		vswitch_port_filter_moved(n->port, n->vport_id);
		set_state(n, VSTACK_VF_ACTIVE);
		log_info(VS_LOG, "'%s' (VM %s): filter %u steered to VF %u's vPort %u after the guest's switch", n->name,
			 n->vm->name, vswitch_port_filter_id(n->port), n->vf_id, n->vport_id);
		if (n->back_meanwhile) {
			n->back_meanwhile = false;
			vstack_vmnic_datapath(n, false);	/* the switch back that came meanwhile */
			return;	/* it reconciles when it completes */
		}
		break;
	case VSTACK_VF_UNSTEERING:
		if (ok)
			vswitch_port_filter_moved(n->port, NDIS_DEFAULT_VPORT_ID);
		set_state(n, VSTACK_VF_OFFERED);
		break;
	case VSTACK_VF_RELEASING_FILTER: {
		bool let_go = n->let_go;

		if (!ok)
			/* Not STUCK yet: the move is tried again once the guest let go (after-removal's point). */
			log_warn(VS_LOG, "'%s': early filter move failed; trying again after the removal", n->name);
		else
			vswitch_port_filter_moved(n->port, NDIS_DEFAULT_VPORT_ID);
		n->let_go = false;
		set_state(n, VSTACK_VF_EJECTING);
		if (let_go) {
			do_restore(n);
		} else if (n->vs->guest->filters_released) {
			n->vs->guest->filters_released(n->vs->guest_ctx, n, n->vf_id);
		}
		break;
	}
	case VSTACK_VF_DELETING_VPORT:
		if (!ok) {
			fail(n, VSTACK_IOV_TEARDOWN_FAILED, oid, status);
			set_state(n, VSTACK_VF_STUCK);
			break;
		}
		n->vport_id = 0;
		do_reset(n);
		break;
	case VSTACK_VF_RESETTING:
		/* An FLR that fails does not keep the VF: FREE_VF still follows (spec 2.15, 2.18). */
		do_free(n);
		break;
	case VSTACK_VF_FREEING:
		if (!ok) {
			fail(n, VSTACK_IOV_TEARDOWN_FAILED, oid, status);
			set_state(n, VSTACK_VF_STUCK);
			break;
		}
		log_info(VS_LOG, "'%s' (VM %s): VF %u freed; the adapter is on the synthetic path", n->name, n->vm->name,
			 n->vf_id);
		n->vf_id = 0;
		n->serial = 0;
		set_state(n, VSTACK_VF_NONE);
		break;
	default:
		log_error(VS_LOG, "'%s': %s completed in state %s", n->name, oid_str(oid, o, sizeof(o)),
			  vstack_vf_state_name(n->state));
		return;
	}
	reconcile(n->vs);
}

/* ---- capacity, from NDIS's cache ------------------------------------------------ */
struct capacity {
	enum vstack_iov_reason why;	/* VSTACK_IOV_IN_USE: there is room */
	uint32_t qps;			/* queue pairs the vPort gets */
};

static void capacity(struct vstack *vs, struct vstack_vmnic *n, struct capacity *c)
{
	struct {
		NDIS_NIC_SWITCH_INFO_ARRAY arr;
		NDIS_NIC_SWITCH_INFO info;
	} sw;
	NDIS_NIC_SWITCH_CAPABILITIES caps;
	NDIS_OID_REQUEST r;
	NDIS_NIC_SWITCH_INFO info;
	uint32_t st, vfs = 0, vports = 0, qps = 0, per;

	memset(c, 0, sizeof(*c));
	memset(&sw, 0, sizeof(sw));
	ndis_oid_init(&r, NdisRequestQueryInformation, OID_NIC_SWITCH_ENUM_SWITCHES, &sw, sizeof(sw));
	if (vswitch_oid_sync(n->sw, &r, &st) || st != ST(NDIS_STATUS_SUCCESS) || sw.arr.NumElements < 1) {
		c->why = VSTACK_IOV_NO_NIC_SWITCH;
		return;
	}
	memcpy(&info, (uint8_t *)&sw + sw.arr.FirstElementOffset, sizeof(info));
	if (info.NumVFs == 0) {
		c->why = VSTACK_IOV_NO_NIC_SWITCH;
		return;
	}
	memset(&caps, 0, sizeof(caps));
	ndis_oid_init(&r, NdisRequestQueryInformation, OID_NIC_SWITCH_CURRENT_CAPABILITIES, &caps, sizeof(caps));
	if (vswitch_oid_sync(n->sw, &r, &st) || st != ST(NDIS_STATUS_SUCCESS)) {
		c->why = VSTACK_IOV_NO_NIC_SWITCH;
		return;
	}
	/* Requests on their way to the PF are not in NDIS's cache yet. */
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *o = vs->nics[i];
		if (o->sw != n->sw)
			continue;
		if (o->state == VSTACK_VF_ALLOCATING)
			vfs++;
		if (o->state == VSTACK_VF_ALLOCATING || o->state == VSTACK_VF_CREATING_VPORT) {
			vports++;
			qps += o->qps;
		}
	}
	per = caps.MaxNumQueuePairsPerNonDefaultVPort ? caps.MaxNumQueuePairsPerNonDefaultVPort : 1;
	c->qps = n->qps_requested < per ? n->qps_requested : per;
	if (c->qps < 1)
		c->qps = 1;
	if (info.NumAllocatedVFs + vfs >= info.NumVFs)
		c->why = VSTACK_IOV_POOL_VFS;
	else if (info.NumVPorts && info.NumActiveVPorts + vports >= info.NumVPorts)
		c->why = VSTACK_IOV_POOL_VPORTS;
	else if (caps.MaxNumQueuePairs &&
		 info.NumQueuePairsForDefaultVPort + info.NumQueuePairsForNonDefaultVPorts + qps + c->qps >
			 caps.MaxNumQueuePairs)
		c->why = VSTACK_IOV_POOL_QUEUE_PAIRS;
	else
		c->why = VSTACK_IOV_IN_USE;
}

/* ---- the policy ------------------------------------------------------------------ */
static int by_policy(const void *a, const void *b)
{
	const struct vstack_vmnic *x = *(struct vstack_vmnic *const *)a, *y = *(struct vstack_vmnic *const *)b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->want_seq < y->want_seq ? -1 : x->want_seq > y->want_seq;
}

static void finish_stops(struct vstack *vs)
{
	for (size_t v = 0; v < vs->nvms; v++) {
		struct vstack_vm *vm = vs->vms[v];
		bool done = true;

		if (vm->state != VSTACK_VM_STOPPING)
			continue;
		for (size_t i = 0; i < vs->nnics; i++)
			if (vs->nics[i]->vm == vm && vs->nics[i]->state != VSTACK_VF_NONE &&
			    vs->nics[i]->state != VSTACK_VF_STUCK)
				done = false;
		if (!done)
			continue;
		for (size_t i = 0; i < vs->nnics; i++) {
			struct vstack_vmnic *n = vs->nics[i];
			if (n->vm == vm && n->port) {
				struct vswitch_port *p = n->port;
				n->port = NULL;
				vswitch_port_disconnect(p);
			}
		}
		vm_set_state(vm, VSTACK_VM_OFF);
	}
}

static void reconcile_once(struct vstack *vs)
{
	struct vstack_vmnic **cand;
	size_t nc = 0;

	/* Adapters that hold a VF they should no longer have: teardown. */
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *n = vs->nics[i];
		if ((n->state == VSTACK_VF_OFFERED || n->state == VSTACK_VF_ACTIVE) && !wants_vf(n))
			teardown(n);
	}
	finish_stops(vs);

	/* Waiting adapters, heaviest IovWeight first. */
	cand = calloc(vs->nnics ? vs->nnics : 1, sizeof(*cand));
	if (!cand)
		return;
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *n = vs->nics[i];
		if (!wants_vf(n)) {
			if (n->state == VSTACK_VF_NONE)
				n->want_seq = 0;
			n->waiting = VSTACK_IOV_IN_USE;
			continue;
		}
		if (!n->want_seq)
			n->want_seq = ++vs->seq;
		if (n->state == VSTACK_VF_NONE && vswitch_port_filter_settled(n->port))
			cand[nc++] = n;
	}
	qsort(cand, nc, sizeof(*cand), by_policy);
	for (size_t i = 0; i < nc; i++) {
		struct vstack_vmnic *n = cand[i];
		struct capacity c;

		if (n->state != VSTACK_VF_NONE || !wants_vf(n))
			continue;	/* a nested completion got there first */
		capacity(vs, n, &c);
		if (c.why != VSTACK_IOV_IN_USE) {
			if (n->waiting != c.why)
				log_warn(VS_LOG, "'%s' (VM %s, IovWeight %u): no VF: %s; it stays on the synthetic path",
					 n->name, n->vm->name, n->weight,
					 c.why == VSTACK_IOV_POOL_VFS ? "every VF of the NIC switch is in use" :
					 c.why == VSTACK_IOV_POOL_VPORTS ? "every vPort of the NIC switch is in use" :
					 c.why == VSTACK_IOV_POOL_QUEUE_PAIRS ? "not enough queue pairs left" :
					 "the adapter has no NIC switch with VFs");
			n->waiting = c.why;
			continue;
		}
		if (!vswitch_port_filter_id(n->port)) {
			/* Nothing to move to a VF's vPort: do not take a VF for it. */
			if (n->waiting != VSTACK_IOV_NO_FILTER)
				log_warn(VS_LOG, "'%s' (VM %s): no VF: the switch has no MAC filter for it", n->name,
					 n->vm->name);
			n->waiting = VSTACK_IOV_NO_FILTER;
			n->failed_status = vswitch_port_filter_status(n->port);
			continue;
		}
		n->waiting = VSTACK_IOV_IN_USE;
		n->qps = c.qps;
		do_allocate(n);
	}
	free(cand);
}

static void reconcile(struct vstack *vs)
{
	if (vs->reconciling) {
		vs->again = true;
		return;
	}
	vs->reconciling = true;
	do {
		vs->again = false;
		reconcile_once(vs);
	} while (vs->again);
	vs->reconciling = false;
}

/* ---- the no-guest implementation ----------------------------------------------- */
static int no_guest_offer(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint32_t serial)
{
	(void)ctx;
	log_info(VS_LOG, "'%s': VF %u (serial %u) offered to VM %s, whose guest is not running: nothing takes it "
		 "(the guest side is not built yet)", n->name, vf_id, serial, n->vm->name);
	return 0;
}

static int no_guest_revoke(void *ctx, struct vstack_vmnic *n, uint16_t vf_id)
{
	(void)ctx;
	log_info(VS_LOG, "'%s': VF %u revoked; no guest held it", n->name, vf_id);
	return 0;
}

static const char *no_guest_describe(void *ctx, const struct vstack_vmnic *n)
{
	(void)ctx;
	(void)n;
	return "the VM's guest is not running (the guest side is not built yet)";
}

static void no_guest_invalidated(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint64_t mask)
{
	(void)ctx;
	log_info(VS_LOG, "'%s': config blocks 0x%llx of VF %u invalidated; no guest runs to read them again", n->name,
		 (unsigned long long)mask, vf_id);
}

const struct vstack_guest_ops vstack_no_guest_ops = {
	.offer_vf = no_guest_offer,
	.revoke_vf = no_guest_revoke,
	.describe = no_guest_describe,
	.vf_config_invalidated = no_guest_invalidated,
};

/* ---- the stack ------------------------------------------------------------------- */
int vstack_create(const struct vstack_config *cfg, struct vstack **out)
{
	struct vstack *vs = calloc(1, sizeof(*vs));

	*out = NULL;
	if (!vs)
		return -ENOMEM;
	vs->guest = cfg && cfg->guest ? cfg->guest : &vstack_no_guest_ops;
	vs->guest_ctx = cfg ? cfg->guest_ctx : NULL;
	vs->next_serial = cfg && cfg->first_serial ? cfg->first_serial : 1;
	vs->platform_ok = true;
	vs->filter_move = cfg && cfg->filter_move < VSTACK_FILTER_MOVE_COUNT ? cfg->filter_move
									     : VSTACK_FILTER_MOVE_ON_SWITCH;
	*out = vs;
	return 0;
}

const char *vstack_filter_move_name(enum vstack_filter_move m)
{
	static const char *const n[VSTACK_FILTER_MOVE_COUNT] = { "on-switch", "after-removal" };
	return (unsigned)m < VSTACK_FILTER_MOVE_COUNT ? n[m] : "?";
}

int vstack_set_filter_move(struct vstack *vs, enum vstack_filter_move m)
{
	if ((unsigned)m >= VSTACK_FILTER_MOVE_COUNT)
		return -EINVAL;
	if (vs->filter_move != m)
		log_info(VS_LOG, "VF filter move point: %s", vstack_filter_move_name(m));
	vs->filter_move = m;
	return 0;
}

enum vstack_filter_move vstack_filter_move(const struct vstack *vs) { return vs->filter_move; }

void vstack_set_platform_support(struct vstack *vs, bool supported)
{
	vs->platform_ok = supported;
	reconcile(vs);
}

void vstack_vf_config_invalidated(struct vstack *vs, struct ndis_adapter *pf, uint16_t vf, uint64_t mask)
{
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *n = vs->nics[i];

		if (!n->sw || vswitch_pf(n->sw) != pf || n->vf_id != vf ||
		    (n->state != VSTACK_VF_OFFERED && n->state != VSTACK_VF_ACTIVE))
			continue;
		log_info(VS_LOG, "'%s': the PF invalidated config blocks 0x%llx of VF %u; telling the guest", n->name,
			 (unsigned long long)mask, vf);
		trace_instant("config", "config block invalidate", "vm=%s adapter=%s vf=%u mask=0x%llx", n->vm->name,
			      n->name, vf, (unsigned long long)mask);
		if (vs->guest->vf_config_invalidated)
			vs->guest->vf_config_invalidated(vs->guest_ctx, n, vf, mask);
		return;
	}
	log_debug(VS_LOG, "VF %u: config blocks 0x%llx invalidated before any guest has the VF; its driver reads them "
		  "when it starts", vf, (unsigned long long)mask);
}

bool vstack_busy(const struct vstack *vs)
{
	for (size_t i = 0; i < vs->nnics; i++)
		if (in_flight(vs->nics[i]))
			return true;
	return false;
}

void vstack_destroy(struct vstack *vs)
{
	if (!vs)
		return;
	for (size_t v = 0; v < vs->nvms; v++)
		if (vs->vms[v]->state == VSTACK_VM_RUNNING)
			(void)vstack_vm_stop(vs->vms[v]);
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *n = vs->nics[i];

		if (in_flight(n)) {
			/* The framework still holds n->req: leak rather than free under it. */
			log_error(VS_LOG, "'%s': VF %s still waiting for the PF or the guest at teardown; leaked", n->name,
				  vstack_vf_state_name(n->state));
			continue;
		}
		if (n->port)
			vswitch_port_disconnect(n->port);
		free(n->name);
		free(n->display_name);
		free(n);
	}
	for (size_t v = 0; v < vs->nvms; v++) {
		free(vs->vms[v]->name);
		free(vs->vms[v]);
	}
	free(vs->nics);
	free(vs->vms);
	free(vs);
}

int vstack_switch_pf_halting(struct vstack *vs, struct vswitch *sw)
{
	vs->halting = sw;
	reconcile(vs);
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *n = vs->nics[i];
		if (n->sw == sw && in_flight(n))
			return -EBUSY;
	}
	for (size_t i = 0; i < vs->nnics; i++) {
		struct vstack_vmnic *n = vs->nics[i];
		if (n->sw != sw)
			continue;
		if (n->state == VSTACK_VF_STUCK) {
			/* DELETE_SWITCH at the halt drops what the teardown could not. */
			set_state(n, VSTACK_VF_NONE);
			n->vf_id = 0;
			n->vport_id = 0;
			n->serial = 0;
		}
		n->blocked = false;
	}
	vswitch_unbind(sw);
	return 0;
}

void vstack_switch_pf_back(struct vstack *vs, struct vswitch *sw, struct ndis_adapter *pf)
{
	if (vs->halting == sw)
		vs->halting = NULL;
	vswitch_rebind(sw, pf);
	reconcile(vs);
}

/* ---- VMs ------------------------------------------------------------------------ */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (*cap ? *cap * 2 : 8) * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = *cap ? *cap * 2 : 8;
	return 0;
}

int vstack_vm_create(struct vstack *vs, const char *name, struct vstack_vm **out)
{
	struct vstack_vm *vm;

	*out = NULL;
	if (!name || !*name)
		return -EINVAL;
	if (vstack_vm_find(vs, name))
		return -EEXIST;
	if (grow((void **)&vs->vms, &vs->cap_vms, vs->nvms, sizeof(*vs->vms)))
		return -ENOMEM;
	vm = calloc(1, sizeof(*vm));
	if (!vm || !(vm->name = strdup(name))) {
		free(vm);
		return -ENOMEM;
	}
	vm->vs = vs;
	vm->state = VSTACK_VM_OFF;
	guid_from("vm", name, vm->id, sizeof(vm->id));
	vs->vms[vs->nvms++] = vm;
	log_info(VS_LOG, "New-VM '%s' (Id %s)", name, vm->id);
	*out = vm;
	return 0;
}

static void port_notify(void *ctx, struct vswitch_port *p)
{
	struct vstack_vmnic *n = ctx;

	if (n->port == p)
		reconcile(n->vs);
}

static void connect_port(struct vstack_vmnic *n)
{
	struct vswitch_port *p;
	char label[96];

	if (!n->sw || n->port)
		return;
	snprintf(label, sizeof(label), "%s/%s", n->vm->name, n->name);
	if (vswitch_port_connect(n->sw, label, n->mac, n->vlan, port_notify, n, &p) == 0)
		n->port = p;
	else
		log_error(VS_LOG, "'%s': cannot connect to switch '%s'", n->name, vswitch_name(n->sw));
}

int vstack_vm_start(struct vstack_vm *vm)
{
	struct vstack *vs = vm->vs;

	if (vm->state != VSTACK_VM_OFF)
		return -EPERM;
	vm_set_state(vm, VSTACK_VM_RUNNING);
	for (size_t i = 0; i < vs->nnics; i++)
		if (vs->nics[i]->vm == vm) {
			vs->nics[i]->blocked = false;
			connect_port(vs->nics[i]);
		}
	reconcile(vs);
	return 0;
}

int vstack_vm_stop(struct vstack_vm *vm)
{
	if (vm->state != VSTACK_VM_RUNNING)
		return -EPERM;
	vm_set_state(vm, VSTACK_VM_STOPPING);
	reconcile(vm->vs);
	return vm->state == VSTACK_VM_OFF ? 0 : -EINPROGRESS;
}

const char *vstack_vm_name(const struct vstack_vm *vm)
{
	return vm->name;
}

const char *vstack_vm_id(const struct vstack_vm *vm)
{
	return vm->id;
}

enum vstack_vm_state vstack_vm_state(const struct vstack_vm *vm)
{
	return vm->state;
}

struct vstack *vstack_vm_stack(const struct vstack_vm *vm)
{
	return vm->vs;
}

size_t vstack_vm_count(const struct vstack *vs)
{
	return vs->nvms;
}

struct vstack_vm *vstack_vm_at(const struct vstack *vs, size_t i)
{
	return i < vs->nvms ? vs->vms[i] : NULL;
}

struct vstack_vm *vstack_vm_find(const struct vstack *vs, const char *name)
{
	for (size_t i = 0; i < vs->nvms; i++)
		if (strcasecmp(vs->vms[i]->name, name) == 0)
			return vs->vms[i];
	return NULL;
}

/* ---- adapters ------------------------------------------------------------------- */
static bool moderation_valid(enum vstack_moderation m)
{
	switch (m) {
	case VSTACK_MODERATION_DEFAULT:
	case VSTACK_MODERATION_ADAPTIVE:
	case VSTACK_MODERATION_OFF:
	case VSTACK_MODERATION_LOW:
	case VSTACK_MODERATION_MEDIUM:
	case VSTACK_MODERATION_HIGH:
		return true;
	}
	return false;
}

int vstack_vmnic_create(struct vstack_vm *vm, const struct vstack_vmnic_config *cfg, struct vswitch *sw,
			struct vstack_vmnic **out)
{
	struct vstack *vs = vm->vs;
	struct vstack_vmnic *n;
	char key[160];

	*out = NULL;
	if (!cfg || !cfg->name || !*cfg->name || cfg->iov_weight > 100 || cfg->iov_queue_pairs_requested < 1 ||
	    !moderation_valid(cfg->iov_interrupt_moderation) || (cfg->mac[0] & 1) || cfg->vlan > 4094)
		return -EINVAL;
	if (grow((void **)&vs->nics, &vs->cap_nics, vs->nnics, sizeof(*vs->nics)))
		return -ENOMEM;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->name = xstrdup(cfg->name);
	n->display_name = xstrdup(cfg->display_name ? cfg->display_name : "Network Adapter");
	if (!n->name || !n->display_name) {
		free(n->name);
		free(n->display_name);
		free(n);
		return -ENOMEM;
	}
	n->vs = vs;
	n->vm = vm;
	snprintf(key, sizeof(key), "%s/%s", vm->name, cfg->name);
	guid_from("vmnic", key, n->guid, sizeof(n->guid));
	snprintf(n->id, sizeof(n->id), "Microsoft:%s\\%s", vm->id, n->guid);
	memcpy(n->mac, cfg->mac, 6);
	n->vlan = cfg->vlan;
	n->weight = cfg->iov_weight;
	n->qps_requested = cfg->iov_queue_pairs_requested;
	n->moderation = cfg->iov_interrupt_moderation;
	n->vmq_weight = cfg->vmq_weight;
	n->ipv4 = cfg->ipv4;
	n->ipv4_prefix = cfg->ipv4_prefix;
	n->sw = sw;
	n->state = VSTACK_VF_NONE;
	n->waiting = VSTACK_IOV_IN_USE;
	vs->nics[vs->nnics++] = n;
	log_info(VS_LOG, "Add-VMNetworkAdapter -VMName %s ('%s')%s%s -IovWeight %u", vm->name, n->name,
		 sw ? " -SwitchName " : "", sw ? vswitch_name(sw) : "", n->weight);
	*out = n;
	if (vm->state == VSTACK_VM_RUNNING) {
		connect_port(n);
		reconcile(vs);
	}
	return 0;
}

void vstack_vm_guest_ready(struct vstack_vm *vm)
{
	struct vstack *vs = vm->vs;
	bool again = false;

	for (size_t i = 0; i < vs->nnics; i++)
		if (vs->nics[i]->vm == vm && vs->nics[i]->blocked &&
		    vs->nics[i]->block_reason == VSTACK_IOV_GUEST_NOT_READY) {
			vs->nics[i]->blocked = false;
			again = true;
		}
	if (again) {
		log_info(VS_LOG, "VM %s: its VMBus channel is ready; allocating VFs again", vm->name);
		reconcile(vs);
	}
}

int vstack_vmnic_set_iov_weight(struct vstack_vmnic *n, uint32_t weight)
{
	if (weight > 100)
		return -EINVAL;
	log_info(VS_LOG, "Set-VMNetworkAdapter -VMName %s ('%s') -IovWeight %u (was %u)", n->vm->name, n->name, weight,
		 n->weight);
	/* IovWeight 0 starts the documented teardown; > 0 the VM start sequence (reconcile). */
	TRACE_SCOPE(weight ? "vm-start" : "teardown", "Set-VMNetworkAdapter -IovWeight", "vm=%s adapter=%s weight=%u was=%u",
		    n->vm->name, n->name, weight, n->weight);
	n->weight = weight;
	n->blocked = false;
	reconcile(n->vs);
	return 0;
}

int vstack_vmnic_withhold_vf(struct vstack_vmnic *n, bool withhold)
{
	if (withhold == n->withheld)
		return -EALREADY;
	if (withhold && n->state != VSTACK_VF_OFFERED && n->state != VSTACK_VF_ACTIVE)
		return -ENODEV;
	log_info(VS_LOG, "'%s' (VM %s): VF %s (live-migration-like revoke)", n->name, n->vm->name,
		 withhold ? "taken away; IovWeight stays" : "returned; offering one again");
	n->withheld = withhold;
	reconcile(n->vs);
	return 0;
}

bool vstack_vmnic_vf_withheld(const struct vstack_vmnic *n)
{
	return n->withheld;
}

int vstack_vmnic_set_iov_queue_pairs(struct vstack_vmnic *n, uint32_t qps)
{
	if (qps < 1)
		return -EINVAL;
	log_info(VS_LOG, "Set-VMNetworkAdapter -VMName %s ('%s') -IovQueuePairsRequested %u (applies to the next VF)",
		 n->vm->name, n->name, qps);
	n->qps_requested = qps;
	n->blocked = false;
	reconcile(n->vs);
	return 0;
}

static void param_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct vstack_vmnic *n = ctx;
	char s[96];

	(void)req;
	n->param_inflight = false;
	if (status != ST(NDIS_STATUS_SUCCESS))
		log_warn(VS_LOG, "'%s': OID_NIC_SWITCH_VPORT_PARAMETERS (interrupt moderation) failed with %s", n->name,
			 st_str(status, s, sizeof(s)));
}

int vstack_vmnic_set_iov_interrupt_moderation(struct vstack_vmnic *n, enum vstack_moderation m)
{
	uint32_t status;
	int rc;

	if (!moderation_valid(m))
		return -EINVAL;
	n->moderation = m;
	if ((n->state != VSTACK_VF_OFFERED && n->state != VSTACK_VF_ACTIVE) || n->param_inflight)
		return 0;	/* applied by the next CREATE_VPORT */
	memset(&n->param, 0, sizeof(n->param));
	hdr(&n->param.Header, NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1,
	    NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	n->param.Flags = NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED;
	n->param.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	n->param.VPortId = n->vport_id;
	n->param.InterruptModeration = (NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION)m;
	ndis_oid_init(&n->param_req, NdisRequestSetInformation, OID_NIC_SWITCH_VPORT_PARAMETERS, &n->param,
		      NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	n->param_inflight = true;
	rc = vswitch_oid(n->sw, &n->param_req, param_done, n, &status);
	if (rc == 0)
		param_done(n, &n->param_req, status);
	else if (rc != -EINPROGRESS)
		param_done(n, &n->param_req, ST(NDIS_STATUS_FAILURE));
	return 0;
}

void vstack_vmnic_datapath(struct vstack_vmnic *n, bool vf)
{
	trace_instant(vf ? "vm-start" : "failover", "data-path switched", "vm=%s adapter=%s to=%s", n->vm->name, n->name,
		      vf ? "vf" : "synthetic");
	if (n->state == VSTACK_VF_STEERING) {
		n->back_meanwhile = !vf;	/* acted on when the move to the VF's vPort completes */
		return;
	}
	if (vf && n->state == VSTACK_VF_OFFERED) {
		n->back_meanwhile = false;
		log_info(VS_LOG, "'%s' (VM %s): the guest switched the data path to VF %u", n->name, n->vm->name, n->vf_id);
		if (follows_switch(n) && !filter_on_vf(n) && n->port && vswitch_port_filter_id(n->port) && n->vport_id) {
			do_move(n, VSTACK_VF_STEERING, n->vport_id);	/* completes into ACTIVE */
			return;
		}
		set_state(n, VSTACK_VF_ACTIVE);
	} else if (!vf && n->state == VSTACK_VF_ACTIVE) {
		log_info(VS_LOG, "'%s' (VM %s): the guest switched the data path back to synthetic", n->name, n->vm->name);
		if (follows_switch(n) && filter_on_vf(n)) {
			do_move(n, VSTACK_VF_UNSTEERING, NDIS_DEFAULT_VPORT_ID);	/* completes into OFFERED */
			return;
		}
		set_state(n, VSTACK_VF_OFFERED);
	} else {
		log_warn(VS_LOG, "'%s': data path switch to %s in state %s ignored", n->name, vf ? "VF" : "synthetic",
			 vstack_vf_state_name(n->state));
	}
}

/* ---- what the views read ----------------------------------------------------- */
const char *vstack_vmnic_name(const struct vstack_vmnic *n) { return n->name; }
const char *vstack_vmnic_display_name(const struct vstack_vmnic *n) { return n->display_name; }
const char *vstack_vmnic_id(const struct vstack_vmnic *n) { return n->id; }
const char *vstack_vmnic_guid(const struct vstack_vmnic *n) { return n->guid; }
struct vstack_vm *vstack_vmnic_vm(const struct vstack_vmnic *n) { return n->vm; }
struct vswitch *vstack_vmnic_switch(const struct vstack_vmnic *n) { return n->sw; }
struct vswitch_port *vstack_vmnic_port(const struct vstack_vmnic *n) { return n->port; }
const uint8_t *vstack_vmnic_mac(const struct vstack_vmnic *n) { return n->mac; }
uint16_t vstack_vmnic_vlan(const struct vstack_vmnic *n) { return n->vlan; }
uint32_t vstack_vmnic_iov_weight(const struct vstack_vmnic *n) { return n->weight; }
uint32_t vstack_vmnic_iov_queue_pairs_requested(const struct vstack_vmnic *n) { return n->qps_requested; }
enum vstack_moderation vstack_vmnic_iov_interrupt_moderation(const struct vstack_vmnic *n) { return n->moderation; }
uint32_t vstack_vmnic_vmq_weight(const struct vstack_vmnic *n) { return n->vmq_weight; }
uint32_t vstack_vmnic_ipv4(const struct vstack_vmnic *n, uint8_t *prefix)
{
	if (prefix)
		*prefix = n->ipv4_prefix;
	return n->ipv4;
}
enum vstack_vf_state vstack_vmnic_vf_state(const struct vstack_vmnic *n) { return n->state; }
bool vstack_vmnic_has_vf(const struct vstack_vmnic *n) { return holds_vf(n->state); }
uint16_t vstack_vmnic_vf_id(const struct vstack_vmnic *n) { return holds_vf(n->state) ? n->vf_id : 0; }
uint32_t vstack_vmnic_vport_id(const struct vstack_vmnic *n) { return n->vport_id; }
uint32_t vstack_vmnic_serial(const struct vstack_vmnic *n) { return n->serial; }
int32_t vstack_vmnic_iov_usage(const struct vstack_vmnic *n) { return holds_vf(n->state) ? 1 : 0; }
bool vstack_vmnic_datapath_active(const struct vstack_vmnic *n) { return n->state == VSTACK_VF_ACTIVE; }

bool vstack_vmnic_filter_on_vf_expected(const struct vstack_vmnic *n)
{
	if (!n->vport_id)
		return false;
	if (follows_switch(n))
		return n->state == VSTACK_VF_ACTIVE;
	return n->state == VSTACK_VF_OFFERED || n->state == VSTACK_VF_ACTIVE;
}

void vstack_vmnic_failure(const struct vstack_vmnic *n, uint32_t *oid, uint32_t *status)
{
	*oid = n->failed_oid;
	*status = n->failed_status;
}

enum vstack_iov_reason vstack_vmnic_iov_reason(const struct vstack_vmnic *n)
{
	switch (n->state) {
	case VSTACK_VF_ACTIVE:
		return VSTACK_IOV_IN_USE;
	case VSTACK_VF_OFFERED:
	case VSTACK_VF_UNSTEERING:
		return VSTACK_IOV_GUEST_NOT_USING;
	case VSTACK_VF_STEERING:
		return VSTACK_IOV_IN_PROGRESS;
	case VSTACK_VF_ALLOCATING:
	case VSTACK_VF_CREATING_VPORT:
	case VSTACK_VF_MOVING_FILTER:
		return VSTACK_IOV_IN_PROGRESS;
	case VSTACK_VF_STUCK:
		return VSTACK_IOV_TEARDOWN_FAILED;
	case VSTACK_VF_NONE:
		break;
	default:
		return VSTACK_IOV_TEARING_DOWN;
	}
	if (!n->weight)
		return VSTACK_IOV_NOT_REQUESTED;
	if (n->withheld)
		return VSTACK_IOV_IN_PROGRESS;	/* revoked; offered again when returned */
	if (n->vm->state != VSTACK_VM_RUNNING)
		return VSTACK_IOV_VM_OFF;
	if (!n->sw)
		return VSTACK_IOV_NOT_CONNECTED;
	if (!n->vs->platform_ok)
		return VSTACK_IOV_HOST_UNSUPPORTED;
	if (!vswitch_iov_enabled(n->sw))
		return VSTACK_IOV_SWITCH_NO_IOV;
	if (!vswitch_pf(n->sw))
		return VSTACK_IOV_NO_ADAPTER;
	if (!vswitch_iov_passed_up(n->sw))
		return VSTACK_IOV_TEAM_LBFO;
	if (n->blocked)
		return n->block_reason;
	if (n->waiting != VSTACK_IOV_IN_USE)
		return n->waiting;
	return VSTACK_IOV_IN_PROGRESS;
}

enum vstack_op_status vstack_vmnic_status(const struct vstack_vmnic *n, char *buf, size_t len)
{
	const struct vstack_guest_ops *g = n->vs->guest;
	const char *sw = n->sw ? vswitch_name(n->sw) : "";
	const char *ad = n->sw && vswitch_adapter_name(n->sw) ? vswitch_adapter_name(n->sw) : "(none)";
	const char *guest;
	char o[96], s[96];
	enum vstack_iov_reason why = vstack_vmnic_iov_reason(n);

	switch (why) {
	case VSTACK_IOV_IN_USE:
		snprintf(buf, len, "OK (SR-IOV active: VF %u)", n->vf_id);
		return VSTACK_OP_OK;
	case VSTACK_IOV_NOT_REQUESTED:
		snprintf(buf, len, "OK (SR-IOV not requested: IovWeight 0)");
		return VSTACK_OP_OK;
	case VSTACK_IOV_VM_OFF:
		snprintf(buf, len, "SR-IOV not operational: the VM is off");
		break;
	case VSTACK_IOV_NOT_CONNECTED:
		snprintf(buf, len, "SR-IOV not operational: the adapter is not connected to a virtual switch");
		break;
	case VSTACK_IOV_HOST_UNSUPPORTED:
		snprintf(buf, len, "SR-IOV not operational: the host does not support SR-IOV (see Get-VMHost "
			 "IovSupportReasons)");
		break;
	case VSTACK_IOV_SWITCH_NO_IOV:
		snprintf(buf, len, "SR-IOV not operational: virtual switch '%s' was created without -EnableIov "
			 "(IovEnabled False); that cannot be changed, the switch must be created again", sw);
		break;
	case VSTACK_IOV_NO_ADAPTER:
		snprintf(buf, len, "SR-IOV not operational: virtual switch '%s' has no network adapter ('%s' did not "
			 "come up)", sw, ad);
		break;
	case VSTACK_IOV_GUEST_NOT_READY:
		snprintf(buf, len, "SR-IOV not operational: VF %u was allocated before the VM's VMBus channel was "
			 "ready (System event 236); it is allocated again when the VM is ready", n->vf_id);
		break;
	case VSTACK_IOV_TEAM_LBFO:
		snprintf(buf, len, "SR-IOV not operational: virtual switch '%s' is bound to an LBFO team, which does "
			 "not pass SR-IOV up from '%s'; use Switch Embedded Teaming (SET) or team inside the guest", sw,
			 ad);
		break;
	case VSTACK_IOV_NO_NIC_SWITCH:
		snprintf(buf, len, "SR-IOV not operational: network adapter '%s' has no NIC switch with virtual "
			 "functions (see Get-NetAdapterSriov)", ad);
		break;
	case VSTACK_IOV_NO_FILTER:
		snprintf(buf, len, "SR-IOV not operational: the switch could not set the adapter's MAC filter "
			 "(OID_RECEIVE_FILTER_SET_FILTER: %s)", st_str(n->failed_status, s, sizeof(s)));
		break;
	case VSTACK_IOV_POOL_VFS:
		snprintf(buf, len, "SR-IOV not operational: every virtual function of '%s' is in use "
			 "(IovVirtualFunctionsInUse = IovVirtualFunctionCount on switch '%s')", ad, sw);
		break;
	case VSTACK_IOV_POOL_VPORTS:
		snprintf(buf, len, "SR-IOV not operational: every vPort of the NIC switch of '%s' is in use", ad);
		break;
	case VSTACK_IOV_POOL_QUEUE_PAIRS:
		snprintf(buf, len, "SR-IOV not operational: not enough queue pairs left on '%s' for "
			 "IovQueuePairsRequested %u", ad, n->qps_requested);
		break;
	case VSTACK_IOV_PF_FAILED:
		if (n->failed_oid)
			snprintf(buf, len, "SR-IOV not operational: the PF miniport of '%s' failed %s with %s", ad,
				 oid_str(n->failed_oid, o, sizeof(o)), st_str(n->failed_status, s, sizeof(s)));
		else
			snprintf(buf, len, "SR-IOV not operational: the guest side could not take the VF");
		break;
	case VSTACK_IOV_IN_PROGRESS:
		snprintf(buf, len, "SR-IOV starting (%s)", vstack_vf_state_name(n->state));
		break;
	case VSTACK_IOV_TEARING_DOWN:
		snprintf(buf, len, "SR-IOV stopping (%s)", vstack_vf_state_name(n->state));
		break;
	case VSTACK_IOV_TEARDOWN_FAILED:
		snprintf(buf, len, "SR-IOV teardown failed: the PF miniport of '%s' failed %s with %s; VF %u stays "
			 "allocated", ad, oid_str(n->failed_oid, o, sizeof(o)), st_str(n->failed_status, s, sizeof(s)),
			 n->vf_id);
		break;
	case VSTACK_IOV_GUEST_NOT_USING:
		guest = g->describe ? g->describe(n->vs->guest_ctx, n) : NULL;
		snprintf(buf, len, "SR-IOV not operational: VF %u is offered (serial %u) but not in use: %s", n->vf_id,
			 n->serial, guest ? guest : "the guest has not switched its data path to it");
		break;
	}
	return VSTACK_OP_DEGRADED;
}

size_t vstack_vmnic_count(const struct vstack *vs)
{
	return vs->nnics;
}

struct vstack_vmnic *vstack_vmnic_at(const struct vstack *vs, size_t i)
{
	return i < vs->nnics ? vs->nics[i] : NULL;
}

struct vstack_vmnic *vstack_vmnic_find(const struct vstack *vs, const char *name)
{
	struct vstack_vmnic *by_vm = NULL;
	int n_by_vm = 0;

	for (size_t i = 0; i < vs->nnics; i++) {
		if (strcasecmp(vs->nics[i]->name, name) == 0)
			return vs->nics[i];
		if (strcasecmp(vs->nics[i]->vm->name, name) == 0) {
			by_vm = vs->nics[i];
			n_by_vm++;
		}
	}
	return n_by_vm == 1 ? by_vm : NULL;
}

uint32_t vstack_vmnic_vf_allocations(const struct vstack_vmnic *n)
{
	return n->vf_allocations;
}
