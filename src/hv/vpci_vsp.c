/*
 * The vPCI VSP of the root partition (see vpci_vsp.h): one per VM, it owns
 * the VM's vPCI bus channel, the table of functions assigned to the VM and,
 * for each, the backend that stands for the PF miniport's SR-IOV OIDs.
 * Guest requests arrive on the channel's data events and are answered at
 * once by calling the backend; host-initiated messages (bus relations,
 * eject, invalidate) are not queued but kept as state -- "relations are
 * stale", "eject not yet sent", the cached invalidate mask -- and sent by
 * vsp_flush() from the event loop, so repeated changes coalesce and a full
 * guest ring only delays them (ndis-sriov-spec.md 2.11, 2.13, 2.17).
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/vmbus_priv.h"
#include "hv/vpci_priv.h"

#define VSP_RX_BATCH 16u
#define VSP_RX_BUF 4096u

struct vpci_vsp_dev {
	struct vpci_vsp *vsp;
	enum vpci_dev_state state;
	struct vpci_dev_desc desc;
	uint16_t vendor_id, device_id;		/* from OID_SRIOV_VF_VENDOR_DEVICE_ID */
	const struct vpci_backend_ops *ops;
	void *ctx;
	uint32_t power;				/* D-state last set through the backend */
	struct vpci_bar_desc bars[VPCI_BAR_COUNT];	/* told to the guest by QUERY_RESOURCES */
	bool bars_known;
	bool eject_unsent;			/* ejecting, EJECT not yet in the guest's ring */
	uint64_t inval_mask;			/* invalidated blocks not yet sent */
	int timer_fd;				/* eject deadline, -1 if none */
	char name[80];
};

struct vpci_vsp {
	char name[48];
	struct vpci_vsp_config cfg;
	struct vmbus_channel *ch;		/* NULL once rescinded, or detached */
	struct evloop *loop;			/* NULL when detached */
	vpci__send_fn send;			/* detached: where packets go */
	void *send_arg;
	enum vpci_bus_state bus;
	uint32_t version;
	bool relations_requested;		/* the guest asked (QUERY_BUS_RELATIONS) */
	bool relations_stale;			/* the function set changed since the last relations */
	int work_fd;				/* eventfd: run vsp_flush() from the loop */
	struct vpci_vsp_dev *devs[VPCI_MAX_FUNCS];
	struct vpci_vsp_stats st;
	struct vmbus_pkt_in in[VSP_RX_BATCH];
	uint8_t *rxbuf;
	size_t rxlen;
};

/* Every message the guest may send, as the handlers see it. */
union vsp_msg {
	struct vpci_msg_hdr hdr;
	struct vpci_msg_version version;
	struct vpci_msg_d0_entry d0;
	struct vpci_msg_slot slot;
	struct vpci_msg_power power;
	struct vpci_msg_resources_assigned assigned;
	struct vpci_msg_read_block read_block;
	struct vpci_msg_write_block write_block;
	struct vpci_msg_config_read config_read;
	struct vpci_msg_config_write config_write;
};

_Static_assert(sizeof(union vsp_msg) == sizeof(struct vpci_msg_config_write),
	       "the largest guest message is CONFIG_WRITE");

union vsp_resp {
	struct vpci_resp_hdr hdr;
	struct vpci_resp_probed_bars probed;
	struct vpci_resp_resources resources;
	struct vpci_resp_read_block read_block;
	struct vpci_resp_config_read config_read;
};

static const struct vmbus_guid vpci_class = VPCI_CLASS_GUID_INIT;

static const char *const vpci_removal_names[VPCI_REMOVAL_COUNT] = {
	[VPCI_REMOVAL_UNREPORTED] = "unreported",
	[VPCI_REMOVAL_GRACEFUL] = "graceful",
	[VPCI_REMOVAL_SURPRISE] = "surprise",
	[VPCI_REMOVAL_GUEST_GONE] = "guest gone",
};

const char *vpci_removal_name(enum vpci_removal how)
{
	return (unsigned)how < VPCI_REMOVAL_COUNT ? vpci_removal_names[how] : "?";
}

/* Count and log a refused message; returns the status to answer it with. */
static uint32_t __attribute__((format(printf, 3, 4)))
vsp_refuse(struct vpci_vsp *vsp, enum vpci_refusal why, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	vsp->st.refused[why]++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn(VPCI_TOPIC, "%s: refused guest message (%s): %s", vsp->name,
		 vpci_refusal_name(why), msg);
	return vpci_refusal_status(why);
}

static void vsp_kick(struct vpci_vsp *vsp)
{
	uint64_t one = 1;

	/* A full counter means a flush is already due; nothing to add. */
	if (vsp->work_fd >= 0 && write(vsp->work_fd, &one, sizeof(one)) < 0)
		log_debug(VPCI_TOPIC, "%s: work already signalled", vsp->name);
}

/* One packet to the guest: 1 sent, 0 ring full (the guest will signal room), -errno. */
static int vsp_send(struct vpci_vsp *vsp, uint16_t type, uint64_t trans_id, const void *data,
		    uint32_t len)
{
	struct vmbus_pkt p = { .type = type, .trans_id = trans_id, .data = data, .len = len };
	int n;

	if (vsp->send)
		return vsp->send(vsp->send_arg, &p);
	if (!vsp->ch)
		return -ENODEV;
	n = vmbus_chan_send(vsp->ch, &p, 1);
	/*
	 * Full: publish pending_send_sz so the guest signals us once it has
	 * read enough (a data event, which flushes again). Not
	 * vmbus_chan_wait_space(): it would poll and drain the eventfd the
	 * event loop watches.
	 */
	if (n == 0 && vmbus_ring_want_space(&vsp->ch->out, vmbus_chan_pkt_size(len)))
		n = vmbus_chan_send(vsp->ch, &p, 1);
	return n;
}

