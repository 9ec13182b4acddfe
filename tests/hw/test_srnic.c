/*
 * Register-level tests of srnic (src/hw/srnic), in the style of QEMU's
 * tests/qtest/igb-test.c: the test is the driver. It enables VFs through the
 * PF's SR-IOV capability, sizes BARs, programs queue pairs, the NIC switch
 * (vPorts, filters) and MSI-X only through config space and MMIO, puts
 * descriptors and frames in each function's guest memory, and checks what
 * the device wrote back, the statistics, the drop reasons and the error
 * bits -- including every illegal access and bad descriptor. The built-in
 * peer stands on the uplink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "base/log.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

#define SR	0x160
#define MEMSZ	0x40000u
#define TXR	0x1000u		/* TX ring GPA */
#define RXR	0x2000u		/* RX ring GPA */
#define TXB	0x10000u	/* TX buffers, 2 KiB apart */
#define RXB	0x20000u	/* RX buffers, 2 KiB apart */
#define RING	16u

struct env {
	struct pcie_host *host;
	struct srnic *nic;
	struct srnic_peer *peer;
	uint8_t *mem[3];
	uint8_t mac[3][6];
	unsigned msi[3];
	uint32_t msi_data[3];
	/* Called from the MSI handler: a driver's interrupt routine that
	 * reprograms the device from inside a doorbell. */
	void (*msi_hook)(struct env *e, unsigned fn);
};

static void on_msi(void *ctx, struct pcie_function *fn, uint64_t addr, uint32_t data)
{
	struct env *e = ctx;
	unsigned i = pcie_fn_index(fn);
	(void)addr;
	if (i < 3) {
		e->msi[i]++;
		e->msi_data[i] = data;
		if (e->msi_hook)
			e->msi_hook(e, i);
	}
}

static void w(struct env *e, unsigned fn, uint32_t off, uint32_t val)
{
	assert_int_equal(srnic_mmio_write32(e->nic, fn, SRNIC_BAR_REGS, off, val), 0);
}

static uint32_t r(struct env *e, unsigned fn, uint32_t off)
{
	uint32_t v;
	assert_int_equal(srnic_mmio_read32(e->nic, fn, SRNIC_BAR_REGS, off, &v), 0);
	return v;
}

static uint32_t cfgr(struct env *e, unsigned fn, unsigned off, unsigned len)
{
	uint32_t v;
	assert_int_equal(srnic_cfg_read(e->nic, fn, off, len, &v), 0);
	return v;
}

static struct srnic_desc *desc(struct env *e, unsigned fn, uint32_t ring, unsigned i)
{
	return (struct srnic_desc *)(e->mem[fn] + ring + 16 * i);
}

static void enable_vfs(struct env *e, unsigned n)
{
	assert_int_equal(srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_NUM_VF, 2, n), 0);
	assert_int_equal(srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_CTRL, 2,
					 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI), 0);
}

/* Driver bring-up of function fn: bus master, DMA domain, queue pair 0
 * with RING-entry rings, RING-1 RX buffers posted, link enabled. */
static void fn_up(struct env *e, unsigned fn)
{
	uint32_t lo, hi;

	assert_int_equal(srnic_cfg_write(e->nic, fn, PCI_COMMAND, 2,
					 fn ? PCI_COMMAND_MASTER : PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY), 0);
	assert_int_equal(srnic_set_dma_domain(e->nic, fn, e->mem[fn], MEMSZ), 0);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_LO), TXR);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_BASE_HI), 0);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_SIZE), RING);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_BASE_LO), RXR);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_SIZE), RING);
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	for (unsigned i = 0; i < RING; i++) {
		struct srnic_desc *d = desc(e, fn, RXR, i);
		d->addr = RXB + 2048 * i;
		d->len = 2048;
		d->status = 0;
	}
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING - 1);
	w(e, fn, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	lo = r(e, fn, SRNIC_REG_MAC_LO);
	hi = r(e, fn, SRNIC_REG_MAC_HI);
	for (int i = 0; i < 4; i++)
		e->mac[fn][i] = (uint8_t)(lo >> (8 * i));
	e->mac[fn][4] = (uint8_t)hi;
	e->mac[fn][5] = (uint8_t)(hi >> 8);
}

static void set_filter(struct env *e, unsigned idx, const uint8_t *mac, uint32_t cfg)
{
	w(e, 0, SRNIC_REG_FILTER_SEL, idx);
	w(e, 0, SRNIC_REG_FILTER_MAC_LO, mac[0] | mac[1] << 8 | mac[2] << 16 | (uint32_t)mac[3] << 24);
	w(e, 0, SRNIC_REG_FILTER_MAC_HI, mac[4] | mac[5] << 8);
	w(e, 0, SRNIC_REG_FILTER_CFG, cfg);
}

