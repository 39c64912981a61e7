#!/usr/bin/env bash
# Installs what Meld's build and tests need and is missing: Debian packages (apt) and a
# Python virtual environment (.venv) with the pinned test-only packages. Idempotent and
# quiet when everything is present. Needs root for apt (uses sudo when not root).
#
#   scripts/install-deps.sh          what `make build` and `make test` need
#   scripts/install-deps.sh fuzz     that, plus what `make fuzz` needs (clang's
#                                    libFuzzer and sanitizer runtimes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  cmake ninja-build ccache
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  libonnx-dev libprotobuf-dev protobuf-compiler
  libflatbuffers-dev flatbuffers-compiler
  libonnx-testdata
  python3-venv
)
# Opt-in extras, by name on the command line.
for extra in "$@"; do
  case "$extra" in
    fuzz) packages+=(libclang-rt-22-dev) ;;
    *) echo "install-deps: unknown extra '$extra' (known: fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
stamp="$venv/.requirements-test.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/requirements-test.txt" "$stamp"; then
  echo "install-deps: preparing $venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$root/requirements-test.txt"
  cp "$root/requirements-test.txt" "$stamp"
fi
