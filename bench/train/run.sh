#!/usr/bin/env bash
# Training benchmark: full fine-tuning steps (forward, backward, clip_grad_norm 1.0, AdamW) of
# a randomly initialised Pythia-70m-shaped GPT-NeoX, batch 8 x 256 tokens, loss on every token,
# fp32 on both cores: c2s (`c2s lm bench-train`) against PyTorch + transformers
# (bench/train/ref_train.py, torch.set_num_threads(2)) in the same run.
#
#   bench/train/run.sh [WORK_DIR]          STEPS=5 (timed, after 1 warm-up step)
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
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
source "$ROOT/bench/timing.sh"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
MODEL="$WORK/train-model"
OUT="$WORK/train-out"
mkdir -p "$OUT"
"$PYTHON" "$ROOT/bench/train/make_config.py" "$MODEL" >/dev/null
echo "OPENBLAS_CORETYPE in this environment: ${OPENBLAS_CORETYPE:-unset} (c2s runs with it unset, so OpenBLAS detects the CPU itself; PyTorch uses its own kernels)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

SHAPE=(--batch 8 --tokens 256 --steps "$STEPS" --warmup 1)
timed "$OUT/ref.time" "$PYTHON" "$ROOT/bench/train/ref_train.py" "$MODEL" "${SHAPE[@]}" --threads 2 > "$OUT/ref.json" 2> "$OUT/ref.err"
echo "load average after PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
# This machine's environment sets OPENBLAS_CORETYPE=Haswell, which keeps OpenBLAS off the
# AVX-512 kernels it picks by itself here; a plain Debian user has it unset.
env -u OPENBLAS_CORETYPE "$C2S_BIN" lm bench-train --gemm-peak > "$OUT/gemm.json"
timed "$OUT/c2s.time" env -u OPENBLAS_CORETYPE "$C2S_BIN" lm bench-train --config "$MODEL/config.json" "${SHAPE[@]}" > "$OUT/c2s.json" 2> "$OUT/c2s.err"
echo "load average after c2s: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$OUT" "$MODEL/config.json" <<'PY'
import json, sys
out, config = sys.argv[1], json.load(open(sys.argv[2]))
ref, ours, gemm = (json.load(open(f"{out}/{n}.json")) for n in ("ref", "c2s", "gemm"))
def rss(name):
    for line in open(f"{out}/{name}.time"):
        if "Maximum resident" in line:
            return int(line.split()[-1]) / 1024
d, f, L, V = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"], config["vocab_size"]
batch, n = 8, ours["tokens_per_step"] // 8
matmul = L * (3 * d * d + d * d + 2 * d * f) + V * d          # the head is a product; the input embedding a lookup
attention = 3 * L * batch * 4 * d * n * (n + 1) // 2            # QK^T and PV over the causal half, fwd + 2x bwd
flops = 6 * matmul * batch * n + attention
rate = flops * ours["steps"] / ours["seconds"] / 1e9
print(f"PyTorch {ref['torch']} ({ref['attn_implementation']} attention, {ref['threads']} threads): "
      f"{ref['tokens_per_s']:7.1f} tokens/s, {ref['seconds'] / ref['steps']:.2f} s/step "
      f"(optimizer {ref['optimizer_s'] / ref['steps']:.2f} s), peak RSS {rss('ref'):.0f} MiB")
print(f"c2s:                                          {ours['tokens_per_s']:7.1f} tokens/s, {ours['seconds'] / ours['steps']:.2f} s/step "
      f"(optimizer {ours['optimizer_s'] / ours['steps']:.2f} s), peak RSS {rss('c2s'):.0f} MiB")
print(f"speed-up {ours['tokens_per_s'] / ref['tokens_per_s']:.2f}x, peak memory {rss('c2s') / rss('ref'):.2f}x of PyTorch's")
print(f"model FLOPs per step {flops / 1e9:.0f} GFLOP -> c2s at {rate:.0f} GFLOP/s = {rate / gemm['gemm_gflops']:.0%} of the "
      f"{gemm['gemm_gflops']:.0f} GFLOP/s measured for a 2048^3 sgemm just before ({rate / 230:.0%} of 230 GFLOP/s, the quiet-machine figure)")
print(f"losses: PyTorch {ref['losses'][0]:.4f} .. {ref['losses'][-1]:.4f}, c2s {ours['losses'][0]:.4f} .. {ours['losses'][-1]:.4f} (random tokens: ln V = 10.83)")
PY
