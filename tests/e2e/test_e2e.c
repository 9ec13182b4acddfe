/*
 * The lab end to end, the way `iovlab run` runs it (docs/hv/e2e.md): a host
 * assembled from lab text with the real PF miniport on srnic, the vSwitch
 * with its protocol edge (VMSP) on the PF, and every VM a child process
 * running guest_vm_main -- VMBus, guest NDIS, NetVsc's two edges, the vPCI
 * bus with srnic_vf (and srnic_vbd), the traffic source and sink. Nothing is
 * faked: VFDataPathActive comes only from the guest's acknowledged
 * SWITCH_DATA_PATH, frames are counted where they arrive.
 *
 * Covers: each VM is its own process and a killed one is cleaned up -- its
 * VF reset and freed, the other VM untouched, the VF reusable by a restart
 * (step a); the synthetic path VM to VM, VM to the uplink peer and the peer
 * to a VM through the PF's default vPort (b); the VF path, with the host
 * software off it (c); the VBD that does not forward the vPCI interface
 * (d), both also as ndiskd inside the guest sees them (VMCTL_MSG_NDISKD:
 * NETVSCVFPP bound, or declined with NDIS_STATUS_NOT_SUPPORTED); IovWeight
 * 0 under a stream and a guest killed under a stream (e); a numbered stream
 * to a VM across IovWeight 100 -> 0 -> 100 and a revoke loses, doubles and
 * reorders nothing with [host] vf_filter_move = on-switch (the default), and
 * after-removal keeps the teardown page's OID order (f); idle guests that
 * sleep until an event still answer and receive (g).
 * Every wait is bounded (WAIT_MS) and fails the test when it runs out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "hv/guest_traffic.h"
#include "hv/guest_vm.h"
#include "hv/host.h"
#include "hv/vf_doorbell.h"
#include "hv/netvsc_proto.h"
#include "hv/vmwp.h"
#include "hw/srnic/srnic.h"
#include "lab/lab.h"
#include "ndis/names.h"
#include "ndis/protocol.h"
#include "wire/srnic_regs.h"

#define WAIT_MS 10000

static const uint8_t mac2[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x02 };
static const uint8_t peer_mac[6] = { 0x02, 0x1a, 0xb4, 0x00, 0x00, 0x01 };

struct env {
	struct lab *lab;
	struct hv_host *h;
	struct vstack *vs;
	struct vstack_vmnic *n1, *n2;
	struct hv_nic *nic;
};

static struct env E;

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *lab_text(uint32_t weight1, uint32_t weight2, bool vbd_no_forward)
{
	static char text[2048];

	snprintf(text, sizeof(text),
		 "[nic pf0]\ndriver = srnic_pf\n"
		 "[keywords pf0]\n*SRIOV = 1\n*SriovPreferred = 1\n*NumVFs = 8\n"
		 "[vmswitch ext]\nadapter = pf0\niov = true\n"
		 "[vm vm1]\nmemory = 32M\n%s"
		 "[vm vm2]\nmemory = 32M\n"
		 "[vmnetworkadapter vm1]\nmac = 00155D0A1B01\niov_weight = %u\n"
		 "[vmnetworkadapter vm2]\nmac = 00155D0A1B02\niov_weight = %u\n",
		 vbd_no_forward ? "vbd = srnic_vbd\nvbd_forward_vpci = false\n" : "", weight1, weight2);
	return text;
}

static void up(const char *text)
{
	struct hv_host_options opt = {
		.builtin_driver_dir = DRIVERS_BUILDDIR,
		.guest_entry = guest_vm_main,
		.netvsc_dir = NETVSC_DIR,
		.traffic_dir = TRAFFIC_DIR,
		.vmsp_dir = VMSP_DIR,
	};
	char err[512];

	memset(&E, 0, sizeof(E));
	if (lab_load_string(text, "e2e.lab", &E.lab, err, sizeof(err)))
		fail_msg("lab: %s", err);
	if (hv_host_create(E.lab, &opt, &E.h, err, sizeof(err)))
		fail_msg("host: %s", err);
	E.vs = hv_host_vstack(E.h);
	E.n1 = vstack_vmnic_find(E.vs, "vm1");
	E.n2 = vstack_vmnic_find(E.vs, "vm2");
	E.nic = hv_host_nic_find(E.h, "pf0");
	assert_non_null(E.n1);
	assert_non_null(E.n2);
	assert_int_equal(hv_nic_state(E.nic), HV_NIC_RUNNING);
}

static void down(void)
{
	hv_host_destroy(E.h);
	lab_free(E.lab);
	memset(&E, 0, sizeof(E));
}

typedef bool cond_fn(void *arg);

static void run_until(cond_fn *cond, void *arg, const char *what)
{
	int64_t deadline = now_ms() + WAIT_MS;

	while (!cond(arg)) {
		if (now_ms() > deadline)
			fail_msg("timed out after %d ms waiting for %s", WAIT_MS, what);
		assert_int_equal(hv_host_run(E.h, 2), 0);
	}
}

static void run_for(int ms)
{
	for (int64_t end = now_ms() + ms; now_ms() < end;)
		(void)hv_host_run(E.h, 2);
}

static struct vmwp *guest(struct vstack_vmnic *n)
{
	return hv_host_vm_guest(E.h, vstack_vmnic_vm(n));
}

static bool guest_up(void *arg)
{
	struct vmwp *w = guest(arg);

	return w && vmwp_state(w) == VMWP_RUNNING;
}

static bool datapath_vf(void *arg)
{
	return vstack_vmnic_datapath_active(arg);
}

static bool vm_off_and_reaped(void *arg)
{
	struct vstack_vmnic *n = arg;

	return !guest(n) && vstack_vm_state(vstack_vmnic_vm(n)) == VSTACK_VM_OFF;
}

/* The guest's counters, fresh. */
struct query {
	struct vmwp *w;
	int seq;
	struct vmctl_status st;
};

