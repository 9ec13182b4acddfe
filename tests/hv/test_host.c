/*
 * The host assembly (src/hv/host.c) from lab text: a PF driver given by path
 * (the framework's fake PF, as a user's own .so would be) on the root
 * partition's PCI bus driver over a real srnic; VFs enabled in the device's
 * SR-IOV capability and assigned by the virtualization stack; every [host]
 * platform property reflected in IovSupportReasons and SriovSupport; the
 * failure-catalogue labs F09, F13, F15, F17 in labs/faults; driver none /
 * not built; a live keyword change restarting the PF under the switch; and
 * the documented teardown order, read from the trace.
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

static char *trace_buf;
static size_t trace_len;
static FILE *trace;

static void trace_reset(void)
{
	if (!trace) {
		trace = open_memstream(&trace_buf, &trace_len);
		log_set_stream(trace);
		log_set_fixed_clock(0, 0);
	}
	log_configure("*=warn,lab.ndis.oid=info,lab.hv.*=info,lab.ndis=info", NULL, 0);
	fflush(trace);
	rewind(trace);
	fflush(trace);
	if (trace_buf)
		trace_buf[0] = 0;
}

static const char *trace_text(void)
{
	fflush(trace);
	return trace_buf ? trace_buf : "";
}

/* A lab: [nic pf0] on the fake PF, an IOV switch, vm1 with IovWeight, plus extra text. */
static struct lab *lab_with(const char *host, const char *keywords, const char *sw_iov, unsigned weight,
			    const char *extra)
{
	char text[4096], err[256];
	struct lab *lab;

	snprintf(text, sizeof(text),
		 "[host]\n%s\n"
		 "[nic pf0]\ndriver = %s/fake_pf.so\n"
		 "[keywords pf0]\n%s\n"
		 "[vmswitch ext]\niov = %s\n"
		 "[vm vm1]\n"
		 "[vmnetworkadapter vm1]\nmac = 00155D0A1B01\niov_weight = %u\n%s",
		 host, TEST_DRIVERS_BUILDDIR, keywords, sw_iov, weight, extra);
	if (lab_load_string(text, "test.lab", &lab, err, sizeof(err)))
		fail_msg("lab: %s", err);
	return lab;
}

static struct hv_host *up(const struct lab *lab)
{
	struct hv_host *h;
	char err[256];

	if (hv_host_create(lab, NULL, &h, err, sizeof(err)))
		fail_msg("host: %s", err);
	return h;
}

static struct vstack_vmnic *nic1(struct hv_host *h)
{
	struct vstack_vmnic *n = vstack_vmnic_find(hv_host_vstack(h), "vm1");

	assert_non_null(n);
	return n;
}

static void test_vf_on_srnic(void **state)
{
	struct lab *lab = lab_with("", "*SRIOV = 1", "true", 100, "");
	struct hv_host *h;
	struct hv_nic *pf;
	struct vstack_vmnic *n;

	(void)state;
	trace_reset();
	h = up(lab);
	pf = hv_host_nic_find(h, "pf0");
	assert_non_null(pf);
	assert_int_equal(hv_nic_state(pf), HV_NIC_RUNNING);
	assert_string_equal(hv_nic_hardware_id(pf), "PCI\\VEN_1AB4&DEV_10ED&SUBSYS_00011AB4&REV_01");
	assert_string_equal(hv_nic_description(pf), "iovlab fake SR-IOV PF");
	assert_true(hv_host_iov_support(h));
	assert_int_equal(hv_nic_sriov_support(h, pf), HV_SRIOV_SUPPORTED);
	/* The PF driver's NdisMEnableVirtualization reached the device through the bus driver. */
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(pf)), 8);
	n = nic1(h);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	assert_int_equal(vstack_vmnic_iov_usage(n), 1);
	assert_false(vstack_vmnic_datapath_active(n));
	assert_int_equal(vstack_vm_state(vstack_vm_find(hv_host_vstack(h), "vm1")), VSTACK_VM_RUNNING);

	/* Teardown in the documented order (spec 1.3, 2.18), as the trace tells it. */
	trace_reset();
	hv_host_destroy(h);
	{
		const char *t = trace_text();
		const char *order[] = { "OID_RECEIVE_FILTER_MOVE_FILTER", "OID_NIC_SWITCH_DELETE_VPORT", "OID_SRIOV_RESET_VF",
					"OID_NIC_SWITCH_FREE_VF", "OID_RECEIVE_FILTER_CLEAR_FILTER",
					"OID_NIC_SWITCH_DELETE_SWITCH" };
		const char *at = t;
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			const char *p = strstr(at, order[i]);
			if (!p)
				fail_msg("teardown: %s missing or out of order in:\n%s", order[i], t);
			at = p + 1;
		}
	}
	lab_free(lab);
}

