/*
 * VMBus for iovlab: channels between the root partition (host process) and
 * a child partition (VM process), each a pair of packet rings in the
 * guest's memory plus an eventfd per direction. The host side
 * (vmbus_host_*) models the VMBus server of the virtualization stack: it
 * offers channels to one partition, accepts the guest's GPADLs and open
 * requests, and rescinds channels -- all of them when the partition dies.
 * The guest side (vmbus_guest_*) models the guest's vmbus driver: it
 * negotiates the version, takes offers, lends ring memory and opens
 * channels. The data path (vmbus_chan_*) is the same on both sides and
 * never touches the socket: packets go through shared memory, and an
 * eventfd is written only when the peer asked for it.
 *
 * Used by the VSPs (NetVSP, vPCI VSP) on the host and the VSCs (NetVsc,
 * vPCI front end) in the guest. Layouts: wire/vmbus.h. Design note with the
 * state diagram and ring contract: docs/hv/vmbus.md.
 */
#ifndef IOVLAB_HV_VMBUS_H
#define IOVLAB_HV_VMBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/partition.h"
#include "hv/ring.h"
#include "wire/vmbus.h"

struct vmbus_channel;	/* opaque; owned by its vmbus_host or vmbus_guest */
struct vmbus_host;
struct vmbus_guest;

/* ---- channel state ------------------------------------------------------ */

/*
 * Channel life cycle, the same on both sides (diagram in docs/hv/vmbus.md):
 *   offered -> opening -> open -> closing -> closed -> opening ...
 *   opening -> offered (open refused); open -> broken (peer broke a ring);
 *   broken -> closing; every state but rescinded -> rescinded (final).
 */
enum vmbus_chan_state {
	VMBUS_CHAN_OFFERED,
	VMBUS_CHAN_OPENING,
	VMBUS_CHAN_OPEN,
	VMBUS_CHAN_BROKEN,
	VMBUS_CHAN_CLOSING,
	VMBUS_CHAN_CLOSED,
	VMBUS_CHAN_RESCINDED,
	VMBUS_CHAN_STATE_COUNT,
};

const char *vmbus_chan_state_name(enum vmbus_chan_state s);
enum vmbus_chan_state vmbus_chan_state(const struct vmbus_channel *ch);
uint32_t vmbus_chan_relid(const struct vmbus_channel *ch);
const struct vmbus_guid *vmbus_chan_type(const struct vmbus_channel *ch);
const struct vmbus_guid *vmbus_chan_instance(const struct vmbus_channel *ch);

struct vmbus_chan_stats {
	uint64_t signals;	/* eventfd writes to the peer (doorbells/interrupts sent) */
	uint64_t wakeups;	/* signals received from the peer (eventfd counts read) */
	uint64_t bad_type;	/* well-framed packets of an unknown type, dropped */
	struct vmbus_ring_stats out, in;
};
void vmbus_chan_get_stats(const struct vmbus_channel *ch, struct vmbus_chan_stats *st);

/* ---- data path (both sides, channel open) ------------------------------- */

/*
 * Send pkts[0..n) as one batch: all that fit are published with one index
 * update and at most one signal (only if the peer's ring went from empty to
 * non-empty and it is not polling). Returns how many were sent (0: ring
 * full, see vmbus_chan_wait_space()), -EMSGSIZE (pkts[0] never fits),
 * -EPROTO (the peer broke the ring; channel now broken), -ENOTCONN (not
 * open) or -ENODEV (rescinded).
 */
int vmbus_chan_send(struct vmbus_channel *ch, const struct vmbus_pkt *pkts, unsigned n);

/*
 * Receive up to max packets, payloads copied into buf (private memory, so
 * the peer cannot change them after they were checked). Packets of types
 * other than VMBUS_PKT_DATA_INBAND and VMBUS_PKT_COMP are counted and
 * dropped. Returns the number received (0: nothing), -ENOBUFS (out[0].len
 * says how much the first payload needs), -EPROTO (broken), -ENOTCONN,
 * -ENODEV. Signals the peer if it was waiting for space and now has it.
 */
int vmbus_chan_recv(struct vmbus_channel *ch, struct vmbus_pkt_in *out, unsigned max,
		    void *buf, size_t buflen);

/*
 * Wait until a packet may be there (1), timeout_ms passes (0), or the
 * channel stops being open (-ENOTCONN, -ENODEV on rescind, -ECONNRESET
 * when the other partition is gone). Unmasks interrupts first, so the peer
 * signals on the next empty -> non-empty. Wake-ups may be spurious: drain
 * with vmbus_chan_recv() until it returns 0, then wait again. In the guest
 * this also serves VMBus control messages (a rescind ends the wait).
 */
int vmbus_chan_wait(struct vmbus_channel *ch, int timeout_ms);

/*
 * As vmbus_chan_wait(), after checking the ring for up to VMBUS_SPIN_US
 * microseconds (yielding the CPU each turn): for a caller that has just sent
 * a request the peer answers at once. IOVLAB_SPIN_US overrides the budget
 * (0: never spin; at most 1000).
 */
#define VMBUS_SPIN_US 40
int vmbus_chan_wait_spin(struct vmbus_channel *ch, int timeout_ms);
/* The spin budget in microseconds: VMBUS_SPIN_US or IOVLAB_SPIN_US (read once). */
int vmbus_spin_budget_us(void);

/* As vmbus_chan_wait(), but for need bytes of free space in the send ring. */
int vmbus_chan_wait_space(struct vmbus_channel *ch, uint32_t need, int timeout_ms);

