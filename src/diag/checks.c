/*
 * The checks of diagnose, one per link of the SR-IOV bring-up chain, in
 * path order (the table at the end). Each reads the state the lab reached
 * -- never a lab's [fault] -- and fills its link: ok / broken / warning /
 * n/a, what it observed, the evidence (the OID and its status, the
 * declined binding, the unanswered IRP, the verifier rule, the counter
 * that did not move), the fix and the failure-catalogue rows it maps to
 * (failure-catalogue.md F01-F32; docs/diagnose.md has the table).
 *
 * Host links read the platform model (hv_host_iov_reasons,
 * hv_nic_sriov_support: what Get-VMHost and Get-NetAdapterSriov print),
 * the PF adapter's NDIS state (ndis_adapter_sriov_view, its keywords and
 * OID records, the root partition's verifier findings), the vSwitch and
 * the virtualization stack (vstack_vmnic_*). Guest links read only the
 * guest's own answer (guest_facts.h) and NetVsc's VFDataPathActive.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndis/ndis.h>

#include "diag/diag_int.h"
#include "ndis/names.h"
#include "views/views.h"

/* ---- helpers ------------------------------------------------------------------------ */
static void vfmt(char *buf, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(buf, len, fmt, ap);
}

void diag__set(struct diag_link *l, enum diag_status s, const char *fmt, ...)
{
	va_list ap;

	l->status = s;
	va_start(ap, fmt);
	vfmt(l->observed, sizeof(l->observed), fmt, ap);
	va_end(ap);
}

void diag__ok(struct diag_link *l, const char *fmt, ...)
{
	va_list ap;

	l->status = DIAG_OK;
	va_start(ap, fmt);
	vfmt(l->observed, sizeof(l->observed), fmt, ap);
	va_end(ap);
}

void diag__catalogue(struct diag_link *l, const char *cat)
{
	if (!cat || l->ncatalogue >= DIAG_CATALOGUE_MAX)
		return;
	for (size_t i = 0; i < l->ncatalogue; i++)
		if (!strcmp(l->catalogue[i], cat))
			return;
	l->catalogue[l->ncatalogue++] = cat;
}

void diag__broken(struct diag_link *l, const char *cat, const char *fmt, ...)
{
	va_list ap;

	l->status = DIAG_BROKEN;
	diag__catalogue(l, cat);
	va_start(ap, fmt);
	vfmt(l->observed, sizeof(l->observed), fmt, ap);
	va_end(ap);
}

void diag__warning(struct diag_link *l, const char *cat, const char *fmt, ...)
{
	va_list ap;

	l->status = DIAG_WARNING;
	diag__catalogue(l, cat);
	va_start(ap, fmt);
	vfmt(l->observed, sizeof(l->observed), fmt, ap);
	va_end(ap);
}

void diag__evidence(struct diag_link *l, const char *fmt, ...)
{
	va_list ap;

	if (l->nevidence >= DIAG_EVIDENCE_MAX)
		return;
	va_start(ap, fmt);
	vfmt(l->evidence[l->nevidence++], DIAG_TEXT, fmt, ap);
	va_end(ap);
}

void diag__fix(struct diag_link *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfmt(l->fix, sizeof(l->fix), fmt, ap);
	va_end(ap);
}

static const char *st(uint32_t status, char *buf, size_t len)
{
	return ndis_status_format(buf, len, status);
}

/* The first record of oid still pending at the miniport, NULL if none. */
static const struct ndis_oid_record *oid_pending(const struct ndis_adapter *ad, uint32_t oid)
{
	for (size_t i = 0; ad && i < ndis_adapter_oid_record_count(ad); i++) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(ad, i);

		if (r && r->oid == oid && r->pending)
			return r;
	}
	return NULL;
}

/* Whether some record of oid on ad from index from on failed (the newest failure in *out). */
static bool oid_failed_from(const struct ndis_adapter *ad, uint32_t oid, size_t from, const struct ndis_oid_record **out)
{
	for (size_t i = ad ? ndis_adapter_oid_record_count(ad) : 0; i-- > from;) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(ad, i);

		if (r && r->oid == oid && !r->pending && r->status != NDIS_STATUS_SUCCESS) {
			*out = r;
			return true;
		}
	}
	return false;
}

static bool oid_failed(const struct ndis_adapter *ad, uint32_t oid, const struct ndis_oid_record **out)
{
	return oid_failed_from(ad, oid, 0, out);
}

static void evidence_oid(struct diag_link *l, const struct ndis_oid_record *r, const char *on)
{
	char o[96], s[96];

	diag__evidence(l, "%s on '%s' (issued by %s) -> %s%s", ndis_oid_format(o, sizeof(o), r->oid), on,
		       r->issuer[0] ? r->issuer : "?", st(r->status, s, sizeof(s)),
		       r->by_ndis ? ", answered by NDIS" : ", completed by the miniport");
}

/* The root partition's verifier findings of rule id on the adapter named adapter (NULL: any). */
static const struct ndis_finding *host_finding(const struct diag_ctx *c, const char *rule, const char *adapter)
{
	struct ndis_framework *fw = c->h ? hv_host_ndis(c->h) : NULL;

	for (size_t i = 0; fw && i < ndis_framework_finding_count(fw); i++) {
		const struct ndis_finding *f = ndis_framework_finding_at(fw, i);

		if (f && !strcmp(f->id, rule) && (!adapter || !strcasecmp(f->adapter, adapter)))
			return f;
	}
	return NULL;
}

static const struct diag_guest_finding *guest_finding(const struct diag_ctx *c, const char *rule)
{
	for (size_t i = 0; c->guest && i < c->g.nfindings; i++)
		if (!strcmp(c->g.findings[i].rule, rule))
			return &c->g.findings[i];
	return NULL;
}

static char *caps_text(uint32_t caps, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	if (caps & NDIS_SRIOV_CAPS_SRIOV_SUPPORTED)
		at += (size_t)snprintf(buf + at, len - at, "SRIOV_SUPPORTED");
	if ((caps & NDIS_SRIOV_CAPS_PF_MINIPORT) && at < len)
		at += (size_t)snprintf(buf + at, len - at, "%sPF_MINIPORT", at ? "|" : "");
	if ((caps & NDIS_SRIOV_CAPS_VF_MINIPORT) && at < len)
		at += (size_t)snprintf(buf + at, len - at, "%sVF_MINIPORT", at ? "|" : "");
	if (!at)
		snprintf(buf, len, "none");
	if (at < len)
		snprintf(buf + strlen(buf), len - strlen(buf), " (0x%x)", caps);
	return buf;
}

static const char *pf_name(const struct diag_ctx *c)
{
	return c->pf ? ndis_adapter_name(c->pf) : c->nic ? hv_nic_name(c->nic) : "?";
}

/* ---- host links ------------------------------------------------------------------------- */
static const char *reason_row(enum hv_iov_reason r)
{
	static const char *const rows[HV_IOV_REASON_COUNT] = {
		[HV_IOV_R1_NO_SLAT] = "F02", [HV_IOV_R2_NO_INTERRUPT_REMAPPING] = "F03",
		[HV_IOV_R3_NO_DMA_REMAPPING] = "F04", [HV_IOV_R4_IO_REMAPPING_DISABLED] = "F05",
		[HV_IOV_R5_NO_CHIPSET_SUPPORT] = "F06", [HV_IOV_R6_BIOS_WRONG] = "F07",
		[HV_IOV_R7_NO_PCIE] = "F08", [HV_IOV_R8_NO_OSC] = "F01", [HV_IOV_R9_NO_ACS] = "F09",
	};
	return (unsigned)r < HV_IOV_REASON_COUNT ? rows[r] : NULL;
}

