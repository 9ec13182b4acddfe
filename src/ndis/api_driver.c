/*
 * Ndis* exports for driver and adapter lifecycle: registration, attributes,
 * pause/restart completion, device properties, NdisGetHypervisorInfo, status
 * indications, OID completion, memory, the system up time. Each turns its handle into the
 * framework object, calls the lowercase internal and maps the result once.
 */
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "ndis/internal.h"

NDIS_EXPORT NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
						    NDIS_HANDLE MiniportDriverContext,
						    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
						    PNDIS_HANDLE NdisMiniportDriverHandle)
{
	struct ndis_driver *drv;
	int rc;

	(void)RegistryPath;
	if (ndis__handle_kind(DriverObject) != NDIS_H_DRIVER_OBJECT || !NdisMiniportDriverHandle) {
		log_error(NDIS_LOG, "NdisMRegisterMiniportDriver: %p is not the DRIVER_OBJECT NDIS passed to DriverEntry",
			  (void *)DriverObject);
		return NDIS_STATUS_FAILURE;
	}
	drv = (struct ndis_driver *)((char *)DriverObject - offsetof(struct ndis_driver, drvobj));
	rc = ndis__driver_register_miniport(drv, MiniportDriverContext, MiniportDriverCharacteristics);
	if (rc == 0)
		*NdisMiniportDriverHandle = drv;
	return rc == -EPERM || rc == -EALREADY || rc == -EIO ? NDIS_STATUS_FAILURE : ndis__status_from_errno(rc);
}

NDIS_EXPORT VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle)
{
	if (ndis__handle_kind(NdisMiniportDriverHandle) != NDIS_H_DRIVER) {
		log_error(NDIS_LOG, "NdisMDeregisterMiniportDriver: %p is not an NdisMiniportDriverHandle",
			  NdisMiniportDriverHandle);
		return;
	}
	ndis__driver_deregister_miniport(NdisMiniportDriverHandle);
}

NDIS_EXPORT NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE MiniportAdapterHandle,
						   PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMSetMiniportAttributes");
	int rc;

	if (!ad)
		return NDIS_STATUS_INVALID_PARAMETER;
	rc = ndis__adapter_set_attributes(ad, (const NDIS_OBJECT_HEADER *)MiniportAttributes);
	return rc == -EPERM ? NDIS_STATUS_FAILURE : ndis__status_from_errno(rc);
}

NDIS_EXPORT VOID NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMPauseComplete");

	if (ad)
		(void)ndis__adapter_pause_complete(ad);
}

NDIS_EXPORT VOID NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMRestartComplete");

	if (ad)
		(void)ndis__adapter_restart_complete(ad, (uint32_t)Status);
}

NDIS_EXPORT VOID NdisMGetDeviceProperty(NDIS_HANDLE MiniportAdapterHandle, PDEVICE_OBJECT *PhysicalDeviceObject,
					PDEVICE_OBJECT *FunctionalDeviceObject, PDEVICE_OBJECT *NextDeviceObject,
					PVOID AllocatedResources, PVOID AllocatedResourcesTranslated)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMGetDeviceProperty");

	(void)AllocatedResources;
	(void)AllocatedResourcesTranslated;
	if (PhysicalDeviceObject)
		*PhysicalDeviceObject = ad ? ad->pdo : NULL;
	if (FunctionalDeviceObject)
		*FunctionalDeviceObject = ad ? ad->fdo : NULL;
	if (NextDeviceObject)
		*NextDeviceObject = ad ? ad->next_device : NULL;
}

