#!/usr/bin/env python3
"""Compile one model many times with each combination of meldc's targets and emulator.

    %python -m compile_combinations MODEL.onnx --work DIR --runs 6 \
        --targets sm_80 --targets sm_90a --targets sm_80,sm_90a

meldc compiles the GPU targets, and then the host and emulator libraries, on several
threads that share one MLIRContext; a dialect loaded by two threads at once corrupts it
(a crash in some runs only). Each combination of `--targets` value and `--emulator`
(true, false) is compiled `--runs` times, two compiles at a time; each must exit 0 with
nothing on stderr. Prints one line per combination:

    emulator=false targets=sm_80,sm_90a: 6 of 6 compiled

and, for each failed compile, a line saying how it failed (signal, exit code, the first
line of stderr). Exit code 0 when every compile succeeded.
"""

import argparse
import concurrent.futures
import itertools
import os
import subprocess
import sys

from meld_testing import find_tool, first_line


def compile_once(meldc, model, out, targets, emulator):
    """None on success, else one line saying how the compile failed."""
    argv = [meldc, model, "-o", out, f"--target={targets}", f"--emulator={emulator}"]
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=300, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        return "timed out after 300 s"
    err = first_line(proc.stderr)
    if proc.returncode < 0:
        return f"signal {-proc.returncode}: {err}"
    if proc.returncode != 0:
        return f"exit code {proc.returncode}: {err}"
    if err:
        return f"exit code 0 but stderr says: {err}"
    return None


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--work", required=True, help="folder for the artifacts")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--targets", action="append", required=True,
                        help="a value of meldc --target (repeatable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--bin", help="folder of meldc (default: PATH)")
    args = parser.parse_args(argv)

    meldc = find_tool("meldc", args.bin)
    os.makedirs(args.work, exist_ok=True)
    combos = list(itertools.product(["true", "false"], args.targets))
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for run in range(args.runs):
            for i, (emulator, targets) in enumerate(combos):
                out = os.path.join(args.work, f"c{i}-r{run}.meld")
                jobs.append((emulator, targets,
                             pool.submit(compile_once, meldc, args.model, out, targets,
                                         emulator)))
    ok = True
    for emulator, targets in combos:
        results = [f.result() for e, t, f in jobs if (e, t) == (emulator, targets)]
        failures = [r for r in results if r is not None]
        print(f"emulator={emulator} targets={targets}: "
              f"{len(results) - len(failures)} of {len(results)} compiled")
        for failure in failures:
            print(f"  failed: {failure}")
        ok = ok and not failures
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
