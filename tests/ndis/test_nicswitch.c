/*
 * NDIS's SR-IOV side (src/ndis/nicswitch.c, api_sriov.c, api_io.c): NDIS
 * creates the default switch after a PF initializes with current SR-IOV
 * caps and deletes it before MiniportHaltEx; the N OIDs are answered from
 * the attributes and NDIS's cache without reaching the PF, with the
 * INVALID_LENGTH/BytesNeeded rule; VF allocation, vPort and filter OIDs are
 * pre-validated (ids assigned, ownership enforced) and cached; the VF serial
 * number comes from the vPCI interface captured at initialization and fails
 * with NDIS_STATUS_NOT_SUPPORTED without it (spec 6.5); NdisGetHypervisorInfo
 * per partition; the bus-ops calls (virtualization, VF config space, probed
 * BARs, MMIO, config blocks, invalidation) against the bus double.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw_helpers.h"

static const struct ndis_issuer vmsp = { NDIS_ISSUER_OVERLYING, "VMSP" };
static const struct ndis_issuer other = { NDIS_ISSUER_OVERLYING, "OTHER" };
static const struct ndis_issuer ndis = { NDIS_ISSUER_NDIS, "NDIS" };

static uint32_t oid(struct ndis_adapter *ad, const struct ndis_issuer *who, NDIS_REQUEST_TYPE type, NDIS_OID id,
		    void *buf, uint32_t len, NDIS_OID_REQUEST *out)
{
	NDIS_OID_REQUEST req;
	uint32_t st = 0;

	ndis_oid_init(&req, type, id, buf, len);
	assert_int_equal(ndis_oid_request(ad, who, &req, NULL, NULL, &st), 0);
	if (out)
		*out = req;
	return st;
}

static bool reached(const struct fake_control *c, NDIS_OID id)
{
	for (unsigned i = 0; i < c->n_oids; i++)
		if (c->oids[i] == id)
			return true;
	return false;
}

static void hdr(void *p, uint8_t rev, uint16_t size)
{
	NDIS_OBJECT_HEADER *h = p;

	h->Type = NDIS_OBJECT_TYPE_DEFAULT;
	h->Revision = rev;
	h->Size = size;
}

struct pf_env {
	struct ndis_framework *fw;
	struct fake_control *c;
	struct bus_double bus;
	struct virt_double virt;
	struct ndis_adapter *ad;
};

static void pf_up(struct pf_env *e)
{
	e->fw = test_framework(NDIS_PARTITION_PARENT);
	e->c = fake_control("fake_pf");
	bus_double_init(&e->bus);
	memset(&e->virt, 0, sizeof(e->virt));
	ndis_framework_set_virt_ops(e->fw, &virt_double_ops, &e->virt);
	assert_int_equal(test_adapter(e->fw, "pf", HWID("10ED"), &e->bus, NULL, &e->ad), 0);
}

static void test_switch_created_and_deleted_by_ndis(void **state)
{
	struct pf_env e;
	struct ndis_sriov_view v;

	(void)state;
	pf_up(&e);
	/* NDIS issued CREATE_SWITCH from NicSwitches\0 after initialization. */
	assert_int_equal(e.c->oids[0], OID_NIC_SWITCH_CREATE_SWITCH);
	assert_int_equal(e.c->oid_types[0], NdisRequestMethod);
	assert_int_equal(e.c->enable_virt_status, NDIS_STATUS_SUCCESS);
	assert_true(e.bus.virt_enabled);
	assert_int_equal(e.bus.num_vfs, 8);
	ndis_adapter_sriov_view(e.ad, &v);
	assert_true(v.switch_created);
	assert_true(v.virtualization_enabled);
	assert_int_equal(v.num_vfs, 8);
	assert_int_equal(v.enabled_vfs, 8);
	assert_int_equal(v.cur_sriov_caps, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_PF_MINIPORT);
	/* NdisGetHypervisorInfo said parent. */
	assert_int_equal(e.c->hv_status, NDIS_STATUS_SUCCESS);
	assert_int_equal(e.c->hv.PartitionType, NdisHypervisorPartitionTypeMsHvParent);
	assert_int_equal(e.c->hv.Flags, NDIS_HYPERVISOR_INFO_FLAG_HYPERVISOR_PRESENT);
	/* Registers went through the bus (doorbell path) and back. */
	assert_int_equal(e.bus.maps, 1);
	assert_int_equal(e.bus.mmio_writes, 1);
	assert_int_equal(e.bus.last_write_phys, 0xfe000010);
	assert_int_equal(e.bus.last_write_value, 0xC0FFEE);
	assert_int_equal(e.c->reg_value, 0xC0FFEE);
	assert_int_equal(e.c->bus_bytes, 4);
	/* Halt: DELETE_SWITCH before MiniportHaltEx (spec 2.18). */
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(e.c->oids[e.c->n_oids - 1], OID_NIC_SWITCH_DELETE_SWITCH);
	assert_false(e.bus.virt_enabled);
	assert_int_equal(e.c->halt_calls, 1);
	assert_int_equal(e.bus.unmaps, 1);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_capability_oids_answered_by_ndis(void **state)
{
	struct pf_env e;
	NDIS_OID_REQUEST r;
	union {
		NDIS_SRIOV_CAPABILITIES sriov;
		NDIS_NIC_SWITCH_CAPABILITIES sw;
		NDIS_RECEIVE_FILTER_CAPABILITIES rcv;
		NDIS_SRIOV_PF_LUID_INFO luid;
		NDIS_SRIOV_VF_SERIAL_NUMBER_INFO serial;
		uint8_t raw[2048];
	} b;
	unsigned before;

	(void)state;
	pf_up(&e);
	before = e.c->oid_calls;
	memset(&b, 0, sizeof(b));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_HARDWARE_CAPABILITIES, &b, 4, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesNeeded, 12);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_HARDWARE_CAPABILITIES, &b,
			     sizeof(b), &r), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesWritten, 12);
	assert_int_equal(b.sriov.SriovCapabilities, 0x3);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_CURRENT_CAPABILITIES, &b,
			     sizeof(b), NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_HARDWARE_CAPABILITIES, &b, 100, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesNeeded, 116);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_CURRENT_CAPABILITIES, &b,
			     sizeof(b), &r), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(b.sw.MaxNumVFs, 8);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_RECEIVE_FILTER_HARDWARE_CAPABILITIES, &b,
			     sizeof(b), &r), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesWritten, 84);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_PF_LUID, &b, sizeof(b), &r),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesWritten, 12);
	assert_true(b.luid.Luid.LowPart != 0);
	/* A PF has no vPCI serial number. */
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_VF_SERIAL_NUMBER, &b, sizeof(b), NULL),
			 ST(NDIS_STATUS_NOT_SUPPORTED));
	/* A length with no buffer is malformed. */
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_PF_LUID, NULL, 12, NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	/* None of these reached the miniport. */
	assert_int_equal(e.c->oid_calls, before);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_switch_enumeration_and_parameters(void **state)
{
	struct pf_env e;
	NDIS_OID_REQUEST r;
	uint8_t *buf = calloc(1, 4096);
	NDIS_NIC_SWITCH_INFO_ARRAY *arr = (void *)buf;
	NDIS_NIC_SWITCH_INFO *info = (void *)(buf + 16);
	NDIS_NIC_SWITCH_PARAMETERS *p = (void *)buf;
	char name[64];

	(void)state;
	pf_up(&e);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_ENUM_SWITCHES, buf, 100, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesNeeded, 588);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_ENUM_SWITCHES, buf, 4096, &r),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(arr->NumElements, 1);
	assert_int_equal(arr->ElementSize, 572);
	assert_int_equal(info->SwitchType, NdisNicSwitchTypeExternal);
	assert_int_equal(info->NumVFs, 8);
	assert_int_equal(info->NumVPorts, 9);
	assert_int_equal(info->NumActiveVPorts, 1);
	assert_int_equal(info->SwitchFriendlyName.Length, 28);
	assert_int_equal(info->SwitchFriendlyName.String[0], 'D');
	/* Parameters (method) from the cache; SwitchId must be 0. */
	memset(buf, 0, 4096);
	hdr(p, 1, NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1);
	p->SwitchId = 1;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_PARAMETERS, buf, 548, NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	p->SwitchId = 0;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_PARAMETERS, buf, 548, &r),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(r.DATA.METHOD_INFORMATION.BytesWritten, 548);
	assert_int_equal(p->NumVFs, 8);
	assert_false(reached(e.c, OID_NIC_SWITCH_PARAMETERS));
	/* A rename goes to the PF; NDIS writes *SwitchName. */
	p->Flags = NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED;
	p->SwitchFriendlyName.Length = 4;
	p->SwitchFriendlyName.String[0] = 'S';
	p->SwitchFriendlyName.String[1] = '2';
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_PARAMETERS, buf, 548, NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_true(reached(e.c, OID_NIC_SWITCH_PARAMETERS));
	assert_int_equal(ndis_adapter_get_keyword(e.ad, "NicSwitches\\0\\*SwitchName", name, sizeof(name)), 0);
	assert_string_equal(name, "S2");
	free(buf);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void vf_params(NDIS_NIC_SWITCH_VF_PARAMETERS *p)
{
	memset(p, 0, sizeof(*p));
	hdr(p, 1, NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1);
	p->SwitchId = 0;
	p->VFId = NDIS_INVALID_VF_FUNCTION_ID;
	p->RequestorId = NDIS_INVALID_RID;
	p->MacAddressLength = 6;
	p->CurrentMacAddress[5] = 0x42;
}

