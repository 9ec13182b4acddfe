/*
 * Internal to src/ndis/names.c: the generated tables (names_gen.c, made by
 * scripts/gen_ndis_names.py from include/ndis at build time).
 */
#ifndef IOVLAB_NDIS_NAMES_TABLE_H
#define IOVLAB_NDIS_NAMES_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct ndis_name_entry {
	uint32_t value;
	const char *name;
};

struct ndis_name_table {
	const struct ndis_name_entry *entries;	/* in header order */
	size_t count;
};

extern const struct ndis_name_table ndis_names_oid;
extern const struct ndis_name_table ndis_names_ndis_status;
extern const struct ndis_name_table ndis_names_ntstatus;

#endif
