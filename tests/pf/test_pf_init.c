/*
 * drivers/srnic_pf initialization (spec 2.1, 2.2) on the emulated host:
 * the PF checks it is in the parent partition, reads the SR-IOV keywords the
 * *SriovPreferred / *RssOrVmqPreference table says (and no others), reports
 * hardware SR-IOV / NIC-switch / receive-filter capabilities always and
 * current ones only with SR-IOV enabled, derived from srnic (TotalVFs,
 * queue pairs, filters) within the rules of spec 2.1; NDIS then creates the
 * switch and the PF enables the VFs in srnic's SR-IOV capability; halt
 * deletes it again. *SRIOV = 0 leaves every SR-IOV OID NOT_SUPPORTED. Each
 * platform property pci.sys refuses VFs for leaves the PF up without a
 * switch. No test raises a verifier finding (pf_env_down checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "pf_env.h"

static bool read_keyword(struct pf_env *e, const char *kw)
{
	for (size_t i = 0; i < ndis_adapter_config_read_count(e->ad); i++)
		if (!strcmp(ndis_adapter_config_read_at(e->ad, i)->keyword, kw))
			return true;
	return false;
}

static uint32_t last_status_of(struct pf_env *e, uint32_t oid, bool *by_ndis)
{
	for (size_t i = ndis_adapter_oid_record_count(e->ad); i-- > 0;) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(e->ad, i);
		if (r->oid == oid) {
			if (by_ndis)
				*by_ndis = r->by_ndis;
			return r->status;
		}
	}
	fail_msg("OID 0x%x never issued", oid);
	return 0;
}

static void test_default_bring_up_and_halt(void **state)
{
	struct pf_env e;
	struct ndis_sriov_view v;
	NDIS_NIC_SWITCH_CAPABILITIES caps;
	NDIS_SRIOV_CAPABILITIES sc;
	NDIS_RECEIVE_FILTER_CAPABILITIES rc;
	NDIS_OID list[128];
	NDIS_OID_REQUEST r;
	size_t n;

	(void)state;
	pf_env_up(&e, NULL);
	assert_int_equal(e.create_rc, 0);
	assert_int_equal(ndis_adapter_state(e.ad), NDIS_ADAPTER_RUNNING);
	assert_string_equal(ndis_adapter_driver_name(e.ad), "srnic_pf");

	/* NDIS created the switch; the PF enabled 8 VFs (NicSwitches\0\*NumVFs). */
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.has_hw_sriov && v.has_cur_sriov);
	assert_int_equal(v.hw_sriov_caps, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT);
	assert_int_equal(v.cur_sriov_caps, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT);
	assert_true(v.has_hw_switch && v.has_cur_switch && v.switch_created && v.virtualization_enabled);
	assert_int_equal(v.num_vfs, 8);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_NUM_VF, 2), 8);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2),
			 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI);
	assert_int_equal(pcie_pf_num_vfs(pcibus_pf_function(e.bus)), 8);
	/* The switch is on, the default vPort keeps PF queue pair 0. */
	assert_int_equal(pf_reg(&e, SRNIC_REG_SW_CTRL), SRNIC_SW_CTRL_ENABLE);
	assert_int_equal(hw_vport_cfg(&e, 0), SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(0) |
					      SRNIC_VPORT_CFG_QP_FIRST(0) | SRNIC_VPORT_CFG_QP_NUM(1));
	assert_true(pf_cfg(&e, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);

	/* Hardware caps from srnic: TotalVFs 64, 4 + 64 x 2 queue pairs, 256 filters. */
	memset(&caps, 0, sizeof(caps));
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_HARDWARE_CAPABILITIES, &caps, 0,
				sizeof(caps), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(caps.Header.Revision, NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2);
	assert_int_equal(caps.MaxNumSwitches, 1);
	assert_int_equal(caps.MaxNumVFs, 64);
	assert_int_equal(caps.MaxNumVPorts, 65);
	assert_int_equal(caps.MaxNumQueuePairs, 4 + 64 * 2);
	assert_int_equal(caps.MaxNumQueuePairsPerNonDefaultVPort, 2);
	assert_int_equal(caps.MaxNumMacAddresses, 512);
	assert_int_equal(caps.NicSwitchCapabilities,
			 NDIS_NIC_SWITCH_CAPS_VLAN_SUPPORTED | NDIS_NIC_SWITCH_CAPS_SINGLE_VPORT_POOL);
	assert_int_equal(caps.NumTotalMacAddresses + caps.NumMacAddressesPerPort + caps.NumVlansPerPort, 0);
	/* Current caps: as many VFs as *NumVFs. */
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_CURRENT_CAPABILITIES, &caps, 0,
				sizeof(caps), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(caps.MaxNumVFs, 8);
	assert_true(caps.MaxNumVPorts >= caps.MaxNumVFs + 1 && caps.MaxNumQueuePairs >= caps.MaxNumVPorts &&
		    caps.MaxNumMacAddresses >= caps.MaxNumVPorts);
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_SRIOV_CURRENT_CAPABILITIES, &sc, 0,
				sizeof(sc), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(sc.SriovCapabilities, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT);
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_RECEIVE_FILTER_CURRENT_CAPABILITIES, &rc, 0,
				sizeof(rc), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(rc.EnabledFilterTypes, NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED);
	assert_int_equal(rc.NumQueues, 0);	/* SR-IOV, not VMQ (spec 2.1) */
	assert_int_equal(rc.SupportedMacHeaderFields,
			 NDIS_RECEIVE_FILTER_MAC_HEADER_DEST_ADDR_SUPPORTED | NDIS_RECEIVE_FILTER_MAC_HEADER_VLAN_ID_SUPPORTED);
	assert_int_equal(rc.MaxMacHeaderFilters, 512);

	/* Keywords: the SR-IOV row of the table, never RSS or VMQ. */
	assert_true(read_keyword(&e, "*SriovPreferred"));
	assert_true(read_keyword(&e, "*RssOrVmqPreference"));
	assert_true(read_keyword(&e, "*SRIOV"));
	assert_true(read_keyword(&e, "*VMQVlanFiltering"));
	assert_true(read_keyword(&e, "NicSwitches\\0\\*NumVFs"));
	assert_false(read_keyword(&e, "*RSS"));
	assert_false(read_keyword(&e, "*VMQ"));

	/* Every P OID of spec 3.2 is in the supported list. */
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_GEN_SUPPORTED_LIST, list, 0, sizeof(list), &r),
			 ST(NDIS_STATUS_SUCCESS));
	n = r.DATA.QUERY_INFORMATION.BytesWritten / sizeof(NDIS_OID);
	{
		static const NDIS_OID p_oids[] = {
			OID_NIC_SWITCH_CREATE_SWITCH, OID_NIC_SWITCH_PARAMETERS, OID_NIC_SWITCH_DELETE_SWITCH,
			OID_NIC_SWITCH_CREATE_VPORT, OID_NIC_SWITCH_VPORT_PARAMETERS, OID_NIC_SWITCH_DELETE_VPORT,
			OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_FREE_VF, OID_SRIOV_READ_VF_CONFIG_SPACE,
			OID_SRIOV_WRITE_VF_CONFIG_SPACE, OID_SRIOV_READ_VF_CONFIG_BLOCK, OID_SRIOV_WRITE_VF_CONFIG_BLOCK,
			OID_SRIOV_RESET_VF, OID_SRIOV_SET_VF_POWER_STATE, OID_SRIOV_VF_VENDOR_DEVICE_ID,
			OID_SRIOV_PROBED_BARS, OID_SRIOV_BAR_RESOURCES, OID_RECEIVE_FILTER_SET_FILTER,
			OID_RECEIVE_FILTER_CLEAR_FILTER, OID_RECEIVE_FILTER_MOVE_FILTER,
		};
		for (size_t i = 0; i < sizeof(p_oids) / sizeof(p_oids[0]); i++) {
			bool found = false;
			for (size_t k = 0; k < n; k++)
				found |= list[k] == p_oids[i];
			assert_true(found);
		}
	}

	/* Halt: NDIS's DELETE_SWITCH turns the VFs off again. */
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(last_status_of(&e, OID_NIC_SWITCH_DELETE_SWITCH, NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & (PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE), 0);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_NUM_VF, 2), 0);
	assert_int_equal(pf_reg(&e, SRNIC_REG_SW_CTRL), 0);
	/* ... and a restart brings them back. */
	assert_int_equal(ndis_adapter_start(e.ad), 0);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.switch_created);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_NUM_VF, 2), 8);
	pf_env_down(&e);
}

