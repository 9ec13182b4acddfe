/*
 * NDIS's PnP edge in a guest (guest_ndis.h): the "ndis" WDM driver whose
 * FDO sits on every network device's stack, turning PnP into the
 * framework's adapter lifecycle and the framework's lower edges into IRPs
 * down that stack. What NDIS does not handle it passes down untouched, as
 * ndis.sys does, so the drivers below decide what the stack answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "ndis/inf.h"
#include "pnp/guest_ndis.h"

#define TOPIC "lab.pnp.ndis"
#define FDO_MAGIC 0x4f44464eu	/* 'NFDO' */

struct ndis_fdo {
	uint32_t magic;
	struct guest_ndis *gn;
	struct ndis_fdo *next;
	PDEVICE_OBJECT self, pdo, lower;
	struct ndis_adapter *ad;
	char hwid[200];
	bool over_vbd;
	struct guest_ndis_device dev;		/* the creator's description (parent) */
	bool started;
	bool surprise_removed;
	bool removing;
	VPCI_INTERFACE_STANDARD iface;		/* the reference NDIS holds */
	bool have_iface;
	NTSTATUS iface_status;
	PIRP inval_irp;
	VPCI_INVALIDATE_BLOCK_OUTPUT inval_out;
	bool inval_pending;
	NTSTATUS inval_status;
	uint64_t invalidations, last_mask;
};

/* A device node the provider matched, and on which of its IDs. */
struct match {
	struct match *next;
	struct pnp_devnode *dn;
	char id[200];
};

struct guest_ndis {
	struct pnp_manager *pm;
	struct ndis_framework *fw;
	const struct guest_mmio_ops *mmio;
	void *mmio_ctx;
	char prefix[32];
	unsigned next_index;
	PDRIVER_OBJECT drv;
	struct ndis_inf **infs;		/* the packages' models, for matching */
	size_t n_infs;
	struct match *matches;
	struct ndis_fdo *fdos;
	void (*describe)(void *ctx, PDEVICE_OBJECT pdo, struct guest_ndis_device *d);
	void *describe_ctx;
	bool no_msix;			/* guest_ndis_config.no_msix */
};

static struct ndis_fdo *fdo_of(PDEVICE_OBJECT d)
{
	struct ndis_fdo *f = d ? d->DeviceExtension : NULL;

	return f && f->magic == FDO_MAGIC ? f : NULL;
}

/* ---- IRPs down the stack ----------------------------------------------------------- */
static PDEVICE_OBJECT stack_top(struct ndis_fdo *f)
{
	return IoGetAttachedDevice(f->self);
}

static int config_io(void *ctx, uint32_t offset, void *buf, uint32_t len, bool write)
{
	struct ndis_fdo *f = ctx;
	PDEVICE_OBJECT top;
	PIO_STACK_LOCATION sl;
	NTSTATUS st;
	ULONG_PTR info;
	PIRP irp;

	if (f->surprise_removed)
		return -ENODEV;
	top = stack_top(f);
	irp = pnp_build_pnp_irp(top, write ? IRP_MN_WRITE_CONFIG : IRP_MN_READ_CONFIG);
	if (!irp)
		return -ENOMEM;
	sl = IoGetNextIrpStackLocation(irp);
	sl->Parameters.ReadWriteConfig.WhichSpace = PCI_WHICHSPACE_CONFIG;
	sl->Parameters.ReadWriteConfig.Buffer = buf;
	sl->Parameters.ReadWriteConfig.Offset = offset;
	sl->Parameters.ReadWriteConfig.Length = len;
	st = pnp_call_sync(top, irp, &info);
	if (!NT_SUCCESS(st)) {
		log_warn(TOPIC, "%s: IRP_MN_%s_CONFIG(0x%x, %u) failed: 0x%x", f->hwid, write ? "WRITE" : "READ", offset,
			 len, (unsigned)st);
		return st == STATUS_NO_SUCH_DEVICE ? -ENODEV : -EIO;
	}
	return (int)(info ? info : len);
}

