/*
 * The host half of the VF's shared BAR page (src/hv/vf_doorbell.c) against
 * a real srnic: the test plays the guest side of the contract in
 * wire/vmctl.h -- writes a tail into a slot, honours need_kick, arms
 * irq_armed -- and checks what the device did (frames moved VF1 -> VF2),
 * when the host asks for a kick, when it signals, and that a repeated tail
 * value is still a new write; that the ready set (a list) never loses a
 * page, an idle page's request leaves it asleep, and link changes and
 * resets are posted to the page. docs/hv/vf-doorbell.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <errno.h>

#include "base/log.h"
#include "hv/vf_doorbell.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

#define SR 0x160
#define MEMSZ 0x40000u
#define TXR 0x1000u
#define RXR 0x2000u
#define TXB 0x10000u
#define RXB 0x20000u
#define RING 16u

struct env {
	struct pcie_host *host;
	struct srnic *nic;
	uint8_t *mem[3];
	uint8_t mac[3][6];
	struct vmctl_db_page *page[3];	/* the guests' pages (aligned memory standing in for guest RAM) */
	struct vf_db *db[3];
	unsigned signals[3];
	uint32_t tx_tail;
};

static void on_signal(void *ctx)
{
	(*(unsigned *)ctx)++;
}

static void w(struct env *e, unsigned fn, uint32_t off, uint32_t val)
{
	assert_int_equal(srnic_mmio_write32(e->nic, fn, SRNIC_BAR_REGS, off, val), 0);
}

static uint32_t r(struct env *e, unsigned fn, uint32_t off)
{
	uint32_t v;

	assert_int_equal(srnic_mmio_read32(e->nic, fn, SRNIC_BAR_REGS, off, &v), 0);
	return v;
}

/* A VF driver's bring-up over the request path: rings, RX buffers posted but the tail left at 0. */
static void fn_up(struct env *e, unsigned fn)
{
	uint32_t lo, hi;

	assert_int_equal(srnic_cfg_write(e->nic, fn, PCI_COMMAND, 2, PCI_COMMAND_MASTER), 0);
	assert_int_equal(srnic_set_dma_domain(e->nic, fn, e->mem[fn], MEMSZ), 0);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_LO), TXR);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_SIZE), RING);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_BASE_LO), RXR);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_SIZE), RING);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	for (unsigned i = 0; i < RING; i++) {
		struct srnic_desc *d = (struct srnic_desc *)(e->mem[fn] + RXR + 16 * i);

		d->addr = RXB + 2048 * i;
		d->len = 2048;
	}
	w(e, fn, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	lo = r(e, fn, SRNIC_REG_MAC_LO);
	hi = r(e, fn, SRNIC_REG_MAC_HI);
	for (int i = 0; i < 4; i++)
		e->mac[fn][i] = (uint8_t)(lo >> (8 * i));
	e->mac[fn][4] = (uint8_t)hi;
	e->mac[fn][5] = (uint8_t)(hi >> 8);
}

static void switch_up(struct env *e)
{
	w(e, 0, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	for (unsigned v = 1; v <= 2; v++) {
		const uint8_t *m = e->mac[v];

		w(e, 0, SRNIC_REG_VPORT_SEL, v);
		w(e, 0, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(v) | SRNIC_VPORT_CFG_QP_NUM(1));
		w(e, 0, SRNIC_REG_FILTER_SEL, v);
		w(e, 0, SRNIC_REG_FILTER_MAC_LO, m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24);
		w(e, 0, SRNIC_REG_FILTER_MAC_HI, m[4] | m[5] << 8);
		w(e, 0, SRNIC_REG_FILTER_CFG, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(v));
	}
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	log_configure("none", NULL, 0);
	e->host = pcie_host_create();
	e->nic = srnic_create(e->host, 3, 0);
	assert_non_null(e->nic);
	for (int i = 0; i < 3; i++) {
		e->mem[i] = calloc(1, MEMSZ);
		e->page[i] = aligned_alloc(VMCTL_DB_PAGE_SIZE, VMCTL_DB_PAGE_SIZE);
		memset(e->page[i], 0xa5, VMCTL_DB_PAGE_SIZE);	/* the host must fill it */
	}
	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	assert_int_equal(srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_NUM_VF, 2, 2), 0);
	assert_int_equal(srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_CTRL, 2,
					 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI), 0);
	assert_int_equal(srnic_cfg_write(e->nic, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY), 0);
	fn_up(e, 1);
	fn_up(e, 2);
	switch_up(e);
	for (unsigned f = 1; f <= 2; f++)
		assert_int_equal(vf_db_create(e->nic, f, e->page[f], on_signal, &e->signals[f], &e->db[f]), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	for (int i = 1; i <= 2; i++)
		vf_db_destroy(e->db[i]);
	srnic_destroy(e->nic);
	pcie_host_destroy(e->host);
	for (int i = 0; i < 3; i++) {
		free(e->mem[i]);
		free(e->page[i]);
	}
	free(e);
	return 0;
}

