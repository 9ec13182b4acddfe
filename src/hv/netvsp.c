/*
 * NetVSP, the host end of a VM network adapter's synthetic path (see
 * netvsp.h for its place in the architecture). Everything here runs on the
 * host's event loop: the VMBus channel callback drains the guest's ring,
 * checks each NVSP message against the table in nvsp_msg.c and then against
 * this adapter's state, and answers through the host-to-guest ring.
 *
 * Three rules carry the SR-IOV handshake (docs/hv/netvsc.md):
 *  - frames received before a control message are handed to the port
 *    before that message is handled, so the acknowledgement of
 *    SWITCH_DATA_PATH(VF) leaves only after every earlier synthetic frame
 *    has reached the vSwitch;
 *  - control messages never wait behind data: one that does not fit in the
 *    ring is queued and goes out before any further frame to the guest
 *    (OpenVMM reserves ring space for the same reason);
 *  - VFDataPathActive is the VF state (active or revoking), changed in one
 *    checked setter that also reports the change to the port.
 */
#include "hv/netvsp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/vmbus_priv.h"

#define NETVSP_TOPIC "lab.hv.netvsp"
#define NETVSP_BATCH 64u	/* packets per receive, frames per port call */
#define NETVSP_CTLQ 16u		/* control messages waiting for ring space */
#define NETVSP_IN_BUF (NETVSP_BATCH * ((NVSP_PKT_MAX + 7u) & ~7u))
#define NETVSP_MTU_MIN 68u
/*
 * Frames for the guest that found no free receive section or no ring space
 * wait here, in order, until the guest returns sections (its completions wake
 * netvsp_service()). Hyper-V's switch port buffers the same way instead of
 * dropping at the first full ring; a guest that stays descheduled for longer
 * than this many frames loses the excess (counted in rx_dropped).
 */
#define NETVSP_BACKLOG 1024u

/* Versions this host speaks, oldest first (append only; DPDK hn_nvs.c style). */
static const uint32_t netvsp_versions[] = { NVSP_PROTO_V1, NVSP_PROTO_V2, NVSP_PROTO_V4 };
#define NETVSP_NVERSIONS (sizeof(netvsp_versions) / sizeof(netvsp_versions[0]))

/* A control message waiting for room in the host-to-guest ring. */
struct netvsp_ctl {
	uint16_t type;		/* VMBUS_PKT_* */
	uint8_t flags;
	uint64_t tid;
	uint32_t len;
	_Alignas(8) uint8_t body[NVSP_PKT_MAX];
};

/* A buffer the guest lent: the receive buffer (we write) or the send buffer (we read). */
struct netvsp_buf {
	uint8_t *base;		/* its first byte in our mapping of guest memory */
	uint64_t gpa;
	uint32_t len;
	uint32_t count;		/* sections; 0: not lent */
	uint16_t id;
	/* receive: sections the guest holds. send: sections whose completion is owed. */
	struct nvsp_secmap map;
	struct nvsp_secmap bad;	/* send: the owed completion reports INVALID_RNDIS_PKT */
};

struct netvsp {
	char name[48];
	struct vmbus_channel *ch;	/* NULL once gone */
	bool detached;			/* netvsp__create_detached(): sends are dropped */
	struct guest_mem *mem;
	const struct netvsp_port_ops *port;
	void *port_ctx;
	uint8_t mac[6];
	uint32_t mtu, min_version, max_version;
	bool link_up;

	enum netvsp_state state;
	enum netvsp_vf_state vf_state;
	/* this session (reset when the guest opens, closes or goes) */
	uint32_t version;
	uint64_t caps;			/* NVSP_CAP_* from NDIS_CONFIG */
	uint32_t packet_filter;
	struct netvsp_buf rbuf, sbuf;
	uint32_t assoc_seq;		/* sequence of the last association sent */
	bool assoc_unacked;		/* ... and the guest has not acknowledged it */

	/* what the virtualization stack wants */
	bool vf_wanted;
	uint32_t vf_serial;

	struct netvsp_ctl ctlq[NETVSP_CTLQ];
	unsigned ctlq_head, ctlq_len;

	/* frames of the batch being handled, in the order the guest sent them */
	struct nvsp_frame tx[NETVSP_BATCH];
	unsigned ntx;
	_Alignas(8) uint8_t txbuf[NETVSP_BATCH][NVSP_SECTION_SIZE];

	/* frames waiting for the guest (NETVSP_BACKLOG above); slots allocated on first use */
	uint8_t (*bl)[NVSP_SECTION_SIZE];
	uint32_t bl_len[NETVSP_BACKLOG];
	unsigned bl_head, bl_count;

	struct netvsp_stats stats;
	struct vmbus_pkt_in in[NETVSP_BATCH];
	_Alignas(8) uint8_t inbuf[NETVSP_IN_BUF];
};

/* ---- states ------------------------------------------------------------- */

static const char *const netvsp_state_names[NETVSP_STATE_COUNT] = {
	[NETVSP_OFFERED] = "offered",
	[NETVSP_NEGOTIATING] = "negotiating",
	[NETVSP_READY] = "ready",
	[NETVSP_CLOSED] = "closed",
	[NETVSP_GONE] = "gone",
};

#define TO(s) (1u << NETVSP_##s)
static const unsigned netvsp_transitions[NETVSP_STATE_COUNT] = {
	[NETVSP_OFFERED] = TO(NEGOTIATING) | TO(GONE),
	[NETVSP_NEGOTIATING] = TO(READY) | TO(CLOSED) | TO(GONE),
	[NETVSP_READY] = TO(CLOSED) | TO(GONE),
	[NETVSP_CLOSED] = TO(NEGOTIATING) | TO(GONE),
	[NETVSP_GONE] = 0,
};
#undef TO

static const char *const netvsp_vf_state_names[NETVSP_VF_STATE_COUNT] = {
	[NETVSP_VF_NONE] = "none",
	[NETVSP_VF_ASSOCIATED] = "associated",
	[NETVSP_VF_ACTIVE] = "active",
	[NETVSP_VF_REVOKING] = "revoking",
};

