/*
 * The INF reader of the guest's PnP manager: the subset of the INF language
 * a WDM driver package needs -- an IHV bus driver (Class = System) such as
 * drivers/srnic_vbd, or any non-network driver a user brings. Network
 * packages (Net, NetTrans, ...) go to NDIS's own reader (src/ndis/inf.h),
 * which checks the NDIS keyword rules this one has no business knowing.
 *
 * Sections understood: [Version] (Signature, Class, ClassGuid, Provider,
 * DriverVer), [Manufacturer] -> models sections (with .NTamd64-style
 * decorations) mapping hardware IDs to DDInstall sections, DDInstall
 * (AddReg: the driver key), DDInstall.HW (AddReg: the device key, "Device
 * Parameters"), DDInstall.Services (AddService -> ServiceBinary), AddReg
 * sections (HKR only; REG_SZ and REG_DWORD), [Strings]. Decorated install
 * sections are found as Windows finds them: name.NTamd64, name.NT, name.
 * Anything malformed is refused as "<file>:<line>: <reason>"; unknown
 * directives are ignored, as SetupAPI ignores them.
 *
 * Everything returned points into the struct pnp_inf and lives until
 * pnp_inf_destroy().
 */
#ifndef IOVLAB_PNP_INF_H
#define IOVLAB_PNP_INF_H

#include <stddef.h>
#include <stdint.h>

/* One HKR value: HKR, <subkey>, <name>, <flags>, <value>. */
struct pnp_inf_value {
	const char *subkey;	/* "" = the key itself */
	const char *name;
	uint32_t type;		/* REG_SZ (1) or REG_DWORD (4) */
	uint32_t dword;
	const char *sz;
	int line;
};

struct pnp_inf_install {
	const char *name;		/* resolved section, e.g. "VBD.NTamd64" */
	const char *service;		/* AddService with SPSVCINST_ASSOCSERVICE (0x2) */
	const char *service_binary;	/* "srnic_vbd.sys" (directory part removed) */
	const struct pnp_inf_value *dev_values;	/* DDInstall.HW AddReg */
	size_t n_dev_values;
	const struct pnp_inf_value *drv_values;	/* DDInstall AddReg */
	size_t n_drv_values;
	int line;
};

struct pnp_inf_model {
	const char *description;
	const char *id;
	const struct pnp_inf_install *install;
	int line;
};

struct pnp_inf;

/* Parse len bytes named name. 0 and *out, or -EINVAL with the reason in err, -ENOMEM. */
int pnp_inf_parse(const char *name, const char *text, size_t len, struct pnp_inf **out, char *err,
		  size_t errlen);
/* Read and parse a file; -errno from the file system with the path in err. */
int pnp_inf_load(const char *path, struct pnp_inf **out, char *err, size_t errlen);
void pnp_inf_destroy(struct pnp_inf *inf);

const char *pnp_inf_name(const struct pnp_inf *inf);
const char *pnp_inf_class(const struct pnp_inf *inf);
const char *pnp_inf_provider(const struct pnp_inf *inf);
size_t pnp_inf_model_count(const struct pnp_inf *inf);
const struct pnp_inf_model *pnp_inf_model_at(const struct pnp_inf *inf, size_t i);
/* The model whose ID equals id (case-insensitive), or NULL. */
const struct pnp_inf_model *pnp_inf_find_model(const struct pnp_inf *inf, const char *id);

#endif /* IOVLAB_PNP_INF_H */