static const char *reason_fix(enum hv_iov_reason r)
{
	switch (r) {
	case HV_IOV_R8_NO_OSC: return "update the system BIOS so that it hands PCI Express control to the OS (_OSC)";
	case HV_IOV_R1_NO_SLAT: return "SR-IOV needs a processor with SLAT (EPT / RVI)";
	case HV_IOV_R2_NO_INTERRUPT_REMAPPING:
	case HV_IOV_R3_NO_DMA_REMAPPING: return "SR-IOV needs a chipset with interrupt and DMA remapping (VT-d / AMD-Vi)";
	case HV_IOV_R4_IO_REMAPPING_DISABLED: return "allow I/O remapping in the OS boot configuration";
	case HV_IOV_R5_NO_CHIPSET_SUPPORT: return "enable VT-d / AMD-Vi (IOMMU, SR-IOV support) in the firmware, then cold boot";
	case HV_IOV_R6_BIOS_WRONG: return "a firmware update: the BIOS describes the remapping hardware wrongly";
	case HV_IOV_R7_NO_PCIE: return "the platform reports no PCI Express bus: ask the system vendor";
	case HV_IOV_R9_NO_ACS: return "move the card to a slot whose root port has ACS";
	case HV_IOV_REASON_COUNT: break;
	}
	return "";
}

static void check_platform(struct diag_ctx *c, struct diag_link *l)
{
	enum hv_iov_reason rs[HV_IOV_REASON_COUNT];
	size_t n = hv_host_iov_reasons(c->h, rs);
	size_t first = n;

	for (size_t i = 0; i < n; i++)
		if (rs[i] != HV_IOV_R9_NO_ACS && first == n)
			first = i;
	if (first == n) {
		if (n)
			diag__ok(l, "IovSupport False only for R9 (no ACS), a property of the PCIe path (next link)");
		else
			diag__ok(l, "IovSupport True");
		return;
	}
	diag__broken(l, reason_row(rs[first]), "IovSupport False, IovSupportReasons R%d", (int)rs[first] + 1);
	for (size_t i = 0; i < n; i++) {
		diag__evidence(l, "Get-VMHost IovSupportReasons R%d: %s", (int)rs[i] + 1, views_iov_reason_text(rs[i]));
		diag__catalogue(l, reason_row(rs[i]));
	}
	diag__fix(l, "%s", reason_fix(rs[first]));
}

static void check_pci(struct diag_ctx *c, struct diag_link *l)
{
	enum hv_sriov_support s;

	if (!c->nic) {
		diag__set(l, DIAG_NA, "the adapter's switch has no physical NIC");
		return;
	}
	s = hv_nic_sriov_support(c->h, c->nic);
	switch (s) {
	case HV_SRIOV_MISSING_ACS:
		diag__broken(l, "F09", "%s SriovSupport MissingAcs", hv_nic_name(c->nic));
		diag__evidence(l, "Get-NetAdapterSriov %s: SriovSupport MissingAcs", hv_nic_name(c->nic));
		diag__evidence(l, "Get-VMHost IovSupportReasons R9: %s", views_iov_reason_text(HV_IOV_R9_NO_ACS));
		diag__fix(l, "%s", reason_fix(HV_IOV_R9_NO_ACS));
		return;
	case HV_SRIOV_NO_BUS_RESOURCES:
		diag__broken(l, "F10", "%s SriovSupport NoBusResources", hv_nic_name(c->nic));
		diag__evidence(l, "Get-NetAdapterSriov %s: SriovSupport NoBusResources: the VFs' routing IDs need "
			       "bus numbers the root port does not have", hv_nic_name(c->nic));
		diag__fix(l, "give the slot more bus numbers (firmware), or use ARI / a smaller VF stride; "
			     "lspci -vvv shows ARI and the VF offset/stride");
		return;
	case HV_SRIOV_NO_VF_BAR_SPACE:
		diag__broken(l, "F11", "%s SriovSupport NoVfBarSpace", hv_nic_name(c->nic));
		diag__evidence(l, "Get-NetAdapterSriov %s: SriovSupport NoVfBarSpace: the VF BARs were not assigned",
			       hv_nic_name(c->nic));
		diag__fix(l, "enable above-4G decoding / a larger MMIO window in the firmware, or another slot");
		return;
	default:
		break;
	}
	diag__ok(l, "%s SriovSupport %s", hv_nic_name(c->nic), views_sriov_support_name(s));
}

static void evidence_read(struct diag_link *l, const struct ndis_adapter *ad, const char *kw);

/*
 * F31's history in the PF's OID records: the adapter halted (NDIS's
 * OID_NIC_SWITCH_DELETE_SWITCH) while VFs were assigned -- a FREE_VF since
 * the switch was last created -- and came back. The lab's documented
 * order tore the VFs down first; on Windows this is where guests crashed.
 */
static void pf_restart_history(struct diag_ctx *c, struct diag_link *l)
{
	size_t frees = 0, restarts = 0;

	for (size_t i = 0; i < ndis_adapter_oid_record_count(c->pf); i++) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(c->pf, i);

		if (!r || r->pending)
			continue;
		if (r->oid == OID_NIC_SWITCH_FREE_VF && r->status == NDIS_STATUS_SUCCESS)
			frees++;
		else if (r->oid == OID_NIC_SWITCH_CREATE_SWITCH)
			frees = 0;
		else if (r->oid == OID_NIC_SWITCH_DELETE_SWITCH && frees) {
			restarts++;
			frees = 0;
		}
	}
	if (!restarts)
		return;
	diag__warning(l, "F31", "'%s' was halted %zu time(s) while VFs were assigned, and is %s again", pf_name(c),
		      restarts, ndis_adapter_state_name(ndis_adapter_state(c->pf)));
	diag__evidence(l, "OID records of '%s': OID_NIC_SWITCH_FREE_VF, then OID_NIC_SWITCH_DELETE_SWITCH (the halt)",
		       pf_name(c));
	diag__fix(l, "the VFs were taken back in the documented order first; do not unload or reset a PF under "
		     "assigned VFs on a production host");
}

