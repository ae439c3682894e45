"""transformers' bf16 batched generation, the peer of bench/published/run.sh.

  python3 ref_generate.py annotate MODEL_DIR PROMPTS.jsonl NEW BATCH OUT.json
      model_input strings (c2s prompts output), left-padded batches of BATCH, greedy, NEW new tokens
  python3 ref_generate.py generate MODEL_DIR IDS.jsonl NEW BATCH OUT.json
      token-id prompts of equal length, top-k 50 / top-p 0.95 sampling, exactly NEW new tokens

Model loaded in torch.bfloat16 (its stored precision), default (sdpa) attention, both cores.
Writes seconds (generation only), load_seconds, tokens generated, and the first answer.
"""
import json
import sys
import time

t0 = time.perf_counter()
import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402


def main():
    mode, model_dir, prompts_path, new, batch, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    load = time.perf_counter() - t0
    lines = [json.loads(l) for l in open(prompts_path)]
    answers, generated, prompt_tokens = [], 0, 0
    torch.manual_seed(0)
    with torch.inference_mode():
        model.generate(torch.tensor([[2, 100, 200]]), max_new_tokens=2, pad_token_id=0)  # warm-up
        start = time.perf_counter()
        for i in range(0, len(lines), batch):
            chunk = lines[i:i + batch]
            if mode == "annotate":
                enc = tokenizer([l["model_input"] for l in chunk], return_tensors="pt", padding=True)
                prompt_tokens += int(enc["attention_mask"].sum())
                result = model.generate(**enc, max_new_tokens=new, do_sample=False, pad_token_id=tokenizer.pad_token_id)
                tail = result[:, enc["input_ids"].shape[1]:]
                answers += tokenizer.batch_decode(tail, skip_special_tokens=True)
                generated += int(tail.numel())
            else:
                ids = torch.tensor(chunk)
                prompt_tokens += int(ids.numel())
                result = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new, min_new_tokens=new,
                                        do_sample=True, top_k=50, top_p=0.95, temperature=1.0, pad_token_id=0)
                generated += int(result[:, ids.shape[1]:].numel())
                answers.append(result[0, ids.shape[1]:].tolist())
        seconds = time.perf_counter() - start
    json.dump({"seconds": seconds, "load_seconds": load, "generated_tokens": generated, "prompt_tokens": prompt_tokens,
               "sequences": len(lines), "first_answer": answers[0]}, open(out, "w"))


if __name__ == "__main__":
    main()
