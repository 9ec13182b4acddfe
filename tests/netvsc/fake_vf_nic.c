/*
 * fake_vf_nic.c -- a VF miniport for the NetVsc tests, written like a
 * Windows VF miniport (spec 2.12: child partition check, SR-IOV caps
 * SRIOV_SUPPORTED|VF_MINIPORT as hardware and current caps, no SR-IOV
 * keywords, INF UpperRange ndisvf / LowerRange iovvf) whose data path the
 * test controls through FakeVfNic (fake_vf_nic.h). The real srnic VF
 * miniport comes from the guest branch; this one only has to be a VF NDIS
 * believes in and a wire the test can watch.
 */
#include <ndis/ndis.h>

#include "fake_vf_nic.h"

#define FVF_TAG 0x20465646	/* 'FVF ' */
#define FVF_BUFFER 1536u
#define FVF_RX_NBLS 256u

__attribute__((visibility("default"))) struct fake_vf_nic_control FakeVfNic;

typedef struct _FVF_ADAPTER {
	NDIS_HANDLE AdapterHandle;
	unsigned Slot;
	NDIS_HANDLE RxPool;
} FVF_ADAPTER, *PFVF_ADAPTER;

static NDIS_HANDLE FvfDriverHandle;
static PFVF_ADAPTER FvfAdapters[FAKE_VF_NIC_SLOTS];
static NDIS_SRIOV_CAPABILITIES FvfSriovCaps;

static const NDIS_OID FvfOids[] = {
	OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_MAXIMUM_FRAME_SIZE, OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK,
};

__attribute__((visibility("default"))) void FakeVfNicReset(void)
{
	NdisZeroMemory(&FakeVfNic, sizeof(FakeVfNic));
}

static PFVF_ADAPTER FvfSlot(unsigned Slot)
{
	return Slot < FAKE_VF_NIC_SLOTS ? FvfAdapters[Slot] : NULL;
}

static NDIS_STATUS FvfInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
				   PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES ga;
	NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES ha;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	NDIS_HYPERVISOR_INFO hv;
	PFVF_ADAPTER Adapter;
	unsigned Slot;

	UNREFERENCED_PARAMETER(MiniportDriverContext);
	UNREFERENCED_PARAMETER(MiniportInitParameters);
	FakeVfNic.init_calls++;
	NdisZeroMemory(&hv, sizeof(hv));
	hv.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	hv.Header.Revision = NDIS_HYPERVISOR_INFO_REVISION_1;
	hv.Header.Size = NDIS_SIZEOF_HYPERVISOR_INFO_REVISION_1;
	FakeVfNic.hv_status = NdisGetHypervisorInfo(&hv);
	if (FakeVfNic.hv_status != NDIS_STATUS_SUCCESS || hv.PartitionType != NdisHypervisorPartitionMsHvChild)
		return NDIS_STATUS_NOT_SUPPORTED;	/* a VF only in a child partition (spec 2.12) */
	for (Slot = 0; Slot < FAKE_VF_NIC_SLOTS && FvfAdapters[Slot]; Slot++)
		;
	if (Slot == FAKE_VF_NIC_SLOTS)
		return NDIS_STATUS_RESOURCES;
	Adapter = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(*Adapter), FVF_TAG, NormalPoolPriority);
	if (!Adapter)
		return NDIS_STATUS_RESOURCES;
	NdisZeroMemory(Adapter, sizeof(*Adapter));
	Adapter->AdapterHandle = MiniportAdapterHandle;
	Adapter->Slot = Slot;

	NdisZeroMemory(&ra, sizeof(ra));
	ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	ra.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.MiniportAdapterContext = Adapter;
	ra.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER |
			    NDIS_MINIPORT_ATTRIBUTES_SURPRISE_REMOVE_OK;
	ra.InterfaceType = NdisInterfacePci;
	if (NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra) != NDIS_STATUS_SUCCESS)
		goto fail;

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
	ga.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
	ga.MacAddressLength = 6;
	ga.PermanentMacAddress[0] = ga.CurrentMacAddress[0] = 0x00;
	ga.PermanentMacAddress[1] = ga.CurrentMacAddress[1] = 0x15;
	ga.PermanentMacAddress[2] = ga.CurrentMacAddress[2] = 0x5d;
	ga.PermanentMacAddress[5] = ga.CurrentMacAddress[5] = (UCHAR)(0xf0 + Slot);
	ga.AccessType = NET_IF_ACCESS_BROADCAST;
	ga.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
	ga.ConnectionType = NET_IF_CONNECTION_DEDICATED;
	ga.IfType = IF_TYPE_ETHERNET_CSMACD;
	ga.IfConnectorPresent = TRUE;
	ga.SupportedOidList = (PNDIS_OID)FvfOids;
	ga.SupportedOidListLength = sizeof(FvfOids);
	if (NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ga) != NDIS_STATUS_SUCCESS)
		goto fail;

	NdisZeroMemory(&FvfSriovCaps, sizeof(FvfSriovCaps));
	FvfSriovCaps.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	FvfSriovCaps.Header.Revision = NDIS_SRIOV_CAPABILITIES_REVISION_1;
	FvfSriovCaps.Header.Size = NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1;
	FvfSriovCaps.SriovCapabilities = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT;
	NdisZeroMemory(&ha, sizeof(ha));
	ha.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES;
	ha.Header.Revision = NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
	ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
	ha.HardwareSriovCapabilities = &FvfSriovCaps;
	ha.CurrentSriovCapabilities = &FvfSriovCaps;
	if (NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ha) != NDIS_STATUS_SUCCESS)
		goto fail;

	NdisZeroMemory(&pp, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.PoolTag = FVF_TAG;
	pp.DataSize = FVF_BUFFER;
	Adapter->RxPool = NdisAllocateNetBufferListPool(MiniportAdapterHandle, &pp);
	if (!Adapter->RxPool)
		goto fail;
	NdisZeroMemory(&FakeVfNic.slot[Slot], sizeof(FakeVfNic.slot[Slot]));
	FakeVfNic.slot[Slot].adapter = MiniportAdapterHandle;
	FakeVfNic.slot[Slot].link_up = TRUE;
	FvfAdapters[Slot] = Adapter;
	return NDIS_STATUS_SUCCESS;
fail:
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
	return NDIS_STATUS_FAILURE;
}

