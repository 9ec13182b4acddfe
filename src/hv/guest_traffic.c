/*
 * The guest traffic source and sink (guest_traffic.h): numbered frames out
 * through the guest traffic protocol driver, and the count of what comes
 * back in -- distinct, lost, duplicated, reordered. The frame format and the
 * sequence checker are NDIS-free so the far end of a test uses them too.
 */
#include "hv/guest_traffic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define GT_MAGIC 0x46525447u	/* "GTRF" */
#define GT_BATCH 64u

/* ---- frame format --------------------------------------------------------- */
uint32_t guest_traffic_frame_len(uint64_t seq, uint32_t min, uint32_t max)
{
	if (min < GUEST_TRAFFIC_FRAME_MIN)
		min = GUEST_TRAFFIC_FRAME_MIN;
	if (max > GUEST_TRAFFIC_FRAME_MAX || max < min)
		max = max < min ? min : GUEST_TRAFFIC_FRAME_MAX;
	return min + (uint32_t)((seq * 37u) % (max - min + 1u));
}

static uint8_t gt_pattern(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7u + i);
}

/*
 * The pattern eight bytes at a time (the source and sink run per frame on
 * the benchmark's path): the bytes at i..i+7 as one word, and the next
 * word -- every byte plus 8, modulo 256, without carries between bytes.
 */
static uint64_t gt_pattern_word(uint64_t seq, uint32_t i)
{
	uint8_t b[8];
	uint64_t w;

	for (unsigned k = 0; k < 8; k++)
		b[k] = gt_pattern(seq, i + k);
	memcpy(&w, b, 8);
	return w;
}

static uint64_t gt_pattern_next(uint64_t w)
{
	const uint64_t high = 0x8080808080808080ull;

	return ((w & ~high) + 0x0808080808080808ull) ^ (w & high);
}

uint32_t guest_traffic_frame_build(uint8_t *buf, uint32_t len, const uint8_t dst[6], const uint8_t src[6],
				   uint32_t stream, uint64_t seq)
{
	uint32_t magic = GT_MAGIC;
	uint16_t l16 = (uint16_t)len;

	if (len < GUEST_TRAFFIC_HEADER || len > GUEST_TRAFFIC_FRAME_MAX + 4u)
		return 0;
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = (uint8_t)(GUEST_TRAFFIC_ETHERTYPE >> 8);
	buf[13] = (uint8_t)GUEST_TRAFFIC_ETHERTYPE;
	memcpy(buf + 14, &magic, 4);
	memcpy(buf + 18, &stream, 4);
	memcpy(buf + 22, &seq, 8);
	memcpy(buf + 30, &l16, 2);
	{
		uint64_t w = gt_pattern_word(seq, GUEST_TRAFFIC_HEADER);
		uint32_t i = GUEST_TRAFFIC_HEADER;

		for (; i + 8 <= len; i += 8, w = gt_pattern_next(w))
			memcpy(buf + i, &w, 8);
		for (; i < len; i++)
			buf[i] = gt_pattern(seq, i);
	}
	return len;
}

int guest_traffic_frame_parse(const void *frame, uint32_t len, uint32_t *stream, uint64_t *seq)
{
	const uint8_t *b = frame;
	uint32_t magic;
	uint16_t l16;

	if (len < GUEST_TRAFFIC_HEADER || b[12] != (uint8_t)(GUEST_TRAFFIC_ETHERTYPE >> 8) ||
	    b[13] != (uint8_t)GUEST_TRAFFIC_ETHERTYPE)
		return -ENOMSG;
	memcpy(&magic, b + 14, 4);
	if (magic != GT_MAGIC)
		return -ENOMSG;
	memcpy(stream, b + 18, 4);
	memcpy(seq, b + 22, 8);
	memcpy(&l16, b + 30, 2);
	if (l16 != len)
		return -EBADMSG;
	{
		uint64_t w = gt_pattern_word(*seq, GUEST_TRAFFIC_HEADER);
		uint32_t i = GUEST_TRAFFIC_HEADER;

		for (; i + 8 <= len; i += 8, w = gt_pattern_next(w))
			if (memcmp(b + i, &w, 8))
				return -EBADMSG;
		for (; i < len; i++)
			if (b[i] != gt_pattern(*seq, i))
				return -EBADMSG;
	}
	return 0;
}

/* ---- sequence checker ------------------------------------------------------- */
void guest_traffic_seq_init(struct guest_traffic_seq *s)
{
	memset(s, 0, sizeof(*s));
}

static bool seq_bit(const struct guest_traffic_seq *s, uint64_t seq)
{
	uint64_t i = seq % GUEST_TRAFFIC_WINDOW;

	return (s->seen[i / 64u] >> (i % 64u)) & 1u;
}

static void seq_set(struct guest_traffic_seq *s, uint64_t seq, bool on)
{
	uint64_t i = seq % GUEST_TRAFFIC_WINDOW, m = 1ull << (i % 64u);

	if (on)
		s->seen[i / 64u] |= m;
	else
		s->seen[i / 64u] &= ~m;
}

