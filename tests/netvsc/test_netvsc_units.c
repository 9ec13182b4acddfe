/*
 * One-process tests of NetVsc's pieces: the guest traffic frame format and
 * sequence checker; the two state machines of netvsc.sys (miniport adapter,
 * VF binding) walked through every pair of states via the driver's own
 * exported checkers; DriverEntry's two roles; the VF edge declining a VF
 * when there is no NetVsc adapter to give it to (ADAPTER_NOT_FOUND) or no
 * serial (NOT_SUPPORTED); the miniport edge failing cleanly on a PDO that
 * offers no channel; and the PDO's answer to IRP_MN_QUERY_INTERFACE.
 * The two-process behaviour is in test_netvsc_edges.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hv/guest_traffic.h"
#include "hv/netvsc/netvsc_channel.h"
#include "hv/netvsc/netvsc_dev.h"
#include "ndis/framework.h"
#include "ndis/protocol.h"

static const uint8_t DST[6] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };
static const uint8_t SRC[6] = { 0x00, 0x15, 0x5d, 0x99, 0x99, 0x99 };

/* ---- frame format ----------------------------------------------------------- */
static void test_frame_roundtrip(void **state)
{
	uint8_t f[GUEST_TRAFFIC_FRAME_MAX];
	uint32_t stream, len;
	uint64_t seq;

	(void)state;
	for (uint64_t s = 0; s < 200; s++) {
		len = guest_traffic_frame_len(s, 0, 0);
		assert_true(len >= GUEST_TRAFFIC_FRAME_MIN && len <= GUEST_TRAFFIC_FRAME_MAX);
		assert_int_equal(guest_traffic_frame_build(f, len, DST, SRC, 42, s), len);
		assert_int_equal(guest_traffic_frame_parse(f, len, &stream, &seq), 0);
		assert_int_equal(stream, 42);
		assert_int_equal(seq, s);
		assert_memory_equal(f, DST, 6);
		assert_memory_equal(f + 6, SRC, 6);
	}
	len = guest_traffic_frame_len(7, 100, 100);
	assert_int_equal(len, 100);
	guest_traffic_frame_build(f, len, DST, SRC, 1, 7);
	f[70] ^= 0x10;	/* a damaged byte */
	assert_int_equal(guest_traffic_frame_parse(f, len, &stream, &seq), -EBADMSG);
	f[70] ^= 0x10;
	assert_int_equal(guest_traffic_frame_parse(f, len - 1, &stream, &seq), -EBADMSG);	/* cut short */
	f[12] = 0x08;	/* IPv4, not ours */
	assert_int_equal(guest_traffic_frame_parse(f, len, &stream, &seq), -ENOMSG);
	assert_int_equal(guest_traffic_frame_parse(f, 20, &stream, &seq), -ENOMSG);
	assert_int_equal(guest_traffic_frame_build(f, 10, DST, SRC, 1, 1), 0);
}

/* ---- sequence checker --------------------------------------------------------- */
static void take(struct guest_traffic_seq *s, const uint64_t *seqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		guest_traffic_seq_take(s, seqs[i]);
}

static void test_seq_counts(void **state)
{
	struct guest_traffic_seq s;
	static const uint64_t in_order[] = { 0, 1, 2, 3, 4 };
	static const uint64_t gap_late[] = { 0, 1, 4, 2, 5 };	/* 3 lost, 2 late */
	static const uint64_t dups[] = { 0, 1, 1, 2, 0 };

	(void)state;
	guest_traffic_seq_init(&s);
	take(&s, in_order, 5);
	assert_int_equal(s.received, 5);
	assert_int_equal(s.lost + s.dup + s.reorder, 0);
	assert_int_equal(s.next, 5);

	guest_traffic_seq_init(&s);
	take(&s, gap_late, 5);
	assert_int_equal(s.received, 5);
	assert_int_equal(s.lost, 1);
	assert_int_equal(s.reorder, 1);
	assert_int_equal(s.dup, 0);

	guest_traffic_seq_init(&s);
	take(&s, dups, 5);
	assert_int_equal(s.received, 3);
	assert_int_equal(s.dup, 2);
	assert_int_equal(s.reorder + s.lost, 0);

	/* A jump past the window, then a number from before it: late, not a duplicate we can prove. */
	guest_traffic_seq_init(&s);
	guest_traffic_seq_take(&s, 10);
	guest_traffic_seq_take(&s, 10 + 3 * GUEST_TRAFFIC_WINDOW);
	guest_traffic_seq_take(&s, 12);
	assert_int_equal(s.lost, 10 + 3 * GUEST_TRAFFIC_WINDOW - 1);
	assert_int_equal(s.reorder, 1);
	assert_int_equal(s.received, 2);
	/* Within the window after the jump, bits are fresh: no false duplicate. */
	guest_traffic_seq_take(&s, 10 + 3 * GUEST_TRAFFIC_WINDOW - 5);
	assert_int_equal(s.dup, 0);
	assert_int_equal(s.reorder, 2);
	assert_int_equal(s.received, 3);
}

