/*
 * The TAP and veth uplink backends (hostif.h): a Linux interface behind
 * srnic's uplink ops. TAP follows the kernel's Documentation/networking/
 * tuntap.rst (TUNSETIFF with IFF_TAP | IFF_NO_PI: one read() is one
 * Ethernet frame, no packet-information header); veth uses a packet(7)
 * socket (SOCK_RAW, ETH_P_ALL, bound with sockaddr_ll to the interface,
 * PACKET_MR_PROMISC), dropping PACKET_OUTGOING copies of its own sends.
 */
#include "hw/srnic/hostif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hw/srnic/srnic.h"
#include "wire/srnic_regs.h"

#define HOSTIF_LOG "lab.hw.srnic.uplink"
#define HOSTIF_BUF 65536u	/* room for an offloaded super-frame, so it is read whole and refused */
#define HOSTIF_BATCH 256u	/* frames per poll: the loop goes round to the guests in between */

struct srnic_hostif {
	struct srnic *nic;
	enum srnic_hostif_kind kind;
	char name[IFNAMSIZ];
	int fd;
	int ifindex;
	bool link_up;
	struct timespec sampled;	/* when the link was last sampled */
	struct srnic_hostif_stats st;
	uint8_t buf[HOSTIF_BUF];
};

static int hostif_transmit(void *ctx, const void *frame, size_t len)
{
	struct srnic_hostif *hi = ctx;
	ssize_t n;

	if (hi->kind == SRNIC_HOSTIF_TAP)
		n = write(hi->fd, frame, len);
	else
		n = send(hi->fd, frame, len, MSG_DONTWAIT);
	if (n != (ssize_t)len) {
		hi->st.to_wire_errors++;
		if (hi->st.to_wire_errors <= 4)
			log_warn(HOSTIF_LOG, "%s: a %zu-byte frame was not sent (%s)", hi->name, len,
				 n < 0 ? strerror(errno) : "short write");
		return n < 0 ? -errno : -EIO;
	}
	hi->st.to_wire++;
	hi->st.to_wire_bytes += len;
	log_trace(HOSTIF_LOG, "%s: %zu-byte frame out", hi->name, len);
	return 0;
}

static bool hostif_link_up(void *ctx)
{
	return ((struct srnic_hostif *)ctx)->link_up;
}

static const struct srnic_uplink_ops hostif_ops = {
	.transmit = hostif_transmit,
	.link_up = hostif_link_up,
};

/* IFF_UP on the interface (best effort) and whether it runs. */
static int if_flags(const char *name, bool set_up, short *flags)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	if (set_up && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			log_warn(HOSTIF_LOG, "%s: cannot set it up (%s); `ip link set %s up` does", name, strerror(errno),
				 name);
		(void)ioctl(s, SIOCGIFFLAGS, &ifr);
	}
	*flags = ifr.ifr_flags;
out:
	close(s);
	return rc;
}

static void sample_link(struct srnic_hostif *hi)
{
	short flags = 0;
	bool up = if_flags(hi->name, false, &flags) == 0 && (flags & IFF_UP) && (flags & IFF_RUNNING);

	clock_gettime(CLOCK_MONOTONIC, &hi->sampled);

	if (up != hi->link_up) {
		hi->link_up = up;
		log_info(HOSTIF_LOG, "%s: link %s", hi->name, up ? "up" : "down");
		srnic_uplink_link_changed(hi->nic);
	}
}

static int open_tap(struct srnic_hostif *hi, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "tap:%s: cannot open /dev/net/tun (%s)", hi->name, strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", hi->name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		snprintf(err, errlen, "tap:%s: TUNSETIFF failed (%s)%s", hi->name, strerror(e),
			 e == EPERM ? ": creating a TAP needs CAP_NET_ADMIN, or create it first with "
				      "`ip tuntap add dev NAME mode tap user YOU`"
				    : "");
		close(fd);
		return -e;
	}
	hi->fd = fd;
	return 0;
}

static int open_packet(struct srnic_hostif *hi, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	unsigned idx = if_nametoindex(hi->name);
	int fd, e;

	if (!idx) {
		snprintf(err, errlen, "veth:%s: no such interface", hi->name);
		return -ENODEV;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "veth:%s: cannot open a packet socket (%s)%s", hi->name, strerror(e),
			 e == EPERM ? ": it needs CAP_NET_RAW (run as root)" : "");
		return -e;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		e = errno;
		snprintf(err, errlen, "veth:%s: cannot bind a packet socket to it (%s)", hi->name, strerror(e));
		close(fd);
		return -e;
	}
	/* Frames for the VMs' MACs, not the interface's own: the switch behind us decides. */
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)idx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		log_warn(HOSTIF_LOG, "%s: cannot make it promiscuous (%s)", hi->name, strerror(errno));
	hi->fd = fd;
	hi->ifindex = (int)idx;
	return 0;
}

