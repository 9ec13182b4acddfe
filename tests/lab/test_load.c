/*
 * The lab file loader (src/lab/load.c): INI syntax through inih with our
 * line numbers, section headers, keys, defaults, references between
 * sections, duplicates, "did you mean" suggestions, cross-object rules and
 * script steps. Every refusal is checked with its exact "t.lab:LINE: ..."
 * message, since that text is the user interface.
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

#include "lab/lab.h"

/* The smallest lab with a VM on an IOV switch, for tests to append to. */
#define BASE "[nic pf0]\n[vmswitch ext]\n[vm vm1]\n[vmnetworkadapter vm1]\n"

static struct lab *load_ok(const char *text)
{
	struct lab *lab = NULL;
	char err[512];
	int rc = lab_load_string(text, "t.lab", &lab, err, sizeof(err));

	if (rc)
		fail_msg("refused (%d): %s", rc, err);
	assert_non_null(lab);
	return lab;
}

static void refused(const char *text, const char *msg)
{
	struct lab *lab = (struct lab *)&lab;	/* must be reset to NULL */
	char err[512];

	assert_int_equal(lab_load_string(text, "t.lab", &lab, err, sizeof(err)), -EINVAL);
	assert_null(lab);
	assert_string_equal(err, msg);
}

/* --- syntax ------------------------------------------------------------ */

static void test_empty_lab_has_defaults(void **state)
{
	struct lab *lab = load_ok("");

	(void)state;
	assert_string_equal(lab->file, "t.lab");
	assert_string_equal(lab->info.name, "t");	/* t.lab without .lab */
	assert_string_equal(lab->info.description, "");
	assert_int_equal(lab->info.line, 0);
	assert_int_equal(lab->host.line, 0);
	assert_string_equal(lab->host.computer_name, "HV-HOST01");
	assert_true(lab->host.osc && lab->host.slat && lab->host.interrupt_remapping &&
		    lab->host.dma_remapping && lab->host.io_remapping && lab->host.iommu &&
		    lab->host.bios_describes_ok && lab->host.pcie && lab->host.acs);
	assert_int_equal(lab->host.bus_numbers, 256);
	assert_int_equal(lab->host.vf_bar_space, 256u << 20);
	assert_int_equal(lab->nnics + lab->nvswitches + lab->nvms + lab->nvmnics +
			 lab->nkeywords + lab->nfaults + lab->script.count, 0);
	lab_free(lab);
}

static void test_minimal_lab_defaults(void **state)
{
	struct lab *lab = load_ok(BASE);
	const struct lab_nic *nic = &lab->nics[0];
	const struct lab_vswitch *sw = &lab->vswitches[0];
	const struct lab_vm *vm = &lab->vms[0];
	const struct lab_vmnic *n = &lab->vmnics[0];

	(void)state;
	assert_string_equal(nic->name, "pf0");
	assert_int_equal(nic->line, 1);
	assert_int_equal(nic->model, LAB_NIC_MODEL_SRNIC);
	assert_string_equal(nic->driver, "srnic_pf");
	assert_string_equal(nic->inf, "");
	assert_int_equal(nic->total_vfs, 64);
	assert_int_equal(nic->first_vf_offset, 8);
	assert_int_equal(nic->vf_stride, 2);
	assert_int_equal(nic->vf_bar_size, 16384);
	assert_int_equal(nic->queue_pairs, 128);
	assert_true(nic->mac.is_auto);
	assert_int_equal(nic->uplink.kind, LAB_UPLINK_PEER);
	assert_null(nic->keywords);

	/* Hyper-V's defaults: no -EnableIov, the only NIC as adapter. */
	assert_int_equal(sw->type, LAB_VSWITCH_EXTERNAL);
	assert_string_equal(sw->adapter, "pf0");
	assert_ptr_equal(sw->nic, nic);
	assert_false(sw->iov);
	assert_int_equal(sw->teaming, LAB_TEAMING_NONE);
	assert_true(sw->allow_management_os);

	assert_int_equal(vm->memory, 64u << 20);
	assert_int_equal(vm->processors, 1);
	assert_string_equal(vm->vf_driver, "srnic_vf");
	assert_null(vm->vbd);
	assert_true(vm->vbd_forward_vpci && vm->msix && vm->autostart);

	/* [vmnetworkadapter vm1] is vm1's, on the only switch, IovWeight 0. */
	assert_string_equal(n->vm_name, "vm1");
	assert_ptr_equal(n->vm, vm);
	assert_string_equal(n->switch_name, "ext");
	assert_ptr_equal(n->vswitch, sw);
	assert_string_equal(n->display_name, "Network Adapter");
	assert_true(n->mac.is_auto);
	assert_int_equal(n->iov_weight, 0);
	assert_int_equal(n->iov_queue_pairs_requested, 1);
	assert_int_equal(n->iov_interrupt_moderation, LAB_IOV_MODERATION_DEFAULT);
	assert_int_equal(n->vmq_weight, 100);
	assert_int_equal(n->vlan, 0);
	assert_false(n->allow_teaming);
	assert_false(n->ip.is_set);
	lab_free(lab);
}

