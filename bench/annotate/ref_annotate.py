#!/usr/bin/env python3
"""The reference annotation path: cell2sentence 1.2.0's predict_cell_types_of_data on an
.h5ad, with a model folder (Hugging Face layout, e.g. one written by `c2s train`).

usage: ref_annotate.py MODEL_DIR DATA.h5ad LABEL_COLUMN N_GENES MAX_NEW_TOKENS WORK OUT.json

As the reference tutorial does: CSData.adata_to_arrow (labels in `cell_type`, organism
"Homo sapiens", which the reference requires even to predict), csdata_from_arrow, CSModel
(which saves a copy of the model under WORK, as the reference always does), then
predict_cell_types_of_data(csdata, csmodel, n_genes, max_num_tokens): greedy generation one
cell at a time. Times the conversion and the prediction (model reload included, as the
reference reloads the model from disk inside the call) separately; writes predictions,
truths and prompt token counts to OUT.json.
"""
import json
import os
import sys
import time

import anndata
import torch


def main():
    model_dir, h5ad, label, n_genes, max_new, work, out = sys.argv[1:8]
    n_genes, max_new = int(n_genes), int(max_new)
    torch.set_num_threads(os.cpu_count())
    import cell2sentence as cs
    from cell2sentence.prompt_formatter import C2SPromptFormatter
    from cell2sentence.tasks import predict_cell_types_of_data
    from datasets import load_from_disk

    adata = anndata.read_h5ad(h5ad)
    adata.obs["cell_type"] = adata.obs[label].astype(str)
    adata.obs["organism"] = "Homo sapiens"
    t0 = time.time()
    arrow, vocab = cs.CSData.adata_to_arrow(adata, random_state=42, sentence_delimiter=" ",
                                            label_col_names=["cell_type", "organism"])
    csdata = cs.CSData.csdata_from_arrow(arrow, vocab, save_dir=work, save_name="ref_csdata")
    t1 = time.time()
    csmodel = cs.CSModel(model_name_or_path=model_dir, save_dir=work, save_name="ref_model")
    t2 = time.time()
    predictions = predict_cell_types_of_data(csdata, csmodel, n_genes=n_genes, max_num_tokens=max_new)
    t3 = time.time()
    # Prompt lengths as the reference formats them (its formatter is seeded, so these are the
    # prompts it just ran).
    formatted = C2SPromptFormatter(task="cell_type_prediction", top_k_genes=n_genes).format_hf_ds(load_from_disk(csdata.data_path))
    tokens = [len(csmodel.tokenizer(p)["input_ids"]) for p in formatted["model_input"]]
    json.dump({"convert_seconds": t1 - t0, "model_save_seconds": t2 - t1, "predict_seconds": t3 - t2,
               "predictions": [p.strip() for p in predictions], "truth": adata.obs["cell_type"].tolist(),
               "cells": adata.obs_names.tolist(), "mean_prompt_tokens": sum(tokens) / len(tokens)},
              open(out, "w"))


if __name__ == "__main__":
    main()
