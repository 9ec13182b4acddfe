/*
 * diagnose: walk the SR-IOV bring-up chain of a running host in path order
 * and name the first broken link, with its evidence and what fixes it
 * (failure-catalogue.md, "How people diagnose"; the link ids are the
 * diagnose contract of the helper brief, docs/diagnose.md). It reasons
 * only from the state the lab actually reached -- the platform model,
 * PCIe SriovSupport, the PF adapter's NDIS state, keywords and OID
 * records, the vSwitch and the virtualization stack, and what each running
 * guest reports about itself over the control channel (guest_facts.h) --
 * never from a lab's [fault] sections, so it says the same about a user's
 * own driver as about a lab's injected fault.
 *
 * Called by `iovlab diagnose` and the `diagnose` script step
 * (tools/cmd_diagnose.c, tools/cmd_run.c) and by anything else that has a
 * host (the live lab, topology). diag_run() runs the host's loop while it
 * waits for the guests' answers (bounded), so call it from the thread that
 * owns the host.
 */
#ifndef IOVLAB_DIAG_DIAG_H
#define IOVLAB_DIAG_DIAG_H

#include <stdio.h>

#include <jansson.h>

#include "hv/host.h"

struct diag_report;

/*
 * Diagnose every network adapter of VM vm (NULL: of every VM). 0 and *out
 * (free with diag_report_destroy), -ENOENT (no such VM), -ENOMEM, -EINVAL.
 */
int diag_run(struct hv_host *h, const char *vm, struct diag_report **out);
/* NULL is a no-op. */
void diag_report_destroy(struct diag_report *r);

/*
 * The report as JSON (a new reference): {"lab", "first_broken": {"id",
 * "catalogue", "summary", "evidence": [...], "fix", "vm", "adapter"} or
 * null, "warnings": [{"id", "catalogue", "summary", "vm", "adapter"}],
 * "adapters": [{"vm", "adapter", "first_broken", "links": [{"id", "title",
 * "status", "observed", "evidence", "fix", "catalogue"}]}]}.
 */
json_t *diag_report_json(const struct diag_report *r);
/* The report as text: one line per link, then the first broken link's block. 0 or -EIO. */
int diag_report_print(const struct diag_report *r, FILE *out);
/* The id of the first broken link ("vbd-interface"), or NULL when nothing is broken. */
const char *diag_report_first_broken(const struct diag_report *r);

/* ---- the chain (stable ids, path order) ----------------------------------------------- */
enum diag_link_id {
	DIAG_LINK_PLATFORM,
	DIAG_LINK_PCI,
	DIAG_LINK_PF_DRIVER,
	DIAG_LINK_KEYWORDS,
	DIAG_LINK_NIC_SWITCH,
	DIAG_LINK_VSWITCH_IOV,
	DIAG_LINK_IOV_WEIGHT,
	DIAG_LINK_VF_POOL,
	DIAG_LINK_VF_ALLOCATION,
	DIAG_LINK_VPORT_FILTERS,
	DIAG_LINK_VPCI_OFFER,
	DIAG_LINK_GUEST_DRIVER,
	DIAG_LINK_VBD_INTERFACE,
	DIAG_LINK_VF_MINIPORT,
	DIAG_LINK_NETVSC_BINDING,
	DIAG_LINK_DATAPATH_SWITCH,
	DIAG_LINK_TRAFFIC,
	DIAG_LINK_COUNT
};
const char *diag_link_name(enum diag_link_id id);	/* "vbd-interface" */

enum diag_status {
	DIAG_OK,
	DIAG_BROKEN,
	DIAG_WARNING,
	DIAG_NOT_REACHED,	/* an earlier link is broken, or the guest is not there to ask */
	DIAG_NA,		/* does not apply to this adapter */
};
const char *diag_status_name(enum diag_status s);	/* "ok", "broken", "warning", "not-reached", "n/a" */

/* Reading a report (tests, other tools). */
size_t diag_report_adapter_count(const struct diag_report *r);
const char *diag_report_adapter_vm(const struct diag_report *r, size_t i);
const char *diag_report_adapter_name(const struct diag_report *r, size_t i);
enum diag_status diag_report_link_status(const struct diag_report *r, size_t adapter, enum diag_link_id id);
/* The first catalogue row of the first broken link ("F22"), or NULL. */
const char *diag_report_first_catalogue(const struct diag_report *r);

#endif /* IOVLAB_DIAG_DIAG_H */
