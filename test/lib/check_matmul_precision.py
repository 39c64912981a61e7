"""Checks a run of `y = MatMul(x, w) + b` against numpy at a precision.

Usage: check_matmul_precision.py WORK_DIR [tf32|fp16|bf16] [--model MODEL]

WORK_DIR is run_e2e.py's (inputs/x.npy, w.npy, b.npy, out/y.npy); with
--model, w and b are MODEL's initializers instead (make_product_model.py's:
W^T where the model is a Gemm with transB). The
reference rounds x and w as the tensor cores read them (tf32: to nearest,
ties away from zero, as cvt.rna.tf32.f32; fp16: numpy's float16; bf16:
ml_dtypes' bfloat16; both to nearest even), multiplies in float64 and adds
b: a product on tensor cores at that precision matches it to float32
rounding (relative error below 1e-6), where the float32 product is further
away (above 1e-5). Prints PASS or the errors.
"""

import os
import sys

import ml_dtypes
import numpy as np


def tf32(x):
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x1000) & 0xFFFFE000).astype(np.uint32)
    return bits.view(np.float32)


ROUND = {
    "tf32": tf32,
    "fp16": lambda x: x.astype(np.float16).astype(np.float32),
    "bf16": lambda x: x.astype(ml_dtypes.bfloat16).astype(np.float32),
}


def weights(path):
    """W (K x N) and b of a make_product_model.py model."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    found = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    w = found["w"]
    if any(node.op_type == "Gemm" and any(a.name == "transB" and a.i == 1
                                          for a in node.attribute)
           for node in model.graph.node):
        w = w.T
    return w, found["b"]


def main():
    args = sys.argv[1:]
    model = None
    if "--model" in args:
        at = args.index("--model")
        model = args[at + 1]
        del args[at:at + 2]
    work = args[0]
    kind = args[1] if len(args) > 1 else "tf32"
    rounding = ROUND[kind]
    load = lambda *p: np.load(os.path.join(work, *p))
    x = load("inputs", "x.npy")
    if model:
        w, b = weights(model)
    else:
        w, b = load("inputs", "w.npy"), load("inputs", "b.npy")
    y = load("out", "y.npy").astype(np.float64)
    exact = x.astype(np.float64) @ w.astype(np.float64) + b
    rounded = rounding(x).astype(np.float64) @ rounding(w).astype(np.float64) + b
    rel = lambda ref: np.linalg.norm(y - ref) / np.linalg.norm(ref)
    ok = np.all(np.isfinite(y)) and rel(rounded) < 1e-6
    print(f"against {kind} operands: {'below' if rel(rounded) < 1e-6 else 'above'} 1e-6; "
          f"against f32 operands: {'above' if rel(exact) > 1e-5 else 'below'} 1e-5")
    print("PASS" if ok and rel(exact) > 1e-5 else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
