/*
 * drivers/srnic_pf data path on the default vPort (spec 1.2, 8.2, 8.3):
 * frames from the wire steered to vPort 0 reach the protocol bound to the
 * PF (the virtual switch's place) as NBLs carrying vPort id 0, through
 * MSI-X, the ISR and the DPC; buffers come back and are reposted; a
 * protocol that holds NBLs fills the ring and the NIC drops, then recovers;
 * sends leave by the uplink or hairpin to a VF's vPort, and complete;
 * frames from a VF reach the PF; nothing is indicated while paused; link
 * changes are indicated. The test plays the VF driver through the VF's
 * registers and its own DMA memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_env.h"

static const uint8_t host_mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x10 };	/* on the default vPort */
static const uint8_t vf_mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x20 };	/* on the VF's vPort */
static const uint8_t far_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };	/* out on the wire */

static void frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6], uint8_t tag)
{
	memset(f, tag, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = tag;
}

static void up(struct pf_env *e)
{
	struct pf_opts o = { .with_proto = true };

	pf_env_up(e, &o);
	assert_int_equal(e->create_rc, 0);
	assert_true(pcibus_pf_interrupt_connected(e->bus));
	assert_true(pcibus_pf_dma_pages_used(e->bus) > 0);
}

static void test_receive_from_the_wire(void **state)
{
	struct pf_env e;
	uint8_t f[128];
	uint32_t filter;

	(void)state;
	up(&e);
	filter = pf_set_filter(&e, 0, host_mac, 0);
	frame(f, 100, host_mac, far_mac, 0x42);
	assert_int_equal(srnic_peer_send(e.peer, f, 100), 0);
	/* MSI-X -> ISR -> DPC -> NdisMIndicateReceiveNetBufferLists, synchronously. */
	assert_int_equal(e.pc->received, 1);
	assert_int_equal(e.pc->frames[0].len, 100);
	assert_memory_equal(e.pc->frames[0].data, f, 64);
	assert_int_equal(e.pc->frames[0].vport, NDIS_DEFAULT_VPORT_ID);
	/* Far more frames than the ring holds: returned buffers are reposted. */
	for (unsigned i = 0; i < 300; i++) {
		frame(f, 60 + i % 40, host_mac, far_mac, (uint8_t)i);
		assert_int_equal(srnic_peer_send(e.peer, f, 60 + i % 40), 0);
	}
	assert_int_equal(e.pc->received, 301);
	assert_int_equal(e.pc->frames[300 % PF_PROTO_KEEP].len, 60 + 299 % 40);
	assert_int_equal(e.pc->frames[300 % PF_PROTO_KEEP].data[14], (uint8_t)299);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_DROP_RING_FULL), 0);
	/* Unfiltered unicast never reaches the default vPort. */
	frame(f, 64, vf_mac, far_mac, 1);
	assert_int_equal(srnic_peer_send(e.peer, f, 64), 0);
	assert_int_equal(e.pc->received, 301);
	assert_int_equal(pf_clear_filter(&e, filter), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

static void test_held_buffers_fill_the_ring(void **state)
{
	struct pf_env e;
	uint8_t f[64];
	uint32_t filter;

	(void)state;
	up(&e);
	filter = pf_set_filter(&e, 0, host_mac, 0);
	e.pc->hold = 1;
	for (unsigned i = 0; i < 80; i++) {
		frame(f, 64, host_mac, far_mac, (uint8_t)i);
		assert_int_equal(srnic_peer_send(e.peer, f, 64), 0);
	}
	/* 64 buffers: 63 posted at once (one slot stays empty), the 64th as
	 * soon as the first 63 are taken; then the NIC has none. */
	assert_int_equal(e.pc->received, 64);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_DROP_RING_FULL), 80 - 64);
	e.pc->hold = 0;
	e.proto_return_held();
	frame(f, 64, host_mac, far_mac, 0xee);
	assert_int_equal(srnic_peer_send(e.peer, f, 64), 0);
	assert_int_equal(e.pc->received, 65);
	assert_int_equal(e.pc->frames[64].data[14], 0xee);
	assert_int_equal(pf_clear_filter(&e, filter), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

static void test_send_to_the_wire(void **state)
{
	struct pf_env e;
	uint8_t f[1514], got[2048];
	ssize_t n;

	(void)state;
	up(&e);
	frame(f, sizeof(f), far_mac, host_mac, 0);
	/* 150 frames in one chain: more than the ring, completed as they go. */
	e.proto_send(f, sizeof(f), 150, 7);
	assert_int_equal(e.pc->sent, 150);
	assert_int_equal(e.pc->completed, 150);
	assert_int_equal(e.pc->completed_ok, 150);
	for (unsigned i = 0; i < 150; i++) {
		n = srnic_peer_recv(e.peer, got, sizeof(got));
		assert_int_equal(n, sizeof(f));
		assert_memory_equal(got, f, 14);
		assert_int_equal(got[14], (uint8_t)i);	/* in order */
	}
	assert_int_equal(srnic_peer_recv(e.peer, got, sizeof(got)), -EAGAIN);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_TX_FRAMES), 150);
	/* A runt cannot go out: completed with NDIS_STATUS_INVALID_PACKET. */
	e.proto_send(f, 10, 1, 0);
	assert_int_equal(e.pc->completed, 151);
	assert_int_equal(e.pc->last_send_status, NDIS_STATUS_INVALID_PACKET);
	pf_env_down(&e);
}

