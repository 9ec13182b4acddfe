/*
 * The host side of one running VM (vmwp.h): the VM's process, its VMBus
 * server, a NetVSP per adapter, the vPCI VSP with the OID backend, the MMIO
 * and control channels, and the VF DMA domains. docs/hv/e2e.md has the
 * picture, the revoke order and the state diagram of an adapter's VF:
 *
 *     NONE --offer: association + hot-add--> OFFERED
 *     OFFERED --revoke: association withdrawn--> LEAVING
 *     LEAVING --NetVsc switched back (or deadline)--> EJECTING --removed--> NONE
 *       (vf_filter_move on-switch: the stack moves the filters back to the
 *        default vPort between the acknowledged switch and the eject)
 *     OFFERED --the guest refused the function / the VM died--> NONE
 *     LEAVING, EJECTING --the VM died--> NONE
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/netvsp.h"
#include "hv/vmbus.h"
#include "hv/vf_doorbell.h"
#include "hv/vmctl_msg.h"
#include "hv/vmwp.h"
#include "hv/vpci_vsp.h"
#include "hv/vswitch.h"
#include "ndis/framework.h"
#include "ndis/names.h"
#include "pcie/pcie.h"
#include "wire/srnic_regs.h"
#include "wire/vpci.h"

#define WP_LOG "lab.hv.vmwp"
#define WP_NET_KEPT 8u	/* NET_DONE answers kept for vmwp_net_done() */
#define WP_STATUS_PERIOD_MS 250

static const struct vmbus_guid ctl_class = VMCTL_CTL_CLASS_GUID_INIT;
static const struct vmbus_guid mmio_class = VMCTL_MMIO_CLASS_GUID_INIT;
/* The vPCI VSP issues the SR-IOV OIDs through NDIS (spec 2.13: NDIS forwards the VSP's requests). */
static const struct ndis_issuer wp_issuer = { NDIS_ISSUER_NDIS, "NDIS" };

struct vmwp_nic {
	struct vmwp *w;
	unsigned index;
	struct vstack_vmnic *n;
	struct netvsp *nsp;
	struct vmbus_guid instance;
	/* the VF */
	enum vmwp_vf_state vf;
	uint16_t vf_id;
	uint32_t serial;
	struct ndis_adapter *pf;
	struct srnic *dev;
	struct pcie_function *fn;
	struct vpci_vsp_dev *vdev;
	struct vf_db *db;	/* the VF BAR's shared doorbell page, if the guest lent one */
	bool upcall;		/* vstack waits for vstack_vmnic_vf_revoked() */
	bool in_revoke;		/* inside vmwp_revoke_vf(): finish by returning 0 */
	bool finished;		/* ... and it finished */
	bool wait_filters;	/* LEAVING: switched back; the eject waits for the stack's filter move */
	int64_t deadline;
};

