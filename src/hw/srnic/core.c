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
	(void)nic;
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
	return true;
}

/* ---- TX ---- */

#define TX_BURST 32u

/* Hairpin frames of one doorbell waiting to be delivered, in ring order. */
struct tx_burst {
	unsigned n;
	int16_t dst[TX_BURST];
	const uint8_t *frame[TX_BURST];
	uint32_t len[TX_BURST];
	struct srnic_desc *desc[TX_BURST];	/* TX descriptors to complete */
};

/*
 * Deliver frames [i, j) of the burst, which all go to vPort v, with the RX
 * queue's state in locals for the whole run, and complete their TX
 * descriptors (a TX buffer is free only once copied). A frame that needs
 * more than the plain case (no buffer, fault, short buffer, link down) goes
 * through srnic__rx_deliver(), which counts and flags it.
 */
static void rx_deliver_run(struct srnic *nic, unsigned v, struct tx_burst *b, unsigned i, unsigned j)
{
	uint32_t cfg = nic->vport_cfg[v];
	unsigned qi = SRNIC_VPORT_CFG_GET_QP_FIRST(cfg);
	struct srnic_fn *f = &nic->fns[SRNIC_VPORT_CFG_GET_FUNC(cfg)];
	struct srnic_queue *q = &f->rxq[qi];
	uint8_t *base = f->dma->base;
	uint64_t size = f->dma->size, rbase = q->base;
	uint32_t head = q->head, tail = q->tail, mask = q->size - 1, bytes = 0, got = 0;

	/* The whole ring inside the domain: no per-descriptor ring check. */
	if (likely(srnic__fn_up(f) && q->state == SRNIC_Q_ENABLED && base && rbase <= size &&
		   16ull * q->size <= size - rbase)) {
		struct srnic_desc *ring = (struct srnic_desc *)(base + rbase);

		for (; i < j && head != tail; i++) {
			struct srnic_desc *d = &ring[head];
			uint64_t baddr = d->addr;
			uint32_t len = b->len[i];

			if (unlikely(d->len < len || len > size || baddr > size - len))
				break;
			memmove(base + baddr, b->frame[i], len);	/* domains may be shared */
			atomic_thread_fence(memory_order_release);	/* frame before DONE */
			d->len = (uint16_t)len;
			d->vport = (uint16_t)v;
			d->status = SRNIC_DESC_S_DONE;
			b->desc[i]->status = SRNIC_DESC_S_DONE;
			head = (head + 1) & mask;
			bytes += len;
			got++;
		}
		q->head = head;
		f->stats[SRNIC_ST_RX_FRAMES] += got;
		f->stats[SRNIC_ST_RX_BYTES] += bytes;
		if (got && unlikely(!(f->int_cause & SRNIC_INT_RX(qi))))
			srnic__raise(f, SRNIC_INT_RX(qi));
	}
	for (; i < j; i++) {
		srnic__rx_deliver(nic, v, b->frame[i], b->len[i]);
		b->desc[i]->status = SRNIC_DESC_S_DONE;
	}
}

/* Deliver the pending hairpin frames in order, one run per destination. */
static void burst_flush(struct srnic *nic, struct tx_burst *b)
{
	unsigned i = 0;

	while (i < b->n) {
		unsigned j = i + 1;

		while (j < b->n && b->dst[j] == b->dst[i])
			j++;
		rx_deliver_run(nic, (unsigned)b->dst[i], b, i, j);
		i = j;
	}
	b->n = 0;
}

/* The plain unicast case: switch on, untagged, not a group address. */
static inline bool plain_unicast(const uint8_t *frame)
{
	return !(frame[0] & 1) && !(frame[12] == 0x81 && frame[13] == 0x00);
}

