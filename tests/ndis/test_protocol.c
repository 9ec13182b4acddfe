/*
 * Protocols and bindings (src/ndis/protocol.c, api_protocol.c): a protocol
 * package loads and registers; NDIS offers bindings by binding interface
 * (LowerRange "ndis5" meets ndis5 miniports only, "ndisvf" meets VF miniports
 * only), with the adapter's SR-IOV state in the bind parameters; a protocol
 * declines and NDIS keeps the status ("Declined with
 * NDIS_STATUS_NOT_SUPPORTED" when the VF serial number is unavailable --
 * the field report end to end); pending bind and unbind; PnP events and
 * status indications reach bindings; NdisOidRequest from a binding, sync and
 * pending; unload unbinds.
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

struct env {
	struct ndis_framework *host, *guest;
	struct bus_double pf_bus, basic_bus, vf_bus;
	struct vpci_double vpci;
	struct ndis_adapter *pf, *basic, *vf;
};

static void env_up(struct env *e, bool vpci_answers)
{
	fake_control("fake_pf");
	fake_control("fake_basic");
	fake_control("fake_vf");
	e->host = test_framework(NDIS_PARTITION_PARENT);
	e->guest = test_framework(NDIS_PARTITION_CHILD);
	bus_double_init(&e->pf_bus);
	bus_double_init(&e->basic_bus);
	bus_double_init(&e->vf_bus);
	vpci_double_init(&e->vpci, 0xabc);
	e->vpci.answers = vpci_answers;
	assert_int_equal(test_adapter(e->host, "pf", HWID("10ED"), &e->pf_bus, NULL, &e->pf), 0);
	assert_int_equal(test_adapter(e->guest, "basic", HWID("1000"), &e->basic_bus, NULL, &e->basic), 0);
	assert_int_equal(test_adapter(e->guest, "vf", HWID("10EF"), &e->vf_bus, &e->vpci, &e->vf), 0);
}

static void env_down(struct env *e)
{
	ndis_framework_destroy(e->guest);
	ndis_framework_destroy(e->host);
}

static void binding(struct ndis_adapter *ad, size_t i, const char *proto, enum ndis_binding_state state)
{
	struct ndis_binding_info b;

	assert_int_equal(ndis_adapter_binding_at(ad, i, &b), 0);
	assert_string_equal(b.protocol, proto);
	assert_string_equal(b.adapter, ndis_adapter_name(ad));
	if (b.state != state)
		fail_msg("binding %s -> %s is %s, want %s", proto, ndis_adapter_name(ad), ndis_binding_state_name(b.state),
			 ndis_binding_state_name(state));
}

static void test_bindings_follow_interfaces(void **state)
{
	struct env e;
	struct fake_proto_control *plain = fake_proto("fake_proto"), *edge = fake_proto("fake_proto_vf");
	struct ndis_protocol *p1, *p2, *p3;
	char buf[96];
	struct ndis_binding_info bi;

	(void)state;
	env_up(&e, true);
	assert_int_equal(ndis_protocol_load(e.guest, "IOVLAB_FAKEPROTO", &p1), 0);
	assert_string_equal(ndis_protocol_name(p1), "FAKEPROTO");
	assert_int_equal(ndis_protocol_load(e.guest, "iovlab_netvscvf", &p2), 0);
	assert_string_equal(ndis_protocol_name(p2), "NETVSCVF");
	/* ndis5 protocol: the ndis5 miniport only. ndisvf edge: the VF only. */
	assert_int_equal(ndis_adapter_binding_count(e.basic), 1);
	binding(e.basic, 0, "FAKEPROTO", NDIS_BINDING_BOUND);
	assert_int_equal(ndis_adapter_binding_count(e.vf), 1);
	binding(e.vf, 0, "NETVSCVF", NDIS_BINDING_BOUND);
	assert_int_equal(plain->binds, 1);
	assert_int_equal(edge->binds, 1);
	/* The VF edge matched the serial number NDIS answered. */
	assert_int_equal(edge->serial_status, NDIS_STATUS_SUCCESS);
	assert_int_equal(edge->serial, 0xabc);
	assert_int_equal(edge->bound_sriov_caps, 0x5);
	assert_int_equal(plain->bound_mac_length, 6);
	/* Binding happened on a paused stack; the adapter is running again. */
	assert_int_equal(ndis_adapter_state(e.vf), NDIS_ADAPTER_RUNNING);
	assert_int_equal(edge->last_pnp, NetEventRestart);
	assert_int_equal(ndis_adapter_binding_at(e.vf, 0, &bi), 0);
	assert_string_equal(ndis_binding_describe(&bi, buf, sizeof(buf)), "Bound");
	assert_int_equal(ndis_adapter_binding_at(e.vf, 1, &bi), -ENOENT);
	/* In the parent, the PF's bind parameters carry the created switch. */
	assert_int_equal(ndis_protocol_load(e.host, "IOVLAB_FAKEPROTO", &p3), 0);
	binding(e.pf, 0, "FAKEPROTO", NDIS_BINDING_BOUND);
	assert_int_equal(plain->bound_sriov_caps, 0x3);
	assert_int_equal(plain->bound_switches, 1);
	assert_int_equal(ndis_framework_finding_count(e.host) + ndis_framework_finding_count(e.guest), 0);
	env_down(&e);
}