/* ---- the driver's state machines ------------------------------------------------ */
static void *netvsc_so;

static void *sym(const char *name)
{
	void *p;

	if (!netvsc_so) {
		netvsc_so = dlopen(NETVSC_DRIVER_DIR "/netvsc.so", RTLD_NOW | RTLD_LOCAL);
		assert_non_null(netvsc_so);
	}
	p = dlsym(netvsc_so, name);
	assert_non_null(p);
	return p;
}

/* docs/hv/netvsc-edges.md: the same tables, written out independently. */
enum { HALTED, INITIALIZING, PAUSED, RESTARTING, RUNNING, PAUSING, HALTING, AD_COUNT };
static const char *const adapter_edges[] = {
	"HALTED>INITIALIZING", "INITIALIZING>PAUSED", "INITIALIZING>HALTED", "PAUSED>RESTARTING",
	"PAUSED>HALTING", "RESTARTING>RUNNING", "RESTARTING>PAUSED", "RUNNING>PAUSING",
	"PAUSING>PAUSED", "HALTING>HALTED",
};
static const char *const adapter_names[] = { "HALTED", "INITIALIZING", "PAUSED", "RESTARTING", "RUNNING", "PAUSING",
					     "HALTING" };

enum { OPENING, STANDBY, ACTIVE, CLOSING, CLOSED, VF_COUNT };
static const char *const vf_edges[] = {
	"OPENING>STANDBY", "OPENING>CLOSED", "STANDBY>ACTIVE", "STANDBY>CLOSING", "ACTIVE>STANDBY", "CLOSING>CLOSED",
};
static const char *const vf_names[] = { "OPENING", "STANDBY", "ACTIVE", "CLOSING", "CLOSED" };

static bool listed(const char *const *edges, size_t n, const char *from, const char *to)
{
	char e[64];

	snprintf(e, sizeof(e), "%s>%s", from, to);
	for (size_t i = 0; i < n; i++)
		if (strcmp(edges[i], e) == 0)
			return true;
	return false;
}

static void walk(const char *allowed_sym, const char *set_sym, unsigned count, const char *const *names,
		 const char *const *edges, size_t n_edges)
{
	unsigned char (*allowed)(ULONG, ULONG);
	unsigned char (*set)(ULONG, ULONG);
	size_t legal = 0;

	*(void **)&allowed = sym(allowed_sym);
	*(void **)&set = sym(set_sym);
	for (unsigned from = 0; from < count; from++)
		for (unsigned to = 0; to < count; to++) {
			bool want = listed(edges, n_edges, names[from], names[to]);

			if (!!allowed(from, to) != want)
				fail_msg("%s -> %s: driver says %d, the design says %d", names[from], names[to],
					 allowed(from, to), want);
			/* The one setter takes exactly the legal ones. */
			assert_int_equal(!!set(from, to), want);
			legal += want;
		}
	assert_int_equal(legal, n_edges);
	assert_false(allowed(count, 0));
	assert_false(allowed(0, count));
}

static void test_adapter_states(void **state)
{
	(void)state;
	walk("NetvscTestAdapterTransition", "NetvscTestAdapterSetState", AD_COUNT, adapter_names, adapter_edges,
	     sizeof(adapter_edges) / sizeof(adapter_edges[0]));
}

static void test_vf_binding_states(void **state)
{
	(void)state;
	walk("NetvscTestVfTransition", "NetvscTestVfSetState", VF_COUNT, vf_names, vf_edges,
	     sizeof(vf_edges) / sizeof(vf_edges[0]));
}