#define TO(s) (1u << NETVSP_VF_##s)
static const unsigned netvsp_vf_transitions[NETVSP_VF_STATE_COUNT] = {
	[NETVSP_VF_NONE] = TO(ASSOCIATED),
	[NETVSP_VF_ASSOCIATED] = TO(ACTIVE) | TO(NONE),
	[NETVSP_VF_ACTIVE] = TO(ASSOCIATED) | TO(REVOKING) | TO(NONE),
	[NETVSP_VF_REVOKING] = TO(NONE),
};
#undef TO

static const char *const netvsp_event_names[] = {
	[NETVSP_EV_READY] = "ready",
	[NETVSP_EV_DATA_PATH_VF] = "data-path-vf",
	[NETVSP_EV_DATA_PATH_SYNTHETIC] = "data-path-synthetic",
	[NETVSP_EV_VF_ASSOC_ACKED] = "vf-association-acked",
	[NETVSP_EV_CLOSED] = "closed",
	[NETVSP_EV_GONE] = "gone",
};

const char *netvsp_state_name(enum netvsp_state s)
{
	return (unsigned)s < NETVSP_STATE_COUNT ? netvsp_state_names[s] : "?";
}

const char *netvsp_vf_state_name(enum netvsp_vf_state s)
{
	return (unsigned)s < NETVSP_VF_STATE_COUNT ? netvsp_vf_state_names[s] : "?";
}

const char *netvsp_event_name(enum netvsp_event ev)
{
	return (unsigned)ev < sizeof(netvsp_event_names) / sizeof(netvsp_event_names[0])
		? netvsp_event_names[ev] : "?";
}

static void netvsp_emit(struct netvsp *nsp, enum netvsp_event ev)
{
	log_debug(NETVSP_TOPIC, "%s: event %s", nsp->name, netvsp_event_name(ev));
	if (nsp->port->event)
		nsp->port->event(nsp->port_ctx, ev);
}

/* The one place the adapter's state changes. */
static int netvsp_set_state(struct netvsp *nsp, enum netvsp_state to)
{
	if ((unsigned)to >= NETVSP_STATE_COUNT || !(netvsp_transitions[nsp->state] & (1u << to))) {
		log_warn(NETVSP_TOPIC, "%s: illegal state change %s -> %s refused", nsp->name,
			 netvsp_state_name(nsp->state), netvsp_state_name(to));
		return -EINVAL;
	}
	log_debug(NETVSP_TOPIC, "%s: %s -> %s", nsp->name, netvsp_state_name(nsp->state),
		  netvsp_state_name(to));
	nsp->state = to;
	return 0;
}

static bool vf_state_active(enum netvsp_vf_state s)
{
	return s == NETVSP_VF_ACTIVE || s == NETVSP_VF_REVOKING;
}

/* The one place the VF state (and so VFDataPathActive) changes. */
static int netvsp_set_vf_state(struct netvsp *nsp, enum netvsp_vf_state to)
{
	bool was = vf_state_active(nsp->vf_state);

	if ((unsigned)to >= NETVSP_VF_STATE_COUNT ||
	    !(netvsp_vf_transitions[nsp->vf_state] & (1u << to))) {
		log_warn(NETVSP_TOPIC, "%s: illegal VF state change %s -> %s refused", nsp->name,
			 netvsp_vf_state_name(nsp->vf_state), netvsp_vf_state_name(to));
		return -EINVAL;
	}
	log_debug(NETVSP_TOPIC, "%s: VF %s -> %s", nsp->name, netvsp_vf_state_name(nsp->vf_state),
		  netvsp_vf_state_name(to));
	nsp->vf_state = to;
	if (was != vf_state_active(to)) {
		log_info(NETVSP_TOPIC, "%s: VFDataPathActive %s (serial 0x%x)", nsp->name,
			 was ? "false" : "true", nsp->vf_serial);
		netvsp_emit(nsp, was ? NETVSP_EV_DATA_PATH_SYNTHETIC : NETVSP_EV_DATA_PATH_VF);
	}
	return 0;
}

int netvsp__set_state(struct netvsp *nsp, enum netvsp_state to)
{
	return netvsp_set_state(nsp, to);
}

int netvsp__set_vf_state(struct netvsp *nsp, enum netvsp_vf_state to)
{
	return netvsp_set_vf_state(nsp, to);
}

static void __attribute__((format(printf, 2, 3)))
netvsp_refuse(struct netvsp *nsp, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	nsp->stats.refused++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn(NETVSP_TOPIC, "%s: refused guest message: %s", nsp->name, msg);
}

/* ---- sending ------------------------------------------------------------ */

static int netvsp_send(struct netvsp *nsp, const struct vmbus_pkt *pkts, unsigned n)
{
	if (nsp->detached)
		return (int)n;
	if (!nsp->ch)
		return -ENODEV;
	return vmbus_chan_send(nsp->ch, pkts, n);
}

/*
 * Ask the guest to signal us once need bytes are free; the signal arrives
 * as a data event, which flushes what waits. The ring call is used rather
 * than vmbus_chan_wait_space(), whose zero-timeout poll would consume a
 * kick meant for the event loop.
 */
static bool netvsp_want_space(struct netvsp *nsp, uint32_t len)
{
	/* True: the space is there after all (freed meanwhile): write again now,
	 * nobody will signal. */
	return nsp->ch && !nsp->detached &&
	       vmbus_ring_want_space(&nsp->ch->out, vmbus_chan_pkt_size(len));
}

/* Send queued control messages, oldest first. True when none is left. */
static bool netvsp_flush_ctl(struct netvsp *nsp)
{
	while (nsp->ctlq_len) {
		struct netvsp_ctl *c = &nsp->ctlq[nsp->ctlq_head];
		struct vmbus_pkt p = { .type = c->type, .flags = c->flags, .trans_id = c->tid,
				       .data = c->body, .len = c->len };
		int s = netvsp_send(nsp, &p, 1);

		if (s < 0) {
			nsp->stats.ctl_dropped += nsp->ctlq_len;
			nsp->ctlq_len = 0;
			return true;	/* the channel is gone or broken: nothing will go out */
		}
		if (s == 0) {
			if (netvsp_want_space(nsp, c->len))
				continue;
			return false;
		}
		nsp->ctlq_head = (nsp->ctlq_head + 1) % NETVSP_CTLQ;
		nsp->ctlq_len--;
	}
	return true;
}

