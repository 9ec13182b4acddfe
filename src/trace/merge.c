/*
 * The merge behind merge.h. Each file is read line by line through one
 * bounded splitter (a line longer than TRACE_LINE_MAX is skipped to its
 * newline, a last line without one is refused), each line checked by
 * parse_record() and kept as a struct rec; the records of all files are
 * then sorted by (timestamp, file, line) -- a total order, so the sort is
 * stable in the sense of the merge rule -- and written out. The timeline
 * writer re-nests spans per (file, thread) as it goes (docs/tracing.md).
 */
#include "trace/merge.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/trace.h"

struct mfile {
	char name[160];			/* for problem texts: the path's last part */
	char label[TRACE_LABEL_MAX];
	int pid;
	int64_t tl_pid;			/* the timeline's pid: pid, moved past pid_max if another file has it */
	int64_t last_ts;		/* the newest record, where unended spans are closed */
	bool any;
};

struct rec {
	int64_t ts;
	uint32_t file;
	uint32_t seq;			/* line number in its file */
	uint32_t tid;
	char kind;			/* 'L', 'B', 'E', 'I' */
	char *text;			/* L: the line; B/E/I: cat \0 name \0 args \0 */
};

struct trace_merge {
	struct mfile files[TRACE_MERGE_MAX_FILES];
	size_t nfiles;
	struct rec *recs;
	size_t nrecs, cap;
	size_t nlog;
	bool sorted;
	bool live;		/* files may still be written: a partial last line is no problem */
	char *problems[TRACE_MERGE_PROBLEMS_KEPT];
	size_t nproblems;
};

__attribute__((format(printf, 2, 3))) static void problem(struct trace_merge *m, const char *fmt, ...)
{
	va_list ap;
	char buf[320];

	if (m->nproblems < TRACE_MERGE_PROBLEMS_KEPT) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		m->problems[m->nproblems] = strdup(buf);
	}
	m->nproblems++;
}

struct trace_merge *trace_merge_create(void)
{
	return calloc(1, sizeof(struct trace_merge));
}

void trace_merge_destroy(struct trace_merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nrecs; i++)
		free(m->recs[i].text);
	free(m->recs);
	for (size_t i = 0; i < m->nproblems && i < TRACE_MERGE_PROBLEMS_KEPT; i++)
		free(m->problems[i]);
	free(m);
}

void trace_merge_set_live(struct trace_merge *m, bool live) { m->live = live; }
size_t trace_merge_problem_count(const struct trace_merge *m) { return m->nproblems; }
size_t trace_merge_record_count(const struct trace_merge *m) { return m->nrecs; }
size_t trace_merge_log_count(const struct trace_merge *m) { return m->nlog; }

const char *trace_merge_problem_at(const struct trace_merge *m, size_t i)
{
	if (i >= m->nproblems || i >= TRACE_MERGE_PROBLEMS_KEPT)
		return NULL;
	return m->problems[i] ? m->problems[i] : "(a problem whose text could not be kept: out of memory)";
}

/* ---- parsing one line ----------------------------------------------------------- */
/* Unsigned decimal of 1..digits digits at *p, up to max; advances *p. */
static bool parse_uint(const char **p, const char *end, unsigned digits, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	unsigned n = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (++n > digits)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (n == 0 || v > max)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool label_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* "#iovlab-trace 1 LABEL PID" */
static const char *parse_header(struct mfile *f, const char *p, size_t len)
{
	static const char magic[] = "#iovlab-trace ";
	const char *end = p + len, *s = p + sizeof(magic) - 1, *lab;
	uint64_t v;

	if (len < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1) != 0)
		return "no '#iovlab-trace' header: not an iovlab trace file";
	if (!parse_uint(&s, end, 4, 9999, &v) || s == end || *s != ' ')
		return "bad format version in the header";
	if (v != TRACE_FORMAT_VERSION)
		return "unsupported format version (this iovlab reads version 1)";
	lab = ++s;
	while (s < end && label_char(*s))
		s++;
	if (s == lab || (size_t)(s - lab) >= TRACE_LABEL_MAX || s == end || *s != ' ')
		return "bad partition label in the header";
	memcpy(f->label, lab, (size_t)(s - lab));
	f->label[s - lab] = '\0';
	s++;
	if (!parse_uint(&s, end, 10, INT32_MAX, &v) || v == 0 || s != end)
		return "bad process id in the header";
	f->pid = (int)v;
	return NULL;
}

