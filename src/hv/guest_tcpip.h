/*
 * The guest's TCP/IP stack: lwIP (Debian's liblwip 2.1.3, as packaged) on
 * one netif that is the VM network adapter -- NetVsc's miniport edge,
 * reached through an NDIS protocol bound to it (the IOVTCPIP build of the
 * raw-frame protocol driver, guest_traffic_proto.h), so every IP frame
 * takes the VF or the synthetic path exactly as NetVsc's data path says.
 * Static IPv4 from the lab's [vmnetworkadapter] ip. On top, the guest's
 * apps: lwIP answers pings itself; a TCP and a UDP echo service (port 7)
 * and a TCP and UDP discard sink (port 9); and the client operations the
 * host asks for over the control channel (wire/vmctl.h NET): ping, a TCP
 * stream to an echo service verified byte for byte, a UDP echo run.
 * docs/hv/guest-tcpip.md.
 *
 * One stack per process: lwIP keeps its state in globals (netif_list,
 * tcp_active_pcbs ...), so a VM's process has at most one guest_tcpip.
 * Single-threaded: Debian built lwIP with NO_SYS=0 (a tcpip thread and
 * core locking), but the guest partition runs its whole stack -- NDIS,
 * NetVsc, the VF miniport -- on one thread that is not thread-safe, so the
 * stack is driven the way lwIP's "mainloop mode" documents: lwip_init()
 * once, frames fed to the netif from that thread, sys_check_timeouts()
 * from its loop (guest_tcpip_poll), and the tcpip thread never started.
 * lwipopts.h stays as Debian built it (struct layouts depend on it).
 */
#ifndef IOVLAB_HV_GUEST_TCPIP_H
#define IOVLAB_HV_GUEST_TCPIP_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/guest_traffic_proto.h"

#define GUEST_TCPIP_PROTO_COMPONENT_ID "IOVLAB_GUEST_TCPIP"
#define GUEST_TCPIP_PROTO_NAME "IOVTCPIP"	/* as the bindings view shows it */

#define GUEST_TCPIP_ECHO_PORT 7u	/* RFC 862, TCP and UDP */
#define GUEST_TCPIP_DISCARD_PORT 9u	/* RFC 863, TCP and UDP */

struct guest_tcpip;	/* opaque; one per process */

struct guest_tcpip_config {
	uint32_t addr;		/* IPv4, host byte order (10.0.0.21 is 0x0a000015) */
	uint8_t prefix;		/* 1..32 */
	uint32_t gateway;	/* 0: none */
};

/* What the netif saw (frames, not bytes). */
struct guest_tcpip_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t tx_refused;		/* NDIS did not take it: not bound, paused, no NBL free */
	uint64_t tx_failed;		/* NDIS took it, the send completed with a failure */
	uint64_t rx_dropped;		/* received but not fed to lwIP: the ring full, no pbuf */
	uint64_t tcp_retransmits;	/* TCP segments we sent again (a frame lost or late on the way) */
	uint64_t tcp_retransmits_in;	/* ... and the far ends sent again (arrived behind what we had) */
	uint64_t echo_tcp_bytes, echo_udp_datagrams;	/* the echo services' work */
	uint64_t discard_bytes;		/* the discard sinks' */
};

/*
 * Bring the stack up on the protocol's binding (proto from
 * ndis_protocol_driver_symbol(p, GUEST_TRAFFIC_PROTO_SYMBOL) of the
 * IOVTCPIP driver). The netif's MAC is the adapter's, its link follows the
 * binding (running or not). 0 and *out; -EINVAL (bad address or prefix),
 * -EBUSY (one exists in this process, or the protocol has a sink), -ENOMEM.
 */
int guest_tcpip_create(const struct guest_traffic_proto *proto, const struct guest_tcpip_config *cfg,
		       struct guest_tcpip **out);
/* Close every connection, take the netif down, detach. NULL is a no-op. */
void guest_tcpip_destroy(struct guest_tcpip *t);

/* lwIP's timers and the running operation; call from the partition's loop (every ms or so). */
void guest_tcpip_poll(struct guest_tcpip *t);
/*
 * How long the loop may sleep before guest_tcpip_poll() has work that no
 * event brings (lwIP's next timer: TCP retransmission, delayed ACK, ARP
 * ageing): ms, 0 for at once, -1 for no timer at all. Received frames wake
 * the loop through their own interrupt.
 */
int guest_tcpip_next_ms(const struct guest_tcpip *t);
void guest_tcpip_get_stats(const struct guest_tcpip *t, struct guest_tcpip_stats *st);

/* ---- client operations, one at a time ------------------------------------------ */
/* An operation's life: idle -> running (start) -> finished (done, failed, timed out) -> idle (result taken). */
enum guest_tcpip_op_state {
	GUEST_TCPIP_OP_IDLE,
	GUEST_TCPIP_OP_RUNNING,
	GUEST_TCPIP_OP_FINISHED,
	GUEST_TCPIP_OP_STATE_COUNT
};
const char *guest_tcpip_op_state_name(enum guest_tcpip_op_state s);
bool guest_tcpip_op_state_transition_allowed(enum guest_tcpip_op_state from, enum guest_tcpip_op_state to);

enum guest_tcpip_op {
	GUEST_TCPIP_PING = 1,	/* count ICMP echo requests of size payload bytes */
	GUEST_TCPIP_TCP = 2,	/* stream bytes to an echo service, check every echoed byte */
	GUEST_TCPIP_UDP = 3,	/* count datagrams of size bytes to an echo service */
};

struct guest_tcpip_request {
	enum guest_tcpip_op op;
	uint32_t addr;		/* host byte order */
	uint16_t port;		/* TCP, UDP */
	uint32_t count;		/* PING, UDP */
	uint32_t size;		/* PING: payload 0..1472; UDP: datagram 8..1472 */
	uint64_t bytes;		/* TCP */
	uint32_t timeout_ms;	/* the whole operation */
};

struct guest_tcpip_result {
	enum guest_tcpip_op op;
	int status;		/* 0; -ETIMEDOUT, -ECONNREFUSED, -ECONNRESET, -EHOSTUNREACH, -EIO ... */
	uint64_t sent, received;	/* PING, UDP: packets; TCP: bytes */
	uint64_t lost;		/* PING, UDP: never answered; TCP: bytes never echoed */
	uint64_t mismatched;	/* TCP: echoed bytes that differ; UDP: damaged or foreign echoes */
	uint64_t retransmits;	/* TCP: segments sent again during the run, by either end */
	uint64_t elapsed_us;
	uint64_t rtt_min_us, rtt_avg_us, rtt_max_us;	/* PING */
	bool intact;		/* TCP: connected, never reset or aborted, closed in order */
};

/*
 * Start an operation. 0; -EBUSY (one is running), -EINVAL (a field out of
 * range, or addr is this stack's own address: lwIP's loopback needs the
 * tcpip thread), -ENETDOWN (no address or the binding is not running),
 * -ENOMEM.
 */
int guest_tcpip_start(struct guest_tcpip *t, const struct guest_tcpip_request *req);
/* Whether the running operation finished; then *res once (the next call says false). */
bool guest_tcpip_done(struct guest_tcpip *t, struct guest_tcpip_result *res);

/* The byte the TCP stream carries at offset off (both ends check it). */
uint8_t guest_tcpip_pattern(uint64_t off);

#endif /* IOVLAB_HV_GUEST_TCPIP_H */
