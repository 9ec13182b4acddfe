/*
 * Child partitions as processes (see partition.h). The host side owns, per
 * partition: the guest memory, its end of a SOCK_SEQPACKET socketpair, and
 * a pidfd; both descriptors sit on the host's event loop. The socket feeds
 * checked messages to the bound VMBus server; the pidfd says the process
 * ended, which is the only thing that makes a partition "gone" (a closed
 * socket only gets the child killed, and the pidfd then reports it).
 */
#include "hv/partition.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/part_msg.h"

#define TOPIC "lab.hv.partition"
#define CHILD_SOCK_FD 3			/* where the child finds its socket */
#define CHILD_SETUP_TIMEOUT_MS 10000	/* the setup message is sent right after fork */
#define PARTITION_EXIT_SETUP 125	/* child could not complete setup */
#define MSGS_PER_ROUND 64		/* fairness: a chatty guest yields the loop */

struct partition {
	struct evloop *loop;
	char name[PART_NAME_MAX];
	uint32_t id;
	pid_t pid;
	int pidfd;
	int sock;
	bool sock_watched;
	struct guest_mem *mem;
	enum partition_state state;
	uint64_t bad_msgs;
	partition_gone_fn gone;
	void *gone_arg;
	partition__msg_fn bus_msg;
	partition__gone_fn bus_gone;
	void *bus_arg;
};

struct partition_guest {
	int sock;
	struct guest_mem *mem;
	uint32_t id;
	char name[PART_NAME_MAX + 1];
};

static uint32_t partition_next_id = 1;

static const char *const partition_state_names[PARTITION_STATE_COUNT] = {
	[PARTITION_STARTING] = "starting",
	[PARTITION_RUNNING] = "running",
	[PARTITION_GONE] = "gone",
};

/* partition_transitions[from] has bit `to` set when from -> to is legal. */
static const unsigned partition_transitions[PARTITION_STATE_COUNT] = {
	[PARTITION_STARTING] = 1u << PARTITION_RUNNING | 1u << PARTITION_GONE,
	[PARTITION_RUNNING] = 1u << PARTITION_GONE,
	[PARTITION_GONE] = 0,
};

const char *partition_state_name(enum partition_state s)
{
	return (unsigned)s < PARTITION_STATE_COUNT ? partition_state_names[s] : "?";
}

static int partition_set_state(struct partition *p, enum partition_state to)
{
	if (!(partition_transitions[p->state] & (1u << to))) {
		log_error(TOPIC, "partition %s: illegal state change %s -> %s refused", p->name,
			  partition_state_name(p->state), partition_state_name(to));
		return -EINVAL;
	}
	log_debug(TOPIC, "partition %s: %s -> %s", p->name, partition_state_name(p->state),
		  partition_state_name(to));
	p->state = to;
	return 0;
}

/* ---- child side ---------------------------------------------------------- */

