/*
 * Tests for the guest TCP/IP stack (src/hv/guest_tcpip.c) on a stand-in for
 * the IOVTCPIP protocol table: frames the stack sends are captured, frames
 * "from the wire" are handed to its receive callback, as NDIS would. The
 * far end is built here byte by byte (Ethernet, ARP, IPv4, ICMP, UDP, TCP
 * with real checksums), so what is checked is what lwIP put on the wire:
 * ARP answered, pings answered, the UDP and TCP echo services echo, the
 * ping client counts, and the refusals of guest_tcpip_create/_start. Also
 * the checks of the NET/NET_DONE control messages (vmctl_msg.c) and the
 * step arguments ADDR[:PORT] and BYTES (lab_addr_arg_parse,
 * lab_bytes_arg_parse). lwIP is one per process: the cases share it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "hv/guest_tcpip.h"
#include "hv/vmctl_msg.h"
#include "lab/lab_schema.h"

#define OUR_IP 0x0a000015u	/* 10.0.0.21 */
#define PEER_IP 0x0a000016u	/* 10.0.0.22 */

static const uint8_t our_mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x01 };
static const uint8_t peer_mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x02 };

/* ---- the stand-in protocol --------------------------------------------------------- */
#define CAP 64
static struct {
	guest_traffic_rx_fn rx;
	void *ctx;
	bool running;
	unsigned n;
	uint8_t f[CAP][1536];
	uint32_t len[CAP];
} wire;

static int fake_attach(guest_traffic_rx_fn rx, guest_traffic_tx_done_fn tx_done, void *ctx)
{
	(void)tx_done;
	if (rx && wire.rx)
		return -EBUSY;
	wire.rx = rx;
	wire.ctx = rx ? ctx : NULL;
	return 0;
}

static int fake_send(const struct guest_traffic_frame *f, unsigned n)
{
	if (!wire.running)
		return -ENOTCONN;
	for (unsigned i = 0; i < n; i++) {
		if (wire.n < CAP) {
			memcpy(wire.f[wire.n], f[i].data, f[i].len);
			wire.len[wire.n++] = f[i].len;
		}
	}
	return (int)n;
}

static bool fake_running(uint8_t mac[6])
{
	if (mac)
		memcpy(mac, our_mac, 6);
	return wire.running;
}

static void fake_counters(struct guest_traffic_proto_counters *c)
{
	memset(c, 0, sizeof(*c));
}

static const struct guest_traffic_proto fake = { fake_attach, fake_send, fake_running, fake_counters };

/* ---- building frames --------------------------------------------------------------- */
static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static size_t eth(uint8_t *f, const uint8_t dst[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, type);
	return 14;
}

/* IPv4 header at f + 14 around a payload already at f + 34; returns the frame length. */
static size_t ip4(uint8_t *f, uint8_t proto, size_t payload)
{
	uint8_t *h = f + 14;

	eth(f, our_mac, 0x0800);
	memset(h, 0, 20);
	h[0] = 0x45;
	put16(h + 2, (uint16_t)(20 + payload));
	h[8] = 64;
	h[9] = proto;
	put32(h + 12, PEER_IP);
	put32(h + 16, OUR_IP);
	put16(h + 10, csum(h, 20, 0));
	return 34 + payload;
}

/* The transport checksum over the pseudo header. */
static uint16_t l4sum(const uint8_t *seg, size_t len, uint8_t proto, uint32_t src, uint32_t dst)
{
	uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;

	return csum(seg, len, sum);
}

static void deliver(const uint8_t *f, size_t len)
{
	assert_non_null(wire.rx);
	wire.rx(wire.ctx, f, (uint32_t)len);
}

static void pump(struct guest_tcpip *t, int ms)
{
	struct timespec d = { 0, 1000000 };

	for (int i = 0; i <= ms; i++) {
		guest_tcpip_poll(t);
		if (ms)
			nanosleep(&d, NULL);
	}
}

