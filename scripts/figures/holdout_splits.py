#!/usr/bin/env python3
"""Write a splits.json (the format of `c2s prompts --splits`) that puts every cell of one
cell type in `test` and the others in train/validation (seeded, 90/10).

usage: holdout_splits.py DATASET_DIR LABEL_COLUMN HELD_OUT_VALUE OUT.json [--seed 0]
"""
import argparse
import json
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("label")
    ap.add_argument("held_out")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    assignments = {}
    for line in open(f"{a.dataset}/cells.jsonl"):
        cell = json.loads(line)
        if cell.get(a.label) == a.held_out:
            assignments[cell["cell_name"]] = "test"
        else:
            assignments[cell["cell_name"]] = "validation" if rng.random() < 0.1 else "train"
    json.dump({"assignments": assignments, "fractions": {"train": 0.9, "validation": 0.1, "test": 0.0},
               "group_by": [], "seed": a.seed, "stratify_by": None}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
