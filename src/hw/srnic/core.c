/*
 * The shared core of srnic: per-function registers (control, status, error
 * cause, MAC, interrupt cause/mask, statistics), queue pairs with TX/RX
 * descriptor rings in guest memory, head/tail doorbells, DMA through the
 * per-function IOMMU translation (pcie_dma_map) and MSI-X signalling. PF and
 * VF personalities (pf.c, vf.c) decode their extra registers and call in
 * here; the NIC switch (switch.c) decides where a frame goes and calls
 * srnic__rx_deliver(). Nothing a driver writes can make the process crash:
 * every bad ring, descriptor or DMA address is refused, counted and flagged
 * in SRNIC_REG_ERR_CAUSE (docs/hw/srnic.md "Errors").
 */
#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic_int.h"

static const char *const qstate_names[] = { "disabled", "enabled", "error" };

static int q_set_state(struct srnic_fn *f, struct srnic_queue *q, const char *dir, unsigned qi,
		       enum srnic_qstate to)
{
	/* Legal: disabled -> enabled, enabled -> disabled, enabled -> error,
	 * error -> disabled. An errored queue must be disabled to recover. */
	static const bool ok[3][3] = {
		[SRNIC_Q_DISABLED] = { [SRNIC_Q_ENABLED] = true },
		[SRNIC_Q_ENABLED] = { [SRNIC_Q_DISABLED] = true, [SRNIC_Q_ERROR] = true },
		[SRNIC_Q_ERROR] = { [SRNIC_Q_DISABLED] = true },
	};
	enum srnic_qstate from = q->state;

	if (from == to)
		return 0;
	if (!ok[from][to]) {
		log_warn(SRNIC_TOPIC, "fn %u %s queue %u: %s -> %s refused", f->index, dir, qi,
			 qstate_names[from], qstate_names[to]);
		return -EINVAL;
	}
	q->state = to;
	log_debug(SRNIC_TOPIC, "fn %u %s queue %u: %s -> %s", f->index, dir, qi, qstate_names[from],
		  qstate_names[to]);
	return 0;
}

void srnic__fn_reset(struct srnic_fn *f)
{
	struct srnic *nic = f->nic;
	uint16_t rid = f->pci ? pcie_fn_rid(f->pci) : 0;

	f->ctrl = 0;
	f->err_cause = 0;
	f->int_cause = 0;
	f->int_mask = 0xffffffffu;
	memset(f->stats, 0, sizeof(f->stats));
	memset(f->txq, 0, sizeof(f->txq));
	memset(f->rxq, 0, sizeof(f->rxq));
	/* Default MAC: locally administered 02:1a:b4:<bus>:<rid lo>:<index>. */
	f->mac[0] = 0x02;
	f->mac[1] = 0x1a;
	f->mac[2] = 0xb4;
	f->mac[3] = (uint8_t)(rid >> 8);
	f->mac[4] = (uint8_t)rid;
	f->mac[5] = (uint8_t)f->index;
	f->dcache.gen = 0;
	srnic__changed(nic);
}

static unsigned cause_vector(uint32_t bit)
{
	for (unsigned q = 0; q < SRNIC_MAX_QP; q++)
		if (bit & (SRNIC_INT_TX(q) | SRNIC_INT_RX(q)))
			return 1 + q;
	return 0;
}

void srnic__raise(struct srnic_fn *f, uint32_t cause)
{
	uint32_t fresh = cause & ~f->int_cause;

	f->int_cause |= cause;
	/* A VF's link and error causes also go to the event hook (the host's
	 * doorbell pages post them to the guest, vf_doorbell.c): an idle guest
	 * sleeps instead of polling its link and health. */
	if (f->index && (cause & (SRNIC_INT_LINK | SRNIC_INT_ERROR)) && f->nic->event)
		f->nic->event(f->nic->event_ctx, f->index, cause & (SRNIC_INT_LINK | SRNIC_INT_ERROR));
	fresh &= ~f->int_mask;
	/* One message per newly set unmasked cause; the cause stays set (and
	 * coalesces later events) until the driver clears it (RW1C). */
	while (fresh) {
		uint32_t bit = fresh & -fresh;

		fresh &= ~bit;
		pcie_msix_notify(f->pci, cause_vector(bit));
	}
}

void srnic__error(struct srnic_fn *f, uint32_t err)
{
	f->err_cause |= err;
	srnic__raise(f, SRNIC_INT_ERROR);
}

static void stat_add(struct srnic_fn *f, enum srnic_stat s, uint32_t v)
{
	f->stats[s] += v;
}

/* ---- RX ---- */

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* A DMA fault on an RX ring or buffer: counted, flagged, queue stopped. */
static bool rx_fault(struct srnic *nic, struct srnic_fn *f, struct srnic_queue *q, unsigned qi)
{
	stat_add(f, SRNIC_ST_DMA_ERRORS, 1);
	srnic__drop(nic, f, SRNIC_DROP_BAD_DESC);
	srnic__error(f, SRNIC_ERR_DMA);
	q_set_state(f, q, "rx", qi, SRNIC_Q_ERROR);
	return false;
}

/*
 * Hot path: state is read into locals once (the copy below is a call that
 * would otherwise force reloads), DMA checks are the inline window test
 * with pcie_dma_map() as the counting slow path.
 */
