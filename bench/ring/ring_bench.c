/*
 * VMBus ring throughput between two processes: the producer (this process)
 * and a forked consumer share one ring in a memfd (guest memory), exactly
 * as a host and a VM do. Packets of 64 and 1514 bytes, batches of 32, the
 * consumer polling with interrupts masked (the fast path), each payload
 * copied into the consumer's private buffer. Prints packets/s and Gbit/s
 * for several runs; never asserts on time (see
 * shared/reference/perf-limits.md: compare within one run, pin with
 * taskset for steadier figures).
 *
 * Usage: iovlab-ring-bench [packets per run, default 500000]
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/shm.h"
#include "hv/ring.h"

#define RING_LEN (VMBUS_PAGE_SIZE + (1u << 20))	/* 1 MiB data area */
#define BATCH 32
#define RUNS 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Consumer: read until `total` packets arrived; exit 0 if all were intact. */
static int consume(struct guest_mem *gm, uint64_t total)
{
	static uint8_t buf[BATCH * 1536];
	struct vmbus_pkt_in in[BATCH];
	struct vmbus_ring r;
	uint64_t got = 0, expect = 0;
	bool sig;

	if (vmbus_ring_init_consumer(&r, gmem_ptr(gm, 0, RING_LEN), RING_LEN, "bench rx"))
		return 2;
	/* the producer zeroed the indices before forking */
	vmbus_ring_intr_mask(&r);
	while (got < total) {
		int n = vmbus_ring_read(&r, in, BATCH, buf, sizeof(buf), &sig);

		if (n < 0)
			return 3;
		for (int i = 0; i < n; i++)
			if (in[i].trans_id != expect++)
				return 4;
		got += (uint64_t)n;
	}
	return 0;
}

static void run(uint32_t len, uint64_t total)
{
	static uint8_t payload[1514];
	struct vmbus_pkt pkts[BATCH];
	struct guest_mem *gm;
	struct vmbus_ring r;
	uint64_t sent = 0;
	double t0, dt;
	int status;
	pid_t pid;
	bool sig;

	if (gmem_create("ring-bench", RING_LEN, &gm) ||
	    vmbus_ring_init_producer(&r, gmem_ptr(gm, 0, RING_LEN), RING_LEN, "bench tx") ||
	    vmbus_ring_init_consumer(&(struct vmbus_ring){ 0 }, gmem_ptr(gm, 0, RING_LEN),
				     RING_LEN, "bench rx")) {
		fprintf(stderr, "ring-bench: setup failed\n");
		exit(1);
	}
	pid = fork();
	if (pid == 0)
		_exit(consume(gm, total));
	t0 = now_s();
	while (sent < total) {
		unsigned n = total - sent < BATCH ? (unsigned)(total - sent) : BATCH;
		int w;

		for (unsigned i = 0; i < n; i++)
			pkts[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND,
						      .trans_id = sent + i, .data = payload,
						      .len = len };
		w = vmbus_ring_write(&r, pkts, n, &sig);
		if (w < 0) {
			fprintf(stderr, "ring-bench: write failed (%d)\n", w);
			kill(pid, SIGKILL);
			break;
		}
		sent += (uint64_t)w;
	}
	waitpid(pid, &status, 0);
	dt = now_s() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "ring-bench: consumer failed (status 0x%x)\n", status);
		exit(1);
	}
	printf("%5u B  batch %d  %10.2f Mpps  %7.2f Gbit/s  (%" PRIu64 " packets, %.3f s)\n",
	       len, BATCH, (double)total / dt / 1e6, (double)total * len * 8 / dt / 1e9,
	       total, dt);
	gmem_destroy(gm);
}

int main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 0) : 500000;

	printf("VMBus ring, producer and consumer in two processes sharing a memfd,\n"
	       "consumer polling (interrupts masked), payload copied out once\n");
	for (int i = 0; i < RUNS; i++) {
		run(64, total);
		run(1514, total);
	}
	return 0;
}
