/*
 * The loaded lab as an object: freeing it and looking things up in it by
 * name. Names compare case-insensitively, as VM and switch names do in
 * Hyper-V; the loader refuses two sections whose names differ only in case.
 */
#include "lab/lab_private.h"

#include <stdlib.h>
#include <strings.h>

static void free_fields(enum lab_section t, void *obj)
{
	const struct lab_section_schema *sec = lab_schema_section(t);

	for (size_t i = 0; i < sec->nkeys; i++)
		if (!(sec->keys[i].flags & (LAB_KF_CONVENTION | LAB_KF_MULTI)))
			lab__value_clear(&sec->keys[i], obj);
}

static void free_kv(struct lab_kvlist *kv)
{
	for (size_t i = 0; i < kv->count; i++) {
		free(kv->items[i].key);
		free(kv->items[i].value);
	}
	free(kv->items);
}

void lab_free(struct lab *lab)
{
	if (!lab)
		return;
	free_fields(LAB_SEC_LAB, &lab->info);
	free_fields(LAB_SEC_HOST, &lab->host);
	for (size_t i = 0; i < lab->nnics; i++) {
		free_fields(LAB_SEC_NIC, &lab->nics[i]);
		free(lab->nics[i].name);
	}
	for (size_t i = 0; i < lab->nkeywords; i++) {
		free_kv(&lab->keywords[i].kv);
		free(lab->keywords[i].name);
	}
	for (size_t i = 0; i < lab->nvswitches; i++) {
		free_fields(LAB_SEC_VMSWITCH, &lab->vswitches[i]);
		free(lab->vswitches[i].name);
	}
	for (size_t i = 0; i < lab->nvms; i++) {
		free_fields(LAB_SEC_VM, &lab->vms[i]);
		free(lab->vms[i].name);
	}
	for (size_t i = 0; i < lab->nvmnics; i++) {
		free_fields(LAB_SEC_VMNIC, &lab->vmnics[i]);
		free(lab->vmnics[i].name);
	}
	for (size_t i = 0; i < lab->nfaults; i++) {
		free_fields(LAB_SEC_FAULT, &lab->faults[i]);
		free_kv(&lab->faults[i].kv);
		free(lab->faults[i].name);
	}
	for (size_t i = 0; i < lab->script.count; i++)
		lab__step_fini(&lab->script.steps[i]);
	free(lab->script.steps);
	free(lab->nics);
	free(lab->keywords);
	free(lab->vswitches);
	free(lab->vms);
	free(lab->vmnics);
	free(lab->faults);
	free(lab->file);
	free(lab);
}

#define FIND(arr, n, name)						\
	do {								\
		for (size_t i_ = 0; i_ < (n); i_++)			\
			if (!strcasecmp((arr)[i_].name, (name)))	\
				return &(arr)[i_];			\
		return NULL;						\
	} while (0)

const struct lab_nic *lab_nic_find(const struct lab *lab, const char *name)
{
	FIND(lab->nics, lab->nnics, name);
}

const struct lab_vswitch *lab_vswitch_find(const struct lab *lab, const char *name)
{
	FIND(lab->vswitches, lab->nvswitches, name);
}

const struct lab_vm *lab_vm_find(const struct lab *lab, const char *name)
{
	FIND(lab->vms, lab->nvms, name);
}

const struct lab_vmnic *lab_vmnic_find(const struct lab *lab, const char *name)
{
	FIND(lab->vmnics, lab->nvmnics, name);
}

const struct lab_fault *lab_fault_find(const struct lab *lab, const char *name)
{
	FIND(lab->faults, lab->nfaults, name);
}

static const char *kv_get(const struct lab_kvlist *kv, const char *key)
{
	for (size_t i = 0; i < kv->count; i++)
		if (!strcasecmp(kv->items[i].key, key))
			return kv->items[i].value;
	return NULL;
}

const char *lab_nic_keyword(const struct lab_nic *nic, const char *keyword)
{
	return nic->keywords ? kv_get(&nic->keywords->kv, keyword) : NULL;
}

const char *lab_fault_value(const struct lab_fault *fault, const char *key)
{
	return kv_get(&fault->kv, key);
}
