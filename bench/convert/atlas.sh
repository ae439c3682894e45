#!/usr/bin/env bash
# Wall time and peak memory of `c2s convert` at atlas scale: one large simulated file per size,
# and a list of files converted into one dataset.
#
#   C2S_BIN=.build/release/c2s bench/convert/atlas.sh              # 1M and 5M cells, 5 x 200k
#   SIZES="1000000" PARTS=5 PART_CELLS=200000 bench/convert/atlas.sh
#
# Inputs are made once with `c2s simulate` (2,000 genes, gzip-compressed CSR h5ad) in
# $BENCH_DIR (5M cells: 4.4 GB of input and about 19 GB of sentences, removed after each run).
# On a shared machine, run it under the build lock so nothing else runs meanwhile.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-atlas}"
SIZES="${SIZES:-1000000 5000000}"
PARTS="${PARTS:-5}"
PART_CELLS="${PART_CELLS:-200000}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
mkdir -p "$BENCH_DIR"

# Runs one conversion under /usr/bin/time and prints a table row.
measure() {
  local label="$1"; shift
  local out="$BENCH_DIR/out-sentences" log="$BENCH_DIR/time.txt"
  /usr/bin/time -v -o "$log" "$C2S_BIN" convert "$@" -o "$out" --overwrite --quiet --obs-columns cell_type
  local wall rss cells
  wall=$(awk -F': ' '/Elapsed/ {split($2,a,":"); if (length(a)==3) print a[1]*3600+a[2]*60+a[3]; else print a[1]*60+a[2]}' "$log")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$log")
  cells=$(python3 -c "import json;print(json.load(open('$out/manifest.json'))['counts']['cells_in'])")
  printf "| %s | %d | %.1f | %d |\n" "$label" "$cells" "$wall" "$rss"
  rm -rf "$out"
}

echo "| input | cells | wall s | peak MiB |"
echo "|---|---|---|---|"
for n in $SIZES; do
  input="$BENCH_DIR/sim$n.h5ad"
  [[ -f "$input" ]] || "$C2S_BIN" simulate -o "$input" --cells "$n" --genes 2000 --seed 1 --quiet
  cat "$input" > /dev/null
  measure "one file, $n cells" "$input"
done
if [[ "$PARTS" -gt 0 ]]; then
  # One seed for every part: the simulator places its named genes by the seed, and the parts
  # must share their genes; so the parts hold the same cells (the work is the same).
  files=()
  for i in $(seq 1 "$PARTS"); do
    f="$BENCH_DIR/part$i.h5ad"
    [[ -f "$f" ]] || "$C2S_BIN" simulate -o "$f" --cells "$PART_CELLS" --genes 2000 --seed 1 --quiet
    files+=("$f")
  done
  cat "${files[@]}" > /dev/null
  # The simulator names cells alike in every file, so repeats are renamed.
  measure "$PARTS files x $PART_CELLS cells" "${files[@]}" --make-names-unique
fi
