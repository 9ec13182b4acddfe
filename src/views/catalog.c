/*
 * The one catalogue of words the views print (tools-and-views.md,
 * "Recommendations": reason strings, status names and enum spellings kept in
 * one place each). IovSupportReasons R1-R9 are the exact texts of KB 2762297
 * ("A BIOS update may be required...", issue 3, MicrosoftDocs
 * SupportArticles-docs support/windows-server/virtualization/
 * bios-update-for-hyper-v.md); SriovSupport values are the PowerShell
 * spellings of Get-NetAdapterSriov; Status the CIM
 * VMNetworkAdapterOperationalStatus names; IovInterruptModeration and vPort
 * states the PowerShell/NDIS enum names. The switch reasons beyond R1-R9
 * are the lab's own words (Windows' exact texts for them are not
 * documented) and say so in docs/views.md.
 */
#include <stdio.h>
#include <string.h>

#include "views/view.h"
#include "views/views.h"

const char *view_iov_reason_text(enum hv_iov_reason r)
{
	static const char *const text[HV_IOV_REASON_COUNT] = {
		[HV_IOV_R1_NO_SLAT] =
			"SR-IOV cannot be used on this computer because the processor does not support second level "
			"address translation (SLAT). For Intel processors, this feature might be referred to as "
			"Extended Page Tables (EPT). For AMD processors, this feature might be referred to as Rapid "
			"Virtualization Indexing (RVI) or Nested Page Tables (NPT).",
		[HV_IOV_R2_NO_INTERRUPT_REMAPPING] =
			"The chipset on the system does not do interrupt remapping, without which SR-IOV cannot be "
			"supported.",
		[HV_IOV_R3_NO_DMA_REMAPPING] =
			"The chipset on the system does not do DMA remapping, without which SR-IOV cannot be supported.",
		[HV_IOV_R4_IO_REMAPPING_DISABLED] =
			"SR-IOV cannot be used on this system as it has been configured to disable the use of I/O "
			"remapping hardware.",
		[HV_IOV_R5_NO_CHIPSET_SUPPORT] =
			"Ensure that the system has chipset support for SR-IOV and that I/O virtualization is enabled in "
			"the BIOS.",
		[HV_IOV_R6_BIOS_WRONG] =
			"To use SR-IOV on this computer, the BIOS must be updated because it contains incorrect "
			"information describing the hardware capabilities. Contact your computer manufacturer for an "
			"update.",
		[HV_IOV_R7_NO_PCIE] =
			"SR-IOV cannot be used on this system as it is reporting that there is no PCI Express Bus. "
			"Contact your system manufacturer for further information.",
		[HV_IOV_R8_NO_OSC] =
			"To use SR-IOV on this system, the system BIOS must be updated to allow Windows to control PCI "
			"Express. Contact your system manufacturer for an update.",
		[HV_IOV_R9_NO_ACS] =
			"SR-IOV cannot be used on this system as the PCI Express hardware does not support Access "
			"Control Services (ACS) at any root port. Contact your system vendor for further information.",
	};
	return (unsigned)r < HV_IOV_REASON_COUNT ? text[r] : "?";
}

const char *view_sriov_support_name(enum hv_sriov_support s)
{
	switch (s) {
	case HV_SRIOV_SUPPORTED: return "Supported";
	case HV_SRIOV_UNKNOWN: return "Unknown";
	case HV_SRIOV_NO_OSC_SUPPORT: return "NoOscSupport";
	case HV_SRIOV_NO_IOMMU_SUPPORT: return "NoIoMmuSupport";
	case HV_SRIOV_MISSING_ACS: return "MissingAcs";
	case HV_SRIOV_NO_BUS_RESOURCES: return "NoBusResources";
	case HV_SRIOV_NO_VF_BAR_SPACE: return "NoVfBarSpace";
	case HV_SRIOV_MISSING_PF_DRIVER: return "MissingPfDriver";
	}
	return "Unknown";
}

