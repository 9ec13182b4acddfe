/*
 * The guest's vPCI bus driver, protocol side (see vpci_vsc.h). One request
 * is in flight at a time: vsc_call() sends it with a fresh transaction id
 * and pumps the channel until the completion with that id arrives or the
 * deadline passes; completions with any other id are stale (a request that
 * timed out) and are refused and counted. Host-initiated messages are only
 * recorded while pumping -- the newest bus relations (older ones are
 * superseded, as in pci-hyperv.c), an eject as the function's state, an
 * invalidate ORed into the function's mask -- and vsc_process() acts on
 * them from vpci_vsc_poll(), where callbacks may run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/vpci_priv.h"

#define VSC_DEFAULT_TIMEOUT_MS 5000
#define VSC_RX_BUF 4096u

struct vpci_vsc_dev {
	struct vpci_vsc *vsc;
	enum vpci_dev_state state;
	struct vpci_func_info info;
	bool arrived;			/* announced: its removal will be reported */
	bool eject_answered;		/* the eject request was put to the PnP layer */
	uint64_t inval_mask;		/* invalidated blocks not yet handed over */
	vpci_vsc_invalidate_fn inval_fn;
	void *inval_arg;
	char name[64];
};

struct vpci_vsc {
	char name[48];
	struct vpci_vsc_config cfg;
	struct vmbus_channel *ch;		/* NULL when driven through vpci_vsc__create_io() */
	struct vpci_vsc_io io;
	enum vpci_bus_state bus;
	uint32_t version;
	/* the newest bus relations, not yet applied */
	struct vpci_func_desc2 rel[VPCI_MAX_FUNCS];
	bool rel_eject[VPCI_MAX_FUNCS];		/* an EJECT came before the record existed */
	uint32_t rel_count;
	bool rel_pending;
	bool rel_seen;				/* some relations arrived since the start */
	struct vpci_vsc_dev *devs[VPCI_MAX_FUNCS];
	/* the request in flight */
	uint64_t next_txn;
	uint64_t wait_txn;			/* 0: none */
	uint32_t wait_type;			/* its VPCI_MSG_*, 0 if too short to say */
	bool wait_done;
	int wait_err;
	uint32_t wait_len;
	_Alignas(8) uint8_t wait_resp[sizeof(struct vpci_resp_config_read)];
	bool processing;			/* vsc_process() is running */
	struct vpci_vsc_stats st;
	uint8_t *rxbuf;
	size_t rxlen;
};

/* Every message the host may send, as the handlers see it. */
union vsc_msg {
	struct vpci_msg_hdr hdr;
	struct vpci_msg_slot slot;
	struct vpci_msg_invalidate inval;
	/* BUS_RELATIONS(2): header, then device_count descriptions */
	uint8_t raw[sizeof(struct vpci_msg_bus_relations2) +
		    VPCI_MAX_FUNCS * sizeof(struct vpci_func_desc2)];
};

static const struct vmbus_guid vpci_class = VPCI_CLASS_GUID_INIT;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((format(printf, 3, 4)))
vsc_refuse(struct vpci_vsc *v, enum vpci_refusal why, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	v->st.refused[why]++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn(VPCI_TOPIC, "%s: refused host message (%s): %s", v->name, vpci_refusal_name(why),
		 msg);
}

static void set_status(uint32_t *status, uint32_t value)
{
	if (status)
		*status = value;
}

/* The channel cannot be used any more (rescinded, host gone, ring broken). */
static int vsc_lost(struct vpci_vsc *v, int err)
{
	if (err != -ENODEV && err != -ECONNRESET && err != -EPROTO && err != -ENOTCONN)
		return err;
	if (v->bus != VPCI_BUS_GONE) {
		log_warn(VPCI_TOPIC, "%s: the vPCI channel is gone (%s)", v->name, strerror(-err));
		vpci__bus_set_state(&v->bus, VPCI_BUS_GONE, v->name);
	}
	return -ENODEV;
}

static struct vpci_vsc_dev *vsc_dev(struct vpci_vsc *v, uint32_t slot)
{
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		if (v->devs[i] && v->devs[i]->info.slot == slot)
			return v->devs[i];
	return NULL;
}

/* ---- receiving ---------------------------------------------------------- */

static void vsc_check_completion(struct vpci_vsc *v, const struct vmbus_pkt_in *pkt)
{
	const struct vpci_msg_info *mi = vpci_msg_info(v->wait_type);
	struct vpci_resp_hdr h;

	if (!v->wait_txn || pkt->trans_id != v->wait_txn) {
		vsc_refuse(v, VPCI_REFUSED_UNEXPECTED, "completion 0x%llx, waiting for 0x%llx",
			   (unsigned long long)pkt->trans_id, (unsigned long long)v->wait_txn);
		return;
	}
	v->wait_done = true;
	v->wait_err = -EPROTO;	/* unless it passes every check below */
	if (pkt->len < sizeof(h)) {
		vsc_refuse(v, VPCI_REFUSED_SHORT, "completion of %s: %u bytes",
			   vpci_msg_name(v->wait_type), pkt->len);
		return;
	}
	memcpy(&h, pkt->data, sizeof(h));
	if (h.type != v->wait_type) {
		vsc_refuse(v, VPCI_REFUSED_TYPE, "completion says %s, request was %s",
			   vpci_msg_name(h.type), vpci_msg_name(v->wait_type));
		return;
	}
	if (pkt->len > sizeof(v->wait_resp) ||
	    (mi && VPCI_STATUS_OK(h.status) && pkt->len != mi->resp_len)) {
		vsc_refuse(v, VPCI_REFUSED_LENGTH, "completion of %s: %u bytes, status 0x%x",
			   vpci_msg_name(v->wait_type), pkt->len, h.status);
		return;
	}
	memcpy(v->wait_resp, pkt->data, pkt->len);
	v->wait_len = pkt->len;
	v->wait_err = 0;
}

