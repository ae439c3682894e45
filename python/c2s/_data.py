"""Path objects for c2s's folders and files, and handing AnnData to the binary.

An AnnData already backed by an .h5ad file goes to the binary by its path; only an in-memory
AnnData (or a view) is written, once, to a temporary .h5ad holding just what the binary reads
(the matrix, obs, gene names).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

PathLike = Union[str, os.PathLike]

__all__ = ["SentenceDataset", "PromptDataset", "Tokenizer", "Model"]


class _Folder(os.PathLike):
    """A path to something c2s wrote; usable wherever a path is (``os.fspath``)."""

    def __init__(self, path: PathLike):
        self.path = Path(path)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.path == other.path

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.path))


class SentenceDataset(_Folder):
    """A sentence dataset folder written by ``c2s convert`` (``cells.jsonl``, ``vocab.tsv``,
    ``manifest.json``)."""

    @property
    def manifest(self) -> dict:
        """``manifest.json``: input, settings, counts, the inverse transform."""
        with open(self.path / "manifest.json") as f:
            return json.load(f)

    def cells(self) -> pd.DataFrame:
        """``cells.jsonl`` as a DataFrame indexed by ``cell_name``."""
        df = pd.read_json(self.path / "cells.jsonl", lines=True, dtype=False)
        return df.set_index("cell_name")

    def vocab(self) -> pd.DataFrame:
        """``vocab.tsv``: each kept gene and the number of cells expressing it."""
        return pd.read_csv(self.path / "vocab.tsv", sep="\t", keep_default_na=False)

    def __len__(self) -> int:
        with open(self.path / "cells.jsonl", "rb") as f:
            return sum(1 for line in f if line.strip())


class PromptDataset(_Folder):
    """A prompt dataset (JSONL) written by ``c2s prompts``, with ``splits.json`` beside it."""

    @property
    def splits_path(self) -> Path:
        """The ``splits.json`` written beside the prompts."""
        return self.path.parent / "splits.json"

    def splits(self) -> dict:
        """``splits.json``: cell name to train/validation/test, and how they were made."""
        with open(self.splits_path) as f:
            return json.load(f)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per example: task, split, cell_name, model_input, response, ..."""
        return pd.read_json(self.path, lines=True, dtype=False)


class Tokenizer(_Folder):
    """A tokenizer folder written by ``c2s tokenizer train`` (``tokenizer.json``)."""


class Model(_Folder):
    """A model folder written by ``c2s train``: a Hugging Face causal LM folder plus
    ``c2s.json`` and the training log ``metrics.jsonl``."""

    @property
    def info(self) -> dict:
        """``c2s.json``: tasks, labels learned, label column, context."""
        with open(self.path / "c2s.json") as f:
            return json.load(f)

    @property
    def labels(self) -> List[str]:
        """The labels the model learned for cell type prediction (empty if none)."""
        return list(self.info.get("labels", {}).get("cell_type_prediction", []))

    def metrics(self) -> pd.DataFrame:
        """``metrics.jsonl``: one row per logged step or validation."""
        return pd.read_json(self.path / "metrics.jsonl", lines=True)


# ---------------------------------------------------------------------------------------------
# Handing data to the binary


def _write_h5ad(adata: ad.AnnData, path: Path) -> Path:
    """Write ``adata`` for the binary (the one place the package writes an input .h5ad; the
    tests replace it to check that backed data is passed by path)."""
    adata.write_h5ad(path)
    return path


def _matrix_for_binary(adata: ad.AnnData, layer: Optional[str], raw: bool,
                       gene_column: Optional[str]) -> ad.AnnData:
    """A light AnnData with only what the binary reads: the chosen matrix as X, obs, gene
    names (and ``gene_column``)."""
    if raw:
        if adata.raw is None:
            raise ValueError("raw=True but adata.raw is None")
        X, var = adata.raw.X, adata.raw.var
    else:
        X = adata.X if layer is None else adata.layers[layer]
        var = adata.var
    if X is None:
        raise ValueError("the AnnData has no matrix to read (X is None)")
    keep = [gene_column] if gene_column is not None else []
    var = pd.DataFrame(var[keep] if keep else None, index=pd.Index(var.index.astype(str)))
    if not (sp.issparse(X) or isinstance(X, np.ndarray)):
        X = np.asarray(X)
    obs = adata.obs.copy()
    obs.index = obs.index.astype(str)
    return ad.AnnData(X=X, obs=obs, var=var)


