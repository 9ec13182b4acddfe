/*
 * The PnP manager (src/pnp/manager.c, driver.c): the device-node state
 * machine walked pair by pair, and the sequences on a small tree built by
 * drivers written in the test -- a root bus reports a PDO, a function
 * driver that is also a bus driver starts on it and reports child PDOs, a
 * leaf driver runs on each child. The IRPs every stack sees are recorded
 * in order, so the tests check what Windows does: IDs, AddDevice, START,
 * bus relations; graceful removal with QUERY_REMOVE (and the veto with
 * CANCEL_REMOVE); surprise removal; a child that vanishes from the
 * relations; START failure; no driver. A WDM package built as a .so
 * (wdm_test_driver.c + its INF) is installed, loaded and reads its device
 * parameters from the INF and from an override.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "pnp/pnp.h"

#define MAX_CHILDREN 4

enum kind { K_ROOT_PDO, K_BUS_FDO, K_CHILD_PDO, K_LEAF_FDO };

struct ext {
	enum kind kind;
	PDEVICE_OBJECT lower;
	unsigned index;
	char tag;		/* 'R' root PDO, 'B' bus FDO, 'c'/'d'.. child PDOs, 'L'/'M'.. leaves */
	BOOLEAN present;	/* child PDO: still reported by its bus */
};

static struct {
	struct pnp_manager *pm;
	PDRIVER_OBJECT root_drv, bus_drv, leaf_drv;
	PDEVICE_OBJECT root_pdo;
	PDEVICE_OBJECT bus_fdo;
	PDEVICE_OBJECT child[MAX_CHILDREN];
	unsigned n_child;		/* children the bus reports */
	BOOLEAN veto_leaf;		/* leaves refuse QUERY_REMOVE */
	BOOLEAN fail_start;		/* the bus FDO fails START */
	BOOLEAN serve_leaf;		/* the provider serves TEST\CHILD */
	char log[256];			/* "<tag><minor>," per IRP_MJ_PNP seen */
	size_t n_log;
} T;

static void rec(char tag, UCHAR minor)
{
	int n = snprintf(T.log + T.n_log, sizeof(T.log) - T.n_log, "%c%x,", tag, minor);

	if (n > 0 && (size_t)n < sizeof(T.log) - T.n_log)
		T.n_log += (size_t)n;
}

static PWCHAR multi_sz(const char *a, const char *b)
{
	size_t na = strlen(a), nb = b ? strlen(b) : 0, k = 0;
	PWCHAR w = ExAllocatePoolWithTag(PagedPool, (na + nb + 3) * sizeof(WCHAR), 0);

	for (size_t i = 0; i < na; i++)
		w[k++] = (WCHAR)a[i];
	w[k++] = 0;
	for (size_t i = 0; i < nb; i++)
		w[k++] = (WCHAR)b[i];
	if (b)
		w[k++] = 0;
	w[k] = 0;
	return w;
}

static NTSTATUS complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
	irp->IoStatus.Status = st;
	irp->IoStatus.Information = info;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

