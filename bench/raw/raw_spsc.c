/*
 * The raw shared-memory ring baseline (raw_spsc.h). Layout of the memfd:
 * a control line (command and generation, written by the producer), the
 * producer's tail on its own line, the consumer's head on its own line,
 * then RAW_SLOTS slots of RAW_SLOT bytes (a 4-byte length, then the frame).
 *
 * Ring contract: the producer writes a slot (length and bytes), then
 * publishes it by storing tail with release; the consumer reads tail with
 * acquire, copies the slots before it out, then gives them back by storing
 * head with release; the producer reads head with acquire before it reuses
 * a slot. Indices are 64-bit and only grow.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/shm.h"
#include "raw_spsc.h"

#define RAW_SLOTS 256u
#define RAW_SLOT 2048u
#define RAW_BATCH 32u
#define RAW_LINE 64u
#define RAW_DATA 4096u	/* control lines, then the slots (a page multiple for the memfd) */
#define RAW_SIZE (RAW_DATA + RAW_SLOTS * RAW_SLOT)

enum { RAW_IDLE, RAW_RUN, RAW_EXIT };

struct raw_ctl {
	uint32_t cmd;		/* RAW_* (producer) */
	uint32_t alive;		/* consumer: 1 once it runs */
};

struct raw_spsc {
	struct guest_mem *gm;
	uint8_t *mem;
	pid_t pid;
	uint8_t *src;		/* the producer's frames, one per slot (private memory) */
};

static struct raw_ctl *ctl(uint8_t *m)
{
	return (struct raw_ctl *)m;
}

static uint64_t *tail_of(uint8_t *m)
{
	return (uint64_t *)(m + RAW_LINE);
}

static uint64_t *head_of(uint8_t *m)
{
	return (uint64_t *)(m + 2 * RAW_LINE);
}

static uint8_t *slot(uint8_t *m, uint64_t i)
{
	return m + RAW_DATA + (i % RAW_SLOTS) * RAW_SLOT;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The consumer: copy every published frame out; sleep while idle. */
static int consume(uint8_t *m)
{
	static uint8_t priv[RAW_BATCH][RAW_SLOT];
	uint64_t head = __atomic_load_n(head_of(m), __ATOMIC_RELAXED);
	unsigned spins = 0;

	__atomic_store_n(&ctl(m)->alive, 1, __ATOMIC_RELEASE);
	for (;;) {
		uint32_t cmd = __atomic_load_n(&ctl(m)->cmd, __ATOMIC_ACQUIRE);
		uint64_t tail = __atomic_load_n(tail_of(m), __ATOMIC_ACQUIRE);

		if (head == tail) {
			if (cmd == RAW_EXIT)
				return 0;
			if (cmd == RAW_IDLE)
				usleep(500);	/* between runs: leave the CPU to the paths measured */
			else if (!(++spins & 63))
				sched_yield();	/* an oversubscribed machine: let the producer run */
			continue;
		}
		for (unsigned k = 0; head != tail && k < RAW_BATCH; k++, head++) {
			uint8_t *s = slot(m, head);
			uint32_t len;

			memcpy(&len, s, 4);
			if (len > RAW_SLOT - 4)
				return 3;
			memcpy(priv[k], s + 4, len);
		}
		__atomic_store_n(head_of(m), head, __ATOMIC_RELEASE);
	}
}

int raw_spsc_create(struct raw_spsc **out)
{
	struct raw_spsc *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r || !(r->src = malloc((size_t)RAW_SLOTS * RAW_SLOT))) {
		free(r);
		return -ENOMEM;
	}
	/* Frames with an Ethernet header, every page touched (never the zero page). */
	for (unsigned i = 0; i < RAW_SLOTS * RAW_SLOT; i++)
		r->src[i] = (uint8_t)(i * 7u + 1u);
	if ((rc = gmem_create("raw-spsc", RAW_SIZE, &r->gm))) {
		free(r->src);
		free(r);
		return rc;
	}
	r->mem = gmem_ptr(r->gm, 0, RAW_SIZE);
	r->pid = fork();
	if (r->pid < 0) {
		rc = -errno;
		gmem_destroy(r->gm);
		free(r->src);
		free(r);
		return rc;
	}
	if (r->pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(consume(r->mem));
	}
	*out = r;
	return 0;
}

void raw_spsc_destroy(struct raw_spsc *r)
{
	if (!r)
		return;
	if (r->pid > 0) {
		__atomic_store_n(&ctl(r->mem)->cmd, RAW_EXIT, __ATOMIC_RELEASE);
		for (int i = 0; i < 200 && waitpid(r->pid, NULL, WNOHANG) == 0; i++)
			usleep(5000);
		if (kill(r->pid, 0) == 0) {
			kill(r->pid, SIGKILL);
			(void)waitpid(r->pid, NULL, 0);
		}
	}
	gmem_destroy(r->gm);
	free(r->src);
	free(r);
}

double raw_spsc_run(struct raw_spsc *r, unsigned len, unsigned run_ms)
{
	uint8_t *m = r->mem;
	uint64_t tail = __atomic_load_n(tail_of(m), __ATOMIC_RELAXED), head0, head;
	double t0, t;
	int spins = 0;

	if (len < 14 || len > RAW_SLOT - 8)
		return -EINVAL;
	while (!__atomic_load_n(&ctl(m)->alive, __ATOMIC_ACQUIRE)) {
		if (++spins > 2000 || waitpid(r->pid, NULL, WNOHANG) != 0)
			return -ESRCH;
		usleep(1000);
	}
	head0 = __atomic_load_n(head_of(m), __ATOMIC_ACQUIRE);
	__atomic_store_n(&ctl(m)->cmd, RAW_RUN, __ATOMIC_RELEASE);
	t0 = now_s();
	do {
		for (unsigned b = 0; b < 64; b++) {
			/* Room for a batch: the consumer gave the slots back. */
			while (tail + RAW_BATCH - __atomic_load_n(head_of(m), __ATOMIC_ACQUIRE) > RAW_SLOTS)
				if (!(++spins & 63)) {
					sched_yield();	/* the consumer may be waiting for our CPU */
					if (!(spins & 0xffff) && waitpid(r->pid, NULL, WNOHANG) != 0)
						return -ESRCH;	/* the consumer is gone */
				}
			for (unsigned k = 0; k < RAW_BATCH; k++) {
				uint8_t *s = slot(m, tail + k);
				uint32_t l = len;

				memcpy(s, &l, 4);
				memcpy(s + 4, r->src + ((tail + k) % RAW_SLOTS) * RAW_SLOT, len);
			}
			tail += RAW_BATCH;
			__atomic_store_n(tail_of(m), tail, __ATOMIC_RELEASE);
		}
		t = now_s() - t0;
	} while (t * 1000 < run_ms);
	head = __atomic_load_n(head_of(m), __ATOMIC_ACQUIRE);
	__atomic_store_n(&ctl(m)->cmd, RAW_IDLE, __ATOMIC_RELEASE);
	/* Let the consumer finish what is published before the next run. */
	for (int i = 0; i < 1000 && __atomic_load_n(head_of(m), __ATOMIC_ACQUIRE) != tail; i++)
		usleep(100);
	return (double)(head - head0) / t;
}
