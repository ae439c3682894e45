#!/usr/bin/env bash
# Evaluation benchmark: `c2s evaluate generation` against the same metrics computed in Python
# (scikit-learn k-NN, rapidfuzz edit distances, scipy statistics, scikit-learn RBF kernel, POT
# Gromov-Wasserstein) on the same files, in one run; prints time per stage, the ratio, and
# whether the k-NN table and the mean profiles agree.
#
#   CELLS=20000 bench/evaluate/run.sh
#
# Env:
#   CELLS      simulated cells (default 20000, 2,000 genes): 25 % become the "generated" set,
#              50 % the real held-out set, 25 % the real training set (log-normalised)
#   C2S_BIN    c2s binary (default: swift build -c release --product c2s)
#   BENCH_DIR  work dir (default /tmp/c2s-bench/evaluate)
#   PYTHON     python interpreter (default python3; needs anndata, scikit-learn, rapidfuzz, pot)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CELLS="${CELLS:-20000}"
BENCH_DIR="${BENCH_DIR:-/tmp/c2s-bench/evaluate}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$BENCH_DIR"
source "$ROOT/bench/timing.sh"

if [[ -z "${C2S_BIN:-}" ]]; then
  (cd "$ROOT" && swift build -c release --product c2s >/dev/null)
  C2S_BIN="$ROOT/.build/release/c2s"
fi

if [[ ! -f "$BENCH_DIR/gen$CELLS.h5ad" ]]; then
  "$C2S_BIN" simulate -o "$BENCH_DIR/sim$CELLS.h5ad" --cells "$CELLS" --genes 2000 --seed 1 --overwrite
  "$PYTHON" "$HERE/make_inputs.py" "$BENCH_DIR/sim$CELLS.h5ad" "$BENCH_DIR" "$CELLS"
fi
GEN="$BENCH_DIR/gen$CELLS.h5ad" REAL="$BENCH_DIR/real$CELLS.h5ad" TRAIN="$BENCH_DIR/train$CELLS.h5ad"

sync
echo "== c2s evaluate generation ($CELLS cells)"
timed "$BENCH_DIR/c2s.time" "$C2S_BIN" evaluate generation --generated "$GEN" --real "$REAL" --real-train "$TRAIN" \
  --label-column cell_type -o "$BENCH_DIR/c2s.json" --quiet
sync
echo "== Python (scikit-learn, rapidfuzz, scipy, POT)"
timed "$BENCH_DIR/ref.time" "$PYTHON" "$HERE/ref_evaluate.py" "$GEN" "$REAL" "$TRAIN" "$BENCH_DIR/ref.json"

"$PYTHON" "$HERE/compare.py" "$BENCH_DIR/c2s.json" "$BENCH_DIR/c2s.time" "$BENCH_DIR/ref.json" "$BENCH_DIR/ref.time"
