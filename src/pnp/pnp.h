/*
 * The guest's I/O and PnP manager: the lab-facing API of src/pnp. A child
 * partition runs one struct pnp_manager; it owns the device tree (one
 * device node per PDO, with the stack of device objects drivers attach to
 * it), the WDM driver packages installed in the guest (an IHV virtual bus
 * driver such as drivers/srnic_vbd) and the drivers loaded from them, and it
 * drives each node through the PnP sequences -- enumerate (IRP_MN_QUERY_ID),
 * pick a function driver, AddDevice, IRP_MN_START_DEVICE, bus relations,
 * query-remove / remove, surprise removal -- as the Windows PnP manager does
 * (kernel/state-transitions-for-pnp-devices).
 *
 * Drivers never see this header: they call the Io, Ex, Ke and Zw exports of
 * include/ndis/wdm.h (src/pnp/api_*.c), and the IRPs they forward, swallow,
 * pend and complete behave as on Windows (docs/pnp.md). Lab code that plays
 * a Windows bus driver (the vPCI bus, src/hv/vpci_pdo.c) or NDIS's PnP edge
 * (src/pnp/guest_ndis.c) creates its driver object with pnp_driver_create()
 * and reports its PDOs with pnp_device_arrived() / pnp_device_remove().
 *
 * Threading: one manager is driven from one thread (the guest's event
 * loop), like the framework instance it sits next to; no locks. Functions
 * return 0 or -errno unless they say otherwise.
 */
#ifndef IOVLAB_PNP_PNP_H
#define IOVLAB_PNP_PNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ndis/wdm.h>

struct pnp_manager;
struct pnp_devnode;

/* ---- device node states (docs/pnp.md has the diagram) ------------------- */
enum pnp_dn_state {
	PNP_DN_ENUMERATED,	/* PDO reported, IDs known; no function driver (yet) */
	PNP_DN_DRIVER_ADDED,	/* AddDevice built the stack */
	PNP_DN_STARTED,		/* IRP_MN_START_DEVICE succeeded */
	PNP_DN_START_FAILED,	/* START failed; the stack waits for removal */
	PNP_DN_QUERY_REMOVED,	/* IRP_MN_QUERY_REMOVE_DEVICE succeeded */
	PNP_DN_SURPRISE_REMOVED,	/* IRP_MN_SURPRISE_REMOVAL sent */
	PNP_DN_REMOVED,		/* IRP_MN_REMOVE_DEVICE sent; final */
};
#define PNP_DN_STATE_COUNT 7
const char *pnp_dn_state_name(enum pnp_dn_state s);
bool pnp_dn_transition_allowed(enum pnp_dn_state from, enum pnp_dn_state to);

/* ---- manager -------------------------------------------------------------- */
struct pnp_manager *pnp_manager_create(const char *name);
/*
 * Remove every device node (IRP_MN_REMOVE_DEVICE, leaves first), then
 * unload the drivers (DriverUnload) and the packages. NULL is a no-op.
 */
void pnp_manager_destroy(struct pnp_manager *pm);
const char *pnp_manager_name(const struct pnp_manager *pm);
/*
 * Run queued work: bus relations a driver invalidated with
 * IoInvalidateDeviceRelations (Windows processes them on a worker
 * thread; iovlab after the manager call that was running, or here).
 * Returns the number of nodes whose relations were processed.
 */
int pnp_manager_poll(struct pnp_manager *pm);

/* ---- drivers -------------------------------------------------------------- */
/*
 * A driver built into the lab (the vPCI bus driver, NDIS's PnP edge):
 * init plays DriverEntry -- it fills MajorFunction[] and, for a function
 * driver, DriverExtension->AddDevice. ctx is the creator's, returned by
 * pnp_driver_context(). *out belongs to pm (freed by pnp_manager_destroy).
 */
typedef NTSTATUS pnp_driver_init_fn(PDRIVER_OBJECT driver, void *ctx);
int pnp_driver_create(struct pnp_manager *pm, const char *name, pnp_driver_init_fn *init, void *ctx,
		      PDRIVER_OBJECT *out);
