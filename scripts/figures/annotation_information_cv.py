#!/usr/bin/env python3
"""Is the cell sentence's ceiling for annotation below logistic regression on expression, beyond
the noise of one 200-cell test split? The question of SCIENCE.md §5b, asked with repeated
stratified k-fold cross-validation over every cell instead of one split, and paired per cell.

For each fold, fitted on the fold's training cells only and scored on its held-out cells:
  - ranks-N: scikit-learn's LogisticRegression (C = 1, lbfgs) on the sentence's first N genes,
    feature (N + 1 - rank) / N as in annotation_information.py (N = 100: what the model reads;
    "all": every expressed gene, ranked);
  - hvg: the same classifier on 2,000 highly variable genes of the log-normalised counts
    (normalise to 10,000 per cell, log1p; genes chosen on the fold's training cells by the
    "seurat" flavour: mean and dispersion of expm1 values, dispersion z-scored within 20 bins
    of mean, top 2,000), standardised as `c2s evaluate annotation` does (zero mean, unit
    variance on the training cells, clipped to ±10).
Prints each reader's accuracy over all held-out predictions, the paired difference with a 95 %
interval over folds (t distribution), and McNemar's exact test on the per-cell disagreements.

    python3 scripts/figures/annotation_information_cv.py SENTENCES_FOLDER DATA.h5ad LABEL [--folds 5] [--repeats 2]
        [--ranks 100,all]   (sentence lengths read, comma-separated; "all": every expressed gene)
        [--splits splits.json]   (one split of `c2s prompts` instead: fit on train, score test and validation)

SENTENCES_FOLDER is `c2s convert DATA.h5ad -o SENTENCES_FOLDER --obs-columns LABEL`.
"""
import json
import os
import sys
import warnings

import h5py
import numpy as np
from scipy import sparse, stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from annotation_information import rank_features  # noqa: E402  (the same features as §5b's table)

warnings.filterwarnings("ignore")


def option(name, default):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def read_counts(path):
    """X of an h5ad as CSR (dense or CSR stored), with the cell names."""
    with h5py.File(path, "r") as f:
        x = f["X"]
        if isinstance(x, h5py.Group):
            shape = tuple(x.attrs["shape"])
            m = sparse.csr_matrix((x["data"][...], x["indices"][...], x["indptr"][...]), shape=shape)
            if x.attrs["encoding-type"] == "csc_matrix":
                m = sparse.csc_matrix((x["data"][...], x["indices"][...], x["indptr"][...]), shape=shape).tocsr()
        else:
            m = sparse.csr_matrix(x[...])
        obs = f["obs"]
        index = obs.attrs.get("_index", "_index")
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in obs[index][...]]
    return m.astype(np.float64), names


def hvg_features(lognorm, train):
    """Indices of 2,000 genes by the seurat flavour, from the training cells."""
    x = lognorm[train]
    e = x.copy(); e.data = np.expm1(e.data)
    mean = np.asarray(e.mean(axis=0)).ravel()
    sq = np.asarray(e.multiply(e).mean(axis=0)).ravel()
    var = (sq - mean ** 2) * x.shape[0] / max(1, x.shape[0] - 1)
    mean[mean == 0] = 1e-12
    dispersion = np.log(np.maximum(var / mean, 1e-300))
    dispersion[var == 0] = np.nan
    logmean = np.log1p(mean)
    bins = np.digitize(logmean, np.linspace(logmean.min(), logmean.max(), 21)[1:-1])
    z = np.full_like(dispersion, np.nan)
    for b in np.unique(bins):
        sel = bins == b
        d = dispersion[sel]
        sd = np.nanstd(d, ddof=1) if np.sum(~np.isnan(d)) > 1 else np.nan
        z[sel] = (d - np.nanmean(d)) / sd if sd and not np.isnan(sd) else 0.0
    z = np.nan_to_num(z, nan=-np.inf)
    return np.argsort(-z, kind="stable")[:2000]


def hvg_matrix(lognorm, train):
    """Every cell's 2,000 HVGs (chosen on the training cells), standardised on the training
    cells and clipped to ±10."""
    x = lognorm[:, hvg_features(lognorm, train)].toarray()
    mu, sd = x[train].mean(axis=0), x[train].std(axis=0)
    sd[sd == 0] = 1
    return np.clip((x - mu) / sd, -10, 10)