NDIS_EXPORT NDIS_STATUS NdisGetHypervisorInfo(PNDIS_HYPERVISOR_INFO HypervisorInfo)
{
	struct ndis_framework *fw = ndis__framework_for_call();
	struct ndis_call *c = ndis__call_current();

	if (!HypervisorInfo)
		return NDIS_STATUS_INVALID_PARAMETER;
	/* The caller initializes the header (spec 4.6). */
	if (HypervisorInfo->Header.Type != NDIS_OBJECT_TYPE_DEFAULT || HypervisorInfo->Header.Revision < 1 ||
	    HypervisorInfo->Header.Size < NDIS_SIZEOF_HYPERVISOR_INFO_REVISION_1)
		return NDIS_STATUS_BUFFER_TOO_SHORT;
	if (!fw) {
		log_error(NDIS_LOG, "NdisGetHypervisorInfo outside a call from NDIS with several partitions in the process");
		return NDIS_STATUS_FAILURE;
	}
	if (c && c->ad)
		c->ad->hypervisor_info_called = true;
	switch (fw->partition) {
	case NDIS_PARTITION_PARENT:
		HypervisorInfo->Flags = NDIS_HYPERVISOR_INFO_FLAG_HYPERVISOR_PRESENT;
		HypervisorInfo->PartitionType = NdisHypervisorPartitionTypeMsHvParent;
		break;
	case NDIS_PARTITION_CHILD:
		HypervisorInfo->Flags = NDIS_HYPERVISOR_INFO_FLAG_HYPERVISOR_PRESENT;
		HypervisorInfo->PartitionType = NdisHypervisorPartitionMsHvChild;
		break;
	case NDIS_PARTITION_NONE:
		HypervisorInfo->Flags = 0;
		HypervisorInfo->PartitionType = NdisHypervisorPartitionTypeUnknown;
		break;
	}
	return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle, PNDIS_STATUS_INDICATION StatusIndication)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMIndicateStatusEx");
	NDIS_STATUS_INDICATION *ind = StatusIndication;

	if (!ad || !ind)
		return;
	if (ind->Header.Type != NDIS_OBJECT_TYPE_STATUS_INDICATION || ind->Header.Revision < 1 ||
	    ind->Header.Size < NDIS_SIZEOF_STATUS_INDICATION_REVISION_1) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_HEADER,
				      "NDIS_STATUS_INDICATION header type 0x%x rev %u size %u (want 0x98, 1, %zu)",
				      ind->Header.Type, ind->Header.Revision, ind->Header.Size,
				      (size_t)NDIS_SIZEOF_STATUS_INDICATION_REVISION_1);
		return;
	}
	if (ind->SourceHandle != MiniportAdapterHandle) {
		ndis__adapter_finding(ad, NDIS_RULE_HANDLE,
				      "NDIS_STATUS_INDICATION.SourceHandle %p is not the MiniportAdapterHandle",
				      ind->SourceHandle);
		return;
	}
	log_info(NDIS_LOG, "adapter '%s': status indication %s (%u bytes)", ad->name,
		 ndis__status_str((uint32_t)ind->StatusCode), ind->StatusBufferSize);
	/* NDIS keeps capability changes for its own answers (spec 5.2). */
	if ((ind->StatusCode == NDIS_STATUS_NIC_SWITCH_CURRENT_CAPABILITIES ||
	     ind->StatusCode == NDIS_STATUS_NIC_SWITCH_HARDWARE_CAPABILITIES) && ind->StatusBuffer &&
	    ind->StatusBufferSize >= NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2) {
		NDIS_NIC_SWITCH_CAPABILITIES *dst = ind->StatusCode == NDIS_STATUS_NIC_SWITCH_CURRENT_CAPABILITIES ?
							    &ad->cur_switch : &ad->hw_switch;
		memcpy(dst, ind->StatusBuffer, sizeof(*dst));
		if (ind->StatusCode == NDIS_STATUS_NIC_SWITCH_CURRENT_CAPABILITIES)
			ad->has_cur_switch = true;
		else
			ad->has_hw_switch = true;
	}
	if ((ind->StatusCode == NDIS_STATUS_RECEIVE_FILTER_CURRENT_CAPABILITIES ||
	     ind->StatusCode == NDIS_STATUS_RECEIVE_FILTER_HARDWARE_CAPABILITIES) && ind->StatusBuffer &&
	    ind->StatusBufferSize >= NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_1) {
		bool cur = ind->StatusCode == NDIS_STATUS_RECEIVE_FILTER_CURRENT_CAPABILITIES;
		NDIS_RECEIVE_FILTER_CAPABILITIES *dst = cur ? &ad->cur_rcv : &ad->hw_rcv;
		size_t n = ind->StatusBufferSize < sizeof(*dst) ? ind->StatusBufferSize : sizeof(*dst);

		memset(dst, 0, sizeof(*dst));
		memcpy(dst, ind->StatusBuffer, n);
		if (cur)
			ad->has_cur_rcv = true;
		else
			ad->has_hw_rcv = true;
	}
	/* The media state NDIS keeps for OID_GEN_MEDIA_CONNECT_STATUS and diagnose. */
	if (ind->StatusCode == NDIS_STATUS_LINK_STATE && ind->StatusBuffer &&
	    ind->StatusBufferSize >= offsetof(NDIS_LINK_STATE, MediaConnectState) + sizeof(NET_IF_MEDIA_CONNECT_STATE)) {
		ad->media_state = (uint32_t)((const NDIS_LINK_STATE *)ind->StatusBuffer)->MediaConnectState;
		ad->media_state_known = true;
	} else if (ind->StatusCode == NDIS_STATUS_MEDIA_CONNECT || ind->StatusCode == NDIS_STATUS_MEDIA_DISCONNECT) {
		ad->media_state = ind->StatusCode == NDIS_STATUS_MEDIA_CONNECT ? MediaConnectStateConnected
									       : MediaConnectStateDisconnected;
		ad->media_state_known = true;
	}
	ndis__adapter_status_to_bindings(ad, ind);
}

