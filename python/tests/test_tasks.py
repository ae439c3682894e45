"""annotate, embed, generate_cells, evaluate_*, umap, report on simulated data."""

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import c2s
from c2s import _data, _evaluate


def test_annotate_adds_labels_from_the_models_label_set(sim):
    adata = sim.adata.copy()
    assert c2s.annotate(adata, sim.model, top_genes=30, progress=False) is None
    labels = set(sim.model.labels)
    assert adata.obs["c2s_label"].notna().all()
    assert set(adata.obs["c2s_label"]) <= labels
    assert list(adata.obs["c2s_label"].cat.categories) == sim.model.labels
    p = adata.obs["c2s_probability"]
    assert ((p > 0) & (p <= 1)).all()
    for label in labels:
        assert f"c2s_score_{label}" in adata.obs
    # The chosen label is the one with the highest score.
    scores = adata.obs[[f"c2s_score_{l}" for l in sim.model.labels]]
    best = scores.idxmax(axis=1).str.replace("c2s_score_", "", regex=False)
    assert (best == adata.obs["c2s_label"].astype(str)).all()
    assert "c2s_label" not in sim.adata.obs  # only the copy was touched


def test_annotate_copy_selection_and_labels(sim):
    chosen = ["B", "NK"]
    out = c2s.annotate(sim.adata, sim.model, top_genes=30, copy=True, labels=chosen,
                       where={"cell_type": "B"}, progress=False)
    assert "c2s_label" not in sim.adata.obs
    is_b = (out.obs["cell_type"] == "B").to_numpy()
    assert out.obs["c2s_label"][is_b].notna().all()
    assert out.obs["c2s_label"][~is_b].isna().all()
    assert set(out.obs["c2s_label"].dropna()) <= set(chosen)
    assert "c2s_score_CD4 T" not in out.obs


def test_annotate_path_returns_the_result(sim):
    result = c2s.annotate(sim.path, sim.model, top_genes=30, progress=False)
    assert isinstance(result, ad.AnnData)
    assert result.n_obs == sim.adata.n_obs and result.n_vars == 0
    assert set(result.obs["c2s_label"]) <= set(sim.model.labels)
    # In place, each cell's own result lands on its row (joined by cell name), also when only
    # some cells are run. (Row order matters to the binary: ties in a sentence are broken by a
    # shuffle seeded from the cell's row, so compare runs over the same rows.)
    only_b = c2s.annotate(sim.path, sim.model, top_genes=30, where={"cell_type": "B"},
                          progress=False)
    adata = sim.adata.copy()
    c2s.annotate(adata, sim.model, top_genes=30, where={"cell_type": "B"}, progress=False)
    names = list(only_b.obs_names)
    assert 0 < len(names) < adata.n_obs
    for column in ["c2s_label", "c2s_score", "c2s_probability"]:
        np.testing.assert_array_equal(adata.obs.loc[names, column].astype(str).to_numpy(),
                                      only_b.obs[column].astype(str).to_numpy())
    assert result.obs["c2s_score"].nunique() > 1  # rows are distinguishable


def test_embed_shape_and_backed_input(sim, monkeypatch):
    adata = sim.adata.copy()
    c2s.embed(adata, sim.model, top_genes=30, progress=False)
    X = adata.obsm["X_c2s"]
    hidden = json.loads((sim.model.path / "config.json").read_text())["hidden_size"]
    assert X.shape == (adata.n_obs, hidden) == (400, 32)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    assert np.unique(X.round(5), axis=0).shape[0] > 1  # cells differ

    monkeypatch.setattr(_data, "_write_h5ad",
                        lambda a, p: pytest.fail("backed AnnData must go by path"))
    backed = ad.read_h5ad(sim.path, backed="r")
    c2s.embed(backed, sim.model, top_genes=30, progress=False, key_added="X_again")
    np.testing.assert_allclose(backed.obsm["X_again"], X, rtol=1e-5, atol=1e-6)


def test_generate_cells_of_every_label(sim):
    generated = c2s.generate_cells(sim.model, 5, every_label=True, top_genes=30, progress=False)
    labels = sorted(sim.model.labels)
    assert generated.n_obs == 5 * len(labels)
    assert sorted(set(generated.obs["cell_type"])) == labels
    assert list(generated.var_names) == list(sim.sentences.vocab()["gene"])
    # Constrained decoding: every word is a gene of the vocabulary, none repeated.
    assert (generated.obs["n_valid_words"] == generated.obs["n_words"]).all()
    assert (generated.obs["n_unique_genes"] == generated.obs["n_words"]).all()
    one = c2s.generate_cells(sim.model, 3, conditions="cell_type=NK", seed=4, progress=False,
                             top_genes=30)
    assert list(one.obs["cell_type"]) == ["NK"] * 3


