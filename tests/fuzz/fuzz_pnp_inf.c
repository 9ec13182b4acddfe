/*
 * Fuzz target for the guest PnP manager's INF reader (src/pnp/inf.c): any
 * bytes are either refused with a terminated "<name>:<line>: <reason>"
 * message or parsed into models whose install sections, services and
 * AddReg values can all be walked -- never a crash, a hang or an
 * unterminated message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pnp/inf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct pnp_inf *inf = NULL;
	size_t sum = 0;

	memset(err, 'x', sizeof(err));
	if (pnp_inf_parse("fuzz.inf", (const char *)data, size, &inf, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < pnp_inf_model_count(inf); i++) {
			const struct pnp_inf_model *m = pnp_inf_model_at(inf, i);
			const struct pnp_inf_install *in = m->install;

			sum += strlen(m->id) + strlen(m->description) + strlen(in->service) + strlen(in->service_binary);
			for (size_t k = 0; k < in->n_dev_values; k++)
				sum += strlen(in->dev_values[k].name) + (in->dev_values[k].sz ? strlen(in->dev_values[k].sz) : 0);
			for (size_t k = 0; k < in->n_drv_values; k++)
				sum += strlen(in->drv_values[k].subkey) + in->drv_values[k].dword;
			if (pnp_inf_find_model(inf, m->id) == NULL)
				__builtin_trap();
		}
		sum += strlen(pnp_inf_class(inf)) + strlen(pnp_inf_provider(inf));
		pnp_inf_destroy(inf);
	} else if (memchr(err, 0, sizeof(err)) == NULL) {
		__builtin_trap();	/* the message must be terminated */
	}
	return (int)(sum & 0);
}