static uint32_t body_type(const void *body)
{
	struct nvsp_msg_hdr h;

	memcpy(&h, body, sizeof(h));
	return h.type;
}

/* Send a control message now, or queue it behind the ones already waiting. */
static void netvsp_ctl(struct netvsp *nsp, uint16_t type, uint8_t flags, uint64_t tid,
		       const void *body, uint32_t len)
{
	struct netvsp_ctl *c;

	if (netvsp_flush_ctl(nsp)) {
		struct vmbus_pkt p = { .type = type, .flags = flags, .trans_id = tid,
				       .data = body, .len = len };
		int s = netvsp_send(nsp, &p, 1);

		if (s == 1)
			return;
		if (s < 0) {
			log_warn(NETVSP_TOPIC, "%s: cannot send %s: %s", nsp->name,
				 nvsp_msg_name(body_type(body)), strerror(-s));
			nsp->stats.ctl_dropped++;
			return;
		}
	}
	if (nsp->ctlq_len == NETVSP_CTLQ) {
		nsp->stats.ctl_dropped++;
		log_warn(NETVSP_TOPIC, "%s: control queue full (guest not reading); %s dropped",
			 nsp->name, nvsp_msg_name(body_type(body)));
		return;
	}
	c = &nsp->ctlq[(nsp->ctlq_head + nsp->ctlq_len++) % NETVSP_CTLQ];
	c->type = type;
	c->flags = flags;
	c->tid = tid;
	c->len = len;
	memcpy(c->body, body, len);
	if (netvsp_want_space(nsp, len))
		netvsp_flush_ctl(nsp);
}

/* Send owed completions of send-buffer sections. True when none is left. */
static bool netvsp_flush_completions(struct netvsp *nsp)
{
	struct netvsp_buf *b = &nsp->sbuf;

	while (b->map.used) {
		struct vmbus_pkt p[NETVSP_BATCH];
		uint32_t idx[NETVSP_BATCH];
		unsigned k = nvsp_sections_completions(&b->map, &b->bad, p, idx, NETVSP_BATCH);
		int s = netvsp_send(nsp, p, k);

		if (s < 0)
			return true;
		for (int i = 0; i < s; i++) {
			nvsp_secmap_clear(&b->map, idx[i]);
			nvsp_secmap_clear(&b->bad, idx[i]);
		}
		if ((unsigned)s < k &&
		    !netvsp_want_space(nsp, sizeof(struct nvsp_msg_rndis_pkt_complete)))
			return false;
	}
	return true;
}

/* Everything that waits for the guest goes first: control, then completions. */
static bool netvsp_flush_out(struct netvsp *nsp)
{
	bool ctl = netvsp_flush_ctl(nsp);

	return netvsp_flush_completions(nsp) && ctl;
}

/* ---- session ------------------------------------------------------------ */

static void netvsp_buf_release(struct netvsp_buf *b)
{
	nvsp_secmap_fini(&b->map);
	nvsp_secmap_fini(&b->bad);
	memset(b, 0, sizeof(*b));
}

/* Forget everything the guest set up: it opened, closed or went away. */
static void netvsp_reset_session(struct netvsp *nsp)
{
	if (nsp->vf_state != NETVSP_VF_NONE)
		netvsp_set_vf_state(nsp, NETVSP_VF_NONE);
	nsp->version = 0;
	nsp->caps = 0;
	nsp->packet_filter = 0;
	nsp->assoc_unacked = false;
	netvsp_buf_release(&nsp->rbuf);
	netvsp_buf_release(&nsp->sbuf);
	nsp->ctlq_head = nsp->ctlq_len = 0;
	nsp->ntx = 0;
	nsp->stats.rx_dropped += nsp->bl_count;	/* the session they were for is over */
	nsp->bl_head = nsp->bl_count = 0;
}

/* ---- SR-IOV ------------------------------------------------------------- */

static bool netvsp_vf_eligible(const struct netvsp *nsp)
{
	return nsp->state == NETVSP_READY && nsp->version >= NVSP_PROTO_V4 &&
	       (nsp->caps & NVSP_CAP_SRIOV);
}

static void netvsp_send_association(struct netvsp *nsp, bool allocated)
{
	struct nvsp_msg_vf_association m = {
		.hdr = { .type = NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION },
		.allocated = allocated,
		.serial = nsp->vf_serial,
	};

	nsp->assoc_seq++;
	nsp->assoc_unacked = true;
	log_info(NETVSP_TOPIC, "%s: VF association to guest: allocated %u serial 0x%x", nsp->name,
		 m.allocated, m.serial);
	netvsp_ctl(nsp, VMBUS_PKT_DATA_INBAND, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		   NVSP_TID(NVSP_TID_VF_ASSOCIATION, nsp->assoc_seq), &m, sizeof(m));
}

/* Tell an eligible guest about a VF it has not heard of yet. */
static void netvsp_vf_sync(struct netvsp *nsp)
{
	if (nsp->vf_wanted && nsp->vf_state == NETVSP_VF_NONE && netvsp_vf_eligible(nsp)) {
		netvsp_send_association(nsp, true);
		netvsp_set_vf_state(nsp, NETVSP_VF_ASSOCIATED);
	}
}

int netvsp_vf_offer(struct netvsp *nsp, uint32_t serial)
{
	if (nsp->vf_state == NETVSP_VF_REVOKING ||
	    (nsp->vf_state == NETVSP_VF_ACTIVE && serial != nsp->vf_serial))
		return -EBUSY;
	if (nsp->vf_wanted && serial == nsp->vf_serial)
		return 0;
	nsp->vf_wanted = true;
	nsp->vf_serial = serial;
	if (nsp->vf_state == NETVSP_VF_ASSOCIATED)
		netvsp_send_association(nsp, true);	/* a new serial replaces the old */
	netvsp_vf_sync(nsp);
	return 0;
}

int netvsp_vf_revoke(struct netvsp *nsp)
{
	nsp->vf_wanted = false;
	switch (nsp->vf_state) {
	case NETVSP_VF_ASSOCIATED:
		netvsp_send_association(nsp, false);
		netvsp_set_vf_state(nsp, NETVSP_VF_NONE);
		break;
	case NETVSP_VF_ACTIVE:
		/* The guest still sends through the VF: it switches back, then acks. */
		netvsp_send_association(nsp, false);
		netvsp_set_vf_state(nsp, NETVSP_VF_REVOKING);
		break;
	case NETVSP_VF_NONE:
	case NETVSP_VF_REVOKING:
	case NETVSP_VF_STATE_COUNT:
		break;
	}
	return 0;
}

