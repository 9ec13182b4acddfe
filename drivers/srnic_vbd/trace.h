/*
 * trace.h -- srnic_vbd's WPP-shaped trace macro. On Windows this would be
 * the WPP_CONTROL_GUIDS block and TraceEvents(Level, Flags, Msg, ...) run
 * through the WPP preprocessor; here TraceEvents keeps that call shape and
 * goes to vDbgPrintExWithPrefix with the provider and the function, so the
 * line reads "[drv.srnic_vbd]VbdFdoStart: ..." in the lab's trace.
 */
#ifndef SRNIC_VBD_TRACE_H
#define SRNIC_VBD_TRACE_H

#include <wdm.h>

#define SRNIC_VBD_PROVIDER "drv.srnic_vbd"

/* evntrace.h levels */
#define TRACE_LEVEL_ERROR 2
#define TRACE_LEVEL_WARNING 3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE 5

/* Trace flags (WPP_DEFINE_BIT). */
#define TRACE_DRIVER 0x1
#define TRACE_FDO 0x2
#define TRACE_PDO 0x4

static inline VOID VbdTrace(ULONG Level, PCCH Function, PCCH Format, ...) __attribute__((format(printf, 3, 4)));

static inline VOID VbdTrace(ULONG Level, PCCH Function, PCCH Format, ...)
{
	CHAR Prefix[96];
	ULONG i = 0;
	PCCH s;
	va_list Args;

	for (s = SRNIC_VBD_PROVIDER; *s && i < 40; s++)
		Prefix[i++] = *s;
	Prefix[i++] = ':';
	for (s = Function; *s && i < sizeof(Prefix) - 1; s++)
		Prefix[i++] = *s;
	Prefix[i] = 0;
	va_start(Args, Format);
	vDbgPrintExWithPrefix(Prefix, DPFLTR_IHVBUS_ID,
			      Level <= TRACE_LEVEL_ERROR ? DPFLTR_ERROR_LEVEL :
			      Level == TRACE_LEVEL_WARNING ? DPFLTR_WARNING_LEVEL :
			      Level == TRACE_LEVEL_INFORMATION ? DPFLTR_TRACE_LEVEL : DPFLTR_INFO_LEVEL,
			      Format, Args);
	va_end(Args);
}

#define TraceEvents(Level, Flags, ...) ((void)(Flags), VbdTrace((Level), __func__, __VA_ARGS__))

#endif /* SRNIC_VBD_TRACE_H */
