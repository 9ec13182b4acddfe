/*
 * Checking the lab's MMIO and control channel messages (wire/vmctl.h),
 * shared by both ends: the host side of a VM (vmwp.c) and the guest
 * (guest_vm.c), and by the fuzz targets tests/fuzz/fuzz_vmctl_{host,guest}.c
 * that replay hostile input through exactly these checks. Every function
 * reads nothing past len and returns the reason for a refusal as static
 * text the caller counts and logs; none touches a VM.
 */
#ifndef IOVLAB_HV_VMCTL_MSG_H
#define IOVLAB_HV_VMCTL_MSG_H

#include <stdint.h>

#include "wire/vmctl.h"

/* Which way a control message travels. */
enum vmctl_dir {
	VMCTL_TO_GUEST = 1,	/* host -> guest: SEND, QUERY, EXIT, NDISKD_QUERY, NET, SEND_FLOOD */
	VMCTL_TO_HOST = 2,	/* guest -> host: READY, SENT, STATUS, NDISKD, NET_DONE */
};

/* "READY", "NDISKD_QUERY" ...; "unknown" for anything else. */
const char *vmctl_msg_name(uint32_t type);

/*
 * One control message of len bytes received in direction dir: a header,
 * hdr.size == len, a type known for that direction, its exact size, and
 * its fields in range (SEND: the frame size; READY: protocol major 1;
 * STATUS/SENT: vf_binding; NDISKD_QUERY / NDISKD: version V1, row counts
 * within the arrays and the totals, every used string NUL-terminated,
 * non-empty and printable, states and flags known, unused rows zero;
 * NET: the operation's fields in range, the others zero; NET_DONE: a known
 * operation, status 0 or -errno, known flags, answers <= requests for
 * PING/UDP, round-trip times in order).
 * 0 and the type in *type, or -EBADMSG and *why.
 */
int vmctl_msg_check(const void *buf, uint32_t len, enum vmctl_dir dir, uint32_t *type, const char **why);
/*
 * diagnose's pair: DIAG_QUERY (host -> guest) is checked like the others;
 * DIAG (guest -> host) has a header and then exactly len (1..
 * VMCTL_DIAG_JSON_MAX) bytes of printable ASCII, which vmctl_msg_check()
 * checks but does not parse (src/diag/guest_facts.c does).
 */

/* One BAR of a VF assigned to the VM: what the guest's SLAT would map. */
struct vmctl_mmio_window {
	uint64_t base, size;
};

/*
 * The host's check of one MMIO request of len bytes against the VM's
 * windows: exactly a struct vmctl_mmio_req, a 4-byte READ or WRITE at an
 * aligned address, a WRITE's value 32 bits, and all 4 bytes inside one
 * window; a DOORBELL's page GPA (value) page-aligned. 0 with *req, the window's index in *which and the offset in it in
 * *off; -EBADMSG (malformed) or -EFAULT (no window there), with *why.
 */
int vmctl_mmio_check(const void *buf, uint32_t len, const struct vmctl_mmio_window *win, unsigned nwin,
		     struct vmctl_mmio_req *req, unsigned *which, uint64_t *off, const char **why);

/*
 * The guest's check of an MMIO completion of len bytes: exactly a struct
 * vmctl_mmio_resp whose status is 0, -EFAULT, -EIO or -EINVAL (wire/vmctl.h)
 * and whose value, on success, is 32 bits. 0 and *resp, or -EBADMSG.
 */
int vmctl_mmio_resp_check(const void *buf, uint32_t len, struct vmctl_mmio_resp *resp, const char **why);

#endif /* IOVLAB_HV_VMCTL_MSG_H */
