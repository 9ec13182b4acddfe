/*
 * The guest's vPCI bus driver, protocol side (vpci.sys's VSC half), running
 * in the VM process: it opens the vPCI bus channel the host offered,
 * negotiates the protocol version (newest first), powers the bus, takes the
 * host's bus relations and keeps one record per PCI function -- serial
 * number, PnP ids, probed BARs and BAR placements -- bringing each new one
 * up (resources, D0) before announcing it. It exposes the calls the
 * function's drivers make through the bus (config space, the config-block
 * backchannel: GUID_VPCI_INTERFACE_STANDARD's Read/WriteVfConfigBlock and
 * IOCTL_VPCI_READ/WRITE/INVALIDATE_BLOCK, ndis-sriov-spec.md 2.13, 6.2,
 * 6.3) and reports arrival, eject requests and removal through callbacks,
 * which the PnP layer turns into PDOs (2.11, 2.17).
 *
 * Synchronous and single threaded: a request is sent and its completion
 * awaited with a deadline; messages the host sends meanwhile are recorded
 * (relations, ejects, invalidates) and acted on -- callbacks included --
 * only in vpci_vsc_poll() (and at the end of vpci_vsc_create()), never in
 * the middle of a request, so callbacks may make requests themselves. The
 * host is not trusted: every message is checked against the table of
 * vpci_proto.c and the guest's own state, and a bad one is refused and
 * counted. Wire layouts: wire/vpci.h. Design note: docs/hv/vpci.md.
 */
#ifndef IOVLAB_HV_VPCI_VSC_H
#define IOVLAB_HV_VPCI_VSC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vmbus.h"
#include "hv/vpci_proto.h"
#include "wire/vpci.h"

struct vpci_vsc;	/* one per VM; opaque */
struct vpci_vsc_dev;	/* one function on the bus; owned by its vsc */

/* What the guest knows about a function (the PDO's identity and resources). */
struct vpci_func_info {
	uint32_t slot;			/* VPCI_SLOT() */
	uint32_t serial;		/* VPCI_INTERFACE_STANDARD.SerialNumber */
	uint16_t vendor_id;
	uint16_t device_id;
	uint8_t revision;
	uint8_t prog_if;
	uint8_t subclass;
	uint8_t base_class;
	uint32_t subsystem_id;
	uint32_t flags;			/* VPCI_FUNC_FLAG_*; 0 under protocol 1.1 */
	uint16_t numa_node;
	uint32_t probed_bars[VPCI_BAR_COUNT];
	struct vpci_bar_desc bars[VPCI_BAR_COUNT];
};

/* A function was brought up (resources assigned, D0) and may be used. */
typedef void (*vpci_vsc_arrival_fn)(struct vpci_vsc_dev *dev, void *arg);
/*
 * The host asks to eject dev (IRP_MN_QUERY_REMOVE_DEVICE's question). Return
 * 0 to let it go -- the removal callback follows, then EJECTION_COMPLETE --
 * or -EBUSY to hold on to it, in which case the host removes it by surprise
 * after its timeout. NULL callback: always 0.
 */
typedef int (*vpci_vsc_eject_fn)(struct vpci_vsc_dev *dev, void *arg);
/*
 * dev is gone: gracefully (after an accepted eject) or by surprise (missing
 * from new bus relations, or the channel was rescinded). Called only for
 * functions that arrived. dev is freed when this returns.
 */
typedef void (*vpci_vsc_removal_fn)(struct vpci_vsc_dev *dev, bool surprise, void *arg);
/* The PF invalidated the config blocks in mask (bit n = block n). */
typedef void (*vpci_vsc_invalidate_fn)(struct vpci_vsc_dev *dev, uint64_t mask, void *arg);

struct vpci_vsc_config {
	uint64_t ring_gpa;		/* guest memory for the channel's two rings */
	uint32_t ring_len;		/* bytes per direction: control page + data, page multiple */
	uint32_t max_version;		/* newest version to propose; 0: VPCI_PROTO_CURRENT */
	int timeout_ms;			/* per request / handshake step; 0: 5000 */
	vpci_vsc_arrival_fn arrival;	/* each may be NULL */
	vpci_vsc_eject_fn eject;
	vpci_vsc_removal_fn removal;
	void *arg;
};

/*
 * Open the vPCI bus channel of g (class VPCI_CLASS_GUID), negotiate, enter
 * D0, ask for and wait for the bus relations, and bring up and announce the
 * functions already there (arrival callbacks run before this returns). The
 * caller owns *out; free with vpci_vsc_destroy(). Returns 0 or -errno
 * (-ENODEV: no vPCI bus offered, -EPROTONOSUPPORT: no common version,
 * -ETIMEDOUT).
 */
