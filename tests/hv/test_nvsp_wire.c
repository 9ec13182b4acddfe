/*
 * The NVSP/RNDIS wire contract (include/wire/nvsp.h, include/wire/rndis.h)
 * and its checkers (src/hv/nvsp_msg.c): the RNDIS OID and status numbers
 * equal the public NDIS ones in include/ndis, the SR-IOV message numbers
 * are those of the spec (128, 129), every table row is accepted exactly as
 * specified and every near miss refused, and the section bitmap both
 * buffers use allocates each section once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include <ndis/ntddndis.h>

#include "hv/nvsp_msg.h"
#include "wire/vmbus.h"

#define PIN VMBUS_PKT_DATA_INBAND
#define PCOMP VMBUS_PKT_COMP

static void test_numbers_match_ndis(void **state)
{
	(void)state;
	assert_int_equal(RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, OID_GEN_MAXIMUM_FRAME_SIZE);
	assert_int_equal(RNDIS_OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_CURRENT_PACKET_FILTER);
	assert_int_equal(RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, OID_GEN_MEDIA_CONNECT_STATUS);
	assert_int_equal(RNDIS_OID_802_3_PERMANENT_ADDRESS, OID_802_3_PERMANENT_ADDRESS);
	assert_int_equal(RNDIS_OID_802_3_CURRENT_ADDRESS, OID_802_3_CURRENT_ADDRESS);
	assert_int_equal(RNDIS_STATUS_SUCCESS, (uint32_t)NDIS_STATUS_SUCCESS);
	assert_int_equal(RNDIS_STATUS_MEDIA_CONNECT, (uint32_t)NDIS_STATUS_MEDIA_CONNECT);
	assert_int_equal(RNDIS_STATUS_MEDIA_DISCONNECT, (uint32_t)NDIS_STATUS_MEDIA_DISCONNECT);
	assert_int_equal(RNDIS_STATUS_NOT_SUPPORTED, (uint32_t)NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(RNDIS_STATUS_INVALID_LENGTH, (uint32_t)NDIS_STATUS_INVALID_LENGTH);
	assert_int_equal(RNDIS_STATUS_INVALID_DATA, (uint32_t)NDIS_STATUS_INVALID_DATA);
	assert_int_equal(RNDIS_PACKET_TYPE_DIRECTED, NDIS_PACKET_TYPE_DIRECTED);
	assert_int_equal(RNDIS_PACKET_TYPE_BROADCAST, NDIS_PACKET_TYPE_BROADCAST);
	/* ndis-sriov-spec.md 1.5 */
	assert_int_equal(NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION, 128);
	assert_int_equal(NVSP_MSG4_TYPE_SWITCH_DATA_PATH, 129);
	assert_int_equal(NVSP_DATAPATH_SYNTHETIC, 0);
	assert_int_equal(NVSP_DATAPATH_VF, 1);
	/* versions only grow */
	assert_true(NVSP_PROTO_V1 < NVSP_PROTO_V2 && NVSP_PROTO_V2 < NVSP_PROTO_V4);
	assert_int_equal(NVSP_PROTO_NEWEST, NVSP_PROTO_V4);
	assert_string_equal(nvsp_msg_name(129), "NVSP_MSG4_TYPE_SWITCH_DATA_PATH");
	assert_string_equal(nvsp_msg_name(4242), "unknown");
}

struct row {
	uint16_t pkt;
	enum nvsp_dir dir;
	uint32_t type, size;
	uint32_t version;	/* first version it is accepted at */
};

/* Every message, written out independently of nvsp_msg.c's table. */
static const struct row rows[] = {
	{ PIN, NVSP_TO_HOST, NVSP_MSG_TYPE_INIT, 16, 0 },
	{ PCOMP, NVSP_TO_GUEST, NVSP_MSG_TYPE_INIT_COMPLETE, 16, 0 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG1_TYPE_SEND_NDIS_VER, 16, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG1_TYPE_SEND_RECV_BUF, 24, NVSP_PROTO_V1 },
	{ PCOMP, NVSP_TO_GUEST, NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE, 24, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG1_TYPE_REVOKE_RECV_BUF, 16, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG1_TYPE_SEND_SEND_BUF, 24, NVSP_PROTO_V1 },
	{ PCOMP, NVSP_TO_GUEST, NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE, 24, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG1_TYPE_REVOKE_SEND_BUF, 16, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 24, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_GUEST, NVSP_MSG1_TYPE_SEND_RNDIS_PKT, 24, NVSP_PROTO_V1 },
	{ PCOMP, NVSP_TO_HOST, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, 16, NVSP_PROTO_V1 },
	{ PCOMP, NVSP_TO_GUEST, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE, 16, NVSP_PROTO_V1 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG2_TYPE_SEND_NDIS_CONFIG, 24, NVSP_PROTO_V2 },
	{ PIN, NVSP_TO_GUEST, NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION, 16, NVSP_PROTO_V4 },
	{ PCOMP, NVSP_TO_HOST, NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION, 16, NVSP_PROTO_V4 },
	{ PIN, NVSP_TO_HOST, NVSP_MSG4_TYPE_SWITCH_DATA_PATH, 16, NVSP_PROTO_V4 },
	{ PCOMP, NVSP_TO_GUEST, NVSP_MSG4_TYPE_SWITCH_DATA_PATH, 16, NVSP_PROTO_V4 },
};

