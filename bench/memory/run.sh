#!/usr/bin/env bash
# Memory benchmark: peak RSS of `c2s lm generate` on a bf16 checkpoint kept bf16 in memory
# (--weights auto) against the same checkpoint loaded fp32 (--weights fp32) and quantized to
# weight-only int8 (--quantize int8), and the bound the bf16 load must meet: 1.25 x the
# safetensors file + the KV cache.
#
#   bench/memory/run.sh [WORK_DIR]     SHAPE=gemma2-600m (bench/train/make_config.py)
#                                      NEW=64 new tokens for each of 8 prompts of 60 tokens
#   BASELINE_BIN=path/to/c2s: also measure another build (its own default load) for comparison
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${1:-/tmp/c2s-bench}"
SHAPE_NAME="${SHAPE:-gemma2-600m}"
NEW="${NEW:-64}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
source "$ROOT/bench/timing.sh"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
MODEL="$WORK/memory-$SHAPE_NAME-bf16"
OUT="$WORK/memory-out"
mkdir -p "$OUT"
"$PYTHON" "$ROOT/bench/memory/make_checkpoint.py" "$MODEL" "$SHAPE_NAME" bf16
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(grep -o -m1 avx512_bf16 /proc/cpuinfo || echo 'no avx512_bf16'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
GEN=(lm generate --model "$MODEL" --prompt-ids "$MODEL/prompts.jsonl" --max-new-tokens "$NEW" --min-new-tokens "$NEW" --batch-size 8 --timing -o "$OUT/generated.jsonl" --overwrite)
for weights in auto fp32; do
  timed "$OUT/$weights.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" "${GEN[@]}" --weights "$weights" 2> "$OUT/$weights.err"
done
timed "$OUT/int8.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" "${GEN[@]}" --quantize int8 2> "$OUT/int8.err"
if [[ -n "${BASELINE_BIN:-}" ]]; then
  timed "$OUT/baseline.time" env -u OPENBLAS_CORETYPE "$BASELINE_BIN" "${GEN[@]}" 2> "$OUT/baseline.err"
fi

"$PYTHON" - "$OUT" "$MODEL" "$NEW" <<'PY'
import json, os, sys
out, model, new = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = json.load(open(os.path.join(model, "config.json")))
size = os.path.getsize(os.path.join(model, "model.safetensors"))
heads = config.get("num_key_value_heads", config["num_attention_heads"])
head_dim = config.get("head_dim", config["hidden_size"] // config["num_attention_heads"])
# c2s sizes each sequence's cache to prompt + new tokens: keys and values, fp32, every layer.
kv = 8 * (60 + new) * config["num_hidden_layers"] * 2 * heads * head_dim * 4
def measured(name):
    path = f"{out}/{name}.time"
    if not os.path.exists(path): return None
    fields = {}
    for line in open(path):
        key, _, value = line.strip().rpartition(": ")
        fields[key] = value
    return int(fields["Maximum resident set size (kbytes)"]) * 1024, fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"]
MB = 1e6
print(f"model: {config['model_type']} {config['num_hidden_layers']} layers, hidden {config['hidden_size']}, vocabulary {config['vocab_size']}; "
      f"model.safetensors {size / MB:,.0f} MB (BF16); KV cache for 8 x ({60} + {new}) tokens {kv / MB:,.0f} MB")
bound = 1.25 * size + kv
print(f"bound for the bf16 load: 1.25 x file + KV cache = {bound / MB:,.0f} MB")
for name, label in (("auto", "--weights auto (bf16 resident)"), ("fp32", "--weights fp32"), ("int8", "--quantize int8 (head bf16)"),
                    ("baseline", "baseline build")):
    m = measured(name)
    if m is None: continue
    rss, wall = m
    verdict = f" ({rss / bound:.2f} x the bound: {'met' if rss <= bound else 'NOT met'})" if name == "auto" else ""
    timing = [l.strip() for l in open(f"{out}/{name}.err") if "tokens/s" in l] if os.path.exists(f"{out}/{name}.err") else []
    print(f"{label}: peak RSS {rss / MB:,.0f} MB = {rss / size:.2f} x the file, wall {wall}{verdict}" + (f"; {timing[-1]}" if timing else ""))
PY
