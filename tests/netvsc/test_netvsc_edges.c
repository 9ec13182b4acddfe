/*
 * NetVsc's NDIS edges end to end, in two processes. The host side (this
 * process) runs NetVSP (src/hv/netvsp.c) with a port that checks the guest's
 * numbered frames, plus two stand-in channels: the "VF wire" (what the
 * guest's fake VF puts on the NIC switch, and what the switch delivers to
 * the VF) and a control channel for commands and reports. The guest (a
 * child partition) runs a whole guest NDIS: the framework in a child
 * partition, netvsc.sys's miniport edge on the synthetic NIC's PDO
 * (netvsc_dev), the guest traffic protocol with its numbered stream bound
 * to it, NETVSCVFPP, and a fake VF miniport (fake_vf_nic.c) created the
 * way the vPCI bus would create it -- with or without the vPCI interface
 * that carries the VF serial number.
 *
 * Covers: frames both ways on the synthetic path; a VF whose serial matches
 * binds, the data path switches (VFDataPathActive), frames go through the
 * VF and none synthetic, frames from the VF reach the guest stack; a VF
 * whose serial query fails is declined with NDIS_STATUS_NOT_SUPPORTED (and
 * the traces say so) and the guest stays synthetic; a serial that matches
 * no adapter is declined; graceful VF removal in the middle of a numbered
 * stream switches back first and loses, duplicates and reorders nothing
 * (the fake VF completes a send only when the host has consumed the frame,
 * the slowest VF the contract allows); the host withdrawing and re-offering
 * the VF; surprise removal; no protocol bound to ndis5 is offered the VF.
 *
 * The guest never uses cmocka: a failed check sends R_FAIL with its line
 * and exits 1. Every wait is bounded (WAIT_MS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/guest_traffic.h"
#include "hv/netvsc/netvsc_dev.h"
#include "hv/netvsp.h"
#include "hv/vmbus_priv.h"
#include "ndis/framework.h"
#include "ndis/protocol.h"

#include "fake_vf_nic.h"

#define MEM_SIZE (4u << 20)
#define RING_GPA 0x10000u
#define RING_LEN (16u * VMBUS_PAGE_SIZE)
#define CTL_GPA 0x60000u
#define CTL_LEN (4u * VMBUS_PAGE_SIZE)
#define RECV_GPA 0x100000u
#define SEND_GPA 0x200000u
#define BUF_LEN (256u * NVSP_SECTION_SIZE)
#define WIRE_GPA 0x300000u
#define WIRE_LEN (32u * VMBUS_PAGE_SIZE)
#define WAIT_MS 5000
#define SERIAL 0x5e1a1u
#define S_TEST 0x6e657431u	/* the stream id, each direction numbered on its own */
#define MARK_KIND 0xf1u

static const struct vmbus_guid WIRE_TYPE = { { 'v', 'f', '-', 'w', 'i', 'r', 'e' } };
static const struct vmbus_guid CTL_TYPE = { { 't', 'e', 's', 't', '-', 'c', 't', 'l' } };
static const struct vmbus_guid INSTANCE = { { 0x4e, 0x49, 0x43, 0x30 } };
static const uint8_t MAC[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };
static const uint8_t PEER[6] = { 0x00, 0x15, 0x5d, 0x99, 0x99, 0x99 };

/* Control messages: commands host -> guest, reports guest -> host. */
enum { C_GO = 1, C_RXCHECK, C_EXIT };
enum { R_FAIL = 1, R_READY, R_ON_VF, R_RESULT, R_RX, R_STEP, R_COUNT };

struct ctl_msg {
	uint32_t id, pad;
	uint64_t v[8];
};

enum scenario {
	SC_SYNTHETIC,
	SC_VF,
	SC_NO_VPCI,
	SC_MISMATCH,
	SC_REMOVE_UNDER_LOAD,
	SC_REVOKE,
	SC_SURPRISE,
};

/* ---- guest side (child process) ------------------------------------------- */
struct guest {
	struct partition_guest *pg;
	struct vmbus_guest *bus;
	struct vmbus_channel *wire, *ctl;
	struct ndis_framework *fw;
	struct netvsc_dev *dev;
	struct ndis_adapter *nic, *vf;
	struct ndis_protocol *traffic, *vfpp;
	const struct guest_traffic_proto *tp;
	struct guest_traffic *gt;
	void *fvf_dl;
	struct fake_vf_nic_control *fvf;
	ULONG (*fvf_complete)(unsigned, ULONG);
	ULONG (*fvf_indicate)(unsigned, const VOID *const *, const ULONG *, ULONG);
	uint32_t serial;
	/* frames on the wire not yet covered by a marker, and the markers in flight */
	uint64_t unmarked, mark_seq;
	struct { uint64_t tid, count; } marks[4096];
	unsigned mhead, mtail;
	uint64_t vf_rx_dropped;
	/* the last command */
	unsigned cmd_count[8];
	uint64_t cmd_v[8][8];
	char *logbuf;
	size_t loglen;
	FILE *log;
	jmp_buf fail;
	struct vmbus_pkt_in in[32];
	_Alignas(8) uint8_t buf[WIRE_LEN];
};

static struct guest G;

static void g_report(uint32_t id, uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3, uint64_t v4, uint64_t v5,
		     uint64_t v6, uint64_t v7)
{
	struct ctl_msg m = { .id = id, .v = { v0, v1, v2, v3, v4, v5, v6, v7 } };
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = &m, .len = sizeof(m) };

	if (G.ctl)
		vmbus_chan_send(G.ctl, &p, 1);
}

