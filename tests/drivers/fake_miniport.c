/*
 * fake_miniport.c -- the test miniports of the framework tests, written the
 * way a Windows miniport is written (MP* entry points, NDIS_STATUS returns),
 * against include/ndis only. One source, many builds (tests/drivers/
 * meson.build): the role (FAKE_ROLE_BASIC, FAKE_ROLE_PF, FAKE_ROLE_VF), an
 * NDIS-WDM variant that sits on a virtual bus driver (FAKE_NDIS_WDM), and one
 * MUTANT_* per verifier rule, each breaking exactly that rule and nothing
 * else. The clean builds must raise no finding.
 *
 * Tests steer it through FakeControl (fake_control.h).
 */
#include <ndis.h>

#include "fake_control.h"

#if !defined(FAKE_ROLE_BASIC) && !defined(FAKE_ROLE_PF) && !defined(FAKE_ROLE_VF)
#error "build with -DFAKE_ROLE_BASIC, -DFAKE_ROLE_PF or -DFAKE_ROLE_VF"
#endif

#define FAKE_TAG 0x656b6146	/* 'Fake' */

__attribute__((visibility("default"))) struct fake_control FakeControl;

typedef struct _MP_ADAPTER {
	NDIS_HANDLE AdapterHandle;
	PVOID Bar0;
	BOOLEAN SriovEnabled;
	USHORT NextVfId;
	PNDIS_OID_REQUEST PendingRequest;
	NDIS_HANDLE RxPool;
} MP_ADAPTER, *PMP_ADAPTER;

static NDIS_HANDLE MiniportDriverHandle;
static PMP_ADAPTER LastAdapter;

__attribute__((visibility("default"))) void FakeReset(void)
{
	NdisZeroMemory(&FakeControl, sizeof(FakeControl));
}

static const NDIS_OID BasicOids[] __attribute__((unused)) = {
	OID_GEN_VENDOR_DESCRIPTION, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAXIMUM_FRAME_SIZE, OID_FAKE_ECHO,
};

#ifdef FAKE_ROLE_PF
static const NDIS_OID PfOids[] = {
	OID_GEN_VENDOR_DESCRIPTION, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAXIMUM_FRAME_SIZE, OID_FAKE_ECHO,
	OID_NIC_SWITCH_CREATE_SWITCH, OID_NIC_SWITCH_PARAMETERS, OID_NIC_SWITCH_DELETE_SWITCH,
	OID_NIC_SWITCH_CREATE_VPORT, OID_NIC_SWITCH_VPORT_PARAMETERS, OID_NIC_SWITCH_DELETE_VPORT,
	OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_FREE_VF, OID_SRIOV_READ_VF_CONFIG_SPACE,
	OID_SRIOV_WRITE_VF_CONFIG_SPACE, OID_SRIOV_READ_VF_CONFIG_BLOCK, OID_SRIOV_WRITE_VF_CONFIG_BLOCK,
	OID_SRIOV_RESET_VF, OID_SRIOV_SET_VF_POWER_STATE, OID_SRIOV_VF_VENDOR_DEVICE_ID,
#ifndef MUTANT_PF_OID_LIST
	OID_SRIOV_PROBED_BARS, OID_SRIOV_BAR_RESOURCES,
#endif
	OID_RECEIVE_FILTER_SET_FILTER, OID_RECEIVE_FILTER_CLEAR_FILTER, OID_RECEIVE_FILTER_MOVE_FILTER,
};
#endif

#ifdef FAKE_ROLE_VF
static const NDIS_OID VfOids[] = {
	OID_GEN_VENDOR_DESCRIPTION, OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAXIMUM_FRAME_SIZE, OID_FAKE_ECHO,
	OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK,
};
#endif

/* ---- initialization ------------------------------------------------------ */
static NDIS_STATUS MPSetRegistrationAttributes(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;
	NDIS_STATUS Status;

	NdisZeroMemory(&ra, sizeof(ra));
	ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	ra.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.MiniportAdapterContext = Adapter;
	ra.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER;
#ifdef FAKE_NDIS_WDM
	ra.AttributeFlags |= NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM;
#endif
	ra.InterfaceType = NdisInterfacePci;
	Status = NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra);
	if (FakeControl.n_attr < 4)
		FakeControl.attr_status[FakeControl.n_attr++] = Status;
	return Status;
}

