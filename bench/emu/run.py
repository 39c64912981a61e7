#!/usr/bin/env python3
"""The GPU emulator's speed against the CPU backend's, on the end-to-end fixtures.

    python bench/emu/run.py [--build build] [--threads 0] [--repeat 3]
                            [--fixtures gpt2_block,llama_block] [--meldc-arg=ARG ...]

Compiles every fixture of test/E2E/fixtures once (`meldc FIXTURE -o F.meld`: the
default targets, which include the emulator's and the host's libraries), makes its
inputs as the end-to-end tests do (test/lib/run_e2e.py, seed 1), and times the same
artifact with `meld-run --device cpu` and `meld-run --device emu`, both with
`--threads N --warmup 1 --repeat R` (meld-run's median wall clock of a whole run).
Prints one row per fixture:

    | fixture | cpu ms | emu ms | emu/cpu | goal |

and the geometric mean of the ratios. The goal (issue 9): the emulator within 20x of
the CPU backend, so that the tests that run every fixture on it stay fast as kernels
grow. It is a benchmark: it prints, it never fails on a time.
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))

import onnx  # noqa: E402

from run_e2e import make_inputs, shape_args  # noqa: E402
import meld_testing as mt  # noqa: E402

GOAL = 20.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=0,
                    help="meld-run --threads for both devices (0: all cores)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fixtures", help="comma-separated fixture names (default: all)")
    ap.add_argument("--meldc-arg", action="append", default=[])
    ap.add_argument("--work", help="keep the artifacts here (default: a temporary folder)")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args(argv)

    bin_dir = os.path.join(args.build, "bin")
    meldc = mt.find_tool("meldc", bin_dir)
    meld_run = mt.find_tool("meld-run", bin_dir)
    fixture_dir = os.path.join(ROOT, "test", "E2E", "fixtures")
    names = sorted(f[:-5] for f in os.listdir(fixture_dir) if f.endswith(".onnx"))
    if args.fixtures:
        wanted = args.fixtures.split(",")
        names = [n for n in names if n in wanted or n.split(".")[0] in wanted]

    work = args.work or tempfile.mkdtemp(prefix="meld-bench-emu-")
    print(f"emulator against CPU backend, meld-run --threads {args.threads} "
          f"(0: {os.cpu_count()} cores), median of {args.repeat} runs")
    print("| fixture | cpu ms | emu ms | emu/cpu | goal |")
    print("|---|---:|---:|---:|---|")
    ratios = []
    for name in names:
        folder = os.path.join(work, name)
        path = os.path.join(fixture_dir, name + ".onnx")
        model = onnx.load(path, load_external_data=False)
        feeds = make_inputs(model, 1)
        inputs = mt.save_inputs(folder, feeds)
        artifact = os.path.join(folder, "model.meld")
        err = mt.run_tool([meldc, path, "-o", artifact] + shape_args(model, feeds)
                          + args.meldc_arg, args.timeout)
        if err:
            print(f"| {name} | compile failed: {err} | | | |")
            continue
        cpu = mt.time_meld_run(meld_run, artifact, inputs, "cpu", args.threads,
                               args.repeat, args.timeout)
        emu = mt.time_meld_run(meld_run, artifact, inputs, "emu", args.threads,
                               args.repeat, args.timeout)
        if isinstance(cpu, str) or isinstance(emu, str):
            print(f"| {name} | {cpu} | {emu} | | |")
            continue
        ratio = emu / cpu
        ratios.append(ratio)
        goal = "met" if ratio <= GOAL else "not met"
        print(f"| {name} | {cpu:.2f} | {emu:.1f} | {ratio:.1f}x | <= {GOAL:.0f}x: {goal} |")
    if ratios:
        print(f"geometric mean emu/cpu: {mt.geomean(ratios):.1f}x over {len(ratios)} "
              f"fixtures (goal <= {GOAL:.0f}x), worst {max(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
