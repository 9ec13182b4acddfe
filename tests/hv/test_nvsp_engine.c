/*
 * NetVSP and the NetVsc protocol engine in one process, without a channel
 * (the detached constructors): messages are handed to the engines as if
 * they had come out of the ring. Covers every state machine -- each legal
 * transition walked through the real checked setter, each illegal one
 * refused with the state unchanged -- and the rules the two-process tests
 * can only observe from outside: NetVSP hands frames before a
 * SWITCH_DATA_PATH to its port before it acts on the switch; the host's VF
 * state follows offer / switch / revoke; the guest holds sends while
 * switching, takes or refuses acknowledgements by sequence number, and on
 * a revoke while on the VF flushes the VF and switches back before it
 * reports the withdrawal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "hv/netvsc_proto.h"
#include "hv/netvsp.h"

#define MEM_SIZE (4u << 20)
#define RECV_GPA 0x100000u
#define SEND_GPA 0x200000u
#define BUF_LEN (64u * NVSP_SECTION_SIZE)

static struct guest_mem *gm;

/* ---- packets ------------------------------------------------------------ */

static struct vmbus_pkt_in pkt(uint16_t type, uint64_t tid, const void *data, uint32_t len)
{
	return (struct vmbus_pkt_in){ .type = type, .trans_id = tid, .data = data, .len = len };
}

/* An inline RNDIS packet holding a 60-byte frame whose first byte is tag. */
struct inline_frame {
	struct nvsp_msg_rndis_pkt p;
	struct rndis_packet r;
	uint8_t frame[60];
};

static void inline_frame(struct inline_frame *f, uint8_t tag)
{
	memset(f, 0, sizeof(*f));
	f->p = (struct nvsp_msg_rndis_pkt){ .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
					    .channel_type = NVSP_RNDIS_CHANNEL_DATA,
					    .section_index = NVSP_SECTION_INLINE,
					    .section_size = sizeof(f->r) + sizeof(f->frame) };
	f->r = (struct rndis_packet){ .hdr = { RNDIS_MSG_PACKET, sizeof(f->r) + sizeof(f->frame) },
				      .data_offset = sizeof(f->r), .data_len = sizeof(f->frame) };
	f->frame[0] = tag;
}

/* ---- host side ---------------------------------------------------------- */

/* What the port saw, in order: "t<n>:<tags>" per call, "e<event>" per event. */
struct port_log {
	char s[256];
};

static int log_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	struct port_log *l = ctx;
	size_t len = strlen(l->s);

	len += (size_t)snprintf(l->s + len, sizeof(l->s) - len, "t%u:", n);
	for (unsigned i = 0; i < n && len < sizeof(l->s) - 1; i++)
		l->s[len++] = (char)((const uint8_t *)f[i].data)[0];
	l->s[len++] = ' ';
	l->s[len] = 0;
	return (int)n;
}

static void log_event(void *ctx, enum netvsp_event ev)
{
	struct port_log *l = ctx;
	size_t len = strlen(l->s);

	snprintf(l->s + len, sizeof(l->s) - len, "e:%s ", netvsp_event_name(ev));
}

static const struct netvsp_port_ops log_ops = { log_tx, log_event };

static struct netvsp *host_new(struct port_log *l)
{
	struct netvsp_config cfg = { .name = "test-nic", .mem = gm, .port = &log_ops,
				     .port_ctx = l };
	struct netvsp *nsp;

	memset(l, 0, sizeof(*l));
	assert_int_equal(netvsp__create_detached(&cfg, &nsp), 0);
	assert_int_equal(netvsp_state(nsp), NETVSP_OFFERED);
	return nsp;
}

