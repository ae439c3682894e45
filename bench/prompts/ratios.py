#!/usr/bin/env python3
"""Print the formatting ratio of every run of bench/prompts/run.sh, and their median.

usage: ratios.py OUT RUNS
Reads OUT/run<i>/{c2s.log, ref.log, loadavg, time-c2s.txt, time-ref.txt}. The formatting ratio
is the reference's C2SPromptFormatter.format_hf_ds time over c2s's own "format" time (choosing
units and rendering every line, writing excluded), both from the same run; the whole ratio is
wall time of the whole command (python start and imports included for the reference).
"""
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import parse  # noqa: E402

TARGET = 50


def main():
    out, runs = sys.argv[1], int(sys.argv[2])
    rows = []
    for i in range(1, runs + 1):
        d = os.path.join(out, f"run{i}")
        try:
            c2s = open(os.path.join(d, "c2s.log")).read()
            stages = next(json.loads(l[7:]) for l in open(os.path.join(d, "ref.log")) if l.startswith("STAGES "))
        except (OSError, StopIteration):
            continue
        m = re.search(r"([0-9.]+) s \(load ([0-9.]+) s, splits ([0-9.]+) s, format ([0-9.]+) s, write ([0-9.]+) s\)", c2s)
        if not m:
            continue
        whole, load, splits, fmt, write = map(float, m.groups())
        c, r = parse(os.path.join(d, "time-c2s.txt")), parse(os.path.join(d, "time-ref.txt"))
        loadavg = open(os.path.join(d, "loadavg")).read().strip()
        rows.append(dict(run=i, loadavg=loadavg, load=load, splits=splits, fmt=fmt, write=write, whole=whole,
                         c2s_wall=c["wall"] if c else float("nan"), ref_wall=r["wall"] if r else float("nan"),
                         ref_fmt=stages["format"], ratio=stages["format"] / max(fmt, 1e-4),
                         whole_ratio=(r["wall"] / c["wall"]) if c and r and c["wall"] > 0 else float("nan")))
    if not rows:
        print("ratios: no complete run")
        return
    print(f"\nformatting ratio per run (reference format_hf_ds / c2s format; target >= {TARGET}x):")
    print(f"{'run':>4} {'load avg 1/5/15':>16} {'c2s load':>9} {'splits':>7} {'format':>7} {'write':>6} {'c2s wall':>9}"
          f" {'ref format':>11} {'ref wall':>9} {'format ratio':>13} {'whole ratio':>12}")
    for x in rows:
        print(f"{x['run']:>4} {x['loadavg']:>16} {x['load']:>9.2f} {x['splits']:>7.2f} {x['fmt']:>7.3f} {x['write']:>6.2f}"
              f" {x['c2s_wall']:>9.2f} {x['ref_fmt']:>11.2f} {x['ref_wall']:>9.2f} {x['ratio']:>12.1f}x {x['whole_ratio']:>11.1f}x")
    ratios = [x["ratio"] for x in rows]
    med = statistics.median(ratios)
    print(f"FORMATTING RATIO: median {med:.1f}x over {len(rows)} run(s) (min {min(ratios):.1f}x, max {max(ratios):.1f}x); "
          f"target {TARGET}x {'met' if med >= TARGET else 'NOT met'}")
    wr = [x["whole_ratio"] for x in rows if x["whole_ratio"] == x["whole_ratio"]]
    if wr:
        print(f"WHOLE-COMMAND RATIO: median {statistics.median(wr):.1f}x (min {min(wr):.1f}x, max {max(wr):.1f}x)")


if __name__ == "__main__":
    main()
