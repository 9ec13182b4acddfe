/*
 * The control protocol's untrusted edge (proto.h): framing a byte stream
 * into bounded lines, parsing and checking a request against the command
 * table, and building the replies and events. No I/O, no host: what a
 * client sends reaches the host only through ctl_request_parse(), which
 * either hands over a request whose arguments match the command's schema
 * or an error reply naming what was wrong (QMP's wording where QMP has one,
 * qapi/qmp-dispatch.c and qobject/json-parser.c).
 */
#include "ctl/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* ---- line framing ------------------------------------------------------------------- */
size_t ctl_linebuf_space(struct ctl_linebuf *lb, char **at)
{
	if (lb->off) {
		memmove(lb->buf, lb->buf + lb->off, lb->len - lb->off);
		lb->len -= lb->off;
		lb->off = 0;
	}
	*at = lb->buf + lb->len;
	return CTL_LINE_MAX - lb->len;
}

void ctl_linebuf_commit(struct ctl_linebuf *lb, size_t n)
{
	lb->len += n;
}

size_t ctl_linebuf_feed(struct ctl_linebuf *lb, const void *data, size_t n)
{
	char *at;
	size_t space = ctl_linebuf_space(lb, &at);

	if (n > space)
		n = space;
	memcpy(at, data, n);
	ctl_linebuf_commit(lb, n);
	return n;
}

bool ctl_linebuf_ready(const struct ctl_linebuf *lb)
{
	return memchr(lb->buf + lb->off, '\n', lb->len - lb->off) || (lb->off == 0 && lb->len == CTL_LINE_MAX);
}

int ctl_linebuf_take(struct ctl_linebuf *lb, char **line, size_t *len)
{
	for (;;) {
		char *start = lb->buf + lb->off;
		char *nl = memchr(start, '\n', lb->len - lb->off);

		if (!nl) {
			if (lb->off == 0 && lb->len == CTL_LINE_MAX) {
				/* Full and no end in sight: drop it, and the rest of it as it comes. */
				bool first = !lb->discarding;

				lb->len = 0;
				lb->discarding = true;
				if (first)
					return -EMSGSIZE;
			}
			return 0;
		}
		lb->off = (size_t)(nl - lb->buf) + 1;
		if (lb->discarding) {
			/* The oversized line's last bytes. */
			lb->discarding = false;
			continue;
		}
		*nl = '\0';
		*len = (size_t)(nl - start);
		if (*len && start[*len - 1] == '\r')
			start[--*len] = '\0';
		*line = start;
		return 1;
	}
}

/* ---- requests ------------------------------------------------------------------------ */
static const char *type_name(enum ctl_arg_type t)
{
	switch (t) {
	case CTL_ARG_STR:
		return "string";
	case CTL_ARG_INT:
		return "integer";
	case CTL_ARG_BOOL:
		return "boolean";
	case CTL_ARG_STRS:
		return "array of strings";
	case CTL_ARG_SCALAR:
		return "string or integer";
	}
	return "?";
}

static bool type_ok(enum ctl_arg_type t, const json_t *v)
{
	size_t i;
	json_t *e;

	switch (t) {
	case CTL_ARG_STR:
		return json_is_string(v);
	case CTL_ARG_INT:
		return json_is_integer(v);
	case CTL_ARG_BOOL:
		return json_is_boolean(v);
	case CTL_ARG_SCALAR:
		return json_is_string(v) || json_is_integer(v);
	case CTL_ARG_STRS:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return false;
		return true;
	}
	return false;
}

