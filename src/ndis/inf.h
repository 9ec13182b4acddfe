/*
 * The INF reader: the subset of the Windows INF language a NIC or protocol
 * package needs, read the way the Windows class installer reads it, with a
 * malformed file refused as "<file>:<line>: <reason>". It is the first thing
 * the framework touches when a driver package is installed
 * (ndis_framework_install_inf), and it decides which driver serves which
 * hardware ID and which keywords an adapter starts with (ndis-sriov-spec.md
 * 2.1-2.2, 2.12; the subset is documented in docs/ndis/inf.md).
 *
 * Sections understood: [Version] (Signature, Class, ClassGuid, Provider,
 * DriverVer), [Manufacturer] -> models sections (with .NTamd64-style
 * decorations) mapping hardware IDs (PCI\VEN_xxxx&DEV_yyyy[&SUBSYS_ssssssss]
 * [&REV_rr]) or component IDs to DDInstall sections; DDInstall
 * (Characteristics, BusType, *IfType, *MediaType, *PhysicalMediaType, AddReg,
 * CopyFiles ignored), DDInstall.HW (Include, Needs, AddReg), DDInstall.Services
 * (AddService -> ServiceBinary), AddReg sections (HKR only; REG_SZ,
 * REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_BINARY; NOCLOBBER, KEYONLY) and
 * [Strings]. AddReg content is checked the way the standardized-keyword rules
 * demand: every Ndi\params\<keyword> has ParamDesc, a known type and a default
 * inside its range or enum; the SR-IOV switch values under NicSwitches\0 have
 * their required values; Ndi\Interfaces ranges are non-empty lists.
 *
 * Everything returned points into the struct ndis_inf and lives until
 * ndis_inf_destroy().
 */
#ifndef IOVLAB_NDIS_INF_H
#define IOVLAB_NDIS_INF_H

#include <stddef.h>
#include <stdint.h>

#include "ndis/registry.h"

enum ndis_inf_class {
	NDIS_INF_CLASS_NET,		/* network adapters (miniports) */
	NDIS_INF_CLASS_NETTRANS,	/* protocols */
	NDIS_INF_CLASS_NETSERVICE,	/* services / protocol edges */
	NDIS_INF_CLASS_NETCLIENT,
};

/* AddReg line flags (setupapi.h FLG_ADDREG_*) the reader accepts. */
#define NDIS_INF_FLG_BINVALUETYPE 0x00000001u
#define NDIS_INF_FLG_NOCLOBBER 0x00000002u
#define NDIS_INF_FLG_KEYONLY 0x00000010u
#define NDIS_INF_FLG_TYPE_MULTI_SZ 0x00010000u
#define NDIS_INF_FLG_TYPE_EXPAND_SZ 0x00020000u
#define NDIS_INF_FLG_TYPE_DWORD 0x00010001u

/* One AddReg line: HKR, <subkey>, <value name>, <flags>, <value...>. */
struct ndis_inf_addreg {
	const char *subkey;		/* "" = the driver key itself */
	const char *name;		/* "" = the key's default value */
	enum ndis_reg_type type;
	int keyonly;			/* create the key, no value */
	int noclobber;			/* keep an existing value */
	const char *text;		/* SZ/EXPAND_SZ; MULTI_SZ: NUL-separated, double NUL */
	size_t text_len;		/* bytes of text without the final terminator */
	uint32_t dword;
	const uint8_t *bytes;		/* BINARY */
	size_t n_bytes;
	int line;
};

struct ndis_inf_install {
	const char *name;		/* resolved section, e.g. "PF.NTamd64" */
	int line;
	int has_characteristics;
	uint32_t characteristics;	/* NCF_* */
	int has_bus_type;
	uint32_t bus_type;
	const struct ndis_inf_addreg *addreg;	/* DDInstall + DDInstall.HW, in file order */
	size_t n_addreg;
	const char *const *needs;	/* DDInstall.HW Needs= entries */
	size_t n_needs;
	const char *service;		/* AddService with SPSVCINST_ASSOCSERVICE */
	const char *service_binary;	/* "srnic_pf.sys" (directory part removed) */
	int service_line;
};

struct ndis_inf_model {
	const char *description;
	const char *id;			/* hardware ID or component ID */
	const struct ndis_inf_install *install;
	int line;
};

struct ndis_inf;

/*
 * Parse text (len bytes, need not be NUL-terminated) named `name` in
 * messages. On success 0 and *out (free with ndis_inf_destroy). On a
 * malformed file -EINVAL and "<name>:<line>: <reason>" in err; -ENOMEM on
 * allocation failure. Never aborts on any input.
 */
int ndis_inf_parse(const char *name, const char *text, size_t len,
		   struct ndis_inf **out, char *err, size_t errlen);
/* Read and parse a file; -errno from the file system with the path in err. */
int ndis_inf_load(const char *path, struct ndis_inf **out, char *err, size_t errlen);
void ndis_inf_destroy(struct ndis_inf *inf);

const char *ndis_inf_name(const struct ndis_inf *inf);
enum ndis_inf_class ndis_inf_class(const struct ndis_inf *inf);
const char *ndis_inf_class_name(enum ndis_inf_class cls);
const char *ndis_inf_provider(const struct ndis_inf *inf);
const char *ndis_inf_driver_ver(const struct ndis_inf *inf);

size_t ndis_inf_model_count(const struct ndis_inf *inf);
const struct ndis_inf_model *ndis_inf_model_at(const struct ndis_inf *inf, size_t i);
/* The model whose ID equals id (case-insensitive), or NULL. */
const struct ndis_inf_model *ndis_inf_find_model(const struct ndis_inf *inf, const char *id);

/* True if the install section's .HW section has Needs=PciSriovSupported.HW. */
int ndis_inf_install_needs(const struct ndis_inf_install *inst, const char *what);

/*
 * Build an adapter's driver key from an install section: apply the AddReg
 * lines in order, then give every Ndi\params\<keyword> without a value its
 * default (what the class installer does at install time). 0 or -ENOMEM.
 */
int ndis_inf_apply(const struct ndis_inf_install *inst, struct ndis_reg_key *root);

/*
 * Whether id is a well-formed PCI hardware ID of the subset:
 * PCI\VEN_xxxx&DEV_yyyy[&SUBSYS_ssssssss][&REV_rr] (hex, any case).
 */
int ndis_inf_pci_id_valid(const char *id);

#endif /* IOVLAB_NDIS_INF_H */