/* The PF driver's NIC switch: vPort n on VF n, a MAC filter per function. */
static void switch_up(struct env *e)
{
	w(e, 0, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	for (unsigned v = 1; v <= 2; v++) {
		w(e, 0, SRNIC_REG_VPORT_SEL, v);
		w(e, 0, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(v) |
			 SRNIC_VPORT_CFG_QP_FIRST(0) | SRNIC_VPORT_CFG_QP_NUM(1));
	}
	for (unsigned f = 0; f <= 2; f++)
		set_filter(e, f, e->mac[f], SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(f));
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	log_configure("none", NULL, 0);
	e->host = pcie_host_create();
	pcie_host_set_msi_handler(e->host, on_msi, e);
	e->nic = srnic_create(e->host, 3, 0);
	assert_non_null(e->nic);
	e->peer = srnic_peer_create(e->nic, 32);
	for (int i = 0; i < 3; i++)
		e->mem[i] = calloc(1, MEMSZ);
	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	enable_vfs(e, 2);
	for (unsigned f = 0; f <= 2; f++)
		fn_up(e, f);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	srnic_peer_destroy(e->peer);
	srnic_destroy(e->nic);
	pcie_host_destroy(e->host);
	for (int i = 0; i < 3; i++)
		free(e->mem[i]);
	free(e);
	return 0;
}

static size_t make_frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src, size_t len, uint8_t fill)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(buf + 14, fill, len - 14);
	return len;
}

/* Put one frame on fn's TX ring at slot i and ring the doorbell. */
static void send(struct env *e, unsigned fn, unsigned i, const uint8_t *dst, size_t len, uint8_t fill)
{
	struct srnic_desc *d = desc(e, fn, TXR, i);

	make_frame(e->mem[fn] + TXB + 2048 * i, dst, e->mac[fn], len, fill);
	d->addr = TXB + 2048 * i;
	d->len = (uint16_t)len;
	d->flags = SRNIC_DESC_F_EOP;
	d->status = 0;
	w(e, fn, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), (i + 1) % RING);
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t stranger[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x01 };

static void test_identity_and_bars(void **state)
{
	struct env *e = *state;
	uint32_t v;

	assert_int_equal(cfgr(e, 0, PCI_VENDOR_ID, 2), SRNIC_VENDOR_ID);
	assert_int_equal(cfgr(e, 0, PCI_DEVICE_ID, 2), SRNIC_PF_DEVICE_ID);
	assert_int_equal(cfgr(e, 1, PCI_VENDOR_ID, 4), 0xffffffffu);
	assert_int_equal(cfgr(e, 0, SR + PCI_SRIOV_VF_DID, 2), SRNIC_VF_DEVICE_ID);
	assert_int_equal(cfgr(e, 0, SR + PCI_SRIOV_TOTAL_VF, 2), SRNIC_DEFAULT_VFS);
	/* BAR sizing by all-ones, as pci.sys probes. */
	uint32_t saved = cfgr(e, 0, PCI_BASE_ADDRESS_0, 4);
	srnic_cfg_write(e->nic, 0, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(cfgr(e, 0, PCI_BASE_ADDRESS_0, 4) & ~0xfu, (uint32_t)~(SRNIC_PF_REGS_SIZE - 1));
	srnic_cfg_write(e->nic, 0, PCI_BASE_ADDRESS_0, 4, saved);
	saved = cfgr(e, 0, SR + PCI_SRIOV_BAR, 4);
	srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_BAR, 4, 0xffffffff);
	assert_int_equal(cfgr(e, 0, SR + PCI_SRIOV_BAR, 4) & ~0xfu, (uint32_t)~(SRNIC_VF_REGS_SIZE - 1));
	srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_BAR, 4, saved);
	assert_int_equal(r(e, 2, SRNIC_REG_VERSION), SRNIC_VERSION_1);
	assert_int_equal(r(e, 2, SRNIC_REG_FUNC_ID), 2);
	assert_int_equal(r(e, 2, SRNIC_REG_NUM_QP), SRNIC_VF_NUM_QP);
	assert_int_equal(r(e, 0, SRNIC_REG_NUM_QP), SRNIC_PF_NUM_QP);
	assert_int_equal(r(e, 1, SRNIC_REG_STATUS), SRNIC_STATUS_LINK_UP | SRNIC_STATUS_ENABLED);
	/* MMIO by physical address reaches VF2's registers at VF BAR0 + 16 KiB. */
	assert_int_equal(pcie_host_mmio_read32(e->host, pcie_fn_bar_addr(srnic_function(e->nic, 2), 0) +
					       SRNIC_REG_FUNC_ID, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(pcie_fn_bar_addr(srnic_function(e->nic, 2), 0) -
			 pcie_fn_bar_addr(srnic_function(e->nic, 1), 0), SRNIC_VF_REGS_SIZE);
}

static void test_vf_enable_disable(void **state)
{
	struct env *e = *state;
	uint32_t v;

	assert_int_equal(srnic_cfg_write(e->nic, 0, SR + PCI_SRIOV_CTRL, 2, 0), 0);
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, SRNIC_REG_CTRL, &v), -ENODEV);
	assert_int_equal(srnic_cfg_read(e->nic, 1, 0, 4, &v), -ENODEV);
	enable_vfs(e, 1);
	assert_int_equal(r(e, 1, SRNIC_REG_CTRL), 0);	/* came back reset */
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_DISABLED);
	assert_int_equal(srnic_mmio_read32(e->nic, 2, 0, SRNIC_REG_CTRL, &v), -ENODEV);
	assert_int_equal(srnic_mmio_read32(e->nic, 65, 0, 0, &v), -ENODEV);
}

