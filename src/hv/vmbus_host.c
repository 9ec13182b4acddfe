/*
 * The VMBus server of the root partition, one per child partition: it
 * offers channels (each with a fresh pair of eventfds passed by
 * SCM_RIGHTS), answers the guest's version request, records the GPA ranges
 * the guest lends (GPADLs), attaches the host's ends of the rings when the
 * guest opens a channel, and rescinds channels -- every one of them when
 * the partition process dies. Every control message from the guest arrives
 * already size-checked (part_msg_check() in partition.c); its fields are
 * checked here against guest memory and channel state before use, and a
 * bad one is refused, counted and logged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/part_msg.h"
#include "hv/vmbus_priv.h"

#define VMBUS_MAX_GPADLS 64u

/* Versions this host speaks, oldest first (append only). */
static const uint32_t vmbus_host_versions[] = { VMBUS_PROTO_V1 };

struct vmbus_gpadl {
	uint32_t id;		/* 0: free slot */
	uint32_t relid;
	uint64_t gpa, len;
};

struct vmbus_host {
	struct partition *part;
	struct evloop *loop;
	struct guest_mem *mem;
	uint32_t version;		/* 0 until INITIATE_CONTACT succeeds */
	bool offers_requested;		/* the guest has asked; send offers at once */
	bool partition_gone;
	struct vmbus_channel *chans[VMBUS_MAX_RELID];	/* by relid; [0] unused */
	struct vmbus_gpadl gpadls[VMBUS_MAX_GPADLS];
	uint64_t refused;
};

static void __attribute__((format(printf, 2, 3)))
host_refuse(struct vmbus_host *h, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	h->refused++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn(VMBUS_TOPIC, "partition %s: refused: %s", partition_name(h->part), msg);
}

static int host_send(struct vmbus_host *h, const struct part_msg_hdr *msg, const int *fds,
		     unsigned nfds)
{
	int err = partition__send(h->part, msg, fds, nfds);

	if (err)
		log_warn(VMBUS_TOPIC, "partition %s: sending %s failed: %s",
			 partition_name(h->part), part_msg_name(msg->type), strerror(-err));
	return err;
}

static int host_send_offer(struct vmbus_host *h, struct vmbus_channel *ch)
{
	struct vmbus_msg_offer m = {
		.hdr = { .type = VMBUS_MSG_OFFER_CHANNEL, .size = sizeof(m) },
		.type = ch->type,
		.instance = ch->instance,
		.child_relid = ch->relid,
	};
	/* the guest waits on [0] (our signal_fd) and signals [1] (our wait_fd) */
	int fds[2] = { ch->signal_fd, ch->wait_fd };

	return host_send(h, &m.hdr, fds, 2);
}

static struct vmbus_channel *host_chan(struct vmbus_host *h, uint32_t relid)
{
	return relid > 0 && relid < VMBUS_MAX_RELID ? h->chans[relid] : NULL;
}

static struct vmbus_gpadl *host_gpadl(struct vmbus_host *h, uint32_t id)
{
	for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++)
		if (id && h->gpadls[i].id == id)
			return &h->gpadls[i];
	return NULL;
}

static void host_event(struct vmbus_channel *ch, enum vmbus_chan_event ev)
{
	log_debug(VMBUS_TOPIC, "%s: event %s", ch->name, vmbus_chan_event_name(ev));
	if (ch->fn)
		ch->fn(ch, ev, ch->arg);
}

static void on_chan_kick(int fd, uint32_t events, void *arg)
{
	struct vmbus_channel *ch = arg;

	(void)fd;
	(void)events;
	vmbus_chan__drain(ch);
	if (ch->state == VMBUS_CHAN_OPEN)
		host_event(ch, VMBUS_CHAN_EV_DATA);
}

/* Detach the rings: from here on the host never touches them. */
static void host_chan_unwatch(struct vmbus_host *h, struct vmbus_channel *ch)
{
	if (ch->state == VMBUS_CHAN_OPEN || ch->state == VMBUS_CHAN_BROKEN)
		evloop_del(h->loop, ch->wait_fd);
}

static void on_contact(struct vmbus_host *h, const struct vmbus_msg_initiate_contact *m)
{
	struct vmbus_msg_version_response r = {
		.hdr = { .type = VMBUS_MSG_VERSION_RESPONSE, .size = sizeof(r) },
	};

	if (h->version) {
		host_refuse(h, "second INITIATE_CONTACT (version 0x%x; 0x%x in force)",
			    m->version, h->version);
		return;
	}
	for (size_t i = 0; i < sizeof(vmbus_host_versions) / sizeof(vmbus_host_versions[0]); i++)
		if (vmbus_host_versions[i] == m->version)
			h->version = m->version;
	r.version_supported = h->version != 0;
	r.version = h->version;
	log_info(VMBUS_TOPIC, "partition %s: guest asks for VMBus version 0x%x: %s",
		 partition_name(h->part), m->version, h->version ? "accepted" : "not supported");
	host_send(h, &r.hdr, NULL, 0);
}

