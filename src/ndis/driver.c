/*
 * Loading driver binaries the way the I/O manager and NDIS load a miniport or
 * protocol: the INF's ServiceBinary ("fake_pf.sys") is the shared object
 * <package binary dir>/fake_pf.so, opened with dlopen(RTLD_NOW | RTLD_LOCAL);
 * its DriverEntry gets a DRIVER_OBJECT and a registry path and must register
 * a miniport (NdisMRegisterMiniportDriver) or a protocol
 * (NdisRegisterProtocolDriver) before it returns. The Ndis* symbols a driver
 * imports are resolved against the executable that runs the framework, which
 * exports them (the ndis_dep dependency links with --dynamic-list, see
 * src/ndis/meson.build and docs/ndis/sdk.md). A driver stays loaded while an
 * adapter or its protocol uses it; unloading calls its unload handler first.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ndis/internal.h"

static int binary_path(const struct ndis_package *pkg, const char *sys, char *out, size_t len)
{
	size_t n = strlen(sys);
	int w;

	/* "name.sys" -> "<bindir>/name.so" */
	w = snprintf(out, len, "%s/%.*s.so", pkg->bindir, (int)(n - 4), sys);
	return w > 0 && (size_t)w < len ? 0 : -ENAMETOOLONG;
}

int ndis__driver_get(struct ndis_framework *fw, const struct ndis_package *pkg,
		     const struct ndis_inf_install *inst, struct ndis_driver **out)
{
	struct ndis_driver *drv;
	DRIVER_INITIALIZE *entry;
	struct ndis_call call;
	NTSTATUS st;
	char name[160];

	for (drv = fw->drivers; drv; drv = drv->next)
		if (strcasecmp(drv->name, inst->service) == 0) {
			*out = drv;
			return 0;
		}
	drv = calloc(1, sizeof(*drv));
	if (!drv)
		return -ENOMEM;
	drv->fw = fw;
	drv->pkg = pkg;
	ndis__strlcpy(drv->name, inst->service, sizeof(drv->name));
	if (binary_path(pkg, inst->service_binary, drv->path, sizeof(drv->path))) {
		free(drv);
		return -ENAMETOOLONG;
	}
	drv->dl = dlopen(drv->path, RTLD_NOW | RTLD_LOCAL);
	if (!drv->dl) {
		log_error(NDIS_LOG, "driver %s (%s) failed to load: %s", drv->name, inst->service_binary, dlerror());
		free(drv);
		return -ENOEXEC;
	}
	*(void **)&entry = dlsym(drv->dl, "DriverEntry");
	if (!entry) {
		log_error(NDIS_LOG, "driver %s (%s) has no DriverEntry", drv->name, drv->path);
		dlclose(drv->dl);
		free(drv);
		return -ENOEXEC;
	}
	drv->drvobj.DriverExtension = &drv->drvext;
	drv->drvext.DriverObject = &drv->drvobj;
	snprintf(name, sizeof(name), "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\%s", drv->name);
	ndis__ustr_set(&drv->regpath, drv->regpath_buf, sizeof(drv->regpath_buf) / sizeof(WCHAR), name);
	if (ndis__handle_add(drv, NDIS_H_DRIVER) || ndis__handle_add(&drv->drvobj, NDIS_H_DRIVER_OBJECT)) {
		ndis__handle_remove(drv);
		dlclose(drv->dl);
		free(drv);
		return -ENOMEM;
	}
	drv->next = fw->drivers;
	fw->drivers = drv;

	log_info(NDIS_LOG, "driver %s loaded from %s; calling DriverEntry", drv->name, drv->path);
	drv->in_driver_entry = true;
	ndis__call_enter(&call, fw, drv, NULL);
	st = entry(&drv->drvobj, &drv->regpath);
	ndis__call_leave(&call);
	drv->in_driver_entry = false;
	if (!NT_SUCCESS(st) || drv->role == NDIS_DRIVER_UNREGISTERED) {
		if (NT_SUCCESS(st))
			log_error(NDIS_LOG, "driver %s: DriverEntry returned success without registering a miniport or protocol",
				  drv->name);
		else
			log_error(NDIS_LOG, "driver %s: DriverEntry failed with %s", drv->name, ndis__status_str((uint32_t)st));
		ndis__driver_unload(drv);
		return -ENOEXEC;
	}
	*out = drv;
	return 0;
}

void ndis__driver_put(struct ndis_driver *drv)
{
	if (drv->n_adapters > 0)
		drv->n_adapters--;
	if (drv->n_adapters == 0 && drv->role == NDIS_DRIVER_MINIPORT && !drv->fw->destroying)
		ndis__driver_unload(drv);
}

void ndis__driver_unload(struct ndis_driver *drv)
{
	struct ndis_framework *fw = drv->fw;
	struct ndis_driver **pp;
	struct ndis_call call;

	ndis__call_enter(&call, fw, drv, NULL);
	if (drv->role == NDIS_DRIVER_MINIPORT && drv->mchars.UnloadHandler) {
		drv->mchars.UnloadHandler(&drv->drvobj);
	} else if (drv->drvobj.DriverUnload) {
		drv->drvobj.DriverUnload(&drv->drvobj);
	}
	ndis__call_leave(&call);
	if (drv->role == NDIS_DRIVER_MINIPORT) {
		log_warn(NDIS_LOG, "driver %s unloaded without NdisMDeregisterMiniportDriver", drv->name);
		ndis__driver_deregister_miniport(drv);
	}
	if (drv->role == NDIS_DRIVER_PROTOCOL && drv->protocol) {
		log_warn(NDIS_LOG, "driver %s unloaded without NdisDeregisterProtocolDriver", drv->name);
		ndis__protocol_deregister(drv->protocol);
	}
	if (drv->mem_blocks > 0)
		log_warn(NDIS_LOG, "driver %s unloaded with %ld NdisAllocateMemory block(s) not freed",
			 drv->name, drv->mem_blocks);
	for (pp = &fw->drivers; *pp; pp = &(*pp)->next)
		if (*pp == drv) {
			*pp = drv->next;
			break;
		}
	ndis__handle_remove(drv);
	ndis__handle_remove(&drv->drvobj);
	/* Under AddressSanitizer keep the code mapped so leak reports can
	 * still symbolize the driver's frames. */
#if !defined(__SANITIZE_ADDRESS__)
	if (drv->dl)
		dlclose(drv->dl);
#endif
	log_info(NDIS_LOG, "driver %s unloaded", drv->name);
	free(drv);
}

