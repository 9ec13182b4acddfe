/*
 * srnic register map and descriptor formats: the contract between the
 * emulated SR-IOV NIC (src/hw/srnic) and every driver that programs it (the
 * PF and VF miniports in drivers/, the device tests, the benchmark). It is
 * the byte layout that crosses the device boundary, so it lives in
 * include/wire/ with fixed-width fields and size assertions; docs/hw/srnic.md
 * is the datasheet that explains each register. Offsets are byte offsets into
 * BAR0 of a function (PF or VF); the MSI-X table and PBA live in BAR2.
 * Version list: SRNIC_REG_VERSION reads SRNIC_VERSION_1; versions are only
 * ever appended.
 */
#ifndef IOVLAB_WIRE_SRNIC_REGS_H
#define IOVLAB_WIRE_SRNIC_REGS_H

#include <stdint.h>

/* PCI identity (lab values; see docs/hw/srnic.md "Identity"). */
#define SRNIC_VENDOR_ID		0x1ab4u
#define SRNIC_PF_DEVICE_ID	0x10edu
#define SRNIC_VF_DEVICE_ID	0x10eeu
#define SRNIC_SUBSYS_ID		0x0001u
#define SRNIC_REVISION		0x01u

#define SRNIC_VERSION_1		0x00010000u

/* BAR layout, PF and VF alike. */
#define SRNIC_BAR_REGS		0		/* 64-bit memory BAR, registers */
#define SRNIC_BAR_MSIX		2		/* 64-bit memory BAR, MSI-X table + PBA */
#define SRNIC_PF_REGS_SIZE	0x10000u	/* 64 KiB */
#define SRNIC_VF_REGS_SIZE	0x4000u		/* 16 KiB */
#define SRNIC_MSIX_BAR_SIZE	0x4000u		/* 16 KiB */
#define SRNIC_MSIX_TABLE_OFF	0x0000u
#define SRNIC_MSIX_PBA_OFF	0x2000u

#define SRNIC_PF_NUM_QP		4u	/* queue pairs on the PF */
#define SRNIC_VF_NUM_QP		2u	/* queue pairs on each VF */
#define SRNIC_MAX_QP		4u
#define SRNIC_PF_MSIX_VECTORS	(1u + SRNIC_PF_NUM_QP)	/* 0 = misc, 1+q = queue pair q */
#define SRNIC_VF_MSIX_VECTORS	(1u + SRNIC_VF_NUM_QP)
/*
 * The most VFs srnic supports (an E810-class board: 256 per PF, perf-limits.md);
 * every per-function array is this big. A board's SR-IOV capability says how
 * many it has (TotalVFs, the lab's [nic] total_vfs); srnic's own is 64.
 * 256 VFs need 9-bit function and vPort fields below.
 */
#define SRNIC_TOTAL_VFS		256u
#define SRNIC_DEFAULT_VFS	64u	/* srnic's own TotalVFs (srnic_default_geometry) */
#define SRNIC_NUM_VPORTS	(1u + SRNIC_TOTAL_VFS)	/* vPort 0 = default, on the PF */
#define SRNIC_NUM_FILTERS	512u	/* a MAC per VF's vPort and the default vPort's, with room */

/* ---- Per-function registers (BAR0, PF and VF) ---- */
#define SRNIC_REG_VERSION	0x0000u	/* RO  SRNIC_VERSION_1 */
#define SRNIC_REG_CTRL		0x0004u	/* RW  SRNIC_CTRL_* */
#define SRNIC_REG_STATUS	0x0008u	/* RO  SRNIC_STATUS_* */
#define SRNIC_REG_ERR_CAUSE	0x000Cu	/* RW1C SRNIC_ERR_* (sticky error causes) */
#define SRNIC_REG_MAC_LO	0x0010u	/* RW  MAC bytes 0..3 (byte 0 in bits 7:0) */
#define SRNIC_REG_MAC_HI	0x0014u	/* RW  MAC bytes 4..5 in bits 15:0 */
#define SRNIC_REG_NUM_QP	0x0018u	/* RO  queue pairs of this function */
#define SRNIC_REG_FUNC_ID	0x001Cu	/* RO  0 = PF, n = VF n (1-based) */
#define SRNIC_REG_INT_CAUSE	0x0020u	/* RW1C SRNIC_INT_* */
#define SRNIC_REG_INT_MASK	0x0024u	/* RW  1 = cause masked (no MSI-X message) */

#define SRNIC_CTRL_ENABLE	0x00000001u	/* function's link to the NIC switch up */
#define SRNIC_CTRL_RESET	0x80000000u	/* write 1: reset this function, self-clearing */

