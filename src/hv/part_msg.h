/*
 * Messages on the partition socket (wire/partition.h framing): the one
 * table that says which message types exist, which way each may travel,
 * its exact size and how many descriptors it carries, plus the SCM_RIGHTS
 * send/receive helpers. Both the host (partition.c, vmbus_host.c) and the
 * guest (partition.c's child side, vmbus_guest.c) check every datagram with
 * part_msg_check() before reading a field of it.
 */
#ifndef IOVLAB_HV_PART_MSG_H
#define IOVLAB_HV_PART_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "wire/partition.h"

enum part_msg_dir {
	PART_MSG_TO_GUEST,	/* host -> guest */
	PART_MSG_TO_HOST,	/* guest -> host */
};

/* "VMBUS_MSG_OFFER_CHANNEL" ...; "unknown" for anything else. */
const char *part_msg_name(uint32_t type);

/*
 * Check a received datagram of len bytes that came with nfds descriptors,
 * travelling in direction dir: a known type for that direction, the exact
 * size of that type in both len and hdr.size, and the exact descriptor
 * count. Returns 0, or -EBADMSG with the reason in *why (static text).
 */
int part_msg_check(const void *buf, size_t len, unsigned nfds, enum part_msg_dir dir,
		   const char **why);

/*
 * Send one message (msg->size bytes) with nfds descriptors (which stay
 * owned by the caller). Never raises SIGPIPE. Returns 0 or -errno
 * (-EPIPE/-ECONNRESET: the other side is gone).
 */
int part_msg_send(int sock, const struct part_msg_hdr *msg, const int *fds, unsigned nfds);

/*
 * Receive one datagram into buf (PART_MSG_MAX bytes) and up to
 * PART_MSG_MAX_FDS descriptors into fds (close-on-exec; the caller owns
 * them). flags is 0 or MSG_DONTWAIT. Returns the datagram size, 0 at EOF,
 * -EAGAIN, -EMSGSIZE for a datagram or descriptor set that did not fit
 * (what did arrive is closed), or -errno.
 */
int part_msg_recv(int sock, void *buf, int *fds, unsigned *nfds, int flags);

/* Close every descriptor in fds[0..n). */
void part_msg_close_fds(const int *fds, unsigned n);

#endif /* IOVLAB_HV_PART_MSG_H */
