/*
 * The per-partition trace behind trace.h: one sink descriptor per process,
 * records written whole with one write(2) under a lock (O_APPEND), a span
 * stack per thread, and the host's session -- the directory that holds
 * every partition's file until the merge (src/trace/merge.c). The span
 * stack is tagged with a generation that changes whenever the sink does,
 * so spans opened under an old sink (or by the parent before fork) are
 * forgotten instead of ending in the wrong file.
 */
#include "base/trace.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"

#define TOPIC "lab.trace"

int trace__on;

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int sink_fd = -1;
static unsigned sink_gen = 1;		/* changes with every open, close, fork */
static uint64_t sink_dropped;		/* records write(2) did not take whole */
static uint64_t unbalanced_ends;

struct span_frame {
	char cat[TRACE_FIELD_MAX];
	char name[TRACE_FIELD_MAX];
};

struct span_stack {
	unsigned gen;
	unsigned depth;		/* frames in use */
	unsigned dropped;	/* begins past TRACE_SPAN_DEPTH, ended silently */
	struct span_frame f[TRACE_SPAN_DEPTH];
};

static __thread struct span_stack spans;

static struct {
	char dir[PATH_MAX];
	char *files[TRACE_SESSION_MAX_FILES];
	size_t nfiles;
	bool on;
} session;

/* ---- helpers ---------------------------------------------------------------- */
/* label as a header word: letters, digits, '_', '-', '.'; anything else becomes '_'. */
static bool label_clean(char out[TRACE_LABEL_MAX], const char *label)
{
	size_t i = 0;

	for (; label && label[i] && i + 1 < TRACE_LABEL_MAX; i++) {
		unsigned char c = (unsigned char)label[i];
		out[i] = isalnum(c) || c == '_' || c == '-' || c == '.' ? (char)c : '_';
	}
	out[i] = '\0';
	return i > 0;
}

/* Copy src into dst (size n) as printable ASCII without tabs. */
static void field_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c >= 0x7f ? ' ' : (char)c;
	}
	dst[i] = '\0';
	if (i == 0 && n > 1) {
		dst[0] = '?';
		dst[1] = '\0';
	}
}

/* Control characters of a log line become spaces (a record is one line). */
static void line_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			*s = ' ';
		else if (*s == 0x7f)
			*s = ' ';
}

static long long usec_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000LL + ts->tv_nsec / 1000;
}

static long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return usec_of(&ts);
}

static unsigned my_tid(void)
{
	return (unsigned)syscall(SYS_gettid);
}

/* Write one finished record (ends in '\n'). */
static void record_put(const char *rec, size_t len)
{
	pthread_mutex_lock(&trace_lock);
	if (sink_fd >= 0) {
		ssize_t n = write(sink_fd, rec, len);
		if (n != (ssize_t)len)
			sink_dropped++;
	}
	pthread_mutex_unlock(&trace_lock);
}

static struct span_stack *my_spans(void)
{
	unsigned gen = __atomic_load_n(&sink_gen, __ATOMIC_RELAXED);

	if (spans.gen != gen) {
		spans.gen = gen;
		spans.depth = 0;
		spans.dropped = 0;
	}
	return &spans;
}

/* ---- the sink ------------------------------------------------------------------ */
static void sink_close_locked(void)
{
	if (sink_fd >= 0)
		close(sink_fd);
	sink_fd = -1;
	__atomic_store_n(&trace__on, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sink_gen, 1, __ATOMIC_RELAXED);
}

int trace_sink_open(const char *path, const char *label)
{
	char hdr[96], lab[TRACE_LABEL_MAX];
	int fd, n;

	if (!path || !label_clean(lab, label))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	n = snprintf(hdr, sizeof(hdr), "#iovlab-trace %d %s %d\n", TRACE_FORMAT_VERSION, lab, (int)getpid());
	if (write(fd, hdr, (size_t)n) != n) {
		int err = errno ? -errno : -EIO;
		close(fd);
		return err;
	}
	pthread_mutex_lock(&trace_lock);
	sink_close_locked();
	sink_fd = fd;
	__atomic_store_n(&trace__on, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&trace_lock);
	return 0;
}

void trace_sink_close(void)
{
	pthread_mutex_lock(&trace_lock);
	sink_close_locked();
	pthread_mutex_unlock(&trace_lock);
}

void trace_fork_child(void)
{
	/* The child has one thread; the lock is free unless the parent forked
	 * while another of its threads held it, so start from a fresh one. */
	pthread_mutex_init(&trace_lock, NULL);
	sink_close_locked();
	session.on = false;
	for (size_t i = 0; i < session.nfiles; i++)
		free(session.files[i]);
	session.nfiles = 0;
	session.dir[0] = '\0';
}

/* ---- records -------------------------------------------------------------------- */
void trace__log_line(const struct timespec *ts, const char *line)
{
	char rec[TRACE_LINE_MAX];
	int n;

	n = snprintf(rec, sizeof(rec) - 1, "%lld L %s", usec_of(ts), line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(rec) - 1)
		n = (int)sizeof(rec) - 2;	/* cut to fit; the newline still ends it */
	rec[n] = '\0';
	line_clean(rec);
	rec[n++] = '\n';
	record_put(rec, (size_t)n);
}

