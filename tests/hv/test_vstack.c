/*
 * The virtualization stack and the virtual switch (src/hv/vstack.c,
 * vswitch.c) against the framework's fake PF miniport on a bus double: the
 * documented bring-up and teardown orders as the PF sees them (the
 * adapter's OID history, the fake's own list, NDIS's cache), the VF pool
 * running out, the policy by IovWeight, *SRIOV = 0, a switch without IOV,
 * IovWeight 0 and its live change, PF failures in the middle of either
 * sequence (requests pended by the fake and completed with a status), the
 * guest-offer interface (guest removal before the parent's steps), the PF
 * restarting under the switch, and the state tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ndis/fw_helpers.h"
#include "hv/vstack.h"
#include "hv/vswitch.h"

#define PF "fake_pf"

struct env {
	struct ndis_framework *fw;
	struct fake_control *c;
	struct bus_double bus;
	struct ndis_adapter *pf;
	struct vswitch *sw;
	struct vstack *vs;
	size_t mark;		/* OID history index the checks start from */
};

static void env_up(struct env *e, const char *num_vfs, const char *sriov, bool iov,
		   const struct vstack_guest_ops *guest, void *guest_ctx)
{
	struct ndis_keyword kw[2];
	size_t nkw = 0;
	struct ndis_adapter_params p;
	struct vswitch_config sc = { .name = "ext", .type = VSWITCH_EXTERNAL, .iov = iov, .adapter_name = "pf0" };
	struct vstack_config vc = { .guest = guest, .guest_ctx = guest_ctx };

	memset(e, 0, sizeof(*e));
	e->fw = test_framework(NDIS_PARTITION_PARENT);
	e->c = fake_control(PF);
	bus_double_init(&e->bus);
	if (num_vfs)
		kw[nkw++] = (struct ndis_keyword){ "NicSwitches\\0\\*NumVFs", num_vfs };
	if (sriov)
		kw[nkw++] = (struct ndis_keyword){ "*SRIOV", sriov };
	memset(&p, 0, sizeof(p));
	p.name = "pf0";
	p.hardware_id = HWID("10ED");
	p.bus = &bus_double_ops;
	p.bus_ctx = &e->bus;
	p.keywords = kw;
	p.n_keywords = nkw;
	assert_int_equal(ndis_adapter_create(e->fw, &p, &e->pf), 0);
	sc.pf = e->pf;
	assert_int_equal(vswitch_create(&sc, &e->sw), 0);
	assert_int_equal(vstack_create(&vc, &e->vs), 0);
	e->mark = ndis_adapter_oid_record_count(e->pf);
}

static void env_down(struct env *e)
{
	vstack_destroy(e->vs);
	vswitch_destroy(e->sw);
	ndis_adapter_destroy(e->pf);
	ndis_framework_destroy(e->fw);
}

static struct vstack_vmnic *add_nic(struct env *e, struct vstack_vm *vm, const char *name, uint8_t last,
				    uint32_t weight)
{
	struct vstack_vmnic_config c = { .name = name, .display_name = "Network Adapter",
					 .mac = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, last }, .iov_weight = weight,
					 .iov_queue_pairs_requested = 1, .vmq_weight = 100 };
	struct vstack_vmnic *n;

	assert_int_equal(vstack_vmnic_create(vm, &c, e->sw, &n), 0);
	return n;
}

static struct vstack_vm *add_vm(struct env *e, const char *name)
{
	struct vstack_vm *vm;

	assert_int_equal(vstack_vm_create(e->vs, name, &vm), 0);
	return vm;
}

/* The OIDs VMSP sent to the miniport since the mark, in order (NDIS-answered ones left out). */
static size_t sent(struct env *e, uint32_t *out, size_t max)
{
	size_t n = 0, total = ndis_adapter_oid_record_count(e->pf);

	for (size_t i = e->mark; i < total && n < max; i++) {
		const struct ndis_oid_record *r = ndis_adapter_oid_record_at(e->pf, i);
		if (strcmp(r->issuer, "VMSP") == 0 && !r->by_ndis)
			out[n++] = r->oid;
	}
	return n;
}

static void expect_sent(struct env *e, const uint32_t *want, size_t nwant)
{
	uint32_t got[64];
	size_t n = sent(e, got, 64);

	if (n != nwant)
		fail_msg("VMSP sent %zu OIDs to the PF, want %zu (first 0x%x)", n, nwant, n ? got[0] : 0);
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("OID %zu: 0x%08x, want 0x%08x", i, got[i], want[i]);
	e->mark = ndis_adapter_oid_record_count(e->pf);
}

static void sriov_view(struct env *e, struct ndis_sriov_view *v)
{
	ndis_adapter_sriov_view(e->pf, v);
}

