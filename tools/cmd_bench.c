/*
 * `iovlab bench [--json] [--quick] [--pairs N]`: the benchmark of issue 8
 * (docs/bench.md). In one run, side by side, it measures
 *
 *   raw        a plain SPSC ring with a copy between two processes
 *              (bench/raw/raw_spsc.c) -- the ceiling;
 *   vf         guest traffic source -> NetVsc -> NETVSCVFPP -> srnic_vf ->
 *              srnic VF queues in guest memory -> NIC switch -> the other
 *              VM's VF (or the uplink peer) -> its NetVsc -> traffic sink;
 *   synthetic  the same source -> NetVsc -> VMBus -> NetVSP -> vSwitch ->
 *              the other VM's NetVSP (or the PF and the uplink) -> sink;
 *
 * for 64 B and 1514 B frames, alternating A B A B ... (raw, then the
 * paths) in N pairs with a cache-line ping-pong probe around each pair
 * (pairs whose probes differ by more than 1.5x are dropped), each ratio the
 * median of the per-pair ratios with min and max (perf-limits.md "How
 * iovlab benchmarks measure"). It also counts the VF path's doorbell kicks
 * and interrupts per frame (src/hv/vf_doorbell.c), times VF bring-up per VF
 * as the VF count grows, one busy VF among idle ones, and a VF -> synthetic
 * data-path switch under a stream (its time in control round trips and what
 * the sink lost), and TCP through the guests' lwIP stacks on the VF and the
 * synthetic path (src/hv/guest_tcpip.c's echo service). It prints; it
 * asserts nothing (tests check only that the JSON is complete and
 * consistent).
 *
 * The labs are built here from text (lab_load_string); the host runs the
 * guests as processes exactly as `iovlab run` does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../bench/raw/raw_spsc.h"
#include "base/log.h"
#include "commands.h"
#include "hv/guest_vm.h"
#include "hv/host.h"
#include "hv/vf_doorbell.h"
#include "hv/vmwp.h"
#include "hw/srnic/srnic.h"
#include "lab/lab.h"
#include "wire/srnic_regs.h"


#define MAX_PAIRS 15
#define NPATHS 5	/* raw, vf vm->vm, synthetic vm->vm, vf vm->uplink, synthetic vm->uplink */
#define SRNIC_VFS SRNIC_TOTAL_VFS	/* the most VFs srnic has (256); the lab's total_vfs goes into its capability */
#define BRINGUP_MEMORY "16M"	/* the smallest guest memory the lab allows (schema.c), enough for a VF's rings */

enum path { P_RAW, P_VF, P_SYN, P_VF_UP, P_SYN_UP };
static const char *const path_key[NPATHS] = { "raw", "vf", "synthetic", "vf_uplink", "synthetic_uplink" };
static const char *const path_text[NPATHS] = { "raw SPSC ring", "VF  VM->VM", "syn VM->VM", "VF  VM->uplink",
					       "syn VM->uplink" };

struct opts {
	bool json, quick;
	int pairs;
	unsigned run_ms;	/* per measurement */
};

struct bench {
	struct opts o;
	struct hv_host *host;
	struct lab *lab;
	struct raw_spsc *raw;
	FILE *out;		/* progress: stderr with --json, else stdout */
};

static const uint8_t peer_mac[6] = { 0x02, 0x1a, 0xb4, 0x00, 0x00, 0x01 };

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void progress(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->o.json)
		return;
	va_start(ap, fmt);
	vfprintf(b->out, fmt, ap);
	va_end(ap);
	fflush(b->out);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (of a sorted copy), min, max. */
static void spread(const double *v, int n, double *med, double *min, double *max)
{
	double s[MAX_PAIRS * 2 + 8];

	if (n <= 0) {
		*med = *min = *max = 0;
		return;
	}
	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*min = s[0];
	*max = s[n - 1];
}

/* ---- the cache-line ping-pong probe (perf-limits.md) ---------------------------------------- */
static _Atomic unsigned pp_flag;
#define PP_ROUNDS 2000u
#define PP_BUDGET_NS 5000000ll	/* a probe stops after 5 ms: on a busy machine a round can take a timeslice */
#define PP_STOP 0xffffffffu

static void *pp_peer(void *arg)
{
	(void)arg;
	for (unsigned i = 0;; i++) {
		unsigned f;

		while ((f = atomic_load_explicit(&pp_flag, memory_order_acquire)) != 2 * i + 1 && f != PP_STOP)
			;
		if (f == PP_STOP)
			return NULL;
		atomic_store_explicit(&pp_flag, 2 * i + 2, memory_order_release);
	}
}

/* ns per round trip; the thread is joined before anything forks again. */
static double probe_ns(void)
{
	pthread_t t;
	int64_t t0, dt;
	unsigned i;

	atomic_store(&pp_flag, 0);
	if (pthread_create(&t, NULL, pp_peer, NULL))
		return 0;
	t0 = now_ns();
	for (i = 0; i < PP_ROUNDS && now_ns() - t0 < PP_BUDGET_NS; i++) {
		atomic_store_explicit(&pp_flag, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&pp_flag, memory_order_acquire) != 2 * i + 2)
			;
	}
	dt = now_ns() - t0;
	atomic_store_explicit(&pp_flag, PP_STOP, memory_order_release);
	pthread_join(t, NULL);
	return i ? (double)dt / i : 0;
}

/* ---- the host and its guests ------------------------------------------------------------------ */
typedef bool done_fn(struct bench *b, void *ctx);

static bool run_until(struct bench *b, done_fn *done, void *ctx, int64_t ms)
{
	int64_t deadline = now_ns() + ms * 1000000;

	for (;;) {
		if (done(b, ctx))
			return true;
		if (now_ns() >= deadline)
			return false;
		(void)hv_host_run(b->host, 1);
	}
}

static bool never(struct bench *b, void *ctx)
{
	(void)b;
	(void)ctx;
	return false;
}

static void run_for(struct bench *b, int64_t ms)
{
	(void)run_until(b, never, NULL, ms);
}

static struct vstack_vmnic *nic(struct bench *b, const char *name)
{
	return vstack_vmnic_find(hv_host_vstack(b->host), name);
}

static struct vmwp *guest(struct bench *b, struct vstack_vmnic *n)
{
	struct vmwp *w = n ? hv_host_vm_guest(b->host, vstack_vmnic_vm(n)) : NULL;

	return w && vmwp_state(w) == VMWP_RUNNING ? w : NULL;
}

static bool all_up(struct bench *b, void *ctx)
{
	struct vstack *vs = hv_host_vstack(b->host);

	(void)ctx;
	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		struct vmwp *w = hv_host_vm_guest(b->host, vstack_vm_at(vs, i));

		if (!w || vmwp_state(w) != VMWP_RUNNING)
			return false;
	}
	return true;
}

/* Every adapter whose name is in ctx (NULL-terminated), or every adapter (ctx NULL), on its VF. */
static bool all_on_vf(struct bench *b, void *ctx)
{
	const char *const *names = ctx;
	struct vstack *vs = hv_host_vstack(b->host);

	if (names) {
		for (; *names; names++)
			if (!nic(b, *names) || !vstack_vmnic_datapath_active(nic(b, *names)))
				return false;
		return true;
	}
	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s", vstack_vm_name(vstack_vm_at(vs, i)));
		if (!nic(b, name) || !vstack_vmnic_datapath_active(nic(b, name)))
			return false;
	}
	return true;
}

struct query_ctx {
	struct vmwp *w;
	uint32_t seq;
};

static bool answered(struct bench *b, void *ctx)
{
	struct query_ctx *q = ctx;

	(void)b;
	return vmwp_state(q->w) != VMWP_RUNNING || (int32_t)(vmwp_status(q->w, NULL) - q->seq) >= 0;
}

/* The guest's counters now; the round trip in ms in *rtt (if not NULL). 0 or -errno. */
static int query(struct bench *b, struct vmwp *w, struct vmctl_status *st, double *rtt)
{
	struct query_ctx q = { w, 0 };
	int64_t t0 = now_ns();
	int seq = vmwp_query(w);

	if (seq < 0)
		return seq;
	q.seq = (uint32_t)seq;
	if (!run_until(b, answered, &q, 5000) || vmwp_state(w) != VMWP_RUNNING)
		return -ETIMEDOUT;
	if (rtt)
		*rtt = (double)(now_ns() - t0) / 1e6;
	(void)vmwp_status(w, st);
	return 0;
}

