"""A randomly initialised Gemma-2 of 0.57 B parameters saved in bfloat16, as the C2S-Scale
checkpoints are, for bench/published (nothing is downloaded: the shape is real, the weights are not).

Shape: vocab 32000, hidden 1152, 18 layers, 4 query heads / 2 key-value heads of width 256,
intermediate 6912, sliding window 4096, soft-caps 50 / 30 (Gemma-2's), tied embeddings.
Tokenizer: the Gemma-shaped BPE of Tests/Fixtures/tokenizers/gemma (trained on C2S prompts by
scripts/fixtures/make_tokenizer_fixtures.py; <bos> added, no chat template), padded with
<unused_i> tokens to the model's 32000 ids as Gemma's own vocabulary carries unused tokens, so
every id a random model emits decodes on both sides.

Usage: python3 make_model.py MODEL_DIR
"""
import json
import os
import shutil
import sys

import torch
from transformers import Gemma2Config, Gemma2ForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VOCAB = 32000


def main():
    out = sys.argv[1]
    if os.path.exists(os.path.join(out, "model.safetensors")):
        print(f"{out}: exists")
        return
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    config = Gemma2Config(vocab_size=VOCAB, hidden_size=1152, num_hidden_layers=18, num_attention_heads=4,
                          num_key_value_heads=2, head_dim=256, intermediate_size=6912, max_position_embeddings=8192,
                          query_pre_attn_scalar=256, sliding_window=4096, final_logit_softcapping=30.0,
                          attn_logit_softcapping=50.0, bos_token_id=2, eos_token_id=1, pad_token_id=0,
                          tie_word_embeddings=True)
    model = Gemma2ForCausalLM(config).eval().to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    source = os.path.join(ROOT, "Tests/Fixtures/tokenizers/gemma")
    tok = json.load(open(os.path.join(source, "tokenizer.json")))
    have = max([i for i in tok["model"]["vocab"].values()] + [t["id"] for t in tok["added_tokens"]]) + 1
    for i in range(have, VOCAB):
        tok["added_tokens"].append({"id": i, "content": f"<unused_{i}>", "single_word": False, "lstrip": False,
                                    "rstrip": False, "normalized": False, "special": False})
    json.dump(tok, open(os.path.join(out, "tokenizer.json"), "w"))
    shutil.copy(os.path.join(source, "tokenizer_config.json"), out)
    params = sum(p.numel() for p in model.parameters())
    print(f"{out}: {params / 1e9:.3f} B parameters, bf16")


if __name__ == "__main__":
    main()