bool netvsp_vf_data_path_active(const struct netvsp *nsp)
{
	return vf_state_active(nsp->vf_state);
}

/* ---- guest messages ----------------------------------------------------- */

static void netvsp_reply(struct netvsp *nsp, uint64_t tid, const void *body, uint32_t len)
{
	netvsp_ctl(nsp, VMBUS_PKT_COMP, 0, tid, body, len);
}

static void netvsp_on_init(struct netvsp *nsp, uint64_t tid, const struct nvsp_msg_init *m)
{
	struct nvsp_msg_init_complete r = {
		.hdr = { .type = NVSP_MSG_TYPE_INIT_COMPLETE },
		.status = NVSP_STATUS_FAILED,
	};

	if (nsp->state != NETVSP_NEGOTIATING) {
		netvsp_refuse(nsp, "INIT in state %s (version 0x%x in force)",
			      netvsp_state_name(nsp->state), nsp->version);
		r.version = nsp->version;
		netvsp_reply(nsp, tid, &r, sizeof(r));
		return;
	}
	for (size_t i = NETVSP_NVERSIONS; i-- > 0;) {
		uint32_t v = netvsp_versions[i];

		if (v >= nsp->min_version && v <= nsp->max_version && v >= m->min_version &&
		    v <= m->max_version) {
			r.version = v;
			r.status = NVSP_STATUS_SUCCESS;
			break;
		}
	}
	if (r.status != NVSP_STATUS_SUCCESS) {
		netvsp_refuse(nsp, "INIT asks for versions 0x%x..0x%x; this host speaks 0x%x..0x%x",
			      m->min_version, m->max_version, nsp->min_version, nsp->max_version);
		netvsp_reply(nsp, tid, &r, sizeof(r));
		return;
	}
	nsp->version = r.version;
	netvsp_set_state(nsp, NETVSP_READY);
	log_info(NETVSP_TOPIC, "%s: NVSP version 0x%x agreed", nsp->name, nsp->version);
	netvsp_reply(nsp, tid, &r, sizeof(r));
	netvsp_emit(nsp, NETVSP_EV_READY);
}