static void on_request_offers(struct vmbus_host *h)
{
	struct vmbus_msg_empty done = {
		.hdr = { .type = VMBUS_MSG_ALL_OFFERS_DELIVERED, .size = sizeof(done) },
	};

	if (!h->version || h->offers_requested) {
		host_refuse(h, "REQUEST_OFFERS %s", h->version ? "twice" : "before contact");
		return;
	}
	h->offers_requested = true;
	for (uint32_t relid = 1; relid < VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = h->chans[relid];

		if (ch && ch->state != VMBUS_CHAN_RESCINDED)
			host_send_offer(h, ch);
	}
	host_send(h, &done.hdr, NULL, 0);
}

static void on_gpadl_header(struct vmbus_host *h, const struct vmbus_msg_gpadl_header *m)
{
	struct vmbus_msg_gpadl_created r = {
		.hdr = { .type = VMBUS_MSG_GPADL_CREATED, .size = sizeof(r) },
		.child_relid = m->child_relid,
		.gpadl_id = m->gpadl_id,
	};
	struct vmbus_channel *ch = host_chan(h, m->child_relid);
	struct vmbus_gpadl *slot = NULL;

	if (!ch || ch->state == VMBUS_CHAN_RESCINDED) {
		host_refuse(h, "GPADL 0x%x for unknown channel 0x%x", m->gpadl_id, m->child_relid);
		r.status = -ENOENT;
	} else if (!m->gpadl_id || host_gpadl(h, m->gpadl_id)) {
		host_refuse(h, "GPADL id 0x%x zero or in use (channel 0x%x)", m->gpadl_id,
			    m->child_relid);
		r.status = -EEXIST;
	} else if (m->gpa % VMBUS_PAGE_SIZE || m->len % VMBUS_PAGE_SIZE ||
		   !gmem_ptr(h->mem, m->gpa, m->len)) {
		host_refuse(h, "GPADL 0x%x: range not page aligned or outside guest memory "
			    "(channel 0x%x)", m->gpadl_id, m->child_relid);
		r.status = -EFAULT;
	} else {
		for (unsigned i = 0; i < VMBUS_MAX_GPADLS && !slot; i++)
			if (!h->gpadls[i].id)
				slot = &h->gpadls[i];
		if (!slot) {
			host_refuse(h, "GPADL 0x%x: table full (channel 0x%x)", m->gpadl_id,
				    m->child_relid);
			r.status = -ENOSPC;
		} else {
			*slot = (struct vmbus_gpadl){ .id = m->gpadl_id, .relid = m->child_relid,
						      .gpa = m->gpa, .len = m->len };
			log_debug(VMBUS_TOPIC, "%s: GPADL 0x%x = GPA 0x%llx + 0x%llx", ch->name,
				  m->gpadl_id, (unsigned long long)m->gpa,
				  (unsigned long long)m->len);
		}
	}
	host_send(h, &r.hdr, NULL, 0);
}

/* Attach the host's ends of the rings; 0 or -errno (nothing changed on error). */
static int host_attach_rings(struct vmbus_host *h, struct vmbus_channel *ch,
			     const struct vmbus_msg_open *m)
{
	struct vmbus_gpadl *g = host_gpadl(h, m->gpadl_id);
	uint8_t *base;
	int err;

	if (!g || g->relid != ch->relid) {
		host_refuse(h, "OPEN with GPADL 0x%x not lent for channel 0x%x", m->gpadl_id,
			    ch->relid);
		return -ENOENT;
	}
	if (m->downstream_offset % VMBUS_PAGE_SIZE || m->downstream_offset >= g->len) {
		host_refuse(h, "OPEN: ring split 0x%x outside GPADL 0x%x", m->downstream_offset,
			    m->gpadl_id);
		return -EINVAL;
	}
	base = gmem_ptr(h->mem, g->gpa, g->len);	/* checked when lent */
	/* guest -> host ring first: we consume it */
	err = vmbus_ring_init_consumer(&ch->in, base, m->downstream_offset, ch->name);
	if (!err)
		err = vmbus_ring_init_producer(&ch->out, base + m->downstream_offset,
					       g->len - m->downstream_offset, ch->name);
	if (err) {
		host_refuse(h, "OPEN: ring sizes from split 0x%x of GPADL 0x%x out of bounds",
			    m->downstream_offset, m->gpadl_id);
		return err;
	}
	snprintf(ch->in.name, sizeof(ch->in.name), "%s g->h", ch->name);
	snprintf(ch->out.name, sizeof(ch->out.name), "%s h->g", ch->name);
	ch->gpadl_id = m->gpadl_id;
	return 0;
}

