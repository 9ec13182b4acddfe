/*
 * The NetVsc protocol engine (see netvsc_proto.h for its place in the
 * architecture). Runs in the VM process on one thread: blocking calls
 * (create, the two switches) send a request and then handle everything the
 * host sends until the answer is there or the deadline passes, so frames,
 * completions and association messages keep flowing meanwhile.
 *
 * The data path is one state (enum netvsc_dp_state) changed only by
 * nc_set_state(), which checks the transition table and traces old -> new.
 * The send path asks it which way to go. Why a switch loses, duplicates and
 * reorders nothing (docs/hv/netvsc.md, "ordering"):
 *  - to the VF: SWITCH_DATA_PATH(VF) enters the one guest-to-host ring
 *    behind every synthetic frame already sent; NetVSP hands those frames
 *    to its port before it acknowledges; sends are held from the moment the
 *    request is made until the acknowledgement, so the first VF frame
 *    leaves after the last synthetic frame arrived (Linux does the same
 *    since its 2021 fix; DPDK does not wait);
 *  - back to synthetic: sends are held, the VF is flushed (every frame it
 *    took has left it), then SWITCH_DATA_PATH(SYNTHETIC) goes into the
 *    ring, and synthetic frames only follow it;
 *  - receive: frames on the synthetic path are always taken, in every
 *    state, so nothing in flight during a switch is dropped.
 */
#include "hv/netvsc_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/trace.h"

#define NETVSC_TOPIC "lab.hv.netvsc"
#define NC_BATCH 64u
#define NC_IN_BUF (NC_BATCH * ((NVSP_PKT_MAX + 7u) & ~7u))
#define NC_TIMEOUT_DEFAULT 5000
#define NC_RECV_BUF_ID 1u
#define NC_SEND_BUF_ID 2u
#define NC_PACKET_FILTER                                                                   \
	(RNDIS_PACKET_TYPE_DIRECTED | RNDIS_PACKET_TYPE_MULTICAST | RNDIS_PACKET_TYPE_BROADCAST)

/* Versions this guest speaks, oldest first (append only); tried newest first. */
static const uint32_t nc_versions[] = { NVSP_PROTO_V1, NVSP_PROTO_V2, NVSP_PROTO_V4 };
#define NC_NVERSIONS (sizeof(nc_versions) / sizeof(nc_versions[0]))

struct netvsc_proto {
	char name[48];
	struct vmbus_channel *ch;	/* NULL when detached */
	bool detached;
	struct netvsc_proto_config cfg;
	const struct netvsc_proto_ops *ops;
	const struct netvsc_vf_ops *vf;
	void *vf_ctx;

	enum netvsc_dp_state state;
	bool open;			/* the channel is open (close it on destroy) */
	uint32_t version;
	uint8_t mac[6];
	uint32_t max_frame;
	bool link_up;

	/* receive buffer: the host writes; a set bit = the host gave us the section */
	uint8_t *rbuf;
	struct nvsp_secmap rbuf_owed;
	/* send buffer: we write; a set bit = the host has not completed the section */
	uint8_t *sbuf;
	struct nvsp_secmap sbuf_busy;

	/* the one control request in flight (INIT, SEND_*_BUF) */
	uint32_t ctl_seq;
	bool ctl_replied;
	union {
		struct nvsp_msg_init_complete init;
		struct nvsp_msg_send_buf_complete buf;
	} ctl_reply;
	/* the one RNDIS request in flight */
	uint32_t rndis_id;
	bool rndis_replied;
	_Alignas(8) uint8_t rndis_reply[NVSP_INLINE_MAX];

	/* VF association: what the host said, and what we still owe it */
	bool vf_allocated;
	uint32_t vf_serial;
	bool assoc_pending;		/* received, not yet settled */
	bool assoc_ack_owed;		/* settled, acknowledgement not yet sent */
	uint64_t assoc_tid;
	uint32_t assoc_value;

	/* switch in flight */
	uint32_t switch_seq;
	int switch_status;		/* result of the last acknowledgement */
	int64_t switch_deadline;	/* ms, CLOCK_MONOTONIC */

	/* frames of the batch being handled */
	struct nvsp_frame rx[NC_BATCH];
	unsigned nrx;

	struct netvsc_proto_stats stats;
	struct vmbus_pkt_in in[NC_BATCH];
	_Alignas(8) uint8_t inbuf[NC_IN_BUF];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
	int64_t left = deadline - now_ms();

