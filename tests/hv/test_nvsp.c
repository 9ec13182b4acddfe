/*
 * Cross-process NVSP tests: NetVSP (src/hv/netvsp.c) in this test process,
 * on its event loop, and the NetVsc protocol engine (src/hv/netvsc_proto.c)
 * in real VM child processes forked by partition_create(). The port is a
 * test double that checks every frame; a second VMBus channel stands in
 * for the VF (the guest's netvsc_vf_ops send through it; its flush waits
 * for the host's answer, as a VF's transmit completions would), so frames
 * from both data paths meet in one receiver that checks their order.
 *
 * Covers: negotiation (MAC, MTU, link, packet filter) and version mismatch
 * and downgrade; frames both ways with counts; batching with at most one
 * signal per batch; VF association, switch to VF and back with the host's
 * acknowledgement and VFDataPathActive; revoke while on the VF (guest
 * switches back first, then acknowledges); guest killed on the VF (host
 * reports inactive and survives); malformed messages each refused and
 * counted; a switch that is never acknowledged (timeout -> error ->
 * resynchronised) and a rescind during a switch; and a stream of numbered
 * frames both ways across repeated switches, checked for loss, duplicates
 * and order.
 *
 * Guest entry functions run in the child: they never use cmocka and report
 * through report frames and their exit status (0 = success). Every wait is
 * bounded (WAIT_MS) and fails with a message; children are reaped in
 * teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/netvsc_proto.h"
#include "hv/netvsp.h"
#include "hv/vmbus_priv.h"

#define MEM_SIZE (4u << 20)
#define RING_GPA 0x10000u
#define RING_LEN (16u * VMBUS_PAGE_SIZE)
#define VF_RING_GPA 0x40000u
#define RECV_GPA 0x100000u
#define SEND_GPA 0x200000u
#define BUF_LEN (256u * NVSP_SECTION_SIZE)
#define WAIT_MS 5000
#define SERIAL 0x5e1a1u

static const struct vmbus_guid FAKE_VF_TYPE = { { 'f', 'a', 'k', 'e', '-', 'v', 'f' } };
static const struct vmbus_guid INSTANCE = { { 0x4e, 0x49, 0x43, 0x30 } };
static const uint8_t MAC[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };

/* ---- test frames -------------------------------------------------------- */

/*
 * Ethernet header, then: u32 magic, u32 kind, u64 seq, u64 vals[8], then a
 * pattern derived from seq. Reports carry vals[0] = report id.
 */
#define TF_MAGIC 0x4e565350u	/* "NVSP" */
#define TF_HDR 14u
#define TF_BODY (TF_HDR + 16u)
#define TF_MIN (TF_BODY + 64u)
enum { K_DATA = 1, K_REPORT = 2, K_FIN = 3 };
enum { R_HELLO = 1, R_LINK, R_DONE, R_RX, R_RESULT, R_COUNT };

struct tframe {
	uint8_t b[NVSP_FRAME_MAX];
	uint32_t len;
};

static uint32_t data_len(uint64_t seq)
{
	return TF_MIN + (uint32_t)((seq * 37) % (NVSP_FRAME_MAX - TF_MIN + 1));
}

static void tf_build(struct tframe *f, uint32_t kind, uint64_t seq, const uint64_t *vals)
{
	uint32_t magic = TF_MAGIC;

	f->len = kind == K_DATA ? data_len(seq) : TF_MIN;
	memset(f->b, 0xff, 6);
	memcpy(f->b + 6, MAC, 6);
	f->b[12] = 0x88;
	f->b[13] = 0xb5;
	memcpy(f->b + TF_HDR, &magic, 4);
	memcpy(f->b + TF_HDR + 4, &kind, 4);
	memcpy(f->b + TF_HDR + 8, &seq, 8);
	memset(f->b + TF_BODY, 0, 64);
	if (vals)
		memcpy(f->b + TF_BODY, vals, 64);
	for (uint32_t i = TF_MIN; i < f->len; i++)
		f->b[i] = (uint8_t)(seq * 7 + i);
}

/* Parse; false if not one of ours or the pattern is wrong. */
static bool tf_parse(const uint8_t *d, uint32_t len, uint32_t *kind, uint64_t *seq, uint64_t *vals)
{
	uint32_t magic;

	if (len < TF_MIN)
		return false;
	memcpy(&magic, d + TF_HDR, 4);
	memcpy(kind, d + TF_HDR + 4, 4);
	memcpy(seq, d + TF_HDR + 8, 8);
	if (vals)
		memcpy(vals, d + TF_BODY, 64);
	if (magic != TF_MAGIC)
		return false;
	if (*kind == K_DATA) {
		if (len != data_len(*seq))
			return false;
		for (uint32_t i = TF_MIN; i < len; i++)
			if (d[i] != (uint8_t)(*seq * 7 + i))
				return false;
	}
	return true;
}

/* ---- guest side (child process) ----------------------------------------- */

struct guest {
	struct vmbus_guest *bus;
	struct netvsc_proto *nc;
	struct vmbus_channel *vf_ch;
	uint64_t rx_next, rx_count;
	bool rx_bad;
	unsigned fin;
	uint64_t fin_total;
	unsigned link_events;
	bool link_up;
	unsigned assoc_events;
	bool assoc_allocated;
	uint32_t assoc_serial;
	enum netvsc_dp_state state_at_assoc;
	uint64_t flush_seq;
	struct vmbus_pkt_in in[16];
	_Alignas(8) uint8_t buf[RING_LEN];
};

static struct guest G;

static void g_rx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	for (unsigned i = 0; i < n; i++) {
		uint32_t kind;
		uint64_t seq;

		if (!tf_parse(f[i].data, f[i].len, &kind, &seq, NULL)) {
			G.rx_bad = true;
			continue;
		}
		if (kind == K_FIN) {
			G.fin++;
			G.fin_total = seq;
			continue;
		}
		if (kind != K_DATA || seq != G.rx_next)
			G.rx_bad = true;
		G.rx_next = seq + 1;
		G.rx_count++;
	}
}

static void g_link(void *ctx, bool up)
{
	(void)ctx;
	G.link_events++;
	G.link_up = up;
}

static void g_assoc(void *ctx, bool allocated, uint32_t serial)
{
	(void)ctx;
	G.assoc_events++;
	G.assoc_allocated = allocated;
	G.assoc_serial = serial;
	/* may run inside netvsc_proto_create(), before G.nc is set */
	G.state_at_assoc = G.nc ? netvsc_proto_state(G.nc) : NETVSC_DP_SYNTHETIC;
}

static const struct netvsc_proto_ops g_ops = { g_rx, g_link, g_assoc };

/* The stand-in VF: frames go through the fake-VF channel. */
static int fvf_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	unsigned done = 0;

	(void)ctx;
	while (done < n) {
		struct vmbus_pkt p[16];
		unsigned k = 0;
		int s;

		for (; k < 16 && done + k < n; k++)
			p[k] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND,
						   .data = f[done + k].data, .len = f[done + k].len };
		s = vmbus_chan_send(G.vf_ch, p, k);
		if (s < 0)
			return s;
		done += (unsigned)s;
		if (s == 0 && vmbus_chan_wait_space(G.vf_ch, vmbus_chan_pkt_size(NVSP_FRAME_MAX),
						    WAIT_MS) <= 0)
			return -ETIMEDOUT;
	}
	return (int)n;
}

