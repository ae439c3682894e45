#!/usr/bin/env python3
"""Tokenizer benchmark, Python side (the `tokenizers` library).

  ref_encode.py corpus OUT.jsonl [--prompts 20000 --genes 200 --english 5000]
      Writes the benchmark corpus: C2S prompts of ~200 real gene names (from ../shared/data,
      see scripts/fixtures/tokenizer_corpus.py) and English lines; one JSON string per line.
  ref_encode.py train-bytelevel CORPUS.jsonl OUT_DIR [--vocab 32000]
      Trains a GPT-2-shaped byte-level BPE with a realistic vocabulary size on the corpus.
  ref_encode.py encode TOKENIZER_DIR CORPUS.jsonl
      Times `Tokenizer.encode` one text at a time (one thread) and `encode_batch` (all cores),
      each on a fresh tokenizer (cold word cache), and prints seconds, tokens and a checksum of
      all ids (h = h * 31 + id mod 2^64, in corpus order) to compare with the Swift side.
"""
import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "fixtures"))


def make_corpus(args):
    import tokenizer_corpus as tc
    genes, counts = tc.gene_names_by_frequency()
    weights = [float(c) + 1.0 for c in counts]
    rng = random.Random(7)
    with open(args.out, "w", encoding="utf-8") as f:
        for _ in range(args.prompts):
            f.write(json.dumps(tc.c2s_prompt(rng, genes, weights, args.genes), ensure_ascii=False) + "\n")
        for _ in range(args.english):
            f.write(json.dumps(tc.english_sentence(rng) + " " + tc.english_sentence(rng), ensure_ascii=False) + "\n")


def read_corpus(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def train_bytelevel(args):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.train_from_iterator(read_corpus(args.corpus), trainers.BpeTrainer(
        vocab_size=args.vocab, special_tokens=["<|endoftext|>"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    os.makedirs(args.out, exist_ok=True)
    tok.save(os.path.join(args.out, "tokenizer.json"))


def checksum(batches):
    h = 0
    for ids in batches:
        for i in ids:
            h = (h * 31 + i) & 0xFFFFFFFFFFFFFFFF
    return h


def encode(args):
    from tokenizers import Tokenizer
    texts = read_corpus(args.corpus)
    path = os.path.join(args.tokenizer, "tokenizer.json")
    t = time.perf_counter()
    tok = Tokenizer.from_file(path)
    load = time.perf_counter() - t
    t = time.perf_counter()
    single = [tok.encode(s).ids for s in texts]
    single_s = time.perf_counter() - t
    tok = Tokenizer.from_file(path)
    t = time.perf_counter()
    batch = [e.ids for e in tok.encode_batch(texts)]
    batch_s = time.perf_counter() - t
    assert batch == single
    tokens = sum(len(x) for x in single)
    print(json.dumps({"impl": "tokenizers", "texts": len(texts), "tokens": tokens, "load_s": round(load, 4),
                      "single_s": round(single_s, 4), "batch_s": round(batch_s, 4), "checksum": checksum(single)}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus"); c.add_argument("out"); c.add_argument("--prompts", type=int, default=20000)
    c.add_argument("--genes", type=int, default=200); c.add_argument("--english", type=int, default=5000)
    t = sub.add_parser("train-bytelevel"); t.add_argument("corpus"); t.add_argument("out"); t.add_argument("--vocab", type=int, default=32000)
    e = sub.add_parser("encode"); e.add_argument("tokenizer"); e.add_argument("corpus")
    args = p.parse_args()
    {"corpus": make_corpus, "train-bytelevel": train_bytelevel, "encode": encode}[args.cmd](args)


if __name__ == "__main__":
    main()
