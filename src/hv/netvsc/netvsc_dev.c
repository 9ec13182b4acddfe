/*
 * The synthetic NIC's device in the guest partition (netvsc_dev.h): its PDO,
 * the IRP_MN_QUERY_INTERFACE(GUID_NETVSC_CHANNEL_INTERFACE) answer, and the
 * thin layer that turns netvsc.sys's calls on that interface into calls of
 * the NVSP engine (netvsc_proto.h) and the engine's callbacks into the
 * miniport's. Like src/ndis/api_*.c, this file is a boundary: Windows types
 * on the driver side, errno and lowercase on the lab side, each result
 * mapped once (dev_status()).
 *
 * Re-entry: the engine is single-threaded and not re-entrant. Its callbacks
 * run inside its poll and its switches, and a VF flush runs the partition's
 * pump while a switch is in progress, so driver code can find itself
 * calling the interface while the engine is below it on the stack. Every
 * call that would enter the engine counts a depth; a nested one is refused
 * with STATUS_DEVICE_BUSY and marks idle work, and when the outermost call
 * returns the miniport's ChannelIdle runs (once, or again while new work
 * was marked meanwhile). Pure state calls (SetVf, QueryVfSerial,
 * QueryDataPath) are allowed at any depth.
 */
#include "hv/netvsc/netvsc_dev.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/trace.h"
#include "hv/netvsc/netvsc_channel.h"

#define DEV_TOPIC "lab.hv.netvsc.dev"
#define DEV_TIMEOUT_DEFAULT 5000

const char netvsc_dev_hardware_id[] = NETVSC_HARDWARE_ID;

/* The engine's frame and the driver's frame are the same two words. */
_Static_assert(sizeof(struct nvsp_frame) == sizeof(NETVSC_FRAME), "frame layout");
_Static_assert(offsetof(struct nvsp_frame, data) == offsetof(NETVSC_FRAME, Data), "frame layout");
_Static_assert(offsetof(struct nvsp_frame, len) == offsetof(NETVSC_FRAME, Length), "frame layout");

struct netvsc_dev {
	/* The PDO first: the dispatch routine gets it back from DeviceObject. */
	DEVICE_OBJECT pdo;
	DRIVER_OBJECT bus_driver;	/* "\Driver\vmbus" as far as this PDO is concerned */

	char name[48];
	struct netvsc_dev_config cfg;
	struct netvsc_proto *nc;	/* while the miniport has the channel open */

	const NETVSC_CHANNEL_CALLBACKS *cb;
	void *cb_ctx;
	const NETVSC_VF_CALLBACKS *vf;
	void *vf_ctx;

	unsigned depth;			/* engine calls on the stack */
	bool idle_pending;		/* ChannelIdle owed once depth is 0 */
	bool in_idle;
	bool rescind_reported;
	unsigned refs;			/* InterfaceReference count */
	uint64_t busy_refusals;
};

static struct netvsc_dev *dev_of(PVOID Context)
{
	return Context;
}

/* errno -> NTSTATUS, once for every interface call. */
static NTSTATUS dev_status(int err)
{
	switch (err) {
	case 0:
		return STATUS_SUCCESS;
	case -EAGAIN:
	case -EBUSY:
		return STATUS_DEVICE_BUSY;
	case -ENOENT:
		return STATUS_OBJECT_NAME_NOT_FOUND;
	case -ENXIO:
		return STATUS_NO_SUCH_DEVICE;
	case -EOPNOTSUPP:
	case -EPROTONOSUPPORT:
		return STATUS_NOT_SUPPORTED;
	case -ETIMEDOUT:
		return STATUS_IO_TIMEOUT;
	case -ENODEV:
		return STATUS_DEVICE_REMOVED;
	case -EINVAL:
		return STATUS_INVALID_PARAMETER;
	case -ENOMEM:
		return STATUS_INSUFFICIENT_RESOURCES;
	default:
		return STATUS_UNSUCCESSFUL;
	}
}

/* ---- depth and idle work ----------------------------------------------- */
static bool dev_enter(struct netvsc_dev *d)
{
	if (d->depth > 0) {
		d->busy_refusals++;
		d->idle_pending = true;
		return false;
	}
	d->depth++;
	return true;
}

static void dev_leave(struct netvsc_dev *d)
{
	if (--d->depth > 0 || d->in_idle)
		return;
	while (d->idle_pending && d->cb && d->cb->ChannelIdle) {
		d->idle_pending = false;
		d->in_idle = true;
		d->cb->ChannelIdle(d->cb_ctx);
		d->in_idle = false;
	}
	d->idle_pending = false;
}