#define GCHECK(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "guest check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			g_report(R_FAIL, __LINE__, 0, 0, 0, 0, 0, 0, 0);                           \
			longjmp(G.fail, 1);                                                        \
		}                                                                                  \
	} while (0)

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The fake VF's transmit: onto the wire, in order. */
static void g_wire_tx(void *ctx, unsigned slot, const void *data, ULONG len)
{
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = data, .len = len };
	int64_t deadline = now_ms() + WAIT_MS;

	(void)ctx;
	(void)slot;
	while (vmbus_chan_send(G.wire, &p, 1) != 1) {
		if (now_ms() > deadline || vmbus_chan_wait_space(G.wire, vmbus_chan_pkt_size(len), WAIT_MS) < 0) {
			fprintf(stderr, "guest: the VF wire stays full\n");
			abort();
		}
	}
	G.unmarked++;
}

/* Ask the host to confirm the frames put on the wire since the last marker. */
static void g_mark(void)
{
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = "MARK", .len = 4 };

	if (!G.unmarked || (G.mtail + 1) % 4096 == G.mhead)
		return;
	p.trans_id = ((uint64_t)MARK_KIND << 24) | (++G.mark_seq & 0xffffffu);
	if (vmbus_chan_send(G.wire, &p, 1) != 1)
		return;	/* full: the next round marks them */
	G.marks[G.mtail].tid = p.trans_id;
	G.marks[G.mtail].count = G.unmarked;
	G.mtail = (G.mtail + 1) % 4096;
	G.unmarked = 0;
}

/* What the host sent on the wire: confirmations (the VF completes those sends), frames for the VF. */
static void g_wire_poll(void)
{
	for (;;) {
		const VOID *frames[32];
		ULONG lens[32], k = 0;
		int n = vmbus_chan_recv(G.wire, G.in, 32, G.buf, sizeof(G.buf));

		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			if (G.in[i].type == VMBUS_PKT_COMP) {
				if (G.mhead == G.mtail || G.marks[G.mhead].tid != G.in[i].trans_id) {
					fprintf(stderr, "guest: confirmation of an unknown marker\n");
					abort();
				}
				G.fvf_complete(0, (ULONG)G.marks[G.mhead].count);
				G.mhead = (G.mhead + 1) % 4096;
				continue;
			}
			frames[k] = G.in[i].data;
			lens[k++] = G.in[i].len;
		}
		/* A VF indicates only while it runs (a paused VF's frames are lost). */
		if (k && G.vf && ndis_adapter_state(G.vf) == NDIS_ADAPTER_RUNNING)
			G.vf_rx_dropped += k - G.fvf_indicate(0, frames, lens, k);
		else
			G.vf_rx_dropped += k;
	}
}

static void g_ctl_poll(void)
{
	for (;;) {
		int n = vmbus_chan_recv(G.ctl, G.in, 32, G.buf, sizeof(G.buf));

		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct ctl_msg m;

			if (G.in[i].len != sizeof(m))
				continue;
			memcpy(&m, G.in[i].data, sizeof(m));
			if (m.id < 8) {
				G.cmd_count[m.id]++;
				memcpy(G.cmd_v[m.id], m.v, sizeof(m.v));
			}
		}
	}
}

/* The partition's other interrupts, while NetVsc waits for the VF to drain. */
static int g_pump(void *ctx, int timeout_ms)
{
	(void)ctx;
	g_mark();
	vmbus_chan_wait(G.wire, timeout_ms < 2 ? timeout_ms : 2);
	g_wire_poll();
	return 0;
}

/* One round of the guest's loop: every interrupt source, then a short wait. */
static void g_loop_once(int ms)
{
	struct pollfd pfd[3];
	unsigned n = 0;
	struct netvsc_proto *nc = netvsc_dev_proto(G.dev);

	GCHECK(netvsc_dev_poll(G.dev, 0) >= 0);
	g_mark();
	g_wire_poll();
	g_ctl_poll();
	if (!ms)
		return;
	if (nc && vmbus_chan_wait(netvsc_proto_channel(nc), 0) == 1)
		return;
	if (vmbus_chan_wait(G.wire, 0) == 1 || vmbus_chan_wait(G.ctl, 0) == 1)
		return;
	if (nc)
		pfd[n++] = (struct pollfd){ .fd = netvsc_dev_wait_fd(G.dev), .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = vmbus_chan_wait_fd(G.wire), .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = vmbus_chan_wait_fd(G.ctl), .events = POLLIN };
	poll(pfd, n, ms);
	for (unsigned i = 0; i < n; i++)
		if (pfd[i].revents & POLLIN) {
			uint64_t v;

			(void)!read(pfd[i].fd, &v, sizeof(v));
		}
}

#define G_RUN_UNTIL(cond)                                                                          \
	do {                                                                                       \
		int64_t deadline_ = now_ms() + WAIT_MS;                                            \
		while (!(cond)) {                                                                  \
			GCHECK(now_ms() < deadline_);                                              \
			g_loop_once(2);                                                            \
		}                                                                                  \
	} while (0)

static int g_vpci_query(void *ctx, VPCI_INTERFACE_STANDARD *iface)
{
	iface->Size = sizeof(*iface);
	iface->Version = 1;
	iface->SerialNumber = *(const uint32_t *)ctx;
	return 0;
}

static const struct ndis_vpci_ops g_vpci = { .query_interface = g_vpci_query };

static void g_install(const char *dir, const char *inf)
{
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, inf);
	GCHECK(ndis_framework_install_inf(G.fw, path, dir, err, sizeof(err)) == 0);
}

