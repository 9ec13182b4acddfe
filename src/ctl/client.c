/*
 * The control socket's client (client.h): blocking reads with poll()
 * timeouts over a line buffer, replies matched to requests by a numeric
 * id, events kept in a bounded queue while a command's reply is awaited.
 */
#include "ctl/client.h"

#include <errno.h>
#include <dirent.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/proto.h"

#define CLIENT_EVENTS_MAX 1024	/* events kept while waiting for a reply; older ones are dropped */
/* A reply can be large (a view as JSON): lines up to this many bytes. */
#define CLIENT_LINE_MAX (64u << 20)

struct ctl_client {
	int fd;
	json_int_t next_id;
	char *buf;		/* received bytes: buf[off..len) */
	size_t len, off, cap;
	json_t *events;		/* array of queued events */
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One message: 1 with *msg, 0 on timeout, -errno (-ECONNRESET: the server closed). */
static int read_msg(struct ctl_client *c, int timeout_ms, json_t **msg, char *err, size_t errlen)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		char *nl = c->len > c->off ? memchr(c->buf + c->off, '\n', c->len - c->off) : NULL;

		if (nl) {
			json_error_t jerr;
			size_t n = (size_t)(nl - (c->buf + c->off));

			*msg = json_loadb(c->buf + c->off, n, 0, &jerr);
			c->off += n + 1;
			if (!*msg || !json_is_object(*msg)) {
				json_decref(*msg);
				snprintf(err, errlen, "the server sent something that is not a JSON object: %s", jerr.text);
				return -EPROTO;
			}
			return 1;
		}
		if (c->off) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *p;

			if (cap > CLIENT_LINE_MAX || !(p = realloc(c->buf, cap))) {
				snprintf(err, errlen, "the server's message is too long");
				return -EMSGSIZE;
			}
			c->buf = p;
			c->cap = cap;
		}
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int left = deadline < 0 ? -1 : (int)(deadline - now_ms());

		if (deadline >= 0 && left <= 0)
			return 0;
		int pr = poll(&pfd, 1, left);
		if (pr < 0 && errno == EINTR)
			return 0;
		if (pr < 0) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -errno;
		}
		if (pr == 0)
			return 0;
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
			snprintf(err, errlen, "the lab closed the connection");
			return -ECONNRESET;
		}
		if (r > 0)
			c->len += (size_t)r;
	}
}

static int send_msg(struct ctl_client *c, json_t *msg, char *err, size_t errlen)
{
	size_t n, off = 0;
	char *line = ctl_encode(msg, &n);

	if (!line) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (off < n) {
		ssize_t w = send(c->fd, line + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "the lab closed the connection");
			free(line);
			return -EPIPE;
		}
		off += (size_t)w;
	}
	free(line);
	return 0;
}

static void keep_event(struct ctl_client *c, json_t *ev)
{
	if (json_array_size(c->events) >= CLIENT_EVENTS_MAX)
		json_array_remove(c->events, 0);
	json_array_append_new(c->events, ev);
}

int ctl_client_connect(const char *path, int timeout_ms, struct ctl_client **out, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_client *c;
	json_t *g = NULL, *ret = NULL;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (!(c = calloc(1, sizeof(*c))) || !(c->events = json_array())) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s (is the lab up? `iovlab up LAB`)", path, strerror(errno));
		goto fail;
	}
	rc = read_msg(c, timeout_ms, &g, err, errlen);
	if (rc == 0) {
		snprintf(err, errlen, "%s: no greeting in %d ms", path, timeout_ms);
		rc = -ETIMEDOUT;
	}
	if (rc < 0)
		goto fail;
	if (!json_object_get(g, "QMP")) {
		json_t *e = json_object_get(g, "error");

		snprintf(err, errlen, "%s: %s", path,
			 e ? json_string_value(json_object_get(e, "desc")) : "the greeting is not a QMP greeting");
		json_decref(g);
		rc = -EPROTO;
		goto fail;
	}
	json_decref(g);
	if ((rc = ctl_client_execute(c, "qmp_capabilities", NULL, &ret, err, errlen)))
		goto fail;
	json_decref(ret);
	*out = c;
	return 0;
fail:
	ctl_client_close(c);
	return rc;
}

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	json_decref(c->events);
	free(c->buf);
	free(c);
}

