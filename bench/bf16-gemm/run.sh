#!/usr/bin/env bash
# bf16 GEMM benchmark (prefill-sized products with bfloat16 weights): c2s's Matmul.linearBF16
# (`c2s lm bench-train --bf16-linear M,N,K`: fp32 activations rounded to bf16 in the kernel,
# bf16 weights [N,K], fp32 output; above 16 rows on AVX512_BF16 CPUs this is c2s_gemm_bf16)
# against PyTorch's bf16 torch.nn.functional.linear (bench/bf16-gemm/ref_linear.py, oneDNN,
# torch.set_num_threads(2)) on the same shapes, in one run, plus this CPU's bf16 peak: a tight
# loop of independent vdpbf16ps (bench/bf16-gemm/peak.c, 64 flops per zmm instruction),
# 1 thread and 2 at once.
#
#   bench/bf16-gemm/run.sh [WORK_DIR]      STEPS=5 (best of, after 1 warm-up product)
#   SHAPES="M,N,K M,N,K ..." to replace the default shapes
#
# Prints GFLOP/s (2·M·N·K / best time) of each, the ratio, and c2s's fraction of the peak.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${1:-/tmp/c2s-bench}"
STEPS="${STEPS:-5}"
CC="${CC:-clang}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
# Gemma-2 2B (d 2304: attention, fused QKV 4096, gate|up 2 x 9216, down) and Pythia-160m
# (d 768) layers over a prefill chunk of 1024 tokens, chunks of 256 and 4096 tokens, 64 rows,
# and the 256,000-word Gemma-2 head over 32 rows.
DEFAULT_SHAPES="1024,2304,2304 1024,4096,2304 1024,18432,2304 1024,2304,9216 1024,768,768 1024,3072,768 1024,768,3072 256,2304,2304 4096,2304,2304 64,2304,2304 32,256000,2304"
read -r -a SHAPE_LIST <<< "${SHAPES:-$DEFAULT_SHAPES}"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
OUT="$WORK/bf16-gemm-out"
mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

"$CC" -O2 -pthread "$ROOT/bench/bf16-gemm/peak.c" -o "$OUT/peak"
THREADS=2 "$OUT/peak" > "$OUT/peak.json"
"$PYTHON" "$ROOT/bench/bf16-gemm/ref_linear.py" "${SHAPE_LIST[@]}" --threads 2 --warmup 1 --steps "$STEPS" > "$OUT/ref.jsonl"
echo "load average after PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"
ARGS=()
for s in "${SHAPE_LIST[@]}"; do ARGS+=(--bf16-linear "$s"); done
"$C2S_BIN" lm bench-train "${ARGS[@]}" --threads 2 --warmup 1 --steps "$STEPS" > "$OUT/c2s.jsonl"
echo "load average after c2s: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
peak = json.load(open(f"{out}/peak.json"))
ref = [json.loads(l) for l in open(f"{out}/ref.jsonl")]
ours = [json.loads(l) for l in open(f"{out}/c2s.jsonl")]
if "error" in peak:
    print(f"peak: {peak['error']}")
    top = None
else:
    top = peak["peak_gflops"]
    print(f"bf16 peak (vdpbf16ps loop): {peak['peak_gflops_1']:.1f} GFLOP/s on 1 thread, {top:.1f} on {peak['threads']}")
print(f"torch {ref[0]['torch']} (mkldnn bf16: {ref[0]['mkldnn_bf16']}), c2s kernel: {ours[0]['kernel']} ({ours[0]['threads']} threads)")
print(f"{'M':>5} {'N':>7} {'K':>5} | {'c2s GFLOP/s':>11} {'torch':>7} {'c2s/torch':>9}" + (" | c2s % peak" if top else ""))
for r, o in zip(ref, ours):
    assert (r["m"], r["n"], r["k"]) == (o["m"], o["n"], o["k"])
    line = f"{o['m']:>5} {o['n']:>7} {o['k']:>5} | {o['gflops']:>11.1f} {r['gflops']:>7.1f} {o['gflops'] / r['gflops']:>8.2f}x"
    if top:
        line += f" | {100 * o['gflops'] / top:>5.1f} %"
    print(line)
PY
