#!/usr/bin/env bash
# The iovlab command line: usage errors, lab validation through `run` and
# `lab --check`, the schema; `iovlab run` bringing a host up (the default
# lab, the fault labs, a lab on the framework's fake PF), --show name
# resolution and errors, --json, and the exit status rule (skipped steps
# warn, failed expectations and settings exit 1).
# Usage: test_cli.sh IOVLAB SOURCE_ROOT FAKE_DRIVERS_DIR
set -u
iovlab=$1
root=$2
drivers=$3
fails=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

check() {	# check NAME EXPECTED_RC CMD... ; output in $t/out
	local name=$1 want=$2
	shift 2
	"$@" >"$t/out" 2>&1
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want"; cat "$t/out"; fails=$((fails + 1))
		return 1
	fi
	echo "ok   $name"
}
guest_binding() {	# guest_binding ADAPTER_KIND PROTOCOL: that row of the first guest ndiskd view in $t/out
	awk -v kind="$1" -v proto="$2" '/^Inside vm/ { g = 1 } g && /^MINIPORT/ { a = 0 }
		g && index($0, kind) { a = 1 } a && $1 == proto { $1 = ""; sub(/^ +/, ""); print; exit }' "$t/out"
}
same() {	# same NAME GOT WANT
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: got '$2', want '$3'"; cat "$t/out"; fails=$((fails + 1))
	fi
}
has() {		# has NAME TEXT: $t/out contains TEXT
	if ! grep -qF -- "$2" "$t/out"; then
		echo "FAIL $1: output lacks '$2'"; cat "$t/out"; fails=$((fails + 1))
	fi
}
lacks() {	# lacks NAME TEXT: $t/out does not contain TEXT
	if grep -qF -- "$2" "$t/out"; then
		echo "FAIL $1: output has '$2'"; cat "$t/out"; fails=$((fails + 1))
	fi
}

check no-args 2 "$iovlab"
check help 0 "$iovlab" --help && has help "run"
check unknown-command 2 "$iovlab" frobnicate && has unknown-command "unknown command 'frobnicate'"

check run-help 0 "$iovlab" run --help && has run-help "--show NAME" && has run-help "Get-NetAdapterSriovVf"
check run-no-lab 2 "$iovlab" run
# The default lab end to end: two VM processes on their VFs, VM to VM and to the uplink peer.
check run-default 0 "$iovlab" run "$root/labs/default.lab" --show ndiskd:netadapter:-vm:vm1:-bindings
has run-default "Host HV-HOST01 is up"
has run-default "every running VM is a process"
line=$(grep -n "^step = wait vfdatapath vm1" "$root/labs/default.lab" | cut -d: -f1)
has run-default "default.lab:$line: ok: wait vfdatapath vm1 true 10s"
# ndiskd inside vm1: NETVSCVFPP opened the VF miniport, the traffic protocol NetVsc's adapter.
has run-default "0: kd> !ndiskd.netadapter -bindings"
same run-default-guest-vf "$(guest_binding "(SR-IOV VF miniport)" NETVSCVFPP)" "Bound"
same run-default-guest-netvsc "$(guest_binding "(Microsoft Hyper-V Network Adapter)" IOVTRAFFIC)" "Bound"
has run-default "expect received vm2 1000: vm2 received 1000 numbered frames (lost 0, duplicated 0, reordered 0, damaged 0)"
has run-default "expect received peer:pf0 100: the uplink peer received 100 frames"
has run-default "expect path vm1 vf: its last 100 frames: 100 through the VF, 0 on the synthetic path"
has run-default 'PS C:\> Get-VMNetworkAdapter'
has run-default "VFDataPathActive       : True"
lacks run-default "VFDataPathActive       : False"
# The guests' TCP/IP stacks (lwIP on IOVTCPIP): ping both ways, a TCP echo, all through the VFs.
same run-default-guest-tcpip "$(guest_binding "(Microsoft Hyper-V Network Adapter)" IOVTCPIP)" "Bound"
has run-default "ok: ping vm1 vm2 3: 3 sent, 3 answered, 0 lost"
has run-default "ok: ping vm2 vm1 1: 1 sent, 1 answered, 0 lost"
has run-default "ok: tcp vm1 vm2:7 256K: 262144 of 262144 bytes echoed, 0 differ, connection intact"
has run-default "18 script step(s): 18 ran, 0 skipped (not built yet), 0 failed"
has run-default "host torn down"
# ... and on the host side only: the guest steps are skipped.
check run-default-host-only 0 "$iovlab" run "$root/labs/default.lab" --host-only --show ndiskd:netadapter:-vm:vm1:-bindings
has run-default-host-only "--show 'ndiskd:netadapter:-vm:vm1:-bindings': skipped: ndiskd netadapter -vm vm1: needs the VM's guest"
has run-default-host-only "default.lab:$line: skipped: wait vfdatapath vm1 true 10s: needs the guest side"
has run-default-host-only "VFDataPathActive       : False"

