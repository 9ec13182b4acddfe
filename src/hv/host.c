/*
 * The host assembly (host.h): a lab file's root partition brought up piece by
 * piece -- PCIe host with the [host] platform, srnic devices, NDIS with the
 * PF drivers on the root partition's PCI bus driver (pcibus.c), virtual
 * switches, the virtualization stack with its VMs -- and torn down in the
 * documented reverse order. It also maps the platform model to what Windows
 * shows for it: the R1-R9 IovSupportReasons of Get-VMHost and each PF's
 * SriovSupport (tools-and-views.md 1.2, 1.4; failure catalogue F01-F12).
 *
 * The platform model is the [host] section as the user wrote it (struct
 * hv_platform below); the PCIe host gets the effective properties the PCI
 * bus driver checks (DMA / interrupt remapping only work when the IOMMU is
 * enabled in firmware, the OS allows remapping and the firmware tables are
 * right; native PCIe control needs a PCIe bus and _OSC).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/log.h"
#include "hv/host.h"
#include "hv/pci_pdo.h"
#include "hv/pcibus.h"
#include "pnp/guest_ndis.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

#define HOST_LOG "lab.hv.host"

/* [host] as written: the platform model. */
struct hv_platform {
	bool osc, slat, interrupt_remapping, dma_remapping, io_remapping, iommu, bios_describes_ok, pcie, acs;
	uint32_t bus_numbers;
	uint64_t vf_bar_space;
};

struct hv_nic {
	struct hv_host *h;
	const struct lab_nic *lab;
	struct srnic *dev;
	struct srnic_peer *peer;
	struct pcie_function *fn;
	struct pcibus_pf *bus;
	struct ndis_adapter *ad;
	enum hv_nic_state state;
	char hwid[96];
	char *inf_path;
	struct ndis_inf *inf;
	const struct ndis_inf_model *model;
	uint8_t mac[6];
	/* over a virtual bus driver ([nic] vbd): the PCI PDO, its node, the overrides */
	PDEVICE_OBJECT pci_pdo;
	struct pnp_devnode *dn;
	struct ndis_keyword kw[64];
	size_t nkw;
};

struct hv_host {
	const struct lab *lab;
	struct hv_platform plat;
	struct pcie_host *pcie;
	struct ndis_framework *fw;
	struct hv_nic *nics;
	size_t nnics;
	struct vswitch **sws;
	struct hv_nic **sw_nics;
	size_t nsws;
	struct vstack *vs;
	char **notes;
	size_t nnotes;
	char **installed;
	size_t ninstalled;
	/* the root partition's PnP manager, for PFs on a virtual bus driver */
	struct pnp_manager *pm;
	struct pci_bus *pci;
	struct guest_ndis *gn;
};

/* ---- notes ------------------------------------------------------------------------ */
__attribute__((format(printf, 2, 3))) static void note(struct hv_host *h, const char *fmt, ...)
{
	char buf[512], **n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info(HOST_LOG, "%s", buf);
	n = realloc(h->notes, (h->nnotes + 1) * sizeof(*n));
	if (!n)
		return;
	h->notes = n;
	if ((h->notes[h->nnotes] = strdup(buf)))
		h->nnotes++;
}

size_t hv_host_note_count(const struct hv_host *h)
{
	return h->nnotes;
}

const char *hv_host_note_at(const struct hv_host *h, size_t i)
{
	return i < h->nnotes ? h->notes[i] : NULL;
}

/* ---- names ------------------------------------------------------------------------ */
const char *hv_nic_state_name(enum hv_nic_state s)
{
	switch (s) {
	case HV_NIC_NO_DRIVER: return "NoDriver";
	case HV_NIC_NOT_BUILT: return "NotBuilt";
	case HV_NIC_DRIVER_ERROR: return "DriverError";
	case HV_NIC_INIT_FAILED: return "InitFailed";
	case HV_NIC_RUNNING: return "Running";
	}
	return "?";
}

const char *hv_keyword_registry_name(const char *keyword)
{
	/* spec 2.2: the switch's keywords live under NicSwitches\0. */
	static const char *const sw[][2] = {
		{ "*NumVFs", "NicSwitches\\0\\*NumVFs" }, { "*SwitchName", "NicSwitches\\0\\*SwitchName" },
		{ "*SwitchType", "NicSwitches\\0\\*SwitchType" }, { "*SwitchId", "NicSwitches\\0\\*SwitchId" },
		{ "*Flags", "NicSwitches\\0\\*Flags" },
	};
	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
		if (strcasecmp(keyword, sw[i][0]) == 0)
			return sw[i][1];
	return keyword;
}