/* Bytes a packet with a payload of len bytes takes in a ring. */
uint32_t vmbus_chan_pkt_size(uint32_t len);

/* Polling: mask the peer's signals while the caller spins on recv. */
void vmbus_chan_poll_begin(struct vmbus_channel *ch);
/* Stop polling; true if packets arrived meanwhile (drain before waiting). */
bool vmbus_chan_poll_end(struct vmbus_channel *ch);

/* The descriptor vmbus_chan_wait() polls, for callers with their own loop. */
int vmbus_chan_wait_fd(const struct vmbus_channel *ch);

/*
 * Signal the peer's eventfd without a packet: the doorbell or interrupt of
 * a protocol that keeps its own state in shared memory and its own
 * suppression (the VF's doorbell page, wire/vmctl.h). Counted in signals.
 * 0, or -ENOTCONN / -EPROTO / -ENODEV when the channel is not open.
 */
int vmbus_chan_kick(struct vmbus_channel *ch);

/* ---- host side (root partition) ----------------------------------------- */

enum vmbus_chan_event {
	VMBUS_CHAN_EV_OPENED,		/* the guest opened the channel; rings ready */
	VMBUS_CHAN_EV_DATA,		/* the guest signalled: drain with vmbus_chan_recv() */
	VMBUS_CHAN_EV_CLOSED,		/* the guest closed it; it may open it again */
	VMBUS_CHAN_EV_RESCINDED,	/* the partition is gone; drop the channel pointer */
};

const char *vmbus_chan_event_name(enum vmbus_chan_event ev);

/*
 * Host: something happened on a channel this VSP offered. Called from the
 * event loop. The channel stays owned by the vmbus_host; after
 * VMBUS_CHAN_EV_RESCINDED the callee must not use it again. Do not destroy
 * the vmbus_host or partition from here.
 */
typedef void (*vmbus_chan_event_fn)(struct vmbus_channel *ch, enum vmbus_chan_event ev,
				    void *arg);

/*
 * Host: become the VMBus server of partition p (one per partition). Caller
 * owns *out; free with vmbus_host_destroy() before partition_destroy().
 * Returns 0 or -errno.
 */
int vmbus_host_create(struct partition *p, struct vmbus_host **out);

/* Host: free every channel (no callbacks) and unbind. NULL is a no-op. */
void vmbus_host_destroy(struct vmbus_host *h);

/*
 * Host: offer a channel of class type, device instance, to the guest (sent
 * now if the guest has asked for offers, else when it does). The channel is
 * owned by h; fn reports what the guest does with it. Returns 0 or -errno
 * (-ENOSPC: no free channel id).
 */
int vmbus_host_offer(struct vmbus_host *h, const struct vmbus_guid *type,
		     const struct vmbus_guid *instance, vmbus_chan_event_fn fn, void *arg,
		     struct vmbus_channel **out);

/*
 * Host: withdraw a channel (device removed). The guest is told; the host
 * stops touching the rings at once. The caller must not use ch afterwards;
 * it is freed when the guest releases the id or the host is destroyed.
 * Returns 0 or -errno.
 */
int vmbus_host_rescind(struct vmbus_channel *ch);

/* Host: VMBus version agreed with the guest, 0 before contact. */
uint32_t vmbus_host_version(const struct vmbus_host *h);
/* Host: control messages from the guest refused as invalid. */
uint64_t vmbus_host_refused(const struct vmbus_host *h);

/* ---- guest side (child partition) --------------------------------------- */

/*
 * Guest: connect to the host's VMBus server over the partition socket:
 * negotiate the version and collect the offers, waiting at most
 * timeout_ms. Caller owns *out; free with vmbus_guest_destroy(). Returns 0
 * or -errno (-ETIMEDOUT, -EPROTONOSUPPORT, -ECONNRESET).
 */
int vmbus_guest_connect(struct partition_guest *pg, int timeout_ms, struct vmbus_guest **out);

/* Guest: free all channels. NULL is a no-op. */
void vmbus_guest_destroy(struct vmbus_guest *g);

/*
 * Guest: the first channel offered with this class that is not rescinded,
 * or NULL. Owned by g.
 */
struct vmbus_channel *vmbus_guest_find(struct vmbus_guest *g, const struct vmbus_guid *type);

/*
 * Guest: handle VMBus control messages (offers, rescinds) for up to
 * timeout_ms. Returns how many were handled, or -ECONNRESET once the host
 * is gone.
 */
int vmbus_guest_poll(struct vmbus_guest *g, int timeout_ms);

/*
 * Guest: open ch with its rings in guest memory at [gpa, gpa + out_len +
 * in_len): the guest-to-host ring (out_len bytes: control page + data)
 * first, then the host-to-guest ring. Lends the range by GPADL, then opens.
 * Returns 0 or -errno (the host's refusal status, -ETIMEDOUT, -ENODEV).
 */
int vmbus_guest_open(struct vmbus_channel *ch, uint64_t gpa, uint32_t out_len,
		     uint32_t in_len, int timeout_ms);

/*
 * Guest: close ch and take the ring memory back (GPADL teardown); the
 * memory may be reused once this returns 0. Returns 0 or -errno.
 */
int vmbus_guest_close(struct vmbus_channel *ch, int timeout_ms);

/* Guest: host messages refused as invalid. */
uint64_t vmbus_guest_refused(const struct vmbus_guest *g);

#endif /* IOVLAB_HV_VMBUS_H */
