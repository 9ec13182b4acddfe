/*
 * The OID path (src/ndis/oid.c): query, set and method requests reach the
 * miniport with their byte counts; NDIS answers OID_GEN_SUPPORTED_LIST and
 * refuses OIDs outside it with NDIS_STATUS_INVALID_OID without reaching the
 * miniport; one request at a time with the rest queued; pending and
 * NdisMOidRequestComplete; malformed requests, requests to a halted adapter;
 * a pending OID holds up a halt; every request is traced with names; and the
 * OID verifier rules (BytesNeeded, completed twice, never completed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fw_helpers.h"

static const struct ndis_issuer proto = { NDIS_ISSUER_OVERLYING, "TESTPROTO" };

struct done_log {
	unsigned calls;
	uint32_t status;
	NDIS_OID_REQUEST *req;
};

static void done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct done_log *d = ctx;

	d->calls++;
	d->status = status;
	d->req = req;
}

struct env {
	struct ndis_framework *fw;
	struct fake_control *c;
	struct bus_double bus;
	struct ndis_adapter *ad;
};

static void env_up(struct env *e, const char *driver, const char *dev)
{
	e->fw = test_framework(NDIS_PARTITION_PARENT);
	e->c = fake_control(driver);
	bus_double_init(&e->bus);
	{
		char id[64];
		snprintf(id, sizeof(id), HWID("%s"), dev);
		assert_int_equal(test_adapter(e->fw, "nic", id, &e->bus, NULL, &e->ad), 0);
	}
}

static void test_query_set_method(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[32];
	ULONG filter = NDIS_PACKET_TYPE_DIRECTED;
	uint32_t st = 0;
	const struct ndis_oid_record *rec;

	(void)state;
	env_up(&e, "fake_basic", "1000");
	test_trace_reset();
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(req.DATA.QUERY_INFORMATION.BytesWritten, 16);
	assert_string_equal(buf, "iovlab fake NIC");
	/* The trace names the OID, the status and the byte counts. */
	assert_non_null(strstr(test_trace(), "'nic' <- OID_GEN_VENDOR_DESCRIPTION (0x0001010d) query from TESTPROTO: "
					     "NDIS_STATUS_SUCCESS (0x00000000), written 16 read 0 needed 0 [fake_basic]"));
	/* Too short: INVALID_LENGTH with BytesNeeded. */
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, 4);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(req.DATA.QUERY_INFORMATION.BytesNeeded, 16);
	/* Set: BytesRead. */
	ndis_oid_init(&req, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(req.DATA.SET_INFORMATION.BytesRead, 4);
	/* Method: both counts. */
	ndis_oid_init(&req, NdisRequestMethod, OID_FAKE_ECHO, buf, 8);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(req.DATA.METHOD_INFORMATION.BytesRead, 8);
	assert_int_equal(req.DATA.METHOD_INFORMATION.BytesWritten, 8);
	assert_int_equal(e.c->oid_calls, 4);
	assert_int_equal(e.c->oid_types[3], NdisRequestMethod);
	rec = ndis_adapter_oid_record_at(e.ad, ndis_adapter_oid_record_count(e.ad) - 1);
	assert_int_equal(rec->oid, OID_FAKE_ECHO);
	assert_false(rec->by_ndis);
	assert_false(rec->pending);
	assert_string_equal(rec->issuer, "TESTPROTO");
	assert_int_equal(rec->bytes_written, 8);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_supported_list(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	NDIS_OID list[8];
	ULONG speed;
	uint32_t st;
	const struct ndis_oid_record *rec;

	(void)state;
	env_up(&e, "fake_basic", "1000");
	/* NDIS answers OID_GEN_SUPPORTED_LIST from the general attributes. */
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_SUPPORTED_LIST, list, 4);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(req.DATA.QUERY_INFORMATION.BytesNeeded, 16);
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_SUPPORTED_LIST, list, sizeof(list));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(req.DATA.QUERY_INFORMATION.BytesWritten, 16);
	assert_int_equal(list[3], OID_FAKE_ECHO);
	/* Not in the list: NDIS fails it without the miniport. */
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_LINK_SPEED, &speed, sizeof(speed));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_OID));
	assert_int_equal(e.c->oid_calls, 0);
	rec = ndis_adapter_oid_record_at(e.ad, ndis_adapter_oid_record_count(e.ad) - 1);
	assert_true(rec->by_ndis);
	assert_int_equal(rec->status, (uint32_t)NDIS_STATUS_INVALID_OID);
	/* The NDIS-only OIDs are refused for an overlying issuer. */
	ndis_oid_init(&req, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, list, sizeof(list));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_NOT_SUPPORTED));
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_SRIOV_PROBED_BARS, list, sizeof(list));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_int_equal(e.c->oid_calls, 0);
	ndis_framework_destroy(e.fw);
}