/* A PDO: the root's or one of the bus FDO's children. */
static NTSTATUS pdo_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
	struct ext *x = dev->DeviceExtension;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	char inst[8];

	rec(x->tag, sl->MinorFunction);
	switch (sl->MinorFunction) {
	case IRP_MN_QUERY_ID:
		switch (sl->Parameters.QueryId.IdType) {
		case BusQueryHardwareIDs:
			return complete(irp, STATUS_SUCCESS, (ULONG_PTR)(x->kind == K_ROOT_PDO ?
						multi_sz("TEST\\ROOT&REV_01", "TEST\\ROOT") : multi_sz("TEST\\CHILD", NULL)));
		case BusQueryDeviceID:
			return complete(irp, STATUS_SUCCESS,
					(ULONG_PTR)multi_sz(x->kind == K_ROOT_PDO ? "TEST\\ROOT" : "TEST\\CHILD", NULL) );
		case BusQueryInstanceID:
			snprintf(inst, sizeof(inst), "%u", x->index);
			return complete(irp, STATUS_SUCCESS, (ULONG_PTR)multi_sz(inst, NULL));
		default:
			break;
		}
		break;
	case IRP_MN_START_DEVICE:
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
		return complete(irp, STATUS_SUCCESS, 0);
	case IRP_MN_REMOVE_DEVICE:
		if (x->kind == K_CHILD_PDO && !x->present) {
			/* Gone from the bus: the bus driver deletes its PDO now. */
			T.child[x->index] = NULL;
			irp->IoStatus.Status = STATUS_SUCCESS;
			IoCompleteRequest(irp, IO_NO_INCREMENT);
			IoDeleteDevice(dev);
			return STATUS_SUCCESS;
		}
		return complete(irp, STATUS_SUCCESS, 0);
	default:
		break;
	}
	return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);	/* PDO default */
}

static NTSTATUS make_child(unsigned i)
{
	struct ext *x;
	NTSTATUS st = IoCreateDevice(T.bus_drv, sizeof(struct ext), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &T.child[i]);

	if (!NT_SUCCESS(st))
		return st;
	x = T.child[i]->DeviceExtension;
	x->kind = K_CHILD_PDO;
	x->index = i;
	x->tag = (char)('c' + i);
	x->present = TRUE;
	T.child[i]->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	return STATUS_SUCCESS;
}

static NTSTATUS bus_fdo_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
	struct ext *x = dev->DeviceExtension;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	PDEVICE_RELATIONS rel;
	unsigned n = 0;

	rec('B', sl->MinorFunction);
	switch (sl->MinorFunction) {
	case IRP_MN_START_DEVICE:
		if (!IoForwardIrpSynchronously(x->lower, irp) || !NT_SUCCESS(irp->IoStatus.Status))
			return complete(irp, irp->IoStatus.Status, 0);
		if (T.fail_start)
			return complete(irp, STATUS_DEVICE_NOT_READY, 0);
		for (unsigned i = 0; i < T.n_child; i++)
			if (!T.child[i] && !NT_SUCCESS(make_child(i)))
				return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
		return complete(irp, STATUS_SUCCESS, 0);
	case IRP_MN_QUERY_DEVICE_RELATIONS:
		if (sl->Parameters.QueryDeviceRelations.Type != BusRelations)
			break;
		rel = ExAllocatePoolWithTag(PagedPool, sizeof(*rel) + MAX_CHILDREN * sizeof(PDEVICE_OBJECT), 0);
		for (unsigned i = 0; i < MAX_CHILDREN; i++)
			if (T.child[i] && ((struct ext *)T.child[i]->DeviceExtension)->present)
				rel->Objects[n++] = T.child[i];
		rel->Count = n;
		irp->IoStatus.Status = STATUS_SUCCESS;
		irp->IoStatus.Information = (ULONG_PTR)rel;
		break;
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		irp->IoStatus.Status = STATUS_SUCCESS;
		break;
	case IRP_MN_REMOVE_DEVICE: {
		PDEVICE_OBJECT lower = x->lower;
		NTSTATUS st;

		irp->IoStatus.Status = STATUS_SUCCESS;
		IoSkipCurrentIrpStackLocation(irp);
		st = IoCallDriver(lower, irp);
		/* The PnP manager removed the children first; their PDOs go with us. */
		for (unsigned i = 0; i < MAX_CHILDREN; i++)
			if (T.child[i]) {
				IoDeleteDevice(T.child[i]);
				T.child[i] = NULL;
			}
		IoDetachDevice(lower);
		IoDeleteDevice(dev);
		T.bus_fdo = NULL;
		return st;
	}
	default:
		break;
	}
	IoSkipCurrentIrpStackLocation(irp);
	return IoCallDriver(x->lower, irp);
}

