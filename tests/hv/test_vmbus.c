/*
 * Cross-process VMBus tests: a real host (this test process, with its event
 * loop) and real VM child processes forked by partition_create(), sharing
 * guest memory through the memfd. Covers partition exit reporting, a
 * two-process ping-pong through a channel, the doorbell rule across
 * processes (one signal per empty -> non-empty, none while polling), a
 * child SIGKILLed mid-stream while another keeps working and a third can be
 * started, a guest that writes garbage into its ring, and a guest that
 * sends malformed control messages. Every wait is bounded (WAIT_MS) and
 * fails the test with a message; child processes are killed and reaped in
 * teardown.
 *
 * Guest entry functions run in the child: they never use cmocka, they
 * report through their exit status (0 = success, see the codes in each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/vmbus_priv.h"

#define MEM_SIZE (1u << 20)
#define RING_GPA 0x10000u
#define RING_LEN (16u * VMBUS_PAGE_SIZE)	/* per direction: control page + 60 KiB */
#define WAIT_MS 5000
#define MAX_BATCH 64

static const struct vmbus_guid ECHO_TYPE = { { 'i', 'o', 'v', 'l', 'a', 'b', '-', 'e', 'c', 'h', 'o' } };
static const struct vmbus_guid GO_TYPE = { { 'g', 'o', '1' } };
static const struct vmbus_guid GO2_TYPE = { { 'g', 'o', '2' } };
static const struct vmbus_guid INSTANCE = { { 1, 2, 3, 4 } };

/* ---- guest side (child process) ----------------------------------------- */

struct guest {
	struct vmbus_guest *g;
	struct vmbus_channel *ch;
	struct vmbus_pkt_in in[MAX_BATCH];
	uint8_t buf[RING_LEN];
};

static int guest_open(struct partition_guest *pg, struct guest *gs)
{
	if (vmbus_guest_connect(pg, WAIT_MS, &gs->g))
		return 10;
	gs->ch = vmbus_guest_find(gs->g, &ECHO_TYPE);
	if (!gs->ch)
		return 11;
	if (vmbus_guest_open(gs->ch, RING_GPA, RING_LEN, RING_LEN, WAIT_MS))
		return 12;
	return 0;
}

static int guest_send_all(struct vmbus_channel *ch, const struct vmbus_pkt *p, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		int s = vmbus_chan_send(ch, p + sent, n - sent);

		if (s < 0)
			return s;
		sent += (unsigned)s;
		if (s == 0) {
			int w = vmbus_chan_wait_space(ch, vmbus_chan_pkt_size(p[sent].len), WAIT_MS);

			if (w <= 0)
				return w ? w : -ETIMEDOUT;
		}
	}
	return 0;
}

/* Wait (handling control messages) until the host rescinds our channel. */
static int guest_until_rescind(struct guest *gs)
{
	while (vmbus_chan_state(gs->ch) != VMBUS_CHAN_RESCINDED)
		if (vmbus_guest_poll(gs->g, WAIT_MS) <= 0)
			return 40;
	return 0;
}

static bool echo_spins;	/* guest_echo_spin: wait with vmbus_chan_wait_spin() */

/* Echo every packet back until rescinded. Exit 0 on rescind. */
static int guest_echo(struct partition_guest *pg, void *arg)
{
	static struct guest gs;
	struct vmbus_pkt out[MAX_BATCH];
	int rc = guest_open(pg, &gs);

	(void)arg;
	if (rc)
		return rc;
	for (;;) {
		int n = vmbus_chan_recv(gs.ch, gs.in, MAX_BATCH, gs.buf, sizeof(gs.buf));

		if (n == -ENODEV)
			return 0;
		if (n < 0)
			return 20;
		if (n == 0) {
			int w = echo_spins ? vmbus_chan_wait_spin(gs.ch, WAIT_MS) : vmbus_chan_wait(gs.ch, WAIT_MS);

			if (w == -ENODEV)
				return 0;
			if (w <= 0)
				return w ? 21 : 22;
			continue;
		}
		for (int i = 0; i < n; i++)
			out[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND,
						     .trans_id = gs.in[i].trans_id,
						     .data = gs.in[i].data, .len = gs.in[i].len };
		if (guest_send_all(gs.ch, out, (unsigned)n))
			return vmbus_chan_state(gs.ch) == VMBUS_CHAN_RESCINDED ? 0 : 23;
	}
}

