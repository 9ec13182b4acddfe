/*
 * The iovlab command line is a table of subcommands; each lives in its own
 * tools/cmd_*.c file and is listed once in iovlab.c's table.
 */
#ifndef IOVLAB_TOOLS_COMMANDS_H
#define IOVLAB_TOOLS_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

struct iovlab_command {
	const char *name;
	const char *args;	/* usage after the name, e.g. "LAB [--show NAME]..." */
	const char *summary;	/* one line for --help */
	int (*run)(int argc, char **argv);	/* argv[0] is the subcommand; returns exit status */
};

int cmd_run(int argc, char **argv);
/* cmd_run.c's script runner for a host already up, and `iovlab diagnose` (--script uses it). */
struct hv_host;
struct lab;
unsigned cmd_run_script(struct hv_host *h, const struct lab *lab, bool json, FILE *msg);
int cmd_diagnose(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_lspci(int argc, char **argv);

#endif