/* The page's slot that shadows BAR offset reg, or -1. */
static int slot_of(const struct vmctl_db_page *p, uint32_t reg)
{
	for (unsigned k = 0; k < p->nslots && k < VMCTL_DB_SLOTS; k++)
		if (p->reg[k] == reg)
			return (int)k;
	return -1;
}

/* The guest's side of the doorbell contract; true if it kicked. */
static bool guest_write(struct env *e, unsigned fn, uint32_t reg, uint32_t v)
{
	struct vmctl_db_page *p = e->page[fn];
	int k = slot_of(p, reg);

	assert_true(k >= 0);
	__atomic_store_n(&p->value[k], ((p->value[k] >> 32) + 1) << 32 | v, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return p->kick[k] && __atomic_load_n(&p->need_kick, __ATOMIC_RELAXED) &&
	       __atomic_exchange_n(&p->need_kick, 0, __ATOMIC_SEQ_CST);
}

/* VF1 posts n frames to VF2 and rings through the page; true if it kicked. */
static bool post_frames(struct env *e, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned s = (e->tx_tail + i) % RING;
		struct srnic_desc *d = (struct srnic_desc *)(e->mem[1] + TXR + 16 * s);
		uint8_t *f = e->mem[1] + TXB + 2048 * s;

		memcpy(f, e->mac[2], 6);
		memcpy(f + 6, e->mac[1], 6);
		f[12] = 0x08;
		f[13] = 0;
		d->addr = TXB + 2048 * s;
		d->len = 64;
		d->flags = SRNIC_DESC_F_EOP;
		d->status = 0;
	}
	e->tx_tail = (e->tx_tail + n) % RING;
	return guest_write(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), e->tx_tail);
}

static void sleep_past_idle(void)
{
	struct timespec t = { 0, VF_DB_IDLE_NS * 3 };

	nanosleep(&t, NULL);
}

static void test_page_configured_by_the_host(void **state)
{
	struct env *e = *state;
	struct vmctl_db_page *p = e->page[1];

	assert_int_equal(p->version, VMCTL_DB_V1);
	assert_int_equal(p->nslots, 2 * SRNIC_VF_NUM_QP);
	assert_int_equal(vf_db_slots(e->db[1]), p->nslots);
	for (unsigned q = 0; q < SRNIC_VF_NUM_QP; q++) {
		assert_true(slot_of(p, SRNIC_REG_QP(q, SRNIC_QP_TX_TAIL)) >= 0);
		assert_true(slot_of(p, SRNIC_REG_QP(q, SRNIC_QP_RX_TAIL)) >= 0);
	}
	/* Registers with side effects are never shadowed. */
	assert_int_equal(slot_of(p, SRNIC_REG_CTRL), -1);
	assert_int_equal(slot_of(p, SRNIC_REG_INT_CAUSE), -1);
	assert_int_equal(slot_of(p, SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL)), -1);
	assert_int_equal(p->need_kick, 1);	/* the device sleeps until told */
	assert_int_equal(p->irq_armed, 0);
	/* One page per function. */
	struct vf_db *again;
	assert_int_equal(vf_db_create(e->nic, 1, e->page[0], on_signal, NULL, &again), -EBUSY);
	assert_int_equal(vf_db_create(e->nic, 0, e->page[0], on_signal, NULL, &again), -EINVAL);
}