static bool listed(uint16_t pkt, enum nvsp_dir dir, uint32_t type)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].pkt == pkt && rows[i].dir == dir && rows[i].type == type)
			return true;
	return false;
}

static int check(uint16_t pkt, enum nvsp_dir dir, const void *buf, uint32_t len, uint32_t ver)
{
	const char *why = "unset";
	uint32_t type = 0;
	int rc = nvsp_msg_check(pkt, buf, len, dir, ver, &type, &why);

	if (rc == 0) {
		struct nvsp_msg_hdr h;

		memcpy(&h, buf, sizeof(h));
		assert_null(why);
		assert_int_equal(type, h.type);
	} else {
		assert_int_equal(rc, -EBADMSG);
		assert_non_null(why);
	}
	return rc;
}

static void test_table(void **state)
{
	_Alignas(8) uint8_t buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		uint16_t other_pkt = r->pkt == PIN ? PCOMP : PIN;
		enum nvsp_dir other_dir = r->dir == NVSP_TO_HOST ? NVSP_TO_GUEST : NVSP_TO_HOST;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, &r->type, 4);
		if (r->type == NVSP_MSG1_TYPE_SEND_RNDIS_PKT) {
			struct nvsp_msg_rndis_pkt p = { .hdr = { .type = r->type },
							.section_size = 100 };
			memcpy(buf, &p, sizeof(p));
		}
		/* exact size at its version and later: accepted */
		assert_int_equal(check(r->pkt, r->dir, buf, r->size, r->version), 0);
		assert_int_equal(check(r->pkt, r->dir, buf, r->size, NVSP_PROTO_NEWEST), 0);
		/* one version too early, one byte short or long: refused */
		if (r->version)
			assert_int_equal(check(r->pkt, r->dir, buf, r->size, r->version - 1),
					 -EBADMSG);
		assert_int_equal(check(r->pkt, r->dir, buf, r->size - 1, NVSP_PROTO_NEWEST), -EBADMSG);
		assert_int_equal(check(r->pkt, r->dir, buf, r->size + 1, NVSP_PROTO_NEWEST), -EBADMSG);
		/* the other packet kind or direction: refused unless listed too */
		assert_int_equal(check(other_pkt, r->dir, buf, r->size, NVSP_PROTO_NEWEST),
				 listed(other_pkt, r->dir, r->type) ? 0 : -EBADMSG);
		assert_int_equal(check(r->pkt, other_dir, buf, r->size, NVSP_PROTO_NEWEST),
				 listed(r->pkt, other_dir, r->type) ? 0 : -EBADMSG);
	}
	/* short, unknown */
	assert_int_equal(check(PIN, NVSP_TO_HOST, buf, 7, NVSP_PROTO_NEWEST), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	buf[0] = 200;
	assert_int_equal(check(PIN, NVSP_TO_HOST, buf, 16, NVSP_PROTO_NEWEST), -EBADMSG);
}

