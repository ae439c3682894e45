"""kang-ifnb-sub2k (../shared/data): 2,000 real PBMCs, 13 cell types, control and
interferon-beta stimulated. Fails when CI is set and the data is missing; skips otherwise."""

import os

import pytest

import c2s


def test_backed_kang_is_converted_from_its_own_file(kang):
    # The manifest records the file the backed AnnData was opened from, not a temporary copy
    # (compared after resolving links: CI reaches ../shared through a symbolic link).
    manifest = kang.sentences.manifest
    assert os.path.realpath(manifest["input"]["absolute_path"]) == str(kang.path.resolve())
    assert manifest["input"]["cells"] == kang.backed.n_obs
    cells = kang.sentences.cells()
    assert set(cells.index) <= set(kang.backed.obs_names)
    assert len(cells) > 1900  # the default filters keep nearly all of kang's cells
    assert set(cells["stim"]) == {"CTRL", "STIM"}


def test_annotate_and_embed_a_real_subset_in_memory(kang):
    subset = kang.backed[:150].to_memory()
    c2s.annotate(subset, kang.model, top_genes=20, progress=False)
    labels = set(kang.model.labels)
    assert len(labels) == 13
    assert subset.obs["c2s_label"].notna().all()
    assert set(subset.obs["c2s_label"]) <= labels
    c2s.embed(subset, kang.model, top_genes=20, progress=False)
    assert subset.obsm["X_c2s"].shape == (150, 32)
    metrics = c2s.evaluate_annotation(subset, "seurat_annotations")
    truth = subset.obs["seurat_annotations"].astype(str)
    assert metrics["metrics"]["accuracy"] == pytest.approx(
        (truth == subset.obs["c2s_label"].astype(str)).mean())


def test_predict_and_evaluate_perturbation(kang):
    splits = kang.prompts.splits_path
    predicted = c2s.predict_perturbation(kang.backed, kang.model, "interferon-beta stimulation",
                                         label_column="seurat_annotations", top_genes=20,
                                         splits=splits, split="test", where={"stim": "CTRL"},
                                         progress=False)
    assert predicted.n_obs > 0
    assert (predicted.obs["stim"] == "CTRL").all()
    assert set(predicted.obs["perturbation"]) == {"interferon-beta stimulation"}
    assert (predicted.obs["n_valid_words"] == 20).all()
    assert set(predicted.var_names) == set(kang.sentences.vocab()["gene"])
    control = c2s.reconstruct(kang.sentences, splits=splits, split="test",
                              where={"stim": "CTRL"}, top_genes=20)
    true = c2s.reconstruct(kang.sentences, splits=splits, split="test",
                           where={"stim": "STIM"}, top_genes=20)
    assert sorted(control.obs_names) == sorted(predicted.obs_names)
    metrics = c2s.evaluate_perturbation(predicted, control, true, top_n=[20, "all"])
    correlations = metrics["correlations"]
    assert [c["genes"] for c in correlations] == [20, predicted.n_vars]
    assert all(-1 <= c["pearson"] <= 1 for c in correlations)