def main():
    folder, data, label = sys.argv[1:4]
    folds, repeats = option("--folds", 5), option("--repeats", 2)
    cells = [json.loads(line) for line in open(f"{folder}/cells.jsonl")]
    counts, names = read_counts(data)
    row_of = {n: i for i, n in enumerate(names)}
    rows = np.array([row_of[c["cell_name"]] for c in cells])
    counts = counts[rows]
    labels = np.array([str(c[label]) for c in cells])
    totals = np.asarray(counts.sum(axis=1)).ravel()
    lognorm = sparse.diags(1e4 / np.maximum(totals, 1e-12)) @ counts
    lognorm.data = np.log1p(lognorm.data)
    lognorm = lognorm.tocsr()

    vocabulary = {}
    for c in cells:
        for g in c["cell_sentence"].split():
            vocabulary.setdefault(g, len(vocabulary))

    lengths = sys.argv[sys.argv.index("--ranks") + 1].split(",") if "--ranks" in sys.argv else ["100", "all"]
    readers = {f"ranks-{n}": rank_features(cells, vocabulary, 0 if n == "all" else int(n)) for n in lengths}
    correct = {name: [] for name in list(readers) + ["hvg"]}
    fold_acc = {name: [] for name in correct}
    if "--splits" in sys.argv:
        # One given split (c2s prompts' splits.json) instead of cross-validation: fitted on its
        # train cells, scored on its test and validation cells, as `c2s evaluate annotation`
        # scores its baselines.
        assignments = json.load(open(sys.argv[sys.argv.index("--splits") + 1]))["assignments"]
        split_of = np.array([assignments.get(c["cell_name"], "") for c in cells])
        train = np.flatnonzero(split_of == "train")
        held_out = [(name, np.flatnonzero(split_of == name)) for name in ("test", "validation")]
        x_hvg = hvg_matrix(lognorm, train)
        for name, test in held_out:
            print(f"{name} split ({len(test)} cells; fitted on {len(train)} train cells):")
            for reader, x in list(readers.items()) + [("hvg", x_hvg)]:
                hit = LogisticRegression(max_iter=2000).fit(x[train], labels[train]).predict(x[test]) == labels[test]
                print(f"  {reader:10s} {100 * hit.mean():.1f} %")
        return
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)
    for train, test in splitter.split(np.zeros(len(cells)), labels):
        for name, x in readers.items():
            hit = LogisticRegression(max_iter=2000).fit(x[train], labels[train]).predict(x[test]) == labels[test]
            correct[name].append(hit); fold_acc[name].append(hit.mean())
        x = hvg_matrix(lognorm, train)
        hit = LogisticRegression(max_iter=2000).fit(x[train], labels[train]).predict(x[test]) == labels[test]
        correct["hvg"].append(hit); fold_acc["hvg"].append(hit.mean())

    n = len(cells)
    _, sizes = np.unique(labels, return_counts=True)
    print(f"{n} cells, {len(sizes)} labels, {folds}-fold stratified CV x {repeats} repeats "
          f"({n * repeats} held-out predictions per reader); chance {100 / len(sizes):.1f} %, "
          f"majority label {100 * sizes.max() / n:.1f} %")
    for name in correct:
        print(f"  {name:10s} {100 * np.concatenate(correct[name]).mean():.1f} %")
    hvg = np.concatenate(correct["hvg"])
    for name in readers:
        mine = np.concatenate(correct[name])
        d = np.array(fold_acc[name]) - np.array(fold_acc["hvg"])
        half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        only_mine, only_hvg = int(np.sum(mine & ~hvg)), int(np.sum(~mine & hvg))
        p = stats.binomtest(only_mine, only_mine + only_hvg).pvalue if only_mine + only_hvg else 1.0
        print(f"  {name} - hvg: {100 * d.mean():+.1f} points (95 % CI over folds {100 * (d.mean() - half):+.1f} .. "
              f"{100 * (d.mean() + half):+.1f}); cells right only by {name}: {only_mine}, only by hvg: {only_hvg}, "
              f"McNemar exact p = {p:.2g}")


if __name__ == "__main__":
    main()