/* guest_echo, spinning before each sleep (the bring-up's request waits). */
static int guest_echo_spin(struct partition_guest *pg, void *arg)
{
	echo_spins = true;
	return guest_echo(pg, arg);
}

/* Send 256-byte packets as fast as the host takes them, forever. */
static int guest_stream(struct partition_guest *pg, void *arg)
{
	static struct guest gs;
	static uint8_t payload[256];
	struct vmbus_pkt out[8];
	uint64_t id = 0;
	int rc = guest_open(pg, &gs);

	(void)arg;
	if (rc)
		return rc;
	for (;;) {
		for (int i = 0; i < 8; i++)
			out[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND, .trans_id = id++,
						     .data = payload, .len = sizeof(payload) };
		if (guest_send_all(gs.ch, out, 8))
			return 30;
	}
}

static int guest_exit7(struct partition_guest *pg, void *arg)
{
	(void)arg;
	return gmem_size(partition_guest_mem(pg)) == MEM_SIZE ? 7 : 1;
}

static int guest_report(struct guest *gs, uint64_t wakeups, uint64_t count)
{
	uint64_t r[2] = { wakeups, count };
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = r, .len = sizeof(r) };

	return vmbus_chan_send(gs->ch, &p, 1) == 1 ? 0 : -EIO;
}

static int guest_wait_offer(struct guest *gs, const struct vmbus_guid *type)
{
	while (!vmbus_guest_find(gs->g, type))
		if (vmbus_guest_poll(gs->g, WAIT_MS) <= 0)
			return -ETIMEDOUT;
	return 0;
}

/*
 * Doorbell counting: phase 1 the guest sleeps on its control socket (ring
 * unmasked, empty) while the host sends several batches, then reports how
 * many signals its eventfd got and how many packets wait; phase 2 the same
 * with interrupts masked (polling).
 */
static int guest_count(struct partition_guest *pg, void *arg)
{
	static struct guest gs;
	struct vmbus_pkt ready = { .type = VMBUS_PKT_DATA_INBAND, .data = "ready", .len = 5 };
	uint64_t before;
	int rc = guest_open(pg, &gs), n;

	(void)arg;
	if (rc)
		return rc;
	if (vmbus_chan_send(gs.ch, &ready, 1) != 1)
		return 50;
	if (guest_wait_offer(&gs, &GO_TYPE))
		return 51;
	vmbus_chan__drain(gs.ch);
	n = vmbus_chan_recv(gs.ch, gs.in, MAX_BATCH, gs.buf, sizeof(gs.buf));
	if (n < 0 || guest_report(&gs, gs.ch->wakeups, (uint64_t)n))
		return 52;

	vmbus_chan_poll_begin(gs.ch);
	before = gs.ch->wakeups;
	if (vmbus_chan_send(gs.ch, &ready, 1) != 1)
		return 53;
	if (guest_wait_offer(&gs, &GO2_TYPE))
		return 54;
	vmbus_chan__drain(gs.ch);
	n = vmbus_chan_recv(gs.ch, gs.in, MAX_BATCH, gs.buf, sizeof(gs.buf));
	if (n < 0 || guest_report(&gs, gs.ch->wakeups - before, (uint64_t)n))
		return 55;
	return guest_until_rescind(&gs);
}

/* Publish a lying packet header in our outbound ring and ring the doorbell. */
static int guest_garbage(struct partition_guest *pg, void *arg)
{
	static struct guest gs;
	struct vmbus_pkt_desc bad = { .type = VMBUS_PKT_DATA_INBAND, .offset8 = 2, .len8 = 0x7fff };
	uint8_t *data;
	int rc = guest_open(pg, &gs);

	(void)arg;
	if (rc)
		return rc;
	data = gmem_ptr(partition_guest_mem(pg), RING_GPA + VMBUS_PAGE_SIZE, sizeof(bad));
	memcpy(data, &bad, sizeof(bad));
	gs.ch->out.ctl->write_index = 64;
	vmbus_chan__signal(gs.ch);
	return guest_until_rescind(&gs);
}

