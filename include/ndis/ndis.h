/*
 * ndis.h: the one header an iovlab driver includes (as a Windows miniport
 * includes <ndis.h>). It pulls in the whole driver-facing API -- base types,
 * status codes, ntddndis.h structures, the WDM subset, vpci.h, the miniport
 * structures -- and declares the Ndis* / NdisM* functions that the framework
 * (src/ndis, "iovlab's ndis.sys") exports to drivers loaded from .so + INF.
 * Build an out-of-tree driver with `pkg-config --cflags --libs iovlab-ddk`.
 *
 * This is the umbrella header style.md allows, because drivers expect it.
 */
#ifndef IOVLAB_NDIS_H
#define IOVLAB_NDIS_H

#include "ndis_types.h"
#include "ndis_status.h"
#include "ntddndis.h"
#include "wdm.h"
#include "vpci.h"
#include "ndis_miniport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NDIS_EXPORT __attribute__((visibility("default")))

/* The entry point every driver .so exports (the framework dlsym()s it). */
typedef NTSTATUS (DRIVER_INITIALIZE)(PDRIVER_OBJECT DriverObject,
				     PUNICODE_STRING RegistryPath);
DRIVER_INITIALIZE DriverEntry;

/*
 * NDIS_MAKE_RID: requester ID from a VF's PCI location. The docs do not give
 * the bit layout (ndis-sriov-spec.md 5.1, UNVERIFIED); iovlab uses the PCIe
 * routing-ID convention bus<<8 | function (ARI function 0-255) with the
 * segment in bits 16-31. See docs/ndis-headers.md.
 */
#define NDIS_MAKE_RID(Segment, Bus, Function) \
	((NDIS_VF_RID)((((ULONG)(Segment) & 0xffff) << 16) | \
		       (((ULONG)(Bus) & 0xff) << 8) | ((ULONG)(Function) & 0xff)))

/* Memory helpers (ndis.h macros over the CRT). */
#define NdisZeroMemory(Destination, Length) __builtin_memset((Destination), 0, (Length))
#define NdisMoveMemory(Destination, Source, Length) __builtin_memcpy((Destination), (Source), (Length))
#define NdisEqualMemory(a, b, Length) (__builtin_memcmp((a), (b), (Length)) == 0)

#ifdef __cplusplus
}
#endif
#endif /* IOVLAB_NDIS_H */