/* "Every frame left the VF": the host answers a marker after the frames before it. */
static int fvf_flush(void *ctx, int timeout_ms)
{
	uint64_t tid = 0xf1000000u + ++G.flush_seq;
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .trans_id = tid, .data = "FLUSH!!",
			       .len = 8 };

	(void)ctx;
	if (vmbus_chan_send(G.vf_ch, &p, 1) != 1)
		return -EIO;
	for (;;) {
		int n = vmbus_chan_recv(G.vf_ch, G.in, 16, G.buf, sizeof(G.buf));

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			if (G.in[i].type == VMBUS_PKT_COMP && G.in[i].trans_id == tid)
				return 0;
		if (n == 0 && vmbus_chan_wait(G.vf_ch, timeout_ms) <= 0)
			return -ETIMEDOUT;
	}
}

static const struct netvsc_vf_ops fvf_ops = { fvf_tx, fvf_flush };

static int g_up(struct partition_guest *pg, bool sriov, uint32_t max_version)
{
	struct netvsc_proto_config cfg = {
		.name = partition_guest_name(pg),
		.mem = partition_guest_mem(pg),
		.ring_gpa = RING_GPA, .ring_len = RING_LEN,
		.recv_buf_gpa = RECV_GPA, .recv_buf_len = BUF_LEN,
		.send_buf_gpa = SEND_GPA, .send_buf_len = BUF_LEN,
		.max_version = max_version,
		.sriov = sriov,
		.timeout_ms = WAIT_MS,
		.ops = &g_ops,
	};

	memset(&G, 0, sizeof(G));
	if (vmbus_guest_connect(pg, WAIT_MS, &G.bus))
		return -ENOTCONN;
	return netvsc_proto_create(G.bus, &cfg, &G.nc);
}

/* Open the fake VF and plug it in. */
static int g_vf_plug(void)
{
	G.vf_ch = vmbus_guest_find(G.bus, &FAKE_VF_TYPE);
	if (!G.vf_ch || vmbus_guest_open(G.vf_ch, VF_RING_GPA, RING_LEN, RING_LEN, WAIT_MS))
		return -ENODEV;
	return netvsc_proto_set_vf(G.nc, &fvf_ops, NULL);
}

