"""PyTorch's bfloat16 torch.nn.functional.linear (oneDNN on CPU) on the shapes given as
M,N,K arguments: a[M,K] and the weight b[N,K] both bfloat16, output bfloat16. Best of
--steps timed calls after --warmup; one JSON line per shape. For bench/bf16-gemm/run.sh."""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shapes", nargs="+")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for shape in args.shapes:
        m, n, k = (int(x) for x in shape.split(","))
        a = torch.randn(m, k).bfloat16()
        b = (torch.randn(n, k) * 0.02).bfloat16()
        best = float("inf")
        with torch.inference_mode():
            for step in range(args.warmup + args.steps):
                t = time.perf_counter()
                F.linear(a, b)
                seconds = time.perf_counter() - t
                if step >= args.warmup:
                    best = min(best, seconds)
        print(json.dumps({"impl": "torch", "m": m, "n": n, "k": k, "seconds": best,
                          "gflops": 2 * m * n * k / best / 1e9, "threads": torch.get_num_threads(),
                          "torch": torch.__version__, "mkldnn_bf16": torch.ops.mkldnn._is_mkldnn_bf16_supported()}),
              flush=True)
        del a, b


if __name__ == "__main__":
    main()