static NDIS_STATUS MPSetGeneralAttributes(PMP_ADAPTER Adapter, const NDIS_OID *Oids, ULONG OidBytes)
{
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES ga;
	NDIS_STATUS Status;

	NdisZeroMemory(&ga, sizeof(ga));
	ga.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
	ga.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.MediaType = NdisMedium802_3;
	ga.PhysicalMediumType = NdisPhysicalMedium802_3;
	ga.MtuSize = 1500;
	ga.MaxXmitLinkSpeed = ga.XmitLinkSpeed = ga.MaxRcvLinkSpeed = ga.RcvLinkSpeed = 10000000000ull;
	ga.MediaConnectState = MediaConnectStateConnected;
	ga.MediaDuplexState = MediaDuplexStateFull;
	ga.LookaheadSize = 1500;
	ga.MacAddressLength = 6;
	ga.PermanentMacAddress[0] = ga.CurrentMacAddress[0] = 0x00;
	ga.PermanentMacAddress[1] = ga.CurrentMacAddress[1] = 0x15;
	ga.PermanentMacAddress[2] = ga.CurrentMacAddress[2] = 0x5d;
	ga.AccessType = NET_IF_ACCESS_BROADCAST;
	ga.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
	ga.ConnectionType = NET_IF_CONNECTION_DEDICATED;
	ga.IfType = IF_TYPE_ETHERNET_CSMACD;
	ga.IfConnectorPresent = TRUE;
	ga.SupportedOidList = (PNDIS_OID)Oids;
	ga.SupportedOidListLength = OidBytes;
	Status = NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ga);
	if (FakeControl.n_attr < 4)
		FakeControl.attr_status[FakeControl.n_attr++] = Status;
	return Status;
}

#if defined(FAKE_ROLE_PF) || defined(FAKE_ROLE_VF)
static NDIS_SRIOV_CAPABILITIES SriovCaps;
static NDIS_NIC_SWITCH_CAPABILITIES SwitchCaps;
static NDIS_RECEIVE_FILTER_CAPABILITIES FilterCaps;

static NDIS_STATUS MPSetHardwareAssistAttributes(PMP_ADAPTER Adapter, ULONG SriovFlags, BOOLEAN Current,
						 BOOLEAN Switch)
{
	NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES ha;
	NDIS_STATUS Status;

	NdisZeroMemory(&SriovCaps, sizeof(SriovCaps));
	SriovCaps.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	SriovCaps.Header.Revision = NDIS_SRIOV_CAPABILITIES_REVISION_1;
	SriovCaps.Header.Size = NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1;
	SriovCaps.SriovCapabilities = SriovFlags;

	NdisZeroMemory(&SwitchCaps, sizeof(SwitchCaps));
	SwitchCaps.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	SwitchCaps.Header.Revision = NDIS_NIC_SWITCH_CAPABILITIES_REVISION_2;
	SwitchCaps.Header.Size = NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2;
	SwitchCaps.NicSwitchCapabilities = NDIS_NIC_SWITCH_CAPS_PER_VPORT_INTERRUPT_MODERATION_SUPPORTED;
	SwitchCaps.MaxNumSwitches = 1;
	SwitchCaps.MaxNumVPorts = 9;
	SwitchCaps.MaxNumVFs = 8;
	SwitchCaps.MaxNumQueuePairs = 16;
	SwitchCaps.MaxNumQueuePairsPerNonDefaultVPort = 1;
	SwitchCaps.MaxNumMacAddresses = 16;

	NdisZeroMemory(&FilterCaps, sizeof(FilterCaps));
	FilterCaps.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	FilterCaps.Header.Revision = NDIS_RECEIVE_FILTER_CAPABILITIES_REVISION_2;
	FilterCaps.Header.Size = NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_2;
	FilterCaps.EnabledFilterTypes = NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED;
	FilterCaps.SupportedQueueProperties = NDIS_RECEIVE_FILTER_VM_QUEUE_SUPPORTED;
	FilterCaps.SupportedFilterTests = NDIS_RECEIVE_FILTER_TEST_HEADER_FIELD_EQUAL_SUPPORTED;
	FilterCaps.SupportedHeaders = NDIS_RECEIVE_FILTER_MAC_HEADER_SUPPORTED;
	FilterCaps.SupportedMacHeaderFields = NDIS_RECEIVE_FILTER_MAC_HEADER_DEST_ADDR_SUPPORTED |
					      NDIS_RECEIVE_FILTER_MAC_HEADER_VLAN_ID_SUPPORTED;
	FilterCaps.MaxMacHeaderFilters = 16;

	NdisZeroMemory(&ha, sizeof(ha));
	ha.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES;
	ha.Header.Revision = NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
#ifdef MUTANT_F32
	/* The field bug: the hardware-assist size taken from the general macro. */
	ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
#else
	ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
#endif
	if (SriovFlags) {
		ha.HardwareSriovCapabilities = &SriovCaps;
		ha.CurrentSriovCapabilities = Current ? &SriovCaps : NULL;
	}
	if (Switch) {
		ha.HardwareNicSwitchCapabilities = &SwitchCaps;
		ha.CurrentNicSwitchCapabilities = Current ? &SwitchCaps : NULL;
		ha.HardwareReceiveFilterCapabilities = &FilterCaps;
		ha.CurrentReceiveFilterCapabilities = Current ? &FilterCaps : NULL;
	}
	Status = NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ha);
	if (FakeControl.n_attr < 4)
		FakeControl.attr_status[FakeControl.n_attr++] = Status;
	return Status;
}