static int config_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
	return config_io(ctx, offset, buf, len, false);
}

static int config_write(void *ctx, uint32_t offset, const void *buf, uint32_t len)
{
	return config_io(ctx, offset, (void *)buf, len, true);
}

#define PLATFORM(f, op) ((f)->dev.platform && (f)->dev.platform->op)

static int map_io(void *ctx, uint64_t phys, uint32_t len, void **va)
{
	struct ndis_fdo *f = ctx;

	if (PLATFORM(f, map_io_space))
		return f->dev.platform->map_io_space(f->dev.platform_ctx, phys, len, va);
	if (!f->gn->mmio || !f->gn->mmio->map)
		return -ENOTSUP;
	return f->gn->mmio->map(f->gn->mmio_ctx, phys, len, va);
}

static void unmap_io(void *ctx, void *va, uint32_t len)
{
	struct ndis_fdo *f = ctx;

	if (PLATFORM(f, unmap_io_space)) {
		f->dev.platform->unmap_io_space(f->dev.platform_ctx, va, len);
		return;
	}
	if (f->gn->mmio && f->gn->mmio->unmap)
		f->gn->mmio->unmap(f->gn->mmio_ctx, va, len);
}

static int mmio_read(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
	struct ndis_fdo *f = ctx;

	if (PLATFORM(f, mmio_read))
		return f->dev.platform->mmio_read(f->dev.platform_ctx, phys, size, value);
	if (!f->gn->mmio || !f->gn->mmio->read)
		return -ENOTSUP;
	return f->gn->mmio->read(f->gn->mmio_ctx, phys, size, value);
}

static int mmio_write(void *ctx, uint64_t phys, unsigned size, uint64_t value)
{
	struct ndis_fdo *f = ctx;

	if (PLATFORM(f, mmio_write))
		return f->dev.platform->mmio_write(f->dev.platform_ctx, phys, size, value);
	if (!f->gn->mmio || !f->gn->mmio->write)
		return -ENOTSUP;
	return f->gn->mmio->write(f->gn->mmio_ctx, phys, size, value);
}

static int alloc_common(void *ctx, uint32_t len, void **va, uint64_t *dma)
{
	struct ndis_fdo *f = ctx;

	if (!PLATFORM(f, alloc_common_buffer))
		return -ENOTSUP;
	return f->dev.platform->alloc_common_buffer(f->dev.platform_ctx, len, va, dma);
}

static void free_common(void *ctx, void *va, uint32_t len)
{
	struct ndis_fdo *f = ctx;

	if (PLATFORM(f, free_common_buffer))
		f->dev.platform->free_common_buffer(f->dev.platform_ctx, va, len);
}

/*
 * A device without a platform (the VF on vPCI): as many messages as its
 * MSI-X capability's table (PCI 3.0 6.8.2.3), found through config space
 * the way the PnP manager finds it -- or none when the partition cannot give
 * MSI-X (guest_ndis_config.no_msix, F26). The lab polls these devices, so
 * isr is never called.
 */
/*
 * The capability pointer and the whole list are read at once (0x34..0xff, one
 * config request): on vPCI each read is a round trip to the host and an OID at
 * the PF, and the walk made three in every VF's bring-up (issue 8). Config
 * reads have no side effects; the pointers' low two bits are reserved (PCI 3.0
 * 6.7) and masked, so every header lies inside what was read.
 */
#define CAP_AREA 0x34u
static int msix_messages(struct ndis_fdo *f, unsigned *messages)
{
	uint8_t area[0x100 - CAP_AREA], ptr;

	if (f->gn->no_msix) {
		log_warn(TOPIC, "%s: the partition has no MSI-X messages to give the device", f->hwid);
		return -ENOSPC;
	}
	if (config_read(f, CAP_AREA, area, sizeof(area)) != (int)sizeof(area))
		return -EIO;
	ptr = area[0] & 0xfc;
	for (int hops = 0; ptr >= 0x40 && hops < 48; hops++) {
		const uint8_t *hdr = area + (ptr - CAP_AREA);	/* ptr <= 0xfc: hdr[3] <= 0xff */

		if (hdr[0] == 0x11) {	/* PCI_CAP_ID_MSIX */
			*messages = ((unsigned)hdr[2] | (unsigned)hdr[3] << 8) % 2048u + 1;
			return 0;
		}
		ptr = hdr[1] & 0xfc;
	}
	log_warn(TOPIC, "%s: the device has no MSI-X capability", f->hwid);
	return -ENOENT;
}

