/*
 * The I/O manager's IRP rules (src/pnp/api_irp.c, api_device.c), with
 * three small drivers written the WDM way inside the test: a filter on top
 * of a function driver on top of a bus driver's PDO. Each test sets how each
 * layer treats the IRP -- forward with IoSkipCurrentIrpStackLocation,
 * forward with IoCopyCurrentIrpStackLocationToNext and a completion routine,
 * swallow, pend -- and checks what reached which driver, which completion
 * routines ran in which order with which device object, what status and
 * PendingReturned the originator saw, and that rule breaks (no stack
 * location left, completing twice, a foreign pointer) are refused and
 * counted, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/log.h"
#include "pnp/pnp.h"

enum how {
	FWD_SKIP,	/* IoSkipCurrentIrpStackLocation + IoCallDriver */
	FWD_COPY,	/* IoCopyCurrentIrpStackLocationToNext + routine + IoCallDriver */
	FWD_RAW,	/* IoCallDriver without skipping or copying (a driver bug) */
	SWALLOW,	/* complete with STATUS_NOT_SUPPORTED, do not forward */
	ANSWER,		/* (PDO) answer STATUS_SUCCESS */
	PEND,		/* (PDO) IoMarkIrpPending, keep it, STATUS_PENDING */
	DEFAULT,	/* (PDO) complete with the status the IRP carries */
};

struct layer {
	enum how how;
	unsigned calls;
	NTSTATUS routine_ret;		/* what its completion routine returns */
	BOOLEAN on_success, on_error;
	PDEVICE_OBJECT dev;
};

static struct {
	struct pnp_manager *pm;
	PDRIVER_OBJECT drv_bus, drv_fn, drv_flt;
	PDEVICE_OBJECT pdo, fdo, flt;
	struct layer bus, fn, flt_l;
	char order[16];			/* completion routines, in call order: 'F' fn, 'T' filter, 'O' originator */
	unsigned n_order;
	PDEVICE_OBJECT routine_dev[4];	/* DeviceObject each routine got */
	BOOLEAN pending_seen[4];	/* Irp->PendingReturned in each routine */
	PIRP held;			/* what the PDO pended */
	NTSTATUS orig_status;
	BOOLEAN orig_pending;
	unsigned cancel_calls;
} T;

static struct layer *layer_of(PDEVICE_OBJECT d)
{
	return d == T.pdo ? &T.bus : d == T.fdo ? &T.fn : &T.flt_l;
}

static void note(char who, PDEVICE_OBJECT dev, PIRP irp)
{
	if (T.n_order < 4) {
		T.routine_dev[T.n_order] = dev;
		T.pending_seen[T.n_order] = irp->PendingReturned;
	}
	if (T.n_order + 1 < sizeof(T.order))
		T.order[T.n_order++] = who;
}

static NTSTATUS layer_routine(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
	struct layer *l = ctx;

	note(l == &T.fn ? 'F' : 'T', dev, irp);
	if (irp->PendingReturned)
		IoMarkIrpPending(irp);	/* the rule for a routine that lets completion go on */
	return l->routine_ret;
}

static VOID cancel_routine(PDEVICE_OBJECT dev, PIRP irp)
{
	(void)dev;
	IoReleaseCancelSpinLock(irp->CancelIrql);
	T.cancel_calls++;
	T.held = NULL;
	irp->IoStatus.Status = STATUS_CANCELLED;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
}

static NTSTATUS dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
	struct layer *l = layer_of(dev);
	PDEVICE_OBJECT lower = dev == T.flt ? T.fdo : T.pdo;
	NTSTATUS st;

	l->calls++;
	switch (l->how) {
	case FWD_SKIP:
		IoSkipCurrentIrpStackLocation(irp);
		return IoCallDriver(lower, irp);
	case FWD_COPY:
		IoCopyCurrentIrpStackLocationToNext(irp);
		IoSetCompletionRoutine(irp, layer_routine, l, l->on_success, l->on_error, TRUE);
		return IoCallDriver(lower, irp);
	case FWD_RAW:
		return IoCallDriver(lower, irp);
	case SWALLOW:
		irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
		IoCompleteRequest(irp, IO_NO_INCREMENT);
		return STATUS_NOT_SUPPORTED;
	case ANSWER:
		irp->IoStatus.Status = STATUS_SUCCESS;
		irp->IoStatus.Information = 42;
		IoCompleteRequest(irp, IO_NO_INCREMENT);
		return STATUS_SUCCESS;
	case PEND:
		IoMarkIrpPending(irp);
		(void)IoSetCancelRoutine(irp, cancel_routine);
		T.held = irp;
		return STATUS_PENDING;
	case DEFAULT:
	default:
		st = irp->IoStatus.Status;
		IoCompleteRequest(irp, IO_NO_INCREMENT);
		return st;
	}
}