static void test_vf_binding_declined_without_serial(void **state)
{
	struct env e;
	struct fake_proto_control *edge = fake_proto("fake_proto_vf");
	struct ndis_protocol *p;
	struct ndis_binding_info bi;
	char buf[96];

	(void)state;
	/* A VBD that does not forward GUID_VPCI_INTERFACE_STANDARD (F22). */
	env_up(&e, false);
	test_trace_reset();
	assert_int_equal(ndis_protocol_load(e.guest, "IOVLAB_NETVSCVF", &p), 0);
	assert_int_equal(edge->serial_status, NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(edge->closes, 1);
	assert_int_equal(ndis_adapter_binding_count(e.vf), 1);
	assert_int_equal(ndis_adapter_binding_at(e.vf, 0, &bi), 0);
	assert_int_equal(bi.state, NDIS_BINDING_DECLINED);
	assert_int_equal(bi.status, ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_string_equal(ndis_binding_describe(&bi, buf, sizeof(buf)), "Declined with NDIS_STATUS_NOT_SUPPORTED");
	assert_non_null(strstr(test_trace(), "ndisOidPreIovVfSerialNumber"));
	assert_non_null(strstr(test_trace(), "binding NETVSCVF -> 'vf': Declined with NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)"));
	/* Declining is not a driver bug. */
	assert_int_equal(ndis_framework_finding_count(e.guest), 0);
	env_down(&e);
}

static void test_protocol_loaded_first_binds_at_initialization(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_CHILD);
	struct fake_proto_control *plain = fake_proto("fake_proto");
	struct ndis_protocol *p;
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	fake_control("fake_basic");
	assert_int_equal(ndis_protocol_load(fw, "IOVLAB_FAKEPROTO", &p), 0);
	assert_int_equal(plain->binds, 0);
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "basic", HWID("1000"), &bus, NULL, &ad), 0);
	binding(ad, 0, "FAKEPROTO", NDIS_BINDING_BOUND);
	assert_int_equal(plain->last_pnp, NetEventRestart);
	/* Halt unbinds first; restart offers the binding again. */
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(plain->unbinds, 1);
	assert_int_equal(plain->close_status, NDIS_STATUS_SUCCESS);
	assert_int_equal(ndis_adapter_binding_count(ad), 0);
	assert_int_equal(ndis_adapter_start(ad), 0);
	assert_int_equal(plain->binds, 2);
	ndis_protocol_unload(p);
	assert_int_equal(plain->unbinds, 2);
	assert_int_equal(plain->unload_calls, 1);
	assert_int_equal(ndis_adapter_binding_count(ad), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_pending_bind_and_unbind(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_CHILD);
	struct fake_proto_control *plain = fake_proto("fake_proto");
	struct ndis_protocol *p;
	struct bus_double bus;
	struct ndis_adapter *ad;
	void (*complete_bind)(NDIS_STATUS);
	void (*complete_unbind)(void);

	(void)state;
	fake_control("fake_basic");
	*(void **)&complete_bind = fake_symbol("fake_proto", "FakeProtoCompleteBind");
	*(void **)&complete_unbind = fake_symbol("fake_proto", "FakeProtoCompleteUnbind");
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "basic", HWID("1000"), &bus, NULL, &ad), 0);
	plain->pend_bind = 1;
	assert_int_equal(ndis_protocol_load(fw, "IOVLAB_FAKEPROTO", &p), 0);
	binding(ad, 0, "FAKEPROTO", NDIS_BINDING_BINDING);
	complete_bind(NDIS_STATUS_SUCCESS);
	binding(ad, 0, "FAKEPROTO", NDIS_BINDING_BOUND);
	/* Completing a bind that is not pending is a state violation. */
	complete_bind(NDIS_STATUS_SUCCESS);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_STATE), 1);
	/* A pended unbind holds up the halt until it completes. */
	plain->pend_unbind = 1;
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), -EINPROGRESS);
	binding(ad, 0, "FAKEPROTO", NDIS_BINDING_UNBINDING);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSED);
	complete_unbind();
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_HALTED);
	assert_int_equal(ndis_adapter_binding_count(ad), 0);
	ndis_framework_destroy(fw);
}

