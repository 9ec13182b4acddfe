/*
 * hello_miniport.c -- the smallest clean NDIS 6.30 miniport, built by
 * tests/sdk/test_sdk.sh OUTSIDE the iovlab build with nothing but
 *     cc -shared -fPIC $(pkg-config --cflags --libs iovlab-ddk)
 * and loaded by the framework through hello.inf: the proof that a user's
 * own driver builds against the SDK and runs in iovlab.
 */
#include <ndis.h>

#define HELLO_TAG 0x6f6c6548	/* 'Helo' */

typedef struct _HELLO_ADAPTER {
	NDIS_HANDLE AdapterHandle;
} HELLO_ADAPTER, *PHELLO_ADAPTER;

static NDIS_HANDLE DriverHandle;
static const NDIS_OID HelloOids[] = { OID_GEN_VENDOR_DESCRIPTION };

static NDIS_STATUS MPInitializeEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
				  PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES ra;
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES ga;
	PHELLO_ADAPTER Adapter;
	NDIS_STATUS Status;

	UNREFERENCED_PARAMETER(MiniportDriverContext);
	UNREFERENCED_PARAMETER(MiniportInitParameters);
	Adapter = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof(*Adapter), HELLO_TAG,
						    NormalPoolPriority);
	if (!Adapter)
		return NDIS_STATUS_RESOURCES;
	Adapter->AdapterHandle = MiniportAdapterHandle;

	NdisZeroMemory(&ra, sizeof(ra));
	ra.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
	ra.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2;
	ra.MiniportAdapterContext = Adapter;
	ra.AttributeFlags = NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE;
	ra.InterfaceType = NdisInterfacePci;
	Status = NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ra);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;

	NdisZeroMemory(&ga, sizeof(ga));
	ga.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
	ga.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2;
	ga.MediaType = NdisMedium802_3;
	ga.PhysicalMediumType = NdisPhysicalMedium802_3;
	ga.MtuSize = 1500;
	ga.MediaConnectState = MediaConnectStateConnected;
	ga.MacAddressLength = 6;
	ga.SupportedOidList = (PNDIS_OID)HelloOids;
	ga.SupportedOidListLength = sizeof(HelloOids);
	Status = NdisMSetMiniportAttributes(MiniportAdapterHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)&ga);
	if (Status != NDIS_STATUS_SUCCESS)
		goto fail;
	return NDIS_STATUS_SUCCESS;
fail:
	NdisFreeMemory(Adapter, sizeof(*Adapter), 0);
	return Status;
}

static VOID MPHaltEx(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
	UNREFERENCED_PARAMETER(HaltAction);
	NdisFreeMemory(MiniportAdapterContext, sizeof(HELLO_ADAPTER), 0);
}

static NDIS_STATUS MPPause(NDIS_HANDLE Context, PNDIS_MINIPORT_PAUSE_PARAMETERS Parameters)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(Parameters);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPRestart(NDIS_HANDLE Context, PNDIS_MINIPORT_RESTART_PARAMETERS Parameters)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(Parameters);
	return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS MPOidRequest(NDIS_HANDLE Context, PNDIS_OID_REQUEST Req)
{
	static const char Desc[] = "hello, iovlab";

	UNREFERENCED_PARAMETER(Context);
	if (Req->RequestType != NdisRequestQueryInformation ||
	    Req->DATA.QUERY_INFORMATION.Oid != OID_GEN_VENDOR_DESCRIPTION)
		return NDIS_STATUS_NOT_SUPPORTED;
	if (Req->DATA.QUERY_INFORMATION.InformationBufferLength < sizeof(Desc)) {
		Req->DATA.QUERY_INFORMATION.BytesNeeded = sizeof(Desc);
		return NDIS_STATUS_INVALID_LENGTH;
	}
	NdisMoveMemory(Req->DATA.QUERY_INFORMATION.InformationBuffer, Desc, sizeof(Desc));
	Req->DATA.QUERY_INFORMATION.BytesWritten = sizeof(Desc);
	return NDIS_STATUS_SUCCESS;
}

static VOID MPCancelOidRequest(NDIS_HANDLE Context, PVOID RequestId)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(RequestId);
}

static VOID MPSendNetBufferLists(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbl, NDIS_PORT_NUMBER Port, ULONG Flags)
{
	PHELLO_ADAPTER Adapter = Context;

	UNREFERENCED_PARAMETER(Port);
	UNREFERENCED_PARAMETER(Flags);
	NdisMSendNetBufferListsComplete(Adapter->AdapterHandle, Nbl, 0);
}

static VOID MPReturnNetBufferLists(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbl, ULONG Flags)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(Nbl);
	UNREFERENCED_PARAMETER(Flags);
}

static VOID MPCancelSend(NDIS_HANDLE Context, PVOID CancelId)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(CancelId);
}

static VOID MPDevicePnPEventNotify(NDIS_HANDLE Context, PNET_DEVICE_PNP_EVENT Event)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(Event);
}

static VOID MPShutdownEx(NDIS_HANDLE Context, NDIS_SHUTDOWN_ACTION Action)
{
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(Action);
}

static VOID MPDriverUnload(PDRIVER_OBJECT DriverObject)
{
	UNREFERENCED_PARAMETER(DriverObject);
	NdisMDeregisterMiniportDriver(DriverHandle);
}

__attribute__((visibility("default"))) NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS mc;

	NdisZeroMemory(&mc, sizeof(mc));
	mc.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
	mc.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
	mc.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
	mc.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
	mc.MajorDriverVersion = 1;
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
	return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &mc, &DriverHandle) == NDIS_STATUS_SUCCESS ?
		       STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
