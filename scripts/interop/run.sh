#!/usr/bin/env bash
# Checks that Python's anndata reads the .h5ad files c2s writes (shape, values, labels):
# a simulated count matrix, and expression reconstructed from its cell sentences.
# Usage: scripts/interop/run.sh PATH/TO/c2s
set -euo pipefail
bin=${1:-.build/release/c2s}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
"$bin" simulate -o "$tmp/sim.h5ad" --cells 1500 --genes 800 --cell-types 5 --seed 7 --quiet
python3 "$here/check_h5ad.py" "$tmp/sim.h5ad" --shape 1500 800 --obs-column cell_type
passed=$((passed + 1))
"$bin" convert "$tmp/sim.h5ad" -o "$tmp/sentences" --obs-columns cell_type,batch --quiet
genes=$(($(wc -l < "$tmp/sentences/vocab.tsv") - 1))
cells=$(wc -l < "$tmp/sentences/cells.jsonl")
"$bin" reconstruct "$tmp/sentences" -o "$tmp/reconstructed.h5ad" --quiet
python3 "$here/check_h5ad.py" "$tmp/reconstructed.h5ad" --shape "$cells" "$genes" --obs-column cell_type
passed=$((passed + 1))
echo "interop: $passed passed, 0 failed"
