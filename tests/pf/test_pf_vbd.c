/*
 * The srnic PF miniport over srnic_vbd in the parent partition
 * (ndis-sriov-spec.md 6.4, 1.1 row 14): the stack PCI PDO (pci_pdo.c) ->
 * srnic_vbd FDO, SRNICVBD\PF -> NDIS's FDO -> srnic_pf as an NDIS-WDM
 * miniport. The PF initializes with no verifier findings, the NIC switch's
 * VFs are enabled by the VBD through GUID_PCI_VIRTUALIZATION_INTERFACE
 * (NDIS never enabled virtualization), VF allocation (RID), VF config space
 * and the probed-BAR / BAR-resource OIDs work through the VBD -- the PCI
 * PDO counts the calls -- and the VbdBypass mutant, which calls
 * NdisMGetVirtualFunctionBusData while over the VBD, gets the documented
 * NDIS-VBD-PCI-VIRT finding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pf_env.h"

static const struct pf_opts over_vbd = { .over_vbd = true };
static const uint8_t vm_mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x01 };

static uint32_t cfg_space(struct pf_env *e, NDIS_REQUEST_TYPE type, uint16_t vf, uint32_t off, void *data,
			  uint32_t len)
{
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p;
		uint8_t data[64];
	} b;
	uint32_t st, total = (uint32_t)offsetof(__typeof__(b), data) + len;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, 1, NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.Offset = off;
	b.p.Length = len;
	b.p.BufferOffset = offsetof(__typeof__(b), data);
	if (type == NdisRequestSetInformation) {
		memcpy(b.data, data, len);
		return pf_oid(e, &pf_vmsp, type, OID_SRIOV_WRITE_VF_CONFIG_SPACE, &b, total, 0, NULL);
	}
	st = pf_oid(e, &pf_vmsp, type, OID_SRIOV_READ_VF_CONFIG_SPACE, &b, sizeof(b.p), total, NULL);
	memcpy(data, b.data, len);
	return st;
}

static void test_init_over_vbd(void **state)
{
	struct pf_env e;
	struct ndis_sriov_view v;
	struct pci_pdo_stats st;
	struct guest_ndis_adapter_info info;
	struct pnp_devnode *child;

	(void)state;
	pf_env_up(&e, &over_vbd);
	assert_int_equal(e.create_rc, 0);
	assert_int_equal(ndis_adapter_state(e.ad), NDIS_ADAPTER_RUNNING);
	assert_string_equal(ndis_adapter_driver_name(e.ad), "srnic_pf");
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	/* The device tree: srnic_vbd on the PF's PCI PDO, NDIS on its child SRNICVBD\PF. */
	assert_int_equal(pnp_devnode_state(e.dn), PNP_DN_STARTED);
	assert_string_equal(pnp_devnode_service(e.dn), "srnic_vbd");
	assert_string_equal(pnp_devnode_hwid(e.dn, 0), PF_HWID);
	assert_int_equal(pnp_devnode_child_count(e.dn), 1);
	child = pnp_devnode_child_at(e.dn, 0);
	assert_string_equal(pnp_devnode_hwid(child, 0), "SRNICVBD\\PF");
	assert_int_equal(pnp_devnode_state(child), PNP_DN_STARTED);
	assert_int_equal(guest_ndis_adapter_info(e.gn, e.ad, &info), 0);
	assert_true(info.over_vbd);
	assert_ptr_equal(info.pdo, pnp_devnode_pdo(child));
	/* The switch exists with its VFs -- enabled by the VBD, not by NDIS. */
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.has_cur_sriov && v.switch_created);
	assert_int_equal(v.num_vfs, 8);
	assert_false(v.virtualization_enabled);
	assert_true(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_NUM_VF, 2), 8);
	st = pf_pci_virt_stats(&e);
	assert_int_equal(st.interface_queries, 1);
	assert_int_equal(st.refs, 1);	/* the VBD's reference */
	assert_int_equal(st.enable, 1);
	assert_true(st.config_irps > 0);	/* NdisMGetBusData went down the stack */

	/* Halt: NDIS's DELETE_SWITCH, the VBD disables the VFs. */
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(pf_pci_virt_stats(&e).enable, 2);
	assert_false(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE);
	/* ... and initialize again on the same stack. */
	assert_int_equal(ndis_adapter_start(e.ad), 0);
	assert_int_equal(pf_pci_virt_stats(&e).enable, 3);
	assert_true(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE);
	pf_env_down(&e);	/* no finding anywhere */
}

