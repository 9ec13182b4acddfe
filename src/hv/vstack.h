/*
 * The virtualization stack of the root partition (VMMS/VMWP in Windows):
 * VMs and their network adapters as host-side objects, and the component
 * that decides which adapter gets an SR-IOV virtual function and drives the
 * PF through the documented order (ndis-sriov-spec.md 1.3, 2.6-2.11, 2.15,
 * 2.17-2.18):
 *
 *   bring-up   serial number generated -> OID_NIC_SWITCH_ALLOCATE_VF ->
 *              OID_NIC_SWITCH_CREATE_VPORT (AttachedFunctionId = VFId,
 *              activated) -> OID_RECEIVE_FILTER_MOVE_FILTER default -> VF
 *              vPort -> the VF is offered to the guest (vstack_guest_ops)
 *   teardown   the guest lets go first (revoke_vf) -> MOVE_FILTER back to
 *              the default vPort -> OID_NIC_SWITCH_DELETE_VPORT ->
 *              OID_SRIOV_RESET_VF -> OID_NIC_SWITCH_FREE_VF
 *   ([host] vf_filter_move = on-switch, the default, with a guest: the
 *   MOVE_FILTERs follow the guest's acknowledged data-path switch instead --
 *   to the VF's vPort once it switched to the VF, back before the eject;
 *   enum vstack_filter_move)
 *
 * Every OID goes through the adapter's virtual switch (vswitch.h, issuer
 * VMSP). Which adapters get a VF: those with IovWeight > 0 on a running VM,
 * connected to a switch created with -EnableIov whose adapter has a NIC
 * switch with VFs; when VFs, vPorts or queue pairs run out, the higher
 * IovWeight goes first (ties: whoever asked first), the rest stay on the
 * synthetic path with IovUsage 0 and a Status saying why (catalogue F18), and
 * get a VF as soon as one is freed. A VF once given is not taken away for a
 * heavier adapter. Changing IovWeight, a VM stopping or the PF restarting
 * runs the teardown; a PF that fails a bring-up OID (F20) leaves the adapter
 * synthetic until its settings change.
 *
 * Capacity and the views' numbers come from NDIS's own cache (ENUM_SWITCHES,
 * ENUM_VFS, ENUM_VPORTS and the capability queries, the way an overlying
 * driver reads them); the stack keeps only what the issuer of the OIDs must
 * know: its VF id, vPort id and serial number per adapter.
 *
 * The guest side plugs in through struct vstack_guest_ops (the vPCI VSP and
 * NetVSP of a running VM); vstack_no_guest_ops is the implementation for a
 * host whose VMs have no guest running: the VF is recorded as offered and
 * VFDataPathActive stays False, because only a guest's NetVsc can make it
 * True (vstack_vmnic_datapath()).
 *
 * Single-threaded: every call and every OID completion on the host's loop.
 * Design note with the state diagram: docs/hv/vstack.md.
 */
#ifndef IOVLAB_HV_VSTACK_H
#define IOVLAB_HV_VSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/vswitch.h"

struct vstack;
struct vstack_vm;
struct vstack_vmnic;

/* ---- the guest-offer interface -------------------------------------------- */
/*
 * What the guest side of a VM implements (the vPCI VSP hot-adding the VF,
 * NetVSP telling NetVsc the serial number). ctx is vstack_config.guest_ctx.
 */