static void test_syntax_forms(void **state)
{
	/* BOM, CRLF, comments (; and #, whole-line and inline " ;"), indentation,
	 * blanks around '=', ':' as separator, a trailing line without newline. */
	struct lab *lab = load_ok("\xEF\xBB\xBF; a lab\r\n"
				  "# another comment\r\n"
				  "\r\n"
				  "  [Lab]   ; the header may have a comment\r\n"
				  "\tname=demo\r\n"
				  "    description =   spaced out ; inline comment\r\n"
				  "[HOST]\n"
				  "ACS: off\n"
				  "[vm   vm1]\n"
				  "memory = 32M");

	(void)state;
	assert_string_equal(lab->info.name, "demo");
	assert_string_equal(lab->info.description, "spaced out");
	assert_int_equal(lab->info.line, 4);
	assert_int_equal(lab->host.line, 7);
	assert_false(lab->host.acs);
	assert_int_equal(lab->vms[0].memory, 32u << 20);
	assert_int_equal(lab->vms[0].line, 9);
	lab_free(lab);
}

static void test_indented_line_is_not_a_continuation(void **state)
{
	/* inih would glue an indented line to the previous value. */
	struct lab *lab = load_ok("[lab]\ndescription = one\n    name = two\n");

	(void)state;
	assert_string_equal(lab->info.description, "one");
	assert_string_equal(lab->info.name, "two");
	lab_free(lab);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	refused("[lab]\nname = x\ngarbage\n",
		"t.lab:3: expected 'key = value', a [section] header or a comment");
	refused("[lab]\n= x\n", "t.lab:2: a line starts with '=': the key is missing");
	refused("name = x\n", "t.lab:1: 'name' comes before any [section]");
	refused("\n\n[vm vm1\n", "t.lab:3: section header has no closing ']'");
	refused("[vm vm1] x\n", "t.lab:1: text after the section header's ']'");
	refused("[]\n", "t.lab:1: empty section header []");
	refused("[ ]\n", "t.lab:1: empty section header []");
	refused("[vm a b]\n", "t.lab:1: a section header is [type name]; 'b' is one word too many");
	refused("[vm]\n", "t.lab:1: [vm] needs a name: [vm NAME], NAME being the VM's name");
	refused("[host h1]\n", "t.lab:1: [host] takes no name: write [host]");
	refused("[vm vm 1]\n", "t.lab:1: a section header is [type name]; '1' is one word too many");
	refused("[vm vm/1]\n", "t.lab:1: 'vm/1' is not a valid name (letters, digits, '_', '-', "
		"'.', at most 32 characters)");
	refused("[vm none]\n", "t.lab:1: 'none' is a reserved word (none, auto, host, peer), not a name");
	refused("[lab]\nname = a\001b\n", "t.lab:2: control character 0x01 in the line");
	refused("[lab]\nname = a\177b\n", "t.lab:2: control character 0x7f in the line");
	refused("[lab]\nname = a\rb\n", "t.lab:2: control character 0x0d in the line");
}

static void test_nul_byte_and_long_line(void **state)
{
	static const char with_nul[] = "[lab]\nname = a\0b\n";
	char text[400];
	struct lab *lab = NULL;
	char err[256];

	(void)state;
	assert_int_equal(lab_load_buffer(with_nul, sizeof(with_nul) - 1, "t.lab", &lab,
					 err, sizeof(err)), -EINVAL);
	assert_null(lab);
	assert_string_equal(err, "t.lab:2: control character 0x00 in the line");

	/* 196 characters after the indentation fit (even in a comment); 197 do not. */
	snprintf(text, sizeof(text), "[lab]\n   ;%0*d\n", 196 - 1, 0);
	lab = load_ok(text);
	lab_free(lab);
	snprintf(text, sizeof(text), "[lab]\n   ;%0*d\n", 197 - 1, 0);
	refused(text, "t.lab:2: line is longer than 196 characters");
	/* Values have their own limits below that. */
	snprintf(text, sizeof(text), "[lab]\ndescription = %0*d\n", 161, 0);
	refused(text, "t.lab:2: [lab] description: is longer than 160 characters");
	snprintf(text, sizeof(text), "[nic pf0]\n[keywords pf0]\nX = %0*d\n", 121, 0);
	refused(text, "t.lab:3: [keywords pf0] X: is longer than 120 characters");
	snprintf(text, sizeof(text), "[script]\nstep = echo %0*d\n", 156, 0);
	refused(text, "t.lab:2: [script] step is longer than 160 characters");
}

/* --- sections and keys --------------------------------------------------- */