static NTSTATUS init_driver(PDRIVER_OBJECT d, void *ctx)
{
	(void)ctx;
	for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
		d->MajorFunction[i] = dispatch;
	d->MajorFunction[IRP_MJ_CREATE] = NULL;	/* unhandled major: the I/O manager refuses it */
	return STATUS_SUCCESS;
}

static NTSTATUS orig_routine(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
	(void)ctx;
	note('O', dev, irp);
	T.orig_status = irp->IoStatus.Status;
	T.orig_pending = irp->PendingReturned;
	IoFreeIrp(irp);
	return STATUS_MORE_PROCESSING_REQUIRED;
}

static int setup(void **state)
{
	(void)state;
	log_configure("none", NULL, 0);
	memset(&T, 0, sizeof(T));
	T.pm = pnp_manager_create("irp");
	assert_int_equal(pnp_driver_create(T.pm, "bus", init_driver, NULL, &T.drv_bus), 0);
	assert_int_equal(pnp_driver_create(T.pm, "fn", init_driver, NULL, &T.drv_fn), 0);
	assert_int_equal(pnp_driver_create(T.pm, "flt", init_driver, NULL, &T.drv_flt), 0);
	assert_int_equal(IoCreateDevice(T.drv_bus, 0, NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &T.pdo), STATUS_SUCCESS);
	assert_int_equal(IoCreateDevice(T.drv_fn, 16, NULL, FILE_DEVICE_PHYSICAL_NETCARD, 0, FALSE, &T.fdo), STATUS_SUCCESS);
	assert_int_equal(IoCreateDevice(T.drv_flt, 0, NULL, FILE_DEVICE_PHYSICAL_NETCARD, 0, FALSE, &T.flt), STATUS_SUCCESS);
	assert_ptr_equal(IoAttachDeviceToDeviceStack(T.fdo, T.pdo), T.pdo);
	assert_ptr_equal(IoAttachDeviceToDeviceStack(T.flt, T.pdo), T.fdo);	/* lands on the top */
	assert_int_equal(T.pdo->StackSize, 1);
	assert_int_equal(T.fdo->StackSize, 2);
	assert_int_equal(T.flt->StackSize, 3);
	assert_ptr_equal(IoGetAttachedDevice(T.pdo), T.flt);
	assert_non_null(T.fdo->DeviceExtension);
	assert_null(T.pdo->DeviceExtension);
	T.bus.routine_ret = T.fn.routine_ret = T.flt_l.routine_ret = STATUS_CONTINUE_COMPLETION;
	T.fn.on_success = T.fn.on_error = T.flt_l.on_success = T.flt_l.on_error = TRUE;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	IoDetachDevice(T.fdo);
	IoDetachDevice(T.pdo);
	IoDeleteDevice(T.flt);
	IoDeleteDevice(T.fdo);
	IoDeleteDevice(T.pdo);
	pnp_manager_destroy(T.pm);
	return 0;
}

/* A query-interface IRP from the test (the originator) to the top of the stack. */
static PIRP query_irp(void)
{
	PIRP irp = pnp_build_pnp_irp(T.flt, IRP_MN_QUERY_INTERFACE);

	assert_non_null(irp);
	assert_int_equal(irp->IoStatus.Status, STATUS_NOT_SUPPORTED);
	return irp;
}

static NTSTATUS send_with_routine(PIRP irp)
{
	IoSetCompletionRoutine(irp, orig_routine, NULL, TRUE, TRUE, TRUE);
	return IoCallDriver(T.flt, irp);
}

