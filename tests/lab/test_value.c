/*
 * Value types of the lab file (src/lab/value.c) through the public schema
 * API: every type's accepted spellings, its canonical text, and each kind
 * of illegal value with the exact message a user sees after "file:line:
 * [section name] key: ".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include "lab/lab_schema.h"

static const struct lab_key *key(enum lab_section s, const char *name)
{
	const struct lab_key *k = lab_schema_key_find(lab_schema_section(s), name);

	assert_non_null(k);
	return k;
}

/* Parse text, expect success, return the canonical text. */
static const char *canon(enum lab_section s, const char *name, const char *text)
{
	static char buf[128];
	const struct lab_key *k = key(s, name);
	union lab_value v;
	char err[160];
	int rc = lab_value_parse(k, text, &v, err, sizeof(err));

	if (rc)
		fail_msg("%s = '%s' refused: %s", name, text, err);
	lab_value_format(k, &v, buf, sizeof(buf));
	lab_value_fini(k, &v);
	return buf;
}

static void refused(enum lab_section s, const char *name, const char *text, const char *msg)
{
	const struct lab_key *k = key(s, name);
	union lab_value v;
	char err[200];

	assert_int_equal(lab_value_parse(k, text, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_bool(void **state)
{
	const char *yes[] = { "on", "true", "yes", "1", "$true", "TRUE", "On", "$True" };
	const char *no[] = { "off", "false", "no", "0", "$false", "FALSE", "Off" };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_string_equal(canon(LAB_SEC_HOST, "acs", yes[i]), "true");
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_string_equal(canon(LAB_SEC_HOST, "acs", no[i]), "false");
	refused(LAB_SEC_HOST, "acs", "maybe",
		"'maybe' is not a boolean (use true/false, on/off, yes/no or 1/0)");
	refused(LAB_SEC_HOST, "acs", "2",
		"'2' is not a boolean (use true/false, on/off, yes/no or 1/0)");
	refused(LAB_SEC_HOST, "acs", "", "has no value");
}

static void test_integer(void **state)
{
	(void)state;
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_weight", "0"), "0");
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_weight", "100"), "100");
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_weight", "0x64"), "100");
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_queue_pairs_requested", "4294967295"),
			    "4294967295");
	refused(LAB_SEC_VMNIC, "iov_weight", "101", "101 is out of range 0..100");
	refused(LAB_SEC_VMNIC, "iov_weight", "-1", "'-1' is not a whole number");
	refused(LAB_SEC_VMNIC, "iov_weight", "+5", "'+5' is not a whole number");
	refused(LAB_SEC_VMNIC, "iov_weight", "5x", "'5x' is not a whole number");
	refused(LAB_SEC_VMNIC, "iov_weight", "1.5", "'1.5' is not a whole number");
	refused(LAB_SEC_VMNIC, "iov_queue_pairs_requested", "0", "0 is out of range 1..4294967295");
	refused(LAB_SEC_VMNIC, "iov_queue_pairs_requested", "4294967296",
		"4294967296 is out of range 1..4294967295");
	refused(LAB_SEC_VMNIC, "iov_queue_pairs_requested", "99999999999999999999999",
		"99999999999999999999999 is out of range 1..4294967295");
	refused(LAB_SEC_HOST, "bus_numbers", "0", "0 is out of range 1..256");
	refused(LAB_SEC_VMNIC, "vlan", "4095", "4095 is out of range 0..4094");
}

static void test_size(void **state)
{
	(void)state;
	assert_string_equal(canon(LAB_SEC_VM, "memory", "64M"), "64M");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "64MB"), "64M");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "64mib"), "64M");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "65536K"), "64M");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "67108864"), "64M");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "1024M"), "1G");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "1536M"), "1536M");
	assert_string_equal(canon(LAB_SEC_VM, "memory", "4G"), "4G");
	assert_string_equal(canon(LAB_SEC_HOST, "vf_bar_space", "0"), "0");
	assert_string_equal(canon(LAB_SEC_HOST, "vf_bar_space", "65536M"), "64G");
	assert_string_equal(canon(LAB_SEC_HOST, "vf_bar_space", "1536K"), "1536K");
	refused(LAB_SEC_HOST, "vf_bar_space", "1T", "1T is out of range 0..64G");
	assert_string_equal(canon(LAB_SEC_NIC, "vf_bar_size", "4096"), "4K");
	refused(LAB_SEC_VM, "memory", "8M", "8M is out of range 16M..4G");
	refused(LAB_SEC_VM, "memory", "5G", "5G is out of range 16M..4G");
	refused(LAB_SEC_VM, "memory", "12Q",
		"'12Q' is not a size (a number with an optional K, M, G or T)");
	refused(LAB_SEC_VM, "memory", "M",
		"'M' is not a size (a number with an optional K, M, G or T)");
	refused(LAB_SEC_VM, "memory", "1.5G",
		"'1.5G' is not a size (a number with an optional K, M, G or T)");
	refused(LAB_SEC_VM, "memory", "0x4000000",
		"'0x4000000' is not a size (a number with an optional K, M, G or T)");
	refused(LAB_SEC_VM, "memory", "99999999999T", "99999999999T is out of range 16M..4G");
	refused(LAB_SEC_NIC, "vf_bar_size", "24K", "24K is not a power of two");
	refused(LAB_SEC_NIC, "vf_bar_size", "2K", "2K is out of range 4K..1G");
}

