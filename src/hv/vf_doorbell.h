/*
 * The host half of a VF's shared BAR page (wire/vmctl.h, struct
 * vmctl_db_page): what the virtualization stack's srnic VF personality does
 * instead of serving every queue-tail write as one request on the VM's MMIO
 * channel. The guest lends a page of its memory (the memfd both processes
 * map) for the VF's register BAR; its NdisWriteRegisterUlong to a tail
 * register writes the page and kicks the MMIO channel's eventfd only when
 * the device said it sleeps (need_kick). vmwp.c creates one vf_db per VF
 * whose guest asked (VMCTL_MMIO_DOORBELL), drains it on a kick and before
 * any slow request of that VM (so page writes and requests keep their
 * order), and destroys it with the VF's DMA domain. The host loop
 * (hv_host_run) polls the pages that had work recently -- a ready set,
 * never every page -- and puts a page to sleep (need_kick = 1) after
 * VF_DB_IDLE_NS without work. The device's completions come back through
 * srnic's event hook; a guest that armed its interrupt (irq_armed) gets one
 * eventfd signal on the same channel, the rest are suppressed. The VF's
 * link and error causes (and a reset by the PF) are posted in the page
 * (misc_cause) with the same interrupt, so an idle guest can sleep.
 *
 * Registers with side effects (CTRL, INT_*, queue programming, statistics)
 * stay on the request path; only srnic's TX_TAIL and RX_TAIL of each VF
 * queue pair are shadowed. docs/hv/vf-doorbell.md has the picture and the
 * contract. Single-threaded, on the host's event loop.
 */
#ifndef IOVLAB_HV_VF_DOORBELL_H
#define IOVLAB_HV_VF_DOORBELL_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/vmctl.h"

struct srnic;
struct vf_db;

/* Signal the guest (its interrupt): vmwp.c kicks the VM's MMIO channel. Called from the host loop. */
typedef void (*vf_db_signal_fn)(void *ctx);

#define VF_DB_IDLE_NS 50000ll	/* a page without work this long goes to sleep (need_kick) */

/*
 * A page's state (docs/hv/vf-doorbell.md): ASLEEP -- need_kick = 1, the host
 * looks at it only on a kick or before a slow request; BUSY -- in the ready
 * set, swept by the host loop, need_kick = 0.
 *   ASLEEP --kick, slow request, or new values found--> BUSY
 *   BUSY --VF_DB_IDLE_NS without work, values unchanged after the fence--> ASLEEP
 */
enum vf_db_state {
	VF_DB_ASLEEP,
	VF_DB_BUSY,
	VF_DB_STATE_COUNT
};
const char *vf_db_state_name(enum vf_db_state s);
bool vf_db_state_transition_allowed(enum vf_db_state from, enum vf_db_state to);

/*
 * Take page (the host's view of the guest's page, inside the VM's memory,
 * VMCTL_DB_PAGE_SIZE bytes) for function fn (n = VF n) of nic; interrupts
 * go through signal(ctx). Fills the page's configuration and leaves the
 * device asleep (need_kick = 1). 0 and *out, -EINVAL, -EBUSY (fn has a
 * page), -ENOMEM.
 */
int vf_db_create(struct srnic *nic, unsigned fn, struct vmctl_db_page *page, vf_db_signal_fn signal, void *ctx,
		 struct vf_db **out);
/* Stop using the page (the VF left the VM, or the VM is gone). NULL is a no-op. */
void vf_db_destroy(struct vf_db *db);
/* Slots the page carries (the MMIO answer's value). */
unsigned vf_db_slots(const struct vf_db *db);

/*
 * The guest kicked, or is about to make a slow request: apply every new
 * write on this page (and the RX tails of the busy pages first), then
 * deliver the interrupts that became due. Returns the writes applied.
 */
unsigned vf_db_drain(struct vf_db *db);

/*
 * The host loop: one sweep over the busy pages (drain, or put to sleep after
 * VF_DB_IDLE_NS without work) and the due interrupts. True while some page
 * is busy: the caller should not block in its wait.
 */
bool vf_db_host_poll(void);
bool vf_db_host_busy(void);
/* Pages in the ready set now (BUSY): what a sweep walks. */
unsigned vf_db_busy_pages(void);

/* Process-wide counters (pages destroyed included), for `iovlab bench`. */
struct vf_db_stats {
	uint64_t pages;		/* pages taken so far */
	uint64_t writes;	/* new slot values applied to the device */
	uint64_t tx_writes;	/* ... of them TX tails (the doorbells that move frames) */
	uint64_t kicks;		/* eventfd kicks the guests sent (their page counters) */
	uint64_t wakeups;	/* drains started by a kick or a slow request */
	uint64_t sweeps;	/* host-loop sweeps with at least one busy page */
	uint64_t sleeps;	/* times a page went to sleep (need_kick = 1) */
	uint64_t interrupts;	/* eventfd signals to guests */
	uint64_t suppressed;	/* completions that needed no signal (guest not armed) */
	uint64_t yields;	/* sweeps that found nothing and gave the CPU away (sched_yield) */
};
void vf_db_get_stats(struct vf_db_stats *st);

#endif /* IOVLAB_HV_VF_DOORBELL_H */