/* Every [host] property: its IovSupportReasons entry and its SriovSupport value. */
static void test_platform_properties(void **state)
{
	static const struct {
		const char *line;
		enum hv_iov_reason reason;	/* HV_IOV_REASON_COUNT: none */
		enum hv_sriov_support support;
	} rows[] = {
		{ "slat = false", HV_IOV_R1_NO_SLAT, HV_SRIOV_NO_IOMMU_SUPPORT },
		{ "interrupt_remapping = false", HV_IOV_R2_NO_INTERRUPT_REMAPPING, HV_SRIOV_NO_IOMMU_SUPPORT },
		{ "dma_remapping = false", HV_IOV_R3_NO_DMA_REMAPPING, HV_SRIOV_NO_IOMMU_SUPPORT },
		{ "io_remapping = false", HV_IOV_R4_IO_REMAPPING_DISABLED, HV_SRIOV_NO_IOMMU_SUPPORT },
		{ "iommu = false", HV_IOV_R5_NO_CHIPSET_SUPPORT, HV_SRIOV_UNKNOWN },
		{ "bios_describes_ok = false", HV_IOV_R6_BIOS_WRONG, HV_SRIOV_UNKNOWN },
		{ "pcie = false", HV_IOV_R7_NO_PCIE, HV_SRIOV_UNKNOWN },
		{ "osc = false", HV_IOV_R8_NO_OSC, HV_SRIOV_NO_OSC_SUPPORT },
		{ "acs = false", HV_IOV_R9_NO_ACS, HV_SRIOV_MISSING_ACS },
		{ "vf_bar_space = 0", HV_IOV_REASON_COUNT, HV_SRIOV_NO_VF_BAR_SPACE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lab *lab = lab_with(rows[i].line, "*SRIOV = 1", "true", 100, "");
		struct hv_host *h;
		enum hv_iov_reason r[HV_IOV_REASON_COUNT];
		size_t nr;
		struct vstack_vmnic *n;

		trace_reset();
		h = up(lab);
		nr = hv_host_iov_reasons(h, r);
		if (rows[i].reason == HV_IOV_REASON_COUNT) {
			assert_int_equal(nr, 0);
			assert_true(hv_host_iov_support(h));
		} else {
			if (nr != 1 || r[0] != rows[i].reason)
				fail_msg("%s: %zu reasons, first %d, want %d", rows[i].line, nr, nr ? (int)r[0] : -1,
					 (int)rows[i].reason);
			assert_false(hv_host_iov_support(h));
		}
		if (hv_nic_sriov_support(h, hv_host_nic_find(h, "pf0")) != rows[i].support)
			fail_msg("%s: SriovSupport %d, want %d", rows[i].line,
				 (int)hv_nic_sriov_support(h, hv_host_nic_find(h, "pf0")), (int)rows[i].support);
		/* No VF on a platform that cannot do SR-IOV. */
		n = nic1(h);
		assert_int_equal(vstack_vmnic_iov_usage(n), 0);
		hv_host_destroy(h);
		lab_free(lab);
	}
}

static struct lab *fault_lab(const char *name)
{
	char path[1024], err[256];
	struct lab *lab;

	snprintf(path, sizeof(path), "%s/labs/faults/%s", SOURCE_ROOT, name);
	if (lab_load_file(path, &lab, err, sizeof(err)))
		fail_msg("%s", err);
	return lab;
}

/* The fault labs name the built-in srnic_pf; run them with the fake PF in its place. */
static struct hv_host *up_fault(struct lab *lab)
{
	for (size_t i = 0; i < lab->nnics; i++) {
		char *p = malloc(1024);
		snprintf(p, 1024, "%s/fake_pf.so", TEST_DRIVERS_BUILDDIR);
		free(lab->nics[i].driver);
		lab->nics[i].driver = p;
	}
	return up(lab);
}

static void test_f09_no_acs(void **state)
{
	struct lab *lab = fault_lab("F09-no-acs.lab");
	struct hv_host *h;
	enum hv_iov_reason r[HV_IOV_REASON_COUNT];
	char desc[512];

	(void)state;
	trace_reset();
	h = up_fault(lab);
	assert_int_equal(hv_host_iov_reasons(h, r), 1);
	assert_int_equal(r[0], HV_IOV_R9_NO_ACS);
	assert_int_equal(hv_nic_sriov_support(h, hv_host_nic_find(h, "pf0")), HV_SRIOV_MISSING_ACS);
	/* The bus driver refused to enable VFs on this platform. */
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(hv_host_nic_find(h, "pf0"))), 0);
	assert_int_equal(vstack_vmnic_iov_reason(nic1(h)), VSTACK_IOV_HOST_UNSUPPORTED);
	assert_int_equal(vstack_vmnic_status(nic1(h), desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	hv_host_destroy(h);
	lab_free(lab);
}

static void test_f13_sriov_off(void **state)
{
	struct lab *lab = fault_lab("F13-sriov-keyword-off.lab");
	struct hv_host *h;
	struct ndis_sriov_view v;
	struct hv_nic *pf;

	(void)state;
	trace_reset();
	h = up_fault(lab);
	pf = hv_host_nic_find(h, "pf0");
	assert_int_equal(hv_nic_state(pf), HV_NIC_RUNNING);
	ndis_adapter_sriov_view(hv_nic_adapter(pf), &v);
	assert_false(v.has_cur_sriov);
	assert_false(v.switch_created);
	assert_int_equal(hv_nic_sriov_support(h, pf), HV_SRIOV_SUPPORTED);	/* the platform is fine */
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 0);
	assert_int_equal(vstack_vmnic_iov_reason(nic1(h)), VSTACK_IOV_NO_NIC_SWITCH);
	hv_host_destroy(h);
	lab_free(lab);
}

