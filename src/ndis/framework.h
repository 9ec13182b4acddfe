/*
 * The framework's lab-facing API: what the later layers (the PCI bus and
 * srnic device model, the Hyper-V partitions, the vPCI VSP/VSC, the tools and
 * views) call to run iovlab's ndis.sys. One struct ndis_framework per
 * partition (the host process is the parent partition, each VM process a
 * child); it owns installed driver packages, loaded drivers, adapters,
 * protocols and bindings, and the verifier's findings (docs/ndis/design.md).
 *
 * Drivers never see this header: they call the Ndis* exports of
 * include/ndis/ndis.h, which src/ndis/api_*.c turn into the calls below.
 *
 * Threading: a framework instance is driven from one thread (its partition's
 * event loop) and is not locked; two instances may live in one process and
 * run on different threads. Functions return 0 or -errno unless they say
 * otherwise; an NDIS status that is the payload of the model (an OID's
 * completion status, a binding's decline status) is a uint32_t value.
 */
#ifndef IOVLAB_NDIS_FRAMEWORK_H
#define IOVLAB_NDIS_FRAMEWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ndis/ndis.h>

#include "ndis/bus.h"
#include "ndis/verifier.h"

struct ndis_framework;
struct ndis_adapter;
struct ndis_driver;
struct ndis_protocol;

/* What NdisGetHypervisorInfo reports in this instance. */
enum ndis_partition {
	NDIS_PARTITION_NONE,	/* bare metal: no hypervisor */
	NDIS_PARTITION_PARENT,	/* Hyper-V root / management OS */
	NDIS_PARTITION_CHILD,	/* a VM */
};
const char *ndis_partition_name(enum ndis_partition p);

/* ---- framework ---------------------------------------------------------- */
struct ndis_framework *ndis_framework_create(const char *name, enum ndis_partition partition);
/* Halts every adapter, unbinds and unloads everything; NULL is a no-op. */
void ndis_framework_destroy(struct ndis_framework *fw);
const char *ndis_framework_name(const struct ndis_framework *fw);
enum ndis_partition ndis_framework_partition(const struct ndis_framework *fw);
/* The instance whose driver code this thread is running, or NULL. */
struct ndis_framework *ndis_framework_current(void);

/*
 * Install a driver package: parse the INF (refused with file:line on error,
 * message in err) and remember where its service binaries are (binary_dir:
 * "fake_pf.sys" in the INF is binary_dir/fake_pf.so). Installing does not load
 * anything; adapters and protocols load drivers on demand.
 */
int ndis_framework_install_inf(struct ndis_framework *fw, const char *inf_path,
			       const char *binary_dir, char *err, size_t errlen);

/*
 * Callbacks the virtualization stack registers in the parent partition:
 * NdisMInvalidateConfigBlock from a PF lands here (spec 2.13 step 3).
 */
void ndis_framework_set_virt_ops(struct ndis_framework *fw, const struct ndis_virt_ops *ops, void *ctx);

/* ---- adapters ------------------------------------------------------------ */
enum ndis_adapter_state {
	NDIS_ADAPTER_HALTED,
	NDIS_ADAPTER_INITIALIZING,
	NDIS_ADAPTER_PAUSED,
	NDIS_ADAPTER_RESTARTING,
	NDIS_ADAPTER_RUNNING,
	NDIS_ADAPTER_PAUSING,
	NDIS_ADAPTER_HALTING,
};
#define NDIS_ADAPTER_STATE_COUNT 7
const char *ndis_adapter_state_name(enum ndis_adapter_state s);
/* The documented transition table (docs/ndis/adapter-states.md). */
bool ndis_adapter_state_transition_allowed(enum ndis_adapter_state from, enum ndis_adapter_state to);

/* A Set-NetAdapterAdvancedProperty-style value for a keyword. */
struct ndis_keyword {
	const char *name;	/* "*SRIOV", "*SriovPreferred", "NicSwitches\\0\\*NumVFs" */
	const char *value;	/* as the registry stores it: "1", "Default Switch" */
};

struct ndis_adapter_params {
	const char *name;		/* instance name shown in views ("SLOT 3 Port 1") */
	const char *hardware_id;	/* most specific ID, e.g. PCI\VEN_1AB4&DEV_10ED&SUBSYS_00011AB4&REV_01 */
	const struct ndis_bus_ops *bus;	/* the PDO's bus (PCI in the parent, vPCI in a guest) */
	void *bus_ctx;
	const struct ndis_vpci_ops *vpci;	/* guest: the device stack's vPCI interface query */
	void *vpci_ctx;
	bool over_vbd;			/* the miniport's PDO was created by an IHV virtual bus driver */
	void *pdo, *fdo, *next_device;	/* NDIS-WDM: device objects handed to NdisMGetDeviceProperty */
	const struct ndis_keyword *keywords;	/* registry overrides applied before initialization */
	size_t n_keywords;
};