static void test_one_at_a_time(void **state)
{
	struct env e;
	NDIS_OID_REQUEST r1, r2, r3;
	char b1[16], b2[16];
	ULONG filter = 1;
	struct done_log d1 = { 0 }, d2 = { 0 }, d3 = { 0 };
	uint32_t st = 0xdead;

	(void)state;
	env_up(&e, "fake_basic", "1000");
	e.c->pend_oids = 1;
	ndis_oid_init(&r1, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, b1, sizeof(b1));
	ndis_oid_init(&r2, NdisRequestMethod, OID_FAKE_ECHO, b2, 4);
	ndis_oid_init(&r3, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &r1, done, &d1, &st), -EINPROGRESS);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &r2, done, &d2, &st), -EINPROGRESS);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &r3, done, &d3, &st), -EINPROGRESS);
	assert_int_equal(st, 0xdead);
	/* Only the first reached the miniport. */
	assert_int_equal(e.c->oid_calls, 1);
	assert_ptr_equal(e.c->pending, &r1);
	assert_true(ndis_adapter_oid_record_at(e.ad, ndis_adapter_oid_record_count(e.ad) - 1)->pending);
	fake_complete_pending("fake_basic", NDIS_STATUS_SUCCESS);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d1.status, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(r1.DATA.QUERY_INFORMATION.BytesWritten, 16);
	/* The next one went down and pended in turn. */
	assert_int_equal(e.c->oid_calls, 2);
	assert_ptr_equal(e.c->pending, &r2);
	assert_int_equal(d2.calls, 0);
	e.c->pend_oids = 0;
	fake_complete_pending("fake_basic", NDIS_STATUS_SUCCESS);
	/* r3 completes synchronously at the miniport, after r2. */
	assert_int_equal(d2.calls, 1);
	assert_int_equal(d3.calls, 1);
	assert_int_equal(d3.status, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(r3.DATA.SET_INFORMATION.BytesRead, 4);
	assert_int_equal(e.c->oid_calls, 3);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_malformed_and_not_ready(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[16];
	uint32_t st;

	(void)state;
	env_up(&e, "fake_basic", "1000");
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	req.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_PARAMETER));
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	req.Header.Size = 8;
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_PARAMETER));
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	req.Header.Revision = NDIS_OID_REQUEST_REVISION_2;	/* size still revision 1 */
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_PARAMETER));
	ndis_oid_init(&req, NdisRequestGeneric1, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(ndis_oid_request(e.ad, &proto, NULL, done, NULL, &st), -EINVAL);
	/* Paused still takes OIDs; halted does not. */
	assert_int_equal(ndis_adapter_pause(e.ad), 0);
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_ADAPTER_NOT_READY));
	assert_int_equal(e.c->oid_calls, 1);
	ndis_framework_destroy(e.fw);
}

