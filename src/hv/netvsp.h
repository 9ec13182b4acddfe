/*
 * NetVSP: the host end of one VM network adapter's synthetic path, as the
 * Hyper-V vSwitch runs it in the root partition (ndis-sriov-spec.md 1.1
 * row 8, 1.2). One struct netvsp per VM network adapter: it offers the
 * synthetic NIC's VMBus channel to the VM, negotiates NVSP with the guest's
 * NetVsc, takes the receive and send buffers the guest lends, hands the
 * frames the guest sends to its port (the vSwitch, through struct
 * netvsp_port_ops), writes frames from the port into the guest's receive
 * buffer, answers the few RNDIS OIDs, tells the guest which VF belongs to
 * the adapter (SEND_VF_ASSOCIATION) and acknowledges the guest's
 * SWITCH_DATA_PATH. It is the host-side source of Get-VMNetworkAdapter's
 * VFDataPathActive (spec 1.4): netvsp_vf_data_path_active().
 *
 * Runs on the host's event loop (single-threaded); every call below must
 * come from that thread. Everything the guest sends is checked and a bad
 * message is refused, counted and logged; nothing the guest does can stop
 * the host. Layouts: wire/nvsp.h, wire/rndis.h. Message sequence, state
 * diagrams and the ordering argument: docs/hv/netvsc.md.
 */
#ifndef IOVLAB_HV_NETVSP_H
#define IOVLAB_HV_NETVSP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/shm.h"
#include "hv/nvsp_msg.h"
#include "hv/vmbus.h"

struct netvsp;	/* opaque; owned by whoever called netvsp_create() */

/* ---- states ------------------------------------------------------------- */

/*
 * The adapter's protocol life cycle (diagram in docs/hv/netvsc.md):
 *   offered -> negotiating (guest opened the channel) -> ready (INIT agreed)
 *   negotiating|ready -> closed (guest closed) -> negotiating (reopened)
 *   every state but gone -> gone (channel rescinded or partition gone; final)
 */
enum netvsp_state {
	NETVSP_OFFERED,
	NETVSP_NEGOTIATING,
	NETVSP_READY,
	NETVSP_CLOSED,
	NETVSP_GONE,
	NETVSP_STATE_COUNT,
};

/*
 * The VF as this adapter's guest sees it (diagram in docs/hv/netvsc.md):
 *   none -> associated (SEND_VF_ASSOCIATION allocated=1 sent)
 *   associated -> active (guest's SWITCH_DATA_PATH(VF) acknowledged)
 *   active -> associated (guest switched back to synthetic)
 *   associated -> none (revoked: allocated=0 sent)
 *   active -> revoking (revoked while the guest is on the VF)
 *   revoking -> none (guest switched back to synthetic)
 *   active|revoking -> none (guest closed the channel or is gone)
 * VFDataPathActive is true in active and revoking: the guest sends through
 * the VF until it has switched back.
 */
enum netvsp_vf_state {
	NETVSP_VF_NONE,
	NETVSP_VF_ASSOCIATED,
	NETVSP_VF_ACTIVE,
	NETVSP_VF_REVOKING,
	NETVSP_VF_STATE_COUNT,
};

const char *netvsp_state_name(enum netvsp_state s);
const char *netvsp_vf_state_name(enum netvsp_vf_state s);

/* ---- the port (vSwitch) interface --------------------------------------- */

/* What NetVSP reports to its port besides frames. */
enum netvsp_event {
	NETVSP_EV_READY,		/* guest negotiated a version */
	NETVSP_EV_DATA_PATH_VF,		/* VFDataPathActive became true */
	NETVSP_EV_DATA_PATH_SYNTHETIC,	/* VFDataPathActive became false */
	NETVSP_EV_VF_ASSOC_ACKED,	/* guest acknowledged the last association */
	NETVSP_EV_CLOSED,		/* guest closed the channel */
	NETVSP_EV_GONE,			/* channel rescinded / partition gone */
};

const char *netvsp_event_name(enum netvsp_event ev);

/*
 * Frames the guest sent on the synthetic path, in the order it sent them.
 * frames[i].data points into NetVSP's private memory and is valid only
 * during the call: the port copies what it keeps. Returns how many it took
 * (the rest are counted as tx_dropped) or -errno (all dropped).
 */
typedef int (*netvsp_tx_frames_fn)(void *ctx, const struct nvsp_frame *frames, unsigned n);

/* Something in enum netvsp_event happened. Must not call netvsp_destroy(). */
typedef void (*netvsp_event_fn)(void *ctx, enum netvsp_event ev);

/* What a port (the vSwitch, or a test double) implements. */
struct netvsp_port_ops {
	netvsp_tx_frames_fn tx_frames;	/* required */
	netvsp_event_fn event;		/* may be NULL */
};

/* ---- life cycle --------------------------------------------------------- */

