/*
 * The VF in a guest, end to end in one process (guest_env.h): srnic_vf on
 * the vPCI PDO, and as an NDIS-WDM miniport over srnic_vbd with and without
 * vPCI forwarding -- the field report of ndis-sriov-spec.md 6.5 (F22). Each
 * test drives the stack from the outside, as the host and the lab would:
 * the VF arrives on the vPCI bus, the PF invalidates a config block, frames
 * come from and go to the uplink, the host resets the VF, ejects it or the
 * channel vanishes; and checks what a Windows developer would look at:
 * the adapter's SR-IOV state and OID trace (ndiskd -iov), the VF edge's
 * binding (ndiskd -bindings), the device tree, the verifier's findings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "guest_env.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_cfgblock.h"

#define ST(x) ((uint32_t)(x))

static struct guest_env E;

static void setup_with(const struct genv_opts *o)
{
	genv_setup(&E, o);
}

static int teardown(void **state)
{
	(void)state;
	genv_teardown(&E);
	return 0;
}

static void assert_no_findings(void)
{
	for (size_t i = 0; i < ndis_framework_finding_count(E.fw); i++)
		print_message("finding: %s %s\n", ndis_framework_finding_at(E.fw, i)->id,
			      ndis_framework_finding_at(E.fw, i)->evidence);
	assert_int_equal(ndis_framework_finding_count(E.fw), 0);
}

static void current_mac(uint8_t mac[6])
{
	assert_int_equal(genv_oid(&E, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, 6),
			 ST(NDIS_STATUS_SUCCESS));
}

static const char *binding(char *buf, size_t len)
{
	struct ndis_binding_info b;

	if (ndis_adapter_binding_at(genv_vf(&E), 0, &b))
		return "(no binding)";
	return ndis_binding_describe(&b, buf, len);
}

/* What every working configuration shows. */
static void assert_vf_up(bool over_vbd)
{
	struct ndis_adapter *ad = genv_vf(&E);
	struct ndis_sriov_view v;
	struct guest_ndis_adapter_info info;
	uint8_t mac[6];

	assert_non_null(ad);
	assert_int_equal(ndis_adapter_state(ad), NDIS_ADAPTER_RUNNING);
	assert_no_findings();
	ndis_adapter_sriov_view(ad, &v);
	assert_true(v.has_hw_sriov && v.has_cur_sriov);
	assert_int_equal(v.hw_sriov_caps, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT);
	assert_int_equal(v.cur_sriov_caps, NDIS_SRIOV_CAPS_SRIOV_SUPPORTED | NDIS_SRIOV_CAPS_VF_MINIPORT);
	assert_false(v.has_hw_switch);
	assert_int_equal(guest_ndis_adapter_info(E.gn, ad, &info), 0);
	assert_int_equal(info.over_vbd, over_vbd);
	/* The MAC is the one the PF put in config block 0. */
	current_mac(mac);
	assert_memory_equal(mac, genv_vm_mac, 6);
	/* The VF reported back in block 64. */
	{
		struct srnic_cfgblock_vf_report r;

		memcpy(&r, E.be.blocks[SRNIC_CFGBLOCK_VF_REPORT], sizeof(r));
		assert_int_equal(r.magic, SRNIC_CFGBLOCK_MAGIC);
		assert_int_equal(r.generation_seen, 1);
		assert_int_equal(r.flags, SRNIC_VFREPORT_F_RUNNING | (over_vbd ? SRNIC_VFREPORT_F_OVER_VBD : 0));
	}
	/* Its config space went to the host (OID_SRIOV_*_VF_CONFIG_SPACE at the PF)
	 * and turned bus mastering on in the VF itself. */
	{
		uint32_t cmd = 0;

		assert_true(E.host_cfg_reads > 0 && E.host_cfg_writes > 0);
		assert_int_equal(srnic_cfg_read(E.nic, GENV_VF_FN, PCI_COMMAND, 2, &cmd), 0);
		assert_true(cmd & PCI_COMMAND_MASTER);
	}
}