/* Boot the guest: VMBus, NDIS, NetVsc, the traffic protocol, NETVSCVFPP. */
static void g_up(struct partition_guest *pg)
{
	struct netvsc_dev_config dc = {
		.name = "vm/nic0",
		.mem = partition_guest_mem(pg),
		.ring_gpa = RING_GPA, .ring_len = RING_LEN,
		.recv_buf_gpa = RECV_GPA, .recv_buf_len = BUF_LEN,
		.send_buf_gpa = SEND_GPA, .send_buf_len = BUF_LEN,
		.sriov = true,
		.timeout_ms = WAIT_MS,
		.pump = g_pump,
	};
	struct ndis_adapter_params ap = { .name = "vmnic0", .hardware_id = netvsc_dev_hardware_id };
	struct guest_traffic_config tc = { .stream = S_TEST };
	char path[512];

	G.pg = pg;
	GCHECK(vmbus_guest_connect(pg, WAIT_MS, &G.bus) == 0);
	G.wire = vmbus_guest_find(G.bus, &WIRE_TYPE);
	G.ctl = vmbus_guest_find(G.bus, &CTL_TYPE);
	GCHECK(G.wire && G.ctl);
	GCHECK(vmbus_guest_open(G.ctl, CTL_GPA, CTL_LEN, CTL_LEN, WAIT_MS) == 0);
	GCHECK(vmbus_guest_open(G.wire, WIRE_GPA, WIRE_LEN, WIRE_LEN, WAIT_MS) == 0);

	/* The fake VF's control block: the same .so the framework will load. */
	snprintf(path, sizeof(path), "%s/fake_vf_nic.so", FAKE_VF_DIR);
	G.fvf_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	GCHECK(G.fvf_dl);
	G.fvf = dlsym(G.fvf_dl, "FakeVfNic");
	*(void **)&G.fvf_complete = dlsym(G.fvf_dl, "FakeVfNicCompleteSends");
	*(void **)&G.fvf_indicate = dlsym(G.fvf_dl, "FakeVfNicIndicate");
	GCHECK(G.fvf && G.fvf_complete && G.fvf_indicate);
	memset(G.fvf, 0, sizeof(*G.fvf));
	G.fvf->tx_hook = g_wire_tx;
	G.fvf->hold_sends = 1;	/* completed when the host has the frame */

	G.fw = ndis_framework_create("vm", NDIS_PARTITION_CHILD);
	GCHECK(G.fw);
	g_install(NETVSC_DRIVER_DIR, "netvsc.inf");
	g_install(NETVSC_DRIVER_DIR, "netvscvfpp.inf");
	g_install(GUEST_TRAFFIC_DIR, "guest_traffic.inf");
	g_install(FAKE_VF_DIR, "fake_vf_nic.inf");

	dc.bus = G.bus;
	dc.pump_ctx = &G;
	GCHECK(netvsc_dev_create(&dc, &G.dev) == 0);
	ap.pdo = ap.next_device = netvsc_dev_pdo(G.dev);
	GCHECK(ndis_adapter_create(G.fw, &ap, &G.nic) == 0);
	GCHECK(ndis_adapter_state(G.nic) == NDIS_ADAPTER_RUNNING);
	GCHECK(strcmp(ndis_adapter_driver_name(G.nic), "netvsc") == 0);

	GCHECK(ndis_protocol_load(G.fw, GUEST_TRAFFIC_PROTO_COMPONENT_ID, &G.traffic) == 0);
	G.tp = ndis_protocol_driver_symbol(G.traffic, GUEST_TRAFFIC_PROTO_SYMBOL);
	GCHECK(G.tp);
	memcpy(tc.dst, PEER, 6);
	GCHECK(guest_traffic_create(G.tp, &tc, &G.gt) == 0);
	GCHECK(ndis_protocol_load(G.fw, "MS_NETVSCVFPP", &G.vfpp) == 0);
	GCHECK(strcmp(ndis_protocol_name(G.vfpp), "NETVSCVFPP") == 0);
}

static bool g_cmd(unsigned id, unsigned count)
{
	return G.cmd_count[id] >= count;
}

static bool g_associated(void)
{
	return netvsc_dev_proto(G.dev) && netvsc_proto_vf_serial(netvsc_dev_proto(G.dev), NULL);
}

static enum netvsc_dp_state g_dp(void)
{
	return netvsc_proto_state(netvsc_dev_proto(G.dev));
}

static struct netvsc_proto_stats g_engine(void)
{
	struct netvsc_proto_stats st;

	netvsc_proto_get_stats(netvsc_dev_proto(G.dev), &st);
	return st;
}

static struct guest_traffic_stats g_traffic(void)
{
	struct guest_traffic_stats st;

	guest_traffic_get_stats(G.gt, &st);
	return st;
}

/* The binding of protocol name on ad, or fail. */
static struct ndis_binding_info g_binding(struct ndis_adapter *ad, const char *proto)
{
	struct ndis_binding_info b;

	for (size_t i = 0; ndis_adapter_binding_at(ad, i, &b) == 0; i++)
		if (strcmp(b.protocol, proto) == 0)
			return b;
	GCHECK(!"no such binding");
	return b;
}

static void g_vf_create(const uint32_t *serial)
{
	struct ndis_adapter_params ap = { .name = "vf0", .hardware_id = "PCI\\VEN_1AB4&DEV_30EF&SUBSYS_00011AB4" };

	if (serial) {
		G.serial = *serial;
		ap.vpci = &g_vpci;
		ap.vpci_ctx = &G.serial;
	}
	GCHECK(ndis_adapter_create(G.fw, &ap, &G.vf) == 0);
	GCHECK(ndis_adapter_state(G.vf) == NDIS_ADAPTER_RUNNING);
}

