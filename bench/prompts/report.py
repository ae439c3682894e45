#!/usr/bin/env python3
"""Print the prompts benchmark table (reuses bench/reconstruct/report.py's parse/stages).

usage: report.py CELLS c2s=TIMEFILE reference=TIMEFILE [stages=REF_LOG]
REF_LOG is ref_prompts.py's stdout (its 'STAGES {...}' line).
"""
import importlib.util
import os
import sys

_spec = importlib.util.spec_from_file_location(
    "reconstruct_report",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reconstruct", "report.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
parse, stages = _mod.parse, _mod.stages


def main():
    cells = sys.argv[1]
    args = dict(arg.partition("=")[::2] for arg in sys.argv[2:])
    c, ref = parse(args.get("c2s")), parse(args.get("reference"))
    st = stages(args.get("stages"))
    print(f"\nprompts benchmark (cell_type_prediction, top-k 200), {cells} cells "
          "(sentences from c2s convert)")
    print(f"{'tool':<24}{'wall s':>10}{'peak MiB':>12}{'exit':>6}")
    for k, r in (("c2s", c), ("reference", ref)):
        if r is None:
            print(f"{k:<24}{'n/a':>10}{'n/a':>12}{'':>6}")
        else:
            print(f"{k:<24}{r['wall']:>10.2f}{r['mib']:>12.1f}{r['rc']:>6}")
    if st:
        print(f"{'reference format only':<24}{st['format']:>10.2f}")
    if c and ref and c["wall"] > 0 and c["mib"] > 0:
        print(f"{'ratio ref/c2s':<24}{ref['wall']/c['wall']:>10.2f}x{ref['mib']/c['mib']:>11.2f}x")
    if c and st and c["wall"] > 0:
        print(f"{'ratio ref format/c2s whole':<24}{st['format']/c['wall']:>10.2f}x")
    if st:
        keys = ("import", "load", "format", "write")
        print("reference stages (s): " + ", ".join(f"{k} {st[k]:.2f}" for k in keys if k in st)
              + f"; rows {st.get('cells', 'n/a')}")


if __name__ == "__main__":
    main()
