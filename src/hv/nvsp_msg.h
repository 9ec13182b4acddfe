/*
 * NVSP and RNDIS message checking shared by both ends of the synthetic NIC
 * channel: NetVSP in the host (netvsp.c) and the NetVsc protocol engine in
 * the guest (netvsc_proto.c). One table lists every NVSP message (type,
 * VMBus packet kind, direction, exact size, first protocol version), so
 * both sides refuse the same malformed input before reading a field; the
 * RNDIS checker does the same for the message inside a SEND_RNDIS_PKT. Also
 * the frame descriptor both sides' plug-in interfaces use and the section
 * bitmap both buffers need. Layouts: wire/nvsp.h, wire/rndis.h.
 */
#ifndef IOVLAB_HV_NVSP_MSG_H
#define IOVLAB_HV_NVSP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/ring.h"
#include "wire/nvsp.h"
#include "wire/rndis.h"

/*
 * One Ethernet frame (NVSP_FRAME_MIN..NVSP_FRAME_MAX bytes, an 802.1Q tag
 * inside the frame). Who owns data is said by each interface that passes
 * frames.
 */
struct nvsp_frame {
	const void *data;
	uint32_t len;
};

/* Which way a message travels. */
enum nvsp_dir {
	NVSP_TO_GUEST = 1,	/* NetVSP -> NetVsc */
	NVSP_TO_HOST = 2,	/* NetVsc -> NetVSP */
};

/* "NVSP_MSG4_TYPE_SWITCH_DATA_PATH" ...; "unknown" for anything else. */
const char *nvsp_msg_name(uint32_t type);

/*
 * Check one received VMBus packet carrying an NVSP message: pkt_type
 * (VMBUS_PKT_DATA_INBAND or VMBUS_PKT_COMP) and hdr.type must name a row of
 * the table for direction dir, len must be the row's exact size (a
 * SEND_RNDIS_PKT with NVSP_SECTION_INLINE: the header plus section_size
 * bytes, 1..NVSP_INLINE_MAX), and version (the negotiated one; 0 before)
 * must be at least the row's. The section index of a section-borne
 * SEND_RNDIS_PKT is checked by the caller against its buffer. Returns 0
 * and the type in *type, or -EBADMSG with the reason in *why (static text).
 */
int nvsp_msg_check(uint16_t pkt_type, const void *buf, uint32_t len, enum nvsp_dir dir,
		   uint32_t version, uint32_t *type, const char **why);

/*
 * Check one RNDIS message of len bytes received in direction dir: a known
 * type for that direction, hdr.len == len, and every offset/length inside
 * the message (a PACKET's frame NVSP_FRAME_MIN..MAX bytes, a request's or
 * completion's information at most RNDIS_INFO_MAX bytes). Returns 0 or
 * -EBADMSG with the reason in *why.
 */
int nvsp_rndis_check(const void *buf, uint32_t len, enum nvsp_dir dir, const char **why);

/*
 * Check the header p of an RNDIS PACKET that is len bytes long (for a
 * caller that copied only the header out of shared memory): the frame lies
 * inside the message and is NVSP_FRAME_MIN..MAX bytes. 0 or -EBADMSG.
 */
int nvsp_rndis_check_packet(const struct rndis_packet *p, uint32_t len, const char **why);

/* Write an RNDIS PACKET holding frame f at dst; returns the message length. */
uint32_t nvsp_rndis_put_packet(void *dst, const struct nvsp_frame *f);

/* True if f's length is one NVSP can carry. */
bool nvsp_frame_ok(const struct nvsp_frame *f);

/* ---- section bitmap ----------------------------------------------------- */

/* One bit per section of a buffer. Embedded; nvsp_secmap_fini() frees. */
struct nvsp_secmap {
	uint64_t *bits;
	uint32_t count;		/* sections */
	uint32_t used;		/* bits set */
	uint32_t hint;		/* where the next search for a clear bit starts */
};

/* count bits, all clear (count 0 is valid: an empty map). 0 or -ENOMEM. */
int nvsp_secmap_init(struct nvsp_secmap *m, uint32_t count);
void nvsp_secmap_fini(struct nvsp_secmap *m);
/* i must be < count (callers check indices from the peer first). */
bool nvsp_secmap_test(const struct nvsp_secmap *m, uint32_t i);
void nvsp_secmap_set(struct nvsp_secmap *m, uint32_t i);
void nvsp_secmap_clear(struct nvsp_secmap *m, uint32_t i);
/* Set a clear bit and return its index, or -1 if all are set. */
int64_t nvsp_secmap_alloc(struct nvsp_secmap *m);
/* Index of the first set bit at or after from, or -1. */
int64_t nvsp_secmap_next(const struct nvsp_secmap *m, uint32_t from);

/* ---- section buffers: the writer's half and the reader's half ---------- */

/*
 * Writer: copy frames[0..n) into free sections of the buffer at base (busy
 * marks the sections the reader has not completed yet) and describe each
 * as a SEND_RNDIS_PKT in msgs[i] / pkts[i], ready for one vmbus_chan_send().
 * Stops at the first frame with no free section. Returns how many it
 * prepared; nvsp_sections_unsent() gives back the sections of those the
 * send did not take. The section bytes are written before the packets are
 * published: the ring's release store of write_index orders them.
 */
unsigned nvsp_sections_put(struct nvsp_secmap *busy, uint8_t *base,
			   const struct nvsp_frame *frames, unsigned n,
			   struct nvsp_msg_rndis_pkt *msgs, struct vmbus_pkt *pkts);
/* Free the sections of msgs[sent..k). */
void nvsp_sections_unsent(struct nvsp_secmap *busy, const struct nvsp_msg_rndis_pkt *msgs,
			  unsigned sent, unsigned k);

/*
 * Reader: describe up to max owed completions (set bits of owed, lowest
 * first) as VMBUS_PKT_COMP packets in pkts[] with their section in idx[];
 * a section also set in bad (may be NULL) completes with
 * NVSP_STATUS_INVALID_RNDIS_PKT. Returns how many; the caller clears those
 * the send took.
 */
unsigned nvsp_sections_completions(const struct nvsp_secmap *owed, const struct nvsp_secmap *bad,
				   struct vmbus_pkt *pkts, uint32_t *idx, unsigned max);

#endif /* IOVLAB_HV_NVSP_MSG_H */
