/*
 * Tests for src/base/log.c: the spec grammar (each rule and each illegal
 * input), topic matching precedence, and the exact WPP-style line format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

static int reset(void **state)
{
	(void)state;
	assert_int_equal(log_configure("*=info", NULL, 0), 0);
	/* Forget per-topic rules from earlier tests by overriding them. */
	return 0;
}

static void test_default_info(void **state)
{
	(void)state;
	assert_int_equal(log_topic_level("lab.pcie"), LOG_INFO);
	assert_true(log_enabled("lab.pcie", LOG_WARN));
	assert_false(log_enabled("lab.pcie", LOG_DEBUG));
}

static void test_bare_level_is_star(void **state)
{
	(void)state;
	assert_int_equal(log_configure("debug", NULL, 0), 0);
	assert_int_equal(log_topic_level("any.topic"), LOG_DEBUG);
}

static void test_prefix_rule_and_precedence(void **state)
{
	(void)state;
	assert_int_equal(log_configure("*=warn,lab.hv.*=debug,lab.hv.vmbus=trace", NULL, 0), 0);
	assert_int_equal(log_topic_level("lab.hv"), LOG_DEBUG);	/* a.b.* covers a.b */
	assert_int_equal(log_topic_level("lab.hv.vpci"), LOG_DEBUG);
	assert_int_equal(log_topic_level("lab.hv.vmbus"), LOG_TRACE);	/* exact beats prefix */
	assert_int_equal(log_topic_level("lab.hvx"), LOG_WARN);	/* not a child of lab.hv */
	assert_int_equal(log_topic_level("drv.srnic_pf"), LOG_WARN);
	/* Same pattern again replaces, it does not stack. */
	assert_int_equal(log_configure("lab.hv.*=error", NULL, 0), 0);
	assert_int_equal(log_topic_level("lab.hv.vpci"), LOG_ERROR);
	assert_int_equal(log_configure("lab.hv.*=none", NULL, 0), 0);
	assert_false(log_enabled("lab.hv.vpci", LOG_ERROR));
}

static void expect_bad(const char *spec, const char *needle)
{
	char err[160] = "";

	assert_int_equal(log_configure("*=info", NULL, 0), 0);
	assert_int_equal(log_configure(spec, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("spec '%s': error '%s' lacks '%s'", spec, err, needle);
	/* Nothing changed. */
	assert_int_equal(log_topic_level("lab.x"), LOG_INFO);
}

static void test_illegal_specs(void **state)
{
	(void)state;
	expect_bad("lab.x=loud", "unknown level 'loud'");
	expect_bad("=debug", "bad topic pattern");
	expect_bad("lab.*.x=debug", "bad topic pattern");
	expect_bad(".lab=debug", "bad topic pattern");
	expect_bad("lab x=debug", "bad topic pattern");
	expect_bad("lab.x=debug,", "trailing comma");
	expect_bad("lab.x=debug,,warn", "column 13: empty item");
	expect_bad("*=debug,lab.x=", "column 15: unknown level ''");
	assert_int_equal(log_configure(NULL, NULL, 0), -EINVAL);
}

static void test_too_many_rules(void **state)
{
	char spec[2048] = "";
	char err[160];

	(void)state;
	for (int i = 0; i < 40; i++) {
		char item[32];
		snprintf(item, sizeof(item), "%st%d=debug", i ? "," : "", i);
		strcat(spec, item);
	}
	assert_int_equal(log_configure(spec, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than 32 rules"));
}

static void test_line_format(void **state)
{
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_non_null(f);
	log_set_stream(f);
	log_set_fixed_clock(1763733339LL, 998);	/* 2025-11-21 13:55:39 UTC */
	log_info("drv.srnic_pf", "MPInitializeEx: NumVFs %u", 8u);
	log_error("lab.pcie", "bad BAR 0x%x", 0x10u);
	log_debug("lab.pcie", "not shown at info");
	fclose(f);
	log_set_stream(NULL);
	log_set_fixed_clock(-1, 0);
	assert_string_equal(buf,
		"[0]0000.0000::11/21/2025-13:55:39.998 [drv.srnic_pf]MPInitializeEx: NumVFs 8\n"
		"[0]0000.0000::11/21/2025-13:55:39.998 [lab.pcie]ERROR: bad BAR 0x10\n");
}

static void test_level_names(void **state)
{
	(void)state;
	assert_string_equal(log_level_name(LOG_TRACE), "trace");
	assert_string_equal(log_level_name((enum log_level)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_default_info, reset),
		cmocka_unit_test_setup(test_bare_level_is_star, reset),
		cmocka_unit_test_setup(test_prefix_rule_and_precedence, reset),
		cmocka_unit_test_setup(test_illegal_specs, reset),
		cmocka_unit_test_setup(test_too_many_rules, reset),
		cmocka_unit_test_setup(test_line_format, reset),
		cmocka_unit_test_setup(test_level_names, reset),
	};
	return cmocka_run_group_tests_name("base/log", tests, NULL, NULL);
}
