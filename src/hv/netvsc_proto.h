/*
 * The NetVsc protocol engine: the guest end of a VM network adapter's
 * synthetic path, running in the VM process (ndis-sriov-spec.md 1.1 row
 * 13, 1.2, 1.5). It opens the synthetic NIC's VMBus channel, negotiates
 * NVSP with the host's NetVSP (netvsp.h), lends the receive and send
 * buffers, learns the MAC address and sets the packet filter (RNDIS), sends
 * and receives frames on the synthetic path in batches, records the VF
 * association the host sends (the serial the VF binding matches against
 * OID_SRIOV_VF_SERIAL_NUMBER), and switches the data path: it sends
 * SWITCH_DATA_PATH and waits for the host's acknowledgement before it uses
 * the new path, so a switch under load loses, duplicates and reorders
 * nothing (docs/hv/netvsc.md has the argument and the state diagram).
 *
 * Not the NDIS miniport edge: that layer (built later) wraps this engine,
 * gets frames and events through struct netvsc_proto_ops, and plugs the VF
 * it bound in through struct netvsc_vf_ops. Single-threaded: every call
 * comes from the VM's thread that owns the engine; callbacks run inside
 * netvsc_proto_poll(), the switch calls and netvsc_proto_create(). The host
 * is checked like any peer: a bad message is refused and counted.
 */
#ifndef IOVLAB_HV_NETVSC_PROTO_H
#define IOVLAB_HV_NETVSC_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/shm.h"
#include "hv/nvsp_msg.h"
#include "hv/vmbus.h"

struct netvsc_proto;	/* opaque; owned by whoever called netvsc_proto_create() */

/* ---- data-path state ---------------------------------------------------- */

/*
 * Which way frames go (diagram in docs/hv/netvsc.md):
 *   synthetic -> switching-to-vf        SWITCH_DATA_PATH(VF) sent
 *   switching-to-vf -> vf               host acknowledged
 *   switching-to-vf -> synthetic        host refused, or the request never left
 *   switching-to-vf -> error            no acknowledgement in time
 *   vf -> switching-to-synthetic        VF flushed, SWITCH_DATA_PATH(SYNTHETIC) sent
 *   switching-to-synthetic -> synthetic host acknowledged
 *   switching-to-synthetic -> error     no acknowledgement in time
 *   error -> switching-to-synthetic     resynchronise with the host
 *   every state but rescinded -> rescinded (channel gone; final)
 * Sends go synthetic in synthetic and error, to the VF in vf, and are held
 * (-EAGAIN) while switching.
 */
enum netvsc_dp_state {
	NETVSC_DP_SYNTHETIC,
	NETVSC_DP_SWITCHING_TO_VF,
	NETVSC_DP_VF,
	NETVSC_DP_SWITCHING_TO_SYNTHETIC,
	NETVSC_DP_ERROR,
	NETVSC_DP_RESCINDED,
	NETVSC_DP_STATE_COUNT,
};

const char *netvsc_dp_state_name(enum netvsc_dp_state s);

/* ---- upper edge (the NetVsc miniport edge implements these) ------------- */

/*
 * Frames received on the synthetic path, in order. frames[i].data points
 * into the receive buffer in guest memory and is valid only during the
 * call (the section goes back to the host afterwards): copy what you keep.
 */
typedef void (*netvsc_rx_frames_fn)(void *ctx, const struct nvsp_frame *frames, unsigned n);
/* Media connect state changed (RNDIS status indication). */
typedef void (*netvsc_link_fn)(void *ctx, bool up);
/*
 * The host associated a VF with this adapter (allocated, serial), or took
 * it back (!allocated): reported once the data path is synthetic again, so
 * the VF binding may then release the VF.
 */
typedef void (*netvsc_vf_association_fn)(void *ctx, bool allocated, uint32_t serial);

struct netvsc_proto_ops {
	netvsc_rx_frames_fn rx_frames;		/* required */
	netvsc_link_fn link;			/* may be NULL */
	netvsc_vf_association_fn vf_association;	/* may be NULL */
};