static void check_pf_driver(struct diag_ctx *c, struct diag_link *l)
{
	struct ndis_sriov_view v;
	const struct ndis_finding *f;
	enum hv_nic_state ns;
	char b1[96], b2[96];

	if (!c->nic) {
		diag__set(l, DIAG_NA, "the adapter's switch has no physical NIC");
		return;
	}
	ns = hv_nic_state(c->nic);
	if (ns == HV_NIC_NO_DRIVER || ns == HV_NIC_NOT_BUILT || ns == HV_NIC_DRIVER_ERROR) {
		diag__broken(l, "F12", "%s has no PF driver running (%s)", hv_nic_name(c->nic), hv_nic_state_name(ns));
		diag__evidence(l, "Get-NetAdapterSriov %s: SriovSupport %s", hv_nic_name(c->nic),
			       views_sriov_support_name(hv_nic_sriov_support(c->h, c->nic)));
		for (size_t i = 0; i < hv_host_note_count(c->h); i++)
			if (strstr(hv_host_note_at(c->h, i), hv_nic_name(c->nic)))
				diag__evidence(l, "%s", hv_host_note_at(c->h, i));
		diag__fix(l, "install a PF driver package with SR-IOV support for %s", hv_nic_hardware_id(c->nic));
		return;
	}
	if (!c->pf) {
		diag__broken(l, "F12", "%s has no PF adapter", hv_nic_name(c->nic));
		return;
	}
	if (ns == HV_NIC_INIT_FAILED || ndis_adapter_state(c->pf) == NDIS_ADAPTER_HALTED ||
	    ndis_adapter_state(c->pf) == NDIS_ADAPTER_HALTING) {
		bool init = ns == HV_NIC_INIT_FAILED;

		diag__broken(l, init ? NULL : "F31", "PF adapter '%s' is %s", pf_name(c),
			     ndis_adapter_state_name(ndis_adapter_state(c->pf)));
		if (init)
			diag__evidence(l, "MiniportInitializeEx -> %s", st(ndis_adapter_init_status(c->pf), b1, sizeof(b1)));
		if ((f = host_finding(c, "NDIS-ATTR-HEADER", NULL))) {
			diag__catalogue(l, "F32");
			diag__evidence(l, "verifier %s (%s): %s", f->id, f->driver, f->evidence);
		}
		if (!l->ncatalogue)
			diag__catalogue(l, "F12");
		diag__fix(l, init ? "see why the PF miniport fails MiniportInitializeEx (its WPP trace, !ndiskd.netadapter)"
				  : "the PF must stay up while VFs are assigned: do not unload or reset it under its VFs");
		return;
	}
	ndis_adapter_sriov_view(c->pf, &v);
	if ((f = host_finding(c, "NDIS-ATTR-HEADER", pf_name(c)))) {
		diag__broken(l, "F32", "'%s' registered an attribute with a wrong header", pf_name(c));
		diag__evidence(l, "verifier %s (%s): %s", f->id, f->driver, f->evidence);
		diag__fix(l, "set each NdisMSetMiniportAttributes header's Type/Revision/Size from that attribute "
			     "type's own macros");
		return;
	}
	if (!v.has_hw_sriov || !(v.hw_sriov_caps & NDIS_SRIOV_CAPS_PF_MINIPORT)) {
		diag__broken(l, "F12", "'%s' (%s) reports no PF SR-IOV hardware capabilities", pf_name(c),
			     ndis_adapter_driver_name(c->pf));
		diag__evidence(l, "NDIS hardware SriovCapabilities: %s",
			       v.has_hw_sriov ? caps_text(v.hw_sriov_caps, b1, sizeof(b1)) : "not registered");
		diag__evidence(l, "Get-NetAdapterSriov %s: SriovSupport %s", hv_nic_name(c->nic),
			       views_sriov_support_name(hv_nic_sriov_support(c->h, c->nic)));
		diag__fix(l, "a PF driver that registers NDIS_SRIOV_CAPABILITIES (SRIOV_SUPPORTED|PF_MINIPORT) in "
			     "NdisMSetMiniportAttributes");
		return;
	}
	if ((f = host_finding(c, "NDIS-PF-INF-NEEDS", hv_nic_name(c->nic))) ||
	    (f = host_finding(c, "NDIS-PF-INF-NEEDS", pf_name(c)))) {
		diag__broken(l, "F12", "the PF package lacks Needs=PciSriovSupported.HW");
		diag__evidence(l, "verifier %s (%s): %s", f->id, f->driver, f->evidence);
		diag__evidence(l, "Get-NetAdapterSriov %s: SriovSupport %s", hv_nic_name(c->nic),
			       views_sriov_support_name(hv_nic_sriov_support(c->h, c->nic)));
		diag__fix(l, "add Needs=PciSriovSupported.HW (and the SR-IOV keywords) to the PF INF's install section");
		return;
	}
	{
		char kw[16];

		/* The INF's Ndi\params put the standardized keywords in the registry; none at all: an INF without them. */
		if (ndis_adapter_get_keyword(c->pf, "*SRIOV", kw, sizeof(kw)) == -ENOENT) {
			diag__broken(l, "F12", "'%s' has no *SRIOV keyword: its INF defines no SR-IOV keywords", pf_name(c));
			evidence_read(l, c->pf, "*SRIOV");
			diag__evidence(l, "Get-NetAdapterAdvancedProperty -RegistryKeyword *SRIOV: not found (INF %s)",
				       hv_nic_inf_path(c->nic) ? hv_nic_inf_path(c->nic) : "?");
			diag__fix(l, "the PF INF must define *SRIOV, *SriovPreferred and the NicSwitches\\0 keys");
			return;
		}
	}
	diag__ok(l, "'%s' (%s) %s, hardware SriovCapabilities %s", pf_name(c), ndis_adapter_driver_name(c->pf),
		 ndis_adapter_state_name(ndis_adapter_state(c->pf)), caps_text(v.hw_sriov_caps, b2, sizeof(b2)));
	pf_restart_history(c, l);
}

/* What the miniport read of keyword at its last initialization, for the evidence. */
static void evidence_read(struct diag_link *l, const struct ndis_adapter *ad, const char *kw)
{
	for (size_t i = 0; i < ndis_adapter_config_read_count(ad); i++) {
		const struct ndis_config_read *r = ndis_adapter_config_read_at(ad, i);

		if (r && !strcasecmp(r->keyword, kw)) {
			diag__evidence(l, "the miniport read %s: %s%s", kw, r->found ? "= " : "absent",
				       r->found ? r->value : "");
			return;
		}
	}
	diag__evidence(l, "the miniport did not read %s at initialization", kw);
}

static void check_keywords(struct diag_ctx *c, struct diag_link *l)
{
	char sriov[32] = "", pref[32] = "", rvp[32] = "";
	bool has_sriov, has_pref, has_rvp;

	if (!c->pf) {
		diag__set(l, c->nic ? DIAG_NOT_REACHED : DIAG_NA, "no PF adapter to read keywords from");
		return;
	}
	has_sriov = !ndis_adapter_get_keyword(c->pf, "*SRIOV", sriov, sizeof(sriov));
	has_pref = !ndis_adapter_get_keyword(c->pf, "*SriovPreferred", pref, sizeof(pref));
	has_rvp = !ndis_adapter_get_keyword(c->pf, "*RssOrVmqPreference", rvp, sizeof(rvp));
	if (has_sriov && !strcmp(sriov, "0")) {
		diag__broken(l, "F13", "*SRIOV = 0 on '%s'", pf_name(c));
		diag__evidence(l, "Get-NetAdapterAdvancedProperty -RegistryKeyword *SRIOV: 0 (Get-NetAdapterSriov "
			       "Enabled False)");
		evidence_read(l, c->pf, "*SRIOV");
		diag__fix(l, "Enable-NetAdapterSriov -Name '%s' (or Set-NetAdapterAdvancedProperty -RegistryKeyword "
			     "*SRIOV -RegistryValue 1); the adapter restarts", pf_name(c));
		return;
	}
	/*
	 * Spec 2.2: SR-IOV is reported only when *SriovPreferred is 1; 0 (or a
	 * keyword the INF does not offer, which reads as 0) reports RSS or VMQ as
	 * *RssOrVmqPreference says.
	 */
	if (!has_pref || strcmp(pref, "1")) {
		diag__broken(l, "F14", "'%s' does not prefer SR-IOV (*SriovPreferred %s, *RssOrVmqPreference %s)", pf_name(c),
			     has_pref ? pref : "absent", has_rvp ? rvp : "absent");
		evidence_read(l, c->pf, "*SriovPreferred");
		diag__evidence(l, "with *SriovPreferred other than 1 the PF reports %s instead of SR-IOV",
			       has_rvp && !strcmp(rvp, "1") ? "VMQ" : "RSS");
		diag__fix(l, "Set-NetAdapterAdvancedProperty -Name '%s' -RegistryKeyword *SriovPreferred -RegistryValue 1",
			  pf_name(c));
		return;
	}
	diag__ok(l, "*SRIOV %s, *SriovPreferred %s", has_sriov ? sriov : "absent", has_pref ? pref : "absent");
}

