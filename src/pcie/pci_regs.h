/*
 * PCI/PCIe configuration-space offsets and bits used by the lab's PCIe model
 * (src/pcie), the srnic device model and the lspci view. Values are those of
 * the PCI Local Bus Spec 3.0 and PCIe Base Spec 4.0 (sections 7.5 header and
 * capabilities, 9.3.3 SR-IOV, 7.8.7 ARI); names follow Linux pci_regs.h
 * spelling with the PCI_ prefix so a reader can grep both. Kept next to the
 * model rather than in include/wire because only src/pcie and its views
 * decode it today; the byte layout itself is the PCI spec's.
 */
#ifndef IOVLAB_PCIE_PCI_REGS_H
#define IOVLAB_PCIE_PCI_REGS_H

#define PCI_CFG_SIZE		4096u
#define PCI_CFG_LEGACY_SIZE	256u

/* Type-0 header */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_PARITY	0x0040
#define  PCI_COMMAND_SERR	0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	0x0010
#define  PCI_STATUS_REC_MASTER_ABORT 0x2000
#define  PCI_STATUS_RW1C_MASK	0xf900	/* parity, aborts, SERR, detected parity */
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CLASS_DEVICE	0x0a
#define  PCI_CLASS_NETWORK_ETHERNET 0x0200
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_HEADER_TYPE		0x0e
#define  PCI_HEADER_TYPE_MULTIFUNC 0x80
#define PCI_BASE_ADDRESS_0	0x10
#define  PCI_BASE_ADDRESS_MEM_TYPE_64	0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH	0x08
#define  PCI_BASE_ADDRESS_MEM_MASK	(~0x0fULL)
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_NUM_BARS		6

/* Capability IDs */
#define PCI_CAP_ID_PM		0x01
#define PCI_CAP_ID_EXP		0x10
#define PCI_CAP_ID_MSIX		0x11

/* Power management (PCI PM 1.2) */
#define PCI_PM_PMC		0x02
#define PCI_PM_CTRL		0x04
#define  PCI_PM_CTRL_STATE_MASK	0x0003
#define  PCI_PM_CTRL_PME_ENABLE	0x0100
#define  PCI_PM_CTRL_PME_STATUS	0x8000
#define PCI_PM_SIZEOF		8

/* MSI-X */
#define PCI_MSIX_FLAGS		0x02
#define  PCI_MSIX_FLAGS_QSIZE	0x07ff
#define  PCI_MSIX_FLAGS_MASKALL	0x4000
#define  PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		0x04
#define PCI_MSIX_PBA		0x08
#define PCI_MSIX_SIZEOF		12
#define PCI_MSIX_ENTRY_SIZE	16
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1

/* PCI Express capability (PCIe Base 4.0 section 7.5.3) */
#define PCI_EXP_FLAGS		0x02
#define  PCI_EXP_FLAGS_VERS2	0x0002
#define  PCI_EXP_TYPE_ENDPOINT	0x0
#define PCI_EXP_DEVCAP		0x04
#define  PCI_EXP_DEVCAP_FLR	0x10000000
#define PCI_EXP_DEVCTL		0x08
#define  PCI_EXP_DEVCTL_RW_MASK	0x7cff	/* error reporting, payload, read req ... */
#define  PCI_EXP_DEVCTL_BCR_FLR	0x8000	/* Initiate Function Level Reset, reads 0 */
#define PCI_EXP_DEVSTA		0x0a
#define  PCI_EXP_DEVSTA_RW1C	0x000f
#define PCI_EXP_LNKCAP		0x0c
#define PCI_EXP_LNKCTL		0x10
#define PCI_EXP_LNKSTA		0x12
#define PCI_EXP_DEVCAP2		0x24
#define PCI_EXP_DEVCTL2		0x28
#define PCI_EXP_SIZEOF		0x3c

/* Extended capabilities */
#define PCI_EXT_CAP_START	0x100
#define PCI_EXT_CAP_ID_ARI	0x000e
#define PCI_EXT_CAP_ID_SRIOV	0x0010
#define PCI_EXT_CAP_HDR(id, ver, next) ((uint32_t)(id) | ((uint32_t)(ver) << 16) | ((uint32_t)(next) << 20))
#define PCI_ARI_CAP		0x04
#define PCI_ARI_CTRL		0x06
#define PCI_ARI_SIZEOF		8

/* SR-IOV (PCIe Base 4.0 section 9.3.3) */
#define PCI_SRIOV_CAP		0x04
#define  PCI_SRIOV_CAP_VFM	0x00000001
#define PCI_SRIOV_CTRL		0x08
#define  PCI_SRIOV_CTRL_VFE	0x0001
#define  PCI_SRIOV_CTRL_VFM	0x0002
#define  PCI_SRIOV_CTRL_INTR	0x0004
#define  PCI_SRIOV_CTRL_MSE	0x0008
#define  PCI_SRIOV_CTRL_ARI	0x0010
#define PCI_SRIOV_STATUS	0x0a
#define  PCI_SRIOV_STATUS_VFM	0x0001
#define PCI_SRIOV_INITIAL_VF	0x0c
#define PCI_SRIOV_TOTAL_VF	0x0e
#define PCI_SRIOV_NUM_VF	0x10
#define PCI_SRIOV_FUNC_LINK	0x12
#define PCI_SRIOV_VF_OFFSET	0x14
#define PCI_SRIOV_VF_STRIDE	0x16
#define PCI_SRIOV_VF_DID	0x1a
#define PCI_SRIOV_SUP_PGSIZE	0x1c
#define PCI_SRIOV_SYS_PGSIZE	0x20
#define PCI_SRIOV_BAR		0x24
#define PCI_SRIOV_VFM_OFFSET	0x3c
#define PCI_SRIOV_SIZEOF	0x40
#define PCI_SRIOV_SUP_PGSIZE_DEFAULT 0x553	/* 4K 8K 64K 256K 1M 4M */

#endif /* IOVLAB_PCIE_PCI_REGS_H */
