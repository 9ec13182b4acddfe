/*
 * Hyper-V virtual PCI (vPCI) as iovlab models it: every byte layout the
 * host's vPCI VSP (src/hv/vpci_vsp.c, root partition) and the guest's vPCI
 * bus driver (src/hv/vpci_vsc.c, child partition) exchange. The messages
 * travel as VMBus packets (wire/vmbus.h) on one channel per VM whose class
 * is VPCI_CLASS_GUID: a guest request is a VMBUS_PKT_DATA_INBAND packet
 * with VMBUS_PKT_FLAG_COMPLETION_REQUESTED and the guest's transaction id;
 * the host answers it with one VMBUS_PKT_COMP packet carrying the same
 * transaction id and a response that starts with struct vpci_resp_hdr.
 * Host-initiated messages (bus relations, eject, invalidate block) are
 * in-band packets that ask for no completion; so are the guest's
 * QUERY_BUS_RELATIONS and EJECTION_COMPLETE.
 *
 * The shapes and numbers follow the public Hyper-V vPCI protocol as Linux
 * drivers/pci/controller/pci-hyperv.c speaks it (message type 0x42490000 +
 * n, the Windows slot encoding, function descriptions with the serial
 * number, probed BARs, the config-block backchannel with 128-byte blocks,
 * eject / ejection complete) but the protocol is iovlab's and not
 * byte-compatible: config space travels as CONFIG_READ / CONFIG_WRITE
 * messages (Windows' message-based interface) instead of an MMIO window,
 * the host tells the guest where each BAR sits (QUERY_RESOURCES, from
 * OID_SRIOV_BAR_RESOURCES) instead of the guest choosing, there are no
 * interrupt messages, and the versions are iovlab's own. Status fields are
 * NTSTATUS / NDIS_STATUS values (the host passes the PF miniport's OID
 * status through unchanged). Sequences and the device state diagram:
 * docs/hv/vpci.md. Spec: ndis-sriov-spec.md 2.11, 2.13, 2.17, 6.1-6.5.
 *
 * Little-endian, fixed-width fields, no pointers. Every struct's size is
 * asserted; a message whose size is not listed in the table of
 * src/hv/vpci_proto.c is refused by both sides.
 */
#ifndef IOVLAB_WIRE_VPCI_H
#define IOVLAB_WIRE_VPCI_H

#include <stdint.h>

/* ---- channel class ------------------------------------------------------ */

/*
 * The lab's PCI pass-through device class: the VMBus class id of the vPCI
 * bus channel, {44C4F61D-4444-4400-9D52-802E27EDE19F} -- the value Hyper-V
 * uses for its PCI pass-through class (Linux HV_PCIE_GUID) -- in GUID
 * memory order (Data1..3 little-endian), as a struct vmbus_guid initializer.
 */
#define VPCI_CLASS_GUID_INIT                                                   \
	{ { 0x1d, 0xf6, 0xc4, 0x44, 0x44, 0x44, 0x00, 0x44,                    \
	    0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f } }

/* ---- versions ----------------------------------------------------------- */

#define VPCI_MAKE_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define VPCI_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define VPCI_VERSION_MINOR(v) ((uint32_t)(v) & 0xffffu)

/*
 * iovlab vPCI protocol versions, oldest first. Append only: a version, once
 * shipped, keeps its number and meaning. The guest asks for the newest it
 * speaks first and walks down the list (pci-hyperv.c
 * pci_protocol_versions[]); the host accepts any version in its window.
 */
#define VPCI_PROTO_V1_1 VPCI_MAKE_VERSION(1, 1)	/* relations v1, resources, power, config
						   messages, blocks, invalidate, eject */
#define VPCI_PROTO_V1_2 VPCI_MAKE_VERSION(1, 2)	/* + BUS_RELATIONS2: function description v2
						   (flags, virtual NUMA node) */
#define VPCI_PROTO_CURRENT VPCI_PROTO_V1_2
/* The list both sides walk, as an array initializer (oldest first). */
#define VPCI_PROTO_VERSIONS { VPCI_PROTO_V1_1, VPCI_PROTO_V1_2 }

/* ---- limits ------------------------------------------------------------- */