/* ---- functions ---------------------------------------------------------- */

static int dev_set_state(struct vpci_vsp_dev *dev, enum vpci_dev_state to)
{
	return vpci__dev_set_state(&dev->state, to, dev->name);
}

static bool dev_in(const struct vpci_vsp_dev *dev, unsigned states)
{
	return (states >> dev->state) & 1u;
}

#define S(x) (1u << VPCI_DEV_##x)
#define GUEST_VISIBLE (S(REPORTED) | S(ASSIGNED) | S(ACTIVE) | S(EJECTING))

/* Backend call wrappers: count, and log failures (the guest sees the status). */
static uint32_t dev_power(struct vpci_vsp_dev *dev, uint32_t state, bool wake)
{
	uint32_t st;

	dev->vsp->st.backend_calls++;
	st = dev->ops->set_vf_power_state(dev->ctx, dev->desc.vf_id, state, wake);
	if (!VPCI_STATUS_OK(st))
		log_warn(VPCI_TOPIC, "%s: backend refused power state D%u: status 0x%x", dev->name,
			 state - 1, st);
	else
		dev->power = state;
	return st;
}

static void dev_disarm(struct vpci_vsp_dev *dev)
{
	if (dev->timer_fd < 0)
		return;
	if (dev->vsp->loop)
		evloop_del(dev->vsp->loop, dev->timer_fd);
	close(dev->timer_fd);
	dev->timer_fd = -1;
}

static void dev_free(struct vpci_vsp_dev *dev)
{
	dev_disarm(dev);
	free(dev);
}

static unsigned vsp_dev_index(const struct vpci_vsp *vsp, const struct vpci_vsp_dev *dev)
{
	unsigned i;

	for (i = 0; i < VPCI_MAX_FUNCS && vsp->devs[i] != dev; i++)
		;
	return i;
}

/* The function has left the VM: power it down, tell the owner, free it. */
static void dev_finish(struct vpci_vsp_dev *dev, enum vpci_removal how)
{
	struct vpci_vsp *vsp = dev->vsp;
	unsigned i = vsp_dev_index(vsp, dev);

	assert(i < VPCI_MAX_FUNCS);	/* every function lives in the table */
	if (dev->power == VPCI_POWER_D0)
		dev_power(dev, VPCI_POWER_D3, false);
	dev_disarm(dev);
	dev_set_state(dev, VPCI_DEV_REMOVED);
	vsp->devs[i] = NULL;
	vsp->st.removals[how]++;
	log_info(VPCI_TOPIC, "%s: removed (%s)", dev->name, vpci_removal_name(how));
	if (how != VPCI_REMOVAL_GUEST_GONE) {
		vsp->relations_stale = true;
		vsp_kick(vsp);
	}
	if (vsp->cfg.removed)
		vsp->cfg.removed(dev, how, dev->ctx, vsp->cfg.arg);
	free(dev);
}

/* The function in slot as the guest knows it, or NULL (refusal counted). */
static struct vpci_vsp_dev *vsp_guest_dev(struct vpci_vsp *vsp, uint32_t slot, uint32_t type,
					  uint32_t *status)
{
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_vsp_dev *dev = vsp->devs[i];

		if (dev && dev->desc.slot == slot && dev_in(dev, GUEST_VISIBLE))
			return dev;
	}
	*status = vsp_refuse(vsp, VPCI_REFUSED_DEVICE, "%s for slot 0x%x: no such function",
			     vpci_msg_name(type), slot);
	return NULL;
}

static uint32_t refuse_dev_state(struct vpci_vsp_dev *dev, uint32_t type)
{
	return vsp_refuse(dev->vsp, VPCI_REFUSED_STATE, "%s for %s in state %s",
			  vpci_msg_name(type), dev->name, vpci_dev_state_name(dev->state));
}

/* ---- sending ------------------------------------------------------------ */

static int vsp_send_relations(struct vpci_vsp *vsp)
{
	_Alignas(8) uint8_t buf[sizeof(struct vpci_msg_bus_relations2) +
				VPCI_MAX_FUNCS * sizeof(struct vpci_func_desc2)];
	struct vpci_msg_bus_relations2 hdr = { 0 };
	bool v2 = vsp->version >= VPCI_PROTO_V1_2;
	size_t size = v2 ? sizeof(struct vpci_func_desc2) : sizeof(struct vpci_func_desc);
	uint32_t n = 0;
	int sent;

	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		const struct vpci_vsp_dev *dev = vsp->devs[i];
		struct vpci_func_desc2 d;

		if (!dev)
			continue;
		d = (struct vpci_func_desc2){
			.vendor_id = dev->vendor_id, .device_id = dev->device_id,
			.revision = dev->desc.revision, .prog_if = dev->desc.prog_if,
			.subclass = dev->desc.subclass, .base_class = dev->desc.base_class,
			.subsystem_id = dev->desc.subsystem_id, .slot = dev->desc.slot,
			.serial = dev->desc.serial, .flags = dev->desc.flags,
			.numa_node = dev->desc.numa_node,
		};
		/* v1 descriptions are the first 20 bytes of v2 ones */
		memcpy(buf + sizeof(hdr) + n * size, &d, size);
		n++;
	}
	hdr.hdr.type = v2 ? VPCI_MSG_BUS_RELATIONS2 : VPCI_MSG_BUS_RELATIONS;
	hdr.device_count = n;
	memcpy(buf, &hdr, sizeof(hdr));
	sent = vsp_send(vsp, VMBUS_PKT_DATA_INBAND, 0, buf, (uint32_t)(sizeof(hdr) + n * size));
	if (sent <= 0)
		return sent;
	vsp->relations_stale = false;
	vsp->st.relations_sent++;
	log_info(VPCI_TOPIC, "%s: bus relations sent, %u function(s)", vsp->name, n);
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		if (vsp->devs[i] && vsp->devs[i]->state == VPCI_DEV_PENDING)
			dev_set_state(vsp->devs[i], VPCI_DEV_REPORTED);
	return 1;
}