static void test_f15_switch_without_iov(void **state)
{
	struct lab *lab = fault_lab("F15-switch-without-iov.lab");
	struct hv_host *h;

	(void)state;
	trace_reset();
	h = up_fault(lab);
	assert_false(vswitch_iov_enabled(hv_host_switch_find(h, "ext")));
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 0);
	assert_int_equal(vstack_vmnic_iov_reason(nic1(h)), VSTACK_IOV_SWITCH_NO_IOV);
	hv_host_destroy(h);
	lab_free(lab);
}

static void test_f17_weight_zero_then_set(void **state)
{
	struct lab *lab = fault_lab("F17-iovweight-zero.lab");
	struct hv_host *h;

	(void)state;
	trace_reset();
	h = up_fault(lab);
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 0);
	assert_int_equal(vstack_vmnic_iov_reason(nic1(h)), VSTACK_IOV_NOT_REQUESTED);
	assert_int_equal(vstack_vmnic_set_iov_weight(nic1(h), 100), 0);
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 1);
	hv_host_destroy(h);
	lab_free(lab);
}

static void test_driver_none_and_not_built(void **state)
{
	char err[256];
	struct lab *lab;
	struct hv_host *h;
	struct hv_host_options opt = { .builtin_driver_dir = "/nonexistent" };

	(void)state;
	trace_reset();
	assert_int_equal(lab_load_string("[nic pf0]\ndriver = none\n[vmswitch ext]\niov = true\n[vm vm1]\n"
					 "[vmnetworkadapter vm1]\niov_weight = 100\n", "none.lab", &lab, err, sizeof(err)), 0);
	h = up(lab);
	assert_int_equal(hv_nic_state(hv_host_nic_find(h, "pf0")), HV_NIC_NO_DRIVER);
	assert_null(hv_nic_adapter(hv_host_nic_find(h, "pf0")));
	assert_int_equal(hv_nic_sriov_support(h, hv_host_nic_find(h, "pf0")), HV_SRIOV_MISSING_PF_DRIVER);
	assert_int_equal(vstack_vmnic_iov_reason(nic1(h)), VSTACK_IOV_NO_ADAPTER);
	hv_host_destroy(h);
	lab_free(lab);

	assert_int_equal(lab_load_string("[nic pf0]\n[vmswitch ext]\n[vm vm1]\n[vmnetworkadapter vm1]\n", "nb.lab", &lab,
					 err, sizeof(err)), 0);
	assert_int_equal(hv_host_create(lab, &opt, &h, err, sizeof(err)), 0);
	assert_int_equal(hv_nic_state(hv_host_nic_find(h, "pf0")), HV_NIC_NOT_BUILT);
	assert_true(hv_host_note_count(h) >= 1);
	assert_non_null(strstr(hv_host_note_at(h, hv_host_note_count(h) - 1), "srnic_pf is not built yet"));
	hv_host_destroy(h);
	lab_free(lab);
}

