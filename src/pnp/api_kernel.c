/*
 * The small kernel services drivers in iovlab's guest call besides the
 * IRP and device routines: pool (ExAllocatePoolWithTag / ExFreePool), events
 * (KeInitializeEvent ... KeWaitForSingleObject), the device's registry keys
 * (IoOpenDeviceRegistryKey + ZwQueryValueKey + ZwClose, the values coming
 * from the INF's AddReg lines and the lab's overrides) and debug output
 * (DbgPrintEx, vDbgPrintExWithPrefix -> the lab logger, so driver traces
 * land in the same WPP-shaped stream as everything else).
 *
 * The guest's drivers run on one thread: a wait on an event nobody has set
 * can never end, so KeWaitForSingleObject returns STATUS_TIMEOUT and logs
 * it instead of hanging (docs/pnp.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pnp/pnp_int.h"

/* ---- pool ------------------------------------------------------------------- */
WDM_EXPORT PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	(void)PoolType;
	(void)Tag;
	return malloc(NumberOfBytes ? NumberOfBytes : 1);
}

WDM_EXPORT VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
	(void)Tag;
	if (!P) {
		pnp__driver_bug("ExFreePool(NULL) (bugcheck 0xC2 BAD_POOL_CALLER on Windows)");
		return;
	}
	free(P);
}

WDM_EXPORT VOID ExFreePool(PVOID P)
{
	ExFreePoolWithTag(P, 0);
}

/* ---- events -------------------------------------------------------------------- */
WDM_EXPORT VOID KeInitializeEvent(PKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
	Event->Type = Type;
	Event->SignalState = State ? 1 : 0;
}

WDM_EXPORT LONG KeSetEvent(PKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	LONG prev = Event->SignalState;

	(void)Increment;
	(void)Wait;
	Event->SignalState = 1;
	return prev;
}

WDM_EXPORT VOID KeClearEvent(PKEVENT Event)
{
	Event->SignalState = 0;
}

WDM_EXPORT LONG KeReadStateEvent(PKEVENT Event)
{
	return Event->SignalState;
}

WDM_EXPORT NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
					  BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
	PKEVENT ev = Object;

	(void)WaitReason;
	(void)WaitMode;
	(void)Alertable;
	if (ev->SignalState) {
		if (ev->Type == SynchronizationEvent)
			ev->SignalState = 0;
		return STATUS_SUCCESS;
	}
	if (!Timeout || Timeout->QuadPart != 0)
		log_error(PNP_LOG, "KeWaitForSingleObject on an event nobody has set: the guest's drivers run on one "
			  "thread, so it could never be set; returning STATUS_TIMEOUT");
	return STATUS_TIMEOUT;
}

/* ---- registry keys -------------------------------------------------------------- */
struct pnp_key {
	struct pnp_param *params;	/* a copy taken at open time */
	size_t n;
};