/* Send n numbered frames, running the loop while NBLs are out. */
static void g_send(unsigned n, void (*each)(uint64_t sent))
{
	uint64_t start = guest_traffic_next_seq(G.gt), target = start + n;
	int64_t deadline = now_ms() + 4 * WAIT_MS;

	while (guest_traffic_next_seq(G.gt) < target) {
		uint64_t left = target - guest_traffic_next_seq(G.gt);
		int s = guest_traffic_send(G.gt, left < 16 ? (unsigned)left : 16);

		GCHECK(s >= 0);
		GCHECK(now_ms() < deadline);
		g_loop_once(s ? 0 : 1);
		if (each)
			each(guest_traffic_next_seq(G.gt) - start);
	}
}

static bool g_all_completed(void)
{
	struct guest_traffic_stats st = g_traffic();

	return st.tx_completed + st.tx_failed >= st.tx_frames;
}

static bool g_rx_done(void)
{
	return g_traffic().rx.next >= G.cmd_v[C_RXCHECK][0];
}

/* Wait for the host's count of frames sent to us, then report what arrived. */
static void g_report_rx(void)
{
	struct guest_traffic_stats st;

	G_RUN_UNTIL(g_cmd(C_RXCHECK, 1) && g_rx_done());
	st = g_traffic();
	g_report(R_RX, st.rx.received, st.rx.lost, st.rx.dup, st.rx.reorder, st.rx_bad, st.rx_foreign,
		 G.vf_rx_dropped, G.cmd_count[C_RXCHECK]);
}

static void g_report_result(void)
{
	struct guest_traffic_stats st;
	struct netvsc_proto_stats es;

	G_RUN_UNTIL(g_all_completed());
	st = g_traffic();
	es = g_engine();
	g_report(R_RESULT, st.tx_frames, st.tx_completed, st.tx_failed, es.tx_synthetic, es.tx_vf,
		 G.fvf->slot[0].sends, es.switches, g_dp());
}

static void g_down(void)
{
	G_RUN_UNTIL(g_cmd(C_EXIT, 1));
	guest_traffic_destroy(G.gt);
	ndis_framework_destroy(G.fw);	/* halts NetVsc (leaving any VF first) and the VF */
	netvsc_dev_destroy(G.dev);
	vmbus_guest_destroy(G.bus);
	if (G.log) {
		log_set_stream(NULL);
		fclose(G.log);
		free(G.logbuf);
	}
}

static bool g_log_has(const char *s)
{
	fflush(G.log);
	return G.logbuf && strstr(G.logbuf, s);
}

/* ---- scenarios ---------------------------------------------------------------- */
static void sc_synthetic(void)
{
	struct ndis_binding_info b;
	uint8_t mac[6];

	/* Only the traffic protocol is on the VM NIC: NETVSCVFPP is ndisvf only. */
	GCHECK(ndis_adapter_binding_count(G.nic) == 1);
	b = g_binding(G.nic, GUEST_TRAFFIC_PROTO_NAME);
	GCHECK(b.state == NDIS_BINDING_BOUND);
	GCHECK(G.tp->running(mac) && memcmp(mac, MAC, 6) == 0);
	g_report(R_READY, 0, 0, 0, 0, 0, 0, 0, 0);
	g_send(500, NULL);
	g_report_result();
	g_report_rx();
}

/* Association in, VF created with the matching serial, data path on the VF. */
static void g_on_vf(void)
{
	struct ndis_binding_info b;
	char text[96];
	uint32_t serial = SERIAL;

	G_RUN_UNTIL(g_associated());
	g_vf_create(&serial);
	b = g_binding(G.vf, "NETVSCVFPP");
	GCHECK(b.state == NDIS_BINDING_BOUND);
	GCHECK(strcmp(ndis_binding_describe(&b, text, sizeof(text)), "Bound") == 0);
	/* Nothing bound to ndis5 is offered the VF. */
	GCHECK(ndis_adapter_binding_count(G.vf) == 1);
	GCHECK(g_dp() == NETVSC_DP_VF);
	/* The VM NIC's packet filter was pushed down to the VF. */
	GCHECK(G.fvf->slot[0].filter_sets == 1);
	GCHECK(G.fvf->slot[0].packet_filter ==
	       (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST));
}

static void sc_vf(void)
{
	struct netvsc_proto_stats before;

	g_on_vf();
	before = g_engine();
	g_report(R_ON_VF, before.tx_synthetic, 0, 0, 0, 0, 0, 0, 0);
	G_RUN_UNTIL(g_cmd(C_GO, 1));
	g_send(300, NULL);
	g_report_result();
	g_report_rx();
}

static void sc_declined(const uint32_t *serial, const char *describe, const char *trace)
{
	struct ndis_binding_info b;
	struct ndis_sriov_view v;
	char text[96];

	G_RUN_UNTIL(g_associated());
	g_vf_create(serial);
	b = g_binding(G.vf, "NETVSCVFPP");
	GCHECK(b.state == NDIS_BINDING_DECLINED);
	ndis_binding_describe(&b, text, sizeof(text));
	if (strcmp(text, describe) != 0)
		fprintf(stderr, "guest: binding says '%s'\n", text);
	GCHECK(strcmp(text, describe) == 0);
	GCHECK(g_log_has(trace));
	ndis_adapter_sriov_view(G.vf, &v);
	GCHECK(v.vpci_interface == (serial != NULL));
	GCHECK(g_dp() == NETVSC_DP_SYNTHETIC);
	GCHECK(ndis_adapter_binding_count(G.vf) == 1);
	g_report(R_READY, 0, 0, 0, 0, 0, 0, 0, 0);
	g_send(200, NULL);
	g_report_result();
}