/* The request's one completion came (good or bad): any other is stale. */
static void vsc_on_completion(struct vpci_vsc *v, const struct vmbus_pkt_in *pkt)
{
	bool ours = v->wait_txn && pkt->trans_id == v->wait_txn;

	vsc_check_completion(v, pkt);
	if (ours)
		v->wait_txn = 0;
}

static void vsc_on_relations(struct vpci_vsc *v, const union vsc_msg *m, uint32_t len)
{
	bool v2 = m->hdr.type == VPCI_MSG_BUS_RELATIONS2;
	size_t size = v2 ? sizeof(struct vpci_func_desc2) : sizeof(struct vpci_func_desc);
	const uint8_t *p = m->raw + sizeof(struct vpci_msg_bus_relations2);
	struct vpci_msg_bus_relations2 hdr;
	struct vpci_func_desc2 rel[VPCI_MAX_FUNCS];
	bool eject[VPCI_MAX_FUNCS];
	uint32_t n;

	memcpy(&hdr, m->raw, sizeof(hdr));
	n = hdr.device_count;
	if (n > VPCI_MAX_FUNCS || len != sizeof(struct vpci_msg_bus_relations2) + n * size) {
		vsc_refuse(v, VPCI_REFUSED_LENGTH, "%s: %u functions in %u bytes",
			   vpci_msg_name(m->hdr.type), n, len);
		return;
	}
	memset(rel, 0, sizeof(rel));
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&rel[i], p + i * size, size);	/* v1 fills the first 20 bytes */
		if (!VPCI_SLOT_VALID(rel[i].slot)) {
			vsc_refuse(v, VPCI_REFUSED_PARAM, "bus relations: bad slot 0x%x", rel[i].slot);
			return;
		}
		for (uint32_t j = 0; j < i; j++)
			if (rel[j].slot == rel[i].slot) {
				vsc_refuse(v, VPCI_REFUSED_PARAM, "bus relations: slot 0x%x twice",
					   rel[i].slot);
				return;
			}
	}
	/* an eject asked for a function these relations still list stays asked */
	memset(eject, 0, sizeof(eject));
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = 0; j < v->rel_count && v->rel_pending && !eject[i]; j++)
			eject[i] = v->rel_eject[j] && v->rel[j].slot == rel[i].slot &&
				   v->rel[j].serial == rel[i].serial;
	memcpy(v->rel_eject, eject, sizeof(eject));
	memcpy(v->rel, rel, sizeof(rel));
	v->rel_count = n;
	v->rel_pending = true;
	v->rel_seen = true;
	log_debug(VPCI_TOPIC, "%s: bus relations with %u function(s)", v->name, n);
}

static void vsc_on_eject(struct vpci_vsc *v, const struct vpci_msg_slot *m)
{
	struct vpci_vsc_dev *dev = vsc_dev(v, m->slot);

	if (!dev) {
		/* announced by relations we have not applied yet: eject it on arrival */
		for (uint32_t i = 0; i < v->rel_count && v->rel_pending; i++)
			if (v->rel[i].slot == m->slot) {
				v->rel_eject[i] = true;
				return;
			}
		vsc_refuse(v, VPCI_REFUSED_DEVICE, "EJECT of slot 0x%x", m->slot);
		return;
	}
	if (vpci__dev_set_state(&dev->state, VPCI_DEV_EJECTING, dev->name)) {
		v->st.refused[VPCI_REFUSED_STATE]++;
		return;
	}
	dev->eject_answered = false;
	log_info(VPCI_TOPIC, "%s: the host asks to eject it", dev->name);
}

static void vsc_on_invalidate(struct vpci_vsc *v, const struct vpci_msg_invalidate *m)
{
	struct vpci_vsc_dev *dev = vsc_dev(v, m->slot);

	if (!dev) {
		vsc_refuse(v, VPCI_REFUSED_DEVICE, "INVALIDATE_BLOCK for slot 0x%x", m->slot);
		return;
	}
	if (dev->state != VPCI_DEV_ASSIGNED && dev->state != VPCI_DEV_ACTIVE) {
		vsc_refuse(v, VPCI_REFUSED_STATE, "INVALIDATE_BLOCK for %s in state %s", dev->name,
			   vpci_dev_state_name(dev->state));
		return;
	}
	v->st.invalidates++;
	dev->inval_mask |= m->block_mask;
	trace_instant("config", "config block invalidate", "slot=0x%x mask=0x%llx", m->slot,
		      (unsigned long long)m->block_mask);
}