bool srnic__rx_deliver(struct srnic *nic, unsigned vport, const uint8_t *frame, uint32_t len)
{
	uint32_t cfg = nic->vport_cfg[vport];
	unsigned qi = SRNIC_VPORT_CFG_GET_QP_FIRST(cfg);
	struct srnic_fn *f = &nic->fns[SRNIC_VPORT_CFG_GET_FUNC(cfg)];
	struct srnic_queue *q = &f->rxq[qi];
	const struct pcie_dma_window *win = f->dma;
	uint8_t *base = win->base;
	uint64_t size = win->size, daddr, baddr;
	uint32_t head = q->head, mask = q->size - 1;
	struct srnic_desc *d;
	uint8_t *buf;

	if (unlikely(!srnic__fn_up(f))) {
		srnic__drop(nic, f, SRNIC_DROP_LINK_DOWN);
		return false;
	}
	if (unlikely(q->state != SRNIC_Q_ENABLED || head == q->tail)) {
		srnic__drop(nic, f, SRNIC_DROP_RING_FULL);
		return false;
	}
	daddr = q->base + 16ull * head;
	if (likely(base && size >= 16 && daddr <= size - 16))
		d = (struct srnic_desc *)(base + daddr);
	else if (!(d = pcie_dma_map(f->pci, daddr, sizeof(*d))))
		return rx_fault(nic, f, q, qi);
	baddr = d->addr;
	if (unlikely(d->len < len)) {
		/* A frame longer than the posted buffer: the descriptor is
		 * completed with an error rather than written past its end. */
		log_warn(SRNIC_TOPIC, "fn %u rx queue %u: %u-byte frame, %u-byte buffer at 0x%llx",
			 f->index, qi, len, d->len, (unsigned long long)baddr);
		d->status = SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR;
		q->head = (head + 1) & mask;
		srnic__drop(nic, f, SRNIC_DROP_BAD_DESC);
		srnic__error(f, SRNIC_ERR_BAD_DESC);
		return false;
	}
	if (likely(base && len <= size && baddr <= size - len))
		buf = base + baddr;
	else if (!(buf = pcie_dma_map(f->pci, baddr, len)))
		return rx_fault(nic, f, q, qi);
	q->head = (head + 1) & mask;
	f->stats[SRNIC_ST_RX_FRAMES]++;
	f->stats[SRNIC_ST_RX_BYTES] += len;
	if (unlikely(nic->cap))
		nic->cap(nic->cap_ctx, (int)f->index, true, frame, len);
	memmove(buf, frame, len);	/* source and target may share a domain */
	/* Contract with the driver: the frame is in the buffer before the
	 * descriptor says DONE (release ordering for a driver in another
	 * process polling status). */
	atomic_thread_fence(memory_order_release);
	d->len = (uint16_t)len;
	d->vport = (uint16_t)vport;
	d->status = SRNIC_DESC_S_DONE;
	if (unlikely(!(f->int_cause & SRNIC_INT_RX(qi))))
		srnic__raise(f, SRNIC_INT_RX(qi));
	if (nic->event)
		nic->event(nic->event_ctx, f->index, SRNIC_INT_RX(qi));
	return true;
}

/* ---- TX ---- */

/*
 * A run: consecutive hairpin frames of one doorbell to the same vPort. The
 * target RX queue's state is held here (in srnic__tx_process's frame) from
 * run_open() to run_close() and written back once. Nothing else may touch
 * that queue in between, so a run is closed before anything that can call
 * out of the device (an interrupt, an uplink backend, the general switch
 * path), since a callback may re-enter it.
 */
struct rx_run {
	struct srnic_fn *f;
	struct srnic_desc *ring;	/* whole ring checked inside the domain */
	uint8_t *base;			/* the target function's DMA window */
	uint64_t size;
	uint64_t mac;			/* destination the burst loop matches */
	uint32_t head, head0, tail, mask, bytes;
	unsigned qi;
	int v;				/* target vPort, -1: no run open */
};

/* Open a run to vPort v; false if the plain case does not apply (function
 * down, queue not enabled, ring outside the domain): then every frame goes
 * through srnic__rx_deliver(), which counts and flags it. */
static bool run_open(struct srnic *nic, struct rx_run *r, unsigned v, uint64_t mac)
{
	uint32_t cfg = nic->vport_cfg[v];
	struct srnic_fn *f = &nic->fns[SRNIC_VPORT_CFG_GET_FUNC(cfg)];
	unsigned qi = SRNIC_VPORT_CFG_GET_QP_FIRST(cfg);
	const struct srnic_queue *q = &f->rxq[qi];
	uint8_t *base = f->dma->base;
	uint64_t size = f->dma->size, rbase = q->base;

	if (!srnic__fn_up(f) || q->state != SRNIC_Q_ENABLED || !base || rbase > size ||
	    16ull * q->size > size - rbase)
		return false;
	r->f = f;
	r->ring = (struct srnic_desc *)(base + rbase);
	r->base = base;
	r->size = size;
	r->mac = mac;
	r->head = r->head0 = q->head;
	r->tail = q->tail;
	r->mask = q->size - 1;
	r->bytes = 0;
	r->qi = qi;
	r->v = (int)v;
	return true;
}

/* Write the run's queue state and statistics back, raise RX once. True if
 * it raised, i.e. called out of the device. */
static bool run_close(struct rx_run *r)
{
	struct srnic_fn *f = r->f;
	uint32_t got = (r->head - r->head0) & r->mask;

	r->v = -1;
	f->rxq[r->qi].head = r->head;
	f->stats[SRNIC_ST_RX_FRAMES] += got;
	f->stats[SRNIC_ST_RX_BYTES] += r->bytes;
	if (got && f->nic->event)
		f->nic->event(f->nic->event_ctx, f->index, SRNIC_INT_RX(r->qi));	/* records only: no re-entry */
	if (got && unlikely(!(f->int_cause & SRNIC_INT_RX(r->qi)))) {
		srnic__raise(f, SRNIC_INT_RX(r->qi));
		return true;
	}
	return false;
}

