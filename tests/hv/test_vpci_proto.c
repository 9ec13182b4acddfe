/*
 * The vPCI wire constants and the shared protocol table (wire/vpci.h,
 * src/hv/vpci_proto.c): status values equal the Windows headers'
 * (include/ndis), the slot encoding, the version list, the message table
 * agrees with the structs, vpci_msg_check() refuses what it must, the
 * config-space range check survives wrap-around, and statuses map to the
 * right errno.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include <ndis/ndis.h>
#include <ndis/vpci.h>
#include "base/log.h"
#include "hv/vpci_proto.h"

static void test_status_values_match_windows(void **state)
{
	(void)state;
	assert_int_equal(VPCI_STATUS_SUCCESS, (uint32_t)STATUS_SUCCESS);
	assert_int_equal(VPCI_STATUS_UNSUCCESSFUL, (uint32_t)STATUS_UNSUCCESSFUL);
	assert_int_equal(VPCI_STATUS_UNSUCCESSFUL, (uint32_t)NDIS_STATUS_FAILURE);
	assert_int_equal(VPCI_STATUS_INVALID_PARAMETER, (uint32_t)STATUS_INVALID_PARAMETER);
	assert_int_equal(VPCI_STATUS_INVALID_PARAMETER, (uint32_t)NDIS_STATUS_INVALID_PARAMETER);
	assert_int_equal(VPCI_STATUS_NO_SUCH_DEVICE, (uint32_t)STATUS_NO_SUCH_DEVICE);
	assert_int_equal(VPCI_STATUS_INVALID_DEVICE_REQUEST, (uint32_t)STATUS_INVALID_DEVICE_REQUEST);
	assert_int_equal(VPCI_STATUS_NOT_SUPPORTED, (uint32_t)STATUS_NOT_SUPPORTED);
	assert_int_equal(VPCI_STATUS_NOT_SUPPORTED, (uint32_t)NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(VPCI_STATUS_INVALID_DEVICE_STATE, (uint32_t)STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(VPCI_STATUS_INVALID_BUFFER_SIZE, (uint32_t)STATUS_INVALID_BUFFER_SIZE);
	assert_int_equal(VPCI_STATUS_DEVICE_REMOVED, (uint32_t)STATUS_DEVICE_REMOVED);
	assert_int_equal(VPCI_STATUS_INVALID_LENGTH, (uint32_t)NDIS_STATUS_INVALID_LENGTH);
	/* ntstatus.h STATUS_REVISION_MISMATCH; not in include/ndis */
	assert_int_equal(VPCI_STATUS_REVISION_MISMATCH, 0xC0000059u);
	assert_true(VPCI_STATUS_OK(VPCI_STATUS_SUCCESS));
	assert_true(VPCI_STATUS_OK(STATUS_PENDING));
	assert_false(VPCI_STATUS_OK(STATUS_BUFFER_OVERFLOW));	/* a warning is no success */
	assert_false(VPCI_STATUS_OK(VPCI_STATUS_INVALID_PARAMETER));
}

static void test_limits_match_windows(void **state)
{
	VPCI_INVALIDATE_BLOCK_OUTPUT out;

	(void)state;
	assert_int_equal(VPCI_BLOCK_MAX, VPCI_MAX_READ_WRITE_BLOCK_SIZE);
	assert_int_equal(VPCI_INVALIDATE_BLOCKS, 8 * sizeof(out.BlockMask));
	assert_int_equal(VPCI_POWER_D0, 1);	/* NdisDeviceStateD0 */
	assert_int_equal(VPCI_POWER_D3, 4);	/* NdisDeviceStateD3 */
}

