/*
 * The verifier (src/ndis/verifier.c and the checks where the evidence is):
 * each mutant miniport in tests/drivers breaks exactly one documented rule
 * and must raise exactly that finding -- rule id, driver, adapter, evidence,
 * documentation page -- while the framework keeps running; the clean
 * drivers, put through a full lifecycle in the partition they belong to,
 * must raise none.
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

static const struct ndis_issuer vmsp = { NDIS_ISSUER_OVERLYING, "VMSP" };

/* Read 4 bytes of VF 0's config space through the PF (the vPCI VSP path). */
static void read_vf_config(struct ndis_adapter *ad)
{
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p;
		uint8_t data[4];
	} rd;
	NDIS_OID_REQUEST req;
	uint32_t st;

	memset(&rd, 0, sizeof(rd));
	rd.p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	rd.p.Header.Revision = 1;
	rd.p.Header.Size = NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1;
	rd.p.Length = 4;
	rd.p.BufferOffset = sizeof(rd.p);
	ndis_oid_init(&req, NdisRequestMethod, OID_SRIOV_READ_VF_CONFIG_SPACE, &rd, sizeof(rd));
	assert_int_equal(ndis_oid_request(ad, &vmsp, &req, NULL, NULL, &st), 0);
}

static void query_frame_size(struct ndis_adapter *ad)
{
	NDIS_OID_REQUEST req;
	ULONG size;
	uint32_t st;

	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_MAXIMUM_FRAME_SIZE, &size, sizeof(size));
	assert_int_equal(ndis_oid_request(ad, &vmsp, &req, NULL, NULL, &st), 0);
}

struct mutant {
	const char *driver, *dev;
	enum ndis_partition partition;
	bool vpci, over_vbd;
	const char *keyword, *value;
	void (*action)(struct ndis_adapter *ad);
	enum ndis_rule rule;
	const char *evidence;
};

static const struct mutant mutants[] = {
	{ "mut_f32", "2001", NDIS_PARTITION_PARENT, false, false, NULL, NULL, NULL, NDIS_RULE_ATTR_HEADER,
	  "(= NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2) does not match revision 3" },
	{ "mut_pf_sriov_on", "2002", NDIS_PARTITION_PARENT, false, false, "*SRIOV", "0", NULL,
	  NDIS_RULE_PF_SRIOV_DISABLED, "PF reports current SR-IOV capabilities 0x3 while *SRIOV is 0" },
	{ "mut_pf_oid_list", "2003", NDIS_PARTITION_PARENT, false, false, NULL, NULL, NULL, NDIS_RULE_PF_OID_LIST,
	  "lacks 2 SR-IOV OID(s) in SupportedOidList: OID_SRIOV_PROBED_BARS, OID_SRIOV_BAR_RESOURCES" },
	{ "mut_pf_no_hv", "2004", NDIS_PARTITION_CHILD, false, false, NULL, NULL, NULL, NDIS_RULE_PF_IN_CHILD,
	  "PF_MINIPORT capabilities in a child partition without calling NdisGetHypervisorInfo" },
	{ "mut_pf_no_needs", "2005", NDIS_PARTITION_PARENT, false, false, NULL, NULL, NULL, NDIS_RULE_PF_INF_NEEDS,
	  "has no Needs=PciSriovSupported.HW" },
	{ "mut_vf_pf_caps", "2011", NDIS_PARTITION_CHILD, true, false, NULL, NULL, NULL, NDIS_RULE_VF_CAPS,
	  "VF miniport reports PF capabilities: hardware SriovCapabilities 0x3" },
	{ "mut_vf_no_caps", "2012", NDIS_PARTITION_CHILD, true, false, NULL, NULL, NULL, NDIS_RULE_VF_CAPS,
	  "hardware (none) 0x0, current (none) 0x0; both must be SRIOV_SUPPORTED|VF_MINIPORT (0x5)" },
	{ "mut_vf_vmq", "2013", NDIS_PARTITION_CHILD, true, false, NULL, NULL, NULL, NDIS_RULE_VF_VMQ,
	  "VF miniport reports NIC-switch capabilities, receive-filter capabilities with VMQ_FILTERS_ENABLED" },
	{ "mut_vf_keyword", "2014", NDIS_PARTITION_CHILD, true, false, NULL, NULL, NULL, NDIS_RULE_VF_KEYWORD,
	  "VF miniport read SR-IOV keyword *SRIOV (absent)" },
	{ "mut_vf_no_hv", "2015", NDIS_PARTITION_PARENT, false, false, NULL, NULL, NULL, NDIS_RULE_VF_IN_PARENT,
	  "VF_MINIPORT capabilities in the parent partition without calling NdisGetHypervisorInfo" },
	{ "mut_vf_bad_inf", "2016", NDIS_PARTITION_CHILD, true, false, NULL, NULL, NULL, NDIS_RULE_VF_INF_BINDING,
	  "sets UpperRange \"ndis5\", LowerRange \"ethernet\"" },
	{ "mut_oid_counts", "2037", NDIS_PARTITION_PARENT, false, false, NULL, NULL, query_frame_size,
	  NDIS_RULE_OID_BYTE_COUNTS, "query: BytesWritten 8 beyond InformationBufferLength 4" },
	{ "mut_vbd_vf_bus", "2021", NDIS_PARTITION_PARENT, false, true, NULL, NULL, read_vf_config,
	  NDIS_RULE_VBD_PCI_VIRT, "NdisMGetVirtualFunctionBusData called by a miniport that sits on an IHV virtual bus driver" },
	{ "mut_vbd_block", "2022", NDIS_PARTITION_CHILD, true, true, NULL, NULL, NULL, NDIS_RULE_VBD_CONFIG_BLOCK,
	  "NdisMReadConfigBlock called by a VF miniport that sits on an IHV virtual bus driver" },
};

