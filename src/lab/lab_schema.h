/*
 * The lab file schema: the one table (schema.c) of every section type, key,
 * value type, default, range, PowerShell name, failure-catalogue row and doc
 * string, plus the script verbs. The parser (load.c), the writer (dump.c),
 * `iovlab lab --schema` (lab_schema_print, the iovctl -S idea from FreeBSD:
 * a declared schema validated centrally and printable on request) and the
 * reference parts of man/iovlab.lab.5 and docs/lab-format.md are all
 * generated from it, so they cannot drift.
 *
 * Later layers use it too: a script step `set vmnetworkadapter vm1
 * IovWeight 0` names a key by its PowerShell name; lab_schema_key_find()
 * finds it and lab_value_parse() converts the value with the same rules the
 * file uses.
 */
#ifndef IOVLAB_LAB_LAB_SCHEMA_H
#define IOVLAB_LAB_LAB_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/lab.h"

/* Value types. The C type each is stored as is in brackets. */
enum lab_type {
	LAB_T_BOOL,	/* on/off true/false yes/no 1/0 $true/$false [bool] */
	LAB_T_U32,	/* decimal or 0x hex, min..max [uint32_t] */
	LAB_T_SIZE,	/* bytes with K/M/G/T (binary, PowerShell's KB = 1024) [uint64_t] */
	LAB_T_ENUM,	/* one of values[], case-insensitive [int-sized enum] */
	LAB_T_STRING,	/* free text up to max characters [char *] */
	LAB_T_NAME,	/* name of a section of type ref [char *], NULL = none */
	LAB_T_DRIVER,	/* built-in name (values[]) or path to a .so [char *], NULL = none */
	LAB_T_MAC,	/* 00155D0A1B01 or 00-15-5D-0A-1B-01 [struct lab_mac] */
	LAB_T_IPV4,	/* 10.0.0.21/24 [struct lab_ipv4] */
	LAB_T_UPLINK,	/* peer, none, tap:IF, veth:IF [struct lab_uplink] */
	LAB_T_TEXT,	/* open-section value: any non-empty text (kept in a kvlist) */
	LAB_T_STEP,	/* script step: VERB ARGS... (kept in struct lab_script) */
	LAB_T_COUNT,
};

/* Key flags. */
#define LAB_KF_NONE_OK		0x0001u	/* "none" is accepted (stored as NULL / unset) */
#define LAB_KF_AUTO_OK		0x0002u	/* MAC: "auto" is accepted */
#define LAB_KF_EMPTY_OK		0x0004u	/* STRING: may be empty */
#define LAB_KF_POW2		0x0008u	/* must be a power of two */
#define LAB_KF_MAC_DASH		0x0010u	/* MAC written 00-15-5D-.. (NetAdapter style) */
#define LAB_KF_DEF_INSTANCE	0x0020u	/* default: the section's own name */
#define LAB_KF_DEF_ONLY		0x0040u	/* default: the only section of type ref */
#define LAB_KF_DEF_FILE		0x0080u	/* default: the lab file's base name */
#define LAB_KF_MULTI		0x0100u	/* may repeat; each occurrence is kept in order */
#define LAB_KF_CONVENTION	0x0200u	/* open-section key documented for later layers, not typed here */

struct lab_enum_value {
	const char *name;	/* canonical spelling (PowerShell's, where one exists) */
	int value;
	const char *doc;
};

struct lab_key {
	const char *name;	/* spelling in the file, lowercase */
	const char *ps_name;	/* PowerShell / NetAdapter name, or NULL */
	enum lab_type type;
	unsigned flags;
	size_t offset;		/* field in the section's struct (not for TEXT/STEP) */
	const char *def;	/* default, in file syntax (parsed like a value) */
	uint64_t min, max;	/* U32/SIZE: range; STRING: max is the length limit */
	const struct lab_enum_value *values;	/* ENUM: choices; DRIVER: built-in names */
	enum lab_section ref;	/* NAME: what it names */
	const char *frows;	/* failure-catalogue rows it produces: "F09=false" or "F18", comma-separated */
	const char *doc;
};

/* How an open section's extra keys must be spelled. */
enum lab_open {
	LAB_OPEN_NONE,		/* only the listed keys */
	LAB_OPEN_KEYWORD,	/* registry keyword: optional '*', then letters, digits, '_' */
	LAB_OPEN_FAULT,		/* letters, digits, '_', starting with a letter */
};

struct lab_section_schema {
	enum lab_section id;
	const char *name;	/* "vmnetworkadapter" */
	const char *ps_name;	/* class as PowerShell names it, for `set`; or NULL */
	const char *instance;	/* what NAME in [type NAME] is; NULL: no name */
	enum lab_open open;
	const struct lab_key *keys;
	size_t nkeys;
	const char *doc;
};

