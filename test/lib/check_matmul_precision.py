"""Checks a run of `y = MatMul(x, w) + b` against numpy at a precision.

Usage: check_matmul_precision.py WORK_DIR [tf32|fp16|bf16]

WORK_DIR is run_e2e.py's (inputs/x.npy, w.npy, b.npy, out/y.npy). The
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


def main():
    work = sys.argv[1]
    kind = sys.argv[2] if len(sys.argv) > 2 else "tf32"
    rounding = ROUND[kind]
    load = lambda *p: np.load(os.path.join(work, *p))
    x, w, b = load("inputs", "x.npy"), load("inputs", "w.npy"), load("inputs", "b.npy")
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