/* The first captured frame of ethertype type (and IP protocol proto, if not 0), or -1. */
static int find(uint16_t type, uint8_t proto)
{
	for (unsigned i = 0; i < wire.n; i++)
		if (get16(wire.f[i] + 12) == type && (!proto || wire.f[i][23] == proto))
			return (int)i;
	return -1;
}

static struct guest_tcpip *up(void)
{
	struct guest_tcpip_config c = { .addr = OUR_IP, .prefix = 24 };
	struct guest_tcpip *t = NULL;

	memset(&wire, 0, sizeof(wire));
	wire.running = true;
	assert_int_equal(guest_tcpip_create(&fake, &c, &t), 0);
	assert_non_null(t);
	pump(t, 0);
	return t;
}

/* Teach the stack the peer's MAC: an ARP request from the peer (which it also answers). */
static void arp_from_peer(struct guest_tcpip *t, uint32_t target)
{
	uint8_t f[60] = { 0 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = f + eth(f, bcast, 0x0806);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);	/* request */
	memcpy(a + 8, peer_mac, 6);
	put32(a + 14, PEER_IP);
	put32(a + 24, target);
	deliver(f, sizeof(f));
	pump(t, 0);
}

/* ---- cases --------------------------------------------------------------------------- */
static void test_create_refusals(void **state)
{
	struct guest_tcpip_config c = { .addr = OUR_IP, .prefix = 24 };
	struct guest_tcpip *t = NULL, *t2 = NULL;

	(void)state;
	memset(&wire, 0, sizeof(wire));
	assert_int_equal(guest_tcpip_create(NULL, &c, &t), -EINVAL);
	c.prefix = 0;
	assert_int_equal(guest_tcpip_create(&fake, &c, &t), -EINVAL);
	c.prefix = 33;
	assert_int_equal(guest_tcpip_create(&fake, &c, &t), -EINVAL);
	c.prefix = 24;
	c.addr = 0;
	assert_int_equal(guest_tcpip_create(&fake, &c, &t), -EINVAL);
	assert_null(t);
	t = up();
	c.addr = OUR_IP;
	assert_int_equal(guest_tcpip_create(&fake, &c, &t2), -EBUSY);	/* one lwIP per process */
	assert_null(t2);
	guest_tcpip_destroy(t);
	assert_null(wire.rx);	/* detached */
	guest_tcpip_destroy(NULL);
}

static void test_arp_answered_and_silent_at_link_up(void **state)
{
	struct guest_tcpip *t;
	int i;

	(void)state;
	t = up();
	assert_int_equal(wire.n, 0);	/* no gratuitous ARP at link up */
	arp_from_peer(t, OUR_IP);
	i = find(0x0806, 0);
	assert_true(i >= 0);
	assert_memory_equal(wire.f[i], peer_mac, 6);
	assert_int_equal(get16(wire.f[i] + 20), 2);	/* reply */
	assert_memory_equal(wire.f[i] + 22, our_mac, 6);
	assert_int_equal(get32(wire.f[i] + 28), OUR_IP);
	/* Someone else's address: no answer. */
	wire.n = 0;
	arp_from_peer(t, 0x0a000063u);
	assert_int_equal(find(0x0806, 0), -1);
	guest_tcpip_destroy(t);
}

static void test_ping_answered(void **state)
{
	struct guest_tcpip *t;
	uint8_t f[98] = { 0 }, *icmp = f + 34;
	int i;

	(void)state;
	t = up();
	arp_from_peer(t, OUR_IP);
	wire.n = 0;
	icmp[0] = 8;	/* echo request */
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 7);
	for (int k = 8; k < 64; k++)
		icmp[k] = (uint8_t)k;
	put16(icmp + 2, csum(icmp, 64, 0));
	deliver(f, ip4(f, 1, 64));
	pump(t, 0);
	i = find(0x0800, 1);
	assert_true(i >= 0);
	assert_int_equal(wire.f[i][34], 0);	/* echo reply */
	assert_int_equal(get16(wire.f[i] + 38), 0x1234);
	assert_int_equal(get16(wire.f[i] + 40), 7);
	assert_memory_equal(wire.f[i] + 42, icmp + 8, 56);
	assert_int_equal(get32(wire.f[i] + 30), PEER_IP);
	/* A damaged checksum is dropped, not answered. */
	wire.n = 0;
	icmp[0] = 8;
	put16(icmp + 2, 0xbeef);
	deliver(f, ip4(f, 1, 64));
	pump(t, 0);
	assert_int_equal(find(0x0800, 1), -1);
	guest_tcpip_destroy(t);
}

