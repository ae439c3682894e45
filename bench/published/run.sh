#!/usr/bin/env bash
# Published-checkpoint benchmark: a C2S-Scale-shaped Gemma-2 (0.53 B parameters, bf16 on disk,
# random weights, made by make_model.py) run by c2s and by transformers in bf16, same run.
#
#   bench/published/run.sh [WORK_DIR]
#
# Env: CELLS (100 real kang-ifnb-sub2k cells), GENES (200, the C2S-Scale cards' advice),
#      NEW (16 new tokens per answer), GEN_NEW (256), GEN_PROMPTS (8), BATCH (16),
#      C2S_FLAGS (extra flags for c2s, e.g. "--weights fp32"), C2S_BIN, PYTHON.
#
# annotate: `c2s annotate --mode free --prompt-format c2s-scale` on CELLS cells (whole command:
#   load, prompts, generation, output) against transformers' batched greedy generation
#   (left-padded batches of BATCH) of the same model inputs, which `c2s prompts --prompt-format
#   c2s-scale` writes (byte-identical to cell2sentence's formatter, PromptProfileParityTests).
#   transformers is timed twice: generation only, and its whole process.
# generate: GEN_PROMPTS prompts of 60 token ids, GEN_NEW sampled new tokens each (top-k 50,
#   top-p 0.95, exactly GEN_NEW), generation only on both sides.
# Peak RSS is the whole process's (GNU time).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${1:-/tmp/c2s-bench/published}"
CELLS="${CELLS:-100}"; GENES="${GENES:-200}"; NEW="${NEW:-16}"; GEN_NEW="${GEN_NEW:-256}"
GEN_PROMPTS="${GEN_PROMPTS:-8}"; BATCH="${BATCH:-16}"; C2S_FLAGS="${C2S_FLAGS:-}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
DATA="$ROOT/../shared/data/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"
source "$ROOT/bench/timing.sh"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
mkdir -p "$WORK"
MODEL="$WORK/C2S-Scale-shaped-0.6b"
"$PYTHON" "$ROOT/bench/published/make_model.py" "$MODEL"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%F)"
echo "model: $(du -m "$MODEL/model.safetensors" | cut -f1) MiB of bf16 safetensors; $CELLS cells x $GENES genes; batch $BATCH; c2s flags: ${C2S_FLAGS:-none}"

"$C2S_BIN" convert "$DATA" -o "$WORK/kang" --target-sum 10000 --log-base 10 --min-genes 0 --min-cells 0 \
  --tie-order reference --seed 42 --obs-columns seurat_annotations,stim --quiet --overwrite
head -n "$CELLS" "$WORK/kang/cells.jsonl" > "$WORK/cells.jsonl"
"$C2S_BIN" prompts "$WORK/cells.jsonl" -o "$WORK/prompts.jsonl" --prompt-format c2s-scale --task cell_type_prediction \
  --label-column seurat_annotations --top-k "$GENES" --organism "Homo sapiens" --overwrite --quiet
"$PYTHON" - "$WORK/gen-ids.jsonl" "$GEN_PROMPTS" <<'PY'
import json, random, sys
r = random.Random(1)
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write(json.dumps([2] + [r.randrange(3, 1600) for _ in range(59)]) + "\n")
PY

rss() { grep "Maximum resident" "$1" | awk '{printf "%.0f", $NF/1024}'; }
wall() { grep "Elapsed (wall clock)" "$1" | awk '{print $NF}' | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }'; }

# OPENBLAS_CORETYPE: see bench/inference/run.sh (a plain Debian user has it unset).
timed "$WORK/ref-annotate.time" "$PYTHON" "$ROOT/bench/published/ref_generate.py" annotate "$MODEL" "$WORK/prompts.jsonl" "$NEW" "$BATCH" "$WORK/ref-annotate.json" > "$WORK/ref-annotate.log" 2>&1
# shellcheck disable=SC2086
timed "$WORK/c2s-annotate.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" annotate --model "$MODEL" "$WORK/cells.jsonl" --mode free \
  --max-new-tokens "$NEW" --top-genes "$GENES" --prompt-format c2s-scale --batch-size "$BATCH" $C2S_FLAGS -o "$WORK/c2s-annotate.h5ad" --overwrite 2> "$WORK/c2s-annotate.log"
timed "$WORK/ref-generate.time" "$PYTHON" "$ROOT/bench/published/ref_generate.py" generate "$MODEL" "$WORK/gen-ids.jsonl" "$GEN_NEW" "$GEN_PROMPTS" "$WORK/ref-generate.json" > "$WORK/ref-generate.log" 2>&1
# shellcheck disable=SC2086
timed "$WORK/c2s-generate.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" lm generate --model "$MODEL" --prompt-ids "$WORK/gen-ids.jsonl" \
  --max-new-tokens "$GEN_NEW" --min-new-tokens "$GEN_NEW" --sample --top-k 50 --top-p 0.95 --seed 0 --timing $C2S_FLAGS \
  -o "$WORK/c2s-generate.jsonl" --overwrite 2> "$WORK/c2s-generate.log"

"$PYTHON" - "$WORK" "$(wall "$WORK/c2s-annotate.time")" "$(wall "$WORK/ref-annotate.time")" "$(rss "$WORK/c2s-annotate.time")" \
  "$(rss "$WORK/ref-annotate.time")" "$(rss "$WORK/c2s-generate.time")" "$(rss "$WORK/ref-generate.time")" "$GEN_NEW" <<'PY'
import csv, json, re, sys
work, c2s_s, ref_wall, c2s_mb, ref_mb, c2s_gen_mb, ref_gen_mb, gen_new = sys.argv[1:9]
c2s_s, ref_wall = float(c2s_s), float(ref_wall)
ref = json.load(open(f"{work}/ref-annotate.json"))
n = ref["sequences"]
log = open(f"{work}/c2s-annotate.log").read()
prompt = re.search(r"mean prompt (\d+) tokens", log).group(1)
print(f"annotate, {n} cells: transformers bf16 generation {ref['seconds']:7.2f} s (whole process {ref_wall:.1f} s, peak {ref_mb} MiB; "
      f"{ref['prompt_tokens'] / n:.0f} prompt tokens per cell, {ref['generated_tokens']} generated)")
print(f"                    c2s annotate, whole command {c2s_s:7.2f} s (peak {c2s_mb} MiB; mean prompt {prompt} tokens) "
      f"| speed-up {ref['seconds'] / c2s_s:.2f}x over transformers' generation alone, {ref_wall / c2s_s:.2f}x over its process")
rows = list(csv.DictReader(open(f"{work}/c2s-annotate.csv")))
first = rows[0]["c2s_label"]
theirs = ref["first_answer"].strip()
print(f"                    first answer: c2s {first[:60]!r} / transformers {theirs[:60]!r} (random weights: bf16 rounding may change a greedy pick)")
gen = json.load(open(f"{work}/ref-generate.json"))
c2s_gen = float(re.search(r"in ([0-9.]+) s", open(f"{work}/c2s-generate.log").read()).group(1))
tokens = gen["generated_tokens"]
print(f"generate, {gen['sequences']} x {gen_new} sampled tokens: transformers bf16 {gen['seconds']:7.2f} s ({tokens / gen['seconds']:6.1f} tok/s, peak {ref_gen_mb} MiB) "
      f"| c2s {c2s_gen:7.2f} s ({tokens / c2s_gen:6.1f} tok/s, peak {c2s_gen_mb} MiB) | speed-up {gen['seconds'] / c2s_gen:.2f}x")
PY
