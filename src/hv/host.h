/*
 * A Hyper-V host assembled from a lab file: the root partition as `iovlab
 * run` brings it up. It owns, in the order they come up,
 *
 *   the PCIe host bus with the lab's platform properties ([host]),
 *   one srnic per [nic] (PF at 0000:03+i:00.0) with its uplink peer,
 *   the root partition's NDIS (src/ndis) with each [nic]'s driver package
 *   installed, and each PF adapter on the root partition's PCI bus driver
 *   (pcibus.c) with the [keywords] overrides -- or, for a [nic] with a vbd,
 *   the PF's PCI PDO (pci_pdo.c) on the root partition's PnP manager with the
 *   virtual bus driver as its function driver and the PF miniport, NDIS-WDM,
 *   on the VBD's child through NDIS's PnP edge (spec 6.4),
 *   the virtual switches ([vmswitch]) bound above their adapters,
 *   the virtualization stack (vstack.c) with the VMs ([vm]) and their network
 *   adapters ([vmnetworkadapter]); VMs with autostart start on the host side,
 *
 * and tears them down in the reverse, documented order
 * (ndis-sriov-spec.md 1.3, 2.18): every VM stopped (its guest lets go of the
 * VF, filters back, DELETE_VPORT, RESET_VF, FREE_VF, the switch clears its
 * filters), the switches removed, each PF adapter halted (NDIS's
 * DELETE_SWITCH, MiniportHaltEx), NDIS, the devices and the bus.
 *
 * It also answers the platform questions the views ask: Get-VMHost's
 * IovSupport and IovSupportReasons (R1-R9, tools-and-views.md 1.2) and each
 * PF's SriovSupport (1.4), from the platform model -- never from the name of
 * a lab or a fault.
 *
 * With a guest program (hv_host_options.guest_entry) every running VM is a
 * child process (vmwp.h: the VM's process, its VMBus devices, NetVSP, the
 * vPCI VSP, the MMIO and control channels), the vSwitch carries the
 * synthetic path between the VMs' NetVSPs and the PF, and the guest's
 * NetVsc is what makes VFDataPathActive true (docs/hv/e2e.md). Without one
 * the VMs run on the host side only (vstack_no_guest_ops, or the caller's
 * own guest ops).
 *
 * What is not built yet is said, not faked: a [nic] whose built-in driver
 * has not been built. A [nic] uplink tap:IFNAME or veth:IFNAME is a Linux
 * interface on the host's loop (hw/srnic/hostif.h); when it cannot be
 * opened (no such interface, no privilege) a note says why and the port
 * stays unplugged.
 *
 * The lab must outlive the host (the host keeps pointers into it).
 * Single-threaded; the host's event loop runs in hv_host_run().
 */
#ifndef IOVLAB_HV_HOST_H
#define IOVLAB_HV_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/partition.h"
#include "hv/pci_pdo.h"
#include "hv/vstack.h"
#include "hv/vswitch.h"
#include "lab/lab.h"
#include "ndis/framework.h"
#include "ndis/inf.h"
#include "pcie/pcie.h"

struct srnic;
struct srnic_peer;
struct srnic_hostif;

struct hv_host;
struct hv_nic;

struct hv_host_options {
	/*
	 * Where built-in driver packages are: DIR/NAME/NAME.inf and
	 * DIR/NAME/NAME.so for driver = NAME. NULL: built-in drivers are
	 * reported as not built.
	 */
	const char *builtin_driver_dir;
	/* The guest side of the VMs when guest_entry is NULL; NULL: vstack_no_guest_ops. */
	const struct vstack_guest_ops *guest;
	void *guest_ctx;
	/*
	 * Run every VM's guest as a process with this program (guest_vm_main,
	 * arg a struct guest_vm_config). The guest's own packages: netvsc.inf,
	 * netvscvfpp.inf and netvsc.so in netvsc_dir, guest_traffic.inf and
	 * .so in traffic_dir; the VF miniport and VBD the [vm] names come from
	 * builtin_driver_dir like the PF's.
	 */
	partition_entry_fn guest_entry;
	const char *netvsc_dir;
	const char *traffic_dir;
	/*
	 * The extensible switch's protocol edge (vmsp.inf, vmsp.so): loaded
	 * into the root partition's NDIS, it binds to each PF and carries the
	 * External switches' synthetic traffic through the default vPort. NULL:
	 * frames for the outside are dropped at the switch.
	 */
	const char *vmsp_dir;
};

/*
 * Bring the lab's host up. 0 and *out even when parts of the lab could not
 * come up (a driver missing or failing: see hv_nic_state() and the notes);
 * -ENOMEM, or -EIO when the host itself cannot be built (err says why).
 * Free with hv_host_destroy().
 */
