#!/usr/bin/env python3
"""Check that c2s reconstruct and the reference loop agree on random cells.

For N random cells (matched by obs name, genes matched by var name) the sets of
non-zero genes must be equal and the values within --tol. c2s clips negatives to
zero and the reference does not, so the reference is clipped at 0 before comparing
(the count of negative reference values is printed). With --dataset, sampled cells
whose sentence has a repeated gene or a word outside the vocabulary are skipped:
there the reference (last occurrence wins, exact-case match) and c2s (mean
position, case/punctuation-tolerant match) intentionally differ.

usage: compare.py REF.h5ad C2S.h5ad [--dataset DIR] [--n 200] [--seed 0] [--tol 1e-5]
Exits 1 on disagreement.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("c2s")
    ap.add_argument("--dataset")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()

    ref = ad.read_h5ad(a.ref, backed="r")
    mine = ad.read_h5ad(a.c2s, backed="r")
    problems = []
    if ref.shape != mine.shape:
        problems.append(f"shape ref {ref.shape} vs c2s {mine.shape}")
    common = ref.var_names.intersection(mine.var_names)
    if len(common) != ref.n_vars or len(common) != mine.n_vars:
        problems.append(f"var names differ ({len(common)} common of {ref.n_vars}/{mine.n_vars})")

    rng = np.random.default_rng(a.seed)
    pick = np.sort(rng.choice(ref.n_obs, size=min(a.n, ref.n_obs), replace=False))
    names = ref.obs_names[pick]
    rows_c2s = mine.obs_names.get_indexer(names)
    if (rows_c2s < 0).any():
        problems.append(f"{int((rows_c2s < 0).sum())} sampled cells missing in c2s output")
        keep = rows_c2s >= 0
        pick, names, rows_c2s = pick[keep], names[keep], rows_c2s[keep]

    skipped = 0
    if a.dataset:
        vocab = set()
        with open(os.path.join(a.dataset, "vocab.tsv")) as f:
            f.readline()
            vocab = {line.rstrip("\n").split("\t")[0] for line in f}
        want = set(pick.tolist())
        ok = np.ones(len(pick), dtype=bool)
        pos = {r: i for i, r in enumerate(pick.tolist())}
        with open(os.path.join(a.dataset, "cells.jsonl")) as f:
            for r, line in enumerate(f):
                if r in want:
                    w = json.loads(line)["cell_sentence"].split(" ")
                    if len(set(w)) != len(w) or any(x not in vocab for x in w):
                        ok[pos[r]] = False
        skipped = int((~ok).sum())
        pick, names, rows_c2s = pick[ok], names[ok], rows_c2s[ok]

    # dense sampled rows, columns in the reference's gene order
    R = sp.csr_matrix(ref.X[pick]).toarray().astype(np.float64)
    order = np.argsort(rows_c2s)
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    M = sp.csr_matrix(mine.X[rows_c2s[order]])[back]
    M = M[:, mine.var_names.get_indexer(ref.var_names)].toarray().astype(np.float64)

    neg = int((R < 0).sum())
    Rc = np.maximum(R, 0.0)
    pattern_diff = int(((Rc != 0) != (M != 0)).sum())
    maxdiff = float(np.abs(Rc - M).max()) if Rc.size else 0.0
    nnz = int((Rc != 0).sum())
    print(f"compare: {len(pick)} cells ({skipped} skipped: repeated/unknown words), "
          f"{nnz} non-zeros, pattern mismatches {pattern_diff}, "
          f"max |ref - c2s| = {maxdiff:.3g}, negative ref values (clipped) {neg}")
    if pattern_diff:
        problems.append(f"{pattern_diff} entries non-zero in one output only")
    if maxdiff > a.tol:
        problems.append(f"max abs difference {maxdiff:.3g} > tol {a.tol:g}")
    if problems:
        print("compare: FAIL: " + "; ".join(problems))
        sys.exit(1)
    print("compare: OK")


if __name__ == "__main__":
    main()
