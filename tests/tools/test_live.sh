#!/usr/bin/env bash
# The live lab end to end: `iovlab up labs/default.lab --socket S` in the
# background, then the client commands against it -- both VMs on their VFs,
# IovWeight 0 and back (VFDataPathActive False, then True, with the events),
# traffic, errors carrying the lab's description, *SRIOV 0 (the PF restarts
# and the VFs go), a VM killed while the host keeps answering, the raw
# protocol from python3, `iovlab down` (exit 0, socket removed); and a
# --host-only lab on the default socket path stopped by SIGTERM.
# Usage: test_live.sh IOVLAB SOURCE_ROOT
set -u
iovlab=$1
root=$2
fails=0
t=$(mktemp -d)
S=$t/lab.sock
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$t"
}
trap cleanup EXIT

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
# datapath VM: the VM's VFDataPathActive, from the running lab's view
datapath() {
	timeout 20 "$iovlab" show "Get-VMNetworkAdapter -VMName $1 | fl VFDataPathActive" --socket "$S" 2>&1 |
		awk '$1 == "VFDataPathActive" { print $3 }'
}
# wait_datapath NAME VM WANT: poll (10 s at most)
wait_datapath() {
	local got=
	for _ in $(seq 100); do
		got=$(datapath "$2")
		[ "$got" = "$3" ] && { echo "ok   $1"; return 0; }
		sleep 0.1
	done
	fail "$1: VFDataPathActive of $2 is '$got', want $3"
}
# wait_for FILE TEXT: up to 20 s
wait_for() {
	for _ in $(seq 200); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

"$iovlab" up "$root/labs/default.lab" --socket "$S" --capture "$t/live.pcapng" --timeline "$t/live.json" \
	>"$t/up.out" 2>&1 &
up=$!
pids+=("$up")
if ! wait_for "$t/up.out" "serving on $S" || [ ! -S "$S" ]; then
	fail "up: the lab did not come up"; cat "$t/up.out"; exit 1
fi
echo "ok   up"

# A watcher for the whole run: it ends when the lab closes its connection at `down`.
timeout 60 "$iovlab" events --socket "$S" >"$t/all-events" 2>&1 &
watcher=$!
pids+=("$watcher")

check second-up 1 "$iovlab" up "$root/labs/default.lab" --socket "$S" && has second-up "another lab is serving there"
check show 0 "$iovlab" show Get-VMNetworkAdapter --socket "$S" && has show "PS C:\\> Get-VMNetworkAdapter"
[ "$(datapath vm1)" = True ] && [ "$(datapath vm2)" = True ] && echo "ok   both-on-vf" ||
	fail "both-on-vf: vm1 $(datapath vm1), vm2 $(datapath vm2)"
check show-json 0 "$iovlab" show Get-VMNetworkAdapter --json --socket "$S" && has show-json '"VFDataPathActive": true'
# `up --capture` is the one capture of this lab: a live one is refused, and so is stopping it early
check capture-busy 1 "$iovlab" capture start "$t/other.pcapng" --socket "$S" &&
	has capture-busy "brought up with --capture $t/live.pcapng"
check capture-stop-busy 1 "$iovlab" capture stop --socket "$S" && has capture-stop-busy "ends when the lab stops"
[ -e "$t/other.pcapng" ] || ls "$t"/other.pcapng.* >/dev/null 2>&1 && fail "capture-busy: left $t/other.pcapng*"
check status 0 "$iovlab" status --socket "$S" && has status "vm vm2           Running, guest Running"
check ndiskd 0 "$iovlab" ndiskd netadapter -vm vm1 -bindings --socket "$S" && has ndiskd "Inside vm1"

# IovWeight 0 and back, watched by a second client.
timeout 30 "$iovlab" events --count 2 --socket "$S" >"$t/events" 2>&1 &
ev=$!
sleep 0.3
check iovweight-0 0 "$iovlab" set vmnetworkadapter vm1 -IovWeight 0 --socket "$S"
wait_datapath vfdatapath-false vm1 False
[ "$(datapath vm2)" = True ] || fail "vm2-untouched: vm2 left the VF"
wait "$ev" || fail "events: exit $?"
grep -q '"event":"VF_DATAPATH_CHANGED".*"vm":"vm1".*"VFDataPathActive":false' "$t/events" && echo "ok   events" ||
	{ fail "events: no VF_DATAPATH_CHANGED for vm1"; cat "$t/events"; }
check send-synthetic 0 "$iovlab" send vm1 vm2 50 64 --socket "$S" && has send-synthetic "50 frames sent (0 through the VF, 50 synthetic"
check iovweight-100 0 "$iovlab" set VMNetworkAdapter -vmname vm1 -iovweight 100 --socket "$S"
wait_datapath vfdatapath-true vm1 True
check send-vf 0 "$iovlab" send vm1 vm2 100 64 --socket "$S" && has send-vf "100 frames sent (100 through the VF, 0 synthetic"

# A live-migration-like revoke: the VF goes (IovWeight kept), traffic synthetic, then it comes back.
check vf-revoke 0 "$iovlab" vf revoke vm1 --socket "$S"
wait_datapath revoke-false vm1 False
check revoke-again 1 "$iovlab" vf revoke vm1 --socket "$S"
check revoke-weight 0 "$iovlab" show "Get-VMNetworkAdapter -VMName vm1 | fl IovWeight" --socket "$S" &&
	has revoke-weight "IovWeight : 100"
check send-revoked 0 "$iovlab" send vm1 vm2 50 64 --socket "$S" && has send-revoked "50 frames sent (0 through the VF, 50 synthetic"
check vf-return 0 "$iovlab" vf return vm1 --socket "$S"
wait_datapath return-true vm1 True
check return-again 1 "$iovlab" vf return vm1 --socket "$S" && has return-again "is not revoked"
check revoke-timed 0 "$iovlab" vf revoke vm1 --back-after 1500 --socket "$S"
wait_datapath revoke-timed-false vm1 False
wait_datapath revoke-timed-back vm1 True
check revoke-nobody 1 "$iovlab" vf revoke vm9 --socket "$S" && has revoke-nobody "no VM network adapter 'vm9'"
check revoke-usage 2 "$iovlab" vf revoke vm1 --back-after soon --socket "$S"

# Errors: the lab's description, exit 1; usage errors exit 2.
check no-adapter 1 "$iovlab" set vmnetworkadapter vm9 -IovWeight 0 --socket "$S" &&
	has no-adapter "no VM network adapter 'vm9'"
check bad-type 1 "$iovlab" set vmnetworkadapter vm1 -IovWeight lots --socket "$S" &&
	has bad-type "Invalid parameter type for 'IovWeight', expected: integer"
check bad-view 1 "$iovlab" show Get-Nothing --socket "$S"
check not-off 1 "$iovlab" vm start vm1 --socket "$S" && has not-off "is not off"
check bad-param 2 "$iovlab" set vmnetworkadapter vm1 -Bogus 1 --socket "$S" && has bad-param "no parameter '-Bogus'"
check no-lab 1 "$iovlab" status --socket "$t/nobody.sock" && has no-lab "is the lab up?"

# The raw protocol, as any QMP client speaks it.
check python 0 python3 - "$S" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def cmd(m):
    f.write(json.dumps(m) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            return r
g = json.loads(f.readline())
assert g["QMP"]["capabilities"] == [], g
assert cmd({"execute": "query-status"})["error"]["class"] == "CommandNotFound"
assert cmd({"execute": "qmp_capabilities"}) == {"return": {}}
r = cmd({"execute": "no-such-command", "id": 5})
assert r["error"]["class"] == "CommandNotFound" and r["id"] == 5, r
r = cmd({"execute": "diagnose", "arguments": {"format": "json"}, "id": 6})["return"]
assert r["broken"] is False and r["json"]["first_broken"] is None, r
r = cmd({"execute": "send", "arguments": {"from": "vm1", "to": "vm2", "count": "x", "size": 64}})
assert "'count', expected: integer" in r["error"]["desc"], r
r = cmd({"execute": "query-lab"})["return"]
assert [a["vf_datapath_active"] for a in r["adapters"]] == [True, True], r
print("raw protocol ok")
PY

# *SRIOV 0: the PF restarts as on Windows; the VFs are gone.
check sriov-0 0 "$iovlab" set netadapteradvancedproperty pf0 -RegistryKeyword '*SRIOV' -RegistryValue 0 --socket "$S"
check sriov-shown 0 "$iovlab" show Get-NetAdapterAdvancedProperty -RegistryKeyword '*SRIOV' --socket "$S" &&
	has sriov-shown "Disabled"
wait_datapath sriov-off-vm1 vm1 False
wait_datapath sriov-off-vm2 vm2 False

# A VM crashes; the host takes it off and keeps answering.
check kill 0 "$iovlab" vm kill vm2 --socket "$S"
check after-kill 0 "$iovlab" status --socket "$S" && has after-kill "vm vm2           Off"
kill -0 "$up" 2>/dev/null && echo "ok   host-alive" || fail "host-alive: the host is gone"
check set-sriov-1 0 "$iovlab" set netadapteradvancedproperty pf0 -RegistryKeyword '*SRIOV' -RegistryValue 1 --socket "$S"
check start-again 0 "$iovlab" vm start vm2 --socket "$S"
wait_datapath restarted-on-vf vm2 True
check stop 0 "$iovlab" vm stop -VMName vm1 --socket "$S"
for _ in $(seq 100); do
	"$iovlab" status --socket "$S" 2>&1 | grep -q "vm vm1           Off" && break
	sleep 0.1
done
check stopped 0 "$iovlab" status --socket "$S" && has stopped "vm vm1           Off"

# diagnose against the running lab: nothing broken on the default lab (exit 0).
check diag-live 0 "$iovlab" diagnose --socket "$S" && has diag-live "First broken link: none"
check diag-live-novm 1 "$iovlab" diagnose vm9 --socket "$S" && has diag-live-novm "no VM 'vm9'"

# The merged trace so far, from a running lab: every partition, in time order; and the timeline.
check trace 0 "$iovlab" trace --socket "$S" && has trace-root "[root]" && has trace-vm1 "[vm1]" &&
	has trace-vm2 "[vm2]" && has trace-revoke "(live-migration-like revoke)"
check trace-files 0 "$iovlab" trace "$t/tr.txt" --timeline "$t/tr.json" --socket "$S"
python3 - "$t/tr.json" "$t/tr.txt" <<'PY' && echo "ok   trace-files-valid" || fail "trace-files-valid"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
assert len({e["pid"] for e in ev if e.get("ph") in ("B", "E", "i")}) >= 3, "events of fewer than 3 partitions"
lines = open(sys.argv[2]).read().splitlines()
assert len(lines) > 50 and all(l.startswith("[") for l in lines)
PY

check down 0 "$iovlab" down --socket "$S" && has down "lab is down"
wait "$up"
rc=$?
[ "$rc" -eq 0 ] && echo "ok   up-exit" || { fail "up-exit: exit $rc"; cat "$t/up.out"; }
# --capture and --timeline of the whole session, written at the end.
grep -qF "capture: " "$t/up.out" && capinfos "$t/live.pcapng" >"$t/capinfos" 2>&1 &&
	grep -qF "vm1 NetVsc" "$t/capinfos" && grep -qF "vSwitch ext port vm1" "$t/capinfos" &&
	grep -Eq "pf0 VF [0-9]+ \(vm1\)" "$t/capinfos" && echo "ok   up-capture" ||
	{ fail "up-capture"; cat "$t/up.out"; cat "$t/capinfos"; }
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["traceEvents"]; assert any(x.get("name")=="VF revoke" for x in e)' \
	"$t/live.json" && echo "ok   up-timeline" || fail "up-timeline: no valid timeline with the revoke"
grep -qF "host torn down (quit)" "$t/up.out" || { fail "up-torn-down"; cat "$t/up.out"; }
[ ! -e "$S" ] && echo "ok   socket-removed" || fail "socket-removed: $S is still there"
wait "$watcher" || fail "watcher: exit $?"
for want in '"event":"VF_DATAPATH_CHANGED","data":{"vm":"vm1","adapter":"vm1","VFDataPathActive":false' \
	    '"event":"VF_DATAPATH_CHANGED","data":{"vm":"vm1","adapter":"vm1","VFDataPathActive":true' \
	    '"event":"VM_STATE_CHANGED","data":{"vm":"vm2","state":"Off","previous":"Running"' \
	    '"event":"VM_STATE_CHANGED","data":{"vm":"vm2","state":"Running","previous":"Off"' \
	    '"event":"VM_STATE_CHANGED","data":{"vm":"vm1","state":"Off"' \
	    '"event":"SHUTDOWN","data":{"reason":"quit"}'; do
	grep -qF -- "$want" "$t/all-events" || { fail "all-events: no $want"; cat "$t/all-events"; ev_fail=1; }
done
[ -z "${ev_fail:-}" ] && echo "ok   all-events"

# The default socket path, a client that finds it alone, and SIGTERM.
mkdir -p "$t/xdg"
XDG_RUNTIME_DIR=$t/xdg "$iovlab" up "$root/labs/default.lab" --host-only >"$t/up2.out" 2>&1 &
up2=$!
pids+=("$up2")
if wait_for "$t/up2.out" "serving on $t/xdg/iovlab/default.sock"; then
	echo "ok   default-path"
	check find-alone 0 env XDG_RUNTIME_DIR="$t/xdg" "$iovlab" status && has find-alone "lab default"
	check find-lab 0 env XDG_RUNTIME_DIR="$t/xdg" "$iovlab" status --lab default
	check no-such-lab 1 env XDG_RUNTIME_DIR="$t/xdg" "$iovlab" status --lab other
	kill -TERM "$up2"
	wait "$up2"
	rc=$?
	[ "$rc" -eq 0 ] && grep -qF "host torn down (SIGTERM)" "$t/up2.out" && echo "ok   sigterm" ||
		{ fail "sigterm: exit $rc"; cat "$t/up2.out"; }
	[ ! -e "$t/xdg/iovlab/default.sock" ] || fail "sigterm-socket: still there"
else
	fail "default-path: $(cat "$t/up2.out")"
fi

# A lab's [fault] armed and cleared live: F27's VF link down takes vm1 off the VF and back.
S3=$t/f27.sock
"$iovlab" up "$root/labs/faults/F27-vf-link-down.lab" --socket "$S3" >"$t/up3.out" 2>&1 &
up3=$!
pids+=("$up3")
if wait_for "$t/up3.out" "serving on $S3"; then
	S_SAVE=$S; S=$S3
	wait_datapath f27-vf vm1 True
	check fault-inject 0 "$iovlab" fault inject carrier --socket "$S3"
	wait_datapath f27-link-down vm1 False
	check diag-live-broken 1 "$iovlab" diagnose vm1 --json --socket "$S3" &&
		has diag-live-link '"id": "datapath-switch"' && has diag-live-row '"catalogue": "F27"'
	check fault-clear 0 "$iovlab" fault clear carrier --socket "$S3"
	wait_datapath f27-link-up vm1 True
	check fault-unknown 1 "$iovlab" fault inject nothing --socket "$S3" && has fault-unknown "no [fault nothing]"
	check fault-usage 2 "$iovlab" fault arm carrier --socket "$S3"
	check f27-down 0 "$iovlab" down --socket "$S3"
	wait "$up3" || fail "f27-up-exit: exit $?"
	S=$S_SAVE
else
	fail "f27-up: $(cat "$t/up3.out")"
fi

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all live-lab checks passed"