/* ---- the VF side (the later VF binding implements these) ---------------- */

/*
 * Send frames through the VF, in order. frames[i].data is the caller's and
 * valid only during the call. Returns how many the VF took or -errno.
 */
typedef int (*netvsc_vf_tx_frames_fn)(void *ctx, const struct nvsp_frame *frames, unsigned n);
/*
 * Return once every frame the VF took has left it (reached the NIC switch),
 * or timeout_ms has passed (-ETIMEDOUT). Called before switching back to
 * synthetic, so no synthetic frame can overtake a frame still queued in
 * the VF. 0 or -errno.
 */
typedef int (*netvsc_vf_tx_flush_fn)(void *ctx, int timeout_ms);

struct netvsc_vf_ops {
	netvsc_vf_tx_frames_fn tx_frames;
	netvsc_vf_tx_flush_fn tx_flush;
};

/* ---- life cycle --------------------------------------------------------- */

struct netvsc_proto_config {
	const char *name;		/* for logs, e.g. "vm1/nic0" */
	struct guest_mem *mem;		/* this VM's memory (partition_guest_mem()); not owned */
	/* Rings: guest-to-host at ring_gpa, host-to-guest right after; each ring_len bytes. */
	uint64_t ring_gpa;
	uint32_t ring_len;
	/* Buffers lent to the host: page aligned, whole NVSP_SECTION_SIZE sections. */
	uint64_t recv_buf_gpa;
	uint32_t recv_buf_len;
	uint64_t send_buf_gpa;
	uint32_t send_buf_len;
	uint32_t max_version;		/* 0: NVSP_PROTO_NEWEST */
	uint32_t mtu;			/* 0: NVSP_MTU_DEFAULT */
	bool sriov;			/* announce NVSP_CAP_SRIOV (wants VF associations) */
	int timeout_ms;			/* per handshake step; 0: 5000 */
	const struct netvsc_proto_ops *ops;	/* not copied: must outlive the engine */
	void *ctx;
};

/*
 * Find the synthetic NIC channel on bus, open it and run the handshake
 * (version, NDIS config and version, buffers, MAC, packet filter). The
 * caller owns *out; free with netvsc_proto_destroy(). Returns 0 or -errno:
 * -ENODEV (no such channel, or rescinded), -EPROTONOSUPPORT (no common
 * version), -ETIMEDOUT, -EIO (host refused a step), -EINVAL (bad config).
 */
int netvsc_proto_create(struct vmbus_guest *bus, const struct netvsc_proto_config *cfg,
			struct netvsc_proto **out);

/* Take the buffers back, close the channel, free. NULL is a no-op. */
void netvsc_proto_destroy(struct netvsc_proto *nc);

/* ---- data --------------------------------------------------------------- */

/*
 * Send frames[0..n) the way the data path state says (synthetic: each into
 * a send-buffer section, one ring update and at most one signal per 64;
 * vf: the VF's tx_frames). Data is copied before return. Returns how many
 * were taken (fewer when sections or ring space run out: poll, then send
 * the rest), -EAGAIN while a switch is in progress, -EINVAL for a frame of
 * a bad length (nothing sent), -ENODEV once rescinded.
 */
int netvsc_proto_send(struct netvsc_proto *nc, const struct nvsp_frame *frames, unsigned n);

/*
 * Handle what the host sent (frames, completions, status, association),
 * waiting up to timeout_ms for something if nothing is there. Returns the
 * number of packets handled (0 on timeout) or -errno (-ENODEV rescinded).
 */
int netvsc_proto_poll(struct netvsc_proto *nc, int timeout_ms);

/* ---- SR-IOV ------------------------------------------------------------- */

/*
 * Plug in the VF the VF binding bound (ops NULL: unplug). Only while not
 * on or switching to the VF (-EBUSY). ops must stay valid while plugged.
 */