/* A span field: printable ASCII, no tab, 1..TRACE_FIELD_MAX-1 bytes, ending at a tab or end. */
static const char *field(const char **p, const char *end, size_t *n, bool may_be_empty, size_t max)
{
	const char *s = *p;

	while (s < end && *s != '\t') {
		if (*s < 0x20 || *s > 0x7e)
			return "a span field has a non-printable byte";
		s++;
	}
	*n = (size_t)(s - *p);
	if (*n == 0 && !may_be_empty)
		return "a span's category or name is empty";
	if (*n >= max)
		return "a span field is too long";
	*p = s;
	return NULL;
}

static const char *parse_record(struct rec *r, const char *p, size_t len)
{
	const char *end = p + len, *s = p, *cat, *name, *args = NULL, *why;
	size_t ncat, nname, nargs = 0;
	uint64_t v;

	if (!parse_uint(&s, end, 19, INT64_MAX, &v) || end - s < 3 || s[0] != ' ' || s[2] != ' ')
		return "bad timestamp (want microseconds, then ' KIND ')";
	r->ts = (int64_t)v;
	r->kind = s[1];
	s += 3;
	if (r->kind == 'L') {
		for (const char *c = s; c < end; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				return "a log line has a control character";
		r->text = malloc((size_t)(end - s) + 1);
		if (!r->text)
			return "out of memory";
		memcpy(r->text, s, (size_t)(end - s));
		r->text[end - s] = '\0';
		return NULL;
	}
	if (r->kind != 'B' && r->kind != 'E' && r->kind != 'I')
		return "unknown record kind (L, B, E, I)";
	if (!parse_uint(&s, end, 10, UINT32_MAX, &v) || s == end || *s != ' ')
		return "bad thread id";
	r->tid = (uint32_t)v;
	cat = ++s;
	if ((why = field(&s, end, &ncat, false, TRACE_FIELD_MAX)))
		return why;
	if (s == end)
		return "a span record lacks its name";
	name = ++s;
	if ((why = field(&s, end, &nname, false, TRACE_FIELD_MAX)))
		return why;
	if (r->kind == 'E') {
		if (s != end)
			return "an end record has more than category and name";
	} else {
		if (s == end)
			return "a begin or instant record lacks its args field";
		args = ++s;
		if ((why = field(&s, end, &nargs, true, TRACE_LINE_MAX)))
			return why;
		if (s != end)
			return "a span record has too many fields";
	}
	r->text = malloc(ncat + nname + nargs + 3);
	if (!r->text)
		return "out of memory";
	memcpy(r->text, cat, ncat);
	r->text[ncat] = '\0';
	memcpy(r->text + ncat + 1, name, nname);
	r->text[ncat + 1 + nname] = '\0';
	if (nargs)
		memcpy(r->text + ncat + nname + 2, args, nargs);
	r->text[ncat + nname + 2 + nargs] = '\0';
	return NULL;
}

static const char *rec_cat(const struct rec *r) { return r->text; }
static const char *rec_name(const struct rec *r) { return r->text + strlen(r->text) + 1; }
static const char *rec_args(const struct rec *r)
{
	const char *n = rec_name(r);
	return n + strlen(n) + 1;
}

/* ---- reading a file -------------------------------------------------------------- */
struct reader {
	struct trace_merge *m;
	uint32_t file;
	uint32_t line;		/* 1-based number of the line being handled */
	bool header_done;
	bool refused;		/* the header was bad: the rest is not read */
	bool full;		/* TRACE_MERGE_MAX_RECORDS reached */
};

static void take_line(struct reader *rd, const char *p, size_t len)
{
	struct trace_merge *m = rd->m;
	struct mfile *f = &m->files[rd->file];
	struct rec r = { 0 };
	const char *why;

	if (rd->refused || rd->full)
		return;
	if (!rd->header_done) {
		rd->header_done = true;
		if ((why = parse_header(f, p, len))) {
			problem(m, "%s:%u: %s; file skipped", f->name, rd->line, why);
			rd->refused = true;
		}
		return;
	}
	if (len && p[0] == '#')
		return;	/* a comment */
	if (len == 0) {
		problem(m, "%s:%u: empty line skipped", f->name, rd->line);
		return;
	}
	if ((why = parse_record(&r, p, len))) {
		free(r.text);
		problem(m, "%s:%u: %s; line skipped", f->name, rd->line, why);
		return;
	}
	if (m->nrecs == TRACE_MERGE_MAX_RECORDS) {
		free(r.text);
		problem(m, "%s:%u: more than %u records in all files; the rest is not merged", f->name, rd->line,
			TRACE_MERGE_MAX_RECORDS);
		rd->full = true;
		return;
	}
	if (m->nrecs == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct rec *n = realloc(m->recs, cap * sizeof(*n));
		if (!n) {
			free(r.text);
			problem(m, "%s:%u: out of memory; the rest is not merged", f->name, rd->line);
			rd->full = true;
			return;
		}
		m->recs = n;
		m->cap = cap;
	}
	r.file = rd->file;
	r.seq = rd->line;
	if (!f->any || r.ts > f->last_ts)
		f->last_ts = r.ts;
	f->any = true;
	if (r.kind == 'L')
		m->nlog++;
	m->recs[m->nrecs++] = r;
	m->sorted = false;
}

/* A line too long for TRACE_LINE_MAX (newline included): reported, skipped to its newline. */
static void long_line(struct reader *rd)
{
	struct mfile *f = &rd->m->files[rd->file];

	if (!rd->header_done) {
		rd->header_done = rd->refused = true;
		problem(rd->m, "%s:%u: first line longer than %u bytes: not an iovlab trace file; file skipped", f->name,
			rd->line, TRACE_LINE_MAX);
	} else if (!rd->refused && !rd->full) {
		problem(rd->m, "%s:%u: line longer than %u bytes; skipped", f->name, rd->line, TRACE_LINE_MAX);
	}
}

static void last_line(struct reader *rd, size_t len)
{
	struct mfile *f = &rd->m->files[rd->file];

	if (len && !rd->refused && !rd->full && !(rd->m->live && rd->header_done))
		problem(rd->m, "%s:%u: last line has no newline (the writer stopped mid-record?); skipped", f->name,
			rd->line);
	if (!rd->header_done) {
		problem(rd->m, "%s: empty file: no header; file skipped", f->name);
		rd->refused = true;
	}
}

static int begin_file(struct trace_merge *m, const char *name, struct reader *rd)
{
	const char *base = strrchr(name, '/');
	struct mfile *f;

	if (m->nfiles == TRACE_MERGE_MAX_FILES) {
		problem(m, "%s: more than %u trace files; not merged", name, TRACE_MERGE_MAX_FILES);
		return -ENOSPC;
	}
	f = &m->files[m->nfiles];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", base && base[1] ? base + 1 : name);
	*rd = (struct reader){ .m = m, .file = (uint32_t)m->nfiles, .line = 1 };
	m->nfiles++;
	return 0;
}

/*
 * Two files with one pid (a pid reused by a restarted VM, or a forged
 * header) must not share a timeline process: their spans would interleave
 * on one thread. The later one moves up by Linux's largest pid_max.
 */
#define PID_SPACE 4194304

static int end_file(struct trace_merge *m, struct reader *rd)
{
	struct mfile *f = &m->files[rd->file];
	bool clash;

	if (rd->refused) {
		m->nfiles--;	/* its records, if any, were never taken */
		return -EINVAL;
	}
	f->tl_pid = f->pid;
	do {
		clash = false;
		for (uint32_t i = 0; i < rd->file; i++)
			if (m->files[i].tl_pid == f->tl_pid) {
				f->tl_pid += PID_SPACE;
				clash = true;
			}
	} while (clash);
	return 0;
}

int trace_merge_add_buffer(struct trace_merge *m, const char *name, const void *data, size_t len)
{
	const char *p = data, *end = p + len;
	struct reader rd;
	int rc;

	if ((rc = begin_file(m, name ? name : "(buffer)", &rd)))
		return rc;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!nl) {
			last_line(&rd, n);
			return end_file(m, &rd);
		}
		if (n + 1 > TRACE_LINE_MAX) {
			long_line(&rd);
		} else {
			if (memchr(p, '\0', n)) {
				if (!rd.header_done)
					take_line(&rd, "", 0);	/* refuses the file */
				else if (!rd.refused)
					problem(m, "%s:%u: NUL byte in a line; skipped", m->files[rd.file].name, rd.line);
			} else {
				take_line(&rd, p, n);
			}
		}
		rd.line++;
		p = nl + 1;
	}
	last_line(&rd, 0);
	return end_file(m, &rd);
}