/*
 * Find the INF model for the hardware ID (the ID, then without &REV_, then
 * without &SUBSYS_, as PnP ranks them), load its driver if needed, build the
 * adapter's registry from the INF defaults and the overrides, and run
 * MiniportInitializeEx, NIC-switch creation, protocol binding and restart.
 * On success *out is the adapter (running, or restarting if the miniport
 * pended its restart). On failure -ENOENT (no driver for the ID), -ENOEXEC
 * (driver failed to load/register), -EINVAL (bad override), -EIO (miniport
 * failed initialization; *out still set so views can show it, halted).
 */
int ndis_adapter_create(struct ndis_framework *fw, const struct ndis_adapter_params *p,
			struct ndis_adapter **out);
/* Halt (if needed) and free; NULL is a no-op. */
void ndis_adapter_destroy(struct ndis_adapter *ad);

/*
 * Lifecycle driven by the lab (PnP, power, the Advanced page). Each checks
 * the documented transition and returns -EPERM for an illegal one.
 *   halt: pause, unbind protocols, DELETE_SWITCH, MiniportHaltEx. 0 when
 *         halted, -EINPROGRESS while it waits for the miniport (pending pause
 *         or OID); it then finishes on the miniport's completion.
 *   start: initialize a halted adapter again (e.g. after a keyword change).
 */
int ndis_adapter_halt(struct ndis_adapter *ad, NDIS_HALT_ACTION action);
int ndis_adapter_start(struct ndis_adapter *ad);
int ndis_adapter_pause(struct ndis_adapter *ad);
int ndis_adapter_restart(struct ndis_adapter *ad);
/* MiniportDevicePnPEventNotify(NdisDevicePnPEventSurpriseRemoved). */
int ndis_adapter_surprise_remove(struct ndis_adapter *ad);
/* MiniportShutdownEx(NdisShutdownPowerOff). */
int ndis_adapter_shutdown(struct ndis_adapter *ad);

enum ndis_adapter_state ndis_adapter_state(const struct ndis_adapter *ad);
const char *ndis_adapter_name(const struct ndis_adapter *ad);
struct ndis_framework *ndis_adapter_framework(const struct ndis_adapter *ad);
const char *ndis_adapter_driver_name(const struct ndis_adapter *ad);
/* NDIS status MiniportInitializeEx returned the last time (views, diagnose). */
uint32_t ndis_adapter_init_status(const struct ndis_adapter *ad);
size_t ndis_framework_adapter_count(const struct ndis_framework *fw);
struct ndis_adapter *ndis_framework_adapter_at(const struct ndis_framework *fw, size_t i);
struct ndis_adapter *ndis_framework_find_adapter(const struct ndis_framework *fw, const char *name);
/* dlsym() in the adapter's driver (tests reach a fake driver's hooks). */
void *ndis_adapter_driver_symbol(const struct ndis_adapter *ad, const char *symbol);
/*
 * Capture what crosses the adapter's miniport edge (base/capture.h): every
 * frame a protocol sends to the miniport (outbound) and every frame the
 * miniport indicates (inbound), at point name. The owner names it ("pf0 PF"
 * in the host, "vm1 NetVsc" in a guest). A no-op without a capture session.
 */
void ndis_adapter_set_capture(struct ndis_adapter *ad, const char *name, const char *description);

/* ---- registry (Get/Set-NetAdapterAdvancedProperty) ---------------------- */
/*
 * Set a keyword as Set-NetAdapterAdvancedProperty does: a keyword with an
 * Ndi\params entry is checked against it (-EINVAL: not in the enum, out of
 * range, not a number); one without (a hidden keyword such as
 * *SriovPreferred, or "NicSwitches\0\*NumVFs") is written as given. Like
 * Windows, the miniport sees it at its next initialization (restart the
 * adapter with halt + start). err gets the reason on -EINVAL.
 */
int ndis_adapter_set_keyword(struct ndis_adapter *ad, const char *keyword, const char *value,
			     char *err, size_t errlen);
/* The keyword's current registry value as text, -ENOENT if absent. */
int ndis_adapter_get_keyword(const struct ndis_adapter *ad, const char *keyword, char *buf, size_t len);

