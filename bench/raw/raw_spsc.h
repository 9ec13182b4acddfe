/*
 * The raw baseline of `iovlab bench` (docs/bench.md): a plain single-producer
 * single-consumer ring in a memfd shared by two processes -- the calling
 * process produces, a forked consumer consumes -- with the frame copied in
 * by the producer and out by the consumer into its private buffer, in
 * batches of 32, 256 slots of 2 KiB. No device model, no NDIS, no VMBus:
 * the ceiling the VF and synthetic paths are measured against
 * (perf-limits.md "same ring between two processes sharing a memfd").
 */
#ifndef IOVLAB_BENCH_RAW_SPSC_H
#define IOVLAB_BENCH_RAW_SPSC_H

#include <stdint.h>

struct raw_spsc;

/* Fork the consumer (it idles, sleeping, between runs). 0 and *out, or -errno. */
int raw_spsc_create(struct raw_spsc **out);
/* Stop and reap the consumer, free the ring. NULL is a no-op. */
void raw_spsc_destroy(struct raw_spsc *r);
/*
 * Produce len-byte frames (14..2040) for run_ms; returns the frames/s the
 * consumer took, or a negative errno (the consumer is gone).
 */
double raw_spsc_run(struct raw_spsc *r, unsigned len, unsigned run_ms);

#endif /* IOVLAB_BENCH_RAW_SPSC_H */
