/*
 * Ndis* exports that reach below the adapter (spec 5.1, 6.4): own config
 * space (NdisMGetBusData/NdisMSetBusData), the PF's PCI virtualization
 * interface (VF config space, VF location, NdisMEnableVirtualization,
 * NdisMQueryProbedBars), the PF -> VF invalidation upcall, and the VF's
 * backchannel (NdisMReadConfigBlock/NdisMWriteConfigBlock through the vPCI
 * interface captured at initialization).
 *
 * The VBD rules (F22): a miniport whose PDO is an IHV virtual bus driver's
 * child must ask the VBD instead; NDIS has no PCI virtualization interface
 * (parent) or vPCI interface (guest) of its own in that stack, so these calls
 * are reported and fail.
 */
#include <errno.h>
#include <string.h>

#include "ndis/internal.h"
#include "base/trace.h"

static ULONG bus_data(NDIS_HANDLE h, ULONG space, ULONG off, PVOID buf, ULONG len, bool write, const char *fn)
{
	struct ndis_adapter *ad = ndis__api_adapter(h, fn);
	int rc;

	if (!ad || !buf || !len)
		return 0;
	if (space != PCI_WHICHSPACE_CONFIG) {
		log_warn(NDIS_LOG, "adapter '%s': %s WhichSpace 0x%x not supported (PCI_WHICHSPACE_CONFIG only)", ad->name,
			 fn, space);
		return 0;
	}
	if (!ad->bus || !(write ? ad->bus->config_write != NULL : ad->bus->config_read != NULL)) {
		log_warn(NDIS_LOG, "adapter '%s': %s: the bus offers no config-space access", ad->name, fn);
		return 0;
	}
	rc = write ? ad->bus->config_write(ad->bus_ctx, off, buf, len) : ad->bus->config_read(ad->bus_ctx, off, buf, len);
	return rc < 0 ? 0 : (ULONG)rc;
}

NDIS_EXPORT ULONG NdisMGetBusData(NDIS_HANDLE NdisMiniportHandle, ULONG WhichSpace, ULONG Offset, PVOID Buffer,
				  ULONG Length)
{
	return bus_data(NdisMiniportHandle, WhichSpace, Offset, Buffer, Length, false, "NdisMGetBusData");
}

NDIS_EXPORT ULONG NdisMSetBusData(NDIS_HANDLE NdisMiniportHandle, ULONG WhichSpace, ULONG Offset, PVOID Buffer,
				  ULONG Length)
{
	return bus_data(NdisMiniportHandle, WhichSpace, Offset, Buffer, Length, true, "NdisMSetBusData");
}

/* The PF-only PCI virtualization calls: NULL adapter when refused. */
static struct ndis_adapter *pf_call(NDIS_HANDLE h, const char *fn)
{
	struct ndis_adapter *ad = ndis__api_adapter(h, fn);

	if (!ad)
		return NULL;
	if (ad->over_vbd) {
		ndis__adapter_finding(ad, NDIS_RULE_VBD_PCI_VIRT,
				      "%s called by a miniport that sits on an IHV virtual bus driver; the VBD owns "
				      "GUID_PCI_VIRTUALIZATION_INTERFACE", fn);
		return NULL;
	}
	return ad;
}

static ULONG vf_bus_data(NDIS_HANDLE h, USHORT vf, PVOID buf, ULONG off, ULONG len, bool write, const char *fn)
{
	struct ndis_adapter *ad = pf_call(h, fn);
	int rc;

	if (!ad || !buf || !len)
		return 0;
	if (!ad->virt_enabled || vf >= ad->virt_num_vfs) {
		log_warn(NDIS_LOG, "adapter '%s': %s(VF %u): virtualization %s with %u VFs", ad->name, fn, vf,
			 ad->virt_enabled ? "enabled" : "not enabled", ad->virt_num_vfs);
		return 0;
	}
	if (!ad->bus || !(write ? ad->bus->vf_config_write != NULL : ad->bus->vf_config_read != NULL))
		return 0;
	rc = write ? ad->bus->vf_config_write(ad->bus_ctx, vf, off, buf, len) :
		     ad->bus->vf_config_read(ad->bus_ctx, vf, off, buf, len);
	return rc < 0 ? 0 : (ULONG)rc;
}

