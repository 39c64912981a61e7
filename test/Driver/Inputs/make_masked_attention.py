"""Writes an attention whose causal keep mask is an initializer ("triu", 81
elements: a weight, not inlined as a constant):
    python make_masked_attention.py OUT.onnx"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [2, 9, 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 9, 8])
mask = numpy_helper.from_array(np.tril(np.ones((9, 9), dtype=bool)), "triu")
nodes = [
    helper.make_node("Transpose", ["q"], ["kt"], perm=[0, 2, 1]),
    helper.make_node("MatMul", ["q", "kt"], ["qk"]),
    helper.make_node("Constant", [], ["scale"],
                     value=helper.make_tensor("s", TensorProto.FLOAT, [], [0.25])),
    helper.make_node("Mul", ["qk", "scale"], ["s"]),
    helper.make_node("Constant", [], ["ninf"],
                     value=helper.make_tensor("n", TensorProto.FLOAT, [],
                                              [-np.inf])),
    helper.make_node("Where", ["triu", "s", "ninf"], ["w"]),
    helper.make_node("Softmax", ["w"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "q"], ["y"]),
]
graph = helper.make_graph(nodes, "masked_attention", [q], [y], [mask])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
model.ir_version = 8
onnx.save(model, sys.argv[1])
