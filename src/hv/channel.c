/*
 * The VMBus channel object and its data path, shared by both partitions:
 * the state machine (table + one checked setter), batched send/receive over
 * the two rings, and the eventfd signalling the rings ask for. The host
 * server (vmbus_host.c) and guest client (vmbus_guest.c) create channels
 * and drive their open/close/rescind transitions; the VSPs and VSCs call
 * the vmbus_chan_* functions here.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/vmbus_priv.h"

static const char *const vmbus_chan_state_names[VMBUS_CHAN_STATE_COUNT] = {
	[VMBUS_CHAN_OFFERED] = "offered",
	[VMBUS_CHAN_OPENING] = "opening",
	[VMBUS_CHAN_OPEN] = "open",
	[VMBUS_CHAN_BROKEN] = "broken",
	[VMBUS_CHAN_CLOSING] = "closing",
	[VMBUS_CHAN_CLOSED] = "closed",
	[VMBUS_CHAN_RESCINDED] = "rescinded",
};

#define TO(s) (1u << VMBUS_CHAN_##s)
/* vmbus_chan_transitions[from] has bit `to` set when from -> to is legal. */
static const unsigned vmbus_chan_transitions[VMBUS_CHAN_STATE_COUNT] = {
	[VMBUS_CHAN_OFFERED] = TO(OPENING) | TO(RESCINDED),
	[VMBUS_CHAN_OPENING] = TO(OPEN) | TO(OFFERED) | TO(RESCINDED),
	[VMBUS_CHAN_OPEN] = TO(CLOSING) | TO(BROKEN) | TO(RESCINDED),
	[VMBUS_CHAN_BROKEN] = TO(CLOSING) | TO(RESCINDED),
	[VMBUS_CHAN_CLOSING] = TO(CLOSED) | TO(RESCINDED),
	[VMBUS_CHAN_CLOSED] = TO(OPENING) | TO(RESCINDED),
	[VMBUS_CHAN_RESCINDED] = 0,
};
#undef TO

const char *vmbus_chan_state_name(enum vmbus_chan_state s)
{
	return (unsigned)s < VMBUS_CHAN_STATE_COUNT ? vmbus_chan_state_names[s] : "?";
}

static const char *const vmbus_chan_event_names[] = {
	[VMBUS_CHAN_EV_OPENED] = "opened",
	[VMBUS_CHAN_EV_DATA] = "data",
	[VMBUS_CHAN_EV_CLOSED] = "closed",
	[VMBUS_CHAN_EV_RESCINDED] = "rescinded",
};

const char *vmbus_chan_event_name(enum vmbus_chan_event ev)
{
	return (unsigned)ev < sizeof(vmbus_chan_event_names) / sizeof(vmbus_chan_event_names[0])
		? vmbus_chan_event_names[ev] : "?";
}

bool vmbus_chan__legal(enum vmbus_chan_state from, enum vmbus_chan_state to)
{
	return (unsigned)from < VMBUS_CHAN_STATE_COUNT && (unsigned)to < VMBUS_CHAN_STATE_COUNT &&
	       (vmbus_chan_transitions[from] & (1u << to));
}

int vmbus_chan__set_state(struct vmbus_channel *ch, enum vmbus_chan_state to)
{
	if (!vmbus_chan__legal(ch->state, to)) {
		log_warn(VMBUS_TOPIC, "%s: illegal state change %s -> %s refused", ch->name,
			 vmbus_chan_state_name(ch->state), vmbus_chan_state_name(to));
		return -EINVAL;
	}
	log_debug(VMBUS_TOPIC, "%s: %s -> %s", ch->name, vmbus_chan_state_name(ch->state),
		  vmbus_chan_state_name(to));
	ch->state = to;
	return 0;
}

struct vmbus_channel *vmbus_chan__create(enum vmbus_side side, uint32_t relid)
{
	struct vmbus_channel *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->side = side;
	ch->relid = relid;
	ch->state = VMBUS_CHAN_OFFERED;
	ch->signal_fd = -1;
	ch->wait_fd = -1;
	snprintf(ch->name, sizeof(ch->name), "%s chan 0x%x",
		 side == VMBUS_SIDE_HOST ? "host" : "guest", relid);
	return ch;
}