static int dev_send_slot_msg(struct vpci_vsp_dev *dev, uint32_t type)
{
	struct vpci_msg_slot m = { .hdr = { .type = type }, .slot = dev->desc.slot };

	return vsp_send(dev->vsp, VMBUS_PKT_DATA_INBAND, 0, &m, sizeof(m));
}

static int dev_send_invalidate(struct vpci_vsp_dev *dev)
{
	struct vpci_msg_invalidate m = {
		.hdr = { .type = VPCI_MSG_INVALIDATE_BLOCK },
		.slot = dev->desc.slot,
		.block_mask = dev->inval_mask,
	};
	int sent = vsp_send(dev->vsp, VMBUS_PKT_DATA_INBAND, 0, &m, sizeof(m));

	if (sent > 0) {
		log_debug(VPCI_TOPIC, "%s: invalidate 0x%llx sent", dev->name,
			  (unsigned long long)m.block_mask);
		dev->inval_mask = 0;	/* cleared once sent: iovlab's reset point */
		dev->vsp->st.invalidates_sent++;
	}
	return sent;
}

/*
 * Send what is due, in order: relations (so the guest knows every slot the
 * rest names), ejects, invalidates. Stops at a full ring; the guest's
 * "room again" signal brings a data event, which flushes again.
 */
static void vsp_flush(struct vpci_vsp *vsp)
{
	if (vsp->bus != VPCI_BUS_NEGOTIATED && vsp->bus != VPCI_BUS_D0)
		return;
	if (!vsp->relations_requested)
		return;
	if (vsp->relations_stale && vsp_send_relations(vsp) <= 0)
		return;
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_vsp_dev *dev = vsp->devs[i];

		if (!dev)
			continue;
		if (dev->eject_unsent) {
			if (dev_send_slot_msg(dev, VPCI_MSG_EJECT) <= 0)
				return;
			dev->eject_unsent = false;
			log_info(VPCI_TOPIC, "%s: eject requested", dev->name);
		}
		if (dev->inval_mask && dev_in(dev, S(ASSIGNED) | S(ACTIVE)) &&
		    dev_send_invalidate(dev) <= 0)
			return;
	}
}

void vpci_vsp__flush(struct vpci_vsp *vsp)
{
	vsp_flush(vsp);
}

static void on_work(int fd, uint32_t events, void *arg)
{
	struct vpci_vsp *vsp = arg;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn(VPCI_TOPIC, "%s: reading the work eventfd: %s", vsp->name, strerror(errno));
	vsp_flush(vsp);
}

/* ---- request handlers --------------------------------------------------- */

static uint32_t on_version(struct vpci_vsp *vsp, const struct vpci_msg_version *m)
{
	if (vsp->bus != VPCI_BUS_OPEN)
		return vsp_refuse(vsp, VPCI_REFUSED_STATE,
				  "QUERY_PROTOCOL_VERSION 0x%x with 0x%x already agreed", m->version,
				  vsp->version);
	if (!vpci_version_known(m->version) || m->version < vsp->cfg.min_version ||
	    m->version > vsp->cfg.max_version) {
		vsp->st.version_mismatches++;
		log_info(VPCI_TOPIC, "%s: guest proposes version 0x%x: not spoken here", vsp->name,
			 m->version);
		return VPCI_STATUS_REVISION_MISMATCH;
	}
	vsp->version = m->version;
	vpci__bus_set_state(&vsp->bus, VPCI_BUS_NEGOTIATED, vsp->name);
	log_info(VPCI_TOPIC, "%s: protocol version %u.%u agreed", vsp->name,
		 VPCI_VERSION_MAJOR(m->version), VPCI_VERSION_MINOR(m->version));
	return VPCI_STATUS_SUCCESS;
}