struct vmwp {
	struct vmwp_config cfg;
	struct guest_vm_config guest;
	enum vmwp_state state;
	int wstatus;
	char name[64];
	struct partition *p;
	struct vmbus_host *vh;
	struct vmbus_channel *ctl, *mmio;
	struct vpci_vsp *vsp;
	struct vmwp_nic nics[GUEST_VM_MAX_NICS];
	unsigned nnics;
	/* diagnose: the guest's newest DIAG answer (its JSON text) */
	uint32_t diag_seq;
	uint32_t diag_len;
	char diag[VMCTL_DIAG_JSON_MAX + 1];
	/* control */
	uint32_t next_seq;
	uint32_t sent_seq;		/* the newest SENT answer */
	struct vmctl_status sent;
	uint32_t status_seq;		/* the newest STATUS answer */
	struct vmctl_status status;
	uint32_t ndiskd_seq;		/* the newest NDISKD answer */
	struct vmctl_ndiskd ndiskd;
	uint32_t capture_seq;		/* the newest CAPTURE_ACK (live capture) */
	struct vmctl_capture_ack capture_ack;
	/* the newest NET_DONE answers, by seq: a background TCP run's outlives a ping's after it */
	struct { uint32_t seq; struct vmctl_net_done d; } net[WP_NET_KEPT];
	unsigned net_next;
	int64_t next_query;
	char describe[256];
	struct vmwp_stats stats;
	struct vmbus_pkt_in in[32];
	_Alignas(8) uint8_t buf[8192];
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

const char *vmwp_state_name(enum vmwp_state s)
{
	static const char *const names[VMWP_STATE_COUNT] = { "Starting", "Running", "Gone" };
	return (unsigned)s < VMWP_STATE_COUNT ? names[s] : "?";
}

const char *vmwp_vf_state_name(enum vmwp_vf_state s)
{
	static const char *const names[VMWP_VF_STATE_COUNT] = { "None", "Offered", "Leaving", "Ejecting" };
	return (unsigned)s < VMWP_VF_STATE_COUNT ? names[s] : "?";
}

static const bool vf_transitions[VMWP_VF_STATE_COUNT][VMWP_VF_STATE_COUNT] = {
	[VMWP_VF_NONE] = { [VMWP_VF_OFFERED] = true },
	[VMWP_VF_OFFERED] = { [VMWP_VF_LEAVING] = true, [VMWP_VF_NONE] = true },
	[VMWP_VF_LEAVING] = { [VMWP_VF_EJECTING] = true, [VMWP_VF_NONE] = true },
	[VMWP_VF_EJECTING] = { [VMWP_VF_NONE] = true },
};

bool vmwp_vf_state_transition_allowed(enum vmwp_vf_state from, enum vmwp_vf_state to)
{
	return (unsigned)from < VMWP_VF_STATE_COUNT && (unsigned)to < VMWP_VF_STATE_COUNT && vf_transitions[from][to];
}

static void vf_set_state(struct vmwp_nic *x, enum vmwp_vf_state to)
{
	if (!vmwp_vf_state_transition_allowed(x->vf, to)) {
		log_error(WP_LOG, "%s: VF %u: illegal transition %s -> %s", x->w->name, x->vf_id, vmwp_vf_state_name(x->vf),
			  vmwp_vf_state_name(to));
		return;
	}
	log_debug(WP_LOG, "%s: VF %u: %s -> %s", x->w->name, x->vf_id, vmwp_vf_state_name(x->vf), vmwp_vf_state_name(to));
	x->vf = to;
}

static struct vmwp_nic *nic_of(struct vmwp *w, const struct vstack_vmnic *n)
{
	for (unsigned i = 0; i < w->nnics; i++)
		if (w->nics[i].n == n)
			return &w->nics[i];
	return NULL;
}

/* ---- the VF backend: the vPCI VSP's requests as OIDs to the PF (spec 2.13, 2.16) ------------ */
struct oid_call {
	NDIS_OID_REQUEST req;
	uint32_t len;
	_Alignas(8) uint8_t buf[];
};

static void oid_late(void *ctx, NDIS_OID_REQUEST *req, uint32_t status)
{
	(void)req;
	log_warn(WP_LOG, "a pended vPCI backend OID completed late (0x%x); its answer was lost", status);
	free(ctx);
}

/* Issue oid to x's PF with buf (in_len in, out_len out); the NDIS status. */
static uint32_t pf_oid(struct vmwp_nic *x, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf, uint32_t in_len,
		       uint32_t out_len)
{
	uint32_t len = in_len > out_len ? in_len : out_len, st = 0;
	struct oid_call *c = calloc(1, sizeof(*c) + len);
	int rc;

	if (!c || !x->pf) {
		free(c);
		return VPCI_STATUS_UNSUCCESSFUL;
	}
	x->w->stats.oids++;
	memcpy(c->buf, buf, len);
	c->len = len;
	ndis_oid_init(&c->req, type, oid, c->buf, type == NdisRequestQueryInformation ? out_len : in_len);
	if (type == NdisRequestMethod)
		c->req.DATA.METHOD_INFORMATION.OutputBufferLength = out_len;
	rc = ndis_oid_request(x->pf, &wp_issuer, &c->req, oid_late, c, &st);
	if (rc == -EINPROGRESS) {
		log_warn(WP_LOG, "%s: %s pended by the PF; the guest's request fails", x->w->name, ndis_oid_name(oid));
		return VPCI_STATUS_UNSUCCESSFUL;
	}
	memcpy(buf, c->buf, len);
	free(c);
	return rc ? VPCI_STATUS_UNSUCCESSFUL : st;
}

static void hdr(NDIS_OBJECT_HEADER *h, uint8_t rev, uint16_t size)
{
	h->Type = NDIS_OBJECT_TYPE_DEFAULT;
	h->Revision = rev;
	h->Size = size;
}

#define CFG_MAX 256u

/*
 * The four VF data OIDs carry the same 20-byte parameter layout --
 * {Header, VFId, Offset or BlockId, Length, BufferOffset} -- followed by the
 * data at BufferOffset (ndis-sriov-spec.md 3.3), so one routine builds them.
 * The asserts pin that the layouts really are the same.
 */
#define VF_DATA_SAME_LAYOUT(T, where)                                              \
	_Static_assert(offsetof(T, VFId) == offsetof(NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS, VFId) && \
		       offsetof(T, where) == offsetof(NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS, Offset) && \
		       offsetof(T, Length) == offsetof(NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS, Length) && \
		       offsetof(T, BufferOffset) == offsetof(NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS, BufferOffset) && \
		       sizeof(T) == sizeof(NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS), #T " layout")
VF_DATA_SAME_LAYOUT(NDIS_SRIOV_WRITE_VF_CONFIG_SPACE_PARAMETERS, Offset);
VF_DATA_SAME_LAYOUT(NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS, BlockId);
VF_DATA_SAME_LAYOUT(NDIS_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS, BlockId);

/* A read (method) or write (set) of len bytes at where (offset or block id). */
static uint32_t be_vf_data(void *ctx, NDIS_OID oid, bool write, uint16_t vf, uint32_t where,
			   void *data, uint32_t len, uint32_t max)
{
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p;
		uint8_t data[CFG_MAX];
	} b;
	const uint32_t at = (uint32_t)offsetof(__typeof__(b), data);
	uint32_t st;

	if (len > max || len > CFG_MAX)
		return VPCI_STATUS_INVALID_PARAMETER;
	memset(&b, 0, sizeof(b));
	hdr(&b.p.Header, 1, NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.Offset = where;
	b.p.Length = len;
	b.p.BufferOffset = at;
	if (write) {
		memcpy(b.data, data, len);
		return pf_oid(ctx, NdisRequestSetInformation, oid, &b, at + len, 0);
	}
	st = pf_oid(ctx, NdisRequestMethod, oid, &b, sizeof(b.p), at + len);
	if (st == VPCI_STATUS_SUCCESS)
		memcpy(data, b.data, len);
	return st;
}

static uint32_t be_read_cfg(void *ctx, uint16_t vf, uint32_t off, void *out, uint32_t len)
{
	return be_vf_data(ctx, OID_SRIOV_READ_VF_CONFIG_SPACE, false, vf, off, out, len, CFG_MAX);
}

static uint32_t be_write_cfg(void *ctx, uint16_t vf, uint32_t off, const void *in, uint32_t len)
{
	return be_vf_data(ctx, OID_SRIOV_WRITE_VF_CONFIG_SPACE, true, vf, off, (void *)in, len, CFG_MAX);
}

static uint32_t be_read_block(void *ctx, uint16_t vf, uint32_t id, void *out, uint32_t len)
{
	return be_vf_data(ctx, OID_SRIOV_READ_VF_CONFIG_BLOCK, false, vf, id, out, len, VPCI_BLOCK_MAX);
}

static uint32_t be_write_block(void *ctx, uint16_t vf, uint32_t id, const void *in, uint32_t len)
{
	return be_vf_data(ctx, OID_SRIOV_WRITE_VF_CONFIG_BLOCK, true, vf, id, (void *)in, len, VPCI_BLOCK_MAX);
}

static uint32_t be_probed(void *ctx, uint32_t bars[VPCI_BAR_COUNT])
{
	struct {
		NDIS_SRIOV_PROBED_BARS_INFO i;
		uint32_t bars[PCI_TYPE0_ADDRESSES];
	} b;
	uint32_t st;

	memset(&b, 0, sizeof(b));
	st = pf_oid(ctx, NdisRequestQueryInformation, OID_SRIOV_PROBED_BARS, &b, 0, sizeof(b));
	if (st != VPCI_STATUS_SUCCESS)
		return st;
	if (b.i.BaseRegisterValuesOffset != offsetof(__typeof__(b), bars))
		return VPCI_STATUS_UNSUCCESSFUL;
	memcpy(bars, b.bars, sizeof(b.bars));
	return st;
}

static uint32_t be_bar(void *ctx, uint16_t vf, uint16_t bar, struct vpci_bar_desc *res)
{
	struct {
		NDIS_SRIOV_BAR_RESOURCES_INFO i;
		CM_PARTIAL_RESOURCE_DESCRIPTOR d;
	} b;
	uint32_t st;

	memset(&b, 0, sizeof(b));
	hdr(&b.i.Header, 1, NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1);
	b.i.VFId = vf;
	b.i.BarIndex = bar;
	b.i.BarResourcesOffset = offsetof(__typeof__(b), d);
	st = pf_oid(ctx, NdisRequestMethod, OID_SRIOV_BAR_RESOURCES, &b, sizeof(b.i), sizeof(b));
	if (st != VPCI_STATUS_SUCCESS)
		return st;
	memset(res, 0, sizeof(*res));
	res->start = (uint64_t)b.d.u.Memory.Start.QuadPart;
	res->length = b.d.u.Memory.Length;
	res->type = b.d.Type;
	res->share = b.d.ShareDisposition;
	res->flags = b.d.Flags;
	return st;
}

static uint32_t be_ids(void *ctx, uint16_t vf, uint16_t *vendor, uint16_t *device)
{
	NDIS_SRIOV_VF_VENDOR_DEVICE_ID_INFO b;
	uint32_t st;

	memset(&b, 0, sizeof(b));
	hdr(&b.Header, 1, NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1);
	b.VFId = vf;
	st = pf_oid(ctx, NdisRequestMethod, OID_SRIOV_VF_VENDOR_DEVICE_ID, &b, sizeof(b), sizeof(b));
	if (st == VPCI_STATUS_SUCCESS) {
		*vendor = b.VendorId;
		*device = b.DeviceId;
	}
	return st;
}

static uint32_t be_power(void *ctx, uint16_t vf, uint32_t state, bool wake)
{
	NDIS_SRIOV_SET_VF_POWER_STATE_PARAMETERS b;

	memset(&b, 0, sizeof(b));
	hdr(&b.Header, 1, NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1);
	b.VFId = vf;
	b.PowerState = (NDIS_DEVICE_POWER_STATE)state;
	b.WakeEnable = wake;
	return pf_oid(ctx, NdisRequestSetInformation, OID_SRIOV_SET_VF_POWER_STATE, &b, sizeof(b), 0);
}

static const struct vpci_backend_ops backend = {
	.read_vf_config_space = be_read_cfg,
	.write_vf_config_space = be_write_cfg,
	.read_vf_config_block = be_read_block,
	.write_vf_config_block = be_write_block,
	.probed_bars = be_probed,
	.bar_resources = be_bar,
	.vf_vendor_device_id = be_ids,
	.set_vf_power_state = be_power,
};

/* ---- the VF's DMA domain and its end ---------------------------------------------------------- */
static void dma_domain(struct vmwp_nic *x, bool on)
{
	struct guest_mem *gm = x->w->p ? partition_mem(x->w->p) : NULL;
	uint64_t size = gm ? gmem_size(gm) : 0;

	if (!x->dev)
		return;
	if (on && gm) {
		(void)srnic_set_dma_domain(x->dev, x->vf_id + 1u, gmem_ptr(gm, 0, size), size);
	} else {
		vf_db_destroy(x->db);	/* the page is the VM's memory: let go with the domain */
		x->db = NULL;
		(void)srnic_set_dma_domain(x->dev, x->vf_id + 1u, NULL, 0);
	}
	log_info(WP_LOG, "%s: VF %u DMA domain %s", x->w->name, x->vf_id, on ? "= the VM's memory" : "cleared");
}

/* The VF is the guest's no longer: DMA off, the stack told if it waits. */
static void vf_finished(struct vmwp_nic *x, const char *how)
{
	if (x->vf == VMWP_VF_NONE)
		return;
	dma_domain(x, false);
	x->vdev = NULL;
	vf_set_state(x, VMWP_VF_NONE);
	log_info(WP_LOG, "%s: VF %u let go (%s)", x->w->name, x->vf_id, how);
	if (x->in_revoke) {
		x->finished = true;
	} else if (x->upcall) {
		x->upcall = false;
		vstack_vmnic_vf_revoked(x->n);
	}
}

static void vsp_removed(struct vpci_vsp_dev *dev, enum vpci_removal how, void *ctx, void *arg)
{
	struct vmwp_nic *x = ctx;

	(void)dev;
	(void)arg;
	if (x->vdev != dev)
		return;
	log_info(WP_LOG, "%s: VF %u's vPCI function removed (%s)", x->w->name, x->vf_id, vpci_removal_name(how));
	if (x->vf == VMWP_VF_OFFERED) {
		/* Not asked for: the guest closed the bus or the VM is gone. */
		x->vdev = NULL;
		if (how != VPCI_REMOVAL_GUEST_GONE)
			return;	/* still steered and associated; the stack revokes as usual */
	}
	vf_finished(x, vpci_removal_name(how));
}

static void eject(struct vmwp_nic *x)
{
	x->wait_filters = false;
	vf_set_state(x, VMWP_VF_EJECTING);
	if (!x->vdev || x->w->state == VMWP_GONE) {
		vf_finished(x, "nothing to eject");
		return;
	}
	log_info(WP_LOG, "%s: VF %u: NetVsc is off it; ejecting the vPCI function", x->w->name, x->vf_id);
	if (vpci_vsp_remove_device(x->vdev, x->w->cfg.eject_timeout_ms > 0 ? x->w->cfg.eject_timeout_ms : 3000) ==
	    -EALREADY)
		log_debug(WP_LOG, "%s: VF %u: removal already under way", x->w->name, x->vf_id);
}

/* ---- NetVSP's port: frames to the vSwitch, data-path events to the stack ------------------------ */
static int port_tx(void *ctx, const struct nvsp_frame *f, unsigned n)
{
	struct vmwp_nic *x = ctx;
	struct vswitch_port *p = vstack_vmnic_port(x->n);
	struct vswitch_frame vf[64];
	unsigned done = 0;

	if (!p)
		return -ENOTCONN;
	while (done < n) {
		unsigned k = n - done < 64 ? n - done : 64;

		for (unsigned i = 0; i < k; i++)
			vf[i] = (struct vswitch_frame){ f[done + i].data, f[done + i].len };
		(void)vswitch_port_send(p, vf, k);
		done += k;
	}
	return (int)n;
}

static void port_event(void *ctx, enum netvsp_event ev)
{
	struct vmwp_nic *x = ctx;

	log_debug(WP_LOG, "%s: NetVSP '%s': %s", x->w->name, vstack_vmnic_name(x->n), netvsp_event_name(ev));
	switch (ev) {
	case NETVSP_EV_DATA_PATH_VF:
		/* VFDataPathActive: the guest's NetVsc switched and NetVSP acknowledged (spec 1.4, 1.5). */
		if (x->vf == VMWP_VF_OFFERED)
			vstack_vmnic_datapath(x->n, true);
		break;
	case NETVSP_EV_DATA_PATH_SYNTHETIC:
		if (x->vf == VMWP_VF_OFFERED && (vstack_vmnic_vf_state(x->n) == VSTACK_VF_ACTIVE ||
						 vstack_vmnic_vf_state(x->n) == VSTACK_VF_STEERING))
			vstack_vmnic_datapath(x->n, false);
		else if (x->vf == VMWP_VF_LEAVING && !x->wait_filters) {
			/*
			 * The guest's NetVsc is off the VF (acknowledged). vf_filter_move
			 * on-switch: the stack moves the filters back first, so frames
			 * for the VM take the synthetic path before the VF miniport is
			 * paused by the eject (ndis-sriov-spec.md 1.3 note, 2.17).
			 */
			if (vstack_vmnic_switched_back(x->n) == -EINPROGRESS) {
				x->wait_filters = true;
				log_info(WP_LOG, "%s: VF %u: eject waits for the filter move at the PF", x->w->name,
					 x->vf_id);
				break;
			}
			eject(x);
		}
		break;
	default:
		break;
	}
}

static const struct netvsp_port_ops port_ops = { port_tx, port_event };

int vmwp_deliver(struct vmwp *w, struct vstack_vmnic *n, const void *frame, uint32_t len)
{
	struct vmwp_nic *x = nic_of(w, n);
	struct nvsp_frame f = { frame, len };

	if (!x || !x->nsp || w->state == VMWP_GONE)
		return -ENODEV;
	return netvsp_rx_frames(x->nsp, &f, 1);
}

/* ---- the guest ops ------------------------------------------------------------------------------- */
int vmwp_offer_vf(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id, uint32_t serial)
{
	struct vmwp_nic *x = nic_of(w, n);
	struct vpci_dev_desc d = { .vf_id = vf_id, .serial = serial };
	struct vswitch *sw = vstack_vmnic_switch(n);
	uint8_t cfg[64];
	int rc;

	if (!x)
		return -ENODEV;	/* an adapter the guest has no NetVsc for */
	if (w->state == VMWP_GONE)
		return -ENODEV;
	if (x->vf != VMWP_VF_NONE)
		return -EBUSY;
	x->vf_id = vf_id;
	x->serial = serial;
	x->pf = sw ? vswitch_pf(sw) : NULL;
	x->dev = x->pf && w->cfg.nic_of ? w->cfg.nic_of(w->cfg.ctx, x->pf) : NULL;
	x->fn = x->dev ? srnic_function(x->dev, vf_id + 1u) : NULL;
	if (!x->fn) {
		log_warn(WP_LOG, "%s: VF %u: no device function behind the PF", w->name, vf_id);
		return -ENODEV;
	}
	/* The PCI identity the vPCI bus reports, read the way the VSP reads it: through the PF. */
	if (be_read_cfg(x, vf_id, 0, cfg, sizeof(cfg)) != VPCI_STATUS_SUCCESS) {
		log_warn(WP_LOG, "%s: VF %u: its config space could not be read through the PF", w->name, vf_id);
		return -EIO;
	}
	d.slot = VPCI_SLOT(x->index + 1u, 0);
	d.revision = cfg[0x08];
	d.prog_if = cfg[0x09];
	d.subclass = cfg[0x0a];
	d.base_class = cfg[0x0b];
	d.subsystem_id = (uint32_t)cfg[0x2c] | (uint32_t)cfg[0x2d] << 8 | (uint32_t)cfg[0x2e] << 16 |
			 (uint32_t)cfg[0x2f] << 24;
	dma_domain(x, true);
	/* spec 2.11: the host associates the serial with the VM NIC, then hot-adds the function. */
	if ((rc = netvsp_vf_offer(x->nsp, serial))) {
		log_warn(WP_LOG, "%s: VF %u: NetVSP cannot associate it (%s)", w->name, vf_id, strerror(-rc));
		dma_domain(x, false);
		return rc;
	}
	rc = vpci_vsp_add_device(w->vsp, &d, &backend, x, &x->vdev);
	if (rc) {
		log_warn(WP_LOG, "%s: VF %u: the vPCI bus cannot add it (%s)", w->name, vf_id, strerror(-rc));
		(void)netvsp_vf_revoke(x->nsp);
		dma_domain(x, false);
		x->vdev = NULL;
		return rc;
	}
	vf_set_state(x, VMWP_VF_OFFERED);
	log_info(WP_LOG, "%s: VF %u (serial %u) associated with '%s' and hot-added in slot 0x%x", w->name, vf_id, serial,
		 vstack_vmnic_name(n), d.slot);
	return 0;
}

int vmwp_revoke_vf(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id)
{
	struct vmwp_nic *x = nic_of(w, n);

	(void)vf_id;
	if (!x || x->vf == VMWP_VF_NONE)
		return 0;
	if (x->vf != VMWP_VF_OFFERED)
		return -EINPROGRESS;	/* a revoke is under way already */
	if (w->state == VMWP_GONE) {
		vf_finished(x, "the VM is gone");
		return 0;
	}
	x->in_revoke = true;
	x->finished = false;
	vf_set_state(x, VMWP_VF_LEAVING);
	x->deadline = now_ms() + (w->cfg.revoke_timeout_ms > 0 ? w->cfg.revoke_timeout_ms : 3000);
	log_info(WP_LOG, "%s: VF %u: withdrawing the association from '%s' (NetVsc switches back first)", w->name,
		 x->vf_id, vstack_vmnic_name(n));
	(void)netvsp_vf_revoke(x->nsp);
	if (!netvsp_vf_data_path_active(x->nsp)) {
		/* NetVsc is not on the VF: nothing to switch back; the filters may go first (on-switch). */
		if (vstack_vmnic_switched_back(n) == -EINPROGRESS)
			x->wait_filters = true;
		else
			eject(x);
	}
	x->in_revoke = false;
	if (x->finished)
		return 0;
	x->upcall = true;
	return -EINPROGRESS;
}

const char *vmwp_describe(struct vmwp *w, const struct vstack_vmnic *n)
{
	struct vmwp_nic *x = nic_of(w, n);
	const struct vmctl_status *s = &w->status;

	if (w->state == VMWP_GONE)
		return "the VM's process is gone";
	if (!x)
		return "the guest runs no NetVsc for this adapter";
	if (w->state == VMWP_STARTING)
		return "the guest is starting";
	if (!w->status_seq)
		return NULL;
	if (s->vf_binding == VMCTL_VF_DECLINED) {
		char st[96];

		snprintf(w->describe, sizeof(w->describe), "the guest's NetVsc declined the VF (NETVSCVFPP: Declined with %s)",
			 ndis_status_format(st, sizeof(st), s->vf_status));
		return w->describe;
	}
	if (!s->vf_adapters)
		return "no VF miniport started in the guest";
	return NULL;
}

void vmwp_vf_config_invalidated(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id, uint64_t mask)
{
	struct vmwp_nic *x = nic_of(w, n);

	if (!x || !x->vdev || x->vf_id != vf_id)
		return;
	(void)vpci_vsp_invalidate(x->vdev, mask);
}

void vmwp_filters_released(struct vmwp *w, struct vstack_vmnic *n, uint16_t vf_id)
{
	struct vmwp_nic *x = nic_of(w, n);

	(void)vf_id;
	if (x && x->vf == VMWP_VF_LEAVING && x->wait_filters)
		eject(x);
}

enum vmwp_vf_state vmwp_vf_state(const struct vmwp *w, const struct vstack_vmnic *n)
{
	const struct vmwp_nic *x = nic_of((struct vmwp *)w, n);

	return x ? x->vf : VMWP_VF_NONE;
}

/* ---- the MMIO channel: the VF's registers, as the guest's SLAT would map them ------------------------ */
#define WP_MMIO_WINDOWS (GUEST_VM_MAX_NICS * 6u)

/* The BARs of the VFs assigned to the VM now, and whose each is. */
static unsigned mmio_windows(struct vmwp *w, struct vmctl_mmio_window *win, struct vmwp_nic **nic, unsigned *bar)
{
	unsigned n = 0;

	for (unsigned i = 0; i < w->nnics; i++) {
		struct vmwp_nic *x = &w->nics[i];

		if (x->vf == VMWP_VF_NONE || !x->fn)
			continue;
		for (unsigned b = 0; b < 6 && n < WP_MMIO_WINDOWS; b++) {
			uint64_t a = pcie_fn_bar_addr(x->fn, b), sz = pcie_fn_bar_size(x->fn, b);

			if (!a || !sz)
				continue;
			win[n] = (struct vmctl_mmio_window){ a, sz };
			nic[n] = x;
			bar[n++] = b;
		}
	}
	return n;
}

/* The VF's interrupt into the guest: a signal on its end of the MMIO channel (vf_doorbell.h). */
static void db_signal(void *ctx)
{
	struct vmwp *w = ctx;

	if (w->mmio)
		(void)vmbus_chan_kick(w->mmio);
}

/*
 * DOORBELL: the guest lends the page at page_gpa as the shared page of the
 * register BAR starting at the request's address (wire/vmctl.h). Only the
 * srnic VF's register BAR has one; the page must lie inside the VM's memory.
 */
static int mmio_doorbell(struct vmwp *w, struct vmwp_nic *x, unsigned bar, uint64_t off, uint64_t page_gpa,
			 uint64_t *value)
{
	struct guest_mem *gm = w->p ? partition_mem(w->p) : NULL;
	struct vmctl_db_page *page;
	int rc;

	*value = 0;
	if (bar != SRNIC_BAR_REGS || off || !x->dev || !w->mmio) {
		w->stats.mmio_refused++;
		return -EFAULT;
	}
	if (!gm || !(page = gmem_ptr(gm, page_gpa, VMCTL_DB_PAGE_SIZE))) {
		w->stats.mmio_refused++;
		log_warn(WP_LOG, "%s: VF %u: doorbell page at 0x%llx is outside the VM's memory", w->name, x->vf_id,
			 (unsigned long long)page_gpa);
		return -EINVAL;
	}
	vf_db_destroy(x->db);	/* a new page replaces the old (the driver mapped the BAR again) */
	x->db = NULL;
	if ((rc = vf_db_create(x->dev, x->vf_id + 1u, page, db_signal, w, &x->db))) {
		log_warn(WP_LOG, "%s: VF %u: no doorbell page (%s)", w->name, x->vf_id, strerror(-rc));
		return -EIO;
	}
	*value = vf_db_slots(x->db);
	log_info(WP_LOG, "%s: VF %u: queue tails through the shared page at 0x%llx", w->name, x->vf_id,
		 (unsigned long long)page_gpa);
	return 0;
}

/* One request: checked (vmctl_mmio_check), then served on the device. The completion's status. */
static int mmio_serve(struct vmwp *w, const struct vmbus_pkt_in *in, uint64_t *value)
{
	struct vmctl_mmio_window win[WP_MMIO_WINDOWS];
	struct vmwp_nic *nic[WP_MMIO_WINDOWS];
	unsigned bar[WP_MMIO_WINDOWS], n = mmio_windows(w, win, nic, bar), k = 0;
	struct vmctl_mmio_req r;
	uint64_t off = 0;
	const char *why;
	uint32_t v = 0xffffffffu;
	int rc = vmctl_mmio_check(in->data, in->len, win, n, &r, &k, &off, &why);

	if (rc) {
		w->stats.mmio_refused++;
		if (w->stats.mmio_refused <= 4)
			log_warn(WP_LOG, "%s: MMIO request (%u bytes, %s at 0x%llx) refused: %s", w->name, in->len,
				 in->len == sizeof(r) && r.op == VMCTL_MMIO_WRITE ? "write" : "read",
				 in->len == sizeof(r) ? (unsigned long long)r.gpa : 0ull, why);
		return rc == -EFAULT ? -EFAULT : -EINVAL;
	}
	if (r.op == VMCTL_MMIO_DOORBELL)
		return mmio_doorbell(w, nic[k], bar[k], off, r.value, value);
	/* Page writes the guest made before this request reach the device first. */
	(void)vf_db_drain(nic[k]->db);
	if (r.op == VMCTL_MMIO_READ) {
		rc = pcie_mmio_read32(nic[k]->fn, bar[k], off, &v);
		*value = v;
		w->stats.mmio_reads++;
	} else {
		rc = pcie_mmio_write32(nic[k]->fn, bar[k], off, (uint32_t)r.value);
		*value = 0;
		w->stats.mmio_writes++;
	}
	if (rc)
		*value = 0xffffffffu;
	return rc ? -EIO : 0;
}

static void on_mmio(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	struct vmwp *w = arg;

	if (ev == VMBUS_CHAN_EV_RESCINDED) {
		w->mmio = NULL;
		return;
	}
	if (ev != VMBUS_CHAN_EV_DATA)
		return;
	/* A kick on a doorbell page (or a request: the pages go first either way). */
	for (unsigned i = 0; i < w->nnics; i++)
		(void)vf_db_drain(w->nics[i].db);
	for (;;) {
		int n = vmbus_chan_recv(ch, w->in, 32, w->buf, sizeof(w->buf));

		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct vmctl_mmio_resp a = { .value = 0xffffffffu };
			struct vmbus_pkt c = { .type = VMBUS_PKT_COMP, .trans_id = w->in[i].trans_id, .data = &a,
					       .len = sizeof(a) };

			a.status = mmio_serve(w, &w->in[i], &a.value);
			if (vmbus_chan_send(ch, &c, 1) != 1)
				log_warn(WP_LOG, "%s: MMIO answer dropped (ring full)", w->name);
		}
	}
}

/* ---- the control channel ------------------------------------------------------------------------ */
static int ctl_send(struct vmwp *w, const void *msg, uint32_t len)
{
	struct vmbus_pkt p = { .type = VMBUS_PKT_DATA_INBAND, .data = msg, .len = len };

	if (!w->ctl || w->state != VMWP_RUNNING)
		return -ENOTCONN;
	return vmbus_chan_send(w->ctl, &p, 1) == 1 ? 0 : -EBUSY;
}

/* One message from the guest, checked by vmctl_msg_check() before a field is read. */
static void ctl_handle(struct vmwp *w, const void *d, uint32_t len)
{
	struct vmctl_hdr h;
	uint32_t type;
	const char *why;

	if (vmctl_msg_check(d, len, VMCTL_TO_HOST, &type, &why)) {
		w->stats.ctl_refused++;
		if (w->stats.ctl_refused <= 4)
			log_warn(WP_LOG, "%s: control message 0x%x (%s, %u bytes) from the guest refused: %s", w->name, type,
				 vmctl_msg_name(type), len, why);
		return;
	}
	memcpy(&h, d, sizeof(h));
	switch (type) {
	case VMCTL_MSG_DIAG:
		/* vmctl_msg_check: len == h.size - header, 1..VMCTL_DIAG_JSON_MAX */
		w->diag_len = len - (uint32_t)sizeof(struct vmctl_diag);
		memcpy(w->diag, (const char *)d + sizeof(struct vmctl_diag), w->diag_len);
		w->diag[w->diag_len] = '\0';
		w->diag_seq = h.seq;
		return;
	case VMCTL_MSG_READY:
		if (w->state != VMWP_STARTING)
			break;
		w->state = VMWP_RUNNING;
		log_info(WP_LOG, "%s: the guest is up (pid %d)", w->name, (int)partition_pid(w->p));
		return;
	case VMCTL_MSG_SENT:
		memcpy(&w->sent, d, sizeof(w->sent));
		w->sent_seq = h.seq;
		memcpy(&w->status, d, sizeof(w->status));
		return;
	case VMCTL_MSG_STATUS:
		memcpy(&w->status, d, sizeof(w->status));
		w->status_seq = h.seq;
		return;
	case VMCTL_MSG_NDISKD:
		memcpy(&w->ndiskd, d, sizeof(w->ndiskd));
		w->ndiskd_seq = h.seq;
		return;
	case VMCTL_MSG_CAPTURE_ACK:
		memcpy(&w->capture_ack, d, sizeof(w->capture_ack));
		w->capture_seq = h.seq;
		return;
	case VMCTL_MSG_NET_DONE:
		memcpy(&w->net[w->net_next].d, d, sizeof(w->net[0].d));
		w->net[w->net_next].seq = h.seq;
		w->net_next = (w->net_next + 1) % WP_NET_KEPT;
		return;
	}
	w->stats.ctl_refused++;
	log_warn(WP_LOG, "%s: control message %s from the guest refused: not expected now", w->name,
		 vmctl_msg_name(type));
}

static void on_ctl(struct vmbus_channel *ch, enum vmbus_chan_event ev, void *arg)
{
	struct vmwp *w = arg;

	if (ev == VMBUS_CHAN_EV_RESCINDED) {
		w->ctl = NULL;
		return;
	}
	if (ev != VMBUS_CHAN_EV_DATA)
		return;
	for (;;) {
		int n = vmbus_chan_recv(ch, w->in, 32, w->buf, sizeof(w->buf));

		if (n <= 0)
			return;
		for (int i = 0; i < n; i++)
			ctl_handle(w, w->in[i].data, w->in[i].len);
	}
}

int vmwp_send(struct vmwp *w, const uint8_t dst[6], uint32_t count, uint32_t size)
{
	struct vmctl_send m = { .hdr = { .type = VMCTL_MSG_SEND, .size = sizeof(m), .seq = ++w->next_seq },
				.count = count, .size = size };
	int rc;

	memcpy(m.dst, dst, 6);
	if ((rc = ctl_send(w, &m, sizeof(m))))
		return rc;
	return (int)m.hdr.seq;
}

int vmwp_send_flood(struct vmwp *w, const uint8_t dst[6], uint32_t count, uint32_t size)
{
	struct vmctl_send m = { .hdr = { .type = VMCTL_MSG_SEND_FLOOD, .size = sizeof(m), .seq = ++w->next_seq },
				.count = count, .size = size };
	int rc;

	memcpy(m.dst, dst, 6);
	if ((rc = ctl_send(w, &m, sizeof(m))))
		return rc;
	return (int)m.hdr.seq;
}

bool vmwp_sent(const struct vmwp *w, int seq, struct vmctl_status *st)
{
	if (seq <= 0 || w->sent_seq != (uint32_t)seq)
		return false;
	if (st)
		*st = w->sent;
	return true;
}

int vmwp_query(struct vmwp *w)
{
	struct vmctl_hdr m = { .type = VMCTL_MSG_QUERY, .size = sizeof(m), .seq = ++w->next_seq };
	int rc = ctl_send(w, &m, sizeof(m));

	return rc ? rc : (int)m.seq;
}

uint32_t vmwp_status(const struct vmwp *w, struct vmctl_status *st)
{
	if (st)
		*st = w->status;
	return w->status_seq;
}

int vmwp_ndiskd_query(struct vmwp *w)
{
	struct vmctl_ndiskd_query m = { .hdr = { .type = VMCTL_MSG_NDISKD_QUERY, .size = sizeof(m), .seq = ++w->next_seq },
					.version = VMCTL_NDISKD_V1 };
	int rc = ctl_send(w, &m, sizeof(m));

	return rc ? rc : (int)m.hdr.seq;
}

bool vmwp_ndiskd(const struct vmwp *w, int seq, struct vmctl_ndiskd *out)
{
	if (seq <= 0 || w->ndiskd_seq != (uint32_t)seq)
		return false;
	if (out)
		*out = w->ndiskd;
	return true;
}

int vmwp_net(struct vmwp *w, const struct vmctl_net *req)
{
	struct vmctl_net m = *req;
	int rc;

	m.hdr = (struct vmctl_hdr){ .type = VMCTL_MSG_NET, .size = sizeof(m), .seq = ++w->next_seq };
	rc = ctl_send(w, &m, sizeof(m));
	return rc ? rc : (int)m.hdr.seq;
}

bool vmwp_net_done(const struct vmwp *w, int seq, struct vmctl_net_done *out)
{
	if (seq <= 0)
		return false;
	for (unsigned i = 0; i < WP_NET_KEPT; i++)
		if (w->net[i].seq == (uint32_t)seq) {
			if (out)
				*out = w->net[i].d;
			return true;
		}
	return false;
}

int vmwp_shutdown(struct vmwp *w)
{
	struct vmctl_hdr m = { .type = VMCTL_MSG_EXIT, .size = sizeof(m), .seq = ++w->next_seq };

	return ctl_send(w, &m, sizeof(m));
}

/* ---- life cycle --------------------------------------------------------------------------------- */
static void on_gone(struct partition *p, int wstatus, void *arg)
{
	struct vmwp *w = arg;
	/* killed: the host's side of a guest crash (surprise removal); exited: the end of a stop */
	TRACE_SCOPE(WIFSIGNALED(wstatus) ? "failover" : "teardown", "VM process gone", "vm=%s status=0x%x", w->name,
		    (unsigned)wstatus);

	(void)p;
	w->state = VMWP_GONE;
	w->wstatus = wstatus;
	if (WIFSIGNALED(wstatus))
		log_warn(WP_LOG, "%s: the VM's process was killed (signal %d)", w->name, WTERMSIG(wstatus));
	else
		log_info(WP_LOG, "%s: the VM's process exited (status %d)", w->name, WEXITSTATUS(wstatus));
	/* A surprise removal for everything it held (architecture 2). */
	for (unsigned i = 0; i < w->nnics; i++) {
		struct vmwp_nic *x = &w->nics[i];

		if (x->vf == VMWP_VF_OFFERED) {
			dma_domain(x, false);
			x->vdev = NULL;
			vf_set_state(x, VMWP_VF_NONE);
		} else if (x->vf != VMWP_VF_NONE) {
			vf_finished(x, "the VM is gone");
		}
	}
	if (w->cfg.gone)
		w->cfg.gone(w->cfg.ctx, w, wstatus);
}

void vmwp_tick(struct vmwp *w)
{
	int64_t now = now_ms();

	for (unsigned i = 0; i < w->nnics; i++) {
		struct vmwp_nic *x = &w->nics[i];

		if (x->vf == VMWP_VF_LEAVING && now > x->deadline) {
			log_warn(WP_LOG, "%s: VF %u: the guest's NetVsc did not switch back in time; ejecting anyway",
				 w->name, x->vf_id);
			eject(x);
		}
	}
	if (w->state == VMWP_RUNNING && now >= w->next_query) {
		w->next_query = now + WP_STATUS_PERIOD_MS;
		(void)vmwp_query(w);
	}
}

static void instance_of(struct vmbus_guid *g, const char *vm, unsigned kind, unsigned index)
{
	uint32_t h = 2166136261u;	/* FNV-1a of the VM's name: stable across runs */

	for (const char *c = vm; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	memset(g, 0, sizeof(*g));
	memcpy(g->b, &h, 4);
	g->b[4] = (uint8_t)kind;
	g->b[5] = (uint8_t)index;
	g->b[15] = 0x1b;
}

int vmwp_create(const struct vmwp_config *cfg, struct vmwp **out)
{
	struct vmwp *w = calloc(1, sizeof(*w));
	struct vstack *vs = vstack_vm_stack(cfg->vm);
	struct partition_config pc = { 0 };
	struct vpci_vsp_config vc = { 0 };
	int rc;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->guest = *cfg->guest;
	snprintf(w->name, sizeof(w->name), "%s", vstack_vm_name(cfg->vm));
	snprintf(w->guest.name, sizeof(w->guest.name), "%.31s", w->name);
	/* The VM's adapters: a NetVSP each (the guest runs NetVsc for the first GUEST_VM_MAX_NICS). */
	w->guest.nnics = 0;
	for (size_t i = 0; i < vstack_vmnic_count(vs); i++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, i);
		struct vmwp_nic *x;

		if (vstack_vmnic_vm(n) != cfg->vm)
			continue;
		if (w->nnics == GUEST_VM_MAX_NICS) {
			log_warn(WP_LOG, "%s: adapter '%s' gets no NetVsc in the guest (one adapter per VM for now)", w->name,
				 vstack_vmnic_name(n));
			continue;
		}
		x = &w->nics[w->nnics];
		x->w = w;
		x->index = w->nnics;
		x->n = n;
		instance_of(&x->instance, w->name, 1, x->index);
		snprintf(w->guest.nics[x->index].name, sizeof(w->guest.nics[0].name), "%.31s", vstack_vmnic_name(n));
		w->guest.nics[x->index].instance = x->instance;
		memcpy(w->guest.nics[x->index].mac, vstack_vmnic_mac(n), 6);
		w->guest.nics[x->index].ip = vstack_vmnic_ipv4(n, &w->guest.nics[x->index].prefix);
		w->nnics++;
		w->guest.nnics++;
	}
	pc.name = w->name;
	pc.mem_size = cfg->mem_size;
	pc.entry = cfg->entry;
	pc.entry_arg = &w->guest;	/* the child reads its copy */
	pc.gone = on_gone;
	pc.gone_arg = w;
	if ((rc = partition_create(cfg->loop, &pc, &w->p))) {
		log_error(WP_LOG, "%s: the VM's process did not start (%s)", w->name, strerror(-rc));
		free(w);
		return rc;
	}
	if ((rc = vmbus_host_create(w->p, &w->vh)))
		goto fail;
	{
		struct vmbus_guid inst;

		instance_of(&inst, w->name, 2, 0);
		if ((rc = vmbus_host_offer(w->vh, &ctl_class, &inst, on_ctl, w, &w->ctl)))
			goto fail;
		instance_of(&inst, w->name, 3, 0);
		if ((rc = vmbus_host_offer(w->vh, &mmio_class, &inst, on_mmio, w, &w->mmio)))
			goto fail;
	}
	for (unsigned i = 0; i < w->nnics; i++) {
		struct vmwp_nic *x = &w->nics[i];
		struct netvsp_config nc = {
			.instance = x->instance, .mem = partition_mem(w->p), .port = &port_ops, .port_ctx = x,
		};
		char name[96];

		snprintf(name, sizeof(name), "%s/%s", w->name, vstack_vmnic_name(x->n));
		nc.name = name;
		memcpy(nc.mac, vstack_vmnic_mac(x->n), 6);
		if ((rc = netvsp_create(w->vh, &nc, &x->nsp)))
			goto fail;
	}
	vc.name = w->name;
	instance_of(&vc.instance, w->name, 4, 0);
	vc.removed = vsp_removed;
	vc.arg = w;
	if ((rc = vpci_vsp_create(w->vh, cfg->loop, &vc, &w->vsp)))
		goto fail;
	log_info(WP_LOG, "%s: VM process %d started (%llu MiB, %u adapter(s))", w->name, (int)partition_pid(w->p),
		 (unsigned long long)(cfg->mem_size >> 20), w->nnics);
	*out = w;
	return 0;
fail:
	log_error(WP_LOG, "%s: the VM's devices could not be offered (%s)", w->name, strerror(-rc));
	vmwp_destroy(w);
	return rc;
}

void vmwp_destroy(struct vmwp *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < w->nnics; i++)
		if (w->nics[i].vf != VMWP_VF_NONE)
			dma_domain(&w->nics[i], false);	/* before the memory goes */
	vpci_vsp_destroy(w->vsp);
	for (unsigned i = 0; i < w->nnics; i++)
		netvsp_destroy(w->nics[i].nsp);
	vmbus_host_destroy(w->vh);
	partition_destroy(w->p);
	free(w);
}

