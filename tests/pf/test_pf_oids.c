/*
 * drivers/srnic_pf: every PF OID's documented validation (spec 3.1, 3.3,
 * oids.tsv), one bad input at a time, through the framework: the status, the
 * BytesNeeded in the DATA member of the request type, and who answered --
 * the PF, or NDIS where NDIS pre-validates (docs/ndis/oid-path.md). Each
 * block starts from a valid request that succeeds, so every failure below
 * is caused by the one field the case changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pf_env.h"

#define PF true
#define NDIS false

struct env {
	struct pf_env e;
	uint16_t vf;		/* allocated, with vPort */
	uint32_t vport;
	uint16_t free_vf;	/* never allocated */
};

static union {
	uint8_t raw[8192];
	NDIS_OBJECT_HEADER h;
} B;

static void check(struct env *x, const char *what, const struct ndis_issuer *who, NDIS_REQUEST_TYPE type,
		  NDIS_OID oid, uint32_t in, uint32_t out, uint32_t status, uint32_t needed, bool by_pf)
{
	NDIS_OID_REQUEST r;
	uint32_t st = pf_oid(&x->e, who, type, oid, B.raw, in, out, &r);
	bool pf = pf_reached_miniport(&x->e);

	if (st != status || pf != by_pf || (status == ST(NDIS_STATUS_INVALID_LENGTH) && pf_needed(&r) != needed))
		print_error("%s: status 0x%x (want 0x%x), needed %u (want %u), answered by %s (want %s)\n", what, st,
			    status, pf_needed(&r), needed, pf ? "PF" : "NDIS", by_pf ? "PF" : "NDIS");
	assert_int_equal(st, status);
	assert_int_equal(pf, by_pf);
	if (status == ST(NDIS_STATUS_INVALID_LENGTH) || status == ST(NDIS_STATUS_BUFFER_TOO_SHORT))
		assert_int_equal(pf_needed(&r), needed);
}

static void up(struct env *x)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x01 };

	pf_env_up(&x->e, NULL);
	assert_int_equal(x->e.create_rc, 0);
	x->vf = pf_allocate_vf(&x->e, mac, NULL);
	x->vport = pf_create_vport(&x->e, x->vf, 1);
	x->free_vf = 3;
}

