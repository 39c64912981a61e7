"""Writes safetensors files for the runtime's external-weights tests.

    python make_safetensors.py DIR

Safetensors written by hand (numpy only; the safetensors package is not
needed): an 8-byte little-endian header size, the JSON header, the data. The
weights are those of meld-runtime-test-gen's model (runtime/test/kernels.c):
w: f32[5] = 0.5 * (c + 1), unused: u8[100]. Every file but `good.safetensors`
and `unaligned.safetensors` is wrong in one way, named by its file name.
"""

import json
import os
import struct
import sys

import numpy as np

from safetensors_io import serialize


def w_values():
    return (0.5 * (np.arange(5, dtype=np.float32) + 1)).astype(np.float32)


def unused_values():
    return np.arange(100, dtype=np.uint8)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    w, unused = w_values(), unused_values()
    extra = np.ones((2, 3), dtype=np.float32)
    good = [("unused", unused), ("w", w), ("not.in.the.model", extra)]
    files = {
        # In place (tensors 64-aligned in the file) and copied (not aligned).
        "good": serialize(good),
        "unaligned": serialize(good, data_start_mod64=4),
        "missing": serialize([("unused", unused)]),
        "shape": serialize([("unused", unused), ("w", w.reshape(1, 5))]),
        "dtype": serialize([("unused", unused), ("w", w.astype(np.float16))]),
        "size-mismatch": serialize(good, offsets_override={"w": [128, 144]}),
        "bad-json": serialize(
            good, header_json='{"w": {"dtype": "F32", "shape": [5], '
                              '"data_offsets": [0, 20]}'),
        "bad-escape": serialize(good, header_json='{"w\\x": {}}'),
        "float-offsets": serialize(
            good, header_json='{"w": {"dtype": "F32", "shape": [5], '
                              '"data_offsets": [0.0, 20]}}'),
        "not-object": serialize(good, header_json='[1, 2, 3]'),
        "no-dtype": serialize(
            good, header_json='{"w": {"shape": [5], "data_offsets": [0, 20]}}'),
        "duplicate": serialize(
            good, header_json='{"w": {"dtype": "F32", "shape": [5], '
                              '"data_offsets": [0, 20]}, "w": {"dtype": '
                              '"F32", "shape": [5], "data_offsets": [0, 20]}}'),
        # For the "baked" artifact, whose kernels hold eps = 0.25.
        "eps-same": serialize(good + [("eps", np.array(0.25, np.float32))]),
        "eps-changed": serialize(good + [("eps", np.array(0.5, np.float32))]),
        "eps-shape": serialize(good + [("eps", np.array([0.25], np.float32))]),
        "tiny": b"\x05\x00\x00",
        "header-too-long": struct.pack("<Q", 1000) + b"{}",
    }
    full = files["good"]
    files["truncated"] = full[:-10]
    for name, content in files.items():
        with open(os.path.join(out, name + ".safetensors"), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    main()
