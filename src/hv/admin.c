/*
 * The administrator's operations on a running host (admin.h): thin checks
 * and waits over the virtualization stack (vstack.c), the host assembly
 * (host.c) and the VM worker processes (vmwp.c). Shared by the lab script
 * (tools/cmd_run.c) and the control socket (src/ctl/commands.c) so the two
 * never drift.
 */
#include "hv/admin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hv/vmwp.h"
#include "lab/lab_schema.h"
#include "wire/vmctl.h"

const uint8_t hv_admin_peer_mac[6] = { 0x02, 0x1a, 0xb4, 0x00, 0x00, 0x01 };

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run the host until done(ctx) or ms pass; true if done. */
static bool run_until(struct hv_host *h, bool (*done)(struct hv_host *, void *), void *ctx, int64_t ms)
{
	int64_t deadline = now_ms() + ms;

	for (;;) {
		if (done(h, ctx))
			return true;
		if (now_ms() >= deadline)
			return false;
		(void)hv_host_run(h, 2);
	}
}

int hv_admin_vmnic_set(struct hv_host *h, const char *adapter, const char *property, const char *value, char *err,
		       size_t errlen)
{
	const struct lab_section_schema *sec = lab_schema_section_find("vmnetworkadapter", false);
	struct vstack_vmnic *n = vstack_vmnic_find(hv_host_vstack(h), adapter);
	const struct lab_key *k = sec ? lab_schema_key_find(sec, property) : NULL;
	union lab_value v;
	int rc;

	if (!n) {
		snprintf(err, errlen, "Set-VMNetworkAdapter: no VM network adapter '%s'", adapter);
		return -ENOENT;
	}
	if (!k) {
		snprintf(err, errlen, "Set-VMNetworkAdapter: no property '%s'", property);
		return -EINVAL;
	}
	if (lab_value_parse(k, value, &v, err, errlen))
		return -EINVAL;
	if (!strcmp(k->name, "iov_weight"))
		rc = vstack_vmnic_set_iov_weight(n, (uint32_t)v.u);
	else if (!strcmp(k->name, "iov_queue_pairs_requested"))
		rc = vstack_vmnic_set_iov_queue_pairs(n, (uint32_t)v.u);
	else if (!strcmp(k->name, "iov_interrupt_moderation"))
		rc = vstack_vmnic_set_iov_interrupt_moderation(n, (enum vstack_moderation)v.e);
	else
		rc = -ENOTSUP;
	lab_value_fini(k, &v);
	if (rc == -ENOTSUP)
		snprintf(err, errlen, "Set-VMNetworkAdapter: changing %s of a running adapter is not built yet",
			 k->ps_name ? k->ps_name : k->name);
	else if (rc)
		snprintf(err, errlen, "Set-VMNetworkAdapter: %s", strerror(-rc));
	return rc;
}

int hv_admin_nic_set_keyword(struct hv_host *h, const char *nic, const char *keyword, const char *value, char *err,
			     size_t errlen)
{
	struct hv_nic *n = hv_host_nic_find(h, nic);

	if (!n) {
		snprintf(err, errlen, "Set-NetAdapterAdvancedProperty: no network adapter '%s'", nic);
		return -ENODEV;
	}
	/*
	 * With guests running, the switches' VFs go back asynchronously (each
	 * guest lets go first, spec 2.17) and hv_nic_set_keyword() refuses to
	 * halt the PF under them (-EBUSY). Windows' restart waits for that
	 * teardown (F31: never under assigned VFs): hv_nic_set_keyword_wait().
	 */
	return hv_nic_set_keyword_wait(h, n, keyword, value, HV_ADMIN_RESTART_MS, err, errlen);
}

int hv_admin_vm_start(struct hv_host *h, const char *vm, char *err, size_t errlen)
{
	int rc = hv_host_vm_start(h, vm);

	if (rc == -ENOENT)
		snprintf(err, errlen, "Start-VM: no VM '%s'", vm);
	else if (rc == -EPERM)
		snprintf(err, errlen, "Start-VM: the VM '%s' is not off", vm);
	else if (rc && rc != -EINPROGRESS)
		snprintf(err, errlen, "Start-VM: %s", strerror(-rc));
	return rc == -EINPROGRESS ? 0 : rc;
}

int hv_admin_vm_stop(struct hv_host *h, const char *vm, char *err, size_t errlen)
{
	int rc = hv_host_vm_stop(h, vm);

	if (rc == -ENOENT)
		snprintf(err, errlen, "Stop-VM: no VM '%s'", vm);
	else if (rc == -EPERM)
		snprintf(err, errlen, "Stop-VM: the VM '%s' is not running", vm);
	else if (rc && rc != -EINPROGRESS)
		snprintf(err, errlen, "Stop-VM: %s", strerror(-rc));
	return rc == -EINPROGRESS ? 0 : rc;
}

