/*
 * The input format of both NVSP fuzz targets (fuzz_nvsp_host.c,
 * fuzz_nvsp_guest.c) and the walker that turns it into engine calls:
 * records "u8 kind | u8 tid kind | u16 tid low | u16 len | len bytes"
 * (little endian). kind % 4: 0 an inband packet, 1 a completion packet
 * (trans_id NVSP_TID(tid kind, tid low), payload the bytes), 2 write the
 * bytes into buffer section (tid low), 3 a call (tid kind selects it, tid
 * low is its argument). Consecutive packets are handed over as one batch
 * (BATCH at most) before the next write or call. Each packet gets its own
 * heap copy of exactly its length, so ASan sees any over-read.
 * fuzz_nvsp_corpus.py writes seeds in this format.
 */
#ifndef IOVLAB_TESTS_FUZZ_NVSP_RECORDS_H
#define IOVLAB_TESTS_FUZZ_NVSP_RECORDS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/nvsp_msg.h"

#define NVSP_FUZZ_BATCH 16u

struct nvsp_fuzz_ops {
	void (*dispatch)(void *ctx, const struct vmbus_pkt_in *pkts, unsigned n);
	void (*write)(void *ctx, uint16_t section, const uint8_t *data, uint16_t len);
	void (*call)(void *ctx, uint8_t which, uint16_t arg);
};

static void nvsp_fuzz_flush(const struct nvsp_fuzz_ops *ops, void *ctx,
			    struct vmbus_pkt_in *batch, uint8_t **bufs, unsigned *n)
{
	if (!*n)
		return;
	ops->dispatch(ctx, batch, *n);
	while (*n)
		free(bufs[--*n]);
}

static void nvsp_fuzz_walk(const uint8_t *data, size_t size, const struct nvsp_fuzz_ops *ops,
			   void *ctx)
{
	struct vmbus_pkt_in batch[NVSP_FUZZ_BATCH];
	uint8_t *bufs[NVSP_FUZZ_BATCH];
	unsigned n = 0;

	while (size >= 6) {
		uint8_t kind = data[0] % 4, tk = data[1];
		uint16_t low, len;

		memcpy(&low, data + 2, 2);
		memcpy(&len, data + 4, 2);
		data += 6;
		size -= 6;
		if (len > size)
			len = (uint16_t)size;
		if (kind <= 1) {
			bufs[n] = malloc(len ? len : 1);
			if (!bufs[n])
				abort();
			memcpy(bufs[n], data, len);
			batch[n] = (struct vmbus_pkt_in){
				.type = kind ? VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND,
				.trans_id = NVSP_TID(tk, low), .data = bufs[n], .len = len,
			};
			if (++n == NVSP_FUZZ_BATCH)
				nvsp_fuzz_flush(ops, ctx, batch, bufs, &n);
		} else {
			nvsp_fuzz_flush(ops, ctx, batch, bufs, &n);
			if (kind == 2)
				ops->write(ctx, low, data, len);
			else
				ops->call(ctx, tk, low);
		}
		data += len;
		size -= len;
	}
	nvsp_fuzz_flush(ops, ctx, batch, bufs, &n);
}

#endif /* IOVLAB_TESTS_FUZZ_NVSP_RECORDS_H */
