#!/usr/bin/env bash
# Inference benchmark: c2s's engine against transformers' model.generate (PyTorch, fp32, both
# cores) on a randomly initialised GPT-NeoX of Pythia-160m's shape, same prompts, same run.
#
#   bench/inference/run.sh [WORK_DIR]
#
# Shapes (issue #5):
#   annotate  8 prompts x 850 tokens, 8 greedy new tokens   -> prompts/s (cell type prediction)
#   generate  8 prompts x 60 tokens, 256 sampled new tokens (top-k 50, top-p 0.95) -> new tokens/s
#   generate-bf16  the same with c2s's optional bf16 decoding (--bf16)
# Both engines generate exactly the requested number of tokens (min new tokens = max), time
# only generation (model loading excluded), and report peak RSS of the whole process.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${1:-/tmp/c2s-bench}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
source "$ROOT/bench/timing.sh"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
MODEL="$WORK/pythia160m"
PROMPTS="$WORK/inference-prompts"
"$PYTHON" "$ROOT/bench/inference/make_model.py" "$MODEL" "$PROMPTS"
mkdir -p "$WORK/inference-out"
echo "OPENBLAS_CORETYPE in this environment: ${OPENBLAS_CORETYPE:-unset} (c2s runs with it unset, so OpenBLAS detects the CPU itself; transformers uses PyTorch's own kernels)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"

rss() { grep "Maximum resident" "$1" | awk '{printf "%.0f", $NF/1024}'; }

run_shape() {
  local label="$1" name="$2" new="$3" mode="$4"; shift 4
  local out="$WORK/inference-out/$label"
  timed "$out.ref.time" "$PYTHON" "$ROOT/bench/inference/ref_generate.py" "$MODEL" "$PROMPTS/$name.jsonl" "$new" "$mode" "$out.ref.json" "${REF_DTYPE:-float32}" >/dev/null 2>&1
  # This machine's environment sets OPENBLAS_CORETYPE=Haswell, which keeps OpenBLAS off the
  # AVX-512 kernels it picks by itself here (Cooperlake); a plain Debian user has it unset.
  timed "$out.c2s.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" lm generate --model "$MODEL" --prompt-ids "$PROMPTS/$name.jsonl" \
    --max-new-tokens "$new" --min-new-tokens "$new" --timing "$@" -o "$out.c2s.jsonl" --overwrite 2> "$out.c2s.err"
  local ref_s c2s_s
  ref_s=$("$PYTHON" -c "import json; print(json.load(open('$out.ref.json'))['seconds'])")
  c2s_s=$(grep -o 'in [0-9.]* s' "$out.c2s.err" | awk '{print $2}')
  "$PYTHON" - "$name" "$new" "$ref_s" "$c2s_s" "$(rss "$out.ref.time")" "$(rss "$out.c2s.time")" "$out" "$label" <<'PY'
import json, sys
label = sys.argv[8]
name, new, ref_s, c2s_s, ref_mb, c2s_mb, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
ref = json.load(open(out + ".ref.json"))
first = json.loads(open(out + ".c2s.jsonl").readline())["tokens"]
same = "identical" if first == ref["first_continuation"] else "differs (sampled: different random streams)" if name == "generate" else "DIFFERS"
seqs = 8
print(f"{label:14s} transformers {ref_s:7.2f} s ({seqs/ref_s:6.3f} prompts/s, {new*seqs/ref_s:7.1f} new tok/s, peak {ref_mb} MiB) | "
      f"c2s {c2s_s:7.2f} s ({seqs/c2s_s:6.3f} prompts/s, {new*seqs/c2s_s:7.1f} new tok/s, peak {c2s_mb} MiB) | "
      f"speed-up {ref_s/c2s_s:5.2f}x | first continuation {same}")
PY
}

run_shape annotate annotate 8 greedy
run_shape generate generate 256 sample --sample --top-k 50 --top-p 0.95 --seed 0
# The optional bfloat16 decoding path (AVX512_BF16): weights read as bf16 during decoding.
run_shape generate-bf16 generate 256 sample --sample --top-k 50 --top-p 0.95 --seed 0 --bf16
# bf16 on both sides: the same model saved in bfloat16, kept bf16 in memory by c2s (--weights
# auto) and run by transformers in torch.bfloat16 (oneDNN's AVX512-BF16 kernels).
BF16_MODEL="$WORK/pythia160m-bf16"
if [[ ! -f "$BF16_MODEL/model.safetensors" ]]; then
  "$PYTHON" -c "import sys, torch; from transformers import AutoModelForCausalLM as M; M.from_pretrained(sys.argv[1]).to(torch.bfloat16).save_pretrained(sys.argv[2])" "$MODEL" "$BF16_MODEL"
fi
MODEL="$BF16_MODEL" REF_DTYPE=bfloat16 run_shape annotate-bf16 annotate 8 greedy
MODEL="$BF16_MODEL" REF_DTYPE=bfloat16 run_shape generate-bf16w generate 256 sample --sample --top-k 50 --top-p 0.95 --seed 0
