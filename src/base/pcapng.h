/*
 * pcapng, the capture file format Wireshark and pktmon/etl2pcapng write
 * (draft-ietf-opsawg-pcapng; tools-and-views.md S25/S26): a small writer of
 * the three blocks iovlab needs -- Section Header (SHB), Interface
 * Description (IDB, one per capture point, with if_name/if_description)
 * and Enhanced Packet (EPB, with epb_flags inbound/outbound) -- and a strict
 * reader of whole files, used to merge the guest partitions' capture files
 * into the host's one file (capture.c). libpcap cannot write pcapng
 * (S25), hence a hand-written one.
 *
 * Layout rules both sides follow: every block is [type u32][total length
 * u32][body][total length u32], the total length a multiple of 4; options
 * are [code u16][length u16][value padded to 4] ending with opt_endofopt.
 * The writer writes little-endian (the machine's order, which the SHB's
 * byte-order magic announces). Timestamps are in microseconds, the
 * if_tsresol default, so the writer never writes if_tsresol.
 *
 * The reader takes untrusted bytes: every length, offset and count is
 * checked before use; a refused file gets an error naming the byte offset
 * of the block and what is wrong with it. Only the machine's byte order is
 * read (a swapped section is refused by name).
 */
#ifndef IOVLAB_BASE_PCAPNG_H
#define IOVLAB_BASE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_BT_SHB 0x0a0d0d0au
#define PCAPNG_BT_IDB 0x00000001u
#define PCAPNG_BT_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1a2b3c4du

#define PCAPNG_OPT_ENDOFOPT 0
#define PCAPNG_OPT_COMMENT 1
#define PCAPNG_SHB_USERAPPL 4
#define PCAPNG_IF_NAME 2
#define PCAPNG_IF_DESCRIPTION 3
#define PCAPNG_IF_TSRESOL 9
#define PCAPNG_EPB_FLAGS 2

/* epb_flags bits 0-1: the direction (pcapng "Enhanced Packet Block Flags Word"). */
#define PCAPNG_EPB_INBOUND 0x1u
#define PCAPNG_EPB_OUTBOUND 0x2u

#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_SNAPLEN 65535u

/* The largest block the reader accepts (a jumbo frame plus options fits many times over). */
#define PCAPNG_MAX_BLOCK (1u << 20)
/* Limits on what one file may declare, so a hostile file cannot make the reader allocate without bound. */
#define PCAPNG_MAX_IFACES 4096u
#define PCAPNG_NAME_MAX 128u
#define PCAPNG_DESC_MAX 256u

/* ---- writer: each call appends one block to f; 0 or -errno (-EINVAL: an argument out of range) ---- */
int pcapng_write_shb(FILE *f, const char *userappl);
int pcapng_write_idb(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name, const char *description);
/* data[0..caplen) of a frame of origlen bytes; flags 0 writes no epb_flags option. */
int pcapng_write_epb(FILE *f, uint32_t iface, uint64_t ts_us, const void *data, uint32_t caplen, uint32_t origlen,
		     uint32_t flags);

/* ---- reader ---- */
struct pcapng_iface {
	uint16_t linktype;
	uint32_t snaplen;
	uint8_t tsresol;		/* if_tsresol as written (6 when absent) */
	char name[PCAPNG_NAME_MAX];	/* if_name, "" when absent */
	char description[PCAPNG_DESC_MAX];
};

struct pcapng_packet {
	uint32_t iface;			/* index into pcapng_file.ifaces (file-wide, over all sections) */
	uint64_t ts_us;			/* converted from the interface's resolution */
	uint32_t caplen, origlen;
	uint32_t flags;			/* epb_flags, 0 when absent */
	const uint8_t *data;		/* points into the parsed buffer */
};

struct pcapng_file {
	struct pcapng_iface *ifaces;
	size_t nifaces;
	struct pcapng_packet *pkts;
	size_t npkts;
	size_t sections;
	/* with PCAPNG_PARSE_TRUNCATED_TAIL: the file ended inside a block that began at truncated_at */
	bool truncated;
	size_t truncated_at;
};

/* An incomplete last block (a writer killed mid-block; a failed write can leave one too) ends the file instead of refusing it. */
#define PCAPNG_PARSE_TRUNCATED_TAIL 0x1u

/*
 * Parse buf[0..len) (which must outlive *out: packets point into it).
 * 0, or -EINVAL with err saying "offset N: what" (nothing to free), or
 * -ENOMEM. Free with pcapng_file_fini().
 */
int pcapng_parse(const uint8_t *buf, size_t len, unsigned flags, struct pcapng_file *out, char *err, size_t errlen);
void pcapng_file_fini(struct pcapng_file *f);

#endif /* IOVLAB_BASE_PCAPNG_H */
