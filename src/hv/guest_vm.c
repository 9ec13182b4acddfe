/*
 * A VM's process (guest_vm.h): the guest partition `iovlab run` starts for
 * every running VM, built from the same pieces the guest tests wire up
 * (tests/guest/guest_env.c for the vPCI/PnP/VF half, tests/netvsc/
 * test_netvsc_edges.c for the NetVsc half), but against the real host over
 * VMBus: NetVSP, the vPCI VSP with the PF behind it, and srnic reached
 * through the MMIO channel (wire/vmctl.h) -- the queue tails through a
 * shared doorbell page with kicks and interrupts on that channel's
 * eventfds (docs/hv/vf-doorbell.md). docs/hv/e2e.md has the picture.
 *
 * The traffic source and sink sits on IOVTRAFFIC's exported table directly
 * rather than on guest_traffic.c's one-destination stream: the lab sends
 * to several destinations from one VM, so the sender keeps one sequence
 * per destination and the sink one checker per source MAC -- the frame
 * format and the checker are guest_traffic.h's.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <ndis/ndis.h>

#include "base/capture.h"
#include "base/log.h"
#include "base/shm.h"
#include "hv/guest_tcpip.h"
#include "hv/guest_traffic.h"
#include "hv/guest_traffic_proto.h"
#include "hv/guest_vm.h"
#include "hv/netvsc/netvsc_dev.h"
#include "hv/vmbus.h"
#include "hv/vmctl_msg.h"
#include "hv/vpci_pdo.h"
#include "hv/vpci_vsc.h"
#include "ndis/framework.h"
#include "ndis/protocol.h"
#include "pnp/guest_ndis.h"
#include "pnp/pnp.h"
#include "wire/nvsp.h"
#include "wire/vmctl.h"
#include "wire/vpci.h"

#define GVM_LOG "lab.hv.guest"
#define GVM_MAX_PEERS 8u	/* sources / destinations the traffic checker tracks */
/*
 * The source's pace: GVM_BURST frames per millisecond at most. Raw frames
 * have no flow control, and a receiving guest that is not scheduled for a
 * few ms must not overflow -- a VF has 511 receive buffers, NetVsc 256
 * sections -- so the lab's numbered stream is paced, not flooded.
 */
#define GVM_BURST 8u
#define GVM_MAPS 8u
/*
 * Register writes on the request path are posted, as PCIe memory writes
 * are: sent without waiting for their answer, which is taken before the
 * next read (the channel is in order, so a read returns after every
 * earlier write was applied), before a doorbell-page write, and before the
 * loop sleeps. A VF's bring-up made ~20 round trips the guest waited for,
 * each two wake-ups; 12 of them were writes. At most this many are out.
 */
#define GVM_MMIO_POSTED 32u
/*
 * An idle guest whose every source of work can wake it sleeps until one
 * does: the VF's interrupt (TX done, RX, and its misc causes -- link,
 * error, a reset -- posted in the doorbell page), NetVsc's, vPCI's, the
 * control channel (the host's status queries every 250 ms), the partition
 * socket; and lwIP's next timer, computed (guest_tcpip_next_ms). With 256
 * VMs a 20 ms tick was ~12,800 wake-ups a second doing nothing, each VF
 * health check four requests that kept the host's loop spinning. This cap
 * is a safety net only (and paces the VF driver's hang check when idle).
 * A paced send, a client operation or a VF without a doorbell page
 * (polled) keeps the 1 ms tick.
 */
#define GVM_IDLE_MAX_MS 1000

static const struct vmbus_guid ctl_class = VMCTL_CTL_CLASS_GUID_INIT;
static const struct vmbus_guid mmio_class = VMCTL_MMIO_CLASS_GUID_INIT;
static const struct vmbus_guid vpci_class = VPCI_CLASS_GUID_INIT;

struct gvm_peer {
	bool used;
	uint8_t mac[6];
	uint64_t next_seq;		/* sender: the next number to this destination */
	struct guest_traffic_seq rx;	/* sink: what arrived from this source */
	bool joined;			/* sink: the first frame from this source arrived */
	uint64_t join_seq;		/* ... with this number: a stream joined midway is not a loss */
};

struct gvm_send {
	bool active;
	uint32_t seq;			/* the host's request number */
	struct gvm_peer *to;
	uint32_t size, left, handed;
	uint64_t tx_base;		/* tx_frames when it started */
	int64_t next_ms;		/* no burst before this time */
	bool flood;			/* SEND_FLOOD: unpaced, a window of frames with NDIS */
};

struct gvm {
	const struct guest_vm_config *cfg;
	struct partition_guest *pg;
	struct guest_mem *mem;
	int timeout_ms;
	struct vmbus_guest *bus;
	struct vmbus_channel *ctl, *mmio;
	/* NDIS, PnP */
	struct ndis_framework *fw;
	struct pnp_manager *pm;
	struct pnp_dma_pool *dma;
	struct guest_ndis *gn;
	struct vpci_bus *vbus;
	struct vpci_vsc *vsc;
	vpci_vsc_arrival_fn bus_arrival;	/* the PDO layer's, wrapped by gvm_arrival */
	/* NetVsc */
	struct netvsc_dev *dev;
	struct ndis_adapter *nic;
	struct ndis_protocol *traffic, *vfpp;
	const struct guest_traffic_proto *tp;
	uint8_t mac[6];
	/* traffic */
	struct gvm_peer peers[GVM_MAX_PEERS];
	struct gvm_send send;
	uint64_t tx_frames, tx_completed, tx_failed, tx_refused;
	uint64_t rx_bad, rx_foreign;
	/* MMIO; db: the BAR's shared doorbell page (wire/vmctl.h), NULL: every access is a request */
	struct { void *va; uint32_t len; uint64_t phys; struct vmctl_db_page *db; } maps[GVM_MAPS];
	uint64_t mmio_trans;
	uint64_t mmio_requests, mmio_failures;
	unsigned mmio_posted;		/* register writes sent and not answered yet (GVM_MMIO_POSTED) */
	bool mmio_post;			/* post register writes (off with IOVLAB_VF_DOORBELL=0: the "before") */
	uint64_t ctl_refused;		/* control messages from the host that failed vmctl_msg_check() */
	int idle_max_ms;		/* GVM_IDLE_MAX_MS, or IOVLAB_GUEST_IDLE_MAX_MS (tests: a lost wake-up hangs) */
	/* TCP/IP (guest_tcpip.h) */
	struct ndis_protocol *tcpip_proto;
	struct guest_tcpip *tcpip;
	bool net_active;		/* a NET request is running */
	uint32_t net_seq;
	uint64_t net_tx_synthetic, net_tx_vf;	/* NetVsc's counters when it started */
	bool exit;
	struct vmbus_pkt_in in[16];
	_Alignas(8) uint8_t buf[GUEST_VM_CTL_RING];
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- MMIO over the channel (wire/vmctl.h) ------------------------------------------ */
static void db_attach(struct gvm *g, unsigned i);

static int mmio_map(void *ctx, uint64_t phys, uint32_t len, void **va)
{
	struct gvm *g = ctx;

	/* The window is never dereferenced: every access comes back through read/write. */
	for (unsigned i = 0; i < GVM_MAPS; i++)
		if (!g->maps[i].va) {
			g->maps[i].va = calloc(1, len ? len : 1);
			if (!g->maps[i].va)
				return -ENOMEM;
			g->maps[i].len = len;
			g->maps[i].phys = phys;
			*va = g->maps[i].va;
			log_debug(GVM_LOG, "%s: BAR at 0x%llx (+0x%x) mapped", g->cfg->name, (unsigned long long)phys, len);
			db_attach(g, i);
			return 0;
		}
	return -ENOSPC;
}

static void mmio_unmap(void *ctx, void *va, uint32_t len)
{
	struct gvm *g = ctx;

	(void)len;
	for (unsigned i = 0; i < GVM_MAPS; i++)
		if (g->maps[i].va == va) {
			free(va);
			g->maps[i].va = NULL;
			g->maps[i].db = NULL;
		}
}

/*
 * Take answers from the MMIO channel until the one for trans arrives
 * (*status the device's, *out its value) or, with trans 0, until no posted
 * write is unanswered. Answers before trans are the posted writes'. 0, or
 * -ETIMEDOUT (deadline), -EIO (a malformed answer), the channel's error.
 */
static int mmio_wait(struct gvm *g, uint64_t trans, int *status, uint64_t *out, int64_t deadline)
{
	struct vmbus_pkt_in in;
	_Alignas(8) uint8_t buf[64];
	int rc;

	for (;;) {
		if (!trans && !g->mmio_posted)
			return 0;
		rc = vmbus_chan_recv(g->mmio, &in, 1, buf, sizeof(buf));
		if (rc == 1) {
			struct vmctl_mmio_resp r;
			const char *why = "not a completion";
			bool ok = in.type == VMBUS_PKT_COMP && !vmctl_mmio_resp_check(in.data, in.len, &r, &why);

			if (in.type == VMBUS_PKT_COMP && trans && in.trans_id == trans) {
				if (!ok) {
					log_warn(GVM_LOG, "%s: MMIO answer (%u bytes) refused: %s", g->cfg->name, in.len, why);
					return -EIO;
				}
				if (out)
					*out = r.status ? 0xffffffffu : (uint32_t)r.value;
				*status = r.status;
				return 0;
			}
			if (in.type == VMBUS_PKT_COMP && g->mmio_posted && in.trans_id <= g->mmio_trans) {
				g->mmio_posted--;
				if (!ok) {
					g->mmio_failures++;
					if (g->mmio_failures <= 4)
						log_warn(GVM_LOG, "%s: MMIO answer (%u bytes) refused: %s", g->cfg->name,
							 in.len, why);
				} else if (r.status) {
					/* the device's refusal, as a waited write's status was (the caller ignored it) */
					log_debug(GVM_LOG, "%s: a posted MMIO write was refused (%s)", g->cfg->name,
						  strerror(-r.status));
				}
				continue;
			}
			log_warn(GVM_LOG, "%s: stray MMIO answer (type %u, id %llu) dropped", g->cfg->name, in.type,
				 (unsigned long long)in.trans_id);
			continue;
		}
		if (rc < 0)
			return rc;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		(void)vmbus_chan_wait_spin(g->mmio, 10);	/* the host answers at once: spin first */
	}
}

/* Every posted write answered (before a doorbell-page write, before sleeping). */
static void mmio_flush(struct gvm *g)
{
	int rc;

	if (!g->mmio_posted || !g->mmio)
		return;
	if ((rc = mmio_wait(g, 0, NULL, NULL, now_ms() + g->timeout_ms))) {
		g->mmio_failures++;
		log_warn(GVM_LOG, "%s: %u posted MMIO write(s) got no answer (%s)", g->cfg->name, g->mmio_posted,
			 strerror(-rc));
		g->mmio_posted = 0;
	}
}

/* One request, its completion awaited (bounded) -- or, a posted write, not. */
static int mmio_access(struct gvm *g, uint32_t op, uint64_t phys, uint64_t value, uint64_t *out)
{
	struct vmctl_mmio_req req = { .op = op, .size = 4, .gpa = phys, .value = value };
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			       .trans_id = ++g->mmio_trans, .data = &req, .len = sizeof(req) };
	int64_t deadline = now_ms() + g->timeout_ms;
	int rc, status = 0;

