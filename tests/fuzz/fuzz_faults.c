/*
 * Fuzz target: the host's [fault] checks (src/hv/faults.c) over arbitrary
 * lab text. A lab the loader accepts is checked by hv_faults_create, which
 * must accept it or refuse it with a "fuzz.lab:LINE: [fault ...]" message;
 * accepted faults are then looked up for every object and armed and
 * disarmed by name, and every value is parsed again on its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/faults.h"
#include "lab/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab *lab = NULL;
	struct hv_faults *f = NULL;
	char err[512];
	uint32_t oid, st;

	if (lab_load_buffer((const char *)data, size, "fuzz.lab", &lab, NULL, 0))
		return 0;
	err[0] = 0;
	if (hv_faults_create(lab, &f, err, sizeof(err))) {
		if (f || strncmp(err, "fuzz.lab:", 9))
			abort();
		lab_free(lab);
		return 0;
	}
	for (int k = 0; k < HV_FAULT_KIND_COUNT; k++) {
		for (size_t i = 0; i < lab->nnics; i++)
			(void)hv_faults_nic(f, (enum hv_fault_kind)k, lab->nics[i].name);
		for (size_t i = 0; i < lab->nvms; i++)
			(void)hv_faults_vm(f, (enum hv_fault_kind)k, lab->vms[i].name);
		for (size_t i = 0; i < lab->nvmnics; i++) {
			const char *v = hv_faults_vmnic(f, (enum hv_fault_kind)k, lab->vmnics[i].name);

			if (v && hv_fault_value_check((enum hv_fault_kind)k, v, err, sizeof(err)))
				abort();	/* an accepted value must check again */
		}
	}
	for (size_t i = 0; i < lab->nfaults; i++) {
		if (hv_faults_set_armed(f, lab->faults[i].name, !lab->faults[i].armed, NULL))
			abort();
		for (size_t j = 0; j < lab->faults[i].kv.count; j++) {
			(void)hv_fault_parse_oid(lab->faults[i].kv.items[j].value, &oid, &st, err, sizeof(err));
			(void)hv_fault_parse_ms(lab->faults[i].kv.items[j].value);
		}
	}
	hv_faults_destroy(f);
	lab_free(lab);
	return 0;
}
