/*
 * srnic's uplink to a real Linux network: the PF's physical port plugged
 * into a Linux interface, the two backends a lab's [nic] uplink names
 * besides the built-in peer (lab.h struct lab_uplink):
 *
 *   tap:IFNAME   a TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI): frames
 *                the NIC switch sends out of the uplink are what the host
 *                kernel receives on IFNAME, and what the kernel sends on
 *                IFNAME comes into the NIC switch. Created if it does not
 *                exist (CAP_NET_ADMIN), or attached to an existing one the
 *                user may open (ip tuntap add ... user U);
 *   veth:IFNAME  one end of a veth pair (or any Ethernet interface): an
 *                AF_PACKET raw socket bound to IFNAME, promiscuous, that
 *                sends what the NIC switch sends out and receives every
 *                frame arriving on IFNAME (never its own). Needs CAP_NET_RAW.
 *
 * Each is a struct srnic_uplink_ops backend attached with
 * srnic_uplink_attach(); its file descriptor goes into the host's event
 * loop, which calls srnic_hostif_poll() when it is readable. The interface
 * is set up (IFF_UP) when opened. The link is up while the interface is
 * up and running (IFF_RUNNING, sampled every 200 ms by srnic_hostif_tick()). Frames the kernel
 * hands over must be whole Ethernet frames with their checksums: a veth
 * whose peer does TSO/GSO or checksum offload delivers 64 KiB super-frames
 * or partial checksums, so the far end turns those offloads off (ethtool
 * -K DEV tso off gso off tx off); frames above 9018 bytes are refused and
 * counted. docs/uplinks.md.
 *
 * Single-threaded, on the host's loop, like srnic itself.
 */
#ifndef IOVLAB_HW_SRNIC_HOSTIF_H
#define IOVLAB_HW_SRNIC_HOSTIF_H

#include <stddef.h>
#include <stdint.h>

struct srnic;
struct srnic_hostif;

enum srnic_hostif_kind {
	SRNIC_HOSTIF_TAP,
	SRNIC_HOSTIF_VETH,
};

struct srnic_hostif_stats {
	uint64_t to_wire, to_wire_bytes;	/* frames the NIC sent out through the interface */
	uint64_t to_wire_errors;		/* write/send refused (interface down, no buffer) */
	uint64_t from_wire, from_wire_bytes;	/* frames delivered into the NIC switch */
	uint64_t from_wire_refused;		/* too short, too long (offloaded super-frames), link down */
};

/*
 * Open IFNAME and attach it as nic's uplink. 0 and *out; -EINVAL (kind or
 * name), -EPERM / -EACCES (no CAP_NET_ADMIN / CAP_NET_RAW: err says
 * which), -ENODEV (veth: no such interface), -errno otherwise; err holds
 * one line. Nothing is attached on failure.
 */
int srnic_hostif_open(struct srnic *nic, enum srnic_hostif_kind kind, const char *ifname, struct srnic_hostif **out,
		      char *err, size_t errlen);
/* Detach from the NIC and close. NULL is a no-op. */
void srnic_hostif_close(struct srnic_hostif *hi);
/* The descriptor to watch for input (EPOLLIN). */
int srnic_hostif_fd(const struct srnic_hostif *hi);
/* Sample the interface's link (at most every 200 ms); call from the loop's rounds. */
void srnic_hostif_tick(struct srnic_hostif *hi);
/* Deliver every frame waiting on the interface into the NIC switch; returns how many. */
unsigned srnic_hostif_poll(struct srnic_hostif *hi);
void srnic_hostif_get_stats(const struct srnic_hostif *hi, struct srnic_hostif_stats *st);
const char *srnic_hostif_name(const struct srnic_hostif *hi);

#endif /* IOVLAB_HW_SRNIC_HOSTIF_H */
