#!/usr/bin/env python3
"""Compile and run one ONNX model with Meld and compare it with onnxruntime.

    run_e2e.py FIXTURE.onnx --work DIR [--device cpu[,emu]] [--seed S] [--bin build/bin]
               [--tol 1e-4] [--vocab N] [--inputs DIR] [--argmax OUTPUT]
               [--meldc-arg=ARG ...]

Random inputs are made from the model's graph inputs (which must have static shapes):
  - float32: standard normal;
  - int64 feeding the indices of a Gather on an initializer (token ids): uniform in
    [0, rows of that table), or [0, --vocab);
  - int64/bool/float named like a mask (`*mask*`): ones, with the tail of every sequence
    after the first padded with zeros (a third of the row for the second, ...);
  - other int64: uniform in [0, 8).
With --inputs IN, the inputs are read from IN/<name>.npy instead (e.g. the token ids and
padding mask a model was exported with), and inputs with symbolic dimensions are compiled
for those files' shapes (meldc --shape). They are saved as DIR/inputs/<name>.npy. Then `meldc FIXTURE -o DIR/model.meld` and
`meld-run DIR/model.meld --input NAME=FILE ... --output-dir DIR/out --device D`, once per
device of the comma-separated --device list (one compile serves them all; with several
devices, outputs go to DIR/out/D and each line below starts with 'D: '); the reference
comes from onnxruntime (CPUExecutionProvider, graph optimizations disabled).
Every output must have the reference's shape and dtype and a relative error
‖out − ref‖/‖ref‖, computed in float64, below the device's tolerance (integers and
booleans: exact); NaN never passes. The tolerance is --tol where given; by default 1e-4
on the CPU (which computes in f32), and on the GPU devices (emu, cuda) the bound of the
precision their products ran at (meldc --precision among the --meldc-arg, else meldc's
default, tf32): fp32 1e-4; tf32 3e-3 (it rounds operands to 11 significant bits, as fp16
does: the fixtures land near 3e-4, the real-model exports of test/E2E/models between
1.1e-3 and 2.1e-3, the same as at fp16); fp16 and bf16 1e-2. --argmax OUTPUT (a generator's logits) also requires the index of the
largest value along the last axis to agree at every position where the reference's two
largest values are apart by more than --tol × max|reference| (closer ones are ties, counted
and skipped). onnxruntime's outputs are saved as DIR/reference/<output>.npy. One line is
printed per output, then PASS or FAIL; the exit code is 1 on failure.
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


def read_inputs(model, folder):
    """{name: array} from folder/<name>.npy for each graph input."""
    feeds = {}
    for vi in mt.graph_inputs(model):
        path = os.path.join(folder, mt.safe_file_name(vi.name) + ".npy")
        if not os.path.isfile(path):
            raise ValueError(f"no file {path} for input '{vi.name}'")
        feeds[vi.name] = mt.load_tensor(path)
    return feeds


def shape_args(model, feeds):
    """meldc --shape arguments fixing the graph inputs that have symbolic dimensions to
    the shapes of their values in `feeds`."""
    args = []
    for vi in mt.graph_inputs(model):
        if all(d.HasField("dim_value") for d in vi.type.tensor_type.shape.dim):
            continue
        args += ["--shape", f"{vi.name}={'x'.join(map(str, feeds[vi.name].shape))}"]
    return args


def reference(model_path, feeds):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


# meldc's default --precision, and the tolerance each precision's products need on
# the GPU devices (see the module's documentation; CONVENTIONS.md, Tests 3).
DEFAULT_PRECISION = "tf32"
FP32_TOLERANCE = 1e-4
PRECISION_TOLERANCE = {"fp32": FP32_TOLERANCE, "tf32": 3e-3, "fp16": 1e-2,
                       "bf16": 1e-2}


def gpu_precision(meldc_args):
    """The --precision the meldc arguments ask for (the last one), or meldc's default."""
    precision = DEFAULT_PRECISION
    for i, arg in enumerate(meldc_args):
        if arg.startswith("--precision="):
            precision = arg.split("=", 1)[1]
        elif arg == "--precision" and i + 1 < len(meldc_args):
            precision = meldc_args[i + 1]
    return precision


def device_tolerance(device, tol, precision):
    """--tol where given; else f32's on the CPU, `precision`'s on a GPU device."""
    if tol is not None:
        return tol
    if device == "cpu" or device.startswith("cpu@"):
        return FP32_TOLERANCE
    return PRECISION_TOLERANCE.get(precision, FP32_TOLERANCE)


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


