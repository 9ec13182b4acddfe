/*
 * The live capture's control messages (wire/vmctl.h VMCTL_MSG_CAPTURE_*)
 * through vmctl_msg_check(): the valid forms pass; a part path that is
 * relative, not ".part", has a ".." / "." / empty component, is
 * unterminated or has bytes after its NUL is refused; filter rows beyond
 * nfilters must be zero; the acknowledgement's op, status and frames are
 * checked; the direction and the exact size are enforced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "hv/vmctl_msg.h"

static struct vmctl_capture_start start_msg(const char *part)
{
	struct vmctl_capture_start m;

	memset(&m, 0, sizeof(m));
	m.hdr = (struct vmctl_hdr){ .type = VMCTL_MSG_CAPTURE_START, .size = sizeof(m), .seq = 3 };
	m.version = VMCTL_CAPTURE_V1;
	strcpy(m.part, part);
	return m;
}

static const char *refused_start(const struct vmctl_capture_start *m)
{
	uint32_t type;
	const char *why;

	if (vmctl_msg_check(m, sizeof(*m), VMCTL_TO_GUEST, &type, &why) == 0)
		return NULL;
	assert_int_equal(type, VMCTL_MSG_CAPTURE_START);
	assert_non_null(why);
	return why;
}

static void test_start(void **state)
{
	struct vmctl_capture_start m = start_msg("/tmp/lab.pcapng.vm1.1.part"), b;
	uint32_t type;
	const char *why;

	(void)state;
	assert_null(refused_start(&m));
	assert_string_equal(vmctl_msg_name(VMCTL_MSG_CAPTURE_START), "CAPTURE_START");
	m.nfilters = 2;
	strcpy(m.filters[0], "vm1*");
	strcpy(m.filters[1], "*uplink");
	assert_null(refused_start(&m));
	/* the path the host chose, and nothing else */
	static const char *const bad[] = { "tmp/x.part", "/tmp/x.pcapng", "/tmp/../etc/x.part", "/tmp/./x.part",
					   "/tmp//x.part", ".part", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = start_msg(bad[i]);
		if (!refused_start(&b))
			fail_msg("part path '%s' passed", bad[i]);
	}
	b = m, memset(b.part, 'a', sizeof(b.part));	/* unterminated */
	b.part[0] = '/';
	assert_non_null(refused_start(&b));
	b = m, b.part[sizeof(b.part) - 1] = 'x';	/* a byte after the NUL */
	assert_non_null(refused_start(&b));
	b = m, b.part[3] = '\n';			/* not printable */
	assert_non_null(refused_start(&b));
	/* filters */
	b = m, b.nfilters = VMCTL_CAPTURE_FILTERS + 1;
	assert_non_null(strstr(refused_start(&b), "more filters"));
	b = m, b.nfilters = 1;				/* row 1 is used but not counted */
	assert_non_null(strstr(refused_start(&b), "unused filter row"));
	b = m, b.filters[1][0] = 0, b.filters[1][1] = 'u';	/* an empty counted row, bytes after its NUL */
	assert_non_null(refused_start(&b));
	b = m, memset(b.filters[0], 'v', sizeof(b.filters[0]));	/* unterminated */
	assert_non_null(refused_start(&b));
	b = m, b.version = 2;
	assert_non_null(strstr(refused_start(&b), "unknown version"));
	/* direction and size */
	assert_int_equal(vmctl_msg_check(&m, sizeof(m), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	b = m, b.hdr.size = sizeof(m) - 1;
	assert_int_equal(vmctl_msg_check(&b, sizeof(b) - 1, VMCTL_TO_GUEST, &type, &why), -EBADMSG);
}

static void test_stop_and_ack(void **state)
{
	struct vmctl_hdr stop = { .type = VMCTL_MSG_CAPTURE_STOP, .size = sizeof(stop), .seq = 4 };
	struct vmctl_capture_ack a = { .hdr = { .type = VMCTL_MSG_CAPTURE_ACK, .size = sizeof(a), .seq = 4 },
				       .op = VMCTL_MSG_CAPTURE_STOP, .frames = 100 };
	struct vmctl_capture_ack b;
	uint32_t type;
	const char *why;

	(void)state;
	assert_int_equal(vmctl_msg_check(&stop, sizeof(stop), VMCTL_TO_GUEST, &type, &why), 0);
	assert_int_equal(type, VMCTL_MSG_CAPTURE_STOP);
	assert_int_equal(vmctl_msg_check(&stop, sizeof(stop), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	assert_int_equal(vmctl_msg_check(&a, sizeof(a), VMCTL_TO_HOST, &type, &why), 0);
	assert_int_equal(type, VMCTL_MSG_CAPTURE_ACK);
	assert_int_equal(vmctl_msg_check(&a, sizeof(a), VMCTL_TO_GUEST, &type, &why), -EBADMSG);
	b = a, b.status = -ENOENT;
	assert_int_equal(vmctl_msg_check(&b, sizeof(b), VMCTL_TO_HOST, &type, &why), 0);
	b = a, b.status = 5;
	assert_int_equal(vmctl_msg_check(&b, sizeof(b), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	b = a, b.status = -5000;
	assert_int_equal(vmctl_msg_check(&b, sizeof(b), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	b = a, b.op = VMCTL_MSG_SEND;
	assert_int_equal(vmctl_msg_check(&b, sizeof(b), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	b = a, b.op = VMCTL_MSG_CAPTURE_START;	/* a start counts no frames */
	assert_int_equal(vmctl_msg_check(&b, sizeof(b), VMCTL_TO_HOST, &type, &why), -EBADMSG);
	assert_non_null(strstr(why, "frames"));
	b.frames = 0;
	assert_int_equal(vmctl_msg_check(&b, sizeof(b), VMCTL_TO_HOST, &type, &why), 0);
	assert_int_equal(vmctl_msg_check(&a, sizeof(a) - 4, VMCTL_TO_HOST, &type, &why), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_stop_and_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
