"""Only some tensors of a safetensors file, read through an open (guarded) file object.

A transformers-converted BLT keeps its small entropy model (the patcher) beside gigabytes of
generator weights, often in the same shard, so the reader parses the header and reads just the
byte ranges of the tensors asked for: the bytes read stay bounded by what is loaded, and no path
is handed to a library that would open it unchecked. The format is an 8-byte little-endian
header length, a JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]}}, then data.

>>> import io, struct, json
>>> head = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
>>> f = io.BytesIO(struct.pack("<Q", len(head)) + head + struct.pack("<2f", 1.5, -2.0))
>>> header, start = read_header(f, "m.safetensors")
>>> read_tensors(f, header, start, ["w"], "m.safetensors")["w"].tolist()
[1.5, -2.0]
"""

from __future__ import annotations

import json
import math

import torch

from blt_core.checkpoints import WeightsError

MAX_HEADER_BYTES = 100 << 20  # the safetensors library's own limit on the JSON header
DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}


def read_header(f, name: str) -> tuple[dict, int]:
    """({tensor name: entry}, offset where the data starts); WeightsError when `f` is no safetensors file."""
    raw = f.read(8)
    size = int.from_bytes(raw, "little") if len(raw) == 8 else -1
    if not 2 <= size <= MAX_HEADER_BYTES:
        raise WeightsError(f"{name} is not a safetensors file (no valid header)")
    try:
        header = json.loads(f.read(size))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeightsError(f"{name} is not a safetensors file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise WeightsError(f"{name} is not a safetensors file (its header is not a JSON object)")
    header.pop("__metadata__", None)
    return header, 8 + size


def _entry(entry, key: str, name: str) -> tuple[torch.dtype, list[int], int, int]:
    """(dtype, shape, begin, nbytes) of one header entry, checked against itself."""
    try:
        dtype, shape, (begin, end) = DTYPES[entry["dtype"]], [int(d) for d in entry["shape"]], entry["data_offsets"]
    except (KeyError, TypeError, ValueError):
        raise WeightsError(f"{name}: tensor {key} has an unsupported dtype or a malformed entry") from None
    nbytes = math.prod(shape) * dtype.itemsize
    if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin and end - begin == nbytes):
        raise WeightsError(f"{name}: tensor {key}'s offsets do not match its shape")
    return dtype, shape, begin, nbytes


def _tensor(f, entry, start: int, key: str, name: str) -> torch.Tensor:
    dtype, shape, begin, nbytes = _entry(entry, key, name)
    if nbytes == 0:
        return torch.empty(shape, dtype=dtype)
    buf = bytearray(nbytes)
    f.seek(start + begin)
    if f.readinto(buf) != nbytes:
        raise WeightsError(f"{name} is truncated: tensor {key} ends past the end of the file")
    return torch.frombuffer(buf, dtype=dtype).reshape(shape)


def read_tensors(f, header: dict, start: int, keys, name: str, *, max_bytes: int | None = None) -> dict[str, torch.Tensor]:
    """{key: tensor} for each of `keys` (names in `header`), reading only their bytes.

    With max_bytes, tensors that take more in all are refused before any memory is set aside.
    """
    total = sum(_entry(header[k], k, name)[3] for k in keys)
    if max_bytes is not None and total > max_bytes:
        raise WeightsError(f"file too large: {name}'s tensors to read take {total:,} bytes; "
                           f"the cap is {max_bytes:,} bytes")
    return {k: _tensor(f, header[k], start, k, name) for k in keys}
