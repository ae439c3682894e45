#!/usr/bin/env python3
"""Print the reconstruct benchmark table (reuses bench/convert/report.py's parser).

usage: report.py CELLS c2s=TIMEFILE reference=TIMEFILE [stages=REF_LOG]
REF_LOG is ref_reconstruct.py's stdout (its 'STAGES {...}' line).
"""
import importlib.util
import json
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "convert_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "convert", "report.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
parse = _mod.parse


def stages(path):
    if not path or not os.path.exists(path):
        return None
    for line in open(path):
        if line.startswith("STAGES "):
            return json.loads(line[7:])
    return None


def main():
    cells = sys.argv[1]
    args = dict(arg.partition("=")[::2] for arg in sys.argv[2:])
    c, ref = parse(args.get("c2s")), parse(args.get("reference"))
    st = stages(args.get("stages"))
    print(f"\nreconstruct benchmark, {cells} cells (sentences from c2s convert)")
    print(f"{'tool':<22}{'wall s':>10}{'peak MiB':>12}{'exit':>6}")
    for k, r in (("c2s", c), ("reference", ref)):
        if r is None:
            print(f"{k:<22}{'n/a':>10}{'n/a':>12}{'':>6}")
        else:
            print(f"{k:<22}{r['wall']:>10.2f}{r['mib']:>12.1f}{r['rc']:>6}")
    if st:
        print(f"{'reference loop only':<22}{st['loop']:>10.2f}")
    if c and ref and c["wall"] > 0 and c["mib"] > 0:
        print(f"{'ratio ref/c2s':<22}{ref['wall']/c['wall']:>10.2f}x{ref['mib']/c['mib']:>11.2f}x")
    if c and st and c["wall"] > 0:
        print(f"{'ratio ref loop/c2s':<22}{st['loop']/c['wall']:>10.2f}x")
    if st:
        keys = ("import", "read", "loop", "assemble", "write_h5ad")
        print("reference stages (s): " + ", ".join(f"{k} {st[k]:.2f}" for k in keys if k in st)
              + f"; nnz {st.get('nnz', 'n/a')}")


if __name__ == "__main__":
    main()