struct sent_ctx {
	struct vmwp *w;
	int seq;
	struct vmctl_status st;
};

static bool sent(struct bench *b, void *ctx)
{
	struct sent_ctx *c = ctx;

	(void)b;
	return vmwp_state(c->w) != VMWP_RUNNING || vmwp_sent(c->w, c->seq, &c->st);
}

struct run_result {
	double fps;		/* frames the receiver got per second */
	uint64_t sent, received, failed;
	double secs;
	struct vf_db_stats db;	/* doorbell counters over the run */
	uint64_t slow_mmio;	/* register requests on the MMIO channels (both VMs) */
};

static uint64_t mmio_requests(struct vmwp *w)
{
	struct vmwp_stats s;

	if (!w)
		return 0;
	vmwp_get_stats(w, &s);
	return s.mmio_reads + s.mmio_writes;
}

/* Flood count frames of size bytes from src to dst (NULL: the uplink peer); 0 or -errno. */
static int flood(struct bench *b, struct vstack_vmnic *src, struct vstack_vmnic *dst, uint32_t count, uint32_t size,
		 struct run_result *r)
{
	struct srnic_peer *peer = hv_nic_peer(hv_host_nic_at(b->host, 0));
	struct vmwp *ws = guest(b, src), *wd = dst ? guest(b, dst) : NULL;
	struct vmctl_status s0 = { 0 }, s1 = { 0 }, tx0 = { 0 };
	struct vf_db_stats d0, d1;
	struct sent_ctx c = { 0 };
	uint64_t p0 = 0, m0;
	int64_t t0, t1;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!ws || (dst && !wd) || (!dst && !peer))
		return -ENOTCONN;
	if ((rc = query(b, ws, &tx0, NULL)))
		return rc;
	if (wd && (rc = query(b, wd, &s0, NULL)))
		return rc;
	if (!wd)
		p0 = srnic_peer_rx_frames(peer);
	m0 = mmio_requests(ws) + mmio_requests(wd);
	vf_db_get_stats(&d0);
	c.w = ws;
	t0 = now_ns();
	if ((c.seq = vmwp_send_flood(ws, dst ? vstack_vmnic_mac(dst) : peer_mac, count, size)) < 0)
		return c.seq;
	if (!run_until(b, sent, &c, 120000) || vmwp_state(ws) != VMWP_RUNNING)
		return -ETIMEDOUT;
	t1 = now_ns();
	vf_db_get_stats(&d1);
	r->slow_mmio = mmio_requests(ws) + mmio_requests(wd) - m0;
	if (wd) {
		if ((rc = query(b, wd, &s1, NULL)))
			return rc;
		r->received = s1.rx_received - s0.rx_received;
	} else {
		r->received = srnic_peer_rx_frames(peer) - p0;
	}
	r->sent = c.st.tx_frames - tx0.tx_frames;
	r->failed = c.st.tx_failed - tx0.tx_failed;
	r->secs = (double)(t1 - t0) / 1e9;
	r->fps = r->secs > 0 ? (double)r->received / r->secs : 0;
	r->db.kicks = d1.kicks - d0.kicks;
	r->db.interrupts = d1.interrupts - d0.interrupts;
	r->db.suppressed = d1.suppressed - d0.suppressed;
	r->db.writes = d1.writes - d0.writes;
	r->db.tx_writes = d1.tx_writes - d0.tx_writes;
	r->db.wakeups = d1.wakeups - d0.wakeups;
	r->db.sweeps = d1.sweeps - d0.sweeps;
	r->db.sleeps = d1.sleeps - d0.sleeps;
	return 0;
}

/* The frame count that makes a run last about run_ms on this path (a short calibration run first). */
static int calibrate(struct bench *b, struct vstack_vmnic *src, struct vstack_vmnic *dst, uint32_t size, uint32_t *count)
{
	struct run_result r;
	double want;
	int rc = flood(b, src, dst, b->o.quick ? 500 : 2000, size, &r);

	if (rc)
		return rc;
	want = r.fps * b->o.run_ms / 1000.0;
	*count = want < 500 ? 500 : want > 4000000 ? 4000000 : (uint32_t)want;
	return 0;
}

/* ---- the labs ----------------------------------------------------------------------------------- */
/* n VMs vm1..vmN on one IOV switch; weight[i] their IovWeight; *NumVFs = numvfs. */
static char *lab_text(unsigned n, const unsigned *weight, unsigned numvfs, const char *name)
{
	size_t cap = 1024 + (size_t)n * 256, len = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	len += (size_t)snprintf(t + len, cap - len,
				"[lab]\nname = %s\ndescription = iovlab bench\n\n"
				"[nic pf0]\nmodel = srnic\ndriver = srnic_pf\nuplink = peer\n\n"
				"[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n*NumVFs = %u\n\n"
				"[vmswitch ext]\nadapter = pf0\niov = true\n\n",
				name, numvfs);
	for (unsigned i = 1; i <= n; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"[vm vm%u]\nmemory = 32M\n\n[vmnetworkadapter vm%u]\nswitch = ext\n"
					"mac = 00155D0B%02X%02X\niov_weight = %u\n\n",
					i, i, i >> 8, i & 0xff, weight[i - 1]);
	return t;
}

static int host_up(struct bench *b, const char *text, const char *name, char *err, size_t errlen)
{
	struct hv_host_options opt = { 0 };

	if (lab_load_string(text, name, &b->lab, err, errlen))
		return -EINVAL;
	tools_host_options(&opt, true);
	if (hv_host_create(b->lab, &opt, &b->host, err, errlen)) {
		lab_free(b->lab);
		b->lab = NULL;
		return -EIO;
	}
	return 0;
}

static void host_down(struct bench *b)
{
	hv_host_destroy(b->host);
	lab_free(b->lab);
	b->host = NULL;
	b->lab = NULL;
}

/*
 * The bring-up lab: n VMs on the synthetic path, *NumVFs n, the smallest
 * guest memory; past srnic's own 64 VFs the board's TotalVFs is n (lab
 * key total_vfs): VF RIDs 0x308 + 2 (i - 1), three buses at 256 VFs.
 */
static char *bringup_lab_text(unsigned n)
{
	size_t cap = 1024 + (size_t)n * 256, len = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	len += (size_t)snprintf(t + len, cap - len,
				"[lab]\nname = bench-bringup\ndescription = iovlab bench: bring-up per VF\n\n"
				"[nic pf0]\nmodel = srnic\ndriver = srnic_pf\nuplink = peer\ntotal_vfs = %u\n\n"
				"[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n*NumVFs = %u\n\n"
				"[vmswitch ext]\nadapter = pf0\niov = true\n\n",
				n > SRNIC_DEFAULT_VFS ? n : SRNIC_DEFAULT_VFS, n);
	for (unsigned i = 1; i <= n; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"[vm vm%u]\nmemory = %s\n\n[vmnetworkadapter vm%u]\nswitch = ext\n"
					"mac = 00155D0B%02X%02X\niov_weight = 0\n\n",
					i, BRINGUP_MEMORY, i, i >> 8, i & 0xff);
	return t;
}

/* ---- JSON helpers ------------------------------------------------------------------------------- */
static json_t *spread_obj(const double *v, int n)
{
	double med, min, max;

	spread(v, n, &med, &min, &max);
	return json_pack("{s:f, s:f, s:f}", "median", med, "min", min, "max", max);
}

static json_t *machine(void)
{
	char model[256] = "unknown", line[512];
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			char *p = strchr(line, ':') + 1;

			while (*p == ' ')
				p++;
			p[strcspn(p, "\n")] = 0;
			snprintf(model, sizeof(model), "%s", p);
			break;
		}
	if (f)
		fclose(f);
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	return json_pack("{s:i, s:s, s:s}", "nproc", (int)sysconf(_SC_NPROCESSORS_ONLN), "cpu_model", model, "kernel",
			 u.release);
}

/* ---- 1: the paths side by side ------------------------------------------------------------------- */
struct size_result {
	unsigned size;
	int kept, dropped;
	double fps[NPATHS][MAX_PAIRS];
	double probe_before[MAX_PAIRS], probe_after[MAX_PAIRS];
	bool stable[MAX_PAIRS];
	bool filter_off;	/* fewer than half the pairs were stable: all kept */
	uint64_t sent[NPATHS], received[NPATHS];	/* frames over all runs of a path (not raw) */
	/* doorbell counters of the VF VM->VM runs, summed */
	uint64_t vf_frames, vf_kicks, vf_irqs, vf_suppressed, vf_tx_writes, vf_writes, vf_slow;
};

