/*
 * IRPs: IoAllocateIrp / IoFreeIrp / IoReuseIrp, IoCallDriver,
 * IoCompleteRequest, IoCancelIrp, IoBuildDeviceIoControlRequest and
 * IoForwardIrpSynchronously, with the I/O manager's semantics
 * (kernel/handling-irps; the completion walk follows the Windows Research
 * Kernel's IopfCompleteRequest): IoCallDriver moves to the next stack
 * location and calls the device's driver through MajorFunction[];
 * IoCompleteRequest walks the locations back up, calling each completion
 * routine whose SL_INVOKE_ON_* condition holds (with the device object of
 * the driver that set it, NULL for the originator), stops at
 * STATUS_MORE_PROCESSING_REQUIRED, and, where no routine runs, carries
 * SL_PENDING_RETURNED up so PendingReturned is right at every level. Rule
 * breaks Windows answers with a bugcheck (no stack location left,
 * completing an IRP twice or with STATUS_PENDING, a cancel routine still
 * set) are counted and logged on lab.pnp and refused; the guest goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnp/pnp_int.h"

struct pnp_irp {
	IRP irp;		/* first: a PIRP from IoAllocateIrp is a struct pnp_irp * */
	bool threaded;		/* IoBuildDeviceIoControlRequest: the I/O manager frees it */
	PVOID sysbuf;		/* METHOD_BUFFERED copy */
	PVOID user_out;
	ULONG out_len;
};

static const char *const pnp_minor_names[] = {
	"START_DEVICE", "QUERY_REMOVE_DEVICE", "REMOVE_DEVICE", "CANCEL_REMOVE_DEVICE", "STOP_DEVICE",
	"QUERY_STOP_DEVICE", "CANCEL_STOP_DEVICE", "QUERY_DEVICE_RELATIONS", "QUERY_INTERFACE",
	"QUERY_CAPABILITIES", "QUERY_RESOURCES", "QUERY_RESOURCE_REQUIREMENTS", "QUERY_DEVICE_TEXT",
	"FILTER_RESOURCE_REQUIREMENTS", "0x0e", "READ_CONFIG", "WRITE_CONFIG", "EJECT", "SET_LOCK", "QUERY_ID",
	"QUERY_PNP_DEVICE_STATE", "QUERY_BUS_INFORMATION", "DEVICE_USAGE_NOTIFICATION", "SURPRISE_REMOVAL",
};

/* "IRP_MN_QUERY_INTERFACE", "IRP_MJ_INTERNAL_DEVICE_CONTROL(0x2ac007)" (for logs). */
static const char *irp_name(const IO_STACK_LOCATION *sl, char *buf, size_t len)
{
	switch (sl->MajorFunction) {
	case IRP_MJ_PNP:
		if (sl->MinorFunction < sizeof(pnp_minor_names) / sizeof(pnp_minor_names[0]))
			snprintf(buf, len, "IRP_MN_%s", pnp_minor_names[sl->MinorFunction]);
		else
			snprintf(buf, len, "IRP_MJ_PNP(0x%x)", sl->MinorFunction);
		break;
	case IRP_MJ_INTERNAL_DEVICE_CONTROL:
		snprintf(buf, len, "IRP_MJ_INTERNAL_DEVICE_CONTROL(0x%x)", sl->Parameters.DeviceIoControl.IoControlCode);
		break;
	case IRP_MJ_DEVICE_CONTROL:
		snprintf(buf, len, "IRP_MJ_DEVICE_CONTROL(0x%x)", sl->Parameters.DeviceIoControl.IoControlCode);
		break;
	default:
		snprintf(buf, len, "IRP_MJ(0x%x)", sl->MajorFunction);
		break;
	}
	return buf;
}

static const char *dev_name(PDEVICE_OBJECT d)
{
	struct _DEVOBJ_EXTENSION *x = d ? pnp__devext(d) : NULL;

	return x && x->name[0] ? x->name : "?";
}

