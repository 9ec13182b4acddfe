/*
 * Miniport loading and the adapter state machine (src/ndis/driver.c,
 * adapter.c, attributes.c): a driver .so is found through its INF and
 * loaded, NdisMRegisterMiniportDriver's checks, every legal transition of the
 * documented state machine and the illegal ones refused, pending pause and
 * restart, halt order, initialization failures, keywords from the INF with
 * overrides, and NdisMSetMiniportAttributes' strict header checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "fw_helpers.h"

static void test_transition_table(void **state)
{
	/* The documented machine, and nothing else. */
	static const struct {
		enum ndis_adapter_state from, to;
	} legal[] = {
		{ NDIS_ADAPTER_HALTED, NDIS_ADAPTER_INITIALIZING },
		{ NDIS_ADAPTER_INITIALIZING, NDIS_ADAPTER_PAUSED },
		{ NDIS_ADAPTER_INITIALIZING, NDIS_ADAPTER_HALTED },
		{ NDIS_ADAPTER_PAUSED, NDIS_ADAPTER_RESTARTING },
		{ NDIS_ADAPTER_PAUSED, NDIS_ADAPTER_HALTING },
		{ NDIS_ADAPTER_RESTARTING, NDIS_ADAPTER_RUNNING },
		{ NDIS_ADAPTER_RESTARTING, NDIS_ADAPTER_PAUSED },
		{ NDIS_ADAPTER_RUNNING, NDIS_ADAPTER_PAUSING },
		{ NDIS_ADAPTER_PAUSING, NDIS_ADAPTER_PAUSED },
		{ NDIS_ADAPTER_HALTING, NDIS_ADAPTER_HALTED },
	};

	(void)state;
	for (int f = 0; f < NDIS_ADAPTER_STATE_COUNT; f++)
		for (int t = 0; t < NDIS_ADAPTER_STATE_COUNT; t++) {
			bool want = false;
			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				if (legal[i].from == (enum ndis_adapter_state)f && legal[i].to == (enum ndis_adapter_state)t)
					want = true;
			if (ndis_adapter_state_transition_allowed(f, t) != want)
				fail_msg("%s -> %s: table says %d", ndis_adapter_state_name(f), ndis_adapter_state_name(t),
					 !want);
		}
	assert_string_equal(ndis_adapter_state_name(NDIS_ADAPTER_RESTARTING), "Restarting");
	assert_string_equal(ndis_adapter_state_name(99), "?");
}

