#!/usr/bin/env python3
"""Write the seed corpora of fuzz_vmctl_host and fuzz_vmctl_guest.

Each seed is a sequence of records "u8 kind | u16 len | len bytes" (the
host's seeds start with its BAR windows: "u8 count | count x (u64 base, u64
size)"). The seeds hold every message of wire/vmctl.h in its valid form --
MMIO requests and completions, READY/SENT/STATUS/NDISKD from the guest,
SEND/QUERY/EXIT/NDISKD_QUERY/NET/CAPTURE_START/CAPTURE_STOP from the host,
NET_DONE/CAPTURE_ACK from the guest --
and truncated, oversized,
wrong-direction and garbage variants. Run from anywhere; rewrites the files.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

BASE = 0x564D0000
READY, SEND, SENT, QUERY, STATUS, EXIT, NDISKD_QUERY, NDISKD, NET, NET_DONE = (BASE + i for i in range(1, 11))
SEND_FLOOD = BASE + 16
PING, TCP, UDP = 1, 2, 3
READ, WRITE, DOORBELL = 1, 2, 3
EFAULT, EIO, EINVAL = 14, 5, 22
NOT_SUPPORTED = 0xC00000BB
# enum ndis_binding_state / ndis_adapter_state numbers
B_BINDING, B_BOUND, B_DECLINED, B_UNBINDING, B_UNBOUND = range(5)
A_HALTED, A_RUNNING = 0, 4
SYNTHETIC, VF, VPCI = 1, 2, 4

W0, W1 = 0xF0000000, 0xF0010000


def rec(kind, body):
    return struct.pack("<BH", kind, len(body)) + body


def hdr(typ, size, seq=1):
    return struct.pack("<IIII", typ, size, seq, 0)


def mmio(op, gpa, value=0, size=4):
    return struct.pack("<IIQQ", op, size, gpa, value)


def resp(status, value):
    return struct.pack("<iIQ", status, 0, value)


def ready(version=0x00010000):
    return hdr(READY, 24) + struct.pack("<II", version, 1)


def status(typ=STATUS, seq=2, vf_binding=1, vf_status=0):
    body = struct.pack("<13Q", 1000, 0, 0, 0, 0, 0, 1000, 1000, 0, 0, 0, 1000, 1)
    body += struct.pack("<6I", 2, vf_binding, vf_status, 1, 1, 1000 if typ == SENT else 0)
    return hdr(typ, 16 + len(body), seq) + body


def name(s):
    b = s.encode() if isinstance(s, str) else s
    return b + b"\0" * (32 - len(b))


def adapter(nm, driver, state, flags, caps, serial, bindings, total=None):
    rows = b"".join(name(p) + struct.pack("<II", st, code) for p, st, code in bindings)
    rows += b"\0" * (40 * (8 - len(bindings)))
    return (name(nm) + name(driver) +
            struct.pack("<8I", state, 0, 0, caps, flags, serial, len(bindings),
                        len(bindings) if total is None else total) + rows)


def ndiskd(adapters, seq=3, version=1, total=None, size=None):
    body = struct.pack("<IIII", version, len(adapters), len(adapters) if total is None else total, 0)
    body += b"".join(adapters) + b"\0" * (416 * (4 - len(adapters)))
    return hdr(NDISKD, size if size is not None else 16 + len(body), seq) + body


NETVSC = adapter("Ethernet", "netvsc", A_RUNNING, SYNTHETIC, 0, 0,
                 [("IOVTRAFFIC", B_BOUND, 0)])
VF_OK = adapter("Ethernet 2", "srnic_vf", A_RUNNING, VF | VPCI, 0x4, 1,
                [("NETVSCVFPP", B_BOUND, 0)])
VF_DECLINED = adapter("Ethernet 2", "srnic_vf", A_RUNNING, VF, 0x4, 0,
                      [("NETVSCVFPP", B_DECLINED, NOT_SUPPORTED)])


def send(size=64, count=1000, seq=4, typ=SEND):
    return hdr(typ, 32, seq) + bytes([0, 0x15, 0x5D, 0x0A, 0x1B, 0x02]) + struct.pack("<HII", 0, count, size)


def ndiskd_query(version=1, seq=5):
    return hdr(NDISKD_QUERY, 24, seq) + struct.pack("<II", version, 0)


def net(op, addr=0x0A000016, port=7, count=0, size=0, timeout=10000, nbytes=0, reserved=0, seq=6):
    return hdr(NET, 48, seq) + struct.pack("<IIHHIIIQ", op, addr, port, reserved, count, size, timeout, nbytes)


def net_done(op, status=0, sent=4, received=4, lost=0, bad=0, rtt=(100, 200, 300), flags=0, reserved=0, seq=6):
    return hdr(NET_DONE, 120, seq) + struct.pack("<Ii11QII", op, status, sent, received, lost, bad, 0, 5000,
                                                 rtt[0], rtt[1], rtt[2], 4, 0, flags, reserved)


def windows(*w):
    return bytes([len(w)]) + b"".join(struct.pack("<QQ", b, s) for b, s in w)


def write(target, fname, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


M, C = 0, 1  # host record kinds
two = windows((W0, 0x4000), (W1, 0x1000))
write("vmctl_host", "mmio-valid", two + b"".join(rec(M, x) for x in [
    mmio(READ, W0), mmio(WRITE, W0 + 0x10, 0x1), mmio(READ, W0 + 0x3FFC), mmio(READ, W1 + 0xFFC),
    mmio(WRITE, W1, 0xFFFFFFFF), mmio(DOORBELL, W0, 0x40000), mmio(DOORBELL, W1, 0)]))
write("vmctl_host", "mmio-refused", two + b"".join(rec(M, x) for x in [
    mmio(READ, W0 + 0x4000), mmio(READ, W0 - 4), mmio(READ, W0 + 2), mmio(READ, W0, size=8),
    mmio(4, W0), mmio(DOORBELL, W0, 0x40001), mmio(DOORBELL, W0, 0xFFFFFFFFFFFFF000),
    mmio(DOORBELL, W0 + 0x4000, 0x40000), mmio(WRITE, W0, 1 << 32), mmio(READ, 0), mmio(READ, 0xFFFFFFFFFFFFFFFC),
    mmio(READ, W0)[:23], mmio(READ, W0) + b"\0", b""]))
write("vmctl_host", "mmio-edge-windows", windows((0xFFFFFFFFFFFFF000, 0x2000), (0x1000, 2), (0, 0)) +
      b"".join(rec(M, x) for x in [mmio(READ, 0xFFFFFFFFFFFFFFFC), mmio(READ, 0x1000), mmio(READ, 0)]))
write("vmctl_host", "control-valid", windows() + b"".join(rec(C, x) for x in [
    ready(), status(), status(SENT, 4), ndiskd([NETVSC, VF_OK])]))
write("vmctl_host", "net-done", windows() + b"".join(rec(C, x) for x in [
    net_done(PING), net_done(TCP, sent=1 << 20, received=1 << 20, rtt=(0, 0, 0), flags=1),
    net_done(UDP, sent=100, received=98, lost=2, rtt=(0, 0, 0)), net_done(TCP, status=-104, received=0),
    net_done(PING, status=-110, sent=4, received=0, lost=4, rtt=(0, 0, 0)),
    net_done(0), net_done(4), net_done(PING, status=1), net_done(PING, status=-4096), net_done(TCP, flags=2),
    net_done(TCP, reserved=1), net_done(UDP, sent=1, received=2), net_done(PING, rtt=(300, 200, 100)),
    net_done(PING)[:119], net_done(PING) + b"\0", net(PING, count=4)]))
write("vmctl_host", "ndiskd-declined", windows() + rec(C, ndiskd([NETVSC, VF_DECLINED])))
write("vmctl_host", "ndiskd-truncated", windows() + rec(C, ndiskd(
    [NETVSC, VF_OK, VF_DECLINED, adapter("Ethernet 4", "", A_HALTED, 0, 0, 0, [])], total=9)))
bad_name = NETVSC[:0] + b"E" * 32 + NETVSC[32:]
bad_state = NETVSC[:64] + struct.pack("<I", 7) + NETVSC[68:]
bad_bstate = NETVSC[:96 + 32] + struct.pack("<I", 5) + NETVSC[96 + 36:]
bad_count = NETVSC[:88] + struct.pack("<II", 9, 9) + NETVSC[96:]
ctrl = b"\x1bE[2J".ljust(32, b"\0")
bad_ctrl = ctrl + NETVSC[32:]
unused_dirty = NETVSC[:-1] + b"\x01"
full = ndiskd([NETVSC, VF_OK])
write("vmctl_host", "control-malformed", windows() + b"".join(rec(C, x) for x in [
    b"", ready()[:15], ready()[:20], hdr(READY, 99) + ready()[16:], hdr(0x12345678, 16),
    send(), hdr(QUERY, 16), ndiskd_query(), ready(0x00020000), status(vf_binding=4),
    full[:-1], full + b"\0", ndiskd([NETVSC], version=2), ndiskd([NETVSC], total=0),
    ndiskd([bad_name]), ndiskd([bad_state]), ndiskd([bad_bstate]), ndiskd([bad_count]),
    ndiskd([bad_ctrl]), ndiskd([unused_dirty]), full[:-416] + b"\x01" + full[-415:],
    bytes(range(256)) * 8]))
write("vmctl_host", "empty", b"")

G, R = 0, 1  # guest record kinds
write("vmctl_guest", "control-valid", b"".join(rec(G, x) for x in [
    send(), send(60), send(1514), send(64, 100000, 6, SEND_FLOOD), hdr(QUERY, 16), ndiskd_query(), hdr(EXIT, 16)]))
write("vmctl_guest", "control-malformed", b"".join(rec(G, x) for x in [
    b"", hdr(QUERY, 16)[:12], hdr(QUERY, 17) + b"\0", hdr(QUERY, 32) + b"\0" * 16, send(59), send(1515),
    send(59, typ=SEND_FLOOD), send(typ=SEND_FLOOD)[:31],
    send()[:31], send() + b"\0", status(), ready(), full, ndiskd_query(2), ndiskd_query()[:20],
    hdr(0xFFFFFFFF, 16), bytes(range(64))]))
write("vmctl_guest", "net", b"".join(rec(G, x) for x in [
    net(PING, port=0, count=4, size=56), net(TCP, nbytes=1 << 20), net(UDP, count=100, size=1472),
    net(UDP, count=1, size=8), net(TCP, nbytes=1 << 32, timeout=600000),
    net(0), net(4, count=1), net(PING, port=7, count=4), net(PING, port=0, count=0), net(PING, port=0, count=1, size=1473),
    net(TCP, nbytes=0), net(TCP, port=0, nbytes=1), net(TCP, nbytes=(1 << 32) + 1), net(TCP, nbytes=1, count=1),
    net(UDP, count=1, size=7), net(UDP, count=1000001, size=8), net(UDP, count=1, size=8, nbytes=1),
    net(PING, addr=0, port=0, count=1), net(PING, addr=0xFFFFFFFF, port=0, count=1),
    net(PING, port=0, count=1, timeout=0), net(PING, port=0, count=1, timeout=600001),
    net(PING, port=0, count=1, reserved=1), net(TCP, nbytes=1)[:47], net(TCP, nbytes=1) + b"\0",
    net_done(PING)]))
write("vmctl_guest", "mmio-completions", b"".join(rec(R, x) for x in [
    resp(0, 0x12345678), resp(0, 0), resp(-EFAULT, 0xFFFFFFFF), resp(-EIO, 0xFFFFFFFF), resp(-EINVAL, 0),
    resp(5, 0), resp(-1, 0), resp(0, 1 << 32), resp(0, 0)[:15], resp(0, 0) + b"\0", b""]))
write("vmctl_guest", "empty", b"")


# diagnose (VMCTL_MSG_DIAG_QUERY / VMCTL_MSG_DIAG): a header, then JSON text.
DIAG_QUERY, DIAG = BASE + 32, BASE + 33


def diag(text, version=1, length=None, size=None):
    body = struct.pack("<II", version, len(text) if length is None else length) + text
    return hdr(DIAG, 16 + len(body) if size is None else size, 6) + body


def diag_query(version=1, seq=6):
    return hdr(DIAG_QUERY, 24, seq) + struct.pack("<II", version, 0)


FACTS = b'{"v":1,"error":"the guest\'s facts do not fit the message"}'
write("vmctl_host", "diag", windows() + b"".join(rec(C, x) for x in [
    diag(FACTS), diag(b"x"), diag(b"a" * 4096), diag(b""), diag(b"a" * 4097), diag(FACTS, version=2),
    diag(FACTS, length=3), diag(FACTS[:-1] + b"\n"), diag(FACTS, size=99), diag_query()]))
write("vmctl_guest", "diag-query", b"".join(rec(G, x) for x in [
    diag_query(), diag_query(2), diag_query()[:20], diag_query() + b"\0", diag(FACTS)]))


# live capture (VMCTL_MSG_CAPTURE_START / _STOP / _ACK): the host names the part, the guest acknowledges.
CAPTURE_START, CAPTURE_STOP, CAPTURE_ACK = BASE + 40, BASE + 41, BASE + 42


def field(s, n):
    b = s.encode() if isinstance(s, str) else s
    return b + b"\0" * (n - len(b))


def capture_start(part="/tmp/lab.pcapng.vm1.1.part", filters=(), version=1, nfilters=None, seq=7, size=None):
    rows = b"".join(field(f, 64) for f in filters) + b"\0" * (64 * (8 - len(filters)))
    body = struct.pack("<II", version, len(filters) if nfilters is None else nfilters) + field(part, 512) + rows
    return hdr(CAPTURE_START, 16 + len(body) if size is None else size, seq) + body


def capture_ack(op=CAPTURE_STOP, status=0, frames=100, seq=7):
    return hdr(CAPTURE_ACK, 32, seq) + struct.pack("<IiQ", op, status, frames)


write("vmctl_guest", "capture", b"".join(rec(G, x) for x in [
    capture_start(), capture_start(filters=("vm1*", "*uplink")), hdr(CAPTURE_STOP, 16),
    capture_start("tmp/x.part"), capture_start("/tmp/x.pcapng"), capture_start("/tmp/../etc/x.part"),
    capture_start("/tmp/./x.part"), capture_start("/tmp//x.part"), capture_start(""), capture_start("/a" * 256),
    capture_start(b"/tmp/x.part\0junk"), capture_start(b"/tmp/\x1b.part"), capture_start(version=2),
    capture_start(filters=("vm1*",), nfilters=0), capture_start(filters=("",)), capture_start(filters=("v" * 64,)),
    capture_start(nfilters=9), capture_start()[:-1], capture_start() + b"\0", hdr(CAPTURE_STOP, 16)[:12],
    hdr(CAPTURE_STOP, 17) + b"\0", capture_ack()]))
write("vmctl_host", "capture-ack", windows() + b"".join(rec(C, x) for x in [
    capture_ack(), capture_ack(CAPTURE_START, 0, 0), capture_ack(CAPTURE_START, -2, 0), capture_ack(status=-5),
    capture_ack(CAPTURE_START, 0, 1), capture_ack(SEND), capture_ack(status=1), capture_ack(status=-4096),
    capture_ack()[:31], capture_ack() + b"\0", hdr(CAPTURE_STOP, 16), capture_start()]))