static inline bool run_end(struct rx_run *r)
{
	return r->v >= 0 && run_close(r);
}

/* Where a plain unicast frame from f to mac goes: a vPort to hairpin to,
 * or -1 for the uplink (no filter, or the sender's own vPort). */
static int dcache_fill(struct srnic_fn *f, uint64_t mac)
{
	struct srnic *nic = f->nic;
	int v = srnic__lookup(nic, (const uint8_t *)&mac, false, 0);

	f->dcache.mac = mac;
	f->dcache.gen = nic->gen;
	f->dcache.vport = v >= 0 && v != f->vport ? v : -1;
	return f->dcache.vport;
}

#define MAC_MASK	0xffffffffffffull
#define ETH_VLAN_LE16	0x0081u		/* 0x8100 as read from the wire, little-endian */

/*
 * The hot loop: up to n TX descriptors from tx into RX descriptors from rx
 * (both contiguous; the caller bounds n by both rings' room and wrap), while
 * each is a good descriptor for a plain frame to mac (a unicast MAC, so a
 * group address never matches), its buffer is inside the TX window and the
 * RX buffer is big enough and inside the RX window. Returns how many it
 * delivered and completed. It never handles an error: the first frame that
 * is anything else is left for the caller's general path, which re-reads
 * it. One copy per frame, no call but memmove. SRNIC_FRAME_MIN + span is
 * the smallest of SRNIC_FRAME_MAX and both window sizes, so with len checked
 * against it first, size - len cannot wrap. Not inlined: the loop gets all
 * the registers.
 */
static __attribute__((noinline)) unsigned
hairpin_burst(struct srnic_desc *tx, struct srnic_desc *rx, unsigned n,
			      const uint8_t *tbase, uint64_t tsize, uint8_t *rbase, uint64_t rsize,
			      uint32_t span, uint64_t mac, uint16_t vport, uint32_t *bytes)
{
	uint32_t sum = 0, sv = SRNIC_DESC_S_DONE | (uint32_t)vport << 16;
	unsigned i;

	_Static_assert(offsetof(struct srnic_desc, vport) == offsetof(struct srnic_desc, status) + 2,
		       "status and vport are adjacent");
	for (i = 0; i < n; i++) {
		uint64_t addr = tx[i].addr, raddr = rx[i].addr, key;
		uint32_t len = tx[i].len;
		uint16_t type;
		const uint8_t *buf;

		/* flags exactly EOP, len 14..14 + span, buffers inside the windows */
		if (tx[i].flags != SRNIC_DESC_F_EOP || len - SRNIC_FRAME_MIN > span ||
		    addr > tsize - len ||
		    rx[i].len < len || raddr > rsize - len)
			break;
		buf = tbase + addr;
		memcpy(&key, buf, sizeof(key));		/* len >= 14 */
		memcpy(&type, buf + 12, sizeof(type));
		if ((key & MAC_MASK) != mac || type == ETH_VLAN_LE16)
			break;
		rx[i].len = (uint16_t)len;	/* the driver reads it after DONE */
		memmove(rbase + raddr, buf, len);	/* domains may be shared */
		/* Contract with the receiving driver: the frame is in the buffer
		 * before its descriptor says DONE (release). status and vport in
		 * one store (little-endian, adjacent). A TX buffer is free only
		 * once copied. */
		atomic_thread_fence(memory_order_release);
		memcpy(&rx[i].status, &sv, sizeof(sv));
		tx[i].status = SRNIC_DESC_S_DONE;
		sum += len;
	}
	*bytes += sum;
	return i;
}

/*
 * The uplink's counterpart of hairpin_burst(): up to n contiguous TX
 * descriptors from tx, while each is a good descriptor for a plain frame to
 * mac (cached as "the uplink") with its buffer inside f's TX window, handed
 * to the backend. The caller checked the link once for the burst; a link
 * or switch change from inside transmit (srnic_uplink_link_changed() bumps
 * the generation) ends it after that frame. A frame the backend refuses is
 * a link-down drop, as in srnic__uplink_tx(). Returns how many descriptors
 * it completed; the first one that is anything else is left for the
 * caller's general path.
 */
static unsigned uplink_burst(struct srnic_fn *f, struct srnic_desc *tx, unsigned n, uint64_t mac,
			     uint64_t gen, uint32_t *bytes)
{
	struct srnic *nic = f->nic;
	const struct pcie_dma_window *win = f->dma;
	const struct srnic_uplink_ops *ops = nic->uplink;
	void *ctx = nic->uplink_ctx;
	uint32_t sum = 0, sent = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint64_t addr = tx[i].addr, size = win->size, key;
		uint32_t len = tx[i].len;
		uint16_t type;
		const uint8_t *buf;

		if (tx[i].flags != SRNIC_DESC_F_EOP ||
		    len - SRNIC_FRAME_MIN > SRNIC_FRAME_MAX - SRNIC_FRAME_MIN || !win->base || len > size ||
		    addr > size - len)
			break;
		buf = win->base + addr;
		memcpy(&key, buf, sizeof(key));		/* len >= 14 */
		memcpy(&type, buf + 12, sizeof(type));
		if ((key & MAC_MASK) != mac || type == ETH_VLAN_LE16)
			break;
		if (likely(!ops->transmit(ctx, buf, len)))
			sent++;
		else
			srnic__drop(nic, f, SRNIC_DROP_LINK_DOWN);
		tx[i].status = SRNIC_DESC_S_DONE;
		sum += len;
		if (unlikely(nic->gen != gen)) {
			i++;
			break;
		}
	}
	nic->sw_uplink_tx += sent;
	*bytes += sum;
	return i;
}

