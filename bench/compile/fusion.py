#!/usr/bin/env python3
"""Kernels and device-memory bytes of the fused fixtures, against eager.

    .venv/bin/python bench/compile/fusion.py [--bin build/bin] [--fixtures DIR]
        [--target sm_90a]

For every fixture of test/E2E/fixtures (each block as both torch.onnx
exporters write it), compiles it with `meldc --report=json` and prints

| fixture | kernels | target | Meld MB | eager MB | Meld/eager | est us |

- kernels: the launches of the compiled program (the report's totals);
- Meld MB: the device-memory bytes its kernels read and write, each byte once
  (the report's `bytes`, counted from the kernels as compiled);
- eager MB: what an eager run moves with one kernel per ONNX compute node,
  each reading its inputs and writing its outputs once (shapes from ONNX
  shape inference, and where it leaves one unknown, as the TorchScript
  exporter's computed Reshape shapes make it, from a run of onnxruntime that
  returns every intermediate value; Constant, Shape and the view-only Reshape, Squeeze,
  Unsqueeze, Flatten and Identity launch nothing in eager frameworks and are
  not counted);
- est us: the report's roofline estimate on the target.

The fusion issue's targets are printed beside: kernels per fixture (GPT-2
block 5, BERT layer 5, Llama block 6, embedding + LM head 2, two GPT-2
blocks 11) and Meld/eager
at most 0.3.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import shape_inference

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

KERNEL_TARGETS = {"gpt2_block": 5, "bert_layer": 5, "llama_block": 6,
                  "embed_lm_head": 2, "gpt2_stack2": 11}
NOT_COMPUTE = {"Constant", "Shape", "Reshape", "Squeeze", "Unsqueeze",
               "Flatten", "Identity"}


def tensor_bytes(type_proto):
    """Bytes of a tensor type with a static shape, or None."""
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return None
    count = 1
    for dim in tensor.shape.dim:
        if not dim.HasField("dim_value"):
            return None
        count *= dim.dim_value
    dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
    return count * np.dtype(dtype).itemsize


def run_sizes(path, names):
    """Bytes of the values `names` of the model at `path`, measured by
    running it in onnxruntime with each returned as an output (inputs of
    their declared shapes: zeros, which index anything, and ones for
    masks)."""
    model = onnx.load(path)
    known = {o.name for o in model.graph.output}
    for name in sorted(names - known):
        model.graph.output.append(onnx.ValueInfoProto(name=name))
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {}
    for info in session.get_inputs():
        dtype = {"tensor(float)": np.float32, "tensor(int64)": np.int64,
                 "tensor(bool)": np.bool_}[info.type]
        fill = np.ones if "mask" in info.name else np.zeros
        feeds[info.name] = fill(info.shape, dtype=dtype)
    outputs = session.get_outputs()
    values = session.run([o.name for o in outputs], feeds)
    return {o.name: v.nbytes for o, v in zip(outputs, values)
            if o.name in names}


def eager_bytes(path):
    """Bytes an eager run moves: each compute node reads its inputs and
    writes its outputs once. Returns (bytes, nodes counted, nodes skipped for
    an unknown shape)."""
    model = onnx.load(path, load_external_data=False)
    model = shape_inference.infer_shapes(model, data_prop=True)
    graph = model.graph
    sizes = {}
    for init in graph.initializer:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(init.data_type)
        sizes[init.name] = int(np.prod(init.dims, dtype=np.int64)) * \
            np.dtype(dtype).itemsize
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        size = tensor_bytes(info.type)
        if size is not None:
            sizes[info.name] = size
    missing = {n for node in graph.node for n in node.output
               if n and n not in sizes}
    if missing:
        sizes.update(run_sizes(path, missing))
    total, counted, unknown = 0, 0, 0
    for node in graph.node:
        if node.op_type in NOT_COMPUTE:
            continue
        names = [n for n in list(node.input) + list(node.output) if n]
        if any(n not in sizes for n in names):
            unknown += 1
            continue
        total += sum(sizes[n] for n in names)
        counted += 1
    return total, counted, unknown


def meld_report(meldc, path, target, work):
    """The totals of `meldc --report=json` on `target`."""
    report = os.path.join(work, "report.json")
    subprocess.run([meldc, path, "-o", os.path.join(work, "m.meld"),
                    "--target", target, "--report=json",
                    "--report-file", report], check=True)
    with open(report) as f:
        totals = json.load(f)["totals"]
    return next(t for t in totals if t["target"] == target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    parser.add_argument("--fixtures",
                        default=os.path.join(ROOT, "test", "E2E", "fixtures"))
    parser.add_argument("--target", default="sm_90a")
    args = parser.parse_args()
    meldc = os.path.join(args.bin, "meldc")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name in sorted(os.listdir(args.fixtures)):
            if not name.endswith(".onnx"):
                continue
            path = os.path.join(args.fixtures, name)
            fixture = name.split(".")[0]
            totals = meld_report(meldc, path, args.target, work)
            eager, counted, unknown = eager_bytes(path)
            rows.append((name[:-len(".onnx")], fixture, totals, eager, counted,
                         unknown))
    print(f"Fused fixtures against eager (target {args.target})")
    print("| fixture | kernels | target kernels | Meld MB | eager MB "
          "(nodes) | Meld/eager | est us |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, fixture, totals, eager, counted, unknown in rows:
        goal = KERNEL_TARGETS.get(fixture)
        note = f", {unknown} unknown" if unknown else ""
        ratio = totals["bytes"] / eager if eager else float("nan")
        print(f"| {label} | {totals['kernels']} | "
              f"{goal if goal is not None else '-'} | "
              f"{totals['bytes'] / 1e6:.3f} | {eager / 1e6:.3f} ({counted}"
              f"{note}) | {ratio:.2f} | {totals.get('est_us', float('nan')):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