	return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* ---- state -------------------------------------------------------------- */

static const char *const nc_state_names[NETVSC_DP_STATE_COUNT] = {
	[NETVSC_DP_SYNTHETIC] = "synthetic",
	[NETVSC_DP_SWITCHING_TO_VF] = "switching-to-vf",
	[NETVSC_DP_VF] = "vf",
	[NETVSC_DP_SWITCHING_TO_SYNTHETIC] = "switching-to-synthetic",
	[NETVSC_DP_ERROR] = "error",
	[NETVSC_DP_RESCINDED] = "rescinded",
};

#define TO(s) (1u << NETVSC_DP_##s)
static const unsigned nc_transitions[NETVSC_DP_STATE_COUNT] = {
	[NETVSC_DP_SYNTHETIC] = TO(SWITCHING_TO_VF) | TO(RESCINDED),
	[NETVSC_DP_SWITCHING_TO_VF] = TO(VF) | TO(SYNTHETIC) | TO(ERROR) | TO(RESCINDED),
	[NETVSC_DP_VF] = TO(SWITCHING_TO_SYNTHETIC) | TO(RESCINDED),
	[NETVSC_DP_SWITCHING_TO_SYNTHETIC] = TO(SYNTHETIC) | TO(ERROR) | TO(RESCINDED),
	[NETVSC_DP_ERROR] = TO(SWITCHING_TO_SYNTHETIC) | TO(RESCINDED),
	[NETVSC_DP_RESCINDED] = 0,
};
#undef TO

const char *netvsc_dp_state_name(enum netvsc_dp_state s)
{
	return (unsigned)s < NETVSC_DP_STATE_COUNT ? nc_state_names[s] : "?";
}

static int nc_set_state(struct netvsc_proto *nc, enum netvsc_dp_state to)
{
	if ((unsigned)to >= NETVSC_DP_STATE_COUNT || !(nc_transitions[nc->state] & (1u << to))) {
		log_warn(NETVSC_TOPIC, "%s: illegal data path change %s -> %s refused", nc->name,
			 netvsc_dp_state_name(nc->state), netvsc_dp_state_name(to));
		return -EINVAL;
	}
	log_debug(NETVSC_TOPIC, "%s: data path %s -> %s", nc->name,
		  netvsc_dp_state_name(nc->state), netvsc_dp_state_name(to));
	nc->state = to;
	return 0;
}

int netvsc_proto__set_state(struct netvsc_proto *nc, enum netvsc_dp_state to)
{
	return nc_set_state(nc, to);
}

static bool nc_switching(const struct netvsc_proto *nc)
{
	return nc->state == NETVSC_DP_SWITCHING_TO_VF ||
	       nc->state == NETVSC_DP_SWITCHING_TO_SYNTHETIC;
}

static void nc_gone(struct netvsc_proto *nc)
{
	if (nc->state != NETVSC_DP_RESCINDED) {
		log_info(NETVSC_TOPIC, "%s: synthetic NIC channel rescinded (was %s)", nc->name,
			 netvsc_dp_state_name(nc->state));
		nc_set_state(nc, NETVSC_DP_RESCINDED);
	}
}

/* A channel error from vmbus_chan_*: the host or channel is gone for good? */
static int nc_chan_error(struct netvsc_proto *nc, int err)
{
	if (err == -ENODEV || err == -ECONNRESET)
		nc_gone(nc);
	return err;
}

static void __attribute__((format(printf, 2, 3)))
nc_refuse(struct netvsc_proto *nc, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	nc->stats.refused++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn(NETVSC_TOPIC, "%s: refused host message: %s", nc->name, msg);
}

/* ---- sending ------------------------------------------------------------ */

static int nc_send(struct netvsc_proto *nc, const struct vmbus_pkt *pkts, unsigned n)
{
	if (nc->detached)
		return (int)n;
	if (nc->state == NETVSC_DP_RESCINDED)
		return -ENODEV;
	return nc_chan_error(nc, vmbus_chan_send(nc->ch, pkts, n));
}

/* Send one control message, waiting for ring space until deadline. */
static int nc_send_ctl(struct netvsc_proto *nc, uint16_t type, uint8_t flags, uint64_t tid,
		       const void *body, uint32_t len, int64_t deadline)
{
	struct vmbus_pkt p = { .type = type, .flags = flags, .trans_id = tid, .data = body,
			       .len = len };

	for (;;) {
		int s = nc_send(nc, &p, 1), w;

		if (s == 1)
			return 0;
		if (s < 0)
			return s;
		if (!ms_left(deadline))
			return -ETIMEDOUT;
		w = vmbus_chan_wait_space(nc->ch, vmbus_chan_pkt_size(len), ms_left(deadline));
		if (w < 0)
			return nc_chan_error(nc, w);
	}
}

/* True if len bytes of packet fit now; else the host signals us when they do. */
static bool nc_want_space(struct netvsc_proto *nc, uint32_t len)
{
	if (nc->detached || nc->state == NETVSC_DP_RESCINDED)
		return false;
	return vmbus_chan_wait_space(nc->ch, vmbus_chan_pkt_size(len), 0) == 1;
}

/* Send owed completions of receive sections and an owed association ack. */
static void nc_flush_owed(struct netvsc_proto *nc)
{
	while (nc->rbuf_owed.used && nc->state != NETVSC_DP_RESCINDED) {
		struct vmbus_pkt p[NC_BATCH];
		uint32_t idx[NC_BATCH];
		unsigned k = nvsp_sections_completions(&nc->rbuf_owed, NULL, p, idx, NC_BATCH);
		int s = nc_send(nc, p, k);

		if (s < 0)
			break;
		for (int i = 0; i < s; i++)
			nvsp_secmap_clear(&nc->rbuf_owed, idx[i]);
		/* Ring full: ask the host to signal once there is room (the next
		 * poll then flushes), unless there is room already. */
		if ((unsigned)s < k &&
		    !nc_want_space(nc, sizeof(struct nvsp_msg_rndis_pkt_complete)))
			break;
	}
	if (nc->assoc_ack_owed) {
		struct nvsp_msg_vf_ack a = {
			.hdr = { .type = NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION },
			.status = NVSP_STATUS_SUCCESS,
			.value = nc->assoc_value,
		};
		struct vmbus_pkt p = { .type = VMBUS_PKT_COMP, .trans_id = nc->assoc_tid,
				       .data = &a, .len = sizeof(a) };

		if (nc_send(nc, &p, 1) == 1)
			nc->assoc_ack_owed = false;
		else
			nc_want_space(nc, sizeof(a));
	}
}

/* ---- data path switching ------------------------------------------------ */

/*
 * Start a switch: hold sends (state), flush the VF when leaving it, put
 * SWITCH_DATA_PATH into the ring. The acknowledgement finishes it
 * (nc_on_switch_ack). 0 or -errno (the state says where we ended up).
 */
static int nc_begin_switch(struct netvsc_proto *nc, uint32_t datapath, int64_t deadline)
{
	struct nvsp_msg_switch_data_path m = {
		.hdr = { .type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH },
		.active_datapath = datapath,
	};
	bool to_vf = datapath == NVSP_DATAPATH_VF;
	bool leaving_vf = nc->state == NETVSC_DP_VF;
	int err;

	if (to_vf && !nc->vf)
		return -ENXIO;	/* nothing to send through once there */
	err = nc_set_state(nc, to_vf ? NETVSC_DP_SWITCHING_TO_VF
				     : NETVSC_DP_SWITCHING_TO_SYNTHETIC);
	if (err)
		return -EBUSY;
	if (leaving_vf && nc->vf) {
		err = nc->vf->tx_flush(nc->vf_ctx, ms_left(deadline));
		if (err)
			log_warn(NETVSC_TOPIC, "%s: VF flush before the switch to synthetic failed "
				 "(%s); frames still in the VF may be lost with it", nc->name,
				 strerror(-err));
	}
	nc->switch_deadline = deadline;
	nc->switch_status = -EINPROGRESS;
	err = nc_send_ctl(nc, VMBUS_PKT_DATA_INBAND, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			  NVSP_TID(NVSP_TID_SWITCH_DATA_PATH, ++nc->switch_seq), &m, sizeof(m),
			  deadline);
	if (err && nc->state != NETVSC_DP_RESCINDED) {
		log_warn(NETVSC_TOPIC, "%s: SWITCH_DATA_PATH(%s) not sent: %s", nc->name,
			 to_vf ? "VF" : "synthetic", strerror(-err));
		/* Never left: the host still has us on synthetic. Leaving the VF, we
		 * stopped using it but the host does not know: error. */
		nc_set_state(nc, to_vf ? NETVSC_DP_SYNTHETIC : NETVSC_DP_ERROR);
		nc->switch_status = err;
	}
	return err;
}

int netvsc_proto__begin_switch(struct netvsc_proto *nc, uint32_t datapath)
{
	return nc_begin_switch(nc, datapath, now_ms() + nc->cfg.timeout_ms);
}

/*
 * After any change of data path or association: leave a withdrawn VF, and
 * acknowledge a settled association (a withdrawal only once off the VF,
 * spec 2.17).
 */
static void nc_settle(struct netvsc_proto *nc)
{
	if (!nc->vf_allocated && nc->state == NETVSC_DP_VF) {
		log_info(NETVSC_TOPIC, "%s: VF withdrawn by the host; switching back to synthetic",
			 nc->name);
		trace_instant("failover", "VF withdrawn", "nic=%s serial=%u", nc->name, nc->vf_serial);
		nc_begin_switch(nc, NVSP_DATAPATH_SYNTHETIC, now_ms() + nc->cfg.timeout_ms);
	}
	if (nc->assoc_pending &&
	    (nc->vf_allocated || (nc->state != NETVSC_DP_VF && !nc_switching(nc)))) {
		nc->assoc_pending = false;
		nc->assoc_ack_owed = true;
		log_info(NETVSC_TOPIC, "%s: VF association: allocated %u serial 0x%x", nc->name,
			 nc->vf_allocated, nc->vf_serial);
		if (nc->ops->vf_association)
			nc->ops->vf_association(nc->cfg.ctx, nc->vf_allocated, nc->vf_serial);
		nc_flush_owed(nc);
	}
}

static void nc_check_deadline(struct netvsc_proto *nc)
{
	if (nc_switching(nc) && now_ms() >= nc->switch_deadline) {
		log_warn(NETVSC_TOPIC, "%s: no acknowledgement of SWITCH_DATA_PATH(%s) in time; "
			 "data path unknown to the host", nc->name,
			 nc->state == NETVSC_DP_SWITCHING_TO_VF ? "VF" : "synthetic");
		nc->switch_status = -ETIMEDOUT;
		nc_set_state(nc, NETVSC_DP_ERROR);
		nc_settle(nc);
	}
}

/* ---- host messages ------------------------------------------------------ */

/*
 * Hand the frames of this batch up. Their sections are already marked owed;
 * the completions go out after this (nc_flush_owed), never before.
 */
static void nc_deliver_rx(struct netvsc_proto *nc)
{
	if (!nc->nrx)
		return;
	nc->ops->rx_frames(nc->cfg.ctx, nc->rx, nc->nrx);
	for (unsigned i = 0; i < nc->nrx; i++)
		nc->stats.rx_bytes += nc->rx[i].len;
	nc->stats.rx_frames += nc->nrx;
	nc->nrx = 0;
}

static void nc_add_rx(struct netvsc_proto *nc, const uint8_t *data, uint32_t len)
{
	if (nc->nrx == NC_BATCH)
		nc_deliver_rx(nc);
	nc->rx[nc->nrx++] = (struct nvsp_frame){ data, len };
}

static void nc_on_rndis_control(struct netvsc_proto *nc, const uint8_t *msg, uint32_t len)
{
	struct rndis_msg_hdr h;

	memcpy(&h, msg, sizeof(h));
	if (h.type == RNDIS_MSG_INDICATE_STATUS) {
		struct rndis_indicate_status st;

		memcpy(&st, msg, sizeof(st));
		if (st.status != RNDIS_STATUS_MEDIA_CONNECT &&
		    st.status != RNDIS_STATUS_MEDIA_DISCONNECT) {
			log_debug(NETVSC_TOPIC, "%s: status 0x%x ignored", nc->name, st.status);
			return;
		}
		nc->link_up = st.status == RNDIS_STATUS_MEDIA_CONNECT;
		log_info(NETVSC_TOPIC, "%s: link %s", nc->name, nc->link_up ? "up" : "down");
		if (nc->ops->link)
			nc->ops->link(nc->cfg.ctx, nc->link_up);
		return;
	}
	/* QUERY_CMPLT / SET_CMPLT */
	{
		struct rndis_complete c;

		memcpy(&c, msg, sizeof(c));
		if (nc->rndis_replied || c.request_id != nc->rndis_id) {
			nc_refuse(nc, "RNDIS completion for request %u (waiting for %u)",
				  c.request_id, nc->rndis_replied ? 0 : nc->rndis_id);
			return;
		}
		memcpy(nc->rndis_reply, msg, len);
		nc->rndis_replied = true;
	}
}

static void nc_on_rndis_pkt(struct netvsc_proto *nc, const struct vmbus_pkt_in *pkt)
{
	struct nvsp_msg_rndis_pkt m;
	struct rndis_packet p;
	struct rndis_msg_hdr h;
	const uint8_t *sec;
	const char *why;

	memcpy(&m, pkt->data, sizeof(m));
	if (m.section_index == NVSP_SECTION_INLINE) {
		const uint8_t *msg = pkt->data + sizeof(m);	/* a private copy */

		if (nvsp_rndis_check(msg, m.section_size, NVSP_TO_GUEST, &why)) {
			nc_refuse(nc, "inline RNDIS message: %s", why);
			return;
		}
		memcpy(&h, msg, sizeof(h));
		if ((h.type == RNDIS_MSG_PACKET) != (m.channel_type == NVSP_RNDIS_CHANNEL_DATA)) {
			nc_refuse(nc, "RNDIS message 0x%x on channel type %u", h.type,
				  m.channel_type);
			return;
		}
		if (h.type == RNDIS_MSG_PACKET) {
			memcpy(&p, msg, sizeof(p));
			nc_add_rx(nc, msg + p.data_offset, p.data_len);
		} else {
			nc_deliver_rx(nc);	/* status after the frames before it */
			nc_on_rndis_control(nc, msg, m.section_size);
		}
		return;
	}
	/* Receive sections carry data only; control messages come inline. */
	if (m.section_index >= nc->rbuf_owed.count || m.channel_type != NVSP_RNDIS_CHANNEL_DATA ||
	    pkt->trans_id != NVSP_TID(NVSP_TID_DATA, m.section_index)) {
		nc_refuse(nc, "RNDIS packet in receive section %u (of %u), channel %u, id 0x%llx",
			  m.section_index, nc->rbuf_owed.count, m.channel_type,
			  (unsigned long long)pkt->trans_id);
		return;
	}
	if (nvsp_secmap_test(&nc->rbuf_owed, m.section_index)) {
		nc_refuse(nc, "receive section %u reused before we completed it", m.section_index);
		return;
	}
	nvsp_secmap_set(&nc->rbuf_owed, m.section_index);	/* goes back whatever follows */
	sec = nc->rbuf + (size_t)m.section_index * NVSP_SECTION_SIZE;
	memcpy(&p, sec, sizeof(p));	/* the header once, into private memory */
	if (nvsp_rndis_check_packet(&p, m.section_size, &why)) {
		nc_refuse(nc, "RNDIS packet in receive section %u: %s", m.section_index, why);
		return;
	}
	nc_add_rx(nc, sec + p.data_offset, p.data_len);
}

static void nc_on_association(struct netvsc_proto *nc, uint64_t tid,
			      const struct nvsp_msg_vf_association *m)
{
	if (NVSP_TID_KIND(tid) != NVSP_TID_VF_ASSOCIATION || m->allocated > 1) {
		nc_refuse(nc, "VF association allocated %u with transaction id 0x%llx",
			  m->allocated, (unsigned long long)tid);
		return;
	}
	if (!(nc->cfg.sriov)) {
		nc_refuse(nc, "VF association although SR-IOV was not announced");
		return;
	}
	nc->stats.associations++;
	nc->vf_allocated = m->allocated;
	if (m->allocated)
		nc->vf_serial = m->serial;
	nc->assoc_pending = true;
	nc->assoc_ack_owed = false;	/* a newer association replaces an unsent ack */
	nc->assoc_tid = tid;
	nc->assoc_value = m->allocated;
	nc_settle(nc);
}

static void nc_on_switch_ack(struct netvsc_proto *nc, uint64_t tid, const struct nvsp_msg_vf_ack *a)
{
	uint32_t seq = NVSP_TID_LOW(tid);
	bool ok;

	if (NVSP_TID_KIND(tid) != NVSP_TID_SWITCH_DATA_PATH || !seq || seq > nc->switch_seq) {
		nc_refuse(nc, "switch acknowledgement 0x%llx for nothing sent",
			  (unsigned long long)tid);
		return;
	}
	if (seq != nc->switch_seq || !nc_switching(nc)) {
		nc->stats.stale_acks++;	/* an abandoned request: the host answered late */
		return;
	}
	if (nc->state == NETVSC_DP_SWITCHING_TO_VF) {
		ok = a->status == NVSP_STATUS_SUCCESS && a->value == NVSP_DATAPATH_VF;
		nc->switch_status = ok ? 0 : -EPERM;
		nc_set_state(nc, ok ? NETVSC_DP_VF : NETVSC_DP_SYNTHETIC);
		if (!ok)
			log_warn(NETVSC_TOPIC, "%s: host refused the switch to the VF", nc->name);
	} else {
		ok = a->status == NVSP_STATUS_SUCCESS && a->value == NVSP_DATAPATH_SYNTHETIC;
		nc->switch_status = ok ? 0 : -EIO;
		nc_set_state(nc, ok ? NETVSC_DP_SYNTHETIC : NETVSC_DP_ERROR);
		if (!ok)
			log_warn(NETVSC_TOPIC, "%s: host refused the switch back to synthetic",
				 nc->name);
	}
	if (ok) {
		nc->stats.switches++;
		log_info(NETVSC_TOPIC, "%s: data path is %s", nc->name,
			 netvsc_dp_state_name(nc->state));
		trace_instant(nc->state == NETVSC_DP_VF ? "vm-start" : "failover", "data-path switched",
			      "nic=%s to=%s", nc->name, nc->state == NETVSC_DP_VF ? "vf" : "synthetic");
	}
	nc_settle(nc);
}

static void nc_on_ctl_reply(struct netvsc_proto *nc, uint64_t tid, const void *body, uint32_t len)
{
	if (nc->ctl_replied || tid != NVSP_TID(NVSP_TID_CONTROL, nc->ctl_seq) || !nc->ctl_seq) {
		nc_refuse(nc, "%s 0x%llx for no request in flight",
			  nvsp_msg_name(((const struct nvsp_msg_hdr *)body)->type),
			  (unsigned long long)tid);
		return;
	}
	memcpy(&nc->ctl_reply, body, len);
	nc->ctl_replied = true;
}

static void nc_on_tx_complete(struct netvsc_proto *nc, uint64_t tid)
{
	uint32_t idx = NVSP_TID_LOW(tid);

	if (NVSP_TID_KIND(tid) != NVSP_TID_DATA || idx >= nc->sbuf_busy.count ||
	    !nvsp_secmap_test(&nc->sbuf_busy, idx)) {
		nc_refuse(nc, "completion 0x%llx for no send section in flight",
			  (unsigned long long)tid);
		return;
	}
	nvsp_secmap_clear(&nc->sbuf_busy, idx);
}

static void nc_handle(struct netvsc_proto *nc, const struct vmbus_pkt_in *pkt)
{
	_Alignas(8) uint8_t body[sizeof(struct nvsp_msg_send_buf_complete)];
	const char *why;
	uint32_t type;

	if (nvsp_msg_check(pkt->type, pkt->data, pkt->len, NVSP_TO_GUEST, nc->version, &type,
			   &why)) {
		nc_refuse(nc, "%s (packet type %u, %u bytes)", why, pkt->type, pkt->len);
		return;
	}
	if (type == NVSP_MSG1_TYPE_SEND_RNDIS_PKT) {
		nc_on_rndis_pkt(nc, pkt);
		return;
	}
	if (type == NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE) {
		nc_on_tx_complete(nc, pkt->trans_id);
		return;
	}
	nc_deliver_rx(nc);	/* frames before a control message go up first */
	memcpy(body, pkt->data, pkt->len);	/* exact size of its type, checked */
	switch (type) {
	case NVSP_MSG_TYPE_INIT_COMPLETE:
	case NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE:
	case NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE:
		nc_on_ctl_reply(nc, pkt->trans_id, body, pkt->len);
		break;
	case NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION:
		nc_on_association(nc, pkt->trans_id, (const void *)body);
		break;
	case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
		nc_on_switch_ack(nc, pkt->trans_id, (const void *)body);
		break;
	}
}

void netvsc_proto__dispatch(struct netvsc_proto *nc, const struct vmbus_pkt_in *pkts, unsigned n)
{
	for (unsigned i = 0; i < n && nc->state != NETVSC_DP_RESCINDED; i++)
		nc_handle(nc, &pkts[i]);
	nc_deliver_rx(nc);
	nc_flush_owed(nc);
}

/* Read and handle everything there is. Returns packets handled or -errno. */
static int nc_drain(struct netvsc_proto *nc)
{
	int total = 0;

	for (;;) {
		int n = vmbus_chan_recv(nc->ch, nc->in, NC_BATCH, nc->inbuf, sizeof(nc->inbuf));

		if (n == -ENOBUFS) {
			/* Larger than any NVSP message: read it aside and refuse it. */
			struct vmbus_pkt_in big;
			void *buf = malloc(nc->in[0].len);

			if (!buf)
				return -ENOMEM;
			n = vmbus_chan_recv(nc->ch, &big, 1, buf, nc->in[0].len);
			free(buf);
			if (n == 1) {
				nc_refuse(nc, "packet of %u bytes", big.len);
				total++;
				continue;
			}
		}
		if (n < 0)
			return nc_chan_error(nc, n);
		if (n == 0)
			break;
		netvsc_proto__dispatch(nc, nc->in, (unsigned)n);
		total += n;
	}
	nc_flush_owed(nc);
	return total;
}

int netvsc_proto_poll(struct netvsc_proto *nc, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int n;

	if (nc->state == NETVSC_DP_RESCINDED)
		return -ENODEV;
	if (nc->detached)
		return 0;
	/* Wake-ups may be spurious (a signal for packets already read): wait
	 * again until something is handled or the time is up. */
	for (;;) {
		int left, w;

		n = nc_drain(nc);
		nc_check_deadline(nc);
		if (n != 0)
			return n;
		left = ms_left(deadline);
		if (nc_switching(nc) && ms_left(nc->switch_deadline) < left)
			left = ms_left(nc->switch_deadline) + 1;	/* to see it pass */
		if (!left)
			return 0;
		w = vmbus_chan_wait(nc->ch, left);
		if (w < 0)
			return nc_chan_error(nc, w);
		if (w == 0 && !ms_left(deadline))
			return 0;
	}
}

/* Handle host messages until done(nc) or the deadline (-ETIMEDOUT). */
static int nc_wait(struct netvsc_proto *nc, bool (*done)(const struct netvsc_proto *nc),
		   int64_t deadline)
{
	while (!done(nc)) {
		int n;

		if (nc->state == NETVSC_DP_RESCINDED)
			return -ENODEV;
		if (!ms_left(deadline))
			return -ETIMEDOUT;
		n = netvsc_proto_poll(nc, ms_left(deadline));
		if (n < 0)
			return n;
	}
	return 0;
}

/* ---- data --------------------------------------------------------------- */

static int nc_send_synthetic(struct netvsc_proto *nc, const struct nvsp_frame *frames,
			     unsigned n)
{
	unsigned done = 0;

	nc_flush_owed(nc);
	while (done < n) {
		struct nvsp_msg_rndis_pkt msgs[NC_BATCH];
		struct vmbus_pkt pkts[NC_BATCH];
		unsigned k = nvsp_sections_put(&nc->sbuf_busy, nc->sbuf, frames + done,
					       n - done < NC_BATCH ? n - done : NC_BATCH, msgs, pkts);
		int s;

		if (!k)
			break;
		s = nc_send(nc, pkts, k);
		nvsp_sections_unsent(&nc->sbuf_busy, msgs, s < 0 ? 0 : (unsigned)s, k);
		if (s < 0)
			return done ? (int)done : s;
		for (int i = 0; i < s; i++)
			nc->stats.tx_synthetic_bytes += frames[done + (unsigned)i].len;
		nc->stats.tx_synthetic += (unsigned)s;
		done += (unsigned)s;
		if ((unsigned)s < k)
			break;
	}
	return (int)done;
}

int netvsc_proto_send(struct netvsc_proto *nc, const struct nvsp_frame *frames, unsigned n)
{
	int took;

	for (unsigned i = 0; i < n; i++)
		if (!nvsp_frame_ok(&frames[i]))
			return -EINVAL;
	switch (nc->state) {
	case NETVSC_DP_SYNTHETIC:
	case NETVSC_DP_ERROR:
		return nc_send_synthetic(nc, frames, n);
	case NETVSC_DP_VF:
		took = nc->vf->tx_frames(nc->vf_ctx, frames, n);
		for (int i = 0; i < took; i++)
			nc->stats.tx_vf_bytes += frames[i].len;
		if (took > 0)
			nc->stats.tx_vf += (unsigned)took;
		return took;
	case NETVSC_DP_SWITCHING_TO_VF:
	case NETVSC_DP_SWITCHING_TO_SYNTHETIC:
		nc->stats.tx_held++;
		return -EAGAIN;
	case NETVSC_DP_RESCINDED:
	case NETVSC_DP_STATE_COUNT:
		break;
	}
	return -ENODEV;
}

/* ---- SR-IOV ------------------------------------------------------------- */

int netvsc_proto_set_vf(struct netvsc_proto *nc, const struct netvsc_vf_ops *ops, void *ctx)
{
	if (nc->state == NETVSC_DP_VF || nc_switching(nc))
		return -EBUSY;
	if (ops && (!ops->tx_frames || !ops->tx_flush))
		return -EINVAL;
	nc->vf = ops;
	nc->vf_ctx = ctx;
	return 0;
}

static bool nc_not_switching_to_vf(const struct netvsc_proto *nc)
{
	return nc->state != NETVSC_DP_SWITCHING_TO_VF;
}

static bool nc_not_switching(const struct netvsc_proto *nc)
{
	return !nc_switching(nc);
}

int netvsc_proto_switch_to_vf(struct netvsc_proto *nc, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int err;

	if (nc->state == NETVSC_DP_RESCINDED)
		return -ENODEV;
	if (nc->state == NETVSC_DP_VF)
		return 0;
	if (nc->state != NETVSC_DP_SYNTHETIC)
		return -EBUSY;
	if (nc->version < NVSP_PROTO_V4 || !nc->cfg.sriov)
		return -EOPNOTSUPP;
	if (!nc->vf_allocated)
		return -ENOENT;
	if (!nc->vf)
		return -ENXIO;
	trace_span_begin("vm-start", "data-path switch", "nic=%s to=vf serial=%u", nc->name, nc->vf_serial);
	err = nc_begin_switch(nc, NVSP_DATAPATH_VF, deadline);
	if (!err)
		err = nc_wait(nc, nc_not_switching_to_vf, deadline);
	if (err == -ETIMEDOUT)
		nc_check_deadline(nc);
	trace_span_end();
	switch (nc->state) {
	case NETVSC_DP_VF:
		return 0;
	case NETVSC_DP_RESCINDED:
		return -ENODEV;
	case NETVSC_DP_ERROR:
		return -ETIMEDOUT;
	case NETVSC_DP_SWITCHING_TO_SYNTHETIC:	/* acknowledged, then withdrawn */
	case NETVSC_DP_SWITCHING_TO_VF:
	case NETVSC_DP_STATE_COUNT:
		return -ENOENT;
	case NETVSC_DP_SYNTHETIC:
		break;
	}
	return !nc->vf_allocated ? -ENOENT : nc->switch_status ? nc->switch_status : -EPERM;
}

int netvsc_proto_switch_to_synthetic(struct netvsc_proto *nc, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int err = 0;

	switch (nc->state) {
	case NETVSC_DP_SYNTHETIC:
		return 0;
	case NETVSC_DP_RESCINDED:
	case NETVSC_DP_STATE_COUNT:
		return -ENODEV;
	case NETVSC_DP_SWITCHING_TO_VF:
		return -EBUSY;
	case NETVSC_DP_VF:
	case NETVSC_DP_ERROR:
		err = nc_begin_switch(nc, NVSP_DATAPATH_SYNTHETIC, deadline);
		break;
	case NETVSC_DP_SWITCHING_TO_SYNTHETIC:	/* already on its way (VF withdrawn) */
		break;
	}
	trace_span_begin("failover", "data-path switch", "nic=%s to=synthetic", nc->name);
	if (!err)
		err = nc_wait(nc, nc_not_switching, deadline);
	if (err == -ETIMEDOUT)
		nc_check_deadline(nc);
	trace_span_end();
	switch (nc->state) {
	case NETVSC_DP_SYNTHETIC:
		return 0;
	case NETVSC_DP_RESCINDED:
		return -ENODEV;
	default:
		return nc->switch_status == -ETIMEDOUT || err == -ETIMEDOUT ? -ETIMEDOUT : -EIO;
	}
}

bool netvsc_proto_vf_serial(const struct netvsc_proto *nc, uint32_t *serial)
{
	if (nc->vf_allocated && serial)
		*serial = nc->vf_serial;
	return nc->vf_allocated;
}

/* ---- handshake ---------------------------------------------------------- */

static bool nc_ctl_replied(const struct netvsc_proto *nc)
{
	return nc->ctl_replied;
}

static bool nc_rndis_replied(const struct netvsc_proto *nc)
{
	return nc->rndis_replied;
}

/* Send a control request and wait for its completion in nc->ctl_reply. */
static int nc_request(struct netvsc_proto *nc, const void *body, uint32_t len, int64_t deadline)
{
	int err;

	nc->ctl_replied = false;
	err = nc_send_ctl(nc, VMBUS_PKT_DATA_INBAND, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			  NVSP_TID(NVSP_TID_CONTROL, ++nc->ctl_seq), body, len, deadline);
	return err ? err : nc_wait(nc, nc_ctl_replied, deadline);
}

static int nc_negotiate(struct netvsc_proto *nc, int64_t deadline)
{
	uint32_t max = nc->cfg.max_version ? nc->cfg.max_version : NVSP_PROTO_NEWEST;

	for (size_t i = NC_NVERSIONS; i-- > 0;) {
		struct nvsp_msg_init m = {
			.hdr = { .type = NVSP_MSG_TYPE_INIT },
			.min_version = nc_versions[i],
			.max_version = nc_versions[i],
		};
		int err;

		if (nc_versions[i] > max)
			continue;
		err = nc_request(nc, &m, sizeof(m), deadline);
		if (err)
			return err;
		if (nc->ctl_reply.init.status == NVSP_STATUS_SUCCESS &&
		    nc->ctl_reply.init.version == nc_versions[i]) {
			nc->version = nc_versions[i];
			return 0;
		}
		log_info(NETVSC_TOPIC, "%s: host refused NVSP version 0x%x", nc->name,
			 nc_versions[i]);
	}
	return -EPROTONOSUPPORT;
}

static int nc_lend(struct netvsc_proto *nc, uint32_t type, uint64_t gpa, uint32_t len,
		   uint16_t id, int64_t deadline)
{
	struct nvsp_msg_send_buf m = {
		.hdr = { .type = type }, .gpa = gpa, .len = len, .id = id,
	};
	int err = nc_request(nc, &m, sizeof(m), deadline);

	if (err)
		return err;
	if (nc->ctl_reply.buf.status != NVSP_STATUS_SUCCESS ||
	    nc->ctl_reply.buf.section_size != NVSP_SECTION_SIZE ||
	    nc->ctl_reply.buf.section_count != len / NVSP_SECTION_SIZE) {
		log_error(NETVSC_TOPIC, "%s: host refused the %s buffer (status %u, %u x %u)",
			  nc->name, id == NC_RECV_BUF_ID ? "receive" : "send",
			  nc->ctl_reply.buf.status, nc->ctl_reply.buf.section_count,
			  nc->ctl_reply.buf.section_size);
		return -EIO;
	}
	return 0;
}

/* One RNDIS query or set; the answer's information goes to out (outlen bytes at most). */
static int nc_rndis(struct netvsc_proto *nc, uint32_t type, uint32_t oid, const void *val,
		    uint32_t vlen, void *out, uint32_t outlen, int64_t deadline)
{
	struct {
		struct nvsp_msg_rndis_pkt pkt;
		struct rndis_request r;
		uint8_t info[RNDIS_INFO_MAX];
	} m = {
		.pkt = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
			 .channel_type = NVSP_RNDIS_CHANNEL_CONTROL,
			 .section_index = NVSP_SECTION_INLINE,
			 .section_size = (uint32_t)sizeof(m.r) + vlen },
		.r = { .hdr = { .type = type, .len = (uint32_t)sizeof(m.r) + vlen },
		       .request_id = ++nc->rndis_id, .oid = oid, .info_len = vlen,
		       .info_offset = vlen ? sizeof(m.r) : 0 },
	};
	struct rndis_complete c;
	int err;

