/*
 * The fault mechanisms one by one (docs/faults.md), below the labs that
 * tests/faults/run_labs.sh runs whole:
 *
 *   - src/hv/faults.c: every key's value check, OID:STATUS parsing, the
 *     target rules, FILE:LINE messages, what cannot be armed live, pnp_race
 *     refused, lookups by nic / vm / adapter, inject / clear;
 *   - srnic's SR-IOV geometry under the PCI bus driver's checks: VF Stride
 *     and bus numbers (F10), VF BAR size and VF BAR space (F11), no
 *     capability at all (F12), a geometry srnic cannot have refused;
 *   - the VF administrative link state in srnic's STATUS register (F27);
 *   - the reference PF miniport with the pf_fail_oid keywords: the OID
 *     fails with that status in NDIS's OID record and the adapter gets no VF
 *     (F20), and again after clear / inject restart it;
 *   - an LBFO team under the switch (F16): no VF, IovSupport False reason;
 *   - a VF offer the guest side refuses as not ready (F19): taken back,
 *     the event 236 reason, offered again once the VM is ready;
 *   - a PF restart with a VF assigned (F31): counted, the VF back after.
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
#include "hv/faults.h"
#include "hv/host.h"
#include "hw/srnic/srnic.h"
#include "lab/lab.h"
#include "ndis/names.h"
#include "pcie/pci_regs.h"
#include "pcie/pcie.h"
#include "wire/srnic_regs.h"

static struct lab *load(const char *text)
{
	struct lab *lab;
	char err[512];

	if (lab_load_string(text, "t.lab", &lab, err, sizeof(err)))
		fail_msg("lab: %s", err);
	return lab;
}

/* hv_faults_create's verdict on text: 0, or -EINVAL with the message checked for want. */
static void faults_refused(const char *text, const char *want)
{
	struct lab *lab = load(text);
	struct hv_faults *f = NULL;
	char err[512] = "";

	assert_int_equal(hv_faults_create(lab, &f, err, sizeof(err)), -EINVAL);
	assert_null(f);
	if (!strstr(err, want))
		fail_msg("message '%s' lacks '%s'", err, want);
	lab_free(lab);
}

