/*
 * The synthetic NIC as a device in the guest partition: what the guest's
 * VMBus bus driver makes of a NetVSP offer (ndis-sriov-spec.md 1.1 row 13).
 * One struct netvsc_dev per synthetic NIC. It owns the NIC's PDO -- the
 * device object NDIS hands netvsc.sys through NdisMGetDeviceProperty -- and
 * answers the private GUID_NETVSC_CHANNEL_INTERFACE query on it with the
 * NetVsc protocol engine (src/hv/netvsc_proto.h) behind a driver-facing
 * table (netvsc_channel.h). The engine is created when the miniport opens
 * the channel in MiniportInitializeEx and destroyed when it closes it in
 * MiniportHaltEx, as netvsc.sys opens its channel on Windows.
 *
 * A guest partition brings a NetVsc adapter up with (docs/hv/netvsc-edges.md):
 *   netvsc_dev_create(&cfg, &dev);
 *   ndis_adapter_create(fw, &(struct ndis_adapter_params){
 *           .name = "vm1/nic0", .hardware_id = NETVSC_HARDWARE_ID,
 *           .pdo = netvsc_dev_pdo(dev), .next_device = netvsc_dev_pdo(dev) }, &ad);
 * and then calls netvsc_dev_poll() whenever netvsc_dev_wait_fd() is
 * readable (the channel's interrupt). Single-threaded: everything runs on
 * the partition's thread.
 */
#ifndef IOVLAB_HV_NETVSC_DEV_H
#define IOVLAB_HV_NETVSC_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "base/shm.h"
#include "hv/netvsc_proto.h"
#include "hv/vmbus.h"

struct netvsc_dev;	/* opaque; owned by whoever called netvsc_dev_create() */

/* The hardware ID the PDO reports; netvsc.inf matches it. */
extern const char netvsc_dev_hardware_id[];

/*
 * Run the partition's other event sources (the VF miniport's interrupts:
 * its send completions) for up to timeout_ms, returning after one round.
 * NetVsc calls it while it waits for the VF to drain before a switch back
 * to synthetic. Returns >= 0, or -errno to give up the wait. It may call
 * netvsc_dev_poll(), which then does nothing (the engine is busy).
 */
typedef int (*netvsc_dev_pump_fn)(void *ctx, int timeout_ms);

struct netvsc_dev_config {
	const char *name;		/* for logs, e.g. "vm1/nic0"; copied */
	struct vmbus_guest *bus;	/* not owned; outlives the device */
	struct guest_mem *mem;		/* this VM's memory; not owned */
	/* Where the engine puts its rings and buffers (netvsc_proto_config). */
	uint64_t ring_gpa;
	uint32_t ring_len;
	uint64_t recv_buf_gpa;
	uint32_t recv_buf_len;
	uint64_t send_buf_gpa;
	uint32_t send_buf_len;
	uint32_t max_version;		/* 0: NVSP_PROTO_NEWEST */
	uint32_t mtu;			/* 0: NVSP_MTU_DEFAULT */
	bool sriov;			/* announce SR-IOV (VF associations wanted) */
	int timeout_ms;			/* per handshake step and switch; 0: 5000 */
	netvsc_dev_pump_fn pump;	/* may be NULL: a VF flush then only polls */
	void *pump_ctx;
};

/* Make the device and its PDO. Caller owns *out. 0 or -errno (-EINVAL, -ENOMEM). */
int netvsc_dev_create(const struct netvsc_dev_config *cfg, struct netvsc_dev **out);

/*
 * Free the device. The adapter on it must be halted (the miniport closed
 * the channel); a channel still open is closed here with a warning. NULL is
 * a no-op.
 */
void netvsc_dev_destroy(struct netvsc_dev *d);

/* The PDO (a PDEVICE_OBJECT) for ndis_adapter_params.pdo / next_device. Owned by d. */
void *netvsc_dev_pdo(struct netvsc_dev *d);

/*
 * The channel's interrupt: let the engine handle what the host sent, for up
 * to timeout_ms. Returns packets handled, 0 (nothing, the channel is closed,
 * or the engine is busy in a call up the stack), or -ENODEV once rescinded.
 */
int netvsc_dev_poll(struct netvsc_dev *d, int timeout_ms);

/* The descriptor to wait on for netvsc_dev_poll(); -1 while closed. */
int netvsc_dev_wait_fd(const struct netvsc_dev *d);

/* The engine while the channel is open, else NULL (views, tests). Owned by d. */
struct netvsc_proto *netvsc_dev_proto(const struct netvsc_dev *d);

/* Interface calls refused because the engine was busy (re-entry avoided). */
uint64_t netvsc_dev_busy_refusals(const struct netvsc_dev *d);

#endif /* IOVLAB_HV_NETVSC_DEV_H */
