/*
 * Cross-process vPCI tests: the host VSP in this test process (with its
 * event loop and a backend test double standing in for the PF miniport)
 * and the guest VSC in real VM child processes forked by
 * partition_create(), talking over a real VMBus channel in guest memory.
 * Covers version negotiation (newest, walking down, no common version),
 * functions present at start and hot-added, config space and config-block
 * round trips and their bounds, invalidate coalescing and both guest
 * models (callback, pending wait), graceful eject, eject timeout ->
 * surprise removal, a guest killed in the middle of a request, and every
 * kind of malformed guest message. Every wait is bounded (WAIT_MS) and
 * fails the test with a message; children are killed and reaped in
 * teardown.
 *
 * Guest entry functions run in the child: they never use cmocka. They
 * report through their exit status (0 = every check passed, otherwise the
 * number of the check that failed) and through "report" config blocks they
 * write to DOUBLE_REPORT_BLOCK, which the backend double records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "base/log.h"
#include "hv/vpci_priv.h"
#include "test_vpci_double.h"

#define MEM_SIZE (1u << 20)
#define RING_GPA 0x10000u
#define RING_LEN (4u * VMBUS_PAGE_SIZE)	/* per direction: control page + 12 KiB */
#define WAIT_MS 5000
#define EJECT_TIMEOUT_MS 150
#define SLOT0 VPCI_SLOT(2, 0)
#define SERIAL0 0x5e1a1001u

enum scenario {
	SC_BASIC,
	SC_MISMATCH,
	SC_HOT_ADD,
	SC_CONFIG,
	SC_BOUNDS,
	SC_BLOCKS,
	SC_INVALIDATE,
	SC_EJECT_OK,
	SC_EJECT_VETO,
	SC_KILL,
	SC_MALFORMED,
};

/* What the child is told (it gets a copy of this memory at fork). */
struct gargs {
	enum scenario sc;
	uint32_t max_version;
	struct vpci_func_info expect;	/* what the function must look like in the guest */
};

/* What a guest writes into the report block. */
struct report {
	uint32_t step;
	uint32_t version;
	uint32_t ok;		/* 1: the guest's checks passed */
	uint32_t count;
	uint64_t mask;
};

/* ---- guest side (child process) ----------------------------------------- */

static struct {
	const struct gargs *a;
	struct vmbus_guest *g;
	struct vpci_vsc *v;
	unsigned arrivals, ejects, removals;
	bool surprise;
	bool info_ok;
	unsigned inval_count;
	uint64_t inval_mask;
	uint32_t final_step;	/* what the last report says */
	uint64_t final_mask;
} gs;

static bool info_matches(const struct vpci_func_info *i, const struct vpci_func_info *e)
{
	return i->slot == e->slot && i->serial == e->serial && i->vendor_id == e->vendor_id &&
	       i->device_id == e->device_id && i->revision == e->revision &&
	       i->base_class == e->base_class && i->subclass == e->subclass &&
	       i->prog_if == e->prog_if && i->subsystem_id == e->subsystem_id &&
	       i->flags == e->flags && i->numa_node == e->numa_node &&
	       !memcmp(i->probed_bars, e->probed_bars, sizeof(e->probed_bars)) &&
	       !memcmp(i->bars, e->bars, sizeof(e->bars));
}

static void g_arrival(struct vpci_vsc_dev *dev, void *arg)
{
	(void)arg;
	gs.arrivals++;
	gs.info_ok = info_matches(vpci_vsc_dev_info(dev), &gs.a->expect) &&
		     vpci_vsc_dev_state(dev) == VPCI_DEV_ACTIVE;
}

static int g_eject(struct vpci_vsc_dev *dev, void *arg)
{
	(void)dev;
	(void)arg;
	gs.ejects++;
	return gs.a->sc == SC_EJECT_VETO ? -EBUSY : 0;
}

static void g_removal(struct vpci_vsc_dev *dev, bool surprise, void *arg)
{
	(void)dev;
	(void)arg;
	gs.removals++;
	gs.surprise = surprise;
}

static void g_on_invalidate(struct vpci_vsc_dev *dev, uint64_t mask, void *arg)
{
	(void)dev;
	(void)arg;
	gs.inval_count++;
	gs.inval_mask |= mask;
}

static int g_start(struct partition_guest *pg)
{
	struct vpci_vsc_config cfg = {
		.ring_gpa = RING_GPA, .ring_len = RING_LEN, .max_version = gs.a->max_version,
		.timeout_ms = WAIT_MS, .arrival = g_arrival, .eject = g_eject,
		.removal = g_removal,
	};

	if (!gs.g && vmbus_guest_connect(pg, WAIT_MS, &gs.g))
		return -ECONNREFUSED;
	return vpci_vsc_create(gs.g, &cfg, &gs.v);
}

static int g_report(struct vpci_vsc_dev *dev, uint32_t step, bool ok, uint64_t mask)
{
	struct report r = { .step = step, .version = vpci_vsc_version(gs.v), .ok = ok,
			    .count = gs.inval_count, .mask = mask };

	return vpci_vsc_write_block(dev, DOUBLE_REPORT_BLOCK, &r, sizeof(r), NULL);
}

