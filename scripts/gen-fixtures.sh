#!/usr/bin/env bash
# Regenerate the ONNX fixtures under test/E2E/fixtures/ and the gpt2-tiny example.
# Not part of `make test`: the generated files are committed. Needs PyPI access once.
#
#   scripts/gen-fixtures.sh            # creates .venv-gen (gitignored) when missing
#
# torch is installed without its declared dependencies (several GB of CUDA wheels): see
# requirements-gen.txt. libtorch_cuda.so is loaded at import time even on a CPU-only
# machine, so the libraries it links must be found: the nvidia-* wheels pinned in
# requirements-gen.txt plus /usr/local/cuda/lib64 (the CUDA toolkit; see TOOLCHAIN).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV_GEN:-.venv-gen}
PYTHON=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import torch, onnxscript, onnxruntime" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --no-deps -r requirements-gen.txt
fi

SITE=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
NV="$SITE/nvidia"
export LD_LIBRARY_PATH="$NV/cusparselt/lib:$NV/cu13/lib:$NV/nvshmem/lib:$NV/nccl/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! "$VENV/bin/python" -c "import torch" 2>/tmp/meld-gen-torch.err; then
  echo "gen-fixtures: error: torch does not import:" >&2
  tail -1 /tmp/meld-gen-torch.err >&2
  echo "  (it needs the CUDA runtime libraries: /usr/local/cuda/lib64, or" \
       "'$VENV/bin/pip install torch==\$(grep ^torch== requirements-gen.txt | cut -d= -f3)'" \
       "with its dependencies)" >&2
  exit 1
fi

"$VENV/bin/python" test/E2E/fixtures/generate.py "$@"
"$VENV/bin/python" examples/gpt2-tiny/generate.py
