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
