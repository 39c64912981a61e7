"""Meld: compile ONNX models into fused kernels and run them, in-process.

    import meld
    artifact = meld.compile("model.onnx", targets="cpu")
    session = meld.Session(artifact, device="cpu")
    outputs = session.run({"x": x})          # {name: numpy.ndarray}

`compile` takes a path, the model's bytes or an `onnx.ModelProto`, with the
options of `meldc`; `Session` runs an artifact on "cpu", "emu" (the GPU
emulator) or "cuda". Importing the package needs no GPU.

A compile that fails raises `CompileError`, whose `diagnostics` name the ONNX
node and op type at fault; a runtime call that fails raises `RuntimeError`
(a subclass of the builtin one), whose `status` names the kind of failure
("invalid argument", "unsupported", "fault in the data", ...).
"""

import builtins
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _meld

__all__ = [
    "Artifact",
    "CompileError",
    "Diagnostic",
    "RuntimeError",
    "Session",
    "TensorInfo",
    "compile",
    "load",
]

_SEVERITIES = ("error", "warning", "note", "remark")


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic of a compile: `severity` ("error", "warning", "note" or
    "remark"), the ONNX `node` and its `op_type` ("" when it is at no node),
    and the `message`."""

    severity: str
    node: str
    op_type: str
    message: str

    def __str__(self) -> str:
        where = f"node '{self.node}' ({self.op_type}): " if self.node else ""
        return f"{self.severity}: {where}{self.message}"


class CompileError(Exception):
    """A compile failed; `diagnostics` lists every diagnostic it reported."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        super().__init__("\n".join(str(d) for d in (errors or self.diagnostics))
                         or "the compile failed")


class RuntimeError(builtins.RuntimeError):
    """A runtime call failed: `status` is the runtime's name for the kind of
    failure ("invalid argument", "unsupported", "fault in the data", ...), the
    message says what and where (the ONNX node of a data fault)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


_meld.set_error_classes(RuntimeError)


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output: its `name`, `dtype` (the runtime's name:
    "f32", "i64", ...) and `shape`."""

    name: str
    dtype: str
    shape: Tuple[int, ...]

    @property
    def numpy_dtype(self) -> np.dtype:
        return _numpy_dtype(self.dtype)


_NUMPY_DTYPES = {
    "f32": np.float32, "f16": np.float16, "f64": np.float64,
    "i64": np.int64, "i32": np.int32, "i8": np.int8, "u8": np.uint8,
    "bool": np.bool_,
}


def _numpy_dtype(name: str) -> np.dtype:
    if name == "bf16":
        import ml_dtypes  # bfloat16 is not one of NumPy's own dtypes
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(_NUMPY_DTYPES[name])


