/*
 * srnic, the lab's emulated SR-IOV NIC: public API for the layers above
 * (the NDIS framework maps NdisRead/WriteRegisterUlong onto
 * srnic_mmio_read32/write32, the vPCI model forwards guest config accesses to
 * srnic_cfg_read/write, the Hyper-V model attaches each function to a guest's
 * memory with srnic_set_dma_domain, lab files pick an uplink backend). The
 * device is one PF with up to 256 VFs (64 by default) on the PCIe model (src/pcie), a NIC
 * switch with vPorts and MAC/VLAN filters, queue pairs with descriptor rings
 * in guest memory and an uplink. Everything a driver does goes through
 * config space and the register map in include/wire/srnic_regs.h, documented
 * in docs/hw/srnic.md. Single-threaded: the caller serialises calls.
 */
#ifndef IOVLAB_HW_SRNIC_SRNIC_H
#define IOVLAB_HW_SRNIC_SRNIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pcie/pcie.h"

struct srnic;
struct srnic_peer;

/*
 * An uplink backend (built-in peer, TAP, veth, pcapng tap ...). transmit is
 * called for every frame the NIC switch sends out of the uplink; frame is
 * valid only during the call and stays owned by the NIC. Return 0, or
 * -errno to count the frame as dropped (link down). link_up may be NULL
 * (always up); the NIC samples it once per run of frames to the uplink in a
 * TX batch, so a backend whose link changes calls srnic_uplink_link_changed()
 * (which also ends such a run) -- or refuses frames in transmit.
 */
struct srnic_uplink_ops {
	int (*transmit)(void *ctx, const void *frame, size_t len);
	bool (*link_up)(void *ctx);
};

/* Create the NIC's PF at bus/devfn on host (PF 0000:03:00.0 is bus 3,
 * devfn 0). The host owns the PCIe functions; srnic_destroy() frees the NIC
 * model only, so destroy the NIC before the host. NULL with errno on error. */
struct srnic *srnic_create(struct pcie_host *host, uint8_t bus, uint8_t devfn);

/*
 * The SR-IOV capability's geometry (PCIe 4.0 9.3.3): a board variant of
 * srnic. total_vfs 0 means no SR-IOV capability at all; at most
 * SRNIC_TOTAL_VFS. vf_bar_size is the VF register BAR (a power of two, at
 * least SRNIC_VF_REGS_SIZE: the registers must fit). The lab's [nic]
 * total_vfs / first_vf_offset / vf_stride / vf_bar_size (catalogue F10-F12).
 */
struct srnic_geometry {
	uint16_t total_vfs;
	uint16_t first_vf_offset, vf_stride;
	uint64_t vf_bar_size;
};
/* srnic's own geometry: SRNIC_DEFAULT_VFS (64) VFs, offset 8, stride 2, 16 KiB VF BARs. */
void srnic_default_geometry(struct srnic_geometry *g);
/* srnic_create() with another geometry; NULL with errno EINVAL when g is out of range. */
struct srnic *srnic_create_geometry(struct pcie_host *host, uint8_t bus, uint8_t devfn,
				    const struct srnic_geometry *g);
void srnic_destroy(struct srnic *nic);

/* Function fn: 0 = PF, n = VF n (1-based). NULL if out of range. */
struct pcie_function *srnic_function(struct srnic *nic, unsigned fn);

/* Driver-side register access on BAR bar of function fn (BAR0 registers,
 * BAR2 MSI-X). 0 or -errno; refused accesses are logged and read all ones. */
int srnic_mmio_read32(struct srnic *nic, unsigned fn, unsigned bar, uint32_t off, uint32_t *val);
int srnic_mmio_write32(struct srnic *nic, unsigned fn, unsigned bar, uint32_t off, uint32_t val);
/* Config space of function fn (pcie_cfg_read/write semantics). */
int srnic_cfg_read(struct srnic *nic, unsigned fn, unsigned off, unsigned len, uint32_t *val);
int srnic_cfg_write(struct srnic *nic, unsigned fn, unsigned off, unsigned len, uint32_t val);

/* IOMMU: assign function fn to guest memory [base, base+size) addressed by
 * guest-physical 0..size-1 (caller owns the memory; NULL detaches). */
