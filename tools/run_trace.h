/*
 * `iovlab run --trace FILE --timeline FILE.json`: the run's trace session
 * (base/trace.h: one file per partition in a private directory) and, after
 * the host is torn down, the merge into the files the user named
 * (trace/merge.h). FILE '-' is stdout.
 */
#ifndef IOVLAB_TOOLS_RUN_TRACE_H
#define IOVLAB_TOOLS_RUN_TRACE_H

#include <stdbool.h>
#include <stdio.h>

struct run_trace {
	const char *text_path;		/* --trace, NULL: none */
	const char *timeline_path;	/* --timeline, NULL: none */
	FILE *text, *timeline;		/* opened by run_trace_start() */
	bool on;
};

/*
 * Open the outputs and start the session (the host's own file, labelled
 * "root"). When IOVLAB_LOG is unset, the trace gets info and stderr stays
 * at warnings. 0, or -errno with a message on stderr.
 */
int run_trace_start(struct run_trace *t);
/* After the teardown: merge, report problems on stderr, remove the session. 0 or -errno. */
int run_trace_finish(struct run_trace *t);

#endif
