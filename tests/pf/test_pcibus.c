/*
 * The root partition's PCI bus driver (src/hv/pcibus.c) against the real
 * PCIe host and srnic, through the ndis_bus_ops NDIS calls: own and VF
 * config space by routing ID, VF location, the SR-IOV programming order of
 * EnableVirtualization and every refusal pci.sys makes (already enabled,
 * NumVFs 0 or above TotalVFs, each platform property), the VF BAR probe
 * taken at enumeration, and BAR mappings whose register accesses reach the
 * device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "hv/pcibus.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

#define PF_RID PCIE_RID(3, 0, 0)

struct env {
	struct pcie_host *host;
	struct srnic *nic;
	struct pcibus_pf *pf;
	const struct ndis_bus_ops *ops;
	unsigned sr;
};

static void up(struct env *e, const struct pcie_platform *plat)
{
	memset(e, 0, sizeof(*e));
	e->host = pcie_host_create();
	assert_non_null(e->host);
	if (plat)
		pcie_host_set_platform(e->host, plat);
	e->nic = srnic_create(e->host, 3, 0);
	assert_non_null(e->nic);
	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	assert_int_equal(pcibus_pf_create(e->host, PF_RID, &e->pf), 0);
	e->ops = &pcibus_ndis_ops;
	e->sr = pcibus_pf_sriov_offset(e->pf);
}

static void down(struct env *e)
{
	pcibus_pf_destroy(e->pf);
	srnic_destroy(e->nic);
	pcie_host_destroy(e->host);
}

static uint32_t pf_cfg(struct env *e, unsigned off, unsigned len)
{
	uint32_t v = 0;

	assert_int_equal(srnic_cfg_read(e->nic, 0, off, len, &v), 0);
	return v;
}

static void test_own_config_space(void **state)
{
	struct env e;
	uint8_t b[8];
	uint16_t cmd;

	(void)state;
	up(&e, NULL);
	assert_int_equal(e.sr, 0x160);
	/* An unaligned 6-byte read spanning vendor, device and command. */
	assert_int_equal(e.ops->config_read(e.pf, 0, b, 6), 6);
	assert_int_equal(b[0] | b[1] << 8, SRNIC_VENDOR_ID);
	assert_int_equal(b[2] | b[3] << 8, SRNIC_PF_DEVICE_ID);
	assert_int_equal(e.ops->config_read(e.pf, 1, b, 3), 3);
	assert_int_equal(b[0], SRNIC_VENDOR_ID >> 8);
	/* Writes reach the function: Bus Master on. */
	cmd = (uint16_t)(pf_cfg(&e, PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
	assert_int_equal(e.ops->config_write(e.pf, PCI_COMMAND, &cmd, 2), 2);
	assert_true(pf_cfg(&e, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	/* Outside the 4 KiB space. */
	assert_int_equal(e.ops->config_read(e.pf, 4095, b, 2), -EINVAL);
	assert_int_equal(e.ops->config_read(e.pf, 4096, b, 1), -EINVAL);
	down(&e);
}

static void test_enable_programs_the_capability(void **state)
{
	struct env e;
	uint16_t seg;
	uint8_t bus, fn, b[4];

	(void)state;
	up(&e, NULL);
	/* No VF exists before VF Enable. */
	assert_int_equal(e.ops->vf_config_read(e.pf, 0, 0, b, 4), -ENODEV);
	assert_int_equal(e.ops->vf_location(e.pf, 0, &seg, &bus, &fn), -ENODEV);

	assert_int_equal(e.ops->enable_virtualization(e.pf, 8, true), 0);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_NUM_VF, 2), 8);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_CTRL, 2),
			 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI);
	assert_int_equal(pcie_pf_num_vfs(pcibus_pf_function(e.pf)), 8);

	/* VF 0 is 03:01.0 with ARI: RID 0x300 + offset 8; VF 7 = + 7 * stride 2. */
	assert_int_equal(e.ops->vf_location(e.pf, 0, &seg, &bus, &fn), 0);
	assert_int_equal(seg, 0);
	assert_int_equal(bus, 3);
	assert_int_equal(fn, 8);
	assert_int_equal(e.ops->vf_location(e.pf, 7, &seg, &bus, &fn), 0);
	assert_int_equal(fn, 8 + 14);
	assert_int_equal(e.ops->vf_location(e.pf, 8, &seg, &bus, &fn), -ENODEV);
	/* VF config space: Vendor ID reads 0xFFFF, the class is Ethernet. */
	assert_int_equal(e.ops->vf_config_read(e.pf, 0, 0, b, 4), 4);
	assert_int_equal(b[0] | b[1] << 8, 0xffff);
	assert_int_equal(e.ops->vf_config_read(e.pf, 3, PCI_CLASS_DEVICE, b, 2), 2);
	assert_int_equal(b[0] | b[1] << 8, PCI_CLASS_NETWORK_ETHERNET);
	assert_int_equal(e.ops->vf_config_read(e.pf, 8, 0, b, 4), -ENODEV);
	assert_int_equal(e.ops->vf_config_read(e.pf, 0, 4094, b, 4), -EINVAL);

	/* pci.sys refuses enabling twice; NumVFs stays. */
	assert_int_equal(e.ops->enable_virtualization(e.pf, 4, true), -EBUSY);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_NUM_VF, 2), 8);
	/* Disabling with NumVFs != 0 is malformed. */
	assert_int_equal(e.ops->enable_virtualization(e.pf, 1, false), -EINVAL);
	assert_int_equal(e.ops->enable_virtualization(e.pf, 0, false), 0);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_CTRL, 2) & (PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE), 0);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_NUM_VF, 2), 0);
	assert_int_equal(pcie_pf_num_vfs(pcibus_pf_function(e.pf)), 0);
	/* Disabling what is disabled is a no-op. */
	assert_int_equal(e.ops->enable_virtualization(e.pf, 0, false), 0);
	/* NumVFs 0 and NumVFs > TotalVFs (64) are refused, nothing enabled. */
	assert_int_equal(e.ops->enable_virtualization(e.pf, 0, true), -EINVAL);
	assert_int_equal(e.ops->enable_virtualization(e.pf, 65, true), -EINVAL);
	assert_int_equal(pcibus_pf_last_refusal(e.pf), -EINVAL);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
	assert_int_equal(e.ops->enable_virtualization(e.pf, 64, true), 0);
	assert_int_equal(pcie_pf_num_vfs(pcibus_pf_function(e.pf)), 64);
	assert_int_equal(pcibus_pf_enable_calls(e.pf), 8);
	down(&e);
}

