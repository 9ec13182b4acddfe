/*
 * Protocols and bindings, lab-facing: loading a protocol driver package
 * (class NetTrans/NetService INF, DriverEntry -> NdisRegisterProtocolDriver),
 * and the binding table NDIS keeps between protocols and adapters. NDIS
 * offers a binding when the protocol's Ndi\Interfaces LowerRange shares an
 * interface name with the miniport's UpperRange (a protocol whose LowerRange
 * is "ndisvf" is offered only VF miniports, spec 1.5 / F23); the protocol
 * accepts with NdisOpenAdapterEx or declines by failing
 * ProtocolBindAdapterEx, and the decline status is kept for the views
 * ("Declined with NDIS_STATUS_NOT_SUPPORTED").
 */
#ifndef IOVLAB_NDIS_PROTOCOL_LAB_H
#define IOVLAB_NDIS_PROTOCOL_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ndis_framework;
struct ndis_adapter;
struct ndis_protocol;

enum ndis_binding_state {
	NDIS_BINDING_BINDING,	/* ProtocolBindAdapterEx called, not finished */
	NDIS_BINDING_BOUND,	/* opened and accepted */
	NDIS_BINDING_DECLINED,	/* ProtocolBindAdapterEx failed; status kept */
	NDIS_BINDING_UNBINDING,	/* ProtocolUnbindAdapterEx called, not finished */
	NDIS_BINDING_UNBOUND,	/* closed */
};
#define NDIS_BINDING_STATE_COUNT 5
const char *ndis_binding_state_name(enum ndis_binding_state s);
/* The transition table (docs/ndis/adapter-states.md, "Binding states"). */
bool ndis_binding_state_transition_allowed(enum ndis_binding_state from, enum ndis_binding_state to);

struct ndis_binding_info {
	const char *protocol;	/* registered protocol name (NDIS_PROTOCOL_DRIVER_CHARACTERISTICS.Name) */
	const char *adapter;
	enum ndis_binding_state state;
	uint32_t status;	/* the decline status (DECLINED) */
};

/*
 * Load the protocol package whose INF model is component_id (installed with
 * ndis_framework_install_inf), run its DriverEntry, and offer it every
 * adapter whose binding interfaces match. 0 and *out; -ENOENT, -ENOEXEC.
 */
int ndis_protocol_load(struct ndis_framework *fw, const char *component_id, struct ndis_protocol **out);
/* Unbind from every adapter and unload. NULL is a no-op. */
void ndis_protocol_unload(struct ndis_protocol *p);
const char *ndis_protocol_name(const struct ndis_protocol *p);
void *ndis_protocol_driver_symbol(const struct ndis_protocol *p, const char *symbol);

size_t ndis_adapter_binding_count(const struct ndis_adapter *ad);
/* 0 and *out (strings valid while the binding exists), -ENOENT past the end. */
int ndis_adapter_binding_at(const struct ndis_adapter *ad, size_t i, struct ndis_binding_info *out);
/* "Bound", "Declined with NDIS_STATUS_NOT_SUPPORTED", ... (ndiskd -bindings). */
char *ndis_binding_describe(const struct ndis_binding_info *b, char *buf, size_t len);

#endif /* IOVLAB_NDIS_PROTOCOL_LAB_H */