static void test_lifecycle(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_basic");
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	bus_double_init(&bus);
	test_trace_reset();
	assert_int_equal(test_adapter(fw, "Ethernet 1", HWID("1000"), &bus, NULL, &ad), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	assert_string_equal(ndis_adapter_driver_name(ad), "fake_basic");
	assert_int_equal(c->driver_entry_calls, 1);
	assert_int_equal(c->init_calls, 1);
	assert_int_equal(c->restart_calls, 1);
	assert_int_equal(c->register_status, NDIS_STATUS_SUCCESS);
	/* Every transition is traced old -> new. */
	assert_non_null(strstr(test_trace(), "adapter 'Ethernet 1': Halted -> Initializing"));
	assert_non_null(strstr(test_trace(), "adapter 'Ethernet 1': Initializing -> Paused"));
	assert_non_null(strstr(test_trace(), "adapter 'Ethernet 1': Paused -> Restarting"));
	assert_non_null(strstr(test_trace(), "adapter 'Ethernet 1': Restarting -> Running"));

	assert_int_equal(ndis_adapter_pause(ad), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSED);
	assert_int_equal(c->last_pause_reason, NDIS_PAUSE_NDIS_INTERNAL);
	assert_int_equal(ndis_adapter_restart(ad), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	assert_int_equal(c->restart_calls, 2);

	/* Halt from Running pauses first, then MiniportHaltEx. */
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_HALTED);
	assert_int_equal(c->pause_calls, 2);
	assert_int_equal(c->last_pause_reason, NDIS_PAUSE_MINIPORT_DEVICE_REMOVE);
	assert_int_equal(c->halt_calls, 1);
	assert_int_equal(c->last_halt_action, NdisHaltDeviceDisabled);

	/* Halted -> initialize again (after a keyword change, say). */
	assert_int_equal(ndis_adapter_start(ad), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	assert_int_equal(c->init_calls, 2);
	/* The driver is unloaded with its last adapter. */
	ndis_adapter_destroy(ad);
	assert_int_equal(c->halt_calls, 2);
	assert_int_equal(c->unload_calls, 1);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_illegal_transitions_refused(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_basic");
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), 0);
	/* Running */
	assert_int_equal(ndis_adapter_restart(ad), -EPERM);
	assert_int_equal(ndis_adapter_start(ad), -EPERM);
	/* Pausing (the miniport pends its pause) */
	c->pend_pause = 1;
	assert_int_equal(ndis_adapter_pause(ad), -EINPROGRESS);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSING);
	assert_int_equal(ndis_adapter_pause(ad), -EPERM);
	assert_int_equal(ndis_adapter_restart(ad), -EPERM);
	assert_int_equal(ndis_adapter_start(ad), -EPERM);
	NdisMPauseComplete(c->adapter);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSED);
	/* A second NdisMPauseComplete is a state violation, not a transition. */
	NdisMPauseComplete(c->adapter);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSED);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_STATE), 1);
	/* Paused */
	assert_int_equal(ndis_adapter_pause(ad), -EPERM);
	assert_int_equal(ndis_adapter_start(ad), -EPERM);
	/* Restarting (pended), then completed */
	c->pend_restart = 1;
	assert_int_equal(ndis_adapter_restart(ad), -EINPROGRESS);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RESTARTING);
	assert_int_equal(ndis_adapter_restart(ad), -EPERM);
	assert_int_equal(ndis_adapter_pause(ad), -EPERM);
	NdisMRestartComplete(c->adapter, NDIS_STATUS_SUCCESS);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	NdisMRestartComplete(c->adapter, NDIS_STATUS_SUCCESS);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_STATE), 2);
	/* A failed restart leaves the adapter Paused. */
	c->pend_restart = 0;
	c->pend_pause = 0;
	assert_int_equal(ndis_adapter_pause(ad), 0);
	c->restart_status = NDIS_STATUS_RESOURCES;
	assert_int_equal(ndis_adapter_restart(ad), -EIO);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSED);
	/* Halted */
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), -EPERM);
	assert_int_equal(ndis_adapter_pause(ad), -EPERM);
	assert_int_equal(ndis_adapter_restart(ad), -EPERM);
	assert_int_equal(ndis_adapter_surprise_remove(ad), -EPERM);
	assert_int_equal(ndis_adapter_shutdown(ad), -EPERM);
	ndis_framework_destroy(fw);
}

static void test_halt_waits_for_pending_pause(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_basic");
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), 0);
	c->pend_pause = 1;
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDevicePoweredDown), -EINPROGRESS);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_PAUSING);
	assert_int_equal(c->halt_calls, 0);
	NdisMPauseComplete(c->adapter);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_HALTED);
	assert_int_equal(c->halt_calls, 1);
	assert_int_equal(c->last_halt_action, NdisHaltDevicePoweredDown);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_pnp_and_shutdown(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_basic");
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), 0);
	assert_int_equal(ndis_adapter_surprise_remove(ad), 0);
	assert_int_equal(c->pnp_calls, 1);
	assert_int_equal(c->last_pnp_event, NdisDevicePnPEventSurpriseRemoved);
	assert_int_equal(ndis_adapter_shutdown(ad), 0);
	assert_int_equal(c->shutdown_calls, 1);
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceSurpriseRemoved), 0);
	assert_int_equal(c->last_halt_action, NdisHaltDeviceSurpriseRemoved);
	ndis_framework_destroy(fw);
}

