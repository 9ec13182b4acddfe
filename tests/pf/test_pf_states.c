/*
 * The srnic PF's two state machines (drivers/srnic_pf/mp_state.c): every
 * cell of the adapter and VF transition tables against the documented
 * diagrams (docs/ndis/adapter-states.md, docs/drivers/srnic_pf.md "VF
 * states"), then both machines walked on the emulated host -- every legal
 * VF transition reached through the OIDs that cause it and seen in the
 * driver's trace, the illegal ones refused with the state unchanged, and the
 * adapter through initialization (good and failed), restart, pause and halt.
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

#include "base/log.h"
#include "pf_env.h"
#include "srnic_pf.h"

static void test_adapter_table(void **state)
{
	/* docs/ndis/adapter-states.md, row = from, column = to. */
	static const char *const legal[MpAdapterStateCount] = {
		[MpAdapterHalted] = "Initializing",
		[MpAdapterInitializing] = "Paused Halted",
		[MpAdapterPaused] = "Restarting Halting",
		[MpAdapterRestarting] = "Running Paused",
		[MpAdapterRunning] = "Pausing",
		[MpAdapterPausing] = "Paused",
		[MpAdapterHalting] = "Halted",
	};
	(void)state;

	for (int f = 0; f < MpAdapterStateCount; f++)
		for (int t = 0; t < MpAdapterStateCount; t++) {
			char word[32];
			bool want;

			snprintf(word, sizeof(word), "%s", MPAdapterStateName((MP_ADAPTER_STATE)t));
			want = strstr(legal[f], word) != NULL;
			if (MPAdapterStateTransitionAllowed((MP_ADAPTER_STATE)f, (MP_ADAPTER_STATE)t) != want)
				fail_msg("adapter %s -> %s: table says %d", MPAdapterStateName((MP_ADAPTER_STATE)f), word, !want);
		}
	assert_string_equal(MPAdapterStateName(MpAdapterStateCount), "?");
	assert_false(MPAdapterStateTransitionAllowed(MpAdapterStateCount, MpAdapterHalted));
}

static void test_vf_table(void **state)
{
	static const char *const legal[MpVfStateCount] = {
		[MpVfDisabled] = "Allocated",
		[MpVfAllocated] = "Disabled Assigned Resetting",
		[MpVfAssigned] = "Allocated Active Resetting",
		[MpVfActive] = "Assigned Allocated Resetting",
		[MpVfResetting] = "Allocated Assigned",
	};
	(void)state;

	for (int f = 0; f < MpVfStateCount; f++)
		for (int t = 0; t < MpVfStateCount; t++) {
			const char *word = MPVfStateName((MP_VF_STATE)t);
			bool want = strstr(legal[f], word) != NULL;

			if (MPVfStateTransitionAllowed((MP_VF_STATE)f, (MP_VF_STATE)t) != want)
				fail_msg("VF %s -> %s: table says %d", MPVfStateName((MP_VF_STATE)f), word, !want);
		}
	assert_string_equal(MPVfStateName(MpVfStateCount), "?");
}

/* ---- walks on the emulated host, read from the driver's trace ---------------- */
static char *trace_buf;
static size_t trace_len;
static FILE *trace;

static void trace_start(void)
{
	trace = open_memstream(&trace_buf, &trace_len);
	assert_non_null(trace);
	log_set_stream(trace);
	log_configure("*=warn,drv.srnic_pf=debug", NULL, 0);
}

static char *trace_stop(void)
{
	log_set_stream(NULL);
	log_configure("*=warn", NULL, 0);
	fclose(trace);
	return trace_buf;
}

/* The transitions, in order, as "A>B A>B ..." from lines "<what>: A -> B". */
static void transitions(const char *log, const char *what, char *out, size_t len)
{
	const char *p = log;
	size_t n = 0;

	out[0] = 0;
	while ((p = strstr(p, what))) {
		char a[32], b[32];

		if (sscanf(p + strlen(what), "%31s -> %31s", a, b) == 2) {
			int w = snprintf(out + n, len - n, "%s%s>%s", n ? " " : "", a, b);
			if (w > 0 && (size_t)w < len - n)
				n += (size_t)w;
		}
		p += strlen(what);
	}
}

static uint32_t report_block(struct pf_env *e, uint16_t vf, uint32_t flags)
{
	struct {
		NDIS_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS p;
		struct srnic_cfgblock_vf_report d;
	} b;

	memset(&b, 0, sizeof(b));
	pf_hdr(&b.p, 1, NDIS_SIZEOF_SRIOV_WRITE_VF_CONFIG_BLOCK_PARAMETERS_REVISION_1);
	b.p.VFId = vf;
	b.p.BlockId = SRNIC_CFGBLOCK_VF_REPORT;
	b.p.Length = sizeof(b.d);
	b.p.BufferOffset = offsetof(__typeof__(b), d);
	b.d.magic = SRNIC_CFGBLOCK_MAGIC;
	b.d.version = SRNIC_CFGBLOCK_VERSION_1;
	b.d.length = sizeof(b.d);
	b.d.flags = flags;
	return pf_oid(e, &pf_vmsp, NdisRequestSetInformation, OID_SRIOV_WRITE_VF_CONFIG_BLOCK, &b, sizeof(b), 0, NULL);
}

