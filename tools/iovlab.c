/*
 * iovlab: the command a user types. Dispatches to the subcommands listed in
 * the table below (each in tools/cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct iovlab_command commands[] = {
	{ "run", "LAB [--show NAME]... [--json]", "bring a lab up, run its script, print views, tear down", cmd_run },
	{ "diagnose", "LAB [VM] [--json]", "bring a lab up, name the first broken SR-IOV link, tear down",
	  cmd_diagnose },
	{ "lab", "--schema | --check FILE", "print the lab-file schema, or validate a lab file", cmd_lab },
	{ "lspci", "[-v..] [-x..] [--num-vfs N]", "list PCI functions like lspci (hex dumps lspci -F reads)", cmd_lspci },
	{ "topology", "LAB [--svg F] [--broken ID]", "draw the lab's partitions, stacks and bindings (DOT/SVG)", cmd_topology },
	{ "up", "LAB [--socket PATH]", "bring a lab up and keep it running, serving its control socket", cmd_up },
	{ "down", "[--socket PATH | --lab NAME]", "tear a running lab down (quit)", cmd_ctl },
	{ "status", "[--json]", "a running lab's NICs, VMs and adapters", cmd_ctl },
	{ "show", "VIEW [ARGS...] [--json]", "a view of a running lab (as run --show)", cmd_ctl },
	{ "ndiskd", "netadapter [-vm VM] [-iov]", "!ndiskd.netadapter on a running lab", cmd_ctl },
	{ "set", "NOUN NAME -Param VALUE...", "Set-VMNetworkAdapter, Set-NetAdapterAdvancedProperty on a running lab", cmd_ctl },
	{ "vm", "start|stop|kill VM", "start, stop or crash a VM of a running lab", cmd_ctl },
	{ "trace", "[FILE|-] [--timeline FILE.json]", "a running lab's trace of every partition, merged so far", cmd_ctl },
	{ "fault", "inject|clear NAME", "arm or disarm a running lab's [fault NAME] (docs/faults.md)", cmd_ctl },
	{ "vf", "revoke VM [--back-after MS] | return VM", "a live-migration-like VF revoke on a running lab", cmd_ctl },
	{ "send", "FROM TO COUNT SIZE", "send numbered frames between a running lab's VMs", cmd_ctl },
	{ "capture", "start FILE [--point PATTERN]... | stop", "a pcapng capture on a running lab (docs/capture.md)",
	  cmd_ctl },
	{ "events", "[--count N]", "print a running lab's events (JSON lines) until interrupted", cmd_ctl },
	{ "bench", "[--json] [--quick] [--pairs N]", "measure the VF, synthetic and raw-ring paths side by side", cmd_bench },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: iovlab COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %-28s %s\n", commands[i].name, commands[i].args,
			commands[i].summary);
	fprintf(out, "\nenvironment:\n  IOVLAB_LOG   topic levels, e.g. \"*=warn,lab.hv.*=debug\"\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("iovlab %s\n", IOVLAB_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "iovlab: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
