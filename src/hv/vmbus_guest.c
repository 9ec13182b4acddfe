/*
 * The VMBus client of a child partition (the guest's vmbus driver): it runs
 * in the VM process, talks to the host's server (vmbus_host.c) over the
 * partition socket, and hands channels to the guest's VSCs. Synchronous by
 * design: a request is sent and the reply awaited with a deadline, while
 * every other message that arrives meanwhile (offers, rescinds) is handled
 * too. The host is not trusted either: every message is checked against
 * the table and against the guest's own state before it changes anything.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/part_msg.h"
#include "hv/vmbus_priv.h"

struct vmbus_guest {
	char name[PART_NAME_MAX + 1];	/* the VM's name, for logs */
	int sock;
	struct guest_mem *mem;
	uint32_t version;
	bool version_replied, all_offers, host_gone;
	struct vmbus_channel *chans[VMBUS_MAX_RELID];	/* by relid; [0] unused */
	uint32_t next_gpadl, next_open;
	uint64_t refused;
};

static void __attribute__((format(printf, 2, 3)))
guest_refuse(struct vmbus_guest *g, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	g->refused++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn(VMBUS_TOPIC, "guest %s: refused host message: %s",
		 g->name, msg);
}

static struct vmbus_channel *guest_chan(struct vmbus_guest *g, uint32_t relid)
{
	return relid > 0 && relid < VMBUS_MAX_RELID ? g->chans[relid] : NULL;
}

static int guest_send(struct vmbus_guest *g, const struct part_msg_hdr *msg)
{
	int err = part_msg_send(g->sock, msg, NULL, 0);

	if (err == -EPIPE || err == -ECONNRESET)
		g->host_gone = true;
	return err;
}

static void on_offer(struct vmbus_guest *g, const struct vmbus_msg_offer *m, const int *fds)
{
	struct vmbus_channel *ch;

	if (m->child_relid == 0 || m->child_relid >= VMBUS_MAX_RELID || g->chans[m->child_relid]) {
		guest_refuse(g, "offer of channel id 0x%x (out of range or in use)", m->child_relid);
		part_msg_close_fds(fds, 2);
		return;
	}
	ch = vmbus_chan__create(VMBUS_SIDE_GUEST, m->child_relid);
	if (!ch) {
		part_msg_close_fds(fds, 2);
		return;
	}
	ch->type = m->type;
	ch->instance = m->instance;
	ch->guest = g;
	ch->wait_fd = fds[0];
	ch->signal_fd = fds[1];
	g->chans[m->child_relid] = ch;
	log_debug(VMBUS_TOPIC, "%s: offered", ch->name);
}

static void on_rescind(struct vmbus_guest *g, const struct vmbus_msg_relid *m)
{
	struct vmbus_msg_relid r = {
		.hdr = { .type = VMBUS_MSG_RELID_RELEASED, .size = sizeof(r) },
		.child_relid = m->child_relid,
	};
	struct vmbus_channel *ch = guest_chan(g, m->child_relid);

	if (!ch || vmbus_chan__set_state(ch, VMBUS_CHAN_RESCINDED)) {
		guest_refuse(g, "rescind of unknown or rescinded channel 0x%x", m->child_relid);
		return;
	}
	log_info(VMBUS_TOPIC, "%s: rescinded by the host", ch->name);
	/* The host no longer touches the rings: the id can go back at once. */
	guest_send(g, &r.hdr);
}

static void on_gpadl_created(struct vmbus_guest *g, const struct vmbus_msg_gpadl_created *m)
{
	struct vmbus_channel *ch = guest_chan(g, m->child_relid);

	if (!ch || ch->gpadl_id != m->gpadl_id || ch->gpadl_replied) {
		guest_refuse(g, "unexpected GPADL_CREATED 0x%x (channel 0x%x)", m->gpadl_id,
			     m->child_relid);
		return;
	}
	ch->gpadl_replied = true;
	ch->gpadl_status = m->status > 0 ? -EPROTO : m->status;
}

