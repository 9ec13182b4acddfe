/*
 * lab_dump() and the example labs: load -> dump -> load gives the same
 * model (compared field by field here, independently of the schema table,
 * so a key the writer forgets shows up), dumping is stable, and every lab
 * under labs/ loads. argv[1] is the labs/ directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"

static const char *labs_dir;

/* Every feature at least once, with non-default values. */
static const char rich[] =
	"[lab]\nname = rich\ndescription = a lab; with \"quotes\" and = signs\n"
	"[host]\ncomputer_name = HOST-2\nosc = off\nslat = off\ninterrupt_remapping = off\n"
	"dma_remapping = off\nio_remapping = off\niommu = off\nbios_describes_ok = off\n"
	"pcie = off\nacs = off\nbus_numbers = 3\nvf_bar_space = 1536K\n"
	"[nic pf0]\ndriver = ./pf.so\ninf = pf.inf\ntotal_vfs = 7\nfirst_vf_offset = 0x80\n"
	"vf_stride = 2\nvf_bar_size = 64K\nqueue_pairs = 9\nmac = 00155D000001\nuplink = veth:v0\n"
	"[nic pf1]\ndriver = none\ntotal_vfs = 0\nuplink = none\n"
	"[keywords pf0]\n*sriov = 0\nCustom_1 = a b c\n"
	"[vmswitch ext]\nadapter = pf0\niov = yes\nteaming = lbfo\nallow_management_os = no\n"
	"[vmswitch priv]\ntype = private\n"
	"[vm vm1]\nmemory = 1G\nprocessors = 4\nvf_driver = none\nvf_inf = my vf.inf\n"
	"vbd = srnic_vbd\nvbd_forward_vpci = false\nmsix = off\nautostart = off\n"
	"[vm vm2]\nvf_driver = /opt/vf.so\n"
	"[vmnetworkadapter vm1]\nswitch = ext\ndisplay_name = Net 2\nmac = 00-15-5D-0A-1B-01\n"
	"iov_weight = 55\niov_queue_pairs_requested = 4\niov_interrupt_moderation = high\n"
	"vmq_weight = 0\nvlan = 4094\nallow_teaming = on\nip = 192.168.7.9/30\n"
	"[vmnetworkadapter n2]\nvm = vm1\nswitch = priv\n"
	"[vmnetworkadapter vm2]\nswitch = none\n"
	"[fault f1]\ntarget = vm1\narmed = off\nvf_driver_variant = no-vf-caps\nzeta = 1\n"
	"[fault f2]\npf_fail_oid = OID_NIC_SWITCH_CREATE_VPORT:NDIS_STATUS_RESOURCES\n"
	"[script]\nstep = wait vfdatapath vm1 true 5s\nstep = echo \"two  words\" \"tab\there\"\n"
	"step = set VMNetworkAdapter n2 IovWeight 1\nstep = inject f1\nstep = send n2 peer:pf1 2 60\n";

static struct lab *load(const char *text, size_t len, const char *name)
{
	struct lab *lab = NULL;
	char err[512];

	if (lab_load_buffer(text, len, name, &lab, err, sizeof(err)))
		fail_msg("%s", err);
	return lab;
}

static char *dump(const struct lab *lab, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(lab_dump(lab, f), 0);
	fclose(f);
	return buf;
}

static void same_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void same_kv(const struct lab_kvlist *a, const struct lab_kvlist *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_string_equal(a->items[i].key, b->items[i].key);
		assert_string_equal(a->items[i].value, b->items[i].value);
	}
}

static void same_mac(const struct lab_mac *a, const struct lab_mac *b)
{
	assert_int_equal(a->is_auto, b->is_auto);
	assert_memory_equal(a->b, b->b, 6);
}

