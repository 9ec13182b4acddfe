#!/usr/bin/env bash
# tests/uplink/test_tap.sh IOVLAB SRCDIR -- the lab's uplink on a TAP device
# (docs/uplinks.md, uplink = tap:IFNAME): iovlab runs inside a network
# namespace made for this run and creates the TAP there (/dev/net/tun,
# IFF_TAP | IFF_NO_PI); the namespace gets an address on it, pings vm1 with
# Linux's ping and streams 1 MiB to vm1's TCP echo service; vm1 pings the
# namespace back. Also: an uplink that cannot be opened (veth: no such
# interface) is a note and an unplugged port, not a failure of the host.
# Needs root (CI runs as root); without it the test FAILS. Names are unique
# to the run and removed on exit; addresses are 10.x inside the namespace.
set -u
IOVLAB=$1
SRC=$2

fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root: it creates a network namespace and a TAP device (CI runs as root)"
for t in ip ping python3; do
	command -v "$t" >/dev/null || fail "'$t' is not installed (scripts/deps.sh installs it)"
done

id=$$
net=$(( (id % 200) + 20 ))
ns="iovlab-tap-$id"
tap="iovt$id"
work=$(mktemp -d)
lab_pid=
cleanup() {
	[ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# An uplink that is not there: noted, the port unplugged, the lab still runs.
sed -e '/^\[script\]/,$d' -e "s/^uplink .*/uplink    = veth:nosuch$id/" "$SRC/labs/default.lab" > "$work/missing.lab"
printf '[script]\nstep = echo the host is up\n' >> "$work/missing.lab"
"$IOVLAB" run "$work/missing.lab" > "$work/missing.out" 2>&1 || { cat "$work/missing.out"; fail "a missing uplink failed the lab"; }
grep -q "note: nic pf0: uplink veth:nosuch$id: no such interface; the port is left unplugged" "$work/missing.out" ||
	{ cat "$work/missing.out"; fail "no note for the missing uplink"; }

ip netns add "$ns" || fail "ip netns add $ns"
ip -n "$ns" link set lo up
sed -e '/^\[script\]/,$d' -e "s/^uplink .*/uplink    = tap:$tap/" \
    -e "s#^ip *= 10.0.0.21/24#ip         = 10.$net.0.21/24#" -e "s#^ip *= 10.0.0.22/24#ip         = 10.$net.0.22/24#" \
    "$SRC/labs/default.lab" > "$work/tap.lab"
cat >> "$work/tap.lab" <<EOF2
[script]
step = wait vfdatapath vm1 true 10s
step = echo READY for the namespace
step = sleep 1s
step = ping vm1 10.$net.0.1 3
step = sleep 4s
EOF2
grep -q "tap:$tap" "$work/tap.lab" || fail "the lab's uplink was not rewritten"

ip netns exec "$ns" "$IOVLAB" run "$work/tap.lab" > "$work/out" 2>&1 & lab_pid=$!
for _ in $(seq 1 200); do
	grep -q "READY for the namespace" "$work/out" && break
	kill -0 "$lab_pid" 2>/dev/null || break
	sleep 0.05
done
grep -q "READY for the namespace" "$work/out" || { cat "$work/out"; fail "the lab did not come up"; }
ip -n "$ns" link show "$tap" >/dev/null 2>&1 || { cat "$work/out"; fail "iovlab did not create $tap in $ns"; }
ip -n "$ns" addr add "10.$net.0.1/24" dev "$tap" || fail "address on $tap"
ip -n "$ns" link set "$tap" up

ip netns exec "$ns" ping -c 3 -W 2 "10.$net.0.21" || { cat "$work/out"; fail "Linux ping over $tap to vm1"; }
ip netns exec "$ns" python3 "$SRC/tests/uplink/tcp_echo_client.py" "10.$net.0.21" ||
	{ cat "$work/out"; fail "TCP over $tap to vm1's echo service"; }

wait "$lab_pid"; rc=$?; lab_pid=
cat "$work/out"
[ $rc -eq 0 ] || fail "iovlab run exited $rc"
grep -Eq "ok: ping vm1 10\.$net\.0\.1 3: 3 sent, 3 answered, 0 lost; .* [1-9][0-9]* frames through the VF" "$work/out" ||
	fail "vm1's ping over the TAP to the namespace"
echo "PASS: ping and TCP both ways between $ns and vm1 through tap:$tap and the VF"
