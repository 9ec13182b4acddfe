/*
 * VMBus ring buffers (see ring.h for the API, wire/vmbus.h for the layout,
 * docs/hv/vmbus.md for the contract in prose).
 *
 * The contract between the two sides, stated once here and restated at each
 * barrier below:
 *   producer guarantees: every byte of a packet is written before the
 *     write_index that covers it is published (release); it never writes
 *     between write_index and read_index - 8 (the 8-byte gap keeps "full"
 *     distinct from "empty"); after publishing it fences and then reads
 *     interrupt_mask and read_index to decide whether to signal.
 *   consumer guarantees: it has copied every byte it needs out of a packet
 *     before publishing a read_index past it (release); before sleeping it
 *     publishes read_index and interrupt_mask = 0, fences, and looks at
 *     write_index once more; after publishing read_index it fences and then
 *     reads pending_send_sz to decide whether to signal the producer.
 *   neither side trusts the other: the index it reads is range- and
 *     alignment-checked, its own index is kept privately, and every header
 *     is copied out and checked before its length is believed.
 * The two "store; full fence; load" pairs are Dekker's handshake: at least
 * one side sees the other's store, so a wake-up is never lost.
 *
 * The shared fields are plain uint32_t in the wire layout and are accessed
 * here through _Atomic uint32_t pointers (same size and alignment, checked
 * below), as C11 atomics need an atomic type.
 */
#include "hv/ring.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

#define TOPIC "lab.hv.vmbus"
#define DESC_SIZE ((uint32_t)sizeof(struct vmbus_pkt_desc))

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "atomic u32 is a u32");
_Static_assert(_Alignof(_Atomic uint32_t) == _Alignof(uint32_t), "atomic u32 alignment");

static inline _Atomic uint32_t *shared(uint32_t *field)
{
	return (_Atomic uint32_t *)field;
}

static inline uint32_t align8(uint32_t n)
{
	return (n + VMBUS_PKT_ALIGN - 1) & ~(VMBUS_PKT_ALIGN - 1);
}

static int ring_init(struct vmbus_ring *r, void *mem, uint64_t len, const char *name)
{
	uint64_t data;

	memset(r, 0, sizeof(*r));
	if (!mem || len % VMBUS_PAGE_SIZE || len < VMBUS_PAGE_SIZE + VMBUS_RING_DATA_MIN)
		return -EINVAL;
	data = len - VMBUS_PAGE_SIZE;
	if (data > VMBUS_RING_DATA_MAX)
		return -EINVAL;
	r->ctl = mem;
	r->data = (uint8_t *)mem + VMBUS_PAGE_SIZE;
	r->size = (uint32_t)data;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "ring");
	return 0;
}

int vmbus_ring_init_producer(struct vmbus_ring *r, void *mem, uint64_t len, const char *name)
{
	int err = ring_init(r, mem, len, name);

	if (err)
		return err;
	/* Contract: set up before the channel is open; the open message that
	 * follows is the synchronisation, so relaxed stores suffice. */
	atomic_store_explicit(shared(&r->ctl->write_index), 0, memory_order_relaxed);
	atomic_store_explicit(shared(&r->ctl->pending_send_sz), 0, memory_order_relaxed);
	return 0;
}

int vmbus_ring_init_consumer(struct vmbus_ring *r, void *mem, uint64_t len, const char *name)
{
	int err = ring_init(r, mem, len, name);

	if (err)
		return err;
	/* Contract: as for the producer, the open handshake orders these. */
	atomic_store_explicit(shared(&r->ctl->read_index), 0, memory_order_relaxed);
	atomic_store_explicit(shared(&r->ctl->interrupt_mask), 0, memory_order_relaxed);
	return 0;
}

uint32_t vmbus_ring_max_payload(const struct vmbus_ring *r)
{
	/* One packet may fill the ring up to the 8-byte gap. */
	uint32_t max = r->size - VMBUS_PKT_ALIGN - DESC_SIZE;

	return max < VMBUS_PKT_PAYLOAD_MAX ? max : (uint32_t)VMBUS_PKT_PAYLOAD_MAX;
}

