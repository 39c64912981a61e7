"""Runs the ldmatrix kernel (test/Emulator/Inputs/ldmatrix.mlir) on the GPU
emulator and checks every register against the PTX ISA's fragment layout.

Usage: check_emu_ldmatrix.py DRIVER MODULE SEED

Fills 32 rows of 8 random 16-bit patterns and a random permutation of the
rows' slots in shared memory, runs the kernel on one warp, and checks each
lane's registers: for ldmatrix .xN, register j of lane l holds elements
(l / 4, 2 (l % 4)) and (l / 4, 2 (l % 4) + 1) of matrix j, the first in the
low half, where matrix j's row r is the row lane 8 j + r gave; with .trans,
elements (2 (l % 4), l / 4) and (2 (l % 4) + 1, l / 4). Prints "PASS" or
what differs (and exits 1)."""

import subprocess
import sys

import numpy as np

# The kernel's registers per lane: .x4, .x4.trans, .x2, .x1.
VARIANTS = [(4, False), (4, True), (2, False), (1, False)]


def expected(rows):
    """The 11 registers of each of the 32 lanes, from the rows lanes gave."""
    out = np.zeros((32, 11), np.uint32)
    for lane in range(32):
        q, p = lane // 4, 2 * (lane % 4)
        k = 0
        for num, trans in VARIANTS:
            for j in range(num):
                matrix = rows[8 * j:8 * j + 8]
                if trans:
                    low, high = matrix[p, q], matrix[p + 1, q]
                else:
                    low, high = matrix[q, p], matrix[q, p + 1]
                out[lane, k] = int(low) | int(high) << 16
                k += 1
    return out


def main():
    driver, module, seed = sys.argv[1:4]
    rng = np.random.default_rng(int(seed))
    rows = rng.integers(0, 1 << 16, size=(32, 8), dtype=np.uint32)
    perm = rng.permutation(32).astype(np.uint32)
    assert np.any(perm != np.arange(32))

    def listed(x):
        return ",".join(str(int(v)) for v in x.ravel())

    run = subprocess.run(
        [driver, "ldmatrix", "--module", module, "--block", "32",
         "--shared", "512", "--buf", "u32:256:" + listed(rows),
         "--buf", "u32:32:" + listed(perm), "--buf", "u32:352:poison",
         "--print", "2"],
        capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout + run.stderr)
        return 1
    line = [l for l in run.stdout.splitlines() if l.startswith("buf 2:")][0]
    got = np.array([int(v) for v in line.split()[2:]], np.uint64)
    got = got.astype(np.uint32).reshape(32, 11)
    want = expected(rows)
    bad = np.argwhere(got != want)
    if len(bad):
        for lane, k in bad[:5]:
            print(f"lane {lane} register {k}: got {got[lane, k]:#010x}, "
                  f"expected {want[lane, k]:#010x}")
        print(f"{len(bad)} of {got.size} registers differ")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
