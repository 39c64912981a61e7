"""Runs one mma.sync kernel on the GPU emulator and checks it against numpy.

Usage: check_emu_mma.py DRIVER MODULE KERNEL SEED [--type tf32|f16|bf16]

Fills A (16xK), B (Kx8) and C (16x8) with random floats whose low mantissa
bits are set, runs KERNEL on one warp (test/Emulator/Inputs/mma.mlir for
tf32, K = 8; mma16.mlir for f16 and bf16, K = 16, A and B given as the
bits of their elements rounded to nearest even), and compares D with A B + C
computed by numpy in float64 on A and B as the tensor cores read them:
truncated to tf32 (the top 19 bits), or the float16 or bfloat16 values.
Prints "PASS" or what differs."""

import subprocess
import sys

import numpy as np


def tf32(x):
    bits = x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
    return bits.view(np.float32)


def bf16(x):
    # Round to nearest even on the top 16 bits.
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return bits.view(np.float32)


def main():
    driver, module, kernel, seed = sys.argv[1:5]
    kind = sys.argv[6] if len(sys.argv) > 6 and sys.argv[5] == "--type" else "tf32"
    depth = 8 if kind == "tf32" else 16
    operand = {"tf32": tf32, "f16": lambda x: x.astype(np.float16).astype(np.float32),
               "bf16": bf16}[kind]
    rng = np.random.default_rng(int(seed))
    a = rng.standard_normal((16, depth)).astype(np.float32)
    b = rng.standard_normal((depth, 8)).astype(np.float32)
    c = rng.standard_normal((16, 8)).astype(np.float32)
    # Every value has bits below tf32's precision: truncation shows.
    assert np.any(a.view(np.uint32) & 0x1FFF) and np.any(b.view(np.uint32) & 0x1FFF)

    def listed(x):
        if kind == "f16":
            bits = x.astype(np.float16).view(np.uint16)
        elif kind == "bf16":
            bits = (bf16(x).view(np.uint32) >> 16).astype(np.uint16)
        else:
            return ",".join(repr(float(v)) for v in x.ravel())
        return ",".join(str(int(v)) for v in bits.ravel())

    def listed_f32(x):
        return ",".join(repr(float(v)) for v in x.ravel())

    operand_buffer = "f32" if kind == "tf32" else "u32"

    out = subprocess.run(
        [driver, kernel, "--module", module, "--block", "32",
         "--buf", f"{operand_buffer}:{a.size}:" + listed(a),
         "--buf", f"{operand_buffer}:{b.size}:" + listed(b),
         "--buf", "f32:128:" + listed_f32(c), "--buf", "f32:128:poison",
         "--print", "3"],
        capture_output=True, text=True)
    if out.returncode != 0:
        print("FAIL: the emulator exited with", out.returncode, out.stderr.strip())
        return 1
    line = [l for l in out.stdout.splitlines() if l.startswith("buf 3:")][0]
    d = np.array([float(v) for v in line.split(":")[1].split()]).reshape(16, 8)
    reference = operand(a).astype(np.float64) @ operand(b).astype(np.float64) + c
    error = np.abs(d - reference).max() / np.abs(reference).max()
    untruncated = a.astype(np.float64) @ b.astype(np.float64) + c
    if not np.all(np.isfinite(d)) or error > 1e-6:
        print(f"FAIL: max error {error:.3g} against the {kind} reference")
        return 1
    # The emulator reads the operands at their precision: its D is not the
    # float32 product.
    if np.abs(d - untruncated).max() / np.abs(untruncated).max() < 1e-6:
        print(f"FAIL: D matches the product without {kind} rounding")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
