/*
 * Device objects and stacks: IoCreateDevice / IoDeleteDevice,
 * IoAttachDeviceToDeviceStack / IoDetachDevice, IoGetAttachedDevice and
 * IoInvalidateDeviceRelations (kernel/creating-a-device-object,
 * kernel/attaching-a-device-object). A device object carries the I/O
 * manager's record (struct _DEVOBJ_EXTENSION) with the device it is
 * attached to and the device node of its stack; attaching puts the new
 * device on top of the target's stack and makes its StackSize one more than
 * the device below, so an IRP built for the top has a location per driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnp/pnp_int.h"

static void name_from(char *dst, size_t len, PUNICODE_STRING u, const struct pnp_driver *drv, unsigned n)
{
	if (u && u->Buffer && u->Length) {
		size_t k = 0;

		for (; k + 1 < len && k < u->Length / sizeof(WCHAR); k++)
			dst[k] = u->Buffer[k] < 0x80 ? (char)u->Buffer[k] : '?';
		dst[k] = 0;
		return;
	}
	snprintf(dst, len, "%.48s#%u", drv->name, n);
}

WDM_EXPORT NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
				   ULONG DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
				   PDEVICE_OBJECT *DeviceObject)
{
	struct pnp_driver *drv;
	struct _DEVOBJ_EXTENSION *x;
	PDEVICE_OBJECT d, *tail;
	unsigned n = 0;
	size_t off;

	(void)Exclusive;
	if (DeviceObject)
		*DeviceObject = NULL;
	if (!DeviceObject || !pnp__obj_check(DriverObject, PNP_OBJ_DRIVER, "IoCreateDevice"))
		return STATUS_INVALID_PARAMETER;
	drv = pnp__driver(DriverObject);
	/* One allocation, like Windows: object, then the driver's extension. */
	off = (sizeof(*d) + sizeof(*x) + 15u) & ~(size_t)15u;

	d = calloc(1, off + DeviceExtensionSize);
	if (!d)
		return STATUS_INSUFFICIENT_RESOURCES;
	x = (struct _DEVOBJ_EXTENSION *)(d + 1);
	d->DriverObject = DriverObject;
	d->DeviceType = DeviceType;
	d->Characteristics = DeviceCharacteristics;
	d->StackSize = 1;
	d->Flags = DO_DEVICE_INITIALIZING;
	d->DeviceObjectExtension = x;
	d->DeviceExtension = DeviceExtensionSize ? (PUCHAR)d + off : NULL;
	x->dev = d;
	x->drv = drv;
	for (tail = &DriverObject->DeviceObject; *tail; tail = &(*tail)->NextDevice)
		n++;
	name_from(x->name, sizeof(x->name), DeviceName, drv, n);
	if (pnp__obj_add(d, PNP_OBJ_DEVICE)) {
		free(d);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	*tail = d;
	*DeviceObject = d;
	log_debug(PNP_LOG, "%s: device %s created", drv->name, x->name);
	return STATUS_SUCCESS;
}

static void free_device(PDEVICE_OBJECT d)
{
	log_debug(PNP_LOG, "%s: device %s deleted", pnp__devext(d)->drv->name, pnp__devext(d)->name);
	pnp__obj_remove(d);
	free(d);
}

/*
 * Windows keeps a deleted device's memory while it is referenced -- here,
 * while a device is still attached above it (a bus driver deletes a PDO in
 * its IRP_MN_REMOVE_DEVICE before the function driver above detaches): the
 * object is then freed by the IoDetachDevice that lets go of it.
 */
WDM_EXPORT VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
	struct _DEVOBJ_EXTENSION *x;
	PDEVICE_OBJECT *pp;

	if (!pnp__obj_check(DeviceObject, PNP_OBJ_DEVICE, "IoDeleteDevice"))
		return;
	x = pnp__devext(DeviceObject);
	if (x->delete_pending) {
		pnp__driver_bug("IoDeleteDevice(%s) twice", x->name);
		return;
	}
	if (x->attached_to) {
		pnp__driver_bug("IoDeleteDevice(%s) while still attached (IoDetachDevice first); detaching", x->name);
		x->attached_to->AttachedDevice = NULL;
		x->attached_to = NULL;
	}
	if (x->dn && x->dn->pdo == DeviceObject)
		pnp__devnode_pdo_deleted(x->dn);
	x->dn = NULL;
	for (pp = &DeviceObject->DriverObject->DeviceObject; *pp; pp = &(*pp)->NextDevice)
		if (*pp == DeviceObject) {
			*pp = DeviceObject->NextDevice;
			break;
		}
	if (DeviceObject->AttachedDevice) {
		x->delete_pending = true;
		log_debug(PNP_LOG, "%s: device %s deleted while %s is attached; freed when it detaches", x->drv->name,
			  x->name, pnp__devext(DeviceObject->AttachedDevice)->name);
		return;
	}
	free_device(DeviceObject);
}

