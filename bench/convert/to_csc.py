#!/usr/bin/env python3
"""Rewrite a CSR .h5ad (as `c2s simulate` writes) with X stored CSC, for the CSC benchmark.

  python3 bench/convert/to_csc.py in.h5ad out.h5ad

obs, var and everything else are copied as they are; X becomes an uncompressed csc_matrix with
each column's rows ascending (as scipy writes it). Memory stays bounded: the entries are
gathered a block of columns at a time (about 2 GB of them), reading the CSR matrix once per
block, so files larger than memory can be rewritten.
"""
import sys

import h5py
import numpy as np

BLOCK_ENTRIES = 250_000_000  # entries gathered per block of columns (~2-3 GB of numpy arrays)
ROW_CHUNK = 50_000


def main(src_path, dst_path):
    with h5py.File(src_path, "r") as src, h5py.File(dst_path, "w") as dst:
        for key in src.keys():
            if key != "X":
                src.copy(src[key], dst, name=key)
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        x = src["X"]
        assert x.attrs["encoding-type"] == "csr_matrix", "the input's X must be CSR"
        rows, cols = (int(v) for v in x.attrs["shape"])
        indptr = x["indptr"][...].astype(np.int64)
        stored = int(indptr[-1])
        counts = np.zeros(cols, dtype=np.int64)
        for lo in range(0, stored, 100_000_000):
            counts += np.bincount(x["indices"][lo:lo + 100_000_000], minlength=cols)
        col_ptr = np.concatenate([[0], np.cumsum(counts)])

        g = dst.create_group("X")
        g.attrs["encoding-type"] = "csc_matrix"
        g.attrs["encoding-version"] = "0.1.0"
        g.attrs["shape"] = np.array([rows, cols], dtype=np.int64)
        g.create_dataset("indptr", data=col_ptr)
        out_idx = g.create_dataset("indices", shape=(stored,), dtype=np.int32)
        out_val = g.create_dataset("data", shape=(stored,), dtype=x["data"].dtype)

        c0 = 0
        while c0 < cols:
            c1 = c0 + 1
            while c1 < cols and col_ptr[c1 + 1] - col_ptr[c0] <= BLOCK_ENTRIES:
                c1 += 1
            parts_col, parts_row, parts_val = [], [], []
            for r0 in range(0, rows, ROW_CHUNK):
                r1 = min(rows, r0 + ROW_CHUNK)
                lo, hi = indptr[r0], indptr[r1]
                idx = x["indices"][lo:hi]
                keep = (idx >= c0) & (idx < c1)
                row_of = np.repeat(np.arange(r0, r1, dtype=np.int32), np.diff(indptr[r0:r1 + 1]))
                parts_col.append(idx[keep])
                parts_row.append(row_of[keep])
                parts_val.append(x["data"][lo:hi][keep])
            col = np.concatenate(parts_col)
            order = np.argsort(col, kind="stable")  # rows stay ascending within each column
            out_idx[col_ptr[c0]:col_ptr[c1]] = np.concatenate(parts_row)[order]
            out_val[col_ptr[c0]:col_ptr[c1]] = np.concatenate(parts_val)[order]
            print(f"columns {c0}..{c1 - 1} of {cols}", file=sys.stderr)
            c0 = c1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
