/*
 * The OID/status name tables: every value maps to the documented name, the
 * formatted form is the one logs and views print, unknown values are shown
 * as hex, reverse lookups work, and the tables are non-trivially populated
 * (they are generated from include/ndis).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include <ndis/ndis.h>
#include "ndis/names.h"

static void test_oid_names(void **state)
{
	char buf[96];

	(void)state;
	assert_string_equal(ndis_oid_name(OID_SRIOV_VF_SERIAL_NUMBER), "OID_SRIOV_VF_SERIAL_NUMBER");
	assert_string_equal(ndis_oid_name(0x00010251), "OID_SRIOV_READ_VF_CONFIG_SPACE");
	assert_string_equal(ndis_oid_name(0x00010245), "OID_NIC_SWITCH_ALLOCATE_VF");
	assert_string_equal(ndis_oid_name(0x00010230), "OID_RECEIVE_FILTER_MOVE_FILTER");
	assert_null(ndis_oid_name(0x7fff0001));
	assert_string_equal(ndis_oid_format(buf, sizeof(buf), OID_SRIOV_RESET_VF),
			    "OID_SRIOV_RESET_VF (0x00010255)");
	assert_string_equal(ndis_oid_format(buf, sizeof(buf), 0x7fff0001), "OID 0x7fff0001");
}

static void test_status_names(void **state)
{
	char buf[96];

	(void)state;
	/* The field report's status, both spellings. */
	assert_string_equal(ndis_status_name((uint32_t)NDIS_STATUS_NOT_SUPPORTED),
			    "NDIS_STATUS_NOT_SUPPORTED");
	assert_string_equal(ntstatus_name(0xc00000bbu), "STATUS_NOT_SUPPORTED");
	assert_string_equal(ndis_status_format(buf, sizeof(buf), 0xc00000bbu),
			    "NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)");
	assert_string_equal(ndis_status_name(0xc0010014u), "NDIS_STATUS_INVALID_LENGTH");
	assert_string_equal(ndis_status_name(0xc001001bu), "NDIS_STATUS_FILE_NOT_FOUND");
	assert_string_equal(ndis_status_name(0xc0230030u), "NDIS_STATUS_REINIT_REQUIRED");
	assert_string_equal(ndis_status_name(0), "NDIS_STATUS_SUCCESS");
	/* A status only NTSTATUS spells is still named by ndis_status_name. */
	assert_string_equal(ndis_status_name(0xc0000023u), "STATUS_BUFFER_TOO_SMALL");
	assert_null(ndis_status_name(0xc0123456u));
	assert_string_equal(ndis_status_format(buf, sizeof(buf), 0xc0123456u), "0xc0123456");
	assert_string_equal(ntstatus_format(buf, sizeof(buf), 0xc0000010u),
			    "STATUS_INVALID_DEVICE_REQUEST (0xc0000010)");
}

static void test_reverse(void **state)
{
	uint32_t v = 0;

	(void)state;
	assert_int_equal(ndis_oid_from_name("OID_SRIOV_PROBED_BARS", &v), 0);
	assert_int_equal(v, 0x00010258);
	assert_int_equal(ndis_status_from_name("NDIS_STATUS_INVALID_PARAMETER", &v), 0);
	assert_int_equal(v, 0xc000000du);
	assert_int_equal(ndis_status_from_name("STATUS_PENDING", &v), 0);
	assert_int_equal(v, 0x103);
	assert_int_equal(ndis_oid_from_name("OID_NOPE", &v), -ENOENT);
}

/* Every OID of the SR-IOV / NIC-switch / receive-filter table (spec 3.2). */
static const uint32_t spec_oids[] = {
	0x0001022E, 0x0001022F, 0x00010237, 0x00010238, 0x00010239, 0x00010240,
	0x00010241, 0x00010242, 0x00010243, 0x00010244, 0x00010245, 0x00010246,
	0x00010247, 0x00010248, 0x00010249, 0x00010250, 0x00010251, 0x00010252,
	0x00010253, 0x00010254, 0x00010255, 0x00010256, 0x00010257, 0x00010258,
	0x00010259, 0x00010260, 0x00010261, 0x00010262, 0x00010268, 0x00010269,
	0x00010221, 0x0001022D, 0x00010227, 0x00010228, 0x00010229, 0x0001022A,
	0x00010230, 0x00010203, 0x00010204,
};

static void test_counts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spec_oids) / sizeof(spec_oids[0]); i++)
		if (!ndis_oid_name(spec_oids[i]))
			fail_msg("OID 0x%08x from the spec has no name", spec_oids[i]);
	assert_true(ndis_names_oid_count() >= 80);
	assert_true(ndis_names_status_count() >= 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oid_names),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_counts),
	};
	return cmocka_run_group_tests_name("ndis/names", tests, NULL, NULL);
}