int vpci_vsc_create(struct vmbus_guest *g, const struct vpci_vsc_config *cfg,
		    struct vpci_vsc **out);

/*
 * Leave D0 and close the channel (if still there); free every record
 * without callbacks. NULL is a no-op. Not from a callback.
 */
void vpci_vsc_destroy(struct vpci_vsc *v);

/*
 * Wait up to timeout_ms for host messages and act on what arrived:
 * arrivals, ejects, removals, invalidates (callbacks run here). Returns the
 * number of callbacks/events handled (0: timeout) or -ENODEV once the
 * channel is gone and every function has been reported removed.
 */
int vpci_vsc_poll(struct vpci_vsc *v, int timeout_ms);
/* The descriptor the bus channel's host signals (for a caller's own poll), -1 without a channel. */
int vpci_vsc_wait_fd(const struct vpci_vsc *v);

uint32_t vpci_vsc_version(const struct vpci_vsc *v);
enum vpci_bus_state vpci_vsc_bus_state(const struct vpci_vsc *v);
unsigned vpci_vsc_dev_count(const struct vpci_vsc *v);
/* The function in slot / with this serial number, or NULL. Owned by v. */
struct vpci_vsc_dev *vpci_vsc_find(struct vpci_vsc *v, uint32_t slot);
struct vpci_vsc_dev *vpci_vsc_find_serial(struct vpci_vsc *v, uint32_t serial);

const struct vpci_func_info *vpci_vsc_dev_info(const struct vpci_vsc_dev *dev);
enum vpci_dev_state vpci_vsc_dev_state(const struct vpci_vsc_dev *dev);
struct vpci_vsc *vpci_vsc_dev_bus(const struct vpci_vsc_dev *dev);

/*
 * Requests for one function. Each returns 0 or -errno and, if status is not
 * NULL, stores the NTSTATUS the caller would see on Windows: the host's (and
 * so the PF miniport's) answer, VPCI_STATUS_INVALID_PARAMETER for arguments
 * refused here without asking the host, VPCI_STATUS_DEVICE_REMOVED once the
 * function or channel is gone, VPCI_STATUS_UNSUCCESSFUL for a timeout or a
 * malformed answer. Lengths: config 1..VPCI_CFG_XFER_MAX bytes inside the
 * 4 KiB config space; blocks 1..VPCI_BLOCK_MAX bytes.
 */
int vpci_vsc_config_read(struct vpci_vsc_dev *dev, uint32_t offset, void *buf, uint32_t len,
			 uint32_t *status);
int vpci_vsc_config_write(struct vpci_vsc_dev *dev, uint32_t offset, const void *buf,
			  uint32_t len, uint32_t *status);
/* VPCI_READ_BLOCK / IOCTL_VPCI_READ_BLOCK */
int vpci_vsc_read_block(struct vpci_vsc_dev *dev, uint32_t block_id, void *buf, uint32_t len,
			uint32_t *status);
/* VPCI_WRITE_BLOCK / IOCTL_VPCI_WRITE_BLOCK */
int vpci_vsc_write_block(struct vpci_vsc_dev *dev, uint32_t block_id, const void *buf,
			 uint32_t len, uint32_t *status);
/* D-state change (VPCI_POWER_D0 from assigned; D1..D3 from active). */
int vpci_vsc_set_power(struct vpci_vsc_dev *dev, uint32_t power_state, uint32_t *status);

/*
 * Invalidations, two ways. With a callback set, vpci_vsc_poll() hands each
 * (coalesced) mask to it. Without one, masks accumulate until
 * vpci_vsc_wait_invalidate() takes them -- the pending
 * IOCTL_VPCI_INVALIDATE_BLOCK model: it returns 0 with *mask as soon as any
 * block is invalidated (at once if some already are), -ETIMEDOUT, or
 * -ENODEV when the function or channel goes away.
 */
void vpci_vsc_dev_set_invalidate(struct vpci_vsc_dev *dev, vpci_vsc_invalidate_fn fn, void *arg);
int vpci_vsc_wait_invalidate(struct vpci_vsc_dev *dev, int timeout_ms, uint64_t *mask);

struct vpci_vsc_stats {
	uint64_t messages;			/* host packets handled */
	uint64_t refused[VPCI_REFUSED_COUNT];	/* refused, by reason */
	uint64_t requests;			/* requests sent */
	uint64_t timeouts;			/* requests that got no answer in time */
	uint64_t bringup_failures;		/* functions the host would not bring up */
	uint64_t invalidates;			/* INVALIDATE_BLOCK messages accepted */
};
void vpci_vsc_get_stats(const struct vpci_vsc *v, struct vpci_vsc_stats *st);
/* Sum of refused[]. */
uint64_t vpci_vsc_refused(const struct vpci_vsc *v);

#endif /* IOVLAB_HV_VPCI_VSC_H */
