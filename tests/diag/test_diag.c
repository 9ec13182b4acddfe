/*
 * diagnose's pieces one at a time (src/diag): the host's parser of a
 * guest's answer (guest_facts.c) on the seeds of its fuzz corpus and on
 * refusals; the guest links' checks (checks.c) over facts a test shapes;
 * the host links through diag_run() over host-only labs on the framework's
 * fake PF, one platform or configuration property changed per case; the
 * JSON and text renderings; and the DIAG messages' check (vmctl_msg.c).
 * The end-to-end run over every lab file is tests/diag/test_diagnose.py.
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

#include <jansson.h>

#include "base/log.h"
#include "diag/diag.h"
#include "diag/diag_int.h"
#include "diag/guest_facts.h"
#include "hv/host.h"
#include "hv/vmctl_msg.h"
#include "lab/lab.h"

#define CORPUS SOURCE_ROOT "/tests/fuzz/corpus/diag_guest/"

static char *slurp(const char *name, size_t *len)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), CORPUS "%s", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void parse_seed(const char *name, struct diag_guest_facts *g)
{
	char why[160];
	size_t len;
	char *t = slurp(name, &len);

	if (diag_guest_facts_parse(t, len, g, why, sizeof(why)))
		fail_msg("%s: %s", name, why);
	free(t);
}

/* ---- the parser ----------------------------------------------------------------------- */
static void test_parse_declined(void **state)
{
	struct diag_guest_facts g;
	const struct diag_guest_adapter *a;

	(void)state;
	parse_seed("vbd-declined", &g);
	assert_true(g.has_netvsc);
	assert_string_equal(g.netvsc_state, "synthetic");
	assert_int_equal(g.host_serial, 1);
	assert_int_equal(g.ndevices, 2);
	assert_string_equal(g.devices[0].service, "srnic_vbd");
	assert_true(g.devices[1].vbd_child);
	assert_int_equal(g.nadapters, 2);
	a = &g.adapters[1];
	assert_string_equal(a->name, "Ethernet 2");
	assert_true(a->pnp && a->over_vbd && !a->vpci);
	assert_true(a->has_iface_status);
	assert_int_equal(a->iface_status, 0xc00000bb);
	assert_true(a->has_serial_oid);
	assert_int_equal(a->serial_oid_status, 0xc00000bb);
	assert_int_equal(a->nbindings, 1);
	assert_string_equal(a->bindings[0].protocol, "NETVSCVFPP");
	assert_string_equal(a->bindings[0].state, "Declined");
	assert_false(g.adapters[0].has_hw_caps);
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = { "bad-duplicate", "bad-negative", "bad-too-many-bindings",
					   "bad-total-below-rows", "bad-truncated", "bad-unknown-key" };
	static const char *const inline_bad[] = {
		"", "[]", "{\"v\":2,\"error\":\"x\"}", "{\"v\":1,\"error\":\"\\u0001\"}",
		"{\"v\":1,\"error\":\"x\",\"netvsc\":null}", "{\"v\":1}", "{\"v\":\"1\",\"error\":\"x\"}",
		"{\"v\":1,\"error\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxx\"}",
	};
	struct diag_guest_facts g;
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len;
		char *t = slurp(bad[i], &len);

		assert_int_equal(diag_guest_facts_parse(t, len, &g, why, sizeof(why)), -EBADMSG);
		assert_true(why[0]);
		assert_int_equal(g.nadapters, 0);
		free(t);
	}
	for (size_t i = 0; i < sizeof(inline_bad) / sizeof(inline_bad[0]); i++) {
		int rc = diag_guest_facts_parse(inline_bad[i], strlen(inline_bad[i]), &g, why, sizeof(why));

		if (rc != -EBADMSG)
			fail_msg("accepted %s", inline_bad[i]);
	}
	assert_int_equal(diag_guest_facts_parse("{\"v\":1,\"error\":\"too big\"}", 25, &g, why, sizeof(why)), 0);
	assert_true(g.has_error);
	assert_string_equal(g.error, "too big");
}

/* ---- guest links ------------------------------------------------------------------------ */
static void ctx_from(struct diag_ctx *c, const char *seed)
{
	memset(c, 0, sizeof(*c));
	parse_seed(seed, &c->g);
	c->guest = true;
	diag__pick_vf(c);
	assert_non_null(c->vf);
}

