/*
 * The srnic PF miniport on the emulated host, for tests (pf_env.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pf_env.h"

const struct ndis_issuer pf_vmsp = { NDIS_ISSUER_OVERLYING, "VMSP" };
const struct ndis_issuer pf_ndis = { NDIS_ISSUER_NDIS, "NDIS" };

static void invalidate(void *ctx, struct ndis_adapter *pf, uint16_t vf, uint64_t mask)
{
	struct pf_env *e = ctx;

	(void)pf;
	e->invalidations++;
	e->inval_vf = vf;
	e->inval_mask |= mask;
}

static const struct ndis_virt_ops virt_ops = { .invalidate_config_block = invalidate };

/* NDIS's PnP edge asks what the device on srnic_vbd's child is. */
static void describe(void *ctx, PDEVICE_OBJECT pdo, struct guest_ndis_device *d)
{
	struct pf_env *e = ctx;

	(void)pdo;
	d->name = "SLOT 3 Port 1";
	if (e->opts) {
		d->keywords = e->opts->keywords;
		d->n_keywords = e->opts->n_keywords;
	}
	d->platform = &pcibus_ndis_ops;
	d->platform_ctx = e->bus;
}

static void vbd_stack_up(struct pf_env *e)
{
	struct guest_ndis_config gc = { .fw = e->fw, .describe = describe, .describe_ctx = e };
	char err[256];

	e->pm = pnp_manager_create("host");
	assert_non_null(e->pm);
	gc.pm = e->pm;
	assert_int_equal(pci_bus_create(e->pm, &e->pci), 0);
	assert_int_equal(guest_ndis_create(&gc, &e->gn), 0);
	if (pnp_install_inf(e->pm, SRNIC_VBD_DIR "/srnic_vbd.inf", SRNIC_VBD_DIR, err, sizeof(err)))
		fail_msg("installing srnic_vbd.inf: %s", err);
	if (guest_ndis_install_inf(e->gn, SRNIC_PF_DIR "/srnic_pf.inf", SRNIC_PF_DIR, err, sizeof(err)))
		fail_msg("installing srnic_pf.inf: %s", err);
	assert_int_equal(pci_bus_add_pf(e->pci, e->bus, &e->pci_pdo, &e->dn), 0);
	(void)pnp_manager_poll(e->pm);
	e->ad = ndis_framework_find_adapter(e->fw, "SLOT 3 Port 1");
	e->create_rc = e->ad ? 0 : -EIO;
}

struct pci_pdo_stats pf_pci_virt_stats(struct pf_env *e)
{
	struct pci_pdo_stats st;

	assert_int_equal(pci_bus_pf_stats(e->pci, e->bus, &st), 0);
	return st;
}

