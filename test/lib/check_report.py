"""Checks every kernel of a `meldc --report=json` report.

Usage: check_report.py REPORT.json --targets sm_80,sm_90a [--tensor-cores [PRECISION]]

Every kernel must appear once for every target, with no spill stores, no
spill loads and no stack frame. With --tensor-cores PRECISION (a compile
with --precision PRECISION: tf32, the default, fp16 or bf16), every kernel
computing a MatMul or Gemm node must run at that precision, its products on
tensor cores; with --tensor-cores fp32, every such kernel must keep all its
products on the CUDA cores. Prints one line per target with the
number of kernels checked, or every offending kernel (and exits 1).
"""

import argparse
import collections
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--targets", required=True)
    parser.add_argument("--tensor-cores", nargs="?", const="tf32", default=None,
                        choices=["tf32", "fp16", "bf16", "fp32"])
    args = parser.parse_args()
    targets = args.targets.split(",")
    with open(args.report) as f:
        entries = json.load(f)["kernels"]

    kernels = collections.defaultdict(list)
    problems = []
    products = 0
    for entry in entries:
        kernels[entry["kernel"]].append(entry["target"])
        if args.tensor_cores and any(op.endswith(("(MatMul)", "(Gemm)"))
                                     for op in entry["ops"]):
            products += 1
            if entry["precision"] != args.tensor_cores:
                problems.append(f"{entry['kernel']} {entry['target']}: "
                                f"products at {entry['precision']}")
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
    if args.tensor_cores == "fp32":
        print(f"{products} kernels with products, all on the CUDA cores")
    elif args.tensor_cores:
        print(f"{products} kernels with products, all on tensor cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
