"""PyTorch peer of bench/distributed: DistributedDataParallel on CPU (gloo), the same model.

    torchrun --standalone --nproc_per_node N ref_ddp.py CONFIG_JSON --global-batch 16 --tokens 110 --steps 8

Builds the model from CONFIG_JSON (c2s's config.json of the same run) with transformers,
random init, fp32; every rank takes global-batch / N sequences of `tokens` random tokens per
step (loss on every token), DDP averages the gradients (bucketed all-reduce overlapped with
the backward pass, its default), then clip_grad_norm_(1.0) and AdamW as a Trainer step.
Threads per rank: the machine's cores / N unless --threads. Rank 0 prints one JSON line.
"""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist
from transformers import AutoConfig, AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--global-batch", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=110)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int)
    a = ap.parse_args()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    torch.set_num_threads(a.threads or max(1, os.cpu_count() // world))
    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(a.config)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.train()
    trained = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    per_rank = a.global_batch // world
    g = torch.Generator().manual_seed(1000 + rank)
    steps = []
    for step in range(a.warmup + a.steps):
        ids = torch.randint(0, config.vocab_size, (per_rank, a.tokens), generator=g)
        if world > 1:
            dist.barrier()
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = trained(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if world > 1:
            dist.barrier()
        if step >= a.warmup:
            steps.append(time.perf_counter() - t0)
    if rank == 0:
        seconds = sum(steps)
        print(json.dumps({"impl": "torch-ddp", "ranks": world, "threads_per_rank": torch.get_num_threads(),
                          "tokens_per_step": a.global_batch * a.tokens, "steps": a.steps, "seconds": seconds,
                          "tokens_per_s": a.global_batch * a.tokens * a.steps / seconds,
                          "parameters": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}))
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