/* The NetVsc-shaped VF edge got the serial number and bound. */
static void assert_bound(void)
{
	struct ndis_sriov_view v;
	char buf[128];

	ndis_adapter_sriov_view(genv_vf(&E), &v);
	assert_true(v.vpci_interface);
	assert_int_equal(v.vf_serial, GENV_SERIAL);
	assert_int_equal(ST(E.pc->serial_status), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(E.pc->serial, GENV_SERIAL);
	assert_string_equal(binding(buf, sizeof(buf)), "Bound");
}

static void test_direct_on_vpci_pdo(void **state)
{
	const struct genv_opts o = { 0 };
	struct guest_ndis_adapter_info info;
	struct vpci_pdo_stats st;
	struct pnp_devnode *dn;

	(void)state;
	setup_with(&o);
	assert_vf_up(false);
	assert_bound();
	/* One device node: the vPCI PDO, with NDIS on it. */
	assert_int_equal(pnp_manager_devnode_count(E.pm), 1);
	dn = pnp_manager_devnode_at(E.pm, 0);
	assert_int_equal(pnp_devnode_state(dn), PNP_DN_STARTED);
	assert_string_equal(pnp_devnode_service(dn), "ndis");
	assert_string_equal(pnp_devnode_hwid(dn, 0), "PCI\\VEN_1AB4&DEV_10EE&SUBSYS_00011AB4&REV_01");
	assert_string_equal(pnp_devnode_hwid(dn, 3), "PCI\\VEN_1AB4&DEV_10EE");
	assert_string_equal(pnp_devnode_instance(dn), "PCI\\VEN_1AB4&DEV_10EE&SUBSYS_00011AB4&REV_01\\00005151");
	/* NDIS holds the interface and keeps IOCTL_VPCI_INVALIDATE_BLOCK pending. */
	assert_int_equal(guest_ndis_adapter_info(E.gn, genv_vf(&E), &info), 0);
	assert_int_equal(info.interface_status, STATUS_SUCCESS);
	assert_true(info.invalidate_pending);
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.interface_refs, 1);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.block_reads, 1);	/* block 0 through NdisMReadConfigBlock */
	assert_int_equal(st.block_writes, 1);	/* the report */
	assert_non_null(strstr(genv_trace(&E), "[drv.srnic_vf]MPInitializeEx: initializing as a VF miniport on the vPCI PDO"));
}

static void test_vbd_forwarding(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = true };
	struct pnp_devnode *bus, *nic;
	struct vpci_pdo_stats st;

	(void)state;
	setup_with(&o);
	assert_vf_up(true);
	assert_bound();
	/* vPCI PDO -> srnic_vbd; its child SRNICVBD\NIC -> NDIS (srnic_vf). */
	assert_int_equal(pnp_manager_devnode_count(E.pm), 2);
	bus = pnp_manager_devnode_at(E.pm, 0);
	nic = pnp_manager_devnode_at(E.pm, 1);
	assert_string_equal(pnp_devnode_service(bus), "srnic_vbd");
	assert_ptr_equal(pnp_devnode_parent(nic), bus);
	assert_string_equal(pnp_devnode_hwid(nic, 0), "SRNICVBD\\NIC");
	assert_string_equal(pnp_devnode_service(nic), "ndis");
	assert_int_equal(pnp_devnode_state(nic), PNP_DN_STARTED);
	/* Two references on the vPCI interface: the VBD's own and NDIS's
	 * (forwarded); the invalidation IOCTL reached the vPCI PDO through it. */
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.interface_refs, 2);
	assert_int_equal(st.pending, 1);
	assert_non_null(strstr(genv_trace(&E), "initializing as an NDIS-WDM miniport over srnic_vbd"));
	assert_non_null(strstr(genv_trace(&E), "forwarded to the vPCI PDO"));
}