static void test_udp_echo(void **state)
{
	struct guest_tcpip *t;
	struct guest_tcpip_stats st;
	uint8_t f[200] = { 0 }, *u = f + 34;
	int i;

	(void)state;
	t = up();
	arp_from_peer(t, OUR_IP);
	wire.n = 0;
	put16(u, 40000);
	put16(u + 2, GUEST_TCPIP_ECHO_PORT);
	put16(u + 4, 8 + 100);
	for (int k = 0; k < 100; k++)
		u[8 + k] = (uint8_t)(k * 3);
	put16(u + 6, l4sum(u, 108, 17, PEER_IP, OUR_IP));
	deliver(f, ip4(f, 17, 108));
	pump(t, 0);
	i = find(0x0800, 17);
	assert_true(i >= 0);
	assert_int_equal(get16(wire.f[i] + 34), GUEST_TCPIP_ECHO_PORT);
	assert_int_equal(get16(wire.f[i] + 36), 40000);
	assert_memory_equal(wire.f[i] + 42, u + 8, 100);
	guest_tcpip_get_stats(t, &st);
	assert_int_equal(st.echo_udp_datagrams, 1);
	/* The discard service takes it and says nothing. */
	wire.n = 0;
	put16(u + 2, GUEST_TCPIP_DISCARD_PORT);
	put16(u + 6, 0);
	put16(u + 6, l4sum(u, 108, 17, PEER_IP, OUR_IP));
	deliver(f, ip4(f, 17, 108));
	pump(t, 0);
	assert_int_equal(find(0x0800, 17), -1);
	guest_tcpip_get_stats(t, &st);
	assert_int_equal(st.discard_bytes, 100);
	guest_tcpip_destroy(t);
}

/* One TCP segment from the peer's port 40001 to port 7. */
static void tcp_seg(struct guest_tcpip *t, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *data, size_t len)
{
	uint8_t f[1514] = { 0 }, *s = f + 34;

	put16(s, 40001);
	put16(s + 2, GUEST_TCPIP_ECHO_PORT);
	put32(s + 4, seq);
	put32(s + 8, ack);
	s[12] = 5 << 4;
	s[13] = flags;
	put16(s + 14, 65535);
	if (len)
		memcpy(s + 20, data, len);
	put16(s + 16, l4sum(s, 20 + len, 6, PEER_IP, OUR_IP));
	deliver(f, ip4(f, 6, 20 + len));
	pump(t, 0);
}

static void test_tcp_echo(void **state)
{
	struct guest_tcpip *t;
	uint8_t data[300];
	uint32_t iss, got = 0;
	int i;

	(void)state;
	t = up();
	arp_from_peer(t, OUR_IP);
	wire.n = 0;
	tcp_seg(t, 1000, 0, 0x02, NULL, 0);	/* SYN */
	i = find(0x0800, 6);
	assert_true(i >= 0);
	assert_int_equal(wire.f[i][47] & 0x12, 0x12);	/* SYN|ACK */
	assert_int_equal(get32(wire.f[i] + 42), 1001);
	iss = get32(wire.f[i] + 38);
	wire.n = 0;
	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = guest_tcpip_pattern(k);
	tcp_seg(t, 1001, iss + 1, 0x18, data, sizeof(data));	/* ACK|PSH with data */
	pump(t, 5);
	/* The same bytes come back from port 7, in order. */
	for (unsigned k = 0; k < wire.n; k++) {
		const uint8_t *f = wire.f[k];
		size_t ihl = (f[14] & 0xf) * 4u, thl = (f[14 + ihl + 12] >> 4) * 4u;
		size_t dl = get16(f + 16) - ihl - thl;

		if (get16(f + 12) != 0x0800 || f[23] != 6 || !dl)
			continue;
		assert_int_equal(get16(f + 14 + ihl), GUEST_TCPIP_ECHO_PORT);
		assert_int_equal(get32(f + 14 + ihl + 4), iss + 1 + got);
		assert_true(got + dl <= sizeof(data));
		assert_memory_equal(f + 14 + ihl + thl, data + got, dl);
		got += (uint32_t)dl;
	}
	assert_int_equal(got, sizeof(data));
	guest_tcpip_destroy(t);	/* aborts the connection: an RST goes out */
	assert_true(find(0x0800, 6) >= 0);
}

