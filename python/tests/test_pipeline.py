"""convert, prompts, tokenizer, train, reconstruct on simulated data."""

import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import c2s
from c2s import _binary, _data


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


@pytest.fixture
def spy(monkeypatch):
    """Records the argument list of every binary run."""
    calls = []
    real = _binary.run

    def recording(args, **kwargs):
        calls.append([str(a) for a in args])
        return real(args, **kwargs)

    monkeypatch.setattr(_binary, "run", recording)
    return calls


def test_convert_inplace_puts_each_cells_sentence_in_obs(sim):
    adata = sim.adata.copy()
    dataset = c2s.convert(adata, inplace=True, min_genes=0,
                          out=sim.root / "inplace-sentences")
    cells = dataset.cells()
    assert len(dataset) == adata.n_obs == len(cells)
    assert adata.obs["cell_sentence"].tolist() == cells.loc[adata.obs_names, "cell_sentence"].tolist()
    # The first word of a sentence is a gene with the cell's highest count.
    X = _dense(adata.X)
    genes = list(adata.var_names)
    for i in range(5):
        first = adata.obs["cell_sentence"].iloc[i].split(" ")[0]
        assert X[i, genes.index(first)] == X[i].max()


def test_convert_in_memory_writes_one_file_and_backed_none(sim, spy, monkeypatch):
    written = []
    real_write = _data._write_h5ad
    monkeypatch.setattr(_data, "_write_h5ad", lambda a, p: written.append(p) or real_write(a, p))
    in_memory = c2s.convert(sim.adata, sim.root / "mem-sentences", min_genes=0)
    assert len(written) == 1 and spy[-1][1] == str(written[0])

    def refuse(adata, path):
        raise AssertionError("a backed AnnData must be passed by its path, not written")

    monkeypatch.setattr(_data, "_write_h5ad", refuse)
    backed = ad.read_h5ad(sim.path, backed="r")
    from_file = c2s.convert(backed, sim.root / "backed-sentences", min_genes=0)
    assert spy[-1][:2] == ["convert", str(sim.path)]
    # Same cells, same sentences, whichever way the matrix went.
    pd.testing.assert_series_equal(in_memory.cells()["cell_sentence"],
                                   from_file.cells()["cell_sentence"])


def test_convert_reads_the_counts_layer(sim):
    adata = sim.adata.copy()
    adata.layers["counts"] = adata.X.copy()
    X = np.log1p(_dense(adata.X)) * 3.7  # not counts, and ranked the same ...
    X[:, 0] = 1000.0  # ... so make X differ: gene 0 on top of every cell
    adata.X = X
    from_layer = c2s.convert(adata, sim.root / "layer-sentences", layer="counts", min_genes=0)
    from_x = c2s.convert(adata, sim.root / "x-sentences", min_genes=0)
    first_x = {s.split(" ")[0] for s in from_x.cells()["cell_sentence"]}
    first_layer = {s.split(" ")[0] for s in from_layer.cells()["cell_sentence"]}
    assert first_x == {adata.var_names[0]}
    assert first_layer != first_x
    expected = c2s.convert(sim.path, sim.root / "file-sentences", min_genes=0).cells()
    pd.testing.assert_series_equal(from_layer.cells()["cell_sentence"], expected["cell_sentence"])


def test_convert_maps_keywords_to_flags(sim, spy):
    dataset = c2s.convert(sim.path, sim.root / "new" / "folders" / "sentences", min_genes=0, min_cells=0,
                          target_sum="median", seed=5, fit=False, obs_columns=["cell_type"],
                          extra_args=["--block-size", "64"])
    args = spy[-1]
    for flag, value in [("--min-genes", "0"), ("--min-cells", "0"), ("--target-sum", "median"),
                        ("--seed", "5"), ("--obs-columns", "cell_type"), ("--block-size", "64")]:
        assert args[args.index(flag) + 1] == value
    assert "--no-fit" in args
    manifest = dataset.manifest
    assert json.dumps(manifest).count('"median"') >= 1
    assert "cell_type" in dataset.cells().columns


