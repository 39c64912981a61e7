# -*- Python -*-
"""lit configuration for Meld's test suite (`ninja check-meld`)."""

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MELD"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.meld_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%meld_src", config.meld_src_root))
config.substitutions.append(("%onnx_testdata", config.onnx_testdata_dir))
# The host-code link step of an emulated kernel library (runtime/emu): the
# LLVM dialect from meld-opt --meld-gpu-to-emu-pipeline to a shared object.
config.substitutions.append((
    "%emu_link",
    "mlir-translate --mlir-to-llvmir | "
    "clang -Wno-override-module -shared -fPIC -O1 -x ir -"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# Python helpers (onnx-from-text, node test runner, e2e harness) import from here.
llvm_config.with_environment("PYTHONPATH", os.path.join(config.meld_src_root, "test", "lib"),
                             append_path=True)
# torch (test/Python/torch.test) loads libtorch_cuda.so even on a machine
# without a GPU: the libraries it links come from the nvidia-* wheels of the
# test environment and the CUDA toolkit (see requirements-test.txt). Only the
# tests that import torch get them, through %env_torch.
import glob
venv = os.path.dirname(os.path.dirname(config.python_executable))
nvidia = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "nvidia"))
torch_libs = [os.path.join(nvidia[0], d, "lib") for d in ("cusparselt", "cu13", "nvshmem", "nccl")] if nvidia else []
torch_libs.append("/usr/local/cuda/lib64")
config.substitutions.append(("%env_torch", "env LD_LIBRARY_PATH=" + ":".join(torch_libs)))

# The Python package `meld` as built (python/CMakeLists.txt).
llvm_config.with_environment("PYTHONPATH",
                             os.path.join(config.meld_obj_root, "python_packages"),
                             append_path=True)

config.meld_tools_dir = os.path.join(config.meld_obj_root, "bin")
# Where the test helpers are (e.g. the fake libcuda of the CUDA backend tests).
config.substitutions.append(("%meld_bin", config.meld_tools_dir))
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.meld_tools_dir, append_path=True)

tools = [
    "meld-opt",
    "meld-capi-compiler-test",
    "meldc",
    "meld-run",
]
llvm_config.add_tool_substitutions(tools, [config.meld_tools_dir])

# ptxas (the CUDA toolkit's PTX assembler) checks the PTX Meld emits.
import shutil
if os.path.exists("/usr/local/cuda/bin/ptxas") or shutil.which("ptxas"):
    config.available_features.add("ptxas")

# The x86-64 ISA levels this CPU runs (host kernels compiled for each are
# tested only where they can run).
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()
_flags = _cpu_flags()
if {"avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm"} <= _flags:
    config.available_features.add("x86-64-v3")
    if {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"} <= _flags:
        config.available_features.add("x86-64-v4")

# A GPU is never assumed: tests that need one say `REQUIRES: cuda`.
if os.path.exists("/dev/nvidiactl") or os.environ.get("MELD_TEST_CUDA") == "1":
    config.available_features.add("cuda")

# The CUDA toolkit's driver stub library (its message is tested; no GPU).
if os.path.exists("/usr/local/cuda/lib64/stubs/libcuda.so"):
    config.available_features.add("cuda-stub")
