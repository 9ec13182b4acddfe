/*
 * ndis.h: the one header an iovlab driver includes (as a Windows miniport
 * includes <ndis.h>). It pulls in the whole driver-facing API -- base types,
 * status codes, ntddndis.h structures, the WDM subset, vpci.h, the miniport
 * structures -- and declares the Ndis* / NdisM* functions that the framework
 * (src/ndis, "iovlab's ndis.sys") exports to drivers loaded from .so + INF.
 * Build an out-of-tree driver with `pkg-config --cflags --libs iovlab-ddk`.
 *
 * This is the umbrella header style.md allows, because drivers expect it.
 */
#ifndef IOVLAB_NDIS_H
#define IOVLAB_NDIS_H

#include "ndis_types.h"
#include "ndis_status.h"
#include "ntddndis.h"
#include "wdm.h"
#include "vpci.h"
#include "ndis_miniport.h"
#include "ndis_nbl.h"
#include "ndis_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NDIS_EXPORT __attribute__((visibility("default")))

/* The entry point every driver .so exports (the framework dlsym()s it). */
typedef NTSTATUS (DRIVER_INITIALIZE)(PDRIVER_OBJECT DriverObject,
				     PUNICODE_STRING RegistryPath);
DRIVER_INITIALIZE DriverEntry;

/*
 * NDIS_MAKE_RID: requester ID from a VF's PCI location. The docs do not give
 * the bit layout (ndis-sriov-spec.md 5.1, UNVERIFIED); iovlab uses the PCIe
 * routing-ID convention bus<<8 | function (ARI function 0-255) with the
 * segment in bits 16-31. See docs/ndis-headers.md.
 */
#define NDIS_MAKE_RID(Segment, Bus, Function) \
	((NDIS_VF_RID)((((ULONG)(Segment) & 0xffff) << 16) | \
		       (((ULONG)(Bus) & 0xff) << 8) | ((ULONG)(Function) & 0xff)))

/* Counted UTF-16 string constants: NDIS_STRING kw = NDIS_STRING_CONST("*SRIOV"). */
#define NDIS_STRING_CONST(x) \
	{ (USHORT)(sizeof(u"" x) - sizeof(WCHAR)), (USHORT)sizeof(u"" x), (PWCHAR)u"" x }

typedef enum _EX_POOL_PRIORITY {
	LowPoolPriority,
	NormalPoolPriority = 16,
	HighPoolPriority = 32
} EX_POOL_PRIORITY;

/* ---- driver and adapter lifecycle --------------------------------------- */
NDIS_EXPORT NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
						    NDIS_HANDLE MiniportDriverContext,
						    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
						    PNDIS_HANDLE NdisMiniportDriverHandle);
NDIS_EXPORT VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle);
NDIS_EXPORT NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE MiniportAdapterHandle,
						   PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes);
NDIS_EXPORT VOID NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle);
NDIS_EXPORT VOID NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status);
NDIS_EXPORT VOID NdisMGetDeviceProperty(NDIS_HANDLE MiniportAdapterHandle, PDEVICE_OBJECT *PhysicalDeviceObject,
					PDEVICE_OBJECT *FunctionalDeviceObject, PDEVICE_OBJECT *NextDeviceObject,
					PVOID AllocatedResources, PVOID AllocatedResourcesTranslated);
NDIS_EXPORT NDIS_STATUS NdisGetHypervisorInfo(PNDIS_HYPERVISOR_INFO HypervisorInfo);
NDIS_EXPORT VOID NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle, PNDIS_STATUS_INDICATION StatusIndication);
NDIS_EXPORT VOID NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
					 NDIS_STATUS Status);

/* ---- memory -------------------------------------------------------------- */
NDIS_EXPORT PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
						    EX_POOL_PRIORITY Priority);
NDIS_EXPORT VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags);

/* ---- configuration (the adapter's registry keywords) -------------------- */
NDIS_EXPORT NDIS_STATUS NdisOpenConfigurationEx(PNDIS_CONFIGURATION_OBJECT ConfigObject,
						PNDIS_HANDLE ConfigurationHandle);
NDIS_EXPORT VOID NdisOpenConfigurationKeyByName(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle,
						PNDIS_STRING SubKeyName, PNDIS_HANDLE SubKeyHandle);
NDIS_EXPORT VOID NdisReadConfiguration(PNDIS_STATUS Status, PNDIS_CONFIGURATION_PARAMETER *ParameterValue,
				       NDIS_HANDLE ConfigurationHandle, PNDIS_STRING Keyword,
				       NDIS_PARAMETER_TYPE ParameterType);
