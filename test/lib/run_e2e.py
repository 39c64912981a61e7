#!/usr/bin/env python3
"""Compile and run one ONNX model with Meld and compare it with onnxruntime.

    run_e2e.py FIXTURE.onnx --work DIR [--device cpu] [--seed S] [--bin build/bin]
               [--tol 1e-4] [--vocab N]

Random inputs are made from the model's graph inputs (which must have static shapes):
  - float32: standard normal;
  - int64 feeding the indices of a Gather on an initializer (token ids): uniform in
    [0, rows of that table), or [0, --vocab);
  - int64/bool/float named like a mask (`*mask*`): ones, with the tail of every sequence
    after the first padded with zeros (a third of the row for the second, ...);
  - other int64: uniform in [0, 8).
They are saved as DIR/inputs/<name>.npy. Then `meldc FIXTURE -o DIR/model.meld` and
`meld-run DIR/model.meld --input NAME=FILE ... --output-dir DIR/out --device D`; the
reference comes from onnxruntime (CPUExecutionProvider, graph optimizations disabled).
Every output must have the reference's shape and dtype and a relative error
‖out − ref‖/‖ref‖, computed in float64, below --tol (integers and booleans: exact); NaN
never passes. One line is printed per output, then PASS or FAIL; the exit code is 1 on
failure.
"""

import argparse
import os
import sys

import numpy as np
from onnx import numpy_helper

from safetensors_io import write_safetensors
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import meld_testing as mt  # noqa: E402


def _gather_table_rows(model, name):
    """Rows of the initializer a Gather indexes with `name`, or None."""
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Gather" and len(node.input) > 1 and node.input[1] == name:
            table = inits.get(node.input[0])
            if table is None:
                continue
            axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
            return table.dims[axis]
    return None


def make_inputs(model, seed, vocab=None):
    """{name: array} of random inputs for the model's graph inputs."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for vi in mt.graph_inputs(model):
        shape = mt.static_shape(vi)
        dtype = mt.elem_dtype(vi)
        if "mask" in vi.name.lower():
            mask = np.ones(shape, dtype=np.int64)
            if len(shape) >= 2 and shape[-1] > 1:
                rows = mask.reshape(-1, shape[-1])
                for r in range(1, rows.shape[0]):
                    pad = max(1, (shape[-1] * r) // (rows.shape[0] + 1))
                    rows[r, shape[-1] - pad:] = 0
            feeds[vi.name] = mask.astype(dtype)
        elif dtype == np.int64:
            rows = vocab or _gather_table_rows(model, vi.name) or 8
            feeds[vi.name] = rng.integers(0, rows, size=shape, dtype=np.int64)
        elif dtype == np.bool_:
            feeds[vi.name] = rng.random(shape) < 0.5
        elif dtype == np.float32:
            feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
        else:
            raise ValueError(f"input '{vi.name}' has dtype {dtype}, which Meld does not take")
    return feeds


def reference(model_path, feeds):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def compare(name, out, ref, tol):
    """(ok, line) for one output."""
    if out.dtype != ref.dtype:
        return False, f"output '{name}': dtype {out.dtype}, expected {ref.dtype}"
    if out.shape != ref.shape:
        return False, f"output '{name}': shape {out.shape}, expected {ref.shape}"
    if out.dtype.kind in "biu":
        wrong = int(np.count_nonzero(out != ref))
        return wrong == 0, f"output '{name}': {wrong} of {out.size} elements differ"
    rel = mt.relative_error(out, ref)
    mae = mt.max_abs_error(out, ref) if not np.isnan(rel) else float("nan")
    ok = bool(rel < tol)  # False for NaN
    nan_note = ""
    if np.isnan(rel):
        nan_note = f" ({int(np.count_nonzero(np.isnan(out)))} NaN in output)"
    return ok, (f"output '{name}': relative error {rel:.3e}, max abs error {mae:.3e}"
                f"{nan_note} ({'ok' if ok else 'above ' + format(tol, 'g')})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--work", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bin", help="folder holding meldc and meld-run (default: PATH)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--vocab", type=int, help="range of int64 id inputs")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per tool run")
    ap.add_argument("--weights-external", action="store_true",
                    help="compile with --weights=external and give meld-run the "
                         "initializers as a safetensors file")
    args = ap.parse_args(argv)

    def fail(msg):
        print(f"run_e2e: error: {msg}", file=sys.stderr)
        print("FAIL")
        return 1

    try:
        meldc = mt.find_tool("meldc", args.bin)
        meld_run = mt.find_tool("meld-run", args.bin)
    except mt.ToolError as e:
        return fail(str(e))
    try:
        model = onnx.load(args.model, load_external_data=False)
        feeds = make_inputs(model, args.seed, args.vocab)
    except Exception as e:
        return fail(f"{args.model}: {mt.first_line(str(e))}")

    in_dir = os.path.join(args.work, "inputs")
    out_dir = os.path.join(args.work, "out")
    os.makedirs(in_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, f))
    artifact = os.path.join(args.work, "model.meld")
    run_cmd = [meld_run, artifact, "--output-dir", out_dir, "--device", args.device]
    for name, value in feeds.items():
        path = os.path.join(in_dir, mt.safe_file_name(name) + ".npy")
        np.save(path, value)
        run_cmd += ["--input", f"{name}={path}"]

    compile_cmd = [meldc, args.model, "-o", artifact]
    if args.weights_external:
        compile_cmd.append("--weights=external")
        weights = os.path.join(args.work, "weights.safetensors")
        full = onnx.load(args.model)  # with its external data
        write_safetensors(weights, [(t.name, numpy_helper.to_array(t))
                                    for t in full.graph.initializer])
        run_cmd += ["--weights", weights]
    err = mt.run_tool(compile_cmd, args.timeout)
    if err:
        return fail(err)
    err = mt.run_tool(run_cmd, args.timeout)
    if err:
        return fail(err)

    refs = reference(args.model, feeds)
    all_ok = True
    for name, ref in refs.items():
        path = os.path.join(out_dir, name + ".npy")
        if not os.path.isfile(path):
            print(f"output '{name}': meld-run wrote no {name}.npy")
            all_ok = False
            continue
        ok, line = compare(name, mt.load_tensor(path), ref, args.tol)
        print(line)
        all_ok &= ok
    print("PASS" if all_ok else "FAIL")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
