/*
 * The srnic PF miniport on the emulated host, for tests: a PCIe host with
 * srnic at 03:00.0, the root partition's PCI bus driver (src/hv/pcibus.c)
 * beneath a parent-partition NDIS with drivers/srnic_pf installed, an
 * uplink peer, a virtualization stack double that records
 * NdisMInvalidateConfigBlock, and helpers that issue OIDs through the
 * framework and read srnic's state back through config space and MMIO.
 */
#ifndef IOVLAB_TESTS_PF_ENV_H
#define IOVLAB_TESTS_PF_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/pci_pdo.h"
#include "hv/pcibus.h"
#include "hw/srnic/srnic.h"
#include "ndis/framework.h"
#include "ndis/protocol.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"
#include "wire/srnic_cfgblock.h"
#include "pnp/guest_ndis.h"
#include "pf_proto.h"

#define ST(x) ((uint32_t)(x))
#define PF_HWID "PCI\\VEN_1AB4&DEV_10ED&SUBSYS_00011AB4&REV_01"
#define PF_SRIOV 0x160

struct pf_env {
	struct pcie_host *host;
	struct srnic *nic;
	struct srnic_peer *peer;
	struct pcibus_pf *bus;
	struct ndis_framework *fw;
	struct ndis_adapter *ad;
	int create_rc;
	/* NdisMInvalidateConfigBlock as the virtualization stack saw it */
	unsigned invalidations;
	uint16_t inval_vf;
	uint64_t inval_mask;
	/* the virtual switch stand-in bound to the PF (pf_opts.with_proto) */
	struct ndis_protocol *proto;
	struct pf_proto *pc;
	void (*proto_send)(const UCHAR *base, ULONG len, unsigned n, USHORT vport);
	void (*proto_return_held)(void);
	/* pf_opts.over_vbd: the PF's PCI PDO with srnic_vbd on it, the PF miniport on its child */
	struct pnp_manager *pm;
	struct pci_bus *pci;
	struct guest_ndis *gn;
	PDEVICE_OBJECT pci_pdo;
	struct pnp_devnode *dn;
	const struct pf_opts *opts;
};

/* Platform and keyword overrides; NULL/0 = the defaults (SR-IOV works). */
struct pf_opts {
	const struct pcie_platform *platform;
	const struct ndis_keyword *keywords;
	size_t n_keywords;
	bool with_proto;		/* bind pf_proto.so to the PF */
	bool partition_set;		/* else the parent partition */
	enum ndis_partition partition;
	/*
	 * The parent's stack with an IHV virtual bus driver (spec 6.4): PCI PDO
	 * (src/hv/pci_pdo.c) -> srnic_vbd FDO, SRNICVBD\PF -> NDIS's FDO
	 * (src/pnp/guest_ndis.c) -> srnic_pf, NDIS-WDM.
	 */
	bool over_vbd;
};

void pf_env_up(struct pf_env *e, const struct pf_opts *o);
/* Halt and destroy everything; fails the test on any verifier finding. */
void pf_env_down(struct pf_env *e);
/* over_vbd: what went through the PCI PDO's GUID_PCI_VIRTUALIZATION_INTERFACE. */
struct pci_pdo_stats pf_pci_virt_stats(struct pf_env *e);

extern const struct ndis_issuer pf_vmsp;	/* the virtualization stack ("VMSP") */
extern const struct ndis_issuer pf_ndis;	/* NDIS itself */

/* Issue a request (revision 1) with separate in/out lengths for methods. */
uint32_t pf_oid(struct pf_env *e, const struct ndis_issuer *who, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf,
		uint32_t in_len, uint32_t out_len, NDIS_OID_REQUEST *out);
/* BytesNeeded of a completed request, from the member of its type. */
uint32_t pf_needed(const NDIS_OID_REQUEST *r);
/* True if the request reached the miniport (not answered by NDIS). */
bool pf_reached_miniport(struct pf_env *e);

void pf_hdr(void *p, uint8_t rev, uint16_t size);

/* The common sequence steps, asserting success; they return the id. */
uint16_t pf_allocate_vf(struct pf_env *e, const uint8_t mac[6], uint32_t *rid);
uint32_t pf_create_vport(struct pf_env *e, uint16_t function, uint32_t queue_pairs);
uint32_t pf_set_filter(struct pf_env *e, uint32_t vport, const uint8_t mac[6], uint16_t vlan);
uint32_t pf_move_filter(struct pf_env *e, uint32_t filter, uint32_t from, uint32_t to);
uint32_t pf_clear_filter(struct pf_env *e, uint32_t filter);
uint32_t pf_delete_vport(struct pf_env *e, uint32_t vport);
uint32_t pf_reset_vf(struct pf_env *e, uint16_t vf);
uint32_t pf_free_vf(struct pf_env *e, uint16_t vf);

/* srnic as a driver would see it: function fn's register (0 = PF). */
uint32_t fn_reg(struct pf_env *e, unsigned fn, uint32_t off);
uint32_t pf_reg(struct pf_env *e, uint32_t off);
uint32_t pf_cfg(struct pf_env *e, unsigned off, unsigned len);
uint32_t vf_cfg(struct pf_env *e, uint16_t vf, unsigned off, unsigned len);
uint32_t hw_vport_cfg(struct pf_env *e, unsigned vport);
/* The hardware filter slot steering mac/vlan, or -1; *vport its vPort. */
int hw_filter_find(struct pf_env *e, const uint8_t mac[6], uint16_t vlan, unsigned *vport);

#endif
