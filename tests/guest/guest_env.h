/*
 * One VM's guest stack with a VF, in one process: the host half is the
 * srnic device model (PF + VF 1, the NIC switch programmed as srnic_pf
 * would program it: vPort 1 on VF 1, the VM NIC's MAC filtered to it, the
 * built-in peer on the uplink) and the vPCI VSP with a backend that plays
 * the PF's SR-IOV OIDs (config space straight to the VF's config space,
 * config blocks and the rest from tests/hv/test_vpci_double); the guest
 * half is the real thing -- guest NDIS (child partition), the PnP manager,
 * the vPCI VSC and bus driver, NDIS's PnP edge, srnic_vf, srnic_vbd when
 * asked, and the NetVsc-shaped fake VF protocol edge. VSP and VSC talk
 * through an in-process queue (src/hv/vpci_priv.h, as
 * tests/hv/test_vpci_local.c does), so everything is deterministic.
 */
#ifndef IOVLAB_TESTS_GUEST_ENV_H
#define IOVLAB_TESTS_GUEST_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/vpci_pdo.h"
#include "hv/vpci_priv.h"
#include "hw/srnic/srnic.h"
#include "ndis/framework.h"
#include "ndis/protocol.h"
#include "pnp/guest_ndis.h"
#include "wire/srnic_regs.h"
#include "../drivers/fake_proto_control.h"
#include "../hv/test_vpci_double.h"

#define GENV_VF_FN 1u			/* srnic function of the VF: VF 1 */
#define GENV_SERIAL 0x5151u		/* the VF's serial number (virtualization stack) */
#define GENV_SLOT VPCI_SLOT(2, 0)
#define GENV_BAR0 0xf0000000ull		/* where the host placed the VF's BAR0 */
#define GENV_RAM (4u << 20)		/* guest memory */
#define GENV_DMA_BASE (1u << 20)	/* the DMA window the vPCI bus hands out */
#define GENV_QMAX 64u
#define GENV_QDATA 1024u

struct genv_opts {
	bool vbd;			/* install srnic_vbd (the VF miniport lands on its child) */
	bool forward;			/* ForwardVpciInterface (with vbd) */
	bool no_block0;			/* the PF wrote no config block 0 */
	bool no_protocol;		/* do not load the NetVsc-shaped VF edge */
	enum ndis_partition partition;	/* 0: NDIS_PARTITION_CHILD */
};

struct genv_pkt {
	uint16_t type;
	uint8_t flags;
	uint64_t trans_id;
	uint32_t len;
	_Alignas(8) uint8_t data[GENV_QDATA];
};

extern const uint8_t genv_vm_mac[6];

struct guest_env {
	struct genv_opts o;
	/* host */
	struct pcie_host *host;
	struct srnic *nic;
	struct srnic_peer *peer;
	struct guest_mem *gm;
	uint8_t *ram;
	struct vpci_vsp *vsp;
	struct vpci_vsp_dev *vdev;
	struct vpci_double be;
	unsigned host_cfg_reads, host_cfg_writes;
	/* host -> guest queue */
	struct genv_pkt q[GENV_QMAX];
	unsigned head, tail;
	bool rescinded;
	/* guest */
	struct ndis_framework *fw;
	struct pnp_manager *pm;
	struct pnp_dma_pool *dma;
	struct guest_ndis *gn;
	struct vpci_bus *bus;
	struct vpci_vsc *vsc;
	struct ndis_protocol *proto;
	struct fake_proto_control *pc;
	uint8_t mmio_window[SRNIC_VF_REGS_SIZE];
	unsigned mmio_maps;
	unsigned long mmio_accesses;	/* register reads and writes of the VF's BAR */
	unsigned long mmio_reads;	/* of them reads */
	/* the trace (unless IOVLAB_LOG sends it to stderr) */
	FILE *trace;
	char *trace_buf;
	size_t trace_len;
};

/* Build both halves and connect the vPCI bus: the VF arrives and its stack starts. */
void genv_setup(struct guest_env *e, const struct genv_opts *o);
void genv_teardown(struct guest_env *e);
/* Host messages to the guest, the guest acts on them, the VF driver services its rings. */
int genv_poll(struct guest_env *e);
/* SrnicVfPoll() of the loaded driver (the interrupt stand-in); -1 if not loaded. */
long genv_vf_poll(struct guest_env *e);
/* The VF adapter (on the vPCI PDO, or on the VBD's child), or NULL. */
struct ndis_adapter *genv_vf(struct guest_env *e);
/* The VF's vPCI PDO (NULL once removed). */
PDEVICE_OBJECT genv_vpci_pdo(struct guest_env *e);
/* Write config block 0 as the PF would (mac, generation, flags). */
void genv_set_block0(struct guest_env *e, const uint8_t mac[6], uint32_t generation);
/* The trace so far (lab.*, drv.* at info), NUL-terminated. */
const char *genv_trace(struct guest_env *e);
/* Issue an OID to the VF as an overlying driver; its final status. */
uint32_t genv_oid(struct guest_env *e, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf, uint32_t len);

#endif