/*
 * The last report: the host takes the bus away as soon as it has read it,
 * which may overtake the completion of this very write (the guest then
 * sees -ENODEV). Either way the host has the report.
 */
static int g_final_report(struct vpci_vsc_dev *dev, bool ok)
{
	int err = g_report(dev, gs.final_step ? gs.final_step : 1, ok, gs.final_mask);

	return err == 0 || err == -ENODEV ? 0 : err;
}

/* Serve the bus until the host takes it away; exit status 0 then. */
static int g_until_gone(void)
{
	for (;;) {
		int n = vpci_vsc_poll(gs.v, WAIT_MS);

		if (n == -ENODEV)
			return 0;
		if (n <= 0)
			return 90;
	}
}

/* Poll until *counter reaches n. */
static int g_poll_until(const unsigned *counter, unsigned n)
{
	while (*counter < n)
		if (vpci_vsc_poll(gs.v, WAIT_MS) <= 0)
			return -ETIMEDOUT;
	return 0;
}

static bool bytes_match_cfg(const uint8_t *b, uint32_t off, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (b[i] != DOUBLE_CFG_BYTE(off + i))
			return false;
	return true;
}

/* A raw request through the VSC's private path; returns the host's status. */
static uint32_t g_raw(const void *msg, uint32_t len)
{
	struct vpci_resp_hdr r = { 0, 0xffffffffu };
	uint8_t buf[sizeof(struct vpci_resp_config_read)];
	uint32_t rlen;

	if (vpci_vsc__request(gs.v, msg, len, buf, sizeof(buf), &rlen) || rlen < sizeof(r))
		return 0xffffffffu;
	memcpy(&r, buf, sizeof(r));
	return r.status;
}

static int g_config(struct vpci_vsc_dev *dev)
{
	static const uint8_t word[4] = { 0xde, 0xad, 0xbe, 0xef }, tail[4] = { 1, 2, 3, 4 };
	uint8_t buf[VPCI_CFG_XFER_MAX];
	uint32_t st = 1;

	if (vpci_vsc_config_read(dev, 0, buf, 64, &st) || st || !bytes_match_cfg(buf, 0, 64))
		return 30;
	if (vpci_vsc_config_read(dev, 0x100, buf, VPCI_CFG_XFER_MAX, &st) ||
	    !bytes_match_cfg(buf, 0x100, VPCI_CFG_XFER_MAX))
		return 31;
	if (vpci_vsc_config_write(dev, 0x40, word, 4, &st) || st)
		return 32;
	if (vpci_vsc_config_read(dev, 0x40, buf, 4, &st) || memcmp(buf, word, 4))
		return 33;
	if (vpci_vsc_config_write(dev, VPCI_CFG_SPACE_SIZE - 4, tail, 4, &st))
		return 34;
	return 0;
}

static int g_bounds(struct vpci_vsc_dev *dev)
{
	struct vpci_msg_config_read r = { .hdr = { .type = VPCI_MSG_CONFIG_READ }, .slot = SLOT0 };
	struct vpci_msg_config_write w = { .hdr = { .type = VPCI_MSG_CONFIG_WRITE }, .slot = SLOT0 };
	static const struct { uint32_t off, len; } bad[] = {
		{ VPCI_CFG_SPACE_SIZE - 4, 8 },		/* runs past 4 KiB */
		{ 0xfffffffcu, 8 },			/* wraps around 2^32 */
		{ 0, 0 },				/* empty */
		{ 0, VPCI_CFG_XFER_MAX + 1 },		/* too long for one message */
	};
	uint8_t buf[VPCI_CFG_XFER_MAX + 1] = { 0 };
	uint32_t st;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* refused in the guest without asking the host */
		st = 0;
		if (vpci_vsc_config_read(dev, bad[i].off, buf, bad[i].len, &st) != -EINVAL ||
		    st != VPCI_STATUS_INVALID_PARAMETER)
			return 40 + (int)i;
		/* and refused by the host when a guest sends it anyway */
		r.offset = bad[i].off;
		r.length = bad[i].len;
		if (g_raw(&r, sizeof(r)) != VPCI_STATUS_INVALID_PARAMETER)
			return 45 + (int)i;
	}
	w.offset = VPCI_CFG_SPACE_SIZE - 1;
	w.length = 2;
	if (g_raw(&w, sizeof(w)) != VPCI_STATUS_INVALID_PARAMETER)
		return 49;
	/* the last four bytes are fine */
	if (vpci_vsc_config_read(dev, VPCI_CFG_SPACE_SIZE - 4, buf, 4, &st) || st ||
	    !bytes_match_cfg(buf, VPCI_CFG_SPACE_SIZE - 4, 4))
		return 50;
	return 0;
}

