#!/usr/bin/env bash
# `iovlab run --capture` end to end, read back with Wireshark's own tools
# (capinfos, tshark 4.0): every capture point of labs/default.lab is an
# interface with its name; vm1's frames are at its NetVsc, at its VF and at
# vm2's points, and the uplink has the peer's; in labs/vbd-no-forward.lab
# vm1's frames take the synthetic path: on its vSwitch port, never on a VF
# of vm1. --capture-point filters; usage errors exit 2.
# Usage: test_capture.sh IOVLAB SOURCE_ROOT
set -u
iovlab=$(realpath "$1")
root=$2
fails=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
vm1=00:15:5d:0a:1b:01
vm2=00:15:5d:0a:1b:02
peer=02:1a:b4:00:00:01

for tool in capinfos tshark; do
	if ! command -v $tool >/dev/null; then
		echo "FAIL: $tool is not installed (scripts/deps.sh installs tshark)"
		exit 1
	fi
done

fail() { echo "FAIL $*"; fails=$((fails + 1)); }
run() {		# run NAME WANT_RC ARGS...: iovlab run, output in $t/out
	local name=$1 want=$2
	shift 2
	(cd "$root" && "$iovlab" run "$@") >"$t/out" 2>&1
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit $rc, want $want"; grep -E "FAILED|ERROR" "$t/out"; tail -5 "$t/out"
		return 1
	fi
	echo "ok   $name"
}
# fields FILE: one line per frame: interface name <TAB> eth.src <TAB> eth.dst <TAB> direction (1 in, 2 out)
# <TAB> ethertype. Only the numbered test frames of the send steps (ethertype
# 0x88b5, src/hv/guest_traffic.h) are counted: the labs also ping and stream
# TCP through the guests' lwIP, whose frame counts vary with retransmits.
fields() {
	tshark -r "$1" -T fields -e frame.interface_name -e eth.src -e eth.dst -e frame.packet_flags_direction \
		-e eth.type 2>/dev/null | sed 's/\t0x0000000\([12]\)\t/\t\1\t/'
}
# count NAME FILE IFACE-REGEX SRC DST DIR WANT: test frames matching, exactly WANT
count() {
	local got
	got=$(awk -F'\t' -v i="^($3)\$" -v s="$4" -v d="$5" -v r="$6" \
		'$1 ~ i && $5 == "0x88b5" && (s == "*" || $2 == s) && (d == "*" || $3 == d) && (r == "*" || $4 == r)' "$2" | wc -l)
	if [ "$got" -ne "$7" ]; then
		fail "$1: $got frames on '$3' from $4 to $5 dir $6, want $7"
	else
		echo "ok   $1 ($got on '$3')"
	fi
}
has_iface() {	# has_iface NAME FILE REGEX: capinfos lists an interface named so
	if ! grep -Eq "^ +Name = ($3)\$" "$2"; then
		fail "$1: no interface '$3'"; grep "Name =" "$2"
	fi
}

# ---- default.lab: every point, VF path ----
if run default 0 labs/default.lab --capture "$t/d.pcapng"; then
	grep -q "capture: [0-9]* frames on 8 capture points written to $t/d.pcapng (3 processes merged)" "$t/out" ||
		fail "default: summary line: $(grep capture: "$t/out")"
	capinfos "$t/d.pcapng" >"$t/info" 2>&1 || fail "capinfos refused the file: $(cat "$t/info")"
	grep -q "File type: *Wireshark/... - pcapng" "$t/info" || fail "not pcapng: $(head -3 "$t/info")"
	grep -q "Number of interfaces in file: 8" "$t/info" || fail "interface count: $(grep interfaces "$t/info")"
	grep -q "Strict time order: *True" "$t/info" || fail "merged file not in time order"
	for i in 'vm1 NetVsc' 'vm2 NetVsc' 'pf0 VF [0-9]+ \(vm1\)' 'pf0 VF [0-9]+ \(vm2\)' \
		 'vSwitch ext port vm1' 'vSwitch ext port vm2' 'pf0 PF' 'pf0 uplink'; do
		has_iface "default iface" "$t/info" "$i"
	done
	fields "$t/d.pcapng" >"$t/f"
	[ -s "$t/f" ] || fail "tshark read no frames"
	# vm1 -> vm2: 1000 frames, vm1 -> peer: 100 (labs/default.lab's script)
	count vm1-netvsc "$t/f" 'vm1 NetVsc' $vm1 $vm2 2 1000
	count vm1-netvsc-peer "$t/f" 'vm1 NetVsc' $vm1 $peer 2 100
	count vm1-vf "$t/f" 'pf0 VF [0-9]+ \(vm1\)' $vm1 '*' 2 1100
	count vm2-vf "$t/f" 'pf0 VF [0-9]+ \(vm2\)' $vm1 $vm2 1 1000
	count vm2-netvsc "$t/f" 'vm2 NetVsc' $vm1 $vm2 1 1000
	count uplink "$t/f" 'pf0 uplink' $vm1 $peer 2 100
	# the VF path bypasses the host's software
	count vf-path-not-vswitch "$t/f" 'vSwitch ext port vm[12]' $vm1 '*' '*' 0
	count vf-path-not-pf "$t/f" 'pf0 PF' $vm1 '*' '*' 0
