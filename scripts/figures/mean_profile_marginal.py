#!/usr/bin/env python3
"""Where generated cells' mean profiles miss: the label-blind part against the label's part.

For a `make demo` folder (generated.h5ad, real-top100.h5ad): Pearson over genes between the mean
of *all* generated cells and the mean of all real cells (a generator with the right gene
frequencies but no use of the label would score ~1 here); then per cell type the model's
mean-profile Pearson, the label-blind null (the mean of all real cells), the model's label-blind
mean against the type, and the model's type mean with its overall offset replaced by the real
one (generated type mean - generated mean + real mean), which isolates what the label adds; and
the genes whose overall generated and real means differ most, with how often each is among a
cell's genes.

    python3 scripts/figures/mean_profile_marginal.py DEMO_DIR LABEL [GENERATED.h5ad]
"""
import sys

import anndata as ad
import numpy as np

folder, label = sys.argv[1:3]
generated = ad.read_h5ad(sys.argv[3] if len(sys.argv) > 3 else f"{folder}/generated.h5ad")
real = ad.read_h5ad(f"{folder}/real-top100.h5ad")


def dense(x):
    return np.asarray(x.todense() if hasattr(x, "todense") else x, dtype=float)


column = {g: i for i, g in enumerate(real.var_names)}
genes = [g for g in generated.var_names if g in column]
G = dense(generated[:, genes].X)
R = dense(real.X)[:, [column[g] for g in genes]]
g_labels = generated.obs[label].astype(str).values
r_labels = real.obs[label].astype(str).values


def r(a, b):
    return float(np.corrcoef(a, b)[0, 1])


g_all, r_all = G.mean(0), R.mean(0)
print(f"all generated vs all real cells: r = {r(g_all, r_all):.4f}")
rows = []
for t in sorted(set(g_labels) & set(r_labels)):
    g_t, r_t = G[g_labels == t].mean(0), R[r_labels == t].mean(0)
    rows.append((r(g_t, r_t), r(r_all, r_t), r(g_all, r_t), r(g_t - g_all + r_all, r_t)))
    print(f"{t}: model {rows[-1][0]:.4f}, null {rows[-1][1]:.4f}, model's label-blind mean {rows[-1][2]:.4f}, "
          f"model with the real offset {rows[-1][3]:.4f}")
m = np.mean(rows, axis=0)
print(f"mean over types: model {m[0]:.4f}, null {m[1]:.4f}, model's label-blind mean {m[2]:.4f}, model with the real offset {m[3]:.4f}")
gap = g_all - r_all
print("genes whose overall means differ most (generated / real mean; share of cells with the gene):")
for i in np.argsort(-np.abs(gap))[:10]:
    print(f"  {genes[i]}: {g_all[i]:.3f} / {r_all[i]:.3f}; {np.mean(G[:, i] > 0):.2f} / {np.mean(R[:, i] > 0):.2f}")
