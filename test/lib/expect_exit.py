#!/usr/bin/env python3
"""Run a command and succeed only if it exits with the given code.

    %python -m expect_exit 1 meldc bad.onnx -o bad.meld 2> %t.err
    %python -m expect_exit --timeout 60 1 meld-run ... --input x=FIFO


lit's `not` accepts any failure; Meld's tools promise exit code 1 for a bad model or
input, never a crash (a signal) or another code. The command's stdout and stderr pass
through unchanged; on a different exit code a line saying so is added to stderr and the
exit code is 1. A command still running after --timeout seconds (default 600) is killed
and counts as a failure: a test of input that once made a tool block (a FIFO) sets a
short one.
"""

import subprocess
import sys


def main(argv):
    timeout = 600
    if len(argv) >= 2 and argv[0] == "--timeout":
        timeout = float(argv[1])
        argv = argv[2:]
    if len(argv) < 2:
        print("usage: expect_exit [--timeout SECONDS] CODE COMMAND [ARGS...]",
              file=sys.stderr)
        return 2
    want = int(argv[0])
    try:
        got = subprocess.call(argv[1:], timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"expect_exit: '{argv[1]}' timed out after {timeout:g} s (a hang)",
              file=sys.stderr)
        return 1
    except OSError as e:
        print(f"expect_exit: cannot run '{argv[1]}': {e}", file=sys.stderr)
        return 1
    if got == want:
        return 0
    how = f"signal {-got}" if got < 0 else f"exit code {got}"
    print(f"expect_exit: '{argv[1]}' ended with {how}, expected exit code {want}",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
