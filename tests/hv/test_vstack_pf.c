/*
 * The virtualization stack against the reference PF miniport
 * (drivers/srnic_pf, the built-in driver) on pcibus over srnic, from lab
 * text: the documented bring-up and teardown orders in the adapter's OID
 * history, and their effect where it lands -- srnic's SR-IOV capability,
 * its vPort and receive-filter registers, read through the host bus as a
 * driver reads MMIO. Covers pool exhaustion with the real driver (*NumVFs
 * 2, three IOV adapters), a live IovWeight change handing the freed VF to
 * the waiting adapter, *SRIOV = 0 at run time, Stop-VM cleaning the
 * device up, and the PF miniport on srnic_vbd ([nic] vbd, spec 6.4).
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

#include "base/log.h"
#include "hv/host.h"
#include "lab/lab.h"
#include "pcie/pcie.h"
#include "wire/srnic_regs.h"

#define ST_OK ((uint32_t)NDIS_STATUS_SUCCESS)

struct env {
	struct lab *lab;
	struct hv_host *h;
	struct hv_nic *pf;
	struct ndis_adapter *ad;
	size_t mark;
};

static void env_up(struct env *e)
{
	static const char text[] =
		"[nic pf0]\ndriver = srnic_pf\n"
		"[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n*NumVFs = 2\n"
		"[vmswitch ext]\niov = true\n"
		"[vm vm1]\n[vm vm2]\n[vm vm3]\n"
		"[vmnetworkadapter vm1]\nmac = 00155D0A1B01\niov_weight = 100\n"
		"[vmnetworkadapter vm2]\nmac = 00155D0A1B02\niov_weight = 100\n"
		"[vmnetworkadapter vm3]\nmac = 00155D0A1B03\niov_weight = 100\nvlan = 7\n";
	struct hv_host_options opt = { .builtin_driver_dir = DRIVERS_BUILDDIR };
	char err[256];

	memset(e, 0, sizeof(*e));
	if (lab_load_string(text, "pf.lab", &e->lab, err, sizeof(err)))
		fail_msg("%s", err);
	if (hv_host_create(e->lab, &opt, &e->h, err, sizeof(err)))
		fail_msg("%s", err);
	e->pf = hv_host_nic_find(e->h, "pf0");
	if (hv_nic_state(e->pf) != HV_NIC_RUNNING)
		fail_msg("srnic_pf did not come up: %s", hv_host_note_count(e->h) ? hv_host_note_at(e->h, 0) : "?");
	e->ad = hv_nic_adapter(e->pf);
}

static void env_down(struct env *e)
{
	hv_host_destroy(e->h);
	lab_free(e->lab);
}

static struct vstack_vmnic *nic(struct env *e, const char *name)
{
	struct vstack_vmnic *n = vstack_vmnic_find(hv_host_vstack(e->h), name);

	assert_non_null(n);
	return n;
}

/* ---- srnic's registers, through the host bus ---------------------------------------- */
static uint64_t bar0(struct env *e)
{
	return pcie_fn_bar_addr(hv_nic_function(e->pf), SRNIC_BAR_REGS);
}

static uint32_t rd(struct env *e, uint32_t off)
{
	uint32_t v = 0;

	assert_int_equal(pcie_host_mmio_read32(hv_host_pcie(e->h), bar0(e) + off, &v), 0);
	return v;
}

static void wr(struct env *e, uint32_t off, uint32_t v)
{
	assert_int_equal(pcie_host_mmio_write32(hv_host_pcie(e->h), bar0(e) + off, v), 0);
}

static uint32_t vport_cfg(struct env *e, unsigned vport)
{
	wr(e, SRNIC_REG_VPORT_SEL, vport);
	return rd(e, SRNIC_REG_VPORT_CFG);
}

/* The vPort srnic steers mac (+vlan) to, or -1 when no valid filter has it. */
static int filter_vport(struct env *e, const uint8_t mac[6], uint16_t vlan)
{
	uint32_t lo = (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24;
	uint32_t hi = (uint32_t)mac[4] | (uint32_t)mac[5] << 8;

	for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++) {
		uint32_t cfg;

		wr(e, SRNIC_REG_FILTER_SEL, i);
		cfg = rd(e, SRNIC_REG_FILTER_CFG);
		if (!(cfg & SRNIC_FILTER_CFG_VALID) || rd(e, SRNIC_REG_FILTER_MAC_LO) != lo ||
		    rd(e, SRNIC_REG_FILTER_MAC_HI) != hi)
			continue;
		if (vlan && (!(cfg & SRNIC_FILTER_CFG_VLAN_EN) || SRNIC_FILTER_CFG_GET_VLAN(cfg) != vlan))
			continue;
		return (int)SRNIC_FILTER_CFG_GET_VPORT(cfg);
	}
	return -1;
}

static const uint8_t mac1[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x01 }, mac2[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x02 },
		     mac3[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x03 };

