/*
 * Configuration handles (NdisOpenConfigurationEx, NdisOpenConfigurationKeyByName,
 * NdisReadConfiguration, NdisWriteConfiguration, NdisCloseConfiguration) over
 * the adapter's registry tree. Reads convert the way NDIS converts: an
 * NdisParameterInteger read of a REG_SZ "1" is 1, NdisParameterHexInteger
 * reads its digits as hex, strings come back as UTF-16 counted strings. Every
 * read -- found or not -- is recorded on the adapter with its subkey path:
 * the verifier's evidence that a VF read *SRIOV, and the view of which
 * keywords a miniport looks at. Parameter values a read returns stay valid
 * until the handle (or its root) is closed, as in NDIS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndis/internal.h"

struct ndis_config_param {
	struct ndis_config_param *next;
	NDIS_CONFIGURATION_PARAMETER p;
	WCHAR *buf;
};

int ndis__ustr_to_ascii(const UNICODE_STRING *s, char *out, size_t len)
{
	size_t n;

	if (!s || !out || !len || (s->Length && !s->Buffer) || s->Length % 2)
		return -EINVAL;
	n = s->Length / sizeof(WCHAR);
	if (n >= len)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++) {
		WCHAR c = s->Buffer[i];
		out[i] = c > 0 && c < 0x80 ? (char)c : '?';
	}
	out[n] = 0;
	return 0;
}

static struct ndis_config *config_new(struct ndis_adapter *ad, struct ndis_driver *drv,
				      struct ndis_reg_key *key, const char *path)
{
	struct ndis_config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ad = ad;
	c->drv = drv;
	c->key = key;
	ndis__strlcpy(c->path, path, sizeof(c->path));
	if (ndis__handle_add(c, NDIS_H_CONFIG)) {
		free(c);
		return NULL;
	}
	return c;
}

int ndis__config_open(struct ndis_adapter *ad, struct ndis_driver *drv, struct ndis_config **out)
{
	struct ndis_config *c;

	if (!ad)
		return -ENOTSUP;	/* driver-level (service Parameters) keys are not modelled */
	c = config_new(ad, drv, ad->reg, "");
	if (!c)
		return -ENOMEM;
	*out = c;
	return 0;
}

int ndis__config_open_subkey(struct ndis_config *c, const char *name, struct ndis_config **out)
{
	struct ndis_reg_key *k = ndis_reg_open(c->key, name, 0);
	struct ndis_config *sub, **n;
	char path[256];

	if (!k)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s%s%s", c->path, c->path[0] ? "\\" : "", name);
	sub = config_new(c->ad, c->drv, k, path);
	if (!sub)
		return -ENOMEM;
	n = realloc(c->children, (c->n_children + 1) * sizeof(*n));
	if (!n) {
		ndis__handle_remove(sub);
		free(sub);
		return -ENOMEM;
	}
	c->children = n;
	c->children[c->n_children++] = sub;
	sub->parent = c;
	*out = sub;
	return 0;
}

static void config_free(struct ndis_config *c)
{
	struct ndis_config_param *p, *next;

	for (size_t i = 0; i < c->n_children; i++)
		config_free(c->children[i]);
	free(c->children);
	for (p = c->params; p; p = next) {
		next = p->next;
		free(p->buf);
		free(p);
	}
	ndis__handle_remove(c);
	free(c);
}

void ndis__config_close(struct ndis_config *c)
{
	if (c->parent) {
		struct ndis_config *parent = c->parent;
		for (size_t i = 0; i < parent->n_children; i++)
			if (parent->children[i] == c) {
				parent->children[i] = parent->children[--parent->n_children];
				break;
			}
	}
	config_free(c);
}

static struct ndis_config_param *param_new(struct ndis_config *c)
{
	struct ndis_config_param *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->next = c->params;
	c->params = p;
	return p;
}