static void test_kick_moves_frames_and_busy_page_needs_none(void **state)
{
	struct env *e = *state;
	struct vf_db_stats s0, s1, s2;

	vf_db_get_stats(&s0);
	/* VF2 posts its receive buffers: the device asked for a kick. */
	assert_true(guest_write(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1));
	assert_int_equal(vf_db_drain(e->db[2]), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL)), RING - 1);
	/* VF1 sends 4: one kick, the frames reach VF2. */
	assert_true(post_frames(e, 4));
	assert_int_equal(vf_db_drain(e->db[1]), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 4);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_HEAD)), 4);
	/* Busy now: more writes need no kick; the host loop's sweep applies them. */
	assert_true(vf_db_host_busy());
	assert_false(post_frames(e, 3));
	vf_db_get_stats(&s1);
	assert_true(vf_db_host_poll());
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 7);
	/* A sweep that applied something keeps the CPU; an empty one while busy gives it away. */
	vf_db_get_stats(&s2);
	assert_int_equal(s2.yields, s1.yields);
	(void)vf_db_host_poll();	/* busy or, on a slow machine, just gone to sleep: either way it swept */
	vf_db_get_stats(&s2);
	assert_int_equal(s2.yields, s1.yields + 1);
	/* Nothing for VF_DB_IDLE_NS: the page goes to sleep and the next write kicks again. */
	sleep_past_idle();
	assert_false(vf_db_host_poll());
	assert_false(vf_db_host_busy());
	assert_int_equal(e->page[1]->need_kick, 1);
	assert_true(post_frames(e, 1));
	assert_int_equal(vf_db_drain(e->db[1]), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 8);
	vf_db_get_stats(&s1);
	assert_int_equal(s1.tx_writes - s0.tx_writes, 3);
	assert_true(s1.sleeps > s0.sleeps);
}

static void test_write_while_busy_is_swept_before_sleep(void **state)
{
	struct env *e = *state;

	assert_true(guest_write(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1));
	(void)vf_db_drain(e->db[2]);
	assert_true(post_frames(e, 2));
	(void)vf_db_drain(e->db[1]);
	/* The guest writes while the page is busy (no kick) and the host then idles past VF_DB_IDLE_NS. */
	assert_false(post_frames(e, 2));
	sleep_past_idle();
	/* The sweep applies the write before it decides to sleep, and stays busy for it. */
	(void)vf_db_host_poll();
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 4);
	sleep_past_idle();
	(void)vf_db_host_poll();
	assert_false(vf_db_host_busy());
}

static void test_interrupt_only_when_armed(void **state)
{
	struct env *e = *state;
	struct vf_db_stats s0, s1;

	assert_true(guest_write(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1));
	(void)vf_db_drain(e->db[2]);
	vf_db_get_stats(&s0);
	/* VF2 polls (not armed): its frames need no signal. */
	assert_true(post_frames(e, 2));
	(void)vf_db_drain(e->db[1]);
	assert_int_equal(e->signals[2], 0);
	/* VF2 arms before it sleeps: the next frames signal it once, and the arm is taken back. */
	__atomic_store_n(&e->page[2]->irq_armed, 1, __ATOMIC_SEQ_CST);
	assert_false(post_frames(e, 2));
	(void)vf_db_host_poll();
	assert_int_equal(e->signals[2], 1);
	assert_int_equal(e->page[2]->irq_armed, 0);
	assert_false(post_frames(e, 2));
	(void)vf_db_host_poll();
	assert_int_equal(e->signals[2], 1);	/* not armed again: suppressed */
	assert_int_equal(e->signals[1], 0);	/* VF1 never armed */
	vf_db_get_stats(&s1);
	assert_int_equal(s1.interrupts - s0.interrupts, 1);
	assert_true(s1.suppressed - s0.suppressed >= 3);
}

static void test_same_value_is_a_new_write(void **state)
{
	struct env *e = *state;
	int k = slot_of(e->page[2], SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL));

	assert_true(guest_write(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1));
	assert_int_equal(vf_db_drain(e->db[2]), 1);
	/* A queue reset over the request path puts the tail back to 0 ... */
	w(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), 0);
	w(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL)), 0);
	/* ... and the stale page value is not replayed by a drain ... */
	assert_int_equal(vf_db_drain(e->db[2]), 0);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL)), 0);
	/* ... while the driver writing the same tail again is a write. */
	(void)guest_write(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1);
	assert_int_equal(vf_db_drain(e->db[2]), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL)), RING - 1);
	assert_int_equal((uint32_t)e->page[2]->value[k], RING - 1);
}

