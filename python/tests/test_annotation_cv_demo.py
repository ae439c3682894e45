"""scripts/figures/annotation_cv_demo.py runs `make demo` once per fold with SPLITS= a fold's plan:
every cell is a test cell exactly once, each fold's demo trains and scores on that plan, and
the summary pools what the folds' reports say. Tiny model and data: wiring, not figures."""

import json
import subprocess
import sys
from collections import Counter

import anndata as ad

from conftest import REPO

SCRIPT = REPO / "scripts" / "figures" / "annotation_cv_demo.py"
TINY = ["TOP_GENES=20", "HIDDEN=32", "LAYERS=1", "HEADS=2", "EPOCHS=1", "MAX_STEPS=10", "EVAL_EXAMPLES=20",
        "ANNOTATION_COPIES=1", "READ_COPIES=1", "GENERATE_PER_TYPE=3", "LABEL_SWAP_CELLS=10"]


def test_every_cell_is_a_test_cell_once_and_the_summary_pools_the_folds(binary, tmp_path):
    data = tmp_path / "cells.h5ad"
    subprocess.run([binary, "simulate", "-o", str(data), "--cells", "240", "--cell-types", "3", "-q"], check=True)
    out = tmp_path / "cv"
    done = subprocess.run([sys.executable, str(SCRIPT), str(data), "cell_type", str(out), "--folds", "3",
                           "SWIFT=true", f"RELEASE_BIN={binary}", *TINY],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    obs = ad.read_h5ad(data).obs
    labels = dict(zip(obs.index.astype(str), obs["cell_type"].astype(str)))
    tested = []
    summary = json.loads((out / "cv-summary.json").read_text())
    for k in (1, 2, 3):
        plan = json.loads((out / f"fold-{k}.splits.json").read_text())["assignments"]
        assert set(plan) == set(labels)
        test = {c for c, s in plan.items() if s == "test"}
        # Stratified: each label's share of the fold within one cell of a third.
        for label, n in Counter(labels.values()).items():
            assert abs(sum(labels[c] == label for c in test) - n / 3) <= 1
        assert any(s == "validation" for s in plan.values())
        # The fold's demo used the plan: its splits.json is the plan, and it annotated its test cells.
        run = out / f"fold-{k}"
        assert json.loads((run / "splits.json").read_text())["assignments"] == plan
        for name in ("prompts.jsonl", "annotation-prompts.jsonl", "hvg-annotation-prompts.jsonl"):  # main training's, phases'
            for line in (run / name).read_text().splitlines():
                example = json.loads(line)
                assert example["split"] == plan[example["cell_name"]], name
        kept = {json.loads(line)["cell_name"] for line in (run / "sentences" / "cells.jsonl").read_text().splitlines()}
        annotated = ad.read_h5ad(run / "annotation-constrained.h5ad").obs_names.astype(str)
        assert set(annotated) == test & kept  # convert's quality filter may drop a cell
        tested += list(annotated)
        report = json.loads((run / "annotation-constrained.json").read_text())
        row = summary["per_fold"][str(k)]
        assert row["c2s_constrained"] == report["metrics"]["correct"]
        for view in ("whole", "hvg"):  # the two annotation views, each pooled as its own reader
            assert row[f"c2s_{view}"] == json.loads((run / f"annotation-{view}.json").read_text())["metrics"]["correct"]
        assert row["logistic_regression_hvg"] == report["baselines"]["logistic_regression_hvg"]["metrics"]["correct"]
    assert sorted(tested) == sorted(kept) and len(kept) > 0.9 * len(labels)
    assert summary["pooled"]["c2s_constrained"] == sum(
        summary["per_fold"][str(k)]["c2s_constrained"] for k in (1, 2, 3)) / len(kept)
    assert "c2s (constrained) - LR on HVGs" in done.stdout
    assert summary["pooled"]["c2s_hvg"] == sum(summary["per_fold"][str(k)]["c2s_hvg"] for k in (1, 2, 3)) / len(kept)

    # A second call finds every fold done and only summarises.
    again = subprocess.run([sys.executable, str(SCRIPT), str(data), "cell_type", str(out), "--folds", "3",
                            "SWIFT=true", f"RELEASE_BIN={binary}", *TINY],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "make demo into" not in again.stdout


def test_a_missing_label_column_is_refused_before_anything_is_written(binary, tmp_path):
    data = tmp_path / "cells.h5ad"
    subprocess.run([binary, "simulate", "-o", str(data), "--cells", "60", "--cell-types", "2", "-q"], check=True)
    out = tmp_path / "cv"
    done = subprocess.run([sys.executable, str(SCRIPT), str(data), "celltype", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "no obs column 'celltype'" in done.stderr and str(data) in done.stderr
    assert not out.exists()


def test_demo_refuses_a_missing_splits_file_before_writing(binary, tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run(["make", "--no-print-directory", "demo", "SWIFT=true", f"RELEASE_BIN={binary}",
                           f"DEMO_DIR={out}", f"SPLITS={tmp_path / 'none.json'}"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "none.json: no such file" in done.stderr
    assert not out.exists()
