"""What a C2S-Scale Gemma-2 2B or 27B needs in c2s, extrapolated from bench/published runs of the
0.53 B shaped model (one run per precision).

  python3 extrapolate.py bf16=WORK_DIR [int8=WORK_DIR ...]

Each WORK_DIR is a bench/published/run.sh work folder (its c2s-annotate.time/.log and
c2s-generate.log). The model of the extrapolation, stated so it can be checked:
- annotation time per cell scales with the FLOPs per prompt token, i.e. with the non-embedding
  parameters (prefill dominates: ~470 prompt tokens against 16 new ones, and c2s's bf16 GEMM
  runs at the same rate on every shape of these models, bench/bf16-gemm); the same tokens per
  cell are assumed (the real Gemma tokenizer's count for a 200-gene cell is not measured here);
- decoding time per new token scales with the bytes of weights read per step (all parameters);
- memory = resident weights (bf16: 2 bytes per parameter; int8: 1 byte plus one fp32 scale per
  row, the output head, which Gemma ties to the token table, kept bf16) + what the shaped run used
  beyond its weights, scaled by the width of the feed-forward
  activations (intermediate size), which are the largest buffers of a pass.
"""
import re
import sys

SHAPED = dict(params=0.531e9, embedding=32000 * 1152, intermediate=6912, rows=18 * (2048 + 2 * 512 + 2 * 6912 + 1152) + 32000)
TARGETS = {
    "C2S-Scale-Gemma-2-2B": dict(params=2.614e9, embedding=256000 * 2304, intermediate=9216, rows=26 * (2048 + 2 * 1024 + 2 * 9216 + 2304) + 256000),
    "C2S-Scale-Gemma-2-27B": dict(params=27.227e9, embedding=256000 * 4608, intermediate=36864, rows=46 * (4096 + 2 * 2048 + 2 * 36864 + 4608) + 256000),
}


def measured(work):
    time_text = open(f"{work}/c2s-annotate.time").read()
    rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_text).group(1)) / 1024
    log = open(f"{work}/c2s-annotate.log").read()
    m = re.search(r"(\d+) cells annotated .* in ([0-9.]+) s", log)
    cells, seconds = int(m.group(1)), float(m.group(2))
    gen = open(f"{work}/c2s-generate.log").read()
    m = re.search(r"generated (\d+) tokens for (\d+) prompts in ([0-9.]+) s", gen)
    tokens, prompts, gen_s = int(m.group(1)), int(m.group(2)), float(m.group(3))
    return dict(cell_s=seconds / cells, rss_mb=rss_mb, gen_s=gen_s, steps=tokens / prompts, prompts=prompts)


def weights_mb(shape, precision):
    if precision == "int8":
        # --quantize int8 keeps the output head in bf16 (Gemma's is the tied token table).
        return (shape["params"] - shape["embedding"] + 2 * shape["embedding"] + 4 * shape["rows"]) / 2**20
    return 2 * shape["params"] / 2**20


def main():
    runs = dict(arg.split("=", 1) for arg in sys.argv[1:])
    print("| model | weights | resident weights | peak memory (estimate) | annotation, s per cell | decoding, ms per step (8 sequences) |")
    print("|---|---|---|---|---|---|")
    for precision, work in runs.items():
        m = measured(work)
        shaped_weights = weights_mb(SHAPED, precision)
        overhead = max(0.0, m["rss_mb"] - shaped_weights)
        per_token_ms = 1000 * m["gen_s"] / m["steps"]  # one decoding step of the whole batch
        print(f"| 0.53 B shaped (measured) | {precision} | {shaped_weights:,.0f} MiB | {m['rss_mb']:,.0f} MiB | {m['cell_s']:.2f} | {per_token_ms:.0f} |")
        for name, t in TARGETS.items():
            flops = (t["params"] - t["embedding"]) / (SHAPED["params"] - SHAPED["embedding"])
            bytes_ratio = t["params"] / SHAPED["params"]
            w = weights_mb(t, precision)
            peak = w + overhead * t["intermediate"] / SHAPED["intermediate"]
            print(f"| {name} (extrapolated) | {precision} | {w:,.0f} MiB | {peak:,.0f} MiB | {m['cell_s'] * flops:.1f} | {per_token_ms * bytes_ratio:.0f} |")


if __name__ == "__main__":
    main()