const char *view_op_status_name(enum vstack_op_status s)
{
	switch (s) {
	case VSTACK_OP_OK: return "Ok";
	case VSTACK_OP_DEGRADED: return "Degraded";
	}
	return "Unknown";
}

/* IovInterruptModeration (PowerShell) and NDIS_NIC_SWITCH_VPORT_INTERRUPT_MODERATION share values. */
const char *view_moderation_name(int v)
{
	switch (v) {
	case 0: return "Default";
	case 1: return "Adaptive";
	case 2: return "Off";
	case 100: return "Low";
	case 200: return "Medium";
	case 300: return "High";
	}
	return "Unknown";
}

const char *view_vport_state_name(int state)
{
	switch (state) {
	case NdisNicSwitchVPortStateActivated: return "Activated";
	case NdisNicSwitchVPortStateDeactivated: return "Deactivated";
	}
	return "Undefined";
}

const char *view_switch_type_name(int t)
{
	return t == NdisNicSwitchTypeExternal ? "External" : "Unspecified";
}

char *view_sriov_caps_text(uint32_t caps, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ NDIS_SRIOV_CAPS_SRIOV_SUPPORTED, "SRIOV_SUPPORTED" },
		{ NDIS_SRIOV_CAPS_PF_MINIPORT, "PF_MINIPORT" },
		{ NDIS_SRIOV_CAPS_VF_MINIPORT, "VF_MINIPORT" },
	};
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (caps & bits[i].bit)
			at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%s", at ? ", " : "", bits[i].name);
	if (!caps)
		snprintf(buf, len, "None");
	return buf;
}

void view_switch_reasons(const struct view_ctx *c, const struct vswitch *sw, struct view_value *out)
{
	struct hv_nic *nic = hv_host_switch_nic(c->host, sw);
	enum hv_iov_reason r[HV_IOV_REASON_COUNT];
	size_t nr = hv_host_iov_reasons(c->host, r);
	char text[512];

	view_set_strings(out);
	for (size_t i = 0; i < nr; i++)
		view_add_string(out, view_iov_reason_text(r[i]));
	if (vswitch_type(sw) != VSWITCH_EXTERNAL || !nic) {
		view_add_string(out, "SR-IOV needs an External switch bound to an SR-IOV network adapter.");
	} else if (!vswitch_iov_passed_up(sw)) {
		snprintf(text, sizeof(text), "The virtual switch is bound to an LBFO team: the team does not pass the "
			 "SR-IOV capability of network adapter '%s' up (use Switch Embedded Teaming).", hv_nic_name(nic));
		view_add_string(out, text);
	} else {
		enum hv_sriov_support s = hv_nic_sriov_support(c->host, nic);
		struct ndis_adapter *ad = hv_nic_adapter(nic);
		struct ndis_sriov_view v;

		/* The platform reasons above already explain these values. */
		if (s == HV_SRIOV_MISSING_PF_DRIVER || s == HV_SRIOV_NO_BUS_RESOURCES || s == HV_SRIOV_NO_VF_BAR_SPACE) {
			snprintf(text, sizeof(text), "SR-IOV cannot be used on network adapter '%s': SriovSupport is %s "
				 "(see Get-NetAdapterSriov).", hv_nic_name(nic), view_sriov_support_name(s));
			view_add_string(out, text);
		} else if (ad) {
			ndis_adapter_sriov_view(ad, &v);
			if (v.has_hw_sriov && !v.has_cur_sriov) {
				snprintf(text, sizeof(text), "SR-IOV is not enabled on network adapter '%s': its driver "
					 "reports no current SR-IOV capabilities (*SRIOV, *SriovPreferred; see "
					 "Get-NetAdapterSriov).", hv_nic_name(nic));
				view_add_string(out, text);
			}
		}
	}
	if (out->n == 0)
		view_set_null(out);
}

const char *views_sriov_support_name(enum hv_sriov_support s)
{
	return view_sriov_support_name(s);
}

const char *views_iov_reason_text(enum hv_iov_reason r)
{
	return view_iov_reason_text(r);
}