/*
 * IOVLAB_BENCH_ONLY=vf|synthetic|vf_uplink|synthetic_uplink: flood only that
 * path (the others count 1 frame/s), so `perf record` sees one path's
 * processes. A profiling aid; its ratios are meaningless (docs/bench.md).
 */
static bool only_path(int p)
{
	const char *only = getenv("IOVLAB_BENCH_ONLY");

	return only && *only && strcmp(only, path_key[p]);
}

static int measure_size(struct bench *b, unsigned size, struct size_result *sr)
{
	struct vstack_vmnic *vm1 = nic(b, "vm1"), *vm2 = nic(b, "vm2"), *vm3 = nic(b, "vm3"), *vm4 = nic(b, "vm4");
	struct vstack_vmnic *src[NPATHS] = { NULL, vm1, vm3, vm1, vm3 }, *dst[NPATHS] = { NULL, vm2, vm4, NULL, NULL };
	uint32_t count[NPATHS] = { 0 };
	int rc;

	memset(sr, 0, sizeof(*sr));
	sr->size = size;
	for (int p = P_VF; p < NPATHS; p++)
		if (!only_path(p) && (rc = calibrate(b, src[p], dst[p], size, &count[p])))
			return rc;
	for (int i = 0; i < b->o.pairs; i++) {
		double pb = probe_ns(), pa, f[NPATHS];
		struct run_result r;

		f[P_RAW] = raw_spsc_run(b->raw, size, b->o.run_ms);
		if (f[P_RAW] <= 0)
			return f[P_RAW] < 0 ? (int)f[P_RAW] : -EIO;
		for (int p = P_VF; p < NPATHS; p++) {
			if (only_path(p)) {	/* profiling knob: the other paths are not run */
				f[p] = 1;
				continue;
			}
			if ((rc = flood(b, src[p], dst[p], count[p], size, &r)))
				return rc;
			f[p] = r.fps;
			sr->sent[p] += r.sent;
			sr->received[p] += r.received;
			if (p == P_VF) {
				sr->vf_frames += r.received;
				sr->vf_kicks += r.db.kicks;
				sr->vf_irqs += r.db.interrupts;
				sr->vf_suppressed += r.db.suppressed;
				sr->vf_tx_writes += r.db.tx_writes;
				sr->vf_writes += r.db.writes;
				sr->vf_slow += r.slow_mmio;
			}
		}
		pa = probe_ns();
		progress(b, "  %4u B pair %d: raw %.2f Mfps, VF %.3f, syn %.3f, VF->up %.3f, syn->up %.3f Mfps (probe %.0f/%.0f ns)\n",
			 size, i + 1, f[P_RAW] / 1e6, f[P_VF] / 1e6, f[P_SYN] / 1e6, f[P_VF_UP] / 1e6, f[P_SYN_UP] / 1e6,
			 pb, pa);
		for (int p = 0; p < NPATHS; p++)
			sr->fps[p][i] = f[p];
		sr->probe_before[i] = pb;
		sr->probe_after[i] = pa;
		sr->stable[i] = !(pa > 1.5 * pb || pb > 1.5 * pa);	/* else the vCPUs moved during the pair */
	}
	/* Keep the stable pairs -- unless fewer than half are: then the filter says nothing about this machine. */
	for (int i = 0; i < b->o.pairs; i++)
		sr->kept += sr->stable[i];
	if (2 * sr->kept < b->o.pairs) {
		sr->filter_off = true;
		sr->kept = b->o.pairs;
		return 0;
	}
	sr->dropped = b->o.pairs - sr->kept;
	for (int i = 0, k = 0; i < b->o.pairs; i++) {
		if (!sr->stable[i])
			continue;
		for (int p = 0; p < NPATHS; p++)
			sr->fps[p][k] = sr->fps[p][i];
		sr->probe_before[k] = sr->probe_before[i];
		sr->probe_after[k] = sr->probe_after[i];
		k++;
	}
	return 0;
}

/* Per-pair ratios a/b of kept pairs. */
static int ratios(const struct size_result *sr, int a, int bpath, double *out)
{
	for (int i = 0; i < sr->kept; i++)
		out[i] = sr->fps[bpath][i] > 0 ? sr->fps[a][i] / sr->fps[bpath][i] : 0;
	return sr->kept;
}

static json_t *size_json(const struct size_result *sr)
{
	json_t *o = json_object(), *paths = json_object(), *pairs = json_array(), *rat = json_object();
	static const struct { const char *key; int a, b; } rs[] = {
		{ "vf_over_raw", P_VF, P_RAW },
		{ "vf_over_synthetic", P_VF, P_SYN },
		{ "synthetic_over_raw", P_SYN, P_RAW },
		{ "vf_uplink_over_raw", P_VF_UP, P_RAW },
		{ "vf_uplink_over_synthetic_uplink", P_VF_UP, P_SYN_UP },
		{ "synthetic_uplink_over_raw", P_SYN_UP, P_RAW },
	};
	double v[MAX_PAIRS];

	for (int p = 0; p < NPATHS; p++) {
		double med, min, max;

		json_t *po;

		spread(sr->fps[p], sr->kept, &med, &min, &max);
		po = json_pack("{s:f, s:f, s:f, s:f}", "fps", med, "gbps", med * sr->size * 8 / 1e9, "fps_min", min,
			       "fps_max", max);
		if (p != P_RAW) {
			/* Raw frames have no flow control: what the receiving side's ring had no room for is dropped. */
			json_object_set_new(po, "frames_sent", json_integer((json_int_t)sr->sent[p]));
			json_object_set_new(po, "frames_received", json_integer((json_int_t)sr->received[p]));
		}
		json_object_set_new(paths, path_key[p], po);
	}
	for (int i = 0; i < sr->kept; i++) {
		json_t *pr = json_pack("{s:f, s:f}", "probe_before_ns", sr->probe_before[i], "probe_after_ns",
				       sr->probe_after[i]);

		for (int p = 0; p < NPATHS; p++)
			json_object_set_new(pr, path_key[p], json_real(sr->fps[p][i]));
		json_array_append_new(pairs, pr);
	}
	for (size_t k = 0; k < sizeof(rs) / sizeof(rs[0]); k++)
		json_object_set_new(rat, rs[k].key, spread_obj(v, ratios(sr, rs[k].a, rs[k].b, v)));
	json_object_set_new(o, "frame_bytes", json_integer(sr->size));
	json_object_set_new(o, "pairs_kept", json_integer(sr->kept));
	json_object_set_new(o, "pairs_dropped", json_integer(sr->dropped));
	json_object_set_new(o, "probe_filter", json_string(sr->filter_off ? "off: fewer than half the pairs had steady probes"
									   : "on"));
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "ratios", rat);
	json_object_set_new(o, "pairs", pairs);
	json_object_set_new(o, "vf_doorbells",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "frames", (json_int_t)sr->vf_frames,
				      "kicks", (json_int_t)sr->vf_kicks, "interrupts", (json_int_t)sr->vf_irqs,
				      "interrupts_suppressed", (json_int_t)sr->vf_suppressed, "tail_writes",
				      (json_int_t)sr->vf_writes, "tx_tail_writes", (json_int_t)sr->vf_tx_writes,
				      "slow_mmio_requests", (json_int_t)sr->vf_slow, "kicks_per_frame",
				      sr->vf_frames ? (double)sr->vf_kicks / (double)sr->vf_frames : 0.0,
				      "interrupts_per_frame",
				      sr->vf_frames ? (double)sr->vf_irqs / (double)sr->vf_frames : 0.0,
				      "slow_mmio_per_frame",
				      sr->vf_frames ? (double)sr->vf_slow / (double)sr->vf_frames : 0.0));
	return o;
}

