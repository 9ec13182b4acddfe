/*
 * Private to src/ndis: the layouts of the framework's objects and the
 * cross-file internals (ndis__*). Every object a driver gets a handle to
 * (driver, adapter, configuration handle, protocol, binding, NBL pool, NBL)
 * is registered in the process-wide handle table (handle.c) so that the
 * api_*.c adapters can check a handle's kind before touching it -- a driver
 * passing its own context where NDIS wants the adapter handle is reported,
 * never dereferenced. Each object points to its framework instance, which is
 * how an exported Ndis* call finds the partition it belongs to.
 */
#ifndef IOVLAB_NDIS_INTERNAL_H
#define IOVLAB_NDIS_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <ndis/ndis.h>

#include "base/capture.h"
#include "base/log.h"
#include "ndis/bus.h"
#include "ndis/framework.h"
#include "ndis/inf.h"
#include "ndis/names.h"
#include "ndis/protocol.h"
#include "ndis/registry.h"
#include "ndis/verifier.h"

#define NDIS_LOG "lab.ndis"
#define NDIS_LOG_OID "lab.ndis.oid"
#define NDIS_LOG_VERIFIER "lab.ndis.verifier"
#define NDIS_LOG_DATA "lab.ndis.data"

/* ---- handle table (handle.c) --------------------------------------------- */
enum ndis_handle_kind {
	NDIS_H_NONE,
	NDIS_H_DRIVER,		/* NdisMiniportDriverHandle */
	NDIS_H_DRIVER_OBJECT,	/* the DRIVER_OBJECT passed to DriverEntry */
	NDIS_H_ADAPTER,		/* MiniportAdapterHandle */
	NDIS_H_CONFIG,		/* NdisOpenConfigurationEx handle */
	NDIS_H_PROTOCOL,	/* NdisProtocolHandle */
	NDIS_H_BIND_CONTEXT,	/* BindContext of ProtocolBindAdapterEx */
	NDIS_H_BINDING,		/* NdisBindingHandle */
	NDIS_H_UNBIND_CONTEXT,	/* UnbindContext of ProtocolUnbindAdapterEx */
	NDIS_H_NBL_POOL,
	NDIS_H_NBL,
	NDIS_H_MDL,
	NDIS_H_MEMORY,		/* NdisAllocateMemoryWithTagPriority block */
	NDIS_H_INTERRUPT,	/* NdisMRegisterInterruptEx handle */
};
int ndis__handle_add(const void *p, enum ndis_handle_kind kind);
void ndis__handle_remove(const void *p);
enum ndis_handle_kind ndis__handle_kind(const void *p);
/* The table's slots and live entries now (tests: churn must not grow it). */
void ndis__handle_table_size(size_t *capacity, size_t *live);
const char *ndis__handle_kind_name(enum ndis_handle_kind kind);

/* ---- the thread's current call into driver code (framework.c) ---------- */
struct ndis_call {
	struct ndis_framework *fw;
	struct ndis_driver *drv;
	struct ndis_adapter *ad;
	struct ndis_call *prev;
};
void ndis__call_enter(struct ndis_call *c, struct ndis_framework *fw, struct ndis_driver *drv,
		      struct ndis_adapter *ad);
void ndis__call_leave(struct ndis_call *c);
struct ndis_call *ndis__call_current(void);

/* ---- packages and drivers (driver.c) ------------------------------------ */
struct ndis_package {
	struct ndis_package *next;
	struct ndis_inf *inf;
	char *bindir;
};

enum ndis_driver_role { NDIS_DRIVER_UNREGISTERED, NDIS_DRIVER_MINIPORT, NDIS_DRIVER_PROTOCOL };

struct ndis_driver {
	struct ndis_framework *fw;
	struct ndis_driver *next;
	char name[48];			/* service name from the INF */
	char path[PATH_MAX];
	void *dl;
	const struct ndis_package *pkg;
	DRIVER_OBJECT drvobj;
	DRIVER_EXTENSION drvext;
	UNICODE_STRING regpath;
	WCHAR regpath_buf[128];
	bool in_driver_entry;
	enum ndis_driver_role role;
	NDIS_MINIPORT_DRIVER_CHARACTERISTICS mchars;
	NDIS_HANDLE driver_context;
	struct ndis_protocol *protocol;
	unsigned n_adapters;
	long mem_blocks;		/* NdisAllocateMemory* not yet freed */
};