static void vsc_on_message(struct vpci_vsc *v, const struct vmbus_pkt_in *pkt)
{
	const struct vpci_msg_info *mi;
	enum vpci_refusal why;
	union vsc_msg m;

	if (vpci_msg_check(pkt->data, pkt->len, VPCI_TO_GUEST, v->version, &mi, &why)) {
		uint32_t type = 0;

		if (pkt->len >= sizeof(type))
			memcpy(&type, pkt->data, sizeof(type));
		vsc_refuse(v, why, "%s (type 0x%x), %u bytes, version 0x%x", vpci_msg_name(type),
			   type, pkt->len, v->version);
		return;
	}
	if (pkt->len > sizeof(m)) {
		vsc_refuse(v, VPCI_REFUSED_LENGTH, "%s of %u bytes", mi->name, pkt->len);
		return;
	}
	memcpy(&m, pkt->data, pkt->len);	/* private copy before any check */
	switch (m.hdr.type) {
	case VPCI_MSG_BUS_RELATIONS:
	case VPCI_MSG_BUS_RELATIONS2:
		vsc_on_relations(v, &m, pkt->len);
		break;
	case VPCI_MSG_EJECT:
		vsc_on_eject(v, &m.slot);
		break;
	case VPCI_MSG_INVALIDATE_BLOCK:
		vsc_on_invalidate(v, &m.inval);
		break;
	default:
		vsc_refuse(v, VPCI_REFUSED_TYPE, "no handler for %s", mi->name);
		break;
	}
}

static void vsc_handle(struct vpci_vsc *v, const struct vmbus_pkt_in *pkt)
{
	v->st.messages++;
	if (pkt->type == VMBUS_PKT_COMP)
		vsc_on_completion(v, pkt);
	else
		vsc_on_message(v, pkt);
}

/* Handle every packet in the ring now. Returns how many, or -ENODEV. */
static int vsc_drain(struct vpci_vsc *v)
{
	int handled = 0;

	if (v->bus == VPCI_BUS_GONE)
		return -ENODEV;
	for (;;) {
		struct vmbus_pkt_in pkt = { 0 };
		int n = v->io.recv(v->io.arg, &pkt, v->rxbuf, v->rxlen);

		if (n == -ENOBUFS && pkt.len > v->rxlen && pkt.len <= VMBUS_PKT_PAYLOAD_MAX) {
			/* an oversized message: take it in whole, then refuse it */
			uint8_t *b = realloc(v->rxbuf, pkt.len);

			if (!b)
				return -ENOMEM;
			v->rxbuf = b;
			v->rxlen = pkt.len;
			continue;
		}
		if (n < 0)
			return vsc_lost(v, n);
		if (n == 0)
			return handled;
		vsc_handle(v, &pkt);
		handled++;
	}
}

/* Handle what is there, or wait up to timeout_ms for something. */
static int vsc_pump(struct vpci_vsc *v, int timeout_ms)
{
	int n = vsc_drain(v), w;

	if (n != 0 || timeout_ms <= 0)
		return n;
	w = v->io.wait(v->io.arg, timeout_ms);
	if (w < 0)
		return vsc_lost(v, w);
	return w ? vsc_drain(v) : 0;
}

/* ---- requests ----------------------------------------------------------- */

static int vsc_send(struct vpci_vsc *v, const struct vmbus_pkt *p, int64_t deadline)
{
	for (;;) {
		int64_t left;
		int n = v->io.send(v->io.arg, p), w;

		if (n > 0)
			return 0;
		if (n < 0)
			return vsc_lost(v, n);
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		w = v->io.wait_space(v->io.arg, vmbus_chan_pkt_size(p->len), (int)left);
		if (w < 0)
			return vsc_lost(v, w);
	}
}

int vpci_vsc__post(struct vpci_vsc *v, const void *msg, uint32_t len)
{
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = msg, .len = len };

	if (v->bus == VPCI_BUS_GONE)
		return -ENODEV;
	return vsc_send(v, &p, now_ms() + v->cfg.timeout_ms);
}

/*
 * Send msg asking for a completion and wait for it. 0 with the completion in
 * v->wait_resp / v->wait_len, or -errno.
 */
static int vsc_call(struct vpci_vsc *v, const void *msg, uint32_t len)
{
	int64_t deadline = now_ms() + v->cfg.timeout_ms;
	struct vmbus_pkt p = {
		.type = VMBUS_PKT_DATA_INBAND,
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		.data = msg,
		.len = len,
	};
	int err;

	if (v->bus == VPCI_BUS_GONE)
		return -ENODEV;
	if (v->wait_txn)
		return -EBUSY;	/* one request at a time; callbacks never run inside one */
	v->wait_type = 0;
	if (len >= sizeof(v->wait_type))
		memcpy(&v->wait_type, msg, sizeof(v->wait_type));
	p.trans_id = v->wait_txn = ++v->next_txn;
	v->wait_done = false;
	v->st.requests++;
	err = vsc_send(v, &p, deadline);
	while (!err && !v->wait_done) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0) {
			err = -ETIMEDOUT;
			v->st.timeouts++;
			break;
		}
		n = vsc_pump(v, (int)left);
		if (n < 0)
			err = n;
	}
	v->wait_txn = 0;
	if (err) {
		log_warn(VPCI_TOPIC, "%s: %s got no answer: %s", v->name,
			 vpci_msg_name(v->wait_type), strerror(-err));
		return err;
	}
	return v->wait_err;
}