static void test_slot_encoding(void **state)
{
	(void)state;
	/* win_slot_encoding: device bits 0..4, function bits 5..7 */
	assert_int_equal(VPCI_SLOT(0, 0), 0);
	assert_int_equal(VPCI_SLOT(2, 0), 0x02);
	assert_int_equal(VPCI_SLOT(31, 7), 0xff);
	assert_int_equal(VPCI_SLOT(1, 1), 0x21);
	assert_int_equal(VPCI_SLOT_DEV(0x21), 1);
	assert_int_equal(VPCI_SLOT_FN(0x21), 1);
	assert_int_equal(VPCI_SLOT_DEV(VPCI_SLOT(17, 5)), 17);
	assert_int_equal(VPCI_SLOT_FN(VPCI_SLOT(17, 5)), 5);
	assert_true(VPCI_SLOT_VALID(0xff));
	assert_false(VPCI_SLOT_VALID(0x100));
	assert_false(VPCI_SLOT_VALID(0x80000000u));
}

static void test_versions(void **state)
{
	static const uint32_t versions[] = VPCI_PROTO_VERSIONS;

	(void)state;
	/* oldest first, strictly increasing, ending at the current one */
	for (size_t i = 1; i < sizeof(versions) / sizeof(versions[0]); i++)
		assert_true(versions[i] > versions[i - 1]);
	assert_int_equal(versions[sizeof(versions) / sizeof(versions[0]) - 1], VPCI_PROTO_CURRENT);
	assert_int_equal(VPCI_PROTO_V1_1, 0x00010001);
	assert_int_equal(VPCI_PROTO_V1_2, 0x00010002);
	assert_int_equal(VPCI_VERSION_MAJOR(VPCI_PROTO_V1_2), 1);
	assert_int_equal(VPCI_VERSION_MINOR(VPCI_PROTO_V1_2), 2);
	assert_true(vpci_version_known(VPCI_PROTO_V1_1));
	assert_true(vpci_version_known(VPCI_PROTO_V1_2));
	assert_false(vpci_version_known(VPCI_MAKE_VERSION(1, 3)));
	assert_false(vpci_version_known(0));
}

/* The table's sizes are the structs' sizes. */
static void test_table_matches_structs(void **state)
{
	static const struct {
		uint32_t type;
		uint32_t min, max;
		enum vpci_dir dir;
	} want[] = {
		{ VPCI_MSG_QUERY_PROTOCOL_VERSION, 16, 16, VPCI_TO_HOST },
		{ VPCI_MSG_BUS_D0ENTRY, 16, 16, VPCI_TO_HOST },
		{ VPCI_MSG_BUS_D0EXIT, 8, 8, VPCI_TO_HOST },
		{ VPCI_MSG_QUERY_BUS_RELATIONS, 8, 8, VPCI_TO_HOST },
		{ VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS, 16, 16, VPCI_TO_HOST },
		{ VPCI_MSG_QUERY_RESOURCES, 16, 16, VPCI_TO_HOST },
		{ VPCI_MSG_RESOURCES_ASSIGNED, 160, 160, VPCI_TO_HOST },
		{ VPCI_MSG_RESOURCES_RELEASED, 16, 16, VPCI_TO_HOST },
		{ VPCI_MSG_POWER_STATE_CHANGE, 24, 24, VPCI_TO_HOST },
		{ VPCI_MSG_READ_BLOCK, 24, 24, VPCI_TO_HOST },
		{ VPCI_MSG_WRITE_BLOCK, 24, 152, VPCI_TO_HOST },
		{ VPCI_MSG_EJECTION_COMPLETE, 16, 16, VPCI_TO_HOST },
		{ VPCI_MSG_CONFIG_READ, 24, 24, VPCI_TO_HOST },
		{ VPCI_MSG_CONFIG_WRITE, 24, 280, VPCI_TO_HOST },
		{ VPCI_MSG_BUS_RELATIONS, 16, 16 + 32 * 20, VPCI_TO_GUEST },
		{ VPCI_MSG_BUS_RELATIONS2, 16, 16 + 32 * 28, VPCI_TO_GUEST },
		{ VPCI_MSG_EJECT, 16, 16, VPCI_TO_GUEST },
		{ VPCI_MSG_INVALIDATE_BLOCK, 24, 24, VPCI_TO_GUEST },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct vpci_msg_info *mi = vpci_msg_info(want[i].type);

		assert_non_null(mi);
		assert_int_equal(mi->min_len, want[i].min);
		assert_int_equal(mi->max_len, want[i].max);
		assert_int_equal(mi->dir, want[i].dir);
		assert_string_equal(vpci_msg_name(want[i].type), mi->name);
	}
	assert_int_equal(vpci_msg_info(VPCI_MSG_READ_BLOCK)->resp_len,
			 sizeof(struct vpci_resp_read_block));
	assert_int_equal(vpci_msg_info(VPCI_MSG_CONFIG_READ)->resp_len,
			 sizeof(struct vpci_resp_config_read));
	assert_int_equal(vpci_msg_info(VPCI_MSG_QUERY_RESOURCES)->resp_len,
			 sizeof(struct vpci_resp_resources));
	assert_int_equal(vpci_msg_info(VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS)->resp_len,
			 sizeof(struct vpci_resp_probed_bars));
	assert_false(vpci_msg_info(VPCI_MSG_EJECTION_COMPLETE)->completion);
	assert_false(vpci_msg_info(VPCI_MSG_QUERY_BUS_RELATIONS)->completion);
	assert_int_equal(vpci_msg_info(VPCI_MSG_BUS_RELATIONS2)->min_version, VPCI_PROTO_V1_2);
	assert_int_equal(vpci_msg_info(VPCI_MSG_QUERY_PROTOCOL_VERSION)->min_version, 0);
	assert_null(vpci_msg_info(VPCI_MSG_BASE + 0x14));	/* interrupts: not modelled */
	assert_string_equal(vpci_msg_name(0), "unknown");
}

