/*
 * The topology picture (topology.h has the contract, docs/topology.md the
 * drawing). The graph is first collected as nodes and edges, each tagged
 * with the diagnose link ids it stands for and the VM it belongs to, so the
 * broken link can be found and painted before anything is written; then it
 * is written as DOT, one cluster per partition (the NIC switch nested in
 * the root partition's).
 */
#include "views/topology.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hv/host.h"
#include "hv/vmwp.h"
#include "hv/vstack.h"
#include "hv/vswitch.h"
#include "ndis/names.h"
#include "ndis/protocol.h"
#include "views/ndiskd.h"
#include "views/view.h"
#include "wire/vmctl.h"

const char *const topo_link_ids[] = {
	"platform", "pci", "pf-driver", "keywords", "nic-switch", "vswitch-iov", "iov-weight", "vf-pool",
	"vf-allocation", "vport-filters", "vpci-offer", "guest-driver", "vbd-interface", "vf-miniport",
	"netvsc-binding", "datapath-switch", "traffic", NULL,
};

bool topo_link_known(const char *id)
{
	for (size_t i = 0; id && topo_link_ids[i]; i++)
		if (!strcmp(id, topo_link_ids[i]))
			return true;
	return false;
}

#define TOPO_ROOT 0
#define TOPO_NICSW(i) (1000 + (int)(i))	/* nested in the root partition */
#define TOPO_VM(i) (1 + (int)(i))

struct tnode {
	char id[64];
	int cluster;
	char label[512];
	char shape[16];
	char links[64];		/* " id id " */
	char vm[32];		/* "" : the host's */
	bool red;
};

struct tedge {
	char from[64], to[64];
	char label[256];
	bool dashed, bold;
	char links[64];
	char vm[32];
	bool red;
};

struct topo {
	struct tnode *nodes;
	size_t nnodes, ncap;
	struct tedge *edges;
	size_t nedges, ecap;
	bool oom;
};

__attribute__((format(printf, 6, 7))) static struct tnode *node(struct topo *t, int cluster, const char *links,
								  const char *vm, const char *id, const char *fmt, ...)
{
	struct tnode *n;
	va_list ap;

	if (t->nnodes == t->ncap) {
		size_t c = t->ncap ? t->ncap * 2 : 32;
		struct tnode *nn = realloc(t->nodes, c * sizeof(*nn));

		if (!nn) {
			t->oom = true;
			return NULL;
		}
		t->nodes = nn;
		t->ncap = c;
	}
	n = &t->nodes[t->nnodes++];
	memset(n, 0, sizeof(*n));
	n->cluster = cluster;
	snprintf(n->id, sizeof(n->id), "%s", id);
	snprintf(n->links, sizeof(n->links), " %s ", links ? links : "");
	snprintf(n->vm, sizeof(n->vm), "%s", vm ? vm : "");
	snprintf(n->shape, sizeof(n->shape), "box");
	va_start(ap, fmt);
	vsnprintf(n->label, sizeof(n->label), fmt, ap);
	va_end(ap);
	return n;
}

__attribute__((format(printf, 6, 7))) static struct tedge *edge(struct topo *t, const char *from, const char *to,
								  const char *links, const char *vm, const char *fmt, ...)
{
	struct tedge *e;
	va_list ap;

	if (t->nedges == t->ecap) {
		size_t c = t->ecap ? t->ecap * 2 : 32;
		struct tedge *ne = realloc(t->edges, c * sizeof(*ne));

		if (!ne) {
			t->oom = true;
			return NULL;
		}
		t->edges = ne;
		t->ecap = c;
	}
	e = &t->edges[t->nedges++];
	memset(e, 0, sizeof(*e));
	snprintf(e->from, sizeof(e->from), "%s", from);
	snprintf(e->to, sizeof(e->to), "%s", to);
	snprintf(e->links, sizeof(e->links), " %s ", links ? links : "");
	snprintf(e->vm, sizeof(e->vm), "%s", vm ? vm : "");
	va_start(ap, fmt);
	vsnprintf(e->label, sizeof(e->label), fmt, ap);
	va_end(ap);
	return e;
}