static void check_nic_switch(struct diag_ctx *c, struct diag_link *l)
{
	struct ndis_sriov_view v;
	char hw[96], cur[96], nv[32] = "";

	if (!c->pf) {
		diag__set(l, c->nic ? DIAG_NOT_REACHED : DIAG_NA, "no PF adapter");
		return;
	}
	ndis_adapter_sriov_view(c->pf, &v);
	(void)ndis_adapter_get_keyword(c->pf, "NicSwitches\\0\\*NumVFs", nv, sizeof(nv));
	if (!v.has_cur_sriov || !(v.cur_sriov_caps & NDIS_SRIOV_CAPS_PF_MINIPORT) || !v.switch_created || !v.num_vfs) {
		/* Keywords asked for SR-IOV (previous link) and the driver did not do it: F14's "driver ignores keyword". */
		bool ignored = !v.has_cur_sriov || !(v.cur_sriov_caps & NDIS_SRIOV_CAPS_PF_MINIPORT);

		diag__broken(l, ignored ? "F14" : NULL, "'%s' has no NIC switch with VFs", pf_name(c));
		diag__evidence(l, "hardware SriovCapabilities %s, current %s",
			       v.has_hw_sriov ? caps_text(v.hw_sriov_caps, hw, sizeof(hw)) : "none",
			       v.has_cur_sriov ? caps_text(v.cur_sriov_caps, cur, sizeof(cur)) : "none ($null)");
		diag__evidence(l, "NIC switch: %s, NumVFs %u (*NumVFs %s), virtualization %s",
			       v.switch_created ? "created" : "not created", v.num_vfs, nv[0] ? nv : "absent",
			       v.virtualization_enabled ? "enabled" : "not enabled");
		if (v.switch_created && !v.num_vfs)
			diag__fix(l, "set NicSwitches\\0\\*NumVFs above 0 on '%s'", pf_name(c));
		else
			diag__fix(l, "the PF miniport must report current SR-IOV and NIC-switch capabilities when "
				     "*SRIOV = 1 and *SriovPreferred = 1 (compare HardwareCapabilities with "
				     "CurrentCapabilities in Get-NetAdapterSriov | fl *)");
		return;
	}
	diag__ok(l, "NIC switch created with %u VFs (%zu allocated), current SriovCapabilities %s", v.num_vfs, v.n_vfs,
		 caps_text(v.cur_sriov_caps, cur, sizeof(cur)));
}

static void check_vswitch_iov(struct diag_ctx *c, struct diag_link *l)
{
	if (!c->sw) {
		diag__broken(l, NULL, "the adapter is not connected to a switch");
		diag__fix(l, "Connect-VMNetworkAdapter to an external switch created with -EnableIov");
		return;
	}
	if (!vswitch_iov_enabled(c->sw)) {
		diag__broken(l, "F15", "switch '%s' IovEnabled False", vswitch_name(c->sw));
		diag__evidence(l, "Get-VMSwitch %s: IovEnabled False (IOV is chosen when the switch is created)",
			       vswitch_name(c->sw));
		diag__fix(l, "recreate the switch: New-VMSwitch %s -NetAdapterName %s -EnableIov $true",
			  vswitch_name(c->sw), vswitch_adapter_name(c->sw) ? vswitch_adapter_name(c->sw) : "NIC");
		return;
	}
	/* What sits under the switch, from the live switch object (Get-VMSwitch), not the lab file. */
	if (!vswitch_iov_passed_up(c->sw)) {
		diag__broken(l, "F16", "switch '%s' is bound to an LBFO team", vswitch_name(c->sw));
		diag__evidence(l, "an LBFO team does not pass SR-IOV up to the switch");
		diag__fix(l, "use Switch Embedded Teaming (New-VMSwitch -EnableEmbeddedTeaming), or team inside the guest");
		return;
	}
	if (!vswitch_pf(c->sw) || !c->nic) {
		diag__broken(l, NULL, "switch '%s' has no physical adapter (%s)", vswitch_name(c->sw),
			     vswitch_type_name(vswitch_type(c->sw)));
		diag__fix(l, "connect the adapter to an External switch on the SR-IOV NIC");
		return;
	}
	diag__ok(l, "switch '%s' IovEnabled True on %s", vswitch_name(c->sw), vswitch_adapter_name(c->sw));
}

/* ---- VM adapter links -------------------------------------------------------------------- */
static void check_iov_weight(struct diag_ctx *c, struct diag_link *l)
{
	if (!c->n && c->mgmt_os) {
		diag__broken(l, "F30", "the only network adapter is the management OS's vNIC on switch '%s': no VF for it",
			     c->sw ? vswitch_name(c->sw) : "?");
		diag__evidence(l, "Get-VMNetworkAdapter -ManagementOS: IovWeight, IovUsage, VirtualFunction empty");
		diag__evidence(l, "the lab has no VM network adapter");
		diag__fix(l, "none for the host vNIC: SR-IOV is for VM network adapters (Add-VMNetworkAdapter on a VM, "
			     "IovWeight 100)");
		return;
	}
	if (!c->n) {
		diag__set(l, DIAG_NA, "no VM network adapter (IOV is for VM adapters, F30)");
		return;
	}
	if (!vstack_vmnic_iov_weight(c->n)) {
		diag__broken(l, "F17", "IovWeight 0 on '%s'", vstack_vmnic_name(c->n));
		diag__evidence(l, "Get-VMNetworkAdapter %s: IovWeight 0, IovUsage %d", vstack_vm_name(c->vm),
			       vstack_vmnic_iov_usage(c->n));
		diag__fix(l, "Set-VMNetworkAdapter -VMName %s -IovWeight 100", vstack_vm_name(c->vm));
		return;
	}
	if (vstack_vm_state(c->vm) != VSTACK_VM_RUNNING) {
		diag__ok(l, "IovWeight %u; VM %s is %s", vstack_vmnic_iov_weight(c->n), vstack_vm_name(c->vm),
			 vstack_vm_state_name(vstack_vm_state(c->vm)));
		snprintf(c->stop, sizeof(c->stop), "VM %s is %s", vstack_vm_name(c->vm),
			 vstack_vm_state_name(vstack_vm_state(c->vm)));
		return;
	}
	diag__ok(l, "IovWeight %u", vstack_vmnic_iov_weight(c->n));
}

static void check_vf_pool(struct diag_ctx *c, struct diag_link *l)
{
	enum vstack_iov_reason r = vstack_vmnic_iov_reason(c->n);
	struct ndis_sriov_view v;
	char why[256];

	memset(&v, 0, sizeof(v));
	if (c->pf)
		ndis_adapter_sriov_view(c->pf, &v);
	if (r == VSTACK_IOV_POOL_VFS || r == VSTACK_IOV_POOL_VPORTS || r == VSTACK_IOV_POOL_QUEUE_PAIRS) {
		diag__broken(l, "F18", "no free %s on '%s'",
			     r == VSTACK_IOV_POOL_VFS ? "VF" : r == VSTACK_IOV_POOL_VPORTS ? "vPort" : "queue pairs",
			     pf_name(c));
		diag__evidence(l, "NIC switch: %zu of %u VFs allocated, %zu vPorts", v.n_vfs, v.num_vfs, v.n_vports);
		diag__evidence(l, "Get-VMNetworkAdapter %s: IovUsage 0, StatusDescription %s", vstack_vm_name(c->vm),
			       (vstack_vmnic_status(c->n, why, sizeof(why)), why));
		diag__fix(l, "free a VF (IovWeight 0 on another adapter), raise *NumVFs, or lower "
			     "IovQueuePairsRequested");
		return;
	}
	diag__ok(l, "%zu of %u VFs allocated", v.n_vfs, v.num_vfs);
}

