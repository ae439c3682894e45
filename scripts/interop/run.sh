#!/usr/bin/env bash
# Checks that Python's anndata reads the .h5ad files c2s writes (shape, values, labels).
# Usage: scripts/interop/run.sh PATH/TO/c2s
set -euo pipefail
bin=${1:-.build/release/c2s}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" simulate -o "$tmp/sim.h5ad" --cells 1500 --genes 800 --cell-types 5 --seed 7 --quiet
python3 "$here/check_h5ad.py" "$tmp/sim.h5ad" --shape 1500 800 --obs-column cell_type
echo "interop: 1 passed, 0 failed"
