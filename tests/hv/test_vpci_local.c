/*
 * The vPCI VSP and VSC back to back in one process, without VMBus: the
 * VSC's packets go straight into vpci_vsp__handle(), the VSP's packets
 * into a queue the VSC reads (vpci_priv.h). Deterministic, so it covers
 * what the cross-process tests (test_vpci.c) cannot arrange on demand: the
 * function's states walked by real protocol messages, illegal requests in
 * each state, every malformed host message the guest must refuse
 * (including completions that lie), invalidations cached while the
 * function is not set up or the guest's ring is full, relations and
 * replies meeting a full ring, the bus closed and reopened, and the
 * argument checks of the host API.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/vpci_priv.h"
#include "test_vpci_double.h"

#define QMAX 64u
#define QDATA 1024u
#define SLOT0 VPCI_SLOT(2, 0)
#define SLOT1 VPCI_SLOT(3, 1)

struct qpkt {
	uint16_t type;
	uint8_t flags;
	uint64_t trans_id;
	uint32_t len;
	_Alignas(8) uint8_t data[QDATA];
};

static struct {
	struct vpci_vsp *vsp;
	struct vpci_vsc *vsc;
	struct vpci_vsp_dev *dev;
	struct vpci_double be, be1;
	/* host -> guest */
	struct qpkt q[QMAX];
	unsigned head, tail;
	bool host_full;			/* the guest's ring has no room */
	bool rescinded;			/* the channel was taken away (as vmbus_chan_* report it) */
	/* put this in the guest's queue before the host sees the next request */
	bool inject_next;
	struct qpkt inject;
	/* run once, just before the host sees the hook_at-th guest packet */
	void (*before_handle)(void);
	unsigned hook_at, sends;
	/* host callbacks */
	unsigned removed;
	enum vpci_removal how;
	/* guest callbacks */
	unsigned arrivals, removals, ejects, inval_calls;
	bool surprise;
	int eject_rc;
	uint64_t inval_mask;
} T;

static const struct vpci_dev_desc desc0 = {
	.vf_id = DOUBLE_VF_ID, .slot = SLOT0, .serial = 0x1000, .base_class = 2,
	.flags = VPCI_FUNC_FLAG_NUMA_AFFINITY, .numa_node = 3,
};

static void push(const struct qpkt *p)
{
	assert_true(T.tail - T.head < QMAX);
	T.q[T.tail++ % QMAX] = *p;
}

static void push_msg(uint16_t type, uint64_t trans_id, const void *data, uint32_t len)
{
	struct qpkt p = { .type = type, .trans_id = trans_id, .len = len };

	assert_true(len <= QDATA);
	memcpy(p.data, data, len);
	push(&p);
}

/* VSP -> queue */
static int host_send(void *arg, const struct vmbus_pkt *p)
{
	(void)arg;
	if (T.host_full || T.tail - T.head == QMAX)
		return 0;
	push_msg(p->type, p->trans_id, p->data, p->len);
	return 1;
}

/* VSC -> VSP, synchronously: the completion is queued when this returns */
static int guest_send(void *arg, const struct vmbus_pkt *p)
{
	_Alignas(8) uint8_t copy[2 * QDATA];
	struct vmbus_pkt_in in = { .type = p->type, .flags = p->flags, .trans_id = p->trans_id,
				   .data = copy, .len = p->len };

	(void)arg;
	assert_true(p->len <= sizeof(copy));
	if (T.inject_next) {
		T.inject_next = false;
		T.inject.trans_id = p->trans_id;
		push(&T.inject);
	}
	if (++T.sends == T.hook_at && T.before_handle) {
		void (*fn)(void) = T.before_handle;

		T.before_handle = NULL;
		fn();
	}
	memcpy(copy, p->data, p->len);
	vpci_vsp__handle(T.vsp, &in);
	return 1;
}

static int guest_recv(void *arg, struct vmbus_pkt_in *pkt, void *buf, size_t buflen)
{
	struct qpkt *q;

	(void)arg;
	if (T.rescinded)
		return -ENODEV;
	if (T.head == T.tail)
		return 0;
	q = &T.q[T.head % QMAX];
	pkt->len = q->len;
	if (q->len > buflen)
		return -ENOBUFS;
	memcpy(buf, q->data, q->len);
	pkt->type = q->type;
	pkt->flags = q->flags;
	pkt->trans_id = q->trans_id;
	pkt->data = buf;
	T.head++;
	return 1;
}