int vpci_vsc__request(struct vpci_vsc *v, const void *msg, uint32_t len, void *resp,
		      uint32_t cap, uint32_t *resp_len)
{
	int err = vsc_call(v, msg, len);

	if (err)
		return err;
	memcpy(resp, v->wait_resp, v->wait_len < cap ? v->wait_len : cap);
	*resp_len = v->wait_len;
	return 0;
}

/*
 * A typed request: the completion's status in *status, its payload (a
 * success is exactly the table's size) copied to resp. Returns 0 (check
 * *status) or -errno for transport failures, with *status set to say so.
 */
static int vsc_typed_call(struct vpci_vsc *v, const void *msg, uint32_t len, void *resp,
			  uint32_t resp_size, uint32_t *status)
{
	struct vpci_resp_hdr h;
	int err = vsc_call(v, msg, len);

	if (err) {
		*status = err == -ENODEV ? VPCI_STATUS_DEVICE_REMOVED : VPCI_STATUS_UNSUCCESSFUL;
		return err;
	}
	memcpy(&h, v->wait_resp, sizeof(h));
	*status = h.status;
	if (resp && VPCI_STATUS_OK(h.status))
		memcpy(resp, v->wait_resp, resp_size);	/* wait_len == resp_size, checked */
	return 0;
}

/* Status of a request the host answered: 0 or the errno its status maps to. */
static int status_err(uint32_t status)
{
	return vpci_status_to_errno(status);
}

/* ---- bring-up and the bus ------------------------------------------------ */

static int dev_usable(const struct vpci_vsc_dev *dev, uint32_t *status)
{
	if (dev->vsc->bus == VPCI_BUS_GONE || dev->state == VPCI_DEV_REMOVED) {
		set_status(status, VPCI_STATUS_DEVICE_REMOVED);
		return -ENODEV;
	}
	return 0;
}

static int dev_slot_call(struct vpci_vsc_dev *dev, uint32_t type, void *resp, uint32_t size,
			 uint32_t *status)
{
	struct vpci_msg_slot m = { .hdr = { .type = type }, .slot = dev->info.slot };
	int err = vsc_typed_call(dev->vsc, &m, sizeof(m), resp, size, status);

	return err ? err : status_err(*status);
}

int vpci_vsc_set_power(struct vpci_vsc_dev *dev, uint32_t power_state, uint32_t *status)
{
	struct vpci_msg_power m = {
		.hdr = { .type = VPCI_MSG_POWER_STATE_CHANGE },
		.slot = dev->info.slot,
		.power_state = power_state,
	};
	bool to_d0 = power_state == VPCI_POWER_D0;
	uint32_t st;
	int err = dev_usable(dev, status);

	if (err)
		return err;
	if (power_state < VPCI_POWER_D0 || power_state > VPCI_POWER_D3) {
		set_status(status, VPCI_STATUS_INVALID_PARAMETER);
		return -EINVAL;
	}
	if (dev->state != (to_d0 ? VPCI_DEV_ASSIGNED : VPCI_DEV_ACTIVE)) {
		set_status(status, VPCI_STATUS_INVALID_DEVICE_STATE);
		return -EBUSY;
	}
	err = vsc_typed_call(dev->vsc, &m, sizeof(m), NULL, 0, &st);
	set_status(status, st);
	if (err || (err = status_err(st)))
		return err;
	return vpci__dev_set_state(&dev->state, to_d0 ? VPCI_DEV_ACTIVE : VPCI_DEV_ASSIGNED,
				   dev->name);
}

/* Resources, then D0: what the PnP manager does before starting the device. */
static int dev_bring_up(struct vpci_vsc_dev *dev)
{
	struct vpci_resp_probed_bars probed;
	struct vpci_resp_resources res;
	struct vpci_msg_resources_assigned ra = {
		.hdr = { .type = VPCI_MSG_RESOURCES_ASSIGNED },
		.slot = dev->info.slot,
	};
	uint32_t st;
	int err;
	TRACE_SCOPE("vm-start", "vPCI resources", "slot=0x%x serial=%u", dev->info.slot, dev->info.serial);

	err = dev_slot_call(dev, VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS, &probed, sizeof(probed), &st);
	if (err)
		return err;
	memcpy(dev->info.probed_bars, probed.probed_bar, sizeof(dev->info.probed_bars));
	err = dev_slot_call(dev, VPCI_MSG_QUERY_RESOURCES, &res, sizeof(res), &st);
	if (err)
		return err;
	memcpy(dev->info.bars, res.bars, sizeof(dev->info.bars));
	memcpy(ra.bars, res.bars, sizeof(ra.bars));
	err = vsc_typed_call(dev->vsc, &ra, sizeof(ra), NULL, 0, &st);
	if (err || (err = status_err(st)))
		return err;
	/* an EJECT that came meanwhile makes this refuse: the bring-up stops */
	err = vpci__dev_set_state(&dev->state, VPCI_DEV_ASSIGNED, dev->name);
	if (err)
		return err;
	return vpci_vsc_set_power(dev, VPCI_POWER_D0, &st);
}