/* A host the guest has opened and negotiated NVSP 4 with SR-IOV on. */
static struct netvsp *host_ready(struct port_log *l)
{
	struct netvsp *nsp = host_new(l);
	struct nvsp_msg_init init = { .hdr = { .type = NVSP_MSG_TYPE_INIT },
				      .min_version = NVSP_PROTO_V4, .max_version = NVSP_PROTO_V4 };
	struct nvsp_msg_ndis_config cfg = { .hdr = { .type = NVSP_MSG2_TYPE_SEND_NDIS_CONFIG },
					    .mtu = 1500, .capabilities = NVSP_CAP_SRIOV };
	struct nvsp_msg_send_buf sb = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_SEND_BUF },
					.gpa = SEND_GPA, .len = BUF_LEN };
	struct vmbus_pkt_in in[3] = {
		pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_CONTROL, 1), &init, sizeof(init)),
		pkt(VMBUS_PKT_DATA_INBAND, 0, &cfg, sizeof(cfg)),
		pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_CONTROL, 2), &sb, sizeof(sb)),
	};
	struct netvsp_stats st;

	assert_int_equal(netvsp__set_state(nsp, NETVSP_NEGOTIATING), 0);
	netvsp__dispatch(nsp, in, 3);
	assert_int_equal(netvsp_state(nsp), NETVSP_READY);
	assert_int_equal(netvsp_version(nsp), NVSP_PROTO_V4);
	netvsp_get_stats(nsp, &st);
	assert_int_equal(st.refused, 0);
	l->s[0] = 0;
	return nsp;
}

static struct nvsp_msg_switch_data_path sw_vf = {
	.hdr = { .type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH }, .active_datapath = NVSP_DATAPATH_VF };
static struct nvsp_msg_switch_data_path sw_syn = {
	.hdr = { .type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH },
	.active_datapath = NVSP_DATAPATH_SYNTHETIC };

static void host_switch(struct netvsp *nsp, const struct nvsp_msg_switch_data_path *m,
			uint32_t seq)
{
	struct vmbus_pkt_in in = pkt(VMBUS_PKT_DATA_INBAND,
				     NVSP_TID(NVSP_TID_SWITCH_DATA_PATH, seq), m, sizeof(*m));

	netvsp__dispatch(nsp, &in, 1);
}

