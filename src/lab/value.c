/*
 * Value types of the lab file: text -> typed value (with the range and
 * flags of the key in schema.c), typed value -> canonical text (what
 * lab_dump() writes), and the move of a value into its struct field. Also
 * the small lexical helpers the loader shares: names, durations, script
 * step words and "did you mean" suggestions.
 *
 * The spellings are the ones a Hyper-V admin types: booleans as on/off,
 * true/false or $true/$false; sizes with PowerShell's binary KB/MB/GB; MACs
 * in both the VMNetworkAdapter (00155D0A1B01) and the NetAdapter
 * (00-15-5D-0A-1B-01) forms (tools-and-views.md 1.1); enums with their
 * PowerShell names, case-insensitively.
 */
#include "lab/lab_private.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ENUM fields are C enums stored through an int (see lab__value_store). */
_Static_assert(sizeof(enum lab_nic_model) == sizeof(int), "enum storage");
_Static_assert(sizeof(enum lab_vswitch_type) == sizeof(int), "enum storage");
_Static_assert(sizeof(enum lab_teaming) == sizeof(int), "enum storage");
_Static_assert(sizeof(enum lab_iov_moderation) == sizeof(int), "enum storage");

#define DRIVER_PATH_MAX 160
#define DURATION_MAX_MS (3600ULL * 1000)

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void lab__appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if (lab__is_control((unsigned char)*s))
			return true;
	return false;
}

/* Words with a meaning of their own where names go (switch = none, send vm1 peer ...). */
bool lab__name_reserved(const char *name)
{
	static const char *const words[] = { "none", "auto", "host", "peer" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(name, words[i]))
			return true;
	return false;
}

bool lab_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (lab__name_reserved(name))
		return false;
	if (n == 0 || n > LAB_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* Decimal or 0x-hex unsigned, no sign, no blanks. 0, -ERANGE or -EINVAL. */
static int parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
		base = 16;
		s += 2;
	} else if (!isdigit((unsigned char)s[0])) {
		return -EINVAL;
	}
	for (; base == 16 ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s); s++) {
		unsigned d = isdigit((unsigned char)*s) ? (unsigned)(*s - '0')
			     : (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -ERANGE;
		v = v * (unsigned)base + d;
	}
	*end = s;
	*out = v;
	return 0;
}

static void format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "TGMK";

	for (int i = 0; i < 4; i++) {
		uint64_t unit = 1ULL << (10 * (4 - i));
		if (v && v % unit == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v / unit, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}

static int parse_bool(const char *t, bool *out, char *err, size_t len)
{
	static const char *const yes[] = { "on", "true", "yes", "1", "$true" };
	static const char *const no[] = { "off", "false", "no", "0", "$false" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(t, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(t, no[i])) {
			*out = false;
			return 0;
		}
	}
	return fail(err, len, "'%s' is not a boolean (use true/false, on/off, yes/no or 1/0)", t);
}

static int parse_u32(const struct lab_key *k, const char *t, uint64_t *out,
		     char *err, size_t len)
{
	const char *end;
	uint64_t v;
	int rc = parse_u64(t, &end, &v);

	if (rc == -EINVAL || (rc == 0 && *end))
		return fail(err, len, "'%s' is not a whole number", t);
	if (rc == -ERANGE || v < k->min || v > k->max)
		return fail(err, len, "%s is out of range %" PRIu64 "..%" PRIu64, t, k->min, k->max);
	*out = v;
	return 0;
}

static int parse_size(const struct lab_key *k, const char *t, uint64_t *out,
		      char *err, size_t len)
{
	static const struct { const char *suffix; unsigned shift; } sfx[] = {
		{ "", 0 }, { "B", 0 },
		{ "K", 10 }, { "KB", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MB", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GB", 30 }, { "GiB", 30 },
		{ "T", 40 }, { "TB", 40 }, { "TiB", 40 },
	};
	char lo[24], hi[24];
	const char *end;
	uint64_t v;
	int rc;
	bool matched = false;

	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))	/* sizes are decimal */
		rc = -EINVAL;
	else
		rc = parse_u64(t, &end, &v);
	if (rc == -EINVAL)
		return fail(err, len, "'%s' is not a size (a number with an optional K, M, G or T)", t);
	format_size(k->min, lo, sizeof(lo));
	format_size(k->max, hi, sizeof(hi));
	if (rc == -ERANGE)
		return fail(err, len, "%s is out of range %s..%s", t, lo, hi);
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (!strcasecmp(end, sfx[i].suffix)) {
			if (v > (UINT64_MAX >> sfx[i].shift))
				return fail(err, len, "%s is out of range %s..%s", t, lo, hi);
			v <<= sfx[i].shift;
			matched = true;
			break;
		}
	}
	if (!matched)
		return fail(err, len, "'%s' is not a size (a number with an optional K, M, G or T)", t);
	if (v < k->min || v > k->max)
		return fail(err, len, "%s is out of range %s..%s", t, lo, hi);
	if ((k->flags & LAB_KF_POW2) && (v & (v - 1)))
		return fail(err, len, "%s is not a power of two", t);
	*out = v;
	return 0;
}

