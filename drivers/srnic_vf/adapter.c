/*
 * adapter.c -- what srnic_vf tells NDIS and learns from the PF: the
 * registration, general and hardware-assist attributes (spec 2.12: VF caps
 * only, NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM exactly when it sits on
 * srnic_vbd), and the configuration blocks of include/wire/
 * srnic_cfgblock.h -- read directly with NdisMReadConfigBlock on the vPCI
 * PDO, or through srnic_vbd's GUID_SRNIC_VBD_INTERFACE over the VBD (an
 * NDIS-WDM miniport must not call NdisMRead/WriteConfigBlock, spec 6.4).
 */
#include "srnic_vf.h"

const NDIS_OID NICSupportedOids[] = {
	OID_GEN_SUPPORTED_LIST,
	OID_GEN_HARDWARE_STATUS,
	OID_GEN_MEDIA_SUPPORTED,
	OID_GEN_MEDIA_IN_USE,
	OID_GEN_MAXIMUM_LOOKAHEAD,
	OID_GEN_MAXIMUM_FRAME_SIZE,
	OID_GEN_MAXIMUM_TOTAL_SIZE,
	OID_GEN_LINK_SPEED,
	OID_GEN_VENDOR_ID,
	OID_GEN_VENDOR_DESCRIPTION,
	OID_GEN_VENDOR_DRIVER_VERSION,
	OID_GEN_CURRENT_PACKET_FILTER,
	OID_GEN_CURRENT_LOOKAHEAD,
	OID_GEN_MEDIA_CONNECT_STATUS,
	OID_GEN_MAXIMUM_SEND_PACKETS,
	OID_GEN_XMIT_OK,
	OID_GEN_RCV_OK,
	OID_GEN_XMIT_ERROR,
	OID_GEN_RCV_NO_BUFFER,
	OID_GEN_BYTES_XMIT,
	OID_GEN_BYTES_RCV,
	OID_GEN_XMIT_DISCARDS,
	OID_GEN_RCV_DISCARDS,
	OID_802_3_PERMANENT_ADDRESS,
	OID_802_3_CURRENT_ADDRESS,
	OID_802_3_MULTICAST_LIST,
	OID_802_3_MAXIMUM_LIST_SIZE,
	OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK,	/* spec 2.12 step 5 */
};
const ULONG NICSupportedOidsLength = sizeof(NICSupportedOids);

/* ---- the VBD's interface ------------------------------------------------------------ */
static NTSTATUS NICQueryCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	UNREFERENCED_PARAMETER(DeviceObject);
	UNREFERENCED_PARAMETER(Irp);
	KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
	return STATUS_MORE_PROCESSING_REQUIRED;
}

/*
 * IRP_MN_QUERY_INTERFACE(GUID_SRNIC_VBD_INTERFACE) down our stack. The
 * vPCI bus does not know the GUID (STATUS_NOT_SUPPORTED comes back): we sit
 * on the vPCI PDO. srnic_vbd answers it: we are its NIC function.
 */
NTSTATUS NICQueryVbdInterface(PMP_ADAPTER Adapter)
{
	PIO_STACK_LOCATION Stack;
	KEVENT Event;
	NTSTATUS Status;
	PIRP Irp;

	if (!Adapter->NextDevice)
		return STATUS_NOT_SUPPORTED;
	Irp = IoAllocateIrp(Adapter->NextDevice->StackSize, FALSE);
	if (!Irp)
		return STATUS_INSUFFICIENT_RESOURCES;
	Irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
	Stack = IoGetNextIrpStackLocation(Irp);
	Stack->MajorFunction = IRP_MJ_PNP;
	Stack->MinorFunction = IRP_MN_QUERY_INTERFACE;
	Stack->Parameters.QueryInterface.InterfaceType = &GUID_SRNIC_VBD_INTERFACE;
	Stack->Parameters.QueryInterface.Size = sizeof(Adapter->Vbd);
	Stack->Parameters.QueryInterface.Version = SRNIC_VBD_INTERFACE_VERSION;
	Stack->Parameters.QueryInterface.Interface = (PINTERFACE)&Adapter->Vbd;
	KeInitializeEvent(&Event, NotificationEvent, FALSE);
	IoSetCompletionRoutine(Irp, NICQueryCompletion, &Event, TRUE, TRUE, TRUE);
	Status = IoCallDriver(Adapter->NextDevice, Irp);
	if (Status == STATUS_PENDING &&
	    KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL) != STATUS_SUCCESS)
		return STATUS_UNSUCCESSFUL;	/* still below us: not ours to free */
	Status = Irp->IoStatus.Status;
	IoFreeIrp(Irp);
	Adapter->HaveVbd = NT_SUCCESS(Status) && Adapter->Vbd.ReadConfigBlock != NULL;
	return Adapter->HaveVbd ? STATUS_SUCCESS : Status;
}

