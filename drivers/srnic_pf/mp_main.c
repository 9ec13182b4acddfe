/*
 * mp_main.c -- DriverEntry and the adapter lifecycle of the srnic PF
 * miniport: MiniportInitializeEx as spec 2.1 asks of a PF (parent partition
 * check, SR-IOV keywords and the *SriovPreferred / *RssOrVmqPreference
 * decision of spec 2.2, hardware SR-IOV / NIC-switch / receive-filter
 * capabilities always and current ones only for the enabled interface,
 * derived from the device's registers and its SR-IOV capability), Halt,
 * Pause, Restart, Shutdown and PnP events. The NIC switch is created
 * dynamically when NDIS issues OID_NIC_SWITCH_CREATE_SWITCH (mp_nicswitch.c).
 */
#include "srnic_pf.h"

static NDIS_HANDLE MPDriverHandle;

/* ---- adapter state machine (tables in mp_state.c) ------------------------ */
NDIS_STATUS MPSetAdapterState(_Inout_ PMP_ADAPTER Adapter, MP_ADAPTER_STATE To)
{
	if (!MPAdapterStateTransitionAllowed(Adapter->State, To)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "illegal adapter transition %s -> %s refused",
			    MPAdapterStateName(Adapter->State), MPAdapterStateName(To));
		return NDIS_STATUS_INVALID_STATE;
	}
	TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_INIT, "adapter %s -> %s", MPAdapterStateName(Adapter->State),
		    MPAdapterStateName(To));
	Adapter->State = To;
	return NDIS_STATUS_SUCCESS;
}

/* ---- keywords (spec 2.2) ------------------------------------------------------ */
static BOOLEAN MPReadKeyword(_In_ NDIS_HANDLE Config, _In_ PNDIS_STRING Keyword, ULONG Default, _Out_ PULONG Value)
{
	PNDIS_CONFIGURATION_PARAMETER p;
	NDIS_STATUS Status;

	*Value = Default;
	NdisReadConfiguration(&Status, &p, Config, Keyword, NdisParameterInteger);
	if (Status != NDIS_STATUS_SUCCESS)
		return FALSE;
	*Value = p->ParameterData.IntegerData;
	return TRUE;
}

/*
 * The decision procedure of spec 2.2: SR-IOV preference reads *SRIOV and
 * *VMQVlanFiltering (and *VMQ if VMQ is preferred too) but never the RSS
 * keywords; VMQ preference reads only *VMQ; RSS preference only *RSS.
 * srnic has neither VM queues nor RSS, so those choices enable nothing;
 * they are still taken, and traced, exactly as the table says. A keyword
 * the INF does not offer reads as 0 (not supported); *VMQVlanFiltering as 1
 * (srnic filters on VLANs).
 */
static VOID MPDecideInterfaces(_Inout_ PMP_ADAPTER Adapter, _In_ NDIS_HANDLE Config)
{
	NDIS_STRING kwPreferred = NDIS_STRING_CONST("*SriovPreferred");
	NDIS_STRING kwRssOrVmq = NDIS_STRING_CONST("*RssOrVmqPreference");
	NDIS_STRING kwSriov = NDIS_STRING_CONST("*SRIOV");
	NDIS_STRING kwVmq = NDIS_STRING_CONST("*VMQ");
	NDIS_STRING kwRss = NDIS_STRING_CONST("*RSS");
	NDIS_STRING kwVlan = NDIS_STRING_CONST("*VMQVlanFiltering");
	NDIS_STRING kwSwitch = NDIS_STRING_CONST("NicSwitches\\0");
	NDIS_STRING kwNumVFs = NDIS_STRING_CONST("*NumVFs");
	NDIS_HANDLE Switch = NULL;
	NDIS_STATUS Status;

	(void)MPReadKeyword(Config, &kwPreferred, 0, &Adapter->SriovPreferred);
	(void)MPReadKeyword(Config, &kwRssOrVmq, 0, &Adapter->RssOrVmqPreference);
#ifdef SRNIC_PF_VARIANT_PREFERS_VMQ
	/*
	 * Variant prefers-vmq (catalogue F14; docs/faults.md): the bug of a
	 * driver ported from a VMQ NIC -- *SriovPreferred is read and then
	 * overridden by a VMQ-first default, so the adapter reports hardware
	 * SR-IOV capabilities and never current ones.
	 */
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "*SriovPreferred %u ignored: VMQ is preferred (prefers-vmq build)",
		    Adapter->SriovPreferred);
	Adapter->SriovPreferred = 0;
	Adapter->RssOrVmqPreference = 1;