struct vstack_guest_ops {
	/*
	 * The VF is steered to adapter n (its filters are on the VF's vPort):
	 * offer VF vf_id with serial number serial to n's VM. 0 when the offer
	 * is made -- the guest calls vstack_vmnic_datapath(n, true) once NetVsc
	 * has switched to it; -errno when it cannot be made, and the stack takes
	 * the VF back.
	 */
	int (*offer_vf)(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint32_t serial);
	/*
	 * Take the VF back (spec 2.17): NetVsc switches to synthetic, the VF
	 * miniport halts, the vPCI device is ejected (or surprise-removed after
	 * the deadline). 0 when the guest has let go already; -EINPROGRESS when
	 * it calls vstack_vmnic_vf_revoked(n) later.
	 */
	int (*revoke_vf)(void *ctx, struct vstack_vmnic *n, uint16_t vf_id);
	/*
	 * Why the guest is not using an offered VF, for StatusDescription
	 * (e.g. "the VM's guest is not running"); NULL: nothing to say.
	 */
	const char *(*describe)(void *ctx, const struct vstack_vmnic *n);
	/*
	 * The PF invalidated config blocks of the VF offered to n
	 * (NdisMInvalidateConfigBlock, spec 2.13 step 3): carry the mask to the
	 * guest's vPCI bus, which coalesces it per function. May be NULL.
	 */
	void (*vf_config_invalidated)(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint64_t mask);
	/*
	 * VSTACK_FILTER_MOVE_ON_SWITCH only: the MOVE_FILTER back to the default
	 * vPort that vstack_vmnic_switched_back() left pending at the PF has
	 * completed (ok or not): the guest side may eject the VF now. May be
	 * NULL (then the guest side ejects without waiting).
	 */
	void (*filters_released)(void *ctx, struct vstack_vmnic *n, uint16_t vf_id);
};

/*
 * No guest runs in the VMs: offer_vf records "offered, guest not running",
 * revoke_vf returns at once, describe says the guest side is not running.
 */
extern const struct vstack_guest_ops vstack_no_guest_ops;

/* ---- the stack ------------------------------------------------------------- */
/*
 * When a VF's MAC/VLAN filter goes back to the default vPort in a teardown
 * (lab key [host] vf_filter_move; docs/hv/vstack.md "When the filter moves
 * back"). The documents disagree (ndis-sriov-spec.md 1.3 note):
 *   ON_SWITCH      as soon as the guest's NetVsc has switched the data path
 *                  back to synthetic (NVSP SWITCH_DATA_PATH acknowledged), while
 *                  the VF is still being ejected -- the failover page's "before
 *                  the transition is complete"; nothing in flight is lost.
 *   AFTER_REMOVAL  after the guest removed the VF -- the teardown page's order;
 *                  frames for the VM that reach the VF's vPort between the
 *                  VF miniport's pause and the move are dropped.
 * ON_SWITCH applies to the bring-up too when a guest side is plugged in
 * (not vstack_no_guest_ops): the filters stay on the default vPort until
 * the guest's NetVsc has switched to the VF (STEERING), instead of moving
 * before the offer (spec 2.11 step 4), where frames arriving before the
 * guest's VF miniport has posted its receive ring are dropped. Linux
 * netvsc's reading: "The traffic is steered to VF or synthetic after we
 * receive this completion" (of SWITCH_DATA_PATH). Without a guest side, and
 * in AFTER_REMOVAL, the documented order of spec 2.11 holds.
 * With no acknowledgement (surprise removal, a guest that died or never
 * switched back) both move the filters when the host sees the removal.
 */
enum vstack_filter_move {
	VSTACK_FILTER_MOVE_ON_SWITCH,		/* the default */
	VSTACK_FILTER_MOVE_AFTER_REMOVAL,
	VSTACK_FILTER_MOVE_COUNT
};
const char *vstack_filter_move_name(enum vstack_filter_move m);	/* "on-switch", "after-removal" */

struct vstack_config {
	const struct vstack_guest_ops *guest;	/* NULL: vstack_no_guest_ops */
	void *guest_ctx;
	uint32_t first_serial;			/* first VF serial number; 0: 1 */
	enum vstack_filter_move filter_move;	/* 0: ON_SWITCH */
};

int vstack_create(const struct vstack_config *cfg, struct vstack **out);
/*
 * Destroys every VM (stopping any still running, see vstack_vm_stop). An
 * adapter whose teardown is still waiting for the PF or the guest is
 * logged and leaked rather than freed under the framework. NULL: no-op.
 */
void vstack_destroy(struct vstack *vs);

/*
 * Whether the host platform supports SR-IOV (Get-VMHost IovSupport). While
 * it does not, no adapter gets a VF (HOST_UNSUPPORTED). Default: true.
 */
void vstack_set_platform_support(struct vstack *vs, bool supported);