static void test_vf_config_write_reaches_the_vf(void **state)
{
	struct env e;
	uint16_t ctl;
	uint8_t b[2];

	(void)state;
	up(&e, NULL);
	assert_int_equal(e.ops->enable_virtualization(e.pf, 2, true), 0);
	/* Bus Master in VF 1's Command register. */
	ctl = PCI_COMMAND_MASTER;
	assert_int_equal(e.ops->vf_config_write(e.pf, 1, PCI_COMMAND, &ctl, 2), 2);
	assert_int_equal(e.ops->vf_config_read(e.pf, 1, PCI_COMMAND, b, 2), 2);
	assert_true((b[0] | b[1] << 8) & PCI_COMMAND_MASTER);
	assert_int_equal(e.ops->vf_config_read(e.pf, 0, PCI_COMMAND, b, 2), 2);
	assert_false((b[0] | b[1] << 8) & PCI_COMMAND_MASTER);
	/* FLR through Device Control resets VF 1's config space. */
	ctl = PCI_EXP_DEVCTL_BCR_FLR;
	assert_int_equal(e.ops->vf_config_write(e.pf, 1, 0x60 + PCI_EXP_DEVCTL, &ctl, 2), 2);
	assert_int_equal(e.ops->vf_config_read(e.pf, 1, PCI_COMMAND, b, 2), 2);
	assert_false((b[0] | b[1] << 8) & PCI_COMMAND_MASTER);
	down(&e);
}

/* Each platform property that makes pci.sys refuse VFs. */
static void test_platform_refusals(void **state)
{
	static const char *const what[] = { "osc", "dma", "intr", "acs", "buses", "barspace" };
	(void)state;

	for (unsigned i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct pcie_platform p;
		struct env e;
		struct pcie_host *tmp = pcie_host_create();

		pcie_host_get_platform(tmp, &p);
		pcie_host_destroy(tmp);
		switch (i) {
		case 0: p.osc_pcie_control = false; break;
		case 1: p.dma_remapping = false; break;
		case 2: p.interrupt_remapping = false; break;
		case 3: p.acs_root_port = false; break;
		case 4: p.bus_numbers = 0; break;
		case 5: p.vf_bar_space = 0x1000; break;
		}
		up(&e, &p);
		assert_int_equal(e.ops->enable_virtualization(e.pf, 8, true), -ENOTSUP);
		assert_int_equal(pcibus_pf_last_refusal(e.pf), -ENOTSUP);
		assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
		assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_NUM_VF, 2), 0);
		down(&e);
	}
}

