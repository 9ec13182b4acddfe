/*
 * The data path (src/ndis/nbl.c, api_nbl.c): receive indications reach the
 * bound protocol with the vPort id in the OOB and come back to the miniport
 * when returned (or at once with NDIS_RECEIVE_FLAGS_RESOURCES, or when no
 * protocol is bound); sends reach the miniport and complete to the sender;
 * NDIS fails sends on a paused adapter itself; and the ownership rules:
 * an NBL send-completed or returned twice, receives kept past close, sends
 * not completed when pause completes -- each with a mutant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fw_helpers.h"
#include "ndis/internal.h"

struct env {
	struct ndis_framework *fw;
	struct fake_control *mp;
	struct fake_proto_control *proto;
	struct bus_double bus;
	struct ndis_adapter *ad;
	struct ndis_protocol *p;
	void (*indicate)(unsigned, USHORT, ULONG);
	void (*complete_sends)(void);
	void (*send)(unsigned);
	void (*return_held)(void);
};

static void env_up(struct env *e, const char *miniport, const char *dev, const char *proto, const char *comp)
{
	char id[64];

	e->fw = test_framework(NDIS_PARTITION_CHILD);
	e->mp = fake_control(miniport);
	e->proto = proto ? fake_proto(proto) : NULL;
	bus_double_init(&e->bus);
	snprintf(id, sizeof(id), HWID("%s"), dev);
	assert_int_equal(test_adapter(e->fw, "nic", id, &e->bus, NULL, &e->ad), 0);
	e->p = NULL;
	if (proto)
		assert_int_equal(ndis_protocol_load(e->fw, comp, &e->p), 0);
	*(void **)&e->indicate = fake_symbol(miniport, "FakeIndicateReceive");
	*(void **)&e->complete_sends = fake_symbol(miniport, "FakeCompleteSends");
	if (proto) {
		*(void **)&e->send = fake_symbol(proto, "FakeProtoSend");
		*(void **)&e->return_held = fake_symbol(proto, "FakeProtoReturnHeld");
	}
}

static void test_receive_and_return(void **state)
{
	struct env e;

	(void)state;
	env_up(&e, "fake_basic", "1000", "fake_proto", "IOVLAB_FAKEPROTO");
	test_trace_reset();
	e.indicate(3, 5, 0);
	assert_int_equal(e.proto->receive_calls, 1);
	assert_int_equal(e.proto->received, 3);
	assert_int_equal(e.proto->last_receive_count, 3);
	assert_int_equal(e.proto->last_vport, 5);
	assert_int_equal(e.proto->last_first_byte, 0);
	/* The protocol returned them; NDIS gave them back to the miniport. */
	assert_int_equal(e.mp->returns, 3);
	/* Held, then returned later. */
	e.proto->hold_receives = 1;
	e.indicate(2, 0, 0);
	assert_int_equal(e.mp->returns, 3);
	e.return_held();
	assert_int_equal(e.mp->returns, 5);
	/* RESOURCES: the miniport owns them again when the call returns. */
	e.proto->hold_receives = 0;
	e.indicate(2, 1, NDIS_RECEIVE_FLAGS_RESOURCES);
	assert_int_equal(e.proto->last_receive_flags, NDIS_RECEIVE_FLAGS_RESOURCES);
	assert_int_equal(e.proto->received, 7);
	assert_int_equal(e.mp->returns, 5);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_receive_without_bindings(void **state)
{
	struct env e;

	(void)state;
	env_up(&e, "fake_basic", "1000", NULL, NULL);
	e.indicate(4, 0, 0);
	assert_int_equal(e.mp->returns, 4);
	/* A miniport must not indicate on a paused adapter. */
	assert_int_equal(ndis_adapter_pause(e.ad), 0);
	e.indicate(1, 0, 0);
	assert_int_equal(e.mp->returns, 5);
	assert_int_equal(ndis_framework_findings_of(e.fw, NDIS_RULE_STATE), 1);
	ndis_framework_destroy(e.fw);
}