static void test_forward_vf_to_vf(void **state)
{
	struct env *e = *state;
	uint8_t expect[128];
	struct srnic_desc *d = desc(e, 2, RXR, 0);

	switch_up(e);
	/* VF2 unmasks its RX interrupt on queue 0 and enables MSI-X. */
	srnic_mmio_write32(e->nic, 2, SRNIC_BAR_MSIX, 16 * 1 + 8, 0x77);
	srnic_mmio_write32(e->nic, 2, SRNIC_BAR_MSIX, 16 * 1 + 12, 0);
	srnic_cfg_write(e->nic, 2, 0x50 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	w(e, 2, SRNIC_REG_INT_MASK, ~SRNIC_INT_RX(0));

	send(e, 1, 0, e->mac[2], 100, 0xab);
	assert_int_equal(desc(e, 1, TXR, 0)->status, SRNIC_DESC_S_DONE);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_HEAD)), 1);
	assert_int_equal(d->status, SRNIC_DESC_S_DONE);
	assert_int_equal(d->len, 100);
	assert_int_equal(d->vport, 2);
	make_frame(expect, e->mac[2], e->mac[1], 100, 0xab);
	assert_memory_equal(e->mem[2] + RXB, expect, 100);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_HEAD)), 1);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 1);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_BYTES), 100);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_BYTES), 100);
	assert_int_equal(srnic_peer_rx_frames(e->peer), 0);	/* hairpin, not the wire */
	assert_int_equal(e->msi[2], 1);
	assert_int_equal(e->msi_data[2], 0x77);
	assert_true(r(e, 2, SRNIC_REG_INT_CAUSE) & SRNIC_INT_RX(0));
	/* Cause stays set: the next frame coalesces into it (no new message). */
	send(e, 1, 1, e->mac[2], 60, 0xcd);
	assert_int_equal(e->msi[2], 1);
	w(e, 2, SRNIC_REG_INT_CAUSE, SRNIC_INT_RX(0));	/* RW1C */
	assert_false(r(e, 2, SRNIC_REG_INT_CAUSE) & SRNIC_INT_RX(0));
	send(e, 1, 2, e->mac[2], 60, 0xef);
	assert_int_equal(e->msi[2], 2);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 3);
}

static void test_vf_uplink_both_ways(void **state)
{
	struct env *e = *state;
	uint8_t buf[2048], frame[200];
	ssize_t n;

	switch_up(e);
	send(e, 1, 0, stranger, 200, 0x11);
	n = srnic_peer_recv(e->peer, buf, sizeof(buf));
	assert_int_equal(n, 200);
	assert_memory_equal(buf, stranger, 6);
	assert_memory_equal(buf + 6, e->mac[1], 6);
	assert_int_equal(srnic_peer_recv(e->peer, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_UPLINK_TX), 1);
	/* From the wire to VF2 by its MAC filter. */
	make_frame(frame, e->mac[2], stranger, 200, 0x22);
	assert_int_equal(srnic_peer_send(e->peer, frame, 200), 0);
	assert_int_equal(desc(e, 2, RXR, 0)->status, SRNIC_DESC_S_DONE);
	assert_memory_equal(e->mem[2] + RXB, frame, 200);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_UPLINK_RX), 1);
	/* VLAN: a filter for VF1 on VLAN 5 only matches tagged frames. */
	set_filter(e, 10, stranger, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VLAN_EN |
				    SRNIC_FILTER_CFG_VLAN(5) | SRNIC_FILTER_CFG_VPORT(1));
	uint8_t tagged[64] = { 0 };
	memcpy(tagged, stranger, 6);
	tagged[12] = 0x81; tagged[13] = 0x00; tagged[15] = 5;
	srnic_peer_send(e->peer, tagged, 64);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_RX_FRAMES), 1);
	make_frame(frame, stranger, e->mac[0], 64, 0);
	srnic_peer_send(e->peer, frame, 64);	/* untagged: no filter */
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_DROP_NO_FILTER), 1);
}

static void test_broadcast_replicates(void **state)
{
	struct env *e = *state;
	uint8_t buf[2048], frame[64];

	switch_up(e);
	send(e, 1, 0, bcast, 64, 0x33);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_RX_FRAMES), 0);	/* not back to the sender */
	assert_int_equal(srnic_peer_recv(e->peer, buf, sizeof(buf)), 64);
	/* Multicast from the wire reaches every vPort. */
	uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	make_frame(frame, mc, stranger, 64, 0x44);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 2);
}

static void test_drop_reasons(void **state)
{
	struct env *e = *state;
	uint8_t frame[64];

	/* Switch disabled: a VF has no path out. */
	send(e, 1, 0, stranger, 64, 0);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 1);
	switch_up(e);
	/* No filter matched (uplink unicast to an unknown MAC). */
	make_frame(frame, stranger, e->mac[0], 64, 0);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_DROP_NO_FILTER), 1);
	/* Link down: the uplink. */
	srnic_peer_set_link(e->peer, false);
	assert_false(r(e, 1, SRNIC_REG_STATUS) & SRNIC_STATUS_LINK_UP);
	send(e, 1, 1, stranger, 64, 0);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 2);
	assert_int_equal(srnic_peer_send(e->peer, frame, 64), -ENETDOWN);
	srnic_peer_set_link(e->peer, true);
	/* Link down: the receiving function disabled its link. */
	w(e, 2, SRNIC_REG_CTRL, 0);
	send(e, 1, 2, e->mac[2], 64, 0);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_LINK_DOWN), 1);
	w(e, 2, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	/* Ring full: VF2 posted RING-1 buffers; the next one is dropped. */
	for (unsigned i = 0; i < RING - 1; i++) {
		make_frame(frame, e->mac[2], stranger, 64, (uint8_t)i);
		assert_int_equal(srnic_peer_send(e->peer, frame, 64), 0);
	}
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), RING - 1);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_RING_FULL), 1);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_DROP_RING_FULL), 1);
	/* VF without a vPort: deleting vPort 2 detaches VF2. */
	w(e, 0, SRNIC_REG_VPORT_SEL, 2);
	w(e, 0, SRNIC_REG_VPORT_CFG, 0);
	send(e, 2, 0, stranger, 64, 0);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_LINK_DOWN), 2);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_DROP_LINK_DOWN), 5);	/* 2 VF1 + wire while down + VF2 x2 */
}

