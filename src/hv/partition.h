/*
 * Partitions as processes. The host process is the root partition; each VM
 * (child partition) is a child process that the host forks, hands its guest
 * memory over a Unix socket (SCM_RIGHTS) and supervises. When the child
 * exits or is killed, the host notices through a pidfd on its event loop,
 * reaps it and reports "partition gone" -- first to the VMBus server bound
 * to the partition (which rescinds its channels), then to the owner's
 * callback, so later layers can do a VF surprise removal. Nothing a child
 * does can take the host or another child down.
 *
 * Start model: fork + entry function (no exec). Right after fork the child
 * closes every descriptor except stdin/stdout/stderr and its end of the
 * socket, asks to be SIGKILLed if the host dies, receives PART_MSG_SETUP
 * with the memfd like any exec'd helper would, maps the memory, and runs
 * entry(). Its return value becomes the exit status. Fork is used because
 * the guest side (NetVsc, guest NDIS, drivers) is built into the same
 * program; the setup path is the same one an exec'd iovlab-vm would use.
 * Fork from a single-threaded host only (see docs/hv/vmbus.md).
 */
#ifndef IOVLAB_HV_PARTITION_H
#define IOVLAB_HV_PARTITION_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/evloop.h"
#include "base/shm.h"
#include "wire/partition.h"

struct partition;		/* host side, opaque */
struct partition_guest;		/* child side, opaque, valid inside entry() */

enum partition_state {
	PARTITION_STARTING,	/* forked, setup sent, no word from the guest yet */
	PARTITION_RUNNING,	/* the guest has sent a valid message */
	PARTITION_GONE,		/* the process has exited and been reaped */
	PARTITION_STATE_COUNT,
};

/*
 * Runs in the child process. Return 0..255: the child's exit status. Must
 * not return into the caller of partition_create() (it cannot: the child
 * _exit()s after it).
 */
typedef int (*partition_entry_fn)(struct partition_guest *g, void *arg);

/*
 * Host: the partition's process is gone. wstatus is a waitpid()-style
 * status (WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG). Called once, from
 * evloop_run_once(); the callback may call partition_destroy(p).
 */
typedef void (*partition_gone_fn)(struct partition *p, int wstatus, void *arg);

struct partition_config {
	const char *name;		/* VM name, < PART_NAME_MAX chars */
	uint64_t mem_size;		/* guest memory bytes, page multiple */
	partition_entry_fn entry;	/* the guest's main */
	void *entry_arg;		/* passed to entry in the child's copy of memory */
	partition_gone_fn gone;		/* may be NULL */
	void *gone_arg;
};

/*
 * Host: create guest memory, fork the child, send it the setup message and
 * start supervising it on loop. The caller owns *out and frees it with
 * partition_destroy(). Returns 0 or -errno (nothing is left running).
 */
int partition_create(struct evloop *loop, const struct partition_config *cfg,
		     struct partition **out);

/*
 * Host: SIGKILL the child if it still runs, reap it, free everything. No
 * callback is called. partition_destroy(NULL) is a no-op.
 */
void partition_destroy(struct partition *p);

/* Host: SIGKILL the child; "gone" follows from the event loop. Returns 0 or -errno. */
int partition_kill(struct partition *p);

enum partition_state partition_state(const struct partition *p);
const char *partition_state_name(enum partition_state s);
pid_t partition_pid(const struct partition *p);
const char *partition_name(const struct partition *p);
uint32_t partition_id(const struct partition *p);
/* The guest's memory as the host maps it; owned by p, lives until partition_destroy(). */
struct guest_mem *partition_mem(const struct partition *p);
/* Messages from the guest refused as malformed. */
uint64_t partition_bad_msgs(const struct partition *p);

/* Child side, inside entry(). */
struct guest_mem *partition_guest_mem(const struct partition_guest *g);
int partition_guest_sock(const struct partition_guest *g);
uint32_t partition_guest_id(const struct partition_guest *g);
const char *partition_guest_name(const struct partition_guest *g);

/* ---- for the VMBus server (src/hv only) ---- */

/* A checked message from the guest (part_msg_check() passed, no fds). */
typedef void (*partition__msg_fn)(const void *msg, size_t len, void *arg);
/* The partition is gone; called before the owner's gone callback. */
typedef void (*partition__gone_fn)(void *arg);

/* Bind the partition's one bus (vmbus_host). Returns 0 or -EBUSY. */
int partition__bind_bus(struct partition *p, partition__msg_fn msg, partition__gone_fn gone,
			void *arg);
void partition__unbind_bus(struct partition *p);
/* Send a message with descriptors to the guest. Returns 0 or -errno. */
int partition__send(struct partition *p, const struct part_msg_hdr *msg, const int *fds,
		    unsigned nfds);
struct evloop *partition__loop(const struct partition *p);

#endif /* IOVLAB_HV_PARTITION_H */