int vmwp_kill(struct vmwp *w)
{
	if (w->state == VMWP_GONE)
		return -ESRCH;
	log_info(WP_LOG, "%s: killing the VM's process %d", w->name, (int)partition_pid(w->p));
	return partition_kill(w->p);
}

enum vmwp_state vmwp_state(const struct vmwp *w) { return w->state; }
struct vstack_vm *vmwp_vm(const struct vmwp *w) { return w->cfg.vm; }
pid_t vmwp_pid(const struct vmwp *w) { return partition_pid(w->p); }
int vmwp_exit_status(const struct vmwp *w) { return w->wstatus; }
void vmwp_get_stats(const struct vmwp *w, struct vmwp_stats *st)
{
	*st = w->stats;
	for (unsigned i = 0; i < w->nnics; i++) {
		struct netvsp_stats ns;

		if (!w->nics[i].nsp)
			continue;
		netvsp_get_stats(w->nics[i].nsp, &ns);
		st->synthetic_tx += ns.tx_frames;
		st->synthetic_rx += ns.rx_frames;
		st->synthetic_rx_dropped += ns.rx_dropped;
		st->synthetic_tx_while_vf += ns.tx_while_vf;
	}
}

/* ---- diagnose (wire/vmctl.h VMCTL_MSG_DIAG) ---------------------------------------------------- */
int vmwp_diag_query(struct vmwp *w)
{
	struct vmctl_diag_query m = { .hdr = { .type = VMCTL_MSG_DIAG_QUERY, .size = sizeof(m), .seq = ++w->next_seq },
				      .version = VMCTL_DIAG_V1 };
	int rc = ctl_send(w, &m, sizeof(m));

	return rc ? rc : (int)m.hdr.seq;
}