/* Where NDIS has filter id now (OID_RECEIVE_FILTER_PARAMETERS, as any issuer may ask). */
static uint32_t filter_vport(struct env *e, uint32_t filter_id)
{
	struct {
		NDIS_RECEIVE_FILTER_PARAMETERS p;
		NDIS_RECEIVE_FILTER_FIELD_PARAMETERS f[2];
	} b;
	NDIS_OID_REQUEST r;
	uint32_t st;

	memset(&b, 0, sizeof(b));
	b.p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	b.p.Header.Revision = NDIS_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	b.p.Header.Size = NDIS_SIZEOF_RECEIVE_FILTER_PARAMETERS_REVISION_2;
	b.p.FilterId = filter_id;
	ndis_oid_init(&r, NdisRequestMethod, OID_RECEIVE_FILTER_PARAMETERS, &b, sizeof(b));
	assert_int_equal(ndis_oid_request(e->pf, &vswitch_issuer, &r, NULL, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	return b.p.VPortId;
}

static const uint32_t bringup[] = { OID_RECEIVE_FILTER_SET_FILTER, OID_NIC_SWITCH_ALLOCATE_VF,
				    OID_NIC_SWITCH_CREATE_VPORT, OID_RECEIVE_FILTER_MOVE_FILTER };
static const uint32_t teardown_oids[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT,
					  OID_SRIOV_RESET_VF, OID_NIC_SWITCH_FREE_VF };

/* ---- bring-up and teardown order --------------------------------------------- */
static void test_bringup_order(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	struct ndis_sriov_view v;
	char desc[512];
	unsigned first;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	first = e.c->n_oids;
	assert_int_equal(vstack_vm_start(vm), 0);

	/* spec 2.11: filter on the default vPort first, then ALLOCATE, CREATE_VPORT, MOVE. */
	expect_sent(&e, bringup, 4);
	assert_int_equal(e.c->n_oids - first, 4);
	assert_int_equal(e.c->oids[first + 1], OID_NIC_SWITCH_ALLOCATE_VF);
	assert_int_equal(e.c->oids[first + 3], OID_RECEIVE_FILTER_MOVE_FILTER);

	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	assert_true(vstack_vmnic_filter_on_vf_expected(n));	/* no guest side: the documented order */
	assert_int_equal(vstack_vmnic_serial(n), 1);
	assert_int_equal(vstack_vmnic_iov_usage(n), 1);
	assert_false(vstack_vmnic_datapath_active(n));
	assert_int_equal(vstack_vmnic_vf_id(n), 0);
	assert_int_not_equal(vstack_vmnic_vport_id(n), 0);
	sriov_view(&e, &v);
	assert_int_equal(v.n_vfs, 1);
	assert_int_equal(v.n_vports, 1);
	assert_int_equal(v.n_filters, 1);
	/* The MAC filter now steers to the VF's vPort. */
	assert_int_equal(filter_vport(&e, vswitch_port_filter_id(vstack_vmnic_port(n))), vstack_vmnic_vport_id(n));
	/* No guest: Degraded, and the description says why. */
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "guest is not running"));
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_GUEST_NOT_USING);

	/* Stop-VM: the documented teardown, then the switch clears the filter. */
	assert_int_equal(vstack_vm_stop(vm), 0);
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF, OID_RECEIVE_FILTER_CLEAR_FILTER };
		expect_sent(&e, want, 5);
	}
	assert_int_equal(vstack_vm_state(vm), VSTACK_VM_OFF);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_usage(n), 0);
	sriov_view(&e, &v);
	assert_int_equal(v.n_vfs + v.n_vports + v.n_filters, 0);
	assert_int_equal(vswitch_port_count(e.sw), 0);
	env_down(&e);
}

/* The ALLOCATE_VF parameters NDIS cached are the VM's (ENUM_VFS). */
static void test_allocate_parameters(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	struct {
		NDIS_NIC_SWITCH_VF_INFO_ARRAY a;
		NDIS_NIC_SWITCH_VF_INFO vf[2];
	} b;
	NDIS_OID_REQUEST r;
	NDIS_NIC_SWITCH_VF_INFO info;
	uint32_t st;
	const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x07 };

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 7, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	memset(&b, 0, sizeof(b));
	b.a.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	b.a.Header.Revision = NDIS_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1;
	b.a.Header.Size = NDIS_SIZEOF_NIC_SWITCH_VF_INFO_ARRAY_REVISION_1;
	ndis_oid_init(&r, NdisRequestMethod, OID_NIC_SWITCH_ENUM_VFS, &b, sizeof(b));
	assert_int_equal(ndis_oid_request(e.pf, &vswitch_issuer, &r, NULL, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(b.a.NumElements, 1);
	memcpy(&info, (uint8_t *)&b + b.a.FirstElementOffset, sizeof(info));
	assert_int_equal(info.VFId, vstack_vmnic_vf_id(n));
	assert_int_equal(info.VMFriendlyName.Length, 6);
	assert_int_equal(info.VMFriendlyName.String[0], 'v');
	assert_int_equal(info.VMFriendlyName.String[2], '1');
	assert_int_equal(info.VMName.Length, 36 * 2);
	assert_int_equal(info.VMName.String[0], (WCHAR)vstack_vm_id(vm)[0]);
	assert_int_equal(info.NicName.Length, 36 * 2);
	assert_int_equal(info.MacAddressLength, 6);
	assert_memory_equal(info.CurrentMacAddress, mac, 6);
	assert_memory_equal(info.PermanentMacAddress, mac, 6);
	env_down(&e);
}

/* Set-VMNetworkAdapter -IovWeight 0 and back, live: the documented orders. */
static void test_live_weight_change(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	struct ndis_sriov_view v;
	char desc[512];
	uint32_t filter;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	e.mark = ndis_adapter_oid_record_count(e.pf);

	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	expect_sent(&e, teardown_oids, 4);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_usage(n), 0);
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_OK);
	assert_non_null(strstr(desc, "IovWeight 0"));
	sriov_view(&e, &v);
	assert_int_equal(v.n_vfs, 0);
	assert_int_equal(v.n_vports, 0);
	assert_int_equal(v.n_filters, 1);	/* the port's filter, back on the default vPort */

	assert_int_equal(vstack_vmnic_set_iov_weight(n, 100), 0);
	{
		const uint32_t want[] = { OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_CREATE_VPORT,
					  OID_RECEIVE_FILTER_MOVE_FILTER };
		expect_sent(&e, want, 3);
	}
	assert_int_equal(vstack_vmnic_serial(n), 2);	/* a new serial for a new VF */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 101), -EINVAL);
	(void)filter;
	env_down(&e);
}

/* A live-migration-like revoke: the IovWeight 0 teardown, IovWeight kept, then a new VF on return. */
static void test_withhold_vf(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	const uint32_t back[] = { OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_CREATE_VPORT,
				  OID_RECEIVE_FILTER_MOVE_FILTER };

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	e.mark = ndis_adapter_oid_record_count(e.pf);

	assert_int_equal(vstack_vmnic_withhold_vf(n, true), 0);
	expect_sent(&e, teardown_oids, 4);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_true(vstack_vmnic_vf_withheld(n));
	assert_int_equal(vstack_vmnic_iov_weight(n), 100);
	assert_int_equal(vstack_vmnic_iov_usage(n), 0);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_IN_PROGRESS);
	assert_int_equal(vstack_vmnic_withhold_vf(n, true), -EALREADY);
	/* A setting change does not give it back early. */
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 50), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);

	assert_int_equal(vstack_vmnic_withhold_vf(n, false), 0);
	expect_sent(&e, back, 3);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	assert_false(vstack_vmnic_vf_withheld(n));
	assert_int_equal(vstack_vmnic_withhold_vf(n, false), -EALREADY);
	/* Nothing to take away from an adapter without a VF. */
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	assert_int_equal(vstack_vmnic_withhold_vf(n, true), -ENODEV);
	env_down(&e);
}

