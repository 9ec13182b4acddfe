/*
 * pci.sys's PDO for a PF (pci_pdo.h): the device object a virtual bus
 * driver in the root partition sits on, and GUID_PCI_VIRTUALIZATION_
 * INTERFACE over the PCI bus driver's access to the PF (pcibus.c), with the
 * status rules of the WDK's EnableVirtualization page on top of what the
 * SR-IOV capability itself refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/pci_pdo.h"
#include "pcie/pci_regs.h"

#define TOPIC "lab.hv.pci.pdo"
#define PDO_MAGIC 0x4f445050u	/* 'PPDO' */
#define PDO_TAG 0x20494350u	/* 'PCI ' */

struct pci_pdo {
	uint32_t magic;
	struct pci_bus *bus;
	struct pci_pdo *next;
	PDEVICE_OBJECT self;
	struct pcibus_pf *pf;
	struct pnp_devnode *dn;
	struct pci_pdo_stats st;
	char name[32];
};

struct pci_bus {
	struct pnp_manager *pm;
	PDRIVER_OBJECT drv;
	struct pci_pdo *pdos;
};

static struct pci_pdo *pdo_of(PDEVICE_OBJECT d)
{
	struct pci_pdo *p = d ? d->DeviceExtension : NULL;

	return p && p->magic == PDO_MAGIC ? p : NULL;
}

static NTSTATUS complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
	irp->IoStatus.Status = st;
	irp->IoStatus.Information = info;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

static uint32_t cfg(const struct pci_pdo *p, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	if (pcibus_ndis_ops.config_read(p->pf, off, &v, len) != (int)len)
		return 0;
	return v;
}

/* ---- GUID_PCI_VIRTUALIZATION_INTERFACE ------------------------------------------------- */
static struct pci_pdo *ctx_of(PVOID Context)
{
	struct pci_pdo *p = Context;

	return p && p->magic == PDO_MAGIC ? p : NULL;
}

static VOID iface_reference(PVOID Context)
{
	struct pci_pdo *p = ctx_of(Context);

	if (p)
		p->st.refs++;
}

static VOID iface_dereference(PVOID Context)
{
	struct pci_pdo *p = ctx_of(Context);

	if (p && p->st.refs)
		p->st.refs--;
}

static ULONG set_vf_data(PVOID Context, USHORT VirtualFunction, PVOID Buffer, ULONG Offset, ULONG Length)
{
	struct pci_pdo *p = ctx_of(Context);
	int rc;

	if (!p || !Buffer || !Length)
		return 0;
	p->st.set_data++;
	rc = pcibus_ndis_ops.vf_config_write(p->pf, VirtualFunction, Offset, Buffer, Length);
	return rc < 0 ? 0 : (ULONG)rc;
}

static ULONG get_vf_data(PVOID Context, USHORT VirtualFunction, PVOID Buffer, ULONG Offset, ULONG Length)
{
	struct pci_pdo *p = ctx_of(Context);
	int rc;

	if (!p || !Buffer || !Length)
		return 0;
	p->st.get_data++;
	rc = pcibus_ndis_ops.vf_config_read(p->pf, VirtualFunction, Offset, Buffer, Length);
	return rc < 0 ? 0 : (ULONG)rc;
}

static NTSTATUS get_location(PVOID Context, USHORT VirtualFunction, PUSHORT SegmentNumber, PUCHAR BusNumber,
			     PUCHAR FunctionNumber)
{
	struct pci_pdo *p = ctx_of(Context);
	uint16_t seg = 0;
	uint8_t bus = 0, fn = 0;

	if (!p || !SegmentNumber || !BusNumber || !FunctionNumber)
		return STATUS_INVALID_PARAMETER;
	p->st.get_location++;
	if (pcibus_ndis_ops.vf_location(p->pf, VirtualFunction, &seg, &bus, &fn) < 0)
		return STATUS_INVALID_PARAMETER;	/* not an enabled VF */
	*SegmentNumber = seg;
	*BusNumber = bus;
	*FunctionNumber = fn;
	return STATUS_SUCCESS;
}