static bool ranges_overlap(uint64_t a, uint32_t alen, uint64_t b, uint32_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* SEND_RECV_BUF / SEND_SEND_BUF: the guest lends a buffer. */
static void netvsp_on_lend(struct netvsp *nsp, uint64_t tid, const struct nvsp_msg_send_buf *m,
			   struct netvsp_buf *b, const struct netvsp_buf *other, uint32_t reply_type)
{
	struct nvsp_msg_send_buf_complete r = {
		.hdr = { .type = reply_type },
		.status = NVSP_STATUS_FAILED,
		.section_size = NVSP_SECTION_SIZE,
	};
	const char *what = reply_type == NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE ? "receive" : "send";
	uint32_t count = m->len / NVSP_SECTION_SIZE;
	uint8_t *base;

	if (b->count) {
		netvsp_refuse(nsp, "%s buffer lent twice", what);
	} else if (m->gpa % VMBUS_PAGE_SIZE || !m->len || m->len % NVSP_SECTION_SIZE ||
		   count > NVSP_SECTIONS_MAX) {
		netvsp_refuse(nsp, "%s buffer at GPA 0x%llx + 0x%x: not page aligned or not "
			      "1..%u sections of %u bytes", what, (unsigned long long)m->gpa,
			      m->len, NVSP_SECTIONS_MAX, NVSP_SECTION_SIZE);
	} else if (!(base = gmem_ptr(nsp->mem, m->gpa, m->len))) {
		netvsp_refuse(nsp, "%s buffer at GPA 0x%llx + 0x%x outside guest memory", what,
			      (unsigned long long)m->gpa, m->len);
	} else if (ranges_overlap(m->gpa, m->len, other->gpa, other->len)) {
		netvsp_refuse(nsp, "%s buffer overlaps the other buffer", what);
	} else if (nvsp_secmap_init(&b->map, count) || nvsp_secmap_init(&b->bad, count)) {
		netvsp_buf_release(b);
		log_error(NETVSP_TOPIC, "%s: out of memory for the %s buffer", nsp->name, what);
	} else {
		b->base = base;
		b->gpa = m->gpa;
		b->len = m->len;
		b->count = count;
		b->id = m->id;
		r.status = NVSP_STATUS_SUCCESS;
		r.section_count = count;
		log_debug(NETVSP_TOPIC, "%s: %s buffer GPA 0x%llx, %u sections", nsp->name, what,
			  (unsigned long long)m->gpa, count);
	}
	netvsp_reply(nsp, tid, &r, sizeof(r));
}

static void netvsp_on_revoke_buf(struct netvsp *nsp, const struct nvsp_msg_revoke_buf *m,
				 struct netvsp_buf *b, const char *what)
{
	if (!b->count || b->id != m->id) {
		netvsp_refuse(nsp, "revoke of unknown %s buffer 0x%x", what, m->id);
		return;
	}
	netvsp_buf_release(b);
}

static void netvsp_on_ndis_config(struct netvsp *nsp, const struct nvsp_msg_ndis_config *m)
{
	if (m->mtu < NETVSP_MTU_MIN || m->mtu > nsp->mtu) {
		netvsp_refuse(nsp, "NDIS config with MTU %u (allowed %u..%u)", m->mtu,
			      NETVSP_MTU_MIN, nsp->mtu);
		return;
	}
	nsp->caps = m->capabilities;
	log_debug(NETVSP_TOPIC, "%s: guest MTU %u, capabilities 0x%llx", nsp->name, m->mtu,
		  (unsigned long long)m->capabilities);
	netvsp_vf_sync(nsp);
}

static void netvsp_on_switch(struct netvsp *nsp, uint64_t tid,
			     const struct nvsp_msg_switch_data_path *m)
{
	struct nvsp_msg_vf_ack r = {
		.hdr = { .type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH },
		.status = NVSP_STATUS_SUCCESS,
	};
	enum netvsp_vf_state to = nsp->vf_state;

	if (NVSP_TID_KIND(tid) != NVSP_TID_SWITCH_DATA_PATH) {
		netvsp_refuse(nsp, "SWITCH_DATA_PATH with transaction id 0x%llx",
			      (unsigned long long)tid);
		return;	/* it cannot be acknowledged recognisably */
	}
	if (m->active_datapath == NVSP_DATAPATH_VF) {
		if (nsp->vf_state == NETVSP_VF_ASSOCIATED)
			to = NETVSP_VF_ACTIVE;
		else if (nsp->vf_state != NETVSP_VF_ACTIVE)
			r.status = NVSP_STATUS_FAILED;
	} else if (m->active_datapath == NVSP_DATAPATH_SYNTHETIC) {
		if (nsp->vf_state == NETVSP_VF_ACTIVE)
			to = NETVSP_VF_ASSOCIATED;
		else if (nsp->vf_state == NETVSP_VF_REVOKING)
			to = NETVSP_VF_NONE;
	} else {
		netvsp_refuse(nsp, "SWITCH_DATA_PATH to unknown data path %u", m->active_datapath);
		r.status = NVSP_STATUS_FAILED;
	}
	if (r.status == NVSP_STATUS_FAILED && m->active_datapath == NVSP_DATAPATH_VF) {
		nsp->stats.switch_refused++;
		log_info(NETVSP_TOPIC, "%s: guest switch to VF refused: VF %s", nsp->name,
			 netvsp_vf_state_name(nsp->vf_state));
	}
	if (to != nsp->vf_state) {
		nsp->stats.switches++;
		netvsp_set_vf_state(nsp, to);
	}
	r.value = vf_state_active(nsp->vf_state) ? NVSP_DATAPATH_VF : NVSP_DATAPATH_SYNTHETIC;
	netvsp_reply(nsp, tid, &r, sizeof(r));
}

/* Hand the frames of this batch to the port, in order. */
static void netvsp_flush_tx(struct netvsp *nsp)
{
	int took;

	if (!nsp->ntx)
		return;
	took = nsp->port->tx_frames(nsp->port_ctx, nsp->tx, nsp->ntx);
	if (took < 0)
		took = 0;
	if ((unsigned)took > nsp->ntx)
		took = (int)nsp->ntx;
	for (int i = 0; i < took; i++)
		nsp->stats.tx_bytes += nsp->tx[i].len;
	nsp->stats.tx_frames += (unsigned)took;
	nsp->stats.tx_dropped += nsp->ntx - (unsigned)took;
	nsp->ntx = 0;
}

static void netvsp_on_rndis_request(struct netvsp *nsp, const uint8_t *msg)
{
	struct rndis_request q;
	struct {
		struct nvsp_msg_rndis_pkt pkt;
		struct rndis_complete c;
		uint8_t info[RNDIS_INFO_MAX];
	} r = {
		.pkt = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
			 .channel_type = NVSP_RNDIS_CHANNEL_CONTROL,
			 .section_index = NVSP_SECTION_INLINE },
	};
	uint32_t u32 = 0;
	const void *val = &u32;
	uint32_t vlen = 0;

	memcpy(&q, msg, sizeof(q));
	r.c.request_id = q.request_id;
	r.c.status = RNDIS_STATUS_SUCCESS;
	if (q.hdr.type == RNDIS_MSG_QUERY) {
		r.c.hdr.type = RNDIS_MSG_QUERY_CMPLT;
		vlen = sizeof(u32);
		switch (q.oid) {
		case RNDIS_OID_802_3_PERMANENT_ADDRESS:
		case RNDIS_OID_802_3_CURRENT_ADDRESS:
			val = nsp->mac;
			vlen = sizeof(nsp->mac);
			break;
		case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
			u32 = nsp->mtu;
			break;
		case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
			u32 = nsp->link_up ? RNDIS_MEDIA_STATE_CONNECTED
					   : RNDIS_MEDIA_STATE_DISCONNECTED;
			break;
		case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
			u32 = nsp->packet_filter;
			break;
		default:
			r.c.status = RNDIS_STATUS_NOT_SUPPORTED;
			vlen = 0;
			break;
		}
	} else {
		r.c.hdr.type = RNDIS_MSG_SET_CMPLT;
		if (q.oid != RNDIS_OID_GEN_CURRENT_PACKET_FILTER) {
			r.c.status = RNDIS_STATUS_NOT_SUPPORTED;
		} else if (q.info_len != sizeof(u32)) {
			r.c.status = RNDIS_STATUS_INVALID_LENGTH;
		} else {
			memcpy(&nsp->packet_filter, msg + q.info_offset, sizeof(u32));
			log_debug(NETVSP_TOPIC, "%s: packet filter 0x%x", nsp->name,
				  nsp->packet_filter);
		}
	}
	if (vlen) {
		r.c.info_len = vlen;
		r.c.info_offset = sizeof(r.c);
		memcpy(r.info, val, vlen);
	}
	r.c.hdr.len = (uint32_t)sizeof(r.c) + vlen;
	r.pkt.section_size = r.c.hdr.len;
	netvsp_ctl(nsp, VMBUS_PKT_DATA_INBAND, 0, NVSP_TID(NVSP_TID_INLINE, 0), &r,
		   (uint32_t)sizeof(r.pkt) + r.pkt.section_size);
}

