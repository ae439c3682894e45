"""Metrics, maps and reports: evaluate_annotation, evaluate_generation, evaluate_perturbation,
umap, report, report_transform."""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import anndata as ad
import numpy as np
import pandas as pd

from . import _binary
from ._args import Args
from ._data import PathLike, _write_h5ad, h5ad_path, obs_table_path

__all__ = ["evaluate_annotation", "evaluate_generation", "evaluate_perturbation", "umap",
           "report", "report_transform"]


def _metrics(args: Args, work: Path, out: Optional[PathLike], progress) -> dict:
    """Run an evaluate subcommand with ``-o`` and return the JSON it wrote."""
    path = Path(os.fspath(out)) if out is not None else work / "metrics.json"
    args.opt("--output", path).flag("--quiet", not progress)
    summary = _binary.run(args, progress=progress)
    if progress:
        for line in summary.splitlines():
            _binary._emit(progress, line)
    with open(path) as f:
        return json.load(f)


def evaluate_annotation(data, truth_column: str, predicted_column: str = "c2s_label", *,
                        baseline_expression=None, splits: Optional[PathLike] = None,
                        baseline_k: Optional[int] = None, baseline_target: Optional[float] = None,
                        hvg: Optional[int] = None, pca: Optional[int] = None,
                        strong_baselines: bool = True, baselines_from: Optional[PathLike] = None,
                        per_class: Optional[PathLike] = None,
                        confusion: Optional[PathLike] = None, out: Optional[PathLike] = None,
                        progress=False, extra_args: Optional[Sequence[str]] = None) -> dict:
    """Score predicted labels against true ones (``c2s evaluate annotation``).

    Parameters
    ----------
    data
        AnnData whose obs holds both columns (only they are written for the binary), or the
        path of an .h5ad or CSV/TSV table.
    truth_column, predicted_column
        The true and predicted label columns (default predicted: ``c2s_label``, what
        :func:`annotate` adds).
    baseline_expression, splits
        Counts of all cells (AnnData or .h5ad path) and the ``splits.json`` whose train cells
        are the references of the k-NN baseline and the strong baselines (logistic regression
        and k-NN on PCs of HVGs), scored on the same rows; rows are matched by cell name.
    baseline_k, baseline_target, hvg, pca
        Neighbours (10), normalisation total (1e4), HVGs (2000), PCs (50) of the baselines.
    strong_baselines
        False: only the all-gene k-NN baseline (``--no-strong-baselines``).
    baselines_from
        The ``out`` JSON of an earlier call on the same cells, expression file, splits and
        settings: its baselines are taken instead of fitted again (``--baselines-from``; checked,
        a ``C2SError`` names what differs). Give the expression as a path for this: an AnnData
        is written anew on every call.
    per_class, confusion
        Also write the per-class table and the confusion matrix as CSV to these paths.
    out
        Also keep the metrics JSON at this path.
    progress, extra_args
        Print c2s's summary; further arguments.

    Returns
    -------
    dict
        The metrics JSON (``metrics``: accuracy, F1, per class, confusion; ``baseline``,
        ``baselines`` when asked for).
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        table = obs_table_path(data, work, [truth_column, predicted_column], "annotation.h5ad")
        args = Args(["evaluate", "annotation", table, "--truth-column", truth_column,
                     "--predicted-column", predicted_column])
        if baseline_expression is not None:
            args.opt("--baseline-expression", h5ad_path(baseline_expression, work, "baseline.h5ad"))
        args.opt("--splits", splits).opt("--baseline-k", baseline_k)
        args.opt("--baseline-target", baseline_target).opt("--hvg", hvg).opt("--pca", pca)
        args.flag("--no-strong-baselines", not strong_baselines).opt("--baselines-from", baselines_from)
        args.opt("--per-class", per_class).opt("--confusion", confusion).extra(extra_args)
        return _metrics(args, work, out, progress)


def evaluate_generation(generated=None, real=None, *, label_column: Optional[str] = None,
                        generated_label_column: Optional[str] = None,
                        sentence_column: Optional[str] = None, real_train=None,
                        pca: Optional[int] = None, genes: Optional[int] = None,
                        k: Optional[Sequence[int]] = None, mmd_cells: Optional[int] = None,
                        gw_cells: Optional[int] = None, gw_epsilon: Optional[float] = None,
                        gw_max_iter: Optional[int] = None, seed: Optional[int] = None,
                        normalize_real: Optional[float] = None,
                        profiles: Optional[PathLike] = None, model: Optional[PathLike] = None,
                        sentences: Optional[PathLike] = None, splits: Optional[PathLike] = None,
                        split: Optional[str] = None, label_swap_cells: Optional[int] = None,
                        top_genes: Optional[int] = None, template: Optional[int] = None,
                        organism: Optional[str] = None, max_tokens_per_pass: Optional[int] = None,
                        threads: Optional[int] = None, out: Optional[PathLike] = None,
                        progress=False, extra_args: Optional[Sequence[str]] = None) -> dict:
    """Compare generated cells with real cells of the same types (``c2s evaluate generation``).

    Parameters
    ----------
    generated, real
        Generated cells (AnnData from :func:`generate_cells`, or an .h5ad path) and real
        held-out cells with the label column (expression on the same scale: e.g.
        :func:`reconstruct` of the real sentences, or counts with ``normalize_real``). Both
        None: only the label-swap test.
    label_column, generated_label_column, sentence_column
        obs column with the cell type (default ``cell_type``), in ``generated`` when it
        differs, and of the generated sentences (``cell_sentence``).
    real_train
        Real training cells for the real-vs-real reference (default: leave-one-out).
    pca, genes, k
        PCs for expression-space k-NN/MMD/GW (0: genes as they are), words compared in
        sentence space (100), neighbour counts (5, 10, 25, 50).
    mmd_cells, gw_cells, gw_epsilon, gw_max_iter, seed
        Subsamples and settings of MMD and Gromov-Wasserstein.
    normalize_real
        Log-normalise the real files first (each cell to this total, log10(1 + x)).
    profiles
        Also write the mean profiles as CSV to this path.
    model, sentences, splits, split, label_swap_cells, top_genes, template, organism,
    max_tokens_per_pass
        The label-swap test: held-out real cells of ``sentences`` scored under every label
        the model learned. ``sentences`` with ``splits`` and generated cells (no model needed)
        also give the training overlap: each generated and held-out cell's nearest training
        cell (``training_overlap`` in the result).
    threads, out, progress, extra_args
        Worker threads; keep the JSON at ``out``; print the summary; further arguments.

    Returns
    -------
    dict
        The metrics JSON.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        args = Args(["evaluate", "generation"])
        if generated is not None:
            args.opt("--generated", h5ad_path(generated, work, "generated.h5ad"))
        if real is not None:
            args.opt("--real", h5ad_path(real, work, "real.h5ad"))
        if real_train is not None:
            args.opt("--real-train", h5ad_path(real_train, work, "real-train.h5ad"))
        args.opt("--label-column", label_column)
        args.opt("--generated-label-column", generated_label_column)
        args.opt("--sentence-column", sentence_column).opt("--pca", pca).opt("--genes", genes)
        args.csv("--k", k).opt("--mmd-cells", mmd_cells).opt("--gw-cells", gw_cells)
        args.opt("--gw-epsilon", gw_epsilon).opt("--gw-max-iter", gw_max_iter).opt("--seed", seed)
        args.opt("--normalize-real", normalize_real).opt("--profiles", profiles)
        args.opt("--model", model).opt("--sentences", sentences).opt("--splits", splits)
        args.opt("--split", split).opt("--label-swap-cells", label_swap_cells)
        args.opt("--top-genes", top_genes).opt("--template", template).opt("--organism", organism)
        args.opt("--max-tokens-per-pass", max_tokens_per_pass).opt("--threads", threads)
        args.extra(extra_args)
        return _metrics(args, work, out, progress)