/* How many bus numbers the VFs' routing IDs span (TotalVFs, First VF Offset, VF Stride). */
static VOID get_resources(PVOID Context, PUCHAR CapturedBusNumbers)
{
	struct pci_pdo *p = ctx_of(Context);
	unsigned cap, total, rid, last;

	if (!p || !CapturedBusNumbers)
		return;
	p->st.get_resources++;
	*CapturedBusNumbers = 0;
	cap = pcibus_pf_sriov_offset(p->pf);
	if (!cap || !(total = cfg(p, cap + PCI_SRIOV_TOTAL_VF, 2)))
		return;
	rid = pcie_fn_rid(pcibus_pf_function(p->pf));
	last = rid + cfg(p, cap + PCI_SRIOV_VF_OFFSET, 2) + (total - 1) * cfg(p, cap + PCI_SRIOV_VF_STRIDE, 2);
	*CapturedBusNumbers = (UCHAR)(((last >> 8) - (rid >> 8)) + 1);
}

static NTSTATUS enable_virtualization(PVOID Context, USHORT NumVFs, BOOLEAN EnableVfMigration,
				      BOOLEAN EnableMigrationInterrupt, BOOLEAN EnableVirtualization)
{
	struct pci_pdo *p = ctx_of(Context);
	unsigned cap;
	bool enabled;
	int rc;

	if (!p)
		return STATUS_INVALID_PARAMETER;
	p->st.enable++;
	cap = pcibus_pf_sriov_offset(p->pf);
	if (!cap)
		return STATUS_NOT_SUPPORTED;
	if (EnableVfMigration || EnableMigrationInterrupt)
		return STATUS_INVALID_PARAMETER;	/* srnic has no VF Migration capability */
	enabled = (cfg(p, cap + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE) != 0;
	if (enabled == (EnableVirtualization != 0)) {
		log_warn(TOPIC, "%s: EnableVirtualization(%u, %s): already %s", p->name, NumVFs,
			 EnableVirtualization ? "TRUE" : "FALSE", enabled ? "enabled" : "disabled");
		return STATUS_INVALID_DEVICE_STATE;
	}
	if (EnableVirtualization && (NumVFs == 0 || NumVFs > cfg(p, cap + PCI_SRIOV_TOTAL_VF, 2)))
		return STATUS_INVALID_PARAMETER;
	rc = pcibus_ndis_ops.enable_virtualization(p->pf, EnableVirtualization ? NumVFs : 0, EnableVirtualization != 0);
	switch (rc) {
	case 0:
		return STATUS_SUCCESS;
	case -EINVAL:
		return STATUS_INVALID_PARAMETER;
	case -ENOTSUP:
		return STATUS_NOT_SUPPORTED;
	default:
		return STATUS_UNSUCCESSFUL;
	}
}

static NTSTATUS probed_bars(PVOID Context, PULONG BaseRegisterValues)
{
	struct pci_pdo *p = ctx_of(Context);
	uint32_t v[PCI_TYPE0_ADDRESSES];

	if (!p || !BaseRegisterValues)
		return STATUS_INVALID_PARAMETER;
	p->st.probed_bars++;
	if (pcibus_ndis_ops.query_probed_bars(p->pf, v) < 0)
		return STATUS_NOT_SUPPORTED;
	for (unsigned i = 0; i < PCI_TYPE0_ADDRESSES; i++)
		BaseRegisterValues[i] = v[i];
	return STATUS_SUCCESS;
}

static NTSTATUS query_interface(struct pci_pdo *p, PIRP irp, PIO_STACK_LOCATION sl)
{
	const GUID *type = sl->Parameters.QueryInterface.InterfaceType;
	PPCI_VIRTUALIZATION_INTERFACE i;

	if (!type || !IsEqualGUID(type, &GUID_PCI_VIRTUALIZATION_INTERFACE))
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
	i = (PPCI_VIRTUALIZATION_INTERFACE)sl->Parameters.QueryInterface.Interface;
	if (!i || sl->Parameters.QueryInterface.Size < sizeof(*i) || sl->Parameters.QueryInterface.Version < 1)
		return complete(irp, STATUS_INVALID_PARAMETER, 0);
	if (!pcibus_pf_sriov_offset(p->pf))
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);	/* not an SR-IOV PF */
	memset(i, 0, sizeof(*i));
	i->Size = sizeof(*i);
	i->Version = 1;
	i->Context = p;
	i->InterfaceReference = iface_reference;
	i->InterfaceDereference = iface_dereference;
	i->SetVirtualFunctionData = set_vf_data;
	i->GetVirtualFunctionData = get_vf_data;
	i->GetLocation = get_location;
	i->GetResources = get_resources;
	i->EnableVirtualization = enable_virtualization;
	i->GetVirtualFunctionProbedBars = probed_bars;
	iface_reference(p);
	p->st.interface_queries++;
	log_info(TOPIC, "%s: GUID_PCI_VIRTUALIZATION_INTERFACE handed out (%u reference(s))", p->name, p->st.refs);
	return complete(irp, STATUS_SUCCESS, 0);
}