static void test_unknown_sections_and_keys(void **state)
{
	(void)state;
	refused("[vmswich ext]\n", "t.lab:1: unknown section type [vmswich] (did you mean vmswitch?)");
	refused("[VMNetworkAdaptor x]\n",
		"t.lab:1: unknown section type [VMNetworkAdaptor] (did you mean vmnetworkadapter?)");
	refused("[switch ext]\n", "t.lab:1: unknown section type [switch] (did you mean vmswitch?)");
	refused("[adapter x]\n", "t.lab:1: unknown section type [adapter]");
	refused(BASE "iov_wieght = 1\n",
		"t.lab:5: unknown key 'iov_wieght' in [vmnetworkadapter vm1] (did you mean iov_weight?)");
	/* The PowerShell spelling points at the file's spelling. */
	refused(BASE "IovWeight = 1\n",
		"t.lab:5: unknown key 'IovWeight' in [vmnetworkadapter vm1] (did you mean iov_weight?)");
	refused(BASE "EnableIov = true\n",
		"t.lab:5: unknown key 'EnableIov' in [vmnetworkadapter vm1]");
	refused("[vmswitch ext]\nEnableIov = true\n",
		"t.lab:2: unknown key 'EnableIov' in [vmswitch ext] (did you mean iov?)");
	refused("[host]\nsriov = on\n", "t.lab:2: unknown key 'sriov' in [host]");
	refused("[script]\nsteps = echo\n",
		"t.lab:2: unknown key 'steps' in [script] (did you mean step?)");
}

static void test_duplicates(void **state)
{
	(void)state;
	refused("[vm vm1]\n[vm vm2]\n[vm VM1]\n",
		"t.lab:3: duplicate section [vm VM1] (first at line 1)");
	refused("[host]\nacs = on\n[host]\n", "t.lab:3: duplicate section [host] (first at line 1)");
	refused("[script]\n[script]\n", "t.lab:2: duplicate section [script] (first at line 1)");
	refused("[vm vm1]\nmemory = 64M\nMemory = 32M\n",
		"t.lab:3: [vm vm1] memory is set twice (first at line 2)");
	refused("[nic pf0]\n[keywords pf0]\n*SRIOV = 1\n*sriov = 0\n",
		"t.lab:4: [keywords pf0] *SRIOV is set twice (first at line 3)");
	refused("[fault f]\npf_fail_oid = A:B\nPF_FAIL_OID = C:D\n",
		"t.lab:3: [fault f] pf_fail_oid is set twice (first at line 2)");
	refused("[fault f]\nmy_key = 1\nMY_KEY = 2\n",
		"t.lab:3: [fault f] MY_KEY is set twice (first at line 2)");
}

static void test_typed_value_errors_name_key_and_line(void **state)
{
	(void)state;
	refused(BASE "iov_weight = 101\n",
		"t.lab:5: [vmnetworkadapter vm1] iov_weight: 101 is out of range 0..100");
	refused("[vm vm1]\nmemory = 12Q\n",
		"t.lab:2: [vm vm1] memory: '12Q' is not a size (a number with an optional K, M, G or T)");
	refused("[host]\nacs = maybe\n",
		"t.lab:2: [host] acs: 'maybe' is not a boolean (use true/false, on/off, yes/no or 1/0)");
	refused("[host]\nacs =\n", "t.lab:2: [host] acs: has no value");
	refused("[lab]\ndescription =;to do\n",
		"t.lab:2: [lab] description: a value may not start with ';' (for a comment, put a "
		"blank before it)");
	refused("[nic pf0]\n[keywords pf0]\n*SRIOV =;0\n",
		"t.lab:3: [keywords pf0] *SRIOV: a value may not start with ';' (for a comment, "
		"put a blank before it)");
	{
		/* With the blank, ';' starts a comment and the value is empty. */
		struct lab *lab = load_ok("[lab]\ndescription = ; to do\n");
		assert_string_equal(lab->info.description, "");
		lab_free(lab);
	}
	refused(BASE "mac = 00155D0A1B01 # vm1\n",
		"t.lab:5: [vmnetworkadapter vm1] mac: '00155D0A1B01 # vm1' is not a MAC address "
		"(write 00155D0A1B01 or 00-15-5D-0A-1B-01)");
	refused(BASE "ip = 10.0.0.21\n",
		"t.lab:5: [vmnetworkadapter vm1] ip: '10.0.0.21' has no prefix length "
		"(write it as 10.0.0.21/24)");
	refused(BASE "iov_interrupt_moderation = Adaptiv\n",
		"t.lab:5: [vmnetworkadapter vm1] iov_interrupt_moderation: 'Adaptiv' is not one of "
		"Default, Adaptive, Off, Low, Medium, High (did you mean Adaptive?)");
}