/*
 * Process TX descriptors head..tail-1 of f's queue qi (one doorbell: the
 * batch). Runs of plain unicast frames to the same vPort go through
 * hairpin_burst(); every other frame takes the general path one at a time,
 * after closing the run, so frames leave in ring order. The TX ring is
 * checked once per doorbell, each buffer with an inline window test;
 * statistics are written once per doorbell or run.
 */
unsigned srnic__tx_process(struct srnic_fn *f, unsigned qi)
{
	struct srnic_queue *q = &f->txq[qi];
	struct srnic *nic = f->nic;
	const struct pcie_dma_window *win = f->dma;
	struct srnic_desc *ring;
	struct rx_run run = { .v = -1 };
	uint32_t head = q->head, tail = q->tail, mask = q->size - 1, bytes = 0, sent = 0;
	unsigned done = 0;
	uint64_t gen = 0;	/* forces the state below to be read for the first frame */
	bool up = false, fast = false;

	q->pending = false;
	if (q->state != SRNIC_Q_ENABLED || head == tail)
		return 0;
	/* One translation for the whole ring per doorbell (the batch). */
	ring = pcie_dma_map_fast(f->pci, win, q->base, 16ull * q->size);
	if (!ring) {
		stat_add(f, SRNIC_ST_DMA_ERRORS, 1);
		srnic__error(f, SRNIC_ERR_DMA);
		q_set_state(f, q, "tx", qi, SRNIC_Q_ERROR);
		return 0;
	}
	while (head != tail) {
		struct srnic_desc *d;
		uint64_t addr, key;
		uint32_t len;
		uint16_t flags, type;
		const uint8_t *buf;
		int dst;

		if (run.v >= 0 && run.head != run.tail && win->base) {
			/* Contiguous room on both rings: up to the end of
			 * each ring, the TX tail and the RX tail. */
			uint32_t n = (tail - head) & mask, rn = (run.tail - run.head) & run.mask, k, b = 0;
			uint64_t maxlen = SRNIC_FRAME_MAX;

			if (maxlen > win->size)
				maxlen = win->size;
			if (maxlen > run.size)
				maxlen = run.size;

			if (n > mask + 1 - head)
				n = mask + 1 - head;
			if (rn > run.mask + 1 - run.head)
				rn = run.mask + 1 - run.head;
			k = 0;
			if (maxlen >= SRNIC_FRAME_MIN)
				k = hairpin_burst(&ring[head], &run.ring[run.head], n < rn ? n : rn, win->base,
						  win->size, run.base, run.size,
						  (uint32_t)maxlen - SRNIC_FRAME_MIN, run.mac,
						  (uint16_t)run.v, &b);
			if (k) {
				head = (head + k) & mask;
				run.head = (run.head + k) & run.mask;
				run.bytes += b;
				done += k;
				sent += k;
				bytes += b;
				continue;
			}
		}
		d = &ring[head];
		addr = d->addr;
		len = d->len;
		flags = d->flags;
		/* flags exactly EOP (the rest is reserved), len 14..9018 */
		if (flags != SRNIC_DESC_F_EOP || len - SRNIC_FRAME_MIN > SRNIC_FRAME_MAX - SRNIC_FRAME_MIN) {
			run_end(&run);
			log_warn(SRNIC_TOPIC, "fn %u tx queue %u: bad descriptor (flags 0x%x, len %u)",
				 f->index, qi, flags, len);
			d->status = SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR;
			srnic__drop(nic, f, SRNIC_DROP_BAD_DESC);
			srnic__error(f, SRNIC_ERR_BAD_DESC);
			head = (head + 1) & mask;
			done++;
			continue;
		}
		/* The buffer: the inline window test, then pcie_dma_map(),
		 * which counts and logs the fault. */
		buf = pcie_dma_map_fast(f->pci, win, addr, len);
		if (!buf) {
			run_end(&run);
			d->status = SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR;
			stat_add(f, SRNIC_ST_DMA_ERRORS, 1);
			srnic__drop(nic, f, SRNIC_DROP_BAD_DESC);
			srnic__error(f, SRNIC_ERR_DMA);
			q_set_state(f, q, "tx", qi, SRNIC_Q_ERROR);
			head = (head + 1) & mask;
			done++;
			break;
		}
		if (unlikely(nic->cap))
			nic->cap(nic->cap_ctx, (int)f->index, false, buf, len);
		memcpy(&key, buf, sizeof(key));		/* len >= 14 */
		memcpy(&type, buf + 12, sizeof(type));
classify:
		/* Per-doorbell state, re-read whenever a callback changed the
		 * switch or this function (srnic__changed()). Every call out of
		 * the device below is followed by a jump back here if it did. */
		if (gen != nic->gen) {
			gen = nic->gen;
			up = f->ctrl & SRNIC_CTRL_ENABLE;
			/* a capture sees every frame, so no bursts past it */
			fast = up && (nic->sw_ctrl & SRNIC_SW_CTRL_ENABLE) && f->vport >= 0 && !nic->cap;
		}
		if (fast && !(key & 1) && type != ETH_VLAN_LE16) {
			key &= MAC_MASK;
			if (key == f->dcache.mac && f->dcache.gen == gen)
				dst = f->dcache.vport;
			else
				dst = dcache_fill(f, key);
			if (dst >= 0 && (dst != run.v || key != run.mac)) {
				/* First frame of a run: open it and leave the
				 * frame to hairpin_burst(). */
				if (dst != run.v) {
					if (run_end(&run) && gen != nic->gen)
						goto classify;
					if (!run_open(nic, &run, (unsigned)dst, key)) {
						srnic__rx_deliver(nic, (unsigned)dst, buf, len);
						goto complete;
					}
				}
				run.mac = key;
				continue;
			}
			if (dst >= 0) {
				/* The run's destination, but hairpin_burst()
				 * refused it: no RX buffer, a short one or a
				 * fault. srnic__rx_deliver() counts which. */
				if (run.head == run.tail) {
					srnic__drop(nic, run.f, SRNIC_DROP_RING_FULL);
					goto complete;
				}
				if (run_close(&run) && gen != nic->gen)
					goto classify;
				srnic__rx_deliver(nic, (unsigned)dst, buf, len);
				goto complete;
			}
			/* Unknown unicast: the uplink, in a burst if the link is
			 * up (one link_up call for the burst). */
			if (run_end(&run) && gen != nic->gen)
				goto classify;
			if (srnic__uplink_up(nic) && gen == nic->gen) {
				uint32_t n = (tail - head) & mask, k, b = 0;

				if (n > mask + 1 - head)
					n = mask + 1 - head;
				k = uplink_burst(f, d, n, key, gen, &b);
				if (k) {
					head = (head + k) & mask;
					done += k;
					sent += k;
					bytes += b;
					continue;
				}
			}
			srnic__uplink_tx(nic, f, buf, len);
			goto complete;
		}
		/* Anything but plain unicast keeps its place in the order. */
		if (run_end(&run) && gen != nic->gen)
			goto classify;
		if (!up)
			srnic__drop(nic, f, SRNIC_DROP_LINK_DOWN);
		else
			srnic__switch_tx(f, buf, len);
complete:
		d->status = SRNIC_DESC_S_DONE;
		head = (head + 1) & mask;
		done++;
		sent++;
		bytes += len;
	}
	run_end(&run);
	q->head = head;
	f->stats[SRNIC_ST_TX_FRAMES] += sent;
	f->stats[SRNIC_ST_TX_BYTES] += bytes;
	if (done && !(f->int_cause & SRNIC_INT_TX(qi)))
		srnic__raise(f, SRNIC_INT_TX(qi));
	if (done && nic->event)
		nic->event(nic->event_ctx, f->index, SRNIC_INT_TX(qi));
	return done;
}

