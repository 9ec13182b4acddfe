/*
 * Tests for src/ctl: the control protocol (proto.c), the server on an
 * event loop (server.c) and the client (client.c), against a small command
 * table of their own -- no host. The server side runs in this thread: each
 * test client is a raw socket, and pump() turns the loop and dispatches
 * until the client has a reply. Covered: the greeting, that capabilities
 * must be negotiated first (and only once), malformed JSON and wrong
 * members, an oversized line, unknown commands, bad argument types and
 * missing or unexpected arguments, handler errors, two clients at once,
 * events, a client that disconnects in the middle of its request or its
 * line, a client that never reads, the socket path rule, a live and a
 * stale socket at the path, and the blocking client against a forked
 * server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/evloop.h"
#include "base/log.h"
#include "ctl/client.h"
#include "ctl/proto.h"
#include "ctl/server.h"

/* ---- a small command table ------------------------------------------------------------ */
struct fixture {
	char dir[64];
	char path[128];
	struct evloop *loop;
	struct ctl_server *srv;
	int close_during_slow;	/* a test client's fd the slow handler closes, -1: none */
	int slow_ran;
	bool quit;
};

static struct fixture *F;

static void pump(int rounds);

static int h_echo(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	*ret = json_deep_copy(args);
	return 0;
}

static int h_fail(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)ctx, (void)args, (void)ret;
	snprintf(err, errlen, "no VM 'vm9'");
	return -ENOENT;
}

/* A command that waits, running the loop itself the way hv_host_run() does in a send. */
static int h_slow(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	struct fixture *f = ctx;

	(void)args, (void)ret, (void)err, (void)errlen;
	if (f->close_during_slow >= 0) {
		close(f->close_during_slow);
		f->close_during_slow = -1;
	}
	for (int i = 0; i < 20; i++) {
		(void)evloop_run_once(f->loop, 2);
		ctl_server_dispatch(f->srv);	/* must return at once: a command is running */
	}
	f->slow_ran++;
	return 0;
}

static int h_quit(void *ctx, json_t *args, json_t **ret, char *err, size_t errlen)
{
	(void)args, (void)ret, (void)err, (void)errlen;
	((struct fixture *)ctx)->quit = true;
	return 0;
}

static const struct ctl_arg echo_args[] = {
	{ "text", CTL_ARG_STR, true },
	{ "n", CTL_ARG_INT, false },
	{ "flag", CTL_ARG_BOOL, false },
	{ "words", CTL_ARG_STRS, false },
	{ "value", CTL_ARG_SCALAR, false },
	{ NULL },
};

static const struct ctl_command table[] = {
	{ "echo", echo_args, h_echo, "returns its arguments" },
	{ "fail", NULL, h_fail, "always fails" },
	{ "slow", NULL, h_slow, "runs the loop for a while" },
	{ "quit", NULL, h_quit, "stop" },
};

static int setup(void **state)
{
	static struct fixture f;
	struct ctl_server_config cfg = { .cmds = table, .ncmds = 4, .version = "1.2.3" };
	char err[256];

	memset(&f, 0, sizeof(f));
	f.close_during_slow = -1;
	snprintf(f.dir, sizeof(f.dir), "/tmp/iovlab-test-ctl-XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.path, sizeof(f.path), "%s/t.sock", f.dir);
	assert_int_equal(evloop_create(&f.loop), 0);
	cfg.path = f.path;
	cfg.loop = f.loop;
	cfg.ctx = &f;
	assert_int_equal(ctl_server_create(&cfg, &f.srv, err, sizeof(err)), 0);
	F = &f;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	ctl_server_destroy(f->srv);
	assert_int_not_equal(lstat(f->path, &st), 0);	/* the socket file is gone */
	evloop_destroy(f->loop);
	rmdir(f->dir);
	return 0;
}

/* ---- a raw test client ------------------------------------------------------------------- */
struct tc {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static void pump(int rounds)
{
	for (int i = 0; i < rounds; i++) {
		(void)evloop_run_once(F->loop, 1);
		ctl_server_dispatch(F->srv);
	}
}

static void tc_connect(struct tc *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	strcpy(sa.sun_path, F->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void tc_send(struct tc *c, const char *text)
{
	size_t n = strlen(text), off = 0;

	while (off < n) {
		ssize_t w = send(c->fd, text + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		else
			pump(1);	/* the server makes room */
	}
}

/* The next message for c (pumping the server), NULL if none comes. */
static json_t *tc_recv(struct tc *c)
{
	for (int i = 0; i < 2000; i++) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			json_t *m = json_loadb(c->buf, (size_t)(nl - c->buf), 0, NULL);
			size_t used = (size_t)(nl - c->buf) + 1;

			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			assert_non_null(m);
			return m;
		}
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r == 0)
			return NULL;
		pump(1);
	}
	return NULL;
}

/* Send a line, expect an error reply of class cls whose desc contains what. */
static void expect_error(struct tc *c, const char *line, const char *cls, const char *what)
{
	json_t *m;

	tc_send(c, line);
	m = tc_recv(c);
	assert_non_null(m);
	if (!json_object_get(m, "error"))
		fail_msg("%s: no error: %s", line, json_dumps(m, 0));
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "error"), "class")), cls);
	if (!strstr(json_string_value(json_object_get(json_object_get(m, "error"), "desc")), what))
		fail_msg("%s: desc '%s' lacks '%s'", line,
			 json_string_value(json_object_get(json_object_get(m, "error"), "desc")), what);
	json_decref(m);
}