#define SRNIC_STATUS_LINK_UP	0x00000001u	/* uplink has link */
#define SRNIC_STATUS_ENABLED	0x00000002u	/* CTRL.ENABLE took effect */
#define SRNIC_STATUS_ERROR	0x00000004u	/* ERR_CAUSE != 0 */

#define SRNIC_ERR_DMA		0x00000001u	/* DMA outside the function's domain */
#define SRNIC_ERR_BAD_DESC	0x00000002u	/* descriptor malformed / length past buffer */
#define SRNIC_ERR_RING		0x00000004u	/* ring programmed badly or tail wrapped wrongly */
#define SRNIC_ERR_REG		0x00000008u	/* illegal register access */

/* INT_CAUSE: bit 2q = TX done on queue pair q, bit 2q+1 = RX on queue pair q. */
#define SRNIC_INT_TX(q)		(1u << (2u * (q)))
#define SRNIC_INT_RX(q)		(1u << (2u * (q) + 1u))
#define SRNIC_INT_ERROR		0x40000000u	/* vector 0 */
#define SRNIC_INT_LINK		0x80000000u	/* vector 0 */

/* ---- Statistics (RO, 32-bit wrapping counters) ---- */
#define SRNIC_REG_STAT_BASE		0x0100u
#define SRNIC_REG_STAT_TX_FRAMES	0x0100u
#define SRNIC_REG_STAT_TX_BYTES		0x0104u
#define SRNIC_REG_STAT_RX_FRAMES	0x0108u
#define SRNIC_REG_STAT_RX_BYTES		0x010Cu
#define SRNIC_REG_STAT_DROP_NO_FILTER	0x0110u
#define SRNIC_REG_STAT_DROP_RING_FULL	0x0114u
#define SRNIC_REG_STAT_DROP_BAD_DESC	0x0118u
#define SRNIC_REG_STAT_DROP_LINK_DOWN	0x011Cu
#define SRNIC_REG_STAT_DMA_ERRORS	0x0120u
#define SRNIC_NUM_STATS			9u

/* ---- Queue pairs: block of 0x40 bytes per queue pair ---- */
#define SRNIC_REG_QP_BASE	0x1000u
#define SRNIC_QP_STRIDE		0x40u
#define SRNIC_REG_QP(q, r)	(SRNIC_REG_QP_BASE + (q) * SRNIC_QP_STRIDE + (r))
#define SRNIC_QP_TX_BASE_LO	0x00u	/* RW  ring DMA address (guest-physical), 16-byte aligned */
#define SRNIC_QP_TX_BASE_HI	0x04u
#define SRNIC_QP_TX_SIZE	0x08u	/* RW  entries, power of two 2..4096 */
#define SRNIC_QP_TX_CTRL	0x0Cu	/* RW  SRNIC_QCTRL_ENABLE */
#define SRNIC_QP_TX_HEAD	0x10u	/* RO  next descriptor the device reads */
#define SRNIC_QP_TX_TAIL	0x14u	/* WO doorbell / RW: one past the last posted descriptor */
#define SRNIC_QP_TX_STATUS	0x18u	/* RO  SRNIC_QSTATE_* */
#define SRNIC_QP_RX_BASE_LO	0x20u
#define SRNIC_QP_RX_BASE_HI	0x24u
#define SRNIC_QP_RX_SIZE	0x28u
#define SRNIC_QP_RX_CTRL	0x2Cu
#define SRNIC_QP_RX_HEAD	0x30u
#define SRNIC_QP_RX_TAIL	0x34u
#define SRNIC_QP_RX_STATUS	0x38u

#define SRNIC_QCTRL_ENABLE	0x00000001u

/* Queue state as read from *_STATUS (the queue state machine). */
#define SRNIC_QSTATE_DISABLED	0u
#define SRNIC_QSTATE_ENABLED	1u
#define SRNIC_QSTATE_ERROR	2u	/* stopped on a bad ring / DMA fault; disable to recover */

#define SRNIC_RING_MIN		2u
#define SRNIC_RING_MAX		4096u
#define SRNIC_FRAME_MIN		14u	/* an Ethernet header */
#define SRNIC_FRAME_MAX		9018u