int srnic_set_dma_domain(struct srnic *nic, unsigned fn, void *base, uint64_t size);

/* Reset VF vf's NIC state (queues, registers, statistics), as the PF's
 * SRNIC_REG_VF_RESET register does; switch state the PF programmed stays. */
int srnic_vf_reset(struct srnic *nic, unsigned vf);

/*
 * The host's side line to each function's completions, independent of
 * INT_CAUSE/INT_MASK and MSI-X: fn(ctx, function, causes) with
 * SRNIC_INT_TX(q) / SRNIC_INT_RX(q) whenever the device completed TX
 * descriptors or filled RX descriptors of that function (function 0 = PF,
 * n = VF n). It is what the virtualization stack's VF personality watches
 * to interrupt a guest through its own eventfd with its own suppression
 * (src/hv/vf_doorbell.c). Called from inside a doorbell: the callee records
 * and returns, and never calls into the device. NULL detaches.
 */
typedef void (*srnic_event_fn)(void *ctx, unsigned fn, uint32_t causes);
void srnic_set_event_hook(struct srnic *nic, srnic_event_fn fn, void *ctx);
/*
 * The PF's administrative link state of VF vf (1-based): false forces the
 * VF's STATUS.LINK_UP to 0 whatever the uplink says, and raises the VF's
 * link interrupt on every change (like Linux's `ip link set PF vf N state
 * disable`; catalogue F27). 0 or -EINVAL.
 */
int srnic_vf_set_link(struct srnic *nic, unsigned vf, bool up);
bool srnic_vf_link_forced_down(const struct srnic *nic, unsigned vf);

/* Doorbells process rings at once (default). In deferred mode a doorbell
 * only records the tail and srnic_poll() processes every pending ring;
 * returns the number of descriptors processed. */
void srnic_set_deferred(struct srnic *nic, bool deferred);
unsigned srnic_poll(struct srnic *nic);

/* Uplink: attach a backend (replaces any other; ops must outlive it), and
 * deliver a frame received from the wire into the NIC switch (copied). */
int srnic_uplink_attach(struct srnic *nic, const struct srnic_uplink_ops *ops, void *ctx);
void srnic_uplink_detach(struct srnic *nic);
int srnic_uplink_receive(struct srnic *nic, const void *frame, size_t len);
/* Tell the NIC the uplink's link state changed (raises a link interrupt). */
void srnic_uplink_link_changed(struct srnic *nic);

/*
 * The built-in peer: a link partner on the uplink that tests and the
 * default lab use. Creating one attaches it as the uplink. It queues up to
 * depth frames the NIC sent (oldest kept; overflow counted) unless in
 * count-only mode. destroy detaches it; destroy(NULL) is a no-op.
 */
struct srnic_peer *srnic_peer_create(struct srnic *nic, unsigned depth);
void srnic_peer_destroy(struct srnic_peer *peer);
int srnic_peer_send(struct srnic_peer *peer, const void *frame, size_t len);
/* Next frame the NIC sent: its length, or -EAGAIN if none, -EMSGSIZE if it
 * does not fit in cap (the frame is then consumed). */
ssize_t srnic_peer_recv(struct srnic_peer *peer, void *buf, size_t cap);
void srnic_peer_set_link(struct srnic_peer *peer, bool up);
void srnic_peer_set_count_only(struct srnic_peer *peer, bool count_only);
uint64_t srnic_peer_rx_frames(const struct srnic_peer *peer);
uint64_t srnic_peer_rx_overflows(const struct srnic_peer *peer);

/*
 * Capture (docs/capture.md): fn is called for every frame function fn's
 * queue pairs send (inbound false) or receive (inbound true) -- 0 the PF,
 * n VF n -- and at the uplink (fn SRNIC_CAPTURE_UPLINK: inbound from the
 * wire, outbound to it). frame is valid during the call only. While set,
 * the TX burst paths are off so that every frame passes one place; NULL
 * turns it off.
 */
#define SRNIC_CAPTURE_UPLINK (-1)
typedef void srnic_capture_fn(void *ctx, int fn, bool inbound, const void *frame, uint32_t len);
void srnic_set_capture(struct srnic *nic, srnic_capture_fn *fn, void *ctx);

#endif /* IOVLAB_HW_SRNIC_SRNIC_H */
