/*
 * The checks of vmctl_msg.h: one table of the control messages (type,
 * direction, exact size, a field check), the MMIO request against the VM's
 * BAR windows, the MMIO completion. Layouts: wire/vmctl.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "hv/vmctl_msg.h"

_Static_assert(sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX >= sizeof(struct vmctl_capture_start),
	       "vmctl_msg_check's copy holds CAPTURE_START");
_Static_assert(sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX >= sizeof(struct vmctl_ndiskd),
	       "vmctl_msg_check's copy holds the largest message");

typedef const char *vmctl_field_check_fn(const void *buf);	/* NULL, or why the fields are wrong */

/* A used string field: NUL-terminated inside its array, non-empty, printable ASCII. */
static bool name_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return i > 0 && i < max;
}

static bool zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static const char *check_diag_query(const void *buf)
{
	const struct vmctl_diag_query *m = buf;

	if (m->reserved)
		return "DIAG_QUERY: reserved field set";
	return m->version != VMCTL_DIAG_V1 ? "DIAG_QUERY: unknown answer version" : NULL;
}

/* DIAG: the header, then len bytes of printable ASCII (the JSON is parsed by src/diag). */
static const char *check_diag(const void *buf)
{
	const struct vmctl_diag *m = buf;
	const unsigned char *json = (const unsigned char *)buf + sizeof(*m);

	if (m->version != VMCTL_DIAG_V1)
		return "DIAG: unknown version";
	if (!m->len || m->len > VMCTL_DIAG_JSON_MAX || m->hdr.size != sizeof(*m) + m->len)
		return "DIAG: text length is not the message's";
	for (uint32_t i = 0; i < m->len; i++)
		if (json[i] < 0x20 || json[i] > 0x7e)
			return "DIAG: text is not printable ASCII";
	return NULL;
}

/* A message with text after its struct may be from its row's size up to this; 0: exactly the size. */
static uint32_t max_size(uint32_t type)
{
	return type == VMCTL_MSG_DIAG ? sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX : 0;
}

static const char *check_ready(const void *buf)
{
	const struct vmctl_ready *m = buf;

	return m->version >> 16 != VMCTL_PROTO_V1 >> 16 ? "READY: unknown protocol major version" : NULL;
}

static const char *check_send(const void *buf)
{
	const struct vmctl_send *m = buf;

	return m->size < VMCTL_SEND_SIZE_MIN || m->size > VMCTL_SEND_SIZE_MAX ? "SEND: frame size outside 60..1514"
									      : NULL;
}

static const char *check_status(const void *buf)
{
	const struct vmctl_status *m = buf;

	return m->vf_binding > VMCTL_VF_OTHER ? "STATUS: unknown vf_binding" : NULL;
}

static const char *check_ndiskd_query(const void *buf)
{
	const struct vmctl_ndiskd_query *m = buf;

	return m->version != VMCTL_NDISKD_V1 ? "NDISKD_QUERY: unknown answer version" : NULL;
}

static const char *check_adapter(const struct vmctl_ndiskd_adapter *a)
{
	if (!name_ok(a->name, sizeof(a->name)))
		return "NDISKD: an adapter name is empty, unterminated or not printable";
	if (a->driver[0] && !name_ok(a->driver, sizeof(a->driver)))
		return "NDISKD: a driver name is unterminated or not printable";
	if (!a->driver[0] && !zero(a->driver, sizeof(a->driver)))
		return "NDISKD: bytes after a driver name's NUL";
	if (a->state >= VMCTL_NDISKD_ADAPTER_STATES)
		return "NDISKD: unknown adapter state";
	if (a->flags & ~VMCTL_NDISKD_FLAGS)
		return "NDISKD: unknown adapter flags";
	if (a->nbindings > VMCTL_NDISKD_BINDINGS || a->nbindings > a->bindings_total)
		return "NDISKD: binding count beyond the array or the total";
	for (uint32_t i = 0; i < VMCTL_NDISKD_BINDINGS; i++) {
		const struct vmctl_ndiskd_binding *b = &a->bindings[i];

		if (i >= a->nbindings) {
			if (!zero(b, sizeof(*b)))
				return "NDISKD: an unused binding row is not zero";
			continue;
		}
		if (!name_ok(b->protocol, sizeof(b->protocol)))
			return "NDISKD: a protocol name is empty, unterminated or not printable";
		if (b->state >= VMCTL_NDISKD_BINDING_STATES)
			return "NDISKD: unknown binding state";
	}
	return NULL;
}