static void test_each_mutant_raises_its_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mutants) / sizeof(mutants[0]); i++) {
		const struct mutant *m = &mutants[i];
		struct ndis_framework *fw = test_framework(m->partition);
		struct bus_double bus;
		struct vpci_double vpci;
		struct ndis_adapter_params p;
		struct ndis_keyword kw = { m->keyword, m->value };
		struct ndis_adapter *ad;
		const struct ndis_finding *f;
		char id[64];
		int rc;

		fake_control(m->driver);
		bus_double_init(&bus);
		vpci_double_init(&vpci, 77);
		snprintf(id, sizeof(id), HWID("%s"), m->dev);
		memset(&p, 0, sizeof(p));
		p.name = "nic";
		p.hardware_id = id;
		p.bus = &bus_double_ops;
		p.bus_ctx = &bus;
		p.over_vbd = m->over_vbd;
		if (m->vpci) {
			p.vpci = &vpci_double_ops;
			p.vpci_ctx = &vpci;
		}
		if (m->keyword) {
			p.keywords = &kw;
			p.n_keywords = 1;
		}
		rc = ndis_adapter_create(fw, &p, &ad);
		if (rc)
			fail_msg("%s: adapter create %d", m->driver, rc);
		if (m->action)
			m->action(ad);
		if (ndis_framework_finding_count(fw) != 1)
			fail_msg("%s: %zu findings, want 1 (%s)", m->driver, ndis_framework_finding_count(fw),
				 ndis_framework_finding_count(fw) ? ndis_framework_finding_at(fw, 0)->id : "-");
		f = ndis_framework_finding_at(fw, 0);
		if (f->rule != m->rule || strcmp(f->id, ndis_rule_id(m->rule)))
			fail_msg("%s: finding %s, want %s", m->driver, f->id, ndis_rule_id(m->rule));
		assert_string_equal(f->driver, m->driver);
		assert_string_equal(f->adapter, "nic");
		assert_true(f->doc && f->doc[0]);
		assert_true(f->title && f->title[0]);
		if (!strstr(f->evidence, m->evidence))
			fail_msg("%s: evidence \"%s\" lacks \"%s\"", m->driver, f->evidence, m->evidence);
		/* The framework carries on: the adapter halts cleanly. */
		assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), 0);
		ndis_framework_destroy(fw);
	}
}

static void test_findings_are_traced_and_cleared(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_CHILD);
	struct bus_double bus;
	struct vpci_double vpci;
	struct ndis_adapter *ad;

	(void)state;
	fake_control("mut_vf_keyword");
	bus_double_init(&bus);
	vpci_double_init(&vpci, 1);
	test_trace_reset();
	assert_int_equal(test_adapter(fw, "vf", HWID("2014"), &bus, &vpci, &ad), 0);
	assert_non_null(strstr(test_trace(), "[lab.ndis.verifier]WARNING: NDIS-VF-KEYWORD: driver mut_vf_keyword (adapter 'vf'): "
					     "VF miniport read SR-IOV keyword *SRIOV (absent)"));
	assert_non_null(strstr(test_trace(), "net:initializing-a-vf-miniport-driver"));
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_VF_KEYWORD), 1);
	ndis_framework_clear_findings(fw);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	assert_null(ndis_framework_finding_at(fw, 0));
	for (int r = 0; r < NDIS_RULE_COUNT; r++)
		assert_true(strncmp(ndis_rule_id(r), "NDIS-", 5) == 0);
	ndis_framework_destroy(fw);
}