static void test_bad_descriptors(void **state)
{
	struct env *e = *state;
	struct srnic_desc *d;

	switch_up(e);
	/* reserved flag, no EOP, too short, too long */
	const struct { uint16_t flags, len; } bad[] = {
		{ SRNIC_DESC_F_EOP | 0x8000, 64 }, { 0, 64 }, { SRNIC_DESC_F_EOP, 13 },
		{ SRNIC_DESC_F_EOP, SRNIC_FRAME_MAX + 1 },
	};
	for (unsigned i = 0; i < 4; i++) {
		d = desc(e, 1, TXR, i);
		d->addr = TXB;
		d->len = bad[i].len;
		d->flags = bad[i].flags;
		d->status = 0;
	}
	w(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), 4);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(desc(e, 1, TXR, i)->status, SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DROP_BAD_DESC), 4);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 0);
	assert_true(r(e, 1, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_BAD_DESC);
	assert_true(r(e, 1, SRNIC_REG_STATUS) & SRNIC_STATUS_ERROR);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_ENABLED);
	w(e, 1, SRNIC_REG_ERR_CAUSE, SRNIC_ERR_BAD_DESC);	/* RW1C */
	assert_int_equal(r(e, 1, SRNIC_REG_ERR_CAUSE), 0);
	/* The queue still works afterwards. */
	send(e, 1, 4, e->mac[2], 64, 0x5a);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 1);
	/* RX buffer shorter than the frame: completed with an error. */
	desc(e, 2, RXR, 1)->len = 32;
	send(e, 1, 5, e->mac[2], 64, 0x5b);
	assert_int_equal(desc(e, 2, RXR, 1)->status, SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_BAD_DESC), 1);
	assert_true(r(e, 2, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_BAD_DESC);
	for (unsigned i = 32; i < 64; i++)
		assert_int_equal(e->mem[2][RXB + 2048 + i], 0);	/* nothing past the buffer */
}

static void test_dma_outside_domain(void **state)
{
	struct env *e = *state;
	uint8_t *copy = malloc(MEMSZ);
	struct srnic_desc *d;

	switch_up(e);
	memcpy(copy, e->mem[2], MEMSZ);
	/* TX buffer beyond VF1's domain (an address valid in no domain of VF1). */
	d = desc(e, 1, TXR, 0);
	d->addr = MEMSZ - 10;
	d->len = 64;
	d->flags = SRNIC_DESC_F_EOP;
	w(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), 1);
	assert_int_equal(d->status, SRNIC_DESC_S_DONE | SRNIC_DESC_S_ERR);
	assert_true(r(e, 1, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_DMA);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DMA_ERRORS), 1);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_ERROR);
	assert_int_equal(pcie_fn_dma_faults(srnic_function(e->nic, 1)), 1);
	assert_memory_equal(copy, e->mem[2], MEMSZ);	/* VF2's memory untouched */
	/* RX buffer outside VF2's domain: the frame is not written anywhere. */
	desc(e, 2, RXR, 0)->addr = (uint64_t)1 << 40;
	memcpy(copy, e->mem[2], MEMSZ);
	uint8_t frame[64];
	make_frame(frame, e->mac[2], stranger, 64, 0x66);
	srnic_peer_send(e->peer, frame, 64);
	assert_true(r(e, 2, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_DMA);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_STATUS)), SRNIC_QSTATE_ERROR);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_BAD_DESC), 1);
	assert_memory_equal(copy, e->mem[2], MEMSZ);
	/* A ring whose end lies outside the domain cannot be enabled. */
	w(e, 2, SRNIC_REG_QP(1, SRNIC_QP_TX_BASE_LO), MEMSZ - 16 * 4);
	w(e, 2, SRNIC_REG_QP(1, SRNIC_QP_TX_SIZE), 8);
	assert_int_equal(srnic_mmio_write32(e->nic, 2, 0, SRNIC_REG_QP(1, SRNIC_QP_TX_CTRL), SRNIC_QCTRL_ENABLE), -EINVAL);
	assert_true(r(e, 2, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_RING);
	/* Detached domain: even a good TX ring faults. */
	srnic_set_dma_domain(e->nic, 0, NULL, 0);
	send(e, 0, 0, stranger, 64, 0);
	assert_int_equal(r(e, 0, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_ERROR);
	free(copy);
}

/* Queue state machine: disabled -> enabled -> disabled; enabled -> error
 * -> disabled -> enabled; illegal: error -> enabled, ring change while
 * enabled, doorbell while disabled, bad ring geometry. */
static void test_queue_state_machine(void **state)
{
	struct env *e = *state;
	uint32_t q = SRNIC_REG_QP(1, 0);

	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_DISABLED);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_TAIL, 1), -EIO);
	w(e, 1, q + SRNIC_QP_TX_BASE_LO, 0x3000);
	w(e, 1, q + SRNIC_QP_TX_SIZE, 3);	/* not a power of two */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_CTRL, 1), -EINVAL);
	w(e, 1, q + SRNIC_QP_TX_SIZE, 8192);	/* too big */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_CTRL, 1), -EINVAL);
	w(e, 1, q + SRNIC_QP_TX_SIZE, 8);
	w(e, 1, q + SRNIC_QP_TX_BASE_LO, 0x3008);	/* misaligned */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_CTRL, 1), -EINVAL);
	w(e, 1, q + SRNIC_QP_TX_BASE_LO, 0x3000);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_DISABLED);
	w(e, 1, q + SRNIC_QP_TX_CTRL, SRNIC_QCTRL_ENABLE);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_ENABLED);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_BASE_LO, 0x4000), -EBUSY);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_SIZE, 16), -EBUSY);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_HEAD, 1), -EPERM);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_CTRL, 3), -EINVAL);
	w(e, 1, q + SRNIC_QP_TX_CTRL, 0);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_DISABLED);
	w(e, 1, q + SRNIC_QP_TX_CTRL, SRNIC_QCTRL_ENABLE);
	/* A tail beyond the ring (wrong wrap) puts the queue in error. */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_TAIL, 8), -EINVAL);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_ERROR);
	assert_true(r(e, 1, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_RING);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_CTRL, 1), -EINVAL);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_ERROR);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, q + SRNIC_QP_TX_TAIL, 1), -EIO);
	w(e, 1, q + SRNIC_QP_TX_CTRL, 0);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_DISABLED);
	w(e, 1, q + SRNIC_QP_TX_CTRL, SRNIC_QCTRL_ENABLE);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_STATUS), SRNIC_QSTATE_ENABLED);
	assert_int_equal(r(e, 1, q + SRNIC_QP_TX_HEAD), 0);
	/* RX side: same machine. */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), RING), -EINVAL);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_RX_STATUS)), SRNIC_QSTATE_ERROR);
	w(e, 1, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), 0);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_RX_STATUS)), SRNIC_QSTATE_DISABLED);
}

