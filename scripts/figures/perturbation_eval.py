#!/usr/bin/env python3
"""Perturbation prediction on a held-out cell type: Pearson correlation of the predicted and
the true response over the top 20 and 50 differentially expressed genes and over all genes,
next to the baseline that adds the mean response of the training cell types.

usage: perturbation_eval.py PREDICTED.h5ad REAL_RECONSTRUCTED.h5ad LABEL COLUMN CONTROL HELD_OUT

PREDICTED.h5ad: `c2s predict-perturbation` output for the held-out type's control cells.
REAL_RECONSTRUCTED.h5ad: every real cell's sentence cut to the same number of genes as the
predictions and reconstructed with the same inverse transform (`c2s reconstruct`), obs with
LABEL (cell type) and COLUMN (condition, CONTROL for controls), so that predicted and real
cells live in the same space (rank-reconstructed expression, zero beyond the sentence).
Response = mean perturbed - mean control of the held-out type; predicted response = mean
prediction - mean control; baseline response = mean over the other cell types of their own
(mean perturbed - mean control). DE genes: the largest |true response|.
"""
import sys

import anndata
import numpy as np


def mean(x):
    return np.asarray(x.mean(axis=0)).ravel()


def main():
    pred_path, real_path, label, column, control, held_out = sys.argv[1:7]
    pred = anndata.read_h5ad(pred_path)
    real = anndata.read_h5ad(real_path)
    assert list(pred.var_names) == list(real.var_names), "predicted and real cells must share the vocabulary"
    lab = real.obs[label].astype(str).to_numpy()
    cond = real.obs[column].astype(str).to_numpy()
    ctrl = mean(real.X[(lab == held_out) & (cond == control)])
    true = mean(real.X[(lab == held_out) & (cond != control)]) - ctrl
    predicted = mean(pred.X) - ctrl
    others = [t for t in np.unique(lab) if t != held_out
              and ((lab == t) & (cond == control)).sum() > 0 and ((lab == t) & (cond != control)).sum() > 0]
    baseline = np.mean([mean(real.X[(lab == t) & (cond != control)]) - mean(real.X[(lab == t) & (cond == control)]) for t in others], axis=0)
    order = np.argsort(-np.abs(true))
    print(f"held-out {held_out}: {len(pred)} predicted cells from {((lab == held_out) & (cond == control)).sum()} controls; "
          f"{((lab == held_out) & (cond != control)).sum()} real perturbed cells; baseline from {len(others)} cell types")
    for name, genes in [("top 20 DE genes", order[:20]), ("top 50 DE genes", order[:50]), ("all genes", order)]:
        r_pred = np.corrcoef(predicted[genes], true[genes])[0, 1]
        r_base = np.corrcoef(baseline[genes], true[genes])[0, 1]
        print(f"  {name:16s} Pearson r: C2S {r_pred:6.3f} | mean training response {r_base:6.3f}")


if __name__ == "__main__":
    main()
