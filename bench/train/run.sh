#!/usr/bin/env bash
# Training benchmark: full fine-tuning steps (forward, backward, clip_grad_norm 1.0, AdamW) of
# a randomly initialised model (default: Pythia-70m-shaped GPT-NeoX), batch 8 x 256 tokens, loss
# on every token, fp32 on both cores: c2s (`c2s lm bench-train`) against PyTorch + transformers
# (bench/train/ref_train.py, torch.set_num_threads(2)) in the same run.
#
#   bench/train/run.sh [WORK_DIR]          STEPS=5 (timed, after 1 warm-up step)
#   SHAPE=pythia-410m|llama-110m|gemma2-150m (bench/train/make_config.py), BATCH=8 TOKENS=256
#   LORA_RANK=16 [LORA_TARGETS=all-linear]: LoRA adapters only (PEFT on the PyTorch side)
#   CHECKPOINT=1: activation checkpointing on both sides
#   BASE=bf16 (with LORA_RANK): both sides load the same randomly initialised model saved in
#     bf16 (bench/train/make_model.py) and keep the frozen base in bf16 (PyTorch: the model in
#     torch.bfloat16, PEFT's adapters in fp32; c2s: --weights auto). TORCH_DTYPE=float32 runs
#     PyTorch over the same weights widened to fp32 instead.
#
# Prints tokens/s of each and the ratio, peak RSS of each process (GNU time), and the
# fraction of the machine's fp32 GEMM rate that c2s reaches, counting model FLOPs
# (6 x matmul parameters x tokens, plus causal attention: 3 x its forward products) against a
# 2048^3 cblas_sgemm measured just before, in a process of its own.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${1:-/tmp/c2s-bench}"
STEPS="${STEPS:-5}"
SHAPE_NAME="${SHAPE:-pythia-70m}"
BATCH="${BATCH:-8}"
TOKENS="${TOKENS:-256}"
EXTRA=()
[[ -n "${LORA_RANK:-}" ]] && EXTRA+=(--lora-rank "$LORA_RANK" --lora-targets "${LORA_TARGETS:-all-linear}")
[[ -n "${CHECKPOINT:-}" ]] && EXTRA+=(--checkpoint-activations)
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
source "$ROOT/bench/timing.sh"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
MODEL="$WORK/train-model"
OUT="$WORK/train-out"
mkdir -p "$OUT"
"$PYTHON" "$ROOT/bench/train/make_config.py" "$MODEL" "$SHAPE_NAME" >/dev/null
REF_MODEL=(); C2S_MODEL=(--config "$MODEL/config.json")
if [[ "${BASE:-fp32}" == bf16 ]]; then
  [[ -n "${LORA_RANK:-}" ]] || { echo "BASE=bf16 is for LoRA (LORA_RANK=...)" >&2; exit 2; }
  SAVED="$WORK/train-model-bf16-$SHAPE_NAME"
  [[ -f "$SAVED/model.safetensors" || -f "$SAVED/model.safetensors.index.json" ]] || "$PYTHON" "$ROOT/bench/train/make_model.py" "$MODEL" "$SAVED"
  REF_MODEL=(--pretrained --dtype "${TORCH_DTYPE:-bfloat16}"); C2S_MODEL=(--model "$SAVED" --weights auto)
  MODEL="$SAVED"
fi
echo "shape $SHAPE_NAME, batch $BATCH x $TOKENS tokens, ${EXTRA[*]:-full fine-tuning}"
echo "OPENBLAS_CORETYPE in this environment: ${OPENBLAS_CORETYPE:-unset} (c2s runs with it unset, so OpenBLAS detects the CPU itself; PyTorch uses its own kernels)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

