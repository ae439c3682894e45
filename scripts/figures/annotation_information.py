#!/usr/bin/env python3
"""How much of a cell's type its sentence holds for a linear classifier: scikit-learn's
LogisticRegression (default C = 1, lbfgs, max_iter 2000), fitted on the train split and scored on
the test split of a c2s demo, on features made from the sentence alone: for each of the cell's
first N genes, (N + 1 - rank) / N (1 for the first gene, 1/N for the N-th, 0 for genes not in
the sentence). No label-dependent transform, nothing the model does not see. Compare with the
model's annotation accuracy (it reads the same N genes) and with logistic regression on 2,000
HVGs of the full expression (c2s evaluate annotation's strong baseline).

With --nonlinear, the same features also go to two classifiers that are not linear, to see
whether a reader of the ranks that can combine genes gets more out of them than a linear one:
scikit-learn's SVC (RBF kernel, C = 10, gamma 'scale') and MLPClassifier (one hidden layer of
256, early stopping, seed 0).

    python3 scripts/figures/annotation_information.py SENTENCES SPLITS.json LABEL [N ...] [--nonlinear]
"""
import json
import sys
import warnings

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")


def rank_features(cells, vocabulary, top):
    """Each cell's first `top` genes (0: every gene of its sentence) as (top + 1 - rank) / top."""
    rows, cols, vals = [], [], []
    for i, c in enumerate(cells):
        words = c["cell_sentence"].split()
        n = len(words) if top == 0 else min(top, len(words))
        scale = top if top > 0 else max(n, 1)
        for r, g in enumerate(words[:n]):
            rows.append(i); cols.append(vocabulary[g]); vals.append((scale - r) / scale)
    return csr_matrix((vals, (rows, cols)), shape=(len(cells), len(vocabulary)))


def main():
    nonlinear = "--nonlinear" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--nonlinear"]
    folder, splits_path, label = args[:3]
    tops = [int(n) for n in args[3:]] or [50, 100, 200, 0]
    cells = [json.loads(line) for line in open(f"{folder}/cells.jsonl")]
    split = json.load(open(splits_path))["assignments"]
    vocabulary = {}
    for c in cells:
        for g in c["cell_sentence"].split():
            vocabulary.setdefault(g, len(vocabulary))
    labels = np.array([str(c.get(label)) for c in cells])
    where = np.array([split.get(c["cell_name"], "") for c in cells])
    train, test = where == "train", where == "test"
    for top in tops:
        x = rank_features(cells, vocabulary, top)
        model = LogisticRegression(max_iter=2000).fit(x[train], labels[train])
        accuracy = (model.predict(x[test]) == labels[test]).mean()
        print(f"first {'all' if top == 0 else top} genes: logistic regression {100 * accuracy:.1f} % "
              f"({int(train.sum())} train, {int(test.sum())} test cells)")
        if nonlinear:
            from sklearn.neural_network import MLPClassifier
            from sklearn.svm import SVC
            for name, reader in [("SVM, RBF kernel", SVC(C=10)),
                                 ("MLP, 256 hidden", MLPClassifier((256,), early_stopping=True, max_iter=500, random_state=0))]:
                accuracy = (reader.fit(x[train], labels[train]).predict(x[test]) == labels[test]).mean()
                print(f"first {'all' if top == 0 else top} genes: {name} {100 * accuracy:.1f} %")


if __name__ == "__main__":
    main()
