/*
 * The host's vPCI VSP: the virtualization stack's side of Hyper-V virtual
 * PCI for one VM. It offers that VM a vPCI bus channel over VMBus (class
 * VPCI_CLASS_GUID), negotiates the protocol version, reports the functions
 * the host assigns to the VM (bus relations), hot-adds and ejects them, and
 * answers every request the guest's vPCI bus driver makes for a function
 * -- config space, config blocks, BAR sizes and placements, power -- by
 * calling that function's backend, whose operations mirror one to one the
 * SR-IOV OIDs the real stack sends the PF miniport (ndis-sriov-spec.md
 * 2.11, 2.13, 2.16). It also carries the PF's "config block invalidated"
 * notices to the guest, coalescing them per function (2.13), and removes a
 * function gracefully with a deadline, then by surprise (2.17).
 *
 * Single threaded: everything runs from the host's event loop. Every guest
 * message is checked (size, type, version, function, fields, state) and a
 * bad one is refused with a status and counted; nothing the guest sends can
 * stop the host. Wire layouts: wire/vpci.h. Design note: docs/hv/vpci.md.
 */
#ifndef IOVLAB_HV_VPCI_VSP_H
#define IOVLAB_HV_VPCI_VSP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/evloop.h"
#include "hv/vmbus.h"
#include "hv/vpci_proto.h"
#include "wire/vpci.h"

struct vpci_vsp;	/* one per VM; opaque */
struct vpci_vsp_dev;	/* one function on that VM's vPCI bus; owned by its vsp */

/*
 * The backend of one function: what the PF miniport does for the VF when
 * the virtualization stack issues the OID named on each line. Every
 * operation returns an NDIS_STATUS (VPCI_STATUS_SUCCESS or an error such
 * as VPCI_STATUS_INVALID_PARAMETER), which the VSP hands to the guest
 * unchanged. Called synchronously from the event loop; ctx is the pointer
 * given to vpci_vsp_add_device() and vf_id the descriptor's VF id, as in
 * the OIDs' parameter structures. Buffers belong to the VSP and are valid
 * only during the call. All eight must be set.
 */
struct vpci_backend_ops {
	/* OID_SRIOV_READ_VF_CONFIG_SPACE: len bytes at offset into buf. */
	uint32_t (*read_vf_config_space)(void *ctx, uint16_t vf_id, uint32_t offset, void *buf,
					 uint32_t len);
	/* OID_SRIOV_WRITE_VF_CONFIG_SPACE */
	uint32_t (*write_vf_config_space)(void *ctx, uint16_t vf_id, uint32_t offset,
					  const void *buf, uint32_t len);
	/* OID_SRIOV_READ_VF_CONFIG_BLOCK: len (<= 128) bytes of block block_id. */
	uint32_t (*read_vf_config_block)(void *ctx, uint16_t vf_id, uint32_t block_id, void *buf,
					 uint32_t len);
	/* OID_SRIOV_WRITE_VF_CONFIG_BLOCK */
	uint32_t (*write_vf_config_block)(void *ctx, uint16_t vf_id, uint32_t block_id,
					  const void *buf, uint32_t len);
	/* OID_SRIOV_PROBED_BARS: the six VF BAR values after the all-ones probe (the OID has no VFId). */
	uint32_t (*probed_bars)(void *ctx, uint32_t bars[VPCI_BAR_COUNT]);
	/* OID_SRIOV_BAR_RESOURCES: where BAR bar_index (0..5) of the VF lives. */
	uint32_t (*bar_resources)(void *ctx, uint16_t vf_id, uint16_t bar_index,
				  struct vpci_bar_desc *res);
	/* OID_SRIOV_VF_VENDOR_DEVICE_ID: the PnP ids the guest is to see. */
	uint32_t (*vf_vendor_device_id)(void *ctx, uint16_t vf_id, uint16_t *vendor_id,
					uint16_t *device_id);
	/* OID_SRIOV_SET_VF_POWER_STATE: VPCI_POWER_D0..D3; wake_enable is false for D0. */
	uint32_t (*set_vf_power_state)(void *ctx, uint16_t vf_id, uint32_t power_state,
				       bool wake_enable);
};

/* Identity of a function to hot-add; the vendor/device ids come from the backend. */
struct vpci_dev_desc {
	uint16_t vf_id;		/* the PF's VF number, passed to every backend op */
	uint32_t slot;		/* VPCI_SLOT(device, function), unique on the bus */
	uint32_t serial;	/* VF serial number from the virtualization stack */
	uint8_t revision;
	uint8_t prog_if;
	uint8_t subclass;
	uint8_t base_class;
	uint32_t subsystem_id;
	uint32_t flags;		/* VPCI_FUNC_FLAG_*, sent from protocol 1.2 on */
	uint16_t numa_node;
};

/* How a function left the VM. */
enum vpci_removal {
	VPCI_REMOVAL_UNREPORTED,	/* removed before the guest was told about it */
	VPCI_REMOVAL_GRACEFUL,		/* the guest ejected it (EJECTION_COMPLETE) */
	VPCI_REMOVAL_SURPRISE,		/* the guest did not eject in time, or closed the bus */
	VPCI_REMOVAL_GUEST_GONE,	/* the VM's partition (or the channel) is gone */
	VPCI_REMOVAL_COUNT,
};

