#!/usr/bin/env bash
# tests/uplink/test_netns.sh IOVLAB SRCDIR -- the lab's uplink on a real
# Linux network (docs/uplinks.md): a network namespace and a veth pair made
# for this run, the lab's [nic] uplink on the root-side end (veth:IFNAME,
# an AF_PACKET socket), and traffic both ways through the PF's NIC switch
# and the VMs' VFs:
#   - the VM pings the namespace and streams 1 MiB over TCP to a Linux echo
#     server there, verified byte for byte (the lab's own ping/tcp steps),
#     then 4 MiB across IovWeight 100 -> 0 -> 100 with the connection intact;
#   - the namespace pings the VM with Linux's ping and streams 1 MiB to the
#     VM's TCP echo service (lwIP, port 7) with a python3 client that checks
#     every echoed byte.
# Needs root (CAP_NET_ADMIN for the namespace, CAP_NET_RAW for the socket):
# CI runs as root; without it the test FAILS, it is never skipped. Every
# name is unique to this run and removed on exit; addresses are 10.x inside
# the namespace this test made.
set -u
IOVLAB=$1
SRC=$2

fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root: it creates a network namespace and a veth pair (CI runs as root)"
for t in ip ping python3 ethtool; do
	command -v "$t" >/dev/null || fail "'$t' is not installed (scripts/deps.sh installs it)"
done

id=$$
net=$(( (id % 200) + 20 ))
ns="iovlab-ns-$id"
vr="iovr$id"		# the lab's end, in this namespace
vn="iovn$id"		# the other end, in $ns
work=$(mktemp -d)
lab_pid=
cleanup() {
	[ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null
	[ -n "${echo_pid:-}" ] && kill "$echo_pid" 2>/dev/null
	ip link del "$vr" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns" || fail "ip netns add $ns"
ip link add "$vr" type veth peer name "$vn" || fail "ip link add $vr type veth"
ip link set "$vn" netns "$ns" || fail "moving $vn into $ns"
ip -n "$ns" addr add "10.$net.0.1/24" dev "$vn" || fail "address in $ns"
ip -n "$ns" link set lo up
ip -n "$ns" link set "$vn" up || fail "$vn up"
ip link set "$vr" up || fail "$vr up"
# Whole frames with real checksums on the wire (hostif.h): no TSO/GSO super-frames, no partial checksums.
ip netns exec "$ns" ethtool -K "$vn" tx off tso off gso off gro off >/dev/null 2>&1 || fail "ethtool -K $vn"
ethtool -K "$vr" tx off tso off gso off gro off >/dev/null 2>&1 || fail "ethtool -K $vr"

# A Linux TCP echo server in the namespace (port 7007) for the VM's tcp step.
cat > "$work/echo.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7007)); s.listen(4)
open(sys.argv[2], "w").close()	# listening: the lab may connect
def serve(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d: return
            c.sendall(d)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
ip netns exec "$ns" python3 "$work/echo.py" "10.$net.0.1" "$work/listening" & echo_pid=$!
for _ in $(seq 1 100); do [ -e "$work/listening" ] && break; sleep 0.05; done
[ -e "$work/listening" ] || fail "the namespace's echo server did not start"


sed -e '/^\[script\]/,$d' -e "s/^uplink .*/uplink    = veth:$vr/" \
    -e "s#^ip *= 10.0.0.21/24#ip         = 10.$net.0.21/24#" -e "s#^ip *= 10.0.0.22/24#ip         = 10.$net.0.22/24#" \
    "$SRC/labs/default.lab" > "$work/netns.lab"
cat >> "$work/netns.lab" <<EOF2
[script]
step = wait vfdatapath vm1 true 10s
step = wait vfdatapath vm2 true 10s
step = ping vm1 10.$net.0.1 3
step = tcp vm1 10.$net.0.1:7007 1M
step = tcp vm1 10.$net.0.1:7007 4M background
step = sleep 50ms
step = set vmnetworkadapter vm1 IovWeight 0
step = wait vfdatapath vm1 false 5s
step = sleep 200ms
step = set vmnetworkadapter vm1 IovWeight 100
step = wait vfdatapath vm1 true 10s
step = wait tcp vm1 done 30s
step = echo READY for the namespace
step = sleep 8s
EOF2
grep -q "veth:$vr" "$work/netns.lab" || fail "the lab's uplink was not rewritten"

"$IOVLAB" run "$work/netns.lab" > "$work/out" 2>&1 & lab_pid=$!
# Up to 90 s: the script streams 4 MiB across an IovWeight cycle first, slow under ASan on 2 cores;
# the lab's own waits bound each step, and a lab that exits ends the loop at once.
for _ in $(seq 1 900); do
	grep -q "READY for the namespace" "$work/out" && break
	kill -0 "$lab_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "READY for the namespace" "$work/out" || { cat "$work/out"; fail "the lab did not reach the namespace part"; }

ip netns exec "$ns" ping -c 3 -W 2 "10.$net.0.21" || { cat "$work/out"; fail "Linux ping from $ns to vm1 (10.$net.0.21)"; }
ip netns exec "$ns" ping -c 2 -W 2 "10.$net.0.22" || { cat "$work/out"; fail "Linux ping from $ns to vm2"; }
ip netns exec "$ns" python3 "$SRC/tests/uplink/tcp_echo_client.py" "10.$net.0.22" || { cat "$work/out"; fail "TCP from $ns to vm2's echo service"; }

wait "$lab_pid"; rc=$?; lab_pid=
cat "$work/out"
[ $rc -eq 0 ] || fail "iovlab run exited $rc"
grep -Eq "ok: ping vm1 10\.$net\.0\.1 3: 3 sent, 3 answered, 0 lost" "$work/out" || fail "vm1's ping to the namespace"
grep -Eq "ok: tcp vm1 .*1048576 of 1048576 bytes echoed, 0 differ, connection intact.* [1-9][0-9]* frames through the VF" "$work/out" ||
	fail "vm1's TCP stream to the namespace did not come back whole through the VF"
grep -Eq "ok: wait tcp vm1 done 30s: 4194304 of 4194304 bytes echoed, 0 differ, connection intact" "$work/out" ||
	fail "vm1's TCP stream to the namespace across IovWeight 100 -> 0 -> 100"
echo "PASS: ping and TCP both ways between $ns and the VMs through veth:$vr and the VFs"
