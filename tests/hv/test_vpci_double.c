/*
 * The backend test double (see test_vpci_double.h). Statuses are the
 * NDIS_STATUS values a PF miniport returns: NDIS_STATUS_INVALID_PARAMETER
 * for an unknown VF or block id, as the OID pages prescribe
 * (ndis-sriov-spec.md 3.3).
 */
#include <string.h>

#include "test_vpci_double.h"

static uint32_t check_vf(struct vpci_double *d, uint16_t vf_id)
{
	if (vf_id == DOUBLE_VF_ID)
		return VPCI_STATUS_SUCCESS;
	d->bad_vf_ids++;
	return VPCI_STATUS_INVALID_PARAMETER;
}

static uint32_t read_cfg(void *ctx, uint16_t vf_id, uint32_t offset, void *buf, uint32_t len)
{
	struct vpci_double *d = ctx;

	d->n_cfg_read++;
	if (d->on_cfg_read)
		d->on_cfg_read(d, d->hook_arg);
	d->last_read_off = offset;
	d->last_read_len = len;
	if (check_vf(d, vf_id) || offset >= VPCI_CFG_SPACE_SIZE || len > VPCI_CFG_SPACE_SIZE - offset)
		return VPCI_STATUS_INVALID_PARAMETER;
	memcpy(buf, d->cfg + offset, len);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t write_cfg(void *ctx, uint16_t vf_id, uint32_t offset, const void *buf,
			  uint32_t len)
{
	struct vpci_double *d = ctx;

	d->n_cfg_write++;
	d->last_write_off = offset;
	d->last_write_len = len;
	if (check_vf(d, vf_id) || offset >= VPCI_CFG_SPACE_SIZE || len > VPCI_CFG_SPACE_SIZE - offset)
		return VPCI_STATUS_INVALID_PARAMETER;
	memcpy(d->cfg + offset, buf, len);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t read_block(void *ctx, uint16_t vf_id, uint32_t block_id, void *buf, uint32_t len)
{
	struct vpci_double *d = ctx;

	d->n_blk_read++;
	if (check_vf(d, vf_id) || block_id >= DOUBLE_BLOCKS || len > VPCI_BLOCK_MAX)
		return VPCI_STATUS_INVALID_PARAMETER;
	memcpy(buf, d->blocks[block_id], len);
	return VPCI_STATUS_SUCCESS;
}

static uint32_t write_block(void *ctx, uint16_t vf_id, uint32_t block_id, const void *buf,
			    uint32_t len)
{
	struct vpci_double *d = ctx;

	d->n_blk_write++;
	d->last_blk_id = block_id;
	d->last_blk_len = len;
	if (check_vf(d, vf_id) || block_id >= DOUBLE_BLOCKS || len > VPCI_BLOCK_MAX)
		return VPCI_STATUS_INVALID_PARAMETER;
	memcpy(d->blocks[block_id], buf, len);
	if (block_id == DOUBLE_REPORT_BLOCK)
		d->report_writes++;
	return VPCI_STATUS_SUCCESS;
}

static uint32_t probed_bars(void *ctx, uint32_t bars[VPCI_BAR_COUNT])
{
	struct vpci_double *d = ctx;

	d->n_probed++;
	memcpy(bars, d->probed, sizeof(d->probed));
	return VPCI_STATUS_SUCCESS;
}

static uint32_t bar_resources(void *ctx, uint16_t vf_id, uint16_t bar_index,
			      struct vpci_bar_desc *res)
{
	struct vpci_double *d = ctx;

	d->n_bar++;
	if (check_vf(d, vf_id) || bar_index >= VPCI_BAR_COUNT ||
	    d->bars[bar_index].type == VPCI_RES_TYPE_NULL)
		return VPCI_STATUS_INVALID_PARAMETER;
	*res = d->bars[bar_index];
	return VPCI_STATUS_SUCCESS;
}

static uint32_t vendor_device(void *ctx, uint16_t vf_id, uint16_t *vendor, uint16_t *device)
{
	struct vpci_double *d = ctx;

	d->n_ids++;
	if (check_vf(d, vf_id))
		return VPCI_STATUS_INVALID_PARAMETER;
	*vendor = d->vendor_id;
	*device = d->device_id;
	return VPCI_STATUS_SUCCESS;
}

static uint32_t set_power(void *ctx, uint16_t vf_id, uint32_t state, bool wake)
{
	struct vpci_double *d = ctx;

	d->n_power++;
	if (check_vf(d, vf_id))
		return VPCI_STATUS_INVALID_PARAMETER;
	d->power = state;
	d->wake = wake;
	return VPCI_STATUS_SUCCESS;
}

const struct vpci_backend_ops vpci_double_ops = {
	.read_vf_config_space = read_cfg,
	.write_vf_config_space = write_cfg,
	.read_vf_config_block = read_block,
	.write_vf_config_block = write_block,
	.probed_bars = probed_bars,
	.bar_resources = bar_resources,
	.vf_vendor_device_id = vendor_device,
	.set_vf_power_state = set_power,
};

void vpci_double_init(struct vpci_double *d)
{
	memset(d, 0, sizeof(*d));
	d->vendor_id = DOUBLE_VENDOR;
	d->device_id = DOUBLE_DEVICE;
	d->probed[0] = 0xffffc00cu;	/* 64-bit prefetchable memory, 16 KiB */
	d->probed[1] = 0xffffffffu;	/* its upper half */
	d->probed[2] = 0xfffff000u;	/* 32-bit memory, 4 KiB */
	d->bars[0] = (struct vpci_bar_desc){ .start = 0xf0000000u, .length = 0x4000,
					     .type = VPCI_RES_TYPE_MEMORY, .flags = 0x4 };
	d->bars[2] = (struct vpci_bar_desc){ .start = 0xf0010000u, .length = 0x1000,
					     .type = VPCI_RES_TYPE_MEMORY };
	for (unsigned i = 0; i < VPCI_CFG_SPACE_SIZE; i++)
		d->cfg[i] = DOUBLE_CFG_BYTE(i);
}
