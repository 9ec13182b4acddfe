/*
 * Tests for src/hv/ring.c, both ends in one process over one buffer (the
 * cross-process ring tests are in test_vmbus.c): framing, wrap-around, a
 * full ring, the signalling rules (one signal per empty -> non-empty while
 * unmasked, none while masked, pending_send_sz), and garbage from the other
 * side handled as a broken ring, counted, without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/ring.h"

#define RING_LEN (VMBUS_PAGE_SIZE * 2)	/* control page + 4 KiB of data */
#define DATA_SIZE (RING_LEN - VMBUS_PAGE_SIZE)

struct fixture {
	void *mem;
	struct vmbus_ring tx, rx;	/* producer and consumer views of one ring */
	uint8_t buf[DATA_SIZE];
	struct vmbus_pkt_in in[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = aligned_alloc(VMBUS_PAGE_SIZE, RING_LEN);
	assert_non_null(f->mem);
	memset(f->mem, 0xa5, RING_LEN);	/* both inits must clear their own fields */
	assert_int_equal(vmbus_ring_init_producer(&f->tx, f->mem, RING_LEN, "test tx"), 0);
	assert_int_equal(vmbus_ring_init_consumer(&f->rx, f->mem, RING_LEN, "test rx"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->mem);
	free(f);
	return 0;
}

static int send1(struct fixture *f, const void *data, uint32_t len, uint64_t id, bool *sig)
{
	struct vmbus_pkt p = {
		.type = VMBUS_PKT_DATA_INBAND, .data = data, .len = len, .trans_id = id,
	};

	return vmbus_ring_write(&f->tx, &p, 1, sig);
}

static int recv_all(struct fixture *f, bool *sig)
{
	return vmbus_ring_read(&f->rx, f->in, 64, f->buf, sizeof(f->buf), sig);
}

static void test_init_refuses_bad_sizes(void **state)
{
	struct fixture *f = *state;
	struct vmbus_ring r;

	assert_int_equal(vmbus_ring_init_producer(&r, f->mem, VMBUS_PAGE_SIZE, "x"), -EINVAL);
	assert_int_equal(vmbus_ring_init_producer(&r, f->mem, RING_LEN + 1, "x"), -EINVAL);
	assert_int_equal(vmbus_ring_init_consumer(&r, NULL, RING_LEN, "x"), -EINVAL);
	assert_int_equal(f->tx.size, DATA_SIZE);
	assert_int_equal(vmbus_ring_max_payload(&f->tx), DATA_SIZE - 8 - 16);
}

static void test_basic_send_recv(void **state)
{
	struct fixture *f = *state;
	static const uint32_t lens[] = { 0, 1, 7, 8, 9, 100 };
	uint8_t payload[100];
	struct vmbus_pkt p[6];
	bool sig;

	for (unsigned i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	for (unsigned i = 0; i < 6; i++)
		p[i] = (struct vmbus_pkt){ .type = i == 5 ? VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND,
					   .flags = (uint8_t)(i & 1), .trans_id = 1000 + i,
					   .data = payload, .len = lens[i] };
	assert_false(vmbus_ring_pending(&f->rx));
	assert_int_equal(vmbus_ring_write(&f->tx, p, 6, &sig), 6);
	assert_true(sig);
	assert_true(vmbus_ring_pending(&f->rx));
	assert_int_equal(recv_all(f, &sig), 6);
	assert_false(sig);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(f->in[i].type, p[i].type);
		assert_int_equal(f->in[i].flags, p[i].flags);
		assert_int_equal(f->in[i].trans_id, 1000 + i);
		assert_int_equal(f->in[i].len, lens[i]);
		assert_memory_equal(f->in[i].data, payload, lens[i] ? lens[i] : 1);
		assert_int_equal((uintptr_t)(f->in[i].data - f->buf) % 8, 0);
	}
	assert_false(vmbus_ring_pending(&f->rx));
	assert_int_equal(recv_all(f, &sig), 0);
	assert_int_equal(f->tx.stats.packets, 6);
	assert_int_equal(f->rx.stats.packets, 6);
	assert_int_equal(f->rx.stats.bytes, 0 + 1 + 7 + 8 + 9 + 100);
}

static void test_padding_is_zeroed(void **state)
{
	struct fixture *f = *state;
	uint8_t *data = (uint8_t *)f->mem + VMBUS_PAGE_SIZE;
	bool sig;

	memset(data, 0xee, 64);
	assert_int_equal(send1(f, "abc", 3, 1, &sig), 1);
	/* header 16 + "abc" + 5 bytes of padding, all zero */
	for (unsigned i = 19; i < 24; i++)
		assert_int_equal(data[i], 0);
}

static void test_wrap_around(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[1000];
	bool sig;
	int wrapped = 0;

	/* 1016-byte packets in a 4096-byte ring: indices wrap every few rounds
	 * and most packets sooner or later straddle the end of the data area. */
	for (unsigned round = 0; round < 40; round++) {
		uint32_t before = f->tx.index;

		memset(payload, (int)round, sizeof(payload));
		payload[0] = (uint8_t)~round;
		assert_int_equal(send1(f, payload, sizeof(payload), round, &sig), 1);
		if (f->tx.index < before)
			wrapped++;
		assert_int_equal(recv_all(f, &sig), 1);
		assert_int_equal(f->in[0].trans_id, round);
		assert_int_equal(f->in[0].len, sizeof(payload));
		assert_memory_equal(f->in[0].data, payload, sizeof(payload));
	}
	assert_true(wrapped >= 8);
	assert_int_equal(f->rx.error, 0);
}

static void test_full_ring(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[496];	/* 512 bytes per packet with the header */
	bool sig;
	int n = 0;

	memset(payload, 0x5a, sizeof(payload));
	while (send1(f, payload, sizeof(payload), (uint64_t)n, &sig) == 1)
		n++;
	/* 4096 bytes less the 8-byte gap hold seven 512-byte packets. */
	assert_int_equal(n, 7);
	assert_int_equal(f->tx.stats.full, 1);
	/* 504 bytes are left: 489 bytes of payload need 512, 488 need 504. */
	assert_int_equal(send1(f, payload, 489, 99, &sig), 0);
	assert_false(sig);
	assert_int_equal(f->tx.stats.full, 2);
	/* A payload too large for this ring is refused outright. */
	assert_int_equal(send1(f, payload, vmbus_ring_max_payload(&f->tx) + 1, 0, &sig), -EMSGSIZE);

	/* Reading one packet frees exactly one slot. */
	assert_int_equal(vmbus_ring_read(&f->rx, f->in, 1, f->buf, sizeof(f->buf), &sig), 1);
	assert_int_equal(f->in[0].trans_id, 0);
	assert_int_equal(send1(f, payload, sizeof(payload), 7, &sig), 1);
	assert_int_equal(send1(f, payload, sizeof(payload), 8, &sig), 0);
	assert_int_equal(recv_all(f, &sig), 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(f->in[i].trans_id, (uint64_t)i + 1);
}

static void test_partial_batch(void **state)
{
	struct fixture *f = *state;
	static uint8_t payload[1500];
	struct vmbus_pkt p[4];
	bool sig;

	for (int i = 0; i < 4; i++)
		p[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND, .data = payload,
					   .len = sizeof(payload), .trans_id = (uint64_t)i };
	/* Two 1520-byte packets fit in 4088 bytes, the third does not. */
	assert_int_equal(vmbus_ring_write(&f->tx, p, 4, &sig), 2);
	assert_true(sig);
	assert_int_equal(recv_all(f, &sig), 2);
	assert_int_equal(vmbus_ring_write(&f->tx, p + 2, 2, &sig), 2);
	assert_int_equal(recv_all(f, &sig), 2);
	assert_int_equal(f->in[1].trans_id, 3);
}

static void test_signal_once_per_empty_to_nonempty(void **state)
{
	struct fixture *f = *state;
	struct vmbus_pkt p[8];
	int signals = 0;
	bool sig;

	for (int i = 0; i < 8; i++)
		p[i] = (struct vmbus_pkt){ .type = VMBUS_PKT_DATA_INBAND, .data = "x", .len = 1 };
	/* Three batches while the consumer sleeps: one signal. */
	for (int b = 0; b < 3; b++) {
		assert_int_equal(vmbus_ring_write(&f->tx, p, 8, &sig), 8);
		signals += sig;
	}
	assert_int_equal(signals, 1);
	/* The consumer drains and goes back to sleep: the next batch signals once. */
	assert_int_equal(recv_all(f, &sig), 24);
	assert_false(vmbus_ring_intr_unmask(&f->rx));
	assert_int_equal(vmbus_ring_write(&f->tx, p, 8, &sig), 8);
	assert_true(sig);
	assert_int_equal(vmbus_ring_write(&f->tx, p, 8, &sig), 8);
	assert_false(sig);
	/* A consumer that has read only part of the data gets no signal either. */
	assert_int_equal(vmbus_ring_read(&f->rx, f->in, 4, f->buf, sizeof(f->buf), &sig), 4);
	assert_int_equal(vmbus_ring_write(&f->tx, p, 1, &sig), 1);
	assert_false(sig);
	assert_int_equal(recv_all(f, &sig), 13);

	/* Polling consumer (masked): never signalled. */
	vmbus_ring_intr_mask(&f->rx);
	for (int b = 0; b < 3; b++) {
		assert_int_equal(vmbus_ring_write(&f->tx, p, 8, &sig), 8);
		assert_false(sig);
		assert_int_equal(recv_all(f, &sig), 8);
	}
	/* Unmasking with a packet already there says "drain first". */
	assert_int_equal(vmbus_ring_write(&f->tx, p, 1, &sig), 1);
	assert_false(sig);
	assert_true(vmbus_ring_intr_unmask(&f->rx));
	assert_int_equal(recv_all(f, &sig), 1);
	assert_false(vmbus_ring_intr_unmask(&f->rx));
}

static void test_pending_send_size(void **state)
{
	struct fixture *f = *state;
	uint8_t payload[496];
	bool sig;

	memset(payload, 1, sizeof(payload));
	while (send1(f, payload, sizeof(payload), 0, &sig) == 1)
		;
	/* Full: the producer asks for room for two packets. */
	assert_false(vmbus_ring_want_space(&f->tx, 1024));
	assert_int_equal(f->tx.ctl->pending_send_sz, 1024);
	/* Freeing one packet (free 512 + 504 = 1016 < 1024) is not enough. */
	assert_int_equal(vmbus_ring_read(&f->rx, f->in, 1, f->buf, sizeof(f->buf), &sig), 1);
	assert_false(sig);
	/* The second crosses the threshold: exactly one signal. */
	assert_int_equal(vmbus_ring_read(&f->rx, f->in, 1, f->buf, sizeof(f->buf), &sig), 1);
	assert_true(sig);
	assert_int_equal(vmbus_ring_read(&f->rx, f->in, 1, f->buf, sizeof(f->buf), &sig), 1);
	assert_false(sig);
	/* Now the space is there: the request is withdrawn. */
	assert_true(vmbus_ring_want_space(&f->tx, 1024));
	assert_int_equal(f->tx.ctl->pending_send_sz, 0);
	assert_int_equal(send1(f, payload, sizeof(payload), 0, &sig), 1);
}

static void test_small_buffer(void **state)
{
	struct fixture *f = *state;
	uint8_t small[16];
	bool sig;

	assert_int_equal(send1(f, f->buf, 100, 5, &sig), 1);
	assert_int_equal(vmbus_ring_read(&f->rx, f->in, 4, small, sizeof(small), &sig), -ENOBUFS);
	assert_int_equal(f->in[0].len, 100);
	assert_int_equal(recv_all(f, &sig), 1);	/* nothing was consumed */
	assert_int_equal(f->in[0].trans_id, 5);
}

/* Writes a raw header at data offset 0 and publishes write_index = w. */
static void forge(struct fixture *f, struct vmbus_pkt_desc d, uint32_t w)
{
	memcpy((uint8_t *)f->mem + VMBUS_PAGE_SIZE, &d, sizeof(d));
	f->tx.ctl->write_index = w;
}

static void expect_broken(struct fixture *f, uint64_t bad_header, uint64_t bad_index)
{
	bool sig;

	assert_int_equal(recv_all(f, &sig), -EPROTO);
	assert_int_equal(f->rx.stats.bad_header, bad_header);
	assert_int_equal(f->rx.stats.bad_index, bad_index);
	/* Broken for good, and no further counting. */
	assert_int_equal(recv_all(f, &sig), -EPROTO);
	assert_int_equal(f->rx.stats.bad_header + f->rx.stats.bad_index, 1);
	assert_true(vmbus_ring_pending(&f->rx));
}

static void test_garbage_len_past_published(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 5 }, 32);
	expect_broken(f, 1, 0);
}

static void test_garbage_huge_len(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 0xffff }, 4000);
	expect_broken(f, 1, 0);
}