/* ---- registers ---- */

static int reg_refuse(struct srnic_fn *f, uint32_t off, const char *why, int rc)
{
	log_warn(SRNIC_TOPIC, "fn %u: register access at 0x%x refused: %s", f->index, off, why);
	f->err_cause |= SRNIC_ERR_REG;
	return rc;
}

static bool ring_ok(const struct srnic_queue *q)
{
	return q->size >= SRNIC_RING_MIN && q->size <= SRNIC_RING_MAX && !(q->size & (q->size - 1)) &&
	       !(q->base & 15);
}

static int qp_read(struct srnic_fn *f, unsigned qi, uint32_t r, uint32_t *val)
{
	struct srnic_queue *q = r >= SRNIC_QP_RX_BASE_LO ? &f->rxq[qi] : &f->txq[qi];

	switch (r >= SRNIC_QP_RX_BASE_LO ? r - 0x20 : r) {
	case SRNIC_QP_TX_BASE_LO: *val = (uint32_t)q->base; return 0;
	case SRNIC_QP_TX_BASE_HI: *val = (uint32_t)(q->base >> 32); return 0;
	case SRNIC_QP_TX_SIZE: *val = q->size; return 0;
	case SRNIC_QP_TX_CTRL: *val = q->state == SRNIC_Q_DISABLED ? 0 : SRNIC_QCTRL_ENABLE; return 0;
	case SRNIC_QP_TX_HEAD: *val = q->head; return 0;
	case SRNIC_QP_TX_TAIL: *val = q->tail; return 0;
	case SRNIC_QP_TX_STATUS: *val = q->state; return 0;
	}
	*val = 0;
	return reg_refuse(f, SRNIC_REG_QP(qi, r), "no such queue register", -EINVAL);
}

