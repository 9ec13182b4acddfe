/*
 * The configuration exports (src/ndis/config.c, api_config.c), called the
 * way a miniport calls them, on a running fake PF's adapter handle:
 * NdisOpenConfigurationEx header and handle checks, NdisReadConfiguration
 * conversions (integer, hex integer, string, missing, wrong type), a subkey
 * opened by name, NdisWriteConfiguration, and the read log the verifier uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "fw_helpers.h"

static NDIS_CONFIGURATION_OBJECT config_object(NDIS_HANDLE h)
{
	NDIS_CONFIGURATION_OBJECT co;

	memset(&co, 0, sizeof(co));
	co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
	co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
	co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
	co.NdisHandle = h;
	return co;
}

static bool read_logged(struct ndis_adapter *ad, const char *kw, bool found)
{
	for (size_t i = 0; i < ndis_adapter_config_read_count(ad); i++) {
		const struct ndis_config_read *r = ndis_adapter_config_read_at(ad, i);
		if (!strcmp(r->keyword, kw) && r->found == found)
			return true;
	}
	return false;
}

static void test_configuration_reads(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_pf");
	struct bus_double bus;
	struct ndis_adapter *ad;
	NDIS_CONFIGURATION_OBJECT co;
	NDIS_HANDLE cfg = NULL, sub = NULL;
	PNDIS_CONFIGURATION_PARAMETER p;
	NDIS_CONFIGURATION_PARAMETER w;
	NDIS_STATUS st;
	NDIS_STRING sriov = NDIS_STRING_CONST("*SRIOV"), jumbo = NDIS_STRING_CONST("*JumboPacket");
	NDIS_STRING none = NDIS_STRING_CONST("*Nope"), nics = NDIS_STRING_CONST("NicSwitches\\0");
	NDIS_STRING numvfs = NDIS_STRING_CONST("*NumVFs"), mine = NDIS_STRING_CONST("FakeCounter");
	NDIS_STRING name = NDIS_STRING_CONST("*SwitchName");

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "pf", HWID("10ED"), &bus, NULL, &ad), 0);
	/* Header and handle checks. */
	co = config_object(c->adapter);
	co.Header.Size = 4;
	assert_int_equal(NdisOpenConfigurationEx(&co, &cfg), NDIS_STATUS_BAD_VERSION);
	co = config_object(c->adapter);
	co.Flags = NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION;
	assert_int_equal(NdisOpenConfigurationEx(&co, &cfg), NDIS_STATUS_NOT_SUPPORTED);
	co = config_object(&co);
	assert_int_equal(NdisOpenConfigurationEx(&co, &cfg), NDIS_STATUS_INVALID_PARAMETER);
	co = config_object(c->adapter);
	assert_int_equal(NdisOpenConfigurationEx(&co, &cfg), NDIS_STATUS_SUCCESS);
	/* An enum keyword (REG_SZ "1") as an integer and as a string. */
	NdisReadConfiguration(&st, &p, cfg, &sriov, NdisParameterInteger);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	assert_int_equal(p->ParameterType, NdisParameterInteger);
	assert_int_equal(p->ParameterData.IntegerData, 1);
	NdisReadConfiguration(&st, &p, cfg, &sriov, NdisParameterString);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	assert_int_equal(p->ParameterType, NdisParameterString);
	assert_int_equal(p->ParameterData.StringData.Length, 2);
	assert_int_equal(p->ParameterData.StringData.Buffer[0], '1');
	/* NdisParameterHexInteger reads "1514" as hex. */
	NdisReadConfiguration(&st, &p, cfg, &jumbo, NdisParameterHexInteger);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	assert_int_equal(p->ParameterData.IntegerData, 0x1514);
	/* Missing and unconvertible keywords fail; both are logged. */
	NdisReadConfiguration(&st, &p, cfg, &none, NdisParameterInteger);
	assert_int_equal(st, NDIS_STATUS_FAILURE);
	NdisReadConfiguration(&st, &p, cfg, &sriov, NdisParameterBinary);
	assert_int_equal(st, NDIS_STATUS_FAILURE);
	assert_true(read_logged(ad, "*Nope", false));
	/* A subkey by name; the log carries the path. */
	NdisOpenConfigurationKeyByName(&st, cfg, &nics, &sub);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	NdisReadConfiguration(&st, &p, sub, &numvfs, NdisParameterInteger);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	assert_int_equal(p->ParameterData.IntegerData, 8);
	assert_true(read_logged(ad, "NicSwitches\\0\\*NumVFs", true));
	/* A REG_DWORD comes back as an integer even when a string is asked for. */
	NdisReadConfiguration(&st, &p, sub, &numvfs, NdisParameterString);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	assert_int_equal(p->ParameterType, NdisParameterInteger);
	NdisReadConfiguration(&st, &p, sub, &name, NdisParameterString);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	assert_int_equal(p->ParameterData.StringData.Length, 28);
	NdisOpenConfigurationKeyByName(&st, cfg, &none, &sub);
	assert_int_equal(st, NDIS_STATUS_FAILURE);
	/* Writes land in the adapter's registry. */
	memset(&w, 0, sizeof(w));
	w.ParameterType = NdisParameterInteger;
	w.ParameterData.IntegerData = 42;
	NdisWriteConfiguration(&st, cfg, &mine, &w);
	assert_int_equal(st, NDIS_STATUS_SUCCESS);
	{
		char buf[16];
		assert_int_equal(ndis_adapter_get_keyword(ad, "FakeCounter", buf, sizeof(buf)), 0);
		assert_string_equal(buf, "42");
	}
	/* Closing the root closes the subkeys; the handle is then unknown. */
	NdisCloseConfiguration(cfg);
	NdisReadConfiguration(&st, &p, sub, &numvfs, NdisParameterInteger);
	assert_int_equal(st, NDIS_STATUS_FAILURE);
	/* The one finding: the configuration object that named no adapter. */
	assert_int_equal(ndis_framework_finding_count(fw), 1);
	assert_int_equal(ndis_framework_findings_of(fw, NDIS_RULE_HANDLE), 1);
	ndis_framework_destroy(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configuration_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
