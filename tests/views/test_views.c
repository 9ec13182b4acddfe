/*
 * The Windows views (src/views) over a small lab on the fake PF (pcibus over
 * srnic): golden text for the default table and Format-List of each view and
 * for !ndiskd.netadapter, checked byte for byte against tests/views/golden
 * (IOVLAB_UPDATE_GOLDEN=1 rewrites them -- then read the diff); JSON typing
 * as ConvertTo-Json writes it; name resolution, filters, property patterns
 * and refusals; `expect` semantics; and that the views follow live state
 * (a live IovWeight change shows in the next rendering).
 *
 * The lab: *NumVFs 1, vm1 (IovWeight 100) gets the VF, vm2 (IovWeight 100,
 * VLAN 10) finds the pool used up and keeps its filter on the default vPort.
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

#include <jansson.h>

#include "base/log.h"
#include "hv/host.h"
#include "lab/lab.h"
#include "views/views.h"

struct env {
	struct lab *lab;
	struct hv_host *h;
};

static void env_up(struct env *e, const char *host_section)
{
	char text[2048], err[256];

	snprintf(text, sizeof(text),
		 "[lab]\nname = views\n[host]\n%s\n"
		 "[nic pf0]\ndriver = %s/fake_pf.so\n"
		 "[keywords pf0]\n*SRIOV = 1\n*NumVFs = 1\n"
		 "[vmswitch ext]\niov = true\n"
		 "[vm vm1]\n[vm vm2]\n"
		 "[vmnetworkadapter vm1]\nmac = 00155D0A1B01\niov_weight = 100\n"
		 "[vmnetworkadapter vm2]\nmac = 00155D0A1B02\niov_weight = 100\nvlan = 10\n"
		 "iov_queue_pairs_requested = 4\niov_interrupt_moderation = High\n",
		 host_section, TEST_DRIVERS_BUILDDIR);
	if (lab_load_string(text, "views.lab", &e->lab, err, sizeof(err)))
		fail_msg("%s", err);
	if (hv_host_create(e->lab, NULL, &e->h, err, sizeof(err)))
		fail_msg("%s", err);
}

static void env_down(struct env *e)
{
	hv_host_destroy(e->h);
	lab_free(e->lab);
}

/* Render a view (words of a show step) to a string the caller frees. */
static char *render(struct env *e, const char *cmd, enum views_output out, int *rc)
{
	char **argv, *buf = NULL, err[256];
	size_t len = 0;
	int argc;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(views_split(cmd, &argv, &argc), 0);
	*rc = views_show(e->h, argc, argv, out, f, err, sizeof(err));
	if (*rc)
		fprintf(f, "error: %s\n", err);
	views_split_free(argv, argc);
	fclose(f);
	return buf;
}

static char *show(struct env *e, const char *cmd)
{
	int rc;
	char *s = render(e, cmd, VIEWS_TEXT, &rc);

	if (rc)
		fail_msg("%s: %s", cmd, s);
	return s;
}

