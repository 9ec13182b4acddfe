/*
 * The host's parser of a guest's diagnose answer (guest_facts.h): jansson
 * reads the text (duplicate keys refused), then every object is walked
 * against its list of keys -- unknown keys, wrong types, numbers out of
 * range, strings too long or not printable, arrays longer than their rows
 * or than their *_total counts all refuse the answer. Nothing the guest
 * sends is trusted to be what guest_vm.c writes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "diag/guest_facts.h"

struct parse {
	char *why;
	size_t whylen;
	const char *where;	/* the object being read: "adapters[1]" */
	char where_buf[48];
};

__attribute__((format(printf, 2, 3))) static int bad(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->whylen) {
		n = snprintf(p->why, p->whylen, "%s: ", p->where);
		if (n < 0 || (size_t)n >= p->whylen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(p->why + n, p->whylen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Every key of o is one of keys (NULL-terminated). */
static int keys_known(struct parse *p, json_t *o, const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;

		(void)v;
		for (i = 0; keys[i] && strcmp(keys[i], k); i++)
			;
		if (!keys[i])
			return bad(p, "unknown key '%.40s'", k);
	}
	return 0;
}

static int get_uint(struct parse *p, json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(v))
		return bad(p, "'%s' is missing or not an integer", key);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return bad(p, "'%s' is out of range", key);
	*out = (uint64_t)i;
	return 0;
}

static int get_u32(struct parse *p, json_t *o, const char *key, uint32_t *out)
{
	uint64_t u;
	int rc = get_uint(p, o, key, UINT32_MAX, &u);

	*out = (uint32_t)u;
	return rc;
}

/* An integer or null: *has says which. */
static int get_opt_u32(struct parse *p, json_t *o, const char *key, bool *has, uint32_t *out)
{
	json_t *v = json_object_get(o, key);

	*has = false;
	*out = 0;
	if (json_is_null(v))
		return 0;
	*has = true;
	return get_u32(p, o, key, out);
}

static int get_bool(struct parse *p, json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return bad(p, "'%s' is missing or not a boolean", key);
	*out = json_is_true(v);
	return 0;
}

/* A string of at most len - 1 printable ASCII bytes (may be empty). */
static int get_str(struct parse *p, json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return bad(p, "'%s' is missing or not a string", key);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= len)
		return bad(p, "'%s' is longer than %zu bytes", key, len - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return bad(p, "'%s' is not printable ASCII", key);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

/* An array of at most max rows, each an object. */
static int get_rows(struct parse *p, json_t *o, const char *key, size_t max, json_t **out)
{
	json_t *a = json_object_get(o, key);

	if (!json_is_array(a))
		return bad(p, "'%s' is missing or not an array", key);
	if (json_array_size(a) > max)
		return bad(p, "'%s' has more than %zu rows", key, max);
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!json_is_object(json_array_get(a, i)))
			return bad(p, "'%s'[%zu] is not an object", key, i);
	*out = a;
	return 0;
}

static void enter(struct parse *p, const char *what, size_t i)
{
	snprintf(p->where_buf, sizeof(p->where_buf), "%s[%zu]", what, i);
	p->where = p->where_buf;
}

static int parse_binding(struct parse *p, json_t *o, struct diag_guest_binding *b)
{
	static const char *const keys[] = { "protocol", "state", "status", NULL };

	if (keys_known(p, o, keys) || get_str(p, o, "protocol", b->protocol, sizeof(b->protocol)) ||
	    get_str(p, o, "state", b->state, sizeof(b->state)) || get_u32(p, o, "status", &b->status))
		return -EBADMSG;
	if (!b->protocol[0] || !b->state[0])
		return bad(p, "a binding without protocol or state");
	return 0;
}

static int parse_serial_oid(struct parse *p, json_t *o, struct diag_guest_adapter *a)
{
	static const char *const keys[] = { "status", "by_ndis", "issuer", NULL };

	a->has_serial_oid = false;
	if (json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return bad(p, "'serial_oid' is neither an object nor null");
	if (keys_known(p, o, keys) || get_u32(p, o, "status", &a->serial_oid_status) ||
	    get_bool(p, o, "by_ndis", &a->serial_oid_by_ndis) ||
	    get_str(p, o, "issuer", a->serial_oid_issuer, sizeof(a->serial_oid_issuer)))
		return -EBADMSG;
	a->has_serial_oid = true;
	return 0;
}

static int parse_adapter(struct parse *p, json_t *o, size_t idx, struct diag_guest_adapter *a)
{
	static const char *const keys[] = { "name", "driver", "synthetic", "pnp", "state", "init_status", "hw_caps",
					    "cur_caps", "switch_caps", "rcv_filter_caps", "vmq_enabled",
					    "hypervisor_checked", "media_connect", "vpci", "serial", "over_vbd",
					    "iface_status", "serial_oid", "bindings", "bindings_total", NULL };
	json_t *rows;

	enter(p, "adapters", idx);
	if (keys_known(p, o, keys) || get_str(p, o, "name", a->name, sizeof(a->name)) ||
	    get_str(p, o, "driver", a->driver, sizeof(a->driver)) || get_bool(p, o, "synthetic", &a->synthetic) ||
	    get_bool(p, o, "pnp", &a->pnp) || get_str(p, o, "state", a->state, sizeof(a->state)) ||
	    get_u32(p, o, "init_status", &a->init_status) ||
	    get_opt_u32(p, o, "hw_caps", &a->has_hw_caps, &a->hw_caps) ||
	    get_opt_u32(p, o, "cur_caps", &a->has_cur_caps, &a->cur_caps) ||
	    get_bool(p, o, "switch_caps", &a->switch_caps) || get_bool(p, o, "rcv_filter_caps", &a->rcv_filter_caps) ||
	    get_bool(p, o, "vmq_enabled", &a->vmq_enabled) ||
	    get_bool(p, o, "hypervisor_checked", &a->hypervisor_checked) ||
	    get_u32(p, o, "media_connect", &a->media_connect) || get_bool(p, o, "vpci", &a->vpci) ||
	    get_u32(p, o, "serial", &a->serial) || get_bool(p, o, "over_vbd", &a->over_vbd) ||
	    get_opt_u32(p, o, "iface_status", &a->has_iface_status, &a->iface_status) ||
	    parse_serial_oid(p, json_object_get(o, "serial_oid"), a) ||
	    get_rows(p, o, "bindings", DIAG_GUEST_BINDINGS, &rows) ||
	    get_uint(p, o, "bindings_total", UINT32_MAX, &a->bindings_total))
		return -EBADMSG;
	if (!json_object_get(o, "serial_oid"))
		return bad(p, "'serial_oid' is missing");
	if (!a->name[0] || !a->state[0])
		return bad(p, "an adapter without name or state");
	a->nbindings = json_array_size(rows);
	if (a->bindings_total < a->nbindings)
		return bad(p, "'bindings_total' is below the rows given");
	for (size_t i = 0; i < a->nbindings; i++) {
		enter(p, "adapters[].bindings", i);
		if (parse_binding(p, json_array_get(rows, i), &a->bindings[i]))
			return -EBADMSG;
	}
	return 0;
}

static int parse_device(struct parse *p, json_t *o, size_t idx, struct diag_guest_device *d)
{
	static const char *const keys[] = { "hwid", "service", "state", "problem", "vbd_child", NULL };

	enter(p, "devices", idx);
	if (keys_known(p, o, keys) || get_str(p, o, "hwid", d->hwid, sizeof(d->hwid)) ||
	    get_str(p, o, "service", d->service, sizeof(d->service)) ||
	    get_str(p, o, "state", d->state, sizeof(d->state)) || get_u32(p, o, "problem", &d->problem) ||
	    get_bool(p, o, "vbd_child", &d->vbd_child))
		return -EBADMSG;
	if (!d->state[0])
		return bad(p, "a device without state");
	return 0;
}

static int parse_finding(struct parse *p, json_t *o, size_t idx, struct diag_guest_finding *f)
{
	static const char *const keys[] = { "rule", "driver", "adapter", "evidence", NULL };

	enter(p, "findings", idx);
	if (keys_known(p, o, keys) || get_str(p, o, "rule", f->rule, sizeof(f->rule)) ||
	    get_str(p, o, "driver", f->driver, sizeof(f->driver)) ||
	    get_str(p, o, "adapter", f->adapter, sizeof(f->adapter)) ||
	    get_str(p, o, "evidence", f->evidence, sizeof(f->evidence)))
		return -EBADMSG;
	if (!f->rule[0])
		return bad(p, "a finding without a rule id");
	return 0;
}

static int parse_netvsc(struct parse *p, json_t *o, struct diag_guest_facts *f)
{
	static const char *const keys[] = { "state", "link_up", "host_serial", "tx_synthetic", "tx_vf",
					    "switches", "associations", NULL };

	p->where = "netvsc";
	f->has_netvsc = false;
	if (json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return bad(p, "neither an object nor null");
	if (keys_known(p, o, keys) || get_str(p, o, "state", f->netvsc_state, sizeof(f->netvsc_state)) ||
	    get_bool(p, o, "link_up", &f->link_up) || get_u32(p, o, "host_serial", &f->host_serial) ||
	    get_uint(p, o, "tx_synthetic", INT64_MAX, &f->tx_synthetic) ||
	    get_uint(p, o, "tx_vf", INT64_MAX, &f->tx_vf) || get_uint(p, o, "switches", INT64_MAX, &f->switches) ||
	    get_uint(p, o, "associations", INT64_MAX, &f->associations))
		return -EBADMSG;
	f->has_netvsc = true;
	return 0;
}

static int parse_root(struct parse *p, json_t *root, struct diag_guest_facts *f)
{
	static const char *const keys[] = { "v", "netvsc", "vpci", "devices", "adapters", "adapters_total",
					    "findings", "findings_total", "traffic", NULL };
	static const char *const err_keys[] = { "v", "error", NULL };
	static const char *const vpci_keys[] = { "bus", "pdos", "sized_bars", NULL };
	static const char *const traffic_keys[] = { "tx_frames", "tx_completed", "tx_failed", NULL };
	json_t *devs, *ads, *fs, *o;
	uint64_t v;

	p->where = "answer";
	if (!json_is_object(root))
		return bad(p, "not a JSON object");
	if (get_uint(p, root, "v", UINT32_MAX, &v))
		return -EBADMSG;
	if (v != 1)
		return bad(p, "unknown version %llu", (unsigned long long)v);
	if (json_object_get(root, "error")) {
		if (keys_known(p, root, err_keys) || get_str(p, root, "error", f->error, sizeof(f->error)))
			return -EBADMSG;
		f->has_error = true;
		return 0;
	}
	if (keys_known(p, root, keys) || parse_netvsc(p, json_object_get(root, "netvsc"), f))
		return -EBADMSG;
	if (!json_object_get(root, "netvsc"))
		return bad(p, "'netvsc' is missing");
	p->where = "vpci";
	o = json_object_get(root, "vpci");
	if (!json_is_object(o))
		return bad(p, "missing or not an object");
	if (keys_known(p, o, vpci_keys) || get_bool(p, o, "bus", &f->vpci_bus) ||
	    get_uint(p, o, "pdos", UINT32_MAX, &f->pdos) ||
	    get_opt_u32(p, o, "sized_bars", &f->has_sized_bars, &f->sized_bars))
		return -EBADMSG;
	if (!json_object_get(o, "sized_bars"))
		return bad(p, "'sized_bars' is missing");
	p->where = "traffic";
	o = json_object_get(root, "traffic");
	if (!json_is_object(o))
		return bad(p, "missing or not an object");
	if (keys_known(p, o, traffic_keys) || get_uint(p, o, "tx_frames", INT64_MAX, &f->tx_frames) ||
	    get_uint(p, o, "tx_completed", INT64_MAX, &f->tx_completed) ||
	    get_uint(p, o, "tx_failed", INT64_MAX, &f->tx_failed))
		return -EBADMSG;
	p->where = "answer";
	if (get_rows(p, root, "devices", DIAG_GUEST_DEVICES, &devs) ||
	    get_rows(p, root, "adapters", DIAG_GUEST_ADAPTERS, &ads) ||
	    get_rows(p, root, "findings", DIAG_GUEST_FINDINGS, &fs) ||
	    get_uint(p, root, "adapters_total", UINT32_MAX, &f->adapters_total) ||
	    get_uint(p, root, "findings_total", UINT32_MAX, &f->findings_total))
		return -EBADMSG;
	f->ndevices = json_array_size(devs);
	f->nadapters = json_array_size(ads);
	f->nfindings = json_array_size(fs);
	if (f->adapters_total < f->nadapters || f->findings_total < f->nfindings)
		return bad(p, "a *_total is below the rows given");
	for (size_t i = 0; i < f->ndevices; i++)
		if (parse_device(p, json_array_get(devs, i), i, &f->devices[i]))
			return -EBADMSG;
	for (size_t i = 0; i < f->nadapters; i++)
		if (parse_adapter(p, json_array_get(ads, i), i, &f->adapters[i]))
			return -EBADMSG;
	for (size_t i = 0; i < f->nfindings; i++)
		if (parse_finding(p, json_array_get(fs, i), i, &f->findings[i]))
			return -EBADMSG;
	return 0;
}

int diag_guest_facts_parse(const char *text, size_t len, struct diag_guest_facts *out, char *why, size_t whylen)
{
	struct parse p = { .why = why, .whylen = whylen, .where = "answer" };
	json_error_t err;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (why && whylen)
		why[0] = '\0';
	if (!text || !len)
		return bad(&p, "empty");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return bad(&p, "not JSON: %s (offset %d)", err.text, err.position);
	rc = parse_root(&p, root, out);
	json_decref(root);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}
