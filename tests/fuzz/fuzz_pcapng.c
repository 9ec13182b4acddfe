/*
 * Fuzz target: the pcapng reader (src/base/pcapng.c), which reads the VM
 * processes' capture parts at the end of `iovlab run --capture`. Any input
 * is parsed or refused with "offset N: ..." (never a crash, never a read
 * outside the input); what parses is written back with the writer and must
 * parse again to the same interfaces and packets (the writer round trip).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct pcapng_file *a, const struct pcapng_file *b)
{
	if (a->nifaces != b->nifaces || a->npkts != b->npkts)
		abort();
	for (size_t i = 0; i < a->nifaces; i++)
		if (a->ifaces[i].linktype != b->ifaces[i].linktype || a->ifaces[i].snaplen != b->ifaces[i].snaplen ||
		    strcmp(a->ifaces[i].name, b->ifaces[i].name) ||
		    strcmp(a->ifaces[i].description, b->ifaces[i].description))
			abort();
	for (size_t i = 0; i < a->npkts; i++) {
		const struct pcapng_packet *x = &a->pkts[i], *y = &b->pkts[i];

		if (x->iface != y->iface || x->ts_us != y->ts_us || x->caplen != y->caplen || x->origlen != y->origlen ||
		    x->flags != y->flags || memcmp(x->data, y->data, x->caplen))
			abort();
	}
}

static void round_trip(const struct pcapng_file *in)
{
	struct pcapng_file again;
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = 0;

	if (!f)
		return;
	rc = pcapng_write_shb(f, "fuzz");
	for (size_t i = 0; !rc && i < in->nifaces; i++)
		rc = pcapng_write_idb(f, in->ifaces[i].linktype, in->ifaces[i].snaplen, in->ifaces[i].name,
				      in->ifaces[i].description[0] ? in->ifaces[i].description : NULL);
	for (size_t i = 0; !rc && i < in->npkts; i++) {
		const struct pcapng_packet *p = &in->pkts[i];

		rc = pcapng_write_epb(f, p->iface, p->ts_us, p->data, p->caplen, p->origlen, p->flags);
		/* the one refusal allowed: a block the reader would find too large with the flags added */
		if (rc && 44 + (size_t)p->caplen <= PCAPNG_MAX_BLOCK)
			abort();
	}
	fclose(f);
	if (!rc) {
		if (pcapng_parse((const uint8_t *)buf, len, 0, &again, err, sizeof(err)))
			abort();	/* what the writer wrote must read */
		same(in, &again);
		pcapng_file_fini(&again);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_file pf;
	char err[256];

	for (unsigned flags = 0; flags <= PCAPNG_PARSE_TRUNCATED_TAIL; flags++) {
		err[0] = 0;
		if (pcapng_parse(data, size, flags, &pf, err, sizeof(err))) {
			if (strncmp(err, "offset ", 7) && strcmp(err, ""))
				abort();	/* every refusal names where */
			continue;
		}
		for (size_t i = 0; i < pf.npkts; i++)
			if (pf.pkts[i].iface >= pf.nifaces || pf.pkts[i].data < data ||
			    pf.pkts[i].data + pf.pkts[i].caplen > data + size)
				abort();
		round_trip(&pf);
		pcapng_file_fini(&pf);
	}
	return 0;
}