static json_t *expect_return(struct tc *c, const char *line)
{
	json_t *m, *r;

	tc_send(c, line);
	m = tc_recv(c);
	assert_non_null(m);
	if (!(r = json_object_get(m, "return")))
		fail_msg("%s: no return: %s", line, json_dumps(m, 0));
	json_incref(r);
	json_decref(m);
	return r;
}

static void tc_open(struct tc *c)
{
	json_t *g;

	tc_connect(c);
	g = tc_recv(c);
	assert_non_null(json_object_get(g, "QMP"));
	json_decref(g);
	json_decref(expect_return(c, "{\"execute\": \"qmp_capabilities\"}\n"));
}

/* ---- tests ----------------------------------------------------------------------------- */
static void test_greeting(void **state)
{
	struct tc c;
	json_t *g, *qmp, *ver;

	(void)state;
	tc_connect(&c);
	g = tc_recv(&c);
	assert_non_null(g);
	qmp = json_object_get(g, "QMP");
	assert_non_null(qmp);
	assert_true(json_is_array(json_object_get(qmp, "capabilities")));
	assert_int_equal(json_array_size(json_object_get(qmp, "capabilities")), 0);
	ver = json_object_get(json_object_get(qmp, "version"), "iovlab");
	assert_int_equal(json_integer_value(json_object_get(ver, "major")), 1);
	assert_int_equal(json_integer_value(json_object_get(ver, "minor")), 2);
	assert_int_equal(json_integer_value(json_object_get(ver, "micro")), 3);
	json_decref(g);
	assert_int_equal(ctl_server_client_count(F->srv), 1);
	close(c.fd);
}

static void test_capabilities_first(void **state)
{
	struct tc c;
	json_t *r, *m;

	(void)state;
	tc_connect(&c);
	json_decref(tc_recv(&c));
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"x\"}}\n", CTL_ERR_NOT_FOUND,
		     "Expecting capabilities negotiation with 'qmp_capabilities'");
	expect_error(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}\n",
		     CTL_ERR_GENERIC, "no capabilities");
	/* Events go only to negotiated clients. */
	ctl_server_emit(F->srv, "EARLY", NULL);
	json_decref(expect_return(&c, "{\"execute\": \"qmp_capabilities\", \"id\": 1}\n"));
	expect_error(&c, "{\"execute\": \"qmp_capabilities\"}\n", CTL_ERR_NOT_FOUND, "already complete");
	/* The id comes back as it was sent, whatever JSON it is. */
	tc_send(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"hi\"}, \"id\": {\"tag\": [1, \"a\"]}}\n");
	m = tc_recv(&c);
	r = json_object_get(m, "return");
	assert_string_equal(json_string_value(json_object_get(r, "text")), "hi");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(json_object_get(m, "id"), "tag"), 0)), 1);
	json_decref(m);
	close(c.fd);
}

