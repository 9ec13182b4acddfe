/*
 * driver.c -- srnic_vbd's DriverEntry and dispatch routines: one driver
 * object serves two kinds of device, the FDO on the vPCI PDO and the child
 * PDO it creates; each dispatch routine looks at the device extension's
 * kind and hands the IRP to fdo.c or pdo.c.
 */
#include "srnic_vbd.h"

NTSTATUS VbdCompleteIrp(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
	Irp->IoStatus.Status = Status;
	Irp->IoStatus.Information = Information;
	IoCompleteRequest(Irp, IO_NO_INCREMENT);
	return Status;
}

/*
 * Send an IRP the child PDO received on to the vPCI PDO below the FDO.
 * The child PDO was created with room for it (StackSize = Lower's + 1),
 * and skipping the location hands the lower driver the same parameters.
 */
NTSTATUS VbdForwardToBus(PVBD_FDO Fdo, PIRP Irp)
{
	IoSkipCurrentIrpStackLocation(Irp);
	return IoCallDriver(Fdo->Lower, Irp);
}

static NTSTATUS VbdDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	VBD_DEVICE_KIND Kind = *(VBD_DEVICE_KIND *)DeviceObject->DeviceExtension;

	if (Kind == VbdKindFdo)
		return VbdFdoDispatchPnp(DeviceObject->DeviceExtension, Irp);
	return VbdPdoDispatchPnp(DeviceObject->DeviceExtension, Irp);
}

static NTSTATUS VbdDispatchInternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	VBD_DEVICE_KIND Kind = *(VBD_DEVICE_KIND *)DeviceObject->DeviceExtension;

	if (Kind == VbdKindFdo) {
		PVBD_FDO Fdo = DeviceObject->DeviceExtension;

		IoSkipCurrentIrpStackLocation(Irp);
		return IoCallDriver(Fdo->Lower, Irp);
	}
	return VbdPdoDispatchInternalIoctl(DeviceObject->DeviceExtension, Irp);
}

/* Power, WMI and the rest: an FDO passes them down, a PDO has nothing to say. */
static NTSTATUS VbdDispatchOther(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	VBD_DEVICE_KIND Kind = *(VBD_DEVICE_KIND *)DeviceObject->DeviceExtension;
	NTSTATUS Status;

	if (Kind == VbdKindFdo) {
		PVBD_FDO Fdo = DeviceObject->DeviceExtension;

		IoSkipCurrentIrpStackLocation(Irp);
		return IoCallDriver(Fdo->Lower, Irp);
	}
	Status = Irp->IoStatus.Status;
	IoCompleteRequest(Irp, IO_NO_INCREMENT);
	return Status;
}

static VOID VbdUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "srnic_vbd unloaded");
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	ULONG i;

	UNREFERENCED_PARAMETER(RegistryPath);
	for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
		DriverObject->MajorFunction[i] = VbdDispatchOther;
	DriverObject->MajorFunction[IRP_MJ_PNP] = VbdDispatchPnp;
	DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = VbdDispatchInternalIoctl;
	DriverObject->DriverExtension->AddDevice = VbdAddDevice;
	DriverObject->DriverUnload = VbdUnload;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DRIVER, "srnic_vbd loaded");
	return STATUS_SUCCESS;
}