/* ---- the platform ------------------------------------------------------------------ */
size_t hv_host_iov_reasons(const struct hv_host *h, enum hv_iov_reason out[HV_IOV_REASON_COUNT])
{
	const struct hv_platform *p = &h->plat;
	const bool missing[HV_IOV_REASON_COUNT] = {
		[HV_IOV_R1_NO_SLAT] = !p->slat,
		[HV_IOV_R2_NO_INTERRUPT_REMAPPING] = !p->interrupt_remapping,
		[HV_IOV_R3_NO_DMA_REMAPPING] = !p->dma_remapping,
		[HV_IOV_R4_IO_REMAPPING_DISABLED] = !p->io_remapping,
		[HV_IOV_R5_NO_CHIPSET_SUPPORT] = !p->iommu,
		[HV_IOV_R6_BIOS_WRONG] = !p->bios_describes_ok,
		[HV_IOV_R7_NO_PCIE] = !p->pcie,
		[HV_IOV_R8_NO_OSC] = !p->osc,
		[HV_IOV_R9_NO_ACS] = !p->acs,
	};
	size_t n = 0;

	for (int r = 0; r < HV_IOV_REASON_COUNT; r++)
		if (missing[r])
			out[n++] = (enum hv_iov_reason)r;
	return n;
}

bool hv_host_iov_support(const struct hv_host *h)
{
	enum hv_iov_reason r[HV_IOV_REASON_COUNT];

	return hv_host_iov_reasons(h, r) == 0;
}

enum hv_sriov_support hv_nic_sriov_support(const struct hv_host *h, const struct hv_nic *n)
{
	const struct hv_platform *p = &h->plat;
	struct ndis_sriov_view v;

	/* tools-and-views.md 1.2/1.4: which SriovSupport value each platform reason shows as. */
	if (!p->iommu || !p->bios_describes_ok || !p->pcie)
		return HV_SRIOV_UNKNOWN;
	if (!p->osc)
		return HV_SRIOV_NO_OSC_SUPPORT;
	if (!p->slat || !p->interrupt_remapping || !p->dma_remapping || !p->io_remapping)
		return HV_SRIOV_NO_IOMMU_SUPPORT;
	switch (pcie_host_sriov_support(h->pcie, n->fn)) {
	case PCIE_SRIOV_MISSING_ACS: return HV_SRIOV_MISSING_ACS;
	case PCIE_SRIOV_NO_BUS_RESOURCE: return HV_SRIOV_NO_BUS_RESOURCES;
	case PCIE_SRIOV_DIDNT_GET_VF_BAR_SPACE: return HV_SRIOV_NO_VF_BAR_SPACE;
	case PCIE_SRIOV_MISSING_PF_DRIVER: return HV_SRIOV_MISSING_PF_DRIVER;
	case PCIE_SRIOV_OK: break;
	}
	/* F12: no driver, a driver without SR-IOV, or a package without Needs=PciSriovSupported.HW. */
	if (!n->ad)
		return HV_SRIOV_MISSING_PF_DRIVER;
	ndis_adapter_sriov_view(n->ad, &v);
	if (!v.has_hw_sriov)
		return HV_SRIOV_MISSING_PF_DRIVER;
	for (size_t i = 0; i < ndis_framework_finding_count(h->fw); i++) {
		const struct ndis_finding *f = ndis_framework_finding_at(h->fw, i);
		if (f->rule == NDIS_RULE_PF_INF_NEEDS && strcasecmp(f->adapter, n->lab->name) == 0)
			return HV_SRIOV_MISSING_PF_DRIVER;
	}
	return HV_SRIOV_SUPPORTED;
}

/* ---- NICs -------------------------------------------------------------------------- */
static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* path relative to the lab file's directory (absolute paths as they are). */
static void lab_relative(const struct lab *lab, const char *path, char *out, size_t len)
{
	const char *slash = lab->file ? strrchr(lab->file, '/') : NULL;

	if (path[0] == '/' || !slash)
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - lab->file), lab->file, path);
}

static bool already_installed(struct hv_host *h, const char *inf)
{
	char **n;

	for (size_t i = 0; i < h->ninstalled; i++)
		if (strcmp(h->installed[i], inf) == 0)
			return true;
	n = realloc(h->installed, (h->ninstalled + 1) * sizeof(*n));
	if (n) {
		h->installed = n;
		if ((h->installed[h->ninstalled] = strdup(inf)))
			h->ninstalled++;
	}
	return false;
}

static uint32_t cfg(struct pcie_function *fn, unsigned off, unsigned len)
{
	uint32_t v = 0;

	pcie_cfg_read(fn, off, len, &v);
	return v;
}

/* Offset of the SR-IOV extended capability, 0 if the function has none (PCIe 4.0 7.6.3). */
static unsigned sriov_cap(struct pcie_function *fn)
{
	unsigned off = PCI_EXT_CAP_START;

	for (int hops = 0; off >= PCI_EXT_CAP_START && off < PCI_CFG_SIZE && hops < 64; hops++) {
		uint32_t hdr = cfg(fn, off, 4);
		if ((hdr & 0xffffu) == PCI_EXT_CAP_ID_SRIOV)
			return off;
		off = hdr >> 20;
	}
	return 0;
}

