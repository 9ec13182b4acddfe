/*
 * `iovlab run LAB`: bring a lab file's topology up, run its script, print the
 * views it asks for, tear down. The lab itself (device model, NDIS, Hyper-V
 * model, drivers) is being built issue by issue; until a lab can really be
 * brought up this command says exactly that and what exists today (exit 0:
 * the user did nothing wrong) -- it never prints made-up lab output.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char *const built[] = {
	"driver-facing NDIS/WDM/vPCI headers (include/ndis), proven against MinGW-w64's ntddndis.h",
	"logger with WPP/tracefmt-style prefixes and topics (IOVLAB_LOG)",
};

static const char *const not_built[] = {
	"srnic: the emulated SR-IOV NIC (PCIe SR-IOV capability, NIC switch, DMA)",
	"the NDIS framework (miniports/protocols from .so + INF, OIDs, NBLs, verifier)",
	"the PF miniport, the virtualization stack and the Windows views",
	"partitions, VMBus, vPCI, the VBD and VF miniport, NetVsc's VF binding",
	"diagnose, traces, captures; lwIP guests and the benchmark",
};

int cmd_run(int argc, char **argv)
{
	const char *lab = argc > 1 ? argv[1] : NULL;

	if (!lab || strcmp(lab, "--help") == 0) {
		fprintf(stderr, "usage: iovlab run LAB\n");
		return 2;
	}
	printf("iovlab: Hyper-V SR-IOV networking (PF miniport, VF miniport, VBD, NetVsc,\n"
	       "vPCI, NIC switch) as software you can bring up, break and trace on Linux.\n\n");
	printf("Cannot run %s yet: the lab runtime is not built.\n\n", lab);
	printf("Built so far:\n");
	for (size_t i = 0; i < sizeof(built) / sizeof(built[0]); i++)
		printf("  + %s\n", built[i]);
	printf("Not built yet:\n");
	for (size_t i = 0; i < sizeof(not_built) / sizeof(not_built[0]); i++)
		printf("  - %s\n", not_built[i]);
	printf("\nSee README.md and docs/ for the plan; `make test` runs what exists.\n");
	return 0;
}
