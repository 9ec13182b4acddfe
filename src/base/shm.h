/*
 * Guest memory: the RAM of one child partition, modelled as a memfd that the
 * host creates and both the host and the VM process map. A guest-physical
 * address (GPA) is a byte offset into that file. Everything a guest shares
 * (VMBus rings, packet buffers, VF descriptor rings) lives here, and every
 * access from either side goes through gmem_ptr(), which refuses any range
 * that is not wholly inside the memory. Lives in base/ because the device
 * model's IOMMU (src/hw) and the Hyper-V model (src/hv) both reach guest
 * memory through it.
 *
 * The memfd is sealed against shrinking and growing once sized, so a guest
 * cannot ftruncate it under the host's mapping (which would turn the host's
 * next access into SIGBUS).
 */
#ifndef IOVLAB_BASE_SHM_H
#define IOVLAB_BASE_SHM_H

#include <stdint.h>

struct guest_mem;

/*
 * Create size bytes of zeroed guest memory (size > 0, page multiple) named
 * name (shown in /proc/PID/maps as memfd:name). The caller owns *out and
 * frees it with gmem_destroy(). Returns 0 or -errno.
 */
int gmem_create(const char *name, uint64_t size, struct guest_mem **out);

/*
 * Map guest memory received from the other side. Takes ownership of fd
 * (closed on failure too). Refuses (-EINVAL) a file whose size is not
 * size or that is not sealed against shrinking. Returns 0 or -errno.
 */
int gmem_attach(int fd, uint64_t size, struct guest_mem **out);

/* Unmap and close. gmem_destroy(NULL) is a no-op. */
void gmem_destroy(struct guest_mem *gm);

/*
 * Pointer to [gpa, gpa + len) in this process's mapping, or NULL when len
 * is 0, the range starts outside the memory, runs past its end or wraps
 * around 2^64. The pointer stays valid until gmem_destroy(); the bytes
 * behind it belong to both partitions, so read each once into private
 * memory before checking it.
 */
void *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* The memfd (still owned by gm), e.g. to pass it by SCM_RIGHTS. */
int gmem_fd(const struct guest_mem *gm);

uint64_t gmem_size(const struct guest_mem *gm);

#endif /* IOVLAB_BASE_SHM_H */
