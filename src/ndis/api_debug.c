/*
 * DbgPrintEx (wdm.h): a driver's debug output, and the ground its
 * WPP-shaped trace macro stands on. The line goes to iovlab's one logger
 * under "drv.<service name>" of the driver whose code the thread is running
 * (the current call), so a driver trace interleaves with the framework's
 * trace in one tracefmt-like stream (docs/logging.md). Outside a call into
 * driver code the topic is plain "drv".
 */
#include <stdio.h>
#include <string.h>

#include "ndis/internal.h"

static enum log_level level_of(ULONG Level)
{
	switch (Level) {
	case DPFLTR_ERROR_LEVEL:
		return LOG_ERROR;
	case DPFLTR_WARNING_LEVEL:
		return LOG_WARN;
	case DPFLTR_TRACE_LEVEL:
		return LOG_INFO;
	case DPFLTR_INFO_LEVEL:
		return LOG_DEBUG;
	default:
		return LOG_TRACE;
	}
}

NDIS_EXPORT ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
	struct ndis_call *c = ndis__call_current();
	enum log_level lv = level_of(Level);
	char topic[64], line[1024];
	va_list ap;
	size_t n;

	(void)ComponentId;
	if (c && c->drv)
		snprintf(topic, sizeof(topic), "drv.%s", c->drv->name);
	else
		snprintf(topic, sizeof(topic), "drv");
	if (!Format || !log_enabled(topic, lv))
		return STATUS_SUCCESS;
	va_start(ap, Format);
	vsnprintf(line, sizeof(line), Format, ap);
	va_end(ap);
	/* DbgPrint lines end with a newline; the logger adds its own. */
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	log_write(topic, lv, "%s", line);
	return STATUS_SUCCESS;
}