static void golden(const char *name, const char *got)
{
	char path[1024], *want = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/views/golden/%s", SOURCE_ROOT, name);
	if (getenv("IOVLAB_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("no golden file %s (IOVLAB_UPDATE_GOLDEN=1 writes it)", path);
	assert_int_equal(getdelim(&want, &len, '\0', f) >= 0, 1);
	fclose(f);
	if (strcmp(want, got))
		fail_msg("%s differs from the golden file.\n--- want\n%s\n--- got\n%s", name, want, got);
	free(want);
}

static void check_golden(struct env *e, const char *cmd, const char *file)
{
	char *s = show(e, cmd);

	golden(file, s);
	free(s);
}

/* ---- golden text ------------------------------------------------------------------- */
static void test_golden(void **state)
{
	struct env e;

	(void)state;
	env_up(&e, "");
	check_golden(&e, "Get-VMHost", "vmhost.txt");
	check_golden(&e, "Get-VMSwitch", "vmswitch_table.txt");
	check_golden(&e, "Get-VMSwitch | fl *", "vmswitch_list.txt");
	check_golden(&e, "Get-VMNetworkAdapter", "vmnetworkadapter_table.txt");
	check_golden(&e, "Get-VMNetworkAdapter | fl *", "vmnetworkadapter_list.txt");
	check_golden(&e, "Get-NetAdapterSriov", "netadaptersriov.txt");
	check_golden(&e, "Get-NetAdapterSriov | fl *", "netadaptersriov_all.txt");
	check_golden(&e, "Get-NetAdapterSriovVf", "netadaptersriovvf.txt");
	check_golden(&e, "Get-NetAdapterVPort", "netadaptervport.txt");
	check_golden(&e, "Get-NetAdapterAdvancedProperty", "netadapteradvancedproperty.txt");
	check_golden(&e, "ndiskd netadapter -iov -vfs -vports -nicswitch", "ndiskd.txt");
	env_down(&e);
}

/* Several platform reasons: the array wraps under the value column. */
static void test_golden_reasons(void **state)
{
	struct env e;

	(void)state;
	env_up(&e, "osc = false\nacs = false");
	check_golden(&e, "Get-VMHost", "vmhost_reasons.txt");
	check_golden(&e, "Get-VMSwitch | fl Name, Iov*", "vmswitch_reasons.txt");
	env_down(&e);
}

/* ---- JSON typing ------------------------------------------------------------------ */
static json_t *json_view(struct env *e, const char *cmd)
{
	int rc;
	char *s = render(e, cmd, VIEWS_JSON, &rc);
	json_error_t err;
	json_t *j;

	assert_int_equal(rc, 0);
	j = json_loads(s, 0, &err);
	if (!j)
		fail_msg("%s: not JSON (%s): %s", cmd, err.text, s);
	free(s);
	assert_true(json_is_array(j));
	return j;
}

static void test_json_types(void **state)
{
	struct env e;
	json_t *a, *o, *v;

	(void)state;
	env_up(&e, "");
	a = json_view(&e, "vmnetworkadapter");
	assert_int_equal(json_array_size(a), 2);
	o = json_array_get(a, 0);
	assert_true(json_is_false(json_object_get(o, "VFDataPathActive")));
	assert_true(json_is_false(json_object_get(o, "IsManagementOs")));
	assert_int_equal(json_integer_value(json_object_get(o, "IovWeight")), 100);
	assert_true(json_is_integer(json_object_get(o, "IovUsage")));
	assert_int_equal(json_integer_value(json_object_get(o, "IovUsage")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "IovQueuePairsAssigned")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "MacAddress")), "00155D0A1B01");
	v = json_object_get(o, "Status");
	assert_true(json_is_array(v));
	assert_string_equal(json_string_value(json_array_get(v, 0)), "Degraded");
	assert_true(json_is_array(json_object_get(o, "IPAddresses")));
	assert_int_equal(json_array_size(json_object_get(o, "IPAddresses")), 0);
	assert_true(json_is_string(json_object_get(o, "VirtualFunction")));
	assert_string_equal(json_string_value(json_object_get(o, "IovInterruptModeration")), "Default");
	/* Every property, in table order, even those neither table nor list shows. */
	assert_non_null(json_object_get(o, "VMId"));
	assert_string_equal(json_object_iter_key(json_object_iter(o)), "Name");
	o = json_array_get(a, 1);
	assert_true(json_is_null(json_object_get(o, "VirtualFunction")));
	assert_int_equal(json_integer_value(json_object_get(o, "IovUsage")), 0);
	assert_string_equal(json_string_value(json_object_get(o, "IovInterruptModeration")), "High");
	json_decref(a);

	a = json_view(&e, "Get-VMHost");
	assert_true(json_is_true(json_object_get(json_array_get(a, 0), "IovSupport")));
	assert_true(json_is_null(json_object_get(json_array_get(a, 0), "IovSupportReasons")));
	json_decref(a);

	a = json_view(&e, "Get-NetAdapterVPort");
	assert_int_equal(json_array_size(a), 2);
	o = json_array_get(a, 0);
	assert_int_equal(json_integer_value(json_object_get(o, "FunctionID")), 0xffff);	/* "PF" in text */
	assert_int_equal(json_integer_value(json_object_get(o, "VlanID")), 10);
	assert_string_equal(json_string_value(json_object_get(o, "MacAddress")), "00-15-5D-0A-1B-02");
	assert_true(json_is_array(json_object_get(o, "FilterList")));
	o = json_array_get(a, 1);
	assert_int_equal(json_integer_value(json_object_get(o, "FunctionID")), 0);
	assert_true(json_is_null(json_object_get(o, "VlanID")));
	json_decref(a);

	/* A pattern selects properties in JSON too. */
	a = json_view(&e, "Get-VMSwitch | fl Iov*");
	o = json_array_get(a, 0);
	assert_int_equal(json_object_size(o), 7);
	assert_true(json_is_true(json_object_get(o, "IovEnabled")));
	assert_int_equal(json_integer_value(json_object_get(o, "IovVirtualFunctionCount")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "IovVirtualFunctionsInUse")), 1);
	assert_null(json_object_get(o, "Name"));
	json_decref(a);

	a = json_view(&e, "ndiskd:netadapter:-vfs");
	o = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(o, "Adapter")), "pf0");
	assert_int_equal(json_array_size(json_object_get(o, "VFS")), 1);
	assert_null(json_object_get(o, "VPORTS"));
	json_decref(a);
	env_down(&e);
}

