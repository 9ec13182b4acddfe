/*
 * NdisMSetMiniportAttributes, strictly: the attribute structure's
 * NDIS_OBJECT_HEADER selects the type, and Revision and Size must be those of
 * that type -- a hardware-assist header sized with the general-attributes
 * macro (failure catalogue F32, a real driver's bug) is refused and the
 * finding names the macro the size came from. The capability structures a
 * hardware-assist block points to (SR-IOV, NIC switch, receive filtering)
 * are checked the same way, with the pairing rule that a Current pointer
 * needs its Hardware pointer. A refused call registers nothing, which is
 * exactly the field symptom: "capabilities silently not registered".
 *
 * After MiniportInitializeEx succeeds, ndis__adapter_check_initialized()
 * applies the rules that need the whole picture (spec 2.1, 2.12): what a VF
 * and a PF may report, in which partition, with which keywords read and which
 * OIDs listed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ndis/internal.h"

/* Rev-3 NIC-switch caps (NDIS 6.60) are 132 bytes; the framework is built
 * against the 6.30 layout and ignores the 6.60 tail. */
#define NIC_SWITCH_CAPS_REV3_SIZE 132u

struct known_size {
	uint8_t type;
	uint8_t revision;
	uint16_t size;
	const char *macro;
};

static const struct known_size known[] = {
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, 1,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES, 2,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_2" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, 1,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES, 2,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, 1,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, 2,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, 3,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3" },
	{ NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES, 4,
	  NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_4,
	  "NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_4" },
	{ NDIS_OBJECT_TYPE_DEFAULT, 1, NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1,
	  "NDIS_SIZEOF_SRIOV_CAPABILITIES_REVISION_1" },
	{ NDIS_OBJECT_TYPE_DEFAULT, 1, NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_1,
	  "NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_1" },
	{ NDIS_OBJECT_TYPE_DEFAULT, 2, NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2,
	  "NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_2" },
	{ NDIS_OBJECT_TYPE_DEFAULT, 3, NIC_SWITCH_CAPS_REV3_SIZE, "NDIS_SIZEOF_NIC_SWITCH_CAPABILITIES_REVISION_3" },
	{ NDIS_OBJECT_TYPE_DEFAULT, 1, NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_1,
	  "NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_1" },
	{ NDIS_OBJECT_TYPE_DEFAULT, 2, NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_2,
	  "NDIS_SIZEOF_RECEIVE_FILTER_CAPABILITIES_REVISION_2" },
};

/* Which size macro a wrong Size probably came from (evidence text). */
static const char *macro_for_size(unsigned size)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].size == size && known[i].type != NDIS_OBJECT_TYPE_DEFAULT)
			return known[i].macro;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].size == size)
			return known[i].macro;
	return NULL;
}

/*
 * Check an attribute header against the sizes of its type. what names the
 * structure in the evidence; first_macro selects the entries (by macro
 * prefix) that belong to it.
 */
static int check_header(struct ndis_adapter *ad, const NDIS_OBJECT_HEADER *h, uint8_t type,
			const char *what, const char *prefix)
{
	const struct known_size *want = NULL;
	const char *from;
	unsigned max_rev = 0;

	if (h->Type != type) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_HEADER, "%s: Header.Type 0x%02x, expected 0x%02x", what,
				      h->Type, type);
		return -EPROTO;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].type != type || strncmp(known[i].macro, prefix, strlen(prefix)) != 0)
			continue;
		if (known[i].revision > max_rev)
			max_rev = known[i].revision;
		if (known[i].revision == h->Revision)
			want = &known[i];
	}
	if (!want) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_HEADER, "%s: Header.Revision %u is not a revision of this structure (1..%u)",
				      what, h->Revision, max_rev);
		return -EPROTO;
	}
	if (h->Size != want->size) {
		from = macro_for_size(h->Size);
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_HEADER,
				      "%s: Header.Size %u%s%s%s does not match revision %u, which needs %u (%s)", what, h->Size,
				      from ? " (= " : "", from ? from : "", from ? ")" : "", h->Revision, want->size,
				      want->macro);
		return -EINVAL;
	}
	return 0;
}

