/*
 * The host half of the VF's shared BAR page (vf_doorbell.h): a registry of
 * the pages in this process, per NIC a table function -> page for srnic's
 * event hook, the ready set of busy pages the host loop sweeps, and the
 * interrupts that became due. Layout and contract: wire/vmctl.h
 * (struct vmctl_db_page); docs/hv/vf-doorbell.md.
 *
 * The srnic personality: slot 2q is queue pair q's RX_TAIL, slot 2q+1 its
 * TX_TAIL, every one a kick slot. A sweep applies the RX tails of every
 * busy page before any TX tail, so a receiver's reposted buffers are in the
 * device before a sender's frames look for them.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "hv/vf_doorbell.h"
#include "hw/srnic/srnic.h"
#include "wire/srnic_regs.h"

#define DB_LOG "lab.hv.doorbell"
#define DB_MAX 512u		/* pages in one process (VMs x VFs) */
#define DB_NICS 8u

struct vf_db {
	struct srnic *nic;
	unsigned fn;
	struct vmctl_db_page *page;	/* guest memory: read with care, trust nothing */
	vf_db_signal_fn signal;
	void *signal_ctx;
	unsigned nslots;
	uint32_t reg[VMCTL_DB_SLOTS];	/* host's own copy: never read back from the page */
	bool tx[VMCTL_DB_SLOTS];
	uint64_t seen[VMCTL_DB_SLOTS];	/* the slot word last applied */
	uint64_t kicks0;		/* the page's kick counter when it was taken */
	enum vf_db_state state;
	unsigned busy_at;		/* index in busy[] while BUSY */
	uint32_t misc;			/* SRNIC_INT_LINK/ERROR not yet posted to the page */
	bool irq_due;			/* the device completed something since the last interrupt check */
	int64_t last_work;
};

struct db_nic {
	struct srnic *nic;
	struct vf_db *by_fn[SRNIC_TOTAL_VFS + 1];
	unsigned pages;
};

static struct vf_db *all[DB_MAX];
static unsigned nall;
static struct vf_db *due[DB_MAX];	/* irq_due set */
static unsigned ndue;
static struct db_nic nics[DB_NICS];
static struct vf_db_stats totals;
/*
 * The ready set: the BUSY pages, in no order. A sweep, a drain and the
 * sleep check walk this list only, so a turn of the host loop costs
 * O(busy pages), never O(pages) (perf-limits.md: "never poll 256 idle
 * rings -- keep a ready set"). set_state() is the only writer.
 */