int hv_host_create(const struct lab *lab, const struct hv_host_options *opt, struct hv_host **out, char *err,
		   size_t errlen);
/* The documented teardown order (above). NULL is a no-op. */
void hv_host_destroy(struct hv_host *h);

const struct lab *hv_host_lab(const struct hv_host *h);
const char *hv_host_computer_name(const struct hv_host *h);
struct pcie_host *hv_host_pcie(const struct hv_host *h);
struct ndis_framework *hv_host_ndis(const struct hv_host *h);
struct vstack *hv_host_vstack(const struct hv_host *h);

/* ---- the loop and the VMs' processes ------------------------------------------ */
struct vmwp;
/* The host's event loop (partitions, VMBus, vPCI). */
struct evloop *hv_host_loop(const struct hv_host *h);
/*
 * One round of the host: wait up to timeout_ms for an event and handle it,
 * run deadlines, finish VMs that stopped or died. 0 or -errno.
 */
int hv_host_run(struct hv_host *h, int timeout_ms);
/*
 * Called at the end of every hv_host_run() round, outside any event loop
 * callback -- also the rounds a waiting caller runs (a send, a VM kill, an
 * adapter restart): what watches the host's state (the control socket's
 * events, src/ctl) looks here. It must not call hv_host_run() itself. One
 * watcher; fn NULL removes it. Remove it before hv_host_destroy().
 */
typedef void (*hv_host_round_fn)(struct hv_host *h, void *arg);
void hv_host_set_round_fn(struct hv_host *h, hv_host_round_fn fn, void *arg);
/* Whether VMs run guests as processes (hv_host_options.guest_entry). */
bool hv_host_runs_guests(const struct hv_host *h);
/*
 * Start-VM: the VM's process first (with a guest program), then its
 * adapters connect and VFs are given by policy. 0, -ENOENT, -EPERM (not
 * Off), -errno from starting the process.
 */
int hv_host_vm_start(struct hv_host *h, const char *vm);
/*
 * Stop-VM: VFs taken back in the documented order (the guest lets go
 * first), adapters disconnected, then the guest asked to shut down (killed
 * if it does not). 0 or -EINPROGRESS (hv_host_run finishes it), -ENOENT,
 * -EPERM (not running).
 */
int hv_host_vm_stop(struct hv_host *h, const char *vm);
/* Kill the VM's process (a crash): the host sees a surprise removal. -ENOENT, -ESRCH. */
int hv_host_vm_kill(struct hv_host *h, const char *vm);
/*
 * A live-migration-like VF revoke of a VM network adapter (its lab name, or
 * its VM's when that has one): the VF is taken back in the documented
 * failover order -- the IovWeight 0 path: the association withdrawn, the
 * guest's NetVsc switches to synthetic (acknowledged), the vPCI function
 * ejected, MOVE_FILTER back to the default vPort, DELETE_VPORT, RESET_VF,
 * FREE_VF (ndis-sriov-spec.md 1.3, 2.17) -- while IovWeight keeps its
 * value, and given back back_after_ms later by hv_host_run() (< 0: not
 * until hv_host_vf_return()), when the stack offers a VF again by policy.
 * Both finish in hv_host_run(). 0; -ENOENT (no such adapter), -ENODEV (it
 * holds no offered or active VF), -EBUSY (already revoked), -ENOSPC (too
 * many returns pending). For `revoke VM` and the live control socket.
 */
int hv_host_vf_revoke(struct hv_host *h, const char *adapter, int back_after_ms);
/* Give a revoked VF back now. 0, -ENOENT, -EALREADY (not revoked). */
int hv_host_vf_return(struct hv_host *h, const char *adapter);
/* The VM's process, NULL when it runs none (or it was reaped). */
struct vmwp *hv_host_vm_guest(const struct hv_host *h, const struct vstack_vm *vm);
/* How the VM's last process ended (waitpid-style status), -1 if none has yet. */
int hv_host_vm_last_exit(const struct hv_host *h, const struct vstack_vm *vm);

/*
 * Things the host could not do as the lab asked, one line each ("nic pf0:
 * built-in driver srnic_pf is not built yet"), in the order they happened.
 */
size_t hv_host_note_count(const struct hv_host *h);
const char *hv_host_note_at(const struct hv_host *h, size_t i);

/*
 * Arm (inject) or disarm (clear) the [fault] named, and apply the change
 * where it can change live: pf_fail_oid rewrites the PF's hidden keywords
 * and restarts the adapter (as Set-NetAdapterAdvancedProperty does),
 * vf_link sets the link of the VFs the adapters have now. 0, -ENOENT (no
 * such fault), -EOPNOTSUPP (a key that only applies at start), -errno from
 * the restart; err says why.
 */
