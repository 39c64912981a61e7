#!/usr/bin/env python3
"""torch.compile(model, backend="meld") on a GPT-2 block, beside eager torch and
inductor, on this machine's CPU.

    PYTHONPATH=build/python_packages .venv/bin/python examples/torch_compile.py
        [--runs 20] [--seq 41]

(torch needs the libraries of requirements-test.txt's nvidia-* wheels and the
CUDA toolkit on LD_LIBRARY_PATH, as test/lit.cfg.py sets them.) Prints the
compiled model's relative error against eager, the first call's time (the
compile) and the median of --runs calls for each of eager, inductor and Meld.
"""

import argparse
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "E2E", "fixtures"))
import generate as blocks  # noqa: E402  (the fixtures' GPT-2 block)
import meld.torch_backend  # noqa: E402,F401  (registers "meld")


def timed(fn, x, runs):
    start = time.perf_counter()
    out = fn(x)
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return out, first, statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seq", type=int, default=blocks.SEQ)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = blocks.GPT2Block().eval()
    x = torch.randn(2, args.seq, blocks.HIDDEN)
    rows = []
    with torch.no_grad():
        expected, first, median = timed(model, x, args.runs)
        rows.append(("eager", first, median, 0.0))
        for backend in ("inductor", "meld"):
            torch._dynamo.reset()
            try:
                out, first, median = timed(torch.compile(model, backend=backend),
                                           x, args.runs)
            except Exception as error:  # inductor needs a working C++ toolchain
                print(f"{backend}: {type(error).__name__}: "
                      f"{str(error).splitlines()[0]}")
                continue
            error = float(torch.linalg.vector_norm(out - expected) /
                          torch.linalg.vector_norm(expected))
            rows.append((backend, first, median, error))
    print(f"GPT-2 block (hidden {blocks.HIDDEN}, batch 2, sequence {args.seq}) "
          f"on the CPU, {torch.get_num_threads()} threads")
    print("| backend | first call s | median call ms | relative error vs eager |")
    print("|---|---:|---:|---:|")
    for name, first, median, error in rows:
        print(f"| {name} | {first:.2f} | {median * 1e3:.3f} | {error:.1e} |")


if __name__ == "__main__":
    main()