void ndis__adapter_clear_attributes(struct ndis_adapter *ad)
{
	free(ad->oid_list);
	ad->oid_list = NULL;
	ad->n_oids = 0;
	ad->ctx = NULL;
	ad->have_reg_attrs = ad->have_gen_attrs = false;
	memset(&ad->reg_attrs, 0, sizeof(ad->reg_attrs));
	memset(&ad->gen_attrs, 0, sizeof(ad->gen_attrs));
	ad->has_hw_sriov = ad->has_cur_sriov = false;
	ad->has_hw_switch = ad->has_cur_switch = false;
	ad->has_hw_rcv = ad->has_cur_rcv = false;
	memset(&ad->hw_sriov, 0, sizeof(ad->hw_sriov));
	memset(&ad->cur_sriov, 0, sizeof(ad->cur_sriov));
	memset(&ad->hw_switch, 0, sizeof(ad->hw_switch));
	memset(&ad->cur_switch, 0, sizeof(ad->cur_switch));
	memset(&ad->hw_rcv, 0, sizeof(ad->hw_rcv));
	memset(&ad->cur_rcv, 0, sizeof(ad->cur_rcv));
}

static int set_registration(struct ndis_adapter *ad, const NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES *a)
{
	int rc = check_header(ad, &a->Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES,
			      "registration attributes", "NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION");

	if (rc)
		return rc;
	if (ad->have_reg_attrs) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_ORDER, "registration attributes set twice");
		return -EPERM;
	}
	ad->reg_attrs = *a;
	ad->ctx = a->MiniportAdapterContext;
	ad->have_reg_attrs = true;
	if ((a->AttributeFlags & NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM) && !ad->over_vbd)
		log_info(NDIS_LOG, "adapter '%s': NDIS-WDM miniport (sends its own IRPs down the device stack)", ad->name);
	if (ad->over_vbd && !(a->AttributeFlags & NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM))
		log_warn(NDIS_LOG, "adapter '%s' sits on a virtual bus driver but does not set NDIS_MINIPORT_ATTRIBUTES_NDIS_WDM",
			 ad->name);
	log_info(NDIS_LOG, "adapter '%s': registration attributes (flags 0x%x, interface type %d)", ad->name,
		 a->AttributeFlags, a->InterfaceType);
	return 0;
}

static int set_general(struct ndis_adapter *ad, const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *a)
{
	int rc = check_header(ad, &a->Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES,
			      "general attributes", "NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL");
	NDIS_OID *list = NULL;
	size_t n;

	if (rc)
		return rc;
	if (!ad->have_reg_attrs) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_ORDER, "general attributes set before registration attributes");
		return -EPERM;
	}
	if (a->SupportedOidListLength % sizeof(NDIS_OID) || (a->SupportedOidListLength && !a->SupportedOidList)) {
		log_error(NDIS_LOG, "adapter '%s': SupportedOidListLength %u is not a whole list of OIDs", ad->name,
			  a->SupportedOidListLength);
		return -EINVAL;
	}
	if (a->MacAddressLength > NDIS_MAX_PHYS_ADDRESS_LENGTH) {
		log_error(NDIS_LOG, "adapter '%s': MacAddressLength %u > %u", ad->name, a->MacAddressLength,
			  NDIS_MAX_PHYS_ADDRESS_LENGTH);
		return -EINVAL;
	}
	n = a->SupportedOidListLength / sizeof(NDIS_OID);
	if (n) {
		list = malloc(n * sizeof(*list));
		if (!list)
			return -ENOMEM;
		memcpy(list, a->SupportedOidList, n * sizeof(*list));
	}
	free(ad->oid_list);
	ad->oid_list = list;
	ad->n_oids = n;
	memset(&ad->gen_attrs, 0, sizeof(ad->gen_attrs));
	memcpy(&ad->gen_attrs, a, a->Header.Size < sizeof(ad->gen_attrs) ? a->Header.Size : sizeof(ad->gen_attrs));
	ad->gen_attrs.SupportedOidList = NULL;
	ad->gen_attrs.RecvScaleCapabilities = NULL;
	ad->gen_attrs.PowerManagementCapabilities = NULL;
	ad->gen_attrs.PowerManagementCapabilitiesEx = NULL;
	ad->have_gen_attrs = true;
	log_info(NDIS_LOG, "adapter '%s': general attributes (MTU %u, %zu supported OIDs)", ad->name, a->MtuSize, n);
	return 0;
}