static void test_illegal_register_access(void **state)
{
	struct env *e = *state;
	uint32_t v;

	/* A VF never reaches the NIC switch. */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, SRNIC_REG_SW_CTRL, 1), -EPERM);
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, SRNIC_REG_VPORT_CFG, &v), -EPERM);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, SRNIC_REG_VF_RESET, 2), -EPERM);
	assert_true(r(e, 1, SRNIC_REG_ERR_CAUSE) & SRNIC_ERR_REG);
	/* Read-only and unknown registers. */
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, SRNIC_REG_VERSION, 0), -EPERM);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, SRNIC_REG_STAT_RX_FRAMES, 0), -EPERM);
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, 0x0800, &v), -EINVAL);
	assert_int_equal(srnic_mmio_write32(e->nic, 1, 0, SRNIC_REG_CTRL, 0x10), -EINVAL);
	/* Queue pair 2 does not exist on a VF (2 queue pairs). */
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, SRNIC_REG_QP(2, 0), &v), -EINVAL);
	/* Alignment, BAR bounds, missing BAR. */
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, 2, &v), -EINVAL);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, SRNIC_VF_REGS_SIZE, &v), -EINVAL);
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 1, 0, &v), -EINVAL);
	assert_int_equal(srnic_mmio_read32(e->nic, 0, 0, SRNIC_REG_PF_END, &v), -EINVAL);
	/* PF with Memory Space off. */
	srnic_cfg_write(e->nic, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(srnic_mmio_read32(e->nic, 0, 0, 0, &v), -EIO);
	srnic_cfg_write(e->nic, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	/* Switch programming errors, reported in CMD_STATUS. */
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VPORT_SEL, SRNIC_NUM_VPORTS), -EINVAL);
	w(e, 0, SRNIC_REG_VPORT_SEL, 0);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VPORT_CFG, 0), -EPERM);
	assert_int_equal(r(e, 0, SRNIC_REG_CMD_STATUS), EPERM);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VPORT_CFG,
					    SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(1) | SRNIC_VPORT_CFG_QP_NUM(1)), -EPERM);
	w(e, 0, SRNIC_REG_VPORT_SEL, 3);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VPORT_CFG,
					    SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(65) | SRNIC_VPORT_CFG_QP_NUM(1)), -EINVAL);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VPORT_CFG,
					    SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(1) | SRNIC_VPORT_CFG_QP_FIRST(1) |
					    SRNIC_VPORT_CFG_QP_NUM(2)), -EINVAL);
	w(e, 0, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(1) | SRNIC_VPORT_CFG_QP_NUM(1));
	assert_int_equal(r(e, 0, SRNIC_REG_CMD_STATUS), 0);
	w(e, 0, SRNIC_REG_VPORT_SEL, 4);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VPORT_CFG,
					    SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(1) | SRNIC_VPORT_CFG_QP_NUM(1)), -EEXIST);
	/* Filters: to a missing vPort, multicast, duplicate, VLAN 0. */
	uint8_t mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	w(e, 0, SRNIC_REG_FILTER_SEL, 0);
	w(e, 0, SRNIC_REG_FILTER_MAC_LO, 0x02020202);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_FILTER_CFG,
					    SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(9)), -EINVAL);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_FILTER_CFG,
					    SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VLAN_EN), -EINVAL);
	w(e, 0, SRNIC_REG_FILTER_CFG, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(3));
	w(e, 0, SRNIC_REG_FILTER_SEL, 1);
	w(e, 0, SRNIC_REG_FILTER_MAC_LO, 0x02020202);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_FILTER_CFG,
					    SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(0)), -EEXIST);
	w(e, 0, SRNIC_REG_FILTER_MAC_LO, mc[0] | mc[1] << 8 | mc[2] << 16 | (uint32_t)mc[3] << 24);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_FILTER_CFG,
					    SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(0)), -EINVAL);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_FILTER_SEL, SRNIC_NUM_FILTERS), -EINVAL);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_VF_RESET, 0), -EINVAL);
	assert_int_equal(srnic_mmio_write32(e->nic, 0, 0, SRNIC_REG_SW_UPLINK_RX, 0), -EPERM);
}