static void test_vbd_not_forwarding_is_the_field_report(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = false };
	NDIS_SRIOV_VF_SERIAL_NUMBER_INFO sn;
	struct ndis_sriov_view v;
	struct guest_ndis_adapter_info info;
	struct vpci_pdo_stats st;
	char buf[128];
	size_t n;

	(void)state;
	setup_with(&o);
	/* The adapter is there and healthy... */
	assert_vf_up(true);
	/* ...but NDIS captured no vPCI interface, */
	ndis_adapter_sriov_view(genv_vf(&E), &v);
	assert_false(v.vpci_interface);
	assert_int_equal(guest_ndis_adapter_info(E.gn, genv_vf(&E), &info), 0);
	assert_int_equal(info.interface_status, STATUS_NOT_SUPPORTED);
	/* so OID_SRIOV_VF_SERIAL_NUMBER fails with 0xc00000bb, from NDIS itself, */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(genv_oid(&E, NdisRequestQueryInformation, OID_SRIOV_VF_SERIAL_NUMBER, &sn, sizeof(sn)),
			 0xc00000bbu);
	n = ndis_adapter_oid_record_count(genv_vf(&E));
	assert_true(ndis_adapter_oid_record_at(genv_vf(&E), n - 1)->by_ndis);
	/* and NetVsc's VF edge declined the binding. */
	assert_int_equal(ST(E.pc->serial_status), ST(NDIS_STATUS_NOT_SUPPORTED));
	assert_string_equal(binding(buf, sizeof(buf)), "Declined with NDIS_STATUS_NOT_SUPPORTED");
	/* The invalidation IOCTL was refused by the VBD, not pended at the bus. */
	assert_false(info.invalidate_pending);
	assert_int_equal(info.invalidate_status, STATUS_INVALID_DEVICE_REQUEST);
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.interface_refs, 1);	/* the VBD's own */
	assert_int_equal(st.pending, 0);
	assert_non_null(strstr(genv_trace(&E), "not forwarded (ForwardVpciInterface=0)"));
}

/* The PF changes the MAC: invalidate block 0, NDIS's IOCTL completes, the VF re-reads. */
static void invalidate_and_check(bool delivered)
{
	static const uint8_t new_mac[6] = { 0x00, 0x15, 0x5d, 0x0a, 0x1b, 0x77 };
	struct guest_ndis_adapter_info info;
	uint8_t mac[6];
	uint32_t lo = 0;

	genv_set_block0(&E, new_mac, 2);
	assert_int_equal(vpci_vsp_invalidate(E.vdev, 1u << SRNIC_CFGBLOCK_VF_INFO), 0);
	assert_true(genv_poll(&E) > 0);
	assert_int_equal(guest_ndis_adapter_info(E.gn, genv_vf(&E), &info), 0);
	current_mac(mac);
	assert_int_equal(srnic_mmio_read32(E.nic, GENV_VF_FN, SRNIC_BAR_REGS, SRNIC_REG_MAC_LO, &lo), 0);
	if (!delivered) {
		assert_int_equal(info.invalidations, 0);
		assert_memory_equal(mac, genv_vm_mac, 6);
		return;
	}
	assert_int_equal(info.invalidations, 1);
	assert_int_equal(info.last_mask, 1);
	assert_true(info.invalidate_pending);	/* re-armed (spec 2.13 step 5) */
	assert_memory_equal(mac, new_mac, 6);
	assert_int_equal(lo >> 24, 0x0a);
	assert_int_equal(E.be.blocks[SRNIC_CFGBLOCK_VF_REPORT][8], 2);	/* generation_seen */
	/* A second invalidation goes the same way. */
	assert_int_equal(vpci_vsp_invalidate(E.vdev, 1), 0);
	assert_true(genv_poll(&E) > 0);
	assert_int_equal(guest_ndis_adapter_info(E.gn, genv_vf(&E), &info), 0);
	assert_int_equal(info.invalidations, 2);
	assert_no_findings();
}

static void test_invalidate_direct(void **state)
{
	const struct genv_opts o = { 0 };

	(void)state;
	setup_with(&o);
	invalidate_and_check(true);
	assert_non_null(strstr(genv_trace(&E), "OID_SRIOV_VF_INVALIDATE_CONFIG_BLOCK mask 0x1"));
}

static void test_invalidate_over_vbd(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = true };

	(void)state;
	setup_with(&o);
	invalidate_and_check(true);
}

static void test_invalidate_lost_without_forwarding(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = false };
	struct vpci_pdo_stats st;

	(void)state;
	setup_with(&o);
	invalidate_and_check(false);
	/* The vPCI bus holds the mask: nobody asked for it. */
	assert_int_equal(vpci_pdo_get_stats(E.bus, genv_vpci_pdo(&E), &st), 0);
	assert_int_equal(st.undelivered_mask, 1);
}

