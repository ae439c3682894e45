"""Does PEFT read a c2s-trained LoRA adapter as c2s does?

Trains nothing itself: give it an adapter folder written by `c2s train --lora-rank` (with its
base named in adapter_config.json or given) and the folder `c2s lm merge` made from it. PEFT
loads the adapter on the base (peft.PeftModel.from_pretrained); transformers loads c2s's merged
folder; the logits of a few prompts must agree (c2s's own tests show c2s's adapted and merged
models agree, and that c2s's adapted logits equal PEFT's on fixtures).

Run: python3 scripts/diagnostics/check_lora_with_peft.py ADAPTER MERGED [--base BASE]
(needs torch, transformers, peft)
"""
import argparse
import json
import os

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("adapter")
    ap.add_argument("merged")
    ap.add_argument("--base")
    args = ap.parse_args()
    base_path = args.base or json.load(open(os.path.join(args.adapter, "adapter_config.json")))["base_model_name_or_path"]
    tokenizer = AutoTokenizer.from_pretrained(args.merged)
    base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32, attn_implementation="eager")
    peft_model = PeftModel.from_pretrained(base, args.adapter).eval()
    merged = AutoModelForCausalLM.from_pretrained(args.merged, dtype=torch.float32, attn_implementation="eager").eval()
    prompts = ["Top genes of one cell: NKG7 GNLY KLRD1. Cell type:", "Top genes of one cell: CD79A MS4A1. Cell type:",
               "Top genes of one cell: LYZ CD14 S100A8. Cell type:"]
    worst = 0.0
    with torch.no_grad():
        for p in prompts:
            ids = tokenizer(p, return_tensors="pt").input_ids
            a = peft_model(ids).logits
            b = merged(ids).logits
            worst = max(worst, (a - b).abs().max().item())
    print(f"PEFT (base + c2s adapter) vs c2s's merged folder in transformers: max |logit difference| {worst:.2e} over {len(prompts)} prompts")
    raise SystemExit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
