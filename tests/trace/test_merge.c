/*
 * Tests for src/trace/merge.c with synthetic partition files: the merge
 * order (timestamp, then file order, then line order), the partition
 * labels, every kind of bad line reported with FILE:LINE and skipped,
 * refused files, and the timeline's re-nesting (an end with no begin
 * dropped and reported, a begin never ended closed, an inner span closed
 * with its parent), checked by reading the JSON back with jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/trace.h"
#include "trace/merge.h"

static char *text_of(struct trace_merge *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(trace_merge_write_text(m, f), 0);
	fclose(f);
	return buf;
}

static json_t *timeline_of(struct trace_merge *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t err;
	json_t *j;

	assert_non_null(f);
	assert_int_equal(trace_merge_write_timeline(m, f), 0);
	fclose(f);
	j = json_loads(buf, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		fail_msg("timeline is not JSON: %s at line %d: %s", err.text, err.line, buf);
	free(buf);
	return j;
}

static bool has_problem(struct trace_merge *m, const char *needle)
{
	for (size_t i = 0; i < trace_merge_problem_count(m); i++)
		if (trace_merge_problem_at(m, i) && strstr(trace_merge_problem_at(m, i), needle))
			return true;
	return false;
}

static int add(struct trace_merge *m, const char *name, const char *s)
{
	return trace_merge_add_buffer(m, name, s, strlen(s));
}

static void test_order_is_time_then_file_then_line(void **state)
{
	struct trace_merge *m = trace_merge_create();
	char *t;

	(void)state;
	assert_non_null(m);
	assert_int_equal(add(m, "00-root.trace", "#iovlab-trace 1 root 100\n"
						"10 L r1\n"
						"30 L r3 same time as v3, root first\n"
						"30 L r4 and then its own next line\n"
						"50 L r5\n"),
			 0);
	assert_int_equal(add(m, "01-vm1.trace", "#iovlab-trace 1 vm1 200\n"
						"20 L v2\n"
						"30 L v3\n"
						"5 L v0 written late, sorted early\n"),
			 0);
	t = text_of(m);
	assert_string_equal(t, "[vm1]v0 written late, sorted early\n"
			       "[root]r1\n"
			       "[vm1]v2\n"
			       "[root]r3 same time as v3, root first\n"
			       "[root]r4 and then its own next line\n"
			       "[vm1]v3\n"
			       "[root]r5\n");
	free(t);
	assert_int_equal(trace_merge_problem_count(m), 0);
	assert_int_equal(trace_merge_log_count(m), 7);
	trace_merge_destroy(m);
}

static void test_bad_lines_reported_and_skipped(void **state)
{
	struct trace_merge *m = trace_merge_create();
	char *t, longline[TRACE_LINE_MAX + 64];
	char *buf;
	size_t n;

	(void)state;
	memset(longline, 'x', sizeof(longline));
	longline[sizeof(longline) - 1] = '\0';
	n = strlen("#iovlab-trace 1 vm2 7\n10 L ok1\n") + strlen(longline) + 200;
	buf = malloc(n);
	assert_non_null(buf);
	snprintf(buf, n,
		 "#iovlab-trace 1 vm2 7\n"	/* 1 */
		 "10 L ok1\n"			/* 2 */
		 "%s\n"				/* 3: too long */
		 "abc L no time\n"		/* 4 */
		 "99999999999999999999 L too big\n"	/* 5 */
		 "11 Q what\n"			/* 6 */
		 "\n"				/* 7 */
		 "12 B x cat\tname\t\n"		/* 8: bad tid */
		 "13 B 5 \tname\t\n"		/* 9: empty category */
		 "14 B 5 cat\n"			/* 10: no name */
		 "15 E 5 cat\tname\textra\n"	/* 11 */
		 "16 L ctl\x01here\n"		/* 12 */
		 "# a comment\n"		/* 13: fine */
		 "17 L ok2\n"			/* 14 */
		 "18 L cut", longline);		/* 15: no newline */
	assert_int_equal(trace_merge_add_buffer(m, "dir/02-vm2.trace", buf, strlen(buf)), 0);
	free(buf);
	t = text_of(m);
	assert_string_equal(t, "[vm2]ok1\n[vm2]ok2\n");
	free(t);
	assert_true(has_problem(m, "02-vm2.trace:3: line longer than"));
	assert_true(has_problem(m, "02-vm2.trace:4: bad timestamp"));
	assert_true(has_problem(m, "02-vm2.trace:5: bad timestamp"));
	assert_true(has_problem(m, "02-vm2.trace:6: unknown record kind"));
	assert_true(has_problem(m, "02-vm2.trace:7: empty line"));
	assert_true(has_problem(m, "02-vm2.trace:8: bad thread id"));
	assert_true(has_problem(m, "02-vm2.trace:9: a span's category or name is empty"));
	assert_true(has_problem(m, "02-vm2.trace:10: a span record lacks its name"));
	assert_true(has_problem(m, "02-vm2.trace:11: an end record has more than"));
	assert_true(has_problem(m, "02-vm2.trace:12: a log line has a control character"));
	assert_true(has_problem(m, "02-vm2.trace:15: last line has no newline"));
	assert_int_equal(trace_merge_problem_count(m), 11);
	trace_merge_destroy(m);
}