static void test_malformed(void **state)
{
	struct tc c;

	(void)state;
	tc_open(&c);
	expect_error(&c, "{\"execute\": \"echo\"\n", CTL_ERR_GENERIC, "JSON parse error");
	expect_error(&c, "not json at all\n", CTL_ERR_GENERIC, "JSON parse error");
	expect_error(&c, "[1, 2]\n", CTL_ERR_GENERIC, "must be a JSON object");
	expect_error(&c, "\"execute\"\n", CTL_ERR_GENERIC, "must be a JSON object");
	expect_error(&c, "{}\n", CTL_ERR_GENERIC, "lacks member 'execute'");
	expect_error(&c, "{\"execute\": 5}\n", CTL_ERR_GENERIC, "'execute' must be a string");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": [1]}\n", CTL_ERR_GENERIC,
		     "'arguments' must be an object");
	expect_error(&c, "{\"execute\": \"echo\", \"bogus\": 1}\n", CTL_ERR_GENERIC, "member 'bogus' is unexpected");
	expect_error(&c, "{\"execute\": \"echo\", \"execute\": \"fail\"}\n", CTL_ERR_GENERIC, "duplicate");
	expect_error(&c, "{\"execute\": \"echo\"} {\"execute\": \"echo\"}\n", CTL_ERR_GENERIC, "JSON parse error");
	/* A NUL inside the line is malformed JSON, not the end of it. */
	tc_send(&c, "{\"execute\"");
	send(c.fd, "\0", 1, 0);
	expect_error(&c, ": \"echo\"}\n", CTL_ERR_GENERIC, "JSON parse error");
	/* Blank lines are ignored, CRLF is a line end, and the connection still works. */
	tc_send(&c, "\n   \n");
	json_decref(expect_return(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"ok\"}}\r\n"));
	close(c.fd);
}

static void test_oversized_line(void **state)
{
	struct tc c;
	char *big = malloc(CTL_LINE_MAX + 5000);
	json_t *r;

	(void)state;
	tc_open(&c);
	memset(big, 'a', CTL_LINE_MAX + 4000);
	big[CTL_LINE_MAX + 4000] = '\0';
	tc_send(&c, big);
	tc_send(&c, "\n");
	/* Refused once, its bytes dropped up to its newline; the next line is served. */
	r = NULL;
	{
		json_t *m = tc_recv(&c);

		assert_non_null(m);
		assert_non_null(strstr(json_string_value(json_object_get(json_object_get(m, "error"), "desc")),
				       "Line too long"));
		json_decref(m);
	}
	r = expect_return(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"after\"}}\n");
	assert_string_equal(json_string_value(json_object_get(r, "text")), "after");
	json_decref(r);
	/* Exactly CTL_LINE_MAX is still too long only with its newline missing: a max line of spaces is blank. */
	memset(big, ' ', CTL_LINE_MAX - 1);
	big[CTL_LINE_MAX - 1] = '\n';
	big[CTL_LINE_MAX] = '\0';
	tc_send(&c, big);
	r = expect_return(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"fits\"}}\n");
	json_decref(r);
	free(big);
	close(c.fd);
}

static void test_unknown_command(void **state)
{
	struct tc c;
	json_t *m;

	(void)state;
	tc_open(&c);
	tc_send(&c, "{\"execute\": \"diagnose\", \"id\": \"d1\"}\n");
	m = tc_recv(&c);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "error"), "class")),
			    CTL_ERR_NOT_FOUND);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "error"), "desc")),
			    "The command diagnose has not been found");
	assert_string_equal(json_string_value(json_object_get(m, "id")), "d1");
	json_decref(m);
	/* Control characters in a name do not reach the description raw. */
	expect_error(&c, "{\"execute\": \"a\\u0001b\"}\n", CTL_ERR_NOT_FOUND, "a?b");
	close(c.fd);
}

static void test_bad_arguments(void **state)
{
	struct tc c;
	json_t *r;

	(void)state;
	tc_open(&c);
	expect_error(&c, "{\"execute\": \"echo\"}\n", CTL_ERR_GENERIC, "Parameter 'text' is missing");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {}}\n", CTL_ERR_GENERIC, "Parameter 'text' is missing");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": 5}}\n", CTL_ERR_GENERIC,
		     "Invalid parameter type for 'text', expected: string");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"n\": \"5\"}}\n", CTL_ERR_GENERIC,
		     "Invalid parameter type for 'n', expected: integer");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"n\": 1.5}}\n", CTL_ERR_GENERIC,
		     "expected: integer");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"flag\": 1}}\n", CTL_ERR_GENERIC,
		     "expected: boolean");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"words\": [\"x\", 2]}}\n",
		     CTL_ERR_GENERIC, "expected: array of strings");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"value\": true}}\n", CTL_ERR_GENERIC,
		     "expected: string or integer");
	expect_error(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"Text\": \"b\"}}\n",
		     CTL_ERR_GENERIC, "Parameter 'Text' is unexpected");
	expect_error(&c, "{\"execute\": \"fail\", \"arguments\": {\"x\": 1}}\n", CTL_ERR_GENERIC,
		     "Parameter 'x' is unexpected");
	r = expect_return(&c, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a\", \"n\": -3, \"flag\": true, "
			      "\"words\": [], \"value\": \"Adaptive\"}}\n");
	assert_int_equal(json_integer_value(json_object_get(r, "n")), -3);
	json_decref(r);
	/* A handler's error: GenericError with its words, the id kept. */
	expect_error(&c, "{\"execute\": \"fail\", \"id\": 7}\n", CTL_ERR_GENERIC, "no VM 'vm9'");
	close(c.fd);
}