/* Script step argument kinds (checked when the lab loads). */
enum lab_arg {
	LAB_ARG_NONE,		/* end of the list */
	LAB_ARG_WORD,		/* anything */
	LAB_ARG_OBJECT,		/* name of any nic, vmswitch, vm, vmnetworkadapter, fault */
	LAB_ARG_SUBJECT,	/* OBJECT, "host" (or its computer_name), "peer", "peer:NIC" */
	LAB_ARG_VM,
	LAB_ARG_NIC,
	LAB_ARG_FAULT,
	LAB_ARG_ADAPTER,	/* vmnetworkadapter, or a vm with exactly one */
	LAB_ARG_ENDPOINT,	/* ADAPTER, "peer" (the only nic's uplink peer) or "peer:NIC" */
	LAB_ARG_COUNT,		/* frame count 1..1000000 */
	LAB_ARG_FRAME_SIZE,	/* frame size in bytes 60..9018 */
	LAB_ARG_DURATION,	/* 250ms, 5s, 2m; 0..1h */
	LAB_ARG_UPDOWN,		/* up | down */
	LAB_ARG_CLASS,		/* set: section type or its PowerShell class */
	LAB_ARG_PROPERTY,	/* set: key of CLASS (file or PowerShell name) */
	LAB_ARG_VALUE,		/* set: value, checked with the key's type */
	LAB_ARG_ADDR,		/* IPv4 dotted quad, or an ADAPTER that has an ip */
	LAB_ARG_ADDR_PORT,	/* ADDR:PORT, port 1..65535 */
	LAB_ARG_BYTES,		/* byte count 1..4294967296, with an optional K, M or G (KiB, MiB, GiB) */
	LAB_ARG_PAYLOAD,	/* payload size in bytes 0..1472 */
};

#define LAB_VERB_MAX_ARGS 16

struct lab_verb {
	const char *name;
	const char *usage;	/* "wait PROPERTY OBJECT VALUE [TIMEOUT]" */
	enum lab_arg args[6];	/* kinds of the first arguments; later ones are WORD */
	int min_args;
	int max_args;		/* up to LAB_VERB_MAX_ARGS */
	const char *frows;
	const char *doc;
};

/* Section types in file order; NULL past the end. */
const struct lab_section_schema *lab_schema_section(enum lab_section id);

/* Section type by name (case-insensitive); also by ps_name if ps is true. */
const struct lab_section_schema *lab_schema_section_find(const char *name, bool ps);

/* Key of a section by file name or PowerShell name, case-insensitive; NULL if none. */
const struct lab_key *lab_schema_key_find(const struct lab_section_schema *sec,
					  const char *name);

/* Script verbs; lab_schema_verb(i) is NULL past the end. */
const struct lab_verb *lab_schema_verb(size_t i);
const struct lab_verb *lab_schema_verb_find(const char *name);

/* "bool", "u32", "size", ... for messages and the schema listing. */
const char *lab_type_name(enum lab_type type);

/* A parsed value of any key type. */
union lab_value {
	bool b;
	uint64_t u;		/* U32 and SIZE */
	int e;			/* ENUM */
	char *s;		/* STRING, NAME, DRIVER: heap; NULL for "none" */
	struct lab_mac mac;
	struct lab_ipv4 ip;
	struct lab_uplink uplink;
};

/*
 * Convert text with key's type, range and flags. Returns 0, -EINVAL with a
 * message in err such as "101 is out of range 0..100" (no file or key in
 * it: the caller adds those), or -ENOMEM. A NAME value is only checked for
 * spelling; whether the object exists is the loader's business. On success
 * release with lab_value_fini().
 */
int lab_value_parse(const struct lab_key *key, const char *text,
		    union lab_value *out, char *err, size_t errlen);
void lab_value_fini(const struct lab_key *key, union lab_value *v);

/* Canonical text of a value, as lab_dump() writes it. Returns snprintf's count. */
int lab_value_format(const struct lab_key *key, const union lab_value *v,
		     char *buf, size_t len);

/* A duration such as "5s", "250ms", "2m", in milliseconds. 0 or -EINVAL with err. */
int lab_duration_parse(const char *text, uint64_t *ms, char *err, size_t errlen);

/* A step's BYTES: "65536", "64K", "1M", "1MiB", "1G" (binary); 1..4 GiB. 0 or -EINVAL. */
int lab_bytes_arg_parse(const char *text, uint64_t *bytes);
/*
 * A step's ADDR (with_port false) or ADDR:PORT. A dotted IPv4 address:
 * 0, *addr (host byte order), *name NULL. Anything else is a name: returns
 * its length (> 0) with *name = text (the caller looks the adapter up), or
 * -EINVAL (empty, bad port, or a dotted address out of range).
 */
int lab_addr_arg_parse(const char *text, bool with_port, uint32_t *addr, uint16_t *port, const char **name);

/*
 * Is name a valid instance name: letters, digits, '_', '-', '.', starting
 * with a letter or digit, up to LAB_NAME_MAX, and not one of the reserved
 * words none, auto, host, peer?
 */
bool lab_name_valid(const char *name);

enum lab_schema_style {
	LAB_SCHEMA_TEXT,	/* `iovlab lab --schema`: plain text for a terminal */
	LAB_SCHEMA_MAN,		/* roff for man/iovlab.lab.5 */
	LAB_SCHEMA_MARKDOWN,	/* for docs/lab-format.md */
};

/*
 * Print the whole schema: every section with its keys (type, default,
 * range, PowerShell name, catalogue rows, meaning), the script verbs, and
 * the table of failure-catalogue rows F01-F32 with the settings that
 * produce each.
 */
void lab_schema_print(FILE *out, enum lab_schema_style style);

#endif /* IOVLAB_LAB_LAB_SCHEMA_H */
