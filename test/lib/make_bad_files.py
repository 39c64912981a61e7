#!/usr/bin/env python3
"""Make broken models and inputs for Meld's bad-input tests, at test time.

    make_bad_files.py truncate SRC.onnx DST.onnx [--keep FRACTION]
        the first FRACTION (default 0.5) of SRC's bytes
    make_bad_files.py cycle DST.onnx
        a graph whose nodes 'add_a' (Add) and 'relu_b' (Relu) feed each other
        (x -> add_a -> t1 -> relu_b -> t2 -> add_a), written without the checker
    make_bad_files.py npy DST.npy --shape 5,3 [--dtype float32] [--values V,V,...]
        an array of that shape and dtype (values 0.5, or the given values in C
        order, e.g. out-of-range indices), e.g. a wrongly shaped input
    make_bad_files.py external-constant DST.onnx LOCATION [--offset N]
        y = x + c where c, the float[4] value of Constant node 'c', is external
        data at LOCATION (written as given, whether it exists or not)
    make_bad_files.py set-offset MODEL.onnx NAME OFFSET
        sets the external data offset of initializer NAME to OFFSET (any text)
    make_bad_files.py checkpoint MODEL.onnx DST.safetensors --change NAME
        the checkpoint that MODEL.weights.json names (attach_weights.py), with 1 added to
        the first element of tensor NAME: a checkpoint that is not the one exported
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def truncate(src, dst, keep):
    data = open(src, "rb").read()
    open(dst, "wb").write(data[: max(1, int(len(data) * keep))])


def cycle(dst):
    nodes = [
        helper.make_node("Add", ["x", "t2"], ["t1"], name="add_a"),
        helper.make_node("Relu", ["t1"], ["t2"], name="relu_b"),
        helper.make_node("Identity", ["t1"], ["y"], name="out"),
    ]
    save_x_to_y(nodes, "cyclic", dst)


def save_x_to_y(nodes, name, dst):
    """Writes graph `name` of `nodes`, from float[4] x to float[4] y, unchecked."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with open(dst, "wb") as f:  # onnx.save would not check, but be explicit
        f.write(model.SerializeToString())


def npy(dst, shape, dtype, values=None):
    dims = tuple(int(d) for d in shape.split(",") if d != "")
    if values is None:
        np.save(dst, np.full(dims, 0.5).astype(dtype))
        return
    # Parsed as Python integers or floats, so int64 extremes stay exact.
    parsed = [float(v) if "." in v or "e" in v else int(v) for v in values.split(",")]
    np.save(dst, np.array(parsed, dtype=dtype).reshape(dims))


def external_constant(dst, location, offset):
    value = TensorProto()
    value.name = "c"
    value.data_type = TensorProto.FLOAT
    value.dims.append(4)
    value.data_location = TensorProto.EXTERNAL
    for key, v in (("location", location), ("offset", str(offset)), ("length", "16")):
        entry = value.external_data.add()
        entry.key, entry.value = key, v
    nodes = [helper.make_node("Constant", [], ["c"], name="c", value=value),
             helper.make_node("Add", ["x", "c"], ["y"], name="add")]
    save_x_to_y(nodes, "external_constant", dst)


def set_offset(path, name, offset):
    model = onnx.load(path, load_external_data=False)
    tensor = next(t for t in model.graph.initializer if t.name == name)
    for entry in tensor.external_data:
        if entry.key == "offset":
            entry.value = offset
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def checkpoint(model, dst, change):
    import json

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from attach_weights import checkpoint_file, weights_map_path
    from safetensors_io import read_safetensors, write_safetensors

    with open(weights_map_path(model)) as f:
        source = json.load(f)["checkpoint"]
    tensors = read_safetensors(checkpoint_file(source))
    changed = np.array(tensors[change])
    changed.flat[0] += 1
    tensors[change] = changed
    write_safetensors(dst, list(tensors.items()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("truncate")
    t.add_argument("src")
    t.add_argument("dst")
    t.add_argument("--keep", type=float, default=0.5)
    c = sub.add_parser("cycle")
    c.add_argument("dst")
    n = sub.add_parser("npy")
    n.add_argument("dst")
    n.add_argument("--shape", required=True)
    n.add_argument("--dtype", default="float32")
    n.add_argument("--values")
    e = sub.add_parser("external-constant")
    e.add_argument("dst")
    e.add_argument("location")
    e.add_argument("--offset", type=int, default=0)
    o = sub.add_parser("set-offset")
    o.add_argument("model")
    o.add_argument("name")
    o.add_argument("offset")
    k = sub.add_parser("checkpoint")
    k.add_argument("model")
    k.add_argument("dst")
    k.add_argument("--change", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "truncate":
        truncate(a.src, a.dst, a.keep)
    elif a.cmd == "cycle":
        cycle(a.dst)
    elif a.cmd == "external-constant":
        external_constant(a.dst, a.location, a.offset)
    elif a.cmd == "set-offset":
        set_offset(a.model, a.name, a.offset)
    elif a.cmd == "checkpoint":
        checkpoint(a.model, a.dst, a.change)
    else:
        npy(a.dst, a.shape, a.dtype, a.values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