/* ---- allocation ----------------------------------------------------------- */
static void irp_init(PIRP irp, CCHAR stack)
{
	memset(irp, 0, sizeof(*irp));
	irp->StackCount = stack;
	irp->CurrentLocation = (CHAR)(stack + 1);
}

WDM_EXPORT PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
	struct pnp_irp *pi;

	(void)ChargeQuota;
	if (StackSize < 1 || StackSize > IOVLAB_IRP_MAX_STACK) {
		pnp__driver_bug("IoAllocateIrp(%d): stack size must be 1..%d", StackSize, IOVLAB_IRP_MAX_STACK);
		return NULL;
	}
	pi = calloc(1, sizeof(*pi));
	if (!pi)
		return NULL;
	irp_init(&pi->irp, StackSize);
	if (pnp__obj_add(&pi->irp, PNP_OBJ_IRP)) {
		free(pi);
		return NULL;
	}
	pnp__stats.irps_allocated++;
	return &pi->irp;
}

WDM_EXPORT VOID IoFreeIrp(PIRP Irp)
{
	struct pnp_irp *pi = (struct pnp_irp *)Irp;

	if (!pnp__obj_check(Irp, PNP_OBJ_IRP, "IoFreeIrp"))
		return;
	pnp__obj_remove(Irp);
	free(pi->sysbuf);
	free(pi);
	pnp__stats.irps_freed++;
}

WDM_EXPORT VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)
{
	struct pnp_irp *pi = (struct pnp_irp *)Irp;
	CCHAR stack;

	if (!pnp__obj_check(Irp, PNP_OBJ_IRP, "IoReuseIrp"))
		return;
	stack = Irp->StackCount;
	free(pi->sysbuf);
	pi->sysbuf = NULL;
	irp_init(Irp, stack);
	Irp->IoStatus.Status = Iostatus;
}

/* ---- IoCallDriver ------------------------------------------------------------ */
static NTSTATUS invalid_request(PDEVICE_OBJECT dev, PIRP irp)
{
	(void)dev;
	irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
	irp->IoStatus.Information = 0;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return STATUS_INVALID_DEVICE_REQUEST;
}

/* IoCallDriver; *refused when the call never reached a driver (the IRP is untouched). */
static NTSTATUS call_driver(PDEVICE_OBJECT dev, PIRP irp, bool *refused)
{
	PIO_STACK_LOCATION sl;
	PDRIVER_DISPATCH disp;
	NTSTATUS st;
	char name[64];

	*refused = true;
	if (!pnp__obj_check(irp, PNP_OBJ_IRP, "IoCallDriver") || !pnp__obj_check(dev, PNP_OBJ_DEVICE, "IoCallDriver"))
		return STATUS_INVALID_PARAMETER;
	if (irp->CurrentLocation <= 1 || irp->CurrentLocation > irp->StackCount + 1) {
		pnp__stats.stack_overflows++;
		log_warn(PNP_LOG, "IoCallDriver(%s): the IRP has no stack location left for it (StackCount %d, "
			 "device StackSize %d): refused (bugcheck 0x35 NO_MORE_IRP_STACK_LOCATIONS on Windows)",
			 dev_name(dev), irp->StackCount, dev->StackSize);
		return STATUS_INVALID_PARAMETER;
	}
	*refused = false;
	irp->CurrentLocation--;
	sl = IoGetCurrentIrpStackLocation(irp);
	sl->DeviceObject = dev;
	if (sl->MajorFunction > IRP_MJ_MAXIMUM_FUNCTION || !(disp = dev->DriverObject->MajorFunction[sl->MajorFunction]))
		disp = invalid_request;
	log_trace(PNP_LOG_IRP, "IRP %p %s -> %s", (void *)irp, irp_name(sl, name, sizeof(name)), dev_name(dev));
	st = disp(dev, irp);
	/* Still at this location (not completed meanwhile) and pended unmarked? */
	if (st == STATUS_PENDING && pnp__obj_kind(irp) == PNP_OBJ_IRP && irp->CurrentLocation <= irp->StackCount &&
	    &irp->Stack[irp->CurrentLocation - 1] == sl && !(sl->Control & SL_PENDING_RETURNED))
		pnp__driver_bug("%s returned STATUS_PENDING for %s without IoMarkIrpPending", dev_name(dev),
				irp_name(sl, name, sizeof(name)));
	return st;
}