static void test_files_refused_whole(void **state)
{
	struct trace_merge *m = trace_merge_create();
	static const char nul_line[] = "#iovlab-trace 1 vm1 3\n10 L a\0b\n11 L fine\n";
	char *t;

	(void)state;
	assert_int_equal(add(m, "a", "10 L no header\n"), -EINVAL);
	assert_int_equal(add(m, "b", "#iovlab-trace 2 root 1\n10 L x\n"), -EINVAL);
	assert_int_equal(add(m, "c", "#iovlab-trace 1 ro/ot 1\n"), -EINVAL);
	assert_int_equal(add(m, "d", "#iovlab-trace 1 root 0\n"), -EINVAL);
	assert_int_equal(add(m, "e", ""), -EINVAL);
	assert_int_equal(trace_merge_add_buffer(m, "f", nul_line, sizeof(nul_line) - 1), 0);
	assert_int_equal(trace_merge_add_file(m, "/nonexistent/x.trace"), -ENOENT);
	assert_true(has_problem(m, "a:1: no '#iovlab-trace' header"));
	assert_true(has_problem(m, "b:1: unsupported format version"));
	assert_true(has_problem(m, "c:1: bad partition label"));
	assert_true(has_problem(m, "d:1: bad process id"));
	assert_true(has_problem(m, "e: empty file"));
	assert_true(has_problem(m, "f:2: NUL byte"));
	assert_true(has_problem(m, "/nonexistent/x.trace: cannot open"));
	t = text_of(m);
	assert_string_equal(t, "[vm1]fine\n");
	free(t);
	trace_merge_destroy(m);
}

static void test_file_reader_matches_buffer_reader(void **state)
{
	char path[] = "/tmp/test_merge.XXXXXX";
	int fd = mkstemp(path);
	static const char body[] = "#iovlab-trace 1 vm1 42\n20 L b\n10 L a\n30 L c";
	struct trace_merge *m = trace_merge_create();
	char *t;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)sizeof(body) - 1);
	close(fd);
	assert_int_equal(trace_merge_add_file(m, path), 0);
	unlink(path);
	t = text_of(m);
	assert_string_equal(t, "[vm1]a\n[vm1]b\n");
	free(t);
	assert_true(has_problem(m, ":4: last line has no newline"));
	trace_merge_destroy(m);

	/* a running lab's file: the record being written is skipped quietly */
	m = trace_merge_create();
	trace_merge_set_live(m, true);
	assert_int_equal(trace_merge_add_buffer(m, "live", body, sizeof(body) - 1), 0);
	t = text_of(m);
	assert_string_equal(t, "[vm1]a\n[vm1]b\n");
	free(t);
	assert_int_equal(trace_merge_problem_count(m), 0);
	trace_merge_destroy(m);
}

/* The events of one kind (ph) named name, in array order. */
static size_t count(json_t *events, const char *ph, const char *name)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(events, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "ph")), ph) &&
		    (!name || !strcmp(json_string_value(json_object_get(e, "name")), name)))
			n++;
	return n;
}