static int raw_send(int sock, const void *buf, size_t len, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/*
 * Malformed control messages first (5 the partition layer must refuse, 4
 * the VMBus server must refuse), then a normal open, which must work.
 */
static int guest_bad_msgs(struct partition_guest *pg, void *arg)
{
	static struct guest gs;
	int sock = partition_guest_sock(pg);
	uint8_t big[64] = { 0 };
	struct part_msg_hdr unknown = { .type = 0xdeadbeef, .size = 8 };
	struct vmbus_msg_offer offer = { .hdr = { VMBUS_MSG_OFFER_CHANNEL, sizeof(offer) } };
	struct vmbus_msg_gpadl_header gh = { .hdr = { VMBUS_MSG_GPADL_HEADER, 40 } };
	struct vmbus_msg_initiate_contact ic = { .hdr = { VMBUS_MSG_INITIATE_CONTACT, sizeof(ic) } };
	struct vmbus_msg_open op = { .hdr = { VMBUS_MSG_OPEN_CHANNEL, sizeof(op) } };
	struct vmbus_msg_relid cl = { .hdr = { VMBUS_MSG_CLOSE_CHANNEL, sizeof(cl) } };
	struct vmbus_msg_relid rel = { .hdr = { VMBUS_MSG_RELID_RELEASED, sizeof(rel) } };
	uint32_t relid;

	(void)arg;
	if (vmbus_guest_connect(pg, WAIT_MS, &gs.g))
		return 10;
	gs.ch = vmbus_guest_find(gs.g, &ECHO_TYPE);
	if (!gs.ch)
		return 11;
	relid = vmbus_chan_relid(gs.ch);

	/* partition layer: short, unknown, wrong direction, size mismatch, stray fd */
	memcpy(big, &gh, sizeof(gh));
	if (raw_send(sock, "abcd", 4, -1) || raw_send(sock, &unknown, sizeof(unknown), -1) ||
	    raw_send(sock, &offer, sizeof(offer), -1) || raw_send(sock, big, 40, -1) ||
	    raw_send(sock, &ic, sizeof(ic), 1))
		return 60;
	/* VMBus server: GPADL outside memory, OPEN with no GPADL, CLOSE of an
	 * unknown channel, RELID_RELEASED of a live one */
	gh = (struct vmbus_msg_gpadl_header){ .hdr = { VMBUS_MSG_GPADL_HEADER, sizeof(gh) },
					      .child_relid = relid, .gpadl_id = 77,
					      .gpa = MEM_SIZE - VMBUS_PAGE_SIZE,
					      .len = 2 * VMBUS_PAGE_SIZE };
	op.child_relid = relid;
	op.gpadl_id = 78;
	op.downstream_offset = RING_LEN;
	cl.child_relid = VMBUS_MAX_RELID - 1;
	rel.child_relid = relid;
	if (raw_send(sock, &gh, sizeof(gh), -1) || raw_send(sock, &op, sizeof(op), -1) ||
	    raw_send(sock, &cl, sizeof(cl), -1) || raw_send(sock, &rel, sizeof(rel), -1))
		return 61;
	/* and still a working bus */
	if (vmbus_guest_open(gs.ch, RING_GPA, RING_LEN, RING_LEN, WAIT_MS))
		return 62;
	return guest_until_rescind(&gs);
}

/* ---- host side (this process) ------------------------------------------- */

struct host;
typedef void (*host_pkt_fn)(struct host *h, const struct vmbus_pkt_in *pkt);

struct host {
	struct evloop *loop;
	struct partition *p;
	struct vmbus_host *vh;
	struct vmbus_channel *ch;
	bool opened, rescinded, gone;
	int wstatus;
	int recv_err;
	bool recv_failed;
	uint64_t rx;			/* packets received */
	uint64_t rx_bytes;
	bool rx_mismatch;
	uint64_t report[2];		/* last 16-byte packet (guest_count) */
	bool have_report;
	host_pkt_fn on_pkt;
	struct vmbus_pkt_in in[MAX_BATCH];
	uint8_t buf[RING_LEN];
};

static struct evloop *loop;
static struct host hosts[3];

static void on_gone(struct partition *p, int wstatus, void *arg)
{
	struct host *h = arg;

	(void)p;
	h->gone = true;
	h->wstatus = wstatus;
}

static void on_chan(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	struct host *h = arg;

	switch (ev) {
	case VMBUS_CHAN_EV_OPENED:
		h->opened = true;
		break;
	case VMBUS_CHAN_EV_RESCINDED:
		h->rescinded = true;
		h->ch = NULL;
		break;
	case VMBUS_CHAN_EV_CLOSED:
		break;
	case VMBUS_CHAN_EV_DATA:
		for (;;) {
			int n = vmbus_chan_recv(ch, h->in, MAX_BATCH, h->buf, sizeof(h->buf));

			if (n <= 0) {
				if (n < 0) {
					h->recv_err = n;
					h->recv_failed = true;
				}
				break;
			}
			for (int i = 0; i < n; i++) {
				h->rx++;
				h->rx_bytes += h->in[i].len;
				if (h->in[i].len == sizeof(h->report)) {
					memcpy(h->report, h->in[i].data, sizeof(h->report));
					h->have_report = true;
				}
				if (h->on_pkt)
					h->on_pkt(h, &h->in[i]);
			}
		}
		break;
	}
}

/* Run the host's loop until done(arg), failing the test after WAIT_MS. */
static void run_loop(bool (*done)(const void *arg), const void *arg, const char *what)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!done(arg)) {
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= WAIT_MS)
			fail_msg("timed out after %d ms waiting for %s", WAIT_MS, what);
		assert_true(evloop_run_once(loop, (int)(WAIT_MS - ms)) >= 0);
	}
}

