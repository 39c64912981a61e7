"""Shared helpers for Meld's Python test drivers (node tests, end-to-end runs, example).

Finding the tools, running them with a time limit and turning what went wrong into one
line, reading tensors from .npy or ONNX TensorProto .pb files, and comparing outputs.
"""

import math
import os
import re
import shutil
import subprocess

import numpy as np
import onnx
import onnx.numpy_helper

# dtypes that cross Meld's boundary.
BOUNDARY_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


class ToolError(Exception):
    """A tool is missing; the message says which and how to get it."""


def find_tool(name, bin_dir=None):
    """Absolute path of a Meld tool: in `bin_dir` when given, else on PATH."""
    if bin_dir:
        path = os.path.join(bin_dir, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise ToolError(f"{name} not found in {bin_dir} (build Meld first: `make build`)")
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} not found on PATH (build Meld first: `make build`, "
                        f"then put build/bin on PATH or pass --bin build/bin)")
    return path


def first_line(text, limit=300):
    """The first non-empty line of `text`, shortened to `limit` characters."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def split_device(device):
    """meld-run's device and the environment to run it in, for a test's device.

    `cpu@LEVEL` is the CPU backend with the host kernels of that x86-64 ISA level
    forced (MELD_CPU_ISA); any other device runs as it is, in this environment.
    """
    name, _, level = device.partition("@")
    return name, (dict(os.environ, MELD_CPU_ISA=level) if level else None)


def run_tool(argv, timeout, env=None):
    """Run a tool; return None on success, else a one-line reason for the failure.

    Exit 1 is the tools' documented failure (its first stderr line is the reason); any
    other exit code, a signal or a timeout is reported as such, since the tools must
    never crash or hang.
    """
    name = os.path.basename(argv[0])
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, text=True, errors="replace", env=env)
    except subprocess.TimeoutExpired:
        return f"{name} timed out after {timeout} s"
    except OSError as e:
        return f"{name} could not start: {e}"
    if proc.returncode == 0:
        return None
    err = first_line(proc.stderr) or first_line(proc.stdout) or "(no message)"
    if proc.returncode < 0:
        return f"{name} crashed with signal {-proc.returncode}: {err}"
    if proc.returncode != 1:
        return f"{name} exited with {proc.returncode} (expected 0 or 1): {err}"
    return f"{name}: {err}"


def load_tensor(path):
    """A numpy array from a .npy file or a serialized onnx.TensorProto (.pb)."""
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(tensor)


def compare_allclose(out, ref, rtol=1e-3, atol=1e-5):
    """None when `out` matches `ref` (same shape and dtype, numpy allclose, no NaN).

    Integers and booleans must match exactly. Otherwise a one-line reason.
    """
    if out.dtype != ref.dtype:
        return f"dtype {out.dtype}, expected {ref.dtype}"
    if out.shape != ref.shape:
        return f"shape {out.shape}, expected {ref.shape}"
    if out.size == 0:
        return None
    if out.dtype.kind in "biu":
        wrong = np.count_nonzero(out != ref)
        if wrong:
            return f"{wrong} of {out.size} elements differ"
        return None
    out64 = out.astype(np.float64)
    ref64 = ref.astype(np.float64)
    nan = np.count_nonzero(np.isnan(out64))
    if nan:
        return f"{nan} NaN of {out.size} elements"
    # Infinities are fine only where the reference has the same infinity.
    inf_out, inf_ref = np.isinf(out64), np.isinf(ref64)
    if np.any(inf_out | inf_ref):
        if not np.array_equal(inf_out, inf_ref) or np.any(out64[inf_out] != ref64[inf_ref]):
            return "infinities differ from the reference"
        out64, ref64 = out64[~inf_out], ref64[~inf_ref]
    if np.any(np.isnan(ref64)):
        return "reference holds NaN (NaN never passes)"
    diff = np.abs(out64 - ref64)
    bad = diff > atol + rtol * np.abs(ref64)
    if np.any(bad):
        return (f"mismatch in {np.count_nonzero(bad)} of {out.size} elements, "
                f"max abs error {diff.max():.3g}")
    return None


def relative_error(out, ref):
    """‖out − ref‖ / ‖ref‖ in float64 (‖out‖ when the reference is all zeros); NaN if any.

    Infinities must be where the reference has the same infinity (else the error is
    NaN); the error is then taken over the finite elements."""
    out64 = np.asarray(out, dtype=np.float64)
    ref64 = np.asarray(ref, dtype=np.float64)
    if np.any(np.isnan(out64)) or np.any(np.isnan(ref64)):
        return float("nan")
    inf_out, inf_ref = np.isinf(out64), np.isinf(ref64)
    if np.any(inf_out | inf_ref):
        if not np.array_equal(inf_out, inf_ref) or np.any(out64[inf_out] != ref64[inf_ref]):
            return float("nan")
        out64, ref64 = out64[~inf_out], ref64[~inf_ref]
    num = np.linalg.norm((out64 - ref64).ravel())
    den = np.linalg.norm(ref64.ravel())
    return float(num / den) if den > 0 else float(num)


def max_abs_error(out, ref):
    out64 = np.asarray(out, dtype=np.float64)
    ref64 = np.asarray(ref, dtype=np.float64)
    # Matching infinities count as equal (relative_error rejects the others).
    same_inf = np.isinf(out64) & (out64 == ref64)
    out64, ref64 = out64[~same_inf], ref64[~same_inf]
    if out64.size == 0:
        return 0.0
    return float(np.max(np.abs(out64 - ref64)))


def graph_inputs(model):
    """The model's graph inputs that are not initializers, in order."""
    inits = {t.name for t in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in inits]


def elem_dtype(value_info):
    """numpy dtype of a tensor ValueInfoProto."""
    return onnx.helper.tensor_dtype_to_np_dtype(value_info.type.tensor_type.elem_type)


def static_shape(value_info):
    """Tuple of dims; raises ValueError on a symbolic or unknown dimension."""
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        if not d.HasField("dim_value"):
            raise ValueError(f"input '{value_info.name}' has a non-static dimension")
        dims.append(d.dim_value)
    return tuple(dims)


def safe_file_name(name):
    """A file name for a tensor name (ONNX names may hold '/' or ':')."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "_"


# What the benchmarks share (bench/cpu, bench/emu).

_TIME = re.compile(r"^time: median ([0-9.]+) ms")


def save_inputs(folder, feeds):
    """Saves {name: array} as .npy files in `folder`: [(name, path)] for meld-run."""
    os.makedirs(folder, exist_ok=True)
    inputs = []
    for name, value in feeds.items():
        path = os.path.join(folder, safe_file_name(name) + ".npy")
        np.save(path, value)
        inputs.append((name, path))
    return inputs


def time_meld_run(meld_run, artifact, inputs, device, threads, repeat, timeout):
    """meld-run's median ms of a whole run on `device`, or an error string."""
    argv = [meld_run, artifact, "--device", device, "--threads", str(threads),
            "--warmup", "1", "--repeat", str(repeat), "--quiet",
            "--output-dir", os.path.join(os.path.dirname(artifact), "out-" + device)]
    for name, path in inputs:
        argv += ["--input", f"{name}={path}"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s"
    for line in proc.stdout.splitlines():
        m = _TIME.match(line)
        if m and proc.returncode == 0:
            return float(m.group(1))
    return first_line(proc.stderr or proc.stdout or f"exit code {proc.returncode}")


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))
