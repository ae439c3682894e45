#!/usr/bin/env python3
"""Experiment: initialise a new model's gene-token embeddings from the training cells.

Takes a freshly initialised c2s model folder (c2s train ... --max-steps 1 --learning-rate 0),
computes each gene's loadings on the top principal components of the training cells' top-gene
expression (reconstructed from rank, as the model sees it), and adds them, scaled to the random
initialisation's norm, to the gene tokens' input and output embeddings. Writes a new folder that
`c2s train --model` fine-tunes with the usual recipe. A diagnostic for docs/SCIENCE.md, not
part of c2s.

usage: gene_embedding_init.py INIT_DIR REAL_TOP.h5ad SPLITS.json OUT_DIR [--mix 1.0] [--which in,out]
"""
import argparse, json, os, shutil
import numpy as np
import anndata as ad
from safetensors.numpy import load_file, save_file

p = argparse.ArgumentParser()
p.add_argument("init"); p.add_argument("real"); p.add_argument("splits"); p.add_argument("out")
p.add_argument("--mix", type=float, default=1.0, help="structured part's mean row norm / random part's")
p.add_argument("--which", default="in,out")
p.add_argument("--replace", action="store_true", help="replace the random rows instead of adding")
a = p.parse_args()

splits = json.load(open(a.splits))["assignments"]
real = ad.read_h5ad(a.real)
train = [i for i, n in enumerate(real.obs_names) if splits.get(n) == "train"]
X = real.X[train]
X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
present = (X > 0).sum(0) > 0
genes = np.array(real.var_names)[present]
X = X[:, present].astype(np.float64)
X -= X.mean(0)
w = load_file(os.path.join(a.init, "model.safetensors"))
d = w["gpt_neox.embed_in.weight"].shape[1]
U, S, Vt = np.linalg.svd(X, full_matrices=False)
G = (Vt[:d].T * S[:d])  # gene loadings, genes x d
tok = json.load(open(os.path.join(a.init, "tokenizer.json")))
ids = {}
for t in tok["added_tokens"]:
    ids.setdefault(t["content"].strip(), []).append(t["id"])
rows, vecs = [], []
for g, v in zip(genes, G):
    for i in ids.get(g, []):
        rows.append(i); vecs.append(v)
rows = np.array(rows); vecs = np.array(vecs)
print(f"{len(train)} training cells, {len(genes)} genes in their top genes, {len(rows)} gene tokens, d={d}")
for key in {"in": "gpt_neox.embed_in.weight", "out": "embed_out.weight"}.items():
    if key[0] not in a.which.split(","): continue
    E = w[key[1]].copy()
    rnorm = np.linalg.norm(E[rows], axis=1).mean()
    snorm = np.linalg.norm(vecs, axis=1).mean()
    s = vecs * (a.mix * rnorm / snorm)
    E[rows] = s if a.replace else E[rows] + s
    w[key[1]] = E.astype(np.float32)
    print(f"{key[1]}: random row norm {rnorm:.4f}, structured scaled to {a.mix * rnorm:.4f}")
shutil.copytree(a.init, a.out, dirs_exist_ok=True)
save_file(w, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