/* OIDs a PF with *SRIOV = 0 must refuse, as the one who refuses them. */
struct oid_case {
	NDIS_OID oid;
	NDIS_REQUEST_TYPE type;
	bool ndis_answers;	/* NDIS knows there is no switch / no caps */
};

static void test_sriov_disabled(void **state)
{
	static const struct ndis_keyword kw[] = { { "*SRIOV", "0" } };
	static const struct oid_case cases[] = {
		{ OID_SRIOV_READ_VF_CONFIG_SPACE, NdisRequestMethod, false },
		{ OID_SRIOV_WRITE_VF_CONFIG_SPACE, NdisRequestSetInformation, false },
		{ OID_SRIOV_READ_VF_CONFIG_BLOCK, NdisRequestMethod, false },
		{ OID_SRIOV_WRITE_VF_CONFIG_BLOCK, NdisRequestSetInformation, false },
		{ OID_SRIOV_RESET_VF, NdisRequestSetInformation, false },
		{ OID_SRIOV_SET_VF_POWER_STATE, NdisRequestSetInformation, false },
		{ OID_SRIOV_VF_VENDOR_DEVICE_ID, NdisRequestMethod, false },
		{ OID_NIC_SWITCH_PARAMETERS, NdisRequestSetInformation, false },
		{ OID_NIC_SWITCH_ALLOCATE_VF, NdisRequestMethod, true },
		{ OID_NIC_SWITCH_FREE_VF, NdisRequestSetInformation, true },
		{ OID_NIC_SWITCH_CREATE_VPORT, NdisRequestMethod, true },
		{ OID_NIC_SWITCH_DELETE_VPORT, NdisRequestSetInformation, true },
		{ OID_RECEIVE_FILTER_SET_FILTER, NdisRequestMethod, true },
		{ OID_SRIOV_HARDWARE_CAPABILITIES, NdisRequestQueryInformation, true },
	};
	struct pf_opts o = { .keywords = kw, .n_keywords = 1 };
	struct ndis_sriov_view v;
	uint8_t buf[2048];
	struct pf_env e;

	(void)state;
	pf_env_up(&e, &o);
	assert_int_equal(e.create_rc, 0);
	ndis_adapter_sriov_view(e.ad, &v);
	/* Hardware caps still reported (spec 2.1 items 4-6), current ones not. */
	assert_true(v.has_hw_sriov && v.has_hw_switch);
	assert_false(v.has_cur_sriov || v.has_cur_switch || v.switch_created || v.virtualization_enabled);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
	assert_int_equal(pf_reg(&e, SRNIC_REG_SW_CTRL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t want = ST(NDIS_STATUS_NOT_SUPPORTED);

		/* Well-formed buffers, so only "SR-IOV is off" can fail them. */
		memset(buf, 0, sizeof(buf));
		pf_hdr(buf, 1, 1000);
		if (cases[i].oid == OID_SRIOV_HARDWARE_CAPABILITIES) {
			/* Reported: the query succeeds. */
			want = ST(NDIS_STATUS_SUCCESS);
		}
		assert_int_equal(pf_oid(&e, &pf_vmsp, cases[i].type, cases[i].oid, buf, 1200, 1200, NULL), want);
		assert_int_equal(pf_reached_miniport(&e), !cases[i].ndis_answers);
	}
	/* The NDIS-only ones, as NDIS asks them. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestQueryInformation, OID_SRIOV_PROBED_BARS, buf, 0, 64, NULL),
			 ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_true(pf_reached_miniport(&e));
	pf_hdr(buf, 1, 12);
	assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestMethod, OID_SRIOV_BAR_RESOURCES, buf, 64, 64, NULL),
			 ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_true(pf_reached_miniport(&e));
	pf_hdr(buf, 1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
	((NDIS_NIC_SWITCH_PARAMETERS *)buf)->SwitchType = NdisNicSwitchTypeExternal;
	assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, buf, 600, 600, NULL),
			 ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_true(pf_reached_miniport(&e));
	pf_env_down(&e);
}

/* The decision table of spec 2.2, row by row. */
struct row {
	const char *preferred, *rss_or_vmq, *sriov, *vmq, *rss;
	bool sriov_on;
	bool reads_sriov, reads_vmq, reads_rss;
};

static void test_preference_table(void **state)
{
	static const struct row rows[] = {
		{ "1", "1", "1", "1", NULL, true, true, true, false },
		{ "1", "1", "0", "1", NULL, false, true, true, false },
		{ "1", "0", "0", "0", NULL, false, true, false, false },
		{ "1", "0", "1", NULL, NULL, true, true, false, false },
		{ "0", "1", "1", "1", NULL, false, false, true, false },
		{ "0", "1", "1", "0", NULL, false, false, true, false },
		{ "0", "0", "1", NULL, "1", false, false, false, true },
		{ "0", "0", "1", NULL, "0", false, false, false, true },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct ndis_keyword kw[5];
		struct pf_opts o = { .keywords = kw };
		struct ndis_sriov_view v;
		struct pf_env e;

		kw[o.n_keywords++] = (struct ndis_keyword){ "*SriovPreferred", r->preferred };
		kw[o.n_keywords++] = (struct ndis_keyword){ "*RssOrVmqPreference", r->rss_or_vmq };
		kw[o.n_keywords++] = (struct ndis_keyword){ "*SRIOV", r->sriov };
		if (r->vmq)
			kw[o.n_keywords++] = (struct ndis_keyword){ "*VMQ", r->vmq };
		if (r->rss)
			kw[o.n_keywords++] = (struct ndis_keyword){ "*RSS", r->rss };
		pf_env_up(&e, &o);
		assert_int_equal(e.create_rc, 0);
		ndis_adapter_sriov_view(e.ad, &v);
		print_message("row %zu: *SriovPreferred %s *RssOrVmqPreference %s *SRIOV %s\n", i, r->preferred,
			      r->rss_or_vmq, r->sriov);
		assert_int_equal(v.has_cur_sriov, r->sriov_on);
		assert_int_equal(v.switch_created, r->sriov_on);
		assert_true(v.has_hw_sriov);
		assert_int_equal(read_keyword(&e, "*SRIOV"), r->reads_sriov);
		assert_int_equal(read_keyword(&e, "*VMQVlanFiltering"), r->reads_sriov);
		assert_int_equal(read_keyword(&e, "*VMQ"), r->reads_vmq);
		assert_int_equal(read_keyword(&e, "*RSS"), r->reads_rss);
		pf_env_down(&e);
	}
}

/* VLAN filtering off: current caps drop VLAN support, filters with a VLAN are refused. */
static void test_vlan_filtering_off(void **state)
{
	static const struct ndis_keyword kw[] = { { "*VMQVlanFiltering", "0" } };
	struct pf_opts o = { .keywords = kw, .n_keywords = 1 };
	NDIS_NIC_SWITCH_CAPABILITIES caps;
	NDIS_RECEIVE_FILTER_CAPABILITIES rc;
	struct pf_env e;

	(void)state;
	pf_env_up(&e, &o);
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_CURRENT_CAPABILITIES, &caps, 0,
				sizeof(caps), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(caps.NicSwitchCapabilities & NDIS_NIC_SWITCH_CAPS_VLAN_SUPPORTED, 0);
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_RECEIVE_FILTER_CURRENT_CAPABILITIES, &rc, 0,
				sizeof(rc), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(rc.SupportedMacHeaderFields, NDIS_RECEIVE_FILTER_MAC_HEADER_DEST_ADDR_SUPPORTED);
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestQueryInformation, OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES, &rc, 0,
				sizeof(rc), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_true(rc.SupportedMacHeaderFields & NDIS_RECEIVE_FILTER_MAC_HEADER_VLAN_ID_SUPPORTED);
	pf_env_down(&e);
}

static void test_num_vfs_keyword(void **state)
{
	static const struct ndis_keyword none[] = { { "NicSwitches\\0\\*NumVFs", "0" } };
	static const struct ndis_keyword many[] = { { "NicSwitches\\0\\*NumVFs", "100" } };
	static const struct ndis_keyword all[] = { { "NicSwitches\\0\\*NumVFs", "64" } };
	struct ndis_sriov_view v;
	struct pf_opts o;
	struct pf_env e;
	bool by_ndis;

	(void)state;
	/* 0 VFs: a switch for PF vPorts, no virtualization. */
	o = (struct pf_opts){ .keywords = none, .n_keywords = 1 };
	pf_env_up(&e, &o);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.switch_created);
	assert_false(v.virtualization_enabled);
	assert_int_equal(pcibus_pf_enable_calls(e.bus), 0);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
	pf_env_down(&e);
	/* More than TotalVFs: MaxNumVFs is 64 and CREATE_SWITCH(100) is refused. */
	o = (struct pf_opts){ .keywords = many, .n_keywords = 1 };
	pf_env_up(&e, &o);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_false(v.switch_created);
	assert_int_equal(last_status_of(&e, OID_NIC_SWITCH_CREATE_SWITCH, &by_ndis), ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_false(by_ndis);
	pf_env_down(&e);
	/* All 64. */
	o = (struct pf_opts){ .keywords = all, .n_keywords = 1 };
	pf_env_up(&e, &o);
	assert_int_equal(pcie_pf_num_vfs(pcibus_pf_function(e.bus)), 64);
	pf_env_down(&e);
}

/* Each platform property that makes the bus refuse VFs shows in the PF's bring-up. */
static void test_platform_refusals(void **state)
{
	(void)state;

	for (unsigned i = 0; i < 6; i++) {
		struct pcie_host *tmp = pcie_host_create();
		struct ndis_sriov_view v;
		struct pcie_platform p;
		struct pf_opts o = { .platform = &p };
		struct pf_env e;
		bool by_ndis;
		uint8_t buf[NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1];

		pcie_host_get_platform(tmp, &p);
		pcie_host_destroy(tmp);
		switch (i) {
		case 0: p.osc_pcie_control = false; break;
		case 1: p.dma_remapping = false; break;
		case 2: p.interrupt_remapping = false; break;
		case 3: p.acs_root_port = false; break;
		case 4: p.bus_numbers = 0; break;
		case 5: p.vf_bar_space = 0x1000; break;
		}
		pf_env_up(&e, &o);
		/* The PF is up, with its hardware and current caps ... */
		assert_int_equal(e.create_rc, 0);
		assert_int_equal(ndis_adapter_state(e.ad), NDIS_ADAPTER_RUNNING);
		ndis_adapter_sriov_view(e.ad, &v);
		assert_true(v.has_hw_sriov && v.has_cur_sriov);
		/* ... but NdisMEnableVirtualization failed, so CREATE_SWITCH did. */
		assert_int_equal(last_status_of(&e, OID_NIC_SWITCH_CREATE_SWITCH, &by_ndis), ST(NDIS_STATUS_FAILURE));
		assert_false(by_ndis);
		assert_int_equal(pcibus_pf_last_refusal(e.bus), -ENOTSUP);
		assert_false(v.switch_created || v.virtualization_enabled);
		assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
		assert_int_equal(pf_reg(&e, SRNIC_REG_SW_CTRL), 0);
		/* No switch, so no VF to allocate. */
		memset(buf, 0, sizeof(buf));
		pf_hdr(buf, 1, sizeof(buf));
		assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, buf, sizeof(buf),
					sizeof(buf), NULL), ST(NDIS_STATUS_NOT_SUPPORTED));
		pf_env_down(&e);
	}
}

