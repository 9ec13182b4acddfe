/*
 * drivers/srnic_pf: the VF bring-up and teardown of spec 2.11 / 1.3 driven
 * through the framework as the virtualization stack drives it, each step
 * checked against srnic's real state read through config space and MMIO:
 * ALLOCATE_VF (RID, clean VF), CREATE_VPORT (vPort register), MOVE_FILTER
 * default -> VF vPort (filter register, and where a frame from the wire
 * lands), config space / blocks / power / IDs / BARs, the way back (MOVE,
 * DELETE_VPORT, RESET_VF as an FLR, FREE_VF); config-block invalidation
 * when the VF's MAC, VLAN or link changes; the VF pool running out; PF
 * vPorts (activation one way, queue pairs); filter semantics and limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pf_env.h"

static const uint8_t vm_mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x01 };

/* A frame from the wire to mac on vlan (0 = untagged). */
static void wire_frame(struct pf_env *e, const uint8_t mac[6], uint16_t vlan)
{
	uint8_t f[64];

	memset(f, 0, sizeof(f));
	memcpy(f, mac, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x99", 6);
	if (vlan) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = (uint8_t)(vlan >> 8);
		f[15] = (uint8_t)vlan;
		f[16] = 0x08;
	} else {
		f[12] = 0x08;
	}
	assert_int_equal(srnic_peer_send(e->peer, f, sizeof(f)), 0);
}

static uint32_t read_block(struct pf_env *e, uint16_t vf, uint32_t block, void *out, uint32_t len)
{
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS p;
		uint8_t data[128];
	} b;
	uint32_t st;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, 1, NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.BlockId = block;
	b.p.Length = len;
	b.p.BufferOffset = offsetof(__typeof__(b), data);
	st = pf_oid(e, &pf_vmsp, NdisRequestMethod, OID_SRIOV_READ_VF_CONFIG_BLOCK, &b, sizeof(b.p), sizeof(b), NULL);
	memcpy(out, b.data, len);
	return st;
}

static uint32_t write_block(struct pf_env *e, uint16_t vf, uint32_t block, const void *data, uint32_t len)
{
	struct {
		NDIS_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS p;
		uint8_t data[128];
	} b;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, 1, NDIS_SIZEOF_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.BlockId = block;
	b.p.Length = len;
	b.p.BufferOffset = offsetof(__typeof__(b), data);
	memcpy(b.data, data, len);
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_SRIOV_WRITE_VF_CONFIG_BLOCK, &b,
		      (uint32_t)(b.p.BufferOffset + len), 0, NULL);
}

/* Block 0 as the VF driver reads it (its size) and checks it (its parser). */
static struct srnic_cfgblock_vf_info info_of(struct pf_env *e, uint16_t vf)
{
	uint8_t raw[sizeof(struct srnic_cfgblock_vf_info)];
	struct srnic_cfgblock_vf_info i;

	assert_int_equal(read_block(e, vf, SRNIC_CFGBLOCK_VF_INFO, raw, sizeof(raw)), ST(NDIS_STATUS_SUCCESS));
	assert_true(srnic_cfgblock_parse_vf_info(raw, sizeof(raw), &i));
	assert_int_equal(i.version, SRNIC_CFGBLOCK_VERSION_1);
	assert_int_equal(i.length, sizeof(i));
	return i;
}

static uint32_t cfg_space(struct pf_env *e, NDIS_REQUEST_TYPE type, uint16_t vf, uint32_t off, void *data,
			  uint32_t len)
{
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p;
		uint8_t data[64];
	} b;
	uint32_t st, total = (uint32_t)offsetof(__typeof__(b), data) + len;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, 1, NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.Offset = off;
	b.p.Length = len;
	b.p.BufferOffset = offsetof(__typeof__(b), data);
	if (type == NdisRequestSetInformation) {
		memcpy(b.data, data, len);
		return pf_oid(e, &pf_vmsp, type, OID_SRIOV_WRITE_VF_CONFIG_SPACE, &b, total, 0, NULL);
	}
	st = pf_oid(e, &pf_vmsp, type, OID_SRIOV_READ_VF_CONFIG_SPACE, &b, sizeof(b.p), total, NULL);
	memcpy(data, b.data, len);
	return st;
}

