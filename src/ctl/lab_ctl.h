/*
 * The live lab's control (`iovlab up`): the control socket's server
 * (server.h) on a running host's event loop, with the administrator's
 * command table (commands.c: query-status, query-lab, show, ndiskd,
 * set-vmnetworkadapter, set-netadapteradvancedproperty, vm-start, vm-stop,
 * vm-kill, send, quit) and the events a watcher of the host sees
 * (VM_STATE_CHANGED, VF_DATAPATH_CHANGED, VF_STATE_CHANGED,
 * NIC_STATE_CHANGED, SHUTDOWN), detected after every round of the host's
 * loop by comparing with what the previous round saw (docs/live-lab.md).
 *
 * Owns the server and the host's round hook; the host, the lab and the
 * event loop belong to the caller and outlive it (the order of teardown:
 * ctl_lab_shutdown(), hv_host_destroy(), ctl_lab_destroy()).
 */
#ifndef IOVLAB_CTL_LAB_CTL_H
#define IOVLAB_CTL_LAB_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl/proto.h"
#include "hv/host.h"

struct ctl_lab;

/*
 * Serve host h at socket path (its directory must exist). lab_file is
 * what query-lab reports. 0 or -errno with err. The requests run from the
 * host's round hook: the owner only keeps calling hv_host_run().
 */
int ctl_lab_create(struct hv_host *h, const char *lab_file, const char *path, const char *version,
		   struct ctl_lab **out, char *err, size_t errlen);
/* A client asked to quit (the `quit` command). */
bool ctl_lab_quit_requested(const struct ctl_lab *c);
/*
 * Before the host goes: send SHUTDOWN {"reason": reason} to every client,
 * write what is queued (bounded), stop listening (the socket file goes),
 * and take the round hook off the host. Clients stay connected until
 * ctl_lab_destroy(), so `iovlab down` sees the host torn down when its
 * connection ends.
 */
void ctl_lab_shutdown(struct ctl_lab *c, const char *reason);
void ctl_lab_destroy(struct ctl_lab *c);	/* NULL is a no-op */

/*
 * For handlers that live outside commands.c: the host behind a handler's
 * ctx, and an event to every client (data stolen). Only from a handler or
 * the host's round hook.
 */
struct hv_host *ctl_lab_host(void *ctx);
void ctl_lab_emit(void *ctx, const char *name, json_t *data);

/* The command table (commands.c), for the fuzz target and query-commands. */
extern const struct ctl_command ctl_lab_commands[];
extern const size_t ctl_lab_command_count;

#endif /* IOVLAB_CTL_LAB_CTL_H */
