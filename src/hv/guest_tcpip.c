/*
 * The guest TCP/IP stack (guest_tcpip.h): lwIP's netif over the IOVTCPIP
 * protocol binding, the echo and discard services, and the client
 * operations the host asks for. Frames the binding receives are copied into
 * a ring inside NDIS's receive indication and fed to lwIP from
 * guest_tcpip_poll(), so lwIP never runs inside NetVsc's or the VF's
 * receive path (and a reply it sends never re-enters them); frames lwIP
 * sends go to NDIS at once (linkoutput). The stack runs in lwIP's
 * "mainloop mode" (lwIP doc/doxygen "Multithreading": the raw API from
 * one thread, sys_check_timeouts() from its loop); see guest_tcpip.h.
 */
#include "hv/guest_tcpip.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lwip/etharp.h>
#include <lwip/icmp.h>
#include <lwip/inet_chksum.h>
#include <lwip/init.h>
#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>	/* tcp_active_pcbs: the connections to abort at teardown */
#include <lwip/prot/icmp.h>
#include <lwip/prot/ip4.h>
#include <lwip/raw.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <lwip/udp.h>
#include <netif/ethernet.h>

#include "base/log.h"
#include "hv/guest_traffic.h"

#define GT_LOG "lab.hv.tcpip"
#define RX_SLOTS 1024u		/* frames taken in one receive indication burst and not yet fed */
#define RX_SLOT 1536u
#define FLOWS 16u		/* TCP flows whose highest sent sequence is tracked (retransmits) */
#define PING_ID 0x1ab0u
#define PING_WAIT_MS 1000	/* a ping not answered by then is lost */
#define UDP_MAGIC 0x70647569u	/* "iudp" */
#define UDP_WINDOW 32u		/* datagrams in flight */
#define UDP_QUIET_MS 500	/* all sent, nothing new echoed for this long: the rest is lost */

struct tcp_flow {
	bool used;
	uint16_t sport, dport;
	uint32_t dst;
	uint32_t end;		/* highest seq + len sent */
};

struct echo_conn {
	struct guest_tcpip *t;
	struct tcp_pcb *pcb;
	struct pbuf *pending;	/* received, not yet written back */
	uint16_t off;		/* into pending's first pbuf */
	bool closing;		/* the client closed its side */
	bool discard;		/* port 9: only count */
};

struct client {
	enum guest_tcpip_op_state state;
	struct guest_tcpip_request req;
	struct guest_tcpip_result res;
	int64_t start_us, deadline_us;
	uint64_t retrans_base;
	/* PING */
	struct raw_pcb *raw;
	uint16_t ping_seq;	/* the outstanding request's number */
	bool ping_outstanding;
	int64_t ping_sent_us;
	uint64_t rtt_sum_us;
	/* TCP */
	struct tcp_pcb *tcp;
	uint64_t tx_off, rx_off;
	bool connected;
	/* UDP */
	struct udp_pcb *udp;
	struct guest_traffic_seq useq;
	int64_t last_rx_us, first_tx_us;
	uint64_t udp_given_up;	/* sent, silent past UDP_QUIET_MS: no longer in the window */
};

struct guest_tcpip {
	const struct guest_traffic_proto *proto;
	struct guest_tcpip_config cfg;
	struct netif netif;
	bool netif_added;
	uint8_t mac[6];
	struct guest_tcpip_stats st;
	struct tcp_flow flows[FLOWS], flows_in[FLOWS];	/* by far end and ports, sent / received */
	struct tcp_pcb *echo_l, *discard_l;
	struct udp_pcb *echo_u, *discard_u;
	struct client c;
	/* received frames, oldest at rx_rd */
	unsigned rx_rd, rx_count;
	uint16_t rx_len[RX_SLOTS];
	uint8_t rx[RX_SLOTS][RX_SLOT];
	uint8_t tx[RX_SLOT];
};

static struct guest_tcpip *the_stack;	/* lwIP is one per process */
static bool lwip_ready;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint8_t guest_tcpip_pattern(uint64_t off)
{
	return (uint8_t)((off * 131u) ^ (off >> 9) ^ 0x5a);
}

/* ---- retransmit accounting on the way out ------------------------------------- */
static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * A TCP segment whose sequence range starts before the highest one already
 * seen on its flow is a retransmission: sent again by us (out), or by the
 * far end (in: a segment that fills a gap or repeats) -- either way a frame
 * that was lost or late on the way.
 */