void pf_env_up(struct pf_env *e, const struct pf_opts *o)
{
	struct ndis_adapter_params p;
	char err[256];

	memset(e, 0, sizeof(*e));
	e->host = pcie_host_create();
	assert_non_null(e->host);
	if (o && o->platform)
		pcie_host_set_platform(e->host, o->platform);
	e->nic = srnic_create(e->host, 3, 0);
	assert_non_null(e->nic);
	assert_int_equal(pcie_host_assign_bars(e->host), 0);
	e->peer = srnic_peer_create(e->nic, 512);
	assert_non_null(e->peer);
	assert_int_equal(pcibus_pf_create(e->host, PCIE_RID(3, 0, 0), &e->bus), 0);
	e->fw = ndis_framework_create("host", o && o->partition_set ? o->partition : NDIS_PARTITION_PARENT);
	assert_non_null(e->fw);
	ndis_framework_set_virt_ops(e->fw, &virt_ops, e);
	e->opts = o;
	if (o && o->over_vbd) {
		vbd_stack_up(e);
		return;
	}
	if (ndis_framework_install_inf(e->fw, SRNIC_PF_DIR "/srnic_pf.inf", SRNIC_PF_DIR, err, sizeof(err)))
		fail_msg("installing srnic_pf.inf: %s", err);
	memset(&p, 0, sizeof(p));
	p.name = "SLOT 3 Port 1";
	p.hardware_id = PF_HWID;
	p.bus = &pcibus_ndis_ops;
	p.bus_ctx = e->bus;
	if (o) {
		p.keywords = o->keywords;
		p.n_keywords = o->n_keywords;
	}
	e->create_rc = ndis_adapter_create(e->fw, &p, &e->ad);
	if (o && o->with_proto) {
		/* The framework's dlopen() of the same path returns this instance,
		 * whose counters start from zero here, whatever a failed test left. */
		void *h = dlopen(PF_PROTO_DIR "/pf_proto.so", RTLD_NOW | RTLD_LOCAL);
		void (*reset)(void);

		assert_non_null(h);
		*(void **)&reset = dlsym(h, "PfProtoReset");
		assert_non_null(reset);
		reset();
		if (ndis_framework_install_inf(e->fw, PF_PROTO_DIR "/pf_proto.inf", PF_PROTO_DIR, err, sizeof(err)))
			fail_msg("installing pf_proto.inf: %s", err);
		assert_int_equal(ndis_protocol_load(e->fw, "IOVLAB_PF_VSWITCH", &e->proto), 0);
		e->pc = ndis_protocol_driver_symbol(e->proto, "PfProto");
		*(void **)&e->proto_send = ndis_protocol_driver_symbol(e->proto, "PfProtoSend");
		*(void **)&e->proto_return_held = ndis_protocol_driver_symbol(e->proto, "PfProtoReturnHeld");
		assert_non_null(e->pc);
		assert_non_null(e->proto_send);
		assert_non_null(e->proto_return_held);
		assert_int_equal(e->pc->binds, 1);
	}
}

void pf_env_down(struct pf_env *e)
{
	size_t n = ndis_framework_finding_count(e->fw);

	for (size_t i = 0; i < n; i++) {
		const struct ndis_finding *f = ndis_framework_finding_at(e->fw, i);
		print_error("finding: %s: %s\n", f->id, f->evidence);
	}
	assert_int_equal(n, 0);
	if (e->pci) {
		/* PnP removal: NDIS's FDO halts the adapter, srnic_vbd lets the PCI interface go. */
		assert_int_equal(pci_bus_remove_pf(e->pci, e->bus), 0);
		pci_bus_destroy(e->pci);
		guest_ndis_destroy(e->gn);
		pnp_manager_destroy(e->pm);
		{
			struct pnp_stats ps;

			pnp_get_stats(&ps);
			assert_int_equal(ps.irps_allocated, ps.irps_freed);
			assert_int_equal(ps.bad_objects + ps.stack_overflows + ps.driver_bugs + ps.pending_abandoned, 0);
		}
	} else if (e->ad && ndis_adapter_state(e->ad) != NDIS_ADAPTER_HALTED) {
		assert_int_equal(ndis_adapter_halt(e->ad, NdisHaltDeviceDisabled), 0);
	}
	assert_int_equal(ndis_framework_finding_count(e->fw), 0);
	ndis_framework_destroy(e->fw);
	/* The driver unmapped what it mapped. */
	assert_int_equal(pcibus_pf_mapped_count(e->bus), 0);
	pcibus_pf_destroy(e->bus);
	srnic_peer_destroy(e->peer);
	srnic_destroy(e->nic);
	pcie_host_destroy(e->host);
}

uint32_t pf_oid(struct pf_env *e, const struct ndis_issuer *who, NDIS_REQUEST_TYPE type, NDIS_OID oid, void *buf,
		uint32_t in_len, uint32_t out_len, NDIS_OID_REQUEST *out)
{
	NDIS_OID_REQUEST req;
	uint32_t st = 0;

	ndis_oid_init(&req, type, oid, buf, type == NdisRequestMethod ? in_len : (type == NdisRequestSetInformation ? in_len : out_len));
	if (type == NdisRequestMethod)
		req.DATA.METHOD_INFORMATION.OutputBufferLength = out_len;
	assert_int_equal(ndis_oid_request(e->ad, who, &req, NULL, NULL, &st), 0);
	if (out)
		*out = req;
	return st;
}

