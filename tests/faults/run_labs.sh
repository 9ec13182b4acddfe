#!/bin/sh
# tests/faults/run_labs.sh IOVLAB SRCDIR: every labs/faults/*.lab run with
# `iovlab run`, several at a time. Each must exit 0 (every expectation met)
# with no skipped step and no "not built yet" note besides the summary line,
# and must carry what the catalogue labs promise: a header comment, a
# description "Fnn: ...", a diagnose annotation "; diagnose: LINK FNN" or
# "; diagnose-warning: LINK FNN" naming its own row. Every row F01..F32 has
# a lab unless docs/faults.md marks it "not modelled".
set -u
IOVLAB=$1
SRC=$2
JOBS=${FAULT_LAB_JOBS:-8}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

# -- the files' own promises ------------------------------------------------
for lab in "$SRC"/labs/faults/*.lab; do
	base=$(basename "$lab")
	row=$(echo "$base" | sed -n 's/^\(F[0-9][0-9]\)-[a-z0-9-]*\.lab$/\1/p')
	[ -n "$row" ] || { bad "$base: not named Fnn-short-name.lab"; continue; }
	head -1 "$lab" | grep -q "^; $row: " || bad "$base: the header comment does not start with '; $row: '"
	grep -q "^description *= *$row: " "$lab" || bad "$base: [lab] description does not start with '$row:'"
	grep -Eq "^; diagnose(-warning)?: [a-z-]+ $row\$" "$lab" ||
		bad "$base: no '; diagnose: LINK $row' or '; diagnose-warning: LINK $row' line"
	grep -q "^step = expect\|^step = wait" "$lab" || bad "$base: no expect or wait step on the symptom"
done
for n in $(seq -w 1 32); do
	row=F$n
	ls "$SRC"/labs/faults/$row-*.lab >/dev/null 2>&1 && continue
	grep -q "^| $row | not modelled" "$SRC/docs/faults.md" ||
		bad "$row: no labs/faults/$row-*.lab and docs/faults.md does not say it is not modelled"
done

# -- `iovlab lab --check` applies the host's [fault] checks ------------------
for lab in "$SRC"/labs/faults/*.lab; do
	"$IOVLAB" lab --check "$lab" >/dev/null 2>"$OUT/check.err" || bad "$(basename "$lab"): lab --check: $(cat "$OUT/check.err")"
done
printf '[nic pf0]\n[fault a]\npf_fail_oid = OID_NIC_SWITCH_ALLOCATE_VF:NDIS_STATUS_SUCCESS\n' >"$OUT/bad.lab"
if "$IOVLAB" lab --check "$OUT/bad.lab" >/dev/null 2>"$OUT/check.err"; then
	bad "lab --check accepted a pf_fail_oid with a success status"
fi
grep -q "bad.lab:3: \[fault a\] pf_fail_oid: .*success status" "$OUT/check.err" ||
	bad "lab --check: unexpected message: $(cat "$OUT/check.err")"

# -- run them, JOBS at a time ------------------------------------------------
start=$(date +%s)
ls "$SRC"/labs/faults/*.lab | xargs -P "$JOBS" -I{} sh -c '
	lab={}; b=$(basename "$lab" .lab)
	timeout 120 "$0" run "$lab" >"$1/$b.out" 2>&1
	echo $? >"$1/$b.rc"' "$IOVLAB" "$OUT"
for lab in "$SRC"/labs/faults/*.lab; do
	b=$(basename "$lab" .lab)
	rc=$(cat "$OUT/$b.rc" 2>/dev/null || echo missing)
	if [ "$rc" != 0 ]; then
		bad "$b: iovlab run exited $rc"
		grep -E "FAILED|iovlab:" "$OUT/$b.out" | head -5
		continue
	fi
	grep -q " script step(s): .* ran, 0 skipped (not built yet), 0 failed" "$OUT/$b.out" ||
		bad "$b: the summary does not say every step ran"
	if grep -v " script step(s): " "$OUT/$b.out" | grep -Eq "skipped|not built yet|not modelled yet"; then
		bad "$b: something was skipped or is not built:"
		grep -v " script step(s): " "$OUT/$b.out" | grep -E "skipped|not built yet|not modelled yet" | head -3
	fi
done
n=$(ls "$SRC"/labs/faults/*.lab | wc -l)
echo "$n fault labs in $(( $(date +%s) - start )) s"
[ $fail = 0 ] && echo "$n passed, 0 failed" || echo "fault labs: some failed"
exit $fail
