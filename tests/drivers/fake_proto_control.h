/*
 * The control block of the fake protocol drivers (fake_protocol.c), exported
 * as "FakeProtoControl": knobs a test sets and what the protocol saw.
 */
#ifndef IOVLAB_TESTS_FAKE_PROTO_CONTROL_H
#define IOVLAB_TESTS_FAKE_PROTO_CONTROL_H

#include <ndis.h>

struct fake_proto_control {
	/* knobs */
	int hold_receives;		/* keep indicated NBLs (FakeProtoReturnHeld) */
	int pend_bind;			/* ProtocolBindAdapterEx pends (FakeProtoCompleteBind) */
	int pend_unbind;		/* ProtocolUnbindAdapterEx pends (FakeProtoCompleteUnbind) */

	/* what it saw */
	unsigned driver_entry_calls, unload_calls;
	NDIS_STATUS register_status;
	unsigned binds, unbinds, opens, closes;
	NDIS_STATUS open_status, bind_status, close_status;
	ULONG bound_sriov_caps;		/* BindParameters->SriovCapabilities, 0 if none */
	ULONG bound_switches;		/* BindParameters->NicSwitchArray->NumElements */
	USHORT bound_mac_length;
	NDIS_STATUS serial_status;	/* the VF edge's OID_SRIOV_VF_SERIAL_NUMBER */
	ULONG serial;
	unsigned receive_calls, received, last_receive_count;
	ULONG last_receive_flags;
	USHORT last_vport;
	UCHAR last_first_byte;
	unsigned sends_completed;
	NDIS_STATUS last_send_status;
	unsigned oid_completions;
	NDIS_STATUS last_oid_status;
	unsigned pnp_events, status_indications;
	NET_PNP_EVENT_CODE last_pnp;
	NDIS_STATUS last_indicated_status;
	PNET_BUFFER_LIST held;
	NDIS_HANDLE binding;
};

extern struct fake_proto_control FakeProtoControl;
void FakeProtoReset(void);
/* Send n NBLs (from the protocol's own pool) on the binding. */
void FakeProtoSend(unsigned n);
/* Send n NBLs tagged with a cancel id, then NdisCancelSendNetBufferLists(id). */
void FakeProtoSendTagged(unsigned n, PVOID CancelId);
void FakeProtoCancel(PVOID CancelId);
/* Return the receives it held. */
void FakeProtoReturnHeld(void);
/* Issue an OID request on the binding; the NdisOidRequest status. */
NDIS_STATUS FakeProtoOid(PNDIS_OID_REQUEST Request);
void FakeProtoCompleteBind(NDIS_STATUS Status);
void FakeProtoCompleteUnbind(void);

#endif