/* Send all frames, polling while sections, ring space or a switch hold them. */
static int g_send(const struct nvsp_frame *f, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int s = netvsc_proto_send(G.nc, f + done, n - done);

		if (s < 0 && s != -EAGAIN)
			return s;
		if (s > 0) {
			done += (unsigned)s;
			continue;
		}
		if (netvsc_proto_poll(G.nc, WAIT_MS) <= 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static int g_report(uint64_t id, uint64_t v1, uint64_t v2, uint64_t v3, uint64_t v4,
		    uint64_t v5, uint64_t v6, uint64_t v7)
{
	uint64_t vals[8] = { id, v1, v2, v3, v4, v5, v6, v7 };
	struct tframe t;
	struct nvsp_frame f;

	tf_build(&t, K_REPORT, 0, vals);
	f = (struct nvsp_frame){ t.b, t.len };
	return g_send(&f, 1);
}

/* Poll until cond() holds; -ETIMEDOUT if the host goes quiet for WAIT_MS. */
static int g_poll_until(bool (*cond)(void))
{
	while (!cond()) {
		int n = netvsc_proto_poll(G.nc, WAIT_MS);

		if (n < 0)
			return n;
		if (n == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

static bool g_associated(void)
{
	return netvsc_proto_vf_serial(G.nc, NULL);
}

static bool g_link_down(void)
{
	return G.link_events > 0 && !G.link_up;
}

static bool g_fin(void)
{
	return G.fin >= 1;
}

static bool g_fin2(void)
{
	return G.fin >= 2;
}

static bool g_never(void)
{
	return false;
}

/* Handle host messages until the host rescinds the channel; then exit 0. */
static int g_until_rescind(void)
{
	int err = g_poll_until(g_never);

	netvsc_proto_destroy(G.nc);
	vmbus_guest_destroy(G.bus);
	return err == -ENODEV ? 0 : 90;
}

/* Bring-up, a hello report, a link-down report, then wait. */
static int guest_hello(struct partition_guest *pg, void *arg)
{
	const uint8_t *mac;
	uint64_t mac64 = 0;
	struct netvsc_proto_stats st;

	(void)arg;
	if (g_up(pg, true, 0))
		return 10;
	mac = netvsc_proto_mac(G.nc);
	memcpy(&mac64, mac, 6);
	netvsc_proto_get_stats(G.nc, &st);
	if (g_report(R_HELLO, netvsc_proto_version(G.nc), mac64, netvsc_proto_max_frame(G.nc),
		     netvsc_proto_link_up(G.nc), netvsc_proto_state(G.nc), st.refused, 0))
		return 11;
	if (g_poll_until(g_link_down))
		return 12;
	if (g_report(R_LINK, G.link_events, G.link_up, 0, 0, 0, 0, 0))
		return 13;
	return g_until_rescind();
}

/* The host speaks only NVSP 4, this guest at most 2: bring-up must fail cleanly. */
static int guest_old(struct partition_guest *pg, void *arg)
{
	int err = g_up(pg, true, NVSP_PROTO_V2);

	(void)arg;
	if (err != -EPROTONOSUPPORT)
		return 20;
	vmbus_guest_destroy(G.bus);
	return 0;
}

/* A host speaking at most NVSP 2: works, without SR-IOV. */
static int guest_downgrade(struct partition_guest *pg, void *arg)
{
	(void)arg;
	if (g_up(pg, true, 0))
		return 21;
	if (g_report(R_RESULT, netvsc_proto_version(G.nc), (uint64_t)-netvsc_proto_switch_to_vf(G.nc, WAIT_MS),
		     g_associated(), 0, 0, 0, 0))
		return 22;
	return g_until_rescind();
}

/* 1000 frames out, 1000 expected in, then a report. */
#define NFRAMES 1000u

static bool g_all_rx(void)
{
	return G.rx_count >= NFRAMES || G.rx_bad;
}

static int guest_exchange(struct partition_guest *pg, void *arg)
{
	static struct tframe t[32];
	struct nvsp_frame f[32];
	struct netvsc_proto_stats st;

	(void)arg;
	if (g_up(pg, true, 0))
		return 30;
	for (uint64_t seq = 0; seq < NFRAMES;) {
		unsigned k = 0;

		for (; k < 32 && seq < NFRAMES; k++, seq++) {
			tf_build(&t[k], K_DATA, seq, NULL);
			f[k] = (struct nvsp_frame){ t[k].b, t[k].len };
		}
		if (g_send(f, k))
			return 31;
	}
	if (g_poll_until(g_all_rx))
		return 32;
	netvsc_proto_get_stats(G.nc, &st);
	if (g_report(R_RX, G.rx_count, G.rx_bad, st.rx_frames, st.tx_synthetic, st.tx_vf,
		     st.refused, 0))
		return 33;
	return g_until_rescind();
}

static bool g_got_64(void)
{
	return G.rx_count >= 64 || G.rx_bad;
}

/* Doorbells: 64 frames in one send cost at most one signal; 64 in, likewise. */
static int guest_batch(struct partition_guest *pg, void *arg)
{
	static struct tframe t[64];
	struct nvsp_frame f[64];
	struct vmbus_chan_stats before, after;
	int sent;

	(void)arg;
	if (g_up(pg, true, 0))
		return 40;
	if (g_report(R_HELLO, 0, 0, 0, 0, 0, 0, 0))
		return 41;
	if (g_poll_until(g_got_64))	/* the host sends 64 in one call meanwhile */
		return 42;
	while (netvsc_proto_poll(G.nc, 0) > 0)	/* completions out, nothing pending */
		;
	for (unsigned i = 0; i < 64; i++) {
		tf_build(&t[i], K_DATA, i, NULL);
		f[i] = (struct nvsp_frame){ t[i].b, t[i].len };
	}
	vmbus_chan_get_stats(netvsc_proto_channel(G.nc), &before);
	sent = netvsc_proto_send(G.nc, f, 64);
	vmbus_chan_get_stats(netvsc_proto_channel(G.nc), &after);
	if (g_report(R_RESULT, (uint64_t)sent, after.signals - before.signals, G.rx_count,
		     G.rx_bad, after.wakeups, 0, 0))
		return 43;
	return g_until_rescind();
}

/*
 * SR-IOV basics: wait for the association, switch to the VF (report),
 * send a frame through it, switch back (report), wait.
 */
static int guest_switch(struct partition_guest *pg, void *arg)
{
	uint32_t serial = 0;
	int early, rc;

	(void)arg;
	if (g_up(pg, true, 0))
		return 50;
	if (g_vf_plug() || g_report(R_HELLO, 0, 0, 0, 0, 0, 0, 0))
		return 51;
	/* The host offers the VF once it has the hello; we have not polled since. */
	early = netvsc_proto_switch_to_vf(G.nc, WAIT_MS);
	if (g_poll_until(g_associated) || !netvsc_proto_vf_serial(G.nc, &serial))
		return 52;
	rc = netvsc_proto_switch_to_vf(G.nc, WAIT_MS);
	if (g_report(R_RESULT, (uint64_t)-early, (uint64_t)-rc, serial, netvsc_proto_state(G.nc),
		     G.assoc_events, 0, 1))
		return 53;	/* this report goes through the VF */
	if (g_poll_until(g_fin))	/* the host has looked */
		return 55;
	rc = netvsc_proto_switch_to_synthetic(G.nc, WAIT_MS);
	if (g_report(R_RESULT, (uint64_t)-rc, netvsc_proto_state(G.nc), 0, 0, 0, 0, 2))
		return 54;
	return g_until_rescind();
}

static bool g_assoc_withdrawn(void)
{
	return G.assoc_events >= 2 && !G.assoc_allocated;
}

/* On the VF when the host revokes: back to synthetic first, then told. */
static int guest_revoke(struct partition_guest *pg, void *arg)
{
	struct netvsc_proto_stats st;

	(void)arg;
	if (g_up(pg, true, 0) || g_vf_plug())
		return 60;
	if (g_poll_until(g_associated) || netvsc_proto_switch_to_vf(G.nc, WAIT_MS))
		return 61;
	if (g_report(R_RESULT, netvsc_proto_state(G.nc), 0, 0, 0, 0, 0, 1))
		return 62;
	if (g_poll_until(g_assoc_withdrawn))
		return 63;
	netvsc_proto_get_stats(G.nc, &st);
	if (g_report(R_RESULT, netvsc_proto_state(G.nc), G.state_at_assoc, st.switches,
		     G.assoc_events, g_associated(), 0, 2))
		return 64;
	return g_until_rescind();
}

/* On the VF, then idle until killed. */
static int guest_on_vf(struct partition_guest *pg, void *arg)
{
	(void)arg;
	if (g_up(pg, true, 0) || g_vf_plug())
		return 70;
	if (g_poll_until(g_associated) || netvsc_proto_switch_to_vf(G.nc, WAIT_MS))
		return 71;
	if (g_report(R_RESULT, netvsc_proto_state(G.nc), 0, 0, 0, 0, 0, 1))
		return 72;
	return g_until_rescind();
}

/* Raw packets on the NVSP channel, behind the engine's back. */
static int g_raw(uint16_t type, uint64_t tid, const void *data, uint32_t len)
{
	struct vmbus_pkt p = { .type = type, .trans_id = tid, .data = data, .len = len };

	return vmbus_chan_send(netvsc_proto_channel(G.nc), &p, 1) == 1 ? 0 : -EIO;
}

#define HOST_REFUSALS 16u	/* what guest_malformed sends that NetVSP must refuse */
#define GUEST_REFUSALS 4u	/* answers to it the engine must refuse in turn */

static bool g_refused_4(void)
{
	struct netvsc_proto_stats st;

	netvsc_proto_get_stats(G.nc, &st);
	return st.refused >= GUEST_REFUSALS;
}

static int guest_malformed(struct partition_guest *pg, void *arg)
{
	static uint8_t big[40000];
	struct nvsp_msg_hdr unknown = { .type = 999 };
	struct nvsp_msg_init_complete initc = { .hdr = { .type = NVSP_MSG_TYPE_INIT_COMPLETE } };
	struct nvsp_msg_switch_data_path sw = { .hdr = { .type = NVSP_MSG4_TYPE_SWITCH_DATA_PATH },
						.active_datapath = 7 };
	struct nvsp_msg_rndis_pkt sec = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
					  .section_index = 9999, .section_size = 100 };
	struct nvsp_msg_rndis_pkt_complete comp = {
		.hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE },
		.status = NVSP_STATUS_SUCCESS };
	struct nvsp_msg_vf_ack ack = { .hdr = { .type = NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION },
				       .status = NVSP_STATUS_SUCCESS };
	struct nvsp_msg_init init = { .hdr = { .type = NVSP_MSG_TYPE_INIT },
				      .min_version = NVSP_PROTO_V4, .max_version = NVSP_PROTO_V4 };
	struct nvsp_msg_send_buf lend = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RECV_BUF },
					  .gpa = RECV_GPA, .len = BUF_LEN };
	struct {
		struct nvsp_msg_rndis_pkt pkt;
		union {
			struct rndis_packet p;
			struct rndis_request r;
		};
		uint8_t frame[64];
	} in = { .pkt = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
			  .section_index = NVSP_SECTION_INLINE } };
	struct rndis_packet liar = { .hdr = { .type = RNDIS_MSG_PACKET, .len = 999 },
				     .data_offset = 16, .data_len = 60 };
	struct netvsc_proto_stats st;
	uint32_t inl = (uint32_t)sizeof(in);

	(void)arg;
	if (g_up(pg, false, 0))
		return 80;
	in.pkt.section_size = inl - (uint32_t)sizeof(in.pkt);
	if (g_raw(VMBUS_PKT_DATA_INBAND, 0, "abcd", 4) ||			/* short */
	    g_raw(VMBUS_PKT_DATA_INBAND, 0, &unknown, sizeof(unknown)) ||	/* unknown type */
	    g_raw(VMBUS_PKT_DATA_INBAND, 0, &initc, sizeof(initc)) ||		/* wrong way */
	    g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_SWITCH_DATA_PATH, 0), &sw, 12) ||
	    g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_DATA, 9999), &sec, sizeof(sec)))
		return 81;
	/* inline: 10-byte frame; SET with information past its end; PACKET as control */
	in.p = (struct rndis_packet){ .hdr = { RNDIS_MSG_PACKET, in.pkt.section_size },
				      .data_offset = 16, .data_len = 10 };
	if (g_raw(VMBUS_PKT_DATA_INBAND, 0, &in, inl))
		return 82;
	in.pkt.channel_type = NVSP_RNDIS_CHANNEL_CONTROL;
	in.r = (struct rndis_request){ .hdr = { RNDIS_MSG_SET, in.pkt.section_size },
				       .oid = RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
				       .info_len = 4, .info_offset = 200 };
	if (g_raw(VMBUS_PKT_DATA_INBAND, 0, &in, inl))
		return 83;
	in.p = (struct rndis_packet){ .hdr = { RNDIS_MSG_PACKET, in.pkt.section_size },
				      .data_offset = 16, .data_len = 60 };
	if (g_raw(VMBUS_PKT_DATA_INBAND, 0, &in, inl))
		return 84;
	/* switch to data path 7 (answered: failed); a switch with a foreign id */
	if (g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_SWITCH_DATA_PATH, 0), &sw, sizeof(sw)) ||
	    g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_CONTROL, 1), &sw, sizeof(sw)))
		return 85;
	/* completions of things never sent */
	if (g_raw(VMBUS_PKT_COMP, NVSP_TID(NVSP_TID_DATA, 200), &comp, sizeof(comp)) ||
	    g_raw(VMBUS_PKT_COMP, NVSP_TID(NVSP_TID_VF_ASSOCIATION, 5), &ack, sizeof(ack)))
		return 86;
	/* INIT again, the receive buffer again (both answered: failed) */
	if (g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_CONTROL, 99), &init, sizeof(init)) ||
	    g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_CONTROL, 98), &lend, sizeof(lend)))
		return 87;
	/* a section whose RNDIS header lies about its length (completed: invalid) */
	memcpy(gmem_ptr(partition_guest_mem(pg), SEND_GPA + 250u * NVSP_SECTION_SIZE,
			sizeof(liar)), &liar, sizeof(liar));
	sec.section_index = 250;
	if (g_raw(VMBUS_PKT_DATA_INBAND, NVSP_TID(NVSP_TID_DATA, 250), &sec, sizeof(sec)))
		return 88;
	/* larger than any NVSP message */
	if (g_raw(VMBUS_PKT_DATA_INBAND, 0, big, sizeof(big)))
		return 89;
	/* the host's answers to the above that must be refused here */
	if (g_poll_until(g_refused_4))
		return 90;
	netvsc_proto_get_stats(G.nc, &st);
	/* and the adapter still works */
	if (g_report(R_RESULT, st.refused, netvsc_proto_state(G.nc), 0, 0, 0, 0, 0))
		return 91;
	return g_until_rescind();
}