/* ---- PnP ---------------------------------------------------------------------------------- */
static PWCHAR multi_sz(char ids[][96], size_t n)
{
	size_t len = 1, k = 0;
	PWCHAR w;

	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	w = ExAllocatePoolWithTag(PagedPool, len * sizeof(WCHAR), PDO_TAG);
	if (!w)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		for (const char *c = ids[i]; *c; c++)
			w[k++] = (WCHAR)(unsigned char)*c;
		w[k++] = 0;
	}
	w[k] = 0;
	return w;
}

static NTSTATUS query_id(struct pci_pdo *p, PIRP irp, BUS_QUERY_ID_TYPE t)
{
	unsigned ven = cfg(p, PCI_VENDOR_ID, 2), dev = cfg(p, PCI_DEVICE_ID, 2), rev = cfg(p, PCI_REVISION_ID, 1);
	uint32_t subsys = cfg(p, PCI_SUBSYSTEM_ID, 2) << 16 | cfg(p, PCI_SUBSYSTEM_VENDOR_ID, 2);
	uint32_t cls = cfg(p, PCI_REVISION_ID, 4) >> 8;
	char ids[4][96];
	size_t n = 0;
	PWCHAR w;

	switch (t) {
	case BusQueryDeviceID:
	case BusQueryHardwareIDs:
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X&SUBSYS_%08X&REV_%02X", ven, dev, subsys, rev);
		if (t == BusQueryDeviceID)
			break;
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X&SUBSYS_%08X", ven, dev, subsys);
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X&REV_%02X", ven, dev, rev);
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X", ven, dev);
		break;
	case BusQueryCompatibleIDs:
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\CC_%06X", cls);
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\CC_%04X", cls >> 8);
		break;
	case BusQueryInstanceID:
		snprintf(ids[n++], sizeof(ids[0]), "%04X", pcie_fn_rid(pcibus_pf_function(p->pf)));
		break;
	default:
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
	}
	w = multi_sz(ids, n);
	if (!w)
		return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
	return complete(irp, STATUS_SUCCESS, (ULONG_PTR)w);
}

static NTSTATUS dispatch_pnp(PDEVICE_OBJECT d, PIRP irp)
{
	struct pci_pdo *p = pdo_of(d);
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	PDEVICE_RELATIONS rel;
	int rc;

	if (!p)
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
	switch (sl->MinorFunction) {
	case IRP_MN_START_DEVICE:
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
	case IRP_MN_SURPRISE_REMOVAL:
	case IRP_MN_REMOVE_DEVICE:	/* the PDO stays until the PF leaves the bus */
		return complete(irp, STATUS_SUCCESS, 0);
	case IRP_MN_QUERY_ID:
		return query_id(p, irp, sl->Parameters.QueryId.IdType);
	case IRP_MN_QUERY_INTERFACE:
		return query_interface(p, irp, sl);
	case IRP_MN_READ_CONFIG:
	case IRP_MN_WRITE_CONFIG:
		if (sl->Parameters.ReadWriteConfig.WhichSpace != PCI_WHICHSPACE_CONFIG)
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		p->st.config_irps++;
		rc = sl->MinorFunction == IRP_MN_WRITE_CONFIG ?
			     pcibus_ndis_ops.config_write(p->pf, sl->Parameters.ReadWriteConfig.Offset,
							  sl->Parameters.ReadWriteConfig.Buffer,
							  sl->Parameters.ReadWriteConfig.Length) :
			     pcibus_ndis_ops.config_read(p->pf, sl->Parameters.ReadWriteConfig.Offset,
							 sl->Parameters.ReadWriteConfig.Buffer,
							 sl->Parameters.ReadWriteConfig.Length);
		if (rc < 0)
			return complete(irp, rc == -ENODEV ? STATUS_NO_SUCH_DEVICE : STATUS_INVALID_PARAMETER, 0);
		return complete(irp, STATUS_SUCCESS, (ULONG_PTR)rc);
	case IRP_MN_QUERY_DEVICE_RELATIONS:
		if (sl->Parameters.QueryDeviceRelations.Type != TargetDeviceRelation)
			break;
		rel = ExAllocatePoolWithTag(PagedPool, sizeof(*rel), PDO_TAG);
		if (!rel)
			return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
		rel->Count = 1;
		rel->Objects[0] = d;
		return complete(irp, STATUS_SUCCESS, (ULONG_PTR)rel);
	default:
		break;
	}
	return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
}