static void test_host_state_tables(void **state)
{
	static const enum netvsp_state path[NETVSP_STATE_COUNT][3] = {
		/* how to reach each state from offered, then the state itself */
		[NETVSP_OFFERED] = { NETVSP_OFFERED },
		[NETVSP_NEGOTIATING] = { NETVSP_NEGOTIATING },
		[NETVSP_READY] = { NETVSP_NEGOTIATING, NETVSP_READY },
		[NETVSP_CLOSED] = { NETVSP_NEGOTIATING, NETVSP_CLOSED },
		[NETVSP_GONE] = { NETVSP_GONE },
	};
	static const unsigned path_len[NETVSP_STATE_COUNT] = { 0, 1, 2, 2, 1 };
	/* the legal transitions, written out independently of netvsp.c */
	static const bool legal[NETVSP_STATE_COUNT][NETVSP_STATE_COUNT] = {
		[NETVSP_OFFERED] = { [NETVSP_NEGOTIATING] = 1, [NETVSP_GONE] = 1 },
		[NETVSP_NEGOTIATING] = { [NETVSP_READY] = 1, [NETVSP_CLOSED] = 1, [NETVSP_GONE] = 1 },
		[NETVSP_READY] = { [NETVSP_CLOSED] = 1, [NETVSP_GONE] = 1 },
		[NETVSP_CLOSED] = { [NETVSP_NEGOTIATING] = 1, [NETVSP_GONE] = 1 },
	};
	static const enum netvsp_vf_state vpath[NETVSP_VF_STATE_COUNT][3] = {
		[NETVSP_VF_ASSOCIATED] = { NETVSP_VF_ASSOCIATED },
		[NETVSP_VF_ACTIVE] = { NETVSP_VF_ASSOCIATED, NETVSP_VF_ACTIVE },
		[NETVSP_VF_REVOKING] = { NETVSP_VF_ASSOCIATED, NETVSP_VF_ACTIVE, NETVSP_VF_REVOKING },
	};
	static const bool vlegal[NETVSP_VF_STATE_COUNT][NETVSP_VF_STATE_COUNT] = {
		[NETVSP_VF_NONE] = { [NETVSP_VF_ASSOCIATED] = 1 },
		[NETVSP_VF_ASSOCIATED] = { [NETVSP_VF_ACTIVE] = 1, [NETVSP_VF_NONE] = 1 },
		[NETVSP_VF_ACTIVE] = { [NETVSP_VF_ASSOCIATED] = 1, [NETVSP_VF_REVOKING] = 1,
				       [NETVSP_VF_NONE] = 1 },
		[NETVSP_VF_REVOKING] = { [NETVSP_VF_NONE] = 1 },
	};
	struct port_log l;
	unsigned seen = 0;

	(void)state;
	log_configure("lab.hv.netvsp=none", NULL, 0);	/* the refusals would be noise */
	for (int from = 0; from < NETVSP_STATE_COUNT; from++) {
		for (int to = 0; to <= NETVSP_STATE_COUNT; to++) {
			struct netvsp *nsp = host_new(&l);

			for (unsigned i = 0; i < path_len[from]; i++)
				assert_int_equal(netvsp__set_state(nsp, path[from][i]), 0);
			assert_int_equal(netvsp_state(nsp), from);
			if (to < NETVSP_STATE_COUNT && legal[from][to]) {
				assert_int_equal(netvsp__set_state(nsp, to), 0);
				assert_int_equal(netvsp_state(nsp), to);
				seen++;
			} else {
				assert_int_equal(netvsp__set_state(nsp, to), -EINVAL);
				assert_int_equal(netvsp_state(nsp), from);
			}
			netvsp_destroy(nsp);
		}
	}
	assert_int_equal(seen, 9);
	seen = 0;
	for (int from = 0; from < NETVSP_VF_STATE_COUNT; from++) {
		for (int to = 0; to <= NETVSP_VF_STATE_COUNT; to++) {
			struct netvsp *nsp = host_new(&l);

			for (unsigned i = 0; i < 3 && vpath[from][i]; i++)
				assert_int_equal(netvsp__set_vf_state(nsp, vpath[from][i]), 0);
			assert_int_equal(netvsp_vf_state(nsp), from);
			if (to < NETVSP_VF_STATE_COUNT && vlegal[from][to]) {
				assert_int_equal(netvsp__set_vf_state(nsp, to), 0);
				assert_int_equal(netvsp_vf_state(nsp), to);
				assert_int_equal(netvsp_vf_data_path_active(nsp),
						 to == NETVSP_VF_ACTIVE || to == NETVSP_VF_REVOKING);
				seen++;
			} else {
				assert_int_equal(netvsp__set_vf_state(nsp, to), -EINVAL);
				assert_int_equal(netvsp_vf_state(nsp), from);
			}
			netvsp_destroy(nsp);
		}
	}
	assert_int_equal(seen, 7);
	assert_string_equal(netvsp_state_name(NETVSP_READY), "ready");
	assert_string_equal(netvsp_state_name(NETVSP_STATE_COUNT), "?");
	assert_string_equal(netvsp_vf_state_name(NETVSP_VF_REVOKING), "revoking");
	assert_string_equal(netvsp_event_name(NETVSP_EV_DATA_PATH_VF), "data-path-vf");
	log_configure("*=warn", NULL, 0);
}

/* Frames before a SWITCH_DATA_PATH reach the port before the switch is acted on. */
static void test_host_frames_before_switch(void **state)
{
	struct inline_frame a, b, c;
	struct port_log l;
	struct netvsp *nsp = host_ready(&l);
	struct netvsp_stats st;
	struct vmbus_pkt_in in[4];

	(void)state;
	assert_int_equal(netvsp_vf_offer(nsp, 0x77), 0);
	assert_int_equal(netvsp_vf_state(nsp), NETVSP_VF_ASSOCIATED);
	inline_frame(&a, 'a');
	inline_frame(&b, 'b');
	inline_frame(&c, 'c');
	in[0] = pkt(VMBUS_PKT_DATA_INBAND, 0, &a, sizeof(a));
	in[1] = pkt(VMBUS_PKT_DATA_INBAND, 0, &b, sizeof(b));
	in[2] = pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_SWITCH_DATA_PATH, 1), &sw_vf,
		    sizeof(sw_vf));
	in[3] = pkt(VMBUS_PKT_DATA_INBAND, 0, &c, sizeof(c));
	netvsp__dispatch(nsp, in, 4);
	assert_string_equal(l.s, "t2:ab e:data-path-vf t1:c ");
	netvsp_get_stats(nsp, &st);
	assert_int_equal(st.tx_frames, 3);
	assert_int_equal(st.tx_while_vf, 1);	/* c came after the switch */
	assert_int_equal(st.switches, 1);
	netvsp_destroy(nsp);
}