/* ---- PF only: NIC switch and per-VF control (0x2000..) ---- */
#define SRNIC_REG_SW_CTRL	0x2000u	/* RW  SRNIC_SW_CTRL_ENABLE */
#define SRNIC_REG_VPORT_SEL	0x2004u	/* RW  vPort index 0..SRNIC_NUM_VPORTS-1 */
#define SRNIC_REG_VPORT_CFG	0x2008u	/* RW  selected vPort: SRNIC_VPORT_CFG_* */
#define SRNIC_REG_FILTER_SEL	0x2010u	/* RW  filter index 0..SRNIC_NUM_FILTERS-1 */
#define SRNIC_REG_FILTER_MAC_LO	0x2014u	/* RW  selected filter MAC bytes 0..3 */
#define SRNIC_REG_FILTER_MAC_HI	0x2018u	/* RW  MAC bytes 4..5 in 15:0 */
#define SRNIC_REG_FILTER_CFG	0x201Cu	/* RW  SRNIC_FILTER_CFG_*; commit point */
#define SRNIC_REG_VF_RESET	0x2020u	/* WO  write n (1..TotalVFs): reset VF n's NIC state */
#define SRNIC_REG_CMD_STATUS	0x2024u	/* RO  0 or the errno (positive) of the last switch command */
#define SRNIC_REG_UPLINK_STATUS	0x2028u	/* RO  bit 0 = uplink link up */
/* Switch-wide drop counters (RO), by reason. */
#define SRNIC_REG_SW_DROP_NO_FILTER	0x2040u
#define SRNIC_REG_SW_DROP_RING_FULL	0x2044u
#define SRNIC_REG_SW_DROP_BAD_DESC	0x2048u
#define SRNIC_REG_SW_DROP_LINK_DOWN	0x204Cu
#define SRNIC_REG_SW_UPLINK_TX		0x2050u
#define SRNIC_REG_SW_UPLINK_RX		0x2054u
#define SRNIC_REG_PF_END	0x2100u

#define SRNIC_SW_CTRL_ENABLE	0x00000001u

/* VPORT_CFG: bit 31 valid, bits 8:0 function (0 = PF, n = VF n; 9 bits for VF 256),
 * bits 19:16 first queue pair of that function, bits 23:20 number of queue pairs. */
#define SRNIC_VPORT_CFG_VALID		0x80000000u
#define SRNIC_VPORT_CFG_FUNC(x)		((uint32_t)(x) & 0x1ffu)
#define SRNIC_VPORT_CFG_QP_FIRST(x)	(((uint32_t)(x) & 0xfu) << 16)
#define SRNIC_VPORT_CFG_QP_NUM(x)	(((uint32_t)(x) & 0xfu) << 20)
#define SRNIC_VPORT_CFG_GET_FUNC(v)	((v) & 0x1ffu)
#define SRNIC_VPORT_CFG_GET_QP_FIRST(v)	(((v) >> 16) & 0xfu)
#define SRNIC_VPORT_CFG_GET_QP_NUM(v)	(((v) >> 20) & 0xfu)

/* FILTER_CFG: bit 31 valid, bit 30 match VLAN, bits 27:16 VLAN ID, bits 8:0 vPort (9 bits: vPort 256). */
#define SRNIC_FILTER_CFG_VALID		0x80000000u
#define SRNIC_FILTER_CFG_VLAN_EN	0x40000000u
#define SRNIC_FILTER_CFG_VLAN(x)	(((uint32_t)(x) & 0xfffu) << 16)
#define SRNIC_FILTER_CFG_VPORT(x)	((uint32_t)(x) & 0x1ffu)
#define SRNIC_FILTER_CFG_GET_VLAN(v)	(((v) >> 16) & 0xfffu)
#define SRNIC_FILTER_CFG_GET_VPORT(v)	((v) & 0x1ffu)

/*
 * Descriptor, TX and RX alike: 16 bytes, little-endian, in guest memory at
 * ring base + 16 * index. The driver fills addr/len/flags; the device writes
 * status (and, for RX, len = received frame length) before advancing head.
 */
struct srnic_desc {		/* (no Windows counterpart) */
	uint64_t addr;		/* buffer DMA address (guest-physical) */
	uint16_t len;		/* TX: frame length; RX: buffer size in, frame length out */
	uint16_t flags;		/* SRNIC_DESC_F_* (driver) */
	uint16_t status;	/* SRNIC_DESC_S_* (device) */
	uint16_t vport;		/* RX: vPort the frame was steered to (device) */
};
_Static_assert(sizeof(struct srnic_desc) == 16, "srnic descriptor is 16 bytes");

#define SRNIC_DESC_F_EOP	0x0001u	/* TX: whole frame in this buffer (required) */
#define SRNIC_DESC_F_MASK	0x0001u	/* every other flag bit is reserved, must be 0 */
#define SRNIC_DESC_S_DONE	0x0001u
#define SRNIC_DESC_S_ERR	0x0002u	/* TX: descriptor refused; RX: unused */

#endif /* IOVLAB_WIRE_SRNIC_REGS_H */