static void test_garbage_offset_in_header(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 1, .len8 = 4 }, 32);
	expect_broken(f, 1, 0);
}

static void test_garbage_offset_past_end(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 5, .len8 = 4 }, 32);
	expect_broken(f, 1, 0);
}

static void test_garbage_pad(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 3, .pad = 8 }, 24);
	expect_broken(f, 1, 0);
}

static void test_garbage_pad_past_payload(void **state)
{
	struct fixture *f = *state;

	/* pad larger than an empty payload */
	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 2, .pad = 1 }, 16);
	expect_broken(f, 1, 0);
}

static void test_garbage_short_tail(void **state)
{
	struct fixture *f = *state;

	/* 8 bytes published: not even a header. */
	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 2 }, 8);
	expect_broken(f, 1, 0);
}

static void test_garbage_misaligned_index(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 2 }, 20);
	expect_broken(f, 0, 1);
}

static void test_garbage_index_out_of_range(void **state)
{
	struct fixture *f = *state;

	forge(f, (struct vmbus_pkt_desc){ .type = 6, .offset8 = 2, .len8 = 2 }, DATA_SIZE);
	expect_broken(f, 0, 1);
}

static void test_good_packets_before_garbage(void **state)
{
	struct fixture *f = *state;
	struct vmbus_pkt_desc bad = { .type = 6, .offset8 = 2, .len8 = 200 };
	bool sig;

	assert_int_equal(send1(f, "hello", 5, 1, &sig), 1);
	assert_int_equal(send1(f, "world", 5, 2, &sig), 1);
	/* Append a lying header after the two good packets (48 bytes). */
	memcpy((uint8_t *)f->mem + VMBUS_PAGE_SIZE + 48, &bad, sizeof(bad));
	f->tx.ctl->write_index = 48 + 32;
	assert_int_equal(recv_all(f, &sig), 2);
	assert_memory_equal(f->in[1].data, "world", 5);
	assert_int_equal(f->rx.ctl->read_index, 48);	/* the good ones are released */
	expect_broken(f, 1, 0);
}

static void test_consumer_garbage_breaks_producer(void **state)
{
	struct fixture *f = *state;
	bool sig;

	f->rx.ctl->read_index = 13;
	assert_int_equal(send1(f, "x", 1, 0, &sig), -EPROTO);
	assert_int_equal(f->tx.stats.bad_index, 1);
	assert_int_equal(send1(f, "x", 1, 0, &sig), -EPROTO);
	assert_int_equal(f->tx.stats.bad_index, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_refuses_bad_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_send_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_padding_is_zeroed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_around, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_once_per_empty_to_nonempty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_send_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_len_past_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_huge_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_offset_in_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_offset_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_pad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_pad_past_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_short_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_misaligned_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_index_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_good_packets_before_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_garbage_breaks_producer, setup, teardown),
	};

	return cmocka_run_group_tests_name("hv/ring", tests, NULL, NULL);
}
