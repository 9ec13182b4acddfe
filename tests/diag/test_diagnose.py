#!/usr/bin/env python3
"""diagnose end to end: `iovlab diagnose LAB --json` over every fault lab
(labs/faults/*.lab), the field report (labs/vbd-no-forward.lab) and the
default lab, each against what the lab says diagnose must find.

Every labs/faults/*.lab carries one annotation line (the diagnose contract):
  "; diagnose: LINK FNN"          first_broken.id == LINK, .catalogue == FNN, exit 1
  "; diagnose-warning: LINK FNN"  first_broken null, a warning LINK/FNN, exit 0
A fault lab without one fails. The annotation must hold right after
bring-up (`iovlab diagnose LAB --json`) or, for a lab whose script drives
the fault (inject, clear, set, start, stop or kill steps: a fault armed
later, a setting changed, a VF taken away and given back), after its script
(`iovlab diagnose LAB --json --script`). On top: every adapter's links are the chain
in path order; before the first broken link nothing is broken, after it
nothing is reached; vbd-no-forward breaks vm1 at vbd-interface (F22) with the
serial-number OID, its status and NETVSCVFPP's decline as evidence while vm2
is healthy; the default lab has nothing broken. And "your own driver": the
framework's fake and mutant VF miniports (tests/drivers, each breaking one
verifier rule) loaded in vm1's guest from labs written here, diagnosed from
what their guest reports. Labs run two at a time.
Usage: test_diagnose.py IOVLAB SOURCE_ROOT FAKE_DRIVERS_DIR
"""
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

CHAIN = ["platform", "pci", "pf-driver", "keywords", "nic-switch", "vswitch-iov", "iov-weight", "vf-pool",
         "vf-allocation", "vport-filters", "vpci-offer", "guest-driver", "vbd-interface", "vf-miniport",
         "netvsc-binding", "datapath-switch", "traffic"]
STATUSES = {"ok", "broken", "warning", "not-reached", "n/a"}
ANNOTATION = re.compile(r"^;\s*diagnose(-warning)?:\s*([a-z-]+)\s+(F\d\d)\s*$")

iovlab, root, fake_drivers = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])

# Fake / mutant VF miniport -> (first broken link, row, evidence it must name) or a warning.
VF_DRIVERS = {
    "fake_vf": (None, None, None),
    "mut_vf_pf_caps": ("vf-miniport", "F24", "NDIS-VF-CAPS"),
    "mut_vf_no_caps": ("vf-miniport", "F24", "VF_MINIPORT"),
    "mut_vf_vmq": ("vf-miniport", "F24", "VMQ"),
    "mut_vf_bad_inf": ("netvsc-binding", "F23", "NDIS-VF-INF-BINDING"),
    "mut_vf_keyword": ("warning", "F24", "vf-miniport"),
}

LAB_OWN_VF = """[nic pf0]
driver = srnic_pf
[keywords pf0]
*SRIOV = 1
*SriovPreferred = 1
[vmswitch ext]
adapter = pf0
iov = true
[vm vm1]
vf_driver = {so}
vf_inf = {inf}
[vmnetworkadapter vm1]
iov_weight = 100
"""


# Script-driven history (--script): the lab's script changes settings live; the warnings read what happened.
LAB_HISTORY = """[nic pf0]
driver = srnic_pf
[keywords pf0]
*SRIOV = 1
*SriovPreferred = 1
[vmswitch ext]
adapter = pf0
iov = true
[vm vm1]
[vmnetworkadapter vm1]
iov_weight = 100
[script]
step = wait vfdatapath vm1 true 10s
{steps}
step = wait vfdatapath vm1 true 10s
"""
HISTORY = {
    # IovWeight 0 and back: the VF taken away and returned (F29, as live migration does).
    "revoked": ("datapath-switch", "F29", "step = set vmnetworkadapter vm1 IovWeight 0\n"
                "step = wait vfdatapath vm1 false 10s\nstep = set vmnetworkadapter vm1 IovWeight 100"),
}


def history_lab(tmp, name):
    lab = os.path.join(tmp, name + ".lab")
    with open(lab, "w") as f:
        f.write(LAB_HISTORY.format(steps=HISTORY[name][2]))
    return lab


