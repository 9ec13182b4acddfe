/*
 * lab_dump(): a loaded lab written back as a lab file in normal form --
 * sections in a fixed order, every key of the schema with its canonical
 * value (defaults included, names resolved), keywords and fault keys in
 * file order, steps re-quoted. Used by tests (load -> dump -> load is the
 * same model) and by anyone who wants to see what a short lab expands to.
 */
#include "lab/lab_private.h"

#include <stdbool.h>
#include <errno.h>
#include <string.h>

static void put_section_keys(FILE *out, enum lab_section t, const void *obj)
{
	const struct lab_section_schema *sec = lab_schema_section(t);
	int width = 0;

	for (size_t i = 0; i < sec->nkeys; i++)
		if (!(sec->keys[i].flags & (LAB_KF_CONVENTION | LAB_KF_MULTI)) &&
		    (int)strlen(sec->keys[i].name) > width)
			width = (int)strlen(sec->keys[i].name);
	for (size_t i = 0; i < sec->nkeys; i++) {
		const struct lab_key *k = &sec->keys[i];
		char buf[LAB_LINE_MAX + 1];
		union lab_value v;

		if (k->flags & (LAB_KF_CONVENTION | LAB_KF_MULTI))
			continue;
		lab__value_load(k, obj, &v);
		lab_value_format(k, &v, buf, sizeof(buf));
		if (buf[0])
			fprintf(out, "%-*s = %s\n", width, k->name, buf);
		else
			fprintf(out, "%-*s =\n", width, k->name);
	}
}

static void put_kv(FILE *out, const struct lab_kvlist *kv)
{
	for (size_t i = 0; i < kv->count; i++)
		fprintf(out, "%s = %s\n", kv->items[i].key, kv->items[i].value);
}

static void put_word(FILE *out, const char *w)
{
	if (strpbrk(w, " \t"))
		fprintf(out, " \"%s\"", w);
	else
		fprintf(out, " %s", w);
}

int lab_dump(const struct lab *lab, FILE *out)
{
	bool plain = true;

	for (const char *p = lab->file; *p; p++)
		plain = plain && !lab__is_control((unsigned char)*p) && *p != '\t';
	/* The file name goes in a comment only if it cannot end the comment line. */
	fprintf(out, "; %s in normal form: every key, defaults included\n",
		plain ? lab->file : "lab");
	fprintf(out, "\n[lab]\n");
	put_section_keys(out, LAB_SEC_LAB, &lab->info);
	fprintf(out, "\n[host]\n");
	put_section_keys(out, LAB_SEC_HOST, &lab->host);
	for (size_t i = 0; i < lab->nnics; i++) {
		const struct lab_nic *n = &lab->nics[i];

		fprintf(out, "\n[nic %s]\n", n->name);
		put_section_keys(out, LAB_SEC_NIC, n);
		if (n->keywords) {
			fprintf(out, "\n[keywords %s]\n", n->name);
			put_kv(out, &n->keywords->kv);
		}
	}
	for (size_t i = 0; i < lab->nvswitches; i++) {
		fprintf(out, "\n[vmswitch %s]\n", lab->vswitches[i].name);
		put_section_keys(out, LAB_SEC_VMSWITCH, &lab->vswitches[i]);
	}
	for (size_t i = 0; i < lab->nvms; i++) {
		fprintf(out, "\n[vm %s]\n", lab->vms[i].name);
		put_section_keys(out, LAB_SEC_VM, &lab->vms[i]);
	}
	for (size_t i = 0; i < lab->nvmnics; i++) {
		fprintf(out, "\n[vmnetworkadapter %s]\n", lab->vmnics[i].name);
		put_section_keys(out, LAB_SEC_VMNIC, &lab->vmnics[i]);
	}
	for (size_t i = 0; i < lab->nfaults; i++) {
		fprintf(out, "\n[fault %s]\n", lab->faults[i].name);
		put_section_keys(out, LAB_SEC_FAULT, &lab->faults[i]);
		put_kv(out, &lab->faults[i].kv);
	}
	if (lab->script.count) {
		fprintf(out, "\n[script]\n");
		for (size_t i = 0; i < lab->script.count; i++) {
			const struct lab_step *s = &lab->script.steps[i];

			fprintf(out, "step = %s", s->verb);
			for (int a = 0; a < s->argc; a++)
				put_word(out, s->argv[a]);
			fputc('\n', out);
		}
	}
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