static uint32_t on_d0_entry(struct vpci_vsp *vsp, const struct vpci_msg_d0_entry *m)
{
	if (vsp->bus != VPCI_BUS_NEGOTIATED)
		return vsp_refuse(vsp, VPCI_REFUSED_STATE, "BUS_D0ENTRY with the bus in %s",
				  vpci_bus_state_name(vsp->bus));
	if (m->mmio_base)
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM,
				  "BUS_D0ENTRY with MMIO base 0x%llx (the host places BARs)",
				  (unsigned long long)m->mmio_base);
	vpci__bus_set_state(&vsp->bus, VPCI_BUS_D0, vsp->name);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t on_d0_exit(struct vpci_vsp *vsp)
{
	if (vsp->bus != VPCI_BUS_D0)
		return vsp_refuse(vsp, VPCI_REFUSED_STATE, "BUS_D0EXIT with the bus in %s",
				  vpci_bus_state_name(vsp->bus));
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		struct vpci_vsp_dev *dev = vsp->devs[i];

		if (dev && dev->state == VPCI_DEV_ACTIVE) {
			dev_power(dev, VPCI_POWER_D3, false);
			dev_set_state(dev, VPCI_DEV_ASSIGNED);
		}
	}
	vpci__bus_set_state(&vsp->bus, VPCI_BUS_NEGOTIATED, vsp->name);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t on_query_relations(struct vpci_vsp *vsp)
{
	vsp->relations_requested = true;
	vsp->relations_stale = true;
	vsp_flush(vsp);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t dev_probed_bars(struct vpci_vsp_dev *dev, uint32_t bars[VPCI_BAR_COUNT])
{
	uint32_t st;

	dev->vsp->st.backend_calls++;
	st = dev->ops->probed_bars(dev->ctx, bars);
	if (!VPCI_STATUS_OK(st))
		log_warn(VPCI_TOPIC, "%s: backend refused the probed BARs: status 0x%x", dev->name, st);
	return st;
}

static uint32_t on_resource_requirements(struct vpci_vsp *vsp, const struct vpci_msg_slot *m,
					 union vsp_resp *r)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);

	if (!dev)
		return st;
	if (!dev_in(dev, S(REPORTED) | S(ASSIGNED) | S(ACTIVE)))
		return refuse_dev_state(dev, m->hdr.type);
	return dev_probed_bars(dev, r->probed.probed_bar);
}

/*
 * Which BARs have resources: implemented ones (probed value non-zero) that
 * are not the upper half of a 64-bit memory BAR (PCI 3.0 6.2.5.1: bit 0
 * clear and bits 2:1 = 10b; the next BAR holds the top 32 bits).
 */
static void bars_implemented(const uint32_t probed[VPCI_BAR_COUNT], bool has[VPCI_BAR_COUNT])
{
	for (unsigned i = 0; i < VPCI_BAR_COUNT; i++) {
		has[i] = probed[i] != 0;
		if (has[i] && (probed[i] & 0x7u) == 0x4u && i + 1 < VPCI_BAR_COUNT)
			has[++i] = false;
	}
}

static uint32_t on_resources(struct vpci_vsp *vsp, const struct vpci_msg_slot *m,
			     union vsp_resp *r)
{
	uint32_t st, probed[VPCI_BAR_COUNT] = { 0 };
	bool has[VPCI_BAR_COUNT];
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);

	if (!dev)
		return st;
	if (!dev_in(dev, S(REPORTED) | S(ASSIGNED) | S(ACTIVE)))
		return refuse_dev_state(dev, m->hdr.type);
	st = dev_probed_bars(dev, probed);
	if (!VPCI_STATUS_OK(st))
		return st;
	bars_implemented(probed, has);
	for (uint16_t i = 0; i < VPCI_BAR_COUNT; i++) {
		struct vpci_bar_desc *b = &r->resources.bars[i];

		if (!has[i])
			continue;
		vsp->st.backend_calls++;
		st = dev->ops->bar_resources(dev->ctx, dev->desc.vf_id, i, b);
		if (!VPCI_STATUS_OK(st)) {
			log_warn(VPCI_TOPIC, "%s: backend refused BAR %u resources: status 0x%x",
				 dev->name, i, st);
			return st;
		}
		b->reserved = 0;
	}
	memcpy(dev->bars, r->resources.bars, sizeof(dev->bars));
	dev->bars_known = true;
	return VPCI_STATUS_SUCCESS;
}

static uint32_t on_resources_assigned(struct vpci_vsp *vsp,
				      const struct vpci_msg_resources_assigned *m)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);

	if (!dev)
		return st;
	if (vsp->bus != VPCI_BUS_D0 || dev->state != VPCI_DEV_REPORTED || !dev->bars_known)
		return vsp_refuse(vsp, VPCI_REFUSED_STATE,
				  "RESOURCES_ASSIGNED for %s in state %s, bus %s, BARs %s", dev->name,
				  vpci_dev_state_name(dev->state), vpci_bus_state_name(vsp->bus),
				  dev->bars_known ? "known" : "not yet queried");
	if (memcmp(m->bars, dev->bars, sizeof(dev->bars)))
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM,
				  "RESOURCES_ASSIGNED for %s: BARs differ from QUERY_RESOURCES",
				  dev->name);
	dev_set_state(dev, VPCI_DEV_ASSIGNED);
	vsp_kick(vsp);	/* invalidates cached before now may go */
	return VPCI_STATUS_SUCCESS;
}

