/*
 * `ndiskd netadapter`: WinDbg's !ndiskd.netadapter for the PFs of a host
 * (tools-and-views.md 1.7), private to src/views; reached through
 * views_show().
 */
#ifndef IOVLAB_VIEWS_NDISKD_H
#define IOVLAB_VIEWS_NDISKD_H

#include <stdio.h>

#include "views/views.h"

/*
 * argv: "ndiskd" "netadapter" [NIC | -handle NIC] [-iov] [-vfs] [-vports]
 * [-nicswitch] [-bindings], or "!ndiskd.netadapter" and the options.
 */
int ndiskd_show(struct hv_host *h, int argc, char *const argv[], enum views_output out, FILE *f, char *err,
		size_t errlen);

#endif /* IOVLAB_VIEWS_NDISKD_H */