def compare_argmax(name, out, ref, tol):
    """(ok, line): the largest entry along the last axis is at the same index, except
    where the reference's two largest entries are within tol × max|ref| (ties)."""
    flat_out = out.reshape(-1, out.shape[-1])
    flat_ref = ref.reshape(-1, ref.shape[-1]).astype(np.float64)
    top2 = np.sort(flat_ref, axis=-1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) > tol * np.max(np.abs(flat_ref))
    agree = np.argmax(flat_out, axis=-1) == np.argmax(flat_ref, axis=-1)
    wrong = int(np.count_nonzero(decided & ~agree))
    ties = int(np.count_nonzero(~decided))
    return wrong == 0, (f"output '{name}': argmax agrees at {int(np.count_nonzero(decided & agree))}"
                        f" of {int(np.count_nonzero(decided))} positions ({ties} ties skipped)"
                        f" ({'ok' if wrong == 0 else f'{wrong} differ'})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--work", required=True)
    ap.add_argument("--device", default="cpu", help="cpu, emu or cuda; or a comma-separated "
                    "list, run in turn from one compiled artifact")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bin", help="folder holding meldc and meld-run (default: PATH)")
    ap.add_argument("--tol", type=float, default=None,
                    help="tolerance of every device (default: by device and precision)")
    ap.add_argument("--vocab", type=int, help="range of int64 id inputs")
    ap.add_argument("--inputs", metavar="DIR", help="read the inputs from DIR/<name>.npy")
    ap.add_argument("--argmax", metavar="OUTPUT", action="append", default=[],
                    help="also compare the argmax over the last axis of this output")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per tool run")
    ap.add_argument("--meldc-arg", action="append", default=[],
                    help="an extra meldc argument (repeatable), e.g. "
                         "--meldc-arg=--target=cpu")
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
        if args.inputs:
            feeds = read_inputs(model, args.inputs)
        else:
            feeds = make_inputs(model, args.seed, args.vocab)
    except Exception as e:
        return fail(f"{args.model}: {mt.first_line(str(e))}")

    devices = args.device.split(",")
    in_dir = os.path.join(args.work, "inputs")
    os.makedirs(in_dir, exist_ok=True)
    out_dirs = {}
    for device in devices:
        out_dir = os.path.join(args.work, "out", device if len(devices) > 1 else "")
        os.makedirs(out_dir, exist_ok=True)
        for f in os.listdir(out_dir):
            if os.path.isfile(os.path.join(out_dir, f)):
                os.remove(os.path.join(out_dir, f))
        out_dirs[device] = out_dir
    artifact = os.path.join(args.work, "model.meld")
    run_cmd = [meld_run, artifact]
    for name, value in feeds.items():
        path = os.path.join(in_dir, mt.safe_file_name(name) + ".npy")
        np.save(path, value)
        run_cmd += ["--input", f"{name}={path}"]

    compile_cmd = ([meldc, args.model, "-o", artifact] + shape_args(model, feeds)
                   + args.meldc_arg)
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
    for device in devices:
        name, env = mt.split_device(device)
        err = mt.run_tool(run_cmd + ["--output-dir", out_dirs[device], "--device", name],
                          args.timeout, env=env)
        if err:
            return fail(err if len(devices) == 1 else f"{device}: {err}")

    refs = reference(args.model, feeds)
    ref_dir = os.path.join(args.work, "reference")
    os.makedirs(ref_dir, exist_ok=True)
    all_ok = True
    for name in args.argmax:
        if name not in refs:
            print(f"output '{name}' (--argmax): the model has no such output")
            all_ok = False
    for name, ref in refs.items():
        np.save(os.path.join(ref_dir, mt.safe_file_name(name) + ".npy"), ref)
    precision = gpu_precision(args.meldc_arg)
    for device in devices:
        prefix = f"{device}: " if len(devices) > 1 else ""
        tol = device_tolerance(device, args.tol, precision)
        for name, ref in refs.items():
            path = os.path.join(out_dirs[device], name + ".npy")
            if not os.path.isfile(path):
                print(f"{prefix}output '{name}': meld-run wrote no {name}.npy")
                all_ok = False
                continue
            out = mt.load_tensor(path)
            ok, line = compare(name, out, ref, tol)
            print(prefix + line)
            all_ok &= ok
            if ok and name in args.argmax:
                ok, line = compare_argmax(name, out, ref, tol)
                print(prefix + line)
                all_ok &= ok
    print("PASS" if all_ok else "FAIL")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