static void test_halt_waits_for_pending_oid(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[16];
	struct done_log d = { 0 };
	uint32_t st;

	(void)state;
	env_up(&e, "fake_basic", "1000");
	e.c->pend_oids = 1;
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, &d, &st), -EINPROGRESS);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), -EINPROGRESS);
	assert_int_equal(ndis_adapter_state(e.ad), NDIS_ADAPTER_PAUSED);
	assert_int_equal(e.c->halt_calls, 0);
	fake_complete_pending("fake_basic", NDIS_STATUS_SUCCESS);
	assert_int_equal(d.calls, 1);
	assert_int_equal(ndis_adapter_state(e.ad), NDIS_ADAPTER_HALTED);
	assert_int_equal(e.c->halt_calls, 1);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_teardown_cancels_pending_oid(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[16];
	struct done_log d = { 0 };
	uint32_t st;

	(void)state;
	env_up(&e, "fake_basic", "1000");
	e.c->pend_oids = 1;
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, &d, &st), -EINPROGRESS);
	/* Teardown asks MiniportCancelOidRequest; a clean miniport completes it. */
	ndis_adapter_destroy(e.ad);
	assert_int_equal(e.c->cancel_oid_calls, 1);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, ST(NDIS_STATUS_REQUEST_ABORTED));
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_bytes_needed_rule(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[4];
	uint32_t st;
	const struct ndis_finding *f;

	(void)state;
	env_up(&e, "mut_oid_needed", "2031");
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(ndis_framework_finding_count(e.fw), 1);
	f = ndis_framework_finding_at(e.fw, 0);
	assert_string_equal(f->id, "NDIS-OID-BYTES-NEEDED");
	assert_string_equal(f->driver, "mut_oid_needed");
	assert_non_null(strstr(f->evidence, "OID_GEN_VENDOR_DESCRIPTION (0x0001010d) query completed with "
					    "NDIS_STATUS_INVALID_LENGTH (0xc0010014) and BytesNeeded 0 (buffer 4 bytes)"));
	ndis_framework_destroy(e.fw);
}

static void test_complete_twice_rule(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[16];
	struct done_log d = { 0 };
	uint32_t st;

	(void)state;
	env_up(&e, "mut_oid_twice", "2032");
	/* Returned a status and also completed it. */
	ndis_oid_init(&req, NdisRequestMethod, OID_FAKE_ECHO, buf, 4);
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, &d, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(ndis_framework_findings_of(e.fw, NDIS_RULE_OID_COMPLETE_TWICE), 1);
	assert_non_null(strstr(ndis_framework_finding_at(e.fw, 0)->evidence, "also called NdisMOidRequestComplete"));
	/* Pended, then NdisMOidRequestComplete twice: the issuer hears once. */
	e.c->pend_oids = 1;
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, &d, &st), -EINPROGRESS);
	fake_complete_pending("mut_oid_twice", NDIS_STATUS_SUCCESS);
	assert_int_equal(d.calls, 1);
	assert_int_equal(ndis_framework_findings_of(e.fw, NDIS_RULE_OID_COMPLETE_TWICE), 2);
	assert_non_null(strstr(ndis_framework_finding_at(e.fw, 1)->evidence, "not pending at the miniport"));
	assert_int_equal(ndis_framework_finding_count(e.fw), 2);
	ndis_framework_destroy(e.fw);
}

static void test_never_completed_rule(void **state)
{
	struct env e;
	NDIS_OID_REQUEST req;
	char buf[16];
	struct done_log d = { 0 };
	uint32_t st;
	const struct ndis_finding *f;

	(void)state;
	env_up(&e, "mut_oid_never", "2033");
	e.c->pend_oids = 1;
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(e.ad, &proto, &req, done, &d, &st), -EINPROGRESS);
	fake_complete_pending("mut_oid_never", NDIS_STATUS_SUCCESS);	/* forgotten */
	assert_int_equal(d.calls, 0);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), -EINPROGRESS);
	ndis_adapter_destroy(e.ad);
	/* Reported, and the issuer is released with REQUEST_ABORTED. */
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, ST(NDIS_STATUS_REQUEST_ABORTED));
	assert_int_equal(e.c->cancel_oid_calls, 1);
	assert_int_equal(e.c->halt_calls, 1);
	assert_int_equal(ndis_framework_finding_count(e.fw), 1);
	f = ndis_framework_finding_at(e.fw, 0);
	assert_string_equal(f->id, "NDIS-OID-NEVER-COMPLETED");
	assert_non_null(strstr(f->evidence, "OID_GEN_VENDOR_DESCRIPTION (0x0001010d) query from TESTPROTO"));
	ndis_framework_destroy(e.fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_set_method),
		cmocka_unit_test(test_supported_list),
		cmocka_unit_test(test_one_at_a_time),
		cmocka_unit_test(test_malformed_and_not_ready),
		cmocka_unit_test(test_halt_waits_for_pending_oid),
		cmocka_unit_test(test_teardown_cancels_pending_oid),
		cmocka_unit_test(test_bytes_needed_rule),
		cmocka_unit_test(test_complete_twice_rule),
		cmocka_unit_test(test_never_completed_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
