"""c2s: Cell2Sentence from Python, thin over the c2s binary.

Every function hands its inputs to the ``c2s`` binary (an AnnData backed by an .h5ad file by
its path; an in-memory one written once to a temporary .h5ad), runs it, and reads its results
back: AnnData in, AnnData (or a path object, or a dict of metrics) out, in scanpy's style. No
computation is repeated in Python. Errors of the binary arrive as :class:`C2SError` with its
message and exit code.

>>> import c2s
>>> sentences = c2s.convert(adata, obs_columns=["cell_type"], fit_by="cell_type")
>>> prompts = c2s.prompts(sentences, tasks={"cell_type_prediction": 2, "cell_type_generation": 1},
...                       label_column="cell_type", stratify_by="cell_type", top_k=100)
>>> tok = c2s.tokenizer(prompts, gene_aware=sentences)
>>> model = c2s.train(prompts, new_model="gpt_neox", tokenizer=tok, sentences=sentences,
...                   label_column="cell_type", hidden_size=128, layers=2, context=196)
>>> c2s.annotate(adata, model)          # adata.obs["c2s_label"], ...
>>> c2s.embed(adata, model)             # adata.obsm["X_c2s"]
"""

from ._binary import BinaryNotFoundError, C2SError, binary_version, find_binary, run
from ._data import Model, PromptDataset, SentenceDataset, Tokenizer
from ._evaluate import (evaluate_annotation, evaluate_generation, evaluate_perturbation, report,
                        report_transform, umap)
from ._pipeline import (convert, corpus, extend_tokenizer, prompts, reconstruct, simulate, subset_genes, tokenizer,
                        train)
from ._tasks import annotate, combine_annotations, embed, generate_cells, predict_perturbation
from ._version import __version__

__all__ = [
    "__version__", "C2SError", "BinaryNotFoundError", "find_binary", "binary_version", "run",
    "SentenceDataset", "PromptDataset", "Tokenizer", "Model",
    "simulate", "convert", "prompts", "corpus", "tokenizer", "extend_tokenizer", "subset_genes", "train",
    "reconstruct", "annotate", "combine_annotations", "embed", "generate_cells", "predict_perturbation",
    "evaluate_annotation", "evaluate_generation", "evaluate_perturbation", "umap",
    "report", "report_transform",
]