static void test_host_vf_lifecycle(void **state)
{
	struct nvsp_msg_vf_ack ack = { .hdr = { .type = NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION },
				       .status = NVSP_STATUS_SUCCESS };
	struct vmbus_pkt_in in;
	struct port_log l;
	struct netvsp *nsp = host_ready(&l);
	struct netvsp_stats st;

	(void)state;
	/* no VF yet: the switch is answered "failed" and nothing changes */
	host_switch(nsp, &sw_vf, 1);
	netvsp_get_stats(nsp, &st);
	assert_int_equal(st.switch_refused, 1);
	assert_int_equal(st.refused, 0);
	assert_false(netvsp_vf_data_path_active(nsp));

	assert_int_equal(netvsp_vf_offer(nsp, 0x77), 0);		/* association #1 */
	assert_int_equal(netvsp_vf_offer(nsp, 0x77), 0);		/* same: not resent */
	in = pkt(VMBUS_PKT_COMP, NVSP_TID(NVSP_TID_VF_ASSOCIATION, 1), &ack, sizeof(ack));
	netvsp__dispatch(nsp, &in, 1);
	host_switch(nsp, &sw_vf, 2);
	assert_true(netvsp_vf_data_path_active(nsp));
	host_switch(nsp, &sw_vf, 3);					/* again: still fine */
	assert_int_equal(netvsp_vf_offer(nsp, 0x78), -EBUSY);		/* another VF while on one */

	assert_int_equal(netvsp_vf_revoke(nsp), 0);			/* association #2 */
	assert_int_equal(netvsp_vf_state(nsp), NETVSP_VF_REVOKING);
	assert_true(netvsp_vf_data_path_active(nsp));
	host_switch(nsp, &sw_vf, 4);					/* refused now */
	assert_true(netvsp_vf_data_path_active(nsp));
	host_switch(nsp, &sw_syn, 5);
	assert_false(netvsp_vf_data_path_active(nsp));
	assert_int_equal(netvsp_vf_state(nsp), NETVSP_VF_NONE);
	in = pkt(VMBUS_PKT_COMP, NVSP_TID(NVSP_TID_VF_ASSOCIATION, 2), &ack, sizeof(ack));
	netvsp__dispatch(nsp, &in, 1);
	netvsp__dispatch(nsp, &in, 1);					/* twice: refused */
	assert_string_equal(l.s, "e:vf-association-acked e:data-path-vf e:data-path-synthetic "
				 "e:vf-association-acked ");
	netvsp_get_stats(nsp, &st);
	assert_int_equal(st.switch_refused, 2);
	assert_int_equal(st.switches, 2);
	assert_int_equal(st.refused, 1);
	netvsp_destroy(nsp);
}

static void test_host_send_sections(void **state)
{
	struct nvsp_msg_rndis_pkt m = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
					.channel_type = NVSP_RNDIS_CHANNEL_DATA,
					.section_index = 5 };
	uint8_t frame[64] = { 'S' };
	struct nvsp_frame f = { frame, sizeof(frame) };
	struct vmbus_pkt_in in[3];
	struct port_log l;
	struct netvsp *nsp = host_ready(&l);
	struct netvsp_stats st;

	(void)state;
	m.section_size = nvsp_rndis_put_packet(
		gmem_ptr(gm, SEND_GPA + 5u * NVSP_SECTION_SIZE, NVSP_SECTION_SIZE), &f);
	in[0] = pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_DATA, 5), &m, sizeof(m));
	in[1] = in[0];	/* reused before its completion went out */
	in[2] = pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_DATA, 6), &m, sizeof(m));	/* id != section */
	netvsp__dispatch(nsp, in, 3);
	assert_string_equal(l.s, "t1:S ");
	netvsp_get_stats(nsp, &st);
	assert_int_equal(st.tx_frames, 1);
	assert_int_equal(st.tx_bytes, 64);
	assert_int_equal(st.refused, 2);
	/* completions went out with the batch: the section may be used again */
	netvsp__dispatch(nsp, in, 1);
	assert_string_equal(l.s, "t1:S t1:S ");
	netvsp_destroy(nsp);
}