/* The teardown's filter-move point from now on (see enum vstack_filter_move). -EINVAL out of range. */
int vstack_set_filter_move(struct vstack *vs, enum vstack_filter_move m);
enum vstack_filter_move vstack_filter_move(const struct vstack *vs);

/*
 * NdisMInvalidateConfigBlock(pf, vf, mask) reached the virtualization stack
 * (the framework's struct ndis_virt_ops): handed to the guest side of the
 * adapter that has VF vf of pf offered. Before the VF is offered there is no
 * guest to tell -- its VF driver reads every block when it starts -- and the
 * mask is dropped with a trace line.
 */
void vstack_vf_config_invalidated(struct vstack *vs, struct ndis_adapter *pf, uint16_t vf, uint64_t mask);

/*
 * The VM's guest side is ready (its VMBus is up): adapters whose VF offer
 * found the channel not ready (GUEST_NOT_READY, catalogue F19) get a VF
 * again by policy.
 */
void vstack_vm_guest_ready(struct vstack_vm *vm);

/* True while an OID or a guest revoke of some adapter has not completed. */
bool vstack_busy(const struct vstack *vs);

/*
 * The PF under switch sw is about to halt (a keyword change restarts it):
 * tear down every VF on it in order and forget the switch's filters.
 * 0, or -EBUSY when something is still at the miniport or the guest (the
 * caller must not halt the adapter then).
 */
int vstack_switch_pf_halting(struct vstack *vs, struct vswitch *sw);
/* The PF adapter is back (restarted): filters set again, VFs given by policy. */
void vstack_switch_pf_back(struct vstack *vs, struct vswitch *sw, struct ndis_adapter *pf);

/* ---- VMs ------------------------------------------------------------------- */
enum vstack_vm_state {
	VSTACK_VM_OFF,
	VSTACK_VM_RUNNING,	/* its adapters are connected to their switches */
	VSTACK_VM_STOPPING,	/* VFs being taken back; adapters then disconnect */
	VSTACK_VM_STATE_COUNT
};
const char *vstack_vm_state_name(enum vstack_vm_state s);	/* "Off", "Running", "Stopping" */
bool vstack_vm_state_transition_allowed(enum vstack_vm_state from, enum vstack_vm_state to);

/* New-VM. name is copied; the VM's Id is derived from it (stable across runs). */
int vstack_vm_create(struct vstack *vs, const char *name, struct vstack_vm **out);
/* Start-VM on the host side: adapters connect, VFs are given by policy. -EPERM if not Off. */
int vstack_vm_start(struct vstack_vm *vm);
/*
 * Stop-VM: every VF taken back in the documented order, then the adapters
 * disconnect. 0 when the VM is Off, -EINPROGRESS while it waits for the PF
 * or the guest (it turns Off by itself), -EPERM if it was not Running.
 */
int vstack_vm_stop(struct vstack_vm *vm);

const char *vstack_vm_name(const struct vstack_vm *vm);
const char *vstack_vm_id(const struct vstack_vm *vm);	/* "7C9B0D4E-..." */
enum vstack_vm_state vstack_vm_state(const struct vstack_vm *vm);
struct vstack *vstack_vm_stack(const struct vstack_vm *vm);
size_t vstack_vm_count(const struct vstack *vs);
struct vstack_vm *vstack_vm_at(const struct vstack *vs, size_t i);	/* creation order */
struct vstack_vm *vstack_vm_find(const struct vstack *vs, const char *name);	/* case-insensitive */

/* ---- VM network adapters --------------------------------------------------- */
/* Set-VMNetworkAdapter -IovInterruptModeration; the values are the CIM (and NDIS) ones. */
enum vstack_moderation {
	VSTACK_MODERATION_DEFAULT = 0,
	VSTACK_MODERATION_ADAPTIVE = 1,
	VSTACK_MODERATION_OFF = 2,
	VSTACK_MODERATION_LOW = 100,
	VSTACK_MODERATION_MEDIUM = 200,
	VSTACK_MODERATION_HIGH = 300,
};

