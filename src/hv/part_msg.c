/*
 * The message table and socket helpers behind part_msg.h. Every message of
 * wire/partition.h and wire/vmbus.h has one row here; a datagram that
 * matches no row exactly (type, direction, size, descriptor count) is
 * refused before any field is read.
 */
#include "hv/part_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire/vmbus.h"

struct part_msg_info {
	uint32_t type;
	const char *name;
	uint32_t size;
	uint8_t nfds;
	uint8_t dir;
};

#define ROW(t, s, n, d) { t, #t, sizeof(s), n, d }

static const struct part_msg_info part_msgs[] = {
	ROW(PART_MSG_SETUP, struct part_msg_setup, 1, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_OFFER_CHANNEL, struct vmbus_msg_offer, 2, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_RESCIND_OFFER, struct vmbus_msg_relid, 0, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_REQUEST_OFFERS, struct vmbus_msg_empty, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_ALL_OFFERS_DELIVERED, struct vmbus_msg_empty, 0, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_OPEN_CHANNEL, struct vmbus_msg_open, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_OPEN_RESULT, struct vmbus_msg_open_result, 0, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_CLOSE_CHANNEL, struct vmbus_msg_relid, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_GPADL_HEADER, struct vmbus_msg_gpadl_header, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_GPADL_CREATED, struct vmbus_msg_gpadl_created, 0, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_GPADL_TEARDOWN, struct vmbus_msg_gpadl_teardown, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_GPADL_TORNDOWN, struct vmbus_msg_gpadl_teardown, 0, PART_MSG_TO_GUEST),
	ROW(VMBUS_MSG_RELID_RELEASED, struct vmbus_msg_relid, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_INITIATE_CONTACT, struct vmbus_msg_initiate_contact, 0, PART_MSG_TO_HOST),
	ROW(VMBUS_MSG_VERSION_RESPONSE, struct vmbus_msg_version_response, 0, PART_MSG_TO_GUEST),
};

static const struct part_msg_info *part_msg_find(uint32_t type)
{
	for (size_t i = 0; i < sizeof(part_msgs) / sizeof(part_msgs[0]); i++)
		if (part_msgs[i].type == type)
			return &part_msgs[i];
	return NULL;
}

const char *part_msg_name(uint32_t type)
{
	const struct part_msg_info *m = part_msg_find(type);

	return m ? m->name : "unknown";
}

int part_msg_check(const void *buf, size_t len, unsigned nfds, enum part_msg_dir dir,
		   const char **why)
{
	struct part_msg_hdr hdr;
	const struct part_msg_info *m;

	if (len < sizeof(hdr)) {
		*why = "shorter than a header";
		return -EBADMSG;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	m = part_msg_find(hdr.type);
	if (!m) {
		*why = "unknown message type";
		return -EBADMSG;
	}
	if (m->dir != dir) {
		*why = "message type not allowed in this direction";
		return -EBADMSG;
	}
	if (len != m->size || hdr.size != m->size) {
		*why = "wrong size for its type";
		return -EBADMSG;
	}
	if (nfds != m->nfds) {
		*why = "wrong number of descriptors for its type";
		return -EBADMSG;
	}
	*why = NULL;
	return 0;
}

int part_msg_send(int sock, const struct part_msg_hdr *msg, const int *fds, unsigned nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PART_MSG_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = msg->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (msg->size < sizeof(*msg) || msg->size > PART_MSG_MAX || nfds > PART_MSG_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (n == (ssize_t)msg->size)
			return 0;
		if (n >= 0)
			return -EMSGSIZE;	/* SEQPACKET never sends part of a datagram */
		if (errno != EINTR)
			return -errno;
	}
}

void part_msg_close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

int part_msg_recv(int sock, void *buf, int *fds, unsigned *nfds, int flags)
{
	union {
		struct cmsghdr align;
		/* room for more than we accept, so extra descriptors are seen and closed */
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = PART_MSG_MAX };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	int got[16];
	unsigned ngot = 0;
	ssize_t n;

	*nfds = 0;
	do {
		n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && ngot < 16; i++)
			memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || ngot > PART_MSG_MAX_FDS) {
		part_msg_close_fds(got, ngot);
		return -EMSGSIZE;
	}
	memcpy(fds, got, ngot * sizeof(int));
	*nfds = ngot;
	return (int)n;
}
