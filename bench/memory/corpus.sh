#!/usr/bin/env bash
# Peak memory of `c2s corpus` against the number of sources: one simulated dataset of CELLS
# cells given as 1, 3 and 6 sources (`s1=sentences s2=sentences ...`), cell type prediction
# prompts, `/usr/bin/time -v`; with BASELINE_C2S, the same runs with another build, and whether
# both wrote the same splits.json and prompts.jsonl.
#
#   bench/memory/corpus.sh [WORK_DIR]     CELLS=100000 SOURCES="1 3 6" BASELINE_C2S=/path/to/c2s
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-/tmp/c2s-bench-corpus}"
CELLS="${CELLS:-100000}"
SOURCES="${SOURCES:-1 3 6}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
mkdir -p "$WORK"
cd "$WORK"
if [[ ! -d sentences-"$CELLS" ]]; then
  "$C2S_BIN" simulate --cells "$CELLS" --cell-types 10 -o sim-"$CELLS".h5ad --overwrite -q
  "$C2S_BIN" convert sim-"$CELLS".h5ad -o sentences-"$CELLS" --obs-columns cell_type --overwrite -q
fi
run() {  # run NAME BINARY SOURCES -> "peak MiB, seconds"
  local args=() n
  for n in $(seq 1 "$3"); do args+=("s$n=sentences-$CELLS" --dataset-label-column "s$n=cell_type"); done
  /usr/bin/time -v "$2" corpus "${args[@]}" --task cell_type_prediction:1 -o "corpus-$1-$3" --overwrite -q 2>"time-$1-$3.txt" >/dev/null
  awk '/Maximum resident/ { kb = $6 } /Elapsed/ { t = $8 } END { printf "%6.0f MiB (%s)", kb / 1024, t }' "time-$1-$3.txt"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $CELLS cells per source"
for n in $SOURCES; do
  line="$(printf '%2d sources, %8d cells: %s' "$n" $((n * CELLS)) "$(run this "$C2S_BIN" "$n")")"
  if [[ -n "${BASELINE_C2S:-}" ]]; then
    line+="   baseline: $(run base "$BASELINE_C2S" "$n")"
    cmp -s "corpus-this-$n/splits.json" "corpus-base-$n/splits.json" && cmp -s "corpus-this-$n/prompts.jsonl" "corpus-base-$n/prompts.jsonl" \
      && line+="   same splits.json and prompts.jsonl" || line+="   OUTPUTS DIFFER"
  fi
  echo "$line"
done