static void test_probed_bars(void **state)
{
	struct env e;
	uint32_t v[6];
	uint64_t bar0;

	(void)state;
	up(&e, NULL);
	bar0 = pf_cfg(&e, e.sr + PCI_SRIOV_BAR, 4) | (uint64_t)pf_cfg(&e, e.sr + PCI_SRIOV_BAR + 4, 4) << 32;
	assert_int_equal(e.ops->query_probed_bars(e.pf, v), 0);
	/* VF BAR0/1 registers and BAR2/3 MSI-X: 64-bit prefetchable 16 KiB each. */
	assert_int_equal(v[0], 0xffffc000u | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(v[1], 0xffffffffu);
	assert_int_equal(v[2], 0xffffc000u | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(v[3], 0xffffffffu);
	assert_int_equal(v[4], 0);
	assert_int_equal(v[5], 0);
	/* The probe restored the address firmware assigned. */
	assert_int_not_equal(bar0 & ~0xfull, 0);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_BAR, 4), (uint32_t)bar0);
	assert_int_equal(pf_cfg(&e, e.sr + PCI_SRIOV_BAR + 4, 4), (uint32_t)(bar0 >> 32));
	down(&e);
}

static void test_mmio_mapping(void **state)
{
	struct env e;
	uint64_t bar0, bar2, v;
	void *va, *va2;

	(void)state;
	up(&e, NULL);
	bar0 = pcie_fn_bar_addr(pcibus_pf_function(e.pf), SRNIC_BAR_REGS);
	bar2 = pcie_fn_bar_addr(pcibus_pf_function(e.pf), SRNIC_BAR_MSIX);
	assert_int_equal(e.ops->map_io_space(e.pf, bar0, SRNIC_PF_REGS_SIZE, &va), 0);
	assert_int_equal(e.ops->map_io_space(e.pf, bar2, SRNIC_MSIX_BAR_SIZE, &va2), 0);
	assert_int_equal(pcibus_pf_mapped_count(e.pf), 2);
	/* Outside every BAR, or running off the end of one. */
	assert_int_equal(e.ops->map_io_space(e.pf, 0x1000, 16, &va), -EINVAL);
	assert_int_equal(e.ops->map_io_space(e.pf, bar0 + 16, SRNIC_PF_REGS_SIZE, &va), -EINVAL);
	assert_int_equal(e.ops->mmio_read(e.pf, bar0 + SRNIC_REG_VERSION, 4, &v), 0);
	assert_int_equal(v, SRNIC_VERSION_1);
	assert_int_equal(e.ops->mmio_read(e.pf, bar0 + SRNIC_REG_VERSION + 2, 2, &v), 0);
	assert_int_equal(v, SRNIC_VERSION_1 >> 16);
	assert_int_equal(e.ops->mmio_write(e.pf, bar0 + SRNIC_REG_MAC_LO, 4, 0x44332211), 0);
	assert_int_equal(e.ops->mmio_read(e.pf, bar0 + SRNIC_REG_MAC_LO, 4, &v), 0);
	assert_int_equal(v, 0x44332211);
	/* A narrow write is dropped rather than read-modify-written. */
	assert_int_equal(e.ops->mmio_write(e.pf, bar0 + SRNIC_REG_MAC_LO, 1, 0xaa), 0);
	assert_int_equal(e.ops->mmio_read(e.pf, bar0 + SRNIC_REG_MAC_LO, 4, &v), 0);
	assert_int_equal(v, 0x44332211);
	e.ops->unmap_io_space(e.pf, va2, SRNIC_MSIX_BAR_SIZE);
	assert_int_equal(pcibus_pf_mapped_count(e.pf), 1);
	down(&e);	/* destroy unmaps the rest */
}