static void test_ping_client(void **state)
{
	struct guest_tcpip *t;
	struct guest_tcpip_request req = { .op = GUEST_TCPIP_PING, .addr = PEER_IP, .count = 1, .size = 32,
					   .timeout_ms = 5000 };
	struct guest_tcpip_result res;
	uint8_t f[98] = { 0 };
	int i;

	(void)state;
	t = up();
	arp_from_peer(t, OUR_IP);	/* the peer's MAC is known now */
	wire.n = 0;
	assert_int_equal(guest_tcpip_start(t, &req), 0);
	assert_int_equal(guest_tcpip_start(t, &req), -EBUSY);
	pump(t, 0);
	i = find(0x0800, 1);
	assert_true(i >= 0);
	assert_int_equal(wire.f[i][34], 8);	/* echo request */
	assert_int_equal(get16(wire.f[i] + 16), 20 + 8 + 32);
	/* Answer it: the request's ICMP turned into a reply. */
	memcpy(f + 34, wire.f[i] + 34, 8 + 32);
	f[34] = 0;
	put16(f + 36, 0);
	put16(f + 36, csum(f + 34, 40, 0));
	deliver(f, ip4(f, 1, 40));
	pump(t, 0);
	assert_true(guest_tcpip_done(t, &res));
	assert_false(guest_tcpip_done(t, &res));	/* once */
	assert_int_equal(res.status, 0);
	assert_int_equal(res.sent, 1);
	assert_int_equal(res.received, 1);
	assert_int_equal(res.lost, 0);
	assert_true(res.rtt_min_us <= res.rtt_avg_us && res.rtt_avg_us <= res.rtt_max_us);
	guest_tcpip_destroy(t);
}

static void test_start_refusals(void **state)
{
	struct guest_tcpip *t;
	struct guest_tcpip_request req = { .op = GUEST_TCPIP_TCP, .addr = PEER_IP, .port = 7, .bytes = 1,
					   .timeout_ms = 1000 };

	(void)state;
	t = up();
	req.addr = OUR_IP;	/* lwIP's loopback needs the tcpip thread */
	assert_int_equal(guest_tcpip_start(t, &req), -EINVAL);
	req.addr = PEER_IP;
	req.port = 0;
	assert_int_equal(guest_tcpip_start(t, &req), -EINVAL);
	req.port = 7;
	req.op = GUEST_TCPIP_UDP;
	req.count = 1;
	req.size = 7;
	assert_int_equal(guest_tcpip_start(t, &req), -EINVAL);
	req.op = (enum guest_tcpip_op)9;
	assert_int_equal(guest_tcpip_start(t, &req), -EINVAL);
	req.op = GUEST_TCPIP_TCP;
	req.timeout_ms = 0;
	assert_int_equal(guest_tcpip_start(t, &req), -EINVAL);
	req.timeout_ms = 1000;
	wire.running = false;	/* the binding paused: the link goes down */
	assert_int_equal(guest_tcpip_start(t, &req), -ENETDOWN);
	guest_tcpip_destroy(t);
}