/* Load (or find loaded) the service binary of an install section. */
int ndis__driver_get(struct ndis_framework *fw, const struct ndis_package *pkg,
		     const struct ndis_inf_install *inst, struct ndis_driver **out);
void ndis__driver_put(struct ndis_driver *drv);
void ndis__driver_unload(struct ndis_driver *drv);
/* Find the package and model serving id (exact, case-insensitive). */
const struct ndis_inf_model *ndis__find_model(struct ndis_framework *fw, const char *id,
					      const struct ndis_package **pkg);
/* Internal of NdisMRegisterMiniportDriver: 0, -EPERM (not in DriverEntry),
 * -EALREADY, -EPROTO (bad header/version), -ENOEXEC (missing handler). */
int ndis__driver_register_miniport(struct ndis_driver *drv, NDIS_HANDLE ctx,
				   const NDIS_MINIPORT_DRIVER_CHARACTERISTICS *ch);
void ndis__driver_deregister_miniport(struct ndis_driver *drv);

/* ---- adapters (adapter.c) ----------------------------------------------- */
struct ndis_oid_entry {
	NDIS_OID_REQUEST *req;
	struct ndis_issuer who;
	char who_name[32];
	ndis_oid_done_fn *done;
	void *ctx;
	bool at_miniport;
	bool in_handler;		/* inside MiniportOidRequest */
	bool completed_in_handler;	/* NdisMOidRequestComplete before the handler returned */
	uint32_t early_status;
	size_t record;			/* index into the adapter's OID records */
	struct ndis_oid_entry *next;
};

struct ndis_vf_entry {
	uint16_t vf_id;
	char owner[32];
	NDIS_NIC_SWITCH_VF_PARAMETERS params;
};

struct ndis_vport_entry {
	uint32_t id;
	char owner[32];
	NDIS_NIC_SWITCH_VPORT_PARAMETERS params;
};

struct ndis_filter_entry {
	uint32_t id;
	uint32_t vport;
	char owner[32];
	uint8_t *params;		/* NDIS_RECEIVE_FILTER_PARAMETERS + field array, as set */
	uint32_t params_len;
	uint32_t n_fields;
};


#define NDIS_OID_RECORDS_MAX 512

struct ndis_adapter {
	struct ndis_framework *fw;
	struct ndis_adapter *next;
	struct ndis_driver *drv;
	const struct ndis_package *pkg;
	const struct ndis_inf_model *model;
	char name[64];
	char hwid[200];
	enum ndis_adapter_state state;

	/* what the creator said about the device stack */
	const struct ndis_bus_ops *bus;
	void *bus_ctx;
	const struct ndis_vpci_ops *vpci;
	void *vpci_ctx;
	bool over_vbd;
	struct capture_point *capture;	/* ndis_adapter_set_capture(), NULL: not captured */
	void *pdo, *fdo, *next_device;

	/* registry and the reads made from it */
	struct ndis_reg_key *reg;
	char upper_range[128], lower_range[128];
	struct ndis_config_read *reads;
	size_t n_reads, cap_reads;

	/* per-initialization state */
	uint32_t init_status;
	bool halt_requested;
	bool stepping;			/* inside a halt step (adapter.c) */
	NDIS_HALT_ACTION halt_action;
	bool delete_switch_issued;
	bool surprise_removed;
	bool hypervisor_info_called;
	bool media_state_known;		/* a link-state indication since initialization (diagnose) */
	uint32_t media_state;		/* ... its NDIS_MEDIA_CONNECT_STATE */
	bool vpci_iface_valid;
	VPCI_INTERFACE_STANDARD vpci_iface;
	LUID pf_luid;
	NET_LUID net_luid;
	NET_IFINDEX ifindex;
	bool virt_enabled;
	uint16_t virt_num_vfs;

