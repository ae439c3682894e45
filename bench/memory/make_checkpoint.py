"""A randomly initialised model of a bench/train/make_config.py shape, saved in a chosen dtype,
and random prompts, for bench/memory.

    python3 make_checkpoint.py MODEL_DIR [SHAPE] [DTYPE] [PROMPTS_FILE]

SHAPE: a bench/train/make_config.py shape (default gemma2-600m: Gemma-2's structure, 0.57 B
parameters). DTYPE: bf16 (default; as published Gemma checkpoints are), fp16 or fp32. Weights
are drawn as transformers initialises them (normal, initializer_range), seeded; nothing is
downloaded. PROMPTS_FILE (default MODEL_DIR/prompts.jsonl): 8 prompts of 60 random token ids.
An existing MODEL_DIR/model.safetensors is kept.
"""
import json
import os
import subprocess
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}


def main():
    model_dir = sys.argv[1]
    shape = sys.argv[2] if len(sys.argv) > 2 else "gemma2-600m"
    dtype = DTYPES[sys.argv[3] if len(sys.argv) > 3 else "bf16"]
    prompts = sys.argv[4] if len(sys.argv) > 4 else os.path.join(model_dir, "prompts.jsonl")
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")):
        make_config = os.path.join(os.path.dirname(__file__), "..", "train", "make_config.py")
        subprocess.run([sys.executable, make_config, model_dir, shape], check=True, stdout=subprocess.DEVNULL)
        torch.manual_seed(0)
        config = AutoConfig.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_config(config).eval().to(dtype)
        model.save_pretrained(model_dir, safe_serialization=True)
    config = json.load(open(os.path.join(model_dir, "config.json")))
    g = torch.Generator().manual_seed(1)
    with open(prompts, "w") as f:
        for _ in range(8):
            f.write(json.dumps(torch.randint(3, config["vocab_size"], (60,), generator=g).tolist()) + "\n")


if __name__ == "__main__":
    main()
