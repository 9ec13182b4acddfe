/*
 * The in-process VM of the guest tests (guest_env.h).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/shm.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_cfgblock.h"
#include "guest_env.h"

#define SRIOV_CAP 0x160		/* srnic's SR-IOV capability (docs/hw/srnic.md) */

const uint8_t genv_vm_mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x01 };

/* ---- host: the PF's side of the VF -------------------------------------------------- */
static void w(struct guest_env *e, uint32_t off, uint32_t val)
{
	assert_int_equal(srnic_mmio_write32(e->nic, 0, SRNIC_BAR_REGS, off, val), 0);
}

/* What srnic_pf does for a VF: enable VFs, vPort 1 on VF 1, the VM NIC's MAC to it. */
static void pf_program(struct guest_env *e)
{
	const uint8_t *m = genv_vm_mac;

	assert_int_equal(srnic_cfg_write(e->nic, 0, SRIOV_CAP + PCI_SRIOV_NUM_VF, 2, 2), 0);
	assert_int_equal(srnic_cfg_write(e->nic, 0, SRIOV_CAP + PCI_SRIOV_CTRL, 2,
					 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE | PCI_SRIOV_CTRL_ARI), 0);
	assert_int_equal(srnic_set_dma_domain(e->nic, GENV_VF_FN, e->ram, GENV_RAM), 0);
	w(e, SRNIC_REG_SW_CTRL, SRNIC_SW_CTRL_ENABLE);
	w(e, SRNIC_REG_VPORT_SEL, 1);
	w(e, SRNIC_REG_VPORT_CFG, SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(GENV_VF_FN) | SRNIC_VPORT_CFG_QP_FIRST(0) |
					  SRNIC_VPORT_CFG_QP_NUM(1));
	w(e, SRNIC_REG_FILTER_SEL, 0);
	w(e, SRNIC_REG_FILTER_MAC_LO, m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24);
	w(e, SRNIC_REG_FILTER_MAC_HI, m[4] | m[5] << 8);
	w(e, SRNIC_REG_FILTER_CFG, SRNIC_FILTER_CFG_VALID | SRNIC_FILTER_CFG_VPORT(1));
}

void genv_set_block0(struct guest_env *e, const uint8_t mac[6], uint32_t generation)
{
	struct srnic_cfgblock_vf_info b;

	memset(&b, 0, sizeof(b));
	b.magic = SRNIC_CFGBLOCK_MAGIC;
	b.version = SRNIC_CFGBLOCK_VERSION_1;
	b.length = sizeof(b);
	b.generation = generation;
	b.flags = SRNIC_VFINFO_F_MAC_VALID;
	memcpy(b.mac, mac, 6);
	b.vport_id = 1;
	b.num_queue_pairs = 1;
	b.mtu = 1500;
	memcpy(e->be.blocks[SRNIC_CFGBLOCK_VF_INFO], &b, sizeof(b));
}

/* OID_SRIOV_READ/WRITE_VF_CONFIG_SPACE: the VF's own config space. */
static uint32_t be_read_cfg(void *ctx, uint16_t vf, uint32_t off, void *buf, uint32_t len)
{
	struct guest_env *e = ctx;
	uint8_t *b = buf;

	(void)vf;
	e->host_cfg_reads++;
	for (uint32_t i = 0; i < len; i++) {
		uint32_t v = 0xff;

		if (srnic_cfg_read(e->nic, GENV_VF_FN, off + i, 1, &v))
			return VPCI_STATUS_INVALID_PARAMETER;
		b[i] = (uint8_t)v;
	}
	return VPCI_STATUS_SUCCESS;
}

static uint32_t be_write_cfg(void *ctx, uint16_t vf, uint32_t off, const void *buf, uint32_t len)
{
	struct guest_env *e = ctx;
	const uint8_t *b = buf;
	uint32_t i = 0;

	(void)vf;
	e->host_cfg_writes++;
	while (i < len) {
		unsigned n = !((off + i) % 4) && len - i >= 4 ? 4 : !((off + i) % 2) && len - i >= 2 ? 2 : 1;
		uint32_t v = 0;

		for (unsigned k = 0; k < n; k++)
			v |= (uint32_t)b[i + k] << (8 * k);
		if (srnic_cfg_write(e->nic, GENV_VF_FN, off + i, n, v))
			return VPCI_STATUS_INVALID_PARAMETER;
		i += n;
	}
	return VPCI_STATUS_SUCCESS;
}