/* ---- guest side --------------------------------------------------------- */

struct gcount {
	unsigned rx, vf_tx, flushes, links, assoc;
	bool assoc_allocated, link_up;
	uint32_t serial;
	enum netvsc_dp_state state_at_assoc;
	struct netvsc_proto *nc;
	uint8_t tags[16];
};

static struct gcount gc;

static void g_rx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	for (unsigned i = 0; i < n; i++)
		if (gc.rx < sizeof(gc.tags))
			gc.tags[gc.rx++] = ((const uint8_t *)f[i].data)[0];
}

static void g_link(void *ctx, bool up)
{
	(void)ctx;
	gc.links++;
	gc.link_up = up;
}

static void g_assoc(void *ctx, bool allocated, uint32_t serial)
{
	(void)ctx;
	gc.assoc++;
	gc.assoc_allocated = allocated;
	gc.serial = serial;
	gc.state_at_assoc = netvsc_proto_state(gc.nc);
}

static int vf_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	(void)f;
	gc.vf_tx += n;
	return (int)n;
}

static int vf_flush(void *ctx, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	gc.flushes++;
	return 0;
}

static const struct netvsc_proto_ops g_ops = { g_rx, g_link, g_assoc };
static const struct netvsc_vf_ops vf_ops = { vf_tx, vf_flush };

static struct netvsc_proto *guest_new(void)
{
	struct netvsc_proto_config cfg = {
		.name = "test-vm", .mem = gm,
		.recv_buf_gpa = RECV_GPA, .recv_buf_len = BUF_LEN,
		.send_buf_gpa = SEND_GPA, .send_buf_len = BUF_LEN,
		.ops = &g_ops,
	};

	memset(&gc, 0, sizeof(gc));
	assert_int_equal(netvsc_proto__create_detached(&cfg, &gc.nc), 0);
	assert_int_equal(netvsc_proto_state(gc.nc), NETVSC_DP_SYNTHETIC);
	return gc.nc;
}

static void guest_assoc(struct netvsc_proto *nc, uint32_t seq, uint32_t allocated)
{
	struct nvsp_msg_vf_association m = { .hdr = { .type = NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION },
					     .allocated = allocated, .serial = 0x77 };
	struct vmbus_pkt_in in = pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_VF_ASSOCIATION, seq),
				     &m, sizeof(m));

	netvsc_proto__dispatch(nc, &in, 1);
}

static void guest_ack(struct netvsc_proto *nc, uint32_t seq, uint32_t status, uint32_t dp)
{
	struct nvsp_msg_vf_ack a = { .hdr = { .type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH },
				     .status = status, .value = dp };
	struct vmbus_pkt_in in = pkt(VMBUS_PKT_COMP, NVSP_TID(NVSP_TID_SWITCH_DATA_PATH, seq), &a,
				     sizeof(a));

	netvsc_proto__dispatch(nc, &in, 1);
}