static void on_open_result(struct vmbus_guest *g, const struct vmbus_msg_open_result *m)
{
	struct vmbus_channel *ch = guest_chan(g, m->child_relid);

	if (!ch || ch->state != VMBUS_CHAN_OPENING || ch->open_id != m->open_id) {
		guest_refuse(g, "unexpected OPEN_RESULT 0x%x (channel 0x%x)", m->open_id,
			     m->child_relid);
		return;
	}
	ch->open_replied = true;
	ch->open_status = m->status > 0 ? -EPROTO : m->status;
	vmbus_chan__set_state(ch, ch->open_status ? VMBUS_CHAN_OFFERED : VMBUS_CHAN_OPEN);
}

static void on_gpadl_torndown(struct vmbus_guest *g, const struct vmbus_msg_gpadl_teardown *m)
{
	struct vmbus_channel *ch = guest_chan(g, m->child_relid);

	if (!ch || ch->gpadl_id != m->gpadl_id || ch->torndown) {
		guest_refuse(g, "unexpected GPADL_TORNDOWN 0x%x (channel 0x%x)", m->gpadl_id,
			     m->child_relid);
		return;
	}
	ch->torndown = true;
}

void vmbus_guest__dispatch(struct vmbus_guest *g, const void *msg, const int *fds,
			   unsigned nfds)
{
	struct part_msg_hdr hdr;

	memcpy(&hdr, msg, sizeof(hdr));
	if (hdr.type == VMBUS_MSG_OFFER_CHANNEL) {
		on_offer(g, msg, fds);	/* takes both descriptors */
		return;
	}
	/* No other message hands the guest a descriptor it keeps. */
	part_msg_close_fds(fds, nfds);
	switch (hdr.type) {
	case VMBUS_MSG_VERSION_RESPONSE: {
		const struct vmbus_msg_version_response *m = msg;

		if (g->version_replied) {
			guest_refuse(g, "second VERSION_RESPONSE");
			break;
		}
		g->version_replied = true;
		g->version = m->version_supported && m->version == VMBUS_PROTO_CURRENT
			? m->version : 0;
		break;
	}
	case VMBUS_MSG_RESCIND_OFFER:
		on_rescind(g, msg);
		break;
	case VMBUS_MSG_ALL_OFFERS_DELIVERED:
		g->all_offers = true;
		break;
	case VMBUS_MSG_GPADL_CREATED:
		on_gpadl_created(g, msg);
		break;
	case VMBUS_MSG_OPEN_RESULT:
		on_open_result(g, msg);
		break;
	case VMBUS_MSG_GPADL_TORNDOWN:
		on_gpadl_torndown(g, msg);
		break;
	default:
		guest_refuse(g, "unexpected %s", part_msg_name(hdr.type));
		break;
	}
}

int vmbus_guest__pump(struct vmbus_guest *g, int timeout_ms)
{
	struct pollfd pfd = { .fd = g->sock, .events = POLLIN };
	int handled = 0;

	if (g->host_gone)
		return -ECONNRESET;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	for (;;) {
		char buf[PART_MSG_MAX];
		int fds[PART_MSG_MAX_FDS];
		unsigned nfds;
		const char *why;
		int n = part_msg_recv(g->sock, buf, fds, &nfds, MSG_DONTWAIT);

		if (n == -EAGAIN)
			return handled;
		if (n == -EMSGSIZE) {
			guest_refuse(g, "oversized message");
			continue;
		}
		if (n <= 0) {
			g->host_gone = true;
			log_warn(VMBUS_TOPIC, "guest %s: host closed the partition socket",
				 g->name);
			return -ECONNRESET;
		}
		if (part_msg_check(buf, (size_t)n, nfds, PART_MSG_TO_GUEST, &why)) {
			part_msg_close_fds(fds, nfds);
			guest_refuse(g, "type 0x%x, %d bytes: %s", ((struct part_msg_hdr *)buf)->type,
				     n, why);
			continue;
		}
		vmbus_guest__dispatch(g, buf, fds, nfds);
		handled++;
	}
}