static uint32_t on_resources_released(struct vpci_vsp *vsp, const struct vpci_msg_slot *m)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);

	if (!dev)
		return st;
	if (dev->state != VPCI_DEV_ASSIGNED)
		return refuse_dev_state(dev, m->hdr.type);
	dev_set_state(dev, VPCI_DEV_REPORTED);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t on_power(struct vpci_vsp *vsp, const struct vpci_msg_power *m)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);
	bool to_d0 = m->power_state == VPCI_POWER_D0;

	if (!dev)
		return st;
	if (m->power_state < VPCI_POWER_D0 || m->power_state > VPCI_POWER_D3 ||
	    m->wake_enable > 1 || (to_d0 && m->wake_enable))
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM,
				  "POWER_STATE_CHANGE for %s to state %u, wake %u", dev->name,
				  m->power_state, m->wake_enable);
	if (to_d0 ? (vsp->bus != VPCI_BUS_D0 || dev->state != VPCI_DEV_ASSIGNED)
		  : dev->state != VPCI_DEV_ACTIVE)
		return vsp_refuse(vsp, VPCI_REFUSED_STATE,
				  "POWER_STATE_CHANGE for %s to D%u in state %s, bus %s", dev->name,
				  m->power_state - 1, vpci_dev_state_name(dev->state),
				  vpci_bus_state_name(vsp->bus));
	st = dev_power(dev, m->power_state, m->wake_enable != 0);
	if (VPCI_STATUS_OK(st))
		dev_set_state(dev, to_d0 ? VPCI_DEV_ACTIVE : VPCI_DEV_ASSIGNED);
	return st;
}

static uint32_t on_read_block(struct vpci_vsp *vsp, const struct vpci_msg_read_block *m,
			      union vsp_resp *r)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);
	TRACE_SCOPE("config", "vPCI config block read", "slot=0x%x block=%u bytes=%u", m->slot, m->block_id,
		    m->bytes_requested);

	if (!dev)
		return st;
	if (m->bytes_requested < 1 || m->bytes_requested > VPCI_BLOCK_MAX)
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM, "READ_BLOCK for %s: %u bytes (1..%u)",
				  dev->name, m->bytes_requested, VPCI_BLOCK_MAX);
	vsp->st.backend_calls++;
	st = dev->ops->read_vf_config_block(dev->ctx, dev->desc.vf_id, m->block_id,
					    r->read_block.bytes, m->bytes_requested);
	if (VPCI_STATUS_OK(st))
		r->read_block.bytes_returned = m->bytes_requested;
	return st;
}

static uint32_t on_write_block(struct vpci_vsp *vsp, const struct vpci_msg_write_block *m,
			       uint32_t len)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);
	TRACE_SCOPE("config", "vPCI config block write", "slot=0x%x block=%u bytes=%u", m->slot, m->block_id,
		    m->byte_count);

	if (!dev)
		return st;
	if (m->byte_count < 1 || m->byte_count > VPCI_BLOCK_MAX)
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM, "WRITE_BLOCK for %s: %u bytes (1..%u)",
				  dev->name, m->byte_count, VPCI_BLOCK_MAX);
	if (len < offsetof(struct vpci_msg_write_block, bytes) + m->byte_count)
		return vsp_refuse(vsp, VPCI_REFUSED_SHORT,
				  "WRITE_BLOCK for %s: %u bytes announced, packet of %u", dev->name,
				  m->byte_count, len);
	vsp->st.backend_calls++;
	return dev->ops->write_vf_config_block(dev->ctx, dev->desc.vf_id, m->block_id, m->bytes,
					       m->byte_count);
}

static uint32_t on_config_read(struct vpci_vsp *vsp, const struct vpci_msg_config_read *m,
			       union vsp_resp *r)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);
	TRACE_SCOPE("config", "vPCI config read", "slot=0x%x offset=0x%x length=%u", m->slot, m->offset, m->length);

	if (!dev)
		return st;
	if (!vpci_cfg_range_ok(m->offset, m->length))
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM,
				  "CONFIG_READ for %s at 0x%x, 0x%x bytes: outside config space "
				  "or too long", dev->name, m->offset, m->length);
	vsp->st.backend_calls++;
	st = dev->ops->read_vf_config_space(dev->ctx, dev->desc.vf_id, m->offset,
					    r->config_read.data, m->length);
	if (VPCI_STATUS_OK(st))
		r->config_read.length = m->length;
	return st;
}

static uint32_t on_config_write(struct vpci_vsp *vsp, const struct vpci_msg_config_write *m,
				uint32_t len)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);
	TRACE_SCOPE("config", "vPCI config write", "slot=0x%x offset=0x%x length=%u", m->slot, m->offset, m->length);

	if (!dev)
		return st;
	if (!vpci_cfg_range_ok(m->offset, m->length))
		return vsp_refuse(vsp, VPCI_REFUSED_PARAM,
				  "CONFIG_WRITE for %s at 0x%x, 0x%x bytes: outside config space "
				  "or too long", dev->name, m->offset, m->length);
	if (len < offsetof(struct vpci_msg_config_write, data) + m->length)
		return vsp_refuse(vsp, VPCI_REFUSED_SHORT,
				  "CONFIG_WRITE for %s: %u bytes announced, packet of %u", dev->name,
				  m->length, len);
	vsp->st.backend_calls++;
	return dev->ops->write_vf_config_space(dev->ctx, dev->desc.vf_id, m->offset, m->data,
					       m->length);
}