static void note_tcp(struct guest_tcpip *t, const uint8_t *f, uint32_t len, bool out)
{
	struct tcp_flow *flows = out ? t->flows : t->flows_in;
	uint32_t ihl, tot, thl, seq, dlen, dst;
	uint16_t sport, dport;
	struct tcp_flow *fl = NULL, *free_fl = NULL;
	uint8_t flags;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 || f[14 + 9] != 6)
		return;
	ihl = (f[14] & 0xfu) * 4u;
	tot = (uint32_t)f[16] << 8 | f[17];
	if (ihl < 20 || tot > len - 14 || tot < ihl + 20)
		return;
	f += 14;
	memcpy(&dst, f + (out ? 16 : 12), 4);	/* the far end's address */
	sport = (uint16_t)(f[ihl] << 8 | f[ihl + 1]);
	dport = (uint16_t)(f[ihl + 2] << 8 | f[ihl + 3]);
	seq = (uint32_t)f[ihl + 4] << 24 | (uint32_t)f[ihl + 5] << 16 | (uint32_t)f[ihl + 6] << 8 | f[ihl + 7];
	thl = (f[ihl + 12] >> 4) * 4u;
	flags = f[ihl + 13];
	if (thl < 20 || ihl + thl > tot)
		return;
	dlen = tot - ihl - thl + ((flags & 0x01) ? 1 : 0) + ((flags & 0x02) ? 1 : 0);	/* FIN, SYN */
	if (!dlen)
		return;	/* a pure ACK */
	for (unsigned i = 0; i < FLOWS; i++) {
		if (flows[i].used && flows[i].sport == sport && flows[i].dport == dport && flows[i].dst == dst) {
			fl = &flows[i];
			break;
		}
		if (!flows[i].used && !free_fl)
			free_fl = &flows[i];
	}
	if (!fl || (flags & 0x02)) {
		/* A new flow (a SYN starts one again): forget the oldest slot if full. */
		if (!fl)
			fl = free_fl ? free_fl : &flows[sport % FLOWS];
		*fl = (struct tcp_flow){ .used = true, .sport = sport, .dport = dport, .dst = dst, .end = seq + dlen };
		return;
	}
	if (seq_before(seq, fl->end)) {
		if (out)
			t->st.tcp_retransmits++;
		else
			t->st.tcp_retransmits_in++;
		log_debug(GT_LOG, "TCP %u -> %u: segment at %u (+%u) sent again (%s)", sport, dport, seq, dlen,
			  out ? "by us" : "by the far end");
	}
	if (seq_before(fl->end, seq + dlen))
		fl->end = seq + dlen;
}

/* ---- the netif ------------------------------------------------------------------ */
/* lwIP's linkoutput: one frame to NDIS (the protocol copies it before returning). */
static err_t tcpip_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct guest_tcpip *t = nif->state;
	struct guest_traffic_frame f = { .data = t->tx };
	int rc;

	if (p->tot_len > sizeof(t->tx) || p->tot_len < 14)
		return ERR_BUF;
	f.len = pbuf_copy_partial(p, t->tx, p->tot_len, 0);
	if (f.len < 60) {
		memset(t->tx + f.len, 0, 60 - f.len);	/* Ethernet's minimum, as a NIC pads it */
		f.len = 60;
	}
	rc = t->proto->send(&f, 1);
	if (rc != 1) {
		t->st.tx_refused++;
		return rc == 0 ? ERR_MEM : ERR_IF;
	}
	t->st.tx_frames++;
	note_tcp(t, t->tx, f.len, true);
	return ERR_OK;
}

static err_t tcpip_netif_init(struct netif *nif)
{
	struct guest_tcpip *t = nif->state;

	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->output = etharp_output;
	nif->linkoutput = tcpip_linkoutput;
	nif->mtu = 1500;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, t->mac, 6);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

/* Send completions: a frame NDIS took and the miniport failed is lost on the way out. */
static void tcpip_tx_done(void *ctx, unsigned completed, unsigned failed)
{
	struct guest_tcpip *t = ctx;

	(void)completed;
	t->st.tx_failed += failed;
}

/* IOVTCPIP's receive: inside NDIS's indication; copy, feed later. */
static void tcpip_rx(void *ctx, const void *data, uint32_t len)
{
	struct guest_tcpip *t = ctx;
	unsigned wr;

	if (len > RX_SLOT || len < 14)
		return;
	if (t->rx_count == RX_SLOTS) {
		t->st.rx_dropped++;
		return;
	}
	wr = (t->rx_rd + t->rx_count) % RX_SLOTS;
	memcpy(t->rx[wr], data, len);
	t->rx_len[wr] = (uint16_t)len;
	t->rx_count++;
}