static void test_guest_state_table(void **state)
{
#define D(x) NETVSC_DP_##x
	static const enum netvsc_dp_state path[D(STATE_COUNT)][4] = {
		[D(SYNTHETIC)] = { 0 },
		[D(SWITCHING_TO_VF)] = { D(SWITCHING_TO_VF) },
		[D(VF)] = { D(SWITCHING_TO_VF), D(VF) },
		[D(SWITCHING_TO_SYNTHETIC)] = { D(SWITCHING_TO_VF), D(VF), D(SWITCHING_TO_SYNTHETIC) },
		[D(ERROR)] = { D(SWITCHING_TO_VF), D(ERROR) },
		[D(RESCINDED)] = { D(RESCINDED) },
	};
	static const unsigned path_len[D(STATE_COUNT)] = { 0, 1, 2, 3, 2, 1 };
	/* the legal transitions, written out independently of netvsc_proto.c */
	static const bool legal[D(STATE_COUNT)][D(STATE_COUNT)] = {
		[D(SYNTHETIC)] = { [D(SWITCHING_TO_VF)] = 1, [D(RESCINDED)] = 1 },
		[D(SWITCHING_TO_VF)] = { [D(VF)] = 1, [D(SYNTHETIC)] = 1, [D(ERROR)] = 1,
					 [D(RESCINDED)] = 1 },
		[D(VF)] = { [D(SWITCHING_TO_SYNTHETIC)] = 1, [D(RESCINDED)] = 1 },
		[D(SWITCHING_TO_SYNTHETIC)] = { [D(SYNTHETIC)] = 1, [D(ERROR)] = 1,
						[D(RESCINDED)] = 1 },
		[D(ERROR)] = { [D(SWITCHING_TO_SYNTHETIC)] = 1, [D(RESCINDED)] = 1 },
	};
	static const char *const names[D(STATE_COUNT)] = {
		"synthetic", "switching-to-vf", "vf", "switching-to-synthetic", "error", "rescinded",
	};
	unsigned seen = 0;

	(void)state;
	log_configure("lab.hv.netvsc=none", NULL, 0);
	for (int from = 0; from < D(STATE_COUNT); from++) {
		assert_string_equal(netvsc_dp_state_name(from), names[from]);
		for (int to = 0; to <= D(STATE_COUNT); to++) {
			struct netvsc_proto *nc = guest_new();

			for (unsigned i = 0; i < path_len[from]; i++)
				assert_int_equal(netvsc_proto__set_state(nc, path[from][i]), 0);
			assert_int_equal(netvsc_proto_state(nc), from);
			if (to < D(STATE_COUNT) && legal[from][to]) {
				assert_int_equal(netvsc_proto__set_state(nc, to), 0);
				assert_int_equal(netvsc_proto_state(nc), to);
				seen++;
			} else {
				assert_int_equal(netvsc_proto__set_state(nc, to), -EINVAL);
				assert_int_equal(netvsc_proto_state(nc), from);
			}
			netvsc_proto_destroy(nc);
		}
	}
	assert_int_equal(seen, 13);
	assert_string_equal(netvsc_dp_state_name(D(STATE_COUNT)), "?");
	log_configure("*=warn", NULL, 0);
#undef D
}

/* Which way frames go in each state. */
static void test_guest_send_follows_state(void **state)
{
	uint8_t frame[60] = { 0 };
	struct nvsp_frame f[2] = { { frame, 60 }, { frame, 60 } };
	struct nvsp_frame runt = { frame, 13 };
	struct netvsc_proto *nc = guest_new();
	struct netvsc_proto_stats st;

	(void)state;
	assert_int_equal(netvsc_proto_send(nc, f, 2), 2);		/* synthetic */
	assert_int_equal(netvsc_proto_send(nc, &runt, 1), -EINVAL);
	assert_int_equal(netvsc_proto_set_vf(nc, &vf_ops, NULL), 0);
	assert_int_equal(netvsc_proto__set_state(nc, NETVSC_DP_SWITCHING_TO_VF), 0);
	assert_int_equal(netvsc_proto_send(nc, f, 2), -EAGAIN);	/* held */
	assert_int_equal(netvsc_proto_set_vf(nc, NULL, NULL), -EBUSY);
	assert_int_equal(netvsc_proto__set_state(nc, NETVSC_DP_VF), 0);
	assert_int_equal(netvsc_proto_send(nc, f, 2), 2);		/* VF */
	assert_int_equal(netvsc_proto__set_state(nc, NETVSC_DP_SWITCHING_TO_SYNTHETIC), 0);
	assert_int_equal(netvsc_proto_send(nc, f, 1), -EAGAIN);
	assert_int_equal(netvsc_proto__set_state(nc, NETVSC_DP_ERROR), 0);
	assert_int_equal(netvsc_proto_send(nc, f, 1), 1);		/* error: synthetic */
	assert_int_equal(netvsc_proto__set_state(nc, NETVSC_DP_RESCINDED), 0);
	assert_int_equal(netvsc_proto_send(nc, f, 1), -ENODEV);
	netvsc_proto_get_stats(nc, &st);
	assert_int_equal(st.tx_synthetic, 3);
	assert_int_equal(st.tx_synthetic_bytes, 180);
	assert_int_equal(st.tx_vf, 2);
	assert_int_equal(gc.vf_tx, 2);
	assert_int_equal(st.tx_held, 2);
	netvsc_proto_destroy(nc);
}

