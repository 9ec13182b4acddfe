/*
 * The vPCI bus driver's PDO layer (vpci_pdo.h): one PDO per function the
 * VSC brings up, with the dispatch routines vpci.sys has for it. The PDO's
 * extension keeps the function's description, the config-space shadow of
 * the registers the bus answers itself (IDs, class, subsystem, BARs --
 * the function's own read 0xFFFF / 0 behind the PF, docs/hw/srnic.md
 * "Identity"; pci-hyperv answers IDs from its description the same way), the
 * IOCTL_VPCI_INVALIDATE_BLOCK IRPs kept pending and the blocks invalidated
 * that nobody has asked for yet. Interface contexts live in their own
 * reference-counted object, so a driver that still holds
 * GUID_VPCI_INTERFACE_STANDARD after the function left gets
 * STATUS_NO_SUCH_DEVICE, never a freed PDO.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/vpci_pdo.h"

#define TOPIC "lab.hv.vpci.pdo"
#define PDO_MAGIC 0x4f445056u	/* 'VPDO' */
#define CTX_MAGIC 0x58544356u	/* 'VCTX' */
#define SHADOW_LEN 0x40u

struct vpci_pdo;

/* What an interface's Context points to; outlives the PDO while referenced. */
struct iface_ctx {
	uint32_t magic;
	struct vpci_pdo *pdo;	/* NULL once the PDO is deleted */
	unsigned refs;
};

struct vpci_pdo {
	uint32_t magic;
	struct vpci_bus *bus;
	struct vpci_pdo *next;
	PDEVICE_OBJECT self;
	struct vpci_vsc_dev *dev;	/* NULL once the function left the bus */
	struct vpci_func_info info;
	struct pnp_devnode *dn;
	struct iface_ctx *ctx;
	uint8_t shadow[SHADOW_LEN];
	PIRP pending[VPCI_PDO_MAX_PENDING];
	unsigned n_pending;
	uint64_t mask;			/* invalidated, not yet delivered */
	struct vpci_pdo_stats st;
	char name[48];
};

struct vpci_bus {
	struct pnp_manager *pm;
	struct pnp_dma_pool *dma;
	PDRIVER_OBJECT drv;
	struct vpci_pdo *pdos;
};

/* ---- helpers ------------------------------------------------------------------ */
static struct vpci_pdo *pdo_of(PDEVICE_OBJECT d)
{
	struct vpci_pdo *p = d ? d->DeviceExtension : NULL;

	return p && p->magic == PDO_MAGIC ? p : NULL;
}

static NTSTATUS complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
	irp->IoStatus.Status = st;
	irp->IoStatus.Information = info;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

static NTSTATUS vsc_status(int rc, uint32_t st)
{
	if (!rc)
		return STATUS_SUCCESS;
	return st && !VPCI_STATUS_OK(st) ? (NTSTATUS)st : STATUS_UNSUCCESSFUL;
}

/* A NUL-separated list of ASCII strings as a pool-allocated WCHAR multi-sz
 * (the PnP manager frees it with ExFreePool). */