static int g_blocks(struct vpci_vsc_dev *dev)
{
	uint8_t pat[VPCI_BLOCK_MAX + 1], back[VPCI_BLOCK_MAX + 1];
	struct vpci_msg_read_block rb = { .hdr = { .type = VPCI_MSG_READ_BLOCK }, .slot = SLOT0,
					  .block_id = 5 };
	struct vpci_msg_write_block wb = { .hdr = { .type = VPCI_MSG_WRITE_BLOCK }, .slot = SLOT0,
					   .block_id = 6 };
	uint32_t st;

	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xa0 ^ i);
	if (vpci_vsc_write_block(dev, 5, pat, VPCI_BLOCK_MAX, &st) || st)
		return 60;
	if (vpci_vsc_read_block(dev, 5, back, VPCI_BLOCK_MAX, &st) || st ||
	    memcmp(back, pat, VPCI_BLOCK_MAX))
		return 61;
	/* 129 bytes and 0 bytes: refused here ... */
	if (vpci_vsc_write_block(dev, 5, pat, VPCI_BLOCK_MAX + 1, &st) != -EINVAL ||
	    st != VPCI_STATUS_INVALID_PARAMETER ||
	    vpci_vsc_read_block(dev, 5, back, VPCI_BLOCK_MAX + 1, &st) != -EINVAL ||
	    vpci_vsc_read_block(dev, 5, back, 0, &st) != -EINVAL)
		return 62;
	/* ... and by the host */
	rb.bytes_requested = VPCI_BLOCK_MAX + 1;
	if (g_raw(&rb, sizeof(rb)) != VPCI_STATUS_INVALID_PARAMETER)
		return 63;
	wb.byte_count = VPCI_BLOCK_MAX + 1;
	if (g_raw(&wb, sizeof(wb)) != VPCI_STATUS_INVALID_PARAMETER)
		return 64;
	/* a packet that stops right after the data is accepted ... */
	wb.byte_count = 10;
	memcpy(wb.bytes, pat, 10);
	if (g_raw(&wb, offsetof(struct vpci_msg_write_block, bytes) + 10) != VPCI_STATUS_SUCCESS)
		return 65;
	/* ... one that stops before it is not */
	if (g_raw(&wb, offsetof(struct vpci_msg_write_block, bytes) + 5) !=
	    VPCI_STATUS_INVALID_BUFFER_SIZE)
		return 66;
	/* the PF's own refusal (unknown block id) comes back unchanged */
	if (vpci_vsc_read_block(dev, 200, back, 4, &st) != -EINVAL ||
	    st != VPCI_STATUS_INVALID_PARAMETER)
		return 67;
	return 0;
}

static int g_invalidate(struct vpci_vsc_dev *dev)
{
	uint64_t mask = 0;

	vpci_vsc_dev_set_invalidate(dev, g_on_invalidate, NULL);
	if (g_report(dev, 1, true, 0))
		return 70;
	if (g_poll_until(&gs.inval_count, 1))
		return 71;
	/* now the pending-IOCTL model: no callback, wait for the next mask */
	vpci_vsc_dev_set_invalidate(dev, NULL, NULL);
	if (g_report(dev, 2, true, gs.inval_mask))
		return 72;
	if (vpci_vsc_wait_invalidate(dev, WAIT_MS, &mask))
		return 73;
	gs.final_step = 3;
	gs.final_mask = mask;
	return 0;
}

/* A raw VMBus client for the malformed-message scenario (no VSC yet). */
static uint64_t raw_txn;

static int raw_call(struct vmbus_channel *ch, const void *msg, uint32_t len, uint32_t *status)
{
	static uint8_t buf[RING_LEN];
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND,
			       .flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			       .trans_id = ++raw_txn, .data = msg, .len = len };
	struct timespec t0, t;

	if (vmbus_chan_send(ch, &p, 1) != 1)
		return -EIO;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct vmbus_pkt_in in;
		int n = vmbus_chan_recv(ch, &in, 1, buf, sizeof(buf));
		long ms;

		if (n < 0)
			return n;
		if (n == 1) {
			if (in.type == VMBUS_PKT_COMP && in.trans_id == p.trans_id && in.len >= 8) {
				memcpy(status, in.data + 4, 4);
				return 0;
			}
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= WAIT_MS || vmbus_chan_wait(ch, (int)(WAIT_MS - ms)) < 0)
			return -ETIMEDOUT;
	}
}

/*
 * Every kind of malformed request on a raw channel, then a normal VSC on
 * the same channel, which must work. The host counts: short 1, type 3,
 * version 1, length 2, device 2, state 1, param 1; one version mismatch.
 */