static NTSTATUS leaf_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
	struct ext *x = dev->DeviceExtension;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	PDEVICE_OBJECT lower = x->lower;

	rec(x->tag, sl->MinorFunction);
	if (sl->MinorFunction == IRP_MN_QUERY_REMOVE_DEVICE && T.veto_leaf)
		return complete(irp, STATUS_DEVICE_BUSY, 0);
	if (sl->MinorFunction == IRP_MN_REMOVE_DEVICE) {
		NTSTATUS st;

		irp->IoStatus.Status = STATUS_SUCCESS;
		IoSkipCurrentIrpStackLocation(irp);
		st = IoCallDriver(lower, irp);
		IoDetachDevice(lower);
		IoDeleteDevice(dev);
		return st;
	}
	IoSkipCurrentIrpStackLocation(irp);
	return IoCallDriver(lower, irp);
}

static NTSTATUS dispatch_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
	struct ext *x = dev->DeviceExtension;

	switch (x->kind) {
	case K_ROOT_PDO:
	case K_CHILD_PDO:
		return pdo_pnp(dev, irp);
	case K_BUS_FDO:
		return bus_fdo_pnp(dev, irp);
	default:
		return leaf_pnp(dev, irp);
	}
}

static NTSTATUS add_device(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
	PDEVICE_OBJECT fdo;
	struct ext *x;
	NTSTATUS st = IoCreateDevice(drv, sizeof(struct ext), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &fdo);

	if (!NT_SUCCESS(st))
		return st;
	x = fdo->DeviceExtension;
	if (drv == T.bus_drv) {
		x->kind = K_BUS_FDO;
		x->tag = 'B';
		T.bus_fdo = fdo;
	} else {
		x->kind = K_LEAF_FDO;
		x->tag = (char)('L' + ((struct ext *)pdo->DeviceExtension)->index);
	}
	x->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
	fdo->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	return STATUS_SUCCESS;
}

static NTSTATUS init_drv(PDRIVER_OBJECT d, void *ctx)
{
	d->MajorFunction[IRP_MJ_PNP] = dispatch_pnp;
	if (ctx)
		d->DriverExtension->AddDevice = add_device;
	return STATUS_SUCCESS;
}

static PDRIVER_OBJECT match(void *ctx, struct pnp_devnode *dn, const char *id)
{
	(void)ctx;
	(void)dn;
	if (!strcmp(id, "TEST\\ROOT"))
		return T.bus_drv;
	if (!strcmp(id, "TEST\\CHILD") && T.serve_leaf)
		return T.leaf_drv;
	return NULL;
}

static const struct pnp_provider provider = { "test", match };

static int setup(void **state)
{
	struct ext *x;

	(void)state;
	log_configure("none", NULL, 0);
	memset(&T, 0, sizeof(T));
	T.pm = pnp_manager_create("mgr");
	assert_int_equal(pnp_driver_create(T.pm, "rootbus", init_drv, NULL, &T.root_drv), 0);
	assert_int_equal(pnp_driver_create(T.pm, "busdrv", init_drv, T.pm, &T.bus_drv), 0);
	assert_int_equal(pnp_driver_create(T.pm, "leafdrv", init_drv, T.pm, &T.leaf_drv), 0);
	assert_string_equal(pnp_driver_name(T.bus_drv), "busdrv");
	assert_ptr_equal(pnp_driver_context(T.bus_drv), T.pm);
	assert_int_equal(pnp_manager_add_provider(T.pm, &provider, NULL), 0);
	assert_int_equal(IoCreateDevice(T.root_drv, sizeof(struct ext), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE,
					&T.root_pdo), STATUS_SUCCESS);
	x = T.root_pdo->DeviceExtension;
	x->kind = K_ROOT_PDO;
	x->tag = 'R';
	T.root_pdo->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	T.serve_leaf = TRUE;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pnp_manager_destroy(T.pm);
	return 0;
}