static __attribute__((unused)) BOOLEAN MPReadInteger(NDIS_HANDLE Config, PNDIS_STRING Keyword, PULONG Value)
{
	PNDIS_CONFIGURATION_PARAMETER p;
	NDIS_STATUS Status;

	NdisReadConfiguration(&Status, &p, Config, Keyword, NdisParameterInteger);
	if (Status != NDIS_STATUS_SUCCESS)
		return FALSE;
	*Value = p->ParameterData.IntegerData;
	return TRUE;
}
#endif

static NDIS_STATUS MPInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
				  PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
	PMP_ADAPTER Adapter;
	NDIS_STATUS Status;
	NDIS_CONFIGURATION_OBJECT co;
	NDIS_HANDLE Config = NULL;

	UNREFERENCED_PARAMETER(MiniportDriverContext);
	UNREFERENCED_PARAMETER(MiniportInitParameters);
	FakeControl.init_calls++;
	FakeControl.adapter = MiniportAdapterHandle;
	if (FakeControl.init_status != NDIS_STATUS_SUCCESS)
		return FakeControl.init_status;
	Adapter = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(*Adapter), FAKE_TAG,
						    NormalPoolPriority);
	if (!Adapter)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Adapter, sizeof(*Adapter));
	Adapter->AdapterHandle = MiniportAdapterHandle;
	LastAdapter = Adapter;

	FakeControl.hv.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	FakeControl.hv.Header.Revision = NDIS_HYPERVISOR_INFO_REVISION_1;
	FakeControl.hv.Header.Size = NDIS_SIZEOF_HYPERVISOR_INFO_REVISION_1;
#if !defined(MUTANT_NO_HV_CHECK)
	FakeControl.hv_status = NdisGetHypervisorInfo(&FakeControl.hv);
#endif

	co.Header.Type = NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT;
	co.Header.Revision = NDIS_CONFIGURATION_OBJECT_REVISION_1;
	co.Header.Size = NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1;
	co.NdisHandle = MiniportAdapterHandle;
	co.Flags = 0;
	Status = NdisOpenConfigurationEx(&co, &Config);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;

#ifdef MUTANT_ATTR_ORDER
	(void)MPSetGeneralAttributes(Adapter, BasicOids, sizeof(BasicOids));
#endif
	Status = MPSetRegistrationAttributes(Adapter);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_config;
	{
		NET_BUFFER_LIST_POOL_PARAMETERS pp;

		NdisZeroMemory(&pp, sizeof(pp));
		pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
		pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
		pp.fAllocateNetBuffer = TRUE;
		pp.PoolTag = FAKE_TAG;
		pp.DataSize = 256;
		Adapter->RxPool = NdisAllocateNetBufferListPool(MiniportAdapterHandle, &pp);
		FakeControl.rx_pool = Adapter->RxPool;
		if (!Adapter->RxPool) {
			Status = NDIS_STATUS_RESOURCES;
			goto fail_config;
		}
	}
	if (FakeControl.extra_attr)
		FakeControl.extra_attr_status = NdisMSetMiniportAttributes(MiniportAdapterHandle, FakeControl.extra_attr);

#if defined(FAKE_ROLE_BASIC)
#ifndef MUTANT_ATTR_ORDER
	Status = MPSetGeneralAttributes(Adapter, BasicOids, sizeof(BasicOids));
