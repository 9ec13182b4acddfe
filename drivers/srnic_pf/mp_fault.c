/*
 * mp_fault.c -- the lab's fault keywords of the srnic PF miniport: hidden
 * registry values (never under Ndi\params, so never on the Advanced page)
 * that the host writes for a [fault] of the lab file (src/hv/faults.c,
 * docs/faults.md). They put a vendor's bug where a vendor would have it --
 * in this driver's own OID handling -- so NDIS, the virtualization stack
 * and the views see the consequence through the same records they use for
 * every other request:
 *
 *   IovlabFailOid / IovlabFailStatus (hex): MiniportOidRequest completes
 *     that OID with that status (catalogue F20, F21);
 *   IovlabVfVlanLimit (decimal): at most N VLAN filters on the VFs'
 *     vPorts; a MOVE_FILTER or SET_FILTER that would put one
 *     more VLAN filter on a VF's vPort is refused with
 *     NDIS_STATUS_RESOURCES, like a NIC whose VFs share 32 VLAN entries
 *     (catalogue F28; Intel's VF VLAN limit).
 *
 * They are read once, in MiniportInitializeEx, like every keyword; a change
 * applies at the adapter's next restart (Set-NetAdapterAdvancedProperty
 * restarts it).
 */
#include "srnic_pf.h"

static BOOLEAN MPReadFaultValue(_In_ NDIS_HANDLE Config, _In_ PNDIS_STRING Keyword, NDIS_PARAMETER_TYPE Type,
				_Out_ PULONG Value)
{
	PNDIS_CONFIGURATION_PARAMETER p;
	NDIS_STATUS Status;

	*Value = 0;
	NdisReadConfiguration(&Status, &p, Config, Keyword, Type);
	if (Status != NDIS_STATUS_SUCCESS)
		return FALSE;
	*Value = p->ParameterData.IntegerData;
	return TRUE;
}

VOID MPReadFaultKeywords(_Inout_ PMP_ADAPTER Adapter, _In_ NDIS_HANDLE Config)
{
	NDIS_STRING kwOid = NDIS_STRING_CONST("IovlabFailOid");
	NDIS_STRING kwStatus = NDIS_STRING_CONST("IovlabFailStatus");
	NDIS_STRING kwVlan = NDIS_STRING_CONST("IovlabVfVlanLimit");
	ULONG v;

	Adapter->FailOid = 0;
	Adapter->FailStatus = NDIS_STATUS_FAILURE;
	Adapter->VfVlanLimit = 0;
	if (MPReadFaultValue(Config, &kwOid, NdisParameterHexInteger, &v) && v) {
		Adapter->FailOid = v;
		if (MPReadFaultValue(Config, &kwStatus, NdisParameterHexInteger, &v) && v)
			Adapter->FailStatus = v;
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "IovlabFailOid 0x%08x: this OID will complete with 0x%x",
			    Adapter->FailOid, (unsigned)Adapter->FailStatus);
	}
	if (MPReadFaultValue(Config, &kwVlan, NdisParameterInteger, &v)) {
		Adapter->VfVlanLimit = v + 1;
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "IovlabVfVlanLimit %u: VFs share %u VLAN filters", v, v);
	}
}

/* VLAN filters on the VFs' vPorts (every vPort but the default one). */
ULONG MPVfVlanFilters(_In_ PMP_ADAPTER Adapter)
{
	ULONG n = 0;

	for (ULONG i = 0; i < MP_MAX_FILTERS; i++)
		if (Adapter->Filter[i].InUse && Adapter->Filter[i].VlanId && Adapter->Filter[i].VPortId != NDIS_DEFAULT_VPORT_ID)
			n++;
	return n;
}