static PWCHAR multi_sz(char *const *ids, size_t n)
{
	size_t len = 1, k = 0;
	PWCHAR w;

	for (size_t i = 0; i < n; i++)
		len += strlen(ids[i]) + 1;
	w = ExAllocatePoolWithTag(PagedPool, len * sizeof(WCHAR), 0x69637076);
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

/* ---- config space ---------------------------------------------------------------- */
static bool emulated(uint32_t off)
{
	return off < 4 || (off >= 0x08 && off < 0x0c) || (off >= 0x10 && off < 0x28) || (off >= 0x2c && off < 0x30);
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* The registers the bus answers from the description and the placements. */
static void shadow_build(struct vpci_pdo *p)
{
	const struct vpci_func_info *f = &p->info;

	memset(p->shadow, 0, sizeof(p->shadow));
	put32(p->shadow + 0x00, (uint32_t)f->vendor_id | (uint32_t)f->device_id << 16);
	put32(p->shadow + 0x08, (uint32_t)f->revision | (uint32_t)f->prog_if << 8 | (uint32_t)f->subclass << 16 |
					(uint32_t)f->base_class << 24);
	put32(p->shadow + 0x2c, f->subsystem_id);
	for (unsigned i = 0; i < VPCI_BAR_COUNT; i++) {
		uint32_t v = 0;

		if (f->bars[i].type != VPCI_RES_TYPE_NULL)
			v = ((uint32_t)f->bars[i].start & ~0xfu) | (f->probed_bars[i] & 0xfu);
		else if (i && (f->probed_bars[i - 1] & 0x7u) == 0x4u && f->bars[i - 1].type != VPCI_RES_TYPE_NULL)
			v = (uint32_t)(f->bars[i - 1].start >> 32);	/* upper half of a 64-bit BAR */
		put32(p->shadow + 0x10 + 4 * i, v);
	}
}

/*
 * A read: one CONFIG_READ from the first byte the bus does not answer to the
 * last (at most VPCI_CFG_XFER_MAX per message), the bytes it does answer
 * taken from the shadow over what came back. A driver's read of its header
 * (srnic_vf: 0x00-0x2f) was three requests (0x04, 0x0c, 0x28), each a round
 * trip to the host and an OID at the PF; config reads have no side effects
 * (PCI 3.0 6.1: only writes change a function's state), so reading the
 * emulated bytes in between and dropping them is harmless (issue 8).
 */
static NTSTATUS cfg_read_span(struct vpci_pdo *p, uint32_t off, uint8_t *buf, uint32_t len)
{
	uint8_t tmp[VPCI_CFG_XFER_MAX];
	uint32_t i = 0;

	while (i < len) {
		uint32_t a, n = 0, last = 0, st = 0;
		int rc;

		while (i < len && emulated(off + i)) {
			buf[i] = p->shadow[off + i];
			i++;
		}
		if (i == len)
			break;
		a = off + i;
		for (uint32_t k = 0; i + k < len && k < VPCI_CFG_XFER_MAX; k++)
			if (!emulated(a + k))
				last = k;
		n = last + 1;
		if ((rc = vpci_vsc_config_read(p->dev, a, tmp, n, &st)))
			return vsc_status(rc, st);
		for (uint32_t k = 0; k < n; k++)
			buf[i + k] = emulated(a + k) ? p->shadow[a + k] : tmp[k];
		i += n;
	}
	return STATUS_SUCCESS;
}

static NTSTATUS cfg_access(struct vpci_pdo *p, uint32_t off, uint8_t *buf, uint32_t len, bool write)
{
	uint32_t i = 0;

	if (!p->dev)
		return STATUS_NO_SUCH_DEVICE;
	if (!buf || !len || off >= VPCI_CFG_SPACE_SIZE || len > VPCI_CFG_SPACE_SIZE - off)
		return STATUS_INVALID_PARAMETER;
	if (!write)
		return cfg_read_span(p, off, buf, len);
	while (i < len) {
		uint32_t a = off + i, n = 0;

		if (emulated(a)) {
			if (write)
				log_debug(TOPIC, "%s: config write to 0x%x ignored (answered by the bus)", p->name, a);
			else
				buf[i] = p->shadow[a];
			i++;
			continue;
		}
		while (i + n < len && !emulated(a + n) && n < VPCI_CFG_XFER_MAX)
			n++;
		{
			uint32_t st = 0;
			int rc = write ? vpci_vsc_config_write(p->dev, a, buf + i, n, &st) :
					 vpci_vsc_config_read(p->dev, a, buf + i, n, &st);

			if (rc)
				return vsc_status(rc, st);
		}
		i += n;
	}
	return STATUS_SUCCESS;
}

/* ---- the interfaces ------------------------------------------------------------------ */
static struct iface_ctx *ctx_of(PVOID c)
{
	struct iface_ctx *x = c;

	return x && x->magic == CTX_MAGIC ? x : NULL;
}

static VOID iface_reference(PVOID Context)
{
	struct iface_ctx *x = ctx_of(Context);

	if (!x)
		return;
	x->refs++;
	if (x->pdo)
		x->pdo->st.interface_refs++;
}

static VOID iface_dereference(PVOID Context)
{
	struct iface_ctx *x = ctx_of(Context);

	if (!x || !x->refs) {
		log_warn(TOPIC, "InterfaceDereference without a reference");
		return;
	}
	x->refs--;
	if (x->pdo)
		x->pdo->st.interface_refs--;
	if (!x->refs && !x->pdo) {
		x->magic = 0;
		free(x);
	}
}

static NTSTATUS block_io(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length, bool write)
{
	struct iface_ctx *x = ctx_of(Context);
	struct vpci_pdo *p = x ? x->pdo : NULL;
	uint32_t st = 0;
	int rc;

	if (!x)
		return STATUS_INVALID_PARAMETER;
	if (!p || !p->dev)
		return STATUS_NO_SUCH_DEVICE;
	if (!Buffer || !Length || Length > VPCI_MAX_READ_WRITE_BLOCK_SIZE)
		return STATUS_INVALID_PARAMETER;
	if (write) {
		p->st.block_writes++;
		rc = vpci_vsc_write_block(p->dev, BlockId, Buffer, Length, &st);
	} else {
		p->st.block_reads++;
		rc = vpci_vsc_read_block(p->dev, BlockId, Buffer, Length, &st);
	}
	log_debug(TOPIC, "%s: %s block %u (%u bytes): 0x%x", p->name, write ? "write" : "read", BlockId, Length,
		  (unsigned)vsc_status(rc, st));
	return vsc_status(rc, st);
}

static NTSTATUS iface_read_block(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length)
{
	return block_io(Context, BlockId, Buffer, Length, false);
}

static NTSTATUS iface_write_block(PVOID Context, ULONG BlockId, PVOID Buffer, ULONG Length)
{
	return block_io(Context, BlockId, Buffer, Length, true);
}

static BOOLEAN bus_translate(PVOID Context, PHYSICAL_ADDRESS BusAddress, ULONG Length, PULONG AddressSpace,
			     PPHYSICAL_ADDRESS TranslatedAddress)
{
	(void)Context;
	(void)Length;
	if (AddressSpace)
		*AddressSpace = 0;	/* memory: bus and CPU addresses are the same in the lab */
	if (TranslatedAddress)
		*TranslatedAddress = BusAddress;
	return TRUE;
}

static PDMA_ADAPTER bus_get_dma_adapter(PVOID Context, PDEVICE_DESCRIPTION DeviceDescriptor,
					PULONG NumberOfMapRegisters)
{
	struct iface_ctx *x = ctx_of(Context);
	struct vpci_pdo *p = x ? x->pdo : NULL;

	if (!p || !p->bus->dma || !DeviceDescriptor)
		return NULL;
	if (NumberOfMapRegisters)
		*NumberOfMapRegisters = DeviceDescriptor->MaximumLength / 4096u + 1u;
	return pnp_dma_adapter_create(p->bus->dma, p->name);
}

static ULONG bus_data(PVOID Context, ULONG DataType, PVOID Buffer, ULONG Offset, ULONG Length, bool write)
{
	struct iface_ctx *x = ctx_of(Context);
	struct vpci_pdo *p = x ? x->pdo : NULL;

	if (!p || DataType != PCI_WHICHSPACE_CONFIG)
		return 0;
	return NT_SUCCESS(cfg_access(p, Offset, Buffer, Length, write)) ? Length : 0;
}

static ULONG bus_get_data(PVOID Context, ULONG DataType, PVOID Buffer, ULONG Offset, ULONG Length)
{
	return bus_data(Context, DataType, Buffer, Offset, Length, false);
}

static ULONG bus_set_data(PVOID Context, ULONG DataType, PVOID Buffer, ULONG Offset, ULONG Length)
{
	return bus_data(Context, DataType, Buffer, Offset, Length, true);
}

static NTSTATUS query_interface(struct vpci_pdo *p, PIRP irp, PIO_STACK_LOCATION sl)
{
	const GUID *type = sl->Parameters.QueryInterface.InterfaceType;
	PINTERFACE iface = sl->Parameters.QueryInterface.Interface;
	USHORT size = sl->Parameters.QueryInterface.Size;
	USHORT version = sl->Parameters.QueryInterface.Version;

	if (!type)
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
	if (IsEqualGUID(type, &GUID_VPCI_INTERFACE_STANDARD)) {
		PVPCI_INTERFACE_STANDARD v = (PVPCI_INTERFACE_STANDARD)iface;

		if (!p->dev)
			return complete(irp, STATUS_NO_SUCH_DEVICE, 0);
		if (!v || size < sizeof(*v) || version < VPCI_PDO_INTERFACE_VERSION) {
			log_warn(TOPIC, "%s: GUID_VPCI_INTERFACE_STANDARD asked with size %u version %u (need %zu, %u)",
				 p->name, size, version, sizeof(*v), VPCI_PDO_INTERFACE_VERSION);
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		}
		memset(v, 0, sizeof(*v));
		v->Size = sizeof(*v);
		v->Version = VPCI_PDO_INTERFACE_VERSION;
		v->Context = p->ctx;
		v->InterfaceReference = iface_reference;
		v->InterfaceDereference = iface_dereference;
		v->WriteVfConfigBlock = iface_write_block;
		v->ReadVfConfigBlock = iface_read_block;
		v->SerialNumber = p->info.serial;
		iface_reference(p->ctx);	/* an interface is handed out referenced */
		p->st.interface_queries++;
		log_info(TOPIC, "%s: GUID_VPCI_INTERFACE_STANDARD handed out (serial number %u)", p->name,
			 p->info.serial);
		return complete(irp, STATUS_SUCCESS, 0);
	}
	if (IsEqualGUID(type, &GUID_BUS_INTERFACE_STANDARD)) {
		PBUS_INTERFACE_STANDARD b = (PBUS_INTERFACE_STANDARD)iface;

		if (!p->dev)
			return complete(irp, STATUS_NO_SUCH_DEVICE, 0);
		if (!b || size < sizeof(*b) || version < 1)
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		memset(b, 0, sizeof(*b));
		b->Size = sizeof(*b);
		b->Version = 1;
		b->Context = p->ctx;
		b->InterfaceReference = iface_reference;
		b->InterfaceDereference = iface_dereference;
		b->TranslateBusAddress = bus_translate;
		b->GetDmaAdapter = bus_get_dma_adapter;
		b->SetBusData = bus_set_data;
		b->GetBusData = bus_get_data;
		iface_reference(p->ctx);
		return complete(irp, STATUS_SUCCESS, 0);
	}
	/* Not an interface this bus has: the status stays what it was. */
	return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
}

/* ---- IOCTL_VPCI_* ------------------------------------------------------------------------ */
NTSTATUS vpci_pdo_parse_ioctl(const IO_STACK_LOCATION *sl, PVOID user_buffer, struct vpci_ioctl_req *req)
{
	ULONG in_len = sl->Parameters.DeviceIoControl.InputBufferLength;
	ULONG out_len = sl->Parameters.DeviceIoControl.OutputBufferLength;
	PVOID in = sl->Parameters.DeviceIoControl.Type3InputBuffer;

	memset(req, 0, sizeof(*req));
	req->code = sl->Parameters.DeviceIoControl.IoControlCode;
	switch (req->code) {
	case IOCTL_VPCI_READ_BLOCK: {
		VPCI_READ_BLOCK_INPUT r;

		if (in_len < sizeof(r))
			return STATUS_BUFFER_TOO_SMALL;
		if (!in || !user_buffer)
			return STATUS_INVALID_PARAMETER;
		memcpy(&r, in, sizeof(r));
		if (!r.BytesRequested || r.BytesRequested > VPCI_MAX_READ_WRITE_BLOCK_SIZE)
			return STATUS_INVALID_PARAMETER;
		if (out_len < r.BytesRequested)
			return STATUS_BUFFER_TOO_SMALL;
		req->block_id = r.BlockId;
		req->length = r.BytesRequested;
		req->data = user_buffer;
		return STATUS_SUCCESS;
	}
	case IOCTL_VPCI_WRITE_BLOCK: {
		VPCI_WRITE_BLOCK_INPUT w;

		if (in_len < offsetof(VPCI_WRITE_BLOCK_INPUT, Data))
			return STATUS_BUFFER_TOO_SMALL;
		if (!in)
			return STATUS_INVALID_PARAMETER;
		memcpy(&w, in, offsetof(VPCI_WRITE_BLOCK_INPUT, Data));
		if (!w.DataLength || w.DataLength > VPCI_MAX_READ_WRITE_BLOCK_SIZE)
			return STATUS_INVALID_PARAMETER;
		if (in_len < offsetof(VPCI_WRITE_BLOCK_INPUT, Data) + (size_t)w.DataLength)
			return STATUS_BUFFER_TOO_SMALL;
		req->block_id = w.BlockId;
		req->length = w.DataLength;
		req->data = (PUCHAR)in + offsetof(VPCI_WRITE_BLOCK_INPUT, Data);
		return STATUS_SUCCESS;
	}
	case IOCTL_VPCI_INVALIDATE_BLOCK:
		if (in_len < sizeof(VPCI_INVALIDATE_BLOCK_OUTPUT))
			return STATUS_BUFFER_TOO_SMALL;
		if (!in)
			return STATUS_INVALID_PARAMETER;
		req->out = in;
		return STATUS_SUCCESS;
	default:
		return STATUS_INVALID_DEVICE_REQUEST;
	}
}

static void unlink_pending(struct vpci_pdo *p, PIRP irp)
{
	for (unsigned i = 0; i < p->n_pending; i++)
		if (p->pending[i] == irp) {
			memmove(&p->pending[i], &p->pending[i + 1], (p->n_pending - i - 1) * sizeof(PIRP));
			p->n_pending--;
			return;
		}
}

static VOID invalidate_cancel(PDEVICE_OBJECT dev, PIRP irp)
{
	struct vpci_pdo *p = pdo_of(dev);

	IoReleaseCancelSpinLock(irp->CancelIrql);
	if (p) {
		unlink_pending(p, irp);
		log_info(TOPIC, "%s: pending IOCTL_VPCI_INVALIDATE_BLOCK cancelled", p->name);
	}
	complete(irp, STATUS_CANCELLED, 0);
}

/* Complete pending INVALIDATE_BLOCK IRPs while there is a mask to give. */
static void deliver(struct vpci_pdo *p)
{
	while (p->mask && p->n_pending) {
		PIRP irp = p->pending[0];
		PVPCI_INVALIDATE_BLOCK_OUTPUT out;

		unlink_pending(p, irp);
		if (!IoSetCancelRoutine(irp, NULL))
			continue;	/* being cancelled */
		out = IoGetCurrentIrpStackLocation(irp)->Parameters.DeviceIoControl.Type3InputBuffer;
		out->BlockMask = p->mask;
		log_info(TOPIC, "%s: IOCTL_VPCI_INVALIDATE_BLOCK completed with mask 0x%llx", p->name,
			 (unsigned long long)p->mask);
		p->mask = 0;
		p->st.invalidates_delivered++;
		complete(irp, STATUS_SUCCESS, 0);
	}
}

static void fail_pending(struct vpci_pdo *p, NTSTATUS st)
{
	while (p->n_pending) {
		PIRP irp = p->pending[0];

		unlink_pending(p, irp);
		if (IoSetCancelRoutine(irp, NULL))
			complete(irp, st, 0);
	}
}

static NTSTATUS dispatch_ioctl(PDEVICE_OBJECT d, PIRP irp)
{
	struct vpci_pdo *p = pdo_of(d);
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	struct vpci_ioctl_req req;
	uint32_t vst = 0;
	NTSTATUS st;
	int rc;

	if (!p)
		return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	st = vpci_pdo_parse_ioctl(sl, irp->UserBuffer, &req);
	if (!NT_SUCCESS(st)) {
		if (st != STATUS_INVALID_DEVICE_REQUEST)
			p->st.ioctls_refused++;
		log_warn(TOPIC, "%s: internal IOCTL 0x%x refused: 0x%x", p->name, req.code, (unsigned)st);
		return complete(irp, st, 0);
	}
	if (!p->dev)
		return complete(irp, STATUS_NO_SUCH_DEVICE, 0);
	switch (req.code) {
	case IOCTL_VPCI_READ_BLOCK:
		p->st.block_reads++;
		rc = vpci_vsc_read_block(p->dev, req.block_id, req.data, req.length, &vst);
		return complete(irp, vsc_status(rc, vst), rc ? 0 : req.length);
	case IOCTL_VPCI_WRITE_BLOCK:
		p->st.block_writes++;
		rc = vpci_vsc_write_block(p->dev, req.block_id, req.data, req.length, &vst);
		return complete(irp, vsc_status(rc, vst), rc ? 0 : req.length);
	default:	/* IOCTL_VPCI_INVALIDATE_BLOCK */
		if (p->mask) {
			req.out->BlockMask = p->mask;
			p->mask = 0;
			p->st.invalidates_delivered++;
			return complete(irp, STATUS_SUCCESS, 0);
		}
		if (p->n_pending == VPCI_PDO_MAX_PENDING) {
			log_warn(TOPIC, "%s: %u IOCTL_VPCI_INVALIDATE_BLOCK already pending; refused", p->name,
				 p->n_pending);
			return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
		}
		IoMarkIrpPending(irp);
		(void)IoSetCancelRoutine(irp, invalidate_cancel);
		p->pending[p->n_pending++] = irp;
		log_debug(TOPIC, "%s: IOCTL_VPCI_INVALIDATE_BLOCK pending", p->name);
		return STATUS_PENDING;
	}
}

/* ---- PnP ------------------------------------------------------------------------------- */
static NTSTATUS query_id(struct vpci_pdo *p, PIRP irp, BUS_QUERY_ID_TYPE t)
{
	const struct vpci_func_info *f = &p->info;
	char ids[5][96];
	char *v[5];
	size_t n = 0;
	PWCHAR w;

	switch (t) {
	case BusQueryDeviceID:
	case BusQueryHardwareIDs:
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X&SUBSYS_%08X&REV_%02X", f->vendor_id,
			 f->device_id, f->subsystem_id, f->revision);
		if (t == BusQueryDeviceID)
			break;
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X&SUBSYS_%08X", f->vendor_id, f->device_id,
			 f->subsystem_id);
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X&REV_%02X", f->vendor_id, f->device_id,
			 f->revision);
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\VEN_%04X&DEV_%04X", f->vendor_id, f->device_id);
		break;
	case BusQueryCompatibleIDs:
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\CC_%02X%02X%02X", f->base_class, f->subclass, f->prog_if);
		snprintf(ids[n++], sizeof(ids[0]), "PCI\\CC_%02X%02X", f->base_class, f->subclass);
		break;
	case BusQueryInstanceID:
		snprintf(ids[n++], sizeof(ids[0]), "%08X", f->serial);
		break;
	default:
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
	}
	for (size_t i = 0; i < n; i++)
		v[i] = ids[i];
	w = multi_sz(v, n);
	if (!w)
		return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
	return complete(irp, STATUS_SUCCESS, (ULONG_PTR)w);
}

