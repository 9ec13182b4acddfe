/*
 * The trace side of `iovlab run` (run_trace.h). The session starts before
 * the host so host boot is in it; every VM process the host starts writes
 * its own file (src/hv/partition.c); the merge runs once every process is
 * gone, so no file is still being written. IOVLAB_TRACE_KEEP=1 keeps the
 * per-partition files and says where they are.
 */
#include "run_trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/trace.h"
#include "trace/merge.h"

static FILE *open_out(const char *path, const char *what)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "we");
	if (!f)
		fprintf(stderr, "iovlab run: %s %s: %s\n", what, path, strerror(errno));
	return f;
}

static void close_out(FILE *f)
{
	if (f && f != stdout)
		fclose(f);
	else if (f)
		fflush(f);
}

int run_trace_start(struct run_trace *t)
{
	char err[256];
	int rc;

	if (!t->text_path && !t->timeline_path)
		return 0;
	if (t->text_path && t->timeline_path && !strcmp(t->text_path, "-") && !strcmp(t->timeline_path, "-")) {
		fprintf(stderr, "iovlab run: --trace and --timeline cannot both go to stdout\n");
		return -EINVAL;
	}
	if (t->text_path && !(t->text = open_out(t->text_path, "--trace")))
		return -EIO;
	if (t->timeline_path && !(t->timeline = open_out(t->timeline_path, "--timeline"))) {
		close_out(t->text);
		t->text = NULL;
		return -EIO;
	}
	/* The trace is what was asked for: info in the files, warnings on stderr as before. */
	if (!getenv("IOVLAB_LOG")) {
		log_configure("*=info", NULL, 0);
		log_set_stream_level(LOG_WARN);
	}
	if ((rc = trace_session_start("root", err, sizeof(err)))) {
		fprintf(stderr, "iovlab run: trace: %s\n", err);
		close_out(t->text);
		close_out(t->timeline);
		t->text = t->timeline = NULL;
		return rc;
	}
	t->on = true;
	return 0;
}

int run_trace_finish(struct run_trace *t)
{
	const char *paths[TRACE_SESSION_MAX_FILES];
	size_t n = trace_session_file_count();
	int rc;

	if (!t->on)
		return 0;
	trace_session_stop();
	for (size_t i = 0; i < n; i++)
		paths[i] = trace_session_file_at(i);
	fflush(stdout);
	rc = trace_merge_files(paths, n, t->text, t->timeline, stderr);
	if (rc)
		fprintf(stderr, "iovlab run: trace: writing the merged trace failed: %s\n", strerror(-rc));
	close_out(t->text);
	close_out(t->timeline);
	t->text = t->timeline = NULL;
	if (getenv("IOVLAB_TRACE_KEEP") && *getenv("IOVLAB_TRACE_KEEP") && strcmp(getenv("IOVLAB_TRACE_KEEP"), "0"))
		fprintf(stderr, "iovlab run: trace: the partitions' files are in %s\n", trace_session_dir());
	else
		trace_session_remove();
	t->on = false;
	return rc;
}