int vmbus_guest__sock(const struct vmbus_guest *g)
{
	return g->sock;
}

int vmbus_guest_poll(struct vmbus_guest *g, int timeout_ms)
{
	return vmbus_guest__pump(g, timeout_ms);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Handle messages until *flag is set, ch (if any) is rescinded, or the deadline. */
static int guest_wait(struct vmbus_guest *g, const bool *flag, const struct vmbus_channel *ch,
		      int64_t deadline)
{
	while (!*flag) {
		int64_t left = deadline - now_ms();
		int err;

		if (ch && ch->state == VMBUS_CHAN_RESCINDED)
			return -ENODEV;
		if (left <= 0)
			return -ETIMEDOUT;
		err = vmbus_guest__pump(g, left > 60000 ? 60000 : (int)left);
		if (err < 0)
			return err;
	}
	return 0;
}

int vmbus_guest__create(int sock, struct guest_mem *mem, const char *name,
			struct vmbus_guest **out)
{
	struct vmbus_guest *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->sock = sock;
	g->mem = mem;
	snprintf(g->name, sizeof(g->name), "%s", name);
	*out = g;
	return 0;
}

int vmbus_guest_connect(struct partition_guest *pg, int timeout_ms, struct vmbus_guest **out)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct vmbus_msg_initiate_contact contact = {
		.hdr = { .type = VMBUS_MSG_INITIATE_CONTACT, .size = sizeof(contact) },
		.version = VMBUS_PROTO_CURRENT,
	};
	struct vmbus_msg_empty req = {
		.hdr = { .type = VMBUS_MSG_REQUEST_OFFERS, .size = sizeof(req) },
	};
	struct vmbus_guest *g;
	int err;

	err = vmbus_guest__create(partition_guest_sock(pg), partition_guest_mem(pg),
				  partition_guest_name(pg), &g);
	if (err)
		return err;
	err = guest_send(g, &contact.hdr);
	if (!err)
		err = guest_wait(g, &g->version_replied, NULL, deadline);
	if (!err && !g->version)
		err = -EPROTONOSUPPORT;
	if (!err)
		err = guest_send(g, &req.hdr);
	if (!err)
		err = guest_wait(g, &g->all_offers, NULL, deadline);
	if (err) {
		log_error(VMBUS_TOPIC, "guest %s: VMBus connect failed: %s",
			  partition_guest_name(pg), strerror(-err));
		vmbus_guest_destroy(g);
		return err;
	}
	log_info(VMBUS_TOPIC, "guest %s: VMBus 0x%x connected", partition_guest_name(pg),
		 g->version);
	*out = g;
	return 0;
}

void vmbus_guest_destroy(struct vmbus_guest *g)
{
	if (!g)
		return;
	for (uint32_t relid = 1; relid < VMBUS_MAX_RELID; relid++)
		vmbus_chan__destroy(g->chans[relid]);
	free(g);
}

struct vmbus_channel *vmbus_guest_find(struct vmbus_guest *g, const struct vmbus_guid *type)
{
	for (uint32_t relid = 1; relid < VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = g->chans[relid];

		if (ch && ch->state != VMBUS_CHAN_RESCINDED && !memcmp(&ch->type, type, sizeof(*type)))
			return ch;
	}
	return NULL;
}

static int guest_teardown(struct vmbus_channel *ch, int64_t deadline)
{
	struct vmbus_msg_gpadl_teardown m = {
		.hdr = { .type = VMBUS_MSG_GPADL_TEARDOWN, .size = sizeof(m) },
		.child_relid = ch->relid,
		.gpadl_id = ch->gpadl_id,
	};
	int err;

	ch->torndown = false;
	err = guest_send(ch->guest, &m.hdr);
	if (!err)
		err = guest_wait(ch->guest, &ch->torndown, ch, deadline);
	ch->gpadl_id = 0;
	return err;
}