static bool flag_set(const void *arg)
{
	return *(const bool *)arg;
}

struct rx_goal {
	const struct host *h;
	uint64_t n;
};

static bool rx_reached(const void *arg)
{
	const struct rx_goal *g = arg;

	return g->h->rx >= g->n;
}

static void run_until(const bool *flag, const char *what)
{
	run_loop(flag_set, flag, what);
}

static void run_until_rx(struct host *h, uint64_t n, const char *what)
{
	struct rx_goal g = { h, n };

	run_loop(rx_reached, &g, what);
}

static void start(struct host *h, const char *name, partition_entry_fn entry, bool offer)
{
	struct partition_config cfg = {
		.name = name, .mem_size = MEM_SIZE, .entry = entry,
		.gone = on_gone, .gone_arg = h,
	};

	memset(h, 0, sizeof(*h));
	assert_int_equal(partition_create(loop, &cfg, &h->p), 0);
	assert_int_equal(vmbus_host_create(h->p, &h->vh), 0);
	if (offer)
		assert_int_equal(vmbus_host_offer(h->vh, &ECHO_TYPE, &INSTANCE, on_chan, h, &h->ch), 0);
}

static void expect_exit(struct host *h, int code)
{
	run_until(&h->gone, "the partition to exit");
	assert_true(WIFEXITED(h->wstatus));
	assert_int_equal(WEXITSTATUS(h->wstatus), code);
	assert_int_equal(partition_state(h->p), PARTITION_GONE);
}

static void rescind_and_expect_exit0(struct host *h)
{
	assert_int_equal(vmbus_host_rescind(h->ch), 0);
	h->ch = NULL;
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
	for (int i = 0; i < 3; i++) {
		vmbus_host_destroy(hosts[i].vh);
		partition_destroy(hosts[i].p);	/* kills and reaps a child still running */
	}
	memset(hosts, 0, sizeof(hosts));
	evloop_destroy(loop);
	loop = NULL;
	return 0;
}

static void test_exit_status_reported(void **state)
{
	struct host *h = &hosts[0];

	(void)state;
	start(h, "vm-exit7", guest_exit7, false);
	assert_true(partition_pid(h->p) > 0);
	assert_string_equal(partition_name(h->p), "vm-exit7");
	expect_exit(h, 7);
	assert_string_equal(partition_state_name(partition_state(h->p)), "gone");
}