/* ---- NdisMRegisterMiniportDriver ---------------------------------------- */
static const unsigned char known_minor[] = { 0, 1, 20, 30, 40, 50, 51, 60, 70, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89 };

int ndis__driver_register_miniport(struct ndis_driver *drv, NDIS_HANDLE ctx,
				   const NDIS_MINIPORT_DRIVER_CHARACTERISTICS *ch)
{
	static const struct {
		size_t off;
		const char *name;
	} required[] = {
#define REQ(f) { offsetof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, f), #f }
		REQ(InitializeHandlerEx), REQ(HaltHandlerEx), REQ(UnloadHandler), REQ(PauseHandler),
		REQ(RestartHandler), REQ(OidRequestHandler), REQ(SendNetBufferListsHandler),
		REQ(ReturnNetBufferListsHandler), REQ(CancelSendHandler), REQ(DevicePnPEventNotifyHandler),
		REQ(ShutdownHandlerEx), REQ(CancelOidRequestHandler),
#undef REQ
	};
	size_t want;
	bool minor_ok = false;

	if (!drv->in_driver_entry) {
		ndis__driver_finding(drv, NDIS_RULE_STATE, "NdisMRegisterMiniportDriver called outside DriverEntry");
		return -EPERM;
	}
	if (drv->role != NDIS_DRIVER_UNREGISTERED) {
		ndis__driver_finding(drv, NDIS_RULE_STATE, "NdisMRegisterMiniportDriver called twice");
		return -EALREADY;
	}
	if (!ch) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS, "MiniportDriverCharacteristics is NULL");
		return -EINVAL;
	}
	if (ch->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "Header.Type 0x%x is not NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS (0x8a)",
				     ch->Header.Type);
		return -EPROTO;
	}
	if (ch->Header.Revision == NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1)
		want = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
	else if (ch->Header.Revision == NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2)
		want = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	else {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "Header.Revision %u is not a miniport characteristics revision (1 or 2)",
				     ch->Header.Revision);
		return -EPROTO;
	}
	if (ch->Header.Size != want) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "Header.Size %u does not match revision %u (NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_%u = %zu)",
				     ch->Header.Size, ch->Header.Revision, ch->Header.Revision, want);
		return -EPROTO;
	}
	for (size_t i = 0; i < sizeof(known_minor); i++)
		if (ch->MinorNdisVersion == known_minor[i])
			minor_ok = true;
	if (ch->MajorNdisVersion != 6 || !minor_ok) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS, "NDIS version %u.%u is not an NDIS 6.x version",
				     ch->MajorNdisVersion, ch->MinorNdisVersion);
		return -EPROTO;
	}
	/* NDIS 6.1 and later drivers use revision 2 (ndis.h). */
	if (ch->MinorNdisVersion >= 1 && ch->Header.Revision != NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "an NDIS 6.%u driver must use NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2",
				     ch->MinorNdisVersion);
		return -EPROTO;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		void *fn;
		memcpy(&fn, (const char *)ch + required[i].off, sizeof(fn));
		if (!fn) {
			ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS, "required handler %s is NULL", required[i].name);
			return -ENOEXEC;
		}
	}
	if (ch->Header.Revision == NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 &&
	    !ch->DirectOidRequestHandler != !ch->CancelDirectOidRequestHandler) {
		ndis__driver_finding(drv, NDIS_RULE_CHARACTERISTICS,
				     "DirectOidRequestHandler and CancelDirectOidRequestHandler must be set together");
		return -ENOEXEC;
	}
	memset(&drv->mchars, 0, sizeof(drv->mchars));
	memcpy(&drv->mchars, ch, want);
	drv->driver_context = ctx;
	drv->role = NDIS_DRIVER_MINIPORT;
	log_info(NDIS_LOG, "driver %s registered an NDIS %u.%u miniport (driver version %u.%u)", drv->name,
		 ch->MajorNdisVersion, ch->MinorNdisVersion, ch->MajorDriverVersion, ch->MinorDriverVersion);
	if (ch->SetOptionsHandler) {
		NDIS_STATUS st = ch->SetOptionsHandler(drv, ctx);
		if (st != NDIS_STATUS_SUCCESS) {
			log_error(NDIS_LOG, "driver %s: MiniportSetOptions failed with %s", drv->name,
				  ndis__status_str((uint32_t)st));
			drv->role = NDIS_DRIVER_UNREGISTERED;
			return -EIO;
		}
	}
	return 0;
}

void ndis__driver_deregister_miniport(struct ndis_driver *drv)
{
	if (drv->role != NDIS_DRIVER_MINIPORT)
		return;
	drv->role = NDIS_DRIVER_UNREGISTERED;
	log_info(NDIS_LOG, "driver %s deregistered its miniport", drv->name);
}