static void feed_rx(struct guest_tcpip *t)
{
	while (t->rx_count) {
		unsigned i = t->rx_rd;
		struct pbuf *p = pbuf_alloc(PBUF_RAW, t->rx_len[i], PBUF_RAM);

		t->rx_rd = (t->rx_rd + 1) % RX_SLOTS;
		t->rx_count--;
		if (!p) {
			t->st.rx_dropped++;
			continue;
		}
		(void)pbuf_take(p, t->rx[i], t->rx_len[i]);
		t->st.rx_frames++;
		note_tcp(t, t->rx[i], t->rx_len[i], false);
		if (t->netif.input(p, &t->netif) != ERR_OK)
			pbuf_free(p);
	}
}

/* The netif's link follows the binding: up while IOVTCPIP is bound and running. */
static void track_link(struct guest_tcpip *t)
{
	uint8_t mac[6];
	bool up = t->proto->running(mac);

	if (up && !netif_is_link_up(&t->netif)) {
		if (memcmp(mac, t->netif.hwaddr, 6)) {
			memcpy(t->netif.hwaddr, mac, 6);
			memcpy(t->mac, mac, 6);
		}
		/*
		 * Up without the gratuitous ARP lwIP's netif_issue_reports() sends
		 * (it only does for NETIF_FLAG_ETHARP): the guest stays silent
		 * until a step makes it talk, so the frames a lab counts at the
		 * uplink peer are the ones its steps sent. Others learn our
		 * address from our first ARP request or reply, as from a Linux
		 * guest with arp_notify off (its default).
		 */
		t->netif.flags &= (u8_t)~NETIF_FLAG_ETHARP;
		netif_set_link_up(&t->netif);
		t->netif.flags |= NETIF_FLAG_ETHARP;
		log_info(GT_LOG, "link up (%02x:%02x:%02x:%02x:%02x:%02x)", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	} else if (!up && netif_is_link_up(&t->netif)) {
		netif_set_link_down(&t->netif);
		log_info(GT_LOG, "link down (the binding paused or went away)");
	}
}

/* ---- TCP echo (port 7) and discard (port 9) -------------------------------------- */
static void echo_free(struct echo_conn *c)
{
	if (c->pending)
		pbuf_free(c->pending);
	free(c);
}

/* A close lwIP could not do at once (no memory for the FIN), from the pcb's poll: aborting is allowed here. */
static err_t retry_close(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	if (tcp_close(pcb) == ERR_OK)
		return ERR_OK;
	tcp_abort(pcb);
	return ERR_ABRT;
}

/*
 * Let go of a pcb from inside or outside an lwIP callback. Never
 * tcp_abort() here: inside a recv/sent/connected callback that would free
 * the pcb under lwIP (a callback that aborts must return ERR_ABRT). A close
 * that fails is retried from the pcb's poll callback (lwIP's tcp_close
 * documentation).
 */
static void close_pcb(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);	/* lwIP's tcp_recv_null from now: data freed, FIN answered */
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	if (tcp_close(pcb) != ERR_OK)
		tcp_poll(pcb, retry_close, 2);
}

static void echo_close(struct echo_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	echo_free(c);
	close_pcb(pcb);
}

static void echo_push(struct echo_conn *c)
{
	while (c->pending) {
		struct pbuf *q = c->pending;
		uint16_t room = tcp_sndbuf(c->pcb), n = (uint16_t)(q->len - c->off);

		if (n > room)
			n = room;
		if (n && tcp_write(c->pcb, (const uint8_t *)q->payload + c->off, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		if (n)
			tcp_recved(c->pcb, n);
		c->off = (uint16_t)(c->off + n);
		c->t->st.echo_tcp_bytes += n;
		if (c->off < q->len)
			break;	/* the send buffer is full: sent() continues */
		c->pending = q->next;
		if (q->next)
			pbuf_ref(q->next);
		pbuf_free(q);	/* frees q only: the rest holds the reference just taken */
		c->off = 0;
	}
	(void)tcp_output(c->pcb);
}

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct echo_conn *c = arg;

	(void)pcb;
	if (!c) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		c->closing = true;
		if (!c->pending)
			echo_close(c);
		return ERR_OK;
	}
	if (c->discard) {
		c->t->st.discard_bytes += p->tot_len;
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (c->pending)
		pbuf_cat(c->pending, p);
	else
		c->pending = p;
	echo_push(c);
	return ERR_OK;
}

static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct echo_conn *c = arg;

	(void)pcb;
	(void)len;
	if (!c)
		return ERR_OK;
	echo_push(c);
	if (c->closing && !c->pending)
		echo_close(c);
	return ERR_OK;
}