static void fill_payload(uint8_t *b, uint32_t len, uint64_t id)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(id * 31 + i);
}

static uint32_t ping_len(uint64_t id)
{
	static const uint32_t lens[] = { 0, 1, 7, 8, 64, 100, 1514, 4000 };

	return lens[id % 8];
}

static void check_echo(struct host *h, const struct vmbus_pkt_in *pkt)
{
	static uint8_t want[4000];

	fill_payload(want, ping_len(pkt->trans_id), pkt->trans_id);
	if (pkt->len != ping_len(pkt->trans_id) || memcmp(pkt->data, want, pkt->len))
		h->rx_mismatch = true;
}

static void ping_pong(partition_entry_fn entry)
{
	struct host *h = &hosts[0];
	static uint8_t payloads[MAX_BATCH][4000];
	struct vmbus_pkt out[MAX_BATCH];
	struct vmbus_chan_stats st;
	uint64_t id = 0;
	unsigned batches = 0;

	start(h, "vm-echo", entry, true);
	h->on_pkt = check_echo;
	run_until(&h->opened, "the guest to open the channel");
	assert_int_equal(vmbus_chan_state(h->ch), VMBUS_CHAN_OPEN);
	assert_int_equal(vmbus_host_version(h->vh), VMBUS_PROTO_V1);
	assert_int_equal(partition_state(h->p), PARTITION_RUNNING);

	/* 400 packets in batches of 1..16, each batch echoed before the next */
	for (unsigned n = 1; id < 400; n = n % 16 + 1) {
		if (n > 400 - id)
			n = (unsigned)(400 - id);
		for (unsigned i = 0; i < n; i++, id++) {
			fill_payload(payloads[i], ping_len(id), id);
			out[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND, .trans_id = id,
						     .data = payloads[i], .len = ping_len(id) };
		}
		assert_int_equal(vmbus_chan_send(h->ch, out, n), (int)n);
		batches++;
		run_until_rx(h, id, "echoes");
	}
	assert_false(h->rx_mismatch);
	assert_int_equal(h->recv_err, 0);
	vmbus_chan_get_stats(h->ch, &st);
	assert_int_equal(st.out.packets, 400);
	assert_int_equal(st.in.packets, 400);
	/* at most one doorbell per batch; the guest signals us at least once */
	assert_true(st.signals >= 1 && st.signals <= batches);
	assert_true(st.wakeups >= 1);
	assert_int_equal(st.in.bad_header + st.in.bad_index + st.bad_type, 0);
	rescind_and_expect_exit0(h);
}

static void test_ping_pong(void **state)
{
	(void)state;
	ping_pong(guest_echo);
}

/*
 * The same with a guest that spins before it sleeps (vmbus_chan_wait_spin):
 * every packet still echoed intact and in order, at most one doorbell per
 * batch, and the rescind still ends the guest (a spin never hides it).
 */
static void test_ping_pong_spin(void **state)
{
	(void)state;
	ping_pong(guest_echo_spin);
}