/* Set-NetAdapterAdvancedProperty *SRIOV 0, restart, and back: the switch follows. */
static void test_advanced_page_toggle(void **state)
{
	struct ndis_sriov_view v;
	char err[128];
	struct pf_env e;

	(void)state;
	pf_env_up(&e, NULL);
	assert_int_equal(ndis_adapter_set_keyword(e.ad, "*SRIOV", "2", err, sizeof(err)), -EINVAL);	/* not in the enum */
	assert_int_equal(ndis_adapter_set_keyword(e.ad, "*SRIOV", "0", err, sizeof(err)), 0);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_start(e.ad), 0);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_false(v.has_cur_sriov || v.switch_created);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
	assert_int_equal(ndis_adapter_set_keyword(e.ad, "*SRIOV", "1", err, sizeof(err)), 0);
	assert_int_equal(ndis_adapter_set_keyword(e.ad, "NicSwitches\\0\\*NumVFs", "4", err, sizeof(err)), 0);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_start(e.ad), 0);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.has_cur_sriov && v.switch_created);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_NUM_VF, 2), 4);
	pf_env_down(&e);
}

/*
 * F12: the same driver from a package whose [.HW] section lacks
 * Needs=PciSriovSupported.HW. pci.sys reserved nothing for VFs, so the
 * PF's NdisMEnableVirtualization fails and CREATE_SWITCH with it; the
 * verifier names the package (a finding against the INF, not the driver).
 */