static void test_send_and_complete(void **state)
{
	struct env e;

	(void)state;
	env_up(&e, "fake_basic", "1000", "fake_proto", "IOVLAB_FAKEPROTO");
	e.send(2);
	assert_int_equal(e.mp->sends, 2);
	assert_int_equal(e.proto->sends_completed, 2);
	assert_int_equal(e.proto->last_send_status, NDIS_STATUS_SUCCESS);
	/* Held by the miniport, completed later. */
	e.mp->hold_sends = 1;
	e.send(3);
	assert_int_equal(e.mp->sends, 5);
	assert_int_equal(e.proto->sends_completed, 2);
	e.complete_sends();
	assert_int_equal(e.proto->sends_completed, 5);
	/* Paused: NDIS completes the send itself with NDIS_STATUS_PAUSED. */
	assert_int_equal(ndis_adapter_pause(e.ad), 0);
	e.send(1);
	assert_int_equal(e.mp->sends, 5);
	assert_int_equal(e.proto->sends_completed, 6);
	assert_int_equal(e.proto->last_send_status, NDIS_STATUS_PAUSED);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_cancel_send(void **state)
{
	struct env e;
	void (*send_tagged)(unsigned, PVOID);
	void (*cancel)(PVOID);

	(void)state;
	env_up(&e, "fake_basic", "1000", "fake_proto", "IOVLAB_FAKEPROTO");
	*(void **)&send_tagged = fake_symbol("fake_proto", "FakeProtoSendTagged");
	*(void **)&cancel = fake_symbol("fake_proto", "FakeProtoCancel");
	e.mp->hold_sends = 1;
	send_tagged(2, (PVOID)0x11);
	send_tagged(1, (PVOID)0x22);
	cancel((PVOID)0x11);
	assert_int_equal(e.mp->cancel_send_calls, 1);
	assert_int_equal(e.proto->sends_completed, 2);
	assert_int_equal(e.proto->last_send_status, NDIS_STATUS_SEND_ABORTED);
	e.complete_sends();
	assert_int_equal(e.proto->sends_completed, 3);
	assert_int_equal(e.proto->last_send_status, NDIS_STATUS_SUCCESS);
	assert_int_equal(ndis_framework_finding_count(e.fw), 0);
	ndis_framework_destroy(e.fw);
}

static void test_send_completed_twice(void **state)
{
	struct env e;
	const struct ndis_finding *f;

	(void)state;
	env_up(&e, "mut_nbl_twice", "2041", "fake_proto", "IOVLAB_FAKEPROTO");
	e.send(1);
	assert_int_equal(e.proto->sends_completed, 1);
	assert_int_equal(ndis_framework_finding_count(e.fw), 1);
	f = ndis_framework_finding_at(e.fw, 0);
	assert_string_equal(f->id, "NDIS-NBL-RETURN-TWICE");
	assert_string_equal(f->driver, "mut_nbl_twice");
	assert_non_null(strstr(f->evidence, "not a live NBL (completed twice and freed by its owner?)"));
	ndis_framework_destroy(e.fw);
}

static void test_sends_never_completed(void **state)
{
	struct env e;
	const struct ndis_finding *f;

	(void)state;
	env_up(&e, "mut_nbl_keep", "2042", "fake_proto", "IOVLAB_FAKEPROTO");
	e.send(2);
	assert_int_equal(e.proto->sends_completed, 0);
	assert_int_equal(ndis_adapter_pause(e.ad), 0);
	assert_int_equal(ndis_framework_finding_count(e.fw), 1);
	f = ndis_framework_finding_at(e.fw, 0);
	assert_string_equal(f->id, "NDIS-NBL-NEVER-RETURNED");
	assert_string_equal(f->driver, "mut_nbl_keep");
	assert_non_null(strstr(f->evidence, "pause completed with 2 sent NBL(s) not send-completed"));
	ndis_framework_destroy(e.fw);
}

static void test_protocol_returns_twice(void **state)
{
	struct env e;
	const struct ndis_finding *f;

	(void)state;
	env_up(&e, "fake_basic", "1000", "mut_proto_twice", "IOVLAB_MUT_TWICE");
	e.indicate(1, 0, 0);
	assert_int_equal(e.mp->returns, 1);
	assert_int_equal(ndis_framework_finding_count(e.fw), 1);
	f = ndis_framework_finding_at(e.fw, 0);
	assert_string_equal(f->id, "NDIS-NBL-RETURN-TWICE");
	assert_string_equal(f->driver, "MUTTWICE");
	assert_non_null(strstr(f->evidence, "which is not a live NBL (returned twice and freed by the miniport?)"));
	ndis_framework_destroy(e.fw);
}

static void test_protocol_never_returns(void **state)
{
	struct env e;
	const struct ndis_finding *f;

	(void)state;
	env_up(&e, "fake_basic", "1000", "mut_proto_keep", "IOVLAB_MUT_KEEP");
	e.indicate(2, 0, 0);
	assert_int_equal(e.mp->returns, 0);
	/* Halt: the pause finds them held, the close reclaims them. */
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	assert_int_equal(e.mp->returns, 2);
	assert_true(ndis_framework_findings_of(e.fw, NDIS_RULE_NBL_NEVER_RETURNED) >= 2);
	f = ndis_framework_finding_at(e.fw, ndis_framework_finding_count(e.fw) - 1);
	assert_string_equal(f->id, "NDIS-NBL-NEVER-RETURNED");
	assert_string_equal(f->driver, "MUTKEEP");
	assert_non_null(strstr(f->evidence, "closed its binding with 2 indicated NBL(s) never returned"));
	assert_int_equal(ndis_framework_finding_count(e.fw), ndis_framework_findings_of(e.fw, NDIS_RULE_NBL_NEVER_RETURNED));
	ndis_framework_destroy(e.fw);
}

static void test_pools_and_buffers(void **state)
{
	struct env e;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	NDIS_HANDLE pool;
	PNET_BUFFER_LIST nbl;
	UCHAR a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8] = { 9, 10, 11, 12 }, copy[8];
	PMDL m1, m2;
	PUCHAR p;

	(void)state;
	env_up(&e, "fake_basic", "1000", NULL, NULL);
	memset(&pp, 0, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	/* Header checks and unsupported contexts. */
	pp.Header.Size = 4;
	assert_null(NdisAllocateNetBufferListPool(e.mp->adapter, &pp));
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.ContextSize = 16;
	assert_null(NdisAllocateNetBufferListPool(e.mp->adapter, &pp));
	pp.ContextSize = 0;
	assert_null(NdisAllocateNetBufferListPool(&pp, &pp));
	pool = NdisAllocateNetBufferListPool(e.mp->adapter, &pp);
	assert_non_null(pool);
	/* An NB over a two-MDL chain: a pointer when contiguous, a copy when not. */
	m1 = NdisAllocateMdl(e.mp->adapter, a, 4);
	m2 = NdisAllocateMdl(e.mp->adapter, b, 4);
	m1->Next = m2;
	nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, m1, 1, 6);
	assert_non_null(nbl);
	p = NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(nbl), 3, NULL, 1, 0);
	assert_ptr_equal(p, a + 1);
	assert_null(NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(nbl), 5, NULL, 1, 0));
	p = NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(nbl), 5, copy, 1, 0);
	assert_ptr_equal(p, copy);
	assert_memory_equal(copy, "\x02\x03\x04\x09\x0a", 5);
	assert_null(NdisGetDataBuffer(NET_BUFFER_LIST_FIRST_NB(nbl), 7, copy, 1, 0));
	/* A pool without data refuses an NB larger than nothing. */
	assert_null(NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 10));
	NdisFreeNetBufferList(nbl);
	NdisFreeNetBufferList(nbl);	/* twice: refused, logged */
	NdisFreeMdl(m1);
	NdisFreeMdl(m2);
	NdisFreeMdl(m2);
	NdisFreeNetBufferListPool(pool);
	ndis_framework_destroy(e.fw);
}