#endif
	Adapter->Mode = 0;
	if (Adapter->SriovPreferred == 1) {
		(void)MPReadKeyword(Config, &kwSriov, 0, &Adapter->SriovKeyword);
		(void)MPReadKeyword(Config, &kwVlan, 1, &Adapter->VmqVlanFiltering);
		if (Adapter->SriovKeyword == 1)
			Adapter->Mode |= MP_MODE_SRIOV;
		if (Adapter->RssOrVmqPreference == 1) {
			(void)MPReadKeyword(Config, &kwVmq, 0, &Adapter->VmqKeyword);
			if (Adapter->VmqKeyword == 1)
				Adapter->Mode |= MP_MODE_VMQ;
		}
	} else if (Adapter->RssOrVmqPreference == 1) {
		(void)MPReadKeyword(Config, &kwVmq, 0, &Adapter->VmqKeyword);
		if (Adapter->VmqKeyword == 1)
			Adapter->Mode |= MP_MODE_VMQ;
	} else {
		(void)MPReadKeyword(Config, &kwRss, 0, &Adapter->RssKeyword);
		if (Adapter->RssKeyword == 1)
			Adapter->Mode |= MP_MODE_RSS;
	}
	/* NicSwitches\0\*NumVFs bounds the VFs this adapter offers (spec 2.2). */
	Adapter->NumVFsKeyword = Adapter->TotalVFs;
	if (Adapter->Mode & MP_MODE_SRIOV) {
		NdisOpenConfigurationKeyByName(&Status, Config, &kwSwitch, &Switch);
		if (Status == NDIS_STATUS_SUCCESS && !MPReadKeyword(Switch, &kwNumVFs, Adapter->TotalVFs, &Adapter->NumVFsKeyword))
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "NicSwitches\\0 has no *NumVFs; offering TotalVFs %u",
				    Adapter->TotalVFs);
		else if (Status != NDIS_STATUS_SUCCESS)
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "no NicSwitches\\0 key: the INF's default switch is missing");
	}
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT,
		    "*SriovPreferred %u *RssOrVmqPreference %u -> SR-IOV %s, VMQ %s, RSS %s; *NumVFs %u", Adapter->SriovPreferred,
		    Adapter->RssOrVmqPreference, (Adapter->Mode & MP_MODE_SRIOV) ? "on" : "off",
		    (Adapter->Mode & MP_MODE_VMQ) ? "requested (srnic has no VM queues)" : "off",
		    (Adapter->Mode & MP_MODE_RSS) ? "requested (srnic has no RSS)" : "off", Adapter->NumVFsKeyword);
}

/* ---- attributes ---------------------------------------------------------------- */
static NDIS_STATUS MPSetRegistrationAttributes(_In_ PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;

	NdisZeroMemory(&ra, sizeof(ra));
	ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	ra.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.MiniportAdapterContext = Adapter;
	ra.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER;
	if (Adapter->OverVbd)
		ra.AttributeFlags |= NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM;	/* on srnic_vbd's child (spec 6.4) */
	ra.InterfaceType = NdisInterfacePci;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra);
}