static void size_print(struct bench *b, const struct size_result *sr)
{
	double v[MAX_PAIRS], med, min, max;

	printf("\n%u-byte frames, batches of 32, %d pair(s) kept of %d%s:\n", sr->size, sr->kept, sr->kept + sr->dropped,
	       sr->filter_off ? " (probes unsteady in most pairs: none dropped)" : "");
	printf("  %-16s %12s %10s\n", "path", "Mframes/s", "Gbit/s");
	for (int p = 0; p < NPATHS; p++) {
		spread(sr->fps[p], sr->kept, &med, &min, &max);
		printf("  %-16s %12.3f %10.3f   [%.3f .. %.3f]", path_text[p], med / 1e6, med * sr->size * 8 / 1e9,
		       min / 1e6, max / 1e6);
		if (p != P_RAW && sr->sent[p])
			printf("  %.1f%% of the frames sent arrived", 100.0 * (double)sr->received[p] / (double)sr->sent[p]);
		printf("\n");
	}
	spread(v, ratios(sr, P_VF, P_RAW, v), &med, &min, &max);
	printf("  VF / raw          %.3f  [%.3f .. %.3f]\n", med, min, max);
	spread(v, ratios(sr, P_VF, P_SYN, v), &med, &min, &max);
	printf("  VF / synthetic    %.3f  [%.3f .. %.3f]\n", med, min, max);
	spread(v, ratios(sr, P_SYN, P_RAW, v), &med, &min, &max);
	printf("  synthetic / raw   %.3f  [%.3f .. %.3f]\n", med, min, max);
	spread(v, ratios(sr, P_VF_UP, P_SYN_UP, v), &med, &min, &max);
	printf("  VF->up / syn->up  %.3f  [%.3f .. %.3f]\n", med, min, max);
	printf("  VF doorbells: %.4f kicks/frame, %.4f interrupts/frame (%llu suppressed), %.4f register requests/frame\n",
	       sr->vf_frames ? (double)sr->vf_kicks / (double)sr->vf_frames : 0,
	       sr->vf_frames ? (double)sr->vf_irqs / (double)sr->vf_frames : 0, (unsigned long long)sr->vf_suppressed,
	       sr->vf_frames ? (double)sr->vf_slow / (double)sr->vf_frames : 0);
	(void)b;
}

/* ---- 2: VF -> synthetic switch under a stream ---------------------------------------------------- */
struct switch_result {
	double ms, rtt_ms, round_trips;
	uint64_t frames, received, lost, dup, reorder, tx_vf, tx_synthetic;
};

/* NetVsc switched back and NetVSP acknowledged: the VF left LEAVING (vmwp.h: the eject follows). */
static bool off_vf(struct bench *b, void *ctx)
{
	struct vmwp *w = guest(b, ctx);
	enum vmwp_vf_state st = w ? vmwp_vf_state(w, ctx) : VMWP_VF_NONE;

	return st != VMWP_VF_OFFERED && st != VMWP_VF_LEAVING;
}

static int measure_switch(struct bench *b, struct switch_result *sw)
{
	struct vstack_vmnic *vm1 = nic(b, "vm1"), *vm2 = nic(b, "vm2");
	struct vmwp *w1 = guest(b, vm1), *w2 = guest(b, vm2);
	struct vmctl_status s0, s1, t0s;
	struct sent_ctx c = { 0 };
	double rtts[7], min, max;
	int64_t t0;
	int rc;

	memset(sw, 0, sizeof(*sw));
	if (!w1 || !w2)
		return -ENOTCONN;
	for (int i = 0; i < 7; i++)
		if ((rc = query(b, w1, &t0s, &rtts[i])))
			return rc;
	spread(rtts, 7, &sw->rtt_ms, &min, &max);
	/*
	 * A primer of 16 frames first: the sink counts a gap when the next
	 * frame shows it, so frames a flood lost at its end would otherwise be
	 * counted against the switch.
	 */
	c.w = w1;
	if ((c.seq = vmwp_send(w1, vstack_vmnic_mac(vm2), 16, 64)) < 0)
		return c.seq;
	if (!run_until(b, sent, &c, 10000))
		return -ETIMEDOUT;
	run_for(b, 20);
	if ((rc = query(b, w2, &s0, NULL)) || (rc = query(b, w1, &t0s, NULL)))
		return rc;
	sw->frames = b->o.quick ? 1200 : 3000;	/* paced: 8 frames a millisecond */
	c.w = w1;
	if ((c.seq = vmwp_send(w1, vstack_vmnic_mac(vm2), (uint32_t)sw->frames, 64)) < 0)
		return c.seq;
	run_for(b, b->o.quick ? 40 : 100);
	t0 = now_ns();
	/* Set-VMNetworkAdapter vm1 -IovWeight 0, live, while the stream runs. */
	if ((rc = vstack_vmnic_set_iov_weight(vm1, 0)))
		return rc;
	if (!run_until(b, off_vf, vm1, 10000))
		return -ETIMEDOUT;
	sw->ms = (double)(now_ns() - t0) / 1e6;
	if (!run_until(b, sent, &c, 60000))
		return -ETIMEDOUT;
	run_for(b, 50);
	if ((rc = query(b, w2, &s1, NULL)))
		return rc;
	sw->received = s1.rx_received - s0.rx_received;
	sw->lost = s1.rx_lost - s0.rx_lost;
	sw->dup = s1.rx_dup - s0.rx_dup;
	sw->reorder = s1.rx_reorder - s0.rx_reorder;
	sw->tx_vf = c.st.tx_vf - t0s.tx_vf;
	sw->tx_synthetic = c.st.tx_synthetic - t0s.tx_synthetic;
	sw->round_trips = sw->rtt_ms > 0 ? sw->ms / sw->rtt_ms : 0;
	return 0;
}

/* ---- 3: bring-up per VF as the count grows; one busy VF among idle ones -------------------------- */
#define IDLE_RUNS 3	/* floods of the busy pair among the idle VFs, per point (the median counts) */

struct bringup_point {
	unsigned vfs;
	double total_ms, per_vf_ms, boot_ms;
	double busy_fps;	/* vm1 -> vm2 through the VF, 64 B, with the other VFs idle; 0: not measured (N < 4) */
};

struct idle_result {
	unsigned idle;
	double fps;
	bool measured;
};

/*
 * The bring-up's waits, cheap per loop turn at 256 VMs: a cursor over the
 * VMs (or adapters) already seen up, which never go back during a
 * bring-up. all_up()/all_on_vf() look every VM and adapter up by name each
 * turn, O(N^2) string compares (vstack_vmnic_find() is linear), which at 256
 * VFs cost milliseconds per turn of the host's loop and would be timed as
 * bring-up.
 */
struct bringup_wait {
	struct vstack_vmnic **nics;	/* vm1..vmN's adapters */
	unsigned n, next;
	int64_t gone_scan_ns;		/* when the VMs were last scanned for a process that gave up */
	bool gone;
};

/* Every VM is up, or one VM's process is gone (then the rest cannot all come up: stop waiting). */
static bool bw_all_up(struct bench *b, void *ctx)
{
	struct bringup_wait *bw = ctx;
	struct vstack *vs = hv_host_vstack(b->host);
	size_t count = vstack_vm_count(vs);

	while (bw->next < count) {
		struct vmwp *w = hv_host_vm_guest(b->host, vstack_vm_at(vs, bw->next));

		if (!w || vmwp_state(w) != VMWP_RUNNING)
			break;
		bw->next++;
	}
	if (bw->next == count)
		return true;
	if (now_ns() - bw->gone_scan_ns > 100000000) {	/* every 100 ms */
		bw->gone_scan_ns = now_ns();
		for (size_t i = bw->next; i < count; i++) {
			struct vmwp *w = hv_host_vm_guest(b->host, vstack_vm_at(vs, i));

			if (w && vmwp_state(w) == VMWP_GONE)
				return bw->gone = true;
		}
	}
	return false;
}

static bool bw_all_on_vf(struct bench *b, void *ctx)
{
	struct bringup_wait *bw = ctx;

	(void)b;
	while (bw->next < bw->n && vstack_vmnic_datapath_active(bw->nics[bw->next]))
		bw->next++;
	return bw->next == bw->n;
}

/* How many VMs run (and how many processes are gone), how many adapters are on their VF. */
static void bringup_reached(struct bench *b, unsigned n, unsigned *running, unsigned *on_vf, unsigned *gone)
{
	struct vstack *vs = hv_host_vstack(b->host);

	*running = *on_vf = *gone = 0;
	for (size_t i = 0; i < vstack_vm_count(vs); i++) {
		struct vmwp *w = hv_host_vm_guest(b->host, vstack_vm_at(vs, i));

		*running += w && vmwp_state(w) == VMWP_RUNNING;
		*gone += w && vmwp_state(w) == VMWP_GONE;
	}
	for (unsigned i = 1; i <= n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%u", i);
		*on_vf += nic(b, name) && vstack_vmnic_datapath_active(nic(b, name));
	}
}