static void set_shape(struct tnode *n, const char *shape)
{
	if (n)
		snprintf(n->shape, sizeof(n->shape), "%s", shape);
}

static void set_dashed(struct tedge *e, bool dashed)
{
	if (e)
		e->dashed = dashed;
}

static void set_bold(struct tedge *e)
{
	if (e)
		e->bold = true;
}

/* A DOT id from parts: letters, digits and '_' only. */
static const char *nid(char *buf, size_t len, const char *kind, const char *a, const char *b)
{
	size_t at = 0;
	const char *parts[3] = { kind, a, b };

	for (int p = 0; p < 3 && parts[p]; p++) {
		if (p && at + 1 < len)
			buf[at++] = '_';
		for (const char *s = parts[p]; *s && at + 1 < len; s++)
			buf[at++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
						   ? *s : '_');
	}
	buf[at] = 0;
	return buf;
}

/* ---- the host -------------------------------------------------------------------------- */
static void nic_nodes(struct topo *t, struct hv_host *h, size_t i)
{
	struct hv_nic *n = hv_host_nic_at(h, i);
	struct ndis_adapter *ad = hv_nic_adapter(n);
	const struct lab_nic *l = hv_nic_lab(n);
	uint16_t rid = pcie_fn_rid(hv_nic_function(n));
	char pci[64], vbd[64], pf[64], kw[64], sw[64], v[64], vp[64], a[16], b[16], c[16];
	NDIS_NIC_SWITCH_VF_INFO *vfs = NULL;
	NDIS_NIC_SWITCH_VPORT_INFO *vps = NULL;
	NDIS_NIC_SWITCH_INFO si;
	size_t nvfs = 0, nvps = 0;
	const char *below;

	nid(pci, sizeof(pci), "pci", hv_nic_name(n), NULL);
	nid(pf, sizeof(pf), "pf", hv_nic_name(n), NULL);
	nid(kw, sizeof(kw), "kw", hv_nic_name(n), NULL);
	nid(sw, sizeof(sw), "nicsw", hv_nic_name(n), NULL);
	node(t, TOPO_ROOT, "pci", NULL, pci, "PCI PDO %04x:%02x:%02x.%x\\n%s\\nSriovSupport %s", 0,
	     PCIE_RID_BUS(rid), PCIE_RID_DEV(rid), PCIE_RID_FN(rid), hv_nic_hardware_id(n),
	     view_sriov_support_name(hv_nic_sriov_support(h, n)));
	below = pci;
	if (l->vbd) {
		nid(vbd, sizeof(vbd), "vbd", hv_nic_name(n), NULL);
		node(t, TOPO_ROOT, NULL, NULL, vbd, "VBD FDO / child PDO\\n(%s)", l->vbd);
		edge(t, pci, vbd, NULL, NULL, "device stack");
		below = vbd;
	}
	node(t, TOPO_ROOT, "pf-driver", NULL, pf, "PF miniport '%s'\\ndriver %s\\n%s", hv_nic_name(n),
	     ad ? ndis_adapter_driver_name(ad) : (l->driver ? l->driver : "none"), hv_nic_state_name(hv_nic_state(n)));
	edge(t, below, pf, NULL, NULL, "device stack");
	snprintf(a, sizeof(a), "-");
	snprintf(b, sizeof(b), "-");
	snprintf(c, sizeof(c), "-");
	if (ad) {
		(void)ndis_adapter_get_keyword(ad, "*SRIOV", a, sizeof(a));
		(void)ndis_adapter_get_keyword(ad, "*SriovPreferred", b, sizeof(b));
		(void)ndis_adapter_get_keyword(ad, hv_keyword_registry_name("*NumVFs"), c, sizeof(c));
	}
	set_shape(node(t, TOPO_ROOT, "keywords", NULL, kw, "Advanced properties\\n*SRIOV %s  *SriovPreferred %s\\n"
		       "*NumVFs %s", a, b, c), "note");
	edge(t, kw, pf, "keywords", NULL, "registry");
	if (!ad || ndisq_switch(ad, &si)) {
		node(t, TOPO_NICSW(i), "nic-switch vf-pool", NULL, sw, "NIC switch of %s\\nnone created", hv_nic_name(n));
		edge(t, pf, sw, NULL, NULL, "no NIC switch");
		return;
	}
	node(t, TOPO_NICSW(i), "nic-switch vf-pool", NULL, sw, "NIC switch %u of %s\\n%u VFs, %u vPorts",
	     (unsigned)si.SwitchId, hv_nic_name(n), (unsigned)si.NumVFs, (unsigned)si.NumVPorts);
	edge(t, pf, sw, NULL, NULL, "OID_NIC_SWITCH_CREATE_SWITCH");
	if (!ndisq_vports(ad, &vps, &nvps))
		for (size_t k = 0; k < nvps; k++) {
			char id[16];

			snprintf(id, sizeof(id), "%u", (unsigned)vps[k].VPortId);
			nid(vp, sizeof(vp), "vport", hv_nic_name(n), id);
			node(t, TOPO_NICSW(i), "vport-filters", NULL, vp, "vPort %u\\n%s, %u queue pair(s), %u filter(s)",
			     (unsigned)vps[k].VPortId, vps[k].AttachedFunctionId == NDIS_PF_FUNCTION_ID ? "PF" : "VF",
			     (unsigned)vps[k].NumQueuePairs, (unsigned)vps[k].NumFilters);
			edge(t, sw, vp, NULL, NULL, " ");
			if (vps[k].AttachedFunctionId != NDIS_PF_FUNCTION_ID) {
				snprintf(id, sizeof(id), "%u", (unsigned)vps[k].AttachedFunctionId);
				edge(t, vp, nid(v, sizeof(v), "vf", hv_nic_name(n), id), NULL, NULL, "attached");
			}
		}
	if (!ndisq_vfs(ad, &vfs, &nvfs))
		for (size_t k = 0; k < nvfs; k++) {
			char id[16], vmn[64];

			snprintf(id, sizeof(id), "%u", (unsigned)vfs[k].VFId);
			ndisq_string((const NDIS_IF_COUNTED_STRING *)&vfs[k].VMFriendlyName, vmn, sizeof(vmn));
			node(t, TOPO_NICSW(i), "vf-allocation", vmn, nid(v, sizeof(v), "vf", hv_nic_name(n), id),
			     "VF %u\\nRID 0x%x\\nVM %s", (unsigned)vfs[k].VFId, (unsigned)vfs[k].RequestorId,
			     vmn[0] ? vmn : "-");
			edge(t, sw, v, "traffic", vmn, "queue pairs");
		}
	free(vfs);
	free(vps);
}