static NDIS_STATUS MPSetGeneralAttributes(_In_ PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES ga;

	NdisZeroMemory(&ga, sizeof(ga));
	ga.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
	ga.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.MediaType = NdisMedium802_3;
	ga.PhysicalMediumType = NdisPhysicalMedium802_3;
	ga.MtuSize = MP_MTU;
	ga.MaxXmitLinkSpeed = ga.XmitLinkSpeed = ga.MaxRcvLinkSpeed = ga.RcvLinkSpeed = MP_LINK_SPEED;
	ga.MediaConnectState = HWUplinkUp(Adapter) ? MediaConnectStateConnected : MediaConnectStateDisconnected;
	ga.MediaDuplexState = MediaDuplexStateFull;
	ga.LookaheadSize = MP_MTU;
	ga.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
			NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_FULL_DUPLEX | NDIS_MAC_OPTION_8021Q_VLAN;
	ga.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
				    NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
	ga.MaxMulticastListSize = MP_MAX_MULTICAST;
	ga.MacAddressLength = 6;
	NdisMoveMemory(ga.PermanentMacAddress, Adapter->PermanentMac, 6);
	NdisMoveMemory(ga.CurrentMacAddress, Adapter->CurrentMac, 6);
	ga.AccessType = NET_IF_ACCESS_BROADCAST;
	ga.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
	ga.ConnectionType = NET_IF_CONNECTION_DEDICATED;
	ga.IfType = IF_TYPE_ETHERNET_CSMACD;
	ga.IfConnectorPresent = TRUE;
	ga.SupportedStatistics = NDIS_STATISTICS_XMIT_OK_SUPPORTED | NDIS_STATISTICS_RCV_OK_SUPPORTED |
				 NDIS_STATISTICS_XMIT_ERROR_SUPPORTED | NDIS_STATISTICS_RCV_ERROR_SUPPORTED;
	ga.SupportedPauseFunctions = NdisPauseFunctionsUnsupported;
	ga.SupportedOidList = (PNDIS_OID)MPSupportedOids;
	ga.SupportedOidListLength = MPSupportedOidsLength;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ga);
}

static VOID MPDefaultHeader(_Out_ PNDIS_OBJECT_HEADER Header, UCHAR Revision, USHORT Size)
{
	Header->Type = NDIS_OBJECT_TYPE_DEFAULT;
	Header->Revision = Revision;
	Header->Size = Size;
}

/* True if x is a power of two. */
static BOOLEAN MPPowerOfTwo(ULONG x)
{
	return x && !(x & (x - 1));
}

/*
 * The NIC-switch capability rules of spec 2.1 ("Constraints a model should
 * check"), asserted on what this driver is about to report.
 */
static BOOLEAN MPSwitchCapsConsistent(_In_ const NDIS_NIC_SWITCH_CAPABILITIES *c)
{
	return c->MaxNumSwitches == 1 && c->MaxNumVPorts >= c->MaxNumVFs + 1 && c->MaxNumQueuePairs >= c->MaxNumVPorts &&
	       c->MaxNumMacAddresses >= c->MaxNumVPorts && MPPowerOfTwo(c->MaxNumQueuePairsPerNonDefaultVPort) &&
	       c->NumTotalMacAddresses == 0 && c->NumMacAddressesPerPort == 0 && c->NumVlansPerPort == 0;
}

/*
 * Capabilities from the hardware: TotalVFs from the SR-IOV capability, the
 * PF's queue pairs from NUM_QP, two per VF and 256 filters from the
 * datasheet. Non-default vPorts come from one pool (the PF may use spare PF
 * queue pairs for vPorts of its own, so a VF may find the pool empty).
 */
