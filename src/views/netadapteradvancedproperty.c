/*
 * Get-NetAdapterAdvancedProperty (tools-and-views.md 1.6): the keywords a
 * PF's INF puts on the Advanced page (Ndi\params\<keyword>: ParamDesc, type,
 * enum texts) with the value in the adapter's registry now
 * (ndis_adapter_get_keyword), so a [keywords] override or a script's
 * `set keywords` shows here. RegistryValue is an array, as the cmdlet prints
 * it ({1}). Hidden keywords (*SriovPreferred, NicSwitches\0) are not on the
 * Advanced page and not listed, as without -AllProperties.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "views/view.h"

struct adv_obj {
	struct hv_nic *nic;
	char keyword[64];
	char display_name[128];
	char value[128];
	char display_value[128];
};

#define ADV(o) ((const struct adv_obj *)(o))

static void p_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", hv_nic_name(ADV(o)->nic));
}

static void p_desc(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", hv_nic_description(ADV(o)->nic));
}

static void p_display_name(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", ADV(o)->display_name);
}

static void p_display_value(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", ADV(o)->display_value);
}

static void p_keyword(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_str(v, "%s", ADV(o)->keyword);
}

static void p_value(const struct view_ctx *c, const void *o, struct view_value *v)
{
	(void)c;
	view_set_strings(v);
	view_add_string(v, ADV(o)->value);
}

static const struct view_prop props[] = {
	{ "Name", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_name },
	{ "InterfaceDescription", VIEW_STRING, VIEW_LIST, NULL, p_desc },
	{ "DisplayName", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_display_name },
	{ "DisplayValue", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_display_value },
	{ "RegistryKeyword", VIEW_STRING, VIEW_TABLE | VIEW_LIST, NULL, p_keyword },
	{ "RegistryValue", VIEW_STRINGS, VIEW_TABLE | VIEW_LIST, NULL, p_value },
};

#define PARAMS "Ndi\\params\\"

/* The text of AddReg value `name` under subkey, or NULL. */
static const char *addreg_text(const struct ndis_inf_install *in, const char *subkey, const char *name)
{
	for (size_t i = 0; i < in->n_addreg; i++) {
		const struct ndis_inf_addreg *a = &in->addreg[i];
		if (!a->keyonly && a->text && !strcasecmp(a->subkey, subkey) && !strcasecmp(a->name, name))
			return a->text;
	}
	return NULL;
}

static int enumerate(const struct view_ctx *c, struct view_rows *rows)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < hv_host_nic_count(c->host); i++) {
		struct hv_nic *nic = hv_host_nic_at(c->host, i);
		const struct ndis_inf_model *m = hv_nic_inf_model(nic);
		const struct ndis_inf_install *in = m ? m->install : NULL;

		if (!in || !hv_nic_adapter(nic))
			continue;
		for (size_t k = 0; !rc && k < in->n_addreg; k++) {
			const struct ndis_inf_addreg *a = &in->addreg[k];
			const char *kw, *text;
			char enum_key[160];
			struct adv_obj o;

			/* One keyword per Ndi\params\<kw> ParamDesc, in INF order. */
			if (strncasecmp(a->subkey, PARAMS, strlen(PARAMS)) || strcasecmp(a->name, "ParamDesc") || !a->text)
				continue;
			kw = a->subkey + strlen(PARAMS);
			if (strchr(kw, '\\'))
				continue;
			memset(&o, 0, sizeof(o));
			o.nic = nic;
			snprintf(o.keyword, sizeof(o.keyword), "%s", kw);
			snprintf(o.display_name, sizeof(o.display_name), "%s", a->text);
			if (ndis_adapter_get_keyword(hv_nic_adapter(nic), kw, o.value, sizeof(o.value)))
				o.value[0] = 0;
			snprintf(enum_key, sizeof(enum_key), "%s\\enum", a->subkey);
			text = addreg_text(in, enum_key, o.value);
			snprintf(o.display_value, sizeof(o.display_value), "%s", text ? text : o.value);
			rc = view_rows_add(rows, &o);
		}
	}
	return rc;
}

static bool names(const struct view_ctx *c, const void *o, const char *name)
{
	(void)c;
	return !strcasecmp(name, hv_nic_name(ADV(o)->nic));
}

const struct view_class view_netadapteradvancedproperty = {
	.noun = "NetAdapterAdvancedProperty",
	.what = "each PF's Advanced-page keywords and their registry values (*SRIOV, *VMQ ...)",
	.props = props,
	.nprops = sizeof(props) / sizeof(props[0]),
	.format = VIEW_FORMAT_TABLE,
	.obj_size = sizeof(struct adv_obj),
	.enumerate = enumerate,
	.names = names,
};