struct vstack_vmnic_config {
	const char *name;		/* the lab's name for it (lookups); copied */
	const char *display_name;	/* Name, "Network Adapter"; copied */
	uint8_t mac[6];
	uint16_t vlan;			/* access VLAN, 0 = untagged */
	uint32_t iov_weight;		/* 0..100 */
	uint32_t iov_queue_pairs_requested;	/* >= 1 */
	enum vstack_moderation iov_interrupt_moderation;
	uint32_t vmq_weight;
	uint32_t ipv4;			/* the guest's static address (lab ip), host byte order; 0: none */
	uint8_t ipv4_prefix;
};

/*
 * Add-VMNetworkAdapter [-SwitchName]: sw NULL = not connected. If the VM is
 * running the adapter connects at once. -EINVAL on a bad setting.
 */
int vstack_vmnic_create(struct vstack_vm *vm, const struct vstack_vmnic_config *cfg, struct vswitch *sw,
			struct vstack_vmnic **out);

/*
 * Set-VMNetworkAdapter. -EINVAL out of range. Changing IovWeight runs the
 * allocation or the teardown now (as far as the PF completes at once);
 * IovQueuePairsRequested applies the next time a VF is given;
 * IovInterruptModeration is applied to a VF's vPort at once
 * (OID_NIC_SWITCH_VPORT_PARAMETERS). A setting change also clears a
 * previous PF failure, so the stack tries again.
 */
int vstack_vmnic_set_iov_weight(struct vstack_vmnic *n, uint32_t weight);
int vstack_vmnic_set_iov_queue_pairs(struct vstack_vmnic *n, uint32_t qps);
/*
 * A live-migration-like revoke (withhold true): the adapter's VF is taken
 * back in the documented order -- exactly the IovWeight 0 path (the guest
 * lets go first, MOVE_FILTER back, DELETE_VPORT, RESET_VF, FREE_VF; spec
 * 1.3, 2.17) -- while IovWeight keeps its value; withhold false returns it
 * and the stack offers a VF again by policy. 0; -ENODEV (withhold: the
 * adapter holds no offered or active VF), -EALREADY (already so).
 */
int vstack_vmnic_withhold_vf(struct vstack_vmnic *n, bool withhold);
bool vstack_vmnic_vf_withheld(const struct vstack_vmnic *n);
int vstack_vmnic_set_iov_interrupt_moderation(struct vstack_vmnic *n, enum vstack_moderation m);

/* ---- upcalls from the guest side ------------------------------------------- */
/*
 * NetVsc switched the data path (NVSP SWITCH_DATA_PATH): vf true = through
 * the VF. ON_SWITCH with a guest side: the filters follow (STEERING or
 * UNSTEERING, then ACTIVE or OFFERED); a PF that fails the move to the VF
 * blocks the adapter (PF_FAILED) and the VF is taken back.
 */
void vstack_vmnic_datapath(struct vstack_vmnic *n, bool vf);
/* The guest has let go of the VF that revoke_vf asked for (or it was surprise-removed). */
void vstack_vmnic_vf_revoked(struct vstack_vmnic *n);
/*
 * During a revoke (REVOKING), NetVsc acknowledged SWITCH_DATA_PATH(synthetic)
 * and the guest side is about to eject the VF. In ON_SWITCH mode the filters
 * move back to the default vPort now (RELEASING_FILTER, then EJECTING until
 * vstack_vmnic_vf_revoked). 0: go on with the eject; -EINPROGRESS: the move
 * pends at the PF, guest_ops.filters_released follows. Any other state or
 * AFTER_REMOVAL mode: 0, nothing done.
 */
int vstack_vmnic_switched_back(struct vstack_vmnic *n);

/* ---- the adapter's VF, and what the views read ------------------------------ */
/*
 * Where an adapter's VF is in the documented sequence (spec 8.9). The "-ing"
 * states have an OID at the PF (or, REVOKING, the guest) in flight.
 */
