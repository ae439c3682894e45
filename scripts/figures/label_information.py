#!/usr/bin/env python3
"""How much a cell's label says about its top genes: cross-entropy per gene of a unigram
model of the top-N genes, pooled over all cells against one per label, fitted on every other
cell and scored on the rest (add-0.1 smoothing over the genes seen in any top-N list).

    python3 scripts/figures/label_information.py SENTENCE_DATASET LABEL_COLUMN [N]
"""
import collections
import json
import math
import sys

folder, column = sys.argv[1], sys.argv[2]
top = int(sys.argv[3]) if len(sys.argv) > 3 else 100
cells = [json.loads(line) for line in open(f"{folder}/cells.jsonl")]
genes = lambda c: c["cell_sentence"].split()[:top]
train, test = cells[::2], cells[1::2]
vocabulary = len({g for c in cells for g in genes(c)})


def counts(group):
    out = collections.Counter()
    for c in group:
        out.update(genes(c))
    return out


pooled = counts(train)
per_label = {l: counts([c for c in train if c[column] == l]) for l in {c[column] for c in cells}}


def cross_entropy(model, cell):
    total = sum(model.values())
    words = genes(cell)
    return -sum(math.log((model[g] + 0.1) / (total + 0.1 * vocabulary)) for g in words) / len(words)


p = sum(cross_entropy(pooled, c) for c in test) / len(test)
l = sum(cross_entropy(per_label[c[column]], c) for c in test) / len(test)
print(f"unigram cross-entropy per gene: pooled {p:.3f}, per {column} {l:.3f}, label worth {p - l:.3f} nats")
