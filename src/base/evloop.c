/*
 * epoll behind evloop.h. Registrations live in a list; epoll's data pointer
 * names the registration. Removing one during a round only marks it dead,
 * and dead ones are freed when the round ends, so a ready event that is
 * still queued in the same round never reaches freed memory.
 */
#include "base/evloop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVLOOP_MAX_EVENTS 32

struct evloop_reg {
	struct evloop_reg *next;
	int fd;
	bool dead;
	evloop_fd_fn fn;
	void *arg;
};

struct evloop {
	int epfd;
	struct evloop_reg *regs;
	bool in_round;
};

int evloop_create(struct evloop **out)
{
	struct evloop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int err = -errno;

		free(loop);
		return err;
	}
	*out = loop;
	return 0;
}

static void evloop_reap(struct evloop *loop)
{
	struct evloop_reg **pp = &loop->regs;

	while (*pp) {
		struct evloop_reg *reg = *pp;

		if (reg->dead) {
			*pp = reg->next;
			free(reg);
		} else {
			pp = &reg->next;
		}
	}
}

void evloop_destroy(struct evloop *loop)
{
	if (!loop)
		return;
	for (struct evloop_reg *reg = loop->regs; reg; reg = reg->next)
		reg->dead = true;
	evloop_reap(loop);
	close(loop->epfd);
	free(loop);
}

static struct evloop_reg *evloop_find(struct evloop *loop, int fd)
{
	for (struct evloop_reg *reg = loop->regs; reg; reg = reg->next)
		if (reg->fd == fd && !reg->dead)
			return reg;
	return NULL;
}

int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fd_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct evloop_reg *reg;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (evloop_find(loop, fd))
		return -EEXIST;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	reg->fd = fd;
	reg->fn = fn;
	reg->arg = arg;
	ev.data.ptr = reg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		free(reg);
		return err;
	}
	reg->next = loop->regs;
	loop->regs = reg;
	return 0;
}

int evloop_del(struct evloop *loop, int fd)
{
	struct evloop_reg *reg = evloop_find(loop, fd);

	if (!reg)
		return -ENOENT;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	reg->dead = true;
	if (!loop->in_round)
		evloop_reap(loop);
	return 0;
}

int evloop_run_once(struct evloop *loop, int timeout_ms)
{
	struct epoll_event evs[EVLOOP_MAX_EVENTS];
	int n, ran = 0;

	n = epoll_wait(loop->epfd, evs, EVLOOP_MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->in_round = true;
	for (int i = 0; i < n; i++) {
		struct evloop_reg *reg = evs[i].data.ptr;

		if (reg->dead)
			continue;
		reg->fn(reg->fd, evs[i].events, reg->arg);
		ran++;
	}
	loop->in_round = false;
	evloop_reap(loop);
	return ran;
}
