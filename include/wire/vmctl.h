/*
 * The lab's own two VMBus devices between the root partition and a VM
 * (src/hv/vmwp.c on the host, src/hv/guest_vm.c in the VM process), the
 * byte layout of every packet on them. Neither exists on Hyper-V as such:
 *
 *   - the MMIO channel stands in for the hypervisor's second-level address
 *     translation of a VF's BAR. On Hyper-V the guest's loads and stores to
 *     an assigned VF's registers reach the device directly; here the device
 *     model (srnic) lives in the host process, so a register access the VF
 *     miniport makes in the guest travels as one request and one answer.
 *     The host checks every address against the BARs of the VFs assigned to
 *     that VM (what the SLAT mapping would allow) before touching a device.
 *     DMA needs no channel: the host maps the VM's memory and makes it the
 *     VF's IOMMU domain. Slow but exact. The data-path registers (the
 *     queue tails) go through a shared BAR page and doorbell/interrupt
 *     kicks on the channel's eventfds instead (VMCTL_MMIO_DOORBELL below).
 *   - the control channel is the lab's integration service (Hyper-V's KVP /
 *     heartbeat family): the host tells the guest's traffic source what to
 *     send, the guest reports its state -- the counters of its traffic sink,
 *     NetVsc's data path, its VF binding -- for `iovlab run` steps and
 *     views, and the host asks the guest's TCP/IP stack to ping, stream
 *     or echo (NET, NET_DONE). Nothing in the modelled stack depends on it.
 *
 * MMIO: a request is a VMBUS_PKT_DATA_INBAND packet with
 * VMBUS_PKT_FLAG_COMPLETION_REQUESTED and the guest's transaction id; the
 * host answers with one VMBUS_PKT_COMP packet with the same transaction id.
 * Control: VMBUS_PKT_DATA_INBAND both ways, each packet one message that
 * starts with struct vmctl_hdr; unknown types are dropped and counted.
 * Fixed-width little-endian fields, explicit sizes; message types are only
 * ever appended.
 */
#ifndef IOVLAB_WIRE_VMCTL_H
#define IOVLAB_WIRE_VMCTL_H

#include <stddef.h>
#include <stdint.h>

/* Device classes of the two channels (iovlab's own GUIDs). */
#define VMCTL_MMIO_CLASS_GUID_INIT                                                  \
	{ { 0x69, 0x6f, 0x76, 0x6c, 0x2d, 0x6d, 0x6d, 0x69,                         \
	    0x6f, 0x2d, 0x70, 0x72, 0x6f, 0x78, 0x79, 0x01 } }
#define VMCTL_CTL_CLASS_GUID_INIT                                                   \
	{ { 0x69, 0x6f, 0x76, 0x6c, 0x2d, 0x6c, 0x61, 0x62,                         \
	    0x2d, 0x63, 0x6f, 0x6e, 0x74, 0x72, 0x6f, 0x6c } }

#define VMCTL_PROTO_V1 0x00010000u
#define VMCTL_PROTO_CURRENT VMCTL_PROTO_V1

/* ---- MMIO channel -------------------------------------------------------- */
#define VMCTL_MMIO_READ 1u
#define VMCTL_MMIO_WRITE 2u

/* Guest -> host: one register access at guest-physical address gpa. */
struct vmctl_mmio_req {
	uint32_t op;		/* VMCTL_MMIO_READ / VMCTL_MMIO_WRITE */
	uint32_t size;		/* bytes: 4 (srnic's registers are 32-bit) */
	uint64_t gpa;		/* the address the VF's BAR has in the guest */
	uint64_t value;		/* WRITE: the value; READ: 0 */
};
_Static_assert(sizeof(struct vmctl_mmio_req) == 24, "vmctl_mmio_req is 24 bytes");

/* Host -> guest: the completion. */
struct vmctl_mmio_resp {
	int32_t status;		/* 0, or -errno: -EFAULT no assigned BAR there, -EIO the device refused */
	uint32_t reserved;
	uint64_t value;		/* READ: the value (all ones when refused) */
};
_Static_assert(sizeof(struct vmctl_mmio_resp) == 16, "vmctl_mmio_resp is 16 bytes");

/* ---- control channel ----------------------------------------------------- */
struct vmctl_hdr {
	uint32_t type;		/* VMCTL_MSG_* */
	uint32_t size;		/* whole message, header included */
	uint32_t seq;		/* a host request's number; its answer carries it back */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmctl_hdr) == 16, "vmctl_hdr is 16 bytes");

