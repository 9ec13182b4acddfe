/*
 * The host side of one running VM: what Hyper-V's VM worker process (VMWP)
 * and the VSPs it hosts do for a child partition. It starts the VM's
 * process (partition.h) with its guest program (guest_vm.h), becomes its
 * VMBus server and offers it
 *
 *   one NetVSP per VM network adapter (netvsp.h), whose synthetic frames go
 *   to the adapter's vSwitch port and back;
 *   a vPCI bus (vpci_vsp.h) on which the adapter's VF is hot-added when the
 *   virtualization stack offers it, with a backend that turns every guest
 *   request into the SR-IOV OID the PF miniport answers (READ/WRITE_VF_
 *   CONFIG_SPACE, READ/WRITE_VF_CONFIG_BLOCK, PROBED_BARS, BAR_RESOURCES,
 *   VF_VENDOR_DEVICE_ID, SET_VF_POWER_STATE, issued by NDIS);
 *   the lab's MMIO channel, serving the guest's VF register accesses on the
 *   device model, checked against the BARs of the VFs assigned to the VM,
 *   with the VF's queue tails on a shared doorbell page the guest lends
 *   (vf_doorbell.h), and its control channel (wire/vmctl.h);
 *
 * and makes the VM's memory the VF's DMA domain while the VF is the VM's.
 * It implements the guest half of struct vstack_guest_ops for the VM
 * (vmwp_offer_vf, vmwp_revoke_vf, ...); NetVSP's acknowledged data-path
 * switch is what calls vstack_vmnic_datapath(). A VM process that dies is
 * a surprise removal for everything it held: DMA domains cleared, pending
 * revokes finished, and the owner told (gone).
 *
 * Revoke order (spec 2.17, docs/hv/e2e.md): NetVSP withdraws the VF
 * association, the guest's NetVsc switches back to synthetic (acknowledged),
 * then the vPCI function is ejected (surprise-removed after a deadline),
 * the DMA domain cleared, and vstack_vmnic_vf_revoked() lets the
 * virtualization stack continue with MOVE_FILTER, DELETE_VPORT, RESET_VF,
 * FREE_VF.
 *
 * Single-threaded, on the host's event loop; vmwp_tick() runs deadlines.
 */
#ifndef IOVLAB_HV_VMWP_H
#define IOVLAB_HV_VMWP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/evloop.h"
#include "hv/guest_vm.h"
#include "hv/partition.h"
#include "hv/vstack.h"
#include "hw/srnic/srnic.h"
#include "wire/vmctl.h"

struct vmwp;

/* The VM's process as the host sees it. */
enum vmwp_state {
	VMWP_STARTING,	/* forked, guest not up yet */
	VMWP_RUNNING,	/* the guest said READY */
	VMWP_GONE,	/* the process exited or was killed, and was reaped */
	VMWP_STATE_COUNT
};
const char *vmwp_state_name(enum vmwp_state s);

/* An adapter's VF as the guest side holds it. */
enum vmwp_vf_state {
	VMWP_VF_NONE,
	VMWP_VF_OFFERED,	/* associated over NVSP and hot-added on the vPCI bus */
	VMWP_VF_LEAVING,	/* association withdrawn; waiting for NetVsc to switch back */
	VMWP_VF_EJECTING,	/* vPCI eject sent; waiting for the guest (or the deadline) */
	VMWP_VF_STATE_COUNT
};
const char *vmwp_vf_state_name(enum vmwp_vf_state s);
bool vmwp_vf_state_transition_allowed(enum vmwp_vf_state from, enum vmwp_vf_state to);

struct vmwp_config {
	struct evloop *loop;
	struct vstack_vm *vm;			/* its adapters get a NetVSP each (up to GUEST_VM_MAX_NICS) */
	uint64_t mem_size;
	partition_entry_fn entry;		/* the guest program: guest_vm_main */
	const struct guest_vm_config *guest;	/* copied; nics[] are filled here from the VM's adapters */
	/* the srnic behind a PF adapter (the host's), NULL if none */
	struct srnic *(*nic_of)(void *ctx, struct ndis_adapter *pf);
	/* the process is gone; everything it held was let go. Do not destroy w from here. */
	void (*gone)(void *ctx, struct vmwp *w, int wstatus);
	void *ctx;
	int eject_timeout_ms;			/* 0: 3000 */
	int revoke_timeout_ms;			/* NetVsc's switch back; 0: 3000 */
};

/* Fork the VM and offer its devices. 0 and *out, or -errno (nothing left running). */
int vmwp_create(const struct vmwp_config *cfg, struct vmwp **out);
/* Rescind everything, kill the process if it runs, reap, free. NULL is a no-op. */
void vmwp_destroy(struct vmwp *w);
/* SIGKILL the VM's process (Stop-VM -TurnOff, a crash); gone follows from the loop. */
int vmwp_kill(struct vmwp *w);
/* Ask the guest to shut down (it exits; gone follows). */
int vmwp_shutdown(struct vmwp *w);
/* Deadlines (revoke, eject) and the periodic status query; call from the loop. */
void vmwp_tick(struct vmwp *w);

