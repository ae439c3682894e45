#!/usr/bin/env python3
"""Check that files written by our SafetensorsWriter load in the Python libraries.

usage:
  python3 scripts/interop/check_safetensors.py FILE.safetensors REFERENCE.safetensors
      safetensors.torch.load_file reads FILE; same names, dtypes, shapes and bytes as REFERENCE.
  python3 scripts/interop/check_safetensors.py --model FOLDER REFERENCE_FOLDER
      transformers' AutoModelForCausalLM.from_pretrained(FOLDER) loads (FOLDER needs the
      config.json of REFERENCE_FOLDER beside our weights) and its state dict equals the
      reference model's exactly.

Produce the files with the Swift tests:
  C2S_SAFETENSORS_DUMP=/tmp/dump swift test -c release -Xswiftc -enable-testing --filter SafetensorsWriterTests
  cp Tests/Fixtures/safetensors/gpt2-sharded/*config.json /tmp/dump/writer_sharded/
  python3 scripts/interop/check_safetensors.py /tmp/dump/writer_ours.safetensors Tests/Fixtures/safetensors/writer_reference.safetensors
  python3 scripts/interop/check_safetensors.py --model /tmp/dump/writer_sharded Tests/Fixtures/safetensors/gpt2-sharded
Exits 1 on any difference.
"""
import sys

import torch


def raw(t):
    return t.reshape(-1).view(torch.uint8)


def check_file(path, reference):
    from safetensors import safe_open
    from safetensors.torch import load_file
    ours, ref = load_file(path), load_file(reference)
    assert ours.keys() == ref.keys(), (sorted(ours), sorted(ref))
    for name in ref:
        a, b = ours[name], ref[name]
        assert a.dtype == b.dtype and a.shape == b.shape, (name, a.dtype, b.dtype, a.shape, b.shape)
        assert torch.equal(raw(a), raw(b)), name
    with safe_open(path, "pt") as f:
        metadata = f.metadata()
    print(f"{path}: {len(ours)} tensors, metadata {metadata}: identical to {reference}")


def check_model(folder, reference):
    from transformers import AutoModelForCausalLM
    ours = AutoModelForCausalLM.from_pretrained(folder).state_dict()
    ref = AutoModelForCausalLM.from_pretrained(reference).state_dict()
    assert ours.keys() == ref.keys()
    for name in ref:
        assert torch.equal(ours[name], ref[name]), name
    print(f"{folder}: transformers loads it; {len(ours)} state-dict entries identical to {reference}")


if __name__ == "__main__":
    args = sys.argv[1:]
    try:
        if args[:1] == ["--model"]:
            check_model(args[1], args[2])
        else:
            check_file(args[0], args[1])
    except AssertionError as error:
        print("MISMATCH:", error)
        sys.exit(1)
