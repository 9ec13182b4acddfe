/*
 * The pcapng writer and reader (pcapng.h has the contract). The block and
 * option layouts follow draft-ietf-opsawg-pcapng sections 4.1 (SHB), 4.2
 * (IDB), 4.3 (EPB) and 3.5 (options); capture.c is the only caller in the
 * lab, the fuzz target fuzz_pcapng.c the other.
 */
#include "base/pcapng.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---------------------------------------------------------------------------- */
static size_t pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

static size_t opt_size(size_t len)
{
	return 4 + pad4(len);
}

/* One block assembled in memory, so a failed write never leaves half a block behind a good one. */
struct blk {
	uint8_t *p;
	size_t at, cap;
};

static void put(struct blk *b, const void *v, size_t n)
{
	if (n)	/* opt_endofopt has no value (memcpy from NULL is undefined even for 0 bytes) */
		memcpy(b->p + b->at, v, n);
	b->at += n;
}

static void put32(struct blk *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put16(struct blk *b, uint16_t v)
{
	put(b, &v, 2);
}

static void put_opt(struct blk *b, uint16_t code, const void *v, size_t len)
{
	static const uint8_t zero[4];

	put16(b, code);
	put16(b, (uint16_t)len);
	put(b, v, len);
	put(b, zero, pad4(len) - len);
}

static int blk_begin(struct blk *b, uint32_t type, size_t total)
{
	b->cap = total;
	b->at = 0;
	b->p = malloc(total);
	if (!b->p)
		return -ENOMEM;
	put32(b, type);
	put32(b, (uint32_t)total);
	return 0;
}

static int blk_end(struct blk *b, FILE *f)
{
	size_t total = b->cap;
	int rc = 0;

	put32(b, (uint32_t)total);
	if (b->at != total || fwrite(b->p, 1, total, f) != total)
		rc = b->at != total ? -EINVAL : -EIO;
	free(b->p);
	return rc;
}

int pcapng_write_shb(FILE *f, const char *userappl)
{
	size_t ul = userappl ? strlen(userappl) : 0, total;
	uint64_t section_len = UINT64_MAX;	/* -1: not given */
	struct blk b;
	int rc;

	if (!f || ul > UINT16_MAX)
		return -EINVAL;
	total = 8 + 16 + (ul ? opt_size(ul) : 0) + 4 + 4;
	if ((rc = blk_begin(&b, PCAPNG_BT_SHB, total)))
		return rc;
	put32(&b, PCAPNG_BYTE_ORDER_MAGIC);
	put16(&b, 1);	/* major */
	put16(&b, 0);	/* minor */
	put(&b, &section_len, 8);
	if (ul)
		put_opt(&b, PCAPNG_SHB_USERAPPL, userappl, ul);
	put_opt(&b, PCAPNG_OPT_ENDOFOPT, NULL, 0);
	return blk_end(&b, f);
}

int pcapng_write_idb(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name, const char *description)
{
	size_t nl = name ? strlen(name) : 0, dl = description ? strlen(description) : 0, total;
	struct blk b;
	int rc;

	if (!f || nl > UINT16_MAX || dl > UINT16_MAX)
		return -EINVAL;
	total = 8 + 8 + (nl ? opt_size(nl) : 0) + (dl ? opt_size(dl) : 0) + 4 + 4;
	if ((rc = blk_begin(&b, PCAPNG_BT_IDB, total)))
		return rc;
	put16(&b, linktype);
	put16(&b, 0);	/* reserved */
	put32(&b, snaplen);
	if (nl)
		put_opt(&b, PCAPNG_IF_NAME, name, nl);
	if (dl)
		put_opt(&b, PCAPNG_IF_DESCRIPTION, description, dl);
	put_opt(&b, PCAPNG_OPT_ENDOFOPT, NULL, 0);
	return blk_end(&b, f);
}

int pcapng_write_epb(FILE *f, uint32_t iface, uint64_t ts_us, const void *data, uint32_t caplen, uint32_t origlen,
		     uint32_t flags)
{
	/* The hot path of a capture: no allocation, three buffered writes (head, data, tail). */
	uint8_t head[28], tail[3 + 12 + 4];
	struct blk h = { .p = head, .cap = sizeof(head) }, t = { .p = tail, .cap = sizeof(tail) };
	size_t total, padding;

	if (!f || (caplen && !data) || caplen > origlen || caplen > PCAPNG_MAX_BLOCK)
		return -EINVAL;
	padding = pad4(caplen) - caplen;
	total = 8 + 20 + pad4(caplen) + (flags ? opt_size(4) + 4 : 0) + 4;
	if (total > PCAPNG_MAX_BLOCK)
		return -EINVAL;	/* what the reader would refuse */
	put32(&h, PCAPNG_BT_EPB);
	put32(&h, (uint32_t)total);
	put32(&h, iface);
	put32(&h, (uint32_t)(ts_us >> 32));
	put32(&h, (uint32_t)ts_us);
	put32(&h, caplen);
	put32(&h, origlen);
	memset(tail, 0, padding);
	t.at = padding;
	if (flags) {
		put_opt(&t, PCAPNG_EPB_FLAGS, &flags, 4);
		put_opt(&t, PCAPNG_OPT_ENDOFOPT, NULL, 0);
	}
	put32(&t, (uint32_t)total);
	if (fwrite(head, 1, h.at, f) != h.at || (caplen && fwrite(data, 1, caplen, f) != caplen) ||
	    fwrite(tail, 1, t.at, f) != t.at)
		return -EIO;
	return 0;
}

/* ---- reader ---------------------------------------------------------------------------- */
struct rd {
	const uint8_t *buf;
	size_t len;
	char *err;
	size_t errlen;
	struct pcapng_file *f;
	size_t ifaces_cap, pkts_cap;
	size_t section_first;	/* index of the current section's first interface */
	bool in_section;
};

__attribute__((format(printf, 3, 4))) static int bad(struct rd *r, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->err && r->errlen) {
		n = snprintf(r->err, r->errlen, "offset %zu: ", off);
		if (n >= 0 && (size_t)n < r->errlen) {
			va_start(ap, fmt);
			vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The options in [p, end) of the block at off: check each, hand it to fn (may be NULL). */
typedef int opt_fn(struct rd *r, size_t off, uint16_t code, const uint8_t *v, uint16_t len, void *ctx);

static int walk_options(struct rd *r, size_t blk_off, const uint8_t *p, const uint8_t *end, opt_fn *fn, void *ctx)
{
	while (p < end) {
		size_t off = (size_t)(p - r->buf);
		uint16_t code, len;
		int rc;

		if ((size_t)(end - p) < 4)
			return bad(r, off, "option header cut short by the end of the block at %zu", blk_off);
		code = get16(p);
		len = get16(p + 2);
		if (pad4(len) > (size_t)(end - p - 4))
			return bad(r, off, "option %u of length %u runs past the end of the block at %zu", code, len,
				   blk_off);
		if (code == PCAPNG_OPT_ENDOFOPT)
			return 0;	/* what follows opt_endofopt is ignored (pcapng 3.5) */
		if (fn && (rc = fn(r, off, code, p + 4, len, ctx)))
			return rc;
		p += 4 + pad4(len);
	}
	return 0;
}

static void copy_str(char *dst, size_t cap, const uint8_t *v, uint16_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	memcpy(dst, v, n);
	dst[n] = 0;
	/* UTF-8 text in the file; a NUL inside ends it here */
	dst[strnlen(dst, n)] = 0;
}

static int idb_opt(struct rd *r, size_t off, uint16_t code, const uint8_t *v, uint16_t len, void *ctx)
{
	struct pcapng_iface *i = ctx;

	switch (code) {
	case PCAPNG_IF_NAME:
		copy_str(i->name, sizeof(i->name), v, len);
		break;
	case PCAPNG_IF_DESCRIPTION:
		copy_str(i->description, sizeof(i->description), v, len);
		break;
	case PCAPNG_IF_TSRESOL:
		if (len != 1)
			return bad(r, off, "if_tsresol of length %u (must be 1)", len);
		/* only powers of ten down to nanoseconds are converted */
		if ((v[0] & 0x80) || v[0] > 9)
			return bad(r, off, "if_tsresol 0x%x is not supported (10^-0 .. 10^-9 are)", v[0]);
		i->tsresol = v[0];
		break;
	default:
		break;
	}
	return 0;
}

static int epb_opt(struct rd *r, size_t off, uint16_t code, const uint8_t *v, uint16_t len, void *ctx)
{
	struct pcapng_packet *p = ctx;

	if (code == PCAPNG_EPB_FLAGS) {
		if (len != 4)
			return bad(r, off, "epb_flags of length %u (must be 4)", len);
		p->flags = get32(v);
	}
	return 0;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap < need)
		ncap = need;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int read_shb(struct rd *r, size_t off, const uint8_t *b, uint32_t total)
{
	if (total < 28)
		return bad(r, off, "section header block of %u bytes (at least 28)", total);
	if (get32(b + 8) != PCAPNG_BYTE_ORDER_MAGIC) {
		if (get32(b + 8) == __builtin_bswap32(PCAPNG_BYTE_ORDER_MAGIC))
			return bad(r, off, "section in the other byte order (not supported)");
		return bad(r, off, "section header without the byte-order magic 0x1a2b3c4d");
	}
	if (get16(b + 12) != 1)
		return bad(r, off, "pcapng major version %u (1 is supported)", get16(b + 12));
	r->f->sections++;
	r->in_section = true;
	r->section_first = r->f->nifaces;
	return walk_options(r, off, b + 24, b + total - 4, NULL, NULL);
}

static int read_idb(struct rd *r, size_t off, const uint8_t *b, uint32_t total)
{
	struct pcapng_iface *i;
	int rc;

	if (total < 20)
		return bad(r, off, "interface description block of %u bytes (at least 20)", total);
	if (r->f->nifaces >= PCAPNG_MAX_IFACES)
		return bad(r, off, "more than %u interfaces", PCAPNG_MAX_IFACES);
	if ((rc = grow((void **)&r->f->ifaces, &r->ifaces_cap, r->f->nifaces + 1, sizeof(*i))))
		return rc;
	i = &r->f->ifaces[r->f->nifaces];
	memset(i, 0, sizeof(*i));
	i->linktype = get16(b + 8);
	i->snaplen = get32(b + 12);
	i->tsresol = 6;
	if ((rc = walk_options(r, off, b + 16, b + total - 4, idb_opt, i)))
		return rc;
	r->f->nifaces++;
	return 0;
}

static int read_epb(struct rd *r, size_t off, const uint8_t *b, uint32_t total)
{
	struct pcapng_packet *p;
	const struct pcapng_iface *i;
	uint32_t id, caplen;
	uint64_t ts, div = 1;
	int rc;

	if (total < 32)
		return bad(r, off, "enhanced packet block of %u bytes (at least 32)", total);
	id = get32(b + 8);
	if (id >= r->f->nifaces - r->section_first)
		return bad(r, off, "packet on interface %u, but the section declares %zu", id,
			   r->f->nifaces - r->section_first);
	caplen = get32(b + 20);
	if (pad4(caplen) > total - 32)
		return bad(r, off, "captured length %u does not fit in a block of %u bytes", caplen, total);
	if (caplen > get32(b + 24))
		return bad(r, off, "captured length %u is larger than the original length %u", caplen, get32(b + 24));
	if ((rc = grow((void **)&r->f->pkts, &r->pkts_cap, r->f->npkts + 1, sizeof(*p))))
		return rc;
	p = &r->f->pkts[r->f->npkts];
	memset(p, 0, sizeof(*p));
	p->iface = (uint32_t)(r->section_first + id);
	i = &r->f->ifaces[p->iface];
	ts = (uint64_t)get32(b + 12) << 32 | get32(b + 16);
	/* to microseconds: the file's unit is 10^-tsresol s */
	for (unsigned k = 6; k < i->tsresol; k++)
		div *= 10;
	if (i->tsresol >= 6) {
		p->ts_us = ts / div;
	} else {
		uint64_t mul = 1;

		for (unsigned k = i->tsresol; k < 6; k++)
			mul *= 10;
		if (ts > UINT64_MAX / mul)
			return bad(r, off, "timestamp overflows at the interface's resolution");
		p->ts_us = ts * mul;
	}
	p->caplen = caplen;
	p->origlen = get32(b + 24);
	p->data = b + 28;
	if ((rc = walk_options(r, off, b + 28 + pad4(caplen), b + total - 4, epb_opt, p)))
		return rc;
	r->f->npkts++;
	return 0;
}

int pcapng_parse(const uint8_t *buf, size_t len, unsigned flags, struct pcapng_file *out, char *err, size_t errlen)
{
	struct rd r = { .buf = buf, .len = len, .err = err, .errlen = errlen, .f = out };
	size_t off = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = 0;
	if (!buf && len)
		return bad(&r, 0, "no data");
	while (off < len) {
		const uint8_t *b = buf + off;
		size_t left = len - off;
		uint32_t type, total;

		if (left < 12) {
			if (flags & PCAPNG_PARSE_TRUNCATED_TAIL) {
				out->truncated = true;
				out->truncated_at = off;
				break;
			}
			rc = bad(&r, off, "%zu bytes left, less than a block header and trailer", left);
			break;
		}
		type = get32(b);
		total = get32(b + 4);
		if (off == 0 && type != PCAPNG_BT_SHB) {
			rc = bad(&r, off, "not a pcapng file: block type 0x%x where the section header 0x%x must be",
				 type, PCAPNG_BT_SHB);
			break;
		}
		if (total < 12 || total % 4) {
			rc = bad(&r, off, "block 0x%x with total length %u (must be >= 12 and a multiple of 4)", type,
				 total);
			break;
		}
		if (total > PCAPNG_MAX_BLOCK) {
			rc = bad(&r, off, "block 0x%x of %u bytes (at most %u are read)", type, total, PCAPNG_MAX_BLOCK);
			break;
		}
		if (total > left) {
			if (flags & PCAPNG_PARSE_TRUNCATED_TAIL) {
				out->truncated = true;
				out->truncated_at = off;
				break;
			}
			rc = bad(&r, off, "block 0x%x of %u bytes, but only %zu are left in the file", type, total, left);
			break;
		}
		if (get32(b + total - 4) != total) {
			rc = bad(&r, off, "block 0x%x: trailing length %u differs from the leading %u", type,
				 get32(b + total - 4), total);
			break;
		}
		switch (type) {
		case PCAPNG_BT_SHB:
			rc = read_shb(&r, off, b, total);
			break;
		case PCAPNG_BT_IDB:
			rc = read_idb(&r, off, b, total);
			break;
		case PCAPNG_BT_EPB:
			rc = read_epb(&r, off, b, total);
			break;
		default:
			break;	/* other block types are skipped (pcapng 3.1: readers skip what they do not know) */
		}
		if (rc)
			break;
		off += total;
	}
	if (rc) {
		pcapng_file_fini(out);
		return rc;
	}
	if (!out->sections && !out->truncated) {
		pcapng_file_fini(out);
		return bad(&r, 0, "empty file (no section header)");
	}
	return 0;
}

void pcapng_file_fini(struct pcapng_file *f)
{
	if (!f)
		return;
	free(f->ifaces);
	free(f->pkts);
	f->ifaces = NULL;
	f->pkts = NULL;
	f->nifaces = f->npkts = 0;
}
