#!/usr/bin/env bash
# UMAP of kang-ifnb-sub2k (2,000 cells): c2s against umap-learn on the same 50 principal
# components (log-normalised 1e4 + log1p, scikit-learn PCA), wall time of the UMAP itself and
# trustworthiness (k = 15, scikit-learn) of both maps. Run on a quiet machine.
#
#   C2S_BIN=.build/release/c2s bash bench/umap/run.sh [INPUT.h5ad]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
C2S_BIN=${C2S_BIN:-.build/release/c2s}
INPUT=${1:-/work/shared/data/kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad}
WORK=${WORK:-$(mktemp -d)}
PY="python3 $HERE/umap_peer.py"

$PY prepare "$INPUT" "$WORK/pcs.h5ad"
ours=$("$C2S_BIN" evaluate umap "$WORK/pcs.h5ad" --pca 0 -o "$WORK/c2s.csv" 2>/dev/null)
echo "c2s: $ours"
peer=$($PY peer "$WORK/pcs.h5ad" "$WORK/umap-learn.csv")
echo "$peer"
$PY score "$WORK/pcs.h5ad" "$WORK/c2s.csv" "$WORK/umap-learn.csv"
c2s_s=$(sed -E 's/.*: ([0-9.]+) s$/\1/' <<<"$ours")
warm_s=$(sed -E 's/.*warm ([0-9.]+) s.*/\1/' <<<"$peer")
cold_s=$(sed -E 's/.*cold ([0-9.]+) s.*/\1/' <<<"$peer")
python3 -c "print(f'ratio umap-learn / c2s: warm {$warm_s / $c2s_s:.2f}x, cold {$cold_s / $c2s_s:.2f}x')"
echo "files in $WORK"