enum vmwp_state vmwp_state(const struct vmwp *w);
struct vstack_vm *vmwp_vm(const struct vmwp *w);
pid_t vmwp_pid(const struct vmwp *w);
int vmwp_exit_status(const struct vmwp *w);	/* waitpid-style, once gone */

/* ---- struct vstack_guest_ops, for adapter n of this VM ---------------------- */
int vmwp_offer_vf(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id, uint32_t serial);
int vmwp_revoke_vf(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id);
const char *vmwp_describe(struct vmwp *w, const struct vstack_vmnic *n);
void vmwp_vf_config_invalidated(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id, uint64_t mask);
enum vmwp_vf_state vmwp_vf_state(const struct vmwp *w, const struct vstack_vmnic *n);
/* The early filter move (vf_filter_move on-switch) finished at the PF: eject the VF now. */
void vmwp_filters_released(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id);

/* ---- data: frames the vSwitch delivers to adapter n (synthetic path) --------- */
int vmwp_deliver(struct vmwp *w, struct vstack_vmnic *n, const void *frame, uint32_t len);

/* ---- the control channel ----------------------------------------------------- */
/*
 * Ask the guest to send count numbered frames of size bytes to dst.
 * Returns the request's number (> 0), or -ENOTCONN (guest not up), -EBUSY.
 * vmwp_sent() says when the guest finished it, with its counters then.
 */
int vmwp_send(struct vmwp *w, const uint8_t dst[6], uint32_t count, uint32_t size);
bool vmwp_sent(const struct vmwp *w, int seq, struct vmctl_status *st);
/* As vmwp_send, unpaced: bursts of 32 with a window (VMCTL_MSG_SEND_FLOOD; `iovlab bench`). */
int vmwp_send_flood(struct vmwp *w, const uint8_t dst[6], uint32_t count, uint32_t size);
/* Ask for the guest's counters now; vmwp_status() has them once seq is answered. */
int vmwp_query(struct vmwp *w);
/* The newest status the guest sent and the request number it answered (0: none yet). */
uint32_t vmwp_status(const struct vmwp *w, struct vmctl_status *st);

/*
 * Ask the guest for its NDIS adapters and their bindings (ndiskd inside the
 * guest). Returns the request's number (> 0), or -ENOTCONN, -EBUSY;
 * vmwp_ndiskd() copies the answer to *out once seq is answered (the answer
 * passed vmctl_msg_check(): strings terminated, counts bounded).
 */
int vmwp_ndiskd_query(struct vmwp *w);
bool vmwp_ndiskd(const struct vmwp *w, int seq, struct vmctl_ndiskd *out);

/*
 * Ask the guest's TCP/IP stack to run one operation (req's fields after
 * hdr; wire/vmctl.h NET). Returns the request's number (> 0), or
 * -ENOTCONN, -EBUSY; vmwp_net_done() copies the answer once seq is
 * answered (it passed vmctl_msg_check(); the newest 8 answers are kept,
 * so a background run's result survives the requests made after it).
 */
int vmwp_net(struct vmwp *w, const struct vmctl_net *req);
bool vmwp_net_done(const struct vmwp *w, int seq, struct vmctl_net_done *out);

struct vmwp_stats {
	uint64_t mmio_reads, mmio_writes;	/* served on the device */
	uint64_t mmio_refused;			/* no BAR of the VM's VFs there, or malformed */
	uint64_t oids;				/* backend OIDs issued to the PF */
	uint64_t ctl_refused;			/* malformed control messages */
	/* NetVSP, summed over the VM's adapters (netvsp_stats) */
	uint64_t synthetic_tx, synthetic_rx, synthetic_rx_dropped, synthetic_tx_while_vf;
};
void vmwp_get_stats(const struct vmwp *w, struct vmwp_stats *st);

/*
 * Ask the guest what its half of the SR-IOV chain reached (diagnose,
 * wire/vmctl.h VMCTL_MSG_DIAG). Returns the request's number (> 0), or
 * -ENOTCONN, -EBUSY; vmwp_diag() copies the answer's JSON text, NUL-
 * terminated, into buf (at least VMCTL_DIAG_JSON_MAX + 1 bytes) once seq is
 * answered. The text passed vmctl_msg_check() (bounded, printable) and is
 * not parsed here: src/diag/guest_facts.c does that.
 */
int vmwp_diag_query(struct vmwp *w);
bool vmwp_diag(const struct vmwp *w, int seq, char *buf, size_t len);

/*
 * Live capture (docs/capture.md, wire/vmctl.h VMCTL_MSG_CAPTURE_*): tell the
 * guest to open the part file the host chose (absolute, ".part", under
 * VMCTL_CAPTURE_PATH_MAX bytes; at most VMCTL_CAPTURE_FILTERS patterns of
 * under VMCTL_CAPTURE_FILTER_MAX bytes), or to close it. Each returns the
 * request's number (> 0), or -EINVAL, -ENOTCONN, -EBUSY;
 * vmwp_capture_acked() copies the guest's CAPTURE_ACK once seq is answered.
 */
int vmwp_capture_start(struct vmwp *w, const char *part, const char *const *filters, size_t nfilters);
int vmwp_capture_stop(struct vmwp *w);
bool vmwp_capture_acked(const struct vmwp *w, int seq, struct vmctl_capture_ack *out);

#endif /* IOVLAB_HV_VMWP_H */
