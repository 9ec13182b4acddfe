/*
 * `ndiskd netadapter`: WinDbg's !ndiskd.netadapter for the PFs of a host,
 * or inside a VM's guest (tools-and-views.md 1.7), private to src/views;
 * reached through views_show().
 */
#ifndef IOVLAB_VIEWS_NDISKD_H
#define IOVLAB_VIEWS_NDISKD_H

#include <stdio.h>

#include "views/views.h"

/*
 * argv: "ndiskd" "netadapter" [NIC | -handle NIC] [-iov] [-vfs] [-vports]
 * [-nicswitch] [-bindings], or "!ndiskd.netadapter" and the options.
 * With "-vm" VM: the adapters inside that VM's guest (-bindings, -iov; NIC
 * names a guest adapter), asked over its control channel -- it runs the
 * host's loop until the guest answers (bounded). -EAGAIN: the host runs no
 * guests (--host-only); -ENODEV: the VM's guest is not running;
 * -ETIMEDOUT: it did not answer.
 */
int ndiskd_show(struct hv_host *h, int argc, char *const argv[], enum views_output out, FILE *f, char *err,
		size_t errlen);

struct vmctl_ndiskd;
/*
 * Ask VM vm's guest NDIS for its adapters and bindings (the query behind
 * -vm VM), running the host's loop until it answers (bounded). 0 and *out,
 * or -EAGAIN/-ENOENT/-ENODEV/-ETIMEDOUT with err.
 */
int ndiskd_guest_query(struct hv_host *h, const char *vm, struct vmctl_ndiskd *out, char *err, size_t errlen);

#endif /* IOVLAB_VIEWS_NDISKD_H */
