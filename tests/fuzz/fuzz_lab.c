/*
 * Fuzz target: the lab file loader (src/lab) over arbitrary file content.
 * Any input must be accepted or refused with a "fuzz.lab..." message, never
 * crash or leak. An accepted lab must survive the round trip: its dump
 * loads again and dumps to the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const struct lab *lab, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (lab_dump(lab, f))
		abort();
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab *lab = NULL, *again = NULL;
	char err[512], *d1, *d2;
	size_t n1, n2;
	int rc;

	err[0] = '\0';
	rc = lab_load_buffer((const char *)data, size, "fuzz.lab", &lab, err, sizeof(err));
	if (rc) {
		if (lab || strncmp(err, "fuzz.lab", 8))
			abort();
		return 0;
	}
	d1 = dump(lab, &n1);
	if (lab_load_buffer(d1, n1, "fuzz.lab", &again, err, sizeof(err))) {
		fprintf(stderr, "dump does not load again: %s\n%s", err, d1);
		abort();
	}
	d2 = dump(again, &n2);
	if (n1 != n2 || memcmp(d1, d2, n1)) {
		fprintf(stderr, "dump is not a fixed point:\n%s\n---\n%s", d1, d2);
		abort();
	}
	free(d1);
	free(d2);
	lab_free(again);
	lab_free(lab);
	return 0;
}