	g->mmio_requests++;
	if (!g->mmio)
		return -ENODEV;
	if (g->mmio_posted >= GVM_MMIO_POSTED)
		mmio_flush(g);
	while ((rc = vmbus_chan_send(g->mmio, &p, 1)) == 0) {
		if (now_ms() > deadline || vmbus_chan_wait_space(g->mmio, vmbus_chan_pkt_size(sizeof(req)), 10) < 0)
			break;
	}
	if (rc != 1)
		goto failed;
	if (op == VMCTL_MMIO_WRITE && g->mmio_post) {
		g->mmio_posted++;	/* its answer is taken later (mmio_wait) */
		return 0;
	}
	if ((rc = mmio_wait(g, p.trans_id, &status, out, deadline)) == 0)
		return status;	/* the device's answer */
failed:
	g->mmio_failures++;
	if (g->mmio_failures <= 4)
		log_warn(GVM_LOG, "%s: MMIO %s at 0x%llx got no answer (%s)", g->cfg->name,
			 op == VMCTL_MMIO_READ ? "read" : "write", (unsigned long long)phys, strerror(rc < 0 ? -rc : EIO));
	if (out)
		*out = 0xffffffffu;
	return rc < 0 ? rc : -EIO;
}

static int mmio_read(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
	if (size != 4)
		return -EINVAL;
	return mmio_access(ctx, VMCTL_MMIO_READ, phys, 0, value);
}

/*
 * The shared BAR page (wire/vmctl.h, VMCTL_MMIO_DOORBELL): map i's BAR
 * gets page i of the doorbell area if the host takes it. IOVLAB_VF_DOORBELL=0
 * keeps every register on the request path (the benchmark's "before").
 */
static void db_attach(struct gvm *g, unsigned i)
{
	uint64_t gpa = GUEST_VM_DB_GPA + (uint64_t)i * VMCTL_DB_PAGE_SIZE, slots = 0;
	const char *env = getenv("IOVLAB_VF_DOORBELL");
	struct vmctl_db_page *db;

	if ((env && !strcmp(env, "0")) || !(db = gmem_ptr(g->mem, gpa, VMCTL_DB_PAGE_SIZE)))
		return;
	memset(db, 0, VMCTL_DB_PAGE_SIZE);
	if (mmio_access(g, VMCTL_MMIO_DOORBELL, g->maps[i].phys, gpa, &slots) || !slots || slots > VMCTL_DB_SLOTS ||
	    db->nslots != slots) {
		log_debug(GVM_LOG, "%s: BAR at 0x%llx: no doorbell page (every register by request)", g->cfg->name,
			  (unsigned long long)g->maps[i].phys);
		return;
	}
	g->maps[i].db = db;
	log_info(GVM_LOG, "%s: BAR at 0x%llx: %u doorbell registers through the shared page at 0x%llx", g->cfg->name,
		 (unsigned long long)g->maps[i].phys, (unsigned)slots, (unsigned long long)gpa);
}

/* A write to a register the page shadows: true if it went there (and kicked if the device sleeps). */
static bool db_write(struct gvm *g, uint64_t phys, uint32_t v)
{
	for (unsigned i = 0; i < GVM_MAPS; i++) {
		struct vmctl_db_page *db = g->maps[i].db;
		uint64_t off;

		if (!db || phys < g->maps[i].phys || phys - g->maps[i].phys >= g->maps[i].len)
			continue;
		off = phys - g->maps[i].phys;
		for (unsigned k = 0; k < db->nslots && k < VMCTL_DB_SLOTS; k++) {
			if (db->reg[k] != off)
				continue;
			/*
			 * Contract (wire/vmctl.h, "doorbell"): the value is
			 * published with release -- the descriptors it covers
			 * were written before -- then a full fence orders it
			 * before the read of need_kick, against the host's
			 * "need_kick = 1; fence; re-read value[]". Either the
			 * host sees the value or we see need_kick and kick; the
			 * exchange makes it one kick per host sleep. A posted
			 * register write made before is answered (applied) first:
			 * the host may take the page before it reads the channel.
			 */
			mmio_flush(g);
			__atomic_store_n(&db->value[k], ((db->value[k] >> 32) + 1) << 32 | v, __ATOMIC_RELEASE);
			db->writes++;
			if (!db->kick[k])
				return true;	/* posted: the host reads it before the device needs it */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&db->need_kick, __ATOMIC_RELAXED) &&
			    __atomic_exchange_n(&db->need_kick, 0, __ATOMIC_SEQ_CST)) {
				db->kicks++;
				(void)vmbus_chan_kick(g->mmio);
			}
			return true;
		}
		return false;
	}
	return false;
}

static size_t vf_adapters(struct gvm *g, struct ndis_adapter **out, size_t max);

/*
 * Before the guest sleeps: ask for an interrupt on every doorbell page.
 * Contract (wire/vmctl.h, "interrupt"): irq_armed = 1, then a full fence,
 * then the caller polls the rings once more (the host completes work, then
 * exchanges irq_armed). True if any page is armed.
 */
static bool db_arm(struct gvm *g)
{
	bool any = false;

	for (unsigned i = 0; i < GVM_MAPS; i++)
		if (g->maps[i].db) {
			__atomic_store_n(&g->maps[i].db->irq_armed, 1, __ATOMIC_RELAXED);
			any = true;
		}
	if (any)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return any;
}

/*
 * The VF's misc causes (link change, error, reset by the PF) the host posted
 * in a doorbell page. Contract (wire/vmctl.h, "misc"): the host ORs them in
 * before it takes irq_armed; we take them by exchange on every turn and
 * again after arming, and have the driver check its link and health on the
 * next service (SrnicVfMiscInterrupt, the misc vector's stand-in). True if
 * any page had one.
 */
