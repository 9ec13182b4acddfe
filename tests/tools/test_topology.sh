#!/usr/bin/env bash
# `iovlab topology`: the DOT of labs/default.lab has both VM partitions,
# the VFs on the NIC switch, the vPCI offers and the bindings; on
# labs/vbd-no-forward.lab with --broken vbd-interface:vm1 the VBD -> VF
# miniport edge of vm1 is the red one and NETVSCVFPP's declined binding is
# dashed with its status; --svg renders through graphviz and the SVG is
# XML with the red edge in it. Bad --broken values exit 2.
# Usage: test_topology.sh IOVLAB SOURCE_ROOT
set -u
iovlab=$(realpath "$1")
root=$2
fails=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

command -v dot >/dev/null || { echo "FAIL: graphviz's dot is not installed (scripts/deps.sh installs graphviz)"; exit 1; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
topo() {	# topo NAME WANT_RC ARGS...: iovlab topology, stdout in $t/out, stderr in $t/err
	local name=$1 want=$2
	shift 2
	(cd "$root" && "$iovlab" topology "$@") >"$t/out" 2>"$t/err"
	local rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit $rc, want $want"; tail -5 "$t/err"
		return 1
	fi
	echo "ok   $name"
}
has() {		# has NAME FILE REGEX (grep -E)
	grep -Eq -- "$3" "$2" || { fail "$1: '$3' not in $2"; }
}
lacks() {
	! grep -Eq -- "$3" "$2" || { fail "$1: '$3' is in $2"; }
}

# ---- default.lab to standard output ----
if topo default 0 labs/default.lab; then
	cp "$t/out" "$t/d.dot"
	has default-dot "$t/d.dot" '^digraph iovlab \{'
	has vm1-cluster "$t/d.dot" 'subgraph cluster_vm_vm1 \{'
	has vm2-cluster "$t/d.dot" 'subgraph cluster_vm_vm2 \{'
	has root-cluster "$t/d.dot" 'label="Root partition \(HV-HOST01\)"'
	has vf0 "$t/d.dot" 'vf_pf0_[0-9]+ \[shape=box, label="VF [0-9]+\\nRID 0x[0-9a-f]+\\nVM vm1"\]'
	has vf1 "$t/d.dot" 'vf_pf0_[0-9]+ \[shape=box, label="VF [0-9]+\\nRID 0x[0-9a-f]+\\nVM vm2"\]'
	has offer "$t/d.dot" 'vf_pf0_[0-9]+ -> vpcipdo_vm1 \[label="vPCI offer'
	has vfpp-bound "$t/d.dot" 'netvscvfpp_vm1 -> vfmp_vm1 \[label="binding: Bound"\]'
	has vmsp-bound "$t/d.dot" 'vmsp_ext -> pf_pf0 \[label="binding: Bound"\]'
	has pf-stack "$t/d.dot" 'pci_pf0 -> pf_pf0 \[label="device stack"\]'
	has datapath "$t/d.dot" 'netvsc_vm1 -> netvscvfpp_vm1 \[label="VFDataPathActive True"\]'
	has vmbus "$t/d.dot" 'netvsp_vm1_vm1 -> netvsc_vm1 \[label="VMBus channel \(NVSP\)"'
	lacks no-red "$t/d.dot" 'color=red'
	dot -Tsvg "$t/d.dot" -o "$t/d.svg" 2>"$t/dot.err" || fail "dot refused the DOT: $(cat "$t/dot.err")"
fi

# ---- vbd-no-forward.lab: vm1's VBD -> VF edge red, into DOT and SVG files ----
if topo vbd 0 labs/vbd-no-forward.lab --broken vbd-interface:vm1 --label 'F22: VBD swallowed the "vPCI" interface' \
	--dot "$t/v.dot" --svg "$t/v.svg"; then
	[ -s "$t/out" ] && fail "vbd: the run's output leaked to stdout: $(head -3 "$t/out")"
	has red-edge "$t/v.dot" '^  vbdfdo_vm1 -> vfmp_vm1 \[label="BROKEN vbd-interface: F22: VBD swallowed the \\"vPCI\\" interface", color=red'
	[ "$(grep -c 'color=red' "$t/v.dot")" -eq 1 ] || fail "vbd: more than one red element"
	has vm2-not-red "$t/v.dot" '^  vbdfdo_vm2 -> vfmp_vm2 \[label="GUID_VPCI_INTERFACE_STANDARD forwarded"\]'
	has declined "$t/v.dot" 'netvscvfpp_vm1 -> vfmp_vm1 \[label="binding: Declined with NDIS_STATUS_NOT_SUPPORTED.*style=dashed'
	has synthetic "$t/v.dot" 'netvsc_vm1 -> netvscvfpp_vm1 \[label="VFDataPathActive False", style=dashed\]'
	python3 - "$t/v.svg" <<'PY' || fail "vbd: the SVG is not XML with the red edge"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
red = [g for g in root.iter(ns + "g") if g.get("class") == "edge"
       and any(p.get("stroke") == "red" for p in g.iter(ns + "path"))]
assert len(red) == 1, len(red)
title = red[0].find(ns + "title").text
assert title == "vbdfdo_vm1->vfmp_vm1", title
assert any("BROKEN vbd-interface" in (x.text or "") for x in red[0].iter(ns + "text"))
PY
fi

# ---- without --broken the red link is diagnose's own first broken link ----
if topo vbd-diag 0 labs/vbd-no-forward.lab --dot "$t/vd.dot"; then
	has diag-red-edge "$t/vd.dot" '^  vbdfdo_vm1 -> vfmp_vm1 \[label="BROKEN vbd-interface: no GUID_VPCI_INTERFACE_STANDARD was captured.*color=red'
	[ "$(grep -c 'color=red' "$t/vd.dot")" -eq 1 ] || fail "vbd-diag: not exactly one red element"
fi

# ---- a link the picture shows as a node; a link not reached becomes a red note ----
if topo platform 0 labs/default.lab --broken platform --dot "$t/p.dot"; then
	has platform-red "$t/p.dot" '^    host \[shape=box, label="Hyper-V host HV-HOST01\\nIovSupport True\\nBROKEN platform: platform", color=red'
fi

# ---- usage ----
topo unknown-link 2 labs/default.lab --broken no-such-link && has unknown-link "$t/err" "no such link id"
topo unknown-vm 2 labs/default.lab --broken vf-miniport:vm9 --dot "$t/x.dot" && has unknown-vm "$t/err" "no VM 'vm9'"
topo no-lab 2

if [ $fails -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all topology checks passed"