static uint32_t on_ejection_complete(struct vpci_vsp *vsp, const struct vpci_msg_slot *m)
{
	uint32_t st;
	struct vpci_vsp_dev *dev = vsp_guest_dev(vsp, m->slot, m->hdr.type, &st);

	if (!dev)
		return st;
	if (dev->state != VPCI_DEV_EJECTING)
		return refuse_dev_state(dev, m->hdr.type);
	dev_finish(dev, VPCI_REMOVAL_GRACEFUL);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t vsp_dispatch(struct vpci_vsp *vsp, const union vsp_msg *m, uint32_t len,
			     union vsp_resp *r)
{
	switch (m->hdr.type) {
	case VPCI_MSG_QUERY_PROTOCOL_VERSION:
		return on_version(vsp, &m->version);
	case VPCI_MSG_BUS_D0ENTRY:
		return on_d0_entry(vsp, &m->d0);
	case VPCI_MSG_BUS_D0EXIT:
		return on_d0_exit(vsp);
	case VPCI_MSG_QUERY_BUS_RELATIONS:
		return on_query_relations(vsp);
	case VPCI_MSG_QUERY_RESOURCE_REQUIREMENTS:
		return on_resource_requirements(vsp, &m->slot, r);
	case VPCI_MSG_QUERY_RESOURCES:
		return on_resources(vsp, &m->slot, r);
	case VPCI_MSG_RESOURCES_ASSIGNED:
		return on_resources_assigned(vsp, &m->assigned);
	case VPCI_MSG_RESOURCES_RELEASED:
		return on_resources_released(vsp, &m->slot);
	case VPCI_MSG_POWER_STATE_CHANGE:
		return on_power(vsp, &m->power);
	case VPCI_MSG_READ_BLOCK:
		return on_read_block(vsp, &m->read_block, r);
	case VPCI_MSG_WRITE_BLOCK:
		return on_write_block(vsp, &m->write_block, len);
	case VPCI_MSG_CONFIG_READ:
		return on_config_read(vsp, &m->config_read, r);
	case VPCI_MSG_CONFIG_WRITE:
		return on_config_write(vsp, &m->config_write, len);
	case VPCI_MSG_EJECTION_COMPLETE:
		return on_ejection_complete(vsp, &m->slot);
	default:
		/* the table and this switch disagree: our bug, but still no crash */
		return vsp_refuse(vsp, VPCI_REFUSED_TYPE, "no handler for %s",
				  vpci_msg_name(m->hdr.type));
	}
}

void vpci_vsp__handle(struct vpci_vsp *vsp, const struct vmbus_pkt_in *pkt)
{
	const struct vpci_msg_info *mi;
	enum vpci_refusal why;
	union vsp_msg m;
	union vsp_resp r;
	uint32_t status, rlen = sizeof(r.hdr);
	bool reply = pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;

	vsp->st.messages++;
	memset(&r, 0, sizeof(r));
	if (pkt->type != VMBUS_PKT_DATA_INBAND) {
		/* a completion from the guest answers nothing: never reply to it */
		vsp_refuse(vsp, VPCI_REFUSED_TYPE, "VMBus packet type 0x%x", pkt->type);
		return;
	}
	if (pkt->len >= sizeof(r.hdr.type))
		memcpy(&r.hdr.type, pkt->data, sizeof(r.hdr.type));
	if (vpci_msg_check(pkt->data, pkt->len, VPCI_TO_HOST, vsp->version, &mi, &why)) {
		status = vsp_refuse(vsp, why, "%s (type 0x%x), %u bytes, version 0x%x",
				    vpci_msg_name(r.hdr.type), r.hdr.type, pkt->len, vsp->version);
	} else if (pkt->len > sizeof(m)) {
		/* the table allows more than a handler holds: our bug, still no crash */
		status = vsp_refuse(vsp, VPCI_REFUSED_LENGTH, "%s of %u bytes", mi->name, pkt->len);
	} else {
		/* copied out of the receive buffer: handlers read private memory */
		memset(&m, 0, sizeof(m));
		memcpy(&m, pkt->data, pkt->len);	/* len <= mi->max_len <= sizeof(m) */
		status = vsp_dispatch(vsp, &m, pkt->len, &r);
		if (VPCI_STATUS_OK(status))
			rlen = mi->resp_len ? mi->resp_len : (uint32_t)sizeof(r.hdr);
	}
	if (!reply)
		return;
	r.hdr.status = status;
	if (vsp_send(vsp, VMBUS_PKT_COMP, pkt->trans_id, &r, rlen) <= 0) {
		vsp->st.replies_dropped++;
		log_warn(VPCI_TOPIC, "%s: completion of %s dropped: guest ring full or closed",
			 vsp->name, vpci_msg_name(r.hdr.type));
	}
}

/* ---- channel events ----------------------------------------------------- */

static void vsp_drain(struct vpci_vsp *vsp)
{
	for (;;) {
		int n = vmbus_chan_recv(vsp->ch, vsp->in, VSP_RX_BATCH, vsp->rxbuf, vsp->rxlen);

		if (n == -ENOBUFS && vsp->in[0].len <= VMBUS_PKT_PAYLOAD_MAX) {
			/* an oversized message: take it in whole, then refuse it */
			uint8_t *b = realloc(vsp->rxbuf, vsp->in[0].len);

			if (!b)
				return;
			vsp->rxbuf = b;
			vsp->rxlen = vsp->in[0].len;
			continue;
		}
		if (n < 0) {
			log_warn(VPCI_TOPIC, "%s: receive failed: %s", vsp->name, strerror(-n));
			return;
		}
		if (n == 0)
			return;
		for (int i = 0; i < n && vsp->ch; i++)
			vpci_vsp__handle(vsp, &vsp->in[i]);
	}
}

void vpci_vsp__chan_event(struct vpci_vsp *vsp, enum vmbus_chan_event ev)
{
	switch (ev) {
	case VMBUS_CHAN_EV_OPENED:
		if (vpci__bus_set_state(&vsp->bus, VPCI_BUS_OPEN, vsp->name))
			return;
		vsp->version = 0;
		vsp->relations_requested = false;
		vsp->relations_stale = true;
		break;
	case VMBUS_CHAN_EV_DATA:
		if (vsp->ch)
			vsp_drain(vsp);
		vsp_flush(vsp);
		break;
	case VMBUS_CHAN_EV_CLOSED:
		/* The guest's bus driver is gone; the functions wait for the next one. */
		if (vpci__bus_set_state(&vsp->bus, VPCI_BUS_CLOSED, vsp->name))
			return;
		vsp->version = 0;
		vsp->relations_requested = false;
		for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
			struct vpci_vsp_dev *dev = vsp->devs[i];

			if (!dev || dev->state == VPCI_DEV_PENDING)
				continue;
			if (dev->state == VPCI_DEV_EJECTING) {
				dev_finish(dev, VPCI_REMOVAL_SURPRISE);
				continue;
			}
			if (dev->power == VPCI_POWER_D0)
				dev_power(dev, VPCI_POWER_D3, false);
			dev->bars_known = false;
			dev->inval_mask = 0;
			dev_set_state(dev, VPCI_DEV_PENDING);
		}
		break;
	case VMBUS_CHAN_EV_RESCINDED:
		vpci__bus_set_state(&vsp->bus, VPCI_BUS_GONE, vsp->name);
		vsp->ch = NULL;
		log_info(VPCI_TOPIC, "%s: the VM is gone; removing its functions", vsp->name);
		for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
			if (vsp->devs[i])
				dev_finish(vsp->devs[i], VPCI_REMOVAL_GUEST_GONE);
		break;
	}
}