static const char *check_ndiskd(const void *buf)
{
	const struct vmctl_ndiskd *m = buf;
	const char *why;

	if (m->version != VMCTL_NDISKD_V1)
		return "NDISKD: unknown version";
	if (m->nadapters > VMCTL_NDISKD_ADAPTERS || m->nadapters > m->adapters_total)
		return "NDISKD: adapter count beyond the array or the total";
	if (m->reserved)
		return "NDISKD: reserved field set";
	for (uint32_t i = 0; i < VMCTL_NDISKD_ADAPTERS; i++) {
		if (i >= m->nadapters) {
			if (!zero(&m->adapters[i], sizeof(m->adapters[i])))
				return "NDISKD: an unused adapter row is not zero";
			continue;
		}
		if ((why = check_adapter(&m->adapters[i])))
			return why;
	}
	return NULL;
}

static const char *check_net(const void *buf)
{
	const struct vmctl_net *m = buf;

	if (m->reserved)
		return "NET: reserved field set";
	if (!m->addr || m->addr == 0xffffffffu)
		return "NET: no address, or the broadcast address";
	if (!m->timeout_ms || m->timeout_ms > VMCTL_NET_TIMEOUT_MAX)
		return "NET: timeout outside 1..600000 ms";
	switch (m->op) {
	case VMCTL_NET_PING:
		if (m->port || m->bytes)
			return "NET: PING with a port or a byte count";
		if (!m->count || m->count > VMCTL_NET_COUNT_MAX || m->size > VMCTL_NET_PAYLOAD_MAX)
			return "NET: PING count or size out of range";
		return NULL;
	case VMCTL_NET_TCP:
		if (!m->port || m->count || m->size)
			return "NET: TCP without a port, or with a count or size";
		if (!m->bytes || m->bytes > VMCTL_NET_BYTES_MAX)
			return "NET: TCP byte count out of range";
		return NULL;
	case VMCTL_NET_UDP:
		if (!m->port || m->bytes)
			return "NET: UDP without a port, or with a byte count";
		if (!m->count || m->count > VMCTL_NET_COUNT_MAX || m->size < VMCTL_NET_UDP_MIN ||
		    m->size > VMCTL_NET_PAYLOAD_MAX)
			return "NET: UDP count or size out of range";
		return NULL;
	}
	return "NET: unknown operation";
}

static const char *check_net_done(const void *buf)
{
	const struct vmctl_net_done *m = buf;

	if (m->op < VMCTL_NET_PING || m->op > VMCTL_NET_UDP)
		return "NET_DONE: unknown operation";
	if (m->status > 0 || m->status < -4095)
		return "NET_DONE: status is neither 0 nor -errno";
	if (m->flags & ~VMCTL_NET_FLAGS)
		return "NET_DONE: unknown flags";
	if (m->reserved)
		return "NET_DONE: reserved field set";
	if (m->op != VMCTL_NET_TCP && m->received && m->received > m->sent)
		return "NET_DONE: more answers than requests";
	if (m->op == VMCTL_NET_PING && m->received &&
	    (m->rtt_min_us > m->rtt_avg_us || m->rtt_avg_us > m->rtt_max_us))
		return "NET_DONE: round-trip times out of order";
	return NULL;
}

/* A string field that may be empty: printable, NUL-terminated inside its array, zero after the NUL. */
static bool field_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	return n < max && (!n || name_ok(s, max)) && zero(s + n, max - n);
}