int ctl_client_execute(struct ctl_client *c, const char *cmd, json_t *args, json_t **ret, char *err, size_t errlen)
{
	json_int_t id = ++c->next_id;
	json_t *req = json_pack("{s:s,s:I}", "execute", cmd, "id", id);
	int rc;

	*ret = NULL;
	if (!req) {
		json_decref(args);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (args)
		json_object_set_new(req, "arguments", args);
	rc = send_msg(c, req, err, errlen);
	json_decref(req);
	if (rc)
		return rc;
	for (;;) {
		json_t *msg, *e, *rid;

		rc = read_msg(c, -1, &msg, err, errlen);
		if (rc <= 0)
			return rc ? rc : -EINTR;
		if (json_object_get(msg, "event")) {
			keep_event(c, msg);
			continue;
		}
		rid = json_object_get(msg, "id");
		if (!json_is_integer(rid) || json_integer_value(rid) != id) {
			/* an error that names no request (a line the server could not read) */
			if ((e = json_object_get(msg, "error")) && !rid) {
				snprintf(err, errlen, "%s", json_string_value(json_object_get(e, "desc")) ? json_string_value(json_object_get(e, "desc")) : "error");
				json_decref(msg);
				return -EREMOTE;
			}
			json_decref(msg);
			continue;
		}
		if ((e = json_object_get(msg, "error"))) {
			const char *d = json_string_value(json_object_get(e, "desc"));

			snprintf(err, errlen, "%s", d ? d : "the lab refused the command");
			json_decref(msg);
			return -EREMOTE;
		}
		*ret = json_incref(json_object_get(msg, "return"));
		json_decref(msg);
		if (!*ret)
			*ret = json_object();
		return 0;
	}
}

int ctl_client_next_event(struct ctl_client *c, int timeout_ms, json_t **ev)
{
	char err[128];

	for (;;) {
		json_t *msg;
		int rc;

		if (json_array_size(c->events)) {
			*ev = json_incref(json_array_get(c->events, 0));
			json_array_remove(c->events, 0);
			return 1;
		}
		rc = read_msg(c, timeout_ms, &msg, err, sizeof(err));
		if (rc <= 0)
			return rc;
		if (json_object_get(msg, "event")) {
			*ev = msg;
			return 1;
		}
		json_decref(msg);
	}
}

/* ---- where the socket is ------------------------------------------------------------- */
int ctl_socket_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (xdg && *xdg)
		n = snprintf(buf, len, "%s/iovlab", xdg);
	else
		n = snprintf(buf, len, "/tmp/iovlab-%u", (unsigned)getuid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ctl_socket_path(const char *name, char *buf, size_t len, int create)
{
	char dir[256], clean[128];
	size_t i;
	int n;

	if (ctl_socket_dir(dir, sizeof(dir)))
		return -ENAMETOOLONG;
	for (i = 0; name[i] && i + 1 < sizeof(clean); i++) {
		char ch = name[i];

		clean[i] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
			    ch == '_' || ch == '-') ? ch : '_';
	}
	clean[i] = '\0';
	if (!i || clean[0] == '.')
		clean[0] = '_';
	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	n = snprintf(buf, len, "%s/%s.sock", dir, clean);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ctl_socket_find(const char *explicit_path, const char *lab, char *buf, size_t len, char *err, size_t errlen)
{
	const char *env = getenv("IOVLAB_SOCKET");
	char dir[256], found[512] = "";
	unsigned count = 0;
	struct dirent *d;
	DIR *dh;

	if (explicit_path || (!lab && env && *env)) {
		const char *p = explicit_path ? explicit_path : env;

		if ((size_t)snprintf(buf, len, "%s", p) >= len) {
			snprintf(err, errlen, "socket path too long");
			return -ENAMETOOLONG;
		}
		return 0;
	}
	if (lab) {
		if (ctl_socket_path(lab, buf, len, 0)) {
			snprintf(err, errlen, "socket path too long");
			return -ENAMETOOLONG;
		}
		return 0;
	}
	if (ctl_socket_dir(dir, sizeof(dir)) || !(dh = opendir(dir))) {
		snprintf(err, errlen, "no lab is up (no %s); start one with `iovlab up LAB`", dir);
		return -ENOENT;
	}
	while ((d = readdir(dh))) {
		size_t n = strlen(d->d_name);

		if (n > 5 && !strcmp(d->d_name + n - 5, ".sock")) {
			size_t at = strlen(found);

			if (at + n + 2 < sizeof(found))
				snprintf(found + at, sizeof(found) - at, "%s%s", at ? " " : "", d->d_name);
			if (++count == 1 && (size_t)snprintf(buf, len, "%s/%s", dir, d->d_name) >= len)
				count = 2;	/* cannot name it: ask for --socket */
		}
	}
	closedir(dh);
	if (count == 1)
		return 0;
	if (!count)
		snprintf(err, errlen, "no lab is up (no socket in %s); start one with `iovlab up LAB`", dir);
	else
		snprintf(err, errlen, "several labs are up (%s in %s): say which with --lab NAME or --socket PATH",
			 found, dir);
	return count ? -EEXIST : -ENOENT;
}