static void test_forwarded_reaches_pdo(void **state)
{
	ULONG_PTR info;

	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_COPY;
	T.bus.how = ANSWER;
	assert_int_equal(pnp_call_sync(T.flt, query_irp(), &info), STATUS_SUCCESS);
	assert_int_equal(info, 42);
	assert_int_equal(T.bus.calls, 1);
	/* Only the function driver set a routine; it ran with its own device. */
	assert_int_equal(T.n_order, 1);
	assert_int_equal(T.order[0], 'F');
	assert_ptr_equal(T.routine_dev[0], T.fdo);
	assert_false(T.pending_seen[0]);
}

static void test_swallowed_never_reaches_pdo(void **state)
{
	(void)state;
	T.flt_l.how = FWD_COPY;
	T.fn.how = SWALLOW;
	T.bus.how = ANSWER;
	assert_int_equal(send_with_routine(query_irp()), STATUS_NOT_SUPPORTED);
	assert_int_equal(T.fn.calls, 1);
	assert_int_equal(T.bus.calls, 0);
	assert_int_equal(T.orig_status, STATUS_NOT_SUPPORTED);
	/* Filter routine first (device: the filter), then the originator (NULL). */
	assert_int_equal(T.n_order, 2);
	assert_memory_equal(T.order, "TO", 2);
	assert_ptr_equal(T.routine_dev[0], T.flt);
	assert_null(T.routine_dev[1]);
}

static void test_pdo_default_keeps_status(void **state)
{
	PIRP irp;

	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_SKIP;
	T.bus.how = DEFAULT;
	/* Nobody handles it: STATUS_NOT_SUPPORTED comes back unchanged. */
	assert_int_equal(pnp_call_sync(T.flt, query_irp(), NULL), STATUS_NOT_SUPPORTED);
	/* An upper driver that handled it sets success before passing it down;
	 * the PDO must not undo that. */
	irp = query_irp();
	irp->IoStatus.Status = STATUS_SUCCESS;
	assert_int_equal(pnp_call_sync(T.flt, irp, NULL), STATUS_SUCCESS);
	assert_int_equal(T.bus.calls, 2);
}

static void test_routine_conditions(void **state)
{
	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_COPY;
	T.fn.on_success = FALSE;	/* errors only */
	T.bus.how = ANSWER;
	assert_int_equal(pnp_call_sync(T.flt, query_irp(), NULL), STATUS_SUCCESS);
	assert_int_equal(T.n_order, 0);
	T.bus.how = DEFAULT;
	assert_int_equal(pnp_call_sync(T.flt, query_irp(), NULL), STATUS_NOT_SUPPORTED);
	assert_int_equal(T.n_order, 1);
}

static void test_pending_and_later_completion(void **state)
{
	PIRP irp;

	(void)state;
	T.flt_l.how = FWD_COPY;
	T.fn.how = FWD_SKIP;
	T.bus.how = PEND;
	irp = query_irp();
	assert_int_equal(send_with_routine(irp), STATUS_PENDING);
	assert_ptr_equal(T.held, irp);
	assert_int_equal(T.n_order, 0);
	/* The bus completes it later: routines run bottom-up and all see
	 * PendingReturned, carried up through the skipping function driver. */
	T.held->IoStatus.Status = STATUS_SUCCESS;
	(void)IoSetCancelRoutine(T.held, NULL);
	IoCompleteRequest(T.held, IO_NO_INCREMENT);
	assert_int_equal(T.n_order, 2);
	assert_memory_equal(T.order, "TO", 2);
	assert_true(T.pending_seen[0]);
	assert_true(T.orig_pending);
	assert_int_equal(T.orig_status, STATUS_SUCCESS);
}

static void test_more_processing_required(void **state)
{
	PIRP irp;
	struct pnp_stats st0, st1;

	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_COPY;
	T.fn.routine_ret = STATUS_MORE_PROCESSING_REQUIRED;
	T.bus.how = ANSWER;
	irp = query_irp();
	assert_int_equal(send_with_routine(irp), STATUS_SUCCESS);
	/* The function driver took the IRP back: the originator has not seen it. */
	assert_int_equal(T.n_order, 1);
	assert_int_equal(T.order[0], 'F');
	/* ... until it completes it again from its own location. */
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	assert_int_equal(T.n_order, 2);
	assert_int_equal(T.order[1], 'O');
	assert_int_equal(T.orig_status, STATUS_SUCCESS);
	/* Completing an IRP nobody holds any more is refused. */
	pnp_get_stats(&st0);
	irp = IoAllocateIrp(1, FALSE);
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	pnp_get_stats(&st1);
	assert_int_equal(st1.driver_bugs, st0.driver_bugs + 1);
	IoFreeIrp(irp);
}

