/*
 * Fuzz target: the host's reading of a guest's diagnose answer -- what a
 * hostile guest can send as VMCTL_MSG_DIAG (wire/vmctl.h). The input is the
 * JSON text: it goes through diag_guest_facts_parse() as it is, and wrapped
 * in a DIAG message through vmctl_msg_check(VMCTL_TO_HOST) first, as
 * vmwp.c receives it. Beyond not crashing: an accepted answer has every row
 * count inside its array and below its *_total, every string terminated
 * and printable -- what the checks of src/diag print without looking again;
 * a refused one leaves the facts zeroed and says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag/guest_facts.h"
#include "hv/vmctl_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
	if (i == max)
		abort();
}

static void oracle(int rc, const struct diag_guest_facts *f, const char *why)
{
	if (rc) {
		if (!why[0] || f->nadapters || f->ndevices || f->nfindings)
			abort();
		return;
	}
	if (f->ndevices > DIAG_GUEST_DEVICES || f->nadapters > DIAG_GUEST_ADAPTERS ||
	    f->nfindings > DIAG_GUEST_FINDINGS || f->nadapters > f->adapters_total || f->nfindings > f->findings_total)
		abort();
	printable(f->error, sizeof(f->error));
	printable(f->netvsc_state, sizeof(f->netvsc_state));
	for (size_t i = 0; i < f->ndevices; i++) {
		printable(f->devices[i].hwid, DIAG_GUEST_STR);
		printable(f->devices[i].service, DIAG_GUEST_STR);
		printable(f->devices[i].state, DIAG_GUEST_STR);
	}
	for (size_t i = 0; i < f->nadapters; i++) {
		const struct diag_guest_adapter *a = &f->adapters[i];

		if (a->nbindings > DIAG_GUEST_BINDINGS || a->nbindings > a->bindings_total)
			abort();
		printable(a->name, DIAG_GUEST_STR);
		printable(a->driver, DIAG_GUEST_STR);
		printable(a->state, DIAG_GUEST_STR);
		printable(a->serial_oid_issuer, DIAG_GUEST_STR);
		for (size_t k = 0; k < a->nbindings; k++) {
			printable(a->bindings[k].protocol, DIAG_GUEST_STR);
			printable(a->bindings[k].state, DIAG_GUEST_STR);
		}
	}
	for (size_t i = 0; i < f->nfindings; i++) {
		printable(f->findings[i].rule, DIAG_GUEST_STR);
		printable(f->findings[i].evidence, DIAG_GUEST_EVIDENCE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diag_guest_facts f;
	static uint8_t msg[sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX];
	struct vmctl_diag h = { .hdr = { .type = VMCTL_MSG_DIAG }, .version = VMCTL_DIAG_V1 };
	const char *why_msg;
	char why[160];
	uint32_t type;
	int rc;

	rc = diag_guest_facts_parse((const char *)data, size, &f, why, sizeof(why));
	oracle(rc, &f, why);

	/* The same text as vmwp.c gets it: checked as a message, then parsed. */
	if (size > VMCTL_DIAG_JSON_MAX)
		return 0;
	h.len = (uint32_t)size;
	h.hdr.size = (uint32_t)(sizeof(h) + size);
	memcpy(msg, &h, sizeof(h));
	if (size)
		memcpy(msg + sizeof(h), data, size);
	if (vmctl_msg_check(msg, h.hdr.size, VMCTL_TO_HOST, &type, &why_msg))
		return 0;
	if (type != VMCTL_MSG_DIAG || !size)
		abort();
	rc = diag_guest_facts_parse((const char *)msg + sizeof(h), size, &f, why, sizeof(why));
	oracle(rc, &f, why);
	return 0;
}