static int g_malformed(struct partition_guest *pg)
{
	static const struct vmbus_guid cls = VPCI_CLASS_GUID_INIT;
	static uint8_t huge[8192];
	struct vmbus_channel *ch;
	struct vpci_msg_config_read cr = { .hdr = { .type = VPCI_MSG_CONFIG_READ }, .slot = SLOT0,
					   .length = 4 };
	struct vpci_msg_version ver = { .hdr = { .type = VPCI_MSG_QUERY_PROTOCOL_VERSION } };
	struct vpci_msg_slot ej = { .hdr = { .type = VPCI_MSG_EJECT }, .slot = SLOT0 };
	struct vpci_msg_slot rr = { .hdr = { .type = VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS },
				    .slot = 0x1234 };
	struct vpci_msg_d0_entry d0 = { .hdr = { .type = VPCI_MSG_BUS_D0ENTRY }, .mmio_base = 1 };
	struct vpci_msg_hdr bad = { .type = VPCI_MSG_BASE + 0x77 };
	struct vpci_resp_hdr comp = { .type = VPCI_MSG_CONFIG_READ };
	struct vmbus_pkt stray = { .type = VMBUS_PKT_COMP, .trans_id = 4242, .data = &comp,
				   .len = sizeof(comp) };
	uint8_t big[24] = { 0 };
	uint32_t st, huge_type = VPCI_MSG_CONFIG_WRITE;

	if (vmbus_guest_connect(pg, WAIT_MS, &gs.g))
		return 10;
	ch = vmbus_guest_find(gs.g, &cls);
	if (!ch || vmbus_guest_open(ch, RING_GPA, RING_LEN, RING_LEN, WAIT_MS))
		return 11;
	if (raw_call(ch, &cr, 4, &st) || st != VPCI_STATUS_INVALID_BUFFER_SIZE)
		return 12;	/* short */
	if (raw_call(ch, &bad, sizeof(bad), &st) || st != VPCI_STATUS_INVALID_DEVICE_REQUEST)
		return 13;	/* bad type */
	if (raw_call(ch, &cr, sizeof(cr), &st) || st != VPCI_STATUS_REVISION_MISMATCH)
		return 14;	/* bad version: nothing agreed yet */
	ver.version = VPCI_MAKE_VERSION(2, 0);
	if (raw_call(ch, &ver, sizeof(ver), &st) || st != VPCI_STATUS_REVISION_MISMATCH)
		return 15;	/* a mismatch, not a refusal */
	ver.version = VPCI_PROTO_V1_2;
	if (raw_call(ch, &ver, sizeof(ver), &st) || st != VPCI_STATUS_SUCCESS)
		return 16;
	ver.version = VPCI_PROTO_V1_1;
	if (raw_call(ch, &ver, sizeof(ver), &st) || st != VPCI_STATUS_INVALID_DEVICE_STATE)
		return 17;	/* wrong state: already agreed */
	if (raw_call(ch, &cr, sizeof(cr), &st) || st != VPCI_STATUS_NO_SUCH_DEVICE)
		return 18;	/* unknown device: not reported to us yet */
	if (raw_call(ch, &rr, sizeof(rr), &st) || st != VPCI_STATUS_NO_SUCH_DEVICE)
		return 19;	/* unknown device: no such slot */
	if (raw_call(ch, &ej, sizeof(ej), &st) || st != VPCI_STATUS_INVALID_DEVICE_REQUEST)
		return 20;	/* bad type: host -> guest message */
	memcpy(big, &ver, sizeof(ver));
	if (raw_call(ch, big, sizeof(big), &st) || st != VPCI_STATUS_INVALID_BUFFER_SIZE)
		return 21;	/* too long for its type */
	memcpy(huge, &huge_type, sizeof(huge_type));
	if (raw_call(ch, huge, sizeof(huge), &st) || st != VPCI_STATUS_INVALID_BUFFER_SIZE)
		return 22;	/* far too long: the host grows its buffer, then refuses */
	if (vmbus_chan_send(ch, &stray, 1) != 1)
		return 23;	/* bad type: a completion nobody asked for; no answer */
	if (raw_call(ch, &d0, sizeof(d0), &st) || st != VPCI_STATUS_INVALID_PARAMETER)
		return 24;	/* bad parameter */
	/* the bus still works: a real bus driver on the same channel */
	if (vmbus_guest_close(ch, WAIT_MS))
		return 25;
	if (g_start(pg))
		return 26;
	if (!gs.arrivals || !gs.info_ok)
		return 27;
	if (g_final_report(vpci_vsc_find(gs.v, SLOT0), true))
		return 28;
	return g_until_gone();
}

static int guest_main(struct partition_guest *pg, void *arg)
{
	struct vpci_vsc_dev *dev;
	int err;

	gs.a = arg;
	if (gs.a->sc == SC_MALFORMED)
		return g_malformed(pg);
	err = g_start(pg);
	if (gs.a->sc == SC_MISMATCH) {
		static const struct vmbus_guid cls = VPCI_CLASS_GUID_INIT;

		if (err != -EPROTONOSUPPORT || gs.v)
			return 3;
		/* stay until the host rescinds the bus, so it can look at it first */
		while (vmbus_guest_find(gs.g, &cls))
			if (vmbus_guest_poll(gs.g, WAIT_MS) <= 0)
				return 6;
		return 0;
	}
	if (err)
		return 1;
	/* hot add: the function comes with the second bus relations */
	if (gs.a->sc == SC_HOT_ADD && g_poll_until(&gs.arrivals, 1))
		return 2;
	dev = vpci_vsc_find(gs.v, SLOT0);
	if (!dev || gs.arrivals != 1 || vpci_vsc_find_serial(gs.v, SERIAL0) != dev)
		return 4;
	switch (gs.a->sc) {
	case SC_CONFIG:
		err = g_config(dev);
		break;
	case SC_BOUNDS:
		err = g_bounds(dev);
		break;
	case SC_BLOCKS:
		err = g_blocks(dev);
		break;
	case SC_INVALIDATE:
		err = g_invalidate(dev);
		break;
	case SC_EJECT_OK:
	case SC_EJECT_VETO:
		/* tell the host we are up before it asks for the function back */
		if (g_report(dev, 1, gs.info_ok, 0))
			return 79;
		if (g_poll_until(&gs.removals, 1))
			return 80;
		if (gs.ejects != 1 || gs.surprise != (gs.a->sc == SC_EJECT_VETO) ||
		    vpci_vsc_dev_count(gs.v) != 0)
			return 81;
		/*
		 * After a surprise removal the host has nothing left to hear from
		 * us; after a graceful one our EJECTION_COMPLETE must be read
		 * before we go, so stay until the host lets go of the bus.
		 */
		return gs.a->sc == SC_EJECT_VETO ? 0 : g_until_gone();
	case SC_KILL: {
		uint8_t b[4];

		vpci_vsc_config_read(dev, 0, b, 4, NULL);	/* the host kills us in here */
		return 85;
	}
	default:
		err = 0;
		break;
	}
	if (err)
		return err;
	if (g_final_report(dev, gs.info_ok))
		return 5;
	return g_until_gone();
}

