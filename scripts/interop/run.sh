#!/usr/bin/env bash
# Checks that Python's anndata reads the .h5ad files c2s writes (shape, values, labels):
# a simulated count matrix, expression reconstructed from its cell sentences, and the outputs
# of the C2S task commands (annotate, embed, generate-cells, predict-perturbation) run with the
# tiny pythia_text test model.
# Usage: scripts/interop/run.sh PATH/TO/c2s
set -euo pipefail
bin=${1:-.build/release/c2s}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
"$bin" simulate -o "$tmp/sim.h5ad" --cells 1500 --genes 800 --cell-types 5 --seed 7 --quiet
python3 "$here/check_h5ad.py" "$tmp/sim.h5ad" --shape 1500 800 --obs-column cell_type
passed=$((passed + 1))
"$bin" convert "$tmp/sim.h5ad" -o "$tmp/sentences" --obs-columns cell_type,batch --quiet
genes=$(($(wc -l < "$tmp/sentences/vocab.tsv") - 1))
cells=$(wc -l < "$tmp/sentences/cells.jsonl")
"$bin" reconstruct "$tmp/sentences" -o "$tmp/reconstructed.h5ad" --quiet
python3 "$here/check_h5ad.py" "$tmp/reconstructed.h5ad" --shape "$cells" "$genes" --obs-column cell_type
passed=$((passed + 1))

# A model folder with C2S metadata: the pythia_text fixture (context raised; rotary positions
# have no learned table), c2s.json and the dataset's manifest and vocabulary.
model="$tmp/model"
mkdir "$model"
fixture="$here/../../Tests/Fixtures/lm/pythia_text"
cp "$fixture"/{model.safetensors,tokenizer.json,tokenizer_config.json,generation_config.json} "$model/"
cp "$tmp/sentences/manifest.json" "$tmp/sentences/vocab.tsv" "$model/"
python3 - "$fixture/config.json" "$model" "$tmp/sentences/cells.jsonl" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["max_position_embeddings"] = 2048
json.dump(config, open(sys.argv[2] + "/config.json", "w"))
labels = sorted({json.loads(line)["cell_type"] for line in open(sys.argv[3])})
json.dump({"tasks": ["cell_type_prediction", "cell_type_generation", "perturbation_prediction"],
           "labels": {"cell_type_prediction": labels}, "top_k": 10, "label_column": "cell_type"},
          open(sys.argv[2] + "/c2s.json", "w"))
PY
"$bin" simulate -o "$tmp/small.h5ad" --cells 40 --genes 800 --cell-types 5 --seed 8 --quiet
"$bin" annotate --model "$model" "$tmp/small.h5ad" -o "$tmp/annotated.h5ad" --quiet
python3 "$here/check_h5ad.py" "$tmp/annotated.h5ad" --shape 40 0 --obs-column cell_type --obs-has c2s_label --obs-has c2s_score
passed=$((passed + 1))
"$bin" embed --model "$model" "$tmp/small.h5ad" -o "$tmp/embedded.h5ad" --quiet
python3 "$here/check_h5ad.py" "$tmp/embedded.h5ad" --shape 40 0 --obsm X_c2s 32
passed=$((passed + 1))
"$bin" generate-cells --model "$model" --condition "cell_type=$(head -1 "$tmp/sentences/cells.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["cell_type"])')" \
  -n 6 -o "$tmp/generated.h5ad" --quiet
python3 "$here/check_h5ad.py" "$tmp/generated.h5ad" --shape 6 "$genes" --obs-has cell_sentence --obs-has n_valid_words
passed=$((passed + 1))
"$bin" predict-perturbation --model "$model" --control "$tmp/small.h5ad" --where batch=batch1 --perturbation "drug X" \
  -o "$tmp/perturbed.h5ad" --quiet
controls=$(python3 -c "import anndata; a = anndata.read_h5ad('$tmp/small.h5ad'); print(int((a.obs['batch'] == 'batch1').sum()))")
python3 "$here/check_h5ad.py" "$tmp/perturbed.h5ad" --shape "$controls" "$genes" --obs-has perturbation --obs-has cell_sentence
passed=$((passed + 1))
echo "interop: $passed passed, 0 failed"
