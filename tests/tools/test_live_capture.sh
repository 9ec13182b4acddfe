#!/usr/bin/env bash
# `iovlab capture start|stop` against a running lab (docs/capture.md, live
# capture): `iovlab up labs/default.lab`, a capture started on it (a
# relative FILE made absolute by the client), 100 test frames vm1 -> vm2,
# the capture stopped and read back with capinfos/tshark -- vm1's NetVsc,
# its VF and vm2's NetVsc each carry exactly the 100 frames. One capture at
# a time; stop without start, a relative path on the raw protocol and an
# unwritable path are clear errors that leave nothing behind. A second
# capture in the same processes (points bound again) keeps only its
# --point patterns; a VM killed and started again while a capture runs
# leaves its old part and joins with a new one; a guest still booting at
# the start is asked once it runs.
# Usage: test_live_capture.sh IOVLAB SOURCE_ROOT
set -u
iovlab=$(realpath "$1")
root=$2
fails=0
t=$(mktemp -d)
S=$t/lab.sock
up=
cleanup() {
	[ -n "$up" ] && kill -KILL "$up" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
vm1=00:15:5d:0a:1b:01
vm2=00:15:5d:0a:1b:02

for tool in capinfos tshark python3; do
	if ! command -v $tool >/dev/null; then
		echo "FAIL: $tool is not installed (scripts/deps.sh installs tshark)"
		exit 1
	fi
done

fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() {	# check NAME EXPECTED_RC CMD... ; output in $t/out
	local name=$1 want=$2
	shift 2
	timeout 60 "$@" >"$t/out" 2>&1
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit $rc, want $want"; cat "$t/out"
		return 1
	fi
	echo "ok   $name"
}
has() {		# has NAME TEXT: $t/out contains TEXT
	grep -qF -- "$2" "$t/out" || { fail "$1: output lacks '$2'"; cat "$t/out"; }
}
# as test_capture.sh: one line per frame, only the numbered test frames (ethertype 0x88b5) are counted
fields() {
	tshark -r "$1" -T fields -e frame.interface_name -e eth.src -e eth.dst -e frame.packet_flags_direction \
		-e eth.type 2>/dev/null | sed 's/\t0x0000000\([12]\)\t/\t\1\t/'
}
count() {	# count NAME FILE IFACE-REGEX SRC DST DIR WANT
	local got
	got=$(awk -F'\t' -v i="^($3)\$" -v s="$4" -v d="$5" -v r="$6" \
		'$1 ~ i && $5 == "0x88b5" && (s == "*" || $2 == s) && (d == "*" || $3 == d) && (r == "*" || $4 == r)' "$2" | wc -l)
	if [ "$got" -ne "$7" ]; then
		fail "$1: $got frames on '$3' from $4 to $5 dir $6, want $7"
	else
		echo "ok   $1 ($got on '$3')"
	fi
}
has_iface() {	# has_iface NAME FILE REGEX
	grep -Eq "^ +Name = ($3)\$" "$2" || { fail "$1: no interface '$3'"; grep "Name =" "$2"; }
}
# wait_datapath VM: until the VM's VFDataPathActive is True again (10 s at most)
wait_datapath() {
	for _ in $(seq 100); do
		timeout 20 "$iovlab" show "Get-VMNetworkAdapter -VMName $1 | fl VFDataPathActive" --socket "$S" 2>&1 |
			grep -q "VFDataPathActive *: True" && { echo "ok   $1 back on its VF"; return 0; }
		sleep 0.1
	done
	fail "$1 did not come back on its VF"
}
no_parts() {
	ls "$t"/*.part >/dev/null 2>&1 && fail "$1: parts left behind: $(ls "$t")"
}

"$iovlab" up "$root/labs/default.lab" --socket "$S" >"$t/up.out" 2>&1 &
up=$!
for _ in $(seq 200); do grep -qF "serving on $S" "$t/up.out" 2>/dev/null && break; sleep 0.1; done
grep -qF "serving on $S" "$t/up.out" || { fail "up: the lab did not come up"; cat "$t/up.out"; exit 1; }
echo "ok   up"

check stop-without-start 1 "$iovlab" capture stop --socket "$S" && has stop-without-start "no capture is running"
check unwritable 1 "$iovlab" capture start /nonexistent-dir/x.pcapng --socket "$S" &&
	has unwritable "cannot create /nonexistent-dir/x.pcapng"
check usage 2 "$iovlab" capture start --socket "$S"
check raw-relative 0 python3 - "$S" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def cmd(m):
    f.write(json.dumps(m) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r
json.loads(f.readline())
cmd({"execute": "qmp_capabilities"})
r = cmd({"execute": "capture-start", "arguments": {"file": "rel.pcapng"}})
assert "is not an absolute path" in r["error"]["desc"], r
r = cmd({"execute": "capture-start", "arguments": {"file": "/tmp/x.pcapng", "points": ["a"] * 9}})
assert "at most 8" in r["error"]["desc"], r
print("raw errors ok")
PY
no_parts errors

# ---- a capture on the running lab; FILE relative: the client makes it absolute ----
(cd "$t" && check start 0 "$iovlab" capture start live.pcapng --socket "$S") && has start "capturing into $t/live.pcapng"
check second-start 1 "$iovlab" capture start "$t/other.pcapng" --socket "$S" && has second-start "already running"
check send 0 "$iovlab" send vm1 vm2 100 64 --socket "$S" && has send "100 frames sent"
check stop 0 "$iovlab" capture stop --socket "$S" &&
	has stop "capture: " && has stop "written to $t/live.pcapng (3 processes merged)"
[ -e "$t/other.pcapng" ] && fail "second-start: wrote $t/other.pcapng"
no_parts live
capinfos "$t/live.pcapng" >"$t/info" 2>&1 || fail "capinfos refused the file: $(cat "$t/info")"
grep -q "Strict time order: *True" "$t/info" || fail "merged file not in time order"
for i in 'vm1 NetVsc' 'pf0 VF [0-9]+ \(vm1\)' 'vm2 NetVsc'; do
	has_iface "live iface" "$t/info" "$i"
done
fields "$t/live.pcapng" >"$t/f"
count live-vm1-netvsc "$t/f" 'vm1 NetVsc' $vm1 $vm2 2 100
count live-vm1-vf "$t/f" 'pf0 VF [0-9]+ \(vm1\)' $vm1 $vm2 2 100
count live-vm2-netvsc "$t/f" 'vm2 NetVsc' $vm1 $vm2 1 100

# ---- again in the same processes, filtered: cached points are bound to the new capture ----
check start-filtered 0 "$iovlab" capture start "$t/f.pcapng" --point 'vm1*' --socket "$S"
check send-filtered 0 "$iovlab" send vm1 vm2 50 64 --socket "$S"
check stop-filtered 0 "$iovlab" capture stop --socket "$S" && has stop-filtered "on 1 capture points"
fields "$t/f.pcapng" >"$t/f"
count filtered-vm1 "$t/f" 'vm1 NetVsc' $vm1 $vm2 2 50
count filtered-nothing-else "$t/f" 'vm2 NetVsc|pf0.*|vSwitch.*' '*' '*' '*' 0

# ---- a VM killed and started again while capturing: the old part stays, the new process joins ----
# (the killed guest flushed its part within 0.1 s of its last frame: its 30 frames are kept)
check start-restart 0 "$iovlab" capture start "$t/r.pcapng" --socket "$S"
check send-before-kill 0 "$iovlab" send vm1 vm2 30 64 --socket "$S"
sleep 0.5
check kill 0 "$iovlab" vm kill vm2 --socket "$S"
check vm-start 0 "$iovlab" vm start vm2 --socket "$S"
wait_datapath vm2
check send-restart 0 "$iovlab" send vm1 vm2 20 64 --socket "$S"
check stop-restart 0 "$iovlab" capture stop --socket "$S" && has stop-restart "(4 processes merged)"
fields "$t/r.pcapng" >"$t/f"
count restart-vm1 "$t/f" 'vm1 NetVsc' $vm1 $vm2 2 50
count restart-vm2 "$t/f" 'vm2 NetVsc' $vm1 $vm2 1 50
no_parts restart

# ---- a capture started while a guest boots: the guest is asked once it runs (within a second) ----
check kill-2 0 "$iovlab" vm kill vm2 --socket "$S"
check vm-start-2 0 "$iovlab" vm start vm2 --socket "$S"
check start-booting 0 "$iovlab" capture start "$t/b.pcapng" --socket "$S"
wait_datapath vm2
sleep 1.5
check send-booting 0 "$iovlab" send vm1 vm2 10 64 --socket "$S"
check stop-booting 0 "$iovlab" capture stop --socket "$S"
fields "$t/b.pcapng" >"$t/f"
count booting-vm2 "$t/f" 'vm2 NetVsc' $vm1 $vm2 1 10
no_parts booting

check down 0 "$iovlab" down --socket "$S"
wait "$up"; rc=$?
up=
[ $rc -eq 0 ] || { fail "up exited $rc"; cat "$t/up.out"; }

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all live capture checks passed"
