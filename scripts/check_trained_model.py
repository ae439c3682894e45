#!/usr/bin/env python3
"""Check that a model folder written by `c2s train` loads in transformers and computes what
`c2s lm` computes.

    python3 scripts/check_trained_model.py MODEL PROMPTS.jsonl [--c2s .build/release/c2s]
        [--examples 8] [--new-tokens 8]

For the first --examples prompts (model_input of each JSON line) it compares:

1. tokenization: transformers' AutoTokenizer vs `c2s lm tokenize` (ids equal);
2. final hidden states (after the final norm) at the last position and averaged over the
   prompt: transformers' `hidden_states[-1]` vs `c2s lm embed --pooling last-token|mean`;
3. next-token logits at the last position: transformers' `logits[:, -1]` vs the output head
   applied to c2s's last hidden state (the head read from the model's safetensors, as both
   engines read it);
4. greedy generation: `generate(do_sample=False)` vs `c2s lm generate` (greedy), the same
   number of new tokens (no early stop).

Prints one JSON object with the largest differences and exits 1 when a check fails
(hidden/logit difference above --tolerance relative to the largest magnitude, any token
difference). Needs torch, transformers and safetensors.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer


def run(args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def head_weight(model_dir, model_type):
    tensors = {}
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        for shard in sorted(set(json.load(open(index))["weight_map"].values())):
            tensors.update(load_file(os.path.join(model_dir, shard)))
    else:
        tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    if model_type == "gpt2":
        return tensors["transformer.wte.weight"]
    return tensors.get("embed_out.weight", tensors.get("gpt_neox.embed_in.weight"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("prompts")
    parser.add_argument("--c2s", default=".build/release/c2s")
    parser.add_argument("--examples", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=8)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    a = parser.parse_args()

    texts = [r["model_input"] for r in read_lines(a.prompts)[: a.examples]]
    config = json.load(open(os.path.join(a.model, "config.json")))
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
    model.eval()

    with tempfile.TemporaryDirectory() as tmp:
        text_file = os.path.join(tmp, "texts.jsonl")
        with open(text_file, "w") as f:
            for t in texts:
                f.write(json.dumps({"model_input": t}) + "\n")
        ids_file = os.path.join(tmp, "ids.jsonl")
        run([a.c2s, "lm", "tokenize", "--tokenizer", a.model, text_file, "-o", ids_file])
        ours_ids = read_lines(ids_file)
        hf_ids = [tokenizer(t)["input_ids"] for t in texts]
        tokens_equal = ours_ids == hf_ids

        embeddings = {}
        for pooling in ["last-token", "mean"]:
            out = os.path.join(tmp, f"emb-{pooling}.jsonl")
            run([a.c2s, "lm", "embed", "--model", a.model, "--prompt-ids", ids_file, "--pooling", pooling, "-o", out])
            embeddings[pooling] = np.array([r["embedding"] for r in read_lines(out)], dtype=np.float64)

        gen_file = os.path.join(tmp, "gen.jsonl")
        run([a.c2s, "lm", "generate", "--model", a.model, "--prompt-ids", ids_file, "--max-new-tokens", str(a.new_tokens),
             "--min-new-tokens", str(a.new_tokens), "-o", gen_file, "--quiet"])
        ours_generated = [r["tokens"] for r in read_lines(gen_file)]

    head = head_weight(a.model, config["model_type"]).astype(np.float64)
    worst = {"hidden_last": 0.0, "hidden_mean": 0.0, "logits": 0.0}
    scale = {"hidden_last": 0.0, "hidden_mean": 0.0, "logits": 0.0}
    argmax_equal = 0
    generated_equal = 0
    for i, ids in enumerate(hf_ids):
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_hidden_states=True)
            hidden = out.hidden_states[-1][0].double().numpy()
            logits = out.logits[0, -1].double().numpy()
            generated = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                       do_sample=False, max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens,
                                       pad_token_id=config.get("pad_token_id") or 0)[0, len(ids):].tolist()
        ours_logits = head @ embeddings["last-token"][i]
        for key, ref, ours in [("hidden_last", hidden[-1], embeddings["last-token"][i]),
                               ("hidden_mean", hidden.mean(axis=0), embeddings["mean"][i]),
                               ("logits", logits, ours_logits)]:
            worst[key] = max(worst[key], float(np.abs(ref - ours).max()))
            scale[key] = max(scale[key], float(np.abs(ref).max()))
        argmax_equal += int(np.argmax(logits) == np.argmax(ours_logits))
        generated_equal += int(generated == ours_generated[i])

    relative = {k: worst[k] / max(scale[k], 1e-30) for k in worst}
    report = {
        "model": a.model, "model_type": config["model_type"], "examples": len(texts),
        "prompt_tokens": [len(x) for x in hf_ids], "tokenization_equal": tokens_equal,
        "max_abs_diff": worst, "max_abs_reference": scale, "max_diff_relative_to_largest": relative,
        "last_position_argmax_equal": f"{argmax_equal}/{len(texts)}",
        "greedy_generations_equal": f"{generated_equal}/{len(texts)} ({a.new_tokens} new tokens each)",
    }
    print(json.dumps(report, indent=2))
    ok = tokens_equal and all(v <= a.tolerance for v in relative.values()) and generated_equal == len(texts)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