static void test_enum(void **state)
{
	(void)state;
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_interrupt_moderation", "adaptive"), "Adaptive");
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_interrupt_moderation", "HIGH"), "High");
	assert_string_equal(canon(LAB_SEC_VMNIC, "iov_interrupt_moderation", "Off"), "Off");
	assert_string_equal(canon(LAB_SEC_VMSWITCH, "type", "internal"), "Internal");
	assert_string_equal(canon(LAB_SEC_VMSWITCH, "teaming", "lbfo"), "LBFO");
	refused(LAB_SEC_VMNIC, "iov_interrupt_moderation", "Fast",
		"'Fast' is not one of Default, Adaptive, Off, Low, Medium, High");
	refused(LAB_SEC_VMNIC, "iov_interrupt_moderation", "Medum",
		"'Medum' is not one of Default, Adaptive, Off, Low, Medium, High "
		"(did you mean Medium?)");
}

static void test_enum_values_are_cim(void **state)
{
	const struct lab_key *k = key(LAB_SEC_VMNIC, "IovInterruptModeration");
	union lab_value v;

	(void)state;
	/* tools-and-views.md 1.1: Default 0, Adaptive 1, Off 2, Low 100, Medium 200, High 300. */
	assert_int_equal(lab_value_parse(k, "Low", &v, NULL, 0), 0);
	assert_int_equal(v.e, 100);
	assert_int_equal(lab_value_parse(k, "High", &v, NULL, 0), 0);
	assert_int_equal(v.e, LAB_IOV_MODERATION_HIGH);
	assert_int_equal(LAB_IOV_MODERATION_HIGH, 300);
	assert_int_equal(LAB_IOV_MODERATION_OFF, 2);
}

static void test_string(void **state)
{
	(void)state;
	assert_string_equal(canon(LAB_SEC_LAB, "description", ""), "");
	assert_string_equal(canon(LAB_SEC_LAB, "description", "two VMs; one VF each"),
			    "two VMs; one VF each");
	assert_string_equal(canon(LAB_SEC_HOST, "computer_name", "HV-HOST01"), "HV-HOST01");
	refused(LAB_SEC_HOST, "computer_name", "", "is empty");
	refused(LAB_SEC_HOST, "computer_name", "A-VERY-LONG-HOSTNAME", "is longer than 15 characters");
	refused(LAB_SEC_LAB, "description", "bell\a", "contains a control character");
}

