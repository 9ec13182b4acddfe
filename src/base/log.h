/*
 * The one logger of iovlab. Every layer (device model, NDIS framework,
 * Hyper-V model, drivers through their WPP-shaped macro) writes through it,
 * so the text trace of a partition is one stream a Windows developer can read
 * like tracefmt output:
 *
 *     [0]0AF4.0C64::11/21/2026-14:55:39.998 [drv.srnic_pf]MPInitializeEx: ...
 *
 * i.e. the default WPP prefix "[%9!d!]%8!04X!.%3!04X!::%4!s! [%1!s!]" (CPU,
 * PID, TID, local time, provider). The provider is the log topic, a dotted
 * name such as "lab.hv.vmbus" or "drv.srnic_pf". Each topic has a level;
 * levels are set with a spec string (see log_configure()), typically from the
 * IOVLAB_LOG environment variable.
 *
 * Log text is UI text: say what happened and where, hex as 0x%x.
 * Thread-safe: a line is written with one write(2)-sized stdio call under a lock.
 */
#ifndef IOVLAB_BASE_LOG_H
#define IOVLAB_BASE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum log_level {
	LOG_NONE = 0,	/* only in a spec: silence the topic */
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

/* "error", "warn", ...; never NULL. */
const char *log_level_name(enum log_level level);

/*
 * Set topic levels from a spec: comma-separated "pattern=level" items, where
 * pattern is a topic, a topic prefix ending in ".*", or "*" alone, and level
 * is none|error|warn|info|debug|trace. A bare level ("debug") means "*=debug".
 * Later items override earlier ones for the topics they match; the most
 * specific (longest) matching pattern wins. Example: "*=warn,lab.hv.*=debug".
 *
 * Returns 0, or -EINVAL with a message in errbuf (may be NULL) naming the
 * item and the column where the spec went wrong; on error nothing changes.
 */
int log_configure(const char *spec, char *errbuf, size_t errlen);

/* Level that applies to a topic under the current configuration. */
enum log_level log_topic_level(const char *topic);

/* True if a message of this level on this topic would be written. */
int log_enabled(const char *topic, enum log_level level);

/*
 * Where lines go (default stderr). The stream stays owned by the caller;
 * pass NULL to restore stderr.
 */
void log_set_stream(FILE *stream);

/*
 * The least severe level written to the stream (default LOG_TRACE: every
 * enabled line). Lines the topic rules enable but the stream does not take
 * still reach the partition's trace file (base/trace.h): `iovlab run
 * --trace` keeps stderr at warnings while the trace gets info.
 */
void log_set_stream_level(enum log_level max);

/*
 * Fixed clock for reproducible output in tests: when set, every line uses
 * this time (seconds since the epoch, milliseconds) and CPU/PID/TID 0.
 * Pass a negative sec to return to the real clock.
 */
void log_set_fixed_clock(long long sec, int msec);

void log_write(const char *topic, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vwrite(const char *topic, enum log_level level, const char *fmt, va_list ap);

/*
 * Format the WPP-style prefix for the current thread into buf, e.g.
 * "[1]0AF4.0C64::11/21/2026-14:55:39.998 [lab.pcie]". Returns its length.
 */
int log_format_prefix(char *buf, size_t len, const char *topic);

#define log_error(topic, ...) log_write((topic), LOG_ERROR, __VA_ARGS__)
#define log_warn(topic, ...)  log_write((topic), LOG_WARN, __VA_ARGS__)
#define log_info(topic, ...)  log_write((topic), LOG_INFO, __VA_ARGS__)
#define log_debug(topic, ...) log_write((topic), LOG_DEBUG, __VA_ARGS__)
#define log_trace(topic, ...) log_write((topic), LOG_TRACE, __VA_ARGS__)

#endif /* IOVLAB_BASE_LOG_H */