static void list_values(const struct lab_enum_value *vals, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; vals[i].name; i++)
		lab__appendf(buf, len, "%s%s", i ? ", " : "", vals[i].name);
}

static int parse_enum(const struct lab_key *k, const char *t, int *out, char *err, size_t len)
{
	struct lab__suggest sg;
	char list[160], hint[64];

	lab__suggest_init(&sg, t);
	for (size_t i = 0; k->values[i].name; i++) {
		if (!strcasecmp(t, k->values[i].name)) {
			*out = k->values[i].value;
			return 0;
		}
		lab__suggest_add(&sg, k->values[i].name, k->values[i].name);
	}
	list_values(k->values, list, sizeof(list));
	return fail(err, len, "'%s' is not one of %s%s", t, list,
		    lab__suggest_text(&sg, hint, sizeof(hint)));
}

static int parse_string(const struct lab_key *k, const char *t, char **out,
			char *err, size_t len)
{
	if (!*t && !(k->flags & LAB_KF_EMPTY_OK))
		return fail(err, len, "is empty");
	if (strlen(t) > k->max)
		return fail(err, len, "is longer than %" PRIu64 " characters", k->max);
	*out = strdup(t);
	return *out ? 0 : -ENOMEM;
}

static int parse_name(const struct lab_key *k, const char *t, char **out, char *err, size_t len)
{
	if ((k->flags & LAB_KF_NONE_OK) && !strcasecmp(t, "none")) {
		*out = NULL;
		return 0;
	}
	if (lab__name_reserved(t))
		return fail(err, len, "'%s' is a reserved word (none, auto, host, peer), not a name", t);
	if (!lab_name_valid(t))
		return fail(err, len, "'%s' is not a valid name (letters, digits, '_', '-', '.', "
			    "at most %d characters)", t, LAB_NAME_MAX);
	*out = strdup(t);
	return *out ? 0 : -ENOMEM;
}

bool lab_driver_is_path(const char *driver)
{
	size_t n;

	if (!driver)
		return false;
	n = strlen(driver);
	return strchr(driver, '/') || (n > 3 && !strcmp(driver + n - 3, ".so"));
}

