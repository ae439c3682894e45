#!/usr/bin/env python3
"""Split a simulated count matrix into the files of the evaluation benchmark.

usage: make_inputs.py SIM.h5ad OUTDIR CELLS
Normalises every cell to 10,000 counts and takes log10(1 + x) (what c2s convert does), then
writes genCELLS.h5ad (25 % of the cells, standing in for generated cells), realCELLS.h5ad (50 %)
and trainCELLS.h5ad (25 %), chosen by a seeded permutation.
"""
import sys

import anndata as ad
import numpy as np
import scipy.sparse as sp

sim, out, cells = sys.argv[1], sys.argv[2], sys.argv[3]
a = ad.read_h5ad(sim)
x = sp.csr_matrix(a.X, dtype=np.float64)
x = sp.csr_matrix(x.multiply(1e4 / np.maximum(np.asarray(x.sum(1)), 1)))
x.data = np.log10(1 + x.data)
a.X = x.astype(np.float32)
order = np.random.default_rng(0).permutation(a.n_obs)
q, h = a.n_obs // 4, a.n_obs // 4 * 3
a[np.sort(order[:q])].copy().write_h5ad(f"{out}/gen{cells}.h5ad")
a[np.sort(order[q:h])].copy().write_h5ad(f"{out}/real{cells}.h5ad")
a[np.sort(order[h:])].copy().write_h5ad(f"{out}/train{cells}.h5ad")
