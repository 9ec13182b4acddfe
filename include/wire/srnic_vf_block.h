/*
 * srnic VF configuration blocks: the IHV-defined backchannel between the
 * srnic PF miniport (drivers/srnic_pf, parent partition) and the srnic VF
 * miniport (guest), carried by OID_SRIOV_READ/WRITE_VF_CONFIG_BLOCK on the
 * host side and NdisMReadConfigBlock / NdisMWriteConfigBlock in the guest
 * (ndis-sriov-spec.md 2.13). Windows treats the bytes as opaque; this header
 * is their contract, so both drivers include it. Little-endian, fixed-width,
 * each block at most VPCI_MAX_READ_WRITE_BLOCK_SIZE (128) bytes; a read of
 * Length bytes returns the first Length bytes of the block, zero-padded past
 * its size. Block ids below 64 can be invalidated (NdisMInvalidateConfigBlock
 * bit n = block n). Versions are only ever appended. docs/drivers/srnic_pf.md
 * explains when the PF invalidates a block.
 */
#ifndef IOVLAB_WIRE_SRNIC_VF_BLOCK_H
#define IOVLAB_WIRE_SRNIC_VF_BLOCK_H

#include <stdint.h>

#define SRNIC_VF_BLOCK_MAX		128u	/* VPCI_MAX_READ_WRITE_BLOCK_SIZE */

/* Block ids. */
#define SRNIC_VF_BLOCK_INFO		0u	/* PF -> VF, read-only: what the VF needs to run */
#define SRNIC_VF_BLOCK_DRIVER		1u	/* VF -> PF: the VF driver's state (read back as written) */
#define SRNIC_VF_BLOCK_COUNT		2u

/* Block 0: the VF's MAC, VLAN, MTU and link, as the PF steers its vPort. */
#define SRNIC_VF_INFO_VERSION_1		1u
#define SRNIC_VF_INFO_LINK_UP		0x00000001u	/* vPort attached and uplink up */
#define SRNIC_VF_INFO_VLAN_TAGGED	0x00000002u	/* vlan_id is a tagged VLAN (1..4095) */

struct srnic_vf_block_info {		/* (no Windows counterpart: IHV-defined) */
	uint16_t version;		/* SRNIC_VF_INFO_VERSION_1 */
	uint16_t size;			/* sizeof(struct srnic_vf_block_info) */
	uint8_t mac[6];			/* the VF's current MAC */
	uint16_t vlan_id;		/* 0 = untagged / priority-tagged only */
	uint32_t mtu;			/* largest payload, bytes (1500) */
	uint32_t flags;			/* SRNIC_VF_INFO_* */
	uint16_t vf_id;			/* NDIS VFId (0-based) */
	uint16_t vport_id;		/* the VF's vPort, 0 = none yet */
	uint32_t num_queue_pairs;	/* queue pairs of that vPort (0 = none) */
	uint32_t reserved;		/* 0 */
};
_Static_assert(sizeof(struct srnic_vf_block_info) == 32, "srnic VF info block is 32 bytes");

/* Block 1: the VF driver tells the PF it is up or down. */
#define SRNIC_VF_DRIVER_VERSION_1	1u
#define SRNIC_VF_DRIVER_STATE_DOWN	0u	/* halted, or never started */
#define SRNIC_VF_DRIVER_STATE_UP	1u	/* initialized and running on its vPort */

struct srnic_vf_block_driver {		/* (no Windows counterpart: IHV-defined) */
	uint16_t version;		/* SRNIC_VF_DRIVER_VERSION_1 */
	uint16_t size;			/* sizeof(struct srnic_vf_block_driver) */
	uint32_t state;			/* SRNIC_VF_DRIVER_STATE_* */
	uint32_t driver_version;	/* informational, e.g. 0x00010000 */
	uint32_t reserved;		/* 0 */
};
_Static_assert(sizeof(struct srnic_vf_block_driver) == 16, "srnic VF driver block is 16 bytes");

#endif /* IOVLAB_WIRE_SRNIC_VF_BLOCK_H */