static void test_tcp_refused_and_timeout(void **state)
{
	struct guest_tcpip *t;
	struct guest_tcpip_request req = { .op = GUEST_TCPIP_TCP, .addr = PEER_IP, .port = 7, .bytes = 10,
					   .timeout_ms = 200 };
	struct guest_tcpip_result res;

	(void)state;
	t = up();
	arp_from_peer(t, OUR_IP);
	/* Nobody answers the SYN: the operation times out, the connection never was intact. */
	assert_int_equal(guest_tcpip_start(t, &req), 0);
	for (int i = 0; i < 400 && !guest_tcpip_done(t, &res); i++)
		pump(t, 1);
	assert_int_equal(res.status, -ETIMEDOUT);
	assert_false(res.intact);
	assert_int_equal(res.received, 0);
	assert_int_equal(res.lost, 10);
	guest_tcpip_destroy(t);
}

/* Every legal transition of an operation, and every other refused. */
static void test_op_state_table(void **state)
{
	const enum guest_tcpip_op_state I = GUEST_TCPIP_OP_IDLE, R = GUEST_TCPIP_OP_RUNNING,
					F = GUEST_TCPIP_OP_FINISHED;
	const bool want[3][3] = { [0] = { [1] = true }, [1] = { [2] = true }, [2] = { [0] = true } };

	(void)state;
	for (int from = 0; from < GUEST_TCPIP_OP_STATE_COUNT; from++)
		for (int to = 0; to < GUEST_TCPIP_OP_STATE_COUNT; to++)
			assert_int_equal(guest_tcpip_op_state_transition_allowed(from, to), want[from][to]);
	assert_true(guest_tcpip_op_state_transition_allowed(I, R));
	assert_true(guest_tcpip_op_state_transition_allowed(R, F));
	assert_true(guest_tcpip_op_state_transition_allowed(F, I));
	assert_false(guest_tcpip_op_state_transition_allowed(I, F));
	assert_false(guest_tcpip_op_state_transition_allowed(R, I));
	assert_false(guest_tcpip_op_state_transition_allowed(R, GUEST_TCPIP_OP_STATE_COUNT));
	assert_string_equal(guest_tcpip_op_state_name(R), "running");
	assert_string_equal(guest_tcpip_op_state_name(GUEST_TCPIP_OP_STATE_COUNT), "?");
}

/* ---- the control messages and step arguments ----------------------------------------- */
static int net_check(const struct vmctl_net *m)
{
	uint32_t type;
	const char *why;

	return vmctl_msg_check(m, sizeof(*m), VMCTL_TO_GUEST, &type, &why);
}

