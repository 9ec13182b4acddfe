/*
 * The RNDIS subset iovlab's NetVSP and NetVsc speak inside NVSP's
 * SEND_RNDIS_PKT (wire/nvsp.h): data packets (one Ethernet frame each),
 * query and set of a few OIDs (the adapter's MAC address, maximum frame
 * size, media state, packet filter) and the media-connect status
 * indication. Message, status and OID numbers are those of the public
 * RNDIS specification and ntddndis.h (tests/hv/test_nvsp_wire.c proves the
 * OID and status values equal include/ndis's); the layouts are ours: one
 * fixed header per message, offsets counted from the start of the message,
 * no per-packet-info list, no RNDIS initialize/halt/reset (the NVSP
 * handshake already establishes the session). docs/hv/netvsc.md.
 */
#ifndef IOVLAB_WIRE_RNDIS_H
#define IOVLAB_WIRE_RNDIS_H

#include <stdint.h>

/* Message types (REMOTE_NDIS_*_MSG). */
#define RNDIS_MSG_PACKET 0x00000001u
#define RNDIS_MSG_QUERY 0x00000004u
#define RNDIS_MSG_SET 0x00000005u
#define RNDIS_MSG_INDICATE_STATUS 0x00000007u
#define RNDIS_MSG_QUERY_CMPLT 0x80000004u
#define RNDIS_MSG_SET_CMPLT 0x80000005u

/* Status values (NDIS_STATUS_*). */
#define RNDIS_STATUS_SUCCESS 0x00000000u
#define RNDIS_STATUS_MEDIA_CONNECT 0x4001000Bu
#define RNDIS_STATUS_MEDIA_DISCONNECT 0x4001000Cu
#define RNDIS_STATUS_NOT_SUPPORTED 0xC00000BBu
#define RNDIS_STATUS_INVALID_LENGTH 0xC0010014u
#define RNDIS_STATUS_INVALID_DATA 0xC0010015u

/* The OIDs NetVSP answers (OID_GEN_*, OID_802_3_*). */
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u	/* query: u32 */
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER 0x0001010Eu	/* query/set: u32 */
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u	/* query: u32, 0 = connected */
#define RNDIS_OID_802_3_PERMANENT_ADDRESS 0x01010101u	/* query: 6 bytes */
#define RNDIS_OID_802_3_CURRENT_ADDRESS 0x01010102u	/* query: 6 bytes */

/* Packet filter bits (NDIS_PACKET_TYPE_*). 0 means "deliver nothing". */
#define RNDIS_PACKET_TYPE_DIRECTED 0x00000001u
#define RNDIS_PACKET_TYPE_MULTICAST 0x00000002u
#define RNDIS_PACKET_TYPE_ALL_MULTICAST 0x00000004u
#define RNDIS_PACKET_TYPE_BROADCAST 0x00000008u
#define RNDIS_PACKET_TYPE_PROMISCUOUS 0x00000020u

/* Media connect state values of RNDIS_OID_GEN_MEDIA_CONNECT_STATUS. */
#define RNDIS_MEDIA_STATE_CONNECTED 0u
#define RNDIS_MEDIA_STATE_DISCONNECTED 1u

/* Largest information buffer of a query answer or set request. */
#define RNDIS_INFO_MAX 64u

/* First 8 bytes of every RNDIS message. */
struct rndis_msg_hdr {
	uint32_t type;		/* RNDIS_MSG_* */
	uint32_t len;		/* whole message, header included */
};
_Static_assert(sizeof(struct rndis_msg_hdr) == 8, "rndis_msg_hdr is 8 bytes");

/*
 * One Ethernet frame: data_len bytes at data_offset from the start of the
 * message (data_offset >= sizeof(struct rndis_packet), data_offset +
 * data_len <= hdr.len).
 */
struct rndis_packet {
	struct rndis_msg_hdr hdr;
	uint32_t data_offset;
	uint32_t data_len;
};	/* RNDIS_PACKET */
_Static_assert(sizeof(struct rndis_packet) == 16, "rndis_packet is 16 bytes");

/*
 * QUERY (info_len 0) and SET (info_len bytes of value at info_offset from
 * the start of the message).
 */
struct rndis_request {
	struct rndis_msg_hdr hdr;
	uint32_t request_id;	/* echoed in the completion */
	uint32_t oid;
	uint32_t info_len;
	uint32_t info_offset;
};	/* RNDIS_QUERY_REQUEST, RNDIS_SET_REQUEST */
_Static_assert(sizeof(struct rndis_request) == 24, "rndis_request is 24 bytes");

/* QUERY_CMPLT (info as in the request) and SET_CMPLT (info_len 0). */
struct rndis_complete {
	struct rndis_msg_hdr hdr;
	uint32_t request_id;
	uint32_t status;	/* RNDIS_STATUS_* */
	uint32_t info_len;
	uint32_t info_offset;
};	/* RNDIS_QUERY_COMPLETE, RNDIS_SET_COMPLETE */
_Static_assert(sizeof(struct rndis_complete) == 24, "rndis_complete is 24 bytes");

/* The host reports a status change; here media connect/disconnect. */
struct rndis_indicate_status {
	struct rndis_msg_hdr hdr;
	uint32_t status;	/* RNDIS_STATUS_MEDIA_CONNECT / _DISCONNECT */
	uint32_t reserved;
};	/* RNDIS_INDICATE_STATUS */
_Static_assert(sizeof(struct rndis_indicate_status) == 16, "rndis_indicate_status is 16 bytes");

#endif /* IOVLAB_WIRE_RNDIS_H */
