/*
 * What an administrator does to a running host, once for every front end:
 * the lab script's steps (tools/cmd_run.c) and the live lab's control socket
 * (src/ctl) both call these, so `set vmnetworkadapter vm1 IovWeight 0` in a
 * lab file and `iovlab set vmnetworkadapter vm1 -IovWeight 0` against a
 * running lab take the same path: Set-VMNetworkAdapter (the virtualization
 * stack's policy, vstack.c), Set-NetAdapterAdvancedProperty (the adapter
 * restart, host.c), a VM's process killed the way a crash kills it, and the
 * guest traffic source asked to send.
 *
 * Calls that wait run the host's event loop (hv_host_run) until what they
 * wait for happened or a bound passed; they must not be called from inside
 * an event loop callback. Errors are -errno with err saying what, in words
 * a user of the PowerShell cmdlet would understand.
 */
#ifndef IOVLAB_HV_ADMIN_H
#define IOVLAB_HV_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "hv/host.h"

/*
 * Set-VMNetworkAdapter -Name adapter -property value on a running host.
 * adapter names a [vmnetworkadapter] (or its VM); property is a PowerShell
 * name (IovWeight, IovQueuePairsRequested, IovInterruptModeration) or the
 * lab key (iov_weight ...), case-insensitive; value is parsed the way the
 * lab file parses it. 0; -ENOENT (no such adapter), -EINVAL (unknown
 * property or value refused), -ENOTSUP (not changeable while running), or
 * the virtualization stack's -errno; err says which.
 */
int hv_admin_vmnic_set(struct hv_host *h, const char *adapter, const char *property, const char *value, char *err,
		       size_t errlen);

/* How long a keyword change waits for the VFs above the PF to be torn down. */
#define HV_ADMIN_RESTART_MS 10000

/*
 * Set-NetAdapterAdvancedProperty nic -RegistryKeyword keyword -RegistryValue
 * value: hv_nic_set_keyword() on the [nic] named nic (case-insensitive),
 * which restarts the adapter as Windows does -- waiting (at most
 * HV_ADMIN_RESTART_MS, running the host) while the guests let go of their
 * VFs first. -ENODEV when there is no such [nic]; otherwise
 * hv_nic_set_keyword()'s result (-EBUSY: the teardown did not finish).
 */
int hv_admin_nic_set_keyword(struct hv_host *h, const char *nic, const char *keyword, const char *value, char *err,
			     size_t errlen);

/*
 * Kill the VM's process (a crash) and run the host until it has taken the
 * VF back and turned the VM off, at most timeout_ms. 0; -ENOENT (no such
 * VM), -EAGAIN (VMs run on the host side only), -ESRCH (no running
 * process), -ETIMEDOUT.
 */
int hv_admin_vm_kill(struct hv_host *h, const char *vm, int timeout_ms, char *err, size_t errlen);

/* Start-VM / Stop-VM with the reasons spelled out: hv_host_vm_start()/_stop(), err set on failure. */
int hv_admin_vm_start(struct hv_host *h, const char *vm, char *err, size_t errlen);
int hv_admin_vm_stop(struct hv_host *h, const char *vm, char *err, size_t errlen);

/* What a send did, from the sending guest's counters (deltas over the send). */
struct hv_admin_send_result {
	uint64_t frames;	/* handed to NDIS */
	uint64_t completed;
	uint64_t failed;
	uint64_t vf;		/* of those, through the VF */
	uint64_t synthetic;	/* on the synthetic path */
};

/* Frames to the built-in uplink peer carry this destination (no port of the switch has it). */
extern const uint8_t hv_admin_peer_mac[6];

/*
 * The lab's `send FROM TO COUNT SIZE`: FROM's guest sends count numbered
 * frames of size bytes to TO (a VM network adapter, or "peer" / "peer:NIC"
 * for the uplink peer) and the host runs until the guest says it is done
 * (at most timeout_ms). 0 with *res; -ENOENT (FROM or TO unknown), -EINVAL
 * (count not 1..1000000, size not 60..1514), -EAGAIN (no guests: VMs run on
 * the host side), -ESRCH (FROM's VM has no running guest), -EIO (the guest
 * did not take or finish the request). err says which.
 */
int hv_admin_send(struct hv_host *h, const char *from, const char *to, uint32_t count, uint32_t size, int timeout_ms,
		  struct hv_admin_send_result *res, char *err, size_t errlen);

#endif /* IOVLAB_HV_ADMIN_H */
