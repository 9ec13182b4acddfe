/*
 * The per-partition trace: what one process (the root partition, or a VM's
 * process) records for `iovlab run --trace` and `--timeline`. Every
 * partition writes its own trace file -- the WPP-style log lines that
 * log.c writes (those IOVLAB_LOG lets through) and the spans and instants
 * of the sequences the lab instruments (host boot, VM start, config-space
 * round trips, teardown, failover) -- and the host merges the files in
 * time order afterwards (src/trace/merge.h). Nothing here is shared
 * between processes: a VM's process opens its own file (partition.c passes
 * the path the host chose at VM start), so lines never interleave.
 *
 * The file format (docs/tracing.md) is one record per line, at most
 * TRACE_LINE_MAX bytes:
 *
 *     #iovlab-trace 1 LABEL PID                   header, first line
 *     TS L WPP-LINE                               a log line
 *     TS B TID CAT<tab>NAME<tab>ARGS              a span begins
 *     TS E TID CAT<tab>NAME                       the innermost span of TID ends
 *     TS I TID CAT<tab>NAME<tab>ARGS              an instant
 *
 * TS is microseconds since the epoch from CLOCK_REALTIME, the same instant
 * the WPP prefix of a log line prints, so the merged order and the printed
 * times agree. ARGS is "key=value" words separated by spaces.
 *
 * Spans follow the call stack of one thread: trace_span_begin() pushes,
 * trace_span_end() pops and ends the innermost one (an end with nothing
 * open is counted and reported once, never a crash). Sequences that finish
 * asynchronously (an OID that pends, a guest's answer) are spans around the
 * synchronous part plus trace_instant() at completion, so spans always
 * nest (Perfetto refuses badly nested B/E, tools-and-views.md S24).
 *
 * With no sink open the cost of every macro is one predictable branch on
 * trace__on. Thread-safe: a record is one write(2) under a lock.
 */
#ifndef IOVLAB_BASE_TRACE_H
#define IOVLAB_BASE_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TRACE_FORMAT_VERSION 1
#define TRACE_LINE_MAX 4096u	/* bytes of one record, the newline included */
#define TRACE_LABEL_MAX 32u	/* partition label, "root", "vm1" */
#define TRACE_FIELD_MAX 96u	/* a span's category or name */
#define TRACE_SPAN_DEPTH 32u	/* open spans per thread; deeper ones are dropped whole */
#define TRACE_SESSION_MAX_FILES 64u

/* Nonzero while this process has a sink open; read only through the macros. */
extern int trace__on;

/* ---- this process's sink ------------------------------------------------------ */
/*
 * Open path (created or truncated, mode 0600) as this process's trace file
 * and write its header with label (letters, digits, '_', '-', '.'; other
 * characters become '_', cut at TRACE_LABEL_MAX - 1) and getpid().
 * Replaces a sink already open. 0, -EINVAL (no label), or -errno.
 */
int trace_sink_open(const char *path, const char *label);
/* Close the sink; tracing is off afterwards. Idempotent. */
void trace_sink_close(void);
/*
 * In a child right after fork(): forget the parent's sink (its descriptor
 * is closed here, the parent's file is untouched) and the spans the
 * forking thread had open. Call before anything else the child logs.
 */
void trace_fork_child(void);

/* ---- the host's session: one file per partition ---------------------------------- */
/*
 * Start a session: make a private directory (mkdtemp under $TMPDIR or
 * /tmp), open this process's sink in it with label, and remember every
 * file that belongs to the run. 0, or -errno with err set.
 */
int trace_session_start(const char *label, char *err, size_t errlen);
/*
 * The file a child partition labelled label should open: a new name in the
 * session directory, registered for the merge. 0 and path, -ENOENT when no
 * session runs, -ENOSPC past TRACE_SESSION_MAX_FILES, -ENAMETOOLONG.
 */
int trace_session_child_path(const char *label, char *path, size_t len);
/* Close this process's sink (the files stay for the merge). */
void trace_session_stop(void);
/*
 * The files of the session, in the order they were registered (the host's
 * first); the strings belong to the session until trace_session_remove().
 */
size_t trace_session_file_count(void);
const char *trace_session_file_at(size_t i);
const char *trace_session_dir(void);	/* NULL when no session */
/* Stop, delete the session's files and directory, forget it. */
void trace_session_remove(void);

/* ---- records ----------------------------------------------------------------------- */
/* log.c: one formatted line, at the time its prefix prints. */
void trace__log_line(const struct timespec *ts, const char *line);

void trace__span_begin(const char *cat, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void trace__span_end(void);
void trace__instant(const char *cat, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Ends without a span open on the thread, since the process started. */
uint64_t trace_unbalanced_ends(void);
/* Spans of the calling thread that are open now. */
unsigned trace_span_depth(void);

static inline int trace_on(void)
{
	return __builtin_expect(trace__on, 0);
}

/*
 * cat: the sequence ("host-boot", "vm-start", "config", "teardown",
 * "failover", "oid", "ndis"); name: the step ("VF allocate"); fmt: the
 * args as "key=%s key=%u" words. Strings are copied.
 */
#define trace_span_begin(cat, name, ...)                                               \
	do {                                                                           \
		if (trace_on())                                                        \
			trace__span_begin((cat), (name), __VA_ARGS__);                 \
	} while (0)
#define trace_span_end()                                                               \
	do {                                                                           \
		if (trace_on())                                                        \
			trace__span_end();                                             \
	} while (0)
#define trace_instant(cat, name, ...)                                                  \
	do {                                                                           \
		if (trace_on())                                                        \
			trace__instant((cat), (name), __VA_ARGS__);                    \
	} while (0)

/*
 * A span over the rest of the enclosing block, ended however the block is
 * left (return, goto out of it): for functions with many exits. One per
 * block; the variable is named trace_scope__.
 */
static inline void trace__scope_end(int *began)
{
	if (*began)
		trace__span_end();
}
#define TRACE_SCOPE(cat, name, ...)                                                    \
	__attribute__((cleanup(trace__scope_end))) int trace_scope__ =                 \
		trace_on() ? (trace__span_begin((cat), (name), __VA_ARGS__), 1) : 0

#endif /* IOVLAB_BASE_TRACE_H */