/* ---- the OID history ------------------------------------------------------------------ */
static void expect_sent(struct env *e, const uint32_t *want, size_t nwant)
{
	size_t total = ndis_adapter_oid_record_count(e->ad), n = 0;

	for (size_t i = e->mark; i < total; i++) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(e->ad, i);

		if (strcmp(r->issuer, "VMSP") || r->by_ndis)
			continue;
		if (n >= nwant || r->oid != want[n])
			fail_msg("VMSP OID %zu: 0x%08x, want 0x%08x", n, r->oid, n < nwant ? want[n] : 0);
		if (r->status != ST_OK)
			fail_msg("VMSP OID %zu (0x%08x) failed: 0x%08x", n, r->oid, r->status);
		n++;
	}
	if (n != nwant)
		fail_msg("VMSP sent %zu OIDs to srnic_pf, want %zu", n, nwant);
	e->mark = total;
}

static void test_bringup_on_srnic(void **state)
{
	struct env e;
	struct vstack_vmnic *a, *b, *c;
	uint32_t cfg;

	(void)state;
	env_up(&e);
	a = nic(&e, "vm1");
	b = nic(&e, "vm2");
	c = nic(&e, "vm3");
	/* NDIS created the switch with *NumVFs 2; the driver enabled 2 VFs in the capability. */
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(e.pf)), 2);
	assert_int_equal(vstack_vmnic_vf_state(a), VSTACK_VF_OFFERED);
	assert_int_equal(vstack_vmnic_vf_state(b), VSTACK_VF_OFFERED);
	assert_int_equal(vstack_vmnic_vf_state(c), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_reason(c), VSTACK_IOV_POOL_VFS);
	assert_false(vstack_vmnic_datapath_active(a));

	/* The device: each VF's vPort valid and attached to VF n+1 (srnic numbers VFs from 1) ... */
	cfg = vport_cfg(&e, vstack_vmnic_vport_id(a));
	assert_true(cfg & SRNIC_VPORT_CFG_VALID);
	assert_int_equal(SRNIC_VPORT_CFG_GET_FUNC(cfg), vstack_vmnic_vf_id(a) + 1);
	assert_int_equal(SRNIC_VPORT_CFG_GET_QP_NUM(cfg), 1);
	cfg = vport_cfg(&e, vstack_vmnic_vport_id(b));
	assert_int_equal(SRNIC_VPORT_CFG_GET_FUNC(cfg), vstack_vmnic_vf_id(b) + 1);
	/* ... each MAC steered to its VF's vPort, and the synthetic one (with its VLAN) to the default vPort. */
	assert_int_equal(filter_vport(&e, mac1, 0), (int)vstack_vmnic_vport_id(a));
	assert_int_equal(filter_vport(&e, mac2, 0), (int)vstack_vmnic_vport_id(b));
	assert_int_equal(filter_vport(&e, mac3, 7), 0);

	/* Set-VMNetworkAdapter vm1 -IovWeight 0, live: the documented teardown, then vm3 gets the VF. */
	e.mark = ndis_adapter_oid_record_count(e.ad);
	{
		uint16_t old_vport = (uint16_t)vstack_vmnic_vport_id(a);
		const uint32_t want[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF, OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_CREATE_VPORT,
					  OID_RECEIVE_FILTER_MOVE_FILTER };

		assert_int_equal(vstack_vmnic_set_iov_weight(a, 0), 0);
		expect_sent(&e, want, sizeof(want) / sizeof(want[0]));
		assert_int_equal(vstack_vmnic_vf_state(a), VSTACK_VF_NONE);
		assert_int_equal(vstack_vmnic_vf_state(c), VSTACK_VF_OFFERED);
		assert_int_equal(filter_vport(&e, mac1, 0), 0);
		assert_int_equal(filter_vport(&e, mac3, 7), (int)vstack_vmnic_vport_id(c));
		/* The freed vPort may have been reused for vm3; otherwise it is gone from the device. */
		if (vstack_vmnic_vport_id(c) != old_vport)
			assert_int_equal(vport_cfg(&e, old_vport) & SRNIC_VPORT_CFG_VALID, 0);
	}

	/* Stop-VM: guest first (none runs), then filters back, vPort, FLR, VF, and the port's filter. */
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF, OID_RECEIVE_FILTER_CLEAR_FILTER };
		uint32_t vp = vstack_vmnic_vport_id(b);

		assert_int_equal(vstack_vm_stop(vstack_vm_find(hv_host_vstack(e.h), "vm2")), 0);
		expect_sent(&e, want, sizeof(want) / sizeof(want[0]));
		assert_int_equal(vport_cfg(&e, vp) & SRNIC_VPORT_CFG_VALID, 0);
		assert_int_equal(filter_vport(&e, mac2, 0), -1);
	}
	env_down(&e);
}