#define VMCTL_MSG_BASE 0x564d0000u		/* 'VM' << 16 */
#define VMCTL_MSG_READY (VMCTL_MSG_BASE + 1)	/* guest -> host: struct vmctl_ready */
#define VMCTL_MSG_SEND (VMCTL_MSG_BASE + 2)	/* host -> guest: struct vmctl_send */
#define VMCTL_MSG_SENT (VMCTL_MSG_BASE + 3)	/* guest -> host: struct vmctl_status, the send finished */
#define VMCTL_MSG_QUERY (VMCTL_MSG_BASE + 4)	/* host -> guest: struct vmctl_hdr only */
#define VMCTL_MSG_STATUS (VMCTL_MSG_BASE + 5)	/* guest -> host: struct vmctl_status */
#define VMCTL_MSG_EXIT (VMCTL_MSG_BASE + 6)	/* host -> guest: struct vmctl_hdr only; shut down */
#define VMCTL_MSG_NDISKD_QUERY (VMCTL_MSG_BASE + 7)	/* host -> guest: struct vmctl_ndiskd_query */
#define VMCTL_MSG_NDISKD (VMCTL_MSG_BASE + 8)	/* guest -> host: struct vmctl_ndiskd, its answer */
#define VMCTL_MSG_NET (VMCTL_MSG_BASE + 9)	/* host -> guest: struct vmctl_net */
#define VMCTL_MSG_NET_DONE (VMCTL_MSG_BASE + 10)	/* guest -> host: struct vmctl_net_done, its answer */

/* The guest's stack is up: NDIS, NetVsc's adapter, the traffic source. */
struct vmctl_ready {
	struct vmctl_hdr hdr;
	uint32_t version;	/* VMCTL_PROTO_* */
	uint32_t nics;		/* NetVsc adapters that came up */
};
_Static_assert(sizeof(struct vmctl_ready) == 24, "vmctl_ready is 24 bytes");

/* Send count numbered frames of size bytes to dst (guest_traffic.h format). */
#define VMCTL_SEND_SIZE_MIN 60u
#define VMCTL_SEND_SIZE_MAX 1514u
struct vmctl_send {
	struct vmctl_hdr hdr;
	uint8_t dst[6];
	uint16_t reserved;
	uint32_t count;
	uint32_t size;		/* VMCTL_SEND_SIZE_MIN..MAX */
};
_Static_assert(sizeof(struct vmctl_send) == 32, "vmctl_send is 32 bytes");

/* NETVSCVFPP's binding to the VF miniport, as the guest's bindings view says. */
#define VMCTL_VF_NONE 0u	/* no VF adapter in the guest */
#define VMCTL_VF_BOUND 1u
#define VMCTL_VF_DECLINED 2u	/* vf_status says why */
#define VMCTL_VF_OTHER 3u	/* binding, unbinding, unbound */

/* NetVsc's data path (enum netvsc_dp_state's numbers). */
struct vmctl_status {
	struct vmctl_hdr hdr;
	/* the traffic sink: numbered frames of the lab's stream that arrived */
	uint64_t rx_received, rx_lost, rx_dup, rx_reorder, rx_bad, rx_foreign;
	/* the traffic source */
	uint64_t tx_frames, tx_completed, tx_failed, tx_refused;
	/* NetVsc's engine: frames it sent on each path */
	uint64_t tx_synthetic, tx_vf;
	uint64_t switches;
	uint32_t data_path;	/* 0 synthetic, else the engine's state number */
	uint32_t vf_binding;	/* VMCTL_VF_* */
	uint32_t vf_status;	/* the decline's NDIS_STATUS */
	uint32_t vf_adapters;	/* VF miniport adapters in the guest */
	uint32_t vf_serial;	/* the association NetVsc has from the host, 0: none */
	uint32_t send_done;	/* SENT: frames handed to NDIS for that request */
};
_Static_assert(sizeof(struct vmctl_status) == 16 + 13 * 8 + 6 * 4, "vmctl_status layout");

