/*
 * trace.h -- srnic_vf's WPP-shaped trace macro: TraceEvents(Level, Flags,
 * Msg, ...) as WPP's TraceEvents is called, going to vDbgPrintExWithPrefix
 * with the provider and the function (WPP's %!FUNC!), so the lab's trace
 * reads "[drv.srnic_vf]MPInitializeEx: ...".
 */
#ifndef SRNIC_VF_TRACE_H
#define SRNIC_VF_TRACE_H

#include <ndis.h>

#define SRNIC_VF_PROVIDER "drv.srnic_vf"

/* evntrace.h levels */
#define TRACE_LEVEL_ERROR 2
#define TRACE_LEVEL_WARNING 3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE 5

/* Trace flags (WPP_DEFINE_BIT). */
#define TRACE_DRIVER 0x01
#define TRACE_INIT 0x02
#define TRACE_OID 0x04
#define TRACE_DATA 0x08
#define TRACE_HW 0x10

static inline VOID MpTrace(ULONG Level, PCCH Function, PCCH Format, ...) __attribute__((format(printf, 3, 4)));

static inline VOID MpTrace(ULONG Level, PCCH Function, PCCH Format, ...)
{
	CHAR Prefix[96];
	ULONG i = 0;
	PCCH s;
	va_list Args;

	for (s = SRNIC_VF_PROVIDER; *s && i < 40; s++)
		Prefix[i++] = *s;
	Prefix[i++] = ':';
	for (s = Function; *s && i < sizeof(Prefix) - 1; s++)
		Prefix[i++] = *s;
	Prefix[i] = 0;
	va_start(Args, Format);
	vDbgPrintExWithPrefix(Prefix, DPFLTR_IHVNETWORK_ID,
			      Level <= TRACE_LEVEL_ERROR ? DPFLTR_ERROR_LEVEL :
			      Level == TRACE_LEVEL_WARNING ? DPFLTR_WARNING_LEVEL :
			      Level == TRACE_LEVEL_INFORMATION ? DPFLTR_TRACE_LEVEL : DPFLTR_INFO_LEVEL,
			      Format, Args);
	va_end(Args);
}

#define TraceEvents(Level, Flags, ...) ((void)(Flags), MpTrace((Level), __func__, __VA_ARGS__))

#endif /* SRNIC_VF_TRACE_H */