def expression_path(data, workdir: Path, *, layer: Optional[str] = None, raw: bool = False,
                    gene_column: Optional[str] = None,
                    name: str = "input.h5ad") -> Tuple[Path, List[str]]:
    """The path the binary reads ``data`` from and the input flags that go with it.

    ``data`` is a path (file or folder), a :class:`SentenceDataset`, or an AnnData. A backed
    AnnData (not a view) is read from its own file, with ``--layer``/``--raw`` passed on; an
    in-memory one is written to ``workdir/name`` with the chosen matrix as X.
    """
    flags: List[str] = []
    if isinstance(data, ad.AnnData):
        if data.isbacked and data.filename is not None and not data.is_view:
            path = Path(data.filename)
            if layer is not None:
                flags += ["--layer", layer]
            if raw:
                flags.append("--raw")
        else:
            if data.isbacked:
                data = data.to_memory()
            path = _write_h5ad(_matrix_for_binary(data, layer, raw, gene_column), workdir / name)
        if gene_column is not None:
            flags += ["--gene-column", gene_column]
        return path, flags
    if isinstance(data, (str, os.PathLike)):
        if layer is not None:
            flags += ["--layer", layer]
        if raw:
            flags.append("--raw")
        if gene_column is not None:
            flags += ["--gene-column", gene_column]
        return Path(os.fspath(data)), flags
    raise TypeError(f"expected an AnnData, a SentenceDataset or a path, not {type(data).__name__}")


def obs_table_path(data, workdir: Path, columns: Sequence[str], name: str) -> Path:
    """An .h5ad the evaluate commands read ``columns`` of ``obs`` from: ``data``'s own file
    when it is a path or a backed AnnData, else an .h5ad with those columns and no genes."""
    if isinstance(data, (str, os.PathLike)):
        return Path(os.fspath(data))
    if not isinstance(data, ad.AnnData):
        raise TypeError(f"expected an AnnData or a path, not {type(data).__name__}")
    if data.isbacked and data.filename is not None and not data.is_view:
        return Path(data.filename)
    missing = [c for c in columns if c not in data.obs.columns]
    if missing:
        raise KeyError(f"obs has no column {', '.join(missing)}")
    obs = data.obs[list(columns)].copy()
    obs.index = obs.index.astype(str)
    light = ad.AnnData(X=sp.csr_matrix((data.n_obs, 0), dtype=np.float32), obs=obs)
    return _write_h5ad(light, workdir / name)


def h5ad_path(data, workdir: Path, name: str) -> Path:
    """An .h5ad of ``data`` (expression and obs as they are) for commands that read whole
    files (evaluate generation/perturbation, report): its own file when backed or a path."""
    if isinstance(data, (str, os.PathLike)):
        return Path(os.fspath(data))
    if not isinstance(data, ad.AnnData):
        raise TypeError(f"expected an AnnData or a path, not {type(data).__name__}")
    if data.isbacked and data.filename is not None and not data.is_view:
        return Path(data.filename)
    if data.isbacked:
        data = data.to_memory()
    return _write_h5ad(_matrix_for_binary(data, None, False, None), workdir / name)


def write_sentences(sentences: Iterable[str], path: Path, names: Optional[Sequence[str]] = None) -> Path:
    """Sentences as JSONL (``cell_name``, ``cell_sentence``) for ``c2s reconstruct``."""
    sentences = list(sentences)
    if names is None:
        names = [f"cell_{i}" for i in range(len(sentences))]
    with open(path, "w") as f:
        for name, sentence in zip(names, sentences):
            f.write(json.dumps({"cell_name": str(name), "cell_sentence": str(sentence)}) + "\n")
    return path


def read_h5ad(path: Path) -> ad.AnnData:
    """Read an output of the binary fully into memory (its temporary folder is removed
    afterwards)."""
    return ad.read_h5ad(path)