WDM_EXPORT NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType,
					    ACCESS_MASK DesiredAccess, PHANDLE DevInstRegKey)
{
	struct _DEVOBJ_EXTENSION *x;
	struct pnp_devnode *dn;
	struct pnp_key *k;
	const struct pnp_param *src;
	size_t n;

	(void)DesiredAccess;
	if (!DevInstRegKey)
		return STATUS_INVALID_PARAMETER;
	*DevInstRegKey = NULL;
	if (!pnp__obj_check(DeviceObject, PNP_OBJ_DEVICE, "IoOpenDeviceRegistryKey"))
		return STATUS_INVALID_PARAMETER;
	x = pnp__devext(DeviceObject);
	dn = x->dn;
	if (!dn || dn->pdo != DeviceObject) {
		pnp__driver_bug("IoOpenDeviceRegistryKey(%s): not a PDO (pass the physical device object)", x->name);
		return STATUS_INVALID_DEVICE_REQUEST;
	}
	if (DevInstKeyType == PLUGPLAY_REGKEY_DEVICE) {
		src = dn->dev_params;
		n = dn->n_dev_params;
	} else if (DevInstKeyType == PLUGPLAY_REGKEY_DRIVER) {
		src = dn->drv_params;
		n = dn->n_drv_params;
	} else {
		return STATUS_INVALID_PARAMETER;
	}
	k = calloc(1, sizeof(*k));
	if (!k || (n && !(k->params = malloc(n * sizeof(*src))))) {
		free(k);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	if (n)
		memcpy(k->params, src, n * sizeof(*src));
	k->n = n;
	if (pnp__obj_add(k, PNP_OBJ_KEY)) {
		free(k->params);
		free(k);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	*DevInstRegKey = k;
	return STATUS_SUCCESS;
}

WDM_EXPORT NTSTATUS ZwQueryValueKey(HANDLE KeyHandle, PUNICODE_STRING ValueName,
				    KEY_VALUE_INFORMATION_CLASS KeyValueInformationClass, PVOID KeyValueInformation,
				    ULONG Length, PULONG ResultLength)
{
	struct pnp_key *k = KeyHandle;
	const struct pnp_param *p = NULL;
	PKEY_VALUE_PARTIAL_INFORMATION info = KeyValueInformation;
	char name[64];
	UCHAR data[2 * sizeof(((struct pnp_param *)0)->sz) + 2];
	ULONG dlen, need;
	size_t i;

	if (ResultLength)
		*ResultLength = 0;
	if (!pnp__obj_check(KeyHandle, PNP_OBJ_KEY, "ZwQueryValueKey") || !ValueName || !ValueName->Buffer)
		return STATUS_INVALID_PARAMETER;
	if (KeyValueInformationClass != KeyValuePartialInformation) {
		log_warn(PNP_LOG, "ZwQueryValueKey: only KeyValuePartialInformation is modelled");
		return STATUS_INVALID_PARAMETER;
	}
	for (i = 0; i + 1 < sizeof(name) && i < ValueName->Length / sizeof(WCHAR); i++)
		name[i] = ValueName->Buffer[i] < 0x80 ? (char)ValueName->Buffer[i] : '?';
	name[i] = 0;
	for (i = 0; i < k->n; i++)
		if (!strcasecmp(k->params[i].name, name)) {
			p = &k->params[i];
			break;
		}
	if (!p)
		return STATUS_OBJECT_NAME_NOT_FOUND;
	if (p->type == REG_DWORD) {
		memcpy(data, &p->dword, 4);
		dlen = 4;
	} else {
		size_t n = strlen(p->sz);

		for (size_t c = 0; c <= n; c++) {
			WCHAR w = (WCHAR)(unsigned char)p->sz[c];

			memcpy(data + 2 * c, &w, 2);
		}
		dlen = (ULONG)(2 * (n + 1));
	}
	need = (ULONG)offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data) + dlen;
	if (ResultLength)
		*ResultLength = need;
	if (!info || Length < offsetof(KEY_VALUE_PARTIAL_INFORMATION, Data))
		return STATUS_BUFFER_TOO_SMALL;
	info->TitleIndex = 0;
	info->Type = p->type;
	info->DataLength = dlen;
	if (Length < need)
		return STATUS_BUFFER_OVERFLOW;
	memcpy(info->Data, data, dlen);
	return STATUS_SUCCESS;
}

WDM_EXPORT NTSTATUS ZwClose(HANDLE Handle)
{
	struct pnp_key *k = Handle;

	if (!pnp__obj_check(Handle, PNP_OBJ_KEY, "ZwClose"))
		return STATUS_INVALID_PARAMETER;
	pnp__obj_remove(k);
	free(k->params);
	free(k);
	return STATUS_SUCCESS;
}

/* ---- debug output ------------------------------------------------------------------ */
static enum log_level dpfltr_level(ULONG level)
{
	switch (level) {
	case DPFLTR_ERROR_LEVEL:
		return LOG_ERROR;
	case DPFLTR_WARNING_LEVEL:
		return LOG_WARN;
	case DPFLTR_TRACE_LEVEL:
		return LOG_INFO;
	default:
		return LOG_DEBUG;	/* DPFLTR_INFO_LEVEL and mask levels: the chattiest */
	}
}

/*
 * A prefix "drv.<provider>[:<function>]" names the trace provider -- the
 * log topic -- and the function WPP's %!FUNC! would print (the drivers'
 * TraceEvents macros pass it so); any other prefix is printed as text.
 */
static bool split_prefix(const char *p, char *topic, size_t tlen, const char **func)
{
	size_t n = 0;

	*func = NULL;
	if (!p || strncmp(p, "drv.", 4) || !p[4])
		return false;
	for (; p[n] && p[n] != ':'; n++)
		if (!(p[n] == '.' || p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')))
			return false;
	if (n >= tlen)
		return false;
	memcpy(topic, p, n);
	topic[n] = 0;
	if (p[n] == ':' && p[n + 1])
		*func = p + n + 1;
	return true;
}

WDM_EXPORT ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
	enum log_level lv = dpfltr_level(Level);
	char topic[64], buf[1024];
	const char *func = NULL;
	bool provider = split_prefix(Prefix, topic, sizeof(topic), &func);
	size_t n;

	(void)ComponentId;
	if (!provider)
		snprintf(topic, sizeof(topic), "drv");
	if (!Format || !log_enabled(topic, lv))
		return 0;
	vsnprintf(buf, sizeof(buf), Format, arglist);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	if (func)
		log_write(topic, lv, "%s: %s", func, buf);
	else if (provider || !Prefix)
		log_write(topic, lv, "%s", buf);
	else
		log_write(topic, lv, "%s%s", Prefix, buf);
	return 0;
}

/*
 * Weak: a partition that also runs NDIS links src/ndis/api_debug.c, whose
 * DbgPrintEx names the calling driver in the topic and wins; a WDM-only
 * program (tests/pnp) gets this one. One routine, two providers by design.
 */
WDM_EXPORT __attribute__((weak)) ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
	va_list ap;
	ULONG r;

	va_start(ap, Format);
	r = vDbgPrintExWithPrefix("", ComponentId, Level, Format, ap);
	va_end(ap);
	return r;
}
