#!/usr/bin/env python3
"""The whole `make demo` recipe under stratified K-fold cross-validation: does c2s annotate as well
as logistic regression on 2,000 HVGs over every cell of a dataset, not only on one 200-cell test
split (whose noise, ~2 points either way, is the size of the gaps in question: SCIENCE.md §5b-c)?

For each fold k, a splits.json puts fold k's cells (1/K of every label) in `test`, VALIDATION of
the rest (per label, at random) in `validation` and the others in `train`; then
`make demo INPUT=DATA LABEL=LABEL DEMO_DIR=OUT/fold-k SPLITS=OUT/fold-k.splits.json [MAKE_VARS]`
trains the recipe from scratch on that train split and scores its test split, with the
baselines `c2s evaluate annotation` fits on the same train cells. A fold whose
annotation-constrained.json already exists is not run again (delete its folder to redo it).

Prints, per fold and over all folds (every cell of the data is a test cell exactly once):
c2s's annotation (constrained, free, and each view's own reading when the demo has two) beside
logistic regression on 2,000 HVGs, k-NN on 50 PCs of HVGs, the majority label and chance, the paired per-fold difference c2s - LR with a 95 % interval
over folds (t distribution), and the generated cells' k-NN accuracy beside real vs real. Writes
the same as JSON to OUT/cv-summary.json.

    python3 scripts/figures/annotation_cv_demo.py DATA.h5ad LABEL OUT [--folds 5] [--seed 0]
        [--validation 0.1] [--only 1,3] [MAKE_VAR=VALUE ...]

Needs anndata (the README's `make test` installs it) and make; about K x the demo's time.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def fold_plans(names, labels, folds, validation, seed):
    """One split plan per fold: per label, the label's cells shuffled and dealt to the folds in
    turn from a random start (fold sizes within a cell of each other, per label and overall);
    of each label's cells outside the test fold, round(validation x all of that label's cells)
    go to validation."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(names), dtype=int)
    start = 0
    for label in sorted(set(labels)):
        members = np.flatnonzero(labels == label)
        rng.shuffle(members)
        fold_of[members] = (start + np.arange(len(members))) % folds
        start = (start + len(members)) % folds
    plans = []
    for k in range(folds):
        split = np.where(fold_of == k, "test", "train").astype(object)
        for label in sorted(set(labels)):
            rest = np.flatnonzero((labels == label) & (fold_of != k))
            wanted = min(len(rest) - 1, int(round(validation * np.sum(labels == label))))
            if wanted > 0:
                split[rng.choice(rest, wanted, replace=False)] = "validation"
        plans.append({"assignments": dict(zip(names, split.tolist())),
                      "fractions": {"train": round(1 - 1 / folds - validation, 6), "validation": validation,
                                    "test": round(1 / folds, 6)},
                      "group_by": [], "seed": seed, "stratify_by": None})
    return plans


def read_cells(path, label):
    import anndata
    data = anndata.read_h5ad(path, backed="r")
    if label not in data.obs.columns:
        sys.exit(f"error: {path}: no obs column '{label}' (it has {', '.join(map(str, data.obs.columns))})")
    names = np.array([str(n) for n in data.obs_names])
    if len(set(names)) != len(names):
        sys.exit(f"error: {path}: cell names (obs_names) repeat; a split plan needs them unique")
    labels = data.obs[label].astype(str).to_numpy()
    data.file.close()
    return names, labels