static VOID MPBuildCapabilities(_Inout_ PMP_ADAPTER Adapter)
{
	NDIS_NIC_SWITCH_CAPABILITIES *hs = &Adapter->HwSwitchCaps, *cs = &Adapter->CurSwitchCaps;
	NDIS_RECEIVE_FILTER_CAPABILITIES *hf = &Adapter->HwFilterCaps, *cf = &Adapter->CurFilterCaps;
	ULONG vports = (ULONG)Adapter->TotalVFs + 1;

	NdisZeroMemory(&Adapter->SriovCaps, sizeof(Adapter->SriovCaps));
	MPDefaultHeader(&Adapter->SriovCaps.Header, NDIS_SRIOV_CAPABILITIES_REVISION_1,
			NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1);
	Adapter->SriovCaps.SriovCapabilities = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT;

	NdisZeroMemory(hs, sizeof(*hs));
	MPDefaultHeader(&hs->Header, NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2, NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2);
	hs->NicSwitchCapabilities = NDIS_NIC_SWITCH_CAPS_VLAN_SUPPORTED | NDIS_NIC_SWITCH_CAPS_SINGLE_VPORT_POOL;
	hs->MaxNumSwitches = 1;
	hs->MaxNumVPorts = vports < MP_MAX_VPORTS ? vports : MP_MAX_VPORTS;
	hs->MaxNumVFs = Adapter->TotalVFs;
	hs->MaxNumQueuePairs = Adapter->NumQueuePairs + (ULONG)Adapter->TotalVFs * SRNIC_VF_NUM_QP;
	hs->MaxNumQueuePairsPerNonDefaultVPort = SRNIC_VF_NUM_QP;
	hs->MaxNumMacAddresses = MP_MAX_FILTERS;
	*cs = *hs;
	/* The current switch offers at most *NumVFs VFs (spec 2.2). */
	if (Adapter->NumVFsKeyword < cs->MaxNumVFs)
		cs->MaxNumVFs = Adapter->NumVFsKeyword;
	if (!Adapter->VmqVlanFiltering)
		cs->NicSwitchCapabilities &= ~NDIS_NIC_SWITCH_CAPS_VLAN_SUPPORTED;

	NdisZeroMemory(hf, sizeof(*hf));
	MPDefaultHeader(&hf->Header, NDIS_RECEIVE_FILTER_CAPABILITIES_REVISION_2,
			NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_2);
	hf->EnabledFilterTypes = NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED;
	hf->SupportedFilterTests = NDIS_RECEIVE_FILTER_TEST_HEADER_FIELD_EQUAL_SUPPORTED;
	hf->SupportedHeaders = NDIS_RECEIVE_FILTER_MAC_HEADER_SUPPORTED;
	hf->SupportedMacHeaderFields = NDIS_RECEIVE_FILTER_MAC_HEADER_DEST_ADDR_SUPPORTED |
				       NDIS_RECEIVE_FILTER_MAC_HEADER_VLAN_ID_SUPPORTED;
	hf->MaxMacHeaderFilters = MP_MAX_FILTERS;
	*cf = *hf;
	/* SR-IOV is the enabled interface: no VM queues (spec 2.1 table). */
	cf->NumQueues = 0;
	if (!Adapter->VmqVlanFiltering)
		cf->SupportedMacHeaderFields &= ~NDIS_RECEIVE_FILTER_MAC_HEADER_VLAN_ID_SUPPORTED;
}

static NDIS_STATUS MPSetHardwareAssistAttributes(_Inout_ PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES ha;
	BOOLEAN cur = Adapter->SriovEnabled;

	if (!MPSwitchCapsConsistent(&Adapter->HwSwitchCaps) || !MPSwitchCapsConsistent(&Adapter->CurSwitchCaps)) {
		TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "NIC-switch capabilities break the rules of the NDIS docs");
		return NDIS_STATUS_FAILURE;
	}
	NdisZeroMemory(&ha, sizeof(ha));
	ha.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES;
	ha.Header.Revision = NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
#ifdef SRNIC_PF_VARIANT_BAD_ATTR_HEADER
	/*
	 * Variant bad-attr-header (catalogue F32, source S31): the header Size
	 * copied from the general-attributes call above. NDIS refuses the
	 * attributes; see MPInitializeEx for what the caller does with that.
	 */
	ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
#else
	ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
