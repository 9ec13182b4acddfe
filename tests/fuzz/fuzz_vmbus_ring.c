/*
 * Fuzz target: the VMBus ring reader (src/hv/ring.c) facing a hostile
 * producer. The input is a control page (write_index, the reader's
 * starting offset, pending_send_sz), a batch size, a buffer size and the
 * data area. Whatever it holds, the reader must return packets that lie
 * inside the caller's buffer, or stop with 0, -ENOBUFS or -EPROTO (and stay
 * broken). Then the writer faces a hostile consumer's read_index.
 *
 * Input: u32 write_index | u32 start | u32 pending_send_sz | u8 batch |
 *        u8 buffer size / 32 | 2 bytes unused | data area (up to 4 KiB)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/ring.h"

#define DATA_SIZE 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) uint8_t mem[VMBUS_PAGE_SIZE + DATA_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmbus_ring r;
	struct vmbus_pkt_in out[16];
	uint32_t w, start, pending;
	unsigned batch;
	size_t buflen;
	uint8_t *buf;
	bool sig;

	if (size < 16)
		return 0;
	memset(mem, 0, sizeof(mem));
	if (vmbus_ring_init_consumer(&r, mem, sizeof(mem), "fuzz rx"))
		abort();
	memcpy(&w, data, 4);
	memcpy(&start, data + 4, 4);
	memcpy(&pending, data + 8, 4);
	batch = data[12] % 16 + 1;
	buflen = (size_t)data[13] * 32;
	memcpy(mem + VMBUS_PAGE_SIZE, data + 16, size - 16 < DATA_SIZE ? size - 16 : DATA_SIZE);
	/* our own index is private and always valid: place it, aligned */
	r.index = (start % DATA_SIZE) & ~7u;
	r.ctl->read_index = r.index;
	r.ctl->write_index = w;
	r.ctl->pending_send_sz = pending;
	buf = malloc(buflen ? buflen : 1);
	if (!buf)
		return 0;

	for (int round = 0; round < 4096; round++) {
		int n = vmbus_ring_read(&r, out, batch, buf, buflen, &sig);

		if (n > 0) {
			if ((unsigned)n > batch)
				abort();
			for (int i = 0; i < n; i++)
				if (out[i].data < buf || out[i].len > buflen ||
				    out[i].data + out[i].len > buf + buflen)
					abort();
			continue;
		}
		if (n == -EPROTO && vmbus_ring_read(&r, out, batch, buf, buflen, &sig) != -EPROTO)
			abort();
		if (n != 0 && n != -ENOBUFS && n != -EPROTO)
			abort();
		break;
	}
	free(buf);

	/* The writer, against whatever read_index the input left behind. */
	{
		struct vmbus_ring tx;
		uint32_t rd = start;
		struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = data, .len = (uint32_t)(size % 600) };
		int n;

		if (vmbus_ring_init_producer(&tx, mem, sizeof(mem), "fuzz tx"))
			abort();
		tx.ctl->read_index = rd;
		n = vmbus_ring_write(&tx, &p, 1, &sig);
		if (n < 0 && n != -EPROTO)
			abort();
		if (n == 1 && (tx.index >= DATA_SIZE || tx.index % 8))
			abort();
		vmbus_ring_want_space(&tx, pending);
	}
	return 0;
}
