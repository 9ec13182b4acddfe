#!/usr/bin/env python3
"""Run `iovlab bench --quick --json` once and check the report (docs/bench.md).

Speed is measured, never asserted: this checks only that the JSON is
well-formed, that every field is present and plausible (positive rates,
counts that add up), and that every ratio is what the printed per-pair
figures give -- the median of the per-pair ratios, inside their min..max.
Usage: check_bench_json.py IOVLAB [--from FILE] (FILE: a saved report, for
checking the checker).
"""
import json
import math
import statistics
import subprocess
import sys

PATHS = ("raw", "vf", "synthetic", "vf_uplink", "synthetic_uplink")
RATIOS = {
    "vf_over_raw": ("vf", "raw"),
    "vf_over_synthetic": ("vf", "synthetic"),
    "synthetic_over_raw": ("synthetic", "raw"),
    "vf_uplink_over_raw": ("vf_uplink", "raw"),
    "vf_uplink_over_synthetic_uplink": ("vf_uplink", "synthetic_uplink"),
    "synthetic_uplink_over_raw": ("synthetic_uplink", "raw"),
}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def num(obj, key, where, positive=True):
    v = obj.get(key) if isinstance(obj, dict) else None
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (v > 0 if positive else v >= 0)
    check(ok, f"{where}.{key} is {'a positive' if positive else 'a non-negative'} number (got {v!r})")
    return v if ok else None


def close(a, b):
    return abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b))


def check_size(s, key):
    where = f"sizes.{key}"
    check(s.get("frame_bytes") == int(key), f"{where}.frame_bytes is {key}")
    kept = s.get("pairs_kept")
    if not check(isinstance(kept, int) and kept >= 1, f"{where}.pairs_kept >= 1"):
        return
    pairs = s.get("pairs")
    if not check(isinstance(pairs, list) and len(pairs) == kept, f"{where}.pairs has pairs_kept entries"):
        return
    for i, p in enumerate(pairs):
        for path in PATHS:
            num(p, path, f"{where}.pairs[{i}]")
        num(p, "probe_before_ns", f"{where}.pairs[{i}]")
        num(p, "probe_after_ns", f"{where}.pairs[{i}]")
    for path in PATHS:
        o = s.get("paths", {}).get(path, {})
        fps, gbps = num(o, "fps", f"{where}.paths.{path}"), num(o, "gbps", f"{where}.paths.{path}")
        if fps and gbps:
            check(close(gbps, fps * int(key) * 8 / 1e9), f"{where}.paths.{path}.gbps is fps x {key} x 8")
            check(close(fps, statistics.median(p[path] for p in pairs)), f"{where}.paths.{path}.fps is the pairs' median")
        if path != "raw":
            # the peer counts every frame out of the uplink: no sent >= received check
            num(o, "frames_sent", f"{where}.paths.{path}")
            num(o, "frames_received", f"{where}.paths.{path}")
    for name, (a, b) in RATIOS.items():
        r = s.get("ratios", {}).get(name, {})
        med, lo, hi = (num(r, k, f"{where}.ratios.{name}") for k in ("median", "min", "max"))
        per = [p[a] / p[b] for p in pairs if p.get(b)]
        if med and lo and hi and per:
            check(close(med, statistics.median(per)), f"{where}.ratios.{name}.median is the median of the per-pair ratios")
            check(close(lo, min(per)) and close(hi, max(per)), f"{where}.ratios.{name} min/max are the per-pair extremes")
            check(lo <= med <= hi, f"{where}.ratios.{name}: min <= median <= max")
    d = s.get("vf_doorbells", {})
    frames = num(d, "frames", f"{where}.vf_doorbells")
    for k in ("kicks", "interrupts", "interrupts_suppressed", "tail_writes", "tx_tail_writes", "slow_mmio_requests"):
        num(d, k, f"{where}.vf_doorbells", positive=False)
    for k, c in (("kicks_per_frame", "kicks"), ("interrupts_per_frame", "interrupts"),
                 ("slow_mmio_per_frame", "slow_mmio_requests")):
        v = num(d, k, f"{where}.vf_doorbells", positive=False)
        if frames and v is not None and isinstance(d.get(c), int):
            check(close(v, d[c] / frames), f"{where}.vf_doorbells.{k} is {c} / frames")


