"""Read a safetensors file into numpy arrays, without torch or the safetensors package.

The ONNX prefill graph takes the generator's weights as inputs (so they are not stored twice
in assets/); the torch-free path reads them from the card's sha256-checked safetensors file.
The format: an 8-byte little-endian header length, a JSON header {name: {dtype, shape,
data_offsets}}, then the raw little-endian tensors.

>>> import tempfile, json, os
>>> head = json.dumps({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}).encode()
>>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
>>> _ = open(path, "wb").write(len(head).to_bytes(8, "little") + head + np.array([1, 2], "<f2").tobytes())
>>> read_safetensors(path)["w"].tolist()
[1.0, 2.0]
"""

from __future__ import annotations

import json
import os

import numpy as np

DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """{name: float32 array} (integer tensors keep their type); ValueError on a foreign file."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    if len(raw) < 8 or n > len(raw) - 8:
        raise ValueError(f"{os.path.basename(path)} is not a safetensors file")
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if e["dtype"] not in DTYPES:
            raise ValueError(f"{name}: unsupported dtype {e['dtype']}")
        a, b = e["data_offsets"]
        arr = np.frombuffer(raw, dtype=DTYPES[e["dtype"]], count=(b - a) // np.dtype(DTYPES[e["dtype"]]).itemsize,
                            offset=8 + n + a).reshape(e["shape"])
        out[name] = arr.astype(np.float32) if arr.dtype.kind == "f" else arr.copy()
    return out