/* Wait for the host's go (a FIN frame) before doing what the test is about. */
static int g_hello_and_go(void)
{
	if (g_vf_plug() || g_poll_until(g_associated))
		return -ENODEV;
	if (g_report(R_HELLO, 0, 0, 0, 0, 0, 0, 0))
		return -EIO;
	return g_poll_until(g_fin);
}

/* The host does not answer the switch in time; then resynchronise. */
static int guest_timeout(struct partition_guest *pg, void *arg)
{
	static struct tframe t;
	struct netvsc_proto_stats st;
	struct nvsp_frame f;
	uint64_t vals[8] = { R_RESULT };
	int rc;

	(void)arg;
	if (g_up(pg, true, 0) || g_hello_and_go())
		return 100;
	rc = netvsc_proto_switch_to_vf(G.nc, 300);
	vals[1] = (uint64_t)-rc;
	vals[2] = netvsc_proto_state(G.nc);
	vals[3] = (uint64_t)netvsc_proto_send(G.nc, NULL, 0);	/* error sends synthetic: 0 */
	tf_build(&t, K_REPORT, 0, vals);
	f = (struct nvsp_frame){ t.b, t.len };
	if (fvf_tx(NULL, &f, 1) != 1)	/* the host watches this channel meanwhile */
		return 101;
	if (g_poll_until(g_fin2))	/* the late acknowledgement arrives meanwhile */
		return 103;
	rc = netvsc_proto_switch_to_synthetic(G.nc, WAIT_MS);
	netvsc_proto_get_stats(G.nc, &st);
	if (g_report(R_RESULT, (uint64_t)-rc, netvsc_proto_state(G.nc), st.stale_acks,
		     st.switches, 0, 0, 0))
		return 102;
	return g_until_rescind();
}

/* The channel is rescinded while the guest waits for the switch acknowledgement. */
static int guest_rescind_switch(struct partition_guest *pg, void *arg)
{
	int rc;

	(void)arg;
	if (g_up(pg, true, 0) || g_hello_and_go())
		return 110;
	rc = netvsc_proto_switch_to_vf(G.nc, WAIT_MS);
	if (rc != -ENODEV)
		return 111;
	if (netvsc_proto_state(G.nc) != NETVSC_DP_RESCINDED)
		return 112;
	if (netvsc_proto_send(G.nc, NULL, 0) != -ENODEV)
		return 113;
	netvsc_proto_destroy(G.nc);
	vmbus_guest_destroy(G.bus);
	return 0;
}

/*
 * Numbered frames out, switching to the VF and back every SWITCH_EVERY
 * frames, while the host streams numbered frames in.
 */
#define STREAM_TOTAL 3000u
#define SWITCH_EVERY 250u
#define STREAM_HELD_MAX (SWITCH_EVERY + 16u)	/* a VF period, and a batch to spare */

static int guest_stream(struct partition_guest *pg, void *arg)
{
	static struct tframe t[16];
	struct nvsp_frame f[16];
	struct netvsc_proto_stats st;
	uint64_t next_switch = SWITCH_EVERY;
	bool to_vf = true;

	(void)arg;
	if (g_up(pg, true, 0) || g_vf_plug() || g_poll_until(g_associated))
		return 120;
	if (g_report(R_HELLO, 0, 0, 0, 0, 0, 0, 0))
		return 121;
	for (uint64_t seq = 0; seq < STREAM_TOTAL;) {
		unsigned k = 0;

		for (; k < 16 && seq < STREAM_TOTAL; k++, seq++) {
			tf_build(&t[k], K_DATA, seq, NULL);
			f[k] = (struct nvsp_frame){ t[k].b, t[k].len };
		}
		if (g_send(f, k))
			return 122;
		if (netvsc_proto_poll(G.nc, 0) < 0)
			return 123;
		if (seq >= next_switch) {
			int rc = to_vf ? netvsc_proto_switch_to_vf(G.nc, WAIT_MS)
				       : netvsc_proto_switch_to_synthetic(G.nc, WAIT_MS);

			if (rc)
				return 124;
			to_vf = !to_vf;
			next_switch += SWITCH_EVERY;
		}
	}
	if (netvsc_proto_switch_to_synthetic(G.nc, WAIT_MS))
		return 125;
	netvsc_proto_get_stats(G.nc, &st);
	if (g_report(R_DONE, st.tx_synthetic, st.tx_vf, st.switches, st.tx_held, G.rx_count,
		     G.rx_bad, 0))
		return 126;
	if (g_poll_until(g_fin))
		return 127;
	if (g_report(R_RX, G.rx_count, G.rx_bad, G.fin_total, G.rx_next, 0, 0, 0))
		return 128;
	return g_until_rescind();
}

/* ---- host side (this process) ------------------------------------------- */

struct host {
	struct partition *p;
	struct vmbus_host *vh;
	struct netvsp *nsp;
	struct vmbus_channel *vf_ch;
	bool gone;
	int wstatus;
	/* receiver: frames from both paths */
	uint64_t tx_next, frames[2], seq_errors, bad_frames, port_calls;
	uint64_t reports[R_COUNT][4][8];	/* the first four of each kind */
	unsigned have[R_COUNT];
	int report_path[R_COUNT][4];	/* 0 synthetic, 1 VF: how each came */
	enum netvsp_event events[32];
	unsigned nevents;
	/*
	 * Lazy VF (the stream test): frames the fake VF takes are held and reach
	 * the receiver only when the guest flushes the VF -- the slowest VF the
	 * contract allows. A synthetic frame reaching the port while VF frames
	 * are still held or unread is an overlap: a reorder the timing chose
	 * not to show this time.
	 */
	bool lazy_vf;
	struct held {
		uint32_t len;
		uint8_t b[NVSP_FRAME_MAX];
	} *held;
	unsigned nheld;
	uint64_t overlaps;
	/* rx stream to the guest */
	bool streaming;
	uint64_t rx_seq;
	struct vmbus_pkt_in in[16];
	_Alignas(8) uint8_t buf[RING_LEN];
};