	/* attributes registered by the miniport */
	NDIS_HANDLE ctx;		/* MiniportAdapterContext */
	bool have_reg_attrs, have_gen_attrs;
	NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES reg_attrs;
	NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES gen_attrs;	/* pointers cleared */
	NDIS_OID *oid_list;
	size_t n_oids;
	bool has_hw_sriov, has_cur_sriov;
	NDIS_SRIOV_CAPABILITIES hw_sriov, cur_sriov;
	bool has_hw_switch, has_cur_switch;
	NDIS_NIC_SWITCH_CAPABILITIES hw_switch, cur_switch;
	bool has_hw_rcv, has_cur_rcv;
	NDIS_RECEIVE_FILTER_CAPABILITIES hw_rcv, cur_rcv;

	/* OID path (oid.c) */
	struct ndis_oid_entry *oid_current;
	struct ndis_oid_entry *oid_head, *oid_tail;
	struct ndis_oid_record *records;
	size_t n_records;
	size_t record_base;		/* sequence number of records[0] */

	/* NIC switch state NDIS caches (nicswitch.c) */
	bool switch_created;
	NDIS_NIC_SWITCH_PARAMETERS switch_params;
	struct ndis_vf_entry *vfs;
	size_t n_vfs, cap_vfs;
	struct ndis_vport_entry *vports;
	size_t n_vports, cap_vports;
	struct ndis_filter_entry *filters;
	size_t n_filters, cap_filters;
	uint32_t next_filter_id;

	/* NdisMMapIoSpace mappings not yet unmapped (api_io.c keeps the list) */
	unsigned n_maps;

	/* DMA memory and the interrupt (api_dma.c, api_interrupt.c) */
	struct ndis_shared_memory *shared;
	unsigned n_shared;
	struct ndis_interrupt *intr;

	/* bindings and NBLs (protocol.c, nbl.c) */
	struct ndis_binding *bindings;
	struct ndis_nbl_track *sends;		/* NBLs at the miniport */
	struct ndis_nbl_track *receives;	/* NBLs indicated, not yet returned to the miniport */
};

/* Halt: free what the miniport left allocated or registered, and say so. */
void ndis__dma_adapter_fini(struct ndis_adapter *ad);
void ndis__interrupt_adapter_fini(struct ndis_adapter *ad);
/* Deliver interrupt messages that arrived while the miniport was running. */
void ndis__interrupt_run_pending(struct ndis_adapter *ad);

int ndis__adapter_set_state(struct ndis_adapter *ad, enum ndis_adapter_state to);
/* Continue a halt or restart that waited for the miniport. */
void ndis__adapter_progress(struct ndis_adapter *ad);
/* Internals of NdisMPauseComplete / NdisMRestartComplete. */
int ndis__adapter_pause_complete(struct ndis_adapter *ad);
int ndis__adapter_restart_complete(struct ndis_adapter *ad, uint32_t status);
/* The adapter is expected to be a VF (INF binding ranges, vPCI bus, caps). */
bool ndis__adapter_is_vf(const struct ndis_adapter *ad);
bool ndis__adapter_is_pf(const struct ndis_adapter *ad);
/* Record an NdisReadConfiguration. */
void ndis__adapter_record_read(struct ndis_adapter *ad, const char *keyword, bool found, const char *value);
/* Interface name in a comma list ("ndis5,ndisvf"). */
bool ndis__range_has(const char *list, const char *name);
bool ndis__ranges_intersect(const char *a, const char *b);

/* ---- attributes (attributes.c) ------------------------------------------ */
/* Internal of NdisMSetMiniportAttributes: 0, -EPROTO (unknown type or
 * revision), -EINVAL (size or contents), -EPERM (wrong state/order), -ENOMEM. */
int ndis__adapter_set_attributes(struct ndis_adapter *ad, const NDIS_OBJECT_HEADER *attr);
/* Checks after a successful MiniportInitializeEx (role rules, OID list). */
void ndis__adapter_check_initialized(struct ndis_adapter *ad);
void ndis__adapter_clear_attributes(struct ndis_adapter *ad);