def test_evaluate_annotation_matches_the_columns(sim, tmp_path):
    adata = sim.adata.copy()
    c2s.annotate(adata, sim.model, top_genes=30, progress=False)
    metrics = c2s.evaluate_annotation(adata, "cell_type")
    truth = adata.obs["cell_type"].astype(str)
    predicted = adata.obs["c2s_label"].astype(str)
    assert metrics["metrics"]["accuracy"] == pytest.approx((truth == predicted).mean())
    assert metrics["truth_column"] == "cell_type"
    # The baselines learn from the train split: score them on the held-out cells.
    assignments = sim.prompts.splits()["assignments"]
    held_out = adata[[assignments[n] != "train" for n in adata.obs_names]].copy()
    with_baseline = c2s.evaluate_annotation(held_out, "cell_type", baseline_expression=sim.path,
                                            splits=sim.prompts.splits_path,
                                            strong_baselines=False)
    assert with_baseline["metrics"]["accuracy"] == pytest.approx(
        (held_out.obs["cell_type"].astype(str) == held_out.obs["c2s_label"].astype(str)).mean())
    assert "baseline" in with_baseline
    # A second evaluation of the same cells takes the first one's baselines (by its JSON).
    first = tmp_path / "first.json"
    c2s.evaluate_annotation(held_out, "cell_type", baseline_expression=sim.path, splits=sim.prompts.splits_path,
                            strong_baselines=False, out=first)
    again = c2s.evaluate_annotation(held_out, "cell_type", baseline_expression=sim.path,
                                    splits=sim.prompts.splits_path, strong_baselines=False, baselines_from=first)
    assert again["baseline"] == with_baseline["baseline"]
    assert again["baseline_inputs"]["rows"] == held_out.n_obs
    with pytest.raises(c2s.C2SError, match="other inputs"):
        c2s.evaluate_annotation(held_out[:-1].copy(), "cell_type", baseline_expression=sim.path,
                                splits=sim.prompts.splits_path, strong_baselines=False, baselines_from=first)


def test_evaluate_generation_and_report(sim, tmp_path):
    generated = c2s.generate_cells(sim.model, 10, every_label=True, top_genes=30, progress=False)
    real = c2s.reconstruct(sim.sentences, top_genes=30)
    metrics = c2s.evaluate_generation(generated, real, label_column="cell_type", k=[5],
                                      gw_cells=50, mmd_cells=50)
    assert metrics["sentence_quality"]["metrics"]["validity"] == pytest.approx(1.0)
    assert "knn" in metrics and "mean_profiles" in metrics
    # The mean profiles' references: the label-blind null and the real-vs-real ceiling.
    ceiling = metrics["profile_real_vs_real"]
    assert ceiling["draws"] == 20 and 0 < ceiling["mean_pearson"] <= 1
    assert [t["label"] for t in ceiling["per_type"]] == [t["label"] for t in metrics["mean_profiles"]["per_type"]]
    # The training overlap: generated cells against the training split, beside held-out ones.
    overlap = c2s.evaluate_generation(generated, real, label_column="cell_type", k=[5], gw_cells=50,
                                      mmd_cells=50, genes=30, sentences=sim.sentences,
                                      splits=sim.root / "splits.json")["training_overlap"]
    assert overlap["genes"] == 30 and overlap["training_cells"] > overlap["held_out"]["cells"] > 0
    assert overlap["generated"]["cells"] == 40
    assert 0 <= overlap["generated"]["median"] <= 1 and 0 < overlap["held_out"]["median"] < 1
    page = c2s.report(tmp_path / "report", model=sim.model, generation_metrics=metrics,
                      annotation_metrics={"constrained": c2s.evaluate_annotation(
                          c2s.annotate(sim.adata, sim.model, top_genes=30, copy=True,
                                       progress=False), "cell_type")},
                      generated=generated, real=real, umap=False, title="pytest report",
                      display=False)
    assert page == tmp_path / "report" / "report.html"
    text = page.read_text()
    assert "pytest report" in text and "<svg" in text and "constrained" in text


def test_report_displays_inline_in_jupyter(tmp_path, monkeypatch):
    display = pytest.importorskip("IPython.display")
    shown = []
    monkeypatch.setattr(display, "display", shown.append)
    page = tmp_path / "report.html"
    page.write_text('<html><body><p class="x">a & b</p></body></html>')
    _evaluate._show(page)
    assert len(shown) == 1
    html = shown[0].data
    assert html.startswith("<iframe srcdoc=") and "&lt;p class=&quot;x&quot;&gt;a &amp; b&lt;/p&gt;" in html


def test_umap_of_the_embedding(sim):
    adata = sim.adata.copy()
    c2s.embed(adata, sim.model, top_genes=30, progress=False)
    c2s.umap(adata, use_rep="X_c2s", epochs=50)
    U = adata.obsm["X_c2s_umap"]
    assert U.shape == (adata.n_obs, 2) and np.isfinite(U).all() and U.std(axis=0).min() > 0


def test_annotate_passes_the_prompt_format_and_weights(sim):
    # A c2s-trained model in fp32: auto weights and the explicit c2s format give the labels
    # of the defaults; the checkpoints' longer prompts do not fit this tiny model's context,
    # and the error says so (the format reached the binary).
    a, b = sim.adata.copy(), sim.adata.copy()
    c2s.annotate(a, sim.model, top_genes=30, progress=False, weights="fp32")
    c2s.annotate(b, sim.model, top_genes=30, progress=False, weights="auto", prompt_format="c2s")
    assert (a.obs["c2s_label"] == b.obs["c2s_label"]).all()
    with pytest.raises(c2s.C2SError, match="exceeds the model's context"):
        c2s.annotate(sim.adata.copy(), sim.model, top_genes=30, progress=False, prompt_format="cell2sentence")
    with pytest.raises(c2s.C2SError, match="unknown prompt format"):
        c2s.annotate(sim.adata.copy(), sim.model, progress=False, prompt_format="nope")