/* The test as the VF driver: queue pair 0 of VF 0 in its own memory. */
#define VMEM 0x20000u
#define VTX 0x1000u
#define VRX 0x2000u
#define VTXB 0x4000u
#define VRXB 0x8000u
#define VRING 8u

struct vf_drv {
	uint8_t *mem;
	unsigned rx_next, tx_tail;
};

static void vf_w(struct pf_env *e, uint32_t off, uint32_t v)
{
	assert_int_equal(srnic_mmio_write32(e->nic, 1, SRNIC_BAR_REGS, off, v), 0);
}

static void vf_up(struct pf_env *e, struct vf_drv *v)
{
	v->mem = calloc(1, VMEM);
	assert_non_null(v->mem);
	v->rx_next = v->tx_tail = 0;
	assert_int_equal(srnic_set_dma_domain(e->nic, 1, v->mem, VMEM), 0);
	assert_int_equal(srnic_cfg_write(e->nic, 1, PCI_COMMAND, 2, PCI_COMMAND_MASTER), 0);
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_LO), VTX);
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_TX_SIZE), VRING);
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_RX_BASE_LO), VRX);
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_RX_SIZE), VRING);
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE);
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	for (unsigned i = 0; i < VRING; i++) {
		struct srnic_desc *d = (struct srnic_desc *)(v->mem + VRX) + i;
		d->addr = VRXB + i * 2048u;
		d->len = 2048;
	}
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), VRING - 1);
	vf_w(e, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
}

static void vf_send(struct pf_env *e, struct vf_drv *v, const uint8_t *f, uint16_t len)
{
	struct srnic_desc *d = (struct srnic_desc *)(v->mem + VTX) + v->tx_tail;

	memcpy(v->mem + VTXB + v->tx_tail * 2048u, f, len);
	d->addr = VTXB + v->tx_tail * 2048u;
	d->len = len;
	d->flags = SRNIC_DESC_F_EOP;
	d->status = 0;
	v->tx_tail = (v->tx_tail + 1) % VRING;
	vf_w(e, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), v->tx_tail);
	assert_true(d->status & SRNIC_DESC_S_DONE);
	assert_false(d->status & SRNIC_DESC_S_ERR);
}

static const struct srnic_desc *vf_recv(struct vf_drv *v, const uint8_t **data)
{
	const struct srnic_desc *d = (const struct srnic_desc *)(v->mem + VRX) + v->rx_next;

	if (!(d->status & SRNIC_DESC_S_DONE))
		return NULL;
	*data = v->mem + d->addr;
	v->rx_next++;
	return d;
}