SHAPE=(--batch "$BATCH" --tokens "$TOKENS" --steps "$STEPS" --warmup 1 ${EXTRA[@]+"${EXTRA[@]}"})
timed "$OUT/ref.time" "$PYTHON" "$ROOT/bench/train/ref_train.py" "$MODEL" "${SHAPE[@]}" ${REF_MODEL[@]+"${REF_MODEL[@]}"} --threads 2 > "$OUT/ref.json" 2> "$OUT/ref.err"
echo "load average after PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
# This machine's environment sets OPENBLAS_CORETYPE=Haswell, which keeps OpenBLAS off the
# AVX-512 kernels it picks by itself here; a plain Debian user has it unset.
env -u OPENBLAS_CORETYPE "$C2S_BIN" lm bench-train --gemm-peak > "$OUT/gemm.json"
timed "$OUT/c2s.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" lm bench-train "${C2S_MODEL[@]}" "${SHAPE[@]}" > "$OUT/c2s.json" 2> "$OUT/c2s.err"
echo "load average after c2s: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$OUT" "$MODEL/config.json" "$TOKENS" <<'PY'
import json, sys
out, config = sys.argv[1], json.load(open(sys.argv[2]))
ref, ours, gemm = (json.load(open(f"{out}/{n}.json")) for n in ("ref", "c2s", "gemm"))
def rss(name):
    for line in open(f"{out}/{name}.time"):
        if "Maximum resident" in line:
            return int(line.split()[-1]) / 1024
V = config["vocab_size"]
d = config["hidden_size"]
L = config["num_hidden_layers"]
query = config["num_attention_heads"] * config.get("head_dim", d // config["num_attention_heads"])
tied = config.get("tie_word_embeddings", False) or config["model_type"] == "gemma2"
n = int(sys.argv[3]); batch = ours["tokens_per_step"] // n
lora = ref.get("lora_rank") is not None
# Products: every weight but the input embedding (a lookup; a tied head is one product).
matmul = ref["parameters"] - (ref.get("trainable_parameters", 0) if lora else 0) - (0 if tied else V * d)
attention = 4 * L * batch * query * n * (n + 1) // 2                # QK^T and PV over the causal half, forward
# Forward 2 x, backward 4 x (2 x without weight gradients, as under LoRA), and one more
# forward with checkpointing.
passes = (2 + (2 if lora else 4) + (2 if ours.get("checkpoint_activations") else 0))
flops = passes * matmul * batch * n + attention * passes // 2
rate = flops * ours["steps"] / ours["seconds"] / 1e9
print(f"base weights: PyTorch {ref.get('dtype', 'float32')} (adapters {ref.get('adapter_dtype', 'float32')}), c2s {ours.get('base_weights', 'fp32')}")
print(f"PyTorch {ref['torch']} ({ref['attn_implementation']} attention, {ref['threads']} threads): "
      f"{ref['tokens_per_s']:7.1f} tokens/s, {ref['seconds'] / ref['steps']:.2f} s/step "
      f"(optimizer {ref['optimizer_s'] / ref['steps']:.2f} s), peak RSS {rss('ref'):.0f} MiB")
print(f"c2s:                                          {ours['tokens_per_s']:7.1f} tokens/s, {ours['seconds'] / ours['steps']:.2f} s/step "
      f"(optimizer {ours['optimizer_s'] / ours['steps']:.2f} s), peak RSS {rss('c2s'):.0f} MiB")
print(f"speed-up {ours['tokens_per_s'] / ref['tokens_per_s']:.2f}x, peak memory {rss('c2s') / rss('ref'):.2f}x of PyTorch's")
print(f"model FLOPs per step {flops / 1e9:.0f} GFLOP -> c2s at {rate:.0f} GFLOP/s = {rate / gemm['gemm_gflops']:.0%} of the "
      f"{gemm['gemm_gflops']:.0f} GFLOP/s measured for a 2048^3 sgemm just before ({rate / 230:.0%} of 230 GFLOP/s, the quiet-machine figure)")
print(f"trainable parameters: PyTorch {ref.get('trainable_parameters', ref['parameters'])}, c2s {ours['trainable_parameters']}")
print(f"losses: PyTorch {ref['losses'][0]:.4f} .. {ref['losses'][-1]:.4f}, c2s {ours['losses'][0]:.4f} .. {ours['losses'][-1]:.4f} (random tokens: ln V = {__import__('math').log(V):.2f})")
PY
