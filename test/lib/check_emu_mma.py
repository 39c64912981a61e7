"""Runs one mma.sync kernel on the GPU emulator and checks it against numpy.

Usage: check_emu_mma.py DRIVER MODULE KERNEL SEED

Fills A (16x8), B (8x8) and C (16x8) with random floats whose low mantissa
bits are set, runs KERNEL (test/Emulator/Inputs/mma.mlir) on one warp, and
compares D with A B + C computed by numpy in float64 on A and B truncated
to tf32 (the top 19 bits of each register, as the tensor cores read them).
Prints "PASS" or what differs."""

import subprocess
import sys

import numpy as np


def tf32(x):
    bits = x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
    return bits.view(np.float32)


def main():
    driver, module, kernel, seed = sys.argv[1:5]
    rng = np.random.default_rng(int(seed))
    a = rng.standard_normal((16, 8)).astype(np.float32)
    b = rng.standard_normal((8, 8)).astype(np.float32)
    c = rng.standard_normal((16, 8)).astype(np.float32)
    # Every value has bits below tf32's precision: truncation shows.
    assert np.any(a.view(np.uint32) & 0x1FFF) and np.any(b.view(np.uint32) & 0x1FFF)

    def listed(x):
        return ",".join(repr(float(v)) for v in x.ravel())

    out = subprocess.run(
        [driver, kernel, "--module", module, "--block", "32",
         "--buf", "f32:128:" + listed(a), "--buf", "f32:64:" + listed(b),
         "--buf", "f32:128:" + listed(c), "--buf", "f32:128:poison",
         "--print", "3"],
        capture_output=True, text=True)
    if out.returncode != 0:
        print("FAIL: the emulator exited with", out.returncode, out.stderr.strip())
        return 1
    line = [l for l in out.stdout.splitlines() if l.startswith("buf 3:")][0]
    d = np.array([float(v) for v in line.split(":")[1].split()]).reshape(16, 8)
    reference = tf32(a).astype(np.float64) @ tf32(b).astype(np.float64) + c
    error = np.abs(d - reference).max() / np.abs(reference).max()
    untruncated = a.astype(np.float64) @ b.astype(np.float64) + c
    if not np.all(np.isfinite(d)) or error > 1e-6:
        print(f"FAIL: max error {error:.3g} against the tf32 reference")
        return 1
    # The emulator truncates to tf32: its D is not the float32 product.
    if np.abs(d - untruncated).max() / np.abs(untruncated).max() < 1e-6:
        print("FAIL: D matches the product without tf32 truncation")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
