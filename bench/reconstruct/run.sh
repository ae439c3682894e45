#!/usr/bin/env bash
# Reconstruct benchmark: `c2s reconstruct` (Swift) vs the reference cell2sentence 1.2.0
# loop over utils.reconstruct_expression_from_cell_sentence, on the same sentence dataset.
#
#   CELLS=100000 bench/reconstruct/run.sh
#
# Env:
#   CELLS       number of cells (default 100000); used for the default dataset
#   DATASET     sentence dataset folder (from `c2s convert`); default $BENCH_DIR/out-c2s,
#               (re)built from $BENCH_DIR/kang<CELLS>.h5ad when missing or of another size
#   C2S_BIN     c2s binary to use; if unset: swift build -c release --product c2s
#   BENCH_DIR   work dir (default /tmp/c2s-bench)
#   OUT         output dir for c2s.h5ad / ref.h5ad (default $BENCH_DIR/reconstruct)
#   DATA_DIR    dataset root for the tiled input (default <repo>/../shared/data)
#   SKIP_C2S=1  / SKIP_REF=1   run only one side (the comparison needs both outputs)
#   PYTHON      python interpreter (default python3)
#
# Timing/peak RSS via `/usr/bin/time -v`, else bench/convert/measure.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CONVERT="$ROOT/bench/convert"
CELLS="${CELLS:-100000}"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-bench}"
OUT="${OUT:-$BENCH_DIR/reconstruct}"
DATA_DIR="${DATA_DIR:-$ROOT/../shared/data}"
PYTHON="${PYTHON:-python3}"
OBS_COLS="seurat_annotations,stim"

if (( CELLS % 1000 == 0 )); then TAG="$((CELLS / 1000))k"; else TAG="$CELLS"; fi
mkdir -p "$BENCH_DIR" "$OUT"

source "$ROOT/bench/sentence-dataset.sh"
REF_LOG="$OUT/ref.log"

# (b) c2s
if [[ "${SKIP_C2S:-0}" != 1 ]]; then
  c2s_bin
  rm -f "$C2S_TIME" "$OUT/c2s.h5ad"
  warm
  echo "== c2s reconstruct ($CELLS cells)"
  timed "$C2S_TIME" "$C2S_BIN" reconstruct "$DATASET" -o "$OUT/c2s.h5ad" --overwrite --quiet \
    || echo "c2s exited non-zero" >&2
fi

# (c) reference
if [[ "${SKIP_REF:-0}" != 1 ]]; then
  rm -f "$REF_TIME" "$REF_LOG" "$OUT/ref.h5ad"
  warm
  echo "== reference cell2sentence 1.2.0 reconstruct loop ($CELLS cells)"
  timed "$REF_TIME" "$PYTHON" "$HERE/ref_reconstruct.py" "$DATASET" "$OUT/ref.h5ad" \
    > "$REF_LOG" || echo "reference exited non-zero" >&2
  cat "$REF_LOG"
fi

# (d) table
"$PYTHON" "$HERE/report.py" "$CELLS" c2s="$C2S_TIME" reference="$REF_TIME" stages="$REF_LOG"

# (e) agreement on 200 random cells
if [[ -f "$OUT/c2s.h5ad" && -f "$OUT/ref.h5ad" ]]; then
  echo
  "$PYTHON" "$HERE/compare.py" "$OUT/ref.h5ad" "$OUT/c2s.h5ad" --dataset "$DATASET" --n 200
else
  echo "compare: skipped (needs both $OUT/c2s.h5ad and $OUT/ref.h5ad)"
fi
