/*
 * NVSP as iovlab models it: the messages between NetVSP (the host's
 * synthetic network service provider, one per VM network adapter, part of
 * the vSwitch) and NetVsc (the guest's synthetic NIC driver) over one VMBus
 * channel (wire/vmbus.h). Every NVSP message is the payload of one VMBus
 * packet: requests and notifications travel as VMBUS_PKT_DATA_INBAND,
 * answers as VMBUS_PKT_COMP echoing the request's trans_id. RNDIS messages
 * (wire/rndis.h) ride inside NVSP_MSG1_TYPE_SEND_RNDIS_PKT.
 *
 * Modelled on the public Linux drivers/net/hyperv/hyperv_net.h set and its
 * numbering (type values, protocol versions, status codes, capability bit
 * positions), described here in our own words. Deliberate differences:
 * buffers are one contiguous GPA range each instead of a GPADL (guest memory
 * is one file here, see docs/hv/vmbus.md), both buffers are cut into
 * sections of one fixed size, every message has an exact size, and the
 * acknowledgements of SEND_VF_ASSOCIATION and SWITCH_DATA_PATH are explicit
 * completions with a status. Sequences, the data-path state diagram and the
 * ordering argument: docs/hv/netvsc.md. Spec: ndis-sriov-spec.md 1.2-1.5.
 */
#ifndef IOVLAB_WIRE_NVSP_H
#define IOVLAB_WIRE_NVSP_H

#include <stdint.h>

/* Channel class of the synthetic NIC (Hyper-V's network device class
 * f8615163-df3e-46c5-913f-f2d2f965ed0e, GUID byte order). An initializer
 * for struct vmbus_guid. */
#define NVSP_CHANNEL_TYPE                                                                 \
	{ { 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91, 0x3f, 0xf2, 0xd2, 0xf9,  \
	    0x65, 0xed, 0x0e } }

/* ---- versions ----------------------------------------------------------- */

/*
 * NVSP protocol versions (NVSP_PROTOCOL_VERSION_*), oldest first. Append
 * only: a version, once listed, keeps its number and meaning.
 */
#define NVSP_PROTO_V1 0x00000002u	/* init, buffers, RNDIS packets, completions */
#define NVSP_PROTO_V2 0x00030002u	/* + NDIS config (MTU, capabilities) */
#define NVSP_PROTO_V4 0x00040000u	/* + VF association, switch data path */
#define NVSP_PROTO_NEWEST NVSP_PROTO_V4

/* NDIS version NetVsc reports in SEND_NDIS_VER (6.30: the SR-IOV baseline). */
#define NVSP_NDIS_MAJOR 6u
#define NVSP_NDIS_MINOR 30u

/* ---- message types ------------------------------------------------------ */

/* Values of Linux's enum nvsp_msg_type (NVSP_MSG*_TYPE_*). */
#define NVSP_MSG_TYPE_INIT 1u				/* g->h, answered by INIT_COMPLETE */
#define NVSP_MSG_TYPE_INIT_COMPLETE 2u			/* h->g completion */
#define NVSP_MSG1_TYPE_SEND_NDIS_VER 100u		/* g->h, no answer */
#define NVSP_MSG1_TYPE_SEND_RECV_BUF 101u		/* g->h, answered */
#define NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE 102u	/* h->g completion */
#define NVSP_MSG1_TYPE_REVOKE_RECV_BUF 103u		/* g->h, no answer */
#define NVSP_MSG1_TYPE_SEND_SEND_BUF 104u		/* g->h, answered */
#define NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE 105u	/* h->g completion */
#define NVSP_MSG1_TYPE_REVOKE_SEND_BUF 106u		/* g->h, no answer */
#define NVSP_MSG1_TYPE_SEND_RNDIS_PKT 107u		/* both ways */
#define NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE 108u	/* completion, both ways */
#define NVSP_MSG2_TYPE_SEND_NDIS_CONFIG 125u		/* g->h, no answer */
#define NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION 128u		/* h->g; g->h completion */
#define NVSP_MSG4_TYPE_SWITCH_DATA_PATH 129u		/* g->h; h->g completion */

