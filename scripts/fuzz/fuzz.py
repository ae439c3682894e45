#!/usr/bin/env python3
"""Fuzz c2s with structured mutants of every input format it reads (issue 17).

For each format a small valid seed is made (seeds.py), then COUNT mutants of it (mutate.py),
and each mutant is run through the c2s commands that read that format, under a time limit and
an address-space limit. A run is:

  crash    killed by a signal (segfault, abort, a Swift trap: all are bugs)
  hang     still running at the time limit
  over     peak resident memory above the memory limit (cannot exceed it under the address
           space limit; an allocation beyond it must fail cleanly, else it is a crash)
  error    exit status >= 1 (the expected outcome for most mutants); also counted: errors whose
           stderr is not one 'error: ...' line, and failed runs that left output under the final
           name or temporaries beside it
  ok       exit status 0 (the mutant was still valid)
  slow     runs over 5 s (an HDF5 file whose check in a child process hit its time limit ends
           as an error after 10 s: counted here, not as a hang)

Crashing and hanging mutants are kept under --keep for reproduction. The exit status is 1 when
any run crashed, hung or went over the limit, or when a seed itself was refused (the harness
would be testing nothing).

Example (what docs/RELIABILITY.md records):
  nice -n 19 python3 scripts/fuzz/fuzz.py --binary .build/release/c2s --count 1000 --jobs 2
CI runs a few mutants per format: make test calls it with --count 3.
"""

import argparse
import gzip
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutate  # noqa: E402
import seeds  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")

CONVERT = ["convert", "{input}", "-o", "{out}/sentences", "--min-genes", "0", "--min-cells", "0", "--fit-cells", "16"]
GENERATE = ["lm", "generate", "--model", "{model}", "--prompt", "The cell type of this cell is", "--max-new-tokens", "3",
            "-o", "{out}/generated.jsonl"]


class Format:
    """One input format: how its seed is laid out in a case folder, which file a mutant
    replaces, how it is mutated and which commands read it. `{input}` in a command is the
    case's input path, `{model}` its model folder, `{out}` a fresh folder for outputs."""

    def __init__(self, name, make_seed, target, mutator, commands, input_path=None, gz=False):
        self.name, self.make_seed, self.target, self.mutator = name, make_seed, target, mutator
        self.commands, self.input_path, self.gz = commands, input_path or target, gz


def gz_text_mutator(data, rng):
    """A gzipped text file: damage to the compressed bytes, or to the text recompressed."""
    if rng.random() < 0.4:
        return mutate.mutate_bytes(data, rng)
    return gzip.compress(mutate.mutate_text(gzip.decompress(data), rng), mtime=0)


def mtx_folder_mutator(files):
    """A Matrix Market folder: most mutants damage the matrix, the rest a sidecar file."""
    def pick(rng):
        return rng.choices(files, weights=[6, 2, 2])[0]
    return pick