WDM_EXPORT PDEVICE_OBJECT IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject)
{
	if (!pnp__obj_check(DeviceObject, PNP_OBJ_DEVICE, "IoGetAttachedDevice"))
		return NULL;
	while (DeviceObject->AttachedDevice)
		DeviceObject = DeviceObject->AttachedDevice;
	return DeviceObject;
}

PDEVICE_OBJECT pnp__stack_bottom(PDEVICE_OBJECT dev)
{
	while (pnp__devext(dev)->attached_to)
		dev = pnp__devext(dev)->attached_to;
	return dev;
}

WDM_EXPORT PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)
{
	struct _DEVOBJ_EXTENSION *sx;
	PDEVICE_OBJECT top;

	if (!pnp__obj_check(SourceDevice, PNP_OBJ_DEVICE, "IoAttachDeviceToDeviceStack") ||
	    !pnp__obj_check(TargetDevice, PNP_OBJ_DEVICE, "IoAttachDeviceToDeviceStack"))
		return NULL;
	sx = pnp__devext(SourceDevice);
	if (sx->attached_to || SourceDevice->AttachedDevice) {
		pnp__driver_bug("IoAttachDeviceToDeviceStack: %s is already in a stack", sx->name);
		return NULL;
	}
	top = IoGetAttachedDevice(TargetDevice);
	if (top == SourceDevice || pnp__devext(top)->delete_pending)
		return NULL;
	if (top->StackSize >= IOVLAB_IRP_MAX_STACK) {
		pnp__driver_bug("IoAttachDeviceToDeviceStack: the stack of %s is %d deep already (limit %d)",
				pnp__devext(top)->name, top->StackSize, IOVLAB_IRP_MAX_STACK);
		return NULL;
	}
	top->AttachedDevice = SourceDevice;
	sx->attached_to = top;
	sx->dn = pnp__devext(top)->dn;
	SourceDevice->StackSize = (CHAR)(top->StackSize + 1);
	log_debug(PNP_LOG, "%s attached on %s (stack size %d)", sx->name, pnp__devext(top)->name,
		  SourceDevice->StackSize);
	return top;
}

WDM_EXPORT VOID IoDetachDevice(PDEVICE_OBJECT TargetDevice)
{
	PDEVICE_OBJECT above;

	if (!pnp__obj_check(TargetDevice, PNP_OBJ_DEVICE, "IoDetachDevice"))
		return;
	above = TargetDevice->AttachedDevice;
	if (!above) {
		pnp__driver_bug("IoDetachDevice(%s): nothing is attached to it", pnp__devext(TargetDevice)->name);
		return;
	}
	pnp__devext(above)->attached_to = NULL;
	TargetDevice->AttachedDevice = NULL;
	if (pnp__devext(TargetDevice)->delete_pending)
		free_device(TargetDevice);
}

WDM_EXPORT VOID IoInvalidateDeviceRelations(PDEVICE_OBJECT DeviceObject, DEVICE_RELATION_TYPE Type)
{
	struct _DEVOBJ_EXTENSION *x;

	if (!pnp__obj_check(DeviceObject, PNP_OBJ_DEVICE, "IoInvalidateDeviceRelations"))
		return;
	x = pnp__devext(DeviceObject);
	if (!x->dn || x->dn->pdo != DeviceObject) {
		pnp__driver_bug("IoInvalidateDeviceRelations(%s): not the PDO of a device node (pass the PDO)", x->name);
		return;
	}
	if (Type != BusRelations) {
		log_debug(PNP_LOG, "IoInvalidateDeviceRelations(%s, %d): only bus relations are acted on", x->name,
			  (int)Type);
		return;
	}
	pnp__relations_invalidated(x->dn);
}
