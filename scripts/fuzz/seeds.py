"""Small, valid seed inputs for every format the fuzz harness mutates.

Each seed is written fresh into a folder so that a campaign depends on nothing but the
package's own fixtures (Tests/Fixtures/lm/pythia_text for the model files) and numpy, h5py,
scipy and anndata. Seeds are small on purpose: a mutant runs in well under a second when c2s
rejects it, so thousands fit in minutes.
"""

import gzip
import json
import os
import shutil

import numpy as np

CELLS, GENES = 40, 24


def counts(rng):
    """A sparse-ish count matrix with every cell and gene expressed somewhere."""
    x = rng.poisson(0.6, size=(CELLS, GENES)).astype(np.int64)
    x[np.arange(CELLS), np.arange(CELLS) % GENES] += 1
    return x


def cell_names():
    return [f"CELL{i:03d}-1" for i in range(CELLS)]


def gene_names():
    return [f"GENE{j}" for j in range(GENES - 2)] + ["MT-CO1", "MT-ND1"]


def write_h5ad(path, rng, csc=False):
    """A small labelled .h5ad; X stored CSR, or CSC (which c2s transposes through a scratch file)."""
    import anndata
    import pandas as pd
    import scipy.sparse as sp

    x = counts(rng)
    obs = pd.DataFrame({"cell_type": pd.Categorical(rng.choice(["B", "T", "NK"], CELLS)),
                        "donor": [f"d{i % 3}" for i in range(CELLS)]}, index=cell_names())
    var = pd.DataFrame({"gene_ids": [f"ENSG{j:05d}" for j in range(GENES)]}, index=gene_names())
    matrix = sp.csc_matrix if csc else sp.csr_matrix
    anndata.AnnData(X=matrix(x.astype(np.float32)), obs=obs, var=var).write_h5ad(path)


def write_10x_h5(path, rng):
    import h5py
    import scipy.sparse as sp

    # 10x stores genes × cells in CSC order: one column per cell.
    m = sp.csc_matrix(counts(rng).T.astype(np.int32))
    with h5py.File(path, "w") as f:
        g = f.create_group("matrix")
        g.create_dataset("barcodes", data=np.array(cell_names(), dtype="S"))
        g.create_dataset("data", data=m.data)
        g.create_dataset("indices", data=m.indices.astype(np.int64))
        g.create_dataset("indptr", data=m.indptr.astype(np.int64))
        g.create_dataset("shape", data=np.array([GENES, CELLS], dtype=np.int32))
        feats = g.create_group("features")
        feats.create_dataset("id", data=np.array([f"ENSG{j:05d}" for j in range(GENES)], dtype="S"))
        feats.create_dataset("name", data=np.array(gene_names(), dtype="S"))
        feats.create_dataset("feature_type", data=np.array(["Gene Expression"] * GENES, dtype="S"))
        feats.create_dataset("genome", data=np.array(["GRCh38"] * GENES, dtype="S"))


def mtx_text(rng):
    x = counts(rng).T  # genes × cells, as 10x writes it
    rows, cols = np.nonzero(x)
    lines = ["%%MatrixMarket matrix coordinate integer general", "%", f"{GENES} {CELLS} {len(rows)}"]
    lines += [f"{r + 1} {c + 1} {x[r, c]}" for r, c in zip(rows, cols)]
    return "\n".join(lines) + "\n"


def write_mtx_folder(folder, rng, compress):
    """A 10x v3 folder (matrix, features, barcodes), gzipped or plain."""
    os.makedirs(folder, exist_ok=True)
    features = "".join(f"ENSG{j:05d}\t{g}\tGene Expression\n" for j, g in enumerate(gene_names()))
    barcodes = "".join(c + "\n" for c in cell_names())
    files = {"matrix.mtx": mtx_text(rng), "features.tsv": features, "barcodes.tsv": barcodes}
    for name, text in files.items():
        if compress:
            with gzip.open(os.path.join(folder, name + ".gz"), "wt") as f:
                f.write(text)
        else:
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)


def write_csv(path, rng):
    x = counts(rng)
    with open(path, "w") as f:
        f.write("cell," + ",".join(gene_names()) + "\n")
        for name, row in zip(cell_names(), x):
            f.write(name + "," + ",".join(str(v) for v in row) + "\n")


def copy_model(fixtures, folder):
    """The tiny GPT-NeoX text model with its tokenizer (safetensors, config, tokenizer.json)."""
    shutil.copytree(os.path.join(fixtures, "lm", "pythia_text"), folder)
    for extra in ("expected.json.gz",):
        p = os.path.join(folder, extra)
        if os.path.exists(p):
            os.remove(p)


def prompt_lines(rng):
    """A prompt dataset as 'c2s prompts' writes it (model_input, response)."""
    genes = gene_names()
    out = []
    for i in range(6):
        sentence = " ".join([str(g) for g in rng.permutation(genes)[:8]])
        out.append(json.dumps({"task": "cell_type_prediction", "split": "train", "cell_name": cell_names()[i],
                               "model_input": f"The 8 most expressed genes: {sentence}. The cell type is",
                               "response": str(rng.choice(["B", "T", "NK"]))}))
    return "\n".join(out) + "\n"