static void test_vf_flr_resets_only_that_vf(void **state)
{
	struct env *e = *state;
	uint8_t frame[64];
	uint32_t v;

	switch_up(e);
	send(e, 1, 0, e->mac[2], 64, 1);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 1);
	/* FLR of VF1 through its Device Control register. */
	assert_int_equal(srnic_cfg_write(e->nic, 1, 0x60 + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR), 0);
	assert_int_equal(r(e, 1, SRNIC_REG_CTRL), 0);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 0);
	assert_int_equal(r(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_STATUS)), SRNIC_QSTATE_DISABLED);
	assert_int_equal(r(e, 1, SRNIC_REG_INT_MASK), 0xffffffffu);
	assert_int_equal(cfgr(e, 1, PCI_COMMAND, 2), 0);	/* bus master off again */
	/* VF2 and the PF keep everything; the PF's switch state stays. */
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(r(e, 2, SRNIC_REG_CTRL), SRNIC_CTRL_ENABLE);
	assert_int_equal(cfgr(e, 2, PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	w(e, 0, SRNIC_REG_VPORT_SEL, 1);
	assert_true(r(e, 0, SRNIC_REG_VPORT_CFG) & SRNIC_VPORT_CFG_VALID);
	make_frame(frame, e->mac[2], stranger, 64, 2);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 2);
	/* Frames to the reset VF1 now drop: its link is down. */
	make_frame(frame, e->mac[1], stranger, 64, 3);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 1);
	/* VF1 can be brought up again. */
	fn_up(e, 1);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_RX_FRAMES), 1);
	/* The PF's VF_RESET register does the NIC-level reset for VF2. */
	w(e, 0, SRNIC_REG_VF_RESET, 2);
	assert_int_equal(r(e, 2, SRNIC_REG_CTRL), 0);
	assert_int_equal(r(e, 1, SRNIC_REG_CTRL), SRNIC_CTRL_ENABLE);
	assert_int_equal(srnic_cfg_read(e->nic, 2, PCI_COMMAND, 2, &v), 0);
	assert_int_equal(v, PCI_COMMAND_MASTER);	/* config space untouched */
	/* PF FLR takes the VFs away and resets the switch. */
	srnic_cfg_write(e->nic, 0, 0x60 + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(srnic_mmio_read32(e->nic, 1, 0, 0, &v), -ENODEV);
	assert_int_equal(pcie_fn_state(srnic_function(e->nic, 1)), PCIE_FN_DISABLED);
}

static void test_deferred_poll(void **state)
{
	struct env *e = *state;

	switch_up(e);
	srnic_set_deferred(e->nic, true);
	send(e, 1, 0, e->mac[2], 64, 1);
	send(e, 1, 1, e->mac[2], 64, 2);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 0);
	assert_int_equal(srnic_poll(e->nic), 2);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(srnic_poll(e->nic), 0);
}

static void test_switch_disabled_pf_plain_nic(void **state)
{
	struct env *e = *state;
	uint8_t frame[64], buf[128];

	/* Without the switch the PF is a plain NIC: everything from the wire
	 * goes to its default vPort, its TX goes to the wire. */
	make_frame(frame, stranger, e->mac[1], 64, 9);
	srnic_peer_send(e->peer, frame, 64);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 1);
	send(e, 0, 0, stranger, 64, 1);
	assert_int_equal(srnic_peer_recv(e->peer, buf, sizeof(buf)), 64);
	assert_int_equal(srnic_peer_recv(e->peer, buf, 10), -EAGAIN);
	send(e, 0, 1, stranger, 64, 1);
	assert_int_equal(srnic_peer_recv(e->peer, buf, 10), -EMSGSIZE);
}


/* One doorbell with several frames: hairpin runs keep their order with the
 * frames around them, and a run that outgrows the posted buffers drops only
 * the excess (ring full). */
