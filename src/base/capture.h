/*
 * Multi-point packet capture: `iovlab run LAB --capture FILE.pcapng`
 * (docs/capture.md). One pcapng file with one interface per capture point,
 * the way pktmon and etl2pcapng show a Windows stack (tools-and-views.md
 * 1.8, S26): "vm1 NetVsc", "pf0 VF 0 (vm1)", "vSwitch ext port vm1",
 * "pf0 PF", "pf0 uplink". The layers that own a point (NDIS's adapter edge,
 * srnic's queue pairs and uplink, the vSwitch's ports) ask for a point by
 * name and hand it the frames they see with their direction; this file
 * writes them (pcapng.h) and, at the end, merges the VM processes' own
 * files into the host's one.
 *
 * A process has at most one capture session (a partition is a process):
 * the host opens it (capture_start) and writes FILE.host.part; every VM
 * process forked while it is open writes FILE.VM.N.part (capture_fork_
 * prepare() in the host before fork, capture_fork_child() in the child);
 * capture_finish() in the host merges them all by timestamp into FILE,
 * interfaces renumbered and points of the same name joined, and removes
 * the parts. Timestamps are CLOCK_REALTIME in microseconds in every
 * process, so the merge is one timeline.
 *
 * Off, a capture costs the caller one test of capture_on() (or of a point
 * pointer it cached). Single-threaded per process.
 */
#ifndef IOVLAB_BASE_CAPTURE_H
#define IOVLAB_BASE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;
struct capture_point;

/* The direction as the point sees it; written as epb_flags (pcapng.h). */
enum capture_dir {
	CAPTURE_IN = 1,		/* received at the point (pcapng "inbound") */
	CAPTURE_OUT = 2,	/* sent from the point ("outbound") */
};

extern struct capture *capture__session;	/* read through capture_on() */

static inline bool capture_on(void)
{
	return __builtin_expect(capture__session != NULL, 0);
}

/*
 * Open this process's session writing into path (the merged file appears
 * there at capture_finish). filters: shell patterns (fnmatch, case-
 * insensitive) naming the points to keep; none keeps every point. 0, or
 * -EBUSY (one is open), -EINVAL, -errno from creating the part file (err
 * says what).
 */
int capture_start(const char *path, const char *const *filters, size_t nfilters, char *err, size_t errlen);

/*
 * The point called name (created on first use, with the description for
 * if_description), or NULL when no session is open. A point the filters
 * exclude is returned too and records nothing. Points live until the
 * session ends; callers may cache the pointer only while capture_on().
 */
struct capture_point *capture_point_get(const char *name, const char *description);
bool capture_point_enabled(const struct capture_point *p);

/* Record one frame seen at p (NULL p is a no-op). data is copied. */
void capture_frame(struct capture_point *p, enum capture_dir dir, const void *data, uint32_t len);
/* The same for a frame in pieces (an NDIS NET_BUFFER's MDL chain): segs[i] of lens[i] bytes. */
void capture_frame_gather(struct capture_point *p, enum capture_dir dir, const void *const *segs,
			  const uint32_t *lens, unsigned nsegs);

/*
 * Fork support. The host calls capture_fork_prepare(tag) right before
 * forking a VM process (tag names it, e.g. the VM); the child calls
 * capture_fork_child() first thing: it drops the host's file without
 * writing to it and starts its own part, with the same filters. Both are
 * no-ops without a session. The child ends with capture_stop().
 */
void capture_fork_prepare(const char *tag);
int capture_fork_child(void);

/*
 * Flush frames written more than 0.1 s ago that are still in the buffer: a
 * process calls it whenever its loop wakes, so a VM killed after a burst
 * loses at most its last 0.1 s, not the burst. A no-op without a session.
 */
void capture_flush_due(void);

/* Close this process's part and end the session (a VM process at exit). */
void capture_stop(void);

/*
 * Live capture (`iovlab capture start`, docs/capture.md): the processes
 * already run, so nothing is forked. The host opens its session with
 * capture_start() and names one part per running VM process with
 * capture_add_part(tag): the path is the host's choice, added to the parts
 * capture_finish() merges (a part that never appears is skipped); it tells
 * the VM that path (VMCTL_MSG_CAPTURE_START). The VM process opens exactly
 * that part with capture_start_part() -- the same pcapng layout a forked
 * child writes -- and closes it with capture_stop_part(), which says how
 * many frames it wrote. Points a layer cached in an earlier session are
 * bound again on their first use, so a capture may start and stop any
 * number of times in one process.
 */
/* 0 and part (len bytes), or -EINVAL (no session), -E2BIG (too many parts), -ENAMETOOLONG, -ENOMEM. */
int capture_add_part(const char *tag, char *part, size_t len);
/* 0, or -EBUSY (a session is open), -EINVAL (not an absolute path), -errno creating it (err says what). */
int capture_start_part(const char *part, const char *const *filters, size_t nfilters, char *err, size_t errlen);
/* Close the part, end the session: 0, -ENOENT (none open), -errno (a write failed); *frames written. */
int capture_stop_part(uint64_t *frames);
/* The open session's file (the merged file in the host, the part in a VM process), NULL when none. */
const char *capture_path(void);
/* The host gives up a session it just started: close, remove every part, end it. */
void capture_abandon(void);

struct capture_summary {
	size_t interfaces;	/* in the merged file */
	size_t frames;
	size_t parts;		/* files merged (host + VM processes) */
	size_t truncated;	/* parts that ended inside a block (a VM killed while writing) */
};

/*
 * The host, after every VM process has exited: close the host's part,
 * merge all parts into the session's path, remove the parts, end the
 * session. 0, or -errno with err saying which part and where it is bad
 * (the parts are left in place then).
 */
int capture_finish(struct capture_summary *sum, char *err, size_t errlen);

#endif /* IOVLAB_BASE_CAPTURE_H */