static uint32_t be_read_block(void *ctx, uint16_t vf, uint32_t id, void *buf, uint32_t len)
{
	return vpci_double_ops.read_vf_config_block(&((struct guest_env *)ctx)->be, vf, id, buf, len);
}

static uint32_t be_write_block(void *ctx, uint16_t vf, uint32_t id, const void *buf, uint32_t len)
{
	return vpci_double_ops.write_vf_config_block(&((struct guest_env *)ctx)->be, vf, id, buf, len);
}

static uint32_t be_probed(void *ctx, uint32_t bars[VPCI_BAR_COUNT])
{
	return vpci_double_ops.probed_bars(&((struct guest_env *)ctx)->be, bars);
}

static uint32_t be_bar(void *ctx, uint16_t vf, uint16_t i, struct vpci_bar_desc *res)
{
	return vpci_double_ops.bar_resources(&((struct guest_env *)ctx)->be, vf, i, res);
}

static uint32_t be_ids(void *ctx, uint16_t vf, uint16_t *vendor, uint16_t *device)
{
	return vpci_double_ops.vf_vendor_device_id(&((struct guest_env *)ctx)->be, vf, vendor, device);
}

static uint32_t be_power(void *ctx, uint16_t vf, uint32_t state, bool wake)
{
	return vpci_double_ops.set_vf_power_state(&((struct guest_env *)ctx)->be, vf, state, wake);
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

/* ---- the channel: VSP <-> VSC through a queue (vpci_priv.h) ------------------------ */
static void push(struct guest_env *e, uint16_t type, uint8_t flags, uint64_t id, const void *data, uint32_t len)
{
	struct genv_pkt *p;

	assert_true(e->tail - e->head < GENV_QMAX);
	assert_true(len <= GENV_QDATA);
	p = &e->q[e->tail++ % GENV_QMAX];
	p->type = type;
	p->flags = flags;
	p->trans_id = id;
	p->len = len;
	memcpy(p->data, data, len);
}

static int host_send(void *arg, const struct vmbus_pkt *p)
{
	struct guest_env *e = arg;

	if (e->rescinded || e->tail - e->head == GENV_QMAX)
		return 0;
	push(e, p->type, p->flags, p->trans_id, p->data, p->len);
	return 1;
}

static int guest_send(void *arg, const struct vmbus_pkt *p)
{
	struct guest_env *e = arg;
	_Alignas(8) uint8_t copy[2 * GENV_QDATA];
	struct vmbus_pkt_in in = { .type = p->type, .flags = p->flags, .trans_id = p->trans_id, .data = copy,
				   .len = p->len };

	if (e->rescinded)
		return -ENODEV;
	assert_true(p->len <= sizeof(copy));
	memcpy(copy, p->data, p->len);
	vpci_vsp__handle(e->vsp, &in);
	return 1;
}

static int guest_recv(void *arg, struct vmbus_pkt_in *pkt, void *buf, size_t buflen)
{
	struct guest_env *e = arg;
	struct genv_pkt *q;

	if (e->rescinded)
		return -ENODEV;
	if (e->head == e->tail)
		return 0;
	q = &e->q[e->head % GENV_QMAX];
	pkt->len = q->len;
	if (q->len > buflen)
		return -ENOBUFS;
	memcpy(buf, q->data, q->len);
	pkt->type = q->type;
	pkt->flags = q->flags;
	pkt->trans_id = q->trans_id;
	pkt->data = buf;
	e->head++;
	return 1;
}

static int guest_wait(void *arg, int timeout_ms)
{
	struct guest_env *e = arg;

	(void)timeout_ms;
	if (e->rescinded)
		return -ENODEV;
	return e->head != e->tail ? 1 : -ETIMEDOUT;
}

static int guest_wait_space(void *arg, uint32_t need, int timeout_ms)
{
	(void)arg;
	(void)need;
	(void)timeout_ms;
	return 1;
}

/* ---- guest: the physical address space the VF's BAR lives in ------------------------- */
static int mmio_map(void *ctx, uint64_t phys, uint32_t len, void **va)
{
	struct guest_env *e = ctx;

	if (phys != GENV_BAR0 || len > sizeof(e->mmio_window))
		return -EINVAL;
	e->mmio_maps++;
	*va = e->mmio_window;
	return 0;
}

static void mmio_unmap(void *ctx, void *va, uint32_t len)
{
	struct guest_env *e = ctx;

	(void)va;
	(void)len;
	e->mmio_maps--;
}

static int mmio_read(void *ctx, uint64_t phys, unsigned size, uint64_t *value)
{
	struct guest_env *e = ctx;
	uint32_t v = 0;
	int rc;

	if (size != 4 || phys < GENV_BAR0)
		return -EINVAL;
	e->mmio_accesses++;
	e->mmio_reads++;
	rc = srnic_mmio_read32(e->nic, GENV_VF_FN, SRNIC_BAR_REGS, (uint32_t)(phys - GENV_BAR0), &v);
	*value = v;
	return rc;
}

static int mmio_write(void *ctx, uint64_t phys, unsigned size, uint64_t value)
{
	struct guest_env *e = ctx;

	if (size != 4 || phys < GENV_BAR0)
		return -EINVAL;
	e->mmio_accesses++;
	return srnic_mmio_write32(e->nic, GENV_VF_FN, SRNIC_BAR_REGS, (uint32_t)(phys - GENV_BAR0), (uint32_t)value);
}

static const struct guest_mmio_ops mmio = { mmio_map, mmio_unmap, mmio_read, mmio_write };

/* ---- setup ------------------------------------------------------------------------------- */
static void install(struct guest_env *e, const char *dir, const char *inf)
{
	char path[1024], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, inf);
	if (guest_ndis_install_inf(e->gn, path, dir, err, sizeof(err)))
		fail_msg("installing %s: %s", path, err);
}

