/*
 * The root partition's PCI bus driver for one physical function: what
 * pci.sys gives NDIS beneath a PF miniport on Windows. It implements the
 * framework's lower edge (struct ndis_bus_ops, src/ndis/bus.h) over the lab's
 * PCIe host (src/pcie) by routing ID: the PF's own config space
 * (NdisMGetBusData / NdisMSetBusData), GUID_PCI_VIRTUALIZATION_INTERFACE
 * (VF config space, VF location, EnableVirtualization, probed VF BARs --
 * ndis-sriov-spec.md 5.1, 6.4), and MMIO mappings of the PF's BARs whose
 * register accesses become MMIO transactions on the host bus (the doorbell
 * path), plus the root partition's DMA memory assigned to the PF as its
 * IOMMU domain (NdisMAllocateSharedMemory) and the PF's MSI-X messages
 * routed to NDIS (NdisMRegisterInterruptEx). The device behind it is srnic in
 * the lab, but nothing here knows about NICs.
 *
 * Created by whoever builds the host (the virtualization stack, tests):
 *
 *     host = pcie_host_create(); nic = srnic_create(host, 3, 0);
 *     pcie_host_assign_bars(host);
 *     pcibus_pf_create(host, PCIE_RID(3, 0, 0), &pf);
 *     params.bus = &pcibus_ndis_ops; params.bus_ctx = pf;
 *     ndis_adapter_create(fw, &params, &ad);
 *
 * As pci.sys does at enumeration, creation probes the SR-IOV VF BARs (all
 * ones written, read back, restored) once; EnableVirtualization then writes
 * NumVFs and VF Enable | VF MSE | ARI Capable Hierarchy, refusing what
 * pci.sys refuses: no SR-IOV capability, a platform that cannot host VFs
 * (no DMA or interrupt remapping, no native PCIe control, no ACS, too few
 * bus numbers, no VF BAR space), NumVFs 0 or above TotalVFs, or enabling
 * while enabled.
 *
 * Single-threaded like the host it sits on.
 */
#ifndef IOVLAB_HV_PCIBUS_H
#define IOVLAB_HV_PCIBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "ndis/bus.h"
#include "pcie/pcie.h"

struct pcibus_pf;

/* Root-partition memory the PF may DMA to (its IOMMU domain), in 4 KiB pages. */
#define PCIBUS_DMA_SIZE (2u << 20)

/* ctx = the struct pcibus_pf *. */
extern const struct ndis_bus_ops pcibus_ndis_ops;

/*
 * The PF at routing ID rid on host (it must exist and be a PF). The host
 * must outlive it. 0 and *out, -ENODEV (no such PF), -ENOMEM.
 */
int pcibus_pf_create(struct pcie_host *host, uint16_t rid, struct pcibus_pf **out);
/* Unmaps what is still mapped; NULL is a no-op. Leaves VF Enable as it is. */
void pcibus_pf_destroy(struct pcibus_pf *pf);

struct pcie_function *pcibus_pf_function(const struct pcibus_pf *pf);
/* Offset of the SR-IOV extended capability, 0 if the PF has none. */
unsigned pcibus_pf_sriov_offset(const struct pcibus_pf *pf);
/* Ranges mapped through map_io_space and not unmapped. */
unsigned pcibus_pf_mapped_count(const struct pcibus_pf *pf);
/* Calls of enable_virtualization so far, and the errno of the last refusal. */
unsigned pcibus_pf_enable_calls(const struct pcibus_pf *pf);
int pcibus_pf_last_refusal(const struct pcibus_pf *pf);
/* DMA pages handed out and not freed; whether NDIS connected the interrupt. */
unsigned pcibus_pf_dma_pages_used(const struct pcibus_pf *pf);
bool pcibus_pf_interrupt_connected(const struct pcibus_pf *pf);
/*
 * While the PF's interrupt is connected, pcibus is the host's MSI handler;
 * messages of other functions (VFs) go to fn (NULL drops them). With no
 * interrupt connected fn is the host's handler itself.
 */
void pcibus_pf_set_msi_forward(struct pcibus_pf *pf, pcie_msi_fn fn, void *ctx);

#endif /* IOVLAB_HV_PCIBUS_H */
