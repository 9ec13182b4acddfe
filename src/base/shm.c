/*
 * Guest memory as a sealed memfd (see shm.h). The host creates, sizes and
 * seals the file; a VM process attaches to the descriptor it was sent and
 * checks the size and seals before mapping, so neither side can be made to
 * touch a page past the end of the file.
 */
#include "base/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

#define GMEM_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

struct guest_mem {
	int fd;
	uint64_t size;
	uint8_t *base;
};

static int gmem_map(int fd, uint64_t size, struct guest_mem **out)
{
	struct guest_mem *gm = calloc(1, sizeof(*gm));
	void *base;

	if (!gm)
		return -ENOMEM;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		int err = -errno;

		free(gm);
		return err;
	}
	gm->fd = fd;
	gm->size = size;
	gm->base = base;
	*out = gm;
	return 0;
}

int gmem_create(const char *name, uint64_t size, struct guest_mem **out)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd, err;

	if (!name || size == 0 || size % (uint64_t)page || size > (uint64_t)INT64_MAX)
		return -EINVAL;
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) || fcntl(fd, F_ADD_SEALS, GMEM_SEALS)) {
		err = -errno;
		goto fail_size;
	}
	err = gmem_map(fd, size, out);
	if (err)
		goto fail_size;
	log_debug("lab.hv.mem", "guest memory %s: 0x%llx bytes, memfd %d",
		  name, (unsigned long long)size, fd);
	return 0;

fail_size:
	close(fd);
	return err;
}

int gmem_attach(int fd, uint64_t size, struct guest_mem **out)
{
	struct stat st;
	int seals, err;

	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (size == 0 || (uint64_t)st.st_size != size || seals < 0 ||
	    (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
		log_error("lab.hv.mem",
			  "refusing guest memory fd %d: size 0x%llx (expected 0x%llx), seals 0x%x",
			  fd, (unsigned long long)st.st_size, (unsigned long long)size,
			  (unsigned)seals);
		err = -EINVAL;
		goto fail;
	}
	err = gmem_map(fd, size, out);
	if (err)
		goto fail;
	return 0;

fail:
	close(fd);
	return err;
}

void gmem_destroy(struct guest_mem *gm)
{
	if (!gm)
		return;
	munmap(gm->base, gm->size);
	close(gm->fd);
	free(gm);
}

void *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	/* gpa < size first, so size - gpa cannot wrap. */
	if (!gm || len == 0 || gpa >= gm->size || len > gm->size - gpa)
		return NULL;
	return gm->base + gpa;
}

int gmem_fd(const struct guest_mem *gm)
{
	return gm->fd;
}

uint64_t gmem_size(const struct guest_mem *gm)
{
	return gm->size;
}