static int child_setup(struct partition_guest *g)
{
	char buf[PART_MSG_MAX];
	struct part_msg_setup setup;
	struct pollfd pfd = { .fd = g->sock, .events = POLLIN };
	const char *why;
	unsigned nfds;
	int fds[PART_MSG_MAX_FDS];
	int n;

	if (poll(&pfd, 1, CHILD_SETUP_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	n = part_msg_recv(g->sock, buf, fds, &nfds, 0);
	if (n <= 0)
		return n ? n : -ECONNRESET;
	if (part_msg_check(buf, (size_t)n, nfds, PART_MSG_TO_GUEST, &why) ||
	    ((struct part_msg_hdr *)buf)->type != PART_MSG_SETUP) {
		part_msg_close_fds(fds, nfds);
		return -EBADMSG;
	}
	memcpy(&setup, buf, sizeof(setup));
	if (setup.version != PART_PROTO_V1) {
		close(fds[0]);
		return -EPROTONOSUPPORT;
	}
	g->id = setup.partition_id;
	memcpy(g->name, setup.name, PART_NAME_MAX);
	g->name[PART_NAME_MAX] = '\0';
	return gmem_attach(fds[0], setup.mem_size, &g->mem);
}

static __attribute__((noreturn)) void child_main(int sock, pid_t host, const struct partition_config *cfg,
						 const char *trace_path)
{
	struct partition_guest g = { .sock = CHILD_SOCK_FD };
	sigset_t none;
	int err, rc;

	/* The host's trace file is not ours: forget it before anything logs. */
	trace_fork_child();

	/* Die with the host; if it is already gone, do not start. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != host)
		_exit(PARTITION_EXIT_SETUP);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Keep stdio and the socket; every other descriptor of the host
	 * (other partitions' memory and sockets, the event loop) goes. */
	if (sock != CHILD_SOCK_FD && dup2(sock, CHILD_SOCK_FD) < 0)
		_exit(PARTITION_EXIT_SETUP);
	close_range(CHILD_SOCK_FD + 1, ~0u, 0);
	/* Our own trace file, the one the host chose at start (base/trace.h). */
	if (trace_path && (err = trace_sink_open(trace_path, cfg->name)))
		log_warn(TOPIC, "partition %s: cannot open its trace file %s: %s", cfg->name, trace_path,
			 strerror(-err));

	err = child_setup(&g);
	if (err) {
		log_error(TOPIC, "partition child %d: setup failed: %s", (int)getpid(), strerror(-err));
		_exit(PARTITION_EXIT_SETUP);
	}
	log_debug(TOPIC, "partition %s: guest process %d running", g.name, (int)getpid());
	rc = cfg->entry(&g, cfg->entry_arg);
	gmem_destroy(g.mem);
	_exit(rc & 0xff);
}

struct guest_mem *partition_guest_mem(const struct partition_guest *g)
{
	return g->mem;
}

int partition_guest_sock(const struct partition_guest *g)
{
	return g->sock;
}

uint32_t partition_guest_id(const struct partition_guest *g)
{
	return g->id;
}

const char *partition_guest_name(const struct partition_guest *g)
{
	return g->name;
}

/* ---- host side ----------------------------------------------------------- */

static void partition_unwatch(struct partition *p)
{
	if (p->sock_watched) {
		evloop_del(p->loop, p->sock);
		p->sock_watched = false;
	}
	if (p->pidfd >= 0)
		evloop_del(p->loop, p->pidfd);
}

static void partition_reaped(struct partition *p, int wstatus)
{
	partition_gone_fn gone = p->gone;
	void *arg = p->gone_arg;

	partition_unwatch(p);
	partition_set_state(p, PARTITION_GONE);
	if (WIFSIGNALED(wstatus))
		log_warn(TOPIC, "partition %s (pid %d) killed by signal %d", p->name, (int)p->pid,
			 WTERMSIG(wstatus));
	else
		log_info(TOPIC, "partition %s (pid %d) exited with status %d", p->name, (int)p->pid,
			 WEXITSTATUS(wstatus));
	if (p->bus_gone)
		p->bus_gone(p->bus_arg);
	if (gone)
		gone(p, wstatus, arg);	/* may free p */
}

static int wstatus_from(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return (si->si_status & 0xff) << 8;
	return (si->si_status & 0x7f) | (si->si_code == CLD_DUMPED ? 0x80 : 0);
}

static void on_pidfd(int fd, uint32_t events, void *arg)
{
	struct partition *p = arg;
	siginfo_t si;

	(void)events;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0) {
		log_error(TOPIC, "partition %s: waitid: %s", p->name, strerror(errno));
		return;
	}
	if (si.si_pid == 0)
		return;	/* not exited yet */
	partition_reaped(p, wstatus_from(&si));
}

int partition_kill(struct partition *p)
{
	if (p->state == PARTITION_GONE)
		return 0;
	if (pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0) && errno != ESRCH)
		return -errno;
	return 0;
}

static void partition_hangup(struct partition *p, const char *why)
{
	/* Normal at exit: the socket closes just before the pidfd reports. */
	log_debug(TOPIC, "partition %s: partition socket %s; stopping the partition", p->name, why);
	if (p->sock_watched) {
		evloop_del(p->loop, p->sock);
		p->sock_watched = false;
	}
	partition_kill(p);
}

static void on_sock(int fd, uint32_t events, void *arg)
{
	struct partition *p = arg;

	(void)events;
	for (int i = 0; i < MSGS_PER_ROUND; i++) {
		char buf[PART_MSG_MAX];
		int fds[PART_MSG_MAX_FDS];
		unsigned nfds;
		const char *why;
		int n = part_msg_recv(fd, buf, fds, &nfds, MSG_DONTWAIT);

		if (n == -EAGAIN)
			return;
		if (n == -EMSGSIZE) {
			p->bad_msgs++;
			log_warn(TOPIC, "partition %s: oversized message refused", p->name);
			continue;
		}
		if (n <= 0) {
			partition_hangup(p, n == 0 ? "closed by the guest" : strerror(-n));
			return;
		}
		if (part_msg_check(buf, (size_t)n, nfds, PART_MSG_TO_HOST, &why)) {
			part_msg_close_fds(fds, nfds);
			p->bad_msgs++;
			log_warn(TOPIC, "partition %s: message type 0x%x, %d bytes refused: %s",
				 p->name, ((struct part_msg_hdr *)buf)->type, n, why);
			continue;
		}
		if (p->state == PARTITION_STARTING)
			partition_set_state(p, PARTITION_RUNNING);
		if (p->bus_msg)
			p->bus_msg(buf, (size_t)n, p->bus_arg);
		else
			log_debug(TOPIC, "partition %s: %s dropped, no bus bound", p->name,
				  part_msg_name(((struct part_msg_hdr *)buf)->type));
	}
}

int partition_create(struct evloop *loop, const struct partition_config *cfg,
		     struct partition **out)
{
	struct part_msg_setup setup;
	struct partition *p;
	int sv[2], err, memfd;
	pid_t host = getpid();
	char trace_path[PATH_MAX];
	bool traced;