/* The device's most specific hardware ID, as PnP builds it from config space. */
static void hardware_id(struct hv_nic *n)
{
	snprintf(n->hwid, sizeof(n->hwid), "PCI\\VEN_%04X&DEV_%04X&SUBSYS_%04X%04X&REV_%02X",
		 cfg(n->fn, PCI_VENDOR_ID, 2), cfg(n->fn, PCI_DEVICE_ID, 2), cfg(n->fn, PCI_SUBSYSTEM_ID, 2),
		 cfg(n->fn, PCI_SUBSYSTEM_VENDOR_ID, 2), cfg(n->fn, PCI_REVISION_ID, 1));
}

/* The INF model PnP would pick: the full ID, then without &REV_, then without &SUBSYS_. */
static const struct ndis_inf_model *find_model(const struct ndis_inf *inf, const char *hwid)
{
	char id[96], *cut;
	const struct ndis_inf_model *m;

	snprintf(id, sizeof(id), "%s", hwid);
	if ((m = ndis_inf_find_model(inf, id)))
		return m;
	if ((cut = strstr(id, "&REV_")))
		*cut = 0;
	if ((m = ndis_inf_find_model(inf, id)))
		return m;
	if ((cut = strstr(id, "&SUBSYS_")))
		*cut = 0;
	return ndis_inf_find_model(inf, id);
}

static void read_mac(struct hv_nic *n)
{
	uint32_t lo = 0, hi = 0;

	if (srnic_mmio_read32(n->dev, 0, SRNIC_BAR_REGS, SRNIC_REG_MAC_LO, &lo) ||
	    srnic_mmio_read32(n->dev, 0, SRNIC_BAR_REGS, SRNIC_REG_MAC_HI, &hi))
		return;
	for (int i = 0; i < 4; i++)
		n->mac[i] = (uint8_t)(lo >> (8 * i));
	n->mac[4] = (uint8_t)hi;
	n->mac[5] = (uint8_t)(hi >> 8);
}

/* Which package serves the nic: true with its paths, or false and the state the nic ends in. */
static bool resolve_driver(struct hv_host *h, struct hv_nic *n, const struct hv_host_options *opt, char *so,
			   char *inf, size_t len, enum hv_nic_state *fail)
{
	const struct lab_nic *l = n->lab;

	*fail = HV_NIC_DRIVER_ERROR;
	if (!l->driver) {
		*fail = HV_NIC_NO_DRIVER;
		return false;
	}
	if (lab_driver_is_path(l->driver)) {
		lab_relative(h->lab, l->driver, so, len);
		if (l->inf && *l->inf) {
			lab_relative(h->lab, l->inf, inf, len);
		} else {
			size_t k = strlen(so);
			snprintf(inf, len, "%.*s.inf", (int)(k > 3 && !strcmp(so + k - 3, ".so") ? k - 3 : k), so);
		}
		if (!exists(so) || !exists(inf)) {
			note(h, "nic %s: driver package %s / %s not found", l->name, so, inf);
			return false;
		}
		return true;
	}
	if (!opt || !opt->builtin_driver_dir) {
		note(h, "nic %s: built-in driver %s is not built yet", l->name, l->driver);
		*fail = HV_NIC_NOT_BUILT;
		return false;
	}
	snprintf(so, len, "%s/%s/%s.so", opt->builtin_driver_dir, l->driver, l->driver);
	if (l->inf && *l->inf)
		lab_relative(h->lab, l->inf, inf, len);
	else
		snprintf(inf, len, "%s/%s/%s.inf", opt->builtin_driver_dir, l->driver, l->driver);
	if (!exists(so)) {
		note(h, "nic %s: built-in driver %s is not built yet (no %s)", l->name, l->driver, so);
		*fail = HV_NIC_NOT_BUILT;
		return false;
	}
	if (!exists(inf)) {
		note(h, "nic %s: INF %s not found", l->name, inf);
		return false;
	}
	return true;
}

/* ---- a PF on a virtual bus driver (spec 6.4) ---------------------------------------- */
/*
 * NDIS's PnP edge asks for the device on the VBD's child: the [nic] whose
 * PCI PDO is the child's parent gets its name, its [keywords] and the PCI bus
 * driver's MMIO, DMA and interrupt ops (config space travels as IRPs).
 */
static void vbd_describe(void *ctx, PDEVICE_OBJECT pdo, struct guest_ndis_device *d)
{
	struct hv_host *h = ctx;
	struct pnp_devnode *dn = pnp_devnode_of(pdo), *parent = dn ? pnp_devnode_parent(dn) : NULL;

	for (size_t i = 0; i < h->nnics; i++) {
		struct hv_nic *n = &h->nics[i];

		if (n->pci_pdo && (pdo == n->pci_pdo || (parent && pnp_devnode_pdo(parent) == n->pci_pdo))) {
			d->name = n->lab->name;
			d->keywords = n->kw;
			d->n_keywords = n->nkw;
			d->platform = &pcibus_ndis_ops;
			d->platform_ctx = n->bus;
			return;
		}
	}
}