static int qp_write(struct srnic_fn *f, unsigned qi, uint32_t r, uint32_t val)
{
	bool rx = r >= SRNIC_QP_RX_BASE_LO;
	struct srnic_queue *q = rx ? &f->rxq[qi] : &f->txq[qi];
	const char *dir = rx ? "rx" : "tx";
	uint32_t off = SRNIC_REG_QP(qi, r);

	switch (rx ? r - 0x20 : r) {
	case SRNIC_QP_TX_BASE_LO:
	case SRNIC_QP_TX_BASE_HI:
	case SRNIC_QP_TX_SIZE:
		if (q->state != SRNIC_Q_DISABLED)
			return reg_refuse(f, off, "ring registers change only while the queue is disabled", -EBUSY);
		if ((rx ? r - 0x20 : r) == SRNIC_QP_TX_BASE_LO)
			q->base = (q->base & ~0xffffffffull) | val;
		else if ((rx ? r - 0x20 : r) == SRNIC_QP_TX_BASE_HI)
			q->base = (q->base & 0xffffffffull) | ((uint64_t)val << 32);
		else
			q->size = val;
		return 0;
	case SRNIC_QP_TX_CTRL:
		if (val & ~SRNIC_QCTRL_ENABLE)
			return reg_refuse(f, off, "reserved queue control bits", -EINVAL);
		if (!(val & SRNIC_QCTRL_ENABLE)) {
			q->head = q->tail = 0;
			q->pending = false;
			return q_set_state(f, q, dir, qi, SRNIC_Q_DISABLED);
		}
		if (q->state == SRNIC_Q_ERROR)
			return reg_refuse(f, off, "queue is in error; disable it first", -EINVAL);
		if (q->state == SRNIC_Q_ENABLED)
			return 0;
		if (!ring_ok(q) || !pcie_dma_map(f->pci, q->base, 16ull * q->size)) {
			srnic__error(f, SRNIC_ERR_RING);
			return reg_refuse(f, off, "ring base/size invalid or outside the DMA domain", -EINVAL);
		}
		q->head = q->tail = 0;
		return q_set_state(f, q, dir, qi, SRNIC_Q_ENABLED);
	case SRNIC_QP_TX_TAIL:
		if (q->state != SRNIC_Q_ENABLED)
			return reg_refuse(f, off, "doorbell on a queue that is not enabled", -EIO);
		if (val >= q->size) {
			/* The tail must stay inside the ring (docs: "ring wraps"). */
			srnic__error(f, SRNIC_ERR_RING);
			q_set_state(f, q, dir, qi, SRNIC_Q_ERROR);
			return reg_refuse(f, off, "tail beyond the ring size", -EINVAL);
		}
		q->tail = val;
		if (rx)
			return 0;
		if (f->nic->deferred)
			q->pending = true;
		else
			srnic__tx_process(f, qi);
		return 0;
	case SRNIC_QP_TX_HEAD:
	case SRNIC_QP_TX_STATUS:
		return reg_refuse(f, off, "read-only queue register", -EPERM);
	}
	return reg_refuse(f, off, "no such queue register", -EINVAL);
}

int srnic__fn_read(struct srnic_fn *f, uint32_t off, uint32_t *val)
{
	if (off >= SRNIC_REG_QP_BASE && off < SRNIC_REG_QP_BASE + SRNIC_QP_STRIDE * SRNIC_MAX_QP) {
		unsigned qi = (off - SRNIC_REG_QP_BASE) / SRNIC_QP_STRIDE;
		if (qi >= f->nqp) {
			*val = 0;
			return reg_refuse(f, off, "queue pair not present on this function", -EINVAL);
		}
		return qp_read(f, qi, (off - SRNIC_REG_QP_BASE) % SRNIC_QP_STRIDE, val);
	}
	if (off >= SRNIC_REG_STAT_BASE && off < SRNIC_REG_STAT_BASE + 4 * SRNIC_NUM_STATS) {
		*val = f->stats[(off - SRNIC_REG_STAT_BASE) / 4];
		return 0;
	}
	switch (off) {
	case SRNIC_REG_VERSION: *val = SRNIC_VERSION_1; return 0;
	case SRNIC_REG_CTRL: *val = f->ctrl; return 0;
	case SRNIC_REG_STATUS:
		*val = (srnic__uplink_up(f->nic) && !f->link_forced_down ? SRNIC_STATUS_LINK_UP : 0) |
		       ((f->ctrl & SRNIC_CTRL_ENABLE) ? SRNIC_STATUS_ENABLED : 0) |
		       (f->err_cause ? SRNIC_STATUS_ERROR : 0);
		return 0;
	case SRNIC_REG_ERR_CAUSE: *val = f->err_cause; return 0;
	case SRNIC_REG_MAC_LO:
		*val = f->mac[0] | f->mac[1] << 8 | f->mac[2] << 16 | (uint32_t)f->mac[3] << 24;
		return 0;
	case SRNIC_REG_MAC_HI: *val = f->mac[4] | f->mac[5] << 8; return 0;
	case SRNIC_REG_NUM_QP: *val = f->nqp; return 0;
	case SRNIC_REG_FUNC_ID: *val = f->index; return 0;
	case SRNIC_REG_INT_CAUSE: *val = f->int_cause; return 0;
	case SRNIC_REG_INT_MASK: *val = f->int_mask; return 0;
	}
	*val = 0;
	return reg_refuse(f, off, "no such register", -EINVAL);
}

int srnic__fn_write(struct srnic_fn *f, uint32_t off, uint32_t val)
{
	if (off >= SRNIC_REG_QP_BASE && off < SRNIC_REG_QP_BASE + SRNIC_QP_STRIDE * SRNIC_MAX_QP) {
		unsigned qi = (off - SRNIC_REG_QP_BASE) / SRNIC_QP_STRIDE;
		if (qi >= f->nqp)
			return reg_refuse(f, off, "queue pair not present on this function", -EINVAL);
		return qp_write(f, qi, (off - SRNIC_REG_QP_BASE) % SRNIC_QP_STRIDE, val);
	}
	switch (off) {
	case SRNIC_REG_CTRL:
		if (val & SRNIC_CTRL_RESET) {
			log_info(SRNIC_TOPIC, "fn %u: software reset", f->index);
			srnic__fn_reset(f);
			return 0;
		}
		if (val & ~SRNIC_CTRL_ENABLE)
			return reg_refuse(f, off, "reserved control bits", -EINVAL);
		f->ctrl = val;
		srnic__changed(f->nic);
		return 0;
	case SRNIC_REG_ERR_CAUSE:
		f->err_cause &= ~val;
		return 0;
	case SRNIC_REG_MAC_LO:
		for (int i = 0; i < 4; i++)
			f->mac[i] = (uint8_t)(val >> (8 * i));
		return 0;
	case SRNIC_REG_MAC_HI:
		f->mac[4] = (uint8_t)val;
		f->mac[5] = (uint8_t)(val >> 8);
		return 0;
	case SRNIC_REG_INT_CAUSE:
		f->int_cause &= ~val;
		return 0;
	case SRNIC_REG_INT_MASK: {
		uint32_t unmasked = f->int_mask & ~val;
		f->int_mask = val;
		/* Causes already set when unmasked signal now. */
		for (uint32_t b = f->int_cause & unmasked; b; b &= b - 1)
			pcie_msix_notify(f->pci, cause_vector(b & -b));
		return 0;
	}
	case SRNIC_REG_VERSION:
	case SRNIC_REG_STATUS:
	case SRNIC_REG_NUM_QP:
	case SRNIC_REG_FUNC_ID:
		return reg_refuse(f, off, "read-only register", -EPERM);
	}
	if (off >= SRNIC_REG_STAT_BASE && off < SRNIC_REG_STAT_BASE + 4 * SRNIC_NUM_STATS)
		return reg_refuse(f, off, "statistics are read-only", -EPERM);
	return reg_refuse(f, off, "no such register", -EINVAL);
}

