"""Checks the emulator's 16-bit float conversions against numpy and ml_dtypes.

Usage: check_emu_convert16.py DRIVER MODULE

Runs @narrow and @widen of test/Emulator/Inputs/convert16.mlir and compares
every result with the same conversion in numpy (float16) and ml_dtypes
(bfloat16), both rounding to nearest even: the bits must be equal, except
that a NaN need only be a NaN (neither PTX's cvt nor MLIR's bf16 expansion
keeps its sign or payload). Prints "PASS" or the first values that
differ."""

import subprocess
import sys

import ml_dtypes
import numpy as np

LOWS = np.array([0, 4095, 4096, 4097, 12287, 12288, 12289, 65535], np.uint32)


def run(driver, module, kernel, count):
    out = subprocess.run(
        [driver, kernel, "--module", module, "--grid", str(count // 256),
         "--block", "256", "--buf", f"u32:{count}:poison",
         "--buf", f"u32:{count}:poison", "--print", "0", "--print", "1"],
        capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: the emulator exited with {out.returncode}: {out.stderr.strip()}")
    buffers = {}
    for line in out.stdout.splitlines():
        if line.startswith("buf "):
            name, values = line.split(":", 1)
            buffers[int(name.split()[1])] = np.array(values.split(), np.uint64).astype(np.uint32)
    return buffers[0], buffers[1]


def compare(what, inputs, got, want, nan):
    both_nan = nan(got) & nan(want)
    bad = (got != want) & ~both_nan
    if np.any(bad):
        i = np.flatnonzero(bad)[:4]
        print(f"FAIL: {what}: inputs {[hex(v) for v in inputs[i]]} gave "
              f"{[hex(v) for v in got[i]]}, expected {[hex(v) for v in want[i]]}")
        return False
    return True


def main():
    driver, module = sys.argv[1:3]
    ok = True
    n = np.arange(524288, dtype=np.uint32)
    x_bits = ((n >> 3) << 16) | LOWS[n % 8]
    x = x_bits.view(np.float32)
    f16, bf16 = run(driver, module, "narrow", 524288)
    with np.errstate(over="ignore", invalid="ignore"):
        want16 = x.astype(np.float16).view(np.uint16).astype(np.uint32)
    with np.errstate(over="ignore", invalid="ignore"):
        wantbf = x.astype(ml_dtypes.bfloat16).view(np.uint16).astype(np.uint32)
    half_nan = lambda b: ((b & 0x7C00) == 0x7C00) & ((b & 0x3FF) != 0)
    ok &= compare("f32 to f16", x_bits, f16, want16, half_nan)
    bf_nan = lambda b: ((b & 0x7F80) == 0x7F80) & ((b & 0x7F) != 0)
    ok &= compare("f32 to bf16", x_bits, bf16, wantbf, bf_nan)

    h = np.arange(65536, dtype=np.uint32)
    f16x, bf16x = run(driver, module, "widen", 65536)
    want = h.astype(np.uint16).view(np.float16).astype(np.float32).view(np.uint32)
    f32_nan = lambda b: ((b & 0x7F800000) == 0x7F800000) & ((b & 0x7FFFFF) != 0)
    ok &= compare("f16 to f32", h, f16x, want, f32_nan)
    want = h.astype(np.uint16).view(ml_dtypes.bfloat16).astype(np.float32).view(np.uint32)
    ok &= compare("bf16 to f32", h, bf16x, want, f32_nan)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
