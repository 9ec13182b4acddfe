/*
 * Fuzz target: the guest's vPCI bus driver (src/hv/vpci_vsc.c) and the
 * shared message table facing a hostile host. The VSC runs over a fake
 * channel (vpci_priv.h) whose every incoming packet -- completions of the
 * handshake and of the bring-up included -- comes from the input, and
 * whose outgoing packets go to a sink. After the handshake, the input
 * also chooses what the guest's drivers do (poll, config and block
 * requests, power, the pending invalidate wait), each of which reads its
 * completion from the input too. Beyond not crashing, the VSC must never
 * hold more than VPCI_MAX_FUNCS functions, never two in one slot, and
 * never send a malformed request.
 *
 * Input: a stream of records the channel and the driver read in turn.
 *   packet: u8 control (bit 7 set) | u16 length (LE, cut to what is
 *     left) | bytes. Control bit 0: completion (else in-band); bit 1:
 *     carry the transaction id of the last request (else 0x777) -- such
 *     a completion is held back until a request is waiting for one. The
 *     channel holds packets only up to the next action record.
 *   action: u8 (bit 7 clear), mod 8: poll, config read, config write,
 *     read block, write block, wait for an invalidation, power D3,
 *     power D0 -- on the first function, if any. At the top level a
 *     packet record means "poll".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/vpci_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	const uint8_t *data;
	size_t size, pos;
	uint64_t last_txn;
	bool owed;		/* a request waits for its completion */
	unsigned arrivals, removals, ejects;
} in;

static int io_send(void *arg, const struct vmbus_pkt *p)
{
	struct vpci_msg_hdr h;
	const struct vpci_msg_info *mi;

	(void)arg;
	if (p->len < sizeof(h))
		abort();
	memcpy(&h, p->data, sizeof(h));
	mi = vpci_msg_info(h.type);
	/* only well-formed requests leave the guest */
	if (!mi || mi->dir != VPCI_TO_HOST || p->len < mi->min_len || p->len > mi->max_len)
		abort();
	if (p->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
		in.last_txn = p->trans_id;
		in.owed = true;
	}
	return 1;
}

#define PKT_MARK 0x80u

/*
 * A packet record is next, and the host could have sent it by now: a
 * completion of "the last request" only once that request went out, as a
 * host answers nothing before it is asked.
 */
static bool packet_next(void)
{
	uint8_t ctl;

	if (in.size - in.pos < 3 || !(in.data[in.pos] & PKT_MARK))
		return false;
	ctl = in.data[in.pos];
	return (ctl & 3) != 3 || in.owed;
}

static int io_recv(void *arg, struct vmbus_pkt_in *pkt, void *buf, size_t buflen)
{
	uint8_t ctl;
	size_t len;

	(void)arg;
	if (!packet_next())
		return 0;
	ctl = in.data[in.pos];
	len = (size_t)in.data[in.pos + 1] | (size_t)in.data[in.pos + 2] << 8;
	if (len > in.size - in.pos - 3)
		len = in.size - in.pos - 3;
	if (len > buflen) {
		pkt->len = (uint32_t)len;
		return -ENOBUFS;
	}
	memcpy(buf, in.data + in.pos + 3, len);
	in.pos += 3 + len;
	pkt->type = ctl & 1 ? VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND;
	pkt->flags = 0;
	pkt->trans_id = ctl & 2 ? in.last_txn : 0x777;
	if ((ctl & 3) == 3)
		in.owed = false;
	pkt->data = buf;
	pkt->len = (uint32_t)len;
	return 1;
}

/* Nothing arrives but what the input holds. */
static int io_wait(void *arg, int timeout_ms)
{
	(void)arg;
	(void)timeout_ms;
	return packet_next() ? 1 : -ETIMEDOUT;
}

static int io_wait_space(void *arg, uint32_t need, int timeout_ms)
{
	(void)arg;
	(void)need;
	(void)timeout_ms;
	return 1;
}

static void on_arrival(struct vpci_vsc_dev *dev, void *arg)
{
	(void)arg;
	in.arrivals++;
	if (vpci_vsc_dev_state(dev) != VPCI_DEV_ACTIVE)
		abort();	/* announced only once brought up */
}