static int check_caps(struct ndis_adapter *ad, const NDIS_OBJECT_HEADER *h, const char *what, const char *prefix)
{
	return h ? check_header(ad, h, NDIS_OBJECT_TYPE_DEFAULT, what, prefix) : 0;
}

static int set_hardware_assist(struct ndis_adapter *ad, const NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES *a)
{
	const NDIS_RECEIVE_FILTER_CAPABILITIES *hr = NULL, *cr = NULL;
	const NDIS_NIC_SWITCH_CAPABILITIES *hs = NULL, *cs = NULL;
	const NDIS_SRIOV_CAPABILITIES *hv = NULL, *cv = NULL;
	int rc = check_header(ad, &a->Header, NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES,
			      "hardware assist attributes", "NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST");

	if (rc)
		return rc;
	if (!ad->have_reg_attrs) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_ORDER, "hardware assist attributes set before registration attributes");
		return -EPERM;
	}
	if (a->Header.Revision >= 2) {
		hr = a->HardwareReceiveFilterCapabilities;
		cr = a->CurrentReceiveFilterCapabilities;
		hs = a->HardwareNicSwitchCapabilities;
		cs = a->CurrentNicSwitchCapabilities;
	}
	if (a->Header.Revision >= 3) {
		hv = a->HardwareSriovCapabilities;
		cv = a->CurrentSriovCapabilities;
	}
	if ((rc = check_caps(ad, hr ? &hr->Header : NULL, "HardwareReceiveFilterCapabilities",
			     "NDIS_SIZEOF_RECEIVE_FILTER")) ||
	    (rc = check_caps(ad, cr ? &cr->Header : NULL, "CurrentReceiveFilterCapabilities",
			     "NDIS_SIZEOF_RECEIVE_FILTER")) ||
	    (rc = check_caps(ad, hs ? &hs->Header : NULL, "HardwareNicSwitchCapabilities", "NDIS_SIZEOF_NIC_SWITCH")) ||
	    (rc = check_caps(ad, cs ? &cs->Header : NULL, "CurrentNicSwitchCapabilities", "NDIS_SIZEOF_NIC_SWITCH")) ||
	    (rc = check_caps(ad, hv ? &hv->Header : NULL, "HardwareSriovCapabilities", "NDIS_SIZEOF_SRIOV")) ||
	    (rc = check_caps(ad, cv ? &cv->Header : NULL, "CurrentSriovCapabilities", "NDIS_SIZEOF_SRIOV")))
		return rc;
	if ((cr && !hr) || (cs && !hs) || (cv && !hv)) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_HEADER, "Current%sCapabilities set without Hardware%sCapabilities",
				      cr && !hr ? "ReceiveFilter" : cs && !hs ? "NicSwitch" : "Sriov",
				      cr && !hr ? "ReceiveFilter" : cs && !hs ? "NicSwitch" : "Sriov");
		return -EINVAL;
	}
#define COPY_CAPS(dst, has, src) \
	do { \
		(has) = (src) != NULL; \
		memset(&(dst), 0, sizeof(dst)); \
		if (src) \
			memcpy(&(dst), (src), (src)->Header.Size < sizeof(dst) ? (src)->Header.Size : sizeof(dst)); \
	} while (0)
	COPY_CAPS(ad->hw_rcv, ad->has_hw_rcv, hr);
	COPY_CAPS(ad->cur_rcv, ad->has_cur_rcv, cr);
	COPY_CAPS(ad->hw_switch, ad->has_hw_switch, hs);
	COPY_CAPS(ad->cur_switch, ad->has_cur_switch, cs);
	COPY_CAPS(ad->hw_sriov, ad->has_hw_sriov, hv);
	COPY_CAPS(ad->cur_sriov, ad->has_cur_sriov, cv);
