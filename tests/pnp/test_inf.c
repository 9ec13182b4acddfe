/*
 * The WDM INF reader (src/pnp/inf.c): a bus-driver package is read into
 * models, install sections (decorations resolved as Windows resolves them),
 * the function driver's service and its AddReg values; each malformed
 * input is refused with the file, the line and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "pnp/inf.h"

static const char good[] =
	"[Version]\n"
	"Signature = \"$WINDOWS NT$\"\n"
	"Class = System\n"
	"Provider = %Mfg%\n"
	"[Manufacturer]\n"
	"%Mfg% = Models, NTamd64\n"
	"[Models.NTamd64]\n"
	"%Desc% = Bus_Install, PCI\\VEN_1AB4&DEV_10EE&SUBSYS_00011AB4, PCI\\VEN_1AB4&DEV_10EF\n"
	"[Bus_Install.NTamd64]\n"
	"AddReg = DrvKey\n"
	"[Bus_Install.NTamd64.HW]\n"
	"AddReg = DevKey\n"
	"[Bus_Install.NTamd64.Services]\n"
	"AddService = mybus, 0x00000002, Svc ; the function driver\n"
	"AddService = helper, 0, Svc\n"
	"[Svc]\n"
	"ServiceBinary = %12%\\mybus.sys\n"
	"[DevKey]\n"
	"HKR,, ForwardVpciInterface, 0x00010001, 1\n"
	"HKR,, Label, 0, \"a;b\"\n"
	"[DrvKey]\n"
	"HKR, Sub, Deep, 0x00010001, 0x10\n"
	"[Strings]\n"
	"Mfg = \"Contoso\"\n"
	"Desc = \"Contoso bus\"\n";

static void test_good_package(void **state)
{
	struct pnp_inf *inf;
	const struct pnp_inf_model *m;
	char err[256];

	(void)state;
	assert_int_equal(pnp_inf_parse("bus.inf", good, sizeof(good) - 1, &inf, err, sizeof(err)), 0);
	assert_string_equal(pnp_inf_class(inf), "System");
	assert_string_equal(pnp_inf_provider(inf), "Contoso");
	assert_int_equal(pnp_inf_model_count(inf), 2);
	m = pnp_inf_find_model(inf, "pci\\ven_1ab4&dev_10ef");
	assert_non_null(m);
	assert_string_equal(m->description, "Contoso bus");
	assert_string_equal(m->install->name, "Bus_Install.NTamd64");
	assert_ptr_equal(m->install, pnp_inf_model_at(inf, 0)->install);	/* one install, shared */
	assert_string_equal(m->install->service, "mybus");
	assert_string_equal(m->install->service_binary, "mybus.sys");
	assert_int_equal(m->install->n_dev_values, 2);
	assert_string_equal(m->install->dev_values[0].name, "ForwardVpciInterface");
	assert_int_equal(m->install->dev_values[0].type, 4);
	assert_int_equal(m->install->dev_values[0].dword, 1);
	assert_string_equal(m->install->dev_values[1].sz, "a;b");
	assert_int_equal(m->install->n_drv_values, 1);
	assert_string_equal(m->install->drv_values[0].subkey, "Sub");
	assert_null(pnp_inf_find_model(inf, "PCI\\VEN_0000&DEV_0000"));
	assert_null(pnp_inf_model_at(inf, 2));
	pnp_inf_destroy(inf);
	pnp_inf_destroy(NULL);
}

static void refused(const char *text, const char *want)
{
	struct pnp_inf *inf = (struct pnp_inf *)1;
	char err[256];

	assert_int_equal(pnp_inf_parse("t.inf", text, strlen(text), &inf, err, sizeof(err)), -EINVAL);
	assert_null(inf);
	if (!strstr(err, want))
		fail_msg("'%s' does not contain '%s'", err, want);
}

#define HEAD "[Version]\nSignature=\"$WINDOWS NT$\"\nClass=System\n"

static void test_refusals(void **state)
{
	(void)state;
	refused("Class=System\n", "t.inf:1: text before the first section");
	refused("[Strings]\nA=1\n", "t.inf:1: no [Version] section");
	refused("[Version]\nClass=System\n", "t.inf:1: [Version] has no Signature");
	refused("[Version]\nSignature=\"$Windows 95$\"\n", "t.inf:2: Signature must be");
	refused(HEAD, "no [Manufacturer] section");
	refused("[Version]\nSignature=\"$WINDOWS NT$\"\nClass=Net\n", "t.inf:3: Class Net is a network class");
	refused(HEAD "[Manufacturer]\nM=Mod\n", "t.inf:5: models section [Mod] does not exist");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,NOENUM\n", "t.inf:7: hardware ID 'NOENUM' has no enumerator");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B\n", "t.inf:7: install section [I] does not exist");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B\n[I]\n", "t.inf:8: [I] has no [I.Services] section");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B\n[I]\n[I.Services]\nAddService=s,0,S\n",
		"t.inf:9: [I.Services] has no AddService with flag 0x2");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B\n[I]\n[I.Services]\nAddService=s,2,S\n[S]\n",
		"t.inf:11: [S] has no ServiceBinary");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B\n[I]\nAddReg=R\n[I.Services]\nAddService=s,2,S\n"
		"[S]\nServiceBinary=s.sys\n[R]\nHKLM,,X,0,1\n", "t.inf:15: only HKR is supported");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B\n[I]\nAddReg=R\n[I.Services]\nAddService=s,2,S\n"
		"[S]\nServiceBinary=s.sys\n[R]\nHKR,,X,0x10000,1\n", "t.inf:15: AddReg flags 0x10000");
	refused(HEAD "[Manufacturer]\nM=%Nope%\n", "t.inf:5: %Nope% is not defined in [Strings]");
	refused("[Version]\nSignature=\"$WINDOWS NT$\n", "t.inf:2: unterminated quote");
	refused("[Version\n", "t.inf:1: section header without ']'");
	refused(HEAD "[Manufacturer]\nM=Mod\n[Mod]\nd=I,A\\B,A\\B\n[I]\n[I.Services]\nAddService=s,2,S\n[S]\n"
		"ServiceBinary=s.sys\n", "t.inf:7: hardware ID 'A\\B' is listed twice");
}

static void test_load_errors(void **state)
{
	struct pnp_inf *inf;
	char err[256];

	(void)state;
	assert_int_equal(pnp_inf_load("/nonexistent/x.inf", &inf, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.inf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_package),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