def check_tcp(t, top):
    """The TCP object: per-pair Mbit/s of both paths, the ratio the pairs give, each stream on its path."""
    if not check(isinstance(t, dict), "tcp is an object"):
        return
    num(t, "bytes", "tcp")
    check(isinstance(t.get("service"), str) and t["service"], "tcp.service is a string")
    kept = t.get("pairs_kept")
    pairs = t.get("pairs")
    if not check(isinstance(kept, int) and kept >= 1 and isinstance(pairs, list) and len(pairs) == kept,
                 "tcp.pairs has pairs_kept (>= 1) entries"):
        return
    for i, p in enumerate(pairs):
        for k in ("vf", "synthetic", "probe_before_ns", "probe_after_ns"):
            num(p, k, f"tcp.pairs[{i}]")
        for k in ("vf_retransmits", "synthetic_retransmits"):
            num(p, k, f"tcp.pairs[{i}]", positive=False)
    for path in ("vf", "synthetic"):
        o = t.get("paths", {}).get(path, {})
        where = f"tcp.paths.{path}"
        mbps, lo, hi = (num(o, k, where) for k in ("mbps", "mbps_min", "mbps_max"))
        per = [p[path] for p in pairs if isinstance(p.get(path), (int, float))]
        if mbps and lo and hi and per:
            check(close(mbps, statistics.median(per)), f"{where}.mbps is the pairs' median")
            check(close(lo, min(per)) and close(hi, max(per)), f"{where} min/max are the pairs' extremes")
        for k in ("retransmits", "switch_drops", "frames_vf", "frames_synthetic"):
            num(o, k, where, positive=False)
        rt = o.get("retransmits")
        if isinstance(rt, int):
            check(rt == sum(p.get(f"{path}_retransmits", 0) for p in pairs), f"{where}.retransmits is the pairs' sum")
    vf, syn = t.get("paths", {}).get("vf", {}), t.get("paths", {}).get("synthetic", {})
    if all(isinstance(o.get(k), int) for o in (vf, syn) for k in ("frames_vf", "frames_synthetic")):
        check(vf["frames_vf"] > 0 and vf["frames_vf"] >= vf["frames_synthetic"],
              "tcp: the VF path's streams went through the VF")
        check(syn["frames_vf"] == 0 and syn["frames_synthetic"] > 0,
              "tcp: the synthetic path's streams never touched a VF")
    r = t.get("ratios", {}).get("vf_over_synthetic", {})
    med, lo, hi = (num(r, k, "tcp.ratios.vf_over_synthetic") for k in ("median", "min", "max"))
    per = [p["vf"] / p["synthetic"] for p in pairs if isinstance(p.get("vf"), (int, float)) and p.get("synthetic")]
    if med and lo and hi and per:
        check(close(med, statistics.median(per)), "tcp.ratios.vf_over_synthetic.median is the median of the per-pair ratios")
        check(close(lo, min(per)) and close(hi, max(per)), "tcp.ratios.vf_over_synthetic min/max are the per-pair extremes")
        check(isinstance(top, (int, float)) and close(top, med), "top-level tcp_vf_over_synthetic is its median")
    check("uplink" in t and (t["uplink"] is None) == isinstance(t.get("uplink_reason"), str),
          "tcp.uplink is measured, or null with uplink_reason")


