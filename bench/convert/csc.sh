#!/usr/bin/env bash
# Wall time and peak memory of `c2s convert` on a CSC .h5ad (X stored column-major), beside the
# same cells stored CSR, for one or two c2s binaries; the sentences of every run are compared
# with the CSR run's (SHA-256 of cells.jsonl, so only one output is on disk at a time: 28 GB at
# 5M cells).
#
#   C2S_BIN=.build/release/c2s bench/convert/csc.sh                 # 1M cells
#   SIZES="200000 1000000" BEFORE_BIN=/path/to/older/c2s bench/convert/csc.sh
#
# Inputs are made once in $BENCH_DIR: `c2s simulate` (2,000 genes, CSR, gzip) and its CSC copy
# (bench/convert/to_csc.py, uncompressed: 5.4 GB at 1M cells; GZIP_CSC=1: gzip-compressed, as
# anndata writes with compression="gzip", which 5M cells need on a disk of ~70 GB). The CSC run also needs room for
# its scratch file in TMPDIR (8 bytes per stored value: 5.4 GB at 1M cells). On a shared
# machine, run it under the build lock so nothing else runs meanwhile.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-csc}"
SIZES="${SIZES:-1000000}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
BEFORE_BIN="${BEFORE_BIN:-}"
mkdir -p "$BENCH_DIR"

# Runs one conversion under /usr/bin/time and prints a table row; keeps the sentences in $2.
measure() {
  local label="$1" out="$2" bin="$3" input="$4" log="$BENCH_DIR/time.txt"
  /usr/bin/time -v -o "$log" "$bin" convert "$input" -o "$out" --overwrite --quiet --obs-columns cell_type
  local wall rss
  wall=$(awk -F': ' '/Elapsed/ {split($2,a,":"); if (length(a)==3) print a[1]*3600+a[2]*60+a[3]; else print a[1]*60+a[2]}' "$log")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$log")
  printf "| %s | %.1f | %d |" "$label" "$wall" "$rss"
}

echo "| run | wall s | peak MiB | sentences equal to CSR's |"
echo "|---|---|---|---|"
for n in $SIZES; do
  csr="$BENCH_DIR/sim$n.h5ad" csc="$BENCH_DIR/sim$n-csc.h5ad" gzip=()
  [[ -n "${GZIP_CSC:-}" ]] && { csc="$BENCH_DIR/sim$n-csc-gzip.h5ad"; gzip=(--gzip); }
  [[ -f "$csr" ]] || "$C2S_BIN" simulate -o "$csr" --cells "$n" --genes 2000 --seed 1 --quiet
  [[ -f "$csc" ]] || python3 "$HERE/to_csc.py" "$csr" "$csc" ${gzip[@]+"${gzip[@]}"} 2>/dev/null
  cat "$csr" "$csc" > /dev/null
  measure "$n cells, CSR, c2s" "$BENCH_DIR/out-csr" "$C2S_BIN" "$csr"; echo " (reference) |"
  reference=$(sha256sum "$BENCH_DIR/out-csr/cells.jsonl" | cut -d' ' -f1)
  rm -rf "$BENCH_DIR/out-csr"
  bins=("$C2S_BIN"); [[ -n "$BEFORE_BIN" ]] && bins=("$BEFORE_BIN" "$C2S_BIN")
  for bin in "${bins[@]}"; do
    name=$([[ "$bin" == "$BEFORE_BIN" ]] && echo before || echo c2s)
    measure "$n cells, CSC, $name" "$BENCH_DIR/out-csc" "$bin" "$csc"
    if [[ "$(sha256sum "$BENCH_DIR/out-csc/cells.jsonl" | cut -d' ' -f1)" == "$reference" ]]; then echo " yes |"; else echo " **no** |"; fi
    rm -rf "$BENCH_DIR/out-csc"
  done
done
