#!/usr/bin/env python3
"""Check that an .h5ad file (e.g. one written by c2s) is readable by anndata.

usage: python3 scripts/interop/check_h5ad.py FILE.h5ad --shape N M
           [--obs-column NAME] [--expect-sum S] [--obs-has NAME ...] [--obsm NAME DIM]

Checks: anndata.read_h5ad succeeds; X.shape == (N, M); X is readable (sparse or dense,
fully materialised, finite); optional sum of X within 1e-4 relative of S; optional obs
column present with more than one distinct value; optional obs columns present without
missing values (--obs-has); optional obsm matrix of N x DIM finite values. Prints one summary line; exits 1 on
any failed check, 2 on a read error. Dependencies: anndata, numpy, scipy.
"""
import argparse
import sys

import numpy as np
import scipy.sparse as sp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--shape", nargs=2, type=int, metavar=("N", "M"), required=True)
    ap.add_argument("--obs-column", default=None)
    ap.add_argument("--expect-sum", type=float, default=None)
    ap.add_argument("--obs-has", action="append", default=[], metavar="NAME")
    ap.add_argument("--obsm", nargs=2, default=None, metavar=("NAME", "DIM"))
    args = ap.parse_args()

    import anndata as ad

    try:
        a = ad.read_h5ad(args.file)
        X = a.X
        if X is None:
            raise ValueError("X is None")
        if sp.issparse(X):
            kind = f"{X.format}[{X.dtype}] nnz={X.nnz}"
            data = np.asarray(X.data)
            X.tocsr().sum()  # touch indices/indptr
        else:
            X = np.asarray(X)
            kind = f"dense[{X.dtype}]"
            data = X
        total = float(np.sum(data, dtype=np.float64))
        finite = bool(np.all(np.isfinite(data)))
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {args.file}: cannot read: {type(e).__name__}: {e}")
        return 2

    fails = []
    if tuple(a.shape) != tuple(args.shape):
        fails.append(f"shape {a.shape} != {tuple(args.shape)}")
    if not finite:
        fails.append("X has non-finite values")
    if args.expect_sum is not None:
        tol = 1e-4 * max(abs(args.expect_sum), 1e-12)
        if abs(total - args.expect_sum) > tol:
            fails.append(f"sum {total:.6g} != {args.expect_sum:.6g} (rel tol 1e-4)")
    obs_info = ""
    if args.obs_column is not None:
        if args.obs_column not in a.obs.columns:
            fails.append(f"obs column {args.obs_column!r} missing (have {list(a.obs.columns)})")
        else:
            nd = a.obs[args.obs_column].nunique(dropna=True)
            obs_info = f" obs[{args.obs_column}]={nd} distinct"
            if nd <= 1:
                fails.append(f"obs column {args.obs_column!r} has {nd} distinct value(s)")

    for name in args.obs_has:
        if name not in a.obs.columns:
            fails.append(f"obs column {name!r} missing (have {list(a.obs.columns)})")
        elif a.obs[name].isna().any():
            fails.append(f"obs column {name!r} has missing values")
    if args.obsm is not None:
        name, dim = args.obsm[0], int(args.obsm[1])
        if name not in a.obsm:
            fails.append(f"obsm {name!r} missing (have {list(a.obsm.keys())})")
        else:
            m = np.asarray(a.obsm[name])
            obs_info += f" obsm[{name}]={m.shape[0]}x{m.shape[1]}"
            if m.shape != (a.n_obs, dim):
                fails.append(f"obsm {name!r} is {m.shape}, expected {(a.n_obs, dim)}")
            elif not np.all(np.isfinite(m)):
                fails.append(f"obsm {name!r} has non-finite values")

    status = "OK" if not fails else "FAIL"
    msg = (f"{status} {args.file}: shape={a.shape[0]}x{a.shape[1]} X={kind} sum={total:.6g}"
           f"{obs_info} var_names[0]={a.var_names[0] if a.n_vars else None!r}")
    if fails:
        msg += " | " + "; ".join(fails)
    print(msg)
    return 0 if not fails else 1


if __name__ == "__main__":
    sys.exit(main())
