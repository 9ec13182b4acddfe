/*
 * The vPCI function and bus state machines (src/hv/vpci_proto.c): every
 * legal transition is walked through the checked setter and every illegal
 * one is refused without changing the state. The same transitions driven
 * by real protocol messages are in test_vpci_local.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "hv/vpci_proto.h"

#define D(x) VPCI_DEV_##x
#define B(x) VPCI_BUS_##x

/* The legal transitions, written out independently of vpci_proto.c's tables. */
static const struct {
	enum vpci_dev_state from, to;
} dev_legal[] = {
	{ D(PENDING), D(REPORTED) }, { D(PENDING), D(REMOVED) },
	{ D(REPORTED), D(ASSIGNED) }, { D(REPORTED), D(EJECTING) }, { D(REPORTED), D(PENDING) },
	{ D(REPORTED), D(REMOVED) },
	{ D(ASSIGNED), D(ACTIVE) }, { D(ASSIGNED), D(REPORTED) }, { D(ASSIGNED), D(EJECTING) },
	{ D(ASSIGNED), D(PENDING) }, { D(ASSIGNED), D(REMOVED) },
	{ D(ACTIVE), D(ASSIGNED) }, { D(ACTIVE), D(EJECTING) }, { D(ACTIVE), D(PENDING) },
	{ D(ACTIVE), D(REMOVED) },
	{ D(EJECTING), D(REMOVED) },
};

static const struct {
	enum vpci_bus_state from, to;
} bus_legal[] = {
	{ B(CLOSED), B(OPEN) }, { B(CLOSED), B(GONE) },
	{ B(OPEN), B(NEGOTIATED) }, { B(OPEN), B(CLOSED) }, { B(OPEN), B(GONE) },
	{ B(NEGOTIATED), B(D0) }, { B(NEGOTIATED), B(CLOSED) }, { B(NEGOTIATED), B(GONE) },
	{ B(D0), B(NEGOTIATED) }, { B(D0), B(CLOSED) }, { B(D0), B(GONE) },
};

static bool dev_is_legal(int from, int to)
{
	for (size_t i = 0; i < sizeof(dev_legal) / sizeof(dev_legal[0]); i++)
		if ((int)dev_legal[i].from == from && (int)dev_legal[i].to == to)
			return true;
	return false;
}

static bool bus_is_legal(int from, int to)
{
	for (size_t i = 0; i < sizeof(bus_legal) / sizeof(bus_legal[0]); i++)
		if ((int)bus_legal[i].from == from && (int)bus_legal[i].to == to)
			return true;
	return false;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vpci_dev_state_name(D(PENDING)), "pending");
	assert_string_equal(vpci_dev_state_name(D(REPORTED)), "reported");
	assert_string_equal(vpci_dev_state_name(D(ASSIGNED)), "assigned");
	assert_string_equal(vpci_dev_state_name(D(ACTIVE)), "active");
	assert_string_equal(vpci_dev_state_name(D(EJECTING)), "ejecting");
	assert_string_equal(vpci_dev_state_name(D(REMOVED)), "removed");
	assert_string_equal(vpci_dev_state_name(D(STATE_COUNT)), "?");
	assert_string_equal(vpci_bus_state_name(B(CLOSED)), "closed");
	assert_string_equal(vpci_bus_state_name(B(OPEN)), "open");
	assert_string_equal(vpci_bus_state_name(B(NEGOTIATED)), "negotiated");
	assert_string_equal(vpci_bus_state_name(B(D0)), "d0");
	assert_string_equal(vpci_bus_state_name(B(GONE)), "gone");
	assert_string_equal(vpci_bus_state_name(B(STATE_COUNT)), "?");
}

static void test_dev_every_pair(void **state)
{
	int seen = 0;

	(void)state;
	for (int from = 0; from < D(STATE_COUNT); from++) {
		for (int to = 0; to < D(STATE_COUNT); to++) {
			enum vpci_dev_state s = (enum vpci_dev_state)from;
			int rc = vpci__dev_set_state(&s, (enum vpci_dev_state)to, "test fn");

			assert_int_equal(vpci_dev_legal(from, to), dev_is_legal(from, to));
			if (dev_is_legal(from, to)) {
				assert_int_equal(rc, 0);
				assert_int_equal(s, to);
				seen++;
			} else {
				assert_int_equal(rc, -EINVAL);
				assert_int_equal(s, from);
			}
		}
	}
	assert_int_equal(seen, sizeof(dev_legal) / sizeof(dev_legal[0]));
}