def check_history(name, proc, proc_plain):
    link, row, _ = HISTORY[name]
    rep = json.loads(proc.stdout) if proc.stdout.startswith("{") else None
    if not rep or not check_shape(name, rep):
        fail(name, "no report; exit %d; %s" % (proc.returncode, proc.stderr[-400:]))
        return
    if rep["first_broken"] is not None or proc.returncode != 0:
        fail(name, "--script: want nothing broken, got %s, exit %d" % (rep["first_broken"], proc.returncode))
    if not any(w["id"] == link and w["catalogue"] == row for w in rep["warnings"]):
        fail(name, "--script: want a warning %s %s, got %s" % (link, row, rep["warnings"]))
    # Without the script nothing happened: no warning.
    plain = json.loads(proc_plain.stdout)
    if plain["warnings"] or plain["first_broken"] is not None:
        fail(name, "without --script: want a clean report, got %s / %s" % (plain["first_broken"], plain["warnings"]))


def own_vf_lab(tmp, name):
    """A lab whose vm1 loads the test driver NAME for srnic's VF (its INF copied with srnic's VF ID)."""
    with open(os.path.join(fake_drivers, name + ".inf")) as f:
        inf = re.sub(r"DEV_[0-9A-F]{4}", "DEV_10EE", f.read())
    inf_path = os.path.join(tmp, name + ".inf")
    with open(inf_path, "w") as f:
        f.write(inf)
    lab = os.path.join(tmp, name + ".lab")
    with open(lab, "w") as f:
        f.write(LAB_OWN_VF.format(so=os.path.join(fake_drivers, name + ".so"), inf=inf_path))
    return lab


def check_own_vf(name, proc):
    link, row, ev = VF_DRIVERS[name]
    try:
        rep = json.loads(proc.stdout)
    except ValueError:
        fail(name, "not JSON; exit %d; %s" % (proc.returncode, proc.stderr[-400:]))
        return
    if not check_shape(name, rep):
        return
    fb = rep["first_broken"]
    if link is None or link == "warning":
        if fb is not None or proc.returncode != 0:
            fail(name, "want nothing broken, exit 0; got %s, exit %d" % (fb, proc.returncode))
        if link == "warning" and not any(w["id"] == ev and w["catalogue"] == row for w in rep["warnings"]):
            fail(name, "want a warning %s %s, got %s" % (ev, row, rep["warnings"]))
        if link is None:
            st = {l["id"]: l["status"] for l in rep["adapters"][0]["links"]}
            if st["netvsc-binding"] != "ok" or st["datapath-switch"] != "ok":
                fail(name, "a clean VF driver must reach the VF data path: %s" % st)
        return
    if not fb or (fb["id"], fb["catalogue"]) != (link, row):
        fail(name, "want %s %s, got %s" % (link, row, fb and (fb["id"], fb["catalogue"], fb["summary"])))
    elif not any(ev in e for e in fb["evidence"]) and ev not in fb["summary"]:
        fail(name, "evidence does not name %r: %s" % (ev, fb["evidence"]))
failures = []


def fail(lab, msg):
    failures.append("%s: %s" % (os.path.basename(lab), msg))


def run(args, timeout=60, env=None):
    return subprocess.run([iovlab, "diagnose"] + args, capture_output=True, text=True, timeout=timeout, env=env)


def annotation(lab):
    found = []
    with open(lab) as f:
        for line in f:
            m = ANNOTATION.match(line.strip())
            if m:
                found.append((bool(m.group(1)), m.group(2), m.group(3)))
    return found


def check_shape(lab, rep):
    for key in ("lab", "first_broken", "warnings", "adapters"):
        if key not in rep:
            fail(lab, "JSON lacks '%s'" % key)
            return False
    if not rep["adapters"]:
        fail(lab, "no adapters in the report")
        return False
    for a in rep["adapters"]:
        ids = [l["id"] for l in a["links"]]
        if ids != CHAIN:
            fail(lab, "links of %s are not the chain in path order: %s" % (a["vm"], ids))
            return False
        seen_broken = False
        for l in a["links"]:
            if l["status"] not in STATUSES:
                fail(lab, "%s/%s: status %r" % (a["vm"], l["id"], l["status"]))
            if seen_broken and l["status"] != "not-reached":
                fail(lab, "%s/%s is %s after a broken link" % (a["vm"], l["id"], l["status"]))
            if l["status"] == "broken":
                if seen_broken:
                    fail(lab, "%s: two broken links" % a["vm"])
                seen_broken = True
                fb = a["first_broken"]
                if not fb or fb["id"] != l["id"]:
                    fail(lab, "%s: first_broken %r is not its broken link %s" % (a["vm"], fb, l["id"]))
            if not isinstance(l["evidence"], list) or not isinstance(l["catalogue"], list):
                fail(lab, "%s/%s: evidence/catalogue not arrays" % (a["vm"], l["id"]))
        if not seen_broken and a["first_broken"] is not None:
            fail(lab, "%s: first_broken set with no broken link" % a["vm"])
    return True