/* ---- the driver in a framework ----------------------------------------------------- */
static struct ndis_framework *fw;

static void install(const char *dir, const char *inf)
{
	char path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, inf);
	if (ndis_framework_install_inf(fw, path, dir, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
}

static int fw_setup(void **state)
{
	(void)state;
	fw = ndis_framework_create("vm", NDIS_PARTITION_CHILD);
	if (!fw)
		return -1;
	install(NETVSC_DRIVER_DIR, "netvsc.inf");
	install(NETVSC_DRIVER_DIR, "netvscvfpp.inf");
	install(GUEST_TRAFFIC_DIR, "guest_traffic.inf");
	install(FAKE_VF_DIR, "fake_vf_nic.inf");
	return 0;
}

static int fw_teardown(void **state)
{
	(void)state;
	ndis_framework_destroy(fw);
	fw = NULL;
	return 0;
}

static uint32_t serial_value = 0x1234;

static int vpci_query(void *ctx, VPCI_INTERFACE_STANDARD *iface)
{
	iface->Size = sizeof(*iface);
	iface->Version = 1;
	iface->SerialNumber = *(uint32_t *)ctx;
	return 0;
}

static const struct ndis_vpci_ops vpci_ops = { .query_interface = vpci_query };

static void expect_vf_binding(struct ndis_adapter *ad, const char *describe)
{
	struct ndis_binding_info b;
	char text[96];

	assert_int_equal(ndis_adapter_binding_count(ad), 1);
	assert_int_equal(ndis_adapter_binding_at(ad, 0, &b), 0);
	assert_string_equal(b.protocol, "NETVSCVFPP");
	assert_string_equal(ndis_binding_describe(&b, text, sizeof(text)), describe);
}

static void test_vf_edge_declines_without_netvsc(void **state)
{
	struct ndis_adapter_params with = { .name = "vf-serial", .hardware_id = "PCI\\VEN_1AB4&DEV_30EF",
					    .vpci = &vpci_ops, .vpci_ctx = &serial_value };
	struct ndis_adapter_params without = { .name = "vf-no-vpci", .hardware_id = "PCI\\VEN_1AB4&DEV_30EF" };
	struct ndis_adapter *a, *b;
	struct ndis_protocol *p, *t;

	(void)state;
	assert_int_equal(ndis_protocol_load(fw, "MS_NETVSCVFPP", &p), 0);
	assert_string_equal(ndis_protocol_name(p), "NETVSCVFPP");
	assert_int_equal(ndis_protocol_load(fw, GUEST_TRAFFIC_PROTO_COMPONENT_ID, &t), 0);
	assert_int_equal(ndis_adapter_create(fw, &with, &a), 0);
	assert_int_equal(ndis_adapter_create(fw, &without, &b), 0);
	/* The serial is there but no VM network adapter was told about it. */
	expect_vf_binding(a, "Declined with NDIS_STATUS_ADAPTER_NOT_FOUND");
	/* No vPCI interface: NDIS fails the query, NETVSCVFPP declines with that. */
	expect_vf_binding(b, "Declined with NDIS_STATUS_NOT_SUPPORTED");
	/* The ndis5 traffic protocol is offered neither VF (one binding each, above). */
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	ndis_adapter_destroy(b);
	ndis_adapter_destroy(a);
}

static void test_miniport_without_channel(void **state)
{
	struct ndis_adapter_params p = { .name = "vmnic-nopdo", .hardware_id = NETVSC_HARDWARE_ID };
	struct ndis_adapter *ad;

	(void)state;
	/* A VMBus device without a PDO to ask: MiniportInitializeEx fails cleanly. */
	assert_int_equal(ndis_adapter_create(fw, &p, &ad), -EIO);
	assert_non_null(ad);
	assert_int_equal(ndis_adapter_init_status(ad), (uint32_t)NDIS_STATUS_ADAPTER_NOT_FOUND);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_HALTED);
	assert_string_equal(ndis_adapter_driver_name(ad), "netvsc");
	ndis_adapter_destroy(ad);
}