unsigned srnic__tx_process(struct srnic_fn *f, unsigned qi)
{
	struct srnic_queue *q = &f->txq[qi];
	struct srnic *nic = f->nic;
	struct srnic_desc *ring;
	struct tx_burst b;
	uint32_t head = q->head, tail = q->tail, mask = q->size - 1, bytes = 0, sent = 0;
	unsigned done = 0;
	/* Nothing below changes these during one doorbell (single-threaded). */
	bool up = f->ctrl & SRNIC_CTRL_ENABLE;
	bool fast = up && (nic->sw_ctrl & SRNIC_SW_CTRL_ENABLE) && f->vport >= 0;

	q->pending = false;
	if (q->state != SRNIC_Q_ENABLED || head == tail)
		return 0;
	/* One translation for the whole ring per doorbell (the batch). */
	ring = pcie_dma_map_fast(f->pci, f->dma, q->base, 16ull * q->size);
	if (!ring) {
		stat_add(f, SRNIC_ST_DMA_ERRORS, 1);
		srnic__error(f, SRNIC_ERR_DMA);
		q_set_state(f, q, "tx", qi, SRNIC_Q_ERROR);
		return 0;
	}
	b.n = 0;
	while (head != tail) {
		struct srnic_desc *d = &ring[head];
		uint32_t len = d->len;
		uint16_t flags = d->flags;
		const uint8_t *buf;
		int dst = -1;

		head = (head + 1) & mask;
		done++;
		/* flags exactly EOP (the rest is reserved), len 14..9018 */
		if (unlikely(flags != SRNIC_DESC_F_EOP ||
			     len - SRNIC_FRAME_MIN > SRNIC_FRAME_MAX - SRNIC_FRAME_MIN)) {
			log_warn(SRNIC_TOPIC, "fn %u tx queue %u: bad descriptor (flags 0x%x, len %u)",
				 f->index, qi, flags, len);
			d->status = SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR;
			srnic__drop(nic, f, SRNIC_DROP_BAD_DESC);
			srnic__error(f, SRNIC_ERR_BAD_DESC);
			continue;
		}
		buf = pcie_dma_map_fast(f->pci, f->dma, d->addr, len);
		if (unlikely(!buf)) {
			d->status = SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR;
			stat_add(f, SRNIC_ST_DMA_ERRORS, 1);
			srnic__drop(nic, f, SRNIC_DROP_BAD_DESC);
			srnic__error(f, SRNIC_ERR_DMA);
			q_set_state(f, q, "tx", qi, SRNIC_Q_ERROR);
			break;
		}
		sent++;
		bytes += len;
		if (fast && plain_unicast(buf)) {
			dst = srnic__lookup(nic, buf, false, 0);
			if (dst >= 0 && dst != f->vport) {
				b.dst[b.n] = (int16_t)dst;
				b.frame[b.n] = buf;
				b.len[b.n] = len;
				b.desc[b.n] = d;
				if (++b.n == TX_BURST)
					burst_flush(nic, &b);
				continue;
			}
		}
		/* Anything but a plain hairpin keeps its place in the order. */
		if (b.n)
			burst_flush(nic, &b);
		if (fast && plain_unicast(buf) && dst < 0)
			srnic__uplink_tx(nic, f, buf, len);	/* unknown unicast */
		else if (!up)
			srnic__drop(nic, f, SRNIC_DROP_LINK_DOWN);
		else
			srnic__switch_tx(f, buf, len);
		d->status = SRNIC_DESC_S_DONE;
	}
	burst_flush(nic, &b);
	q->head = head;
	f->stats[SRNIC_ST_TX_FRAMES] += sent;
	f->stats[SRNIC_ST_TX_BYTES] += bytes;
	if (done && !(f->int_cause & SRNIC_INT_TX(qi)))
		srnic__raise(f, SRNIC_INT_TX(qi));
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
		*val = (srnic__uplink_up(f->nic) ? SRNIC_STATUS_LINK_UP : 0) |
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

struct pcie_function *srnic_function(struct srnic *nic, unsigned fn)
{
	if (!nic || fn >= SRNIC_NFUNCS)
		return NULL;
	return nic->fns[fn].pci;
}

int srnic_mmio_read32(struct srnic *nic, unsigned fn, unsigned bar, uint32_t off, uint32_t *val)
{
	struct pcie_function *pci = srnic_function(nic, fn);

	if (!pci) {
		*val = 0xffffffffu;
		return -ENODEV;
	}
	return pcie_mmio_read32(pci, bar, off, val);
}

int srnic_mmio_write32(struct srnic *nic, unsigned fn, unsigned bar, uint32_t off, uint32_t val)
{
	struct pcie_function *pci = srnic_function(nic, fn);

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
	if (!nic || vf < 1 || vf > SRNIC_TOTAL_VFS) {
		log_warn(SRNIC_TOPIC, "VF reset of VF %u refused: no such VF", vf);
		return -EINVAL;
	}
	log_info(SRNIC_TOPIC, "VF %u: reset by the PF", vf);
	srnic__fn_reset(&nic->fns[vf]);
	return 0;
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
	log_info(SRNIC_TOPIC, "%u VFs present", num);
}

const struct pcie_function_ops srnic__ops = {
	.mmio_read32 = ops_read,
	.mmio_write32 = ops_write,
	.reset = ops_reset,
	.vfs_changed = ops_vfs_changed,
};

struct srnic *srnic_create(struct pcie_host *host, uint8_t bus, uint8_t devfn)
{
	struct pcie_function_config pfc;
	struct pcie_sriov_config sc;
	struct srnic *nic;
	int rc;

	nic = calloc(1, sizeof(*nic));
	if (!nic) {
		errno = ENOMEM;
		return NULL;
	}
	nic->host = host;
	srnic__pf_config(&pfc);
	nic->pf = pcie_pf_create(host, bus, devfn, &pfc, &srnic__ops, nic);
	if (!nic->pf)
		goto fail_pf;
	srnic__vf_config(&sc);
	rc = pcie_sriov_init(nic->pf, &sc);
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
		f->dma = pcie_fn_dma_window(f->pci);
		f->present = i == 0;
		f->vport = -1;
		srnic__fn_reset(f);
	}
	srnic__switch_reset(nic);
	log_info(SRNIC_TOPIC, "srnic PF %02x:%02x.%x created (vendor 0x%x device 0x%x, %u VFs max)",
		 bus, devfn >> 3, devfn & 7, SRNIC_VENDOR_ID, SRNIC_PF_DEVICE_ID, SRNIC_TOTAL_VFS);
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