/* *SRIOV 0 while the lab runs: VFs given back in order, the PF restarts without a NIC switch. */
static void test_sriov_off_live(void **state)
{
	struct env e;
	char err[256];

	(void)state;
	env_up(&e);
	e.mark = ndis_adapter_oid_record_count(e.ad);
	assert_int_equal(hv_nic_set_keyword(e.h, e.pf, "*SRIOV", "0", err, sizeof(err)), 0);
	assert_int_equal(hv_nic_state(e.pf), HV_NIC_RUNNING);
	for (const char *const *n = (const char *const[]){ "vm1", "vm2", "vm3", NULL }; *n; n++) {
		assert_int_equal(vstack_vmnic_iov_usage(nic(&e, *n)), 0);
		assert_int_equal(vstack_vmnic_iov_reason(nic(&e, *n)), VSTACK_IOV_NO_NIC_SWITCH);
	}
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(e.pf)), 0);
	/* And back: the PF gets its switch again and the adapters their VFs. */
	assert_int_equal(hv_nic_set_keyword(e.h, e.pf, "*SRIOV", "1", err, sizeof(err)), 0);
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(e.pf)), 2);
	assert_int_equal(vstack_vmnic_iov_usage(nic(&e, "vm1")) + vstack_vmnic_iov_usage(nic(&e, "vm2")) +
				 vstack_vmnic_iov_usage(nic(&e, "vm3")), 2);
	env_down(&e);
}

/*
 * [nic] vbd = srnic_vbd: the same lab with the PF miniport on the VBD's
 * child (spec 6.4). The host builds PCI PDO -> srnic_vbd -> SRNICVBD\PF ->
 * NDIS -> srnic_pf; the VMs get their VFs, the VFs were enabled by the VBD
 * through GUID_PCI_VIRTUALIZATION_INTERFACE, and NDIS's verifier saw nothing.
 */
static void test_bringup_over_vbd(void **state)
{
	static const char text[] =
		"[nic pf0]\ndriver = srnic_pf\nvbd = srnic_vbd\n"
		"[keywords pf0]\n*NumVFs = 2\n"
		"[vmswitch ext]\niov = true\n"
		"[vm vm1]\n[vm vm2]\n"
		"[vmnetworkadapter vm1]\nmac = 00155D0A1B01\niov_weight = 100\n"
		"[vmnetworkadapter vm2]\nmac = 00155D0A1B02\niov_weight = 100\n";
	struct hv_host_options opt = { .builtin_driver_dir = DRIVERS_BUILDDIR };
	struct pci_pdo_stats st;
	struct ndis_sriov_view v;
	struct env e;
	char err[256];

	(void)state;
	memset(&e, 0, sizeof(e));
	if (lab_load_string(text, "vbd.lab", &e.lab, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(e.lab->nics[0].vbd, "srnic_vbd");
	if (hv_host_create(e.lab, &opt, &e.h, err, sizeof(err)))
		fail_msg("%s", err);
	e.pf = hv_host_nic_find(e.h, "pf0");
	if (hv_nic_state(e.pf) != HV_NIC_RUNNING)
		fail_msg("srnic_pf over srnic_vbd did not come up: %s",
			 hv_host_note_count(e.h) ? hv_host_note_at(e.h, 0) : "?");
	e.ad = hv_nic_adapter(e.pf);
	assert_string_equal(ndis_adapter_name(e.ad), "pf0");
	assert_non_null(hv_nic_devnode(e.pf));
	assert_string_equal(pnp_devnode_service(hv_nic_devnode(e.pf)), "srnic_vbd");
	assert_int_equal(hv_nic_sriov_support(e.h, e.pf), HV_SRIOV_SUPPORTED);
	/* The VFs: enabled by the VBD, handed to both VMs. */
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(e.pf)), 2);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.switch_created);
	assert_false(v.virtualization_enabled);	/* NDIS never called the PCI virtualization interface */
	assert_int_equal(vstack_vmnic_vf_state(nic(&e, "vm1")), VSTACK_VF_OFFERED);
	assert_int_equal(vstack_vmnic_vf_state(nic(&e, "vm2")), VSTACK_VF_OFFERED);
	assert_int_equal(filter_vport(&e, mac1, 0), (int)vstack_vmnic_vport_id(nic(&e, "vm1")));
	assert_int_equal(hv_nic_pci_virt_stats(e.h, e.pf, &st), 0);
	assert_int_equal(st.enable, 1);
	assert_int_equal(st.get_location, 2);	/* one RID per ALLOCATE_VF */
	assert_int_equal(ndis_framework_finding_count(hv_host_ndis(e.h)), 0);
	/* A keyword change restarts the adapter on the same stack. */
	assert_int_equal(hv_nic_set_keyword(e.h, e.pf, "*NumVFs", "1", err, sizeof(err)), 0);
	assert_int_equal(hv_nic_state(e.pf), HV_NIC_RUNNING);
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(e.pf)), 1);
	assert_int_equal(hv_nic_pci_virt_stats(e.h, e.pf, &st), 0);
	assert_int_equal(st.enable, 3);	/* disabled at halt, enabled again */
	assert_int_equal(ndis_framework_finding_count(hv_host_ndis(e.h)), 0);
	env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bringup_over_vbd),
		cmocka_unit_test(test_bringup_on_srnic),
		cmocka_unit_test(test_sriov_off_live),
	};

	log_configure(getenv("TLOG") ? getenv("TLOG") : "*=error", NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
