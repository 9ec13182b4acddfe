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
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>

#include "base/evloop.h"
#include "base/capture.h"
#include "base/log.h"
#include "base/trace.h"
#include "hv/faults.h"
#include "hv/guest_vm.h"
#include "hv/host.h"
#include "hv/pci_pdo.h"
#include "hv/pcibus.h"
#include "hv/vmsp/vmsp.h"
#include "hv/vf_doorbell.h"
#include "hv/vmbus.h"
#include "hv/vmwp.h"
#include "ndis/protocol.h"
#include "pnp/guest_ndis.h"
#include "hw/srnic/hostif.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

#define HOST_LOG "lab.hv.host"
#define HOST_STOP_MS 5000	/* a stopping VM's guest gets this long to let go and exit */
#define HOST_VF_RETURNS 16	/* revoked VFs waiting to be given back */

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
	struct srnic_hostif *hostif;	/* uplink tap:IFNAME or veth:IFNAME, on the host's loop */
	struct pcie_function *fn;
	struct pcibus_pf *bus;
	struct ndis_adapter *ad;
	enum hv_nic_state state;
	char hwid[96];
	char *inf_path;
	struct ndis_inf *inf;
	const struct ndis_inf_model *model;
	uint8_t mac[6];
	char fault_oid[16], fault_status[16];	/* IovlabFailOid / IovlabFailStatus values */
	unsigned restarts_with_vfs;		/* PF restarts that found VFs assigned (F31) */
	bool teardown_pending;			/* a restart waits for the VF teardown above it */
	/* over a virtual bus driver ([nic] vbd): the PCI PDO, its node, the overrides */
	PDEVICE_OBJECT pci_pdo;
	struct pnp_devnode *dn;
	struct ndis_keyword kw[64];
	size_t nkw;
};

/* A VM's runtime on the host: its process while it has one. */
struct hv_vm {
	const struct lab_vm *lab;
	struct vstack_vm *vm;
	struct vmwp *w;
	bool stopping;			/* Stop-VM: shut the guest down once the VM is Off */
	bool exit_sent;
	int64_t kill_at;		/* ms: kill the guest if it is still there */
	int last_wstatus;		/* how its last process ended (waitpid-style), -1: none yet */
	bool ready_seen;		/* the guest's READY was passed on (vstack_vm_guest_ready) */
	struct guest_vm_config gc;
	char vf_inf[PATH_MAX], vf_dir[PATH_MAX], vbd_inf[PATH_MAX], vbd_dir[PATH_MAX];
};