static struct evloop *loop;
static struct host hosts[2];

static void host_frame(struct host *h, const uint8_t *d, uint32_t len, int path)
{
	uint32_t kind;
	uint64_t seq, vals[8];

	if (!tf_parse(d, len, &kind, &seq, vals)) {
		h->bad_frames++;
		return;
	}
	if (kind == K_REPORT && vals[0] > 0 && vals[0] < R_COUNT) {
		if (h->have[vals[0]] < 4) {
			memcpy(h->reports[vals[0]][h->have[vals[0]]], vals, sizeof(vals));
			h->report_path[vals[0]][h->have[vals[0]]] = path;
		}
		h->have[vals[0]]++;
		return;
	}
	if (kind != K_DATA || seq != h->tx_next)
		h->seq_errors++;
	h->tx_next = seq + 1;
	h->frames[path]++;
}

static uint32_t ring_bytes(const struct vmbus_ring *r);

static int port_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	struct host *h = ctx;

	h->port_calls++;
	if (h->lazy_vf && (h->nheld || (h->vf_ch && ring_bytes(&h->vf_ch->in))))
		h->overlaps++;
	for (unsigned i = 0; i < n; i++)
		host_frame(h, f[i].data, f[i].len, 0);
	return (int)n;
}

static void port_event(void *ctx, enum netvsp_event ev)
{
	struct host *h = ctx;

	if (h->nevents < sizeof(h->events) / sizeof(h->events[0]))
		h->events[h->nevents++] = ev;
}

static const struct netvsp_port_ops port_ops = { port_tx, port_event };

/* The fake VF's far end: frames into the receiver, flush markers answered. */
static void on_fake_vf(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	struct host *h = arg;

	if (ev == VMBUS_CHAN_EV_RESCINDED)
		h->vf_ch = NULL;
	if (ev != VMBUS_CHAN_EV_DATA)
		return;
	for (;;) {
		int n = vmbus_chan_recv(ch, h->in, 16, h->buf, sizeof(h->buf));

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if ((h->in[i].trans_id >> 24) == 0xf1) {
				struct vmbus_pkt c = { .type = VMBUS_PKT_COMP,
						       .trans_id = h->in[i].trans_id,
						       .data = "done", .len = 4 };

				for (unsigned k = 0; k < h->nheld; k++)
					host_frame(h, h->held[k].b, h->held[k].len, 1);
				h->nheld = 0;
				vmbus_chan_send(ch, &c, 1);
				continue;
			}
			if (h->lazy_vf && h->nheld < STREAM_HELD_MAX &&
			    h->in[i].len <= NVSP_FRAME_MAX) {
				h->held[h->nheld].len = h->in[i].len;
				memcpy(h->held[h->nheld++].b, h->in[i].data, h->in[i].len);
				continue;
			}
			host_frame(h, h->in[i].data, h->in[i].len, 1);
		}
	}
}

static void on_gone(struct partition *p, int wstatus, void *arg)
{
	struct host *h = arg;

	(void)p;
	h->gone = true;
	h->wstatus = wstatus;
}

/* Push numbered frames to the guest while streaming; true if it pushed. */
static bool host_push_rx(struct host *h)
{
	static struct tframe t[8];
	struct nvsp_frame f[8];
	int n;

	if (!h->streaming || !h->nsp || netvsp_state(h->nsp) != NETVSP_READY)
		return false;
	for (unsigned i = 0; i < 8; i++) {
		tf_build(&t[i], K_DATA, h->rx_seq + i, NULL);
		f[i] = (struct nvsp_frame){ t[i].b, t[i].len };
	}
	n = netvsp_rx_frames(h->nsp, f, 8);
	if (n > 0)
		h->rx_seq += (uint64_t)n;
	return true;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Run the loop until done(h), failing the test after WAIT_MS. */
static void run_until(struct host *h, bool (*done)(const struct host *h), const char *what)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!done(h)) {
		long ms = ms_since(&t0);
		bool busy;

		if (ms >= WAIT_MS)
			fail_msg("timed out after %d ms waiting for %s", WAIT_MS, what);
		busy = host_push_rx(h);
		assert_true(evloop_run_once(loop, busy ? 1 : (int)(WAIT_MS - ms)) >= 0);
	}
}

#define HAVE_FN(name, id, count)                                                           \
	static bool name(const struct host *h)                                             \
	{                                                                                  \
		return h->have[id] >= (count);                                             \
	}
HAVE_FN(have_hello, R_HELLO, 1)
HAVE_FN(have_link, R_LINK, 1)
HAVE_FN(have_rx, R_RX, 1)
HAVE_FN(have_result1, R_RESULT, 1)
HAVE_FN(have_result2, R_RESULT, 2)
HAVE_FN(have_done, R_DONE, 1)

static bool is_gone(const struct host *h)
{
	return h->gone;
}

static bool is_ready(const struct host *h)
{
	return h->nsp && netvsp_state(h->nsp) == NETVSP_READY;
}

/* Ready and the guest's RNDIS packet filter set: it takes frames. */
static bool takes_frames(const struct host *h)
{
	return is_ready(h) && netvsp_packet_filter(h->nsp) != 0;
}

static bool vf_active(const struct host *h)
{
	return netvsp_vf_data_path_active(h->nsp);
}

static bool nsp_gone(const struct host *h)
{
	return netvsp_state(h->nsp) == NETVSP_GONE && h->gone;
}

static bool assoc_acked(const struct host *h)
{
	for (unsigned i = 0; i < h->nevents; i++)
		if (h->events[i] == NETVSP_EV_VF_ASSOC_ACKED)
			return true;
	return false;
}

static void host_fin(struct host *h, uint64_t n);

static void start(struct host *h, const char *name, partition_entry_fn entry,
		  uint32_t min_version, uint32_t max_version)
{
	struct partition_config pc = {
		.name = name, .mem_size = MEM_SIZE, .entry = entry,
		.gone = on_gone, .gone_arg = h,
	};
	struct netvsp_config nc = {
		.name = name, .instance = INSTANCE, .min_version = min_version,
		.max_version = max_version, .port = &port_ops, .port_ctx = h,
	};

	memset(h, 0, sizeof(*h));
	assert_int_equal(partition_create(loop, &pc, &h->p), 0);
	assert_int_equal(vmbus_host_create(h->p, &h->vh), 0);
	nc.mem = partition_mem(h->p);
	memcpy(nc.mac, MAC, sizeof(MAC));
	assert_int_equal(netvsp_create(h->vh, &nc, &h->nsp), 0);
	assert_int_equal(vmbus_host_offer(h->vh, &FAKE_VF_TYPE, &INSTANCE, on_fake_vf, h,
					  &h->vf_ch), 0);
}

static void expect_exit(struct host *h, int code)
{
	run_until(h, is_gone, "the partition to exit");
	if (!WIFEXITED(h->wstatus) || WEXITSTATUS(h->wstatus) != code)
		fail_msg("guest ended with status 0x%x, expected exit %d", h->wstatus, code);
}

/* Rescind the adapter; the guest then exits 0. */
static void finish(struct host *h)
{
	netvsp_destroy(h->nsp);
	h->nsp = NULL;
	expect_exit(h, 0);
}