/* ---- engine callbacks -> miniport --------------------------------------- */
static void dev_rx(void *ctx, const struct nvsp_frame *frames, unsigned n)
{
	struct netvsc_dev *d = ctx;

	if (d->cb)
		d->cb->ReceiveFrames(d->cb_ctx, (const NETVSC_FRAME *)frames, n);
}

static void dev_link(void *ctx, bool up)
{
	struct netvsc_dev *d = ctx;

	if (d->cb && d->cb->LinkChange)
		d->cb->LinkChange(d->cb_ctx, up);
}

static void dev_assoc(void *ctx, bool allocated, uint32_t serial)
{
	struct netvsc_dev *d = ctx;

	d->idle_pending = true;	/* the miniport acts on it once the engine is idle */
	if (d->cb && d->cb->VfAssociation)
		d->cb->VfAssociation(d->cb_ctx, allocated, serial);
}

static const struct netvsc_proto_ops dev_proto_ops = { dev_rx, dev_link, dev_assoc };

/* ---- engine -> the VF edge ---------------------------------------------- */
static int dev_vf_tx(void *ctx, const struct nvsp_frame *frames, unsigned n)
{
	struct netvsc_dev *d = ctx;
	ULONG taken = 0;
	NTSTATUS st;

	if (!d->vf)
		return -ENXIO;
	st = d->vf->Send(d->vf_ctx, (const NETVSC_FRAME *)frames, n, &taken);
	if (!NT_SUCCESS(st) && !taken)
		return st == STATUS_DEVICE_REMOVED ? -ENODEV : st == STATUS_DEVICE_BUSY ? -EAGAIN : -EIO;
	return (int)taken;
}

static int dev_vf_flush(void *ctx, int timeout_ms)
{
	struct netvsc_dev *d = ctx;
	NTSTATUS st;

	if (!d->vf)
		return 0;
	st = d->vf->Flush(d->vf_ctx, timeout_ms < 0 ? 0 : (ULONG)timeout_ms);
	return NT_SUCCESS(st) ? 0 : st == STATUS_IO_TIMEOUT ? -ETIMEDOUT : -EIO;
}

static const struct netvsc_vf_ops dev_vf_ops = { dev_vf_tx, dev_vf_flush };

/* ---- the interface ------------------------------------------------------ */
static VOID ifc_reference(PVOID Context)
{
	dev_of(Context)->refs++;
}

static VOID ifc_dereference(PVOID Context)
{
	struct netvsc_dev *d = dev_of(Context);

	if (d->refs)
		d->refs--;
}

static NTSTATUS ifc_open(PVOID Context, const NETVSC_CHANNEL_CALLBACKS *Callbacks, PVOID CallbackContext,
			 PNETVSC_CHANNEL_INFO Info)
{
	struct netvsc_dev *d = dev_of(Context);
	struct netvsc_proto_config pc;
	int err;

	if (!Callbacks || !Callbacks->ReceiveFrames || !Info)
		return STATUS_INVALID_PARAMETER;
	if (d->nc || d->depth)
		return STATUS_DEVICE_BUSY;
	memset(&pc, 0, sizeof(pc));
	pc.name = d->name;
	pc.mem = d->cfg.mem;
	pc.ring_gpa = d->cfg.ring_gpa;
	pc.ring_len = d->cfg.ring_len;
	pc.recv_buf_gpa = d->cfg.recv_buf_gpa;
	pc.recv_buf_len = d->cfg.recv_buf_len;
	pc.send_buf_gpa = d->cfg.send_buf_gpa;
	pc.send_buf_len = d->cfg.send_buf_len;
	pc.max_version = d->cfg.max_version;
	pc.mtu = d->cfg.mtu;
	pc.sriov = d->cfg.sriov;
	pc.timeout_ms = d->cfg.timeout_ms;
	pc.ops = &dev_proto_ops;
	pc.ctx = d;
	/* Callbacks may come during the handshake (an early VF association). */
	d->cb = Callbacks;
	d->cb_ctx = CallbackContext;
	d->rescind_reported = false;
	d->depth++;
	err = netvsc_proto_create(d->cfg.bus, &pc, &d->nc);
	if (err) {
		d->depth--;
		d->cb = NULL;
		d->cb_ctx = NULL;
		d->nc = NULL;
		log_warn(DEV_TOPIC, "%s: channel not opened: %s", d->name, strerror(-err));
		return dev_status(err);
	}
	memcpy(Info->MacAddress, netvsc_proto_mac(d->nc), 6);
	Info->MaxFrameSize = netvsc_proto_max_frame(d->nc) + 14u;
	Info->LinkUp = netvsc_proto_link_up(d->nc);
	Info->NvspVersion = netvsc_proto_version(d->nc);
	log_info(DEV_TOPIC, "%s: channel open for netvsc (NVSP 0x%x)", d->name, Info->NvspVersion);
	dev_leave(d);
	return STATUS_SUCCESS;
}