static void check_vf_allocation(struct diag_ctx *c, struct diag_link *l)
{
	const struct ndis_oid_record *rec = NULL;
	enum vstack_iov_reason r = vstack_vmnic_iov_reason(c->n);
	uint32_t oid = 0, status = 0;
	char s[96];

	vstack_vmnic_failure(c->n, &oid, &status);
	if (r == VSTACK_IOV_PF_FAILED && oid == OID_NIC_SWITCH_ALLOCATE_VF) {
		diag__broken(l, "F20", "'%s' failed OID_NIC_SWITCH_ALLOCATE_VF with %s", pf_name(c), st(status, s, sizeof(s)));
		if (oid_failed(c->pf, OID_NIC_SWITCH_ALLOCATE_VF, &rec))
			evidence_oid(l, rec, pf_name(c));
		diag__fix(l, "the PF miniport must allocate the VF for OID_NIC_SWITCH_ALLOCATE_VF (!ndiskd.oid, its WPP "
			     "trace); the stack tries again when the adapter's settings change");
		return;
	}
	if ((rec = oid_pending(c->pf, OID_NIC_SWITCH_ALLOCATE_VF))) {
		diag__broken(l, "F20", "OID_NIC_SWITCH_ALLOCATE_VF is still pending at '%s'", pf_name(c));
		diag__evidence(l, "issued by %s, never completed (NdisMOidRequestComplete)", rec->issuer);
		diag__fix(l, "the PF miniport must complete the OID it pended");
		return;
	}
	if (r == VSTACK_IOV_NO_FILTER || r == VSTACK_IOV_PF_FAILED) {
		/* A later step of the bring-up failed and the VF was given back: the next link has it. */
		char o[96];

		diag__ok(l, "%s; the bring-up failed further on (%s)",
			 oid_failed(c->pf, OID_NIC_SWITCH_ALLOCATE_VF, &rec) ? "allocation failed before"
				: "OID_NIC_SWITCH_ALLOCATE_VF did not fail",
			 oid ? ndis_oid_format(o, sizeof(o), oid) : "the offer to the guest");
		return;
	}
	if (!vstack_vmnic_has_vf(c->n)) {
		char why[256];

		diag__broken(l, NULL, "no VF allocated (IovUsage 0, VF state %s)",
			     vstack_vf_state_name(vstack_vmnic_vf_state(c->n)));
		vstack_vmnic_status(c->n, why, sizeof(why));
		diag__evidence(l, "Get-VMNetworkAdapter %s: %s", vstack_vm_name(c->vm), why);
		diag__fix(l, "the virtualization stack issued no OID_NIC_SWITCH_ALLOCATE_VF for it: see the lab.hv.vstack "
			     "trace (IOVLAB_LOG=lab.hv.vstack=info)");
		return;
	}
	if (oid_failed(c->pf, OID_NIC_SWITCH_ALLOCATE_VF, &rec)) {
		/* Allocated now, after a failure: the benign retry of F19 (System event 236). */
		diag__warning(l, "F19", "VF %u allocated after an earlier OID_NIC_SWITCH_ALLOCATE_VF failed",
			      vstack_vmnic_vf_id(c->n));
		evidence_oid(l, rec, pf_name(c));
		diag__fix(l, "none needed if it recurs only at VM or host restart: the allocation was retried");
		return;
	}
	if (c->guest && vstack_vmnic_vf_allocations(c->n) > 1 && c->g.switches <= 1) {
		/*
		 * More VFs were allocated for the adapter than its guest ever
		 * switched to: one was taken back unused and allocated again --
		 * the benign retry of F19 (System event 236, at VM or host start).
		 */
		diag__warning(l, "F19", "VF %u is the adapter's allocation number %u; its guest switched to a VF %llu time(s)",
			      vstack_vmnic_vf_id(c->n), vstack_vmnic_vf_allocations(c->n), (unsigned long long)c->g.switches);
		diag__evidence(l, "a VF was allocated for the adapter, taken back before the guest used it, and allocated "
			       "again (System event 236: allocated before the VM's channel was ready)");
		diag__fix(l, "none needed if it happens only at VM or host start: the allocation was retried");
		return;
	}
	diag__ok(l, "VF %u allocated (serial %u)", vstack_vmnic_vf_id(c->n), vstack_vmnic_serial(c->n));
}

static void check_vport_filters(struct diag_ctx *c, struct diag_link *l)
{
	enum vstack_iov_reason r = vstack_vmnic_iov_reason(c->n);
	struct vswitch_port *port = vstack_vmnic_port(c->n);
	const struct ndis_oid_record *rec = NULL;
	uint32_t oid = 0, status = 0;
	uint16_t vlan = vstack_vmnic_vlan(c->n);
	char o[96], s[96];

	vstack_vmnic_failure(c->n, &oid, &status);
	if (r == VSTACK_IOV_PF_FAILED && !oid) {
		diag__ok(l, "vPort and filters were set; the offer to the guest failed (next link)");
		return;
	}
	if ((r == VSTACK_IOV_PF_FAILED && oid != OID_NIC_SWITCH_ALLOCATE_VF) || r == VSTACK_IOV_NO_FILTER) {
		/* A filter refused on a VLAN adapter: the VF's VLAN limits (F28); otherwise the PF's vPort/filter OIDs (F20). */
		const char *row = vlan && (oid == OID_RECEIVE_FILTER_SET_FILTER || oid == OID_RECEIVE_FILTER_MOVE_FILTER ||
					   r == VSTACK_IOV_NO_FILTER)
					  ? "F28"
					  : "F20";

		diag__broken(l, row, "'%s' failed %s with %s", pf_name(c), ndis_oid_format(o, sizeof(o), oid),
			     st(status, s, sizeof(s)));
		if (oid && oid_failed(c->pf, oid, &rec))
			evidence_oid(l, rec, pf_name(c));
		if (vlan)
			diag__evidence(l, "the adapter's access VLAN is %u", vlan);
		if (port)
			diag__evidence(l, "its MAC filter %u is on vPort %u", vswitch_port_filter_id(port),
				       vswitch_port_filter_vport(port));
		diag__fix(l, "%s", !strcmp(row, "F28") ? "the VF's VLAN filter is refused: check the NIC's VLAN limits "
							   "per VF, or use an untagged adapter"
						       : "the PF miniport must create the VF's vPort and move the MAC/VLAN "
							 "filters to it (!ndiskd.netadapter -vports -rcvfilter)");
		return;
	}
	if ((rec = oid_pending(c->pf, OID_NIC_SWITCH_CREATE_VPORT)) ||
	    (rec = oid_pending(c->pf, OID_RECEIVE_FILTER_MOVE_FILTER))) {
		diag__broken(l, "F20", "%s is still pending at '%s'", ndis_oid_format(o, sizeof(o), rec->oid), pf_name(c));
		diag__fix(l, "the PF miniport must complete the OID it pended");
		return;
	}
	if (!vstack_vmnic_vport_id(c->n)) {
		diag__broken(l, NULL, "the VF has no vPort (%s)", vstack_vf_state_name(vstack_vmnic_vf_state(c->n)));
		return;
	}
	if (port && vstack_vmnic_filter_on_vf_expected(c->n) &&
	    vswitch_port_filter_vport(port) != vstack_vmnic_vport_id(c->n)) {
		diag__broken(l, "F20", "the adapter's MAC filter is on vPort %u, not the VF's vPort %u",
			     vswitch_port_filter_vport(port), vstack_vmnic_vport_id(c->n));
		diag__fix(l, "OID_RECEIVE_FILTER_MOVE_FILTER must move the filter to the VF's vPort");
		return;
	}
	if (!vstack_vmnic_filter_on_vf_expected(c->n))
		diag__ok(l, "vPort %u on VF %u; the MAC filter stays on the default vPort until the guest switches to "
			 "the VF ([host] vf_filter_move = on-switch)", vstack_vmnic_vport_id(c->n), vstack_vmnic_vf_id(c->n));
	else
		diag__ok(l, "vPort %u on VF %u, MAC filter on it%s", vstack_vmnic_vport_id(c->n),
			 vstack_vmnic_vf_id(c->n), vlan ? " (VLAN)" : "");
}

/* The index of the PF's newest successful ALLOCATE_VF record: where the current VF's story starts (0: none). */
static size_t last_allocation(const struct ndis_adapter *ad)
{
	for (size_t i = ad ? ndis_adapter_oid_record_count(ad) : 0; i-- > 0;) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(ad, i);

		if (r && r->oid == OID_NIC_SWITCH_ALLOCATE_VF && !r->pending && r->status == NDIS_STATUS_SUCCESS)
			return i;
	}
	return 0;
}