static VOID FvfHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
	PFVF_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(HaltAction);
	FakeVfNic.halt_calls++;
	NdisFreeNetBufferListPool(Adapter->RxPool);
	FakeVfNic.slot[Adapter->Slot].adapter = NULL;
	FakeVfNic.slot[Adapter->Slot].running = FALSE;
	FvfAdapters[Adapter->Slot] = NULL;
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
}

static NDIS_STATUS FvfPause(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters)
{
	PFVF_ADAPTER Adapter = MiniportAdapterContext;
	struct fake_vf_nic_slot *s = &FakeVfNic.slot[Adapter->Slot];

	UNREFERENCED_PARAMETER(PauseParameters);
	s->pause_calls++;
	s->running = FALSE;
	s->pause_held = s->held;
	if (s->held) {
		/* The hardware still has frames: the pause completes when they are sent. */
		s->pause_pending = TRUE;
		return NDIS_STATUS_PENDING;
	}
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS FvfRestart(NDIS_HANDLE MiniportAdapterContext, PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters)
{
	PFVF_ADAPTER Adapter = MiniportAdapterContext;

	UNREFERENCED_PARAMETER(RestartParameters);
	FakeVfNic.slot[Adapter->Slot].restart_calls++;
	FakeVfNic.slot[Adapter->Slot].running = TRUE;
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS FvfOidRequest(NDIS_HANDLE MiniportAdapterContext, PNDIS_OID_REQUEST Req)
{
	PFVF_ADAPTER Adapter = MiniportAdapterContext;
	struct fake_vf_nic_slot *s = &FakeVfNic.slot[Adapter->Slot];

	if (Req->RequestType == NdisRequestSetInformation && Req->DATA.SET_INFORMATION.Oid == OID_GEN_CURRENT_PACKET_FILTER) {
		if (Req->DATA.SET_INFORMATION.InformationBufferLength < sizeof(ULONG)) {
			Req->DATA.SET_INFORMATION.BytesNeeded = sizeof(ULONG);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		NdisMoveMemory(&s->packet_filter, Req->DATA.SET_INFORMATION.InformationBuffer, sizeof(ULONG));
		s->filter_sets++;
		Req->DATA.SET_INFORMATION.BytesRead = sizeof(ULONG);
		return NDIS_STATUS_SUCCESS;
	}
	if (Req->RequestType == NdisRequestQueryInformation && Req->DATA.QUERY_INFORMATION.Oid == OID_GEN_MAXIMUM_FRAME_SIZE) {
		ULONG v = 1500;

		if (Req->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(v)) {
			Req->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(v);
			return NDIS_STATUS_INVALID_LENGTH;
		}
		NdisMoveMemory(Req->DATA.QUERY_INFORMATION.InformationBuffer, &v, sizeof(v));
		Req->DATA.QUERY_INFORMATION.BytesWritten = sizeof(v);
		return NDIS_STATUS_SUCCESS;
	}
	if (Req->RequestType == NdisRequestMethod &&
	    Req->DATA.METHOD_INFORMATION.Oid == OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK) {
		Req->DATA.METHOD_INFORMATION.BytesRead = Req->DATA.METHOD_INFORMATION.InputBufferLength;
		return NDIS_STATUS_SUCCESS;
	}
	return NDIS_STATUS_INVALID_OID;
}

static VOID FvfCancelOidRequest(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(RequestId);
}

static VOID FvfSendNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferList,
				  NDIS_PORT_NUMBER PortNumber, ULONG SendFlags)
{
	PFVF_ADAPTER Adapter = MiniportAdapterContext;
	struct fake_vf_nic_slot *s = &FakeVfNic.slot[Adapter->Slot];
	PNET_BUFFER_LIST Nbl, Next, Done = NULL, *DoneTail = &Done;

	UNREFERENCED_PARAMETER(PortNumber);
	UNREFERENCED_PARAMETER(SendFlags);
	for (Nbl = NetBufferList; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		if (s->surprise_removed) {
			/* The hardware is gone. */
			s->sends_refused++;
			NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_ADAPTER_REMOVED;
			*DoneTail = Nbl;
			DoneTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
			continue;
		}
		for (PNET_BUFFER Nb = NET_BUFFER_LIST_FIRST_NB(Nbl); Nb; Nb = NET_BUFFER_NEXT_NB(Nb)) {
			UCHAR Storage[FVF_BUFFER];
			ULONG Len = NET_BUFFER_DATA_LENGTH(Nb);
			PVOID Data = Len <= sizeof(Storage) ? NdisGetDataBuffer(Nb, Len, Storage, 1, 0) : NULL;

			s->sends++;
			if (Data && FakeVfNic.tx_hook)
				FakeVfNic.tx_hook(FakeVfNic.tx_ctx, Adapter->Slot, Data, Len);
		}
		NET_BUFFER_LIST_STATUS(Nbl) = NDIS_STATUS_SUCCESS;
		if (FakeVfNic.hold_sends) {
			if (s->held_tail)
				NET_BUFFER_LIST_NEXT_NBL(s->held_tail) = Nbl;
			else
				s->held_head = Nbl;
			s->held_tail = Nbl;
			s->held++;
			continue;
		}
		s->completed++;
		*DoneTail = Nbl;
		DoneTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
	}
	if (Done)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Done, 0);
}

__attribute__((visibility("default"))) ULONG FakeVfNicCompleteSends(unsigned Slot, ULONG Count)
{
	PFVF_ADAPTER Adapter = FvfSlot(Slot);
	struct fake_vf_nic_slot *s;
	PNET_BUFFER_LIST Done = NULL, *DoneTail = &Done;
	ULONG n = 0;

	if (!Adapter)
		return 0;
	s = &FakeVfNic.slot[Slot];
	while (s->held_head && n < Count) {
		PNET_BUFFER_LIST Nbl = s->held_head;

		s->held_head = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		if (!s->held_head)
			s->held_tail = NULL;
		NET_BUFFER_LIST_NEXT_NBL(Nbl) = NULL;
		*DoneTail = Nbl;
		DoneTail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		s->held--;
		s->completed++;
		n++;
	}
	if (Done)
		NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Done, 0);
	if (s->pause_pending && !s->held) {
		s->pause_pending = FALSE;
		NdisMPauseComplete(Adapter->AdapterHandle);
	}
	return n;
}