int netvsc_proto_set_vf(struct netvsc_proto *nc, const struct netvsc_vf_ops *ops, void *ctx);

/*
 * Switch to the VF: SWITCH_DATA_PATH(VF) goes into the ring behind every
 * synthetic frame sent so far, and sends are held until the host's
 * acknowledgement. Returns 0 (on the VF), -ENOENT (no VF associated, or it
 * was withdrawn meanwhile), -ENXIO (no VF plugged in), -EOPNOTSUPP (NVSP
 * below 4 or SR-IOV not announced), -EPERM (host refused), -EBUSY (not on
 * the synthetic path), -ETIMEDOUT (state error), -ENODEV (rescinded).
 */
int netvsc_proto_switch_to_vf(struct netvsc_proto *nc, int timeout_ms);

/*
 * Switch back to synthetic: flush the VF, send SWITCH_DATA_PATH(SYNTHETIC),
 * wait for the acknowledgement. Also the way out of the error state.
 * Returns 0 (on synthetic), -ETIMEDOUT (state error), -EBUSY (a switch to
 * the VF is in progress), -EIO (host refused), -ENODEV (rescinded).
 */
int netvsc_proto_switch_to_synthetic(struct netvsc_proto *nc, int timeout_ms);

/* The VF association: true and *serial if the host says a VF is allocated. */
bool netvsc_proto_vf_serial(const struct netvsc_proto *nc, uint32_t *serial);

/* ---- views -------------------------------------------------------------- */

struct netvsc_proto_stats {
	uint64_t tx_synthetic, tx_synthetic_bytes;	/* frames sent through NetVSP */
	uint64_t tx_vf, tx_vf_bytes;			/* frames handed to the VF */
	uint64_t tx_held;		/* sends refused (-EAGAIN) during a switch */
	uint64_t rx_frames, rx_bytes;	/* received on the synthetic path */
	uint64_t refused;		/* host messages refused as invalid */
	uint64_t switches;		/* data-path changes the host acknowledged */
	uint64_t stale_acks;		/* acknowledgements of abandoned switch requests */
	uint64_t associations;		/* VF association messages taken */
};

enum netvsc_dp_state netvsc_proto_state(const struct netvsc_proto *nc);
uint32_t netvsc_proto_version(const struct netvsc_proto *nc);
const uint8_t *netvsc_proto_mac(const struct netvsc_proto *nc);		/* 6 bytes */
uint32_t netvsc_proto_max_frame(const struct netvsc_proto *nc);	/* host's MTU */
bool netvsc_proto_link_up(const struct netvsc_proto *nc);
void netvsc_proto_get_stats(const struct netvsc_proto *nc, struct netvsc_proto_stats *st);
/* The channel (for its ring statistics). Owned by the vmbus_guest. */
struct vmbus_channel *netvsc_proto_channel(const struct netvsc_proto *nc);

/* ---- for tests and fuzzing (src/hv, tests/) ----------------------------- */

/*
 * An engine with no channel, as if the handshake had agreed NVSP_PROTO_NEWEST
 * with SR-IOV and the buffers of cfg: packets are fed with
 * netvsc_proto__dispatch(); whatever it would send is dropped.
 */
int netvsc_proto__create_detached(const struct netvsc_proto_config *cfg,
				  struct netvsc_proto **out);
void netvsc_proto__dispatch(struct netvsc_proto *nc, const struct vmbus_pkt_in *pkts,
			    unsigned n);
/* The one checked state setter (tests walk its table). 0 or -EINVAL. */
int netvsc_proto__set_state(struct netvsc_proto *nc, enum netvsc_dp_state to);
/*
 * Start a switch without waiting for the acknowledgement (what the revoke
 * path does); feed the acknowledgement with netvsc_proto__dispatch().
 * datapath is NVSP_DATAPATH_*. 0 or -errno.
 */
int netvsc_proto__begin_switch(struct netvsc_proto *nc, uint32_t datapath);

#endif /* IOVLAB_HV_NETVSC_PROTO_H */
