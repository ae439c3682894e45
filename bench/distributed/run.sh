#!/usr/bin/env bash
# Data-parallel scaling on one machine: `c2s train` alone and as 2 MPI ranks (`mpirun -np 2`),
# against PyTorch DistributedDataParallel (gloo, `torchrun --nproc_per_node 2`) on the same
# model shape and global batch, in one run.
#
#   bench/distributed/run.sh [WORK_DIR]     STEPS=8 HIDDEN=256 LAYERS=4 BATCH=16 CELLS=2000
#
# Data: simulated cells -> sentences -> cell type prediction + generation prompts (top 100
# genes) -> a gene-aware tokenizer. c2s trains a new GPT-NeoX on the prompts (validation off,
# tokens/s from metrics.jsonl without the first step); PyTorch trains the same config.json on
# random tokens of the prompts' mean length. Each side runs 1 process x all cores, 1 process
# x 1 core, and 2 ranks x 1 core; the scaling efficiency is (2 ranks) / (2 x 1 process, 1 core).
# c2s's 2 ranks run twice: summing the whole gradient after the backward pass (the default when
# every rank is on one machine) and each layer's gradient during it (--overlap-allreduce).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${1:-/tmp/c2s-bench-distributed}"
STEPS="${STEPS:-8}"
HIDDEN="${HIDDEN:-256}"
LAYERS="${LAYERS:-4}"
BATCH="${BATCH:-16}"
CELLS="${CELLS:-2000}"
C2S_BIN="${C2S_BIN:-$ROOT/.build/release/c2s}"
[[ -x "$C2S_BIN" ]] || (cd "$ROOT" && swift build -c release --product c2s)
command -v mpirun >/dev/null || { echo "mpirun not found: apt install openmpi-bin" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$WORK"
cd "$WORK"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$C2S_BIN" simulate -o sim.h5ad --cells "$CELLS" --cell-types 10 --overwrite -q
"$C2S_BIN" convert sim.h5ad -o sentences --obs-columns cell_type --overwrite -q
"$C2S_BIN" prompts sentences --task cell_type_prediction:2 --task cell_type_generation:1 --examples 4000 \
  --label-column cell_type --stratify-by cell_type --top-k 100 -o prompts.jsonl --overwrite -q
"$C2S_BIN" tokenizer train prompts.jsonl --gene-aware sentences -o tok --overwrite >/dev/null

TRAIN=(train prompts.jsonl --new-model gpt_neox --hidden-size "$HIDDEN" --layers "$LAYERS" --heads 4 --context 256
       --tokenizer tok --batch-size "$BATCH" --max-steps $((STEPS + 1)) --learning-rate 1e-4 --validation-split none --overwrite -q)
cores=$(nproc)
"$C2S_BIN" "${TRAIN[@]}" --threads "$cores" -o c2s-1x"$cores"
"$C2S_BIN" "${TRAIN[@]}" --threads 1 -o c2s-1x1
mpirun -np 2 --oversubscribe "$C2S_BIN" "${TRAIN[@]}" -o c2s-2x1
mpirun -np 2 --oversubscribe "$C2S_BIN" "${TRAIN[@]}" --overlap-allreduce -o c2s-2x1-overlap
echo "load average after c2s: $(cut -d' ' -f1-3 /proc/loadavg)"

TOKENS=$("$PYTHON" -c "import json; l=[json.loads(x) for x in open('c2s-2x1/metrics.jsonl')]; print(round(sum(x['tokens'] for x in l) / len(l) / $BATCH))")
REF=("$ROOT/bench/distributed/ref_ddp.py" c2s-2x1/config.json --global-batch "$BATCH" --tokens "$TOKENS" --steps "$STEPS")
"$PYTHON" "${REF[@]}" --threads "$cores" > torch-1x"$cores".json
"$PYTHON" "${REF[@]}" --threads 1 > torch-1x1.json
torchrun --standalone --nproc_per_node 2 "${REF[@]}" 2>torch-2x1.err > torch-2x1.json
echo "load average after PyTorch: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$cores" "$BATCH" "$TOKENS" <<'PY'
import json, sys
cores, batch, tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def c2s(folder):
    lines = [json.loads(l) for l in open(f"{folder}/metrics.jsonl")][1:]   # the first step warms up
    seconds = sum(l["seconds"] for l in lines)
    comm = sum(l.get("allreduce_seconds", 0) for l in lines)
    return sum(l["tokens"] for l in lines) / seconds, comm / seconds
def torch(name):
    return json.load(open(f"{name}.json"))
params = json.load(open("c2s-2x1/config.json"))
ours = {k: c2s(f"c2s-{k}") for k in (f"1x{cores}", "1x1", "2x1", "2x1-overlap")}
ref = {k: torch(f"torch-{k}") for k in (f"1x{cores}", "1x1", "2x1")}
print(f"model: gpt_neox hidden {params['hidden_size']}, {params['num_hidden_layers']} layers, vocab {params['vocab_size']} "
      f"({ref['2x1']['parameters'] / 1e6:.1f} M parameters, {4 * ref['2x1']['parameters'] / 2**20:.0f} MiB of fp32 gradient per step); "
      f"global batch {batch} sequences (~{tokens} tokens each)")
print(f"{'':28s}{'c2s tokens/s':>14s}{'PyTorch tokens/s':>18s}{'ratio':>8s}")
for k, label in ((f"1x{cores}", f"1 process x {cores} threads"), ("1x1", "1 process x 1 thread"), ("2x1", "2 ranks x 1 thread")):
    print(f"{label:28s}{ours[k][0]:14.0f}{ref[k]['tokens_per_s']:18.0f}{ours[k][0] / ref[k]['tokens_per_s']:7.2f}x")
for name, one, two in (("c2s", ours["1x1"][0], ours["2x1"][0]), ("PyTorch DDP", ref["1x1"]["tokens_per_s"], ref["2x1"]["tokens_per_s"])):
    print(f"{name}: 2 ranks = {two / one:.2f}x one 1-thread process (scaling efficiency {two / (2 * one):.0%})")
print(f"c2s 2 ranks, gradient summed after the backward pass: {ours['2x1'][1]:.1%} of step time in MPI_Allreduce "
      f"(gradients and losses, waiting included)")
print(f"c2s 2 ranks, summed layer by layer during it (--overlap-allreduce): {ours['2x1-overlap'][0]:.0f} tokens/s "
      f"(scaling efficiency {ours['2x1-overlap'][0] / (2 * ours['1x1'][0]):.0%}), {ours['2x1-overlap'][1]:.1%} of step time "
      f"waiting for the sums after the backward pass (and summing the losses)")
PY