static void test_hostile_tail_is_the_device_s_to_refuse(void **state)
{
	struct env *e = *state;

	/* A tail beyond the ring: srnic refuses it like a register write and stops the queue. */
	assert_true(guest_write(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), 0x7fffffff));
	assert_int_equal(vf_db_drain(e->db[1]), 1);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_ERROR);
	/* The guest scribbling over the host's configuration changes nothing the host uses. */
	e->page[1]->reg[0] = SRNIC_REG_CTRL;
	e->page[1]->nslots = 200;
	(void)guest_write(e, 1, SRNIC_REG_CTRL, 0);
	(void)vf_db_drain(e->db[1]);
	assert_int_equal(r(e, 1, SRNIC_REG_CTRL), SRNIC_CTRL_ENABLE);
}

/* The guest's side of the doorbell contract on any page: a tail write to slot k; true if it kicked. */
static bool page_write(struct vmctl_db_page *p, unsigned k, uint32_t v)
{
	__atomic_store_n(&p->value[k], ((p->value[k] >> 32) + 1) << 32 | v, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&p->need_kick, __ATOMIC_RELAXED) && __atomic_exchange_n(&p->need_kick, 0, __ATOMIC_SEQ_CST);
}

static uint64_t writes_now(void)
{
	struct vf_db_stats s;

	vf_db_get_stats(&s);
	return s.writes;
}

/*
 * The ready set is a list with swap-removal: pages going to sleep from the
 * middle of it must not hide the page moved into their place, a busy page's
 * write (no kick) must be swept, and a page that went to sleep must ask for
 * the next kick.
 */
static void test_ready_set_never_loses_a_page(void **state)
{
	enum { FIRST = 3, LAST = 42 };
	struct env *e = *state;
	struct vmctl_db_page *pg[LAST + 1] = { 0 };
	struct vf_db *db[LAST + 1] = { 0 };
	unsigned sig = 0, nodd = 0;
	uint64_t w0;
	int k;

	for (unsigned f = FIRST; f <= LAST; f++) {
		pg[f] = aligned_alloc(VMCTL_DB_PAGE_SIZE, VMCTL_DB_PAGE_SIZE);
		assert_int_equal(vf_db_create(e->nic, f, pg[f], on_signal, &sig, &db[f]), 0);
		nodd += f & 1;
	}
	k = slot_of(pg[FIRST], SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL));
	assert_true(k >= 0);
	assert_int_equal(vf_db_busy_pages(), 0);
	/* Every page asleep: each first write kicks, and its drain applies it. */
	for (unsigned f = FIRST; f <= LAST; f++) {
		assert_true(page_write(pg[f], (unsigned)k, 1));
		assert_int_equal(vf_db_drain(db[f]), 1);
	}
	assert_int_equal(vf_db_busy_pages(), LAST - FIRST + 1);
	/* All busy: no write kicks, one sweep applies every one. */
	w0 = writes_now();
	for (unsigned f = FIRST; f <= LAST; f++)
		assert_false(page_write(pg[f], (unsigned)k, 2));
	assert_true(vf_db_host_poll());
	assert_int_equal(writes_now() - w0, LAST - FIRST + 1);
	/* Past the idle time only the odd pages write: the even ones leave the list from its middle. */
	sleep_past_idle();
	for (unsigned f = FIRST; f <= LAST; f++)
		if (f & 1)
			assert_false(page_write(pg[f], (unsigned)k, 3));
	w0 = writes_now();
	assert_true(vf_db_host_poll());
	assert_int_equal(writes_now() - w0, nodd);
	assert_int_equal(vf_db_busy_pages(), nodd);
	for (unsigned f = FIRST; f <= LAST; f++)
		assert_int_equal(pg[f]->need_kick, f & 1 ? 0u : 1u);
	/* The pages that stayed (some moved within the list) are still swept ... */
	for (unsigned f = FIRST; f <= LAST; f++)
		if (f & 1)
			assert_false(page_write(pg[f], (unsigned)k, 4));
	w0 = writes_now();
	(void)vf_db_host_poll();
	assert_int_equal(writes_now() - w0, nodd);
	/* ... and every page that slept asks for a kick, which brings it back. */
	for (unsigned f = FIRST; f <= LAST; f++)
		if (!(f & 1)) {
			assert_true(page_write(pg[f], (unsigned)k, 5));
			assert_int_equal(vf_db_drain(db[f]), 1);
		}
	assert_int_equal(vf_db_busy_pages(), LAST - FIRST + 1);
	sleep_past_idle();
	(void)vf_db_host_poll();
	assert_false(vf_db_host_busy());
	assert_int_equal(vf_db_busy_pages(), 0);
	/* A page destroyed while busy leaves the list too. */
	assert_true(page_write(pg[FIRST], (unsigned)k, 6));
	assert_int_equal(vf_db_drain(db[FIRST]), 1);
	assert_int_equal(vf_db_busy_pages(), 1);
	for (unsigned f = FIRST; f <= LAST; f++) {
		vf_db_destroy(db[f]);
		free(pg[f]);
	}
	assert_int_equal(vf_db_busy_pages(), 0);
}