/* lwIP freed the pcb (reset or aborted): only our state is left to free. */
static void echo_err(void *arg, err_t err)
{
	struct echo_conn *c = arg;

	if (!c)
		return;
	log_debug(GT_LOG, "an echo connection ended (lwIP err %d)", (int)err);
	echo_free(c);
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct guest_tcpip *t = the_stack;
	struct echo_conn *c;

	if (err != ERR_OK || !pcb || !t)
		return ERR_VAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_MEM;
	c->t = t;
	c->pcb = pcb;
	c->discard = arg == (void *)&t->discard_l;
	tcp_arg(pcb, c);
	tcp_recv(pcb, echo_recv);
	tcp_sent(pcb, echo_sent);
	tcp_err(pcb, echo_err);
	return ERR_OK;
}

static struct tcp_pcb *listen_on(uint16_t port, void *arg)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4), *l;

	if (!pcb)
		return NULL;
	if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		tcp_abort(pcb);
		return NULL;
	}
	l = tcp_listen(pcb);
	if (!l) {
		tcp_abort(pcb);
		return NULL;
	}
	tcp_arg(l, arg);
	tcp_accept(l, echo_accept);
	return l;
}

/* ---- UDP echo and discard -------------------------------------------------------------- */
static void udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	struct guest_tcpip *t = arg;

	if (pcb == t->echo_u) {
		t->st.echo_udp_datagrams++;
		(void)udp_sendto(pcb, p, addr, port);
	} else {
		t->st.discard_bytes += p->tot_len;
	}
	pbuf_free(p);
}

static struct udp_pcb *udp_on(struct guest_tcpip *t, uint16_t port)
{
	struct udp_pcb *pcb = udp_new_ip_type(IPADDR_TYPE_V4);

	if (!pcb)
		return NULL;
	if (udp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		udp_remove(pcb);
		return NULL;
	}
	udp_recv(pcb, udp_echo_recv, t);
	return pcb;
}

/* ---- client: the operation's state ---------------------------------------------------------- */
const char *guest_tcpip_op_state_name(enum guest_tcpip_op_state s)
{
	static const char *const names[GUEST_TCPIP_OP_STATE_COUNT] = { "idle", "running", "finished" };

	return (unsigned)s < GUEST_TCPIP_OP_STATE_COUNT ? names[s] : "?";
}

bool guest_tcpip_op_state_transition_allowed(enum guest_tcpip_op_state from, enum guest_tcpip_op_state to)
{
	static const bool ok[GUEST_TCPIP_OP_STATE_COUNT][GUEST_TCPIP_OP_STATE_COUNT] = {
		/* to:                         idle   running finished */
		[GUEST_TCPIP_OP_IDLE] =     { false, true,  false },	/* started */
		[GUEST_TCPIP_OP_RUNNING] =  { false, false, true },	/* done, failed, timed out */
		[GUEST_TCPIP_OP_FINISHED] = { true,  false, false },	/* result taken (or dropped by a new start) */
	};

	return (unsigned)from < GUEST_TCPIP_OP_STATE_COUNT && (unsigned)to < GUEST_TCPIP_OP_STATE_COUNT &&
	       ok[from][to];
}

static void op_set_state(struct client *c, enum guest_tcpip_op_state to)
{
	assert(guest_tcpip_op_state_transition_allowed(c->state, to));
	log_debug(GT_LOG, "operation %d: %s -> %s", (int)c->req.op, guest_tcpip_op_state_name(c->state),
		  guest_tcpip_op_state_name(to));
	c->state = to;
}

/* ---- client: the end of an operation ----------------------------------------------------- */
static void client_release(struct client *c)
{
	if (c->raw) {
		raw_remove(c->raw);
		c->raw = NULL;
	}
	if (c->tcp) {
		close_pcb(c->tcp);
		c->tcp = NULL;
	}
	if (c->udp) {
		udp_remove(c->udp);
		c->udp = NULL;
	}
}

static void client_finish(struct guest_tcpip *t, int status)
{
	struct client *c = &t->c;

	if (c->state != GUEST_TCPIP_OP_RUNNING)
		return;
	if (!c->res.status)
		c->res.status = status;
	c->res.elapsed_us = (uint64_t)(now_us() - c->start_us);
	c->res.retransmits = t->st.tcp_retransmits + t->st.tcp_retransmits_in - c->retrans_base;
	if (c->req.op == GUEST_TCPIP_TCP) {
		c->res.sent = c->tx_off;
		c->res.received = c->rx_off;
		c->res.lost = c->req.bytes > c->rx_off ? c->req.bytes - c->rx_off : 0;
		c->res.intact = c->res.intact && !c->res.status;
	}
	if (c->req.op == GUEST_TCPIP_PING && c->res.received)
		c->res.rtt_avg_us = c->rtt_sum_us / c->res.received;
	client_release(c);
	op_set_state(c, GUEST_TCPIP_OP_FINISHED);
}