static int connect_int(void *ctx, void (*isr)(void *isr_ctx, unsigned message), void *isr_ctx, unsigned *messages)
{
	struct ndis_fdo *f = ctx;

	if (!f->dev.platform)
		return msix_messages(f, messages);
	if (!PLATFORM(f, connect_interrupt))
		return -ENOTSUP;
	return f->dev.platform->connect_interrupt(f->dev.platform_ctx, isr, isr_ctx, messages);
}

static void disconnect_int(void *ctx)
{
	struct ndis_fdo *f = ctx;

	if (PLATFORM(f, disconnect_interrupt))
		f->dev.platform->disconnect_interrupt(f->dev.platform_ctx);
}

static const struct ndis_bus_ops bus_ops = {
	.config_read = config_read,
	.config_write = config_write,
	.map_io_space = map_io,
	.unmap_io_space = unmap_io,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	/* MSI-X messages from the partition (msix_messages); none are delivered: the lab polls. */
	.connect_interrupt = connect_int,
	.disconnect_interrupt = disconnect_int,
};

/* The parent's: the same, plus DMA and the interrupt from the platform's bus. */
static const struct ndis_bus_ops platform_bus_ops = {
	.config_read = config_read,
	.config_write = config_write,
	.map_io_space = map_io,
	.unmap_io_space = unmap_io,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
	.alloc_common_buffer = alloc_common,
	.free_common_buffer = free_common,
	.connect_interrupt = connect_int,
	.disconnect_interrupt = disconnect_int,
};

static void drop_interface(struct ndis_fdo *f)
{
	if (f->have_iface && f->iface.InterfaceDereference)
		f->iface.InterfaceDereference(f->iface.Context);
	f->have_iface = false;
	memset(&f->iface, 0, sizeof(f->iface));
}

/* IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) to the top of the stack. */
static int query_interface(void *ctx, VPCI_INTERFACE_STANDARD *iface)
{
	struct ndis_fdo *f = ctx;
	VPCI_INTERFACE_STANDARD got;
	PDEVICE_OBJECT top = stack_top(f);
	PIO_STACK_LOCATION sl;
	PIRP irp;

	drop_interface(f);	/* a re-initialization asks again */
	irp = pnp_build_pnp_irp(top, IRP_MN_QUERY_INTERFACE);
	if (!irp)
		return -ENOMEM;
	memset(&got, 0, sizeof(got));
	sl = IoGetNextIrpStackLocation(irp);
	sl->Parameters.QueryInterface.InterfaceType = &GUID_VPCI_INTERFACE_STANDARD;
	sl->Parameters.QueryInterface.Size = sizeof(got);
	sl->Parameters.QueryInterface.Version = 1;
	sl->Parameters.QueryInterface.Interface = (PINTERFACE)&got;
	f->iface_status = pnp_call_sync(top, irp, NULL);
	if (!NT_SUCCESS(f->iface_status) || got.Size < sizeof(got)) {
		log_info(TOPIC, "%s: no driver in the stack answered IRP_MN_QUERY_INTERFACE(GUID_VPCI_INTERFACE_STANDARD) "
			 "(0x%x)", f->hwid, (unsigned)f->iface_status);
		return -ENOTSUP;
	}
	f->iface = got;
	f->have_iface = true;
	*iface = got;
	return 0;
}

static const struct ndis_vpci_ops vpci_ops = { .query_interface = query_interface };

/* ---- the pending IOCTL_VPCI_INVALIDATE_BLOCK ----------------------------------------------- */
static void arm_invalidate(struct ndis_fdo *f);