def test_prompts_and_splits(sim):
    df = sim.prompts.to_dataframe()
    assert len(df) == 800
    assert set(df["task"]) == {"cell_type_prediction", "cell_type_generation",
                               "unconditional_generation"}
    splits = sim.prompts.splits()
    assert sim.prompts.splits_path.is_file()
    assert set(df["split"]) <= {"train", "validation", "test"}
    labels = set(sim.adata.obs["cell_type"])
    predicted = df[df["task"] == "cell_type_prediction"]["response"]
    assert set(predicted) <= labels
    assert json.dumps(splits).count("train") > 0


def test_tokenizer_has_one_token_per_gene(sim):
    vocab = json.loads((sim.tokenizer.path / "tokenizer.json").read_text())
    added = {t["content"] for t in vocab["added_tokens"]}
    genes = sim.sentences.vocab()["gene"]
    assert all(g in added and " " + g in added for g in genes[:20])


def test_tokenizer_keeps_the_genes_within_the_first_n(sim, tmp_path):
    tok = c2s.tokenizer(sim.prompts, tmp_path / "tok", gene_aware=sim.sentences, genes_within_first=30)
    added = {t["content"] for t in json.loads((tok.path / "tokenizer.json").read_text())["added_tokens"]}
    leading = set()
    with open(sim.sentences.path / "cells.jsonl") as f:
        for line in f:
            leading.update(json.loads(line)["cell_sentence"].split()[:30])
    genes = list(sim.sentences.vocab()["gene"])
    assert len(leading) < len(genes)
    assert {g for g in genes if " " + g in added} == leading


def test_train_streams_progress_and_writes_the_model(sim):
    steps = [l for l in sim.train_lines if l.startswith("training: step")]
    assert [l.split()[2].rstrip(",") for l in steps] == ["20/60", "40/60", "60/60"]
    assert all("loss" in l and "tok/s" in l for l in steps)
    metrics = sim.model.metrics()
    assert metrics["step"].max() == 60
    assert sorted(sim.model.labels) == sorted(set(sim.adata.obs["cell_type"]))
    assert (sim.model.path / "model.safetensors").is_file()


def test_reconstruct_dataset_and_sentences(sim):
    full = c2s.reconstruct(sim.sentences)
    assert full.n_obs == len(sim.sentences)
    assert list(full.var_names) == list(sim.sentences.vocab()["gene"])
    genes = list(full.var_names)
    text = pd.Series([f"{genes[3]} {genes[7]} {genes[1]}"], index=["my_cell"])
    one = c2s.reconstruct(text, dataset=sim.sentences)
    assert list(one.obs_names) == ["my_cell"]
    row = _dense(one.X)[0]
    assert set(np.flatnonzero(row)) <= {3, 7, 1}
    assert row[3] > row[7] > row[1] or row[1] == 0  # decreasing with rank (or clipped at 0)
    test_only = c2s.reconstruct(sim.sentences, splits=sim.prompts.splits_path, split="test")
    assert 0 < test_only.n_obs < full.n_obs