static void test_vf_oids_over_vbd(void **state)
{
	struct pf_env e;
	struct pci_pdo_stats st0, st;
	uint32_t rid;
	uint16_t vf, w;
	uint8_t b[4];

	(void)state;
	pf_env_up(&e, &over_vbd);
	st0 = pf_pci_virt_stats(&e);
	/* ALLOCATE_VF: the RID through the VBD's GetLocation (03:01.0, VF offset 8). */
	vf = pf_allocate_vf(&e, vm_mac, &rid);
	assert_int_equal(vf, 0);
	assert_int_equal(rid, NDIS_MAKE_RID(0, 3, 8));
	st = pf_pci_virt_stats(&e);
	assert_true(st.get_location > st0.get_location);

	/* VF config space, read and written through GetVirtualFunctionData / SetVirtualFunctionData. */
	assert_int_equal(cfg_space(&e, NdisRequestMethod, vf, PCI_CLASS_DEVICE, b, 2), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(b[0] | b[1] << 8, PCI_CLASS_NETWORK_ETHERNET);
	w = PCI_COMMAND_MASTER;
	assert_int_equal(cfg_space(&e, NdisRequestSetInformation, vf, PCI_COMMAND, &w, 2), ST(NDIS_STATUS_SUCCESS));
	assert_true(vf_cfg(&e, vf, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	st = pf_pci_virt_stats(&e);
	assert_true(st.get_data > st0.get_data);
	assert_true(st.set_data > st0.set_data);

	/* The probed VF BARs and a VF BAR's resources, through GetVirtualFunctionProbedBars. */
	{
		struct {
			NDIS_SRIOV_PROBED_BARS_INFO i;
			uint32_t bars[6];
		} pb;

		memset(&pb, 0, sizeof(pb));
		assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestQueryInformation, OID_SRIOV_PROBED_BARS, &pb, 0, 32, NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(pb.bars[0], 0xffffc00cu);
		assert_int_equal(pb.bars[1], 0xffffffffu);
		assert_int_equal(pb.bars[4], 0);
	}
	{
		struct {
			NDIS_SRIOV_BAR_RESOURCES_INFO i;
			CM_PARTIAL_RESOURCE_DESCRIPTOR d;
		} br;
		CM_PARTIAL_RESOURCE_DESCRIPTOR d;

		memset(&br, 0, sizeof(br));
		pf_hdr(&br.i, 1, NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1);
		br.i.VFId = vf;
		br.i.BarIndex = 0;
		br.i.BarResourcesOffset = offsetof(__typeof__(br), d);
		assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestMethod, OID_SRIOV_BAR_RESOURCES, &br, sizeof(br.i), sizeof(br),
					NULL), ST(NDIS_STATUS_SUCCESS));
		memcpy(&d, &br.d, sizeof(d));
		assert_int_equal(d.Type, CmResourceTypeMemory);
		assert_int_equal((uint64_t)d.u.Memory.Start.QuadPart, pcie_fn_bar_addr(srnic_function(e.nic, 1), 0));
		assert_int_equal(d.u.Memory.Length, pcie_fn_bar_size(srnic_function(e.nic, 1), 0));
	}
	st = pf_pci_virt_stats(&e);
	assert_true(st.probed_bars >= st0.probed_bars + 2);
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	/* NDIS's own PCI virtualization path was never taken: no finding, and NDIS never enabled VFs. */
	assert_int_equal(ndis_framework_findings_of(e.fw, NDIS_RULE_VBD_PCI_VIRT), 0);
	pf_env_down(&e);
}

/* The mutant: VbdBypass = 1 reads VF config space with NdisMGetVirtualFunctionBusData over the VBD. */
static void test_bypass_mutant_finding(void **state)
{
	static const struct ndis_keyword kw[] = { { "VbdBypass", "1" } };
	const struct pf_opts o = { .over_vbd = true, .keywords = kw, .n_keywords = 1 };
	const struct ndis_finding *f;
	struct pf_env e;
	uint16_t vf;
	uint8_t b[4];

	(void)state;
	pf_env_up(&e, &o);
	assert_int_equal(e.create_rc, 0);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	vf = pf_allocate_vf(&e, vm_mac, NULL);
	assert_int_equal(cfg_space(&e, NdisRequestMethod, vf, PCI_CLASS_DEVICE, b, 2), ST(NDIS_STATUS_FAILURE));
	assert_int_equal(ndis_framework_findings_of(e.fw, NDIS_RULE_VBD_PCI_VIRT), 1);
	f = ndis_framework_finding_at(e.fw, 0);
	assert_string_equal(f->id, "NDIS-VBD-PCI-VIRT");
	assert_string_equal(f->driver, "srnic_pf");
	assert_non_null(strstr(f->evidence, "NdisMGetVirtualFunctionBusData"));
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	ndis_framework_clear_findings(e.fw);
	pf_env_down(&e);
}

/* Direct mode is unchanged: the same driver on the PCI bus driver enables VFs with NDIS. */
static void test_direct_unchanged(void **state)
{
	struct pf_env e;
	struct ndis_sriov_view v;

	(void)state;
	pf_env_up(&e, NULL);
	assert_int_equal(e.create_rc, 0);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.switch_created && v.virtualization_enabled);
	assert_int_equal(v.enabled_vfs, 8);
	pf_env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_over_vbd),
		cmocka_unit_test(test_vf_oids_over_vbd),
		cmocka_unit_test(test_bypass_mutant_finding),
		cmocka_unit_test(test_direct_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
