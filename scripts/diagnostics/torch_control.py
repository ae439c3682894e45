#!/usr/bin/env python3
"""PyTorch control run for `c2s train`: the same recipe, trained by transformers + torch.

Diagnostic, not a CI test (it needs torch and transformers). It answers one question: does
c2s learn what PyTorch learns from the same data, model and hyperparameters? Everything that
can be made identical is:

- examples: each prompt record's `model_input + " " + response`, tokenized as one string with
  the same tokenizer.json (Hugging Face `tokenizers`), EOS appended, loss on the response and
  EOS (or on every token after the first with --loss-on all); the examples' FNV-1a
  fingerprint is printed and compared with the c2s run's `trainer_state.json`
  (`--compare-state`), so a difference in tokenization cannot pass unnoticed;
- initial weights: `--init DIR`, a Hugging Face folder, e.g. the weights c2s starts from
  (`c2s train ... --max-steps 1 --learning-rate 0 -o init`, which saves them untouched);
- data order: `--order random` replays c2s's `RandomBatches` (its xoshiro256** permutation,
  bit for bit), `--order length` its `LengthGroupedBatches`, `--order torch` a torch
  `RandomSampler`;
- loss: summed token cross-entropy over the step's micro-batches divided by the step's
  target tokens (transformers >= 4.46 `num_items_in_batch`), or with `--loss-weighting
  example` the mean over examples of each example's mean token loss (c2s's option of that
  name); the logged `loss` is the token mean either way, as c2s logs it; clipping of the global norm,
  `torch.optim.AdamW` (weight decay 0 unless `--weight-decay`, never on biases and norm weights,
  as c2s and transformers' Trainer), linear warmup then cosine or
  linear decay (`transformers.get_*_schedule_with_warmup`).

The output folder is a model folder c2s can use: the trained weights (`save_pretrained`), and
every other file of the init folder (tokenizer, c2s.json, vocab.tsv, manifest.json), plus
metrics.jsonl with the loss of each step, overall and per task, and every --eval-every steps the
validation split's token-mean loss under c2s's key names (`validation_loss`, `validation_loss/TASK`).

Example (after `make demo`):
    c2s train demo-output/prompts.jsonl --new-model gpt_neox --hidden-size 128 --layers 2 \
        --heads 4 --context 196 --tokenizer demo-output/tokenizer --max-steps 1 \
        --learning-rate 0 --sentences demo-output/sentences --label-column cell_type -o init
    python3 scripts/diagnostics/torch_control.py demo-output/prompts.jsonl --init init \
        --batch-size 16 --epochs 4 --lr 1e-3 --warmup-ratio 0.05 --schedule cosine \
        --order random -o torch-model --compare-state demo-output/model/trainer_state.json
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

MASK64 = (1 << 64) - 1


class ShuffleGenerator:
    """c2s's SplitMix64-seeded xoshiro256** (Sources/Transformer/Training/LengthGroupedBatches.swift)."""

    def __init__(self, seed, stream):
        z = (seed ^ ((stream * 0x9E3779B97F4A7C15) & MASK64) ^ 0xD1B54A32D192ED03) & MASK64
        s = []
        for _ in range(4):
            z = (z + 0x9E3779B97F4A7C15) & MASK64
            x = z
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
            s.append(x ^ (x >> 31))
        self.s = s

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (self.rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self.rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def below(self, bound):
        return (self.next() * bound) >> 64


def permutation(n, seed, epoch):
    rng = ShuffleGenerator(seed, epoch)
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def random_batches(n, batch_size, seed, epoch):
    order = permutation(n, seed, epoch)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def length_grouped_batches(lengths, batch_size, seed, epoch):
    n = len(lengths)
    order = permutation(n, seed, epoch)
    multiple = max(1, min(n // (batch_size * 4), 50))
    mega_size = multiple * batch_size
    megas = []
    for start in range(0, n, mega_size):
        mega = sorted(order[start:start + mega_size], key=lambda i: -lengths[i])  # stable
        megas.append([mega[k:k + batch_size] for k in range(0, len(mega), batch_size)])
    longest = 0
    for m in range(len(megas)):
        if lengths[megas[m][0][0]] > lengths[megas[longest][0][0]]:
            longest = m
    megas[0][0][0], megas[longest][0][0] = megas[longest][0][0], megas[0][0][0]
    return [b for m in megas for b in m]


def fingerprint(examples):
    """c2s's trainingDataFingerprint: FNV-1a over (count, then per example length, loss
    start, tokens), each as 8 little-endian bytes."""
    h = 0xCBF29CE484222325

    def mix(v):
        nonlocal h
        for _ in range(8):
            h = ((h ^ (v & 0xFF)) * 0x100000001B3) & MASK64
            v >>= 8

    mix(len(examples))
    for tokens, start in examples:
        mix(len(tokens))
        mix(start)
        for t in tokens:
            mix(t & 0xFFFFFFFF)
    return f"{h:016x}"


def encode(records, tokenizer, eos, loss_on, max_length):
    examples = []
    for r in records:
        full = tokenizer.encode(r["model_input"] + " " + r["response"]).ids
        inp = tokenizer.encode(r["model_input"]).ids
        tokens = list(full)
        if not tokens or tokens[-1] != eos:
            tokens.append(eos)
        if not (len(inp) < len(tokens) - 1 and tokens[:len(inp)] == inp):
            sys.exit(f"line {r['_line']}: the input's tokens are not a prefix of the example's; "
                     "this control does not implement c2s's decoding fallback")
        if len(tokens) > max_length:
            sys.exit(f"line {r['_line']}: {len(tokens)} tokens, more than {max_length}; "
                     "this control does not truncate (use prompts that fit)")
        start = len(inp) if loss_on == "response" else 1
        examples.append((tokens, max(1, min(start, len(tokens)))))
    return examples


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prompts")
    ap.add_argument("--init", required=True, help="model folder with the initial weights, config and tokenizer")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--split", default="train")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--stop-after", type=int,
                    help="stop after this many steps of the full schedule (compare the start of a long c2s run)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup-ratio", type=float, default=0.05)
    ap.add_argument("--schedule", choices=["cosine", "linear", "constant"], default="cosine")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--max-grad-norm", type=float, default=1.0)
    ap.add_argument("--loss-on", choices=["response", "all"], default="response")
    ap.add_argument("--loss-weighting", choices=["token", "example"], default="token",
                    help="token: mean over the step's target tokens; example: mean over examples of their mean token loss")
    ap.add_argument("--order", choices=["random", "length", "torch"], default="random")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--validation-split", default="validation",
                    help="split whose loss is reported every --eval-every steps, overall and per task ('none' to skip)")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-examples", type=int,
                    help="validate on the first N examples of the validation split only, as c2s's --eval-examples")
    ap.add_argument("--compare-state", help="trainer_state.json of the c2s run: its data fingerprint must equal ours")
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args()

    import torch
    from tokenizers import Tokenizer
    from transformers import (AutoModelForCausalLM, get_constant_schedule_with_warmup,
                              get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if os.path.exists(args.output):
        if not args.overwrite:
            sys.exit(f"{args.output} exists (--overwrite replaces it)")
        shutil.rmtree(args.output)

    config = json.load(open(os.path.join(args.init, "config.json")))
    eos = config["eos_token_id"]
    max_length = config.get("max_position_embeddings") or config.get("n_positions")
    tokenizer = Tokenizer.from_file(os.path.join(args.init, "tokenizer.json"))
    records, held_out = [], []
    with open(args.prompts) as f:
        for n, line in enumerate(f, 1):
            r = json.loads(line)
            r["_line"] = n
            split = r.get("split", "train")
            if split == args.split:
                records.append(r)
            elif split == args.validation_split:
                held_out.append(r)
    examples = encode(records, tokenizer, eos, args.loss_on, max_length)
    tasks = [r["task"] for r in records]
    held_out = held_out[:args.eval_examples] if args.eval_examples else held_out
    validation = encode(held_out, tokenizer, eos, args.loss_on, max_length)
    validation_tasks = [r["task"] for r in held_out]
    fp = fingerprint(examples)
    print(f"{len(examples)} examples, fingerprint {fp}", file=sys.stderr)
    if args.compare_state:
        theirs = json.load(open(args.compare_state))["data_fingerprint"]
        if theirs != fp:
            sys.exit(f"data fingerprint {fp} differs from {args.compare_state}'s {theirs}: not the same examples")
        print("same examples as the c2s run (fingerprints equal)", file=sys.stderr)

    model = AutoModelForCausalLM.from_pretrained(args.init, dtype=torch.float32)
    model.train()
    per_epoch = math.ceil(len(examples) / args.batch_size)
    total = args.max_steps or args.epochs * per_epoch
    warmup = math.ceil(total * args.warmup_ratio)
    # c2s's (and transformers' Trainer's) rule: biases and norm weights never decay.
    def decays(name):
        lower = name.lower()
        return not (lower == "bias" or lower.endswith(".bias") or "norm" in lower or "ln_" in lower)
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if decays(n)], "weight_decay": args.weight_decay},
              {"params": [p for n, p in named if not decays(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    schedule = {"cosine": lambda: get_cosine_schedule_with_warmup(opt, warmup, total),
                "linear": lambda: get_linear_schedule_with_warmup(opt, warmup, total),
                "constant": lambda: get_constant_schedule_with_warmup(opt, warmup)}[args.schedule]()
    lengths = [len(t) for t, _ in examples]
    generator = torch.Generator().manual_seed(args.seed)

    def epoch_batches(epoch):
        if args.order == "random":
            return random_batches(len(examples), args.batch_size, args.seed, epoch)
        if args.order == "length":
            return length_grouped_batches(lengths, args.batch_size, args.seed, epoch)
        order = torch.randperm(len(examples), generator=generator).tolist()
        return [order[i:i + args.batch_size] for i in range(0, len(order), args.batch_size)]

    def tensors(rows):
        width = max(len(t) for t, _ in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for row, (tokens, s) in enumerate(rows):
            ids[row, :len(tokens)] = torch.tensor(tokens)
            mask[row, :len(tokens)] = 1
            # labels[p] is the token predicted at position p-1 (transformers shifts them).
            labels[row, s:len(tokens)] = torch.tensor(tokens[s:])
        return ids, mask, labels

    def validate():
        """Token-mean loss over the validation examples, overall and per task (c2s's validation_loss keys)."""
        model.eval()
        sums = {}
        with torch.no_grad():
            for b in range(0, len(validation), args.batch_size):
                rows = validation[b:b + args.batch_size]
                ids, mask, labels = tensors(rows)
                logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
                target = labels[:, 1:]
                token_loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                                               ignore_index=-100, reduction="none").view(target.shape)
                for row in range(len(rows)):
                    task = validation_tasks[b + row]
                    s, c = sums.get(task, (0.0, 0))
                    sums[task] = (s + float(token_loss[row].sum()), c + int((target[row] != -100).sum()))
        model.train()
        total_loss = sum(s for s, _ in sums.values())
        total_count = sum(c for _, c in sums.values())
        entry = {"validation_loss": total_loss / max(1, total_count)}
        entry.update({f"validation_loss/{k}": s / c for k, (s, c) in sorted(sums.items()) if c})
        return entry

    os.makedirs(args.output)
    log = open(os.path.join(args.output, "metrics.jsonl"), "w")
    start = time.time()
    step = 0
    batches = []
    stop = min(total, args.stop_after or total)
    while step < stop:
        if step % per_epoch == 0:
            batches = epoch_batches(step // per_epoch)
        batch = batches[step % per_epoch]
        ids, mask, labels = tensors([examples[i] for i in batch])
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        target = labels[:, 1:]
        token_loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                                       ignore_index=-100, reduction="none").view(target.shape)
        count = int((target != -100).sum())
        if args.loss_weighting == "token":
            loss = token_loss.sum() / max(1, count)
        else:
            per = (target != -100).sum(dim=1)
            has = per > 0
            loss = (token_loss.sum(dim=1)[has] / per[has]).sum() / max(1, int(has.sum()))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm if args.max_grad_norm > 0 else float("inf"))
        lr = schedule.get_last_lr()[0]
        opt.step()
        schedule.step()
        step += 1
        by_task = {}
        with torch.no_grad():
            for row, i in enumerate(batch):
                n = int((target[row] != -100).sum())
                s, c = by_task.get(tasks[i], (0.0, 0))
                by_task[tasks[i]] = (s + float(token_loss[row].sum()), c + n)
        log.write(json.dumps({"step": step, "epoch": step / per_epoch, "loss": float(token_loss.sum()) / max(1, count), "lr": lr,
                              "grad_norm": float(norm), "target_tokens": count,
                              "task_loss": {k: s / c for k, (s, c) in sorted(by_task.items()) if c}}) + "\n")
        if validation and (step % args.eval_every == 0 or step == stop):
            entry = validate()
            log.write(json.dumps({"step": step, "epoch": step / per_epoch, **entry}) + "\n")
            print(f"step {step} validation loss {entry['validation_loss']:.4f}", file=sys.stderr)
        if step % 50 == 0 or step == stop:
            log.flush()
            print(f"step {step}/{total} objective {float(loss):.4f} ({time.time() - start:.0f} s)", file=sys.stderr)
    log.close()
    model.save_pretrained(args.output, safe_serialization=True)
    for name in os.listdir(args.init):
        if name in ("model.safetensors", "config.json", "metrics.jsonl", "trainer_state.json", "loss.svg",
                    "optimizer.safetensors") or name.startswith("checkpoint-"):
            continue
        src = os.path.join(args.init, name)
        if os.path.isfile(src):
            shutil.copy(src, os.path.join(args.output, name))
    print(f"trained {stop} of {total} steps in {time.time() - start:.0f} s: {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