/* ---- the pool and the policy -------------------------------------------------- */
static void test_pool_exhaustion(void **state)
{
	struct env e;
	struct vstack_vm *vm1, *vm2, *vm3;
	struct vstack_vmnic *a, *b, *c;
	char desc[512];
	uint32_t got[64];

	(void)state;
	env_up(&e, "2", NULL, true, NULL, NULL);
	vm1 = add_vm(&e, "vm1");
	vm2 = add_vm(&e, "vm2");
	vm3 = add_vm(&e, "vm3");
	a = add_nic(&e, vm1, "vm1", 1, 100);
	b = add_nic(&e, vm2, "vm2", 2, 100);
	c = add_nic(&e, vm3, "vm3", 3, 100);
	assert_int_equal(vstack_vm_start(vm1), 0);
	assert_int_equal(vstack_vm_start(vm2), 0);
	assert_int_equal(vstack_vm_start(vm3), 0);
	assert_int_equal(vstack_vmnic_iov_usage(a), 1);
	assert_int_equal(vstack_vmnic_iov_usage(b), 1);
	/* The third stays synthetic and says why (F18); no ALLOCATE_VF was even tried. */
	assert_int_equal(vstack_vmnic_iov_usage(c), 0);
	assert_int_equal(vstack_vmnic_vf_state(c), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_reason(c), VSTACK_IOV_POOL_VFS);
	assert_int_equal(vstack_vmnic_status(c, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "every virtual function"));
	{
		size_t n = sent(&e, got, 64), allocs = 0;
		for (size_t i = 0; i < n; i++)
			allocs += got[i] == OID_NIC_SWITCH_ALLOCATE_VF;
		assert_int_equal(allocs, 2);
	}
	/* A VF freed goes to the waiting adapter at once. */
	e.mark = ndis_adapter_oid_record_count(e.pf);
	assert_int_equal(vstack_vmnic_set_iov_weight(a, 0), 0);
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF, OID_NIC_SWITCH_ALLOCATE_VF, OID_NIC_SWITCH_CREATE_VPORT,
					  OID_RECEIVE_FILTER_MOVE_FILTER };
		expect_sent(&e, want, 7);
	}
	assert_int_equal(vstack_vmnic_iov_usage(c), 1);
	assert_int_equal(vstack_vmnic_iov_usage(a), 0);
	env_down(&e);
}

/* One VF, two adapters of one VM: the heavier IovWeight gets it, whatever the order. */
static void test_policy_weight(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *light, *heavy;

	(void)state;
	env_up(&e, "1", NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	light = add_nic(&e, vm, "light", 1, 10);
	heavy = add_nic(&e, vm, "heavy", 2, 90);
	assert_int_equal(vstack_vm_start(vm), 0);
	assert_int_equal(vstack_vmnic_iov_usage(heavy), 1);
	assert_int_equal(vstack_vmnic_iov_usage(light), 0);
	assert_int_equal(vstack_vmnic_iov_reason(light), VSTACK_IOV_POOL_VFS);
	/* No preemption: a heavier adapter arriving later waits. */
	assert_int_equal(vstack_vmnic_set_iov_weight(light, 100), 0);
	assert_int_equal(vstack_vmnic_iov_usage(heavy), 1);
	assert_int_equal(vstack_vmnic_iov_usage(light), 0);
	env_down(&e);
}

/* ---- when there is nothing to give -------------------------------------------- */
static void test_sriov_keyword_off(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	struct ndis_sriov_view v;
	char desc[512];
	uint32_t got[16];

	(void)state;
	env_up(&e, NULL, "0", true, NULL, NULL);
	sriov_view(&e, &v);
	assert_false(v.switch_created);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	assert_int_equal(vstack_vmnic_iov_usage(n), 0);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_NO_NIC_SWITCH);
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "no NIC switch"));
	/* Nothing but the switch's filter attempt was sent. */
	for (size_t i = 0, k = sent(&e, got, 16); i < k; i++)
		assert_int_not_equal(got[i], OID_NIC_SWITCH_ALLOCATE_VF);
	env_down(&e);
}

static void test_switch_without_iov(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	char desc[512];

	(void)state;
	env_up(&e, NULL, NULL, false, NULL, NULL);
	assert_false(vswitch_iov_enabled(e.sw));
	assert_int_equal(vswitch_set_iov(e.sw, true), -EPERM);
	assert_int_equal(vswitch_set_iov(e.sw, false), 0);
	assert_false(vswitch_iov_enabled(e.sw));
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	expect_sent(&e, bringup, 1);	/* the filter, no VF */
	assert_int_equal(vstack_vmnic_iov_usage(n), 0);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_SWITCH_NO_IOV);
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "-EnableIov"));
	env_down(&e);
}

static void test_weight_zero(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	char desc[512];

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 0);
	assert_int_equal(vstack_vm_start(vm), 0);
	expect_sent(&e, bringup, 1);
	assert_int_equal(vstack_vmnic_iov_usage(n), 0);
	assert_false(vstack_vmnic_datapath_active(n));
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_OK);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_NOT_REQUESTED);
	env_down(&e);
}

/* ---- the PF pends and fails ----------------------------------------------------- */
static void complete(struct env *e, NDIS_STATUS st)
{
	assert_non_null(e->c->pending);
	fake_complete_pending(PF, st);
}

/* Every step pended; IovWeight set to 0 while ALLOCATE_VF is at the PF: reset and free follow, no vPort. */
static void test_pended_divert(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vm_start(vm), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);	/* waits for its filter */
	assert_true(vstack_busy(e.vs) == false);
	complete(&e, NDIS_STATUS_SUCCESS);				/* SET_FILTER */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_ALLOCATING);
	assert_true(vstack_busy(e.vs));
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_ALLOCATING);
	complete(&e, NDIS_STATUS_SUCCESS);				/* ALLOCATE_VF */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_RESETTING);
	complete(&e, NDIS_STATUS_SUCCESS);				/* RESET_VF */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_FREEING);
	complete(&e, NDIS_STATUS_SUCCESS);				/* FREE_VF */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_false(vstack_busy(e.vs));
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_SET_FILTER, OID_NIC_SWITCH_ALLOCATE_VF, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF };
		expect_sent(&e, want, 4);
	}
	e.c->pend_oids = 0;
	env_down(&e);
}

