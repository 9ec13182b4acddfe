/*
 * One direction of a VMBus channel: a single-producer/single-consumer ring
 * of variable-length packets in guest memory (layout in wire/vmbus.h). Each
 * side of a channel holds a struct vmbus_ring for each of its two rings,
 * one as producer and one as consumer. Used by src/hv/channel.c; the ring
 * itself never signals anyone, it only says when a signal is due, so the
 * caller can batch and count doorbells.
 *
 * Nothing read from the shared control page or data area is trusted: each
 * side keeps its own index in private memory, validates the other side's
 * index and every packet header before use, and copies payloads out before
 * handing them on. A ring whose other side broke the framing is marked
 * broken (-EPROTO from then on), counted and logged; it never crashes.
 */
#ifndef IOVLAB_HV_RING_H
#define IOVLAB_HV_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/vmbus.h"

struct vmbus_ring_stats {
	uint64_t packets;	/* packets written (producer) or read (consumer) */
	uint64_t bytes;		/* payload bytes of those packets */
	uint64_t full;		/* producer: a write stopped for lack of space */
	uint64_t bad_index;	/* the other side's index out of range or misaligned */
	uint64_t bad_header;	/* consumer: a packet header that does not fit */
};

/* Private view of one ring. Embedded by its owner; no heap. */
struct vmbus_ring {
	struct vmbus_ring_ctl *ctl;	/* shared control page */
	uint8_t *data;			/* shared data area */
	uint32_t size;			/* data-area bytes (private copy) */
	uint32_t index;			/* producer: next write; consumer: next read */
	int error;			/* 0, or -EPROTO once the other side broke the ring */
	char name[40];			/* for logs, e.g. "chan 0x3 h->g" */
	struct vmbus_ring_stats stats;
};

/* A packet to send: payload is copied into the ring. */
struct vmbus_pkt {
	uint16_t type;		/* VMBUS_PKT_* */
	uint8_t flags;		/* VMBUS_PKT_FLAG_* */
	uint64_t trans_id;
	const void *data;
	uint32_t len;
};

/* A packet received: data points into the caller's buffer. */
struct vmbus_pkt_in {
	uint16_t type;
	uint8_t flags;
	uint64_t trans_id;
	const uint8_t *data;
	uint32_t len;
};

/*
 * Attach to the ring at mem: a control page followed by a data area, len
 * bytes in all (a page multiple, data area within VMBUS_RING_DATA_MIN..MAX).
 * The producer side zeroes the fields it writes (write_index,
 * pending_send_sz), the consumer side its own (read_index, interrupt_mask);
 * nothing else is touched. Returns 0 or -EINVAL.
 */
int vmbus_ring_init_producer(struct vmbus_ring *r, void *mem, uint64_t len, const char *name);
int vmbus_ring_init_consumer(struct vmbus_ring *r, void *mem, uint64_t len, const char *name);

/* Most payload bytes one packet can have in this ring. */
uint32_t vmbus_ring_max_payload(const struct vmbus_ring *r);

/*
 * Producer: write pkts[0..n) in order, stopping at the first that does not
 * fit, then publish them all with one index update. Returns how many were
 * written (0 when the ring is full), -EMSGSIZE if pkts[0] can never fit,
 * or -EPROTO if the ring is broken. *signal is set when the consumer must be
 * signalled: the ring went from empty to non-empty as the consumer sees it
 * and it has not masked interrupts.
 */
int vmbus_ring_write(struct vmbus_ring *r, const struct vmbus_pkt *pkts, unsigned n,
		     bool *signal);

/*
 * Producer: ask to be signalled once need bytes are free. Returns true when
 * they already are (nothing published; write now), false when the request
 * is published and the caller should wait for the consumer's signal and ask
 * again.
 */
bool vmbus_ring_want_space(struct vmbus_ring *r, uint32_t need);

/*
 * Consumer: copy up to max packets into buf (buflen bytes; each payload
 * starts 8-byte aligned) and out[], then release their space to the
 * producer with one index update. Returns the number read (0: empty),
 * -ENOBUFS if the first packet's payload does not fit buf (its length is
 * left in out[0].len), or -EPROTO once the ring is broken (packets read
 * before the bad header are still returned first). *signal is set when the
 * producer asked for space (pending_send_sz) and now has it.
 */
int vmbus_ring_read(struct vmbus_ring *r, struct vmbus_pkt_in *out, unsigned max,
		    void *buf, size_t buflen, bool *signal);

/* Consumer: true if a packet is published and not yet read. */
bool vmbus_ring_pending(struct vmbus_ring *r);

/* Consumer: "I am polling, do not signal me". */
void vmbus_ring_intr_mask(struct vmbus_ring *r);

/*
 * Consumer: "signal me on the next empty -> non-empty". Returns true if a
 * packet arrived meanwhile: drain again before sleeping.
 */
bool vmbus_ring_intr_unmask(struct vmbus_ring *r);

#endif /* IOVLAB_HV_RING_H */