static bool index_ok(const struct vmbus_ring *r, uint32_t idx)
{
	return idx < r->size && idx % VMBUS_PKT_ALIGN == 0;
}

/* Bytes published and not yet consumed, for write index w and read index rd. */
static uint32_t ring_used(const struct vmbus_ring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : r->size - (rd - w);
}

static uint32_t ring_free(const struct vmbus_ring *r, uint32_t w, uint32_t rd)
{
	return r->size - ring_used(r, w, rd) - VMBUS_PKT_ALIGN;
}

static int ring_break_index(struct vmbus_ring *r, const char *field, uint32_t value)
{
	r->stats.bad_index++;
	r->error = -EPROTO;
	log_error(TOPIC, "%s: peer published %s 0x%x (data area 0x%x bytes, 8-byte aligned); "
		  "ring marked broken", r->name, field, value, r->size);
	return r->error;
}

static void ring_copy_in(struct vmbus_ring *r, uint32_t off, const void *src, uint32_t len)
{
	uint32_t first = r->size - off;

	if (len <= first) {
		memcpy(r->data + off, src, len);
	} else {
		memcpy(r->data + off, src, first);
		memcpy(r->data, (const uint8_t *)src + first, len - first);
	}
}

static void ring_zero(struct vmbus_ring *r, uint32_t off, uint32_t len)
{
	uint32_t first = r->size - off;

	if (len <= first) {
		memset(r->data + off, 0, len);
	} else {
		memset(r->data + off, 0, first);
		memset(r->data, 0, len - first);
	}
}

static void ring_copy_out(const struct vmbus_ring *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t first = r->size - off;

	if (len <= first) {
		memcpy(dst, r->data + off, len);
	} else {
		memcpy(dst, r->data + off, first);
		memcpy((uint8_t *)dst + first, r->data, len - first);
	}
}

static inline uint32_t ring_add(const struct vmbus_ring *r, uint32_t off, uint32_t n)
{
	/* off < size and n <= size, so one subtraction wraps. */
	return n >= r->size - off ? n - (r->size - off) : off + n;
}