static void test_name_and_driver(void **state)
{
	(void)state;
	assert_string_equal(canon(LAB_SEC_VMSWITCH, "adapter", "pf0"), "pf0");
	assert_string_equal(canon(LAB_SEC_VMSWITCH, "adapter", "none"), "none");
	assert_string_equal(canon(LAB_SEC_VMNIC, "switch", "SRIOV-Ext.1_a"), "SRIOV-Ext.1_a");
	refused(LAB_SEC_VMNIC, "vm", "none",
		"'none' is a reserved word (none, auto, host, peer), not a name");
	refused(LAB_SEC_VMNIC, "vm", "Peer",
		"'Peer' is a reserved word (none, auto, host, peer), not a name");
	refused(LAB_SEC_VMNIC, "switch", "my switch",
		"'my switch' is not a valid name (letters, digits, '_', '-', '.', at most 32 characters)");
	refused(LAB_SEC_VMNIC, "switch", "-x",
		"'-x' is not a valid name (letters, digits, '_', '-', '.', at most 32 characters)");

	assert_string_equal(canon(LAB_SEC_NIC, "driver", "SRNIC_PF"), "srnic_pf");
	assert_string_equal(canon(LAB_SEC_NIC, "driver", "none"), "none");
	assert_string_equal(canon(LAB_SEC_NIC, "driver", "./mypf.so"), "./mypf.so");
	assert_string_equal(canon(LAB_SEC_NIC, "driver", "build/drivers/x"), "build/drivers/x");
	assert_string_equal(canon(LAB_SEC_VM, "vbd", "srnic_vbd"), "srnic_vbd");
	refused(LAB_SEC_VM, "vf_driver", "srnic_pf",
		"'srnic_pf' is neither a built-in driver (srnic_vf, none) nor a path to a .so "
		"(did you mean srnic_vf?)");
	refused(LAB_SEC_VM, "vbd", "mydriver",
		"'mydriver' is neither a built-in driver (srnic_vbd, none) nor a path to a .so");
	assert_true(lab_driver_is_path("a/b"));
	assert_true(lab_driver_is_path("x.so"));
	assert_false(lab_driver_is_path("srnic_pf"));
	assert_false(lab_driver_is_path(NULL));
}

static void test_mac(void **state)
{
	(void)state;
	/* VMNetworkAdapter form without separators; NetAdapter form with dashes. */
	assert_string_equal(canon(LAB_SEC_VMNIC, "mac", "00155D0A1B01"), "00155D0A1B01");
	assert_string_equal(canon(LAB_SEC_VMNIC, "mac", "00-15-5d-0a-1b-01"), "00155D0A1B01");
	assert_string_equal(canon(LAB_SEC_VMNIC, "mac", "00:15:5D:0A:1B:01"), "00155D0A1B01");
	assert_string_equal(canon(LAB_SEC_VMNIC, "mac", "AUTO"), "auto");
	assert_string_equal(canon(LAB_SEC_NIC, "mac", "00155D0A1B01"), "00-15-5D-0A-1B-01");
	refused(LAB_SEC_VMNIC, "mac", "00155D0A1B0",
		"'00155D0A1B0' is not a MAC address (write 00155D0A1B01 or 00-15-5D-0A-1B-01)");
	refused(LAB_SEC_VMNIC, "mac", "00155D0A1B0G",
		"'00155D0A1B0G' is not a MAC address (write 00155D0A1B01 or 00-15-5D-0A-1B-01)");
	refused(LAB_SEC_VMNIC, "mac", "00-15-5D:0A-1B-01",
		"'00-15-5D:0A-1B-01' is not a MAC address (write 00155D0A1B01 or 00-15-5D-0A-1B-01)");
	refused(LAB_SEC_VMNIC, "mac", "00.15.5D.0A.1B.01",
		"'00.15.5D.0A.1B.01' is not a MAC address (write 00155D0A1B01 or 00-15-5D-0A-1B-01)");
	refused(LAB_SEC_VMNIC, "mac", "01005E000001",
		"01005E000001 is a multicast address; an adapter needs a unicast one");
	refused(LAB_SEC_VMNIC, "mac", "FF-FF-FF-FF-FF-FF",
		"FF-FF-FF-FF-FF-FF is a multicast address; an adapter needs a unicast one");
	refused(LAB_SEC_VMNIC, "mac", "000000000000", "000000000000 is the all-zero address");
}