static void test_batch_order_and_partial_run(void **state)
{
	struct env *e = *state;
	struct srnic_desc *d;
	const uint8_t *dsts[6] = { e->mac[2], e->mac[2], bcast, e->mac[2], stranger, e->mac[2] };

	switch_up(e);
	for (unsigned i = 0; i < 6; i++) {
		d = desc(e, 1, TXR, i);
		make_frame(e->mem[1] + TXB + 2048 * i, dsts[i], e->mac[1], 64, (uint8_t)(0x10 + i));
		d->addr = TXB + 2048 * i;
		d->len = 64;
		d->flags = SRNIC_DESC_F_EOP;
		d->status = 0;
	}
	w(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(desc(e, 1, TXR, i)->status, SRNIC_DESC_S_DONE);
	/* VF2 got frames 0,1,2(broadcast),3,5 in that order. */
	const uint8_t order[5] = { 0x10, 0x11, 0x12, 0x13, 0x15 };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(desc(e, 2, RXR, i)->status, SRNIC_DESC_S_DONE);
		assert_int_equal(e->mem[2][RXB + 2048 * i + 20], order[i]);
	}
	assert_int_equal(srnic_peer_rx_frames(e->peer), 2);	/* broadcast + stranger */
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 6);
	/* Restart VF2's RX queue with only 3 buffers posted, then send 5. */
	w(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), 0);
	w(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_CTRL), SRNIC_QCTRL_ENABLE);
	w(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_TAIL), 3);
	for (unsigned i = 6; i < 11; i++) {
		d = desc(e, 1, TXR, i);
		make_frame(e->mem[1] + TXB + 2048 * i, e->mac[2], e->mac[1], 64, (uint8_t)i);
		d->addr = TXB + 2048 * i;
		d->len = 64;
		d->flags = SRNIC_DESC_F_EOP;
	}
	w(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), 11);
	assert_int_equal(r(e, 2, SRNIC_REG_QP(0, SRNIC_QP_RX_HEAD)), 3);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 5 + 3);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_RING_FULL), 2);
	assert_int_equal(e->mem[2][RXB + 2048 * 2 + 20], 8);
}

static const uint8_t moving[6] = { 0x02, 0x55, 0x55, 0x55, 0x55, 0x01 };

/* The per-source destination cache never delivers by a stale decision:
 * each doorbell's frames go where the switch says at that time, across
 * filter, vPort, switch and link changes between batches. */
static void test_dcache_follows_switch_changes(void **state)
{
	struct env *e = *state;
	const uint32_t to = SRNIC_FILTER_CFG_VALID;

	switch_up(e);
	set_filter(e, 20, moving, to | SRNIC_FILTER_CFG_VPORT(2));
	send(e, 1, 0, moving, 64, 1);
	send(e, 1, 1, moving, 64, 2);	/* a cache hit */
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(desc(e, 2, RXR, 1)->vport, 2);
	/* The same filter now steers the MAC to the PF's default vPort. */
	set_filter(e, 20, moving, to | SRNIC_FILTER_CFG_VPORT(0));
	send(e, 1, 2, moving, 64, 3);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(desc(e, 0, RXR, 0)->vport, 0);
	assert_int_equal(e->mem[0][RXB + 20], 3);
	/* Cleared: unknown unicast leaves by the uplink. */
	set_filter(e, 20, moving, 0);
	send(e, 1, 3, moving, 64, 4);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 1);
	assert_int_equal(srnic_peer_rx_frames(e->peer), 1);
	/* Back to VF2, then VF2's vPort deleted: its filters stop matching. */
	set_filter(e, 20, moving, to | SRNIC_FILTER_CFG_VPORT(2));
	send(e, 1, 4, moving, 64, 5);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 3);
	w(e, 0, SRNIC_REG_VPORT_SEL, 2);
	w(e, 0, SRNIC_REG_VPORT_CFG, 0);
	send(e, 1, 5, moving, 64, 6);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 3);
	assert_int_equal(srnic_peer_rx_frames(e->peer), 2);
	/* VF2 re-attached as vPort 5: the filter follows the new vPort. */
	w(e, 0, SRNIC_REG_VPORT_SEL, 5);
	w(e, 0, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(2) | SRNIC_VPORT_CFG_QP_NUM(1));
	set_filter(e, 20, moving, to | SRNIC_FILTER_CFG_VPORT(5));
	send(e, 1, 6, moving, 64, 7);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 4);
	assert_int_equal(desc(e, 2, RXR, 3)->vport, 5);
	assert_int_equal(e->mem[2][RXB + 2048 * 3 + 20], 7);
	/* The target's link down: dropped there, not delivered. */
	w(e, 2, SRNIC_REG_CTRL, 0);
	send(e, 1, 7, moving, 64, 8);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_DROP_LINK_DOWN), 1);
	w(e, 2, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE);
	send(e, 1, 8, moving, 64, 9);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 5);
	/* The switch off: a VF has no path out. */
	w(e, 0, SRNIC_REG_SW_CTRL, 0);
	send(e, 1, 9, moving, 64, 10);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 5);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 1);
	/* The sender's own MAC moved to another vPort is a hairpin target. */
	w(e, 0, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	set_filter(e, 20, moving, to | SRNIC_FILTER_CFG_VPORT(1));
	send(e, 1, 10, moving, 64, 11);	/* to its own vPort: the uplink */
	assert_int_equal(srnic_peer_rx_frames(e->peer), 3);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_RX_FRAMES), 0);
}

static void retarget_on_rx(struct env *e, unsigned fn)
{
	if (fn == 2) {
		e->msi_hook = NULL;
		set_filter(e, 20, moving, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(0));
	}
}

static void retarget_back_on_rx(struct env *e, unsigned fn)
{
	if (fn == 2) {
		e->msi_hook = NULL;
		set_filter(e, 20, moving, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(2));
	}
}