static NTSTATUS dispatch_pnp(PDEVICE_OBJECT d, PIRP irp)
{
	struct vpci_pdo *p = pdo_of(d);
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(irp);
	PDEVICE_RELATIONS rel;
	NTSTATUS st;

	if (!p)
		return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
	switch (sl->MinorFunction) {
	case IRP_MN_START_DEVICE:
		return complete(irp, p->dev ? STATUS_SUCCESS : STATUS_NO_SUCH_DEVICE, 0);
	case IRP_MN_QUERY_ID:
		return query_id(p, irp, sl->Parameters.QueryId.IdType);
	case IRP_MN_QUERY_INTERFACE:
		return query_interface(p, irp, sl);
	case IRP_MN_READ_CONFIG:
	case IRP_MN_WRITE_CONFIG:
		if (sl->Parameters.ReadWriteConfig.WhichSpace != PCI_WHICHSPACE_CONFIG)
			return complete(irp, STATUS_INVALID_PARAMETER, 0);
		st = cfg_access(p, sl->Parameters.ReadWriteConfig.Offset, sl->Parameters.ReadWriteConfig.Buffer,
				sl->Parameters.ReadWriteConfig.Length, sl->MinorFunction == IRP_MN_WRITE_CONFIG);
		return complete(irp, st, NT_SUCCESS(st) ? sl->Parameters.ReadWriteConfig.Length : 0);
	case IRP_MN_QUERY_DEVICE_RELATIONS:
		if (sl->Parameters.QueryDeviceRelations.Type != TargetDeviceRelation)
			break;
		rel = ExAllocatePoolWithTag(PagedPool, sizeof(*rel), 0x69637076);
		if (!rel)
			return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
		rel->Count = 1;
		rel->Objects[0] = d;
		return complete(irp, STATUS_SUCCESS, (ULONG_PTR)rel);
	case IRP_MN_QUERY_REMOVE_DEVICE:
	case IRP_MN_CANCEL_REMOVE_DEVICE:
		return complete(irp, STATUS_SUCCESS, 0);
	case IRP_MN_SURPRISE_REMOVAL:
		fail_pending(p, STATUS_NO_SUCH_DEVICE);
		return complete(irp, STATUS_SUCCESS, 0);
	case IRP_MN_REMOVE_DEVICE:
		/* The PDO itself stays until the bus no longer has the function
		 * (vpci_bus deletes it then); what was waiting on it fails now. */
		fail_pending(p, p->dev ? STATUS_DELETE_PENDING : STATUS_NO_SUCH_DEVICE);
		return complete(irp, STATUS_SUCCESS, 0);
	default:
		break;
	}
	/* A PDO completes what it does not handle with the status it carries. */
	return complete(irp, irp->IoStatus.Status, irp->IoStatus.Information);
}

