/*
 * What runs inside a VM's process: the guest partition of `iovlab run`
 * (docs/hv/e2e.md). The host forks one per running VM (vmwp.c, partition.h)
 * and the child runs guest_vm_main(), which builds, in this order,
 *
 *   the VMBus guest (version, offers) and the lab's control and MMIO
 *   channels (wire/vmctl.h);
 *   the guest's NDIS (a child partition), its PnP manager, the DMA pool
 *   over the guest's RAM and NDIS's PnP edge (guest_ndis) whose register
 *   accesses go out over the MMIO channel;
 *   the driver packages: netvsc.sys's two services (miniport edge and
 *   NETVSCVFPP), the VF miniport and the IHV virtual bus driver the lab's
 *   [vm] names, the traffic protocol;
 *   one NetVsc adapter per synthetic NIC the host offered (netvsc_dev);
 *   the traffic source and sink on IOVTRAFFIC, NETVSCVFPP; with an
 *   address ([vmnetworkadapter] ip), the TCP/IP stack on IOVTCPIP
 *   (guest_tcpip.h: lwIP, ping/echo services, the host's NET requests);
 *   the vPCI bus driver (VSC + PDO layer), whose functions become PDOs the
 *   VF miniport (or the VBD) loads on,
 *
 * then loops: VMBus control messages, NetVsc's channel, the vPCI bus, the
 * VF miniport's poll routine (its DPC stand-in), the control channel and
 * the traffic it was asked to send, until the host says exit or is gone.
 *
 * Single-threaded; everything it reads from the host is checked. Its exit
 * status: 0 after an orderly exit, 1 when the host went away, 2 when the
 * guest could not come up (the reason is logged).
 */
#ifndef IOVLAB_HV_GUEST_VM_H
#define IOVLAB_HV_GUEST_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/partition.h"
#include "wire/vmbus.h"

#define GUEST_VM_MAX_NICS 1u	/* netvsc_proto opens the first NetVSP channel offered */

/*
 * Guest-physical memory layout (the guest decides it; the host only checks
 * what it is lent): VMBus rings of the lab channels and the vPCI bus, then
 * 2 MiB per NetVsc adapter (its rings, receive and send buffers), then the
 * DMA pool the vPCI bus hands VF drivers, up to the end of memory.
 */
#define GUEST_VM_CTL_GPA 0x10000u
#define GUEST_VM_CTL_RING (4u * 4096u)
#define GUEST_VM_MMIO_GPA 0x20000u
#define GUEST_VM_MMIO_RING (4u * 4096u)
#define GUEST_VM_VPCI_GPA 0x30000u
#define GUEST_VM_VPCI_RING (8u * 4096u)
#define GUEST_VM_DB_GPA 0x40000u	/* the VF BARs' shared doorbell pages, one per mapping (8) */
#define GUEST_VM_NIC_GPA(i) (0x100000u + (uint64_t)(i) * 0x200000u)
#define GUEST_VM_NIC_RING (16u * 4096u)
#define GUEST_VM_NIC_BUF (256u * 2048u)	/* 256 NVSP sections each way */
#define GUEST_VM_DMA_GPA 0xa00000u
#define GUEST_VM_MIN_MEM (16u << 20)

/* One synthetic NIC: the NetVSP offer the guest should find. */
struct guest_vm_nic {
	char name[32];			/* the lab's adapter name */
	struct vmbus_guid instance;	/* NetVSP's channel instance */
	uint8_t mac[6];
	uint32_t ip;			/* [vmnetworkadapter] ip, host byte order; 0: no TCP/IP stack */
	uint8_t prefix;
};

/* Filled by the host before fork; the child reads its copy. */
struct guest_vm_config {
	char name[32];			/* the VM's name */
	/* driver packages: INF path and the directory of its .so; NULL: not installed */
	const char *netvsc_dir;		/* netvsc.inf, netvscvfpp.inf, netvsc.so */
	const char *traffic_dir;	/* guest_traffic.inf, guest_traffic.so (and guest_tcpip.inf, .so) */
	const char *vf_inf, *vf_dir;	/* [vm] vf_driver (none: NULL) */
	const char *vbd_inf, *vbd_dir;	/* [vm] vbd (none: NULL) */
	bool vbd_forward_vpci;		/* [vm] vbd_forward_vpci */
	unsigned nnics;
	struct guest_vm_nic nics[GUEST_VM_MAX_NICS];
	int timeout_ms;			/* per handshake step and MMIO request; 0: 5000 */
	bool no_msix;			/* [vm] msix = false: no MSI-X for the VF (F26) */
	int vmbus_delay_ms;		/* [fault] vmbus_offer_delay: VMBus connects that late (F19) */
};

/* The partition entry (partition_entry_fn); arg is a struct guest_vm_config. */
int guest_vm_main(struct partition_guest *pg, void *arg);

/* The stream id of the lab's numbered frames (guest_traffic.h format). */
#define GUEST_VM_STREAM 0x69766c62u	/* "ivlb" */

#endif /* IOVLAB_HV_GUEST_VM_H */