static void test_pnp_status_and_oids_reach_the_binding(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_CHILD);
	struct fake_proto_control *plain = fake_proto("fake_proto");
	struct fake_control *mp = fake_control("fake_basic");
	struct ndis_protocol *p;
	struct bus_double bus;
	struct ndis_adapter *ad;
	NDIS_STATUS (*proto_oid)(PNDIS_OID_REQUEST);
	NDIS_STATUS_INDICATION ind;
	NDIS_OID_REQUEST req;
	char buf[32];

	(void)state;
	*(void **)&proto_oid = fake_symbol("fake_proto", "FakeProtoOid");
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "basic", HWID("1000"), &bus, NULL, &ad), 0);
	assert_int_equal(ndis_protocol_load(fw, "IOVLAB_FAKEPROTO", &p), 0);
	assert_int_equal(ndis_adapter_pause(ad), 0);
	assert_int_equal(plain->last_pnp, NetEventPause);
	assert_int_equal(ndis_adapter_restart(ad), 0);
	assert_int_equal(plain->last_pnp, NetEventRestart);
	/* A status indication from the miniport reaches the binding. */
	memset(&ind, 0, sizeof(ind));
	ind.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
	ind.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
	ind.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
	ind.SourceHandle = mp->adapter;
	ind.StatusCode = NDIS_STATUS_LINK_STATE;
	NdisMIndicateStatusEx(mp->adapter, &ind);
	assert_int_equal(plain->status_indications, 1);
	assert_int_equal(plain->last_indicated_status, NDIS_STATUS_LINK_STATE);
	/* NdisOidRequest: synchronous, then pended and completed. */
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(proto_oid(&req), NDIS_STATUS_SUCCESS);
	assert_int_equal(req.DATA.QUERY_INFORMATION.BytesWritten, 16);
	mp->pend_oids = 1;
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(proto_oid(&req), NDIS_STATUS_PENDING);
	assert_int_equal(plain->oid_completions, 0);
	fake_complete_pending("fake_basic", NDIS_STATUS_SUCCESS);
	assert_int_equal(plain->oid_completions, 1);
	assert_int_equal(plain->last_oid_status, NDIS_STATUS_SUCCESS);
	/* The issuer the trace names is the protocol. */
	assert_string_equal(ndis_adapter_oid_record_at(ad, ndis_adapter_oid_record_count(ad) - 1)->issuer, "FAKEPROTO");
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_binding_transition_table(void **state)
{
	static const struct {
		enum ndis_binding_state from, to;
	} legal[] = {
		{ NDIS_BINDING_BINDING, NDIS_BINDING_BOUND },
		{ NDIS_BINDING_BINDING, NDIS_BINDING_DECLINED },
		{ NDIS_BINDING_BINDING, NDIS_BINDING_UNBOUND },
		{ NDIS_BINDING_BOUND, NDIS_BINDING_UNBINDING },
		{ NDIS_BINDING_BOUND, NDIS_BINDING_UNBOUND },
		{ NDIS_BINDING_UNBINDING, NDIS_BINDING_UNBOUND },
	};

	(void)state;
	for (int f = 0; f < NDIS_BINDING_STATE_COUNT; f++)
		for (int t = 0; t < NDIS_BINDING_STATE_COUNT; t++) {
			bool want = false;
			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				if (legal[i].from == (enum ndis_binding_state)f && legal[i].to == (enum ndis_binding_state)t)
					want = true;
			if (ndis_binding_state_transition_allowed(f, t) != want)
				fail_msg("%s -> %s", ndis_binding_state_name(f), ndis_binding_state_name(t));
		}
	assert_string_equal(ndis_binding_state_name(NDIS_BINDING_DECLINED), "Declined");
	assert_string_equal(ndis_binding_state_name(42), "?");
}

static void test_load_errors(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_CHILD);
	struct ndis_protocol *p;

	(void)state;
	assert_int_equal(ndis_protocol_load(fw, "IOVLAB_NOPE", &p), -ENOENT);
	assert_int_equal(ndis_protocol_load(fw, HWID("1000"), &p), -ENOEXEC);
	ndis_framework_destroy(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bindings_follow_interfaces),
		cmocka_unit_test(test_vf_binding_declined_without_serial),
		cmocka_unit_test(test_protocol_loaded_first_binds_at_initialization),
		cmocka_unit_test(test_pending_bind_and_unbind),
		cmocka_unit_test(test_pnp_status_and_oids_reach_the_binding),
		cmocka_unit_test(test_binding_transition_table),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