static bool vm_finished(struct hv_host *h, void *ctx)
{
	struct vstack_vm *vm = ctx;

	return !hv_host_vm_guest(h, vm) && vstack_vm_state(vm) == VSTACK_VM_OFF;
}

int hv_admin_vm_kill(struct hv_host *h, const char *name, int timeout_ms, char *err, size_t errlen)
{
	struct vstack_vm *vm = vstack_vm_find(hv_host_vstack(h), name);
	int rc;

	if (!vm) {
		snprintf(err, errlen, "no VM '%s'", name);
		return -ENOENT;
	}
	if (!hv_host_runs_guests(h)) {
		snprintf(err, errlen, "the VMs run on the host side only: there is no process to kill");
		return -EAGAIN;
	}
	if ((rc = hv_host_vm_kill(h, name))) {
		snprintf(err, errlen, "%s", rc == -ESRCH ? "the VM has no running process" : strerror(-rc));
		return rc;
	}
	/* The host notices, takes the VF back in order and turns the VM off. */
	if (!run_until(h, vm_finished, vm, timeout_ms)) {
		snprintf(err, errlen, "the host did not finish the VM in %d ms", timeout_ms);
		return -ETIMEDOUT;
	}
	return 0;
}

struct send_wait {
	struct vmwp *w;
	struct vstack_vm *vm;
	int seq;
	struct vmctl_status st;
};

static bool guest_started(struct hv_host *h, void *ctx)
{
	struct send_wait *c = ctx;
	struct vmwp *w = hv_host_vm_guest(h, c->vm);

	return !w || vmwp_state(w) != VMWP_STARTING;
}

static bool sent(struct hv_host *h, void *ctx)
{
	struct send_wait *c = ctx;

	(void)h;
	return vmwp_state(c->w) != VMWP_RUNNING || vmwp_sent(c->w, c->seq, &c->st);
}

int hv_admin_send(struct hv_host *h, const char *from, const char *to, uint32_t count, uint32_t size, int timeout_ms,
		  struct hv_admin_send_result *res, char *err, size_t errlen)
{
	struct vstack *vs = hv_host_vstack(h);
	struct vstack_vmnic *src = vstack_vmnic_find(vs, from), *dst;
	struct send_wait c = { 0 };
	struct vmctl_status before;
	const uint8_t *mac;

	memset(res, 0, sizeof(*res));
	if (!count || count > 1000000) {
		snprintf(err, errlen, "COUNT must be 1..1000000");
		return -EINVAL;
	}
	if (size < VMCTL_SEND_SIZE_MIN || size > VMCTL_SEND_SIZE_MAX) {
		snprintf(err, errlen, "SIZE must be %u..%u bytes", VMCTL_SEND_SIZE_MIN, VMCTL_SEND_SIZE_MAX);
		return -EINVAL;
	}
	if (!src) {
		snprintf(err, errlen, "FROM '%s' is not a VM network adapter", from);
		return -ENOENT;
	}
	if (!hv_host_runs_guests(h)) {
		snprintf(err, errlen, "needs the guest side");
		return -EAGAIN;
	}
	if (!strcasecmp(to, "peer") || !strncasecmp(to, "peer:", 5)) {
		mac = hv_admin_peer_mac;
	} else if ((dst = vstack_vmnic_find(vs, to))) {
		mac = vstack_vmnic_mac(dst);
	} else {
		snprintf(err, errlen, "TO '%s' is neither a VM network adapter nor peer[:NIC]", to);
		return -ENOENT;
	}
	c.vm = vstack_vmnic_vm(src);
	(void)run_until(h, guest_started, &c, 10000);
	c.w = hv_host_vm_guest(h, c.vm);
	if (!c.w || vmwp_state(c.w) != VMWP_RUNNING) {
		snprintf(err, errlen, "FROM's VM has no running guest");
		return -ESRCH;
	}
	(void)vmwp_status(c.w, &before);
	if ((c.seq = vmwp_send(c.w, mac, count, size)) < 0) {
		snprintf(err, errlen, "the guest did not take the request");
		return -EIO;
	}
	if (!run_until(h, sent, &c, timeout_ms) || vmwp_state(c.w) != VMWP_RUNNING) {
		snprintf(err, errlen, "the guest did not finish sending (%d s)", timeout_ms / 1000);
		return -EIO;
	}
	res->frames = c.st.tx_frames - before.tx_frames;
	res->completed = c.st.tx_completed - before.tx_completed;
	res->failed = c.st.tx_failed - before.tx_failed;
	res->vf = c.st.tx_vf - before.tx_vf;
	res->synthetic = c.st.tx_synthetic - before.tx_synthetic;
	return 0;
}