WDM_EXPORT NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	bool refused;

	return call_driver(DeviceObject, Irp, &refused);
}

/* ---- IoCompleteRequest -------------------------------------------------------- */
/* What the I/O manager hands the originator: buffered output, status block, event. */
static void originator_results(PIRP irp)
{
	struct pnp_irp *pi = (struct pnp_irp *)irp;

	if (pi->sysbuf && pi->user_out && NT_SUCCESS(irp->IoStatus.Status)) {
		ULONG_PTR n = irp->IoStatus.Information;

		memcpy(pi->user_out, pi->sysbuf, n < pi->out_len ? n : pi->out_len);
	}
	if (irp->UserIosb)
		*irp->UserIosb = irp->IoStatus;
	if (irp->UserEvent)
		KeSetEvent(irp->UserEvent, IO_NO_INCREMENT, FALSE);
}

static void originator_done(PIRP irp)
{
	struct pnp_irp *pi = (struct pnp_irp *)irp;

	originator_results(irp);
	if (pi->threaded) {
		IoFreeIrp(irp);
		return;
	}
	pnp__driver_bug("IRP %p completed past its originator: an IRP from IoAllocateIrp needs a completion routine "
			"that returns STATUS_MORE_PROCESSING_REQUIRED (and frees or reuses it)", (void *)irp);
}

WDM_EXPORT VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
	PIO_STACK_LOCATION sl;
	char name[64];

	(void)PriorityBoost;
	if (!pnp__obj_check(Irp, PNP_OBJ_IRP, "IoCompleteRequest"))
		return;
	if (Irp->CurrentLocation > Irp->StackCount) {
		pnp__driver_bug("IoCompleteRequest on IRP %p that no driver holds (completed twice?): ignored "
				"(bugcheck 0x44 MULTIPLE_IRP_COMPLETE_REQUESTS on Windows)", (void *)Irp);
		return;
	}
	sl = IoGetCurrentIrpStackLocation(Irp);
	if (Irp->IoStatus.Status == STATUS_PENDING) {
		pnp__driver_bug("%s completed %s with STATUS_PENDING; completing it with STATUS_UNSUCCESSFUL",
				dev_name(sl->DeviceObject), irp_name(sl, name, sizeof(name)));
		Irp->IoStatus.Status = STATUS_UNSUCCESSFUL;
	}
	if (Irp->CancelRoutine) {
		pnp__driver_bug("%s completed %s with its cancel routine still set (IoSetCancelRoutine(Irp, NULL) "
				"first)", dev_name(sl->DeviceObject), irp_name(sl, name, sizeof(name)));
		Irp->CancelRoutine = NULL;
	}
	log_trace(PNP_LOG_IRP, "IRP %p %s completed by %s: 0x%x", (void *)Irp, irp_name(sl, name, sizeof(name)),
		  dev_name(sl->DeviceObject), (unsigned)Irp->IoStatus.Status);
	/* Walk from the completing driver's location up to the originator. */
	for (;;) {
		PIO_COMPLETION_ROUTINE routine = sl->CompletionRoutine;
		PVOID ctx = sl->Context;
		UCHAR control = sl->Control;
		bool error = !NT_SUCCESS(Irp->IoStatus.Status);

		Irp->CurrentLocation++;
		Irp->PendingReturned = (control & SL_PENDING_RETURNED) != 0;
		if (routine && ((!error && (control & SL_INVOKE_ON_SUCCESS)) || (error && (control & SL_INVOKE_ON_ERROR)) ||
				(Irp->Cancel && (control & SL_INVOKE_ON_CANCEL)))) {
			PDEVICE_OBJECT dev = Irp->CurrentLocation <= Irp->StackCount ?
						     IoGetCurrentIrpStackLocation(Irp)->DeviceObject : NULL;

			sl->Control = 0;
			sl->CompletionRoutine = NULL;
			sl->Context = NULL;
			if (routine(dev, Irp, ctx) == STATUS_MORE_PROCESSING_REQUIRED)
				return;	/* the routine's driver owns the IRP again */
		} else {
			sl->Control = 0;
			sl->CompletionRoutine = NULL;
			sl->Context = NULL;
			if (Irp->PendingReturned && Irp->CurrentLocation <= Irp->StackCount)
				IoMarkIrpPending(Irp);	/* carried to the upper location */
		}
		if (Irp->CurrentLocation > Irp->StackCount)
			break;
		sl = IoGetCurrentIrpStackLocation(Irp);
	}
	originator_done(Irp);
}

