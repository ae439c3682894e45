#!/usr/bin/env python3
"""Reference (cell2sentence 1.2.0) prompt-formatting path, run as a separate process by run.sh.

Reads a sentence dataset made by `c2s convert` (cells.jsonl) into a Hugging Face
datasets.Dataset (Dataset.from_dict) with columns cell_name, cell_sentence,
cell_type (= LABEL column, default seurat_annotations) and organism ("Homo sapiens"),
then C2SPromptFormatter(task, top_k_genes).format_hf_ds(ds) and Dataset.to_json(OUT).

usage: ref_prompts.py DATASET_DIR OUT.jsonl [--task cell_type_prediction] [--top-k 200]
                      [--label-column seurat_annotations] [--organism "Homo sapiens"]
Prints per-stage wall times (import, load, format, write) and the CPU time of format_hf_ds
(format_cpu, all threads of the process) as one JSON line prefixed with 'STAGES '.
"""
import argparse
import json
import os
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
warnings.filterwarnings("ignore")

t_import = time.perf_counter()
from datasets import Dataset  # noqa: E402
from cell2sentence.prompt_formatter import C2SPromptFormatter  # noqa: E402

t_import = time.perf_counter() - t_import


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("out")
    ap.add_argument("--task", default="cell_type_prediction")
    ap.add_argument("--top-k", type=int, default=200)
    ap.add_argument("--label-column", default="seurat_annotations")
    ap.add_argument("--organism", default="Homo sapiens")
    a = ap.parse_args()
    st = {"import": t_import}

    t = time.perf_counter()
    names, sentences, labels = [], [], []
    with open(os.path.join(a.dataset, "cells.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            names.append(rec["cell_name"])
            sentences.append(rec["cell_sentence"])
            labels.append(rec[a.label_column])
    ds = Dataset.from_dict({"cell_name": names, "cell_sentence": sentences,
                            "cell_type": labels, "organism": [a.organism] * len(names)})
    del names, sentences, labels
    st["load"] = time.perf_counter() - t

    t, cpu = time.perf_counter(), time.process_time()
    out = C2SPromptFormatter(task=a.task, top_k_genes=a.top_k).format_hf_ds(ds)
    st["format"] = time.perf_counter() - t
    st["format_cpu"] = time.process_time() - cpu

    t = time.perf_counter()
    out.to_json(a.out)
    st["write"] = time.perf_counter() - t
    st["cells"] = out.num_rows
    st["out"] = a.out
    print("STAGES " + json.dumps(st))


if __name__ == "__main__":
    main()
