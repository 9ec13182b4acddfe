#!/bin/sh
# Runs `iovlab lspci -xxxx --num-vfs 4`, feeds the dump to the real
# pciutils `lspci -F FILE -vvv` and checks that it decodes srnic's SR-IOV
# capability with our values and the ARI capability. $1 = the iovlab binary.
set -eu
dump=$(mktemp)
out=$(mktemp)
trap 'rm -f "$dump" "$out"' EXIT
"$1" lspci -xxxx --num-vfs 4 > "$dump"
lspci -F "$dump" -vvv > "$out" 2>/dev/null
fail=0
for want in \
  "Capabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)" \
  "IOVCtl:	Enable+ Migration- Interrupt- MSE+ ARIHierarchy+ 10BitTagReq-" \
  "Initial VFs: 64, Total VFs: 64, Number of VFs: 4, Function Dependency Link: 00" \
  "VF offset: 8, stride: 2, Device ID: 10ee" \
  "Supported Page Size: 00000553, System Page Size: 00000001" \
  "Region 0: Memory at 0000004000000000 (64-bit, prefetchable)" \
  "Region 2: Memory at 0000004000100000 (64-bit, prefetchable)" \
  "Capabilities: [100 v1] Alternative Routing-ID Interpretation (ARI)" \
  "FLReset+" \
  "MSI-X: Enable- Count=5 Masked-" \
  "03:01.0 " "03:01.6 "
do
  if ! grep -qF "$want" "$out"; then
    echo "lspci -F did not print: $want"; fail=1
  fi
done
[ "$(grep -c 'Single Root I/O Virtualization' "$out")" = 1 ] || { echo "SR-IOV capability count != 1"; fail=1; }
[ "$(grep -c 'Alternative Routing-ID' "$out")" = 5 ] || { echo "ARI on PF + 4 VFs expected"; fail=1; }
if [ $fail != 0 ]; then cat "$out"; exit 1; fi
echo "lspci -F decoded SR-IOV and ARI as expected"
