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
REF_LOG="$OUT/ref.log"
C2S_OUT="$OUT/c2s/prompts.jsonl"
REF_OUT="$OUT/ref/prompts.jsonl"

# (b) c2s
if [[ "${SKIP_C2S:-0}" != 1 ]]; then
  c2s_bin
  rm -f "$C2S_TIME" "$C2S_OUT"
  warm
  echo "== c2s prompts ($CELLS cells)"
  # Not --quiet: c2s prints its own stage times (load, format, write) on stderr.
  timed "$C2S_TIME" "$C2S_BIN" prompts "$DATASET" --task "$TASK" --label-column "$LABEL" \
    --top-k "$TOPK" --seed 0 -o "$C2S_OUT" --overwrite 2> "$OUT/c2s.log" \
    || echo "c2s exited non-zero" >&2
  cat "$OUT/c2s.log"
fi

# (c) reference
if [[ "${SKIP_REF:-0}" != 1 ]]; then
  rm -f "$REF_TIME" "$REF_LOG" "$REF_OUT"
  warm
  echo "== reference cell2sentence 1.2.0 C2SPromptFormatter.format_hf_ds ($CELLS cells)"
  timed "$REF_TIME" "$PYTHON" "$HERE/ref_prompts.py" "$DATASET" "$REF_OUT" \
    --task "$TASK" --top-k "$TOPK" --label-column "$LABEL" \
    > "$REF_LOG" || echo "reference exited non-zero" >&2
  cat "$REF_LOG"
fi

# (d) table
"$PYTHON" "$HERE/report.py" "$CELLS" c2s="$C2S_TIME" reference="$REF_TIME" stages="$REF_LOG"
# Formatting alone, both sides: c2s's "format" stage against format_hf_ds.
"$PYTHON" - "$OUT/c2s.log" "$REF_LOG" <<'PY' || true
import json, re, sys
c2s = open(sys.argv[1]).read() if len(sys.argv) > 1 else ""
m = re.search(r"format ([0-9.]+) s", c2s)
stages = next((json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[2]) if l.startswith("STAGES ")), {})
if m and "format" in stages:
    f = float(m.group(1))
    print(f"formatting only: c2s {f:.3f} s, reference format_hf_ds {stages['format']:.2f} s, ratio {stages['format'] / max(f, 1e-3):.1f}x")
PY

# (e) check the c2s output on 500 random lines
echo
if [[ -f "$C2S_OUT" ]]; then
  "$PYTHON" "$HERE/check.py" "$C2S_OUT" "$DATASET" --top-k "$TOPK" --label-column "$LABEL" \
    --n 500 --expect "$CELLS"
else
  echo "check: skipped (no $C2S_OUT)"
fi
