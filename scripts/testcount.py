#!/usr/bin/env python3
"""Sum meson test results from one or more testlog.json files and print the
plain CI line 'N passed, N failed'. Exit 1 if any test failed or no test ran.
A missing log counts as one failure (the run it belongs to never happened)."""
import json
import sys

passed = failed = 0
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            lines = [l for l in f if l.strip()]
    except OSError:
        print(f"testcount: {path}: missing (that run did not happen)", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            # A skipped test is a defect here: count it as failed and say so.
            print(f"testcount: {path}: skipped test counts as failed: "
                  f"{json.loads(line).get('name')}", file=sys.stderr)
            failed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