static void on_open(struct vmbus_host *h, const struct vmbus_msg_open *m)
{
	struct vmbus_msg_open_result r = {
		.hdr = { .type = VMBUS_MSG_OPEN_RESULT, .size = sizeof(r) },
		.child_relid = m->child_relid,
		.open_id = m->open_id,
	};
	struct vmbus_channel *ch = host_chan(h, m->child_relid);

	if (!ch || !vmbus_chan__legal(ch->state, VMBUS_CHAN_OPENING)) {
		host_refuse(h, "OPEN of channel 0x%x in state %s", m->child_relid,
			    ch ? vmbus_chan_state_name(ch->state) : "unknown");
		r.status = ch ? -EBUSY : -ENOENT;
		host_send(h, &r.hdr, NULL, 0);
		return;
	}
	r.status = host_attach_rings(h, ch, m);
	if (!r.status) {
		vmbus_chan__set_state(ch, VMBUS_CHAN_OPENING);
		r.status = evloop_add(h->loop, ch->wait_fd, EPOLLIN, on_chan_kick, ch);
		vmbus_chan__set_state(ch, r.status ? VMBUS_CHAN_OFFERED : VMBUS_CHAN_OPEN);
	}
	if (host_send(h, &r.hdr, NULL, 0) == 0 && !r.status) {
		log_info(VMBUS_TOPIC, "%s: opened (rings 0x%x / 0x%x data bytes)", ch->name,
			 ch->in.size, ch->out.size);
		host_event(ch, VMBUS_CHAN_EV_OPENED);
	}
}

static void on_close(struct vmbus_host *h, const struct vmbus_msg_relid *m)
{
	struct vmbus_channel *ch = host_chan(h, m->child_relid);

	if (!ch || !vmbus_chan__legal(ch->state, VMBUS_CHAN_CLOSING)) {
		host_refuse(h, "CLOSE of channel 0x%x in state %s", m->child_relid,
			    ch ? vmbus_chan_state_name(ch->state) : "unknown");
		return;
	}
	host_chan_unwatch(h, ch);
	vmbus_chan__set_state(ch, VMBUS_CHAN_CLOSING);
	vmbus_chan__set_state(ch, VMBUS_CHAN_CLOSED);
	host_event(ch, VMBUS_CHAN_EV_CLOSED);
}

static void on_gpadl_teardown(struct vmbus_host *h, const struct vmbus_msg_gpadl_teardown *m)
{
	struct vmbus_msg_gpadl_teardown r = {
		.hdr = { .type = VMBUS_MSG_GPADL_TORNDOWN, .size = sizeof(r) },
		.child_relid = m->child_relid,
		.gpadl_id = m->gpadl_id,
	};
	struct vmbus_gpadl *g = host_gpadl(h, m->gpadl_id);
	struct vmbus_channel *ch = host_chan(h, m->child_relid);

	if (!g || g->relid != m->child_relid) {
		host_refuse(h, "teardown of unknown GPADL 0x%x (channel 0x%x)", m->gpadl_id,
			    m->child_relid);
		return;
	}
	if (ch && ch->gpadl_id == g->id &&
	    (ch->state == VMBUS_CHAN_OPEN || ch->state == VMBUS_CHAN_BROKEN)) {
		host_refuse(h, "teardown of GPADL 0x%x while channel 0x%x is open", m->gpadl_id,
			    m->child_relid);
		return;
	}
	memset(g, 0, sizeof(*g));
	host_send(h, &r.hdr, NULL, 0);
}

static void host_free_chan(struct vmbus_host *h, struct vmbus_channel *ch)
{
	for (unsigned i = 0; i < VMBUS_MAX_GPADLS; i++)
		if (h->gpadls[i].relid == ch->relid)
			memset(&h->gpadls[i], 0, sizeof(h->gpadls[i]));
	h->chans[ch->relid] = NULL;
	vmbus_chan__destroy(ch);
}

static void on_relid_released(struct vmbus_host *h, const struct vmbus_msg_relid *m)
{
	struct vmbus_channel *ch = host_chan(h, m->child_relid);

	if (!ch || ch->state != VMBUS_CHAN_RESCINDED) {
		host_refuse(h, "RELID_RELEASED for channel 0x%x that is not rescinded",
			    m->child_relid);
		return;
	}
	log_debug(VMBUS_TOPIC, "%s: id released by the guest", ch->name);
	host_free_chan(h, ch);
}