/* F20: the PF fails ALLOCATE_VF -- synthetic, said so, not retried until a setting changes. */
static void test_pf_fails_allocate(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	char desc[512];
	uint32_t oid, st;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vm_start(vm), 0);
	complete(&e, NDIS_STATUS_SUCCESS);		/* SET_FILTER */
	complete(&e, NDIS_STATUS_RESOURCES);		/* ALLOCATE_VF */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_null(e.c->pending);			/* not retried */
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_PF_FAILED);
	vstack_vmnic_failure(n, &oid, &st);
	assert_int_equal(oid, OID_NIC_SWITCH_ALLOCATE_VF);
	assert_int_equal(st, ST(NDIS_STATUS_RESOURCES));
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "OID_NIC_SWITCH_ALLOCATE_VF"));
	assert_non_null(strstr(desc, "NDIS_STATUS_RESOURCES"));
	/* A setting change tries again. */
	e.c->pend_oids = 0;
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 100), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	env_down(&e);
}

/* CREATE_VPORT fails: the VF allocated so far is reset and freed. */
static void test_pf_fails_create_vport(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	struct ndis_sriov_view v;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vm_start(vm), 0);
	complete(&e, NDIS_STATUS_SUCCESS);		/* SET_FILTER */
	complete(&e, NDIS_STATUS_SUCCESS);		/* ALLOCATE_VF */
	complete(&e, NDIS_STATUS_FAILURE);		/* CREATE_VPORT */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_RESETTING);
	complete(&e, NDIS_STATUS_SUCCESS);		/* RESET_VF */
	complete(&e, NDIS_STATUS_SUCCESS);		/* FREE_VF */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_PF_FAILED);
	sriov_view(&e, &v);
	assert_int_equal(v.n_vfs, 0);
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_SET_FILTER, OID_NIC_SWITCH_ALLOCATE_VF,
					  OID_NIC_SWITCH_CREATE_VPORT, OID_SRIOV_RESET_VF, OID_NIC_SWITCH_FREE_VF };
		expect_sent(&e, want, 5);
	}
	e.c->pend_oids = 0;
	env_down(&e);
}

/* A teardown OID that fails leaves the VF held and says so. */
static void test_pf_fails_delete_vport(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	char desc[512];

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	complete(&e, NDIS_STATUS_SUCCESS);		/* MOVE_FILTER back */
	complete(&e, NDIS_STATUS_FAILURE);		/* DELETE_VPORT */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_STUCK);
	assert_int_equal(vstack_vmnic_iov_usage(n), 1);
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "OID_NIC_SWITCH_DELETE_VPORT"));
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_TEARDOWN_FAILED);
	e.c->pend_oids = 0;
	/* The PF restarting drops it (DELETE_SWITCH at the halt). */
	assert_int_equal(vstack_switch_pf_halting(e.vs, e.sw), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	env_down(&e);
}

/* ---- the guest-offer interface -------------------------------------------------- */
struct guest_double {
	unsigned offers, revokes, invalidations, released;
	uint64_t mask;
	uint16_t vf;
	uint32_t serial;
	int offer_rc;
	bool pend_revoke;
};

static int gd_offer(void *ctx, struct vstack_vmnic *n, uint16_t vf, uint32_t serial)
{
	struct guest_double *g = ctx;

	(void)n;
	g->offers++;
	g->vf = vf;
	g->serial = serial;
	return g->offer_rc;
}

static int gd_revoke(void *ctx, struct vstack_vmnic *n, uint16_t vf)
{
	struct guest_double *g = ctx;

	(void)n;
	assert_int_equal(vf, g->vf);
	g->revokes++;
	return g->pend_revoke ? -EINPROGRESS : 0;
}

static const char *gd_describe(void *ctx, const struct vstack_vmnic *n)
{
	(void)ctx;
	(void)n;
	return "NetVsc has not bound the VF";
}

static void gd_invalidated(void *ctx, struct vstack_vmnic *n, uint16_t vf, uint64_t mask)
{
	struct guest_double *g = ctx;

	(void)n;
	assert_int_equal(vf, g->vf);
	g->invalidations++;
	g->mask = mask;
}

static void gd_released(void *ctx, struct vstack_vmnic *n, uint16_t vf)
{
	struct guest_double *g = ctx;

	(void)n;
	assert_int_equal(vf, g->vf);
	g->released++;
}

static const struct vstack_guest_ops gd_ops = { .offer_vf = gd_offer, .revoke_vf = gd_revoke,
						.describe = gd_describe, .vf_config_invalidated = gd_invalidated,
						.filters_released = gd_released };

static void test_guest_removal_first(void **state)
{
	struct env e;
	struct guest_double g = { .pend_revoke = true };
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	char desc[512];
	uint32_t got[8];

	(void)state;
	env_up(&e, NULL, NULL, true, &gd_ops, &g);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	assert_int_equal(g.offers, 1);
	assert_int_equal(g.serial, vstack_vmnic_serial(n));
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "NetVsc has not bound the VF"));
	/* Only the guest makes the data path active. */
	vstack_vmnic_datapath(n, true);
	assert_true(vstack_vmnic_datapath_active(n));
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_OK);
	e.mark = ndis_adapter_oid_record_count(e.pf);
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	/* The guest is asked first; the PF hears nothing until it has let go. */
	assert_int_equal(g.revokes, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_REVOKING);
	assert_int_equal(sent(&e, got, 8), 0);
	vstack_vmnic_datapath(n, false);	/* ignored in REVOKING: NetVsc switched back before */
	vstack_vmnic_vf_revoked(n);
	expect_sent(&e, teardown_oids, 4);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	env_down(&e);
}

/* A VM on its VF, IovWeight set to 0 with the guest's revoke left pending. */
static struct vstack_vmnic *revoking(struct env *e, struct guest_double *g, enum vstack_filter_move m)
{
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	uint32_t got[8];

	env_up(e, NULL, NULL, true, &gd_ops, g);
	assert_int_equal(vstack_set_filter_move(e->vs, m), 0);
	assert_int_equal(vstack_filter_move(e->vs), m);
	vm = add_vm(e, "vm1");
	n = add_nic(e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	vstack_vmnic_datapath(n, true);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_ACTIVE);
	e->mark = ndis_adapter_oid_record_count(e->pf);
	assert_int_equal(vstack_vmnic_set_iov_weight(n, 0), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_REVOKING);
	assert_int_equal(sent(e, got, 8), 0);
	return n;
}

/*
 * vf_filter_move on-switch (the default): once NetVsc has switched back, the
 * filter goes to the default vPort before the eject; the rest of the teardown
 * waits for the guest to let go.
 */
