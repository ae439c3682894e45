"""A randomly initialised GPT-NeoX of Pythia-160m's shape, and random prompts, for bench/inference.

Writes MODEL_DIR (config.json + model.safetensors, fp32) and two prompt files of token ids
(JSON lines, one list per prompt): cell type prediction shape (8 x 850 tokens) and generation
shape (8 x 60 tokens). Nothing is downloaded: the weights are random, the shape is Pythia-160m's.
Usage: python3 make_model.py MODEL_DIR PROMPTS_DIR
"""
import json
import os
import sys

import torch
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM


def main():
    model_dir, prompts_dir = sys.argv[1], sys.argv[2]
    os.makedirs(prompts_dir, exist_ok=True)
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")):
        torch.manual_seed(0)
        config = GPTNeoXConfig(vocab_size=50304, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                               intermediate_size=3072, max_position_embeddings=2048, rotary_pct=0.25,
                               rotary_emb_base=10000, use_parallel_residual=True, tie_word_embeddings=False,
                               bos_token_id=0, eos_token_id=0, layer_norm_eps=1e-5)
        model = GPTNeoXForCausalLM(config).eval()
        model.save_pretrained(model_dir, safe_serialization=True)
    g = torch.Generator().manual_seed(1)
    for name, batch, length in (("annotate", 8, 850), ("generate", 8, 60)):
        with open(os.path.join(prompts_dir, f"{name}.jsonl"), "w") as f:
            for _ in range(batch):
                f.write(json.dumps(torch.randint(1, 50000, (length,), generator=g).tolist()) + "\n")


if __name__ == "__main__":
    main()