# The field report (F22): vm1's VBD does not forward the vPCI interface.
check run-vbd 0 "$iovlab" run "$root/labs/vbd-no-forward.lab"
has run-vbd "ndisOidPreIovVfSerialNumber: no GUID_VPCI_INTERFACE_STANDARD was captured at initialization; OID_SRIOV_VF_SERIAL_NUMBER -> NDIS_STATUS_NOT_SUPPORTED (0xc00000bb)"
has run-vbd "OID_SRIOV_VF_SERIAL_NUMBER failed: Declined with NDIS_STATUS_NOT_SUPPORTED"
has run-vbd "expect vmnetworkadapter vm1 VFDataPathActive False: Get-VMNetworkAdapter vm1: VFDataPathActive is 'False'"
has run-vbd "expect path vm1 synthetic: its last 1000 frames: 0 through the VF, 1000 on the synthetic path"
has run-vbd "expect received vm2 1000: vm2 received 1000 numbered frames (lost 0"
# The lab's own step: ndiskd inside vm1 shows the VF adapter's NETVSCVFPP binding declined.
has run-vbd "Inside vm1 (its guest's NDIS, asked over the control channel):"
same run-vbd-guest-vf "$(guest_binding "(SR-IOV VF miniport)" NETVSCVFPP)" "Declined with NDIS_STATUS_NOT_SUPPORTED"
same run-vbd-guest-netvsc "$(guest_binding "(Microsoft Hyper-V Network Adapter)" IOVTRAFFIC)" "Bound"
lacks run-vbd "FAILED"
# The script's diagnose step walks the chain over what the lab reached (src/diag).
has run-vbd "[FAIL] vbd-interface"
has run-vbd "First broken link: vbd-interface (F22)"
has run-vbd "ok: diagnose vm1: first broken link: vbd-interface"
check diagnose-help 0 "$iovlab" diagnose --help && has diagnose-help "--settle DURATION"
check help-diagnose 0 "$iovlab" --help && has help-diagnose "diagnose"

# The VF taken away and given back live, a VM killed and restarted.
check run-live 0 "$iovlab" run "$root/labs/live.lab"
has run-live "kill vm2: the VM's process was killed; its VF was taken back and the VM is off"
has run-live "expect path vm1 synthetic: its last 500 frames: 0 through the VF, 500 on the synthetic path"
has run-live "20 script step(s): 20 ran, 0 skipped (not built yet), 0 failed"
lacks run-live "FAILED"

# The fault labs: every expectation the host side can check holds.
for f in F09-no-acs F13-sriov-keyword-off F15-switch-without-iov F17-iovweight-zero; do
	check "run-$f" 0 "$iovlab" run "$root/labs/faults/$f.lab"
	lacks "run-$f" "FAILED"
done

# A lab on the framework's fake PF: VFs really allocated, the pool used up.
cat >"$t/fake.lab" <<LAB
[nic pf0]
driver = $drivers/fake_pf.so
[keywords pf0]
*NumVFs = 1
[vmswitch ext]
iov = true
[vm vm1]
[vm vm2]
[vmnetworkadapter vm1]
mac = 00155D0A1B01
iov_weight = 100
[vmnetworkadapter vm2]
mac = 00155D0A1B02
iov_weight = 100
[script]
step = expect vmnetworkadapter vm1 IovUsage 1
step = expect vmnetworkadapter vm2 IovUsage 0
step = expect vmswitch ext IovVirtualFunctionsInUse 1
step = set vmnetworkadapter vm1 IovWeight 0
step = expect vmnetworkadapter vm2 IovUsage 1
step = expect vmnetworkadapter vm2 VFDataPathActive True
LAB
# The fake PF has no VFs a guest could use: the host side only.
check run-fake 0 "$iovlab" run "$t/fake.lab" --host-only
has run-fake "fake.lab:21: skipped: expect vmnetworkadapter vm2 VFDataPathActive True: VFDataPathActive is set by the VM's guest"
has run-fake "6 script step(s): 5 ran, 1 skipped (not built yet), 0 failed"