static void test_inf_without_needs(void **state)
{
	char inf[] = "/tmp/srnic_pf_noneeds_XXXXXX";
	struct pcie_host *host = pcie_host_create();
	struct srnic *nic = srnic_create(host, 3, 0);
	struct ndis_framework *fw = ndis_framework_create("host", NDIS_PARTITION_PARENT);
	struct ndis_adapter_params p;
	struct ndis_adapter *ad;
	struct ndis_sriov_view v;
	struct pcibus_pf *bus;
	char line[512], err[256];
	FILE *in, *out;
	int fd;

	(void)state;
	fd = mkstemp(inf);
	assert_true(fd >= 0);
	out = fdopen(fd, "w");
	in = fopen(SRNIC_PF_DIR "/srnic_pf.inf", "r");
	assert_non_null(out);
	assert_non_null(in);
	while (fgets(line, sizeof(line), in))
		if (strncmp(line, "Needs", 5) != 0)
			fputs(line, out);
	fclose(in);
	fclose(out);
	assert_int_equal(pcie_host_assign_bars(host), 0);
	assert_int_equal(pcibus_pf_create(host, PCIE_RID(3, 0, 0), &bus), 0);
	if (ndis_framework_install_inf(fw, inf, SRNIC_PF_DIR, err, sizeof(err)))
		fail_msg("%s", err);
	memset(&p, 0, sizeof(p));
	p.name = "no Needs";
	p.hardware_id = PF_HWID;
	p.bus = &pcibus_ndis_ops;
	p.bus_ctx = bus;
	assert_int_equal(ndis_adapter_create(fw, &p, &ad), 0);
	ndis_adapter_sriov_view(ad, &v);
	assert_true(v.has_cur_sriov);
	assert_false(v.switch_created || v.virtualization_enabled);
	assert_int_equal(pcibus_pf_enable_calls(bus), 0);	/* NDIS refused before the bus */
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_PF_INF_NEEDS), 1);
	assert_int_equal(ndis_framework_finding_count(fw), 1);
	ndis_framework_destroy(fw);
	unlink(inf);
	pcibus_pf_destroy(bus);
	srnic_destroy(nic);
	pcie_host_destroy(host);
}