static void netvsp_on_rndis_pkt(struct netvsp *nsp, const struct vmbus_pkt_in *pkt)
{
	struct nvsp_msg_rndis_pkt m;
	struct rndis_msg_hdr rh;
	const uint8_t *msg;
	const char *why;
	bool section;

	memcpy(&m, pkt->data, sizeof(m));
	section = m.section_index != NVSP_SECTION_INLINE;
	if (section) {
		struct netvsp_buf *b = &nsp->sbuf;

		if (m.section_index >= b->count) {
			netvsp_refuse(nsp, "RNDIS packet in section %u of a %u-section send buffer",
				      m.section_index, b->count);
			return;
		}
		if (pkt->trans_id != NVSP_TID(NVSP_TID_DATA, m.section_index)) {
			netvsp_refuse(nsp, "RNDIS packet in section %u with transaction id 0x%llx",
				      m.section_index, (unsigned long long)pkt->trans_id);
			return;
		}
		if (nvsp_secmap_test(&b->map, m.section_index)) {
			netvsp_refuse(nsp, "send section %u reused before its completion",
				      m.section_index);
			return;
		}
		if (nsp->ntx == NETVSP_BATCH)
			netvsp_flush_tx(nsp);
		/* Copy first: the guest may change its memory while we look. */
		memcpy(nsp->txbuf[nsp->ntx], b->base + (size_t)m.section_index * NVSP_SECTION_SIZE,
		       m.section_size);
		msg = nsp->txbuf[nsp->ntx];
		nvsp_secmap_set(&b->map, m.section_index);	/* completion owed */
	} else {
		msg = pkt->data + sizeof(m);	/* already a private copy */
	}
	if (nvsp_rndis_check(msg, m.section_size, NVSP_TO_HOST, &why)) {
		netvsp_refuse(nsp, "RNDIS message: %s", why);
		goto bad;
	}
	memcpy(&rh, msg, sizeof(rh));
	if ((rh.type == RNDIS_MSG_PACKET) != (m.channel_type == NVSP_RNDIS_CHANNEL_DATA)) {
		netvsp_refuse(nsp, "RNDIS message 0x%x on channel type %u", rh.type, m.channel_type);
		goto bad;
	}
	if (rh.type == RNDIS_MSG_PACKET) {
		struct rndis_packet p;

		memcpy(&p, msg, sizeof(p));
		if (nsp->ntx == NETVSP_BATCH)
			netvsp_flush_tx(nsp);	/* inline: msg lives in inbuf, not txbuf */
		nsp->tx[nsp->ntx++] = (struct nvsp_frame){ msg + p.data_offset, p.data_len };
		if (vf_state_active(nsp->vf_state))
			nsp->stats.tx_while_vf++;
	} else {
		netvsp_on_rndis_request(nsp, msg);
	}
	return;

bad:
	if (section)
		nvsp_secmap_set(&nsp->sbuf.bad, m.section_index);
}

static void netvsp_on_rx_complete(struct netvsp *nsp, uint64_t tid)
{
	uint32_t idx = NVSP_TID_LOW(tid);

	if (NVSP_TID_KIND(tid) != NVSP_TID_DATA || idx >= nsp->rbuf.count ||
	    !nvsp_secmap_test(&nsp->rbuf.map, idx)) {
		netvsp_refuse(nsp, "completion 0x%llx for no receive section the guest holds",
			      (unsigned long long)tid);
		return;
	}
	nvsp_secmap_clear(&nsp->rbuf.map, idx);
}

static void netvsp_on_assoc_ack(struct netvsp *nsp, uint64_t tid)
{
	if (NVSP_TID_KIND(tid) != NVSP_TID_VF_ASSOCIATION || !nsp->assoc_unacked ||
	    NVSP_TID_LOW(tid) != nsp->assoc_seq) {
		/* An ack of an older association is harmless; only the last one counts. */
		if (NVSP_TID_KIND(tid) == NVSP_TID_VF_ASSOCIATION && NVSP_TID_LOW(tid) &&
		    NVSP_TID_LOW(tid) < nsp->assoc_seq)
			return;
		netvsp_refuse(nsp, "VF association ack 0x%llx for nothing sent",
			      (unsigned long long)tid);
		return;
	}
	nsp->assoc_unacked = false;
	netvsp_emit(nsp, NETVSP_EV_VF_ASSOC_ACKED);
}

static void netvsp_handle(struct netvsp *nsp, const struct vmbus_pkt_in *pkt)
{
	union {
		struct nvsp_msg_init init;
		struct nvsp_msg_ndis_ver ndis_ver;
		struct nvsp_msg_ndis_config config;
		struct nvsp_msg_send_buf lend;
		struct nvsp_msg_revoke_buf revoke;
		struct nvsp_msg_switch_data_path sw;
	} m;
	const char *why;
	uint32_t type;

	if (nvsp_msg_check(pkt->type, pkt->data, pkt->len, NVSP_TO_HOST, nsp->version, &type,
			   &why)) {
		netvsp_refuse(nsp, "%s (packet type %u, %u bytes)", why, pkt->type, pkt->len);
		return;
	}
	if (type != NVSP_MSG_TYPE_INIT && nsp->state != NETVSP_READY) {
		netvsp_refuse(nsp, "%s before version negotiation", nvsp_msg_name(type));
		return;
	}
	if (pkt->type == VMBUS_PKT_COMP) {
		if (type == NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE)
			netvsp_on_rx_complete(nsp, pkt->trans_id);
		else
			netvsp_on_assoc_ack(nsp, pkt->trans_id);
		return;
	}
	if (type == NVSP_MSG1_TYPE_SEND_RNDIS_PKT) {
		netvsp_on_rndis_pkt(nsp, pkt);
		return;
	}
	/* Frames before a control message reach the port before it is handled. */
	netvsp_flush_tx(nsp);
	memcpy(&m, pkt->data, pkt->len);	/* exact size of its type, checked */
	switch (type) {
	case NVSP_MSG_TYPE_INIT:
		netvsp_on_init(nsp, pkt->trans_id, &m.init);
		break;
	case NVSP_MSG1_TYPE_SEND_NDIS_VER:
		if (m.ndis_ver.major != NVSP_NDIS_MAJOR)
			netvsp_refuse(nsp, "NDIS version %u.%u", m.ndis_ver.major, m.ndis_ver.minor);
		break;
	case NVSP_MSG2_TYPE_SEND_NDIS_CONFIG:
		netvsp_on_ndis_config(nsp, &m.config);
		break;
	case NVSP_MSG1_TYPE_SEND_RECV_BUF:
		netvsp_on_lend(nsp, pkt->trans_id, &m.lend, &nsp->rbuf, &nsp->sbuf,
			       NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE);
		break;
	case NVSP_MSG1_TYPE_SEND_SEND_BUF:
		netvsp_on_lend(nsp, pkt->trans_id, &m.lend, &nsp->sbuf, &nsp->rbuf,
			       NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE);
		break;
	case NVSP_MSG1_TYPE_REVOKE_RECV_BUF:
		netvsp_on_revoke_buf(nsp, &m.revoke, &nsp->rbuf, "receive");
		break;
	case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
		netvsp_on_revoke_buf(nsp, &m.revoke, &nsp->sbuf, "send");
		break;
	case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
		netvsp_on_switch(nsp, pkt->trans_id, &m.sw);
		break;
	}
}

