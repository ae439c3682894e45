#!/usr/bin/env bash
# Prompts benchmark: `c2s prompts` (Swift) vs the reference cell2sentence 1.2.0
# C2SPromptFormatter(task="cell_type_prediction", top_k_genes=200).format_hf_ds + to_json,
# on the same sentence dataset.
#
#   CELLS=100000 bench/prompts/run.sh
#
# Env:
#   CELLS       number of cells (default 100000); used for the default dataset
#   DATASET     sentence dataset folder (from `c2s convert`); default $BENCH_DIR/out-c2s,
#               (re)built from $BENCH_DIR/kang<CELLS>.h5ad when missing or of another size
#   C2S_BIN     c2s binary to use; if unset: swift build -c release --product c2s
#   BENCH_DIR   work dir (default /tmp/c2s-bench)
#   OUT         output dir (default $BENCH_DIR/prompts): c2s/prompts.jsonl, ref/prompts.jsonl
#   DATA_DIR    dataset root for the tiled input (default <repo>/../shared/data)
#   RUNS        how many times to run both sides, alternately (default 3); the formatting
#               ratio is printed for every run, with the load average, and their median
#   SKIP_C2S=1  / SKIP_REF=1   run only one side
#   PYTHON      python interpreter (default python3)
#
# Timing/peak RSS via `/usr/bin/time -v`, else bench/convert/measure.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CONVERT="$ROOT/bench/convert"
CELLS="${CELLS:-100000}"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-bench}"
OUT="${OUT:-$BENCH_DIR/prompts}"
DATA_DIR="${DATA_DIR:-$ROOT/../shared/data}"
PYTHON="${PYTHON:-python3}"
OBS_COLS="seurat_annotations,stim"
TASK=cell_type_prediction
LABEL=seurat_annotations
TOPK=200

if (( CELLS % 1000 == 0 )); then TAG="$((CELLS / 1000))k"; else TAG="$CELLS"; fi
mkdir -p "$BENCH_DIR" "$OUT/c2s" "$OUT/ref"

source "$ROOT/bench/sentence-dataset.sh"
C2S_OUT="$OUT/c2s/prompts.jsonl"
REF_OUT="$OUT/ref/prompts.jsonl"

# (b)+(c) c2s and the reference, RUNS times, one after the other (so that both see the same
# load from other processes); each run's logs and times go to $OUT/run<i>/.
RUNS="${RUNS:-3}"
[[ "${SKIP_C2S:-0}" != 1 ]] && c2s_bin
for ((run = 1; run <= RUNS; run++)); do
  R="$OUT/run$run"
  mkdir -p "$R"
  cut -d' ' -f1-3 /proc/loadavg > "$R/loadavg" 2>/dev/null || echo "n/a" > "$R/loadavg"
  if [[ "${SKIP_C2S:-0}" != 1 ]]; then
    rm -f "$R/time-c2s.txt" "$C2S_OUT"
    warm
    echo "== run $run/$RUNS: c2s prompts ($CELLS cells), load average $(cat "$R/loadavg")"
    # Not --quiet: c2s prints its own stage times (load, splits, format, write) on stderr.
    timed "$R/time-c2s.txt" "$C2S_BIN" prompts "$DATASET" --task "$TASK" --label-column "$LABEL" \
      --top-k "$TOPK" --seed 0 -o "$C2S_OUT" --overwrite 2> "$R/c2s.log" \
      || echo "c2s exited non-zero" >&2
    cat "$R/c2s.log"
  fi
  if [[ "${SKIP_REF:-0}" != 1 ]]; then
    rm -f "$R/time-ref.txt" "$R/ref.log" "$REF_OUT"
    warm
    echo "== run $run/$RUNS: reference cell2sentence 1.2.0 C2SPromptFormatter.format_hf_ds ($CELLS cells)"
    timed "$R/time-ref.txt" "$PYTHON" "$HERE/ref_prompts.py" "$DATASET" "$REF_OUT" \
      --task "$TASK" --top-k "$TOPK" --label-column "$LABEL" \
      > "$R/ref.log" || echo "reference exited non-zero" >&2
    cat "$R/ref.log"
  fi
done

# (d) tables: the last run in full, then the ratios of every run.
R="$OUT/run$RUNS"
"$PYTHON" "$HERE/report.py" "$CELLS" c2s="$R/time-c2s.txt" reference="$R/time-ref.txt" stages="$R/ref.log"
"$PYTHON" "$HERE/ratios.py" "$OUT" "$RUNS" || true

# (e) check the c2s output on 500 random lines
echo
if [[ -f "$C2S_OUT" ]]; then
  "$PYTHON" "$HERE/check.py" "$C2S_OUT" "$DATASET" --top-k "$TOPK" --label-column "$LABEL" \
    --n 500 --expect "$CELLS"
else
  echo "check: skipped (no $C2S_OUT)"
fi