static void test_two_clients(void **state)
{
	struct tc a, b;
	json_t *m;

	(void)state;
	tc_open(&a);
	tc_open(&b);
	assert_int_equal(ctl_server_client_count(F->srv), 2);
	/* Both send before either reads: each gets its own reply. */
	tc_send(&a, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"from a\"}, \"id\": \"a\"}\n");
	tc_send(&b, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"from b\"}, \"id\": \"b\"}\n");
	tc_send(&a, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"a again\"}, \"id\": \"a2\"}\n");
	m = tc_recv(&b);
	assert_string_equal(json_string_value(json_object_get(m, "id")), "b");
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "return"), "text")), "from b");
	json_decref(m);
	m = tc_recv(&a);
	assert_string_equal(json_string_value(json_object_get(m, "id")), "a");
	json_decref(m);
	m = tc_recv(&a);
	assert_string_equal(json_string_value(json_object_get(m, "id")), "a2");
	json_decref(m);
	/* An event reaches both, with a timestamp. */
	ctl_server_emit(F->srv, "VF_DATAPATH_CHANGED", json_pack("{s:s,s:b}", "vm", "vm1", "VFDataPathActive", 0));
	for (struct tc *c = &a; c; c = c == &a ? &b : NULL) {
		m = tc_recv(c);
		assert_string_equal(json_string_value(json_object_get(m, "event")), "VF_DATAPATH_CHANGED");
		assert_string_equal(json_string_value(json_object_get(json_object_get(m, "data"), "vm")), "vm1");
		assert_true(json_integer_value(json_object_get(json_object_get(m, "timestamp"), "seconds")) > 0);
		assert_non_null(json_object_get(json_object_get(m, "timestamp"), "microseconds"));
		json_decref(m);
	}
	close(a.fd);
	close(b.fd);
	pump(5);
	assert_int_equal(ctl_server_client_count(F->srv), 0);
}

static void test_disconnect_mid_request(void **state)
{
	struct fixture *f = *state;
	struct tc a, b;
	json_t *r;

	tc_open(&a);
	tc_open(&b);
	/* a asks for a command that waits, and is gone before it finishes. */
	f->close_during_slow = a.fd;
	tc_send(&a, "{\"execute\": \"slow\"}\n");
	/* b's request arrives meanwhile and is answered after the slow one. */
	tc_send(&b, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"still here\"}}\n");
	r = NULL;
	{
		json_t *m = tc_recv(&b);

		r = json_object_get(m, "return");
		assert_non_null(r);
		assert_string_equal(json_string_value(json_object_get(r, "text")), "still here");
		json_decref(m);
	}
	assert_int_equal(f->slow_ran, 1);
	pump(5);
	assert_int_equal(ctl_server_client_count(F->srv), 1);
	/* Half a line, then gone. */
	tc_connect(&a);
	json_decref(tc_recv(&a));
	tc_send(&a, "{\"execute\": \"qmp_capa");
	pump(3);
	close(a.fd);
	pump(5);
	assert_int_equal(ctl_server_client_count(F->srv), 1);
	/* A client that sends whole requests and is gone at once: they still run, unanswered. */
	tc_connect(&a);
	json_decref(tc_recv(&a));
	tc_send(&a, "{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"slow\"}\n{\"execute\": \"quit\"}\n");
	close(a.fd);
	pump(10);
	assert_int_equal(f->slow_ran, 2);
	assert_true(f->quit);
	assert_int_equal(ctl_server_client_count(F->srv), 1);
	/* A client that says what it wants and shuts its sending side still gets its answer. */
	tc_connect(&a);
	json_decref(tc_recv(&a));
	tc_send(&a, "{\"execute\": \"qmp_capabilities\", \"id\": 1}\n{\"execute\": \"echo\", \"arguments\": {\"text\": \"bye\"}, \"id\": 2}\n");
	shutdown(a.fd, SHUT_WR);
	json_decref(tc_recv(&a));
	{
		json_t *m = tc_recv(&a);

		assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
		json_decref(m);
	}
	assert_null(tc_recv(&a));	/* then the server closes */
	close(a.fd);
	json_decref(expect_return(&b, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"b\"}}\n"));
	close(b.fd);
}

