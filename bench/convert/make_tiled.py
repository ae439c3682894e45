#!/usr/bin/env python3
"""Tile an .h5ad (default kang-ifnb-sub2k) by rows to N cells with fresh unique cell
names. obs is copied row-wise, var is unchanged, X stays CSR int32 raw counts.
Written with anndata write_h5ad without compression.

usage: make_tiled.py --src SRC.h5ad --cells N --out OUT.h5ad
"""
import argparse
import json
import os
import time
import warnings

import numpy as np
import scipy.sparse as sp

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--cells", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    t0 = time.time()
    src = ad.read_h5ad(a.src)
    X = sp.csr_matrix(src.X)
    n0 = X.shape[0]
    rows = np.arange(a.cells) % n0
    Xt = X[rows]  # CSR row gather keeps dtype
    Xt = sp.csr_matrix((Xt.data.astype(np.int32), Xt.indices.astype(np.int32),
                        Xt.indptr.astype(np.int64 if Xt.nnz > 2**31 - 1 else np.int32)),
                       shape=(a.cells, X.shape[1]))
    obs = src.obs.iloc[rows].copy()
    obs.index = [f"t{i:07d}_{name}" for i, name in enumerate(src.obs_names[rows])]
    assert obs.index.is_unique
    out = ad.AnnData(X=Xt, obs=obs, var=src.var.copy())
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp"
    out.write_h5ad(tmp, compression=None)
    os.replace(tmp, a.out)
    meta = dict(cells=a.cells, genes=int(X.shape[1]), nnz=int(Xt.nnz),
                sum=int(Xt.sum(dtype=np.int64)), src=os.path.abspath(a.src))
    with open(a.out + ".json", "w") as f:
        json.dump(meta, f)
    print(f"wrote {a.out}: {a.cells} x {X.shape[1]}, nnz={Xt.nnz}, "
          f"{os.path.getsize(a.out)/2**20:.1f} MiB in {time.time()-t0:.1f}s")


if __name__ == "__main__":
    main()
