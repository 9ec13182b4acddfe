/*
 * What every api_*.c adapter shares: turning a handle into the framework
 * object it stands for (a wrong handle is reported as an NDIS-HANDLE finding
 * against the driver whose code is running, never dereferenced) and the one
 * mapping from the framework's -errno results to the NDIS_STATUS an export
 * returns.
 */
#include <errno.h>

#include "ndis/internal.h"

void *ndis__api_handle(NDIS_HANDLE h, enum ndis_handle_kind want, const char *fn)
{
	enum ndis_handle_kind k = ndis__handle_kind(h);
	struct ndis_call *c;
	struct ndis_framework *fw;

	if (k == want)
		return h;
	/* The call's instance, or the only one in the process (design.md). */
	c = ndis__call_current();
	fw = ndis__framework_for_call();
	if (fw)
		ndis__finding(fw, NDIS_RULE_HANDLE, c && c->drv ? c->drv->name : "", c && c->ad ? c->ad->name : "",
			      "%s was given %p, which is %s, not a %s", fn, h, ndis__handle_kind_name(k),
			      ndis__handle_kind_name(want));
	else
		log_error(NDIS_LOG_VERIFIER, "%s was given %p, which is %s, not a %s", fn, h, ndis__handle_kind_name(k),
			  ndis__handle_kind_name(want));
	return NULL;
}

NDIS_STATUS ndis__status_from_errno(int rc)
{
	switch (rc) {
	case 0:
		return NDIS_STATUS_SUCCESS;
	case -EINPROGRESS:
		return NDIS_STATUS_PENDING;
	case -ENOMEM:
		return NDIS_STATUS_RESOURCES;
	case -EINVAL:
		return NDIS_STATUS_INVALID_PARAMETER;
	case -EPROTO:
		return NDIS_STATUS_BAD_VERSION;
	case -ENOEXEC:
		return NDIS_STATUS_BAD_CHARACTERISTICS;
	case -ENOTSUP:
		return NDIS_STATUS_NOT_SUPPORTED;
	case -ENOENT:
		return NDIS_STATUS_FILE_NOT_FOUND;
	case -EMSGSIZE:
		return NDIS_STATUS_INVALID_LENGTH;
	case -ENOBUFS:
		return NDIS_STATUS_BUFFER_TOO_SHORT;
	case -ENODEV:
		return NDIS_STATUS_ADAPTER_NOT_READY;
	default:
		return NDIS_STATUS_FAILURE;
	}
}
