/*
 * The Windows views of a running host (Get-VMHost, Get-VMSwitch,
 * Get-VMNetworkAdapter, Get-NetAdapterSriov, Get-NetAdapterSriovVf,
 * Get-NetAdapterVPort, Get-NetAdapterAdvancedProperty), each driven by ONE
 * property table per object (tools-and-views.md, "Recommendations"): a row
 * of the table names a PowerShell property, its type and whether the
 * cmdlet's default table or list shows it, and a getter that reads live
 * state -- the host's platform model, the virtualization stack, and NDIS's
 * own cache through the OIDs an overlying driver would issue. Every output
 * (Format-Table, Format-List, JSON) renders the same evaluated values, so
 * they cannot drift.
 *
 * Text follows PowerShell: True/False, arrays as {a, b}, $null as nothing,
 * VM MACs without separators and NetAdapter MACs with dashes (the getters
 * decide), numbers right-aligned in tables. JSON is what ConvertTo-Json
 * -EnumsAsStrings writes: keys are the property names, booleans and numbers
 * typed, enums as their names, $null as null.
 *
 * This header is private to src/views (the per-class files and the
 * renderers); the rest of the lab uses views.h.
 */
#ifndef IOVLAB_VIEWS_VIEW_H
#define IOVLAB_VIEWS_VIEW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "hv/host.h"

enum view_type {
	VIEW_BOOL,
	VIEW_INT,		/* Int32 */
	VIEW_UINT,		/* UInt16/32/64 */
	VIEW_FUNCTION,		/* a function id: "PF" for 0xFFFF in text, the number in JSON */
	VIEW_STRING,
	VIEW_ENUM,		/* a name from one of the catalogue's vocabularies */
	VIEW_STRINGS,		/* String[] / enum[] */
	VIEW_UINTS,		/* UInt32[] */
};

/* One evaluated property. Owns its strings (view_value_fini). */
struct view_value {
	enum view_type type;
	bool null;		/* $null */
	bool b;
	int64_t i;
	uint64_t u;
	char *s;
	char **sv;		/* STRINGS */
	uint64_t *uv;		/* UINTS */
	size_t n;
};

void view_value_fini(struct view_value *v);
void view_set_bool(struct view_value *v, bool b);
void view_set_int(struct view_value *v, int64_t i);
void view_set_uint(struct view_value *v, uint64_t u);
void view_set_function(struct view_value *v, uint16_t id);
void view_set_null(struct view_value *v);
__attribute__((format(printf, 2, 3))) void view_set_str(struct view_value *v, const char *fmt, ...);
void view_set_enum(struct view_value *v, const char *name);
/* An array (empty until items are added), of strings or numbers. */
void view_set_strings(struct view_value *v);
void view_add_string(struct view_value *v, const char *s);
void view_set_uints(struct view_value *v);
void view_add_uint(struct view_value *v, uint64_t u);

/* PowerShell text of a value (""/{}/True ...) into buf; returns buf. */
char *view_value_text(const struct view_value *v, char *buf, size_t len);
/* The JSON of a value; a new reference. */
json_t *view_value_json(const struct view_value *v);
bool view_value_numeric(const struct view_value *v);

/* MAC text: VM cmdlets "00155D0A1B01", NetAdapter cmdlets "00-15-5D-0A-1B-01". */
char *view_mac_vm(const uint8_t mac[6], char *buf, size_t len);
char *view_mac_net(const uint8_t mac[6], char *buf, size_t len);

struct view_ctx {
	struct hv_host *host;
};

/* Property flags. */
#define VIEW_TABLE 0x1u		/* a column of the cmdlet's default table */
#define VIEW_LIST 0x2u		/* in the cmdlet's default Format-List */
#define VIEW_GUEST 0x4u		/* only a running guest sets it (expect on it needs the guest side) */

struct view_prop {
	const char *name;	/* the PowerShell property: list label, JSON key, expect's PROPERTY */
	enum view_type type;
	unsigned flags;
	const char *label;	/* table header when the cmdlet's table renames it ("ID"), else NULL */
	void (*get)(const struct view_ctx *c, const void *obj, struct view_value *out);
};

enum view_format {
	VIEW_FORMAT_DEFAULT,
	VIEW_FORMAT_TABLE,
	VIEW_FORMAT_LIST,
};

/* The objects of one view, collected by its enumerate(). */
struct view_rows {
	size_t obj_size;
	size_t n, cap;
	unsigned char *objs;
};
/* Copy obj (obj_size bytes) in as the next object. 0 or -ENOMEM. */
int view_rows_add(struct view_rows *rows, const void *obj);
const void *view_rows_at(const struct view_rows *rows, size_t i);