int hv_host_fault_arm(struct hv_host *h, const char *name, bool armed, char *err, size_t errlen);

/* ---- the platform (Get-VMHost) ---------------------------------------------- */
/*
 * The nine documented reasons Hyper-V gives in IovSupportReasons, in the
 * order of the KB article (tools-and-views.md 1.2); the views hold the text.
 */
enum hv_iov_reason {
	HV_IOV_R1_NO_SLAT,
	HV_IOV_R2_NO_INTERRUPT_REMAPPING,
	HV_IOV_R3_NO_DMA_REMAPPING,
	HV_IOV_R4_IO_REMAPPING_DISABLED,
	HV_IOV_R5_NO_CHIPSET_SUPPORT,
	HV_IOV_R6_BIOS_WRONG,
	HV_IOV_R7_NO_PCIE,
	HV_IOV_R8_NO_OSC,
	HV_IOV_R9_NO_ACS,
	HV_IOV_REASON_COUNT
};

/* The reasons that apply, in order; returns how many (<= HV_IOV_REASON_COUNT). */
size_t hv_host_iov_reasons(const struct hv_host *h, enum hv_iov_reason out[HV_IOV_REASON_COUNT]);
/* Get-VMHost IovSupport: no reason applies. */
bool hv_host_iov_support(const struct hv_host *h);

/* ---- NICs (Get-NetAdapterSriov, Get-NetAdapterAdvancedProperty) --------------- */
enum hv_nic_state {
	HV_NIC_NO_DRIVER,	/* driver = none (F12): the device has no driver */
	HV_NIC_NOT_BUILT,	/* the built-in driver package is not built yet */
	HV_NIC_DRIVER_ERROR,	/* package missing, INF refused, driver would not load */
	HV_NIC_INIT_FAILED,	/* MiniportInitializeEx failed (adapter halted) */
	HV_NIC_RUNNING,		/* the adapter is up (running or restarting) */
};
const char *hv_nic_state_name(enum hv_nic_state s);

/* Get-NetAdapterSriov SriovSupport, in the order the checks are made. */
enum hv_sriov_support {
	HV_SRIOV_SUPPORTED,
	HV_SRIOV_UNKNOWN,		/* VT-d / AMD-Vi off, BIOS tables wrong, no PCIe */
	HV_SRIOV_NO_OSC_SUPPORT,	/* firmware keeps PCIe control */
	HV_SRIOV_NO_IOMMU_SUPPORT,	/* no SLAT, interrupt or DMA remapping, or remapping disabled */
	HV_SRIOV_MISSING_ACS,
	HV_SRIOV_NO_BUS_RESOURCES,
	HV_SRIOV_NO_VF_BAR_SPACE,
	HV_SRIOV_MISSING_PF_DRIVER,	/* no SR-IOV capability, or the driver does not do SR-IOV */
};

size_t hv_host_nic_count(const struct hv_host *h);
struct hv_nic *hv_host_nic_at(const struct hv_host *h, size_t i);
struct hv_nic *hv_host_nic_find(const struct hv_host *h, const char *name);	/* case-insensitive */

const struct lab_nic *hv_nic_lab(const struct hv_nic *n);
const char *hv_nic_name(const struct hv_nic *n);		/* "pf0" */
enum hv_nic_state hv_nic_state(const struct hv_nic *n);
/* The adapter, NULL when no driver came up far enough to have one. */
struct ndis_adapter *hv_nic_adapter(const struct hv_nic *n);
struct pcie_function *hv_nic_function(const struct hv_nic *n);
/* InterfaceDescription: the INF model's description, or the device's name without a driver. */
const char *hv_nic_description(const struct hv_nic *n);
const char *hv_nic_hardware_id(const struct hv_nic *n);
/* Path of the installed INF and its model for the device, NULL without one. */
const char *hv_nic_inf_path(const struct hv_nic *n);
const struct ndis_inf_model *hv_nic_inf_model(const struct hv_nic *n);
/* The PF's permanent MAC. */
const uint8_t *hv_nic_mac(const struct hv_nic *n);
/* The device model and its built-in uplink peer (NULL if the uplink is not the peer). */
struct srnic *hv_nic_device(const struct hv_nic *n);
struct srnic_peer *hv_nic_peer(const struct hv_nic *n);
/* The uplink to a Linux interface (tap:/veth:), NULL if the uplink is not one or did not open. */
struct srnic_hostif *hv_nic_hostif(const struct hv_nic *n);
/* The [nic] whose PF adapter is ad, or NULL. */
struct hv_nic *hv_host_nic_of_adapter(const struct hv_host *h, const struct ndis_adapter *ad);
enum hv_sriov_support hv_nic_sriov_support(const struct hv_host *h, const struct hv_nic *n);
/*
 * [nic] vbd: the PF's device node on the root partition's PnP manager (PCI
 * PDO -> VBD FDO; its child carries NDIS's FDO), NULL when NDIS sits on the
 * PF directly; and the calls the VBD made through the PCI PDO's
 * GUID_PCI_VIRTUALIZATION_INTERFACE (-ENOENT without a VBD).
 */