uint32_t pf_needed(const NDIS_OID_REQUEST *r)
{
	switch (r->RequestType) {
	case NdisRequestMethod:
		return r->DATA.METHOD_INFORMATION.BytesNeeded;
	case NdisRequestSetInformation:
		return r->DATA.SET_INFORMATION.BytesNeeded;
	default:
		return r->DATA.QUERY_INFORMATION.BytesNeeded;
	}
}

bool pf_reached_miniport(struct pf_env *e)
{
	size_t n = ndis_adapter_oid_record_count(e->ad);

	assert_true(n > 0);
	return !ndis_adapter_oid_record_at(e->ad, n - 1)->by_ndis;
}

void pf_hdr(void *p, uint8_t rev, uint16_t size)
{
	NDIS_OBJECT_HEADER *h = p;

	h->Type = NDIS_OBJECT_TYPE_DEFAULT;
	h->Revision = rev;
	h->Size = size;
}

uint16_t pf_allocate_vf(struct pf_env *e, const uint8_t mac[6], uint32_t *rid)
{
	NDIS_NIC_SWITCH_VF_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_NIC_SWITCH_VF_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
	p.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	p.VFId = NDIS_INVALID_VF_FUNCTION_ID;
	p.RequestorId = NDIS_INVALID_RID;
	if (mac) {
		p.MacAddressLength = 6;
		memcpy(p.PermanentMacAddress, mac, 6);
		memcpy(p.CurrentMacAddress, mac, 6);
	}
	assert_int_equal(pf_oid(e, &pf_vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, &p, sizeof(p), sizeof(p), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	if (rid)
		*rid = p.RequestorId;
	return p.VFId;
}

uint32_t pf_create_vport(struct pf_env *e, uint16_t function, uint32_t queue_pairs)
{
	NDIS_NIC_SWITCH_VPORT_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	p.SwitchId = NDIS_DEFAULT_SWITCH_ID;
	p.AttachedFunctionId = function;
	p.NumQueuePairs = queue_pairs;
	p.VPortState = function == NDIS_PF_FUNCTION_ID ? NdisNicSwitchVPortStateDeactivated : NdisNicSwitchVPortStateActivated;
	p.ProcessorAffinity.Mask = 1;
	assert_int_equal(pf_oid(e, &pf_vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &p, sizeof(p), sizeof(p), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_not_equal(p.VPortId, 0);
	return p.VPortId;
}

uint32_t pf_set_filter(struct pf_env *e, uint32_t vport, const uint8_t mac[6], uint16_t vlan)
{
	struct {
		NDIS_RECEIVE_FILTER_PARAMETERS p;
		NDIS_RECEIVE_FILTER_FIELD_PARAMETERS f[2];
	} b;
	unsigned n = vlan ? 2 : 1;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2, NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
	b.p.FilterType = NdisReceiveFilterTypeVMQueue;
	b.p.VPortId = vport;
	b.p.FieldParametersArrayOffset = offsetof(__typeof__(b), f);
	b.p.FieldParametersArrayNumElements = n;
	b.p.FieldParametersArrayElementSize = sizeof(b.f[0]);
	pf_hdr(&b.f[0], NDIS_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1, NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1);
	b.f[0].FrameHeader = NdisFrameHeaderMac;
	b.f[0].ReceiveFilterTest = NdisReceiveFilterTestEqual;
	b.f[0].HeaderField.MacHeaderField = NdisMacHeaderFieldDestinationAddress;
	memcpy(b.f[0].FieldValue.FieldByteArrayValue, mac, 6);
	if (!vlan)
		b.f[0].Flags = NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
	pf_hdr(&b.f[1], NDIS_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1, NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1);
	b.f[1].FrameHeader = NdisFrameHeaderMac;
	b.f[1].ReceiveFilterTest = NdisReceiveFilterTestEqual;
	b.f[1].HeaderField.MacHeaderField = NdisMacHeaderFieldVlanId;
	b.f[1].FieldValue.FieldShortValue = vlan;
	assert_int_equal(pf_oid(e, &pf_vmsp, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, &b,
				(uint32_t)(offsetof(__typeof__(b), f) + n * sizeof(b.f[0])), sizeof(b), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_not_equal(b.p.FilterId, 0);
	return b.p.FilterId;
}

uint32_t pf_move_filter(struct pf_env *e, uint32_t filter, uint32_t from, uint32_t to)
{
	NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1, NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
	p.FilterId = filter;
	p.SourceVPortId = from;
	p.DestVPortId = to;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_RECEIVE_FILTER_MOVE_FILTER, &p, sizeof(p), 0, NULL);
}

uint32_t pf_clear_filter(struct pf_env *e, uint32_t filter)
{
	NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1, NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
	p.FilterId = filter;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_RECEIVE_FILTER_CLEAR_FILTER, &p, sizeof(p), 0, NULL);
}

uint32_t pf_delete_vport(struct pf_env *e, uint32_t vport)
{
	NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
	p.VPortId = vport;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_VPORT, &p, sizeof(p), 0, NULL);
}

uint32_t pf_reset_vf(struct pf_env *e, uint16_t vf)
{
	NDIS_SRIOV_RESET_VF_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_SRIOV_RESET_VF_PARAMETERS_REVISION_1, NDIS_SIZEOF_SRIOV_RESET_VF_PARAMETERS_REVISION_1);
	p.VFId = vf;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_SRIOV_RESET_VF, &p, sizeof(p), 0, NULL);
}

uint32_t pf_free_vf(struct pf_env *e, uint16_t vf)
{
	NDIS_NIC_SWITCH_FREE_VF_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, NDIS_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
	p.VFId = vf;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_FREE_VF, &p, sizeof(p), 0, NULL);
}