static void test_typed_values_stored(void **state)
{
	struct lab *lab = load_ok("[host]\nacs = off\nbus_numbers = 2\nvf_bar_space = 1M\n"
				  "[nic pf0]\nmac = 00155D000001\nuplink = tap:iov0\n"
				  "total_vfs = 8\nvf_stride = 2\nfirst_vf_offset = 0x80\n"
				  "[vmswitch ext]\niov = $true\nteaming = SET\n"
				  "[vm vm1]\nvbd = srnic_vbd\nvbd_forward_vpci = no\nmsix = off\n"
				  "vf_driver = ./my_vf.so\n"
				  "[vmnetworkadapter vm1]\nmac = 00-15-5D-0A-1B-01\niov_weight = 100\n"
				  "iov_interrupt_moderation = medium\nvlan = 42\nip = 10.1.2.3/16\n");
	const struct lab_nic *nic = &lab->nics[0];
	const struct lab_vmnic *n = &lab->vmnics[0];
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x01 };

	(void)state;
	assert_false(lab->host.acs);
	assert_int_equal(lab->host.bus_numbers, 2);
	assert_int_equal(lab->host.vf_bar_space, 1u << 20);
	assert_false(nic->mac.is_auto);
	assert_int_equal(nic->mac.b[5], 1);
	assert_int_equal(nic->uplink.kind, LAB_UPLINK_TAP);
	assert_string_equal(nic->uplink.ifname, "iov0");
	assert_int_equal(nic->first_vf_offset, 128);
	assert_true(lab->vswitches[0].iov);
	assert_int_equal(lab->vswitches[0].teaming, LAB_TEAMING_SET);
	assert_string_equal(lab->vms[0].vbd, "srnic_vbd");
	assert_false(lab->vms[0].vbd_forward_vpci);
	assert_false(lab->vms[0].msix);
	assert_string_equal(lab->vms[0].vf_driver, "./my_vf.so");
	assert_true(lab_driver_is_path(lab->vms[0].vf_driver));
	assert_memory_equal(n->mac.b, mac, 6);
	assert_int_equal(n->iov_weight, 100);
	assert_int_equal(n->iov_interrupt_moderation, LAB_IOV_MODERATION_MEDIUM);
	assert_int_equal(n->vlan, 42);
	assert_true(n->ip.is_set);
	assert_int_equal(n->ip.addr, 0x0a010203);
	assert_int_equal(n->ip.prefix, 16);
	lab_free(lab);
}

static void test_keywords_and_faults(void **state)
{
	struct lab *lab = load_ok("[keywords pf0]\n*sriov = 1\n*NumVFs = 8\nVendorThing = \"x y\"\n"
				  "[nic pf0]\n"
				  "[fault f20]\ntarget = pf0\npf_fail_oid = OID_NIC_SWITCH_ALLOCATE_VF:"
				  "NDIS_STATUS_FAILURE\narmed = false\n"
				  "[fault bad_vf]\nvf_driver_variant = no-vf-caps\n");
	const struct lab_nic *nic = lab_nic_find(lab, "PF0");
	const struct lab_fault *f;

	(void)state;
	assert_non_null(nic);
	assert_non_null(nic->keywords);
	assert_ptr_equal(nic->keywords->nic, nic);
	assert_int_equal(nic->keywords->kv.count, 3);
	/* In file order; a standardized keyword is spelled as documented. */
	assert_string_equal(nic->keywords->kv.items[0].key, "*SRIOV");
	assert_string_equal(nic->keywords->kv.items[0].value, "1");
	assert_int_equal(nic->keywords->kv.items[0].line, 2);
	assert_string_equal(nic->keywords->kv.items[1].key, "*NumVFs");
	assert_string_equal(nic->keywords->kv.items[2].key, "VendorThing");
	assert_string_equal(nic->keywords->kv.items[2].value, "\"x y\"");
	assert_string_equal(lab_nic_keyword(nic, "*sriov"), "1");
	assert_null(lab_nic_keyword(nic, "*VMQ"));

	f = lab_fault_find(lab, "F20");
	assert_non_null(f);
	assert_string_equal(f->target, "pf0");
	assert_int_equal(f->target_type, LAB_SEC_NIC);
	assert_false(f->armed);
	assert_int_equal(f->kv.count, 1);
	assert_string_equal(lab_fault_value(f, "pf_fail_oid"),
			    "OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_FAILURE");
	f = lab_fault_find(lab, "bad_vf");
	assert_null(f->target);
	assert_true(f->armed);
	assert_string_equal(lab_fault_value(f, "VF_DRIVER_VARIANT"), "no-vf-caps");
	assert_null(lab_fault_value(f, "pf_fail_oid"));
	lab_free(lab);

	refused("[nic pf0]\n[keywords pf0]\nS RIOV = 1\n",
		"t.lab:3: [keywords pf0] 'S RIOV' is not a keyword name (an optional '*', then "
		"letters, digits and '_', at most 40)");
	refused("[nic pf0]\n[keywords pf0]\n**SRIOV = 1\n",
		"t.lab:3: [keywords pf0] '**SRIOV' is not a keyword name (an optional '*', then "
		"letters, digits and '_', at most 40)");
	refused("[nic pf0]\n[keywords pf0]\n*SRIOV =\n", "t.lab:3: [keywords pf0] *SRIOV: has no value");
	refused("[fault f]\n*x = 1\n",
		"t.lab:2: [fault f] '*x' is not a fault key (letters, digits and '_', starting "
		"with a letter, at most 40)");
	refused("[fault f]\narmed = sometimes\n",
		"t.lab:2: [fault f] armed: 'sometimes' is not a boolean (use true/false, on/off, "
		"yes/no or 1/0)");
}

/* --- references and cross-object rules ----------------------------------- */

