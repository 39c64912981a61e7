#!/usr/bin/env bash
# Builds the Python package's wheel the way `pip install .` does (PEP 517,
# scikit-build-core, pyproject.toml), installs it into a fresh virtual
# environment and runs a model with it there: compile (cpu), run, compare with
# NumPy. Not part of `make test` (it builds the compiler a second time, in
# build-wheel/); run it after changing the package's build.
#
#   scripts/check-wheel.sh [WORK_DIR]     (default: a temporary directory)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
"$root/.venv/bin/pip" wheel -q "$root" -w "$work/wheel" -C build-dir="$root/build-wheel"
rm -rf "$work/venv"
"$root/.venv/bin/python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --no-index --find-links "$work/wheel" meld
# The model (made with the test environment's onnx; the fresh one has only
# the wheel and its dependencies).
(cd "$root/test/lib" && "$root/.venv/bin/python" -m onnx_from_text \
  "$root/test/CAPI/Inputs/tiny.onnxtxt" -o "$work/tiny.onnx")
cd "$work"
"$work/venv/bin/python" - <<'PY'
import numpy as np

import meld

x = np.linspace(-2, 2, 15, dtype=np.float32).reshape(3, 5)
z = np.ones((3, 5), np.float32)
y = meld.Session(meld.compile("tiny.onnx", targets="cpu")).run({"x": x, "z": z})["y"]
a = x + z
e = np.exp(a - a.max(axis=1, keepdims=True))
np.testing.assert_allclose(y, np.tanh(e / e.sum(axis=1, keepdims=True)), rtol=1e-5)
print(f"check-wheel: the installed package ({meld.__file__}) compiled and ran a model")
PY