/* ---- names, filters, refusals ---------------------------------------------------- */
static void test_names_and_filters(void **state)
{
	struct env e;
	char *a, *b, *c;
	int rc;

	(void)state;
	env_up(&e, "");
	a = show(&e, "Get-VMNetworkAdapter");
	b = show(&e, "vmnetworkadapter");
	c = show(&e, "GET-VMNETWORKADAPTER");
	/* Same table; only the echoed command line differs. */
	assert_string_equal(strchr(a, '\n'), strchr(b, '\n'));
	assert_string_equal(strchr(a, '\n'), strchr(c, '\n'));
	free(a);
	free(b);
	free(c);

	a = show(&e, "Get-VMNetworkAdapter -VMName vm2");
	assert_null(strstr(a, "vm1"));
	assert_non_null(strstr(a, "vm2"));
	free(a);
	a = show(&e, "Get-VMNetworkAdapter vm1 | fl Iov*, VFDataPathActive");
	assert_non_null(strstr(a, "IovWeight              : 100"));
	assert_non_null(strstr(a, "VFDataPathActive       : False"));
	assert_null(strstr(a, "MacAddress"));
	assert_null(strstr(a, "vm2"));
	free(a);
	a = show(&e, "Get-NetAdapterAdvancedProperty -RegistryKeyword *sriov");
	assert_non_null(strstr(a, "*SRIOV"));
	assert_null(strstr(a, "*VMQ"));
	free(a);
	a = show(&e, "Get-NetAdapterVPort|ft VPortID,FunctionID");
	assert_non_null(strstr(a, "VPortID FunctionID"));
	free(a);

	a = render(&e, "Get-Frobnicator", VIEWS_TEXT, &rc);
	assert_int_equal(rc, -ENOENT);
	free(a);
	a = render(&e, "Get-VMSwitch -Colour blue", VIEWS_TEXT, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(a, "-Colour"));
	free(a);
	a = render(&e, "Get-VMSwitch | sort", VIEWS_TEXT, &rc);
	assert_int_equal(rc, -EINVAL);
	free(a);
	a = render(&e, "ndiskd netadapter -frob", VIEWS_TEXT, &rc);
	assert_int_equal(rc, -EINVAL);
	free(a);
	a = render(&e, "ndiskd oid", VIEWS_TEXT, &rc);
	assert_int_equal(rc, -EINVAL);
	free(a);
	a = render(&e, "ndiskd netadapter pf9", VIEWS_TEXT, &rc);
	assert_int_equal(rc, -ENOENT);
	free(a);
	env_down(&e);
}