static void sc_no_vpci(void)
{
	sc_declined(NULL, "Declined with NDIS_STATUS_NOT_SUPPORTED",
		    "NETVSCVFPP: VF 'vf0': OID_SRIOV_VF_SERIAL_NUMBER failed: Declined with NDIS_STATUS_NOT_SUPPORTED");
	GCHECK(g_log_has("ndisOidPreIovVfSerialNumber"));
}

static void sc_mismatch(void)
{
	uint32_t other = SERIAL + 1;

	sc_declined(&other, "Declined with NDIS_STATUS_ADAPTER_NOT_FOUND",
		    "NETVSCVFPP: VF 'vf0': serial 0x5e1a2 matches no NetVsc adapter's VF association: "
		    "Declined with NDIS_STATUS_ADAPTER_NOT_FOUND");
}

#define REMOVE_TOTAL 3000u
#define REMOVE_AT 1000u

static void g_remove_at(uint64_t sent)
{
	if (sent < REMOVE_AT || !G.vf)
		return;
	/* Graceful removal (spec 2.17): pause, unbind, halt -- mid-stream. */
	GCHECK(ndis_adapter_halt(G.vf, NdisHaltDeviceDisabled) == 0);
	GCHECK(g_dp() == NETVSC_DP_SYNTHETIC);
	g_report(R_STEP, sent, G.fvf->slot[0].pause_held, G.fvf->slot[0].sends, 0, 0, 0, 0, 0);
	ndis_adapter_destroy(G.vf);
	G.vf = NULL;
}

static void sc_remove_under_load(void)
{
	g_on_vf();
	g_report(R_ON_VF, 0, 0, 0, 0, 0, 0, 0, 0);
	G_RUN_UNTIL(g_cmd(C_GO, 1));
	g_send(REMOVE_TOTAL, g_remove_at);
	GCHECK(!G.vf);
	g_report_result();
	g_report_rx();
}

static bool g_standby(void)
{
	return g_dp() == NETVSC_DP_SYNTHETIC && !g_associated();
}

static bool g_back_on_vf(void)
{
	return g_dp() == NETVSC_DP_VF;
}

static void sc_revoke(void)
{
	struct ndis_binding_info b;

	g_on_vf();
	g_send(100, NULL);
	G_RUN_UNTIL(g_all_completed());
	g_report(R_ON_VF, 0, 0, 0, 0, 0, 0, 0, 0);
	/* The host takes the VF back: the engine switches back, the binding stays. */
	G_RUN_UNTIL(g_standby());
	b = g_binding(G.vf, "NETVSCVFPP");
	GCHECK(b.state == NDIS_BINDING_BOUND);
	g_send(100, NULL);
	g_report(R_STEP, g_engine().tx_synthetic, g_engine().tx_vf, 0, 0, 0, 0, 0, 0);
	/* ... and offers it again: NETVSCVFPP plugs it back in by itself. */
	G_RUN_UNTIL(g_back_on_vf());
	g_send(100, NULL);
	g_report_result();
}

static void sc_surprise(void)
{
	g_on_vf();
	g_report(R_ON_VF, 0, 0, 0, 0, 0, 0, 0, 0);
	g_send(100, NULL);
	/* Surprise removal: the VF says its link is gone; NetVsc leaves it at once. */
	GCHECK(ndis_adapter_surprise_remove(G.vf) == 0);
	GCHECK(g_dp() == NETVSC_DP_SYNTHETIC);
	GCHECK(ndis_adapter_halt(G.vf, NdisHaltDeviceSurpriseRemoved) == 0);
	ndis_adapter_destroy(G.vf);
	G.vf = NULL;
	g_send(100, NULL);
	g_report_result();
}

static int guest_main(struct partition_guest *pg, void *arg)
{
	enum scenario sc = (enum scenario)(uintptr_t)arg;

	memset(&G, 0, sizeof(G));
	if (sc == SC_NO_VPCI || sc == SC_MISMATCH) {
		G.log = open_memstream(&G.logbuf, &G.loglen);
		if (!G.log)
			return 2;
		log_set_stream(G.log);
	}
	if (setjmp(G.fail))
		return 1;
	g_up(pg);
	switch (sc) {
	case SC_SYNTHETIC: sc_synthetic(); break;
	case SC_VF: sc_vf(); break;
	case SC_NO_VPCI: sc_no_vpci(); break;
	case SC_MISMATCH: sc_mismatch(); break;
	case SC_REMOVE_UNDER_LOAD: sc_remove_under_load(); break;
	case SC_REVOKE: sc_revoke(); break;
	case SC_SURPRISE: sc_surprise(); break;
	}
	g_down();
	return 0;
}

/* ---- host side (this process) --------------------------------------------------- */
struct host {
	struct partition *p;
	struct vmbus_host *vh;
	struct netvsp *nsp;
	struct vmbus_channel *wire, *ctl;
	bool gone;
	int wstatus;
	/* the guest's numbered stream, from both paths */
	struct guest_traffic_seq tx;
	uint64_t path[2], foreign, bad, overlaps;
	/* reports */
	uint64_t rep[R_COUNT][8];
	unsigned have[R_COUNT];
	/* the host's stream to the guest */
	bool streaming;
	int stream_path;	/* 0 synthetic, 1 the VF wire */
	uint64_t rx_seq;
	enum netvsp_event events[32];
	unsigned nevents;
	struct vmbus_pkt_in in[32];
	_Alignas(8) uint8_t buf[WIRE_LEN];
};

static struct evloop *loop;
static struct host H;

