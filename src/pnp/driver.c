/*
 * Drivers and packages of the guest's I/O manager: WDM packages installed
 * with pnp_install_inf(), the driver objects of drivers loaded from them
 * (dlopen of "<binary dir>/<service binary>.so" + DriverEntry, as the I/O
 * manager loads a service when a device first needs it), built-in drivers
 * the lab plays (pnp_driver_create) and unloading (DriverUnload, dlclose).
 * The executable exports the Io, Ex, Ke and Zw routines to the .so files
 * (src/pnp/exports.list), the way it exports Ndis*.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pnp/pnp_int.h"

/* DriverEntry's type (DRIVER_INITIALIZE of ndis.h, which pnp does not include). */
typedef NTSTATUS driver_entry_fn(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

struct pnp_driver *pnp__driver(PDRIVER_OBJECT obj)
{
	return (struct pnp_driver *)obj;	/* obj is the first member */
}

static struct pnp_driver *driver_alloc(struct pnp_manager *pm, const char *name)
{
	struct pnp_driver *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return NULL;
	d->pm = pm;
	snprintf(d->name, sizeof(d->name), "%s", name);
	for (i = 0; d->name[i] && i + 1 < sizeof(d->wname) / sizeof(d->wname[0]); i++)
		d->wname[i] = (WCHAR)(unsigned char)d->name[i];
	d->obj.DriverName.Buffer = d->wname;
	d->obj.DriverName.Length = (USHORT)(i * sizeof(WCHAR));
	d->obj.DriverName.MaximumLength = (USHORT)sizeof(d->wname);
	d->obj.DriverExtension = &d->ext;
	d->ext.DriverObject = &d->obj;
	if (pnp__obj_add(&d->obj, PNP_OBJ_DRIVER)) {
		free(d);
		return NULL;
	}
	return d;
}

static void driver_free(struct pnp_driver *d)
{
	pnp__obj_remove(&d->obj);
	free(d);
}

static void driver_link(struct pnp_manager *pm, struct pnp_driver *d)
{
	struct pnp_driver **pp = &pm->drivers;

	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
}

int pnp_driver_create(struct pnp_manager *pm, const char *name, pnp_driver_init_fn *init, void *ctx,
		      PDRIVER_OBJECT *out)
{
	struct pnp_driver *d;
	NTSTATUS st;

	*out = NULL;
	if (!pm || !name || !init)
		return -EINVAL;
	d = driver_alloc(pm, name);
	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	st = init(&d->obj, ctx);
	if (!NT_SUCCESS(st)) {
		log_error(PNP_LOG, "%s: built-in driver %s failed to initialize: 0x%x", pm->name, name, (unsigned)st);
		driver_free(d);
		return -EIO;
	}
	driver_link(pm, d);
	*out = &d->obj;
	return 0;
}

void *pnp_driver_context(PDRIVER_OBJECT driver)
{
	return pnp__obj_kind(driver) == PNP_OBJ_DRIVER ? pnp__driver(driver)->ctx : NULL;
}

const char *pnp_driver_name(PDRIVER_OBJECT driver)
{
	return pnp__obj_kind(driver) == PNP_OBJ_DRIVER ? pnp__driver(driver)->name : NULL;
}

/* ---- loading from a package ----------------------------------------------------- */
struct pnp_driver *pnp__driver_get(struct pnp_manager *pm, const struct pnp_package *pkg,
				   const struct pnp_inf_install *inst)
{
	driver_entry_fn *entry;
	struct pnp_driver *d;
	char path[1200], base[256];
	UNICODE_STRING reg;
	WCHAR regbuf[128];
	char regpath[128];
	NTSTATUS st;
	size_t n;

	for (d = pm->drivers; d; d = d->next)
		if (!strcasecmp(d->name, inst->service))
			return d;
	snprintf(base, sizeof(base), "%s", inst->service_binary);
	n = strlen(base);
	if (n > 4 && !strcasecmp(base + n - 4, ".sys"))
		base[n - 4] = 0;
	snprintf(path, sizeof(path), "%s/%s.so", pkg->bindir, base);
	d = driver_alloc(pm, inst->service);
	if (!d)
		return NULL;
	d->pkg = pkg;
	d->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!d->dl) {
		log_error(PNP_LOG, "%s: cannot load driver %s: %s", pm->name, inst->service, dlerror());
		driver_free(d);
		return NULL;
	}
	*(void **)&entry = dlsym(d->dl, "DriverEntry");
	if (!entry) {
		log_error(PNP_LOG, "%s: driver %s (%s) exports no DriverEntry", pm->name, inst->service, path);
		dlclose(d->dl);
		driver_free(d);
		return NULL;
	}
	snprintf(regpath, sizeof(regpath), "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%s",
		 inst->service);
	for (n = 0; regpath[n] && n + 1 < sizeof(regbuf) / sizeof(regbuf[0]); n++)
		regbuf[n] = (WCHAR)(unsigned char)regpath[n];
	reg.Buffer = regbuf;
	reg.Length = (USHORT)(n * sizeof(WCHAR));
	reg.MaximumLength = (USHORT)sizeof(regbuf);
	log_info(PNP_LOG, "%s: loading driver %s (%s)", pm->name, inst->service, path);
	st = entry(&d->obj, &reg);
	if (!NT_SUCCESS(st)) {
		log_error(PNP_LOG, "%s: DriverEntry of %s failed: 0x%x", pm->name, inst->service, (unsigned)st);
		if (d->obj.DeviceObject)
			pnp__driver_bug("%s failed DriverEntry with devices created", inst->service);
		dlclose(d->dl);
		driver_free(d);
		return NULL;
	}
	driver_link(pm, d);
	return d;
}