/* ---- the PDO's interface query -------------------------------------------------------- */
static NTSTATUS query(void *pdo, const GUID *type, USHORT size, USHORT version, NETVSC_CHANNEL_INTERFACE *ifc)
{
	PDEVICE_OBJECT dev = pdo;
	IRP irp;
	PIO_STACK_LOCATION sl;

	memset(&irp, 0, sizeof(irp));
	memset(ifc, 0, sizeof(*ifc));
	irp.StackCount = 1;
	irp.CurrentLocation = 1;
	irp.IoStatus.Status = STATUS_NOT_SUPPORTED;
	sl = IoGetCurrentIrpStackLocation(&irp);
	sl->MajorFunction = IRP_MJ_PNP;
	sl->MinorFunction = IRP_MN_QUERY_INTERFACE;
	sl->Parameters.QueryInterface.InterfaceType = type;
	sl->Parameters.QueryInterface.Size = size;
	sl->Parameters.QueryInterface.Version = version;
	sl->Parameters.QueryInterface.Interface = (PINTERFACE)ifc;
	return dev->DriverObject->MajorFunction[IRP_MJ_PNP](dev, &irp);
}

static void test_pdo_interface(void **state)
{
	struct netvsc_dev_config cfg = { .name = "nic0", .bus = (struct vmbus_guest *)&cfg,
					 .mem = (struct guest_mem *)&cfg };
	NETVSC_CHANNEL_INTERFACE ifc;
	struct netvsc_dev *d;
	ULONG serial = 7;

	(void)state;
	assert_int_equal(netvsc_dev_create(&cfg, &d), 0);
	assert_string_equal(netvsc_dev_hardware_id, NETVSC_HARDWARE_ID);
	/* Another bus interface: left as it came. */
	assert_int_equal(query(netvsc_dev_pdo(d), &GUID_VPCI_INTERFACE_STANDARD, sizeof(ifc), 1, &ifc),
			 STATUS_NOT_SUPPORTED);
	assert_int_equal(query(netvsc_dev_pdo(d), &GUID_NETVSC_CHANNEL_INTERFACE, sizeof(ifc), 2, &ifc),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(query(netvsc_dev_pdo(d), &GUID_NETVSC_CHANNEL_INTERFACE, 8, 1, &ifc),
			 STATUS_INVALID_PARAMETER);
	assert_int_equal(query(netvsc_dev_pdo(d), &GUID_NETVSC_CHANNEL_INTERFACE, sizeof(ifc), 1, &ifc),
			 STATUS_SUCCESS);
	assert_int_equal(ifc.Size, sizeof(ifc));
	assert_non_null(ifc.OpenChannel);
	/* Before the channel is open nothing reaches the engine. */
	assert_false(ifc.QueryVfSerial(ifc.Context, &serial));
	assert_int_equal(ifc.QueryDataPath(ifc.Context), NetvscDataPathRescinded);
	assert_int_equal(ifc.SetVf(ifc.Context, NULL, NULL), STATUS_DEVICE_REMOVED);
	assert_int_equal(ifc.SwitchDataPath(ifc.Context, TRUE, 10), STATUS_DEVICE_REMOVED);
	assert_int_equal(ifc.Wait(ifc.Context, 1), STATUS_NOT_SUPPORTED);	/* no pump given */
	assert_int_equal(netvsc_dev_poll(d, 0), 0);
	assert_int_equal(netvsc_dev_wait_fd(d), -1);
	assert_null(netvsc_dev_proto(d));
	ifc.InterfaceDereference(ifc.Context);
	netvsc_dev_destroy(d);
	netvsc_dev_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_roundtrip),
		cmocka_unit_test(test_seq_counts),
		cmocka_unit_test(test_adapter_states),
		cmocka_unit_test(test_vf_binding_states),
		cmocka_unit_test_setup_teardown(test_vf_edge_declines_without_netvsc, fw_setup, fw_teardown),
		cmocka_unit_test_setup_teardown(test_miniport_without_channel, fw_setup, fw_teardown),
		cmocka_unit_test(test_pdo_interface),
	};
	int rc;

	log_configure(getenv("IOVLAB_LOG") ? getenv("IOVLAB_LOG") : "*=warn", NULL, 0);
	rc = cmocka_run_group_tests_name("netvsc/units", tests, NULL, NULL);
	if (netvsc_so)
		dlclose(netvsc_so);
	return rc;
}
