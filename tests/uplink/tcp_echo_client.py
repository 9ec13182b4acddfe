#!/usr/bin/env python3
"""tcp_echo_client.py ADDR [PORT [BYTES]]: stream BYTES (default 1 MiB) to a
TCP echo service and check every echoed byte. The stream is the pattern of
guest_tcpip_pattern() (src/hv/guest_tcpip.c), so a VM's lwIP client and this
Linux client send the same bytes. Exit 0 only if all came back equal."""
import socket
import sys
import threading


def pat(o):
    return ((o * 131) ^ (o >> 9) ^ 0x5A) & 0xFF


addr = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 7
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 20
data = bytes(pat(i) for i in range(n))
c = socket.create_connection((addr, port), timeout=10)
t = threading.Thread(target=c.sendall, args=(data,), daemon=True)
t.start()
got = bytearray()
while len(got) < n:
    d = c.recv(65536)
    if not d:
        break
    got += d
t.join(10)
c.close()
bad = sum(1 for a, b in zip(got, data) if a != b)
print(f"TCP client: {len(got)} of {n} bytes echoed by {addr}:{port}, {bad} differ")
sys.exit(0 if len(got) == n and bad == 0 else 1)