/* Guest memory the machine can still give, from /proc/meminfo's MemAvailable; 0 if unknown. */
static uint64_t mem_available(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb << 10;
}

static int measure_bringup(struct bench *b, unsigned n, struct bringup_point *pt, struct idle_result *idle,
			   uint32_t idle_count, char *why, size_t whylen)
{
	struct bringup_wait bw = { 0 };
	char *text, err[512];
	unsigned running, on_vf, gone;
	int64_t t0;
	int rc = 0;

	text = bringup_lab_text(n);	/* all synthetic first */
	bw.nics = calloc(n, sizeof(*bw.nics));
	if (!text || !bw.nics) {
		free(text);
		free(bw.nics);
		return -ENOMEM;
	}
	memset(pt, 0, sizeof(*pt));
	pt->vfs = n;
	t0 = now_ns();
	if ((rc = host_up(b, text, "bench-bringup", err, sizeof(err)))) {
		fprintf(stderr, "iovlab bench: %s\n", err);
		snprintf(why, whylen, "the lab did not come up: %.180s", err);
		free(text);
		free(bw.nics);
		return rc;
	}
	free(text);
	if (!run_until(b, bw_all_up, &bw, 30000 + 1000 * (int64_t)n) || bw.gone || !all_up(b, NULL)) {
		bringup_reached(b, n, &running, &on_vf, &gone);
		if (gone)
			snprintf(why, whylen,
				 "%u of %u VMs running after %.1f s, %u VM process(es) gave up (guest not up in time: "
				 "the machine could not run that many at once)",
				 running, n, (double)(now_ns() - t0) / 1e9, gone);
		else
			snprintf(why, whylen, "%u of %u VM processes running after %u s", running, n, 30 + n);
		rc = -ETIMEDOUT;
		goto out;
	}
	pt->boot_ms = (double)(now_ns() - t0) / 1e6;
	for (unsigned i = 1; i <= n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vm%u", i);
		if (!(bw.nics[i - 1] = nic(b, name))) {
			rc = -ENOENT;
			goto out;
		}
	}
	bw.n = n;
	bw.next = 0;
	run_for(b, 50);
	t0 = now_ns();
	/* Set-VMNetworkAdapter -IovWeight 100 on every adapter at once; time until every VF data path is up. */
	for (unsigned i = 0; i < n; i++)
		if ((rc = vstack_vmnic_set_iov_weight(bw.nics[i], 100)))
			goto out;
	if (!run_until(b, bw_all_on_vf, &bw, 30000 + 1000 * (int64_t)n)) {
		bringup_reached(b, n, &running, &on_vf, &gone);
		snprintf(why, whylen, "%u of %u adapters on their VF after %u s (%u VMs running)", on_vf, n, 30 + n,
			 running);
		rc = -ETIMEDOUT;
		goto out;
	}
	pt->total_ms = (double)(now_ns() - t0) / 1e6;
	pt->per_vf_ms = pt->total_ms / n;
	if (!all_on_vf(b, NULL)) {	/* the cursor's premise: none went back meanwhile */
		snprintf(why, whylen, "an adapter left its VF during the bring-up");
		rc = -EIO;
		goto out;
	}
	if (idle && n >= 4) {
		/* The median of IDLE_RUNS floods: one run moved 2-5x between runs, as every figure here. */
		double fps[IDLE_RUNS], med, mn, mx;

		run_for(b, 100);
		for (int k = 0; k < IDLE_RUNS; k++) {
			struct run_result r;

			if ((rc = flood(b, nic(b, "vm1"), nic(b, "vm2"), idle_count, 64, &r))) {
				snprintf(why, whylen, "the busy pair's flood among the idle VFs: %s", strerror(-rc));
				goto out;
			}
			fps[k] = r.fps;
		}
		spread(fps, IDLE_RUNS, &med, &mn, &mx);
		idle->idle = n - 2;
		idle->fps = med;
		pt->busy_fps = med;
		idle->measured = true;
	}
out:
	host_down(b);
	free(bw.nics);
	return rc;
}

/* ---- the command ---------------------------------------------------------------------------------- */
static void usage(FILE *f)
{
	fprintf(f, "usage: iovlab bench [--json] [--quick] [--pairs N]\n"
		   "  Measure, in one run, the raw shared-memory ring, the VF path and the synthetic\n"
		   "  path (VM->VM and VM->uplink, 64 B and 1514 B), TCP through the guests' lwIP on\n"
		   "  the VF and the synthetic path, VF bring-up per VF at 1, 8, 32, 64 and 256 VFs, one\n"
		   "  busy VF among idle ones and a VF->synthetic switch under a stream (docs/bench.md).\n"
		   "  --quick: 3 pairs of 40 ms runs, 256 KiB TCP streams, bring-up at 1 and 8 VFs.\n"
		   "  IOVLAB_VF_DOORBELL=0 keeps every VF register access on the request path (the\n"
		   "  figures before issue 8).\n"
		   "  IOVLAB_BENCH_ONLY=vf|synthetic|vf_uplink|synthetic_uplink floods only that path\n"
		   "  (for perf record; the other paths count 1 frame/s, so the ratios mean nothing).\n");
}

static const char *fail_text(int rc)
{
	return rc == -EAGAIN ? "every pair was dropped (unstable placement)" : strerror(rc < 0 ? -rc : rc);
}

/* ---- 4: TCP through lwIP on each path (docs/hv/guest-tcpip.md) ---------------------------------- */
/*
 * The guests' lwIP stacks stream bytes to the other VM's TCP echo service
 * (port 7) on the host's request (VMCTL_MSG_NET, as `iovlab run`'s `tcp`
 * step): vm1 -> vm2 over their VFs, vm3 -> vm4 on the synthetic path
 * (IovWeight 0), alternating in pairs with the ping-pong probe around each
 * pair. The echo service is used, not discard (port 9), because the
 * guest's client checks every byte it gets back and reports the stream
 * intact only then; the figure is Mbit/s each way. The built-in uplink
 * peer counts frames and speaks no TCP, so VM -> uplink is not measured.
 */
#define TCP_ECHO_PORT 7u
enum { T_VF, T_SYN, T_NPATHS };
static const char *const tcp_key[T_NPATHS] = { "vf", "synthetic" };

struct tcp_result {
	uint64_t bytes;			/* per stream */
	int kept, dropped;
	bool filter_off;
	double mbps[T_NPATHS][MAX_PAIRS];
	uint64_t retrans[T_NPATHS][MAX_PAIRS];
	double probe_before[MAX_PAIRS], probe_after[MAX_PAIRS];
	bool stable[MAX_PAIRS];
	/* over every stream of a path: NetVsc's frames on each path, frames dropped in the NIC switch */
	uint64_t tx_vf[T_NPATHS], tx_synthetic[T_NPATHS], drops[T_NPATHS];
};

struct net_ctx {
	struct vmwp *w;
	int seq;
	struct vmctl_net_done d;
};

static bool net_answered(struct bench *b, void *ctx)
{
	struct net_ctx *c = ctx;

	(void)b;
	return vmwp_state(c->w) != VMWP_RUNNING || vmwp_net_done(c->w, c->seq, &c->d);
}

/* The NIC switch's drop counters (srnic's SW_DROP_* registers, like `ethtool -S`), summed. */
static uint64_t switch_drops(struct bench *b)
{
	static const uint32_t reg[] = { SRNIC_REG_SW_DROP_NO_FILTER, SRNIC_REG_SW_DROP_RING_FULL,
					SRNIC_REG_SW_DROP_BAD_DESC, SRNIC_REG_SW_DROP_LINK_DOWN };
	struct srnic *dev = hv_nic_device(hv_host_nic_at(b->host, 0));
	uint64_t sum = 0;

	for (size_t k = 0; dev && k < sizeof(reg) / sizeof(reg[0]); k++) {
		uint32_t v = 0;

		if (srnic_mmio_read32(dev, 0, 0, reg[k], &v) == 0)
			sum += v;
	}
	return sum;
}

/*
 * One TCP stream of bytes from src's guest to dst's echo service; *d the
 * guest's answer, *drops the NIC switch's drops meanwhile. 0, the guest's
 * status (-errno), -EIO when the stream was not intact or a byte differed.
 */