#endif
#elif defined(FAKE_ROLE_PF)
	{
		NDIS_STRING kwSriov = NDIS_STRING_CONST("*SRIOV");
		NDIS_STRING kwPreferred = NDIS_STRING_CONST("*SriovPreferred");
		ULONG Sriov = 0, Preferred = 0;
		BOOLEAN Parent = FakeControl.hv.PartitionType == NdisHypervisorPartitionTypeMsHvParent;

#ifdef MUTANT_NO_HV_CHECK
		Parent = TRUE;	/* never asked */
#endif
		(void)MPReadInteger(Config, &kwPreferred, &Preferred);
		if (Preferred == 1)
			(void)MPReadInteger(Config, &kwSriov, &Sriov);
		FakeControl.sriov_keyword = Sriov;
		Adapter->SriovEnabled = Parent && Preferred == 1 && Sriov == 1;
#ifdef MUTANT_PF_SRIOV_ALWAYS
		Adapter->SriovEnabled = Parent;	/* ignores *SRIOV */
#endif
		Status = MPSetGeneralAttributes(Adapter, PfOids, sizeof(PfOids));
		if (Status == NDIS_STATUS_SUCCESS && Parent)
			/* F32: the real bug ignores this status, and so does the mutant. */
			(void)MPSetHardwareAssistAttributes(Adapter, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT,
							    Adapter->SriovEnabled, TRUE);
		/* Map BAR0 and touch a register, as a PF does. */
		{
			NDIS_PHYSICAL_ADDRESS Bar0;
			Bar0.QuadPart = 0xfe000000;
			if (NdisMMapIoSpace(&Adapter->Bar0, MiniportAdapterHandle, Bar0, 0x1000) == NDIS_STATUS_SUCCESS) {
				NdisWriteRegisterUlong((PULONG)((PUCHAR)Adapter->Bar0 + 0x10), 0xC0FFEE);
				NdisReadRegisterUlong((PULONG)((PUCHAR)Adapter->Bar0 + 0x10), &FakeControl.reg_value);
			}
		}
		{
			UCHAR Cfg[4];
			FakeControl.bus_bytes = NdisMGetBusData(MiniportAdapterHandle, PCI_WHICHSPACE_CONFIG, 0, Cfg, sizeof(Cfg));
		}
	}
#elif defined(FAKE_ROLE_VF)
	{
		ULONG Flags = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT;
		BOOLEAN Switch = FALSE, Child = FakeControl.hv.PartitionType == NdisHypervisorPartitionMsHvChild;

#ifdef MUTANT_NO_HV_CHECK
		Child = TRUE;	/* never asked */
#endif
		if (!Child) {
			/* A VF miniport does not run as a VF outside a child partition. */
			Status = NDIS_STATUS_NOT_SUPPORTED;
			goto fail_config;
		}
#ifdef MUTANT_VF_READS_SRIOV
		{
			NDIS_STRING kwSriov = NDIS_STRING_CONST("*SRIOV");
			ULONG Sriov;
			(void)MPReadInteger(Config, &kwSriov, &Sriov);
		}
#endif
#ifdef MUTANT_VF_PF_CAPS
		Flags = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT;
#endif
#ifdef MUTANT_VF_NO_CAPS
		Flags = 0;
#endif
#ifdef MUTANT_VF_VMQ
		Switch = TRUE;
#endif
		Status = MPSetGeneralAttributes(Adapter, VfOids, sizeof(VfOids));
		if (Status == NDIS_STATUS_SUCCESS && (Flags || Switch))
			Status = MPSetHardwareAssistAttributes(Adapter, Flags, TRUE, Switch);
#if !defined(FAKE_NDIS_WDM) || defined(MUTANT_VBD_CONFIG_BLOCK)
		/* The VF's MAC comes over the backchannel (spec 2.13). */
		FakeControl.config_block_status =
			NdisMReadConfigBlock(MiniportAdapterHandle, 0, FakeControl.config_block, sizeof(FakeControl.config_block));
#endif
	}
#endif
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail_config;
	NdisCloseConfiguration(Config);
	return NDIS_STATUS_SUCCESS;

fail_config:
	if (Adapter->RxPool)
		NdisFreeNetBufferListPool(Adapter->RxPool);
	NdisCloseConfiguration(Config);
fail:
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
	LastAdapter = NULL;
	return Status;
}

static VOID MPHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	FakeControl.halt_calls++;
	FakeControl.last_halt_action = HaltAction;
	if (Adapter->Bar0)
		NdisMUnmapIoSpace(Adapter->AdapterHandle, Adapter->Bar0, 0x1000);
	if (Adapter->RxPool)
		NdisFreeNetBufferListPool(Adapter->RxPool);
	FakeControl.rx_pool = NULL;
	if (LastAdapter == Adapter)
		LastAdapter = NULL;
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
}