/* ---- client: ping ---------------------------------------------------------------------- */
static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	struct guest_tcpip *t = arg;
	struct client *c = &t->c;
	struct icmp_echo_hdr h;
	uint16_t ihl;
	uint8_t v;

	(void)pcb;
	if (c->state != GUEST_TCPIP_OP_RUNNING || c->req.op != GUEST_TCPIP_PING || !c->ping_outstanding ||
	    ip4_addr_get_u32(ip_2_ip4(addr)) != lwip_htonl(c->req.addr))
		return 0;
	if (pbuf_copy_partial(p, &v, 1, 0) != 1)
		return 0;
	ihl = (uint16_t)((v & 0xfu) * 4u);
	if (p->tot_len < ihl + sizeof(h) || pbuf_copy_partial(p, &h, sizeof(h), ihl) != sizeof(h))
		return 0;
	if (h.type != ICMP_ER || h.id != lwip_htons(PING_ID) || h.seqno != lwip_htons(c->ping_seq))
		return 0;	/* not ours: lwIP goes on with it */
	{
		uint64_t rtt = (uint64_t)(now_us() - c->ping_sent_us);

		if (!c->res.received || rtt < c->res.rtt_min_us)
			c->res.rtt_min_us = rtt;
		if (rtt > c->res.rtt_max_us)
			c->res.rtt_max_us = rtt;
		c->rtt_sum_us += rtt;
	}
	if (p->tot_len - ihl - sizeof(h) != c->req.size)
		c->res.mismatched++;
	c->res.received++;
	c->ping_outstanding = false;
	pbuf_free(p);
	return 1;
}

static void ping_send(struct guest_tcpip *t)
{
	struct client *c = &t->c;
	uint16_t len = (uint16_t)(sizeof(struct icmp_echo_hdr) + c->req.size);
	struct pbuf *p = pbuf_alloc(PBUF_IP, len, PBUF_RAM);
	struct icmp_echo_hdr *h;
	ip_addr_t to;

	if (!p)
		return;
	h = p->payload;
	h->type = ICMP_ECHO;
	h->code = 0;
	h->chksum = 0;
	h->id = lwip_htons(PING_ID);
	h->seqno = lwip_htons(++c->ping_seq);
	for (uint32_t i = 0; i < c->req.size; i++)
		((uint8_t *)(h + 1))[i] = (uint8_t)i;
	h->chksum = inet_chksum(h, len);
	ip_addr_set_ip4_u32_val(to, lwip_htonl(c->req.addr));
	c->ping_outstanding = true;
	c->ping_sent_us = now_us();
	c->res.sent++;
	(void)raw_sendto(c->raw, p, &to);
	pbuf_free(p);
}

static void ping_poll(struct guest_tcpip *t)
{
	struct client *c = &t->c;

	if (c->ping_outstanding) {
		if (now_us() - c->ping_sent_us < (int64_t)PING_WAIT_MS * 1000)
			return;
		c->ping_outstanding = false;
		c->res.lost++;
	}
	if (c->res.sent < c->req.count) {
		ping_send(t);
		return;
	}
	client_finish(t, c->res.received ? 0 : -EHOSTUNREACH);
}

/* ---- client: TCP stream to an echo service ---------------------------------------------------- */
static void tcp_push(struct guest_tcpip *t)
{
	struct client *c = &t->c;
	uint8_t buf[4096];

	while (c->tcp && c->tx_off < c->req.bytes) {
		uint32_t n = tcp_sndbuf(c->tcp);
		uint64_t left = c->req.bytes - c->tx_off;

		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > left)
			n = (uint32_t)left;
		if (!n)
			break;
		for (uint32_t i = 0; i < n; i++)
			buf[i] = guest_tcpip_pattern(c->tx_off + i);
		if (tcp_write(c->tcp, buf, (u16_t)n, TCP_WRITE_FLAG_COPY | (left > n ? TCP_WRITE_FLAG_MORE : 0)) != ERR_OK)
			break;
		c->tx_off += n;
	}
	if (c->tcp)
		(void)tcp_output(c->tcp);
}

