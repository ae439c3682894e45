#!/usr/bin/env python3
"""Greedy exact-match accuracy of generations against a prompt dataset's responses.

    python3 scripts/exact_match.py PROMPTS.jsonl GENERATIONS.jsonl

PROMPTS is the prompt dataset given to `c2s lm generate --prompts` (one JSON line per
example, with `response`); GENERATIONS is that command's output (`index`, `completion`).
A prediction is the completion with the leading separator space and surrounding whitespace
removed (generation stops at EOS); it is correct when it equals the response exactly.
Prints overall accuracy and, per response label, correct / total.
"""
import collections
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    prompts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    generations = {r["index"]: r for r in (json.loads(l) for l in open(sys.argv[2]) if l.strip())}
    if len(generations) != len(prompts):
        sys.exit(f"{len(prompts)} prompts but {len(generations)} generations")
    per_label = collections.defaultdict(lambda: [0, 0])
    correct = 0
    for i, p in enumerate(prompts):
        prediction = generations[i]["completion"].strip()
        hit = prediction == p["response"]
        correct += hit
        per_label[p["response"]][0] += hit
        per_label[p["response"]][1] += 1
    print(json.dumps({
        "examples": len(prompts),
        "exact_match_accuracy": correct / len(prompts),
        "correct": correct,
        "per_label": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_label.items())},
    }, indent=2))


if __name__ == "__main__":
    main()