int srnic_hostif_open(struct srnic *nic, enum srnic_hostif_kind kind, const char *ifname, struct srnic_hostif **out,
		      char *err, size_t errlen)
{
	struct srnic_hostif *hi;
	short flags;
	int rc;

	*out = NULL;
	if (!nic || !ifname || !*ifname || strlen(ifname) >= IFNAMSIZ ||
	    (kind != SRNIC_HOSTIF_TAP && kind != SRNIC_HOSTIF_VETH)) {
		snprintf(err, errlen, "uplink: bad interface name or kind");
		return -EINVAL;
	}
	hi = calloc(1, sizeof(*hi));
	if (!hi) {
		snprintf(err, errlen, "uplink: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	hi->nic = nic;
	hi->kind = kind;
	hi->fd = -1;
	snprintf(hi->name, sizeof(hi->name), "%s", ifname);
	rc = kind == SRNIC_HOSTIF_TAP ? open_tap(hi, err, errlen) : open_packet(hi, err, errlen);
	if (rc) {
		free(hi);
		return rc;
	}
	(void)if_flags(hi->name, true, &flags);
	hi->link_up = false;
	if ((rc = srnic_uplink_attach(nic, &hostif_ops, hi))) {
		snprintf(err, errlen, "uplink %s: cannot attach (%s)", hi->name, strerror(-rc));
		close(hi->fd);
		free(hi);
		return rc;
	}
	sample_link(hi);
	log_info(HOSTIF_LOG, "%s:%s attached as the uplink (link %s)", kind == SRNIC_HOSTIF_TAP ? "tap" : "veth",
		 hi->name, hi->link_up ? "up" : "down");
	*out = hi;
	return 0;
}

void srnic_hostif_close(struct srnic_hostif *hi)
{
	if (!hi)
		return;
	srnic_uplink_detach(hi->nic);
	if (hi->fd >= 0)
		close(hi->fd);
	free(hi);
}

int srnic_hostif_fd(const struct srnic_hostif *hi)
{
	return hi->fd;
}

const char *srnic_hostif_name(const struct srnic_hostif *hi)
{
	return hi->name;
}

void srnic_hostif_tick(struct srnic_hostif *hi)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - hi->sampled.tv_sec) * 1000 + (now.tv_nsec - hi->sampled.tv_nsec) / 1000000 >= 200)
		sample_link(hi);
}

unsigned srnic_hostif_poll(struct srnic_hostif *hi)
{
	unsigned n = 0;

	srnic_hostif_tick(hi);
	while (n < HOSTIF_BATCH) {
		ssize_t len;

		if (hi->kind == SRNIC_HOSTIF_TAP) {
			len = read(hi->fd, hi->buf, sizeof(hi->buf));
		} else {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);

			len = recvfrom(hi->fd, hi->buf, sizeof(hi->buf), MSG_TRUNC, (struct sockaddr *)&from, &fl);
			if (len >= 0 && from.sll_pkttype == PACKET_OUTGOING)
				continue;	/* our own transmission, looped back to the socket */
		}
		if (len < 0)
			break;	/* EAGAIN: drained (or an error the next poll sees again) */
		n++;
		if ((size_t)len > sizeof(hi->buf) || len < (ssize_t)SRNIC_FRAME_MIN || len > (ssize_t)SRNIC_FRAME_MAX) {
			hi->st.from_wire_refused++;
			if (hi->st.from_wire_refused <= 4)
				log_warn(HOSTIF_LOG, "%s: a %zd-byte frame refused (over 9018 bytes: turn TSO/GSO off on "
					 "the sending side)", hi->name, len);
			continue;
		}
		log_trace(HOSTIF_LOG, "%s: %zd-byte frame in (to %02x:%02x:%02x:%02x:%02x:%02x, type 0x%02x%02x)", hi->name,
			  len, hi->buf[0], hi->buf[1], hi->buf[2], hi->buf[3], hi->buf[4], hi->buf[5], hi->buf[12], hi->buf[13]);
		if (srnic_uplink_receive(hi->nic, hi->buf, (size_t)len) == 0) {
			hi->st.from_wire++;
			hi->st.from_wire_bytes += (uint64_t)len;
		} else {
			hi->st.from_wire_refused++;
		}
	}
	return n;
}

void srnic_hostif_get_stats(const struct srnic_hostif *hi, struct srnic_hostif_stats *st)
{
	*st = hi->st;
}