static void test_filter_move_on_switch(void **state)
{
	struct env e;
	struct guest_double g = { .pend_revoke = true };
	struct vstack_vmnic *n;
	const uint32_t move[] = { OID_RECEIVE_FILTER_MOVE_FILTER };
	const uint32_t rest[] = { OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF, OID_NIC_SWITCH_FREE_VF };
	uint32_t got[8];
	uint32_t filter;

	(void)state;
	n = revoking(&e, &g, VSTACK_FILTER_MOVE_ON_SWITCH);
	filter = vswitch_port_filter_id(vstack_vmnic_port(n));
	assert_int_equal(filter_vport(&e, filter), vstack_vmnic_vport_id(n));
	assert_int_equal(vstack_vmnic_switched_back(n), 0);	/* the PF completed at once */
	expect_sent(&e, move, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_EJECTING);
	assert_int_equal(filter_vport(&e, filter), NDIS_DEFAULT_VPORT_ID);
	assert_int_equal(vswitch_port_filter_vport(vstack_vmnic_port(n)), NDIS_DEFAULT_VPORT_ID);
	assert_int_equal(g.released, 1);
	assert_true(vstack_busy(e.vs));			/* the guest still ejects */
	assert_int_equal(vstack_vmnic_iov_usage(n), 1);
	assert_int_equal(vstack_vmnic_switched_back(n), 0);	/* a second acknowledgement changes nothing */
	assert_int_equal(sent(&e, got, 8), 0);
	vstack_vmnic_vf_revoked(n);
	expect_sent(&e, rest, 3);			/* no second MOVE_FILTER */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	env_down(&e);
}

/* after-removal: the switch back moves nothing; the teardown page's order after the removal. */
static void test_filter_move_after_removal(void **state)
{
	struct env e;
	struct guest_double g = { .pend_revoke = true };
	struct vstack_vmnic *n;
	uint32_t got[8];

	(void)state;
	n = revoking(&e, &g, VSTACK_FILTER_MOVE_AFTER_REMOVAL);
	assert_int_equal(vstack_vmnic_switched_back(n), 0);
	assert_int_equal(sent(&e, got, 8), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_REVOKING);
	assert_int_equal(g.released, 0);
	vstack_vmnic_vf_revoked(n);
	expect_sent(&e, teardown_oids, 4);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_set_filter_move(e.vs, VSTACK_FILTER_MOVE_COUNT), -EINVAL);
	assert_string_equal(vstack_filter_move_name(VSTACK_FILTER_MOVE_ON_SWITCH), "on-switch");
	assert_string_equal(vstack_filter_move_name(VSTACK_FILTER_MOVE_AFTER_REMOVAL), "after-removal");
	env_down(&e);
}

/* on-switch, the PF pends the early move: the eject waits (released later); a removal meanwhile is kept. */
static void test_filter_move_on_switch_pended(void **state)
{
	struct env e;
	struct guest_double g = { .pend_revoke = true };
	struct vstack_vmnic *n;
	const uint32_t move[] = { OID_RECEIVE_FILTER_MOVE_FILTER };
	const uint32_t rest[] = { OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF, OID_NIC_SWITCH_FREE_VF };

	(void)state;
	/* 1: pended, completed, then the guest lets go */
	n = revoking(&e, &g, VSTACK_FILTER_MOVE_ON_SWITCH);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vmnic_switched_back(n), -EINPROGRESS);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_RELEASING_FILTER);
	assert_int_equal(g.released, 0);
	e.c->pend_oids = 0;
	complete(&e, NDIS_STATUS_SUCCESS);
	expect_sent(&e, move, 1);
	assert_int_equal(g.released, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_EJECTING);
	vstack_vmnic_vf_revoked(n);
	expect_sent(&e, rest, 3);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	env_down(&e);

	/* 2: the guest lets go (deadline, a crash) while the move is at the PF: the teardown goes on after it */
	memset(&g, 0, sizeof(g));
	g.pend_revoke = true;
	n = revoking(&e, &g, VSTACK_FILTER_MOVE_ON_SWITCH);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vmnic_switched_back(n), -EINPROGRESS);
	vstack_vmnic_vf_revoked(n);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_RELEASING_FILTER);
	e.c->pend_oids = 0;
	complete(&e, NDIS_STATUS_SUCCESS);
	assert_int_equal(g.released, 0);		/* nothing left to eject */
	{
		const uint32_t all[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					 OID_NIC_SWITCH_FREE_VF };
		expect_sent(&e, all, 4);
	}
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	env_down(&e);
}

/* on-switch, the PF fails the early move: tried again after the removal (after-removal's point), then STUCK. */
static void test_filter_move_on_switch_fails(void **state)
{
	struct env e;
	struct guest_double g = { .pend_revoke = true };
	struct vstack_vmnic *n;
	const uint32_t move[] = { OID_RECEIVE_FILTER_MOVE_FILTER };

	(void)state;
	n = revoking(&e, &g, VSTACK_FILTER_MOVE_ON_SWITCH);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vmnic_switched_back(n), -EINPROGRESS);
	complete(&e, NDIS_STATUS_FAILURE);
	expect_sent(&e, move, 1);
	assert_int_equal(g.released, 1);		/* the eject goes ahead */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_EJECTING);
	assert_int_equal(vswitch_port_filter_vport(vstack_vmnic_port(n)), vstack_vmnic_vport_id(n));
	vstack_vmnic_vf_revoked(n);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_RESTORING_FILTER);	/* the second try */
	complete(&e, NDIS_STATUS_FAILURE);
	expect_sent(&e, move, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_STUCK);
	e.c->pend_oids = 0;
	assert_int_equal(vstack_switch_pf_halting(e.vs, e.sw), 0);
	env_down(&e);
}

/* NdisMInvalidateConfigBlock reaches the guest of the adapter the VF is offered to, and only that one. */
static void test_config_invalidation(void **state)
{
	struct env e;
	struct guest_double g = { 0 };
	struct vstack_vm *vm;
	struct vstack_vmnic *n;

	(void)state;
	env_up(&e, NULL, NULL, true, &gd_ops, &g);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	vstack_vf_config_invalidated(e.vs, e.pf, 0, 0x1);	/* no VF offered yet: nobody to tell */
	assert_int_equal(g.invalidations, 0);
	assert_int_equal(vstack_vm_start(vm), 0);
	vstack_vf_config_invalidated(e.vs, e.pf, vstack_vmnic_vf_id(n), 0x5);
	assert_int_equal(g.invalidations, 1);
	assert_int_equal(g.mask, 0x5);
	vstack_vf_config_invalidated(e.vs, e.pf, 7, 0x1);	/* a VF nobody holds */
	vstack_vf_config_invalidated(e.vs, NULL, vstack_vmnic_vf_id(n), 0x1);	/* another PF */
	assert_int_equal(g.invalidations, 1);
	env_down(&e);
}

