"""Shared fixtures: the c2s binary, a small simulated dataset with a tiny trained model, and
kang-ifnb-sub2k from ../shared/data with its own tiny model.

Models are tiny (hidden 32, 1 layer, 40-60 steps): the tests check that data goes in and out
of the binary correctly, not that the models are good.
"""

import os
from pathlib import Path
from types import SimpleNamespace

import anndata as ad
import pytest

import c2s

REPO = Path(__file__).resolve().parents[2]


def _need(reason: str):
    """Fail when CI is set (CI must have everything), skip otherwise."""
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def binary():
    try:
        return c2s.find_binary()
    except c2s.BinaryNotFoundError as e:
        _need(str(e))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The repository's ``../shared/data`` (or /work/shared/data)."""
    for candidate in [REPO.parent / "shared" / "data", Path("/work/shared/data")]:
        if (candidate / "kang-ifnb-sub2k" / "kang_ifnb_sub2k.h5ad").is_file():
            return candidate
    _need(f"real datasets not found in {REPO.parent / 'shared' / 'data'} or /work/shared/data")


@pytest.fixture(scope="session")
def kang_path(shared_data) -> Path:
    return shared_data / "kang-ifnb-sub2k" / "kang_ifnb_sub2k.h5ad"


@pytest.fixture(scope="session")
def sim(binary, tmp_path_factory):
    """400 simulated cells of 4 types (file + in-memory AnnData), their sentences, prompts,
    a gene-aware tokenizer and a tiny model trained on them, with the lines train streamed."""
    root = tmp_path_factory.mktemp("sim")
    path = root / "sim.h5ad"
    adata = c2s.simulate(path, cells=400, genes=500, cell_types=4, seed=11)
    sentences = c2s.convert(path, root / "sentences", obs_columns=["cell_type", "batch"],
                            min_genes=0, fit_by="cell_type")
    prompts = c2s.prompts(sentences, root / "prompts.jsonl",
                          tasks={"cell_type_prediction": 2, "cell_type_generation": 1,
                                 "unconditional_generation": 1},
                          examples=800, label_column="cell_type", stratify_by="cell_type",
                          top_k=30, templates=1)
    tok = c2s.tokenizer(prompts, root / "tokenizer", gene_aware=sentences)
    lines = []
    model = c2s.train(prompts, root / "model", new_model="gpt_neox", tokenizer=tok,
                      hidden_size=32, layers=1, heads=2, context=96, max_steps=60,
                      batch_size=16, learning_rate=3e-3, sentences=sentences,
                      label_column="cell_type", log_every=20, progress=lines.append)
    return SimpleNamespace(root=root, path=path, adata=adata, sentences=sentences,
                           prompts=prompts, tokenizer=tok, model=model, train_lines=lines)


@pytest.fixture(scope="session")
def kang(binary, kang_path, tmp_path_factory):
    """kang-ifnb-sub2k converted (from the backed file), prompts for cell type and
    interferon-beta perturbation prediction, and a tiny model trained on them."""
    root = tmp_path_factory.mktemp("kang")
    backed = ad.read_h5ad(kang_path, backed="r")
    sentences = c2s.convert(backed, root / "sentences",
                            obs_columns=["seurat_annotations", "stim"],
                            fit_by="seurat_annotations")
    prompts = c2s.prompts(sentences, root / "prompts.jsonl",
                          tasks={"cell_type_prediction": 1, "perturbation_prediction": 1},
                          examples=800, perturbation_column="stim", control_value="CTRL",
                          perturbation_name="interferon-beta stimulation",
                          label_column="seurat_annotations", stratify_by="seurat_annotations",
                          top_k=20, templates=1)
    tok = c2s.tokenizer(prompts, root / "tokenizer", gene_aware=sentences)
    model = c2s.train(prompts, root / "model", new_model="gpt_neox", tokenizer=tok,
                      hidden_size=32, layers=1, heads=2, context=192, max_steps=40,
                      batch_size=16, learning_rate=3e-3, sentences=sentences,
                      label_column="seurat_annotations", progress=False)
    return SimpleNamespace(root=root, path=kang_path, backed=backed, sentences=sentences,
                           prompts=prompts, model=model)
