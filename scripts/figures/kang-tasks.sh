#!/usr/bin/env bash
# The C2S task figures on kang-ifnb-sub2k (docs/BENCHMARKS.md, "C2S tasks on real data"):
# models trained with `c2s train` from scratch (gpt_neox, hidden 256, 4 layers), then
#   1. cell type prediction on the held-out test split, free and constrained, gene-aware and
#      byte-level BPE tokenizers, next to k-NN (k=10) on log-normalised expression;
#   2. generated cells per cell type: validity, uniqueness, length, constrained vs not;
#   3. perturbation: trained on CTRL->STIM pairs of every cell type but B, predicting STIM
#      for B's control cells; Pearson r of predicted vs true response over the top 20/50 DE
#      genes and all genes, next to the mean response of the training cell types.
#
#   scripts/figures/kang-tasks.sh [WORK_DIR]     (about an hour on 2 busy cores)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/figures"
WORK="${1:-/tmp/c2s-kang-tasks}"
C2S="${C2S_BIN:-$ROOT/.build/release/c2s}"
PYTHON="${PYTHON:-python3}"
DATA="${DATA:-$ROOT/../shared/data/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad}"
[[ -x "$C2S" ]] || (cd "$ROOT" && swift build -c release --product c2s)
mkdir -p "$WORK" && cd "$WORK"
LABEL=seurat_annotations
TRAIN=(--new-model gpt_neox --hidden-size 256 --layers 4 --heads 4 --batch-size 8 --learning-rate 1e-3 --warmup-ratio 0.05 --eval-every 200 --overwrite)

"$C2S" convert "$DATA" -o kang-sentences --obs-columns "$LABEL",stim --overwrite
# Cell type prediction and generation, one example of each per cell on average, top 100 genes.
"$C2S" prompts kang-sentences --task cell_type_prediction:0.5 --task cell_type_generation:0.5 --examples 4000 --top-k 100 \
  --label-column "$LABEL" --stratify-by "$LABEL" -o ct-mix.jsonl --overwrite
"$C2S" tokenizer train ct-mix.jsonl --gene-aware kang-sentences -o tok-genes --overwrite
"$C2S" tokenizer train ct-mix.jsonl -o tok-bpe --overwrite
"$C2S" train ct-mix.jsonl "${TRAIN[@]}" --context 512 --tokenizer tok-genes --sentences kang-sentences --epochs 2 -o model-genes
"$C2S" train ct-mix.jsonl "${TRAIN[@]}" --context 1024 --tokenizer tok-bpe --sentences kang-sentences --epochs 2 -o model-bpe

echo "== 1. cell type prediction, test split"
"$PYTHON" "$HERE/knn_baseline.py" "$DATA" splits.json "$LABEL"
for m in genes bpe; do
  for mode in constrained free; do
    "$C2S" annotate --model model-$m kang-sentences --splits splits.json --split test --top-genes 100 --mode $mode \
      --compare-column "$LABEL" -o annotate-$m-$mode.h5ad --overwrite 2>&1 | grep -E "annotated|accuracy"
  done
done

echo "== 2. generated cells, 20 per cell type"
conditions=()
while IFS= read -r t; do conditions+=(--condition "$LABEL=$t"); done < <("$PYTHON" -c "
import json; print('\n'.join(json.loads(open('model-genes/c2s.json').read())['labels']['cell_type_prediction']))")
for m in genes bpe; do
  "$C2S" generate-cells --model model-$m "${conditions[@]}" -n 20 --top-genes 100 -o gen-$m-constrained.h5ad --overwrite 2>&1 | tail -1
  "$C2S" generate-cells --model model-$m "${conditions[@]}" -n 20 --top-genes 100 --unconstrained -o gen-$m-free.h5ad --overwrite 2>&1 | tail -1
done
"$PYTHON" "$HERE/generation_summary.py" "$LABEL" genes-constrained=gen-genes-constrained.h5ad genes-free=gen-genes-free.h5ad \
  bpe-constrained=gen-bpe-constrained.h5ad bpe-free=gen-bpe-free.h5ad

echo "== 3. perturbation, B cells held out"
"$PYTHON" "$HERE/holdout_splits.py" kang-sentences "$LABEL" B splits-holdout-B.json
mkdir -p pert
"$C2S" prompts kang-sentences --task perturbation_prediction --perturbation-column stim --control-value CTRL \
  --match-columns "$LABEL" --label-column "$LABEL" --perturbation-name "interferon-beta stimulation" --top-k 100 \
  --splits splits-holdout-B.json -o pert/pert.jsonl --overwrite
"$C2S" tokenizer train pert/pert.jsonl --gene-aware kang-sentences -o tok-pert --overwrite
"$C2S" train pert/pert.jsonl "${TRAIN[@]}" --context 512 --tokenizer tok-pert --sentences kang-sentences --epochs 4 -o model-pert
"$C2S" predict-perturbation --model model-pert --control kang-sentences --where stim=CTRL --where "$LABEL=B" \
  --perturbation "interferon-beta stimulation" --label-column "$LABEL" --top-genes 100 -o pert-B.h5ad --overwrite
# Real cells in the same space: top 100 genes, reconstructed with the same inverse transform.
"$PYTHON" -c "
import json
with open('kang-top100.jsonl', 'w') as out:
    for line in open('kang-sentences/cells.jsonl'):
        c = json.loads(line); c['cell_sentence'] = ' '.join(c['cell_sentence'].split(' ')[:100]); out.write(json.dumps(c) + '\n')"
"$C2S" reconstruct kang-top100.jsonl --dataset kang-sentences -o kang-top100.h5ad --overwrite
"$PYTHON" "$HERE/perturbation_eval.py" pert-B.h5ad kang-top100.h5ad "$LABEL" stim CTRL B
"$C2S" predict-perturbation --model model-pert --control kang-sentences --where stim=CTRL --where "$LABEL=B" \
  --perturbation "interferon-beta stimulation" --label-column "$LABEL" --top-genes 100 --sample -o pert-B-sampled.h5ad --overwrite
"$PYTHON" "$HERE/perturbation_eval.py" pert-B-sampled.h5ad kang-top100.h5ad "$LABEL" stim CTRL B
