/*
 * Fuzz target: the host side of a VM (src/hv/vmwp.c) facing a hostile
 * guest on the lab's two channels (wire/vmctl.h). Every MMIO request goes
 * through vmctl_mmio_check() against BAR windows the input chooses, and
 * every control message through vmctl_msg_check(VMCTL_TO_HOST) -- the
 * checks vmwp.c runs before it reads a field. Beyond not crashing: an
 * accepted request lies with all 4 bytes inside the window it names (a
 * 128-bit oracle), a DOORBELL's page is page-aligned and does not wrap, a refused one as "no window" lies inside none; an
 * accepted message has a guest-to-host type, its exact size, and for an
 * NDISKD answer every used string terminated and printable, every count
 * inside its array -- what the ndiskd view renders without looking again.
 *
 * Input: u8 window count (mod 13), that many windows (u64 base, u64 size,
 * LE), then records: u8 kind (even: MMIO request, odd: control message) |
 * u16 length (LE, cut to what is left) | bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vmctl_msg.h"

#define WIN_MAX 12u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int inside(const struct vmctl_mmio_window *w, uint64_t gpa)
{
	return gpa >= w->base && (unsigned __int128)gpa + 4 <= (unsigned __int128)w->base + w->size;
}

static void string_ok(const char *s, size_t max, int may_be_empty)
{
	size_t n = strnlen(s, max);

	if (n == max || (!n && !may_be_empty))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

static void mmio(const struct vmctl_mmio_window *win, unsigned nwin, const uint8_t *buf, uint32_t len)
{
	struct vmctl_mmio_req r;
	unsigned which = ~0u;
	uint64_t off = ~0ull;
	const char *why = NULL;
	int rc = vmctl_mmio_check(buf, len, win, nwin, &r, &which, &off, &why);

	if (rc == 0) {
		if (why || which >= nwin || len != sizeof(r) || r.size != 4 || r.gpa & 3 ||
		    (r.op != VMCTL_MMIO_READ && r.op != VMCTL_MMIO_WRITE && r.op != VMCTL_MMIO_DOORBELL) ||
		    !inside(&win[which], r.gpa) ||
		    off != r.gpa - win[which].base || off + 4 > win[which].size)
			abort();
		if (r.op == VMCTL_MMIO_WRITE && r.value >> 32)
			abort();
		/* a doorbell page: page-aligned, and the page's end does not wrap */
		if (r.op == VMCTL_MMIO_DOORBELL &&
		    (r.value % VMCTL_DB_PAGE_SIZE || (unsigned __int128)r.value + VMCTL_DB_PAGE_SIZE > UINT64_MAX))
			abort();
		return;
	}
	if (!why || (rc != -EBADMSG && rc != -EFAULT))
		abort();
	if (rc == -EFAULT)
		for (unsigned i = 0; i < nwin; i++)
			if (inside(&win[i], r.gpa))
				abort();	/* refused an address a window holds */
}