static void test_guest_refuses_offer(void **state)
{
	struct env e;
	struct guest_double g = { .offer_rc = -ENODEV };
	struct vstack_vm *vm;
	struct vstack_vmnic *n;

	(void)state;
	/* after-removal: the documented bring-up order, the filter there and back */
	env_up(&e, NULL, NULL, true, &gd_ops, &g);
	assert_int_equal(vstack_set_filter_move(e.vs, VSTACK_FILTER_MOVE_AFTER_REMOVAL), 0);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_SET_FILTER, OID_NIC_SWITCH_ALLOCATE_VF,
					  OID_NIC_SWITCH_CREATE_VPORT, OID_RECEIVE_FILTER_MOVE_FILTER,
					  OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF };
		expect_sent(&e, want, 8);
	}
	assert_int_equal(g.revokes, 0);		/* never offered, so nothing to revoke */
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_PF_FAILED);
	assert_false(vstack_vmnic_filter_on_vf_expected(n));
	env_down(&e);
	/* on-switch: the filter never left the default vPort */
	env_up(&e, NULL, NULL, true, &gd_ops, &g);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_SET_FILTER, OID_NIC_SWITCH_ALLOCATE_VF,
					  OID_NIC_SWITCH_CREATE_VPORT, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF };
		expect_sent(&e, want, 6);
	}
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_PF_FAILED);
	env_down(&e);
}

/*
 * on-switch with a guest: offered with the filter on the default vPort; the
 * guest's switch to the VF steers it, its switch back (on its own) unsteers
 * it; a PF failing the steer takes the VF back.
 */
static void test_filter_follows_the_guest(void **state)
{
	struct env e;
	struct guest_double g = { .pend_revoke = true };
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	const uint32_t upto_offer[] = { OID_RECEIVE_FILTER_SET_FILTER, OID_NIC_SWITCH_ALLOCATE_VF,
					OID_NIC_SWITCH_CREATE_VPORT };
	const uint32_t move[] = { OID_RECEIVE_FILTER_MOVE_FILTER };
	const uint32_t rest[] = { OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF, OID_NIC_SWITCH_FREE_VF };
	uint32_t filter, got[8];

	(void)state;
	env_up(&e, NULL, NULL, true, &gd_ops, &g);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	expect_sent(&e, upto_offer, 3);
	assert_int_equal(g.offers, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	filter = vswitch_port_filter_id(vstack_vmnic_port(n));
	assert_int_equal(filter_vport(&e, filter), NDIS_DEFAULT_VPORT_ID);
	assert_false(vstack_vmnic_filter_on_vf_expected(n));	/* by design, until the guest switches */
	vstack_vmnic_datapath(n, true);
	expect_sent(&e, move, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_ACTIVE);
	assert_true(vstack_vmnic_filter_on_vf_expected(n));
	assert_int_equal(filter_vport(&e, filter), vstack_vmnic_vport_id(n));
	vstack_vmnic_datapath(n, false);	/* e.g. the VF's link went down */
	expect_sent(&e, move, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	assert_int_equal(filter_vport(&e, filter), NDIS_DEFAULT_VPORT_ID);
	vstack_vmnic_datapath(n, true);
	expect_sent(&e, move, 1);
	assert_int_equal(filter_vport(&e, filter), vstack_vmnic_vport_id(n));
	/* the guest switches back while the steer is at the PF: unsteered once it completes */
	vstack_vmnic_datapath(n, false);
	expect_sent(&e, move, 1);
	e.c->pend_oids = 1;
	vstack_vmnic_datapath(n, true);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_STEERING);
	vstack_vmnic_datapath(n, false);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_STEERING);
	e.c->pend_oids = 0;
	complete(&e, NDIS_STATUS_SUCCESS);
	{
		const uint32_t two[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_RECEIVE_FILTER_MOVE_FILTER };
		expect_sent(&e, two, 2);
	}
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	assert_int_equal(filter_vport(&e, filter), NDIS_DEFAULT_VPORT_ID);
	vstack_vmnic_datapath(n, true);
	expect_sent(&e, move, 1);
	/* the PF pends and fails the next steer: blocked, and the VF is taken back */
	vstack_vmnic_datapath(n, false);
	expect_sent(&e, move, 1);
	e.c->pend_oids = 1;
	vstack_vmnic_datapath(n, true);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_STEERING);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_IN_PROGRESS);
	assert_true(vstack_busy(e.vs));
	complete(&e, NDIS_STATUS_FAILURE);
	e.c->pend_oids = 0;
	expect_sent(&e, move, 1);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_REVOKING);
	assert_int_equal(g.revokes, 1);
	assert_int_equal(vstack_vmnic_switched_back(n), 0);	/* nothing on the VF's vPort to move */
	assert_int_equal(sent(&e, got, 8), 0);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_EJECTING);
	vstack_vmnic_vf_revoked(n);
	expect_sent(&e, rest, 3);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_PF_FAILED);
	env_down(&e);
}