#define VPCI_MAX_FUNCS 32u		/* functions on one vPCI bus */
#define VPCI_BAR_COUNT 6u		/* PCI_TYPE0_ADDRESSES */
#define VPCI_CFG_SPACE_SIZE 4096u	/* PCIe extended config space */
#define VPCI_CFG_XFER_MAX 256u		/* most config bytes one message carries */
#define VPCI_BLOCK_MAX 128u		/* VPCI_MAX_READ_WRITE_BLOCK_SIZE (pcivirt.h) */
#define VPCI_INVALIDATE_BLOCKS 64u	/* only blocks 0..63 can be invalidated */
/* How long the host waits for EJECTION_COMPLETE by default (pci-hyperv.c: 60 s). */
#define VPCI_EJECT_TIMEOUT_MS 60000

/*
 * Slot of a function, Windows encoding (win_slot_encoding): device number
 * in bits 0..4, function number in bits 5..7, the rest zero.
 */
#define VPCI_SLOT(dev, fn) ((((uint32_t)(fn) & 0x7u) << 5) | ((uint32_t)(dev) & 0x1fu))
#define VPCI_SLOT_DEV(slot) ((uint32_t)(slot) & 0x1fu)
#define VPCI_SLOT_FN(slot) (((uint32_t)(slot) >> 5) & 0x7u)
#define VPCI_SLOT_VALID(slot) (((uint32_t)(slot) & ~0xffu) == 0)

/* Device power states: NDIS_DEVICE_POWER_STATE values (D0 = 1 ... D3 = 4). */
#define VPCI_POWER_D0 1u
#define VPCI_POWER_D1 2u
#define VPCI_POWER_D2 3u
#define VPCI_POWER_D3 4u

/* ---- status values (NTSTATUS / NDIS_STATUS, ntstatus.h and ndis.h) ------ */

#define VPCI_STATUS_SUCCESS 0x00000000u			/* STATUS_SUCCESS */
#define VPCI_STATUS_UNSUCCESSFUL 0xC0000001u		/* STATUS_UNSUCCESSFUL = NDIS_STATUS_FAILURE */
#define VPCI_STATUS_INVALID_PARAMETER 0xC000000Du	/* a field out of range */
#define VPCI_STATUS_NO_SUCH_DEVICE 0xC000000Eu		/* no function in that slot */
#define VPCI_STATUS_INVALID_DEVICE_REQUEST 0xC0000010u	/* unknown message type */
#define VPCI_STATUS_REVISION_MISMATCH 0xC0000059u	/* version not spoken / not agreed */
#define VPCI_STATUS_NOT_SUPPORTED 0xC00000BBu		/* = NDIS_STATUS_NOT_SUPPORTED */
#define VPCI_STATUS_INVALID_DEVICE_STATE 0xC0000184u	/* not now: bus or device state */
#define VPCI_STATUS_INVALID_BUFFER_SIZE 0xC0000206u	/* message size wrong for its type */
#define VPCI_STATUS_DEVICE_REMOVED 0xC00002B6u		/* STATUS_DEVICE_REMOVED */
#define VPCI_STATUS_INVALID_LENGTH 0xC0010014u		/* NDIS_STATUS_INVALID_LENGTH */
/* NT_SUCCESS(): success and informational values have the top bit clear. */
#define VPCI_STATUS_OK(s) (((uint32_t)(s) & 0x80000000u) == 0)

/* ---- message types ------------------------------------------------------ */

