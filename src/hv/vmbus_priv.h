/*
 * Inside VMBus (src/hv only; never included from outside src/hv and its
 * tests): the channel object shared by the data path (channel.c), the host
 * server (vmbus_host.c) and the guest client (vmbus_guest.c).
 */
#ifndef IOVLAB_HV_VMBUS_PRIV_H
#define IOVLAB_HV_VMBUS_PRIV_H

#include "hv/vmbus.h"

#define VMBUS_TOPIC "lab.hv.vmbus"
#define VMBUS_MAX_RELID 64u	/* channel ids 1..63 */

enum vmbus_side {
	VMBUS_SIDE_HOST,
	VMBUS_SIDE_GUEST,
};

struct vmbus_channel {
	enum vmbus_side side;
	uint32_t relid;
	enum vmbus_chan_state state;
	char name[32];			/* "host chan 0x3" for logs */
	struct vmbus_guid type, instance;
	int signal_fd;			/* we write it to signal the peer; owned */
	int wait_fd;			/* the peer writes it to signal us; owned */
	struct vmbus_ring out;		/* we produce */
	struct vmbus_ring in;		/* we consume */
	uint32_t gpadl_id;		/* the GPADL holding the rings while open */
	uint64_t signals, wakeups, bad_type;

	/* host side */
	struct vmbus_host *host;
	vmbus_chan_event_fn fn;
	void *arg;

	/* guest side: replies the guest waits for */
	struct vmbus_guest *guest;
	uint32_t open_id;
	bool gpadl_replied, open_replied, torndown;
	int gpadl_status, open_status;
};

/* Channel object with no rings; takes nothing. Returns NULL on ENOMEM. */
struct vmbus_channel *vmbus_chan__create(enum vmbus_side side, uint32_t relid);
/* Closes both eventfds if set. NULL is a no-op. */
void vmbus_chan__destroy(struct vmbus_channel *ch);

/*
 * The one place a channel changes state: checks the transition table,
 * traces old -> new, and refuses (-EINVAL, logged) an illegal change --
 * which a misbehaving peer can provoke, so it is never an assert.
 */
int vmbus_chan__set_state(struct vmbus_channel *ch, enum vmbus_chan_state to);
bool vmbus_chan__legal(enum vmbus_chan_state from, enum vmbus_chan_state to);

/* Write the peer's eventfd once and count it. */
void vmbus_chan__signal(struct vmbus_channel *ch);
/* Read (and so reset) our eventfd; adds its count to wakeups. */
void vmbus_chan__drain(struct vmbus_channel *ch);

/* Guest: handle control messages for up to timeout_ms (see vmbus_guest_poll). */
int vmbus_guest__pump(struct vmbus_guest *g, int timeout_ms);
int vmbus_guest__sock(const struct vmbus_guest *g);
/*
 * Guest: a client on sock (not owned) and mem (not owned) without the
 * connect handshake, and the handler of one checked host message, which takes
 * ownership of its nfds descriptors (an offer keeps its two, anything else
 * is closed). vmbus_guest_connect() is built on these; the fuzz target of the
 * control messages drives them directly.
 */
int vmbus_guest__create(int sock, struct guest_mem *mem, const char *name,
			struct vmbus_guest **out);
void vmbus_guest__dispatch(struct vmbus_guest *g, const void *msg, const int *fds,
			   unsigned nfds);

#endif /* IOVLAB_HV_VMBUS_PRIV_H */