static bool answered(void *arg)
{
	struct query *q = arg;

	return vmwp_status(q->w, &q->st) >= (uint32_t)q->seq;
}

static struct vmctl_status status_of(struct vstack_vmnic *n)
{
	struct query q = { .w = guest(n) };

	assert_non_null(q.w);
	q.seq = vmwp_query(q.w);
	assert_true(q.seq > 0);
	run_until(answered, &q, "the guest's status");
	return q.st;
}

/* ndiskd inside the guest: its NDIS's adapters and bindings (VMCTL_MSG_NDISKD). */
struct ndiskd_q {
	struct vmwp *w;
	int seq;
	struct vmctl_ndiskd m;
};

static bool ndiskd_answered(void *arg)
{
	struct ndiskd_q *q = arg;

	return vmwp_ndiskd(q->w, q->seq, &q->m);
}

/* The guest's binding of protocol on its adapter with flag (VMCTL_NDISKD_VF / _SYNTHETIC); fails if none. */
static struct vmctl_ndiskd_binding guest_binding(struct vstack_vmnic *n, uint32_t flag, const char *protocol)
{
	static struct ndiskd_q q;

	memset(&q, 0, sizeof(q));
	q.w = guest(n);
	assert_non_null(q.w);
	q.seq = vmwp_ndiskd_query(q.w);
	assert_true(q.seq > 0);
	run_until(ndiskd_answered, &q, "the guest's ndiskd answer");
	assert_int_equal(q.m.version, VMCTL_NDISKD_V1);
	for (uint32_t i = 0; i < q.m.nadapters; i++) {
		const struct vmctl_ndiskd_adapter *a = &q.m.adapters[i];

		if (!(a->flags & flag))
			continue;
		for (uint32_t k = 0; k < a->nbindings; k++)
			if (!strcmp(a->bindings[k].protocol, protocol))
				return a->bindings[k];
	}
	fail_msg("no %s binding on the guest's adapter with flag 0x%x", protocol, flag);
	return (struct vmctl_ndiskd_binding){ 0 };
}

struct send {
	struct vmwp *w;
	int seq;
	struct vmctl_status st;
};

static bool send_done(void *arg)
{
	struct send *s = arg;

	return vmwp_sent(s->w, s->seq, &s->st);
}

/* n numbered frames of size bytes from n's guest to dst; the guest's counters after. */
static struct vmctl_status send_from(struct vstack_vmnic *n, const uint8_t dst[6], uint32_t count, uint32_t size)
{
	struct send s = { .w = guest(n) };

	assert_non_null(s.w);
	s.seq = vmwp_send(s.w, dst, count, size);
	assert_true(s.seq > 0);
	run_until(send_done, &s, "the guest's send");
	return s.st;
}

struct rx_wait {
	struct vstack_vmnic *n;
	uint64_t want;
	struct vmctl_status st;
};

static bool rx_reached(void *arg)
{
	struct rx_wait *r = arg;

	r->st = status_of(r->n);
	return r->st.rx_received >= r->want;
}

static struct vmctl_status wait_rx(struct vstack_vmnic *n, uint64_t want)
{
	struct rx_wait r = { .n = n, .want = want };
	int64_t deadline = now_ms() + WAIT_MS;

	while (!rx_reached(&r)) {
		struct vmwp_stats ws;

		if (now_ms() > deadline) {
			vmwp_get_stats(guest(n), &ws);
			fail_msg("timed out waiting for %llu frames at '%s': %llu arrived (lost %llu, dup %llu, foreign %llu); "
				 "NetVSP delivered %llu, dropped %llu",
				 (unsigned long long)want, vstack_vmnic_name(n), (unsigned long long)r.st.rx_received,
				 (unsigned long long)r.st.rx_lost, (unsigned long long)r.st.rx_dup,
				 (unsigned long long)r.st.rx_foreign, (unsigned long long)ws.synthetic_rx,
				 (unsigned long long)ws.synthetic_rx_dropped);
		}
		(void)hv_host_run(E.h, 2);
	}
	run_for(20);
	return status_of(n);
}

static void assert_clean(const struct vmctl_status *st, uint64_t received)
{
	assert_int_equal(st->rx_received, received);
	assert_int_equal(st->rx_lost, 0);
	assert_int_equal(st->rx_dup, 0);
	assert_int_equal(st->rx_reorder, 0);
	assert_int_equal(st->rx_bad, 0);
}

