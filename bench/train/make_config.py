"""Writes the config.json of a model to benchmark (random weights, no download).

    python3 make_config.py OUT_DIR [SHAPE]

SHAPE:
  pythia-70m   (default) GPT-NeoX: vocab 50304, hidden 512, 6 layers, 8 heads, intermediate 2048,
               rotary_pct 0.25, parallel residual, untied head, context 2048
  pythia-410m  GPT-NeoX: hidden 1024, 24 layers, 16 heads, intermediate 4096 (C2S-Pythia-410m)
  llama-110m   Llama: vocab 32000, hidden 768, 12 layers, 12 heads (4 key/value heads),
               intermediate 2048, untied head
  gemma2-150m  Gemma-2: vocab 32000, hidden 640, 8 layers, 4 heads (2 key/value) of width 256,
               intermediate 2560, sliding window 4096 on alternate layers, soft-caps 50 / 30
               (the 2B's structure at a size 2 cores train; its vocabulary would be 256000)
  gemma2-600m  Gemma-2: vocab 32000, hidden 1152, 18 layers, 4 heads (2 key/value) of width 256,
               intermediate 6912 (0.57 B parameters)
"""
import os
import sys

from transformers import Gemma2Config, GPTNeoXConfig, LlamaConfig

out = sys.argv[1]
shape = sys.argv[2] if len(sys.argv) > 2 else "pythia-70m"
os.makedirs(out, exist_ok=True)
neox = dict(vocab_size=50304, max_position_embeddings=2048, rotary_pct=0.25, rotary_emb_base=10000, use_parallel_residual=True,
            tie_word_embeddings=False, hidden_dropout=0.0, attention_dropout=0.0, bos_token_id=0, eos_token_id=0)
if shape == "pythia-70m":
    config = GPTNeoXConfig(hidden_size=512, num_hidden_layers=6, num_attention_heads=8, intermediate_size=2048, **neox)
elif shape == "pythia-410m":
    config = GPTNeoXConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096, **neox)
elif shape == "llama-110m":
    config = LlamaConfig(vocab_size=32000, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, num_key_value_heads=4,
                         intermediate_size=2048, max_position_embeddings=2048, tie_word_embeddings=False, bos_token_id=1,
                         eos_token_id=2)
elif shape == "gemma2-150m":
    config = Gemma2Config(vocab_size=32000, hidden_size=640, num_hidden_layers=8, num_attention_heads=4, num_key_value_heads=2,
                          head_dim=256, intermediate_size=2560, max_position_embeddings=2048, query_pre_attn_scalar=256,
                          sliding_window=4096, attention_dropout=0.0, bos_token_id=2, eos_token_id=1, pad_token_id=0)
elif shape == "gemma2-600m":
    config = Gemma2Config(vocab_size=32000, hidden_size=1152, num_hidden_layers=18, num_attention_heads=4, num_key_value_heads=2,
                          head_dim=256, intermediate_size=6912, max_position_embeddings=2048, query_pre_attn_scalar=256,
                          sliding_window=4096, attention_dropout=0.0, bos_token_id=2, eos_token_id=1, pad_token_id=0)
else:
    raise SystemExit(f"unknown shape {shape}")
config.save_pretrained(out)
print(os.path.join(out, "config.json"))
