"""Checks every kernel of a `meldc --report=json` report.

Usage: check_report.py REPORT.json --targets sm_80,sm_90a [--tensor-cores [PRECISION]]
                       [--ptx TARGET=FILE ...]

Every kernel must appear once for every target, with no spill stores, no
spill loads and no stack frame. With --tensor-cores PRECISION (a compile
with --precision PRECISION: tf32, the default, fp16 or bf16), every kernel
computing a MatMul or Gemm node must run at that precision, its products on
tensor cores; with --tensor-cores fp32, every such kernel must keep all its
products on the CUDA cores. With --ptx TARGET=FILE (`meldc --emit ptx
--target TARGET`), each such kernel's PTX must hold the tensor-core
instruction of TARGET: wgmma.mma_async on sm_90a, mma.sync elsewhere (and
neither at fp32). Prints one line per target with the number of kernels
checked, or every offending kernel (and exits 1).
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
    parser.add_argument("--ptx", action="append", default=[])
    args = parser.parse_args()
    targets = args.targets.split(",")
    # Each kernel's PTX (its .entry to the next), per target.
    ptx = {}
    for spec in args.ptx:
        target, path = spec.split("=", 1)
        bodies, name = {}, None
        with open(path) as f:
            for line in f:
                if ".entry " in line:
                    name = line.split(".entry ")[1].split("(")[0].strip()
                    bodies[name] = []
                elif name:
                    bodies[name].append(line)
        ptx[target] = {k: "".join(v) for k, v in bodies.items()}
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
            if entry["target"] in ptx:
                body = ptx[entry["target"]].get(entry["kernel"])
                instruction = ("wgmma.mma_async" if entry["target"] == "sm_90a"
                               else "mma.sync.aligned")
                if body is None:
                    problems.append(f"{entry['kernel']} {entry['target']}: "
                                    f"not in the PTX")
                elif args.tensor_cores == "fp32":
                    if "mma.sync" in body or "wgmma" in body:
                        problems.append(f"{entry['kernel']} {entry['target']}: "
                                        f"tensor-core instructions at fp32")
                elif instruction not in body:
                    problems.append(f"{entry['kernel']} {entry['target']}: "
                                    f"no {instruction} in its PTX")
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
    for target in ptx:
        print(f"{target}: every product kernel's PTX holds "
              + ("no tensor-core instruction" if args.tensor_cores == "fp32"
                 else "wgmma.mma_async" if target == "sm_90a"
                 else "mma.sync"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