static void test_slow_reader_dropped(void **state)
{
	struct tc a, b;
	char pad[900];
	size_t events = 0;

	(void)state;
	tc_open(&a);
	tc_open(&b);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* a never reads; b does. a is dropped once CTL_OUT_MAX bytes wait; b and the server go on. */
	while (ctl_server_client_count(F->srv) == 2 && events < 3 * CTL_OUT_MAX / sizeof(pad)) {
		ctl_server_emit(F->srv, "NOISE", json_pack("{s:s}", "pad", pad));
		events++;
		json_decref(tc_recv(&b));
	}
	assert_int_equal(ctl_server_client_count(F->srv), 1);
	assert_true(events >= CTL_OUT_MAX / 1000);	/* each event line is about 1000 bytes */
	json_decref(expect_return(&b, "{\"execute\": \"echo\", \"arguments\": {\"text\": \"b\"}}\n"));
	close(a.fd);
	close(b.fd);
}

static void test_linebuf(void **state)
{
	static struct ctl_linebuf lb;
	char *line;
	size_t len;

	(void)state;
	memset(&lb, 0, sizeof(lb));
	assert_int_equal(ctl_linebuf_feed(&lb, "ab", 2), 2);
	assert_int_equal(ctl_linebuf_take(&lb, &line, &len), 0);
	assert_false(ctl_linebuf_ready(&lb));
	ctl_linebuf_feed(&lb, "c\r\nde\nf", 7);
	assert_true(ctl_linebuf_ready(&lb));
	assert_int_equal(ctl_linebuf_take(&lb, &line, &len), 1);
	assert_string_equal(line, "abc");
	assert_int_equal(len, 3);
	assert_int_equal(ctl_linebuf_take(&lb, &line, &len), 1);
	assert_string_equal(line, "de");
	assert_int_equal(ctl_linebuf_take(&lb, &line, &len), 0);
	ctl_linebuf_feed(&lb, "\n", 1);
	assert_int_equal(ctl_linebuf_take(&lb, &line, &len), 1);
	assert_string_equal(line, "f");
}

/* Every legal transition of a connection, and every illegal one refused. */
static void test_conn_states(void **state)
{
	static const struct {
		enum ctl_conn_state from, to;
	} legal[] = {
		{ CTL_CONN_OPEN, CTL_CONN_DRAINING },     { CTL_CONN_OPEN, CTL_CONN_ORPHANED },
		{ CTL_CONN_OPEN, CTL_CONN_CLOSED },       { CTL_CONN_DRAINING, CTL_CONN_ORPHANED },
		{ CTL_CONN_DRAINING, CTL_CONN_CLOSED },   { CTL_CONN_ORPHANED, CTL_CONN_CLOSED },
	};
	unsigned n = 0;

	(void)state;
	for (int from = 0; from < CTL_CONN_STATE_COUNT; from++)
		for (int to = 0; to < CTL_CONN_STATE_COUNT; to++) {
			bool want = false;

			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				want |= legal[i].from == (enum ctl_conn_state)from && legal[i].to == (enum ctl_conn_state)to;
			if (ctl_conn_state_transition_allowed(from, to) != want)
				fail_msg("%s -> %s: allowed %d, want %d", ctl_conn_state_name(from), ctl_conn_state_name(to),
					 !want, want);
			n += want;
		}
	assert_int_equal(n, 6);
	assert_false(ctl_conn_state_transition_allowed(CTL_CONN_STATE_COUNT, CTL_CONN_CLOSED));
	assert_string_equal(ctl_conn_state_name(CTL_CONN_ORPHANED), "orphaned");
	assert_string_equal(ctl_conn_state_name(CTL_CONN_STATE_COUNT), "?");
}

