/*
 * trace.h -- netvsc.sys's WPP-shaped trace macro. A Windows build would run
 * the WPP preprocessor over TraceEvents(Level, Flags, Msg, ...); here the
 * macro formats the same message and hands it to DbgPrintEx, which the
 * framework routes to the lab's logger under drv.<service>: "drv.netvsc"
 * for the miniport edge, "drv.netvscvfpp" for the VF protocol edge
 * (docs/logging.md). Log text is UI text: the VF edge's decisions read like
 * the field traces of ndis-sriov-spec.md 7.4
 * ("NETVSCVFPP ... Declined with NDIS_STATUS_NOT_SUPPORTED").
 */
#ifndef IOVLAB_HV_NETVSC_TRACE_H
#define IOVLAB_HV_NETVSC_TRACE_H

#include <ndis/ndis.h>

/* evntrace.h levels. */
#define TRACE_LEVEL_CRITICAL	1
#define TRACE_LEVEL_ERROR	2
#define TRACE_LEVEL_WARNING	3
#define TRACE_LEVEL_INFORMATION	4
#define TRACE_LEVEL_VERBOSE	5

/* WPP_DEFINE_BIT flags (informational in the lab build). */
#define TRACE_INIT		0x0001
#define TRACE_OID		0x0002
#define TRACE_DATAPATH		0x0004
#define TRACE_VF		0x0008

#define NETVSC_DPFLTR_LEVEL(Level) \
	((Level) <= TRACE_LEVEL_ERROR ? DPFLTR_ERROR_LEVEL : \
	 (Level) == TRACE_LEVEL_WARNING ? DPFLTR_WARNING_LEVEL : \
	 (Level) == TRACE_LEVEL_INFORMATION ? DPFLTR_TRACE_LEVEL : DPFLTR_INFO_LEVEL)

#define TraceEvents(Level, Flags, Msg, ...) \
	((void)(Flags), \
	 (void)DbgPrintEx(DPFLTR_IHVNETWORK_ID, NETVSC_DPFLTR_LEVEL(Level), Msg "\n", ##__VA_ARGS__))

#endif /* IOVLAB_HV_NETVSC_TRACE_H */
