/*
 * VMBus as iovlab models it: every byte layout the host (root partition) and
 * a guest (child partition) share for VMBus. Two kinds of layout live here:
 *
 *  1. The channel ring buffers, in guest memory. A channel has two rings, one
 *     per direction, carved out of one guest-memory region the guest
 *     described with a GPADL. Each ring is a 4 KiB control page (struct
 *     vmbus_ring_ctl) followed by a data area of variable-length packets
 *     (struct vmbus_pkt_desc + payload, padded to 8 bytes). Single producer,
 *     single consumer; indices are byte offsets into the data area.
 *  2. The VMBus control messages (offer, GPADL, open, close, rescind,
 *     version), carried over the partition socket with the framing of
 *     wire/partition.h. Message numbers are the Hyper-V CHANNELMSG_* numbers
 *     offset by VMBUS_MSG_BASE.
 *
 * The shapes follow Hyper-V's (hv_ring_buffer, vmpacket_descriptor,
 * vmbus_channel_offer_channel ...; see the Hyper-V TLFS and Linux
 * include/linux/hyperv.h for the originals) but are not byte-compatible with
 * them: the control page puts each side's fields on its own cache line, a
 * GPADL is one contiguous GPA range instead of a PFN list, the packet
 * descriptor states its exact payload length, and there is no trailing
 * "previous index" word after each packet. docs/hv/vmbus.md has the ring
 * contract and the channel state diagram.
 */
#ifndef IOVLAB_WIRE_VMBUS_H
#define IOVLAB_WIRE_VMBUS_H

#include <stdint.h>

#include "wire/partition.h"

/* ---- versions ----------------------------------------------------------- */

/* VMBus protocol versions, oldest first. Append only. */
#define VMBUS_PROTO_V1 0x00010000u	/* rings, GPADL ranges, offers, rescind */
#define VMBUS_PROTO_CURRENT VMBUS_PROTO_V1

/* ---- ring buffers ------------------------------------------------------- */

#define VMBUS_PAGE_SIZE 4096u
#define VMBUS_PKT_ALIGN 8u		/* packets start and end 8-byte aligned */
/* Smallest and largest data area of one ring. */
#define VMBUS_RING_DATA_MIN VMBUS_PAGE_SIZE
#define VMBUS_RING_DATA_MAX (1u << 30)

/*
 * First page of every ring (hv_ring_buffer). Each field has exactly one
 * writer; the two writers' fields sit on separate cache lines so polling
 * one side does not bounce the other's line.
 */
struct vmbus_ring_ctl {
	/* Written by the producer only. */
	uint32_t write_index;		/* data-area offset of the next packet to write */
	uint32_t pending_send_sz;	/* != 0: "signal me when this many bytes are free" */
	uint8_t reserved0[56];
	/* Written by the consumer only. */
	uint32_t read_index;		/* data-area offset of the next packet to read */
	uint32_t interrupt_mask;	/* 1: consumer is polling, do not signal it */
	uint8_t reserved1[56];
	uint8_t reserved2[VMBUS_PAGE_SIZE - 128];
};
_Static_assert(sizeof(struct vmbus_ring_ctl) == VMBUS_PAGE_SIZE,
	       "vmbus_ring_ctl is one page");
_Static_assert(__builtin_offsetof(struct vmbus_ring_ctl, read_index) == 64,
	       "consumer fields start on the second cache line");

/* Packet types (VMBUS_PACKET_TYPE values of Hyper-V). */
#define VMBUS_PKT_DATA_INBAND 6u	/* VM_PKT_DATA_INBAND: payload is in the ring */
#define VMBUS_PKT_COMP 11u		/* VM_PKT_COMP: completion of trans_id */

/* Packet flags. */
#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x01u

/*
 * Header of every packet in a ring (vmpacket_descriptor). The packet takes
 * len8 * 8 bytes of the data area, wrapping at its end; its payload starts
 * offset8 * 8 bytes after the header's first byte and is
 * (len8 - offset8) * 8 - pad bytes long.
 */
struct vmbus_pkt_desc {
	uint16_t type;		/* VMBUS_PKT_* */
	uint16_t offset8;	/* payload offset, 8-byte units, >= 2 */
	uint16_t len8;		/* whole packet, 8-byte units, >= offset8 */
	uint8_t flags;		/* VMBUS_PKT_FLAG_* */
	uint8_t pad;		/* padding bytes after the payload, 0..7 */
	uint64_t trans_id;	/* sender's transaction id, echoed by VMBUS_PKT_COMP */
};
_Static_assert(sizeof(struct vmbus_pkt_desc) == 16, "vmbus_pkt_desc is 16 bytes");

/* Largest payload one packet can carry (len8 is 16 bits). */
#define VMBUS_PKT_PAYLOAD_MAX (0xffffu * VMBUS_PKT_ALIGN - sizeof(struct vmbus_pkt_desc))

/* ---- control messages --------------------------------------------------- */

struct vmbus_guid {
	uint8_t b[16];
};
_Static_assert(sizeof(struct vmbus_guid) == 16, "vmbus_guid is 16 bytes");

