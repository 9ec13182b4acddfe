/*
 * A test double for the framework's lower edges (src/ndis/bus.h): a PCI
 * function with config space, an SR-IOV capability the PF programs through
 * NdisMEnableVirtualization, VF config spaces, probed BARs and a BAR page
 * whose register writes are logged (the doorbell path); a vPCI interface with
 * a serial number and config blocks; a virtualization stack that records
 * invalidations. Each struct is the ctx of its ops.
 */
#ifndef IOVLAB_TESTS_BUS_DOUBLE_H
#define IOVLAB_TESTS_BUS_DOUBLE_H

#include <stdbool.h>
#include <stdint.h>

#include "ndis/bus.h"

struct bus_double {
	uint8_t config[256];
	uint8_t vf_config[8][256];
	bool virt_enabled;
	uint16_t num_vfs;
	unsigned enable_calls;
	uint32_t probed[6];
	uint8_t bar[4096];
	uint64_t bar_phys;
	unsigned maps, unmaps;
	unsigned mmio_writes, mmio_reads;
	uint64_t last_write_phys, last_write_value;
};

struct vpci_double {
	bool answers;		/* false: no driver in the stack answers the query */
	uint32_t serial;
	uint8_t blocks[4][128];
	unsigned block_reads, block_writes;
};

struct virt_double {
	unsigned invalidations;
	uint16_t vf;
	uint64_t mask;
};

extern const struct ndis_bus_ops bus_double_ops;
extern const struct ndis_vpci_ops vpci_double_ops;
extern const struct ndis_virt_ops virt_double_ops;

void bus_double_init(struct bus_double *b);
void vpci_double_init(struct vpci_double *v, uint32_t serial);

#endif
