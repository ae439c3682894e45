"""Writes a randomly initialised model of a benchmark shape in bfloat16 (no download).

    python3 make_model.py CONFIG_DIR OUT_DIR [--seed 0]

CONFIG_DIR holds the config.json from make_config.py. The model is built with transformers'
own initialisation in fp32, rounded to bfloat16 and saved as safetensors, so that c2s and
PyTorch load the same bf16 weights from disk (bench/train/run.sh with BASE=bf16): a checkpoint
stored in bf16, as the published C2S-Scale (Gemma-2) checkpoints are.
"""
import argparse
import os
import shutil

import torch
from transformers import AutoConfig, AutoModelForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("config_dir")
ap.add_argument("out")
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
torch.manual_seed(a.seed)
config = AutoConfig.from_pretrained(a.config_dir)
model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).to(torch.bfloat16)
os.makedirs(a.out, exist_ok=True)
model.save_pretrained(a.out, safe_serialization=True)
print(f"{sum(p.numel() for p in model.parameters())} parameters in bf16 -> {a.out}")
