#!/usr/bin/env python3
"""Export the fixture blocks at every opset, with symbolic batch and sequence axes.

    scripts/gen-fixtures.sh opsets          # or, with torch importable:
    python test/E2E/opsets/generate.py [--out DIR] [--opset N ...] [--exporter E ...]

The shape subgraphs that exporters write differ with the opset (Squeeze, Unsqueeze,
Split, ReduceMean and Slice take their axes or sizes as attributes before opset 13 and
18 and as inputs after; Reshape, Expand, Range, Trilu ...) and with the exporter. Each of
the GPT-2, BERT and Llama blocks of test/E2E/fixtures/generate.py (small sizes here:
hidden 24, sequence 11) is exported by the TorchScript exporter (dynamo=False) at opsets
13 to 20, its whole range from 13 (the Llama block from 14: torch.triu needs Trilu), and
by the dynamo exporter (dynamo=True) at opsets 18 to 22 (it exports at 18 and above;
for a lower opset it tries onnx's version converter, which fails on these graphs and
leaves the export at 18), with `batch` and `seq` left symbolic: meldc must
fold every shape subgraph once `--shape batch=2 --shape seq=11` fixes them.

Files: BLOCK.EXPORTER.opsetN.onnx, and inputs/BLOCK/<input>.npy. Every export is
checked here against torch with onnxruntime, at the example's shapes and at another
(batch 3, sequence 7), so the symbolic axes are truly symbolic.
"""

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import generate as fixtures  # noqa: E402

HIDDEN, SEQ, MAX_POS, BATCH = 24, 11, 16, 2
OPSETS = {"torchscript": range(13, 21), "dynamo": range(18, 23)}
FIRST_OPSET = {("llama_block", "torchscript"): 14}  # aten::triu exports as Trilu (opset 14)


def blocks():
    """name -> (module, example inputs, input names)."""
    g = torch.Generator().manual_seed(7)
    mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
    mask[1, 8:] = 0  # the second sequence is padded
    return {
        "gpt2_block": (fixtures.GPT2Block(hidden=HIDDEN, heads=3, inner=40, max_pos=MAX_POS),
                       (torch.randn(BATCH, SEQ, HIDDEN, generator=g),), ["hidden_states"]),
        "bert_layer": (fixtures.BertLayer(hidden=HIDDEN, heads=3, inner=40),
                       (torch.randn(BATCH, SEQ, HIDDEN, generator=g), mask),
                       ["hidden_states", "attention_mask"]),
        "llama_block": (fixtures.LlamaBlock(hidden=HIDDEN, heads=6, kv_heads=2, inner=40,
                                            seq=MAX_POS),
                        (torch.randn(BATCH, SEQ, HIDDEN, generator=g),), ["hidden_states"]),
    }


def other_shape(args):
    """The example inputs at batch 3, sequence 7."""
    g = torch.Generator().manual_seed(8)
    out = []
    for a in args:
        if a.dtype == torch.int64:
            m = torch.ones(3, 7, dtype=torch.int64)
            m[2, 5:] = 0
            out.append(m)
        else:
            out.append(torch.randn(3, 7, *a.shape[2:], generator=g))
    return tuple(out)


def export(module, args, input_names, exporter, opset, path):
    if exporter == "torchscript":
        axes = {n: {0: "batch", 1: "seq"} for n in input_names + ["output"]}
        torch.onnx.export(module, args, path, input_names=input_names, output_names=["output"],
                          opset_version=opset, dynamo=False, do_constant_folding=True,
                          dynamic_axes=axes)
    else:
        batch = torch.export.Dim("batch", min=1, max=8)
        seq = torch.export.Dim("seq", min=2, max=MAX_POS)
        shapes = tuple({0: batch, 1: seq} for _ in input_names)
        program = torch.onnx.export(module, args, input_names=input_names,
                                    output_names=["output"], opset_version=opset,
                                    dynamo=True, optimize=True, dynamic_shapes=shapes)
        program.save(path)
    fixtures.strip_metadata(path)


def check(path, module, args, input_names):
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    onnx.checker.check_model(model)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    for a in (args, other_shape(args)):
        got = sess.run(None, {n: t.numpy() for n, t in zip(input_names, a)})[0]
        with torch.no_grad():
            want = module(*a).numpy().astype(np.float64)
        if len(a) == 2:  # padded positions are don't-cares
            valid = a[1].numpy().astype(bool)
            got, want = got[valid], want[valid]
        err = np.linalg.norm(got - want) / np.linalg.norm(want)
        assert err < 1e-5, f"{path}: differs from torch at {tuple(a[0].shape)}: {err}"
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    print(f"{os.path.basename(path)}: opset {model.opset_import[0].version}, "
          f"{len(model.graph.node)} nodes, input dims {dims}, "
          f"{os.path.getsize(path) / 1e3:.0f} KB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--opset", type=int, action="append", help="an opset (repeatable)")
    ap.add_argument("--exporter", action="append", choices=list(OPSETS),
                    help="an exporter (repeatable; default: both)")
    ap.add_argument("--only", action="append", help="a block (repeatable)")
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    for i, (name, (module, args, input_names)) in enumerate(blocks().items()):
        if a.only and name not in a.only:
            continue
        module.eval()
        fixtures.randomize(module, seed=200 + i)
        os.makedirs(os.path.join(a.out, "inputs", name), exist_ok=True)
        for n, t in zip(input_names, args):
            np.save(os.path.join(a.out, "inputs", name, n + ".npy"), t.numpy())
        for exporter in a.exporter or list(OPSETS):
            first = FIRST_OPSET.get((name, exporter), 0)
            for opset in [o for o in a.opset or OPSETS[exporter] if o >= first]:
                path = os.path.join(a.out, f"{name}.{exporter}.opset{opset}.onnx")
                export(module, args, input_names, exporter, opset, path)
                check(path, module, args, input_names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
