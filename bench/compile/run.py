#!/usr/bin/env python3
"""Compile time and peak memory of meldc against the size of the graph.

    python bench/compile/run.py [--build build] [--nodes 1000,2000,5000,10000]
                                [--meldc-arg=--target=cpu ...] [--distinct] [--timing]

For each node count N, writes a chain of N elementwise nodes (chain.py: every node one
kernel launch; six distinct kernels, or N with --distinct) and compiles it with
`meldc CHAIN.onnx -o CHAIN.meld` plus the --meldc-arg arguments (none: the default
invocation, PTX and cubins for sm_80 and sm_90a, the emulator's and the host's
libraries). Prints one row per N:

    | nodes | wall s | cpu s | wall ms/node | cpu ms/node | peak RSS MiB |

wall: elapsed time; cpu: user + system time of meldc and the processes it started
(ptxas, ld.lld); peak RSS: the largest resident set of meldc or of one of them (the
resource usage os.wait4 reports). Per-node times that grow with N show a step worse than
linear; --timing adds meldc's own breakdown (--mlir-timing: the top-level steps) below
the table. It is a benchmark: it prints, it never fails on a time. On a machine shared
with other work, read the cpu column (the wall column counts the waiting).
"""

import argparse
import os
import re
import threading
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chain import make_chain  # noqa: E402

import onnx  # noqa: E402

# A top-level step of meldc --mlir-timing (passes are indented further):
#   "   12.3 ( 4.5%)    12.3 ( 4.5%)  host library" (user time, then wall time).
STEP = re.compile(r"^\s+(?:[-0-9.]+ \(\s*[-0-9.]+%\)\s+)?([-0-9.]+) \(\s*[-0-9.]+%\)  ([^\s\d-].*)$")


def compile_chain(meldc, nodes, work, extra, timing, timeout, distinct=False):
    """(wall s, cpu s, peak RSS MiB, {step: wall s} or None, error or None)."""
    model = os.path.join(work, f"chain-{nodes}.onnx")
    onnx.save(make_chain(nodes, distinct=distinct), model)
    argv = [meldc, model, "-o", os.path.join(work, f"chain-{nodes}.meld")]
    return run_meldc(argv + extra, timing, timeout)


def run_meldc(argv, timing, timeout):
    """Runs meldc with `argv` (and --mlir-timing when `timing`): (wall s, cpu s,
    peak RSS MiB, {step: wall s} or None, error or None)."""
    argv = list(argv)
    if timing:
        argv.append("--mlir-timing")
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    err = proc.stderr.read()
    # The resources of meldc and of the processes it waited for (ptxas, ld.lld).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        if proc.returncode < 0 and wall >= timeout:
            return None, None, None, None, f"timed out after {timeout} s"
        first = next((l for l in err.splitlines() if l.strip()), "(no message)")
        return None, None, None, None, f"meldc exited with {proc.returncode}: {first}"
    steps = None
    if timing:
        steps = {}
        for line in err.splitlines():
            m = STEP.match(line)
            if m and m.group(2) not in ("Total", "Rest"):
                steps[m.group(2)] = float(m.group(1))
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, steps, None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="Meld build folder (default: build)")
    ap.add_argument("--meldc", help="the meldc to run (default: BUILD/bin/meldc)")
    ap.add_argument("--nodes", default="1000,2000,5000,10000",
                    help="comma-separated node counts")
    ap.add_argument("--meldc-arg", action="append", default=[],
                    help="an extra meldc argument (repeatable), e.g. --meldc-arg=--target=cpu")
    ap.add_argument("--distinct", action="store_true",
                    help="chains of N distinct kernels (chain.py --distinct)")
    ap.add_argument("--timing", action="store_true",
                    help="also print meldc's time per step (--mlir-timing)")
    ap.add_argument("--work", help="folder for the models and artifacts (default: a temporary one)")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per compile")
    args = ap.parse_args(argv)

    meldc = args.meldc or os.path.join(args.build, "bin", "meldc")
    if not os.access(meldc, os.X_OK):
        print(f"run.py: error: no meldc at '{meldc}' (build Meld first: make build)",
              file=sys.stderr)
        return 1
    sizes = [int(n) for n in args.nodes.split(",")]
    work_dir = args.work or tempfile.mkdtemp(prefix="meld-bench-compile-")
    os.makedirs(work_dir, exist_ok=True)

    invocation = " ".join(["meldc CHAIN.onnx -o CHAIN.meld"] + args.meldc_arg)
    kind = "distinct kernels" if args.distinct else "6 distinct kernels"
    print(f"Compile time of a chain of N elementwise nodes ({kind}): {invocation}")
    print(f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start)")
    print("| nodes | wall s | cpu s | wall ms/node | cpu ms/node | peak RSS MiB |")
    print("|------:|-------:|------:|-------------:|------------:|-------------:|")
    sys.stdout.flush()
    timings = []
    for nodes in sizes:
        wall, cpu, rss, steps, error = compile_chain(
            meldc, nodes, work_dir, args.meldc_arg, args.timing, args.timeout,
            args.distinct)
        if error:
            print(f"| {nodes} | {error} | | | | |")
            sys.stdout.flush()
            continue
        print(f"| {nodes} | {wall:.1f} | {cpu:.1f} | {1000 * wall / nodes:.2f} | "
              f"{1000 * cpu / nodes:.2f} | {rss:.0f} |")
        sys.stdout.flush()
        if steps:
            timings.append((nodes, steps))
    if timings:
        print()
        print("meldc --mlir-timing, wall seconds per step (steps of the four chains overlap):")
        names = []
        for _, steps in timings:
            names += [n for n in steps if n not in names]
        print("| step | " + " | ".join(str(n) for n, _ in timings) + " |")
        print("|------|" + "|".join("-----:" for _ in timings) + "|")
        for name in names:
            row = [f"{steps.get(name, 0):.1f}" for _, steps in timings]
            print(f"| {name} | " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
