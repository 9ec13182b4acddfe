/*
 * trace.h -- the WPP-shaped trace macro of the srnic PF miniport. A
 * Windows build would run the WPP preprocessor over
 * TraceEvents(Level, Flags, Msg, ...); here the macro formats the same
 * message with the function name in front and hands it to DbgPrintEx, which
 * the framework routes to the lab's logger as provider "drv.srnic_pf"
 * (docs/logging.md). Levels and flags keep the WPP names so the call sites
 * read like a Windows driver's.
 */
#ifndef SRNIC_PF_TRACE_H
#define SRNIC_PF_TRACE_H

#include <ndis/ndis.h>

/* evntrace.h levels. */
#define TRACE_LEVEL_CRITICAL	1
#define TRACE_LEVEL_ERROR	2
#define TRACE_LEVEL_WARNING	3
#define TRACE_LEVEL_INFORMATION	4
#define TRACE_LEVEL_VERBOSE	5

/* WPP_DEFINE_BIT flags of this driver (informational in the lab build). */
#define TRACE_INIT		0x0001
#define TRACE_OID		0x0002
#define TRACE_SRIOV		0x0004
#define TRACE_NICSWITCH		0x0008
#define TRACE_HW		0x0010
#define TRACE_DATAPATH		0x0020

#define MP_DPFLTR_LEVEL(Level) \
	((Level) <= TRACE_LEVEL_ERROR ? DPFLTR_ERROR_LEVEL : \
	 (Level) == TRACE_LEVEL_WARNING ? DPFLTR_WARNING_LEVEL : \
	 (Level) == TRACE_LEVEL_INFORMATION ? DPFLTR_TRACE_LEVEL : DPFLTR_INFO_LEVEL)

#define TraceEvents(Level, Flags, Msg, ...) \
	((void)(Flags), \
	 (void)DbgPrintEx(DPFLTR_IHVNETWORK_ID, MP_DPFLTR_LEVEL(Level), "%s: " Msg "\n", __func__, ##__VA_ARGS__))

#endif /* SRNIC_PF_TRACE_H */