void vmbus_chan__destroy(struct vmbus_channel *ch)
{
	if (!ch)
		return;
	if (ch->signal_fd >= 0)
		close(ch->signal_fd);
	if (ch->wait_fd >= 0)
		close(ch->wait_fd);
	free(ch);
}

enum vmbus_chan_state vmbus_chan_state(const struct vmbus_channel *ch)
{
	return ch->state;
}

uint32_t vmbus_chan_relid(const struct vmbus_channel *ch)
{
	return ch->relid;
}

const struct vmbus_guid *vmbus_chan_type(const struct vmbus_channel *ch)
{
	return &ch->type;
}

const struct vmbus_guid *vmbus_chan_instance(const struct vmbus_channel *ch)
{
	return &ch->instance;
}

void vmbus_chan_get_stats(const struct vmbus_channel *ch, struct vmbus_chan_stats *st)
{
	st->signals = ch->signals;
	st->wakeups = ch->wakeups;
	st->bad_type = ch->bad_type;
	st->out = ch->out.stats;
	st->in = ch->in.stats;
}

int vmbus_chan_wait_fd(const struct vmbus_channel *ch)
{
	return ch->wait_fd;
}

void vmbus_chan__signal(struct vmbus_channel *ch)
{
	uint64_t one = 1;

	/* A full counter (2^64 - 2 unread signals) only means the peer is
	 * already signalled; nothing to do then. */
	if (write(ch->signal_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		ch->signals++;
}

void vmbus_chan__drain(struct vmbus_channel *ch)
{
	uint64_t n;

	if (read(ch->wait_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		ch->wakeups += n;
}

static int chan_not_open(const struct vmbus_channel *ch)
{
	switch (ch->state) {
	case VMBUS_CHAN_OPEN:
		return 0;
	case VMBUS_CHAN_BROKEN:
		return -EPROTO;
	case VMBUS_CHAN_RESCINDED:
		return -ENODEV;
	default:
		return -ENOTCONN;
	}
}

static void chan_broken(struct vmbus_channel *ch)
{
	if (vmbus_chan__set_state(ch, VMBUS_CHAN_BROKEN) == 0)
		log_error(VMBUS_TOPIC, "%s: the peer broke a ring; channel is broken "
			  "until it is closed", ch->name);
}

int vmbus_chan_send(struct vmbus_channel *ch, const struct vmbus_pkt *pkts, unsigned n)
{
	bool signal;
	int sent, err = chan_not_open(ch);

	if (err)
		return err;
	sent = vmbus_ring_write(&ch->out, pkts, n, &signal);
	if (sent == -EPROTO)
		chan_broken(ch);
	if (signal)
		vmbus_chan__signal(ch);
	return sent;
}

int vmbus_chan_kick(struct vmbus_channel *ch)
{
	int err = chan_not_open(ch);

	if (err)
		return err;
	vmbus_chan__signal(ch);
	return 0;
}

static bool known_type(uint16_t type)
{
	return type == VMBUS_PKT_DATA_INBAND || type == VMBUS_PKT_COMP;
}

int vmbus_chan_recv(struct vmbus_channel *ch, struct vmbus_pkt_in *out, unsigned max,
		    void *buf, size_t buflen)
{
	int err = chan_not_open(ch);

	if (err)
		return err;
	for (;;) {
		bool signal;
		int got = vmbus_ring_read(&ch->in, out, max, buf, buflen, &signal);
		unsigned kept = 0;

		if (signal)
			vmbus_chan__signal(ch);
		if (got == -EPROTO)
			chan_broken(ch);
		if (got <= 0)
			return got;
		for (int i = 0; i < got; i++) {
			if (known_type(out[i].type)) {
				out[kept++] = out[i];
				continue;
			}
			if (ch->bad_type++ == 0)
				log_warn(VMBUS_TOPIC, "%s: dropping packet of unknown type 0x%x "
					 "(further ones are only counted)", ch->name, out[i].type);
		}
		if (kept)
			return (int)kept;
		/* Everything in this batch was dropped: look again. */
	}
}

uint32_t vmbus_chan_pkt_size(uint32_t len)
{
	return (uint32_t)sizeof(struct vmbus_pkt_desc) + ((len + 7u) & ~7u);
}

void vmbus_chan_poll_begin(struct vmbus_channel *ch)
{
	if (ch->state == VMBUS_CHAN_OPEN)
		vmbus_ring_intr_mask(&ch->in);
}

bool vmbus_chan_poll_end(struct vmbus_channel *ch)
{
	if (ch->state != VMBUS_CHAN_OPEN)
		return false;
	return vmbus_ring_intr_unmask(&ch->in);
}

/* Sleep on the wait eventfd (and, in the guest, the control socket). */
static int chan_sleep(struct vmbus_channel *ch, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = ch->wait_fd, .events = POLLIN },
		{ .fd = ch->guest ? vmbus_guest__sock(ch->guest) : -1, .events = POLLIN },
	};
	int n;

	n = poll(pfd, 2, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	if (pfd[0].revents)
		vmbus_chan__drain(ch);
	if (pfd[1].revents) {
		int err = vmbus_guest__pump(ch->guest, 0);

		if (err < 0)
			return err;
	}
	return chan_not_open(ch) ? chan_not_open(ch) : 1;
}

int vmbus_chan_wait(struct vmbus_channel *ch, int timeout_ms)
{
	int err = chan_not_open(ch);

	if (err)
		return err;
	if (vmbus_ring_intr_unmask(&ch->in))
		return 1;
	return chan_sleep(ch, timeout_ms);
}

/*
 * Spin before sleeping (issue 8, bring-up latency). A synchronous request
 * (a vPCI config read, an MMIO read) is answered by the other process in
 * 10-30 us; sleeping on the eventfd adds a wake-up on each side of that
 * (perf-limits.md: 41-52 us per cross-core round trip). Bounded, and every
 * turn yields the CPU first (sched_yield returns at once when nothing
 * else is runnable), so with more runnable processes than CPUs the spinner
 * steps aside instead of stealing the time of the peer it waits for.
 */
int vmbus_spin_budget_us(void)
{
	static int budget = -1;

	if (budget < 0) {
		const char *e = getenv("IOVLAB_SPIN_US");
		char *end;
		long v = e ? strtol(e, &end, 10) : VMBUS_SPIN_US;

		budget = e && (*end || v < 0 || v > 1000) ? VMBUS_SPIN_US : (int)v;
	}
	return budget;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Adaptive: a spin that ended without the answer means the peer is slower
 * than the budget (many VMs share the CPUs: 256 guests spinning would take
 * the host's time); the next 2, 4, ... 64 waits of this process then sleep
 * at once, and an answer caught by a spin starts over.
 */
static unsigned spin_misses, spin_skip;

int vmbus_chan_wait_spin(struct vmbus_channel *ch, int timeout_ms)
{
	int spin = vmbus_spin_budget_us();

	if (spin_skip) {
		spin_skip--;
	} else if (spin > 0 && timeout_ms > 0 && !chan_not_open(ch)) {
		int64_t end = mono_ns() + (int64_t)spin * 1000;

		do {
			if (vmbus_ring_pending(&ch->in)) {
				spin_misses = 0;
				return 1;
			}
			sched_yield();
		} while (mono_ns() < end);
		if (spin_misses < 6)
			spin_misses++;
		spin_skip = 1u << spin_misses;
	}
	return vmbus_chan_wait(ch, timeout_ms);
}

int vmbus_chan_wait_space(struct vmbus_channel *ch, uint32_t need, int timeout_ms)
{
	int err = chan_not_open(ch);

	if (err)
		return err;
	if (vmbus_ring_want_space(&ch->out, need))
		return 1;
	return chan_sleep(ch, timeout_ms);
}
