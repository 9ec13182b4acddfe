/*
 * The partition setup socket: the byte layout of every message that crosses
 * the AF_UNIX SOCK_SEQPACKET socket between the host process (root
 * partition) and one VM child process (child partition). It models the two
 * things Hyper-V gives a new child partition before VMBus runs: its memory
 * (here a sealed memfd, passed by SCM_RIGHTS) and a message port to the root
 * (here the socket itself). The VMBus control messages (offers, GPADLs, open,
 * rescind) travel over the same socket with the same framing; they are
 * declared in wire/vmbus.h. After setup, data moves through shared memory
 * only.
 *
 * Framing: one message per datagram (SOCK_SEQPACKET keeps boundaries), each
 * starting with struct part_msg_hdr, at most PART_MSG_MAX bytes and
 * PART_MSG_MAX_FDS descriptors. Fixed-width little-endian fields, no
 * pointers, explicit versions. Both sides check every message against the
 * table in src/hv/vmbus_msg.c before looking at a field.
 */
#ifndef IOVLAB_WIRE_PARTITION_H
#define IOVLAB_WIRE_PARTITION_H

#include <stdint.h>

#define PART_MSG_MAX 256u	/* largest datagram either side sends */
#define PART_MSG_MAX_FDS 2u	/* most descriptors attached to one message */

/* Header of every datagram on the partition socket. */
struct part_msg_hdr {
	uint32_t type;		/* PART_MSG_* or VMBUS_MSG_* */
	uint32_t size;		/* whole datagram in bytes, header included */
};
_Static_assert(sizeof(struct part_msg_hdr) == 8, "part_msg_hdr is 8 bytes");

/*
 * Setup protocol versions, oldest first. Append only: a version, once
 * shipped, keeps its number and meaning.
 */
#define PART_PROTO_V1 0x00010000u	/* memfd + name */
#define PART_PROTO_CURRENT PART_PROTO_V1

/* Message types of the setup protocol ('PA' << 16 | n). */
#define PART_MSG_BASE 0x50410000u
#define PART_MSG_SETUP (PART_MSG_BASE + 1)	/* host -> guest, carries 1 fd */

#define PART_NAME_MAX 32u

/*
 * PART_MSG_SETUP: the first message a child receives. The attached
 * descriptor is the guest memory memfd, sealed against shrinking and
 * growing; guest-physical address (GPA) x is byte x of that file.
 */
struct part_msg_setup {
	struct part_msg_hdr hdr;
	uint32_t version;		/* PART_PROTO_* the host speaks */
	uint32_t partition_id;		/* host-chosen, unique per host process */
	uint64_t mem_size;		/* bytes of guest memory (= memfd size) */
	char name[PART_NAME_MAX];	/* NUL-padded VM name; may lack a NUL */
};
_Static_assert(sizeof(struct part_msg_setup) == 56, "part_msg_setup is 56 bytes");

#endif /* IOVLAB_WIRE_PARTITION_H */