#undef COPY_CAPS
	log_info(NDIS_LOG, "adapter '%s': hardware assist attributes rev %u: SR-IOV hw 0x%x cur %s0x%x, "
		 "NIC switch hw %s cur %s, receive filter hw %s cur %s", ad->name, a->Header.Revision,
		 hv ? hv->SriovCapabilities : 0, cv ? "" : "(none) ", cv ? cv->SriovCapabilities : 0,
		 hs ? "yes" : "no", cs ? "yes" : "no", hr ? "yes" : "no", cr ? "yes" : "no");
	return 0;
}

int ndis__adapter_set_attributes(struct ndis_adapter *ad, const NDIS_OBJECT_HEADER *attr)
{
	if (!attr)
		return -EINVAL;
	if (ad->state != NDIS_ADAPTER_INITIALIZING) {
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_ORDER,
				      "NdisMSetMiniportAttributes (type 0x%02x) outside MiniportInitializeEx (adapter %s)",
				      attr->Type, ndis_adapter_state_name(ad->state));
		return -EPERM;
	}
	switch (attr->Type) {
	case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES:
		return set_registration(ad, (const NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES *)attr);
	case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES:
		return set_general(ad, (const NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *)attr);
	case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES:
		return set_hardware_assist(ad, (const NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES *)attr);
	case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES:
		/* Task offloads are not modelled: accepted once registration is in. */
		if (!ad->have_reg_attrs) {
			ndis__adapter_finding(ad, NDIS_RULE_ATTR_ORDER, "offload attributes set before registration attributes");
			return -EPERM;
		}
		log_info(NDIS_LOG, "adapter '%s': offload attributes accepted (not modelled)", ad->name);
		return 0;
	default:
		ndis__adapter_finding(ad, NDIS_RULE_ATTR_HEADER,
				      "Header.Type 0x%02x is not a miniport adapter attribute type", attr->Type);
		return -EPROTO;
	}
}

/* ---- rules checked once initialization succeeded ----------------------- */
static const char *const sriov_keywords[] = {
	"*SRIOV", "*SriovPreferred", "*NumVFs", "*SwitchName", "*SwitchType", "*SwitchId",
};

static bool is_sriov_keyword(const char *kw)
{
	const char *base = strrchr(kw, '\\');

	if (!strncasecmp(kw, "NicSwitches", 11))
		return true;
	base = base ? base + 1 : kw;
	for (size_t i = 0; i < sizeof(sriov_keywords) / sizeof(sriov_keywords[0]); i++)
		if (!strcasecmp(base, sriov_keywords[i]))
			return true;
	return false;
}