static NTSTATUS invalidate_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
	struct ndis_fdo *f = ctx;
	NTSTATUS st = irp->IoStatus.Status;

	(void)dev;
	f->inval_pending = false;
	f->inval_status = st;
	if (!NT_SUCCESS(st)) {
		log_info(TOPIC, "%s: IOCTL_VPCI_INVALIDATE_BLOCK completed with 0x%x; not sent again", f->hwid,
			 (unsigned)st);
		return STATUS_MORE_PROCESSING_REQUIRED;
	}
	f->invalidations++;
	f->last_mask = f->inval_out.BlockMask;
	log_info(TOPIC, "%s: config blocks 0x%llx invalidated: OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK", f->hwid,
		 (unsigned long long)f->last_mask);
	if (f->ad && ndis_adapter_vf_config_invalidated(f->ad, f->last_mask))
		log_warn(TOPIC, "%s: the adapter is not running; invalidation 0x%llx dropped", f->hwid,
			 (unsigned long long)f->last_mask);
	if (!f->removing && !f->surprise_removed)
		arm_invalidate(f);	/* spec 2.13 step 5: re-arm */
	return STATUS_MORE_PROCESSING_REQUIRED;
}

static void arm_invalidate(struct ndis_fdo *f)
{
	PDEVICE_OBJECT top = stack_top(f);
	PIO_STACK_LOCATION sl;

	if (f->inval_irp && f->inval_irp->StackCount < top->StackSize) {
		IoFreeIrp(f->inval_irp);
		f->inval_irp = NULL;
	}
	if (!f->inval_irp)
		f->inval_irp = IoAllocateIrp(top->StackSize, FALSE);
	else
		IoReuseIrp(f->inval_irp, STATUS_SUCCESS);
	if (!f->inval_irp)
		return;
	memset(&f->inval_out, 0, sizeof(f->inval_out));
	sl = IoGetNextIrpStackLocation(f->inval_irp);
	sl->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
	sl->Parameters.DeviceIoControl.IoControlCode = IOCTL_VPCI_INVALIDATE_BLOCK;
	sl->Parameters.DeviceIoControl.InputBufferLength = sizeof(f->inval_out);
	sl->Parameters.DeviceIoControl.Type3InputBuffer = &f->inval_out;
	IoSetCompletionRoutine(f->inval_irp, invalidate_done, f, TRUE, TRUE, TRUE);
	f->inval_pending = true;
	f->inval_status = STATUS_PENDING;
	(void)IoCallDriver(top, f->inval_irp);
}

static void cancel_invalidate(struct ndis_fdo *f)
{
	if (f->inval_pending && f->inval_irp)
		(void)IoCancelIrp(f->inval_irp);
	if (f->inval_pending)
		log_warn(TOPIC, "%s: the pending IOCTL_VPCI_INVALIDATE_BLOCK could not be cancelled", f->hwid);
}

/* ---- the FDO ------------------------------------------------------------------------------- */
static const char *matched_id(struct guest_ndis *gn, struct pnp_devnode *dn, char *buf, size_t len)
{
	for (struct match **pp = &gn->matches; *pp; pp = &(*pp)->next)
		if ((*pp)->dn == dn) {
			struct match *m = *pp;

			snprintf(buf, len, "%s", m->id);
			*pp = m->next;
			free(m);
			return buf;
		}
	return NULL;
}

static void adapter_name(struct guest_ndis *gn, char *buf, size_t len)
{
	do
		snprintf(buf, len, "%s %u", gn->prefix, gn->next_index++);
	while (ndis_framework_find_adapter(gn->fw, buf));
}