static int check(const void *m, uint32_t len, enum vpci_dir dir, uint32_t version,
		 enum vpci_refusal *why)
{
	const struct vpci_msg_info *mi;

	*why = VPCI_REFUSED_COUNT;
	return vpci_msg_check(m, len, dir, version, &mi, why);
}

static void test_msg_check(void **state)
{
	struct vpci_msg_config_write w = { .hdr = { .type = VPCI_MSG_CONFIG_WRITE } };
	struct vpci_msg_version v = { .hdr = { .type = VPCI_MSG_QUERY_PROTOCOL_VERSION } };
	struct vpci_msg_hdr rel = { .type = VPCI_MSG_BUS_RELATIONS2 };
	uint8_t big[400] = { 0 };
	enum vpci_refusal why;

	(void)state;
	assert_int_equal(check(&v, 7, VPCI_TO_HOST, 0, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_SHORT);
	assert_int_equal(check(&v, sizeof(v), VPCI_TO_HOST, 0, &why), 0);	/* before agreement */
	assert_int_equal(check(&v, sizeof(v), VPCI_TO_GUEST, 0, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_TYPE);	/* wrong direction */
	assert_int_equal(check(&v, sizeof(v) - 1, VPCI_TO_HOST, 0, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_SHORT);
	memcpy(big, &v, sizeof(v));
	assert_int_equal(check(big, sizeof(v) + 8, VPCI_TO_HOST, 0, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_LENGTH);
	/* CONFIG_WRITE: any length between header and full struct, but only once agreed */
	assert_int_equal(check(&w, 24, VPCI_TO_HOST, 0, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_VERSION);
	assert_int_equal(check(&w, 24, VPCI_TO_HOST, VPCI_PROTO_V1_1, &why), 0);
	assert_int_equal(check(&w, 100, VPCI_TO_HOST, VPCI_PROTO_V1_1, &why), 0);
	assert_int_equal(check(&w, sizeof(w), VPCI_TO_HOST, VPCI_PROTO_V1_1, &why), 0);
	memcpy(big, &w, sizeof(w));
	assert_int_equal(check(big, sizeof(w) + 1, VPCI_TO_HOST, VPCI_PROTO_V1_1, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_LENGTH);
	/* BUS_RELATIONS2 needs 1.2 */
	assert_int_equal(check(&rel, 16, VPCI_TO_GUEST, VPCI_PROTO_V1_1, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_VERSION);
	memset(big, 0, sizeof(big));
	memcpy(big, &rel, sizeof(rel));
	assert_int_equal(check(big, 16, VPCI_TO_GUEST, VPCI_PROTO_V1_2, &why), 0);
	/* unknown type */
	rel.type = VPCI_MSG_BASE + 0x7777;
	assert_int_equal(check(&rel, 8, VPCI_TO_GUEST, VPCI_PROTO_V1_2, &why), -EBADMSG);
	assert_int_equal(why, VPCI_REFUSED_TYPE);
}

static void test_cfg_range(void **state)
{
	(void)state;
	assert_true(vpci_cfg_range_ok(0, 1));
	assert_true(vpci_cfg_range_ok(0, VPCI_CFG_XFER_MAX));
	assert_true(vpci_cfg_range_ok(VPCI_CFG_SPACE_SIZE - 4, 4));
	assert_true(vpci_cfg_range_ok(VPCI_CFG_SPACE_SIZE - 1, 1));
	assert_false(vpci_cfg_range_ok(0, 0));
	assert_false(vpci_cfg_range_ok(0, VPCI_CFG_XFER_MAX + 1));
	assert_false(vpci_cfg_range_ok(VPCI_CFG_SPACE_SIZE - 4, 8));
	assert_false(vpci_cfg_range_ok(VPCI_CFG_SPACE_SIZE, 1));
	/* 0xfffffffc + 8 wraps to 4 in 32 bits */
	assert_false(vpci_cfg_range_ok(0xfffffffcu, 8));
	assert_false(vpci_cfg_range_ok(0xffffffffu, 1));
	assert_false(vpci_cfg_range_ok(0xffffffffu, 0xffffffffu));
}

static void test_status_errno(void **state)
{
	(void)state;
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_SUCCESS), 0);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_INVALID_PARAMETER), -EINVAL);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_INVALID_LENGTH), -EINVAL);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_INVALID_BUFFER_SIZE), -EINVAL);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_NO_SUCH_DEVICE), -ENODEV);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_DEVICE_REMOVED), -ENODEV);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_REVISION_MISMATCH), -EPROTONOSUPPORT);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_NOT_SUPPORTED), -EOPNOTSUPP);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_INVALID_DEVICE_STATE), -EBUSY);
	assert_int_equal(vpci_status_to_errno(VPCI_STATUS_UNSUCCESSFUL), -EIO);
	assert_int_equal(vpci_status_to_errno(0xC0FFEE00u), -EIO);
	for (int r = 0; r < VPCI_REFUSED_COUNT; r++) {
		assert_false(VPCI_STATUS_OK(vpci_refusal_status((enum vpci_refusal)r)));
		assert_string_not_equal(vpci_refusal_name((enum vpci_refusal)r), "?");
	}
	assert_string_equal(vpci_refusal_name(VPCI_REFUSED_COUNT), "?");
	assert_int_equal(vpci_refusal_status(VPCI_REFUSED_SHORT), VPCI_STATUS_INVALID_BUFFER_SIZE);
	assert_int_equal(vpci_refusal_status(VPCI_REFUSED_VERSION), VPCI_STATUS_REVISION_MISMATCH);
	assert_int_equal(vpci_refusal_status(VPCI_REFUSED_DEVICE), VPCI_STATUS_NO_SUCH_DEVICE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_values_match_windows),
		cmocka_unit_test(test_limits_match_windows),
		cmocka_unit_test(test_slot_encoding),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_table_matches_structs),
		cmocka_unit_test(test_msg_check),
		cmocka_unit_test(test_cfg_range),
		cmocka_unit_test(test_status_errno),
	};

	log_configure("*=none", NULL, 0);
	return cmocka_run_group_tests_name("hv/vpci_proto", tests, NULL, NULL);
}