static bool db_misc(struct gvm *g)
{
	struct ndis_adapter *ads[4];
	bool any = false;
	size_t n;

	for (unsigned i = 0; i < GVM_MAPS; i++) {
		struct vmctl_db_page *db = g->maps[i].db;

		if (db && __atomic_load_n(&db->misc_cause, __ATOMIC_RELAXED) &&
		    __atomic_exchange_n(&db->misc_cause, 0, __ATOMIC_SEQ_CST))
			any = true;
	}
	if (!any)
		return false;
	n = vf_adapters(g, ads, 4);
	for (size_t i = 0; i < n; i++) {
		void (*misc)(void);

		*(void **)&misc = ndis_adapter_driver_symbol(ads[i], "SrnicVfMiscInterrupt");
		if (misc) {
			misc();
			break;	/* one call covers every adapter of the driver */
		}
	}
	return true;
}

static int mmio_write(void *ctx, uint64_t phys, unsigned size, uint64_t value)
{
	if (size != 4)
		return -EINVAL;
	if (db_write(ctx, phys, (uint32_t)value))
		return 0;
	return mmio_access(ctx, VMCTL_MMIO_WRITE, phys, value, NULL);
}

static const struct guest_mmio_ops gvm_mmio = { mmio_map, mmio_unmap, mmio_read, mmio_write };

/* ---- the VF miniports --------------------------------------------------------------- */
/* The VF adapters guest NDIS started on a vPCI PDO or a VBD child. */
static size_t vf_adapters(struct gvm *g, struct ndis_adapter **out, size_t max)
{
	struct guest_ndis_adapter_info info;
	size_t n = 0;

	if (!g->gn)
		return 0;
	for (size_t i = 0; guest_ndis_adapter_info_at(g->gn, i, &info) == 0; i++)
		if (info.ad && n < max)
			out[n++] = info.ad;
	return n;
}

/* SrnicVfPoll() (or the driver's equivalent): the DPC stand-in. */
static unsigned long vf_poll(struct gvm *g)
{
	struct ndis_adapter *ads[4];
	size_t n = vf_adapters(g, ads, 4);
	unsigned long work = 0;

	for (size_t i = 0; i < n; i++) {
		ULONG (*poll)(void);

		if (ndis_adapter_state(ads[i]) == NDIS_ADAPTER_HALTED)
			continue;
		*(void **)&poll = ndis_adapter_driver_symbol(ads[i], "SrnicVfPoll");
		if (poll)
			work += poll();
		break;	/* one call services every adapter of the driver */
	}
	return work;
}

/*
 * NetVsc waits for the VF to drain before a switch back: run the VF's DPC
 * meanwhile. With nothing completed yet, sleep until the VF's interrupt the
 * way loop_once() does (arm, fence, poll the rings once more, then block on
 * the MMIO channel's eventfd; docs/hv/vf-doorbell.md "interrupt"), bounded
 * by GVM_PUMP_MAX_MS. A fixed usleep(200) here made every switch back under
 * a stream wait ~250 us after the VF had long completed (bench "switch").
 * A VF without a doorbell page raises no interrupt: it is polled.
 */
#define GVM_PUMP_MAX_MS 1

static int gvm_pump(void *ctx, int timeout_ms)
{
	struct gvm *g = ctx;
	struct pollfd pfd;
	bool misc;

	if (vf_poll(g) || timeout_ms <= 0)
		return 0;
	for (unsigned i = 0; i < GVM_MAPS; i++)
		if (g->maps[i].va && !g->maps[i].db) {
			usleep(50);	/* polled: no interrupt would come */
			return 0;
		}
	mmio_flush(g);	/* a posted tail write answered: the device has seen it */
	if (!g->mmio || !db_arm(g)) {
		usleep(50);
		return 0;
	}
	misc = db_misc(g);	/* after the fence, as in loop_once() */
	if (vf_poll(g) || misc)
		return 0;	/* completed while arming */
	pfd = (struct pollfd){ .fd = vmbus_chan_wait_fd(g->mmio), .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms < GVM_PUMP_MAX_MS ? timeout_ms : GVM_PUMP_MAX_MS) > 0 &&
	    (pfd.revents & POLLIN)) {
		uint64_t v;

		(void)!read(pfd.fd, &v, sizeof(v));
	}
	return 0;
}

/*
 * A vPCI function arrived: before the PDO (and so the VF miniport and
 * NETVSCVFPP's bind) comes up, let NetVsc take what the host sent on its
 * channel -- the host associates the VF there before hot-adding it (spec
 * 2.11), but the two channels are read in turn, and NETVSCVFPP declines a
 * VF whose serial it has not heard of yet.
 */
static struct gvm gvm;	/* the process is this VM's: one */

static void gvm_arrival(struct vpci_vsc_dev *dev, void *arg)
{
	struct gvm *g = &gvm;
	int64_t deadline = now_ms() + 500;
	struct netvsc_proto *nc;

	while (g->dev && (nc = netvsc_dev_proto(g->dev)) && !netvsc_proto_vf_serial(nc, NULL) &&
	       now_ms() < deadline)
		(void)netvsc_dev_poll(g->dev, 10);
	if (g->bus_arrival)
		g->bus_arrival(dev, arg);
}

/* ---- the traffic sink and source ------------------------------------------------------ */
static struct gvm_peer *peer(struct gvm *g, const uint8_t mac[6], bool create)
{
	struct gvm_peer *free_slot = NULL;

