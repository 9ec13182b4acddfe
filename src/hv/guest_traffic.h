/*
 * A guest traffic source and sink: numbered raw Ethernet frames sent
 * through a VM network adapter and counted where they arrive -- how many,
 * and how many were lost, duplicated or reordered. It stands where a guest
 * protocol stack (later lwIP) will stand: above the NetVsc miniport edge,
 * bound to it as an NDIS protocol (LowerRange ndis5) through the guest
 * traffic protocol driver (guest_traffic_proto.h), so frames take the real
 * path -- NDIS, NetVsc, the synthetic or the VF data path -- in both
 * directions. The frame format and the sequence checker are plain
 * functions, so the other end (a host-side test, the vSwitch's port) builds
 * and checks the same frames. docs/hv/netvsc-edges.md, "Guest traffic".
 *
 * Single-threaded: a guest_traffic runs on its partition's thread, and its
 * receive side is called from NDIS's receive indication.
 */
#ifndef IOVLAB_HV_GUEST_TRAFFIC_H
#define IOVLAB_HV_GUEST_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/guest_traffic_proto.h"

/* ---- frame format ----------------------------------------------------------- */
/*
 * dst[6] src[6] ethertype 0x88b5 (IEEE local experimental) | magic "GTRF" |
 * u32 stream | u64 seq | u16 len | pattern byte i = seq * 7 + i up to len.
 * Little-endian fields after the Ethernet header.
 */
#define GUEST_TRAFFIC_ETHERTYPE 0x88b5u
#define GUEST_TRAFFIC_HEADER 32u	/* Ethernet header and the numbered header */
#define GUEST_TRAFFIC_FRAME_MIN 60u
#define GUEST_TRAFFIC_FRAME_MAX 1514u

/* The length frame seq gets when sizes cycle through [min, max]. */
uint32_t guest_traffic_frame_len(uint64_t seq, uint32_t min, uint32_t max);

/* Build frame seq of stream into buf (at least len bytes). Returns len, or 0 for a bad len. */
uint32_t guest_traffic_frame_build(uint8_t *buf, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
				   uint32_t stream, uint64_t seq);

/* 0 with *stream, *seq; -ENOMSG: not a numbered frame; -EBADMSG: one, but damaged. */
int guest_traffic_frame_parse(const void *frame, uint32_t len, uint32_t *stream, uint64_t *seq);

/* ---- sequence checker --------------------------------------------------------- */
#define GUEST_TRAFFIC_WINDOW 4096u	/* sequence numbers remembered behind the newest */

struct guest_traffic_seq {
	uint64_t next;		/* newest seen + 1 */
	uint64_t received;	/* distinct frames */
	uint64_t lost;		/* numbers skipped and not (yet) seen */
	uint64_t dup;		/* seen before */
	uint64_t reorder;	/* arrived after a higher number */
	uint64_t seen[GUEST_TRAFFIC_WINDOW / 64u];
};

void guest_traffic_seq_init(struct guest_traffic_seq *s);
/*
 * Account for one arrival. A number behind the window counts as reordered
 * (it cannot be told from a duplicate any more); lost drops when a skipped
 * number arrives late.
 */
void guest_traffic_seq_take(struct guest_traffic_seq *s, uint64_t seq);

/* ---- source and sink ------------------------------------------------------------ */
struct guest_traffic;	/* opaque; owned by whoever called guest_traffic_create() */

struct guest_traffic_config {
	uint8_t dst[6];		/* where numbered frames go (the peer's MAC) */
	uint32_t stream;	/* stream id sent and expected */
	uint32_t min_len, max_len;	/* frame sizes cycle through them; 0: 60 and 1514 */
};

struct guest_traffic_stats {
	uint64_t tx_frames, tx_bytes;	/* handed to NDIS */
	uint64_t tx_refused;		/* not sent: no binding, paused, no NBL free */
	uint64_t tx_completed, tx_failed;	/* send completions from the miniport */
	struct guest_traffic_seq rx;	/* numbered frames of our stream that arrived */
	uint64_t rx_bytes;
	uint64_t rx_foreign;		/* other frames (other streams, not numbered) */
	uint64_t rx_bad;		/* numbered, but damaged */
};

/*
 * Attach to the guest traffic protocol driver (its exported table, from
 * ndis_protocol_driver_symbol(p, GUEST_TRAFFIC_PROTO_SYMBOL)). 0 or -errno
 * (-EINVAL, -ENOMEM, -EBUSY: the driver has a sink already).
 */
int guest_traffic_create(const struct guest_traffic_proto *proto, const struct guest_traffic_config *cfg,
			 struct guest_traffic **out);
/* Detach and free. NULL is a no-op. */
void guest_traffic_destroy(struct guest_traffic *gt);

/*
 * Send the next n numbered frames. Returns how many NDIS took (the
 * sequence number advances by that many), -ENOTCONN if the protocol is not
 * bound to a running adapter.
 */
int guest_traffic_send(struct guest_traffic *gt, unsigned n);
/* The next sequence number to send. */
uint64_t guest_traffic_next_seq(const struct guest_traffic *gt);
void guest_traffic_get_stats(const struct guest_traffic *gt, struct guest_traffic_stats *st);

#endif /* IOVLAB_HV_GUEST_TRAFFIC_H */