static void vport_params(NDIS_NIC_SWITCH_VPORT_PARAMETERS *p, USHORT fn)
{
	memset(p, 0, sizeof(*p));
	hdr(p, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1);
	p->AttachedFunctionId = fn;
	p->NumQueuePairs = 1;
	p->VPortState = fn == NDIS_PF_FUNCTION_ID ? NdisNicSwitchVPortStateDeactivated : NdisNicSwitchVPortStateActivated;
}

struct filter_buf {
	NDIS_RECEIVE_FILTER_PARAMETERS p;
	NDIS_RECEIVE_FILTER_FIELD_PARAMETERS f;
};

static void filter_params(struct filter_buf *b, uint32_t vport)
{
	memset(b, 0, sizeof(*b));
	hdr(&b->p, 2, NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
	b->p.FilterType = NdisReceiveFilterTypeVMQueue;
	b->p.VPortId = vport;
	b->p.FieldParametersArrayOffset = offsetof(struct filter_buf, f);
	b->p.FieldParametersArrayNumElements = 1;
	b->p.FieldParametersArrayElementSize = sizeof(b->f);
	hdr(&b->f, 1, NDIS_SIZEOF_RECEIVE_FILTER_FIELD_PARAMETERS_REVISION_1);
	b->f.FrameHeader = NdisFrameHeaderMac;
	b->f.ReceiveFilterTest = NdisReceiveFilterTestEqual;
	b->f.HeaderField.MacHeaderField = NdisMacHeaderFieldDestinationAddress;
	b->f.FieldValue.FieldByteArrayValue[5] = 0x42;
}

static void test_vf_vport_filter_lifecycle(void **state)
{
	struct pf_env e;
	NDIS_OID_REQUEST r;
	NDIS_NIC_SWITCH_VF_PARAMETERS vf;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS vp;
	NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS dv;
	NDIS_NIC_SWITCH_FREE_VF_PARAMETERS fv;
	NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS mv;
	NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS cl;
	struct filter_buf fb;
	uint8_t *buf = calloc(1, 8192);
	struct ndis_sriov_view v;
	unsigned calls;

	(void)state;
	pf_up(&e);
	/* NDIS pre-validates ALLOCATE_VF without calling the PF. */
	calls = e.c->oid_calls;
	vf_params(&vf);
	vf.VFId = 3;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, &vf, sizeof(vf), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, &vf, 100, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.METHOD_INFORMATION.BytesNeeded, 1632);
	assert_int_equal(e.c->oid_calls, calls);
	vf_params(&vf);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, &vf, sizeof(vf), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(vf.VFId, 0);
	assert_int_equal(vf.RequestorId, NDIS_MAKE_RID(0, 3, 1));
	/* ENUM_VFS and VF_PARAMETERS from NDIS's cache. */
	{
		NDIS_NIC_SWITCH_VF_INFO_ARRAY *a = (void *)buf;
		NDIS_NIC_SWITCH_VF_INFO *i = (void *)(buf + 24);
		memset(buf, 0, 8192);
		hdr(a, 1, NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1);
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ENUM_VFS, buf, 100, &r),
				 ST(NDIS_STATUS_INVALID_LENGTH));
		assert_int_equal(r.DATA.METHOD_INFORMATION.BytesNeeded, 24 + 1632);
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ENUM_VFS, buf, 8192, NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(a->NumElements, 1);
		assert_int_equal(i->VFId, 0);
		assert_int_equal(i->CurrentMacAddress[5], 0x42);
	}
	{
		NDIS_NIC_SWITCH_VF_PARAMETERS q;
		vf_params(&q);
		q.VFId = 0;
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_VF_PARAMETERS, &q, sizeof(q), NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(q.RequestorId, NDIS_MAKE_RID(0, 3, 1));
		q.VFId = 5;
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_VF_PARAMETERS, &q, sizeof(q), NULL),
				 ST(NDIS_STATUS_INVALID_PARAMETER));
	}
	/* vPorts: NDIS assigns the id; a VF gets one, activated. */
	vport_params(&vp, 0);
	vp.VPortState = NdisNicSwitchVPortStateDeactivated;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &vp, sizeof(vp), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	vport_params(&vp, 0);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &vp, sizeof(vp), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(vp.VPortId, 1);
	vport_params(&vp, 0);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &vp, sizeof(vp), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));	/* one vPort per VF */
	vport_params(&vp, 7);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &vp, sizeof(vp), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));	/* VF 7 not allocated */
	vport_params(&vp, NDIS_PF_FUNCTION_ID);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_CREATE_VPORT, &vp, sizeof(vp), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(vp.VPortId, 2);
	{
		NDIS_NIC_SWITCH_VPORT_INFO_ARRAY *a = (void *)buf;
		NDIS_NIC_SWITCH_VPORT_INFO i;	/* at offset 28: not 8-byte aligned, so copied out */
		memset(buf, 0, 8192);
		hdr(a, 1, NDIS_SIZEOF_NIC_SWITCH_VPORT_INFO_ARRAY_REVISION_1);
		a->Flags = NDIS_NIC_SWITCH_VPORT_INFO_ARRAY_ENUM_ON_SPECIFIC_FUNCTION;
		a->AttachedFunctionId = 0;
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ENUM_VPORTS, buf, 8192, NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(a->NumElements, 1);
		memcpy(&i, buf + a->FirstElementOffset, sizeof(i));
		assert_int_equal(i.VPortId, 1);
		a->Flags = 0;
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ENUM_VPORTS, buf, 8192, NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(a->NumElements, 3);	/* default, VF's, PF's */
		memcpy(&i, buf + a->FirstElementOffset, sizeof(i));
		assert_int_equal(i.VPortId, NDIS_DEFAULT_VPORT_ID);
	}
	/* Filters: NDIS assigns ids; only the creator filters its vPort. */
	filter_params(&fb, 1);
	assert_int_equal(oid(e.ad, &other, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, &fb, sizeof(fb), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, &fb, sizeof(fb) - 8, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.METHOD_INFORMATION.BytesNeeded, sizeof(fb));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, &fb, sizeof(fb), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(fb.p.FilterId, 1);
	filter_params(&fb, 0);	/* anyone may filter the default vPort */
	assert_int_equal(oid(e.ad, &other, NdisRequestMethod, OID_RECEIVE_FILTER_SET_FILTER, &fb, sizeof(fb), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(fb.p.FilterId, 2);
	{
		uint8_t info[4096];
		NDIS_NIC_SWITCH_INFO *si = (void *)(info + 16);
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_NIC_SWITCH_ENUM_SWITCHES, info,
				     sizeof(info), NULL), ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(si->NumAllocatedVFs, 1);
		assert_int_equal(si->NumActiveVPorts, 3);
		assert_int_equal(si->NumActiveDefaultVPortMacAddresses, 1);
		assert_int_equal(si->NumActiveNonDefaultVPortMacAddresses, 1);
	}
	{
		NDIS_RECEIVE_FILTER_INFO_ARRAY *a = (void *)buf;
		memset(buf, 0, 8192);
		hdr(a, 2, NDIS_SIZEOF_RECEIVE_FILTER_INFO_ARRAY_REVISION_2);
		a->Flags = NDIS_RECEIVE_FILTER_INFO_ARRAY_VPORT_ID_SPECIFIED;
		a->VPortId = 1;
		assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_RECEIVE_FILTER_ENUM_FILTERS, buf, 8192, NULL),
				 ST(NDIS_STATUS_SUCCESS));
		assert_int_equal(a->NumElements, 1);
		assert_int_equal(((NDIS_RECEIVE_FILTER_INFO *)(buf + 28))->FilterId, 1);
	}
	/* A vPort with filters cannot be deleted. */
	memset(&dv, 0, sizeof(dv));
	hdr(&dv, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_VPORT_PARAMETERS_REVISION_1);
	dv.VPortId = 1;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof(dv), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	/* Move the filter back to the default vPort (teardown, spec 1.3). */
	memset(&mv, 0, sizeof(mv));
	hdr(&mv, 1, NDIS_SIZEOF_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS_REVISION_1);
	mv.FilterId = 1;
	mv.SourceVPortId = 2;	/* wrong source */
	mv.DestVPortId = 0;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_RECEIVE_FILTER_MOVE_FILTER, &mv, sizeof(mv), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	mv.SourceVPortId = 1;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_RECEIVE_FILTER_MOVE_FILTER, &mv, sizeof(mv), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	/* Only the creator deletes a vPort; the VF goes only without its vPort. */
	assert_int_equal(oid(e.ad, &other, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof(dv), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	memset(&fv, 0, sizeof(fv));
	hdr(&fv, 1, NDIS_SIZEOF_NIC_SWITCH_FREE_VF_PARAMETERS_REVISION_1);
	fv.VFId = 0;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_FREE_VF, &fv, sizeof(fv), NULL),
			 ST(NDIS_STATUS_FILE_NOT_FOUND));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_FREE_VF, &fv, 8, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.SET_INFORMATION.BytesNeeded, 12);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_VPORT, &dv, sizeof(dv), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(oid(e.ad, &other, NdisRequestSetInformation, OID_NIC_SWITCH_FREE_VF, &fv, sizeof(fv), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_NIC_SWITCH_FREE_VF, &fv, sizeof(fv), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	memset(&cl, 0, sizeof(cl));
	hdr(&cl, 1, NDIS_SIZEOF_RECEIVE_FILTER_CLEAR_PARAMETERS_REVISION_1);
	cl.FilterId = 9;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_RECEIVE_FILTER_CLEAR_FILTER, &cl, sizeof(cl), NULL),
			 ST(NDIS_STATUS_INVALID_PARAMETER));
	cl.FilterId = 1;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestSetInformation, OID_RECEIVE_FILTER_CLEAR_FILTER, &cl, sizeof(cl), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	ndis_adapter_sriov_view(e.ad, &v);
	assert_int_equal(v.n_vfs, 0);
	assert_int_equal(v.n_vports, 1);
	assert_int_equal(v.n_filters, 1);
	free(buf);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_vf_config_space_and_ndis_only_oids(void **state)
{
	struct pf_env e;
	NDIS_NIC_SWITCH_VF_PARAMETERS vf;
	struct {
		NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS p;
		uint8_t data[16];
	} rd;
	uint8_t bars[32];
	NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS ds;

	(void)state;
	pf_up(&e);
	vf_params(&vf);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_NIC_SWITCH_ALLOCATE_VF, &vf, sizeof(vf), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	/* The PF reads the VF's config space through the PCI virtualization interface. */
	memset(&rd, 0, sizeof(rd));
	hdr(&rd.p, 1, NDIS_SIZEOF_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS_REVISION_1);
	rd.p.VFId = 0;
	rd.p.Offset = 0;
	rd.p.Length = 4;
	rd.p.BufferOffset = sizeof(rd.p);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestMethod, OID_SRIOV_READ_VF_CONFIG_SPACE, &rd, sizeof(rd), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(e.c->vf_bus_bytes, 4);
	assert_int_equal(rd.data[0], 0x40);
	/* NDIS itself asks for the probed BARs (for the vPCI VSP). */
	memset(bars, 0, sizeof(bars));
	assert_int_equal(oid(e.ad, &ndis, NdisRequestQueryInformation, OID_SRIOV_PROBED_BARS, bars, sizeof(bars), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(*(uint32_t *)(bars + 8), 0xffffc000);
	/* DELETE_SWITCH with bad parameters: NDIS says FILE_NOT_FOUND. */
	memset(&ds, 0, sizeof(ds));
	hdr(&ds, 1, NDIS_SIZEOF_NIC_SWITCH_DELETE_SWITCH_PARAMETERS_REVISION_1);
	ds.SwitchId = 4;
	assert_int_equal(oid(e.ad, &ndis, NdisRequestSetInformation, OID_NIC_SWITCH_DELETE_SWITCH, &ds, sizeof(ds), NULL),
			 ST(NDIS_STATUS_FILE_NOT_FOUND));
	/* NdisMEnableVirtualization's own rules. */
	assert_int_equal(NdisMEnableVirtualization(e.c->adapter, 4, FALSE, FALSE, TRUE), NDIS_STATUS_FAILURE);
	assert_int_equal(NdisMEnableVirtualization(e.c->adapter, 4, FALSE, FALSE, FALSE), NDIS_STATUS_INVALID_PARAMETER);
	assert_int_equal(NdisMEnableVirtualization(e.c->adapter, 4, TRUE, FALSE, TRUE), NDIS_STATUS_INVALID_PARAMETER);
	/* PF -> VF invalidation goes to the virtualization stack. */
	NdisMInvalidateConfigBlock(e.c->adapter, 0, 0x5);
	assert_int_equal(e.virt.invalidations, 1);
	assert_int_equal(e.virt.mask, 0x5);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_no_switch_without_needs(void **state)
{
	struct ndis_framework *fw = test_framework(NDIS_PARTITION_PARENT);
	struct fake_control *c = fake_control("mut_pf_no_needs");
	struct bus_double bus;
	struct ndis_adapter *ad;
	struct ndis_sriov_view v;

	(void)state;
	bus_double_init(&bus);
	assert_int_equal(test_adapter(fw, "pf", HWID("2005"), &bus, NULL, &ad), 0);
	/* Without Needs=PciSriovSupported.HW pci.sys reserved no VFs (F12). */
	assert_int_equal(c->enable_virt_status, NDIS_STATUS_NOT_SUPPORTED);
	assert_int_equal(bus.enable_calls, 0);
	ndis_adapter_sriov_view(ad, &v);
	assert_false(v.switch_created);
	assert_int_equal(ndis_framework_finding_count(fw), 1);
	assert_string_equal(ndis_framework_finding_at(fw, 0)->id, "NDIS-PF-INF-NEEDS");
	ndis_framework_destroy(fw);
}

struct vf_env {
	struct ndis_framework *fw;
	struct fake_control *c;
	struct bus_double bus;
	struct vpci_double vpci;
	struct ndis_adapter *ad;
};

static void vf_up(struct vf_env *e, bool answers)
{
	e->fw = test_framework(NDIS_PARTITION_CHILD);
	e->c = fake_control("fake_vf");
	bus_double_init(&e->bus);
	vpci_double_init(&e->vpci, 0x1234);
	e->vpci.answers = answers;
	assert_int_equal(test_adapter(e->fw, "vf", HWID("10EF"), &e->bus, &e->vpci, &e->ad), 0);
}

static void test_vf_serial_number(void **state)
{
	struct vf_env e;
	NDIS_SRIOV_VF_SERIAL_NUMBER_INFO sn;
	NDIS_OID_REQUEST r;
	unsigned calls;

	(void)state;
	vf_up(&e, true);
	assert_int_equal(e.c->hv.PartitionType, NdisHypervisorPartitionMsHvChild);
	calls = e.c->oid_calls;
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_VF_SERIAL_NUMBER, &sn, 4, &r),
			 ST(NDIS_STATUS_INVALID_LENGTH));
	assert_int_equal(r.DATA.QUERY_INFORMATION.BytesNeeded, 8);
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_VF_SERIAL_NUMBER, &sn, sizeof(sn), NULL),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(sn.SerialNumber, 0x1234);
	assert_int_equal(e.c->oid_calls, calls);
	/* The VF's MAC came over the backchannel. */
	assert_int_equal(e.c->config_block_status, NDIS_STATUS_SUCCESS);
	assert_int_equal(e.c->config_block[0], 0xa0);
	assert_int_equal(e.vpci.block_reads, 1);
	/* The PF changed block 0: NDIS tells the VF miniport (spec 2.13 step 5). */
	e.vpci.blocks[0][0] = 0xb0;
	assert_int_equal(ndis_adapter_vf_config_invalidated(e.ad, 0x1), 0);
	assert_int_equal(e.c->invalidated_mask, 0x1);
	assert_int_equal(e.c->config_block[0], 0xb0);
	/* A VF has no PF LUID. */
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_PF_LUID, &sn, sizeof(sn), NULL),
			 ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_vf_serial_number_without_vpci_interface(void **state)
{
	struct vf_env e;
	NDIS_SRIOV_VF_SERIAL_NUMBER_INFO sn;
	struct ndis_sriov_view v;

	(void)state;
	/* The field report: the stack does not answer GUID_VPCI_INTERFACE_STANDARD. */
	vf_up(&e, false);
	test_trace_reset();
	assert_int_equal(oid(e.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_VF_SERIAL_NUMBER, &sn, sizeof(sn), NULL),
			 ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_non_null(strstr(test_trace(), "ndisOidPreIovVfSerialNumber"));
	assert_non_null(strstr(test_trace(), "OID_SRIOV_VF_SERIAL_NUMBER (0x00010262) query from VMSP: "
					     "NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)"));
	ndis_adapter_sriov_view(e.ad, &v);
	assert_false(v.vpci_interface);
	assert_int_equal(e.c->config_block_status, NDIS_STATUS_FAILURE);
	ndis_framework_destroy(e.fw);
}

static void test_hypervisor_info(void **state)
{
	NDIS_HYPERVISOR_INFO hv;
	struct ndis_framework *fw, *fw2;

	(void)state;
	fw = ndis_framework_create("bare", NDIS_PARTITION_NONE);
	memset(&hv, 0, sizeof(hv));
	/* The caller fills the header. */
	assert_int_equal(NdisGetHypervisorInfo(&hv), NDIS_STATUS_BUFFER_TOO_SHORT);
	hv.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	hv.Header.Revision = NDIS_HYPERVISOR_INFO_REVISION_1;
	hv.Header.Size = NDIS_SIZEOF_HYPERVISOR_INFO_REVISION_1;
	hv.Flags = 0xff;
	/* Outside a driver call the only instance in the process answers. */
	assert_int_equal(NdisGetHypervisorInfo(&hv), NDIS_STATUS_SUCCESS);
	assert_int_equal(hv.Flags, 0);
	assert_int_equal(hv.PartitionType, NdisHypervisorPartitionTypeUnknown);
	fw2 = ndis_framework_create("guest", NDIS_PARTITION_CHILD);
	assert_int_equal(NdisGetHypervisorInfo(&hv), NDIS_STATUS_FAILURE);
	assert_int_equal(NdisGetHypervisorInfo(NULL), NDIS_STATUS_INVALID_PARAMETER);
	ndis_framework_destroy(fw);
	assert_int_equal(NdisGetHypervisorInfo(&hv), NDIS_STATUS_SUCCESS);
	assert_int_equal(hv.PartitionType, NdisHypervisorPartitionMsHvChild);
	assert_int_equal(hv.Flags, NDIS_HYPERVISOR_INFO_FLAG_HYPERVISOR_PRESENT);
	ndis_framework_destroy(fw2);
}

static void test_two_partitions_in_one_process(void **state)
{
	struct pf_env host;
	struct vf_env guest;
	NDIS_SRIOV_VF_SERIAL_NUMBER_INFO sn;

	(void)state;
	/* Each driver call sees its own instance's partition. */
	pf_up(&host);
	vf_up(&guest, true);
	assert_int_equal(host.c->hv.PartitionType, NdisHypervisorPartitionTypeMsHvParent);
	assert_int_equal(guest.c->hv.PartitionType, NdisHypervisorPartitionMsHvChild);
	assert_int_equal(oid(guest.ad, &vmsp, NdisRequestQueryInformation, OID_SRIOV_VF_SERIAL_NUMBER, &sn, sizeof(sn),
			     NULL), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(ndis_framework_finding_count(host.fw) + ndis_framework_finding_count(guest.fw), 0);
	ndis_framework_destroy(guest.fw);
	ndis_framework_destroy(host.fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_created_and_deleted_by_ndis),
		cmocka_unit_test(test_capability_oids_answered_by_ndis),
		cmocka_unit_test(test_switch_enumeration_and_parameters),
		cmocka_unit_test(test_vf_vport_filter_lifecycle),
		cmocka_unit_test(test_vf_config_space_and_ndis_only_oids),
		cmocka_unit_test(test_no_switch_without_needs),
		cmocka_unit_test(test_vf_serial_number),
		cmocka_unit_test(test_vf_serial_number_without_vpci_interface),
		cmocka_unit_test(test_hypervisor_info),
		cmocka_unit_test(test_two_partitions_in_one_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