static void check_vpci_offer(struct diag_ctx *c, struct diag_link *l)
{
	static const uint32_t oids[] = { OID_SRIOV_READ_VF_CONFIG_SPACE, OID_SRIOV_PROBED_BARS,
					 OID_SRIOV_BAR_RESOURCES, OID_SRIOV_VF_VENDOR_DEVICE_ID,
					 OID_SRIOV_READ_VF_CONFIG_BLOCK };
	const struct ndis_oid_record *rec;
	size_t since = last_allocation(c->pf);

	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++)
		if (oid_failed_from(c->pf, oids[i], since, &rec)) {
			char o[96];

			diag__broken(l, "F21", "'%s' failed %s for the vPCI backend", pf_name(c),
				     ndis_oid_format(o, sizeof(o), oids[i]));
			evidence_oid(l, rec, pf_name(c));
			diag__fix(l, "the PF miniport must answer the VF config-space and BAR OIDs (!ndiskd.oid, PF WPP "
				     "trace)");
			return;
		}
	{
		uint32_t oid = 0, status = 0;

		vstack_vmnic_failure(c->n, &oid, &status);
		if (vstack_vmnic_iov_reason(c->n) == VSTACK_IOV_PF_FAILED && !oid) {
			char why[256];

			diag__broken(l, NULL, "the guest side could not take the VF, and the stack took it back");
			vstack_vmnic_status(c->n, why, sizeof(why));
			diag__evidence(l, "Get-VMNetworkAdapter %s: %s", vstack_vm_name(c->vm), why);
			diag__fix(l, "see the vPCI VSP's trace (lab.hv.vpci) for the offer the guest refused");
			return;
		}
	}
	if (!c->w) {
		diag__set(l, DIAG_NOT_REACHED, "VF %u steered to the adapter; %s", vstack_vmnic_vf_id(c->n), c->guest_why);
		return;
	}
	if (vmwp_vf_state(c->w, c->n) == VMWP_VF_NONE) {
		diag__broken(l, NULL, "VF %u was not offered to the guest (%s)", vstack_vmnic_vf_id(c->n),
			     vstack_vf_state_name(vstack_vmnic_vf_state(c->n)));
		return;
	}
	if (c->guest && !c->g.vpci_bus) {
		diag__broken(l, NULL, "the guest has no vPCI bus");
		return;
	}
	if (c->guest && c->g.pdos && c->g.has_sized_bars && !c->g.sized_bars) {
		diag__broken(l, "F21", "the VF reached the guest with no memory BARs: every probed BAR is 0");
		diag__evidence(l, "the guest's vPCI bus: %llu function(s), 0 BARs with a size (OID_SRIOV_PROBED_BARS "
			       "must answer the BAR registers after the all-ones probe)", (unsigned long long)c->g.pdos);
		if (c->vf && c->vf->init_status) {
			char b[96];

			diag__evidence(l, "the VF miniport's MiniportInitializeEx -> %s", st(c->vf->init_status, b, sizeof(b)));
		}
		diag__fix(l, "the PF miniport must answer OID_SRIOV_PROBED_BARS with the VF BAR registers as read after "
			     "writing all ones (spec: oid-sriov-probed-bars)");
		return;
	}
	if (c->guest && !c->g.pdos) {
		diag__broken(l, "F21", "VF %u was offered but the guest's vPCI bus reported no device",
			     vstack_vmnic_vf_id(c->n));
		return;
	}
	diag__ok(l, "VF %u on the guest's vPCI bus (%s)", vstack_vmnic_vf_id(c->n),
		 vmwp_vf_state_name(vmwp_vf_state(c->w, c->n)));
}

/* ---- guest links: only the guest's answer ------------------------------------------------- */
static void check_guest_driver(struct diag_ctx *c, struct diag_link *l)
{
	const struct diag_guest_device *pdo = NULL, *child = NULL;
	char b[96];

	for (size_t i = 0; i < c->g.ndevices; i++) {
		if (!c->g.devices[i].vbd_child && !pdo)
			pdo = &c->g.devices[i];
		else if (c->g.devices[i].vbd_child && pdo && !child)
			child = &c->g.devices[i];
	}
	if (!pdo) {
		diag__broken(l, NULL, "no VF device in the guest (vPCI PDOs: %llu)", (unsigned long long)c->g.pdos);
		return;
	}
	if (!pdo->service[0] || (child && !child->service[0])) {
		const struct diag_guest_device *d = pdo->service[0] ? child : pdo;

		diag__broken(l, "F25", "no driver for the VF device %s in the guest", d->hwid);
		diag__evidence(l, "device %s: %s, no function driver", d->hwid, d->state);
		diag__fix(l, "install the VF miniport's package in the guest (its INF must match %s)", d->hwid);
		return;
	}
	for (const struct diag_guest_device *d = pdo; d; d = d == pdo ? child : NULL)
		if (strcmp(d->state, "Started")) {
			diag__broken(l, "F26", "the VF device %s did not start (%s)", d->hwid, d->state);
			diag__evidence(l, "device %s (driver %s): %s, problem %s", d->hwid, d->service, d->state,
				       ntstatus_format(b, sizeof(b), d->problem));
			if (c->vf && c->vf->init_status)
				diag__evidence(l, "MiniportInitializeEx of '%s' -> %s", c->vf->name,
					       st(c->vf->init_status, b, sizeof(b)));
			diag__fix(l, "the VF driver failed to start: give the VF its MSI-X messages in the guest and "
				     "check the VF miniport's initialization (guest logs)");
			return;
		}
	if (!c->vf) {
		diag__broken(l, "F26", "the VF device started but no VF adapter is in the guest's NDIS");
		return;
	}
	if (strcmp(c->vf->state, "Running") && strcmp(c->vf->state, "Restarting")) {
		diag__broken(l, "F26", "VF adapter '%s' (%s) is %s", c->vf->name, c->vf->driver, c->vf->state);
		diag__evidence(l, "MiniportInitializeEx -> %s", st(c->vf->init_status, b, sizeof(b)));
		diag__fix(l, "the VF miniport failed to initialize: check its interrupt (MSI-X) and resources");
		return;
	}
	diag__ok(l, "%s on %s%s%s, adapter '%s' %s", c->vf->driver, pdo->hwid, child ? " via VBD " : "",
		 child ? pdo->service : "", c->vf->name, c->vf->state);
}

static const struct diag_guest_binding *vfpp_binding(const struct diag_guest_adapter *a)
{
	for (size_t i = 0; a && i < a->nbindings; i++)
		if (!strcmp(a->bindings[i].protocol, "NETVSCVFPP"))
			return &a->bindings[i];
	return NULL;
}

