/*
 * The proof that include/ndis/ speaks Microsoft's numbers: every name that
 * both our headers and MinGW-w64's public ntddndis.h define has the same
 * value, and every structure both define has the same size and the same
 * offset and size for each field, nested fields and bit-fields included.
 * The tables come from tests/abi/ndis_proof.py, which generates them at
 * build time from the two headers, so no name is typed by hand; this file
 * only walks them, prints every mismatch and the counts, and fails on any
 * mismatch or when it compared too little to prove anything (style.md,
 * "Numeric values match the public headers and a test proves it"; spec
 * section 4).
 */
#include <stdio.h>
#include <stdlib.h>

#include "abi_ntddndis_tables.h"

#define ABI_BITS_MAX 4096

static unsigned long long hex(long long v)
{
	return (unsigned long long)v;
}

static int check_values(int *n)
{
	int bad = 0;

	for (const struct abi_value *v = abi_values; v->name; v++, (*n)++) {
		if (v->ours == v->mingw)
			continue;
		printf("MISMATCH %s: ours 0x%llx mingw 0x%llx\n", v->name,
		       hex(v->ours), hex(v->mingw));
		bad++;
	}
	return bad;
}

static int check_sizes(int *records, int *others)
{
	int bad = 0;

	for (const struct abi_size *s = abi_sizes; s->name; s++) {
		(*(s->record ? records : others))++;
		if (s->ours == s->mingw)
			continue;
		printf("MISMATCH sizeof(%s): ours %lld mingw %lld\n", s->name,
		       s->ours, s->mingw);
		bad++;
	}
	return bad;
}

static int check_fields(int *n)
{
	int bad = 0;

	for (const struct abi_field *f = abi_fields; f->type; f++, (*n)++) {
		if (f->ours_off != f->mingw_off) {
			printf("MISMATCH offsetof(%s, %s): ours %lld mingw %lld\n",
			       f->type, f->path, f->ours_off, f->mingw_off);
			bad++;
		}
		if (f->ours_size != f->mingw_size) {
			printf("MISMATCH sizeof(%s.%s): ours %lld mingw %lld\n",
			       f->type, f->path, f->ours_size, f->mingw_size);
			bad++;
		}
	}
	return bad;
}

static int check_bitfields(int *n)
{
	static unsigned char buf[ABI_BITS_MAX / 8];
	int bad = 0;

	for (const struct abi_bits *b = abi_bitfields; b->type; b++, (*n)++) {
		long long lo = -1, width = 0;

		memset(buf, 0, sizeof(buf));
		b->fn(buf, sizeof(buf));
		for (long long bit = 0; bit < ABI_BITS_MAX; bit++) {
			if (!(buf[bit / 8] & (1u << (bit % 8))))
				continue;
			if (lo < 0)
				lo = bit;
			width++;
		}
		if (lo == b->mingw_bit && width == b->mingw_width)
			continue;
		printf("MISMATCH bit-field %s.%s: ours bit %lld width %lld, "
		       "mingw bit %lld width %lld\n", b->type, b->path, lo, width,
		       b->mingw_bit, b->mingw_width);
		bad++;
	}
	return bad;
}

int main(void)
{
	int values = 0, records = 0, others = 0, fields = 0, bits = 0;
	int bad = 0;

	printf("MinGW side: %s\n", abi_mingw_summary);
	for (const char *const *u = abi_uncomparable; *u; u++)
		printf("not compared (MinGW gives no integer or layout): %s\n", *u);

	bad += check_values(&values);
	bad += check_sizes(&records, &others);
	bad += check_fields(&fields);
	bad += check_bitfields(&bits);
	for (const char *const *m = abi_static_mismatches; *m; m++, bad++)
		printf("%s\n", *m);

	printf("compared %d values, %d structures (%d pointer-free, %d with "
	       "pointers; %d fields, %d bit-fields), %d other typedefs: "
	       "%d mismatches\n", values, records, ABI_POINTER_FREE,
	       ABI_WITH_POINTERS, fields, bits, others, bad);
	if (values < ABI_MIN_VALUES || records < ABI_MIN_RECORDS) {
		printf("FAIL: compared fewer than %d values or %d structures; "
		       "a proof that compares nothing proves nothing\n",
		       ABI_MIN_VALUES, ABI_MIN_RECORDS);
		return EXIT_FAILURE;
	}
	return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
