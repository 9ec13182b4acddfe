/*
 * Merging the partitions' trace files (base/trace.h) into what `iovlab run
 * --trace` and `--timeline` write: one WPP-style text stream in time
 * order, each line labelled with its partition, and one Chrome trace
 * ("Trace Event Format") of every span and instant, one pid per partition
 * process. The host calls it after the run; the live control socket calls
 * it on a running lab (trace_merge_files()).
 *
 * The files were written by other processes -- a guest among them -- so
 * they are untrusted input: lines are bounded (TRACE_LINE_MAX), every
 * record is checked field by field, a bad line is reported ("FILE:LINE:
 * why") and skipped, a file without a valid header is refused whole, and
 * spans are re-nested per thread (an end with no begin is dropped, a begin
 * never ended is closed at its partition's last record), so the timeline
 * is always properly nested whatever the files say.
 *
 * Merge rule: records are ordered by their timestamp; equal timestamps
 * keep the order of the files as added, and within a file the order of its
 * lines (a stable merge). Text lines are "[LABEL]" followed by the line as
 * the partition wrote it -- TRACE_FORMAT_PREFIX "[%!COMPNAME!]" in front of
 * tracefmt's default, with the partition as the component (docs/tracing.md).
 */
#ifndef IOVLAB_TRACE_MERGE_H
#define IOVLAB_TRACE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TRACE_MERGE_MAX_FILES 64u
#define TRACE_MERGE_MAX_RECORDS (4u << 20)	/* records kept over all files */
#define TRACE_MERGE_PROBLEMS_KEPT 64u		/* problem texts kept; the rest are counted */
#define TRACE_MERGE_MAX_DEPTH 64u		/* open spans per thread in the merge */

struct trace_merge;

/* NULL on allocation failure. Free with trace_merge_destroy() (NULL is a no-op). */
struct trace_merge *trace_merge_create(void);
void trace_merge_destroy(struct trace_merge *m);

/*
 * For a lab that is still running (the live control socket): a last line
 * without its newline is a record being written, skipped without a
 * problem, and spans still open are closed at their partition's last
 * record without one. Set before adding files. Default false (after the run such a
 * line means a writer died mid-record, and is reported).
 */
void trace_merge_set_live(struct trace_merge *m, bool live);

/*
 * Read one partition's file. 0 when it was read (bad lines are problems,
 * not errors); -errno when it cannot be opened or read, -EINVAL when it is
 * not a trace file, -ENOSPC past TRACE_MERGE_MAX_FILES -- each also
 * recorded as a problem.
 */
int trace_merge_add_file(struct trace_merge *m, const char *path);
/* The same for bytes in memory; name is used in problem texts. */
int trace_merge_add_buffer(struct trace_merge *m, const char *name, const void *data, size_t len);

/* The merged text trace: "[LABEL]WPP-LINE\n" per log record, in merge order. 0 or -EIO. */
int trace_merge_write_text(struct trace_merge *m, FILE *out);
/*
 * The timeline: {"traceEvents":[...],"displayTimeUnit":"ms","otherData":{...}}
 * with B/E spans and "i" instants, ts in microseconds from the earliest
 * record, plus process_name / thread_name metadata. Re-nesting problems
 * are recorded. 0, -EIO, or -ENOMEM.
 */
int trace_merge_write_timeline(struct trace_merge *m, FILE *out);

/*
 * Problems found so far (all of them), and the first TRACE_MERGE_PROBLEMS_KEPT
 * texts ("FILE:LINE: why"), owned by m until trace_merge_destroy().
 */
size_t trace_merge_problem_count(const struct trace_merge *m);
const char *trace_merge_problem_at(const struct trace_merge *m, size_t i);
/* Records accepted (log lines, begins, ends, instants). */
size_t trace_merge_record_count(const struct trace_merge *m);
size_t trace_merge_log_count(const struct trace_merge *m);

/*
 * One call: merge paths and write the text trace to text and the timeline
 * to timeline (either may be NULL); each problem goes to problems (may be
 * NULL) as "iovlab: trace: ...". 0 when both were written (problems
 * included), else the first -errno.
 */
int trace_merge_files(const char *const *paths, size_t npaths, FILE *text, FILE *timeline, FILE *problems);

#endif /* IOVLAB_TRACE_MERGE_H */