__attribute__((visibility("default"))) ULONG FakeVfNicIndicate(unsigned Slot, const VOID *const *Frames, const ULONG *Lens,
							      ULONG n)
{
	PFVF_ADAPTER Adapter = FvfSlot(Slot);
	PNET_BUFFER_LIST Head = NULL, *Tail = &Head;
	ULONG i, k = 0;

	if (!Adapter || !FakeVfNic.slot[Slot].running || FakeVfNic.slot[Slot].surprise_removed)
		return 0;
	for (i = 0; i < n; i++) {
		PNET_BUFFER_LIST Nbl;

		if (Lens[i] > FVF_BUFFER)
			continue;
		Nbl = NdisAllocateNetBufferAndNetBufferList(Adapter->RxPool, 0, 0, NULL, 0, Lens[i]);
		if (!Nbl)
			break;
		NdisMoveMemory(MmGetSystemAddressForMdlSafe(NET_BUFFER_FIRST_MDL(NET_BUFFER_LIST_FIRST_NB(Nbl)),
							    NormalPagePriority),
			       Frames[i], Lens[i]);
		*Tail = Nbl;
		Tail = &NET_BUFFER_LIST_NEXT_NBL(Nbl);
		k++;
	}
	if (!Head)
		return 0;
	FakeVfNic.slot[Slot].indicated += k;
	NdisMIndicateReceiveNetBufferLists(Adapter->AdapterHandle, Head, NDIS_DEFAULT_PORT_NUMBER, k, 0);
	return k;
}