bool vmwp_diag(const struct vmwp *w, int seq, char *buf, size_t len)
{
	if (seq <= 0 || w->diag_seq != (uint32_t)seq || len <= w->diag_len)
		return false;
	memcpy(buf, w->diag, w->diag_len + 1);
	return true;
}

/* ---- live capture (wire/vmctl.h VMCTL_MSG_CAPTURE_*) ------------------------------------------ */
int vmwp_capture_start(struct vmwp *w, const char *part, const char *const *filters, size_t nfilters)
{
	static struct vmctl_capture_start m;	/* 1 KiB: not on the host loop's stack */
	int rc;

	memset(&m, 0, sizeof(m));
	if (!part || strlen(part) >= sizeof(m.part) || nfilters > VMCTL_CAPTURE_FILTERS)
		return -EINVAL;
	m.hdr = (struct vmctl_hdr){ .type = VMCTL_MSG_CAPTURE_START, .size = sizeof(m), .seq = ++w->next_seq };
	m.version = VMCTL_CAPTURE_V1;
	m.nfilters = (uint32_t)nfilters;
	memcpy(m.part, part, strlen(part));
	for (size_t i = 0; i < nfilters; i++) {
		if (!filters[i] || strlen(filters[i]) >= sizeof(m.filters[i]))
			return -EINVAL;
		memcpy(m.filters[i], filters[i], strlen(filters[i]));
	}
	rc = ctl_send(w, &m, sizeof(m));
	return rc ? rc : (int)m.hdr.seq;
}

int vmwp_capture_stop(struct vmwp *w)
{
	struct vmctl_hdr m = { .type = VMCTL_MSG_CAPTURE_STOP, .size = sizeof(m), .seq = ++w->next_seq };
	int rc = ctl_send(w, &m, sizeof(m));

	return rc ? rc : (int)m.seq;
}

bool vmwp_capture_acked(const struct vmwp *w, int seq, struct vmctl_capture_ack *out)
{
	if (seq <= 0 || w->capture_seq != (uint32_t)seq)
		return false;
	if (out)
		*out = w->capture_ack;
	return true;
}