/* ---- host side (this process) ------------------------------------------- */

struct host {
	struct partition *p;
	struct vmbus_host *vh;
	struct vpci_vsp *vsp;
	struct vpci_vsp_dev *dev;
	struct vpci_double be;
	struct gargs args;
	bool gone;
	int wstatus;
	unsigned removed;
	enum vpci_removal how;
};

static struct evloop *loop;
static struct host hosts[2];

static const struct vpci_dev_desc desc0 = {
	.vf_id = DOUBLE_VF_ID, .slot = SLOT0, .serial = SERIAL0, .revision = 1,
	.base_class = 0x02, .subclass = 0x00, .prog_if = 0x00, .subsystem_id = 0x00018086u,
	.flags = VPCI_FUNC_FLAG_NUMA_AFFINITY, .numa_node = 1,
};

static void on_gone(struct partition *p, int wstatus, void *arg)
{
	struct host *h = arg;

	(void)p;
	h->gone = true;
	h->wstatus = wstatus;
}

static void on_removed(struct vpci_vsp_dev *dev, enum vpci_removal how, void *ctx, void *arg)
{
	struct host *h = arg;

	assert_ptr_equal(ctx, &h->be);
	h->removed++;
	h->how = how;
	if (h->dev == dev)
		h->dev = NULL;
}

static void run_loop(bool (*done)(const struct host *h), const struct host *h, const char *what)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!done(h)) {
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= WAIT_MS)
			fail_msg("timed out after %d ms waiting for %s", WAIT_MS, what);
		assert_true(evloop_run_once(loop, (int)(WAIT_MS - ms)) >= 0);
	}
}

static bool is_gone(const struct host *h) { return h->gone; }
static bool was_removed(const struct host *h) { return h->removed > 0; }
static bool report1(const struct host *h) { return h->be.report_writes >= 1; }
static bool report2(const struct host *h) { return h->be.report_writes >= 2; }
static bool report3(const struct host *h) { return h->be.report_writes >= 3; }
static bool bus_closed_after_try(const struct host *h)
{
	struct vpci_vsp_stats st;

	vpci_vsp_get_stats(h->vsp, &st);
	return st.version_mismatches > 0 && vpci_vsp_bus_state(h->vsp) == VPCI_BUS_CLOSED;
}

static bool bus_ready(const struct host *h)
{
	struct vpci_vsp_stats st;

	vpci_vsp_get_stats(h->vsp, &st);
	return vpci_vsp_bus_state(h->vsp) == VPCI_BUS_D0 && st.relations_sent >= 1;
}

static void expect_exit(struct host *h, int code)
{
	run_loop(is_gone, h, "the VM to exit");
	if (!WIFEXITED(h->wstatus))
		fail_msg("the VM did not exit normally (wait status 0x%x)", h->wstatus);
	if (WEXITSTATUS(h->wstatus) != code)
		fail_msg("the VM exited with %d, expected %d (see the guest's check numbers)",
			 WEXITSTATUS(h->wstatus), code);
}

static const struct report *last_report(const struct host *h)
{
	return (const struct report *)h->be.blocks[DOUBLE_REPORT_BLOCK];
}

/*
 * Start a VM running scenario sc against a VSP with versions
 * [min_version, max_version] (0: defaults), with the test function
 * present from the start when add is set.
 */
static void start(struct host *h, const char *name, enum scenario sc, uint32_t guest_max,
		  uint32_t min_version, uint32_t max_version, bool add)
{
	struct partition_config pc = {
		.name = name, .mem_size = MEM_SIZE, .entry = guest_main, .entry_arg = &h->args,
		.gone = on_gone, .gone_arg = h,
	};
	struct vpci_vsp_config vc = {
		.name = name, .instance = { { 0x76, 0x70, 0x63, 0x69 } },
		.min_version = min_version, .max_version = max_version,
		.removed = on_removed, .arg = h,
	};
	uint32_t agreed = guest_max ? guest_max : VPCI_PROTO_CURRENT;
	struct vpci_func_info *e = &h->args.expect;

	memset(h, 0, sizeof(*h));
	vpci_double_init(&h->be);
	if (max_version && max_version < agreed)
		agreed = max_version;
	h->args.sc = sc;
	h->args.max_version = guest_max;
	*e = (struct vpci_func_info){
		.slot = desc0.slot, .serial = desc0.serial, .vendor_id = DOUBLE_VENDOR,
		.device_id = DOUBLE_DEVICE, .revision = desc0.revision,
		.prog_if = desc0.prog_if, .subclass = desc0.subclass,
		.base_class = desc0.base_class, .subsystem_id = desc0.subsystem_id,
	};
	if (agreed >= VPCI_PROTO_V1_2) {	/* v1 relations carry no flags or node */
		e->flags = desc0.flags;
		e->numa_node = desc0.numa_node;
	}
	memcpy(e->probed_bars, h->be.probed, sizeof(e->probed_bars));
	memcpy(e->bars, h->be.bars, sizeof(e->bars));

	assert_int_equal(partition_create(loop, &pc, &h->p), 0);
	assert_int_equal(vmbus_host_create(h->p, &h->vh), 0);
	assert_int_equal(vpci_vsp_create(h->vh, loop, &vc, &h->vsp), 0);
	if (add)
		assert_int_equal(vpci_vsp_add_device(h->vsp, &desc0, &vpci_double_ops, &h->be,
						     &h->dev), 0);
}