__attribute__((visibility("default"))) VOID FakeVfNicSetLink(unsigned Slot, BOOLEAN Up)
{
	PFVF_ADAPTER Adapter = FvfSlot(Slot);
	NDIS_STATUS_INDICATION Ind;

	if (!Adapter)
		return;
	FakeVfNic.slot[Slot].link_up = Up;
	NdisZeroMemory(&Ind, sizeof(Ind));
	Ind.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
	Ind.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
	Ind.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
	Ind.SourceHandle = Adapter->AdapterHandle;
	Ind.StatusCode = Up ? NDIS_STATUS_MEDIA_CONNECT : NDIS_STATUS_MEDIA_DISCONNECT;
	NdisMIndicateStatusEx(Adapter->AdapterHandle, &Ind);
}

static VOID FvfReturnNetBufferLists(NDIS_HANDLE MiniportAdapterContext, PNET_BUFFER_LIST NetBufferLists,
				    ULONG ReturnFlags)
{
	PNET_BUFFER_LIST Nbl, Next;

	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(ReturnFlags);
	for (Nbl = NetBufferLists; Nbl; Nbl = Next) {
		Next = NET_BUFFER_LIST_NEXT_NBL(Nbl);
		NdisFreeNetBufferList(Nbl);
	}
}

static VOID FvfCancelSend(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(CancelId);
}

static VOID FvfDevicePnPEventNotify(NDIS_HANDLE MiniportAdapterContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent)
{
	PFVF_ADAPTER Adapter = MiniportAdapterContext;

	if (NetDevicePnPEvent->DevicePnPEvent == NdisDevicePnPEventSurpriseRemoved) {
		/* A well-behaved miniport reports the link gone; sends fail from now on. */
		FakeVfNicSetLink(Adapter->Slot, FALSE);
		FakeVfNic.slot[Adapter->Slot].surprise_removed = TRUE;
	}
}

static VOID FvfShutdownEx(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
	UNREFERENCED_PARAMETER(MiniportAdapterContext);
	UNREFERENCED_PARAMETER(ShutdownAction);
}

static VOID FvfUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	NdisMDeregisterMiniportDriver(FvfDriverHandle);
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;

	FakeVfNic.driver_entry_calls++;
	NdisZeroMemory(&mc, sizeof(mc));
	mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
	mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
	mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
	mc.MajorDriverVersion = 1;
	mc.InitializeHandlerEx = FvfInitializeEx;
	mc.HaltHandlerEx = FvfHaltEx;
	mc.UnloadHandler = FvfUnload;
	mc.PauseHandler = FvfPause;
	mc.RestartHandler = FvfRestart;
	mc.OidRequestHandler = FvfOidRequest;
	mc.SendNetBufferListsHandler = FvfSendNetBufferLists;
	mc.ReturnNetBufferListsHandler = FvfReturnNetBufferLists;
	mc.CancelSendHandler = FvfCancelSend;
	mc.DevicePnPEventNotifyHandler = FvfDevicePnPEventNotify;
	mc.ShutdownHandlerEx = FvfShutdownEx;
	mc.CancelOidRequestHandler = FvfCancelOidRequest;
	return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &FvfDriverHandle) == NDIS_STATUS_SUCCESS ?
		       STATUS_SUCCESS :
		       STATUS_UNSUCCESSFUL;
}
