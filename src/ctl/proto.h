/*
 * The live lab's control protocol, in the manner of QEMU's QMP
 * (docs/interop/qmp-spec.rst; docs/live-lab.md): one JSON object per line.
 * The server greets with {"QMP": {"version": ..., "capabilities": []}}; the
 * client's first command must be {"execute": "qmp_capabilities"}; then
 * {"execute": CMD, "arguments": {...}, "id": ANY} is answered by
 * {"return": ..., "id": ANY} or {"error": {"class": ..., "desc": ...}, "id":
 * ANY}, and asynchronous {"event": NAME, "data": {...}, "timestamp":
 * {"seconds": S, "microseconds": US}} lines may come at any time.
 *
 * This file is the part that touches untrusted bytes and nothing else (no
 * sockets, no host): the bounded line framing, the request parser that
 * checks a request against the command table's argument schema, and the
 * builders for replies and events. server.c drives it per client; the fuzz
 * target tests/fuzz/fuzz_ctl.c drives it with arbitrary bytes.
 */
#ifndef IOVLAB_CTL_PROTO_H
#define IOVLAB_CTL_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The longest request line (bytes, newline excluded); longer ones are refused whole. */
#define CTL_LINE_MAX 65536

/* QMP's error classes (qapi/error.json) that this protocol uses. */
#define CTL_ERR_GENERIC "GenericError"
#define CTL_ERR_NOT_FOUND "CommandNotFound"

/* ---- the command table ------------------------------------------------------------ */
enum ctl_arg_type {
	CTL_ARG_STR,		/* a JSON string */
	CTL_ARG_INT,		/* a JSON integer */
	CTL_ARG_BOOL,		/* true or false */
	CTL_ARG_STRS,		/* an array of strings */
	CTL_ARG_SCALAR,		/* a string or an integer (a PowerShell value: 0, "Adaptive") */
};

struct ctl_arg {
	const char *name;	/* exact, case-sensitive (QMP) */
	enum ctl_arg_type type;
	bool required;
};

/*
 * A command's handler. args is the request's "arguments" object, already
 * checked against the command's schema (borrowed; {} when absent). On
 * success return 0 and set *ret to a new reference (NULL means {}); on
 * failure return -errno with err saying what went wrong (the reply's
 * "desc"). ctx is the server's (ctl_server_config.ctx).
 */
typedef int (*ctl_handler_fn)(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen);

struct ctl_command {
	const char *name;		/* "query-status" */
	const struct ctl_arg *args;	/* ends with { NULL }; NULL: takes none */
	ctl_handler_fn fn;
	const char *help;		/* one line, for query-commands and docs */
};

/* ---- line framing ------------------------------------------------------------------- */
/*
 * A client's input: bytes in, lines out. Holds at most CTL_LINE_MAX bytes;
 * a line that does not fit is reported once and its bytes are dropped up to
 * its newline. Embedded in the client; zero-initialised is ready.
 */
struct ctl_linebuf {
	size_t len;		/* bytes held */
	size_t off;		/* of those, already taken as lines */
	bool discarding;	/* inside an oversized line: drop up to the next newline */
	char buf[CTL_LINE_MAX + 1];
};

/* Where the next bytes go and how many fit (0: full until lines are taken). */
size_t ctl_linebuf_space(struct ctl_linebuf *lb, char **at);
/* n bytes were written at the place ctl_linebuf_space() gave. */
void ctl_linebuf_commit(struct ctl_linebuf *lb, size_t n);
/* Copy in what fits of data; returns the bytes taken. */
size_t ctl_linebuf_feed(struct ctl_linebuf *lb, const void *data, size_t n);
/*
 * The next complete line: 1 with *line (NUL-terminated, newline and a
 * trailing CR removed; valid until the next call on lb) and *len; 0 when
 * there is none yet; -EMSGSIZE once for a line longer than CTL_LINE_MAX
 * (its bytes are dropped).
 */
int ctl_linebuf_take(struct ctl_linebuf *lb, char **line, size_t *len);
/* Whether a complete line (or an oversized one to report) is waiting. */
bool ctl_linebuf_ready(const struct ctl_linebuf *lb);

/* ---- requests ------------------------------------------------------------------------ */
struct ctl_request {
	const struct ctl_command *cmd;	/* NULL for qmp_capabilities */
	bool capabilities;		/* the request is qmp_capabilities */
	json_t *args;			/* owned; {} when the request had none */
	json_t *id;			/* owned; NULL when the request had none */
};

/*
 * Parse one request line against the table. negotiated: whether
 * qmp_capabilities already succeeded on this connection (before it, only
 * qmp_capabilities is accepted; after it, qmp_capabilities is refused).
 * 0: *req is filled (ctl_request_fini() it). -EINVAL: *reply is the error
 * reply to send (a new reference; its "desc" names what was wrong: JSON
 * syntax, a member, the command, an argument and its expected type).
 */
int ctl_request_parse(const char *line, size_t len, const struct ctl_command *table, size_t ntable, bool negotiated,
		      struct ctl_request *req, json_t **reply);
void ctl_request_fini(struct ctl_request *req);

/* ---- messages ---------------------------------------------------------------------- */
/* {"QMP": {"version": {"iovlab": {"major","minor","micro"}, "package": ...}, "capabilities": []}} */
json_t *ctl_greeting(const char *version);
/* {"return": ret, "id": id}: ret is stolen (NULL: {}), id borrowed (NULL: no id). */
json_t *ctl_reply_return(json_t *ret, json_t *id);
/* {"error": {"class": cls, "desc": desc}, "id": id}; id borrowed (NULL: no id). */
json_t *ctl_reply_error(const char *cls, const char *desc, json_t *id);
/* {"event": name, "data": data, "timestamp": now}; data stolen (NULL: {}). */
json_t *ctl_event(const char *name, json_t *data);
/*
 * One message as its line: compact JSON and "\n", malloc'd (caller frees),
 * *len without the NUL. NULL on allocation failure.
 */
char *ctl_encode(const json_t *msg, size_t *len);

#endif /* IOVLAB_CTL_PROTO_H */