enum vstack_vf_state {
	VSTACK_VF_NONE,			/* no VF: synthetic path */
	VSTACK_VF_ALLOCATING,		/* OID_NIC_SWITCH_ALLOCATE_VF */
	VSTACK_VF_CREATING_VPORT,	/* OID_NIC_SWITCH_CREATE_VPORT */
	VSTACK_VF_MOVING_FILTER,	/* OID_RECEIVE_FILTER_MOVE_FILTER default -> VF vPort */
	VSTACK_VF_OFFERED,		/* steered and offered; the guest has not switched */
	VSTACK_VF_ACTIVE,		/* the guest's NetVsc sends through the VF */
	VSTACK_VF_REVOKING,		/* the guest is letting go */
	VSTACK_VF_RESTORING_FILTER,	/* OID_RECEIVE_FILTER_MOVE_FILTER VF -> default vPort */
	VSTACK_VF_DELETING_VPORT,	/* OID_NIC_SWITCH_DELETE_VPORT */
	VSTACK_VF_RESETTING,		/* OID_SRIOV_RESET_VF */
	VSTACK_VF_FREEING,		/* OID_NIC_SWITCH_FREE_VF */
	VSTACK_VF_STUCK,		/* a teardown OID failed; the VF stays held */
	/* ON_SWITCH teardown: the guest switched back, the VF is still being ejected */
	VSTACK_VF_RELEASING_FILTER,	/* OID_RECEIVE_FILTER_MOVE_FILTER VF -> default vPort */
	VSTACK_VF_EJECTING,		/* filters on the default vPort; waiting for the guest to let go */
	/* ON_SWITCH with a guest: the filters follow the guest's acknowledged data-path switch */
	VSTACK_VF_STEERING,		/* MOVE_FILTER default -> VF vPort: the guest switched to the VF */
	VSTACK_VF_UNSTEERING,		/* MOVE_FILTER VF -> default vPort: the guest switched back by itself */
	VSTACK_VF_STATE_COUNT
};
const char *vstack_vf_state_name(enum vstack_vf_state s);
bool vstack_vf_state_transition_allowed(enum vstack_vf_state from, enum vstack_vf_state to);

/* Why an adapter has no VF (or, with a VF, why it is not in use). */
enum vstack_iov_reason {
	VSTACK_IOV_IN_USE,		/* VF held and the data path is the VF's */
	VSTACK_IOV_NOT_REQUESTED,	/* IovWeight 0 (F17) */
	VSTACK_IOV_VM_OFF,
	VSTACK_IOV_NOT_CONNECTED,
	VSTACK_IOV_HOST_UNSUPPORTED,	/* the platform does not support SR-IOV (F01-F09) */
	VSTACK_IOV_SWITCH_NO_IOV,	/* the switch was created without -EnableIov (F15) */
	VSTACK_IOV_NO_ADAPTER,		/* the switch's adapter did not come up */
	VSTACK_IOV_NO_NIC_SWITCH,	/* the adapter has no NIC switch with VFs (F12-F14) */
	VSTACK_IOV_NO_FILTER,		/* the switch could not set the adapter's MAC filter */
	VSTACK_IOV_POOL_VFS,		/* every VF of the NIC switch is in use (F18) */
	VSTACK_IOV_POOL_VPORTS,		/* every vPort is in use (F18) */
	VSTACK_IOV_POOL_QUEUE_PAIRS,	/* not enough queue pairs left (F18) */
	VSTACK_IOV_PF_FAILED,		/* the PF failed a bring-up OID (F20) */
	VSTACK_IOV_IN_PROGRESS,		/* the bring-up sequence is running */
	VSTACK_IOV_TEARING_DOWN,	/* the teardown sequence is running */
	VSTACK_IOV_TEARDOWN_FAILED,	/* a teardown OID failed (STUCK) */
	VSTACK_IOV_GUEST_NOT_USING,	/* offered; the guest has not switched to it */
	VSTACK_IOV_TEAM_LBFO,		/* the switch is bound to an LBFO team (F16) */
	VSTACK_IOV_GUEST_NOT_READY,	/* the VM's channel was not ready for the VF; retried (F19) */
};

/* Get-VMNetworkAdapter Status, as the CIM numbers (VMNetworkAdapterOperationalStatus). */
enum vstack_op_status {
	VSTACK_OP_OK = 2,
	VSTACK_OP_DEGRADED = 3,
};