def evaluate_perturbation(predicted, control, true, *, top_n: Optional[Sequence] = None,
                          baseline_control=None, baseline_perturbed=None,
                          label_column: Optional[str] = None,
                          exclude_labels: Optional[Sequence[str]] = None,
                          group_by: Optional[str] = None, out: Optional[PathLike] = None,
                          progress=False, extra_args: Optional[Sequence[str]] = None) -> dict:
    """Score a predicted perturbation response against the true one
    (``c2s evaluate perturbation``): Pearson of predicted vs true mean shift over the top
    DE genes.

    Parameters
    ----------
    predicted, control, true
        Predicted perturbed cells (from :func:`predict_perturbation`), control cells and true
        perturbed cells: AnnData or .h5ad paths, expression on one scale.
    top_n
        Numbers of top DE genes (default ``[20, 50, "all"]``).
    baseline_control, baseline_perturbed, label_column, exclude_labels
        Control and perturbed cells of the training cell types for the mean-shift baseline,
        their cell type column, types left out of it.
    group_by
        Also score each value of this obs column (e.g. cell type) on its own cells.
    out, progress, extra_args
        Keep the JSON at ``out``; print the summary; further arguments.

    Returns
    -------
    dict
        The metrics JSON.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        args = Args(["evaluate", "perturbation",
                     "--predicted", h5ad_path(predicted, work, "predicted.h5ad"),
                     "--control", h5ad_path(control, work, "control.h5ad"),
                     "--true", h5ad_path(true, work, "true.h5ad")])
        args.csv("--top-n", top_n)
        if baseline_control is not None:
            args.opt("--baseline-control", h5ad_path(baseline_control, work, "base-control.h5ad"))
        if baseline_perturbed is not None:
            args.opt("--baseline-perturbed",
                     h5ad_path(baseline_perturbed, work, "base-perturbed.h5ad"))
        args.opt("--label-column", label_column).each("--exclude-label", exclude_labels)
        args.opt("--group-by", group_by).extra(extra_args)
        return _metrics(args, work, out, progress)


def umap(adata: ad.AnnData, *, use_rep: Optional[str] = None, key_added: str = "X_c2s_umap",
         pca: Optional[int] = None, normalize: Optional[float] = None,
         neighbors: Optional[int] = None, min_dist: Optional[float] = None,
         epochs: Optional[int] = None, seed: Optional[int] = None, copy: bool = False,
         progress=False, extra_args: Optional[Sequence[str]] = None) -> Optional[ad.AnnData]:
    """A 2-D UMAP of the cells (``c2s evaluate umap``) in ``obsm[key_added]``.

    Parameters
    ----------
    adata
        The cells.
    use_rep
        An obsm key (e.g. ``"X_c2s"`` from :func:`embed`) to map as it is (``pca`` defaults
        to 0 then); default: X (or the backed file's X).
    key_added
        The obsm key written (default ``X_c2s_umap``).
    pca, normalize, neighbors, min_dist, epochs, seed
        PCs computed first (default 50; 0: none), log-normalise each cell to this total first,
        neighbours (15), min_dist (0.1), epochs, seed (0).
    copy
        Return a copy instead of adding to ``adata``.
    progress, extra_args
        As elsewhere.

    Returns
    -------
    None (in place) or the copy.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        if use_rep is not None:
            rep = np.asarray(adata.obsm[use_rep], dtype=np.float32)
            light = ad.AnnData(X=rep, obs=pd.DataFrame(index=adata.obs_names.astype(str)))
            source = _write_h5ad(light, work / "rep.h5ad")
            if pca is None:
                pca = 0
        else:
            source = h5ad_path(adata, work, "cells.h5ad")
        output = work / "umap.csv"
        args = Args(["evaluate", "umap", source, "--output", output])
        args.opt("--pca", pca).opt("--normalize", normalize).opt("--neighbors", neighbors)
        args.opt("--min-dist", min_dist).opt("--epochs", epochs).opt("--seed", seed)
        args.flag("--quiet", not progress).extra(extra_args)
        _binary.run(args, progress=progress)
        table = pd.read_csv(output, index_col=0, dtype={0: str})
    target = adata.copy() if copy else adata
    target.obsm[key_added] = table.loc[target.obs_names.astype(str), ["umap1", "umap2"]].to_numpy()
    return target if copy else None


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # optional
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(page: Path, height: int = 800) -> None:
    import warnings

    from IPython.display import HTML, display  # optional
    text = page.read_text()
    with warnings.catch_warnings():  # HTML warns about iframes; srcdoc needs no server
        warnings.simplefilter("ignore", UserWarning)
        page_html = HTML(f'<iframe srcdoc="{html.escape(text, quote=True)}" width="100%" '
                 f'height="{height}" style="border:1px solid #ddd"></iframe>')
    display(page_html)


def _run_report(args: Args, out, folder: Path, progress) -> None:
    try:
        _binary.run(args, progress=progress)
    except BaseException:
        if out is None:  # the temporary folder made for it
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _json_file(value, work: Path, name: str) -> str:
    if isinstance(value, Mapping):
        path = work / f"{name}.json"
        path.write_text(json.dumps(value))
        return os.fspath(path)
    return os.fspath(value)


def report(out: Optional[PathLike] = None, *, model: Optional[PathLike] = None,
           training_log: Optional[PathLike] = None,
           annotation_metrics: Union[None, Sequence, Mapping[str, Union[dict, PathLike]]] = None,
           generation_metrics: Union[None, dict, PathLike] = None, generated=None, real=None,
           label_column: Optional[str] = None, umap: bool = True,
           umap_seed: Optional[int] = None, title: Optional[str] = None,
           display: Optional[bool] = None, progress=False,
           extra_args: Optional[Sequence[str]] = None) -> Path:
    """One HTML page with a model's training, annotation and generation results
    (``c2s report eval``).

    Parameters
    ----------
    out
        Output folder (the page is ``report.html`` in it); default: a new temporary folder.
    model
        A :class:`Model`: its ``metrics.jsonl`` is the training log.
    training_log
        A ``metrics.jsonl`` instead.
    annotation_metrics
        Dicts from :func:`evaluate_annotation` or their JSON paths: a list, or
        ``{name: metrics}`` (the page names each by ``name``).
    generation_metrics
        A dict from :func:`evaluate_generation` or its JSON path.
    generated, real, label_column
        Generated and real cells (AnnData or .h5ad) for the profile scatter and the maps.
    umap, umap_seed
        ``umap=False`` leaves the UMAP out (``--no-umap``); its seed.
    title
        Title of the page.
    display
        Show the page inline (Jupyter); default: when running in a Jupyter kernel.
    progress, extra_args
        As elsewhere.

    Returns
    -------
    Path
        ``OUT/report.html``.
    """
    folder = Path(os.fspath(out)) if out is not None else Path(tempfile.mkdtemp(prefix="c2s-report-"))
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        args = Args(["report", "eval", "--output", folder])
        if model is not None and training_log is None:
            training_log = Path(os.fspath(model)) / "metrics.jsonl"
        args.opt("--training-log", training_log)
        if isinstance(annotation_metrics, Mapping):
            items = list(annotation_metrics.items())
        else:
            items = [(f"annotation-{i + 1}", m) for i, m in enumerate(annotation_metrics or [])]
        for name, metrics in items:
            args.opt("--annotation-metrics", _json_file(metrics, work, name))
        if generation_metrics is not None:
            args.opt("--generation-metrics", _json_file(generation_metrics, work, "generation"))
        if generated is not None:
            args.opt("--generated", h5ad_path(generated, work, "generated.h5ad"))
        if real is not None:
            args.opt("--real", h5ad_path(real, work, "real.h5ad"))
        args.opt("--label-column", label_column).flag("--no-umap", not umap)
        args.opt("--umap-seed", umap_seed).opt("--title", title)
        args.flag("--quiet", not progress).extra(extra_args)
        _run_report(args, out, folder, progress)
    page = folder / "report.html"
    if display if display is not None else _in_notebook():
        _show(page)
    return page


def report_transform(dataset, out: Optional[PathLike] = None, *, input: Optional[PathLike] = None,
                     display: Optional[bool] = None, progress=False) -> Path:
    """A page showing how well a sentence dataset's inverse transform reconstructs expression
    (``c2s report transform``).

    Parameters
    ----------
    dataset
        A :class:`SentenceDataset` with a fitted inverse transform.
    out
        Output folder; default: a new temporary folder.
    input
        Where the dataset's input file is now (the one ``convert`` read; an in-memory AnnData
        was written to a temporary file that no longer exists, so pass the data's file here).
    display, progress
        As for :func:`report`.

    Returns
    -------
    Path
        ``OUT/report.html``.
    """
    folder = Path(os.fspath(out)) if out is not None else Path(tempfile.mkdtemp(prefix="c2s-report-"))
    args = Args(["report", "transform", os.fspath(dataset), "--output", folder])
    args.opt("--input", input).flag("--quiet", not progress)
    _run_report(args, out, folder, progress)
    page = folder / "report.html"
    if display if display is not None else _in_notebook():
        _show(page)
    return page
