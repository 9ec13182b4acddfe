/*
 * The verifier's rule catalogue and finding store (verifier.h). The checks
 * themselves sit where the framework sees the evidence (attributes.c for
 * capability rules, oid.c for OID rules, nbl.c for ownership, api_sriov.c for
 * the VBD rules); this file names each rule once -- id, rule text, the
 * documentation page it comes from -- and records what was observed. The
 * catalogue is the table docs/ndis/verifier.md reproduces.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndis/internal.h"

static const struct {
	const char *id;
	const char *title;
	const char *doc;
} rules[NDIS_RULE_COUNT] = {
	[NDIS_RULE_CHARACTERISTICS] = { "NDIS-CHARACTERISTICS",
		"driver characteristics must have the right header, NDIS version and required handlers",
		"ddi:ndis/nf-ndis-ndismregisterminiportdriver" },
	[NDIS_RULE_ATTR_HEADER] = { "NDIS-ATTR-HEADER",
		"attribute and capability structures must carry the Type, Revision and Size of their own type",
		"ddi:ndis/nf-ndis-ndismsetminiportattributes (failure catalogue F32)" },
	[NDIS_RULE_ATTR_ORDER] = { "NDIS-ATTR-ORDER",
		"registration then general attributes, set during MiniportInitializeEx",
		"net:initializing-a-miniport-adapter" },
	[NDIS_RULE_VF_CAPS] = { "NDIS-VF-CAPS",
		"a VF miniport reports SR-IOV caps SRIOV_SUPPORTED|VF_MINIPORT (0x5) as hardware and current caps, never PF caps",
		"net:initializing-a-vf-miniport-driver (F24)" },
	[NDIS_RULE_VF_VMQ] = { "NDIS-VF-VMQ",
		"a VF miniport does not advertise VMQ, receive-filter or NIC-switch capabilities",
		"net:initializing-a-vf-miniport-driver (F24)" },
	[NDIS_RULE_VF_KEYWORD] = { "NDIS-VF-KEYWORD",
		"a VF miniport must not read SR-IOV keywords",
		"net:initializing-a-vf-miniport-driver" },
	[NDIS_RULE_VF_IN_PARENT] = { "NDIS-VF-IN-PARENT",
		"a miniport initializes as a VF only in a child partition (NdisGetHypervisorInfo)",
		"net:initializing-a-vf-miniport-driver (F24)" },
	[NDIS_RULE_PF_IN_CHILD] = { "NDIS-PF-IN-CHILD",
		"a miniport initializes as a PF only in the parent partition (NdisGetHypervisorInfo)",
		"net:miniportinitializeex-guidelines-for-pf-miniport-drivers (F24)" },
	[NDIS_RULE_PF_SRIOV_DISABLED] = { "NDIS-PF-SRIOV-DISABLED",
		"a PF reports current SR-IOV capabilities only when *SRIOV is 1",
		"net:determining-sr-iov-capabilities (F13)" },
	[NDIS_RULE_PF_OID_LIST] = { "NDIS-PF-OID-LIST",
		"a PF lists every SR-IOV OID it must handle in SupportedOidList",
		"net:sr-iov-oids" },
	[NDIS_RULE_PF_INF_NEEDS] = { "NDIS-PF-INF-NEEDS",
		"a PF package's DDInstall.HW section has Include=pci.inf, Needs=PciSriovSupported.HW",
		"net:inf-ddinstall-hw-section-for-pf-miniport-drivers (F12)" },
	[NDIS_RULE_VF_INF_BINDING] = { "NDIS-VF-INF-BINDING",
		"a VF package sets Ndi\\Interfaces UpperRange \"ndisvf\" and LowerRange \"iovvf\"",
		"net:inf-requirements-for-vf-miniport-drivers (F23)" },
	[NDIS_RULE_OID_BYTES_NEEDED] = { "NDIS-OID-BYTES-NEEDED",
		"an OID failed with NDIS_STATUS_INVALID_LENGTH or BUFFER_TOO_SHORT sets BytesNeeded",
		"ddi:oidrequest/ns-oidrequest-ndis_oid_request" },
	[NDIS_RULE_OID_BYTE_COUNTS] = { "NDIS-OID-BYTE-COUNTS",
		"BytesWritten and BytesRead never exceed the buffer",
		"ddi:oidrequest/ns-oidrequest-ndis_oid_request" },
	[NDIS_RULE_OID_COMPLETE_TWICE] = { "NDIS-OID-COMPLETE-TWICE",
		"NdisMOidRequestComplete completes a request the miniport pended, once",
		"ddi:ndis/nf-ndis-ndismoidrequestcomplete" },
	[NDIS_RULE_OID_NEVER_COMPLETED] = { "NDIS-OID-NEVER-COMPLETED",
		"a pended OID request is completed before the adapter is halted",
		"ddi:ndis/nc-ndis-miniport_oid_request" },
	[NDIS_RULE_NBL_RETURN_TWICE] = { "NDIS-NBL-RETURN-TWICE",
		"an NBL is returned or send-completed once, by the driver that owns it",
		"net:send-and-receive-operations" },
	[NDIS_RULE_NBL_NEVER_RETURNED] = { "NDIS-NBL-NEVER-RETURNED",
		"every NBL is returned or send-completed before close, pause or halt completes",
		"net:send-and-receive-operations" },
	[NDIS_RULE_VBD_PCI_VIRT] = { "NDIS-VBD-PCI-VIRT",
		"a PF miniport over an IHV virtual bus driver asks the VBD, not NdisM*VirtualFunction*/NdisMEnableVirtualization/NdisMQueryProbedBars",
		"ddi:ndis/nf-ndis-ndismgetvirtualfunctionbusdata (F22)" },
	[NDIS_RULE_VBD_CONFIG_BLOCK] = { "NDIS-VBD-CONFIG-BLOCK",
		"a VF miniport over an IHV virtual bus driver asks the VBD, not NdisMReadConfigBlock/NdisMWriteConfigBlock",
		"ddi:ndis/nf-ndis-ndismreadconfigblock (F22)" },
	[NDIS_RULE_STATE] = { "NDIS-STATE",
		"a call is made only in an adapter state that allows it",
		"net:miniport-adapter-states-and-operations" },
	[NDIS_RULE_HANDLE] = { "NDIS-HANDLE",
		"a call is given the handle NDIS issued for that purpose",
		"net:ndis-handles" },
};

