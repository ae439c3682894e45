# Shared by bench/reconstruct/run.sh and bench/prompts/run.sh (sourced, not run): builds or
# reuses the c2s binary and the sentence dataset, and defines `timed` (wall time and peak RSS)
# and `warm` (page cache warm, earlier writes synced). Expects ROOT, CONVERT, CELLS, TAG,
# BENCH_DIR, DATA_DIR, PYTHON, OBS_COLS and optionally DATASET and C2S_BIN.

c2s_bin() {
  if [[ -z "${C2S_BIN:-}" ]]; then
    echo "== swift build -c release --product c2s"
    (cd "$ROOT" && swift build -c release --product c2s)
    C2S_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/c2s"
  fi
}

manifest_cells() {
  "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["cells_kept"])' \
    "$1/manifest.json" 2>/dev/null || echo 0
}

# Sentence dataset: $DATASET, or the 100k (CELLS) kang dataset converted by c2s.
if [[ -n "${DATASET:-}" ]]; then
  [[ -f "$DATASET/cells.jsonl" ]] || { echo "DATASET has no cells.jsonl: $DATASET" >&2; exit 1; }
else
  DATASET="$BENCH_DIR/out-c2s"
  if [[ "$(manifest_cells "$DATASET")" != "$CELLS" ]]; then
    INPUT="$BENCH_DIR/kang$TAG.h5ad"
    if [[ ! -f "$INPUT" ]]; then
      SRC="$DATA_DIR/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad"
      if [[ ! -f "$SRC" ]]; then
        echo "SKIP: dataset not found: $SRC (expected ../shared/data relative to the repo root)" >&2
        exit 0
      fi
      echo "== building $INPUT"
      "$PYTHON" "$CONVERT/make_tiled.py" --src "$SRC" --cells "$CELLS" --out "$INPUT"
    fi
    c2s_bin
    echo "== c2s convert $INPUT -> $DATASET"
    "$C2S_BIN" convert "$INPUT" -o "$DATASET" --min-genes 0 --min-cells 0 \
      --obs-columns "$OBS_COLS" --overwrite --quiet
  fi
fi
CELLS="$(manifest_cells "$DATASET")"
warm() { cat "$DATASET"/cells.jsonl "$DATASET"/vocab.tsv "$DATASET"/manifest.json >/dev/null; sync; }  # sync: earlier writes stay out of the timing

source "$ROOT/bench/timing.sh"

C2S_TIME="$OUT/time-c2s.txt"
REF_TIME="$OUT/time-ref.txt"