void netvsp__dispatch(struct netvsp *nsp, const struct vmbus_pkt_in *pkts, unsigned n)
{
	for (unsigned i = 0; i < n && nsp->state != NETVSP_GONE; i++)
		netvsp_handle(nsp, &pkts[i]);
	netvsp_flush_tx(nsp);
	netvsp_flush_out(nsp);
}

/* A packet larger than our buffer: read it into a scratch block and refuse it. */
static int netvsp_skip_oversized(struct netvsp *nsp, uint32_t len)
{
	struct vmbus_pkt_in in;
	void *buf = malloc(len);
	int n;

	if (!buf)
		return -ENOMEM;
	n = vmbus_chan_recv(nsp->ch, &in, 1, buf, len);
	free(buf);
	if (n == 1)
		netvsp_refuse(nsp, "packet of %u bytes (NVSP messages are at most %zu)", len,
			      NVSP_PKT_MAX);
	return n < 0 ? n : 0;
}

static bool netvsp_backlog_flush(struct netvsp *nsp);

/* Drain the guest's ring (the channel contract: until recv returns 0). */
static void netvsp_service(struct netvsp *nsp)
{
	for (;;) {
		int n = vmbus_chan_recv(nsp->ch, nsp->in, NETVSP_BATCH, nsp->inbuf,
					sizeof(nsp->inbuf));

		if (n == -ENOBUFS) {
			if (netvsp_skip_oversized(nsp, nsp->in[0].len) == 0)
				continue;
			n = -ENOMEM;
		}
		if (n < 0)
			log_warn(NETVSP_TOPIC, "%s: receive stopped: %s", nsp->name, strerror(-n));
		if (n <= 0)
			break;
		netvsp__dispatch(nsp, nsp->in, (unsigned)n);
		if (!nsp->ch)
			return;
	}
	/* Completions returned sections: the frames that waited for them go now. */
	if (netvsp_flush_out(nsp) && nsp->bl_count && nsp->packet_filter)
		(void)netvsp_backlog_flush(nsp);
}

static void netvsp_on_chan(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	struct netvsp *nsp = arg;

	(void)ch;
	switch (ev) {
	case VMBUS_CHAN_EV_OPENED:
		netvsp_reset_session(nsp);
		netvsp_set_state(nsp, NETVSP_NEGOTIATING);
		break;
	case VMBUS_CHAN_EV_DATA:
		netvsp_service(nsp);
		break;
	case VMBUS_CHAN_EV_CLOSED:
		netvsp_reset_session(nsp);
		netvsp_set_state(nsp, NETVSP_CLOSED);
		netvsp_emit(nsp, NETVSP_EV_CLOSED);
		break;
	case VMBUS_CHAN_EV_RESCINDED:
		nsp->ch = NULL;
		netvsp_reset_session(nsp);
		netvsp_set_state(nsp, NETVSP_GONE);
		log_info(NETVSP_TOPIC, "%s: channel gone (guest partition gone)", nsp->name);
		netvsp_emit(nsp, NETVSP_EV_GONE);
		break;
	}
}

/* ---- frames to the guest ------------------------------------------------ */

/* Put frames in the guest's receive buffer and ring; how many went (the rest did not fit). */
static unsigned netvsp_rx_put(struct netvsp *nsp, const struct nvsp_frame *frames, unsigned n)
{
	struct netvsp_buf *b = &nsp->rbuf;
	unsigned done = 0;

	/* Control messages and completions go before any frame. */
	if (!netvsp_flush_out(nsp) || !nsp->packet_filter)
		goto out;
	while (done < n) {
		struct nvsp_msg_rndis_pkt msgs[NETVSP_BATCH];
		struct vmbus_pkt pkts[NETVSP_BATCH];
		unsigned k = nvsp_sections_put(&b->map, b->base, frames + done,
					       n - done < NETVSP_BATCH ? n - done : NETVSP_BATCH,
					       msgs, pkts);
		int s;

		if (!k)
			break;
		s = netvsp_send(nsp, pkts, k);
		if (s < 0)
			s = 0;
		nvsp_sections_unsent(&b->map, msgs, (unsigned)s, k);
		for (int i = 0; i < s; i++)
			nsp->stats.rx_bytes += frames[done + (unsigned)i].len;
		nsp->stats.rx_frames += (unsigned)s;
		done += (unsigned)s;
		if ((unsigned)s < k && !netvsp_want_space(nsp, sizeof(msgs[0])))
			break;
	}
out:
	return done;
}

/* Send what waits in the backlog, oldest first; true when it is empty. */
static bool netvsp_backlog_flush(struct netvsp *nsp)
{
	while (nsp->bl_count && nsp->state == NETVSP_READY && nsp->rbuf.count) {
		struct nvsp_frame f[NETVSP_BATCH];
		unsigned k = 0, went;

		/* the slots up to the end of the array, in one call */
		while (k < NETVSP_BATCH && k < nsp->bl_count && nsp->bl_head + k < NETVSP_BACKLOG) {
			f[k].data = nsp->bl[nsp->bl_head + k];
			f[k].len = nsp->bl_len[nsp->bl_head + k];
			k++;
		}
		went = netvsp_rx_put(nsp, f, k);
		nsp->bl_head = (nsp->bl_head + went) % NETVSP_BACKLOG;
		nsp->bl_count -= went;
		if (went < k)
			return false;
	}
	return nsp->bl_count == 0;
}

/* Keep frames for later; how many were kept (the rest are dropped: backlog full). */
static unsigned netvsp_backlog_add(struct netvsp *nsp, const struct nvsp_frame *frames, unsigned n)
{
	unsigned kept = 0;

	if (!nsp->bl) {
		nsp->bl = malloc(sizeof(*nsp->bl) * NETVSP_BACKLOG);
		if (!nsp->bl)
			return 0;
	}
	while (kept < n && nsp->bl_count < NETVSP_BACKLOG) {
		unsigned slot = (nsp->bl_head + nsp->bl_count) % NETVSP_BACKLOG;

		memcpy(nsp->bl[slot], frames[kept].data, frames[kept].len);
		nsp->bl_len[slot] = frames[kept].len;
		nsp->bl_count++;
		kept++;
	}
	nsp->stats.rx_backlogged += kept;
	if (nsp->bl_count > nsp->stats.rx_backlog_max)
		nsp->stats.rx_backlog_max = nsp->bl_count;
	return kept;
}