struct view_class {
	const char *noun;		/* "VMNetworkAdapter": the cmdlet is Get-<noun> */
	const char *what;		/* one line for --help */
	const struct view_prop *props;
	size_t nprops;
	enum view_format format;	/* the cmdlet's default: TABLE or LIST */
	size_t obj_size;
	/* Collect the objects in the cmdlet's order. 0 or -errno. */
	int (*enumerate)(const struct view_ctx *c, struct view_rows *rows);
	/* Whether NAME (a positional argument, expect's OBJECT) names obj. */
	bool (*names)(const struct view_ctx *c, const void *obj, const char *name);
	/* Release what enumerate put in an object (may be NULL). */
	void (*release)(void *obj);
	/*
	 * A switch parameter of the cmdlet (Get-VMNetworkAdapter -ManagementOS),
	 * or NULL: given, only the objects whose bool property switch_prop is
	 * True are shown; not given, only those where it is False.
	 */
	const char *switch_param;
	const char *switch_prop;
};

extern const struct view_class view_vmhost, view_vmswitch, view_vmnetworkadapter, view_netadaptersriov,
	view_netadaptersriovvf, view_netadaptervport, view_netadapteradvancedproperty;

/* ---- evaluated views and renderers ----------------------------------------------- */
struct view_result {
	const struct view_class *cls;
	size_t nobjs;
	struct view_value *cells;	/* nobjs x cls->nprops */
	bool *selected;			/* per property: rendered */
	bool labels;			/* the default table: use the cmdlet's short headers */
};

const struct view_value *view_cell(const struct view_result *r, size_t obj, size_t prop);
void view_result_fini(struct view_result *r);

/* The three renderers over the same cells. width: where list values wrap. */
void view_render_table(FILE *out, const struct view_result *r);
void view_render_list(FILE *out, const struct view_result *r, unsigned width);
json_t *view_render_json(const struct view_result *r);

/* ---- the catalogue: every Windows word a view prints, once ----------------------- */
const char *view_iov_reason_text(enum hv_iov_reason r);
const char *view_sriov_support_name(enum hv_sriov_support s);
const char *view_op_status_name(enum vstack_op_status s);
const char *view_moderation_name(int ndis_or_cim_value);
const char *view_vport_state_name(int state);
const char *view_switch_type_name(int ndis_switch_type);
/* "SRIOV_SUPPORTED, PF_MINIPORT" for NDIS_SRIOV_CAPS_* bits; "None" for 0. */
char *view_sriov_caps_text(uint32_t caps, char *buf, size_t len);
/* The lab's own reasons for Get-VMSwitch IovSupportReasons beyond R1-R9 (docs/views.md). */
void view_switch_reasons(const struct view_ctx *c, const struct vswitch *sw, struct view_value *out);

/* ---- NDIS as an overlying driver reads it (ndisq.c) ------------------------------ */
/* Issuer of every view query, as the NetAdapter cmdlets' WMI provider. */
extern const struct ndis_issuer view_issuer;

/* The default NIC switch (ENUM_SWITCHES). 0, or -ENOENT when the adapter has none. */
int ndisq_switch(struct ndis_adapter *ad, NDIS_NIC_SWITCH_INFO *out);
/* Hardware or current NIC-switch / SR-IOV capabilities. 0, -ENOENT when not reported. */
int ndisq_switch_caps(struct ndis_adapter *ad, bool current, NDIS_NIC_SWITCH_CAPABILITIES *out);
int ndisq_sriov_caps(struct ndis_adapter *ad, bool current, NDIS_SRIOV_CAPABILITIES *out);
/* ENUM_VFS / ENUM_VPORTS: a malloc'd array (free()) and its count. 0 (n may be 0) or -errno. */
int ndisq_vfs(struct ndis_adapter *ad, NDIS_NIC_SWITCH_VF_INFO **out, size_t *n);
int ndisq_vports(struct ndis_adapter *ad, NDIS_NIC_SWITCH_VPORT_INFO **out, size_t *n);

/* A receive filter as the views show it (ENUM_FILTERS + RECEIVE_FILTER_PARAMETERS). */
struct ndisq_filter {
	uint32_t id;
	uint32_t vport;
	bool has_mac;
	uint8_t mac[6];
	bool has_vlan;
	uint16_t vlan;
};
int ndisq_filters(struct ndis_adapter *ad, struct ndisq_filter **out, size_t *n);
/* An IF_COUNTED_STRING as ASCII ('?' for anything else). */
char *ndisq_string(const NDIS_IF_COUNTED_STRING *s, char *buf, size_t len);

#endif /* IOVLAB_VIEWS_VIEW_H */