/* Nobody else produces: an empty queue stays empty. */
static int guest_wait(void *arg, int timeout_ms)
{
	(void)arg;
	(void)timeout_ms;
	if (T.rescinded)
		return -ENODEV;
	return T.head != T.tail ? 1 : -ETIMEDOUT;
}

static int guest_wait_space(void *arg, uint32_t need, int timeout_ms)
{
	(void)arg;
	(void)need;
	(void)timeout_ms;
	return 1;
}

static void on_removed(struct vpci_vsp_dev *dev, enum vpci_removal how, void *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	T.removed++;
	T.how = how;
	if (T.dev == dev)
		T.dev = NULL;
}

static void g_arrival(struct vpci_vsc_dev *dev, void *arg)
{
	(void)dev;
	(void)arg;
	T.arrivals++;
}

static int g_eject(struct vpci_vsc_dev *dev, void *arg)
{
	(void)dev;
	(void)arg;
	T.ejects++;
	return T.eject_rc;
}

static void g_removal(struct vpci_vsc_dev *dev, bool surprise, void *arg)
{
	(void)dev;
	(void)arg;
	T.removals++;
	T.surprise = surprise;
}

static void g_inval(struct vpci_vsc_dev *dev, uint64_t mask, void *arg)
{
	(void)dev;
	(void)arg;
	T.inval_calls++;
	T.inval_mask = mask;
}

static int setup(void **state)
{
	struct vpci_vsp_config cfg = { .name = "local", .removed = on_removed };

	(void)state;
	memset(&T, 0, sizeof(T));
	vpci_double_init(&T.be);
	vpci_double_init(&T.be1);
	if (vpci_vsp__create_detached(&cfg, host_send, NULL, &T.vsp))
		return -1;
	return vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, &T.dev);
}

static int teardown(void **state)
{
	(void)state;
	vpci_vsc_destroy(T.vsc);
	vpci_vsp_destroy(T.vsp);
	return 0;
}

/* Open the channel and start a bus driver on it. */
static int connect(uint32_t max_version)
{
	struct vpci_vsc_io io = { guest_send, guest_recv, guest_wait, guest_wait_space, NULL };
	struct vpci_vsc_config cfg = {
		.max_version = max_version, .timeout_ms = 1000, .arrival = g_arrival,
		.eject = g_eject, .removal = g_removal,
	};

	vpci_vsp__chan_event(T.vsp, VMBUS_CHAN_EV_OPENED);
	return vpci_vsc__create_io(&cfg, &io, &T.vsc);
}

static uint32_t raw(const void *msg, uint32_t len)
{
	uint8_t buf[sizeof(struct vpci_resp_config_read)];
	struct vpci_resp_hdr h;
	uint32_t rlen;

	assert_int_equal(vpci_vsc__request(T.vsc, msg, len, buf, sizeof(buf), &rlen), 0);
	assert_true(rlen >= sizeof(h));
	memcpy(&h, buf, sizeof(h));
	return h.status;
}

static enum vpci_dev_state host_state(void)
{
	return vpci_vsp_dev_state(T.dev);
}

static uint64_t refused(enum vpci_refusal r)
{
	struct vpci_vsp_stats st;

	vpci_vsp_get_stats(T.vsp, &st);
	return st.refused[r];
}

static uint64_t grefused(enum vpci_refusal r)
{
	struct vpci_vsc_stats st;

	vpci_vsc_get_stats(T.vsc, &st);
	return st.refused[r];
}

