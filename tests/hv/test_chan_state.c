/*
 * The VMBus channel state machine (src/hv/channel.c): every legal
 * transition is walked through the one checked setter, and every illegal
 * one is refused without changing the state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "hv/vmbus_priv.h"

#define S(x) VMBUS_CHAN_##x

/* The legal transitions, written out independently of channel.c's table. */
static const struct {
	enum vmbus_chan_state from, to;
} legal[] = {
	{ S(OFFERED), S(OPENING) }, { S(OFFERED), S(RESCINDED) },
	{ S(OPENING), S(OPEN) }, { S(OPENING), S(OFFERED) }, { S(OPENING), S(RESCINDED) },
	{ S(OPEN), S(CLOSING) }, { S(OPEN), S(BROKEN) }, { S(OPEN), S(RESCINDED) },
	{ S(BROKEN), S(CLOSING) }, { S(BROKEN), S(RESCINDED) },
	{ S(CLOSING), S(CLOSED) }, { S(CLOSING), S(RESCINDED) },
	{ S(CLOSED), S(OPENING) }, { S(CLOSED), S(RESCINDED) },
};

static bool is_legal(enum vmbus_chan_state from, enum vmbus_chan_state to)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		if (legal[i].from == from && legal[i].to == to)
			return true;
	return false;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vmbus_chan_state_name(S(OFFERED)), "offered");
	assert_string_equal(vmbus_chan_state_name(S(OPENING)), "opening");
	assert_string_equal(vmbus_chan_state_name(S(OPEN)), "open");
	assert_string_equal(vmbus_chan_state_name(S(BROKEN)), "broken");
	assert_string_equal(vmbus_chan_state_name(S(CLOSING)), "closing");
	assert_string_equal(vmbus_chan_state_name(S(CLOSED)), "closed");
	assert_string_equal(vmbus_chan_state_name(S(RESCINDED)), "rescinded");
	assert_string_equal(vmbus_chan_state_name(S(STATE_COUNT)), "?");
	assert_string_equal(vmbus_chan_event_name(VMBUS_CHAN_EV_RESCINDED), "rescinded");
}

static void test_every_pair(void **state)
{
	int legal_seen = 0;

	(void)state;
	log_configure("lab.hv.vmbus=none", NULL, 0);	/* 35 refusals would be noise */
	for (int from = 0; from < S(STATE_COUNT); from++) {
		for (int to = 0; to < S(STATE_COUNT); to++) {
			struct vmbus_channel *ch = vmbus_chan__create(VMBUS_SIDE_HOST, 1);
			int rc;

			assert_non_null(ch);
			ch->state = (enum vmbus_chan_state)from;	/* place it */
			rc = vmbus_chan__set_state(ch, (enum vmbus_chan_state)to);
			if (is_legal(from, to)) {
				assert_int_equal(rc, 0);
				assert_int_equal(ch->state, to);
				legal_seen++;
			} else {
				assert_int_equal(rc, -EINVAL);
				assert_int_equal(ch->state, from);
			}
			vmbus_chan__destroy(ch);
		}
	}
	assert_int_equal(legal_seen, sizeof(legal) / sizeof(legal[0]));
	log_configure("*=info", NULL, 0);
}

static void test_life_cycle_walk(void **state)
{
	struct vmbus_channel *ch = vmbus_chan__create(VMBUS_SIDE_GUEST, 3);
	static const enum vmbus_chan_state walk[] = {
		S(OPENING), S(OFFERED), S(OPENING), S(OPEN), S(CLOSING), S(CLOSED),
		S(OPENING), S(OPEN), S(BROKEN), S(CLOSING), S(CLOSED), S(RESCINDED),
	};

	(void)state;
	assert_int_equal(ch->state, S(OFFERED));
	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++)
		assert_int_equal(vmbus_chan__set_state(ch, walk[i]), 0);
	/* rescinded is final */
	for (int to = 0; to < S(STATE_COUNT); to++)
		assert_int_equal(vmbus_chan__set_state(ch, (enum vmbus_chan_state)to), -EINVAL);
	/* out-of-range targets are refused too */
	assert_false(vmbus_chan__legal(S(OFFERED), S(STATE_COUNT)));
	assert_false(vmbus_chan__legal(S(STATE_COUNT), S(OFFERED)));
	vmbus_chan__destroy(ch);
	vmbus_chan__destroy(NULL);
}

static void test_data_path_needs_open(void **state)
{
	struct vmbus_channel *ch = vmbus_chan__create(VMBUS_SIDE_HOST, 2);
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = "x", .len = 1 };
	struct vmbus_pkt_in in;
	char buf[8];

	(void)state;
	assert_int_equal(vmbus_chan_send(ch, &p, 1), -ENOTCONN);
	assert_int_equal(vmbus_chan_recv(ch, &in, 1, buf, sizeof(buf)), -ENOTCONN);
	assert_int_equal(vmbus_chan_wait(ch, 0), -ENOTCONN);
	assert_int_equal(vmbus_chan_wait_spin(ch, 5), -ENOTCONN);	/* no spinning on a closed channel */
	ch->state = S(BROKEN);
	assert_int_equal(vmbus_chan_send(ch, &p, 1), -EPROTO);
	ch->state = S(RESCINDED);
	assert_int_equal(vmbus_chan_send(ch, &p, 1), -ENODEV);
	assert_int_equal(vmbus_chan_wait_space(ch, 8, 0), -ENODEV);
	assert_int_equal(vmbus_chan_wait_spin(ch, 5), -ENODEV);
	vmbus_chan__destroy(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_life_cycle_walk),
		cmocka_unit_test(test_data_path_needs_open),
	};

	return cmocka_run_group_tests_name("hv/chan_state", tests, NULL, NULL);
}