/* Outside the parent partition the driver is a plain NIC: no SR-IOV caps at all. */
static void test_not_parent(void **state)
{
	static const enum ndis_partition parts[] = { NDIS_PARTITION_CHILD, NDIS_PARTITION_NONE };
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		struct pf_opts o = { .partition_set = true, .partition = parts[i] };
		struct ndis_sriov_view v;
		struct pf_env e;

		pf_env_up(&e, &o);
		assert_int_equal(e.create_rc, 0);
		ndis_adapter_sriov_view(e.ad, &v);
		assert_false(v.has_hw_sriov || v.has_cur_sriov || v.has_hw_switch || v.switch_created);
		assert_false(read_keyword(&e, "*SRIOV"));
		pf_env_down(&e);
	}
}

/* The driver's WPP-shaped trace lands in the one logger as drv.srnic_pf. */
static void test_trace_provider(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pf_env e;

	(void)state;
	log_set_stream(f);
	pf_env_up(&e, NULL);
	pf_env_down(&e);
	log_set_stream(NULL);
	fclose(f);
	assert_non_null(strstr(buf, "[drv.srnic_pf]MPInitializeEx: PF up: SR-IOV enabled, TotalVFs 64, VFs offered 8"));
	assert_non_null(strstr(buf, "[drv.srnic_pf]MPCreateSwitch: default switch created with 8 VFs"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_bring_up_and_halt),
		cmocka_unit_test(test_sriov_disabled),
		cmocka_unit_test(test_preference_table),
		cmocka_unit_test(test_vlan_filtering_off),
		cmocka_unit_test(test_num_vfs_keyword),
		cmocka_unit_test(test_advanced_page_toggle),
		cmocka_unit_test(test_inf_without_needs),
		cmocka_unit_test(test_platform_refusals),
		cmocka_unit_test(test_not_parent),
		cmocka_unit_test(test_trace_provider),
	};
	log_configure("*=warn,drv.*=info", NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
