/*
 * The logger behind log.h: topic/level rules parsed from a spec string, and a
 * writer that prefixes every line the way tracefmt does by default
 * ([CPU]PID.TID::date-time [provider]). The rule table is small and replaced
 * whole under a lock, so a reader never sees a half-applied spec.
 */
#include "base/log.h"
#include "base/trace.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_RULES 32
#define LOG_MAX_PATTERN 64

struct log_rule {
	char pattern[LOG_MAX_PATTERN];	/* "*", "a.b.*" or an exact topic */
	enum log_level level;
};

struct log_config {
	struct log_rule rules[LOG_MAX_RULES];
	int nrules;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_config log_cfg = {
	.rules = { { "*", LOG_INFO } },
	.nrules = 1,
};
static int log_env_done;
static FILE *log_stream;
static long long log_fixed_sec = -1;
static int log_fixed_msec;
static enum log_level log_stream_max = LOG_TRACE;	/* least severe level the stream gets */

static const char *const level_names[] = {
	[LOG_NONE] = "none",
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
	[LOG_TRACE] = "trace",
};

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
		return level_names[level];
	return "?";
}

static int parse_level(const char *s, size_t n, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strlen(level_names[i]) == n && strncmp(level_names[i], s, n) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int valid_pattern(const char *s, size_t n)
{
	if (n == 1 && s[0] == '*')
		return 1;
	if (n == 0 || n >= LOG_MAX_PATTERN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '*')	/* only as the last segment: "a.b.*" */
			return i == n - 1 && i >= 2 && s[i - 1] == '.';
		if (!(isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return s[0] != '.' && s[n - 1] != '.';
}

static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

int log_configure(const char *spec, char *errbuf, size_t errlen)
{
	struct log_config next;
	const char *p = spec;

	if (!spec) {
		seterr(errbuf, errlen, "log spec is missing");
		return -EINVAL;
	}
	pthread_mutex_lock(&log_lock);
	next = log_cfg;
	pthread_mutex_unlock(&log_lock);

	while (*p) {
		const char *item = p, *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(item, '=', n);
		const char *pat = "*", *lvl = item;
		size_t patn = 1, lvln = n;
		enum log_level level;
		int i;

		if (n == 0) {
			seterr(errbuf, errlen, "log spec column %zu: empty item",
			       (size_t)(item - spec) + 1);
			return -EINVAL;
		}
		if (eq) {
			pat = item;
			patn = (size_t)(eq - item);
			lvl = eq + 1;
			lvln = n - patn - 1;
		}
		if (!valid_pattern(pat, patn)) {
			seterr(errbuf, errlen,
			       "log spec column %zu: bad topic pattern '%.*s' "
			       "(use a.b, a.b.* or *)",
			       (size_t)(pat - spec) + 1, (int)patn, pat);
			return -EINVAL;
		}
		if (parse_level(lvl, lvln, &level)) {
			seterr(errbuf, errlen,
			       "log spec column %zu: unknown level '%.*s' "
			       "(none, error, warn, info, debug, trace)",
			       (size_t)(lvl - spec) + 1, (int)lvln, lvl);
			return -EINVAL;
		}
		/* Replace an existing rule for the same pattern, else append. */
		for (i = 0; i < next.nrules; i++)
			if (strlen(next.rules[i].pattern) == patn &&
			    strncmp(next.rules[i].pattern, pat, patn) == 0)
				break;
		if (i == next.nrules) {
			if (next.nrules == LOG_MAX_RULES) {
				seterr(errbuf, errlen,
				       "log spec column %zu: more than %d rules",
				       (size_t)(item - spec) + 1, LOG_MAX_RULES);
				return -EINVAL;
			}
			next.nrules++;
		}
		memcpy(next.rules[i].pattern, pat, patn);
		next.rules[i].pattern[patn] = '\0';
		next.rules[i].level = level;
		p = end ? end + 1 : item + n;
		if (end && !*p) {
			seterr(errbuf, errlen, "log spec column %zu: trailing comma",
			       (size_t)(end - spec) + 1);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&log_lock);
	log_cfg = next;
	log_env_done = 1;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

/* Apply IOVLAB_LOG once, before the first decision. A bad spec is reported. */
static void log_env_init(void)
{
	const char *env;
	char err[160];

	pthread_mutex_lock(&log_lock);
	if (log_env_done) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	log_env_done = 1;
	pthread_mutex_unlock(&log_lock);
	env = getenv("IOVLAB_LOG");
	if (env && *env && log_configure(env, err, sizeof(err)))
		fprintf(stderr, "iovlab: IOVLAB_LOG ignored: %s\n", err);
}

/* Length of the match of pattern on topic, or -1 if it does not match. */
static int rule_match(const char *pattern, const char *topic)
{
	size_t n = strlen(pattern);

	if (n == 1 && pattern[0] == '*')
		return 0;
	if (n >= 2 && pattern[n - 1] == '*') {
		/* "a.b.*" matches "a.b" and anything below it. */
		if (strncmp(pattern, topic, n - 2) == 0 &&
		    (topic[n - 2] == '\0' || topic[n - 2] == '.'))
			return (int)n - 1;
		return -1;
	}
	return strcmp(pattern, topic) == 0 ? (int)n + 1 : -1;
}

enum log_level log_topic_level(const char *topic)
{
	enum log_level level = LOG_INFO;
	int best = -1;

	log_env_init();
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < log_cfg.nrules; i++) {
		int m = rule_match(log_cfg.rules[i].pattern, topic ? topic : "");
		if (m >= best && m >= 0) {
			best = m;
			level = log_cfg.rules[i].level;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return level;
}

int log_enabled(const char *topic, enum log_level level)
{
	return level != LOG_NONE && level <= log_topic_level(topic);
}

void log_set_stream(FILE *stream)
{
	pthread_mutex_lock(&log_lock);
	log_stream = stream;
	pthread_mutex_unlock(&log_lock);
}

void log_set_fixed_clock(long long sec, int msec)
{
	pthread_mutex_lock(&log_lock);
	log_fixed_sec = sec;
	log_fixed_msec = msec;
	pthread_mutex_unlock(&log_lock);
}

/* The instant a line is stamped with: the fixed clock, or CLOCK_REALTIME. */
static void log_now(struct timespec *ts)
{
	if (log_fixed_sec >= 0) {
		ts->tv_sec = (time_t)log_fixed_sec;
		ts->tv_nsec = (long)log_fixed_msec * 1000000L;
	} else {
		clock_gettime(CLOCK_REALTIME, ts);
	}
}

static int format_prefix_at(char *buf, size_t len, const char *topic, const struct timespec *ts)
{
	struct tm tm;
	time_t sec = ts->tv_sec;
	int msec = (int)(ts->tv_nsec / 1000000);
	int cpu;
	unsigned pid, tid;

	if (log_fixed_sec >= 0) {
		cpu = 0;
		pid = tid = 0;
		gmtime_r(&sec, &tm);
	} else {
		cpu = sched_getcpu();
		pid = (unsigned)getpid();
		tid = (unsigned)syscall(SYS_gettid);
		localtime_r(&sec, &tm);
	}
	return snprintf(buf, len, "[%d]%04X.%04X::%02d/%02d/%04d-%02d:%02d:%02d.%03d [%s]",
			cpu < 0 ? 0 : cpu, pid & 0xffff, tid & 0xffff,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900,
			tm.tm_hour, tm.tm_min, tm.tm_sec, msec, topic ? topic : "");
}

int log_format_prefix(char *buf, size_t len, const char *topic)
{
	struct timespec ts;

	log_now(&ts);
	return format_prefix_at(buf, len, topic, &ts);
}

void log_set_stream_level(enum log_level max)
{
	pthread_mutex_lock(&log_lock);
	log_stream_max = max;
	pthread_mutex_unlock(&log_lock);
}

void log_vwrite(const char *topic, enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	int n;

	if (!log_enabled(topic, level))
		return;
	/* One instant for the printed time and the trace's sort key (trace.h). */
	log_now(&ts);
	n = format_prefix_at(line, sizeof(line), topic, &ts);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	if (level == LOG_ERROR || level == LOG_WARN)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: ",
			      level == LOG_ERROR ? "ERROR" : "WARNING");
	if ((size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (trace_on())
		trace__log_line(&ts, line);
	pthread_mutex_lock(&log_lock);
	if (level <= log_stream_max) {
		fprintf(log_stream ? log_stream : stderr, "%s\n", line);
		fflush(log_stream ? log_stream : stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

void log_write(const char *topic, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(topic, level, fmt, ap);
	va_end(ap);
}