static VOID ifc_close(PVOID Context)
{
	struct netvsc_dev *d = dev_of(Context);

	if (!d->nc)
		return;
	if (d->depth)
		log_warn(DEV_TOPIC, "%s: channel closed from inside an engine call", d->name);
	netvsc_proto_destroy(d->nc);
	d->nc = NULL;
	d->cb = NULL;
	d->cb_ctx = NULL;
	d->vf = NULL;
	d->vf_ctx = NULL;
	d->idle_pending = false;
	log_info(DEV_TOPIC, "%s: channel closed", d->name);
}

static NTSTATUS ifc_send(PVOID Context, const NETVSC_FRAME *Frames, ULONG Count, PULONG Taken)
{
	struct netvsc_dev *d = dev_of(Context);
	int n;

	*Taken = 0;
	if (!d->nc)
		return STATUS_DEVICE_REMOVED;
	if (!dev_enter(d))
		return STATUS_DEVICE_BUSY;
	n = netvsc_proto_send(d->nc, (const struct nvsp_frame *)Frames, Count);
	dev_leave(d);
	if (n < 0)
		return dev_status(n);
	*Taken = (ULONG)n;
	return STATUS_SUCCESS;
}

static NTSTATUS ifc_set_vf(PVOID Context, const NETVSC_VF_CALLBACKS *Vf, PVOID VfContext)
{
	struct netvsc_dev *d = dev_of(Context);
	int err;

	if (!d->nc)
		return STATUS_DEVICE_REMOVED;
	if (Vf && (!Vf->Send || !Vf->Flush))
		return STATUS_INVALID_PARAMETER;
	err = netvsc_proto_set_vf(d->nc, Vf ? &dev_vf_ops : NULL, Vf ? d : NULL);
	if (err)
		return dev_status(err);
	d->vf = Vf;
	d->vf_ctx = Vf ? VfContext : NULL;
	return STATUS_SUCCESS;
}

static NTSTATUS ifc_switch(PVOID Context, BOOLEAN ToVf, ULONG TimeoutMs)
{
	struct netvsc_dev *d = dev_of(Context);
	int timeout = TimeoutMs > 60000 ? 60000 : (int)TimeoutMs;
	int err;

	if (!d->nc)
		return STATUS_DEVICE_REMOVED;
	if (!dev_enter(d))
		return STATUS_DEVICE_BUSY;
	err = ToVf ? netvsc_proto_switch_to_vf(d->nc, timeout) : netvsc_proto_switch_to_synthetic(d->nc, timeout);
	d->idle_pending = true;	/* sends held during the switch go now */
	dev_leave(d);
	return dev_status(err);
}

static BOOLEAN ifc_vf_serial(PVOID Context, PULONG Serial)
{
	struct netvsc_dev *d = dev_of(Context);
	uint32_t s = 0;
	bool yes = d->nc && netvsc_proto_vf_serial(d->nc, &s);

	/* NETVSCVFPP matches a VF's serial against this adapter's association (vf_main.c). */
	trace_instant("vm-start", "serial match", "nic=%s association=%s serial=%u", d->name, yes ? "yes" : "no", s);
	if (yes && Serial)
		*Serial = s;
	return yes;
}

static NETVSC_DATA_PATH ifc_data_path(PVOID Context)
{
	struct netvsc_dev *d = dev_of(Context);

	_Static_assert((int)NetvscDataPathRescinded == (int)NETVSC_DP_RESCINDED, "data path names");
	return d->nc ? (NETVSC_DATA_PATH)netvsc_proto_state(d->nc) : NetvscDataPathRescinded;
}

static NTSTATUS ifc_wait(PVOID Context, ULONG TimeoutMs)
{
	struct netvsc_dev *d = dev_of(Context);
	int rc;

	if (!d->cfg.pump)
		return STATUS_NOT_SUPPORTED;
	rc = d->cfg.pump(d->cfg.pump_ctx, TimeoutMs > 60000 ? 60000 : (int)TimeoutMs);
	return rc < 0 ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}