static void down(struct env *x)
{
	assert_int_equal(pf_delete_vport(&x->e, x->vport), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(pf_free_vf(&x->e, x->vf), ST(NDIS_STATUS_SUCCESS));
	pf_env_down(&x->e);
}

#define OK ST(NDIS_STATUS_SUCCESS)
#define BADP ST(NDIS_STATUS_INVALID_PARAMETER)
#define BADLEN ST(NDIS_STATUS_INVALID_LENGTH)
#define NOTSUP ST(NDIS_STATUS_NOT_SUPPORTED)

/* ---- READ/WRITE_VF_CONFIG_SPACE -------------------------------------------------------------- */
static NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS *cs(struct env *x)
{
	NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS *p = (void *)B.raw;

	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(p, 1, 20);
	p->VFId = x->vf;
	p->Offset = 0;
	p->Length = 4;
	p->BufferOffset = 20;
	return p;
}

static void test_config_space(void **state)
{
	/* Both OIDs share the layout; for the set the data is input. */
	static const struct {
		NDIS_OID oid;
		NDIS_REQUEST_TYPE type;
	} kinds[] = {
		{ OID_SRIOV_READ_VF_CONFIG_SPACE, NdisRequestMethod },
		{ OID_SRIOV_WRITE_VF_CONFIG_SPACE, NdisRequestSetInformation },
	};
	struct env x;

	(void)state;
	up(&x);
	for (unsigned k = 0; k < 2; k++) {
		NDIS_OID oid = kinds[k].oid;
		NDIS_REQUEST_TYPE t = kinds[k].type;
		bool rd = t == NdisRequestMethod;
		/* in/out lengths of a request whose whole buffer is n bytes */
#define LEN_IN(n) (rd ? 20u : (n))
#define LEN_OUT(n) (n)

		cs(&x);
		if (!rd)	/* write the Command register's own value back */
			memcpy(B.raw + 20, "\x00\x00\x00\x00", 4);
		if (!rd)
			cs(&x)->Offset = PCI_CAPABILITY_LIST;
		check(&x, "valid", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), OK, 0, PF);
		if (rd) {
			uint32_t v;
			memcpy(&v, B.raw + 20, 4);
			assert_int_equal(v, vf_cfg(&x.e, x.vf, 0, 4));
		}
		cs(&x)->VFId = x.free_vf;
		check(&x, "unallocated VF", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->VFId = 8;
		check(&x, "VFId beyond NumVFs", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->VFId = 0xffff;
		check(&x, "VFId 0xffff", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x);
		check(&x, "structure cut short", &pf_vmsp, t, oid, 19, rd ? 24 : 0, BADLEN, 20, PF);
		cs(&x);
		check(&x, "no room for the data", &pf_vmsp, t, oid, LEN_IN(23), LEN_OUT(23), BADLEN, 24, PF);
		cs(&x)->Header.Revision = 0;
		check(&x, "revision 0", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
		check(&x, "wrong header type", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->Header.Size = 19;
		check(&x, "header size", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->BufferOffset = 8;
		check(&x, "data inside the structure", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->BufferOffset = 100;
		check(&x, "BufferOffset past the end", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADLEN, 104, PF);
		cs(&x)->BufferOffset = 0xfffffffeu;
		check(&x, "BufferOffset + Length overflows", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->Offset = 4094;
		check(&x, "Offset + Length past 4 KiB", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->Offset = 0xfffffffeu;
		check(&x, "Offset + Length overflows", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		cs(&x)->Length = 0;
		check(&x, "Length 0", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), BADP, 0, PF);
		{
			NDIS_SRIOV_READ_VF_CONFIG_SPACE_PARAMETERS *p = cs(&x);
			p->Offset = 4092;
			check(&x, "the last dword", &pf_vmsp, t, oid, LEN_IN(24), LEN_OUT(24), OK, 0, PF);
		}
#undef LEN_IN
#undef LEN_OUT
	}
	down(&x);
}

/* ---- READ/WRITE_VF_CONFIG_BLOCK -------------------------------------------------------------- */
static NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS *cb(struct env *x, uint32_t block, uint32_t len)
{
	NDIS_SRIOV_READ_VF_CONFIG_BLOCK_PARAMETERS *p = (void *)B.raw;

	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(p, 1, 20);
	p->VFId = x->vf;
	p->BlockId = block;
	p->Length = len;
	p->BufferOffset = 20;
	return p;
}

static void test_config_block(void **state)
{
	const NDIS_OID rd = OID_SRIOV_READ_VF_CONFIG_BLOCK, wr = OID_SRIOV_WRITE_VF_CONFIG_BLOCK;
	const NDIS_REQUEST_TYPE M = NdisRequestMethod, S = NdisRequestSetInformation;
	struct env x;

	(void)state;
	up(&x);
	cb(&x, 0, 32);
	check(&x, "read block 0", &pf_vmsp, M, rd, 20, 52, OK, 0, PF);
	cb(&x, 64, 16);
	check(&x, "write report block 64", &pf_vmsp, S, wr, 36, 0, OK, 0, PF);
	cb(&x, 64, 128);
	check(&x, "read 128 bytes", &pf_vmsp, M, rd, 20, 148, OK, 0, PF);
	cb(&x, 64, 129);
	check(&x, "read 129 bytes: block too large", &pf_vmsp, M, rd, 20, 149, BADP, 0, PF);
	cb(&x, 64, 129);
	check(&x, "write 129 bytes: block too large", &pf_vmsp, S, wr, 149, 0, BADP, 0, PF);
	cb(&x, 2, 16);
	check(&x, "read unknown block 2", &pf_vmsp, M, rd, 20, 36, BADP, 0, PF);
	cb(&x, 0, 16);
	check(&x, "write read-only block 0", &pf_vmsp, S, wr, 36, 0, BADP, 0, PF);
	cb(&x, 1, 16);
	check(&x, "read unknown block 1", &pf_vmsp, M, rd, 20, 36, BADP, 0, PF);
	cb(&x, 1, 16);
	check(&x, "write unknown block 1", &pf_vmsp, S, wr, 36, 0, BADP, 0, PF);
	cb(&x, 63, 16);
	check(&x, "read unknown block 63", &pf_vmsp, M, rd, 20, 36, BADP, 0, PF);
	cb(&x, 0, 32)->VFId = x.free_vf;
	check(&x, "read, VF not allocated", &pf_vmsp, M, rd, 20, 52, BADP, 0, PF);
	cb(&x, 64, 16)->VFId = x.free_vf;
	check(&x, "write, VF not allocated", &pf_vmsp, S, wr, 36, 0, BADP, 0, PF);
	cb(&x, 0, 32);
	check(&x, "read, structure short", &pf_vmsp, M, rd, 19, 52, BADLEN, 20, PF);
	cb(&x, 64, 16);
	check(&x, "write, structure short", &pf_vmsp, S, wr, 19, 0, BADLEN, 20, PF);
	cb(&x, 0, 32);
	check(&x, "read, no room for 32 bytes", &pf_vmsp, M, rd, 20, 40, BADLEN, 52, PF);
	cb(&x, 64, 16);
	check(&x, "write, data cut short", &pf_vmsp, S, wr, 30, 0, BADLEN, 36, PF);
	cb(&x, 0, 32)->BufferOffset = 4;
	check(&x, "read, data over the structure", &pf_vmsp, M, rd, 20, 52, BADP, 0, PF);
	cb(&x, 0, 32)->BufferOffset = 0xffffffffu;
	check(&x, "read, BufferOffset + Length overflows", &pf_vmsp, M, rd, 20, 52, BADP, 0, PF);
	cb(&x, 0, 0);
	check(&x, "read, Length 0", &pf_vmsp, M, rd, 20, 52, BADP, 0, PF);
	cb(&x, 0, 32)->Header.Revision = 0;
	check(&x, "read, revision 0", &pf_vmsp, M, rd, 20, 52, BADP, 0, PF);
	cb(&x, 64, 16)->Header.Size = 12;
	check(&x, "write, header size", &pf_vmsp, S, wr, 36, 0, BADP, 0, PF);
	down(&x);
}

/* ---- RESET_VF, SET_VF_POWER_STATE, VF_VENDOR_DEVICE_ID ------------------------------------------ */
static void test_reset_power_ids(void **state)
{
	const NDIS_REQUEST_TYPE M = NdisRequestMethod, S = NdisRequestSetInformation;
	NDIS_SRIOV_RESET_VF_PARAMETERS *r = (void *)B.raw;
	NDIS_SRIOV_SET_VF_POWER_STATE_PARAMETERS *ps = (void *)B.raw;
	NDIS_SRIOV_VF_VENDOR_DEVICE_ID_INFO *id = (void *)B.raw;
	struct env x;

#define RESET() (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(r, 1, 6), r->VFId = x.vf)
#define POWER(st, wake) (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(ps, 1, 13), ps->VFId = x.vf, \
			 ps->PowerState = (st), ps->WakeEnable = (wake))
#define IDS() (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(id, 1, 10), id->VFId = x.vf)
	(void)state;
	up(&x);
	RESET();
	check(&x, "reset", &pf_vmsp, S, OID_SRIOV_RESET_VF, 6, 0, OK, 0, PF);
	RESET();
	check(&x, "reset, short", &pf_vmsp, S, OID_SRIOV_RESET_VF, 5, 0, BADLEN, 6, PF);
	RESET();
	r->VFId = x.free_vf;
	check(&x, "reset, VF not allocated", &pf_vmsp, S, OID_SRIOV_RESET_VF, 6, 0, BADP, 0, PF);
	RESET();
	r->VFId = 64;
	check(&x, "reset, VFId out of range", &pf_vmsp, S, OID_SRIOV_RESET_VF, 6, 0, BADP, 0, PF);
	RESET();
	r->Header.Revision = 0;
	check(&x, "reset, revision 0", &pf_vmsp, S, OID_SRIOV_RESET_VF, 6, 0, BADP, 0, PF);

	/* Revision-1 size is 13 (sizeof 16): 13 is accepted, less asks for 16. */
	POWER(NdisDeviceStateD3, FALSE);
	check(&x, "D3 with 13 bytes", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 13, 0, OK, 0, PF);
	POWER(NdisDeviceStateD0, FALSE);
	check(&x, "D0", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 16, 0, OK, 0, PF);
	POWER(NdisDeviceStateD0, FALSE);
	check(&x, "power, short", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 12, 0, BADLEN, 16, PF);
	POWER(NdisDeviceStateD0, TRUE);
	check(&x, "D0 with wake", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 16, 0, BADP, 0, PF);
	POWER(NdisDeviceStateD1, FALSE);
	check(&x, "D1: srnic's VF has no D1", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 16, 0, BADP, 0, PF);
	POWER(NdisDeviceStateUnspecified, FALSE);
	check(&x, "power state 0", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 16, 0, BADP, 0, PF);
	POWER(NdisDeviceStateMaximum, FALSE);
	check(&x, "power state 5", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 16, 0, BADP, 0, PF);
	POWER(NdisDeviceStateD3, FALSE);
	ps->VFId = x.free_vf;
	check(&x, "power, VF not allocated", &pf_vmsp, S, OID_SRIOV_SET_VF_POWER_STATE, 16, 0, BADP, 0, PF);

	IDS();
	check(&x, "ids", &pf_vmsp, M, OID_SRIOV_VF_VENDOR_DEVICE_ID, 10, 10, OK, 0, PF);
	assert_int_equal(id->VendorId, SRNIC_VENDOR_ID);
	assert_int_equal(id->DeviceId, SRNIC_VF_DEVICE_ID);
	IDS();
	check(&x, "ids, input short", &pf_vmsp, M, OID_SRIOV_VF_VENDOR_DEVICE_ID, 9, 10, BADLEN, 10, PF);
	IDS();
	check(&x, "ids, output short", &pf_vmsp, M, OID_SRIOV_VF_VENDOR_DEVICE_ID, 10, 9, BADLEN, 10, PF);
	IDS();
	id->VFId = x.free_vf;
	check(&x, "ids, VF not allocated", &pf_vmsp, M, OID_SRIOV_VF_VENDOR_DEVICE_ID, 10, 10, BADP, 0, PF);
	down(&x);
#undef RESET
#undef POWER
#undef IDS
}

/* ---- PROBED_BARS, BAR_RESOURCES (NDIS only) --------------------------------------------------------- */
static void test_bars(void **state)
{
	NDIS_SRIOV_BAR_RESOURCES_INFO *br = (void *)B.raw;
	const NDIS_REQUEST_TYPE Q = NdisRequestQueryInformation, M = NdisRequestMethod;
	struct env x;

#define BAR(i) (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(br, 1, 12), br->VFId = x.vf, br->BarIndex = (i), \
		br->BarResourcesOffset = 12)
	(void)state;
	up(&x);
	memset(B.raw, 0, sizeof(B.raw));
	check(&x, "probed BARs", &pf_ndis, Q, OID_SRIOV_PROBED_BARS, 0, 32, OK, 0, PF);
	/* spec 8.7 item 4: 8 + 6 x sizeof(ULONG), not 8 + 6. */
	check(&x, "probed BARs, 31 bytes", &pf_ndis, Q, OID_SRIOV_PROBED_BARS, 0, 31, BADLEN, 32, PF);
	check(&x, "probed BARs, 14 bytes", &pf_ndis, Q, OID_SRIOV_PROBED_BARS, 0, 14, BADLEN, 32, PF);
	check(&x, "probed BARs from an overlying driver", &pf_vmsp, Q, OID_SRIOV_PROBED_BARS, 0, 32, NOTSUP, 0, NDIS);

	BAR(0);
	check(&x, "BAR0", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, OK, 0, PF);
	BAR(0);
	check(&x, "BAR from an overlying driver", &pf_vmsp, M, OID_SRIOV_BAR_RESOURCES, 12, 32, NOTSUP, 0, NDIS);
	BAR(0);
	check(&x, "BAR, structure short", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 11, 32, BADLEN, 32, PF);
	BAR(0);
	check(&x, "BAR, no room for the descriptor", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 31, BADLEN, 32, PF);
	BAR(0);
	br->BarResourcesOffset = 40;
	check(&x, "BAR, descriptor past the end", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADLEN, 60, PF);
	BAR(0);
	br->BarResourcesOffset = 4;
	check(&x, "BAR, descriptor over the structure", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADP, 0, PF);
	BAR(0);
	br->BarResourcesOffset = 0xfffffff0u;
	check(&x, "BAR, offset overflows", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADP, 0, PF);
	BAR(1);
	check(&x, "BAR1: upper half of 64-bit BAR0", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADP, 0, PF);
	BAR(4);
	check(&x, "BAR4: not implemented", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADP, 0, PF);
	BAR(6);
	check(&x, "BAR6: out of range", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADP, 0, PF);
	BAR(2);
	br->VFId = x.free_vf;
	check(&x, "BAR, VF not allocated", &pf_ndis, M, OID_SRIOV_BAR_RESOURCES, 12, 32, BADP, 0, PF);
	down(&x);
#undef BAR
}

/* ---- the switch -------------------------------------------------------------------------------- */
static void test_switch_oids(void **state)
{
	const NDIS_REQUEST_TYPE M = NdisRequestMethod, S = NdisRequestSetInformation;
	NDIS_NIC_SWITCH_PARAMETERS *sp = (void *)B.raw;
	NDIS_NIC_SWITCH_DELETE_SWITCH_PARAMETERS *ds = (void *)B.raw;
	const uint32_t n = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
	char name[64];
	struct env x;

#define SWP(flags) (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(sp, 1, (USHORT)n), sp->Flags = (flags), \
		    sp->SwitchType = NdisNicSwitchTypeExternal, sp->SwitchFriendlyName.Length = 4, \
		    sp->SwitchFriendlyName.String[0] = 'L', sp->SwitchFriendlyName.String[1] = 'A')
	(void)state;
	up(&x);
	/* Name change: applied at once, so SUCCESS (never REINIT_REQUIRED). */
	SWP(NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED);
	check(&x, "rename", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n, 0, OK, 0, PF);
	assert_int_equal(ndis_adapter_get_keyword(x.e.ad, "NicSwitches\\0\\*SwitchName", name, sizeof(name)), 0);
	assert_string_equal(name, "LA");
	SWP(NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED);
	check(&x, "rename, short", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n - 1, 0, BADLEN,
	      (uint32_t)sizeof(NDIS_NIC_SWITCH_PARAMETERS), PF);
	SWP(0);
	check(&x, "no change flag", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n, 0, BADP, 0, PF);
	SWP(NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED | 0x00020000);
	check(&x, "unknown change flag", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n, 0, BADP, 0, PF);
	SWP(NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED);
	sp->SwitchId = 1;
	check(&x, "SwitchId 1", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n, 0, BADP, 0, PF);
	SWP(NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED);
	sp->SwitchFriendlyName.Length = 3;
	check(&x, "odd name length", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n, 0, BADP, 0, PF);
	SWP(NDIS_NIC_SWITCH_PARAMETERS_SWITCH_NAME_CHANGED);
	sp->SwitchFriendlyName.Length = 1000;
	check(&x, "name too long", &pf_vmsp, S, OID_NIC_SWITCH_PARAMETERS, n, 0, BADP, 0, PF);

	/* CREATE_SWITCH (NDIS only): the switch exists, so every variant fails. */
	SWP(0);
	check(&x, "second switch", &pf_ndis, M, OID_NIC_SWITCH_CREATE_SWITCH, n, n, BADP, 0, PF);
	SWP(0);
	check(&x, "create, short", &pf_ndis, M, OID_NIC_SWITCH_CREATE_SWITCH, n - 1, n, BADLEN,
	      (uint32_t)sizeof(NDIS_NIC_SWITCH_PARAMETERS), PF);
	SWP(0);
	check(&x, "create from an overlying driver", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_SWITCH, n, n, NOTSUP, 0, NDIS);

	/* DELETE_SWITCH: NDIS checks the parameters, FILE_NOT_FOUND (spec 2.5). */
	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(ds, 1, 12);
	ds->SwitchId = 1;
	check(&x, "delete switch 1", &pf_ndis, S, OID_NIC_SWITCH_DELETE_SWITCH, 12, 0,
	      ST(NDIS_STATUS_FILE_NOT_FOUND), 0, NDIS);
	check(&x, "delete, short", &pf_ndis, S, OID_NIC_SWITCH_DELETE_SWITCH, 11, 0, BADLEN, 12, NDIS);
	down(&x);
#undef SWP
}

/* CREATE_SWITCH's own checks, on a PF whose platform gave no VFs (no switch yet). */
static void test_create_switch_checks(void **state)
{
	struct pcie_host *tmp = pcie_host_create();
	NDIS_NIC_SWITCH_PARAMETERS *sp = (void *)B.raw;
	const uint32_t n = NDIS_SIZEOF_NIC_SWITCH_PARAMETERS_REVISION_1;
	struct pcie_platform p;
	struct pf_opts o = { .platform = &p };
	struct env x;

#define SWP() (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(sp, 1, (USHORT)n), sp->SwitchType = NdisNicSwitchTypeExternal, \
	       sp->NumVFs = 8)
	(void)state;
	pcie_host_get_platform(tmp, &p);
	pcie_host_destroy(tmp);
	p.dma_remapping = false;
	pf_env_up(&x.e, &o);
	SWP();
	sp->SwitchType = NdisNicSwitchTypeUnspecified;
	check(&x, "switch type", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n, BADP, 0, PF);
	SWP();
	sp->SwitchId = 2;
	check(&x, "switch id", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n, BADP, 0, PF);
	SWP();
	sp->Flags = 1;
	check(&x, "flags", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n, BADP, 0, PF);
	SWP();
	sp->NumVFs = 9;
	check(&x, "NumVFs above MaxNumVFs", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n, BADP, 0, PF);
	SWP();
	sp->Header.Revision = 0;
	check(&x, "revision 0", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n, BADP, 0, PF);
	SWP();
	check(&x, "the platform refuses", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n,
	      ST(NDIS_STATUS_FAILURE), 0, PF);
	/* With no VFs the switch comes up without virtualization. */
	SWP();
	sp->NumVFs = 0;
	check(&x, "no VFs", &pf_ndis, NdisRequestMethod, OID_NIC_SWITCH_CREATE_SWITCH, n, n, OK, 0, PF);
	assert_int_equal(pf_reg(&x.e, SRNIC_REG_SW_CTRL), SRNIC_SW_CTRL_ENABLE);
	pf_env_down(&x.e);
#undef SWP
}

/* ---- VFs and vPorts --------------------------------------------------------------------------------- */
static void test_vf_and_vport_oids(void **state)
{
	const NDIS_REQUEST_TYPE M = NdisRequestMethod, S = NdisRequestSetInformation;
	NDIS_NIC_SWITCH_VF_PARAMETERS *vfp = (void *)B.raw;
	NDIS_NIC_SWITCH_FREE_VF_PARAMETERS *fv = (void *)B.raw;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS *vp = (void *)B.raw;
	NDIS_NIC_SWITCH_DELETE_VPORT_PARAMETERS *dv = (void *)B.raw;
	const uint32_t nvf = NDIS_SIZEOF_NIC_SWITCH_VF_PARAMETERS_REVISION_1;
	const uint32_t nvp = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	uint16_t other;
	struct env x;

#define ALLOC() (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(vfp, 1, (USHORT)nvf), vfp->VFId = NDIS_INVALID_VF_FUNCTION_ID, \
		 vfp->RequestorId = NDIS_INVALID_RID)
#define FREE(id) (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(fv, 1, 10), fv->VFId = (id))
#define VPORT(fn) (memset(B.raw, 0, sizeof(B.raw)), pf_hdr(vp, 1, (USHORT)nvp), vp->AttachedFunctionId = (fn), \
		   vp->NumQueuePairs = 1, vp->ProcessorAffinity.Mask = 1, \
		   vp->VPortState = (fn) == NDIS_PF_FUNCTION_ID ? NdisNicSwitchVPortStateDeactivated : \
								    NdisNicSwitchVPortStateActivated)
	(void)state;
	up(&x);
	ALLOC();
	check(&x, "allocate, short", &pf_vmsp, M, OID_NIC_SWITCH_ALLOCATE_VF, nvf - 1, nvf, BADLEN, nvf, NDIS);
	ALLOC();
	vfp->VFId = 2;
	check(&x, "allocate with a VFId", &pf_vmsp, M, OID_NIC_SWITCH_ALLOCATE_VF, nvf, nvf, BADP, 0, NDIS);
	ALLOC();
	vfp->RequestorId = 0x308;
	check(&x, "allocate with a RID", &pf_vmsp, M, OID_NIC_SWITCH_ALLOCATE_VF, nvf, nvf, BADP, 0, NDIS);
	ALLOC();
	vfp->MacAddressLength = 5;
	check(&x, "a 5-byte MAC", &pf_vmsp, M, OID_NIC_SWITCH_ALLOCATE_VF, nvf, nvf, BADP, 0, PF);
	ALLOC();
	check(&x, "allocate", &pf_vmsp, M, OID_NIC_SWITCH_ALLOCATE_VF, nvf, nvf, OK, 0, PF);
	other = vfp->VFId;
	assert_int_equal(other, 1);

	/* FREE_VF: NDIS answers bad ids with FILE_NOT_FOUND (spec 2.18). */
	FREE(x.free_vf);
	check(&x, "free, not allocated", &pf_vmsp, S, OID_NIC_SWITCH_FREE_VF, 12, 0, ST(NDIS_STATUS_FILE_NOT_FOUND), 0, NDIS);
	FREE(x.vf);
	check(&x, "free, vPort attached", &pf_vmsp, S, OID_NIC_SWITCH_FREE_VF, 12, 0, ST(NDIS_STATUS_FILE_NOT_FOUND), 0, NDIS);
	FREE(500);
	check(&x, "free, VFId out of range", &pf_vmsp, S, OID_NIC_SWITCH_FREE_VF, 12, 0, ST(NDIS_STATUS_FILE_NOT_FOUND), 0,
	      NDIS);
	FREE(other);
	check(&x, "free, short", &pf_vmsp, S, OID_NIC_SWITCH_FREE_VF, 9, 0, BADLEN, 12, NDIS);
	FREE(other);
	check(&x, "free, revision-1 size 10", &pf_vmsp, S, OID_NIC_SWITCH_FREE_VF, 10, 0, OK, 0, PF);

	/* CREATE_VPORT: NDIS's checks first, then the PF's. */
	VPORT(x.vf);
	check(&x, "second vPort for a VF", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, BADP, 0, NDIS);
	VPORT(NDIS_PF_FUNCTION_ID);
	vp->VPortState = NdisNicSwitchVPortStateActivated;
	check(&x, "PF vPort created active", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, BADP, 0, NDIS);
	VPORT(NDIS_PF_FUNCTION_ID);
	vp->LookaheadSize = 128;
	check(&x, "LookaheadSize", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, BADP, 0, NDIS);
	VPORT(NDIS_PF_FUNCTION_ID);
	check(&x, "vPort, short", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp - 1, nvp, BADLEN,
	      (uint32_t)sizeof(NDIS_NIC_SWITCH_VPORT_PARAMETERS), NDIS);
	VPORT(NDIS_PF_FUNCTION_ID);
	vp->NumQueuePairs = 4;
	check(&x, "4 queue pairs (max 2)", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, BADP, 0, PF);
	VPORT(NDIS_PF_FUNCTION_ID);
	vp->InterruptModeration = 7;
	check(&x, "undefined interrupt moderation", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, BADP, 0, PF);
	VPORT(NDIS_PF_FUNCTION_ID);
	vp->ProcessorAffinity.Mask = 6;
	check(&x, "two processors", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, BADP, 0, PF);
	VPORT(NDIS_PF_FUNCTION_ID);
	check(&x, "PF vPort", &pf_vmsp, M, OID_NIC_SWITCH_CREATE_VPORT, nvp, nvp, OK, 0, PF);

	/* DELETE_VPORT */
	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(dv, 1, 12);
	dv->VPortId = 0;
	check(&x, "delete the default vPort", &pf_vmsp, S, OID_NIC_SWITCH_DELETE_VPORT, 12, 0, BADP, 0, NDIS);
	dv->VPortId = 40;
	check(&x, "delete no vPort", &pf_vmsp, S, OID_NIC_SWITCH_DELETE_VPORT, 12, 0, BADP, 0, NDIS);
	dv->VPortId = 2;
	check(&x, "delete, short", &pf_vmsp, S, OID_NIC_SWITCH_DELETE_VPORT, 11, 0, BADLEN, 12, NDIS);
	check(&x, "delete the PF vPort", &pf_vmsp, S, OID_NIC_SWITCH_DELETE_VPORT, 12, 0, OK, 0, PF);

	/* VPORT_PARAMETERS set */
	VPORT(x.vf);
	vp->VPortId = x.vport;
	vp->Flags = NDIS_NIC_SWITCH_VPORT_PARAMS_INT_MOD_CHANGED;
	vp->InterruptModeration = NdisNicSwitchVPortInterruptModerationHigh;
	check(&x, "interrupt moderation", &pf_vmsp, S, OID_NIC_SWITCH_VPORT_PARAMETERS, nvp, 0, OK, 0, PF);
	check(&x, "vPort parameters, short", &pf_vmsp, S, OID_NIC_SWITCH_VPORT_PARAMETERS, nvp - 1, 0, BADLEN, nvp, NDIS);
	vp->InterruptModeration = 3;
	check(&x, "undefined moderation", &pf_vmsp, S, OID_NIC_SWITCH_VPORT_PARAMETERS, nvp, 0, BADP, 0, PF);
	vp->Flags = NDIS_NIC_SWITCH_VPORT_PARAMS_QOS_SQ_ID_CHANGED;
	check(&x, "QoS SQ id (6.50)", &pf_vmsp, S, OID_NIC_SWITCH_VPORT_PARAMETERS, nvp, 0, BADP, 0, PF);
	vp->Flags = NDIS_NIC_SWITCH_VPORT_PARAMS_NAME_CHANGED;
	vp->VPortName.Length = 999;
	check(&x, "vPort name length", &pf_vmsp, S, OID_NIC_SWITCH_VPORT_PARAMETERS, nvp, 0, BADP, 0, PF);
	vp->VPortId = 33;
	check(&x, "no such vPort", &pf_vmsp, S, OID_NIC_SWITCH_VPORT_PARAMETERS, nvp, 0, BADP, 0, NDIS);
	down(&x);
#undef ALLOC
#undef FREE
#undef VPORT
}

/* ---- receive filters -------------------------------------------------------------------------------- */
struct fbuf {
	NDIS_RECEIVE_FILTER_PARAMETERS p;
	NDIS_RECEIVE_FILTER_FIELD_PARAMETERS f[3];
};

static struct fbuf *filt(uint32_t vport, unsigned nfields)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x09 };
	struct fbuf *b = (void *)B.raw;

	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(&b->p, 2, NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2);
	b->p.FilterType = NdisReceiveFilterTypeVMQueue;
	b->p.VPortId = vport;
	b->p.FieldParametersArrayOffset = offsetof(struct fbuf, f);
	b->p.FieldParametersArrayNumElements = nfields;
	b->p.FieldParametersArrayElementSize = sizeof(b->f[0]);
	for (unsigned i = 0; i < 3; i++) {
		pf_hdr(&b->f[i], 1, sizeof(b->f[i]));
		b->f[i].FrameHeader = NdisFrameHeaderMac;
		b->f[i].ReceiveFilterTest = NdisReceiveFilterTestEqual;
		b->f[i].HeaderField.MacHeaderField = NdisMacHeaderFieldVlanId;
		b->f[i].FieldValue.FieldShortValue = 10;
	}
	b->f[0].HeaderField.MacHeaderField = NdisMacHeaderFieldDestinationAddress;
	memcpy(b->f[0].FieldValue.FieldByteArrayValue, mac, 6);
	return b;
}