/*
 * diagnose inside the guest (src/diag): the host asks what the guest's
 * half of the SR-IOV chain reached and the guest answers with one
 * struct vmctl_diag carrying the same seq, followed by len bytes of JSON
 * text (no NUL, printable ASCII: jansson's compact, ASCII-only output) --
 * the vPCI PDOs and their drivers, the VF adapters (capabilities, the vPCI
 * interface NDIS captured, the serial-number OID, NETVSCVFPP's binding),
 * the guest verifier's findings and NetVsc's data path and counters. Text
 * rather than a fixed layout because the facts are many, optional and
 * growing; the host parses it with strict checks (src/diag/guest_facts.c,
 * fuzzed by tests/fuzz/fuzz_diag_guest.c; its keys are in docs/diagnose.md).
 * The whole message is at most sizeof(struct vmctl_diag) + VMCTL_DIAG_JSON_MAX
 * bytes, well inside the control ring (GUEST_VM_CTL_RING) and the host's
 * receive buffer.
 */
#define VMCTL_MSG_DIAG_QUERY (VMCTL_MSG_BASE + 32)	/* host -> guest: struct vmctl_diag_query */
#define VMCTL_MSG_DIAG (VMCTL_MSG_BASE + 33)	/* guest -> host: struct vmctl_diag + JSON text */
/*
 * (32 and 33, not the next free numbers: several message types were
 * appended on parallel branches at once; these stay apart from them.)
 */
#define VMCTL_DIAG_V1 1u
#define VMCTL_DIAG_JSON_MAX 4096u

struct vmctl_diag_query {
	struct vmctl_hdr hdr;
	uint32_t version;	/* VMCTL_DIAG_V1 */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmctl_diag_query) == 24, "vmctl_diag_query is 24 bytes");

struct vmctl_diag {
	struct vmctl_hdr hdr;	/* size = sizeof(struct vmctl_diag) + len */
	uint32_t version;	/* VMCTL_DIAG_V1 */
	uint32_t len;		/* bytes of JSON after this struct, 1..VMCTL_DIAG_JSON_MAX */
	/* char json[len]; */
};
_Static_assert(sizeof(struct vmctl_diag) == 24, "vmctl_diag is 24 bytes");

/*
 * ndiskd inside the guest: the host asks for the guest NDIS's adapters and
 * their protocol bindings (`ndiskd netadapter -vm VM -bindings`, the view
 * of tools-and-views.md 1.7 the host renders) and the guest answers with
 * one struct vmctl_ndiskd carrying the same seq. Strings are NUL-terminated
 * inside their arrays and printable ASCII; state numbers are NDIS's (enum
 * ndis_adapter_state, enum ndis_binding_state); rows past nadapters /
 * nbindings are zero. An adapter or binding beyond the arrays is counted in
 * the *_total fields and not described.
 */
#define VMCTL_NDISKD_V1 1u
#define VMCTL_NDISKD_ADAPTERS 4u	/* NetVsc's adapter and the VF miniport's, with room */
#define VMCTL_NDISKD_BINDINGS 8u	/* per adapter */
#define VMCTL_NDISKD_NAME 32u		/* bytes of every string field, the NUL included */
#define VMCTL_NDISKD_ADAPTER_STATES 7u	/* NDIS_ADAPTER_STATE_COUNT: halted .. halting */
#define VMCTL_NDISKD_BINDING_STATES 5u	/* NDIS_BINDING_STATE_COUNT: binding .. unbound */

struct vmctl_ndiskd_query {
	struct vmctl_hdr hdr;
	uint32_t version;	/* VMCTL_NDISKD_V1: the answer layout the host reads */
	uint32_t reserved;
};
_Static_assert(sizeof(struct vmctl_ndiskd_query) == 24, "vmctl_ndiskd_query is 24 bytes");

/* One row of ndis_adapter_binding_at(). */
struct vmctl_ndiskd_binding {
	char protocol[VMCTL_NDISKD_NAME];	/* "NETVSCVFPP", "IOVTRAFFIC" */
	uint32_t state;		/* enum ndis_binding_state's number */
	uint32_t status;	/* declined: the NDIS_STATUS ProtocolBindAdapterEx failed with; else 0 */
};
_Static_assert(sizeof(struct vmctl_ndiskd_binding) == 40, "vmctl_ndiskd_binding is 40 bytes");

/* vmctl_ndiskd_adapter.flags */
#define VMCTL_NDISKD_SYNTHETIC 0x1u	/* NetVsc's adapter on the VMBus synthetic NIC */
#define VMCTL_NDISKD_VF 0x2u		/* a VF miniport (NDIS_SRIOV_CAPS_VF_MINIPORT) */
#define VMCTL_NDISKD_VPCI 0x4u		/* NDIS captured GUID_VPCI_INTERFACE_STANDARD for it */
#define VMCTL_NDISKD_FLAGS 0x7u