static void on_chan(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	(void)ch;
	vpci_vsp__chan_event(arg, ev);
}

static void on_eject_timer(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	vpci_vsp__eject_timeout(arg);
}

void vpci_vsp__eject_timeout(struct vpci_vsp_dev *dev)
{
	if (dev->state != VPCI_DEV_EJECTING)
		return;
	log_warn(VPCI_TOPIC, "%s: the guest did not complete the ejection in time; "
		 "surprise removal", dev->name);
	dev_finish(dev, VPCI_REMOVAL_SURPRISE);
}

/* ---- API ---------------------------------------------------------------- */

static int vsp_alloc(const struct vpci_vsp_config *cfg, struct vpci_vsp **out)
{
	struct vpci_vsp *vsp = calloc(1, sizeof(*vsp));

	if (!vsp)
		return -ENOMEM;
	vsp->rxbuf = malloc(VSP_RX_BUF);
	if (!vsp->rxbuf) {
		free(vsp);
		return -ENOMEM;
	}
	vsp->rxlen = VSP_RX_BUF;
	vsp->cfg = *cfg;
	if (!vsp->cfg.min_version)
		vsp->cfg.min_version = VPCI_PROTO_V1_1;
	if (!vsp->cfg.max_version)
		vsp->cfg.max_version = VPCI_PROTO_CURRENT;
	snprintf(vsp->name, sizeof(vsp->name), "vpci vsp %s", cfg->name ? cfg->name : "?");
	vsp->bus = VPCI_BUS_CLOSED;
	vsp->work_fd = -1;
	*out = vsp;
	return 0;
}

int vpci_vsp_create(struct vmbus_host *h, struct evloop *loop, const struct vpci_vsp_config *cfg,
		    struct vpci_vsp **out)
{
	struct vpci_vsp *vsp;
	int err = vsp_alloc(cfg, &vsp);

	if (err)
		return err;
	vsp->loop = loop;
	vsp->work_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vsp->work_fd < 0) {
		err = -errno;
		goto fail_eventfd;
	}
	err = evloop_add(loop, vsp->work_fd, EPOLLIN, on_work, vsp);
	if (err)
		goto fail_watch;
	err = vmbus_host_offer(h, &vpci_class, &cfg->instance, on_chan, vsp, &vsp->ch);
	if (err)
		goto fail_offer;
	log_info(VPCI_TOPIC, "%s: vPCI bus offered", vsp->name);
	*out = vsp;
	return 0;

fail_offer:
	evloop_del(loop, vsp->work_fd);
fail_watch:
	close(vsp->work_fd);
fail_eventfd:
	free(vsp->rxbuf);
	free(vsp);
	return err;
}

int vpci_vsp__create_detached(const struct vpci_vsp_config *cfg, vpci__send_fn send, void *arg,
			      struct vpci_vsp **out)
{
	int err = vsp_alloc(cfg, out);

	if (err)
		return err;
	(*out)->send = send;
	(*out)->send_arg = arg;
	return 0;
}

void vpci_vsp_destroy(struct vpci_vsp *vsp)
{
	if (!vsp)
		return;
	if (vsp->ch)
		vmbus_host_rescind(vsp->ch);
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		if (vsp->devs[i])
			dev_free(vsp->devs[i]);
	if (vsp->work_fd >= 0) {
		evloop_del(vsp->loop, vsp->work_fd);
		close(vsp->work_fd);
	}
	free(vsp->rxbuf);
	free(vsp);
}

static bool ops_complete(const struct vpci_backend_ops *ops)
{
	return ops && ops->read_vf_config_space && ops->write_vf_config_space &&
	       ops->read_vf_config_block && ops->write_vf_config_block && ops->probed_bars &&
	       ops->bar_resources && ops->vf_vendor_device_id && ops->set_vf_power_state;
}