/* ---- configuration (config.c) ------------------------------------------- */
struct ndis_config {
	struct ndis_adapter *ad;	/* NULL for a driver-level handle */
	struct ndis_driver *drv;
	struct ndis_reg_key *key;
	char path[96];			/* subkey path from the driver key, for the read log */
	struct ndis_config *parent;
	struct ndis_config **children;
	size_t n_children;
	struct ndis_config_param *params;	/* returned NDIS_CONFIGURATION_PARAMETERs */
};
int ndis__config_open(struct ndis_adapter *ad, struct ndis_driver *drv, struct ndis_config **out);
int ndis__config_open_subkey(struct ndis_config *c, const char *name, struct ndis_config **out);
void ndis__config_close(struct ndis_config *c);
/* Read keyword as type; *out owned by c until close. 0, -ENOENT, -EINVAL. */
int ndis__config_read(struct ndis_config *c, const char *keyword, NDIS_PARAMETER_TYPE type,
		      NDIS_CONFIGURATION_PARAMETER **out);
int ndis__config_write(struct ndis_config *c, const char *keyword, const NDIS_CONFIGURATION_PARAMETER *p);
/* UTF-16 counted string -> ASCII (non-ASCII -> '?'); returns -EINVAL if NULL/too long. */
int ndis__ustr_to_ascii(const UNICODE_STRING *s, char *out, size_t len);

/* ---- OID path (oid.c) ---------------------------------------------------- */
/* Internal of NdisMOidRequestComplete. */
void ndis__oid_complete_from_miniport(struct ndis_adapter *ad, NDIS_OID_REQUEST *req, uint32_t status);
/* Abort everything queued or pending (teardown); reports never-completed. */
void ndis__oid_abort_all(struct ndis_adapter *ad, bool report);
bool ndis__oid_idle(const struct ndis_adapter *ad);
bool ndis__oid_in_list(const struct ndis_adapter *ad, uint32_t oid);
/* Length helpers for NDIS-answered OIDs. */
uint32_t ndis__oid_buffer_len(const NDIS_OID_REQUEST *r);
void *ndis__oid_buffer(const NDIS_OID_REQUEST *r);
void ndis__oid_set_needed(NDIS_OID_REQUEST *r, uint32_t n);
void ndis__oid_set_written(NDIS_OID_REQUEST *r, uint32_t n);
void ndis__oid_set_read(NDIS_OID_REQUEST *r, uint32_t n);

/* ---- NIC switch and SR-IOV state NDIS keeps (nicswitch.c) --------------- */
enum ndis_oid_route {
	NDIS_ROUTE_MINIPORT,	/* forward */
	NDIS_ROUTE_ANSWERED,	/* NDIS answered it; status set */
};
/* NDIS-answered OIDs and NDIS's pre-processing of forwarded SR-IOV OIDs. */
enum ndis_oid_route ndis__nicswitch_pre(struct ndis_adapter *ad, const struct ndis_issuer *who,
					NDIS_OID_REQUEST *req, uint32_t *status);
/* Cache updates after the miniport completed a forwarded SR-IOV OID. */
void ndis__nicswitch_post(struct ndis_adapter *ad, const struct ndis_issuer *who,
			  NDIS_OID_REQUEST *req, uint32_t status);
bool ndis__oid_is_ndis_only(uint32_t oid);
/* After initialization: NDIS creates the default switch (spec 2.3). */
void ndis__nicswitch_create(struct ndis_adapter *ad);
/* Before halt: NDIS deletes it (spec 2.18). 0 done, -EINPROGRESS pending. */
int ndis__nicswitch_delete(struct ndis_adapter *ad);
void ndis__nicswitch_clear(struct ndis_adapter *ad);
/* NDIS_NIC_SWITCH_INFO_ARRAY with the default switch (bind parameters); bytes or -ENOSPC. */
int ndis__nicswitch_info_array(struct ndis_adapter *ad, void *buf, size_t len);
/* The SR-IOV OIDs a PF must list in SupportedOidList ("P", spec 3.2). */
extern const uint32_t ndis__pf_mandatory_oids[];
extern const size_t ndis__pf_mandatory_oid_count;

