"""`make demo`, the README's main job, runs end to end on a tiny simulated dataset (tiny model,
a few steps: this checks the pipeline's wiring, not its figures), and ANNOTATION_TOP_GENES
gives the annotation phase and annotation longer sentences than the main training's while the
phase's tokenizer and the model's context cover them; the second annotation view reads the
sentences kept to the train cells' HVGs, the main training reads them too, and the two views'
readings combine."""

import csv
import json
import math
import subprocess

from conftest import REPO

TOP, ANNOTATION_TOP, HVG, HVG_MAIN, MAX_STEPS = 20, 40, 60, 2, 20


def make_demo(binary, out, *knobs, timeout=900):
    """`make demo` with the binary under test (SWIFT=true: nothing is rebuilt) into `out`."""
    return subprocess.run(["make", "--no-print-directory", "demo", "SWIFT=true", f"RELEASE_BIN={binary}",
                           f"DEMO_DIR={out}", *knobs], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_demo_with_longer_annotation_sentences(binary, tmp_path):
    out = tmp_path / "demo"
    done = make_demo(
        binary, out, "CELLS=300", "CELL_TYPES=3", f"TOP_GENES={TOP}", f"ANNOTATION_TOP_GENES={ANNOTATION_TOP}",
        "HIDDEN=32", "LAYERS=1", "HEADS=2", "EPOCHS=1", f"MAX_STEPS={MAX_STEPS}", "EVAL_EXAMPLES=20",
        "ANNOTATION_COPIES=1", "READ_COPIES=2", "GENERATE_PER_TYPE=3", "LABEL_SWAP_CELLS=10", f"ANNOTATION_HVG={HVG}",
        f"HVG_EXAMPLES_PER_CELL={HVG_MAIN}")
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

    # The second view's sentences: kept to the HVGs of the train cells, in their order.
    subset = json.loads((out / "hvg-sentences" / "manifest.json").read_text())["gene_subset"]
    hvg = set(subset["genes"])
    assert len(hvg) >= HVG and "'train' cells" in subset["chosen_by"]
    hvg_cells = [json.loads(line) for line in (out / "hvg-sentences" / "cells.jsonl").read_text().splitlines()]
    assert [c["cell_sentence"] for c in hvg_cells] == [" ".join(g for g in c["cell_sentence"].split() if g in hvg) for c in cells]

    # The main training reads both views: after the whole-sentence prompts come
    # HVG_EXAMPLES_PER_CELL cell type prediction examples per cell on the HVG sentences' first TOP
    # genes, in the cells' own splits.
    splits = json.loads((out / "splits.json").read_text())["assignments"]
    main_prompts = [json.loads(line) for line in (out / "prompts.jsonl").read_text().splitlines()]
    hvg_prompts = [json.loads(line) for line in (out / "hvg-prompts.jsonl").read_text().splitlines()]
    assert main_prompts[-len(hvg_prompts):] == hvg_prompts and len(main_prompts) > len(hvg_prompts)
    assert len(hvg_prompts) == HVG_MAIN * len(cells)
    for example in hvg_prompts:
        words = {w.strip(".,;:") for w in example["model_input"].split()} & genes
        assert example["task"] == "cell_type_prediction" and words <= hvg and len(words) <= TOP
        assert example["split"] == splits[example["cell_name"]]
    # The training's length is reckoned from the whole-sentence prompts (here MAX_STEPS, as one
    # epoch of them is longer) and stretched to take the HVG examples on top.
    def in_train(examples):
        return sum(e["split"] == "train" for e in examples)
    whole_train, hvg_train = in_train(main_prompts) - in_train(hvg_prompts), in_train(hvg_prompts)
    assert -(-whole_train // 16) > MAX_STEPS
    state = json.loads((out / "model" / "trainer_state.json").read_text())
    assert state["global_step"] == MAX_STEPS * (whole_train + hvg_train) // whole_train > MAX_STEPS

    # The main training's tokenizer holds the genes within the first TOP of either view (the
    # whole view's tokenizer extended, every token at its id); the phase's extends it, every
    # token at its id, with the genes only the longer sentences hold, and the annotation model
    # has rows for them.
    def tokens_of(folder):
        vocabulary = json.loads((folder / "tokenizer.json").read_text())
        return {t["content"]: t["id"] for t in vocabulary["added_tokens"]}

    whole_view, main, phase = tokens_of(out / "whole-tokenizer"), tokens_of(out / "tokenizer"), tokens_of(out / "annotation-tokenizer")
    first = {g for c in cells for g in c["cell_sentence"].split()[:TOP]}
    hvg_first = {g for c in hvg_cells for g in c["cell_sentence"].split()[:TOP]} - first
    assert hvg_first and not hvg_first & set(whole_view) and hvg_first <= set(main)
    assert all(main[t] == i for t, i in whole_view.items())
    assert tokens_of(out / "model") == main
    beyond = {g for c in cells for g in c["cell_sentence"].split()[TOP:ANNOTATION_TOP]} - first - hvg_first
    assert beyond and not beyond & set(main) and beyond <= set(phase)
    assert all(phase[t] == i for t, i in main.items())
    assert tokens_of(out / "annotation-model") == phase
    grown = json.loads((out / "annotation-model" / "config.json").read_text())["vocab_size"]
    assert grown == config["vocab_size"] + 2 * len(beyond)
    assert f"annotate the test split from each cell's first {ANNOTATION_TOP} genes" in done.stdout
    for name in ["annotation-constrained.json", "annotation-free.json", "annotation-whole.json", "annotation-hvg.json",
                 "generation.json", "report.html"]:
        assert (out / name).is_file(), name
    accuracy = json.loads((out / "annotation-constrained.json").read_text())["metrics"]["accuracy"]
    assert 0 <= accuracy <= 1

    # The second view: the sentences kept to the HVGs of the train cells, in their order; its
    # phase's prompts hold only those genes, ANNOTATION_TOP at most; its model knows its genes.
    assert "second view" in done.stdout
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
    done = make_demo(binary, out, "HVG_EXAMPLES_PER_CELL=-1", timeout=60)
    assert done.returncode != 0
    assert "HVG_EXAMPLES_PER_CELL=-1: examples per cell must be a whole number (0: none)" in done.stderr
    assert not out.exists()


def test_demo_main_training_reads_whole_sentences_only_by_default(binary, tmp_path):
    # HVG_EXAMPLES_PER_CELL=0 (the default): the main training's prompts and tokenizer are the
    # whole sentences' alone, its length their own, and the second view's phase adds the HVGs'
    # tokens itself (its model has more rows than the main one).
    out = tmp_path / "demo"
    done = make_demo(
        binary, out, "CELLS=300", "CELL_TYPES=3", f"TOP_GENES={TOP}", "HIDDEN=32", "LAYERS=1", "HEADS=2",
        "EPOCHS=1", f"MAX_STEPS={MAX_STEPS}", "EVAL_EXAMPLES=20", "ANNOTATION_COPIES=1", "READ_COPIES=2",
        "GENERATE_PER_TYPE=3", "LABEL_SWAP_CELLS=10", f"ANNOTATION_HVG={HVG}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (out / "hvg-prompts.jsonl").exists() and not (out / "whole-tokenizer").exists()
    cells = [json.loads(line) for line in (out / "sentences" / "cells.jsonl").read_text().splitlines()]
    prompts = [json.loads(line) for line in (out / "prompts.jsonl").read_text().splitlines()]
    assert {p["cell_name"] for p in prompts} <= {c["cell_name"] for c in cells} and len(prompts) == 2 * len(cells)
    assert json.loads((out / "model" / "trainer_state.json").read_text())["global_step"] == MAX_STEPS
    main = json.loads((out / "model" / "config.json").read_text())["vocab_size"]
    hvg_model = json.loads((out / "hvg-annotation-model" / "config.json").read_text())["vocab_size"]
    assert hvg_model > main
