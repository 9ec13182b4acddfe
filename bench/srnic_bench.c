/*
 * srnic data-path benchmark (not a test: it prints, it asserts nothing).
 * Measures frames/s and Gbit/s for 64 B and 1514 B frames VF -> VF (NIC
 * switch hairpin) and VF -> uplink (built-in peer, count-only), each next to
 * a raw shared-memory ring baseline doing the same work with no device
 * model: descriptors by offset in one memory block, batch 32, one copy per
 * frame into a posted receive buffer, completion written back. The device
 * model is synchronous (a doorbell processes the batch in the caller's
 * thread), so the baseline runs in one thread too. Method per
 * perf-limits.md: A B A B ... (>= 5 pairs), a cache-line ping-pong probe
 * before and after each pair (pairs whose probes differ > 1.5x are dropped),
 * median of the per-pair ratios with min and max.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

#define RING	256u
#define BATCH	32u
#define PAIRS	7
#define RUN_NS	150000000ll	/* per measurement */

/* Count mode (SRNIC_BENCH_FRAMES=N): each run stops after N frames instead
 * of RUN_NS, for instruction counting under callgrind (perf-limits.md). */
static uint64_t count_frames;

static bool run_done(uint64_t frames, double t)
{
	return count_frames ? frames >= count_frames : t >= RUN_NS;
}
#define MEMSZ	(4u << 20)
#define TXR	0x1000u
#define RXR	0x2000u
#define TXB	0x10000u
#define RXB	0x100000u
#define SLOT	2048u

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- cache-line ping-pong probe ---- */

static _Atomic unsigned pp_flag;
#define PP_ROUNDS 20000u