void ndis__adapter_check_initialized(struct ndis_adapter *ad)
{
	enum ndis_partition part = ad->fw->partition;
	bool vf_expected = ndis__adapter_is_vf(ad);
	uint32_t hw = ad->has_hw_sriov ? ad->hw_sriov.SriovCapabilities : 0;
	uint32_t cur = ad->has_cur_sriov ? ad->cur_sriov.SriovCapabilities : 0;
	bool vf_caps = (hw | cur) & NDIS_SRIOV_CAPS_VF_MINIPORT;
	bool pf_caps = (hw | cur) & NDIS_SRIOV_CAPS_PF_MINIPORT;
	const uint32_t vf_want = NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT;

	if (vf_expected || vf_caps) {
		if (pf_caps)
			ndis__adapter_finding(ad, NDIS_RULE_VF_CAPS,
					      "VF miniport reports PF capabilities: hardware SriovCapabilities 0x%x, current 0x%x "
					      "(PF_MINIPORT 0x2 set)", hw, cur);
		else if (!ad->has_hw_sriov || !ad->has_cur_sriov || (hw & vf_want) != vf_want || (cur & vf_want) != vf_want)
			ndis__adapter_finding(ad, NDIS_RULE_VF_CAPS,
					      "VF miniport SR-IOV capabilities: hardware %s0x%x, current %s0x%x; both must be "
					      "SRIOV_SUPPORTED|VF_MINIPORT (0x5)", ad->has_hw_sriov ? "" : "(none) ", hw,
					      ad->has_cur_sriov ? "" : "(none) ", cur);
		if (ad->has_hw_switch || ad->has_cur_switch || ad->has_hw_rcv || ad->has_cur_rcv) {
			char what[160] = "";

			if (ad->has_hw_switch || ad->has_cur_switch)
				strcat(what, "NIC-switch capabilities");
			if (ad->has_hw_rcv || ad->has_cur_rcv)
				strcat(strcat(what, what[0] ? ", " : ""), "receive-filter capabilities");
			if (ad->has_cur_rcv && (ad->cur_rcv.EnabledFilterTypes & NDIS_RECEIVE_FILTER_VMQ_FILTERS_ENABLED))
				strcat(what, " with VMQ_FILTERS_ENABLED");
			ndis__adapter_finding(ad, NDIS_RULE_VF_VMQ, "VF miniport reports %s", what);
		}
		for (size_t i = 0; i < ad->n_reads; i++)
			if (is_sriov_keyword(ad->reads[i].keyword))
				ndis__adapter_finding(ad, NDIS_RULE_VF_KEYWORD, "VF miniport read SR-IOV keyword %s%s%s",
						      ad->reads[i].keyword, ad->reads[i].found ? " = " : " (absent)",
						      ad->reads[i].found ? ad->reads[i].value : "");
		if (vf_caps && !(ndis__range_has(ad->upper_range, "ndisvf") && ndis__range_has(ad->lower_range, "iovvf")))
			ndis__adapter_finding(ad, NDIS_RULE_VF_INF_BINDING,
					      "VF package %s sets UpperRange \"%s\", LowerRange \"%s\"; NetVsc's VF protocol "
					      "edge binds only to ndisvf", ndis_inf_name(ad->pkg->inf), ad->upper_range,
					      ad->lower_range);
	}
	if (vf_caps && part != NDIS_PARTITION_CHILD)
		ndis__adapter_finding(ad, NDIS_RULE_VF_IN_PARENT,
				      "miniport registered VF_MINIPORT capabilities in the %s partition%s", ndis_partition_name(part),
				      ad->hypervisor_info_called ? "" : " without calling NdisGetHypervisorInfo");
	if (pf_caps && !vf_expected && part == NDIS_PARTITION_CHILD)
		ndis__adapter_finding(ad, NDIS_RULE_PF_IN_CHILD,
				      "miniport registered PF_MINIPORT capabilities in a child partition%s",
				      ad->hypervisor_info_called ? "" : " without calling NdisGetHypervisorInfo");
	if (pf_caps && !vf_expected) {
		uint32_t sriov = 1;

		if ((cur & NDIS_SRIOV_CAPS_PF_MINIPORT) && ndis_reg_get_uint(ad->reg, "*SRIOV", 0, &sriov) == 0 && sriov == 0)
			ndis__adapter_finding(ad, NDIS_RULE_PF_SRIOV_DISABLED,
					      "PF reports current SR-IOV capabilities 0x%x while *SRIOV is 0", cur);
		if (cur & NDIS_SRIOV_CAPS_PF_MINIPORT) {
			char missing[256] = "";
			size_t off = 0, n = 0;

			for (size_t i = 0; i < ndis__pf_mandatory_oid_count; i++) {
				uint32_t oid = ndis__pf_mandatory_oids[i];
				if (ndis__oid_in_list(ad, oid))
					continue;
				n++;
				if (off < sizeof(missing) - 1) {
					const char *nm = ndis_oid_name(oid);
					int w = snprintf(missing + off, sizeof(missing) - off, "%s%s", off ? ", " : "",
							 nm ? nm : "?");
					if (w > 0)
						off += (size_t)w;
				}
			}
			if (n)
				ndis__adapter_finding(ad, NDIS_RULE_PF_OID_LIST,
						      "PF with current SR-IOV capabilities lacks %zu SR-IOV OID(s) in SupportedOidList: %s",
						      n, missing);
		}
		if (!ndis_inf_install_needs(ad->model->install, "PciSriovSupported.HW"))
			ndis__adapter_finding(ad, NDIS_RULE_PF_INF_NEEDS,
					      "PF reports SR-IOV capabilities but [%s.HW] of %s has no Needs=PciSriovSupported.HW",
					      ad->model->install->name, ndis_inf_name(ad->pkg->inf));
	}
}