static bool evidence_has(const struct diag_link *l, const char *what)
{
	for (size_t i = 0; i < l->nevidence; i++)
		if (strstr(l->evidence[i], what))
			return true;
	return false;
}

static void run_check(struct diag_ctx *c, enum diag_link_id id, struct diag_link *l)
{
	memset(l, 0, sizeof(*l));
	l->id = id;
	diag_checks[id].check(c, l);
}

static void test_vbd_interface(void **state)
{
	struct diag_ctx c;
	struct diag_link l;

	(void)state;
	ctx_from(&c, "vbd-declined");
	run_check(&c, DIAG_LINK_VBD_INTERFACE, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_int_equal(l.ncatalogue, 1);
	assert_string_equal(l.catalogue[0], "F22");
	assert_true(evidence_has(&l, "OID_SRIOV_VF_SERIAL_NUMBER"));
	assert_true(evidence_has(&l, "NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)"));
	assert_true(evidence_has(&l, "NETVSCVFPP's binding to 'Ethernet 2': Declined"));
	assert_true(evidence_has(&l, "IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD)"));
	assert_non_null(strstr(l.fix, "ForwardVpciInterface=1"));

	ctx_from(&c, "vf-bound");
	run_check(&c, DIAG_LINK_VBD_INTERFACE, &l);
	assert_int_equal(l.status, DIAG_OK);
	run_check(&c, DIAG_LINK_VF_MINIPORT, &l);
	assert_int_equal(l.status, DIAG_OK);
	run_check(&c, DIAG_LINK_NETVSC_BINDING, &l);
	assert_int_equal(l.status, DIAG_OK);
	run_check(&c, DIAG_LINK_GUEST_DRIVER, &l);
	assert_int_equal(l.status, DIAG_OK);

	/* Captured, but the VF miniport reads config blocks itself over the VBD: still F22. */
	c.g.nfindings = 1;
	snprintf(c.g.findings[0].rule, sizeof(c.g.findings[0].rule), "NDIS-VBD-CONFIG-BLOCK");
	snprintf(c.g.findings[0].evidence, sizeof(c.g.findings[0].evidence), "NdisMReadConfigBlock over a VBD");
	run_check(&c, DIAG_LINK_VBD_INTERFACE, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F22");
	assert_true(evidence_has(&l, "NDIS-VBD-CONFIG-BLOCK"));
}

static void test_vf_miniport(void **state)
{
	struct diag_ctx c;
	struct diag_link l;
	struct diag_guest_adapter *a;

	(void)state;
	/* Started as a PF in the VM, never asked NdisGetHypervisorInfo (F24). */
	ctx_from(&c, "vf-bound");
	a = (struct diag_guest_adapter *)c.vf;
	a->cur_caps = a->hw_caps = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT;
	a->hypervisor_checked = false;
	run_check(&c, DIAG_LINK_VF_MINIPORT, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F24");
	assert_true(evidence_has(&l, "never called NdisGetHypervisorInfo"));

	/* Right caps, VMQ advertised (F24). */
	ctx_from(&c, "vf-bound");
	a = (struct diag_guest_adapter *)c.vf;
	a->rcv_filter_caps = a->vmq_enabled = true;
	run_check(&c, DIAG_LINK_VF_MINIPORT, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F24");
	assert_true(evidence_has(&l, "VMQ_FILTERS_ENABLED"));

	/* A header mistake the verifier caught (F32). */
	ctx_from(&c, "vf-bound");
	c.g.nfindings = 1;
	snprintf(c.g.findings[0].rule, sizeof(c.g.findings[0].rule), "NDIS-ATTR-HEADER");
	run_check(&c, DIAG_LINK_VF_MINIPORT, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F32");
}

static void test_binding_and_driver(void **state)
{
	struct diag_ctx c;
	struct diag_link l;
	struct diag_guest_adapter *a;

	(void)state;
	/* NETVSCVFPP never bound (VF INF without ndisvf): F23. */
	ctx_from(&c, "vf-bound");
	a = (struct diag_guest_adapter *)c.vf;
	a->nbindings = 0;
	run_check(&c, DIAG_LINK_NETVSC_BINDING, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F23");

	/* Serial numbers that do not match. */
	ctx_from(&c, "vf-bound");
	c.g.host_serial = 7;
	run_check(&c, DIAG_LINK_NETVSC_BINDING, &l);
	assert_int_equal(l.status, DIAG_BROKEN);

	/* No driver for the VF's PDO: F25. */
	ctx_from(&c, "vf-bound");
	c.g.devices[1].service[0] = '\0';
	run_check(&c, DIAG_LINK_GUEST_DRIVER, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F25");

	/* The driver's START failed: F26, with the problem status. */
	ctx_from(&c, "vf-bound");
	snprintf(c.g.devices[1].state, sizeof(c.g.devices[1].state), "StartFailed");
	c.g.devices[1].problem = 0xc000009a;
	run_check(&c, DIAG_LINK_GUEST_DRIVER, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_string_equal(l.catalogue[0], "F26");
	assert_true(evidence_has(&l, "0xc000009a"));
}

static void test_traffic(void **state)
{
	struct diag_ctx c;
	struct diag_link l;

	(void)state;
	ctx_from(&c, "vf-bound");
	run_check(&c, DIAG_LINK_TRAFFIC, &l);
	assert_int_equal(l.status, DIAG_NA);	/* nothing sent yet: nothing to say */
	c.g.tx_frames = c.g.tx_vf = 100;
	c.g.tx_completed = 100;
	run_check(&c, DIAG_LINK_TRAFFIC, &l);
	assert_int_equal(l.status, DIAG_OK);
	c.g.tx_failed = 40;
	c.g.tx_completed = 60;
	run_check(&c, DIAG_LINK_TRAFFIC, &l);
	assert_int_equal(l.status, DIAG_BROKEN);
	assert_true(evidence_has(&l, "40 failed"));
}

/* ---- host links over host-only labs ---------------------------------------------------- */
static char nic_body[1024];	/* the [nic pf0] section's keys; "": the fake PF */

static struct diag_report *diagnose(const char *host_section, const char *keywords, const char *vmnic1,
				    struct hv_host **hp, struct lab **lp)
{
	char text[4096], err[256], fake[600];
	struct diag_report *r = NULL;

	snprintf(fake, sizeof(fake), "driver = %s/fake_pf.so", TEST_DRIVERS_BUILDDIR);
	snprintf(text, sizeof(text),
		 "[lab]\nname = diag\n[host]\n%s\n"
		 "[nic pf0]\n%s\n"
		 "[keywords pf0]\n%s\n"
		 "[vmswitch ext]\niov = true\n"
		 "[vm vm1]\n[vm vm2]\n"
		 "[vmnetworkadapter vm1]\nmac = 00155D0A1B01\n%s\n"
		 "[vmnetworkadapter vm2]\nmac = 00155D0A1B02\niov_weight = 100\n",
		 host_section, nic_body[0] ? nic_body : fake, keywords, vmnic1);
	if (lab_load_string(text, "diag.lab", lp, err, sizeof(err)))
		fail_msg("%s", err);
	if (hv_host_create(*lp, NULL, hp, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(diag_run(*hp, NULL, &r), 0);
	assert_int_equal(diag_report_adapter_count(r), 2);
	return r;
}

#define KW "*SRIOV = 1\n*SriovPreferred = 1\n*NumVFs = 1"

static void done(struct diag_report *r, struct hv_host *h, struct lab *lab)
{
	diag_report_destroy(r);
	hv_host_destroy(h);
	lab_free(lab);
}

static void expect_first(const char *host, const char *kw, const char *vmnic1, const char *link, const char *row)
{
	struct hv_host *h;
	struct lab *lab;
	struct diag_report *r = diagnose(host, kw, vmnic1, &h, &lab);

	if (!diag_report_first_broken(r) || strcmp(diag_report_first_broken(r), link) ||
	    !diag_report_first_catalogue(r) || strcmp(diag_report_first_catalogue(r), row))
		fail_msg("[host] %s / %s / %s: want %s %s, got %s %s", host, kw, vmnic1, link, row,
			 diag_report_first_broken(r) ? diag_report_first_broken(r) : "none",
			 diag_report_first_catalogue(r) ? diag_report_first_catalogue(r) : "-");
	done(r, h, lab);
}

static void test_host_links(void **state)
{
	(void)state;
	expect_first("slat = false", KW, "iov_weight = 100", "platform", "F02");
	expect_first("osc = false", KW, "iov_weight = 100", "platform", "F01");
	expect_first("iommu = false", KW, "iov_weight = 100", "platform", "F06");
	expect_first("acs = false", KW, "iov_weight = 100", "pci", "F09");
	expect_first("", "*SRIOV = 0\n*SriovPreferred = 1", "iov_weight = 100", "keywords", "F13");
	expect_first("", "*SRIOV = 1\n*SriovPreferred = 0\n*RssOrVmqPreference = 1", "iov_weight = 100", "keywords",
		     "F14");
	expect_first("", KW, "iov_weight = 0", "iov-weight", "F17");
}

/*
 * The framework's mutant PF miniports (tests/drivers), each breaking one
 * verifier rule, installed for srnic's device ID from a copy of their INF.
 */
static void with_mutant(const char *name, const char *dir)
{
	char src[512], dst[512], line[512];
	FILE *in, *out;

	snprintf(src, sizeof(src), "%s/%s.inf", TEST_DRIVERS_BUILDDIR, name);
	snprintf(dst, sizeof(dst), "%s/%s.inf", dir, name);
	in = fopen(src, "r");
	out = fopen(dst, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		char *d = strstr(line, "DEV_");

		if (d && strlen(d) >= 8)
			memcpy(d, "DEV_10ED", 8);	/* srnic's PF */
		fputs(line, out);
	}
	fclose(in);
	fclose(out);
	snprintf(nic_body, sizeof(nic_body), "driver = %s/%s.so\ninf = %s", TEST_DRIVERS_BUILDDIR, name, dst);
}

static void test_pf_mutants(void **state)
{
	char dir[] = "/tmp/diag-test-XXXXXX", path[600];

	(void)state;
	assert_non_null(mkdtemp(dir));
	with_mutant("mut_f32", dir);	/* hardware-assist header sized as general attributes */
	expect_first("", KW, "iov_weight = 100", "pf-driver", "F32");
	with_mutant("mut_pf_no_needs", dir);	/* INF without Needs=PciSriovSupported.HW */
	expect_first("", KW, "iov_weight = 100", "pf-driver", "F12");
	nic_body[0] = '\0';
	snprintf(path, sizeof(path), "%s/mut_f32.inf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/mut_pf_no_needs.inf", dir);
	unlink(path);
	rmdir(dir);
}

static void test_pool_and_host_only(void **state)
{
	struct hv_host *h;
	struct lab *lab;
	struct diag_report *r;
	json_t *j, *fb;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	/* One VF, two adapters asking: vm1 holds it (no guest: the guest links are not reached), vm2 finds none. */
	r = diagnose("", KW, "iov_weight = 100", &h, &lab);
	assert_string_equal(diag_report_adapter_vm(r, 0), "vm1");
	assert_int_equal(diag_report_link_status(r, 0, DIAG_LINK_VPORT_FILTERS), DIAG_OK);
	assert_int_equal(diag_report_link_status(r, 0, DIAG_LINK_VPCI_OFFER), DIAG_NOT_REACHED);
	assert_int_equal(diag_report_link_status(r, 0, DIAG_LINK_VBD_INTERFACE), DIAG_NOT_REACHED);
	assert_int_equal(diag_report_link_status(r, 1, DIAG_LINK_VF_POOL), DIAG_BROKEN);
	assert_string_equal(diag_report_first_broken(r), "vf-pool");
	assert_string_equal(diag_report_first_catalogue(r), "F18");

	j = diag_report_json(r);
	assert_non_null(j);
	fb = json_object_get(j, "first_broken");
	assert_string_equal(json_string_value(json_object_get(fb, "id")), "vf-pool");
	assert_string_equal(json_string_value(json_object_get(fb, "vm")), "vm2");
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "adapters"), 0), "links")),
			 DIAG_LINK_COUNT);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "adapters"), 0), "first_broken")));
	json_decref(j);

	f = open_memstream(&text, &len);
	assert_int_equal(diag_report_print(r, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "[FAIL] vf-pool"));
	assert_non_null(strstr(text, "[ ok ] platform        IovSupport True"));
	assert_non_null(strstr(text, "First broken link: vf-pool (F18)"));
	assert_non_null(strstr(text, "the VM's guest is not running"));
	free(text);
	diag_report_destroy(r);

	assert_int_equal(diag_run(h, "vm9", &r), -ENOENT);
	assert_int_equal(diag_run(h, "vm1", &r), 0);
	assert_int_equal(diag_report_adapter_count(r), 1);
	assert_null(diag_report_first_broken(r));
	done(r, h, lab);
}

