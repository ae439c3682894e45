#!/usr/bin/env python3
"""Rewrite a CSR .h5ad (as `c2s simulate` writes) with X stored CSC, for the CSC benchmark.

  python3 bench/convert/to_csc.py in.h5ad out.h5ad [--gzip]

obs, var and everything else are copied as they are; X becomes a csc_matrix with each column's
rows ascending (as scipy writes it), uncompressed, or with `--gzip` in gzip-compressed chunks of
1M entries (as anndata writes with compression="gzip"; 5M simulated cells take ~27 GB
uncompressed). Memory stays bounded: the entries are gathered a block of columns at a time
(BLOCK_ENTRIES of them, 250M by default: ~32 bytes each at the peak), reading the CSR matrix
once per block, so files larger than memory can be rewritten.
"""
import os
import sys

import h5py
import numpy as np

BLOCK_ENTRIES = int(os.environ.get("BLOCK_ENTRIES", 250_000_000))  # entries per block of columns
ROW_CHUNK = 50_000


def main(src_path, dst_path, gzip=False):
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
        packing = dict(chunks=(min(stored, 1 << 20),), compression="gzip", compression_opts=4) if gzip and stored else {}
        out_idx = g.create_dataset("indices", shape=(stored,), dtype=np.int32, **packing)
        out_val = g.create_dataset("data", shape=(stored,), dtype=x["data"].dtype, **packing)

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
    args = [a for a in sys.argv[1:] if a != "--gzip"]
    if len(args) != 2:
        sys.exit("usage: to_csc.py in.h5ad out.h5ad [--gzip]")
    main(args[0], args[1], gzip="--gzip" in sys.argv[1:])