static err_t cl_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct guest_tcpip *t = arg;
	struct client *c = &t->c;

	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		/* The echo service closed before every byte came back. */
		c->res.intact = false;
		client_finish(t, -EPIPE);
		return ERR_OK;
	}
	{
		uint64_t off = c->rx_off;

		for (struct pbuf *q = p; q; q = q->next)
			for (uint16_t i = 0; i < q->len; i++, off++)
				if (((const uint8_t *)q->payload)[i] != guest_tcpip_pattern(off))
					c->res.mismatched++;
	}
	c->rx_off += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	if (c->rx_off >= c->req.bytes) {
		if (c->rx_off > c->req.bytes)
			c->res.mismatched += c->rx_off - c->req.bytes;	/* more came back than went */
		client_finish(t, 0);
	}
	return ERR_OK;
}

static err_t cl_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	tcp_push(arg);
	return ERR_OK;
}

/* lwIP freed the pcb. */
static void cl_tcp_err(void *arg, err_t err)
{
	struct guest_tcpip *t = arg;
	struct client *c = &t->c;

	c->tcp = NULL;
	c->res.intact = false;
	log_info(GT_LOG, "TCP stream ended (lwIP err %d)", (int)err);
	client_finish(t, !c->connected && err == ERR_RST ? -ECONNREFUSED : err == ERR_RST ? -ECONNRESET : -ECONNABORTED);
}

static err_t cl_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct guest_tcpip *t = arg;
	struct client *c = &t->c;

	(void)pcb;
	if (err != ERR_OK) {
		client_finish(t, -ECONNREFUSED);
		return ERR_OK;
	}
	c->connected = true;
	c->res.intact = true;
	tcp_push(t);
	return ERR_OK;
}

/* ---- client: UDP to an echo service --------------------------------------------------------- */
static void udp_fill(uint8_t *b, uint32_t size, uint32_t seq)
{
	uint32_t magic = UDP_MAGIC;

	memcpy(b, &magic, 4);
	memcpy(b + 4, &seq, 4);
	for (uint32_t i = 8; i < size; i++)
		b[i] = (uint8_t)(seq * 7u + i);
}

static void cl_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
	struct guest_tcpip *t = arg;
	struct client *c = &t->c;
	uint8_t b[1472], want[1472];
	uint32_t magic, seq;

	(void)pcb;
	(void)addr;
	(void)port;
	if (c->state != GUEST_TCPIP_OP_RUNNING || p->tot_len != c->req.size || pbuf_copy_partial(p, b, p->tot_len, 0) != p->tot_len) {
		c->res.mismatched++;
		pbuf_free(p);
		return;
	}
	pbuf_free(p);
	memcpy(&magic, b, 4);
	memcpy(&seq, b + 4, 4);
	udp_fill(want, c->req.size, seq);
	if (magic != UDP_MAGIC || seq >= c->res.sent || memcmp(b, want, c->req.size)) {
		c->res.mismatched++;
		return;
	}
	guest_traffic_seq_take(&c->useq, seq);
	c->res.received = c->useq.received;
	c->last_rx_us = now_us();
}

static void udp_poll(struct guest_tcpip *t)
{
	struct client *c = &t->c;
	int64_t now = now_us();
	/* One datagram until the first echo: lwIP queues only ARP_QUEUE_LEN frames behind an ARP request. */
	uint64_t window = c->res.received || (c->first_tx_us && now - c->first_tx_us > 1000000) ? UDP_WINDOW : 1;
	ip_addr_t to;

	ip_addr_set_ip4_u32_val(to, lwip_htonl(c->req.addr));
	for (unsigned burst = 0; burst < 16 && c->res.sent < c->req.count &&
					   c->res.sent - c->res.received - c->udp_given_up < window;
	     burst++) {
		struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)c->req.size, PBUF_RAM);

		if (!p)
			break;
		udp_fill(p->payload, c->req.size, (uint32_t)c->res.sent);
		if (udp_sendto(c->udp, p, &to, c->req.port) != ERR_OK) {
			pbuf_free(p);
			break;
		}
		pbuf_free(p);
		if (!c->first_tx_us)
			c->first_tx_us = now;
		c->res.sent++;
	}
	if (c->res.received == c->req.count) {
		client_finish(t, 0);
		return;
	}
	/* In flight but nothing new for a while: what is out is lost; go on with the rest. */
	if (c->res.sent > c->res.received + c->udp_given_up &&
	    now - (c->last_rx_us > c->first_tx_us ? c->last_rx_us : c->first_tx_us) > (int64_t)UDP_QUIET_MS * 1000) {
		if (c->res.sent == c->req.count) {
			c->res.lost = c->req.count - c->res.received;
			client_finish(t, 0);
			return;
		}
		c->udp_given_up = c->res.sent - c->res.received;
		c->last_rx_us = now;
	}
}