def make_formats(binary, workdir):
    rng = lambda: np.random.default_rng(0)  # noqa: E731 (seeds are the same in every campaign)

    def model_seed(folder):
        seeds.copy_model(FIXTURES, os.path.join(folder, "model"))

    def dataset_seed(folder):
        # The sentence dataset comes from the binary under test converting the h5ad seed.
        h5ad = os.path.join(folder, "seed.h5ad")
        seeds.write_h5ad(h5ad, rng())
        subprocess.run([binary, "convert", h5ad, "-o", os.path.join(folder, "dataset"), "--min-genes", "0",
                        "--min-cells", "0", "--obs-columns", "cell_type", "--quiet"], check=True)
        os.remove(h5ad)

    def prompts_seed(folder):
        model_seed(folder)
        with open(os.path.join(folder, "prompts.jsonl"), "w") as f:
            f.write(seeds.prompt_lines(rng()))

    return [
        Format("h5ad", lambda d: seeds.write_h5ad(os.path.join(d, "in.h5ad"), rng()), "in.h5ad", mutate.mutate_bytes,
               [CONVERT + ["--obs-columns", "cell_type"]]),
        Format("h5ad-csc", lambda d: seeds.write_h5ad(os.path.join(d, "in.h5ad"), rng(), csc=True), "in.h5ad", mutate.mutate_bytes,
               [CONVERT + ["--obs-columns", "cell_type"]]),
        Format("10x-h5", lambda d: seeds.write_10x_h5(os.path.join(d, "in.h5"), rng()), "in.h5", mutate.mutate_bytes,
               [CONVERT]),
        Format("mtx", lambda d: seeds.write_mtx_folder(os.path.join(d, "tenx"), rng(), compress=False),
               ["tenx/matrix.mtx", "tenx/features.tsv", "tenx/barcodes.tsv"], mutate.mutate_text, [CONVERT],
               input_path="tenx"),
        Format("mtx.gz", lambda d: seeds.write_mtx_folder(os.path.join(d, "tenx"), rng(), compress=True),
               ["tenx/matrix.mtx.gz", "tenx/features.tsv.gz", "tenx/barcodes.tsv.gz"], gz_text_mutator, [CONVERT],
               input_path="tenx"),
        Format("csv", lambda d: seeds.write_csv(os.path.join(d, "in.csv"), rng()), "in.csv", mutate.mutate_text, [CONVERT]),
        Format("safetensors", model_seed, "model/model.safetensors", mutate.mutate_bytes, [GENERATE], input_path="model"),
        Format("tokenizer.json", model_seed, "model/tokenizer.json", mutate.mutate_json, [GENERATE], input_path="model"),
        Format("config.json", model_seed, "model/config.json", mutate.mutate_json, [GENERATE], input_path="model"),
        Format("tokenizer_config.json", model_seed, "model/tokenizer_config.json", mutate.mutate_json, [GENERATE], input_path="model"),
        Format("generation_config.json", model_seed, "model/generation_config.json", mutate.mutate_json, [GENERATE], input_path="model"),
        Format("cells.jsonl", dataset_seed, "dataset/cells.jsonl", mutate.mutate_jsonl,
               [["inspect", "{input}"],
                ["prompts", "{input}", "--task", "cell_type_prediction", "--label-column", "cell_type", "-o", "{out}/prompts.jsonl"]],
               input_path="dataset"),
        Format("prompts.jsonl", prompts_seed, "prompts.jsonl", mutate.mutate_jsonl,
               [["lm", "generate", "--model", "{model}", "--prompts", "{input}", "--max-new-tokens", "3", "-o", "{out}/generated.jsonl"]]),
    ]