uint32_t fn_reg(struct pf_env *e, unsigned fn, uint32_t off)
{
	uint32_t v = 0;

	assert_int_equal(srnic_mmio_read32(e->nic, fn, SRNIC_BAR_REGS, off, &v), 0);
	return v;
}

uint32_t pf_reg(struct pf_env *e, uint32_t off)
{
	return fn_reg(e, 0, off);
}

uint32_t pf_cfg(struct pf_env *e, unsigned off, unsigned len)
{
	uint32_t v = 0;

	assert_int_equal(srnic_cfg_read(e->nic, 0, off, len, &v), 0);
	return v;
}

uint32_t vf_cfg(struct pf_env *e, uint16_t vf, unsigned off, unsigned len)
{
	uint32_t v = 0;

	assert_int_equal(srnic_cfg_read(e->nic, vf + 1u, off, len, &v), 0);
	return v;
}

uint32_t hw_vport_cfg(struct pf_env *e, unsigned vport)
{
	assert_int_equal(srnic_mmio_write32(e->nic, 0, SRNIC_BAR_REGS, SRNIC_REG_VPORT_SEL, vport), 0);
	return pf_reg(e, SRNIC_REG_VPORT_CFG);
}

int hw_filter_find(struct pf_env *e, const uint8_t mac[6], uint16_t vlan, unsigned *vport)
{
	uint32_t lo = (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24;
	uint32_t hi = (uint32_t)mac[4] | (uint32_t)mac[5] << 8;

	for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++) {
		uint32_t cfg;

		assert_int_equal(srnic_mmio_write32(e->nic, 0, SRNIC_BAR_REGS, SRNIC_REG_FILTER_SEL, i), 0);
		cfg = pf_reg(e, SRNIC_REG_FILTER_CFG);
		if (!(cfg & SRNIC_FILTER_CFG_VALID) || pf_reg(e, SRNIC_REG_FILTER_MAC_LO) != lo ||
		    pf_reg(e, SRNIC_REG_FILTER_MAC_HI) != hi)
			continue;
		if (vlan ? !(cfg & SRNIC_FILTER_CFG_VLAN_EN) || SRNIC_FILTER_CFG_GET_VLAN(cfg) != vlan :
			   (cfg & SRNIC_FILTER_CFG_VLAN_EN) != 0)
			continue;
		if (vport)
			*vport = SRNIC_FILTER_CFG_GET_VPORT(cfg);
		return (int)i;
	}
	return -1;
}
