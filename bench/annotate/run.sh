#!/usr/bin/env bash
# Annotation benchmark: `c2s annotate` against the reference's predict_cell_types_of_data
# (cell2sentence 1.2.0 on transformers, fp32, all cores) with the same model and the same cells.
# Trains nothing: give it a model folder from `c2s train` (Hugging Face layout, with c2s.json and
# the training dataset's manifest.json + vocab.tsv, so c2s can convert the counts itself).
#
#   bench/annotate/run.sh MODEL_DIR [CELLS] [WORK_DIR]
#
# Env: DATA (default ../shared/data/kang-ifnb-sub2k/*.h5ad), LABEL (seurat_annotations),
#      GENES (genes per prompt, default 200), NEW (max new tokens, default 16), C2S_BIN, PYTHON.
#
# Both sides annotate the first CELLS cells (default 200) of DATA by greedy generation (c2s
# --mode free) with at most NEW new tokens, and c2s also in its constrained mode. Times are wall
# times of the whole `c2s annotate` command (model load, conversion, prompts, generation, output)
# and of the reference's predict_cell_types_of_data call (model reload, prompts, generation; its
# arrow conversion before it is reported apart). Prompts differ in wording (each side its own
# templates), so the mean prompt length in tokens is printed for both.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
MODEL="$(cd "${1:?usage: bench/annotate/run.sh MODEL_DIR [CELLS] [WORK_DIR]}" && pwd)"
CELLS="${2:-200}"
WORK="${3:-/tmp/c2s-bench/annotate}"
DATA="${DATA:-$(ls "$ROOT"/../shared/data/kang-ifnb-sub2k/*.h5ad | head -1)}"
LABEL="${LABEL:-seurat_annotations}"
GENES="${GENES:-200}"
NEW="${NEW:-16}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
source "$ROOT/bench/timing.sh"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
rm -rf "$WORK" && mkdir -p "$WORK"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model: $MODEL ($(du -sh "$MODEL" | cut -f1)); data: $DATA, first $CELLS cells; $GENES genes per prompt, at most $NEW new tokens"

"$PYTHON" - "$DATA" "$CELLS" "$WORK/cells.h5ad" <<'PY'
import sys, anndata
a = anndata.read_h5ad(sys.argv[1])
a[: int(sys.argv[2])].copy().write_h5ad(sys.argv[3])
PY

rss() { grep "Maximum resident" "$1" | awk '{printf "%.0f", $NF/1024}'; }
wall() { grep "Elapsed (wall clock)" "$1" | awk '{print $NF}' | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }'; }

timed "$WORK/ref.time" "$PYTHON" "$ROOT/bench/annotate/ref_annotate.py" "$MODEL" "$WORK/cells.h5ad" "$LABEL" "$GENES" "$NEW" "$WORK" "$WORK/ref.json" > "$WORK/ref.log" 2>&1
# OPENBLAS_CORETYPE: see bench/inference/run.sh (a plain Debian user has it unset).
for mode in free constrained; do
  timed "$WORK/c2s-$mode.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" annotate --model "$MODEL" "$WORK/cells.h5ad" --mode "$mode" \
    --max-new-tokens "$NEW" --top-genes "$GENES" --compare-column "$LABEL" -o "$WORK/c2s-$mode.h5ad" 2> "$WORK/c2s-$mode.log"
done
"$PYTHON" - "$WORK" "$(wall "$WORK/c2s-free.time")" "$(wall "$WORK/c2s-constrained.time")" "$(rss "$WORK/ref.time")" \
  "$(rss "$WORK/c2s-free.time")" "$(rss "$WORK/c2s-constrained.time")" <<'PY'
import csv, json, sys
work, free_s, cons_s, ref_mb, free_mb, cons_mb = sys.argv[1:7]
free_s, cons_s = float(free_s), float(cons_s)
ref = json.load(open(f"{work}/ref.json"))
truth = dict(zip(ref["cells"], ref["truth"]))
def accuracy(pairs):
    pairs = list(pairs)
    return 100 * sum(p == t for p, t in pairs) / max(1, len(pairs))
def ours(mode):
    rows = list(csv.DictReader(open(f"{work}/c2s-{mode}.csv")))
    return {r["cell_name"]: r["c2s_label"] for r in rows}
free, cons = ours("free"), ours("constrained")
n = len(ref["cells"])
import re
prompt = re.search(r"mean prompt (\d+) tokens", open(f"{work}/c2s-free.log").read()).group(1)
ref_s = ref["predict_seconds"]
print(f"reference predict_cell_types_of_data: {ref_s:8.2f} s ({n / ref_s:6.2f} cells/s, peak {ref_mb} MiB; arrow conversion before it {ref['convert_seconds']:.2f} s), "
      f"accuracy {accuracy((p, truth[c]) for c, p in zip(ref['cells'], ref['predictions'])):.1f}%, mean prompt {ref['mean_prompt_tokens']:.0f} tokens")
print(f"c2s annotate --mode free:             {free_s:8.2f} s ({n / free_s:6.2f} cells/s, peak {free_mb} MiB), accuracy {accuracy((free[c], truth[c]) for c in ref['cells']):.1f}%"
      f", mean prompt {prompt} tokens | speed-up {ref_s / free_s:5.2f}x")
print(f"c2s annotate --mode constrained:      {cons_s:8.2f} s ({n / cons_s:6.2f} cells/s, peak {cons_mb} MiB), accuracy {accuracy((cons[c], truth[c]) for c in ref['cells']):.1f}%"
      f" | speed-up {ref_s / cons_s:5.2f}x")
agree = sum(free[c] == p for c, p in zip(ref["cells"], ref["predictions"]))
print(f"free answers equal to the reference's: {agree} of {n} (prompt wordings differ)")
PY