SCRIPT_VERBS = re.compile(r"^\s*step\s*=\s*(inject|clear|set|start|stop|kill)\b", re.M)


def script_driven(lab):
    with open(lab) as f:
        return bool(SCRIPT_VERBS.search(f.read()))


def check_fault_lab(lab, proc, proc_script=None):
    """Check one fault lab; with proc_script, the one-shot result may miss and the after-script one must hold."""
    global failures
    if proc_script is not None:
        saved, failures = failures, []
        check_fault_lab(lab, proc)
        first = failures
        failures = saved
        if not first:
            return
        check_fault_lab(lab, proc_script)
        return
    ann = annotation(lab)
    if len(ann) != 1:
        fail(lab, "needs exactly one '; diagnose: LINK FNN' or '; diagnose-warning: LINK FNN' line (has %d)" % len(ann))
        return
    warning, link, row = ann[0]
    if link not in CHAIN:
        fail(lab, "annotation names '%s', not a link of the chain" % link)
        return
    try:
        rep = json.loads(proc.stdout)
    except ValueError as e:
        fail(lab, "not JSON (%s); exit %d; stderr: %s" % (e, proc.returncode, proc.stderr[-500:]))
        return
    if not check_shape(lab, rep):
        return
    fb = rep["first_broken"]
    if warning:
        if fb is not None:
            fail(lab, "want no broken link (a warning %s %s), got %s %s" % (link, row, fb["id"], fb["catalogue"]))
        if not any(w["id"] == link and w["catalogue"] == row for w in rep["warnings"]):
            fail(lab, "want a warning %s %s, got %s" % (link, row, rep["warnings"]))
        if proc.returncode != 0:
            fail(lab, "exit %d, want 0 (only a warning)" % proc.returncode)
    else:
        if fb is None:
            fail(lab, "want first broken %s %s, got none" % (link, row))
            return
        if (fb["id"], fb["catalogue"]) != (link, row):
            fail(lab, "want first broken %s %s, got %s %s (%s)" % (link, row, fb["id"], fb["catalogue"],
                                                                   fb["summary"]))
        if not fb["summary"] or not fb["evidence"] or not fb["fix"]:
            fail(lab, "first broken link without summary, evidence or fix: %s" % fb)
        if proc.returncode != 1:
            fail(lab, "exit %d, want 1 (a broken link)" % proc.returncode)


def check_vbd(lab, proc, text):
    rep = json.loads(proc.stdout)
    if not check_shape(lab, rep):
        return
    fb = rep["first_broken"]
    if not fb or (fb["id"], fb["catalogue"], fb.get("vm")) != ("vbd-interface", "F22", "vm1"):
        fail(lab, "want vm1 broken at vbd-interface F22, got %s" % fb)
        return
    ev = "\n".join(fb["evidence"])
    for want in ("OID_SRIOV_VF_SERIAL_NUMBER", "0xc00000bb", "NDIS_STATUS_NOT_SUPPORTED", "NETVSCVFPP",
                 "Declined", "GUID_VPCI_INTERFACE_STANDARD", "srnic_vbd"):
        if want not in ev:
            fail(lab, "evidence lacks %r:\n%s" % (want, ev))
    if "forward" not in fb["fix"]:
        fail(lab, "fix does not say to forward the interface: %s" % fb["fix"])
    vm2 = [a for a in rep["adapters"] if a["vm"] == "vm2"]
    if len(vm2) != 1 or vm2[0]["first_broken"] is not None:
        fail(lab, "vm2 (forwarding VBD) must have nothing broken: %s" % (vm2[0]["first_broken"] if vm2 else None))
    else:
        st = {l["id"]: l["status"] for l in vm2[0]["links"]}
        for k in ("vbd-interface", "vf-miniport", "netvsc-binding", "datapath-switch"):
            if st[k] != "ok":
                fail(lab, "vm2 %s is %s, want ok" % (k, st[k]))
    if proc.returncode != 1:
        fail(lab, "exit %d, want 1" % proc.returncode)
    # The text form: one line per link, then the first broken link's block.
    if text.returncode != 1:
        fail(lab, "text: exit %d, want 1" % text.returncode)
    for want in ("[ ok ] platform", "[FAIL] vbd-interface", "First broken link: vbd-interface (F22)",
                 "VM vm1, adapter vm1", "Evidence:", "Fix: "):
        if want not in text.stdout:
            fail(lab, "text lacks %r" % want)