static void dev_drop(struct vpci_vsc_dev *dev, bool surprise)
{
	struct vpci_vsc *v = dev->vsc;

	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		if (v->devs[i] == dev)
			v->devs[i] = NULL;
	vpci__dev_set_state(&dev->state, VPCI_DEV_REMOVED, dev->name);
	log_info(VPCI_TOPIC, "%s: removed (%s)", dev->name, surprise ? "surprise" : "ejected");
	if (dev->arrived && v->cfg.removal)
		v->cfg.removal(dev, surprise, v->cfg.arg);
	free(dev);
}

static bool same_function(const struct vpci_func_info *a, const struct vpci_func_desc2 *d)
{
	return a->serial == d->serial && a->vendor_id == d->vendor_id &&
	       a->device_id == d->device_id;
}

/*
 * Apply the newest relations: drop the missing, make records for the new
 * ones, then bring each up and announce it. All records exist before the
 * first bring-up pumps the channel, so an EJECT that arrives meanwhile
 * finds its function whichever it names.
 */
static int vsc_apply_relations(struct vpci_vsc *v)
{
	struct vpci_func_desc2 rel[VPCI_MAX_FUNCS];
	struct vpci_vsc_dev *fresh[VPCI_MAX_FUNCS];
	bool eject[VPCI_MAX_FUNCS];
	uint32_t n = v->rel_count, nfresh = 0;
	int events = 0;

	/* bringing functions up pumps the channel, which may replace v->rel */
	memcpy(rel, v->rel, sizeof(rel));
	memcpy(eject, v->rel_eject, sizeof(eject));
	v->rel_pending = false;
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_vsc_dev *dev = v->devs[i];
		bool present = false;

		if (!dev)
			continue;
		for (uint32_t j = 0; j < n && !present; j++)
			present = rel[j].slot == dev->info.slot && same_function(&dev->info, &rel[j]);
		if (!present) {
			dev_drop(dev, true);
			events++;
		}
	}
	for (uint32_t j = 0; j < n; j++) {
		struct vpci_vsc_dev *dev;
		unsigned i;

		if (vsc_dev(v, rel[j].slot))
			continue;
		for (i = 0; i < VPCI_MAX_FUNCS && v->devs[i]; i++)
			;
		if (i == VPCI_MAX_FUNCS)
			break;	/* cannot happen: every record left is in rel */
		dev = calloc(1, sizeof(*dev));
		if (!dev)
			break;
		dev->vsc = v;
		dev->state = VPCI_DEV_REPORTED;
		dev->info = (struct vpci_func_info){
			.slot = rel[j].slot, .serial = rel[j].serial,
			.vendor_id = rel[j].vendor_id, .device_id = rel[j].device_id,
			.revision = rel[j].revision, .prog_if = rel[j].prog_if,
			.subclass = rel[j].subclass, .base_class = rel[j].base_class,
			.subsystem_id = rel[j].subsystem_id, .flags = rel[j].flags,
			.numa_node = rel[j].numa_node,
		};
		snprintf(dev->name, sizeof(dev->name), "%s slot 0x%x", v->name, rel[j].slot);
		v->devs[i] = dev;
		if (eject[j])	/* the host wants it back already: no bring-up, just the eject */
			vpci__dev_set_state(&dev->state, VPCI_DEV_EJECTING, dev->name);
		else
			fresh[nfresh++] = dev;
	}
	/* records are freed only by vsc_process(), which is running: fresh[] stays valid */
	for (uint32_t k = 0; k < nfresh; k++) {
		struct vpci_vsc_dev *dev = fresh[k];

		if (dev->state != VPCI_DEV_REPORTED)
			continue;	/* ejected before its turn: the eject pass drops it */
		if (dev_bring_up(dev)) {
			v->st.bringup_failures++;
			log_warn(VPCI_TOPIC, "%s: could not be brought up; not announced", dev->name);
			continue;
		}
		dev->arrived = true;
		events++;
		log_info(VPCI_TOPIC, "%s: arrived, %04x:%04x serial 0x%x", dev->name,
			 dev->info.vendor_id, dev->info.device_id, dev->info.serial);
		if (v->cfg.arrival)
			v->cfg.arrival(dev, v->cfg.arg);
	}
	return events;
}

static void dev_eject(struct vpci_vsc_dev *dev)
{
	struct vpci_vsc *v = dev->vsc;
	struct vpci_msg_slot done = {
		.hdr = { .type = VPCI_MSG_EJECTION_COMPLETE },
		.slot = dev->info.slot,
	};
	int rc = 0;

	dev->eject_answered = true;
	if (dev->arrived && v->cfg.eject)
		rc = v->cfg.eject(dev, v->cfg.arg);
	if (rc) {
		log_info(VPCI_TOPIC, "%s: eject refused by the PnP layer (%s); the host will "
			 "remove it by surprise", dev->name, strerror(rc < 0 ? -rc : rc));
		return;
	}
	dev_drop(dev, false);
	if (vpci_vsc__post(v, &done, sizeof(done)))
		log_warn(VPCI_TOPIC, "%s: could not send EJECTION_COMPLETE for slot 0x%x", v->name,
			 done.slot);
}