/* Set-NetAdapterAdvancedProperty *SRIOV 0 and back: the PF restarts under the switch. */
static void test_keyword_restart(void **state)
{
	struct lab *lab = lab_with("", "*SRIOV = 1", "true", 100, "");
	struct hv_host *h;
	struct hv_nic *pf;
	char err[256];

	(void)state;
	trace_reset();
	h = up(lab);
	pf = hv_host_nic_find(h, "pf0");
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 1);
	assert_int_equal(hv_nic_set_keyword(h, pf, "*SRIOV", "7", err, sizeof(err)), -EINVAL);
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 1);	/* a refused value changes nothing */
	assert_int_equal(hv_nic_set_keyword(h, pf, "*SRIOV", "0", err, sizeof(err)), 0);
	assert_int_equal(hv_nic_state(pf), HV_NIC_RUNNING);
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 0);
	assert_int_equal(vstack_vmnic_iov_reason(nic1(h)), VSTACK_IOV_NO_NIC_SWITCH);
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(pf)), 0);
	assert_int_equal(hv_nic_set_keyword(h, pf, "*SRIOV", "1", err, sizeof(err)), 0);
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 1);
	/* *NumVFs is a NicSwitches\0 value. */
	assert_string_equal(hv_keyword_registry_name("*numvfs"), "NicSwitches\\0\\*NumVFs");
	assert_int_equal(hv_nic_set_keyword(h, pf, "*NumVFs", "2", err, sizeof(err)), 0);
	assert_int_equal(pcie_pf_num_vfs(hv_nic_function(pf)), 2);
	hv_host_destroy(h);
	lab_free(lab);
}

/* More IOV adapters than VFs (*NumVFs 1): the second stays synthetic. */
static void test_pool_on_host(void **state)
{
	struct lab *lab = lab_with("", "*NumVFs = 1", "true", 100,
				   "[vm vm2]\n[vmnetworkadapter vm2]\nmac = 00155D0A1B02\niov_weight = 100\n");
	struct hv_host *h;
	struct vstack_vmnic *b;

	(void)state;
	trace_reset();
	h = up(lab);
	b = vstack_vmnic_find(hv_host_vstack(h), "vm2");
	assert_int_equal(vstack_vmnic_iov_usage(nic1(h)), 1);
	assert_int_equal(vstack_vmnic_iov_usage(b), 0);
	assert_int_equal(vstack_vmnic_iov_reason(b), VSTACK_IOV_POOL_VFS);
	hv_host_destroy(h);
	lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vf_on_srnic),
		cmocka_unit_test(test_platform_properties),
		cmocka_unit_test(test_f09_no_acs),
		cmocka_unit_test(test_f13_sriov_off),
		cmocka_unit_test(test_f15_switch_without_iov),
		cmocka_unit_test(test_f17_weight_zero_then_set),
		cmocka_unit_test(test_driver_none_and_not_built),
		cmocka_unit_test(test_keyword_restart),
		cmocka_unit_test(test_pool_on_host),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	log_set_stream(NULL);
	if (trace)
		fclose(trace);
	free(trace_buf);
	return rc;
}