NDIS_EXPORT VOID NdisWriteConfiguration(PNDIS_STATUS Status, NDIS_HANDLE ConfigurationHandle,
					PNDIS_STRING Keyword, PNDIS_CONFIGURATION_PARAMETER ParameterValue);
NDIS_EXPORT VOID NdisCloseConfiguration(NDIS_HANDLE ConfigurationHandle);

/* ---- bus, SR-IOV and config blocks (spec 5.1) ---------------------------- */
NDIS_EXPORT ULONG NdisMGetBusData(NDIS_HANDLE NdisMiniportHandle, ULONG WhichSpace, ULONG Offset,
				  PVOID Buffer, ULONG Length);
NDIS_EXPORT ULONG NdisMSetBusData(NDIS_HANDLE NdisMiniportHandle, ULONG WhichSpace, ULONG Offset,
				  PVOID Buffer, ULONG Length);
NDIS_EXPORT ULONG NdisMGetVirtualFunctionBusData(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
						 PVOID Buffer, ULONG Offset, ULONG Length);
NDIS_EXPORT ULONG NdisMSetVirtualFunctionBusData(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
						 PVOID Buffer, ULONG Offset, ULONG Length);
NDIS_EXPORT VOID NdisMGetVirtualFunctionLocation(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
						 PUSHORT SegmentNumber, PUCHAR BusNumber, PUCHAR FunctionNumber);
NDIS_EXPORT NDIS_STATUS NdisMEnableVirtualization(NDIS_HANDLE NdisMiniportHandle, USHORT NumVFs,
						  BOOLEAN EnableVFMigration, BOOLEAN EnableMigrationInterrupt,
						  BOOLEAN EnableVirtualization);
NDIS_EXPORT NDIS_STATUS NdisMQueryProbedBars(NDIS_HANDLE MiniportAdapterHandle, PULONG BaseRegisterValues);
NDIS_EXPORT VOID NdisMInvalidateConfigBlock(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
					    ULONGLONG BlockMask);
NDIS_EXPORT NDIS_STATUS NdisMReadConfigBlock(NDIS_HANDLE MiniportAdapterHandle, ULONG BlockId, PVOID Buffer,
					     ULONG Length);
NDIS_EXPORT NDIS_STATUS NdisMWriteConfigBlock(NDIS_HANDLE MiniportAdapterHandle, ULONG BlockId, PVOID Buffer,
					      ULONG Length);

/*
 * ---- DMA memory and interrupts -----------------------------------------------
 * NdisMAllocateSharedMemory hands out memory the device can DMA to, with
 * the address the device uses in *PhysicalAddress (the "logical" address
 * of the Windows DMA model); *VirtualAddress is NULL on failure. The lab
 * does not require NdisMRegisterScatterGatherDma first. An interrupt
 * registered with NdisMRegisterInterruptEx (in MiniportInitializeEx) is
 * serviced as a single processor would: a message that arrives while the
 * thread is running this adapter's miniport code is delivered when that
 * code returns; the ISR runs, then the DPC if the ISR queued it.
 */
NDIS_EXPORT VOID NdisMAllocateSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached,
					   PVOID *VirtualAddress, PNDIS_PHYSICAL_ADDRESS PhysicalAddress);
NDIS_EXPORT VOID NdisMFreeSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached,
				       PVOID VirtualAddress, NDIS_PHYSICAL_ADDRESS PhysicalAddress);
NDIS_EXPORT NDIS_STATUS NdisMRegisterInterruptEx(NDIS_HANDLE MiniportAdapterHandle,
						 NDIS_HANDLE MiniportInterruptContext,
						 PNDIS_MINIPORT_INTERRUPT_CHARACTERISTICS MiniportInterruptCharacteristics,
						 PNDIS_HANDLE NdisInterruptHandle);
NDIS_EXPORT VOID NdisMDeregisterInterruptEx(NDIS_HANDLE NdisInterruptHandle);

/*
 * ---- register access ------------------------------------------------------
 * Functions here (macros in the WDK): an access to a range mapped with
 * NdisMMapIoSpace reaches the bus model (doorbells, read side effects);
 * architecture.md section 2.
 */
NDIS_EXPORT NDIS_STATUS NdisMMapIoSpace(PVOID *VirtualAddress, NDIS_HANDLE MiniportAdapterHandle,
					NDIS_PHYSICAL_ADDRESS PhysicalAddress, UINT Length);