static int setup(void **state)
{
	(void)state;
	memset(hosts, 0, sizeof(hosts));
	return evloop_create(&loop);
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		free(hosts[i].held);
		netvsp_destroy(hosts[i].nsp);
		vmbus_host_destroy(hosts[i].vh);
		partition_destroy(hosts[i].p);	/* kills and reaps a child still running */
	}
	memset(hosts, 0, sizeof(hosts));
	evloop_destroy(loop);
	loop = NULL;
	return 0;
}

static void test_negotiate(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;
	uint64_t mac64 = 0;

	(void)state;
	start(h, "vm-hello", guest_hello, 0, 0);
	run_until(h, have_hello, "the guest's hello");
	memcpy(&mac64, MAC, 6);
	assert_int_equal(netvsp_state(h->nsp), NETVSP_READY);
	assert_int_equal(netvsp_version(h->nsp), NVSP_PROTO_V4);
	assert_int_equal(netvsp_packet_filter(h->nsp), RNDIS_PACKET_TYPE_DIRECTED |
			 RNDIS_PACKET_TYPE_MULTICAST | RNDIS_PACKET_TYPE_BROADCAST);
	assert_int_equal(h->reports[R_HELLO][0][1], NVSP_PROTO_V4);
	assert_int_equal(h->reports[R_HELLO][0][2], mac64);
	assert_int_equal(h->reports[R_HELLO][0][3], NVSP_MTU_DEFAULT);
	assert_int_equal(h->reports[R_HELLO][0][4], 1);			/* link up */
	assert_int_equal(h->reports[R_HELLO][0][5], NETVSC_DP_SYNTHETIC);
	assert_int_equal(h->reports[R_HELLO][0][6], 0);			/* nothing refused */
	assert_int_equal(h->events[0], NETVSP_EV_READY);

	assert_int_equal(netvsp_link_set(h->nsp, false), 0);
	run_until(h, have_link, "the guest's link-down report");
	assert_int_equal(h->reports[R_LINK][0][1], 1);
	assert_int_equal(h->reports[R_LINK][0][2], 0);
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_NONE);
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.tx_frames, 2);	/* the two reports */
	finish(h);
}

static void test_version_mismatch(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;

	(void)state;
	start(h, "vm-old", guest_old, NVSP_PROTO_V4, 0);
	expect_exit(h, 0);	/* the guest saw -EPROTONOSUPPORT */
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.refused, 2);	/* INIT for 2 and for 1 */
	assert_int_equal(netvsp_version(h->nsp), 0);
	assert_int_not_equal(netvsp_state(h->nsp), NETVSP_READY);
}

static void test_version_downgrade(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;

	(void)state;
	start(h, "vm-v2", guest_downgrade, 0, NVSP_PROTO_V2);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), 0);	/* wanted, never sent */
	run_until(h, have_result1, "the guest's result");
	assert_int_equal(netvsp_version(h->nsp), NVSP_PROTO_V2);
	assert_int_equal(h->reports[R_RESULT][0][1], NVSP_PROTO_V2);
	assert_int_equal(h->reports[R_RESULT][0][2], EOPNOTSUPP);	/* no SR-IOV below 4 */
	assert_int_equal(h->reports[R_RESULT][0][3], 0);		/* no association */
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_NONE);
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.refused, 1);	/* the INIT for 4 */
	finish(h);
}

static void test_frames_both_ways(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;
	struct vmbus_chan_stats cs;

	(void)state;
	start(h, "vm-exchange", guest_exchange, 0, 0);
	run_until(h, is_ready, "negotiation");
	h->streaming = true;	/* frames to the guest as fast as it takes them */
	run_until(h, have_rx, "frames both ways");
	h->streaming = false;
	assert_true(h->rx_seq >= NFRAMES);
	assert_int_equal(h->frames[0], NFRAMES);
	assert_int_equal(h->frames[1], 0);
	assert_int_equal(h->seq_errors, 0);
	assert_int_equal(h->bad_frames, 0);
	assert_true(h->reports[R_RX][0][1] >= NFRAMES);	/* guest got them, in order */
	assert_int_equal(h->reports[R_RX][0][2], 0);
	assert_int_equal(h->reports[R_RX][0][3], h->reports[R_RX][0][1]);	/* its rx counter */
	assert_int_equal(h->reports[R_RX][0][4], NFRAMES);		/* tx_synthetic */
	assert_int_equal(h->reports[R_RX][0][5], 0);		/* tx_vf */
	assert_int_equal(h->reports[R_RX][0][6], 0);		/* refused */
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.tx_frames, NFRAMES + 1);		/* + the report */
	assert_int_equal(st.tx_dropped, 0);
	assert_int_equal(st.rx_frames + st.rx_waiting, h->rx_seq);	/* accepted = sent + waiting */
	assert_true(st.tx_bytes > NFRAMES * TF_MIN);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.tx_while_vf, 0);
	/* batched: the guest sends 32 at a time, the port sees them in batches */
	assert_true(h->port_calls <= NFRAMES / 16);
	vmbus_chan_get_stats(netvsp_channel(h->nsp), &cs);
	assert_int_equal(cs.in.bad_header + cs.in.bad_index + cs.bad_type, 0);
	finish(h);
}

/*
 * More frames than the guest has receive sections (256) and ring space: the
 * port keeps the rest in order and sends them as the guest returns sections,
 * instead of dropping them (a descheduled guest loses nothing).
 */
static void test_rx_backlog_keeps_order(void **state)
{
	static struct tframe t[NFRAMES];
	static struct nvsp_frame f[NFRAMES];
	struct host *h = &hosts[0];
	struct netvsp_stats st;

	(void)state;
	start(h, "vm-backlog", guest_exchange, 0, 0);
	run_until(h, takes_frames, "the guest's packet filter");
	for (unsigned i = 0; i < NFRAMES; i++) {
		tf_build(&t[i], K_DATA, i, NULL);
		f[i] = (struct nvsp_frame){ t[i].b, t[i].len };
	}
	assert_int_equal(netvsp_rx_frames(h->nsp, f, NFRAMES), NFRAMES);
	netvsp_get_stats(h->nsp, &st);
	assert_true(st.rx_frames <= 256);		/* no more than the guest's sections */
	assert_int_equal(st.rx_frames + st.rx_waiting, NFRAMES);
	assert_true(st.rx_backlogged >= NFRAMES - 256);
	assert_int_equal(st.rx_dropped, 0);
	run_until(h, have_rx, "the backlog drained to the guest");
	assert_int_equal(h->reports[R_RX][0][1], NFRAMES);	/* all of them ... */
	assert_int_equal(h->reports[R_RX][0][2], 0);		/* ... in order */
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.rx_frames, NFRAMES);
	assert_int_equal(st.rx_waiting, 0);
	assert_int_equal(st.rx_dropped, 0);
	finish(h);
}

/* Past the backlog's bound the excess is dropped and counted, never queued without limit. */
static void test_rx_backlog_is_bounded(void **state)
{
	static struct tframe t[3000];
	static struct nvsp_frame f[3000];
	struct host *h = &hosts[0];
	struct netvsp_stats st;
	int took;

	(void)state;
	start(h, "vm-backlog-full", guest_exchange, 0, 0);
	run_until(h, takes_frames, "the guest's packet filter");
	for (unsigned i = 0; i < 3000; i++) {
		tf_build(&t[i], K_DATA, i, NULL);
		f[i] = (struct nvsp_frame){ t[i].b, t[i].len };
	}
	took = netvsp_rx_frames(h->nsp, f, 3000);
	netvsp_get_stats(h->nsp, &st);
	assert_true(took >= (int)NFRAMES && took < 3000);
	assert_int_equal(st.rx_waiting, 1024);			/* NETVSP_BACKLOG */
	assert_int_equal(st.rx_frames + st.rx_waiting, (uint64_t)took);
	assert_int_equal(st.rx_dropped, 3000 - (uint64_t)took);
	run_until(h, have_rx, "the guest's first 1000 frames");
	assert_int_equal(h->reports[R_RX][0][2], 0);		/* in order, the tail was what went */
	finish(h);
}