static void test_references(void **state)
{
	(void)state;
	refused("[nic pf0]\n[vmswitch ext]\nadapter = pf1\n",
		"t.lab:3: [vmswitch ext] adapter: there is no [nic pf1] in this lab (did you mean pf0?)");
	refused(BASE "switch = ext2\n",
		"t.lab:5: [vmnetworkadapter vm1] switch: there is no [vmswitch ext2] in this lab "
		"(did you mean ext?)");
	refused(BASE "[vmnetworkadapter nic2]\nvm = vm2\n",
		"t.lab:6: [vmnetworkadapter nic2] vm: there is no [vm vm2] in this lab "
		"(did you mean vm1?)");
	refused("[vmnetworkadapter vm1]\n",
		"t.lab:1: [vmnetworkadapter vm1]: there is no [vm vm1]; name the VM with vm = NAME");
	refused("[keywords pf1]\n*SRIOV = 1\n[nic pf0]\n",
		"t.lab:1: [keywords pf1]: there is no [nic pf1] in this lab (did you mean pf0?)");
	refused(BASE "[fault f]\ntarget = vm2\n",
		"t.lab:6: [fault f] target: no nic, vmswitch, vm or vmnetworkadapter named 'vm2' in "
		"this lab (did you mean vm1?)");
	refused("[fault a]\n[fault b]\ntarget = a\n",
		"t.lab:3: [fault b] target: [fault a] is a fault; a fault targets a nic, vmswitch, "
		"vm or vmnetworkadapter");
	/* References may point forward, to sections later in the file. */
	{
		struct lab *lab = load_ok("[vmnetworkadapter n1]\nvm = late\nswitch = sw\n"
					  "[vmswitch sw]\nadapter = pf9\n[vm late]\n[nic pf9]\n");
		assert_ptr_equal(lab->vmnics[0].vm, &lab->vms[0]);
		assert_ptr_equal(lab->vmnics[0].vswitch, &lab->vswitches[0]);
		assert_ptr_equal(lab->vswitches[0].nic, &lab->nics[0]);
		lab_free(lab);
	}
}

static void test_only_object_defaults(void **state)
{
	struct lab *lab;

	(void)state;
	refused("[vmswitch ext]\n",
		"t.lab:1: [vmswitch ext]: an External switch needs a [nic], and this lab has none");
	refused("[nic a]\n[nic b]\n[vmswitch ext]\n",
		"t.lab:3: [vmswitch ext]: set adapter, the lab has 2 [nic] sections");
	refused("[nic a]\n[vmswitch s1]\ntype = Private\n[vmswitch s2]\ntype = Internal\n"
		"[vm vm1]\n[vmnetworkadapter vm1]\n",
		"t.lab:7: [vmnetworkadapter vm1]: set switch (or switch = none), the lab has 2 "
		"[vmswitch] sections");
	/* No switch at all: the adapter is not connected. */
	lab = load_ok("[vm vm1]\n[vmnetworkadapter vm1]\n");
	assert_null(lab->vmnics[0].switch_name);
	assert_null(lab->vmnics[0].vswitch);
	lab_free(lab);
	lab = load_ok("[nic a]\n[vmswitch s]\n[vmswitch p]\ntype = private\n[vm vm1]\n"
		      "[vmnetworkadapter vm1]\nswitch = none\n");
	assert_null(lab->vmnics[0].vswitch);
	assert_null(lab->vswitches[1].adapter);
	assert_ptr_equal(lab->vswitches[0].nic, &lab->nics[0]);
	lab_free(lab);
}

static void test_cross_object_rules(void **state)
{
	(void)state;
	refused("[nic pf0]\n[vmswitch a]\n[vmswitch b]\nadapter = pf0\n",
		"t.lab:4: [vmswitch b] adapter: [nic pf0] is already the adapter of [vmswitch a] "
		"(line 2); a NIC serves one switch");
	refused("[nic pf0]\n[vmswitch s]\ntype = Internal\nadapter = pf0\n",
		"t.lab:4: [vmswitch s] adapter: only an External switch has one");
	refused("[nic pf0]\n[vmswitch s]\nadapter = none\n",
		"t.lab:3: [vmswitch s] adapter: an External switch needs one");
	refused("[vmswitch s]\ntype = Private\niov = true\n",
		"t.lab:3: [vmswitch s] iov: true needs type = External (New-VMSwitch -EnableIov goes "
		"with -NetAdapterName)");
	refused("[vmswitch s]\nteaming = LBFO\ntype = Internal\n",
		"t.lab:2: [vmswitch s] teaming: needs type = External");
	refused("[vm vm1]\nvbd_forward_vpci = false\n",
		"t.lab:2: [vm vm1] vbd_forward_vpci: false needs a vbd (e.g. vbd = srnic_vbd)");
	refused(BASE "mac = 00155D0A1B01\n[vm vm2]\n[vmnetworkadapter vm2]\nmac = 00-15-5D-0A-1B-01\n",
		"t.lab:8: [vmnetworkadapter vm2] mac 00155D0A1B01 is also [vmnetworkadapter vm1]'s "
		"(line 4)");
	refused("[nic pf0]\nmac = 00155D0A1B01\n[vm vm1]\n[vmnetworkadapter vm1]\nswitch = none\n"
		"mac = 00155D0A1B01\n",
		"t.lab:6: [vmnetworkadapter vm1] mac is also [nic pf0]'s (line 1)");
	refused(BASE "ip = 10.0.0.21/24\n[vm vm2]\n[vmnetworkadapter vm2]\nip = 10.0.0.21/16\n",
		"t.lab:8: [vmnetworkadapter vm2] ip 10.0.0.21 is also [vmnetworkadapter vm1]'s "
		"(line 4)");
	refused("[nic pf0]\ntotal_vfs = 256\nvf_stride = 300\n",
		"t.lab:1: [nic pf0]: VF routing IDs run past 0xffff, first_vf_offset + "
		"(total_vfs - 1) x vf_stride = 76508");
}