static uint32_t ring_bytes(const struct vmbus_ring *r)
{
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);

	return (w + r->size - r->index) % r->size;
}

static void host_frame(const void *d, uint32_t len, int path)
{
	uint32_t stream;
	uint64_t seq;
	int rc = guest_traffic_frame_parse(d, len, &stream, &seq);

	if (rc == -EBADMSG) {
		H.bad++;
		return;
	}
	if (rc || stream != S_TEST) {
		H.foreign++;
		return;
	}
	guest_traffic_seq_take(&H.tx, seq);
	H.path[path]++;
}

static int port_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	(void)ctx;
	/* A synthetic frame while VF frames sit unread would be a reorder. */
	if (H.wire && ring_bytes(&H.wire->in))
		H.overlaps++;
	for (unsigned i = 0; i < n; i++)
		host_frame(f[i].data, f[i].len, 0);
	return (int)n;
}

static void port_event(void *ctx, enum netvsp_event ev)
{
	(void)ctx;
	if (H.nevents < 32)
		H.events[H.nevents++] = ev;
}

static const struct netvsp_port_ops port_ops = { port_tx, port_event };

static void on_wire(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	(void)arg;
	if (ev == VMBUS_CHAN_EV_RESCINDED)
		H.wire = NULL;
	if (ev != VMBUS_CHAN_EV_DATA)
		return;
	for (;;) {
		int n = vmbus_chan_recv(ch, H.in, 32, H.buf, sizeof(H.buf));

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if ((H.in[i].trans_id >> 24) == MARK_KIND) {
				struct vmbus_pkt c = { .type = VMBUS_PKT_COMP, .trans_id = H.in[i].trans_id,
						       .data = "done", .len = 4 };

				vmbus_chan_send(ch, &c, 1);
				continue;
			}
			host_frame(H.in[i].data, H.in[i].len, 1);
		}
	}
}

static void on_ctl(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	(void)arg;
	if (ev == VMBUS_CHAN_EV_RESCINDED)
		H.ctl = NULL;
	if (ev != VMBUS_CHAN_EV_DATA)
		return;
	for (;;) {
		int n = vmbus_chan_recv(ch, H.in, 32, H.buf, sizeof(H.buf));

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct ctl_msg m;

			if (H.in[i].len != sizeof(m))
				continue;
			memcpy(&m, H.in[i].data, sizeof(m));
			if (m.id == 0 || m.id >= R_COUNT)
				continue;
			memcpy(H.rep[m.id], m.v, sizeof(m.v));
			H.have[m.id]++;
		}
	}
}

static void on_gone(struct partition *p, int wstatus, void *arg)
{
	(void)p;
	(void)arg;
	H.gone = true;
	H.wstatus = wstatus;
}

static void host_cmd(uint32_t id, uint64_t v0)
{
	struct ctl_msg m = { .id = id, .v = { v0 } };
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = &m, .len = sizeof(m) };

	assert_non_null(H.ctl);
	assert_int_equal(vmbus_chan_send(H.ctl, &p, 1), 1);
}

/* Push the host's numbered frames to the guest while streaming. */
static void host_push(void)
{
	static uint8_t f[8][GUEST_TRAFFIC_FRAME_MAX];
	struct nvsp_frame nf[8];

	if (!H.streaming || !H.nsp || netvsp_state(H.nsp) != NETVSP_READY)
		return;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t len = guest_traffic_frame_len(H.rx_seq + i, 0, 0);

		nf[i] = (struct nvsp_frame){ f[i], guest_traffic_frame_build(f[i], len, MAC, PEER, S_TEST, H.rx_seq + i) };
	}
	if (H.stream_path == 0) {
		int n = netvsp_rx_frames(H.nsp, nf, 8);

		if (n > 0)
			H.rx_seq += (unsigned)n;
		return;
	}
	for (unsigned i = 0; i < 8 && H.wire; i++) {
		struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = nf[i].data, .len = nf[i].len };

		if (vmbus_chan_send(H.wire, &p, 1) != 1)
			break;
		H.rx_seq++;
	}
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void run_until(bool (*done)(void), const char *what)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long ms = ms_since(&t0);

		if (H.have[R_FAIL])
			fail_msg("guest check failed at test_netvsc_edges.c:%llu", (unsigned long long)H.rep[R_FAIL][0]);
		if (done())
			break;
		if (H.gone)
			fail_msg("guest ended (status 0x%x) while waiting for %s", H.wstatus, what);
		if (ms >= 3 * WAIT_MS)
			fail_msg("timed out after %d ms waiting for %s", 3 * WAIT_MS, what);
		host_push();
		assert_true(evloop_run_once(loop, H.streaming ? 1 : 10) >= 0);
	}
}

#define HAVE_FN(name, id, count)                                                                   \
	static bool name(void)                                                                     \
	{                                                                                          \
		return H.have[id] >= (count) || H.have[R_FAIL];                                    \
	}
HAVE_FN(have_ready, R_READY, 1)
HAVE_FN(have_on_vf, R_ON_VF, 1)
HAVE_FN(have_result, R_RESULT, 1)
HAVE_FN(have_rx, R_RX, 1)
HAVE_FN(have_step, R_STEP, 1)

static bool is_gone(void)
{
	return H.gone;
}

static bool vf_active(void)
{
	return netvsp_vf_data_path_active(H.nsp);
}

static bool vf_inactive(void)
{
	return !netvsp_vf_data_path_active(H.nsp);
}