#endif
	/* Hardware capabilities always; current ones only for SR-IOV (spec 2.1 items 4-6). */
	ha.HardwareSriovCapabilities = &Adapter->SriovCaps;
	ha.CurrentSriovCapabilities = cur ? &Adapter->SriovCaps : NULL;
	ha.HardwareNicSwitchCapabilities = &Adapter->HwSwitchCaps;
	ha.CurrentNicSwitchCapabilities = cur ? &Adapter->CurSwitchCaps : NULL;
	ha.HardwareReceiveFilterCapabilities = &Adapter->HwFilterCaps;
	ha.CurrentReceiveFilterCapabilities = cur ? &Adapter->CurFilterCaps : NULL;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ha);
}

/* ---- MiniportInitializeEx -------------------------------------------------------- */
static NDIS_STATUS MPInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
				  PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
	NDIS_HYPERVISOR_INFO hv;
	NDIS_CONFIGURATION_OBJECT co;
	NDIS_HANDLE Config = NULL;
	PMP_ADAPTER Adapter;
	NDIS_STATUS Status;

	UNREFERENCED_PARAMETER(MiniportDriverContext);
	UNREFERENCED_PARAMETER(MiniportInitParameters);
	Adapter = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(*Adapter), MP_TAG, NormalPoolPriority);
	if (!Adapter)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Adapter, sizeof(*Adapter));
	Adapter->AdapterHandle = MiniportAdapterHandle;
	Adapter->State = MpAdapterHalted;
	(void)MPSetAdapterState(Adapter, MpAdapterInitializing);

	MPVbdInitialize(Adapter);	/* on the PCI PDO, or over srnic_vbd? */
	Status = MPSetRegistrationAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_free;

	/* Act as a PF only in the Hyper-V parent partition (spec 2.1 step 1). */
	NdisZeroMemory(&hv, sizeof(hv));
	hv.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	hv.Header.Revision = NDIS_HYPERVISOR_INFO_REVISION_1;
	hv.Header.Size = NDIS_SIZEOF_HYPERVISOR_INFO_REVISION_1;
	Adapter->Parent = NdisGetHypervisorInfo(&hv) == NDIS_STATUS_SUCCESS &&
			  (hv.Flags & NDIS_HYPERVISOR_INFO_FLAG_HYPERVISOR_PRESENT) &&
			  hv.PartitionType == NdisHypervisorPartitionTypeMsHvParent;
	if (!Adapter->Parent)
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT,
			    "not in the Hyper-V parent partition (type %d): a plain NIC without SR-IOV", hv.PartitionType);

	Status = HWInitialize(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_free;
#ifdef SRNIC_PF_VARIANT_NO_SRIOV
	/*
	 * Variant no-sriov (catalogue F12): a build of the driver without its
	 * SR-IOV support -- the SR-IOV capability is never read, so TotalVFs
	 * stays 0 and no SR-IOV, NIC-switch or receive-filter capabilities are
	 * registered: the adapter runs as a plain NIC.
	 */
	TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "built without SR-IOV support: the SR-IOV capability is not read");
	Adapter->TotalVFs = 0;
#else
	Status = MPSriovReadCapability(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
#endif

	co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
	co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
	co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
	co.NdisHandle = MiniportAdapterHandle;
	co.Flags = 0;
	Status = NdisOpenConfigurationEx(&co, &Config);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
	if (Adapter->Parent && Adapter->TotalVFs)
		MPDecideInterfaces(Adapter, Config);
	MPReadFaultKeywords(Adapter, Config);
	NdisCloseConfiguration(Config);
	Adapter->SriovEnabled = (Adapter->Mode & MP_MODE_SRIOV) != 0;

	Status = MPSetGeneralAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
	if (Adapter->Parent && Adapter->TotalVFs) {
		MPBuildCapabilities(Adapter);
		Status = MPSetHardwareAssistAttributes(Adapter);
#ifdef SRNIC_PF_VARIANT_BAD_ATTR_HEADER
		/* The vendor's second mistake (S31): the status is only traced, so
		 * the adapter comes up with no SR-IOV capabilities registered. */
		if (Status != NDIS_STATUS_SUCCESS) {
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "hardware-assist attributes: 0x%x (ignored)",
				    (unsigned)Status);
			Adapter->SriovEnabled = FALSE;
			Status = NDIS_STATUS_SUCCESS;
		}
#endif
		if (Status != NDIS_STATUS_SUCCESS)
			goto fail_hw;
	}
	Status = MPDatapathInitialize(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_hw;
	Adapter->PacketFilter = 0;
	Adapter->Lookahead = MP_MTU;
	(void)MPSetAdapterState(Adapter, MpAdapterPaused);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "PF up: SR-IOV %s, TotalVFs %u, VFs offered %u",
		    Adapter->SriovEnabled ? "enabled" : "disabled", Adapter->TotalVFs,
		    Adapter->SriovEnabled ? Adapter->CurSwitchCaps.MaxNumVFs : 0);
	return NDIS_STATUS_SUCCESS;