static NTSTATUS driver_init(PDRIVER_OBJECT drv, void *ctx)
{
	(void)ctx;
	drv->MajorFunction[IRP_MJ_PNP] = dispatch_pnp;
	drv->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = dispatch_ioctl;
	return STATUS_SUCCESS;
}

/* ---- the VSC's callbacks ------------------------------------------------------------------ */
static struct vpci_pdo *find_dev(struct vpci_bus *bus, const struct vpci_vsc_dev *dev)
{
	for (struct vpci_pdo *p = bus->pdos; p; p = p->next)
		if (p->dev == dev)
			return p;
	return NULL;
}

static void on_invalidate(struct vpci_vsc_dev *dev, uint64_t mask, void *arg)
{
	struct vpci_pdo *p = arg;

	(void)dev;
	p->mask |= mask;
	log_info(TOPIC, "%s: the PF invalidated config blocks 0x%llx (%u IOCTL(s) pending)", p->name,
		 (unsigned long long)mask, p->n_pending);
	deliver(p);
}

static void on_arrival(struct vpci_vsc_dev *dev, void *arg)
{
	struct vpci_bus *bus = arg;
	const struct vpci_func_info *f = vpci_vsc_dev_info(dev);
	struct vpci_pdo *p;
	PDEVICE_OBJECT pdo;
	UNICODE_STRING name;
	WCHAR wname[48];
	char cname[48];
	size_t i;
	int rc;
	TRACE_SCOPE("vm-start", "guest PDO", "serial=%u slot=0x%x vendor=0x%04x device=0x%04x", f->serial, f->slot,
		    f->vendor_id, f->device_id);

	snprintf(cname, sizeof(cname), "vpci(serial %u)", f->serial);
	for (i = 0; cname[i] && i < sizeof(wname) / sizeof(wname[0]); i++)
		wname[i] = (WCHAR)(unsigned char)cname[i];
	name.Buffer = wname;
	name.Length = (USHORT)(i * sizeof(WCHAR));
	name.MaximumLength = (USHORT)sizeof(wname);
	if (!NT_SUCCESS(IoCreateDevice(bus->drv, sizeof(*p), &name, FILE_DEVICE_BUS_EXTENDER, 0, FALSE, &pdo))) {
		log_error(TOPIC, "%s: no memory for a PDO", cname);
		return;
	}
	p = pdo->DeviceExtension;
	memset(p, 0, sizeof(*p));
	p->ctx = calloc(1, sizeof(*p->ctx));
	if (!p->ctx) {
		IoDeleteDevice(pdo);
		return;
	}
	p->ctx->magic = CTX_MAGIC;
	p->ctx->pdo = p;
	p->magic = PDO_MAGIC;
	p->bus = bus;
	p->self = pdo;
	p->dev = dev;
	p->info = *f;
	snprintf(p->name, sizeof(p->name), "%s", cname);
	shadow_build(p);
	p->next = bus->pdos;
	bus->pdos = p;
	pdo->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
	vpci_vsc_dev_set_invalidate(dev, on_invalidate, p);
	log_info(TOPIC, "%s: PDO for PCI\\VEN_%04X&DEV_%04X (slot 0x%x)", p->name, f->vendor_id, f->device_id, f->slot);
	rc = pnp_device_arrived(bus->pm, pdo, &p->dn);
	if (rc)
		log_error(TOPIC, "%s: the PnP manager refused the PDO: %d", p->name, rc);
}