struct hv_host {
	const struct lab *lab;
	struct hv_host_options opt;
	struct evloop *loop;
	struct hv_vm *vms;
	size_t nvms;
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
	struct ndis_protocol *vmsp;		/* the switches' protocol edge, NULL if not loaded */
	const struct vmsp_proto *vmsp_table;
	/* the root partition's PnP manager, for PFs on a virtual bus driver */
	struct pnp_manager *pm;
	struct pci_bus *pci;
	struct guest_ndis *gn;
	/* hv_host_set_round_fn(): called after every round of hv_host_run() */
	hv_host_round_fn round_fn;
	void *round_arg;
	/* live-migration-like revokes whose VF comes back at a time (hv_host_vf_revoke) */
	struct { struct vstack_vmnic *n; int64_t at; } vf_returns[HOST_VF_RETURNS];
	struct hv_faults *faults;		/* the lab's [fault] sections (faults.c) */
	/* vm_rt()'s index: vstack VM -> vms[] slot + 1, open addressing, vm_idx_cap a power of two */
	size_t *vm_idx;
	size_t vm_idx_cap;
	int64_t vms_ticked_ms;			/* hv_host_run(): when the per-VM pass last ran */
	int64_t active_ns;			/* hv_host_run(): when a turn last ran a handler */
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

/*
 * [fault] pf_driver_variant / pf_inf_variant (docs/faults.md): a known-bad
 * build of the built-in driver, drivers/variants/srnic_pf-VARIANT.{so,inf},
 * or the built-in binary with a known-bad INF, srnic_pf-inf-VARIANT.inf.
 */
static void fault_pf_package(struct hv_host *h, struct hv_nic *n, const char *dir, char *so, char *inf, size_t len)
{
	const char *dv = hv_faults_nic(h->faults, HV_FAULT_PF_DRIVER_VARIANT, n->lab->name);
	const char *iv = hv_faults_nic(h->faults, HV_FAULT_PF_INF_VARIANT, n->lab->name);

	if (dv) {
		snprintf(so, len, "%s/variants/%s-%s.so", dir, n->lab->driver, dv);
		snprintf(inf, len, "%s/variants/%s-%s.inf", dir, n->lab->driver, dv);
		note(h, "nic %s: [fault] pf_driver_variant %s: the driver is %s-%s", n->lab->name, dv, n->lab->driver, dv);
	}
	if (iv) {
		snprintf(inf, len, "%s/variants/%s-inf-%s.inf", dir, n->lab->driver, iv);
		note(h, "nic %s: [fault] pf_inf_variant %s: the INF is %s-inf-%s.inf", n->lab->name, iv, n->lab->driver, iv);
	}
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
		if (hv_faults_nic(h->faults, HV_FAULT_PF_DRIVER_VARIANT, l->name) ||
		    hv_faults_nic(h->faults, HV_FAULT_PF_INF_VARIANT, l->name))
			note(h, "nic %s: [fault] pf_driver_variant / pf_inf_variant are builds of the built-in srnic_pf; "
			     "%s is used as it is", l->name, l->driver);
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
	fault_pf_package(h, n, opt->builtin_driver_dir, so, inf, len);
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

/*
 * [fault] pf_fail_oid / vf_vlan_limit: the hidden keywords the PF miniport
 * reads (drivers/srnic_pf/mp_fault.c). Returns how many were added to kw.
 */
static size_t fault_pf_keywords(struct hv_host *h, struct hv_nic *n, struct ndis_keyword *kw, size_t room)
{
	const char *oid = hv_faults_nic(h->faults, HV_FAULT_PF_FAIL_OID, n->lab->name);
	const char *vlan = hv_faults_nic(h->faults, HV_FAULT_VF_VLAN_LIMIT, n->lab->name);
	uint32_t o, st;
	char why[160];
	size_t k = 0;

	if (oid && room >= 2 && hv_fault_parse_oid(oid, &o, &st, why, sizeof(why)) == 0) {
		snprintf(n->fault_oid, sizeof(n->fault_oid), "%x", o);
		snprintf(n->fault_status, sizeof(n->fault_status), "%x", st);
		kw[k++] = (struct ndis_keyword){ "IovlabFailOid", n->fault_oid };
		kw[k++] = (struct ndis_keyword){ "IovlabFailStatus", n->fault_status };
	}
	if (vlan && room - k >= 1)
		kw[k++] = (struct ndis_keyword){ "IovlabVfVlanLimit", vlan };
	return k;
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
	TRACE_SCOPE("host-boot", "PF driver up", "nic=%s", l->name);

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
	nkw += fault_pf_keywords(h, n, kw + nkw, 64 - nkw);
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

/* ---- uplinks to a Linux interface (hostif.h, docs/uplinks.md) ------------------------------------ */
static void on_hostif(int fd, uint32_t events, void *arg)
{
	struct hv_nic *n = arg;

	(void)fd;
	(void)events;
	if (n->hostif)
		(void)srnic_hostif_poll(n->hostif);
}

/* [nic] uplink = tap:IFNAME | veth:IFNAME: open it; if that fails the port stays unplugged, said in a note. */
static void uplink_hostif_up(struct hv_host *h, struct hv_nic *n)
{
	const struct lab_nic *l = n->lab;
	enum srnic_hostif_kind kind = l->uplink.kind == LAB_UPLINK_TAP ? SRNIC_HOSTIF_TAP : SRNIC_HOSTIF_VETH;
	char err[256];
	int rc = srnic_hostif_open(n->dev, kind, l->uplink.ifname, &n->hostif, err, sizeof(err));

	if (rc) {
		note(h, "nic %s: uplink %s; the port is left unplugged", l->name, err);
		return;
	}
	if ((rc = evloop_add(h->loop, srnic_hostif_fd(n->hostif), EPOLLIN, on_hostif, n))) {
		note(h, "nic %s: uplink %s:%s cannot join the host's loop (%s); the port is left unplugged", l->name,
		     kind == SRNIC_HOSTIF_TAP ? "tap" : "veth", l->uplink.ifname, strerror(-rc));
		srnic_hostif_close(n->hostif);
		n->hostif = NULL;
	}
}

static void uplink_hostif_down(struct hv_host *h, struct hv_nic *n)
{
	if (!n->hostif)
		return;
	(void)evloop_del(h->loop, srnic_hostif_fd(n->hostif));
	srnic_hostif_close(n->hostif);
	n->hostif = NULL;
}

struct srnic_hostif *hv_nic_hostif(const struct hv_nic *n)
{
	return n->hostif;
}

static int nic_device_up(struct hv_host *h, struct hv_nic *n, unsigned index)
{
	const struct lab_nic *l = n->lab;
	struct srnic_geometry g;

	n->h = h;
	/*
	 * The [nic] geometry goes into srnic's SR-IOV capability, so the PCI bus
	 * driver's bus-number and VF BAR checks (F10, F11) and the PF driver
	 * (TotalVFs 0: F12) see it in config space (PCIe 4.0 9.3.3).
	 */
	srnic_default_geometry(&g);
	g.total_vfs = (uint16_t)(l->total_vfs < SRNIC_TOTAL_VFS ? l->total_vfs : SRNIC_TOTAL_VFS);
	if (l->total_vfs > SRNIC_TOTAL_VFS)
		note(h, "nic %s: total_vfs %u: srnic has at most %u VFs; TotalVFs is %u", l->name, l->total_vfs,
		     SRNIC_TOTAL_VFS, SRNIC_TOTAL_VFS);
	g.first_vf_offset = (uint16_t)l->first_vf_offset;
	g.vf_stride = (uint16_t)l->vf_stride;
	if (l->vf_bar_size < g.vf_bar_size)
		note(h, "nic %s: vf_bar_size %llu: srnic's VF registers need %llu bytes; the VF BAR keeps that size",
		     l->name, (unsigned long long)l->vf_bar_size, (unsigned long long)g.vf_bar_size);
	else
		g.vf_bar_size = l->vf_bar_size;
	n->dev = srnic_create_geometry(h->pcie, (uint8_t)(3 + index), 0, &g);
	if (!n->dev)
		return errno == EINVAL ? -EINVAL : -ENOMEM;
	n->fn = srnic_function(n->dev, 0);
	hardware_id(n);
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
		uplink_hostif_up(h, n);
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


/* ---- the External switches' edge to the PF (vmsp.so) -------------------------------------- */
static void vmsp_rx(void *ctx, const void *data, uint32_t len)
{
	struct vswitch_frame f = { data, len };

	vswitch_external_receive(ctx, &f, 1);
}

static int ext_tx(void *ctx, const struct vswitch_frame *f, unsigned n)
{
	struct hv_nic *nic = ctx;
	struct vmsp_frame vf[64];
	int done = 0;

	if (!nic->h->vmsp_table)
		return 0;
	for (unsigned i = 0; i < n; i += 64) {
		unsigned k = n - i < 64 ? n - i : 64;
		int rc;

		for (unsigned j = 0; j < k; j++)
			vf[j] = (struct vmsp_frame){ f[i + j].data, f[i + j].len };
		rc = nic->h->vmsp_table->send(nic->mac, vf, k);
		if (rc <= 0)
			break;
		done += rc;
	}
	return done;
}

/* Load VMSP and attach every External switch to its PF's binding. */
static void switches_edge_up(struct hv_host *h)
{
	char inf[PATH_MAX], err[512];
	int rc;

	if (!h->opt.vmsp_dir || !h->nsws)
		return;
	snprintf(inf, sizeof(inf), "%s/vmsp.inf", h->opt.vmsp_dir);
	if (ndis_framework_install_inf(h->fw, inf, h->opt.vmsp_dir, err, sizeof(err))) {
		note(h, "the switch's protocol edge (VMSP) is not installed: %s", err);
		return;
	}
	if ((rc = ndis_protocol_load(h->fw, VMSP_COMPONENT_ID, &h->vmsp))) {
		note(h, "the switch's protocol edge (VMSP) did not load (%s)", strerror(-rc));
		return;
	}
	h->vmsp_table = ndis_protocol_driver_symbol(h->vmsp, VMSP_PROTO_SYMBOL);
	for (size_t i = 0; h->vmsp_table && i < h->nsws; i++) {
		struct hv_nic *nic = h->sw_nics[i];

		if (!nic || vswitch_type(h->sws[i]) != VSWITCH_EXTERNAL)
			continue;
		if (h->vmsp_table->attach(nic->mac, vmsp_rx, h->sws[i]) == 0)
			vswitch_set_external(h->sws[i], ext_tx, nic);
	}
}

/* ---- the VMs' processes (vmwp.c, guest_vm.c) ------------------------------------------ */
static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static size_t vm_hash(const struct hv_host *h, const struct vstack_vm *vm)
{
	uint64_t k = (uint64_t)(uintptr_t)vm;

	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;	/* MurmurHash3's finaliser: pointers differ in the middle bits */
	k ^= k >> 33;
	return (size_t)k & (h->vm_idx_cap - 1);
}

static void vm_idx_add(struct hv_host *h, size_t slot)
{
	size_t i;

	if (!h->vm_idx)
		return;
	for (i = vm_hash(h, h->vms[slot].vm); h->vm_idx[i]; i = (i + 1) & (h->vm_idx_cap - 1))
		;
	h->vm_idx[i] = slot + 1;
}

static void vms_pass(struct hv_host *h, int64_t now);	/* hv_host_run()'s per-VM pass */

/*
 * A VM's runtime record, per event on the host's paths (a guest's message,
 * a VF's arrival, a reaped process): by the index, not a scan of 256 VMs.
 */
static struct hv_vm *vm_rt(const struct hv_host *h, const struct vstack_vm *vm)
{
	if (h->vm_idx) {
		for (size_t i = vm_hash(h, vm); h->vm_idx[i]; i = (i + 1) & (h->vm_idx_cap - 1))
			if (h->vms[h->vm_idx[i] - 1].vm == vm)
				return &h->vms[h->vm_idx[i] - 1];
		return NULL;
	}
	for (size_t i = 0; i < h->nvms; i++)
		if (h->vms[i].vm == vm)
			return &h->vms[i];
	return NULL;
}

static struct vmwp *live_guest(struct hv_host *h, const struct vstack_vmnic *n)
{
	struct hv_vm *r = vm_rt(h, vstack_vmnic_vm(n));

	return r ? r->w : NULL;
}

/* The srnic of the switch a VM adapter is connected to, NULL if none. */
static struct srnic *vmnic_srnic(struct hv_host *h, const struct vstack_vmnic *n)
{
	struct vswitch *sw = vstack_vmnic_port(n) ? vswitch_port_switch(vstack_vmnic_port(n)) : NULL;
	struct hv_nic *nic = sw ? hv_host_switch_nic(h, sw) : NULL;

	return nic ? nic->dev : NULL;
}

/*
 * [fault] vf_link (catalogue F27): the PF's administrative link state of the
 * adapter's VF, set before the VF is offered and whenever the fault is
 * injected or cleared (hv_host_fault_arm).
 */
static void fault_vf_link(struct hv_host *h, const struct vstack_vmnic *n, uint16_t vf_id)
{
	const char *v = hv_faults_vmnic(h->faults, HV_FAULT_VF_LINK, vstack_vmnic_name(n));
	struct srnic *dev = vmnic_srnic(h, n);
	bool up = !v || strcasecmp(v, "down") != 0;

	if (!dev)
		return;
	if (!v) {
		struct hv_nic *nic = NULL;

		for (size_t i = 0; i < h->nnics; i++)
			if (h->nics[i].dev == dev)
				nic = &h->nics[i];
		v = nic ? hv_faults_nic(h->faults, HV_FAULT_VF_LINK, nic->lab->name) : NULL;
		up = !v || strcasecmp(v, "down") != 0;
	}
	(void)srnic_vf_set_link(dev, (unsigned)vf_id + 1, up);
}

/* struct vstack_guest_ops when the VMs run guests: each VM's vmwp, or nobody. */
static int g_offer(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint32_t serial)
{
	struct vmwp *w = live_guest(ctx, n);

	fault_vf_link(ctx, n, vf_id);
	/*
	 * [fault] vmbus_offer_delay (F19): a VF allocated while the VM's VMBus
	 * is not up cannot be offered; the stack takes it back and retries
	 * (vstack_vm_guest_ready). Without the fault the offer waits in the
	 * VM's queues for its guest, the usual case of a quick guest.
	 */
	if (w && vmwp_state(w) == VMWP_STARTING &&
	    hv_faults_vmnic(((struct hv_host *)ctx)->faults, HV_FAULT_VMBUS_OFFER_DELAY, vstack_vmnic_name(n)))
		return -EAGAIN;
	if (!w || vmwp_state(w) == VMWP_GONE)
		return vstack_no_guest_ops.offer_vf(NULL, n, vf_id, serial);
	return vmwp_offer_vf(w, n, vf_id, serial);
}

static int g_revoke(void *ctx, struct vstack_vmnic *n, uint16_t vf_id)
{
	struct vmwp *w = live_guest(ctx, n);

	return w ? vmwp_revoke_vf(w, n, vf_id) : 0;
}

static const char *g_describe(void *ctx, const struct vstack_vmnic *n)
{
	struct vmwp *w = live_guest(ctx, n);

	return w ? vmwp_describe(w, n) : "the VM's guest is not running";
}

static void g_invalidated(void *ctx, struct vstack_vmnic *n, uint16_t vf_id, uint64_t mask)
{
	struct vmwp *w = live_guest(ctx, n);

	if (w)
		vmwp_vf_config_invalidated(w, n, vf_id, mask);
}

static void g_filters_released(void *ctx, struct vstack_vmnic *n, uint16_t vf_id)
{
	struct vmwp *w = live_guest(ctx, n);

	if (w)
		vmwp_filters_released(w, n, vf_id);
}

static const struct vstack_guest_ops host_guest_ops = {
	.offer_vf = g_offer,
	.revoke_vf = g_revoke,
	.describe = g_describe,
	.vf_config_invalidated = g_invalidated,
	.filters_released = g_filters_released,
};

/* The vSwitch delivers to a port: the adapter on it, its VM's NetVSP. */
static int port_rx(void *ctx, struct vswitch_port *p, const struct vswitch_frame *f, unsigned n)
{
	struct hv_host *h = ctx;
	struct vstack *vs = h->vs;

	for (size_t i = 0; vs && i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *nic = vstack_vmnic_at(vs, i);
		struct vmwp *w;
		int done = 0;

		if (vstack_vmnic_port(nic) != p)
			continue;
		if (!(w = live_guest(h, nic)))
			return 0;
		for (unsigned k = 0; k < n; k++)
			if (vmwp_deliver(w, nic, f[k].data, f[k].len) == 1)
				done++;
		return done;
	}
	return 0;
}

static struct srnic *srnic_of_pf(void *ctx, struct ndis_adapter *pf)
{
	struct hv_nic *n = hv_host_nic_of_adapter(ctx, pf);

	return n ? n->dev : NULL;
}

static void guest_gone(void *ctx, struct vmwp *w, int wstatus)
{
	struct hv_host *h = ctx;
	struct hv_vm *r = vm_rt(h, vmwp_vm(w));

	if (!r)
		return;
	r->last_wstatus = wstatus;
	/* The VM is off now (Hyper-V turns a crashed VM off): VFs back in order, ports gone. */
	if (vstack_vm_state(r->vm) == VSTACK_VM_RUNNING) {
		log_warn(HOST_LOG, "VM %s: its process is gone; taking its VFs back and turning it off",
			 vstack_vm_name(r->vm));
		(void)vstack_vm_stop(r->vm);
	}
}

/* A [vm] driver value (vf_driver, vbd) as an INF and a directory; false: none, or not found (noted). */
static bool guest_package(struct hv_host *h, const char *driver, const char *inf_override, char *inf, char *dir,
			  size_t len)
{
	char *slash;

	if (!driver)
		return false;
	if (lab_driver_is_path(driver)) {
		char so[PATH_MAX];
		size_t k;

		lab_relative(h->lab, driver, so, sizeof(so));
		if (inf_override && *inf_override) {
			lab_relative(h->lab, inf_override, inf, len);
		} else {
			k = strlen(so);
			snprintf(inf, len, "%.*s.inf", (int)(k > 3 && !strcmp(so + k - 3, ".so") ? k - 3 : k), so);
		}
		snprintf(dir, len, "%s", so);
		if ((slash = strrchr(dir, '/')))
			*slash = 0;
		else
			snprintf(dir, len, ".");
	} else {
		if (!h->opt.builtin_driver_dir)
			return false;
		snprintf(dir, len, "%s/%s", h->opt.builtin_driver_dir, driver);
		if (inf_override && *inf_override)
			lab_relative(h->lab, inf_override, inf, len);
		else
			snprintf(inf, len, "%s/%s.inf", dir, driver);
	}
	if (!exists(inf)) {
		note(h, "guest package %s: %s not found", driver, inf);
		return false;
	}
	return true;
}

/*
 * [fault] vf_driver_variant / vf_inf_variant (docs/faults.md): the guest
 * installs a known-bad build of the built-in VF miniport,
 * drivers/variants/srnic_vf-VARIANT.{so,inf}, or the built-in binary with a
 * known-bad INF, srnic_vf-inf-VARIANT.inf.
 */
static void fault_vf_package(struct hv_host *h, struct hv_vm *r)
{
	const char *name = r->lab->name, *drv = r->lab->vf_driver;
	const char *dv = hv_faults_vm(h->faults, HV_FAULT_VF_DRIVER_VARIANT, name);
	const char *iv = hv_faults_vm(h->faults, HV_FAULT_VF_INF_VARIANT, name);

	if (!dv && !iv)
		return;
	if (!h->opt.builtin_driver_dir || lab_driver_is_path(drv)) {
		note(h, "vm %s: [fault] vf_driver_variant / vf_inf_variant are builds of the built-in srnic_vf; %s is used "
		     "as it is", name, drv);
		return;
	}
	if (dv) {
		snprintf(r->vf_dir, sizeof(r->vf_dir), "%s/variants", h->opt.builtin_driver_dir);
		if (snprintf(r->vf_inf, sizeof(r->vf_inf), "%s/variants/%s-%s.inf", h->opt.builtin_driver_dir, drv, dv) >=
		    (int)sizeof(r->vf_inf))
			r->vf_inf[0] = 0;
		log_info(HOST_LOG, "vm %s: [fault] vf_driver_variant %s: the guest's VF driver is %s-%s", name, dv, drv, dv);
	}
	if (iv) {
		snprintf(r->vf_inf, sizeof(r->vf_inf), "%s/variants/%s-inf-%s.inf", h->opt.builtin_driver_dir, drv, iv);
		log_info(HOST_LOG, "vm %s: [fault] vf_inf_variant %s: the guest's VF INF is %s-inf-%s.inf", name, iv, drv,
			 iv);
	}
}

static void guest_config(struct hv_host *h, struct hv_vm *r)
{
	struct guest_vm_config *c = &r->gc;

	memset(c, 0, sizeof(*c));
	c->netvsc_dir = h->opt.netvsc_dir;
	c->traffic_dir = h->opt.traffic_dir;
	if (guest_package(h, r->lab->vf_driver, r->lab->vf_inf, r->vf_inf, r->vf_dir, PATH_MAX)) {
		fault_vf_package(h, r);
		c->vf_inf = r->vf_inf;
		c->vf_dir = r->vf_dir;
	}
	if (guest_package(h, r->lab->vbd, NULL, r->vbd_inf, r->vbd_dir, PATH_MAX)) {
		c->vbd_inf = r->vbd_inf;
		c->vbd_dir = r->vbd_dir;
	}
	c->vbd_forward_vpci = r->lab->vbd_forward_vpci;
	c->no_msix = !r->lab->msix;
	if (hv_faults_vm(h->faults, HV_FAULT_VMBUS_OFFER_DELAY, r->lab->name))
		c->vmbus_delay_ms = (int)hv_fault_parse_ms(hv_faults_vm(h->faults, HV_FAULT_VMBUS_OFFER_DELAY,
									 r->lab->name));
}

static int guest_start(struct hv_host *h, struct hv_vm *r)
{
	struct vmwp_config c = {
		.loop = h->loop,
		.vm = r->vm,
		.mem_size = r->lab->memory,
		.entry = h->opt.guest_entry,
		.guest = &r->gc,
		.nic_of = srnic_of_pf,
		.gone = guest_gone,
		.ctx = h,
	};

	guest_config(h, r);
	capture_fork_prepare(vstack_vm_name(r->vm));	/* the VM process writes its own capture part */
	fflush(NULL);
	return vmwp_create(&c, &r->w);
}

int hv_host_vm_start(struct hv_host *h, const char *name)
{
	struct vstack_vm *vm = vstack_vm_find(h->vs, name);
	struct hv_vm *r = vm ? vm_rt(h, vm) : NULL;
	int rc;
	TRACE_SCOPE("vm-start", "VM start", "vm=%s", name);

	if (!r)
		return -ENOENT;
	if (vstack_vm_state(vm) != VSTACK_VM_OFF)
		return -EPERM;
	if (h->opt.guest_entry) {
		if (r->w) {
			/* The previous process is still being reaped. */
			(void)hv_host_run(h, 0);
			vms_pass(h, now_ms());	/* even within the ms hv_host_run() last ran it */
			if (r->w)
				return -EBUSY;
		}
		r->stopping = r->exit_sent = r->ready_seen = false;
		if ((rc = guest_start(h, r)))
			return rc;
	}
	return vstack_vm_start(vm);
}

int hv_host_vm_stop(struct hv_host *h, const char *name)
{
	struct vstack_vm *vm = vstack_vm_find(h->vs, name);
	struct hv_vm *r = vm ? vm_rt(h, vm) : NULL;
	int rc;
	TRACE_SCOPE("teardown", "VM stop", "vm=%s", name);

	if (!r)
		return -ENOENT;
	rc = vstack_vm_stop(vm);
	if (rc && rc != -EINPROGRESS)
		return rc;
	if (r->w) {
		r->stopping = true;
		r->kill_at = now_ms() + HOST_STOP_MS;
		return -EINPROGRESS;
	}
	return rc;
}

int hv_host_vm_kill(struct hv_host *h, const char *name)
{
	struct vstack_vm *vm = vstack_vm_find(h->vs, name);
	struct hv_vm *r = vm ? vm_rt(h, vm) : NULL;

	if (!r)
		return -ENOENT;
	if (!r->w || vmwp_state(r->w) == VMWP_GONE)
		return -ESRCH;
	trace_instant("failover", "VM kill", "vm=%s", name);
	return vmwp_kill(r->w);
}

/* ---- live-migration-like VF revoke ------------------------------------------------------- */
int hv_host_vf_revoke(struct hv_host *h, const char *adapter, int back_after_ms)
{
	struct vstack_vmnic *n = adapter ? vstack_vmnic_find(h->vs, adapter) : NULL;
	unsigned slot = HOST_VF_RETURNS;
	int rc;

	if (!n)
		return -ENOENT;
	for (unsigned i = 0; i < HOST_VF_RETURNS; i++)
		if (!h->vf_returns[i].n || h->vf_returns[i].n == n) {
			slot = i;
			break;
		}
	if (back_after_ms >= 0 && slot == HOST_VF_RETURNS)
		return -ENOSPC;
	if ((rc = vstack_vmnic_withhold_vf(n, true)))
		return rc == -EALREADY ? -EBUSY : rc;
	if (back_after_ms >= 0) {
		h->vf_returns[slot].n = n;
		h->vf_returns[slot].at = now_ms() + back_after_ms;
	}
	return 0;
}

int hv_host_vf_return(struct hv_host *h, const char *adapter)
{
	struct vstack_vmnic *n = adapter ? vstack_vmnic_find(h->vs, adapter) : NULL;

	if (!n)
		return -ENOENT;
	for (unsigned i = 0; i < HOST_VF_RETURNS; i++)
		if (h->vf_returns[i].n == n)
			h->vf_returns[i].n = NULL;
	return vstack_vmnic_withhold_vf(n, false);
}

struct vmwp *hv_host_vm_guest(const struct hv_host *h, const struct vstack_vm *vm)
{
	struct hv_vm *r = vm_rt(h, vm);

	return r ? r->w : NULL;
}

int hv_host_vm_last_exit(const struct hv_host *h, const struct vstack_vm *vm)
{
	struct hv_vm *r = vm_rt(h, vm);

	return r ? r->last_wstatus : -1;
}

bool hv_host_runs_guests(const struct hv_host *h)
{
	return h->opt.guest_entry != NULL;
}

struct evloop *hv_host_loop(const struct hv_host *h)
{
	return h->loop;
}

static int64_t host_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/*
 * One turn of the event loop. Within the spin budget (vmbus_spin_budget_us,
 * 40 us) of the last turn that ran a handler, look again without sleeping,
 * yielding the CPU between looks: a guest that just got an answer (a vPCI
 * config read, an MMIO read during its VF's bring-up) sends its next request
 * within microseconds, and a sleep made each one wait for the host's
 * wake-up (issue 8: bring-up per VF flat from 1 to 256 VFs).
 */
static int host_loop_turn(struct hv_host *h, int timeout_ms)
{
	int64_t spin_ns = (int64_t)vmbus_spin_budget_us() * 1000, end;
	int rc;

	if (timeout_ms != 0 && spin_ns > 0 && h->active_ns) {
		end = h->active_ns + spin_ns;
		while ((rc = evloop_run_once(h->loop, 0)) == 0 && host_now_ns() < end)
			sched_yield();
		if (rc != 0)
			goto ran;
	}
	rc = evloop_run_once(h->loop, timeout_ms);
ran:
	if (rc > 0)
		h->active_ns = host_now_ns();
	return rc;
}

int hv_host_run(struct hv_host *h, int timeout_ms)
{
	/* Busy VF doorbell pages are polled: no blocking wait while one is (vf_doorbell.h). */
	int rc = h->loop ? host_loop_turn(h, vf_db_host_busy() ? 0 : timeout_ms) : 0;
	int64_t now = now_ms();

	(void)vf_db_host_poll();
	for (size_t i = 0; i < h->nnics; i++)
		if (h->nics[i].hostif)
			srnic_hostif_tick(h->nics[i].hostif);
	for (unsigned i = 0; i < HOST_VF_RETURNS; i++)
		if (h->vf_returns[i].n && now >= h->vf_returns[i].at) {
			struct vstack_vmnic *n = h->vf_returns[i].n;

			h->vf_returns[i].n = NULL;
			(void)vstack_vmnic_withhold_vf(n, false);
		}
	/*
	 * The per-VM pass (reaping, READY, Stop-VM's timers, the status query
	 * every 250 ms) is O(VMs) and its deadlines are in ms: once per ms, not
	 * on every turn -- while a VF's doorbell page is busy the loop turns
	 * without sleeping, and 256 VMs' passes per turn were a cost the one
	 * busy pair paid (docs/bench.md, idle_vfs).
	 */
	if (now != h->vms_ticked_ms)
		vms_pass(h, now);
	if (h->round_fn)
		h->round_fn(h, h->round_arg);
	return rc < 0 ? rc : 0;
}

static void vms_pass(struct hv_host *h, int64_t now)
{
	h->vms_ticked_ms = now;
	for (size_t i = 0; i < h->nvms; i++) {
		struct hv_vm *r = &h->vms[i];

		if (!r->w)
			continue;
		if (vmwp_state(r->w) == VMWP_GONE) {
			/* Reaped: free its host side once the stack has let go of the VM. */
			if (vstack_vm_state(r->vm) == VSTACK_VM_OFF) {
				vmwp_destroy(r->w);
				r->w = NULL;
				r->stopping = false;
			}
			continue;
		}
		vmwp_tick(r->w);
		if (!r->ready_seen && vmwp_state(r->w) == VMWP_RUNNING) {
			r->ready_seen = true;
			vstack_vm_guest_ready(r->vm);
		}
		if (r->stopping && vstack_vm_state(r->vm) == VSTACK_VM_OFF && !r->exit_sent) {
			/* Every VF is back: the guest may go. */
			r->exit_sent = vmwp_shutdown(r->w) == 0;
			if (!r->exit_sent)
				(void)vmwp_kill(r->w);
		}
		if (r->stopping && now > r->kill_at) {
			log_warn(HOST_LOG, "VM %s: the guest did not stop in %d ms; turning it off", vstack_vm_name(r->vm),
				 HOST_STOP_MS);
			(void)vmwp_kill(r->w);
			r->kill_at = now + HOST_STOP_MS;
		}
	}
}

void hv_host_set_round_fn(struct hv_host *h, hv_host_round_fn fn, void *arg)
{
	h->round_fn = fn;
	h->round_arg = arg;
}

/* Host teardown: stop every running guest the documented way, bounded; then make sure they are gone. */
static void guests_down(struct hv_host *h)
{
	int64_t deadline;
	bool left;

	for (size_t i = 0; i < h->nvms; i++)
		if (h->vms[i].w && vstack_vm_state(h->vms[i].vm) == VSTACK_VM_RUNNING)
			(void)hv_host_vm_stop(h, vstack_vm_name(h->vms[i].vm));
	deadline = now_ms() + 2 * HOST_STOP_MS;
	do {
		left = false;
		for (size_t i = 0; i < h->nvms; i++)
			if (h->vms[i].w) {
				left = true;
				h->vms[i].stopping = true;
				if (!h->vms[i].kill_at || h->vms[i].kill_at > now_ms() + HOST_STOP_MS)
					h->vms[i].kill_at = now_ms() + HOST_STOP_MS;
			}
		if (left)
			(void)hv_host_run(h, 10);
	} while (left && now_ms() < deadline);
	for (size_t i = 0; i < h->nvms; i++)
		if (h->vms[i].w) {
			log_error(HOST_LOG, "VM %s: its process is still there at teardown; destroying it",
				  vstack_vm_name(h->vms[i].vm));
			vmwp_destroy(h->vms[i].w);
			h->vms[i].w = NULL;
		}
}

static int vms_up(struct hv_host *h, const struct hv_host_options *opt)
{
	const struct lab *lab = h->lab;
	struct vstack_config vc = { .guest = opt ? opt->guest : NULL, .guest_ctx = opt ? opt->guest_ctx : NULL };
	int rc;

	if (h->opt.guest_entry) {
		vc.guest = &host_guest_ops;
		vc.guest_ctx = h;
	}
	/* [host] vf_filter_move: when a revoked VF's filters go back (docs/hv/vstack.md) */
	vc.filter_move = lab->host.vf_filter_move == LAB_VF_FILTER_MOVE_AFTER_REMOVAL ? VSTACK_FILTER_MOVE_AFTER_REMOVAL
										   : VSTACK_FILTER_MOVE_ON_SWITCH;
	if ((rc = vstack_create(&vc, &h->vs)))
		return rc;
	vstack_set_platform_support(h->vs, hv_host_iov_support(h));
	h->vms = calloc(lab->nvms ? lab->nvms : 1, sizeof(*h->vms));
	if (!h->vms)
		return -ENOMEM;
	for (h->vm_idx_cap = 4; h->vm_idx_cap < 2 * lab->nvms; h->vm_idx_cap *= 2)
		;
	if (!(h->vm_idx = calloc(h->vm_idx_cap, sizeof(*h->vm_idx))))
		return -ENOMEM;
	for (size_t i = 0; i < lab->nvms; i++) {
		struct vstack_vm *vm;
		if ((rc = vstack_vm_create(h->vs, lab->vms[i].name, &vm)))
			return rc;
		h->vms[h->nvms].lab = &lab->vms[i];
		h->vms[h->nvms].last_wstatus = -1;
		h->vms[h->nvms].vm = vm;
		vm_idx_add(h, h->nvms++);
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
			.ipv4 = l->ip.is_set ? l->ip.addr : 0,
			.ipv4_prefix = l->ip.is_set ? l->ip.prefix : 0,
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
		if (lab->vms[i].autostart && (rc = hv_host_vm_start(h, lab->vms[i].name)))
			note(h, "vm %s: did not start (%s)", lab->vms[i].name, strerror(-rc));
	return 0;
}

int hv_host_create(const struct lab *lab, const struct hv_host_options *opt, struct hv_host **out, char *err,
		   size_t errlen)
{
	struct hv_host *h;
	struct pcie_platform eff;
	int rc;
	TRACE_SCOPE("host-boot", "host boot", "lab=%s", lab->file);

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->lab = lab;
	if (opt)
		h->opt = *opt;
	if ((rc = evloop_create(&h->loop))) {
		snprintf(err, errlen, "cannot create the host's event loop (%s)", strerror(-rc));
		hv_host_destroy(h);
		return -EIO;
	}
	platform_from_lab(&h->plat, &lab->host);
	if ((rc = hv_faults_create(lab, &h->faults, err, errlen))) {
		hv_host_destroy(h);
		return rc == -ENOMEM ? -ENOMEM : -EIO;
	}
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
			snprintf(err, errlen, "nic %s: cannot create the srnic device%s", lab->nics[i].name,
				 rc == -EINVAL ? " with that SR-IOV geometry (total_vfs, first_vf_offset, vf_stride)" : "");
			hv_host_destroy(h);
			return -EIO;
		}
		h->nnics++;
	}
	trace_span_begin("host-boot", "PCI enumeration", "nics=%zu", h->nnics);
	if ((rc = pcie_host_assign_bars(h->pcie)))
		note(h, "the firmware could not place every BAR (%s)", strerror(-rc));
	trace_span_end();
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
			.teaming = l->teaming == LAB_TEAMING_LBFO ? VSWITCH_TEAM_LBFO :
				   l->teaming == LAB_TEAMING_SET ? VSWITCH_TEAM_SET : VSWITCH_TEAM_NONE,
		};
		if (c.type == VSWITCH_EXTERNAL && !nic) {
			note(h, "vmswitch %s: External without a network adapter; created as Private", l->name);
			c.type = VSWITCH_PRIVATE;
		}
		trace_span_begin("host-boot", "vSwitch create", "vswitch=%s", l->name);
		rc = vswitch_create(&c, &h->sws[h->nsws]);
		trace_span_end();
		if (rc) {
			snprintf(err, errlen, "vmswitch %s: %s", l->name, strerror(-rc));
			hv_host_destroy(h);
			return -EIO;
		}
		vswitch_set_port_rx(h->sws[h->nsws], port_rx, h);
		h->sw_nics[h->nsws++] = nic;
	}
	switches_edge_up(h);
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
	TRACE_SCOPE("teardown", "host teardown", "lab=%s", h->lab ? h->lab->file : "?");
	/* 1. VMs: guest removal, filters back, DELETE_VPORT, RESET_VF, FREE_VF, CLEAR_FILTER. */
	if (h->vs)
		guests_down(h);
	if (h->vs) {
		for (size_t i = 0; i < vstack_vm_count(h->vs); i++) {
			struct vstack_vm *vm = vstack_vm_at(h->vs, i);
			if (vstack_vm_state(vm) == VSTACK_VM_RUNNING && vstack_vm_stop(vm) == -EINPROGRESS)
				log_error(HOST_LOG, "VM %s: its VFs are still being taken back at teardown", vstack_vm_name(vm));
		}
		vstack_destroy(h->vs);
	}
	/* 2. The switches unbind (their protocol edge with them). */
	for (size_t i = 0; i < h->nsws; i++)
		vswitch_destroy(h->sws[i]);
	ndis_protocol_unload(h->vmsp);
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
		uplink_hostif_down(h, &h->nics[i]);
		srnic_destroy(h->nics[i].dev);
		ndis_inf_destroy(h->nics[i].inf);
		free(h->nics[i].inf_path);
	}
	pcie_host_destroy(h->pcie);
	evloop_destroy(h->loop);
	free(h->vms);
	free(h->vm_idx);
	for (size_t i = 0; i < h->nnotes; i++)
		free(h->notes[i]);
	for (size_t i = 0; i < h->ninstalled; i++)
		free(h->installed[i]);
	free(h->installed);
	free(h->notes);
	free(h->nics);
	free(h->sws);
	free(h->sw_nics);
	hv_faults_destroy(h->faults);
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
	if (!n->teardown_pending) {
		unsigned assigned = 0;

		for (size_t i = 0; h->vs && i < vstack_vmnic_count(h->vs); i++) {
			struct vstack_vmnic *v = vstack_vmnic_at(h->vs, i);

			if (vstack_vmnic_has_vf(v) && vstack_vmnic_switch(v) &&
			    hv_host_switch_nic(h, vstack_vmnic_switch(v)) == n)
				assigned++;
		}
		if (assigned) {
			/* Catalogue F31: the VFs go first, in the documented order (spec 2.18), then the PF halts. */
			n->restarts_with_vfs++;
			log_warn(HOST_LOG, "nic %s: the PF adapter restarts with %u VF(s) assigned; tearing them down first",
				 n->lab->name, assigned);
		}
	}
	for (size_t i = 0; i < h->nsws; i++)
		if (h->sw_nics[i] == n && vstack_switch_pf_halting(h->vs, h->sws[i])) {
			snprintf(err, errlen, "a VF teardown on switch %s is still waiting for the PF; %s applies at the "
				 "next restart", vswitch_name(h->sws[i]), keyword);
			n->teardown_pending = true;
			return -EBUSY;
		}
	n->teardown_pending = false;
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

int hv_nic_set_keyword_wait(struct hv_host *h, struct hv_nic *n, const char *keyword, const char *value,
			    int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + timeout_ms;
	int rc;

	while ((rc = hv_nic_set_keyword(h, n, keyword, value, err, errlen)) == -EBUSY && now_ms() < deadline)
		(void)hv_host_run(h, 10);
	return rc;
}

/* ---- faults armed by the script (faults.h) ---------------------------------------------- */
int hv_host_fault_arm(struct hv_host *h, const char *name, bool armed, char *err, size_t errlen)
{
	const struct lab_fault *lf;
	int rc = hv_faults_set_armed(h->faults, name, armed, &lf);

	if (rc) {
		snprintf(err, errlen, "no [fault %s]", name);
		return rc;
	}
	for (size_t j = 0; j < lf->kv.count; j++) {
		int k = hv_fault_kind_find(lf->kv.items[j].key);

		if (k == HV_FAULT_PF_FAIL_OID) {
			/* The keyword changes as Set-NetAdapterAdvancedProperty would: the adapter restarts. */
			for (size_t i = 0; i < h->nnics; i++) {
				struct hv_nic *n = &h->nics[i];
				struct ndis_keyword kw[2];
				size_t nk = fault_pf_keywords(h, n, kw, 2);

				if (lf->target && (lf->target_type != LAB_SEC_NIC || strcasecmp(lf->target, n->lab->name)))
					continue;
				if (!n->ad)
					continue;
				if (nk == 0)
					kw[0] = (struct ndis_keyword){ "IovlabFailOid", "0" };
				if (nk && (rc = ndis_adapter_set_keyword(n->ad, "IovlabFailStatus", kw[1].value, err, errlen)))
					return rc;
				if ((rc = hv_nic_set_keyword_wait(h, n, "IovlabFailOid", kw[0].value, HOST_STOP_MS, err,
								  errlen)))
					return rc;
			}
		} else if (k == HV_FAULT_VF_LINK) {
			for (size_t i = 0; h->vs && i < vstack_vmnic_count(h->vs); i++) {
				struct vstack_vmnic *n = vstack_vmnic_at(h->vs, i);

				if (vstack_vmnic_has_vf(n))
					fault_vf_link(h, n, vstack_vmnic_vf_id(n));
			}
		} else {
			snprintf(err, errlen, "[fault %s] %s cannot change while the lab runs", name, lf->kv.items[j].key);
			return -EOPNOTSUPP;
		}
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
unsigned hv_nic_restarts_with_vfs(const struct hv_nic *n) { return n->restarts_with_vfs; }
struct pcie_function *hv_nic_function(const struct hv_nic *n) { return n->fn; }
const char *hv_nic_hardware_id(const struct hv_nic *n) { return n->hwid; }
const char *hv_nic_inf_path(const struct hv_nic *n) { return n->inf_path; }
const struct ndis_inf_model *hv_nic_inf_model(const struct hv_nic *n) { return n->model; }
const uint8_t *hv_nic_mac(const struct hv_nic *n) { return n->mac; }
struct srnic *hv_nic_device(const struct hv_nic *n) { return n->dev; }
struct srnic_peer *hv_nic_peer(const struct hv_nic *n) { return n->peer; }

struct hv_nic *hv_host_nic_of_adapter(const struct hv_host *h, const struct ndis_adapter *ad)
{
	for (size_t i = 0; ad && i < h->nnics; i++)
		if (h->nics[i].ad == ad)
			return &h->nics[i];
	return NULL;
}

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