static NTSTATUS driver_init(PDRIVER_OBJECT drv, void *ctx)
{
	(void)ctx;
	drv->MajorFunction[IRP_MJ_PNP] = dispatch_pnp;
	return STATUS_SUCCESS;
}

/* ---- API ------------------------------------------------------------------------------------ */
int pci_bus_create(struct pnp_manager *pm, struct pci_bus **out)
{
	struct pci_bus *bus;
	int rc;

	*out = NULL;
	if (!pm)
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->pm = pm;
	rc = pnp_driver_create(pm, "pci", driver_init, bus, &bus->drv);
	if (rc) {
		free(bus);
		return rc;
	}
	*out = bus;
	return 0;
}

static struct pci_pdo *find(const struct pci_bus *bus, const struct pcibus_pf *pf)
{
	for (struct pci_pdo *p = bus->pdos; p; p = p->next)
		if (p->pf == pf)
			return p;
	return NULL;
}

int pci_bus_add_pf(struct pci_bus *bus, struct pcibus_pf *pf, PDEVICE_OBJECT *pdo_out, struct pnp_devnode **dn)
{
	uint16_t rid = pcie_fn_rid(pcibus_pf_function(pf));
	struct pci_pdo *p;
	PDEVICE_OBJECT pdo;
	int rc;

	if (find(bus, pf))
		return -EEXIST;
	if (!NT_SUCCESS(IoCreateDevice(bus->drv, sizeof(*p), NULL, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &pdo)))
		return -ENOMEM;
	p = pdo->DeviceExtension;
	memset(p, 0, sizeof(*p));
	p->magic = PDO_MAGIC;
	p->bus = bus;
	p->self = pdo;
	p->pf = pf;
	snprintf(p->name, sizeof(p->name), "pci(%02x:%02x.%x)", PCIE_RID_BUS(rid), PCIE_RID_DEV(rid), PCIE_RID_FN(rid));
	p->next = bus->pdos;
	bus->pdos = p;
	pdo->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	if (pdo_out)
		*pdo_out = pdo;
	log_info(TOPIC, "%s: PDO reported", p->name);
	rc = pnp_device_arrived(bus->pm, pdo, &p->dn);
	if (dn)
		*dn = p->dn;
	if (rc)
		log_error(TOPIC, "%s: the PnP manager refused the PDO: %d", p->name, rc);
	return rc;
}

static void remove_pdo(struct pci_bus *bus, struct pci_pdo *p)
{
	for (struct pci_pdo **pp = &bus->pdos; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->dn) {
		int rc = pnp_device_remove(p->dn, false);

		if (rc == -EBUSY)
			rc = pnp_device_remove(p->dn, true);
		if (rc)
			log_error(TOPIC, "%s: removal failed: %d", p->name, rc);
		p->dn = NULL;
	}
	if (p->st.refs)
		log_warn(TOPIC, "%s: deleted with %u GUID_PCI_VIRTUALIZATION_INTERFACE reference(s) out", p->name,
			 p->st.refs);
	p->magic = 0;
	IoDeleteDevice(p->self);
}

int pci_bus_remove_pf(struct pci_bus *bus, struct pcibus_pf *pf)
{
	struct pci_pdo *p = bus ? find(bus, pf) : NULL;

	if (!p)
		return -ENOENT;
	remove_pdo(bus, p);
	return 0;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	while (bus->pdos)
		remove_pdo(bus, bus->pdos);
	free(bus);
}

int pci_bus_pf_stats(const struct pci_bus *bus, const struct pcibus_pf *pf, struct pci_pdo_stats *st)
{
	const struct pci_pdo *p = bus ? find(bus, pf) : NULL;

	if (!p)
		return -ENOENT;
	*st = p->st;
	return 0;
}