int netvsp_rx_frames(struct netvsp *nsp, const struct nvsp_frame *frames, unsigned n)
{
	unsigned done = 0;

	if (nsp->state == NETVSP_GONE)
		return -ENODEV;
	if (nsp->state != NETVSP_READY || !nsp->rbuf.count)
		return -ENOTCONN;
	for (unsigned i = 0; i < n; i++)
		if (!nvsp_frame_ok(&frames[i]))
			return -EINVAL;
	/* The guest's packet filter decides whether it wants frames at all. */
	if (!nsp->packet_filter) {
		nsp->stats.rx_dropped += n;
		return 0;
	}
	/* Control messages and completions, then older frames, go first: nothing overtakes. */
	if (netvsp_flush_out(nsp) && netvsp_backlog_flush(nsp))
		done = netvsp_rx_put(nsp, frames, n);
	if (done < n && !nsp->detached)
		done += netvsp_backlog_add(nsp, frames + done, n - done);
	nsp->stats.rx_dropped += n - done;
	return (int)done;
}

int netvsp_link_set(struct netvsp *nsp, bool up)
{
	struct {
		struct nvsp_msg_rndis_pkt pkt;
		struct rndis_indicate_status st;
	} m = {
		.pkt = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
			 .channel_type = NVSP_RNDIS_CHANNEL_CONTROL,
			 .section_index = NVSP_SECTION_INLINE,
			 .section_size = sizeof(m.st) },
		.st = { .hdr = { .type = RNDIS_MSG_INDICATE_STATUS, .len = sizeof(m.st) },
			.status = up ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT },
	};

	if (nsp->state == NETVSP_GONE)
		return -ENODEV;
	if (nsp->link_up == up)
		return 0;
	nsp->link_up = up;
	log_info(NETVSP_TOPIC, "%s: link %s", nsp->name, up ? "up" : "down");
	if (nsp->state == NETVSP_READY)
		netvsp_ctl(nsp, VMBUS_PKT_DATA_INBAND, 0, NVSP_TID(NVSP_TID_INLINE, 0), &m,
			   sizeof(m));
	return 0;
}

/* ---- life cycle and views ----------------------------------------------- */

static bool netvsp_version_known(uint32_t v)
{
	for (size_t i = 0; i < NETVSP_NVERSIONS; i++)
		if (netvsp_versions[i] == v)
			return true;
	return false;
}

static int netvsp_alloc(const struct netvsp_config *cfg, struct netvsp **out)
{
	struct netvsp *nsp;
	uint32_t lo = cfg->min_version ? cfg->min_version : netvsp_versions[0];
	uint32_t hi = cfg->max_version ? cfg->max_version : NVSP_PROTO_NEWEST;

	if (!cfg->port || !cfg->port->tx_frames || !cfg->mem || !netvsp_version_known(lo) ||
	    !netvsp_version_known(hi) || lo > hi ||
	    (cfg->mtu && (cfg->mtu < NETVSP_MTU_MIN || cfg->mtu > NVSP_MTU_DEFAULT)))
		return -EINVAL;
	nsp = calloc(1, sizeof(*nsp));
	if (!nsp)
		return -ENOMEM;
	snprintf(nsp->name, sizeof(nsp->name), "%s", cfg->name ? cfg->name : "netvsp");
	nsp->mem = cfg->mem;
	nsp->port = cfg->port;
	nsp->port_ctx = cfg->port_ctx;
	memcpy(nsp->mac, cfg->mac, sizeof(nsp->mac));
	nsp->mtu = cfg->mtu ? cfg->mtu : NVSP_MTU_DEFAULT;
	nsp->min_version = lo;
	nsp->max_version = hi;
	nsp->link_up = true;
	nsp->state = NETVSP_OFFERED;
	nsp->vf_state = NETVSP_VF_NONE;
	*out = nsp;
	return 0;
}

int netvsp_create(struct vmbus_host *vh, const struct netvsp_config *cfg, struct netvsp **out)
{
	static const struct vmbus_guid type = NVSP_CHANNEL_TYPE;
	struct netvsp *nsp;
	int err = netvsp_alloc(cfg, &nsp);

	if (err)
		return err;
	err = vmbus_host_offer(vh, &type, &cfg->instance, netvsp_on_chan, nsp, &nsp->ch);
	if (err) {
		free(nsp);
		return err;
	}
	log_info(NETVSP_TOPIC, "%s: synthetic NIC offered (MAC %02x:%02x:%02x:%02x:%02x:%02x)",
		 nsp->name, nsp->mac[0], nsp->mac[1], nsp->mac[2], nsp->mac[3], nsp->mac[4],
		 nsp->mac[5]);
	*out = nsp;
	return 0;
}

int netvsp__create_detached(const struct netvsp_config *cfg, struct netvsp **out)
{
	int err = netvsp_alloc(cfg, out);

	if (err)
		return err;
	(*out)->detached = true;
	return 0;
}

void netvsp_destroy(struct netvsp *nsp)
{
	if (!nsp)
		return;
	if (nsp->ch && !nsp->detached && nsp->state != NETVSP_GONE)
		vmbus_host_rescind(nsp->ch);
	netvsp_buf_release(&nsp->rbuf);
	netvsp_buf_release(&nsp->sbuf);
	free(nsp->bl);
	free(nsp);
}

enum netvsp_state netvsp_state(const struct netvsp *nsp)
{
	return nsp->state;
}

enum netvsp_vf_state netvsp_vf_state(const struct netvsp *nsp)
{
	return nsp->vf_state;
}

uint32_t netvsp_version(const struct netvsp *nsp)
{
	return nsp->version;
}

uint32_t netvsp_packet_filter(const struct netvsp *nsp)
{
	return nsp->packet_filter;
}

void netvsp_get_stats(const struct netvsp *nsp, struct netvsp_stats *st)
{
	*st = nsp->stats;
	st->rx_waiting = nsp->bl_count;
}

struct vmbus_channel *netvsp_channel(const struct netvsp *nsp)
{
	return nsp->ch;
}