static NTSTATUS start(struct ndis_fdo *f, PIRP irp)
{
	struct ndis_adapter_params p;
	struct ndis_sriov_view v;
	char name[64];
	int rc;

	if (!IoForwardIrpSynchronously(f->lower, irp))
		return STATUS_UNSUCCESSFUL;
	if (!NT_SUCCESS(irp->IoStatus.Status))
		return irp->IoStatus.Status;
	memset(&f->dev, 0, sizeof(f->dev));
	if (f->gn->describe)
		f->gn->describe(f->gn->describe_ctx, f->pdo, &f->dev);
	if (f->dev.name)
		snprintf(name, sizeof(name), "%s", f->dev.name);
	else
		adapter_name(f->gn, name, sizeof(name));
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.hardware_id = f->hwid;
	p.bus = f->dev.platform ? &platform_bus_ops : &bus_ops;
	p.bus_ctx = f;
	p.keywords = f->dev.keywords;
	p.n_keywords = f->dev.n_keywords;
	/* Only a guest has a vPCI bus to ask (and NDIS takes an adapter with one for a VF). */
	if (ndis_framework_partition(f->gn->fw) == NDIS_PARTITION_CHILD) {
		p.vpci = &vpci_ops;
		p.vpci_ctx = f;
	}
	p.over_vbd = f->over_vbd;
	p.pdo = f->pdo;
	p.fdo = f->self;
	p.next_device = f->lower;
	log_info(TOPIC, "%s: IRP_MN_START_DEVICE: creating adapter '%s'%s", f->hwid, name,
		 f->over_vbd ? " (NDIS-WDM, over a virtual bus driver)" : "");
	rc = ndis_adapter_create(f->gn->fw, &p, &f->ad);
	if (rc) {
		log_error(TOPIC, "%s: adapter '%s' did not start: %d", f->hwid, name, rc);
		return STATUS_UNSUCCESSFUL;
	}
	f->started = true;
	/* NDIS keeps the invalidation IOCTL pending for a VF (spec 2.13 step 1). */
	ndis_adapter_sriov_view(f->ad, &v);
	if (v.has_hw_sriov && (v.hw_sriov_caps & NDIS_SRIOV_CAPS_VF_MINIPORT))
		arm_invalidate(f);
	return STATUS_SUCCESS;
}

static void fdo_unlink(struct ndis_fdo *f)
{
	for (struct ndis_fdo **pp = &f->gn->fdos; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			return;
		}
}

static NTSTATUS remove_device(PDEVICE_OBJECT d, struct ndis_fdo *f, PIRP irp)
{
	PDEVICE_OBJECT lower = f->lower;
	NTSTATUS st;

	f->removing = true;
	cancel_invalidate(f);
	if (f->ad) {
		ndis_adapter_destroy(f->ad);	/* halts it first */
		f->ad = NULL;
	}
	drop_interface(f);
	irp->IoStatus.Status = STATUS_SUCCESS;
	IoSkipCurrentIrpStackLocation(irp);
	st = IoCallDriver(lower, irp);
	/* The bus failed whatever was still pending on the way down. */
	if (f->inval_irp && !f->inval_pending)
		IoFreeIrp(f->inval_irp);
	else if (f->inval_irp)
		log_error(TOPIC, "%s: IOCTL_VPCI_INVALIDATE_BLOCK still pending after IRP_MN_REMOVE_DEVICE; leaked",
			  f->hwid);
	f->inval_irp = NULL;
	fdo_unlink(f);
	f->magic = 0;
	IoDetachDevice(lower);
	IoDeleteDevice(d);
	return st;
}

static NTSTATUS dispatch_pnp(PDEVICE_OBJECT d, PIRP irp)
{
	struct ndis_fdo *f = fdo_of(d);
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	NTSTATUS st;

	if (!f) {
		irp->IoStatus.Status = STATUS_NO_SUCH_DEVICE;
		IoCompleteRequest(irp, IO_NO_INCREMENT);
		return STATUS_NO_SUCH_DEVICE;
	}
	switch (sl->MinorFunction) {
	case IRP_MN_START_DEVICE:
		st = start(f, irp);
		irp->IoStatus.Status = st;
		IoCompleteRequest(irp, IO_NO_INCREMENT);
		return st;
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		irp->IoStatus.Status = STATUS_SUCCESS;
		break;
	case IRP_MN_SURPRISE_REMOVAL:
		f->surprise_removed = true;
		if (f->ad && ndis_adapter_state(f->ad) != NDIS_ADAPTER_HALTED)
			(void)ndis_adapter_surprise_remove(f->ad);
		cancel_invalidate(f);
		irp->IoStatus.Status = STATUS_SUCCESS;
		break;
	case IRP_MN_REMOVE_DEVICE:
		return remove_device(d, f, irp);
	default:
		break;
	}
	IoSkipCurrentIrpStackLocation(irp);
	return IoCallDriver(f->lower, irp);
}