struct vmctl_ndiskd_adapter {
	char name[VMCTL_NDISKD_NAME];	/* "Ethernet", "Ethernet 2" */
	char driver[VMCTL_NDISKD_NAME];	/* the miniport driver's name */
	uint32_t state;		/* enum ndis_adapter_state's number */
	uint32_t init_status;	/* what MiniportInitializeEx returned last, NDIS_STATUS */
	uint32_t pending_oid;	/* the first OID pending on it, 0: none */
	uint32_t sriov_caps;	/* current NDIS_SRIOV_CAPS_*, 0: none reported */
	uint32_t flags;		/* VMCTL_NDISKD_* */
	uint32_t vf_serial;	/* the serial number NDIS read for a VF, 0: none */
	uint32_t nbindings;	/* rows of bindings[] used */
	uint32_t bindings_total;	/* the adapter's bindings, >= nbindings */
	struct vmctl_ndiskd_binding bindings[VMCTL_NDISKD_BINDINGS];
};
_Static_assert(sizeof(struct vmctl_ndiskd_adapter) == 2 * 32 + 8 * 4 + 8 * 40, "vmctl_ndiskd_adapter layout");

struct vmctl_ndiskd {
	struct vmctl_hdr hdr;
	uint32_t version;	/* VMCTL_NDISKD_V1 */
	uint32_t nadapters;	/* rows of adapters[] used */
	uint32_t adapters_total;	/* the guest NDIS's adapters, >= nadapters */
	uint32_t reserved;
	struct vmctl_ndiskd_adapter adapters[VMCTL_NDISKD_ADAPTERS];
};
_Static_assert(sizeof(struct vmctl_ndiskd) == 32 + 4 * 416, "vmctl_ndiskd layout");

/* ---- issue 8: the benchmark's flood and the VF's doorbell page ---------- */
/*
 * SEND_FLOOD (host -> guest, struct vmctl_send): like SEND, but the source
 * is not paced: it hands bursts of up to 32 frames to NDIS whenever fewer
 * than VMCTL_FLOOD_WINDOW of its frames are still with NDIS. `iovlab bench`
 * uses it to saturate a path; the guest answers with SENT as for SEND.
 * The window is the raw ring's depth (bench/raw: 256 slots): with 48, one
 * burst was in flight at a time and every burst waited a doorbell, a
 * device pass and an interrupt -- the path measured its latency, not its
 * rate (docs/bench.md).
 */
/* +16: numbers +9..+15 went to the guest TCP/IP messages (NET, NET_DONE) and their successors */
#define VMCTL_MSG_SEND_FLOOD (VMCTL_MSG_BASE + 16)
#define VMCTL_FLOOD_BURST 32u
#define VMCTL_FLOOD_WINDOW 256u

/*
 * MMIO op DOORBELL: the guest lends a page of its memory as the shared BAR
 * page of the VF BAR at gpa (the BAR's base); value is the page's GPA,
 * VMCTL_DB_PAGE_SIZE-aligned. The host fills the page's configuration (which
 * registers it shadows) and answers status 0 with value = the number of
 * slots, or -EFAULT (no VF BAR starts there) / -EINVAL (page outside the
 * guest's memory or misaligned). From then on a guest write to a shadowed
 * register goes to the page (and kicks the channel's eventfd when the
 * device asked for it); everything else stays one request per access.
 * Architecture section 2: "MMIO register access goes through the NDIS
 * register macros, which the framework implements as accesses to a shared
 * BAR page plus a doorbell kick".
 */
#define VMCTL_MMIO_DOORBELL 3u
#define VMCTL_DB_V1 1u
#define VMCTL_DB_PAGE_SIZE 4096u
#define VMCTL_DB_SLOTS 8u

