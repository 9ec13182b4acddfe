/*
 * The lab's [fault NAME] sections as the host applies them (docs/faults.md).
 * A fault never fakes a view: each key selects a real mechanism that the
 * failure then comes out of --
 *
 *   pf_fail_oid        hidden PF keywords IovlabFailOid/IovlabFailStatus:
 *                      the PF miniport completes that OID with that status
 *   pf_driver_variant  a known-bad build of srnic_pf (drivers/variants)
 *   pf_inf_variant     a known-bad srnic_pf INF, generated from the real one
 *   vf_driver_variant  a known-bad build of srnic_vf
 *   vf_inf_variant     a known-bad srnic_vf INF
 *   vmbus_offer_delay  the VM's VMBus offers of the VF come that late: the
 *                      first VF allocation finds the channel not ready
 *   vf_link            down: the PF takes the VF's link down (srnic)
 *   vf_vlan_limit      hidden PF keyword IovlabVfVlanLimit
 *   pnp_race           not modelled (documented, refused at run time)
 *
 * This file validates the sections (names, values, targets) and answers
 * "which armed fault sets KEY for this object"; host.c applies the answers
 * where the mechanism lives. Armed state changes with the script's
 * inject / clear steps (hv_host_fault_arm in host.c).
 */
#ifndef IOVLAB_HV_FAULTS_H
#define IOVLAB_HV_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"

enum hv_fault_kind {
	HV_FAULT_PF_FAIL_OID,
	HV_FAULT_PF_DRIVER_VARIANT,
	HV_FAULT_PF_INF_VARIANT,
	HV_FAULT_VF_DRIVER_VARIANT,
	HV_FAULT_VF_INF_VARIANT,
	HV_FAULT_VMBUS_OFFER_DELAY,
	HV_FAULT_VF_LINK,
	HV_FAULT_VF_VLAN_LIMIT,
	HV_FAULT_PNP_RACE,
	HV_FAULT_KIND_COUNT
};

/* "pf_fail_oid"; NULL if out of range. */
const char *hv_fault_kind_name(enum hv_fault_kind k);
/* The kind of a key (case-insensitive), or -1. */
int hv_fault_kind_find(const char *key);
/* Whether inject / clear can change it while the lab runs. */
bool hv_fault_kind_live(enum hv_fault_kind k);

/*
 * One fault value checked; 0, or -EINVAL with why in err. Values:
 * pf_fail_oid OID:STATUS (names from include/ndis, or 0x hex numbers), the
 * variants by name (the lists below), vmbus_offer_delay a duration (ms, s),
 * vf_link up|down, vf_vlan_limit 0..4094, pnp_race vmbus.
 */
int hv_fault_value_check(enum hv_fault_kind k, const char *value, char *err, size_t len);
/* OID:STATUS into numbers; 0 or -EINVAL. */
int hv_fault_parse_oid(const char *value, uint32_t *oid, uint32_t *status, char *err, size_t len);
/* A duration ("500ms", "2s", "1500"): milliseconds, or -1. */
long hv_fault_parse_ms(const char *value);
/* NULL-terminated lists of the variant names. */
extern const char *const hv_fault_pf_driver_variants[];
extern const char *const hv_fault_vf_driver_variants[];
extern const char *const hv_fault_pf_inf_variants[];
extern const char *const hv_fault_vf_inf_variants[];

struct hv_faults;

/*
 * Check every [fault] of lab (known keys, values, a target that fits the
 * keys) and keep their armed state. 0 and *out (hv_faults_destroy), -EINVAL
 * with "FILE:LINE: [fault NAME] ..." in err, -ENOMEM. The lab must outlive it.
 */
int hv_faults_create(const struct lab *lab, struct hv_faults **out, char *err, size_t len);
void hv_faults_destroy(struct hv_faults *f);

/*
 * The value of the first armed fault that sets k and applies to the object:
 * no target, or the target named. A vm matches faults on the vm and on its
 * adapters; an adapter matches faults on it and on its vm; a nic only faults
 * on that nic. NULL: none applies. The pointer lives as long as the lab.
 */
const char *hv_faults_nic(const struct hv_faults *f, enum hv_fault_kind k, const char *nic);
const char *hv_faults_vm(const struct hv_faults *f, enum hv_fault_kind k, const char *vm);
const char *hv_faults_vmnic(const struct hv_faults *f, enum hv_fault_kind k, const char *vmnic);

/* Arm or disarm the fault named (case-insensitive); 0, -ENOENT. *out: its section. */
int hv_faults_set_armed(struct hv_faults *f, const char *name, bool armed, const struct lab_fault **out);
bool hv_faults_is_armed(const struct hv_faults *f, size_t i);
size_t hv_faults_count(const struct hv_faults *f);

#endif