static NDIS_STATUS MPPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	FakeControl.pause_calls++;
	FakeControl.last_pause_reason = PauseParameters->PauseReason;
	return FakeControl.pend_pause ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(RestartParameters);
	FakeControl.restart_calls++;
	if (FakeControl.restart_status != NDIS_STATUS_SUCCESS)
		return FakeControl.restart_status;
	return FakeControl.pend_restart ? NDIS_STATUS_PENDING : NDIS_STATUS_SUCCESS;
}

/* ---- OIDs ------------------------------------------------------------------ */
static NDIS_STATUS MPQuery(PNDIS_OID_REQUEST Req)
{
	PVOID Buf = Req->DATA.QUERY_INFORMATION.InformationBuffer;
	ULONG Len = Req->DATA.QUERY_INFORMATION.InformationBufferLength;

	switch (Req->DATA.QUERY_INFORMATION.Oid) {
	case OID_GEN_VENDOR_DESCRIPTION: {
		static const char Desc[16] = "iovlab fake NIC";
		if (Len < sizeof(Desc)) {
#ifndef MUTANT_OID_NO_BYTES_NEEDED
			Req->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(Desc);
#endif
			return NDIS_STATUS_INVALID_LENGTH;
		}
		NdisMoveMemory(Buf, Desc, sizeof(Desc));
		Req->DATA.QUERY_INFORMATION.BytesWritten = sizeof(Desc);
		return NDIS_STATUS_SUCCESS;
	}
	case OID_GEN_MAXIMUM_FRAME_SIZE:
		if (Len < sizeof(ULONG)) {
			Req->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(ULONG);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		*(PULONG)Buf = 1500;
		Req->DATA.QUERY_INFORMATION.BytesWritten = sizeof(ULONG);
#ifdef MUTANT_OID_BYTE_COUNTS
		Req->DATA.QUERY_INFORMATION.BytesWritten = Len + 4;	/* more than the buffer */
#endif
		return NDIS_STATUS_SUCCESS;
#ifdef FAKE_ROLE_PF
	case OID_SRIOV_PROBED_BARS: {
		PNDIS_SRIOV_PROBED_BARS_INFO Info = Buf;
		if (Len < 32) {
			Req->DATA.QUERY_INFORMATION.BytesNeeded = 32;
			return NDIS_STATUS_INVALID_LENGTH;
		}
		Info->BaseRegisterValuesOffset = 8;
		if (NdisMQueryProbedBars(LastAdapter->AdapterHandle, (PULONG)((PUCHAR)Info + 8)) != NDIS_STATUS_SUCCESS)
			return NDIS_STATUS_FAILURE;
		Req->DATA.QUERY_INFORMATION.BytesWritten = 32;
		return NDIS_STATUS_SUCCESS;
	}
#endif
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

static NDIS_STATUS MPSet(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	ULONG Len = Req->DATA.SET_INFORMATION.InformationBufferLength;

	UNREFERENCED_PARAMETER(Adapter);
	switch (Req->DATA.SET_INFORMATION.Oid) {
	case OID_GEN_CURRENT_PACKET_FILTER:
		if (Len < sizeof(ULONG)) {
			Req->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		Req->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		return NDIS_STATUS_SUCCESS;
#ifdef FAKE_ROLE_PF
	case OID_NIC_SWITCH_DELETE_SWITCH:
#ifndef FAKE_NDIS_WDM
		FakeControl.enable_virt_status = NdisMEnableVirtualization(Adapter->AdapterHandle, 0, FALSE, FALSE, FALSE);
#endif
		Req->DATA.SET_INFORMATION.BytesRead = Len;
		return NDIS_STATUS_SUCCESS;
	case OID_NIC_SWITCH_FREE_VF:
	case OID_NIC_SWITCH_DELETE_VPORT:
	case OID_NIC_SWITCH_VPORT_PARAMETERS:
	case OID_NIC_SWITCH_PARAMETERS:
	case OID_RECEIVE_FILTER_CLEAR_FILTER:
	case OID_RECEIVE_FILTER_MOVE_FILTER:
	case OID_SRIOV_WRITE_VF_CONFIG_SPACE:
	case OID_SRIOV_WRITE_VF_CONFIG_BLOCK:
	case OID_SRIOV_RESET_VF:
	case OID_SRIOV_SET_VF_POWER_STATE:
		Req->DATA.SET_INFORMATION.BytesRead = Len;
		return NDIS_STATUS_SUCCESS;
#endif
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

static NDIS_STATUS MPMethod(PMP_ADAPTER Adapter, PNDIS_OID_REQUEST Req)
{
	PVOID Buf = Req->DATA.METHOD_INFORMATION.InformationBuffer;
	ULONG In = Req->DATA.METHOD_INFORMATION.InputBufferLength;

	UNREFERENCED_PARAMETER(Adapter);
	UNREFERENCED_PARAMETER(Buf);
	switch (Req->DATA.METHOD_INFORMATION.Oid) {
	case OID_FAKE_ECHO:
		Req->DATA.METHOD_INFORMATION.BytesRead = In;
		Req->DATA.METHOD_INFORMATION.BytesWritten = In;
		return NDIS_STATUS_SUCCESS;
#ifdef FAKE_ROLE_PF
	case OID_NIC_SWITCH_CREATE_SWITCH: {
		PNDIS_NIC_SWITCH_PARAMETERS p = Buf;
		if (In < NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1) {
			Req->DATA.METHOD_INFORMATION.BytesNeeded = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
			return NDIS_STATUS_INVALID_LENGTH;
		}
#ifndef FAKE_NDIS_WDM
		/* Dynamic creation (spec 2.3 step 4). */
		FakeControl.enable_virt_status =
			NdisMEnableVirtualization(Adapter->AdapterHandle, (USHORT)p->NumVFs, FALSE, FALSE, TRUE);
		if (FakeControl.enable_virt_status != NDIS_STATUS_SUCCESS)
			return FakeControl.enable_virt_status;
#else
		UNREFERENCED_PARAMETER(p);
#endif
		Req->DATA.METHOD_INFORMATION.BytesRead = In;
		Req->DATA.METHOD_INFORMATION.BytesWritten = In;
		return NDIS_STATUS_SUCCESS;
	}
	case OID_NIC_SWITCH_ALLOCATE_VF: {
		PNDIS_NIC_SWITCH_VF_PARAMETERS p = Buf;
		USHORT Seg = 0;
		UCHAR Bus = 0, Fn = 0;

		p->VFId = Adapter->NextVfId++;
#ifndef FAKE_NDIS_WDM
		NdisMGetVirtualFunctionLocation(Adapter->AdapterHandle, p->VFId, &Seg, &Bus, &Fn);
#endif
		p->RequestorId = NDIS_MAKE_RID(Seg, Bus, Fn);
		Req->DATA.METHOD_INFORMATION.BytesRead = In;
		Req->DATA.METHOD_INFORMATION.BytesWritten = In;
		return NDIS_STATUS_SUCCESS;
	}
	case OID_SRIOV_READ_VF_CONFIG_SPACE: {
		PNDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p = Buf;
		if (In < sizeof(*p) || (ULONG64)p->BufferOffset + p->Length > In || p->BufferOffset < sizeof(*p)) {
			Req->DATA.METHOD_INFORMATION.BytesNeeded = In < sizeof(*p) ? sizeof(*p) : p->BufferOffset + p->Length;
			return NDIS_STATUS_INVALID_LENGTH;
		}
#if !defined(FAKE_NDIS_WDM) || defined(MUTANT_VBD_VF_BUS_DATA)
		FakeControl.vf_bus_bytes = NdisMGetVirtualFunctionBusData(Adapter->AdapterHandle, p->VFId,
									  (PUCHAR)p + p->BufferOffset, p->Offset, p->Length);
#else
		/* Over a VBD the PF asks the VBD (not modelled here): zeros. */
		NdisZeroMemory((PUCHAR)p + p->BufferOffset, p->Length);
#endif
		Req->DATA.METHOD_INFORMATION.BytesRead = In;
		Req->DATA.METHOD_INFORMATION.BytesWritten = p->BufferOffset + p->Length;
		return NDIS_STATUS_SUCCESS;
	}
	case OID_NIC_SWITCH_CREATE_VPORT:
	case OID_RECEIVE_FILTER_SET_FILTER:
	case OID_SRIOV_READ_VF_CONFIG_BLOCK:
	case OID_SRIOV_VF_VENDOR_DEVICE_ID:
	case OID_SRIOV_BAR_RESOURCES:
		Req->DATA.METHOD_INFORMATION.BytesRead = In;
		Req->DATA.METHOD_INFORMATION.BytesWritten = In;
		return NDIS_STATUS_SUCCESS;
#endif
#ifdef FAKE_ROLE_VF
	case OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK: {
		PNDIS_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO p = Buf;
		if (In < NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1) {
			Req->DATA.METHOD_INFORMATION.BytesNeeded = NDIS_SIZEOF_SRIOV_VF_INVALIDATE_CONFIG_BLOCK_INFO_REVISION_1;
			return NDIS_STATUS_INVALID_LENGTH;
		}
		FakeControl.invalidated_mask = p->BlockMask;
#if !defined(FAKE_NDIS_WDM) || defined(MUTANT_VBD_CONFIG_BLOCK)
		if (p->BlockMask & 1)
			FakeControl.config_block_status = NdisMReadConfigBlock(Adapter->AdapterHandle, 0, FakeControl.config_block,
									       sizeof(FakeControl.config_block));
#endif
		Req->DATA.METHOD_INFORMATION.BytesRead = In;
		return NDIS_STATUS_SUCCESS;
	}
#endif
	default:
		return NDIS_STATUS_INVALID_OID;
	}
}

static NDIS_STATUS MPOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST OidRequest)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	NDIS_STATUS Status;

	FakeControl.oid_calls++;
	if (FakeControl.n_oids < 64) {
		FakeControl.oids[FakeControl.n_oids] = OidRequest->DATA.QUERY_INFORMATION.Oid;
		FakeControl.oid_types[FakeControl.n_oids++] = OidRequest->RequestType;
	}
	switch (OidRequest->RequestType) {
	case NdisRequestQueryInformation:
	case NdisRequestQueryStatistics:
		Status = MPQuery(OidRequest);
		break;
	case NdisRequestSetInformation:
		Status = MPSet(Adapter, OidRequest);
		break;
	case NdisRequestMethod:
		Status = MPMethod(Adapter, OidRequest);
		break;
	default:
		Status = NDIS_STATUS_NOT_SUPPORTED;
		break;
	}
	if (FakeControl.pend_oids) {
		/* Answer later: keep the request, complete it from FakeCompletePending. */
		Adapter->PendingRequest = OidRequest;
		FakeControl.pending = OidRequest;
		return NDIS_STATUS_PENDING;
	}
#ifdef MUTANT_OID_COMPLETE_TWICE
	if (OidRequest->DATA.QUERY_INFORMATION.Oid == OID_FAKE_ECHO)
		NdisMOidRequestComplete(Adapter->AdapterHandle, OidRequest, Status);
#endif
	return Status;
}

__attribute__((visibility("default"))) void FakeCompletePending(NDIS_STATUS Status)
{
	PNDIS_OID_REQUEST Req = FakeControl.pending;

	if (!Req || !LastAdapter)
		return;
#ifdef MUTANT_OID_NEVER_COMPLETED
	return;	/* the request is forgotten */
#endif
	FakeControl.pending = NULL;
	LastAdapter->PendingRequest = NULL;
	NdisMOidRequestComplete(LastAdapter->AdapterHandle, Req, Status);
#ifdef MUTANT_OID_COMPLETE_TWICE
	NdisMOidRequestComplete(LastAdapter->AdapterHandle, Req, Status);
#endif
}

static VOID MPCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(RequestId);
	FakeControl.cancel_oid_calls++;
#ifndef MUTANT_OID_NEVER_COMPLETED
	if (Adapter->PendingRequest) {
		PNDIS_OID_REQUEST Req = Adapter->PendingRequest;
		Adapter->PendingRequest = NULL;
		FakeControl.pending = NULL;
		NdisMOidRequestComplete(Adapter->AdapterHandle, Req, NDIS_STATUS_REQUEST_ABORTED);
	}
#else
	UNREFERENCED_PARAMETER(Adapter);
#endif
}

/* ---- data path --------------------------------------------------------------- */
static VOID MPSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
				 NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Nbl, Last = NULL;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(SendFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = NET_BUFFER_LIST_NEXT_NBL(Nbl)) {
		FakeControl.sends++;
		NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
		Last = Nbl;
	}
#ifdef MUTANT_NBL_KEEP_SENDS
	FakeControl.hold_sends = 1;	/* never completes them */
#endif
	if (FakeControl.hold_sends) {
		NET_BUFFER_LIST_NEXT_NBL(Last) = FakeControl.held_sends;
		FakeControl.held_sends = NetBufferList;
		return;
	}
	NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, NetBufferList, 0);
#ifdef MUTANT_NBL_SEND_TWICE
	NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, NetBufferList, 0);
#endif
}