/* ---- the data path ---------------------------------------------------------------------- */
static void enable_receive(void)
{
	ULONG filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;

	assert_int_equal(genv_oid(&E, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter)),
			 ST(NDIS_STATUS_SUCCESS));
}

static void proto_send(unsigned n)
{
	void (*send)(unsigned) = NULL;

	*(void **)&send = ndis_protocol_driver_symbol(E.proto, "FakeProtoSend");
	assert_non_null(send);
	send(n);
}

static void peer_sends_to_vf(uint8_t fill)
{
	uint8_t frame[64];

	memset(frame, fill, sizeof(frame));
	memcpy(frame, genv_vm_mac, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x09", 6);
	assert_int_equal(srnic_peer_send(E.peer, frame, sizeof(frame)), 0);
}

static void traffic(void)
{
	uint8_t buf[2048];
	uint64_t ok = 0;

	enable_receive();
	/* VF -> uplink: the VF edge sends three 60-byte frames. */
	proto_send(3);
	assert_int_equal(E.pc->sends_completed, 3);
	assert_int_equal(ST(E.pc->last_send_status), ST(NDIS_STATUS_SUCCESS));
	for (int i = 0; i < 3; i++)
		assert_int_equal(srnic_peer_recv(E.peer, buf, sizeof(buf)), 60);
	/* uplink -> VF: the switch steers the VM NIC's MAC to vPort 1, the VF's queue. */
	peer_sends_to_vf(0x5a);
	peer_sends_to_vf(0x5b);
	assert_int_equal(genv_vf_poll(&E), 2);
	assert_int_equal(E.pc->received, 2);
	assert_int_equal(E.pc->last_first_byte, genv_vm_mac[0]);
	assert_int_equal(genv_oid(&E, NdisRequestQueryStatistics, OID_GEN_XMIT_OK, &ok, sizeof(ok)), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(ok, 3);
	assert_int_equal(genv_oid(&E, NdisRequestQueryStatistics, OID_GEN_RCV_OK, &ok, sizeof(ok)), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(ok, 2);
	assert_no_findings();
}

static void test_traffic_direct(void **state)
{
	const struct genv_opts o = { 0 };

	(void)state;
	setup_with(&o);
	traffic();
}

/*
 * srnic_vf receives into MP_RX_NBLS (512) NBLs allocated at initialization
 * and recycled on return: with the protocol keeping everything, the 513th
 * frame finds none -- dropped and counted (OID_GEN_RCV_NO_BUFFER), the
 * RX slot still goes back to the device; returned NBLs are used again.
 */
static void test_receive_pool_exhaustion_and_recycling(void **state)
{
	const struct genv_opts o = { 0 };
	uint64_t nobuf = 0, discards = 0, ok = 0;

	(void)state;
	setup_with(&o);
	enable_receive();
	E.pc->hold_receives = 1;
	for (int i = 0; i < 300; i++)
		peer_sends_to_vf((uint8_t)i);
	assert_int_equal(genv_vf_poll(&E), 300);
	assert_int_equal(E.pc->received, 300);
	for (int i = 0; i < 300; i++)
		peer_sends_to_vf((uint8_t)i);
	assert_int_equal(genv_vf_poll(&E), 300);	/* 300 descriptors serviced ... */
	assert_int_equal(E.pc->received, 512);		/* ... 212 indicated: the pool is empty */
	assert_int_equal(genv_oid(&E, NdisRequestQueryStatistics, OID_GEN_RCV_NO_BUFFER, &nobuf, sizeof(nobuf)),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(nobuf, 88);
	assert_int_equal(genv_oid(&E, NdisRequestQueryStatistics, OID_GEN_RCV_DISCARDS, &discards, sizeof(discards)),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(discards, 88);
	/* Nothing free: one more frame is one more drop, not a crash or a leak. */
	peer_sends_to_vf(0x77);
	assert_int_equal(genv_vf_poll(&E), 1);
	assert_int_equal(E.pc->received, 512);
	/* Returned, the NBLs carry frames again (and the new data, not the old). */
	E.pc->hold_receives = 0;
	{
		void (*return_held)(void) = NULL;

		*(void **)&return_held = ndis_protocol_driver_symbol(E.proto, "FakeProtoReturnHeld");
		assert_non_null(return_held);
		return_held();
	}
	for (int i = 0; i < 10; i++)
		peer_sends_to_vf(0x40);
	assert_int_equal(genv_vf_poll(&E), 10);
	assert_int_equal(E.pc->received, 522);
	assert_int_equal(E.pc->last_first_byte, genv_vm_mac[0]);
	assert_int_equal(genv_oid(&E, NdisRequestQueryStatistics, OID_GEN_RCV_OK, &ok, sizeof(ok)), ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(ok, 522);
	assert_int_equal(genv_oid(&E, NdisRequestQueryStatistics, OID_GEN_RCV_NO_BUFFER, &nobuf, sizeof(nobuf)),
			 ST(NDIS_STATUS_SUCCESS));
	assert_int_equal(nobuf, 89);
	assert_no_findings();
}

/*
 * The health/link check (four register reads, each a round trip in a VM)
 * runs after MP_HEALTH_EVERY services that found nothing to do and 10 ms
 * after the last: a VF busy receiving reads no register, an idle one is
 * still checked.
 */
static void test_health_check_only_when_idle(void **state)
{
	const struct genv_opts o = { 0 };
	unsigned long reads;

	(void)state;
	setup_with(&o);
	enable_receive();
	(void)genv_vf_poll(&E);	/* the first service checks */
	reads = E.mmio_reads;
	for (int i = 0; i < 100; i++) {
		peer_sends_to_vf((uint8_t)i);
		assert_int_equal(genv_vf_poll(&E), 1);
	}
	assert_int_equal(E.mmio_reads, reads);	/* 100 busy services: no check */
	for (int i = 0; i < 40; i++)
		assert_int_equal(genv_vf_poll(&E), 0);
	/* 40 idle services: one check at most (not within 10 ms of the last) */
	assert_true(E.mmio_reads <= reads + 4);
	usleep(11000);
	for (int i = 0; i < 17; i++)
		(void)genv_vf_poll(&E);
	reads = E.mmio_reads;
	usleep(11000);
	assert_int_equal(genv_vf_poll(&E), 0);	/* 17 idle services and 11 ms since: this one checks */
	assert_int_equal(E.mmio_reads, reads + 4);
	assert_int_equal(genv_vf_poll(&E), 0);	/* and the next does not */
	assert_int_equal(E.mmio_reads, reads + 4);
	assert_int_equal(E.pc->received, 100);
}

/*
 * The misc vector's stand-in (SrnicVfMiscInterrupt, called by the guest
 * loop when the host posted a link or error cause in the doorbell page): the
 * next service checks link and health at once, within 10 ms of the last
 * check and before MP_HEALTH_EVERY idle services -- an idle guest that
 * sleeps until an interrupt still sees its link go down.
 */
static void test_misc_interrupt_checks_at_once(void **state)
{
	const struct genv_opts o = { 0 };
	unsigned long reads;
	void (*misc)(void);

	(void)state;
	setup_with(&o);
	enable_receive();
	(void)genv_vf_poll(&E);	/* the first service checks */
	reads = E.mmio_reads;
	assert_int_equal(genv_vf_poll(&E), 0);
	assert_int_equal(E.mmio_reads, reads);	/* idle, but checked a moment ago */
	*(void **)&misc = ndis_adapter_driver_symbol(genv_vf(&E), "SrnicVfMiscInterrupt");
	assert_non_null(misc);
	assert_int_equal(srnic_vf_set_link(E.nic, GENV_VF_FN, false), 0);
	misc();
	assert_int_equal(genv_vf_poll(&E), 0);
	assert_int_equal(E.mmio_reads, reads + 4);	/* checked now */
	assert_int_equal(genv_vf_poll(&E), 0);
	assert_int_equal(E.mmio_reads, reads + 4);	/* once */
}

static void test_traffic_over_vbd(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = true };

	(void)state;
	setup_with(&o);
	traffic();
}

static void test_vf_reset_recovers(void **state)
{
	const struct genv_opts o = { 0 };
	uint8_t buf[2048];
	uint32_t lo = 0;

	(void)state;
	setup_with(&o);
	enable_receive();
	/* The host resets the VF (OID_SRIOV_RESET_VF at the PF): queues and
	 * MAC gone; the VF notices at its next service and programs it again. */
	assert_int_equal(srnic_vf_reset(E.nic, GENV_VF_FN), 0);
	(void)genv_vf_poll(&E);
	assert_non_null(strstr(genv_trace(&E), "the VF lost its configuration"));
	assert_int_equal(srnic_mmio_read32(E.nic, GENV_VF_FN, SRNIC_BAR_REGS, SRNIC_REG_MAC_LO, &lo), 0);
	assert_int_equal(lo >> 24, genv_vm_mac[3]);
	proto_send(1);
	assert_int_equal(srnic_peer_recv(E.peer, buf, sizeof(buf)), 60);
	peer_sends_to_vf(1);
	assert_int_equal(genv_vf_poll(&E), 1);
	assert_int_equal(E.pc->received, 1);
	assert_int_equal(ndis_adapter_state(genv_vf(&E)), NDIS_ADAPTER_RUNNING);
}

/* ---- removal -------------------------------------------------------------------------- */
static void assert_all_released(void)
{
	struct pnp_stats st;

	assert_int_equal(guest_ndis_adapter_count(E.gn), 0);
	assert_int_equal(vpci_bus_pdo_count(E.bus), 0);
	assert_int_equal(pnp_manager_devnode_count(E.pm), 0);
	assert_int_equal(pnp_dma_pool_in_use(E.dma), 0);
	assert_int_equal(E.mmio_maps, 0);
	pnp_get_stats(&st);
	assert_int_equal(st.irps_allocated, st.irps_freed);
}

static void test_graceful_eject(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = true };
	struct vpci_vsp_stats vs;

	(void)state;
	setup_with(&o);
	assert_int_equal(vpci_vsp_remove_device(E.vdev, 1000), 0);
	assert_true(genv_poll(&E) > 0);
	/* QUERY_REMOVE, then REMOVE: NDIS halted the VF, the VF edge unbound. */
	assert_null(genv_vf(&E));
	assert_int_equal(E.pc->unbinds, 1);
	assert_all_released();
	vpci_vsp_get_stats(E.vsp, &vs);
	assert_int_equal(vs.removals[VPCI_REMOVAL_GRACEFUL], 1);
	assert_non_null(strstr(genv_trace(&E), "IRP_MN_QUERY_REMOVE_DEVICE"));
}

static void test_surprise_removal(void **state)
{
	const struct genv_opts o = { 0 };
	unsigned long before;

	(void)state;
	setup_with(&o);
	/* The driver's side of a surprise removal: OIDs are refused from then on. */
	assert_int_equal(ndis_adapter_surprise_remove(genv_vf(&E)), 0);
	{
		uint8_t mac[6];

		assert_int_equal(genv_oid(&E, NdisRequestQueryInformation, OID_802_3_CURRENT_ADDRESS, mac, 6),
				 ST(NDIS_STATUS_NOT_ACCEPTED));
	}
	/* ...and no register access when it halts (the BAR may be gone). */
	before = E.mmio_accesses;
	/* The channel vanishes: the bus reports the function gone by surprise. */
	E.rescinded = true;
	(void)vpci_vsc_poll(E.vsc, 0);
	assert_int_equal(E.mmio_accesses, before);
	assert_all_released();
	assert_non_null(strstr(genv_trace(&E), "SurpriseRemoved"));
}

static void test_surprise_removal_over_vbd(void **state)
{
	const struct genv_opts o = { .vbd = true, .forward = true };
	struct guest_ndis_adapter_info info;

	(void)state;
	setup_with(&o);
	assert_int_equal(guest_ndis_adapter_info(E.gn, genv_vf(&E), &info), 0);
	assert_true(info.invalidate_pending);
	E.rescinded = true;
	(void)vpci_vsc_poll(E.vsc, 0);
	/* The pending IOCTL came back through the VBD before the stacks went. */
	assert_all_released();
	assert_int_equal(E.pc->unbinds, 1);
}

/* ---- refusals -------------------------------------------------------------------------- */
static void test_refuses_in_parent(void **state)
{
	const struct genv_opts o = { .partition = NDIS_PARTITION_PARENT, .no_protocol = true };
	struct pnp_devnode *dn;

	(void)state;
	setup_with(&o);
	assert_null(genv_vf(&E));
	dn = pnp_manager_devnode_at(E.pm, 0);
	assert_int_equal(pnp_devnode_state(dn), PNP_DN_START_FAILED);
	assert_non_null(strstr(genv_trace(&E), "not in a Hyper-V child partition"));
	assert_no_findings();
}

static void test_no_block0_uses_device_mac(void **state)
{
	const struct genv_opts o = { .no_block0 = true };
	uint8_t mac[6];
	uint32_t lo = 0, hi = 0;

	(void)state;
	setup_with(&o);
	current_mac(mac);
	assert_int_equal(srnic_mmio_read32(E.nic, GENV_VF_FN, SRNIC_BAR_REGS, SRNIC_REG_MAC_LO, &lo), 0);
	assert_int_equal(srnic_mmio_read32(E.nic, GENV_VF_FN, SRNIC_BAR_REGS, SRNIC_REG_MAC_HI, &hi), 0);
	assert_int_equal(mac[0], lo & 0xff);
	assert_int_equal(mac[5], (hi >> 8) & 0xff);
	assert_non_null(strstr(genv_trace(&E), "is not an srnic VF block"));
}

static void test_state_table(void **state)
{
	/* The documented machine (docs/drivers/srnic_vf.md), and nothing else. */
	enum { H, I, P, R, PG, RS, SR, N };
	static const int legal[][2] = {
		{ H, I }, { I, P }, { I, H }, { P, R }, { P, H }, { P, SR }, { R, PG }, { R, RS }, { R, SR },
		{ PG, P }, { PG, SR }, { RS, R }, { RS, SR }, { SR, H },
	};
	const struct genv_opts o = { 0 };
	BOOLEAN (*allowed)(ULONG, ULONG) = NULL;

	(void)state;
	setup_with(&o);
	*(void **)&allowed = ndis_adapter_driver_symbol(genv_vf(&E), "SrnicVfStateTransitionAllowed");
	assert_non_null(allowed);
	for (int f = 0; f < N; f++)
		for (int t = 0; t < N; t++) {
			bool want = false;

			for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				want |= legal[i][0] == f && legal[i][1] == t;
			if ((allowed((ULONG)f, (ULONG)t) != 0) != want)
				fail_msg("%d -> %d", f, t);
		}
	assert_false(allowed(N, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_direct_on_vpci_pdo, teardown),
		cmocka_unit_test_teardown(test_vbd_forwarding, teardown),
		cmocka_unit_test_teardown(test_vbd_not_forwarding_is_the_field_report, teardown),
		cmocka_unit_test_teardown(test_invalidate_direct, teardown),
		cmocka_unit_test_teardown(test_invalidate_over_vbd, teardown),
		cmocka_unit_test_teardown(test_invalidate_lost_without_forwarding, teardown),
		cmocka_unit_test_teardown(test_traffic_direct, teardown),
		cmocka_unit_test_teardown(test_traffic_over_vbd, teardown),
		cmocka_unit_test_teardown(test_receive_pool_exhaustion_and_recycling, teardown),
		cmocka_unit_test_teardown(test_health_check_only_when_idle, teardown),
		cmocka_unit_test_teardown(test_misc_interrupt_checks_at_once, teardown),
		cmocka_unit_test_teardown(test_vf_reset_recovers, teardown),
		cmocka_unit_test_teardown(test_graceful_eject, teardown),
		cmocka_unit_test_teardown(test_surprise_removal, teardown),
		cmocka_unit_test_teardown(test_surprise_removal_over_vbd, teardown),
		cmocka_unit_test_teardown(test_refuses_in_parent, teardown),
		cmocka_unit_test_teardown(test_no_block0_uses_device_mac, teardown),
		cmocka_unit_test_teardown(test_state_table, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
