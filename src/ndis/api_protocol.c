/*
 * Ndis* exports of the protocol edge: registration, opening and closing
 * bindings, bind/unbind completion, and OID requests from a binding (over
 * protocol.c and oid.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "ndis/internal.h"

NDIS_EXPORT NDIS_STATUS NdisRegisterProtocolDriver(NDIS_HANDLE ProtocolDriverContext,
						   PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics,
						   PNDIS_HANDLE NdisProtocolHandle)
{
	struct ndis_call *c = ndis__call_current();
	struct ndis_protocol *p;
	int rc;

	if (!c || !c->drv || !NdisProtocolHandle) {
		log_error(NDIS_LOG, "NdisRegisterProtocolDriver outside a DriverEntry called by NDIS");
		return NDIS_STATUS_FAILURE;
	}
	rc = ndis__protocol_register(c->drv, ProtocolDriverContext, ProtocolCharacteristics, &p);
	if (rc == 0)
		*NdisProtocolHandle = p;
	return rc == -EPERM ? NDIS_STATUS_FAILURE : ndis__status_from_errno(rc);
}

NDIS_EXPORT VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle)
{
	if (ndis__handle_kind(NdisProtocolHandle) != NDIS_H_PROTOCOL) {
		log_error(NDIS_LOG, "NdisDeregisterProtocolDriver(%p): not an NdisProtocolHandle", NdisProtocolHandle);
		return;
	}
	ndis__protocol_deregister(NdisProtocolHandle);
}

NDIS_EXPORT NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
					  PNDIS_OPEN_PARAMETERS OpenParameters, NDIS_HANDLE BindContext,
					  PNDIS_HANDLE NdisBindingHandle)
{
	struct ndis_binding *b;
	int rc;

	if (ndis__handle_kind(BindContext) != NDIS_H_BIND_CONTEXT ||
	    ndis__handle_kind(NdisProtocolHandle) != NDIS_H_PROTOCOL || !NdisBindingHandle) {
		log_error(NDIS_LOG, "NdisOpenAdapterEx: BindContext %p / NdisProtocolHandle %p are not NDIS's", BindContext,
			  NdisProtocolHandle);
		return NDIS_STATUS_INVALID_PARAMETER;
	}
	b = (struct ndis_binding *)((char *)BindContext - offsetof(struct ndis_binding, bind_token));
	rc = ndis__binding_open(b, NdisProtocolHandle, ProtocolBindingContext, OpenParameters);
	if (rc == 0)
		*NdisBindingHandle = b;
	return rc == -EMEDIUMTYPE ? NDIS_STATUS_UNSUPPORTED_MEDIA :
	       rc == -EPERM	  ? NDIS_STATUS_OPEN_FAILED :
				    ndis__status_from_errno(rc);
}

NDIS_EXPORT VOID NdisCompleteBindAdapterEx(NDIS_HANDLE BindAdapterContext, NDIS_STATUS Status)
{
	if (ndis__handle_kind(BindAdapterContext) != NDIS_H_BIND_CONTEXT) {
		log_error(NDIS_LOG, "NdisCompleteBindAdapterEx(%p): not a BindContext", BindAdapterContext);
		return;
	}
	ndis__binding_bind_complete((struct ndis_binding *)((char *)BindAdapterContext -
							     offsetof(struct ndis_binding, bind_token)),
				    (uint32_t)Status);
}

NDIS_EXPORT NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle)
{
	struct ndis_binding *b = ndis__api_binding(NdisBindingHandle, "NdisCloseAdapterEx");

	if (!b || !b->opened)
		return NDIS_STATUS_FAILURE;
	ndis__binding_close(b, true);
	return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext)
{
	if (ndis__handle_kind(UnbindContext) != NDIS_H_UNBIND_CONTEXT) {
		log_error(NDIS_LOG, "NdisCompleteUnbindAdapterEx(%p): not an UnbindContext", UnbindContext);
		return;
	}
	ndis__binding_unbind_complete((struct ndis_binding *)((char *)UnbindContext -
							       offsetof(struct ndis_binding, unbind_token)));
}

static void protocol_oid_done(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	struct ndis_binding *b = ctx;
	struct ndis_call call;

	ndis__call_enter(&call, b->proto->fw, b->proto->drv, NULL);
	b->proto->chars.OidRequestCompleteHandler(b->proto_ctx, req, (NDIS_STATUS)status);
	ndis__call_leave(&call);
}

NDIS_EXPORT NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest)
{
	struct ndis_binding *b = ndis__api_binding(NdisBindingHandle, "NdisOidRequest");
	struct ndis_issuer who;
	uint32_t status = 0;
	int rc;

	if (!b || !OidRequest)
		return NDIS_STATUS_INVALID_PARAMETER;
	if (!b->opened)
		return NDIS_STATUS_CLOSING;
	who.kind = NDIS_ISSUER_OVERLYING;
	who.name = b->proto->name;
	rc = ndis_oid_request(b->ad, &who, OidRequest, protocol_oid_done, b, &status);
	if (rc == -EINPROGRESS)
		return NDIS_STATUS_PENDING;
	return rc ? ndis__status_from_errno(rc) : (NDIS_STATUS)status;
}
