/*
 * Tests for src/base/trace.c: the per-partition trace file -- its header,
 * log lines stamped with the instant their WPP prefix prints, spans and
 * instants as records, the nesting rules of the span stack (an unbalanced
 * end is counted and reported, never written; spans past the depth limit
 * are dropped whole), nothing written with the sink closed, a forked
 * child forgetting its parent's sink and spans, and the session's files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/trace.h"

static char dir[PATH_MAX];
static char path[PATH_MAX + 16];
static FILE *devnull;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_trace.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.trace", dir);
	devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	log_set_stream(devnull);	/* the stream is not under test here */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	trace_sink_close();
	unlink(path);
	rmdir(dir);
	log_set_stream(NULL);
	fclose(devnull);
	return 0;
}

/* The sink's file as lines (at most 64), each without its newline. */
static int read_lines(const char *p, char lines[64][TRACE_LINE_MAX])
{
	FILE *f = fopen(p, "r");
	int n = 0;

	assert_non_null(f);
	while (n < 64 && fgets(lines[n], TRACE_LINE_MAX, f)) {
		size_t l = strlen(lines[n]);
		assert_true(l > 0 && lines[n][l - 1] == '\n');	/* every record ends in a newline */
		lines[n][l - 1] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

static char lines[64][TRACE_LINE_MAX];

static void test_header_and_off_by_default(void **state)
{
	char want[64];

	(void)state;
	assert_false(trace_on());
	trace_span_begin("c", "not written", "k=%d", 1);	/* off: nothing, no stack */
	trace_span_end();
	assert_int_equal(trace_span_depth(), 0);
	assert_int_equal(trace_sink_open(path, "vm 1/x"), 0);	/* label cleaned to a header word */
	assert_true(trace_on());
	trace_sink_close();
	assert_false(trace_on());
	assert_int_equal(read_lines(path, lines), 1);
	snprintf(want, sizeof(want), "#iovlab-trace 1 vm_1_x %d", (int)getpid());
	assert_string_equal(lines[0], want);
	assert_int_equal(trace_sink_open(path, ""), -EINVAL);
	assert_int_equal(trace_sink_open("/nonexistent-dir/x.trace", "root"), -ENOENT);
}

static void test_log_line_has_its_prefix_time(void **state)
{
	(void)state;
	assert_int_equal(log_configure("*=info", NULL, 0), 0);
	log_set_fixed_clock(1700000000, 123);	/* 11/14/2023-22:13:20.123 UTC */
	assert_int_equal(trace_sink_open(path, "root"), 0);
	log_info("lab.test", "hello %d", 7);
	log_debug("lab.test", "not enabled: not in the trace");
	log_warn("lab.test", "tab\there, newline\nthere");
	trace_sink_close();
	log_set_fixed_clock(-1, 0);
	assert_int_equal(read_lines(path, lines), 3);
	assert_string_equal(lines[1], "1700000000123000 L [0]0000.0000::11/14/2023-22:13:20.123 [lab.test]hello 7");
	/* a record is one line: control characters other than tab become spaces */
	assert_string_equal(lines[2], "1700000000123000 L [0]0000.0000::11/14/2023-22:13:20.123 [lab.test]WARNING: "
				      "tab\there, newline there");
}

static void test_stream_level_keeps_trace(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(mem);
	log_set_stream(mem);
	log_set_stream_level(LOG_WARN);
	assert_int_equal(log_configure("*=info", NULL, 0), 0);
	assert_int_equal(trace_sink_open(path, "root"), 0);
	log_info("lab.test", "info line");
	log_warn("lab.test", "warn line");
	trace_sink_close();
	log_set_stream_level(LOG_TRACE);
	log_set_stream(devnull);
	fclose(mem);
	/* stderr (here: mem) has the warning only; the trace has both */
	assert_null(strstr(buf, "info line"));
	assert_non_null(strstr(buf, "warn line"));
	free(buf);
	assert_int_equal(read_lines(path, lines), 3);
	assert_non_null(strstr(lines[1], "info line"));
	assert_non_null(strstr(lines[2], "warn line"));
}

/* "TS KIND TID rest": the parts after the timestamp; checks TS is digits. */
static const char *after_ts(const char *l)
{
	const char *p = l;

	while (*p >= '0' && *p <= '9')
		p++;
	assert_true(p > l && *p == ' ');
	return p + 1;
}

static void test_spans_and_instants(void **state)
{
	char want[256];
	unsigned tid = (unsigned)gettid();

	(void)state;
	assert_int_equal(trace_sink_open(path, "root"), 0);
	trace_span_begin("vm-start", "VF allocate", "vm=%s vf=%u", "vm1", 3u);
	assert_int_equal(trace_span_depth(), 1);
	trace_instant("oid", "OID complete", "status=0x%08x", 0u);
	trace_span_begin("oid", "OID\tX\n", NULL);	/* tab/newline in a name: spaces */
	trace_span_end();
	trace_span_end();
	assert_int_equal(trace_span_depth(), 0);
	trace_sink_close();
	assert_int_equal(read_lines(path, lines), 6);
	snprintf(want, sizeof(want), "B %u vm-start\tVF allocate\tvm=vm1 vf=3", tid);
	assert_string_equal(after_ts(lines[1]), want);
	snprintf(want, sizeof(want), "I %u oid\tOID complete\tstatus=0x00000000", tid);
	assert_string_equal(after_ts(lines[2]), want);
	snprintf(want, sizeof(want), "B %u oid\tOID X \t", tid);
	assert_string_equal(after_ts(lines[3]), want);
	/* an end names the span it ends: the innermost one */
	snprintf(want, sizeof(want), "E %u oid\tOID X ", tid);
	assert_string_equal(after_ts(lines[4]), want);
	snprintf(want, sizeof(want), "E %u vm-start\tVF allocate", tid);
	assert_string_equal(after_ts(lines[5]), want);
	/* timestamps do not go back within a thread */
	for (int i = 2; i < 6; i++)
		assert_true(strtoll(lines[i], NULL, 10) >= strtoll(lines[i - 1], NULL, 10));
}

static void test_unbalanced_end_is_reported_not_written(void **state)
{
	uint64_t before = trace_unbalanced_ends();

	(void)state;
	assert_int_equal(log_configure("*=info", NULL, 0), 0);
	assert_int_equal(trace_sink_open(path, "root"), 0);
	trace_span_end();	/* nothing open */
	trace_span_end();
	assert_int_equal(trace_unbalanced_ends(), before + 2);
	trace_span_begin("c", "ok", NULL);
	trace_span_end();
	trace_sink_close();
	/* header, the one warning line (reported once per process), B, E -- no E for the stray ends */
	int n = read_lines(path, lines);
	int ends = 0, warns = 0;
	for (int i = 1; i < n; i++) {
		const char *r = after_ts(lines[i]);
		ends += r[0] == 'E';
		warns += r[0] == 'L' && strstr(r, "trace_span_end() with no span open") != NULL;
	}
	assert_int_equal(ends, 1);
	assert_int_equal(warns, before == 0 ? 1 : 0);
}

static void test_depth_limit_drops_whole_spans(void **state)
{
	(void)state;
	assert_int_equal(trace_sink_open(path, "root"), 0);
	for (unsigned i = 0; i < TRACE_SPAN_DEPTH + 3; i++)
		trace_span_begin("c", "deep", "i=%u", i);
	assert_int_equal(trace_span_depth(), TRACE_SPAN_DEPTH + 3);
	for (unsigned i = 0; i < TRACE_SPAN_DEPTH + 3; i++)
		trace_span_end();
	assert_int_equal(trace_span_depth(), 0);
	trace_sink_close();
	FILE *f = fopen(path, "r");
	int b = 0, e = 0;
	char l[TRACE_LINE_MAX];
	assert_non_null(f);
	while (fgets(l, sizeof(l), f))
		if (l[0] != '#') {
			const char *r = after_ts(l);
			b += r[0] == 'B';
			e += r[0] == 'E';
		}
	fclose(f);
	assert_int_equal(b, TRACE_SPAN_DEPTH);	/* the three beyond were dropped, begin and end */
	assert_int_equal(e, TRACE_SPAN_DEPTH);
}

static void scoped(void)
{
	TRACE_SCOPE("c", "scoped", "x=%d", 1);
	trace_instant("c", "inside", NULL);
}

static void test_scope_ends_on_return(void **state)
{
	(void)state;
	assert_int_equal(trace_sink_open(path, "root"), 0);
	scoped();
	assert_int_equal(trace_span_depth(), 0);
	trace_sink_close();
	assert_int_equal(read_lines(path, lines), 4);
	assert_non_null(strstr(lines[1], " B "));
	assert_non_null(strstr(lines[3], " E "));
	assert_non_null(strstr(lines[3], "scoped"));
}

static void scoped_close(void)
{
	TRACE_SCOPE("c", "open when the sink closes", NULL);
	trace_sink_close();
}

static void test_sink_closed_under_a_scope(void **state)
{
	uint64_t before = trace_unbalanced_ends();

	(void)state;
	assert_int_equal(trace_sink_open(path, "root"), 0);
	scoped_close();	/* its end finds no sink: not an unbalanced end, nothing written */
	assert_int_equal(trace_unbalanced_ends(), before);
	assert_int_equal(read_lines(path, lines), 2);
}

static void test_spans_do_not_survive_a_new_sink(void **state)
{
	(void)state;
	assert_int_equal(trace_sink_open(path, "root"), 0);
	trace_span_begin("c", "old", NULL);
	assert_int_equal(trace_sink_open(path, "root"), 0);	/* a new file: the old span is forgotten */
	assert_int_equal(trace_span_depth(), 0);
	trace_sink_close();
}

static void test_fork_child_forgets_the_parent(void **state)
{
	char child_path[PATH_MAX + 32];
	pid_t pid;
	int ws;

	(void)state;
	snprintf(child_path, sizeof(child_path), "%s/child.trace", dir);
	assert_int_equal(trace_sink_open(path, "root"), 0);
	trace_span_begin("c", "open in the parent", NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		trace_fork_child();
		if (trace_on() || trace_span_depth() != 0)
			_exit(3);
		trace_span_end();	/* the parent's span is not ours: unbalanced */
		if (trace_sink_open(child_path, "vm1"))
			_exit(4);
		trace_instant("c", "child", NULL);
		trace_sink_close();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	trace_span_end();
	trace_sink_close();
	/* the parent's file: header, B, E -- nothing from the child */
	assert_int_equal(read_lines(path, lines), 3);
	assert_int_equal(read_lines(child_path, lines), 2);
	assert_non_null(strstr(lines[0], " vm1 "));
	assert_non_null(strstr(lines[1], "child"));
	unlink(child_path);
}

static void test_session_files(void **state)
{
	char err[256], p[PATH_MAX];
	struct stat st;
	const char *d;

	(void)state;
	assert_int_equal(trace_session_child_path("vm1", p, sizeof(p)), -ENOENT);
	assert_int_equal(trace_session_start("root", err, sizeof(err)), 0);
	assert_true(trace_on());
	d = trace_session_dir();
	assert_non_null(d);
	assert_int_equal(trace_session_child_path("vm 1", p, sizeof(p)), 0);
	assert_int_equal(trace_session_file_count(), 2);
	assert_non_null(strstr(trace_session_file_at(0), "/00-root.trace"));
	assert_string_equal(trace_session_file_at(1), p);
	assert_non_null(strstr(p, "/01-vm_1.trace"));
	assert_null(trace_session_file_at(2));
	assert_int_equal(trace_session_start("root", err, sizeof(err)), -EBUSY);
	trace_session_stop();
	assert_false(trace_on());
	assert_int_equal(stat(trace_session_file_at(0), &st), 0);
	char keep[PATH_MAX];
	snprintf(keep, sizeof(keep), "%s", d);
	trace_session_remove();
	assert_int_equal(stat(keep, &st), -1);	/* files and directory are gone */
	assert_null(trace_session_dir());
	assert_int_equal(trace_session_file_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_off_by_default),
		cmocka_unit_test(test_log_line_has_its_prefix_time),
		cmocka_unit_test(test_stream_level_keeps_trace),
		cmocka_unit_test(test_spans_and_instants),
		cmocka_unit_test(test_unbalanced_end_is_reported_not_written),
		cmocka_unit_test(test_depth_limit_drops_whole_spans),
		cmocka_unit_test(test_scope_ends_on_return),
		cmocka_unit_test(test_sink_closed_under_a_scope),
		cmocka_unit_test(test_spans_do_not_survive_a_new_sink),
		cmocka_unit_test(test_fork_child_forgets_the_parent),
		cmocka_unit_test(test_session_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