/* ---- the operations ------------------------------------------------------------------------- */
int guest_tcpip_start(struct guest_tcpip *t, const struct guest_tcpip_request *req)
{
	struct client *c = &t->c;
	ip_addr_t to;

	if (c->state == GUEST_TCPIP_OP_RUNNING)
		return -EBUSY;
	if (!req->addr || req->addr == 0xffffffffu || req->timeout_ms == 0)
		return -EINVAL;
	if (req->addr == t->cfg.addr)
		return -EINVAL;
	switch (req->op) {
	case GUEST_TCPIP_PING:
		if (!req->count || req->size > 1472)
			return -EINVAL;
		break;
	case GUEST_TCPIP_TCP:
		if (!req->port || !req->bytes)
			return -EINVAL;
		break;
	case GUEST_TCPIP_UDP:
		if (!req->port || !req->count || req->size < 8 || req->size > 1472)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	track_link(t);
	if (!netif_is_link_up(&t->netif))
		return -ENETDOWN;
	client_release(c);
	if (c->state == GUEST_TCPIP_OP_FINISHED)
		op_set_state(c, GUEST_TCPIP_OP_IDLE);	/* a result nobody took: dropped */
	memset(c, 0, sizeof(*c));	/* state IDLE */
	c->req = *req;
	c->res.op = req->op;
	c->start_us = now_us();
	c->deadline_us = c->start_us + (int64_t)req->timeout_ms * 1000;
	c->retrans_base = t->st.tcp_retransmits + t->st.tcp_retransmits_in;
	ip_addr_set_ip4_u32_val(to, lwip_htonl(req->addr));
	switch (req->op) {
	case GUEST_TCPIP_PING:
		if (!(c->raw = raw_new(IP_PROTO_ICMP)))
			return -ENOMEM;
		raw_recv(c->raw, ping_recv, t);
		break;
	case GUEST_TCPIP_TCP:
		if (!(c->tcp = tcp_new_ip_type(IPADDR_TYPE_V4)))
			return -ENOMEM;
		tcp_arg(c->tcp, t);
		tcp_recv(c->tcp, cl_tcp_recv);
		tcp_sent(c->tcp, cl_tcp_sent);
		tcp_err(c->tcp, cl_tcp_err);
		if (tcp_connect(c->tcp, &to, req->port, cl_tcp_connected) != ERR_OK) {
			client_release(c);
			return -ENOMEM;
		}
		break;
	case GUEST_TCPIP_UDP:
		if (!(c->udp = udp_new_ip_type(IPADDR_TYPE_V4)))
			return -ENOMEM;
		udp_recv(c->udp, cl_udp_recv, t);
		guest_traffic_seq_init(&c->useq);
		break;
	}
	op_set_state(c, GUEST_TCPIP_OP_RUNNING);
	return 0;
}

bool guest_tcpip_done(struct guest_tcpip *t, struct guest_tcpip_result *res)
{
	if (t->c.state != GUEST_TCPIP_OP_FINISHED)
		return false;
	*res = t->c.res;
	op_set_state(&t->c, GUEST_TCPIP_OP_IDLE);
	return true;
}

static void client_poll(struct guest_tcpip *t)
{
	struct client *c = &t->c;

	if (c->state != GUEST_TCPIP_OP_RUNNING)
		return;
	if (now_us() > c->deadline_us) {
		if (c->req.op == GUEST_TCPIP_PING && c->ping_outstanding)
			c->res.lost++;
		if (c->req.op == GUEST_TCPIP_UDP)
			c->res.lost = c->req.count - c->res.received;
		c->res.intact = false;
		client_finish(t, -ETIMEDOUT);
		return;
	}
	if (c->req.op == GUEST_TCPIP_PING)
		ping_poll(t);
	else if (c->req.op == GUEST_TCPIP_UDP)
		udp_poll(t);
	else if (c->req.op == GUEST_TCPIP_TCP && c->connected)
		tcp_push(t);
}

/* ---- life ---------------------------------------------------------------------------------- */
void guest_tcpip_poll(struct guest_tcpip *t)
{
	if (!t)
		return;
	track_link(t);
	feed_rx(t);
	sys_check_timeouts();
	client_poll(t);
}

int guest_tcpip_next_ms(const struct guest_tcpip *t)
{
	u32_t ms;

	if (!t)
		return -1;
	if (t->rx_count)
		return 0;
	ms = sys_timeouts_sleeptime();
	if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		return -1;
	return ms > (u32_t)INT32_MAX ? INT32_MAX : (int)ms;
}

void guest_tcpip_get_stats(const struct guest_tcpip *t, struct guest_tcpip_stats *st)
{
	*st = t->st;
}

int guest_tcpip_create(const struct guest_traffic_proto *proto, const struct guest_tcpip_config *cfg,
		       struct guest_tcpip **out)
{
	struct guest_tcpip *t;
	ip4_addr_t addr, mask, gw;
	int rc;

	*out = NULL;
	if (!proto || !cfg || !proto->attach || !proto->send || !proto->running)
		return -EINVAL;
	if (!cfg->addr || cfg->addr == 0xffffffffu || cfg->prefix < 1 || cfg->prefix > 32)
		return -EINVAL;
	if (the_stack)
		return -EBUSY;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->proto = proto;
	t->cfg = *cfg;
	if ((rc = proto->attach(tcpip_rx, tcpip_tx_done, t))) {
		free(t);
		return rc;
	}
	(void)proto->running(t->mac);
	if (!lwip_ready) {
		lwip_init();	/* once per process: lwIP cannot be torn down */
		lwip_ready = true;
	}
	ip4_addr_set_u32(&addr, lwip_htonl(cfg->addr));
	ip4_addr_set_u32(&mask, lwip_htonl((uint32_t)(0xffffffffull << (32 - cfg->prefix))));
	ip4_addr_set_u32(&gw, lwip_htonl(cfg->gateway));
	if (!netif_add(&t->netif, &addr, &mask, &gw, t, tcpip_netif_init, ethernet_input)) {
		proto->attach(NULL, NULL, NULL);
		free(t);
		return -ENOMEM;
	}
	t->netif_added = true;
	netif_set_default(&t->netif);
	netif_set_up(&t->netif);
	the_stack = t;
	t->echo_l = listen_on(GUEST_TCPIP_ECHO_PORT, &t->echo_l);
	t->discard_l = listen_on(GUEST_TCPIP_DISCARD_PORT, &t->discard_l);
	t->echo_u = udp_on(t, GUEST_TCPIP_ECHO_PORT);
	t->discard_u = udp_on(t, GUEST_TCPIP_DISCARD_PORT);
	if (!t->echo_l || !t->discard_l || !t->echo_u || !t->discard_u) {
		guest_tcpip_destroy(t);
		return -ENOMEM;
	}
	track_link(t);
	log_info(GT_LOG, "IPv4 %u.%u.%u.%u/%u on %02x:%02x:%02x:%02x:%02x:%02x; echo and discard on ports 7 and 9",
		 cfg->addr >> 24, (cfg->addr >> 16) & 0xff, (cfg->addr >> 8) & 0xff, cfg->addr & 0xff, cfg->prefix,
		 t->mac[0], t->mac[1], t->mac[2], t->mac[3], t->mac[4], t->mac[5]);
	*out = t;
	return 0;
}

void guest_tcpip_destroy(struct guest_tcpip *t)
{
	if (!t)
		return;
	log_info(GT_LOG, "down: %llu frames in, %llu out, %llu refused, %llu failed, %llu dropped on receive; "
		 "%llu TCP segments sent again, %llu received again", (unsigned long long)t->st.rx_frames,
		 (unsigned long long)t->st.tx_frames, (unsigned long long)t->st.tx_refused,
		 (unsigned long long)t->st.tx_failed, (unsigned long long)t->st.rx_dropped,
		 (unsigned long long)t->st.tcp_retransmits, (unsigned long long)t->st.tcp_retransmits_in);
	client_release(&t->c);
	/* Every connection the services accepted: aborted (a guest shutting down sends RSTs). */
	while (tcp_active_pcbs) {
		struct tcp_pcb *pcb = tcp_active_pcbs;

		tcp_abort(pcb);	/* calls echo_err, which frees the connection's state */
	}
	if (t->echo_l)
		tcp_close(t->echo_l);
	if (t->discard_l)
		tcp_close(t->discard_l);
	if (t->echo_u)
		udp_remove(t->echo_u);
	if (t->discard_u)
		udp_remove(t->discard_u);
	if (t->netif_added) {
		netif_set_down(&t->netif);
		netif_remove(&t->netif);
	}
	t->proto->attach(NULL, NULL, NULL);
	if (the_stack == t)
		the_stack = NULL;
	free(t);
}