/* Index of the first OID record at or after from with this OID, or -1. */
static long oid_after(struct ndis_adapter *ad, size_t from, uint32_t oid)
{
	for (size_t i = from; i < ndis_adapter_oid_record_count(ad); i++)
		if (ndis_adapter_oid_record_at(ad, i)->oid == oid)
			return (long)i;
	return -1;
}

static void both_on_vf(void)
{
	run_until(guest_up, E.n1, "vm1's guest");
	run_until(guest_up, E.n2, "vm2's guest");
	run_until(datapath_vf, E.n1, "vm1's VF data path");
	run_until(datapath_vf, E.n2, "vm2's VF data path");
}

/* ---- the guest side's VF states: the table of docs/hv/e2e.md, every pair ---------------------- */
static void test_vf_state_table(void **state)
{
	static const bool legal[VMWP_VF_STATE_COUNT][VMWP_VF_STATE_COUNT] = {
		[VMWP_VF_NONE] = { [VMWP_VF_OFFERED] = true },
		[VMWP_VF_OFFERED] = { [VMWP_VF_LEAVING] = true, [VMWP_VF_NONE] = true },
		[VMWP_VF_LEAVING] = { [VMWP_VF_EJECTING] = true, [VMWP_VF_NONE] = true },
		[VMWP_VF_EJECTING] = { [VMWP_VF_NONE] = true },
	};

	(void)state;
	for (int from = 0; from < VMWP_VF_STATE_COUNT; from++) {
		assert_string_not_equal(vmwp_vf_state_name((enum vmwp_vf_state)from), "?");
		for (int to = 0; to < VMWP_VF_STATE_COUNT; to++)
			assert_int_equal(vmwp_vf_state_transition_allowed((enum vmwp_vf_state)from, (enum vmwp_vf_state)to),
					 legal[from][to]);
	}
	assert_false(vmwp_vf_state_transition_allowed(VMWP_VF_STATE_COUNT, VMWP_VF_NONE));
	assert_string_equal(vmwp_state_name(VMWP_RUNNING), "Running");
}