static void test_batching(void **state)
{
	static struct tframe t[64];
	struct nvsp_frame f[64];
	struct host *h = &hosts[0];
	struct vmbus_chan_stats before, after;

	(void)state;
	start(h, "vm-batch", guest_batch, 0, 0);
	run_until(h, have_hello, "the guest's hello");
	for (unsigned i = 0; i < 64; i++) {
		tf_build(&t[i], K_DATA, i, NULL);
		f[i] = (struct nvsp_frame){ t[i].b, t[i].len };
	}
	vmbus_chan_get_stats(netvsp_channel(h->nsp), &before);
	assert_int_equal(netvsp_rx_frames(h->nsp, f, 64), 64);
	vmbus_chan_get_stats(netvsp_channel(h->nsp), &after);
	assert_true(after.signals - before.signals <= 1);
	assert_int_equal(after.out.packets - before.out.packets, 64);
	run_until(h, have_result1, "the guest's batch result");
	assert_int_equal(h->reports[R_RESULT][0][1], 64);	/* one send took all 64 */
	assert_true(h->reports[R_RESULT][0][2] <= 1);	/* ... for at most one doorbell */
	assert_int_equal(h->reports[R_RESULT][0][3], 64);	/* it got our 64 */
	assert_int_equal(h->reports[R_RESULT][0][4], 0);
	assert_int_equal(h->frames[0], 64);
	assert_int_equal(h->seq_errors, 0);
	finish(h);
}

static void test_switch_to_vf_and_back(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;

	(void)state;
	start(h, "vm-switch", guest_switch, 0, 0);
	run_until(h, have_hello, "the guest's hello");
	assert_false(netvsp_vf_data_path_active(h->nsp));
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_NONE);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), 0);
	run_until(h, have_result1, "the guest's switch to the VF");
	assert_int_equal(h->reports[R_RESULT][0][1], ENOENT);	/* before the association */
	assert_int_equal(h->reports[R_RESULT][0][2], 0);		/* then it worked */
	assert_int_equal(h->reports[R_RESULT][0][3], SERIAL);
	assert_int_equal(h->reports[R_RESULT][0][4], NETVSC_DP_VF);
	assert_int_equal(h->reports[R_RESULT][0][5], 1);		/* told once */
	assert_int_equal(h->report_path[R_RESULT][0], 1);		/* sent through the VF */
	assert_true(netvsp_vf_data_path_active(h->nsp));	/* VFDataPathActive */
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_ACTIVE);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL + 1), -EBUSY);

	host_fin(h, 0);
	run_until(h, have_result2, "the guest's switch back");
	assert_int_equal(h->reports[R_RESULT][1][1], 0);
	assert_int_equal(h->reports[R_RESULT][1][2], NETVSC_DP_SYNTHETIC);
	assert_int_equal(h->report_path[R_RESULT][1], 0);
	assert_false(netvsp_vf_data_path_active(h->nsp));
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_ASSOCIATED);
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.switches, 2);
	assert_int_equal(st.refused, 0);
	/* ready, association acked, VF, synthetic -- in that order */
	assert_int_equal(h->nevents, 4);
	assert_int_equal(h->events[0], NETVSP_EV_READY);
	assert_int_equal(h->events[1], NETVSP_EV_VF_ASSOC_ACKED);
	assert_int_equal(h->events[2], NETVSP_EV_DATA_PATH_VF);
	assert_int_equal(h->events[3], NETVSP_EV_DATA_PATH_SYNTHETIC);
	finish(h);
}

static void test_revoke_while_on_vf(void **state)
{
	struct host *h = &hosts[0];

	(void)state;
	start(h, "vm-revoke", guest_revoke, 0, 0);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), 0);	/* sent once eligible */
	run_until(h, have_result1, "the guest on the VF");
	assert_int_equal(h->reports[R_RESULT][0][1], NETVSC_DP_VF);
	assert_true(netvsp_vf_data_path_active(h->nsp));

	assert_int_equal(netvsp_vf_revoke(h->nsp), 0);
	/* the guest still sends through the VF until it has switched back */
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_REVOKING);
	assert_true(netvsp_vf_data_path_active(h->nsp));
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), -EBUSY);
	run_until(h, have_result2, "the guest's report after the revoke");
	assert_false(netvsp_vf_data_path_active(h->nsp));
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_NONE);
	assert_int_equal(h->reports[R_RESULT][1][1], NETVSC_DP_SYNTHETIC);
	assert_int_equal(h->reports[R_RESULT][1][2], NETVSC_DP_SYNTHETIC);	/* when told */
	assert_int_equal(h->reports[R_RESULT][1][3], 2);	/* to VF and back */
	assert_int_equal(h->reports[R_RESULT][1][4], 2);
	assert_int_equal(h->reports[R_RESULT][1][5], 0);	/* no VF associated any more */
	/* switched back before acknowledging the withdrawal */
	assert_int_equal(h->nevents, 5);
	assert_int_equal(h->events[2], NETVSP_EV_DATA_PATH_VF);
	assert_int_equal(h->events[3], NETVSP_EV_DATA_PATH_SYNTHETIC);
	assert_int_equal(h->events[4], NETVSP_EV_VF_ASSOC_ACKED);
	finish(h);
}

static void test_guest_killed_on_vf(void **state)
{
	static struct tframe t;
	struct host *a = &hosts[0], *b = &hosts[1];
	struct nvsp_frame f;

	(void)state;
	start(a, "vm-dies", guest_on_vf, 0, 0);
	assert_int_equal(netvsp_vf_offer(a->nsp, SERIAL), 0);
	run_until(a, have_result1, "the guest on the VF");
	assert_true(netvsp_vf_data_path_active(a->nsp));

	assert_int_equal(partition_kill(a->p), 0);
	run_until(a, nsp_gone, "the partition to be gone");
	assert_true(WIFSIGNALED(a->wstatus));
	assert_false(netvsp_vf_data_path_active(a->nsp));
	assert_int_equal(netvsp_state(a->nsp), NETVSP_GONE);
	assert_int_equal(netvsp_vf_state(a->nsp), NETVSP_VF_NONE);
	assert_int_equal(a->events[a->nevents - 2], NETVSP_EV_DATA_PATH_SYNTHETIC);
	assert_int_equal(a->events[a->nevents - 1], NETVSP_EV_GONE);
	tf_build(&t, K_DATA, 0, NULL);
	f = (struct nvsp_frame){ t.b, t.len };
	assert_int_equal(netvsp_rx_frames(a->nsp, &f, 1), -ENODEV);
	assert_int_equal(netvsp_vf_revoke(a->nsp), 0);
	assert_int_equal(netvsp_link_set(a->nsp, false), -ENODEV);

	/* The host goes on: another VM comes up and switches to its VF. */
	start(b, "vm-next", guest_on_vf, 0, 0);
	assert_int_equal(netvsp_vf_offer(b->nsp, SERIAL), 0);
	run_until(b, have_result1, "the next guest on the VF");
	assert_true(netvsp_vf_data_path_active(b->nsp));
	finish(b);
}

/* Hand the guest a FIN frame carrying n (the go signal, or the stream's total). */
static void host_fin(struct host *h, uint64_t n)
{
	static struct tframe t;
	struct nvsp_frame f;

	tf_build(&t, K_FIN, n, NULL);
	f = (struct nvsp_frame){ t.b, t.len };
	assert_int_equal(netvsp_rx_frames(h->nsp, &f, 1), 1);
}