static void test_split(void **state)
{
	char **v;
	int n;

	(void)state;
	assert_int_equal(views_split("ndiskd:netadapter:-iov:-vfs", &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[2], "-iov");
	views_split_free(v, n);
	assert_int_equal(views_split("Get-VMSwitch|fl  Iov*,Name", &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[1], "|");
	assert_string_equal(v[3], "Iov*,Name");
	views_split_free(v, n);
	assert_true(views_is_view("vmhost"));
	assert_true(views_is_view("Get-NetAdapterSriovVf"));
	assert_false(views_is_view("path"));
}

/* ---- expect ------------------------------------------------------------------------ */
static void test_expect(void **state)
{
	struct env e;
	char msg[512];

	(void)state;
	env_up(&e, "acs = false");
	assert_int_equal(views_expect(e.h, "vmhost", "host", "IovSupport", "False", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmhost", "HV-HOST01", "IovSupport", "$false", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmhost", "host", "IovSupport", "True", msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "'False'"));
	assert_int_equal(views_expect(e.h, "netadaptersriov", "pf0", "SriovSupport", "missingacs", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "Get-VMNetworkAdapter", "vm1", "Status", "Degraded", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm1", "IovUsage", "0", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm1", "IovUsage", "0x0", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm1", "VirtualFunction", "$null", msg, sizeof(msg)), 1);
	/* Only a guest makes these: not evaluated, whatever they expect. */
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm1", "VFDataPathActive", "False", msg, sizeof(msg)),
			 -EAGAIN);
	assert_non_null(strstr(msg, "needs the guest side, not built yet"));
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm9", "IovUsage", "0", msg, sizeof(msg)), -ENOENT);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm1", "Colour", "0", msg, sizeof(msg)), -ENOENT);
	/* No NIC switch on this platform: no vPorts to name. */
	assert_int_equal(views_expect(e.h, "netadaptervport", "pf0", "NumQueuePairs", "1", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "has no object named 'pf0'"));
	assert_int_equal(views_expect(e.h, "frob", "pf0", "X", "1", msg, sizeof(msg)), -ENOENT);
	env_down(&e);
}

/* Views are computed when asked: a live change shows at once. */
static void test_live_state(void **state)
{
	struct env e;
	char msg[512];
	struct vstack *vs;

	(void)state;
	env_up(&e, "");
	vs = hv_host_vstack(e.h);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm2", "IovUsage", "0", msg, sizeof(msg)), 1);
	assert_int_equal(vstack_vmnic_set_iov_weight(vstack_vmnic_find(vs, "vm1"), 0), 0);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm1", "IovUsage", "0", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm2", "IovUsage", "1", msg, sizeof(msg)), 1);
	/* vm2 asked for 4 queue pairs; the PF gives at most 1 per vPort: Requested vs Assigned. */
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm2", "IovQueuePairsRequested", "4", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "vmnetworkadapter", "vm2", "IovQueuePairsAssigned", "1", msg, sizeof(msg)), 1);
	assert_int_equal(views_expect(e.h, "netadaptersriovvf", "vm2", "FunctionID", "1", msg, sizeof(msg)), 1);
	/* pf0 has two vPorts: expect needs one object. */
	assert_int_equal(views_expect(e.h, "netadaptervport", "pf0", "NumQueuePairs", "1", msg, sizeof(msg)), -ENOENT);
	assert_non_null(strstr(msg, "names 2 objects"));
	env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_golden_reasons),
		cmocka_unit_test(test_json_types),
		cmocka_unit_test(test_names_and_filters),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_live_state),
	};

	log_configure("*=error", NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