/*
 * A frame-per-NBL data path adds and removes a handle per frame: the table
 * must reuse its deleted slots, not double on every half-full of them
 * (src/ndis/handle.c grow()). 200000 alloc/free pairs with 64 NBLs live.
 */
static void test_nbl_churn_keeps_the_handle_table_small(void **state)
{
	struct env e;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	PNET_BUFFER_LIST live[64];
	NDIS_HANDLE pool;
	size_t cap0, cap1, live0, live1;

	(void)state;
	env_up(&e, "fake_basic", "1000", NULL, NULL);
	memset(&pp, 0, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.DataSize = 64;
	pool = NdisAllocateNetBufferListPool(e.mp->adapter, &pp);
	assert_non_null(pool);
	for (unsigned i = 0; i < 64; i++)
		assert_non_null(live[i] = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 64));
	ndis__handle_table_size(&cap0, &live0);
	for (unsigned i = 0; i < 200000; i++) {
		NdisFreeNetBufferList(live[i % 64]);
		live[i % 64] = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 64);
		assert_non_null(live[i % 64]);
	}
	ndis__handle_table_size(&cap1, &live1);
	assert_int_equal(live1, live0);
	assert_true(cap1 <= 2 * cap0);
	for (unsigned i = 0; i < 64; i++) {
		assert_int_equal(ndis__handle_kind(live[i]), NDIS_H_NBL);
		NdisFreeNetBufferList(live[i]);
	}
	NdisFreeNetBufferListPool(pool);
	ndis_framework_destroy(e.fw);
}

