#!/usr/bin/env python3
"""Write the seed corpora of fuzz_nvsp_host and fuzz_nvsp_guest.

Each seed is a sequence of records "u8 kind | u8 tid kind | u16 tid low |
u16 len | len bytes" (see fuzz_nvsp_records.h). The seeds
walk the real message sequences of wire/nvsp.h and wire/rndis.h -- the
handshake, frames inline and in sections, VF association, switch and
revoke -- plus malformed variants, so the fuzzer starts from inputs that
reach deep into both engines. Run from anywhere; rewrites the files.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

INBAND, COMP, MEMWRITE, CALL = 0, 1, 2, 3
TID_DATA, TID_CONTROL, TID_INLINE, TID_ASSOC, TID_SWITCH = 0x00, 0x01, 0x02, 0x80, 0x81

INIT, INIT_COMPLETE = 1, 2
NDIS_VER, RECV_BUF, RECV_BUF_COMPLETE, REVOKE_RECV_BUF = 100, 101, 102, 103
SEND_BUF, SEND_BUF_COMPLETE, REVOKE_SEND_BUF = 104, 105, 106
RNDIS_PKT, RNDIS_PKT_COMPLETE, NDIS_CONFIG = 107, 108, 125
VF_ASSOC, SWITCH = 128, 129
V4 = 0x40000
INLINE = 0xFFFFFFFF
SECTION = 2048

R_PACKET, R_QUERY, R_SET, R_STATUS = 1, 4, 5, 7
R_QUERY_CMPLT, R_SET_CMPLT = 0x80000004, 0x80000005


def rec(kind, tk=0, low=0, body=b""):
    return struct.pack("<BBHH", kind, tk, low, len(body)) + body


def hdr(t):
    return struct.pack("<II", t, 0)


def frame(n, tag=0):
    return bytes([0xff] * 6 + [0, 0x15, 0x5d, 1, 2, 3, 0x88, 0xb5]) + bytes(
        (tag + i) & 0xff for i in range(n - 14))


def rndis_packet(f):
    return struct.pack("<IIII", R_PACKET, 16 + len(f), 16, len(f)) + f


def rndis_request(t, rid, oid, info=b""):
    return struct.pack("<IIIIII", t, 24 + len(info), rid, oid, len(info),
                       24 if info else 0) + info


def rndis_complete(t, rid, status, info=b""):
    return struct.pack("<IIIIII", t, 24 + len(info), rid, status, len(info),
                       24 if info else 0) + info


def rndis_status(status):
    return struct.pack("<IIII", R_STATUS, 16, status, 0)


def rndis_pkt(channel, index, msg_or_size):
    if index == INLINE:
        return hdr(RNDIS_PKT) + struct.pack("<IIII", channel, INLINE, len(msg_or_size),
                                            0) + msg_or_size
    return hdr(RNDIS_PKT) + struct.pack("<IIII", channel, index, msg_or_size, 0)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- host seeds: what a guest sends ------------------------------------------

def host_handshake():
    return b"".join([
        rec(INBAND, TID_CONTROL, 1, hdr(INIT) + struct.pack("<II", V4, V4)),
        rec(INBAND, TID_INLINE, 0, hdr(NDIS_CONFIG) + struct.pack("<IIQ", 1500, 0, 0xC)),
        rec(INBAND, TID_INLINE, 0, hdr(NDIS_VER) + struct.pack("<II", 6, 30)),
        rec(INBAND, TID_CONTROL, 2, hdr(RECV_BUF) + struct.pack("<QIHH", 0x10000, 64 * SECTION, 1, 0)),
        rec(INBAND, TID_CONTROL, 3, hdr(SEND_BUF) + struct.pack("<QIHH", 0x40000, 64 * SECTION, 2, 0)),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_request(R_QUERY, 1, 0x01010102))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_request(R_QUERY, 2, 0x00010106))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_request(R_QUERY, 3, 0x00010114))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_request(R_SET, 4, 0x0001010E,
                                                                      struct.pack("<I", 0xB)))),
    ])


def host_frames():
    sec = rndis_packet(frame(1514, 7))
    return host_handshake() + b"".join([
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, rndis_packet(frame(60)))),
        rec(MEMWRITE, 0, 3, sec),
        rec(INBAND, TID_DATA, 3, rndis_pkt(0, 3, len(sec))),
        rec(INBAND, TID_DATA, 3, rndis_pkt(0, 3, len(sec))),
        rec(CALL, 2, 60),          # a frame to the guest: receive section 0
        rec(COMP, TID_DATA, 0, hdr(RNDIS_PKT_COMPLETE) + struct.pack("<II", 1, 0)),
        rec(COMP, TID_DATA, 0, hdr(RNDIS_PKT_COMPLETE) + struct.pack("<II", 1, 0)),
        rec(CALL, 3, 0),           # link down
        rec(INBAND, TID_INLINE, 0, hdr(REVOKE_SEND_BUF) + struct.pack("<HHI", 2, 0, 0)),
        rec(INBAND, TID_DATA, 3, rndis_pkt(0, 3, len(sec))),
    ])


def host_vf():
    sw_vf = hdr(SWITCH) + struct.pack("<II", 1, 0)
    sw_syn = hdr(SWITCH) + struct.pack("<II", 0, 0)
    ack = hdr(VF_ASSOC) + struct.pack("<II", 1, 1)
    return host_handshake() + b"".join([
        rec(CALL, 0, 0x77),        # VF offered: association 1
        rec(COMP, TID_ASSOC, 1, ack),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, rndis_packet(frame(64)))),
        rec(INBAND, TID_SWITCH, 1, sw_vf),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, rndis_packet(frame(64)))),
        rec(CALL, 1, 0),           # revoke while active: association 2
        rec(INBAND, TID_SWITCH, 2, sw_vf),
        rec(INBAND, TID_SWITCH, 3, sw_syn),
        rec(COMP, TID_ASSOC, 2, ack),
        rec(COMP, TID_ASSOC, 2, ack),
        rec(CALL, 0, 0x78),
        rec(INBAND, TID_SWITCH, 4, sw_vf),
    ])


def host_malformed():
    return host_handshake() + b"".join([
        rec(INBAND, 0, 0, b"abcd"),
        rec(INBAND, 0, 0, hdr(999)),
        rec(INBAND, 0, 0, hdr(INIT_COMPLETE) + struct.pack("<II", V4, 1)),
        rec(INBAND, TID_SWITCH, 0, hdr(SWITCH) + struct.pack("<I", 1)),
        rec(INBAND, TID_DATA, 9999, rndis_pkt(0, 9999, 100)),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, struct.pack("<IIII", R_PACKET, 26, 16, 10) + bytes(10))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, struct.pack("<IIIIII", R_SET, 28, 1, 0x0001010E, 4, 200) + bytes(4))),
        rec(INBAND, TID_SWITCH, 0, hdr(SWITCH) + struct.pack("<II", 7, 0)),
        rec(INBAND, TID_CONTROL, 1, hdr(SWITCH) + struct.pack("<II", 1, 0)),
        rec(COMP, TID_DATA, 200, hdr(RNDIS_PKT_COMPLETE) + struct.pack("<II", 1, 0)),
        rec(COMP, TID_ASSOC, 5, hdr(VF_ASSOC) + struct.pack("<II", 1, 1)),
        rec(INBAND, TID_CONTROL, 9, hdr(INIT) + struct.pack("<II", V4, V4)),
        rec(INBAND, TID_CONTROL, 8, hdr(RECV_BUF) + struct.pack("<QIHH", 0xFFFFF000, 64 * SECTION, 1, 0)),
        rec(MEMWRITE, 0, 5, struct.pack("<IIII", R_PACKET, 999, 16, 60)),
        rec(INBAND, TID_DATA, 5, rndis_pkt(0, 5, 100)),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, b"") + b"x"),
    ])


def host_old_guest():
    return b"".join([
        rec(INBAND, TID_CONTROL, 1, hdr(INIT) + struct.pack("<II", 0x990000, 0x990000)),
        rec(INBAND, TID_INLINE, 0, hdr(NDIS_VER) + struct.pack("<II", 6, 30)),
        rec(INBAND, TID_CONTROL, 2, hdr(INIT) + struct.pack("<II", 2, 0x30002)),
        rec(INBAND, TID_INLINE, 0, hdr(NDIS_CONFIG) + struct.pack("<IIQ", 1500, 0, 0xC)),
        rec(INBAND, TID_SWITCH, 1, hdr(SWITCH) + struct.pack("<II", 1, 0)),
    ])


# ---- guest seeds: what a host sends ------------------------------------------

def guest_receive():
    sec = rndis_packet(frame(1518, 3))
    return b"".join([
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, rndis_packet(frame(60)))),
        rec(MEMWRITE, 0, 5, sec),
        rec(INBAND, TID_DATA, 5, rndis_pkt(0, 5, len(sec))),
        rec(INBAND, TID_DATA, 5, rndis_pkt(0, 5, len(sec))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_status(0x4001000C))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_status(0x4001000B))),
        rec(CALL, 0, 200),         # send a frame: send section 0
        rec(COMP, TID_DATA, 0, hdr(RNDIS_PKT_COMPLETE) + struct.pack("<II", 1, 0)),
        rec(COMP, TID_DATA, 0, hdr(RNDIS_PKT_COMPLETE) + struct.pack("<II", 1, 0)),
    ])


def guest_vf():
    assoc = lambda a: hdr(VF_ASSOC) + struct.pack("<II", a, 0x77)
    ack = lambda dp, st=1: hdr(SWITCH) + struct.pack("<II", st, dp)
    return b"".join([
        rec(INBAND, TID_ASSOC, 1, assoc(1)),
        rec(CALL, 1, 0),           # switch to the VF: seq 1
        rec(CALL, 0, 100),         # held
        rec(COMP, TID_SWITCH, 1, ack(1)),
        rec(CALL, 0, 100),         # through the VF
        rec(INBAND, TID_ASSOC, 2, assoc(0)),   # revoke: back to synthetic, seq 2
        rec(COMP, TID_SWITCH, 2, ack(0)),
        rec(COMP, TID_SWITCH, 2, ack(0)),
        rec(INBAND, TID_ASSOC, 3, assoc(1)),
        rec(CALL, 1, 0),           # seq 3, refused
        rec(COMP, TID_SWITCH, 3, ack(0, 2)),
        rec(CALL, 1, 0),           # seq 4, never answered
        rec(CALL, 3, 0),           # unplug while switching: refused
        rec(COMP, TID_SWITCH, 9, ack(1)),
    ])


def guest_replies():
    return b"".join([
        rec(COMP, TID_CONTROL, 1, hdr(INIT_COMPLETE) + struct.pack("<II", V4, 1)),
        rec(COMP, TID_CONTROL, 2, hdr(RECV_BUF_COMPLETE) + struct.pack("<IIII", 1, SECTION, 64, 0)),
        rec(COMP, TID_CONTROL, 3, hdr(SEND_BUF_COMPLETE) + struct.pack("<IIII", 1, SECTION, 64, 0)),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_complete(R_QUERY_CMPLT, 1, 0, bytes(6)))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_complete(R_SET_CMPLT, 2, 0))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_request(R_QUERY, 1, 1))),
    ])


def guest_malformed():
    return b"".join([
        rec(INBAND, 0, 0, b"\x01"),
        rec(INBAND, 0, 0, hdr(INIT) + struct.pack("<II", V4, V4)),
        rec(INBAND, TID_DATA, 64, rndis_pkt(0, 64, 100)),
        rec(INBAND, TID_DATA, 6, rndis_pkt(1, 6, 100)),
        rec(MEMWRITE, 0, 7, struct.pack("<IIII", R_PACKET, 100, 8, 60)),
        rec(INBAND, TID_DATA, 7, rndis_pkt(0, 7, 100)),
        rec(INBAND, TID_ASSOC, 1, hdr(VF_ASSOC) + struct.pack("<II", 5, 1)),
        rec(INBAND, TID_CONTROL, 1, hdr(VF_ASSOC) + struct.pack("<II", 1, 1)),
        rec(COMP, TID_SWITCH, 0, hdr(SWITCH) + struct.pack("<II", 1, 1)),
        rec(COMP, TID_DATA, 3, hdr(RNDIS_PKT_COMPLETE) + struct.pack("<II", 1, 0)),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(1, INLINE, rndis_status(0x12345678))),
        rec(INBAND, TID_INLINE, 0, rndis_pkt(0, INLINE, rndis_status(0x4001000B))),
    ])


write("nvsp_host", "handshake", host_handshake())
write("nvsp_host", "frames", host_frames())
write("nvsp_host", "vf-switch-revoke", host_vf())
write("nvsp_host", "malformed", host_malformed())
write("nvsp_host", "old-guest", host_old_guest())
write("nvsp_guest", "receive", guest_receive())
write("nvsp_guest", "vf-switch-revoke", guest_vf())
write("nvsp_guest", "replies", guest_replies())
write("nvsp_guest", "malformed", guest_malformed())