static void switch_nodes(struct topo *t, struct hv_host *h, size_t i)
{
	struct vswitch *sw = hv_host_switch_at(h, i);
	struct hv_nic *n = hv_host_switch_nic(h, sw);
	char id[64], pid[64], pf[64], vmsp[64];

	nid(id, sizeof(id), "vsw", vswitch_name(sw), NULL);
	node(t, TOPO_ROOT, "vswitch-iov", NULL, id, "vSwitch '%s'\\n%s, IovEnabled %s", vswitch_name(sw),
	     vswitch_type_name(vswitch_type(sw)), vswitch_iov_enabled(sw) ? "True" : "False");
	if (n && hv_nic_adapter(n)) {
		struct ndis_adapter *ad = hv_nic_adapter(n);
		bool bound = false;
		char d[128] = "not bound";

		for (size_t k = 0; k < ndis_adapter_binding_count(ad); k++) {
			struct ndis_binding_info b;

			if (ndis_adapter_binding_at(ad, k, &b) || strcasecmp(b.protocol, "VMSP"))
				continue;
			ndis_binding_describe(&b, d, sizeof(d));
			bound = b.state == NDIS_BINDING_BOUND;
		}
		nid(pf, sizeof(pf), "pf", hv_nic_name(n), NULL);
		nid(vmsp, sizeof(vmsp), "vmsp", vswitch_name(sw), NULL);
		set_shape(node(t, TOPO_ROOT, NULL, NULL, vmsp, "VMSP\\n(the switch's protocol edge)"), "ellipse");
		edge(t, id, vmsp, NULL, NULL, "external");
		set_dashed(edge(t, vmsp, pf, NULL, NULL, "binding: %s", d), !bound);
	}
	for (size_t k = 0; k < vswitch_port_count(sw); k++) {
		struct vswitch_port *p = vswitch_port_at(sw, k);
		nid(pid, sizeof(pid), "port", vswitch_name(sw), vswitch_port_name(p));
		node(t, TOPO_ROOT, NULL, NULL, pid, "port %s\\nfilter on vPort %u (%s)", vswitch_port_name(p),
		     (unsigned)vswitch_port_filter_vport(p), vswitch_port_state_name(vswitch_port_state(p)));
		edge(t, id, pid, NULL, NULL, " ");
	}
}