static void start(enum scenario sc)
{
	struct partition_config pc = {
		.name = "vm-netvsc", .mem_size = MEM_SIZE, .entry = guest_main,
		.entry_arg = (void *)(uintptr_t)sc, .gone = on_gone,
	};
	struct netvsp_config nc = {
		.name = "vm-netvsc/nic0", .instance = INSTANCE, .port = &port_ops,
	};

	memset(&H, 0, sizeof(H));
	guest_traffic_seq_init(&H.tx);
	assert_int_equal(partition_create(loop, &pc, &H.p), 0);
	assert_int_equal(vmbus_host_create(H.p, &H.vh), 0);
	nc.mem = partition_mem(H.p);
	memcpy(nc.mac, MAC, 6);
	assert_int_equal(netvsp_create(H.vh, &nc, &H.nsp), 0);
	assert_int_equal(vmbus_host_offer(H.vh, &WIRE_TYPE, &INSTANCE, on_wire, NULL, &H.wire), 0);
	assert_int_equal(vmbus_host_offer(H.vh, &CTL_TYPE, &INSTANCE, on_ctl, NULL, &H.ctl), 0);
}

/* Stream n frames to the guest on path, then tell it how many to expect and check. */
static void host_stream_and_check(unsigned n, int path)
{
	uint64_t first = H.rx_seq;

	H.stream_path = path;
	H.streaming = true;
	while (H.rx_seq < first + n) {
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		host_push();
		assert_true(evloop_run_once(loop, 1) >= 0);
		assert_false(H.have[R_FAIL]);
		assert_true(ms_since(&t0) < WAIT_MS);
	}
	H.streaming = false;
	host_cmd(C_RXCHECK, H.rx_seq);
	run_until(have_rx, "the guest's receive report");
	assert_int_equal(H.rep[R_RX][0], H.rx_seq);	/* every frame, once */
	assert_int_equal(H.rep[R_RX][1], 0);	/* lost */
	assert_int_equal(H.rep[R_RX][2], 0);	/* duplicated */
	assert_int_equal(H.rep[R_RX][3], 0);	/* reordered */
	assert_int_equal(H.rep[R_RX][4], 0);	/* damaged */
	assert_int_equal(H.rep[R_RX][6], 0);	/* dropped at the VF */
}

static void finish(void)
{
	host_cmd(C_EXIT, 0);
	run_until(is_gone, "the guest to shut down");
	if (!WIFEXITED(H.wstatus) || WEXITSTATUS(H.wstatus) != 0)
		fail_msg("guest ended with status 0x%x", H.wstatus);
}

static int setup(void **state)
{
	(void)state;
	return evloop_create(&loop);
}

static int teardown(void **state)
{
	(void)state;
	netvsp_destroy(H.nsp);
	vmbus_host_destroy(H.vh);
	partition_destroy(H.p);
	memset(&H, 0, sizeof(H));
	evloop_destroy(loop);
	loop = NULL;
	return 0;
}

static void assert_stream_clean(uint64_t total)
{
	assert_int_equal(H.tx.received, total);
	assert_int_equal(H.tx.lost, 0);
	assert_int_equal(H.tx.dup, 0);
	assert_int_equal(H.tx.reorder, 0);
	assert_int_equal(H.bad, 0);
	assert_int_equal(H.overlaps, 0);
}

static bool have_500(void)
{
	return H.tx.received >= 500;
}

static void test_synthetic_both_ways(void **state)
{
	struct netvsp_stats st;

	(void)state;
	start(SC_SYNTHETIC);
	run_until(have_ready, "the guest's NDIS stack");
	run_until(have_result, "the guest's 500 frames");
	run_until(have_500, "500 frames at the port");
	assert_int_equal(H.rep[R_RESULT][0], 500);	/* sent */
	assert_int_equal(H.rep[R_RESULT][1], 500);	/* completed */
	assert_int_equal(H.rep[R_RESULT][2], 0);	/* failed */
	assert_int_equal(H.rep[R_RESULT][3], 500);	/* engine: synthetic */
	assert_int_equal(H.rep[R_RESULT][4], 0);	/* engine: VF */
	assert_stream_clean(500);
	assert_int_equal(H.path[0], 500);
	assert_int_equal(H.path[1], 0);
	host_stream_and_check(500, 0);
	netvsp_get_stats(H.nsp, &st);
	assert_int_equal(st.tx_frames, 500);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.rx_dropped, 0);
	assert_false(netvsp_vf_data_path_active(H.nsp));
	finish();
}

static void test_vf_matches_and_carries_traffic(void **state)
{
	struct netvsp_stats st;

	(void)state;
	start(SC_VF);
	assert_int_equal(netvsp_vf_offer(H.nsp, SERIAL), 0);
	run_until(have_on_vf, "the guest on its VF");
	/* VFDataPathActive: the guest switched and the host acknowledged. */
	assert_true(netvsp_vf_data_path_active(H.nsp));
	assert_int_equal(netvsp_vf_state(H.nsp), NETVSP_VF_ACTIVE);
	host_cmd(C_GO, 0);
	run_until(have_result, "the guest's 300 frames");
	assert_int_equal(H.rep[R_RESULT][0], 300);
	assert_int_equal(H.rep[R_RESULT][1], 300);
	assert_int_equal(H.rep[R_RESULT][3], H.rep[R_ON_VF][0]);	/* none synthetic */
	assert_int_equal(H.rep[R_RESULT][4], 300);		/* all through the VF ... */
	assert_int_equal(H.rep[R_RESULT][5], 300);		/* ... counted at the VF */
	assert_int_equal(H.rep[R_RESULT][7], NETVSC_DP_VF);
	assert_stream_clean(300);
	assert_int_equal(H.path[1], 300);
	assert_int_equal(H.path[0], 0);
	netvsp_get_stats(H.nsp, &st);
	assert_int_equal(st.tx_while_vf, 0);
	/* Frames the NIC switch delivers to the VF reach the guest stack. */
	host_stream_and_check(200, 1);
	finish();
	/* The guest left the VF before it went away. */
	assert_false(netvsp_vf_data_path_active(H.nsp));
}