void guest_traffic_seq_take(struct guest_traffic_seq *s, uint64_t seq)
{
	if (seq >= s->next) {
		/* The numbers between next and seq enter the window unseen. */
		if (seq - s->next >= GUEST_TRAFFIC_WINDOW)
			memset(s->seen, 0, sizeof(s->seen));
		else
			for (uint64_t n = s->next; n < seq; n++)
				seq_set(s, n, false);
		s->lost += seq - s->next;
		seq_set(s, seq, true);
		s->next = seq + 1;
		s->received++;
		return;
	}
	if (s->next - seq > GUEST_TRAFFIC_WINDOW) {
		s->reorder++;	/* too old to tell a late frame from a duplicate */
		return;
	}
	if (seq_bit(s, seq)) {
		s->dup++;
		return;
	}
	seq_set(s, seq, true);
	s->reorder++;
	s->lost--;
	s->received++;
}

/* ---- source and sink ---------------------------------------------------------- */
struct guest_traffic {
	const struct guest_traffic_proto *proto;
	struct guest_traffic_config cfg;
	uint8_t src[6];
	uint64_t next_seq;
	struct guest_traffic_stats st;
	uint8_t buf[GT_BATCH][GUEST_TRAFFIC_FRAME_MAX];
};

static void gt_rx(void *ctx, const void *data, uint32_t len)
{
	struct guest_traffic *gt = ctx;
	uint32_t stream;
	uint64_t seq;
	int rc = guest_traffic_frame_parse(data, len, &stream, &seq);

	if (rc == -EBADMSG) {
		gt->st.rx_bad++;
		return;
	}
	if (rc || stream != gt->cfg.stream) {
		gt->st.rx_foreign++;
		return;
	}
	gt->st.rx_bytes += len;
	guest_traffic_seq_take(&gt->st.rx, seq);
}

static void gt_tx_done(void *ctx, unsigned completed, unsigned failed)
{
	struct guest_traffic *gt = ctx;

	gt->st.tx_completed += completed;
	gt->st.tx_failed += failed;
}

int guest_traffic_create(const struct guest_traffic_proto *proto, const struct guest_traffic_config *cfg,
			 struct guest_traffic **out)
{
	struct guest_traffic *gt;
	int rc;

	*out = NULL;
	if (!proto || !cfg || !proto->attach || !proto->send || !proto->running)
		return -EINVAL;
	gt = calloc(1, sizeof(*gt));
	if (!gt)
		return -ENOMEM;
	gt->proto = proto;
	gt->cfg = *cfg;
	if (!gt->cfg.min_len)
		gt->cfg.min_len = GUEST_TRAFFIC_FRAME_MIN;
	if (!gt->cfg.max_len)
		gt->cfg.max_len = GUEST_TRAFFIC_FRAME_MAX;
	guest_traffic_seq_init(&gt->st.rx);
	rc = proto->attach(gt_rx, gt_tx_done, gt);
	if (rc) {
		free(gt);
		return rc;
	}
	*out = gt;
	return 0;
}

void guest_traffic_destroy(struct guest_traffic *gt)
{
	if (!gt)
		return;
	gt->proto->attach(NULL, NULL, NULL);
	free(gt);
}

int guest_traffic_send(struct guest_traffic *gt, unsigned n)
{
	struct guest_traffic_frame f[GT_BATCH];
	unsigned done = 0;

	if (!gt->proto->running(gt->src)) {
		gt->st.tx_refused += n;
		return -ENOTCONN;
	}
	while (done < n) {
		unsigned k = n - done < GT_BATCH ? n - done : GT_BATCH;
		int s;

		for (unsigned i = 0; i < k; i++) {
			uint64_t seq = gt->next_seq + i;
			uint32_t len = guest_traffic_frame_len(seq, gt->cfg.min_len, gt->cfg.max_len);

			f[i].len = guest_traffic_frame_build(gt->buf[i], len, gt->cfg.dst, gt->src, gt->cfg.stream, seq);
			f[i].data = gt->buf[i];
		}
		s = gt->proto->send(f, k);
		if (s < 0) {
			gt->st.tx_refused += n - done;
			return done ? (int)done : s;
		}
		for (int i = 0; i < s; i++)
			gt->st.tx_bytes += f[i].len;
		gt->st.tx_frames += (unsigned)s;
		gt->next_seq += (unsigned)s;
		done += (unsigned)s;
		if ((unsigned)s < k) {
			gt->st.tx_refused += n - done;
			break;
		}
	}
	return (int)done;
}

uint64_t guest_traffic_next_seq(const struct guest_traffic *gt)
{
	return gt->next_seq;
}

void guest_traffic_get_stats(const struct guest_traffic *gt, struct guest_traffic_stats *st)
{
	*st = gt->st;
}
