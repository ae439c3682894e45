#!/usr/bin/env python3
"""Reference (cell2sentence 1.2.0) conversion path, run as a separate process by run.sh.

read_h5ad -> normalize_total(target_sum=1e4) -> log1p(base=10)
-> CSData.adata_to_arrow(label_col_names=[...]) -> CSData.csdata_from_arrow(OUTDIR)

usage: ref_convert.py IN.h5ad OUTDIR [--obs-columns a,b]
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
import scanpy as sc  # noqa: E402
from cell2sentence import CSData  # noqa: E402

t_import = time.perf_counter() - t_import


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h5ad")
    ap.add_argument("outdir")
    ap.add_argument("--obs-columns", default="seurat_annotations,stim")
    a = ap.parse_args()
    cols = [c for c in a.obs_columns.split(",") if c]
    st = {"import": t_import}
    t = time.perf_counter()
    adata = sc.read_h5ad(a.h5ad)
    st["read_h5ad"] = time.perf_counter() - t
    t = time.perf_counter()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata, base=10)
    st["normalize_log1p"] = time.perf_counter() - t
    t = time.perf_counter()
    arrow_ds, vocab = CSData.adata_to_arrow(adata, random_state=42, sentence_delimiter=" ",
                                            label_col_names=cols)
    st["adata_to_arrow"] = time.perf_counter() - t
    t = time.perf_counter()
    cs = CSData.csdata_from_arrow(arrow_ds, vocab, save_dir=os.path.dirname(a.outdir) or ".",
                                  save_name=os.path.basename(a.outdir))
    st["csdata_from_arrow"] = time.perf_counter() - t
    st["cells"] = adata.n_obs
    st["vocab"] = len(vocab)
    st["out"] = cs.data_path
    print("STAGES " + json.dumps(st))


if __name__ == "__main__":
    main()