__attribute__((visibility("default"))) void FakeCompleteSends(void)
{
	PNET_BUFFER_LIST Nbl = FakeControl.held_sends;

	if (!Nbl || !LastAdapter)
		return;
	FakeControl.held_sends = NULL;
	NdisMSendNetBufferListsComplete(LastAdapter->AdapterHandle, Nbl, 0);
}

__attribute__((visibility("default"))) void FakeIndicateReceive(unsigned n, USHORT vport, ULONG flags)
{
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head, Nbl, Next;
	unsigned i;

	if (!LastAdapter)
		return;
	for (i = 0; i < n; i++) {
		PUCHAR Data;

		Nbl = NdisAllocateNetBufferAndNetBufferList(LastAdapter->RxPool, 0, 0, NULL, 0, 64);
		if (!Nbl)
			break;
		Data = MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(Nbl)), NormalPagePriority);
		NdisZeroMemory(Data, 64);
		Data[0] = (UCHAR)i;
		NET_BUFFER_LIST_RECEIVE_FILTER_VPORT_ID(Nbl) = vport;
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
	}
	if (!Head)
		return;
	NdisMIndicateReceiveNetBufferLists(LastAdapter->AdapterHandle, Head, NDIS_DEFAULT_PORT_NUMBER, i, flags);
	if (flags & NDIS_RECEIVE_FLAGS_RESOURCES)
		/* The NBLs are ours again as soon as the call returns. */
		for (Nbl = Head; Nbl; Nbl = Next) {
			Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
			NdisFreeNetBufferList(Nbl);
		}
}