/* The VSP goes away (the bus is rescinded); the guest then exits 0. */
static void finish(struct host *h)
{
	vpci_vsp_destroy(h->vsp);
	h->vsp = NULL;
	expect_exit(h, 0);
}

static int setup(void **state)
{
	(void)state;
	memset(hosts, 0, sizeof(hosts));
	return evloop_create(&loop);
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		vpci_vsp_destroy(hosts[i].vsp);
		vmbus_host_destroy(hosts[i].vh);
		partition_destroy(hosts[i].p);	/* kills and reaps a child still running */
	}
	memset(hosts, 0, sizeof(hosts));
	evloop_destroy(loop);
	loop = NULL;
	return 0;
}

static void test_negotiate_newest(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-newest", SC_BASIC, 0, 0, 0, true);
	run_loop(report1, h, "the guest's report");
	assert_int_equal(vpci_vsp_version(h->vsp), VPCI_PROTO_V1_2);
	assert_int_equal(last_report(h)->version, VPCI_PROTO_V1_2);
	assert_int_equal(last_report(h)->ok, 1);	/* serial, ids, flags, node, BARs */
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.version_mismatches, 0);
	assert_int_equal(vpci_vsp_refused(h->vsp), 0);
	finish(h);
}

static void test_negotiate_down(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	/* a host that speaks only 1.1: the guest asks 1.2 first, then 1.1 */
	start(h, "vm-down", SC_BASIC, 0, 0, VPCI_PROTO_V1_1, true);
	run_loop(report1, h, "the guest's report");
	assert_int_equal(vpci_vsp_version(h->vsp), VPCI_PROTO_V1_1);
	assert_int_equal(last_report(h)->version, VPCI_PROTO_V1_1);
	assert_int_equal(last_report(h)->ok, 1);	/* v1 relations: no flags, no node */
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.version_mismatches, 1);
	assert_int_equal(vpci_vsp_refused(h->vsp), 0);
	finish(h);
}

static void test_negotiate_mismatch(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	/* the host wants 1.2 at least, the guest speaks 1.1 at most */
	start(h, "vm-mismatch", SC_MISMATCH, VPCI_PROTO_V1_1, VPCI_PROTO_V1_2, 0, true);
	run_loop(bus_closed_after_try, h, "the guest to give up and close the bus");
	assert_int_equal(vpci_vsp_version(h->vsp), 0);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.version_mismatches, 1);
	assert_int_equal(st.relations_sent, 0);
	assert_int_equal(vpci_vsp_refused(h->vsp), 0);
	assert_int_equal(vpci_vsp_dev_state(h->dev), VPCI_DEV_PENDING);
	assert_int_equal(h->be.n_probed + h->be.n_bar + h->be.n_power, 0);
	finish(h);	/* exit 0: the guest saw -EPROTONOSUPPORT */
}

static void test_hot_add(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-hotadd", SC_HOT_ADD, 0, 0, 0, false);
	run_loop(bus_ready, h, "the guest's bus to come up empty");
	assert_int_equal(vpci_vsp_dev_count(h->vsp), 0);
	assert_int_equal(vpci_vsp_add_device(h->vsp, &desc0, &vpci_double_ops, &h->be, &h->dev), 0);
	assert_int_equal(vpci_vsp_dev_state(h->dev), VPCI_DEV_PENDING);
	assert_int_equal(h->be.n_ids, 1);	/* OID_SRIOV_VF_VENDOR_DEVICE_ID at add */
	run_loop(report1, h, "the guest to see the new function");
	assert_int_equal(last_report(h)->ok, 1);
	assert_int_equal(vpci_vsp_dev_state(h->dev), VPCI_DEV_ACTIVE);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.relations_sent, 2);	/* empty bus, then with the function */
	/* PROBED_BARS for requirements and for resources; BAR_RESOURCES for BAR0, BAR2 */
	assert_int_equal(h->be.n_probed, 2);
	assert_int_equal(h->be.n_bar, 2);
	assert_int_equal(h->be.n_power, 1);
	assert_int_equal(h->be.power, VPCI_POWER_D0);
	assert_false(h->be.wake);
	assert_int_equal(h->be.bad_vf_ids, 0);
	/* a second function in the same slot is refused */
	assert_int_equal(vpci_vsp_add_device(h->vsp, &desc0, &vpci_double_ops, &h->be, NULL),
			 -EEXIST);
	finish(h);
}