static void test_ipv4(void **state)
{
	const struct lab_key *k = key(LAB_SEC_VMNIC, "ip");
	union lab_value v;

	(void)state;
	assert_string_equal(canon(LAB_SEC_VMNIC, "ip", "10.0.0.21/24"), "10.0.0.21/24");
	assert_string_equal(canon(LAB_SEC_VMNIC, "ip", "192.168.1.1/32"), "192.168.1.1/32");
	assert_string_equal(canon(LAB_SEC_VMNIC, "ip", "10.0.0.0/31"), "10.0.0.0/31");
	assert_string_equal(canon(LAB_SEC_VMNIC, "ip", "None"), "none");
	assert_int_equal(lab_value_parse(k, "10.0.0.21/24", &v, NULL, 0), 0);
	assert_true(v.ip.is_set);
	assert_int_equal(v.ip.addr, 0x0a000015);
	assert_int_equal(v.ip.prefix, 24);
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.21", "'10.0.0.21' has no prefix length (write it as 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.256/24",
		"'10.0.0.256/24' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0/24",
		"'10.0.0/24' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.021/24",
		"'10.0.0.021/24' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.21/33",
		"'10.0.0.21/33' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.21/024",
		"'10.0.0.21/024' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.21/",
		"'10.0.0.21/' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.0/24",
		"10.0.0.0/24 is the network address of its subnet, not a host");
	refused(LAB_SEC_VMNIC, "ip", "10.0.0.255/24",
		"10.0.0.255/24 is the broadcast address of its subnet, not a host");
	refused(LAB_SEC_VMNIC, "ip", "224.0.0.1/24", "224.0.0.1/24 is not a unicast host address");
	refused(LAB_SEC_VMNIC, "ip", "127.0.0.1/8", "127.0.0.1/8 is not a unicast host address");
}

static void test_uplink(void **state)
{
	(void)state;
	assert_string_equal(canon(LAB_SEC_NIC, "uplink", "peer"), "peer");
	assert_string_equal(canon(LAB_SEC_NIC, "uplink", "NONE"), "none");
	assert_string_equal(canon(LAB_SEC_NIC, "uplink", "tap:iovlab0"), "tap:iovlab0");
	assert_string_equal(canon(LAB_SEC_NIC, "uplink", "veth:v-pf0.1"), "veth:v-pf0.1");
	refused(LAB_SEC_NIC, "uplink", "bridge:br0",
		"'bridge:br0' is not an uplink (peer, none, tap:IFNAME or veth:IFNAME)");
	refused(LAB_SEC_NIC, "uplink", "tap:",
		"'tap:': the interface name must be 1 to 15 letters, digits, '_', '-' or '.'");
	assert_string_equal(canon(LAB_SEC_NIC, "uplink", "tap:abcdefghijklmno"), "tap:abcdefghijklmno");
	refused(LAB_SEC_NIC, "uplink", "tap:abcdefghijklmnop",
		"'tap:abcdefghijklmnop': the interface name must be 1 to 15 letters, digits, '_', '-' or '.'");
	refused(LAB_SEC_NIC, "uplink", "veth:a/b",
		"'veth:a/b': the interface name must be 1 to 15 letters, digits, '_', '-' or '.'");
}

