/*
 * Fuzz target: the guest side of a VM (src/hv/guest_vm.c) facing a hostile
 * host on the lab's two channels (wire/vmctl.h): every control message
 * through vmctl_msg_check(VMCTL_TO_GUEST) and every MMIO completion through
 * vmctl_mmio_resp_check() -- the checks guest_vm.c runs before it reads a
 * field. Beyond not crashing: an accepted message has a host-to-guest type
 * and its exact size, a SEND a frame size the traffic format allows, an
 * NDISKD_QUERY the one answer version the guest writes, a NET request
 * its operation's fields in range and the others zero, a CAPTURE_START
 * an absolute, terminated ".part" path without ".." and terminated filters; an accepted
 * completion a status of the wire's list and a 32-bit value.
 *
 * Input: records: u8 kind (even: control message, odd: MMIO completion) |
 * u16 length (LE, cut to what is left) | bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vmctl_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void control(const uint8_t *buf, uint32_t len)
{
	_Alignas(8) static uint8_t copy[65536];
	uint32_t type = 0;
	const char *why = NULL;
	struct vmctl_hdr h;
	int rc = vmctl_msg_check(buf, len, VMCTL_TO_GUEST, &type, &why);

	if (rc) {
		if (rc != -EBADMSG || !why || !vmctl_msg_name(type))
			abort();
		return;
	}
	if (!vmctl_msg_check(buf, len, VMCTL_TO_HOST, &type, &why))
		abort();
	memcpy(copy, buf, len);
	memcpy(&h, copy, sizeof(h));
	if (h.size != len || h.type != type)
		abort();
	switch (type) {
	case VMCTL_MSG_DIAG_QUERY:
		if (len != sizeof(struct vmctl_diag_query) ||
		    ((const struct vmctl_diag_query *)copy)->version != VMCTL_DIAG_V1)
			abort();
		break;
	case VMCTL_MSG_SEND_FLOOD:
	case VMCTL_MSG_SEND: {
		const struct vmctl_send *m = (const void *)copy;

		if (len != sizeof(*m) || m->size < VMCTL_SEND_SIZE_MIN || m->size > VMCTL_SEND_SIZE_MAX)
			abort();
		break;
	}
	case VMCTL_MSG_QUERY:
	case VMCTL_MSG_EXIT:
		if (len != sizeof(struct vmctl_hdr))
			abort();
		break;
	case VMCTL_MSG_NDISKD_QUERY:
		if (len != sizeof(struct vmctl_ndiskd_query) ||
		    ((const struct vmctl_ndiskd_query *)copy)->version != VMCTL_NDISKD_V1)
			abort();
		break;
	case VMCTL_MSG_NET: {
		const struct vmctl_net *m = (const void *)copy;

		if (len != sizeof(*m) || m->reserved || !m->addr || m->addr == 0xffffffffu || !m->timeout_ms ||
		    m->timeout_ms > VMCTL_NET_TIMEOUT_MAX)
			abort();
		if (m->op == VMCTL_NET_PING ? m->port || m->bytes || !m->count || m->count > VMCTL_NET_COUNT_MAX ||
						      m->size > VMCTL_NET_PAYLOAD_MAX
		    : m->op == VMCTL_NET_TCP ? !m->port || m->count || m->size || !m->bytes || m->bytes > VMCTL_NET_BYTES_MAX
		    : m->op == VMCTL_NET_UDP ? !m->port || m->bytes || !m->count || m->count > VMCTL_NET_COUNT_MAX ||
						       m->size < VMCTL_NET_UDP_MIN || m->size > VMCTL_NET_PAYLOAD_MAX
					     : 1)
			abort();
		break;
	}
	case VMCTL_MSG_CAPTURE_STOP:
		if (len != sizeof(struct vmctl_hdr))
			abort();
		break;
	case VMCTL_MSG_CAPTURE_START: {
		/* the guest opens this path: absolute, terminated, ".part", no ".." */
		const struct vmctl_capture_start *m = (const void *)copy;
		size_t n = strnlen(m->part, sizeof(m->part));

		if (len != sizeof(*m) || m->version != VMCTL_CAPTURE_V1 || m->nfilters > VMCTL_CAPTURE_FILTERS ||
		    n < 6 || n >= sizeof(m->part) || m->part[0] != '/' || strcmp(m->part + n - 5, ".part") ||
		    strstr(m->part, "/../"))
			abort();
		for (uint32_t i = 0; i < m->nfilters; i++)
			if (!m->filters[i][0] || strnlen(m->filters[i], sizeof(m->filters[i])) >= sizeof(m->filters[i]))
				abort();
		break;
	}
	default:
		abort();	/* accepted a type the guest does not take */
	}
}

static void completion(const uint8_t *buf, uint32_t len)
{
	struct vmctl_mmio_resp r;
	const char *why = NULL;
	int rc = vmctl_mmio_resp_check(buf, len, &r, &why);

	if (rc) {
		if (rc != -EBADMSG || !why)
			abort();
		return;
	}
	if (len != sizeof(r) || (r.status && r.status != -EFAULT && r.status != -EIO && r.status != -EINVAL) ||
	    (!r.status && r.value >> 32))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (size - i >= 3) {
		uint8_t kind = data[i];
		size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
		uint8_t *msg;

		i += 3;
		if (len > size - i)
			len = size - i;
		/* An exact-size heap block: ASan sees any read past the message. */
		if (!(msg = malloc(len ? len : 1)))
			return 0;
		memcpy(msg, data + i, len);
		i += len;
		if (kind & 1)
			completion(msg, (uint32_t)len);
		else
			control(msg, (uint32_t)len);
		free(msg);
	}
	return 0;
}