fi

# ---- vbd-no-forward.lab: vm1 synthetic ----
if run vbd-no-forward 0 labs/vbd-no-forward.lab --capture "$t/v.pcapng"; then
	capinfos "$t/v.pcapng" >"$t/info" 2>&1 || fail "capinfos refused the file"
	# vm1's VF is allocated (IovUsage 1) but declined in the guest: its interface is there, silent
	for i in 'vm1 NetVsc' 'vm2 NetVsc' 'vSwitch ext port vm1' 'vSwitch ext port vm2' 'pf0 PF' 'pf0 uplink' \
		 'pf0 VF [0-9]+ \(vm1\)' 'pf0 VF [0-9]+ \(vm2\)'; do
		has_iface "vbd iface" "$t/info" "$i"
	done
	fields "$t/v.pcapng" >"$t/f"
	count vbd-vm1-netvsc "$t/f" 'vm1 NetVsc' $vm1 $vm2 2 1000
	count vbd-vm1-port "$t/f" 'vSwitch ext port vm1' $vm1 $vm2 1 1000
	count vbd-vm2-port "$t/f" 'vSwitch ext port vm2' $vm1 $vm2 2 1000
	count vbd-vm2-netvsc "$t/f" 'vm2 NetVsc' $vm1 $vm2 1 1000
	count vbd-not-on-vm1-vf "$t/f" '.*VF.*\(vm1\)' '*' '*' '*' 0
	count vbd-not-on-any-vf "$t/f" '.*VF.*' $vm1 '*' '*' 0
fi

# ---- --capture-point keeps only the points it names ----
if run filter 0 labs/default.lab --capture "$t/p.pcapng" --capture-point 'vm1*' --capture-point '*uplink'; then
	capinfos "$t/p.pcapng" >"$t/info" 2>&1
	grep -q "Number of interfaces in file: 2" "$t/info" || fail "filter: $(grep 'Name =' "$t/info")"
	has_iface filter "$t/info" 'vm1 NetVsc'
	has_iface filter "$t/info" 'pf0 uplink'
	fields "$t/p.pcapng" >"$t/f"
	count filter-vm1 "$t/f" 'vm1 NetVsc' $vm1 '*' 2 1100
	count filter-nothing-else "$t/f" 'vm2 NetVsc|pf0 VF.*|vSwitch.*|pf0 PF' '*' '*' '*' 0
fi
ls "$t"/*.part >/dev/null 2>&1 && fail "parts left behind: $(ls "$t")"

# ---- usage ----
run point-without-file 2 labs/default.lab --capture-point vm1 &&
	{ grep -q -- "--capture-point needs --capture FILE" "$t/out" || fail "message: $(cat "$t/out")"; }
run unwritable 2 labs/default.lab --capture /nonexistent-dir/x.pcapng &&
	{ grep -q "cannot create /nonexistent-dir/x.pcapng" "$t/out" || fail "message: $(cat "$t/out")"; }

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all capture checks passed"