struct netvsp_config {
	const char *name;		/* adapter name for logs, e.g. "vm1/nic0" */
	struct vmbus_guid instance;	/* device instance of the offered channel */
	struct guest_mem *mem;		/* the VM's memory (partition_mem()); not owned */
	uint8_t mac[6];			/* the adapter's MAC address */
	uint32_t mtu;			/* 0: NVSP_MTU_DEFAULT */
	uint32_t min_version;		/* 0: the oldest NVSP_PROTO_* */
	uint32_t max_version;		/* 0: NVSP_PROTO_NEWEST */
	const struct netvsp_port_ops *port;	/* not copied: must outlive the netvsp */
	void *port_ctx;
};

/*
 * Create the adapter and offer its channel on vh. The caller owns *out and
 * frees it with netvsp_destroy() before vmbus_host_destroy(). Returns 0 or
 * -errno (-EINVAL: bad config).
 */
int netvsp_create(struct vmbus_host *vh, const struct netvsp_config *cfg, struct netvsp **out);

/* Rescind the channel if it is still there and free everything. NULL is a no-op. */
void netvsp_destroy(struct netvsp *nsp);

/* ---- data --------------------------------------------------------------- */

/*
 * Deliver frames[0..n) from the port to the guest, in order, each into a
 * section of the guest's receive buffer, announced with one ring update and
 * at most one signal per 64 frames. Frames of the data path (synthetic or
 * VF) are delivered alike: the guest always accepts the synthetic path
 * (broadcasts and frames in flight during a switch arrive here). The data
 * is copied before return. Returns how many were delivered; the rest (no
 * free section, ring full, packet filter 0) are counted as rx_dropped.
 * -ENOTCONN before the guest set up its receive buffer, -ENODEV once gone.
 */
int netvsp_rx_frames(struct netvsp *nsp, const struct nvsp_frame *frames, unsigned n);

/* ---- SR-IOV ------------------------------------------------------------- */

/*
 * The virtualization stack gave this adapter the VF with this serial: tell
 * the guest (now if it announced SR-IOV on NVSP 4+, else once it does).
 * Returns 0, -EBUSY while a revoke is still waiting for the guest or while
 * the guest is on another VF.
 */
int netvsp_vf_offer(struct netvsp *nsp, uint32_t serial);

/*
 * The VF is going away: tell the guest (allocated = 0). A guest on the VF
 * switches back to synthetic first; VFDataPathActive stays true until it
 * has (spec 2.17). Returns 0.
 */
int netvsp_vf_revoke(struct netvsp *nsp);

/* VFDataPathActive: the guest said it switched to the VF and we acknowledged. */
bool netvsp_vf_data_path_active(const struct netvsp *nsp);

/* ---- link --------------------------------------------------------------- */

/* Media connect state reported to the guest (RNDIS status indication). 0 or -errno. */
int netvsp_link_set(struct netvsp *nsp, bool up);

/* ---- views -------------------------------------------------------------- */

struct netvsp_stats {
	uint64_t tx_frames, tx_bytes;	/* guest -> port, synthetic path */
	uint64_t tx_dropped;		/* refused by the port */
	uint64_t tx_while_vf;		/* synthetic frames while VFDataPathActive */
	uint64_t rx_frames, rx_bytes;	/* port -> guest */
	uint64_t rx_dropped;		/* not delivered: backlog full, filter 0, session over */
	uint64_t rx_backlogged;		/* frames that waited for sections or ring space */
	uint64_t rx_backlog_max;	/* most frames waiting at once */
	uint64_t rx_waiting;		/* frames waiting now (accepted, not yet in the ring) */
	uint64_t refused;		/* messages from the guest refused as invalid */
	uint64_t switch_refused;	/* SWITCH_DATA_PATH(VF) without an associated VF */
	uint64_t switches;		/* data path changes acknowledged */
	uint64_t ctl_dropped;		/* control messages lost: queue full (guest not reading) */
};

enum netvsp_state netvsp_state(const struct netvsp *nsp);
enum netvsp_vf_state netvsp_vf_state(const struct netvsp *nsp);
uint32_t netvsp_version(const struct netvsp *nsp);		/* 0 before INIT */
uint32_t netvsp_packet_filter(const struct netvsp *nsp);	/* RNDIS_PACKET_TYPE_* */
void netvsp_get_stats(const struct netvsp *nsp, struct netvsp_stats *st);
/* The channel (for its ring statistics), NULL once gone. Owned by the vmbus_host. */
struct vmbus_channel *netvsp_channel(const struct netvsp *nsp);

/* ---- for tests and fuzzing (src/hv, tests/) ----------------------------- */

/*
 * A netvsp with no channel, in state offered (netvsp__set_state() to
 * negotiating acts as the guest's open): messages are fed with
 * netvsp__dispatch(), and whatever it would send is dropped.
 */
int netvsp__create_detached(const struct netvsp_config *cfg, struct netvsp **out);
/* Handle received packets as if vmbus_chan_recv() had returned them. */
void netvsp__dispatch(struct netvsp *nsp, const struct vmbus_pkt_in *pkts, unsigned n);
/* The two checked state setters (tests walk their tables). 0 or -EINVAL. */
int netvsp__set_state(struct netvsp *nsp, enum netvsp_state to);
int netvsp__set_vf_state(struct netvsp *nsp, enum netvsp_vf_state to);

#endif /* IOVLAB_HV_NETVSP_H */