/* Synthetic and VF paths side by side: PF <-> VF through the NIC switch. */
static void test_hairpin_with_a_vf(void **state)
{
	struct pf_env e;
	struct vf_drv v;
	const struct srnic_desc *d;
	const uint8_t *data;
	uint32_t vport, f_host, f_vf;
	uint8_t f[200];
	uint16_t vf;

	(void)state;
	up(&e);
	f_host = pf_set_filter(&e, 0, host_mac, 0);
	vf = pf_allocate_vf(&e, vf_mac, NULL);
	vport = pf_create_vport(&e, vf, 1);
	f_vf = pf_set_filter(&e, vport, vf_mac, 0);
	vf_up(&e, &v);

	/* PF -> VF: the frame lands in the VF's ring, tagged with its vPort. */
	frame(f, 200, vf_mac, host_mac, 0x11);
	e.proto_send(f, 200, 1, 0);
	assert_int_equal(e.pc->completed_ok, 1);
	d = vf_recv(&v, &data);
	assert_non_null(d);
	assert_int_equal(d->len, 200);
	assert_int_equal(d->vport, vport);
	assert_memory_equal(data, f, 14);
	assert_int_equal(srnic_peer_rx_frames(e.peer), 0);	/* not out on the wire */

	/* VF -> PF: indicated on the default vPort. */
	frame(f, 90, host_mac, vf_mac, 0x22);
	vf_send(&e, &v, f, 90);
	assert_int_equal(e.pc->received, 1);
	assert_int_equal(e.pc->frames[0].len, 90);
	assert_int_equal(e.pc->frames[0].vport, NDIS_DEFAULT_VPORT_ID);
	assert_int_equal(e.pc->frames[0].data[14], 0x22);

	/* Teardown as the stack does it; the VF's domain goes with the VF. */
	assert_int_equal(pf_clear_filter(&e, f_vf), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_delete_vport(&e, vport), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_reset_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_clear_filter(&e, f_host), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
	free(v.mem);
}

static void test_pause_holds_receives(void **state)
{
	struct pf_env e;
	uint8_t f[64];
	uint32_t filter;

	(void)state;
	up(&e);
	filter = pf_set_filter(&e, 0, host_mac, 0);
	assert_int_equal(ndis_adapter_pause(e.ad), 0);
	assert_int_equal(ndis_adapter_state(e.ad), NDIS_ADAPTER_PAUSED);
	for (unsigned i = 0; i < 3; i++) {
		frame(f, 64, host_mac, far_mac, (uint8_t)(0x30 + i));
		assert_int_equal(srnic_peer_send(e.peer, f, 64), 0);
	}
	/* In the ring, not indicated: a paused miniport indicates nothing. */
	assert_int_equal(e.pc->received, 0);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_RX_FRAMES), 3);
	assert_int_equal(ndis_adapter_restart(e.ad), 0);
	assert_int_equal(e.pc->received, 3);
	assert_int_equal(e.pc->frames[2].data[14], 0x32);
	assert_int_equal(pf_clear_filter(&e, filter), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

static void test_link_changes(void **state)
{
	struct pf_env e;
	uint16_t vf;
	uint32_t vport;
	unsigned inval;

	(void)state;
	up(&e);
	vf = pf_allocate_vf(&e, vf_mac, NULL);
	vport = pf_create_vport(&e, vf, 1);
	inval = e.invalidations;
	srnic_peer_set_link(e.peer, false);
	assert_int_equal(e.pc->link_indications, 1);
	assert_int_equal(e.pc->last_link, MediaConnectStateDisconnected);
	/* The VF is told too: its block 0 link bit went down. */
	assert_int_equal(e.invalidations, inval + 1);
	srnic_peer_set_link(e.peer, true);
	assert_int_equal(e.pc->link_indications, 2);
	assert_int_equal(e.pc->last_link, MediaConnectStateConnected);
	assert_int_equal(e.invalidations, inval + 2);
	assert_int_equal(pf_delete_vport(&e, vport), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

/* Halt gives back the interrupt and the DMA memory. */
static void test_halt_releases(void **state)
{
	struct pf_env e;

	(void)state;
	up(&e);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_false(pcibus_pf_interrupt_connected(e.bus));
	assert_int_equal(pcibus_pf_dma_pages_used(e.bus), 0);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_DISABLED);
	pf_env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive_from_the_wire),
		cmocka_unit_test(test_held_buffers_fill_the_ring),
		cmocka_unit_test(test_send_to_the_wire),
		cmocka_unit_test(test_hairpin_with_a_vf),
		cmocka_unit_test(test_pause_holds_receives),
		cmocka_unit_test(test_link_changes),
		cmocka_unit_test(test_halt_releases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
