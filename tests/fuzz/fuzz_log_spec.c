/*
 * Fuzz target: the IOVLAB_LOG spec parser (log_configure). Any input must be
 * accepted or refused with a message; a refused spec must leave the levels
 * exactly as they were.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 1);
	char err[160];
	enum log_level before;

	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	log_configure("*=info", NULL, 0);
	before = log_topic_level("lab.fuzz.topic");
	if (log_configure(spec, err, sizeof(err)) != 0) {
		if (!err[0] || log_topic_level("lab.fuzz.topic") != before)
			abort();
	}
	free(spec);
	return 0;
}
