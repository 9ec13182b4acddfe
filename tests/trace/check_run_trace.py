#!/usr/bin/env python3
"""`iovlab run LAB --trace FILE --timeline FILE.json` on the default lab.

Checks, with the json module only:
  - the timeline is valid JSON in the Trace Event Format, with events from
    the host's pid and from both VM processes' pids (named by process_name);
  - B/E spans are properly nested per (pid, tid): every E ends the innermost
    open B of its thread, never before it, and nothing is left open;
  - for each VM, the sequence VF allocate -> vPCI offer (host) -> serial
    match -> data-path switch to the VF (in the VM's process) is there, in
    that order, and so is the teardown: VF revoke, the guest back on
    synthetic, filter release (on-switch) or filter restore (after-removal),
    vPort delete, VF reset, VF free;
  - the merged text trace has lines of all three partitions, every line
    "[LABEL]" + a WPP prefix, in non-decreasing time order;
  - IOVLAB_LOG levels apply to the trace, '-' writes it to stdout, each
    partition wrote its own file (IOVLAB_TRACE_KEEP), an output that cannot
    be written and both outputs on stdout are refused (exit 2).

Usage: check_run_trace.py IOVLAB LAB
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

iovlab, lab = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL " + what)
    return cond


def run(args, env_extra=None):
    env = dict(os.environ)
    env.pop("IOVLAB_LOG", None)
    env.pop("IOVLAB_TRACE_KEEP", None)
    env.update(env_extra or {})
    return subprocess.run([iovlab, "run", lab] + args, env=env, capture_output=True, text=True, timeout=60)


WPP = re.compile(r"^\[([A-Za-z0-9_.-]+)\]\[\d+\][0-9A-F]{4}\.[0-9A-F]{4}::(\d\d)/(\d\d)/(\d{4})-(\d\d):(\d\d):(\d\d)\.(\d{3}) \[[^\]]*\]")

with tempfile.TemporaryDirectory() as d:
    txt, js = os.path.join(d, "t.txt"), os.path.join(d, "t.json")
    p = run(["--trace", txt, "--timeline", js], {"TMPDIR": d})
    # Tracing changes nothing the lab does: every expectation of default.lab holds with it on.
    check(p.returncode == 0, "run exit status %d: %s" % (p.returncode, p.stderr[-2000:]))
    check("iovlab: trace:" not in p.stderr, "the merge reported problems: " + p.stderr[-2000:])
    check(not glob.glob(os.path.join(d, "iovlab-trace.*")), "the session's files were left behind")

    # ---- the timeline
    with open(js) as f:
        doc = json.load(f)
    check(doc.get("displayTimeUnit") == "ms", "displayTimeUnit")
    events = doc["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    pid_of = {v: k for k, v in names.items()}
    check(set(names.values()) == {"root", "vm1", "vm2"}, "process names %s" % sorted(names.values()))
    for label in ("root", "vm1", "vm2"):
        n = sum(1 for e in events if e["ph"] != "M" and e["pid"] == pid_of.get(label))
        check(n > 0, "no events from %s (pid %s)" % (label, pid_of.get(label)))
    check(len(set(pid_of.values())) == 3, "three distinct pids")
    for e in events:
        if e["ph"] in ("B", "E", "i"):
            ok = isinstance(e.get("ts"), int) and e["ts"] >= 0 and isinstance(e.get("tid"), int) and "name" in e and "cat" in e
            if not check(ok, "malformed event %r" % e):
                break

    stacks = {}
    last_ts = {}
    for e in events:
        if e["ph"] not in ("B", "E"):
            continue
        key = (e["pid"], e["tid"])
        st = stacks.setdefault(key, [])
        if not check(e["ts"] >= last_ts.get(key, 0), "ts goes back on %r at %r" % (key, e)):
            break
        last_ts[key] = e["ts"]
        if e["ph"] == "B":
            st.append(e)
        else:
            if not check(st, "E without B on %r: %r" % (key, e)):
                break
            b = st.pop()
            check(b["name"] == e["name"] and b["ts"] <= e["ts"], "E %r does not end the innermost B %r" % (e, b))
    for key, st in stacks.items():
        check(not st, "spans left open on %r: %r" % (key, [b["name"] for b in st]))

    def first(pred):
        ts = [e["ts"] for e in events if e["ph"] in ("B", "i") and pred(e)]
        return min(ts) if ts else None

    root = pid_of.get("root")
    for vm in ("vm1", "vm2"):
        vpid = pid_of.get(vm)
        seq = [
            ("VF allocate", first(lambda e: e["pid"] == root and e["name"] == "VF allocate" and e.get("args", {}).get("vm") == vm)),
            ("vPCI offer", first(lambda e: e["pid"] == root and e["name"] == "vPCI offer" and e.get("args", {}).get("vm") == vm)),
            ("serial match", first(lambda e: e["pid"] == vpid and e["name"] == "serial match" and e.get("args", {}).get("association") == "yes")),
            ("data-path switch", first(lambda e: e["pid"] == vpid and e["name"] == "data-path switch" and e.get("args", {}).get("to") == "vf")),
        ]
        for name, ts in seq:
            check(ts is not None, "%s: no '%s'" % (vm, name))
        times = [ts for _, ts in seq]
        if None not in times:
            check(times == sorted(times), "%s: out of order: %s" % (vm, seq))
    # teardown in the documented order (spec 1.3, 2.17): the guest lets go of the VF first
    for vm in ("vm1", "vm2"):
        vpid = pid_of.get(vm)
        t = first(lambda e: e["pid"] == root and e["name"] == "VF revoke" and e.get("args", {}).get("vm") == vm)
        if not check(t is not None, "%s: no 'VF revoke'" % vm):
            continue
        order = [("VF revoke", t)]
        # the guest asks to go back (its span's start); the host moves the filter when it
        # acknowledges (vf_filter_move on-switch, the default: 'filter release', before the
        # eject), or after the removal ('filter restore', after-removal)
        # (NetVsc's 'VF withdrawn' when the association goes, or its switch span)
        back = first(lambda e: e["pid"] == vpid and e["ts"] >= t and (e["name"] == "VF withdrawn" or (
            e["name"] == "data-path switch" and e.get("args", {}).get("to") == "synthetic")))
        order.append(("guest back on synthetic", back))
        release = first(lambda e: e["pid"] == root and e["ts"] >= t and e["name"] == "filter release" and e.get("args", {}).get("vm") == vm)
        names = ("filter release" if release is not None else "filter restore", "vPort delete", "VF reset", "VF free")
        for name in names:
            order.append((name, first(lambda e, n=name: e["pid"] == root and e["ts"] >= t and e["name"] == n and e.get("args", {}).get("vm") == vm)))
        times = [ts for _, ts in order]
        check(None not in times and times == sorted(times), "%s: teardown out of order: %s" % (vm, order))
    # config space round trips reach the PF: guest request, vPCI, the OID
    check(first(lambda e: e["pid"] == pid_of.get("vm1") and e["name"] == "config read") is not None, "vm1: no guest config read")
    check(first(lambda e: e["pid"] == root and e["name"] == "vPCI config read") is not None, "root: no vPCI config read")
    check(first(lambda e: e["pid"] == root and e["name"] == "OID_SRIOV_READ_VF_CONFIG_SPACE") is not None, "root: no READ_VF_CONFIG_SPACE")
    for name in ("host boot", "MiniportInitializeEx", "NIC switch create", "VF enable", "host teardown", "VF free"):
        check(first(lambda e, n=name: e["pid"] == root and e["name"] == n) is not None, "root: no '%s'" % name)

    # ---- the text trace
    with open(txt) as f:
        lines = f.read().splitlines()
    labels = set()
    prev = None
    for i, line in enumerate(lines, 1):
        m = WPP.match(line)
        if not check(m, "text line %d is not [LABEL]+WPP: %r" % (i, line)):
            break
        labels.add(m.group(1))
        mo, dd, yy, hh, mi, ss, ms = (int(x) for x in m.group(2, 3, 4, 5, 6, 7, 8))
        t = (yy, mo, dd, hh, mi, ss, ms)
        if not check(prev is None or t >= prev, "text line %d goes back in time: %r" % (i, line)):
            break
        prev = t
    check(labels == {"root", "vm1", "vm2"}, "text labels %s" % sorted(labels))

    # ---- IOVLAB_LOG applies; '-' is stdout
    p = run(["--trace", "-"], {"IOVLAB_LOG": "*=warn", "TMPDIR": d, "IOVLAB_TRACE_KEEP": "1"})
    check(p.returncode == 0, "warn run exit status %d" % p.returncode)
    # each partition wrote its own file, with its own label and process id
    kept = glob.glob(os.path.join(d, "iovlab-trace.*", "*.trace"))
    heads = sorted(open(k).readline().split()[2] for k in kept)
    check(heads == ["root", "vm1", "vm2"], "kept files %s with labels %s" % (kept, heads))
    check(len({open(k).readline().split()[3] for k in kept}) == 3, "three processes wrote the files")
    check("the partitions' files are in" in p.stderr, "IOVLAB_TRACE_KEEP does not say where")
    traced = [l for l in p.stdout.splitlines() if WPP.match(l)]
    check(all(("WARNING:" in l or "ERROR:" in l) for l in traced), "IOVLAB_LOG=*=warn let info into the trace")
    check(len(traced) < len(lines), "the warn trace is not smaller than the info one")
    p = run(["--trace", os.path.join(d, "no-such-dir", "t.txt")])
    check(p.returncode == 2 and "--trace" in p.stderr and "No such file" in p.stderr,
          "unwritable --trace: %d %s" % (p.returncode, p.stderr))
    p = run(["--trace", "-", "--timeline", "-"])
    check(p.returncode == 2 and "cannot both go to stdout" in p.stderr, "both on stdout: %d %s" % (p.returncode, p.stderr))

print("%d passed, %d failed" % (1 if not failures else 0, len(failures)))
sys.exit(1 if failures else 0)
