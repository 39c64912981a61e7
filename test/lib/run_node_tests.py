#!/usr/bin/env python3
"""Run ONNX backend node tests through meldc and meld-run.

    run_node_tests.py --manifest test/ONNXNode/manifest.txt \
        --data /usr/share/libonnx-testdata/data/node --work /tmp/nodes [--device cpu] \
        [--filter REGEX] [-j N] [--bin build/bin] [-v]

For each case named in the manifest (one a line, `#` comments), from DATA/<case>/:
  1. the model's graph inputs that are not initializers are matched, in order, with
     test_data_set_0/input_<i>.pb;
  2. those that feed an operand which fixes a shape (Reshape's shape, Slice's
     starts/ends/axes/steps, Expand's shape, Unsqueeze/Squeeze/ReduceX axes, Split's
     split, ConstantOfShape's input, Range's inputs, Tile's repeats, Trilu's k, ...) are
     frozen into the model: `meldc model.onnx -o case.meld --const NAME=FILE`;
  3. the others are bound at run time: `meld-run case.meld --input NAME=FILE
     --output-dir out --device D`;
  4. every graph output out/<name>.npy is compared with output_<i>.pb: same shape and
     dtype, numpy allclose at rtol 1e-3 / atol 1e-5, integers and booleans exact, NaN
     never passes.
One line is printed per failing case with its reason, then `N passed, M failed`. The exit
code is 1 when a case failed (or the tools are missing), else 0.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import sys

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import meld_testing as mt  # noqa: E402

# Operand positions that must be compile-time constants: they fix an output shape.
# Range's outputs depend on all three values, whatever their type.
SHAPE_OPERANDS = {
    "Reshape": (1,),
    "Slice": (1, 2, 3, 4),
    "Expand": (1,),
    "Unsqueeze": (1,),
    "Squeeze": (1,),
    "ReduceSum": (1,),
    "ReduceMean": (1,),
    "ReduceMax": (1,),
    "ReduceMin": (1,),
    "ReduceProd": (1,),
    "ReduceL1": (1,),
    "ReduceL2": (1,),
    "ReduceLogSumExp": (1,),
    "ReduceSumSquare": (1,),
    "Split": (1,),
    "ConstantOfShape": (0,),
    "Range": (0, 1, 2),
    "Tile": (1,),
    "Trilu": (1,),
    "Pad": (1, 3),
    "TopK": (1,),
    "OneHot": (1,),
    "Resize": (1, 2, 3),
    "Upsample": (1,),
}
ANY_DTYPE_OPS = {"Range"}


def read_manifest(path):
    cases = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                cases.append(line)
    return cases


def const_inputs(model):
    """Names of graph inputs that feed shape-fixing operands (int64, or any for Range)."""
    inputs = {vi.name: vi for vi in mt.graph_inputs(model)}
    frozen = set()
    for node in model.graph.node:
        for pos in SHAPE_OPERANDS.get(node.op_type, ()):
            if pos >= len(node.input) or node.input[pos] not in inputs:
                continue
            name = node.input[pos]
            elem = inputs[name].type.tensor_type.elem_type
            if elem == onnx.TensorProto.INT64 or node.op_type in ANY_DTYPE_OPS:
                frozen.add(name)
    return frozen


def run_case(case, args, meldc, meld_run):
    """None when the case passes, else a one-line reason."""
    case_dir = os.path.join(args.data, case)
    model_path = os.path.join(case_dir, "model.onnx")
    data_dir = os.path.join(case_dir, "test_data_set_0")
    if not os.path.isfile(model_path):
        return f"no such case: {model_path}"
    try:
        model = onnx.load(model_path)
    except Exception as e:  # a broken case file is a test-data problem, say so
        return f"cannot read model.onnx: {mt.first_line(str(e))}"

    work = os.path.join(args.work, case)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    frozen = const_inputs(model)
    artifact = os.path.join(work, case + ".meld")
    compile_cmd = [meldc, model_path, "-o", artifact]
    inputs = []
    for i, vi in enumerate(mt.graph_inputs(model)):
        pb = os.path.join(data_dir, f"input_{i}.pb")
        if not os.path.isfile(pb):
            return {d: f"test data lacks input_{i}.pb for input '{vi.name}'" for d in args.devices}
        if vi.name in frozen:
            compile_cmd += ["--const", f"{vi.name}={pb}"]
        else:
            inputs += ["--input", f"{vi.name}={pb}"]

    # One compile, then one run per device, each checked on its own.
    err = mt.run_tool(compile_cmd, args.timeout)
    if err:
        return {d: err for d in args.devices}
    reasons = {}
    for device in args.devices:
        out_dir = os.path.join(work, "out-" + device)
        os.makedirs(out_dir)
        name, env = mt.split_device(device)
        run_cmd = [meld_run, artifact, "--output-dir", out_dir, "--device", name] + inputs
        err = mt.run_tool(run_cmd, args.timeout, env=env)
        reasons[device] = err if err else compare_outputs(model, data_dir, out_dir, args)
    if not args.keep and not any(reasons.values()):
        shutil.rmtree(work, ignore_errors=True)
    return reasons


def compare_outputs(model, data_dir, out_dir, args):
    """None when every output matches the test data, else a one-line reason."""
    problems = []
    for i, vi in enumerate(model.graph.output):
        ref = mt.load_tensor(os.path.join(data_dir, f"output_{i}.pb"))
        out_path = os.path.join(out_dir, vi.name + ".npy")
        if not os.path.isfile(out_path):
            problems.append(f"output '{vi.name}': meld-run wrote no {vi.name}.npy")
            continue
        try:
            out = mt.load_tensor(out_path)
        except Exception as e:
            problems.append(f"output '{vi.name}': unreadable .npy: {mt.first_line(str(e))}")
            continue
        why = mt.compare_allclose(out, ref, rtol=args.rtol, atol=args.atol)
        if why:
            problems.append(f"output '{vi.name}': {why}")
    if problems:
        return "; ".join(problems)
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--data", required=True, help="folder of ONNX node test cases")
    ap.add_argument("--work", required=True, help="scratch folder (created)")
    ap.add_argument("--device", default="cpu",
                    help="devices to run on, comma-separated (e.g. cpu,emu; "
                         "cpu@LEVEL forces the host kernels of an x86-64 level); "
                         "each case is compiled once and checked on each")
    ap.add_argument("--filter", help="run only cases matching this regular expression")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--bin", help="folder holding meldc and meld-run (default: PATH)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per tool run")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("--keep", action="store_true", help="keep work folders of passing cases")
    ap.add_argument("-v", "--verbose", action="store_true", help="also list passing cases")
    args = ap.parse_args(argv)
    args.devices = [d for d in args.device.split(",") if d]

    cases = read_manifest(args.manifest)
    if args.filter:
        pattern = re.compile(args.filter)
        cases = [c for c in cases if pattern.search(c)]
    try:
        meldc = mt.find_tool("meldc", args.bin)
        meld_run = mt.find_tool("meld-run", args.bin)
    except mt.ToolError as e:
        print(f"run_node_tests: error: {e}", file=sys.stderr)
        print(f"0 passed, {len(cases)} failed")
        return 1
    if not os.path.isdir(args.data):
        print(f"run_node_tests: error: no test data folder {args.data}", file=sys.stderr)
        print(f"0 passed, {len(cases)} failed")
        return 1
    os.makedirs(args.work, exist_ok=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, c, args, meldc, meld_run) for c in cases]
        results = []
        for case, fut in zip(cases, futures):
            try:
                reasons = fut.result()
            except Exception as e:  # a bug in this script must not hide the others
                reasons = f"runner error: {type(e).__name__}: {e}"
            if not isinstance(reasons, dict):  # the case failed before any device ran
                reasons = {d: reasons for d in args.devices}
            results.append((case, reasons))

    # One result per case and device.
    passed = failed = 0
    for case, reasons in results:
        for device in args.devices:
            reason = reasons.get(device)
            label = case if len(args.devices) == 1 else f"{case} [{device}]"
            if reason is None:
                passed += 1
                if args.verbose:
                    print(f"PASS {label}")
            else:
                failed += 1
                print(f"FAIL {label}: {reason}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