static void test_walk_device_states(void **state)
{
	struct vpci_msg_slot rel = { .hdr = { .type = VPCI_MSG_RESOURCES_RELEASED }, .slot = SLOT0 };
	struct vpci_msg_slot qr = { .hdr = { .type = VPCI_MSG_QUERY_RESOURCES }, .slot = SLOT0 };
	struct vpci_msg_resources_assigned ra = { .hdr = { .type = VPCI_MSG_RESOURCES_ASSIGNED },
						  .slot = SLOT0 };
	struct vpci_vsc_dev *g;
	uint32_t st;

	(void)state;
	assert_int_equal(host_state(), VPCI_DEV_PENDING);
	/* pending -> reported -> assigned -> active: the guest's bring-up */
	assert_int_equal(connect(0), 0);
	assert_int_equal(vpci_vsc_version(T.vsc), VPCI_PROTO_V1_2);
	assert_int_equal(vpci_vsc_bus_state(T.vsc), VPCI_BUS_D0);
	assert_int_equal(T.arrivals, 1);
	g = vpci_vsc_find(T.vsc, SLOT0);
	assert_non_null(g);
	assert_ptr_equal(vpci_vsc_dev_bus(g), T.vsc);
	assert_int_equal(vpci_vsc_dev_info(g)->numa_node, 3);
	assert_int_equal(host_state(), VPCI_DEV_ACTIVE);
	assert_int_equal(vpci_vsc_dev_state(g), VPCI_DEV_ACTIVE);
	assert_int_equal(T.be.power, VPCI_POWER_D0);
	/* active -> assigned: D3 */
	assert_int_equal(vpci_vsc_set_power(g, VPCI_POWER_D3, &st), 0);
	assert_int_equal(host_state(), VPCI_DEV_ASSIGNED);
	assert_int_equal(vpci_vsc_dev_state(g), VPCI_DEV_ASSIGNED);
	assert_int_equal(T.be.power, VPCI_POWER_D3);
	/* assigned -> reported: resources released; and back */
	assert_int_equal(raw(&rel, sizeof(rel)), VPCI_STATUS_SUCCESS);
	assert_int_equal(host_state(), VPCI_DEV_REPORTED);
	assert_int_equal(raw(&qr, sizeof(qr)), VPCI_STATUS_SUCCESS);
	memcpy(ra.bars, vpci_vsc_dev_info(g)->bars, sizeof(ra.bars));
	assert_int_equal(raw(&ra, sizeof(ra)), VPCI_STATUS_SUCCESS);
	assert_int_equal(host_state(), VPCI_DEV_ASSIGNED);
	assert_int_equal(vpci_vsc_set_power(g, VPCI_POWER_D0, &st), 0);
	assert_int_equal(host_state(), VPCI_DEV_ACTIVE);
	/* active -> pending: the guest's bus driver goes away without a word */
	vpci_vsp__chan_event(T.vsp, VMBUS_CHAN_EV_CLOSED);
	assert_int_equal(host_state(), VPCI_DEV_PENDING);
	assert_int_equal(vpci_vsp_bus_state(T.vsp), VPCI_BUS_CLOSED);
	assert_int_equal(T.be.power, VPCI_POWER_D3);
	vpci_vsc_destroy(T.vsc);	/* its D0 exit meets a closed bus: refused */
	assert_int_equal(refused(VPCI_REFUSED_VERSION), 1);
	T.vsc = NULL;
	/* a new bus driver: reported again and brought up */
	assert_int_equal(connect(0), 0);
	assert_int_equal(T.arrivals, 2);
	assert_int_equal(host_state(), VPCI_DEV_ACTIVE);
	/* a proper D0 exit leaves it assigned, then the close makes it pending */
	vpci_vsc_destroy(T.vsc);
	T.vsc = NULL;
	assert_int_equal(host_state(), VPCI_DEV_ASSIGNED);
	assert_int_equal(vpci_vsp_bus_state(T.vsp), VPCI_BUS_NEGOTIATED);
	vpci_vsp__chan_event(T.vsp, VMBUS_CHAN_EV_CLOSED);
	assert_int_equal(host_state(), VPCI_DEV_PENDING);
	assert_int_equal(connect(0), 0);
	/* active -> ejecting -> removed: graceful */
	assert_int_equal(vpci_vsp_remove_device(T.dev, 1000), 0);
	assert_int_equal(host_state(), VPCI_DEV_EJECTING);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.ejects, 1);
	assert_int_equal(T.removals, 1);
	assert_false(T.surprise);
	assert_int_equal(T.removed, 1);
	assert_int_equal(T.how, VPCI_REMOVAL_GRACEFUL);
	assert_null(T.dev);
	assert_null(vpci_vsc_find(T.vsc, SLOT0));
	/* pending -> removed: never reported */
	assert_int_equal(vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, &T.dev), 0);
	assert_int_equal(host_state(), VPCI_DEV_PENDING);
	assert_int_equal(vpci_vsp_remove_device(T.dev, 1000), 0);
	assert_int_equal(T.how, VPCI_REMOVAL_UNREPORTED);
	/* reported -> ejecting -> removed: ejected before the guest even applied the relations */
	assert_int_equal(vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, &T.dev), 0);
	vpci_vsp__flush(T.vsp);
	assert_int_equal(host_state(), VPCI_DEV_REPORTED);
	assert_int_equal(vpci_vsp_remove_device(T.dev, 1000), 0);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.how, VPCI_REMOVAL_GRACEFUL);
	assert_int_equal(T.removed, 3);
	assert_int_equal(T.arrivals, 3);	/* never announced, so never "removed" either */
	assert_int_equal(T.removals, 1);
	/* active -> ejecting -> removed by surprise: the PnP layer holds on */
	assert_int_equal(vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, &T.dev), 0);
	vpci_vsp__flush(T.vsp);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.arrivals, 4);
	T.eject_rc = -EBUSY;
	assert_int_equal(vpci_vsp_remove_device(T.dev, 1000), 0);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.ejects, 2);
	assert_non_null(vpci_vsc_find(T.vsc, SLOT0));
	vpci_vsp__eject_timeout(T.dev);
	assert_int_equal(T.how, VPCI_REMOVAL_SURPRISE);
	vpci_vsp__flush(T.vsp);	/* relations without it */
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.removals, 2);
	assert_true(T.surprise);
	/* active -> removed: the partition is gone */
	assert_int_equal(vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, &T.dev), 0);
	vpci_vsp__flush(T.vsp);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(host_state(), VPCI_DEV_ACTIVE);
	vpci_vsp__chan_event(T.vsp, VMBUS_CHAN_EV_RESCINDED);
	assert_int_equal(T.how, VPCI_REMOVAL_GUEST_GONE);
	assert_int_equal(vpci_vsp_bus_state(T.vsp), VPCI_BUS_GONE);
	assert_int_equal(vpci_vsp_dev_count(T.vsp), 0);
	assert_int_equal(vpci_vsp_refused(T.vsp), 1);	/* the D0 exit on a closed bus */
}