/* VPCI_MSG_BASE + n: n is the public protocol's number where one exists. */
#define VPCI_MSG_BASE 0x42490000u
#define VPCI_MSG_BUS_RELATIONS (VPCI_MSG_BASE + 0x00)		/* h->g */
#define VPCI_MSG_QUERY_BUS_RELATIONS (VPCI_MSG_BASE + 0x01)	/* g->h, no completion */
#define VPCI_MSG_POWER_STATE_CHANGE (VPCI_MSG_BASE + 0x04)	/* g->h */
#define VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS (VPCI_MSG_BASE + 0x05) /* g->h */
#define VPCI_MSG_QUERY_RESOURCES (VPCI_MSG_BASE + 0x06)		/* g->h */
#define VPCI_MSG_BUS_D0ENTRY (VPCI_MSG_BASE + 0x07)		/* g->h */
#define VPCI_MSG_BUS_D0EXIT (VPCI_MSG_BASE + 0x08)		/* g->h */
#define VPCI_MSG_READ_BLOCK (VPCI_MSG_BASE + 0x09)		/* g->h */
#define VPCI_MSG_WRITE_BLOCK (VPCI_MSG_BASE + 0x0A)		/* g->h */
#define VPCI_MSG_EJECT (VPCI_MSG_BASE + 0x0B)			/* h->g */
#define VPCI_MSG_EJECTION_COMPLETE (VPCI_MSG_BASE + 0x0F)	/* g->h, no completion */
#define VPCI_MSG_RESOURCES_ASSIGNED (VPCI_MSG_BASE + 0x10)	/* g->h */
#define VPCI_MSG_RESOURCES_RELEASED (VPCI_MSG_BASE + 0x11)	/* g->h */
#define VPCI_MSG_INVALIDATE_BLOCK (VPCI_MSG_BASE + 0x12)	/* h->g */
#define VPCI_MSG_QUERY_PROTOCOL_VERSION (VPCI_MSG_BASE + 0x13)	/* g->h */
#define VPCI_MSG_BUS_RELATIONS2 (VPCI_MSG_BASE + 0x19)		/* h->g, >= 1.2 */
/* iovlab: config space as messages (Windows' message-based interface). */
#define VPCI_MSG_CONFIG_READ (VPCI_MSG_BASE + 0x100)		/* g->h */
#define VPCI_MSG_CONFIG_WRITE (VPCI_MSG_BASE + 0x101)		/* g->h */

/* ---- common parts ------------------------------------------------------- */

/* First bytes of every message (pci_message, padded to 8). */
struct vpci_msg_hdr {
	uint32_t type;		/* VPCI_MSG_* */
	uint32_t reserved;	/* 0 */
};
_Static_assert(sizeof(struct vpci_msg_hdr) == 8, "vpci_msg_hdr is 8 bytes");

/* First bytes of every completion (pci_response). */
struct vpci_resp_hdr {
	uint32_t type;		/* the request's VPCI_MSG_*; 0 if the request was too short to say */
	uint32_t status;	/* VPCI_STATUS_* (NTSTATUS / NDIS_STATUS) */
};
_Static_assert(sizeof(struct vpci_resp_hdr) == 8, "vpci_resp_hdr is 8 bytes");

/*
 * One function on the bus (pci_function_description): PnP identity and the
 * serial number the virtualization stack generated for the VF, which the
 * guest's NetVsc matches against the synthetic NIC (ndis-sriov-spec.md 6.2).
 */
struct vpci_func_desc {
	uint16_t vendor_id;	/* from OID_SRIOV_VF_VENDOR_DEVICE_ID */
	uint16_t device_id;
	uint8_t revision;
	uint8_t prog_if;
	uint8_t subclass;
	uint8_t base_class;
	uint32_t subsystem_id;	/* subsystem vendor id in bits 0..15, subsystem id in 16..31 */
	uint32_t slot;		/* VPCI_SLOT() */
	uint32_t serial;	/* VPCI_INTERFACE_STANDARD.SerialNumber */
};
_Static_assert(sizeof(struct vpci_func_desc) == 20, "vpci_func_desc is 20 bytes");

/* pci_function_description2 (protocol 1.2 here). */
struct vpci_func_desc2 {
	uint16_t vendor_id;
	uint16_t device_id;
	uint8_t revision;
	uint8_t prog_if;
	uint8_t subclass;
	uint8_t base_class;
	uint32_t subsystem_id;
	uint32_t slot;
	uint32_t serial;
	uint32_t flags;		/* VPCI_FUNC_FLAG_* */
	uint16_t numa_node;	/* virtual NUMA node, valid with VPCI_FUNC_FLAG_NUMA_AFFINITY */
	uint16_t reserved;
};
_Static_assert(sizeof(struct vpci_func_desc2) == 28, "vpci_func_desc2 is 28 bytes");

#define VPCI_FUNC_FLAG_NUMA_AFFINITY 0x1u	/* HV_PCI_DEVICE_FLAG_NUMA_AFFINITY */

/*
 * Where one BAR lives (CM_PARTIAL_RESOURCE_DESCRIPTOR of type memory, as
 * OID_SRIOV_BAR_RESOURCES returns it). type 0 marks a BAR that is not
 * implemented or is the upper half of a 64-bit BAR.
 */