static int tcp_stream(struct bench *b, struct vstack_vmnic *src, struct vstack_vmnic *dst, uint64_t bytes,
		      struct vmctl_net_done *d, uint64_t *drops)
{
	struct vmctl_net req = { .op = VMCTL_NET_TCP, .port = TCP_ECHO_PORT, .bytes = bytes, .timeout_ms = 60000 };
	struct net_ctx c = { 0 };
	uint64_t d0;

	c.w = guest(b, src);
	req.addr = dst ? vstack_vmnic_ipv4(dst, NULL) : 0;
	if (!c.w || !req.addr)
		return -ENOTCONN;
	d0 = switch_drops(b);
	if ((c.seq = vmwp_net(c.w, &req)) < 0)
		return c.seq;
	if (!run_until(b, net_answered, &c, (int64_t)req.timeout_ms + 5000) || vmwp_state(c.w) != VMWP_RUNNING ||
	    !vmwp_net_done(c.w, c.seq, &c.d))
		return -ETIMEDOUT;
	*d = c.d;
	*drops = switch_drops(b) - d0;
	if (c.d.status)
		return c.d.status;
	if (c.d.received != bytes || c.d.mismatched || !(c.d.flags & VMCTL_NET_INTACT))
		return -EIO;
	return 0;
}

static double tcp_mbps(const struct vmctl_net_done *d)
{
	return d->elapsed_us ? (double)d->received * 8 / (double)d->elapsed_us : 0;	/* bits per us = Mbit/s */
}

/* A first short stream on each path: ARP, the stacks' links; -ENETDOWN while a binding is still coming. */
static int tcp_warm_up(struct bench *b, struct vstack_vmnic *src, struct vstack_vmnic *dst)
{
	int64_t deadline = now_ns() + 10000000000ll;
	struct vmctl_net_done d;
	uint64_t drops;
	int rc;

	while ((rc = tcp_stream(b, src, dst, 16384, &d, &drops)) == -ENETDOWN && now_ns() < deadline)
		run_for(b, 50);
	return rc;
}

static const char *tcp_fail_text(int rc)
{
	return rc == -EIO ? "the stream was not intact or bytes differed" : fail_text(rc);
}

static int measure_tcp(struct bench *b, struct tcp_result *tr)
{
	struct vstack_vmnic *src[T_NPATHS] = { nic(b, "vm1"), nic(b, "vm3") };
	struct vstack_vmnic *dst[T_NPATHS] = { nic(b, "vm2"), nic(b, "vm4") };
	int rc;

	memset(tr, 0, sizeof(*tr));
	tr->bytes = b->o.quick ? 256u << 10 : 2u << 20;
	for (int p = 0; p < T_NPATHS; p++)
		if ((rc = tcp_warm_up(b, src[p], dst[p]))) {
			fprintf(stderr, "iovlab bench: TCP warm-up on the %s path: %s\n", tcp_key[p], tcp_fail_text(rc));
			return rc;
		}
	for (int i = 0; i < b->o.pairs; i++) {
		double pb = probe_ns(), pa;

		for (int p = 0; p < T_NPATHS; p++) {
			struct vmctl_net_done d;
			uint64_t drops = 0;

			if ((rc = tcp_stream(b, src[p], dst[p], tr->bytes, &d, &drops))) {
				fprintf(stderr, "iovlab bench: TCP on the %s path, pair %d: %s\n", tcp_key[p], i + 1,
					tcp_fail_text(rc));
				return rc;
			}
			tr->mbps[p][i] = tcp_mbps(&d);
			tr->retrans[p][i] = d.retransmits;
			tr->tx_vf[p] += d.tx_vf;
			tr->tx_synthetic[p] += d.tx_synthetic;
			tr->drops[p] += drops;
		}
		pa = probe_ns();
		progress(b, "  TCP pair %d: VF %.1f Mbit/s (%llu retransmitted), syn %.1f Mbit/s (%llu) (probe %.0f/%.0f ns)\n",
			 i + 1, tr->mbps[T_VF][i], (unsigned long long)tr->retrans[T_VF][i], tr->mbps[T_SYN][i],
			 (unsigned long long)tr->retrans[T_SYN][i], pb, pa);
		tr->probe_before[i] = pb;
		tr->probe_after[i] = pa;
		tr->stable[i] = !(pa > 1.5 * pb || pb > 1.5 * pa);
	}
	/* The same filter as the frame runs: keep the steady pairs unless fewer than half are. */
	for (int i = 0; i < b->o.pairs; i++)
		tr->kept += tr->stable[i];
	if (2 * tr->kept < b->o.pairs) {
		tr->filter_off = true;
		tr->kept = b->o.pairs;
		return 0;
	}
	tr->dropped = b->o.pairs - tr->kept;
	for (int i = 0, k = 0; i < b->o.pairs; i++) {
		if (!tr->stable[i])
			continue;
		for (int p = 0; p < T_NPATHS; p++) {
			tr->mbps[p][k] = tr->mbps[p][i];
			tr->retrans[p][k] = tr->retrans[p][i];
		}
		tr->probe_before[k] = tr->probe_before[i];
		tr->probe_after[k] = tr->probe_after[i];
		k++;
	}
	return 0;
}

static int tcp_ratios(const struct tcp_result *tr, double *out)
{
	for (int i = 0; i < tr->kept; i++)
		out[i] = tr->mbps[T_SYN][i] > 0 ? tr->mbps[T_VF][i] / tr->mbps[T_SYN][i] : 0;
	return tr->kept;
}

#define TCP_UPLINK_REASON                                                                                   \
	"the bench lab's uplink is the built-in peer (uplink = peer), which counts frames and speaks no TCP; " \
	"a TCP peer on the uplink needs uplink = tap:IF or veth:IF with a Linux stack (docs/uplinks.md)"

static json_t *tcp_json(const struct tcp_result *tr)
{
	json_t *o = json_object(), *paths = json_object(), *pairs = json_array();
	double v[MAX_PAIRS];

	for (int p = 0; p < T_NPATHS; p++) {
		double med, min, max;
		uint64_t rt = 0;

		for (int i = 0; i < tr->kept; i++)
			rt += tr->retrans[p][i];
		spread(tr->mbps[p], tr->kept, &med, &min, &max);
		json_object_set_new(paths, tcp_key[p],
				    json_pack("{s:f, s:f, s:f, s:I, s:I, s:I, s:I}", "mbps", med, "mbps_min", min, "mbps_max",
					      max, "retransmits", (json_int_t)rt, "switch_drops", (json_int_t)tr->drops[p],
					      "frames_vf", (json_int_t)tr->tx_vf[p], "frames_synthetic",
					      (json_int_t)tr->tx_synthetic[p]));
	}
	for (int i = 0; i < tr->kept; i++)
		json_array_append_new(pairs, json_pack("{s:f, s:f, s:I, s:I, s:f, s:f}", "vf", tr->mbps[T_VF][i],
						       "synthetic", tr->mbps[T_SYN][i], "vf_retransmits",
						       (json_int_t)tr->retrans[T_VF][i], "synthetic_retransmits",
						       (json_int_t)tr->retrans[T_SYN][i], "probe_before_ns",
						       tr->probe_before[i], "probe_after_ns", tr->probe_after[i]));
	json_object_set_new(o, "service", json_string("TCP echo (port 7), every byte checked; Mbit/s each way"));
	json_object_set_new(o, "bytes", json_integer((json_int_t)tr->bytes));
	json_object_set_new(o, "pairs_kept", json_integer(tr->kept));
	json_object_set_new(o, "pairs_dropped", json_integer(tr->dropped));
	json_object_set_new(o, "probe_filter",
			    json_string(tr->filter_off ? "off: fewer than half the pairs had steady probes" : "on"));
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "ratios", json_pack("{s:o}", "vf_over_synthetic", spread_obj(v, tcp_ratios(tr, v))));
	json_object_set_new(o, "pairs", pairs);
	json_object_set_new(o, "uplink", json_null());
	json_object_set_new(o, "uplink_reason", json_string(TCP_UPLINK_REASON));
	return o;
}

