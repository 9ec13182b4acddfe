/*
 * The NVSP message table and the RNDIS checker behind nvsp_msg.h. Every
 * message of wire/nvsp.h has one row here; a packet that matches no row
 * exactly (VMBus packet kind, type, direction, size, version) is refused
 * before any field is read, on both sides.
 */
#include "hv/nvsp_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/vmbus.h"

struct nvsp_msg_info {
	uint32_t type;
	const char *name;
	uint16_t pkt;		/* VMBUS_PKT_DATA_INBAND or VMBUS_PKT_COMP */
	uint8_t dirs;		/* enum nvsp_dir bits */
	uint32_t size;		/* exact; an inline RNDIS packet adds its message */
	uint32_t version;	/* first protocol version that has it */
};

#define IN VMBUS_PKT_DATA_INBAND
#define COMP VMBUS_PKT_COMP
#define BOTH (NVSP_TO_GUEST | NVSP_TO_HOST)
#define ROW(t, p, d, s, v) { t, #t, p, d, sizeof(s), v }

static const struct nvsp_msg_info nvsp_msgs[] = {
	ROW(NVSP_MSG_TYPE_INIT, IN, NVSP_TO_HOST, struct nvsp_msg_init, 0),
	ROW(NVSP_MSG_TYPE_INIT_COMPLETE, COMP, NVSP_TO_GUEST, struct nvsp_msg_init_complete, 0),
	ROW(NVSP_MSG1_TYPE_SEND_NDIS_VER, IN, NVSP_TO_HOST, struct nvsp_msg_ndis_ver,
	    NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_SEND_RECV_BUF, IN, NVSP_TO_HOST, struct nvsp_msg_send_buf,
	    NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE, COMP, NVSP_TO_GUEST,
	    struct nvsp_msg_send_buf_complete, NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_REVOKE_RECV_BUF, IN, NVSP_TO_HOST, struct nvsp_msg_revoke_buf,
	    NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_SEND_SEND_BUF, IN, NVSP_TO_HOST, struct nvsp_msg_send_buf,
	    NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE, COMP, NVSP_TO_GUEST,
	    struct nvsp_msg_send_buf_complete, NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_REVOKE_SEND_BUF, IN, NVSP_TO_HOST, struct nvsp_msg_revoke_buf,
	    NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_SEND_RNDIS_PKT, IN, BOTH, struct nvsp_msg_rndis_pkt, NVSP_PROTO_V1),
	ROW(NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, COMP, BOTH,
	    struct nvsp_msg_rndis_pkt_complete, NVSP_PROTO_V1),
	ROW(NVSP_MSG2_TYPE_SEND_NDIS_CONFIG, IN, NVSP_TO_HOST, struct nvsp_msg_ndis_config,
	    NVSP_PROTO_V2),
	ROW(NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION, IN, NVSP_TO_GUEST,
	    struct nvsp_msg_vf_association, NVSP_PROTO_V4),
	ROW(NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION, COMP, NVSP_TO_HOST, struct nvsp_msg_vf_ack,
	    NVSP_PROTO_V4),
	ROW(NVSP_MSG4_TYPE_SWITCH_DATA_PATH, IN, NVSP_TO_HOST, struct nvsp_msg_switch_data_path,
	    NVSP_PROTO_V4),
	ROW(NVSP_MSG4_TYPE_SWITCH_DATA_PATH, COMP, NVSP_TO_GUEST, struct nvsp_msg_vf_ack,
	    NVSP_PROTO_V4),
};

#undef IN
#undef COMP
#undef BOTH
#undef ROW

const char *nvsp_msg_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(nvsp_msgs) / sizeof(nvsp_msgs[0]); i++)
		if (nvsp_msgs[i].type == type)
			return nvsp_msgs[i].name;
	return "unknown";
}

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EBADMSG;
}

int nvsp_msg_check(uint16_t pkt_type, const void *buf, uint32_t len, enum nvsp_dir dir,
		   uint32_t version, uint32_t *type, const char **why)
{
	const struct nvsp_msg_info *m = NULL;
	struct nvsp_msg_hdr hdr;
	bool known = false;

	if (len < sizeof(hdr))
		return bad(why, "shorter than an NVSP header");
	memcpy(&hdr, buf, sizeof(hdr));
	for (size_t i = 0; i < sizeof(nvsp_msgs) / sizeof(nvsp_msgs[0]); i++) {
		if (nvsp_msgs[i].type != hdr.type)
			continue;
		known = true;
		if (nvsp_msgs[i].pkt == pkt_type && (nvsp_msgs[i].dirs & dir))
			m = &nvsp_msgs[i];
	}
	if (!known)
		return bad(why, "unknown NVSP message type");
	if (!m)
		return bad(why, "message type not allowed as this packet kind in this direction");
	if (version < m->version)
		return bad(why, "message type not in the negotiated protocol version");
	if (hdr.type == NVSP_MSG1_TYPE_SEND_RNDIS_PKT && pkt_type == VMBUS_PKT_DATA_INBAND &&
	    len >= sizeof(struct nvsp_msg_rndis_pkt)) {
		struct nvsp_msg_rndis_pkt p;

		memcpy(&p, buf, sizeof(p));
		if (p.section_index == NVSP_SECTION_INLINE) {
			if (p.section_size == 0 || p.section_size > NVSP_INLINE_MAX)
				return bad(why, "inline RNDIS message empty or too long");
			if (len != sizeof(p) + p.section_size)
				return bad(why, "inline RNDIS message length does not match the packet");
			*type = hdr.type;
			*why = NULL;
			return 0;
		}
		if (p.section_size == 0 || p.section_size > NVSP_SECTION_SIZE)
			return bad(why, "RNDIS message size outside a section");
	}
	if (len != m->size)
		return bad(why, "wrong size for its type");
	*type = hdr.type;
	*why = NULL;
	return 0;
}