	for (unsigned i = 0; i < GVM_MAX_PEERS; i++) {
		if (g->peers[i].used && !memcmp(g->peers[i].mac, mac, 6))
			return &g->peers[i];
		if (!g->peers[i].used && !free_slot)
			free_slot = &g->peers[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	memcpy(free_slot->mac, mac, 6);
	guest_traffic_seq_init(&free_slot->rx);
	return free_slot;
}

static void traffic_rx(void *ctx, const void *data, uint32_t len)
{
	struct gvm *g = ctx;
	uint32_t stream;
	uint64_t seq;
	int rc = guest_traffic_frame_parse(data, len, &stream, &seq);
	struct gvm_peer *from;

	if (rc == -EBADMSG) {
		g->rx_bad++;
		return;
	}
	if (rc || stream != GUEST_VM_STREAM || !(from = peer(g, (const uint8_t *)data + 6, true))) {
		g->rx_foreign++;
		return;
	}
	if (!from->joined) {
		/* This guest (re)started while the source was streaming: count from here. */
		from->joined = true;
		from->join_seq = seq;
		from->rx.next = seq;
	}
	if (seq < from->join_seq) {
		from->rx.received++;	/* older than the first one we saw: late, not lost */
		from->rx.reorder++;
		return;
	}
	guest_traffic_seq_take(&from->rx, seq);
}

static void traffic_tx_done(void *ctx, unsigned completed, unsigned failed)
{
	struct gvm *g = ctx;

	g->tx_completed += completed - failed;
	g->tx_failed += failed;
}

/* Hand the next burst of the running send to NDIS. */
static void send_some(struct gvm *g)
{
	struct gvm_send *s = &g->send;
	static uint8_t frames[VMCTL_FLOOD_BURST][GUEST_TRAFFIC_FRAME_MAX];
	struct guest_traffic_frame f[VMCTL_FLOOD_BURST];
	unsigned n = s->left < GVM_BURST ? s->left : GVM_BURST;
	int rc;

	if (s->flood) {
		/* Unpaced (the benchmark): a burst whenever the window has room for one. */
		if (!s->active || !s->left || !g->tp ||
		    g->tx_frames - g->tx_completed - g->tx_failed > VMCTL_FLOOD_WINDOW - VMCTL_FLOOD_BURST)
			return;
		n = s->left < VMCTL_FLOOD_BURST ? s->left : VMCTL_FLOOD_BURST;
	} else {
		if (!s->active || !s->left || !g->tp || now_ms() < s->next_ms)
			return;
		s->next_ms = now_ms() + 1;
	}
	for (unsigned i = 0; i < n; i++) {
		f[i].data = frames[i];
		f[i].len = guest_traffic_frame_build(frames[i], s->size, s->to->mac, g->mac, GUEST_VM_STREAM,
						     s->to->next_seq + i);
	}
	rc = g->tp->send(f, n);
	if (rc < 0) {
		g->tx_refused++;
		return;	/* not bound or paused: try again next round */
	}
	s->to->next_seq += (unsigned)rc;
	s->left -= (unsigned)rc;
	s->handed += (unsigned)rc;
	g->tx_frames += (unsigned)rc;
}

/* ---- the control channel ---------------------------------------------------------------- */
_Static_assert(VMCTL_SEND_SIZE_MIN == GUEST_TRAFFIC_FRAME_MIN && VMCTL_SEND_SIZE_MAX == GUEST_TRAFFIC_FRAME_MAX,
	       "SEND's frame sizes are the traffic format's");
_Static_assert(VMCTL_NDISKD_ADAPTER_STATES == NDIS_ADAPTER_STATE_COUNT, "ndiskd carries NDIS's adapter states");
_Static_assert(VMCTL_NDISKD_BINDING_STATES == NDIS_BINDING_STATE_COUNT, "ndiskd carries NDIS's binding states");

/* Copy s into a wire string field: printable ASCII ('?' for anything else), cut to fit, NUL-padded. */
static void ndiskd_name(char dst[VMCTL_NDISKD_NAME], const char *s)
{
	size_t i = 0;

	memset(dst, 0, VMCTL_NDISKD_NAME);
	for (; s && s[i] && i < VMCTL_NDISKD_NAME - 1; i++)
		dst[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x7e ? s[i] : '?';
}

static void ctl_send(struct gvm *g, const void *msg, uint32_t len)
{
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = msg, .len = len };
	int64_t deadline = now_ms() + g->timeout_ms;

	while (g->ctl && vmbus_chan_send(g->ctl, &p, 1) == 0) {
		if (now_ms() > deadline || vmbus_chan_wait_space(g->ctl, vmbus_chan_pkt_size(len), 10) < 0) {
			log_warn(GVM_LOG, "%s: the control channel stays full; report dropped", g->cfg->name);
			return;
		}
	}
}

/* ---- diagnose inside the guest (wire/vmctl.h VMCTL_MSG_DIAG) ------------------------------ */
/*
 * What the guest's half of the SR-IOV chain reached, as JSON the host's
 * diagnose parses (src/diag/guest_facts.c; keys in docs/diagnose.md). Only
 * facts, no verdicts: the host decides which link is broken. Bounded:
 * every string is cut to GVM_DIAG_STR printable bytes, every array to a
 * fixed number of rows (the *_total fields count the rest), and if the text
 * still does not fit VMCTL_DIAG_JSON_MAX the findings are dropped first.
 */
#define GVM_DIAG_STR 95u
#define GVM_DIAG_DEVICES 4u
#define GVM_DIAG_ADAPTERS 3u
#define GVM_DIAG_BINDINGS 4u
#define GVM_DIAG_FINDINGS 6u
#define GVM_DIAG_EVIDENCE 200u

static json_t *diag_str(const char *s, size_t max)
{
	char b[GVM_DIAG_EVIDENCE + 1];
	size_t i = 0;

	if (max > GVM_DIAG_EVIDENCE)
		max = GVM_DIAG_EVIDENCE;
	for (; s && s[i] && i < max; i++)
		b[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x7e ? s[i] : '?';
	b[i] = '\0';
	return json_string(b);
}

static void diag_set(json_t *o, const char *key, json_t *v)
{
	(void)json_object_set_new(o, key, v);
}

static json_t *diag_adapter(struct gvm *g, struct ndis_adapter *ad)
{
	struct guest_ndis_adapter_info info;
	struct ndis_sriov_view v;
	json_t *a = json_object(), *bs = json_array();
	bool on_edge = g->gn && guest_ndis_adapter_info(g->gn, ad, &info) == 0;
	size_t nb = ndis_adapter_binding_count(ad);
	json_t *serial_oid = json_null();

	memset(&v, 0, sizeof(v));
	ndis_adapter_sriov_view(ad, &v);
	diag_set(a, "name", diag_str(ndis_adapter_name(ad), GVM_DIAG_STR));
	diag_set(a, "driver", diag_str(ndis_adapter_driver_name(ad), GVM_DIAG_STR));
	diag_set(a, "synthetic", json_boolean(ad == g->nic));
	diag_set(a, "pnp", json_boolean(on_edge));
	diag_set(a, "state", diag_str(ndis_adapter_state_name(ndis_adapter_state(ad)), GVM_DIAG_STR));
	diag_set(a, "init_status", json_integer(ndis_adapter_init_status(ad)));
	diag_set(a, "hw_caps", v.has_hw_sriov ? json_integer(v.hw_sriov_caps) : json_null());
	diag_set(a, "cur_caps", v.has_cur_sriov ? json_integer(v.cur_sriov_caps) : json_null());
	diag_set(a, "switch_caps", json_boolean(v.has_hw_switch || v.has_cur_switch));
	diag_set(a, "rcv_filter_caps", json_boolean(v.has_rcv_filter_caps));
	diag_set(a, "vmq_enabled", json_boolean(v.vmq_enabled));
	diag_set(a, "hypervisor_checked", json_boolean(v.hypervisor_info_called));
	diag_set(a, "media_connect", json_integer(v.media_connect));
	diag_set(a, "vpci", json_boolean(v.vpci_interface));
	diag_set(a, "serial", json_integer(v.vf_serial));
	diag_set(a, "over_vbd", json_boolean(on_edge && info.over_vbd));
	diag_set(a, "iface_status", on_edge ? json_integer((uint32_t)info.interface_status) : json_null());
	/* The newest OID_SRIOV_VF_SERIAL_NUMBER NDIS recorded (spec 2.12: NetVsc's VF edge asks it). */
	for (size_t k = ndis_adapter_oid_record_count(ad); k-- > 0;) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(ad, k);

		if (r && r->oid == OID_SRIOV_VF_SERIAL_NUMBER && !r->pending) {
			json_decref(serial_oid);
			serial_oid = json_pack("{s:I,s:b,s:o}", "status", (json_int_t)r->status, "by_ndis", r->by_ndis,
					       "issuer", diag_str(r->issuer, GVM_DIAG_STR));
			break;
		}
	}
	diag_set(a, "serial_oid", serial_oid ? serial_oid : json_null());
	for (size_t k = 0; k < nb && json_array_size(bs) < GVM_DIAG_BINDINGS; k++) {
		struct ndis_binding_info b;

		if (ndis_adapter_binding_at(ad, k, &b))
			continue;
		(void)json_array_append_new(bs, json_pack("{s:o,s:o,s:I}", "protocol", diag_str(b.protocol, GVM_DIAG_STR),
							  "state", diag_str(ndis_binding_state_name(b.state), GVM_DIAG_STR),
							  "status", (json_int_t)(b.state == NDIS_BINDING_DECLINED ? b.status : 0)));
	}
	diag_set(a, "bindings", bs);
	diag_set(a, "bindings_total", json_integer((json_int_t)nb));
	return a;
}

/* One device node and, for a bus driver's node, its children (a VBD's VF PDO). */
static void diag_device(json_t *devs, struct pnp_devnode *dn, bool vbd_child)
{
	const char *svc = pnp_devnode_service(dn), *hwid = pnp_devnode_hwid(dn, 0);

	if (json_array_size(devs) >= GVM_DIAG_DEVICES)
		return;
	(void)json_array_append_new(devs, json_pack("{s:o,s:o,s:o,s:I,s:b}", "hwid", diag_str(hwid ? hwid : "", GVM_DIAG_STR),
						    "service", diag_str(svc ? svc : "", GVM_DIAG_STR),
						    "state", diag_str(pnp_dn_state_name(pnp_devnode_state(dn)), GVM_DIAG_STR),
						    "problem", (json_int_t)(uint32_t)pnp_devnode_problem(dn),
						    "vbd_child", vbd_child));
	for (size_t i = 0; i < pnp_devnode_child_count(dn); i++)
		diag_device(devs, pnp_devnode_child_at(dn, i), true);
}

static char *diag_text(struct gvm *g, bool findings)
{
	struct netvsc_proto *nc = g->dev ? netvsc_dev_proto(g->dev) : NULL;
	json_t *root = json_object(), *ads = json_array(), *devs = json_array(), *fs = json_array();
	size_t n = g->fw ? ndis_framework_adapter_count(g->fw) : 0, nf = g->fw ? ndis_framework_finding_count(g->fw) : 0;
	size_t npdo = g->vbus ? vpci_bus_pdo_count(g->vbus) : 0;
	char *text;

	diag_set(root, "v", json_integer(VMCTL_DIAG_V1));
	if (nc) {
		struct netvsc_proto_stats es;
		uint32_t serial = 0;
		bool has_serial = netvsc_proto_vf_serial(nc, &serial);

		netvsc_proto_get_stats(nc, &es);
		diag_set(root, "netvsc", json_pack("{s:o,s:b,s:I,s:I,s:I,s:I,s:I}", "state",
						   diag_str(netvsc_dp_state_name(netvsc_proto_state(nc)), GVM_DIAG_STR),
						   "link_up", netvsc_proto_link_up(nc), "host_serial",
						   (json_int_t)(has_serial ? serial : 0), "tx_synthetic", (json_int_t)es.tx_synthetic,
						   "tx_vf", (json_int_t)es.tx_vf, "switches", (json_int_t)es.switches, "associations",
						   (json_int_t)es.associations));
	} else {
		diag_set(root, "netvsc", json_null());
	}
	{
		/* The VF's BARs the host's probe gave a size (OID_SRIOV_PROBED_BARS through the vPCI VSP). */
		uint32_t serial = 0;
		struct vpci_vsc_dev *vd = NULL;
		json_t *sized = json_null();

		if (nc && netvsc_proto_vf_serial(nc, &serial) && g->vsc)
			vd = vpci_vsc_find_serial(g->vsc, serial);
		if (vd) {
			const struct vpci_func_info *fi = vpci_vsc_dev_info(vd);
			json_int_t k = 0;

			for (unsigned b = 0; fi && b < VPCI_BAR_COUNT; b++)
				k += fi->probed_bars[b] != 0;
			json_decref(sized);
			sized = json_integer(k);
		}
		diag_set(root, "vpci", json_pack("{s:b,s:I,s:o}", "bus", g->vsc != NULL, "pdos", (json_int_t)npdo,
						 "sized_bars", sized));
	}
	for (size_t i = 0; i < npdo; i++) {
		struct pnp_devnode *dn = pnp_devnode_of(vpci_bus_pdo_at(g->vbus, i));

		if (dn)
			diag_device(devs, dn, false);
	}
	diag_set(root, "devices", devs);
	for (size_t i = 0; i < n && json_array_size(ads) < GVM_DIAG_ADAPTERS; i++) {
		struct ndis_adapter *ad = ndis_framework_adapter_at(g->fw, i);

		if (ad)
			(void)json_array_append_new(ads, diag_adapter(g, ad));
	}
	diag_set(root, "adapters", ads);
	diag_set(root, "adapters_total", json_integer((json_int_t)n));
	for (size_t i = 0; findings && i < nf && json_array_size(fs) < GVM_DIAG_FINDINGS; i++) {
		const struct ndis_finding *f = ndis_framework_finding_at(g->fw, i);

		if (f)
			(void)json_array_append_new(fs, json_pack("{s:o,s:o,s:o,s:o}", "rule", diag_str(f->id, GVM_DIAG_STR),
								  "driver", diag_str(f->driver, GVM_DIAG_STR), "adapter",
								  diag_str(f->adapter, GVM_DIAG_STR), "evidence",
								  diag_str(f->evidence, GVM_DIAG_EVIDENCE)));
	}
	diag_set(root, "findings", fs);
	diag_set(root, "findings_total", json_integer((json_int_t)nf));
	diag_set(root, "traffic", json_pack("{s:I,s:I,s:I}", "tx_frames", (json_int_t)g->tx_frames, "tx_completed",
					    (json_int_t)g->tx_completed, "tx_failed", (json_int_t)g->tx_failed));
	text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(root);
	return text;
}

static void send_diag(struct gvm *g, uint32_t seq)
{
	static _Alignas(8) uint8_t m[sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX];	/* not on the loop's stack */
	struct vmctl_diag h = { .hdr = { .type = VMCTL_MSG_DIAG, .seq = seq }, .version = VMCTL_DIAG_V1 };
	char *text = diag_text(g, true);
	size_t len = text ? strlen(text) : 0;

	if (len > VMCTL_DIAG_JSON_MAX) {
		free(text);
		text = diag_text(g, false);	/* the findings go first */
		len = text ? strlen(text) : 0;
	}
	if (!text || !len || len > VMCTL_DIAG_JSON_MAX) {
		free(text);
		text = strdup("{\"v\":1,\"error\":\"the guest's facts do not fit the message\"}");
		len = text ? strlen(text) : 0;
		if (!len)
			return;
	}
	h.len = (uint32_t)len;
	h.hdr.size = (uint32_t)(sizeof(h) + len);
	memcpy(m, &h, sizeof(h));
	memcpy(m + sizeof(h), text, len);
	free(text);
	ctl_send(g, m, h.hdr.size);
}


static void fill_status(struct gvm *g, struct vmctl_status *st, uint32_t type, uint32_t seq)
{
	struct netvsc_proto *nc = g->dev ? netvsc_dev_proto(g->dev) : NULL;
	struct ndis_adapter *ads[4];
	size_t nvf = vf_adapters(g, ads, 4);

	memset(st, 0, sizeof(*st));
	st->hdr = (struct vmctl_hdr){ .type = type, .size = sizeof(*st), .seq = seq };
	for (unsigned i = 0; i < GVM_MAX_PEERS; i++) {
		const struct guest_traffic_seq *s = &g->peers[i].rx;

		if (!g->peers[i].used)
			continue;
		st->rx_received += s->received;
		st->rx_lost += s->lost;
		st->rx_dup += s->dup;
		st->rx_reorder += s->reorder;
	}
	st->rx_bad = g->rx_bad;
	st->rx_foreign = g->rx_foreign;
	st->tx_frames = g->tx_frames;
	st->tx_completed = g->tx_completed;
	st->tx_failed = g->tx_failed;
	st->tx_refused = g->tx_refused;
	if (nc) {
		struct netvsc_proto_stats es;

		netvsc_proto_get_stats(nc, &es);
		st->tx_synthetic = es.tx_synthetic;
		st->tx_vf = es.tx_vf;
		st->switches = es.switches;
		st->data_path = (uint32_t)netvsc_proto_state(nc);
		(void)netvsc_proto_vf_serial(nc, &st->vf_serial);
	}
	st->vf_adapters = (uint32_t)nvf;
	st->vf_binding = VMCTL_VF_NONE;
	for (size_t i = 0; i < nvf; i++) {
		struct ndis_binding_info b;

		for (size_t k = 0; ndis_adapter_binding_at(ads[i], k, &b) == 0; k++) {
			if (strcmp(b.protocol, "NETVSCVFPP"))
				continue;
			st->vf_binding = b.state == NDIS_BINDING_BOUND	   ? VMCTL_VF_BOUND :
					 b.state == NDIS_BINDING_DECLINED ? VMCTL_VF_DECLINED :
									    VMCTL_VF_OTHER;
			st->vf_status = b.status;
		}
	}
	st->send_done = g->send.handed;
}

/* The guest NDIS's adapters and their bindings, for ndiskd on the host (wire/vmctl.h). */
static void fill_ndiskd(struct gvm *g, struct vmctl_ndiskd *m, uint32_t seq)
{
	size_t n = g->fw ? ndis_framework_adapter_count(g->fw) : 0;

	memset(m, 0, sizeof(*m));
	m->hdr = (struct vmctl_hdr){ .type = VMCTL_MSG_NDISKD, .size = sizeof(*m), .seq = seq };
	m->version = VMCTL_NDISKD_V1;
	m->adapters_total = (uint32_t)n;
	for (size_t i = 0; i < n && m->nadapters < VMCTL_NDISKD_ADAPTERS; i++) {
		struct ndis_adapter *ad = ndis_framework_adapter_at(g->fw, i);
		struct vmctl_ndiskd_adapter *a = &m->adapters[m->nadapters];
		struct ndis_sriov_view v;
		size_t nb;

		if (!ad)
			continue;
		m->nadapters++;
		ndiskd_name(a->name, ndis_adapter_name(ad));
		ndiskd_name(a->driver, ndis_adapter_driver_name(ad));
		if (!a->name[0])
			ndiskd_name(a->name, "?");
		a->state = (uint32_t)ndis_adapter_state(ad);
		a->init_status = ndis_adapter_init_status(ad);
		for (size_t k = 0; k < ndis_adapter_oid_record_count(ad); k++) {
			const struct ndis_oid_record *r = ndis_adapter_oid_record_at(ad, k);

			if (r && r->pending) {
				a->pending_oid = r->oid;
				break;
			}
		}
		memset(&v, 0, sizeof(v));
		ndis_adapter_sriov_view(ad, &v);
		a->sriov_caps = v.has_cur_sriov ? v.cur_sriov_caps : 0;
		if (ad == g->nic)
			a->flags |= VMCTL_NDISKD_SYNTHETIC;
		if (a->sriov_caps & NDIS_SRIOV_CAPS_VF_MINIPORT)
			a->flags |= VMCTL_NDISKD_VF;
		if (v.vpci_interface)
			a->flags |= VMCTL_NDISKD_VPCI;
		a->vf_serial = v.vf_serial;
		nb = ndis_adapter_binding_count(ad);
		a->bindings_total = (uint32_t)nb;
		for (size_t k = 0; k < nb && a->nbindings < VMCTL_NDISKD_BINDINGS; k++) {
			struct ndis_binding_info b;
			struct vmctl_ndiskd_binding *o = &a->bindings[a->nbindings];

			if (ndis_adapter_binding_at(ad, k, &b))
				continue;
			a->nbindings++;
			ndiskd_name(o->protocol, b.protocol);
			if (!o->protocol[0])
				ndiskd_name(o->protocol, "?");
			o->state = (uint32_t)b.state;
			o->status = b.state == NDIS_BINDING_DECLINED ? b.status : 0;
		}
		if (a->bindings_total < a->nbindings)
			a->bindings_total = a->nbindings;
	}
	if (m->adapters_total < m->nadapters)
		m->adapters_total = m->nadapters;
}

/* ---- the TCP/IP stack's operations (VMCTL_MSG_NET) ---------------------------------------- */
static void netvsc_tx(struct gvm *g, uint64_t *synthetic, uint64_t *vf)
{
	struct netvsc_proto *nc = g->dev ? netvsc_dev_proto(g->dev) : NULL;
	struct netvsc_proto_stats es = { 0 };

	if (nc)
		netvsc_proto_get_stats(nc, &es);
	*synthetic = es.tx_synthetic;
	*vf = es.tx_vf;
}

static void net_answer(struct gvm *g, uint32_t seq, const struct guest_tcpip_result *r, uint32_t op)
{
	struct vmctl_net_done m = { .hdr = { .type = VMCTL_MSG_NET_DONE, .size = sizeof(m), .seq = seq }, .op = op };
	uint64_t syn, vf;

	if (r) {
		m.status = r->status;
		m.sent = r->sent;
		m.received = r->received;
		m.lost = r->lost;
		m.mismatched = r->mismatched;
		m.retransmits = r->retransmits;
		m.elapsed_us = r->elapsed_us;
		m.rtt_min_us = r->rtt_min_us;
		m.rtt_avg_us = r->rtt_avg_us;
		m.rtt_max_us = r->rtt_max_us;
		m.flags = r->intact ? VMCTL_NET_INTACT : 0;
		if (op != VMCTL_NET_TCP && m.received > m.sent)
			m.received = m.sent;
		netvsc_tx(g, &syn, &vf);
		m.tx_synthetic = syn - g->net_tx_synthetic;
		m.tx_vf = vf - g->net_tx_vf;
	}
	ctl_send(g, &m, sizeof(m));
}

/* A NET request, already checked by vmctl_msg_check(): start it, or answer why not at once. */
static void net_start(struct gvm *g, const void *data)
{
	struct vmctl_net m;
	struct guest_tcpip_request req = { 0 };
	struct guest_tcpip_result r = { 0 };
	int rc;

	memcpy(&m, data, sizeof(m));
	req.op = m.op == VMCTL_NET_PING ? GUEST_TCPIP_PING : m.op == VMCTL_NET_TCP ? GUEST_TCPIP_TCP : GUEST_TCPIP_UDP;
	req.addr = m.addr;
	req.port = m.port;
	req.count = m.count;
	req.size = m.size;
	req.bytes = m.bytes;
	req.timeout_ms = m.timeout_ms;
	if (!g->tcpip)
		rc = -ENETDOWN;	/* no address, or IOVTCPIP did not bind */
	else if (g->net_active)
		rc = -EBUSY;
	else
		rc = guest_tcpip_start(g->tcpip, &req);
	if (rc) {
		log_warn(GVM_LOG, "%s: network request %u not started: %s", g->cfg->name, m.op, strerror(-rc));
		r.status = rc;
		netvsc_tx(g, &g->net_tx_synthetic, &g->net_tx_vf);
		net_answer(g, m.hdr.seq, &r, m.op);
		return;
	}
	g->net_active = true;
	g->net_seq = m.hdr.seq;
	netvsc_tx(g, &g->net_tx_synthetic, &g->net_tx_vf);
}

static void net_poll(struct gvm *g)
{
	struct guest_tcpip_result r;

	if (!g->tcpip)
		return;
	guest_tcpip_poll(g->tcpip);
	if (g->net_active && guest_tcpip_done(g->tcpip, &r)) {
		g->net_active = false;
		net_answer(g, g->net_seq, &r, (uint32_t)r.op);
	}
}

/* ---- live capture (wire/vmctl.h VMCTL_MSG_CAPTURE_*, docs/capture.md) ---------------------- */
/* docs/capture.md: the VM's view of its network at NetVsc's miniport edge, whichever path a frame takes. */
static void name_capture_point(struct gvm *g)
{
	char point[96], desc[160];

	snprintf(point, sizeof(point), "%s NetVsc", g->cfg->name);
	snprintf(desc, sizeof(desc), "%s's NetVsc miniport edge in the guest (synthetic or VF path; "
		 "outbound = the guest sent, inbound = indicated to the guest)", g->cfg->name);
	ndis_adapter_set_capture(g->nic, point, desc);
}

static void capture_answer(struct gvm *g, uint32_t seq, uint32_t op, int status, uint64_t frames)
{
	struct vmctl_capture_ack m = { .hdr = { .type = VMCTL_MSG_CAPTURE_ACK, .size = sizeof(m), .seq = seq },
				       .op = op, .status = status, .frames = frames };

	ctl_send(g, &m, sizeof(m));
}

/* Open exactly the part the host named (vmctl_msg_check() vetted it); NetVsc's point joins it. */
static void capture_start_msg(struct gvm *g, const void *data, uint32_t seq)
{
	static struct vmctl_capture_start m;	/* 1 KiB: not on the loop's stack */
	const char *filters[VMCTL_CAPTURE_FILTERS];
	char err[VMCTL_CAPTURE_PATH_MAX + 128];
	int rc;

	memcpy(&m, data, sizeof(m));
	for (uint32_t i = 0; i < m.nfilters; i++)
		filters[i] = m.filters[i];
	rc = capture_start_part(m.part, filters, m.nfilters, err, sizeof(err));
	if (rc)
		log_warn(GVM_LOG, "%s: capture: %s", g->cfg->name, err);
	else if (g->nic)
		name_capture_point(g);	/* the same point the fork path names in bring_up() */
	capture_answer(g, seq, VMCTL_MSG_CAPTURE_START, rc, 0);
}

/* One message from the host, checked by vmctl_msg_check() before a field is read. */
static void ctl_handle(struct gvm *g, const void *data, uint32_t len)
{
	struct vmctl_hdr h;
	uint32_t type;
	const char *why;

	if (vmctl_msg_check(data, len, VMCTL_TO_GUEST, &type, &why)) {
		g->ctl_refused++;
		if (g->ctl_refused <= 4)
			log_warn(GVM_LOG, "%s: control message 0x%x (%s, %u bytes) refused: %s", g->cfg->name, type,
				 vmctl_msg_name(type), len, why);
		return;
	}
	memcpy(&h, data, sizeof(h));
	switch (type) {
	case VMCTL_MSG_DIAG_QUERY:
		send_diag(g, h.seq);
		return;
	case VMCTL_MSG_SEND_FLOOD:
	case VMCTL_MSG_SEND: {
		struct vmctl_send m;

		memcpy(&m, data, sizeof(m));
		if (g->send.active) {
			why = "a send is still running";
			break;
		}
		g->send = (struct gvm_send){ .active = true, .seq = h.seq, .to = peer(g, m.dst, true), .size = m.size,
					     .left = m.count, .tx_base = g->tx_frames,
					     .flood = type == VMCTL_MSG_SEND_FLOOD };
		if (!g->send.to) {
			g->send.active = false;
			why = "no room for another destination";
			break;
		}
		log_info(GVM_LOG, "%s: sending %u frames of %u bytes to %02x:%02x:%02x:%02x:%02x:%02x", g->cfg->name,
			 m.count, m.size, m.dst[0], m.dst[1], m.dst[2], m.dst[3], m.dst[4], m.dst[5]);
		return;
	}
	case VMCTL_MSG_QUERY: {
		struct vmctl_status st;

		fill_status(g, &st, VMCTL_MSG_STATUS, h.seq);
		ctl_send(g, &st, sizeof(st));
		return;
	}
	case VMCTL_MSG_NDISKD_QUERY: {
		static struct vmctl_ndiskd m;	/* 1.7 KiB: not on the stack of the loop */

		fill_ndiskd(g, &m, h.seq);
		ctl_send(g, &m, sizeof(m));
		return;
	}
	case VMCTL_MSG_NET:
		net_start(g, data);
		return;
	case VMCTL_MSG_CAPTURE_START:
		capture_start_msg(g, data, h.seq);
		return;
	case VMCTL_MSG_CAPTURE_STOP: {
		uint64_t frames = 0;
		int rc = capture_stop_part(&frames);

		capture_answer(g, h.seq, VMCTL_MSG_CAPTURE_STOP, rc, frames);
		return;
	}
	case VMCTL_MSG_EXIT:
		g->exit = true;
		return;
	default:
		why = "not handled";
		break;
	}
	g->ctl_refused++;
	log_warn(GVM_LOG, "%s: control message %s refused: %s", g->cfg->name, vmctl_msg_name(type), why);
}

static void ctl_poll(struct gvm *g)
{
	capture_flush_due();	/* the part on disk is never more than 0.1 s behind (docs/capture.md) */
	for (;;) {
		int n = g->ctl ? vmbus_chan_recv(g->ctl, g->in, 16, g->buf, sizeof(g->buf)) : 0;

		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			ctl_handle(g, g->in[i].data, g->in[i].len);
	}
}

/* The running send is over once NDIS has every frame back. */
static void send_check_done(struct gvm *g)
{
	struct vmctl_status st;

	if (!g->send.active || g->send.left || g->tx_completed + g->tx_failed < g->tx_frames)
		return;
	fill_status(g, &st, VMCTL_MSG_SENT, g->send.seq);
	g->send.active = false;
	ctl_send(g, &st, sizeof(st));
}

/* ---- bring-up and teardown --------------------------------------------------------------- */
static int install(struct gvm *g, const char *dir, const char *inf, bool pnp_edge)
{
	char path[1024], err[512];
	int rc;

	if (inf[0] == '/')
		snprintf(path, sizeof(path), "%s", inf);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, inf);
	rc = pnp_edge ? guest_ndis_install_inf(g->gn, path, dir, err, sizeof(err)) :
			ndis_framework_install_inf(g->fw, path, dir, err, sizeof(err));
	if (rc)
		log_error(GVM_LOG, "%s: installing %s: %s", g->cfg->name, path, err);
	return rc;
}

static int bring_up(struct gvm *g)
{
	const struct guest_vm_config *c = g->cfg;
	uint64_t mem = gmem_size(g->mem);
	struct guest_ndis_config gc = { 0 };
	bool tcpip_installed = false;
	char err[512];
	int rc;

	if (mem < GUEST_VM_MIN_MEM) {
		log_error(GVM_LOG, "%s: %llu bytes of memory is too little (at least %u)", c->name,
			  (unsigned long long)mem, GUEST_VM_MIN_MEM);
		return -EINVAL;
	}
	if (c->vmbus_delay_ms > 0) {
		/* [fault] vmbus_offer_delay (F19): the guest's VMBus comes up late. */
		struct timespec d = { c->vmbus_delay_ms / 1000, (long)(c->vmbus_delay_ms % 1000) * 1000000L };

		log_warn(GVM_LOG, "%s: VMBus connects %d ms late ([fault] vmbus_offer_delay)", c->name, c->vmbus_delay_ms);
		while (nanosleep(&d, &d) && errno == EINTR)
			;
	}
	if ((rc = vmbus_guest_connect(g->pg, g->timeout_ms, &g->bus))) {
		log_error(GVM_LOG, "%s: VMBus did not come up (%s)", c->name, strerror(-rc));
		return rc;
	}
	g->ctl = vmbus_guest_find(g->bus, &ctl_class);
	g->mmio = vmbus_guest_find(g->bus, &mmio_class);
	if (g->ctl && (rc = vmbus_guest_open(g->ctl, GUEST_VM_CTL_GPA, GUEST_VM_CTL_RING, GUEST_VM_CTL_RING,
					     g->timeout_ms))) {
		log_error(GVM_LOG, "%s: the control channel did not open (%s)", c->name, strerror(-rc));
		g->ctl = NULL;
	}
	if (g->mmio && (rc = vmbus_guest_open(g->mmio, GUEST_VM_MMIO_GPA, GUEST_VM_MMIO_RING, GUEST_VM_MMIO_RING,
					      g->timeout_ms))) {
		log_error(GVM_LOG, "%s: the MMIO channel did not open (%s)", c->name, strerror(-rc));
		g->mmio = NULL;
	}

	/* NDIS (child partition), PnP, the DMA pool, NDIS's PnP edge. */
	g->fw = ndis_framework_create(c->name, NDIS_PARTITION_CHILD);
	g->pm = pnp_manager_create(c->name);
	if (!g->fw || !g->pm)
		return -ENOMEM;
	if ((rc = pnp_dma_pool_create(c->name, gmem_ptr(g->mem, GUEST_VM_DMA_GPA, mem - GUEST_VM_DMA_GPA),
				      GUEST_VM_DMA_GPA, mem - GUEST_VM_DMA_GPA, &g->dma)))
		return rc;
	pnp_dma_pool_mark_zero(g->dma);	/* the VM's memfd is fresh: its pages are zero */
	gc.pm = g->pm;
	gc.fw = g->fw;
	gc.mmio = &gvm_mmio;
	gc.mmio_ctx = g;
	gc.no_msix = c->no_msix;
	if ((rc = guest_ndis_create(&gc, &g->gn)))
		return rc;

	/* The packages. */
	if (c->netvsc_dir && (install(g, c->netvsc_dir, "netvsc.inf", false) ||
			      install(g, c->netvsc_dir, "netvscvfpp.inf", false)))
		return -ENOEXEC;
	if (c->traffic_dir && install(g, c->traffic_dir, "guest_traffic.inf", false))
		return -ENOEXEC;
	/* The TCP/IP stack is an extra: without its package the guest comes up without it. */
	if (c->traffic_dir && c->nnics && c->nics[0].ip)
		tcpip_installed = install(g, c->traffic_dir, "guest_tcpip.inf", false) == 0;
	if (c->vf_inf && install(g, c->vf_dir, c->vf_inf, true))
		return -ENOEXEC;
	if (c->vbd_inf) {
		char path[1024];

		if (c->vbd_inf[0] == '/')
			snprintf(path, sizeof(path), "%s", c->vbd_inf);
		else
			snprintf(path, sizeof(path), "%s/%s", c->vbd_dir, c->vbd_inf);
		if (pnp_install_inf(g->pm, path, c->vbd_dir, err, sizeof(err))) {
			log_error(GVM_LOG, "%s: installing %s: %s", c->name, path, err);
			return -ENOEXEC;
		}
		if (!c->vbd_forward_vpci)
			(void)pnp_manager_set_param(g->pm, "srnic_vbd", "ForwardVpciInterface", 0);
	}

	/* The synthetic NIC: what the guest's VMBus driver makes of NetVSP's offer. */
	if (c->nnics && c->netvsc_dir) {
		struct netvsc_dev_config dc = {
			.name = c->nics[0].name,
			.bus = g->bus,
			.mem = g->mem,
			.ring_gpa = GUEST_VM_NIC_GPA(0),
			.ring_len = GUEST_VM_NIC_RING,
			.recv_buf_gpa = GUEST_VM_NIC_GPA(0) + 0x40000u,
			.recv_buf_len = GUEST_VM_NIC_BUF,
			.send_buf_gpa = GUEST_VM_NIC_GPA(0) + 0xc0000u,
			.send_buf_len = GUEST_VM_NIC_BUF,
			.sriov = true,
			.timeout_ms = g->timeout_ms,
			.pump = gvm_pump,
			.pump_ctx = g,
		};
		struct ndis_adapter_params ap = { .name = "Ethernet", .hardware_id = netvsc_dev_hardware_id };

		memcpy(g->mac, c->nics[0].mac, 6);
		if ((rc = netvsc_dev_create(&dc, &g->dev)))
			return rc;
		ap.pdo = ap.next_device = netvsc_dev_pdo(g->dev);
		rc = ndis_adapter_create(g->fw, &ap, &g->nic);
		if (rc || ndis_adapter_state(g->nic) != NDIS_ADAPTER_RUNNING) {
			log_error(GVM_LOG, "%s: NetVsc's adapter did not come up (%s)", c->name, strerror(rc ? -rc : EIO));
			return rc ? rc : -EIO;
		}
		if (capture_on())
			name_capture_point(g);
		if (c->traffic_dir && ndis_protocol_load(g->fw, GUEST_TRAFFIC_PROTO_COMPONENT_ID, &g->traffic) == 0) {
			g->tp = ndis_protocol_driver_symbol(g->traffic, GUEST_TRAFFIC_PROTO_SYMBOL);
			if (!g->tp || g->tp->attach(traffic_rx, traffic_tx_done, g))
				g->tp = NULL;
			if (g->tp)
				(void)g->tp->running(g->mac);
		}
		if (tcpip_installed && ndis_protocol_load(g->fw, GUEST_TCPIP_PROTO_COMPONENT_ID, &g->tcpip_proto) == 0) {
			const struct guest_traffic_proto *tp =
				ndis_protocol_driver_symbol(g->tcpip_proto, GUEST_TRAFFIC_PROTO_SYMBOL);
			struct guest_tcpip_config tc = { .addr = c->nics[0].ip, .prefix = c->nics[0].prefix };

			if (!tp || (rc = guest_tcpip_create(tp, &tc, &g->tcpip)))
				log_warn(GVM_LOG, "%s: the TCP/IP stack did not come up (%s)", c->name,
					 tp ? strerror(-rc) : "IOVTCPIP exports no table");
		}
		if ((rc = ndis_protocol_load(g->fw, "MS_NETVSCVFPP", &g->vfpp)))
			log_warn(GVM_LOG, "%s: NETVSCVFPP did not load (%s)", c->name, strerror(-rc));
	}

	/* The vPCI bus, if the host gave the VM one: VFs arrive on it. */
	if (vmbus_guest_find(g->bus, &vpci_class)) {
		struct vpci_bus_config bc = { .pm = g->pm, .dma = g->dma };
		struct vpci_vsc_config vc = {
			.ring_gpa = GUEST_VM_VPCI_GPA, .ring_len = GUEST_VM_VPCI_RING, .timeout_ms = g->timeout_ms,
		};

		if ((rc = vpci_bus_create(&bc, &g->vbus)))
			return rc;
		vpci_bus_vsc_config(g->vbus, &vc);
		/* Every callback takes the PDO layer's arg; only arrival is wrapped (gvm_arrival). */
		g->bus_arrival = vc.arrival;
		vc.arrival = gvm_arrival;
		if ((rc = vpci_vsc_create(g->bus, &vc, &g->vsc)))
			log_warn(GVM_LOG, "%s: the vPCI bus did not come up (%s)", c->name, strerror(-rc));
	}
	return 0;
}

static void tear_down(struct gvm *g)
{
	guest_tcpip_destroy(g->tcpip);
	g->tcpip = NULL;
	vpci_bus_destroy(g->vbus);
	if (g->tp)
		(void)g->tp->attach(NULL, NULL, NULL);
	ndis_framework_destroy(g->fw);	/* halts NetVsc (leaving any VF first), the VF, unloads protocols */
	netvsc_dev_destroy(g->dev);
	guest_ndis_destroy(g->gn);
	vpci_vsc_destroy(g->vsc);
	pnp_manager_destroy(g->pm);
	pnp_dma_pool_destroy(g->dma);
	vmbus_guest_destroy(g->bus);
	for (unsigned i = 0; i < GVM_MAPS; i++)
		free(g->maps[i].va);
}

/* ---- the loop ------------------------------------------------------------------------- */
static int loop_once(struct gvm *g, int ms)
{
	struct pollfd pfd[6];
	unsigned n = 0;
	int rc;

	if ((rc = vmbus_guest_poll(g->bus, 0)) == -ECONNRESET)
		return rc;
	/*
	 * The VF's ring before NetVsc's: across a data-path switch the frames
	 * that came through the VF are older than what the synthetic path
	 * brings after it, so taking the VF's first keeps a stream in order.
	 */
	(void)db_misc(g);
	(void)vf_poll(g);
	if (g->dev)
		(void)netvsc_dev_poll(g->dev, 0);
	if (g->vsc)
		(void)vpci_vsc_poll(g->vsc, 0);
	(void)pnp_manager_poll(g->pm);
	ctl_poll(g);
	net_poll(g);
	send_some(g);
	send_check_done(g);
	if (g->send.active && g->send.flood && g->send.left &&
	    g->tx_frames - g->tx_completed - g->tx_failed <= VMCTL_FLOOD_WINDOW - VMCTL_FLOOD_BURST)
		ms = 0;	/* flooding with room in the window: no sleep */
	if (ms && db_arm(g)) {
		bool misc = db_misc(g);	/* after the fence: a cause posted before the host took irq_armed */

		if (vf_poll(g) || misc)
			ms = 0;	/* work arrived while arming: do it before sleeping */
	}
	if (!ms)
		return 0;
	mmio_flush(g);	/* no write left unanswered while we sleep */
	pfd[n++] = (struct pollfd){ .fd = partition_guest_sock(g->pg), .events = POLLIN };
	if (g->ctl)
		pfd[n++] = (struct pollfd){ .fd = vmbus_chan_wait_fd(g->ctl), .events = POLLIN };
	if (g->dev && netvsc_dev_wait_fd(g->dev) >= 0)
		pfd[n++] = (struct pollfd){ .fd = netvsc_dev_wait_fd(g->dev), .events = POLLIN };
	if (g->mmio)	/* the VF's interrupt (doorbell page armed), and stray MMIO signals */
		pfd[n++] = (struct pollfd){ .fd = vmbus_chan_wait_fd(g->mmio), .events = POLLIN };
	if (g->vsc && vpci_vsc_wait_fd(g->vsc) >= 0)	/* vPCI: a VF hot-added or ejected */
		pfd[n++] = (struct pollfd){ .fd = vpci_vsc_wait_fd(g->vsc), .events = POLLIN };
	/* A VF without a doorbell page raises no interrupt (it is polled): wake up every ms regardless. */
	(void)poll(pfd, n, ms);
	for (unsigned i = 1; i < n; i++)
		if (pfd[i].revents & POLLIN) {
			uint64_t v;

			(void)!read(pfd[i].fd, &v, sizeof(v));
		}
	return 0;
}

/*
 * The loop's sleep: 1 ms while something is paced or polled, else until an
 * event wakes us, bounded by lwIP's next timer and GVM_IDLE_MAX_MS.
 */
static int idle_ms(struct gvm *g)
{
	int ms = g->idle_max_ms, t;

	if (g->send.active)
		return 1;	/* the paced source ticks every ms */
	if (g->net_active)
		return 1;	/* a client operation (ping, UDP, a TCP stream) paces itself */
	for (unsigned i = 0; i < GVM_MAPS; i++)
		if (g->maps[i].va && !g->maps[i].db)
			return 1;	/* a VF without a doorbell page raises no interrupt: poll it */
	if (g->tcpip && (t = guest_tcpip_next_ms(g->tcpip)) >= 0 && t < ms)
		ms = t ? t : 1;	/* a due timer: one more turn soon (never 0: that skips arming) */
	return ms;
}

int guest_vm_main(struct partition_guest *pg, void *arg)
{
	struct gvm *g = &gvm;
	struct vmctl_ready ready = { .hdr = { .type = VMCTL_MSG_READY, .size = sizeof(ready) },
				     .version = VMCTL_PROTO_CURRENT };
	int status = 0;

	(void)capture_fork_child();	/* drop the host's capture file, start this VM's own part */
	memset(g, 0, sizeof(*g));
	g->cfg = arg;
	g->pg = pg;
	g->mem = partition_guest_mem(pg);
	g->timeout_ms = g->cfg->timeout_ms > 0 ? g->cfg->timeout_ms : 5000;
	g->idle_max_ms = GVM_IDLE_MAX_MS;
	g->mmio_post = !(getenv("IOVLAB_VF_DOORBELL") && !strcmp(getenv("IOVLAB_VF_DOORBELL"), "0"));
	if (getenv("IOVLAB_GUEST_IDLE_MAX_MS")) {
		long v = strtol(getenv("IOVLAB_GUEST_IDLE_MAX_MS"), NULL, 10);

		g->idle_max_ms = v >= 1 && v <= 600000 ? (int)v : GVM_IDLE_MAX_MS;
	}
	if (bring_up(g)) {
		log_error(GVM_LOG, "%s: the guest did not come up", g->cfg->name);
		tear_down(g);
		capture_stop();
		return 2;
	}
	ready.nics = g->nic ? 1 : 0;
	ctl_send(g, &ready, sizeof(ready));
	log_info(GVM_LOG, "%s: guest up (NetVsc %s, vPCI %s)", g->cfg->name, g->nic ? "running" : "none",
		 g->vsc ? "connected" : "none");
	while (!g->exit) {
		if (loop_once(g, idle_ms(g)) == -ECONNRESET) {
			status = 1;
			break;
		}
	}
	if (status == 0)
		log_info(GVM_LOG, "%s: shutting down", g->cfg->name);
	tear_down(g);
	capture_stop();
	return status;
}