def main():
    if "--from" in sys.argv:
        with open(sys.argv[sys.argv.index("--from") + 1]) as f:
            text = f.read()
    else:
        p = subprocess.run([sys.argv[1], "bench", "--quick", "--json"], capture_output=True, text=True, timeout=240)
        if p.returncode != 0:
            print(p.stderr)
            print(f"FAIL: iovlab bench exited with {p.returncode}")
            return 1
        text = p.stdout
    try:
        j = json.loads(text)
    except ValueError as e:
        print(f"FAIL: not JSON: {e}")
        return 1
    for k in ("vf_over_raw", "vf_over_synthetic", "synthetic_over_raw"):
        num(j, k, "top")
    m = j.get("machine", {})
    num(m, "nproc", "machine")
    check(isinstance(m.get("cpu_model"), str) and m["cpu_model"], "machine.cpu_model is a string")
    check(isinstance(m.get("kernel"), str) and m["kernel"], "machine.kernel is a string")
    check(j.get("method", {}).get("quick") is True, "method.quick is true")
    num(j.get("method", {}), "pairs", "method")
    sizes = j.get("sizes", {})
    for key in ("64", "1514"):
        if check(key in sizes, f"sizes.{key} present"):
            check_size(sizes[key], key)
    if "64" in sizes:
        for k in ("vf_over_raw", "vf_over_synthetic", "synthetic_over_raw"):
            inner = sizes["64"].get("ratios", {}).get(k, {}).get("median")
            check(isinstance(inner, (int, float)) and close(j.get(k, -1), inner),
                  f"top-level {k} is sizes.64.ratios.{k}.median")
    b = j.get("bringup", {})
    pts = b.get("points")
    if check(isinstance(pts, list) and len(pts) >= 2, "bringup.points has at least two counts"):
        counts = [p.get("vfs") for p in pts]
        check(counts == sorted(counts) and counts[0] == 1, "bringup.points start at 1 VF and grow")
        per = []
        for i, p in enumerate(pts):
            total, pv = num(p, "total_ms", f"bringup.points[{i}]"), num(p, "per_vf_ms", f"bringup.points[{i}]")
            num(p, "vm_boot_ms", f"bringup.points[{i}]")
            if total and pv:
                check(close(pv, total / p["vfs"]), f"bringup.points[{i}].per_vf_ms is total / vfs")
                per.append(pv)
        if per:
            check(close(b.get("per_vf_max_over_min", -1), max(per) / min(per)), "bringup.per_vf_max_over_min")
    check(b.get("total_vfs") == 256 and isinstance(b.get("note"), str), "bringup says srnic's most VFs (256) and a note")
    check(isinstance(b.get("vm_memory"), str) and b["vm_memory"], "bringup.vm_memory is a string")
    stopped = b.get("stopped", "missing")
    check(stopped is None or (isinstance(stopped, dict) and isinstance(stopped.get("reason"), str) and stopped["reason"]
                              and isinstance(pts, list) and pts and stopped.get("vfs", 0) > pts[-1].get("vfs", 0)),
          "bringup.stopped is null, or the count it stopped at (past the last point) with a reason")
    if isinstance(pts, list):
        for i, p in enumerate(pts):
            check(isinstance(p.get("board_total_vfs"), int) and p["board_total_vfs"] >= p.get("vfs", 1 << 30),
                  f"bringup.points[{i}].board_total_vfs covers its VFs")
            if isinstance(p.get("vfs"), int) and p["vfs"] >= 4:
                busy, r = num(p, "busy_pair_fps", f"bringup.points[{i}]"), num(p, "busy_over_lone", f"bringup.points[{i}]")
                lone = j.get("idle_vfs", {}).get("lone_fps")
                if busy and r and isinstance(lone, (int, float)) and lone > 0:
                    check(close(r, busy / lone), f"bringup.points[{i}].busy_over_lone is busy_pair_fps / idle_vfs.lone_fps")
            else:
                check("busy_pair_fps" not in p and "busy_over_lone" not in p,
                      f"bringup.points[{i}]: no busy pair with fewer than 4 VFs")
        if pts and isinstance(pts[-1].get("busy_pair_fps"), (int, float)):
            check(close(pts[-1]["busy_pair_fps"], j.get("idle_vfs", {}).get("active_fps", -1)),
                  "idle_vfs is the largest count's busy pair")
    i = j.get("idle_vfs", {})
    num(i, "idle", "idle_vfs")
    a, lone, r = num(i, "active_fps", "idle_vfs"), num(i, "lone_fps", "idle_vfs"), num(i, "active_over_lone", "idle_vfs")
    if a and lone and r:
        check(close(r, a / lone), "idle_vfs.active_over_lone is active_fps / lone_fps")
        check(close(lone, sizes.get("64", {}).get("paths", {}).get("vf", {}).get("fps", -1)),
              "idle_vfs.lone_fps is the 64 B VF figure")
    s = j.get("switch", {})
    ms, rtt, rts = num(s, "ms", "switch"), num(s, "control_rtt_ms", "switch"), num(s, "round_trips", "switch")
    if ms and rtt and rts:
        check(close(rts, ms / rtt), "switch.round_trips is ms / control_rtt_ms")
    frames = num(s, "frames", "switch")
    for k in ("received", "lost", "duplicated", "reordered", "tx_vf", "tx_synthetic"):
        num(s, k, "switch", positive=False)
    if frames and all(isinstance(s.get(k), int) for k in ("tx_vf", "tx_synthetic")):
        check(s["tx_vf"] + s["tx_synthetic"] == frames, "switch: every frame went one way or the other")
        check(s["tx_vf"] > 0 and s["tx_synthetic"] > 0, "switch: the stream ran on both paths (it switched under it)")
    check_tcp(j.get("tcp"), j.get("tcp_vf_over_synthetic"))
    for f in failures:
        print("FAIL:", f)
    print(f"bench report: {len(failures)} problem(s); VF/raw {j.get('vf_over_raw')}, "
          f"VF/synthetic {j.get('vf_over_synthetic')}, synthetic/raw {j.get('synthetic_over_raw')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
