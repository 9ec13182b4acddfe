/*
 * The vPCI bus driver's PDO (src/hv/vpci_pdo.c), asked directly the way a
 * driver above it asks: IRPs to the top of the VF's stack (NDIS's FDO
 * passes them down). GUID_VPCI_INTERFACE_STANDARD with its size and
 * version checks and its callbacks, the bus interface, config space with
 * the registers the bus answers itself, IOCTL_VPCI_READ/WRITE_BLOCK with
 * every length rule of spec 6.3, INVALIDATE_BLOCK pending / completed /
 * cancelled / kept until asked, and an interface a driver still holds after
 * the function left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "guest_env.h"

static struct guest_env E;

static int setup(void **state)
{
	const struct genv_opts o = { .no_protocol = true };

	(void)state;
	genv_setup(&E, &o);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	genv_teardown(&E);
	return 0;
}

static PDEVICE_OBJECT top(void)
{
	return IoGetAttachedDevice(genv_vpci_pdo(&E));
}

static NTSTATUS query_interface(const GUID *type, PINTERFACE iface, USHORT size, USHORT version)
{
	PIRP irp = pnp_build_pnp_irp(top(), IRP_MN_QUERY_INTERFACE);
	PIO_STACK_LOCATION sl = IoGetNextIrpStackLocation(irp);

	sl->Parameters.QueryInterface.InterfaceType = type;
	sl->Parameters.QueryInterface.Size = size;
	sl->Parameters.QueryInterface.Version = version;
	sl->Parameters.QueryInterface.Interface = iface;
	return pnp_call_sync(top(), irp, NULL);
}

static NTSTATUS ioctl(ULONG code, PVOID in, ULONG in_len, PVOID out, ULONG out_len, ULONG_PTR *info)
{
	PIRP irp = IoBuildDeviceIoControlRequest(code, top(), in, in_len, out, out_len, TRUE, NULL, NULL);

	assert_non_null(irp);
	/* Built as a threaded IRP; send it the lab way to see its status. */
	return pnp_call_sync(top(), irp, info);
}

static NTSTATUS config(UCHAR minor, ULONG space, ULONG off, PVOID buf, ULONG len)
{
	PIRP irp = pnp_build_pnp_irp(top(), minor);
	PIO_STACK_LOCATION sl = IoGetNextIrpStackLocation(irp);

	sl->Parameters.ReadWriteConfig.WhichSpace = space;
	sl->Parameters.ReadWriteConfig.Offset = off;
	sl->Parameters.ReadWriteConfig.Buffer = buf;
	sl->Parameters.ReadWriteConfig.Length = len;
	return pnp_call_sync(top(), irp, NULL);
}