static void test_filter_oids(void **state)
{
	const NDIS_REQUEST_TYPE M = NdisRequestMethod, S = NdisRequestSetInformation;
	const uint32_t n1 = offsetof(struct fbuf, f) + sizeof(NDIS_RECEIVE_FILTER_FIELD_PARAMETERS);
	const uint32_t n2 = n1 + sizeof(NDIS_RECEIVE_FILTER_FIELD_PARAMETERS);
	NDIS_RECEIVE_FILTER_CLEAR_PARAMETERS *cp = (void *)B.raw;
	NDIS_RECEIVE_FILTER_MOVE_FILTER_PARAMETERS *mp = (void *)B.raw;
	struct fbuf *b;
	uint32_t id;
	struct env x;

	(void)state;
	up(&x);
	b = filt(x.vport, 2);
	check(&x, "MAC + VLAN 10", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, OK, 0, PF);
	id = b->p.FilterId;
	b = filt(x.vport, 2);
	check(&x, "the same MAC and VLAN again", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, BADP, 0, PF);
	b = filt(x.vport, 1);
	check(&x, "MAC on any VLAN (no UNTAGGED_OR_ZERO)", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n1, n1, NOTSUP, 0, PF);
	b = filt(x.vport, 1);
	b->f[0].FieldValue.FieldByteArrayValue[0] = 0x01;
	b->f[0].Flags = NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO;
	check(&x, "multicast MAC", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n1, n1, BADP, 0, PF);
	b = filt(x.vport, 2);
	b->f[1].FieldValue.FieldShortValue = 4096;
	check(&x, "VLAN 4096", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, BADP, 0, PF);
	b = filt(x.vport, 2);
	b->f[1].HeaderField.MacHeaderField = NdisMacHeaderFieldDestinationAddress;
	check(&x, "two MAC tests", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, BADP, 0, PF);
	b = filt(x.vport, 2);
	b->f[1].HeaderField.MacHeaderField = NdisMacHeaderFieldProtocol;
	check(&x, "EtherType test", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, NOTSUP, 0, PF);
	b = filt(x.vport, 2);
	b->f[1].ReceiveFilterTest = NdisReceiveFilterTestMaskEqual;
	check(&x, "mask-equal test", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, NOTSUP, 0, PF);
	b = filt(x.vport, 2);
	b->f[1].FrameHeader = NdisFrameHeaderIPv4;
	check(&x, "IPv4 header", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, NOTSUP, 0, PF);
	b = filt(x.vport, 3);
	check(&x, "three field tests", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, sizeof(*b), sizeof(*b), NOTSUP, 0, PF);
	b = filt(x.vport, 1);
	b->f[0].HeaderField.MacHeaderField = NdisMacHeaderFieldVlanId;
	check(&x, "VLAN without a MAC", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n1, n1, BADP, 0, PF);
	b = filt(x.vport, 2);
	b->f[1].Header.Revision = 0;
	check(&x, "field revision 0", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2, n2, BADP, 0, PF);
	b = filt(x.vport, 2);
	check(&x, "field array cut short", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, n2 - 1, n2, BADLEN, n2, NDIS);
	b = filt(x.vport, 2);
	check(&x, "structure cut short", &pf_vmsp, M, OID_RECEIVE_FILTER_SET_FILTER, 43, n2, BADLEN, 44, NDIS);

	/* CLEAR and MOVE: NDIS knows its filters; the PF moves in one commit. */
	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(cp, 1, 16);
	cp->FilterId = id + 100;
	check(&x, "clear an unknown filter", &pf_vmsp, S, OID_RECEIVE_FILTER_CLEAR_FILTER, 16, 0, BADP, 0, NDIS);
	check(&x, "clear, short", &pf_vmsp, S, OID_RECEIVE_FILTER_CLEAR_FILTER, 15, 0, BADLEN, 16, NDIS);
	memset(B.raw, 0, sizeof(B.raw));
	pf_hdr(mp, 1, 24);
	mp->FilterId = id;
	mp->SourceVPortId = 0;
	mp->DestVPortId = x.vport;
	check(&x, "move from the wrong vPort", &pf_vmsp, S, OID_RECEIVE_FILTER_MOVE_FILTER, 24, 0, BADP, 0, NDIS);
	mp->SourceVPortId = x.vport;
	mp->DestVPortId = 50;
	check(&x, "move to no vPort", &pf_vmsp, S, OID_RECEIVE_FILTER_MOVE_FILTER, 24, 0, BADP, 0, NDIS);
	check(&x, "move, short", &pf_vmsp, S, OID_RECEIVE_FILTER_MOVE_FILTER, 23, 0, BADLEN, 24, NDIS);
	mp->DestVPortId = 0;
	check(&x, "move to the default vPort", &pf_vmsp, S, OID_RECEIVE_FILTER_MOVE_FILTER, 24, 0, OK, 0, PF);
	assert_int_equal(pf_clear_filter(&x.e, id), OK);
	down(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_space),
		cmocka_unit_test(test_config_block),
		cmocka_unit_test(test_reset_power_ids),
		cmocka_unit_test(test_bars),
		cmocka_unit_test(test_switch_oids),
		cmocka_unit_test(test_create_switch_checks),
		cmocka_unit_test(test_vf_and_vport_oids),
		cmocka_unit_test(test_filter_oids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