NDIS_EXPORT VOID NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
					 NDIS_STATUS Status)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMOidRequestComplete");

	if (ad)
		ndis__oid_complete_from_miniport(ad, OidRequest, (uint32_t)Status);
}

/* ---- memory: blocks carry their owner so a driver's leaks show at unload -- */
struct mem_block {
	struct ndis_driver *drv;
	size_t len;
	_Alignas(16) unsigned char data[];
};

NDIS_EXPORT PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag,
						    EX_POOL_PRIORITY Priority)
{
	enum ndis_handle_kind k = ndis__handle_kind(NdisHandle);
	struct ndis_driver *drv = NULL;
	struct mem_block *b;

	(void)Tag;
	(void)Priority;
	if (k == NDIS_H_ADAPTER)
		drv = ((struct ndis_adapter *)NdisHandle)->drv;
	else if (k == NDIS_H_DRIVER)
		drv = NdisHandle;
	else if (k != NDIS_H_PROTOCOL && k != NDIS_H_BINDING) {
		log_error(NDIS_LOG, "NdisAllocateMemoryWithTagPriority: %p is %s", NdisHandle, ndis__handle_kind_name(k));
		return NULL;
	}
	b = calloc(1, sizeof(*b) + (Length ? Length : 1));
	if (!b)
		return NULL;
	b->drv = drv;
	b->len = Length;
	if (ndis__handle_add(b->data, NDIS_H_MEMORY)) {
		free(b);
		return NULL;
	}
	if (drv)
		drv->mem_blocks++;
	return b->data;
}

NDIS_EXPORT VOID NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
	struct mem_block *b;

	(void)Length;
	(void)MemoryFlags;
	if (ndis__handle_kind(VirtualAddress) != NDIS_H_MEMORY) {
		struct ndis_call *c = ndis__call_current();
		if (c && c->fw)
			ndis__finding(c->fw, NDIS_RULE_HANDLE, c->drv ? c->drv->name : "", c->ad ? c->ad->name : "",
				      "NdisFreeMemory(%p): not a block from NdisAllocateMemoryWithTagPriority, or freed twice",
				      VirtualAddress);
		return;
	}
	b = (struct mem_block *)((char *)VirtualAddress - offsetof(struct mem_block, data));
	ndis__handle_remove(VirtualAddress);
	if (b->drv)
		b->drv->mem_blocks--;
	free(b);
}

/* learn.microsoft.com .../ndis/nf-ndis-ndisgetsystemuptimeex: milliseconds since start; here CLOCK_MONOTONIC. */
NDIS_EXPORT VOID NdisGetSystemUpTimeEx(PLARGE_INTEGER pSystemUpTime)
{
	struct timespec t;

	if (!pSystemUpTime)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	pSystemUpTime->QuadPart = (LONGLONG)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