/* Status in completions (enum nvsp_status). */
#define NVSP_STATUS_NONE 0u
#define NVSP_STATUS_SUCCESS 1u
#define NVSP_STATUS_FAILED 2u
#define NVSP_STATUS_PROTOCOL_TOO_NEW 3u
#define NVSP_STATUS_PROTOCOL_TOO_OLD 4u
#define NVSP_STATUS_INVALID_RNDIS_PKT 5u
#define NVSP_STATUS_BUSY 6u

/* ---- transaction ids ---------------------------------------------------- */

/*
 * trans_id of the VMBus packet: the top byte says what a completion
 * answers, so each side recognises it without a lookup table (the reserved
 * ids of OpenVMM's netvsp, prior-art.md section A). The low 32 bits are
 * the section index (DATA) or the sender's sequence number.
 */
#define NVSP_TID_KIND_SHIFT 56
#define NVSP_TID_KIND(tid) ((uint8_t)((tid) >> NVSP_TID_KIND_SHIFT))
#define NVSP_TID_LOW(tid) ((uint32_t)(tid))
#define NVSP_TID_DATA 0x00u		/* RNDIS packet in a section: low = section index */
#define NVSP_TID_CONTROL 0x01u		/* INIT, SEND_*_BUF: low = request sequence */
#define NVSP_TID_INLINE 0x02u		/* RNDIS message inline, no completion wanted */
#define NVSP_TID_VF_ASSOCIATION 0x80u	/* SEND_VF_ASSOCIATION: low = host sequence */
#define NVSP_TID_SWITCH_DATA_PATH 0x81u	/* SWITCH_DATA_PATH: low = guest sequence */
#define NVSP_TID(kind, low) (((uint64_t)(kind) << NVSP_TID_KIND_SHIFT) | (uint32_t)(low))

/* ---- buffers and frames ------------------------------------------------- */

/*
 * Both buffers (receive: host writes, guest reads; send: guest writes, host
 * reads) are cut into sections of this size. A section holds one RNDIS
 * message; its writer owns it until the reader completes the packet that
 * named it.
 */
#define NVSP_SECTION_SIZE 2048u
#define NVSP_SECTIONS_MAX 4096u		/* per buffer */
#define NVSP_SECTION_INLINE 0xffffffffu	/* "the RNDIS message follows inline" */

/* Largest inline RNDIS message (control messages; frames use sections). */
#define NVSP_INLINE_MAX 512u

/* Ethernet frames: header at least, 1514 bytes plus an 802.1Q tag at most. */
#define NVSP_FRAME_MIN 14u
#define NVSP_FRAME_MAX 1518u
#define NVSP_MTU_DEFAULT 1500u

/* Capability bits of SEND_NDIS_CONFIG (bit positions of Linux's ndis_config). */
#define NVSP_CAP_VMQ (1ull << 0)
#define NVSP_CAP_CHIMNEY (1ull << 1)
#define NVSP_CAP_SRIOV (1ull << 2)	/* "send me VF associations" */
#define NVSP_CAP_IEEE8021Q (1ull << 3)

/* SWITCH_DATA_PATH active_datapath values (NVSP_DATAPATH_*). */
#define NVSP_DATAPATH_SYNTHETIC 0u
#define NVSP_DATAPATH_VF 1u

/* SEND_RNDIS_PKT channel_type values. */
#define NVSP_RNDIS_CHANNEL_DATA 0u
#define NVSP_RNDIS_CHANNEL_CONTROL 1u

/* ---- messages ----------------------------------------------------------- */

/* First 8 bytes of every NVSP message (nvsp_message_header, padded). */
struct nvsp_msg_hdr {
	uint32_t type;		/* NVSP_MSG*_TYPE_* */
	uint32_t reserved;	/* 0 */
};
_Static_assert(sizeof(struct nvsp_msg_hdr) == 8, "nvsp_msg_hdr is 8 bytes");

