/*
 * The control socket's server (server.h): a listening AF_UNIX stream socket
 * and a list of clients, each with a bounded line buffer in (proto.h) and a
 * bounded output queue. Event loop callbacks move bytes only; requests run
 * in ctl_server_dispatch(), one client's batch after another, in arrival
 * order per client. A connection's life is a state machine (server.h:
 * open, draining, orphaned, closed) with one setter that checks and traces
 * each transition. A client that goes away while its request runs is closed
 * at once (its descriptor too) and freed after the handler returns; closed
 * clients are freed only outside dispatch, so no iteration ever meets
 * freed memory.
 */
#include "ctl/server.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

#define CTL_LOG "lab.ctl"

struct ctl_conn {
	struct ctl_conn *next;
	struct ctl_server *s;
	int fd;
	unsigned no;		/* for the log: "client 3" */
	enum ctl_conn_state state;
	bool negotiated;	/* the protocol's mode: qmp_capabilities done (command mode) */
	bool busy;		/* its request's handler is running: not freed until it returns */
	uint32_t watching;	/* the epoll mask registered, 0: none */
	char *out;		/* queued output: out[out_off..out_len) */
	size_t out_len, out_off, out_cap;
	struct ctl_linebuf in;
};

struct ctl_server {
	struct ctl_server_config cfg;
	char *path;
	int lfd;
	struct ctl_conn *clients;
	size_t nclients;	/* not closed */
	unsigned next_no;
	bool dispatching;
	bool detached;
};

/* ---- the connection's states (server.h) ------------------------------------------------ */
static const char *const conn_state_names[CTL_CONN_STATE_COUNT] = {
	[CTL_CONN_OPEN] = "open",
	[CTL_CONN_DRAINING] = "draining",
	[CTL_CONN_ORPHANED] = "orphaned",
	[CTL_CONN_CLOSED] = "closed",
};

/* allowed[from] is the set of states from may go to. */
static const unsigned conn_allowed[CTL_CONN_STATE_COUNT] = {
	[CTL_CONN_OPEN] = 1u << CTL_CONN_DRAINING | 1u << CTL_CONN_ORPHANED | 1u << CTL_CONN_CLOSED,
	[CTL_CONN_DRAINING] = 1u << CTL_CONN_ORPHANED | 1u << CTL_CONN_CLOSED,
	[CTL_CONN_ORPHANED] = 1u << CTL_CONN_CLOSED,
	[CTL_CONN_CLOSED] = 0,
};

const char *ctl_conn_state_name(enum ctl_conn_state st)
{
	return (unsigned)st < CTL_CONN_STATE_COUNT ? conn_state_names[st] : "?";
}

bool ctl_conn_state_transition_allowed(enum ctl_conn_state from, enum ctl_conn_state to)
{
	return (unsigned)from < CTL_CONN_STATE_COUNT && (unsigned)to < CTL_CONN_STATE_COUNT &&
	       (conn_allowed[from] & (1u << to));
}

static void conn_set_state(struct ctl_conn *c, enum ctl_conn_state to, const char *why)
{
	assert(ctl_conn_state_transition_allowed(c->state, to));
	log_debug(CTL_LOG, "client %u: %s -> %s (%s)", c->no, ctl_conn_state_name(c->state), ctl_conn_state_name(to),
		  why);
	c->state = to;
}

static bool conn_closed(const struct ctl_conn *c)
{
	return c->state == CTL_CONN_CLOSED;
}

static void client_close(struct ctl_conn *c, const char *why)
{
	struct ctl_server *s = c->s;

	if (conn_closed(c))
		return;
	log_info(CTL_LOG, "client %u: %s", c->no, why);
	conn_set_state(c, CTL_CONN_CLOSED, why);
	if (c->watching && !s->detached)
		(void)evloop_del(s->cfg.loop, c->fd);
	c->watching = 0;
	close(c->fd);
	c->fd = -1;
	s->nclients--;
}

static void reap(struct ctl_server *s)
{
	struct ctl_conn **pp = &s->clients;

	if (s->dispatching)
		return;
	while (*pp) {
		struct ctl_conn *c = *pp;

		if (conn_closed(c) && !c->busy) {
			*pp = c->next;
			free(c->out);
			free(c);
		} else {
			pp = &c->next;
		}
	}
}

static void on_client(int fd, uint32_t events, void *arg);

/* Register for what the client needs now: input while there is room, output while some waits. */
static void client_watch(struct ctl_conn *c)
{
	struct ctl_server *s = c->s;
	uint32_t want = 0;
	char *at;

	if (conn_closed(c) || s->detached)
		return;
	if (c->state == CTL_CONN_OPEN && ctl_linebuf_space(&c->in, &at) > 0)
		want |= EPOLLIN;
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->watching)
		return;
	if (c->watching)
		(void)evloop_del(s->cfg.loop, c->fd);
	c->watching = 0;
	if (want) {
		int rc = evloop_add(s->cfg.loop, c->fd, want, on_client, c);

		if (rc) {
			client_close(c, "cannot be watched any more");
			return;
		}
		c->watching = want;
	}
}

