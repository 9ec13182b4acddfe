/*
 * Protocols and bindings (protocol.h). Until protocol drivers can be loaded
 * (ndis_protocol_load), an adapter has no bindings: these are the adapter's
 * hooks into the binding table, correct for an empty table.
 */
#include "ndis/internal.h"

void ndis__adapter_bind_all(struct ndis_adapter *ad)
{
	(void)ad;
}

int ndis__adapter_unbind_all(struct ndis_adapter *ad)
{
	(void)ad;
	return 0;
}

void ndis__adapter_force_unbind(struct ndis_adapter *ad)
{
	(void)ad;
}

void ndis__adapter_pnp_to_bindings(struct ndis_adapter *ad, NET_PNP_EVENT_CODE code)
{
	(void)ad;
	(void)code;
}

void ndis__adapter_status_to_bindings(struct ndis_adapter *ad, NDIS_STATUS_INDICATION *ind)
{
	(void)ad;
	(void)ind;
}

void ndis__protocol_unload_all(struct ndis_framework *fw)
{
	(void)fw;
}

void ndis__nbl_check_quiesced(struct ndis_adapter *ad, const char *when)
{
	(void)ad;
	(void)when;
}

void ndis__nbl_adapter_fini(struct ndis_adapter *ad)
{
	(void)ad;
}