/* The log since the last call. */
static const char *take_log(void)
{
	static char copy[256];

	memcpy(copy, T.log, sizeof(copy));
	T.n_log = 0;
	T.log[0] = 0;
	return copy;
}

static void test_state_table(void **state)
{
	static const struct {
		enum pnp_dn_state from, to;
	} legal[] = {
		{ PNP_DN_ENUMERATED, PNP_DN_DRIVER_ADDED },	{ PNP_DN_ENUMERATED, PNP_DN_REMOVED },
		{ PNP_DN_DRIVER_ADDED, PNP_DN_STARTED },	{ PNP_DN_DRIVER_ADDED, PNP_DN_START_FAILED },
		{ PNP_DN_DRIVER_ADDED, PNP_DN_REMOVED },	{ PNP_DN_STARTED, PNP_DN_QUERY_REMOVED },
		{ PNP_DN_STARTED, PNP_DN_SURPRISE_REMOVED },	{ PNP_DN_START_FAILED, PNP_DN_REMOVED },
		{ PNP_DN_QUERY_REMOVED, PNP_DN_STARTED },	{ PNP_DN_QUERY_REMOVED, PNP_DN_SURPRISE_REMOVED },
		{ PNP_DN_QUERY_REMOVED, PNP_DN_REMOVED },	{ PNP_DN_SURPRISE_REMOVED, PNP_DN_REMOVED },
	};

	(void)state;
	for (int f = 0; f < PNP_DN_STATE_COUNT; f++)
		for (int t = 0; t < PNP_DN_STATE_COUNT; t++) {
			bool want = false;

			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				want |= legal[i].from == (enum pnp_dn_state)f && legal[i].to == (enum pnp_dn_state)t;
			if (pnp_dn_transition_allowed(f, t) != want)
				fail_msg("%s -> %s", pnp_dn_state_name(f), pnp_dn_state_name(t));
		}
	assert_string_equal(pnp_dn_state_name(PNP_DN_SURPRISE_REMOVED), "SurpriseRemoved");
	assert_string_equal(pnp_dn_state_name(99), "?");
}

static void test_arrival_builds_the_tree(void **state)
{
	struct pnp_devnode *root, *c;

	(void)state;
	T.n_child = 2;
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	/* IDs (hardware, compatible, device, instance), START on the stack
	 * (bus FDO, then its PDO), bus relations; then each child the same way. */
	assert_string_equal(take_log(),
			    "R13,R13,R13,R13,B0,R0,B7,R7,"
			    "c13,c13,c13,c13,L0,c0,L7,c7,"
			    "d13,d13,d13,d13,M0,d0,M7,d7,");
	assert_int_equal(pnp_devnode_state(root), PNP_DN_STARTED);
	assert_string_equal(pnp_devnode_instance(root), "TEST\\ROOT\\0");
	assert_string_equal(pnp_devnode_hwid(root, 0), "TEST\\ROOT&REV_01");
	assert_string_equal(pnp_devnode_hwid(root, 1), "TEST\\ROOT");
	assert_null(pnp_devnode_hwid(root, 2));
	assert_string_equal(pnp_devnode_service(root), "busdrv");
	assert_int_equal(pnp_devnode_child_count(root), 2);
	c = pnp_devnode_child_at(root, 1);
	assert_ptr_equal(pnp_devnode_parent(c), root);
	assert_ptr_equal(pnp_devnode_pdo(c), T.child[1]);
	assert_ptr_equal(pnp_devnode_of(IoGetAttachedDevice(T.child[1])), c);
	assert_int_equal(pnp_devnode_state(c), PNP_DN_STARTED);
	assert_int_equal(pnp_manager_devnode_count(T.pm), 3);
	assert_ptr_equal(pnp_manager_devnode_at(T.pm, 0), root);
	assert_ptr_equal(pnp_manager_devnode_at(T.pm, 2), c);
	assert_null(pnp_manager_devnode_at(T.pm, 3));
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, NULL), -EEXIST);
	assert_int_equal(pnp_device_arrived(T.pm, T.bus_fdo, NULL), -EINVAL);	/* not a PDO */
	/* Graceful removal: query leaves first, then remove leaves first. */
	assert_int_equal(pnp_device_remove(root, false), 0);
	assert_string_equal(take_log(), "L1,c1,M1,d1,B1,R1,L2,c2,M2,d2,B2,R2,");
	assert_int_equal(pnp_manager_devnode_count(T.pm), 0);
	assert_null(T.bus_fdo);
	assert_null(T.root_pdo->AttachedDevice);
	IoDeleteDevice(T.root_pdo);
}

