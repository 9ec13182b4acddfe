/*
 * A small epoll event loop for the host process: the root partition waits
 * on partition sockets (VMBus control messages), pidfds (a VM process
 * exited) and channel eventfds (a guest rang a doorbell) in one place. Single
 * threaded: callbacks run inside evloop_run_once() on the caller's thread.
 */
#ifndef IOVLAB_BASE_EVLOOP_H
#define IOVLAB_BASE_EVLOOP_H

#include <stdint.h>

struct evloop;

/*
 * Called when fd is ready; events is the epoll mask (EPOLLIN, EPOLLHUP ...).
 * The callback may add or remove any registration, its own included; a
 * registration removed during a round is not called again in that round.
 */
typedef void (*evloop_fd_fn)(int fd, uint32_t events, void *arg);

/* Caller owns *out; free with evloop_destroy(). Returns 0 or -errno. */
int evloop_create(struct evloop **out);

/* Frees the loop and its registrations; closes no descriptor. NULL is a no-op. */
void evloop_destroy(struct evloop *loop);

/*
 * Watch fd for events (EPOLLIN ...). The descriptor stays owned by the
 * caller, who must evloop_del() it before closing it. Returns 0, -EEXIST if
 * fd is already watched, or -errno.
 */
int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fd_fn fn, void *arg);

/* Stop watching fd. Returns 0 or -ENOENT. */
int evloop_del(struct evloop *loop, int fd);

/*
 * Wait up to timeout_ms (-1: forever, 0: do not block) and run the
 * callbacks of the ready descriptors. Returns the number of callbacks run
 * (0 on timeout) or -errno; EINTR counts as a timeout.
 */
int evloop_run_once(struct evloop *loop, int timeout_ms);

#endif /* IOVLAB_BASE_EVLOOP_H */