static const char *check_capture_start(const void *buf)
{
	const struct vmctl_capture_start *m = buf;
	size_t n;

	if (m->version != VMCTL_CAPTURE_V1)
		return "CAPTURE_START: unknown version";
	if (m->nfilters > VMCTL_CAPTURE_FILTERS)
		return "CAPTURE_START: more filters than rows";
	if (!field_ok(m->part, sizeof(m->part)) || !m->part[0])
		return "CAPTURE_START: part path empty, unterminated or not printable";
	n = strlen(m->part);
	if (m->part[0] != '/' || n < 6 || strcmp(m->part + n - 5, ".part"))
		return "CAPTURE_START: part path is not absolute or does not end in .part";
	if (strstr(m->part, "/../") || strstr(m->part, "/./") || strstr(m->part, "//"))
		return "CAPTURE_START: part path has a '..' or empty component";
	for (uint32_t i = 0; i < VMCTL_CAPTURE_FILTERS; i++) {
		if (i >= m->nfilters) {
			if (!zero(m->filters[i], sizeof(m->filters[i])))
				return "CAPTURE_START: an unused filter row is not zero";
			continue;
		}
		if (!m->filters[i][0] || !field_ok(m->filters[i], sizeof(m->filters[i])))
			return "CAPTURE_START: a filter is empty, unterminated or not printable";
	}
	return NULL;
}

static const char *check_capture_ack(const void *buf)
{
	const struct vmctl_capture_ack *m = buf;

	if (m->op != VMCTL_MSG_CAPTURE_START && m->op != VMCTL_MSG_CAPTURE_STOP)
		return "CAPTURE_ACK: answers neither CAPTURE_START nor CAPTURE_STOP";
	if (m->status > 0 || m->status < -4095)
		return "CAPTURE_ACK: status is neither 0 nor -errno";
	if (m->op == VMCTL_MSG_CAPTURE_START && m->frames)
		return "CAPTURE_ACK: frames counted when starting";
	return NULL;
}

static const struct vmctl_msg_row {
	uint32_t type;
	const char *name;
	enum vmctl_dir dir;
	uint32_t size;
	vmctl_field_check_fn *check;
} rows[] = {
	{ VMCTL_MSG_DIAG_QUERY, "DIAG_QUERY", VMCTL_TO_GUEST, sizeof(struct vmctl_diag_query), check_diag_query },
	{ VMCTL_MSG_DIAG, "DIAG", VMCTL_TO_HOST, sizeof(struct vmctl_diag) + 1, check_diag },
	{ VMCTL_MSG_READY, "READY", VMCTL_TO_HOST, sizeof(struct vmctl_ready), check_ready },
	{ VMCTL_MSG_SEND, "SEND", VMCTL_TO_GUEST, sizeof(struct vmctl_send), check_send },
	{ VMCTL_MSG_SENT, "SENT", VMCTL_TO_HOST, sizeof(struct vmctl_status), check_status },
	{ VMCTL_MSG_QUERY, "QUERY", VMCTL_TO_GUEST, sizeof(struct vmctl_hdr), NULL },
	{ VMCTL_MSG_STATUS, "STATUS", VMCTL_TO_HOST, sizeof(struct vmctl_status), check_status },
	{ VMCTL_MSG_EXIT, "EXIT", VMCTL_TO_GUEST, sizeof(struct vmctl_hdr), NULL },
	{ VMCTL_MSG_NDISKD_QUERY, "NDISKD_QUERY", VMCTL_TO_GUEST, sizeof(struct vmctl_ndiskd_query),
	  check_ndiskd_query },
	{ VMCTL_MSG_NDISKD, "NDISKD", VMCTL_TO_HOST, sizeof(struct vmctl_ndiskd), check_ndiskd },
	{ VMCTL_MSG_SEND_FLOOD, "SEND_FLOOD", VMCTL_TO_GUEST, sizeof(struct vmctl_send), check_send },
	{ VMCTL_MSG_NET, "NET", VMCTL_TO_GUEST, sizeof(struct vmctl_net), check_net },
	{ VMCTL_MSG_NET_DONE, "NET_DONE", VMCTL_TO_HOST, sizeof(struct vmctl_net_done), check_net_done },
	{ VMCTL_MSG_CAPTURE_START, "CAPTURE_START", VMCTL_TO_GUEST, sizeof(struct vmctl_capture_start),
	  check_capture_start },
	{ VMCTL_MSG_CAPTURE_STOP, "CAPTURE_STOP", VMCTL_TO_GUEST, sizeof(struct vmctl_hdr), NULL },
	{ VMCTL_MSG_CAPTURE_ACK, "CAPTURE_ACK", VMCTL_TO_HOST, sizeof(struct vmctl_capture_ack), check_capture_ack },
};