/* Same model, line numbers aside (the dump lays the file out anew). */
static void same_lab(const struct lab *a, const struct lab *b)
{
	same_str(a->info.name, b->info.name);
	same_str(a->info.description, b->info.description);
	same_str(a->host.computer_name, b->host.computer_name);
	assert_int_equal(a->host.osc, b->host.osc);
	assert_int_equal(a->host.slat, b->host.slat);
	assert_int_equal(a->host.interrupt_remapping, b->host.interrupt_remapping);
	assert_int_equal(a->host.dma_remapping, b->host.dma_remapping);
	assert_int_equal(a->host.io_remapping, b->host.io_remapping);
	assert_int_equal(a->host.iommu, b->host.iommu);
	assert_int_equal(a->host.bios_describes_ok, b->host.bios_describes_ok);
	assert_int_equal(a->host.pcie, b->host.pcie);
	assert_int_equal(a->host.acs, b->host.acs);
	assert_int_equal(a->host.bus_numbers, b->host.bus_numbers);
	assert_int_equal(a->host.vf_bar_space, b->host.vf_bar_space);

	assert_int_equal(a->nnics, b->nnics);
	for (size_t i = 0; i < a->nnics; i++) {
		const struct lab_nic *x = &a->nics[i], *y = &b->nics[i];
		same_str(x->name, y->name);
		assert_int_equal(x->model, y->model);
		same_str(x->driver, y->driver);
		same_str(x->inf, y->inf);
		assert_int_equal(x->total_vfs, y->total_vfs);
		assert_int_equal(x->first_vf_offset, y->first_vf_offset);
		assert_int_equal(x->vf_stride, y->vf_stride);
		assert_int_equal(x->vf_bar_size, y->vf_bar_size);
		assert_int_equal(x->queue_pairs, y->queue_pairs);
		same_mac(&x->mac, &y->mac);
		assert_int_equal(x->uplink.kind, y->uplink.kind);
		assert_string_equal(x->uplink.ifname, y->uplink.ifname);
		assert_int_equal(!x->keywords, !y->keywords);
		if (x->keywords)
			same_kv(&x->keywords->kv, &y->keywords->kv);
	}
	assert_int_equal(a->nkeywords, b->nkeywords);
	assert_int_equal(a->nvswitches, b->nvswitches);
	for (size_t i = 0; i < a->nvswitches; i++) {
		const struct lab_vswitch *x = &a->vswitches[i], *y = &b->vswitches[i];
		same_str(x->name, y->name);
		assert_int_equal(x->type, y->type);
		same_str(x->adapter, y->adapter);
		assert_int_equal(x->iov, y->iov);
		assert_int_equal(x->teaming, y->teaming);
		assert_int_equal(x->allow_management_os, y->allow_management_os);
		same_str(x->nic ? x->nic->name : NULL, y->nic ? y->nic->name : NULL);
	}
	assert_int_equal(a->nvms, b->nvms);
	for (size_t i = 0; i < a->nvms; i++) {
		const struct lab_vm *x = &a->vms[i], *y = &b->vms[i];
		same_str(x->name, y->name);
		assert_int_equal(x->memory, y->memory);
		assert_int_equal(x->processors, y->processors);
		same_str(x->vf_driver, y->vf_driver);
		same_str(x->vf_inf, y->vf_inf);
		same_str(x->vbd, y->vbd);
		assert_int_equal(x->vbd_forward_vpci, y->vbd_forward_vpci);
		assert_int_equal(x->msix, y->msix);
		assert_int_equal(x->autostart, y->autostart);
	}
	assert_int_equal(a->nvmnics, b->nvmnics);
	for (size_t i = 0; i < a->nvmnics; i++) {
		const struct lab_vmnic *x = &a->vmnics[i], *y = &b->vmnics[i];
		same_str(x->name, y->name);
		same_str(x->vm_name, y->vm_name);
		same_str(x->switch_name, y->switch_name);
		same_str(x->display_name, y->display_name);
		same_mac(&x->mac, &y->mac);
		assert_int_equal(x->iov_weight, y->iov_weight);
		assert_int_equal(x->iov_queue_pairs_requested, y->iov_queue_pairs_requested);
		assert_int_equal(x->iov_interrupt_moderation, y->iov_interrupt_moderation);
		assert_int_equal(x->vmq_weight, y->vmq_weight);
		assert_int_equal(x->vlan, y->vlan);
		assert_int_equal(x->allow_teaming, y->allow_teaming);
		assert_int_equal(x->ip.is_set, y->ip.is_set);
		assert_int_equal(x->ip.addr, y->ip.addr);
		assert_int_equal(x->ip.prefix, y->ip.prefix);
		same_str(x->vm->name, y->vm->name);
		same_str(x->vswitch ? x->vswitch->name : NULL, y->vswitch ? y->vswitch->name : NULL);
	}
	assert_int_equal(a->nfaults, b->nfaults);
	for (size_t i = 0; i < a->nfaults; i++) {
		const struct lab_fault *x = &a->faults[i], *y = &b->faults[i];
		same_str(x->name, y->name);
		same_str(x->target, y->target);
		if (x->target)
			assert_int_equal(x->target_type, y->target_type);
		assert_int_equal(x->armed, y->armed);
		same_kv(&x->kv, &y->kv);
	}
	assert_int_equal(a->script.count, b->script.count);
	for (size_t i = 0; i < a->script.count; i++) {
		const struct lab_step *x = &a->script.steps[i], *y = &b->script.steps[i];
		assert_string_equal(x->verb, y->verb);
		assert_int_equal(x->argc, y->argc);
		for (int j = 0; j < x->argc; j++)
			assert_string_equal(x->argv[j], y->argv[j]);
		assert_null(y->argv[y->argc]);
	}
}