/* ---- device entry points ---- */

/* srnic_function() for the entry points below, inline (an exported function
 * of a -fPIC library is not): every doorbell goes through it. */
static inline struct pcie_function *fn_pci(struct srnic *nic, unsigned fn)
{
	if (!nic || fn >= SRNIC_NFUNCS)
		return NULL;
	return nic->fns[fn].pci;
}

struct pcie_function *srnic_function(struct srnic *nic, unsigned fn)
{
	return fn_pci(nic, fn);
}

int srnic_mmio_read32(struct srnic *nic, unsigned fn, unsigned bar, uint32_t off, uint32_t *val)
{
	struct pcie_function *pci = fn_pci(nic, fn);

	if (!pci) {
		*val = 0xffffffffu;
		return -ENODEV;
	}
	return pcie_mmio_read32(pci, bar, off, val);
}

int srnic_mmio_write32(struct srnic *nic, unsigned fn, unsigned bar, uint32_t off, uint32_t val)
{
	struct pcie_function *pci = fn_pci(nic, fn);

	if (!pci)
		return -ENODEV;
	return pcie_mmio_write32(pci, bar, off, val);
}

int srnic_cfg_read(struct srnic *nic, unsigned fn, unsigned off, unsigned len, uint32_t *val)
{
	struct pcie_function *pci = srnic_function(nic, fn);

	if (!pci) {
		*val = 0xffffffffu;
		return -ENODEV;
	}
	return pcie_cfg_read(pci, off, len, val);
}

int srnic_cfg_write(struct srnic *nic, unsigned fn, unsigned off, unsigned len, uint32_t val)
{
	struct pcie_function *pci = srnic_function(nic, fn);

	if (!pci)
		return -ENODEV;
	return pcie_cfg_write(pci, off, len, val);
}

int srnic_set_dma_domain(struct srnic *nic, unsigned fn, void *base, uint64_t size)
{
	struct pcie_function *pci = srnic_function(nic, fn);

	if (!pci)
		return -ENODEV;
	return pcie_fn_set_dma_domain(pci, base, size);
}

int srnic_vf_reset(struct srnic *nic, unsigned vf)
{
	if (!nic || vf < 1 || vf > SRNIC_TOTAL_VFS || !nic->fns[vf].pci) {
		log_warn(SRNIC_TOPIC, "VF reset of VF %u refused: no such VF", vf);
		return -EINVAL;
	}
	log_info(SRNIC_TOPIC, "VF %u: reset by the PF", vf);
	srnic__fn_reset(&nic->fns[vf]);
	/* The VF lost its configuration: tell its driver as an error would
	 * (after the reset every cause is masked, so this goes to the hook only). */
	if (nic->event)
		nic->event(nic->event_ctx, vf, SRNIC_INT_ERROR);
	return 0;
}

void srnic_set_event_hook(struct srnic *nic, srnic_event_fn fn, void *ctx)
{
	nic->event = fn;
	nic->event_ctx = ctx;
}

int srnic_vf_set_link(struct srnic *nic, unsigned vf, bool up)
{
	struct srnic_fn *f;

	if (!nic || vf < 1 || vf > SRNIC_TOTAL_VFS || !nic->fns[vf].pci) {
		log_warn(SRNIC_TOPIC, "VF link state of VF %u refused: no such VF", vf);
		return -EINVAL;
	}
	f = &nic->fns[vf];
	if (f->link_forced_down == !up)
		return 0;
	f->link_forced_down = !up;
	log_info(SRNIC_TOPIC, "VF %u: link administratively %s by the PF", vf, up ? "up" : "down");
	srnic__changed(nic);
	if (pcie_fn_state(f->pci) == PCIE_FN_ENABLED)
		srnic__raise(f, SRNIC_INT_LINK);
	return 0;
}

bool srnic_vf_link_forced_down(const struct srnic *nic, unsigned vf)
{
	return nic && vf >= 1 && vf <= SRNIC_TOTAL_VFS && nic->fns[vf].link_forced_down;
}

void srnic_set_deferred(struct srnic *nic, bool deferred)
{
	nic->deferred = deferred;
}

unsigned srnic_poll(struct srnic *nic)
{
	unsigned done = 0;

	for (unsigned i = 0; i < SRNIC_NFUNCS; i++) {
		struct srnic_fn *f = &nic->fns[i];

		for (unsigned q = 0; q < f->nqp; q++)
			if (f->txq[q].pending)
				done += srnic__tx_process(f, q);
	}
	return done;
}

