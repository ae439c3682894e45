#!/usr/bin/env bash
# Convert benchmark: c2s (Swift) vs the reference cell2sentence 1.2.0 Python path.
#
#   CELLS=100000 bench/convert/run.sh
#
# Env:
#   CELLS       number of cells (default 100000); kang-ifnb-sub2k is tiled by rows
#   C2S_BIN     c2s binary to use; if unset: swift build -c release --product c2s
#   BENCH_DIR   work dir (default /tmp/c2s-bench)
#   DATA_DIR    dataset root (default <repo>/../shared/data)
#   SKIP_C2S=1  / SKIP_REF=1   run only one side
#   PYTHON      python interpreter (default python3)
#
# Timing/peak RSS via `/usr/bin/time -v` (installs the `time` package with apt-get if
# missing and running as root), else bench/convert/measure.py (getrusage children).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CELLS="${CELLS:-100000}"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-bench}"
DATA_DIR="${DATA_DIR:-$ROOT/../shared/data}"
PYTHON="${PYTHON:-python3}"
SRC="$DATA_DIR/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"
OBS_COLS="seurat_annotations,stim"

if [[ ! -f "$SRC" ]]; then
  echo "SKIP: dataset not found: $SRC (expected ../shared/data relative to the repo root)" >&2
  exit 0
fi

if (( CELLS % 1000 == 0 )); then TAG="$((CELLS / 1000))k"; else TAG="$CELLS"; fi
INPUT="$BENCH_DIR/kang$TAG.h5ad"
mkdir -p "$BENCH_DIR"

# (a) tiled input
if [[ ! -f "$INPUT" ]]; then
  echo "== building $INPUT"
  "$PYTHON" "$HERE/make_tiled.py" --src "$SRC" --cells "$CELLS" --out "$INPUT"
fi

source "$ROOT/bench/timing.sh"

C2S_TIME="$BENCH_DIR/time-c2s-$TAG.txt"
REF_TIME="$BENCH_DIR/time-ref-$TAG.txt"
rm -f "$C2S_TIME" "$REF_TIME"

# (b) c2s
if [[ "${SKIP_C2S:-0}" != 1 ]]; then
  if [[ -z "${C2S_BIN:-}" ]]; then
    echo "== swift build -c release --product c2s"
    (cd "$ROOT" && swift build -c release --product c2s)
    C2S_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/c2s"
  fi
  OUT_C2S="$BENCH_DIR/out-c2s"
  rm -rf "$OUT_C2S"
  # warm the page cache so both tools read the input from memory
  cat "$INPUT" >/dev/null; sync  # warm page cache; flush earlier writes so they do not land in the timing
  echo "== c2s convert ($CELLS cells)"
  timed "$C2S_TIME" "$C2S_BIN" convert "$INPUT" -o "$OUT_C2S" \
    --min-genes 0 --min-cells 0 --target-sum 1e4 --log-base 10 \
    --obs-columns "$OBS_COLS" --quiet || echo "c2s exited non-zero" >&2
fi

# (c) reference
if [[ "${SKIP_REF:-0}" != 1 ]]; then
  OUT_REF="$BENCH_DIR/out-ref"
  rm -rf "$OUT_REF"
  cat "$INPUT" >/dev/null; sync  # warm page cache; flush earlier writes so they do not land in the timing
  echo "== reference cell2sentence 1.2.0 ($CELLS cells)"
  timed "$REF_TIME" "$PYTHON" "$HERE/ref_convert.py" "$INPUT" "$OUT_REF" \
    --obs-columns "$OBS_COLS" || echo "reference exited non-zero" >&2
fi

# (d) table
"$PYTHON" "$HERE/report.py" "$CELLS" c2s="$C2S_TIME" reference="$REF_TIME"
