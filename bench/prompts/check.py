#!/usr/bin/env python3
"""Check a `c2s prompts` output (JSONL) against its sentence dataset.

Every line must be a JSON object with task, split, cell_name, model_input, response
(strings), cell names unique, and the line count must equal the dataset's cell count
(or --expect). For --n random lines (matched to the dataset by cell_name): response
equals the cell's LABEL value (plus --response-suffix, default none) and model_input
contains exactly the first --top-k words of the cell's sentence as one contiguous
substring (not preceded by a gene character, not followed by the next sentence word), and
input_sentence_spans is [[start, end]] with model_input[start:end] (code points) equal to
those words.

usage: check.py PROMPTS.jsonl DATASET_DIR [--top-k 200] [--label-column seurat_annotations]
                [--n 500] [--seed 0] [--expect N] [--response-suffix ""]
Exits 1 on any failure.
"""
import argparse
import json
import os
import random
import sys

KEYS = ("task", "split", "cell_name", "model_input", "response")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prompts")
    ap.add_argument("dataset")
    ap.add_argument("--top-k", type=int, default=200)
    ap.add_argument("--label-column", default="seurat_annotations")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--expect", type=int)
    ap.add_argument("--response-suffix", default="")
    a = ap.parse_args()
    problems = []

    def bad(msg):
        if len(problems) < 20:
            problems.append(msg)
        elif len(problems) == 20:
            problems.append("... (more)")

    # pass 1: every line well-formed; keep only line offsets + names
    names, offsets, tasks, splits = [], [], {}, {}
    with open(a.prompts, "rb") as f:
        off = 0
        for i, raw in enumerate(f):
            offsets.append(off)
            off += len(raw)
            try:
                rec = json.loads(raw)
            except ValueError as e:
                bad(f"line {i + 1}: not JSON ({e})")
                names.append(None)
                continue
            if not isinstance(rec, dict):
                bad(f"line {i + 1}: not a JSON object")
                names.append(None)
                continue
            missing = [k for k in KEYS if not isinstance(rec.get(k), str)]
            if missing:
                bad(f"line {i + 1}: missing/non-string {missing}")
            spans = rec.get("input_sentence_spans")
            mi = rec.get("model_input")
            if not (isinstance(spans, list) and all(
                    isinstance(p, list) and len(p) == 2 and all(isinstance(x, int) for x in p)
                    and isinstance(mi, str) and 0 <= p[0] <= p[1] <= len(mi) for p in spans)):
                bad(f"line {i + 1}: input_sentence_spans is not a list of [start, end] within model_input: {spans!r}")
            names.append(rec.get("cell_name"))
            tasks[rec.get("task")] = tasks.get(rec.get("task"), 0) + 1
            splits[rec.get("split")] = splits.get(rec.get("split"), 0) + 1

    if a.expect is None:
        with open(os.path.join(a.dataset, "cells.jsonl"), "rb") as f:
            a.expect = sum(1 for _ in f)
    if len(names) != a.expect:
        bad(f"{len(names)} lines, expected {a.expect}")
    uniq = len(set(n for n in names if n is not None))
    if uniq != len(names):
        bad(f"{len(names) - uniq} duplicate/missing cell names")

    # sample, then one pass over the dataset keeping only the sampled cells
    rng = random.Random(a.seed)
    pick = sorted(rng.sample(range(len(names)), min(a.n, len(names))))
    want = {names[i]: i for i in pick if names[i] is not None}
    cells = {}
    with open(os.path.join(a.dataset, "cells.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if rec["cell_name"] in want:
                cells[rec["cell_name"]] = (rec["cell_sentence"], rec.get(a.label_column))
    checked = 0
    with open(a.prompts, "rb") as f:
        for i in pick:
            f.seek(offsets[i])
            try:
                rec = json.loads(f.readline())
                name, mi, resp = rec["cell_name"], rec["model_input"], rec["response"]
            except (ValueError, KeyError, TypeError):
                continue  # already reported in pass 1
            if name not in cells:
                bad(f"line {i + 1}: cell {name!r} not in dataset")
                continue
            sentence, label = cells[name]
            if resp != f"{label}{a.response_suffix}":
                bad(f"line {i + 1} ({name}): response {resp!r} != {label!r}+{a.response_suffix!r}")
            words = sentence.split(" ")
            head = " ".join(words[:a.top_k])
            ok = False
            start = mi.find(head)
            while start >= 0 and not ok:
                end = start + len(head)
                before_ok = start == 0 or not (mi[start - 1].isalnum() or mi[start - 1] in "-_.")
                after_ok = len(words) <= a.top_k or not mi.startswith(" " + words[a.top_k], end)
                after_ok = after_ok and (end == len(mi) or not (mi[end].isalnum() or mi[end] in "-_"))
                ok = before_ok and after_ok
                start = mi.find(head, start + 1)
            if not ok:
                bad(f"line {i + 1} ({name}): model_input lacks exactly the first "
                    f"{min(a.top_k, len(words))} genes as a contiguous substring")
            spans = rec.get("input_sentence_spans") or []
            if [mi[s:e] for s, e in spans] != [head]:
                bad(f"line {i + 1} ({name}): input_sentence_spans {spans} do not give the sentence")
            checked += 1

    print(f"check: {len(names)} lines (expected {a.expect}), {uniq} unique cell names, "
          f"{checked} sampled lines checked (top-k {a.top_k}); task {tasks}; split {splits}")
    if problems:
        print("check: FAIL:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("check: OK")


if __name__ == "__main__":
    main()
