#!/usr/bin/env python3
"""The metrics of `c2s evaluate generation` computed with the usual Python tools, timed per stage.

usage: ref_evaluate.py GEN.h5ad REAL.h5ad TRAIN.h5ad OUT.json
Stages (same settings as c2s's defaults): k-NN in expression space (scikit-learn
KNeighborsClassifier, brute force on dense arrays, one search for k = 50 and majority votes of
its first 5, 10, 25, 50 neighbours; generated vs real and real vs training);
k-NN in sentence space (first 100 genes ranked by value, ties by gene index; rapidfuzz
Levenshtein cdist on both cores, then KNeighborsClassifier on the precomputed distances with
ties broken by reference index, as c2s does); mean profiles per cell type (scipy pearsonr,
spearmanr, scikit-learn r2_score); MMD^2 on 1,000 cells per set (scipy pdist median,
scikit-learn rbf_kernel); entropic Gromov-Wasserstein on 500 cells per set (POT,
epsilon 0.01, distances scaled by the real subsample's largest). The MMD and GW subsamples are
drawn with numpy, so those two values are comparable to c2s's but not equal.
"""
import json
import sys
import time

import anndata as ad
import numpy as np
import ot
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist as rf_cdist
from scipy.spatial.distance import cdist, pdist
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import r2_score
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import KNeighborsClassifier

KS = [5, 10, 25, 50]
stages, result = {}, {}
clock = time.time()


def lap(name):
    global clock
    now = time.time()
    stages[name] = now - clock
    clock = now


gen, real, train = (ad.read_h5ad(p) for p in sys.argv[1:4])
lab = {k: np.asarray(v.obs["cell_type"].astype(str)) for k, v in (("gen", gen), ("real", real), ("train", train))}
X = {k: v.X.tocsr().astype(np.float64) for k, v in (("gen", gen), ("real", real), ("train", train))}
lap("reading")


def knn_accuracy(fit, fit_labels, query, query_labels):
    # The fastest straightforward use: dense arrays, one neighbour search for the largest k,
    # majority votes over its prefixes (ties between classes to the first sorted class).
    classes, codes = np.unique(fit_labels, return_inverse=True)
    ind = KNeighborsClassifier(n_neighbors=max(KS), algorithm="brute").fit(fit.toarray(), codes).kneighbors(
        query.toarray(), return_distance=False)
    out = {}
    for k in KS:
        counts = np.zeros((len(query_labels), len(classes)), dtype=np.int64)
        for j in range(k):
            counts[np.arange(len(query_labels)), codes[ind[:, j]]] += 1
        out[str(k)] = float(np.mean(classes[counts.argmax(1)] == query_labels))
    return out


result["expression"] = {"generated": knn_accuracy(X["real"], lab["real"], X["gen"], lab["gen"]),
                        "reference": knn_accuracy(X["train"], lab["train"], X["real"], lab["real"])}
lap("k-NN in expression space")


def sentences(x):
    out = []
    for i in range(x.shape[0]):
        s, e = x.indptr[i], x.indptr[i + 1]
        idx, val = x.indices[s:e], x.data[s:e]
        keep = val > 0
        idx, val = idx[keep], val[keep]
        out.append(idx[np.lexsort((idx, -val))][:100].tolist())
    return out


def sentence_accuracy(fit, fit_labels, query, query_labels):
    d = rf_cdist(query, fit, scorer=Levenshtein.distance, workers=-1, dtype=np.int32).astype(np.float64)
    d += np.arange(d.shape[1])[None, :] * 1e-6  # ties to the lower reference index
    out = {}
    for k in KS:
        clf = KNeighborsClassifier(n_neighbors=k, metric="precomputed", algorithm="brute")
        clf.fit(np.zeros((len(fit), len(fit))), fit_labels)
        out[str(k)] = float(np.mean(clf.predict(d) == query_labels))
    return out


S = {k: sentences(v) for k, v in X.items()}
result["sentence"] = {"generated": sentence_accuracy(S["real"], lab["real"], S["gen"], lab["gen"]),
                      "reference": sentence_accuracy(S["train"], lab["train"], S["real"], lab["real"])}
lap("k-NN in sentence space")

profiles = []
for t in sorted(set(lab["gen"]) & set(lab["real"])):
    g = np.asarray(X["gen"][lab["gen"] == t].mean(0)).ravel()
    r = np.asarray(X["real"][lab["real"] == t].mean(0)).ravel()
    profiles.append({"label": t, "pearson": float(pearsonr(g, r).statistic), "spearman": float(spearmanr(g, r).statistic),
                     "r2": float(r2_score(r, g))})
result["mean_profiles"] = profiles
lap("mean profiles")

rng = np.random.default_rng(0)
xg = X["gen"][np.sort(rng.choice(X["gen"].shape[0], min(1000, X["gen"].shape[0]), replace=False))].toarray()
xr = X["real"][np.sort(rng.choice(X["real"].shape[0], min(1000, X["real"].shape[0]), replace=False))].toarray()
median = float(np.median(pdist(np.vstack([xg, xr]))))
gamma = 1 / (2 * median * median)
result["mmd2_biased"] = float(rbf_kernel(xg, xg, gamma=gamma).mean() + rbf_kernel(xr, xr, gamma=gamma).mean()
                              - 2 * rbf_kernel(xg, xr, gamma=gamma).mean())
lap("MMD")

xg = X["gen"][np.sort(rng.choice(X["gen"].shape[0], min(500, X["gen"].shape[0]), replace=False))].toarray()
xr = X["real"][np.sort(rng.choice(X["real"].shape[0], min(500, X["real"].shape[0]), replace=False))].toarray()
c1, c2 = cdist(xg, xg), cdist(xr, xr)
scale = c2.max()
result["gw"] = float(ot.gromov.entropic_gromov_wasserstein2(c1 / scale, c2 / scale, epsilon=0.01))
lap("Gromov-Wasserstein")

result["stages"] = stages
with open(sys.argv[4], "w") as f:
    json.dump(result, f, indent=1)
print("STAGES " + json.dumps(stages))