const char *ndis_rule_id(enum ndis_rule rule)
{
	return (unsigned)rule < NDIS_RULE_COUNT ? rules[rule].id : "?";
}

const char *ndis_rule_title(enum ndis_rule rule)
{
	return (unsigned)rule < NDIS_RULE_COUNT ? rules[rule].title : "?";
}

const char *ndis_rule_doc(enum ndis_rule rule)
{
	return (unsigned)rule < NDIS_RULE_COUNT ? rules[rule].doc : "?";
}

void ndis__finding(struct ndis_framework *fw, enum ndis_rule rule, const char *driver,
		   const char *adapter, const char *fmt, ...)
{
	struct ndis_finding *f;
	va_list ap;

	if (!fw || (unsigned)rule >= NDIS_RULE_COUNT)
		return;
	if (fw->n_findings == fw->cap_findings) {
		size_t cap = fw->cap_findings ? fw->cap_findings * 2 : 16;
		struct ndis_finding *n = realloc(fw->findings, cap * sizeof(*n));
		if (!n) {
			log_error(NDIS_LOG_VERIFIER, "out of memory recording a %s finding", rules[rule].id);
			return;
		}
		fw->findings = n;
		fw->cap_findings = cap;
	}
	f = &fw->findings[fw->n_findings++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->id = rules[rule].id;
	f->title = rules[rule].title;
	f->doc = rules[rule].doc;
	ndis__strlcpy(f->driver, driver ? driver : "", sizeof(f->driver));
	ndis__strlcpy(f->adapter, adapter ? adapter : "", sizeof(f->adapter));
	va_start(ap, fmt);
	vsnprintf(f->evidence, sizeof(f->evidence), fmt, ap);
	va_end(ap);
	log_warn(NDIS_LOG_VERIFIER, "%s: driver %s%s%s%s: %s -- rule: %s [%s]", f->id,
		 f->driver[0] ? f->driver : "?", f->adapter[0] ? " (adapter '" : "", f->adapter,
		 f->adapter[0] ? "')" : "", f->evidence, f->title, f->doc);
}

size_t ndis_framework_finding_count(const struct ndis_framework *fw)
{
	return fw->n_findings;
}

const struct ndis_finding *ndis_framework_finding_at(const struct ndis_framework *fw, size_t i)
{
	return i < fw->n_findings ? &fw->findings[i] : NULL;
}

size_t ndis_framework_findings_of(const struct ndis_framework *fw, enum ndis_rule rule)
{
	size_t n = 0;

	for (size_t i = 0; i < fw->n_findings; i++)
		if (fw->findings[i].rule == rule)
			n++;
	return n;
}

void ndis_framework_clear_findings(struct ndis_framework *fw)
{
	fw->n_findings = 0;
}

void ndis__findings_free(struct ndis_framework *fw)
{
	free(fw->findings);
	fw->findings = NULL;
	fw->n_findings = fw->cap_findings = 0;
}