static void test_doorbells_across_processes(void **state)
{
	struct host *h = &hosts[0];
	struct vmbus_channel *go;
	struct vmbus_pkt out[10];
	struct vmbus_chan_stats st;
	uint64_t signals;

	(void)state;
	start(h, "vm-count", guest_count, true);
	for (int i = 0; i < 10; i++)
		out[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND, .data = "p", .len = 1 };
	run_until_rx(h, 1, "the guest's ready packet");

	/* Phase 1: consumer asleep, unmasked: five batches, one doorbell. */
	for (int b = 0; b < 5; b++)
		assert_int_equal(vmbus_chan_send(h->ch, out, 10), 10);
	vmbus_chan_get_stats(h->ch, &st);
	assert_int_equal(st.signals, 1);
	assert_int_equal(vmbus_host_offer(h->vh, &GO_TYPE, &INSTANCE, NULL, NULL, &go), 0);
	run_until(&h->have_report, "the guest's phase 1 report");
	assert_int_equal(h->report[0], 1);	/* signals the guest received */
	assert_int_equal(h->report[1], 50);	/* packets it found */

	/* Phase 2: consumer polling (masked): no doorbell at all. */
	h->have_report = false;
	run_until_rx(h, 3, "the guest's masked packet");
	signals = st.signals;
	for (int b = 0; b < 5; b++)
		assert_int_equal(vmbus_chan_send(h->ch, out, 10), 10);
	vmbus_chan_get_stats(h->ch, &st);
	assert_int_equal(st.signals, signals);
	assert_int_equal(vmbus_host_offer(h->vh, &GO2_TYPE, &INSTANCE, NULL, NULL, &go), 0);
	run_until(&h->have_report, "the guest's phase 2 report");
	assert_int_equal(h->report[0], 0);
	assert_int_equal(h->report[1], 50);
	rescind_and_expect_exit0(h);
}

static void test_sigkill_mid_stream(void **state)
{
	struct host *a = &hosts[0], *b = &hosts[1], *c = &hosts[2];
	struct vmbus_pkt ping = { .type = VMBUS_PKT_DATA_INBAND, .trans_id = 6, .len = 1514 };
	static uint8_t payload[1514];

	(void)state;
	start(a, "vm-stream", guest_stream, true);
	start(b, "vm-echo", guest_echo, true);
	b->on_pkt = check_echo;
	run_until(&a->opened, "the streaming guest to open");
	run_until(&b->opened, "the echo guest to open");
	run_until_rx(a, 2000, "the stream");

	/* Crash A while it streams. */
	assert_int_equal(kill(partition_pid(a->p), SIGKILL), 0);
	run_until(&a->gone, "the killed partition to be reported gone");
	assert_true(WIFSIGNALED(a->wstatus));
	assert_int_equal(WTERMSIG(a->wstatus), SIGKILL);
	assert_true(a->rescinded);	/* its channel was rescinded, callback first */
	assert_null(a->ch);
	assert_int_equal(a->recv_err, 0);

	/* B is unaffected. */
	fill_payload(payload, sizeof(payload), 6);
	ping.data = payload;
	assert_int_equal(vmbus_chan_send(b->ch, &ping, 1), 1);
	run_until_rx(b, 1, "B's echo after A died");
	assert_false(b->rx_mismatch);
	assert_false(b->gone);

	/* And the host can start another partition. */
	start(c, "vm-exit7", guest_exit7, false);
	expect_exit(c, 7);
	rescind_and_expect_exit0(b);
}

static void test_guest_breaks_ring(void **state)
{
	struct host *h = &hosts[0];
	struct vmbus_chan_stats st;

	(void)state;
	start(h, "vm-garbage", guest_garbage, true);
	run_until(&h->opened, "the guest to open");
	run_until(&h->recv_failed, "the host to find the bad header");
	assert_int_equal(h->recv_err, -EPROTO);
	assert_int_equal(vmbus_chan_state(h->ch), VMBUS_CHAN_BROKEN);
	vmbus_chan_get_stats(h->ch, &st);
	assert_int_equal(st.in.bad_header, 1);
	assert_int_equal(h->rx, 0);
	/* the host can still rescind and the guest still exits cleanly */
	rescind_and_expect_exit0(h);
}

static void test_bad_control_messages(void **state)
{
	struct host *h = &hosts[0];

	(void)state;
	start(h, "vm-badmsg", guest_bad_msgs, true);
	run_until(&h->opened, "the guest to open after its bad messages");
	assert_int_equal(partition_bad_msgs(h->p), 5);
	assert_int_equal(vmbus_host_refused(h->vh), 4);
	assert_int_equal(vmbus_chan_state(h->ch), VMBUS_CHAN_OPEN);
	rescind_and_expect_exit0(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exit_status_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_pong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_pong_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbells_across_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_mid_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_breaks_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_control_messages, setup, teardown),
	};

	log_configure("*=warn", NULL, 0);
	return cmocka_run_group_tests_name("hv/vmbus", tests, NULL, NULL);
}