/* Root memory for the PF's DMA: page-granular blocks inside its IOMMU domain. */
static void test_dma_memory(void **state)
{
	struct env e;
	void *a, *b, *c;
	uint64_t da, db, dc;

	(void)state;
	up(&e, NULL);
	assert_int_equal(e.ops->alloc_common_buffer(e.pf, 100, &a, &da), 0);
	assert_int_equal(e.ops->alloc_common_buffer(e.pf, 8192, &b, &db), 0);
	assert_int_equal(pcibus_pf_dma_pages_used(e.pf), 3);
	assert_int_equal(da, 0);
	assert_int_equal(db, 4096);
	assert_ptr_equal((uint8_t *)b - (uint8_t *)a, 4096);
	/* The device reaches it at those addresses once Bus Master is on. */
	assert_int_equal(srnic_cfg_write(e.nic, 0, PCI_COMMAND, 2, pf_cfg(&e, PCI_COMMAND, 2) | PCI_COMMAND_MASTER), 0);
	assert_ptr_equal(pcie_dma_map(pcibus_pf_function(e.pf), db, 8192), b);
	assert_null(pcie_dma_map(pcibus_pf_function(e.pf), PCIBUS_DMA_SIZE - 4, 8));
	/* A freed run is reused; too large a request is refused. */
	e.ops->free_common_buffer(e.pf, a, 100);
	assert_int_equal(pcibus_pf_dma_pages_used(e.pf), 2);
	assert_int_equal(e.ops->alloc_common_buffer(e.pf, 4096, &c, &dc), 0);
	assert_int_equal(dc, 0);
	assert_int_equal(e.ops->alloc_common_buffer(e.pf, PCIBUS_DMA_SIZE, &c, &dc), -ENOMEM);
	assert_int_equal(e.ops->alloc_common_buffer(e.pf, 0, &c, &dc), -EINVAL);
	down(&e);	/* frees the memory and detaches the domain */
}

struct isr_log {
	unsigned calls;
	unsigned last;
};

static void isr(void *ctx, unsigned message)
{
	struct isr_log *l = ctx;

	l->calls++;
	l->last = message;
}

struct fwd_log {
	unsigned calls;
	unsigned fn;
};

static void fwd(void *ctx, struct pcie_function *fn, uint64_t addr, uint32_t data)
{
	struct fwd_log *l = ctx;

	(void)addr;
	(void)data;
	l->calls++;
	l->fn = pcie_fn_index(fn);
}

/* MSI-X messages of the PF reach the connected ISR with their vector. */
static void test_interrupts(void **state)
{
	struct isr_log l = { 0 };
	struct fwd_log f = { 0 };
	unsigned n = 0;
	struct env e;

	(void)state;
	up(&e, NULL);
	pcibus_pf_set_msi_forward(e.pf, fwd, &f);
	assert_int_equal(e.ops->connect_interrupt(e.pf, isr, &l, &n), 0);
	assert_int_equal(n, SRNIC_PF_MSIX_VECTORS);
	assert_true(pcibus_pf_interrupt_connected(e.pf));
	assert_true(pf_cfg(&e, 0x50 + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	/* The device raises vector 2 (queue pair 1) and vector 0. */
	assert_int_equal(pcie_msix_notify(pcibus_pf_function(e.pf), 2), 0);
	assert_int_equal(l.calls, 1);
	assert_int_equal(l.last, 2);
	assert_int_equal(pcie_msix_notify(pcibus_pf_function(e.pf), 0), 0);
	assert_int_equal(l.last, 0);
	/* A VF's message goes to the forward handler, not the PF's ISR. */
	assert_int_equal(e.ops->enable_virtualization(e.pf, 1, true), 0);
	assert_int_equal(srnic_cfg_write(e.nic, 1, 0x50 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE), 0);
	assert_int_equal(srnic_mmio_write32(e.nic, 1, SRNIC_BAR_MSIX, 12, 0), 0);	/* unmask vector 0 */
	assert_int_equal(pcie_msix_notify(srnic_function(e.nic, 1), 0), 0);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.fn, 1);
	assert_int_equal(l.calls, 2);
	/* Disconnected: masked, and the forward handler is the host's again. */
	e.ops->disconnect_interrupt(e.pf);
	assert_false(pcibus_pf_interrupt_connected(e.pf));
	assert_int_equal(pcie_msix_notify(pcibus_pf_function(e.pf), 2), 0);
	assert_int_equal(l.calls, 2);
	assert_true(pcie_msix_pending(pcibus_pf_function(e.pf), 2));
	assert_int_equal(pcie_msix_notify(srnic_function(e.nic, 1), 0), 0);
	assert_int_equal(f.calls, 2);
	down(&e);
}

static void test_no_pf(void **state)
{
	struct pcie_host *host = pcie_host_create();
	struct srnic *nic = srnic_create(host, 3, 0);
	struct pcibus_pf *pf = (struct pcibus_pf *)&pf;

	(void)state;
	assert_int_equal(pcibus_pf_create(host, PCIE_RID(4, 0, 0), &pf), -ENODEV);
	assert_null(pf);
	srnic_destroy(nic);
	pcie_host_destroy(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_config_space),
		cmocka_unit_test(test_enable_programs_the_capability),
		cmocka_unit_test(test_vf_config_write_reaches_the_vf),
		cmocka_unit_test(test_platform_refusals),
		cmocka_unit_test(test_probed_bars),
		cmocka_unit_test(test_mmio_mapping),
		cmocka_unit_test(test_dma_memory),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_no_pf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