static void post_batch(struct env *e, unsigned first, unsigned n, const uint8_t *const *dsts, uint8_t fill)
{
	for (unsigned i = 0; i < n; i++) {
		struct srnic_desc *d = desc(e, 1, TXR, first + i);

		make_frame(e->mem[1] + TXB + 2048 * (first + i), dsts[i], e->mac[1], 64, (uint8_t)(fill + i));
		d->addr = TXB + 2048 * (first + i);
		d->len = 64;
		d->flags = SRNIC_DESC_F_EOP;
		d->status = 0;
	}
	w(e, 1, SRNIC_REG_QP(0, SRNIC_QP_TX_TAIL), first + n);
}

/* A switch change made from an interrupt handler inside a doorbell applies
 * to the rest of that batch: VF2's RX interrupt (raised when the run of
 * frames to it ends) moves the MAC to the PF, then back. */
static void test_dcache_switch_change_inside_batch(void **state)
{
	struct env *e = *state;
	const uint8_t *dsts[5] = { moving, moving, stranger, moving, moving };
	const uint8_t *dsts2[4] = { e->mac[2], e->mac[2], moving, moving };

	switch_up(e);
	set_filter(e, 20, moving, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(2));
	srnic_mmio_write32(e->nic, 2, SRNIC_BAR_MSIX, 16 * 1 + 8, 0x77);
	srnic_mmio_write32(e->nic, 2, SRNIC_BAR_MSIX, 16 * 1 + 12, 0);
	srnic_cfg_write(e->nic, 2, 0x50 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	w(e, 2, SRNIC_REG_INT_MASK, ~SRNIC_INT_RX(0));
	e->msi_hook = retarget_on_rx;
	post_batch(e, 0, 5, dsts, 0x30);
	assert_null(e->msi_hook);	/* the handler ran */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(desc(e, 1, TXR, i)->status, SRNIC_DESC_S_DONE);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(e->mem[2][RXB + 20], 0x30);
	assert_int_equal(e->mem[2][RXB + 2048 + 20], 0x31);
	assert_int_equal(srnic_peer_rx_frames(e->peer), 1);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(e->mem[0][RXB + 20], 0x33);
	assert_int_equal(e->mem[0][RXB + 2048 + 20], 0x34);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 5);
	/* The MAC is on the PF; VF2's handler, run when the next frame (to
	 * that MAC) ends the run to VF2, moves it back: it goes to VF2. */
	w(e, 2, SRNIC_REG_INT_CAUSE, SRNIC_INT_RX(0));
	e->msi_hook = retarget_back_on_rx;
	post_batch(e, 5, 4, dsts2, 0x40);
	assert_null(e->msi_hook);
	assert_int_equal(r(e, 0, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(r(e, 2, SRNIC_REG_STAT_RX_FRAMES), 6);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(e->mem[2][RXB + 2048 * (2 + i) + 20], 0x40 + i);
}

/* An uplink backend that refuses one frame and loses its link on another. */
struct flaky_uplink {
	struct srnic *nic;
	bool up;
	unsigned calls, refuse_at, down_at;
	uint8_t fill[8];
};

static int flaky_transmit(void *ctx, const void *frame, size_t len)
{
	struct flaky_uplink *u = ctx;

	(void)len;
	if (u->calls < 8)
		u->fill[u->calls] = ((const uint8_t *)frame)[20];
	if (++u->calls == u->refuse_at)
		return -EIO;
	if (u->calls == u->down_at) {
		u->up = false;
		srnic_uplink_link_changed(u->nic);
	}
	return 0;
}

static bool flaky_link_up(void *ctx)
{
	return ((struct flaky_uplink *)ctx)->up;
}

/* A batch to the uplink: frames leave in order, one the backend refuses is
 * a link-down drop, and once the link goes down (reported from inside
 * transmit) the rest of the batch is dropped without reaching it. */
static void test_uplink_batch_link_change(void **state)
{
	static const struct srnic_uplink_ops ops = { flaky_transmit, flaky_link_up };
	struct env *e = *state;
	struct flaky_uplink u = { .nic = e->nic, .up = true, .refuse_at = 2, .down_at = 3 };
	const uint8_t *dsts[6] = { stranger, stranger, stranger, stranger, stranger, stranger };

	switch_up(e);
	assert_int_equal(srnic_uplink_attach(e->nic, &ops, &u), 0);
	post_batch(e, 0, 3, dsts, 0x50);	/* sent, refused, sent */
	assert_int_equal(u.calls, 3);
	post_batch(e, 3, 3, dsts, 0x53);	/* link down: none reach it */
	assert_int_equal(u.calls, 3);
	u.up = true;
	u.down_at = 5;
	srnic_uplink_link_changed(e->nic);
	post_batch(e, 6, 6, dsts, 0x56);	/* 2 sent, the link goes, 4 dropped */
	assert_int_equal(u.calls, 5);
	assert_memory_equal(u.fill, ((const uint8_t[]){ 0x50, 0x51, 0x52, 0x56, 0x57 }), 5);
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(desc(e, 1, TXR, i)->status, SRNIC_DESC_S_DONE);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_UPLINK_TX), 4);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 1 + 3 + 4);
	assert_int_equal(r(e, 1, SRNIC_REG_STAT_TX_FRAMES), 12);
	assert_int_equal(r(e, 0, SRNIC_REG_SW_DROP_LINK_DOWN), 8);
	srnic_uplink_detach(e->nic);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity_and_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_enable_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_vf_to_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_uplink_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_replicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_descriptors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dma_outside_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_register_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_flr_resets_only_that_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_order_and_partial_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_disabled_pf_plain_nic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_follows_switch_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_switch_change_inside_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uplink_batch_link_change, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