static void test_first_error_wins(void **state)
{
	(void)state;
	/* A syntax error before a bad value: the earlier line is reported. */
	refused("[lab]\noops\n[vm vm1]\nmemory = 1K\n",
		"t.lab:2: expected 'key = value', a [section] header or a comment");
	/* Two reference errors: the earlier line, whatever the check order. */
	refused("[vm vm1]\n[vmnetworkadapter a]\nvm = vm1\nswitch = nosuch\n"
		"[nic pf0]\n[vmswitch s]\nadapter = pf7\n",
		"t.lab:4: [vmnetworkadapter a] switch: there is no [vmswitch nosuch] in this lab");
}

/* --- script -------------------------------------------------------------- */

static void test_steps(void **state)
{
	struct lab *lab = load_ok(BASE "ip = 10.0.0.21/24\n"
				  "[script]\n"
				  "step = Wait vfdatapath vm1 true 5s\n"
				  "; a comment between steps\n"
				  "step = send vm1 peer 1000 64\n"
				  "step = show Get-VMNetworkAdapter -VMName vm1\n"
				  "step = echo \"two words\" and\tmore\n"
				  "step = expect vmhost host IovSupport True\n"
				  "step = echo\n");
	const struct lab_step *s = lab->script.steps;

	(void)state;
	assert_int_equal(lab->script.count, 6);
	assert_int_equal(lab->script.line, 6);
	assert_string_equal(s[0].verb, "wait");
	assert_int_equal(s[0].line, 7);
	assert_int_equal(s[0].argc, 4);
	assert_string_equal(s[0].argv[0], "vfdatapath");
	assert_string_equal(s[0].argv[3], "5s");
	assert_null(s[0].argv[4]);
	assert_int_equal(s[1].line, 9);
	assert_int_equal(s[2].argc, 3);
	assert_string_equal(s[2].argv[2], "vm1");
	assert_int_equal(s[3].argc, 3);
	assert_string_equal(s[3].argv[0], "two words");
	assert_string_equal(s[3].argv[2], "more");
	assert_int_equal(s[5].argc, 0);
	assert_null(s[5].argv[0]);
	lab_free(lab);
}

