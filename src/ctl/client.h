/*
 * The client side of the control socket (proto.h), for the `iovlab`
 * commands that talk to a running lab (tools/cmd_live.c) and for tests:
 * connect and negotiate, run a command and wait for its reply, read
 * events. Blocking, with timeouts; one connection per struct ctl_client.
 *
 * Where the socket is (ctl_socket_path(), ctl_socket_find()): `iovlab up`
 * and every client apply the same rule -- --socket PATH, else $IOVLAB_SOCKET
 * (clients), else $XDG_RUNTIME_DIR/iovlab/LAB.sock, or /tmp/iovlab-UID/LAB.sock
 * when XDG_RUNTIME_DIR is not set.
 */
#ifndef IOVLAB_CTL_CLIENT_H
#define IOVLAB_CTL_CLIENT_H

#include <jansson.h>
#include <stddef.h>

struct ctl_client;

/*
 * Connect to path, read the greeting, negotiate capabilities; at most
 * timeout_ms for all of it. 0, or -errno with err saying what.
 */
int ctl_client_connect(const char *path, int timeout_ms, struct ctl_client **out, char *err, size_t errlen);
void ctl_client_close(struct ctl_client *c);	/* NULL is a no-op */

/*
 * Run cmd with args (stolen; NULL: none) and wait for its reply, however
 * long the command runs; events that arrive meanwhile are kept for
 * ctl_client_next_event(). 0 with *ret (a new reference, the "return"
 * value); -EREMOTE when the server answered with an error (err is its
 * "desc"); -errno when the connection failed (err says so).
 */
int ctl_client_execute(struct ctl_client *c, const char *cmd, json_t *args, json_t **ret, char *err,
		       size_t errlen);
/*
 * The next event: 1 with *ev (a new reference, the whole {"event": ...}
 * message); 0 when none came in timeout_ms (-1: wait for ever); -errno when
 * the connection ended.
 */
int ctl_client_next_event(struct ctl_client *c, int timeout_ms, json_t **ev);

/* The directory the default sockets live in ($XDG_RUNTIME_DIR/iovlab or /tmp/iovlab-UID). */
int ctl_socket_dir(char *buf, size_t len);
/*
 * The default socket of lab name: DIR/NAME.sock, characters other than
 * [A-Za-z0-9._-] in name replaced by '_'. With create, DIR is made (0700)
 * if missing. 0, -ENAMETOOLONG, or -errno from mkdir.
 */
int ctl_socket_path(const char *name, char *buf, size_t len, int create);
/*
 * A client's socket: explicit (--socket) if given, else $IOVLAB_SOCKET,
 * else the default path of lab (--lab NAME) if given, else the one socket
 * in DIR (several or none: an error listing what there is). 0 or -errno
 * with err.
 */
int ctl_socket_find(const char *explicit_path, const char *lab, char *buf, size_t len, char *err, size_t errlen);

#endif /* IOVLAB_CTL_CLIENT_H */