class Artifact:
    """A compiled model: the bytes of a .meld artifact, the compile's
    diagnostics (warnings) and its report when asked for (else None)."""

    def __init__(self, data: bytes, *, diagnostics: Sequence[Diagnostic] = (),
                 report: Optional[dict] = None):
        self.data = bytes(data)
        self.diagnostics = list(diagnostics)
        self.report = report

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the artifact to `path` (what `meldc -o path` writes)."""
        with open(path, "wb") as f:
            f.write(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<meld.Artifact of {len(self.data)} bytes>"


def load(path: Union[str, os.PathLike]) -> Artifact:
    """The artifact in file `path`."""
    with open(path, "rb") as f:
        return Artifact(f.read())


Model = Union[str, os.PathLike, bytes, bytearray, memoryview, "onnx.ModelProto"]


# The linker of the host kernels that the wheel carries (meld/bin/ld.lld,
# with the LLVM libraries it links in meld.libs); without it (a development
# build) the compiler's default, the LLVM it was built with.
_LINKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin",
                       "ld.lld")


def compile(model: Model, *,
            targets: Union[None, str, Sequence[str]] = None,
            const: Optional[Mapping[str, Union[str, os.PathLike]]] = None,
            shapes: Optional[Mapping[str, Union[int, Sequence[int]]]] = None,
            weights: str = "embedded",
            emulator: Optional[bool] = None,
            num_warps: int = 0,
            precision: str = "tf32",
            host_cpus: Union[None, str, Sequence[str]] = None,
            report: bool = False,
            cuda_path: Optional[str] = None,
            base_dir: Optional[Union[str, os.PathLike]] = None) -> Artifact:
    """Compiles `model` (a path, serialized bytes or an `onnx.ModelProto`)
    into an `Artifact`, with the options of `meldc`:

    - `targets`: GPU targets ("sm_80", "sm_90a", ...; a list or a
      comma-separated string), or "cpu" for the host code alone; default
      sm_80 and sm_90a;
    - `const`: graph inputs frozen to the tensor in a file (.npy or an ONNX
      TensorProto .pb), `{name: path}`;
    - `shapes`: `{input name: shape}` or `{symbolic dimension: size}`;
    - `weights`: "embedded" in the artifact, or "external" (the runtime
      loads them from a safetensors file);
    - `emulator`: include the kernels of the GPU emulator (default: with
      GPU targets);
    - `num_warps`: warps of every GPU kernel's block (0: per kernel);
    - `precision`: which products of the GPU kernels run on tensor cores:
      "fp32" (none), "tf32" (the default: f32 products on mma.sync,
      operands rounded to tf32), "fp16" or "bf16" (operands rounded to
      that type), all accumulating in f32;
    - `host_cpus`: the x86-64 ISA levels of the host kernels, one library
      each ("x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"; a list or a
      comma-separated string); default "x86-64,x86-64-v3,x86-64-v4". The
      runtime runs the widest one the CPU supports;
    - `report`: attach `meldc --report=json` as `Artifact.report` (a dict:
      per kernel and GPU target its ONNX nodes, grid, tile, flops,
      device-memory bytes, roofline estimate and ptxas's figures; totals
      per target); needs a GPU target;
    - `cuda_path`: the CUDA toolkit (default /usr/local/cuda);
    - `base_dir`: where the external data of a model given as bytes or a
      ModelProto lies (default: the working directory).

    Raises `CompileError` with the diagnostics when the compile fails."""
    if weights not in ("embedded", "external"):
        raise ValueError(f"weights must be 'embedded' or 'external', "
                         f"got {weights!r}")
    if targets is not None and not isinstance(targets, str):
        targets = ",".join(targets)
    if host_cpus is not None and not isinstance(host_cpus, str):
        host_cpus = ",".join(host_cpus)
    consts = [(str(name), os.fspath(path))
              for name, path in (const or {}).items()]
    shape_list = []
    for name, dims in (shapes or {}).items():
        dims = [dims] if isinstance(dims, int) else list(dims)
        shape_list.append((str(name), [int(d) for d in dims]))
    options = _meld.CompileOptions(
        targets=targets, cuda_path=cuda_path,
        linker=_LINKER if os.path.exists(_LINKER) else None,
        external_weights=weights == "external", emulator=emulator,
        num_warps=int(num_warps), precision=str(precision),
        host_cpus=host_cpus, report=bool(report), consts=consts,
        shapes=shape_list)
    if isinstance(model, (str, os.PathLike)):
        artifact, diagnostics, report_json = _meld.compile_file(
            os.fspath(model), options)
    else:
        if hasattr(model, "SerializeToString"):
            model = model.SerializeToString()
        elif not isinstance(model, (bytes, bytearray, memoryview)):
            raise TypeError("model must be a path, bytes or an "
                            f"onnx.ModelProto, got {type(model).__name__}")
        artifact, diagnostics, report_json = _meld.compile_buffer(
            bytes(model), os.fspath(base_dir) if base_dir else "", options)
    records = [Diagnostic(_SEVERITIES[s], node, op_type, message)
               for s, node, op_type, message in diagnostics]
    if artifact is None:
        raise CompileError(records)
    return Artifact(artifact, diagnostics=records,
                    report=json.loads(report_json) if report_json else None)


class Session:
    """An artifact on a device: "cpu", "emu" (the GPU emulator, which checks
    every memory access) or "cuda" / "cuda:N"."""

    def __init__(self, artifact: Union[Artifact, str, os.PathLike],
                 device: str = "cpu", *, weights: Optional[str] = None,
                 num_threads: int = 0, emu_seed: int = 0):
        # The compile's report, when the artifact came with one.
        self.report = getattr(artifact, "report", None)
        if isinstance(artifact, Artifact):
            # The runtime maps artifacts from files.
            with tempfile.NamedTemporaryFile(suffix=".meld",
                                             delete=False) as f:
                f.write(artifact.data)
                path = f.name
            try:
                self._model = _meld.Model(path)
            finally:
                os.unlink(path)
        else:
            self._model = _meld.Model(os.fspath(artifact))
        if weights is not None:
            self._model.load_weights(os.fspath(weights))
        self.device = device
        self._session = _meld.Session(self._model, device, num_threads,
                                      emu_seed)
        self.inputs = [TensorInfo(n, d, s) for n, d, s in self._model.inputs()]
        self.outputs = [TensorInfo(n, d, s)
                        for n, d, s in self._model.outputs()]
        self.last_run_ms: Optional[float] = None

    def run(self, inputs: Mapping[str, object]) -> Dict[str, np.ndarray]:
        """Runs the model on `inputs` ({name: array}: NumPy arrays or DLPack
        producers such as CPU torch tensors, of the input's dtype, read
        without a copy when C-contiguous; or lists and scalars, converted to
        the input's dtype) and returns its outputs by name, as new NumPy
        arrays."""
        expected = {info.name for info in self.inputs}
        unknown = sorted(set(inputs) - expected)
        if unknown:
            raise RuntimeError(
                "invalid argument",
                f"the model has no input '{unknown[0]}' (inputs: "
                f"{', '.join(info.name for info in self.inputs)})")
        dtypes = {info.name: info.numpy_dtype for info in self.inputs}
        for name, value in inputs.items():
            # Arrays keep their dtype (a wrong one is the runtime's error);
            # lists and scalars take the input's.
            if not hasattr(value, "__dlpack__"):
                value = np.asarray(value, dtype=dtypes[name])
            if isinstance(value, np.ndarray):
                value = np.ascontiguousarray(value)
            self._session.set_input(name, value)
        self.last_run_ms = self._session.run()
        outputs = {}
        for index, info in enumerate(self.outputs):
            name, dtype, shape, data = self._session.output(index)
            outputs[name] = data.view(_numpy_dtype(dtype)).reshape(shape)
        return outputs

    def __repr__(self) -> str:
        return (f"<meld.Session on {self.device}: "
                f"{len(self.inputs)} inputs, {len(self.outputs)} outputs>")