const char *vpci_removal_name(enum vpci_removal how);

/*
 * A function is gone from the VM (after a remove request, or because the
 * guest closed the bus or died). The backend gets no further calls for it;
 * dev is freed when this returns. May add devices; must not destroy vsp.
 */
typedef void (*vpci_vsp_removed_fn)(struct vpci_vsp_dev *dev, enum vpci_removal how,
				    void *ctx, void *arg);

struct vpci_vsp_config {
	const char *name;		/* for logs, e.g. the VM's name; may be NULL */
	struct vmbus_guid instance;	/* the bus's VMBus instance id */
	uint32_t min_version;		/* oldest version accepted; 0: VPCI_PROTO_V1_1 */
	uint32_t max_version;		/* newest; 0: VPCI_PROTO_CURRENT */
	vpci_vsp_removed_fn removed;	/* may be NULL */
	void *arg;
};

/*
 * Offer a vPCI bus to the VM served by h, on loop. The caller owns *out and
 * frees it with vpci_vsp_destroy() before vmbus_host_destroy(). Returns 0
 * or -errno.
 */
int vpci_vsp_create(struct vmbus_host *h, struct evloop *loop, const struct vpci_vsp_config *cfg,
		    struct vpci_vsp **out);

/*
 * Rescind the bus (if the VM is still there) and free every function
 * without calling removed(). NULL is a no-op.
 */
void vpci_vsp_destroy(struct vpci_vsp *vsp);

/*
 * Hot-add a function. Asks the backend for its vendor/device ids
 * (OID_SRIOV_VF_VENDOR_DEVICE_ID) first; then the guest learns of it by
 * bus relations as soon as it listens. *out (may be NULL) is owned by vsp
 * and valid until removed() is called for it. Returns 0, -EINVAL (bad
 * slot or ops), -EEXIST (slot in use), -ENOSPC, -ENODEV (the VM is gone) or
 * -EIO (the backend refused the id query).
 */
int vpci_vsp_add_device(struct vpci_vsp *vsp, const struct vpci_dev_desc *desc,
			const struct vpci_backend_ops *ops, void *ctx, struct vpci_vsp_dev **out);

/*
 * Remove a function. One the guest has not seen goes at once; otherwise
 * the guest is asked to eject it and has timeout_ms (<= 0:
 * VPCI_EJECT_TIMEOUT_MS) to answer EJECTION_COMPLETE before the host
 * removes it by surprise (new bus relations without it). removed() reports
 * the outcome. Returns 0, or -EALREADY if a removal is under way.
 */
int vpci_vsp_remove_device(struct vpci_vsp_dev *dev, int timeout_ms);

/*
 * The PF invalidated config blocks of this function (NdisMInvalidateConfigBlock,
 * bit n = block n). The mask is ORed into the function's cached mask and the
 * cache is sent from the event loop once the guest has the function set up
 * (assigned or active); it is cleared when the INVALIDATE_BLOCK message is in
 * the guest's ring -- the spec leaves the reset point open (ndis-sriov-spec.md
 * 2.13), iovlab clears on send. Calls before delivery coalesce into one
 * message. Returns 0 (also for mask 0, a no-op) or -ENODEV once the function
 * is being ejected.
 */
int vpci_vsp_invalidate(struct vpci_vsp_dev *dev, uint64_t mask);

enum vpci_dev_state vpci_vsp_dev_state(const struct vpci_vsp_dev *dev);
const struct vpci_dev_desc *vpci_vsp_dev_desc(const struct vpci_vsp_dev *dev);
/* Mask invalidated but not yet sent. */
uint64_t vpci_vsp_dev_pending_invalidate(const struct vpci_vsp_dev *dev);

enum vpci_bus_state vpci_vsp_bus_state(const struct vpci_vsp *vsp);
/* The version agreed with the guest, 0 before. */
uint32_t vpci_vsp_version(const struct vpci_vsp *vsp);
/* Functions not yet removed. */
unsigned vpci_vsp_dev_count(const struct vpci_vsp *vsp);

struct vpci_vsp_stats {
	uint64_t messages;			/* guest packets handled */
	uint64_t refused[VPCI_REFUSED_COUNT];	/* refused, by reason */
	uint64_t version_mismatches;		/* versions proposed and declined */
	uint64_t backend_calls;			/* backend operations called */
	uint64_t relations_sent;
	uint64_t invalidate_calls;		/* vpci_vsp_invalidate() with a non-zero mask */
	uint64_t invalidates_sent;		/* INVALIDATE_BLOCK messages */
	uint64_t replies_dropped;		/* the guest's ring was full */
	uint64_t removals[VPCI_REMOVAL_COUNT];
};
void vpci_vsp_get_stats(const struct vpci_vsp *vsp, struct vpci_vsp_stats *st);
/* Sum of refused[]. */
uint64_t vpci_vsp_refused(const struct vpci_vsp *vsp);

#endif /* IOVLAB_HV_VPCI_VSP_H */