/* Every (pid, tid): E matches the innermost open B, nothing left open. */
static void assert_nested(json_t *events)
{
	struct {
		json_int_t pid, tid;
		const char *open[64];
		size_t depth;
	} tr[16];
	size_t ntr = 0, i, k;
	json_t *e;

	json_array_foreach(events, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		json_int_t pid = json_integer_value(json_object_get(e, "pid"));
		json_int_t tid = json_integer_value(json_object_get(e, "tid"));

		if (strcmp(ph, "B") && strcmp(ph, "E"))
			continue;
		for (k = 0; k < ntr && (tr[k].pid != pid || tr[k].tid != tid); k++)
			;
		if (k == ntr) {
			assert_true(ntr < 16);
			tr[ntr].pid = pid;
			tr[ntr].tid = tid;
			tr[ntr++].depth = 0;
		}
		if (!strcmp(ph, "B")) {
			assert_true(tr[k].depth < 64);
			tr[k].open[tr[k].depth++] = json_string_value(json_object_get(e, "name"));
		} else {
			assert_true(tr[k].depth > 0);
			assert_string_equal(tr[k].open[--tr[k].depth], json_string_value(json_object_get(e, "name")));
		}
	}
	for (k = 0; k < ntr; k++)
		assert_int_equal(tr[k].depth, 0);
}

static void test_timeline_nesting_repaired(void **state)
{
	struct trace_merge *m = trace_merge_create();
	json_t *j, *ev, *e;
	size_t i;

	(void)state;
	assert_int_equal(add(m, "00-root.trace", "#iovlab-trace 1 root 100\n"
						"100 B 100 vm-start\tVF allocate\tvm=vm1 adapter=Ethernet 2\n"
						"110 B 100 oid\tOID_NIC_SWITCH_ALLOCATE_VF\t\n"
						"120 E 100 oid\tOID_NIC_SWITCH_ALLOCATE_VF\n"
						"125 I 100 oid\tOID complete\tstatus=0x0\n"
						"130 E 100 vm-start\tVF allocate\n"
						"140 E 100 c\tnever begun\n"	/* 7: dropped */
						"150 B 100 c\touter\t\n"	/* 8 */
						"160 B 100 c\tinner\t\n"	/* 9: ended by outer's end */
						"170 E 100 c\touter\n"		/* 10 */
						"180 B 101 c\tleft open\tfree text here\n"	/* 11 */
						"190 L last\n"),
			 0);
	assert_int_equal(add(m, "01-vm1.trace", "#iovlab-trace 1 vm1 200\n"
						"105 B 200 vm-start\tserial match\t\n"
						"106 E 200 vm-start\tserial match\n"),
			 0);
	j = timeline_of(m);
	assert_string_equal(json_string_value(json_object_get(j, "displayTimeUnit")), "ms");
	ev = json_object_get(j, "traceEvents");
	assert_true(json_is_array(ev));
	assert_nested(ev);
	assert_int_equal(count(ev, "B", NULL), 6);
	assert_int_equal(count(ev, "E", NULL), 6);	/* 3 written + inner + left open + serial match */
	assert_int_equal(count(ev, "E", "never begun"), 0);
	assert_int_equal(count(ev, "i", "OID complete"), 1);
	assert_int_equal(count(ev, "M", "process_name"), 2);
	assert_true(has_problem(m, "00-root.trace:7: end of span 'never begun' with no such span open on thread 100"));
	assert_true(has_problem(m, "00-root.trace:10: span 'inner' (line 9) still open when 'outer' ended"));
	assert_true(has_problem(m, "00-root.trace:11: span 'left open' on thread 101 never ended"));
	json_array_foreach(ev, i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *ph = json_string_value(json_object_get(e, "ph"));

		if (!strcmp(ph, "M"))
			continue;
		/* ts from the earliest record (100), pid from the header */
		if (!strcmp(name, "VF allocate") && !strcmp(ph, "B")) {
			json_t *a = json_object_get(e, "args");
			assert_int_equal(json_integer_value(json_object_get(e, "ts")), 0);
			assert_int_equal(json_integer_value(json_object_get(e, "pid")), 100);
			assert_string_equal(json_string_value(json_object_get(e, "cat")), "vm-start");
			assert_string_equal(json_string_value(json_object_get(a, "vm")), "vm1");
			assert_string_equal(json_string_value(json_object_get(a, "adapter")), "Ethernet 2");
		}
		if (!strcmp(name, "left open") && !strcmp(ph, "E"))
			assert_int_equal(json_integer_value(json_object_get(e, "ts")), 90);	/* root's last record */
		if (!strcmp(name, "left open") && !strcmp(ph, "B"))
			assert_string_equal(json_string_value(json_object_get(json_object_get(e, "args"), "detail")),
					    "free text here");
		if (!strcmp(name, "serial match"))
			assert_int_equal(json_integer_value(json_object_get(e, "pid")), 200);
	}
	json_decref(j);
	trace_merge_destroy(m);
}

