/*
 * [fault] sections for the host (faults.h): the checks of every known key,
 * the target rules, the armed state the script changes, and the lookups
 * host.c makes where each mechanism lives (docs/faults.md). No fault is
 * applied here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hv/faults.h"
#include "ndis/names.h"

const char *const hv_fault_pf_driver_variants[] = { "no-sriov", "prefers-vmq", "bad-probed-bars", "bad-attr-header",
						    NULL };
const char *const hv_fault_vf_driver_variants[] = { "no-vf-caps", "advertises-vmq", "skips-hypervisor-info",
						    "bus-data-over-vbd", "bad-attr-header", NULL };
const char *const hv_fault_pf_inf_variants[] = { "no-pcisriov-needs", "no-sriov-keywords", NULL };
const char *const hv_fault_vf_inf_variants[] = { "no-ndisvf-range", NULL };

/* Which objects a key can apply to. */
enum {
	ON_NIC = 1u << 0,
	ON_VM = 1u << 1,	/* a vm or one of its adapters */
};

static const struct {
	const char *name;
	unsigned on;
	bool live;
} kinds[HV_FAULT_KIND_COUNT] = {
	[HV_FAULT_PF_FAIL_OID] = { "pf_fail_oid", ON_NIC, true },
	[HV_FAULT_PF_DRIVER_VARIANT] = { "pf_driver_variant", ON_NIC, false },
	[HV_FAULT_PF_INF_VARIANT] = { "pf_inf_variant", ON_NIC, false },
	[HV_FAULT_VF_DRIVER_VARIANT] = { "vf_driver_variant", ON_VM, false },
	[HV_FAULT_VF_INF_VARIANT] = { "vf_inf_variant", ON_VM, false },
	[HV_FAULT_VMBUS_OFFER_DELAY] = { "vmbus_offer_delay", ON_VM, false },
	[HV_FAULT_VF_LINK] = { "vf_link", ON_VM | ON_NIC, true },
	[HV_FAULT_VF_VLAN_LIMIT] = { "vf_vlan_limit", ON_NIC, false },
	[HV_FAULT_PNP_RACE] = { "pnp_race", ON_NIC | ON_VM, false },
};

struct hv_faults {
	const struct lab *lab;
	bool *armed;
};

const char *hv_fault_kind_name(enum hv_fault_kind k)
{
	return (unsigned)k < HV_FAULT_KIND_COUNT ? kinds[k].name : NULL;
}

int hv_fault_kind_find(const char *key)
{
	for (int k = 0; k < HV_FAULT_KIND_COUNT; k++)
		if (!strcasecmp(key, kinds[k].name))
			return k;
	return -1;
}

bool hv_fault_kind_live(enum hv_fault_kind k)
{
	return (unsigned)k < HV_FAULT_KIND_COUNT && kinds[k].live;
}

static bool in_list(const char *const *list, const char *v)
{
	for (; *list; list++)
		if (!strcasecmp(*list, v))
			return true;
	return false;
}

