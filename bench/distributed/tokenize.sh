#!/usr/bin/env bash
# Reading and tokenizing a large prompt file at the start of `c2s train`: one process against
# 2 MPI ranks (`mpirun -np 2`), which divide the file between them (each parses and tokenizes
# its share, then they exchange the examples), and, given BASELINE_C2S, the same 2 ranks with
# another build (before the division every rank read the whole file), in one run.
#
#   bench/distributed/tokenize.sh [WORK_DIR]     PROMPTS=1000000 CELLS=20000 BASELINE_C2S=/path/to/c2s
#
# The model is tiny and trains one step without validation, so the command's wall time is the
# prompt file's reading, tokenization and (with ranks) exchange, plus a constant start-up.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-/tmp/c2s-bench-tokenize}"
PROMPTS="${PROMPTS:-1000000}"
CELLS="${CELLS:-20000}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
command -v mpirun >/dev/null || { echo "mpirun not found: apt install openmpi-bin" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$WORK"
cd "$WORK"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ! -f prompts-"$PROMPTS".jsonl ]]; then
  "$C2S_BIN" simulate -o sim.h5ad --cells "$CELLS" --cell-types 10 --overwrite -q
  "$C2S_BIN" convert sim.h5ad -o sentences --obs-columns cell_type --overwrite -q
  "$C2S_BIN" prompts sentences --task cell_type_prediction:2 --task cell_type_generation:1 --examples "$PROMPTS" \
    --label-column cell_type --stratify-by cell_type --top-k 100 -o prompts-"$PROMPTS".jsonl --overwrite -q
  "$C2S_BIN" tokenizer train prompts-"$PROMPTS".jsonl --gene-aware sentences -o tok --overwrite >/dev/null
fi
echo "prompt file: $PROMPTS prompts, $(du -m prompts-"$PROMPTS".jsonl | cut -f1) MiB"
TRAIN=(train prompts-"$PROMPTS".jsonl --new-model gpt_neox --hidden-size 32 --layers 1 --heads 2 --context 256
       --tokenizer tok --batch-size 8 --max-steps 1 --validation-split none --overwrite -q)
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); awk "BEGIN { print $t1 - $t0 }"; }
ratio() { awk "BEGIN { print $1 / $2 }"; }
one=$(seconds "$C2S_BIN" "${TRAIN[@]}" -o one)
two=$(seconds mpirun -np 2 --oversubscribe "$C2S_BIN" "${TRAIN[@]}" -o two)
cmp one/model.safetensors two/model.safetensors >/dev/null && same="the same weights" || same="weights differ by reduction order"
printf '%-52s %8.1f s\n' "1 process ($(nproc) threads)" "$one"
printf '%-52s %8.1f s  (%.2fx one process; %s)\n' "2 ranks x 1 thread, file divided between them" "$two" "$(ratio "$one" "$two")" "$same"
if [[ -n "${BASELINE_C2S:-}" ]]; then
  base=$(seconds mpirun -np 2 --oversubscribe "$BASELINE_C2S" "${TRAIN[@]}" -o base)
  printf '%-52s %8.1f s  (divided: %.2fx faster)\n' "2 ranks x 1 thread, $BASELINE_C2S" "$base" "$(ratio "$base" "$two")"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
