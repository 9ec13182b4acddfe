/*
 * The exports that reach below the adapter (src/ndis/api_sriov.c,
 * api_io.c), called as a driver calls them on running fake adapters:
 * own config space, VF config space, config blocks, register access to a
 * mapped BAR through the bus's MMIO hooks, and the refusals (wrong space,
 * VF out of range, block too long, unmapped ranges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "fw_helpers.h"

static void test_pf_bus_and_registers(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("fake_pf");
	struct bus_double bus;
	struct ndis_adapter *ad;
	UCHAR b[4] = { 1, 2, 3, 4 }, r[4];
	USHORT seg;
	UCHAR busno, fn, u8;
	USHORT u16;
	ULONG bars[6];
	PVOID va = NULL;
	NDIS_PHYSICAL_ADDRESS pa;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "pf", HWID("10ED"), &bus, NULL, &ad), 0);
	/* Own config space. */
	assert_int_equal(NdisMSetBusData(c->adapter, PCI_WHICHSPACE_CONFIG, 0x40, b, 4), 4);
	assert_memory_equal(bus.config + 0x40, b, 4);
	assert_int_equal(NdisMGetBusData(c->adapter, PCI_WHICHSPACE_CONFIG, 0x40, r, 4), 4);
	assert_memory_equal(r, b, 4);
	assert_int_equal(NdisMGetBusData(c->adapter, PCI_WHICHSPACE_ROM, 0, r, 4), 0);
	assert_int_equal(NdisMGetBusData(c->adapter, PCI_WHICHSPACE_CONFIG, 0x100, r, 4), 0);
	/* VF config space: only enabled VFs (NDIS enabled 8 at switch creation). */
	assert_int_equal(NdisMSetVirtualFunctionBusData(c->adapter, 2, b, 0x10, 4), 4);
	assert_memory_equal(bus.vf_config[2] + 0x10, b, 4);
	assert_int_equal(NdisMGetVirtualFunctionBusData(c->adapter, 2, r, 0x10, 4), 4);
	assert_int_equal(NdisMGetVirtualFunctionBusData(c->adapter, 8, r, 0, 4), 0);
	NdisMGetVirtualFunctionLocation(c->adapter, 2, &seg, &busno, &fn);
	assert_int_equal(busno, 3);
	assert_int_equal(fn, 3);
	assert_int_equal(NdisMQueryProbedBars(c->adapter, bars), NDIS_STATUS_SUCCESS);
	assert_int_equal(bars[0], 0xffffc000);
	/* Registers of a mapped range go through the bus's MMIO hooks. */
	pa.QuadPart = 0xfe000000;
	assert_int_equal(NdisMMapIoSpace(&va, c->adapter, pa, 0x1000), NDIS_STATUS_SUCCESS);
	NdisWriteRegisterUchar((PUCHAR)va + 0x20, 0xab);
	NdisWriteRegisterUshort((PUSHORT)((PUCHAR)va + 0x22), 0xcdef);
	assert_int_equal(bus.last_write_phys, 0xfe000022);
	NdisReadRegisterUchar((PUCHAR)va + 0x20, &u8);
	NdisReadRegisterUshort((PUSHORT)((PUCHAR)va + 0x22), &u16);
	assert_int_equal(u8, 0xab);
	assert_int_equal(u16, 0xcdef);
	assert_int_equal(bus.mmio_writes, 3);	/* + the driver's own at initialization */
	NdisMUnmapIoSpace(c->adapter, va, 0x1000);
	/* A range it does not have, and a physical address the bus refuses. */
	NdisMUnmapIoSpace(c->adapter, b, 4);
	pa.QuadPart = 0x1000;
	assert_int_equal(NdisMMapIoSpace(&va, c->adapter, pa, 0x1000), NDIS_STATUS_RESOURCE_CONFLICT);
	assert_null(va);
	/* Plain memory (not mapped) is accessed directly. */
	{
		ULONG plain = 0;
		NdisWriteRegisterUlong(&plain, 7);
		assert_int_equal(plain, 7);
	}
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

static void test_vf_config_blocks(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_CHILD);
	struct fake_control *c = fake_control("fake_vf");
	struct bus_double bus;
	struct vpci_double vpci;
	struct ndis_adapter *ad;
	UCHAR blk[200];

	(void)state;
	bus_double_init(&bus);
	vpci_double_init(&vpci, 3);
	assert_int_equal(test_adapter(fw, "vf", HWID("10EF"), &bus, &vpci, &ad), 0);
	memset(blk, 0x5a, sizeof(blk));
	assert_int_equal(NdisMWriteConfigBlock(c->adapter, 1, blk, 16), NDIS_STATUS_SUCCESS);
	assert_int_equal(vpci.block_writes, 1);
	assert_int_equal(vpci.blocks[1][15], 0x5a);
	/* VPCI_MAX_READ_WRITE_BLOCK_SIZE is 128. */
	assert_int_equal(NdisMWriteConfigBlock(c->adapter, 1, blk, 129), NDIS_STATUS_FAILURE);
	assert_int_equal(NdisMReadConfigBlock(c->adapter, 1, blk, 128), NDIS_STATUS_SUCCESS);
	/* The bus double refuses unknown blocks; NDIS passes the failure on. */
	assert_int_equal(NdisMReadConfigBlock(c->adapter, 9, blk, 8), NDIS_STATUS_FAILURE);
	/* A VF has no PCI virtualization interface to enable. */
	assert_int_equal(NdisMEnableVirtualization(c->adapter, 1, FALSE, FALSE, TRUE), NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_framework_destroy(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pf_bus_and_registers),
		cmocka_unit_test(test_vf_config_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