static void test_vf_walk(void **state)
{
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x31 };
	struct pf_env e;
	uint32_t vport;
	uint16_t vf;
	char got[1024];
	char *log;

	(void)state;
	pf_env_up(&e, NULL);
	trace_start();
	vf = pf_allocate_vf(&e, mac, NULL);			/* Disabled > Allocated */
	assert_int_equal(pf_reset_vf(&e, vf), 0);		/* Allocated > Resetting > Allocated */
	vport = pf_create_vport(&e, vf, 1);			/* Allocated > Assigned */
	assert_int_equal(pf_reset_vf(&e, vf), 0);		/* Assigned > Resetting > Assigned */
	assert_int_equal(report_block(&e, vf, SRNIC_VFREPORT_F_RUNNING), 0);	/* Assigned > Active */
	assert_int_equal(report_block(&e, vf, 0), 0);	/* Active > Assigned */
	assert_int_equal(report_block(&e, vf, SRNIC_VFREPORT_F_RUNNING), 0);	/* Assigned > Active */
	assert_int_equal(pf_reset_vf(&e, vf), 0);		/* Active > Resetting > Assigned */
	assert_int_equal(report_block(&e, vf, SRNIC_VFREPORT_F_RUNNING), 0);	/* Assigned > Active */
	/* Illegal: freeing an attached VF; a second vPort. The state stays Active. */
	assert_int_equal(pf_free_vf(&e, vf), ST(NDIS_STATUS_FILE_NOT_FOUND));
	assert_int_equal(pf_delete_vport(&e, vport), 0);	/* Active > Allocated */
	assert_int_equal(pf_free_vf(&e, vf), 0);		/* Allocated > Disabled */
	log = trace_stop();
	transitions(log, "VF 0: ", got, sizeof(got));
	assert_string_equal(got, "Disabled>Allocated Allocated>Resetting Resetting>Allocated Allocated>Assigned "
				 "Assigned>Resetting Resetting>Assigned Assigned>Active Active>Assigned Assigned>Active "
				 "Active>Resetting Resetting>Assigned Assigned>Active Active>Allocated Allocated>Disabled");
	assert_null(strstr(log, "illegal"));
	free(log);
	pf_env_down(&e);
}

static void test_adapter_walk(void **state)
{
	struct pf_env e;
	char got[1024];
	char *log;

	(void)state;
	trace_start();
	pf_env_up(&e, NULL);
	assert_int_equal(ndis_adapter_pause(e.ad), 0);
	assert_int_equal(ndis_adapter_restart(e.ad), 0);
	assert_int_equal(ndis_adapter_halt(e.ad, NdisHaltDeviceDisabled), 0);
	log = trace_stop();
	transitions(log, "adapter ", got, sizeof(got));
	assert_string_equal(got, "Halted>Initializing Initializing>Paused Paused>Restarting Restarting>Running "
				 "Running>Pausing Pausing>Paused Paused>Restarting Restarting>Running Running>Pausing "
				 "Pausing>Paused Paused>Halting Halting>Halted");
	free(log);
	pf_env_down(&e);
}

/* A PF whose BARs firmware never placed: Initializing -> Halted. */
static void test_failed_initialization(void **state)
{
	struct pcie_host *host = pcie_host_create();
	struct srnic *nic = srnic_create(host, 3, 0);
	struct ndis_framework *fw = ndis_framework_create("host", NDIS_PARTITION_PARENT);
	struct ndis_adapter_params p;
	struct ndis_adapter *ad = NULL;
	struct pcibus_pf *bus;
	char err[256], got[256];
	char *log;

	(void)state;
	assert_int_equal(pcibus_pf_create(host, PCIE_RID(3, 0, 0), &bus), 0);
	assert_int_equal(ndis_framework_install_inf(fw, SRNIC_PF_DIR "/srnic_pf.inf", SRNIC_PF_DIR, err, sizeof(err)), 0);
	memset(&p, 0, sizeof(p));
	p.name = "no BARs";
	p.hardware_id = PF_HWID;
	p.bus = &pcibus_ndis_ops;
	p.bus_ctx = bus;
	trace_start();
	assert_int_equal(ndis_adapter_create(fw, &p, &ad), -EIO);
	log = trace_stop();
	assert_int_equal(ndis_adapter_init_status(ad), ST(NDIS_STATUS_ADAPTER_NOT_FOUND));
	transitions(log, "adapter ", got, sizeof(got));
	assert_string_equal(got, "Halted>Initializing Initializing>Halted");
	assert_int_equal(ndis_framework_finding_count(fw), 0);
	free(log);
	ndis_framework_destroy(fw);
	pcibus_pf_destroy(bus);
	srnic_destroy(nic);
	pcie_host_destroy(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapter_table),
		cmocka_unit_test(test_vf_table),
		cmocka_unit_test(test_vf_walk),
		cmocka_unit_test(test_adapter_walk),
		cmocka_unit_test(test_failed_initialization),
	};
	log_configure("*=warn", NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