/* Act on what the pumps recorded, until nothing is left. Returns events handled. */
static int vsc_process(struct vpci_vsc *v)
{
	int events = 0, pass;

	if (v->processing)
		return 0;
	v->processing = true;
	do {
		pass = 0;
		if (v->bus == VPCI_BUS_GONE) {
			for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
				if (v->devs[i]) {
					dev_drop(v->devs[i], true);
					pass++;
				}
			events += pass;
			break;
		}
		if (v->rel_pending)
			pass += 1 + vsc_apply_relations(v);
		for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
			struct vpci_vsc_dev *dev = v->devs[i];

			if (dev && dev->state == VPCI_DEV_EJECTING && !dev->eject_answered) {
				dev_eject(dev);
				pass++;
			}
		}
		for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
			struct vpci_vsc_dev *dev = v->devs[i];
			uint64_t mask;

			if (!dev || !dev->inval_mask || !dev->inval_fn || !dev->arrived)
				continue;
			mask = dev->inval_mask;
			dev->inval_mask = 0;
			dev->inval_fn(dev, mask, dev->inval_arg);
			pass++;
		}
		events += pass;
	} while (pass);
	v->processing = false;
	return events;
}

static int vsc_start(struct vpci_vsc *v)
{
	static const uint32_t versions[] = VPCI_PROTO_VERSIONS;
	struct vpci_msg_version vm = { .hdr = { .type = VPCI_MSG_QUERY_PROTOCOL_VERSION } };
	struct vpci_msg_d0_entry d0 = { .hdr = { .type = VPCI_MSG_BUS_D0ENTRY } };
	struct vpci_msg_hdr q = { .type = VPCI_MSG_QUERY_BUS_RELATIONS };
	int64_t deadline;
	uint32_t st;
	int err;

	/* newest first (pci-hyperv.c hv_pci_protocol_negotiation) */
	for (size_t i = sizeof(versions) / sizeof(versions[0]); i-- > 0 && !v->version;) {
		if (versions[i] > v->cfg.max_version)
			continue;
		vm.version = versions[i];
		err = vsc_typed_call(v, &vm, sizeof(vm), NULL, 0, &st);
		if (err)
			return err;
		if (st == VPCI_STATUS_REVISION_MISMATCH)
			continue;
		if (!VPCI_STATUS_OK(st))
			return status_err(st);
		v->version = versions[i];
	}
	if (!v->version) {
		log_error(VPCI_TOPIC, "%s: the host speaks none of our protocol versions", v->name);
		return -EPROTONOSUPPORT;
	}
	vpci__bus_set_state(&v->bus, VPCI_BUS_NEGOTIATED, v->name);
	err = vsc_typed_call(v, &d0, sizeof(d0), NULL, 0, &st);
	if (err || (err = status_err(st)))
		return err;
	vpci__bus_set_state(&v->bus, VPCI_BUS_D0, v->name);
	err = vpci_vsc__post(v, &q, sizeof(q));
	if (err)
		return err;
	deadline = now_ms() + v->cfg.timeout_ms;
	while (!v->rel_seen) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = vsc_pump(v, (int)left);
		if (n < 0)
			return n;
	}
	log_info(VPCI_TOPIC, "%s: protocol %u.%u, bus in D0", v->name,
		 VPCI_VERSION_MAJOR(v->version), VPCI_VERSION_MINOR(v->version));
	vsc_process(v);
	return 0;
}

/* ---- API ---------------------------------------------------------------- */

static int chan_send(void *arg, const struct vmbus_pkt *p)
{
	return vmbus_chan_send(arg, p, 1);
}

static int chan_recv(void *arg, struct vmbus_pkt_in *pkt, void *buf, size_t buflen)
{
	return vmbus_chan_recv(arg, pkt, 1, buf, buflen);
}

/* A wait here is for the host's answer to a request just sent (the guest's loop polls with 0): spin first. */
static int chan_wait(void *arg, int timeout_ms)
{
	return vmbus_chan_wait_spin(arg, timeout_ms);
}

static int chan_wait_space(void *arg, uint32_t need, int timeout_ms)
{
	return vmbus_chan_wait_space(arg, need, timeout_ms);
}

static int vsc_alloc(const struct vpci_vsc_config *cfg, const struct vpci_vsc_io *io,
		     struct vpci_vsc **out)
{
	struct vpci_vsc *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->rxbuf = malloc(VSC_RX_BUF);
	if (!v->rxbuf) {
		free(v);
		return -ENOMEM;
	}
	v->rxlen = VSC_RX_BUF;
	v->cfg = *cfg;
	if (!v->cfg.max_version)
		v->cfg.max_version = VPCI_PROTO_CURRENT;
	if (v->cfg.timeout_ms <= 0)
		v->cfg.timeout_ms = VSC_DEFAULT_TIMEOUT_MS;
	v->io = *io;
	v->bus = VPCI_BUS_CLOSED;
	snprintf(v->name, sizeof(v->name), "vpci vsc");
	*out = v;
	return 0;
}

static void vsc_free(struct vpci_vsc *v)
{
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		free(v->devs[i]);
	free(v->rxbuf);
	free(v);
}