/* A client that has said all it will say, been answered and read everything goes. */
static void client_settle(struct ctl_conn *c)
{
	if (c->state != CTL_CONN_OPEN && !conn_closed(c) && !ctl_linebuf_ready(&c->in) && c->out_len == c->out_off)
		client_close(c, "disconnected");
	else
		client_watch(c);
}

static void client_flush(struct ctl_conn *c)
{
	while (!conn_closed(c) && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			client_close(c, "gone while being written to");
			return;
		}
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* Queue one message for the client (msg borrowed) and try to send it now. */
static void client_send(struct ctl_conn *c, const json_t *msg)
{
	size_t n, pending;
	char *line;

	if (conn_closed(c) || c->state == CTL_CONN_ORPHANED || !msg)
		return;
	line = ctl_encode(msg, &n);
	if (!line) {
		client_close(c, "out of memory");
		return;
	}
	pending = c->out_len - c->out_off;
	if (pending + n > CTL_OUT_MAX) {
		log_warn(CTL_LOG, "client %u: %zu bytes wait and it does not read them; disconnecting it", c->no,
			 pending);
		client_close(c, "too slow");
		free(line);
		return;
	}
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_off = 0;
		c->out_len = pending;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + n)
			cap *= 2;
		if (!(p = realloc(c->out, cap))) {
			client_close(c, "out of memory");
			free(line);
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, n);
	c->out_len += n;
	free(line);
	client_flush(c);
	client_watch(c);
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;
	struct ctl_server *s = c->s;

	(void)fd;
	if (events & EPOLLERR) {
		client_close(c, "connection error");
		goto out;
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		/* Read what is there (all of it when the peer is gone), as far as the line buffer holds. */
		for (;;) {
			char *at;
			size_t space = ctl_linebuf_space(&c->in, &at);
			ssize_t n;

			if (!space || c->state != CTL_CONN_OPEN)
				break;
			n = recv(c->fd, at, space, MSG_DONTWAIT);
			if (n > 0) {
				ctl_linebuf_commit(&c->in, (size_t)n);
				if (!(events & EPOLLHUP))
					break;	/* one read per round: others get their turn */
			} else if (n == 0) {
				conn_set_state(c, CTL_CONN_DRAINING, "the client shut its sending side");
			} else if (errno == EINTR) {
				continue;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				break;
			} else {
				client_close(c, "connection reset");
				goto out;
			}
		}
	}
	if (events & EPOLLHUP) {
		/*
		 * Both directions are gone: nothing can be answered, but what it
		 * sent in full still runs (`echo '{"execute": "quit"}' | nc -U`).
		 */
		c->out_off = c->out_len = 0;
		if (!ctl_linebuf_ready(&c->in)) {
			client_close(c, "hung up");
			goto out;
		}
		if (c->state != CTL_CONN_ORPHANED)
			conn_set_state(c, CTL_CONN_ORPHANED, "hung up with whole lines to run");
	}
	if (events & EPOLLOUT)
		client_flush(c);
	client_settle(c);
out:
	reap(s);
}

static void on_listen(int fd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_conn *c;
		json_t *g;

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn(CTL_LOG, "accept: %s", strerror(errno));
			return;
		}
		if (s->nclients >= CTL_CLIENTS_MAX || !(c = calloc(1, sizeof(*c)))) {
			static const char busy[] =
				"{\"error\": {\"class\": \"GenericError\", \"desc\": \"too many clients\"}}\n";

			log_warn(CTL_LOG, "refusing a client: %zu are connected", s->nclients);
			(void)send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(cfd);
			continue;
		}
		c->s = s;
		c->fd = cfd;
		c->no = ++s->next_no;
		c->next = s->clients;
		s->clients = c;
		s->nclients++;
		log_info(CTL_LOG, "client %u: connected", c->no);
		g = ctl_greeting(s->cfg.version);
		client_send(c, g);
		json_decref(g);
		client_watch(c);
	}
}

/* Is somebody serving at path? (a live socket must not be taken over) */
static bool socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

int ctl_server_create(const struct ctl_server_config *cfg, struct ctl_server **out, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s;
	struct stat st;
	int rc;

	if (!cfg->path || strlen(cfg->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is longer than %zu bytes", cfg->path ? cfg->path : "",
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, cfg->path, strlen(cfg->path) + 1);
	if (lstat(cfg->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", cfg->path);
			return -EEXIST;
		}
		if (socket_alive(&sa)) {
			snprintf(err, errlen, "%s: another lab is serving there", cfg->path);
			return -EADDRINUSE;
		}
		(void)unlink(cfg->path);	/* stale: its server is gone */
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->path = strdup(cfg->path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->cfg.path = s->path;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail_socket;
	}
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->lfd, 16)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", cfg->path, strerror(errno));
		goto fail_bind;
	}
	(void)chmod(cfg->path, 0600);	/* the lab's owner only, like the directory */
	if ((rc = evloop_add(cfg->loop, s->lfd, EPOLLIN, on_listen, s))) {
		snprintf(err, errlen, "event loop: %s", strerror(-rc));
		goto fail_loop;
	}
	log_info(CTL_LOG, "serving on %s", s->path);
	*out = s;
	return 0;

fail_loop:
	(void)unlink(cfg->path);
fail_bind:
	close(s->lfd);
fail_socket:
	free(s->path);
	free(s);
	return rc;
}

