#!/usr/bin/env python3
"""Write a model `y = x W + b` whose weights are initializers.

Usage: make_product_model.py MxKxN [--gemm-trans-b] [--seed S] -o OUT.onnx

x is the input (float32, M x K); W (K x N) and b (N) are initializers of
seeded normal values (W scaled by 1 / sqrt(K)). By default the model is
MatMul(x, W) + b, W stored K x N (each row of W is N consecutive floats, as
exporters write a Linear's weight after folding its transpose); with
--gemm-trans-b it is Gemm(x, W^T, b, transB=1), W stored N x K (each column
of W consecutive, as a Linear's weight itself).
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shape")
    parser.add_argument("--gemm-trans-b", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", required=True)
    args = parser.parse_args()
    m, k, n = (int(v) for v in args.shape.split("x"))
    rng = np.random.default_rng(args.seed)
    w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    if args.gemm_trans_b:
        initializers = [numpy_helper.from_array(np.ascontiguousarray(w.T), "w")]
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)]
    else:
        initializers = [numpy_helper.from_array(w, "w")]
        nodes = [helper.make_node("MatMul", ["x", "w"], ["t"]),
                 helper.make_node("Add", ["t", "b"], ["y"])]
    initializers.append(numpy_helper.from_array(b, "b"))
    graph = helper.make_graph(
        nodes, "product",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, args.o)
    return 0


if __name__ == "__main__":
    sys.exit(main())