static void test_socket_paths(void **state)
{
	char buf[256], err[256];
	char *old = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;

	(void)state;
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	assert_int_equal(ctl_socket_path("default", buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "/run/user/1234/iovlab/default.sock");
	assert_int_equal(ctl_socket_path("../x y", buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "/run/user/1234/iovlab/_._x_y.sock");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(ctl_socket_path("lab", buf, sizeof(buf), 0), 0);
	snprintf(err, sizeof(err), "/tmp/iovlab-%u/lab.sock", (unsigned)getuid());
	assert_string_equal(buf, err);
	/* Clients: --socket, then IOVLAB_SOCKET, then --lab's default. */
	setenv("IOVLAB_SOCKET", "/env.sock", 1);
	assert_int_equal(ctl_socket_find("/given.sock", NULL, buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "/given.sock");
	assert_int_equal(ctl_socket_find(NULL, NULL, buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "/env.sock");
	setenv("XDG_RUNTIME_DIR", F->dir, 1);
	assert_int_equal(ctl_socket_find(NULL, "other", buf, sizeof(buf), err, sizeof(err)), 0);
	assert_true(strstr(buf, "/iovlab/other.sock") != NULL);
	unsetenv("IOVLAB_SOCKET");
	/* No directory: a clear "no lab is up". */
	assert_int_equal(ctl_socket_find(NULL, NULL, buf, sizeof(buf), err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no lab is up"));
	if (old) {
		setenv("XDG_RUNTIME_DIR", old, 1);
		free(old);
	} else {
		unsetenv("XDG_RUNTIME_DIR");
	}
}

static void test_live_and_stale_socket(void **state)
{
	struct fixture *f = *state;
	struct ctl_server_config cfg = { .path = f->path, .loop = f->loop, .cmds = table, .ncmds = 4 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s2;
	char err[256], stale[160];
	int fd;

	/* Somebody serves there: refused, and the live socket is left alone. */
	assert_int_equal(ctl_server_create(&cfg, &s2, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another lab is serving there"));
	/* A socket file nobody listens on any more is replaced. */
	snprintf(stale, sizeof(stale), "%s/stale.sock", f->dir);
	strcpy(sa.sun_path, stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cfg.path = stale;
	assert_int_equal(ctl_server_create(&cfg, &s2, err, sizeof(err)), 0);
	ctl_server_destroy(s2);
	/* Too long for sun_path: said, not truncated. */
	memset(stale, 'a', sizeof(stale) - 1);
	stale[0] = '/';
	stale[sizeof(stale) - 1] = '\0';
	assert_int_equal(ctl_server_create(&cfg, &s2, err, sizeof(err)), -ENAMETOOLONG);
}

/* The blocking client against a server in a child process. */
static void test_client(void **state)
{
	struct fixture *f = *state;
	struct ctl_client *c;
	json_t *ret, *ev;
	char err[256];
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child serves until quit (bounded), emitting an event while it runs "slow". */
		for (int i = 0; i < 5000 && !f->quit; i++) {
			(void)evloop_run_once(f->loop, 2);
			ctl_server_dispatch(f->srv);
			if (f->slow_ran == 0 && ctl_server_client_count(f->srv) == 1 && i % 50 == 49)
				ctl_server_emit(f->srv, "TICK", json_pack("{s:i}", "i", i));
		}
		ctl_server_flush(f->srv, 500);
		_exit(f->quit ? 0 : 3);
	}
	assert_int_equal(ctl_client_connect(f->path, 5000, &c, err, sizeof(err)), 0);
	assert_int_equal(ctl_client_execute(c, "echo", json_pack("{s:s}", "text", "via client"), &ret, err,
					    sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(ret, "text")), "via client");
	json_decref(ret);
	assert_int_equal(ctl_client_execute(c, "fail", NULL, &ret, err, sizeof(err)), -EREMOTE);
	assert_string_equal(err, "no VM 'vm9'");
	assert_int_equal(ctl_client_execute(c, "nope", NULL, &ret, err, sizeof(err)), -EREMOTE);
	assert_string_equal(err, "The command nope has not been found");
	assert_int_equal(ctl_client_next_event(c, 3000, &ev), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "TICK");
	json_decref(ev);
	assert_int_equal(ctl_client_execute(c, "quit", NULL, &ret, err, sizeof(err)), 0);
	json_decref(ret);
	ctl_client_close(c);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Nobody there now: a clear error. */
	assert_int_not_equal(ctl_client_connect("/nonexistent/x.sock", 500, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "is the lab up?"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_greeting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capabilities_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_mid_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_and_stale_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client, setup, teardown),
		cmocka_unit_test(test_linebuf),
		cmocka_unit_test(test_conn_states),
	};

	signal(SIGPIPE, SIG_IGN);
	if (!getenv("IOVLAB_LOG"))
		log_configure("*=warn", NULL, 0);
	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
