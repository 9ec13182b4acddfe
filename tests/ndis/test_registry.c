/*
 * The per-adapter registry tree (src/ndis/registry.c): case-insensitive keys
 * and values, typed values, integer conversion the way NdisReadConfiguration
 * does it, replacement, deep copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "ndis/registry.h"

static void test_keys_and_values(void **state)
{
	struct ndis_reg_key *root = ndis_reg_create(), *k;
	const struct ndis_reg_value *v;

	(void)state;
	assert_null(ndis_reg_open(root, "Ndi\\params", 0));
	k = ndis_reg_open(root, "Ndi\\params\\*SRIOV", 1);
	assert_non_null(k);
	assert_string_equal(ndis_reg_key_name(k), "*SRIOV");
	assert_ptr_equal(ndis_reg_open(root, "ndi\\PARAMS\\*sriov", 0), k);
	assert_ptr_equal(ndis_reg_open(root, "", 0), root);
	assert_int_equal(ndis_reg_set_sz(k, "default", "1"), 0);
	assert_int_equal(ndis_reg_set_sz(k, "DEFAULT", "0"), 0);	/* replaces */
	v = ndis_reg_get(k, "Default");
	assert_non_null(v);
	assert_string_equal((const char *)v->data, "0");
	assert_non_null(ndis_reg_value_at(k, 0));
	assert_null(ndis_reg_value_at(k, 1));
	assert_non_null(ndis_reg_subkey_at(ndis_reg_open(root, "Ndi", 0), 0));
	ndis_reg_destroy(root);
	ndis_reg_destroy(NULL);
}

static void test_integer_conversion(void **state)
{
	struct ndis_reg_key *root = ndis_reg_create();
	uint32_t u = 0;

	(void)state;
	ndis_reg_set_sz(root, "dec", "42");
	ndis_reg_set_sz(root, "hex", "0x2A");
	ndis_reg_set_sz(root, "bare", "2a");
	ndis_reg_set_sz(root, "bad", "4x2");
	ndis_reg_set_sz(root, "huge", "4294967296");
	ndis_reg_set_dword(root, "dw", 7);
	ndis_reg_set_binary(root, "bin", "\x01", 1);
	assert_int_equal(ndis_reg_get_uint(root, "dec", 0, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(ndis_reg_get_uint(root, "hex", 0, &u), 0);
	assert_int_equal(u, 42);
	/* NdisParameterHexInteger reads bare digits as hex. */
	assert_int_equal(ndis_reg_get_uint(root, "bare", 1, &u), 0);
	assert_int_equal(u, 42);
	assert_int_equal(ndis_reg_get_uint(root, "bare", 0, &u), -EINVAL);
	assert_int_equal(ndis_reg_get_uint(root, "bad", 0, &u), -EINVAL);
	assert_int_equal(ndis_reg_get_uint(root, "huge", 0, &u), -EINVAL);
	assert_int_equal(ndis_reg_get_uint(root, "dw", 0, &u), 0);
	assert_int_equal(u, 7);
	assert_int_equal(ndis_reg_get_uint(root, "bin", 0, &u), -EINVAL);
	assert_int_equal(ndis_reg_get_uint(root, "absent", 0, &u), -ENOENT);
	ndis_reg_destroy(root);
}

static void test_clone_is_deep(void **state)
{
	struct ndis_reg_key *root = ndis_reg_create(), *copy;
	char buf[32];

	(void)state;
	ndis_reg_set_dword(ndis_reg_open(root, "NicSwitches\\0", 1), "*NumVFs", 8);
	ndis_reg_set_typed_sz(root, "multi", NDIS_REG_MULTI_SZ, "a\0b\0", 4);
	copy = ndis_reg_clone(root);
	assert_non_null(copy);
	ndis_reg_set_dword(ndis_reg_open(root, "NicSwitches\\0", 0), "*NumVFs", 2);
	assert_int_equal(ndis_reg_get(ndis_reg_open(copy, "NicSwitches\\0", 0), "*NumVFs")->dword, 8);
	assert_string_equal(ndis_reg_value_format(ndis_reg_get(copy, "multi"), buf, sizeof(buf)), "a,b");
	ndis_reg_destroy(root);
	ndis_reg_destroy(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_values),
		cmocka_unit_test(test_integer_conversion),
		cmocka_unit_test(test_clone_is_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