static void test_declined(enum scenario sc)
{
	struct netvsp_stats st;

	start(sc);
	assert_int_equal(netvsp_vf_offer(H.nsp, SERIAL), 0);
	run_until(have_ready, "the guest with its declined VF");
	assert_false(netvsp_vf_data_path_active(H.nsp));
	assert_int_equal(netvsp_vf_state(H.nsp), NETVSP_VF_ASSOCIATED);
	run_until(have_result, "the guest's 200 frames");
	assert_int_equal(H.rep[R_RESULT][3], 200);	/* all synthetic */
	assert_int_equal(H.rep[R_RESULT][4], 0);
	assert_int_equal(H.rep[R_RESULT][5], 0);	/* the VF saw none */
	assert_stream_clean(200);
	assert_int_equal(H.path[0], 200);
	netvsp_get_stats(H.nsp, &st);
	assert_int_equal(st.switches, 0);
	finish();
}

static void test_serial_query_fails_declined(void **state)
{
	(void)state;
	test_declined(SC_NO_VPCI);
}

static void test_serial_mismatch_declined(void **state)
{
	(void)state;
	test_declined(SC_MISMATCH);
}

static void test_vf_removed_under_load(void **state)
{
	(void)state;
	start(SC_REMOVE_UNDER_LOAD);
	assert_int_equal(netvsp_vf_offer(H.nsp, SERIAL), 0);
	run_until(have_on_vf, "the guest on its VF");
	assert_true(netvsp_vf_data_path_active(H.nsp));
	/* Frames to the guest the whole time, on the synthetic path. */
	H.streaming = true;
	host_cmd(C_GO, 0);
	run_until(have_step, "the VF's removal");
	assert_false(netvsp_vf_data_path_active(H.nsp));	/* switched back before it went */
	assert_true(H.rep[R_STEP][0] >= REMOVE_AT);
	assert_int_equal(H.rep[R_STEP][1], 0);	/* nothing left in the VF when it paused */
	run_until(have_result, "the rest of the stream");
	H.streaming = false;
	assert_int_equal(H.rep[R_RESULT][0], REMOVE_TOTAL);
	assert_int_equal(H.rep[R_RESULT][1], REMOVE_TOTAL);	/* every send completed ... */
	assert_int_equal(H.rep[R_RESULT][2], 0);		/* ... none failed */
	assert_int_equal(H.rep[R_RESULT][3] + H.rep[R_RESULT][4], REMOVE_TOTAL);
	assert_int_equal(H.rep[R_RESULT][4], H.rep[R_STEP][2]);	/* the VF counted what it got */
	assert_int_equal(H.rep[R_RESULT][6], 2);		/* to the VF and back */
	assert_int_equal(H.rep[R_RESULT][7], NETVSC_DP_SYNTHETIC);
	assert_stream_clean(REMOVE_TOTAL);
	assert_true(H.path[0] > 0 && H.path[1] > 0);
	host_stream_and_check(100, 0);
	finish();
}

static bool have_step_and_inactive(void)
{
	return have_step() && vf_inactive();
}

static void test_vf_revoked_and_reoffered(void **state)
{
	(void)state;
	start(SC_REVOKE);
	assert_int_equal(netvsp_vf_offer(H.nsp, SERIAL), 0);
	run_until(have_on_vf, "the guest on its VF");
	assert_true(netvsp_vf_data_path_active(H.nsp));
	assert_int_equal(netvsp_vf_revoke(H.nsp), 0);
	run_until(have_step_and_inactive, "the guest back on synthetic");
	assert_int_equal(netvsp_vf_state(H.nsp), NETVSP_VF_NONE);
	assert_int_equal(netvsp_vf_offer(H.nsp, SERIAL), 0);
	run_until(vf_active, "the guest on its VF again");
	run_until(have_result, "the guest's frames");
	assert_int_equal(H.rep[R_RESULT][0], 300);
	assert_int_equal(H.rep[R_STEP][1], 100);	/* 100 through the VF before the revoke */
	assert_int_equal(H.rep[R_RESULT][4], 200);	/* and 100 after the re-offer */
	assert_int_equal(H.rep[R_RESULT][6], 3);	/* VF, synthetic, VF */
	assert_stream_clean(300);
	finish();
}

static void test_vf_surprise_removed(void **state)
{
	(void)state;
	start(SC_SURPRISE);
	assert_int_equal(netvsp_vf_offer(H.nsp, SERIAL), 0);
	run_until(have_on_vf, "the guest on its VF");
	run_until(have_result, "the guest after the surprise removal");
	assert_false(netvsp_vf_data_path_active(H.nsp));
	assert_int_equal(H.rep[R_RESULT][0], 200);
	assert_int_equal(H.rep[R_RESULT][4], 100);	/* through the VF before it went */
	assert_int_equal(H.rep[R_RESULT][2], 0);	/* none failed: the VF was drained first */
	assert_stream_clean(200);
	finish();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_synthetic_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_matches_and_carries_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_query_fails_declined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_mismatch_declined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_removed_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_revoked_and_reoffered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_surprise_removed, setup, teardown),
	};

	log_configure(getenv("IOVLAB_LOG") ? getenv("IOVLAB_LOG") : "*=warn", NULL, 0);
	return cmocka_run_group_tests_name("netvsc/edges", tests, NULL, NULL);
}