/*
 * The guest asks for one protocol version (min == max; it tries its list
 * newest first, as Linux and DPDK do). Completion requested.
 */
struct nvsp_msg_init {
	struct nvsp_msg_hdr hdr;
	uint32_t min_version;
	uint32_t max_version;
};	/* NVSP_MESSAGE_INIT */
_Static_assert(sizeof(struct nvsp_msg_init) == 16, "nvsp_msg_init is 16 bytes");

struct nvsp_msg_init_complete {
	struct nvsp_msg_hdr hdr;
	uint32_t version;	/* the version now in force, 0 if refused */
	uint32_t status;	/* NVSP_STATUS_* */
};	/* NVSP_MESSAGE_INIT_COMPLETE */
_Static_assert(sizeof(struct nvsp_msg_init_complete) == 16, "nvsp_msg_init_complete is 16 bytes");

struct nvsp_msg_ndis_ver {
	struct nvsp_msg_hdr hdr;
	uint32_t major;
	uint32_t minor;
};	/* NVSP_1_MESSAGE_SEND_NDIS_VERSION */
_Static_assert(sizeof(struct nvsp_msg_ndis_ver) == 16, "nvsp_msg_ndis_ver is 16 bytes");

/* V2: what the guest's miniport is configured for. Needs no answer. */
struct nvsp_msg_ndis_config {
	struct nvsp_msg_hdr hdr;
	uint32_t mtu;		/* Ethernet payload bytes, 68..1500 */
	uint32_t reserved;
	uint64_t capabilities;	/* NVSP_CAP_* */
};	/* NVSP_2_MESSAGE_SEND_NDIS_CONFIG */
_Static_assert(sizeof(struct nvsp_msg_ndis_config) == 24, "nvsp_msg_ndis_config is 24 bytes");

/*
 * SEND_RECV_BUF and SEND_SEND_BUF: the guest lends [gpa, gpa + len) as the
 * receive or send buffer. Page aligned, a whole number of sections, inside
 * guest memory. Completion requested.
 */
struct nvsp_msg_send_buf {
	struct nvsp_msg_hdr hdr;
	uint64_t gpa;
	uint32_t len;
	uint16_t id;		/* guest's name for the buffer, echoed by REVOKE */
	uint16_t reserved;
};	/* NVSP_1_MESSAGE_SEND_RECEIVE_BUFFER, NVSP_1_MESSAGE_SEND_SEND_BUFFER */
_Static_assert(sizeof(struct nvsp_msg_send_buf) == 24, "nvsp_msg_send_buf is 24 bytes");

/* SEND_RECV_BUF_COMPLETE and SEND_SEND_BUF_COMPLETE. */
struct nvsp_msg_send_buf_complete {
	struct nvsp_msg_hdr hdr;
	uint32_t status;
	uint32_t section_size;	/* NVSP_SECTION_SIZE */
	uint32_t section_count;
	uint32_t reserved;
};	/* NVSP_1_MESSAGE_SEND_RECEIVE_BUFFER_COMPLETE, ..._SEND_BUFFER_COMPLETE */
_Static_assert(sizeof(struct nvsp_msg_send_buf_complete) == 24,
	       "nvsp_msg_send_buf_complete is 24 bytes");

/* REVOKE_RECV_BUF and REVOKE_SEND_BUF: the guest takes the buffer back. */
struct nvsp_msg_revoke_buf {
	struct nvsp_msg_hdr hdr;
	uint16_t id;
	uint16_t reserved0;
	uint32_t reserved1;
};	/* NVSP_1_MESSAGE_REVOKE_RECEIVE_BUFFER, ..._SEND_BUFFER */
_Static_assert(sizeof(struct nvsp_msg_revoke_buf) == 16, "nvsp_msg_revoke_buf is 16 bytes");