static void *pp_peer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < PP_ROUNDS; i++) {
		while (atomic_load_explicit(&pp_flag, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&pp_flag, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static double probe_ns(void)
{
	pthread_t t;
	double t0;

	atomic_store(&pp_flag, 0);
	pthread_create(&t, NULL, pp_peer, NULL);
	t0 = now_ns();
	for (unsigned i = 0; i < PP_ROUNDS; i++) {
		atomic_store_explicit(&pp_flag, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&pp_flag, memory_order_acquire) != 2 * i + 2)
			;
	}
	pthread_join(t, NULL);
	return (now_ns() - t0) / PP_ROUNDS;
}

/* ---- baseline: raw ring in one memory block ---- */

struct raw_desc {
	uint32_t off, len;
};

struct raw {
	uint8_t *mem;		/* tx buffers, rx buffers */
	struct raw_desc ring[RING];
	struct raw_desc rxring[RING];
	uint32_t head, tail, rxhead;
};

/*
 * Give the baseline's TX frames an Ethernet header, as run_srnic() gives
 * VF1's. Besides making the frames alike, this materialises the pages:
 * never-written calloc memory reads from the kernel's shared zero page, so
 * every "frame" would come from one cached 4 KiB page instead of 512 KiB of
 * buffers.
 */
static void raw_init(struct raw *r)
{
	static const uint8_t hdr[14] = { 0x02, 0x1a, 0xb4, 0x03, 0x12, 0x02,
					 0x02, 0x1a, 0xb4, 0x03, 0x10, 0x01, 0x08, 0x00 };

	for (unsigned i = 0; i < RING; i++)
		memcpy(r->mem + TXB + SLOT * i, hdr, sizeof(hdr));
}

static double run_raw(struct raw *r, unsigned len)
{
	uint64_t frames = 0;
	double t0 = now_ns(), t;

	do {
		for (unsigned k = 0; k < 64; k++) {
			/* producer: post a batch by offset */
			for (unsigned i = 0; i < BATCH; i++) {
				struct raw_desc *d = &r->ring[(r->tail + i) % RING];
				d->off = TXB + ((r->tail + i) % RING) * SLOT;
				d->len = len;
			}
			r->tail += BATCH;
			atomic_thread_fence(memory_order_release);
			/* consumer: copy each frame into a posted buffer, complete */
			while (r->head != r->tail) {
				struct raw_desc *d = &r->ring[r->head % RING];
				struct raw_desc *rx = &r->rxring[r->rxhead % RING];
				memcpy(r->mem + RXB + (r->rxhead % RING) * SLOT, r->mem + d->off, d->len);
				rx->len = d->len;
				rx->off = 1;	/* done */
				r->head++;
				r->rxhead++;
			}
			/* receiver reposts its buffers */
			for (unsigned i = 0; i < BATCH; i++)
				r->rxring[(r->rxhead - BATCH + i) % RING].off = 0;
			frames += BATCH;
		}
		t = now_ns() - t0;
	} while (!run_done(frames, t));
	return frames / (t / 1e9);
}

/* ---- srnic ---- */

struct lab {
	struct pcie_host *host;
	struct srnic *nic;
	struct srnic_peer *peer;
	uint8_t *mem[3];
	uint8_t mac[3][6];
	uint32_t tx_tail, rx_tail;
};

static void w(struct lab *l, unsigned fn, uint32_t off, uint32_t v)
{
	if (srnic_mmio_write32(l->nic, fn, SRNIC_BAR_REGS, off, v)) {
		fprintf(stderr, "srnic_bench: register write fn %u 0x%x refused\n", fn, off);
		exit(1);
	}
}

static uint32_t rdr(struct lab *l, unsigned fn, uint32_t off)
{
	uint32_t v = 0;
	srnic_mmio_read32(l->nic, fn, SRNIC_BAR_REGS, off, &v);
	return v;
}

static void fn_up(struct lab *l, unsigned fn)
{
	uint32_t lo, hi;

	srnic_cfg_write(l->nic, fn, PCI_COMMAND, 2, PCI_COMMAND_MASTER | (fn ? 0 : PCI_COMMAND_MEMORY));
	srnic_set_dma_domain(l->nic, fn, l->mem[fn], MEMSZ);
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_LO), TXR);
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_SIZE), RING);
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE);
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_BASE_LO), RXR + 0x1000);
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_SIZE), RING);
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	for (unsigned i = 0; i < RING; i++) {
		struct srnic_desc *d = (struct srnic_desc *)(l->mem[fn] + RXR + 0x1000 + 16 * i);
		d->addr = RXB + SLOT * i;
		d->len = SLOT;
	}
	w(l, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1);
	w(l, fn, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	lo = rdr(l, fn, SRNIC_REG_MAC_LO);
	hi = rdr(l, fn, SRNIC_REG_MAC_HI);
	for (int i = 0; i < 4; i++)
		l->mac[fn][i] = (uint8_t)(lo >> (8 * i));
	l->mac[fn][4] = (uint8_t)hi;
	l->mac[fn][5] = (uint8_t)(hi >> 8);
}