static void test_bus_every_pair(void **state)
{
	int seen = 0;

	(void)state;
	for (int from = 0; from < B(STATE_COUNT); from++) {
		for (int to = 0; to < B(STATE_COUNT); to++) {
			enum vpci_bus_state s = (enum vpci_bus_state)from;
			int rc = vpci__bus_set_state(&s, (enum vpci_bus_state)to, "test bus");

			assert_int_equal(vpci_bus_legal(from, to), bus_is_legal(from, to));
			if (bus_is_legal(from, to)) {
				assert_int_equal(rc, 0);
				assert_int_equal(s, to);
				seen++;
			} else {
				assert_int_equal(rc, -EINVAL);
				assert_int_equal(s, from);
			}
		}
	}
	assert_int_equal(seen, sizeof(bus_legal) / sizeof(bus_legal[0]));
}

/* A function's life as the host sees it, then the guest's shorter one. */
static void test_life_cycle_walks(void **state)
{
	static const enum vpci_dev_state host_walk[] = {
		D(REPORTED), D(ASSIGNED), D(ACTIVE), D(ASSIGNED), D(REPORTED), D(PENDING),
		D(REPORTED), D(ASSIGNED), D(ACTIVE), D(PENDING), D(REPORTED), D(EJECTING),
		D(REMOVED),
	};
	static const enum vpci_dev_state guest_walk[] = {
		D(ASSIGNED), D(ACTIVE), D(EJECTING), D(REMOVED),
	};
	enum vpci_dev_state s = D(PENDING);
	enum vpci_bus_state b = B(CLOSED);

	(void)state;
	for (size_t i = 0; i < sizeof(host_walk) / sizeof(host_walk[0]); i++)
		assert_int_equal(vpci__dev_set_state(&s, host_walk[i], "host fn"), 0);
	/* removed is final */
	for (int to = 0; to < D(STATE_COUNT); to++)
		assert_int_equal(vpci__dev_set_state(&s, (enum vpci_dev_state)to, "host fn"), -EINVAL);
	s = D(REPORTED);
	for (size_t i = 0; i < sizeof(guest_walk) / sizeof(guest_walk[0]); i++)
		assert_int_equal(vpci__dev_set_state(&s, guest_walk[i], "guest fn"), 0);
	/* ejecting only ends in removed: no way back to active */
	s = D(EJECTING);
	assert_int_equal(vpci__dev_set_state(&s, D(ACTIVE), "guest fn"), -EINVAL);
	/* out-of-range states are refused too */
	assert_false(vpci_dev_legal(D(PENDING), D(STATE_COUNT)));
	assert_false(vpci_dev_legal(D(STATE_COUNT), D(PENDING)));

	assert_int_equal(vpci__bus_set_state(&b, B(OPEN), "bus"), 0);
	assert_int_equal(vpci__bus_set_state(&b, B(NEGOTIATED), "bus"), 0);
	assert_int_equal(vpci__bus_set_state(&b, B(D0), "bus"), 0);
	assert_int_equal(vpci__bus_set_state(&b, B(NEGOTIATED), "bus"), 0);
	assert_int_equal(vpci__bus_set_state(&b, B(CLOSED), "bus"), 0);
	assert_int_equal(vpci__bus_set_state(&b, B(OPEN), "bus"), 0);
	assert_int_equal(vpci__bus_set_state(&b, B(GONE), "bus"), 0);
	for (int to = 0; to < B(STATE_COUNT); to++)
		assert_int_equal(vpci__bus_set_state(&b, (enum vpci_bus_state)to, "bus"), -EINVAL);
	assert_false(vpci_bus_legal(B(STATE_COUNT), B(OPEN)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dev_every_pair),
		cmocka_unit_test(test_bus_every_pair),
		cmocka_unit_test(test_life_cycle_walks),
	};

	log_configure("*=none", NULL, 0);	/* the refusals would be noise */
	return cmocka_run_group_tests_name("hv/vpci_state", tests, NULL, NULL);
}
