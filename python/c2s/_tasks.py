"""Running a C2S model on cells: annotate, embed, generate_cells, predict_perturbation."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse

from . import _binary
from ._args import Args, where_args
from ._data import PathLike, expression_path, read_h5ad

__all__ = ["annotate", "embed", "generate_cells", "predict_perturbation"]

_MODEL_DOC = """
    sentences
        The sentence dataset the model was trained on, when the model folder has no copy
        of its manifest.json and vocab.tsv.
    top_genes
        Genes of each cell in prompts (default: the training value, else 200).
    template, task_file, organism
        Input template number (default 1); own task definitions; organism named.
    prompt_format
        ``"c2s"``, ``"cell2sentence"`` (C2S-Pythia-410m) or ``"c2s-scale"`` (C2S-Scale Gemma-2):
        the published checkpoints' exact prompts (default: the one the model folder names,
        else c2s's own; see ``c2s formats``).
    batch_size, chunk_size, threads, max_tokens_per_pass, bf16
        Prompts per batch (16), cells per saved chunk (64), worker threads, tokens per pass
        (8192), bfloat16 decoding copies of an fp32 model's weights.
    weights
        ``"auto"`` (default: as the checkpoint stores them; bf16 checkpoints stay bf16 in
        memory), ``"fp32"`` or ``"bf16"``.
    progress
        True (default): c2s's progress lines on ``sys.stderr``; a callable: each line to it;
        False: quiet.
    extra_args
        Further arguments of the subcommand, as a list."""

_INPUT_DOC = """
    layer, raw, gene_column
        Read ``layers[layer]`` or ``raw`` (counts) instead of X; gene names from a var column.
    apply_filters
        Also apply the training data's cell and gene filters (filtered cells get no result).
    splits, split, where
        Run only on one split of a ``splits.json`` (``split``: train, validation or test),
        or on cells with ``{column: value}`` (all must hold)."""


def _with_docs(function):
    """Fill the shared parameter descriptions into a docstring."""
    function.__doc__ = function.__doc__.replace("{MODEL}", _MODEL_DOC).replace("{INPUT}", _INPUT_DOC)
    return function


def _model_args(args: Args, model, sentences, top_genes, template, task_file, organism,
                batch_size, chunk_size, threads, max_tokens_per_pass, bf16, prompt_format=None, weights=None) -> Args:
    args.opt("--model", model).opt("--sentences", sentences).opt("--top-genes", top_genes)
    args.opt("--template", template).opt("--task-file", task_file).opt("--organism", organism)
    args.opt("--prompt-format", prompt_format).opt("--weights", weights)
    args.opt("--batch-size", batch_size).opt("--chunk-size", chunk_size)
    args.opt("--threads", threads).opt("--max-tokens-per-pass", max_tokens_per_pass)
    return args.flag("--bf16", bf16)


def _selection_args(args: Args, apply_filters, splits, split, where) -> Args:
    args.flag("--apply-filters", apply_filters).opt("--splits", splits).opt("--split", split)
    args.extend(where_args(where))
    return args


def _run_on_cells(subcommand: str, data, model, work: Path, *, layer, raw, gene_column,
                  options: Args, progress) -> ad.AnnData:
    source, input_flags = expression_path(data, work, layer=layer, raw=raw,
                                          gene_column=gene_column)
    output = work / "result.h5ad"
    args = Args([subcommand, source, "--output", output, "--model", model])
    args.extend(input_flags)
    args.extend(options)
    args.flag("--quiet", not progress)
    _binary.run(args, progress=progress)
    return read_h5ad(output)


@_with_docs
def annotate(data, model, *, mode: Optional[str] = None, labels: Optional[Sequence[str]] = None,
             task: Optional[str] = None, max_new_tokens: Optional[int] = None,
             noisy_copies: Optional[int] = None, copy_noise: Optional[float] = None,
             copy_seed: Optional[int] = None,
             copy: bool = False, sentences: Optional[PathLike] = None,
             top_genes: Optional[int] = None, template: Optional[int] = None,
             task_file: Optional[PathLike] = None, prompt_format: Optional[str] = None, organism: Optional[str] = None,
             layer: Optional[str] = None, raw: bool = False, gene_column: Optional[str] = None,
             apply_filters: bool = False, splits: Optional[PathLike] = None,
             split: Optional[str] = None, where=None, batch_size: Optional[int] = None,
             chunk_size: Optional[int] = None, threads: Optional[int] = None,
             max_tokens_per_pass: Optional[int] = None, bf16: bool = False, weights: Optional[str] = None, progress=True,
             extra_args: Optional[Sequence[str]] = None) -> Optional[ad.AnnData]:
    """Predict each cell's type (or any label the model learned) with a C2S model
    (``c2s annotate``).

    Adds to ``obs``: ``c2s_label`` (categorical), and in constrained mode ``c2s_score`` (the
    natural-log likelihood), ``c2s_probability`` (its share among the labels) and
    ``c2s_score_<label>`` for every label. Cells not run (``where``, ``split``,
    ``apply_filters``) get NaN.

    Parameters
    ----------
    data
        AnnData with counts (X, ``layer`` or ``raw``; a backed one is read from its file), or
        the path of a count matrix or sentence dataset.
    model
        A :class:`Model` folder from :func:`train` (or its path).
    mode
        ``"constrained"`` (default: the most likely of the model's labels) or ``"free"``
        (greedy generation, as the reference).
    labels
        Labels to choose among (default: those in the model's ``c2s.json``).
    task, max_new_tokens
        The task whose prompt is used (default ``cell_type_prediction``); longest free answer.
    noisy_copies, copy_noise, copy_seed
        Constrained mode: also read each cell as ``noisy_copies`` copies with noise of σ
        ``copy_noise`` (default 0.3) on its gene order, and average each label's
        log-likelihood over the cell and its copies (for models trained with
        ``prompts(rank_noise=...)``).
    copy
        Return an annotated copy instead of adding to ``data``.{MODEL}{INPUT}

    Returns
    -------
    None when ``data`` is an AnnData annotated in place; the annotated copy with
    ``copy=True``; for a path, the result (an AnnData of obs only, indexed by cell name).
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        options = Args().opt("--mode", mode).opt("--task", task)
        options.opt("--max-new-tokens", max_new_tokens)
        options.opt("--noisy-copies", noisy_copies).opt("--copy-noise", copy_noise).opt("--copy-seed", copy_seed)
        if labels is not None:
            label_file = work / "labels.txt"
            label_file.write_text("".join(f"{l}\n" for l in labels))
            options.opt("--labels", label_file)
        options.opt("--csv", work / "result.csv")
        _model_args(options, None, sentences, top_genes, template, task_file, organism,
                    batch_size, chunk_size, threads, max_tokens_per_pass, bf16, prompt_format, weights)
        _selection_args(options, apply_filters, splits, split, where).extra(extra_args)
        result = _run_on_cells("annotate", data, model, work, layer=layer, raw=raw,
                               gene_column=gene_column, options=options, progress=progress)
    # Categories: every label the model chose among (its score columns, in the model's order),
    # so that plots of two annotations share colours; free answers: the answers seen.
    scored = [c[len("c2s_score_"):] for c in result.obs.columns if c.startswith("c2s_score_")]
    answers = result.obs["c2s_label"].astype(str)
    categories = scored + sorted(set(answers) - set(scored))
    result.obs["c2s_label"] = pd.Categorical(answers, categories=categories)
    if not isinstance(data, ad.AnnData):
        return result
    target = data.copy() if copy else data
    names = target.obs_names.astype(str)
    for column in [c for c in result.obs.columns if c.startswith("c2s_")]:
        values = result.obs[column].reindex(names)
        target.obs[column] = values.to_numpy() if column != "c2s_label" else pd.Categorical(
            values.astype(object), categories=result.obs["c2s_label"].cat.categories)
    return target if copy else None


def combine_annotations(results: Sequence, *, progress=False,
                        extra_args: Optional[Sequence[str]] = None) -> ad.AnnData:
    """Combine constrained annotations of the same cells by several models into one
    (``c2s combine-annotations``): every label's score is the mean of its log-likelihoods over
    the readings, and each cell gets the label of the highest mean.

    Parameters
    ----------
    results
        Two or more constrained :func:`annotate` results: AnnData whose ``obs`` holds
        ``c2s_label`` and ``c2s_score_<label>`` (an annotated AnnData, or the obs-only result for
        a path), or paths of ``c2s annotate`` ``.h5ad`` outputs.

    Returns
    -------
    AnnData of obs only, indexed by cell name: the first result's columns other than ``c2s_*``,
    then ``c2s_label``, ``c2s_score``, ``c2s_probability`` and ``c2s_score_<label>``.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        paths = []
        for k, result in enumerate(results):
            if isinstance(result, ad.AnnData):
                path = work / f"reading-{k}.h5ad"
                obs = result.obs.copy()
                obs.index = obs.index.astype(str)
                ad.AnnData(X=sparse.csr_matrix((len(obs), 0), dtype=np.float32), obs=obs).write_h5ad(path)
                paths.append(str(path))
            else:
                paths.append(os.fspath(result))
        out = work / "combined.h5ad"
        args = Args(["combine-annotations", *paths, "--output", str(out)]).flag("--quiet", not progress)
        _binary.run(args.extra(extra_args), progress=progress)
        combined = ad.read_h5ad(out)
    scored = [c[len("c2s_score_"):] for c in combined.obs.columns if c.startswith("c2s_score_")]
    answers = combined.obs["c2s_label"].astype(str)
    combined.obs["c2s_label"] = pd.Categorical(answers, categories=scored + sorted(set(answers) - set(scored)))
    return combined


@_with_docs
def embed(data, model, *, key_added: str = "X_c2s", pooling: Optional[str] = None,
          task: Optional[str] = None, copy: bool = False, sentences: Optional[PathLike] = None,
          top_genes: Optional[int] = None, template: Optional[int] = None,
          task_file: Optional[PathLike] = None, prompt_format: Optional[str] = None, organism: Optional[str] = None,
          layer: Optional[str] = None, raw: bool = False, gene_column: Optional[str] = None,
          apply_filters: bool = False, splits: Optional[PathLike] = None,
          split: Optional[str] = None, where=None, batch_size: Optional[int] = None,
          chunk_size: Optional[int] = None, threads: Optional[int] = None,
          max_tokens_per_pass: Optional[int] = None, bf16: bool = False, weights: Optional[str] = None, progress=True,
          extra_args: Optional[Sequence[str]] = None) -> Optional[ad.AnnData]:
    """Embed every cell with a C2S model (``c2s embed``): ``obsm[key_added]``, float32,
    cells x the model's hidden size (rows of cells not run are NaN).

    Parameters
    ----------
    data
        AnnData with counts, or the path of a count matrix or sentence dataset.
    model
        A :class:`Model` folder (or its path).
    key_added
        The obsm key (default ``X_c2s``).
    pooling
        ``"mean"`` (default: mean of the final hidden states over the text's tokens) or
        ``"last-token"``.
    task
        The task whose prompt is embedded (default ``cell_type_prediction``).
    copy
        Return a copy with the embedding instead of adding it to ``data``.{MODEL}{INPUT}

    Returns
    -------
    None (in place), the copy (``copy=True``), or for a path the result AnnData.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        options = Args().opt("--pooling", pooling).opt("--task", task)
        _model_args(options, None, sentences, top_genes, template, task_file, organism,
                    batch_size, chunk_size, threads, max_tokens_per_pass, bf16, prompt_format, weights)
        _selection_args(options, apply_filters, splits, split, where).extra(extra_args)
        result = _run_on_cells("embed", data, model, work, layer=layer, raw=raw,
                               gene_column=gene_column, options=options, progress=progress)
    if not isinstance(data, ad.AnnData):
        if key_added != "X_c2s":
            result.obsm[key_added] = result.obsm.pop("X_c2s")
        return result
    target = data.copy() if copy else data
    vectors = np.asarray(result.obsm["X_c2s"], dtype=np.float32)
    rows = pd.Index(result.obs_names).get_indexer(target.obs_names.astype(str))
    full = np.full((target.n_obs, vectors.shape[1]), np.nan, dtype=np.float32)
    found = rows >= 0
    full[found] = vectors[rows[found]]
    target.obsm[key_added] = full
    return target if copy else None


def _decoding_args(args: Args, unconstrained, top_k, top_p, temperature, seed, min_genes,
                   max_new_tokens) -> Args:
    args.flag("--unconstrained", unconstrained).opt("--top-k", top_k).opt("--top-p", top_p)
    args.opt("--temperature", temperature).opt("--seed", seed).opt("--min-genes", min_genes)
    return args.opt("--max-new-tokens", max_new_tokens)


@_with_docs
def generate_cells(model, n: Optional[int] = None, *,
                   conditions: Union[None, str, Sequence[str], Mapping[str, Sequence[str]]] = None,
                   every_label: bool = False, greedy: bool = False,
                   guidance: Optional[float] = None, unconstrained: bool = False,
                   top_k: Optional[int] = None, top_p: Optional[float] = None,
                   temperature: Optional[float] = None, seed: Optional[int] = None,
                   min_genes: Optional[int] = None, max_new_tokens: Optional[int] = None,
                   sentences: Optional[PathLike] = None, top_genes: Optional[int] = None,
                   template: Optional[int] = None, task_file: Optional[PathLike] = None, prompt_format: Optional[str] = None,
                   organism: Optional[str] = None, batch_size: Optional[int] = None,
                   chunk_size: Optional[int] = None, threads: Optional[int] = None,
                   max_tokens_per_pass: Optional[int] = None, bf16: bool = False, weights: Optional[str] = None,
                   progress=True, extra_args: Optional[Sequence[str]] = None) -> ad.AnnData:
    """Generate new cells with a C2S model (``c2s generate-cells``).

    Parameters
    ----------
    model
        A :class:`Model` folder (or its path).
    n
        Cells per condition (or in all, unconditionally); default 100.
    conditions
        Labels to condition on: a value (``"CD14 Mono"``), ``"column=value"``, a list of
        them, or ``{column: [values]}``. None: unconditional generation.
    every_label
        Condition on every label the model learned, ``n`` cells each.
    greedy, guidance, unconstrained
        Greedy search instead of sampling; classifier-free guidance scale (> 1 strengthens
        the label; needs a model trained on unconditional_generation too); let the model write
        any text instead of vocabulary genes, each once.
    top_k, top_p, temperature, seed, min_genes, max_new_tokens
        Sampling (defaults 50, 0.95, 1.0, 0) and sentence length.{MODEL}

    Returns
    -------
    AnnData
        Reconstructed expression in X (genes: the training vocabulary); obs: the condition,
        ``cell_sentence``, ``n_tokens``, ``finish_reason``, ``n_words``, ``n_valid_words``,
        ``n_unique_genes``.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        output = Path(work) / "generated.h5ad"
        args = Args(["generate-cells", "--output", output])
        _model_args(args, model, sentences, top_genes, template, task_file, organism,
                    batch_size, chunk_size, threads, max_tokens_per_pass, bf16, prompt_format, weights)
        if isinstance(conditions, str):
            conditions = [conditions]
        elif isinstance(conditions, Mapping):
            conditions = [f"{col}={v}" for col, values in conditions.items()
                          for v in ([values] if isinstance(values, str) else values)]
        args.each("--condition", conditions).flag("--every-label", every_label).opt("-n", n)
        args.flag("--greedy", greedy).opt("--guidance", guidance)
        _decoding_args(args, unconstrained, top_k, top_p, temperature, seed, min_genes,
                       max_new_tokens)
        args.flag("--quiet", not progress).extra(extra_args)
        _binary.run(args, progress=progress)
        return read_h5ad(output)


@_with_docs
def predict_perturbation(control, model, perturbation: str, *, label_column: Optional[str] = None,
                         sample: bool = False, samples_per_cell: Optional[int] = None,
                         task: Optional[str] = None, unconstrained: bool = False,
                         top_k: Optional[int] = None, top_p: Optional[float] = None,
                         temperature: Optional[float] = None, seed: Optional[int] = None,
                         min_genes: Optional[int] = None, max_new_tokens: Optional[int] = None,
                         sentences: Optional[PathLike] = None, top_genes: Optional[int] = None,
                         template: Optional[int] = None, task_file: Optional[PathLike] = None, prompt_format: Optional[str] = None,
                         organism: Optional[str] = None, layer: Optional[str] = None,
                         raw: bool = False, gene_column: Optional[str] = None,
                         apply_filters: bool = False, splits: Optional[PathLike] = None,
                         split: Optional[str] = None, where=None,
                         batch_size: Optional[int] = None, chunk_size: Optional[int] = None,
                         threads: Optional[int] = None, max_tokens_per_pass: Optional[int] = None,
                         bf16: bool = False, weights: Optional[str] = None, progress=True,
                         extra_args: Optional[Sequence[str]] = None) -> ad.AnnData:
    """Predict how control cells respond to a perturbation (``c2s predict-perturbation``).

    Parameters
    ----------
    control
        Control cells: AnnData with counts, or the path of a count matrix or sentence dataset
        (select with ``where``, e.g. ``{"stim": "CTRL"}``).
    model
        A :class:`Model` trained on perturbation_prediction prompts.
    perturbation
        The perturbation's name, as in the training prompts.
    label_column
        Column giving each control cell's type (default: the training label column).
    sample, samples_per_cell
        Sample instead of greedy search; predicted cells per control cell (with ``sample``).
    task
        The task whose prompt is used (default ``perturbation_prediction``).
    unconstrained, top_k, top_p, temperature, seed, min_genes, max_new_tokens
        Decoding, as for :func:`generate_cells`.{MODEL}{INPUT}

    Returns
    -------
    AnnData
        Each predicted cell's reconstructed expression; obs: the control cell's name and
        columns, the perturbation, the predicted ``cell_sentence``.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        source, input_flags = expression_path(control, work, layer=layer, raw=raw,
                                              gene_column=gene_column)
        output = work / "predicted.h5ad"
        args = Args(["predict-perturbation", "--control", source, "--perturbation", perturbation,
                     "--output", output])
        args.extend(input_flags)
        _model_args(args, model, sentences, top_genes, template, task_file, organism,
                    batch_size, chunk_size, threads, max_tokens_per_pass, bf16, prompt_format, weights)
        args.opt("--label-column", label_column).flag("--sample", sample)
        args.opt("--samples-per-cell", samples_per_cell).opt("--task", task)
        _decoding_args(args, unconstrained, top_k, top_p, temperature, seed, min_genes,
                       max_new_tokens)
        _selection_args(args, apply_filters, splits, split, where)
        args.flag("--quiet", not progress).extra(extra_args)
        _binary.run(args, progress=progress)
        return read_h5ad(output)