static void test_cancel(void **state)
{
	PIRP irp;

	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_SKIP;
	T.bus.how = PEND;
	irp = query_irp();
	assert_int_equal(send_with_routine(irp), STATUS_PENDING);
	assert_true(IoCancelIrp(irp));
	assert_int_equal(T.cancel_calls, 1);
	assert_int_equal(T.orig_status, STATUS_CANCELLED);
	/* Without a cancel routine there is nothing to call. */
	irp = IoAllocateIrp(1, FALSE);
	assert_false(IoCancelIrp(irp));
	assert_true(irp->Cancel);
	IoFreeIrp(irp);
}

static void test_no_stack_location_left(void **state)
{
	struct pnp_stats st0, st1;
	PIRP irp;

	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_RAW;
	T.bus.how = ANSWER;
	/* One location (built for the PDO alone), sent to the filter: the
	 * function driver forwards without skipping, so the PDO finds no
	 * location left (bugcheck 0x35 on Windows). */
	irp = pnp_build_pnp_irp(T.pdo, IRP_MN_QUERY_INTERFACE);
	pnp_get_stats(&st0);
	IoSetCompletionRoutine(irp, orig_routine, NULL, TRUE, TRUE, TRUE);
	assert_int_equal(IoCallDriver(T.flt, irp), STATUS_INVALID_PARAMETER);
	pnp_get_stats(&st1);
	assert_int_equal(st1.stack_overflows, st0.stack_overflows + 1);
	assert_int_equal(T.bus.calls, 0);
	/* The refusal left the IRP with the function driver, which completes it. */
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	assert_int_equal(T.orig_status, STATUS_NOT_SUPPORTED);
}

static void test_rule_breaks_refused(void **state)
{
	struct pnp_stats st0, st1;
	char junk[sizeof(IRP)] = { 0 };
	PIRP irp;

	(void)state;
	pnp_get_stats(&st0);
	assert_int_equal(IoCallDriver(T.flt, (PIRP)junk), STATUS_INVALID_PARAMETER);
	assert_int_equal(IoCallDriver((PDEVICE_OBJECT)junk, NULL), STATUS_INVALID_PARAMETER);
	IoCompleteRequest((PIRP)junk, IO_NO_INCREMENT);
	IoDetachDevice(T.flt);	/* nothing above the filter */
	assert_null(IoAllocateIrp(0, FALSE));
	assert_null(IoAllocateIrp(IOVLAB_IRP_MAX_STACK + 1, FALSE));
	pnp_get_stats(&st1);
	assert_true(st1.bad_objects >= st0.bad_objects + 3);
	assert_true(st1.driver_bugs >= st0.driver_bugs + 3);
	/* A major function the driver has no dispatch for. */
	irp = IoAllocateIrp(T.flt->StackSize, FALSE);
	IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_CREATE;
	assert_int_equal(pnp_call_sync(T.flt, irp, NULL), STATUS_INVALID_DEVICE_REQUEST);
	/* STATUS_PENDING as a completion status is a bug; it is turned into a failure. */
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_SKIP;
	T.bus.how = DEFAULT;
	irp = query_irp();
	irp->IoStatus.Status = STATUS_PENDING;
	assert_int_equal(pnp_call_sync(T.flt, irp, NULL), STATUS_UNSUCCESSFUL);
}