static int parse_driver(const struct lab_key *k, const char *t, char **out,
			char *err, size_t len)
{
	struct lab__suggest sg;
	char list[96], hint[64];

	if ((k->flags & LAB_KF_NONE_OK) && !strcasecmp(t, "none")) {
		*out = NULL;
		return 0;
	}
	lab__suggest_init(&sg, t);
	for (size_t i = 0; k->values[i].name; i++) {
		if (!strcasecmp(t, k->values[i].name)) {
			*out = strdup(k->values[i].name);
			return *out ? 0 : -ENOMEM;
		}
		lab__suggest_add(&sg, k->values[i].name, k->values[i].name);
	}
	if (lab_driver_is_path(t)) {
		if (strlen(t) > DRIVER_PATH_MAX)
			return fail(err, len, "path is longer than %d characters", DRIVER_PATH_MAX);
		*out = strdup(t);
		return *out ? 0 : -ENOMEM;
	}
	if (k->flags & LAB_KF_NONE_OK)
		lab__suggest_add(&sg, "none", "none");
	list_values(k->values, list, sizeof(list));
	return fail(err, len, "'%s' is neither a built-in driver (%s%s) nor a path to a .so%s",
		    t, list, (k->flags & LAB_KF_NONE_OK) ? ", none" : "",
		    lab__suggest_text(&sg, hint, sizeof(hint)));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static int parse_mac(const struct lab_key *k, const char *t, struct lab_mac *out,
		     char *err, size_t len)
{
	size_t n = strlen(t);
	int step;

	memset(out, 0, sizeof(*out));
	if ((k->flags & LAB_KF_AUTO_OK) && !strcasecmp(t, "auto")) {
		out->is_auto = true;
		return 0;
	}
	if (n == 12) {
		step = 2;	/* 00155D0A1B01 */
	} else if (n == 17 && (t[2] == '-' || t[2] == ':')) {
		step = 3;	/* 00-15-5D-0A-1B-01, one separator throughout */
		for (int i = 5; i < 17; i += 3)
			if (t[i] != t[2])
				goto bad;
	} else {
		goto bad;
	}
	for (int i = 0; i < 6; i++) {
		int hi = hexval(t[i * step]), lo = hexval(t[i * step + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		out->b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (out->b[0] & 1)
		return fail(err, len, "%s is a multicast address; an adapter needs a unicast one", t);
	if (!(out->b[0] | out->b[1] | out->b[2] | out->b[3] | out->b[4] | out->b[5]))
		return fail(err, len, "%s is the all-zero address", t);
	return 0;
bad:
	return fail(err, len, "'%s' is not a MAC address (write 00155D0A1B01 or 00-15-5D-0A-1B-01)", t);
}

/* One dotted-quad part: 1-3 digits, no leading zero, <= 255. */
static const char *ipv4_part(const char *s, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	while (isdigit((unsigned char)s[n]) && n < 4)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (n == 0 || n > 3 || v > 255 || (n > 1 && s[0] == '0'))
		return NULL;
	*out = v;
	return s + n;
}

static int parse_ipv4(const struct lab_key *k, const char *t, struct lab_ipv4 *out,
		      char *err, size_t len)
{
	const char *s = t;
	uint32_t addr = 0, host;
	unsigned part, prefix;

	memset(out, 0, sizeof(*out));
	if ((k->flags & LAB_KF_NONE_OK) && !strcasecmp(t, "none"))
		return 0;
	for (int i = 0; i < 4; i++) {
		if (!(s = ipv4_part(s, &part)) || (i < 3 && *s++ != '.'))
			goto bad;
		addr = addr << 8 | part;
	}
	if (*s == '\0')
		return fail(err, len, "'%s' has no prefix length (write it as %s/24)", t, t);
	if (*s++ != '/' || !isdigit((unsigned char)*s) || (s[0] == '0' && s[1]) ||
	    (s[1] && (!isdigit((unsigned char)s[1]) || s[2])))
		goto bad;
	prefix = (unsigned)atoi(s);
	if (prefix > 32)
		goto bad;
	if ((addr >> 24) == 0 || (addr >> 24) == 127 || (addr >> 24) >= 224)
		return fail(err, len, "%s is not a unicast host address", t);
	host = prefix == 32 ? 0 : addr & (0xffffffffu >> prefix);
	if (prefix <= 30 && host == 0)
		return fail(err, len, "%s is the network address of its subnet, not a host", t);
	if (prefix <= 30 && host == (0xffffffffu >> prefix))
		return fail(err, len, "%s is the broadcast address of its subnet, not a host", t);
	out->is_set = true;
	out->addr = addr;
	out->prefix = (uint8_t)prefix;
	return 0;
bad:
	return fail(err, len, "'%s' is not an IPv4 address with prefix length (e.g. 10.0.0.21/24)", t);
}

static int parse_uplink(const char *t, struct lab_uplink *out, char *err, size_t len)
{
	const char *ifname = NULL;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!strcasecmp(t, "peer")) {
		out->kind = LAB_UPLINK_PEER;
		return 0;
	}
	if (!strcasecmp(t, "none")) {
		out->kind = LAB_UPLINK_NONE;
		return 0;
	}
	if (!strncasecmp(t, "tap:", 4)) {
		out->kind = LAB_UPLINK_TAP;
		ifname = t + 4;
	} else if (!strncasecmp(t, "veth:", 5)) {
		out->kind = LAB_UPLINK_VETH;
		ifname = t + 5;
	} else {
		return fail(err, len, "'%s' is not an uplink (peer, none, tap:IFNAME or veth:IFNAME)", t);
	}
	n = strlen(ifname);
	if (n == 0 || n >= sizeof(out->ifname))
		goto bad_if;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ifname[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			goto bad_if;
	}
	memcpy(out->ifname, ifname, n + 1);
	return 0;
bad_if:
	return fail(err, len, "'%s': the interface name must be 1 to 15 letters, digits, "
		    "'_', '-' or '.'", t);
}

int lab_value_parse(const struct lab_key *key, const char *text,
		    union lab_value *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (has_control(text))
		return fail(err, errlen, "contains a control character");
	if (!*text && key->type != LAB_T_STRING)
		return fail(err, errlen, "has no value");
	switch (key->type) {
	case LAB_T_BOOL:
		return parse_bool(text, &out->b, err, errlen);
	case LAB_T_U32:
		return parse_u32(key, text, &out->u, err, errlen);
	case LAB_T_SIZE:
		return parse_size(key, text, &out->u, err, errlen);
	case LAB_T_ENUM:
		return parse_enum(key, text, &out->e, err, errlen);
	case LAB_T_STRING:
		return parse_string(key, text, &out->s, err, errlen);
	case LAB_T_NAME:
		return parse_name(key, text, &out->s, err, errlen);
	case LAB_T_DRIVER:
		return parse_driver(key, text, &out->s, err, errlen);
	case LAB_T_MAC:
		return parse_mac(key, text, &out->mac, err, errlen);
	case LAB_T_IPV4:
		return parse_ipv4(key, text, &out->ip, err, errlen);
	case LAB_T_UPLINK:
		return parse_uplink(text, &out->uplink, err, errlen);
	case LAB_T_TEXT:
		if (strlen(text) > LAB_TEXT_MAX)
			return fail(err, errlen, "is longer than %d characters", LAB_TEXT_MAX);
		out->s = strdup(text);
		return out->s ? 0 : -ENOMEM;
	case LAB_T_STEP:
	case LAB_T_COUNT:
		break;
	}
	return fail(err, errlen, "cannot be set this way");
}

static bool type_owns_string(enum lab_type t)
{
	return t == LAB_T_STRING || t == LAB_T_NAME || t == LAB_T_DRIVER || t == LAB_T_TEXT;
}

void lab_value_fini(const struct lab_key *key, union lab_value *v)
{
	if (type_owns_string(key->type)) {
		free(v->s);
		v->s = NULL;
	}
}

int lab_value_format(const struct lab_key *key, const union lab_value *v,
		     char *buf, size_t len)
{
	const uint8_t *m = v->mac.b;
	char tmp[24];

	switch (key->type) {
	case LAB_T_BOOL:
		return snprintf(buf, len, "%s", v->b ? "true" : "false");
	case LAB_T_U32:
		return snprintf(buf, len, "%" PRIu64, v->u);
	case LAB_T_SIZE:
		format_size(v->u, tmp, sizeof(tmp));
		return snprintf(buf, len, "%s", tmp);
	case LAB_T_ENUM:
		for (size_t i = 0; key->values[i].name; i++)
			if (key->values[i].value == v->e)
				return snprintf(buf, len, "%s", key->values[i].name);
		return snprintf(buf, len, "%d", v->e);
	case LAB_T_STRING:
	case LAB_T_TEXT:
		return snprintf(buf, len, "%s", v->s ? v->s : "");
	case LAB_T_NAME:
	case LAB_T_DRIVER:
		return snprintf(buf, len, "%s", v->s ? v->s : "none");
	case LAB_T_MAC:
		if (v->mac.is_auto)
			return snprintf(buf, len, "auto");
		if (key->flags & LAB_KF_MAC_DASH)
			return snprintf(buf, len, "%02X-%02X-%02X-%02X-%02X-%02X",
					m[0], m[1], m[2], m[3], m[4], m[5]);
		return snprintf(buf, len, "%02X%02X%02X%02X%02X%02X",
				m[0], m[1], m[2], m[3], m[4], m[5]);
	case LAB_T_IPV4:
		if (!v->ip.is_set)
			return snprintf(buf, len, "none");
		return snprintf(buf, len, "%u.%u.%u.%u/%u", v->ip.addr >> 24,
				(v->ip.addr >> 16) & 0xff, (v->ip.addr >> 8) & 0xff,
				v->ip.addr & 0xff, v->ip.prefix);
	case LAB_T_UPLINK:
		switch (v->uplink.kind) {
		case LAB_UPLINK_NONE:
			return snprintf(buf, len, "none");
		case LAB_UPLINK_PEER:
			return snprintf(buf, len, "peer");
		case LAB_UPLINK_TAP:
			return snprintf(buf, len, "tap:%s", v->uplink.ifname);
		case LAB_UPLINK_VETH:
			return snprintf(buf, len, "veth:%s", v->uplink.ifname);
		}
		break;
	case LAB_T_STEP:
	case LAB_T_COUNT:
		break;
	}
	return snprintf(buf, len, "?");
}

/* Field storage. memcpy keeps the int-through-enum store free of aliasing. */
void lab__value_store(const struct lab_key *key, void *obj, union lab_value *v)
{
	char *p = (char *)obj + key->offset;
	uint32_t u32;
	char *old;

	switch (key->type) {
	case LAB_T_BOOL:
		memcpy(p, &v->b, sizeof(bool));
		break;
	case LAB_T_U32:
		u32 = (uint32_t)v->u;
		memcpy(p, &u32, sizeof(u32));
		break;
	case LAB_T_SIZE:
		memcpy(p, &v->u, sizeof(uint64_t));
		break;
	case LAB_T_ENUM:
		memcpy(p, &v->e, sizeof(int));
		break;
	case LAB_T_STRING:
	case LAB_T_NAME:
	case LAB_T_DRIVER:
		memcpy(&old, p, sizeof(old));
		free(old);
		memcpy(p, &v->s, sizeof(char *));
		v->s = NULL;
		break;
	case LAB_T_MAC:
		memcpy(p, &v->mac, sizeof(v->mac));
		break;
	case LAB_T_IPV4:
		memcpy(p, &v->ip, sizeof(v->ip));
		break;
	case LAB_T_UPLINK:
		memcpy(p, &v->uplink, sizeof(v->uplink));
		break;
	case LAB_T_TEXT:
	case LAB_T_STEP:
	case LAB_T_COUNT:
		break;
	}
}

void lab__value_load(const struct lab_key *key, const void *obj, union lab_value *v)
{
	const char *p = (const char *)obj + key->offset;
	uint32_t u32;

	memset(v, 0, sizeof(*v));
	switch (key->type) {
	case LAB_T_BOOL:
		memcpy(&v->b, p, sizeof(bool));
		break;
	case LAB_T_U32:
		memcpy(&u32, p, sizeof(u32));
		v->u = u32;
		break;
	case LAB_T_SIZE:
		memcpy(&v->u, p, sizeof(uint64_t));
		break;
	case LAB_T_ENUM:
		memcpy(&v->e, p, sizeof(int));
		break;
	case LAB_T_STRING:
	case LAB_T_NAME:
	case LAB_T_DRIVER:
		memcpy(&v->s, p, sizeof(char *));
		break;
	case LAB_T_MAC:
		memcpy(&v->mac, p, sizeof(v->mac));
		break;
	case LAB_T_IPV4:
		memcpy(&v->ip, p, sizeof(v->ip));
		break;
	case LAB_T_UPLINK:
		memcpy(&v->uplink, p, sizeof(v->uplink));
		break;
	case LAB_T_TEXT:
	case LAB_T_STEP:
	case LAB_T_COUNT:
		break;
	}
}

void lab__value_clear(const struct lab_key *key, void *obj)
{
	char *p = (char *)obj + key->offset, *old, *null = NULL;

	if (key->type != LAB_T_STRING && key->type != LAB_T_NAME && key->type != LAB_T_DRIVER)
		return;
	memcpy(&old, p, sizeof(old));
	free(old);
	memcpy(p, &null, sizeof(null));
}

bool lab__key_has_literal_default(const struct lab_key *key)
{
	return !(key->flags & (LAB_KF_DEF_INSTANCE | LAB_KF_DEF_ONLY | LAB_KF_DEF_FILE |
			       LAB_KF_CONVENTION | LAB_KF_MULTI));
}

int lab_duration_parse(const char *text, uint64_t *ms, char *err, size_t errlen)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const char *end;
	uint64_t v;

	if (!isdigit((unsigned char)text[0]) || parse_u64(text, &end, &v) ||
	    (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')))
		return fail(err, errlen, "'%s' is not a duration (e.g. 250ms, 5s, 2m)", text);
	if (!*end)
		return fail(err, errlen, "'%s' has no unit (write %ss or %sms)", text, text, text);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > DURATION_MAX_MS / units[i].ms)
			return fail(err, errlen, "%s is longer than 1h", text);
		*ms = v * units[i].ms;
		return 0;
	}
	return fail(err, errlen, "'%s' is not a duration (e.g. 250ms, 5s, 2m)", text);
}

/* --- suggestions ------------------------------------------------------- */

#define SUGGEST_MAX 64

static size_t normalize(const char *in, char *out)
{
	size_t n = 0;

	for (; *in && n < SUGGEST_MAX; in++)
		if (*in != '_' && *in != '-' && *in != '*')
			out[n++] = (char)tolower((unsigned char)*in);
	out[n] = '\0';
	return n;
}

/* Optimal string alignment distance (Levenshtein plus adjacent transposition). */
static int distance(const char *a, size_t na, const char *b, size_t nb)
{
	int d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	for (size_t i = 0; i <= na; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[na][nb];
}

void lab__suggest_init(struct lab__suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_dist = 3;	/* accept at most 2 edits */
}

void lab__suggest_add(struct lab__suggest *s, const char *candidate, const char *answer)
{
	char a[SUGGEST_MAX + 1], b[SUGGEST_MAX + 1];
	size_t na, nb;
	int d;

	if (strlen(s->word) > SUGGEST_MAX || strlen(candidate) > SUGGEST_MAX)
		return;
	na = normalize(s->word, a);
	nb = normalize(candidate, b);
	d = distance(a, na, b, nb);
	/* Two edits on a three-letter word is a different word, not a typo. */
	if (d < s->best_dist && (size_t)d * 2 <= (na > nb ? na : nb) && strcmp(s->word, answer)) {
		s->best = answer;
		s->best_dist = d;
	}
}

const char *lab__suggest_text(const struct lab__suggest *s, char *buf, size_t len)
{
	if (!s->best)
		return "";
	snprintf(buf, len, " (did you mean %s?)", s->best);
	return buf;
}

/* --- script steps ------------------------------------------------------ */

void lab__step_fini(struct lab_step *step)
{
	free(step->verb);
	if (step->argv)
		for (int i = 0; i < step->argc; i++)
			free(step->argv[i]);
	free(step->argv);
	memset(step, 0, sizeof(*step));
}

int lab__step_split(const char *text, struct lab_step *step, char *err, size_t errlen)
{
	char *words[LAB_VERB_MAX_ARGS + 1];
	int n = 0, rc = -EINVAL;
	const char *s = text;

	memset(step, 0, sizeof(*step));
	if (has_control(text))
		return fail(err, errlen, "contains a control character");
	if (strlen(text) > LAB_STEP_MAX)
		return fail(err, errlen, "is longer than %d characters", LAB_STEP_MAX);
	for (;;) {
		const char *start, *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == LAB_VERB_MAX_ARGS + 1) {
			fail(err, errlen, "has more than %d arguments", LAB_VERB_MAX_ARGS);
			goto out;
		}
		if (*s == '"') {
			start = ++s;
			end = strchr(s, '"');
			if (!end) {
				fail(err, errlen, "has a '\"' that is never closed");
				goto out;
			}
			if (end == start) {
				fail(err, errlen, "has an empty argument \"\"");
				goto out;
			}
			s = end + 1;
			if (*s && *s != ' ' && *s != '\t') {
				fail(err, errlen, "has text right after a closing '\"'");
				goto out;
			}
		} else {
			start = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '"')
				s++;
			end = s;
			if (*s == '"') {
				fail(err, errlen, "has a '\"' inside a word (quote whole words)");
				goto out;
			}
		}
		words[n] = strndup(start, (size_t)(end - start));
		if (!words[n]) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n == 0) {
		fail(err, errlen, "is empty (write a verb and its arguments)");
		goto out;
	}
	step->argv = calloc((size_t)n, sizeof(char *));
	if (!step->argv) {
		rc = -ENOMEM;
		goto out;
	}
	step->verb = words[0];
	for (int i = 1; i < n; i++)
		step->argv[i - 1] = words[i];
	step->argc = n - 1;
	step->argv[n - 1] = NULL;
	return 0;
out:
	for (int i = 0; i < n; i++)
		free(words[i]);
	return rc;
}