	if (vlen)
		memcpy(m.info, val, vlen);
	nc->rndis_replied = false;
	err = nc_send_ctl(nc, VMBUS_PKT_DATA_INBAND, 0, NVSP_TID(NVSP_TID_INLINE, 0), &m,
			  (uint32_t)sizeof(m.pkt) + m.pkt.section_size, deadline);
	if (!err)
		err = nc_wait(nc, nc_rndis_replied, deadline);
	if (err)
		return err;
	memcpy(&c, nc->rndis_reply, sizeof(c));
	if (c.hdr.type != (type | 0x80000000u) || c.status != RNDIS_STATUS_SUCCESS) {
		log_error(NETVSC_TOPIC, "%s: RNDIS %s of OID 0x%x failed: status 0x%x", nc->name,
			  type == RNDIS_MSG_QUERY ? "query" : "set", oid, c.status);
		return -EIO;
	}
	if (out && c.info_len != outlen) {
		log_error(NETVSC_TOPIC, "%s: RNDIS query of OID 0x%x: %u bytes, expected %u",
			  nc->name, oid, c.info_len, outlen);
		return -EIO;
	}
	if (out)
		memcpy(out, nc->rndis_reply + c.info_offset, outlen);
	return 0;
}

static int nc_handshake(struct netvsc_proto *nc)
{
	int64_t deadline = now_ms() + nc->cfg.timeout_ms;
	struct nvsp_msg_ndis_config config = {
		.hdr = { .type = NVSP_MSG2_TYPE_SEND_NDIS_CONFIG },
		.mtu = nc->cfg.mtu,
		.capabilities = NVSP_CAP_IEEE8021Q,
	};
	struct nvsp_msg_ndis_ver ver = {
		.hdr = { .type = NVSP_MSG1_TYPE_SEND_NDIS_VER },
		.major = NVSP_NDIS_MAJOR, .minor = NVSP_NDIS_MINOR,
	};
	uint32_t filter = NC_PACKET_FILTER, media;
	int err = nc_negotiate(nc, deadline);

	if (err)
		return err;
	if (nc->version < NVSP_PROTO_V4)
		nc->cfg.sriov = false;	/* the host cannot send associations */
	if (nc->cfg.sriov)
		config.capabilities |= NVSP_CAP_SRIOV;
	if (nc->version >= NVSP_PROTO_V2)
		err = nc_send_ctl(nc, VMBUS_PKT_DATA_INBAND, 0, NVSP_TID(NVSP_TID_INLINE, 0),
				  &config, sizeof(config), deadline);
	if (!err)
		err = nc_send_ctl(nc, VMBUS_PKT_DATA_INBAND, 0, NVSP_TID(NVSP_TID_INLINE, 0), &ver,
				  sizeof(ver), deadline);
	if (!err)
		err = nc_lend(nc, NVSP_MSG1_TYPE_SEND_RECV_BUF, nc->cfg.recv_buf_gpa,
			      nc->cfg.recv_buf_len, NC_RECV_BUF_ID, deadline);
	if (!err)
		err = nc_lend(nc, NVSP_MSG1_TYPE_SEND_SEND_BUF, nc->cfg.send_buf_gpa,
			      nc->cfg.send_buf_len, NC_SEND_BUF_ID, deadline);
	if (!err)
		err = nc_rndis(nc, RNDIS_MSG_QUERY, RNDIS_OID_802_3_CURRENT_ADDRESS, NULL, 0, nc->mac,
			       sizeof(nc->mac), deadline);
	if (!err)
		err = nc_rndis(nc, RNDIS_MSG_QUERY, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, NULL, 0,
			       &nc->max_frame, sizeof(nc->max_frame), deadline);
	if (!err)
		err = nc_rndis(nc, RNDIS_MSG_QUERY, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, NULL, 0,
			       &media, sizeof(media), deadline);
	if (!err) {
		nc->link_up = media == RNDIS_MEDIA_STATE_CONNECTED;
		err = nc_rndis(nc, RNDIS_MSG_SET, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter,
			       sizeof(filter), NULL, 0, deadline);
	}
	return err;
}