/*
 * The data path's "live NBL?" question answered from the NBL's token
 * (src/ndis/nbl.c): a live NBL is tracked; a byte copy of it elsewhere, a
 * freed one and one whose token a driver scribbled over are judged by the
 * handle table exactly as before; a freed block is reused by its pool.
 */
static void test_nbl_token_and_reuse(void **state)
{
	struct env e;
	NET_BUFFER_LIST_POOL_PARAMETERS pp;
	NET_BUFFER_LIST copy;
	PNET_BUFFER_LIST nbl, again;
	NDIS_HANDLE pool;

	(void)state;
	env_up(&e, "fake_basic", "1000", NULL, NULL);
	memset(&pp, 0, sizeof(pp));
	pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
	pp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
	pp.fAllocateNetBuffer = TRUE;
	pp.DataSize = 128;
	pool = NdisAllocateNetBufferListPool(e.mp->adapter, &pp);
	assert_non_null(pool);
	nbl = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 100);
	assert_non_null(nbl);
	assert_non_null(ndis__nbl_track(nbl));
	memcpy(&copy, nbl, sizeof(copy));
	assert_null(ndis__nbl_track(&copy));
	nbl->NdisReserved[0] = NULL;		/* a driver wrote NDIS's field: the table still knows it */
	assert_non_null(ndis__nbl_track(nbl));
	NdisFreeNetBufferList(nbl);
	assert_null(ndis__nbl_track(nbl));	/* freed: kept by the pool, not live */
	again = NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, NULL, 0, 64);
	assert_ptr_equal(again, nbl);		/* the same block, header cleared */
	assert_non_null(ndis__nbl_track(again));
	assert_int_equal(NET_BUFFER_DATA_LENGTH(NET_BUFFER_LIST_FIRST_NB(again)), 64);
	assert_null(NET_BUFFER_LIST_NEXT_NBL(again));
	NdisFreeNetBufferList(again);
	NdisFreeNetBufferList(again);		/* twice: refused by the table, not pushed twice */
	assert_null(ndis__nbl_track(again));
	NdisFreeNetBufferListPool(pool);
	ndis_framework_destroy(e.fw);
}

/*
 * The handle table against a reference: random adds and removes of 4096
 * addresses (runs wrap around the table's end), after each step every
 * address is found with its kind exactly when it was added and not removed.
 */
static void test_handle_table_removal_keeps_lookups_exact(void **state)
{
	static char objs[4096];
	static bool in[4096];
	uint32_t x = 12345;

	(void)state;
	for (unsigned step = 0; step < 40000; step++) {
		unsigned i;

		x = x * 1103515245u + 12345u;
		i = (x >> 8) % 4096;
		if (in[i]) {
			ndis__handle_remove(&objs[i]);
			in[i] = false;
		} else {
			assert_int_equal(ndis__handle_add(&objs[i], NDIS_H_MEMORY), 0);
			in[i] = true;
		}
		if (step % 997 == 0 || step > 39000)
			for (unsigned k = 0; k < 4096; k++)
				assert_int_equal(ndis__handle_kind(&objs[k]), in[k] ? NDIS_H_MEMORY : NDIS_H_NONE);
	}
	for (unsigned k = 0; k < 4096; k++)
		if (in[k])
			ndis__handle_remove(&objs[k]);
	for (unsigned k = 0; k < 4096; k++)
		assert_int_equal(ndis__handle_kind(&objs[k]), NDIS_H_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive_and_return),
		cmocka_unit_test(test_receive_without_bindings),
		cmocka_unit_test(test_send_and_complete),
		cmocka_unit_test(test_cancel_send),
		cmocka_unit_test(test_send_completed_twice),
		cmocka_unit_test(test_sends_never_completed),
		cmocka_unit_test(test_protocol_returns_twice),
		cmocka_unit_test(test_protocol_never_returns),
		cmocka_unit_test(test_pools_and_buffers),
		cmocka_unit_test(test_nbl_churn_keeps_the_handle_table_small),
		cmocka_unit_test(test_handle_table_removal_keeps_lookups_exact),
		cmocka_unit_test(test_nbl_token_and_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