int vmbus_ring_write(struct vmbus_ring *r, const struct vmbus_pkt *pkts, unsigned n,
		     bool *signal)
{
	uint32_t old_w = r->index, w = old_w, rd, room;
	unsigned i;

	*signal = false;
	if (r->error)
		return r->error;
	/*
	 * Contract: acquire pairs with the consumer's release of read_index,
	 * so the consumer has finished copying out every byte before rd and we
	 * may overwrite them.
	 */
	rd = atomic_load_explicit(shared(&r->ctl->read_index), memory_order_acquire);
	if (!index_ok(r, rd))
		return ring_break_index(r, "read_index", rd);
	room = ring_free(r, w, rd);

	for (i = 0; i < n; i++) {
		const struct vmbus_pkt *p = &pkts[i];
		uint32_t body, total;
		struct vmbus_pkt_desc d;

		if (p->len > vmbus_ring_max_payload(r) || (p->len && !p->data)) {
			if (i == 0)
				return -EMSGSIZE;
			break;	/* the caller meets it first on the next call */
		}
		body = align8(p->len);
		total = DESC_SIZE + body;
		if (total > room) {
			r->stats.full++;
			break;
		}
		d = (struct vmbus_pkt_desc){
			.type = p->type,
			.offset8 = DESC_SIZE / VMBUS_PKT_ALIGN,
			.len8 = (uint16_t)(total / VMBUS_PKT_ALIGN),
			.flags = p->flags,
			.pad = (uint8_t)(body - p->len),
			.trans_id = p->trans_id,
		};
		ring_copy_in(r, w, &d, DESC_SIZE);
		if (p->len)
			ring_copy_in(r, ring_add(r, w, DESC_SIZE), p->data, p->len);
		/* Padding is zeroed: no stale bytes of ours reach the peer. */
		if (body != p->len)
			ring_zero(r, ring_add(r, w, DESC_SIZE + p->len), body - p->len);
		w = ring_add(r, w, total);
		room -= total;
		r->stats.packets++;
		r->stats.bytes += p->len;
	}
	if (w == old_w)
		return 0;
	r->index = w;
	/*
	 * Contract: release -- every packet byte written above is visible to
	 * the consumer before the write_index that covers it.
	 */
	atomic_store_explicit(shared(&r->ctl->write_index), w, memory_order_release);
	/*
	 * Contract: full fence -- our write_index store is ordered before the
	 * loads of interrupt_mask and read_index below. Pairs with the fence in
	 * vmbus_ring_intr_unmask() (consumer: store mask 0 / read_index, fence,
	 * load write_index): either we see the consumer caught up and unmasked
	 * and signal, or the consumer sees our new write_index and stays awake.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(shared(&r->ctl->interrupt_mask), memory_order_relaxed) &&
	    atomic_load_explicit(shared(&r->ctl->read_index), memory_order_relaxed) == old_w)
		*signal = true;
	return (int)i;
}

bool vmbus_ring_want_space(struct vmbus_ring *r, uint32_t need)
{
	uint32_t rd;

	if (r->error)
		return true;	/* let the next write report it */
	atomic_store_explicit(shared(&r->ctl->pending_send_sz), need, memory_order_relaxed);
	/*
	 * Contract: full fence -- the pending_send_sz store is ordered before
	 * the read_index load. Pairs with the fence in vmbus_ring_read()
	 * (consumer: store read_index, fence, load pending_send_sz): either we
	 * see the space it freed, or it sees our request and signals us.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	rd = atomic_load_explicit(shared(&r->ctl->read_index), memory_order_acquire);
	if (!index_ok(r, rd) || ring_free(r, r->index, rd) >= need) {
		atomic_store_explicit(shared(&r->ctl->pending_send_sz), 0, memory_order_relaxed);
		return true;
	}
	return false;
}

static int ring_break_header(struct vmbus_ring *r, uint32_t at, const struct vmbus_pkt_desc *d,
			     uint32_t avail, const char *why)
{
	r->stats.bad_header++;
	r->error = -EPROTO;
	log_error(TOPIC, "%s: bad packet header at offset 0x%x (type 0x%x offset8 0x%x len8 0x%x "
		  "pad 0x%x, 0x%x bytes published): %s; ring marked broken",
		  r->name, at, d->type, d->offset8, d->len8, d->pad, avail, why);
	return r->error;
}

/* Checks a header copied out of the ring; returns why it is bad, or NULL. */
static const char *desc_check(const struct vmbus_pkt_desc *d, uint32_t avail)
{
	uint32_t body;

	if (d->offset8 < DESC_SIZE / VMBUS_PKT_ALIGN)
		return "payload offset inside the header";
	if (d->len8 < d->offset8)
		return "payload offset past the packet end";
	if ((uint32_t)d->len8 * VMBUS_PKT_ALIGN > avail)
		return "packet longer than the published data";
	body = ((uint32_t)d->len8 - d->offset8) * VMBUS_PKT_ALIGN;
	if (d->pad >= VMBUS_PKT_ALIGN || d->pad > body)
		return "padding larger than the payload";
	return NULL;
}

int vmbus_ring_read(struct vmbus_ring *r, struct vmbus_pkt_in *out, unsigned max,
		    void *buf, size_t buflen, bool *signal)
{
	uint32_t old_rd = r->index, rd = old_rd, w, avail;
	size_t used = 0;
	unsigned got = 0;
	int err = 0;

	*signal = false;
	if (r->error)
		return r->error;
	/*
	 * Contract: acquire pairs with the producer's release of write_index:
	 * every byte of every packet before w is written.
	 */
	w = atomic_load_explicit(shared(&r->ctl->write_index), memory_order_acquire);
	if (!index_ok(r, w))
		return ring_break_index(r, "write_index", w);
	avail = ring_used(r, w, rd);

	while (got < max && avail > 0) {
		struct vmbus_pkt_desc d = { 0 };
		const char *why;
		uint32_t len;

		if (avail < DESC_SIZE) {
			err = ring_break_header(r, rd, &d, avail, "fewer bytes published than a header");
			break;
		}
		/* Copy the header out once; only the private copy is checked and used. */
		ring_copy_out(r, rd, &d, DESC_SIZE);
		why = desc_check(&d, avail);
		if (why) {
			err = ring_break_header(r, rd, &d, avail, why);
			break;
		}
		len = ((uint32_t)d.len8 - d.offset8) * VMBUS_PKT_ALIGN - d.pad;
		if (len > buflen - used) {
			if (got == 0) {
				out[0].len = len;
				err = -ENOBUFS;
			}
			break;
		}
		if (len)
			ring_copy_out(r, ring_add(r, rd, (uint32_t)d.offset8 * VMBUS_PKT_ALIGN),
				      (uint8_t *)buf + used, len);
		out[got] = (struct vmbus_pkt_in){
			.type = d.type,
			.flags = d.flags,
			.trans_id = d.trans_id,
			.data = (const uint8_t *)buf + used,
			.len = len,
		};
		got++;
		used += align8(len);
		if (used > buflen)
			used = buflen;
		rd = ring_add(r, rd, (uint32_t)d.len8 * VMBUS_PKT_ALIGN);
		avail -= (uint32_t)d.len8 * VMBUS_PKT_ALIGN;
		r->stats.packets++;
		r->stats.bytes += len;
	}

	if (rd != old_rd) {
		uint32_t pending;

		r->index = rd;
		/*
		 * Contract: release -- the copies above are complete before the
		 * producer may reuse the space they came from.
		 */
		atomic_store_explicit(shared(&r->ctl->read_index), rd, memory_order_release);
		/*
		 * Contract: full fence -- the read_index store is ordered before
		 * the pending_send_sz load. Pairs with the fence in
		 * vmbus_ring_want_space(): either the producer sees the space we
		 * freed, or we see its request and signal it.
		 */
		atomic_thread_fence(memory_order_seq_cst);
		pending = atomic_load_explicit(shared(&r->ctl->pending_send_sz), memory_order_relaxed);
		if (pending) {
			/* The producer is waiting, so write_index is not moving; an
			 * out-of-range one only costs a spurious signal. */
			uint32_t w2 = atomic_load_explicit(shared(&r->ctl->write_index),
							   memory_order_relaxed);

			if (!index_ok(r, w2))
				w2 = w;
			if (ring_free(r, w2, old_rd) < pending && ring_free(r, w2, rd) >= pending)
				*signal = true;
		}
	}
	if (got)
		return (int)got;
	return err;
}

bool vmbus_ring_pending(struct vmbus_ring *r)
{
	if (r->error)
		return true;	/* the next read reports it */
	/* Contract: acquire, as in vmbus_ring_read(). */
	return atomic_load_explicit(shared(&r->ctl->write_index), memory_order_acquire) != r->index;
}

void vmbus_ring_intr_mask(struct vmbus_ring *r)
{
	/*
	 * Contract: relaxed -- masking is a hint to the producer; a signal it
	 * sends before seeing the mask is only a spurious wake-up.
	 */
	atomic_store_explicit(shared(&r->ctl->interrupt_mask), 1, memory_order_relaxed);
}

bool vmbus_ring_intr_unmask(struct vmbus_ring *r)
{
	atomic_store_explicit(shared(&r->ctl->interrupt_mask), 0, memory_order_relaxed);
	/*
	 * Contract: full fence -- our interrupt_mask = 0 (and the read_index
	 * published by the last read) are ordered before the write_index load.
	 * Pairs with the fence in vmbus_ring_write(): either the producer sees
	 * us unmasked and caught up and signals, or we see its packet here.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	return vmbus_ring_pending(r);
}