static void tcp_print(const struct tcp_result *tr)
{
	double v[MAX_PAIRS], med, min, max;

	printf("\nTCP through lwIP (%llu-byte streams to the other VM's echo service, every byte checked), "
	       "%d pair(s) kept of %d%s:\n",
	       (unsigned long long)tr->bytes, tr->kept, tr->kept + tr->dropped,
	       tr->filter_off ? " (probes unsteady in most pairs: none dropped)" : "");
	for (int p = 0; p < T_NPATHS; p++) {
		uint64_t rt = 0;

		for (int i = 0; i < tr->kept; i++)
			rt += tr->retrans[p][i];
		spread(tr->mbps[p], tr->kept, &med, &min, &max);
		printf("  %-16s %8.1f Mbit/s each way [%.1f .. %.1f]; %llu segment(s) retransmitted, "
		       "%llu frame(s) dropped in the NIC switch\n",
		       p == T_VF ? "VF  VM->VM" : "syn VM->VM", med, min, max, (unsigned long long)rt,
		       (unsigned long long)tr->drops[p]);
	}
	spread(v, tcp_ratios(tr, v), &med, &min, &max);
	printf("  TCP VF / synthetic  %.3f  [%.3f .. %.3f]\n", med, min, max);
	printf("  VM->uplink: not measured: %s\n", TCP_UPLINK_REASON);
}

/* The TCP lab: vm1, vm2 on VFs, vm3, vm4 synthetic, each adapter with an ip (lwIP runs only then). */
static char *tcp_lab_text(void)
{
	static const unsigned weight[4] = { 100, 100, 0, 0 };
	size_t cap = 2048, len = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	len += (size_t)snprintf(t + len, cap - len,
				"[lab]\nname = bench-tcp\ndescription = iovlab bench: TCP through lwIP\n\n"
				"[nic pf0]\nmodel = srnic\ndriver = srnic_pf\nuplink = peer\n\n"
				"[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n*NumVFs = 8\n\n"
				"[vmswitch ext]\nadapter = pf0\niov = true\n\n");
	for (unsigned i = 1; i <= 4; i++)
		len += (size_t)snprintf(t + len, cap - len,
					"[vm vm%u]\nmemory = 64M\n\n[vmnetworkadapter vm%u]\nswitch = ext\n"
					"mac = 00155D0C00%02X\niov_weight = %u\nip = 10.0.0.%u/24\n\n",
					i, i, i, weight[i - 1], 20 + i);
	return t;
}

