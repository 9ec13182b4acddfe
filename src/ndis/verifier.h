/*
 * The verifier: every documented rule a driver can break at run time is
 * checked where the framework sees the evidence, reported on the
 * lab.ndis.verifier trace with a rule id, the driver, the evidence and the
 * documentation page, and kept as a finding for views and diagnose. A broken
 * rule never crashes the lab; the framework refuses or repairs what it must
 * (docs/ndis/verifier.md lists the rules and what NDIS does about each).
 */
#ifndef IOVLAB_NDIS_VERIFIER_H
#define IOVLAB_NDIS_VERIFIER_H

#include <stddef.h>

struct ndis_framework;

enum ndis_rule {
	NDIS_RULE_CHARACTERISTICS,	/* bad NDIS_MINIPORT/PROTOCOL_DRIVER_CHARACTERISTICS */
	NDIS_RULE_ATTR_HEADER,		/* F32: attribute/caps header type, revision or size wrong */
	NDIS_RULE_ATTR_ORDER,		/* attributes missing, out of order or outside InitializeEx */
	NDIS_RULE_VF_CAPS,		/* F24: VF reports PF caps / lacks SRIOV_SUPPORTED|VF_MINIPORT */
	NDIS_RULE_VF_VMQ,		/* F24: VF advertises VMQ or NIC-switch capabilities */
	NDIS_RULE_VF_KEYWORD,		/* VF reads an SR-IOV keyword */
	NDIS_RULE_VF_IN_PARENT,		/* F24: miniport initializes as a VF in the parent partition */
	NDIS_RULE_PF_IN_CHILD,		/* F24: miniport initializes as a PF in a child partition */
	NDIS_RULE_PF_SRIOV_DISABLED,	/* F13: current SR-IOV caps while *SRIOV is 0 */
	NDIS_RULE_PF_OID_LIST,		/* PF lacks a mandatory SR-IOV OID in SupportedOidList */
	NDIS_RULE_PF_INF_NEEDS,		/* F12: PF package lacks Needs=PciSriovSupported.HW */
	NDIS_RULE_VF_INF_BINDING,	/* F23: VF INF lacks UpperRange ndisvf / LowerRange iovvf */
	NDIS_RULE_OID_BYTES_NEEDED,	/* INVALID_LENGTH / BUFFER_TOO_SHORT without BytesNeeded */
	NDIS_RULE_OID_BYTE_COUNTS,	/* BytesWritten/BytesRead beyond the buffer */
	NDIS_RULE_OID_COMPLETE_TWICE,	/* NdisMOidRequestComplete for a request not pending */
	NDIS_RULE_OID_NEVER_COMPLETED,	/* request still pending when the adapter is torn down */
	NDIS_RULE_NBL_RETURN_TWICE,	/* NBL returned / send-completed when not owned */
	NDIS_RULE_NBL_NEVER_RETURNED,	/* NBL kept past close/pause/halt */
	NDIS_RULE_VBD_PCI_VIRT,		/* F22: PF over a VBD calls NdisM*VirtualFunction* */
	NDIS_RULE_VBD_CONFIG_BLOCK,	/* VF over a VBD calls NdisMRead/WriteConfigBlock */
	NDIS_RULE_STATE,		/* a call the adapter's state does not allow */
	NDIS_RULE_HANDLE,		/* a handle that is not what the call takes */
	NDIS_RULE_COUNT
};

struct ndis_finding {
	enum ndis_rule rule;
	const char *id;		/* stable rule id, e.g. "NDIS-VF-CAPS" */
	const char *title;	/* one-line rule text */
	const char *doc;	/* the documentation page the rule comes from */
	char driver[48];	/* service name of the driver that broke it */
	char adapter[64];	/* adapter instance, "" if none */
	char evidence[320];	/* what was observed */
};

const char *ndis_rule_id(enum ndis_rule rule);
const char *ndis_rule_title(enum ndis_rule rule);
const char *ndis_rule_doc(enum ndis_rule rule);

/* Findings kept by the instance, oldest first. */
size_t ndis_framework_finding_count(const struct ndis_framework *fw);
const struct ndis_finding *ndis_framework_finding_at(const struct ndis_framework *fw, size_t i);
/* How many findings of one rule (tests, diagnose). */
size_t ndis_framework_findings_of(const struct ndis_framework *fw, enum ndis_rule rule);
void ndis_framework_clear_findings(struct ndis_framework *fw);

#endif /* IOVLAB_NDIS_VERIFIER_H */
