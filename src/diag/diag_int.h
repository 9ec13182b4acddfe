/*
 * Private to src/diag (and its unit tests): the report's layout, the
 * per-adapter context the checks read, and the check table (checks.c).
 */
#ifndef IOVLAB_DIAG_DIAG_INT_H
#define IOVLAB_DIAG_DIAG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag/diag.h"
#include "diag/guest_facts.h"
#include "hv/host.h"
#include "hv/vmwp.h"

#define DIAG_TEXT 320
#define DIAG_EVIDENCE_MAX 8
#define DIAG_CATALOGUE_MAX 4

struct diag_link {
	enum diag_link_id id;
	enum diag_status status;
	char observed[DIAG_TEXT];		/* one line: what the state is */
	char evidence[DIAG_EVIDENCE_MAX][DIAG_TEXT];
	size_t nevidence;
	char fix[DIAG_TEXT];
	const char *catalogue[DIAG_CATALOGUE_MAX];	/* "F22": static strings */
	size_t ncatalogue;
};

struct diag_adapter {
	char vm[64], adapter[64];	/* "" for the host-only row of a lab without VM adapters */
	struct diag_link links[DIAG_LINK_COUNT];
	int first_broken;		/* index into links, -1: none */
};

struct diag_report {
	char lab[64];
	size_t nadapters;
	struct diag_adapter *adapters;
};

/* What the checks of one adapter read. Any pointer may be NULL. */
struct diag_ctx {
	struct hv_host *h;
	struct vstack_vmnic *n;
	struct vstack_vm *vm;
	struct vswitch *sw;
	struct hv_nic *nic;		/* the [nic] under the adapter's switch */
	struct ndis_adapter *pf;	/* its PF adapter */
	struct vmwp *w;			/* the VM's process */
	/* the guest's own answer */
	bool guest;			/* facts below are the guest's */
	char guest_why[DIAG_TEXT];	/* why there are none: "the VM's guest is not running" */
	struct diag_guest_facts g;
	const struct diag_guest_adapter *vf;	/* the VF adapter in the guest, NULL: none */
	bool mgmt_os;			/* no VM adapter: the row is the management OS's vNIC on sw (F30) */
	bool withdrawn;			/* the adapter had a VF data path and its VF was taken back (F29) */
	/* set by a check: the links after it are not reached, for this reason (not a break) */
	char stop[DIAG_TEXT];
};

typedef void diag_check_fn(struct diag_ctx *c, struct diag_link *l);

struct diag_check {
	enum diag_link_id id;
	const char *name;	/* the stable link id */
	const char *title;	/* what it checks, for the text and JSON */
	bool guest;		/* needs the guest's facts */
	diag_check_fn *check;
};

/* The chain in path order: diag_checks[i].id == i. */
extern const struct diag_check diag_checks[DIAG_LINK_COUNT];

/* Run every check of the chain over c into a (links, first_broken). */
void diag__walk(struct diag_ctx *c, struct diag_adapter *a);
/* Choose c->vf from c->g: the guest adapter on NDIS's PnP edge that is not NetVsc's. */
void diag__pick_vf(struct diag_ctx *c);

/* Helpers for the checks. */
__attribute__((format(printf, 2, 3))) void diag__ok(struct diag_link *l, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void diag__broken(struct diag_link *l, const char *cat, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void diag__warning(struct diag_link *l, const char *cat, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void diag__set(struct diag_link *l, enum diag_status s, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void diag__evidence(struct diag_link *l, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void diag__fix(struct diag_link *l, const char *fmt, ...);
void diag__catalogue(struct diag_link *l, const char *cat);

#endif /* IOVLAB_DIAG_DIAG_INT_H */
