#!/usr/bin/env python3
"""The timeline's catalogue: every span and instant name the code writes
(trace_span_begin / TRACE_SCOPE / trace_instant with a literal name, and
the virtualization stack's step names) and every category is documented in
docs/tracing.md's table, and the table names nothing the code no longer
writes. Names computed at run time (an OID's name) are documented as such.

Usage: check_catalogue.py SOURCE_ROOT
"""
import os
import re
import sys

root = sys.argv[1]
call = re.compile(r'\b(trace_span_begin|TRACE_SCOPE|trace_instant)\(\s*((?:[^,"]|"[^"]*")+),\s*((?:[^,"]|"[^"]*")+),', re.S)
step = re.compile(r'case VSTACK_VF_\w+: return "([^"]+)";')
names, cats = {}, {}
for top in ("src", "drivers"):
    for d, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            if not f.endswith(".c"):
                continue
            path = os.path.join(d, f)
            text = open(path, encoding="utf-8").read()
            rel = os.path.relpath(path, root)
            for m in call.finditer(text):
                if rel == "src/base/trace.c":
                    continue
                for c in re.findall(r'"([^"]*)"', m.group(2)):
                    cats.setdefault(c, rel)
                for n in re.findall(r'"([^"]*)"', m.group(3)):
                    names.setdefault(n, rel)
            for n in step.findall(text):
                names.setdefault(n, rel)

doc = open(os.path.join(root, "docs", "tracing.md"), encoding="utf-8").read()
table = doc[doc.index("### Categories and span names"):doc.index("### Opening it")]
rows = [r for r in table.splitlines() if r.startswith("| `")]
doc_cats, doc_names = set(), set()
for r in rows:
    cells = r.split("|")
    doc_cats.update(re.findall(r"`([^`]+)`", cells[1]))
    doc_names.update(re.findall(r"`([^`]+)`", cells[2]))

fails = 0
for n, where in sorted(names.items()):
    if n not in doc_names:
        print("FAIL span/instant name %r (%s) is not in docs/tracing.md's table" % (n, where))
        fails += 1
for c, where in sorted(cats.items()):
    if c not in doc_cats:
        print("FAIL category %r (%s) is not in docs/tracing.md's table" % (c, where))
        fails += 1
for n in sorted(doc_names - set(names) - {"OID_NIC_SWITCH_ALLOCATE_VF"}):
    print("FAIL docs/tracing.md names %r, which no code writes" % n)
    fails += 1
if not names or not cats:
    print("FAIL found no trace calls at all")
    fails += 1
print("%d names and %d categories checked" % (len(names), len(cats)))
print("%d passed, %d failed" % (0 if fails else 1, fails))
sys.exit(1 if fails else 0)