static int ops_read(void *ctx, struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t *val)
{
	struct srnic *nic = ctx;
	struct srnic_fn *f = &nic->fns[pcie_fn_index(fn)];

	if (bar != SRNIC_BAR_REGS) {
		*val = 0;
		return 0;	/* BAR2 outside the MSI-X table/PBA reads 0 */
	}
	return f->index ? srnic__vf_read(f, (uint32_t)off, val) : srnic__pf_read(f, (uint32_t)off, val);
}

static int ops_write(void *ctx, struct pcie_function *fn, unsigned bar, uint64_t off, uint32_t val)
{
	struct srnic *nic = ctx;
	struct srnic_fn *f = &nic->fns[pcie_fn_index(fn)];

	if (bar != SRNIC_BAR_REGS)
		return reg_refuse(f, (uint32_t)off, "BAR2 outside the MSI-X table", -EINVAL);
	return f->index ? srnic__vf_write(f, (uint32_t)off, val) : srnic__pf_write(f, (uint32_t)off, val);
}

static void ops_reset(void *ctx, struct pcie_function *fn)
{
	struct srnic *nic = ctx;

	srnic__fn_reset(&nic->fns[pcie_fn_index(fn)]);
	if (!pcie_fn_index(fn))
		srnic__switch_reset(nic);
}

static void ops_vfs_changed(void *ctx, struct pcie_function *pf, unsigned num)
{
	struct srnic *nic = ctx;

	(void)pf;
	for (unsigned i = 1; i < SRNIC_NFUNCS; i++)
		nic->fns[i].present = i <= num;
	srnic__changed(nic);
	log_info(SRNIC_TOPIC, "%u VFs present", num);
}

const struct pcie_function_ops srnic__ops = {
	.mmio_read32 = ops_read,
	.mmio_write32 = ops_write,
	.reset = ops_reset,
	.vfs_changed = ops_vfs_changed,
};

void srnic_default_geometry(struct srnic_geometry *g)
{
	struct pcie_sriov_config sc;

	srnic__vf_config(&sc);
	g->total_vfs = sc.total_vfs;
	g->first_vf_offset = sc.first_vf_offset;
	g->vf_stride = sc.vf_stride;
	g->vf_bar_size = sc.vf.bars[SRNIC_BAR_REGS].size;
}

struct srnic *srnic_create(struct pcie_host *host, uint8_t bus, uint8_t devfn)
{
	return srnic_create_geometry(host, bus, devfn, NULL);
}

struct srnic *srnic_create_geometry(struct pcie_host *host, uint8_t bus, uint8_t devfn,
				    const struct srnic_geometry *g)
{
	struct pcie_function_config pfc;
	struct pcie_sriov_config sc;
	struct srnic *nic;
	int rc;

	if (g && (g->total_vfs > SRNIC_TOTAL_VFS || (g->total_vfs && !g->first_vf_offset) ||
		  g->vf_bar_size < SRNIC_VF_REGS_SIZE || (g->vf_bar_size & (g->vf_bar_size - 1)) ||
		  g->vf_bar_size > (1ull << 30))) {
		log_warn(SRNIC_TOPIC, "geometry refused: TotalVFs %u (max %u), VF offset %u, VF BAR 0x%llx", g->total_vfs,
			 SRNIC_TOTAL_VFS, g->first_vf_offset, (unsigned long long)g->vf_bar_size);
		errno = EINVAL;
		return NULL;
	}
	nic = calloc(1, sizeof(*nic));
	if (!nic) {
		errno = ENOMEM;
		return NULL;
	}
	nic->host = host;
	nic->gen = 1;	/* a zeroed destination cache (gen 0) is empty */
	srnic__pf_config(&pfc);
	nic->pf = pcie_pf_create(host, bus, devfn, &pfc, &srnic__ops, nic);
	if (!nic->pf)
		goto fail_pf;
	srnic__vf_config(&sc);
	if (g) {
		sc.initial_vfs = sc.total_vfs = g->total_vfs;
		sc.first_vf_offset = g->first_vf_offset;
		sc.vf_stride = g->vf_stride;
		sc.vf.bars[SRNIC_BAR_REGS].size = g->vf_bar_size;
	}
	/* TotalVFs 0: a board without the SR-IOV capability (catalogue F12). */
	rc = sc.total_vfs ? pcie_sriov_init(nic->pf, &sc) : 0;
	if (rc) {
		errno = -rc;
		goto fail_pf;	/* the PF stays on the host, which frees it */
	}
	for (unsigned i = 0; i < SRNIC_NFUNCS; i++) {
		struct srnic_fn *f = &nic->fns[i];

		f->nic = nic;
		f->index = i;
		f->pci = i ? pcie_pf_vf(nic->pf, i) : nic->pf;
		f->nqp = i ? SRNIC_VF_NUM_QP : SRNIC_PF_NUM_QP;
		f->dma = f->pci ? pcie_fn_dma_window(f->pci) : NULL;	/* NULL: a VF past TotalVFs */
		f->present = i == 0;
		f->vport = -1;
		srnic__fn_reset(f);
	}
	srnic__switch_reset(nic);
	log_info(SRNIC_TOPIC, "srnic PF %02x:%02x.%x created (vendor 0x%x device 0x%x, %u VFs max)",
		 bus, devfn >> 3, devfn & 7, SRNIC_VENDOR_ID, SRNIC_PF_DEVICE_ID, sc.total_vfs);
	return nic;

fail_pf:
	free(nic);
	return NULL;
}

void srnic_destroy(struct srnic *nic)
{
	if (!nic)
		return;
	free(nic);
}
