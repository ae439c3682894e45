"""PyTorch reference for bench/train: full training steps of a randomly initialised model.

    python3 ref_train.py CONFIG_JSON --batch 8 --tokens 256 --steps 5 --warmup 1 [--threads 2]

Builds the model from CONFIG_JSON with transformers (random init, fp32, default attention
implementation), then runs warm-up and timed steps, each on a fresh batch of random tokens
with the loss on every token (labels = input ids, shifted inside the model), exactly as a
Trainer step does it: zero_grad, forward, backward, clip_grad_norm_(1.0), AdamW (weight decay
0.01 outside biases and norms, lr 1e-4). Prints one JSON line like `c2s lm bench-train`.

--lora-rank R [--lora-targets a,b|all-linear] trains PEFT LoRA adapters instead (base frozen,
the optimizer over the adapters only); --checkpoint-activations turns on transformers'
gradient checkpointing (use_reentrant=False), as `c2s lm bench-train --checkpoint-activations`.
--pretrained loads the weights saved in CONFIG_DIR (make_model.py) instead of initialising,
in --dtype (float32, or bfloat16: PEFT then keeps its adapters in fp32, its default
autocast_adapter_dtype, over the frozen bf16 base).
"""
import argparse
import json
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM, Trainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--lora-rank", type=int)
    ap.add_argument("--lora-targets", default="all-linear")
    ap.add_argument("--checkpoint-activations", action="store_true")
    ap.add_argument("--pretrained", action="store_true")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    config = AutoConfig.from_pretrained(a.config)
    dtype = getattr(torch, a.dtype)
    if a.pretrained:
        model = AutoModelForCausalLM.from_pretrained(a.config, dtype=dtype)
    else:
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    if a.lora_rank:
        from peft import LoraConfig, get_peft_model
        targets = a.lora_targets if a.lora_targets == "all-linear" else a.lora_targets.split(",")
        model = get_peft_model(model, LoraConfig(r=a.lora_rank, lora_alpha=a.lora_rank, target_modules=targets,
                                                 lora_dropout=0.0, task_type="CAUSAL_LM"))
    if a.checkpoint_activations:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if a.lora_rank:
            model.enable_input_require_grads()
    model.train()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = set(Trainer.get_decay_parameter_names(None, model))
    groups = [{"params": [p for n, p in named if n in decay], "weight_decay": 0.01},
              {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=a.lr)
    g = torch.Generator().manual_seed(a.seed)
    pass_s = opt_s = 0.0
    losses, step_s = [], []
    for step in range(a.warmup + a.steps):
        ids = torch.randint(0, config.vocab_size, (a.batch, a.tokens), generator=g)
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        t1 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_([p for _, p in named], 1.0)
        optimizer.step()
        t2 = time.perf_counter()
        if step >= a.warmup:
            pass_s += t1 - t0
            opt_s += t2 - t1
            step_s.append(t2 - t0)
            losses.append(loss.item())
    total = pass_s + opt_s
    print(json.dumps({"impl": "torch", "parameters": sum(p.numel() for p in model.parameters()),
                      "trainable_parameters": sum(p.numel() for _, p in named),
                      "tokens_per_step": a.batch * a.tokens, "steps": a.steps, "seconds": total,
                      "tokens_per_s": a.batch * a.tokens * a.steps / total, "forward_backward_s": pass_s,
                      "optimizer_s": opt_s, "step_s": step_s, "losses": losses,
                      "attn_implementation": model.config._attn_implementation,
                      "lora_rank": a.lora_rank, "checkpoint_activations": a.checkpoint_activations,
                      "dtype": a.dtype, "adapter_dtype": str(next(p.dtype for _, p in named)).replace("torch.", ""),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