/* The creator's ctx of a built-in driver; NULL for a driver loaded from a package. */
void *pnp_driver_context(PDRIVER_OBJECT driver);
/* The service name ("srnic_vbd", "vpci"); NULL if driver is not one of pnp's. */
const char *pnp_driver_name(PDRIVER_OBJECT driver);

/*
 * Install a WDM driver package (a bus or filter driver; network miniports
 * go to NDIS). The INF is read as docs/pnp.md describes; a malformed file
 * is refused with "<file>:<line>: <reason>" in err. "x.sys" in the INF is
 * binary_dir/x.so, loaded (dlopen + DriverEntry) when a device first needs
 * it. -EEXIST if another package serves one of its IDs.
 */
int pnp_install_inf(struct pnp_manager *pm, const char *inf_path, const char *binary_dir, char *err,
		    size_t errlen);
/*
 * Override a REG_DWORD value of the device key (IoOpenDeviceRegistryKey(
 * PLUGPLAY_REGKEY_DEVICE)) of every device the service drives, over the
 * INF's DDInstall.HW AddReg default -- what an administrator does under
 * "Device Parameters". Applies to devices that get the driver afterwards.
 */
int pnp_manager_set_param(struct pnp_manager *pm, const char *service, const char *name, uint32_t value);

/*
 * Who serves a hardware ID. The manager asks each provider for each of a
 * device's hardware IDs, most specific first, then its compatible IDs
 * (that is PnP's rank order); the first driver wins. The package store of
 * pnp_install_inf() is asked first at each ID; NDIS's edge registers
 * itself for the miniport packages NDIS has. match returns the driver that
 * will get AddDevice, or NULL.
 */
struct pnp_provider {
	const char *name;
	PDRIVER_OBJECT (*match)(void *ctx, struct pnp_devnode *dn, const char *id);
};
int pnp_manager_add_provider(struct pnp_manager *pm, const struct pnp_provider *p, void *ctx);

/* ---- device nodes --------------------------------------------------------- */
/*
 * A lab bus (the vPCI bus driver) reports a new child: pdo was made with
 * IoCreateDevice by that bus's driver. The manager enumerates it (QUERY_ID),
 * finds and loads its function driver, calls AddDevice, starts the stack
 * and its own children (bus relations). *out (may be NULL) is the node even
 * when no driver was found or START failed: see pnp_devnode_state(). -EINVAL
 * for a device that is not a PDO of a pnp driver, -EEXIST if reported twice.
 */
int pnp_device_arrived(struct pnp_manager *pm, PDEVICE_OBJECT pdo, struct pnp_devnode **out);
/*
 * IRP_MN_QUERY_REMOVE_DEVICE to the node and its children (children first).
 * 0: every stack agreed, the node waits in QUERY_REMOVED for
 * pnp_device_remove(); -EBUSY: a driver refused, IRP_MN_CANCEL_REMOVE_DEVICE
 * went to those that had agreed and the nodes are STARTED again.
 */
int pnp_device_query_remove(struct pnp_devnode *dn);
/*
 * Remove the node and its subtree, leaves first: with surprise,
 * IRP_MN_SURPRISE_REMOVAL to every started stack first; then
 * IRP_MN_REMOVE_DEVICE. A graceful removal of a started node that was not
 * query-removed asks first (and returns -EBUSY if refused). The nodes are
 * freed; the PDO's owner deletes the PDO when the bus no longer has it.
 */
int pnp_device_remove(struct pnp_devnode *dn, bool surprise);

