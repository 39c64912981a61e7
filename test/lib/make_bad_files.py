#!/usr/bin/env python3
"""Make broken models and inputs for Meld's bad-input tests, at test time.

    make_bad_files.py truncate SRC.onnx DST.onnx [--keep FRACTION]
        the first FRACTION (default 0.5) of SRC's bytes
    make_bad_files.py cycle DST.onnx
        a graph whose nodes 'add_a' (Add) and 'relu_b' (Relu) feed each other
        (x -> add_a -> t1 -> relu_b -> t2 -> add_a), written without the checker
    make_bad_files.py npy DST.npy --shape 5,3 [--dtype float32]
        an array of that shape and dtype (values 0.5), e.g. a wrongly shaped input
"""

import argparse
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
    graph = helper.make_graph(
        nodes, "cyclic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with open(dst, "wb") as f:  # onnx.save would not check, but be explicit
        f.write(model.SerializeToString())


def npy(dst, shape, dtype):
    dims = tuple(int(d) for d in shape.split(",") if d != "")
    np.save(dst, np.full(dims, 0.5).astype(dtype))


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
    a = ap.parse_args(argv)
    if a.cmd == "truncate":
        truncate(a.src, a.dst, a.keep)
    elif a.cmd == "cycle":
        cycle(a.dst)
    else:
        npy(a.dst, a.shape, a.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