/* One NdisReadConfiguration the miniport made (the verifier's evidence). */
struct ndis_config_read {
	char keyword[64];	/* as asked, with the subkey path if opened by name */
	bool found;
	char value[64];		/* formatted value when found */
};
size_t ndis_adapter_config_read_count(const struct ndis_adapter *ad);
const struct ndis_config_read *ndis_adapter_config_read_at(const struct ndis_adapter *ad, size_t i);

/* ---- OIDs ---------------------------------------------------------------- */
enum ndis_issuer_kind {
	NDIS_ISSUER_NDIS,	/* NDIS itself (CREATE_SWITCH, PROBED_BARS for the vPCI VSP, ...) */
	NDIS_ISSUER_OVERLYING,	/* a protocol/filter/virtualization-stack component above the adapter */
};

struct ndis_issuer {
	enum ndis_issuer_kind kind;
	const char *name;	/* shown in the trace: "NDIS", "VMSP", "NETVSCVF" */
};

/*
 * Completion of a request that did not complete inside ndis_oid_request():
 * called exactly once with the final status. req is the caller's.
 */
typedef void ndis_oid_done_fn(void *ctx, NDIS_OID_REQUEST *req, uint32_t status);

/*
 * Issue an OID request to the adapter the way NDIS routes it: NDIS-answered
 * OIDs are answered from NDIS's cache, NDIS-only OIDs are refused for
 * overlying issuers, OIDs missing from the miniport's SupportedOidList are
 * refused with NDIS_STATUS_INVALID_OID, and the rest go to the miniport one
 * at a time (the others queue). Returns 0 with *status when the request
 * completed before returning (done is not called), -EINPROGRESS when it was
 * queued or pended (done is called later), -EINVAL for a NULL argument.
 * req must stay valid until completion.
 */
int ndis_oid_request(struct ndis_adapter *ad, const struct ndis_issuer *who, NDIS_OID_REQUEST *req,
		     ndis_oid_done_fn *done, void *ctx, uint32_t *status);

/* Fill a request header for the common cases (revision 1, no buffer). */
void ndis_oid_init(NDIS_OID_REQUEST *req, NDIS_REQUEST_TYPE type, NDIS_OID oid,
		   void *buf, uint32_t len);

/* The trace of the adapter's OIDs (newest last), for `ndiskd oid` and diagnose. */
struct ndis_oid_record {
	uint32_t oid;
	NDIS_REQUEST_TYPE type;
	char issuer[32];
	bool by_ndis;		/* answered or refused by NDIS without reaching the miniport */
	bool pending;		/* still at the miniport */
	uint32_t status;
	uint32_t bytes_written, bytes_read, bytes_needed;
};
size_t ndis_adapter_oid_record_count(const struct ndis_adapter *ad);
const struct ndis_oid_record *ndis_adapter_oid_record_at(const struct ndis_adapter *ad, size_t i);

/* ---- SR-IOV state NDIS keeps (views) ------------------------------------ */
struct ndis_sriov_view {
	bool has_hw_sriov, has_cur_sriov;
	uint32_t hw_sriov_caps, cur_sriov_caps;	/* NDIS_SRIOV_CAPS_* */
	bool has_hw_switch, has_cur_switch;
	bool switch_created;
	uint32_t num_vfs;			/* of the created switch */
	bool virtualization_enabled;		/* NdisMEnableVirtualization(TRUE) succeeded */
	uint16_t enabled_vfs;
	bool vpci_interface;			/* guest: GUID_VPCI_INTERFACE_STANDARD captured */
	uint32_t vf_serial;
	size_t n_vfs, n_vports, n_filters;	/* NDIS's caches */
	/* diagnose (src/diag) */
	bool hypervisor_info_called;		/* NdisGetHypervisorInfo during this initialization */
	bool has_rcv_filter_caps;		/* receive-filter (VMQ) capabilities registered */
	bool vmq_enabled;			/* ... with VMQ_FILTERS_ENABLED current */
	uint32_t media_connect;			/* general attributes' NDIS_MEDIA_CONNECT_STATE, 0 unknown */
};
void ndis_adapter_sriov_view(const struct ndis_adapter *ad, struct ndis_sriov_view *v);

/*
 * Guest side: the pending IOCTL_VPCI_INVALIDATE_BLOCK completed with this
 * mask; NDIS issues OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK to the VF miniport
 * (spec 2.13 step 5). 0, or -ENODEV if the adapter is not running.
 */
int ndis_adapter_vf_config_invalidated(struct ndis_adapter *ad, uint64_t block_mask);

#endif /* IOVLAB_NDIS_FRAMEWORK_H */