static void test_config_round_trip(void **state)
{
	struct host *h = &hosts[0];
	static const uint8_t tail[4] = { 1, 2, 3, 4 };

	(void)state;
	start(h, "vm-config", SC_CONFIG, 0, 0, 0, true);
	run_loop(report1, h, "the guest's config accesses");
	assert_int_equal(last_report(h)->ok, 1);
	assert_int_equal(h->be.n_cfg_read, 3);
	assert_int_equal(h->be.n_cfg_write, 2);
	/* the last write reached the PF at the offset and length the guest used */
	assert_int_equal(h->be.last_write_off, VPCI_CFG_SPACE_SIZE - 4);
	assert_int_equal(h->be.last_write_len, 4);
	assert_memory_equal(h->be.cfg + VPCI_CFG_SPACE_SIZE - 4, tail, 4);
	assert_int_equal(h->be.cfg[0x40], 0xde);
	assert_int_equal(h->be.cfg[0x43], 0xef);
	assert_int_equal(h->be.last_read_off, 0x40);
	assert_int_equal(h->be.last_read_len, 4);
	assert_int_equal(vpci_vsp_refused(h->vsp), 0);
	finish(h);
}

static void test_config_bounds(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-bounds", SC_BOUNDS, 0, 0, 0, true);
	run_loop(report1, h, "the guest's out-of-range accesses");
	vpci_vsp_get_stats(h->vsp, &st);
	/* 4 reads (past 4 KiB, wrapping, empty, too long) and 1 write, all by the host */
	assert_int_equal(st.refused[VPCI_REFUSED_PARAM], 5);
	assert_int_equal(vpci_vsp_refused(h->vsp), 5);
	/* none of them reached the PF; the one good read did */
	assert_int_equal(h->be.n_cfg_read, 1);
	assert_int_equal(h->be.n_cfg_write, 0);
	finish(h);
}

static void test_blocks(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;
	uint8_t pat[VPCI_BLOCK_MAX];

	(void)state;
	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xa0 ^ i);
	start(h, "vm-blocks", SC_BLOCKS, 0, 0, 0, true);
	run_loop(report1, h, "the guest's block accesses");
	assert_memory_equal(h->be.blocks[5], pat, VPCI_BLOCK_MAX);
	assert_memory_equal(h->be.blocks[6], pat, 10);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.refused[VPCI_REFUSED_PARAM], 2);	/* 129-byte read and write */
	assert_int_equal(st.refused[VPCI_REFUSED_SHORT], 1);	/* data cut short */
	assert_int_equal(vpci_vsp_refused(h->vsp), 3);
	/* writes: block 5 (128), block 6 (10), the report; reads: block 5, block 200 */
	assert_int_equal(h->be.n_blk_write, 3);
	assert_int_equal(h->be.n_blk_read, 2);
	finish(h);
}

static void test_invalidate_coalescing(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-inval", SC_INVALIDATE, 0, 0, 0, true);
	run_loop(report1, h, "the guest to arm its invalidate callback");

	/* two invalidates before the loop runs: one message, masks ORed */
	assert_int_equal(vpci_vsp_invalidate(h->dev, 0x1), 0);
	assert_int_equal(vpci_vsp_invalidate(h->dev, 0x4), 0);
	assert_int_equal(vpci_vsp_invalidate(h->dev, 0), 0);	/* no-op */
	assert_int_equal(vpci_vsp_dev_pending_invalidate(h->dev), 0x5);
	run_loop(report2, h, "the guest's invalidate callback");
	assert_int_equal(last_report(h)->step, 2);
	assert_int_equal(last_report(h)->mask, 0x5);
	assert_int_equal(last_report(h)->count, 1);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.invalidate_calls, 2);
	assert_int_equal(st.invalidates_sent, 1);
	assert_int_equal(vpci_vsp_dev_pending_invalidate(h->dev), 0);	/* cleared on send */

	/* the cache was cleared: the next mask is just the new bits (pending-wait model) */
	assert_int_equal(vpci_vsp_invalidate(h->dev, 0x2), 0);
	run_loop(report3, h, "the guest's pending invalidate wait");
	assert_int_equal(last_report(h)->step, 3);
	assert_int_equal(last_report(h)->mask, 0x2);
	assert_int_equal(last_report(h)->count, 1);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.invalidates_sent, 2);
	finish(h);
}

static void test_graceful_eject(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-eject", SC_EJECT_OK, 0, 0, 0, true);
	run_loop(report1, h, "the function to come up in the guest");
	assert_int_equal(last_report(h)->ok, 1);
	assert_int_equal(vpci_vsp_remove_device(h->dev, WAIT_MS), 0);
	assert_int_equal(vpci_vsp_invalidate(h->dev, 1), -ENODEV);	/* leaving */
	assert_int_equal(vpci_vsp_remove_device(h->dev, WAIT_MS), -EALREADY);
	run_loop(was_removed, h, "EJECTION_COMPLETE");
	assert_int_equal(h->how, VPCI_REMOVAL_GRACEFUL);
	assert_null(h->dev);
	assert_int_equal(vpci_vsp_dev_count(h->vsp), 0);
	assert_int_equal(h->be.power, VPCI_POWER_D3);	/* powered down on the way out */
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.removals[VPCI_REMOVAL_GRACEFUL], 1);
	finish(h);	/* exit 0: eject asked once, removal not a surprise */
}