static void test_illegal_requests(void **state)
{
	struct vpci_msg_slot rel = { .hdr = { .type = VPCI_MSG_RESOURCES_RELEASED }, .slot = SLOT0 };
	struct vpci_msg_slot done = { .hdr = { .type = VPCI_MSG_EJECTION_COMPLETE }, .slot = SLOT0 };
	struct vpci_msg_resources_assigned ra = { .hdr = { .type = VPCI_MSG_RESOURCES_ASSIGNED },
						  .slot = SLOT0 };
	struct vpci_msg_power pw = { .hdr = { .type = VPCI_MSG_POWER_STATE_CHANGE }, .slot = SLOT0 };
	struct vpci_msg_d0_entry d0 = { .hdr = { .type = VPCI_MSG_BUS_D0ENTRY } };
	struct vpci_msg_version ver = { .hdr = { .type = VPCI_MSG_QUERY_PROTOCOL_VERSION },
					.version = VPCI_PROTO_V1_2 };
	struct vpci_vsc_dev *g;

	(void)state;
	assert_int_equal(connect(0), 0);
	g = vpci_vsc_find(T.vsc, SLOT0);
	memcpy(ra.bars, vpci_vsc_dev_info(g)->bars, sizeof(ra.bars));
	/* wrong state: the function is active */
	assert_int_equal(raw(&ra, sizeof(ra)), VPCI_STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(raw(&rel, sizeof(rel)), VPCI_STATUS_INVALID_DEVICE_STATE);
	pw.power_state = VPCI_POWER_D0;
	assert_int_equal(raw(&pw, sizeof(pw)), VPCI_STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(raw(&done, sizeof(done)), VPCI_STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(raw(&d0, sizeof(d0)), VPCI_STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(raw(&ver, sizeof(ver)), VPCI_STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(refused(VPCI_REFUSED_STATE), 6);
	/* bad parameters */
	pw.power_state = 5;
	assert_int_equal(raw(&pw, sizeof(pw)), VPCI_STATUS_INVALID_PARAMETER);
	pw.power_state = VPCI_POWER_D3;
	pw.wake_enable = 2;
	assert_int_equal(raw(&pw, sizeof(pw)), VPCI_STATUS_INVALID_PARAMETER);
	pw.power_state = VPCI_POWER_D0;
	pw.wake_enable = 1;	/* wake is never armed for D0 */
	assert_int_equal(raw(&pw, sizeof(pw)), VPCI_STATUS_INVALID_PARAMETER);
	/* placements that are not the host's */
	assert_int_equal(vpci_vsc_set_power(g, VPCI_POWER_D3, NULL), 0);
	assert_int_equal(raw(&rel, sizeof(rel)), VPCI_STATUS_SUCCESS);
	ra.bars[0].start += 0x1000;
	assert_int_equal(raw(&ra, sizeof(ra)), VPCI_STATUS_INVALID_PARAMETER);
	assert_int_equal(refused(VPCI_REFUSED_PARAM), 4);
	assert_int_equal(host_state(), VPCI_DEV_REPORTED);
	/* guest-side checks refuse without asking */
	assert_int_equal(vpci_vsc_set_power(g, 9, NULL), -EINVAL);
	assert_int_equal(vpci_vsc_set_power(g, VPCI_POWER_D3, NULL), -EBUSY);
	assert_int_equal(vpci_vsp_refused(T.vsp), 10);
	assert_int_equal(T.be.bad_vf_ids, 0);
}

static void test_guest_refuses_bad_host_messages(void **state)
{
	struct vpci_msg_config_read cr = { .hdr = { .type = VPCI_MSG_CONFIG_READ }, .slot = SLOT0 };
	struct vpci_msg_slot ej = { .hdr = { .type = VPCI_MSG_EJECT }, .slot = 0x1f };
	struct vpci_msg_invalidate inv = { .hdr = { .type = VPCI_MSG_INVALIDATE_BLOCK },
					   .slot = 0x1f, .block_mask = 1 };
	struct vpci_msg_hdr unknown = { .type = VPCI_MSG_BASE + 0x55 };
	struct vpci_resp_hdr stale = { .type = VPCI_MSG_CONFIG_READ };
	struct {
		struct vpci_msg_bus_relations2 h;
		struct vpci_func_desc2 f[2];
	} r2 = { .h = { .hdr = { .type = VPCI_MSG_BUS_RELATIONS2 }, .device_count = 2 } };
	struct {
		struct vpci_msg_bus_relations h;
		struct vpci_func_desc f[1];
	} r1 = { .h = { .hdr = { .type = VPCI_MSG_BUS_RELATIONS }, .device_count = 2 } };
	struct vpci_vsc_dev *g;
	uint8_t buf[8];
	uint32_t st;

	(void)state;
	assert_int_equal(connect(0), 0);
	g = vpci_vsc_find(T.vsc, SLOT0);
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &unknown, 4);			/* short */
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &unknown, sizeof(unknown));		/* type */
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &cr, sizeof(cr));			/* type: to-host */
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &r1, sizeof(r1));			/* length: 2 in 1 */
	r1.h.device_count = 33;
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &r1, sizeof(r1.h));			/* length: 33 in 0 */
	r2.f[0].slot = r2.f[1].slot = SLOT1;
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &r2, sizeof(r2));			/* param: slot twice */
	r2.f[1].slot = 0x100;
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &r2, sizeof(r2));			/* param: bad slot */
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &ej, sizeof(ej));			/* device */
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &inv, sizeof(inv));			/* device */
	push_msg(VMBUS_PKT_COMP, 999, &stale, sizeof(stale));			/* unexpected */
	assert_int_equal(vpci_vsc_poll(T.vsc, 0), 0);	/* nothing to act on */
	assert_int_equal(grefused(VPCI_REFUSED_SHORT), 1);
	assert_int_equal(grefused(VPCI_REFUSED_TYPE), 2);
	assert_int_equal(grefused(VPCI_REFUSED_LENGTH), 2);
	assert_int_equal(grefused(VPCI_REFUSED_PARAM), 2);
	assert_int_equal(grefused(VPCI_REFUSED_DEVICE), 2);
	assert_int_equal(grefused(VPCI_REFUSED_UNEXPECTED), 1);
	assert_int_equal(vpci_vsc_dev_count(T.vsc), 1);	/* the bad relations changed nothing */

	/* a completion for our request, but of another type: the request fails */
	T.inject = (struct qpkt){ .type = VMBUS_PKT_COMP, .len = 8 };
	stale.type = VPCI_MSG_READ_BLOCK;
	memcpy(T.inject.data, &stale, sizeof(stale));
	T.inject_next = true;
	assert_int_equal(vpci_vsc_config_read(g, 0, buf, 4, &st), -EPROTO);
	assert_int_equal(st, VPCI_STATUS_UNSUCCESSFUL);
	assert_int_equal(grefused(VPCI_REFUSED_TYPE), 3);
	/* right type, success, wrong size */
	stale.type = VPCI_MSG_CONFIG_READ;
	memcpy(T.inject.data, &stale, sizeof(stale));
	T.inject_next = true;
	assert_int_equal(vpci_vsc_config_read(g, 0, buf, 4, &st), -EPROTO);
	assert_int_equal(grefused(VPCI_REFUSED_LENGTH), 3);
	/* the real completions of both come later and are stale; the next read works */
	assert_int_equal(vpci_vsc_config_read(g, 0, buf, 4, &st), 0);
	assert_int_equal(st, VPCI_STATUS_SUCCESS);
	assert_int_equal(buf[3], DOUBLE_CFG_BYTE(3));
	assert_int_equal(grefused(VPCI_REFUSED_UNEXPECTED), 3);
	assert_int_equal(vpci_vsc_refused(T.vsc), 14);
	assert_int_equal(vpci_vsp_refused(T.vsp), 0);
}

