/*
 * Helpers shared by the framework tests: a framework instance with every
 * test driver package (tests/drivers) installed, access to a fake driver's
 * FakeControl, and the logger routed into a buffer so tests can assert what
 * the trace says.
 */
#ifndef IOVLAB_TESTS_FW_HELPERS_H
#define IOVLAB_TESTS_FW_HELPERS_H

#include <stddef.h>

#include "ndis/framework.h"
#include "ndis/protocol.h"
#include "../drivers/fake_control.h"
#include "../drivers/fake_proto_control.h"
#include "bus_double.h"

/* An NDIS_STATUS (a signed int) as the uint32_t the lab API carries. */
#define ST(x) ((uint32_t)(x))

/* Hardware IDs of the test packages (tests/drivers/meson.build). */
#define HWID(dev) "PCI\\VEN_1AB4&DEV_" dev

struct ndis_framework *test_framework(enum ndis_partition partition);
/* The FakeControl of driver name (loaded with dlopen), reset. */
struct fake_control *fake_control(const char *name);
/* A symbol of test driver name (.so loaded with dlopen). */
void *fake_symbol(const char *name, const char *symbol);
/* The FakeProtoControl of protocol driver name, reset. */
struct fake_proto_control *fake_proto(const char *name);
/* Run FakeCompletePending in driver name. */
void fake_complete_pending(const char *name, NDIS_STATUS status);
/* Create an adapter on a bus double (and a vPCI double if vpci != NULL). */
int test_adapter(struct ndis_framework *fw, const char *name, const char *hwid, struct bus_double *bus,
		 struct vpci_double *vpci, struct ndis_adapter **out);
/* The trace since the last call (lab.ndis* at debug), NUL-terminated. */
const char *test_trace(void);
void test_trace_reset(void);

#endif