fail_hw:
	HWRelease(Adapter);
fail_free:
	TraceEvents(TRACE_LEVEL_ERROR, TRACE_INIT, "MiniportInitializeEx fails with 0x%x", (unsigned)Status);
	MPVbdRelease(Adapter);
	(void)MPSetAdapterState(Adapter, MpAdapterHalted);
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
	return Status;
}

static VOID MPHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	(void)MPSetAdapterState(Adapter, MpAdapterHalting);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "halt (action %d)", HaltAction);
	/* NDIS deleted the switch already (spec 2.18); a switch left over from
	 * a failed delete is torn down here, virtualization included. */
	if (Adapter->SwitchCreated || Adapter->VirtualizationEnabled)
		MPNicSwitchTeardown(Adapter);
	MPDatapathRelease(Adapter);
	HWRelease(Adapter);
	MPVbdRelease(Adapter);
	(void)MPSetAdapterState(Adapter, MpAdapterHalted);
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
}

static NDIS_STATUS MPPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(PauseParameters);
	(void)MPSetAdapterState(Adapter, MpAdapterPausing);
	MPDatapathStop(Adapter);
	return MPSetAdapterState(Adapter, MpAdapterPaused);
}

static NDIS_STATUS MPRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(RestartParameters);
	(void)MPSetAdapterState(Adapter, MpAdapterRestarting);
	(void)MPSetAdapterState(Adapter, MpAdapterRunning);
	MPDatapathStart(Adapter);
	return NDIS_STATUS_SUCCESS;
}

static VOID MPShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(ShutdownAction);
	/* Quiesce the device; no memory is freed at shutdown. */
	HWWriteRegister(Adapter, SRNIC_REG_CTRL, 0);
}

static VOID MPDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "PnP event %d", NetDevicePnPEvent->DevicePnPEvent);
}

static VOID MPDriverUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	NdisMDeregisterMiniportDriver(MPDriverHandle);
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;
	NDIS_STATUS Status;

	NdisZeroMemory(&mc, sizeof(mc));
	mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
	mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
	mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
	mc.MajorDriverVersion = MP_MAJOR_DRIVER_VERSION;
	mc.MinorDriverVersion = MP_MINOR_DRIVER_VERSION;
	mc.InitializeHandlerEx = MPInitializeEx;
	mc.HaltHandlerEx = MPHaltEx;
	mc.UnloadHandler = MPDriverUnload;
	mc.PauseHandler = MPPause;
	mc.RestartHandler = MPRestart;
	mc.OidRequestHandler = MPOidRequest;
	mc.SendNetBufferListsHandler = MPSendNetBufferLists;
	mc.ReturnNetBufferListsHandler = MPReturnNetBufferLists;
	mc.CancelSendHandler = MPCancelSend;
	mc.DevicePnPEventNotifyHandler = MPDevicePnPEventNotify;
	mc.ShutdownHandlerEx = MPShutdownEx;
	mc.CancelOidRequestHandler = MPCancelOidRequest;
	Status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &MPDriverHandle);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "NdisMRegisterMiniportDriver: 0x%x", (unsigned)Status);
	return Status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