def test_lora_adapter_trains_on_the_model_and_annotates(sim, tmp_path):
    # LoRA on the tiny trained model: the folder is a PEFT adapter (no full weights), and
    # annotate takes it as the model, finding its base from adapter_config.json.
    adapter = c2s.train(sim.prompts, tmp_path / "adapter", model=sim.model, lora_rank=4,
                        lora_targets=["query_key_value", "dense_4h_to_h"], max_steps=6,
                        batch_size=16, learning_rate=3e-3, sentences=sim.sentences,
                        label_column="cell_type", lora_dropout=0.1, checkpoint_activations=True, progress=False)
    files = {p.name for p in adapter.path.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors"} <= files
    assert "model.safetensors" not in files
    cells = sim.adata[:40].copy()
    c2s.annotate(cells, adapter, top_genes=30, progress=False)
    assert cells.obs["c2s_label"].notna().all()
    assert set(cells.obs["c2s_label"]) <= set(sim.adata.obs["cell_type"])


def test_annotate_with_noisy_copies_averages_over_them(sim, tmp_path):
    # noisy_copies: every label's score is averaged over the cell and its rank-noised copies,
    # so the scores differ from one reading; the same seed gives the same scores.
    cells = sim.adata[:20]
    plain = c2s.annotate(cells, sim.model, top_genes=30, copy=True, progress=False)
    noisy = c2s.annotate(cells, sim.model, top_genes=30, noisy_copies=3, copy_noise=0.5, copy=True, progress=False)
    again = c2s.annotate(cells, sim.model, top_genes=30, noisy_copies=3, copy_noise=0.5, copy=True, progress=False)
    scores = [c for c in plain.obs.columns if c.startswith("c2s_score_")]
    assert scores and scores == [c for c in noisy.obs.columns if c.startswith("c2s_score_")]
    assert not np.allclose(plain.obs[scores].to_numpy(float), noisy.obs[scores].to_numpy(float))
    assert np.allclose(noisy.obs[scores].to_numpy(float), again.obs[scores].to_numpy(float))
    with pytest.raises(c2s.C2SError, match="noisy-copies"):
        c2s.annotate(cells, sim.model, top_genes=30, noisy_copies=2, mode="free", copy=True, progress=False)


def test_prompts_in_a_published_checkpoints_format(sim, tmp_path):
    ds = c2s.prompts(sim.sentences, tmp_path / "ref.jsonl", tasks="cell_type_prediction",
                     label_column="cell_type", top_k=10, prompt_format="cell2sentence")
    df = ds.to_dataframe()
    assert all(t.startswith("The following is a list of 10 gene names") for t in df["model_input"])
    assert all(t.endswith("\nThe cell type corresponding to these genes is:") for t in df["model_input"])
    assert all(r.endswith(".") for r in df["response"])
    with pytest.raises(c2s.C2SError, match="unknown prompt format"):
        c2s.prompts(sim.sentences, tmp_path / "bad.jsonl", prompt_format="gpt")


def test_prompts_balanced_over_labels(sim, tmp_path):
    # The simulated types are unequal in size; balanced generation examples are not.
    ds = c2s.prompts(sim.sentences, tmp_path / "bal.jsonl",
                     tasks={"cell_type_prediction": 1, "cell_type_generation": 1}, examples=800,
                     label_column="cell_type", top_k=10, balance_labels=["cell_type_generation"])
    df = ds.to_dataframe()
    types = dict(zip(sim.adata.obs_names, sim.adata.obs["cell_type"]))
    generated = df[df["task"] == "cell_type_generation"]["cell_name"].map(types).value_counts()
    assert len(generated) == 4 and generated.max() - generated.min() <= 1
    with pytest.raises(c2s.C2SError, match="weights"):
        c2s.prompts(sim.sentences, tmp_path / "bad" / "bad.jsonl", tasks="cell_type_generation",
                    label_column="cell_type", balance_labels=["cell_type_generation"])


def test_prompts_examples_per_cell(sim, tmp_path):
    # Two examples per cell: the count follows the dataset's size.
    ds = c2s.prompts(sim.sentences, tmp_path / "epc.jsonl",
                     tasks={"cell_type_prediction": 2, "cell_type_generation": 1, "unconditional_generation": 1},
                     examples_per_cell=2, label_column="cell_type", top_k=10)
    assert len(ds.to_dataframe()) == 2 * sim.adata.n_obs
    with pytest.raises(c2s.C2SError, match="not both"):
        c2s.prompts(sim.sentences, tmp_path / "bad2" / "bad.jsonl", tasks={"cell_type_prediction": 1},
                    examples=10, examples_per_cell=2, label_column="cell_type")


def test_train_validates_on_at_most_eval_examples(sim, tmp_path):
    # eval_examples caps the validation prompts (c2s.json counts what was validated on).
    model = c2s.train(sim.prompts, tmp_path / "model", new_model="gpt_neox", tokenizer=sim.tokenizer,
                      hidden_size=16, layers=1, heads=2, context=256, max_steps=2, batch_size=8,
                      eval_examples=5, progress=False)
    info = json.loads((model.path / "c2s.json").read_text())
    assert info["examples"]["validation"] == 5
    assert json.loads((model.path / "trainer_state.json").read_text())["arguments"]["eval_examples"] == "5"


def test_corpus_of_two_datasets_trains_with_flat_memory_order(sim, tmp_path):
    # The same sentences as two sources (one renamed): every cell appears under each name,
    # splits are grouped by dataset, and a model trains on it in the permuted order.
    corpus = c2s.corpus([sim.sentences, ("again", sim.sentences.path)], tmp_path / "corpus",
                        tasks={"cell_type_prediction": 1, "cell_type_generation": 1}, examples=400,
                        label_column="cell_type", top_k=20, split_fractions=[0.5, 0.5, 0.0], seed=3)
    frame = corpus.to_dataframe()
    assert len(frame) == 400
    sources = {name.split("/")[0] for name in frame["cell_name"]}
    assert sources == {sim.sentences.path.name, "again"}
    split_of = frame.groupby(frame["cell_name"].str.split("/").str[0])["split"].nunique()
    assert (split_of == 1).all(), "a dataset's cells stay in one split"
    manifest = json.loads((corpus.path.parent / "manifest.json").read_text())
    assert [s["dataset"] for s in manifest["sources"]] == [sim.sentences.path.name, "again"]
    train_split = frame["split"].value_counts().idxmax()
    model = c2s.train(corpus, tmp_path / "model", new_model="gpt_neox", tokenizer=sim.tokenizer,
                      hidden_size=16, layers=1, heads=2, context=256, max_steps=3, batch_size=8,
                      split=train_split, validation_split="none", batch_order="permuted",
                      sentences=corpus.path.parent, label_column="cell_type", progress=False)
    assert model.metrics()["step"].max() == 3
    state = json.loads((model.path / "trainer_state.json").read_text())
    assert state["options"]["batch_order"] == "permuted"
    assert sorted(model.labels) == sorted(set(sim.adata.obs["cell_type"]))


def test_prompts_rank_noise_changes_training_inputs_only(sim, tmp_path):
    # Rank noise: training inputs show another order of the cell's genes; validation and
    # test prompts and every response are as without it.
    kw = dict(tasks={"cell_type_prediction": 1}, examples_per_cell=2, label_column="cell_type", top_k=10, seed=5)
    plain = c2s.prompts(sim.sentences, tmp_path / "plain.jsonl", **kw).to_dataframe()
    noisy = c2s.prompts(sim.sentences, tmp_path / "noisy.jsonl", rank_noise=0.5,
                        splits=tmp_path / "splits.json", **kw).to_dataframe()
    assert list(plain["response"]) == list(noisy["response"])
    train = plain["split"] == "train"
    assert (plain.loc[~train, "model_input"] == noisy.loc[~train, "model_input"]).all()
    assert (plain.loc[train, "model_input"] != noisy.loc[train, "model_input"]).mean() > 0.5
    with pytest.raises(c2s.C2SError, match="rank-noise"):
        c2s.prompts(sim.sentences, tmp_path / "bad" / "bad.jsonl", rank_noise=-1, **kw)


def test_extended_tokenizer_grows_a_trained_model(sim, tmp_path, spy):
    # A model of 30-gene sentences fine-tuned on 60-gene ones: the tokenizer extended with the
    # genes within the first 60 keeps every id, and grow_vocabulary gives the model their rows.
    tok = c2s.tokenizer(sim.prompts, tmp_path / "tok30", gene_aware=sim.sentences, genes_within_first=30)
    model = c2s.train(sim.prompts, tmp_path / "m30", new_model="gpt_neox", tokenizer=tok, hidden_size=16,
                      layers=1, heads=2, context=160, max_steps=4, batch_size=16, sentences=sim.sentences,
                      label_column="cell_type", progress=False)
    wider = c2s.extend_tokenizer(tok, sim.sentences, tmp_path / "tok60", genes_within_first=60)
    assert spy[-1][:3] == ["tokenizer", "extend", str(tok.path)]
    assert "--genes-within-first" in spy[-1] and "60" in spy[-1]
    old = {t["content"]: t["id"] for t in json.loads((tok.path / "tokenizer.json").read_text())["added_tokens"]}
    new = {t["content"]: t["id"] for t in json.loads((wider.path / "tokenizer.json").read_text())["added_tokens"]}
    assert all(new[c] == i for c, i in old.items()) and len(new) > len(old)
    longer = c2s.prompts(sim.sentences, tmp_path / "p60" / "prompts.jsonl", tasks={"cell_type_prediction": 1},
                         label_column="cell_type", top_k=60, splits=sim.prompts.splits_path)
    with pytest.raises(c2s.C2SError, match="--grow-vocabulary"):
        c2s.train(longer, tmp_path / "refused", model=model, tokenizer=wider, max_steps=1, progress=False)
    grown = c2s.train(longer, tmp_path / "m60", model=model, tokenizer=wider, grow_vocabulary=True,
                      max_steps=2, batch_size=8, sentences=sim.sentences, label_column="cell_type", progress=False)
    assert "--grow-vocabulary" in spy[-1]
    size = json.loads((grown.path / "config.json").read_text())["vocab_size"]
    assert size == max(new.values()) + 1 > json.loads((model.path / "config.json").read_text())["vocab_size"]
    cells = sim.adata[:10].copy()
    c2s.annotate(cells, grown, top_genes=60, progress=False)
    assert set(cells.obs["c2s_label"]) <= set(sim.adata.obs["cell_type"])


def test_subset_genes_and_combined_annotations(sim, tmp_path, spy):
    # A second view of each cell: its sentence kept to the train cells' HVGs; a model of those
    # sentences reads them, and its readings combine with the whole-sentence model's.
    hvg = c2s.subset_genes(sim.sentences, tmp_path / "hvg", highly_variable=60, splits=sim.prompts.splits_path)
    assert spy[-1][:2] == ["subset-genes", str(sim.sentences.path)] and "--highly-variable" in spy[-1]
    subset = hvg.manifest["gene_subset"]
    genes = set(subset["genes"])
    assert len(genes) >= 60 and "'train' cells" in subset["chosen_by"]
    assert (hvg.path / "genes.txt").read_text().split() == subset["genes"]
    whole, kept = sim.sentences.cells(), hvg.cells()
    assert list(kept["cell_sentence"]) == [" ".join(g for g in s.split() if g in genes) for s in whole["cell_sentence"]]
    listed = c2s.subset_genes(sim.sentences, tmp_path / "listed", genes=sorted(genes)[:5])
    assert listed.manifest["gene_subset"]["genes_kept"] == 5
    with pytest.raises(ValueError, match="one of"):
        c2s.subset_genes(sim.sentences, tmp_path / "neither")

    prompts = c2s.prompts(hvg, tmp_path / "hp" / "prompts.jsonl", tasks={"cell_type_prediction": 1},
                          label_column="cell_type", top_k=20, templates=1, splits=sim.prompts.splits_path)
    wider = c2s.extend_tokenizer(sim.tokenizer, hvg, tmp_path / "tok", genes_within_first=20)
    model = c2s.train(prompts, tmp_path / "hvg-model", model=sim.model, tokenizer=wider, grow_vocabulary=True,
                      max_steps=2, batch_size=8, sentences=hvg, label_column="cell_type", progress=False)
    by_hvg = c2s.annotate(hvg.path, model, top_genes=20, split="test", splits=sim.prompts.splits_path, progress=False)
    with pytest.raises(c2s.C2SError, match="kept to"):
        c2s.annotate(sim.sentences.path, model, top_genes=20, progress=False)
    cells = sim.adata.copy()
    c2s.annotate(cells, sim.model, top_genes=30, split="test", splits=sim.prompts.splits_path, progress=False)
    tested = cells[cells.obs["c2s_label"].notna()].copy()
    both = c2s.combine_annotations([tested, by_hvg])
    assert spy[-1][0] == "combine-annotations"
    assert list(both.obs_names) == list(tested.obs_names)
    columns = [c for c in both.obs.columns if c.startswith("c2s_score_")]
    assert columns and set(columns) == {c for c in by_hvg.obs.columns if c.startswith("c2s_score_")}
    mean = (tested.obs[columns].to_numpy(float) + by_hvg.obs.loc[both.obs_names, columns].to_numpy(float)) / 2
    assert np.allclose(both.obs[columns].to_numpy(float), mean)
    assert list(both.obs["c2s_label"].astype(str)) == [columns[k][len("c2s_score_"):] for k in mean.argmax(axis=1)]