static void test_v1_relations(void **state)
{
	struct vpci_msg_bus_relations2 r2 = { .hdr = { .type = VPCI_MSG_BUS_RELATIONS2 } };
	const struct vpci_func_info *info;

	(void)state;
	assert_int_equal(connect(VPCI_PROTO_V1_1), 0);
	assert_int_equal(vpci_vsp_version(T.vsp), VPCI_PROTO_V1_1);
	info = vpci_vsc_dev_info(vpci_vsc_find(T.vsc, SLOT0));
	assert_int_equal(info->serial, 0x1000);
	assert_int_equal(info->vendor_id, DOUBLE_VENDOR);
	assert_int_equal(info->flags, 0);	/* v1 descriptions have none */
	assert_int_equal(info->numa_node, 0);
	assert_int_equal(info->probed_bars[0], 0xffffc00cu);
	assert_int_equal(info->bars[2].start, 0xf0010000u);
	assert_int_equal(info->bars[1].type, VPCI_RES_TYPE_NULL);	/* upper half */
	assert_int_equal(T.be.n_bar, 2);
	/* a 1.2 message on a 1.1 bus */
	push_msg(VMBUS_PKT_DATA_INBAND, 0, &r2, sizeof(r2));
	assert_int_equal(vpci_vsc_poll(T.vsc, 0), 0);
	assert_int_equal(grefused(VPCI_REFUSED_VERSION), 1);
	assert_int_equal(vpci_vsc_dev_count(T.vsc), 1);
}

