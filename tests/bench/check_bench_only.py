#!/usr/bin/env python3
"""IOVLAB_BENCH_ONLY (docs/bench.md): `iovlab bench --quick --json` with
IOVLAB_BENCH_ONLY=vf floods the VF VM->VM path and no other (the others
report the 1 frame/s placeholder and sent nothing), and an unknown path
name is refused with exit status 2 and a message naming it.
Usage: check_bench_only.py IOVLAB
"""
import json
import os
import subprocess
import sys

iovlab = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


env = dict(os.environ, IOVLAB_BENCH_ONLY="vf")
out = subprocess.run([iovlab, "bench", "--quick", "--json"], env=env, capture_output=True, text=True, timeout=200)
check(out.returncode == 0, f"exit status {out.returncode}: {out.stderr[-400:]}")
if out.returncode == 0:
    rep = json.loads(out.stdout)
    for size in ("64", "1514"):
        paths = rep["sizes"][size]["paths"]
        check(paths["vf"]["frames_received"] > 0 and paths["vf"]["fps"] > 1, f"{size}: the VF path ran")
        for p in ("synthetic", "vf_uplink", "synthetic_uplink"):
            check(paths[p]["fps"] == 1 and paths[p]["frames_sent"] == 0, f"{size}: {p} did not run ({paths[p]})")

env["IOVLAB_BENCH_ONLY"] = "vff"
bad = subprocess.run([iovlab, "bench", "--quick", "--json"], env=env, capture_output=True, text=True, timeout=60)
check(bad.returncode == 2, f"an unknown path exits 2 (got {bad.returncode})")
check("IOVLAB_BENCH_ONLY='vff'" in bad.stderr, f"the message names the value: {bad.stderr!r}")
check(bad.stdout == "", "nothing on stdout for a refused run")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