/* ---- settings on a live VF, the PF restarting ----------------------------------- */
static void test_interrupt_moderation(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	NDIS_NIC_SWITCH_VPORT_PARAMETERS p;
	NDIS_OID_REQUEST r;
	uint32_t st;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	e.mark = ndis_adapter_oid_record_count(e.pf);
	assert_int_equal(vstack_vmnic_set_iov_interrupt_moderation(n, VSTACK_MODERATION_HIGH), 0);
	{
		const uint32_t want[] = { OID_NIC_SWITCH_VPORT_PARAMETERS };
		expect_sent(&e, want, 1);
	}
	memset(&p, 0, sizeof(p));
	p.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	p.Header.Revision = NDIS_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	p.Header.Size = NDIS_SIZEOF_NIC_SWITCH_VPORT_PARAMETERS_REVISION_1;
	p.VPortId = vstack_vmnic_vport_id(n);
	ndis_oid_init(&r, NdisRequestMethod, OID_NIC_SWITCH_VPORT_PARAMETERS, &p, sizeof(p));
	assert_int_equal(ndis_oid_request(e.pf, &vswitch_issuer, &r, NULL, NULL, &st), 0);
	assert_int_equal(st, ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(p.InterruptModeration, NdisNicSwitchVPortInterruptModerationHigh);
	assert_int_equal(p.AttachedFunctionId, vstack_vmnic_vf_id(n));
	assert_int_equal(vstack_vmnic_set_iov_interrupt_moderation(n, (enum vstack_moderation)7), -EINVAL);
	env_down(&e);
}

static void test_pf_restart(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	struct ndis_sriov_view v;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	assert_int_equal(vstack_vm_start(vm), 0);
	e.mark = ndis_adapter_oid_record_count(e.pf);
	assert_int_equal(vstack_switch_pf_halting(e.vs, e.sw), 0);
	{
		const uint32_t want[] = { OID_RECEIVE_FILTER_MOVE_FILTER, OID_NIC_SWITCH_DELETE_VPORT, OID_SRIOV_RESET_VF,
					  OID_NIC_SWITCH_FREE_VF, OID_RECEIVE_FILTER_CLEAR_FILTER };
		expect_sent(&e, want, 5);
	}
	sriov_view(&e, &v);
	assert_int_equal(v.n_vfs + v.n_vports + v.n_filters, 0);
	assert_null(vswitch_pf(e.sw));
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_NO_ADAPTER);
	assert_int_equal(ndis_adapter_halt(e.pf, NdisHaltDeviceDisabled), 0);
	assert_int_equal(ndis_adapter_start(e.pf), 0);
	vstack_switch_pf_back(e.vs, e.sw, e.pf);
	expect_sent(&e, bringup, 4);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_OFFERED);
	env_down(&e);
}

/* ---- state tables ---------------------------------------------------------------- */
static void test_vf_state_table(void **state)
{
	static const struct { enum vstack_vf_state from, to; } legal[] = {
		{ VSTACK_VF_NONE, VSTACK_VF_ALLOCATING },
		{ VSTACK_VF_ALLOCATING, VSTACK_VF_CREATING_VPORT }, { VSTACK_VF_ALLOCATING, VSTACK_VF_NONE },
		{ VSTACK_VF_ALLOCATING, VSTACK_VF_RESETTING },
		{ VSTACK_VF_CREATING_VPORT, VSTACK_VF_MOVING_FILTER }, { VSTACK_VF_CREATING_VPORT, VSTACK_VF_RESETTING },
		{ VSTACK_VF_CREATING_VPORT, VSTACK_VF_DELETING_VPORT }, { VSTACK_VF_CREATING_VPORT, VSTACK_VF_OFFERED },
		{ VSTACK_VF_MOVING_FILTER, VSTACK_VF_OFFERED }, { VSTACK_VF_MOVING_FILTER, VSTACK_VF_DELETING_VPORT },
		{ VSTACK_VF_MOVING_FILTER, VSTACK_VF_RESTORING_FILTER },
		{ VSTACK_VF_OFFERED, VSTACK_VF_ACTIVE }, { VSTACK_VF_OFFERED, VSTACK_VF_REVOKING },
		{ VSTACK_VF_OFFERED, VSTACK_VF_RESTORING_FILTER },
		{ VSTACK_VF_ACTIVE, VSTACK_VF_OFFERED }, { VSTACK_VF_ACTIVE, VSTACK_VF_REVOKING },
		{ VSTACK_VF_OFFERED, VSTACK_VF_STEERING }, { VSTACK_VF_ACTIVE, VSTACK_VF_UNSTEERING },
		{ VSTACK_VF_STEERING, VSTACK_VF_ACTIVE }, { VSTACK_VF_STEERING, VSTACK_VF_OFFERED },
		{ VSTACK_VF_UNSTEERING, VSTACK_VF_OFFERED },
		{ VSTACK_VF_REVOKING, VSTACK_VF_RESTORING_FILTER }, { VSTACK_VF_REVOKING, VSTACK_VF_RELEASING_FILTER },
		{ VSTACK_VF_RELEASING_FILTER, VSTACK_VF_EJECTING }, { VSTACK_VF_EJECTING, VSTACK_VF_RESTORING_FILTER },
		{ VSTACK_VF_RESTORING_FILTER, VSTACK_VF_DELETING_VPORT }, { VSTACK_VF_RESTORING_FILTER, VSTACK_VF_STUCK },
		{ VSTACK_VF_DELETING_VPORT, VSTACK_VF_RESETTING }, { VSTACK_VF_DELETING_VPORT, VSTACK_VF_STUCK },
		{ VSTACK_VF_RESETTING, VSTACK_VF_FREEING },
		{ VSTACK_VF_FREEING, VSTACK_VF_NONE }, { VSTACK_VF_FREEING, VSTACK_VF_STUCK },
		{ VSTACK_VF_STUCK, VSTACK_VF_NONE },
	};
	size_t nlegal = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		assert_true(vstack_vf_state_transition_allowed(legal[i].from, legal[i].to));
	/* Exactly those: every other pair is refused. */
	for (int f = 0; f < VSTACK_VF_STATE_COUNT; f++)
		for (int t = 0; t < VSTACK_VF_STATE_COUNT; t++)
			nlegal += vstack_vf_state_transition_allowed(f, t);
	assert_int_equal(nlegal, sizeof(legal) / sizeof(legal[0]));
	/* Some that would break the documented order. */
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_OFFERED, VSTACK_VF_DELETING_VPORT));
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_ACTIVE, VSTACK_VF_RESTORING_FILTER));
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_DELETING_VPORT, VSTACK_VF_FREEING));
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_NONE, VSTACK_VF_OFFERED));
	/* on-switch never skips the guest's removal: no vPort deleted while it ejects */
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_EJECTING, VSTACK_VF_DELETING_VPORT));
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_ACTIVE, VSTACK_VF_RELEASING_FILTER));
	assert_false(vstack_vf_state_transition_allowed(VSTACK_VF_STATE_COUNT, VSTACK_VF_NONE));
	for (int s = 0; s < VSTACK_VF_STATE_COUNT; s++)
		assert_string_not_equal(vstack_vf_state_name(s), "?");
	assert_string_equal(vstack_vf_state_name(VSTACK_VF_STATE_COUNT), "?");
}