/*
 * An idle driver's slow request (its health check) drains a sleeping page
 * that has nothing new: the page goes back to sleep at once instead of
 * keeping the host's loop turning for VF_DB_IDLE_NS.
 */
static void test_request_on_a_sleeping_page_keeps_it_asleep(void **state)
{
	struct env *e = *state;
	int k = slot_of(e->page[2], SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL));
	struct vf_db_stats s0, s1;

	assert_false(vf_db_host_busy());
	vf_db_get_stats(&s0);
	assert_int_equal(vf_db_drain(e->db[2]), 0);
	assert_false(vf_db_host_busy());
	assert_int_equal(e->page[2]->need_kick, 1);
	vf_db_get_stats(&s1);
	assert_int_equal(s1.sleeps - s0.sleeps, 1);
	/* A write the guest made before its request is applied by that drain and keeps the page busy. */
	__atomic_store_n(&e->page[2]->value[k], ((e->page[2]->value[k] >> 32) + 1) << 32 | (RING - 1), __ATOMIC_RELEASE);
	assert_int_equal(vf_db_drain(e->db[2]), 1);
	assert_true(vf_db_host_busy());
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL)), RING - 1);
	/* A request on a busy page leaves it busy (the sweep puts it to sleep when idle). */
	assert_int_equal(vf_db_drain(e->db[2]), 0);
	assert_true(vf_db_host_busy());
}

/* The VF's misc causes -- link change, a reset by the PF -- reach the page and an armed guest. */
static void test_link_and_reset_are_posted_to_the_page(void **state)
{
	struct env *e = *state;

	__atomic_store_n(&e->page[2]->irq_armed, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(srnic_vf_set_link(e->nic, 2, false), 0);
	(void)vf_db_host_poll();
	assert_true(e->page[2]->misc_cause & SRNIC_INT_LINK);
	assert_int_equal(e->signals[2], 1);
	assert_int_equal(e->page[2]->irq_armed, 0);
	assert_int_equal(e->page[1]->misc_cause, 0);
	assert_int_equal(e->signals[1], 0);
	/* The guest takes the causes; the next one is posted without a signal while it runs (not armed). */
	__atomic_store_n(&e->page[2]->misc_cause, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(srnic_vf_reset(e->nic, 2), 0);
	(void)vf_db_host_poll();
	assert_true(e->page[2]->misc_cause & SRNIC_INT_ERROR);
	assert_int_equal(e->signals[2], 1);
	/* Nothing new: nothing posted again. */
	__atomic_store_n(&e->page[2]->misc_cause, 0, __ATOMIC_SEQ_CST);
	(void)vf_db_host_poll();
	assert_int_equal(e->page[2]->misc_cause, 0);
}

static void test_page_states(void **state)
{
	(void)state;
	assert_true(vf_db_state_transition_allowed(VF_DB_ASLEEP, VF_DB_BUSY));
	assert_true(vf_db_state_transition_allowed(VF_DB_BUSY, VF_DB_ASLEEP));
	assert_false(vf_db_state_transition_allowed(VF_DB_ASLEEP, VF_DB_ASLEEP));
	assert_false(vf_db_state_transition_allowed(VF_DB_BUSY, VF_DB_BUSY));
	assert_false(vf_db_state_transition_allowed(VF_DB_STATE_COUNT, VF_DB_BUSY));
	assert_string_equal(vf_db_state_name(VF_DB_ASLEEP), "Asleep");
	assert_string_equal(vf_db_state_name(VF_DB_BUSY), "Busy");
	assert_string_equal(vf_db_state_name(VF_DB_STATE_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_states),
		cmocka_unit_test_setup_teardown(test_page_configured_by_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_moves_frames_and_busy_page_needs_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_while_busy_is_swept_before_sleep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_only_when_armed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_value_is_a_new_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tail_is_the_device_s_to_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ready_set_never_loses_a_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_on_a_sleeping_page_keeps_it_asleep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_and_reset_are_posted_to_the_page, setup, teardown),
	};

	return cmocka_run_group_tests_name("vf_doorbell", tests, NULL, NULL);
}