enum pnp_dn_state pnp_devnode_state(const struct pnp_devnode *dn);
PDEVICE_OBJECT pnp_devnode_pdo(const struct pnp_devnode *dn);
struct pnp_devnode *pnp_devnode_parent(const struct pnp_devnode *dn);
struct pnp_manager *pnp_devnode_manager(const struct pnp_devnode *dn);
/* "VPCI\VEN_1AB4&DEV_10EE\00000003": bus, device ID and instance ID. */
const char *pnp_devnode_instance(const struct pnp_devnode *dn);
/* IRP_MN_QUERY_ID(BusQueryHardwareIDs) answer, i-th ID, or NULL. */
const char *pnp_devnode_hwid(const struct pnp_devnode *dn, size_t i);
/* The function driver's service name, or NULL (no driver found). */
const char *pnp_devnode_service(const struct pnp_devnode *dn);
/* The status START (or AddDevice) failed with; STATUS_SUCCESS otherwise. */
NTSTATUS pnp_devnode_problem(const struct pnp_devnode *dn);
/* The node a device object belongs to (any device of its stack), or NULL. */
struct pnp_devnode *pnp_devnode_of(PDEVICE_OBJECT dev);
size_t pnp_devnode_child_count(const struct pnp_devnode *dn);
struct pnp_devnode *pnp_devnode_child_at(const struct pnp_devnode *dn, size_t i);
/* Every node of pm, depth first from the roots (views). */
size_t pnp_manager_devnode_count(const struct pnp_manager *pm);
struct pnp_devnode *pnp_manager_devnode_at(const struct pnp_manager *pm, size_t i);

/* ---- sending IRPs from lab code -------------------------------------------- */
/*
 * Send irp (from IoAllocateIrp / IoBuildDeviceIoControlRequest, its next
 * stack location filled in) to target and wait for its completion; the
 * final IoStatus.Status is returned (and the IRP freed). iovlab's guest
 * runs drivers on one thread, so "wait" means: the stack must complete the
 * IRP before IoCallDriver returns. If a driver pends it, STATUS_PENDING is
 * returned and the IRP is freed when it completes later.
 */
NTSTATUS pnp_call_sync(PDEVICE_OBJECT target, PIRP irp, ULONG_PTR *information);
/* An IRP_MJ_PNP IRP for target's stack, Status preset to STATUS_NOT_SUPPORTED. */
PIRP pnp_build_pnp_irp(PDEVICE_OBJECT target, UCHAR minor);

struct pnp_stats {
	uint64_t irps_allocated, irps_freed;	/* live = allocated - freed */
	uint64_t stack_overflows;		/* IoCallDriver without a stack location */
	uint64_t bad_objects;			/* calls with a device/IRP/driver pnp did not issue */
	uint64_t pending_abandoned;		/* synchronous sends a driver pended */
	uint64_t driver_bugs;			/* other rule breaks logged on lab.pnp */
};
/* Process-wide counters (IRPs are not tied to one manager). */
void pnp_get_stats(struct pnp_stats *st);

/* ---- DMA ------------------------------------------------------------------- */
/*
 * A window of guest memory a bus hands out as common buffers: va maps
 * logical addresses [logical, logical + size) (guest-physical addresses a
 * device DMAs to). First fit, 64-byte aligned; not thread safe. The caller
 * owns the memory; destroy(NULL) is a no-op, and destroying a pool with
 * buffers out is logged.
 */
struct pnp_dma_pool;
int pnp_dma_pool_create(const char *name, void *va, uint64_t logical, uint64_t size, struct pnp_dma_pool **out);
void pnp_dma_pool_destroy(struct pnp_dma_pool *pool);
/*
 * The pool's memory is all zero now (a fresh memfd, as a guest's RAM at
 * boot): AllocateCommonBuffer then zeroes only bytes an earlier buffer
 * had, not pages nobody touched yet. Only while no buffer is out.
 */
void pnp_dma_pool_mark_zero(struct pnp_dma_pool *pool);
uint64_t pnp_dma_pool_in_use(const struct pnp_dma_pool *pool);
/*
 * A DMA adapter over pool, what a bus driver's BUS_INTERFACE_STANDARD.
 * GetDmaAdapter returns: AllocateCommonBuffer / FreeCommonBuffer draw on
 * the pool, PutDmaAdapter frees the adapter (buffers still out are logged
 * and freed). NULL on allocation failure.
 */
PDMA_ADAPTER pnp_dma_adapter_create(struct pnp_dma_pool *pool, const char *owner);

#endif /* IOVLAB_PNP_PNP_H */