static void test_vmctl_net(void **state)
{
	struct vmctl_net m = { .hdr = { .type = VMCTL_MSG_NET, .size = sizeof(m) }, .op = VMCTL_NET_TCP,
			       .addr = PEER_IP, .port = 7, .timeout_ms = 1000, .bytes = 1 << 20 };
	struct vmctl_net b;
	struct vmctl_net_done d = { .hdr = { .type = VMCTL_MSG_NET_DONE, .size = sizeof(d) }, .op = VMCTL_NET_PING,
				    .sent = 4, .received = 4, .rtt_min_us = 1, .rtt_avg_us = 2, .rtt_max_us = 3 };
	uint32_t type;
	const char *why;

	(void)state;
	assert_int_equal(net_check(&m), 0);
	b = m, b.bytes = 0;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.port = 0;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.count = 1;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.addr = 0xffffffffu;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.timeout_ms = 0;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.reserved = 1;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.op = VMCTL_NET_PING, b.port = 0, b.bytes = 0, b.count = 4, b.size = 1472;
	assert_int_equal(net_check(&b), 0);
	b.size = 1473;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.op = VMCTL_NET_UDP, b.bytes = 0, b.count = 4, b.size = 8;
	assert_int_equal(net_check(&b), 0);
	b.size = 7;
	assert_int_equal(net_check(&b), -EBADMSG);
	b = m, b.op = 4;
	assert_int_equal(net_check(&b), -EBADMSG);
	/* Direction: a NET from the guest is refused. */
	assert_int_equal(vmctl_msg_check(&m, sizeof(m), VMCTL_TO_HOST, &type, &why), -EBADMSG);

	assert_int_equal(vmctl_msg_check(&d, sizeof(d), VMCTL_TO_HOST, &type, &why), 0);
	assert_int_equal(type, VMCTL_MSG_NET_DONE);
	d.received = 5;
	assert_int_equal(vmctl_msg_check(&d, sizeof(d), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	d.received = 4, d.rtt_min_us = 9;
	assert_int_equal(vmctl_msg_check(&d, sizeof(d), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	d.rtt_min_us = 1, d.status = 5;
	assert_int_equal(vmctl_msg_check(&d, sizeof(d), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	d.status = -ETIMEDOUT, d.flags = 2;
	assert_int_equal(vmctl_msg_check(&d, sizeof(d), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	d.flags = VMCTL_NET_INTACT;
	assert_int_equal(vmctl_msg_check(&d, sizeof(d), VMCTL_TO_HOST, &type, &why), 0);
	assert_int_equal(vmctl_msg_check(&d, sizeof(d) - 1, VMCTL_TO_HOST, &type, &why), -EBADMSG);
}

static void test_step_args(void **state)
{
	uint32_t addr;
	uint16_t port;
	const char *name;
	uint64_t n;

	(void)state;
	assert_int_equal(lab_addr_arg_parse("10.0.0.22", false, &addr, NULL, &name), 0);
	assert_int_equal(addr, PEER_IP);
	assert_null(name);
	assert_int_equal(lab_addr_arg_parse("10.0.0.22:7", true, &addr, &port, &name), 0);
	assert_int_equal(port, 7);
	assert_int_equal(lab_addr_arg_parse("vm2:9", true, &addr, &port, &name), 3);
	assert_string_equal(name, "vm2:9");
	assert_int_equal(port, 9);
	assert_int_equal(lab_addr_arg_parse("vm2", false, &addr, NULL, &name), 3);
	assert_int_equal(lab_addr_arg_parse("10.0.0.22", true, &addr, &port, &name), -EINVAL);	/* no port */
	assert_int_equal(lab_addr_arg_parse("10.0.0.22:0", true, &addr, &port, &name), -EINVAL);
	assert_int_equal(lab_addr_arg_parse("10.0.0.22:65536", true, &addr, &port, &name), -EINVAL);
	assert_int_equal(lab_addr_arg_parse("10.0.0.256", false, &addr, NULL, &name), -EINVAL);
	assert_int_equal(lab_addr_arg_parse("255.255.255.255", false, &addr, NULL, &name), -EINVAL);
	assert_int_equal(lab_addr_arg_parse("", false, &addr, NULL, &name), -EINVAL);
	assert_int_equal(lab_bytes_arg_parse("65536", &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(lab_bytes_arg_parse("64K", &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(lab_bytes_arg_parse("1MiB", &n), 0);
	assert_int_equal(n, 1u << 20);
	assert_int_equal(lab_bytes_arg_parse("4G", &n), 0);
	assert_int_equal(lab_bytes_arg_parse("5G", &n), -EINVAL);
	assert_int_equal(lab_bytes_arg_parse("0", &n), -EINVAL);
	assert_int_equal(lab_bytes_arg_parse("1X", &n), -EINVAL);
	assert_int_equal(lab_bytes_arg_parse("-1", &n), -EINVAL);
	assert_int_equal(lab_bytes_arg_parse("1Mx", &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_arp_answered_and_silent_at_link_up),
		cmocka_unit_test(test_ping_answered),
		cmocka_unit_test(test_udp_echo),
		cmocka_unit_test(test_tcp_echo),
		cmocka_unit_test(test_ping_client),
		cmocka_unit_test(test_start_refusals),
		cmocka_unit_test(test_tcp_refused_and_timeout),
		cmocka_unit_test(test_op_state_table),
		cmocka_unit_test(test_vmctl_net),
		cmocka_unit_test(test_step_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