static void list_names(const char *const *list, char *out, size_t len)
{
	size_t at = 0;

	out[0] = 0;
	for (; *list && at < len; list++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", at ? ", " : "", *list);
}

/* A number in 0x hex or decimal, the whole text; 0 or -EINVAL. */
static int parse_u32(const char *t, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*t || !isdigit((unsigned char)*t))
		return -EINVAL;
	errno = 0;
	v = strtoull(t, &end, 0);
	if (errno || *end || v > 0xffffffffull)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int hv_fault_parse_oid(const char *value, uint32_t *oid, uint32_t *status, char *err, size_t len)
{
	const char *colon = strchr(value, ':');
	char name[96];

	if (!colon || colon == value || !colon[1] || (size_t)(colon - value) >= sizeof(name)) {
		snprintf(err, len, "'%s' is not OID:STATUS (e.g. OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_FAILURE)", value);
		return -EINVAL;
	}
	memcpy(name, value, (size_t)(colon - value));
	name[colon - value] = 0;
	if (ndis_oid_from_name(name, oid) && parse_u32(name, oid)) {
		snprintf(err, len, "'%s' is no OID include/ndis defines", name);
		return -EINVAL;
	}
	if (*oid == 0) {
		snprintf(err, len, "OID 0 is not an OID");
		return -EINVAL;
	}
	if (ndis_status_from_name(colon + 1, status) && parse_u32(colon + 1, status)) {
		snprintf(err, len, "'%s' is no status include/ndis defines", colon + 1);
		return -EINVAL;
	}
	if (*status == 0) {
		snprintf(err, len, "'%s' is a success status: the OID would not fail", colon + 1);
		return -EINVAL;
	}
	return 0;
}

long hv_fault_parse_ms(const char *value)
{
	char *end;
	double v;

	if (!*value || !(isdigit((unsigned char)*value) || *value == '.'))
		return -1;
	errno = 0;
	v = strtod(value, &end);
	if (errno || v < 0 || v > 600000)
		return -1;
	if (!*end || !strcasecmp(end, "ms"))
		return (long)v;
	if (!strcasecmp(end, "s"))
		return v * 1000 > 600000 ? -1 : (long)(v * 1000);
	return -1;
}

int hv_fault_value_check(enum hv_fault_kind k, const char *value, char *err, size_t len)
{
	const char *const *list = NULL;
	char names[256];
	uint32_t a, b;

	switch (k) {
	case HV_FAULT_PF_FAIL_OID:
		return hv_fault_parse_oid(value, &a, &b, err, len);
	case HV_FAULT_PF_DRIVER_VARIANT: list = hv_fault_pf_driver_variants; break;
	case HV_FAULT_PF_INF_VARIANT: list = hv_fault_pf_inf_variants; break;
	case HV_FAULT_VF_DRIVER_VARIANT: list = hv_fault_vf_driver_variants; break;
	case HV_FAULT_VF_INF_VARIANT: list = hv_fault_vf_inf_variants; break;
	case HV_FAULT_VMBUS_OFFER_DELAY:
		if (hv_fault_parse_ms(value) < 0) {
			snprintf(err, len, "'%s' is not a duration of at most 600s (500ms, 3s)", value);
			return -EINVAL;
		}
		return 0;
	case HV_FAULT_VF_LINK:
		if (strcasecmp(value, "down") && strcasecmp(value, "up")) {
			snprintf(err, len, "'%s': vf_link is up or down", value);
			return -EINVAL;
		}
		return 0;
	case HV_FAULT_VF_VLAN_LIMIT:
		if (parse_u32(value, &a) || a > 4094) {
			snprintf(err, len, "'%s' is not a number of VLAN filters 0..4094", value);
			return -EINVAL;
		}
		return 0;
	case HV_FAULT_PNP_RACE:
		if (strcasecmp(value, "vmbus")) {
			snprintf(err, len, "'%s': pnp_race knows only vmbus", value);
			return -EINVAL;
		}
		return 0;
	case HV_FAULT_KIND_COUNT:
		break;
	}
	if (list && in_list(list, value))
		return 0;
	if (list) {
		list_names(list, names, sizeof(names));
		snprintf(err, len, "no variant '%s'; the variants are %s", value, names);
	} else {
		snprintf(err, len, "unknown fault key");
	}
	return -EINVAL;
}

int hv_faults_create(const struct lab *lab, struct hv_faults **out, char *err, size_t len)
{
	struct hv_faults *f;
	char why[256];

	*out = NULL;
	for (size_t i = 0; i < lab->nfaults; i++) {
		const struct lab_fault *lf = &lab->faults[i];
		unsigned on = 0;

		if (lf->target)
			on = lf->target_type == LAB_SEC_NIC ? ON_NIC :
			     lf->target_type == LAB_SEC_VM || lf->target_type == LAB_SEC_VMNIC ? ON_VM : 0;
		for (size_t j = 0; j < lf->kv.count; j++) {
			const struct lab_kv *kv = &lf->kv.items[j];
			int k = hv_fault_kind_find(kv->key);

			if (k < 0) {
				snprintf(err, len, "%s:%d: [fault %s] %s: no such fault; the keys are pf_fail_oid, "
					 "pf_driver_variant, pf_inf_variant, vf_driver_variant, vf_inf_variant, "
					 "vmbus_offer_delay, vf_link, vf_vlan_limit, pnp_race", lab->file, kv->line, lf->name,
					 kv->key);
				return -EINVAL;
			}
			if (hv_fault_value_check((enum hv_fault_kind)k, kv->value, why, sizeof(why))) {
				snprintf(err, len, "%s:%d: [fault %s] %s: %s", lab->file, kv->line, lf->name, kv->key, why);
				return -EINVAL;
			}
			if (k == HV_FAULT_PNP_RACE) {
				/* Said, not faked: a crash of Windows' own PnP and VMBus threads has no mechanism here. */
				snprintf(err, len, "%s:%d: [fault %s] pnp_race: the Windows Server 2012 PnP / VMBus race "
					 "(stop 0xD1) is not modelled; see docs/faults.md (F31)", lab->file, kv->line, lf->name);
				return -EINVAL;
			}
			if (lf->target && !(on & kinds[k].on)) {
				snprintf(err, len, "%s:%d: [fault %s] %s applies to %s, not to '%s'", lab->file, kv->line,
					 lf->name, kv->key, kinds[k].on == ON_NIC ? "a nic" :
					 kinds[k].on == ON_VM ? "a vm or vmnetworkadapter" : "a nic, vm or vmnetworkadapter",
					 lf->target);
				return -EINVAL;
			}
			if (!lf->armed && !kinds[k].live) {
				snprintf(err, len, "%s:%d: [fault %s] %s cannot be armed while the lab runs (armed = false); "
					 "inject works for pf_fail_oid and vf_link", lab->file, kv->line, lf->name, kv->key);
				return -EINVAL;
			}
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->lab = lab;
	f->armed = calloc(lab->nfaults ? lab->nfaults : 1, sizeof(bool));
	if (!f->armed) {
		free(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lab->nfaults; i++)
		f->armed[i] = lab->faults[i].armed;
	*out = f;
	return 0;
}

void hv_faults_destroy(struct hv_faults *f)
{
	if (!f)
		return;
	free(f->armed);
	free(f);
}

static const char *value_of(const struct lab_fault *lf, enum hv_fault_kind k)
{
	for (size_t j = 0; j < lf->kv.count; j++)
		if (!strcasecmp(lf->kv.items[j].key, kinds[k].name))
			return lf->kv.items[j].value;
	return NULL;
}

/* The vm an adapter belongs to. */
static const char *vm_of(const struct lab *lab, const char *vmnic)
{
	for (size_t i = 0; vmnic && i < lab->nvmnics; i++)
		if (!strcasecmp(lab->vmnics[i].name, vmnic))
			return lab->vmnics[i].vm_name;
	return NULL;
}

enum { OBJ_NIC, OBJ_VM, OBJ_VMNIC };

static bool applies(const struct lab *lab, const struct lab_fault *lf, int obj, const char *name)
{
	if (!lf->target)
		return true;
	switch (obj) {
	case OBJ_NIC:
		return lf->target_type == LAB_SEC_NIC && !strcasecmp(lf->target, name);
	case OBJ_VM:
		if (lf->target_type == LAB_SEC_VM)
			return !strcasecmp(lf->target, name);
		return lf->target_type == LAB_SEC_VMNIC && vm_of(lab, lf->target) && !strcasecmp(vm_of(lab, lf->target), name);
	case OBJ_VMNIC:
		if (lf->target_type == LAB_SEC_VMNIC)
			return !strcasecmp(lf->target, name);
		return lf->target_type == LAB_SEC_VM && vm_of(lab, name) && !strcasecmp(vm_of(lab, name), lf->target);
	}
	return false;
}

static const char *lookup(const struct hv_faults *f, enum hv_fault_kind k, int obj, const char *name)
{
	if (!f || (unsigned)k >= HV_FAULT_KIND_COUNT || !name)
		return NULL;
	if (!(kinds[k].on & (obj == OBJ_NIC ? ON_NIC : ON_VM)))
		return NULL;
	for (size_t i = 0; i < f->lab->nfaults; i++) {
		const struct lab_fault *lf = &f->lab->faults[i];
		const char *v;

		if (f->armed[i] && (v = value_of(lf, k)) && applies(f->lab, lf, obj, name))
			return v;
	}
	return NULL;
}

const char *hv_faults_nic(const struct hv_faults *f, enum hv_fault_kind k, const char *nic)
{
	return lookup(f, k, OBJ_NIC, nic);
}

const char *hv_faults_vm(const struct hv_faults *f, enum hv_fault_kind k, const char *vm)
{
	return lookup(f, k, OBJ_VM, vm);
}

const char *hv_faults_vmnic(const struct hv_faults *f, enum hv_fault_kind k, const char *vmnic)
{
	return lookup(f, k, OBJ_VMNIC, vmnic);
}

int hv_faults_set_armed(struct hv_faults *f, const char *name, bool armed, const struct lab_fault **out)
{
	for (size_t i = 0; f && i < f->lab->nfaults; i++)
		if (!strcasecmp(f->lab->faults[i].name, name)) {
			f->armed[i] = armed;
			if (out)
				*out = &f->lab->faults[i];
			return 0;
		}
	return -ENOENT;
}

bool hv_faults_is_armed(const struct hv_faults *f, size_t i)
{
	return f && i < f->lab->nfaults && f->armed[i];
}

size_t hv_faults_count(const struct hv_faults *f)
{
	return f ? f->lab->nfaults : 0;
}