static void emit(char kind, unsigned tid, const char *cat, const char *name, const char *fmt, va_list ap)
{
	char rec[TRACE_LINE_MAX], c[TRACE_FIELD_MAX], nm[TRACE_FIELD_MAX];
	int n;

	field_copy(c, sizeof(c), cat);
	field_copy(nm, sizeof(nm), name);
	n = snprintf(rec, sizeof(rec) - 1, "%lld %c %u %s\t%s", now_usec(), kind, tid, c, nm);
	if (n < 0 || (size_t)n >= sizeof(rec) - 2)
		return;
	if (kind != 'E') {
		char *args = rec + n + 1;
		size_t room = sizeof(rec) - 1 - (size_t)n - 1;	/* the newline keeps its byte */
		int m = vsnprintf(args, room, fmt, ap);

		rec[n] = '\t';
		if (m < 0)
			m = 0;
		if ((size_t)m >= room)
			m = (int)room - 1;
		args[m] = '\0';
		for (char *p = args; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = ' ';
		n += 1 + m;
	}
	rec[n++] = '\n';
	record_put(rec, (size_t)n);
}

/* emit() for a record without args (fmt NULL, or an end). */
static void emit_noargs(char kind, unsigned tid, const char *cat, const char *name)
{
	char rec[TRACE_LINE_MAX], c[TRACE_FIELD_MAX], nm[TRACE_FIELD_MAX];
	int n;

	field_copy(c, sizeof(c), cat);
	field_copy(nm, sizeof(nm), name);
	n = snprintf(rec, sizeof(rec), "%lld %c %u %s\t%s%s\n", now_usec(), kind, tid, c, nm, kind == 'E' ? "" : "\t");
	if (n > 0 && (size_t)n < sizeof(rec))
		record_put(rec, (size_t)n);
}

void trace__span_begin(const char *cat, const char *name, const char *fmt, ...)
{
	struct span_stack *s = my_spans();
	va_list ap;

	if (s->depth == TRACE_SPAN_DEPTH) {
		s->dropped++;
		return;
	}
	field_copy(s->f[s->depth].cat, TRACE_FIELD_MAX, cat);
	field_copy(s->f[s->depth].name, TRACE_FIELD_MAX, name);
	s->depth++;
	if (!fmt) {
		emit_noargs('B', my_tid(), cat, name);
		return;
	}
	va_start(ap, fmt);
	emit('B', my_tid(), cat, name, fmt, ap);
	va_end(ap);
}

void trace__span_end(void)
{
	struct span_stack *s = my_spans();
	uint64_t n;

	if (s->dropped) {
		s->dropped--;
		return;
	}
	if (s->depth == 0) {
		if (!trace_on())
			return;	/* the sink closed under an open span (TRACE_SCOPE): nothing to end */
		n = __atomic_add_fetch(&unbalanced_ends, 1, __ATOMIC_RELAXED);
		if (n == 1)
			log_warn(TOPIC, "trace_span_end() with no span open on thread %u; ignored (reported once)",
				 my_tid());
		return;
	}
	s->depth--;
	if (trace_on())
		emit_noargs('E', my_tid(), s->f[s->depth].cat, s->f[s->depth].name);
}

void trace__instant(const char *cat, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!fmt) {
		emit_noargs('I', my_tid(), cat, name);
		return;
	}
	va_start(ap, fmt);
	emit('I', my_tid(), cat, name, fmt, ap);
	va_end(ap);
}

uint64_t trace_unbalanced_ends(void)
{
	return __atomic_load_n(&unbalanced_ends, __ATOMIC_RELAXED);
}

unsigned trace_span_depth(void)
{
	struct span_stack *s = my_spans();

	return s->depth + s->dropped;
}

/* ---- the session ------------------------------------------------------------------ */
static int session_add(const char *label, char *path, size_t len)
{
	char clean[TRACE_LABEL_MAX];
	int n;

	if (session.nfiles == TRACE_SESSION_MAX_FILES)
		return -ENOSPC;
	if (!label_clean(clean, label))
		return -EINVAL;
	n = snprintf(path, len, "%s/%02zu-%s.trace", session.dir, session.nfiles, clean);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	session.files[session.nfiles] = strdup(path);
	if (!session.files[session.nfiles])
		return -ENOMEM;
	session.nfiles++;
	return 0;
}

int trace_session_start(const char *label, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	int rc;

	if (session.on) {
		snprintf(err, errlen, "a trace session is already running");
		return -EBUSY;
	}
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(session.dir, sizeof(session.dir), "%s/iovlab-trace.XXXXXX", tmp) >= (int)sizeof(session.dir)) {
		snprintf(err, errlen, "TMPDIR is too long");
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(session.dir)) {
		rc = -errno;
		snprintf(err, errlen, "cannot make a trace directory under %s: %s", tmp, strerror(errno));
		return rc;
	}
	session.on = true;
	rc = session_add(label, path, sizeof(path));
	if (!rc)
		rc = trace_sink_open(path, label);
	if (rc) {
		snprintf(err, errlen, "cannot open the trace file in %s: %s", session.dir, strerror(-rc));
		trace_session_remove();
	}
	return rc;
}

int trace_session_child_path(const char *label, char *path, size_t len)
{
	if (!session.on)
		return -ENOENT;
	return session_add(label, path, len);
}

void trace_session_stop(void)
{
	if (session.on)
		trace_sink_close();
}

size_t trace_session_file_count(void)
{
	return session.nfiles;
}

const char *trace_session_file_at(size_t i)
{
	return i < session.nfiles ? session.files[i] : NULL;
}

const char *trace_session_dir(void)
{
	return session.on ? session.dir : NULL;
}

void trace_session_remove(void)
{
	if (!session.on)
		return;
	trace_sink_close();
	for (size_t i = 0; i < session.nfiles; i++) {
		unlink(session.files[i]);
		free(session.files[i]);
	}
	session.nfiles = 0;
	rmdir(session.dir);
	session.dir[0] = '\0';
	session.on = false;
}