int vmbus_guest_open(struct vmbus_channel *ch, uint64_t gpa, uint32_t out_len,
		     uint32_t in_len, int timeout_ms)
{
	struct vmbus_guest *g = ch->guest;
	int64_t deadline = now_ms() + timeout_ms;
	struct vmbus_msg_gpadl_header gh = {
		.hdr = { .type = VMBUS_MSG_GPADL_HEADER, .size = sizeof(gh) },
		.child_relid = ch->relid,
		.gpa = gpa,
		.len = (uint64_t)out_len + in_len,
	};
	struct vmbus_msg_open op = {
		.hdr = { .type = VMBUS_MSG_OPEN_CHANNEL, .size = sizeof(op) },
		.child_relid = ch->relid,
		.downstream_offset = out_len,
	};
	uint8_t *base;
	int err;

	if (ch->state == VMBUS_CHAN_RESCINDED)
		return -ENODEV;
	if (!vmbus_chan__legal(ch->state, VMBUS_CHAN_OPENING))
		return -EBUSY;
	base = gmem_ptr(g->mem, gpa, gh.len);
	if (!base || gpa % VMBUS_PAGE_SIZE)
		return -EFAULT;
	/* The guest owns this memory until the GPADL is lent: start clean. */
	memset(base, 0, VMBUS_PAGE_SIZE);
	if (out_len >= VMBUS_PAGE_SIZE)
		memset(base + out_len, 0, VMBUS_PAGE_SIZE);
	err = vmbus_ring_init_producer(&ch->out, base, out_len, ch->name);
	if (!err)
		err = vmbus_ring_init_consumer(&ch->in, base + out_len, in_len, ch->name);
	if (err)
		return err;
	snprintf(ch->out.name, sizeof(ch->out.name), "%s g->h", ch->name);
	snprintf(ch->in.name, sizeof(ch->in.name), "%s h->g", ch->name);

	ch->gpadl_id = gh.gpadl_id = ++g->next_gpadl;
	ch->gpadl_replied = false;
	err = guest_send(g, &gh.hdr);
	if (!err)
		err = guest_wait(g, &ch->gpadl_replied, ch, deadline);
	if (!err)
		err = ch->gpadl_status;
	if (err) {
		ch->gpadl_id = 0;
		return err;
	}

	vmbus_chan__set_state(ch, VMBUS_CHAN_OPENING);
	ch->open_id = op.open_id = ++g->next_open;
	op.gpadl_id = ch->gpadl_id;
	ch->open_replied = false;
	err = guest_send(g, &op.hdr);
	if (!err)
		err = guest_wait(g, &ch->open_replied, ch, deadline);
	if (!err)
		err = ch->open_status;	/* OPEN_RESULT set the state */
	if (err) {
		if (ch->state == VMBUS_CHAN_OPENING)
			vmbus_chan__set_state(ch, VMBUS_CHAN_OFFERED);
		if (ch->state != VMBUS_CHAN_RESCINDED && !g->host_gone)
			guest_teardown(ch, deadline);
		return err;
	}
	log_debug(VMBUS_TOPIC, "%s: open, rings at GPA 0x%llx", ch->name, (unsigned long long)gpa);
	return 0;
}

int vmbus_guest_close(struct vmbus_channel *ch, int timeout_ms)
{
	struct vmbus_msg_relid m = {
		.hdr = { .type = VMBUS_MSG_CLOSE_CHANNEL, .size = sizeof(m) },
		.child_relid = ch->relid,
	};
	int64_t deadline = now_ms() + timeout_ms;
	int err;

	if (ch->state == VMBUS_CHAN_RESCINDED)
		return -ENODEV;
	err = vmbus_chan__set_state(ch, VMBUS_CHAN_CLOSING);
	if (err)
		return -ENOTCONN;
	err = guest_send(ch->guest, &m.hdr);
	vmbus_chan__set_state(ch, VMBUS_CHAN_CLOSED);
	if (err)
		return err;
	return guest_teardown(ch, deadline);
}

uint64_t vmbus_guest_refused(const struct vmbus_guest *g)
{
	return g->refused;
}