void ctl_server_detach(struct ctl_server *s)
{
	if (!s || s->detached)
		return;
	for (struct ctl_conn *c = s->clients; c; c = c->next)
		if (c->watching) {
			(void)evloop_del(s->cfg.loop, c->fd);
			c->watching = 0;
		}
	(void)evloop_del(s->cfg.loop, s->lfd);
	close(s->lfd);
	s->lfd = -1;
	(void)unlink(s->path);
	s->detached = true;
}

void ctl_server_destroy(struct ctl_server *s)
{
	if (!s)
		return;
	ctl_server_detach(s);
	for (struct ctl_conn *c = s->clients; c; c = c->next)
		if (!conn_closed(c)) {
			c->state = CTL_CONN_CLOSED;	/* the server goes: every state may close */
			close(c->fd);
		}
	s->dispatching = false;
	for (struct ctl_conn *c = s->clients; c; c = c->next)
		c->busy = false;
	reap(s);
	free(s->path);
	free(s);
}

static bool blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

static void run_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct ctl_server *s = c->s;
	struct ctl_request req;
	json_t *reply = NULL, *ret = NULL;
	char err[1024];
	int rc;

	if (ctl_request_parse(line, len, s->cfg.cmds, s->cfg.ncmds, c->negotiated, &req, &reply)) {
		client_send(c, reply);
		json_decref(reply);
		return;
	}
	if (req.capabilities) {
		c->negotiated = true;
		reply = ctl_reply_return(NULL, req.id);
	} else {
		log_debug(CTL_LOG, "client %u: %s", c->no, req.cmd->name);
		err[0] = '\0';
		c->busy = true;
		rc = req.cmd->fn(s->cfg.ctx, req.args, &ret, err, sizeof(err));
		c->busy = false;
		if (rc) {
			json_decref(ret);
			reply = ctl_reply_error(CTL_ERR_GENERIC, err[0] ? err : strerror(-rc), req.id);
		} else {
			reply = ctl_reply_return(ret, req.id);
		}
	}
	client_send(c, reply);
	json_decref(reply);
	ctl_request_fini(&req);
}

void ctl_server_dispatch(struct ctl_server *s)
{
	if (!s || s->dispatching || s->detached)
		return;
	s->dispatching = true;
	for (struct ctl_conn *c = s->clients; c; c = c->next) {
		for (int k = 0; k < CTL_BATCH && !conn_closed(c); k++) {
			char *line;
			size_t len;
			int rc = ctl_linebuf_take(&c->in, &line, &len);

			if (rc == 0)
				break;
			if (rc < 0) {
				char desc[160];
				json_t *e;

				snprintf(desc, sizeof(desc),
					 "Line too long: a request is one JSON object on a line of at most %d bytes",
					 CTL_LINE_MAX);
				e = ctl_reply_error(CTL_ERR_GENERIC, desc, NULL);
				client_send(c, e);
				json_decref(e);
				continue;
			}
			if (!blank(line, len))
				run_line(c, line, len);
		}
		if (!conn_closed(c) && !s->detached)
			client_settle(c);
	}
	s->dispatching = false;
	reap(s);
}

void ctl_server_emit(struct ctl_server *s, const char *name, json_t *data)
{
	json_t *ev = ctl_event(name, data);

	if (!s || !ev) {
		json_decref(ev);
		return;
	}
	for (struct ctl_conn *c = s->clients; c; c = c->next)
		if (!conn_closed(c) && c->negotiated)
			client_send(c, ev);
	json_decref(ev);
	reap(s);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void ctl_server_flush(struct ctl_server *s, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	if (!s)
		return;
	for (;;) {
		struct pollfd pfd[CTL_CLIENTS_MAX];
		nfds_t n = 0;
		int64_t left = deadline - now_ms();

		for (struct ctl_conn *c = s->clients; c && n < CTL_CLIENTS_MAX; c = c->next) {
			client_flush(c);
			if (!conn_closed(c) && c->out_off < c->out_len)
				pfd[n++] = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
		}
		if (!n || left <= 0)
			break;
		(void)poll(pfd, n, (int)left);
	}
	reap(s);
}

const char *ctl_server_path(const struct ctl_server *s)
{
	return s->path;
}

size_t ctl_server_client_count(const struct ctl_server *s)
{
	return s->nclients;
}
