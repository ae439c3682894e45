"""Writes the config.json of a Pythia-70m-shaped GPT-NeoX (random weights, no download):
vocab 50304, hidden 512, 6 layers, 8 heads, intermediate 2048, rotary_pct 0.25, parallel
residual, untied head, context 2048.

    python3 make_config.py OUT_DIR
"""
import os
import sys

from transformers import GPTNeoXConfig

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
GPTNeoXConfig(vocab_size=50304, hidden_size=512, num_hidden_layers=6, num_attention_heads=8, intermediate_size=2048,
              max_position_embeddings=2048, rotary_pct=0.25, rotary_emb_base=10000, use_parallel_residual=True,
              tie_word_embeddings=False, hidden_dropout=0.0, attention_dropout=0.0, bos_token_id=0,
              eos_token_id=0).save_pretrained(out)
print(os.path.join(out, "config.json"))
