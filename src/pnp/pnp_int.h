/*
 * Private to src/pnp: the layouts of the I/O manager's objects and the
 * cross-file internals (pnp__*). Every object a driver gets a pointer to
 * (driver object, device object, IRP, registry key handle) is registered in
 * a process-wide set (objects.c), so an Io* call can check what it was
 * given before touching it -- a driver passing a stale or foreign pointer
 * is reported and refused, never dereferenced (the lab's stand-in for the
 * bugchecks Windows would raise).
 */
#ifndef IOVLAB_PNP_PNP_INT_H
#define IOVLAB_PNP_PNP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"
#include "pnp/inf.h"
#include "pnp/pnp.h"

#define PNP_LOG "lab.pnp"
#define PNP_LOG_IRP "lab.pnp.irp"

/* ---- object set (objects.c) ------------------------------------------------ */
enum pnp_obj_kind {
	PNP_OBJ_NONE,
	PNP_OBJ_DRIVER,		/* DRIVER_OBJECT of a struct pnp_driver */
	PNP_OBJ_DEVICE,		/* DEVICE_OBJECT from IoCreateDevice */
	PNP_OBJ_IRP,		/* IRP from IoAllocateIrp */
	PNP_OBJ_KEY,		/* HANDLE from IoOpenDeviceRegistryKey */
	PNP_OBJ_DMA,		/* DMA_ADAPTER from pnp_dma_adapter_create */
};
int pnp__obj_add(const void *p, enum pnp_obj_kind kind);
void pnp__obj_remove(const void *p);
enum pnp_obj_kind pnp__obj_kind(const void *p);
/* True if p is a live object of kind; otherwise counts and logs "fn: bad object". */
bool pnp__obj_check(const void *p, enum pnp_obj_kind kind, const char *fn);

/* Process-wide counters (api_irp.c). */
extern struct pnp_stats pnp__stats;
/* A driver broke an I/O manager rule: counted and logged (WARNING). */
void pnp__driver_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- drivers (driver.c) ------------------------------------------------------ */
struct pnp_package {
	struct pnp_package *next;
	struct pnp_inf *inf;
	char *bindir;
};

struct pnp_driver {
	DRIVER_OBJECT obj;		/* first: a PDRIVER_OBJECT is a struct pnp_driver * */
	DRIVER_EXTENSION ext;
	struct pnp_manager *pm;
	struct pnp_driver *next;
	char name[64];
	WCHAR wname[64];
	void *ctx;			/* built-in driver's creator context */
	void *dl;			/* dlopen handle of a loaded driver */
	const struct pnp_package *pkg;	/* the package it was loaded from */
};
struct pnp_driver *pnp__driver(PDRIVER_OBJECT obj);
/* The driver of service (loading it from pkg if needed), or NULL. */
struct pnp_driver *pnp__driver_get(struct pnp_manager *pm, const struct pnp_package *pkg,
				   const struct pnp_inf_install *inst);
void pnp__drivers_unload(struct pnp_manager *pm);

/* ---- device objects (api_device.c) ------------------------------------------ */
struct _DEVOBJ_EXTENSION {
	PDEVICE_OBJECT dev;
	struct pnp_driver *drv;
	PDEVICE_OBJECT attached_to;	/* the device below this one in its stack */
	struct pnp_devnode *dn;		/* the node of the stack this device is in */
	bool delete_pending;		/* IoDeleteDevice while a device is attached above */
	char name[64];
};
static inline struct _DEVOBJ_EXTENSION *pnp__devext(PDEVICE_OBJECT d)
{
	return d->DeviceObjectExtension;
}
/* The device at the bottom of dev's stack. */
PDEVICE_OBJECT pnp__stack_bottom(PDEVICE_OBJECT dev);

/* ---- device nodes (manager.c) ----------------------------------------------- */
struct pnp_param {
	char name[64];
	ULONG type;		/* REG_DWORD or REG_SZ */
	uint32_t dword;
	char sz[128];
};

struct pnp_devnode {
	struct pnp_manager *pm;
	struct pnp_devnode *parent, *children, *sibling;
	PDEVICE_OBJECT pdo;
	enum pnp_dn_state state;
	char instance[200];
	char **hwids;
	size_t n_hwids;
	char **compat;
	size_t n_compat;
	struct pnp_driver *fdrv;	/* function driver, NULL if none found */
	NTSTATUS problem;
	bool enumerated;		/* IDs asked, driver looked for */
	bool relations_dirty;
	bool seen;			/* in the bus relations being processed */
	struct pnp_param *dev_params;	/* PLUGPLAY_REGKEY_DEVICE */
	size_t n_dev_params;
	struct pnp_param *drv_params;	/* PLUGPLAY_REGKEY_DRIVER */
	size_t n_drv_params;
};

struct pnp_provider_reg {
	struct pnp_provider p;
	void *ctx;
};

struct pnp_override {
	char service[64];
	char name[64];
	uint32_t value;
};

struct pnp_manager {
	char name[64];
	struct pnp_driver *drivers;
	struct pnp_devnode *roots;
	struct pnp_package *packages;
	struct pnp_provider_reg providers[8];
	size_t n_providers;
	struct pnp_override *overrides;
	size_t n_overrides;
	unsigned depth;			/* nesting of manager operations */
	bool destroying;
};

/* IoInvalidateDeviceRelations lands here (queued; run when the manager is idle). */
void pnp__relations_invalidated(struct pnp_devnode *dn);
/* A device node lost its PDO (the bus driver deleted it). */
void pnp__devnode_pdo_deleted(struct pnp_devnode *dn);
const struct pnp_param *pnp__param_find(const struct pnp_devnode *dn, ULONG key_type, const char *name);

#endif /* IOVLAB_PNP_PNP_INT_H */
