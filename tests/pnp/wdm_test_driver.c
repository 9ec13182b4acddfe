/*
 * wdm_test_driver.c -- a minimal WDM function driver loaded from a package
 * (tests/pnp/wdm_test.inf.in) by test_manager.c: AddDevice reads three
 * values through IoOpenDeviceRegistryKey + ZwQueryValueKey (device key,
 * driver key, a missing one) into WdmTestSeen, attaches, and passes every
 * PnP IRP down, detaching and deleting itself on IRP_MN_REMOVE_DEVICE.
 * Written against include/ndis only, like any driver.
 */
#include <wdm.h>

__attribute__((visibility("default"))) ULONG WdmTestSeen[3];

typedef struct _FDO_EXT {
	PDEVICE_OBJECT Lower;
} FDO_EXT, *PFDO_EXT;

static ULONG ReadDword(PDEVICE_OBJECT Pdo, ULONG KeyType, PCWSTR Name, USHORT NameBytes)
{
	UCHAR Buf[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + 8];
	PKEY_VALUE_PARTIAL_INFORMATION Info = (PKEY_VALUE_PARTIAL_INFORMATION)Buf;
	UNICODE_STRING Value;
	HANDLE Key;
	ULONG Len;
	NTSTATUS Status;

	Value.Buffer = (PWCHAR)Name;
	Value.Length = NameBytes;
	Value.MaximumLength = NameBytes;
	Status = IoOpenDeviceRegistryKey(Pdo, KeyType, KEY_READ, &Key);
	if (!NT_SUCCESS(Status))
		return (ULONG)Status;
	Status = ZwQueryValueKey(Key, &Value, KeyValuePartialInformation, Info, sizeof(Buf), &Len);
	ZwClose(Key);
	if (!NT_SUCCESS(Status))
		return (ULONG)Status;
	return Info->Type == REG_DWORD ? *(PULONG)Info->Data : 0xffffffffu;
}

static NTSTATUS WdmAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
	PDEVICE_OBJECT Fdo;
	NTSTATUS Status;

	WdmTestSeen[0] = ReadDword(Pdo, PLUGPLAY_REGKEY_DEVICE, u"TestValue", sizeof(u"TestValue") - 2);
	WdmTestSeen[1] = ReadDword(Pdo, PLUGPLAY_REGKEY_DRIVER, u"Mode", sizeof(u"Mode") - 2);
	WdmTestSeen[2] = ReadDword(Pdo, PLUGPLAY_REGKEY_DEVICE, u"Missing", sizeof(u"Missing") - 2);
	Status = IoCreateDevice(DriverObject, sizeof(FDO_EXT), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &Fdo);
	if (!NT_SUCCESS(Status))
		return Status;
	((PFDO_EXT)Fdo->DeviceExtension)->Lower = IoAttachDeviceToDeviceStack(Fdo, Pdo);
	Fdo->Flags &= ~DO_DEVICE_INITIALIZING;
	return STATUS_SUCCESS;
}

static NTSTATUS WdmDispatchPnp(PDEVICE_OBJECT Fdo, PIRP Irp)
{
	PDEVICE_OBJECT Lower = ((PFDO_EXT)Fdo->DeviceExtension)->Lower;
	UCHAR Minor = IoGetCurrentIrpStackLocation(Irp)->MinorFunction;
	NTSTATUS Status;

	if (Minor == IRP_MN_START_DEVICE || Minor == IRP_MN_QUERY_REMOVE_DEVICE || Minor == IRP_MN_REMOVE_DEVICE ||
	    Minor == IRP_MN_SURPRISE_REMOVAL)
		Irp->IoStatus.Status = STATUS_SUCCESS;
	IoSkipCurrentIrpStackLocation(Irp);
	Status = IoCallDriver(Lower, Irp);
	if (Minor == IRP_MN_REMOVE_DEVICE) {
		IoDetachDevice(Lower);
		IoDeleteDevice(Fdo);
	}
	return Status;
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	UNREFERENCED_PARAMETER(RegistryPath);
	DriverObject->MajorFunction[IRP_MJ_PNP] = WdmDispatchPnp;
	DriverObject->DriverExtension->AddDevice = WdmAddDevice;
	return STATUS_SUCCESS;
}