/*
 * The shared BAR page. Every field has one writer -- but need_kick (the
 * host sets it, the guest takes it back by exchange) and irq_armed (the
 * guest sets it, the host takes it back by exchange) -- and the host never
 * trusts what it reads (a tail is checked by
 * the device like any register write). Fields of different writers sit on
 * different cache lines.
 *
 * Contract (the barriers are in src/hv/guest_vm.c and src/hv/vf_doorbell.c,
 * each with this contract next to it; virtio 1.1 2.7.10 "event suppression"
 * and VMBus's interrupt mask are the models):
 *   doorbell  guest: value[i] = (n << 32) | v, release; full fence; if need_kick:
 *                    exchange(need_kick, 0) == 1 -> kick the eventfd.
 *             host:  before it stops looking at the page: need_kick = 1;
 *                    full fence; re-read value[] -- a change is drained now.
 *             So either the host sees the new value or the guest sees
 *             need_kick == 1; a kick is sent at most once per host sleep.
 *   interrupt guest: before it sleeps: irq_armed = 1; full fence; poll its
 *                    rings once more -- work found is done now.
 *             host:  after the device completed TX or filled RX for the
 *                    VF: exchange(irq_armed, 0) == 1 -> signal the guest.
 *   misc      host:  a link change or an error of the VF (srnic's misc
 *                    causes): misc_cause |= causes, then the interrupt's
 *                    exchange(irq_armed, 0) (a full barrier) and signal.
 *             guest: after arming (irq_armed = 1; full fence) and on every
 *                    turn: exchange(misc_cause, 0) != 0 -> its driver checks
 *                    link and health now. misc_cause also has two writers.
 *   A slot with kick[i] == 0 is posted: it never kicks, and the host reads
 *   it whenever it drains the page. srnic's personality makes every tail
 *   a kick slot and applies RX tails before TX tails on each sweep.
 */
struct vmctl_db_page {
	/* host-written configuration, 0x00 */
	uint32_t version;			/* VMCTL_DB_V1 */
	uint32_t nslots;			/* slots in use, <= VMCTL_DB_SLOTS */
	uint32_t reserved0[2];
	uint32_t reg[VMCTL_DB_SLOTS];		/* the BAR offset slot i shadows */
	uint32_t kick[VMCTL_DB_SLOTS];		/* 1: a write wakes a sleeping device; 0: posted */
	uint32_t reserved1[12];
	/* host-written, 0x80 */
	uint32_t need_kick;			/* 1: the device stopped looking; kick after a write */
	/* SRNIC_INT_LINK / SRNIC_INT_ERROR the device raised (its misc vector): the
	 * host ORs them in before it takes irq_armed; the guest exchanges them to 0
	 * and has its driver check link and health (an idle guest sleeps) */
	uint32_t misc_cause;
	uint32_t reserved2[14];
	/* guest-written, 0xc0 */
	uint32_t irq_armed;			/* 1: the guest sleeps; signal it when there is work */
	uint32_t reserved3[15];
	/* guest-written, 0x100: bits 31:0 the newest value written to reg[i],
	 * bits 63:32 how many writes so far (so writing the value the slot
	 * already holds -- the same tail after a queue reset -- is a new write) */
	uint64_t value[VMCTL_DB_SLOTS];
	/* guest-written counters, 0x140 (informational; the host keeps its own) */
	uint64_t writes;			/* register writes that went to the page */
	uint64_t kicks;				/* eventfd kicks the guest sent */
};
_Static_assert(offsetof(struct vmctl_db_page, need_kick) == 0x80, "need_kick on its own line");
_Static_assert(offsetof(struct vmctl_db_page, irq_armed) == 0xc0, "irq_armed on its own line");
_Static_assert(offsetof(struct vmctl_db_page, value) == 0x100, "values on their own line");
_Static_assert(sizeof(struct vmctl_db_page) == 0x150 && sizeof(struct vmctl_db_page) <= VMCTL_DB_PAGE_SIZE,
	       "vmctl_db_page layout");
/*
 * The guest's TCP/IP stack (src/hv/guest_tcpip.h): the host asks the guest
 * to run one client operation from its lwIP stack -- ping ADDR, a TCP
 * stream of bytes to an echo service checked byte for byte, a UDP echo run
 * -- and the guest answers with one NET_DONE carrying the same seq when it
 * is over (or at once, with status, when it cannot start it). Addresses
 * are IPv4 in host byte order (10.0.0.22 is 0x0a000016).
 */
#define VMCTL_NET_PING 1u
#define VMCTL_NET_TCP 2u
#define VMCTL_NET_UDP 3u
#define VMCTL_NET_COUNT_MAX 1000000u
#define VMCTL_NET_PAYLOAD_MAX 1472u	/* an Ethernet frame's IPv4 payload less 28 header bytes */
#define VMCTL_NET_UDP_MIN 8u		/* sequence number and magic */
#define VMCTL_NET_BYTES_MAX (1ull << 32)	/* 4 GiB per TCP run */
#define VMCTL_NET_TIMEOUT_MAX 600000u	/* ms */