VOID NICReleaseVbdInterface(PMP_ADAPTER Adapter)
{
	if (Adapter->HaveVbd && Adapter->Vbd.InterfaceDereference)
		Adapter->Vbd.InterfaceDereference(Adapter->Vbd.Context);
	Adapter->HaveVbd = FALSE;
}

/* ---- configuration blocks ----------------------------------------------------------- */
static NDIS_STATUS NICConfigBlock(PMP_ADAPTER Adapter, ULONG BlockId, PVOID Buffer, ULONG Length, BOOLEAN Write)
{
	NTSTATUS Status;

#ifdef SRNIC_VF_VARIANT_BUS_DATA_OVER_VBD
	/*
	 * Variant bus-data-over-vbd (catalogue F22; spec 6.4): the driver
	 * ported from a plain VF miniport keeps calling NDIS's config-block
	 * functions even when it runs NDIS-WDM over srnic_vbd, where NDIS has
	 * no GUID_VPCI_INTERFACE_STANDARD of its own to serve them with.
	 */
	if (Adapter->OverVbd)
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "config block %u through NDIS although over the VBD", BlockId);
	if (TRUE)
#else
	if (!Adapter->OverVbd)
#endif
		return Write ? NdisMWriteConfigBlock(Adapter->AdapterHandle, BlockId, Buffer, Length) :
			       NdisMReadConfigBlock(Adapter->AdapterHandle, BlockId, Buffer, Length);
	/* NDIS-WDM over the VBD: ask the VBD (spec 6.4). */
	Status = Write ? Adapter->Vbd.WriteConfigBlock(Adapter->Vbd.Context, BlockId, Buffer, Length) :
			 Adapter->Vbd.ReadConfigBlock(Adapter->Vbd.Context, BlockId, Buffer, Length);
	return NT_SUCCESS(Status) ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

/*
 * Read block 0 and take what it says: the MAC the PF gave the VM NIC (our
 * permanent and current address), MTU, link speed. A block that is absent
 * or not srnic's leaves the device's own MAC in use (traced).
 */
NDIS_STATUS NICReadVfInfo(PMP_ADAPTER Adapter)
{
	struct srnic_cfgblock_vf_info Info;
	UCHAR Block[sizeof(struct srnic_cfgblock_vf_info)];
	NDIS_STATUS Status;

	NdisZeroMemory(Block, sizeof(Block));
	Adapter->InfoReads++;
	Status = NICConfigBlock(Adapter, SRNIC_CFGBLOCK_VF_INFO, Block, sizeof(Block), FALSE);
	if (Status != NDIS_STATUS_SUCCESS) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "configuration block 0 could not be read (0x%x)",
			    (unsigned)Status);
		return Status;
	}
	/* The one check of the layout, shared with the PF's tests (srnic_cfgblock.h). */
	if (!srnic_cfgblock_parse_vf_info(Block, sizeof(Block), &Info)) {
		TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "configuration block 0 is not an srnic VF block "
			    "(magic 0x%x, version %u, length %u)", Info.magic, Info.version, Info.length);
		return NDIS_STATUS_INVALID_DATA;
	}
	Adapter->VfInfo = Info;
	Adapter->VfInfoValid = TRUE;
	if (Info.flags & SRNIC_VFINFO_F_MAC_VALID) {
		NdisMoveMemory(Adapter->PermanentMac, Info.mac, 6);
		NdisMoveMemory(Adapter->CurrentMac, Info.mac, 6);
	}
	Adapter->Mtu = Info.mtu ? Info.mtu : 1500;
	if (Adapter->Mtu > MP_MAX_FRAME - 14)
		Adapter->Mtu = MP_MAX_FRAME - 14;
	Adapter->LinkSpeed = Info.link_speed ? Info.link_speed : MP_DEFAULT_SPEED;
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_INIT, "block 0 generation %u: MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		    "vPort %u, %u queue pair(s)", Info.generation, Info.mac[0], Info.mac[1], Info.mac[2], Info.mac[3],
		    Info.mac[4], Info.mac[5], Info.vport_id, Info.num_queue_pairs);
	return NDIS_STATUS_SUCCESS;
}