NDIS_EXPORT ULONG NdisMGetVirtualFunctionBusData(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
						 PVOID Buffer, ULONG Offset, ULONG Length)
{
	return vf_bus_data(MiniportAdapterHandle, VFId, Buffer, Offset, Length, false, "NdisMGetVirtualFunctionBusData");
}

NDIS_EXPORT ULONG NdisMSetVirtualFunctionBusData(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
						 PVOID Buffer, ULONG Offset, ULONG Length)
{
	return vf_bus_data(MiniportAdapterHandle, VFId, Buffer, Offset, Length, true, "NdisMSetVirtualFunctionBusData");
}

NDIS_EXPORT VOID NdisMGetVirtualFunctionLocation(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
						 PUSHORT SegmentNumber, PUCHAR BusNumber, PUCHAR FunctionNumber)
{
	struct ndis_adapter *ad = pf_call(MiniportAdapterHandle, "NdisMGetVirtualFunctionLocation");
	uint16_t seg = 0;
	uint8_t bus = 0, fn = 0;

	if (ad && ad->bus && ad->bus->vf_location && ad->bus->vf_location(ad->bus_ctx, VFId, &seg, &bus, &fn) < 0)
		seg = bus = fn = 0;
	if (SegmentNumber)
		*SegmentNumber = seg;
	if (BusNumber)
		*BusNumber = bus;
	if (FunctionNumber)
		*FunctionNumber = fn;
}