/* ---- a VM ---------------------------------------------------------------------------------- */
static const struct lab_vm *lab_vm_of(struct hv_host *h, const char *name)
{
	const struct lab *l = hv_host_lab(h);

	for (size_t i = 0; i < l->nvms; i++)
		if (!strcasecmp(l->vms[i].name, name))
			return &l->vms[i];
	return NULL;
}

static void vm_nodes(struct topo *t, struct hv_host *h, size_t i)
{
	static struct vmctl_ndiskd g;	/* 1.7 KiB, one VM at a time */
	struct vstack *vs = hv_host_vstack(h);
	struct vstack_vm *vm = vstack_vm_at(vs, i);
	const char *name = vstack_vm_name(vm);
	const struct lab_vm *lv = lab_vm_of(h, name);
	struct vmwp *w = hv_host_vm_guest(h, vm);
	const struct vmctl_ndiskd_adapter *nv = NULL, *vf = NULL;
	char err[256], netvsc[64], vfpp[64], vfmp[64], pdo[64], bus[64], vbd[64], vsp[64], netvsp[64];
	bool have_guest = false, offered = false;
	int cl = TOPO_VM(i);

	nid(netvsc, sizeof(netvsc), "netvsc", name, NULL);
	nid(vfpp, sizeof(vfpp), "netvscvfpp", name, NULL);
	nid(vfmp, sizeof(vfmp), "vfmp", name, NULL);
	nid(pdo, sizeof(pdo), "vpcipdo", name, NULL);
	nid(bus, sizeof(bus), "vpcibus", name, NULL);
	nid(vbd, sizeof(vbd), "vbdfdo", name, NULL);
	nid(vsp, sizeof(vsp), "vpcivsp", name, NULL);
	if (w && vmwp_state(w) == VMWP_RUNNING && ndiskd_guest_query(h, name, &g, err, sizeof(err)) == 0) {
		have_guest = true;
		for (uint32_t k = 0; k < g.nadapters && k < VMCTL_NDISKD_ADAPTERS; k++) {
			if ((g.adapters[k].flags & VMCTL_NDISKD_SYNTHETIC) && !nv)
				nv = &g.adapters[k];
			if ((g.adapters[k].flags & VMCTL_NDISKD_VF) && !vf)
				vf = &g.adapters[k];
		}
	}
	if (!have_guest) {
		node(t, cl, "guest-driver", name, nid(netvsc, sizeof(netvsc), "guest", name, NULL), "%s's guest\\n%s",
		     name, w ? vmwp_state_name(vmwp_state(w)) : vstack_vm_state_name(vstack_vm_state(vm)));
		nid(netvsc, sizeof(netvsc), "netvsc", name, NULL);
	}
	/* the guest's NDIS: NetVsc's miniport and its VF protocol edge */
	if (nv) {
		node(t, cl, NULL, name, netvsc, "NetVsc miniport '%s'\\n%s", nv->name,
		     ndis_adapter_state_name((enum ndis_adapter_state)(nv->state < VMCTL_NDISKD_ADAPTER_STATES ? nv->state : 0)));
		set_shape(node(t, cl, NULL, name, vfpp, "NETVSCVFPP\\n(NetVsc's VF protocol edge)"), "ellipse");
	}
	/* the vPCI bus and the VF's device stack */
	if (have_guest) {
		node(t, cl, NULL, name, bus, "vPCI bus (VSC)");
	}
	for (size_t k = 0; k < vstack_vmnic_count(vs); k++) {
		struct vstack_vmnic *n = vstack_vmnic_at(vs, k);
		struct vswitch *sw = vstack_vmnic_switch(n);
		struct vswitch_port *p = vstack_vmnic_port(n);
		struct hv_nic *nic = sw ? hv_host_switch_nic(h, sw) : NULL;
		char port[64], vfid[16], vfn[64];

		if (vstack_vmnic_vm(n) != vm)
			continue;
		nid(netvsp, sizeof(netvsp), "netvsp", name, vstack_vmnic_name(n));
		node(t, TOPO_ROOT, "iov-weight", name, netvsp, "NetVSP of '%s'\\nIovWeight %u, IovUsage %d",
		     vstack_vmnic_name(n), vstack_vmnic_iov_weight(n), vstack_vmnic_iov_usage(n));
		if (sw && p) {
			nid(port, sizeof(port), "port", vswitch_name(sw), vswitch_port_name(p));
			edge(t, port, netvsp, NULL, name, " ");
		}
		if (nv)
			set_bold(edge(t, netvsp, netvsc, NULL, name, "VMBus channel (NVSP)"));
		if (have_guest) {
			node(t, TOPO_ROOT, NULL, name, vsp, "vPCI VSP of %s", name);
			set_bold(edge(t, vsp, bus, NULL, name, "VMBus channel (vPCI)"));
		}
		/* datapath-switch: where NetVsc sends */
		if (nv && !vf)
			edge(t, netvsc, vfpp, NULL, name, "no VF adapter");
		if (nv && vf)
			set_dashed(edge(t, netvsc, vfpp, "datapath-switch", name, "VFDataPathActive %s",
					vstack_vmnic_datapath_active(n) ? "True" : "False"),
				   !vstack_vmnic_datapath_active(n));
		if (!nic || !vstack_vmnic_has_vf(n))
			continue;
		snprintf(vfid, sizeof(vfid), "%u", vstack_vmnic_vf_id(n));
		nid(vfn, sizeof(vfn), "vf", hv_nic_name(nic), vfid);
		if (w && vmwp_vf_state(w, n) != VMWP_VF_NONE) {
			offered = true;
			edge(t, vfn, pdo, "vpci-offer", name, "vPCI offer (%s), serial %u",
			     vmwp_vf_state_name(vmwp_vf_state(w, n)), vstack_vmnic_serial(n));
		}
	}
	if (!have_guest)
		return;
	if (offered || vf) {
		node(t, cl, "guest-driver", name, pdo, "vPCI PDO\\n(the VF's PCI function)");
		edge(t, bus, pdo, NULL, name, "device stack");
	}
	if (vf) {
		bool over_vbd = lv && lv->vbd;

		node(t, cl, "vf-miniport", name, vfmp, "VF miniport '%s'\\ndriver %s\\n%s%s", vf->name, vf->driver,
		     ndis_adapter_state_name((enum ndis_adapter_state)(vf->state < VMCTL_NDISKD_ADAPTER_STATES ? vf->state : 0)),
		     (vf->flags & VMCTL_NDISKD_VPCI) ? "\\nvPCI interface captured" : "\\nno vPCI interface");
		if (over_vbd) {
			node(t, cl, NULL, name, vbd, "VBD FDO / child PDO\\n(%s)%s", lv->vbd,
			     lv->vbd_forward_vpci ? "" : "\\nForwardVpciInterface 0");
			edge(t, pdo, vbd, NULL, name, "device stack");
			edge(t, vbd, vfmp, "vbd-interface", name, "%s",
			     (vf->flags & VMCTL_NDISKD_VPCI) ? "GUID_VPCI_INTERFACE_STANDARD forwarded" :
							      "GUID_VPCI_INTERFACE_STANDARD not forwarded");
		} else {
			edge(t, pdo, vfmp, "vbd-interface", name, "device stack");
		}
		/* NETVSCVFPP's binding to the VF miniport */
		for (uint32_t b = 0; b < vf->nbindings && b < VMCTL_NDISKD_BINDINGS; b++) {
			struct ndis_binding_info bi = { .protocol = vf->bindings[b].protocol, .adapter = vf->name,
							.state = (enum ndis_binding_state)vf->bindings[b].state,
							.status = vf->bindings[b].status };
			char d[128];

			if (vf->bindings[b].state >= VMCTL_NDISKD_BINDING_STATES)
				continue;
			ndis_binding_describe(&bi, d, sizeof(d));
			if (!strcasecmp(bi.protocol, "NETVSCVFPP"))
				set_dashed(edge(t, vfpp, vfmp, "netvsc-binding", name, "binding: %s%s", d,
						vf->vf_serial ? "" : "\\n(no serial number)"),
					   bi.state != NDIS_BINDING_BOUND);
		}
	}
}