static int on_eject(struct vpci_vsc_dev *dev, void *arg)
{
	struct vpci_pdo *p = find_dev(arg, dev);

	if (!p || !p->dn)
		return 0;
	log_info(TOPIC, "%s: the host asks to eject it: IRP_MN_QUERY_REMOVE_DEVICE", p->name);
	return pnp_device_query_remove(p->dn) ? -EBUSY : 0;
}

static void pdo_delete(struct vpci_bus *bus, struct vpci_pdo *p)
{
	struct vpci_pdo **pp;

	for (pp = &bus->pdos; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->dev)
		vpci_vsc_dev_set_invalidate(p->dev, NULL, NULL);
	p->dev = NULL;
	fail_pending(p, STATUS_NO_SUCH_DEVICE);
	p->ctx->pdo = NULL;
	if (!p->ctx->refs) {
		p->ctx->magic = 0;
		free(p->ctx);
	} else {
		log_info(TOPIC, "%s: deleted with %u interface reference(s) outstanding", p->name, p->ctx->refs);
	}
	p->magic = 0;
	IoDeleteDevice(p->self);
}

static void remove_pdo(struct vpci_bus *bus, struct vpci_pdo *p, bool surprise)
{
	if (p->dn) {
		int rc = pnp_device_remove(p->dn, surprise);

		if (rc == -EBUSY)
			rc = pnp_device_remove(p->dn, true);	/* the function is gone regardless */
		if (rc)
			log_error(TOPIC, "%s: removal failed: %d", p->name, rc);
		p->dn = NULL;
	}
	pdo_delete(bus, p);
}

