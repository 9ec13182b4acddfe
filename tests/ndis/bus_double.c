/*
 * Test double of the framework's lower edges (bus_double.h). Behaviour
 * follows the documented contracts the real providers implement: config
 * space bounded to 256 bytes, NdisMEnableVirtualization rules of the PCI
 * virtualization interface (NumVFs 1..TotalVFs when enabling), vPCI block
 * length <= 128.
 */
#include <errno.h>
#include <string.h>

#include "bus_double.h"

#define TOTAL_VFS 8

static int config_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	struct bus_double *b = ctx;

	if (off >= sizeof(b->config) || len > sizeof(b->config) - off)
		return -EINVAL;
	memcpy(buf, b->config + off, len);
	return (int)len;
}

static int config_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	struct bus_double *b = ctx;

	if (off >= sizeof(b->config) || len > sizeof(b->config) - off)
		return -EINVAL;
	memcpy(b->config + off, buf, len);
	return (int)len;
}

static int vf_config_read(void *ctx, uint16_t vf, uint32_t off, void *buf, uint32_t len)
{
	struct bus_double *b = ctx;

	if (!b->virt_enabled || vf >= b->num_vfs || off >= 256 || len > 256 - off)
		return -EINVAL;
	memcpy(buf, b->vf_config[vf] + off, len);
	return (int)len;
}

static int vf_config_write(void *ctx, uint16_t vf, uint32_t off, const void *buf, uint32_t len)
{
	struct bus_double *b = ctx;

	if (!b->virt_enabled || vf >= b->num_vfs || off >= 256 || len > 256 - off)
		return -EINVAL;
	memcpy(b->vf_config[vf] + off, buf, len);
	return (int)len;
}

static int vf_location(void *ctx, uint16_t vf, uint16_t *segment, uint8_t *bus, uint8_t *function)
{
	struct bus_double *b = ctx;

	if (vf >= b->num_vfs)
		return -EINVAL;
	*segment = 0;
	*bus = 3;
	*function = (uint8_t)(1 + vf);	/* First VF Offset 1, VF Stride 1 */
	return 0;
}

static int enable_virtualization(void *ctx, uint16_t num_vfs, bool enable)
{
	struct bus_double *b = ctx;

	b->enable_calls++;
	if (enable && (num_vfs == 0 || num_vfs > TOTAL_VFS))
		return -EINVAL;
	b->virt_enabled = enable;
	b->num_vfs = enable ? num_vfs : 0;
	return 0;
}

static int query_probed_bars(void *ctx, uint32_t values[6])
{
	struct bus_double *b = ctx;

	memcpy(values, b->probed, sizeof(b->probed));
	return 0;
}

static int map_io_space(void *ctx, uint64_t phys, uint32_t len, void **va)
{
	struct bus_double *b = ctx;

	if (phys != b->bar_phys || len > sizeof(b->bar))
		return -EINVAL;
	b->maps++;
	*va = b->bar;
	return 0;
}

static void unmap_io_space(void *ctx, void *va, uint32_t len)
{
	struct bus_double *b = ctx;

	(void)va;
	(void)len;
	b->unmaps++;
}

static int mmio_read(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
	struct bus_double *b = ctx;
	uint32_t v = 0;

	b->mmio_reads++;
	memcpy(&v, b->bar + (phys - b->bar_phys), size);
	*value = v;
	return 0;
}

static int mmio_write(void *ctx, uint64_t phys, unsigned size, uint64_t value)
{
	struct bus_double *b = ctx;
	uint32_t v = (uint32_t)value;

	b->mmio_writes++;
	b->last_write_phys = phys;
	b->last_write_value = value;
	memcpy(b->bar + (phys - b->bar_phys), &v, size);
	return 0;
}

const struct ndis_bus_ops bus_double_ops = {
	.config_read = config_read,
	.config_write = config_write,
	.vf_config_read = vf_config_read,
	.vf_config_write = vf_config_write,
	.vf_location = vf_location,
	.enable_virtualization = enable_virtualization,
	.query_probed_bars = query_probed_bars,
	.map_io_space = map_io_space,
	.unmap_io_space = unmap_io_space,
	.mmio_read = mmio_read,
	.mmio_write = mmio_write,
};

void bus_double_init(struct bus_double *b)
{
	memset(b, 0, sizeof(*b));
	b->config[0] = 0xb4;	/* vendor 0x1ab4 */
	b->config[1] = 0x1a;
	b->config[2] = 0xed;
	b->config[3] = 0x10;
	for (int i = 0; i < 8; i++)
		b->vf_config[i][0] = (uint8_t)(0x40 + i);
	b->probed[0] = 0xffffc000;	/* 16 KiB 32-bit memory BAR */
	b->bar_phys = 0xfe000000;
}

/* ---- vPCI ------------------------------------------------------------------ */
static NTSTATUS read_block(PVOID ctx, ULONG id, PVOID buf, ULONG len)
{
	struct vpci_double *v = ctx;

	if (id >= 4 || len > 128)
		return STATUS_INVALID_PARAMETER;
	v->block_reads++;
	memcpy(buf, v->blocks[id], len);
	return STATUS_SUCCESS;
}

static NTSTATUS write_block(PVOID ctx, ULONG id, PVOID buf, ULONG len)
{
	struct vpci_double *v = ctx;

	if (id >= 4 || len > 128)
		return STATUS_INVALID_PARAMETER;
	v->block_writes++;
	memcpy(v->blocks[id], buf, len);
	return STATUS_SUCCESS;
}

static int query_interface(void *ctx, VPCI_INTERFACE_STANDARD *iface)
{
	struct vpci_double *v = ctx;

	if (!v->answers)
		return -ENOTSUP;
	memset(iface, 0, sizeof(*iface));
	iface->Size = sizeof(*iface);
	iface->Version = 1;
	iface->Context = v;
	iface->ReadVfConfigBlock = read_block;
	iface->WriteVfConfigBlock = write_block;
	iface->SerialNumber = v->serial;
	return 0;
}

const struct ndis_vpci_ops vpci_double_ops = { .query_interface = query_interface };

void vpci_double_init(struct vpci_double *v, uint32_t serial)
{
	memset(v, 0, sizeof(*v));
	v->answers = true;
	v->serial = serial;
	for (int i = 0; i < 16; i++)
		v->blocks[0][i] = (uint8_t)(0xa0 + i);
}

/* ---- virtualization stack ---------------------------------------------------- */
static void invalidate(void *ctx, struct ndis_adapter *pf, uint16_t vf, uint64_t mask)
{
	struct virt_double *d = ctx;

	(void)pf;
	d->invalidations++;
	d->vf = vf;
	d->mask |= mask;
}

const struct ndis_virt_ops virt_double_ops = { .invalidate_config_block = invalidate };
