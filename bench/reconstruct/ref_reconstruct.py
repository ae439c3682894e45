#!/usr/bin/env python3
"""Reference (cell2sentence 1.2.0) reconstruction path, run as a separate process by run.sh.

Reads a sentence dataset made by `c2s convert` (cells.jsonl, vocab.tsv, manifest.json),
loops cell2sentence.utils.reconstruct_expression_from_cell_sentence(sentence, " ",
vocab_list, slope, intercept) over every sentence, keeps each dense vector's non-zeros
(np.nonzero) as one CSR row, and writes the matrix with anndata write_h5ad
(obs index = cell_name, var index = vocabulary).

usage: ref_reconstruct.py DATASET_DIR OUT.h5ad
Prints per-stage wall times as one JSON line prefixed with 'STAGES '.
"""
import argparse
import json
import os
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")
warnings.filterwarnings("ignore")

t_import = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import anndata as ad  # noqa: E402
from cell2sentence.utils import reconstruct_expression_from_cell_sentence  # noqa: E402

t_import = time.perf_counter() - t_import


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("out")
    a = ap.parse_args()
    st = {"import": t_import}

    t = time.perf_counter()
    man = json.load(open(os.path.join(a.dataset, "manifest.json")))
    model = man["inverse_transform"]["model"]
    slope, intercept = float(model["slope"]), float(model["intercept"])
    with open(os.path.join(a.dataset, "vocab.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header[0] == "gene", header
        vocab_list = [line.rstrip("\n").split("\t")[0] for line in f]
    names, sentences = [], []
    with open(os.path.join(a.dataset, "cells.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            names.append(rec["cell_name"])
            sentences.append(rec["cell_sentence"])
    st["read"] = time.perf_counter() - t

    # the loop the issue names: one call per sentence, non-zeros kept as a CSR row
    t = time.perf_counter()
    indptr = np.zeros(len(sentences) + 1, dtype=np.int64)
    idx_parts, val_parts = [], []
    for i, s in enumerate(sentences):
        vec = reconstruct_expression_from_cell_sentence(s, " ", vocab_list, slope, intercept)
        nz = np.nonzero(vec)[0]
        idx_parts.append(nz.astype(np.int32))
        val_parts.append(vec[nz])
        indptr[i + 1] = indptr[i] + nz.size
    st["loop"] = time.perf_counter() - t

    t = time.perf_counter()
    X = sp.csr_matrix((np.concatenate(val_parts).astype(np.float32),
                       np.concatenate(idx_parts), indptr),
                      shape=(len(sentences), len(vocab_list)))
    del idx_parts, val_parts
    st["assemble"] = time.perf_counter() - t

    t = time.perf_counter()
    out = ad.AnnData(X=X, obs=pd.DataFrame(index=pd.Index(names, dtype=str)),
                     var=pd.DataFrame(index=pd.Index(vocab_list, dtype=str)))
    out.write_h5ad(a.out)
    st["write_h5ad"] = time.perf_counter() - t
    st["cells"] = X.shape[0]
    st["genes"] = X.shape[1]
    st["nnz"] = int(X.nnz)
    st["out"] = a.out
    print("STAGES " + json.dumps(st))


if __name__ == "__main__":
    main()