static void test_invalidate_cache(void **state)
{
	struct vpci_vsp_stats st;
	struct vpci_vsc_dev *g;
	uint64_t m = 0;

	(void)state;
	/* cached while the guest has not set the function up */
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x1), 0);
	assert_int_equal(connect(0), 0);
	g = vpci_vsc_find(T.vsc, SLOT0);
	vpci_vsc_dev_set_invalidate(g, g_inval, NULL);
	assert_int_equal(vpci_vsp_dev_pending_invalidate(T.dev), 0x1);
	vpci_vsp__flush(T.vsp);
	assert_int_equal(vpci_vsp_dev_pending_invalidate(T.dev), 0);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.inval_calls, 1);
	assert_int_equal(T.inval_mask, 0x1);

	/* the guest's ring is full: both masks wait, then go as one message */
	T.host_full = true;
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x2), 0);
	vpci_vsp__flush(T.vsp);
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x8), 0);
	vpci_vsp__flush(T.vsp);
	assert_int_equal(vpci_vsp_dev_pending_invalidate(T.dev), 0xa);
	T.host_full = false;
	vpci_vsp__flush(T.vsp);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.inval_calls, 2);
	assert_int_equal(T.inval_mask, 0xa);

	/* two messages before the guest looks: one callback, masks ORed */
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x10), 0);
	vpci_vsp__flush(T.vsp);
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x20), 0);
	vpci_vsp__flush(T.vsp);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.inval_calls, 3);
	assert_int_equal(T.inval_mask, 0x30);
	vpci_vsp_get_stats(T.vsp, &st);
	assert_int_equal(st.invalidate_calls, 5);
	assert_int_equal(st.invalidates_sent, 4);

	/* the pending-IOCTL model */
	vpci_vsc_dev_set_invalidate(g, NULL, NULL);
	assert_int_equal(vpci_vsc_wait_invalidate(g, 0, &m), -ETIMEDOUT);
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x40), 0);
	vpci_vsp__flush(T.vsp);
	assert_int_equal(vpci_vsc_wait_invalidate(g, 0, &m), 0);
	assert_int_equal(m, 0x40);
	assert_int_equal(T.inval_calls, 3);
	/* leaving: no more invalidates, and a pending wait ends */
	assert_int_equal(vpci_vsp_remove_device(T.dev, 1000), 0);
	assert_int_equal(vpci_vsp_invalidate(T.dev, 0x80), -ENODEV);
	T.eject_rc = -EBUSY;
	assert_int_equal(vpci_vsc_wait_invalidate(g, 0, &m), -ENODEV);
}