static void test_guest_acks_by_sequence(void **state)
{
	struct netvsc_proto *nc = guest_new();
	struct netvsc_proto_stats st;

	(void)state;
	guest_assoc(nc, 1, 1);
	assert_int_equal(gc.assoc, 1);	/* allocated: told at once */
	assert_true(gc.assoc_allocated);
	assert_int_equal(netvsc_proto_set_vf(nc, &vf_ops, NULL), 0);

	/* refused by the host: back to synthetic */
	assert_int_equal(netvsc_proto__begin_switch(nc, NVSP_DATAPATH_VF), 0);	/* seq 1 */
	guest_ack(nc, 1, NVSP_STATUS_FAILED, NVSP_DATAPATH_SYNTHETIC);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SYNTHETIC);
	/* accepted */
	assert_int_equal(netvsc_proto__begin_switch(nc, NVSP_DATAPATH_VF), 0);	/* seq 2 */
	guest_ack(nc, 1, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_VF);		/* stale */
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SWITCHING_TO_VF);
	guest_ack(nc, 9, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_VF);		/* never sent */
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SWITCHING_TO_VF);
	guest_ack(nc, 2, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_VF);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_VF);
	guest_ack(nc, 2, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_VF);		/* duplicate: stale */
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_VF);
	assert_int_equal(gc.flushes, 0);
	/* back: the VF is flushed before the request goes out */
	assert_int_equal(netvsc_proto__begin_switch(nc, NVSP_DATAPATH_SYNTHETIC), 0);	/* seq 3 */
	assert_int_equal(gc.flushes, 1);
	guest_ack(nc, 3, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_SYNTHETIC);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SYNTHETIC);
	netvsc_proto_get_stats(nc, &st);
	assert_int_equal(st.switches, 2);
	assert_int_equal(st.stale_acks, 2);
	assert_int_equal(st.refused, 1);
	netvsc_proto_destroy(nc);
}

/* Revoke while on the VF: flush, switch back, and only then report it. */
static void test_guest_revoke_on_vf(void **state)
{
	struct netvsc_proto *nc = guest_new();
	uint32_t serial;

	(void)state;
	guest_assoc(nc, 1, 1);
	assert_int_equal(netvsc_proto_set_vf(nc, &vf_ops, NULL), 0);
	assert_int_equal(netvsc_proto__begin_switch(nc, NVSP_DATAPATH_VF), 0);
	guest_ack(nc, 1, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_VF);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_VF);

	guest_assoc(nc, 2, 0);
	assert_false(netvsc_proto_vf_serial(nc, &serial));
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SWITCHING_TO_SYNTHETIC);
	assert_int_equal(gc.flushes, 1);
	assert_int_equal(gc.assoc, 1);		/* not told yet: still switching */
	guest_ack(nc, 2, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_SYNTHETIC);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SYNTHETIC);
	assert_int_equal(gc.assoc, 2);
	assert_false(gc.assoc_allocated);
	assert_int_equal(gc.state_at_assoc, NETVSC_DP_SYNTHETIC);
	netvsc_proto_destroy(nc);
}