/* ---- the PDO's dispatch (IRP_MJ_PNP) ------------------------------------ */
static NTSTATUS dev_dispatch_pnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	struct netvsc_dev *d = (struct netvsc_dev *)DeviceObject;
	PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(Irp);
	PNETVSC_CHANNEL_INTERFACE ifc;

	if (sl->MinorFunction != IRP_MN_QUERY_INTERFACE || !sl->Parameters.QueryInterface.InterfaceType ||
	    !IsEqualGUID(sl->Parameters.QueryInterface.InterfaceType, &GUID_NETVSC_CHANNEL_INTERFACE))
		return Irp->IoStatus.Status;	/* a PDO leaves what it does not handle as it is */
	if (sl->Parameters.QueryInterface.Size < sizeof(NETVSC_CHANNEL_INTERFACE) ||
	    sl->Parameters.QueryInterface.Version != NETVSC_CHANNEL_INTERFACE_VERSION ||
	    !sl->Parameters.QueryInterface.Interface) {
		log_warn(DEV_TOPIC, "%s: channel interface query with size %u version %u refused", d->name,
			 sl->Parameters.QueryInterface.Size, sl->Parameters.QueryInterface.Version);
		return Irp->IoStatus.Status = STATUS_INVALID_PARAMETER;
	}
	ifc = (PNETVSC_CHANNEL_INTERFACE)sl->Parameters.QueryInterface.Interface;
	memset(ifc, 0, sizeof(*ifc));
	ifc->Size = sizeof(*ifc);
	ifc->Version = NETVSC_CHANNEL_INTERFACE_VERSION;
	ifc->Context = d;
	ifc->InterfaceReference = ifc_reference;
	ifc->InterfaceDereference = ifc_dereference;
	ifc->OpenChannel = ifc_open;
	ifc->CloseChannel = ifc_close;
	ifc->SendFrames = ifc_send;
	ifc->SetVf = ifc_set_vf;
	ifc->SwitchDataPath = ifc_switch;
	ifc->QueryVfSerial = ifc_vf_serial;
	ifc->QueryDataPath = ifc_data_path;
	ifc->Wait = ifc_wait;
	ifc_reference(d);	/* the querier dereferences when done */
	Irp->IoStatus.Information = 0;
	return Irp->IoStatus.Status = STATUS_SUCCESS;
}

/* ---- lab API ------------------------------------------------------------ */
int netvsc_dev_create(const struct netvsc_dev_config *cfg, struct netvsc_dev **out)
{
	struct netvsc_dev *d;

	*out = NULL;
	if (!cfg || !cfg->bus || !cfg->mem || !cfg->name)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	if (!d->cfg.timeout_ms)
		d->cfg.timeout_ms = DEV_TIMEOUT_DEFAULT;
	snprintf(d->name, sizeof(d->name), "%s", cfg->name);
	d->cfg.name = d->name;
	d->bus_driver.MajorFunction[IRP_MJ_PNP] = dev_dispatch_pnp;
	d->pdo.DriverObject = &d->bus_driver;
	d->pdo.DeviceType = FILE_DEVICE_BUS_EXTENDER;
	d->pdo.StackSize = 1;
	d->bus_driver.DeviceObject = &d->pdo;
	log_info(DEV_TOPIC, "%s: synthetic NIC PDO %s", d->name, netvsc_dev_hardware_id);
	*out = d;
	return 0;
}

void netvsc_dev_destroy(struct netvsc_dev *d)
{
	if (!d)
		return;
	if (d->nc) {
		log_warn(DEV_TOPIC, "%s: device removed with the channel still open (miniport not halted)", d->name);
		ifc_close(d);
	}
	if (d->refs)
		log_warn(DEV_TOPIC, "%s: device removed with %u reference(s) to its channel interface", d->name, d->refs);
	free(d);
}

void *netvsc_dev_pdo(struct netvsc_dev *d)
{
	return &d->pdo;
}

int netvsc_dev_poll(struct netvsc_dev *d, int timeout_ms)
{
	int n;

	if (!d->nc || d->depth)
		return 0;
	if (!dev_enter(d))
		return 0;
	n = netvsc_proto_poll(d->nc, timeout_ms);
	if (n > 0)
		d->idle_pending = true;	/* sections came back: held sends may go */
	if (n == -ENODEV && !d->rescind_reported) {
		d->rescind_reported = true;
		log_warn(DEV_TOPIC, "%s: channel rescinded", d->name);
		dev_link(d, false);
	}
	dev_leave(d);
	return n;
}

int netvsc_dev_wait_fd(const struct netvsc_dev *d)
{
	return d->nc && netvsc_proto_channel(d->nc) ? vmbus_chan_wait_fd(netvsc_proto_channel(d->nc)) : -1;
}

struct netvsc_proto *netvsc_dev_proto(const struct netvsc_dev *d)
{
	return d->nc;
}

uint64_t netvsc_dev_busy_refusals(const struct netvsc_dev *d)
{
	return d->busy_refusals;
}
