#!/usr/bin/env python3
"""Validity, uniqueness and length of generated cells per condition, from the h5ad files of
`c2s generate-cells` (obs: n_words, n_valid_words, n_unique_genes, and the condition column).

usage: generation_summary.py CONDITION_COLUMN NAME=FILE.h5ad [NAME=FILE.h5ad ...]

Validity = valid gene words / words; uniqueness = distinct valid genes / words; length = words
per cell (all as the paper defines them), per condition and over all cells.
"""
import sys

import anndata


def main():
    column = sys.argv[1]
    rows = []
    for spec in sys.argv[2:]:
        name, path = spec.split("=", 1)
        obs = anndata.read_h5ad(path, backed="r").obs
        groups = [("all", obs)] + [(str(k), g) for k, g in obs.groupby(column, observed=True)]
        for key, g in groups:
            words = g["n_words"].sum()
            rows.append((name, key, len(g), 100 * g["n_valid_words"].sum() / max(1, words),
                         100 * g["n_unique_genes"].sum() / max(1, words), g["n_words"].mean()))
    print(f"{'decoding':18s} {'condition':16s} {'cells':>5s} {'validity':>9s} {'uniqueness':>10s} {'length':>7s}")
    for r in rows:
        print(f"{r[0]:18s} {r[1]:16s} {r[2]:5d} {r[3]:8.2f}% {r[4]:9.2f}% {r[5]:7.1f}")


if __name__ == "__main__":
    main()