/* Is [off, off + n) inside a message of len bytes, not overlapping its first hdr bytes? */
static bool span_ok(uint32_t off, uint32_t n, uint32_t hdr, uint32_t len)
{
	if (n == 0)
		return true;
	return off >= hdr && (uint64_t)off + n <= len;
}

int nvsp_rndis_check_packet(const struct rndis_packet *p, uint32_t len, const char **why)
{
	if (p->hdr.type != RNDIS_MSG_PACKET)
		return bad(why, "not an RNDIS packet");
	if (p->hdr.len != len || len < sizeof(*p))
		return bad(why, "RNDIS length does not match the message");
	if (p->data_len < NVSP_FRAME_MIN || p->data_len > NVSP_FRAME_MAX)
		return bad(why, "frame length outside 14..1518 bytes");
	if (!span_ok(p->data_offset, p->data_len, sizeof(*p), len))
		return bad(why, "frame outside the RNDIS packet");
	*why = NULL;
	return 0;
}

int nvsp_rndis_check(const void *buf, uint32_t len, enum nvsp_dir dir, const char **why)
{
	struct rndis_msg_hdr hdr;

	if (len < sizeof(hdr))
		return bad(why, "shorter than an RNDIS header");
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.len != len)
		return bad(why, "RNDIS length does not match the message");
	switch (hdr.type) {
	case RNDIS_MSG_PACKET: {
		struct rndis_packet p;

		if (len < sizeof(p))
			return bad(why, "RNDIS packet shorter than its header");
		memcpy(&p, buf, sizeof(p));
		return nvsp_rndis_check_packet(&p, len, why);
	}
	case RNDIS_MSG_QUERY:
	case RNDIS_MSG_SET:
	case RNDIS_MSG_QUERY_CMPLT:
	case RNDIS_MSG_SET_CMPLT: {
		bool request = hdr.type == RNDIS_MSG_QUERY || hdr.type == RNDIS_MSG_SET;
		struct rndis_request r;	/* same offsets of info_len/info_offset as rndis_complete */

		if (request != (dir == NVSP_TO_HOST))
			return bad(why, "RNDIS message type not allowed in this direction");
		if (len < sizeof(r))
			return bad(why, "RNDIS request or completion shorter than its header");
		memcpy(&r, buf, sizeof(r));
		if (r.info_len > RNDIS_INFO_MAX)
			return bad(why, "RNDIS information buffer too long");
		if (!span_ok(r.info_offset, r.info_len, sizeof(r), len))
			return bad(why, "RNDIS information buffer outside the message");
		break;
	}
	case RNDIS_MSG_INDICATE_STATUS:
		if (dir != NVSP_TO_GUEST)
			return bad(why, "RNDIS status indication from the guest");
		if (len != sizeof(struct rndis_indicate_status))
			return bad(why, "RNDIS status indication of the wrong size");
		break;
	default:
		return bad(why, "unknown RNDIS message type");
	}
	*why = NULL;
	return 0;
}

_Static_assert(__builtin_offsetof(struct rndis_request, info_len) ==
		       __builtin_offsetof(struct rndis_complete, info_len) &&
	       __builtin_offsetof(struct rndis_request, info_offset) ==
		       __builtin_offsetof(struct rndis_complete, info_offset),
	       "nvsp_rndis_check reads requests and completions alike");

bool nvsp_frame_ok(const struct nvsp_frame *f)
{
	return f->len >= NVSP_FRAME_MIN && f->len <= NVSP_FRAME_MAX;
}

uint32_t nvsp_rndis_put_packet(void *dst, const struct nvsp_frame *f)
{
	struct rndis_packet p = {
		.hdr = { .type = RNDIS_MSG_PACKET, .len = (uint32_t)sizeof(p) + f->len },
		.data_offset = sizeof(p),
		.data_len = f->len,
	};

	memcpy(dst, &p, sizeof(p));
	memcpy((uint8_t *)dst + sizeof(p), f->data, f->len);
	return p.hdr.len;
}