static struct fake_proto_control *proto_control(void)
{
	char path[1024];
	void *h;
	struct fake_proto_control *c;
	void (*reset)(void);

	snprintf(path, sizeof(path), "%s/fake_proto_vf.so", TEST_DRIVERS_BUILDDIR);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);	/* kept: the framework's dlopen returns this instance */
	if (!h)
		fail_msg("dlopen %s: %s", path, dlerror());
	c = dlsym(h, "FakeProtoControl");
	*(void **)&reset = dlsym(h, "FakeProtoReset");
	assert_non_null(c);
	assert_non_null(reset);
	reset();
	return c;
}

void genv_setup(struct guest_env *e, const struct genv_opts *o)
{
	struct vpci_vsp_config vcfg = { .name = "vm1" };
	struct vpci_dev_desc desc = {
		.vf_id = DOUBLE_VF_ID, .slot = GENV_SLOT, .serial = GENV_SERIAL, .revision = SRNIC_REVISION,
		.base_class = 2, .subsystem_id = (uint32_t)SRNIC_SUBSYS_ID << 16 | SRNIC_VENDOR_ID,
	};
	struct vpci_vsc_io io = { guest_send, guest_recv, guest_wait, guest_wait_space, e };
	struct vpci_vsc_config cfg = { .timeout_ms = 1000 };
	struct vpci_bus_config bcfg;
	struct guest_ndis_config gcfg;
	char path[1024], err[256];
	const char *spec = getenv("IOVLAB_LOG");

	memset(e, 0, sizeof(*e));
	if (o)
		e->o = *o;
	if (!e->o.partition)
		e->o.partition = NDIS_PARTITION_CHILD;
	if (spec) {
		log_configure(spec, NULL, 0);
	} else {
		e->trace = open_memstream(&e->trace_buf, &e->trace_len);
		log_set_stream(e->trace);
		log_set_fixed_clock(0, 0);
		log_configure("*=warn,lab.pnp=info,lab.pnp.*=info,lab.hv.vpci.pdo=info,drv.*=info,lab.ndis=info", NULL, 0);
	}
	/* host */
	e->host = pcie_host_create();
	e->nic = srnic_create(e->host, 3, 0);
	assert_non_null(e->nic);
	e->peer = srnic_peer_create(e->nic, 64);
	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	assert_int_equal(gmem_create("vm1", GENV_RAM, &e->gm), 0);
	e->ram = gmem_ptr(e->gm, 0, GENV_RAM);
	pf_program(e);
	vpci_double_init(&e->be);
	e->be.vendor_id = SRNIC_VENDOR_ID;
	e->be.device_id = SRNIC_VF_DEVICE_ID;
	if (!e->o.no_block0)
		genv_set_block0(e, genv_vm_mac, 1);
	assert_int_equal(vpci_vsp__create_detached(&vcfg, host_send, e, &e->vsp), 0);
	assert_int_equal(vpci_vsp_add_device(e->vsp, &desc, &backend, e, &e->vdev), 0);
	/* guest */
	e->fw = ndis_framework_create("vm1", e->o.partition);
	e->pm = pnp_manager_create("vm1");
	assert_non_null(e->fw);
	assert_non_null(e->pm);
	assert_int_equal(pnp_dma_pool_create("vm1", e->ram + GENV_DMA_BASE, GENV_DMA_BASE, GENV_RAM - GENV_DMA_BASE,
					     &e->dma), 0);
	memset(&gcfg, 0, sizeof(gcfg));
	gcfg.pm = e->pm;
	gcfg.fw = e->fw;
	gcfg.mmio = &mmio;
	gcfg.mmio_ctx = e;
	assert_int_equal(guest_ndis_create(&gcfg, &e->gn), 0);
	install(e, SRNIC_VF_BUILDDIR, "srnic_vf.inf");
	install(e, TEST_DRIVERS_BUILDDIR, "fake_proto_vf.inf");
	if (e->o.vbd) {
		snprintf(path, sizeof(path), "%s/srnic_vbd.inf", SRNIC_VBD_BUILDDIR);
		if (pnp_install_inf(e->pm, path, SRNIC_VBD_BUILDDIR, err, sizeof(err)))
			fail_msg("installing %s: %s", path, err);
		if (!e->o.forward)
			assert_int_equal(pnp_manager_set_param(e->pm, "srnic_vbd", "ForwardVpciInterface", 0), 0);
	}
	if (!e->o.no_protocol) {
		e->pc = proto_control();
		assert_int_equal(ndis_protocol_load(e->fw, "IOVLAB_NETVSCVF", &e->proto), 0);
	}
	memset(&bcfg, 0, sizeof(bcfg));
	bcfg.pm = e->pm;
	bcfg.dma = e->dma;
	assert_int_equal(vpci_bus_create(&bcfg, &e->bus), 0);
	vpci_bus_vsc_config(e->bus, &cfg);
	/* The VM's vPCI bus driver connects: the VF arrives and its stack starts. */
	vpci_vsp__chan_event(e->vsp, VMBUS_CHAN_EV_OPENED);
	assert_int_equal(vpci_vsc__create_io(&cfg, &io, &e->vsc), 0);
}

