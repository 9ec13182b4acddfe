/*
 * The capture session of a partition process and the merge of the VM
 * processes' parts into the host's file (capture.h has the contract,
 * docs/capture.md the points). The pcapng bytes are pcapng.c's.
 */
#include "base/capture.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/pcapng.h"

#define CAP_LOG "lab.capture"
#define CAP_MAX_POINTS 256u
#define CAP_MAX_PARTS 64u
#define CAP_FRAME_MAX 65535u
#define CAP_FLUSH_US 100000u

/*
 * Points outlive sessions: the layers cache their pointer (an adapter's,
 * a vSwitch port's) and a live capture (`iovlab capture start`) may stop
 * and start again under them, so a point is never freed. It belongs to the
 * session whose generation it carries; a point of an older session is
 * bound again (filters, interface block) the first time it is used.
 */
struct capture_point {
	char name[PCAPNG_NAME_MAX];
	char description[PCAPNG_DESC_MAX];
	unsigned gen;		/* the session it is bound to */
	bool enabled;
	uint32_t iface;		/* this process's interface id (enabled points only) */
	uint64_t frames;
};

static struct capture_point *registry[CAP_MAX_POINTS];	/* every point this process ever named */
static size_t nregistry;
static unsigned generation;	/* of the newest session (or part) this process opened */

struct capture {
	char path[PATH_MAX];
	char part[PATH_MAX];		/* this process's part */
	FILE *f;
	char **filters;
	size_t nfilters;
	unsigned gen;			/* the points bound to this session carry it */
	uint32_t nifaces;
	uint64_t frames;		/* written to this process's part */
	uint64_t flushed_frames;	/* c->frames at the last flush */
	bool write_failed;
	uint64_t flushed_us;		/* the last flush: a killed VM loses at most ~CAP_FLUSH_US of frames */
	/* the host's list of parts; [0] is its own */
	char *parts[CAP_MAX_PARTS];
	size_t nparts;
	unsigned forks;
	char child_part[PATH_MAX];	/* the part the next forked child writes */
};

struct capture *capture__session;

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* A new generation: every point is bound again, to this part, on its next use. */
static void points_free(struct capture *c)
{
	c->gen = ++generation;
	c->nifaces = 0;
	c->frames = 0;
	c->flushed_frames = 0;
}

static void session_free(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nfilters; i++)
		free(c->filters[i]);
	free(c->filters);
	for (size_t i = 0; i < c->nparts; i++)
		free(c->parts[i]);
	free(c);
}

static int open_part(struct capture *c, const char *part, char *err, size_t errlen)
{
	int rc;

	snprintf(c->part, sizeof(c->part), "%s", part);
	c->f = fopen(part, "wb");
	if (!c->f) {
		rc = -errno;
		if (err)
			snprintf(err, errlen, "cannot create %s: %s", part, strerror(errno));
		return rc;
	}
	/* a frame's block is a few buffered copies; the disk is written 1 MiB at a time */
	(void)setvbuf(c->f, NULL, _IOFBF, 1u << 20);
	if ((rc = pcapng_write_shb(c->f, "iovlab"))) {
		if (err)
			snprintf(err, errlen, "cannot write %s: %s", part, strerror(-rc));
		fclose(c->f);
		c->f = NULL;
		unlink(part);
		return rc;
	}
	return 0;
}