static void test_port_state_table(void **state)
{
	size_t n = 0;

	(void)state;
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_UNFILTERED, VSWITCH_PORT_FILTERING));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_UNFILTERED, VSWITCH_PORT_REFUSED));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_FILTERING, VSWITCH_PORT_FILTERED));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_FILTERING, VSWITCH_PORT_REFUSED));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_FILTERED, VSWITCH_PORT_CLEARING));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_FILTERED, VSWITCH_PORT_UNFILTERED));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_CLEARING, VSWITCH_PORT_UNFILTERED));
	assert_true(vswitch_port_state_transition_allowed(VSWITCH_PORT_REFUSED, VSWITCH_PORT_UNFILTERED));
	for (int f = 0; f < VSWITCH_PORT_STATE_COUNT; f++)
		for (int t = 0; t < VSWITCH_PORT_STATE_COUNT; t++)
			n += vswitch_port_state_transition_allowed(f, t);
	assert_int_equal(n, 8);
	assert_false(vswitch_port_state_transition_allowed(VSWITCH_PORT_UNFILTERED, VSWITCH_PORT_FILTERED));
	assert_false(vswitch_port_state_transition_allowed(VSWITCH_PORT_REFUSED, VSWITCH_PORT_FILTERED));
	assert_false(vswitch_port_state_transition_allowed(VSWITCH_PORT_STATE_COUNT, VSWITCH_PORT_UNFILTERED));
	assert_string_equal(vswitch_port_state_name(VSWITCH_PORT_REFUSED), "Refused");
}

/* The PF refuses the adapter's MAC filter: no VF is even asked for, and the status says why. */
static void test_filter_refused(void **state)
{
	struct env e;
	struct vstack_vm *vm;
	struct vstack_vmnic *n;
	char desc[512];

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	n = add_nic(&e, vm, "vm1", 1, 100);
	e.c->pend_oids = 1;
	assert_int_equal(vstack_vm_start(vm), 0);
	assert_int_equal(vswitch_port_state(vstack_vmnic_port(n)), VSWITCH_PORT_FILTERING);
	complete(&e, NDIS_STATUS_RESOURCES);		/* SET_FILTER */
	assert_int_equal(vswitch_port_state(vstack_vmnic_port(n)), VSWITCH_PORT_REFUSED);
	assert_null(e.c->pending);
	assert_int_equal(vstack_vmnic_vf_state(n), VSTACK_VF_NONE);
	assert_int_equal(vstack_vmnic_iov_reason(n), VSTACK_IOV_NO_FILTER);
	assert_int_equal(vstack_vmnic_status(n, desc, sizeof(desc)), VSTACK_OP_DEGRADED);
	assert_non_null(strstr(desc, "NDIS_STATUS_RESOURCES"));
	expect_sent(&e, bringup, 1);
	e.c->pend_oids = 0;
	env_down(&e);
}

static void test_vm_state_table(void **state)
{
	(void)state;
	assert_true(vstack_vm_state_transition_allowed(VSTACK_VM_OFF, VSTACK_VM_RUNNING));
	assert_true(vstack_vm_state_transition_allowed(VSTACK_VM_RUNNING, VSTACK_VM_STOPPING));
	assert_true(vstack_vm_state_transition_allowed(VSTACK_VM_STOPPING, VSTACK_VM_OFF));
	assert_false(vstack_vm_state_transition_allowed(VSTACK_VM_OFF, VSTACK_VM_STOPPING));
	assert_false(vstack_vm_state_transition_allowed(VSTACK_VM_RUNNING, VSTACK_VM_OFF));
	assert_false(vstack_vm_state_transition_allowed(VSTACK_VM_STOPPING, VSTACK_VM_RUNNING));
	assert_false(vstack_vm_state_transition_allowed(VSTACK_VM_OFF, VSTACK_VM_OFF));
}

/* A VM that is not running cannot be stopped; a started one cannot start again. */
static void test_vm_lifecycle_refusals(void **state)
{
	struct env e;
	struct vstack_vm *vm, *dup;
	struct vstack_vmnic_config bad = { .name = "x", .mac = { 0x01, 0, 0, 0, 0, 1 }, .iov_queue_pairs_requested = 1 };
	struct vstack_vmnic *n;

	(void)state;
	env_up(&e, NULL, NULL, true, NULL, NULL);
	vm = add_vm(&e, "vm1");
	assert_int_equal(vstack_vm_create(e.vs, "VM1", &dup), -EEXIST);
	assert_int_equal(vstack_vm_stop(vm), -EPERM);
	assert_int_equal(vstack_vm_start(vm), 0);
	assert_int_equal(vstack_vm_start(vm), -EPERM);
	assert_int_equal(vstack_vmnic_create(vm, &bad, e.sw, &n), -EINVAL);	/* multicast MAC */
	bad.mac[0] = 0;
	bad.iov_weight = 101;
	assert_int_equal(vstack_vmnic_create(vm, &bad, e.sw, &n), -EINVAL);
	assert_ptr_equal(vstack_vm_find(e.vs, "VM1"), vm);
	assert_string_equal(vstack_vm_id(vm), vstack_vm_id(vstack_vm_find(e.vs, "vm1")));
	env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bringup_order),
		cmocka_unit_test(test_filter_move_on_switch),
		cmocka_unit_test(test_filter_move_after_removal),
		cmocka_unit_test(test_filter_move_on_switch_pended),
		cmocka_unit_test(test_filter_move_on_switch_fails),
		cmocka_unit_test(test_filter_follows_the_guest),
		cmocka_unit_test(test_allocate_parameters),
		cmocka_unit_test(test_live_weight_change),
		cmocka_unit_test(test_withhold_vf),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_policy_weight),
		cmocka_unit_test(test_sriov_keyword_off),
		cmocka_unit_test(test_switch_without_iov),
		cmocka_unit_test(test_weight_zero),
		cmocka_unit_test(test_pended_divert),
		cmocka_unit_test(test_pf_fails_allocate),
		cmocka_unit_test(test_pf_fails_create_vport),
		cmocka_unit_test(test_pf_fails_delete_vport),
		cmocka_unit_test(test_guest_removal_first),
		cmocka_unit_test(test_guest_refuses_offer),
		cmocka_unit_test(test_config_invalidation),
		cmocka_unit_test(test_interrupt_moderation),
		cmocka_unit_test(test_pf_restart),
		cmocka_unit_test(test_vf_state_table),
		cmocka_unit_test(test_vm_state_table),
		cmocka_unit_test(test_port_state_table),
		cmocka_unit_test(test_filter_refused),
		cmocka_unit_test(test_vm_lifecycle_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