/* ---- a: processes, and a VM killed ----------------------------------------------------- */
static void test_vms_are_processes_and_a_kill_is_cleaned_up(void **state)
{
	struct ndis_adapter *pf;
	struct vmctl_status before, after, rx;
	pid_t p1, p2;
	size_t mark;
	long reset, freed;

	(void)state;
	up(lab_text(100, 100, false));
	pf = hv_nic_adapter(E.nic);
	both_on_vf();
	p1 = vmwp_pid(guest(E.n1));
	p2 = vmwp_pid(guest(E.n2));
	assert_true(p1 > 0 && p2 > 0 && p1 != p2 && p1 != getpid() && p2 != getpid());
	assert_int_equal(kill(p1, 0), 0);
	assert_int_equal(kill(p2, 0), 0);

	/* vm1 crashes: the host reaps it, takes its VF back in order, turns the VM off. */
	mark = ndis_adapter_oid_record_count(pf);
	assert_int_equal(hv_host_vm_kill(E.h, "vm1"), 0);
	run_until(vm_off_and_reaped, E.n1, "vm1 to be reaped and turned off");
	assert_true(WIFSIGNALED(hv_host_vm_last_exit(E.h, vstack_vmnic_vm(E.n1))));
	assert_int_equal(WTERMSIG(hv_host_vm_last_exit(E.h, vstack_vmnic_vm(E.n1))), SIGKILL);
	assert_int_equal(kill(p1, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(vstack_vmnic_iov_usage(E.n1), 0);
	assert_int_equal(vstack_vmnic_vf_state(E.n1), VSTACK_VF_NONE);
	assert_false(vstack_vmnic_datapath_active(E.n1));
	reset = oid_after(pf, mark, OID_SRIOV_RESET_VF);
	freed = oid_after(pf, mark, OID_NIC_SWITCH_FREE_VF);
	assert_true(oid_after(pf, mark, OID_NIC_SWITCH_DELETE_VPORT) >= 0);
	assert_true(reset >= 0 && freed > reset);
	assert_int_equal(ndis_adapter_oid_record_at(pf, (size_t)freed)->status, NDIS_STATUS_SUCCESS);

	/* vm2 did not notice: still on its VF, still sending through it. */
	assert_true(vstack_vmnic_datapath_active(E.n2));
	assert_int_equal(kill(p2, 0), 0);
	before = status_of(E.n2);
	after = send_from(E.n2, peer_mac, 50, 200);
	assert_int_equal(after.tx_vf - before.tx_vf, 50);
	assert_int_equal(after.tx_completed - before.tx_completed, 50);

	/* vm1 starts again: a new process, a VF again (the freed one is reusable), on it. */
	assert_int_equal(hv_host_vm_start(E.h, "vm1"), 0);
	run_until(guest_up, E.n1, "vm1's new guest");
	assert_true(vmwp_pid(guest(E.n1)) != p1);
	run_until(datapath_vf, E.n1, "vm1's VF data path again");
	before = status_of(E.n1);
	after = send_from(E.n1, mac2, 200, 128);
	assert_int_equal(after.tx_vf - before.tx_vf, 200);
	rx = wait_rx(E.n2, 200);
	assert_clean(&rx, 200);

	/* Stop-VM: the VF back in order (guest first), then the guest shuts down cleanly. */
	assert_int_equal(hv_host_vm_stop(E.h, "vm2"), -EINPROGRESS);
	run_until(vm_off_and_reaped, E.n2, "vm2 to stop");
	assert_true(WIFEXITED(hv_host_vm_last_exit(E.h, vstack_vmnic_vm(E.n2))));
	assert_int_equal(WEXITSTATUS(hv_host_vm_last_exit(E.h, vstack_vmnic_vm(E.n2))), 0);
	assert_int_equal(vstack_vmnic_iov_usage(E.n2), 0);
	down();
}

/* ---- b: the synthetic path ---------------------------------------------------------------- */
static void test_synthetic_path_between_vms_and_to_the_peer(void **state)
{
	struct vswitch *sw;
	struct vswitch_stats ss;
	struct srnic_peer *peer;
	struct vmctl_status st, rx;
	uint8_t f[256];

	(void)state;
	up(lab_text(0, 0, false));
	sw = hv_host_switch_find(E.h, "ext");
	peer = hv_nic_peer(E.nic);
	assert_non_null(peer);
	run_until(guest_up, E.n1, "vm1's guest");
	run_until(guest_up, E.n2, "vm2's guest");
	assert_false(vstack_vmnic_datapath_active(E.n1));

	/* VM to VM: NetVSC -> NetVSP -> the switch -> vm2's NetVSP -> NetVsc. */
	st = send_from(E.n1, mac2, 1000, 64);
	assert_int_equal(st.tx_synthetic, 1000);
	assert_int_equal(st.tx_vf, 0);
	rx = wait_rx(E.n2, 1000);
	assert_clean(&rx, 1000);

	/* VM to the uplink: the switch sends through VMSP on the PF's default vPort. */
	st = send_from(E.n1, peer_mac, 100, 1514);
	assert_int_equal(st.tx_synthetic, 1100);
	run_for(50);
	assert_int_equal(srnic_peer_rx_frames(peer), 100);
	vswitch_get_stats(sw, &ss);
	assert_int_equal(ss.to_external, 100);

	/* The peer to a VM: the PF indicates it on the default vPort (vm2's filter), the switch delivers. */
	for (uint64_t i = 0; i < 50; i++) {
		uint32_t len = guest_traffic_frame_build(f, 100, mac2, peer_mac, GUEST_VM_STREAM, i);

		assert_int_equal(srnic_peer_send(peer, f, len), 0);
	}
	rx = wait_rx(E.n2, 1050);
	assert_clean(&rx, 1050);
	vswitch_get_stats(sw, &ss);
	assert_true(ss.from_external >= 50);
	down();
}

/* ---- c: the VF path -------------------------------------------------------------------------- */
static void test_vf_path_with_the_host_software_off_it(void **state)
{
	struct vswitch *sw;
	struct vswitch_stats before_sw, after_sw;
	struct vmwp_stats ws;
	struct vmctl_status st, rx;

	(void)state;
	up(lab_text(100, 100, false));
	sw = hv_host_switch_find(E.h, "ext");
	both_on_vf();
	/* The guest says so too: NetVsc on the VF, NETVSCVFPP bound, the serial it was told. */
	st = status_of(E.n1);
	assert_int_equal(st.data_path, NETVSC_DP_VF);
	assert_int_equal(st.vf_binding, VMCTL_VF_BOUND);
	assert_int_equal(st.vf_adapters, 1);
	assert_int_equal(st.vf_serial, vstack_vmnic_serial(E.n1));
	/* ... and ndiskd inside it: NETVSCVFPP opened the VF miniport, the traffic protocol NetVsc's. */
	assert_int_equal(guest_binding(E.n1, VMCTL_NDISKD_VF, "NETVSCVFPP").state, NDIS_BINDING_BOUND);
	assert_int_equal(guest_binding(E.n1, VMCTL_NDISKD_SYNTHETIC, "IOVTRAFFIC").state, NDIS_BINDING_BOUND);
	vmwp_get_stats(guest(E.n1), &ws);
	assert_true(ws.mmio_writes > 0 && ws.mmio_reads > 0);
	assert_true(ws.oids > 0);

	vswitch_get_stats(sw, &before_sw);
	st = send_from(E.n1, mac2, 1000, 64);
	assert_int_equal(st.tx_vf, 1000);
	assert_int_equal(st.tx_synthetic, 0);
	rx = wait_rx(E.n2, 1000);
	assert_clean(&rx, 1000);
	st = send_from(E.n1, peer_mac, 100, 1514);
	run_for(50);
	assert_int_equal(srnic_peer_rx_frames(hv_nic_peer(E.nic)), 100);
	/* The host's switch saw none of it. */
	vswitch_get_stats(sw, &after_sw);
	assert_int_equal(after_sw.from_ports, before_sw.from_ports);
	assert_int_equal(after_sw.to_external, before_sw.to_external);
	down();
}

/* ---- d: the VBD that does not forward the vPCI interface (F22) -------------------------------- */
static void test_vbd_without_forwarding_keeps_the_vm_synthetic(void **state)
{
	struct vmctl_status st, rx;
	char desc[512];

	(void)state;
	up(lab_text(100, 100, true));
	run_until(guest_up, E.n1, "vm1's guest");
	run_until(datapath_vf, E.n2, "vm2 (the control) on its VF");
	run_for(300);
	/* vm1 holds a VF, its VF miniport came up, but NetVsc declined it: no serial number. */
	assert_int_equal(vstack_vmnic_iov_usage(E.n1), 1);
	assert_false(vstack_vmnic_datapath_active(E.n1));
	st = status_of(E.n1);
	assert_int_equal(st.vf_adapters, 1);
	assert_int_equal(st.vf_binding, VMCTL_VF_DECLINED);
	assert_int_equal(st.vf_status, (uint32_t)NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(st.data_path, NETVSC_DP_SYNTHETIC);
	assert_int_equal(vstack_vmnic_status(E.n1, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "Declined with NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)"));
	/* ndiskd inside vm1: the VF adapter's NETVSCVFPP binding, declined with that status. */
	{
		struct vmctl_ndiskd_binding b = guest_binding(E.n1, VMCTL_NDISKD_VF, "NETVSCVFPP");

		assert_int_equal(b.state, NDIS_BINDING_DECLINED);
		assert_int_equal(b.status, (uint32_t)NDIS_STATUS_NOT_SUPPORTED);
	}

	st = send_from(E.n1, mac2, 1000, 64);
	assert_int_equal(st.tx_synthetic, 1000);
	assert_int_equal(st.tx_vf, 0);
	rx = wait_rx(E.n2, 1000);
	assert_clean(&rx, 1000);
	down();
}

/* ---- e: the VF taken away under a stream, a guest killed under a stream ------------------------ */
struct stream {
	struct vmwp *w;
	int seq;
	struct vmctl_status st;
};

static void stream_start(struct stream *x, struct vstack_vmnic *from, const uint8_t dst[6], uint32_t count)
{
	x->w = guest(from);
	assert_non_null(x->w);
	x->seq = vmwp_send(x->w, dst, count, 128);
	assert_true(x->seq > 0);
}

static bool stream_done(void *arg)
{
	struct stream *x = arg;

	return vmwp_sent(x->w, x->seq, &x->st);
}

static bool sent_at_least(struct vstack_vmnic *n, uint64_t frames)
{
	return status_of(n).tx_frames >= frames;
}

static bool not_vf(void *arg)
{
	return !vstack_vmnic_datapath_active(arg) && vstack_vmnic_vf_state(arg) == VSTACK_VF_NONE;
}

static void test_iovweight_zero_under_a_stream(void **state)
{
	struct ndis_adapter *pf;
	struct stream x;
	struct vmctl_status rx;
	size_t mark;
	long move, del, reset, freed;
	int64_t deadline;

	(void)state;
	up(lab_text(100, 100, false));
	pf = hv_nic_adapter(E.nic);
	both_on_vf();
	stream_start(&x, E.n1, mac2, 3000);
	deadline = now_ms() + WAIT_MS;
	while (!sent_at_least(E.n1, 800)) {
		assert_true(now_ms() < deadline);
		(void)hv_host_run(E.h, 2);
	}
	/* Set-VMNetworkAdapter vm1 -IovWeight 0, live: the guest lets go first (spec 1.3, 2.17). */
	mark = ndis_adapter_oid_record_count(pf);
	assert_int_equal(vstack_vmnic_set_iov_weight(E.n1, 0), 0);
	assert_int_equal(vstack_vmnic_vf_state(E.n1), VSTACK_VF_REVOKING);
	assert_int_equal(ndis_adapter_oid_record_count(pf), mark);	/* nothing at the PF before the guest let go */
	run_until(not_vf, E.n1, "vm1's VF to be taken back");
	move = oid_after(pf, mark, OID_RECEIVE_FILTER_MOVE_FILTER);
	del = oid_after(pf, mark, OID_NIC_SWITCH_DELETE_VPORT);
	reset = oid_after(pf, mark, OID_SRIOV_RESET_VF);
	freed = oid_after(pf, mark, OID_NIC_SWITCH_FREE_VF);
	assert_true(move >= 0 && del > move && reset > del && freed > reset);
	/* The stream went on, synthetic now, and nothing was lost or doubled on the way. */
	run_until(stream_done, &x, "the rest of the stream");
	assert_int_equal(x.st.tx_frames, 3000);
	assert_int_equal(x.st.tx_completed, 3000);
	assert_int_equal(x.st.tx_failed, 0);
	assert_true(x.st.tx_vf >= 800 && x.st.tx_synthetic > 0);
	assert_int_equal(x.st.tx_vf + x.st.tx_synthetic, 3000);
	assert_int_equal(x.st.data_path, NETVSC_DP_SYNTHETIC);
	rx = wait_rx(E.n2, 3000);
	assert_int_equal(rx.rx_received, 3000);
	assert_int_equal(rx.rx_lost, 0);
	assert_int_equal(rx.rx_dup, 0);
	assert_int_equal(rx.rx_bad, 0);
	/* IovWeight back to 100: a VF again, the guest on it again. */
	assert_int_equal(vstack_vmnic_set_iov_weight(E.n1, 100), 0);
	run_until(datapath_vf, E.n1, "vm1 on a VF again");
	down();
}

static void test_guest_killed_under_a_stream(void **state)
{
	struct stream x;
	struct vmctl_status before, after, rx;
	int64_t deadline;

	(void)state;
	up(lab_text(100, 100, false));
	both_on_vf();
	/* vm1 streams to vm2; vm2 dies in the middle. */
	stream_start(&x, E.n1, mac2, 2000);
	deadline = now_ms() + WAIT_MS;
	while (status_of(E.n2).rx_received < 300) {
		assert_true(now_ms() < deadline);
		(void)hv_host_run(E.h, 2);
	}
	assert_int_equal(hv_host_vm_kill(E.h, "vm2"), 0);
	run_until(vm_off_and_reaped, E.n2, "vm2 to be reaped");
	assert_int_equal(vstack_vmnic_iov_usage(E.n2), 0);
	/* The host and vm1 carry on: vm1's stream finishes (its frames now leave by the uplink). */
	run_until(stream_done, &x, "vm1's stream");
	assert_int_equal(x.st.tx_completed, 2000);
	assert_int_equal(x.st.tx_failed, 0);
	assert_true(vstack_vmnic_datapath_active(E.n1));
	/* vm2 comes back and gets a VF (the one freed is reusable); traffic flows again. */
	assert_int_equal(hv_host_vm_start(E.h, "vm2"), 0);
	run_until(guest_up, E.n2, "vm2's new guest");
	run_until(datapath_vf, E.n2, "vm2 on a VF again");
	before = status_of(E.n1);
	after = send_from(E.n1, mac2, 500, 64);
	assert_int_equal(after.tx_vf - before.tx_vf, 500);
	rx = wait_rx(E.n2, 500);
	assert_clean(&rx, 500);
	down();
}

/* ---- issue 8: frames across a VF's removal and return, per vf_filter_move ------------------- */
static const uint8_t mac1[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x01 };

static void up_filter_move(const char *mode)
{
	static char text[2400];

	if (mode)
		snprintf(text, sizeof(text), "[host]\nvf_filter_move = %s\n%s", mode, lab_text(100, 100, false));
	else
		snprintf(text, sizeof(text), "%s", lab_text(100, 100, false));
	up(text);
	assert_int_equal(vstack_filter_move(E.vs), mode && !strcmp(mode, "after-removal")
							? VSTACK_FILTER_MOVE_AFTER_REMOVAL
							: VSTACK_FILTER_MOVE_ON_SWITCH);
}

static uint64_t switch_drops(void)
{
	static const uint32_t reg[] = { SRNIC_REG_SW_DROP_NO_FILTER, SRNIC_REG_SW_DROP_RING_FULL,
					SRNIC_REG_SW_DROP_BAD_DESC, SRNIC_REG_SW_DROP_LINK_DOWN };
	uint64_t total = 0;

	for (size_t k = 0; k < sizeof(reg) / sizeof(reg[0]); k++) {
		uint32_t v = 0;

		assert_int_equal(srnic_mmio_read32(hv_nic_device(E.nic), 0, 0, reg[k], &v), 0);
		total += v;
	}
	return total;
}

/*
 * Where the guest's removal of the VF is in the PF's OID records: the vPCI
 * VSP's OID_SRIOV_SET_VF_POWER_STATE (D3) as the guest ejects the function
 * (spec 2.11 step 5 power; the only OID of the removal itself).
 */
struct order {
	size_t mark;		/* OID records before IovWeight 0 */
};

/*
 * vm2 streams numbered frames to vm1 while vm1's VF goes IovWeight 100 -> 0 ->
 * 100 and is then revoked and returned (live-migration-like): the frames
 * for vm1 move between the VF path and the synthetic path four times.
 */
/* Frames for n that arrived through NetVSP (the synthetic path). */
static uint64_t synthetic_rx(struct vstack_vmnic *n)
{
	struct vmwp_stats st;

	vmwp_get_stats(guest(n), &st);
	return st.synthetic_rx;
}

static bool synthetic_moved(void *arg)
{
	return synthetic_rx(E.n1) > *(uint64_t *)arg;
}

/* Every frame of the stream is at vm1 or counted lost (after-removal loses some). */
static bool rx_accounted(void *arg)
{
	struct vmctl_status *st = arg;

	*st = status_of(E.n1);
	return st->rx_received + st->rx_lost >= 16000;
}

static void cycle_under_a_stream(struct order *o, uint64_t *drops, struct vmctl_status *rx)
{
	struct ndis_adapter *pf = hv_nic_adapter(E.nic);
	struct stream x;
	uint64_t d0, syn;
	enum { COUNT = 16000 };

	both_on_vf();
	d0 = switch_drops();
	stream_start(&x, E.n2, mac1, COUNT);
	while (status_of(E.n1).rx_received < 300)
		(void)hv_host_run(E.h, 2);
	/* IovWeight 100 -> 0: the stream reaches vm1 synthetic for a while (counted, not timed) ... */
	syn = synthetic_rx(E.n1);
	o->mark = ndis_adapter_oid_record_count(pf);
	assert_int_equal(vstack_vmnic_set_iov_weight(E.n1, 0), 0);
	run_until(not_vf, E.n1, "vm1's VF to be taken back");
	run_until(synthetic_moved, &syn, "frames for vm1 on the synthetic path");
	/* ... -> 100: on a new VF again */
	assert_int_equal(vstack_vmnic_set_iov_weight(E.n1, 100), 0);
	run_until(datapath_vf, E.n1, "vm1 on a VF again");
	/* a live-migration-like revoke and return, the same way round */
	syn = synthetic_rx(E.n1);
	assert_int_equal(hv_host_vf_revoke(E.h, "vm1", -1), 0);
	run_until(not_vf, E.n1, "vm1's VF revoked");
	run_until(synthetic_moved, &syn, "frames for vm1 on the synthetic path after the revoke");
	assert_int_equal(hv_host_vf_return(E.h, "vm1"), 0);
	run_until(datapath_vf, E.n1, "vm1 on a VF after the revoke");
	run_until(stream_done, &x, "vm2's stream");
	assert_int_equal(x.st.tx_completed, COUNT);
	run_until(rx_accounted, rx, "every frame of vm2's stream at vm1 received or counted lost");
	run_for(20);
	*rx = status_of(E.n1);
	*drops = switch_drops() - d0;
	fprintf(stderr, "vf_filter_move %s: %llu received, %llu lost, %llu dup, %llu reordered; %llu dropped in the NIC switch\n",
		vstack_filter_move_name(vstack_filter_move(E.vs)), (unsigned long long)rx->rx_received,
		(unsigned long long)rx->rx_lost, (unsigned long long)rx->rx_dup, (unsigned long long)rx->rx_reorder,
		(unsigned long long)*drops);
}

static void test_filter_move_on_switch_loses_nothing(void **state)
{
	struct ndis_adapter *pf;
	struct order o;
	struct vmctl_status rx;
	uint64_t drops;
	long move, removal, del;

	(void)state;
	up_filter_move(NULL);	/* the default */
	pf = hv_nic_adapter(E.nic);
	cycle_under_a_stream(&o, &drops, &rx);
	assert_clean(&rx, 16000);
	assert_int_equal(drops, 0);
	/* MOVE_FILTER before the guest's removal; DELETE_VPORT after it. */
	move = oid_after(pf, o.mark, OID_RECEIVE_FILTER_MOVE_FILTER);
	removal = oid_after(pf, o.mark, OID_SRIOV_SET_VF_POWER_STATE);
	del = oid_after(pf, o.mark, OID_NIC_SWITCH_DELETE_VPORT);
	assert_true(move >= 0 && removal > move && del > removal);
	down();
}

static void test_filter_move_after_removal_keeps_the_teardown_order(void **state)
{
	struct ndis_adapter *pf;
	struct order o;
	struct vmctl_status rx;
	uint64_t drops;
	long removal, move, del, reset, freed;

	(void)state;
	up_filter_move("after-removal");
	pf = hv_nic_adapter(E.nic);
	cycle_under_a_stream(&o, &drops, &rx);
	/* Guest removal first, then MOVE_FILTER, DELETE_VPORT, RESET_VF, FREE_VF (spec 1.3). */
	removal = oid_after(pf, o.mark, OID_SRIOV_SET_VF_POWER_STATE);
	move = oid_after(pf, o.mark, OID_RECEIVE_FILTER_MOVE_FILTER);
	del = oid_after(pf, o.mark, OID_NIC_SWITCH_DELETE_VPORT);
	reset = oid_after(pf, o.mark, OID_SRIOV_RESET_VF);
	freed = oid_after(pf, o.mark, OID_NIC_SWITCH_FREE_VF);
	assert_true(removal >= 0 && move > removal && del > move && reset > del && freed > reset);
	/*
	 * What it costs is counted, not asserted (printed above): frames the NIC
	 * switch drops at the VF's vPort ("link down", "ring full") and frames
	 * the VF took after NETVSCVFPP unbound, which the guest's NDIS drops.
	 */
	(void)drops;
	assert_int_equal(rx.rx_dup, 0);
	down();
}

/*
 * IovWeight 0 while vm1 floods vm2 through the VF (bursts of 32, up to 256
 * frames in flight), so the withdrawal finds sends still at the VF: NetVsc's
 * switch back waits for the VF to complete them (VFFlush; the guest sleeps
 * until the VF's interrupt meanwhile, guest_vm.c gvm_pump) before
 * SWITCH_DATA_PATH. Every frame is sent once, on one path, and none that
 * took the synthetic path overtakes one still in the VF. Raw frames have no
 * flow control: the receiving ring may drop some (counted lost, not
 * asserted); none is doubled or reordered.
 */
static void test_switch_back_under_a_flood_keeps_order(void **state)
{
	struct stream x;
	struct vmctl_status r0, rx;
	int64_t deadline;
	enum { COUNT = 60000 };

	(void)state;
	up(lab_text(100, 100, false));
	both_on_vf();
	r0 = status_of(E.n2);
	x.w = guest(E.n1);
	assert_non_null(x.w);
	x.seq = vmwp_send_flood(x.w, mac2, COUNT, 128);
	assert_true(x.seq > 0);
	deadline = now_ms() + WAIT_MS;
	while (!sent_at_least(E.n1, 2000)) {
		assert_true(now_ms() < deadline);
		(void)hv_host_run(E.h, 2);
	}
	assert_int_equal(vstack_vmnic_set_iov_weight(E.n1, 0), 0);
	run_until(not_vf, E.n1, "vm1's VF to be taken back under the flood");
	run_until(stream_done, &x, "the rest of the flood");
	assert_int_equal(x.st.tx_frames, COUNT);
	assert_int_equal(x.st.tx_completed, COUNT);
	assert_int_equal(x.st.tx_failed, 0);
	assert_true(x.st.tx_vf >= 2000 && x.st.tx_synthetic > 0);
	assert_int_equal(x.st.tx_vf + x.st.tx_synthetic, COUNT);
	assert_int_equal(x.st.data_path, NETVSC_DP_SYNTHETIC);
	run_for(50);
	rx = status_of(E.n2);
	fprintf(stderr, "switch back under a flood: %llu sent through the VF, %llu synthetic; %llu received, %llu lost, "
		"%llu dup, %llu reordered\n", (unsigned long long)x.st.tx_vf, (unsigned long long)x.st.tx_synthetic,
		(unsigned long long)(rx.rx_received - r0.rx_received), (unsigned long long)(rx.rx_lost - r0.rx_lost),
		(unsigned long long)(rx.rx_dup - r0.rx_dup), (unsigned long long)(rx.rx_reorder - r0.rx_reorder));
	assert_true(rx.rx_received - r0.rx_received > 0);
	assert_true(rx.rx_received - r0.rx_received + rx.rx_lost - r0.rx_lost <= COUNT);
	assert_int_equal(rx.rx_dup - r0.rx_dup, 0);
	assert_int_equal(rx.rx_reorder - r0.rx_reorder, 0);
	assert_int_equal(rx.rx_bad - r0.rx_bad, 0);
	down();
}

/* ---- g: idle guests sleep until an event, and still answer ----------------------------------- */
static long voluntary_switches(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * With the safety-net sleep of the guests raised to 10 minutes
 * (IOVLAB_GUEST_IDLE_MAX_MS), everything below works only if each event
 * wakes the sleeping guest: a lost wake-up hangs a wait until WAIT_MS fails
 * it. An idle guest wakes for the host's status queries (every 250 ms) and
 * little else -- not every 20 ms, as it did (> 50 wake-ups a second).
 */
static void test_idle_guests_sleep_and_still_answer(void **state)
{
	struct vmctl_status st, rx;
	struct vf_db_stats d0, d1;
	long c0, c1;
	pid_t pid;

	(void)state;
	assert_int_equal(setenv("IOVLAB_GUEST_IDLE_MAX_MS", "600000", 1), 0);
	up(lab_text(100, 100, false));
	both_on_vf();
	st = send_from(E.n1, mac2, 100, 64);
	assert_int_equal(st.tx_vf, 100);
	rx = wait_rx(E.n2, 100);
	assert_clean(&rx, 100);
	/* Idle for a second: the receiving guest's process sleeps. */
	run_for(200);
	pid = vmwp_pid(guest(E.n2));
	c0 = voluntary_switches(pid);
	run_for(1000);
	c1 = voluntary_switches(pid);
	assert_true(c0 >= 0 && c1 >= c0);
	print_message("vm2's guest: %ld voluntary context switches in 1 s idle\n", c1 - c0);
	assert_true(c1 - c0 < 30);
	/* A control query after sleeping is answered ... */
	st = status_of(E.n2);
	assert_int_equal(st.data_path, NETVSC_DP_VF);
	/* ... and frames through the VF reach it: its interrupt was signalled. */
	vf_db_get_stats(&d0);
	st = send_from(E.n1, mac2, 200, 64);
	assert_int_equal(st.tx_vf, 300);
	rx = wait_rx(E.n2, 300);
	assert_clean(&rx, 300);
	vf_db_get_stats(&d1);
	assert_true(d1.interrupts > d0.interrupts);
	down();
	assert_int_equal(unsetenv("IOVLAB_GUEST_IDLE_MAX_MS"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vf_state_table),
		cmocka_unit_test(test_vms_are_processes_and_a_kill_is_cleaned_up),
		cmocka_unit_test(test_synthetic_path_between_vms_and_to_the_peer),
		cmocka_unit_test(test_vf_path_with_the_host_software_off_it),
		cmocka_unit_test(test_vbd_without_forwarding_keeps_the_vm_synthetic),
		cmocka_unit_test(test_iovweight_zero_under_a_stream),
		cmocka_unit_test(test_guest_killed_under_a_stream),
		cmocka_unit_test(test_filter_move_on_switch_loses_nothing),
		cmocka_unit_test(test_filter_move_after_removal_keeps_the_teardown_order),
		cmocka_unit_test(test_switch_back_under_a_flood_keeps_order),
		cmocka_unit_test(test_idle_guests_sleep_and_still_answer),
	};

	signal(SIGPIPE, SIG_IGN);
	log_configure(getenv("IOVLAB_LOG") ? getenv("IOVLAB_LOG") : "*=error", NULL, 0);
	return cmocka_run_group_tests_name("e2e", tests, NULL, NULL);
}
