#!/usr/bin/env python3
"""Write an ONNX model that is a chain of N elementwise nodes.

    python bench/compile/chain.py 1000 -o chain-1000.onnx

y0 = x; y_i = Op_i(y_{i-1}, b) or Op_i(y_{i-1}), the ops cycling through Add, Mul, Tanh,
Sub, Relu, Sigmoid; x and b are float[rows, cols] graph inputs (default 4x64). Every node
is one kernel launch (Meld does not fuse yet): the model on which compile time must grow
linearly with N. Meld compiles identical kernels once (meld-tile-dedup-kernels), so this
chain has six distinct kernels. With --distinct, y_i = Op_i(y_{i-1}, c_i) with the ops
cycling through Add, Mul and Sub and c_i a scalar constant of its own, which the kernel
holds (no input b): N distinct kernels, each compiled through every step.
"""

import argparse
import sys

import onnx
import onnx.helper as oh

OPS = ["Add", "Mul", "Tanh", "Sub", "Relu", "Sigmoid"]
BINARY = ["Add", "Mul", "Sub"]


def make_chain(nodes, rows=4, cols=64, opset=17, distinct=False):
    """The ModelProto of a chain of `nodes` elementwise nodes; `distinct`: each with a
    scalar constant of its own."""
    graph_nodes = []
    initializers = []
    prev = "x"
    ops = BINARY if distinct else OPS
    for i in range(nodes):
        op = ops[i % len(ops)]
        out = "y" if i == nodes - 1 else f"t{i}"
        if distinct:
            # 1 + i/2^20: exact in float32, different for every node.
            initializers.append(oh.make_tensor(f"c{i}", onnx.TensorProto.FLOAT, [],
                                               [1.0 + i / 2.0**20]))
            inputs = [prev, f"c{i}"]
        else:
            inputs = [prev, "b"] if op in BINARY else [prev]
        graph_nodes.append(oh.make_node(op, inputs, [out], name=f"{op.lower()}_{i}"))
        prev = out
    shape = [rows, cols]
    graph = oh.make_graph(
        graph_nodes, f"chain{nodes}",
        [oh.make_tensor_value_info(name, onnx.TensorProto.FLOAT, shape)
         for name in (["x"] if distinct else ["x", "b"])],
        [oh.make_tensor_value_info("y", onnx.TensorProto.FLOAT, shape)], initializers)
    return oh.make_model(graph, opset_imports=[oh.make_opsetid("", opset)],
                         ir_version=8)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nodes", type=int)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--cols", type=int, default=64)
    parser.add_argument("--distinct", action="store_true",
                        help="a scalar constant of its own in every node: N distinct kernels")
    args = parser.parse_args(argv)
    if args.nodes < 1:
        parser.error("nodes must be at least 1")
    onnx.save(make_chain(args.nodes, args.rows, args.cols, distinct=args.distinct),
              args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
