/*
 * The INF reader (src/ndis/inf.c): a well-formed SR-IOV PF package is read
 * into models, install sections and AddReg lines; applying it builds the
 * adapter's driver key with the keyword defaults; and every malformed case
 * the reader refuses is refused at the right file:line with its reason. The
 * malformed cases are mutations of tests/drivers/fake_pf.inf, one rule each.
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

#include "ndis/inf.h"
#include "ndis/registry.h"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *good_text(void)
{
	size_t len;
	return read_file(TEST_DRIVERS_BUILDDIR "/fake_pf.inf", &len);
}

/* Replace the first occurrence of from by to; the test fails if from is absent. */
static char *mutate(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to);
	char *out;

	if (!at)
		fail_msg("mutation anchor not found: %s", from);
	out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static int line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle);
	int line = 1;

	if (!at)
		fail_msg("line anchor not found: %s", needle);
	for (const char *p = text; p < at; p++)
		if (*p == '\n')
			line++;
	return line;
}

static void test_good_pf_package(void **state)
{
	char err[256];
	struct ndis_inf *inf;
	const struct ndis_inf_model *m;
	int rc;

	(void)state;
	rc = ndis_inf_load(TEST_DRIVERS_BUILDDIR "/fake_pf.inf", &inf, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(ndis_inf_class(inf), NDIS_INF_CLASS_NET);
	assert_string_equal(ndis_inf_provider(inf), "iovlab test");
	assert_string_equal(ndis_inf_driver_ver(inf), "1.0.0.0");
	assert_int_equal(ndis_inf_model_count(inf), 1);
	/* Hardware IDs compare case-insensitively, as PnP does. */
	m = ndis_inf_find_model(inf, "pci\\ven_1ab4&dev_10ed");
	assert_non_null(m);
	assert_string_equal(m->description, "iovlab fake SR-IOV PF");
	assert_null(ndis_inf_find_model(inf, "PCI\\VEN_1AB4&DEV_10EE"));
	/* The decorated DDInstall section wins over the plain name. */
	assert_string_equal(m->install->name, "PF_Install.NTamd64");
	assert_int_equal(m->install->characteristics, 0x84);
	assert_int_equal(m->install->bus_type, 5);
	assert_string_equal(m->install->service, "fake_pf");
	assert_string_equal(m->install->service_binary, "fake_pf.sys");
	assert_true(ndis_inf_install_needs(m->install, "PciSriovSupported.HW"));
	assert_false(ndis_inf_install_needs(m->install, "Something.HW"));
	ndis_inf_destroy(inf);
}

static void test_apply_builds_driver_key(void **state)
{
	char err[256], buf[64];
	struct ndis_inf *inf;
	struct ndis_reg_key *root = ndis_reg_create();
	const struct ndis_inf_model *m;
	const struct ndis_reg_value *v;
	uint32_t u;

	(void)state;
	assert_int_equal(ndis_inf_load(TEST_DRIVERS_BUILDDIR "/fake_pf.inf", &inf, err, sizeof(err)), 0);
	m = ndis_inf_model_at(inf, 0);
	assert_int_equal(ndis_inf_apply(m->install, root), 0);
	/* Keyword values come from Ndi\params\<kw>\default, stored as REG_SZ. */
	v = ndis_reg_get(root, "*SRIOV");
	assert_non_null(v);
	assert_int_equal(v->type, NDIS_REG_SZ);
	assert_string_equal((const char *)v->data, "1");
	assert_int_equal(ndis_reg_get_uint(root, "*jumbopacket", 0, &u), 0);
	assert_int_equal(u, 1514);
	/* Plain AddReg values land where the line says, with their type. */
	v = ndis_reg_get(ndis_reg_open(root, "Ndi\\Interfaces", 0), "UpperRange");
	assert_non_null(v);
	assert_string_equal((const char *)v->data, "ndis5");
	v = ndis_reg_get(ndis_reg_open(root, "nicswitches\\0", 0), "*NumVFs");
	assert_non_null(v);
	assert_int_equal(v->type, NDIS_REG_DWORD);
	assert_int_equal(v->dword, 8);
	assert_string_equal(ndis_reg_value_format(ndis_reg_get(ndis_reg_open(root, "NicSwitches\\0", 0),
							       "*SwitchName"), buf, sizeof(buf)),
			    "Default Switch");
	ndis_reg_destroy(root);
	ndis_inf_destroy(inf);
}

static const char mini_inf[] =
	"[Version]\n"
	"Signature = \"$Windows NT$\"\n"
	"Class = NetService\n"
	"Provider = \"p\"\n"
	"DriverVer = 01/02/2026\n"
	"[Manufacturer]\n"
	"\"m\" = M\n"
	"[M]\n"
	"\"Proto; not a comment\" = Inst, IOVLAB_TESTPROTO\n"
	"[Inst]\n"
	"AddReg = R1\n"
	"AddReg = R2\n"
	"[Inst.Services]\n"
	"AddService = testproto, 0, Svc\n"
	"[Svc]\n"
	"ServiceBinary = testproto.sys\n"
	"[R1]\n"
	"HKR, Ndi\\Interfaces, LowerRange, 0, \\\n"
	"   \"ndis5,ndisvf\"\n"
	"HKR, , Quote, 0, \"say \"\"hi\"\"; 100%% sure\"\n"
	"HKR, , Multi, 0x00010000, \"a\", \"b\"\n"
	"HKR, , Bin, 0x00000001, 01, ff, 0x10\n"
	"HKR, , Keep, 0x00010001, 1\n"
	"HKR, , Keep, 0x00010003, 2\n"
	"HKR, Empty, , 0x10\n"
	"[r2]\n"
	"HKR, , Dir, 0, %12%\\x\n";

static void test_lexical_details(void **state)
{
	char err[256], buf[64];
	struct ndis_inf *inf;
	struct ndis_reg_key *root = ndis_reg_create();
	const struct ndis_inf_model *m;
	const struct ndis_reg_value *v;
	int rc;

	(void)state;
	rc = ndis_inf_parse("mini.inf", mini_inf, sizeof(mini_inf) - 1, &inf, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(ndis_inf_class(inf), NDIS_INF_CLASS_NETSERVICE);
	m = ndis_inf_find_model(inf, "iovlab_testproto");
	assert_non_null(m);
	/* ';' inside quotes is text, not a comment. */
	assert_string_equal(m->description, "Proto; not a comment");
	/* Without SPSVCINST_ASSOCSERVICE a protocol's first service is taken. */
	assert_string_equal(m->install->service, "testproto");
	assert_int_equal(ndis_inf_apply(m->install, root), 0);
	/* Continuation joins lines; two AddReg directives both apply; section
	 * names are case-insensitive ([r2] for R2). */
	v = ndis_reg_get(ndis_reg_open(root, "Ndi\\Interfaces", 0), "LowerRange");
	assert_non_null(v);
	assert_string_equal((const char *)v->data, "ndis5,ndisvf");
	assert_string_equal((const char *)ndis_reg_get(root, "Quote")->data, "say \"hi\"; 100% sure");
	assert_string_equal(ndis_reg_value_format(ndis_reg_get(root, "Multi"), buf, sizeof(buf)), "a,b");
	assert_string_equal(ndis_reg_value_format(ndis_reg_get(root, "Bin"), buf, sizeof(buf)), "01 ff 10");
	/* NOCLOBBER (0x2) keeps the first value. */
	assert_int_equal(ndis_reg_get(root, "Keep")->dword, 1);
	/* KEYONLY creates the key without a value. */
	assert_non_null(ndis_reg_open(root, "Empty", 0));
	/* A numeric %DIRID% survives substitution. */
	assert_string_equal((const char *)ndis_reg_get(root, "Dir")->data, "%12%\\x");
	ndis_reg_destroy(root);
	ndis_inf_destroy(inf);
}

struct bad_case {
	const char *from, *to;	/* mutation of fake_pf.inf */
	const char *at;		/* text on the line the error must name; NULL: no line */
	const char *reason;	/* substring of the message */
};

static const struct bad_case bad_cases[] = {
	{ "[PF_Params]", "[PF_Params", "[PF_Params", "section header without ']'" },
	{ "[PF_Switch]", "[PF_Switch] x", "[PF_Switch] x", "text after the section header" },
	{ "[PF_Switch]", "[ ]", "[ ]", "empty section name" },
	{ "[Version]", "Foo = 1\n[Version]", "Foo = 1", "entry before the first section" },
	{ "\"Default Switch\"", "\"Default Switch", "\"Default Switch", "unterminated quoted string" },
	{ "%Pf.Desc% = PF_Install", "%Nope% = PF_Install", "%Nope%", "%Nope% is not defined in [Strings]" },
	{ "DisplayName   = %Pf.Desc%", "DisplayName = 100% sure", "100% sure", "unmatched '%'" },
	{ "[Version]", "[Versio]", NULL, "no [Version] section" },
	{ "\"$WINDOWS NT$\"", "\"$WINDOWS 95$\"", "$WINDOWS 95$", "Signature" },
	{ "Class       = Net\n", "", "[Version]", "[Version] has no Class" },
	{ "Class       = Net", "Class = Display", "Class = Display", "not a network class" },
	{ "{4d36e972-e325-11ce-bfc1-08002be10318}", "{4d36e975-e325-11ce-bfc1-08002be10318}",
	  "ClassGuid", "ClassGuid does not match Class Net" },
	{ "Provider    = %Mfg%\n", "", "[Version]", "no Provider" },
	{ "DriverVer   = 11/21/2026,1.0.0.0\n", "", "[Version]", "no DriverVer" },
	{ "11/21/2026", "13/21/2026", "DriverVer", "DriverVer must be mm/dd/yyyy" },
	{ "[Manufacturer]", "[Makers]", NULL, "no [Manufacturer] section" },
	{ "Models, NTamd64", "Models, NTx86", "Models, NTx86", "no NTamd64 decoration" },
	{ "[Models.NTamd64]", "[Models.NTamd65]", "Models, NTamd64", "models section [Models.NTamd64] not found" },
	{ "PCI\\VEN_1AB4&DEV_10ED", "PCI\\VEN_1AB&DEV_10ED", "PCI\\VEN_1AB&", "is not PCI\\VEN_xxxx&DEV_yyyy" },
	{ "PCI\\VEN_1AB4&DEV_10ED", "PCI\\VEN_1AB4&DEV_10ED&SUBSYS_12", "SUBSYS_12", "is not PCI\\VEN_xxxx&DEV_yyyy" },
	{ "PCI\\VEN_1AB4&DEV_10ED", "VEN_1AB4", "VEN_1AB4", "has no enumerator" },
	{ "%Pf.Desc% = PF_Install, PCI\\VEN_1AB4&DEV_10ED",
	  "%Pf.Desc% = PF_Install, PCI\\VEN_1AB4&DEV_10ED\nx = PF_Install, pci\\ven_1ab4&dev_10ed",
	  "x = PF_Install", "listed twice" },
	{ "PF_Install, PCI", "PF_Instal, PCI", "PF_Instal, PCI", "install section [PF_Instal] not found" },
	{ "Characteristics = 0x84          ; NCF_PHYSICAL | NCF_HAS_UI\n", "", "[PF_Install.NTamd64]",
	  "has no Characteristics" },
	{ "Characteristics = 0x84", "Characteristics = NCF_PHYSICAL", "NCF_PHYSICAL", "Characteristics must be" },
	{ "PF_Params, PF_Switch", "PF_Params, PF_Swtch", "AddReg          =", "AddReg section [PF_Swtch] not found" },
	{ "HKR, Ndi,            Service", "HKLM, Ndi, Service", "HKLM", "registry root 'HKLM' not supported" },
	{ "*Flags,      0x00010001, 0", "*Flags, 0x00010005, 0", "*Flags, 0x00010005",
	  "only NOCLOBBER (0x2) and KEYONLY (0x10)" },
	{ "*Flags,      0x00010001, 0", "*Flags, 0x00040000, 0", "*Flags, 0x00040000", "unsupported type bits" },
	{ "*Flags,      0x00010001, 0", "*Flags, zero, 0", "*Flags, zero", "is not a number" },
	{ "*NumVFs,     0x00010001, 8", "*NumVFs, 0x00010001, eight", "eight", "is not a 32-bit number" },
	{ "*NumVFs,     0x00010001, 8", "*NumVFs, 0x00010001, 8, 9", "8, 9", "exactly one value" },
	{ "*SwitchType, 0x00010001, 1", "*SwitchType, 0x00010001, 2", "*SwitchType, 0x00010001, 2",
	  "*SwitchType must be 1, not 2" },
	{ "*SwitchId,   0x00010001, 0", "*SwitchId, 0x00010001, 3", "*SwitchId, 0x00010001, 3", "*SwitchId must be 0" },
	{ "*SwitchName, 0x00000000, \"Default Switch\"", "*SwitchName, 0x00010000, \"Default Switch\"",
	  "*SwitchName, 0x00010000", "*SwitchName must be REG_SZ" },
	{ "*NumVFs,     0x00010001, 8", "*NumVFs, 0, \"8\"", "*NumVFs, 0,", "*NumVFs must be REG_DWORD" },
	{ "HKR, Ndi\\params\\*SRIOV,         default,   0, \"1\"\n", "", "*SRIOV,         ParamDesc",
	  "Ndi\\params\\*SRIOV has no default" },
	{ "HKR, Ndi\\params\\*SRIOV,         ParamDesc, 0, %Sriov%\n", "", "*SRIOV,         type",
	  "Ndi\\params\\*SRIOV has no ParamDesc" },
	{ "HKR, Ndi\\params\\*SRIOV,         type,      0, \"enum\"\n", "", "*SRIOV,         ParamDesc",
	  "Ndi\\params\\*SRIOV has no type" },
	{ "*SRIOV,         default,   0, \"1\"", "*SRIOV, default, 0, \"2\"", "*SRIOV, default, 0, \"2\"",
	  "default \"2\" is not one of its enum values" },
	{ "*RSS,           type,      0, \"enum\"", "*RSS, type, 0, \"bool\"", "*RSS, type, 0, \"bool\"",
	  "type \"bool\" unknown" },
	{ "*RSS,           type,      0, \"enum\"", "*RSS, type, 0, \"int\"", "*RSS, type, 0, \"int\"",
	  "*RSS must be of type enum" },
	{ "HKR, Ndi\\params\\*VMQ\\enum,      \"1\",       0, %Enabled%",
	  "HKR, Ndi\\params\\*VMQ\\enum, \"1\", 0, %Enabled%\nHKR, Ndi\\params\\*VMQ\\enum, \"2\", 0, \"x\"",
	  "\\enum, \"2\"", "takes only the values 0 and 1" },
	{ "HKR, Ndi\\params\\*SRIOV\\enum,    \"0\",       0, %Disabled%\n"
	  "HKR, Ndi\\params\\*SRIOV\\enum,    \"1\",       0, %Enabled%\n", "", "*SRIOV,         ParamDesc",
	  "is an enum without values" },
	{ "[PF_Switch]", "HKR, Ndi\\params\\*SriovPreferred, ParamDesc, 0, \"x\"\n[PF_Switch]",
	  "*SriovPreferred, ParamDesc", "hidden keyword" },
	{ "*JumboPacket,   default,   0, \"1514\"", "*JumboPacket, default, 0, \"100\"", "\"100\"",
	  "default 100 is below min 1514" },
	{ "*JumboPacket,   default,   0, \"1514\"", "*JumboPacket, default, 0, \"10000\"", "\"10000\"",
	  "default 10000 is above max 9014" },
	{ "*JumboPacket,   max,       0, \"9014\"", "*JumboPacket, max, 0, \"1000\"", "max, 0, \"1000\"",
	  "max 1000 is below min 1514" },
	{ "*JumboPacket,   default,   0, \"1514\"", "*JumboPacket, default, 0, \"big\"", "\"big\"",
	  "default \"big\" is not a number" },
	{ "\"ndis5\"", "\"ndis5,,\"", "\"ndis5,,\"", "has an empty entry" },
	{ "UpperRange, 0, \"ndis5\"", "UpperRange, 0x00010001, 5", "UpperRange, 0x00010001", "must be a REG_SZ list" },
	{ "[PF_Install.NTamd64.Services]", "[PF_Install.Services]", "[PF_Install.NTamd64]",
	  "has no [PF_Install.NTamd64.Services] section" },
	{ "fake_pf, 2, PF_Service", "fake_pf, 0, PF_Service", "[PF_Install.NTamd64.Services]",
	  "no AddService with flag 0x2" },
	{ "fake_pf, 2, PF_Service", "fake_pf, 2, PF_Servce", "fake_pf, 2, PF_Servce",
	  "service install section [PF_Servce] not found" },
	{ "ServiceBinary = %12%\\fake_pf.sys\n", "", "[PF_Service]", "has no ServiceBinary" },
	{ "fake_pf.sys\n\n[PF_CopyFiles]", "fake_pf.dll\n\n[PF_CopyFiles]", "fake_pf.dll", "is not a .sys file" },
	{ "%12%\\fake_pf.sys", "%12%\\fake pf.sys", "fake pf.sys", "unexpected character ' '" },
	{ "ServiceType   = 1", "ServiceType = 2", "ServiceType = 2", "ServiceType must be 1" },
	{ "\"Default Switch\"", "Default, Switch", "Default, Switch", "quote values containing commas" },
	{ "BusType         = 5", "BusType = 5\n = 3", " = 3", "'=' without a name" },
	{ "HKR, Ndi,            Service,    0, \"fake_pf\"", "HKR = Ndi, Service, 0, \"fake_pf\"", "HKR = Ndi",
	  "AddReg line with '='" },
	{ "HKR, Ndi\\Interfaces, UpperRange", "HKR, Ndi\\\\Interfaces, UpperRange", "Ndi\\\\Interfaces",
	  "malformed subkey" },
	{ "Mfg      = \"iovlab test\"", "Mfg = iovlab, test", "Mfg = iovlab, test", "quote it" },
	{ "%Mfg% = Models, NTamd64\n", "", "[Manufacturer]", "[Manufacturer] is empty" },
	{ "[PF_Switch]", "[PF_Switch]\nHKR, , Bin, 0x00000001, 1ff", "1ff", "is not a hex byte" },
	{ "[PF_Switch]", "[PF_Switch]\nHKR, Key, , 0x00000010, 1", "Key, , 0x00000010", "KEYONLY AddReg line with a value" },
	{ "[PF_Switch]", "[PF_Switch]\nHKR, Key", "HKR, Key", "without a value name or value" },
	{ "[PF_Switch]", "[PF_Switch]\nHKR, Key, Name", "HKR, Key, Name", "string value missing" },
	{ "%Pf.Desc% = PF_Install, PCI", "%Pf.Desc% = PF_Install, PCI\\VEN_1AB4&DEV_10EF\n%Pf.Desc% = , PCI",
	  "= , PCI", "model must be description = install-section, hardware-id" },
};

static void test_malformed_refused_with_line(void **state)
{
	char *good = good_text();

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *text = mutate(good, c->from, c->to);
		char err[512], want[512];
		struct ndis_inf *inf = (void *)1;
		int rc = ndis_inf_parse("bad.inf", text, strlen(text), &inf, err, sizeof(err));

		if (rc != -EINVAL)
			fail_msg("case %zu (%s): expected refusal, got %d", i, c->reason, rc);
		assert_null(inf);
		if (c->at)
			snprintf(want, sizeof(want), "bad.inf:%d: ", line_of(text, c->at));
		else
			snprintf(want, sizeof(want), "bad.inf: ");
		if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, c->reason))
			fail_msg("case %zu: got \"%s\", want prefix \"%s\" and \"%s\"", i, err, want, c->reason);
		free(text);
	}
	free(good);
}