int capture_start(const char *path, const char *const *filters, size_t nfilters, char *err, size_t errlen)
{
	struct capture *c;
	char part[PATH_MAX];
	int rc;

	if (capture__session) {
		snprintf(err, errlen, "a capture is already running");
		return -EBUSY;
	}
	if (!path || !*path || strlen(path) + 32 >= PATH_MAX) {
		snprintf(err, errlen, "capture file name missing or too long");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->gen = ++generation;
	if (nfilters) {
		c->filters = calloc(nfilters, sizeof(*c->filters));
		if (!c->filters) {
			session_free(c);
			return -ENOMEM;
		}
		for (size_t i = 0; i < nfilters; i++) {
			if (!(c->filters[i] = strdup(filters[i]))) {
				session_free(c);
				return -ENOMEM;
			}
			c->nfilters++;
		}
	}
	snprintf(part, sizeof(part), "%s.host.part", path);
	if (!(c->parts[0] = strdup(part))) {
		session_free(c);
		return -ENOMEM;
	}
	c->nparts = 1;
	if ((rc = open_part(c, part, err, errlen))) {
		session_free(c);
		return rc;
	}
	capture__session = c;
	log_info(CAP_LOG, "capturing into %s", path);
	return 0;
}

static bool wanted(const struct capture *c, const char *name)
{
	if (!c->nfilters)
		return true;
	for (size_t i = 0; i < c->nfilters; i++)
		if (fnmatch(c->filters[i], name, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* Bind p to session c: the filters decide, an enabled point gets its interface block in c's part. */
static void point_bind(struct capture *c, struct capture_point *p)
{
	p->gen = c->gen;
	p->frames = 0;
	p->iface = 0;
	p->enabled = wanted(c, p->name);
	if (p->enabled && c->f) {
		if (pcapng_write_idb(c->f, PCAPNG_LINKTYPE_ETHERNET, PCAPNG_SNAPLEN, p->name,
				     p->description[0] ? p->description : NULL)) {
			log_warn(CAP_LOG, "%s: cannot write the interface for '%s'", c->part, p->name);
			p->enabled = false;
		} else {
			p->iface = c->nifaces++;
		}
	}
}

struct capture_point *capture_point_get(const char *name, const char *description)
{
	struct capture *c = capture__session;
	struct capture_point *p = NULL;

	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < nregistry && !p; i++)
		if (!strcmp(registry[i]->name, name))
			p = registry[i];
	if (!p) {
		if (nregistry >= CAP_MAX_POINTS) {
			log_warn(CAP_LOG, "more than %u capture points; '%s' is not captured", CAP_MAX_POINTS, name);
			return NULL;
		}
		if (!(p = calloc(1, sizeof(*p))))
			return NULL;
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->gen = c->gen - 1;	/* bound below */
		registry[nregistry++] = p;
	}
	if (description && !p->description[0])
		snprintf(p->description, sizeof(p->description), "%s", description);
	if (p->gen != c->gen)
		point_bind(c, p);
	return p;
}

bool capture_point_enabled(const struct capture_point *p)
{
	return p && capture__session && p->gen == capture__session->gen && p->enabled;
}

static void flush_now_and_then(struct capture *c, uint64_t now)
{
	if (now - c->flushed_us >= CAP_FLUSH_US) {
		c->flushed_us = now;
		c->flushed_frames = c->frames;
		fflush(c->f);
	}
}

void capture_flush_due(void)
{
	struct capture *c = capture__session;

	if (c && c->f && c->flushed_frames != c->frames)
		flush_now_and_then(c, now_us());
}

void capture_frame(struct capture_point *p, enum capture_dir dir, const void *data, uint32_t len)
{
	struct capture *c = capture__session;
	uint32_t caplen = len < CAP_FRAME_MAX ? len : CAP_FRAME_MAX;
	uint64_t now;

	if (!p || !c || !c->f)
		return;
	if (p->gen != c->gen)
		point_bind(c, p);	/* cached from an earlier session */
	if (!p->enabled)
		return;
	now = now_us();
	flush_now_and_then(c, now);
	if (pcapng_write_epb(c->f, p->iface, now, data, caplen, len,
			     dir == CAPTURE_IN ? PCAPNG_EPB_INBOUND : PCAPNG_EPB_OUTBOUND)) {
		if (!c->write_failed)
			log_warn(CAP_LOG, "%s: a frame could not be written; the capture is incomplete", c->part);
		c->write_failed = true;
		return;
	}
	p->frames++;
	c->frames++;
}

void capture_frame_gather(struct capture_point *p, enum capture_dir dir, const void *const *segs,
			  const uint32_t *lens, unsigned nsegs)
{
	static uint8_t buf[CAP_FRAME_MAX];
	uint32_t at = 0, total = 0;

	if (!p || !capture__session || !capture__session->f)
		return;
	if (p->gen != capture__session->gen)
		point_bind(capture__session, p);	/* cached from an earlier session */
	if (!p->enabled)
		return;
	for (unsigned i = 0; i < nsegs; i++) {
		uint32_t n = lens[i];

		total += n;
		if (n > CAP_FRAME_MAX - at)
			n = CAP_FRAME_MAX - at;
		if (n && segs[i])
			memcpy(buf + at, segs[i], n);
		at += n;
	}
	if (!capture__session || !capture__session->f)
		return;
	flush_now_and_then(capture__session, now_us());
	if (pcapng_write_epb(capture__session->f, p->iface, now_us(), buf, at, total,
			     dir == CAPTURE_IN ? PCAPNG_EPB_INBOUND : PCAPNG_EPB_OUTBOUND) == 0) {
		p->frames++;
		capture__session->frames++;
	}
}

/* ---- fork ------------------------------------------------------------------------------ */
void capture_fork_prepare(const char *tag)
{
	struct capture *c = capture__session;
	char part[PATH_MAX];

	if (!c)
		return;
	c->child_part[0] = 0;
	if (c->nparts >= CAP_MAX_PARTS) {
		log_warn(CAP_LOG, "more than %u VM processes: '%s' is not captured", CAP_MAX_PARTS, tag);
		return;
	}
	if (snprintf(part, sizeof(part), "%.3900s.%.64s.%u.part", c->path, tag ? tag : "vm", ++c->forks) >=
	    (int)sizeof(part))
		return;
	if (!(c->parts[c->nparts] = strdup(part)))
		return;
	c->nparts++;
	snprintf(c->child_part, sizeof(c->child_part), "%s", part);
	/* the part exists from now on, even if the child dies before it writes */
	fflush(c->f);
}

int capture_fork_child(void)
{
	struct capture *c = capture__session;
	char part[PATH_MAX], err[PATH_MAX + 64];
	int rc;

	if (!c)
		return 0;
	/*
	 * The host's stream: its buffer was flushed before fork (partition.c)
	 * and the child closed every inherited descriptor (close_range), whose
	 * number may already be reused -- by the VMBus socket. So the FILE is
	 * abandoned, never closed: fclose() would close someone else's fd.
	 */
	c->f = NULL;
	points_free(c);
	for (size_t i = 0; i < c->nparts; i++)
		free(c->parts[i]);
	c->nparts = 0;
	if (!c->child_part[0]) {
		capture_stop();
		return 0;
	}
	snprintf(part, sizeof(part), "%s", c->child_part);
	if ((rc = open_part(c, part, err, sizeof(err)))) {
		log_warn(CAP_LOG, "%s; this VM's points are not captured", err);
		capture_stop();
		return rc;
	}
	return 0;
}

void capture_stop(void)
{
	struct capture *c = capture__session;

	if (!c)
		return;
	capture__session = NULL;
	if (c->f && fclose(c->f))
		log_warn(CAP_LOG, "%s: %s", c->part, strerror(errno));
	c->f = NULL;
	session_free(c);
}

/* ---- live capture: parts of processes that already run (`iovlab capture start`) -------- */
int capture_add_part(const char *tag, char *part, size_t len)
{
	struct capture *c = capture__session;
	char p[PATH_MAX];

	if (!c || !part || !len)
		return -EINVAL;
	if (c->nparts >= CAP_MAX_PARTS)
		return -E2BIG;
	if (snprintf(p, sizeof(p), "%.3900s.%.64s.%u.part", c->path, tag && *tag ? tag : "vm", c->forks + 1) >=
	    (int)sizeof(p) || strlen(p) >= len)
		return -ENAMETOOLONG;
	if (!(c->parts[c->nparts] = strdup(p)))
		return -ENOMEM;
	c->nparts++;
	c->forks++;	/* numbered with the forked children's parts: every name is new */
	snprintf(part, len, "%s", p);
	return 0;
}

int capture_start_part(const char *part, const char *const *filters, size_t nfilters, char *err, size_t errlen)
{
	struct capture *c;
	size_t plen = part ? strlen(part) : 0;
	int rc;

	if (capture__session) {
		snprintf(err, errlen, "a capture is already running in this process");
		return -EBUSY;
	}
	if (!plen || plen >= PATH_MAX || part[0] != '/') {
		snprintf(err, errlen, "part file name missing, relative or too long");
		return -EINVAL;
	}
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	/* the part is the whole session here: the host merges it, this process never does */
	snprintf(c->path, sizeof(c->path), "%s", part);
	c->gen = ++generation;
	if (nfilters && !(c->filters = calloc(nfilters, sizeof(*c->filters)))) {
		session_free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nfilters; i++) {
		if (!(c->filters[i] = strdup(filters[i]))) {
			session_free(c);
			return -ENOMEM;
		}
		c->nfilters++;
	}
	if ((rc = open_part(c, part, err, errlen))) {
		session_free(c);
		return rc;
	}
	/* written now: the host's merge finds a well-formed part even if nothing is ever captured here */
	fflush(c->f);
	c->flushed_us = now_us();
	capture__session = c;
	log_info(CAP_LOG, "capturing into %s", part);
	return 0;
}

int capture_stop_part(uint64_t *frames)
{
	struct capture *c = capture__session;
	int rc = 0;

	if (frames)
		*frames = 0;
	if (!c)
		return -ENOENT;
	if (frames)
		*frames = c->frames;
	capture__session = NULL;
	if (c->f && fclose(c->f)) {
		rc = -errno;
		log_warn(CAP_LOG, "%s: %s", c->part, strerror(errno));
	}
	c->f = NULL;
	if (!rc && c->write_failed)
		rc = -EIO;
	session_free(c);
	return rc;
}

const char *capture_path(void)
{
	return capture__session ? capture__session->path : NULL;
}

void capture_abandon(void)
{
	struct capture *c = capture__session;

	if (!c)
		return;
	capture__session = NULL;
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	for (size_t i = 0; i < c->nparts; i++)
		unlink(c->parts[i]);
	session_free(c);
}

/* ---- merge ----------------------------------------------------------------------------- */
struct merged_pkt {
	const struct pcapng_packet *p;
	uint32_t iface;		/* in the merged file */
	size_t order;		/* part, then position: keeps each part's order for equal timestamps */
};

static int cmp_pkt(const void *a, const void *b)
{
	const struct merged_pkt *x = a, *y = b;

	if (x->p->ts_us != y->p->ts_us)
		return x->p->ts_us < y->p->ts_us ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

int capture_finish(struct capture_summary *sum, char *err, size_t errlen)
{
	struct capture *c = capture__session;
	struct pcapng_file files[CAP_MAX_PARTS];
	uint8_t *bufs[CAP_MAX_PARTS] = { 0 };
	const struct pcapng_iface *ifs[PCAPNG_MAX_IFACES];
	uint32_t *maps[CAP_MAX_PARTS] = { 0 };
	struct merged_pkt *pk = NULL;
	size_t nifs = 0, npk = 0, total = 0, nparts, truncated = 0;
	FILE *out = NULL;
	int rc = 0;

	if (sum)
		memset(sum, 0, sizeof(*sum));
	if (err && errlen)
		err[0] = 0;
	if (!c) {
		snprintf(err, errlen, "no capture is running");
		return -EINVAL;
	}
	if (c->f && fclose(c->f)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", c->part, strerror(errno));
	}
	c->f = NULL;
	nparts = c->nparts;
	memset(files, 0, sizeof(files));
	for (size_t i = 0; !rc && i < nparts; i++) {
		size_t len = 0;
		char perr[256];

		if ((rc = slurp(c->parts[i], &bufs[i], &len))) {
			if (rc == -ENOENT && i > 0) {
				rc = 0;	/* a VM that never got to open its part */
				continue;
			}
			snprintf(err, errlen, "%s: %s", c->parts[i], strerror(-rc));
			break;
		}
		if ((rc = pcapng_parse(bufs[i], len, PCAPNG_PARSE_TRUNCATED_TAIL, &files[i], perr, sizeof(perr)))) {
			snprintf(err, errlen, "%s: %s", c->parts[i], rc == -ENOMEM ? strerror(ENOMEM) : perr);
			break;
		}
		if (files[i].truncated) {
			truncated++;
			log_warn(CAP_LOG, "%s: ends inside the block at offset %zu (the process was stopped while "
				 "writing); the frames before it are kept", c->parts[i], files[i].truncated_at);
		}
		total += files[i].npkts;
	}
	/* Interfaces of the same name (a VM started twice) are one interface of the merged file. */
	for (size_t i = 0; !rc && i < nparts; i++) {
		if (!files[i].nifaces)
			continue;
		if (!(maps[i] = calloc(files[i].nifaces, sizeof(uint32_t)))) {
			rc = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < files[i].nifaces; k++) {
			const struct pcapng_iface *f = &files[i].ifaces[k];
			size_t j;

			for (j = 0; j < nifs; j++)
				if (ifs[j]->linktype == f->linktype && !strcmp(ifs[j]->name, f->name))
					break;
			if (j == nifs) {
				if (nifs == PCAPNG_MAX_IFACES) {
					snprintf(err, errlen, "more than %u capture points", PCAPNG_MAX_IFACES);
					rc = -E2BIG;
					break;
				}
				ifs[nifs++] = f;
			}
			maps[i][k] = (uint32_t)j;
		}
	}
	if (!rc && total && !(pk = calloc(total, sizeof(*pk))))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < nparts; i++)
		for (size_t k = 0; k < files[i].npkts; k++) {
			pk[npk] = (struct merged_pkt){ &files[i].pkts[k], maps[i][files[i].pkts[k].iface], npk };
			npk++;
		}
	if (!rc) {
		qsort(pk, npk, sizeof(*pk), cmp_pkt);
		if (!(out = fopen(c->path, "wb"))) {
			rc = -errno;
			snprintf(err, errlen, "cannot create %s: %s", c->path, strerror(errno));
		}
	}
	if (!rc)
		rc = pcapng_write_shb(out, "iovlab");
	for (size_t j = 0; !rc && j < nifs; j++)
		rc = pcapng_write_idb(out, ifs[j]->linktype, ifs[j]->snaplen, ifs[j]->name,
				      ifs[j]->description[0] ? ifs[j]->description : NULL);
	for (size_t k = 0; !rc && k < npk; k++)
		rc = pcapng_write_epb(out, pk[k].iface, pk[k].p->ts_us, pk[k].p->data, pk[k].p->caplen,
				      pk[k].p->origlen, pk[k].p->flags);
	if (out && fclose(out) && !rc)
		rc = -errno;
	if (rc && out && !err[0])
		snprintf(err, errlen, "cannot write %s: %s", c->path, strerror(-rc));
	if (!rc) {
		for (size_t i = 0; i < nparts; i++)
			unlink(c->parts[i]);
		if (sum)
			*sum = (struct capture_summary){ nifs, npk, nparts, truncated };
	}
	for (size_t i = 0; i < nparts; i++) {
		pcapng_file_fini(&files[i]);
		free(bufs[i]);
		free(maps[i]);
	}
	free(pk);
	capture__session = NULL;
	session_free(c);
	return rc;
}