static void test_eject_timeout_surprise(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;
	struct timespec t0, t;
	int64_t ns;

	(void)state;
	start(h, "vm-veto", SC_EJECT_VETO, 0, 0, 0, true);
	run_loop(report1, h, "the function to come up in the guest");
	assert_int_equal(last_report(h)->ok, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(vpci_vsp_remove_device(h->dev, EJECT_TIMEOUT_MS), 0);
	assert_int_equal(vpci_vsp_dev_state(h->dev), VPCI_DEV_EJECTING);
	run_loop(was_removed, h, "the eject timeout");
	clock_gettime(CLOCK_MONOTONIC, &t);
	ns = (int64_t)(t.tv_sec - t0.tv_sec) * 1000000000 + (t.tv_nsec - t0.tv_nsec);
	assert_true(ns >= (int64_t)EJECT_TIMEOUT_MS * 1000000);
	assert_int_equal(h->how, VPCI_REMOVAL_SURPRISE);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.removals[VPCI_REMOVAL_SURPRISE], 1);
	assert_int_equal(h->be.power, VPCI_POWER_D3);
	/*
	 * The guest learns it from new relations without the function (the bus
	 * stays up) and exits 0 once it saw the surprise removal.
	 */
	expect_exit(h, 0);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.relations_sent, 2);
}

static void kill_guest(struct vpci_double *d, void *arg)
{
	struct host *h = arg;

	(void)d;
	kill(partition_pid(h->p), SIGKILL);
}

static void test_guest_killed_mid_request(void **state)
{
	struct host *h = &hosts[0], *h2 = &hosts[1];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-killed", SC_KILL, 0, 0, 0, true);
	h->be.on_cfg_read = kill_guest;
	h->be.hook_arg = h;
	run_loop(is_gone, h, "the VM to be killed during its config read");
	assert_true(WIFSIGNALED(h->wstatus));
	assert_int_equal(h->be.n_cfg_read, 1);
	/* the host cleaned the function up */
	assert_int_equal(h->removed, 1);
	assert_int_equal(h->how, VPCI_REMOVAL_GUEST_GONE);
	assert_null(h->dev);
	assert_int_equal(vpci_vsp_dev_count(h->vsp), 0);
	assert_int_equal(vpci_vsp_bus_state(h->vsp), VPCI_BUS_GONE);
	assert_int_equal(h->be.power, VPCI_POWER_D3);
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.removals[VPCI_REMOVAL_GUEST_GONE], 1);
	assert_int_equal(vpci_vsp_add_device(h->vsp, &desc0, &vpci_double_ops, &h->be, NULL),
			 -ENODEV);
	/* and serves the next VM */
	start(h2, "vm-next", SC_BASIC, 0, 0, 0, true);
	run_loop(report1, h2, "the next VM's report");
	assert_int_equal(last_report(h2)->ok, 1);
	finish(h2);
}

static void test_malformed_messages(void **state)
{
	struct host *h = &hosts[0];
	struct vpci_vsp_stats st;

	(void)state;
	start(h, "vm-malformed", SC_MALFORMED, 0, 0, 0, true);
	run_loop(report1, h, "the guest's report after its malformed messages");
	vpci_vsp_get_stats(h->vsp, &st);
	assert_int_equal(st.refused[VPCI_REFUSED_SHORT], 1);
	assert_int_equal(st.refused[VPCI_REFUSED_TYPE], 3);
	assert_int_equal(st.refused[VPCI_REFUSED_VERSION], 1);
	assert_int_equal(st.refused[VPCI_REFUSED_LENGTH], 2);
	assert_int_equal(st.refused[VPCI_REFUSED_DEVICE], 2);
	assert_int_equal(st.refused[VPCI_REFUSED_STATE], 1);
	assert_int_equal(st.refused[VPCI_REFUSED_PARAM], 1);
	assert_int_equal(vpci_vsp_refused(h->vsp), 11);
	assert_int_equal(st.version_mismatches, 1);
	assert_int_equal(st.replies_dropped, 0);
	/* after all that, the real bus driver works on the same channel */
	assert_int_equal(last_report(h)->ok, 1);
	assert_int_equal(vpci_vsp_dev_state(h->dev), VPCI_DEV_ACTIVE);
	assert_int_equal(vpci_vsp_version(h->vsp), VPCI_PROTO_V1_2);
	finish(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_negotiate_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiate_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negotiate_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hot_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_coalescing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_graceful_eject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eject_timeout_surprise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_killed_mid_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_messages, setup, teardown),
	};

	/* IOVLAB_LOG=lab.hv.*=debug shows both sides' traces when a test fails */
	log_configure(getenv("IOVLAB_LOG") ? getenv("IOVLAB_LOG") : "*=none", NULL, 0);
	return cmocka_run_group_tests_name("hv/vpci", tests, NULL, NULL);
}
