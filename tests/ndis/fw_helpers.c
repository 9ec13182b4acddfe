/*
 * Shared helpers of the framework tests (fw_helpers.h).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "fw_helpers.h"

static char *trace_buf;
static size_t trace_len;
static FILE *trace_stream;

static void trace_open(void)
{
	if (trace_stream)
		return;
	trace_stream = open_memstream(&trace_buf, &trace_len);
	log_set_stream(trace_stream);
	log_set_fixed_clock(0, 0);
	log_configure("lab.ndis*=debug,lab.ndis.*=debug", NULL, 0);
}

const char *test_trace(void)
{
	trace_open();
	fflush(trace_stream);
	return trace_buf ? trace_buf : "";
}

void test_trace_reset(void)
{
	trace_open();
	fflush(trace_stream);
	rewind(trace_stream);
	fflush(trace_stream);
	if (trace_buf)
		trace_buf[0] = 0;
}

struct ndis_framework *test_framework(enum ndis_partition partition)
{
	struct ndis_framework *fw;
	DIR *d = opendir(TEST_DRIVERS_BUILDDIR);
	struct dirent *e;

	trace_open();
	assert_non_null(d);
	fw = ndis_framework_create(partition == NDIS_PARTITION_CHILD ? "guest" : "host", partition);
	assert_non_null(fw);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[1024], err[256];

		if (n < 5 || strcmp(e->d_name + n - 4, ".inf") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", TEST_DRIVERS_BUILDDIR, e->d_name);
		if (ndis_framework_install_inf(fw, path, TEST_DRIVERS_BUILDDIR, err, sizeof(err)))
			fail_msg("installing %s: %s", path, err);
	}
	closedir(d);
	return fw;
}

static void *driver_handle(const char *name)
{
	char path[1024];
	void *h;

	snprintf(path, sizeof(path), "%s/%s.so", TEST_DRIVERS_BUILDDIR, name);
	/* Kept open on purpose: the framework's dlopen() of the same path
	 * returns this instance, whose state the test steers. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		fail_msg("dlopen %s: %s", path, dlerror());
	return h;
}

struct fake_control *fake_control(const char *name)
{
	void *h = driver_handle(name);
	struct fake_control *c = dlsym(h, "FakeControl");
	void (*reset)(void);

	*(void **)&reset = dlsym(h, "FakeReset");
	assert_non_null(c);
	assert_non_null(reset);
	reset();
	return c;
}

void *fake_symbol(const char *name, const char *symbol)
{
	void *p = dlsym(driver_handle(name), symbol);

	if (!p)
		fail_msg("%s has no %s", name, symbol);
	return p;
}

struct fake_proto_control *fake_proto(const char *name)
{
	struct fake_proto_control *c = fake_symbol(name, "FakeProtoControl");
	void (*reset)(void);

	*(void **)&reset = fake_symbol(name, "FakeProtoReset");
	reset();
	return c;
}

void fake_complete_pending(const char *name, NDIS_STATUS status)
{
	void (*complete)(NDIS_STATUS);

	*(void **)&complete = dlsym(driver_handle(name), "FakeCompletePending");
	assert_non_null(complete);
	complete(status);
}

int test_adapter(struct ndis_framework *fw, const char *name, const char *hwid, struct bus_double *bus,
		 struct vpci_double *vpci, struct ndis_adapter **out)
{
	struct ndis_adapter_params p;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.hardware_id = hwid;
	p.bus = &bus_double_ops;
	p.bus_ctx = bus;
	if (vpci) {
		p.vpci = &vpci_double_ops;
		p.vpci_ctx = vpci;
	}
	return ndis_adapter_create(fw, &p, out);
}