/*
 * One RNDIS message. With section_index < section count it lies in that
 * section of the sender's buffer (host: receive buffer, guest: send
 * buffer), section_size bytes long, and the sender wants a completion
 * (trans_id NVSP_TID_DATA | index) before it reuses the section. With
 * NVSP_SECTION_INLINE, section_size bytes of RNDIS message follow this
 * struct in the same VMBus packet (at most NVSP_INLINE_MAX) and no
 * completion is wanted.
 */
struct nvsp_msg_rndis_pkt {
	struct nvsp_msg_hdr hdr;
	uint32_t channel_type;	/* NVSP_RNDIS_CHANNEL_* */
	uint32_t section_index;
	uint32_t section_size;	/* bytes of RNDIS message */
	uint32_t reserved;
};	/* NVSP_1_MESSAGE_SEND_RNDIS_PACKET */
_Static_assert(sizeof(struct nvsp_msg_rndis_pkt) == 24, "nvsp_msg_rndis_pkt is 24 bytes");

/* Completion of a section-borne RNDIS packet: the section is free again. */
struct nvsp_msg_rndis_pkt_complete {
	struct nvsp_msg_hdr hdr;
	uint32_t status;	/* NVSP_STATUS_SUCCESS, or INVALID_RNDIS_PKT */
	uint32_t reserved;
};	/* NVSP_1_MESSAGE_SEND_RNDIS_PACKET_COMPLETE */
_Static_assert(sizeof(struct nvsp_msg_rndis_pkt_complete) == 16,
	       "nvsp_msg_rndis_pkt_complete is 16 bytes");

/*
 * V4, host -> guest: the VF with this serial number belongs to this
 * adapter (allocated = 1), or no longer does (allocated = 0: the guest must
 * switch back to synthetic before it acknowledges). Sent only to a guest
 * that announced NVSP_CAP_SRIOV. trans_id NVSP_TID_VF_ASSOCIATION | seq;
 * the guest acknowledges with struct nvsp_msg_vf_ack.
 */
struct nvsp_msg_vf_association {
	struct nvsp_msg_hdr hdr;
	uint32_t allocated;	/* 1: serial is valid */
	uint32_t serial;	/* the VF's serial (OID_SRIOV_VF_SERIAL_NUMBER) */
};	/* NVSP_4_MESSAGE_SEND_VF_ASSOCIATION */
_Static_assert(sizeof(struct nvsp_msg_vf_association) == 16,
	       "nvsp_msg_vf_association is 16 bytes");

/*
 * V4, guest -> host: from now on I send through (and expect to receive on)
 * this data path. trans_id NVSP_TID_SWITCH_DATA_PATH | seq; the host
 * acknowledges with struct nvsp_msg_vf_ack, and the guest does not use the
 * new path before that (docs/hv/netvsc.md, "ordering").
 */
struct nvsp_msg_switch_data_path {
	struct nvsp_msg_hdr hdr;
	uint32_t active_datapath;	/* NVSP_DATAPATH_* */
	uint32_t reserved;
};	/* NVSP_4_MESSAGE_SWITCH_DATA_PATH */
_Static_assert(sizeof(struct nvsp_msg_switch_data_path) == 16,
	       "nvsp_msg_switch_data_path is 16 bytes");

/*
 * Completion of SEND_VF_ASSOCIATION (guest -> host) and SWITCH_DATA_PATH
 * (host -> guest); hdr.type is the type of the message acknowledged. An
 * iovlab addition: Hyper-V completes these with an empty completion.
 */
struct nvsp_msg_vf_ack {
	struct nvsp_msg_hdr hdr;
	uint32_t status;	/* NVSP_STATUS_SUCCESS or FAILED (switch refused) */
	uint32_t value;		/* echo: allocated, or active_datapath now in force */
};	/* (no Windows name) */
_Static_assert(sizeof(struct nvsp_msg_vf_ack) == 16, "nvsp_msg_vf_ack is 16 bytes");

/* Largest NVSP payload of one VMBus packet: an inline RNDIS message. */
#define NVSP_PKT_MAX (sizeof(struct nvsp_msg_rndis_pkt) + NVSP_INLINE_MAX)

#endif /* IOVLAB_WIRE_NVSP_H */