/* ---- faults.c ---------------------------------------------------------------------- */
static void test_parse_oid(void **state)
{
	uint32_t oid = 0, st = 0, want;
	char err[256];

	(void)state;
	assert_int_equal(hv_fault_parse_oid("OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_RESOURCES", &oid, &st, err,
					    sizeof(err)), 0);
	assert_int_equal(ndis_oid_from_name("OID_NIC_SWITCH_ALLOCATE_VF", &want), 0);
	assert_int_equal(oid, want);
	assert_int_equal(st, 0xc000009au);	/* NDIS_STATUS_RESOURCES */
	assert_int_equal(hv_fault_parse_oid("0x00010255:0xc0000001", &oid, &st, err, sizeof(err)), 0);
	assert_int_equal(oid, 0x00010255u);
	assert_int_equal(st, 0xc0000001u);
	assert_int_equal(hv_fault_parse_oid("OID_NIC_SWITCH_ALLOCATE_VF", &oid, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not OID:STATUS"));
	assert_int_equal(hv_fault_parse_oid(":NDIS_STATUS_FAILURE", &oid, &st, err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_parse_oid("OID_NO_SUCH:NDIS_STATUS_FAILURE", &oid, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "OID_NO_SUCH"));
	assert_int_equal(hv_fault_parse_oid("OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_NOPE", &oid, &st, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(hv_fault_parse_oid("OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_SUCCESS", &oid, &st, err,
					    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "success"));
	assert_int_equal(hv_fault_parse_oid("0:0xc0000001", &oid, &st, err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_parse_oid("0x1ffffffff:0xc0000001", &oid, &st, err, sizeof(err)), -EINVAL);
}

static void test_values(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(hv_fault_kind_find("PF_FAIL_OID"), HV_FAULT_PF_FAIL_OID);
	assert_int_equal(hv_fault_kind_find("pf_fail"), -1);
	for (int k = 0; k < HV_FAULT_KIND_COUNT; k++)
		assert_int_equal(hv_fault_kind_find(hv_fault_kind_name((enum hv_fault_kind)k)), k);
	assert_null(hv_fault_kind_name(HV_FAULT_KIND_COUNT));
	assert_true(hv_fault_kind_live(HV_FAULT_PF_FAIL_OID));
	assert_true(hv_fault_kind_live(HV_FAULT_VF_LINK));
	assert_false(hv_fault_kind_live(HV_FAULT_PF_DRIVER_VARIANT));
	for (const char *const *v = hv_fault_pf_driver_variants; *v; v++)
		assert_int_equal(hv_fault_value_check(HV_FAULT_PF_DRIVER_VARIANT, *v, err, sizeof(err)), 0);
	for (const char *const *v = hv_fault_vf_driver_variants; *v; v++)
		assert_int_equal(hv_fault_value_check(HV_FAULT_VF_DRIVER_VARIANT, *v, err, sizeof(err)), 0);
	assert_int_equal(hv_fault_value_check(HV_FAULT_PF_DRIVER_VARIANT, "no-vf-caps", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no-sriov, prefers-vmq"));
	assert_int_equal(hv_fault_value_check(HV_FAULT_PF_INF_VARIANT, "no-pcisriov-needs", err, sizeof(err)), 0);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_INF_VARIANT, "no-ndisvf-range", err, sizeof(err)), 0);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_INF_VARIANT, "no-pcisriov-needs", err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_LINK, "DOWN", err, sizeof(err)), 0);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_LINK, "off", err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_VLAN_LIMIT, "32", err, sizeof(err)), 0);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_VLAN_LIMIT, "4095", err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VF_VLAN_LIMIT, "-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VMBUS_OFFER_DELAY, "2s", err, sizeof(err)), 0);
	assert_int_equal(hv_fault_value_check(HV_FAULT_VMBUS_OFFER_DELAY, "2 parsecs", err, sizeof(err)), -EINVAL);
	assert_int_equal(hv_fault_parse_ms("1500"), 1500);
	assert_int_equal(hv_fault_parse_ms("250ms"), 250);
	assert_int_equal(hv_fault_parse_ms("1.5s"), 1500);
	assert_int_equal(hv_fault_parse_ms("601s"), -1);
	assert_int_equal(hv_fault_parse_ms("s"), -1);
}

#define LAB_BASE                                                                                                  \
	"[nic pf0]\n[vmswitch ext]\niov = true\n[vm vm1]\n[vmnetworkadapter vm1]\niov_weight = 100\n"             \
	"[vm vm2]\n[vmnetworkadapter nic2]\nvm = vm2\niov_weight = 100\n"

static void test_refused(void **state)
{
	(void)state;
	faults_refused(LAB_BASE "[fault f]\nno_such_fault = 1\n", "t.lab:12: [fault f] no_such_fault: no such fault");
	faults_refused(LAB_BASE "[fault f]\npf_fail_oid = OID_NIC_SWITCH_ALLOCATE_VF\n", "not OID:STATUS");
	faults_refused(LAB_BASE "[fault f]\ntarget = vm1\npf_fail_oid = OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_FAILURE\n",
		       "pf_fail_oid applies to a nic, not to 'vm1'");
	faults_refused(LAB_BASE "[fault f]\ntarget = pf0\nvf_driver_variant = no-vf-caps\n",
		       "vf_driver_variant applies to a vm or vmnetworkadapter");
	faults_refused(LAB_BASE "[fault f]\narmed = false\npf_driver_variant = no-sriov\n",
		       "pf_driver_variant cannot be armed while the lab runs");
	faults_refused(LAB_BASE "[fault f]\npnp_race = vmbus\n", "is not modelled");
	faults_refused(LAB_BASE "[fault f]\nvf_vlan_limit = many\n", "t.lab:12: [fault f] vf_vlan_limit: 'many' is not a number");
}

static void test_lookups(void **state)
{
	struct lab *lab = load(LAB_BASE
			       "[fault a]\ntarget = pf0\npf_fail_oid = OID_NIC_SWITCH_CREATE_VPORT:NDIS_STATUS_FAILURE\n"
			       "[fault b]\ntarget = nic2\nvf_driver_variant = no-vf-caps\n"
			       "[fault c]\ntarget = vm1\narmed = false\nvf_link = down\n"
			       "[fault d]\nvf_inf_variant = no-ndisvf-range\n");
	struct hv_faults *f;
	const struct lab_fault *lf;
	char err[256];

	(void)state;
	assert_int_equal(hv_faults_create(lab, &f, err, sizeof(err)), 0);
	assert_int_equal(hv_faults_count(f), 4);
	assert_string_equal(hv_faults_nic(f, HV_FAULT_PF_FAIL_OID, "PF0"),
			    "OID_NIC_SWITCH_CREATE_VPORT:NDIS_STATUS_FAILURE");
	assert_null(hv_faults_nic(f, HV_FAULT_PF_FAIL_OID, "pf1"));
	assert_null(hv_faults_vm(f, HV_FAULT_PF_FAIL_OID, "vm1"));	/* a nic's key, asked of a vm */
	/* b is on vm2's adapter: vm2 and nic2 see it, vm1 does not */
	assert_string_equal(hv_faults_vm(f, HV_FAULT_VF_DRIVER_VARIANT, "vm2"), "no-vf-caps");
	assert_string_equal(hv_faults_vmnic(f, HV_FAULT_VF_DRIVER_VARIANT, "nic2"), "no-vf-caps");
	assert_null(hv_faults_vm(f, HV_FAULT_VF_DRIVER_VARIANT, "vm1"));
	/* d has no target: every vm */
	assert_string_equal(hv_faults_vm(f, HV_FAULT_VF_INF_VARIANT, "vm1"), "no-ndisvf-range");
	assert_string_equal(hv_faults_vm(f, HV_FAULT_VF_INF_VARIANT, "vm2"), "no-ndisvf-range");
	/* c is not armed until injected; on vm1 it reaches vm1's adapter */
	assert_false(hv_faults_is_armed(f, 2));
	assert_null(hv_faults_vmnic(f, HV_FAULT_VF_LINK, "vm1"));
	assert_int_equal(hv_faults_set_armed(f, "C", true, &lf), 0);
	assert_string_equal(lf->name, "c");
	assert_true(hv_faults_is_armed(f, 2));
	assert_string_equal(hv_faults_vmnic(f, HV_FAULT_VF_LINK, "vm1"), "down");
	assert_null(hv_faults_vmnic(f, HV_FAULT_VF_LINK, "nic2"));
	assert_int_equal(hv_faults_set_armed(f, "c", false, NULL), 0);
	assert_null(hv_faults_vmnic(f, HV_FAULT_VF_LINK, "vm1"));
	assert_int_equal(hv_faults_set_armed(f, "nope", true, NULL), -ENOENT);
	hv_faults_destroy(f);
	hv_faults_destroy(NULL);
	lab_free(lab);
}

/* ---- srnic's geometry under the bus driver's checks (F10, F11, F12) --------------------- */
/* Offset of the SR-IOV extended capability in fn's config space (PCIe 4.0 7.6.3), 0 if none. */
static unsigned sriov_cap(struct srnic *nic, unsigned fn)
{
	unsigned off = PCI_EXT_CAP_START;

	for (int hops = 0; off >= PCI_EXT_CAP_START && off < PCI_CFG_SIZE && hops < 64; hops++) {
		uint32_t hdr = 0;

		assert_int_equal(srnic_cfg_read(nic, fn, off, 4, &hdr), 0);
		if ((hdr & 0xffffu) == PCI_EXT_CAP_ID_SRIOV)
			return off;
		off = hdr >> 20;
	}
	return 0;
}

static enum pcie_sriov_support geometry_verdict(const struct srnic_geometry *g, unsigned buses, uint64_t space)
{
	struct pcie_host *h = pcie_host_create();
	struct pcie_platform p;
	struct srnic *nic;
	enum pcie_sriov_support s;

	pcie_host_get_platform(h, &p);
	p.bus_numbers = buses;
	p.vf_bar_space = space;
	pcie_host_set_platform(h, &p);
	nic = srnic_create_geometry(h, 3, 0, g);
	assert_non_null(nic);
	(void)pcie_host_assign_bars(h);
	s = pcie_host_sriov_support(h, srnic_function(nic, 0));
	srnic_destroy(nic);
	pcie_host_destroy(h);
	return s;
}

static void test_geometry(void **state)
{
	struct srnic_geometry g;
	struct pcie_host *h;
	uint32_t v = 0;
	struct srnic *nic;
	unsigned cap;

	(void)state;
	log_configure("none", NULL, 0);
	srnic_default_geometry(&g);
	assert_int_equal(g.total_vfs, SRNIC_DEFAULT_VFS);
	assert_int_equal(g.first_vf_offset, 8);
	assert_int_equal(g.vf_stride, 2);
	assert_int_equal(g.vf_bar_size, SRNIC_VF_REGS_SIZE);
	/* srnic's own: 64 VFs at RIDs 0x308..0x386, one bus */
	assert_int_equal(geometry_verdict(&g, 1, 256u << 20), PCIE_SRIOV_OK);
	/* F10: stride 8 puts VF 63 at 0x300 + 8 + 504 = bus 5: three buses */
	g.vf_stride = 8;
	assert_int_equal(geometry_verdict(&g, 2, 256u << 20), PCIE_SRIOV_NO_BUS_RESOURCE);
	assert_int_equal(geometry_verdict(&g, 3, 256u << 20), PCIE_SRIOV_OK);
	/* F11: 64 VFs x (1M registers + 16K MSI-X) do not fit 32M; they fit 128M */
	srnic_default_geometry(&g);
	g.vf_bar_size = 1u << 20;
	assert_int_equal(geometry_verdict(&g, 1, 32u << 20), PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE);
	assert_int_equal(geometry_verdict(&g, 1, 128u << 20), PCIE_SRIOV_OK);
	/* F12: no SR-IOV capability */
	srnic_default_geometry(&g);
	g.total_vfs = 0;
	assert_int_equal(geometry_verdict(&g, 1, 256u << 20), PCIE_SRIOV_MISSING_PF_DRIVER);
	h = pcie_host_create();
	nic = srnic_create_geometry(h, 3, 0, &g);
	assert_int_equal(sriov_cap(nic, 0), 0);
	srnic_destroy(nic);
	pcie_host_destroy(h);
	srnic_default_geometry(&g);
	/* the capability says what was asked */
	srnic_default_geometry(&g);
	g.total_vfs = 5;
	g.first_vf_offset = 16;
	g.vf_stride = 4;
	h = pcie_host_create();
	nic = srnic_create_geometry(h, 3, 0, &g);
	assert_non_null(nic);
	cap = sriov_cap(nic, 0);
	assert_int_not_equal(cap, 0);
	assert_int_equal(srnic_cfg_read(nic, 0, cap + PCI_SRIOV_TOTAL_VF, 2, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(srnic_cfg_read(nic, 0, cap + PCI_SRIOV_VF_OFFSET, 2, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(srnic_cfg_read(nic, 0, cap + PCI_SRIOV_VF_STRIDE, 2, &v), 0);
	assert_int_equal(v, 4);
	assert_null(srnic_function(nic, 6));	/* past TotalVFs */
	srnic_destroy(nic);
	/* the most srnic can be: 256 VFs, with ARI-style stride 1 they end at 0x308 + 255 = 0x407 */
	g.total_vfs = SRNIC_TOTAL_VFS;
	g.first_vf_offset = 8;
	g.vf_stride = 1;
	assert_int_equal(SRNIC_TOTAL_VFS, 256);
	assert_int_equal(geometry_verdict(&g, 2, 256u << 20), PCIE_SRIOV_OK);
	assert_int_equal(geometry_verdict(&g, 1, 256u << 20), PCIE_SRIOV_NO_BUS_RESOURCE);
	nic = srnic_create_geometry(h, 5, 0, &g);	/* bus 3 holds the NIC above */
	assert_non_null(nic);
	assert_non_null(srnic_function(nic, SRNIC_TOTAL_VFS));
	assert_null(srnic_function(nic, SRNIC_TOTAL_VFS + 1));
	assert_int_equal(srnic_vf_set_link(nic, SRNIC_TOTAL_VFS, false), 0);
	assert_true(srnic_vf_link_forced_down(nic, SRNIC_TOTAL_VFS));
	assert_int_equal(pcie_host_sriov_support(h, srnic_function(nic, 0)), PCIE_SRIOV_OK);
	/* a second NIC on bus 6, which the first's VFs (buses 5..6) need: no bus numbers for them */
	{
		struct srnic *second = srnic_create_geometry(h, 6, 0, NULL);

		assert_non_null(second);
		assert_int_equal(pcie_host_sriov_support(h, srnic_function(nic, 0)), PCIE_SRIOV_NO_BUS_RESOURCE);
		assert_int_equal(pcie_host_sriov_support(h, srnic_function(second, 0)), PCIE_SRIOV_OK);
		srnic_destroy(second);
	}
	srnic_destroy(nic);
	/* what srnic cannot be: more than 256 VFs, registers that do not fit the BAR, no power of two */
	g.total_vfs = SRNIC_TOTAL_VFS + 1;
	errno = 0;
	assert_null(srnic_create_geometry(h, 4, 0, &g));
	assert_int_equal(errno, EINVAL);
	srnic_default_geometry(&g);
	g.vf_bar_size = 4096;
	assert_null(srnic_create_geometry(h, 4, 0, &g));
	g.vf_bar_size = 3u << 14;
	assert_null(srnic_create_geometry(h, 4, 0, &g));
	pcie_host_destroy(h);
}

/* ---- the VF administrative link (F27) ------------------------------------------------ */
static void test_vf_link(void **state)
{
	struct pcie_host *h = pcie_host_create();
	struct srnic *nic = srnic_create(h, 3, 0);
	unsigned cap = sriov_cap(nic, 0);
	struct srnic_peer *peer;
	uint32_t v = 0;

	(void)state;
	assert_int_equal(pcie_host_assign_bars(h), 0);
	assert_int_equal(srnic_cfg_write(nic, 0, cap + PCI_SRIOV_NUM_VF, 2, 2), 0);
	assert_int_equal(srnic_cfg_write(nic, 0, cap + PCI_SRIOV_CTRL, 2,
					 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI), 0);
	assert_int_equal(srnic_cfg_write(nic, 1, PCI_COMMAND, 2, PCI_COMMAND_MASTER), 0);
	peer = srnic_peer_create(nic, 8);	/* an uplink with link */
	assert_non_null(peer);
	assert_int_equal(srnic_mmio_read32(nic, 1, SRNIC_BAR_REGS, SRNIC_REG_STATUS, &v), 0);
	assert_true(v & SRNIC_STATUS_LINK_UP);
	assert_int_equal(srnic_vf_set_link(nic, 1, false), 0);
	assert_true(srnic_vf_link_forced_down(nic, 1));
	assert_int_equal(srnic_mmio_read32(nic, 1, SRNIC_BAR_REGS, SRNIC_REG_STATUS, &v), 0);
	assert_false(v & SRNIC_STATUS_LINK_UP);
	assert_int_equal(srnic_mmio_read32(nic, 1, SRNIC_BAR_REGS, SRNIC_REG_INT_CAUSE, &v), 0);
	assert_true(v & SRNIC_INT_LINK);
	/* VF 2 and the PF keep their link; an FLR does not undo the PF's setting */
	assert_int_equal(srnic_mmio_read32(nic, 2, SRNIC_BAR_REGS, SRNIC_REG_STATUS, &v), 0);
	assert_true(v & SRNIC_STATUS_LINK_UP);
	assert_int_equal(srnic_vf_reset(nic, 1), 0);
	assert_true(srnic_vf_link_forced_down(nic, 1));
	assert_int_equal(srnic_vf_set_link(nic, 1, true), 0);
	assert_int_equal(srnic_mmio_read32(nic, 1, SRNIC_BAR_REGS, SRNIC_REG_STATUS, &v), 0);
	assert_true(v & SRNIC_STATUS_LINK_UP);
	assert_int_equal(srnic_vf_set_link(nic, 0, false), -EINVAL);
	assert_int_equal(srnic_vf_set_link(nic, SRNIC_TOTAL_VFS + 1, false), -EINVAL);
	assert_false(srnic_vf_link_forced_down(nic, 0));
	srnic_peer_destroy(peer);
	srnic_destroy(nic);
	pcie_host_destroy(h);
}

/* ---- the reference PF with the fault keywords, host side only ------------------------- */
static struct hv_host *host_up(struct lab *lab)
{
	struct hv_host_options opt = { .builtin_driver_dir = DRIVERS_BUILDDIR };
	struct hv_host *h;
	char err[512];

	if (hv_host_create(lab, &opt, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	for (int i = 0; i < 50; i++)
		(void)hv_host_run(h, 2);
	return h;
}

/* The newest OID record of oid on the adapter, NULL if none. */
static const struct ndis_oid_record *last_record(struct ndis_adapter *ad, uint32_t oid)
{
	const struct ndis_oid_record *found = NULL;

	for (size_t i = 0; i < ndis_adapter_oid_record_count(ad); i++)
		if (ndis_adapter_oid_record_at(ad, i)->oid == oid)
			found = ndis_adapter_oid_record_at(ad, i);
	return found;
}

#define PF_LAB                                                                                                    \
	"[nic pf0]\n[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n[vmswitch ext]\niov = true\n"                 \
	"[vm vm1]\n[vmnetworkadapter vm1]\niov_weight = 100\n"

static void test_pf_fail_oid(void **state)
{
	struct lab *lab = load(PF_LAB "[fault alloc]\ntarget = pf0\narmed = false\n"
				      "pf_fail_oid = OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_RESOURCES\n");
	struct hv_host *h = host_up(lab);
	struct hv_nic *nic = hv_host_nic_find(h, "pf0");
	struct vstack_vmnic *n = vstack_vmnic_find(hv_host_vstack(h), "vm1");
	const struct ndis_oid_record *r;
	uint32_t oid, st;
	char err[256], kw[32];

	(void)state;
	assert_int_equal(ndis_oid_from_name("OID_NIC_SWITCH_ALLOCATE_VF", &oid), 0);
	/* not armed: the VF is allocated */
	assert_true(vstack_vmnic_has_vf(n));
	r = last_record(hv_nic_adapter(nic), oid);
	assert_non_null(r);
	assert_int_equal(r->status, 0);
	/* inject: the hidden keywords, the adapter restarted, the next ALLOCATE_VF fails at the miniport */
	assert_int_equal(hv_host_fault_arm(h, "alloc", true, err, sizeof(err)), 0);
	for (int i = 0; i < 50; i++)
		(void)hv_host_run(h, 2);
	assert_int_equal(ndis_adapter_get_keyword(hv_nic_adapter(nic), "IovlabFailOid", kw, sizeof(kw)), 0);
	assert_non_null(strstr(kw, "10"));
	r = last_record(hv_nic_adapter(nic), oid);
	assert_non_null(r);
	assert_false(r->by_ndis);
	assert_int_equal(r->status, 0xc000009au);
	assert_false(vstack_vmnic_has_vf(n));
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_PF_FAILED);
	vstack_vmnic_failure(n, &oid, &st);
	assert_int_equal(st, 0xc000009au);
	/* clear: the VF comes back */
	assert_int_equal(hv_host_fault_arm(h, "alloc", false, err, sizeof(err)), 0);
	for (int i = 0; i < 50 && !vstack_vmnic_has_vf(n); i++)
		(void)hv_host_run(h, 2);
	assert_true(vstack_vmnic_has_vf(n));
	/* only the live keys: a fault nobody declared */
	assert_int_equal(hv_host_fault_arm(h, "nope", true, err, sizeof(err)), -ENOENT);
	hv_host_destroy(h);
	lab_free(lab);
}

/* vf_vlan_limit: the PF refuses to move a VLAN filter to a VF's vPort; without VLAN it moves. */
static void test_vf_vlan_limit(void **state)
{
	struct lab *lab = load("[nic pf0]\n[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n[vmswitch ext]\niov = true\n"
			       "[vm vm1]\n[vmnetworkadapter vm1]\niov_weight = 100\nvlan = 10\n"
			       "[vm vm2]\n[vmnetworkadapter vm2]\niov_weight = 100\n"
			       "[fault v]\ntarget = pf0\nvf_vlan_limit = 0\n");
	struct hv_host *h = host_up(lab);
	struct vstack_vmnic *n1 = vstack_vmnic_find(hv_host_vstack(h), "vm1");
	struct vstack_vmnic *n2 = vstack_vmnic_find(hv_host_vstack(h), "vm2");
	uint32_t oid, st, move;

	(void)state;
	assert_int_equal(ndis_oid_from_name("OID_RECEIVE_FILTER_MOVE_FILTER", &move), 0);
	assert_false(vstack_vmnic_has_vf(n1));
	assert_int_equal(vstack_vmnic_iov_reason(n1), VSTACK_IOV_PF_FAILED);
	vstack_vmnic_failure(n1, &oid, &st);
	assert_int_equal(oid, move);
	assert_int_equal(st, 0xc000009au);	/* NDIS_STATUS_RESOURCES */
	assert_true(vstack_vmnic_has_vf(n2));
	hv_host_destroy(h);
	lab_free(lab);
}

/* F16: LBFO under the switch -- no VF, and the reason says so; SET passes SR-IOV up. */
static void test_lbfo(void **state)
{
	struct lab *lab = load(PF_LAB);
	struct lab *lbfo;
	struct hv_host *h;
	char text[1024], buf[512];

	(void)state;
	snprintf(text, sizeof(text), "%s", PF_LAB);
	*strstr(text, "iov = true\n") = 0;
	strcat(text, "iov = true\nteaming = LBFO\n[vm vm1]\n[vmnetworkadapter vm1]\niov_weight = 100\n");
	lbfo = load(text);
	h = host_up(lbfo);
	assert_int_equal(vswitch_teaming(hv_host_switch_find(h, "ext")), VSWITCH_TEAM_LBFO);
	assert_false(vswitch_iov_passed_up(hv_host_switch_find(h, "ext")));
	assert_true(vswitch_iov_enabled(hv_host_switch_find(h, "ext")));
	assert_int_equal(vstack_vmnic_iov_reason(vstack_vmnic_find(hv_host_vstack(h), "vm1")), VSTACK_IOV_TEAM_LBFO);
	assert_false(vstack_vmnic_has_vf(vstack_vmnic_find(hv_host_vstack(h), "vm1")));
	(void)vstack_vmnic_status(vstack_vmnic_find(hv_host_vstack(h), "vm1"), buf, sizeof(buf));
	assert_non_null(strstr(buf, "LBFO"));
	for (size_t i = 0; i < hv_host_note_count(h); i++)
		assert_null(strstr(hv_host_note_at(h, i), "not modelled"));
	hv_host_destroy(h);
	lab_free(lbfo);
	/* the same lab without the team gets its VF */
	h = host_up(lab);
	assert_true(vswitch_iov_passed_up(hv_host_switch_find(h, "ext")));
	assert_true(vstack_vmnic_has_vf(vstack_vmnic_find(hv_host_vstack(h), "vm1")));
	hv_host_destroy(h);
	lab_free(lab);
}

/* A variant that is not built where the host looks is said, not replaced by the reference driver. */
static void test_variant_packages(void **state)
{
	struct lab *lab = load(PF_LAB "[fault v]\npf_driver_variant = no-sriov\n");
	struct hv_host_options opt = { .builtin_driver_dir = "/nonexistent" };
	struct hv_host *h;
	char err[256];

	(void)state;
	assert_int_equal(hv_host_create(lab, &opt, &h, err, sizeof(err)), 0);
	assert_int_not_equal(hv_nic_state(hv_host_nic_find(h, "pf0")), HV_NIC_RUNNING);
	hv_host_destroy(h);
	/* built: the variant runs, with no SR-IOV */
	h = host_up(lab);
	assert_int_equal(hv_nic_state(hv_host_nic_find(h, "pf0")), HV_NIC_RUNNING);
	assert_non_null(strstr(ndis_adapter_driver_name(hv_nic_adapter(hv_host_nic_find(h, "pf0"))), "no-sriov"));
	assert_int_equal(hv_nic_sriov_support(h, hv_host_nic_find(h, "pf0")), HV_SRIOV_MISSING_PF_DRIVER);
	hv_host_destroy(h);
	lab_free(lab);
}

/* F31: a PF restart with a VF assigned tears the VF down first, is counted, and the VF comes back. */
static void test_pf_restart_with_vfs(void **state)
{
	struct lab *lab = load(PF_LAB);
	struct hv_host *h = host_up(lab);
	struct hv_nic *nic = hv_host_nic_find(h, "pf0");
	struct vstack_vmnic *n = vstack_vmnic_find(hv_host_vstack(h), "vm1");
	char err[256];

	(void)state;
	assert_true(vstack_vmnic_has_vf(n));
	assert_int_equal(hv_nic_restarts_with_vfs(nic), 0);
	assert_int_equal(hv_nic_set_keyword_wait(h, nic, "*VMQVlanFiltering", "0", 2000, err, sizeof(err)), 0);
	assert_int_equal(hv_nic_restarts_with_vfs(nic), 1);
	assert_int_equal(hv_nic_state(nic), HV_NIC_RUNNING);
	for (int i = 0; i < 50 && !vstack_vmnic_has_vf(n); i++)
		(void)hv_host_run(h, 2);
	assert_true(vstack_vmnic_has_vf(n));
	/* without a VF the restart is not one of F31's */
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	for (int i = 0; i < 50 && vstack_vmnic_has_vf(n); i++)
		(void)hv_host_run(h, 2);
	assert_false(vstack_vmnic_has_vf(n));
	assert_int_equal(hv_nic_set_keyword_wait(h, nic, "*VMQVlanFiltering", "1", 2000, err, sizeof(err)), 0);
	assert_int_equal(hv_nic_restarts_with_vfs(nic), 1);
	hv_host_destroy(h);
	lab_free(lab);
}

/* F19: a guest side that is not ready refuses the first offers; the stack retries at READY. */
static unsigned offers, refusals;

static int offer_not_ready(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint32_t serial)
{
	bool *ready = ctx;

	offers++;
	if (!*ready) {
		refusals++;
		return -EAGAIN;
	}
	return vstack_no_guest_ops.offer_vf(NULL, n, vf_id, serial);
}

static int revoke_ok(void *ctx, struct vstack_vmnic *n, uint16_t vf_id)
{
	(void)ctx;
	return vstack_no_guest_ops.revoke_vf(NULL, n, vf_id);
}

static void test_offer_before_ready(void **state)
{
	static bool ready;
	static const struct vstack_guest_ops ops = { .offer_vf = offer_not_ready, .revoke_vf = revoke_ok };
	struct lab *lab = load(PF_LAB);
	struct hv_host_options opt = { .builtin_driver_dir = DRIVERS_BUILDDIR, .guest = &ops, .guest_ctx = &ready };
	struct vstack_vmnic *n;
	struct hv_host *h;
	char err[512], buf[512];

	(void)state;
	ready = false;
	offers = refusals = 0;
	if (hv_host_create(lab, &opt, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	for (int i = 0; i < 50; i++)
		(void)hv_host_run(h, 2);
	n = vstack_vmnic_find(hv_host_vstack(h), "vm1");
	/* offered once, refused, taken back in order: no VF, the event 236 reason */
	assert_int_equal(refusals, 1);
	assert_false(vstack_vmnic_has_vf(n));
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_GUEST_NOT_READY);
	(void)vstack_vmnic_status(n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "event 236"));
	/* not retried until the VM says it is ready */
	for (int i = 0; i < 20; i++)
		(void)hv_host_run(h, 2);
	assert_int_equal(offers, 1);
	ready = true;
	vstack_vm_guest_ready(vstack_vm_find(hv_host_vstack(h), "vm1"));
	for (int i = 0; i < 50 && !vstack_vmnic_has_vf(n); i++)
		(void)hv_host_run(h, 2);
	assert_int_equal(offers, 2);
	assert_true(vstack_vmnic_has_vf(n));
	hv_host_destroy(h);
	lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_oid),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_vf_link),
		cmocka_unit_test(test_pf_fail_oid),
		cmocka_unit_test(test_vf_vlan_limit),
		cmocka_unit_test(test_lbfo),
		cmocka_unit_test(test_variant_packages),
		cmocka_unit_test(test_offer_before_ready),
		cmocka_unit_test(test_pf_restart_with_vfs),
	};

	log_configure("none", NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