static void round_trip(const char *text, size_t len, const char *name)
{
	struct lab *a = load(text, len, name), *b, *c;
	size_t len1, len2;
	char *d1 = dump(a, &len1), *d2;

	b = load(d1, len1, name);
	same_lab(a, b);
	d2 = dump(b, &len2);
	assert_string_equal(d1, d2);	/* normal form is a fixed point */
	c = load(d2, len2, name);
	same_lab(a, c);
	free(d1);
	free(d2);
	lab_free(a);
	lab_free(b);
	lab_free(c);
}

static void test_round_trip_rich(void **state)
{
	struct lab *lab = load(rich, sizeof(rich) - 1, "rich.lab");

	(void)state;
	/* The rich lab really is unusual, or the round trip proves little. */
	assert_false(lab->host.acs);
	assert_int_equal(lab->nics[0].first_vf_offset, 128);
	assert_int_equal(lab->vmnics[0].iov_interrupt_moderation, LAB_IOV_MODERATION_HIGH);
	assert_string_equal(lab->script.steps[1].argv[1], "tab\there");
	lab_free(lab);
	round_trip(rich, sizeof(rich) - 1, "rich.lab");
}

static void test_round_trip_minimal(void **state)
{
	static const char minimal[] = "[nic pf0]\n[vmswitch s]\n[vm vm1]\n[vmnetworkadapter vm1]\n";

	(void)state;
	round_trip("", 0, "empty.lab");
	round_trip(minimal, sizeof(minimal) - 1, "minimal.lab");
}

/* Odd file names feed the [lab] name and the header comment; both stay safe. */
static void test_odd_file_names(void **state)
{
	static const char text[] = "[vm vm1]\n";
	struct lab *lab = load(text, sizeof(text) - 1, "dir/;x\ny.lab");

	(void)state;
	assert_string_equal(lab->info.name, "_x_y");
	lab_free(lab);
	round_trip(text, sizeof(text) - 1, "dir/;x\n[vm evil]\ny.lab");
	round_trip(text, sizeof(text) - 1, "dir/");
	lab = load(text, sizeof(text) - 1, "dir/");
	assert_string_equal(lab->info.name, "lab");
	lab_free(lab);
}

static void test_dump_text(void **state)
{
	static const char text[] = "[nic pf0]\nmac = 00155D000001\n[keywords pf0]\n*sriov = 1\n"
				   "[vmswitch s]\niov = on\n[vm vm1]\n[vmnetworkadapter vm1]\n"
				   "mac = 00-15-5d-0a-1b-01\n[script]\nstep = Echo \"a b\" c\n";
	struct lab *lab = load(text, sizeof(text) - 1, "d.lab");
	size_t len;
	char *d = dump(lab, &len);

	(void)state;
	/* Canonical spellings: NetAdapter MAC with dashes, vmnic MAC without. */
	assert_non_null(strstr(d, "\n[nic pf0]\n"));
	assert_non_null(strstr(d, "\nmac             = 00-15-5D-00-00-01\n"));
	assert_non_null(strstr(d, "\n[keywords pf0]\n*SRIOV = 1\n"));
	assert_non_null(strstr(d, "\nadapter             = pf0\n"));
	assert_non_null(strstr(d, "\niov                 = true\n"));
	assert_non_null(strstr(d, "\nmac                       = 00155D0A1B01\n"));
	assert_non_null(strstr(d, "\nswitch                    = s\n"));
	assert_non_null(strstr(d, "\nstep = echo \"a b\" c\n"));
	assert_non_null(strstr(d, "\ndescription =\n"));
	/* Sections in the documented order. */
	assert_true(strstr(d, "[lab]") < strstr(d, "[host]"));
	assert_true(strstr(d, "[host]") < strstr(d, "[nic pf0]"));
	assert_true(strstr(d, "[keywords pf0]") < strstr(d, "[vmswitch s]"));
	assert_true(strstr(d, "[vm vm1]") < strstr(d, "[vmnetworkadapter vm1]"));
	assert_true(strstr(d, "[vmnetworkadapter vm1]") < strstr(d, "[script]"));
	free(d);
	lab_free(lab);
}