static void test_initialization_failure(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_basic");
	struct bus_double bus;
	struct ndis_adapter *ad = NULL;

	(void)state;
	bus_double_init(&bus);
	c->init_status = NDIS_STATUS_ADAPTER_NOT_FOUND;
	assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), -EIO);
	assert_non_null(ad);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_HALTED);
	assert_int_equal(ndis_adapter_init_status(ad), (uint32_t)NDIS_STATUS_ADAPTER_NOT_FOUND);
	assert_int_equal(c->halt_calls, 0);
	/* Fixed, it initializes. */
	c->init_status = NDIS_STATUS_SUCCESS;
	assert_int_equal(ndis_adapter_start(ad), 0);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	ndis_framework_destroy(fw);
}

static void test_hardware_id_matching(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct bus_double bus;
	struct ndis_adapter *ad, *dup = NULL;

	(void)state;
	fake_control("fake_basic");
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "x", HWID("FFFF"), &bus, NULL, &ad), -ENOENT);
	/* PnP drops &REV_ and &SUBSYS_ to find the model. */
	assert_int_equal(test_adapter(fw, "a", "PCI\\VEN_1AB4&DEV_1000&SUBSYS_00011AB4&REV_01", &bus, NULL, &ad), 0);
	assert_ptr_equal(ndis_framework_find_adapter(fw, "A"), ad);
	assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &dup), -EEXIST);
	assert_int_equal(ndis_framework_adapter_count(fw), 1);
	ndis_framework_destroy(fw);
}