static void test_interface(void **state)
{
	VPCI_INTERFACE_STANDARD v;
	UCHAR blk[128], data[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	struct vpci_pdo_stats st;

	(void)state;
	memset(&v, 0, sizeof(v));
	assert_int_equal(query_interface(&GUID_VPCI_INTERFACE_STANDARD, (PINTERFACE)&v, sizeof(v) - 1, 1),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(query_interface(&GUID_VPCI_INTERFACE_STANDARD, (PINTERFACE)&v, sizeof(v), 0),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(query_interface(&GUID_VPCI_INTERFACE_STANDARD, (PINTERFACE)&v, sizeof(v), 1), STATUS_SUCCESS);
	assert_int_equal(v.Size, sizeof(v));
	assert_int_equal(v.Version, 1);
	assert_int_equal(v.SerialNumber, GENV_SERIAL);
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.interface_refs, 2);	/* NDIS's and ours */
	/* The callbacks reach the PF's config blocks. */
	assert_int_equal(v.WriteVfConfigBlock(v.Context, 5, data, sizeof(data)), STATUS_SUCCESS);
	assert_memory_equal(E.be.blocks[5], data, sizeof(data));
	assert_int_equal(v.ReadVfConfigBlock(v.Context, 5, blk, 8), STATUS_SUCCESS);
	assert_memory_equal(blk, data, sizeof(data));
	assert_int_equal(v.ReadVfConfigBlock(v.Context, 5, blk, 0), STATUS_INVALID_PARAMETER);
	assert_int_equal(v.ReadVfConfigBlock(v.Context, 5, blk, 129), STATUS_INVALID_PARAMETER);
	/* The PF's refusal comes back as it is (the double refuses id 200). */
	assert_int_equal(v.ReadVfConfigBlock(v.Context, 200, blk, 8), STATUS_INVALID_PARAMETER);
	v.InterfaceDereference(v.Context);
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.interface_refs, 1);
	/* A GUID the bus does not have: the status stays STATUS_NOT_SUPPORTED. */
	{
		static const GUID other = { 1, 2, 3, { 4, 5, 6, 7, 8, 9, 10, 11 } };

		assert_int_equal(query_interface(&other, (PINTERFACE)&v, sizeof(v), 1), STATUS_NOT_SUPPORTED);
	}
}

static void test_interface_outlives_the_function(void **state)
{
	VPCI_INTERFACE_STANDARD v;
	UCHAR blk[8];

	(void)state;
	assert_int_equal(query_interface(&GUID_VPCI_INTERFACE_STANDARD, (PINTERFACE)&v, sizeof(v), 1), STATUS_SUCCESS);
	E.rescinded = true;
	(void)vpci_vsc_poll(E.vsc, 0);
	assert_null(genv_vpci_pdo(&E));
	/* The PDO is gone; the context a driver holds answers, it does not crash. */
	assert_int_equal(v.ReadVfConfigBlock(v.Context, 0, blk, sizeof(blk)), STATUS_NO_SUCH_DEVICE);
	v.InterfaceDereference(v.Context);	/* the last reference frees it */
}

static void test_bus_interface_and_config(void **state)
{
	BUS_INTERFACE_STANDARD b;
	UCHAR cfg[0x30], bars[0x18];
	ULONG v32;
	USHORT ids[2] = { 0x1234, 0x5678 };
	unsigned reads;

	(void)state;
	assert_int_equal(query_interface(&GUID_BUS_INTERFACE_STANDARD, (PINTERFACE)&b, sizeof(b), 1), STATUS_SUCCESS);
	/* The identity and BAR registers come from the function description. */
	reads = E.host_cfg_reads;
	assert_int_equal(b.GetBusData(b.Context, PCI_WHICHSPACE_CONFIG, cfg, 0, sizeof(cfg)), sizeof(cfg));
	/* One request for the header (0x04..0x2b), not one per gap between the bus's registers... */
	assert_int_equal(E.host_cfg_reads, reads + 1);
	/* ...and the bytes the VF answers are the VF's, around the ones the bus answers. */
	for (uint32_t off = 0x04; off < 0x30; off += 4) {
		uint32_t dev = 0;

		if (off == 0x08 || (off >= 0x10 && off < 0x28) || off == 0x2c)
			continue;
		assert_int_equal(srnic_cfg_read(E.nic, GENV_VF_FN, off, 4, &dev), 0);
		memcpy(&v32, cfg + off, 4);
		assert_int_equal(v32, dev);
	}
	reads = E.host_cfg_reads;
	assert_int_equal(b.GetBusData(b.Context, PCI_WHICHSPACE_CONFIG, bars, 0x10, sizeof(bars)), sizeof(bars));
	assert_memory_equal(bars, cfg + 0x10, sizeof(bars));	/* BARs only: the bus answers */
	assert_int_equal(E.host_cfg_reads, reads);
	assert_int_equal(cfg[0] | cfg[1] << 8, SRNIC_VENDOR_ID);
	assert_int_equal(cfg[2] | cfg[3] << 8, SRNIC_VF_DEVICE_ID);
	assert_int_equal(cfg[0x0b], 2);			/* network controller */
	memcpy(&v32, cfg + 0x10, 4);
	assert_int_equal(v32, (uint32_t)GENV_BAR0 | 0xc);	/* 64-bit prefetchable */
	memcpy(&v32, cfg + 0x2c, 4);
	assert_int_equal(v32, (uint32_t)SRNIC_SUBSYS_ID << 16 | SRNIC_VENDOR_ID);
	/* ...and writes to them go nowhere; the rest reaches the VF. */
	assert_int_equal(config(IRP_MN_WRITE_CONFIG, PCI_WHICHSPACE_CONFIG, 0, ids, sizeof(ids)), STATUS_SUCCESS);
	assert_int_equal(config(IRP_MN_READ_CONFIG, PCI_WHICHSPACE_CONFIG, 0, &v32, 4), STATUS_SUCCESS);
	assert_int_equal(v32, (uint32_t)SRNIC_VF_DEVICE_ID << 16 | SRNIC_VENDOR_ID);
	assert_int_equal(config(IRP_MN_READ_CONFIG, PCI_WHICHSPACE_ROM, 0, &v32, 4), STATUS_INVALID_PARAMETER);
	assert_int_equal(config(IRP_MN_READ_CONFIG, PCI_WHICHSPACE_CONFIG, 4095, &v32, 4), STATUS_INVALID_PARAMETER);
	assert_int_equal(b.GetBusData(b.Context, PCI_WHICHSPACE_ROM, cfg, 0, 4), 0);
	b.InterfaceDereference(b.Context);
}

static void test_block_ioctls(void **state)
{
	VPCI_READ_BLOCK_INPUT rin = { .BlockId = 7, .BytesRequested = 16 };
	UCHAR out[128], win_buf[offsetof(VPCI_WRITE_BLOCK_INPUT, Data) + 4];
	PVPCI_WRITE_BLOCK_INPUT win = (PVPCI_WRITE_BLOCK_INPUT)win_buf;
	ULONG_PTR info;

	(void)state;
	memset(E.be.blocks[7], 0x77, 16);
	assert_int_equal(ioctl(IOCTL_VPCI_READ_BLOCK, &rin, sizeof(rin), out, 16, &info), STATUS_SUCCESS);
	assert_int_equal(info, 16);
	assert_int_equal(out[15], 0x77);
	/* spec 6.3: either length too small -> STATUS_BUFFER_TOO_SMALL */
	assert_int_equal(ioctl(IOCTL_VPCI_READ_BLOCK, &rin, sizeof(rin) - 1, out, 16, NULL), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(ioctl(IOCTL_VPCI_READ_BLOCK, &rin, sizeof(rin), out, 15, NULL), STATUS_BUFFER_TOO_SMALL);
	rin.BytesRequested = 129;
	assert_int_equal(ioctl(IOCTL_VPCI_READ_BLOCK, &rin, sizeof(rin), out, 128, NULL), STATUS_INVALID_PARAMETER);
	rin.BytesRequested = 8;
	assert_int_equal(ioctl(IOCTL_VPCI_READ_BLOCK, &rin, sizeof(rin), NULL, 8, NULL), STATUS_INVALID_PARAMETER);
	win->BlockId = 9;
	win->DataLength = 4;
	memcpy(win->Data, "abcd", 4);
	assert_int_equal(ioctl(IOCTL_VPCI_WRITE_BLOCK, win, sizeof(win_buf), NULL, 0, &info), STATUS_SUCCESS);
	assert_int_equal(info, 4);
	assert_memory_equal(E.be.blocks[9], "abcd", 4);
	assert_int_equal(ioctl(IOCTL_VPCI_WRITE_BLOCK, win, sizeof(win_buf) - 1, NULL, 0, NULL), STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(ioctl(CTL_CODE(FILE_DEVICE_VPCI, 9, METHOD_NEITHER, FILE_ANY_ACCESS), win, 8, NULL, 0, NULL),
			 STATUS_INVALID_DEVICE_REQUEST);
}

static NTSTATUS keep(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
	(void)dev;
	(void)irp;
	*(bool *)ctx = true;
	return STATUS_MORE_PROCESSING_REQUIRED;
}

static void test_invalidate_ioctl(void **state)
{
	VPCI_INVALIDATE_BLOCK_OUTPUT out = { 0 };
	struct vpci_pdo_stats st;
	bool done = false;
	PIRP irp;

	(void)state;
	/* A second INVALIDATE_BLOCK next to NDIS's: pending too. */
	irp = IoAllocateIrp(top()->StackSize, FALSE);
	IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
	IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.IoControlCode = IOCTL_VPCI_INVALIDATE_BLOCK;
	IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.InputBufferLength = sizeof(out);
	IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.Type3InputBuffer = &out;
	IoSetCompletionRoutine(irp, keep, &done, TRUE, TRUE, TRUE);
	assert_int_equal(IoCallDriver(top(), irp), STATUS_PENDING);
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.pending, 2);
	/* Cancelled: completed with STATUS_CANCELLED and gone from the list. */
	assert_true(IoCancelIrp(irp));
	assert_true(done);
	assert_int_equal(irp->IoStatus.Status, STATUS_CANCELLED);
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.pending, 1);
	/* Pending IRPs get masks oldest first: NDIS's takes the next one (and
	 * re-arms behind ours), ours the one after. A mask nobody is waiting
	 * for is kept (test_vf.c, test_invalidate_lost_without_forwarding). */
	assert_int_equal(vpci_vsp_invalidate(E.vdev, 0x4), 0);
	assert_true(genv_poll(&E) > 0);	/* delivered to NDIS, which re-armed */
	done = false;
	IoReuseIrp(irp, STATUS_SUCCESS);
	IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
	IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.IoControlCode = IOCTL_VPCI_INVALIDATE_BLOCK;
	IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.InputBufferLength = sizeof(out);
	IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.Type3InputBuffer = &out;
	IoSetCompletionRoutine(irp, keep, &done, TRUE, TRUE, TRUE);
	assert_int_equal(IoCallDriver(top(), irp), STATUS_PENDING);
	assert_int_equal(vpci_vsp_invalidate(E.vdev, 0x30), 0);
	assert_true(genv_poll(&E) > 0);	/* the oldest pending one (NDIS's) gets it */
	assert_false(done);
	assert_int_equal(vpci_vsp_invalidate(E.vdev, 0x100), 0);
	assert_true(genv_poll(&E) > 0);
	assert_true(done);
	assert_int_equal(irp->IoStatus.Status, STATUS_SUCCESS);
	assert_int_equal(out.BlockMask, 0x100);
	IoFreeIrp(irp);
	/* A refused shape: the output is missing. */
	assert_int_equal(ioctl(IOCTL_VPCI_INVALIDATE_BLOCK, NULL, sizeof(out), NULL, 0, NULL), STATUS_INVALID_PARAMETER);
	assert_int_equal(ioctl(IOCTL_VPCI_INVALIDATE_BLOCK, &out, 4, NULL, 0, NULL), STATUS_BUFFER_TOO_SMALL);
}

static void test_target_relation_and_ids(void **state)
{
	PIRP irp = pnp_build_pnp_irp(top(), IRP_MN_QUERY_DEVICE_RELATIONS);
	PDEVICE_RELATIONS rel;
	ULONG_PTR info;

	(void)state;
	IoGetNextIrpStackLocation(irp)->Parameters.QueryDeviceRelations.Type = TargetDeviceRelation;
	assert_int_equal(pnp_call_sync(top(), irp, &info), STATUS_SUCCESS);
	rel = (PDEVICE_RELATIONS)info;
	assert_int_equal(rel->Count, 1);
	assert_ptr_equal(rel->Objects[0], genv_vpci_pdo(&E));
	ExFreePool(rel);
	assert_int_equal(vpci_bus_pdo_count(E.bus), 1);
	assert_ptr_equal(vpci_bus_pdo_at(E.bus, 0), genv_vpci_pdo(&E));
	assert_null(vpci_bus_pdo_at(E.bus, 1));
	assert_ptr_equal(genv_vpci_pdo(&E)->DriverObject, vpci_bus_driver(E.bus));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interface, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_outlives_the_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_interface_and_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_ioctls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate_ioctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_relation_and_ids, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