/* ---- verifier (verifier.c) ---------------------------------------------- */
void ndis__finding(struct ndis_framework *fw, enum ndis_rule rule, const char *driver,
		   const char *adapter, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define ndis__adapter_finding(ad, rule, ...) \
	ndis__finding((ad)->fw, (rule), (ad)->drv ? (ad)->drv->name : "", (ad)->name, __VA_ARGS__)
#define ndis__driver_finding(drv, rule, ...) \
	ndis__finding((drv)->fw, (rule), (drv)->name, "", __VA_ARGS__)
void ndis__findings_free(struct ndis_framework *fw);

/* ---- framework (framework.c) -------------------------------------------- */
struct ndis_framework {
	char name[64];
	enum ndis_partition partition;
	struct ndis_package *packages;
	struct ndis_driver *drivers;
	struct ndis_adapter *adapters;
	struct ndis_protocol *protocols;
	const struct ndis_virt_ops *virt;
	void *virt_ctx;
	uint32_t next_ifindex;
	uint32_t next_luid;
	struct ndis_finding *findings;
	size_t n_findings, cap_findings;
	bool destroying;
};

/* The framework an exported call with no handle runs in (NdisGetHypervisorInfo):
 * the thread's current call, else the only live instance, else NULL. */
struct ndis_framework *ndis__framework_for_call(void);

/* ---- protocols, bindings and NBLs (protocol.c, nbl.c) ------------------- */
struct ndis_protocol {
	struct ndis_framework *fw;
	struct ndis_protocol *next;
	struct ndis_driver *drv;
	char name[64];			/* NDIS_PROTOCOL_DRIVER_CHARACTERISTICS.Name */
	char lower_range[128];		/* Ndi\Interfaces LowerRange of its INF */
	NDIS_PROTOCOL_DRIVER_CHARACTERISTICS chars;
	NDIS_HANDLE ctx;		/* ProtocolDriverContext */
	bool loaded;			/* ndis_protocol_load finished */
};

struct ndis_binding {
	struct ndis_binding *next;	/* in the adapter's list */
	struct ndis_protocol *proto;
	struct ndis_adapter *ad;
	enum ndis_binding_state state;
	uint32_t status;		/* decline status */
	bool opened;			/* NdisOpenAdapterEx succeeded, not closed */
	bool in_bind, bind_pended;
	bool in_unbind, unbind_pended, unbind_done;
	NDIS_HANDLE proto_ctx;		/* ProtocolBindingContext */
	char bind_token, unbind_token;	/* addresses used as BindContext / UnbindContext */
	NDIS_BIND_PARAMETERS bp;
	NDIS_STRING adapter_name;
	WCHAR adapter_name_buf[80];
	uint8_t switch_array[NDIS_SIZEOF_NIC_SWITCH_INFO_ARRAY_REVISION_1 + NDIS_SIZEOF_NIC_SWITCH_INFO_REVISION_1];
};

/* Where an NBL is, as NDIS tracks ownership (nbl.c). */
enum ndis_nbl_where {
	NDIS_NBL_OWNED,		/* with the driver that allocated it */
	NDIS_NBL_AT_MINIPORT,	/* sent, until NdisMSendNetBufferListsComplete */
	NDIS_NBL_INDICATED,	/* indicated, until every binding returned it */
};

#define NDIS_NBL_MAX_HOLDERS 8

struct ndis_nbl_track {
	enum ndis_nbl_where where;
	struct ndis_adapter *ad;
	struct ndis_binding *sender;
	struct ndis_binding *holders[NDIS_NBL_MAX_HOLDERS];
	unsigned n_holders;
	bool resources;			/* indicated with NDIS_RECEIVE_FLAGS_RESOURCES */
	struct ndis_nbl_track *prev, *next;	/* in the adapter's sends/receives */
};

void ndis__binding_close(struct ndis_binding *b, bool report);
int ndis__protocol_register(struct ndis_driver *drv, NDIS_HANDLE ctx,
			    const NDIS_PROTOCOL_DRIVER_CHARACTERISTICS *ch, struct ndis_protocol **out);
void ndis__protocol_deregister(struct ndis_protocol *p);
int ndis__binding_open(struct ndis_binding *b, struct ndis_protocol *p, NDIS_HANDLE ctx,
		       const NDIS_OPEN_PARAMETERS *op);
void ndis__binding_bind_complete(struct ndis_binding *b, uint32_t status);
void ndis__binding_unbind_complete(struct ndis_binding *b);
/* Sends, receives and returns (nbl.c), after the api layer checked handles. */
void ndis__nbl_send(struct ndis_binding *b, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG flags);
void ndis__nbl_send_complete(struct ndis_adapter *ad, PNET_BUFFER_LIST nbls, ULONG flags);
void ndis__nbl_indicate(struct ndis_adapter *ad, PNET_BUFFER_LIST nbls, NDIS_PORT_NUMBER port, ULONG n, ULONG flags);
void ndis__nbl_return(struct ndis_binding *b, PNET_BUFFER_LIST nbls, ULONG flags);
/* Release what a closing binding still holds (reported when report is set). */
void ndis__nbl_binding_closed(struct ndis_binding *b, bool report);
struct ndis_nbl_track *ndis__nbl_track(PNET_BUFFER_LIST nbl);
/* Pools and allocation; owner is the handle the pool was allocated with. */
void *ndis__nbl_pool_create(NDIS_HANDLE owner, const NET_BUFFER_LIST_POOL_PARAMETERS *p);
void ndis__nbl_pool_destroy(void *pool);
PNET_BUFFER_LIST ndis__nbl_alloc(void *pool, bool with_nb, PMDL chain, ULONG offset, SIZE_T length);
void ndis__nbl_free(PNET_BUFFER_LIST nbl);

void ndis__adapter_bind_all(struct ndis_adapter *ad);
/* 0 when every binding is closed, -EINPROGRESS while a protocol pends. */
int ndis__adapter_unbind_all(struct ndis_adapter *ad);
/* Teardown of a stuck binding: close it without the protocol. */
void ndis__adapter_force_unbind(struct ndis_adapter *ad);
void ndis__adapter_pnp_to_bindings(struct ndis_adapter *ad, NET_PNP_EVENT_CODE code);
void ndis__adapter_status_to_bindings(struct ndis_adapter *ad, NDIS_STATUS_INDICATION *ind);
void ndis__protocol_unload_all(struct ndis_framework *fw);
/* NBLs outstanding at the miniport (sends) when it says it is paused/halted. */
void ndis__nbl_check_quiesced(struct ndis_adapter *ad, const char *when);
void ndis__nbl_adapter_fini(struct ndis_adapter *ad);

/* ---- api_*.c helpers ----------------------------------------------------- */
/* The object behind handle h if it is of kind want, or NULL with an
 * NDIS-HANDLE finding naming fn and what h really is. */
void *ndis__api_handle(NDIS_HANDLE h, enum ndis_handle_kind want, const char *fn);
#define ndis__api_adapter(h, fn) ((struct ndis_adapter *)ndis__api_handle((h), NDIS_H_ADAPTER, (fn)))
#define ndis__api_binding(h, fn) ((struct ndis_binding *)ndis__api_handle((h), NDIS_H_BINDING, (fn)))
/* Map a lab -errno to the NDIS_STATUS an export returns (0 -> SUCCESS). */
NDIS_STATUS ndis__status_from_errno(int rc);
/* Unmap what a halted adapter left mapped. */
void ndis__io_unmap_all(struct ndis_adapter *ad);

/* ---- misc ---------------------------------------------------------------- */
size_t ndis__strlcpy(char *dst, const char *src, size_t len);
/* n ASCII bytes (NULs included) to UTF-16 in dst[cap], truncated, terminated; returns units copied. */
size_t ndis__ascii_to_utf16(WCHAR *dst, size_t cap, const char *src, size_t n);
/* A UNICODE_STRING over buf[cap] holding s. */
void ndis__ustr_set(UNICODE_STRING *u, WCHAR *buf, size_t cap, const char *s);
/* "OID_X (0x...)" into a static-per-thread buffer for log lines. */
const char *ndis__oid_str(uint32_t oid);
const char *ndis__status_str(uint32_t status);

#endif /* IOVLAB_NDIS_INTERNAL_H */