static int tcp_run(struct bench *b, struct tcp_result *tr)
{
	static const char *const vf_nics[] = { "vm1", "vm2", NULL };
	char *text = tcp_lab_text(), err[512];
	int rc;

	if (!text)
		return -ENOMEM;
	rc = host_up(b, text, "bench-tcp", err, sizeof(err));
	free(text);
	if (rc) {
		fprintf(stderr, "iovlab bench: the TCP lab did not come up: %s\n", err);
		return rc;
	}
	if (!run_until(b, all_up, NULL, 30000) || !run_until(b, all_on_vf, (void *)vf_nics, 30000)) {
		fprintf(stderr, "iovlab bench: the TCP lab's VMs did not come up on their paths\n");
		host_down(b);
		return -ETIMEDOUT;
	}
	run_for(b, 100);
	rc = measure_tcp(b, tr);
	host_down(b);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	static const unsigned sizes[2] = { 64, 1514 };
	static const unsigned full_counts[] = { 1, 8, 32, 64, 256 }, quick_counts[] = { 1, 8 };
	const char *dbenv = getenv("IOVLAB_VF_DOORBELL");
	struct bench b = { .out = stdout };
	struct size_result *sr = calloc(2, sizeof(*sr));
	struct switch_result sw;
	struct bringup_point pts[5] = { 0 };
	unsigned nmeasured = 0, stopped_at = 0;
	char stopped_why[256] = "";
	struct idle_result idle = { 0 };
	struct tcp_result *tcp = calloc(1, sizeof(*tcp));
	const unsigned *counts;
	unsigned ncounts, weights[4] = { 100, 100, 0, 0 };
	char *text = NULL, err[512];
	json_t *root = NULL, *bring, *arr;
	int rc, status = 1;
	double lone = 0, min_per = 0, max_per = 0;

	if (!sr || !tcp) {
		free(sr);
		free(tcp);
		return 1;
	}
	b.o.pairs = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			free(sr);
			free(tcp);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			b.o.json = true;
		} else if (!strcmp(argv[i], "--quick")) {
			b.o.quick = true;
		} else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) {
			char *end;

			b.o.pairs = (int)strtol(argv[++i], &end, 10);
			if (*end || b.o.pairs < 1 || b.o.pairs > MAX_PAIRS) {
				fprintf(stderr, "iovlab bench: --pairs must be 1..%d\n", MAX_PAIRS);
				free(sr);
				free(tcp);
				return 2;
			}
		} else {
			fprintf(stderr, "iovlab bench: unexpected '%s'\n", argv[i]);
			usage(stderr);
			free(sr);
			free(tcp);
			return 2;
		}
	}
	if (getenv("IOVLAB_BENCH_ONLY") && *getenv("IOVLAB_BENCH_ONLY")) {
		const char *only = getenv("IOVLAB_BENCH_ONLY");
		bool known = false;

		for (int p = P_VF; p < NPATHS; p++)
			known |= !strcmp(only, path_key[p]);
		if (!known) {
			fprintf(stderr, "iovlab bench: IOVLAB_BENCH_ONLY='%s' is not vf, synthetic, vf_uplink or "
				"synthetic_uplink\n", only);
			free(sr);
			free(tcp);
			return 2;
		}
	}
	if (b.o.pairs < 0)
		b.o.pairs = b.o.quick ? 3 : 7;
	b.o.run_ms = b.o.quick ? 40 : 250;
	counts = b.o.quick ? quick_counts : full_counts;
	ncounts = b.o.quick ? 2 : 5;
	if (!getenv("IOVLAB_LOG"))
		log_configure("*=error", NULL, 0);

	/* The raw ring's consumer forks first, while nothing else runs. */
	if ((rc = raw_spsc_create(&b.raw))) {
		fprintf(stderr, "iovlab bench: the raw ring did not start: %s\n", strerror(-rc));
		goto out;
	}
	if (!b.o.json)
		printf("iovlab bench%s: %d A/B pair(s) of %u ms per path, VF queue tails %s\n", b.o.quick ? " --quick" : "",
		       b.o.pairs, b.o.run_ms,
		       dbenv && !strcmp(dbenv, "0") ? "by request (IOVLAB_VF_DOORBELL=0)" : "through the shared BAR page");

	/* 1, 2: vm1, vm2 on VFs; vm3, vm4 synthetic (IovWeight 0). */
	if (!(text = lab_text(4, weights, 8, "bench"))) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = host_up(&b, text, "bench", err, sizeof(err)))) {
		fprintf(stderr, "iovlab bench: the bench lab did not come up: %s\n", err);
		goto out;
	}
	srnic_peer_set_count_only(hv_nic_peer(hv_host_nic_at(b.host, 0)), true);
	{
		static const char *const vf_nics[] = { "vm1", "vm2", NULL };

		if (!run_until(&b, all_up, NULL, 30000) || !run_until(&b, all_on_vf, (void *)vf_nics, 30000)) {
			fprintf(stderr, "iovlab bench: the VMs did not come up on their paths\n");
			rc = -ETIMEDOUT;
			goto out;
		}
	}
	run_for(&b, 100);
	for (int s = 0; s < 2; s++) {
		progress(&b, "measuring %u-byte frames ...\n", sizes[s]);
		if ((rc = measure_size(&b, sizes[s], &sr[s]))) {
			fprintf(stderr, "iovlab bench: %u-byte frames: %s\n", sizes[s], fail_text(rc));
			goto out;
		}
	}
	progress(&b, "VF -> synthetic switch under a stream ...\n");
	if ((rc = measure_switch(&b, &sw))) {
		fprintf(stderr, "iovlab bench: the data-path switch: %s\n", fail_text(rc));
		goto out;
	}
	host_down(&b);

	/* 4: TCP through lwIP, VF against synthetic, in a lab whose adapters have addresses. */
	progress(&b, "TCP through lwIP ...\n");
	if ((rc = tcp_run(&b, tcp)))
		goto out;

	/* 3: bring-up per VF; at the largest count, one busy pair among the idle VFs. */
	{
		double mn, mx;

		spread(sr[0].fps[P_VF], sr[0].kept, &lone, &mn, &mx);	/* the lone pair, 64 B */
	}
	for (unsigned i = 0; i < ncounts; i++) {
		/* A VM process needs its guest memory and about as much again (its stack, NDIS, NetVsc). */
		uint64_t need = (uint64_t)counts[i] * (2 * (16ull << 20)), avail = mem_available();

		if (i >= 2 && avail && avail < need) {
			stopped_at = counts[i];
			snprintf(stopped_why, sizeof(stopped_why),
				 "%u VMs would need about %llu MiB, the machine has %llu MiB available", counts[i],
				 (unsigned long long)(need >> 20), (unsigned long long)(avail >> 20));
			break;
		}
		progress(&b, "bring-up with %u VF(s) ...\n", counts[i]);
		rc = measure_bringup(&b, counts[i], &pts[nmeasured], &idle,
				     (uint32_t)(lone * b.o.run_ms / 1000.0 > 500 ? lone * b.o.run_ms / 1000.0 : 500),
				     stopped_why, sizeof(stopped_why));
		if (rc) {
			fprintf(stderr, "iovlab bench: bring-up with %u VFs: %s%s%s\n", counts[i], fail_text(rc),
				*stopped_why ? ": " : "", stopped_why);
			if (i < 2)	/* 1 and 8 VFs must come up: anything else is a broken lab, not a limit */
				goto out;
			stopped_at = counts[i];
			break;
		}
		if (!nmeasured || pts[nmeasured].per_vf_ms < min_per)
			min_per = pts[nmeasured].per_vf_ms;
		if (!nmeasured || pts[nmeasured].per_vf_ms > max_per)
			max_per = pts[nmeasured].per_vf_ms;
		nmeasured++;
	}

	/* The report. */
	root = json_object();
	{
		double v[MAX_PAIRS], med, mn, mx;

		/* The headline: 64 B frames VM -> VM, medians of the per-pair ratios. */
		spread(v, ratios(&sr[0], P_VF, P_RAW, v), &med, &mn, &mx);
		json_object_set_new(root, "vf_over_raw", json_real(med));
		spread(v, ratios(&sr[0], P_VF, P_SYN, v), &med, &mn, &mx);
		json_object_set_new(root, "vf_over_synthetic", json_real(med));
		spread(v, ratios(&sr[0], P_SYN, P_RAW, v), &med, &mn, &mx);
		json_object_set_new(root, "synthetic_over_raw", json_real(med));
	}
	json_object_set_new(root, "machine", machine());
	json_object_set_new(root, "method",
			    json_pack("{s:b, s:i, s:i, s:i, s:s, s:b}", "quick", b.o.quick, "pairs", b.o.pairs, "run_ms",
				      b.o.run_ms, "batch", 32, "ratio", "median of per-pair ratios; pairs whose ping-pong probes differ by more than 1.5x are dropped",
				      "doorbell_page", !(dbenv && !strcmp(dbenv, "0"))));
	arr = json_object();
	for (int s = 0; s < 2; s++) {
		char key[16];

		snprintf(key, sizeof(key), "%u", sizes[s]);
		json_object_set_new(arr, key, size_json(&sr[s]));
	}
	json_object_set_new(root, "sizes", arr);
	bring = json_object();
	arr = json_array();
	for (unsigned i = 0; i < nmeasured; i++) {
		json_t *pt = json_pack("{s:i, s:f, s:f, s:f, s:i}", "vfs", pts[i].vfs, "total_ms", pts[i].total_ms,
				       "per_vf_ms", pts[i].per_vf_ms, "vm_boot_ms", pts[i].boot_ms, "board_total_vfs",
				       pts[i].vfs > SRNIC_DEFAULT_VFS ? pts[i].vfs : SRNIC_DEFAULT_VFS);

		/* One busy pair among this point's idle VFs, against the lone pair (the idle_vfs figure, per N). */
		if (pts[i].busy_fps > 0) {
			json_object_set_new(pt, "busy_pair_fps", json_real(pts[i].busy_fps));
			json_object_set_new(pt, "busy_over_lone", json_real(lone > 0 ? pts[i].busy_fps / lone : 0.0));
		}
		json_array_append_new(arr, pt);
	}
	json_object_set_new(bring, "points", arr);
	json_object_set_new(bring, "per_vf_max_over_min", json_real(min_per > 0 ? max_per / min_per : 0));
	json_object_set_new(bring, "total_vfs", json_integer(SRNIC_VFS));
	json_object_set_new(bring, "vm_memory", json_string(BRINGUP_MEMORY));
	json_object_set_new(bring, "stopped",
			    stopped_at ? json_pack("{s:i, s:s}", "vfs", stopped_at, "reason", stopped_why) : json_null());
	json_object_set_new(bring, "note",
			    json_string(b.o.quick ? "--quick measures 1 and 8 VFs; the full run goes to 256 (srnic's most, "
						    "the lab's total_vfs)"
						  : "srnic has up to 256 VFs; past its own 64 the lab sets total_vfs to the count"));
	json_object_set_new(root, "bringup", bring);
	json_object_set_new(root, "idle_vfs",
			    json_pack("{s:i, s:f, s:f, s:f}", "idle", idle.idle, "active_fps", idle.fps, "lone_fps", lone,
				      "active_over_lone", lone > 0 ? idle.fps / lone : 0.0));
	json_object_set_new(root, "switch",
			    json_pack("{s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ms", sw.ms, "control_rtt_ms",
				      sw.rtt_ms, "round_trips", sw.round_trips, "frames", (json_int_t)sw.frames, "received",
				      (json_int_t)sw.received, "lost", (json_int_t)sw.lost, "duplicated", (json_int_t)sw.dup,
				      "reordered", (json_int_t)sw.reorder, "tx_vf", (json_int_t)sw.tx_vf, "tx_synthetic",
				      (json_int_t)sw.tx_synthetic));
	json_object_set_new(root, "tcp", tcp_json(tcp));
	{
		double v[MAX_PAIRS], med, mn, mx;

		spread(v, tcp_ratios(tcp, v), &med, &mn, &mx);
		json_object_set_new(root, "tcp_vf_over_synthetic", json_real(med));
	}

	if (b.o.json) {
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));

		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		json_t *m = json_object_get(root, "machine");

		printf("machine: %lld CPUs, %s, Linux %s\n", (long long)json_integer_value(json_object_get(m, "nproc")),
		       json_string_value(json_object_get(m, "cpu_model")),
		       json_string_value(json_object_get(m, "kernel")));
		for (int s = 0; s < 2; s++)
			size_print(&b, &sr[s]);
		printf("\nVF bring-up (IovWeight 0 -> 100 on every VM at once, until every VFDataPathActive):\n");
		for (unsigned i = 0; i < nmeasured; i++) {
			printf("  %3u VF(s): %8.1f ms, %6.2f ms per VF (VMs booted in %.0f ms, %s each)", pts[i].vfs,
			       pts[i].total_ms, pts[i].per_vf_ms, pts[i].boot_ms, BRINGUP_MEMORY);
			if (pts[i].busy_fps > 0)
				printf("; a busy pair among the %u idle: %.3f Mfps, %.2f of the lone pair", pts[i].vfs - 2,
				       pts[i].busy_fps / 1e6, lone > 0 ? pts[i].busy_fps / lone : 0);
			printf("\n");
		}
		printf("  per VF max/min %.2f, measured to %u VFs (srnic has up to %u)\n",
		       min_per > 0 ? max_per / min_per : 0, nmeasured ? pts[nmeasured - 1].vfs : 0, SRNIC_VFS);
		if (stopped_at)
			printf("  %u VFs not measured: %s\n", stopped_at, stopped_why);
		printf("one busy VF pair among %u idle VFs: %.3f Mfps (64 B) vs %.3f alone: %.2f\n", idle.idle,
		       idle.fps / 1e6, lone / 1e6, lone > 0 ? idle.fps / lone : 0);
		printf("VF -> synthetic switch under a stream: %.2f ms = %.1f control round trips (%.3f ms each); "
		       "%llu frames: %llu received, %llu lost, %llu duplicated, %llu reordered (%llu on the VF, %llu synthetic)\n",
		       sw.ms, sw.round_trips, sw.rtt_ms, (unsigned long long)sw.frames, (unsigned long long)sw.received,
		       (unsigned long long)sw.lost, (unsigned long long)sw.dup, (unsigned long long)sw.reorder,
		       (unsigned long long)sw.tx_vf, (unsigned long long)sw.tx_synthetic);
		tcp_print(tcp);
	}
	status = 0;
out:
	json_decref(root);
	if (b.host)
		host_down(&b);
	raw_spsc_destroy(b.raw);
	free(text);
	free(sr);
	free(tcp);
	return status;
}