static int load_dir(const char *dir, unsigned *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int failed = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1024], err[512];
		size_t n = strlen(e->d_name);
		struct lab *lab = NULL;
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		if (n < 5 || strcmp(e->d_name + n - 4, ".lab"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lab_load_file(path, &lab, err, sizeof(err))) {
			print_error("%s\n", err);
			failed++;
			continue;
		}
		lab_free(lab);
		f = fopen(path, "rb");
		assert_non_null(f);
		text = malloc(1 << 16);
		len = fread(text, 1, 1 << 16, f);
		fclose(f);
		round_trip(text, len, path);
		free(text);
		(*count)++;
	}
	closedir(d);
	return failed;
}

static void test_example_labs(void **state)
{
	char faults[1024], err[512];
	unsigned count = 0;
	struct lab *lab;
	const struct lab_vmnic *n;

	(void)state;
	snprintf(faults, sizeof(faults), "%s/faults", labs_dir);
	assert_int_equal(load_dir(labs_dir, &count) + load_dir(faults, &count), 0);
	assert_true(count >= 6);

	/* What the examples must say, not just that they parse. */
	snprintf(faults, sizeof(faults), "%s/default.lab", labs_dir);
	assert_int_equal(lab_load_file(faults, &lab, err, sizeof(err)), 0);
	assert_string_equal(lab_nic_keyword(&lab->nics[0], "*SRIOV"), "1");
	assert_string_equal(lab_nic_keyword(&lab->nics[0], "*NumVFs"), "8");
	assert_true(lab->vswitches[0].iov);
	assert_int_equal(lab->nvms, 2);
	for (size_t i = 0; i < lab->nvmnics; i++) {
		assert_int_equal(lab->vmnics[i].iov_weight, 100);
		assert_true(lab->vmnics[i].ip.is_set);
	}
	assert_string_equal(lab->script.steps[0].verb, "wait");
	lab_free(lab);

	snprintf(faults, sizeof(faults), "%s/vbd-no-forward.lab", labs_dir);
	assert_int_equal(lab_load_file(faults, &lab, err, sizeof(err)), 0);
	n = lab_vmnic_find(lab, "vm1");
	assert_string_equal(n->vm->vbd, "srnic_vbd");
	assert_false(n->vm->vbd_forward_vpci);
	lab_free(lab);

	snprintf(faults, sizeof(faults), "%s/faults/F13-sriov-keyword-off.lab", labs_dir);
	assert_int_equal(lab_load_file(faults, &lab, err, sizeof(err)), 0);
	assert_string_equal(lab_nic_keyword(&lab->nics[0], "*SRIOV"), "0");
	lab_free(lab);
	snprintf(faults, sizeof(faults), "%s/faults/F15-switch-without-iov.lab", labs_dir);
	assert_int_equal(lab_load_file(faults, &lab, err, sizeof(err)), 0);
	assert_false(lab->vswitches[0].iov);
	lab_free(lab);
	snprintf(faults, sizeof(faults), "%s/faults/F17-iovweight-zero.lab", labs_dir);
	assert_int_equal(lab_load_file(faults, &lab, err, sizeof(err)), 0);
	assert_int_equal(lab->vmnics[0].iov_weight, 0);
	lab_free(lab);
	snprintf(faults, sizeof(faults), "%s/faults/F09-no-acs.lab", labs_dir);
	assert_int_equal(lab_load_file(faults, &lab, err, sizeof(err)), 0);
	assert_false(lab->host.acs);
	lab_free(lab);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_rich),
		cmocka_unit_test(test_round_trip_minimal),
		cmocka_unit_test(test_odd_file_names),
		cmocka_unit_test(test_dump_text),
		cmocka_unit_test(test_example_labs),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s LABS_DIR\n", argv[0]);
		return 2;
	}
	labs_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