static void control(const uint8_t *buf, uint32_t len)
{
	_Alignas(8) static uint8_t copy[65536];
	uint32_t type = 0;
	const char *why = NULL;
	struct vmctl_hdr h;
	int rc;

	rc = vmctl_msg_check(buf, len, VMCTL_TO_HOST, &type, &why);
	if (rc) {
		if (rc != -EBADMSG || !why || !vmctl_msg_name(type))
			abort();
		return;
	}
	/* The same bytes are never also a message the other way. */
	if (!vmctl_msg_check(buf, len, VMCTL_TO_GUEST, &type, &why))
		abort();
	memcpy(copy, buf, len);	/* aligned, for the field reads below */
	memcpy(&h, copy, sizeof(h));
	if (h.size != len || h.type != type)
		abort();
	switch (type) {
	case VMCTL_MSG_DIAG: {
		const struct vmctl_diag *m = (const void *)copy;

		/* the text vmwp.c copies out: exactly len printable bytes after the header */
		if (len <= sizeof(*m) || len > sizeof(*m) + VMCTL_DIAG_JSON_MAX || m->version != VMCTL_DIAG_V1 ||
		    m->len != len - sizeof(*m))
			abort();
		for (uint32_t i = 0; i < m->len; i++)
			if (copy[sizeof(*m) + i] < 0x20 || copy[sizeof(*m) + i] > 0x7e)
				abort();
		break;
	}
	case VMCTL_MSG_READY:
		if (len != sizeof(struct vmctl_ready))
			abort();
		break;
	case VMCTL_MSG_SENT:
	case VMCTL_MSG_STATUS:
		if (len != sizeof(struct vmctl_status) || ((struct vmctl_status *)copy)->vf_binding > VMCTL_VF_OTHER)
			abort();
		break;
	case VMCTL_MSG_NDISKD: {
		const struct vmctl_ndiskd *m = (const void *)copy;
		char line[256];

		if (len != sizeof(*m) || m->version != VMCTL_NDISKD_V1 || m->nadapters > VMCTL_NDISKD_ADAPTERS ||
		    m->nadapters > m->adapters_total)
			abort();
		for (uint32_t i = 0; i < m->nadapters; i++) {
			const struct vmctl_ndiskd_adapter *a = &m->adapters[i];

			string_ok(a->name, sizeof(a->name), 0);
			string_ok(a->driver, sizeof(a->driver), 1);
			if (a->state >= VMCTL_NDISKD_ADAPTER_STATES || a->nbindings > VMCTL_NDISKD_BINDINGS ||
			    a->nbindings > a->bindings_total || a->flags & ~VMCTL_NDISKD_FLAGS)
				abort();
			for (uint32_t k = 0; k < a->nbindings; k++) {
				string_ok(a->bindings[k].protocol, VMCTL_NDISKD_NAME, 0);
				if (a->bindings[k].state >= VMCTL_NDISKD_BINDING_STATES)
					abort();
				/* what the view prints, done the way it does */
				snprintf(line, sizeof(line), "%s %s %u 0x%x", a->name, a->bindings[k].protocol,
					 a->bindings[k].state, a->bindings[k].status);
			}
		}
		break;
	}
	case VMCTL_MSG_NET_DONE: {
		const struct vmctl_net_done *m = (const void *)copy;
		char line[256];

		if (len != sizeof(*m) || m->op < VMCTL_NET_PING || m->op > VMCTL_NET_UDP || m->status > 0 ||
		    m->status < -4095 || m->flags & ~VMCTL_NET_FLAGS || m->reserved ||
		    (m->op != VMCTL_NET_TCP && m->received > m->sent) ||
		    (m->op == VMCTL_NET_PING && m->received && (m->rtt_min_us > m->rtt_avg_us || m->rtt_avg_us > m->rtt_max_us)))
			abort();
		/* what the ping/tcp/udp steps print, done the way they do */
		snprintf(line, sizeof(line), "%s %llu %llu %.3f", strerror(-m->status), (unsigned long long)m->sent,
			 (unsigned long long)m->received, m->elapsed_us / 1e6);
		break;
	}
	case VMCTL_MSG_CAPTURE_ACK: {
		const struct vmctl_capture_ack *m = (const void *)copy;

		if (len != sizeof(*m) || (m->op != VMCTL_MSG_CAPTURE_START && m->op != VMCTL_MSG_CAPTURE_STOP) ||
		    m->status > 0 || m->status < -4095 || (m->op == VMCTL_MSG_CAPTURE_START && m->frames))
			abort();
		break;
	}
	default:
		abort();	/* accepted a type the host does not take */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmctl_mmio_window win[WIN_MAX];
	unsigned nwin = 0;
	size_t i = 0;

	if (size) {
		unsigned want = data[i++] % (WIN_MAX + 1);

		while (nwin < want && size - i >= 16) {
			win[nwin].base = le64(data + i);
			win[nwin].size = le64(data + i + 8);
			nwin++;
			i += 16;
		}
	}
	while (size - i >= 3) {
		uint8_t kind = data[i];
		size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;

		i += 3;
		if (len > size - i)
			len = size - i;
		/* An exact-size heap block: ASan sees any read past the message. */
		uint8_t *msg = malloc(len ? len : 1);

		if (!msg)
			return 0;
		memcpy(msg, data + i, len);
		i += len;
		if (kind & 1)
			control(msg, (uint32_t)len);
		else
			mmio(win, nwin, msg, (uint32_t)len);
		free(msg);
	}
	return 0;
}
