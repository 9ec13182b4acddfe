/*
 * The control socket's server: a listening Unix stream socket and its
 * clients, on the host process's event loop (src/base/evloop.h), single
 * threaded. The event loop callbacks only move bytes (accept, read into a
 * client's bounded line buffer, write its queued output); requests are run
 * by ctl_server_dispatch(), which the owner calls outside any callback --
 * the live lab calls it from the host's round hook (hv_host_set_round_fn),
 * so a command that waits (a send, a VM kill) runs the host loop itself
 * while other clients' bytes keep moving and their requests wait their
 * turn.
 *
 * A client cannot hurt the host: a line longer than CTL_LINE_MAX is refused,
 * a client that does not read its replies and events is disconnected once
 * CTL_OUT_MAX bytes wait for it, at most CTL_CLIENTS_MAX are served, and
 * one that disconnects in the middle of its request is forgotten once the
 * request finishes. Protocol: proto.h.
 */
#ifndef IOVLAB_CTL_SERVER_H
#define IOVLAB_CTL_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/evloop.h"
#include "ctl/proto.h"

#define CTL_OUT_MAX (4u << 20)	/* bytes queued for one client before it is dropped */
#define CTL_CLIENTS_MAX 64
#define CTL_BATCH 64		/* requests run per client per dispatch round */

struct ctl_server;

/*
 * A client connection's life (docs/live-lab.md has the diagram):
 *
 *   OPEN      reading and answering (before and after qmp_capabilities)
 *   DRAINING  the client shut its sending side: its whole lines still run
 *             and are answered, then the connection closes
 *   ORPHANED  the client hung up both ways: its whole lines still run,
 *             unanswered, then it closes
 *   CLOSED    descriptor closed; the memory goes once no request of it runs
 *
 * OPEN -> DRAINING -> ORPHANED -> CLOSED, and any of them -> CLOSED (an
 * error, a client that does not read, the server going away).
 */
enum ctl_conn_state {
	CTL_CONN_OPEN,
	CTL_CONN_DRAINING,
	CTL_CONN_ORPHANED,
	CTL_CONN_CLOSED,
	CTL_CONN_STATE_COUNT
};
const char *ctl_conn_state_name(enum ctl_conn_state st);
bool ctl_conn_state_transition_allowed(enum ctl_conn_state from, enum ctl_conn_state to);

struct ctl_server_config {
	const char *path;		/* the socket; its directory must exist */
	struct evloop *loop;		/* borrowed; outlives the server (or ctl_server_detach()) */
	const struct ctl_command *cmds;	/* the command table; borrowed */
	size_t ncmds;
	void *ctx;			/* passed to every handler */
	const char *version;		/* for the greeting, "0.1.0" */
};

/*
 * Bind and listen at cfg->path. A stale socket there (nobody answers) is
 * replaced; a live one is not (-EADDRINUSE). 0, or -errno with err saying
 * what. Free with ctl_server_destroy().
 */
int ctl_server_create(const struct ctl_server_config *cfg, struct ctl_server **out, char *err, size_t errlen);
/* Close every client and the socket, remove the socket file. NULL is a no-op. */
void ctl_server_destroy(struct ctl_server *s);

/*
 * Run the requests waiting on every client (at most CTL_BATCH per client),
 * queue the replies. Must not be called from an event loop callback; a call
 * made while a handler runs (its own waits reach the round hook) returns at
 * once.
 */
void ctl_server_dispatch(struct ctl_server *s);
/* Send an event to every client that has negotiated; data stolen (NULL: {}). */
void ctl_server_emit(struct ctl_server *s, const char *name, json_t *data);
/* Write what is queued, waiting at most timeout_ms in total (before shutting down). */
void ctl_server_flush(struct ctl_server *s, int timeout_ms);
/*
 * Leave the event loop before it goes away: stop listening (the socket
 * file is removed, new clients are refused) and stop watching the clients,
 * whose connections stay open until ctl_server_destroy().
 */
void ctl_server_detach(struct ctl_server *s);

const char *ctl_server_path(const struct ctl_server *s);
size_t ctl_server_client_count(const struct ctl_server *s);

#endif /* IOVLAB_CTL_SERVER_H */
