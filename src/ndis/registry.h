/*
 * The per-adapter registry: the "driver key" (HKR) of one network adapter
 * instance, the tree a NIC package's INF AddReg lines write into and that
 * NdisOpenConfigurationEx / NdisReadConfiguration read from (ndis-sriov-spec.md
 * 2.2). Keys form a tree ("Ndi\params\*SRIOV\enum", "NicSwitches\0"); each key
 * holds typed values. Names compare case-insensitively, as in the Windows
 * registry. The framework owns one tree per adapter (src/ndis/adapter.c); the
 * INF reader fills it (inf.c); the keyword layer (keyword.c) validates
 * Set-NetAdapterAdvancedProperty-style overrides against Ndi\params.
 *
 * Values are stored as the registry stores them: REG_SZ text for Advanced-page
 * keywords (NDI params are strings even when numeric), REG_DWORD for AddReg
 * lines with flag 0x00010001.
 */
#ifndef IOVLAB_NDIS_REGISTRY_H
#define IOVLAB_NDIS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

enum ndis_reg_type {
	NDIS_REG_SZ,
	NDIS_REG_EXPAND_SZ,
	NDIS_REG_MULTI_SZ,	/* data: strings, each NUL-terminated, then a final NUL */
	NDIS_REG_DWORD,
	NDIS_REG_BINARY,
};

struct ndis_reg_value {
	char *name;		/* "" is the key's default value */
	enum ndis_reg_type type;
	uint32_t dword;		/* NDIS_REG_DWORD */
	uint8_t *data;		/* other types; always NUL-terminated for the SZ kinds */
	size_t len;		/* bytes in data (SZ: without the terminator) */
};

struct ndis_reg_key;

/* An empty root key. Returns NULL on allocation failure. */
struct ndis_reg_key *ndis_reg_create(void);
/* Frees the key and everything below it; NULL is a no-op. */
void ndis_reg_destroy(struct ndis_reg_key *key);
/* Deep copy (adapter registry built from a package template). */
struct ndis_reg_key *ndis_reg_clone(const struct ndis_reg_key *key);

/*
 * Open a subkey by a backslash-separated path relative to key ("" or NULL is
 * key itself). With create, missing keys are made. Returns NULL if absent
 * (or on allocation failure with create). The key stays owned by the tree.
 */
struct ndis_reg_key *ndis_reg_open(struct ndis_reg_key *key, const char *path, int create);
const struct ndis_reg_key *ndis_reg_open_const(const struct ndis_reg_key *key, const char *path);
const char *ndis_reg_key_name(const struct ndis_reg_key *key);

/* Set a value (replacing one of the same name). 0 or -ENOMEM/-EINVAL. */
int ndis_reg_set_sz(struct ndis_reg_key *key, const char *name, const char *text);
int ndis_reg_set_typed_sz(struct ndis_reg_key *key, const char *name,
			  enum ndis_reg_type type, const char *text, size_t len);
int ndis_reg_set_dword(struct ndis_reg_key *key, const char *name, uint32_t value);
int ndis_reg_set_binary(struct ndis_reg_key *key, const char *name,
			const void *data, size_t len);

/* The value, or NULL. The pointer is valid until the value is replaced. */
const struct ndis_reg_value *ndis_reg_get(const struct ndis_reg_key *key, const char *name);

/* Iteration by index (views, tests). NULL past the end. */
const struct ndis_reg_value *ndis_reg_value_at(const struct ndis_reg_key *key, size_t i);
const struct ndis_reg_key *ndis_reg_subkey_at(const struct ndis_reg_key *key, size_t i);

/*
 * A value as an unsigned integer the way NdisReadConfiguration converts it:
 * REG_DWORD as is, REG_SZ parsed in base 10 (or 16 when hex is set, with or
 * without a 0x prefix). 0 and *out, -ENOENT if absent, -EINVAL if not a
 * number.
 */
int ndis_reg_get_uint(const struct ndis_reg_key *key, const char *name, int hex, uint32_t *out);

/* Parse "123" / "0x7b" (hex_default: digits without prefix are hex). */
int ndis_reg_parse_uint(const char *s, int hex_default, uint32_t *out);

/* Render a value as text for views ("1", "Default Switch", "0x00000008"). */
char *ndis_reg_value_format(const struct ndis_reg_value *v, char *buf, size_t len);

#endif /* IOVLAB_NDIS_REGISTRY_H */