	if (!loop || !cfg || !cfg->entry || !cfg->name || strlen(cfg->name) >= PART_NAME_MAX)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->loop = loop;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name);
	p->id = partition_next_id++;
	p->pidfd = -1;
	p->gone = cfg->gone;
	p->gone_arg = cfg->gone_arg;
	p->state = PARTITION_STARTING;

	err = gmem_create(cfg->name, cfg->mem_size, &p->mem);
	if (err)
		goto fail_mem;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		err = -errno;
		goto fail_sock;
	}
	/* With a trace session, the child writes its own file (merged by the host). */
	traced = trace_session_child_path(cfg->name, trace_path, sizeof(trace_path)) == 0;
	fflush(NULL);	/* no buffered output is written twice */
	p->pid = fork();
	if (p->pid < 0) {
		err = -errno;
		goto fail_fork;
	}
	if (p->pid == 0) {
		close(sv[0]);
		child_main(sv[1], host, cfg, traced ? trace_path : NULL);
	}
	close(sv[1]);
	p->sock = sv[0];
	/* A guest that stops reading must not stall the host: sends fail with
	 * -EAGAIN instead of blocking. */
	if (fcntl(p->sock, F_SETFL, O_NONBLOCK)) {
		err = -errno;
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		goto fail_pidfd;
	}
	p->pidfd = pidfd_open(p->pid, 0);
	if (p->pidfd < 0) {
		err = -errno;
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		goto fail_pidfd;
	}

	memset(&setup, 0, sizeof(setup));
	setup.hdr = (struct part_msg_hdr){ .type = PART_MSG_SETUP, .size = sizeof(setup) };
	setup.version = PART_PROTO_CURRENT;
	setup.partition_id = p->id;
	setup.mem_size = gmem_size(p->mem);
	memcpy(setup.name, p->name, strlen(p->name));
	memfd = gmem_fd(p->mem);
	err = part_msg_send(p->sock, &setup.hdr, &memfd, 1);
	if (err)
		goto fail_run;
	err = evloop_add(loop, p->pidfd, EPOLLIN, on_pidfd, p);
	if (err)
		goto fail_run;
	err = evloop_add(loop, p->sock, EPOLLIN, on_sock, p);
	if (err)
		goto fail_watch;
	p->sock_watched = true;
	log_info(TOPIC, "partition %s (id %u) started as pid %d, 0x%llx bytes of guest memory",
		 p->name, p->id, (int)p->pid, (unsigned long long)setup.mem_size);
	*out = p;
	return 0;

fail_watch:
	evloop_del(loop, p->pidfd);
fail_run:
	pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
	waitid(P_PIDFD, (id_t)p->pidfd, &(siginfo_t){ 0 }, WEXITED);
	close(p->pidfd);
fail_pidfd:
	close(p->sock);
	goto fail_sock;
fail_fork:
	close(sv[0]);
	close(sv[1]);
fail_sock:
	gmem_destroy(p->mem);
fail_mem:
	free(p);
	return err;
}

void partition_destroy(struct partition *p)
{
	if (!p)
		return;
	partition_unwatch(p);
	if (p->state != PARTITION_GONE) {
		siginfo_t si;

		/* SIGKILL cannot be caught, so this wait is bounded by the kernel. */
		pidfd_send_signal(p->pidfd, SIGKILL, NULL, 0);
		memset(&si, 0, sizeof(si));
		while (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
		p->state = PARTITION_GONE;
	}
	close(p->pidfd);
	close(p->sock);
	gmem_destroy(p->mem);
	free(p);
}

enum partition_state partition_state(const struct partition *p)
{
	return p->state;
}

pid_t partition_pid(const struct partition *p)
{
	return p->pid;
}

const char *partition_name(const struct partition *p)
{
	return p->name;
}

uint32_t partition_id(const struct partition *p)
{
	return p->id;
}

struct guest_mem *partition_mem(const struct partition *p)
{
	return p->mem;
}

uint64_t partition_bad_msgs(const struct partition *p)
{
	return p->bad_msgs;
}

int partition__bind_bus(struct partition *p, partition__msg_fn msg, partition__gone_fn gone,
			void *arg)
{
	if (p->bus_msg)
		return -EBUSY;
	p->bus_msg = msg;
	p->bus_gone = gone;
	p->bus_arg = arg;
	return 0;
}

void partition__unbind_bus(struct partition *p)
{
	p->bus_msg = NULL;
	p->bus_gone = NULL;
	p->bus_arg = NULL;
}

int partition__send(struct partition *p, const struct part_msg_hdr *msg, const int *fds,
		    unsigned nfds)
{
	if (p->state == PARTITION_GONE)
		return -ENODEV;
	return part_msg_send(p->sock, msg, fds, nfds);
}

struct evloop *partition__loop(const struct partition *p)
{
	return p->loop;
}
