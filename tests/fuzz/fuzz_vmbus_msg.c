/*
 * Fuzz target: the partition-socket message checker (src/hv/part_msg.c)
 * and the guest's VMBus control-message handler (src/hv/vmbus_guest.c)
 * facing a hostile host. The input is a sequence of datagrams, each
 * "u8 length | u8 descriptor count (mod 3) | bytes"; each is checked in
 * both directions, and those a guest would accept are handed to a guest
 * client (offers get real eventfds), so offers, rescinds, open results and
 * GPADL replies arrive in any order and with any field values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/shm.h"
#include "hv/part_msg.h"
#include "hv/vmbus_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem *gm;
static int sv[2] = { -1, -1 };

static void drain_host_end(void)
{
	char buf[PART_MSG_MAX];

	while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmbus_guest *g;

	if (!gm) {
		log_configure("*=none", NULL, 0);
		if (gmem_create("fuzz", 1u << 20, &gm) ||
		    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ||
		    fcntl(sv[0], F_SETFL, O_NONBLOCK))
			abort();
	}
	if (vmbus_guest__create(sv[0], gm, "fuzz", &g))
		return 0;
	while (size >= 2) {
		_Alignas(8) uint8_t buf[PART_MSG_MAX] = { 0 };
		size_t len = data[0] < size - 2 ? data[0] : size - 2;
		unsigned nfds = data[1] % 3;
		const char *why, *why_host;
		int to_guest, fds[2] = { -1, -1 };

		memcpy(buf, data + 2, len);
		data += 2 + len;
		size -= 2 + len;
		to_guest = part_msg_check(buf, len, nfds, PART_MSG_TO_GUEST, &why);
		if (part_msg_check(buf, len, nfds, PART_MSG_TO_HOST, &why_host) == 0 && to_guest == 0)
			abort();	/* no type travels both ways */
		if (to_guest) {
			if (!why || to_guest != -EBADMSG)
				abort();
			continue;
		}
		for (unsigned i = 0; i < nfds; i++)
			fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vmbus_guest__dispatch(g, buf, fds, nfds);
		drain_host_end();
	}
	vmbus_guest_destroy(g);
	return 0;
}
