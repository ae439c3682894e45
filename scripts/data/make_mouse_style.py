"""Writes a mouse-style copy of a human .h5ad, for testing c2s on mouse gene naming.

There is no mouse dataset in ../shared/data, so this takes real human counts and renames the
genes the way mouse references spell them: first letter upper-case, the rest lower-case
(ACTB -> Actb, C1orf56 -> C1orf56), mitochondrial genes `mt-` (MT-CO1 -> mt-Co1). Real mouse
files also carry a few all-caps names (transgenes, human orthologues, odd annotations), some
of which collide with a mouse name once upper-cased: the copy keeps KEPT_UPPER genes in capitals
and appends COLLIDING columns named in capitals beside their mouse-style gene (PISD next to
Pisd), holding a seeded binomial thinning (p = 0.3) of that gene's counts, so that
upper-casing every name (the reference's habit) would merge two different columns.

The counts, cells and obs are otherwise unchanged. Usage:
    python3 scripts/data/make_mouse_style.py ../shared/data/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad mouse-style.h5ad
"""
import sys

import anndata as ad
import numpy as np
import scipy.sparse as sp

# Human symbols kept all-caps, and symbols that get an all-caps twin column; the first few
# present in the input are used.
KEPT_UPPER = ["GAPDH", "CD74", "B2M", "FTL"]
COLLIDING = ["PISD", "ACTB", "MALAT1", "TMSB4X"]
PER_LIST = 3


def mouse_style(name: str) -> str:
    if name.upper().startswith("MT-"):
        return "mt-" + name[3:4].upper() + name[4:].lower()
    return name[:1].upper() + name[1:].lower()


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: make_mouse_style.py INPUT.h5ad OUTPUT.h5ad")
    source, target = sys.argv[1], sys.argv[2]
    a = ad.read_h5ad(source)
    names = list(a.var_names)
    present = set(names)
    kept = [g for g in KEPT_UPPER if g in present][:PER_LIST]
    twins = [g for g in COLLIDING if g in present and g not in kept][:PER_LIST]
    if not twins:
        sys.exit(f"{source}: none of {COLLIDING} is a gene here, so no colliding names can be made")
    renamed = [g if g in kept else mouse_style(g) for g in names]
    if len(set(renamed)) != len(renamed):
        sys.exit(f"{source}: mouse-style renaming makes duplicate names by itself")

    X = sp.csr_matrix(a.X).astype(np.int64)
    rng = np.random.default_rng(0)
    extra = []
    for g in twins:
        column = X[:, names.index(g)].toarray().ravel()
        extra.append(rng.binomial(column, 0.3))
    X = sp.hstack([X, sp.csr_matrix(np.stack(extra, axis=1))], format="csr").astype(np.int32)
    var_names = renamed + twins
    out = ad.AnnData(X=X, obs=a.obs.copy())
    out.var_names = var_names
    out.write_h5ad(target, compression="gzip")
    print(f"{target}: {out.n_obs} cells x {out.n_vars} genes; kept all-caps: {', '.join(kept)}; "
          f"all-caps twins: {', '.join(f'{g} beside {mouse_style(g)}' for g in twins)}")


if __name__ == "__main__":
    main()