static void lab_up(struct lab *l)
{
	log_configure("warn", NULL, 0);
	l->host = pcie_host_create();
	l->nic = srnic_create(l->host, 3, 0);
	l->peer = srnic_peer_create(l->nic, 4);
	srnic_peer_set_count_only(l->peer, true);
	for (int i = 0; i < 3; i++)
		l->mem[i] = calloc(1, MEMSZ);
	pcie_host_assign_bars(l->host);
	srnic_cfg_write(l->nic, 0, 0x160 + PCI_SRIOV_NUM_VF, 2, 2);
	srnic_cfg_write(l->nic, 0, 0x160 + PCI_SRIOV_CTRL, 2, PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI);
	for (unsigned f = 0; f <= 2; f++)
		fn_up(l, f);
	w(l, 0, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	for (unsigned v = 1; v <= 2; v++) {
		w(l, 0, SRNIC_REG_VPORT_SEL, v);
		w(l, 0, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(v) | SRNIC_VPORT_CFG_QP_NUM(1));
		w(l, 0, SRNIC_REG_FILTER_SEL, v);
		w(l, 0, SRNIC_REG_FILTER_MAC_LO, l->mac[v][0] | l->mac[v][1] << 8 | l->mac[v][2] << 16 |
						 (uint32_t)l->mac[v][3] << 24);
		w(l, 0, SRNIC_REG_FILTER_MAC_HI, l->mac[v][4] | l->mac[v][5] << 8);
		w(l, 0, SRNIC_REG_FILTER_CFG, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(v));
	}
	l->rx_tail = RING - 1;
}

static void lab_down(struct lab *l)
{
	srnic_peer_destroy(l->peer);
	srnic_destroy(l->nic);
	pcie_host_destroy(l->host);
	for (int i = 0; i < 3; i++)
		free(l->mem[i]);
}

/* A descriptor as a driver posts it, whole: the address, then len, flags,
 * status 0 and vport 0 as one little-endian quadword -- two stores, as the
 * raw baseline writes its descriptors in one. */
static inline void desc_post(struct srnic_desc *d, uint64_t addr, uint16_t len, uint16_t flags)
{
	uint64_t w = len | (uint64_t)flags << 16;

	d->addr = addr;
	memcpy((uint8_t *)d + offsetof(struct srnic_desc, len), &w, sizeof(w));
}

/* VF1 sends batches to dst; VF2 (if the receiver) reposts its buffers. */
static double run_srnic(struct lab *l, unsigned len, const uint8_t *dst, bool to_vf2)
{
	uint8_t *m1 = l->mem[1], *m2 = l->mem[2];
	struct srnic_desc *txr = (struct srnic_desc *)(m1 + TXR), *rxr = (struct srnic_desc *)(m2 + RXR + 0x1000);
	uint32_t tx_tail = l->tx_tail, rx_tail = l->rx_tail;
	uint64_t frames = 0, rx0 = rdr(l, 2, SRNIC_REG_STAT_RX_FRAMES), drops0 = rdr(l, 0, SRNIC_REG_SW_DROP_RING_FULL);
	double t0, t;

	for (unsigned i = 0; i < RING; i++) {
		uint8_t *f = m1 + TXB + SLOT * i;
		memcpy(f, dst, 6);
		memcpy(f + 6, l->mac[1], 6);
		f[12] = 0x08;
		f[13] = 0;
	}
	t0 = now_ns();
	do {
		for (unsigned k = 0; k < 64; k++) {
			for (unsigned i = 0; i < BATCH; i++) {
				unsigned s = (tx_tail + i) % RING;
				desc_post(&txr[s], TXB + SLOT * s, (uint16_t)len, SRNIC_DESC_F_EOP);
			}
			tx_tail = (tx_tail + BATCH) % RING;
			/* One doorbell per batch. */
			srnic_mmio_write32(l->nic, 1, SRNIC_BAR_REGS, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), tx_tail);
			if (to_vf2) {
				/* VF2's driver reposts the buffers it consumed. */
				for (unsigned i = 0; i < BATCH; i++) {
					unsigned s = (rx_tail + i) % RING;
					desc_post(&rxr[s], RXB + SLOT * s, SLOT, 0);
				}
				rx_tail = (rx_tail + BATCH) % RING;
				srnic_mmio_write32(l->nic, 2, SRNIC_BAR_REGS, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), rx_tail);
			}
			frames += BATCH;
		}
		t = now_ns() - t0;
	} while (!run_done(frames, t));
	l->tx_tail = tx_tail;
	l->rx_tail = rx_tail;
	if (to_vf2 && (uint64_t)(rdr(l, 2, SRNIC_REG_STAT_RX_FRAMES) - rx0) != (uint32_t)frames)
		fprintf(stderr, "srnic_bench: VF2 received %u of %llu frames (ring-full drops %u)\n",
			(unsigned)(rdr(l, 2, SRNIC_REG_STAT_RX_FRAMES) - rx0), (unsigned long long)frames,
			(unsigned)(rdr(l, 0, SRNIC_REG_SW_DROP_RING_FULL) - drops0));
	return frames / (t / 1e9);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	static const uint8_t stranger[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x01 };
	static const unsigned sizes[] = { 64, 1514 };
	struct raw raw = { .mem = calloc(1, MEMSZ) };
	struct lab l = { 0 };

	if (!raw.mem) {
		fprintf(stderr, "srnic_bench: out of memory\n");
		return 1;
	}
	raw_init(&raw);
	lab_up(&l);
	if (getenv("SRNIC_BENCH_FRAMES")) {
		/* SRNIC_BENCH_SIZE=bytes (64), SRNIC_BENCH_PATH=vf|uplink (vf) */
		const char *sz = getenv("SRNIC_BENCH_SIZE"), *path = getenv("SRNIC_BENCH_PATH");
		unsigned len = sz ? (unsigned)strtoul(sz, NULL, 0) : 64;
		bool uplink = path && !strcmp(path, "uplink");

		if (len < 14 || len > SLOT) {
			fprintf(stderr, "srnic_bench: SRNIC_BENCH_SIZE must be 14..%u\n", SLOT);
			return 1;
		}
		count_frames = strtoull(getenv("SRNIC_BENCH_FRAMES"), NULL, 0);
		printf("count mode: %llu frames of %u B, raw then srnic VF -> %s\n",
		       (unsigned long long)count_frames, len, uplink ? "uplink" : "VF");
		run_raw(&raw, len);
		run_srnic(&l, len, uplink ? stranger : l.mac[2], !uplink);
		lab_down(&l);
		free(raw.mem);
		return 0;
	}
	printf("srnic benchmark: batch %u, ring %u, %d A/B pairs of %.0f ms each, one thread\n",
	       BATCH, RING, PAIRS, RUN_NS / 1e6);
	printf("%-16s %6s %12s %12s %10s %10s %22s %s\n", "path", "size", "raw Mfps", "srnic Mfps",
	       "raw Gb/s", "srnic Gb/s", "ratio median [min,max]", "pairs kept");
	for (int dst = 0; dst < 2; dst++)
		for (unsigned si = 0; si < 2; si++) {
			unsigned len = sizes[si];
			double ratios[PAIRS], rawv[PAIRS], srv[PAIRS];
			int kept = 0;

			for (int p = 0; p < PAIRS; p++) {
				double pb = probe_ns(), a, b, pa;

				a = run_raw(&raw, len);
				b = run_srnic(&l, len, dst ? stranger : l.mac[2], !dst);
				pa = probe_ns();
				if (pa > 1.5 * pb || pb > 1.5 * pa)
					continue;	/* the vCPUs moved during the pair */
				rawv[kept] = a;
				srv[kept] = b;
				ratios[kept++] = b / a;
			}
			if (!kept) {
				printf("%-16s %6u  all pairs dropped (unstable placement)\n",
				       dst ? "VF -> uplink" : "VF -> VF", len);
				continue;
			}
			qsort(ratios, kept, sizeof(double), cmp);
			qsort(rawv, kept, sizeof(double), cmp);
			qsort(srv, kept, sizeof(double), cmp);
			double rm = rawv[kept / 2], sm = srv[kept / 2];
			printf("%-16s %6u %12.2f %12.2f %10.2f %10.2f %8.2f [%.2f,%.2f] %10d/%d\n",
			       dst ? "VF -> uplink" : "VF -> VF", len, rm / 1e6, sm / 1e6, rm * len * 8 / 1e9,
			       sm * len * 8 / 1e9, ratios[kept / 2], ratios[0], ratios[kept - 1], kept, PAIRS);
		}
	printf("target: srnic >= 0.5 x raw for 64 B frames in batches\n");
	lab_down(&l);
	free(raw.mem);
	return 0;
}
