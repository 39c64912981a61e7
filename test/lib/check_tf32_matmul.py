"""Checks a run of `y = MatMul(x, w) + b` against numpy at tf32.

Usage: check_tf32_matmul.py WORK_DIR

WORK_DIR is run_e2e.py's (inputs/x.npy, w.npy, b.npy, out/y.npy). The
reference rounds x and w to tf32 (to nearest, ties away from zero, as
cvt.rna.tf32.f32), multiplies in float64 and adds b: a product on tensor
cores at tf32 matches it to float32 rounding (relative error below 1e-6),
where onnxruntime's float32 product is 1e-4 away. Prints PASS or the errors.
"""

import os
import sys

import numpy as np


def tf32(x):
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x1000) & 0xFFFFE000).astype(np.uint32)
    return bits.view(np.float32)


def main():
    work = sys.argv[1]
    load = lambda *p: np.load(os.path.join(work, *p))
    x, w, b = load("inputs", "x.npy"), load("inputs", "w.npy"), load("inputs", "b.npy")
    y = load("out", "y.npy").astype(np.float64)
    exact = x.astype(np.float64) @ w.astype(np.float64) + b
    rounded = tf32(x).astype(np.float64) @ tf32(w).astype(np.float64) + b
    rel = lambda ref: np.linalg.norm(y - ref) / np.linalg.norm(ref)
    ok = np.all(np.isfinite(y)) and rel(rounded) < 1e-6
    print(f"against tf32 operands: {'below' if rel(rounded) < 1e-6 else 'above'} 1e-6; "
          f"against f32 operands: {'above' if rel(exact) > 1e-5 else 'below'} 1e-5")
    print("PASS" if ok and rel(exact) > 1e-5 else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
