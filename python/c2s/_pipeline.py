"""From counts to a trained model: simulate, convert, prompts, tokenizer, train, reconstruct."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import anndata as ad
import pandas as pd

from . import _binary
from ._args import Args, where_args
from ._data import (Model, PathLike, PromptDataset, SentenceDataset, Tokenizer, expression_path,
                    read_h5ad, write_sentences)

__all__ = ["simulate", "convert", "prompts", "tokenizer", "train", "reconstruct"]


def _output(out: Optional[PathLike], name: str) -> Path:
    """``out``, or ``name`` inside a new temporary folder that is kept (the caller owns it)."""
    if out is not None:
        path = Path(os.fspath(out))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="c2s-")) / name


def _run_into(args: Args, out: Optional[PathLike], path: Path, progress) -> str:
    """Run the binary; when it fails, remove the temporary folder made for ``out=None``."""
    try:
        return _binary.run(args, progress=progress)
    except BaseException:
        if out is None:
            shutil.rmtree(path.parent, ignore_errors=True)
        raise


def _quiet(args: Args, progress) -> Args:
    return args.flag("--quiet", not progress)


def simulate(out: Optional[PathLike] = None, *, cells: Optional[int] = None,
             genes: Optional[int] = None, cell_types: Optional[int] = None,
             seed: Optional[int] = None, backed: bool = False,
             overwrite: bool = False) -> ad.AnnData:
    """Simulate a labelled count matrix (``c2s simulate``).

    Parameters
    ----------
    out
        The .h5ad file to write; default: a temporary file, read into memory.
    cells, genes, cell_types
        Size of the matrix (c2s's defaults: 2000 cells, 2000 genes, 6 types).
    seed
        Random seed (default 0); the same seed gives the same file.
    backed
        Return the AnnData backed by ``out`` (``backed="r"``) instead of read into memory.
    overwrite
        Replace ``out`` if it exists.

    Returns
    -------
    AnnData with raw counts in X and ``obs["cell_type"]``, ``obs["batch"]``.
    """
    keep = out is not None or backed
    folder = None if keep else tempfile.TemporaryDirectory(prefix="c2s-")
    path = _output(out, "simulated.h5ad") if keep else Path(folder.name) / "simulated.h5ad"
    try:
        args = Args(["simulate", "--output", path])
        args.opt("--cells", cells).opt("--genes", genes).opt("--cell-types", cell_types)
        args.opt("--seed", seed).flag("--overwrite", overwrite).flag("--quiet", True)
        _binary.run(args)
        return ad.read_h5ad(path, backed="r") if backed else read_h5ad(path)
    finally:
        if folder is not None:
            folder.cleanup()


def convert(data, out: Optional[PathLike] = None, *, obs_columns: Optional[Sequence[str]] = None,
            inplace: bool = False, key_added: str = "cell_sentence",
            layer: Optional[str] = None, raw: bool = False, gene_column: Optional[str] = None,
            input_format: Optional[str] = None, genes_as_rows: bool = False,
            min_genes: Optional[int] = None, min_cells: Optional[int] = None,
            min_counts: Optional[float] = None, max_counts: Optional[float] = None,
            max_genes: Optional[int] = None, max_pct_mito: Optional[float] = None,
            mito_prefix: Optional[str] = None, target_sum: Union[None, float, str] = None,
            log_base: Union[None, float, str] = None, seed: Optional[int] = None,
            tie_order: Optional[str] = None, upper_case: Optional[bool] = None,
            organism: Optional[str] = None, make_names_unique: bool = False,
            on_duplicate: Optional[str] = None, fit: bool = True, fit_by: Optional[str] = None,
            fit_cells: Optional[int] = None, fit_seed: Optional[int] = None,
            fit_threshold: Optional[float] = None, threads: Optional[int] = None,
            block_size: Optional[int] = None, overwrite: bool = False, progress=False,
            extra_args: Optional[Sequence[str]] = None) -> SentenceDataset:
    """Convert counts into a cell sentence dataset (``c2s convert``).

    Parameters
    ----------
    data
        AnnData with raw counts (in X, ``layers[layer]`` or ``raw``), or the path of any
        input c2s reads (.h5ad, 10x folder or .h5, .mtx, .csv/.tsv). A backed AnnData is read
        from its own file; an in-memory one is written once to a temporary .h5ad.
    out
        Output folder; default: ``sentences`` in a new temporary folder (kept).
    obs_columns
        obs columns copied into ``cells.jsonl`` (``--obs-columns``), e.g. the cell type.
    inplace
        Also store each cell's sentence in ``data.obs[key_added]`` (an AnnData ``data`` only;
        cells the filters dropped get NaN).
    key_added
        obs column for ``inplace`` (default ``cell_sentence``).
    layer, raw, gene_column
        Read ``layers[layer]`` or ``raw`` instead of X; gene names from this var column.
    input_format, genes_as_rows
        ``--format`` (h5ad, 10x, 10x-h5, mtx, csv, tsv) and ``--genes-as-rows`` for paths.
    min_genes, min_cells, min_counts, max_counts, max_genes, max_pct_mito, mito_prefix
        Cell and gene filters (c2s's defaults: ``min_genes=200``, ``min_cells=3``; 0 keeps all).
    target_sum, log_base
        Normalisation total (number, ``"median"`` or ``"none"``; default 1e4) and logarithm
        base (number, ``"e"`` or ``"none"``; default 10).
    seed, tie_order
        Order of genes with equal expression (``"seeded"`` or ``"reference"``).
    upper_case
        True: ``--upper-case``; False: ``--keep-case``; None: detected from the names.
    organism, make_names_unique, on_duplicate
        ``--organism``, ``--make-names-unique``, ``--on-duplicate`` (fail, make-unique,
        keep-first, sum).
    fit, fit_by, fit_cells, fit_seed, fit_threshold
        The inverse transform fitted while converting (``fit=False``: ``--no-fit``), per
        value of ``fit_by`` too.
    threads, block_size
        Worker threads; cells processed at a time.
    overwrite
        Replace ``out`` if it exists.
    progress
        Show c2s's progress lines (True), pass them to a callable, or stay quiet (False).
    extra_args
        Further ``c2s convert`` arguments, as a list.

    Returns
    -------
    SentenceDataset
        The folder (``cells.jsonl``, ``vocab.tsv``, ``manifest.json``).
    """
    path = _output(out, "sentences")
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        source, input_flags = expression_path(data, Path(work), layer=layer, raw=raw,
                                              gene_column=gene_column)
        args = Args(["convert", source, "--output", path])
        args.extend(input_flags)
        args.opt("--format", input_format).flag("--genes-as-rows", genes_as_rows)
        args.opt("--min-genes", min_genes).opt("--min-cells", min_cells)
        args.opt("--min-counts", min_counts).opt("--max-counts", max_counts)
        args.opt("--max-genes", max_genes).opt("--max-pct-mito", max_pct_mito)
        args.opt("--mito-prefix", mito_prefix).opt("--target-sum", target_sum)
        args.opt("--log-base", log_base).opt("--seed", seed).opt("--tie-order", tie_order)
        if upper_case is not None:
            args.flag("--upper-case" if upper_case else "--keep-case", True)
        args.opt("--organism", organism).flag("--make-names-unique", make_names_unique)
        args.opt("--on-duplicate", on_duplicate).csv("--obs-columns", obs_columns)
        args.flag("--no-fit", not fit).opt("--fit-by", fit_by).opt("--fit-cells", fit_cells)
        args.opt("--fit-seed", fit_seed).opt("--fit-threshold", fit_threshold)
        args.opt("--threads", threads).opt("--block-size", block_size)
        args.flag("--overwrite", overwrite)
        _quiet(args, progress).extra(extra_args)
        _run_into(args, out, path, progress)
    dataset = SentenceDataset(path)
    if inplace:
        if not isinstance(data, ad.AnnData):
            raise TypeError("inplace=True needs an AnnData")
        sentences = dataset.cells()["cell_sentence"]
        data.obs[key_added] = sentences.reindex(data.obs_names.astype(str)).to_numpy()
    return dataset


def prompts(dataset, out: Optional[PathLike] = None, *,
            tasks: Union[str, Sequence[str], Mapping[str, float]] = "cell_type_prediction",
            examples: Optional[int] = None, examples_per_cell: Optional[float] = None,
            rank_noise: Optional[float] = None, top_k: Optional[int] = None,
            label_column: Optional[str] = None, stratify_by: Optional[str] = None,
            group_by: Optional[Sequence[str]] = None, splits: Optional[PathLike] = None,
            split_fractions: Optional[Sequence[float]] = None, seed: Optional[int] = None,
            templates: Optional[int] = None, organism: Optional[str] = None,
            task_file: Optional[PathLike] = None, prompt_format: Optional[str] = None,
            balance_labels: Optional[Sequence[str]] = None,
            group_columns: Optional[Sequence[str]] = None, group_label_column: Optional[str] = None,
            group_size: Union[None, int, str] = None, text_column: Optional[str] = None,
            text_file: Optional[PathLike] = None, perturbation_column: Optional[str] = None,
            control_value: Optional[str] = None, match_columns: Optional[Sequence[str]] = None,
            perturbation_name: Optional[str] = None, threads: Optional[int] = None,
            overwrite: bool = False, progress=False,
            extra_args: Optional[Sequence[str]] = None) -> PromptDataset:
    """Build a prompt dataset for C2S tasks (``c2s prompts``).

    Parameters
    ----------
    dataset
        A :class:`SentenceDataset` (or its folder path).
    out
        Output JSONL file (``splits.json`` is written beside it); default: ``prompts.jsonl``
        in a new temporary folder (kept).
    tasks
        A task name, a list of names, or ``{name: weight}`` for a weighted mix
        (``--task name:weight``), e.g. ``{"cell_type_prediction": 2, "cell_type_generation": 1}``.
    examples
        Examples to draw when tasks have weights (default: number of cells).
    examples_per_cell
        Instead of ``examples``: this many per cell of the dataset (``--examples-per-cell``),
        so the count follows its size; with weights 2:1:1 and 2 per cell the first task
        reaches about every cell once.
    rank_noise
        σ of the noise on the gene order of training inputs (``--rank-noise``): gene i is
        re-ranked by log(i + 1) + σ·N(0, 1), so a cell drawn several times is seen as
        several plausible measurements. Validation and test prompts stay as measured.
    balance_labels
        Tasks whose weighted examples are drawn evenly over labels
        (``--balance-labels``), e.g. ``["cell_type_generation"]``: a rare cell type is asked
        for as often as a common one.
    top_k
        Genes of each cell shown in prompts (default 200).
    label_column
        Column giving each cell's label (default ``cell_type``).
    stratify_by, group_by, split_fractions, splits
        Splits stratified by a column, grouped by columns, with train/validation/test
        fractions (default 0.8, 0.1, 0.1); or reused from a ``splits.json``.
    seed, templates, organism, task_file
        Seed; use only the first N input templates; organism named; own task definitions.
    prompt_format
        ``"c2s"`` (default), ``"cell2sentence"`` or ``"c2s-scale"``: a published checkpoint's
        exact prompts (see ``c2s formats``).
    group_columns, group_label_column, group_size, text_column, text_file
        Multi-cell and natural-language tasks.
    perturbation_column, control_value, match_columns, perturbation_name
        Perturbation prediction prompts (``match_columns=["none"]`` pairs across all cells).
    threads, overwrite, progress, extra_args
        As for :func:`convert`.

    Returns
    -------
    PromptDataset
        The JSONL file (``.splits_path`` beside it).
    """
    path = _output(out, "prompts.jsonl")
    args = Args(["prompts", os.fspath(dataset), "--output", path])
    if isinstance(tasks, str):
        args.opt("--task", tasks)
    elif isinstance(tasks, Mapping):
        for name, weight in tasks.items():
            args.opt("--task", f"{name}:{weight}")
    else:
        args.each("--task", tasks)
    args.opt("--examples", examples).opt("--examples-per-cell", examples_per_cell)
    args.opt("--rank-noise", rank_noise)
    args.opt("--top-k", top_k).opt("--label-column", label_column)
    args.opt("--stratify-by", stratify_by).csv("--group-by", group_by).opt("--splits", splits)
    args.csv("--split-fractions", split_fractions).opt("--seed", seed)
    args.opt("--templates", templates).opt("--organism", organism).opt("--task-file", task_file)
    args.opt("--prompt-format", prompt_format).csv("--balance-labels", balance_labels)
    args.csv("--group-columns", group_columns).opt("--group-label-column", group_label_column)
    args.opt("--group-size", group_size).opt("--text-column", text_column)
    args.opt("--text-file", text_file).opt("--perturbation-column", perturbation_column)
    args.opt("--control-value", control_value).csv("--match-columns", match_columns)
    args.opt("--perturbation-name", perturbation_name).opt("--threads", threads)
    args.flag("--overwrite", overwrite)
    _quiet(args, progress).extra(extra_args)
    _run_into(args, out, path, progress)
    return PromptDataset(path)


def corpus(sources: Sequence, out: Optional[PathLike] = None, *,
           tasks: Union[str, Sequence[str], Mapping[str, float]] = "cell_type_prediction",
           weights: Optional[Mapping[str, float]] = None, examples: Optional[int] = None,
           top_k: Optional[int] = None, label_column: Optional[str] = None,
           dataset_label_columns: Optional[Mapping[str, str]] = None,
           group_by: Optional[Sequence[str]] = None, stratify_by: Optional[str] = None,
           split_fractions: Optional[Sequence[float]] = None, splits: Optional[PathLike] = None,
           seed: Optional[int] = None, templates: Optional[int] = None,
           organism: Optional[str] = None, prompt_format: Optional[str] = None,
           keep_case: bool = False, threads: Optional[int] = None, overwrite: bool = False,
           progress=False, extra_args: Optional[Sequence[str]] = None) -> PromptDataset:
    """One prompt dataset from many sentence datasets (``c2s corpus``).

    Parameters
    ----------
    sources
        :class:`SentenceDataset` objects or folder paths; a ``(name, dataset)`` pair names a
        source (default: its folder's name). Cells are named ``NAME/CELL`` in the prompts.
    out
        Output folder (``prompts.jsonl``, ``splits.json``, ``vocab.tsv``, ``genes.tsv``,
        ``manifest.json``); default: ``corpus`` in a new temporary folder (kept).
    tasks
        As for :func:`prompts` (weights needed with ``weights`` or ``examples``).
    weights
        ``{name: w}``: a source of ``c`` cells gives ``round(w * c)`` examples (default 1).
    examples
        Examples in all, shared among the sources in proportion to ``w * c``.
    label_column, dataset_label_columns
        The label column of every source, or ``{name: column}`` per source.
    group_by, stratify_by, split_fractions, splits
        Splits grouped by dataset (default) or by these obs columns within each dataset (no
        group in two splits), stratified by a column, with these fractions; or reused.
    seed, templates, organism, prompt_format, top_k
        As for :func:`prompts`.
    keep_case
        Keep gene spellings that differ only in case as different genes.
    threads, overwrite, progress, extra_args
        As for :func:`convert`.

    Returns
    -------
    PromptDataset
        ``OUT/prompts.jsonl`` (``.splits_path``: ``OUT/splits.json``); the folder itself is
        what :func:`tokenizer` takes as ``gene_aware`` (its ``vocab.tsv``).
    """
    folder = _output(out, "corpus")
    args = Args(["corpus"])
    for source in sources:
        if isinstance(source, tuple):
            name, dataset = source
            args.append(f"{name}={os.fspath(dataset)}")
        else:
            args.append(os.fspath(source))
    args.opt("--output", folder)
    if isinstance(tasks, str):
        args.opt("--task", tasks)
    elif isinstance(tasks, Mapping):
        for name, weight in tasks.items():
            args.opt("--task", f"{name}:{weight}")
    else:
        args.each("--task", tasks)
    for name, weight in (weights or {}).items():
        args.opt("--weight", f"{name}={weight}")
    for name, column in (dataset_label_columns or {}).items():
        args.opt("--dataset-label-column", f"{name}={column}")
    args.opt("--examples", examples).opt("--top-k", top_k).opt("--label-column", label_column)
    args.csv("--group-by", group_by).opt("--stratify-by", stratify_by)
    args.csv("--split-fractions", split_fractions).opt("--splits", splits).opt("--seed", seed)
    args.opt("--templates", templates).opt("--organism", organism).opt("--prompt-format", prompt_format)
    args.flag("--keep-case", keep_case).opt("--threads", threads).flag("--overwrite", overwrite)
    _quiet(args, progress).extra(extra_args)
    _run_into(args, out, folder, progress)
    return PromptDataset(Path(folder) / "prompts.jsonl")


def tokenizer(corpus, out: Optional[PathLike] = None, *, gene_aware=None,
              genes_within_first: Optional[int] = None,
              genes: Optional[PathLike] = None, vocab_size: Optional[int] = None,
              min_frequency: Optional[int] = None, measure_genes: Optional[PathLike] = None,
              field: Optional[Sequence[str]] = None, special_tokens: Optional[Sequence[str]] = None,
              model_max_length: Optional[int] = None, threads: Optional[int] = None,
              overwrite: bool = False, progress=False,
              extra_args: Optional[Sequence[str]] = None) -> Tokenizer:
    """Train a byte-level BPE tokenizer, optionally with one token per gene
    (``c2s tokenizer train``).

    Parameters
    ----------
    corpus
        A :class:`PromptDataset`, :class:`SentenceDataset` or text file, or a list of them.
    out
        Output folder; default: ``tokenizer`` in a new temporary folder (kept).
    gene_aware
        A :class:`SentenceDataset` whose genes each become one token (``--gene-aware``).
    genes_within_first
        With ``gene_aware``: only the genes among the first N of at least one cell's sentence
        become tokens (``--genes-within-first``; N: the prompts' ``top_k``).
    genes
        A gene list file for the gene-aware variant instead (``--genes``).
    vocab_size, min_frequency
        BPE vocabulary size (default 9609, gene tokens on top) and smallest pair count (2).
    measure_genes, field, special_tokens, model_max_length, threads
        As ``c2s tokenizer train --help`` describes them.
    overwrite, progress, extra_args
        As for :func:`convert` (the summary is printed when ``progress`` is true).

    Returns
    -------
    Tokenizer
        The folder (``tokenizer.json``, ``tokenizer_config.json``).
    """
    path = _output(out, "tokenizer")
    corpora = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    args = Args(["tokenizer", "train", *[os.fspath(c) for c in corpora], "--output", path])
    args.opt("--gene-aware", gene_aware).opt("--genes-within-first", genes_within_first).opt("--genes", genes).opt("--vocab-size", vocab_size)
    args.opt("--min-frequency", min_frequency).opt("--measure-genes", measure_genes)
    args.csv("--field", field).csv("--special-tokens", special_tokens)
    args.opt("--model-max-length", model_max_length).opt("--threads", threads)
    args.flag("--overwrite", overwrite).extra(extra_args)
    summary = _run_into(args, out, path, progress)
    if progress:
        for line in summary.splitlines():
            _binary._emit(progress, line)
    return Tokenizer(path)


def extend_tokenizer(base, gene_aware, out: Optional[PathLike] = None, *,
                     genes_within_first: Optional[int] = None, overwrite: bool = False,
                     progress=False, extra_args: Optional[Sequence[str]] = None) -> Tokenizer:
    """Add gene tokens to a gene-aware tokenizer, every token it has kept at its id
    (``c2s tokenizer extend``).

    A model trained with ``base`` then fine-tunes on longer sentences with
    ``train(..., model=that_model, tokenizer=<the result>, grow_vocabulary=True)``.

    Parameters
    ----------
    base
        A :class:`Tokenizer` (or a model folder holding ``tokenizer.json``).
    gene_aware
        A :class:`SentenceDataset` whose genes without a token get one.
    out
        Output folder; default: ``tokenizer`` in a new temporary folder (kept).
    genes_within_first
        Only the genes among the first N of at least one cell's sentence.
    overwrite, progress, extra_args
        As for :func:`convert`.

    Returns
    -------
    Tokenizer
        The folder (``tokenizer.json`` and the base's ``tokenizer_config.json``).
    """
    path = _output(out, "tokenizer")
    args = Args(["tokenizer", "extend", os.fspath(base), "--gene-aware", os.fspath(gene_aware), "--output", path])
    args.opt("--genes-within-first", genes_within_first).flag("--overwrite", overwrite).extra(extra_args)
    summary = _run_into(args, out, path, progress)
    if progress:
        for line in summary.splitlines():
            _binary._emit(progress, line)
    return Tokenizer(path)


def subset_genes(dataset, out: Optional[PathLike] = None, *, highly_variable: Optional[int] = None,
                 genes=None, splits: Optional[PathLike] = None, split: Optional[str] = None,
                 input: Optional[PathLike] = None, overwrite: bool = False, progress=False,
                 extra_args: Optional[Sequence[str]] = None) -> SentenceDataset:
    """Keep a sentence dataset's sentences to a subset of genes (``c2s subset-genes``): each
    sentence with the other genes left out, the rest in their order.

    Parameters
    ----------
    dataset
        A :class:`SentenceDataset` (or its path).
    out
        Output folder; default: ``sentences`` in a new temporary folder (kept).
    highly_variable
        Keep the N most variable genes (scanpy's ``highly_variable_genes(flavor="seurat")`` on
        the counts normalised to 10,000 per cell and log1p), chosen from the dataset's input.
    genes
        Or keep these genes: a list of names, or the path of a file with one per line.
    splits, split
        With ``highly_variable``: only the cells of ``split`` (default ``"train"``) in this
        ``splits.json`` choose the genes, so held-out cells never choose them.
    input
        Where the dataset's input file is now, if it moved.
    overwrite, progress, extra_args
        As for :func:`convert`.

    Returns
    -------
    SentenceDataset
        The subset (its ``genes.txt`` lists the genes; ``manifest["gene_subset"]`` says how
        they were chosen).
    """
    if (highly_variable is None) == (genes is None):
        raise ValueError("give one of highly_variable=N and genes=")
    path = _output(out, "sentences")
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        args = Args(["subset-genes", os.fspath(dataset), "--output", path])
        if genes is not None and not isinstance(genes, (str, os.PathLike)):
            listed = Path(work) / "genes.txt"
            listed.write_text("".join(f"{g}\n" for g in genes))
            genes = listed
        args.opt("--highly-variable", highly_variable).opt("--genes", genes).opt("--splits", splits)
        args.opt("--split", split).opt("--input", input).flag("--overwrite", overwrite)
        _run_into(_quiet(args, progress).extra(extra_args), out, path, progress)
    return SentenceDataset(path)


def train(prompts, out: Optional[PathLike] = None, *, model: Optional[PathLike] = None,
          new_model: Optional[str] = None, config: Optional[PathLike] = None,
          tokenizer: Optional[PathLike] = None, grow_vocabulary: bool = False,
          hidden_size: Optional[int] = None,
          layers: Optional[int] = None, heads: Optional[int] = None,
          intermediate_size: Optional[int] = None, context: Optional[int] = None,
          sentences: Optional[PathLike] = None, label_column: Optional[str] = None,
          gene_head_init: Optional[int] = None, epochs: Optional[float] = None,
          max_steps: Optional[int] = None, batch_size: Optional[int] = None,
          gradient_accumulation: Optional[int] = None, learning_rate: Optional[float] = None,
          schedule: Optional[str] = None, warmup_steps: Optional[int] = None,
          warmup_ratio: Optional[float] = None, weight_decay: Optional[float] = None,
          max_grad_norm: Optional[float] = None, loss_on: Optional[str] = None,
          loss_weighting: Optional[str] = None, group_by_length: bool = False,
          batch_order: Optional[str] = None,
          max_length: Optional[int] = None, split: Optional[str] = None,
          validation_split: Optional[str] = None, eval_every: Optional[int] = None,
          eval_examples: Optional[int] = None,
          eval_batch_size: Optional[int] = None, log_every: Optional[int] = None,
          save_every: Optional[int] = None, resume: Optional[PathLike] = None,
          seed: Optional[int] = None, threads: Optional[int] = None, overwrite: bool = False,
          lora_rank: Optional[int] = None, lora_alpha: Optional[float] = None,
          lora_targets: Optional[Sequence[str]] = None, lora_dropout: Optional[float] = None,
          checkpoint_activations: bool = False,
          progress=True, extra_args: Optional[Sequence[str]] = None) -> Model:
    """Train a new model or fine-tune one on a prompt dataset (``c2s train``).

    While it runs, c2s's step lines (step, loss, learning rate, tokens/s, elapsed, ETA; every
    ``log_every`` steps) and validation lines appear on ``sys.stderr`` (in Jupyter: under the
    cell), or go to ``progress`` when it is a callable.

    Parameters
    ----------
    prompts
        A :class:`PromptDataset` (or its JSONL path).
    out
        Output folder; default: ``model`` in a new temporary folder (kept).
    model
        A Hugging Face model folder to fine-tune (gemma2, gpt2, gpt_neox, llama).
    new_model, config
        Make a new model instead: of this type (``gpt_neox`` or ``gpt2``) with the sizes
        below, or from a ``config.json``.
    tokenizer
        Tokenizer folder (default: the ``model`` folder's).
    grow_vocabulary
        With ``model`` and a ``tokenizer`` that extends the model's own (from
        :func:`extend_tokenizer`): give the model rows for the new tokens (``--grow-vocabulary``).
    hidden_size, layers, heads, intermediate_size, context
        New model's sizes (c2s's defaults: 256, 4, 4, 4 x hidden, 1024).
    sentences, label_column
        The sentence dataset the prompts came from (its manifest and vocabulary are copied
        beside the model, which annotate and generate need) and the label column.
    gene_head_init
        Start the output head's gene rows from principal components of the training cells'
        first N genes (new models; needs ``sentences`` and a gene-aware tokenizer).
    epochs, max_steps, batch_size, gradient_accumulation
        Length of training (default 3 epochs; ``max_steps`` overrides) and batches.
    learning_rate, schedule, warmup_steps, warmup_ratio, weight_decay, max_grad_norm
        Optimiser (default learning rate 5e-5, linear schedule).
    loss_on, loss_weighting, group_by_length, max_length
        ``response`` or ``all``; ``token`` or ``example``; length-grouped batches; longest
        example in tokens.
    batch_order
        ``"random"`` (default), ``"permuted"`` (a shuffle computed per position: memory does
        not grow with the prompts, for corpora of millions) or ``"length"``.
    split, validation_split, eval_every, eval_batch_size
        Splits trained on and validated (``"none"``: no validation), validation interval.
    eval_examples
        Validate on the first N examples of the validation split only (``--eval-examples``),
        so validation costs the same on any data size.
    log_every
        A progress line every N optimizer steps (default 10; 0: none).
    save_every, resume
        Checkpoints every N steps; continue from ``OUT/checkpoint-N``.
    seed, threads, overwrite, extra_args
        Seed of data order and new weights (default 42), worker threads, replace ``out``,
        further arguments.
    lora_rank, lora_alpha, lora_targets, lora_dropout
        Train LoRA adapters of this rank on ``model`` instead of all its weights (alpha
        default: the rank; targets: module names such as ``["q_proj", "v_proj"]``, default
        every projection; dropout on the adapters' inputs, default 0). The folder then holds the adapter as PEFT saves it; every c2s
        function takes it as ``model`` (its base is named inside).
    checkpoint_activations
        Recompute each layer's activations in the backward pass: less memory, more compute.
    progress
        True (default): stream c2s's lines to ``sys.stderr``; a callable: give it each line;
        False: ``--quiet``.

    Returns
    -------
    Model
        The model folder (``.metrics()`` reads the training log).
    """
    path = _output(out, "model")
    args = Args(["train", os.fspath(prompts), "--output", path])
    args.opt("--model", model).opt("--new-model", new_model).opt("--config", config)
    args.opt("--tokenizer", tokenizer).flag("--grow-vocabulary", grow_vocabulary)
    args.opt("--hidden-size", hidden_size).opt("--layers", layers)
    args.opt("--heads", heads).opt("--intermediate-size", intermediate_size)
    args.opt("--context", context).opt("--sentences", sentences)
    args.opt("--label-column", label_column).opt("--gene-head-init", gene_head_init)
    args.opt("--epochs", epochs).opt("--max-steps", max_steps).opt("--batch-size", batch_size)
    args.opt("--gradient-accumulation", gradient_accumulation)
    args.opt("--learning-rate", learning_rate).opt("--schedule", schedule)
    args.opt("--warmup-steps", warmup_steps).opt("--warmup-ratio", warmup_ratio)
    args.opt("--weight-decay", weight_decay).opt("--max-grad-norm", max_grad_norm)
    args.opt("--loss-on", loss_on).opt("--loss-weighting", loss_weighting)
    args.flag("--group-by-length", group_by_length).opt("--batch-order", batch_order)
    args.opt("--max-length", max_length)
    args.opt("--split", split).opt("--validation-split", validation_split)
    args.opt("--eval-every", eval_every).opt("--eval-examples", eval_examples)
    args.opt("--eval-batch-size", eval_batch_size)
    args.opt("--log-every", log_every).opt("--save-every", save_every).opt("--resume", resume)
    args.opt("--seed", seed).opt("--threads", threads).flag("--overwrite", overwrite)
    args.opt("--lora-rank", lora_rank).opt("--lora-alpha", lora_alpha)
    args.opt("--lora-targets", ",".join(lora_targets) if lora_targets else None)
    args.opt("--lora-dropout", lora_dropout)
    args.flag("--checkpoint-activations", checkpoint_activations)
    _quiet(args, progress).extra(extra_args)
    _run_into(args, out, path, progress)
    return Model(path)


def reconstruct(data, *, dataset=None, sentence_field: Optional[str] = None,
                names: Optional[Sequence[str]] = None, top_genes: Optional[int] = None,
                clip: bool = True, splits: Optional[PathLike] = None, split: Optional[str] = None,
                where=None, threads: Optional[int] = None, progress=False,
                extra_args: Optional[Sequence[str]] = None) -> ad.AnnData:
    """Turn cell sentences back into expression (``c2s reconstruct``).

    Parameters
    ----------
    data
        A :class:`SentenceDataset`; a JSONL/text file of sentences; or sentences themselves (a
        list of strings, or a pandas Series whose index names the cells), which need
        ``dataset``.
    dataset
        The sentence dataset whose vocabulary and inverse transform to use (``--dataset``),
        when ``data`` is not one.
    sentence_field
        JSON field holding the sentence in a JSONL file (default ``cell_sentence``).
    names
        Cell names for a list of sentences (default ``cell_0``, ``cell_1``, ...).
    top_genes
        Use only the first N words of each sentence.
    clip
        Clip reconstructed values below zero (``clip=False``: ``--no-clip``).
    splits, split, where
        Keep the cells of one split of a ``splits.json``, or with ``{column: value}``.
    threads, progress, extra_args
        As for :func:`convert`.

    Returns
    -------
    AnnData
        Reconstructed expression (genes: the dataset's vocabulary), in memory.
    """
    with tempfile.TemporaryDirectory(prefix="c2s-") as work:
        work = Path(work)
        if isinstance(data, (str, os.PathLike)):
            source = os.fspath(data)
        else:
            if isinstance(data, pd.Series):
                names = list(data.index.astype(str)) if names is None else names
                data = data.tolist()
            if dataset is None:
                raise ValueError("sentences given as text need dataset= (a SentenceDataset)")
            source = write_sentences(data, work / "sentences.jsonl", names)
        output = work / "reconstructed.h5ad"
        args = Args(["reconstruct", source, "--output", output])
        args.opt("--dataset", dataset).opt("--sentence-field", sentence_field)
        args.opt("--top-genes", top_genes).flag("--no-clip", not clip)
        args.opt("--splits", splits).opt("--split", split)
        args.extend(where_args(where))
        args.opt("--threads", threads)
        _quiet(args, progress).extra(extra_args)
        _binary.run(args, progress=progress)
        return read_h5ad(output)