static void test_full_ring(void **state)
{
	struct vpci_dev_desc d1 = desc0;
	struct vpci_vsp_stats st;
	struct vpci_vsc_dev *g;
	uint8_t buf[4];

	(void)state;
	assert_int_equal(connect(0), 0);
	g = vpci_vsc_find(T.vsc, SLOT0);
	/* a reply that does not fit is dropped; the guest times out, then carries on */
	T.host_full = true;
	assert_int_equal(vpci_vsc_config_read(g, 0, buf, 4, NULL), -ETIMEDOUT);
	T.host_full = false;
	vpci_vsp_get_stats(T.vsp, &st);
	assert_int_equal(st.replies_dropped, 1);
	assert_int_equal(vpci_vsc_config_read(g, 0, buf, 4, NULL), 0);
	/* relations that do not fit wait for room */
	d1.slot = SLOT1;
	d1.serial = 0x2000;
	T.host_full = true;
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d1, &vpci_double_ops, &T.be1, NULL), 0);
	vpci_vsp__flush(T.vsp);
	vpci_vsp_get_stats(T.vsp, &st);
	assert_int_equal(st.relations_sent, 1);
	T.host_full = false;
	vpci_vsp__flush(T.vsp);
	vpci_vsp_get_stats(T.vsp, &st);
	assert_int_equal(st.relations_sent, 2);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.arrivals, 2);
	assert_non_null(vpci_vsc_find_serial(T.vsc, 0x2000));
	/* an eject that does not fit is sent later */
	T.host_full = true;
	assert_int_equal(vpci_vsp_remove_device(T.dev, 1000), 0);
	assert_int_equal(vpci_vsc_poll(T.vsc, 0), 0);
	T.host_full = false;
	vpci_vsp__flush(T.vsp);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.how, VPCI_REMOVAL_GRACEFUL);
	assert_int_equal(vpci_vsc_dev_count(T.vsc), 1);
}

static void rescind(void)
{
	T.host_full = true;	/* the answer never reaches the guest */
	T.rescinded = true;
}

/* The channel goes away while a request waits: it fails cleanly, and so does the bus. */
static void test_rescind_mid_request(void **state)
{
	struct vpci_vsc_dev *g;
	uint8_t buf[4];
	uint64_t m;
	uint32_t st = 0;

	(void)state;
	assert_int_equal(connect(0), 0);
	g = vpci_vsc_find(T.vsc, SLOT0);
	T.before_handle = rescind;
	T.hook_at = T.sends + 1;
	assert_int_equal(vpci_vsc_read_block(g, 1, buf, sizeof(buf), &st), -ENODEV);
	assert_int_equal(st, VPCI_STATUS_DEVICE_REMOVED);
	assert_int_equal(vpci_vsc_bus_state(T.vsc), VPCI_BUS_GONE);
	/* still valid until the next poll reports the surprise removal */
	assert_int_equal(vpci_vsc_config_read(g, 0, buf, 4, &st), -ENODEV);
	assert_int_equal(vpci_vsc_wait_invalidate(g, 0, &m), -ENODEV);
	assert_true(vpci_vsc_poll(T.vsc, 0) > 0);
	assert_int_equal(T.removals, 1);
	assert_true(T.surprise);
	assert_int_equal(vpci_vsc_dev_count(T.vsc), 0);
	assert_int_equal(vpci_vsc_poll(T.vsc, 0), -ENODEV);
}

static struct vpci_vsp_dev *dev1;

static void remove_dev1(void)
{
	assert_int_equal(vpci_vsp_remove_device(dev1, 1000), 0);
}

/*
 * Two functions arrive in one relations message; the host ejects the
 * second while the guest is still bringing up the first (the hook runs
 * just before the host sees QUERY_RESOURCE_REQUIREMENTS for slot 2, the
 * fourth packet after version, D0 entry and the relations query).
 */