/* ---- the broken link and the output ----------------------------------------------------- */
static bool tagged(const char *links, const char *vm, const char *link, const char *want_vm)
{
	char tok[32];

	snprintf(tok, sizeof(tok), " %s ", link);
	return strstr(links, tok) && (!want_vm || !*vm || !strcasecmp(vm, want_vm));
}

static bool has_node(const struct topo *t, const char *id)
{
	for (size_t i = 0; i < t->nnodes; i++)
		if (!strcmp(t->nodes[i].id, id))
			return true;
	return false;
}

static void mark_broken(struct topo *t, const char *link, const char *vm, const char *label)
{
	char ghost[64];

	/* a VM's own element first, then a host element that serves every VM */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->nedges; i++)
			if (tagged(t->edges[i].links, t->edges[i].vm, link, vm) && (pass || !vm || *t->edges[i].vm) &&
			    has_node(t, t->edges[i].from) && has_node(t, t->edges[i].to)) {
				t->edges[i].red = true;
				snprintf(t->edges[i].label, sizeof(t->edges[i].label), "BROKEN %s: %s", link, label);
				return;
			}
		for (size_t i = 0; i < t->nnodes; i++)
			if (tagged(t->nodes[i].links, t->nodes[i].vm, link, vm) && (pass || !vm || *t->nodes[i].vm)) {
				size_t len = strlen(t->nodes[i].label);

				t->nodes[i].red = true;
				snprintf(t->nodes[i].label + len, sizeof(t->nodes[i].label) - len, "\\nBROKEN %s: %s", link,
					 label);
				return;
			}
	}
	/* The state has no element for it (never reached): a red note says so. */
	nid(ghost, sizeof(ghost), "broken", link, vm);
	{
		struct tnode *n = node(t, TOPO_ROOT, link, vm, ghost, "BROKEN %s%s%s: %s", link, vm ? " " : "",
				       vm ? vm : "", label);

		if (n)
			n->red = true;
		set_shape(n, "note");
	}
}

