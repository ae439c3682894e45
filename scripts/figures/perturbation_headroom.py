#!/usr/bin/env python3
"""How much room the per-cell-type mean shift leaves a perturbation model (make perturbation's
files). For each cell type with test cells of both conditions: the true response is the test
split's stimulated mean minus its control mean; the DE genes are its top N by absolute size
(as `c2s evaluate perturbation` chooses them). Printed per type and as means over types:

  - mean shift: Pearson over the DE genes of the training split's response (its stimulated
    minus control mean) with the true response: the baseline of issue 14;
  - split-half ceiling: the test cells of each condition split in two at random (seeded), the
    two halves' responses correlated over the same genes, Spearman-Brown corrected to the full
    test split and square-rooted: the correlation an error-free prediction of the population
    response could expect against a test response this noisy (averaged over 50 splits).

    python3 scripts/figures/perturbation_headroom.py DIR LABEL_COLUMN [N]
"""
import sys

import anndata as ad
import numpy as np

folder, column = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 20
files = {n: ad.read_h5ad(f"{folder}/{n}.h5ad") for n in ["train-CTRL", "train-STIM", "test-CTRL", "test-STIM"]}
genes = files["test-CTRL"].var_names
for n, a in files.items():
    assert list(a.var_names) == list(genes), f"{n}: genes differ"


def dense(a):
    return a.X.toarray() if hasattr(a.X, "toarray") else np.asarray(a.X)


x = {n: dense(a) for n, a in files.items()}
labels = {n: a.obs[column].astype(str).values for n, a in files.items()}
rng = np.random.default_rng(0)
rows = []
for t in sorted(set(labels["test-CTRL"]) & set(labels["test-STIM"])):
    sel = {n: x[n][labels[n] == t] for n in x}
    if min(len(sel["train-CTRL"]), len(sel["train-STIM"])) == 0:
        continue
    truth = sel["test-STIM"].mean(0) - sel["test-CTRL"].mean(0)
    de = np.argsort(-np.abs(truth))[:top]
    shift = sel["train-STIM"].mean(0) - sel["train-CTRL"].mean(0)
    baseline = np.corrcoef(shift[de], truth[de])[0, 1]
    ceilings = []
    c, s = sel["test-CTRL"], sel["test-STIM"]
    if len(c) >= 2 and len(s) >= 2:
        for _ in range(50):
            pc, ps = rng.permutation(len(c)), rng.permutation(len(s))
            h = [s[ps[i::2]].mean(0) - c[pc[i::2]].mean(0) for i in (0, 1)]
            r = np.corrcoef(h[0][de], h[1][de])[0, 1]
            reliability = 2 * r / (1 + r) if r > 0 else 0.0
            ceilings.append(np.sqrt(max(reliability, 0)))
    ceiling = float(np.mean(ceilings)) if ceilings else float("nan")
    rows.append((t, len(c), len(s), baseline, ceiling))
    print(f"{t:15s} test ctrl {len(c):3d} stim {len(s):3d}  mean shift {baseline:.3f}  split-half ceiling {ceiling:.3f}")
b = np.mean([r[3] for r in rows]); cl = np.nanmean([r[4] for r in rows])
print(f"mean over {len(rows)} types, top {top} DE genes: mean shift {b:.3f}, split-half ceiling {cl:.3f}")