static void test_eject_during_bring_up(void **state)
{
	struct vpci_dev_desc d1 = desc0;
	struct vpci_vsc_stats st;

	(void)state;
	d1.slot = SLOT1;
	d1.serial = 0x2000;
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d1, &vpci_double_ops, &T.be1, &dev1), 0);
	T.before_handle = remove_dev1;
	T.hook_at = 4;
	assert_int_equal(connect(0), 0);
	assert_null(T.before_handle);	/* it ran */
	assert_int_equal(T.arrivals, 1);
	assert_int_equal(T.ejects, 0);	/* never announced: no PnP question either */
	assert_int_equal(T.removed, 1);
	assert_int_equal(T.how, VPCI_REMOVAL_GRACEFUL);
	assert_int_equal(vpci_vsc_dev_count(T.vsc), 1);
	assert_non_null(vpci_vsc_find(T.vsc, SLOT0));
	assert_int_equal(host_state(), VPCI_DEV_ACTIVE);
	vpci_vsc_get_stats(T.vsc, &st);
	assert_int_equal(st.bringup_failures, 0);
	assert_int_equal(vpci_vsc_refused(T.vsc), 0);
	assert_int_equal(vpci_vsp_refused(T.vsp), 0);
}

static uint32_t refuse_ids(void *ctx, uint16_t vf_id, uint16_t *v, uint16_t *d)
{
	(void)ctx;
	(void)vf_id;
	(void)v;
	(void)d;
	return VPCI_STATUS_NOT_SUPPORTED;
}

static void test_add_device_checks(void **state)
{
	struct vpci_backend_ops partial = vpci_double_ops, no_ids = vpci_double_ops;
	struct vpci_dev_desc d = desc0;
	struct vpci_vsp_dev *dev = NULL;

	(void)state;
	d.slot = 0x100;
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d, &vpci_double_ops, &T.be, NULL), -EINVAL);
	partial.bar_resources = NULL;
	d.slot = SLOT1;
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d, &partial, &T.be, NULL), -EINVAL);
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d, NULL, &T.be, NULL), -EINVAL);
	no_ids.vf_vendor_device_id = refuse_ids;
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d, &no_ids, &T.be, NULL), -EIO);
	assert_int_equal(vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, NULL), -EEXIST);
	for (uint32_t i = 1; i < VPCI_MAX_FUNCS; i++) {
		d.slot = VPCI_SLOT(i, 1);
		assert_int_equal(vpci_vsp_add_device(T.vsp, &d, &vpci_double_ops, &T.be, &dev), 0);
		assert_int_equal(vpci_vsp_dev_desc(dev)->slot, d.slot);
	}
	assert_int_equal(vpci_vsp_dev_count(T.vsp), VPCI_MAX_FUNCS);
	d.slot = VPCI_SLOT(0, 7);
	assert_int_equal(vpci_vsp_add_device(T.vsp, &d, &vpci_double_ops, &T.be, NULL), -ENOSPC);
	/* 32 functions fit one relations message, and the guest takes them all */
	assert_int_equal(connect(0), 0);
	assert_int_equal(vpci_vsc_dev_count(T.vsc), VPCI_MAX_FUNCS);
	assert_int_equal(T.arrivals, VPCI_MAX_FUNCS);
	assert_non_null(vpci_vsp__dev_at(T.vsp, 0));
	assert_null(vpci_vsp__dev_at(T.vsp, VPCI_MAX_FUNCS));
	/* the partition goes: nothing can be added, everything was removed */
	vpci_vsp__chan_event(T.vsp, VMBUS_CHAN_EV_RESCINDED);
	assert_int_equal(T.removed, VPCI_MAX_FUNCS);
	assert_int_equal(vpci_vsp_add_device(T.vsp, &desc0, &vpci_double_ops, &T.be, NULL), -ENODEV);
	assert_string_equal(vpci_removal_name(VPCI_REMOVAL_GUEST_GONE), "guest gone");
	assert_string_equal(vpci_removal_name(VPCI_REMOVAL_COUNT), "?");
	vpci_vsp_destroy(NULL);
	vpci_vsc_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk_device_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_refuses_bad_host_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_relations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eject_during_bring_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rescind_mid_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_device_checks, setup, teardown),
	};

	log_configure(getenv("IOVLAB_LOG") ? getenv("IOVLAB_LOG") : "*=none", NULL, 0);
	return cmocka_run_group_tests_name("hv/vpci_local", tests, NULL, NULL);
}