NDIS_EXPORT VOID NdisMUnmapIoSpace(NDIS_HANDLE MiniportAdapterHandle, PVOID VirtualAddress, UINT Length);
NDIS_EXPORT VOID NdisReadRegisterUchar(volatile UCHAR *Register, PUCHAR Data);
NDIS_EXPORT VOID NdisReadRegisterUshort(volatile USHORT *Register, PUSHORT Data);
NDIS_EXPORT VOID NdisReadRegisterUlong(volatile ULONG *Register, PULONG Data);
NDIS_EXPORT VOID NdisWriteRegisterUchar(volatile UCHAR *Register, UCHAR Data);
NDIS_EXPORT VOID NdisWriteRegisterUshort(volatile USHORT *Register, USHORT Data);
NDIS_EXPORT VOID NdisWriteRegisterUlong(volatile ULONG *Register, ULONG Data);

/* ---- NET_BUFFER_LISTs (ndis_nbl.h) -------------------------------------- */
NDIS_EXPORT NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle,
						      PNET_BUFFER_LIST_POOL_PARAMETERS Parameters);
NDIS_EXPORT VOID NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle);
NDIS_EXPORT PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
								  USHORT ContextBackFill, PMDL MdlChain,
								  ULONG DataOffset, SIZE_T DataLength);
NDIS_EXPORT PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
						      USHORT ContextBackFill);
NDIS_EXPORT VOID NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList);
NDIS_EXPORT PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length);
NDIS_EXPORT VOID NdisFreeMdl(PMDL Mdl);
NDIS_EXPORT PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage, UINT AlignMultiple,
				    UINT AlignOffset);
NDIS_EXPORT VOID NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferList,
						 ULONG SendCompleteFlags);
NDIS_EXPORT VOID NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferList,
						    NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
						    ULONG ReceiveFlags);
NDIS_EXPORT VOID NdisSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
					NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
NDIS_EXPORT VOID NdisReturnNetBufferLists(NDIS_HANDLE NdisBindingHandle, PNET_BUFFER_LIST NetBufferLists,
					  ULONG ReturnFlags);
NDIS_EXPORT VOID NdisCancelSendNetBufferLists(NDIS_HANDLE NdisBindingHandle, PVOID CancelId);

/* ---- protocol drivers (ndis_protocol.h) ----------------------------------- */
NDIS_EXPORT NDIS_STATUS NdisRegisterProtocolDriver(NDIS_HANDLE ProtocolDriverContext,
						   PNDIS_PROTOCOL_DRIVER_CHARACTERISTICS ProtocolCharacteristics,
						   PNDIS_HANDLE NdisProtocolHandle);
NDIS_EXPORT VOID NdisDeregisterProtocolDriver(NDIS_HANDLE NdisProtocolHandle);
NDIS_EXPORT NDIS_STATUS NdisOpenAdapterEx(NDIS_HANDLE NdisProtocolHandle, NDIS_HANDLE ProtocolBindingContext,
					  PNDIS_OPEN_PARAMETERS OpenParameters, NDIS_HANDLE BindContext,
					  PNDIS_HANDLE NdisBindingHandle);
NDIS_EXPORT VOID NdisCompleteBindAdapterEx(NDIS_HANDLE BindAdapterContext, NDIS_STATUS Status);
NDIS_EXPORT NDIS_STATUS NdisCloseAdapterEx(NDIS_HANDLE NdisBindingHandle);
NDIS_EXPORT VOID NdisCompleteUnbindAdapterEx(NDIS_HANDLE UnbindContext);
NDIS_EXPORT NDIS_STATUS NdisOidRequest(NDIS_HANDLE NdisBindingHandle, PNDIS_OID_REQUEST OidRequest);

/*
 * Debug output: DbgPrintEx is declared in wdm.h. In a partition that runs
 * NDIS it lands in iovlab's one logger under the topic "drv.<service>" of the
 * driver whose code is running (src/ndis/api_debug.c); Level
 * DPFLTR_ERROR/WARNING/TRACE/INFO maps to error/warn/info/debug. A driver's
 * WPP-shaped trace macro sits on it (docs/logging.md).
 */

/* Milliseconds since the system started (NDIS 6.20; monotonic: for intervals, not the date). */
NDIS_EXPORT VOID NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime);

/* Memory helpers (ndis.h macros over the CRT). */
#define NdisZeroMemory(Destination, Length) __builtin_memset((Destination), 0, (Length))
#define NdisMoveMemory(Destination, Source, Length) __builtin_memcpy((Destination), (Source), (Length))
#define NdisEqualMemory(a, b, Length) (__builtin_memcmp((a), (b), (Length)) == 0)

#ifdef __cplusplus
}
#endif
#endif /* IOVLAB_NDIS_H */