static struct vf_db *busy[DB_MAX];
static unsigned nbusy;

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static struct db_nic *nic_slot(struct srnic *nic, bool create)
{
	struct db_nic *free_slot = NULL;

	for (unsigned i = 0; i < DB_NICS; i++) {
		if (nics[i].nic == nic)
			return &nics[i];
		if (!nics[i].nic && !free_slot)
			free_slot = &nics[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->nic = nic;
	return free_slot;
}

/* srnic's event hook: record only (we are inside a doorbell). */
static void on_device_event(void *ctx, unsigned fn, uint32_t causes)
{
	struct db_nic *n = ctx;
	struct vf_db *db;

	if (fn > SRNIC_TOTAL_VFS || !(db = n->by_fn[fn]))
		return;
	/* Link and error causes (the misc vector) are posted to the page too:
	 * the guest's driver checks its link and health on them. */
	db->misc |= causes & (SRNIC_INT_LINK | SRNIC_INT_ERROR);
	if (db->irq_due)
		return;
	db->irq_due = true;
	if (ndue < DB_MAX)
		due[ndue++] = db;
}

/*
 * Contract (wire/vmctl.h, "interrupt"): the device wrote its descriptors
 * (DONE with release) before the hook recorded the page; the exchange is a
 * full barrier, so either we see irq_armed == 1 and signal, or the guest --
 * which set irq_armed, fenced, then polled -- sees the descriptors.
 */
static void deliver_interrupts(void)
{
	for (unsigned i = 0; i < ndue; i++) {
		struct vf_db *db = due[i];

		if (!db)
			continue;
		db->irq_due = false;
		if (db->misc) {
			/* Posted before the exchange below (a full barrier): a guest
			 * that armed and is signalled, or that polls after arming,
			 * sees it (wire/vmctl.h, misc_cause). */
			__atomic_fetch_or(&db->page->misc_cause, db->misc, __ATOMIC_RELAXED);
			db->misc = 0;
		}
		if (__atomic_exchange_n(&db->page->irq_armed, 0, __ATOMIC_SEQ_CST)) {
			totals.interrupts++;
			db->signal(db->signal_ctx);
		} else {
			totals.suppressed++;
		}
	}
	ndue = 0;
}

const char *vf_db_state_name(enum vf_db_state s)
{
	static const char *const names[VF_DB_STATE_COUNT] = { "Asleep", "Busy" };

	return (unsigned)s < VF_DB_STATE_COUNT ? names[s] : "?";
}

static const bool db_transitions[VF_DB_STATE_COUNT][VF_DB_STATE_COUNT] = {
	[VF_DB_ASLEEP] = { [VF_DB_BUSY] = true },
	[VF_DB_BUSY] = { [VF_DB_ASLEEP] = true },
};

bool vf_db_state_transition_allowed(enum vf_db_state from, enum vf_db_state to)
{
	return (unsigned)from < VF_DB_STATE_COUNT && (unsigned)to < VF_DB_STATE_COUNT && db_transitions[from][to];
}

/* The one place a page changes state; staying in a state is not a transition. */
static void set_state(struct vf_db *db, enum vf_db_state to)
{
	if (db->state == to)
		return;
	if (!vf_db_state_transition_allowed(db->state, to)) {
		log_error(DB_LOG, "VF %u: illegal doorbell page transition %s -> %s", db->fn, vf_db_state_name(db->state),
			  vf_db_state_name(to));
		return;
	}
	log_trace(DB_LOG, "VF %u: doorbell page %s -> %s", db->fn, vf_db_state_name(db->state), vf_db_state_name(to));
	if (to == VF_DB_BUSY) {
		db->busy_at = nbusy;
		busy[nbusy++] = db;
	} else {
		/* swap the last busy page into this one's place */
		busy[db->busy_at] = busy[--nbusy];
		busy[db->busy_at]->busy_at = db->busy_at;
	}
	db->state = to;
}

/* Apply the page's new writes of one kind (TX tails or the others). */
static unsigned apply(struct vf_db *db, bool tx)
{
	unsigned n = 0;

	for (unsigned k = 0; k < db->nslots; k++) {
		uint64_t w;

		if (db->tx[k] != tx)
			continue;
		/* Contract: acquire pairs with the guest's release store, so the
		 * descriptors the tail covers are visible to the device. */
		w = __atomic_load_n(&db->page->value[k], __ATOMIC_ACQUIRE);
		if (w == db->seen[k])
			continue;
		db->seen[k] = w;
		/* The device checks the value like any register write (a tail
		 * outside the ring puts the queue in error). */
		(void)srnic_mmio_write32(db->nic, db->fn, SRNIC_BAR_REGS, db->reg[k], (uint32_t)w);
		n++;
		totals.writes++;
		if (tx)
			totals.tx_writes++;
	}
	if (n) {
		db->last_work = now_ns();
		set_state(db, VF_DB_BUSY);
	}
	return n;
}

static bool go_to_sleep(struct vf_db *db);

/* Every busy page's RX tails (and db's), then db's TX tails. */
static unsigned drain_one(struct vf_db *db, unsigned *own)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nbusy; i++)
		if (busy[i] != db)
			n += apply(busy[i], false);
	*own = apply(db, false);
	*own += apply(db, true);
	return n + *own;
}

unsigned vf_db_drain(struct vf_db *db)
{
	bool was_asleep;
	unsigned n, own;

	if (!db)
		return 0;
	totals.wakeups++;
	was_asleep = db->state == VF_DB_ASLEEP;
	/* While we drain, the guest need not kick: we look again before sleeping. */
	__atomic_store_n(&db->page->need_kick, 0, __ATOMIC_RELAXED);
	db->last_work = now_ns();
	set_state(db, VF_DB_BUSY);
	n = drain_one(db, &own);
	/*
	 * A slow request (an idle driver's health check) or a kick that found
	 * nothing new: back to sleep at once, by the contract's own steps
	 * (need_kick = 1, fence, re-read), instead of keeping an idle page in
	 * the ready set for VF_DB_IDLE_NS -- which with 256 idle VFs kept the
	 * host loop from ever blocking. A page that had work stays busy.
	 */
	if (!own && was_asleep)
		(void)go_to_sleep(db);
	deliver_interrupts();
	return n;
}

/*
 * Contract (wire/vmctl.h, "doorbell"): need_kick = 1, a full fence, then the
 * values once more. A write the guest made before it could see need_kick
 * is caught here; any later one kicks.
 */
static bool go_to_sleep(struct vf_db *db)
{
	__atomic_store_n(&db->page->need_kick, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned k = 0; k < db->nslots; k++)
		if (__atomic_load_n(&db->page->value[k], __ATOMIC_RELAXED) != db->seen[k]) {
			__atomic_store_n(&db->page->need_kick, 0, __ATOMIC_RELAXED);
			return false;	/* a write raced with us: stay busy */
		}
	set_state(db, VF_DB_ASLEEP);
	totals.sleeps++;
	return true;
}