int trace_merge_add_file(struct trace_merge *m, const char *path)
{
	char buf[TRACE_LINE_MAX + 1];
	struct reader rd;
	size_t n = 0;
	bool skipping = false;
	FILE *f;
	int c, rc;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		problem(m, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if ((rc = begin_file(m, path, &rd))) {
		fclose(f);
		return rc;
	}
	while ((c = getc_unlocked(f)) != EOF) {	/* this FILE is ours alone */
		if (c != '\n') {
			if (skipping)
				continue;
			if (n + 1 == TRACE_LINE_MAX) {	/* no room left for the newline */
				long_line(&rd);
				skipping = true;
				continue;
			}
			buf[n++] = (char)c;
			continue;
		}
		if (!skipping) {
			if (memchr(buf, '\0', n)) {
				if (!rd.header_done)
					take_line(&rd, "", 0);
				else if (!rd.refused)
					problem(m, "%s:%u: NUL byte in a line; skipped", m->files[rd.file].name, rd.line);
			} else {
				take_line(&rd, buf, n);
			}
		}
		skipping = false;
		n = 0;
		rd.line++;
	}
	if (ferror(f)) {
		rc = -EIO;
		problem(m, "%s:%u: read error; the rest is not merged", m->files[rd.file].name, rd.line);
	}
	fclose(f);
	last_line(&rd, skipping ? 0 : n);
	if (end_file(m, &rd))
		return -EINVAL;
	return rc;
}

/* ---- ordering ------------------------------------------------------------------- */
static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sort_records(struct trace_merge *m)
{
	if (!m->sorted && m->nrecs)
		qsort(m->recs, m->nrecs, sizeof(*m->recs), rec_cmp);
	m->sorted = true;
}

int trace_merge_write_text(struct trace_merge *m, FILE *out)
{
	sort_records(m);
	for (size_t i = 0; i < m->nrecs; i++)
		if (m->recs[i].kind == 'L')
			fprintf(out, "[%s]%s\n", m->files[m->recs[i].file].label, m->recs[i].text);
	return fflush(out) || ferror(out) ? -EIO : 0;
}

/* ---- the timeline ---------------------------------------------------------------- */
struct track {
	uint32_t file, tid;
	size_t depth;
	const struct rec *open[TRACE_MERGE_MAX_DEPTH];
};

struct tl {
	struct trace_merge *m;
	FILE *out;
	int64_t base;
	size_t nevents;
	struct track *tracks;
	size_t ntracks, cap;
	bool oom;
};

static struct track *track_of(struct tl *t, uint32_t file, uint32_t tid)
{
	for (size_t i = 0; i < t->ntracks; i++)
		if (t->tracks[i].file == file && t->tracks[i].tid == tid)
			return &t->tracks[i];
	if (t->ntracks == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct track *n = realloc(t->tracks, cap * sizeof(*n));
		if (!n) {
			t->oom = true;
			return NULL;
		}
		t->tracks = n;
		t->cap = cap;
	}
	t->tracks[t->ntracks] = (struct track){ .file = file, .tid = tid };
	return &t->tracks[t->ntracks++];
}

static void put(struct tl *t, json_t *ev)
{
	if (!ev) {
		t->oom = true;
		return;
	}
	fputs(t->nevents++ ? ",\n" : "\n", t->out);
	json_dumpf(ev, t->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(ev);
}

/*
 * "k=v k=v" as an object of strings. A word without '=' continues the value
 * before it ("adapter=Ethernet 2"); args that do not start with a key are
 * kept whole as {"detail": text}.
 */
static bool key_word(const char *w, const char *e, const char **eq)
{
	const char *q = memchr(w, '=', (size_t)(e - w));

	if (!q || q == w || (size_t)(q - w) >= TRACE_FIELD_MAX)
		return false;
	for (const char *k = w; k < q; k++)
		if (!label_char(*k))
			return false;
	*eq = q;
	return true;
}

static json_t *args_json(const char *s)
{
	json_t *o = json_object();
	const char *p = s, *key = NULL, *val = NULL, *val_end = NULL;

	if (!o)
		return NULL;
	for (;;) {
		const char *w, *e, *eq = NULL;

		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		e = p;
		if (w == e || key_word(w, e, &eq)) {
			if (key) {
				char k[TRACE_FIELD_MAX];
				memcpy(k, key, (size_t)(val - 1 - key));
				k[val - 1 - key] = '\0';
				json_object_set_new(o, k, json_stringn(val, (size_t)(val_end - val)));
			}
			if (w == e)
				break;
			key = w;
			val = eq + 1;
			val_end = e;
		} else if (key) {
			val_end = e;	/* the value goes on */
		} else {
			json_object_clear(o);
			json_object_set_new(o, "detail", json_string(s));
			break;
		}
	}
	return o;
}

static json_t *event(struct tl *t, const char *ph, const struct rec *r, int64_t ts)
{
	const struct mfile *f = &t->m->files[r->file];

	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "name", rec_name(r), "cat", rec_cat(r), "ph", ph, "pid",
			 (json_int_t)f->tl_pid, "tid", (json_int_t)r->tid, "ts", (json_int_t)(ts - t->base));
}

static void end_event(struct tl *t, const struct rec *b, int64_t ts)
{
	put(t, event(t, "E", b, ts));
}

static void on_begin(struct tl *t, const struct rec *r)
{
	struct track *k = track_of(t, r->file, r->tid);
	json_t *ev;

	if (!k)
		return;
	if (k->depth == TRACE_MERGE_MAX_DEPTH) {
		problem(t->m, "%s:%u: span '%s' nests deeper than %u on thread %u; dropped", t->m->files[r->file].name,
			r->seq, rec_name(r), TRACE_MERGE_MAX_DEPTH, r->tid);
		return;
	}
	k->open[k->depth++] = r;
	ev = event(t, "B", r, r->ts);
	if (ev && *rec_args(r))
		json_object_set_new(ev, "args", args_json(rec_args(r)));
	put(t, ev);
}

static void on_end(struct tl *t, const struct rec *r)
{
	struct track *k = track_of(t, r->file, r->tid);
	const char *fname = t->m->files[r->file].name;
	size_t i;

	if (!k)
		return;
	for (i = k->depth; i > 0; i--)
		if (!strcmp(rec_cat(k->open[i - 1]), rec_cat(r)) && !strcmp(rec_name(k->open[i - 1]), rec_name(r)))
			break;
	if (i == 0) {
		problem(t->m, "%s:%u: end of span '%s' with no such span open on thread %u; dropped", fname, r->seq,
			rec_name(r), r->tid);
		return;
	}
	while (k->depth > i) {
		const struct rec *inner = k->open[--k->depth];
		problem(t->m, "%s:%u: span '%s' (line %u) still open when '%s' ended; ended with it", fname, r->seq,
			rec_name(inner), inner->seq, rec_name(r));
		end_event(t, inner, r->ts);
	}
	k->depth--;
	end_event(t, r, r->ts);
}

static void on_instant(struct tl *t, const struct rec *r)
{
	json_t *ev = event(t, "i", r, r->ts);

	if (ev) {
		json_object_set_new(ev, "s", json_string("t"));
		if (*rec_args(r))
			json_object_set_new(ev, "args", args_json(rec_args(r)));
	}
	put(t, ev);
}

static void metadata(struct tl *t)
{
	for (size_t i = 0; i < t->m->nfiles; i++) {
		const struct mfile *f = &t->m->files[i];
		char tname[TRACE_LABEL_MAX + 16];

		put(t, json_pack("{s:s,s:s,s:I,s:I,s:{s:s}}", "name", "process_name", "ph", "M", "pid", (json_int_t)f->tl_pid,
				 "tid", (json_int_t)0, "args", "name", f->label));
		put(t, json_pack("{s:s,s:s,s:I,s:I,s:{s:I}}", "name", "process_sort_index", "ph", "M", "pid",
				 (json_int_t)f->tl_pid, "tid", (json_int_t)0, "args", "sort_index", (json_int_t)i));
		snprintf(tname, sizeof(tname), "%s main", f->label);
		put(t, json_pack("{s:s,s:s,s:I,s:I,s:{s:s}}", "name", "thread_name", "ph", "M", "pid", (json_int_t)f->tl_pid,
				 "tid", (json_int_t)f->pid, "args", "name", tname));
	}
}

int trace_merge_write_timeline(struct trace_merge *m, FILE *out)
{
	struct tl t = { .m = m, .out = out };
	json_t *other;

	sort_records(m);
	t.base = m->nrecs ? m->recs[0].ts : 0;
	fputs("{\"traceEvents\":[", out);
	metadata(&t);
	for (size_t i = 0; i < m->nrecs; i++) {
		const struct rec *r = &m->recs[i];

		switch (r->kind) {
		case 'B':
			on_begin(&t, r);
			break;
		case 'E':
			on_end(&t, r);
			break;
		case 'I':
			on_instant(&t, r);
			break;
		default:
			break;
		}
	}
	/* Spans never ended: closed at their partition's last record. */
	for (size_t i = 0; i < t.ntracks; i++) {
		struct track *k = &t.tracks[i];

		while (k->depth) {
			const struct rec *b = k->open[--k->depth];
			if (!m->live)	/* live, a span may simply not have ended yet */
				problem(m, "%s:%u: span '%s' on thread %u never ended; closed at the partition's last record",
					m->files[k->file].name, b->seq, rec_name(b), k->tid);
			end_event(&t, b, m->files[k->file].last_ts);
		}
	}
	free(t.tracks);
	other = json_pack("{s:s,s:I}", "producer", "iovlab", "epoch_us", (json_int_t)t.base);
	fputs("\n],\"displayTimeUnit\":\"ms\",\"otherData\":", out);
	if (other)
		json_dumpf(other, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	else
		fputs("{}", out);
	json_decref(other);
	fputs("}\n", out);
	if (t.oom)
		return -ENOMEM;
	return fflush(out) || ferror(out) ? -EIO : 0;
}

int trace_merge_files(const char *const *paths, size_t npaths, FILE *text, FILE *timeline, FILE *problems)
{
	struct trace_merge *m = trace_merge_create();
	int rc = 0, r;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < npaths; i++)
		(void)trace_merge_add_file(m, paths[i]);	/* reported as problems */
	if (text && (r = trace_merge_write_text(m, text)) && !rc)
		rc = r;
	if (timeline && (r = trace_merge_write_timeline(m, timeline)) && !rc)
		rc = r;
	if (problems) {
		for (size_t i = 0; i < trace_merge_problem_count(m) && i < TRACE_MERGE_PROBLEMS_KEPT; i++)
			fprintf(problems, "iovlab: trace: %s\n", trace_merge_problem_at(m, i));
		if (trace_merge_problem_count(m) > TRACE_MERGE_PROBLEMS_KEPT)
			fprintf(problems, "iovlab: trace: ... and %zu more problems\n",
				trace_merge_problem_count(m) - TRACE_MERGE_PROBLEMS_KEPT);
	}
	trace_merge_destroy(m);
	return rc;
}
