/*
 * `iovlab run LAB`: bring a lab file's topology up, run its script, print the
 * views it asks for, tear down. The lab file is loaded and validated for
 * real (src/lab); the lab runtime behind it (device model, NDIS, Hyper-V
 * model, drivers) is being built issue by issue, so after validating the file
 * this command says what the lab would bring up and what is not built yet
 * (exit 0: the user did nothing wrong) -- it never prints made-up lab output.
 * A lab file with an error is refused with file:line and exit status 2.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "lab/lab.h"

static const char *const built[] = {
	"driver-facing NDIS/WDM/vPCI headers (include/ndis), proven against MinGW-w64's ntddndis.h",
	"logger with WPP/tracefmt-style prefixes and topics (IOVLAB_LOG)",
	"lab files: format, validation with file:line errors (man iovlab.lab)",
	"partitions as processes, guest memory, VMBus channels",
	"srnic: the emulated SR-IOV NIC with its PCIe SR-IOV capability (iovlab lspci)",
	"vPCI: the host VSP and guest VSC protocol over VMBus",
};

static const char *const not_built[] = {
	"the NDIS framework's adapters and the reference PF/VF miniports and VBD",
	"the virtualization stack, vSwitch and the Windows views",
	"NetVsc's VF binding through vPCI, the data-path switch",
	"diagnose, traces, captures; lwIP guests and the benchmark",
};

static void print_lab(const struct lab *lab)
{
	printf("Lab %s%s%s (%s): validated.\n", lab->info.name ? lab->info.name : "",
	       lab->info.description ? " -- " : "",
	       lab->info.description ? lab->info.description : "", lab->file);
	for (size_t i = 0; i < lab->nnics; i++)
		printf("  nic %-10s driver %s, TotalVFs %u\n", lab->nics[i].name,
		       lab->nics[i].driver ? lab->nics[i].driver : "(none)",
		       lab->nics[i].total_vfs);
	for (size_t i = 0; i < lab->nvswitches; i++)
		printf("  vmswitch %-10s adapter %s, EnableIov %s\n", lab->vswitches[i].name,
		       lab->vswitches[i].adapter ? lab->vswitches[i].adapter : "(none)",
		       lab->vswitches[i].iov ? "True" : "False");
	for (size_t i = 0; i < lab->nvms; i++)
		printf("  vm %-10s VF driver %s, VBD %s\n", lab->vms[i].name,
		       lab->vms[i].vf_driver ? lab->vms[i].vf_driver : "(none)",
		       lab->vms[i].vbd ? lab->vms[i].vbd : "(none)");
	for (size_t i = 0; i < lab->nvmnics; i++)
		printf("  vmnetworkadapter %-10s VM %s, switch %s, IovWeight %u\n",
		       lab->vmnics[i].name, lab->vmnics[i].vm_name,
		       lab->vmnics[i].switch_name ? lab->vmnics[i].switch_name : "(none)",
		       lab->vmnics[i].iov_weight);
	printf("  script: %zu steps\n", lab->script.count);
}

int cmd_run(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : NULL;
	struct lab *lab = NULL;
	char err[512];

	if (!path || strcmp(path, "--help") == 0) {
		fprintf(stderr, "usage: iovlab run LAB\n");
		return 2;
	}
	if (lab_load_file(path, &lab, err, sizeof(err))) {
		fprintf(stderr, "iovlab: %s\n", err);
		return 2;
	}
	printf("iovlab: Hyper-V SR-IOV networking (PF miniport, VF miniport, VBD, NetVsc,\n"
	       "vPCI, NIC switch) as software you can bring up, break and trace on Linux.\n\n");
	print_lab(lab);
	printf("\nCannot bring this lab up yet: the lab runtime is not built.\n\n");
	printf("Built so far:\n");
	for (size_t i = 0; i < sizeof(built) / sizeof(built[0]); i++)
		printf("  + %s\n", built[i]);
	printf("Not built yet:\n");
	for (size_t i = 0; i < sizeof(not_built) / sizeof(not_built[0]); i++)
		printf("  - %s\n", not_built[i]);
	printf("\nSee README.md and docs/ for the plan; `make test` runs what exists.\n");
	lab_free(lab);
	return 0;
}