NDIS_EXPORT NDIS_STATUS NdisMEnableVirtualization(NDIS_HANDLE NdisMiniportHandle, USHORT NumVFs,
						  BOOLEAN EnableVFMigration, BOOLEAN EnableMigrationInterrupt,
						  BOOLEAN EnableVirtualization)
{
	struct ndis_adapter *ad = pf_call(NdisMiniportHandle, "NdisMEnableVirtualization");
	int rc;

	if (!ad)
		return NDIS_STATUS_NOT_SUPPORTED;
	if (ad->fw->partition != NDIS_PARTITION_PARENT) {
		log_warn(NDIS_LOG, "adapter '%s': NdisMEnableVirtualization in the %s partition", ad->name,
			 ndis_partition_name(ad->fw->partition));
		return NDIS_STATUS_NOT_SUPPORTED;
	}
	if ((!EnableVirtualization && NumVFs) || EnableVFMigration || EnableMigrationInterrupt)
		return NDIS_STATUS_INVALID_PARAMETER;
	if (EnableVirtualization && ad->virt_enabled)
		return NDIS_STATUS_FAILURE;	/* disable first (spec 5.1) */
	if (!EnableVirtualization && !ad->virt_enabled)
		return NDIS_STATUS_SUCCESS;
	if (!ndis_inf_install_needs(ad->model->install, "PciSriovSupported.HW")) {
		log_warn(NDIS_LOG, "adapter '%s': pci.sys reserved no VF resources: [%s.HW] lacks Needs=PciSriovSupported.HW",
			 ad->name, ad->model->install->name);
		return NDIS_STATUS_NOT_SUPPORTED;
	}
	if (!ad->bus || !ad->bus->enable_virtualization)
		return NDIS_STATUS_NOT_SUPPORTED;
	trace_span_begin("host-boot", EnableVirtualization ? "VF enable" : "VF disable", "adapter=%s num_vfs=%u", ad->name,
			 NumVFs);
	rc = ad->bus->enable_virtualization(ad->bus_ctx, NumVFs, EnableVirtualization != 0);
	trace_span_end();
	if (rc < 0) {
		log_warn(NDIS_LOG, "adapter '%s': the PCI bus refused NdisMEnableVirtualization(%u, %s): %d", ad->name, NumVFs,
			 EnableVirtualization ? "TRUE" : "FALSE", rc);
		return rc == -EINVAL ? NDIS_STATUS_INVALID_PARAMETER : NDIS_STATUS_FAILURE;
	}
	ad->virt_enabled = EnableVirtualization != 0;
	ad->virt_num_vfs = EnableVirtualization ? NumVFs : 0;
	log_info(NDIS_LOG, "adapter '%s': virtualization %s (NumVFs %u)", ad->name,
		 ad->virt_enabled ? "enabled" : "disabled", ad->virt_num_vfs);
	return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT NDIS_STATUS NdisMQueryProbedBars(NDIS_HANDLE MiniportAdapterHandle, PULONG BaseRegisterValues)
{
	struct ndis_adapter *ad = pf_call(MiniportAdapterHandle, "NdisMQueryProbedBars");
	uint32_t v[PCI_TYPE0_ADDRESSES];

	if (!ad || !BaseRegisterValues || !ad->bus || !ad->bus->query_probed_bars ||
	    ad->bus->query_probed_bars(ad->bus_ctx, v) < 0)
		return NDIS_STATUS_FAILURE;
	memcpy(BaseRegisterValues, v, sizeof(v));
	return NDIS_STATUS_SUCCESS;
}

NDIS_EXPORT VOID NdisMInvalidateConfigBlock(NDIS_HANDLE MiniportAdapterHandle, NDIS_SRIOV_FUNCTION_ID VFId,
					    ULONGLONG BlockMask)
{
	struct ndis_adapter *ad = ndis__api_adapter(MiniportAdapterHandle, "NdisMInvalidateConfigBlock");

	if (!ad)
		return;
	log_info(NDIS_LOG, "adapter '%s': NdisMInvalidateConfigBlock(VF %u, mask 0x%llx)", ad->name, VFId,
		 (unsigned long long)BlockMask);
	if (ad->fw->virt && ad->fw->virt->invalidate_config_block)
		ad->fw->virt->invalidate_config_block(ad->fw->virt_ctx, ad, VFId, BlockMask);
	else
		log_warn(NDIS_LOG, "adapter '%s': no virtualization stack registered to carry the invalidation", ad->name);
}

static NDIS_STATUS config_block(NDIS_HANDLE h, ULONG id, PVOID buf, ULONG len, bool write, const char *fn)
{
	struct ndis_adapter *ad = ndis__api_adapter(h, fn);
	NTSTATUS st;

	if (!ad)
		return NDIS_STATUS_FAILURE;
	if (ad->over_vbd) {
		ndis__adapter_finding(ad, NDIS_RULE_VBD_CONFIG_BLOCK,
				      "%s called by a VF miniport that sits on an IHV virtual bus driver; the VBD reads "
				      "config blocks through GUID_VPCI_INTERFACE_STANDARD", fn);
		return NDIS_STATUS_FAILURE;
	}
	if (!ad->vpci_iface_valid) {
		log_warn(NDIS_LOG, "adapter '%s': %s: no vPCI interface was captured at initialization", ad->name, fn);
		return NDIS_STATUS_FAILURE;
	}
	if (!buf || !len || len > VPCI_MAX_READ_WRITE_BLOCK_SIZE) {
		log_warn(NDIS_LOG, "adapter '%s': %s(block %u, %u bytes): length must be 1..%u", ad->name, fn, id, len,
			 VPCI_MAX_READ_WRITE_BLOCK_SIZE);
		return NDIS_STATUS_FAILURE;
	}
	if (!(write ? ad->vpci_iface.WriteVfConfigBlock != NULL : ad->vpci_iface.ReadVfConfigBlock != NULL))
		return NDIS_STATUS_FAILURE;
	st = write ? ad->vpci_iface.WriteVfConfigBlock(ad->vpci_iface.Context, id, buf, len) :
		     ad->vpci_iface.ReadVfConfigBlock(ad->vpci_iface.Context, id, buf, len);
	return NT_SUCCESS(st) ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}

NDIS_EXPORT NDIS_STATUS NdisMReadConfigBlock(NDIS_HANDLE MiniportAdapterHandle, ULONG BlockId, PVOID Buffer,
					     ULONG Length)
{
	return config_block(MiniportAdapterHandle, BlockId, Buffer, Length, false, "NdisMReadConfigBlock");
}

NDIS_EXPORT NDIS_STATUS NdisMWriteConfigBlock(NDIS_HANDLE MiniportAdapterHandle, ULONG BlockId, PVOID Buffer,
					      ULONG Length)
{
	return config_block(MiniportAdapterHandle, BlockId, Buffer, Length, true, "NdisMWriteConfigBlock");
}