# --show: a cmdlet or its noun, any case; unknown names are a usage error.
for name in vmnetworkadapter Get-VMNetworkAdapter GET-vmNetworkAdapter; do
	check "show-$name" 0 "$iovlab" run "$t/fake.lab" --host-only --show "$name"
	has "show-$name" "Network Adapter False          vm2    ext        00155D0A1B02 {Degraded} {}"
done
check show-fl 0 "$iovlab" run "$t/fake.lab" --host-only --show "Get-VMSwitch | fl Iov*"
has show-fl "IovVirtualFunctionCount  : 1"
lacks show-fl "SwitchType"
check show-ndiskd 0 "$iovlab" run "$t/fake.lab" --host-only --show ndiskd:netadapter:-iov:-vfs
has show-ndiskd "!ndiskd.netadapter -iov -vfs"
has show-ndiskd "Current Configuration  IOV enabled"
check show-ndiskd-no-vm 1 "$iovlab" run "$t/fake.lab" --host-only --show ndiskd:netadapter:-vm:nosuch:-bindings
has show-ndiskd-no-vm "ndiskd netadapter -vm: no VM 'nosuch'"
check show-adv 0 "$iovlab" run "$t/fake.lab" --host-only --show "netadapteradvancedproperty -RegistryKeyword *SRIOV"
has show-adv "pf0  SR-IOV      Enabled      *SRIOV          {1}"
check show-unknown 2 "$iovlab" run "$t/fake.lab" --show Get-Frobnicator
has show-unknown "no such view"
check show-bad-param 1 "$iovlab" run "$t/fake.lab" --show "Get-VMSwitch -Colour blue"
has show-bad-param "has no parameter '-Colour'"

# --json: only JSON on stdout (a stream of arrays, one per view), typed as ConvertTo-Json writes it.
"$iovlab" run "$t/fake.lab" --host-only --json --show vmnetworkadapter --show vmhost >"$t/json" 2>"$t/err"
cat >"$t/check.py" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec, at, views = json.JSONDecoder(), 0, []
while at < len(text):
    while at < len(text) and text[at].isspace():
        at += 1
    if at < len(text):
        v, at = dec.raw_decode(text, at)
        views.append(v)
assert len(views) == 2, views
nics, hosts = views
assert nics[0]["VFDataPathActive"] is False
assert nics[1]["IovUsage"] == 1 and nics[0]["IovUsage"] == 0
assert nics[0]["IovWeight"] == 0 and nics[0]["Status"] == ["Ok"]
assert hosts[0]["IovSupport"] is True and hosts[0]["IovSupportReasons"] is None
PY
if python3 "$t/check.py" "$t/json"; then
	echo "ok   json"
else
	echo "FAIL json"; cat "$t/json" "$t/err"; fails=$((fails + 1))
fi

# Failures exit 1 with FILE:LINE: an expectation, a refused setting, a driver that is missing.
cat >"$t/fail.lab" <<LAB
[nic pf0]
driver = $drivers/fake_pf.so
[vmswitch ext]
[vm vm1]
[vmnetworkadapter vm1]
[script]
step = expect vmswitch ext IovEnabled True
step = set vmswitch ext iov true
LAB
check run-fail 1 "$iovlab" run "$t/fail.lab"
has run-fail "fail.lab:7: FAILED: expect vmswitch ext IovEnabled True: Get-VMSwitch ext: IovEnabled is 'False', want 'True'"
has run-fail "fail.lab:8: FAILED: set vmswitch ext iov true: Set-VMSwitch: IOV can only be chosen when the switch is created"
printf '[nic pf0]\ndriver = ./nowhere/mine.so\n' >"$t/nodrv.lab"
check run-no-driver 1 "$iovlab" run "$t/nodrv.lab"
has run-no-driver "1 PF driver(s) did not come up"

printf '[lab]\nname = broken\n[vmnetworkadapter vm9]\nvm = nope\n' >"$t/bad.lab"
check run-bad-lab 2 "$iovlab" run "$t/bad.lab" && has run-bad-lab "bad.lab:"
check run-missing-file 2 "$iovlab" run "$t/does-not-exist.lab"
check lab-check 0 "$iovlab" lab --check "$root/labs/vbd-no-forward.lab" && has lab-check "[vm vm1]"
check lab-schema 0 "$iovlab" lab --schema && has lab-schema "iov_weight"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
