#!/usr/bin/env bash
# A LoRA fine-tune of a model that already knows something: a c2s model trained on
# kang-ifnb-sub2k (e.g. make demo INPUT=... LABEL=seurat_annotations) adapted to annotate
# garnett-pbmc800's FACS-sorted types, against full fine-tuning of the same model with the same
# prompts, steps and data order. Prints accuracy (test split), time and peak memory of each,
# beside chance, the strong baselines of `c2s evaluate annotation`, and the same recipe on a
# new model of the base's shape (what the base's training is worth here).
#
#   scripts/experiments/lora_transfer.sh BASE_MODEL [WORK_DIR]     (C2S=path/to/c2s)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BASE="$1"
WORK="${2:-/tmp/c2s-lora-transfer}"
C2S="${C2S:-$ROOT/.build/release/c2s}"
DATA="${DATA:-$ROOT/../shared/data/garnett-pbmc800/garnett_pbmc800.h5ad}"
LABEL="${LABEL:-FACS_type}"
EPOCHS="${EPOCHS:-3}"
TOP=100
mkdir -p "$WORK"
"$C2S" convert "$DATA" -o "$WORK/sentences" --obs-columns "$LABEL" --fit-by "$LABEL" ${CONVERT_FLAGS:---on-duplicate sum} --overwrite -q
"$C2S" prompts "$WORK/sentences" --task cell_type_prediction --examples 800 --label-column "$LABEL" --stratify-by "$LABEL" \
  --top-k "$TOP" -o "$WORK/prompts.jsonl" --overwrite -q
run() {  # name, model flags and extra train flags
  local name="$1"; shift
  /usr/bin/time -v "$C2S" train "$WORK/prompts.jsonl" --epochs "$EPOCHS" --batch-size 16 --schedule cosine \
    --warmup-ratio 0.05 --sentences "$WORK/sentences" --label-column "$LABEL" --seed 42 "$@" -o "$WORK/$name" --overwrite -q \
    2> "$WORK/$name.time"
  "$C2S" annotate --model "$WORK/$name" "$WORK/sentences" --splits "$WORK/splits.json" --split test --top-genes "$TOP" \
    -o "$WORK/$name-annotation.h5ad" --overwrite -q
  "$C2S" evaluate annotation "$WORK/$name-annotation.h5ad" --truth-column "$LABEL" --predicted-column c2s_label \
    --baseline-expression "$DATA" --splits "$WORK/splits.json" -o "$WORK/$name-annotation.json" -q
}
run lora --model "$BASE" --lora-rank 8 --lora-alpha 16 --learning-rate 2e-3
run full --model "$BASE" --learning-rate 1e-3
run scratch --config "$BASE/config.json" --tokenizer "$BASE" --learning-rate 1e-3
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
def field(name, key):
    for line in open(f"{w}/{name}.time"):
        if key in line:
            return line.split()[-1]
for name in ("lora", "full", "scratch"):
    e = json.load(open(f"{w}/{name}-annotation.json"))
    m = e["metrics"]
    trained = sum(1 for _ in open(f"{w}/{name}/metrics.jsonl"))
    print(f"{name}: accuracy {m['accuracy']:.3f} ({m['correct']}/{m['cells']} test cells), train wall {field(name, 'Elapsed (wall')}, "
          f"peak RSS {int(field(name, 'Maximum resident')) / 1024:.0f} MiB")
b = json.load(open(f"{w}/lora-annotation.json"))["baselines"]
print(f"chance {b['chance']['uniform']:.3f} (majority class {b['chance']['majority_class_accuracy']:.3f}); "
      f"logistic regression on 2,000 HVGs {b['logistic_regression_hvg']['metrics']['accuracy']:.3f}; "
      f"k-NN on 50 PCs of HVGs {b['knn_pca_hvg']['metrics']['accuracy']:.3f}")
PY