/* Everything else NDIS passes down as it is. */
static NTSTATUS dispatch_pass(PDEVICE_OBJECT d, PIRP irp)
{
	struct ndis_fdo *f = fdo_of(d);

	if (!f) {
		irp->IoStatus.Status = STATUS_NO_SUCH_DEVICE;
		IoCompleteRequest(irp, IO_NO_INCREMENT);
		return STATUS_NO_SUCH_DEVICE;
	}
	IoSkipCurrentIrpStackLocation(irp);
	return IoCallDriver(f->lower, irp);
}

static NTSTATUS add_device(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
	struct guest_ndis *gn = pnp_driver_context(drv);
	struct pnp_devnode *dn = pnp_devnode_of(pdo);
	struct ndis_fdo *f;
	PDEVICE_OBJECT fdo;
	NTSTATUS st;

	st = IoCreateDevice(drv, sizeof(*f), NULL, FILE_DEVICE_PHYSICAL_NETCARD, 0, FALSE, &fdo);
	if (!NT_SUCCESS(st))
		return st;
	f = fdo->DeviceExtension;
	memset(f, 0, sizeof(*f));
	f->magic = FDO_MAGIC;
	f->gn = gn;
	f->self = fdo;
	f->pdo = pdo;
	f->inval_status = STATUS_PENDING;
	if (!matched_id(gn, dn, f->hwid, sizeof(f->hwid)))
		snprintf(f->hwid, sizeof(f->hwid), "%s", dn && pnp_devnode_hwid(dn, 0) ? pnp_devnode_hwid(dn, 0) : "?");
	/* A PDO reported by another device's driver is an IHV bus driver's
	 * child; the vPCI bus's PDOs are the roots of the guest's tree. */
	f->over_vbd = dn && pnp_devnode_parent(dn) != NULL;
	f->lower = IoAttachDeviceToDeviceStack(fdo, pdo);
	if (!f->lower) {
		f->magic = 0;
		IoDeleteDevice(fdo);
		return STATUS_NO_SUCH_DEVICE;
	}
	f->next = gn->fdos;
	gn->fdos = f;
	fdo->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	return STATUS_SUCCESS;
}

static NTSTATUS driver_init(PDRIVER_OBJECT drv, void *ctx)
{
	(void)ctx;
	for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
		drv->MajorFunction[i] = dispatch_pass;
	drv->MajorFunction[IRP_MJ_PNP] = dispatch_pnp;
	drv->DriverExtension->AddDevice = add_device;
	return STATUS_SUCCESS;
}

static PDRIVER_OBJECT match(void *ctx, struct pnp_devnode *dn, const char *id)
{
	struct guest_ndis *gn = ctx;
	struct match *m;
	bool known = false;

	for (size_t i = 0; i < gn->n_infs; i++) {
		if (!ndis_inf_find_model(gn->infs[i], id) || ndis_inf_class(gn->infs[i]) != NDIS_INF_CLASS_NET)
			continue;
		for (m = gn->matches; m; m = m->next)
			known |= m->dn == dn;
		if (!known && (m = calloc(1, sizeof(*m)))) {
			m->dn = dn;
			snprintf(m->id, sizeof(m->id), "%s", id);
			m->next = gn->matches;
			gn->matches = m;
		}
		return gn->drv;
	}
	return NULL;
}

static const struct pnp_provider provider = { "NDIS miniport packages", match };