void pnp__drivers_unload(struct pnp_manager *pm)
{
	struct pnp_driver *d, *next;

	for (d = pm->drivers; d; d = next) {
		next = d->next;
		if (d->obj.DriverUnload)
			d->obj.DriverUnload(&d->obj);
		while (d->obj.DeviceObject) {
			pnp__driver_bug("%s unloaded with device %s still there; deleted", d->name,
					pnp__devext(d->obj.DeviceObject)->name);
			if (d->obj.DeviceObject->AttachedDevice)
				IoDetachDevice(d->obj.DeviceObject);
			IoDeleteDevice(d->obj.DeviceObject);
		}
		if (d->dl)
			dlclose(d->dl);
		driver_free(d);
	}
	pm->drivers = NULL;
}

/* ---- packages -------------------------------------------------------------------------- */
int pnp_install_inf(struct pnp_manager *pm, const char *inf_path, const char *binary_dir, char *err, size_t errlen)
{
	struct pnp_package *pkg, **tail;
	struct pnp_inf *inf;
	int rc;

	rc = pnp_inf_load(inf_path, &inf, err, errlen);
	if (rc) {
		log_error(PNP_LOG, "%s: driver package refused: %s", pm->name, err ? err : inf_path);
		return rc;
	}
	for (size_t i = 0; i < pnp_inf_model_count(inf); i++)
		for (pkg = pm->packages; pkg; pkg = pkg->next) {
			const struct pnp_inf_model *m = pnp_inf_model_at(inf, i);

			if (pnp_inf_find_model(pkg->inf, m->id)) {
				if (err)
					snprintf(err, errlen, "%s:%d: %s is already served by %s", inf_path, m->line,
						 m->id, pnp_inf_name(pkg->inf));
				pnp_inf_destroy(inf);
				return -EEXIST;
			}
		}
	pkg = calloc(1, sizeof(*pkg));
	if (!pkg || !(pkg->bindir = strdup(binary_dir ? binary_dir : "."))) {
		free(pkg);
		pnp_inf_destroy(inf);
		return -ENOMEM;
	}
	pkg->inf = inf;
	for (tail = &pm->packages; *tail; tail = &(*tail)->next)
		;
	*tail = pkg;
	log_info(PNP_LOG, "%s: driver package %s installed (class %s, %zu model(s))", pm->name, inf_path,
		 pnp_inf_class(inf), pnp_inf_model_count(inf));
	return 0;
}
