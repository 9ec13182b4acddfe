/*
 * The per-adapter registry tree (see registry.h): keys with case-insensitive
 * names, typed values. Small linear arrays -- an adapter key holds tens of
 * values, and lookups happen at initialization, not on the data path.
 */
#include "ndis/registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ndis_reg_key {
	char *name;
	struct ndis_reg_value *values;
	size_t n_values, cap_values;
	struct ndis_reg_key **subkeys;
	size_t n_subkeys, cap_subkeys;
};

static struct ndis_reg_key *key_new(const char *name, size_t len)
{
	struct ndis_reg_key *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->name = strndup(name, len);
	if (!k->name) {
		free(k);
		return NULL;
	}
	return k;
}

struct ndis_reg_key *ndis_reg_create(void)
{
	return key_new("", 0);
}

static void value_fini(struct ndis_reg_value *v)
{
	free(v->name);
	free(v->data);
}

void ndis_reg_destroy(struct ndis_reg_key *key)
{
	if (!key)
		return;
	for (size_t i = 0; i < key->n_values; i++)
		value_fini(&key->values[i]);
	for (size_t i = 0; i < key->n_subkeys; i++)
		ndis_reg_destroy(key->subkeys[i]);
	free(key->values);
	free(key->subkeys);
	free(key->name);
	free(key);
}

static struct ndis_reg_key *find_sub(const struct ndis_reg_key *key, const char *name, size_t len)
{
	for (size_t i = 0; i < key->n_subkeys; i++) {
		const char *n = key->subkeys[i]->name;
		if (strlen(n) == len && strncasecmp(n, name, len) == 0)
			return key->subkeys[i];
	}
	return NULL;
}

static struct ndis_reg_key *add_sub(struct ndis_reg_key *key, const char *name, size_t len)
{
	struct ndis_reg_key *sub;

	if (key->n_subkeys == key->cap_subkeys) {
		size_t cap = key->cap_subkeys ? key->cap_subkeys * 2 : 4;
		struct ndis_reg_key **n = realloc(key->subkeys, cap * sizeof(*n));
		if (!n)
			return NULL;
		key->subkeys = n;
		key->cap_subkeys = cap;
	}
	sub = key_new(name, len);
	if (!sub)
		return NULL;
	key->subkeys[key->n_subkeys++] = sub;
	return sub;
}

struct ndis_reg_key *ndis_reg_open(struct ndis_reg_key *key, const char *path, int create)
{
	const char *p = path;

	if (!key)
		return NULL;
	while (p && *p) {
		const char *sep = strchr(p, '\\');
		size_t len = sep ? (size_t)(sep - p) : strlen(p);
		struct ndis_reg_key *sub;

		if (len > 0) {
			sub = find_sub(key, p, len);
			if (!sub) {
				if (!create)
					return NULL;
				sub = add_sub(key, p, len);
				if (!sub)
					return NULL;
			}
			key = sub;
		}
		p = sep ? sep + 1 : NULL;
	}
	return key;
}

const struct ndis_reg_key *ndis_reg_open_const(const struct ndis_reg_key *key, const char *path)
{
	return ndis_reg_open((struct ndis_reg_key *)key, path, 0);
}

const char *ndis_reg_key_name(const struct ndis_reg_key *key)
{
	return key ? key->name : NULL;
}

static struct ndis_reg_value *find_value(const struct ndis_reg_key *key, const char *name)
{
	for (size_t i = 0; i < key->n_values; i++)
		if (strcasecmp(key->values[i].name, name) == 0)
			return &key->values[i];
	return NULL;
}

/* The slot for name: the existing value (cleared) or a new one. */
static struct ndis_reg_value *value_slot(struct ndis_reg_key *key, const char *name)
{
	struct ndis_reg_value *v = find_value(key, name ? name : "");
	char *n;

	if (v) {
		free(v->data);
		v->data = NULL;
		v->len = 0;
		v->dword = 0;
		return v;
	}
	if (key->n_values == key->cap_values) {
		size_t cap = key->cap_values ? key->cap_values * 2 : 8;
		struct ndis_reg_value *nv = realloc(key->values, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		key->values = nv;
		key->cap_values = cap;
	}
	n = strdup(name ? name : "");
	if (!n)
		return NULL;
	v = &key->values[key->n_values++];
	memset(v, 0, sizeof(*v));
	v->name = n;
	return v;
}

int ndis_reg_set_typed_sz(struct ndis_reg_key *key, const char *name,
			  enum ndis_reg_type type, const char *text, size_t len)
{
	struct ndis_reg_value *v;
	uint8_t *data;