/* ---- section bitmap ----------------------------------------------------- */

int nvsp_secmap_init(struct nvsp_secmap *m, uint32_t count)
{
	memset(m, 0, sizeof(*m));
	if (count) {
		m->bits = calloc((count + 63) / 64, sizeof(uint64_t));
		if (!m->bits)
			return -ENOMEM;
	}
	m->count = count;
	return 0;
}

void nvsp_secmap_fini(struct nvsp_secmap *m)
{
	free(m->bits);
	memset(m, 0, sizeof(*m));
}

bool nvsp_secmap_test(const struct nvsp_secmap *m, uint32_t i)
{
	return (m->bits[i / 64] >> (i % 64)) & 1u;
}

void nvsp_secmap_set(struct nvsp_secmap *m, uint32_t i)
{
	if (!nvsp_secmap_test(m, i)) {
		m->bits[i / 64] |= 1ull << (i % 64);
		m->used++;
	}
}

void nvsp_secmap_clear(struct nvsp_secmap *m, uint32_t i)
{
	if (nvsp_secmap_test(m, i)) {
		m->bits[i / 64] &= ~(1ull << (i % 64));
		m->used--;
	}
}

int64_t nvsp_secmap_alloc(struct nvsp_secmap *m)
{
	uint32_t words = (m->count + 63) / 64;

	if (m->used == m->count)
		return -1;
	/* Rotate from the hint so sections are reused round-robin. */
	for (uint32_t k = 0; k <= words; k++) {
		uint32_t w = (m->hint / 64 + k) % words;
		uint64_t free_bits = ~m->bits[w];

		while (free_bits) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(free_bits);

			if (i >= m->count)
				break;
			nvsp_secmap_set(m, i);
			m->hint = i + 1 < m->count ? i + 1 : 0;
			return i;
		}
	}
	return -1;
}

int64_t nvsp_secmap_next(const struct nvsp_secmap *m, uint32_t from)
{
	for (uint32_t w = from / 64; w < (m->count + 63) / 64; w++) {
		uint64_t bits = m->bits[w];

		if (w == from / 64)
			bits &= ~0ull << (from % 64);
		if (bits)
			return w * 64 + (uint32_t)__builtin_ctzll(bits);
	}
	return -1;
}

/* ---- section buffers ---------------------------------------------------- */

unsigned nvsp_sections_put(struct nvsp_secmap *busy, uint8_t *base,
			   const struct nvsp_frame *frames, unsigned n,
			   struct nvsp_msg_rndis_pkt *msgs, struct vmbus_pkt *pkts)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		int64_t idx = nvsp_secmap_alloc(busy);

		if (idx < 0)
			break;
		msgs[k] = (struct nvsp_msg_rndis_pkt){
			.hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT },
			.channel_type = NVSP_RNDIS_CHANNEL_DATA,
			.section_index = (uint32_t)idx,
			.section_size = nvsp_rndis_put_packet(base + (size_t)idx * NVSP_SECTION_SIZE,
							      &frames[k]),
		};
		pkts[k] = (struct vmbus_pkt){
			.type = VMBUS_PKT_DATA_INBAND,
			.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			.trans_id = NVSP_TID(NVSP_TID_DATA, idx),
			.data = &msgs[k],
			.len = sizeof(msgs[k]),
		};
	}
	return k;
}

void nvsp_sections_unsent(struct nvsp_secmap *busy, const struct nvsp_msg_rndis_pkt *msgs,
			  unsigned sent, unsigned k)
{
	for (unsigned i = sent; i < k; i++)
		nvsp_secmap_clear(busy, msgs[i].section_index);
}

unsigned nvsp_sections_completions(const struct nvsp_secmap *owed, const struct nvsp_secmap *bad,
				   struct vmbus_pkt *pkts, uint32_t *idx, unsigned max)
{
	static const struct nvsp_msg_rndis_pkt_complete ok = {
		.hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE },
		.status = NVSP_STATUS_SUCCESS,
	};
	static const struct nvsp_msg_rndis_pkt_complete invalid = {
		.hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE },
		.status = NVSP_STATUS_INVALID_RNDIS_PKT,
	};
	unsigned k = 0;

	for (int64_t i = nvsp_secmap_next(owed, 0); i >= 0 && k < max;
	     i = nvsp_secmap_next(owed, (uint32_t)i + 1)) {
		bool is_bad = bad && nvsp_secmap_test(bad, (uint32_t)i);

		idx[k] = (uint32_t)i;
		pkts[k++] = (struct vmbus_pkt){
			.type = VMBUS_PKT_COMP,
			.trans_id = NVSP_TID(NVSP_TID_DATA, i),
			.data = is_bad ? &invalid : &ok,
			.len = sizeof(ok),
		};
	}
	return k;
}
