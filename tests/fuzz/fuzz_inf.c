/*
 * Fuzz target for the INF reader (src/ndis/inf.c): any bytes are either
 * refused with a "<name>:<line>: <reason>" message or parsed into a package
 * whose install sections can be applied to a registry -- never a crash, a
 * hang or an unterminated message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ndis/inf.h"
#include "ndis/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct ndis_inf *inf = NULL;

	memset(err, 'x', sizeof(err));
	if (ndis_inf_parse("fuzz.inf", (const char *)data, size, &inf, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < ndis_inf_model_count(inf); i++) {
			struct ndis_reg_key *root = ndis_reg_create();
			if (root)
				ndis_inf_apply(ndis_inf_model_at(inf, i)->install, root);
			ndis_reg_destroy(root);
		}
		ndis_inf_destroy(inf);
	} else if (memchr(err, 0, sizeof(err)) == NULL) {
		__builtin_trap();	/* the message must be terminated */
	}
	return 0;
}