/* ---- cancel -------------------------------------------------------------------- */
WDM_EXPORT VOID IoAcquireCancelSpinLock(PKIRQL Irql)
{
	/* One thread runs the guest's drivers: nothing to exclude. */
	if (Irql)
		*Irql = DISPATCH_LEVEL;
}

WDM_EXPORT VOID IoReleaseCancelSpinLock(KIRQL Irql)
{
	(void)Irql;
}

WDM_EXPORT BOOLEAN IoCancelIrp(PIRP Irp)
{
	PDRIVER_CANCEL routine;
	PDEVICE_OBJECT dev = NULL;

	if (!pnp__obj_check(Irp, PNP_OBJ_IRP, "IoCancelIrp"))
		return FALSE;
	Irp->Cancel = TRUE;
	routine = IoSetCancelRoutine(Irp, NULL);
	if (!routine)
		return FALSE;
	if (Irp->CurrentLocation <= Irp->StackCount)
		dev = IoGetCurrentIrpStackLocation(Irp)->DeviceObject;
	IoAcquireCancelSpinLock(&Irp->CancelIrql);
	routine(dev, Irp);
	return TRUE;
}

/* ---- IRPs the I/O manager builds ------------------------------------------------ */
WDM_EXPORT PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer,
					      ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
					      BOOLEAN InternalDeviceIoControl, PKEVENT Event,
					      PIO_STATUS_BLOCK IoStatusBlock)
{
	struct pnp_irp *pi;
	PIO_STACK_LOCATION sl;
	PIRP irp;

	if (!pnp__obj_check(DeviceObject, PNP_OBJ_DEVICE, "IoBuildDeviceIoControlRequest"))
		return NULL;
	irp = IoAllocateIrp(DeviceObject->StackSize, FALSE);
	if (!irp)
		return NULL;
	pi = (struct pnp_irp *)irp;
	pi->threaded = true;
	irp->UserIosb = IoStatusBlock;
	irp->UserEvent = Event;
	sl = IoGetNextIrpStackLocation(irp);
	sl->MajorFunction = InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL;
	sl->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
	sl->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
	sl->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
	switch (IoControlCode & 3) {
	case METHOD_BUFFERED: {
		ULONG n = InputBufferLength > OutputBufferLength ? InputBufferLength : OutputBufferLength;

		if (n) {
			pi->sysbuf = calloc(1, n);
			if (!pi->sysbuf) {
				IoFreeIrp(irp);
				return NULL;
			}
			if (InputBuffer && InputBufferLength)
				memcpy(pi->sysbuf, InputBuffer, InputBufferLength);
		}
		irp->AssociatedIrp.SystemBuffer = pi->sysbuf;
		pi->user_out = OutputBuffer;
		pi->out_len = OutputBuffer ? OutputBufferLength : 0;
		break;
	}
	default:
		/* METHOD_NEITHER (and, without MDLs, the direct methods): the
		 * caller's buffers as they are. */
		sl->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
		irp->UserBuffer = OutputBuffer;
		break;
	}
	return irp;
}

struct fwd_sync {
	bool done;
	bool abandoned;
};

static NTSTATUS fwd_sync_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
	struct fwd_sync *f = ctx;

	(void)dev;
	(void)irp;
	if (f->abandoned) {
		/* The caller was told FALSE long ago; the IRP stays where it is. */
		free(f);
		return STATUS_MORE_PROCESSING_REQUIRED;
	}
	f->done = true;
	return STATUS_MORE_PROCESSING_REQUIRED;
}

