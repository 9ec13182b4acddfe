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
int cmd_topology(int argc, char **argv);

/*
 * cmd_run() with a look at the live host after the script and the views,
 * before teardown (cmd_topology.c draws it there). Returns cmd_run's status.
 */
struct hv_host;
typedef void cmd_run_after_fn(struct hv_host *h, void *ctx);
int cmd_run_then(int argc, char **argv, cmd_run_after_fn *fn, void *ctx);
int cmd_up(int argc, char **argv);
/* The commands that talk to a running lab (status show ndiskd set vm send events down): cmd_ctl.c. */
int cmd_ctl(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * The host options every command that brings a lab up uses: the built
 * packages' directories (or IOVLAB_*_DIR), and the VMs as processes with the
 * guest stack when guests is true (host_options.c).
 */
#include <stdbool.h>
struct hv_host_options;
void tools_host_options(struct hv_host_options *opt, bool guests);

#endif
