#!/usr/bin/env bash
# Runs libFuzzer targets built by `make fuzz-build` (see fuzz/README.md):
#
#   scripts/fuzz.sh BUILD_DIR SECONDS TARGET...
#
# Each target runs for SECONDS, in one process, on its seed corpus (fuzz/corpus/TARGET)
# and saved crash inputs (fuzz/regressions/TARGET). New interesting inputs go to
# BUILD_DIR/fuzz/corpus/TARGET (not the source tree), a crash, leak, timeout or
# out-of-memory input to BUILD_DIR/fuzz/findings/TARGET/, and libFuzzer's log to
# BUILD_DIR/fuzz/TARGET.log, whose last lines are shown. Stops at the first
# target that finds something (exit code 1). Extra libFuzzer flags can be given
# in FUZZ_ARGS, e.g. FUZZ_ARGS="-fork=1 -ignore_crashes=1 -ignore_ooms=1
# -ignore_timeouts=1" to keep going after a finding and collect them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1 seconds=$2
shift 2
for target in "$@"; do
  work="$build/fuzz"
  mkdir -p "$work/corpus/$target" "$work/findings/$target"
  # graph-passes starts from the models onnx-import's seeds are.
  corpus=$target
  [ "$target" = graph-passes ] && corpus=onnx-import
  seeds=("$root/fuzz/corpus/$corpus")
  [ -d "$root/fuzz/regressions/$target" ] && seeds+=("$root/fuzz/regressions/$target")
  echo "fuzz: $target for ${seconds}s (log: $work/$target.log)"
  status=0
  "$build/bin/meld-fuzz-$target" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/findings/$target/" ${FUZZ_ARGS:-} \
    "$work/corpus/$target" "${seeds[@]}" >"$work/$target.log" 2>&1 || status=$?
  tail -n 12 "$work/$target.log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target found a problem (exit code $status): see $work/findings/$target/"
    exit 1
  fi
done
