#!/usr/bin/env bash
# Peak memory of `c2s convert` as the number of cells grows (streaming check).
#
#   bench/convert/scale.sh            # 10k, 100k and 1M simulated cells x 2,000 genes
#   SIZES="10000 100000" bench/convert/scale.sh
#
# Inputs are made once with `c2s simulate` (gzip-compressed CSR h5ad) in $BENCH_DIR.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-bench}"
SIZES="${SIZES:-10000 100000 1000000}"
if [[ -z "${C2S_BIN:-}" ]]; then
  (cd "$ROOT" && swift build -c release --product c2s >/dev/null)
  C2S_BIN="$ROOT/.build/release/c2s"
fi
if [[ ! -x /usr/bin/time ]] && [[ $(id -u) -eq 0 ]]; then apt-get install -y -qq time >/dev/null 2>&1 || true; fi
mkdir -p "$BENCH_DIR"
printf "%10s %12s %10s %12s %12s\n" cells nonzeros wall_s peak_MiB MiB_per_1k_cells
for n in $SIZES; do
  input="$BENCH_DIR/sim$n.h5ad"
  [[ -f "$input" ]] || "$C2S_BIN" simulate -o "$input" --cells "$n" --genes 2000 --seed 1 --quiet
  out="$BENCH_DIR/sim$n-sentences"
  log="$BENCH_DIR/time-scale-$n.txt"
  cat "$input" > /dev/null
  /usr/bin/time -v -o "$log" "$C2S_BIN" convert "$input" -o "$out" --overwrite --quiet --obs-columns cell_type
  wall=$(awk -F': ' '/Elapsed/ {split($2,a,":"); if (length(a)==3) print a[1]*3600+a[2]*60+a[3]; else print a[1]*60+a[2]}' "$log")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$log")
  nnz=$(python3 -c "import json;m=json.load(open('$out/manifest.json'));print(round(m['sentences']['mean_length']*m['counts']['cells_kept']))")
  printf "%10d %12d %10.2f %12d %12.2f\n" "$n" "$nnz" "$wall" "$rss" "$(echo "$rss * 1000 / $n" | bc -l)"
  rm -rf "$out"
done