static void test_query_remove_veto(void **state)
{
	struct pnp_devnode *root;

	(void)state;
	T.n_child = 2;
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	take_log();
	T.veto_leaf = TRUE;
	assert_int_equal(pnp_device_remove(root, false), -EBUSY);
	/* The first leaf refused: nobody had agreed yet, nothing to cancel. */
	assert_string_equal(take_log(), "L1,");
	T.veto_leaf = FALSE;
	assert_int_equal(pnp_device_query_remove(root), 0);
	assert_int_equal(pnp_devnode_state(root), PNP_DN_QUERY_REMOVED);
	take_log();
	assert_int_equal(pnp_device_remove(root, false), 0);
	/* Already queried: straight to removal. */
	assert_string_equal(take_log(), "L2,c2,M2,d2,B2,R2,");
	IoDeleteDevice(T.root_pdo);
}

static NTSTATUS veto_second(PDEVICE_OBJECT dev, PIRP irp)
{
	struct ext *x = dev->DeviceExtension;

	if (x->kind == K_LEAF_FDO && x->tag == 'M' &&
	    IoGetCurrentIrpStackLocation(irp)->MinorFunction == IRP_MN_QUERY_REMOVE_DEVICE) {
		rec('M', IRP_MN_QUERY_REMOVE_DEVICE);
		return complete(irp, STATUS_DEVICE_BUSY, 0);
	}
	return dispatch_pnp(dev, irp);
}

static void test_veto_cancels_the_others(void **state)
{
	struct pnp_devnode *root;

	(void)state;
	T.n_child = 2;
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	take_log();
	T.leaf_drv->MajorFunction[IRP_MJ_PNP] = veto_second;
	assert_int_equal(pnp_device_query_remove(root), -EBUSY);
	/* The first leaf agreed, the second refused: the first gets CANCEL_REMOVE. */
	assert_string_equal(take_log(), "L1,c1,M1,L3,c3,");
	assert_int_equal(pnp_devnode_state(pnp_devnode_child_at(root, 0)), PNP_DN_STARTED);
	assert_int_equal(pnp_devnode_state(root), PNP_DN_STARTED);
	T.leaf_drv->MajorFunction[IRP_MJ_PNP] = dispatch_pnp;
	assert_int_equal(pnp_device_remove(root, true), 0);
	IoDeleteDevice(T.root_pdo);
}

static void test_surprise_removal(void **state)
{
	struct pnp_devnode *root;

	(void)state;
	T.n_child = 1;
	T.veto_leaf = TRUE;	/* surprise removal does not ask */
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	take_log();
	assert_int_equal(pnp_device_remove(root, true), 0);
	assert_string_equal(take_log(), "L17,c17,B17,R17,L2,c2,B2,R2,");
	IoDeleteDevice(T.root_pdo);
}