static VOID MPReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
				   ULONG ReturnFlags)
{
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(ReturnFlags);
	for (Nbl = NetBufferLists; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		FakeControl.returns++;
		NdisFreeNetBufferList(Nbl);
	}
}

static __attribute__((unused)) VOID MPCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
	PMP_ADAPTER Adapter = MiniportAdapterContext;
	PNET_BUFFER_LIST Keep = NULL, *KeepTail = &Keep, Cancel = NULL, *CancelTail = &Cancel, Nbl, Next;

	FakeControl.cancel_send_calls++;
	/* Complete the held sends carrying this id with NDIS_STATUS_SEND_ABORTED. */
	for (Nbl = FakeControl.held_sends; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		if (NDIS_GET_NET_BUFFER_LIST_CANCEL_ID(Nbl) == CancelId) {
			NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SEND_ABORTED;
			*CancelTail = Nbl;
			CancelTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		} else {
			*KeepTail = Nbl;
			KeepTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		}
	}
	FakeControl.held_sends = Keep;
	if (Cancel)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Cancel, 0);
}

static VOID MPDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	FakeControl.pnp_calls++;
	FakeControl.last_pnp_event = NetDevicePnPEvent->DevicePnPEvent;
}

static VOID MPShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(ShutdownAction);
	FakeControl.shutdown_calls++;
}