def check_default(lab, proc):
    rep = json.loads(proc.stdout)
    if not check_shape(lab, rep):
        return
    if rep["first_broken"] is not None or proc.returncode != 0:
        fail(lab, "want nothing broken and exit 0, got %s, exit %d" % (rep["first_broken"], proc.returncode))
    for a in rep["adapters"]:
        st = {l["id"]: l["status"] for l in a["links"]}
        if st["datapath-switch"] != "ok" or st["netvsc-binding"] != "ok":
            fail(lab, "%s: datapath-switch %s, netvsc-binding %s" % (a["vm"], st["datapath-switch"],
                                                                     st["netvsc-binding"]))


def main():
    start = time.monotonic()
    faults = sorted(glob.glob(os.path.join(root, "labs", "faults", "*.lab")))
    vbd = os.path.join(root, "labs", "vbd-no-forward.lab")
    default = os.path.join(root, "labs", "default.lab")
    if not faults:
        fail("labs/faults", "no fault labs found")
    jobs = [(lab, [lab, "--json"]) for lab in faults] + [
        (lab + "+script", [lab, "--json", "--script"]) for lab in faults if script_driven(lab)] + [
        (vbd, [vbd, "--json"]), ("vbd-text", [vbd]), (default, [default, "--json"]),
        ("vm2-only", [vbd, "vm2", "--json"]), ("missing", [os.path.join(root, "labs", "nope.lab")]),
        ("bad-vm", [vbd, "vm9"]), ("bad-settle", [vbd, "--settle", "forever"])]
    tmp = tempfile.TemporaryDirectory()
    jobs += [(name, [own_vf_lab(tmp.name, name), "--json"]) for name in VF_DRIVERS]
    for name in HISTORY:
        lab = history_lab(tmp.name, name)
        jobs += [(name, [lab, "--json", "--script"]), (name + "-plain", [lab, "--json"])]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        res = dict(zip([j[0] for j in jobs], ex.map(lambda j: run(j[1]), jobs)))
    tmp.cleanup()
    for name in VF_DRIVERS:
        check_own_vf(name, res[name])
    for name in HISTORY:
        check_history(name, res[name], res[name + "-plain"])
    for lab in faults:
        check_fault_lab(lab, res[lab], res.get(lab + "+script"))
    check_vbd(vbd, res[vbd], res["vbd-text"])
    check_default(default, res[default])
    p = res["vm2-only"]
    rep = json.loads(p.stdout) if p.stdout.startswith("{") else None
    if p.returncode != 0 or not rep or [a["vm"] for a in rep["adapters"]] != ["vm2"]:
        fail("vbd-no-forward vm2", "want only vm2, nothing broken, exit 0; got exit %d" % p.returncode)
    # No lab file: the running lab's diagnose (`iovlab up`); with none up, exit 1 and say so.
    with tempfile.TemporaryDirectory() as xdg:
        res["no-lab"] = run([], env=dict(os.environ, XDG_RUNTIME_DIR=xdg))
    if res["no-lab"].returncode != 1 or "no lab is up" not in res["no-lab"].stderr:
        fail("no-lab", "exit %d, want 1 with 'no lab is up': %s" % (res["no-lab"].returncode, res["no-lab"].stderr))
    for name, want in (("missing", 2), ("bad-vm", 2), ("bad-settle", 2)):
        if res[name].returncode != want:
            fail(name, "exit %d, want %d" % (res[name].returncode, want))
    for f in failures:
        print("FAIL", f)
    n = len(faults) + 7 + len(VF_DRIVERS) + len(HISTORY)
    print("diagnose: %d labs and usage cases in %.1f s" % (n, time.monotonic() - start))
    print("%d passed, %d failed" % (max(n - len(failures), 0), len(failures)))
    return 1 if failures else 0


sys.exit(main())
