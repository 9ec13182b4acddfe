#!/usr/bin/env bash
# The iovlab command line: usage errors, lab validation through `run` and
# `lab --check`, the schema. Usage: test_cli.sh IOVLAB SOURCE_ROOT
set -u
iovlab=$1
root=$2
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
has() {		# has NAME TEXT: $t/out contains TEXT
	if ! grep -qF -- "$2" "$t/out"; then
		echo "FAIL $1: output lacks '$2'"; cat "$t/out"; fails=$((fails + 1))
	fi
}

check no-args 2 "$iovlab"
check help 0 "$iovlab" --help && has help "run"
check unknown-command 2 "$iovlab" frobnicate && has unknown-command "unknown command 'frobnicate'"
check run-default 0 "$iovlab" run "$root/labs/default.lab"
has run-default "validated"
has run-default "vmnetworkadapter vm1"
has run-default "not built"

printf '[lab]\nname = broken\n[vmnetworkadapter vm9]\nvm = nope\n' >"$t/bad.lab"
check run-bad-lab 2 "$iovlab" run "$t/bad.lab" && has run-bad-lab "bad.lab:"
check run-missing-file 2 "$iovlab" run "$t/does-not-exist.lab"
check lab-check 0 "$iovlab" lab --check "$root/labs/vbd-no-forward.lab" && has lab-check "[vm vm1]"
check lab-schema 0 "$iovlab" lab --schema && has lab-schema "iov_weight"

[ "$fails" -eq 0 ] || { echo "$fails failed"; exit 1; }