static VOID MPDriverUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	FakeControl.unload_calls++;
	NdisMDeregisterMiniportDriver(MiniportDriverHandle);
}

/* ---- DriverEntry -------------------------------------------------------------- */
__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;

	FakeControl.driver_entry_calls++;
	NdisZeroMemory(&mc, sizeof(mc));
	mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
	mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
#ifdef MUTANT_CHAR_SIZE
	mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
#else
	mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
#endif
	mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
	mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
	mc.MajorDriverVersion = 1;
	mc.MinorDriverVersion = 0;
	mc.InitializeHandlerEx = MPInitializeEx;
	mc.HaltHandlerEx = MPHaltEx;
	mc.UnloadHandler = MPDriverUnload;
	mc.PauseHandler = MPPause;
	mc.RestartHandler = MPRestart;
	mc.OidRequestHandler = MPOidRequest;
	mc.SendNetBufferListsHandler = MPSendNetBufferLists;
	mc.ReturnNetBufferListsHandler = MPReturnNetBufferLists;
#ifndef MUTANT_CHAR_HANDLER
	mc.CancelSendHandler = MPCancelSend;
#endif
	mc.DevicePnPEventNotifyHandler = MPDevicePnPEventNotify;
	mc.ShutdownHandlerEx = MPShutdownEx;
	mc.CancelOidRequestHandler = MPCancelOidRequest;
	FakeControl.register_status =
		NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &MiniportDriverHandle);
	return FakeControl.register_status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