static void on_removal(struct vpci_vsc_dev *dev, bool surprise, void *arg)
{
	struct vpci_bus *bus = arg;
	struct vpci_pdo *p = find_dev(bus, dev);

	if (!p)
		return;
	log_info(TOPIC, "%s: the function left the bus (%s)", p->name, surprise ? "surprise" : "ejected");
	remove_pdo(bus, p, surprise);
}

/* ---- API ------------------------------------------------------------------------------------ */
int vpci_bus_create(const struct vpci_bus_config *cfg, struct vpci_bus **out)
{
	struct vpci_bus *bus;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->pm)
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->pm = cfg->pm;
	bus->dma = cfg->dma;
	rc = pnp_driver_create(cfg->pm, "vpci", driver_init, bus, &bus->drv);
	if (rc) {
		free(bus);
		return rc;
	}
	*out = bus;
	return 0;
}

void vpci_bus_vsc_config(struct vpci_bus *bus, struct vpci_vsc_config *cfg)
{
	cfg->arrival = on_arrival;
	cfg->eject = on_eject;
	cfg->removal = on_removal;
	cfg->arg = bus;
}

void vpci_bus_destroy(struct vpci_bus *bus)
{
	if (!bus)
		return;
	while (bus->pdos)
		remove_pdo(bus, bus->pdos, true);
	free(bus);
}

