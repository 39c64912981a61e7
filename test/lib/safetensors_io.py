"""Safetensors files written with numpy alone (the safetensors package is not
needed): an 8-byte little-endian header size, the JSON header, the data.

    from safetensors_io import read_safetensors, write_safetensors
    write_safetensors("w.safetensors", [("name", array), ...])
    tensors = read_safetensors("model.safetensors")   # {name: array}

Used by the end-to-end tests of external weights (run_e2e.py --weights-external),
by the runtime's tests (test/Runtime/Inputs/make_safetensors.py) and to attach a real
checkpoint's weights to a committed graph (attach_weights.py).
"""

import json
import struct

import numpy as np

DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
          np.dtype(np.float64): "F64", np.dtype(np.uint8): "U8",
          np.dtype(np.int64): "I64", np.dtype(np.int32): "I32",
          np.dtype(np.bool_): "BOOL"}


NUMPY_DTYPES = {name: dtype for dtype, name in DTYPES.items()}


def dtype_name(array):
    return DTYPES[array.dtype]


def serialize(tensors, data_start_mod64=0, metadata=True, header_json=None,
              offsets_override=None):
    """Returns the bytes of a safetensors file holding `tensors` (a list of
    (name, array)). The header is padded with spaces so the data section
    starts at an offset congruent to `data_start_mod64` modulo 64."""
    header = {}
    if metadata:
        header["__metadata__"] = {"format": "pt", "note": "caf\u00e9 \"q\""}
    data = b""
    for name, array in tensors:
        raw = np.ascontiguousarray(array).tobytes()
        # Each tensor starts 64-aligned within the data section.
        data += b"\0" * (-len(data) % 64)
        offsets = [len(data), len(data) + len(raw)]
        if offsets_override and name in offsets_override:
            offsets = offsets_override[name]
        header[name] = {"dtype": dtype_name(array),
                        "shape": list(array.shape), "data_offsets": offsets}
        data += raw
    text = header_json if header_json is not None else json.dumps(header)
    text = text.encode("utf-8")
    pad = (data_start_mod64 - (8 + len(text))) % 64
    text += b" " * pad
    return struct.pack("<Q", len(text)) + text + data



def write_safetensors(path, tensors):
    """Writes `tensors` (a list of (name, array)) to `path`, each tensor 64-byte
    aligned in the file."""
    with open(path, "wb") as f:
        f.write(serialize(tensors, metadata=False))


def read_safetensors(path):
    """{name: array} of the tensors of a safetensors file (read-only views of its bytes;
    dtypes of DTYPES only)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than its header size)")
    (size,) = struct.unpack("<Q", blob[:8])
    if 8 + size > len(blob):
        raise ValueError(f"{path}: header of {size} bytes runs past the end of the file")
    header = json.loads(blob[8:8 + size])
    data = memoryview(blob)[8 + size:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in NUMPY_DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {info['dtype']}, which "
                             f"this reader does not take")
        begin, end = info["data_offsets"]
        dtype = np.dtype(NUMPY_DTYPES[info["dtype"]])
        count = int(np.prod(info["shape"], dtype=np.int64))
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor '{name}' has bad data offsets {begin}..{end}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"])
    return tensors