static const struct vmctl_msg_row *row_of(uint32_t type)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].type == type)
			return &rows[i];
	return NULL;
}

const char *vmctl_msg_name(uint32_t type)
{
	const struct vmctl_msg_row *r = row_of(type);

	return r ? r->name : "unknown";
}

int vmctl_msg_check(const void *buf, uint32_t len, enum vmctl_dir dir, uint32_t *type, const char **why)
{
	/* The largest message, aligned: the field checks read a copy, never the ring. */
	_Alignas(8) unsigned char copy[sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX];
	const struct vmctl_msg_row *r;
	struct vmctl_hdr h;
	const char *w = NULL;

	*type = 0;
	if (!buf || len < sizeof(h)) {
		*why = "shorter than a header";
		return -EBADMSG;
	}
	memcpy(&h, buf, sizeof(h));
	*type = h.type;
	if (h.size != len)
		w = "header size is not the packet's";
	else if (!(r = row_of(h.type)))
		w = "unknown message type";
	else if (r->dir != dir)
		w = dir == VMCTL_TO_HOST ? "a host-to-guest message from the guest" : "a guest-to-host message from the host";
	else if (max_size(r->type) ? len < r->size || len > max_size(r->type) : len != r->size)
		w = "wrong size for its type";
	else if (r->check) {
		memcpy(copy, buf, len);
		w = r->check(copy);
	}
	if (w) {
		*why = w;
		return -EBADMSG;
	}
	*why = NULL;
	return 0;
}

int vmctl_mmio_check(const void *buf, uint32_t len, const struct vmctl_mmio_window *win, unsigned nwin,
		     struct vmctl_mmio_req *req, unsigned *which, uint64_t *off, const char **why)
{
	if (!buf || len != sizeof(*req)) {
		*why = "not one request";
		return -EBADMSG;
	}
	memcpy(req, buf, sizeof(*req));
	if (req->op != VMCTL_MMIO_READ && req->op != VMCTL_MMIO_WRITE && req->op != VMCTL_MMIO_DOORBELL) {
		*why = "unknown operation";
		return -EBADMSG;
	}
	if (req->size != 4) {
		*why = "not a 32-bit access";
		return -EBADMSG;
	}
	if (req->gpa & 3) {
		*why = "unaligned address";
		return -EBADMSG;
	}
	if (req->op == VMCTL_MMIO_WRITE && req->value >> 32) {
		*why = "a 32-bit write with a wider value";
		return -EBADMSG;
	}
	if (req->op == VMCTL_MMIO_DOORBELL && (req->value % VMCTL_DB_PAGE_SIZE || req->value > UINT64_MAX - VMCTL_DB_PAGE_SIZE)) {
		*why = "a doorbell page that is not page-aligned";
		return -EBADMSG;
	}
	for (unsigned i = 0; i < nwin; i++) {
		/* All 4 bytes inside [base, base + size): no sum that could wrap. */
		if (win[i].size < 4 || req->gpa < win[i].base || req->gpa - win[i].base > win[i].size - 4)
			continue;
		*which = i;
		*off = req->gpa - win[i].base;
		*why = NULL;
		return 0;
	}
	*why = "no BAR of the VM's VFs there";
	return -EFAULT;
}

int vmctl_mmio_resp_check(const void *buf, uint32_t len, struct vmctl_mmio_resp *resp, const char **why)
{
	if (!buf || len != sizeof(*resp)) {
		*why = "not one completion";
		return -EBADMSG;
	}
	memcpy(resp, buf, sizeof(*resp));
	if (resp->status != 0 && resp->status != -EFAULT && resp->status != -EIO && resp->status != -EINVAL) {
		*why = "unknown status";
		return -EBADMSG;
	}
	if (!resp->status && resp->value >> 32) {
		*why = "a 32-bit read with a wider value";
		return -EBADMSG;
	}
	*why = NULL;
	return 0;
}