static void test_duration(void **state)
{
	uint64_t ms = 0;
	char err[128];

	(void)state;
	assert_int_equal(lab_duration_parse("250ms", &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(lab_duration_parse("5s", &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(lab_duration_parse("2m", &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(lab_duration_parse("1h", &ms, err, sizeof(err)), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(lab_duration_parse("5", &ms, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'5' has no unit (write 5s or 5ms)");
	assert_int_equal(lab_duration_parse("5x", &ms, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'5x' is not a duration (e.g. 250ms, 5s, 2m)");
	assert_int_equal(lab_duration_parse("s", &ms, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'s' is not a duration (e.g. 250ms, 5s, 2m)");
	assert_int_equal(lab_duration_parse("2h", &ms, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "2h is longer than 1h");
	assert_int_equal(lab_duration_parse("99999999999999999999s", &ms, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'99999999999999999999s' is not a duration (e.g. 250ms, 5s, 2m)");
}

static void test_names(void **state)
{
	char longest[LAB_NAME_MAX + 2];

	(void)state;
	assert_true(lab_name_valid("vm1"));
	assert_true(lab_name_valid("SRIOV-Ext"));
	assert_true(lab_name_valid("9"));
	assert_false(lab_name_valid(""));
	assert_false(lab_name_valid("_x"));
	assert_false(lab_name_valid("a b"));
	assert_false(lab_name_valid("a/b"));
	assert_false(lab_name_valid("host"));
	assert_false(lab_name_valid("NONE"));
	memset(longest, 'a', LAB_NAME_MAX);
	longest[LAB_NAME_MAX] = '\0';
	assert_true(lab_name_valid(longest));
	longest[LAB_NAME_MAX] = 'a';
	longest[LAB_NAME_MAX + 1] = '\0';
	assert_false(lab_name_valid(longest));
}

/* Keys are found by file name and by PowerShell name, case-insensitively. */
static void test_key_lookup(void **state)
{
	const struct lab_section_schema *vmnic = lab_schema_section(LAB_SEC_VMNIC);

	(void)state;
	assert_ptr_equal(lab_schema_key_find(vmnic, "IovWeight"),
			 lab_schema_key_find(vmnic, "iov_weight"));
	assert_ptr_equal(lab_schema_key_find(vmnic, "IOVWEIGHT"),
			 lab_schema_key_find(vmnic, "iov_weight"));
	assert_null(lab_schema_key_find(vmnic, "IovWieght"));
	assert_ptr_equal(lab_schema_section_find("VMNetworkAdapter", true), vmnic);
	assert_ptr_equal(lab_schema_section_find("vmnetworkadapter", false), vmnic);
	assert_null(lab_schema_section_find("NetAdapter", false));
	assert_ptr_equal(lab_schema_section_find("NetAdapter", true), lab_schema_section(LAB_SEC_NIC));
	assert_null(lab_schema_section(LAB_SEC_COUNT));
	assert_non_null(lab_schema_verb_find("WAIT"));
	assert_null(lab_schema_verb_find("wiat"));
}

/*
 * Every literal default parses with its own key's rules and is already in
 * canonical form, so the schema listing shows what lab_dump writes.
 */
static void test_defaults_canonical(void **state)
{
	(void)state;
	for (int s = 0; s < LAB_SEC_COUNT; s++) {
		const struct lab_section_schema *sec = lab_schema_section(s);

		for (size_t i = 0; i < sec->nkeys; i++) {
			const struct lab_key *k = &sec->keys[i];
			union lab_value v;
			char err[160], buf[128];

			if (k->def[0] == '(' || k->type == LAB_T_TEXT || k->type == LAB_T_STEP)
				continue;
			if (lab_value_parse(k, k->def, &v, err, sizeof(err)))
				fail_msg("[%s] %s default '%s': %s", sec->name, k->name, k->def, err);
			lab_value_format(k, &v, buf, sizeof(buf));
			lab_value_fini(k, &v);
			if (strcmp(buf, k->def))
				fail_msg("[%s] %s default '%s' is written '%s'", sec->name, k->name,
					 k->def, buf);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_enum_values_are_cim),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_name_and_driver),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_uplink),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_key_lookup),
		cmocka_unit_test(test_defaults_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