static bool resolve_vbd(struct hv_host *h, const struct lab_nic *l, const struct hv_host_options *opt, char *so,
			char *inf, size_t len, enum hv_nic_state *fail)
{
	*fail = HV_NIC_DRIVER_ERROR;
	if (lab_driver_is_path(l->vbd)) {
		size_t k;

		lab_relative(h->lab, l->vbd, so, len);
		k = strlen(so);
		snprintf(inf, len, "%.*s.inf", (int)(k > 3 && !strcmp(so + k - 3, ".so") ? k - 3 : k), so);
	} else {
		if (!opt || !opt->builtin_driver_dir) {
			note(h, "nic %s: built-in virtual bus driver %s is not built yet", l->name, l->vbd);
			*fail = HV_NIC_NOT_BUILT;
			return false;
		}
		snprintf(so, len, "%s/%s/%s.so", opt->builtin_driver_dir, l->vbd, l->vbd);
		snprintf(inf, len, "%s/%s/%s.inf", opt->builtin_driver_dir, l->vbd, l->vbd);
	}
	if (!exists(so) || !exists(inf)) {
		note(h, "nic %s: virtual bus driver package %s / %s not found", l->name, so, inf);
		return false;
	}
	return true;
}

static void nic_vbd_up(struct hv_host *h, struct hv_nic *n, const struct hv_host_options *opt)
{
	const struct lab_nic *l = n->lab;
	char so[PATH_MAX], inf[PATH_MAX], key[PATH_MAX + 8], err[512];
	enum hv_nic_state fail;
	struct ndis_adapter *ad;
	char *slash;
	int rc;

	if (!resolve_vbd(h, l, opt, so, inf, sizeof(so), &fail)) {
		n->state = fail;
		return;
	}
	n->state = HV_NIC_DRIVER_ERROR;
	slash = strrchr(so, '/');
	if (slash)
		*slash = 0;
	snprintf(key, sizeof(key), "pnp:%s", inf);
	if (!already_installed(h, key) && (rc = pnp_install_inf(h->pm, inf, slash ? so : ".", err, sizeof(err)))) {
		note(h, "nic %s: virtual bus driver INF refused: %s", l->name, rc == -EEXIST ? "its IDs are served already" : err);
		return;
	}
	rc = pci_bus_add_pf(h->pci, n->bus, &n->pci_pdo, &n->dn);
	if (rc) {
		note(h, "nic %s: the PnP manager refused the PF's PCI PDO (%s)", l->name, strerror(-rc));
		return;
	}
	(void)pnp_manager_poll(h->pm);
	if (!n->dn || !pnp_devnode_service(n->dn) || strcmp(pnp_devnode_service(n->dn), "srnic_vbd") != 0 ||
	    pnp_devnode_state(n->dn) != PNP_DN_STARTED) {
		note(h, "nic %s: virtual bus driver %s did not start on the PF's PCI PDO (%s)", l->name, l->vbd,
		     n->dn ? pnp_dn_state_name(pnp_devnode_state(n->dn)) : "no device node");
		return;
	}
	ad = ndis_framework_find_adapter(h->fw, l->name);
	if (!ad) {
		note(h, "nic %s: no PF miniport started on %s's child (see the lab.pnp trace)", l->name, l->vbd);
		n->state = HV_NIC_INIT_FAILED;
		return;
	}
	n->ad = ad;
	n->state = HV_NIC_RUNNING;
	log_info(HOST_LOG, "nic %s: adapter up over %s (NDIS-WDM, driver %s)", l->name, l->vbd,
		 ndis_adapter_driver_name(ad));
}