/* ---- API ------------------------------------------------------------------------------------ */
int guest_ndis_create(const struct guest_ndis_config *cfg, struct guest_ndis **out)
{
	struct guest_ndis *gn;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->pm || !cfg->fw)
		return -EINVAL;
	gn = calloc(1, sizeof(*gn));
	if (!gn)
		return -ENOMEM;
	gn->pm = cfg->pm;
	gn->fw = cfg->fw;
	gn->mmio = cfg->mmio;
	gn->mmio_ctx = cfg->mmio_ctx;
	snprintf(gn->prefix, sizeof(gn->prefix), "%s", cfg->name_prefix ? cfg->name_prefix : "Ethernet");
	gn->next_index = cfg->first_index ? cfg->first_index : 2;
	gn->describe = cfg->describe;
	gn->describe_ctx = cfg->describe_ctx;
	gn->no_msix = cfg->no_msix;
	if ((rc = pnp_driver_create(cfg->pm, "ndis", driver_init, gn, &gn->drv)) ||
	    (rc = pnp_manager_add_provider(cfg->pm, &provider, gn))) {
		free(gn);
		return rc;
	}
	*out = gn;
	return 0;
}

void guest_ndis_destroy(struct guest_ndis *gn)
{
	if (!gn)
		return;
	if (gn->fdos)
		log_warn(TOPIC, "NDIS's PnP edge destroyed with device stacks still there (remove them first)");
	for (size_t i = 0; i < gn->n_infs; i++)
		ndis_inf_destroy(gn->infs[i]);
	free(gn->infs);
	while (gn->matches) {
		struct match *m = gn->matches;

		gn->matches = m->next;
		free(m);
	}
	free(gn);
}

int guest_ndis_install_inf(struct guest_ndis *gn, const char *inf_path, const char *binary_dir, char *err,
			   size_t errlen)
{
	struct ndis_inf *inf, **n;
	int rc;

	rc = ndis_framework_install_inf(gn->fw, inf_path, binary_dir, err, errlen);
	if (rc)
		return rc;
	if ((rc = ndis_inf_load(inf_path, &inf, err, errlen)))
		return rc;
	n = realloc(gn->infs, (gn->n_infs + 1) * sizeof(*n));
	if (!n) {
		ndis_inf_destroy(inf);
		return -ENOMEM;
	}
	gn->infs = n;
	gn->infs[gn->n_infs++] = inf;
	return 0;
}

static void fill_info(const struct ndis_fdo *f, struct guest_ndis_adapter_info *info)
{
	memset(info, 0, sizeof(*info));
	info->ad = f->ad;
	info->pdo = f->pdo;
	info->fdo = f->self;
	info->lower = f->lower;
	info->over_vbd = f->over_vbd;
	info->started = f->started;
	info->surprise_removed = f->surprise_removed;
	info->interface_status = f->iface_status;
	info->invalidate_pending = f->inval_pending;
	info->invalidate_status = f->inval_status;
	info->invalidations = f->invalidations;
	info->last_mask = f->last_mask;
}

size_t guest_ndis_adapter_count(const struct guest_ndis *gn)
{
	size_t n = 0;

	for (const struct ndis_fdo *f = gn->fdos; f; f = f->next)
		n++;
	return n;
}

int guest_ndis_adapter_info_at(const struct guest_ndis *gn, size_t i, struct guest_ndis_adapter_info *info)
{
	for (const struct ndis_fdo *f = gn->fdos; f; f = f->next)
		if (i-- == 0) {
			fill_info(f, info);
			return 0;
		}
	return -ENOENT;
}

struct ndis_adapter *guest_ndis_adapter_of(const struct guest_ndis *gn, PDEVICE_OBJECT pdo)
{
	for (const struct ndis_fdo *f = gn->fdos; f; f = f->next)
		if (f->pdo == pdo)
			return f->ad;
	return NULL;
}

int guest_ndis_adapter_info(const struct guest_ndis *gn, const struct ndis_adapter *ad,
			    struct guest_ndis_adapter_info *info)
{
	for (const struct ndis_fdo *f = gn->fdos; f; f = f->next)
		if (ad && f->ad == ad) {
			fill_info(f, info);
			return 0;
		}
	return -ENOENT;
}