const char *vstack_vmnic_name(const struct vstack_vmnic *n);
const char *vstack_vmnic_display_name(const struct vstack_vmnic *n);
/* "Microsoft:<VM id>\<adapter id>", as Get-VMNetworkAdapter's Id. */
const char *vstack_vmnic_id(const struct vstack_vmnic *n);
const char *vstack_vmnic_guid(const struct vstack_vmnic *n);	/* the adapter's own id */
struct vstack_vm *vstack_vmnic_vm(const struct vstack_vmnic *n);
struct vswitch *vstack_vmnic_switch(const struct vstack_vmnic *n);	/* NULL = not connected */
/* Its port on the switch while the VM runs, else NULL. */
struct vswitch_port *vstack_vmnic_port(const struct vstack_vmnic *n);
const uint8_t *vstack_vmnic_mac(const struct vstack_vmnic *n);
/* The guest's static IPv4 address (host byte order, 0: none) and its prefix length. */
uint32_t vstack_vmnic_ipv4(const struct vstack_vmnic *n, uint8_t *prefix);
uint16_t vstack_vmnic_vlan(const struct vstack_vmnic *n);
uint32_t vstack_vmnic_iov_weight(const struct vstack_vmnic *n);
uint32_t vstack_vmnic_iov_queue_pairs_requested(const struct vstack_vmnic *n);
enum vstack_moderation vstack_vmnic_iov_interrupt_moderation(const struct vstack_vmnic *n);
uint32_t vstack_vmnic_vmq_weight(const struct vstack_vmnic *n);

enum vstack_vf_state vstack_vmnic_vf_state(const struct vstack_vmnic *n);
/* True while the adapter holds a VF (ALLOCATE_VF succeeded, FREE_VF not yet). */
bool vstack_vmnic_has_vf(const struct vstack_vmnic *n);
/* The VF's id and its vPort's id (0 when none), the serial number (0 when none). */
uint16_t vstack_vmnic_vf_id(const struct vstack_vmnic *n);
uint32_t vstack_vmnic_vport_id(const struct vstack_vmnic *n);
uint32_t vstack_vmnic_serial(const struct vstack_vmnic *n);
/* IovUsage: 1 while the adapter holds a VF, else 0. */
int32_t vstack_vmnic_iov_usage(const struct vstack_vmnic *n);
/* VFDataPathActive: only the guest's NetVsc makes it true. */
bool vstack_vmnic_datapath_active(const struct vstack_vmnic *n);
/*
 * Should the adapter's MAC/VLAN filter be on its VF's vPort now? (For the
 * diagnose contract's vport-filters link.) With the documented bring-up
 * order (after-removal, or no guest side) once the VF is steered and
 * offered (OFFERED, ACTIVE); with on-switch and a guest only once the guest
 * is on the VF (ACTIVE) -- an offered VF the guest has not switched to has
 * its filter on the default vPort by design. False without a vPort.
 */
bool vstack_vmnic_filter_on_vf_expected(const struct vstack_vmnic *n);
enum vstack_iov_reason vstack_vmnic_iov_reason(const struct vstack_vmnic *n);
/* The OID and status of the PF failure behind PF_FAILED / TEARDOWN_FAILED / NO_FILTER. */
void vstack_vmnic_failure(const struct vstack_vmnic *n, uint32_t *oid, uint32_t *status);
/* Status (one entry) and its StatusDescription, said in full. Returns buf. */
enum vstack_op_status vstack_vmnic_status(const struct vstack_vmnic *n, char *buf, size_t len);

size_t vstack_vmnic_count(const struct vstack *vs);
struct vstack_vmnic *vstack_vmnic_at(const struct vstack *vs, size_t i);	/* creation order */
/* By lab name, or by VM name when it has exactly one adapter (case-insensitive). */
struct vstack_vmnic *vstack_vmnic_find(const struct vstack *vs, const char *name);

/*
 * How many times OID_NIC_SWITCH_ALLOCATE_VF succeeded for the adapter (its
 * VFs over time, across VM restarts): more than the guest ever switched to
 * means a VF was taken back unused and allocated again (diagnose, F19).
 */
uint32_t vstack_vmnic_vf_allocations(const struct vstack_vmnic *n);

#endif /* IOVLAB_HV_VSTACK_H */