static void test_characteristics_refused(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *h = fake_control("mut_char_handler");
	struct fake_control *s = fake_control("mut_char_size");
	struct bus_double bus;
	struct ndis_adapter *ad;
	const struct ndis_finding *f;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "a", HWID("2035"), &bus, NULL, &ad), -ENOEXEC);
	assert_int_equal(h->register_status, NDIS_STATUS_BAD_CHARACTERISTICS);
	f = ndis_framework_finding_at(fw, 0);
	assert_non_null(f);
	assert_string_equal(f->id, "NDIS-CHARACTERISTICS");
	assert_string_equal(f->driver, "mut_char_handler");
	assert_non_null(strstr(f->evidence, "required handler CancelSendHandler is NULL"));
	assert_int_equal(test_adapter(fw, "b", HWID("2036"), &bus, NULL, &ad), -ENOEXEC);
	assert_int_equal(s->register_status, NDIS_STATUS_BAD_VERSION);
	f = ndis_framework_finding_at(fw, 1);
	assert_non_null(strstr(f->evidence, "Header.Size"));
	assert_int_equal(ndis_framework_finding_count(fw), 2);
	assert_int_equal(ndis_framework_adapter_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_keywords_and_overrides(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_pf");
	struct bus_double bus;
	struct ndis_adapter *ad;
	struct ndis_adapter_params p;
	struct ndis_keyword kw[] = { { "*SRIOV", "0" } };
	struct ndis_sriov_view v;
	char buf[64], err[128];
	bool read_sriov = false;

	(void)state;
	bus_double_init(&bus);
	memset(&p, 0, sizeof(p));
	p.name = "pf";
	p.hardware_id = HWID("10ED");
	p.bus = &bus_double_ops;
	p.bus_ctx = &bus;
	p.keywords = kw;
	p.n_keywords = 1;
	assert_int_equal(ndis_adapter_create(fw, &p, &ad), 0);
	assert_int_equal(c->sriov_keyword, 0);
	ndis_adapter_sriov_view(ad, &v);
	assert_true(v.has_hw_sriov);
	assert_false(v.has_cur_sriov);
	assert_false(v.switch_created);
	/* Every NdisReadConfiguration is recorded. */
	for (size_t i = 0; i < ndis_adapter_config_read_count(ad); i++) {
		const struct ndis_config_read *r = ndis_adapter_config_read_at(ad, i);
		if (!strcmp(r->keyword, "*SRIOV")) {
			read_sriov = true;
			assert_true(r->found);
			assert_string_equal(r->value, "0");
		}
	}
	assert_true(read_sriov);
	/* Set-NetAdapterAdvancedProperty checks the Ndi\params entry. */
	assert_int_equal(ndis_adapter_set_keyword(ad, "*SRIOV", "2", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not one of the keyword's values"));
	assert_int_equal(ndis_adapter_set_keyword(ad, "*JumboPacket", "100", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "below the minimum 1514"));
	assert_int_equal(ndis_adapter_set_keyword(ad, "*JumboPacket", "9015", err, sizeof(err)), -EINVAL);
	assert_int_equal(ndis_adapter_set_keyword(ad, "*JumboPacket", "big", err, sizeof(err)), -EINVAL);
	assert_int_equal(ndis_adapter_set_keyword(ad, "NicSwitches\\0\\*NumVFs", "four", err, sizeof(err)), -EINVAL);
	assert_int_equal(ndis_adapter_set_keyword(ad, "NicSwitches\\0\\*NumVFs", "4", err, sizeof(err)), 0);
	assert_int_equal(ndis_adapter_get_keyword(ad, "NicSwitches\\0\\*NumVFs", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "4");
	assert_int_equal(ndis_adapter_get_keyword(ad, "*Nope", buf, sizeof(buf)), -ENOENT);
	/* Takes effect at the next initialization, as on Windows. */
	assert_int_equal(ndis_adapter_set_keyword(ad, "*SRIOV", "1", err, sizeof(err)), 0);
	ndis_adapter_sriov_view(ad, &v);
	assert_false(v.has_cur_sriov);
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_start(ad), 0);
	ndis_adapter_sriov_view(ad, &v);
	assert_true(v.has_cur_sriov);
	assert_true(v.switch_created);
	assert_int_equal(v.num_vfs, 4);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_bad_override_refused(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct bus_double bus;
	struct ndis_adapter *ad = NULL;
	struct ndis_adapter_params p;
	struct ndis_keyword kw[] = { { "*VMQ", "yes" } };

	(void)state;
	bus_double_init(&bus);
	memset(&p, 0, sizeof(p));
	p.name = "pf";
	p.hardware_id = HWID("10ED");
	p.bus = &bus_double_ops;
	p.bus_ctx = &bus;
	p.keywords = kw;
	p.n_keywords = 1;
	assert_int_equal(ndis_adapter_create(fw, &p, &ad), -EINVAL);
	assert_null(ad);
	assert_int_equal(ndis_framework_adapter_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_f32_header_mixup(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("mut_f32");
	struct bus_double bus;
	struct ndis_adapter *ad;
	struct ndis_sriov_view v;
	const struct ndis_finding *f;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "pf", HWID("2001"), &bus, NULL, &ad), 0);
	/* registration, general, hardware assist */
	assert_int_equal(c->n_attr, 3);
	assert_int_equal(c->attr_status[2], NDIS_STATUS_INVALID_PARAMETER);
	/* The field symptom: capabilities silently not registered. */
	ndis_adapter_sriov_view(ad, &v);
	assert_false(v.has_hw_sriov);
	assert_false(v.switch_created);
	assert_int_equal(ndis_framework_finding_count(fw), 1);
	f = ndis_framework_finding_at(fw, 0);
	assert_string_equal(f->id, "NDIS-ATTR-HEADER");
	assert_string_equal(f->driver, "mut_f32");
	assert_string_equal(f->adapter, "pf");
	assert_non_null(strstr(f->evidence, "NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2"));
	assert_non_null(strstr(f->evidence, "needs 80 (NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3)"));
	assert_non_null(strstr(f->doc, "F32"));
	ndis_framework_destroy(fw);
}

static void test_attribute_order(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("mut_attr_order");
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	bus_double_init(&bus);
	/* General before registration is refused; without general attributes
	 * NDIS halts the adapter it just initialized. */
	assert_int_equal(test_adapter(fw, "a", HWID("2034"), &bus, NULL, &ad), -EIO);
	assert_int_equal(c->attr_status[0], NDIS_STATUS_FAILURE);
	assert_int_equal(c->attr_status[1], NDIS_STATUS_SUCCESS);
	assert_int_equal(c->halt_calls, 1);
	assert_int_equal(c->last_halt_action, NdisHaltDeviceInitializationFailed);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_HALTED);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_ATTR_ORDER), 2);
	assert_int_equal(ndis_framework_finding_count(fw), 2);
	ndis_framework_destroy(fw);
}

/* NdisMSetMiniportAttributes' header checks, one structure each. */
/* SRIOV_SUPPORTED only: neither a PF nor a VF, so no role rule applies. */
static NDIS_SRIOV_CAPABILITIES sriov_ok = {
	{ NDIS_OBJECT_TYPE_DEFAULT, 1, NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1 }, 0, 0x1 };
static NDIS_SRIOV_CAPABILITIES sriov_short = { { NDIS_OBJECT_TYPE_DEFAULT, 1, 8 }, 0, 0x3 };
static NDIS_SRIOV_CAPABILITIES sriov_type = { { 0x81, 1, 12 }, 0, 0x3 };
static unsigned char switch_rev3[132];

static void test_attribute_headers(void **state)
{
	NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES ha;
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES ga;
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;
	NDIS_OBJECT_HEADER unknown = { 0x70, 1, 4 };
	NDIS_NIC_SWITCH_CAPABILITIES *sw = (void *)switch_rev3;

	(void)state;
#define HA(rev, size) \
	do { \
		memset(&ha, 0, sizeof(ha)); \
		ha.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES; \
		ha.Header.Revision = (rev); \
		ha.Header.Size = (size); \
	} while (0)
	memset(sw, 0, sizeof(switch_rev3));
	sw->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	sw->Header.Revision = 3;
	sw->Header.Size = 132;
	for (int i = 0; i < 9; i++) {
		struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
		struct fake_control *c = fake_control("fake_basic");
		struct bus_double bus;
		struct ndis_adapter *ad;
		NDIS_STATUS want = NDIS_STATUS_SUCCESS;
		size_t findings = 0;

		switch (i) {
		case 0:	/* a good revision-3 block with SR-IOV caps */
			HA(3, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
			ha.HardwareSriovCapabilities = &sriov_ok;
			c->extra_attr = &ha;
			break;
		case 1:	/* unknown revision */
			HA(5, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
			c->extra_attr = &ha;
			want = NDIS_STATUS_BAD_VERSION;
			findings = 1;
			break;
		case 2:	/* revision 2 with the revision-3 size */
			HA(2, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
			c->extra_attr = &ha;
			want = NDIS_STATUS_INVALID_PARAMETER;
			findings = 1;
			break;
		case 3:	/* not an attribute type */
			c->extra_attr = &unknown;
			want = NDIS_STATUS_BAD_VERSION;
			findings = 1;
			break;
		case 4:	/* general attributes sized for revision 1 but marked 2 */
			memset(&ga, 0, sizeof(ga));
			ga.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
			ga.Header.Revision = 2;
			ga.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
			c->extra_attr = &ga;
			want = NDIS_STATUS_INVALID_PARAMETER;
			findings = 1;
			break;
		case 5:	/* SR-IOV caps too short */
			HA(3, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
			ha.HardwareSriovCapabilities = &sriov_short;
			c->extra_attr = &ha;
			want = NDIS_STATUS_INVALID_PARAMETER;
			findings = 1;
			break;
		case 6:	/* SR-IOV caps of the wrong type */
			HA(3, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
			ha.HardwareSriovCapabilities = &sriov_type;
			c->extra_attr = &ha;
			want = NDIS_STATUS_BAD_VERSION;
			findings = 1;
			break;
		case 7:	/* Current without Hardware */
			HA(3, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
			ha.CurrentSriovCapabilities = &sriov_ok;
			c->extra_attr = &ha;
			want = NDIS_STATUS_INVALID_PARAMETER;
			findings = 1;
			break;
		case 8:	/* registration attributes twice */
			memset(&ra, 0, sizeof(ra));
			ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
			ra.Header.Revision = 2;
			ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
			c->extra_attr = &ra;
			want = NDIS_STATUS_FAILURE;
			findings = 1;
			break;
		}
		bus_double_init(&bus);
		assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), 0);
		if (c->extra_attr_status != want)
			fail_msg("case %d: NdisMSetMiniportAttributes returned 0x%x, want 0x%x", i,
				 (unsigned)c->extra_attr_status, (unsigned)want);
		if (ndis_framework_finding_count(fw) != findings)
			fail_msg("case %d: %zu findings, want %zu", i, ndis_framework_finding_count(fw), findings);
		if (findings && i != 8)
			assert_string_equal(ndis_framework_finding_at(fw, 0)->id, "NDIS-ATTR-HEADER");
		if (i == 0) {
			struct ndis_sriov_view v;
			ndis_adapter_sriov_view(ad, &v);
			assert_true(v.has_hw_sriov);
			assert_int_equal(v.hw_sriov_caps, 0x1);
		}
		ndis_framework_destroy(fw);
	}
	/* 6.60 NIC-switch caps (revision 3, 132 bytes) register. */
	{
		struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
		struct fake_control *c = fake_control("fake_basic");
		struct bus_double bus;
		struct ndis_adapter *ad;
		struct ndis_sriov_view v;

		HA(3, NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3);
		ha.HardwareNicSwitchCapabilities = sw;
		c->extra_attr = &ha;
		bus_double_init(&bus);
		assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), 0);
		assert_int_equal(c->extra_attr_status, NDIS_STATUS_SUCCESS);
		ndis_adapter_sriov_view(ad, &v);
		assert_true(v.has_hw_switch);
		ndis_framework_destroy(fw);
	}
#undef HA
}

static void test_attributes_outside_initialize(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_basic");
	struct bus_double bus;
	struct ndis_adapter *ad;
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;
	int not_a_handle;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "a", HWID("1000"), &bus, NULL, &ad), 0);
	memset(&ra, 0, sizeof(ra));
	ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	ra.Header.Revision = 2;
	ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	assert_int_equal(NdisMSetMiniportAttributes(c->adapter, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra),
			 NDIS_STATUS_FAILURE);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_ATTR_ORDER), 1);
	/* Not an adapter handle: refused, nothing touched, reported. */
	assert_int_equal(NdisMSetMiniportAttributes(&not_a_handle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra),
			 NDIS_STATUS_INVALID_PARAMETER);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_HANDLE), 1);
	assert_non_null(strstr(ndis_framework_finding_at(fw, 1)->evidence, "not a MiniportAdapterHandle"));
	ndis_framework_destroy(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_illegal_transitions_refused),
		cmocka_unit_test(test_halt_waits_for_pending_pause),
		cmocka_unit_test(test_pnp_and_shutdown),
		cmocka_unit_test(test_initialization_failure),
		cmocka_unit_test(test_hardware_id_matching),
		cmocka_unit_test(test_characteristics_refused),
		cmocka_unit_test(test_keywords_and_overrides),
		cmocka_unit_test(test_bad_override_refused),
		cmocka_unit_test(test_f32_header_mixup),
		cmocka_unit_test(test_attribute_order),
		cmocka_unit_test(test_attribute_headers),
		cmocka_unit_test(test_attributes_outside_initialize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