static void test_rndis_pkt_sizes(void **state)
{
	struct {
		struct nvsp_msg_rndis_pkt p;
		uint8_t msg[NVSP_INLINE_MAX + 8];
	} m = { .p = { .hdr = { .type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT } } };
	uint32_t hdr = sizeof(m.p);

	(void)state;
	/* inline: the packet must be exactly header + section_size, 1..NVSP_INLINE_MAX */
	m.p.section_index = NVSP_SECTION_INLINE;
	m.p.section_size = 40;
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr + 40, NVSP_PROTO_V1), 0);
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr + 39, NVSP_PROTO_V1), -EBADMSG);
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr, NVSP_PROTO_V1), -EBADMSG);
	m.p.section_size = NVSP_INLINE_MAX;
	assert_int_equal(check(PIN, NVSP_TO_GUEST, &m, hdr + NVSP_INLINE_MAX, NVSP_PROTO_V1), 0);
	m.p.section_size = NVSP_INLINE_MAX + 1;
	assert_int_equal(check(PIN, NVSP_TO_GUEST, &m, hdr + NVSP_INLINE_MAX + 1, NVSP_PROTO_V1),
			 -EBADMSG);
	m.p.section_size = 0;
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr, NVSP_PROTO_V1), -EBADMSG);
	/* in a section: header only, 1..NVSP_SECTION_SIZE bytes */
	m.p.section_index = 3;
	m.p.section_size = NVSP_SECTION_SIZE;
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr, NVSP_PROTO_V1), 0);
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr + 8, NVSP_PROTO_V1), -EBADMSG);
	m.p.section_size = NVSP_SECTION_SIZE + 1;
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr, NVSP_PROTO_V1), -EBADMSG);
	m.p.section_size = 0;
	assert_int_equal(check(PIN, NVSP_TO_HOST, &m, hdr, NVSP_PROTO_V1), -EBADMSG);
}

static int rcheck(const void *buf, uint32_t len, enum nvsp_dir dir)
{
	const char *why = "unset";
	int rc = nvsp_rndis_check(buf, len, dir, &why);

	if (rc == 0)
		assert_null(why);
	else
		assert_non_null(why);
	return rc;
}

static void test_rndis_checker(void **state)
{
	_Alignas(8) uint8_t buf[2048] = { 0 };
	struct rndis_packet p = { .hdr = { RNDIS_MSG_PACKET, 16 + 60 }, .data_offset = 16,
				  .data_len = 60 };
	struct rndis_request q = { .hdr = { RNDIS_MSG_QUERY, 24 }, .oid = 1 };
	struct rndis_complete c = { .hdr = { RNDIS_MSG_QUERY_CMPLT, 24 + 6 }, .info_len = 6,
				    .info_offset = 24 };
	struct rndis_indicate_status st = { .hdr = { RNDIS_MSG_INDICATE_STATUS, 16 },
					    .status = RNDIS_STATUS_MEDIA_CONNECT };
	const char *why;

	(void)state;
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(rcheck(buf, 76, NVSP_TO_HOST), 0);
	assert_int_equal(rcheck(buf, 76, NVSP_TO_GUEST), 0);
	assert_int_equal(rcheck(buf, 77, NVSP_TO_HOST), -EBADMSG);	/* len mismatch */
	assert_int_equal(rcheck(buf, 7, NVSP_TO_HOST), -EBADMSG);
	p.data_len = 13;	/* shorter than an Ethernet header */
	p.hdr.len = 16 + 13;
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(rcheck(buf, 29, NVSP_TO_HOST), -EBADMSG);
	p = (struct rndis_packet){ { RNDIS_MSG_PACKET, 16 + 1519 }, 16, 1519 };	/* too long */
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(rcheck(buf, 16 + 1519, NVSP_TO_HOST), -EBADMSG);
	p = (struct rndis_packet){ { RNDIS_MSG_PACKET, 16 + 1518 }, 16, 1518 };
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(rcheck(buf, 16 + 1518, NVSP_TO_HOST), 0);
	p = (struct rndis_packet){ { RNDIS_MSG_PACKET, 100 }, 8, 60 };	/* inside the header */
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(rcheck(buf, 100, NVSP_TO_HOST), -EBADMSG);
	p = (struct rndis_packet){ { RNDIS_MSG_PACKET, 100 }, 0xfffffff0u, 60 };	/* wraps */
	memcpy(buf, &p, sizeof(p));
	assert_int_equal(rcheck(buf, 100, NVSP_TO_HOST), -EBADMSG);
	assert_int_equal(nvsp_rndis_check_packet(&p, 100, &why), -EBADMSG);

	memcpy(buf, &q, sizeof(q));
	assert_int_equal(rcheck(buf, 24, NVSP_TO_HOST), 0);
	assert_int_equal(rcheck(buf, 24, NVSP_TO_GUEST), -EBADMSG);	/* requests go up only */
	q.hdr.len = 24 + 4;
	q.hdr.type = RNDIS_MSG_SET;
	q.info_len = 4;
	q.info_offset = 24;
	memcpy(buf, &q, sizeof(q));
	assert_int_equal(rcheck(buf, 28, NVSP_TO_HOST), 0);
	q.info_offset = 25;	/* runs past the end */
	memcpy(buf, &q, sizeof(q));
	assert_int_equal(rcheck(buf, 28, NVSP_TO_HOST), -EBADMSG);
	q.info_offset = 4;	/* inside the header */
	memcpy(buf, &q, sizeof(q));
	assert_int_equal(rcheck(buf, 28, NVSP_TO_HOST), -EBADMSG);
	q = (struct rndis_request){ { RNDIS_MSG_SET, 24 + RNDIS_INFO_MAX + 1 }, 0, 1,
				    RNDIS_INFO_MAX + 1, 24 };
	memcpy(buf, &q, sizeof(q));
	assert_int_equal(rcheck(buf, 24 + RNDIS_INFO_MAX + 1, NVSP_TO_HOST), -EBADMSG);

	memcpy(buf, &c, sizeof(c));
	assert_int_equal(rcheck(buf, 30, NVSP_TO_GUEST), 0);
	assert_int_equal(rcheck(buf, 30, NVSP_TO_HOST), -EBADMSG);	/* completions go down */

	memcpy(buf, &st, sizeof(st));
	assert_int_equal(rcheck(buf, 16, NVSP_TO_GUEST), 0);
	assert_int_equal(rcheck(buf, 16, NVSP_TO_HOST), -EBADMSG);
	buf[0] = 0x99;	/* unknown type */
	assert_int_equal(rcheck(buf, 16, NVSP_TO_GUEST), -EBADMSG);
}

