#!/usr/bin/env python3
"""Make the seed corpora of the fuzz targets (fuzz/corpus/<target>/).

    .venv/bin/python fuzz/make_corpus.py --build build [--out fuzz/corpus]

The seeds are small valid files, plus a few near-misses, from what the project
already has:
  onnx-import   the models of the ONNX node tests Meld passes
                (test/ONNXNode/manifest.txt, from libonnx-testdata), the test
                models written in ONNX text (test/**/*.onnxtxt and the models
                in test/Import/ONNX/*.test), and models whose initializers are
                external data in the fuzz target's scratch folder ("data.bin",
                "sub/w.bin"; see onnx-import.cpp)
  const-tensor, tensor-file
                .npy files of every dtype the readers take (format 1, 2, 3,
                scalar, empty, Fortran order, big-endian) and TensorProto files
                (raw and typed data, the node tests' input_0.pb of a few cases)
  artifact      the runtime test model written by meld-runtime-test-gen
                (embedded and external weights, each also with a host plan
                whose panels the runtime packs)
  safetensors   small safetensors files of every dtype, with metadata and
                unaligned data
The result is a few hundred KB; rerun this script when the formats change and
commit what changes.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "lib"))
import onnx_from_text  # noqa: E402
from safetensors_io import serialize  # noqa: E402

NODE_DATA = "/usr/share/libonnx-testdata/data/node"


def put(out, target, name, data):
    path = os.path.join(out, target, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def manifest_cases():
    cases = []
    with open(os.path.join(ROOT, "test", "ONNXNode", "manifest.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                cases.append(line)
    return cases


def text_models():
    """(name, ONNX text) of the test models written in ONNX text."""
    found = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, "test")):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            if name.endswith(".onnxtxt") or (
                    name.endswith(".test") and "Import" in dirpath):
                text = open(path).read()
                body = onnx_from_text._strip_comments(text)
                if "=>" in body:
                    found.append((os.path.splitext(name)[0], text))
    return found


def external_models():
    """Models whose initializers are external data in the fuzz folder."""
    models = []
    for location, offset, shape in [("data.bin", 0, [4, 4]),
                                    ("data.bin", 128, [8]),
                                    ("sub/w.bin", 0, [2, 8])]:
        w = TensorProto()
        w.name = "w"
        w.data_type = TensorProto.FLOAT
        w.dims.extend(shape)
        w.data_location = TensorProto.EXTERNAL
        for key, value in [("location", location), ("offset", str(offset)),
                           ("length", str(4 * int(np.prod(shape))))]:
            entry = w.external_data.add()
            entry.key, entry.value = key, value
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)
        graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])],
                                  "ext", [x], [y], [w])
        model = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        models.append((f"external-{location.replace('/', '-')}-{offset}",
                       model.SerializeToString()))
    return models


def npy_bytes(array, version=None, fortran=False):
    import io
    buf = io.BytesIO()
    if version is None:
        np.lib.format.write_array(buf, np.asfortranarray(array) if fortran
                                  else array, allow_pickle=False)
    else:
        np.lib.format.write_array(buf, array, version=version,
                                  allow_pickle=False)
    return buf.getvalue()


def tensor_files():
    rng = np.random.default_rng(0)
    files = []
    arrays = {
        "f4": rng.standard_normal((3, 5)).astype(np.float32),
        "f8": rng.standard_normal((2, 3)),
        "f2": rng.standard_normal((4,)).astype(np.float16),
        "i8": np.arange(6, dtype=np.int64).reshape(2, 3),
        "i4": np.arange(-3, 3, dtype=np.int32),
        "i1": np.arange(-4, 4, dtype=np.int8),
        "u1": np.arange(8, dtype=np.uint8),
        "b1": np.array([True, False, True]),
        "scalar": np.array(1.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    }
    for name, array in arrays.items():
        files.append((f"{name}.npy", npy_bytes(array)))
        proto = numpy_helper.from_array(array, name)
        files.append((f"{name}.pb", proto.SerializeToString()))
    files.append(("f4-v2.npy", npy_bytes(arrays["f4"], version=(2, 0))))
    files.append(("f4-v3.npy", npy_bytes(arrays["f4"], version=(3, 0))))
    files.append(("f4-fortran.npy", npy_bytes(arrays["f4"], fortran=True)))
    files.append(("f4-bigendian.npy",
                  npy_bytes(arrays["f4"].astype(">f4"))))
    typed = helper.make_tensor("typed", TensorProto.FLOAT, [2, 2],
                               [1.0, 2.0, 3.0, 4.0])
    files.append(("typed-float.pb", typed.SerializeToString()))
    typed = helper.make_tensor("typed", TensorProto.INT64, [3], [1, -2, 3])
    files.append(("typed-int64.pb", typed.SerializeToString()))
    for case in ["test_add", "test_gather_0", "test_reshape_reduced_dims"]:
        path = os.path.join(NODE_DATA, case, "test_data_set_0", "input_0.pb")
        if os.path.exists(path):
            files.append((f"{case}-input_0.pb", open(path, "rb").read()))
    return files


def safetensors_files():
    rng = np.random.default_rng(1)
    tensors = [("w", rng.standard_normal((3, 4)).astype(np.float32)),
               ("b", np.arange(4, dtype=np.int64)),
               ("h", rng.standard_normal((2,)).astype(np.float16)),
               ("m", np.array([True, False])),
               ("u", np.arange(5, dtype=np.uint8)),
               ("i", np.arange(3, dtype=np.int32)),
               ("d", rng.standard_normal((2, 2)))]
    return [("all-dtypes.safetensors", serialize(tensors)),
            ("unaligned.safetensors", serialize(tensors[:2],
                                                data_start_mod64=3)),
            ("no-metadata.safetensors", serialize(tensors[:1],
                                                  metadata=False)),
            ("empty.safetensors", serialize([]))]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus"))
    args = parser.parse_args(argv)

    for case in manifest_cases():
        path = os.path.join(NODE_DATA, case, "model.onnx")
        if os.path.exists(path):
            put(args.out, "onnx-import", f"node-{case}.onnx",
                open(path, "rb").read())
    for name, text in text_models():
        try:
            model = onnx_from_text.parse_text(text)
        except Exception:  # a test of the parser's own errors
            continue
        put(args.out, "onnx-import", f"text-{name}.onnx",
            model.SerializeToString())
    for name, data in external_models():
        put(args.out, "onnx-import", f"{name}.onnx", data)

    for name, data in tensor_files():
        put(args.out, "const-tensor", name, data)
        put(args.out, "tensor-file", name, data)

    for name, data in safetensors_files():
        put(args.out, "safetensors", name, data)

    gen = os.path.join(args.build, "bin", "meld-runtime-test-gen")
    tmp = os.path.join(args.build, "fuzz-corpus-tmp")
    os.makedirs(tmp, exist_ok=True)
    for variant in ["good", "external-weights", "host-plan", "host-plan-external"]:
        path = os.path.join(tmp, f"{variant}.meld")
        subprocess.run([gen, "model", path, variant], check=True)
        put(args.out, "artifact", f"{variant}.meld", open(path, "rb").read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