/* ---- life cycle and views ----------------------------------------------- */

static int nc_alloc(const struct netvsc_proto_config *cfg, struct netvsc_proto **out)
{
	struct netvsc_proto *nc;
	uint32_t rcount = cfg->recv_buf_len / NVSP_SECTION_SIZE;
	uint32_t scount = cfg->send_buf_len / NVSP_SECTION_SIZE;

	if (!cfg->mem || !cfg->ops || !cfg->ops->rx_frames || !rcount || !scount ||
	    cfg->recv_buf_len % NVSP_SECTION_SIZE || cfg->send_buf_len % NVSP_SECTION_SIZE ||
	    rcount > NVSP_SECTIONS_MAX || scount > NVSP_SECTIONS_MAX ||
	    (cfg->mtu && cfg->mtu > NVSP_MTU_DEFAULT))
		return -EINVAL;
	nc = calloc(1, sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	nc->cfg = *cfg;
	if (!nc->cfg.mtu)
		nc->cfg.mtu = NVSP_MTU_DEFAULT;
	if (nc->cfg.timeout_ms <= 0)
		nc->cfg.timeout_ms = NC_TIMEOUT_DEFAULT;
	snprintf(nc->name, sizeof(nc->name), "%s", cfg->name ? cfg->name : "netvsc");
	nc->ops = cfg->ops;
	nc->rbuf = gmem_ptr(cfg->mem, cfg->recv_buf_gpa, cfg->recv_buf_len);
	nc->sbuf = gmem_ptr(cfg->mem, cfg->send_buf_gpa, cfg->send_buf_len);
	if (!nc->rbuf || !nc->sbuf) {
		free(nc);
		return -EINVAL;
	}
	if (nvsp_secmap_init(&nc->rbuf_owed, rcount) || nvsp_secmap_init(&nc->sbuf_busy, scount)) {
		netvsc_proto_destroy(nc);
		return -ENOMEM;
	}
	nc->state = NETVSC_DP_SYNTHETIC;
	*out = nc;
	return 0;
}

int netvsc_proto_create(struct vmbus_guest *bus, const struct netvsc_proto_config *cfg,
			struct netvsc_proto **out)
{
	static const struct vmbus_guid type = NVSP_CHANNEL_TYPE;
	struct netvsc_proto *nc;
	int err = nc_alloc(cfg, &nc);

	if (err)
		return err;
	nc->ch = vmbus_guest_find(bus, &type);
	if (!nc->ch) {
		err = -ENODEV;
		goto fail;
	}
	err = vmbus_guest_open(nc->ch, cfg->ring_gpa, cfg->ring_len, cfg->ring_len,
			       nc->cfg.timeout_ms);
	if (err)
		goto fail;
	nc->open = true;
	err = nc_handshake(nc);
	if (err)
		goto fail;
	log_info(NETVSC_TOPIC, "%s: NVSP 0x%x, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, link %s",
		 nc->name, nc->version, nc->mac[0], nc->mac[1], nc->mac[2], nc->mac[3], nc->mac[4],
		 nc->mac[5], nc->max_frame, nc->link_up ? "up" : "down");
	*out = nc;
	return 0;

fail:
	log_error(NETVSC_TOPIC, "%s: synthetic NIC bring-up failed: %s", nc->name, strerror(-err));
	netvsc_proto_destroy(nc);
	return err;
}

int netvsc_proto__create_detached(const struct netvsc_proto_config *cfg,
				  struct netvsc_proto **out)
{
	int err = nc_alloc(cfg, out);

	if (err)
		return err;
	(*out)->detached = true;
	(*out)->version = NVSP_PROTO_NEWEST;
	(*out)->cfg.sriov = true;
	return 0;
}

void netvsc_proto_destroy(struct netvsc_proto *nc)
{
	if (!nc)
		return;
	if (nc->open && nc->state != NETVSC_DP_RESCINDED) {
		struct nvsp_msg_revoke_buf rs = {
			.hdr = { .type = NVSP_MSG1_TYPE_REVOKE_SEND_BUF }, .id = NC_SEND_BUF_ID,
		};
		struct nvsp_msg_revoke_buf rr = {
			.hdr = { .type = NVSP_MSG1_TYPE_REVOKE_RECV_BUF }, .id = NC_RECV_BUF_ID,
		};
		struct vmbus_pkt p[2] = {
			{ .type = VMBUS_PKT_DATA_INBAND, .data = &rs, .len = sizeof(rs) },
			{ .type = VMBUS_PKT_DATA_INBAND, .data = &rr, .len = sizeof(rr) },
		};

		/* Best effort: closing the channel ends the host's use of both anyway. */
		if (nc->version)
			vmbus_chan_send(nc->ch, p, 2);
		vmbus_guest_close(nc->ch, nc->cfg.timeout_ms);
	}
	nvsp_secmap_fini(&nc->rbuf_owed);
	nvsp_secmap_fini(&nc->sbuf_busy);
	free(nc);
}

enum netvsc_dp_state netvsc_proto_state(const struct netvsc_proto *nc)
{
	return nc->state;
}

uint32_t netvsc_proto_version(const struct netvsc_proto *nc)
{
	return nc->version;
}

const uint8_t *netvsc_proto_mac(const struct netvsc_proto *nc)
{
	return nc->mac;
}

uint32_t netvsc_proto_max_frame(const struct netvsc_proto *nc)
{
	return nc->max_frame;
}

bool netvsc_proto_link_up(const struct netvsc_proto *nc)
{
	return nc->link_up;
}

void netvsc_proto_get_stats(const struct netvsc_proto *nc, struct netvsc_proto_stats *st)
{
	*st = nc->stats;
}

struct vmbus_channel *netvsc_proto_channel(const struct netvsc_proto *nc)
{
	return nc->ch;
}
