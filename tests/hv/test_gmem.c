/*
 * Tests for guest memory (src/base/shm.c), kept with the Hyper-V tests that
 * use it: GPA bounds (out of range, overflowing ranges), the seals that stop
 * a guest from resizing the memfd under the host, and attaching checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/shm.h"

#define MEM_SIZE (64u * 1024)

static void test_create_refuses_bad_sizes(void **state)
{
	struct guest_mem *gm = NULL;

	(void)state;
	assert_int_equal(gmem_create("t", 0, &gm), -EINVAL);
	assert_int_equal(gmem_create("t", 4097, &gm), -EINVAL);
	assert_int_equal(gmem_create(NULL, 4096, &gm), -EINVAL);
	assert_null(gm);
	gmem_destroy(NULL);
}

static void test_gpa_bounds(void **state)
{
	struct guest_mem *gm;
	uint8_t *base;

	(void)state;
	assert_int_equal(gmem_create("bounds", MEM_SIZE, &gm), 0);
	assert_int_equal(gmem_size(gm), MEM_SIZE);
	base = gmem_ptr(gm, 0, 1);
	assert_non_null(base);
	assert_ptr_equal(gmem_ptr(gm, 0, MEM_SIZE), base);
	assert_ptr_equal(gmem_ptr(gm, MEM_SIZE - 1, 1), base + MEM_SIZE - 1);
	assert_ptr_equal(gmem_ptr(gm, 0x1000, 0x2000), base + 0x1000);
	/* out of range */
	assert_null(gmem_ptr(gm, MEM_SIZE, 1));
	assert_null(gmem_ptr(gm, MEM_SIZE + 0x1000, 0x10));
	assert_null(gmem_ptr(gm, 0, MEM_SIZE + 1));
	assert_null(gmem_ptr(gm, 1, MEM_SIZE));
	assert_null(gmem_ptr(gm, MEM_SIZE - 1, 2));
	/* ranges whose end wraps around 2^64 */
	assert_null(gmem_ptr(gm, UINT64_MAX, 2));
	assert_null(gmem_ptr(gm, 8, UINT64_MAX));
	assert_null(gmem_ptr(gm, UINT64_MAX - 7, 16));
	assert_null(gmem_ptr(gm, 0x1000, UINT64_MAX - 0xfff));
	/* empty range */
	assert_null(gmem_ptr(gm, 0, 0));
	assert_null(gmem_ptr(NULL, 0, 1));
	/* new memory reads as zero */
	for (unsigned i = 0; i < MEM_SIZE; i += 4096)
		assert_int_equal(base[i], 0);
	gmem_destroy(gm);
}

static void test_sealed_against_resize(void **state)
{
	struct guest_mem *gm;

	(void)state;
	assert_int_equal(gmem_create("sealed", MEM_SIZE, &gm), 0);
	assert_int_equal(ftruncate(gmem_fd(gm), 4096), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(gmem_fd(gm), MEM_SIZE * 2), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fcntl(gmem_fd(gm), F_ADD_SEALS, F_SEAL_WRITE), -1);
	gmem_destroy(gm);
}

static void test_attach_shares_and_checks(void **state)
{
	struct guest_mem *host, *guest = NULL;
	int fd;

	(void)state;
	assert_int_equal(gmem_create("shared", MEM_SIZE, &host), 0);
	/* wrong size: refused, fd consumed */
	fd = dup(gmem_fd(host));
	assert_int_equal(gmem_attach(fd, MEM_SIZE * 2, &guest), -EINVAL);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_null(guest);
	assert_int_equal(gmem_attach(-1, MEM_SIZE, &guest), -EBADF);

	fd = dup(gmem_fd(host));
	assert_int_equal(gmem_attach(fd, MEM_SIZE, &guest), 0);
	memcpy(gmem_ptr(guest, 0x2000, 5), "hello", 5);
	assert_memory_equal(gmem_ptr(host, 0x2000, 5), "hello", 5);
	gmem_destroy(guest);
	gmem_destroy(host);

	/* an unsealed memfd could shrink under us: refused */
	fd = memfd_create("unsealed", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, MEM_SIZE), 0);
	assert_int_equal(gmem_attach(fd, MEM_SIZE, &guest), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_refuses_bad_sizes),
		cmocka_unit_test(test_gpa_bounds),
		cmocka_unit_test(test_sealed_against_resize),
		cmocka_unit_test(test_attach_shares_and_checks),
	};

	return cmocka_run_group_tests_name("hv/gmem", tests, NULL, NULL);
}