	if (!key || (type != NDIS_REG_SZ && type != NDIS_REG_EXPAND_SZ && type != NDIS_REG_MULTI_SZ))
		return -EINVAL;
	/* +2: MULTI_SZ keeps its double terminator, SZ gets one more for safety. */
	data = malloc(len + 2);
	if (!data)
		return -ENOMEM;
	memcpy(data, text, len);
	data[len] = 0;
	data[len + 1] = 0;
	v = value_slot(key, name);
	if (!v) {
		free(data);
		return -ENOMEM;
	}
	v->type = type;
	v->data = data;
	v->len = len;
	return 0;
}

int ndis_reg_set_sz(struct ndis_reg_key *key, const char *name, const char *text)
{
	return ndis_reg_set_typed_sz(key, name, NDIS_REG_SZ, text, strlen(text));
}

int ndis_reg_set_dword(struct ndis_reg_key *key, const char *name, uint32_t value)
{
	struct ndis_reg_value *v;

	if (!key)
		return -EINVAL;
	v = value_slot(key, name);
	if (!v)
		return -ENOMEM;
	v->type = NDIS_REG_DWORD;
	v->dword = value;
	return 0;
}

int ndis_reg_set_binary(struct ndis_reg_key *key, const char *name, const void *data, size_t len)
{
	struct ndis_reg_value *v;
	uint8_t *copy;

	if (!key)
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	v = value_slot(key, name);
	if (!v) {
		free(copy);
		return -ENOMEM;
	}
	v->type = NDIS_REG_BINARY;
	v->data = copy;
	v->len = len;
	return 0;
}

const struct ndis_reg_value *ndis_reg_get(const struct ndis_reg_key *key, const char *name)
{
	if (!key)
		return NULL;
	return find_value(key, name ? name : "");
}

const struct ndis_reg_value *ndis_reg_value_at(const struct ndis_reg_key *key, size_t i)
{
	return key && i < key->n_values ? &key->values[i] : NULL;
}

const struct ndis_reg_key *ndis_reg_subkey_at(const struct ndis_reg_key *key, size_t i)
{
	return key && i < key->n_subkeys ? key->subkeys[i] : NULL;
}

struct ndis_reg_key *ndis_reg_clone(const struct ndis_reg_key *key)
{
	struct ndis_reg_key *c;

	if (!key)
		return NULL;
	c = key_new(key->name, strlen(key->name));
	if (!c)
		return NULL;
	for (size_t i = 0; i < key->n_values; i++) {
		const struct ndis_reg_value *v = &key->values[i];
		int rc;

		if (v->type == NDIS_REG_DWORD)
			rc = ndis_reg_set_dword(c, v->name, v->dword);
		else if (v->type == NDIS_REG_BINARY)
			rc = ndis_reg_set_binary(c, v->name, v->data, v->len);
		else
			rc = ndis_reg_set_typed_sz(c, v->name, v->type, (const char *)v->data, v->len);
		if (rc)
			goto fail;
	}
	for (size_t i = 0; i < key->n_subkeys; i++) {
		struct ndis_reg_key *sub = ndis_reg_clone(key->subkeys[i]);

		if (!sub)
			goto fail;
		if (c->n_subkeys == c->cap_subkeys) {
			size_t cap = c->cap_subkeys ? c->cap_subkeys * 2 : 4;
			struct ndis_reg_key **n = realloc(c->subkeys, cap * sizeof(*n));
			if (!n) {
				ndis_reg_destroy(sub);
				goto fail;
			}
			c->subkeys = n;
			c->cap_subkeys = cap;
		}
		c->subkeys[c->n_subkeys++] = sub;
	}
	return c;
fail:
	ndis_reg_destroy(c);
	return NULL;
}

int ndis_reg_parse_uint(const char *s, int hex_default, uint32_t *out)
{
	unsigned long long v = 0;
	int base = hex_default ? 16 : 10;
	int digits = 0;

	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		int d;

		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			break;
		v = v * (unsigned)base + (unsigned)d;
		if (v > 0xffffffffull)
			return -EINVAL;
		digits++;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!digits || *s)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ndis_reg_get_uint(const struct ndis_reg_key *key, const char *name, int hex, uint32_t *out)
{
	const struct ndis_reg_value *v = ndis_reg_get(key, name);

	if (!v)
		return -ENOENT;
	if (v->type == NDIS_REG_DWORD) {
		*out = v->dword;
		return 0;
	}
	if (v->type == NDIS_REG_SZ || v->type == NDIS_REG_EXPAND_SZ)
		return ndis_reg_parse_uint((const char *)v->data, hex, out);
	return -EINVAL;
}

char *ndis_reg_value_format(const struct ndis_reg_value *v, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = 0;
	if (!v)
		return buf;
	switch (v->type) {
	case NDIS_REG_DWORD:
		snprintf(buf, len, "%u", v->dword);
		break;
	case NDIS_REG_SZ:
	case NDIS_REG_EXPAND_SZ:
		snprintf(buf, len, "%s", (const char *)v->data);
		break;
	case NDIS_REG_MULTI_SZ:
		for (const char *s = (const char *)v->data; *s && off + 1 < len; s += strlen(s) + 1) {
			int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", s);
			if (n < 0)
				break;
			off += (size_t)n;
		}
		break;
	case NDIS_REG_BINARY:
		for (size_t i = 0; i < v->len && off + 3 < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%02x", i ? " " : "", v->data[i]);
		break;
	}
	return buf;
}