int vpci_vsc_create(struct vmbus_guest *g, const struct vpci_vsc_config *cfg,
		    struct vpci_vsc **out)
{
	struct vmbus_channel *ch = vmbus_guest_find(g, &vpci_class);
	struct vpci_vsc_io io = { chan_send, chan_recv, chan_wait, chan_wait_space, ch };
	struct vpci_vsc *v;
	int err;

	if (!ch)
		return -ENODEV;
	err = vsc_alloc(cfg, &io, &v);
	if (err)
		return err;
	v->ch = ch;
	err = vmbus_guest_open(ch, cfg->ring_gpa, cfg->ring_len, cfg->ring_len, v->cfg.timeout_ms);
	if (err)
		goto fail_open;
	vpci__bus_set_state(&v->bus, VPCI_BUS_OPEN, v->name);
	err = vsc_start(v);
	if (err)
		goto fail_start;
	*out = v;
	return 0;

fail_start:
	if (v->bus != VPCI_BUS_GONE)
		vmbus_guest_close(ch, v->cfg.timeout_ms);
fail_open:
	log_error(VPCI_TOPIC, "%s: vPCI bus start failed: %s", v->name, strerror(-err));
	vsc_free(v);
	return err;
}

int vpci_vsc__create_io(const struct vpci_vsc_config *cfg, const struct vpci_vsc_io *io,
			struct vpci_vsc **out)
{
	struct vpci_vsc *v;
	int err = vsc_alloc(cfg, io, &v);

	if (err)
		return err;
	vpci__bus_set_state(&v->bus, VPCI_BUS_OPEN, v->name);
	err = vsc_start(v);
	if (err) {
		vsc_free(v);
		return err;
	}
	*out = v;
	return 0;
}

void vpci_vsc_destroy(struct vpci_vsc *v)
{
	struct vpci_msg_hdr exit = { .type = VPCI_MSG_BUS_D0EXIT };
	uint32_t st;

	if (!v)
		return;
	if (v->bus == VPCI_BUS_D0 && vsc_typed_call(v, &exit, sizeof(exit), NULL, 0, &st) == 0 &&
	    VPCI_STATUS_OK(st))
		vpci__bus_set_state(&v->bus, VPCI_BUS_NEGOTIATED, v->name);
	if (v->ch && v->bus != VPCI_BUS_GONE)
		vmbus_guest_close(v->ch, v->cfg.timeout_ms);
	vsc_free(v);
}

int vpci_vsc_wait_fd(const struct vpci_vsc *v)
{
	return v && v->ch ? vmbus_chan_wait_fd(v->ch) : -1;
}

int vpci_vsc_poll(struct vpci_vsc *v, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int events = vsc_process(v);

	while (!events) {
		int64_t left = deadline - now_ms();
		int n;

		if (v->bus == VPCI_BUS_GONE)
			return -ENODEV;
		/* wake-ups may be spurious or bring only completions: wait out the time */
		n = vsc_pump(v, left > 0 ? (int)left : 0);
		events = vsc_process(v);
		if (events)
			break;
		if (n < 0)
			return n;
		if (left <= 0)
			return 0;
	}
	return events;
}

int vpci_vsc_config_read(struct vpci_vsc_dev *dev, uint32_t offset, void *buf, uint32_t len,
			 uint32_t *status)
{
	struct vpci_msg_config_read m = {
		.hdr = { .type = VPCI_MSG_CONFIG_READ },
		.slot = dev->info.slot,
		.offset = offset,
		.length = len,
	};
	struct vpci_resp_config_read r;
	uint32_t st;
	TRACE_SCOPE("config", "config read", "slot=0x%x offset=0x%x length=%u", dev->info.slot, offset, len);
	int err = dev_usable(dev, status);

	if (err)
		return err;
	if (!vpci_cfg_range_ok(offset, len)) {
		set_status(status, VPCI_STATUS_INVALID_PARAMETER);
		return -EINVAL;
	}
	err = vsc_typed_call(dev->vsc, &m, sizeof(m), &r, sizeof(r), &st);
	set_status(status, st);
	if (err || (err = status_err(st)))
		return err;
	if (r.length != len) {
		set_status(status, VPCI_STATUS_UNSUCCESSFUL);
		return -EPROTO;
	}
	memcpy(buf, r.data, len);
	return 0;
}

int vpci_vsc_config_write(struct vpci_vsc_dev *dev, uint32_t offset, const void *buf,
			  uint32_t len, uint32_t *status)
{
	struct vpci_msg_config_write m = {
		.hdr = { .type = VPCI_MSG_CONFIG_WRITE },
		.slot = dev->info.slot,
		.offset = offset,
		.length = len,
	};
	uint32_t st;
	TRACE_SCOPE("config", "config write", "slot=0x%x offset=0x%x length=%u", dev->info.slot, offset, len);
	int err = dev_usable(dev, status);

	if (err)
		return err;
	if (!vpci_cfg_range_ok(offset, len)) {
		set_status(status, VPCI_STATUS_INVALID_PARAMETER);
		return -EINVAL;
	}
	memcpy(m.data, buf, len);
	/* only the bytes in use go on the wire */
	err = vsc_typed_call(dev->vsc, &m, (uint32_t)offsetof(struct vpci_msg_config_write, data) + len,
			     NULL, 0, &st);
	set_status(status, st);
	return err ? err : status_err(st);
}

