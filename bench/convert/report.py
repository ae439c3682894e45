#!/usr/bin/env python3
"""Parse `/usr/bin/time -v` (or measure.py) outputs and print the comparison table.

usage: report.py CELLS c2s=FILE reference=FILE   (a missing/empty FILE is shown as n/a)
"""
import os
import re
import sys


def parse(path):
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    txt = open(path).read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): *([0-9:.]+)", txt)
    r = re.search(r"Maximum resident set size \(kbytes\): *(\d+)", txt)
    e = re.search(r"Exit status: *(\d+)", txt)
    if not m or not r:
        return None
    parts = [float(p) for p in m.group(1).split(":")]
    wall = 0.0
    for p in parts:
        wall = wall * 60 + p
    return dict(wall=wall, mib=int(r.group(1)) / 1024, rc=int(e.group(1)) if e else 0)


def main():
    cells = sys.argv[1]
    res = {}
    for arg in sys.argv[2:]:
        k, _, v = arg.partition("=")
        res[k] = parse(v)
    print(f"\nconvert benchmark, {cells} cells (kang-ifnb-sub2k tiled)")
    print(f"{'tool':<12}{'wall s':>10}{'peak MiB':>12}{'exit':>6}")
    for k, r in res.items():
        if r is None:
            print(f"{k:<12}{'n/a':>10}{'n/a':>12}{'':>6}")
        else:
            print(f"{k:<12}{r['wall']:>10.2f}{r['mib']:>12.1f}{r['rc']:>6}")
    c, ref = res.get("c2s"), res.get("reference")
    if c and ref and c["wall"] > 0 and c["mib"] > 0:
        print(f"{'ratio ref/c2s':<12}{ref['wall']/c['wall']:>10.2f}x{ref['mib']/c['mib']:>11.2f}x")


if __name__ == "__main__":
    main()