static int refuse(json_t **reply, const char *cls, json_t *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(json_t **reply, const char *cls, json_t *id, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	*reply = ctl_reply_error(cls, desc, id);
	return -EINVAL;
}

/* Names from the wire go into messages: printable ASCII only, bounded. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++)
		buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

static int check_args(const struct ctl_command *cmd, json_t *args, json_t *id, json_t **reply)
{
	const char *key;
	json_t *v;
	char b[80];

	json_object_foreach(args, key, v) {
		const struct ctl_arg *a = cmd->args;

		while (a && a->name && strcmp(a->name, key))
			a++;
		if (!a || !a->name)
			return refuse(reply, CTL_ERR_GENERIC, id, "Parameter '%s' is unexpected", shown(key, b, sizeof(b)));
		if (!type_ok(a->type, v))
			return refuse(reply, CTL_ERR_GENERIC, id, "Invalid parameter type for '%s', expected: %s", a->name,
				      type_name(a->type));
	}
	for (const struct ctl_arg *a = cmd->args; a && a->name; a++)
		if (a->required && !json_object_get(args, a->name))
			return refuse(reply, CTL_ERR_GENERIC, id, "Parameter '%s' is missing", a->name);
	return 0;
}

int ctl_request_parse(const char *line, size_t len, const struct ctl_command *table, size_t ntable, bool negotiated,
		      struct ctl_request *req, json_t **reply)
{
	json_error_t jerr;
	json_t *msg, *id, *exec, *args, *v;
	const char *key, *name;
	char b[80];
	int rc = -EINVAL;

	memset(req, 0, sizeof(*req));
	*reply = NULL;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!msg)
		return refuse(reply, CTL_ERR_GENERIC, NULL, "JSON parse error, %s (column %d)", jerr.text,
			      jerr.column);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return refuse(reply, CTL_ERR_GENERIC, NULL, "QMP input must be a JSON object");
	}
	id = json_object_get(msg, "id");
	json_object_foreach(msg, key, v)
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
			rc = refuse(reply, CTL_ERR_GENERIC, id, "QMP input member '%s' is unexpected",
				    shown(key, b, sizeof(b)));
			goto out;
		}
	exec = json_object_get(msg, "execute");
	if (!exec) {
		rc = refuse(reply, CTL_ERR_GENERIC, id, "QMP input lacks member 'execute'");
		goto out;
	}
	if (!json_is_string(exec)) {
		rc = refuse(reply, CTL_ERR_GENERIC, id, "QMP input member 'execute' must be a string");
		goto out;
	}
	args = json_object_get(msg, "arguments");
	if (args && !json_is_object(args)) {
		rc = refuse(reply, CTL_ERR_GENERIC, id, "QMP input member 'arguments' must be an object");
		goto out;
	}
	name = json_string_value(exec);
	if (!strcmp(name, "qmp_capabilities")) {
		json_t *enable = args ? json_object_get(args, "enable") : NULL;

		if (negotiated) {
			rc = refuse(reply, CTL_ERR_NOT_FOUND, id,
				    "Capabilities negotiation is already complete, command ignored");
			goto out;
		}
		if (args && json_object_size(args) > (enable ? 1u : 0u)) {
			rc = refuse(reply, CTL_ERR_GENERIC, id, "qmp_capabilities takes only 'enable'");
			goto out;
		}
		if (enable && (!json_is_array(enable) || json_array_size(enable))) {
			/* The greeting offers no capability, so none can be enabled. */
			rc = refuse(reply, CTL_ERR_GENERIC, id, "Parameter 'enable': this server offers no capabilities");
			goto out;
		}
		req->capabilities = true;
	} else if (!negotiated) {
		rc = refuse(reply, CTL_ERR_NOT_FOUND, id, "Expecting capabilities negotiation with 'qmp_capabilities'");
		goto out;
	} else {
		for (size_t i = 0; i < ntable && !req->cmd; i++)
			if (!strcmp(table[i].name, name))
				req->cmd = &table[i];
		if (!req->cmd) {
			rc = refuse(reply, CTL_ERR_NOT_FOUND, id, "The command %s has not been found",
				    shown(name, b, sizeof(b)));
			goto out;
		}
		if (args && (rc = check_args(req->cmd, args, id, reply)))
			goto out;
		if (!args)
			for (const struct ctl_arg *a = req->cmd->args; a && a->name; a++)
				if (a->required) {
					rc = refuse(reply, CTL_ERR_GENERIC, id, "Parameter '%s' is missing", a->name);
					goto out;
				}
	}
	req->args = args ? json_incref(args) : json_object();
	req->id = id ? json_incref(id) : NULL;
	rc = req->args ? 0 : -ENOMEM;
	if (rc)
		*reply = ctl_reply_error(CTL_ERR_GENERIC, "out of memory", id);
out:
	if (rc)
		req->cmd = NULL, req->capabilities = false;
	json_decref(msg);
	return rc;
}

void ctl_request_fini(struct ctl_request *req)
{
	json_decref(req->args);
	json_decref(req->id);
	memset(req, 0, sizeof(*req));
}

/* ---- messages ---------------------------------------------------------------------- */
json_t *ctl_greeting(const char *version)
{
	int major = 0, minor = 0, micro = 0;

	(void)sscanf(version ? version : "", "%d.%d.%d", &major, &minor, &micro);
	return json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "iovlab", "major", major, "minor",
			 minor, "micro", micro, "package", version ? version : "", "capabilities");
}

json_t *ctl_reply_return(json_t *ret, json_t *id)
{
	json_t *m = json_object();

	if (!m) {
		json_decref(ret);
		return NULL;
	}
	json_object_set_new(m, "return", ret ? ret : json_object());
	if (id)
		json_object_set(m, "id", id);
	return m;
}

json_t *ctl_reply_error(const char *cls, const char *desc, json_t *id)
{
	json_t *d = json_string(desc), *m;

	if (!d) {
		/*
		 * Not UTF-8 (jansson quotes the offending input in its parse
		 * errors): the bytes outside printable ASCII become '?', so the
		 * client still gets its error.
		 */
		char buf[512];
		size_t i;

		for (i = 0; desc[i] && i + 1 < sizeof(buf); i++)
			buf[i] = (desc[i] >= 0x20 && desc[i] < 0x7f) ? desc[i] : '?';
		buf[i] = '\0';
		d = json_string(buf);
	}
	m = json_pack("{s:{s:s,s:o}}", "error", "class", cls, "desc", d);
	if (m && id)
		json_object_set(m, "id", id);
	return m;
}

json_t *ctl_event(const char *name, json_t *data)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return json_pack("{s:s,s:o,s:{s:I,s:I}}", "event", name, "data", data ? data : json_object(), "timestamp",
			 "seconds", (json_int_t)tv.tv_sec, "microseconds", (json_int_t)tv.tv_usec);
}

char *ctl_encode(const json_t *msg, size_t *len)
{
	char *s = msg ? json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	size_t n;
	char *line;

	if (!s)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}
