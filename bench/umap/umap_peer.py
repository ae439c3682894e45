#!/usr/bin/env python3
"""Helper of bench/umap/run.sh: the input, umap-learn's side, and the scores of both.

  prepare H5AD OUT.h5ad   log-normalise (normalize_total 1e4, natural log1p, as scanpy) and
                          keep the first 50 principal components (scikit-learn PCA, full SVD)
                          as a dense X: the input both UMAPs get
  peer PCS.h5ad OUT.csv   umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0) on it,
                          timed twice in one process: "cold" includes numba's compilation,
                          "warm" is a second identical fit; prints both
  score PCS.h5ad CSV...   sklearn.manifold.trustworthiness(pcs, embedding, n_neighbors=15)
                          of each embedding CSV (cell, umap1, umap2), and the 2-D k-NN label
                          accuracy (15 neighbours, scikit-learn, the cell itself included) of
                          the label column $LABEL (default seurat_annotations) when there is one
"""
import sys
import time
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")


def prepare(src, out):
    from sklearn.decomposition import PCA
    a = ad.read_h5ad(src)
    x = a.X.tocsr().astype(np.float64) if sp.issparse(a.X) else sp.csr_matrix(np.asarray(a.X, dtype=np.float64))
    totals = np.asarray(x.sum(axis=1)).ravel()
    scale = np.divide(1e4, totals, out=np.zeros_like(totals), where=totals > 0)
    x = sp.diags(scale) @ x
    x.data = np.log1p(x.data)
    pcs = PCA(n_components=50, svd_solver="full").fit_transform(x.toarray())
    obs = a.obs.copy()
    obs.index = a.obs_names.astype(str)
    ad.AnnData(X=pcs, obs=obs).write_h5ad(out)
    print(f"{pcs.shape[0]} cells, {x.shape[1]} genes -> {pcs.shape[1]} principal components")


def peer(pcs_path, out):
    import umap
    pcs = ad.read_h5ad(pcs_path)
    x = np.asarray(pcs.X, dtype=np.float64)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        emb = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=0).fit_transform(x)
        times.append(time.perf_counter() - start)
    pd.DataFrame({"cell": pcs.obs_names, "umap1": emb[:, 0], "umap2": emb[:, 1]}).to_csv(out, index=False)
    print(f"umap-learn {umap.__version__}: cold {times[0]:.3f} s, warm {times[1]:.3f} s")


def score(pcs_path, csvs):
    import os
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import KNeighborsClassifier
    pcs = ad.read_h5ad(pcs_path)
    x = np.asarray(pcs.X, dtype=np.float64)
    column = os.environ.get("LABEL", "seurat_annotations")
    labels = pcs.obs[column].astype(str).to_numpy() if column in pcs.obs else None
    for path in csvs:
        emb = pd.read_csv(path)[["umap1", "umap2"]].to_numpy()
        line = f"{path}: trustworthiness {trustworthiness(x, emb, n_neighbors=15):.6f}"
        if labels is not None:
            accuracy = KNeighborsClassifier(n_neighbors=15).fit(emb, labels).score(emb, labels)
            line += f", 2-D k-NN accuracy of {column} {accuracy:.3f}"
        print(line)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"prepare": lambda: prepare(*args), "peer": lambda: peer(*args), "score": lambda: score(args[0], args[1:])}[command]()
