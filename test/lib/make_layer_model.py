#!/usr/bin/env python3
"""Write one of bench/gpu's layer graphs at chosen sizes, with its weights.

Usage: make_layer_model.py gpt2|llama --seq S --hidden H --heads N [--kv-heads K]
                           [--inner I] [--seed S] -o OUT.onnx

The graph is bench/gpu/graphs.py's (as the benchmark compiles it: external data,
exporter-style shape subgraphs, a causal mask buffer), its weights filled as the
benchmark's run step fills them (bench/gpu/run.py: seeded normal values, ones, the
masks and the rotary tables) into OUT.onnx.data. So a test runs the benchmark's
graph at sizes the emulator finishes in seconds.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "bench", "gpu")
sys.path.insert(0, BENCH)

import graphs  # noqa: E402
import run  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("arch", choices=sorted(graphs.BUILDERS))
    ap.add_argument("--seq", type=int, required=True)
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--kv-heads", type=int)
    ap.add_argument("--inner", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", required=True)
    args = ap.parse_args()
    cfg = {"arch": args.arch, "size": "test", "batch": 1, "seq": args.seq,
           "hidden": args.hidden, "heads": args.heads,
           "kv_heads": args.kv_heads or args.heads,
           "inner": args.inner or 2 * args.hidden,
           "about": f"the {args.arch} layer at the sizes of a test"}
    out_dir, file_name = os.path.split(os.path.abspath(args.o))
    name = file_name[:-len(".onnx")] if file_name.endswith(".onnx") else file_name
    path, entry = graphs.write_model(name, cfg, out_dir)
    tensors = {w["name"]: run.make_tensor(w, cfg, args.seed, w["name"])
               for w in entry["weights"]}
    run.write_onnx_data(os.path.join(out_dir, entry["onnx_data"]),
                        entry["onnx_data_bytes"], entry, tensors)
    if path != os.path.abspath(args.o):
        os.replace(path, args.o)
    return 0


if __name__ == "__main__":
    sys.exit(main())
