/*
 * Lookups over the generated OID/status name tables (see names.h). Linear
 * search: the tables have a few hundred entries and lookups happen when a
 * line is logged or a view printed, never per frame.
 */
#include "ndis/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ndis/names_table.h"

static const char *lookup(const struct ndis_name_table *t, uint32_t value)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->entries[i].value == value)
			return t->entries[i].name;
	return NULL;
}

static int rlookup(const struct ndis_name_table *t, const char *name, uint32_t *value)
{
	for (size_t i = 0; i < t->count; i++)
		if (strcmp(t->entries[i].name, name) == 0) {
			*value = t->entries[i].value;
			return 0;
		}
	return -ENOENT;
}

const char *ndis_oid_name(uint32_t oid)
{
	return lookup(&ndis_names_oid, oid);
}

const char *ndis_status_name(uint32_t status)
{
	const char *n = lookup(&ndis_names_ndis_status, status);

	return n ? n : lookup(&ndis_names_ntstatus, status);
}

const char *ntstatus_name(uint32_t status)
{
	const char *n = lookup(&ndis_names_ntstatus, status);

	return n ? n : lookup(&ndis_names_ndis_status, status);
}

char *ndis_oid_format(char *buf, size_t len, uint32_t oid)
{
	const char *n = ndis_oid_name(oid);

	if (n)
		snprintf(buf, len, "%s (0x%08x)", n, oid);
	else
		snprintf(buf, len, "OID 0x%08x", oid);
	return buf;
}

static char *status_format(char *buf, size_t len, uint32_t status, const char *n)
{
	if (n)
		snprintf(buf, len, "%s (0x%08x)", n, status);
	else
		snprintf(buf, len, "0x%08x", status);
	return buf;
}

char *ndis_status_format(char *buf, size_t len, uint32_t status)
{
	return status_format(buf, len, status, ndis_status_name(status));
}

char *ntstatus_format(char *buf, size_t len, uint32_t status)
{
	return status_format(buf, len, status, ntstatus_name(status));
}

int ndis_oid_from_name(const char *name, uint32_t *value)
{
	return rlookup(&ndis_names_oid, name, value);
}

int ndis_status_from_name(const char *name, uint32_t *value)
{
	if (rlookup(&ndis_names_ndis_status, name, value) == 0)
		return 0;
	return rlookup(&ndis_names_ntstatus, name, value);
}

size_t ndis_names_oid_count(void)
{
	return ndis_names_oid.count;
}

size_t ndis_names_status_count(void)
{
	return ndis_names_ndis_status.count + ndis_names_ntstatus.count;
}