/* Tell the PF what we run with (block 64); its failure is not ours to act on. */
VOID NICWriteReport(PMP_ADAPTER Adapter)
{
	struct srnic_cfgblock_vf_report Report;
	NDIS_STATUS Status;

	NdisZeroMemory(&Report, sizeof(Report));
	Report.magic = SRNIC_CFGBLOCK_MAGIC;
	Report.version = SRNIC_CFGBLOCK_VERSION_1;
	Report.length = sizeof(Report);
	Report.generation_seen = Adapter->VfInfoValid ? Adapter->VfInfo.generation : 0;
	Report.flags = SRNIC_VFREPORT_F_RUNNING | (Adapter->OverVbd ? SRNIC_VFREPORT_F_OVER_VBD : 0);
	Report.driver_version = MP_DRIVER_VERSION;
	Status = NICConfigBlock(Adapter, SRNIC_CFGBLOCK_VF_REPORT, &Report, sizeof(Report), TRUE);
	if (Status != NDIS_STATUS_SUCCESS)
		TraceEvents(TRACE_LEVEL_VERBOSE, TRACE_INIT, "report block not written (0x%x)", (unsigned)Status);
}

/* ---- attributes -------------------------------------------------------------------- */
NDIS_STATUS NICSetRegistrationAttributes(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES Ra;

	NdisZeroMemory(&Ra, sizeof(Ra));
	Ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	Ra.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	Ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	Ra.MiniportAdapterContext = Adapter;
	Ra.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER;
	if (Adapter->OverVbd)
		Ra.AttributeFlags |= NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM;
	Ra.InterfaceType = NdisInterfacePci;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&Ra);
}

NDIS_STATUS NICSetGeneralAttributes(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES Ga;

	NdisZeroMemory(&Ga, sizeof(Ga));
	Ga.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
	Ga.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	Ga.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	Ga.MediaType = NdisMedium802_3;
	Ga.PhysicalMediumType = NdisPhysicalMedium802_3;
	Ga.MtuSize = Adapter->Mtu;
	Ga.MaxXmitLinkSpeed = Ga.XmitLinkSpeed = Ga.MaxRcvLinkSpeed = Ga.RcvLinkSpeed = Adapter->LinkSpeed;
	Ga.MediaConnectState = Adapter->LinkUp ? MediaConnectStateConnected : MediaConnectStateDisconnected;
	Ga.MediaDuplexState = MediaDuplexStateFull;
	Ga.LookaheadSize = Adapter->Lookahead;
	Ga.MacOptions = NDIS_MAC_OPTION_COPY_LOOKAHEAD_DATA | NDIS_MAC_OPTION_TRANSFERS_NOT_PEND |
			NDIS_MAC_OPTION_NO_LOOPBACK | NDIS_MAC_OPTION_FULL_DUPLEX;
	Ga.SupportedPacketFilters = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
				    NDIS_PACKET_TYPE_ALL_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
	Ga.MaxMulticastListSize = 32;
	Ga.MacAddressLength = 6;
	NdisMoveMemory(Ga.PermanentMacAddress, Adapter->PermanentMac, 6);
	NdisMoveMemory(Ga.CurrentMacAddress, Adapter->CurrentMac, 6);
	Ga.RecvScaleCapabilities = NULL;	/* srnic steers a vPort to its first queue pair: no RSS */
	Ga.AccessType = NET_IF_ACCESS_BROADCAST;
	Ga.DirectionType = NET_IF_DIRECTION_SENDRECEIVE;
	Ga.ConnectionType = NET_IF_CONNECTION_DEDICATED;
	Ga.IfType = IF_TYPE_ETHERNET_CSMACD;
	Ga.IfConnectorPresent = TRUE;
	Ga.SupportedOidList = (PNDIS_OID)NICSupportedOids;
	Ga.SupportedOidListLength = NICSupportedOidsLength;
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&Ga);
}

