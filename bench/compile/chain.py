#!/usr/bin/env python3
"""Write an ONNX model that is a chain of N elementwise nodes.

    python bench/compile/chain.py 1000 -o chain-1000.onnx

y0 = x; y_i = Op_i(y_{i-1}, b) or Op_i(y_{i-1}), the ops cycling through Add, Mul, Tanh,
Sub, Relu, Sigmoid; x and b are float[rows, cols] graph inputs (default 4x64). Every node
is one kernel (Meld does not fuse yet), so the compile does N kernels' worth of work: the
model on which compile time must grow linearly with N.
"""

import argparse
import sys

import onnx
import onnx.helper as oh

OPS = ["Add", "Mul", "Tanh", "Sub", "Relu", "Sigmoid"]
BINARY = {"Add", "Mul", "Sub"}


def make_chain(nodes, rows=4, cols=64, opset=17):
    """The ModelProto of a chain of `nodes` elementwise nodes."""
    graph_nodes = []
    prev = "x"
    for i in range(nodes):
        op = OPS[i % len(OPS)]
        out = "y" if i == nodes - 1 else f"t{i}"
        inputs = [prev, "b"] if op in BINARY else [prev]
        graph_nodes.append(oh.make_node(op, inputs, [out], name=f"{op.lower()}_{i}"))
        prev = out
    shape = [rows, cols]
    graph = oh.make_graph(
        graph_nodes, f"chain{nodes}",
        [oh.make_tensor_value_info("x", onnx.TensorProto.FLOAT, shape),
         oh.make_tensor_value_info("b", onnx.TensorProto.FLOAT, shape)],
        [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, shape)])
    return oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)],
                         ir_version=8)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nodes", type=int)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--cols", type=int, default=64)
    args = parser.parse_args(argv)
    if args.nodes < 1:
        parser.error("nodes must be at least 1")
    onnx.save(make_chain(args.nodes, args.rows, args.cols), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