static void test_vf_refuses_parent_partition(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_vf");
	struct bus_double bus;
	struct ndis_adapter *ad;

	(void)state;
	bus_double_init(&bus);
	/* A clean VF miniport checks NdisGetHypervisorInfo and does not start. */
	assert_int_equal(test_adapter(fw, "vf", HWID("10EF"), &bus, NULL, &ad), -EIO);
	assert_int_equal(ndis_adapter_init_status(ad), (uint32_t)NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(c->hv.PartitionType, NdisHypervisorPartitionTypeMsHvParent);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

/* A full lifecycle with OIDs for a clean driver in its partition. */
static void exercise(struct ndis_adapter *ad)
{
	NDIS_OID_REQUEST req;
	char buf[64];
	uint32_t st;

	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, 4);
	assert_int_equal(ndis_oid_request(ad, &vmsp, &req, NULL, NULL, &st), 0);
	ndis_oid_init(&req, NdisRequestQueryInformation, OID_GEN_VENDOR_DESCRIPTION, buf, sizeof(buf));
	assert_int_equal(ndis_oid_request(ad, &vmsp, &req, NULL, NULL, &st), 0);
	ndis_oid_init(&req, NdisRequestMethod, OID_FAKE_ECHO, buf, 8);
	assert_int_equal(ndis_oid_request(ad, &vmsp, &req, NULL, NULL, &st), 0);
	assert_int_equal(ndis_adapter_pause(ad), 0);
	assert_int_equal(ndis_adapter_restart(ad), 0);
	assert_int_equal(ndis_adapter_halt(ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_start(ad), 0);
}

static void test_clean_drivers_raise_nothing(void **state)
{
	static const struct {
		const char *driver, *dev;
		enum ndis_partition partition;
		bool vpci, over_vbd, vf_config;
	} clean[] = {
		{ "fake_basic", "1000", NDIS_PARTITION_PARENT, false, false, false },
		{ "fake_basic", "1000", NDIS_PARTITION_CHILD, false, false, false },
		{ "fake_pf", "10ED", NDIS_PARTITION_PARENT, false, false, true },
		{ "fake_pf_wdm", "10EE", NDIS_PARTITION_PARENT, false, true, true },
		{ "fake_vf", "10EF", NDIS_PARTITION_CHILD, true, false, false },
		{ "fake_vf_wdm", "10F0", NDIS_PARTITION_CHILD, true, true, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		struct ndis_framework *fw = test_framework(clean[i].partition);
		struct bus_double bus;
		struct vpci_double vpci;
		struct ndis_adapter_params p;
		struct ndis_adapter *ad;
		char id[64];

		fake_control(clean[i].driver);
		bus_double_init(&bus);
		vpci_double_init(&vpci, 5);
		snprintf(id, sizeof(id), HWID("%s"), clean[i].dev);
		memset(&p, 0, sizeof(p));
		p.name = "nic";
		p.hardware_id = id;
		p.bus = &bus_double_ops;
		p.bus_ctx = &bus;
		p.over_vbd = clean[i].over_vbd;
		if (clean[i].vpci) {
			p.vpci = &vpci_double_ops;
			p.vpci_ctx = &vpci;
		}
		assert_int_equal(ndis_adapter_create(fw, &p, &ad), 0);
		if (clean[i].vf_config)
			read_vf_config(ad);
		exercise(ad);
		if (clean[i].vpci)
			assert_int_equal(ndis_adapter_vf_config_invalidated(ad, 1), 0);
		ndis_adapter_destroy(ad);
		if (ndis_framework_finding_count(fw))
			fail_msg("%s: %s: %s", clean[i].driver, ndis_framework_finding_at(fw, 0)->id,
				 ndis_framework_finding_at(fw, 0)->evidence);
		ndis_framework_destroy(fw);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_mutant_raises_its_rule),
		cmocka_unit_test(test_findings_are_traced_and_cleared),
		cmocka_unit_test(test_vf_refuses_parent_partition),
		cmocka_unit_test(test_clean_drivers_raise_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
