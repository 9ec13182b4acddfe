/*
 * The one place that turns OID values and status codes into the names a
 * Windows developer reads: "OID_SRIOV_VF_SERIAL_NUMBER",
 * "NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)". Every log line and view uses
 * these, never its own strings. The tables are generated from include/ndis,
 * so every code the headers define has a name.
 */
#ifndef IOVLAB_NDIS_NAMES_H
#define IOVLAB_NDIS_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Name of an OID, or NULL if include/ndis does not define it. */
const char *ndis_oid_name(uint32_t oid);

/*
 * Name of a status code. ndis_status_name prefers the NDIS_STATUS_* spelling
 * (NDIS_STATUS_NOT_SUPPORTED), ntstatus_name the STATUS_* one
 * (STATUS_NOT_SUPPORTED); each falls back to the other family. NULL if
 * neither defines the value.
 */
const char *ndis_status_name(uint32_t status);
const char *ntstatus_name(uint32_t status);

/*
 * Format for logs and views into buf (always NUL-terminated; returns buf):
 *   ndis_oid_format:    "OID_SRIOV_RESET_VF (0x00010255)" / "OID 0x12345678"
 *   ndis_status_format: "NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)" / "0xc0123456"
 *   ntstatus_format:    "STATUS_NOT_SUPPORTED (0xc00000bb)"
 */
char *ndis_oid_format(char *buf, size_t len, uint32_t oid);
char *ndis_status_format(char *buf, size_t len, uint32_t status);
char *ntstatus_format(char *buf, size_t len, uint32_t status);

/* Reverse lookup (lab files and the command line): 0 and *value, or -ENOENT. */
int ndis_oid_from_name(const char *name, uint32_t *value);
int ndis_status_from_name(const char *name, uint32_t *value);

/* How many names each table holds (tests and `iovlab --version`). */
size_t ndis_names_oid_count(void);
size_t ndis_names_status_count(void);

#endif