/* Message types: VMBUS_MSG_BASE + Hyper-V's CHANNELMSG_* number. */
#define VMBUS_MSG_BASE 0x56420000u	/* 'VB' << 16 */
#define VMBUS_MSG_OFFER_CHANNEL (VMBUS_MSG_BASE + 1)		/* h->g, 2 fds */
#define VMBUS_MSG_RESCIND_OFFER (VMBUS_MSG_BASE + 2)		/* h->g */
#define VMBUS_MSG_REQUEST_OFFERS (VMBUS_MSG_BASE + 3)		/* g->h */
#define VMBUS_MSG_ALL_OFFERS_DELIVERED (VMBUS_MSG_BASE + 4)	/* h->g */
#define VMBUS_MSG_OPEN_CHANNEL (VMBUS_MSG_BASE + 5)		/* g->h */
#define VMBUS_MSG_OPEN_RESULT (VMBUS_MSG_BASE + 6)		/* h->g */
#define VMBUS_MSG_CLOSE_CHANNEL (VMBUS_MSG_BASE + 7)		/* g->h */
#define VMBUS_MSG_GPADL_HEADER (VMBUS_MSG_BASE + 8)		/* g->h */
#define VMBUS_MSG_GPADL_CREATED (VMBUS_MSG_BASE + 10)		/* h->g */
#define VMBUS_MSG_GPADL_TEARDOWN (VMBUS_MSG_BASE + 11)		/* g->h */
#define VMBUS_MSG_GPADL_TORNDOWN (VMBUS_MSG_BASE + 12)		/* h->g */
#define VMBUS_MSG_RELID_RELEASED (VMBUS_MSG_BASE + 13)		/* g->h */
#define VMBUS_MSG_INITIATE_CONTACT (VMBUS_MSG_BASE + 14)	/* g->h */
#define VMBUS_MSG_VERSION_RESPONSE (VMBUS_MSG_BASE + 15)	/* h->g */

/*
 * Status fields carry 0 or a negative Linux errno value (both partitions
 * are Linux processes of one host).
 */

/*
 * vmbus_channel_offer_channel. Attached descriptors, in order: [0] the
 * eventfd the host signals to interrupt the guest for this channel, [1] the
 * eventfd the guest signals to kick the host.
 */
struct vmbus_msg_offer {
	struct part_msg_hdr hdr;
	struct vmbus_guid type;		/* device class, e.g. the synthetic NIC */
	struct vmbus_guid instance;	/* this device */
	uint32_t child_relid;		/* channel id, unique while offered */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmbus_msg_offer) == 48, "vmbus_msg_offer is 48 bytes");

/* Messages that name only a channel: RESCIND_OFFER, CLOSE_CHANNEL, RELID_RELEASED. */
struct vmbus_msg_relid {
	struct part_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmbus_msg_relid) == 16, "vmbus_msg_relid is 16 bytes");

/* Messages with no body: REQUEST_OFFERS, ALL_OFFERS_DELIVERED. */
struct vmbus_msg_empty {
	struct part_msg_hdr hdr;
};
_Static_assert(sizeof(struct vmbus_msg_empty) == 8, "vmbus_msg_empty is 8 bytes");

/*
 * vmbus_channel_gpadl_header: the guest lends the host the GPA range
 * [gpa, gpa + len) for this channel's rings. Page aligned.
 */
struct vmbus_msg_gpadl_header {
	struct part_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl_id;		/* guest-chosen, non-zero */
	uint64_t gpa;
	uint64_t len;
};
_Static_assert(sizeof(struct vmbus_msg_gpadl_header) == 32, "vmbus_msg_gpadl_header is 32 bytes");

/* vmbus_channel_gpadl_created */
struct vmbus_msg_gpadl_created {
	struct part_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl_id;
	int32_t status;
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmbus_msg_gpadl_created) == 24, "vmbus_msg_gpadl_created is 24 bytes");

/* GPADL_TEARDOWN (g->h) and GPADL_TORNDOWN (h->g). */
struct vmbus_msg_gpadl_teardown {
	struct part_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl_id;
};
_Static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16, "vmbus_msg_gpadl_teardown is 16 bytes");

/*
 * vmbus_channel_open_channel. The GPADL holds the guest-to-host ring at
 * offset 0 and the host-to-guest ring at downstream_offset; each ring is a
 * control page plus a data area.
 */
struct vmbus_msg_open {
	struct part_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t open_id;		/* echoed in OPEN_RESULT */
	uint32_t gpadl_id;
	uint32_t downstream_offset;	/* bytes, page aligned */
};
_Static_assert(sizeof(struct vmbus_msg_open) == 24, "vmbus_msg_open is 24 bytes");

/* vmbus_channel_open_result */
struct vmbus_msg_open_result {
	struct part_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t open_id;
	int32_t status;
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmbus_msg_open_result) == 24, "vmbus_msg_open_result is 24 bytes");

/* vmbus_channel_initiate_contact */
struct vmbus_msg_initiate_contact {
	struct part_msg_hdr hdr;
	uint32_t version;		/* VMBUS_PROTO_* the guest asks for */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmbus_msg_initiate_contact) == 16, "vmbus_msg_initiate_contact is 16 bytes");

/* vmbus_channel_version_response */
struct vmbus_msg_version_response {
	struct part_msg_hdr hdr;
	uint32_t version_supported;	/* 1: the asked version is accepted */
	uint32_t version;		/* the version now in force, 0 if none */
};
_Static_assert(sizeof(struct vmbus_msg_version_response) == 16, "vmbus_msg_version_response is 16 bytes");

#endif /* IOVLAB_WIRE_VMBUS_H */
