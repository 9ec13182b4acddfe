/*
 * srnic's VF configuration blocks: the IHV-defined messages the PF miniport
 * (drivers/srnic_pf) and the VF miniport (drivers/srnic_vf) exchange over
 * the Hyper-V PF <-> VF backchannel (ndis-sriov-spec.md 2.13). Windows
 * carries them opaquely -- OID_SRIOV_READ/WRITE_VF_CONFIG_BLOCK at the PF,
 * NdisMReadConfigBlock or VPCI_INTERFACE_STANDARD.ReadVfConfigBlock at the
 * VF, NdisMInvalidateConfigBlock (bit n = block n) to say a block changed --
 * so this header is the one layout both drivers include. Little-endian,
 * fixed-width fields, a magic and a version; versions and fields are only
 * ever appended (a reader accepts any length >= what it needs). A block is
 * at most VPCI_MAX_READ_WRITE_BLOCK_SIZE (128) bytes; a read of Length
 * bytes returns the first Length bytes of the block, zero-padded past its
 * size. Only blocks 0..63 can be invalidated, so data the PF may change
 * lives there (2.13, "Recommendation"); the report block is 64 because the
 * PF never changes it and so never invalidates it. This is the only
 * declaration of the protocol: docs/drivers/srnic_pf.md ("Config blocks")
 * explains each field and when the PF invalidates block 0.
 */
#ifndef IOVLAB_WIRE_SRNIC_CFGBLOCK_H
#define IOVLAB_WIRE_SRNIC_CFGBLOCK_H

#include <stdint.h>

#define SRNIC_CFGBLOCK_MAGIC 0x46565253u	/* "SRVF" in memory order */
#define SRNIC_CFGBLOCK_VERSION_1 1u
#define SRNIC_CFGBLOCK_MAX 128u		/* VPCI_MAX_READ_WRITE_BLOCK_SIZE */

/* Block ids. */
#define SRNIC_CFGBLOCK_VF_INFO 0u	/* PF -> VF: who the VF is on the wire; read-only for the VF */
#define SRNIC_CFGBLOCK_VF_REPORT 64u	/* VF -> PF: what the VF driver made of it; never invalidated */

/* vf_info.flags */
#define SRNIC_VFINFO_F_MAC_VALID 0x00000001u	/* mac[] is set: use it as permanent and current address */
#define SRNIC_VFINFO_F_VLAN 0x00000002u		/* the vPort's filter matches vlan_id tagged frames */
#define SRNIC_VFINFO_F_LINK_UP 0x00000004u	/* the VF has a vPort and the uplink is up (information) */

/*
 * Block 0, written by the PF when it allocates the VF, creates its vPort
 * and moves the VM NIC's filter to it (2.6-2.10); rewritten (generation
 * bumped, block 0 invalidated) when the PF changes any of it.
 */
struct srnic_cfgblock_vf_info {		/* (no Windows counterpart: IHV-defined) */
	uint32_t magic;			/* SRNIC_CFGBLOCK_MAGIC */
	uint16_t version;		/* SRNIC_CFGBLOCK_VERSION_1 */
	uint16_t length;		/* bytes the PF filled: >= SRNIC_VFINFO_V1_LEN */
	uint32_t generation;		/* bumped on every change */
	uint32_t flags;			/* SRNIC_VFINFO_F_* */
	uint8_t mac[6];			/* the VM network adapter's MAC address */
	uint16_t vlan_id;		/* with SRNIC_VFINFO_F_VLAN: 1..4095 */
	uint16_t vport_id;		/* the VF's vPort on the NIC switch (information) */
	uint16_t num_queue_pairs;	/* queue pairs of that vPort (the VF uses the first) */
	uint32_t mtu;			/* payload bytes; 0 = 1500 */
	uint64_t link_speed;		/* bits per second the PF reports; 0 = the VF's own */
	uint8_t reserved[24];		/* zero */
};
_Static_assert(sizeof(struct srnic_cfgblock_vf_info) == 64, "srnic vf_info block is 64 bytes");
#define SRNIC_VFINFO_V1_LEN 40u		/* through link_speed */

/*
 * The VF side's check of block 0, shared so the PF's tests run the VF
 * driver's own parser: copies the Length bytes read (at most the struct)
 * into *Info, the rest zeroed, and returns 1 if they are an srnic vf_info
 * a version-1 reader can use (magic, version >= 1, length >= the v1
 * fields, all of them read), else 0.
 */
static inline int srnic_cfgblock_parse_vf_info(const void *Buffer, uint32_t Length,
						struct srnic_cfgblock_vf_info *Info)
{
	const uint8_t *s = (const uint8_t *)Buffer;
	uint8_t *d = (uint8_t *)Info;

	for (uint32_t i = 0; i < sizeof(*Info); i++)
		d[i] = i < Length ? s[i] : 0;
	return Length >= SRNIC_VFINFO_V1_LEN && Info->magic == SRNIC_CFGBLOCK_MAGIC &&
	       Info->version >= SRNIC_CFGBLOCK_VERSION_1 && Info->length >= SRNIC_VFINFO_V1_LEN;
}

/* vf_report.flags */
#define SRNIC_VFREPORT_F_RUNNING 0x00000001u	/* the VF miniport initialized its queue pair */
#define SRNIC_VFREPORT_F_OVER_VBD 0x00000002u	/* ... as an NDIS-WDM miniport over srnic_vbd */

/* Block 64, written by the VF miniport after initialization and after each re-read of block 0. */
struct srnic_cfgblock_vf_report {	/* (no Windows counterpart: IHV-defined) */
	uint32_t magic;			/* SRNIC_CFGBLOCK_MAGIC */
	uint16_t version;		/* SRNIC_CFGBLOCK_VERSION_1 */
	uint16_t length;		/* sizeof this struct */
	uint32_t generation_seen;	/* vf_info.generation the VF runs with */
	uint32_t flags;			/* SRNIC_VFREPORT_F_* */
	uint32_t driver_version;	/* major << 16 | minor */
	uint8_t reserved[12];		/* zero */
};
_Static_assert(sizeof(struct srnic_cfgblock_vf_report) == 32, "srnic vf_report block is 32 bytes");
#define SRNIC_VFREPORT_V1_LEN 20u	/* through driver_version */

/* The PF side's check of block 64: 1 if the Length bytes written are an srnic vf_report. */
static inline int srnic_cfgblock_vf_report_valid(const struct srnic_cfgblock_vf_report *Report, uint32_t Length)
{
	return Length >= SRNIC_VFREPORT_V1_LEN && Report->magic == SRNIC_CFGBLOCK_MAGIC &&
	       Report->version >= SRNIC_CFGBLOCK_VERSION_1 && Report->length >= SRNIC_VFREPORT_V1_LEN;
}

#endif /* IOVLAB_WIRE_SRNIC_CFGBLOCK_H */
