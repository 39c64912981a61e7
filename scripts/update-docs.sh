#!/usr/bin/env bash
# Regenerates the dialect (and pass) reference from ODS and refreshes the committed
# copies in docs/Dialects/ and docs/Passes/.
# Usage: scripts/update-docs.sh [BUILD_DIR]   (default: build; JOBS=N limits ninja)
#
# BUILD_DIR must be a configured build tree (`make configure` or cmake -G Ninja).
# `ninja mlir-doc` runs mlir-tblgen -gen-dialect-doc for every add_mlir_doc in
# dialects/*/IR/CMakeLists.txt (and -gen-pass-doc for the Passes.td files) and
# writes BUILD_DIR/docs/Dialects/<Name>.md, BUILD_DIR/docs/Passes/<Name>.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac

if [[ ! -f "$build/build.ninja" ]]; then
  echo "error: $build is not a configured build tree (run 'make configure' first)" >&2
  exit 1
fi

ninja -C "$build" ${JOBS:+-j "$JOBS"} mlir-doc

# Every generated page (dialects, and passes where a Passes.td declares add_mlir_doc)
# lands under BUILD_DIR/docs/; mirror them into docs/.
cd "$build/docs"
pages=$(find . -name '*.md' | sort)
if [[ -z "$pages" ]]; then
  echo "error: mlir-doc generated nothing under $build/docs" >&2
  exit 1
fi
for page in $pages; do
  page=${page#./}
  mkdir -p "$root/docs/$(dirname "$page")"
  {
    echo "<!-- Generated from ODS by scripts/update-docs.sh; edit the .td files, not this. -->"
    echo
    cat "$page"
  } > "$root/docs/$page"
  echo "updated docs/$page"
done