static void test_limits_and_bytes(void **state)
{
	char err[256];
	struct ndis_inf *inf;
	char *good = good_text(), *text, *big;
	size_t n;

	(void)state;
	/* A NUL byte is refused at its line. */
	text = strdup(good);
	n = strlen(text);
	text[strstr(text, "[Manufacturer]") - text + 1] = 0;
	assert_int_equal(ndis_inf_parse("nul.inf", text, n, &inf, err, sizeof(err)), -EINVAL);
	assert_true(strstr(err, "NUL byte") != NULL);
	free(text);
	/* An overlong logical line. */
	big = malloc(6000);
	memset(big, 'a', 5999);
	big[5999] = 0;
	memcpy(big, "[Version]\nx=", 12);
	assert_int_equal(ndis_inf_parse("long.inf", big, strlen(big), &inf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "long.inf:2: line longer than 4096 characters");
	/* Too many fields. */
	memset(big, ',', 200);
	memcpy(big, "[Version]\nx=", 12);
	big[200] = 0;
	assert_int_equal(ndis_inf_parse("fields.inf", big, strlen(big), &inf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "fields.inf:2: more than 64 fields");
	free(big);
	/* Larger than the 1 MiB cap. */
	big = calloc(1, (1u << 20) + 2);
	memset(big, ' ', (1u << 20) + 1);
	assert_int_equal(ndis_inf_parse("huge.inf", big, (1u << 20) + 1, &inf, err, sizeof(err)), -EINVAL);
	assert_true(strstr(err, "larger than") != NULL);
	free(big);
	/* A missing file names the path. */
	assert_int_equal(ndis_inf_load("/nonexistent/x.inf", &inf, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.inf: No such file or directory");
	free(good);
}

static void test_pci_id_syntax(void **state)
{
	(void)state;
	assert_true(ndis_inf_pci_id_valid("PCI\\VEN_1AB4&DEV_10ED"));
	assert_true(ndis_inf_pci_id_valid("pci\\ven_1ab4&dev_10ed&subsys_00011ab4&rev_01"));
	assert_true(ndis_inf_pci_id_valid("PCI\\VEN_1AB4&DEV_10ED&REV_01"));
	assert_false(ndis_inf_pci_id_valid("PCI\\VEN_1AB4"));
	assert_false(ndis_inf_pci_id_valid("PCI\\VEN_1AB4&DEV_10EDX"));
	assert_false(ndis_inf_pci_id_valid("PCI\\VEN_1AB4&DEV_10ED&REV_01&SUBSYS_00011AB4"));
	assert_false(ndis_inf_pci_id_valid("PCI\\DEV_10ED&VEN_1AB4"));
	assert_false(ndis_inf_pci_id_valid("USB\\VEN_1AB4&DEV_10ED"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_pf_package),
		cmocka_unit_test(test_apply_builds_driver_key),
		cmocka_unit_test(test_lexical_details),
		cmocka_unit_test(test_malformed_refused_with_line),
		cmocka_unit_test(test_limits_and_bytes),
		cmocka_unit_test(test_pci_id_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