/* A DOT string body: quotes and backslashes escaped, except the "\n" line breaks the labels carry. */
static void dot_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' && s[1] == 'n') {
			fputs("\\n", f);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s, f);
		} else if ((unsigned char)*s >= 0x20) {
			fputc(*s, f);
		}
	}
}

static void write_node(FILE *f, const struct tnode *n, const char *indent)
{
	fprintf(f, "%s%s [shape=%s, label=\"", indent, n->id, n->shape[0] ? n->shape : "box");
	dot_str(f, n->label);
	fprintf(f, "\"%s];\n", n->red ? ", color=red, fontcolor=red, penwidth=3" : "");
}

int topo_write_dot(struct hv_host *h, const char *broken_link, const char *broken_vm, const char *label, FILE *f)
{
	struct topo t = { 0 };
	struct vstack *vs = hv_host_vstack(h);
	char host[64];
	int rc = 0;

	if (broken_link && !topo_link_known(broken_link))
		return -EINVAL;
	if (broken_vm && !vstack_vm_find(vs, broken_vm))
		return -ENOENT;
	nid(host, sizeof(host), "host", NULL, NULL);
	node(&t, TOPO_ROOT, "platform", NULL, host, "Hyper-V host %s\\nIovSupport %s", hv_host_computer_name(h),
	     hv_host_iov_support(h) ? "True" : "False");
	for (size_t i = 0; i < hv_host_nic_count(h); i++)
		nic_nodes(&t, h, i);
	for (size_t i = 0; i < hv_host_switch_count(h); i++)
		switch_nodes(&t, h, i);
	for (size_t i = 0; i < vstack_vm_count(vs); i++)
		vm_nodes(&t, h, i);
	if (t.oom) {
		rc = -ENOMEM;
		goto out;
	}
	if (broken_link)
		mark_broken(&t, broken_link, broken_vm, label && *label ? label : broken_link);

	fprintf(f, "digraph iovlab {\n  rankdir=TB;\n  compound=true;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
		   "  edge [fontname=\"Helvetica\", fontsize=9];\n  label=\"");
	dot_str(f, hv_host_lab(h)->info.name ? hv_host_lab(h)->info.name : "lab");
	fprintf(f, "\";\n");
	fprintf(f, "  subgraph cluster_root {\n    label=\"Root partition (%s)\";\n    style=rounded;\n",
		hv_host_computer_name(h));
	for (size_t i = 0; i < t.nnodes; i++)
		if (t.nodes[i].cluster == TOPO_ROOT)
			write_node(f, &t.nodes[i], "    ");
	for (size_t k = 0; k < hv_host_nic_count(h); k++) {
		fprintf(f, "    subgraph cluster_nicsw_%zu {\n      label=\"NIC switch (%s)\";\n      style=dashed;\n", k,
			hv_nic_name(hv_host_nic_at(h, k)));
		for (size_t i = 0; i < t.nnodes; i++)
			if (t.nodes[i].cluster == TOPO_NICSW(k))
				write_node(f, &t.nodes[i], "      ");
		fprintf(f, "    }\n");
	}
	fprintf(f, "  }\n");
	for (size_t k = 0; k < vstack_vm_count(vs); k++) {
		char cid[64];

		fprintf(f, "  subgraph %s {\n    label=\"VM ", nid(cid, sizeof(cid), "cluster_vm", vstack_vm_name(vstack_vm_at(vs, k)), NULL));
		dot_str(f, vstack_vm_name(vstack_vm_at(vs, k)));
		fprintf(f, " (child partition)\";\n    style=rounded;\n");
		for (size_t i = 0; i < t.nnodes; i++)
			if (t.nodes[i].cluster == TOPO_VM(k))
				write_node(f, &t.nodes[i], "    ");
		fprintf(f, "  }\n");
	}
	for (size_t i = 0; i < t.nedges; i++) {
		const struct tedge *e = &t.edges[i];

		/* an edge to a node the state does not have (a VF not offered yet) is left out */
		if (!has_node(&t, e->from) || !has_node(&t, e->to))
			continue;
		fprintf(f, "  %s -> %s [label=\"", e->from, e->to);
		dot_str(f, e->label);
		fprintf(f, "\"%s%s%s];\n", e->dashed ? ", style=dashed" : "", e->bold && !e->red ? ", penwidth=2" : "",
			e->red ? ", color=red, fontcolor=red, penwidth=3" : "");
	}
	fprintf(f, "}\n");
	if (fflush(f) || ferror(f))
		rc = -EIO;
out:
	free(t.nodes);
	free(t.edges);
	return rc;
}