static void check_vbd_interface(struct diag_ctx *c, struct diag_link *l)
{
	const struct diag_guest_finding *f = guest_finding(c, "NDIS-VBD-CONFIG-BLOCK");
	const struct diag_guest_binding *b = vfpp_binding(c->vf);
	const struct diag_guest_device *vbd = NULL;
	char s1[96];

	for (size_t i = 0; i < c->g.ndevices; i++)
		if (!c->g.devices[i].vbd_child && c->g.devices[i].service[0])
			vbd = &c->g.devices[i];
	if (c->vf->vpci && !f) {
		diag__ok(l, "NDIS captured GUID_VPCI_INTERFACE_STANDARD for '%s' (serial %u)%s", c->vf->name,
			 c->vf->serial, c->vf->over_vbd ? ", forwarded by the VBD" : "");
		return;
	}
	if (f)
		diag__broken(l, "F22", "VF miniport '%s' calls the config-block path directly over a VBD", c->vf->name);
	else
		diag__broken(l, "F22", "no GUID_VPCI_INTERFACE_STANDARD was captured for VF adapter '%s'%s", c->vf->name,
			     c->vf->over_vbd ? " (its PDO is a VBD's child)" : "");
	if (c->vf->has_iface_status)
		diag__evidence(l, "IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) down the VF's stack -> %s%s",
			       ntstatus_format(s1, sizeof(s1), c->vf->iface_status),
			       c->vf->over_vbd && vbd ? ": the VBD did not forward it to the vPCI PDO" : "");
	if (c->vf->over_vbd && vbd)
		diag__evidence(l, "the VF's PDO was created by the virtual bus driver %s on %s", vbd->service, vbd->hwid);
	if (c->vf->has_serial_oid && c->vf->serial_oid_status != NDIS_STATUS_SUCCESS)
		diag__evidence(l, "OID_SRIOV_VF_SERIAL_NUMBER on '%s' (issued by %s) -> %s%s", c->vf->name,
			       c->vf->serial_oid_issuer, st(c->vf->serial_oid_status, s1, sizeof(s1)),
			       c->vf->serial_oid_by_ndis ? ", answered by NDIS" : "");
	if (b && !strcmp(b->state, "Declined"))
		diag__evidence(l, "NETVSCVFPP's binding to '%s': Declined with %s", c->vf->name,
			       st(b->status, s1, sizeof(s1)));
	if (f)
		diag__evidence(l, "verifier %s (%s): %s", f->rule, f->driver, f->evidence);
	if (f)
		diag__fix(l, "over a VBD the VF miniport must use the VBD's interface, not NdisMRead/WriteConfigBlock");
	else if (vbd && !strcasecmp(vbd->service, "srnic_vbd"))
		diag__fix(l, "the VBD must forward IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) to the vPCI PDO "
			     "(srnic_vbd: ForwardVpciInterface=1; the lab's [vm] vbd_forward_vpci = true)");
	else
		diag__fix(l, "the VF's bus driver must provide or forward GUID_VPCI_INTERFACE_STANDARD "
			     "(IRP_MN_QUERY_INTERFACE) to the vPCI PDO");
}

static void check_vf_miniport(struct diag_ctx *c, struct diag_link *l)
{
	static const char *const rules[] = { "NDIS-ATTR-HEADER", "NDIS-PF-IN-CHILD", "NDIS-VF-CAPS", "NDIS-VF-VMQ" };
	const uint32_t want = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT;
	const struct diag_guest_adapter *a = c->vf;
	bool caps_ok = a->has_cur_caps && (a->cur_caps & want) == want && !(a->cur_caps & NDIS_SRIOV_CAPS_PF_MINIPORT);
	bool vmq = a->rcv_filter_caps || a->switch_caps || a->vmq_enabled;
	const struct diag_guest_finding *f = NULL;
	char b[96];

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && !f; i++)
		f = guest_finding(c, rules[i]);
	if (caps_ok && !vmq && !f) {
		diag__ok(l, "'%s' SriovCapabilities %s, no VMQ%s", a->name, caps_text(a->cur_caps, b, sizeof(b)),
			 a->hypervisor_checked ? ", NdisGetHypervisorInfo called" : "");
		if (guest_finding(c, "NDIS-VF-KEYWORD")) {
			f = guest_finding(c, "NDIS-VF-KEYWORD");
			diag__warning(l, "F24", "'%s' reads an SR-IOV keyword", a->name);
			diag__evidence(l, "verifier %s (%s): %s", f->rule, f->driver, f->evidence);
			diag__fix(l, "a VF miniport does not read *SRIOV and the other PF keywords");
		}
		return;
	}
	if (f && !strcmp(f->rule, "NDIS-ATTR-HEADER"))
		diag__broken(l, "F32", "'%s' registered an attribute with a wrong header", a->name);
	else if (!caps_ok)
		diag__broken(l, "F24", "'%s' reports SriovCapabilities %s, not SRIOV_SUPPORTED|VF_MINIPORT", a->name,
			     a->has_cur_caps ? caps_text(a->cur_caps, b, sizeof(b)) : "none");
	else
		diag__broken(l, "F24", "VF miniport '%s' advertises VMQ / NIC-switch capabilities", a->name);
	if (!caps_ok)
		diag__catalogue(l, "F24");
	if (a->has_cur_caps && (a->cur_caps & NDIS_SRIOV_CAPS_PF_MINIPORT))
		diag__evidence(l, "it started as a PF inside the VM%s", a->hypervisor_checked ? "" :
			       ": it never called NdisGetHypervisorInfo");
	if (vmq)
		diag__evidence(l, "registered %s%s%s", a->switch_caps ? "NIC-switch capabilities " : "",
			       a->rcv_filter_caps ? "receive-filter (VMQ) capabilities" : "",
			       a->vmq_enabled ? " with VMQ_FILTERS_ENABLED" : "");
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((f = guest_finding(c, rules[i])))
			diag__evidence(l, "verifier %s (%s): %s", f->rule, f->driver, f->evidence);
	{
		const struct diag_guest_binding *bb = vfpp_binding(a);

		if (bb && !strcmp(bb->state, "Declined"))
			diag__evidence(l, "NETVSCVFPP's binding to '%s': Declined with %s", a->name,
				       st(bb->status, b, sizeof(b)));
	}
	diag__fix(l, "register NDIS_SRIOV_CAPABILITIES with SRIOV_SUPPORTED|VF_MINIPORT and no VMQ/NIC-switch "
		     "capabilities; call NdisGetHypervisorInfo to know it runs in a child partition");
}

static void check_netvsc_binding(struct diag_ctx *c, struct diag_link *l)
{
	const struct diag_guest_binding *b = vfpp_binding(c->vf);
	const struct diag_guest_finding *f = guest_finding(c, "NDIS-VF-INF-BINDING");
	char s[96];

	if (!c->vf) {
		diag__set(l, DIAG_NOT_REACHED, "no VF adapter in the guest");
		return;
	}
	if (!b) {
		diag__broken(l, "F23", "NETVSCVFPP is not bound to VF adapter '%s'", c->vf->name);
		diag__evidence(l, "'%s' bindings: %zu of %llu listed, none NETVSCVFPP", c->vf->name, c->vf->nbindings,
			       (unsigned long long)c->vf->bindings_total);
		if (f)
			diag__evidence(l, "verifier %s (%s): %s", f->rule, f->driver, f->evidence);
		diag__fix(l, "the VF INF must set UpperRange \"ndisvf\" and LowerRange \"iovvf\" (Ndi\\Interfaces)");
		return;
	}
	if (!strcmp(b->state, "Declined")) {
		diag__broken(l, "F23", "NETVSCVFPP declined VF adapter '%s' with %s", c->vf->name,
			     st(b->status, s, sizeof(s)));
		if (c->vf->has_serial_oid)
			diag__evidence(l, "OID_SRIOV_VF_SERIAL_NUMBER -> %s", st(c->vf->serial_oid_status, s, sizeof(s)));
		diag__evidence(l, "NetVsc's VF association from the host: serial %u; the VF's serial %u",
			       c->g.host_serial, c->vf->serial);
		diag__fix(l, "see ndiskd netadapter -vm VM -bindings inside the guest and the VF miniport's trace");
		return;
	}
	if (strcmp(b->state, "Bound")) {
		diag__broken(l, NULL, "NETVSCVFPP's binding to '%s' is %s", c->vf->name, b->state);
		return;
	}
	if (c->g.host_serial && c->vf->serial && c->g.host_serial != c->vf->serial) {
		diag__broken(l, NULL, "the VF's serial %u is not the one NetVSP associated (%u)", c->vf->serial,
			     c->g.host_serial);
		return;
	}
	diag__ok(l, "NETVSCVFPP Bound to '%s', serial %u matched", c->vf->name, c->vf->serial);
}