struct vpci_bar_desc {
	uint64_t start;		/* u.Memory.Start: the lab's address of the BAR */
	uint64_t length;	/* u.Memory.Length */
	uint8_t type;		/* VPCI_RES_TYPE_* (CmResourceType*) */
	uint8_t share;		/* ShareDisposition */
	uint16_t flags;		/* CM_RESOURCE_MEMORY_* */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vpci_bar_desc) == 24, "vpci_bar_desc is 24 bytes");

#define VPCI_RES_TYPE_NULL 0u		/* CmResourceTypeNull */
#define VPCI_RES_TYPE_MEMORY 3u		/* CmResourceTypeMemory */
#define VPCI_RES_TYPE_MEMORY_LARGE 7u	/* CmResourceTypeMemoryLarge */

/* ---- guest -> host ------------------------------------------------------ */

/* QUERY_PROTOCOL_VERSION (pci_version_request); completion: vpci_resp_hdr. */
struct vpci_msg_version {
	struct vpci_msg_hdr hdr;
	uint32_t version;	/* VPCI_PROTO_* the guest proposes */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vpci_msg_version) == 16, "vpci_msg_version is 16 bytes");

/* BUS_D0ENTRY (pci_bus_d0_entry); completion: vpci_resp_hdr. */
struct vpci_msg_d0_entry {
	struct vpci_msg_hdr hdr;
	uint64_t mmio_base;	/* 0 in iovlab: the host places the BARs */
};
_Static_assert(sizeof(struct vpci_msg_d0_entry) == 16, "vpci_msg_d0_entry is 16 bytes");

/*
 * Messages that name one function (pci_child_message):
 * QUERY_RESOURCE_REQUIREMENTS (completion vpci_resp_probed_bars),
 * QUERY_RESOURCES (completion vpci_resp_resources), RESOURCES_RELEASED
 * (completion vpci_resp_hdr), EJECTION_COMPLETE (no completion) and, host
 * to guest, EJECT.
 */
struct vpci_msg_slot {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t reserved;
};
_Static_assert(sizeof(struct vpci_msg_slot) == 16, "vpci_msg_slot is 16 bytes");

/* POWER_STATE_CHANGE: OID_SRIOV_SET_VF_POWER_STATE; completion vpci_resp_hdr. */
struct vpci_msg_power {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t power_state;	/* VPCI_POWER_D0 .. VPCI_POWER_D3 */
	uint32_t wake_enable;	/* 0 or 1; must be 0 for D0 */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vpci_msg_power) == 24, "vpci_msg_power is 24 bytes");

/*
 * RESOURCES_ASSIGNED (pci_resources_assigned): the guest took the BAR
 * placements QUERY_RESOURCES gave it and echoes them; completion
 * vpci_resp_hdr.
 */
struct vpci_msg_resources_assigned {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t reserved;
	struct vpci_bar_desc bars[VPCI_BAR_COUNT];
};
_Static_assert(sizeof(struct vpci_msg_resources_assigned) == 160,
	       "vpci_msg_resources_assigned is 160 bytes");

/* READ_BLOCK (pci_read_block): OID_SRIOV_READ_VF_CONFIG_BLOCK; completion vpci_resp_read_block. */
struct vpci_msg_read_block {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t block_id;
	uint32_t bytes_requested;	/* 1 .. VPCI_BLOCK_MAX */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vpci_msg_read_block) == 24, "vpci_msg_read_block is 24 bytes");

/*
 * WRITE_BLOCK (pci_write_block): OID_SRIOV_WRITE_VF_CONFIG_BLOCK; completion
 * vpci_resp_hdr. The packet may end right after bytes[byte_count - 1] or
 * carry the whole array: the host accepts any length in between (hosts of
 * 2018 checked this size wrongly and Linux pads by 4 bytes to get past
 * them; iovlab refuses neither form).
 */
struct vpci_msg_write_block {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t block_id;
	uint32_t byte_count;		/* 1 .. VPCI_BLOCK_MAX */
	uint32_t reserved;
	uint8_t bytes[VPCI_BLOCK_MAX];
};
_Static_assert(sizeof(struct vpci_msg_write_block) == 152, "vpci_msg_write_block is 152 bytes");

/*
 * CONFIG_READ: OID_SRIOV_READ_VF_CONFIG_SPACE for [offset, offset + length),
 * which must lie inside the 4 KiB config space; completion
 * vpci_resp_config_read.
 */