static void test_step_errors(void **state)
{
	(void)state;
	refused("[script]\nstep =\n", "t.lab:2: [script] step is empty (write a verb and its arguments)");
	refused("[script]\nstep = wiat x\n", "t.lab:2: [script] unknown step 'wiat' (did you mean wait?)");
	refused("[script]\nstep = echo \"abc\n", "t.lab:2: [script] step has a '\"' that is never closed");
	refused("[script]\nstep = echo \"\"\n", "t.lab:2: [script] step has an empty argument \"\"");
	refused("[script]\nstep = echo a\"b\"\n",
		"t.lab:2: [script] step has a '\"' inside a word (quote whole words)");
	refused("[script]\nstep = echo \"a\"b\n",
		"t.lab:2: [script] step has text right after a closing '\"'");
	refused("[script]\nstep = echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
		"t.lab:2: [script] step has more than 16 arguments");
	refused("[script]\nstep = kill\n",
		"t.lab:2: [script] step kill takes 1 argument, not 0: kill VM");
	refused("[script]\nstep = wait a b\n",
		"t.lab:2: [script] step wait takes 3 to 4 arguments, not 2: wait PROPERTY OBJECT VALUE [TIMEOUT]");
	refused(BASE "[script]\nstep = kill vm3\n",
		"t.lab:6: [script] step kill: there is no [vm vm3] in this lab (did you mean vm1?)");
	refused(BASE "[script]\nstep = wait vfdatapath vm1 true 5\n",
		"t.lab:6: [script] step wait: '5' has no unit (write 5s or 5ms)");
	refused(BASE "[script]\nstep = wait vfdatapath vm9 true 5s\n",
		"t.lab:6: [script] step wait: no object named 'vm9' in this lab (did you mean vm1?)");
	refused(BASE "[script]\nstep = send vm1 vm2 10 64\n",
		"t.lab:6: [script] step send: no [vmnetworkadapter vm2] or [vm vm2] in this lab "
		"(did you mean vm1?)");
	refused(BASE "[script]\nstep = send vm1 peer 0 64\n",
		"t.lab:6: [script] step send: '0' is not a frame count (1..1000000)");
	/* Counts follow the file's integer rules. */
	lab_free(load_ok(BASE "[script]\nstep = send vm1 peer 0x10 9018\n"));
	lab_free(load_ok(BASE "[script]\nstep = send vm1 peer 1000000 60\n"));
	refused(BASE "[script]\nstep = send vm1 peer 1000001 64\n",
		"t.lab:6: [script] step send: '1000001' is not a frame count (1..1000000)");
	refused(BASE "[script]\nstep = send vm1 peer 10 9019\n",
		"t.lab:6: [script] step send: '9019' is not a frame size in bytes (60..9018)");
	refused(BASE "[script]\nstep = send vm1 peer 10 59\n",
		"t.lab:6: [script] step send: '59' is not a frame size in bytes (60..9018)");
	refused(BASE "[script]\nstep = send vm1 peer:pf1 10 64\n",
		"t.lab:6: [script] step send: there is no [nic pf1] in this lab (did you mean pf0?)");
	refused("[nic pf0]\n[nic pf1]\n[vmswitch ext]\nadapter = pf0\n[vm vm1]\n"
		"[vmnetworkadapter vm1]\n[script]\nstep = send vm1 peer 10 64\n",
		"t.lab:8: [script] step send: 'peer' needs exactly one [nic] (the lab has 2); "
		"write peer:NIC");
	refused("[vm vm1]\n[script]\nstep = send vm1 vm1 1 64\n",
		"t.lab:3: [script] step send: [vm vm1] has no [vmnetworkadapter]");
	refused("[vm vm1]\n[vmnetworkadapter a]\nvm = vm1\n[vmnetworkadapter b]\nvm = vm1\n"
		"[script]\nstep = send vm1 b 1 64\n",
		"t.lab:7: [script] step send: [vm vm1] has 2 network adapters; name one");
	/* An adapter's name wins over a VM of the same name. */
	lab_free(load_ok(BASE "[vmnetworkadapter b]\nvm = vm1\n[script]\nstep = send vm1 b 1 64\n"));
	refused(BASE "[script]\nstep = link vm1 sideways\n",
		"t.lab:6: [script] step link: 'sideways' is not up or down");
	refused(BASE "[script]\nstep = inject nosuch\n",
		"t.lab:6: [script] step inject: there is no [fault nosuch] in this lab");
}

/* The TCP/IP steps' ADDR[:PORT], BYTES and SIZE (docs/hv/guest-tcpip.md). */
#define NET_BASE "[nic pf0]\n[vmswitch ext]\n[vm vm1]\n[vm vm2]\n[vmnetworkadapter vm1]\nip = 10.0.0.21/24\n" \
		 "[vmnetworkadapter vm2]\n"
static void test_net_steps(void **state)
{
	(void)state;
	lab_free(load_ok(NET_BASE "[script]\nstep = ping vm2 vm1\nstep = ping vm2 10.0.0.21 3\n"
			 "step = tcp vm2 vm1:7 1M\nstep = tcp vm2 10.0.0.99:9 65536 background\n"
			 "step = wait tcp vm2 done 30s\nstep = udp vm2 vm1:7 10 1472\nstep = revoke vm1 250ms\n"));
	refused(NET_BASE "[script]\nstep = ping vm1 vm2\n",
		"t.lab:9: [script] step ping: [vmnetworkadapter vm2] has no ip to reach it by");
	refused(NET_BASE "[script]\nstep = ping vm1 vm9\n",
		"t.lab:9: [script] step ping: 'vm9' is neither an IPv4 address nor a VM network adapter (or a VM with one)");
	refused(NET_BASE "[script]\nstep = ping vm2 10.0.0.256\n",
		"t.lab:9: [script] step ping: '10.0.0.256' is not an IPv4 address or a VM network adapter with an ip");
	refused(NET_BASE "[script]\nstep = tcp vm2 vm1 1M\n",
		"t.lab:9: [script] step tcp: 'vm1' is not ADDR:PORT (e.g. 10.0.0.22:7 or vm2:7, port 1..65535)");
	refused(NET_BASE "[script]\nstep = tcp vm2 vm1:0 1M\n",
		"t.lab:9: [script] step tcp: 'vm1:0' is not ADDR:PORT (e.g. 10.0.0.22:7 or vm2:7, port 1..65535)");
	refused(NET_BASE "[script]\nstep = tcp vm2 vm1:7 5G\n",
		"t.lab:9: [script] step tcp: '5G' is not a byte count (1..4294967296, e.g. 65536, 64K, 1M)");
	refused(NET_BASE "[script]\nstep = tcp vm2 vm1:7 1M later\n",
		"t.lab:9: [script] step tcp: 'later': the only word after BYTES is background");
	refused(NET_BASE "[script]\nstep = udp vm2 vm1:7 10 1473\n",
		"t.lab:9: [script] step udp: '1473' is not a payload size in bytes (0..1472)");
	refused(NET_BASE "[script]\nstep = revoke vm1 soon\n",
		"t.lab:9: [script] step revoke: 'soon' is not a duration (e.g. 250ms, 5s, 2m)");
}