/* Bytes published and not yet read in ring r (the test peeks; NetVSP does not). */
static uint32_t ring_bytes(const struct vmbus_ring *r)
{
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);

	return (w + r->size - r->index) % r->size;
}

/*
 * Without running the loop: wait until the channel's inbound ring holds at
 * least n bytes. The guest signals only when the ring goes from empty to
 * non-empty, so a second packet behind an unread one rings no bell: look
 * every millisecond (bounded by WAIT_MS), not only on a signal.
 */
static void wait_ring(struct vmbus_channel *ch, uint32_t n, const char *what)
{
	uint64_t one = 1;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ring_bytes(&ch->in) < n) {
		struct pollfd pfd = { .fd = vmbus_chan_wait_fd(ch), .events = POLLIN };
		long ms = ms_since(&t0);

		if (ms >= WAIT_MS)
			fail_msg("timed out after %d ms waiting for %s", WAIT_MS, what);
		poll(&pfd, 1, 1);
		vmbus_chan__drain(ch);
	}
	/* Give the event loop back the kick we took. */
	assert_int_equal(write(vmbus_chan_wait_fd(ch), &one, sizeof(one)), sizeof(one));
}

static bool hello_and_acked(const struct host *h)
{
	return h->have[R_HELLO] && assoc_acked(h);
}

static void test_malformed_refused(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;
	struct vmbus_chan_stats cs;

	(void)state;
	start(h, "vm-malformed", guest_malformed, 0, 0);
	run_until(h, have_result1, "the guest's report after its malformed messages");
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.refused, HOST_REFUSALS);
	assert_int_equal(st.tx_frames, 1);	/* only the report got through */
	assert_int_equal(st.switches, 0);
	assert_int_equal(h->reports[R_RESULT][0][1], GUEST_REFUSALS);
	assert_int_equal(h->reports[R_RESULT][0][2], NETVSC_DP_SYNTHETIC);
	assert_int_equal(netvsp_state(h->nsp), NETVSP_READY);
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_NONE);
	assert_int_equal(netvsp_packet_filter(h->nsp), RNDIS_PACKET_TYPE_DIRECTED |
			 RNDIS_PACKET_TYPE_MULTICAST | RNDIS_PACKET_TYPE_BROADCAST);
	vmbus_chan_get_stats(netvsp_channel(h->nsp), &cs);
	assert_int_equal(vmbus_chan_state(netvsp_channel(h->nsp)), VMBUS_CHAN_OPEN);
	assert_int_equal(cs.in.bad_header + cs.in.bad_index, 0);
	finish(h);
}

static void test_switch_timeout_then_resync(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;

	(void)state;
	start(h, "vm-timeout", guest_timeout, 0, 0);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), 0);
	run_until(h, hello_and_acked, "the guest's hello");
	/* Stop serving NetVSP: the switch request stays unread until the guest
	 * has given up on it and said so through the other channel. */
	host_fin(h, 0);
	wait_ring(h->vf_ch, 1, "the guest's report of its timeout");
	run_until(h, have_result1, "the guest's timeout report");
	assert_int_equal(h->reports[R_RESULT][0][1], ETIMEDOUT);
	assert_int_equal(h->reports[R_RESULT][0][2], NETVSC_DP_ERROR);
	assert_int_equal(h->reports[R_RESULT][0][3], 0);
	/* The request the guest gave up on still flips the host when read ... */
	run_until(h, vf_active, "the late switch request");
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_ACTIVE);
	/* ... so the guest resynchronises by switching back to synthetic. */
	host_fin(h, 0);
	run_until(h, have_result2, "the guest's resynchronisation");
	assert_int_equal(h->reports[R_RESULT][1][1], 0);
	assert_int_equal(h->reports[R_RESULT][1][2], NETVSC_DP_SYNTHETIC);
	assert_int_equal(h->reports[R_RESULT][1][3], 1);	/* the late ack, ignored */
	assert_int_equal(h->reports[R_RESULT][1][4], 1);	/* only the switch back counted */
	assert_false(netvsp_vf_data_path_active(h->nsp));
	assert_int_equal(netvsp_vf_state(h->nsp), NETVSP_VF_ASSOCIATED);
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.switches, 2);
	finish(h);
}

static void test_rescind_during_switch(void **state)
{
	struct host *h = &hosts[0];

	(void)state;
	start(h, "vm-rescind", guest_rescind_switch, 0, 0);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), 0);
	run_until(h, hello_and_acked, "the guest's hello");
	host_fin(h, 0);
	/* the FIN's completion and SWITCH_DATA_PATH: 2 x (16 + 16) bytes */
	wait_ring(netvsp_channel(h->nsp), 64, "the guest's switch request");
	assert_false(netvsp_vf_data_path_active(h->nsp));
	netvsp_destroy(h->nsp);	/* rescind without answering */
	h->nsp = NULL;
	expect_exit(h, 0);
}

static void test_switch_under_load_loses_nothing(void **state)
{
	struct host *h = &hosts[0];
	struct netvsp_stats st;
	unsigned switches = STREAM_TOTAL / SWITCH_EVERY;

	(void)state;
	start(h, "vm-stream", guest_stream, 0, 0);
	h->lazy_vf = true;
	h->held = calloc(STREAM_HELD_MAX, sizeof(*h->held));
	assert_non_null(h->held);
	assert_int_equal(netvsp_vf_offer(h->nsp, SERIAL), 0);
	run_until(h, have_hello, "the guest's hello");
	h->streaming = true;
	run_until(h, have_done, "the guest's stream");
	h->streaming = false;
	host_fin(h, h->rx_seq);
	run_until(h, have_rx, "the guest's receive report");

	/* transmit: every frame once, in order, through both paths */
	assert_int_equal(h->overlaps, 0);
	assert_int_equal(h->nheld, 0);
	assert_int_equal(h->seq_errors, 0);
	assert_int_equal(h->bad_frames, 0);
	assert_int_equal(h->tx_next, STREAM_TOTAL);
	assert_int_equal(h->frames[0] + h->frames[1], STREAM_TOTAL);
	assert_true(h->frames[0] > 0 && h->frames[1] > 0);
	assert_int_equal(h->reports[R_DONE][0][1], h->frames[0] + 1);	/* + the hello */
	assert_int_equal(h->reports[R_DONE][0][2], h->frames[1]);
	assert_int_equal(h->reports[R_DONE][0][3], switches);
	/* receive: every frame the host delivered arrived once, in order */
	assert_int_equal(h->reports[R_RX][0][2], 0);
	assert_int_equal(h->reports[R_RX][0][1], h->rx_seq);
	assert_int_equal(h->reports[R_RX][0][3], h->rx_seq);
	assert_true(h->rx_seq > 0);
	netvsp_get_stats(h->nsp, &st);
	assert_int_equal(st.switches, switches);
	assert_int_equal(st.tx_while_vf, 0);	/* nothing synthetic while on the VF */
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.tx_dropped, 0);
	assert_false(netvsp_vf_data_path_active(h->nsp));
	finish(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_negotiate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_downgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_backlog_keeps_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_backlog_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_to_vf_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_while_on_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_killed_on_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_timeout_then_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rescind_during_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_under_load_loses_nothing, setup,
						teardown),
	};

	log_configure(getenv("IOVLAB_LOG") ? getenv("IOVLAB_LOG") : "*=warn", NULL, 0);
	return cmocka_run_group_tests_name("hv/nvsp", tests, NULL, NULL);
}