static void on_msg(const void *msg, size_t len, void *arg)
{
	struct vmbus_host *h = arg;
	struct part_msg_hdr hdr;

	(void)len;	/* exact size already checked against the type */
	memcpy(&hdr, msg, sizeof(hdr));
	if (!h->version && hdr.type != VMBUS_MSG_INITIATE_CONTACT) {
		host_refuse(h, "%s before version negotiation", part_msg_name(hdr.type));
		return;
	}
	switch (hdr.type) {
	case VMBUS_MSG_INITIATE_CONTACT:
		on_contact(h, msg);
		break;
	case VMBUS_MSG_REQUEST_OFFERS:
		on_request_offers(h);
		break;
	case VMBUS_MSG_GPADL_HEADER:
		on_gpadl_header(h, msg);
		break;
	case VMBUS_MSG_OPEN_CHANNEL:
		on_open(h, msg);
		break;
	case VMBUS_MSG_CLOSE_CHANNEL:
		on_close(h, msg);
		break;
	case VMBUS_MSG_GPADL_TEARDOWN:
		on_gpadl_teardown(h, msg);
		break;
	case VMBUS_MSG_RELID_RELEASED:
		on_relid_released(h, msg);
		break;
	default:
		host_refuse(h, "unexpected message 0x%x", hdr.type);
		break;
	}
}

static void on_partition_gone(void *arg)
{
	struct vmbus_host *h = arg;

	h->partition_gone = true;
	for (uint32_t relid = 1; relid < VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = h->chans[relid];

		if (!ch || ch->state == VMBUS_CHAN_RESCINDED)
			continue;
		host_chan_unwatch(h, ch);
		vmbus_chan__set_state(ch, VMBUS_CHAN_RESCINDED);
		log_info(VMBUS_TOPIC, "%s: rescinded, partition %s is gone", ch->name,
			 partition_name(h->part));
		host_event(ch, VMBUS_CHAN_EV_RESCINDED);
	}
}

int vmbus_host_create(struct partition *p, struct vmbus_host **out)
{
	struct vmbus_host *h;
	int err;

	if (partition_state(p) == PARTITION_GONE)
		return -ENODEV;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->part = p;
	h->loop = partition__loop(p);
	h->mem = partition_mem(p);
	err = partition__bind_bus(p, on_msg, on_partition_gone, h);
	if (err) {
		free(h);
		return err;
	}
	*out = h;
	return 0;
}

void vmbus_host_destroy(struct vmbus_host *h)
{
	if (!h)
		return;
	for (uint32_t relid = 1; relid < VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = h->chans[relid];

		if (!ch)
			continue;
		host_chan_unwatch(h, ch);
		host_free_chan(h, ch);
	}
	partition__unbind_bus(h->part);
	free(h);
}

int vmbus_host_offer(struct vmbus_host *h, const struct vmbus_guid *type,
		     const struct vmbus_guid *instance, vmbus_chan_event_fn fn, void *arg,
		     struct vmbus_channel **out)
{
	struct vmbus_channel *ch;
	uint32_t relid;
	int err;

	if (h->partition_gone)
		return -ENODEV;
	for (relid = 1; relid < VMBUS_MAX_RELID && h->chans[relid]; relid++)
		;
	if (relid == VMBUS_MAX_RELID)
		return -ENOSPC;
	ch = vmbus_chan__create(VMBUS_SIDE_HOST, relid);
	if (!ch)
		return -ENOMEM;
	ch->type = *type;
	ch->instance = *instance;
	ch->host = h;
	ch->fn = fn;
	ch->arg = arg;
	ch->signal_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ch->wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ch->signal_fd < 0 || ch->wait_fd < 0) {
		err = -errno;
		goto fail;
	}
	if (h->offers_requested) {
		err = host_send_offer(h, ch);
		if (err)
			goto fail;
	}
	h->chans[relid] = ch;
	log_info(VMBUS_TOPIC, "%s: offered to partition %s", ch->name, partition_name(h->part));
	*out = ch;
	return 0;

fail:
	vmbus_chan__destroy(ch);
	return err;
}

int vmbus_host_rescind(struct vmbus_channel *ch)
{
	struct vmbus_host *h = ch->host;
	struct vmbus_msg_relid m = {
		.hdr = { .type = VMBUS_MSG_RESCIND_OFFER, .size = sizeof(m) },
		.child_relid = ch->relid,
	};
	int err;

	host_chan_unwatch(h, ch);
	err = vmbus_chan__set_state(ch, VMBUS_CHAN_RESCINDED);
	if (err)
		return err;
	log_info(VMBUS_TOPIC, "%s: rescinded", ch->name);
	/* A guest that never saw the offer has nothing to release. */
	if (!h->offers_requested || h->partition_gone || host_send(h, &m.hdr, NULL, 0))
		host_free_chan(h, ch);
	return 0;
}

uint32_t vmbus_host_version(const struct vmbus_host *h)
{
	return h->version;
}

uint64_t vmbus_host_refused(const struct vmbus_host *h)
{
	return h->refused;
}
