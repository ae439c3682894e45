"""`make demo`, the README's main job, runs end to end on a tiny simulated dataset (tiny model,
a few steps: this checks the pipeline's wiring, not its figures), and ANNOTATION_TOP_GENES
gives the annotation phase and annotation longer sentences than the main training's while the
phase's tokenizer and the model's context cover them; the second annotation view reads the
sentences kept to the train cells' HVGs and its readings combine with the whole view's."""

import csv
import json
import math
import subprocess

from conftest import REPO

TOP, ANNOTATION_TOP, HVG = 20, 40, 60


def make_demo(binary, out, *knobs, timeout=900):
    """`make demo` with the binary under test (SWIFT=true: nothing is rebuilt) into `out`."""
    return subprocess.run(["make", "--no-print-directory", "demo", "SWIFT=true", f"RELEASE_BIN={binary}",
                           f"DEMO_DIR={out}", *knobs], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_demo_with_longer_annotation_sentences(binary, tmp_path):
    out = tmp_path / "demo"
    done = make_demo(
        binary, out, "CELLS=300", "CELL_TYPES=3", f"TOP_GENES={TOP}", f"ANNOTATION_TOP_GENES={ANNOTATION_TOP}",
        "HIDDEN=32", "LAYERS=1", "HEADS=2", "EPOCHS=1", "MAX_STEPS=20", "EVAL_EXAMPLES=20",
        "ANNOTATION_COPIES=1", "READ_COPIES=2", "GENERATE_PER_TYPE=3", "LABEL_SWAP_CELLS=10", f"ANNOTATION_HVG={HVG}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    cells = [json.loads(line) for line in (out / "sentences" / "cells.jsonl").read_text().splitlines()]
    genes = {g for c in cells for g in c["cell_sentence"].split()}

    # The main training's annotation prompts hold TOP genes, the annotation phase's ANNOTATION_TOP.
    def lengths(path):
        found = set()
        for line in path.read_text().splitlines():
            example = json.loads(line)
            if example["task"] == "cell_type_prediction":
                found.add(sum(word.strip(".,;:") in genes for word in example["model_input"].split()))
        return found

    assert max(lengths(out / "prompts.jsonl")) == TOP
    assert max(lengths(out / "annotation-prompts.jsonl")) == ANNOTATION_TOP
    config = json.loads((out / "model" / "config.json").read_text())
    assert config["max_position_embeddings"] == ANNOTATION_TOP + 96

    # The main training's tokenizer holds the genes within the first TOP only; the phase's
    # extends it, every token at its id, with the genes only the longer sentences hold, and the
    # annotation model has rows for them.
    def tokens_of(folder):
        vocabulary = json.loads((folder / "tokenizer.json").read_text())
        return {t["content"]: t["id"] for t in vocabulary["added_tokens"]}

    main, phase = tokens_of(out / "tokenizer"), tokens_of(out / "annotation-tokenizer")
    first = {g for c in cells for g in c["cell_sentence"].split()[:TOP]}
    beyond = {g for c in cells for g in c["cell_sentence"].split()[TOP:ANNOTATION_TOP]} - first
    assert beyond and not beyond & set(main) and beyond <= set(phase)
    assert all(phase[t] == i for t, i in main.items())
    assert tokens_of(out / "annotation-model") == phase
    grown = json.loads((out / "annotation-model" / "config.json").read_text())["vocab_size"]
    assert grown == config["vocab_size"] + 2 * len({g for c in cells for g in c["cell_sentence"].split()[:ANNOTATION_TOP]} - first)
    assert f"annotate the test split from each cell's first {ANNOTATION_TOP} genes" in done.stdout
    for name in ["annotation-constrained.json", "annotation-free.json", "annotation-whole.json", "annotation-hvg.json",
                 "generation.json", "report.html"]:
        assert (out / name).is_file(), name
    accuracy = json.loads((out / "annotation-constrained.json").read_text())["metrics"]["accuracy"]
    assert 0 <= accuracy <= 1

    # The second view: the sentences kept to the HVGs of the train cells, in their order; its
    # phase's prompts hold only those genes, ANNOTATION_TOP at most; its model knows its genes.
    assert "second view" in done.stdout
    subset = json.loads((out / "hvg-sentences" / "manifest.json").read_text())["gene_subset"]
    hvg = set(subset["genes"])
    assert len(hvg) >= HVG and "'train' cells" in subset["chosen_by"]
    hvg_cells = [json.loads(line) for line in (out / "hvg-sentences" / "cells.jsonl").read_text().splitlines()]
    assert [c["cell_sentence"] for c in hvg_cells] == [" ".join(g for g in c["cell_sentence"].split() if g in hvg) for c in cells]
    assert TOP < max(lengths(out / "hvg-annotation-prompts.jsonl")) <= ANNOTATION_TOP
    for line in (out / "hvg-annotation-prompts.jsonl").read_text().splitlines():
        assert {w.strip(".,;:") for w in json.loads(line)["model_input"].split()} & genes <= hvg
    assert json.loads((out / "hvg-annotation-model" / "manifest.json").read_text())["gene_subset"]["genes"] == subset["genes"]
    # The constrained answer is the label of the mean of the two views' log-likelihoods.
    def table(name):
        with open(out / name, newline="") as f:
            return {row["cell_name"]: row for row in csv.DictReader(f)}
    whole, by_hvg, both = table("annotation-whole.csv"), table("annotation-hvg.csv"), table("annotation-constrained.csv")
    assert set(both) == set(whole) == set(by_hvg) and both
    for cell, row in both.items():
        scores = {k: float(v) for k, v in row.items() if k.startswith("c2s_score_")}
        for k, v in scores.items():
            assert math.isclose(v, (float(whole[cell][k]) + float(by_hvg[cell][k])) / 2, rel_tol=1e-9, abs_tol=1e-9)
        assert row["c2s_label"] == max(scores, key=scores.get)[len("c2s_score_"):]


def test_demo_refuses_a_sentence_length_that_is_not_a_number_before_writing(binary, tmp_path):
    out = tmp_path / "demo"
    done = make_demo(binary, out, "ANNOTATION_TOP_GENES=ten", timeout=60)
    assert done.returncode != 0
    assert "ANNOTATION_TOP_GENES=ten: genes per sentence must be a positive whole number" in done.stderr
    assert not out.exists()
    done = make_demo(binary, out, "ANNOTATION_HVG=most", timeout=60)
    assert done.returncode != 0
    assert "ANNOTATION_HVG=most: genes of the second view must be a whole number (0: none)" in done.stderr
    assert not out.exists()
