#!/usr/bin/env python3
"""Print the evaluation benchmark table: time per stage of c2s and Python, and agreement.

usage: compare.py C2S.json C2S.time REF.json REF.time
"""
import importlib.util
import json
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "convert_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "convert", "report.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)

ours, ref = json.load(open(sys.argv[1])), json.load(open(sys.argv[3]))
ot, rt = _mod.parse(sys.argv[2]), _mod.parse(sys.argv[4])
timing = {t["stage"]: t["seconds"] for t in ours["timings"]}
print(f"\n{'stage':<28}{'c2s s':>10}{'python s':>10}{'ratio':>8}")
for stage in ["k-NN in expression space", "k-NN in sentence space", "mean profiles", "MMD", "Gromov-Wasserstein"]:
    a, b = timing.get(stage, float("nan")), ref["stages"].get(stage, float("nan"))
    print(f"{stage:<28}{a:>10.2f}{b:>10.2f}{b / a if a > 0 else float('nan'):>7.1f}x")
if ot and rt:
    print(f"{'whole run (wall, GNU time)':<28}{ot['wall']:>10.2f}{rt['wall']:>10.2f}{rt['wall'] / ot['wall']:>7.1f}x")
    print(f"{'peak memory MiB':<28}{ot['mib']:>10.0f}{rt['mib']:>10.0f}")

rows = {(r["space"], "generated" if r["name"].startswith("generated") else "reference"): {str(s["k"]): s["accuracy"] for s in r["scores"]}
        for r in ours["knn"]}
worst = 0.0
for space in ["expression", "sentence"]:
    for which in ["generated", "reference"]:
        a, b = rows[(space, which)], ref[space][which]
        for k in b:
            worst = max(worst, abs(a[k] - b[k]))
        print(f"k-NN {space} {which}: c2s {[round(a[k], 4) for k in sorted(a, key=int)]}  python {[round(b[k], 4) for k in sorted(b, key=int)]}")
print(f"largest k-NN accuracy difference: {worst:.2e}")
prof = {p["label"]: p for p in ours["mean_profiles"]["per_type"]}
d = max(abs(prof[p["label"]][m] - p[m]) for p in ref["mean_profiles"] for m in ["pearson", "spearman", "r2"])
print(f"largest mean-profile difference: {d:.2e}")
print(f"MMD^2 (different subsamples): c2s {ours['mmd']['result']['mmd2_biased']:.4g}, python {ref['mmd2_biased']:.4g}")
print(f"GW (different subsamples): c2s {ours['gromov_wasserstein']['result']['loss']:.4g}, python {ref['gw']:.4g}")