static void test_bring_up_and_teardown(void **state)
{
	struct pf_env e;
	struct ndis_sriov_view v;
	struct srnic_cfgblock_vf_info info;
	uint32_t rid, vport, filter, st;
	unsigned hw_vport;
	uint16_t vf, w;
	uint8_t b[8];

	(void)state;
	pf_env_up(&e, NULL);
	/* 1. The VM NIC's MAC (VLAN 100) on the default vPort: synthetic path. */
	filter = pf_set_filter(&e, NDIS_DEFAULT_VPORT_ID, vm_mac, 100);
	assert_true(hw_filter_find(&e, vm_mac, 100, &hw_vport) >= 0);
	assert_int_equal(hw_vport, 0);
	wire_frame(&e, vm_mac, 100);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_RX_FRAMES), 1);	/* into the PF's queue */

	/* 2. ALLOCATE_VF: VF 0, RID 03:01.0 (0x300 + First VF Offset 8). */
	vf = pf_allocate_vf(&e, vm_mac, &rid);
	assert_int_equal(vf, 0);
	assert_int_equal(rid, NDIS_MAKE_RID(0, 3, 8));
	ndis_adapter_sriov_view(e.ad, &v);
	assert_int_equal(v.n_vfs, 1);
	info = info_of(&e, vf);
	assert_memory_equal(info.mac, vm_mac, 6);
	assert_true(info.flags & SRNIC_VFINFO_F_MAC_VALID);
	assert_int_equal(info.flags & SRNIC_VFINFO_F_LINK_UP, 0);
	assert_int_equal(info.vport_id, 0);
	assert_int_equal(info.mtu, 1500);
	assert_int_equal(info.generation, 1);
	assert_int_equal(e.invalidations, 0);

	/* 3. CREATE_VPORT on the VF: srnic vPort 1 = function 1 (VF 0), QP 0, 1 QP. */
	vport = pf_create_vport(&e, vf, 1);
	assert_int_equal(vport, 1);
	assert_int_equal(hw_vport_cfg(&e, vport), SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(1) |
						      SRNIC_VPORT_CFG_QP_FIRST(0) | SRNIC_VPORT_CFG_QP_NUM(1));
	/* The VF's link came up: block 0 invalidated. */
	assert_int_equal(e.invalidations, 1);
	assert_int_equal(e.inval_vf, vf);
	assert_int_equal(e.inval_mask, 1ull << SRNIC_CFGBLOCK_VF_INFO);
	info = info_of(&e, vf);
	assert_true(info.flags & SRNIC_VFINFO_F_LINK_UP);
	assert_int_equal(info.generation, 2);
	assert_int_equal(info.vport_id, vport);
	assert_int_equal(info.num_queue_pairs, 1);

	/* 4. MOVE_FILTER default -> VF vPort: one filter register, frames follow. */
	assert_int_equal(pf_move_filter(&e, filter, 0, vport), ST(NDIS_STATUS_SUCCESS));
	assert_true(hw_filter_find(&e, vm_mac, 100, &hw_vport) >= 0);
	assert_int_equal(hw_vport, vport);
	wire_frame(&e, vm_mac, 100);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_RX_FRAMES), 1);
	/* Now the VF's (dropped there: no VF driver has enabled the function yet). */
	assert_int_equal(fn_reg(&e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 1);
	/* The VF now has VLAN 100: told again. */
	assert_int_equal(e.invalidations, 2);
	info = info_of(&e, vf);
	assert_int_equal(info.vlan_id, 100);
	assert_true(info.flags & SRNIC_VFINFO_F_VLAN);
	assert_int_equal(info.generation, 3);

	/* 5. What the vPCI VSP asks while the guest enumerates the VF. */
	assert_int_equal(cfg_space(&e, NdisRequestMethod, vf, PCI_CLASS_DEVICE, b, 2), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(b[0] | b[1] << 8, PCI_CLASS_NETWORK_ETHERNET);
	w = PCI_COMMAND_MASTER;
	assert_int_equal(cfg_space(&e, NdisRequestSetInformation, vf, PCI_COMMAND, &w, 2), ST(NDIS_STATUS_SUCCESS));
	assert_true(vf_cfg(&e, vf, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	{
		NDIS_SRIOV_VF_VENDOR_DEVICE_ID_INFO id;

		memset(&id, 0, sizeof(id));
		pf_hdr(&id, 1, NDIS_SIZEOF_SRIOV_VF_VENDOR_DEVICE_ID_INFO_REVISION_1);
		id.VFId = vf;
		assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestMethod, OID_SRIOV_VF_VENDOR_DEVICE_ID, &id, sizeof(id),
					sizeof(id), NULL), ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(id.VendorId, SRNIC_VENDOR_ID);
		assert_int_equal(id.DeviceId, SRNIC_VF_DEVICE_ID);
	}
	{
		struct {
			NDIS_SRIOV_PROBED_BARS_INFO i;
			uint32_t bars[6];
		} pb;

		memset(&pb, 0, sizeof(pb));
		assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestQueryInformation, OID_SRIOV_PROBED_BARS, &pb, 0, 32, NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(pb.i.BaseRegisterValuesOffset, 8);
		assert_int_equal(pb.bars[0], 0xffffc00cu);
		assert_int_equal(pb.bars[1], 0xffffffffu);
		assert_int_equal(pb.bars[4], 0);
	}
	for (unsigned bar = 0; bar < 4; bar += 2) {
		struct {
			NDIS_SRIOV_BAR_RESOURCES_INFO i;
			CM_PARTIAL_RESOURCE_DESCRIPTOR d;
		} br;
		CM_PARTIAL_RESOURCE_DESCRIPTOR d;

		memset(&br, 0, sizeof(br));
		pf_hdr(&br.i, 1, NDIS_SIZEOF_SRIOV_BAR_RESOURCES_INFO_REVISION_1);
		br.i.VFId = vf;
		br.i.BarIndex = (USHORT)bar;
		br.i.BarResourcesOffset = offsetof(__typeof__(br), d);
		assert_int_equal(pf_oid(&e, &pf_ndis, NdisRequestMethod, OID_SRIOV_BAR_RESOURCES, &br, sizeof(br.i), sizeof(br),
					NULL), ST(NDIS_STATUS_SUCCESS));
		memcpy(&d, &br.d, sizeof(d));
		assert_int_equal(d.Type, CmResourceTypeMemory);
		assert_int_equal(d.Flags & CM_RESOURCE_MEMORY_PREFETCHABLE, CM_RESOURCE_MEMORY_PREFETCHABLE);
		/* The host physical range the bus decodes for VF 0's BAR. */
		assert_int_equal((uint64_t)d.u.Memory.Start.QuadPart, pcie_fn_bar_addr(srnic_function(e.nic, 1), bar));
		assert_int_equal(d.u.Memory.Length, pcie_fn_bar_size(srnic_function(e.nic, 1), bar));
	}
	{
		NDIS_SRIOV_SET_VF_POWER_STATE_PARAMETERS ps;

		memset(&ps, 0, sizeof(ps));
		pf_hdr(&ps, 1, NDIS_SIZEOF_SRIOV_SET_VF_POWER_STATE_PARAMETERS_REVISION_1);
		ps.VFId = vf;
		ps.PowerState = NdisDeviceStateD3;
		ps.WakeEnable = TRUE;
		assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestSetInformation, OID_SRIOV_SET_VF_POWER_STATE, &ps,
					sizeof(ps), 0, NULL), ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(vf_cfg(&e, vf, 0x40 + PCI_PM_CTRL, 2) & (PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE),
				 3 | PCI_PM_CTRL_PME_ENABLE);
		ps.PowerState = NdisDeviceStateD0;
		ps.WakeEnable = FALSE;
		assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestSetInformation, OID_SRIOV_SET_VF_POWER_STATE, &ps,
					sizeof(ps), 0, NULL), ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(vf_cfg(&e, vf, 0x40 + PCI_PM_CTRL, 2) & (PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE), 0);
	}

	/* 6. The VF driver reports it runs over block 64, and reads it back. */
	{
		struct srnic_cfgblock_vf_report d, back;

		memset(&d, 0, sizeof(d));
		d.magic = SRNIC_CFGBLOCK_MAGIC;
		d.version = SRNIC_CFGBLOCK_VERSION_1;
		d.length = sizeof(d);
		d.generation_seen = info.generation;
		d.flags = SRNIC_VFREPORT_F_RUNNING;
		d.driver_version = 0x10000;
		assert_int_equal(write_block(&e, vf, SRNIC_CFGBLOCK_VF_REPORT, &d, sizeof(d)), ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(read_block(&e, vf, SRNIC_CFGBLOCK_VF_REPORT, &back, sizeof(back)), ST(NDIS_STATUS_SUCCESS));
		assert_memory_equal(&back, &d, sizeof(d));
	}
	/* The VF uses its function: MAC register and CTRL.ENABLE (VF MSE decodes VF BARs). */
	assert_int_equal(srnic_mmio_write32(e.nic, 1, SRNIC_BAR_REGS, SRNIC_REG_MAC_LO, 0x5d150000), 0);
	assert_int_equal(srnic_mmio_write32(e.nic, 1, SRNIC_BAR_REGS, SRNIC_REG_CTRL, SRNIC_CTRL_ENABLE), 0);

	/* 7. Teardown (spec 1.3): filter back, vPort deleted, FLR, VF freed. */
	assert_int_equal(pf_move_filter(&e, filter, vport, 0), ST(NDIS_STATUS_SUCCESS));
	assert_true(hw_filter_find(&e, vm_mac, 100, &hw_vport) >= 0);
	assert_int_equal(hw_vport, 0);
	assert_int_equal(e.invalidations, 3);	/* VLAN gone from the VF */
	wire_frame(&e, vm_mac, 100);
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(pf_delete_vport(&e, vport), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(hw_vport_cfg(&e, vport) & SRNIC_VPORT_CFG_VALID, 0);
	assert_int_equal(e.invalidations, 4);	/* link down */
	info = info_of(&e, vf);
	assert_int_equal(info.flags & SRNIC_VFINFO_F_LINK_UP, 0);
	assert_int_equal(info.vport_id, 0);
	assert_int_equal(info.generation, 5);

	assert_true(vf_cfg(&e, vf, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	assert_int_equal(pf_reset_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	/* FLR: the VF's config space and NIC state are back to power-on. */
	assert_false(vf_cfg(&e, vf, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	assert_int_equal(fn_reg(&e, 1, SRNIC_REG_CTRL), 0);
	assert_int_not_equal(fn_reg(&e, 1, SRNIC_REG_MAC_LO), 0x5d150000);
	assert_int_equal(fn_reg(&e, 1, SRNIC_REG_STAT_DROP_LINK_DOWN), 0);
	/* ... and the report block is cleared: the VF driver is gone. */
	{
		uint8_t z[sizeof(struct srnic_cfgblock_vf_report)], blk[sizeof(z)];

		memset(z, 0, sizeof(z));
		assert_int_equal(read_block(&e, vf, SRNIC_CFGBLOCK_VF_REPORT, blk, sizeof(blk)), ST(NDIS_STATUS_SUCCESS));
		assert_memory_equal(blk, z, sizeof(z));
	}
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	ndis_adapter_sriov_view(e.ad, &v);
	assert_int_equal(v.n_vfs, 0);
	/* A freed VF is no longer there for SR-IOV OIDs. */
	st = read_block(&e, vf, SRNIC_CFGBLOCK_VF_INFO, &info, sizeof(info));
	assert_int_equal(st, ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(pf_clear_filter(&e, filter), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(hw_filter_find(&e, vm_mac, 100, NULL), -1);
	pf_env_down(&e);
}

static void test_vf_pool_exhaustion(void **state)
{
	NDIS_NIC_SWITCH_VF_PARAMETERS p;
	struct pf_env e;
	uint32_t rid;

	(void)state;
	pf_env_up(&e, NULL);
	for (uint16_t i = 0; i < 8; i++) {
		assert_int_equal(pf_allocate_vf(&e, NULL, &rid), i);
		assert_int_equal(rid, NDIS_MAKE_RID(0, 3, 8 + 2 * i));	/* VF Stride 2 */
	}
	memset(&p, 0, sizeof(p));
	pf_hdr(&p, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
	p.VFId = NDIS_INVALID_VF_FUNCTION_ID;
	p.RequestorId = NDIS_INVALID_RID;
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, &p, sizeof(p), sizeof(p), NULL),
			 ST(NDIS_STATUS_FAILURE));
	assert_true(pf_reached_miniport(&e));
	/* Freeing one makes exactly that one available again. */
	assert_int_equal(pf_free_vf(&e, 5), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_allocate_vf(&e, NULL, NULL), 5);
	for (uint16_t i = 0; i < 8; i++)
		assert_int_equal(pf_free_vf(&e, i), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

static uint32_t vport_set(struct pf_env *e, uint32_t vport, ULONG flags, NDIS_NIC_SWITCH_VPORT_STATE st, KAFFINITY mask)
{
	NDIS_NIC_SWITCH_VPORT_PARAMETERS p;

	memset(&p, 0, sizeof(p));
	pf_hdr(&p, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	p.VPortId = vport;
	p.Flags = flags;
	p.VPortState = st;
	p.ProcessorAffinity.Mask = mask;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_VPORT_PARAMETERS, &p, sizeof(p), 0, NULL);
}

static void test_pf_vports(void **state)
{
	NDIS_NIC_SWITCH_VPORT_PARAMETERS p;
	struct pf_env e;
	uint32_t v[3], vfp;
	uint16_t vf;

	(void)state;
	pf_env_up(&e, NULL);
	/* Three PF vPorts take PF queue pairs 1, 2, 3; the fourth finds none. */
	for (unsigned i = 0; i < 3; i++) {
		v[i] = pf_create_vport(&e, NDIS_PF_FUNCTION_ID, 1);
		assert_int_equal(hw_vport_cfg(&e, v[i]), SRNIC_VPORT_CFG_VALID | SRNIC_VPORT_CFG_FUNC(0) |
							     SRNIC_VPORT_CFG_QP_FIRST(1 + i) | SRNIC_VPORT_CFG_QP_NUM(1));
	}
	memset(&p, 0, sizeof(p));
	pf_hdr(&p, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	p.AttachedFunctionId = NDIS_PF_FUNCTION_ID;
	p.NumQueuePairs = 1;
	p.VPortState = NdisNicSwitchVPortStateDeactivated;
	p.ProcessorAffinity.Mask = 2;
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &p, sizeof(p), sizeof(p), NULL),
			 ST(NDIS_STATUS_FAILURE));
	assert_true(pf_reached_miniport(&e));
	/* Symmetric queue pairs: a 2-QP vPort next to 1-QP ones is refused. */
	vf = pf_allocate_vf(&e, NULL, NULL);
	memset(&p, 0, sizeof(p));
	pf_hdr(&p, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	p.AttachedFunctionId = vf;
	p.NumQueuePairs = 2;
	p.VPortState = NdisNicSwitchVPortStateActivated;
	assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &p, sizeof(p), sizeof(p), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_true(pf_reached_miniport(&e));
	vfp = pf_create_vport(&e, vf, 1);

	/* Activation of a PF vPort, once; nothing ever deactivates. */
	assert_int_equal(vport_set(&e, v[0], NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED, NdisNicSwitchVPortStateActivated, 0),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(vport_set(&e, v[0], NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED, NdisNicSwitchVPortStateActivated, 0),
			 ST(NDIS_STATUS_SUCCESS));	/* already: no change */
	assert_int_equal(vport_set(&e, v[0], NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED, NdisNicSwitchVPortStateDeactivated, 0),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(vport_set(&e, vfp, NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED, NdisNicSwitchVPortStateDeactivated, 0),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(vport_set(&e, 0, NDIS_NIC_SWITCH_VPORT_PARAMS_STATE_CHANGED, NdisNicSwitchVPortStateDeactivated, 0),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	/* Affinity: PF vPorts (default included), one processor. */
	assert_int_equal(vport_set(&e, 0, NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED, 0, 4),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(vport_set(&e, v[1], NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED, 0, 3),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(vport_set(&e, vfp, NDIS_NIC_SWITCH_VPORT_PARAMS_PROCESSOR_AFFINITY_CHANGED, 0, 1),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	/* 6.50/6.60 changes are not supported. */
	assert_int_equal(vport_set(&e, v[1], NDIS_NIC_SWITCH_VPORT_PARAMS_NUM_QUEUE_PAIRS_CHANGED, 0, 0),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_true(pf_reached_miniport(&e));
	/* Deleting a PF vPort frees its queue pair for the next. */
	assert_int_equal(pf_delete_vport(&e, v[1]), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(hw_vport_cfg(&e, v[1]) & SRNIC_VPORT_CFG_VALID, 0);
	v[1] = pf_create_vport(&e, NDIS_PF_FUNCTION_ID, 1);
	assert_int_equal(SRNIC_VPORT_CFG_GET_QP_FIRST(hw_vport_cfg(&e, v[1])), 2);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pf_delete_vport(&e, v[i]), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_delete_vport(&e, vfp), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

static void test_filters(void **state)
{
	static const uint8_t other[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x02 };
	struct pf_env e;
	uint32_t f1, f2, ids[SRNIC_NUM_FILTERS];
	unsigned vp;
	int slot;

	(void)state;
	pf_env_up(&e, NULL);
	/* Untagged filter: VLAN_EN clear, matches untagged and priority-tagged. */
	f1 = pf_set_filter(&e, 0, vm_mac, 0);
	slot = hw_filter_find(&e, vm_mac, 0, &vp);
	assert_true(slot >= 0);
	/* Same MAC on a VLAN is a different filter. */
	f2 = pf_set_filter(&e, 0, vm_mac, 7);
	assert_true(hw_filter_find(&e, vm_mac, 7, &vp) >= 0);
	wire_frame(&e, vm_mac, 0);
	wire_frame(&e, vm_mac, 7);
	wire_frame(&e, vm_mac, 8);	/* no filter on VLAN 8 */
	assert_int_equal(fn_reg(&e, 0, SRNIC_REG_STAT_RX_FRAMES), 2);
	assert_int_equal(pf_reg(&e, SRNIC_REG_SW_DROP_NO_FILTER), 1);
	assert_int_equal(pf_clear_filter(&e, f2), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(hw_filter_find(&e, vm_mac, 7, NULL), -1);
	assert_int_equal(pf_clear_filter(&e, f1), ST(NDIS_STATUS_SUCCESS));
	/* All SRNIC_NUM_FILTERS (512) hardware filters, then NDIS_STATUS_RESOURCES. */
	for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++) {
		uint8_t m[6] = { 0x02, 0x00, 0x00, 0x00, (uint8_t)(i >> 8), (uint8_t)i };
		ids[i] = pf_set_filter(&e, 0, m, 0);
	}
	{
		struct {
			NDIS_RECEIVE_FILTER_PARAMETERS p;
			NDIS_RECEIVE_FILTER_FIELD_PARAMETERS f;
		} b;

		memset(&b, 0, sizeof(b));
		pf_hdr(&b.p, 2, NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
		b.p.FilterType = NdisReceiveFilterTypeVMQueue;
		b.p.FieldParametersArrayOffset = offsetof(__typeof__(b), f);
		b.p.FieldParametersArrayNumElements = 1;
		b.p.FieldParametersArrayElementSize = sizeof(b.f);
		pf_hdr(&b.f, 1, sizeof(b.f));
		b.f.FrameHeader = NdisFrameHeaderMac;
		b.f.ReceiveFilterTest = NdisReceiveFilterTestEqual;
		b.f.HeaderField.MacHeaderField = NdisMacHeaderFieldDestinationAddress;
		b.f.Flags = NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
		memcpy(b.f.FieldValue.FieldByteArrayValue, other, 6);
		assert_int_equal(pf_oid(&e, &pf_vmsp, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, &b, sizeof(b),
					sizeof(b), NULL), ST(NDIS_STATUS_RESOURCES));
		assert_true(pf_reached_miniport(&e));
	}
	for (unsigned i = 0; i < SRNIC_NUM_FILTERS; i++)
		assert_int_equal(pf_clear_filter(&e, ids[i]), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

/* A filter set straight on the VF's vPort, and cleared: the VF learns its MAC. */
static void test_vf_mac_follows_filters(void **state)
{
	static const uint8_t mac2[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x22 };
	struct srnic_cfgblock_vf_info info;
	struct pf_env e;
	uint32_t vport, f;
	uint16_t vf;

	(void)state;
	pf_env_up(&e, NULL);
	vf = pf_allocate_vf(&e, vm_mac, NULL);
	vport = pf_create_vport(&e, vf, 2);
	assert_int_equal(SRNIC_VPORT_CFG_GET_QP_NUM(hw_vport_cfg(&e, vport)), 2);
	assert_int_equal(e.invalidations, 1);
	f = pf_set_filter(&e, vport, mac2, 0);
	assert_int_equal(e.invalidations, 2);
	info = info_of(&e, vf);
	assert_memory_equal(info.mac, mac2, 6);
	assert_int_equal(info.num_queue_pairs, 2);
	assert_int_equal(pf_clear_filter(&e, f), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(e.invalidations, 3);
	info = info_of(&e, vf);
	assert_memory_equal(info.mac, vm_mac, 6);
	/* A filter on the default vPort changes nothing for the VF. */
	f = pf_set_filter(&e, 0, mac2, 0);
	assert_int_equal(e.invalidations, 3);
	assert_int_equal(pf_clear_filter(&e, f), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_delete_vport(&e, vport), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

/*
 * The two real drivers agree on block 0: what srnic_pf answers to the
 * OID_SRIOV_READ_VF_CONFIG_BLOCK the virtualization stack issues for a
 * guest's NdisMReadConfigBlock(0) -- sized as srnic_vf's buffer, output
 * exactly that large -- is accepted by srnic_vf's own parser
 * (srnic_cfgblock_parse_vf_info, the one NICReadVfInfo runs) with the VM
 * NIC's MAC; a MAC or VLAN change through the PF bumps the generation and
 * reaches the virtualization stack's invalidate callback as bit 0.
 */
static uint32_t vf_driver_read_block0(struct pf_env *e, uint16_t vf, struct srnic_cfgblock_vf_info *info)
{
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS p;
		uint8_t data[sizeof(struct srnic_cfgblock_vf_info)];	/* srnic_vf's NICReadVfInfo buffer */
	} b;
	NDIS_OID_REQUEST r;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1,
	       NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.BlockId = SRNIC_CFGBLOCK_VF_INFO;
	b.p.Length = sizeof(b.data);
	b.p.BufferOffset = offsetof(__typeof__(b), data);
	assert_int_equal(pf_oid(e, &pf_vmsp, NdisRequestMethod, OID_SRIOV_READ_VF_CONFIG_BLOCK, &b, sizeof(b.p),
				(uint32_t)(offsetof(__typeof__(b), data) + sizeof(b.data)), &r),
			 ST(NDIS_STATUS_SUCCESS));
	assert_true(pf_reached_miniport(e));
	assert_int_equal(r.DATA.METHOD_INFORMATION.BytesWritten, offsetof(__typeof__(b), data) + sizeof(b.data));
	return (uint32_t)srnic_cfgblock_parse_vf_info(b.data, sizeof(b.data), info);
}

static void test_vf_driver_reads_pf_block0(void **state)
{
	static const uint8_t mac2[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x42 };
	struct srnic_cfgblock_vf_info info;
	struct pf_env e;
	uint32_t vport, f, gen;
	uint16_t vf;

	(void)state;
	pf_env_up(&e, NULL);
	vf = pf_allocate_vf(&e, vm_mac, NULL);
	vport = pf_create_vport(&e, vf, 1);
	assert_int_equal(vf_driver_read_block0(&e, vf, &info), 1);
	assert_int_equal(info.magic, SRNIC_CFGBLOCK_MAGIC);
	assert_true(info.flags & SRNIC_VFINFO_F_MAC_VALID);
	assert_memory_equal(info.mac, vm_mac, 6);
	assert_int_equal(info.flags & SRNIC_VFINFO_F_VLAN, 0);
	assert_true(info.flags & SRNIC_VFINFO_F_LINK_UP);
	assert_int_equal(info.vport_id, vport);
	assert_int_equal(info.num_queue_pairs, 1);
	assert_int_equal(info.mtu, 1500);
	gen = info.generation;
	assert_true(gen >= 1);

	/* The PF steers another MAC to the VF's vPort: generation + 1, bit 0 invalidated. */
	e.invalidations = 0;
	e.inval_mask = 0;
	f = pf_set_filter(&e, vport, mac2, 0);
	assert_int_equal(e.invalidations, 1);
	assert_int_equal(e.inval_vf, vf);
	assert_int_equal(e.inval_mask, 1ull << SRNIC_CFGBLOCK_VF_INFO);
	assert_int_equal(vf_driver_read_block0(&e, vf, &info), 1);
	assert_memory_equal(info.mac, mac2, 6);
	assert_int_equal(info.generation, gen + 1);
	/* Re-reading without a change neither bumps nor invalidates. */
	assert_int_equal(vf_driver_read_block0(&e, vf, &info), 1);
	assert_int_equal(info.generation, gen + 1);
	assert_int_equal(e.invalidations, 1);

	/* ... and a VLAN: the VM NIC's MAC tagged 7 on the vPort. */
	assert_int_equal(pf_clear_filter(&e, f), ST(NDIS_STATUS_SUCCESS));
	e.invalidations = 0;
	e.inval_mask = 0;
	f = pf_set_filter(&e, vport, vm_mac, 7);
	assert_int_equal(e.invalidations, 1);
	assert_int_equal(e.inval_mask, 1ull << SRNIC_CFGBLOCK_VF_INFO);
	assert_int_equal(vf_driver_read_block0(&e, vf, &info), 1);
	assert_memory_equal(info.mac, vm_mac, 6);
	assert_true(info.flags & SRNIC_VFINFO_F_VLAN);
	assert_int_equal(info.vlan_id, 7);
	assert_int_equal(info.generation, gen + 3);	/* cleared (back to vm_mac untagged), then tagged */

	assert_int_equal(pf_clear_filter(&e, f), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_delete_vport(&e, vport), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&e);
}

/* Halting with VFs, vPorts and filters left: NDIS deletes the switch, the PF cleans up. */
static void test_halt_with_leftovers(void **state)
{
	struct pf_env e;
	uint32_t vport;
	uint16_t vf;

	(void)state;
	pf_env_up(&e, NULL);
	vf = pf_allocate_vf(&e, vm_mac, NULL);
	vport = pf_create_vport(&e, vf, 1);
	(void)pf_set_filter(&e, vport, vm_mac, 0);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(pf_cfg(&e, PF_SRIOV + PCI_SRIOV_CTRL, 2) & PCI_SRIOV_CTRL_VFE, 0);
	assert_int_equal(hw_vport_cfg(&e, vport) & SRNIC_VPORT_CFG_VALID, 0);
	assert_int_equal(hw_filter_find(&e, vm_mac, 0, NULL), -1);
	pf_env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bring_up_and_teardown),
		cmocka_unit_test(test_vf_pool_exhaustion),
		cmocka_unit_test(test_pf_vports),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_vf_mac_follows_filters),
		cmocka_unit_test(test_vf_driver_reads_pf_block0),
		cmocka_unit_test(test_halt_with_leftovers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