WDM_EXPORT BOOLEAN IoForwardIrpSynchronously(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	struct fwd_sync *f;
	bool refused;

	if (!pnp__obj_check(Irp, PNP_OBJ_IRP, "IoForwardIrpSynchronously") ||
	    !pnp__obj_check(DeviceObject, PNP_OBJ_DEVICE, "IoForwardIrpSynchronously"))
		return FALSE;
	if (Irp->CurrentLocation <= 1)
		return FALSE;
	f = calloc(1, sizeof(*f));
	if (!f)
		return FALSE;
	IoCopyCurrentIrpStackLocationToNext(Irp);
	IoSetCompletionRoutine(Irp, fwd_sync_done, f, TRUE, TRUE, TRUE);
	(void)call_driver(DeviceObject, Irp, &refused);
	if (refused) {
		free(f);
		return FALSE;
	}
	if (!f->done) {
		pnp__stats.pending_abandoned++;
		log_error(PNP_LOG, "IoForwardIrpSynchronously: %s pended the IRP; iovlab's guest runs drivers on one "
			  "thread and cannot wait for it (returns FALSE)", dev_name(DeviceObject));
		f->abandoned = true;
		return FALSE;
	}
	free(f);
	return TRUE;
}

/* ---- lab originators ------------------------------------------------------------- */
struct call_sync {
	bool done;
	bool abandoned;
	NTSTATUS status;
	ULONG_PTR info;
};

static NTSTATUS call_sync_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
	struct call_sync *c = ctx;

	(void)dev;
	if (c->abandoned) {
		log_info(PNP_LOG, "IRP %p that was pended earlier completed with 0x%x; freed", (void *)irp,
			 (unsigned)irp->IoStatus.Status);
		free(c);
		IoFreeIrp(irp);
		return STATUS_MORE_PROCESSING_REQUIRED;
	}
	c->done = true;
	c->status = irp->IoStatus.Status;
	c->info = irp->IoStatus.Information;
	originator_results(irp);	/* an IoBuildDeviceIoControlRequest IRP's caller sees them too */
	return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS pnp_call_sync(PDEVICE_OBJECT target, PIRP irp, ULONG_PTR *information)
{
	struct call_sync *c;
	NTSTATUS st;
	bool refused;

	if (information)
		*information = 0;
	if (!pnp__obj_check(irp, PNP_OBJ_IRP, "pnp_call_sync"))
		return STATUS_INVALID_PARAMETER;
	c = calloc(1, sizeof(*c));
	if (!c) {
		IoFreeIrp(irp);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	IoSetCompletionRoutine(irp, call_sync_done, c, TRUE, TRUE, TRUE);
	st = call_driver(target, irp, &refused);
	if (refused) {
		free(c);
		IoFreeIrp(irp);
		return st;
	}
	if (!c->done) {
		pnp__stats.pending_abandoned++;
		log_warn(PNP_LOG, "%s pended an IRP the caller needs now (iovlab's guest runs drivers on one thread)",
			 dev_name(target));
		c->abandoned = true;
		return STATUS_PENDING;
	}
	st = c->status;
	if (information)
		*information = c->info;
	free(c);
	IoFreeIrp(irp);
	return st;
}

PIRP pnp_build_pnp_irp(PDEVICE_OBJECT target, UCHAR minor)
{
	PIO_STACK_LOCATION sl;
	PIRP irp;

	if (!pnp__obj_check(target, PNP_OBJ_DEVICE, "pnp_build_pnp_irp"))
		return NULL;
	irp = IoAllocateIrp(target->StackSize, FALSE);
	if (!irp)
		return NULL;
	irp->IoStatus.Status = STATUS_NOT_SUPPORTED;	/* every PnP IRP starts so (kernel/plug-and-play-minor-irps) */
	sl = IoGetNextIrpStackLocation(irp);
	sl->MajorFunction = IRP_MJ_PNP;
	sl->MinorFunction = minor;
	return irp;
}