/* Revoke while the switch to the VF is in flight: the ack lands, then straight back. */
static void test_guest_revoke_during_switch(void **state)
{
	struct netvsc_proto *nc = guest_new();

	(void)state;
	guest_assoc(nc, 1, 1);
	assert_int_equal(netvsc_proto_set_vf(nc, &vf_ops, NULL), 0);
	assert_int_equal(netvsc_proto__begin_switch(nc, NVSP_DATAPATH_VF), 0);
	guest_assoc(nc, 2, 0);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SWITCHING_TO_VF);
	assert_int_equal(gc.assoc, 1);
	guest_ack(nc, 1, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_VF);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SWITCHING_TO_SYNTHETIC);
	assert_int_equal(gc.flushes, 1);
	guest_ack(nc, 2, NVSP_STATUS_SUCCESS, NVSP_DATAPATH_SYNTHETIC);
	assert_int_equal(netvsc_proto_state(nc), NETVSC_DP_SYNTHETIC);
	assert_int_equal(gc.assoc, 2);
	assert_false(gc.assoc_allocated);
	netvsc_proto_destroy(nc);
}

static void test_guest_receive(void **state)
{
	struct inline_frame a;
	struct nvsp_msg_rndis_pkt m = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
					.channel_type = NVSP_RNDIS_CHANNEL_DATA,
					.section_index = 7 };
	struct {
		struct nvsp_msg_rndis_pkt p;
		struct rndis_indicate_status st;
	} down = { .p = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
			  .channel_type = NVSP_RNDIS_CHANNEL_CONTROL,
			  .section_index = NVSP_SECTION_INLINE, .section_size = 16 },
		   .st = { .hdr = { RNDIS_MSG_INDICATE_STATUS, 16 },
			   .status = RNDIS_STATUS_MEDIA_DISCONNECT } };
	uint8_t frame[64] = { 'R' };
	struct nvsp_frame f = { frame, sizeof(frame) };
	struct vmbus_pkt_in in[4];
	struct netvsc_proto *nc = guest_new();
	struct netvsc_proto_stats st;

	(void)state;
	inline_frame(&a, 'i');
	m.section_size = nvsp_rndis_put_packet(
		gmem_ptr(gm, RECV_GPA + 7u * NVSP_SECTION_SIZE, NVSP_SECTION_SIZE), &f);
	in[0] = pkt(VMBUS_PKT_DATA_INBAND, 0, &a, sizeof(a));
	in[1] = pkt(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_DATA, 7), &m, sizeof(m));
	in[2] = in[1];	/* the host reuses section 7 before we completed it */
	in[3] = pkt(VMBUS_PKT_DATA_INBAND, 0, &down, sizeof(down));
	netvsc_proto__dispatch(nc, in, 4);
	assert_int_equal(gc.rx, 2);
	assert_memory_equal(gc.tags, "iR", 2);
	assert_int_equal(gc.links, 1);
	assert_false(gc.link_up);
	netvsc_proto_get_stats(nc, &st);
	assert_int_equal(st.rx_frames, 2);
	assert_int_equal(st.rx_bytes, 124);
	assert_int_equal(st.refused, 1);
	/* received in every data-path state */
	assert_int_equal(netvsc_proto__set_state(nc, NETVSC_DP_SWITCHING_TO_VF), 0);
	netvsc_proto__dispatch(nc, in, 2);
	assert_int_equal(gc.rx, 4);
	netvsc_proto_destroy(nc);
}

static int setup(void **state)
{
	(void)state;
	log_configure("*=warn", NULL, 0);
	return gmem_create("nvsp-engine", MEM_SIZE, &gm);
}

static int teardown(void **state)
{
	(void)state;
	gmem_destroy(gm);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_state_tables),
		cmocka_unit_test(test_host_frames_before_switch),
		cmocka_unit_test(test_host_vf_lifecycle),
		cmocka_unit_test(test_host_send_sections),
		cmocka_unit_test(test_guest_state_table),
		cmocka_unit_test(test_guest_send_follows_state),
		cmocka_unit_test(test_guest_acks_by_sequence),
		cmocka_unit_test(test_guest_revoke_on_vf),
		cmocka_unit_test(test_guest_revoke_during_switch),
		cmocka_unit_test(test_guest_receive),
	};

	return cmocka_run_group_tests_name("hv/nvsp_engine", tests, setup, teardown);
}