static void nic_driver_up(struct hv_host *h, struct hv_nic *n, const struct hv_host_options *opt)
{
	const struct lab_nic *l = n->lab;
	char so[PATH_MAX], inf[PATH_MAX], dir[PATH_MAX], err[512];
	struct ndis_keyword kw[64];
	struct ndis_adapter_params p;
	size_t nkw = 0;
	enum hv_nic_state fail;
	char *slash;
	int rc;

	if (!resolve_driver(h, n, opt, so, inf, sizeof(so), &fail)) {
		n->state = fail;
		if (fail == HV_NIC_NO_DRIVER)
			log_info(HOST_LOG, "nic %s: no driver (driver = none)", l->name);
		return;
	}
	n->state = HV_NIC_DRIVER_ERROR;
	snprintf(dir, sizeof(dir), "%s", so);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	if (!already_installed(h, inf) &&
	    (h->gn ? guest_ndis_install_inf(h->gn, inf, dir, err, sizeof(err)) :
		     ndis_framework_install_inf(h->fw, inf, dir, err, sizeof(err)))) {
		note(h, "nic %s: INF refused: %s", l->name, err);
		return;
	}
	if (ndis_inf_load(inf, &n->inf, err, sizeof(err)) == 0) {
		n->model = find_model(n->inf, n->hwid);
		n->inf_path = strdup(inf);
	}
	if (pcibus_pf_create(h->pcie, pcie_fn_rid(n->fn), &n->bus)) {
		note(h, "nic %s: the PCI bus driver cannot take the PF", l->name);
		return;
	}
	if (l->keywords)
		for (size_t i = 0; i < l->keywords->kv.count && nkw < 64; i++)
			kw[nkw++] = (struct ndis_keyword){ hv_keyword_registry_name(l->keywords->kv.items[i].key),
							   l->keywords->kv.items[i].value };
	if (l->vbd) {
		memcpy(n->kw, kw, nkw * sizeof(kw[0]));
		n->nkw = nkw;
		nic_vbd_up(h, n, opt);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.name = l->name;
	p.hardware_id = n->hwid;
	p.bus = &pcibus_ndis_ops;
	p.bus_ctx = n->bus;
	p.keywords = kw;
	p.n_keywords = nkw;
	rc = ndis_adapter_create(h->fw, &p, &n->ad);
	switch (rc) {
	case 0:
		n->state = HV_NIC_RUNNING;
		log_info(HOST_LOG, "nic %s: adapter up (%s, driver %s)", l->name, n->hwid, ndis_adapter_driver_name(n->ad));
		break;
	case -EIO:
		n->state = HV_NIC_INIT_FAILED;
		note(h, "nic %s: the miniport failed MiniportInitializeEx (adapter halted)", l->name);
		break;
	case -ENOENT:
		note(h, "nic %s: no INF model serves %s", l->name, n->hwid);
		break;
	case -EINVAL:
		note(h, "nic %s: a [keywords %s] value was refused by the INF's Ndi\\params", l->name, l->name);
		break;
	default:
		note(h, "nic %s: driver %s did not load (%s)", l->name, l->driver, strerror(-rc));
		break;
	}
}

static int nic_device_up(struct hv_host *h, struct hv_nic *n, unsigned index)
{
	const struct lab_nic *l = n->lab;
	uint32_t total;
	unsigned cap;

	n->h = h;
	n->dev = srnic_create(h->pcie, (uint8_t)(3 + index), 0);
	if (!n->dev)
		return -ENOMEM;
	n->fn = srnic_function(n->dev, 0);
	hardware_id(n);
	/* srnic's geometry is its own (docs/hw/srnic.md); say where the lab asks for another. */
	cap = sriov_cap(n->fn);
	total = cap ? cfg(n->fn, cap + PCI_SRIOV_TOTAL_VF, 2) : 0;
	if (l->total_vfs != total)
		note(h, "nic %s: total_vfs %u is not applied: the srnic model has TotalVFs %u", l->name, l->total_vfs,
		     total);
	if (cap && (l->first_vf_offset != 1 || l->vf_stride != 1))
		note(h, "nic %s: first_vf_offset/vf_stride are not applied: srnic has VF offset %u, stride %u", l->name,
		     cfg(n->fn, cap + PCI_SRIOV_VF_OFFSET, 2), cfg(n->fn, cap + PCI_SRIOV_VF_STRIDE, 2));
	if (!l->mac.is_auto)
		note(h, "nic %s: mac is not applied: srnic keeps its own permanent address", l->name);
	switch (l->uplink.kind) {
	case LAB_UPLINK_PEER:
		n->peer = srnic_peer_create(n->dev, 64);
		if (n->peer)
			srnic_peer_set_count_only(n->peer, true);
		break;
	case LAB_UPLINK_NONE:
		break;
	case LAB_UPLINK_TAP:
	case LAB_UPLINK_VETH:
		note(h, "nic %s: uplink %s:%s is not built yet; the port is left unplugged", l->name,
		     l->uplink.kind == LAB_UPLINK_TAP ? "tap" : "veth", l->uplink.ifname);
		break;
	}
	return 0;
}

/* ---- the host ------------------------------------------------------------------------ */
/* NDIS's upcall to the virtualization stack (src/ndis/bus.h, spec 2.13 step 3). */
static void invalidate_config_block(void *ctx, struct ndis_adapter *pf, uint16_t vf, uint64_t mask)
{
	struct hv_host *h = ctx;

	if (h->vs)
		vstack_vf_config_invalidated(h->vs, pf, vf, mask);
}

static const struct ndis_virt_ops host_virt_ops = { .invalidate_config_block = invalidate_config_block };

static void platform_from_lab(struct hv_platform *p, const struct lab_host *l)
{
	p->osc = l->osc;
	p->slat = l->slat;
	p->interrupt_remapping = l->interrupt_remapping;
	p->dma_remapping = l->dma_remapping;
	p->io_remapping = l->io_remapping;
	p->iommu = l->iommu;
	p->bios_describes_ok = l->bios_describes_ok;
	p->pcie = l->pcie;
	p->acs = l->acs;
	p->bus_numbers = l->bus_numbers;
	p->vf_bar_space = l->vf_bar_space;
}

/* What the PCI bus driver sees of the platform model. */
static void platform_effective(const struct hv_platform *p, struct pcie_platform *e)
{
	bool remap = p->iommu && p->io_remapping && p->bios_describes_ok;

	memset(e, 0, sizeof(*e));
	e->dma_remapping = p->dma_remapping && remap;
	e->interrupt_remapping = p->interrupt_remapping && remap;
	e->acs_root_port = p->acs;
	e->osc_pcie_control = p->osc && p->pcie;
	e->slat = p->slat;
	e->bus_numbers = p->bus_numbers;
	e->vf_bar_space = p->vf_bar_space;
}

static void mac_auto(const struct lab *lab, size_t index, uint8_t mac[6])
{
	/* Hyper-V's dynamic pool is 00-15-5D-xx-xx-xx; skip what the lab uses statically. */
	for (unsigned k = (unsigned)index + 1;; k++) {
		bool taken = false;

		mac[0] = 0x00, mac[1] = 0x15, mac[2] = 0x5d, mac[3] = 0x00, mac[4] = (uint8_t)(k >> 8);
		mac[5] = (uint8_t)k;
		for (size_t i = 0; i < lab->nvmnics; i++)
			if (!lab->vmnics[i].mac.is_auto && !memcmp(lab->vmnics[i].mac.b, mac, 6))
				taken = true;
		if (!taken)
			return;
	}
}

static int vms_up(struct hv_host *h, const struct hv_host_options *opt)
{
	const struct lab *lab = h->lab;
	struct vstack_config vc = { .guest = opt ? opt->guest : NULL, .guest_ctx = opt ? opt->guest_ctx : NULL };
	int rc = vstack_create(&vc, &h->vs);

	if (rc)
		return rc;
	vstack_set_platform_support(h->vs, hv_host_iov_support(h));
	for (size_t i = 0; i < lab->nvms; i++) {
		struct vstack_vm *vm;
		if ((rc = vstack_vm_create(h->vs, lab->vms[i].name, &vm)))
			return rc;
	}
	for (size_t i = 0; i < lab->nvmnics; i++) {
		const struct lab_vmnic *l = &lab->vmnics[i];
		struct vstack_vmnic_config c = {
			.name = l->name,
			.display_name = l->display_name,
			.vlan = (uint16_t)l->vlan,
			.iov_weight = l->iov_weight,
			.iov_queue_pairs_requested = l->iov_queue_pairs_requested,
			.iov_interrupt_moderation = (enum vstack_moderation)l->iov_interrupt_moderation,
			.vmq_weight = l->vmq_weight,
		};
		struct vstack_vmnic *n;

		if (l->mac.is_auto)
			mac_auto(lab, i, c.mac);
		else
			memcpy(c.mac, l->mac.b, 6);
		rc = vstack_vmnic_create(vstack_vm_find(h->vs, l->vm_name), &c,
					 l->vswitch ? hv_host_switch_find(h, l->vswitch->name) : NULL, &n);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < lab->nvms; i++)
		if (lab->vms[i].autostart)
			(void)vstack_vm_start(vstack_vm_find(h->vs, lab->vms[i].name));
	return 0;
}

int hv_host_create(const struct lab *lab, const struct hv_host_options *opt, struct hv_host **out, char *err,
		   size_t errlen)
{
	struct hv_host *h;
	struct pcie_platform eff;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->lab = lab;
	platform_from_lab(&h->plat, &lab->host);
	h->pcie = pcie_host_create();
	if (!h->pcie) {
		snprintf(err, errlen, "cannot create the PCIe host");
		hv_host_destroy(h);
		return -EIO;
	}
	platform_effective(&h->plat, &eff);
	pcie_host_set_platform(h->pcie, &eff);

	h->nics = calloc(lab->nnics ? lab->nnics : 1, sizeof(*h->nics));
	h->sws = calloc(lab->nvswitches ? lab->nvswitches : 1, sizeof(*h->sws));
	h->sw_nics = calloc(lab->nvswitches ? lab->nvswitches : 1, sizeof(*h->sw_nics));
	if (!h->nics || !h->sws || !h->sw_nics) {
		hv_host_destroy(h);
		return -ENOMEM;
	}
	for (size_t i = 0; i < lab->nnics; i++) {
		h->nics[i].lab = &lab->nics[i];
		if ((rc = nic_device_up(h, &h->nics[i], (unsigned)i))) {
			snprintf(err, errlen, "nic %s: cannot create the srnic device", lab->nics[i].name);
			hv_host_destroy(h);
			return -EIO;
		}
		h->nnics++;
	}
	if ((rc = pcie_host_assign_bars(h->pcie)))
		note(h, "the firmware could not place every BAR (%s)", strerror(-rc));
	for (size_t i = 0; i < h->nnics; i++)
		read_mac(&h->nics[i]);

	h->fw = ndis_framework_create("host", NDIS_PARTITION_PARENT);
	if (!h->fw) {
		snprintf(err, errlen, "cannot create the root partition's NDIS");
		hv_host_destroy(h);
		return -EIO;
	}
	ndis_framework_set_virt_ops(h->fw, &host_virt_ops, h);
	for (size_t i = 0; i < h->nnics; i++)
		if (h->nics[i].lab->vbd && h->nics[i].lab->driver && !h->pm) {
			struct guest_ndis_config gc = { .fw = h->fw, .describe = vbd_describe, .describe_ctx = h };

			h->pm = pnp_manager_create("host");
			gc.pm = h->pm;
			if (!h->pm || pci_bus_create(h->pm, &h->pci) || guest_ndis_create(&gc, &h->gn)) {
				snprintf(err, errlen, "cannot create the root partition's PnP manager");
				hv_host_destroy(h);
				return -EIO;
			}
		}
	for (size_t i = 0; i < h->nnics; i++)
		nic_driver_up(h, &h->nics[i], opt);

	for (size_t i = 0; i < lab->nvswitches; i++) {
		const struct lab_vswitch *l = &lab->vswitches[i];
		struct hv_nic *nic = l->nic ? hv_host_nic_find(h, l->nic->name) : NULL;
		struct vswitch_config c = {
			.name = l->name,
			.type = l->type == LAB_VSWITCH_INTERNAL ? VSWITCH_INTERNAL :
				l->type == LAB_VSWITCH_PRIVATE ? VSWITCH_PRIVATE : VSWITCH_EXTERNAL,
			.iov = l->iov,
			.adapter_name = nic ? nic->lab->name : NULL,
			.pf = nic && nic->state == HV_NIC_RUNNING ? nic->ad : NULL,
		};
		if (c.type == VSWITCH_EXTERNAL && !nic) {
			note(h, "vmswitch %s: External without a network adapter; created as Private", l->name);
			c.type = VSWITCH_PRIVATE;
		}
		if (l->teaming == LAB_TEAMING_LBFO)
			note(h, "vmswitch %s: teaming LBFO is not modelled yet; the switch is bound to %s directly", l->name,
			     nic ? nic->lab->name : "nothing");
		if ((rc = vswitch_create(&c, &h->sws[h->nsws]))) {
			snprintf(err, errlen, "vmswitch %s: %s", l->name, strerror(-rc));
			hv_host_destroy(h);
			return -EIO;
		}
		h->sw_nics[h->nsws++] = nic;
	}
	if ((rc = vms_up(h, opt))) {
		snprintf(err, errlen, "cannot create the VMs: %s", strerror(-rc));
		hv_host_destroy(h);
		return rc == -ENOMEM ? -ENOMEM : -EIO;
	}
	*out = h;
	return 0;
}

void hv_host_destroy(struct hv_host *h)
{
	if (!h)
		return;
	/* 1. VMs: guest removal, filters back, DELETE_VPORT, RESET_VF, FREE_VF, CLEAR_FILTER. */
	if (h->vs) {
		for (size_t i = 0; i < vstack_vm_count(h->vs); i++) {
			struct vstack_vm *vm = vstack_vm_at(h->vs, i);
			if (vstack_vm_state(vm) == VSTACK_VM_RUNNING && vstack_vm_stop(vm) == -EINPROGRESS)
				log_error(HOST_LOG, "VM %s: its VFs are still being taken back at teardown", vstack_vm_name(vm));
		}
		vstack_destroy(h->vs);
	}
	/* 2. The switches unbind. */
	for (size_t i = 0; i < h->nsws; i++)
		vswitch_destroy(h->sws[i]);
	/* 3. Each PF adapter halts: NDIS's DELETE_SWITCH, then MiniportHaltEx. */
	for (size_t i = 0; i < h->nnics; i++) {
		if (h->nics[i].pci_pdo) {
			/* Over the VBD: PnP removal halts the adapter (NDIS's FDO), then the VBD lets the PF go. */
			(void)pci_bus_remove_pf(h->pci, h->nics[i].bus);
			h->nics[i].pci_pdo = NULL;
			h->nics[i].dn = NULL;
		} else {
			ndis_adapter_destroy(h->nics[i].ad);
		}
		h->nics[i].ad = NULL;
	}
	pci_bus_destroy(h->pci);
	guest_ndis_destroy(h->gn);
	pnp_manager_destroy(h->pm);
	ndis_framework_destroy(h->fw);
	/* 4. The bus driver, the devices, the bus. */
	for (size_t i = 0; i < h->nnics; i++) {
		pcibus_pf_destroy(h->nics[i].bus);
		srnic_peer_destroy(h->nics[i].peer);
		srnic_destroy(h->nics[i].dev);
		ndis_inf_destroy(h->nics[i].inf);
		free(h->nics[i].inf_path);
	}
	pcie_host_destroy(h->pcie);
	for (size_t i = 0; i < h->nnotes; i++)
		free(h->notes[i]);
	for (size_t i = 0; i < h->ninstalled; i++)
		free(h->installed[i]);
	free(h->installed);
	free(h->notes);
	free(h->nics);
	free(h->sws);
	free(h->sw_nics);
	free(h);
}

int hv_nic_set_keyword(struct hv_host *h, struct hv_nic *n, const char *keyword, const char *value, char *err,
		       size_t errlen)
{
	const char *reg = hv_keyword_registry_name(keyword);
	int rc;

	if (!n->ad) {
		snprintf(err, errlen, "%s has no adapter (%s)", n->lab->name, hv_nic_state_name(n->state));
		return -ENODEV;
	}
	rc = ndis_adapter_set_keyword(n->ad, reg, value, err, errlen);
	if (rc)
		return rc;
	log_info(HOST_LOG, "Set-NetAdapterAdvancedProperty %s -RegistryKeyword %s -RegistryValue %s: restarting the "
		 "adapter", n->lab->name, keyword, value);
	for (size_t i = 0; i < h->nsws; i++)
		if (h->sw_nics[i] == n && vstack_switch_pf_halting(h->vs, h->sws[i])) {
			snprintf(err, errlen, "a VF teardown on switch %s is still waiting for the PF; %s applies at the "
				 "next restart", vswitch_name(h->sws[i]), keyword);
			return -EBUSY;
		}
	rc = ndis_adapter_halt(n->ad, NdisHaltDeviceDisabled);
	if (rc) {
		snprintf(err, errlen, "the adapter did not halt (%s)", strerror(-rc));
		return -EIO;
	}
	rc = ndis_adapter_start(n->ad);
	n->state = rc ? HV_NIC_INIT_FAILED : HV_NIC_RUNNING;
	for (size_t i = 0; i < h->nsws; i++)
		if (h->sw_nics[i] == n)
			vstack_switch_pf_back(h->vs, h->sws[i], rc ? NULL : n->ad);
	if (rc) {
		snprintf(err, errlen, "the adapter did not initialize again (%s)", strerror(-rc));
		return -EIO;
	}
	return 0;
}

/* ---- accessors ------------------------------------------------------------------------ */
const struct lab *hv_host_lab(const struct hv_host *h) { return h->lab; }
const char *hv_host_computer_name(const struct hv_host *h)
{
	return h->lab->host.computer_name ? h->lab->host.computer_name : "HV-HOST01";
}
struct pcie_host *hv_host_pcie(const struct hv_host *h) { return h->pcie; }
struct ndis_framework *hv_host_ndis(const struct hv_host *h) { return h->fw; }
struct vstack *hv_host_vstack(const struct hv_host *h) { return h->vs; }
size_t hv_host_nic_count(const struct hv_host *h) { return h->nnics; }
struct hv_nic *hv_host_nic_at(const struct hv_host *h, size_t i) { return i < h->nnics ? &h->nics[i] : NULL; }

struct hv_nic *hv_host_nic_find(const struct hv_host *h, const char *name)
{
	for (size_t i = 0; i < h->nnics; i++)
		if (strcasecmp(h->nics[i].lab->name, name) == 0)
			return &h->nics[i];
	return NULL;
}

const struct lab_nic *hv_nic_lab(const struct hv_nic *n) { return n->lab; }
const char *hv_nic_name(const struct hv_nic *n) { return n->lab->name; }
enum hv_nic_state hv_nic_state(const struct hv_nic *n) { return n->state; }
struct ndis_adapter *hv_nic_adapter(const struct hv_nic *n) { return n->ad; }
struct pcie_function *hv_nic_function(const struct hv_nic *n) { return n->fn; }
const char *hv_nic_hardware_id(const struct hv_nic *n) { return n->hwid; }
const char *hv_nic_inf_path(const struct hv_nic *n) { return n->inf_path; }
const struct ndis_inf_model *hv_nic_inf_model(const struct hv_nic *n) { return n->model; }
const uint8_t *hv_nic_mac(const struct hv_nic *n) { return n->mac; }
struct pnp_devnode *hv_nic_devnode(const struct hv_nic *n) { return n->dn; }

int hv_nic_pci_virt_stats(const struct hv_host *h, const struct hv_nic *n, struct pci_pdo_stats *st)
{
	return n->pci_pdo ? pci_bus_pf_stats(h->pci, n->bus, st) : -ENOENT;
}

const char *hv_nic_description(const struct hv_nic *n)
{
	/* Without a driver Windows shows the device by its PCI identity. */
	return n->model && n->model->description ? n->model->description : "Contoso (lab) srnic SR-IOV Ethernet Adapter";
}

size_t hv_host_switch_count(const struct hv_host *h) { return h->nsws; }
struct vswitch *hv_host_switch_at(const struct hv_host *h, size_t i) { return i < h->nsws ? h->sws[i] : NULL; }

struct vswitch *hv_host_switch_find(const struct hv_host *h, const char *name)
{
	for (size_t i = 0; i < h->nsws; i++)
		if (strcasecmp(vswitch_name(h->sws[i]), name) == 0)
			return h->sws[i];
	return NULL;
}

struct hv_nic *hv_host_switch_nic(const struct hv_host *h, const struct vswitch *sw)
{
	for (size_t i = 0; i < h->nsws; i++)
		if (h->sws[i] == sw)
			return h->sw_nics[i];
	return NULL;
}