bool vf_db_host_poll(void)
{
	int64_t now;

	if (nbusy) {
		unsigned n = 0;

		totals.sweeps++;
		/* apply() keeps a page busy, never removes one: the list is stable here */
		for (unsigned i = 0; i < nbusy; i++)
			n += apply(busy[i], false);
		for (unsigned i = 0; i < nbusy; i++)
			n += apply(busy[i], true);
		/*
		 * An empty sweep while pages are busy: the guests that will write
		 * the next tails need a CPU more than we need to look again at
		 * once (on two vCPUs the host, a sender and a receiver compete;
		 * perf showed the receiving guest waiting and its ring overflowing).
		 * Yielding costs a system call when nobody else is runnable.
		 */
		if (!n) {
			totals.yields++;
			sched_yield();
		}
		now = now_ns();
		/* backwards: a page that goes to sleep is replaced by the last one */
		for (unsigned i = nbusy; i-- > 0;)
			if (now - busy[i]->last_work > VF_DB_IDLE_NS)
				(void)go_to_sleep(busy[i]);
	}
	deliver_interrupts();
	return nbusy != 0;
}

bool vf_db_host_busy(void)
{
	return nbusy != 0;
}

unsigned vf_db_busy_pages(void)
{
	return nbusy;
}

int vf_db_create(struct srnic *nic, unsigned fn, struct vmctl_db_page *page, vf_db_signal_fn signal, void *ctx,
		 struct vf_db **out)
{
	struct db_nic *n;
	struct vf_db *db;

	*out = NULL;
	if (!nic || !page || !signal || fn < 1 || fn > SRNIC_TOTAL_VFS)
		return -EINVAL;
	if (nall >= DB_MAX || !(n = nic_slot(nic, true)))
		return -ENOMEM;
	if (n->by_fn[fn])
		return -EBUSY;
	if (!(db = calloc(1, sizeof(*db))))
		return -ENOMEM;
	db->nic = nic;
	db->fn = fn;
	db->page = page;
	db->signal = signal;
	db->signal_ctx = ctx;
	db->state = VF_DB_ASLEEP;
	for (unsigned q = 0; q < SRNIC_VF_NUM_QP && db->nslots + 2 <= VMCTL_DB_SLOTS; q++) {
		db->reg[db->nslots] = SRNIC_REG_QP(q, SRNIC_QP_RX_TAIL);
		db->tx[db->nslots++] = false;
		db->reg[db->nslots] = SRNIC_REG_QP(q, SRNIC_QP_TX_TAIL);
		db->tx[db->nslots++] = true;
	}
	/* The configuration the guest reads; the host keeps its own copy. */
	memset(page, 0, VMCTL_DB_PAGE_SIZE);
	page->version = VMCTL_DB_V1;
	page->nslots = db->nslots;
	for (unsigned k = 0; k < db->nslots; k++) {
		page->reg[k] = db->reg[k];
		page->kick[k] = 1;
	}
	__atomic_store_n(&page->need_kick, 1, __ATOMIC_SEQ_CST);
	n->by_fn[fn] = db;
	if (!n->pages++)
		srnic_set_event_hook(nic, on_device_event, n);
	all[nall++] = db;
	totals.pages++;
	log_debug(DB_LOG, "VF %u: doorbell page taken (%u slots)", fn, db->nslots);
	*out = db;
	return 0;
}

void vf_db_destroy(struct vf_db *db)
{
	struct db_nic *n;

	if (!db)
		return;
	set_state(db, VF_DB_ASLEEP);
	for (unsigned i = 0; i < ndue; i++)
		if (due[i] == db)
			due[i] = NULL;
	for (unsigned i = 0; i < nall; i++)
		if (all[i] == db) {
			all[i] = all[--nall];
			break;
		}
	if ((n = nic_slot(db->nic, false))) {
		n->by_fn[db->fn] = NULL;
		if (!--n->pages) {
			srnic_set_event_hook(n->nic, NULL, NULL);
			n->nic = NULL;
		}
	}
	/* The guest's own count of the kicks it sent, read once (informational). */
	totals.kicks += db->page->kicks - db->kicks0;
	log_debug(DB_LOG, "VF %u: doorbell page let go", db->fn);
	free(db);
}

unsigned vf_db_slots(const struct vf_db *db)
{
	return db ? db->nslots : 0;
}

void vf_db_get_stats(struct vf_db_stats *st)
{
	*st = totals;
	for (unsigned i = 0; i < nall; i++)
		st->kicks += all[i]->page->kicks - all[i]->kicks0;
}