static void check_datapath(struct diag_ctx *c, struct diag_link *l)
{
	if (vstack_vmnic_datapath_active(c->n)) {
		if (c->g.switches > 1) {
			/* To the VF, back, and to the VF again: the VF was taken away at least once (F29). */
			diag__warning(l, "F29", "VFDataPathActive True, after %llu data-path switches: the VF was taken "
				      "away and came back", (unsigned long long)c->g.switches);
			diag__evidence(l, "NetVsc: %llu data-path switches acknowledged by the host, %llu VF associations",
				       (unsigned long long)c->g.switches, (unsigned long long)c->g.associations);
			diag__fix(l, "expected during live migration, failover or a PF restart");
			return;
		}
		diag__ok(l, "VFDataPathActive True");
		return;
	}
	if (c->vf && (c->vf->media_connect == MediaConnectStateDisconnected || (c->g.has_netvsc && !c->g.link_up))) {
		diag__broken(l, "F27", "VFDataPathActive False: the VF's link is down");
		diag__evidence(l, "'%s' MediaConnectState %s", c->vf->name,
			       c->vf->media_connect == MediaConnectStateDisconnected ? "Disconnected" : "?");
		diag__fix(l, "the VF has no carrier: check the PF's uplink (cable, peer)");
		return;
	}
	if (c->g.switches) {
		diag__warning(l, "F29", "VFDataPathActive False after %llu data-path switches: the VF was taken away",
			      (unsigned long long)c->g.switches);
		diag__evidence(l, "NetVsc data path %s", c->g.netvsc_state);
		diag__fix(l, "expected during live migration or failover; the VF comes back on an SR-IOV host");
		return;
	}
	diag__broken(l, NULL, "VFDataPathActive False (NetVsc data path %s)", c->g.has_netvsc ? c->g.netvsc_state : "?");
	diag__fix(l, "NetVsc did not switch to the VF: see the NetVsc trace in the guest");
}

static void check_traffic(struct diag_ctx *c, struct diag_link *l)
{
	if (c->g.tx_vf && c->g.tx_failed) {
		diag__broken(l, NULL, "%llu frames went to the VF but %llu of the guest's sends failed",
			     (unsigned long long)c->g.tx_vf, (unsigned long long)c->g.tx_failed);
		diag__evidence(l, "traffic source: %llu frames handed to NDIS, %llu completed, %llu failed",
			       (unsigned long long)c->g.tx_frames, (unsigned long long)c->g.tx_completed,
			       (unsigned long long)c->g.tx_failed);
		diag__fix(l, "the VF miniport completes sends with an error: see its send path and WPP trace");
		return;
	}
	if (c->g.tx_vf) {
		diag__ok(l, "%llu frames went through the VF (%llu synthetic)", (unsigned long long)c->g.tx_vf,
			 (unsigned long long)c->g.tx_synthetic);
		return;
	}
	diag__set(l, DIAG_NA, "no frames sent through the VF yet (tx_vf 0, %llu synthetic)",
		  (unsigned long long)c->g.tx_synthetic);
}

/* ---- the walk -------------------------------------------------------------------------- */
const struct diag_check diag_checks[DIAG_LINK_COUNT] = {
	{ DIAG_LINK_PLATFORM, "platform", "Get-VMHost IovSupport / IovSupportReasons", false, check_platform },
	{ DIAG_LINK_PCI, "pci", "the PF's SriovSupport (ACS, bus numbers, VF BARs)", false, check_pci },
	{ DIAG_LINK_PF_DRIVER, "pf-driver", "PF driver running with SR-IOV capabilities", false, check_pf_driver },
	{ DIAG_LINK_KEYWORDS, "keywords", "*SRIOV, *SriovPreferred / *RssOrVmqPreference", false, check_keywords },
	{ DIAG_LINK_NIC_SWITCH, "nic-switch", "NIC switch created with VFs", false, check_nic_switch },
	{ DIAG_LINK_VSWITCH_IOV, "vswitch-iov", "vSwitch IovEnabled, teaming", false, check_vswitch_iov },
	{ DIAG_LINK_IOV_WEIGHT, "iov-weight", "the adapter's IovWeight", false, check_iov_weight },
	{ DIAG_LINK_VF_POOL, "vf-pool", "free VFs / vPorts / queue pairs", false, check_vf_pool },
	{ DIAG_LINK_VF_ALLOCATION, "vf-allocation", "OID_NIC_SWITCH_ALLOCATE_VF", false, check_vf_allocation },
	{ DIAG_LINK_VPORT_FILTERS, "vport-filters", "CREATE_VPORT, MOVE_FILTER, VLAN filters", false,
	  check_vport_filters },
	{ DIAG_LINK_VPCI_OFFER, "vpci-offer", "vPCI offer, config space, BARs", false, check_vpci_offer },
	{ DIAG_LINK_GUEST_DRIVER, "guest-driver", "guest PDO, driver match, driver loaded", true, check_guest_driver },
	{ DIAG_LINK_VBD_INTERFACE, "vbd-interface", "GUID_VPCI_INTERFACE_STANDARD reaches NDIS", true,
	  check_vbd_interface },
	{ DIAG_LINK_VF_MINIPORT, "vf-miniport", "VF capabilities, hypervisor check, verifier", true, check_vf_miniport },
	{ DIAG_LINK_NETVSC_BINDING, "netvsc-binding", "NETVSCVFPP bound, serial number matched", true,
	  check_netvsc_binding },
	{ DIAG_LINK_DATAPATH_SWITCH, "datapath-switch", "VFDataPathActive; link state", true, check_datapath },
	{ DIAG_LINK_TRAFFIC, "traffic", "counters moved on the VF", true, check_traffic },
};

const char *diag_link_name(enum diag_link_id id)
{
	return (unsigned)id < DIAG_LINK_COUNT ? diag_checks[id].name : "?";
}

void diag__pick_vf(struct diag_ctx *c)
{
	c->vf = NULL;
	for (size_t i = 0; c->guest && i < c->g.nadapters; i++)
		if (c->g.adapters[i].pnp && !c->g.adapters[i].synthetic) {
			c->vf = &c->g.adapters[i];
			return;
		}
}

void diag__walk(struct diag_ctx *c, struct diag_adapter *a)
{
	int broken = -1;

	a->first_broken = -1;
	c->stop[0] = '\0';
	for (int i = 0; i < DIAG_LINK_COUNT; i++) {
		const struct diag_check *k = &diag_checks[i];
		struct diag_link *l = &a->links[i];

		memset(l, 0, sizeof(*l));
		l->id = k->id;
		if (broken >= 0 || c->stop[0]) {
			l->status = DIAG_NOT_REACHED;
			snprintf(l->observed, sizeof(l->observed), "not reached: %.280s",
				 broken >= 0 ? diag_checks[broken].name : c->stop);
			if (broken >= 0)
				snprintf(l->observed, sizeof(l->observed), "not reached: the chain breaks at %s",
					 diag_checks[broken].name);
			continue;
		}
		if (!c->n && i > DIAG_LINK_IOV_WEIGHT) {
			l->status = DIAG_NA;
			snprintf(l->observed, sizeof(l->observed), "no VM network adapter");
			continue;
		}
		if (c->withdrawn && i >= DIAG_LINK_VF_ALLOCATION && i < DIAG_LINK_DATAPATH_SWITCH) {
			l->status = DIAG_NA;
			snprintf(l->observed, sizeof(l->observed), "the VF was taken back after NetVsc used it (%llu "
				 "data-path switches); no VF now", (unsigned long long)c->g.switches);
			continue;
		}
		if (k->guest && !c->guest) {
			l->status = DIAG_NOT_REACHED;
			snprintf(l->observed, sizeof(l->observed), "not reached: %.280s", c->guest_why);
			diag__evidence(l, "%s", c->guest_why);
			continue;
		}
		if (k->guest && i > DIAG_LINK_GUEST_DRIVER && i < DIAG_LINK_DATAPATH_SWITCH && !c->vf) {
			l->status = DIAG_NOT_REACHED;
			snprintf(l->observed, sizeof(l->observed), "not reached: no VF adapter in the guest");
			continue;
		}
		k->check(c, l);
		if (l->status == DIAG_BROKEN)
			broken = i;
	}
	a->first_broken = broken;
}