static void test_same_pid_gets_its_own_track(void **state)
{
	struct trace_merge *m = trace_merge_create();
	json_t *j, *ev, *e;
	json_int_t pids[2] = { 0, 0 };
	size_t i, n = 0;

	(void)state;
	/* a restarted VM whose process got the old pid again: two partitions, not one */
	assert_int_equal(add(m, "01-vm1.trace", "#iovlab-trace 1 vm1 100\n10 B 100 c\tfirst\t\n"), 0);
	assert_int_equal(add(m, "02-vm1.trace", "#iovlab-trace 1 vm1 100\n11 B 100 c\tsecond\t\n12 E 100 c\tfirst\n"), 0);
	j = timeline_of(m);
	ev = json_object_get(j, "traceEvents");
	assert_nested(ev);
	json_array_foreach(ev, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), "process_name"))
			pids[n++] = json_integer_value(json_object_get(e, "pid"));
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 100);
	assert_true(pids[1] != 100);
	/* the second file's end of 'first' matches nothing of its own */
	assert_true(has_problem(m, "02-vm1.trace:3: end of span 'first' with no such span open"));
	json_decref(j);
	trace_merge_destroy(m);
}

static void test_merge_files_one_call(void **state)
{
	char dir[] = "/tmp/test_merge_dir.XXXXXX", p0[64], p1[64];
	const char *paths[2] = { p0, p1 };
	char *text = NULL, *tl = NULL, *probs = NULL;
	size_t a, b, c;
	FILE *ft, *fj, *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p0, sizeof(p0), "%s/00-root.trace", dir);
	snprintf(p1, sizeof(p1), "%s/01-vm1.trace", dir);
	fp = fopen(p0, "w");
	fputs("#iovlab-trace 1 root 1\n2 L two\n3 B 1 c\tn\t\n4 E 1 c\tn\n", fp);
	fclose(fp);
	fp = fopen(p1, "w");
	fputs("#iovlab-trace 1 vm1 2\n1 L one\nbad\n", fp);
	fclose(fp);
	ft = open_memstream(&text, &a);
	fj = open_memstream(&tl, &b);
	fp = open_memstream(&probs, &c);
	assert_int_equal(trace_merge_files(paths, 2, ft, fj, fp), 0);
	fclose(ft);
	fclose(fj);
	fclose(fp);
	assert_string_equal(text, "[vm1]one\n[root]two\n");
	assert_non_null(strstr(tl, "\"traceEvents\""));
	assert_non_null(strstr(probs, "iovlab: trace: 01-vm1.trace:3: bad timestamp"));
	free(text);
	free(tl);
	free(probs);
	unlink(p0);
	unlink(p1);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_is_time_then_file_then_line),
		cmocka_unit_test(test_bad_lines_reported_and_skipped),
		cmocka_unit_test(test_files_refused_whole),
		cmocka_unit_test(test_file_reader_matches_buffer_reader),
		cmocka_unit_test(test_timeline_nesting_repaired),
		cmocka_unit_test(test_same_pid_gets_its_own_track),
		cmocka_unit_test(test_merge_files_one_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
