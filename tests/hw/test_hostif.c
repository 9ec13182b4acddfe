/*
 * Tests for srnic's TAP and veth uplink backends (src/hw/srnic/hostif.c):
 * the refusals of srnic_hostif_open() (bad kind or name, a veth interface
 * that does not exist) with the line they give, and a TAP's life: created,
 * attached as the uplink with its link up (the PF's STATUS.LINK_UP, as a
 * driver reads it), gone again with the link when closed. Traffic through
 * both backends is tests/uplink/test_{netns,tap}.sh. Creating a TAP needs root (CAP_NET_
 * ADMIN): CI runs as root; without it the TAP case fails, it never skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "hw/srnic/hostif.h"
#include "hw/srnic/srnic.h"
#include "pcie/pci_regs.h"
#include "wire/srnic_regs.h"

struct env {
	struct pcie_host *host;
	struct srnic *nic;
};

static int setup(void **state)
{
	static struct env e;

	log_configure("none", NULL, 0);
	e.host = pcie_host_create();
	assert_non_null(e.host);
	e.nic = srnic_create(e.host, 3, 0);
	assert_non_null(e.nic);
	/* The PF's registers as its driver reaches them: BARs placed, memory decoding on. */
	assert_int_equal(pcie_host_assign_bars(e.host), 0);
	assert_int_equal(srnic_cfg_write(e.nic, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY), 0);
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	srnic_destroy(e->nic);
	pcie_host_destroy(e->host);
	return 0;
}

static uint32_t link_up(struct env *e)
{
	uint32_t v = 0;

	assert_int_equal(srnic_mmio_read32(e->nic, 0, 0, SRNIC_REG_STATUS, &v), 0);
	return v & SRNIC_STATUS_LINK_UP;
}

static void test_open_refusals(void **state)
{
	struct env *e = *state;
	struct srnic_hostif *hi = (void *)1;
	char err[256] = "";

	assert_int_equal(srnic_hostif_open(NULL, SRNIC_HOSTIF_TAP, "x", &hi, err, sizeof(err)), -EINVAL);
	assert_null(hi);
	assert_int_equal(srnic_hostif_open(e->nic, SRNIC_HOSTIF_TAP, "", &hi, err, sizeof(err)), -EINVAL);
	assert_int_equal(srnic_hostif_open(e->nic, SRNIC_HOSTIF_TAP, "a-name-longer-than-15", &hi, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(srnic_hostif_open(e->nic, (enum srnic_hostif_kind)7, "x", &hi, err, sizeof(err)), -EINVAL);
	assert_true(err[0]);
	assert_int_equal(srnic_hostif_open(e->nic, SRNIC_HOSTIF_VETH, "iovnosuch0", &hi, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "veth:iovnosuch0: no such interface"));
	assert_null(hi);
	assert_int_equal(link_up(e), 0);	/* nothing attached: no link */
	srnic_hostif_close(NULL);
}

static void test_tap_life(void **state)
{
	struct env *e = *state;
	struct srnic_hostif *hi = NULL;
	struct srnic_hostif_stats st;
	char name[IFNAMSIZ], err[256] = "";
	int rc;

	if (geteuid() != 0)
		fail_msg("creating a TAP needs root (CI runs as root)");
	snprintf(name, sizeof(name), "iovhu%d", (int)getpid() % 1000000);
	rc = srnic_hostif_open(e->nic, SRNIC_HOSTIF_TAP, name, &hi, err, sizeof(err));
	if (rc)
		fail_msg("tap:%s: %s", name, err);
	assert_true(srnic_hostif_fd(hi) >= 0);
	assert_string_equal(srnic_hostif_name(hi), name);
	assert_true(if_nametoindex(name) > 0);	/* the kernel has the interface */
	assert_int_equal(link_up(e), SRNIC_STATUS_LINK_UP);	/* set up and running: the cable is in */
	(void)srnic_hostif_poll(hi);	/* whatever the kernel sent on it (IPv6 solicitations) goes in */
	srnic_hostif_get_stats(hi, &st);
	assert_int_equal(st.from_wire_refused, 0);
	srnic_hostif_close(hi);
	assert_int_equal(if_nametoindex(name), 0);	/* not persistent: gone with its descriptor */
	assert_int_equal(link_up(e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tap_life, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
