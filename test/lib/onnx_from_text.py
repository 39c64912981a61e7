#!/usr/bin/env python3
"""Turn ONNX textual syntax into a binary .onnx model file.

Used by importer lit tests so that their inputs stay readable in the tree:

    // RUN: %python -m onnx_from_text %S/Inputs/add.onnxtxt -o %t.onnx
    // RUN: meldc %t.onnx --emit import | FileCheck %s

The input is either a whole model (it starts with `<` and carries `ir_version` and
`opset_import`) or a bare graph (`name (float[2] x) => (float[2] y) { ... }`), which is
wrapped in a model with the default-domain opset from `--opset` (default 17). Lines whose
first non-blank characters are `#` or `//` are dropped, so a `.onnxtxt` file can hold
comments (and lit RUN lines). Node names are written `[name] out = Op(in)`; initializers
as `<float[2] w = {1.0, 2.0}>` after the graph signature.

Options:
  -o FILE                 output path (required)
  --opset N               default-domain opset; overrides the model's own when given
  --domain-opset D=N      opset for another domain (repeatable), e.g. com.acme=1
  --ir-version N          IR version to stamp on the model
  --external NAME         store initializer NAME's bytes in an external data file
                          (repeatable); `--external-all` does it for every initializer
  --location FILE         external data file name, relative to the model's folder
                          (default: <output file name>.data)
  --check                 run onnx.checker on the result (off by default: tests build
                          invalid models on purpose)
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper
import onnx.parser


def _strip_comments(text):
    kept = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#") or stripped.startswith("//"):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def parse_text(text, opset=None, ir_version=None, domain_opsets=None):
    """Parse ONNX textual syntax (model or bare graph) into a ModelProto."""
    text = _strip_comments(text)
    domain_opsets = dict(domain_opsets or {})
    if text.lstrip().startswith("<"):
        model = onnx.parser.parse_model(text)
    else:
        graph = onnx.parser.parse_graph(text)
        imports = [onnx.helper.make_opsetid("", opset if opset is not None else 17)]
        # Any domain used by a node gets opset 1 unless told otherwise.
        for node in graph.node:
            if node.domain not in ("", "ai.onnx") and node.domain not in domain_opsets:
                domain_opsets[node.domain] = 1
        model = onnx.helper.make_model(graph, opset_imports=imports,
                                       producer_name="onnx_from_text")
        # make_model stamps the newest IR version, which onnxruntime may not read yet.
        model.ir_version = 8
    if opset is not None:
        _set_opset(model, "", opset)
    for domain, version in domain_opsets.items():
        _set_opset(model, domain, version)
    if ir_version is not None:
        model.ir_version = ir_version
    elif model.ir_version == 0:
        model.ir_version = 8
    return model


def _set_opset(model, domain, version):
    for imp in model.opset_import:
        if imp.domain == domain or (domain == "" and imp.domain == "ai.onnx"):
            imp.version = version
            return
    model.opset_import.append(onnx.helper.make_opsetid(domain, version))


def externalize(model, names, location, model_dir):
    """Move the bytes of the named initializers into `location` (next to the model).

    Each tensor gets `data_location = EXTERNAL` and `location`/`offset`/`length` entries;
    offsets are aligned to 64 bytes. Raises KeyError for an unknown name.
    """
    by_name = {t.name: t for t in model.graph.initializer}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise KeyError("no initializer named " + ", ".join(repr(n) for n in missing))
    path = os.path.join(model_dir, location)
    with open(path, "wb") as f:
        for name in names:
            tensor = by_name[name]
            array = onnx.numpy_helper.to_array(tensor)
            data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
            pad = (-f.tell()) % 64
            f.write(b"\0" * pad)
            offset = f.tell()
            f.write(data)
            new = onnx.numpy_helper.from_array(array, name)
            tensor.Clear()
            tensor.CopyFrom(new)
            tensor.ClearField("raw_data")
            tensor.data_location = onnx.TensorProto.EXTERNAL
            for key, value in (("location", location), ("offset", str(offset)),
                               ("length", str(len(data)))):
                entry = tensor.external_data.add()
                entry.key = key
                entry.value = value


def main(argv=None):
    ap = argparse.ArgumentParser(prog="onnx_from_text", description=__doc__.split("\n")[0])
    ap.add_argument("input", help="ONNX text file ('-' for stdin)")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--opset", type=int)
    ap.add_argument("--domain-opset", action="append", default=[], metavar="DOMAIN=N")
    ap.add_argument("--ir-version", type=int)
    ap.add_argument("--external", action="append", default=[], metavar="NAME")
    ap.add_argument("--external-all", action="store_true")
    ap.add_argument("--location")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)

    text = sys.stdin.read() if args.input == "-" else open(args.input).read()
    domain_opsets = {}
    for item in args.domain_opset:
        domain, _, version = item.partition("=")
        domain_opsets[domain] = int(version)
    try:
        model = parse_text(text, args.opset, args.ir_version, domain_opsets)
    except Exception as e:  # onnx.parser raises a bare Exception with the position
        msg = e.args[0] if e.args else str(e)
        if isinstance(msg, bytes):
            msg = msg.decode("utf-8", "replace")
        msg = " ".join(msg.split())
        print(f"onnx_from_text: error: {args.input}: {msg}", file=sys.stderr)
        return 1

    names = list(args.external)
    if args.external_all:
        names = [t.name for t in model.graph.initializer]
    if names:
        location = args.location or os.path.basename(args.output) + ".data"
        try:
            externalize(model, names, location, os.path.dirname(os.path.abspath(args.output)))
        except KeyError as e:
            print(f"onnx_from_text: error: {e.args[0]}", file=sys.stderr)
            return 1
    if args.check:
        onnx.checker.check_model(model, full_check=True)
    with open(args.output, "wb") as f:
        f.write(model.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
