#!/usr/bin/env python3
"""Fallback for /usr/bin/time -v: run a command, write wall time and peak RSS of the
child (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, KiB on Linux) in the same
'key: value' lines time -v uses, to the file given by -o.

usage: measure.py -o FILE -- CMD ARGS...
"""
import resource
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "-o" or args[2] != "--":
        sys.exit(__doc__)
    out, cmd = args[1], args[3:]
    t = time.perf_counter()
    rc = subprocess.call(cmd)
    wall = time.perf_counter() - t
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(out, "w") as f:
        f.write(f"\tElapsed (wall clock) time (h:mm:ss or m:ss): {wall:.3f}\n")
        f.write(f"\tMaximum resident set size (kbytes): {kib}\n")
        f.write(f"\tExit status: {rc}\n")
    sys.exit(rc)


if __name__ == "__main__":
    main()
