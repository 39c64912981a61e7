"""Checks every kernel of a `meldc --report=json` report.

Usage: check_report.py REPORT.json --targets sm_80,sm_90a

Every kernel must appear once for every target, with no spill stores, no
spill loads and no stack frame. Prints one line per target with the number of
kernels checked, or every offending kernel (and exits 1).
"""

import argparse
import collections
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--targets", required=True)
    args = parser.parse_args()
    targets = args.targets.split(",")
    with open(args.report) as f:
        entries = json.load(f)["kernels"]

    kernels = collections.defaultdict(list)
    problems = []
    for entry in entries:
        kernels[entry["kernel"]].append(entry["target"])
        for field in ("spill_store_bytes", "spill_load_bytes",
                      "stack_frame_bytes"):
            if entry[field] != 0:
                problems.append(f"{entry['kernel']} {entry['target']}: "
                                f"{field} = {entry[field]}")
    for name, seen in sorted(kernels.items()):
        if sorted(seen) != sorted(targets):
            problems.append(f"{name}: reported for {sorted(seen)}, "
                            f"expected {sorted(targets)}")
    if not kernels:
        problems.append("the report lists no kernel")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    for target in targets:
        print(f"{target}: {len(kernels)} kernels, no spills, no stack")
    return 0


if __name__ == "__main__":
    sys.exit(main())
