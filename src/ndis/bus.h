/*
 * The framework's lower edges: what NDIS needs from the layers beneath an
 * adapter, as ops structs a provider fills in (style.md rule 5). On Windows
 * these are the PCI bus driver's config-space access and
 * GUID_PCI_VIRTUALIZATION_INTERFACE (parent), the vPCI bus driver's
 * GUID_VPCI_INTERFACE_STANDARD (guest), and the virtualization stack that
 * receives a PF's config-block invalidations. In iovlab the PCI bus / srnic
 * model, the vPCI VSC and the Hyper-V virtualization stack implement them;
 * tests use doubles (tests/ndis/bus_double.c).
 *
 * A NULL op means the lower layer does not offer it: the NDIS function that
 * needs it fails the way Windows fails it (e.g. NdisMEnableVirtualization
 * returns NDIS_STATUS_NOT_SUPPORTED). Ops return 0 or a byte count on
 * success and -errno on failure; ctx is the provider's, passed back as is.
 */
#ifndef IOVLAB_NDIS_BUS_H
#define IOVLAB_NDIS_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include <ndis/vpci.h>

struct ndis_adapter;

/* The adapter's PDO as seen from NDIS (PCI in the parent, vPCI in a guest). */
struct ndis_bus_ops {
	/* Own config space: NdisMGetBusData / NdisMSetBusData. Bytes or -errno. */
	int (*config_read)(void *ctx, uint32_t offset, void *buf, uint32_t len);
	int (*config_write)(void *ctx, uint32_t offset, const void *buf, uint32_t len);

	/* PF only: the PCI virtualization interface (spec 5.1, 6.4). */
	int (*vf_config_read)(void *ctx, uint16_t vf, uint32_t offset, void *buf, uint32_t len);
	int (*vf_config_write)(void *ctx, uint16_t vf, uint32_t offset, const void *buf, uint32_t len);
	int (*vf_location)(void *ctx, uint16_t vf, uint16_t *segment, uint8_t *bus, uint8_t *function);
	/* Program NumVFs and VF Enable in the SR-IOV capability (spec 8.5). */
	int (*enable_virtualization)(void *ctx, uint16_t num_vfs, bool enable);
	int (*query_probed_bars)(void *ctx, uint32_t values[6]);

	/*
	 * MMIO: NdisMMapIoSpace maps a BAR range; the returned pointer is what
	 * the driver's Ndis{Read,Write}Register* macros dereference. When
	 * mmio_read/mmio_write are set, register accesses to a mapping call
	 * them instead of touching memory (doorbells, read side effects); phys
	 * is the physical address of the register.
	 */
	int (*map_io_space)(void *ctx, uint64_t phys, uint32_t len, void **va);
	void (*unmap_io_space)(void *ctx, void *va, uint32_t len);
	int (*mmio_read)(void *ctx, uint64_t phys, unsigned size, uint64_t *value);
	int (*mmio_write)(void *ctx, uint64_t phys, unsigned size, uint64_t value);

	/*
	 * DMA: NdisMAllocateSharedMemory -- len bytes the function can reach,
	 * *va for the CPU and *dma the address the device uses (inside the
	 * function's IOMMU domain). 0 or -errno (-ENOMEM when none is left).
	 */
	int (*alloc_common_buffer)(void *ctx, uint32_t len, void **va, uint64_t *dma);
	void (*free_common_buffer)(void *ctx, void *va, uint32_t len);

	/*
	 * Interrupts: IoConnectInterruptEx for the function's MSI-X messages
	 * (NdisMRegisterInterruptEx). From connect until disconnect every
	 * message the function signals calls isr(isr_ctx, message), message =
	 * the MSI-X table index; *messages is how many were connected.
	 */
	int (*connect_interrupt)(void *ctx, void (*isr)(void *isr_ctx, unsigned message), void *isr_ctx,
				 unsigned *messages);
	void (*disconnect_interrupt)(void *ctx);
};

/* Guest: the vPCI side of the VF adapter's device stack (spec 6.2-6.5). */
struct ndis_vpci_ops {
	/*
	 * IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) down the
	 * adapter's device stack, sent once while NDIS initializes the adapter.
	 * 0 with *iface filled, or -ENOTSUP when no driver in the stack answers
	 * -- e.g. an IHV virtual bus driver that does not forward it. NDIS then
	 * answers OID_SRIOV_VF_SERIAL_NUMBER with NDIS_STATUS_NOT_SUPPORTED.
	 */
	int (*query_interface)(void *ctx, VPCI_INTERFACE_STANDARD *iface);
};

/* Parent: the virtualization stack's upcalls from NDIS. */
struct ndis_virt_ops {
	/* NdisMInvalidateConfigBlock(PF, VFId, BlockMask) (spec 2.13 PF -> VF). */
	void (*invalidate_config_block)(void *ctx, struct ndis_adapter *pf, uint16_t vf, uint64_t mask);
};

#endif /* IOVLAB_NDIS_BUS_H */