def figures(run):
    """The fold's headline figures from its demo folder."""
    con = json.load(open(os.path.join(run, "annotation-constrained.json")))
    free = json.load(open(os.path.join(run, "annotation-free.json")))
    gen = json.load(open(os.path.join(run, "generation.json")))
    base = con["baselines"]

    def knn10(name):
        row = next(r for r in gen["knn"] if r["name"] == name and r["space"] == "expression")
        return next(s["accuracy"] for s in row["scores"] if s["k"] == 10)
    views = {}
    for view in ("whole", "hvg"):  # the two annotation views' own readings (make demo's ANNOTATION_HVG)
        path = os.path.join(run, f"annotation-{view}.json")
        if os.path.isfile(path):
            views[f"c2s_{view}"] = json.load(open(path))["metrics"]["correct"]
    return {
        **views,
        "cells": con["metrics"]["cells"],
        "c2s_constrained": con["metrics"]["correct"],
        "c2s_free": free["metrics"]["correct"],
        "logistic_regression_hvg": base["logistic_regression_hvg"]["metrics"]["correct"],
        "knn_pca_hvg": base["knn_pca_hvg"]["metrics"]["correct"],
        "majority": base["chance"]["majority_class_accuracy"] * con["metrics"]["cells"],
        "chance": base["chance"]["uniform"],
        "generated_knn": knn10("generated vs real"),
        "real_vs_real_knn": knn10("real vs real (reference)"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data")
    ap.add_argument("label")
    ap.add_argument("out")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--validation", type=float, default=0.1)
    ap.add_argument("--only", default="", help="comma-separated folds (1-based) to run now; the summary covers the folds done")
    args, make_vars = ap.parse_known_args()
    if any("=" not in v for v in make_vars):
        ap.error(f"not a MAKE_VAR=VALUE: {[v for v in make_vars if '=' not in v][0]}")
    if args.folds < 2 or not 0 <= args.validation < 1 - 1 / args.folds:
        ap.error("need --folds >= 2 and 0 <= --validation < 1 - 1/folds")
    if not os.path.isfile(args.data):
        sys.exit(f"error: {args.data}: no such file")
    names, labels = read_cells(args.data, args.label)
    os.makedirs(args.out, exist_ok=True)
    plans = fold_plans(names, labels, args.folds, args.validation, args.seed)
    only = {int(k) for k in args.only.split(",") if k} or set(range(1, args.folds + 1))
    rows = {}
    for k in range(1, args.folds + 1):
        run = os.path.join(args.out, f"fold-{k}")
        if k in only and not os.path.isfile(os.path.join(run, "generation.json")):
            plan = os.path.join(args.out, f"fold-{k}.splits.json")
            with open(plan, "w") as f:
                json.dump(plans[k - 1], f)
            print(f"== fold {k} of {args.folds}: make demo into {run}", flush=True)
            with open(os.path.join(args.out, f"fold-{k}.log"), "w") as log:
                done = subprocess.run(["make", "--no-print-directory", "demo", f"INPUT={os.path.abspath(args.data)}",
                                       f"LABEL={args.label}", f"DEMO_DIR={os.path.abspath(run)}",
                                       f"SPLITS={os.path.abspath(plan)}", *make_vars],
                                      cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            if done.returncode != 0:
                sys.exit(f"error: fold {k}: make demo failed (exit {done.returncode}); see {log.name}")
        if os.path.isfile(os.path.join(run, "generation.json")):
            rows[k] = figures(run)
    if not rows:
        sys.exit("error: no fold finished")

    readers = ["c2s_constrained", "c2s_free", "logistic_regression_hvg", "knn_pca_hvg", "majority"]
    readers[1:1] = [v for v in ("c2s_whole", "c2s_hvg") if all(v in row for row in rows.values())]
    print(f"\n{os.path.basename(args.data)}, {args.label}: {len(rows)} of {args.folds} folds "
          f"(seed {args.seed}), each fold's test cells scored by the demo trained on the rest")
    print("fold  cells  " + "  ".join(f"{r:>23s}" for r in readers) + "   generated k-NN (k = 10) / real vs real")
    for k, row in rows.items():
        print(f"{k:4d}  {row['cells']:5d}  " + "  ".join(f"{100 * row[r] / row['cells']:22.1f}%" for r in readers)
              + f"   {100 * row['generated_knn']:.1f} / {100 * row['real_vs_real_knn']:.1f} %")
    cells = sum(r["cells"] for r in rows.values())
    pooled = {r: sum(row[r] for row in rows.values()) / cells for r in readers}
    print(f" all  {cells:5d}  " + "  ".join(f"{100 * pooled[r]:22.1f}%" for r in readers))
    diffs = np.array([(row["c2s_constrained"] - row["logistic_regression_hvg"]) / row["cells"] for row in rows.values()])
    summary = {"data": args.data, "label": args.label, "folds": args.folds, "seed": args.seed,
               "make_vars": make_vars, "per_fold": rows, "pooled": pooled,
               "chance": next(iter(rows.values()))["chance"]}
    if len(diffs) > 1:
        half = T975.get(len(diffs) - 1, 1.96) * diffs.std(ddof=1) / np.sqrt(len(diffs))
        summary["c2s_minus_lr"] = {"mean": diffs.mean(), "ci95": [diffs.mean() - half, diffs.mean() + half]}
        print(f"c2s (constrained) - LR on HVGs: {100 * diffs.mean():+.1f} points "
              f"(95 % CI over folds {100 * (diffs.mean() - half):+.1f} .. {100 * (diffs.mean() + half):+.1f}); "
              f"chance {100 * summary['chance']:.1f} %")
    with open(os.path.join(args.out, "cv-summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=float)


if __name__ == "__main__":
    main()
