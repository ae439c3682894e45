#!/usr/bin/env python3
"""Train on c2s's outputs with Hugging Face transformers, for GPU clusters.

c2s's prompt JSONL, tokenizer folder and model folders are plain Hugging Face artefacts, so
the multi-GPU engines take them unchanged; this script is the bridge, joining input and
response as `c2s train` does:

- c2s's own prompts: `model_input + " " + response` tokenized as one text, EOS appended, the
  loss on the response and EOS (the input's own tokens are the context);
- prompts in a published checkpoint's format (lines with `prompt_format`): the input
  tokenized alone with the tokenizer's special tokens, the response alone without them, EOS;
- examples longer than --max-length keep their response and lose input tokens from the end of
  the input (c2s instead drops whole genes using input_sentence_spans; this script keeps it
  simple), and a batch is padded with the loss off on padding.

Run it with any launcher (docs/DISTRIBUTED.md):
    torchrun --nproc_per_node 8 scripts/hf/train_with_transformers.py prompts.jsonl --model MODEL -o out
    accelerate launch --num_processes 8 scripts/hf/train_with_transformers.py prompts.jsonl --model MODEL -o out
    deepspeed --num_gpus 8 scripts/hf/train_with_transformers.py prompts.jsonl --model MODEL -o out --deepspeed ds.json

MODEL is a Hugging Face folder: a published C2S checkpoint, a `c2s train` output, or a new
model's folder from `c2s train ... --max-steps 1 --learning-rate 0` (its initial weights).
The output folder is a model c2s runs (`c2s annotate --model out ...`) once c2s.json is
copied beside it (done here when MODEL has one).
"""
import argparse
import json
import shutil
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments


def encode(record, tokenizer, eos, max_length):
    if record.get("prompt_format"):
        prompt = tokenizer(record["model_input"])["input_ids"]
        response = tokenizer(record["response"], add_special_tokens=False)["input_ids"] + [eos]
    else:
        prompt = tokenizer(record["model_input"])["input_ids"]
        full = tokenizer(record["model_input"] + " " + record["response"])["input_ids"] + [eos]
        # The response starts after the input's own tokens when they are a prefix (the usual
        # case: inputs end with ':' and the response's first token carries the space).
        start = len(prompt) if full[:len(prompt)] == prompt else len(prompt) - 1
        prompt, response = full[:start], full[start:]
    keep = max(1, max_length - len(response))
    prompt = prompt[:keep]
    ids = (prompt + response)[:max_length]
    labels = ([-100] * len(prompt) + response)[:max_length]
    return {"input_ids": ids, "labels": labels}


class Examples(torch.utils.data.Dataset):
    def __init__(self, path, split, tokenizer, eos, max_length):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        self.items = [encode(r, tokenizer, eos, max_length) for r in records if r.get("split", "train") == split]
        if not self.items:
            raise SystemExit(f"{path}: no examples in split {split!r}")

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(pad):
    def batch(items):
        n = max(len(x["input_ids"]) for x in items)
        ids = torch.full((len(items), n), pad, dtype=torch.long)
        labels = torch.full((len(items), n), -100, dtype=torch.long)
        mask = torch.zeros((len(items), n), dtype=torch.long)
        for i, x in enumerate(items):
            ids[i, :len(x["input_ids"])] = torch.tensor(x["input_ids"])
            labels[i, :len(x["labels"])] = torch.tensor(x["labels"])
            mask[i, :len(x["input_ids"])] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}
    return batch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prompts")
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", help="tokenizer folder (default: the model's)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=8, help="per device")
    ap.add_argument("--gradient-accumulation", type=int, default=1)
    ap.add_argument("--learning-rate", type=float, default=5e-5)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--max-steps", type=int, default=-1)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--deepspeed", help="DeepSpeed config JSON (launch with deepspeed)")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(a.tokenizer or a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16 if a.bf16 else torch.float32)
    eos = model.config.eos_token_id if model.config.eos_token_id is not None else tokenizer.eos_token_id
    eos = eos[0] if isinstance(eos, list) else eos
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    train = Examples(a.prompts, a.split, tokenizer, eos, min(a.max_length, getattr(model.config, "max_position_embeddings", a.max_length)))
    args = TrainingArguments(output_dir=a.output, per_device_train_batch_size=a.batch_size,
                             gradient_accumulation_steps=a.gradient_accumulation, learning_rate=a.learning_rate,
                             num_train_epochs=a.epochs, max_steps=a.max_steps, bf16=a.bf16, deepspeed=a.deepspeed,
                             seed=a.seed, logging_steps=10, save_strategy="no", report_to=[], ddp_find_unused_parameters=False,
                             remove_unused_columns=False, use_cpu=not torch.cuda.is_available())
    trainer = Trainer(model=model, args=args, train_dataset=train, data_collator=collate(pad))
    trainer.train()
    trainer.save_model(a.output)
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(a.output)
        for name in ("c2s.json", "vocab.tsv", "manifest.json"):
            if (Path(a.model) / name).exists():
                shutil.copy(Path(a.model) / name, Path(a.output) / name)


if __name__ == "__main__":
    main()