/* No VM adapter: the management OS's vNIC on the switch is the only one (F30), or nothing at all. */
static void test_management_os(void **state)
{
	static const char *const allow[] = { "true", "false" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		char text[1024], err[256];
		struct lab *lab;
		struct hv_host *h;
		struct diag_report *r;

		snprintf(text, sizeof(text),
			 "[nic pf0]\ndriver = %s/fake_pf.so\n[keywords pf0]\n" KW "\n"
			 "[vmswitch ext]\niov = true\nallow_management_os = %s\n",
			 TEST_DRIVERS_BUILDDIR, allow[i]);
		if (lab_load_string(text, "mgmt.lab", &lab, err, sizeof(err)))
			fail_msg("%s", err);
		if (hv_host_create(lab, NULL, &h, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(diag_run(h, NULL, &r), 0);
		assert_int_equal(diag_report_adapter_count(r), 1);
		assert_int_equal(diag_report_link_status(r, 0, DIAG_LINK_NIC_SWITCH), DIAG_OK);
		if (i == 0) {
			assert_string_equal(diag_report_first_broken(r), "iov-weight");
			assert_string_equal(diag_report_first_catalogue(r), "F30");
			assert_string_equal(diag_report_adapter_name(r, 0), "ext (management OS)");
		} else {
			assert_null(diag_report_first_broken(r));
			assert_int_equal(diag_report_link_status(r, 0, DIAG_LINK_IOV_WEIGHT), DIAG_NA);
		}
		done(r, h, lab);
	}
}

/* ---- the DIAG messages ----------------------------------------------------------------- */
static void test_vmctl_diag(void **state)
{
	static uint8_t m[sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX + 8];
	struct vmctl_diag h = { .hdr = { .type = VMCTL_MSG_DIAG }, .version = VMCTL_DIAG_V1 };
	struct vmctl_diag_query q = { .hdr = { .type = VMCTL_MSG_DIAG_QUERY, .size = sizeof(q) }, .version = 1 };
	const char *json = "{\"v\":1,\"error\":\"x\"}", *why;
	uint32_t type, n = (uint32_t)strlen(json);

	(void)state;
	h.len = n;
	h.hdr.size = sizeof(h) + n;
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), json, n);
	assert_int_equal(vmctl_msg_check(m, h.hdr.size, VMCTL_TO_HOST, &type, &why), 0);
	assert_int_equal(type, VMCTL_MSG_DIAG);
	assert_string_equal(vmctl_msg_name(type), "DIAG");
	/* the wrong way, a length that is not the message's, a control byte, too long, empty */
	assert_int_equal(vmctl_msg_check(m, h.hdr.size, VMCTL_TO_GUEST, &type, &why), -EBADMSG);
	((struct vmctl_diag *)m)->len = n - 1;
	assert_int_equal(vmctl_msg_check(m, h.hdr.size, VMCTL_TO_HOST, &type, &why), -EBADMSG);
	((struct vmctl_diag *)m)->len = n;
	m[sizeof(h) + 3] = '\n';
	assert_int_equal(vmctl_msg_check(m, h.hdr.size, VMCTL_TO_HOST, &type, &why), -EBADMSG);
	assert_non_null(strstr(why, "printable"));
	memset(m + sizeof(h), 'a', VMCTL_DIAG_JSON_MAX + 1);
	((struct vmctl_diag *)m)->len = VMCTL_DIAG_JSON_MAX + 1;
	((struct vmctl_diag *)m)->hdr.size = sizeof(h) + VMCTL_DIAG_JSON_MAX + 1;
	assert_int_equal(vmctl_msg_check(m, sizeof(h) + VMCTL_DIAG_JSON_MAX + 1, VMCTL_TO_HOST, &type, &why), -EBADMSG);
	((struct vmctl_diag *)m)->len = 0;
	((struct vmctl_diag *)m)->hdr.size = sizeof(h);
	assert_int_equal(vmctl_msg_check(m, sizeof(h), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	assert_int_equal(vmctl_msg_check(&q, sizeof(q), VMCTL_TO_GUEST, &type, &why), 0);
	q.version = 2;
	assert_int_equal(vmctl_msg_check(&q, sizeof(q), VMCTL_TO_GUEST, &type, &why), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_declined),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_vbd_interface),
		cmocka_unit_test(test_vf_miniport),
		cmocka_unit_test(test_binding_and_driver),
		cmocka_unit_test(test_traffic),
		cmocka_unit_test(test_host_links),
		cmocka_unit_test(test_pf_mutants),
		cmocka_unit_test(test_pool_and_host_only),
		cmocka_unit_test(test_management_os),
		cmocka_unit_test(test_vmctl_diag),
	};

	log_configure("*=error", NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