static void test_child_vanishes_and_appears(void **state)
{
	struct pnp_devnode *root;

	(void)state;
	T.n_child = 2;
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	take_log();
	/* The bus loses child d and says so. */
	((struct ext *)T.child[1]->DeviceExtension)->present = FALSE;
	IoInvalidateDeviceRelations(T.root_pdo, BusRelations);
	assert_string_equal(take_log(), "B7,R7,M17,d17,M2,d2,");
	assert_null(T.child[1]);	/* the bus deleted the PDO on REMOVE */
	assert_int_equal(pnp_devnode_child_count(root), 1);
	/* A third child appears: processed at once (the manager is idle), so
	 * there is nothing left for poll. */
	T.n_child = 3;
	assert_int_equal(make_child(2), STATUS_SUCCESS);
	IoInvalidateDeviceRelations(T.root_pdo, BusRelations);
	assert_int_equal(pnp_devnode_child_count(root), 2);
	assert_int_equal(pnp_manager_poll(T.pm), 0);
	assert_int_equal(pnp_devnode_state(pnp_devnode_child_at(root, 1)), PNP_DN_STARTED);
	/* Only the PDO of a node may invalidate relations. */
	IoInvalidateDeviceRelations(T.bus_fdo, BusRelations);
	assert_int_equal(pnp_device_remove(root, true), 0);
	IoDeleteDevice(T.root_pdo);
}

static void test_start_failure_and_no_driver(void **state)
{
	struct pnp_devnode *root, *c;

	(void)state;
	T.fail_start = TRUE;
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	assert_int_equal(pnp_devnode_state(root), PNP_DN_START_FAILED);
	assert_int_equal(pnp_devnode_problem(root), STATUS_DEVICE_NOT_READY);
	/* The stack was torn down; the PDO stays with its problem. */
	assert_null(T.root_pdo->AttachedDevice);
	assert_int_equal(pnp_device_remove(root, false), 0);
	IoDeleteDevice(T.root_pdo);
	/* A child nobody serves stays Enumerated, without a driver. */
	teardown(NULL);
	setup(NULL);
	T.serve_leaf = FALSE;
	T.n_child = 1;
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &root), 0);
	c = pnp_devnode_child_at(root, 0);
	assert_int_equal(pnp_devnode_state(c), PNP_DN_ENUMERATED);
	assert_null(pnp_devnode_service(c));
	assert_int_equal(pnp_device_remove(root, true), 0);
	IoDeleteDevice(T.root_pdo);
}

/* ---- a WDM package loaded from a .so -------------------------------------------------- */
static PDEVICE_OBJECT wdm_pdo(void)
{
	PDEVICE_OBJECT pdo;
	struct ext *x;

	assert_int_equal(IoCreateDevice(T.root_drv, sizeof(struct ext), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &pdo),
			 STATUS_SUCCESS);
	x = pdo->DeviceExtension;
	x->kind = K_ROOT_PDO;
	x->tag = 'R';
	return pdo;
}

