#!/usr/bin/env python3
"""Compile and run the bundled gpt2-tiny example, and check it against its reference.

    python examples/run_example.py --build build [--device cpu|cuda|emu]

(`make run` calls it.) Steps:
  1. BUILD/bin/meldc examples/gpt2-tiny/gpt2-tiny.onnx -o BUILD/examples/gpt2-tiny.meld
     --target sm_80,sm_90a
  2. BUILD/bin/meld-run on the best device there is (see pick_device), the input being
     examples/gpt2-tiny/input_ids.npy, the outputs going to BUILD/examples/gpt2-tiny-out/
  3. logits.npy against examples/gpt2-tiny/reference_logits.npy (onnxruntime's output):
     relative error ‖out − ref‖/‖ref‖ in float64, max abs error, top-1 token agreement.
Prints PASS or FAIL and the artifact's path; exit code 1 on failure. Needs numpy only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = "gpt2-tiny"

# Relative-error bound per device: fp32 on the CPU lands far under 1e-4; a GPU may use
# tf32 tensor cores for fp32 matmuls (near 3e-4).
TOLERANCE = {"cpu": 1e-4, "emu": 1e-3, "cuda": 1e-3}


def pick_device():
    """The best device for meld-run here: cuda where an NVIDIA driver answers, else cpu.

    MELD_DEVICE in the environment overrides. (The GPU emulator, `emu`, is chosen only
    when asked for: it is a testing device, slower than the CPU backend.)
    """
    forced = os.environ.get("MELD_DEVICE")
    if forced:
        return forced
    if shutil.which("nvidia-smi"):
        try:
            ok = subprocess.run(["nvidia-smi", "-L"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return "cuda"
    return "cpu"


def run(argv):
    """(ok, seconds, one-line message)."""
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace", timeout=600)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - start, f"{os.path.basename(argv[0])} timed out"
    secs = time.monotonic() - start
    if proc.returncode == 0:
        return True, secs, ""
    lines = [l for l in (proc.stderr + proc.stdout).splitlines() if l.strip()]
    how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
    return False, secs, f"{os.path.basename(argv[0])} failed ({how}): " + \
        (lines[0].strip() if lines else "(no message)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="Meld build folder (holds bin/)")
    ap.add_argument("--device", help="cpu, cuda or emu (default: the best one here)")
    args = ap.parse_args(argv)

    src = os.path.join(HERE, EXAMPLE)
    model = os.path.join(src, EXAMPLE + ".onnx")
    build = os.path.abspath(args.build)
    meldc = os.path.join(build, "bin", "meldc")
    meld_run = os.path.join(build, "bin", "meld-run")
    for tool in (meldc, meld_run):
        if not os.access(tool, os.X_OK):
            print(f"run_example: error: {tool} not found; build Meld first (`make build`)",
                  file=sys.stderr)
            print("FAIL")
            return 1
    out_root = os.path.join(build, "examples")
    artifact = os.path.join(out_root, EXAMPLE + ".meld")
    out_dir = os.path.join(out_root, EXAMPLE + "-out")
    os.makedirs(out_dir, exist_ok=True)

    targets = "sm_80,sm_90a"
    ok, secs, msg = run([meldc, model, "-o", artifact, "--target", targets])
    if not ok:
        print(f"run_example: error: {msg}", file=sys.stderr)
        print("FAIL")
        return 1
    print(f"{EXAMPLE}: compiled {os.path.relpath(model)} in {secs:.2f} s "
          f"({os.path.getsize(artifact) / 1e6:.2f} MB artifact: kernels for the CPU, "
          f"for {targets.replace(',', ' and ')} (PTX, and cubins where ptxas is found) "
          f"and for the GPU emulator)")

    device = args.device or pick_device()
    devices = [device] if args.device or device == "cpu" else [device, "cpu"]
    for i, dev in enumerate(devices):
        for f in os.listdir(out_dir):
            os.remove(os.path.join(out_dir, f))
        ok, secs, msg = run([meld_run, artifact, "--input",
                             "input_ids=" + os.path.join(src, "input_ids.npy"),
                             "--output-dir", out_dir, "--device", dev])
        if ok:
            device = dev
            break
        if i + 1 < len(devices):
            print(f"note: {msg}; falling back to {devices[i + 1]}")
    if not ok:
        print(f"run_example: error: {msg}", file=sys.stderr)
        print("FAIL")
        return 1
    print(f"{EXAMPLE}: ran on {device} in {secs:.2f} s")

    ref = np.load(os.path.join(src, "reference_logits.npy"))
    out_path = os.path.join(out_dir, "logits.npy")
    if not os.path.isfile(out_path):
        print(f"run_example: error: meld-run wrote no {out_path}", file=sys.stderr)
        print("FAIL")
        return 1
    out = np.load(out_path)
    if out.shape != ref.shape or out.dtype != ref.dtype:
        print(f"logits: got {out.dtype}{list(out.shape)}, expected {ref.dtype}{list(ref.shape)}")
        print("FAIL")
        return 1
    out64, ref64 = out.astype(np.float64), ref.astype(np.float64)
    nan = int(np.count_nonzero(np.isnan(out64)))
    rel = float(np.linalg.norm(out64 - ref64) / np.linalg.norm(ref64)) if not nan else float("nan")
    mae = float(np.max(np.abs(out64 - ref64))) if not nan else float("nan")
    top1 = int(np.count_nonzero(out.argmax(-1) == ref.argmax(-1)))
    positions = ref.shape[0] * ref.shape[1]
    tol = TOLERANCE.get(device, 1e-4)
    passed = bool(rel < tol)
    print(f"logits {list(out.shape)}: relative error {rel:.3e} (bound {tol:g}), "
          f"max abs error {mae:.3e}, top-1 tokens agreeing {top1}/{positions}"
          + (f", {nan} NaN" if nan else ""))
    print("PASS" if passed else "FAIL")
    print(f"artifact: {artifact}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