int vpci_vsc_read_block(struct vpci_vsc_dev *dev, uint32_t block_id, void *buf, uint32_t len,
			uint32_t *status)
{
	struct vpci_msg_read_block m = {
		.hdr = { .type = VPCI_MSG_READ_BLOCK },
		.slot = dev->info.slot,
		.block_id = block_id,
		.bytes_requested = len,
	};
	struct vpci_resp_read_block r;
	uint32_t st;
	TRACE_SCOPE("config", "config block read", "slot=0x%x block=%u bytes=%u", dev->info.slot, block_id, len);
	int err = dev_usable(dev, status);

	if (err)
		return err;
	if (len < 1 || len > VPCI_BLOCK_MAX) {
		set_status(status, VPCI_STATUS_INVALID_PARAMETER);
		return -EINVAL;
	}
	err = vsc_typed_call(dev->vsc, &m, sizeof(m), &r, sizeof(r), &st);
	set_status(status, st);
	if (err || (err = status_err(st)))
		return err;
	if (r.bytes_returned != len) {
		/* pci-hyperv.c treats a short block as an I/O error too */
		set_status(status, VPCI_STATUS_UNSUCCESSFUL);
		return -EPROTO;
	}
	memcpy(buf, r.bytes, len);
	return 0;
}

int vpci_vsc_write_block(struct vpci_vsc_dev *dev, uint32_t block_id, const void *buf,
			 uint32_t len, uint32_t *status)
{
	struct vpci_msg_write_block m = {
		.hdr = { .type = VPCI_MSG_WRITE_BLOCK },
		.slot = dev->info.slot,
		.block_id = block_id,
		.byte_count = len,
	};
	uint32_t st;
	TRACE_SCOPE("config", "config block write", "slot=0x%x block=%u bytes=%u", dev->info.slot, block_id, len);
	int err = dev_usable(dev, status);

	if (err)
		return err;
	if (len < 1 || len > VPCI_BLOCK_MAX) {
		set_status(status, VPCI_STATUS_INVALID_PARAMETER);
		return -EINVAL;
	}
	memcpy(m.bytes, buf, len);
	err = vsc_typed_call(dev->vsc, &m, sizeof(m), NULL, 0, &st);
	set_status(status, st);
	return err ? err : status_err(st);
}

void vpci_vsc_dev_set_invalidate(struct vpci_vsc_dev *dev, vpci_vsc_invalidate_fn fn, void *arg)
{
	dev->inval_fn = fn;
	dev->inval_arg = arg;
}

int vpci_vsc_wait_invalidate(struct vpci_vsc_dev *dev, int timeout_ms, uint64_t *mask)
{
	struct vpci_vsc *v = dev->vsc;
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	bool looked = false;

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (dev->inval_mask) {
			*mask = dev->inval_mask;
			dev->inval_mask = 0;
			return 0;
		}
		if (v->bus == VPCI_BUS_GONE || dev->state == VPCI_DEV_EJECTING ||
		    dev->state == VPCI_DEV_REMOVED)
			return -ENODEV;
		/* look at the ring at least once, even with no time left */
		if (looked && left <= 0)
			return -ETIMEDOUT;
		n = vsc_pump(v, left > 0 ? (int)left : 0);
		looked = true;
		if (n < 0 && n != -ETIMEDOUT)
			return n;
	}
}

uint32_t vpci_vsc_version(const struct vpci_vsc *v)
{
	return v->version;
}

enum vpci_bus_state vpci_vsc_bus_state(const struct vpci_vsc *v)
{
	return v->bus;
}

unsigned vpci_vsc_dev_count(const struct vpci_vsc *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		n += v->devs[i] != NULL;
	return n;
}

struct vpci_vsc_dev *vpci_vsc_find(struct vpci_vsc *v, uint32_t slot)
{
	return vsc_dev(v, slot);
}

struct vpci_vsc_dev *vpci_vsc__dev_at(struct vpci_vsc *v, unsigned i)
{
	return i < VPCI_MAX_FUNCS ? v->devs[i] : NULL;
}

struct vpci_vsc_dev *vpci_vsc_find_serial(struct vpci_vsc *v, uint32_t serial)
{
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		if (v->devs[i] && v->devs[i]->info.serial == serial)
			return v->devs[i];
	return NULL;
}

const struct vpci_func_info *vpci_vsc_dev_info(const struct vpci_vsc_dev *dev)
{
	return &dev->info;
}

enum vpci_dev_state vpci_vsc_dev_state(const struct vpci_vsc_dev *dev)
{
	return dev->state;
}

struct vpci_vsc *vpci_vsc_dev_bus(const struct vpci_vsc_dev *dev)
{
	return dev->vsc;
}

void vpci_vsc_get_stats(const struct vpci_vsc *v, struct vpci_vsc_stats *st)
{
	*st = v->st;
}

uint64_t vpci_vsc_refused(const struct vpci_vsc *v)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < VPCI_REFUSED_COUNT; i++)
		n += v->st.refused[i];
	return n;
}