def limits(memory_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run(binary, args, timeout, memory_bytes, cwd):
    """Runs one command; returns (status, signal, timed_out, peak_rss_bytes, stderr)."""
    err_path = os.path.join(cwd, "stderr.txt")
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([binary] + args, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=cwd, preexec_fn=limits(memory_bytes), start_new_session=True)
        deadline = time.monotonic() + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        proc.returncode = 0  # reaped here; keep Popen from waiting again
    with open(err_path, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return code, sig, timed_out, usage.ru_maxrss * 1024, stderr


def leftovers(out):
    """Temporaries (.NAME.tmp-PID) left in the output folder."""
    return [n for n in os.listdir(out) if ".tmp-" in n]


def one_case(fmt, index, args, seed_dir, binary):
    rng = random.Random(f"{args.seed}:{fmt.name}:{index}")
    case = tempfile.mkdtemp(prefix=f"{fmt.name}-{index}-", dir=args.workdir)
    try:
        shutil.copytree(seed_dir, case, dirs_exist_ok=True)
        targets = fmt.target if isinstance(fmt.target, list) else [fmt.target]
        target = rng.choices(targets, weights=[6, 2, 2][: len(targets)])[0] if len(targets) > 1 else targets[0]
        path = os.path.join(case, target)
        with open(path, "rb") as f:
            data = f.read()
        if index >= 0:  # index -1 is the seed itself
            with open(path, "wb") as f:
                f.write(fmt.mutator(data, rng))
        results = []
        for command in fmt.commands:
            out = os.path.join(case, "out")
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            argv = [a.format(input=os.path.join(case, fmt.input_path), model=os.path.join(case, "model"), out=out)
                    for a in command]
            began = time.monotonic()
            code, sig, timed_out, rss, stderr = run(binary, argv, args.timeout, args.memory_mb << 20, case)
            seconds = time.monotonic() - began
            lines = [l for l in stderr.splitlines() if l.startswith("error:")]
            unclear = code not in (0, None) and (len(lines) != 1 or not lines[0].startswith("error: "))
            partial = code not in (0, None) and any(not n.startswith(".") for n in os.listdir(out))
            results.append(dict(command=command[0] if command[0] != "lm" else "lm " + command[1], code=code, signal=sig,
                                hang=timed_out, rss=rss, unclear=unclear, partial=partial, leftover=bool(leftovers(out)),
                                stderr=stderr[-2000:], target=target, seconds=seconds))
        bad = any(r["signal"] is not None and not r["hang"] or r["hang"] or r["rss"] > args.memory_mb << 20 for r in results)
        if bad and args.keep:
            dest = os.path.join(args.keep, f"{fmt.name}-{args.seed}-{index}")
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(case, dest)
        return results
    finally:
        shutil.rmtree(case, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "c2s"))
    parser.add_argument("--count", type=int, default=100, help="mutants per format")
    parser.add_argument("--formats", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--seed", type=int, default=1, help="campaign seed (mutant i of a format is the same for the same seed)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30, help="seconds per command")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit per command")
    parser.add_argument("--keep", default="", help="folder to copy crashing and hanging cases into")
    parser.add_argument("--workdir", default="")
    parser.add_argument("--verbose", action="store_true", help="print every unclear error")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"error: {binary}: no c2s executable (build it first)")
    own_workdir = not args.workdir
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="c2s-fuzz-")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    formats = make_formats(binary, args.workdir)
    if args.formats:
        wanted = args.formats.split(",")
        formats = [f for f in formats if f.name in wanted]
    failed = False
    started = time.monotonic()
    print(f"{'format':22} {'mutants':>7} {'runs':>5} {'crash':>5} {'hang':>5} {'over':>5} {'error':>5} {'ok':>5} "
          f"{'unclear':>7} {'partial':>7} {'left':>5} {'slow':>5} {'peak MB':>7} {'s':>6}")
    try:
        for fmt in formats:
            t0 = time.monotonic()
            seed_dir = os.path.join(args.workdir, "seed-" + fmt.name)
            os.makedirs(seed_dir, exist_ok=True)
            fmt.make_seed(seed_dir)
            for r in one_case(fmt, -1, args, seed_dir, binary):
                if r["code"] != 0:
                    print(f"error: the {fmt.name} seed itself fails '{r['command']}': {r['stderr'].strip()}", file=sys.stderr)
                    failed = True
            with ThreadPoolExecutor(args.jobs) as pool:
                cases = list(pool.map(lambda i: one_case(fmt, i, args, seed_dir, binary), range(args.count)))
            runs = [r for case in cases for r in case]
            crash = [r for r in runs if r["signal"] is not None and not r["hang"]]
            hang = [r for r in runs if r["hang"]]
            over = [r for r in runs if r["rss"] > args.memory_mb << 20]
            counts = dict(crash=len(crash), hang=len(hang), over=len(over),
                          error=sum(r["code"] not in (0, None) for r in runs), ok=sum(r["code"] == 0 for r in runs),
                          unclear=sum(r["unclear"] for r in runs), partial=sum(r["partial"] for r in runs),
                          left=sum(r["leftover"] for r in runs), slow=sum(r["seconds"] > 5 for r in runs))
            peak = max((r["rss"] for r in runs), default=0) >> 20
            print(f"{fmt.name:22} {len(cases):7} {len(runs):5} {counts['crash']:5} {counts['hang']:5} {counts['over']:5} "
                  f"{counts['error']:5} {counts['ok']:5} {counts['unclear']:7} {counts['partial']:7} {counts['left']:5} {counts['slow']:5} "
                  f"{peak:7} {time.monotonic() - t0:6.0f}", flush=True)
            for r in crash + hang + over:
                print(f"  {fmt.name} {r['command']} ({r['target']}): signal {r['signal']} hang {r['hang']} "
                      f"rss {r['rss'] >> 20} MB: {r['stderr'].strip()[-300:]}", flush=True)
            if args.verbose:
                for r in runs:
                    if r["unclear"] or r["partial"] or r["leftover"]:
                        print(f"  unclear/partial/leftover: {fmt.name} {r['command']}: {r['stderr'].strip()[-300:]}")
            failed = failed or bool(crash or hang or over)
            shutil.rmtree(seed_dir, ignore_errors=True)
    finally:
        if own_workdir:
            shutil.rmtree(args.workdir, ignore_errors=True)
    print(f"total {time.monotonic() - started:.0f} s; {'FAILED' if failed else 'no crash, hang or run over the limit'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