struct pnp_devnode *hv_nic_devnode(const struct hv_nic *n);
int hv_nic_pci_virt_stats(const struct hv_host *h, const struct hv_nic *n, struct pci_pdo_stats *st);

/*
 * Set-NetAdapterAdvancedProperty -RegistryKeyword keyword -RegistryValue
 * value, then restart the adapter as Windows does (tools-and-views.md 1.6):
 * the switches above it give their VFs back and clear their filters first,
 * the adapter halts and initializes again, and the switches bind again.
 * "*NumVFs", "*SwitchName" ... are the NicSwitches\0 values. 0; -EINVAL
 * (value refused: err), -EBUSY (a VF teardown is still waiting for the PF),
 * -ENODEV (no adapter), -EIO (the adapter did not come back: err).
 */
int hv_nic_set_keyword(struct hv_host *h, struct hv_nic *n, const char *keyword, const char *value, char *err,
		       size_t errlen);
/*
 * How often the PF adapter was restarted (halted and initialized again)
 * while VFs above it were assigned -- each time they were torn down first
 * (catalogue F31; diagnose's evidence).
 */
unsigned hv_nic_restarts_with_vfs(const struct hv_nic *n);

/*
 * hv_nic_set_keyword() that waits, running the host's loop, while the VFs
 * above the PF are torn down in the documented order (the guests let go
 * first; ndis-sriov-spec.md 2.18) -- a PF restarted while VFs are assigned
 * (catalogue F31) -- for at most timeout_ms. Same returns; -EBUSY when the
 * teardown did not finish in time.
 */
int hv_nic_set_keyword_wait(struct hv_host *h, struct hv_nic *n, const char *keyword, const char *value,
			    int timeout_ms, char *err, size_t errlen);
/* The registry name of a lab keyword ("*NumVFs" -> "NicSwitches\0\*NumVFs"). */
const char *hv_keyword_registry_name(const char *keyword);

/* ---- switches ----------------------------------------------------------------- */
size_t hv_host_switch_count(const struct hv_host *h);
struct vswitch *hv_host_switch_at(const struct hv_host *h, size_t i);
struct vswitch *hv_host_switch_find(const struct hv_host *h, const char *name);
/* The [nic] a switch is bound to, NULL for Internal/Private or none. */
struct hv_nic *hv_host_switch_nic(const struct hv_host *h, const struct vswitch *sw);

/* ---- capture (docs/capture.md, host_capture.c) ----------------------------------- */
struct capture_summary;
/*
 * With a capture session open (base/capture.h), name the host's capture
 * points: each PF adapter's miniport edge ("pf0 PF"), each srnic's VF
 * queue pairs ("pf0 VF 0 (vm1)", the VM the VF is assigned to at the time)
 * and uplink ("pf0 uplink"). The vSwitch names its ports itself, each VM
 * process its NetVsc. Call after hv_host_create(), and again whenever
 * the VFs' interfaces should be there even if silent (each VF assigned
 * then gets its point); a no-op without a session. hv_host_capture_
 * detach() turns the hooks off (hv_host_destroy() frees what they are on
 * anyway).
 */
void hv_host_capture_attach(struct hv_host *h);
void hv_host_capture_detach(struct hv_host *h);
/*
 * A capture started and stopped on a running lab (`iovlab capture start/
 * stop`, docs/capture.md): the host's session and points, and every running
 * guest told over the control channel to open (close) the part the host
 * chose for it (VMCTL_MSG_CAPTURE_*), waiting a bounded time for each
 * answer; stop merges everything into file. One capture at a time: an `up
 * --capture` session counts. Both run hv_host_run() while they wait.
 * start: 0, or -EBUSY, -EINVAL (relative path, bad filters), -errno
 * creating a part, -ETIMEDOUT (a guest did not answer): err says which,
 * and nothing is left behind. stop: 0 and *sum, or -ENOENT (none running),
 * -EBUSY (the running one is `up --capture`'s), -errno from the merge.
 */
int hv_host_capture_live_start(struct hv_host *h, const char *file, const char *const *points, size_t npoints,
			       char *err, size_t errlen);
int hv_host_capture_live_stop(struct hv_host *h, struct capture_summary *sum, char *err, size_t errlen);
bool hv_host_capture_live(void);

#endif /* IOVLAB_HV_HOST_H */
