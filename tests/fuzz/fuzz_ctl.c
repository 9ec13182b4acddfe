/*
 * Fuzz target: the live lab's control protocol as a client's bytes reach it
 * (src/ctl/proto.c) -- the bounded line framing and the request parser with
 * the live lab's real command table (src/ctl/commands.c; the handlers are
 * not run, they need a host). The first byte picks the size of the chunks
 * the rest is fed in, so lines split anywhere. Every line must give either
 * a request whose arguments match its command's schema, or an error reply
 * with a class and a description; every reply must encode as exactly one
 * line. Negotiation follows the replies, as the server's does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/lab_ctl.h"
#include "ctl/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_linebuf lb;

static void check_line(const json_t *msg)
{
	size_t n;
	char *line = ctl_encode(msg, &n);

	if (!line || n < 2 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) || strlen(line) != n)
		abort();
	free(line);
}

static bool type_ok(enum ctl_arg_type t, json_t *v)
{
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
		return json_is_array(v);
	}
	return false;
}

static void check_request(const struct ctl_request *req)
{
	const char *key;
	json_t *v;

	if (!json_is_object(req->args) || (!req->cmd && !req->capabilities))
		abort();
	if (!req->cmd)
		return;
	json_object_foreach(req->args, key, v) {
		const struct ctl_arg *a = req->cmd->args;

		while (a && a->name && strcmp(a->name, key))
			a++;
		if (!a || !a->name || !type_ok(a->type, v))
			abort();
	}
	for (const struct ctl_arg *a = req->cmd->args; a && a->name; a++)
		if (a->required && !json_object_get(req->args, a->name))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk, off = 1;
	bool negotiated = false;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] * 97 + 1;
	memset(&lb, 0, sizeof(lb));
	while (off < size || ctl_linebuf_ready(&lb)) {
		size_t n = size - off < chunk ? size - off : chunk;
		char *line;
		size_t len;
		int rc;

		off += ctl_linebuf_feed(&lb, data + off, n);
		while ((rc = ctl_linebuf_take(&lb, &line, &len)) != 0) {
			struct ctl_request req;
			json_t *reply = NULL;

			if (rc < 0)
				continue;	/* oversized: refused, its bytes dropped */
			if (len > CTL_LINE_MAX || strlen(line) > len)
				abort();
			if (ctl_request_parse(line, len, ctl_lab_commands, ctl_lab_command_count, negotiated, &req,
					      &reply)) {
				json_t *e = json_object_get(reply, "error");

				if (!json_is_string(json_object_get(e, "class")) ||
				    !json_is_string(json_object_get(e, "desc")) || req.args || req.cmd)
					abort();
				check_line(reply);
				json_decref(reply);
				continue;
			}
			check_request(&req);
			if (req.capabilities)
				negotiated = true;
			reply = ctl_reply_return(json_deep_copy(req.args), req.id);
			check_line(reply);
			json_decref(reply);
			ctl_request_fini(&req);
		}
		if (n == 0 && !ctl_linebuf_ready(&lb))
			break;
	}
	return 0;
}
