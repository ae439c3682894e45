#!/usr/bin/env bash
# Tokenizer benchmark: encodes 20k C2S prompts of 200 real gene names plus 5k English lines with
# the `tokenizers` library (bench/tokenizer/ref_encode.py) and, when available, with ours.
#
#   bench/tokenizer/run.sh [OUT_DIR]
#
# Tokenizers: a GPT-2-shaped byte-level BPE trained here with a 32k vocabulary, and the gpt2 and
# gemma fixtures (Tests/Fixtures/tokenizers). Our side is `c2s lm tokenize --benchmark`, which
# prints the same JSON line as ref_encode.py (impl, texts, tokens, load_s, single_s, batch_s,
# checksum). Equal checksums mean identical ids for the whole corpus.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
OUT="${1:-$ROOT/.build/bench-tokenizer}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
mkdir -p "$OUT"
[[ -f "$OUT/corpus.jsonl" ]] || "$PYTHON" "$ROOT/bench/tokenizer/ref_encode.py" corpus "$OUT/corpus.jsonl"
[[ -f "$OUT/bl32k/tokenizer.json" ]] || "$PYTHON" "$ROOT/bench/tokenizer/ref_encode.py" train-bytelevel "$OUT/corpus.jsonl" "$OUT/bl32k"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for tok in "$OUT/bl32k" "$ROOT/Tests/Fixtures/tokenizers/gpt2" "$ROOT/Tests/Fixtures/tokenizers/gemma"; do
  echo "== $tok"
  "$PYTHON" "$ROOT/bench/tokenizer/ref_encode.py" encode "$tok" "$OUT/corpus.jsonl"
  "$C2S_BIN" lm tokenize --benchmark --tokenizer "$tok" "$OUT/corpus.jsonl"
done