static void test_put_packet_roundtrip(void **state)
{
	_Alignas(8) uint8_t frame[NVSP_FRAME_MAX], buf[NVSP_SECTION_SIZE];
	struct nvsp_frame f = { frame, NVSP_FRAME_MAX };
	struct rndis_packet p;
	const char *why;
	uint32_t len;

	(void)state;
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 3);
	len = nvsp_rndis_put_packet(buf, &f);
	assert_true(len <= NVSP_SECTION_SIZE);	/* a largest frame fits a section */
	assert_int_equal(rcheck(buf, len, NVSP_TO_GUEST), 0);
	memcpy(&p, buf, sizeof(p));
	assert_int_equal(nvsp_rndis_check_packet(&p, len, &why), 0);
	assert_memory_equal(buf + p.data_offset, frame, NVSP_FRAME_MAX);
	f.len = NVSP_FRAME_MIN - 1;
	assert_false(nvsp_frame_ok(&f));
	f.len = NVSP_FRAME_MAX + 1;
	assert_false(nvsp_frame_ok(&f));
	f.len = NVSP_FRAME_MIN;
	assert_true(nvsp_frame_ok(&f));
}

static void test_secmap(void **state)
{
	struct nvsp_secmap m;
	bool seen[130] = { false };

	(void)state;
	assert_int_equal(nvsp_secmap_init(&m, 130), 0);
	assert_int_equal(nvsp_secmap_next(&m, 0), -1);
	for (int i = 0; i < 130; i++) {
		int64_t k = nvsp_secmap_alloc(&m);

		assert_true(k >= 0 && k < 130);
		assert_false(seen[k]);
		seen[k] = true;
	}
	assert_int_equal(m.used, 130);
	assert_int_equal(nvsp_secmap_alloc(&m), -1);	/* all taken */
	nvsp_secmap_clear(&m, 129);
	nvsp_secmap_clear(&m, 64);
	nvsp_secmap_clear(&m, 64);	/* twice: no double count */
	assert_int_equal(m.used, 128);
	assert_false(nvsp_secmap_test(&m, 64));
	{
		int64_t a = nvsp_secmap_alloc(&m), b = nvsp_secmap_alloc(&m);

		assert_true((a == 64 && b == 129) || (a == 129 && b == 64));
	}
	assert_int_equal(nvsp_secmap_alloc(&m), -1);
	nvsp_secmap_fini(&m);

	assert_int_equal(nvsp_secmap_init(&m, 200), 0);
	nvsp_secmap_set(&m, 3);
	nvsp_secmap_set(&m, 70);
	nvsp_secmap_set(&m, 199);
	assert_int_equal(nvsp_secmap_next(&m, 0), 3);
	assert_int_equal(nvsp_secmap_next(&m, 4), 70);
	assert_int_equal(nvsp_secmap_next(&m, 71), 199);
	assert_int_equal(nvsp_secmap_next(&m, 200), -1);
	nvsp_secmap_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_match_ndis),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_rndis_pkt_sizes),
		cmocka_unit_test(test_rndis_checker),
		cmocka_unit_test(test_put_packet_roundtrip),
		cmocka_unit_test(test_secmap),
	};

	return cmocka_run_group_tests_name("hv/nvsp_wire", tests, NULL, NULL);
}