void genv_teardown(struct guest_env *e)
{
	vpci_bus_destroy(e->bus);
	ndis_protocol_unload(e->proto);
	guest_ndis_destroy(e->gn);
	vpci_vsc_destroy(e->vsc);
	pnp_manager_destroy(e->pm);
	ndis_framework_destroy(e->fw);
	pnp_dma_pool_destroy(e->dma);
	vpci_vsp_destroy(e->vsp);
	srnic_peer_destroy(e->peer);
	srnic_destroy(e->nic);
	pcie_host_destroy(e->host);
	gmem_destroy(e->gm);
	if (e->trace) {
		log_set_stream(NULL);
		log_configure("none", NULL, 0);
		fclose(e->trace);
		free(e->trace_buf);
	}
}

const char *genv_trace(struct guest_env *e)
{
	if (!e->trace)
		return "";
	fflush(e->trace);
	return e->trace_buf ? e->trace_buf : "";
}

int genv_poll(struct guest_env *e)
{
	int n;

	vpci_vsp__flush(e->vsp);
	n = vpci_vsc_poll(e->vsc, 0);
	(void)genv_vf_poll(e);
	return n;
}

long genv_vf_poll(struct guest_env *e)
{
	struct ndis_adapter *ad = genv_vf(e);
	ULONG (*poll)(void);

	if (!ad)
		return -1;
	*(void **)&poll = ndis_adapter_driver_symbol(ad, "SrnicVfPoll");
	return poll ? (long)poll() : -1;
}

struct ndis_adapter *genv_vf(struct guest_env *e)
{
	struct guest_ndis_adapter_info info;

	for (size_t i = 0; guest_ndis_adapter_info_at(e->gn, i, &info) == 0; i++)
		if (info.ad && !strcmp(ndis_adapter_driver_name(info.ad), "srnic_vf"))
			return info.ad;
	return NULL;
}

PDEVICE_OBJECT genv_vpci_pdo(struct guest_env *e)
{
	return vpci_bus_find_pdo(e->bus, GENV_SERIAL);
}

uint32_t genv_oid(struct guest_env *e, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf, uint32_t len)
{
	static const struct ndis_issuer who = { NDIS_ISSUER_OVERLYING, "TEST" };
	NDIS_OID_REQUEST req;
	uint32_t status = 0;
	struct ndis_adapter *ad = genv_vf(e);

	assert_non_null(ad);
	ndis_oid_init(&req, type, oid, buf, len);
	assert_int_equal(ndis_oid_request(ad, &who, &req, NULL, NULL, &status), 0);
	return status;
}