struct vmctl_net {
	struct vmctl_hdr hdr;
	uint32_t op;		/* VMCTL_NET_* */
	uint32_t addr;		/* the far end; not 0, not 255.255.255.255 */
	uint16_t port;		/* TCP, UDP: not 0; PING: 0 */
	uint16_t reserved;	/* 0 */
	uint32_t count;		/* PING, UDP: 1..VMCTL_NET_COUNT_MAX; TCP: 0 */
	uint32_t size;		/* PING: payload 0..1472; UDP: 8..1472; TCP: 0 */
	uint32_t timeout_ms;	/* 1..VMCTL_NET_TIMEOUT_MAX */
	uint64_t bytes;		/* TCP: 1..VMCTL_NET_BYTES_MAX; else 0 */
};
_Static_assert(sizeof(struct vmctl_net) == 48, "vmctl_net is 48 bytes");

/* vmctl_net_done.flags */
#define VMCTL_NET_INTACT 0x1u	/* TCP: connected, never reset or aborted, closed in order */
#define VMCTL_NET_FLAGS 0x1u

struct vmctl_net_done {
	struct vmctl_hdr hdr;
	uint32_t op;		/* the request's */
	int32_t status;		/* 0, or -errno (-4095..-1): why it failed or could not start */
	uint64_t sent, received;	/* PING, UDP: packets; TCP: bytes */
	uint64_t lost;		/* PING, UDP: never answered; TCP: bytes never echoed */
	uint64_t mismatched;	/* TCP: echoed bytes that differ; UDP: damaged echoes; PING: wrong length */
	uint64_t retransmits;	/* TCP segments sent again meanwhile, by the guest or the far end */
	uint64_t elapsed_us;
	uint64_t rtt_min_us, rtt_avg_us, rtt_max_us;	/* PING; min <= avg <= max when received */
	uint64_t tx_synthetic, tx_vf;	/* NetVsc's frames on each path meanwhile */
	uint32_t flags;		/* VMCTL_NET_* flags */
	uint32_t reserved;	/* 0 */
};
_Static_assert(sizeof(struct vmctl_net_done) == 16 + 8 + 11 * 8 + 8, "vmctl_net_done layout");

/*
 * Live capture (`iovlab capture start/stop`, docs/capture.md). The host
 * chooses every part file: CAPTURE_START names the one this VM process is
 * to write (an absolute path ending in ".part", no ".." component) and the
 * point filters; the guest opens exactly that file -- never a name of its
 * own -- and answers CAPTURE_ACK with the same seq: status 0 or -errno
 * (the part could not be created, a capture already runs there).
 * CAPTURE_STOP (header only) closes the part; its CAPTURE_ACK carries the
 * frames written. Strings are NUL-terminated, printable ASCII, with zero
 * bytes after the NUL; unused filter rows are zero.
 */
#define VMCTL_MSG_CAPTURE_START (VMCTL_MSG_BASE + 40)	/* host -> guest: struct vmctl_capture_start */
#define VMCTL_MSG_CAPTURE_STOP (VMCTL_MSG_BASE + 41)	/* host -> guest: struct vmctl_hdr only */
#define VMCTL_MSG_CAPTURE_ACK (VMCTL_MSG_BASE + 42)	/* guest -> host: struct vmctl_capture_ack */
#define VMCTL_CAPTURE_V1 1u
#define VMCTL_CAPTURE_PATH_MAX 512u	/* bytes of part[], the NUL included */
#define VMCTL_CAPTURE_FILTERS 8u
#define VMCTL_CAPTURE_FILTER_MAX 64u	/* bytes of a filter row, the NUL included */

struct vmctl_capture_start {
	struct vmctl_hdr hdr;
	uint32_t version;	/* VMCTL_CAPTURE_V1 */
	uint32_t nfilters;	/* rows of filters[] used, 0: every point */
	char part[VMCTL_CAPTURE_PATH_MAX];
	char filters[VMCTL_CAPTURE_FILTERS][VMCTL_CAPTURE_FILTER_MAX];	/* shell patterns (fnmatch) */
};
_Static_assert(sizeof(struct vmctl_capture_start) == 24 + 512 + 8 * 64, "vmctl_capture_start layout");

struct vmctl_capture_ack {
	struct vmctl_hdr hdr;
	uint32_t op;		/* VMCTL_MSG_CAPTURE_START or VMCTL_MSG_CAPTURE_STOP: what is answered */
	int32_t status;		/* 0, or -errno (-4095..-1) */
	uint64_t frames;	/* STOP: frames written to the part; START: 0 */
};
_Static_assert(sizeof(struct vmctl_capture_ack) == 32, "vmctl_capture_ack is 32 bytes");

#endif /* IOVLAB_WIRE_VMCTL_H */