static void test_set_step_uses_the_schema(void **state)
{
	struct lab *lab = load_ok(BASE "[script]\n"
				  "step = set vmnetworkadapter vm1 IovWeight 0\n"
				  "step = set VMNetworkAdapter vm1 iov_weight 100\n"
				  "step = set vmnetworkadapter vm1 switch none\n"
				  "step = set keywords pf0 *SRIOV 0\n"
				  "step = set NetAdapterAdvancedProperty pf0 *NumVFs 4\n"
				  "step = set vm vm1 memory 128M\n");

	(void)state;
	assert_int_equal(lab->script.count, 6);
	lab_free(lab);
	refused(BASE "[script]\nstep = set vmnetworkadapter vm1 IovWeight 101\n",
		"t.lab:6: [script] step set: IovWeight: 101 is out of range 0..100");
	refused(BASE "[script]\nstep = set vmnetworkadapter vm1 IovWieght 1\n",
		"t.lab:6: [script] step set: [vmnetworkadapter] has no property 'IovWieght' "
		"(did you mean IovWeight?)");
	refused(BASE "[script]\nstep = set vmnetworkadapter vm2 IovWeight 1\n",
		"t.lab:6: [script] step set: there is no [vmnetworkadapter vm2] in this lab "
		"(did you mean vm1?)");
	refused(BASE "[script]\nstep = set vmnetworkadapter vm1 switch ext2\n",
		"t.lab:6: [script] step set: switch: there is no [vmswitch ext2] in this lab");
	refused(BASE "[script]\nstep = set host x acs off\n",
		"t.lab:6: [script] step set: 'host' is not something set can change (nic, keywords, "
		"vmswitch, vm, vmnetworkadapter, or their PowerShell classes)");
	refused(BASE "[script]\nstep = set keywords pf0 \"S RIOV\" 0\n",
		"t.lab:6: [script] step set: 'S RIOV' is not a keyword name");
	refused(BASE "[script]\nstep = set keywords vm1 *SRIOV 0\n",
		"t.lab:6: [script] step set: there is no [nic vm1] in this lab");
}

/* --- files --------------------------------------------------------------- */

static void test_load_file(void **state)
{
	char path[] = "/tmp/iovlab-test-XXXXXX.lab";
	struct lab *lab = NULL;
	char err[256];
	int fd = mkstemps(path, 4);
	const char *text = "[vm vm1]\nmemory = 1K\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(lab_load_file(path, &lab, err, sizeof(err)), -EINVAL);
	assert_null(lab);
	{
		char want[300];
		snprintf(want, sizeof(want), "%s:2: [vm vm1] memory: 1K is out of range 16M..4G", path);
		assert_string_equal(err, want);
	}
	unlink(path);

	assert_int_equal(lab_load_file("/nonexistent/x.lab", &lab, err, sizeof(err)), -ENOENT);
	assert_null(lab);
	assert_string_equal(err, "/nonexistent/x.lab: No such file or directory");
	assert_int_equal(lab_load_file("/tmp", &lab, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/tmp: not a regular file");
	/* err may be NULL. */
	assert_int_equal(lab_load_file("/nonexistent/x.lab", &lab, NULL, 0), -ENOENT);
	lab_free(NULL);
}

static void test_lookups(void **state)
{
	struct lab *lab = load_ok(BASE "[fault f1]\nx = 1\n");

	(void)state;
	assert_ptr_equal(lab_nic_find(lab, "pf0"), &lab->nics[0]);
	assert_ptr_equal(lab_vswitch_find(lab, "EXT"), &lab->vswitches[0]);
	assert_ptr_equal(lab_vm_find(lab, "Vm1"), &lab->vms[0]);
	assert_ptr_equal(lab_vmnic_find(lab, "vm1"), &lab->vmnics[0]);
	assert_ptr_equal(lab_fault_find(lab, "f1"), &lab->faults[0]);
	assert_null(lab_nic_find(lab, "pf1"));
	assert_null(lab_vswitch_find(lab, "vm1"));
	assert_null(lab_vm_find(lab, "pf0"));
	assert_null(lab_vmnic_find(lab, "ext"));
	assert_null(lab_fault_find(lab, "f2"));
	lab_free(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_lab_has_defaults),
		cmocka_unit_test(test_minimal_lab_defaults),
		cmocka_unit_test(test_syntax_forms),
		cmocka_unit_test(test_indented_line_is_not_a_continuation),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_nul_byte_and_long_line),
		cmocka_unit_test(test_unknown_sections_and_keys),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_typed_value_errors_name_key_and_line),
		cmocka_unit_test(test_typed_values_stored),
		cmocka_unit_test(test_keywords_and_faults),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_only_object_defaults),
		cmocka_unit_test(test_cross_object_rules),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_step_errors),
		cmocka_unit_test(test_set_step_uses_the_schema),
		cmocka_unit_test(test_net_steps),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_lookups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