size_t vpci_bus_pdo_count(const struct vpci_bus *bus)
{
	size_t n = 0;

	for (const struct vpci_pdo *p = bus->pdos; p; p = p->next)
		n++;
	return n;
}

PDEVICE_OBJECT vpci_bus_pdo_at(const struct vpci_bus *bus, size_t i)
{
	const struct vpci_pdo *p = bus->pdos;

	while (p && i--)
		p = p->next;
	return p ? p->self : NULL;
}

PDEVICE_OBJECT vpci_bus_find_pdo(const struct vpci_bus *bus, uint32_t serial)
{
	for (const struct vpci_pdo *p = bus->pdos; p; p = p->next)
		if (p->info.serial == serial)
			return p->self;
	return NULL;
}

PDRIVER_OBJECT vpci_bus_driver(const struct vpci_bus *bus)
{
	return bus->drv;
}

int vpci_pdo_get_stats(const struct vpci_bus *bus, PDEVICE_OBJECT pdo, struct vpci_pdo_stats *st)
{
	for (const struct vpci_pdo *p = bus->pdos; p; p = p->next)
		if (p->self == pdo) {
			*st = p->st;
			st->pending = p->n_pending;
			st->undelivered_mask = p->mask;
			return 0;
		}
	return -ENODEV;
}