static int to_utf16(struct ndis_config_param *p, const char *s, size_t n_bytes, bool multi)
{
	size_t n = n_bytes + (multi ? 2 : 1);

	p->buf = calloc(n, sizeof(WCHAR));
	if (!p->buf)
		return -ENOMEM;
	ndis__ascii_to_utf16(p->buf, n, s, n_bytes);	/* MULTI_SZ's inner NULs included */
	p->p.ParameterData.StringData.Buffer = p->buf;
	p->p.ParameterData.StringData.Length = (USHORT)((multi ? n_bytes + 1 : n_bytes) * sizeof(WCHAR));
	p->p.ParameterData.StringData.MaximumLength = (USHORT)(n * sizeof(WCHAR));
	return 0;
}

int ndis__config_read(struct ndis_config *c, const char *keyword, NDIS_PARAMETER_TYPE type,
		      NDIS_CONFIGURATION_PARAMETER **out)
{
	const struct ndis_reg_value *v = ndis_reg_get(c->key, keyword);
	struct ndis_config_param *p;
	char full[160], text[64];
	int rc = 0;

	snprintf(full, sizeof(full), "%s%s%s", c->path, c->path[0] ? "\\" : "", keyword);
	if (c->ad)
		ndis__adapter_record_read(c->ad, full, v != NULL, v ? ndis_reg_value_format(v, text, sizeof(text)) : NULL);
	if (!v)
		return -ENOENT;
	p = param_new(c);
	if (!p)
		return -ENOMEM;
	switch (type) {
	case NdisParameterInteger:
	case NdisParameterHexInteger: {
		uint32_t u;

		if (v->type == NDIS_REG_DWORD)
			u = v->dword;
		else if ((v->type != NDIS_REG_SZ && v->type != NDIS_REG_EXPAND_SZ) ||
			 ndis_reg_parse_uint((const char *)v->data, type == NdisParameterHexInteger, &u))
			return -EINVAL;
		p->p.ParameterType = type;
		p->p.ParameterData.IntegerData = u;
		break;
	}
	case NdisParameterString:
	case NdisParameterMultiString:
		if (v->type == NDIS_REG_DWORD) {
			/* NDIS hands back a REG_DWORD as an integer whatever was asked. */
			p->p.ParameterType = NdisParameterInteger;
			p->p.ParameterData.IntegerData = v->dword;
			break;
		}
		if (v->type == NDIS_REG_BINARY)
			return -EINVAL;
		p->p.ParameterType = v->type == NDIS_REG_MULTI_SZ ? NdisParameterMultiString : NdisParameterString;
		rc = to_utf16(p, (const char *)v->data, v->len, v->type == NDIS_REG_MULTI_SZ);
		break;
	case NdisParameterBinary:
		if (v->type != NDIS_REG_BINARY)
			return -EINVAL;
		p->p.ParameterType = NdisParameterBinary;
		p->p.ParameterData.BinaryData.Length = (USHORT)v->len;
		p->p.ParameterData.BinaryData.Buffer = v->data;
		break;
	default:
		return -EINVAL;
	}
	if (rc)
		return rc;
	*out = &p->p;
	return 0;
}

int ndis__config_write(struct ndis_config *c, const char *keyword, const NDIS_CONFIGURATION_PARAMETER *p)
{
	char text[512];

	switch (p->ParameterType) {
	case NdisParameterInteger:
	case NdisParameterHexInteger:
		return ndis_reg_set_dword(c->key, keyword, p->ParameterData.IntegerData);
	case NdisParameterString:
		if (ndis__ustr_to_ascii(&p->ParameterData.StringData, text, sizeof(text)))
			return -EINVAL;
		return ndis_reg_set_sz(c->key, keyword, text);
	case NdisParameterBinary:
		return ndis_reg_set_binary(c->key, keyword, p->ParameterData.BinaryData.Buffer,
					   p->ParameterData.BinaryData.Length);
	default:
		return -EINVAL;
	}
}
