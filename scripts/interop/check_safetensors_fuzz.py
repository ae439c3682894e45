#!/usr/bin/env python3
"""Compare our reader's verdicts on corrupted files with the Python safetensors library's.

usage:
  C2S_SAFETENSORS_FUZZ_DUMP=/tmp/fuzz swift test -c release -Xswiftc -enable-testing --filter SafetensorsFuzzTests
  python3 scripts/interop/check_safetensors_fuzz.py /tmp/fuzz

The fuzz test writes every corrupted file and verdicts.json ({file: "ok" | "error"}). Python's
verdict is "ok" when safe_open succeeds (which validates the whole header and layout) and
get_slice works for every tensor (no tensor is materialised, so no dtype is refused for lack of
a framework type). Prints each disagreement
with Python's message; exits 1 if any disagreement is not an expected one (our reader refuses
duplicate tensor names, which the Rust reader resolves silently by keeping the last).
"""
import json
import os
import sys

from safetensors import safe_open


def python_verdict(path):
    try:
        with safe_open(path, "pt") as f:
            for key in f.keys():
                f.get_slice(key)
        return "ok", ""
    except Exception as error:  # noqa: BLE001 - any failure is a refusal
        return "error", str(error).splitlines()[0][:160]


def duplicate_names(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = f.read(n)
    seen = set()

    def hook(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            seen.add(True)
        return dict(pairs)
    try:
        json.loads(header, object_pairs_hook=hook)
    except Exception:  # noqa: BLE001
        return False
    return bool(seen)


def main(folder):
    verdicts = json.load(open(os.path.join(folder, "verdicts.json")))
    agree, expected, unexpected = 0, 0, 0
    for name, ours in sorted(verdicts.items()):
        path = os.path.join(folder, name)
        theirs, message = python_verdict(path)
        if ours == theirs:
            agree += 1
        elif ours == "error" and duplicate_names(path):
            expected += 1
            print(f"{name}: we refuse duplicate tensor names, Python accepts (expected)")
        else:
            unexpected += 1
            print(f"{name}: ours {ours}, Python {theirs} {message}")
    print(f"{agree} agree, {expected} expected differences, {unexpected} unexpected, of {len(verdicts)}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