int vpci_vsp_add_device(struct vpci_vsp *vsp, const struct vpci_dev_desc *desc,
			const struct vpci_backend_ops *ops, void *ctx, struct vpci_vsp_dev **out)
{
	struct vpci_vsp_dev *dev;
	unsigned free_i = VPCI_MAX_FUNCS;
	uint32_t st;

	if (vsp->bus == VPCI_BUS_GONE)
		return -ENODEV;
	if (!VPCI_SLOT_VALID(desc->slot) || !ops_complete(ops))
		return -EINVAL;
	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++) {
		if (vsp->devs[i] && vsp->devs[i]->desc.slot == desc->slot)
			return -EEXIST;
		if (!vsp->devs[i] && free_i == VPCI_MAX_FUNCS)
			free_i = i;
	}
	if (free_i == VPCI_MAX_FUNCS)
		return -ENOSPC;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->vsp = vsp;
	dev->state = VPCI_DEV_PENDING;
	dev->desc = *desc;
	dev->ops = ops;
	dev->ctx = ctx;
	dev->power = VPCI_POWER_D3;
	dev->timer_fd = -1;
	snprintf(dev->name, sizeof(dev->name), "%s slot 0x%x (VF %u)", vsp->name, desc->slot,
		 desc->vf_id);
	vsp->st.backend_calls++;
	st = ops->vf_vendor_device_id(ctx, desc->vf_id, &dev->vendor_id, &dev->device_id);
	if (!VPCI_STATUS_OK(st)) {
		log_warn(VPCI_TOPIC, "%s: backend refused the vendor/device id query: status 0x%x",
			 dev->name, st);
		free(dev);
		return -EIO;
	}
	vsp->devs[free_i] = dev;
	vsp->relations_stale = true;
	log_info(VPCI_TOPIC, "%s: added, %04x:%04x serial 0x%x", dev->name, dev->vendor_id,
		 dev->device_id, desc->serial);
	vsp_kick(vsp);
	if (out)
		*out = dev;
	return 0;
}

static int dev_arm(struct vpci_vsp_dev *dev, int timeout_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L },
	};
	int err;

	if (!dev->vsp->loop)
		return 0;	/* detached: vpci_vsp__eject_timeout() stands in */
	dev->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (dev->timer_fd < 0)
		return -errno;
	if (timerfd_settime(dev->timer_fd, 0, &its, NULL)) {
		err = -errno;
		goto fail;
	}
	err = evloop_add(dev->vsp->loop, dev->timer_fd, EPOLLIN, on_eject_timer, dev);
	if (err)
		goto fail;
	return 0;

fail:
	close(dev->timer_fd);
	dev->timer_fd = -1;
	return err;
}

int vpci_vsp_remove_device(struct vpci_vsp_dev *dev, int timeout_ms)
{
	int err;

	switch (dev->state) {
	case VPCI_DEV_PENDING:
		dev_finish(dev, VPCI_REMOVAL_UNREPORTED);
		return 0;
	case VPCI_DEV_EJECTING:
		return -EALREADY;
	default:
		break;
	}
	err = dev_arm(dev, timeout_ms > 0 ? timeout_ms : VPCI_EJECT_TIMEOUT_MS);
	if (err)
		return err;
	dev_set_state(dev, VPCI_DEV_EJECTING);
	dev->inval_mask = 0;	/* the guest is letting go of it: no more invalidates */
	dev->eject_unsent = true;
	vsp_flush(dev->vsp);
	return 0;
}

int vpci_vsp_invalidate(struct vpci_vsp_dev *dev, uint64_t mask)
{
	if (dev->state == VPCI_DEV_EJECTING || dev->state == VPCI_DEV_REMOVED)
		return -ENODEV;
	if (!mask)
		return 0;
	dev->inval_mask |= mask;
	dev->vsp->st.invalidate_calls++;
	vsp_kick(dev->vsp);
	return 0;
}

#undef S
#undef GUEST_VISIBLE

enum vpci_dev_state vpci_vsp_dev_state(const struct vpci_vsp_dev *dev)
{
	return dev->state;
}

const struct vpci_dev_desc *vpci_vsp_dev_desc(const struct vpci_vsp_dev *dev)
{
	return &dev->desc;
}

uint64_t vpci_vsp_dev_pending_invalidate(const struct vpci_vsp_dev *dev)
{
	return dev->inval_mask;
}

struct vpci_vsp_dev *vpci_vsp__dev_at(struct vpci_vsp *vsp, unsigned i)
{
	return i < VPCI_MAX_FUNCS ? vsp->devs[i] : NULL;
}

enum vpci_bus_state vpci_vsp_bus_state(const struct vpci_vsp *vsp)
{
	return vsp->bus;
}

uint32_t vpci_vsp_version(const struct vpci_vsp *vsp)
{
	return vsp->version;
}

unsigned vpci_vsp_dev_count(const struct vpci_vsp *vsp)
{
	unsigned n = 0;

	for (unsigned i = 0; i < VPCI_MAX_FUNCS; i++)
		n += vsp->devs[i] != NULL;
	return n;
}

void vpci_vsp_get_stats(const struct vpci_vsp *vsp, struct vpci_vsp_stats *st)
{
	*st = vsp->st;
}

uint64_t vpci_vsp_refused(const struct vpci_vsp *vsp)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < VPCI_REFUSED_COUNT; i++)
		n += vsp->st.refused[i];
	return n;
}
