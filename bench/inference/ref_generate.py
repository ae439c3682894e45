"""transformers' model.generate on the prompts of make_model.py, timed (the Python peer).

Usage: python3 ref_generate.py MODEL_DIR PROMPTS.jsonl MAX_NEW {greedy|sample} OUT.json [DTYPE]
(DTYPE float32, the default, or bfloat16: the model in that precision, as transformers runs a
bf16 checkpoint.)
Prints one JSON object: seconds, new tokens, tokens/s, sequences/s. Uses both cores (torch's
default thread count here), fp32, the default (sdpa) attention, and generates exactly MAX_NEW
tokens per prompt (min_new_tokens = MAX_NEW), so both engines do the same work.
"""
import json
import sys
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    model_dir, prompts_path, max_new, mode, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    prompts = [json.loads(line) for line in open(prompts_path)]
    ids = torch.tensor(prompts)
    dtype = getattr(torch, sys.argv[6]) if len(sys.argv) > 6 else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
    kwargs = dict(max_new_tokens=max_new, min_new_tokens=max_new, pad_token_id=0)
    if mode == "sample":
        kwargs.update(do_sample=True, top_k=50, top_p=0.95, temperature=1.0)
    else:
        kwargs.update(do_sample=False)
    torch.manual_seed(0)
    with torch.inference_mode():
        model.generate(ids[:1, :8], max_new_tokens=2, pad_token_id=0)  # warm-up
        start = time.perf_counter()
        result = model.generate(ids, attention_mask=torch.ones_like(ids), **kwargs)
        seconds = time.perf_counter() - start
    new = (result.shape[1] - ids.shape[1]) * ids.shape[0]
    report = {"seconds": seconds, "new_tokens": new, "tokens_per_s": new / seconds,
              "sequences_per_s": ids.shape[0] / seconds, "threads": torch.get_num_threads(),
              "first_continuation": result[0, ids.shape[1]:].tolist()}
    json.dump(report, open(out, "w"))
    print(json.dumps({k: v for k, v in report.items() if k != "first_continuation"}))


if __name__ == "__main__":
    main()