static void test_device_io_control_request(void **state)
{
	IO_STATUS_BLOCK iosb;
	KEVENT ev;
	UCHAR in[4] = { 1, 2, 3, 4 }, out[8];
	struct pnp_stats st0, st1;
	PIRP irp;
	NTSTATUS st;

	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.fn.how = FWD_COPY;
	T.bus.how = ANSWER;
	KeInitializeEvent(&ev, NotificationEvent, FALSE);
	pnp_get_stats(&st0);
	irp = IoBuildDeviceIoControlRequest(CTL_CODE(FILE_DEVICE_BUS_EXTENDER, 9, METHOD_NEITHER, FILE_ANY_ACCESS),
					    T.flt, in, sizeof(in), out, sizeof(out), TRUE, &ev, &iosb);
	assert_non_null(irp);
	assert_int_equal(IoGetNextIrpStackLocation(irp)->MajorFunction, IRP_MJ_INTERNAL_DEVICE_CONTROL);
	assert_ptr_equal(IoGetNextIrpStackLocation(irp)->Parameters.DeviceIoControl.Type3InputBuffer, in);
	assert_ptr_equal(irp->UserBuffer, out);
	st = IoCallDriver(T.flt, irp);
	assert_int_equal(st, STATUS_SUCCESS);
	/* The I/O manager filled the status block, set the event, freed the IRP. */
	assert_int_equal(iosb.Status, STATUS_SUCCESS);
	assert_int_equal(iosb.Information, 42);
	assert_int_equal(KeReadStateEvent(&ev), 1);
	assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
	pnp_get_stats(&st1);
	assert_int_equal(st1.irps_allocated - st0.irps_allocated, st1.irps_freed - st0.irps_freed);
	/* A wait nobody can end returns instead of hanging. */
	KeClearEvent(&ev);
	assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_TIMEOUT);
	/* METHOD_BUFFERED: a system buffer with the input; output copied back. */
	irp = IoBuildDeviceIoControlRequest(CTL_CODE(FILE_DEVICE_BUS_EXTENDER, 10, METHOD_BUFFERED, FILE_ANY_ACCESS),
					    T.flt, in, sizeof(in), out, 2, FALSE, NULL, &iosb);
	assert_non_null(irp->AssociatedIrp.SystemBuffer);
	assert_memory_equal(irp->AssociatedIrp.SystemBuffer, in, 4);
	memset(out, 0, sizeof(out));
	assert_int_equal(IoCallDriver(T.flt, irp), STATUS_SUCCESS);
	assert_memory_equal(out, in, 2);	/* Information 42, capped at the output length */
	assert_int_equal(out[2], 0);
	/* Sent the lab's way (pnp_call_sync), the caller still gets its output. */
	memset(&iosb, 0, sizeof(iosb));
	memset(out, 0, sizeof(out));
	irp = IoBuildDeviceIoControlRequest(CTL_CODE(FILE_DEVICE_BUS_EXTENDER, 10, METHOD_BUFFERED, FILE_ANY_ACCESS),
					    T.flt, in, sizeof(in), out, 3, FALSE, NULL, &iosb);
	assert_int_equal(pnp_call_sync(T.flt, irp, NULL), STATUS_SUCCESS);
	assert_memory_equal(out, in, 3);
	assert_int_equal(iosb.Information, 42);
}

static NTSTATUS forward_sync_dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
	BOOLEAN ok;
	NTSTATUS st;

	T.fn.calls++;
	ok = IoForwardIrpSynchronously(T.pdo, irp);
	assert_true(ok);
	assert_ptr_equal(IoGetCurrentIrpStackLocation(irp)->DeviceObject, dev);
	st = irp->IoStatus.Status;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

static void test_forward_synchronously(void **state)
{
	(void)state;
	T.flt_l.how = FWD_SKIP;
	T.bus.how = ANSWER;
	T.drv_fn->MajorFunction[IRP_MJ_PNP] = forward_sync_dispatch;
	assert_int_equal(pnp_call_sync(T.flt, query_irp(), NULL), STATUS_SUCCESS);
	assert_int_equal(T.bus.calls, 1);
	T.drv_fn->MajorFunction[IRP_MJ_PNP] = dispatch;
}

static void test_pool_and_dbgprint(void **state)
{
	PVOID p;

	(void)state;
	p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 0x74736554);
	assert_non_null(p);
	ExFreePoolWithTag(p, 0x74736554);
	ExFreePool(NULL);	/* refused, logged */
	assert_int_equal(DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "%s %d\n", "hello", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forwarded_reaches_pdo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swallowed_never_reaches_pdo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdo_default_keeps_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routine_conditions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_and_later_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_processing_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_stack_location_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_breaks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_io_control_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forward_synchronously, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_and_dbgprint, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
