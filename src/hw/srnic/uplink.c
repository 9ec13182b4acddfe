/*
 * srnic's uplink: the one small interface (struct srnic_uplink_ops) behind
 * which every backend sits -- the built-in peer here, later TAP, veth and a
 * pcapng tap -- and the built-in peer itself, a link partner on the wire
 * that tests and the default lab use to send frames into the NIC and read
 * the frames it sent. The peer keeps a fixed ring of frame slots (no
 * allocation per frame) or, for the benchmark, only counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hw/srnic/srnic_int.h"

int srnic_uplink_attach(struct srnic *nic, const struct srnic_uplink_ops *ops, void *ctx)
{
	if (!nic || !ops || !ops->transmit)
		return -EINVAL;
	nic->uplink = ops;
	nic->uplink_ctx = ctx;
	log_info(SRNIC_TOPIC, "uplink backend attached");
	srnic_uplink_link_changed(nic);
	return 0;
}

void srnic_uplink_detach(struct srnic *nic)
{
	if (!nic->uplink)
		return;
	nic->uplink = NULL;
	nic->uplink_ctx = NULL;
	log_info(SRNIC_TOPIC, "uplink backend detached");
	srnic_uplink_link_changed(nic);
}

void srnic_uplink_link_changed(struct srnic *nic)
{
	srnic__changed(nic);	/* a doorbell in progress re-checks the link */
	for (unsigned i = 0; i < SRNIC_NFUNCS; i++)
		if (nic->fns[i].pci && pcie_fn_state(nic->fns[i].pci) == PCIE_FN_ENABLED)
			srnic__raise(&nic->fns[i], SRNIC_INT_LINK);
}

void srnic_set_capture(struct srnic *nic, srnic_capture_fn *fn, void *ctx)
{
	nic->cap = fn;
	nic->cap_ctx = ctx;
	srnic__changed(nic);	/* a doorbell being processed re-reads whether it may burst */
}

int srnic_uplink_receive(struct srnic *nic, const void *frame, size_t len)
{
	if (len < SRNIC_FRAME_MIN || len > SRNIC_FRAME_MAX) {
		log_warn(SRNIC_TOPIC, "uplink: %zu-byte frame refused", len);
		srnic__drop(nic, NULL, SRNIC_DROP_BAD_DESC);
		return -EINVAL;
	}
	if (!srnic__uplink_up(nic)) {
		srnic__drop(nic, NULL, SRNIC_DROP_LINK_DOWN);
		return -ENETDOWN;
	}
	srnic__switch_from_uplink(nic, frame, (uint32_t)len);
	return 0;
}

/* ---- built-in peer ---- */

#define PEER_SLOT 9216u

struct srnic_peer {
	struct srnic *nic;
	bool link_up;
	bool count_only;
	unsigned depth, rd, count;
	uint64_t rx_frames, overflows;
	uint32_t *lens;
	uint8_t *slots;
};

static int peer_transmit(void *ctx, const void *frame, size_t len)
{
	struct srnic_peer *p = ctx;
	unsigned wr;

	p->rx_frames++;
	if (p->count_only)
		return 0;
	if (p->count == p->depth || len > PEER_SLOT) {
		p->overflows++;
		return 0;	/* the wire took it; the peer could not keep it */
	}
	wr = (p->rd + p->count) % p->depth;
	memcpy(p->slots + (size_t)wr * PEER_SLOT, frame, len);
	p->lens[wr] = (uint32_t)len;
	p->count++;
	return 0;
}

static bool peer_link_up(void *ctx)
{
	return ((struct srnic_peer *)ctx)->link_up;
}

static const struct srnic_uplink_ops peer_ops = {
	.transmit = peer_transmit,
	.link_up = peer_link_up,
};

struct srnic_peer *srnic_peer_create(struct srnic *nic, unsigned depth)
{
	struct srnic_peer *p;

	if (!nic || !depth) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto fail_peer;
	p->lens = calloc(depth, sizeof(*p->lens));
	if (!p->lens)
		goto fail_lens;
	p->slots = malloc((size_t)depth * PEER_SLOT);
	if (!p->slots)
		goto fail_slots;
	p->nic = nic;
	p->depth = depth;
	p->link_up = true;
	srnic_uplink_attach(nic, &peer_ops, p);
	return p;

fail_slots:
	free(p->lens);
fail_lens:
	free(p);
fail_peer:
	errno = ENOMEM;
	return NULL;
}

void srnic_peer_destroy(struct srnic_peer *p)
{
	if (!p)
		return;
	if (p->nic->uplink_ctx == p)
		srnic_uplink_detach(p->nic);
	free(p->slots);
	free(p->lens);
	free(p);
}

int srnic_peer_send(struct srnic_peer *p, const void *frame, size_t len)
{
	return srnic_uplink_receive(p->nic, frame, len);
}

ssize_t srnic_peer_recv(struct srnic_peer *p, void *buf, size_t cap)
{
	uint32_t len;

	if (!p->count)
		return -EAGAIN;
	len = p->lens[p->rd];
	if (len <= cap)
		memcpy(buf, p->slots + (size_t)p->rd * PEER_SLOT, len);
	p->rd = (p->rd + 1) % p->depth;
	p->count--;
	return len <= cap ? (ssize_t)len : -EMSGSIZE;
}

void srnic_peer_set_link(struct srnic_peer *p, bool up)
{
	if (p->link_up == up)
		return;
	p->link_up = up;
	log_info(SRNIC_TOPIC, "peer: link %s", up ? "up" : "down");
	srnic_uplink_link_changed(p->nic);
}

void srnic_peer_set_count_only(struct srnic_peer *p, bool count_only)
{
	p->count_only = count_only;
}

uint64_t srnic_peer_rx_frames(const struct srnic_peer *p)
{
	return p->rx_frames;
}

uint64_t srnic_peer_rx_overflows(const struct srnic_peer *p)
{
	return p->overflows;
}