static int on_eject(struct vpci_vsc_dev *dev, void *arg)
{
	(void)dev;
	(void)arg;
	return in.ejects++ % 2 ? -EBUSY : 0;
}

static void on_removal(struct vpci_vsc_dev *dev, bool surprise, void *arg)
{
	(void)dev;
	(void)surprise;
	(void)arg;
	in.removals++;
}

static void on_invalidate(struct vpci_vsc_dev *dev, uint64_t mask, void *arg)
{
	(void)dev;
	(void)arg;
	if (!mask)
		abort();	/* only real invalidations are handed over */
}

static struct vpci_vsc_dev *first_dev(struct vpci_vsc *v)
{
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		if (vpci_vsc__dev_at(v, i))
			return vpci_vsc__dev_at(v, i);
	return NULL;
}

static void check_invariants(struct vpci_vsc *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_vsc_dev *a = vpci_vsc__dev_at(v, i);

		if (!a)
			continue;
		n++;
		if (vpci_vsc_find(v, vpci_vsc_dev_info(a)->slot) != a ||
		    vpci_vsc_dev_state(a) >= VPCI_DEV_REMOVED)
			abort();	/* one record per slot, none left removed */
		for (unsigned j = i + 1; j < VPCI_MAX_FUNCS; j++) {
			struct vpci_vsc_dev *b = vpci_vsc__dev_at(v, j);

			if (b && vpci_vsc_dev_info(b)->slot == vpci_vsc_dev_info(a)->slot)
				abort();
		}
	}
	if (n != vpci_vsc_dev_count(v))
		abort();
	if (in.removals > in.arrivals)
		abort();	/* removal is reported only for what arrived */
}

static void act(struct vpci_vsc *v, uint8_t op)
{
	struct vpci_vsc_dev *d = first_dev(v);
	uint8_t buf[VPCI_CFG_XFER_MAX] = { 0 };
	uint64_t mask;
	uint32_t st;

	if (op % 8 == 0 || !d) {
		vpci_vsc_poll(v, 0);
		return;
	}
	switch (op % 8) {
	case 1:
		vpci_vsc_config_read(d, op, buf, 4 + op % 64, &st);
		break;
	case 2:
		vpci_vsc_config_write(d, 0x40, buf, 4, &st);
		break;
	case 3:
		vpci_vsc_read_block(d, op % 70, buf, 1 + op % VPCI_BLOCK_MAX, &st);
		break;
	case 4:
		vpci_vsc_write_block(d, op % 70, buf, 1 + op % VPCI_BLOCK_MAX, &st);
		break;
	case 5:
		vpci_vsc_wait_invalidate(d, 0, &mask);
		break;
	case 6:
		vpci_vsc_set_power(d, VPCI_POWER_D3, &st);
		break;
	case 7:
		vpci_vsc_set_power(d, VPCI_POWER_D0, &st);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpci_vsc_io io = { io_send, io_recv, io_wait, io_wait_space, NULL };
	struct vpci_vsc_config cfg = {
		.timeout_ms = 1000, .arrival = on_arrival, .eject = on_eject,
		.removal = on_removal,
	};
	struct vpci_vsc *v;

	log_configure("*=none", NULL, 0);
	memset(&in, 0, sizeof(in));
	in.data = data;
	in.size = size;
	if (vpci_vsc__create_io(&cfg, &io, &v))
		return 0;
	check_invariants(v);
	while (in.pos < in.size) {
		struct vpci_vsc_dev *d = first_dev(v);
		size_t before = in.pos;

		if (d)
			vpci_vsc_dev_set_invalidate(d, in.pos % 2 ? on_invalidate : NULL, NULL);
		if (in.data[in.pos] & PKT_MARK)
			vpci_vsc_poll(v, 0);
		else
			act(v, in.data[in.pos++]);
		if (in.pos == before)
			in.pos++;	/* a packet record too short to read: skip a byte */
		check_invariants(v);
	}
	vpci_vsc_destroy(v);
	return 0;
}