struct vpci_msg_config_read {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t offset;
	uint32_t length;		/* 1 .. VPCI_CFG_XFER_MAX */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vpci_msg_config_read) == 24, "vpci_msg_config_read is 24 bytes");

/*
 * CONFIG_WRITE: OID_SRIOV_WRITE_VF_CONFIG_SPACE; completion vpci_resp_hdr.
 * Like WRITE_BLOCK, the packet may stop after data[length - 1].
 */
struct vpci_msg_config_write {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t offset;
	uint32_t length;		/* 1 .. VPCI_CFG_XFER_MAX */
	uint32_t reserved;
	uint8_t data[VPCI_CFG_XFER_MAX];
};
_Static_assert(sizeof(struct vpci_msg_config_write) == 280, "vpci_msg_config_write is 280 bytes");

/* ---- host -> guest ------------------------------------------------------ */

/*
 * BUS_RELATIONS (pci_bus_relations) / BUS_RELATIONS2 (pci_bus_relations2):
 * every function now on the bus. A function the guest has that is missing
 * from the list is gone (surprise removal). The packet is exactly
 * sizeof(header) + device_count descriptions.
 */
struct vpci_msg_bus_relations {
	struct vpci_msg_hdr hdr;
	uint32_t device_count;		/* 0 .. VPCI_MAX_FUNCS */
	uint32_t reserved;
	struct vpci_func_desc func[];
};
_Static_assert(sizeof(struct vpci_msg_bus_relations) == 16, "vpci_msg_bus_relations is 16 bytes");

struct vpci_msg_bus_relations2 {
	struct vpci_msg_hdr hdr;
	uint32_t device_count;
	uint32_t reserved;
	struct vpci_func_desc2 func[];
};
_Static_assert(sizeof(struct vpci_msg_bus_relations2) == 16, "vpci_msg_bus_relations2 is 16 bytes");

/*
 * INVALIDATE_BLOCK (pci_dev_inval_block): the PF changed the blocks whose
 * bits are set (bit n = block n, NdisMInvalidateConfigBlock); the host ORs
 * repeated invalidations into one mask until it sends it.
 */
struct vpci_msg_invalidate {
	struct vpci_msg_hdr hdr;
	uint32_t slot;
	uint32_t reserved;
	uint64_t block_mask;
};
_Static_assert(sizeof(struct vpci_msg_invalidate) == 24, "vpci_msg_invalidate is 24 bytes");

/* ---- completions -------------------------------------------------------- */

/* QUERY_RESOURCE_REQUIREMENTS (pci_q_res_req_response): OID_SRIOV_PROBED_BARS. */
struct vpci_resp_probed_bars {
	struct vpci_resp_hdr hdr;
	uint32_t probed_bar[VPCI_BAR_COUNT];	/* BAR value after the all-ones probe; 0 = none */
};
_Static_assert(sizeof(struct vpci_resp_probed_bars) == 32, "vpci_resp_probed_bars is 32 bytes");

/* QUERY_RESOURCES: OID_SRIOV_BAR_RESOURCES for every implemented BAR. */
struct vpci_resp_resources {
	struct vpci_resp_hdr hdr;
	struct vpci_bar_desc bars[VPCI_BAR_COUNT];
};
_Static_assert(sizeof(struct vpci_resp_resources) == 152, "vpci_resp_resources is 152 bytes");

/* READ_BLOCK (pci_read_block_response). */
struct vpci_resp_read_block {
	struct vpci_resp_hdr hdr;
	uint32_t bytes_returned;	/* = bytes_requested on success */
	uint32_t reserved;
	uint8_t bytes[VPCI_BLOCK_MAX];
};
_Static_assert(sizeof(struct vpci_resp_read_block) == 144, "vpci_resp_read_block is 144 bytes");

/* CONFIG_READ. */
struct vpci_resp_config_read {
	struct vpci_resp_hdr hdr;
	uint32_t length;		/* = the request's length on success */
	uint32_t reserved;
	uint8_t data[VPCI_CFG_XFER_MAX];
};
_Static_assert(sizeof(struct vpci_resp_config_read) == 272, "vpci_resp_config_read is 272 bytes");

/*
 * A completion is the full response struct of its type when the status is
 * a success; on an error the host may send only struct vpci_resp_hdr.
 */

#endif /* IOVLAB_WIRE_VPCI_H */
