/*
 * MSI-X for every function of the PCIe model: the table and Pending Bit
 * Array a device places in one of its BARs (the bus serves those MMIO
 * offsets; the device model never sees them) and message delivery to the
 * host's MSI handler when a device signals a vector. A masked vector (entry
 * mask, Function Mask, or MSI-X disabled) sets its pending bit and is
 * delivered when unmasked. PCI Local Bus 3.0 section 6.8.2.
 */
#include <errno.h>

#include "base/log.h"
#include "pcie/pcie_int.h"

static uint32_t msix_flags(const struct pcie_function *fn)
{
	return pcie__get(fn->cfg, PCIE_OFF_MSIX + PCI_MSIX_FLAGS, 2);
}

static bool vector_open(const struct pcie_function *fn, unsigned v)
{
	uint32_t f = msix_flags(fn);

	return (f & PCI_MSIX_FLAGS_ENABLE) && !(f & PCI_MSIX_FLAGS_MASKALL) &&
	       !(fn->msix_table[v][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void deliver(struct pcie_function *fn, unsigned v)
{
	struct pcie_host *h = fn->host;
	uint64_t addr = fn->msix_table[v][0] | ((uint64_t)fn->msix_table[v][1] << 32);

	fn->msix_pba &= ~(1ull << v);
	if (h->msi_fn)
		h->msi_fn(h->msi_ctx, fn, addr, fn->msix_table[v][2]);
}

static void deliver_pending(struct pcie_function *fn)
{
	for (unsigned v = 0; v < fn->conf.msix_vectors; v++)
		if ((fn->msix_pba & (1ull << v)) && vector_open(fn, v))
			deliver(fn, v);
}

int pcie_msix_notify(struct pcie_function *fn, unsigned vector)
{
	if (!fn || vector >= fn->conf.msix_vectors)
		return -EINVAL;
	if (vector_open(fn, vector))
		deliver(fn, vector);
	else
		fn->msix_pba |= 1ull << vector;
	return 0;
}

bool pcie_msix_pending(const struct pcie_function *fn, unsigned vector)
{
	return vector < PCIE_MSIX_MAX && (fn->msix_pba & (1ull << vector));
}

void pcie__msix_reset(struct pcie_function *fn)
{
	for (unsigned v = 0; v < PCIE_MSIX_MAX; v++) {
		fn->msix_table[v][0] = fn->msix_table[v][1] = fn->msix_table[v][2] = 0;
		fn->msix_table[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	fn->msix_pba = 0;
}

void pcie__msix_ctrl_written(struct pcie_function *fn)
{
	deliver_pending(fn);
}

int pcie__msix_read(struct pcie_function *fn, uint64_t off, uint32_t *val)
{
	const struct pcie_function_config *c = &fn->conf;

	if (off >= c->msix_pba_off) {
		*val = (uint32_t)(fn->msix_pba >> (off - c->msix_pba_off ? 32 : 0));
		return 0;
	}
	off -= c->msix_table_off;
	*val = fn->msix_table[off / 16][(off % 16) / 4];
	return 0;
}

int pcie__msix_write(struct pcie_function *fn, uint64_t off, uint32_t val)
{
	const struct pcie_function_config *c = &fn->conf;
	unsigned v, dw;

	if (off >= c->msix_pba_off) {
		log_warn(PCIE_TOPIC, "%02x:%02x.%x: write to the read-only MSI-X PBA ignored",
			 PCIE_RID_BUS(fn->rid), PCIE_RID_DEV(fn->rid), PCIE_RID_FN(fn->rid));
		return -EPERM;
	}
	off -= c->msix_table_off;
	v = (unsigned)(off / 16);
	dw = (unsigned)(off % 16) / 4;
	if (dw == 3)
		val &= PCI_MSIX_ENTRY_CTRL_MASKBIT;	/* other bits reserved */
	fn->msix_table[v][dw] = val;
	if (dw == 3 && (fn->msix_pba & (1ull << v)) && vector_open(fn, v))
		deliver(fn, v);
	return 0;
}