static void test_wdm_package(void **state)
{
	char err[256], inf[512];
	struct pnp_devnode *dn;
	PDEVICE_OBJECT pdo;
	const ULONG *seen;
	void *h;

	(void)state;
	snprintf(inf, sizeof(inf), "%s/wdm_test.inf", TEST_PNP_BUILDDIR);
	assert_int_equal(pnp_install_inf(T.pm, inf, TEST_PNP_BUILDDIR, err, sizeof(err)), 0);
	assert_int_equal(pnp_install_inf(T.pm, inf, TEST_PNP_BUILDDIR, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "already served"));
	/* The root PDO's first ID, TEST\ROOT&REV_01, is the package's: it
	 * outranks the provider's TEST\ROOT. */
	assert_int_equal(pnp_device_arrived(T.pm, T.root_pdo, &dn), 0);
	assert_string_equal(pnp_devnode_service(dn), "wdm_test");
	assert_int_equal(pnp_devnode_state(dn), PNP_DN_STARTED);
	h = dlopen(TEST_PNP_BUILDDIR "/wdm_test_driver.so", RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	seen = dlsym(h, "WdmTestSeen");
	assert_non_null(seen);
	assert_int_equal(seen[0], 7);		/* TestValue from [.HW] AddReg */
	assert_int_equal(seen[1], 1);		/* Mode from the driver key (DDInstall AddReg) */
	assert_int_equal(seen[2], 0xc0000034);	/* Missing: STATUS_OBJECT_NAME_NOT_FOUND */
	assert_int_equal(pnp_device_remove(dn, false), 0);
	IoDeleteDevice(T.root_pdo);
	/* An override of the device key wins over the INF. */
	assert_int_equal(pnp_manager_set_param(T.pm, "wdm_test", "TestValue", 9), 0);
	pdo = wdm_pdo();
	assert_int_equal(pnp_device_arrived(T.pm, pdo, &dn), 0);
	assert_int_equal(seen[0], 9);
	assert_int_equal(pnp_device_remove(dn, false), 0);
	IoDeleteDevice(pdo);
	dlclose(h);
}

/*
 * Common buffers are zero when handed out; on a pool marked zero (a VM's
 * fresh memfd) only bytes an earlier buffer had are cleared -- pages
 * nobody touched are not written (faulted in) at AllocateCommonBuffer.
 */
static void test_dma_zeroes_only_reused_memory(void **state)
{
	enum { SZ = 65536 };
	uint8_t *ram = calloc(1, SZ), *a, *b, *c;
	struct pnp_dma_pool *pool, *plain;
	PHYSICAL_ADDRESS pa, pb, pc;
	PDMA_ADAPTER da, dp;

	(void)state;
	assert_non_null(ram);
	assert_int_equal(pnp_dma_pool_create("t", ram, 0x100000, SZ, &pool), 0);
	pnp_dma_pool_mark_zero(pool);
	assert_non_null(da = pnp_dma_adapter_create(pool, "t"));
	a = da->DmaOperations->AllocateCommonBuffer(da, 8192, &pa, FALSE);
	assert_non_null(a);
	assert_int_equal(pa.QuadPart, 0x100000);
	for (int i = 0; i < 8192; i++)
		assert_int_equal(a[i], 0);
	memset(a, 0xff, 8192);
	/* A byte of the never-handed-out part: the pool trusts it is zero and does not write it. */
	ram[8192 + 100] = 0x5a;
	b = da->DmaOperations->AllocateCommonBuffer(da, 8192, &pb, FALSE);
	assert_ptr_equal(b, ram + 8192);
	assert_int_equal(b[100], 0x5a);
	/* Freed and handed out again: zeroed. */
	da->DmaOperations->FreeCommonBuffer(da, 8192, pa, a, FALSE);
	c = da->DmaOperations->AllocateCommonBuffer(da, 8192, &pc, FALSE);
	assert_ptr_equal(c, ram);
	for (int i = 0; i < 8192; i++)
		assert_int_equal(c[i], 0);
	da->DmaOperations->FreeCommonBuffer(da, 8192, pb, b, FALSE);
	da->DmaOperations->FreeCommonBuffer(da, 8192, pc, c, FALSE);
	da->DmaOperations->PutDmaAdapter(da);
	/* A pool not marked zero clears every buffer in full. */
	assert_int_equal(pnp_dma_pool_create("plain", ram, 0x100000, SZ, &plain), 0);
	assert_non_null(dp = pnp_dma_adapter_create(plain, "plain"));
	ram[100] = 0x5a;
	a = dp->DmaOperations->AllocateCommonBuffer(dp, 8192, &pa, FALSE);
	assert_ptr_equal(a, ram);
	assert_int_equal(a[100], 0);
	dp->DmaOperations->FreeCommonBuffer(dp, 8192, pa, a, FALSE);
	dp->DmaOperations->PutDmaAdapter(dp);
	pnp_dma_pool_destroy(plain);
	pnp_dma_pool_destroy(pool);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_dma_zeroes_only_reused_memory),
		cmocka_unit_test_setup_teardown(test_arrival_builds_the_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_remove_veto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_veto_cancels_the_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_surprise_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_vanishes_and_appears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_failure_and_no_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wdm_package, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
