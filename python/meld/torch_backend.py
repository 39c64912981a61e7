"""`torch.compile(model, backend="meld")`: Meld as a TorchDynamo backend.

    import meld.torch_backend   # registers "meld" (an installed package also
                                # registers it through its entry point)
    compiled = torch.compile(model, backend="meld")
    compiled = torch.compile(model, backend=meld.torch_backend.backend(device="emu"))

Each graph TorchDynamo captures is exported to ONNX with torch's own exporter
(the TorchScript-based one, which takes a GraphModule as it is), compiled by
Meld in-process and run by Meld's runtime; the outputs come back as torch
tensors. Parameters and buffers are graph inputs of the captured graph, so
they are bound on every call and the artifact does not depend on their
values.

- Static shapes: TorchDynamo guards on the inputs' shapes, and a call with a
  new shape captures the graph again, which compiles again.
- A graph Meld cannot compile (an operator it does not support, say) runs
  eagerly instead, with one warning naming the ONNX operators at fault.
- Float32 products follow torch's own setting,
  `torch.set_float32_matmul_precision`, as Inductor does: "highest" (torch's
  default) keeps them in f32 (`precision="fp32"`), "high" runs them as tf32
  on tensor cores, "medium" as bf16, all accumulating in f32.
- Artifacts are cached on disk (`MELD_CACHE_DIR`, default
  ~/.cache/meld/torch) under a hash of the exported graph, the weights it
  holds, the options and Meld's version, so a second process compiles
  nothing. `stats` counts what this process compiled and found cached.
"""

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import torch

import meld

__all__ = ["backend", "meld_backend", "stats", "Stats"]

_CACHE_FORMAT = "1"


@dataclass
class Stats:
    """What the backend did in this process."""

    compiled: int = 0
    cached: int = 0
    fallbacks: int = 0


stats = Stats()


def _cache_dir() -> str:
    return os.environ.get("MELD_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "meld", "torch")


def _device_of(example_inputs: Sequence[object]) -> str:
    for value in example_inputs:
        if isinstance(value, torch.Tensor):
            return "cuda" if value.is_cuda else "cpu"
    return "cpu"


def _export(gm: torch.fx.GraphModule, example_inputs: Sequence[torch.Tensor],
            names: List[str]) -> bytes:
    """The ONNX model of `gm` (inputs named `names`)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript-based exporter warns that it is not the default one.
        warnings.simplefilter("ignore")
        torch.onnx.export(gm, tuple(example_inputs), buffer, dynamo=False,
                          opset_version=17, input_names=names,
                          do_constant_folding=False)
    return buffer.getvalue()


# torch.get_float32_matmul_precision() -> meld.compile(precision=...).
_PRECISION = {"highest": "fp32", "high": "tf32", "medium": "bf16"}


def _precision() -> str:
    return _PRECISION.get(torch.get_float32_matmul_precision(), "fp32")


def _compile_cached(model: bytes, targets: str) -> meld.Artifact:
    precision = _precision()
    key = hashlib.sha256()
    for part in (_CACHE_FORMAT, meld._meld.runtime_version(), targets,
                 precision):
        key.update(part.encode())
        key.update(b"\0")
    key.update(model)
    path = os.path.join(_cache_dir(), key.hexdigest() + ".meld")
    if os.path.exists(path):
        stats.cached += 1
        return meld.load(path)
    artifact = meld.compile(model, targets=targets, precision=precision)
    stats.compiled += 1
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Written whole, then renamed: a concurrent reader sees all or nothing.
    temporary = f"{path}.{os.getpid()}.tmp"
    artifact.save(temporary)
    os.replace(temporary, path)
    return artifact


def _unsupported(error: meld.CompileError) -> str:
    """The ONNX operators (or the first message) a compile failed on."""
    ops = sorted({d.op_type for d in error.diagnostics
                  if d.severity == "error" and d.op_type})
    if ops:
        return "Meld cannot compile " + ", ".join(f"'{op}'" for op in ops)
    return str(error).splitlines()[0]


def backend(device: Optional[str] = None,
            targets: Optional[str] = None) -> Callable:
    """A TorchDynamo backend running on `device` ("cpu", "emu" or "cuda";
    default: where the inputs are) for GPU `targets` (default: "cpu" on the
    CPU, Meld's GPU targets otherwise)."""

    def compile_graph(gm: torch.fx.GraphModule,
                      example_inputs: Sequence[torch.Tensor]):
        run_on = device or _device_of(example_inputs)
        chosen = targets or ("cpu" if run_on == "cpu" else None)
        if any(not isinstance(x, torch.Tensor) for x in example_inputs):
            stats.fallbacks += 1
            warnings.warn("meld: a graph with non-tensor inputs runs eagerly",
                          stacklevel=2)
            return gm.forward
        names = [f"input_{i}" for i in range(len(example_inputs))]
        try:
            model = _export(gm, example_inputs, names)
            artifact = _compile_cached(model, chosen or "sm_80,sm_90a")
        except meld.CompileError as error:
            stats.fallbacks += 1
            warnings.warn(f"meld: {_unsupported(error)}; this graph runs "
                          "eagerly", stacklevel=2)
            return gm.forward
        session = meld.Session(artifact, device=run_on)
        output_names = [info.name for info in session.outputs]
        bound = [info.name for info in session.inputs]
        # Inputs the exporter dropped (unused by the graph) are not bound.
        positions = [names.index(name) for name in bound]
        result_device = example_inputs[0].device if example_inputs else None

        def run(*args):
            feeds = {name: args[i].detach().contiguous().cpu()
                     for name, i in zip(bound, positions)}
            outputs = session.run(feeds)
            results = [torch.from_numpy(outputs[name]) for name in output_names]
            if result_device is not None and result_device.type != "cpu":
                results = [r.to(result_device) for r in results]
            return tuple(results)

        return run

    return compile_graph


def meld_backend(gm: torch.fx.GraphModule,
                 example_inputs: Sequence[torch.Tensor]):
    """The backend registered as "meld": on the inputs' device."""
    return backend()(gm, example_inputs)


try:
    from torch._dynamo import register_backend

    register_backend(name="meld")(meld_backend)
except Exception:  # Registered already (the package's entry point).
    pass