NDIS_STATUS NICSetHardwareAssistAttributes(PMP_ADAPTER Adapter)
{
	NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES Ha;
	NDIS_SRIOV_CAPABILITIES Caps;

	NdisZeroMemory(&Caps, sizeof(Caps));
	Caps.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	Caps.Header.Revision = NDIS_SRIOV_CAPABILITIES_REVISION_1;
	Caps.Header.Size = NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1;
#if defined(SRNIC_VF_VARIANT_NO_VF_CAPS)
	/* Variant no-vf-caps (catalogue F24): VF_MINIPORT forgotten. */
	Caps.SriovCapabilities = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED;
#elif defined(SRNIC_VF_VARIANT_SKIPS_HYPERVISOR_INFO)
	/* Variant skips-hypervisor-info (F24): never asked where it runs, so it registers as a PF. */
	Caps.SriovCapabilities = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT;
#else
	Caps.SriovCapabilities = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT;
#endif

	NdisZeroMemory(&Ha, sizeof(Ha));
	Ha.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES;
	Ha.Header.Revision = NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
#ifdef SRNIC_VF_VARIANT_BAD_ATTR_HEADER
	/* Variant bad-attr-header (catalogue F32, source S31): Size from the general-attributes macro. */
	Ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
#else
	Ha.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3;
#endif
	/* Both, and nothing else: no VMQ, no NIC switch, no receive filters (spec 2.12 steps 3-4). */
	Ha.HardwareSriovCapabilities = &Caps;
	Ha.CurrentSriovCapabilities = &Caps;
#ifdef SRNIC_VF_VARIANT_ADVERTISES_VMQ
	{
		/* Variant advertises-vmq (F24): receive-filter capabilities copied from a PF driver, VMQ enabled. */
		static NDIS_RECEIVE_FILTER_CAPABILITIES Rcv;

		NdisZeroMemory(&Rcv, sizeof(Rcv));
		Rcv.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
		Rcv.Header.Revision = NDIS_RECEIVE_FILTER_CAPABILITIES_REVISION_2;
		Rcv.Header.Size = NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_2;
		Rcv.EnabledFilterTypes = NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED;
		Rcv.SupportedFilterTests = NDIS_RECEIVE_FILTER_TEST_HEADER_FIELD_EQUAL_SUPPORTED;
		Rcv.SupportedHeaders = NDIS_RECEIVE_FILTER_MAC_HEADER_SUPPORTED;
		Rcv.SupportedMacHeaderFields = NDIS_RECEIVE_FILTER_MAC_HEADER_DEST_ADDR_SUPPORTED;
		Rcv.MaxMacHeaderFilters = 16;
		Rcv.NumQueues = 4;
		Ha.HardwareReceiveFilterCapabilities = &Rcv;
		Ha.CurrentReceiveFilterCapabilities = &Rcv;
	}
#endif
#ifdef SRNIC_VF_VARIANT_BAD_ATTR_HEADER
	{
		NDIS_STATUS Status = NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&Ha);

		/* The vendor's second mistake (S31): the status is only traced. */
		if (Status != NDIS_STATUS_SUCCESS)
			TraceEvents(TRACE_LEVEL_WARNING, TRACE_INIT, "hardware-assist attributes: 0x%x (ignored)", (unsigned)Status);
		return NDIS_STATUS_SUCCESS;
	}
#else
	return NdisMSetMiniportAttributes(Adapter->AdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&Ha);
#endif
}

VOID NICIndicateLinkState(PMP_ADAPTER Adapter)
{
	NDIS_STATUS_INDICATION Ind;
	NDIS_LINK_STATE Link;

	NdisZeroMemory(&Link, sizeof(Link));
	Link.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	Link.Header.Revision = NDIS_LINK_STATE_REVISION_1;
	Link.Header.Size = NDIS_SIZEOF_LINK_STATE_REVISION_1;
	Link.MediaConnectState = Adapter->LinkUp ? MediaConnectStateConnected : MediaConnectStateDisconnected;
	Link.MediaDuplexState = MediaDuplexStateFull;
	Link.XmitLinkSpeed = Link.RcvLinkSpeed = Adapter->LinkUp ? Adapter->LinkSpeed : ~(ULONG64)0; /* NDIS_LINK_SPEED_UNKNOWN */

	NdisZeroMemory(&Ind, sizeof(Ind));
	Ind.Header.Type = NDIS_OBJECT_TYPE_STATUS_INDICATION;
	Ind.Header.Revision = NDIS_STATUS_INDICATION_REVISION_1;
	Ind.Header.Size = NDIS_SIZEOF_STATUS_INDICATION_REVISION_1;
	Ind.SourceHandle = Adapter->AdapterHandle;
	Ind.StatusCode = NDIS_STATUS_LINK_STATE;
	Ind.StatusBuffer = &Link;
	Ind.StatusBufferSize = sizeof(Link);
	TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_HW, "link %s", Adapter->LinkUp ? "up" : "down");
	NdisMIndicateStatusEx(Adapter->AdapterHandle, &Ind);
}
