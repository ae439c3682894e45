#!/usr/bin/env python3
"""k-NN (k=10) cell type classifier on log-normalised expression, trained on the train split
and scored on the test split of a `c2s prompts` splits.json: the baseline next to which C2S
annotation accuracy is reported.

usage: knn_baseline.py COUNTS.h5ad SPLITS.json LABEL_COLUMN [--k 10] [--target-sum 1e4]

Expression: counts normalised to --target-sum per cell, log10(1 + x) (the conversion's
settings), all genes; Euclidean distance, uniform vote (scikit-learn KNeighborsClassifier).
Cells missing from the splits are ignored. Prints accuracy and weighted F1.
"""
import argparse
import json

import anndata
import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score, f1_score
from sklearn.neighbors import KNeighborsClassifier


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("counts")
    ap.add_argument("splits")
    ap.add_argument("label")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--target-sum", type=float, default=1e4)
    a = ap.parse_args()
    adata = anndata.read_h5ad(a.counts)
    splits = json.load(open(a.splits))["assignments"]
    # c2s convert writes cell names as stored; anndata may have made them unique with "-1".
    names = [n for n in adata.obs_names]
    split = np.array([splits.get(n, splits.get(n.replace("-", "."), "")) for n in names])
    x = sp.csr_matrix(adata.X, dtype=np.float64)
    totals = np.asarray(x.sum(axis=1)).ravel()
    x = sp.diags(a.target_sum / np.maximum(totals, 1)) @ x
    x.data = np.log10(1 + x.data)
    y = adata.obs[a.label].astype(str).to_numpy()
    train, test = split == "train", split == "test"
    knn = KNeighborsClassifier(n_neighbors=a.k).fit(x[train], y[train])
    pred = knn.predict(x[test])
    print(f"k-NN (k={a.k}) on log-normalised expression: {train.sum()} train cells, {test.sum()} test cells, "
          f"accuracy {100 * accuracy_score(y[test], pred):.1f}%, weighted F1 {100 * f1_score(y[test], pred, average='weighted'):.1f}%")


if __name__ == "__main__":
    main()
