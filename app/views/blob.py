"""One binary blob for a component: a little-endian uint32 header length, a JSON header, then
arrays at 4-byte-aligned offsets that the header names ([offset, length] relative to the body).

Components receive bytes untouched (no JSON number lists), and Streamlit's message cache sends an
identical blob only once. Arrays go float32 first, then int32/int16, then uint8, so every offset
stays aligned to its element size.

>>> blob = pack({"n": 2}, {"x": np.array([1.5, 2.5], np.float32), "b": np.frombuffer(b"hi", np.uint8)})
>>> head = header(blob); head["n"], head["arrays"]
(2, {'x': [0, 2], 'b': [8, 2]})
"""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np


def pack(head: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """`head` plus the arrays' layout and an id (a hash of the body), then the arrays' bytes."""
    layout, offset = {}, 0
    for name, arr in arrays.items():
        layout[name] = [offset, int(arr.size)]
        offset += arr.nbytes
    body = b"".join(np.ascontiguousarray(arr).tobytes() for arr in arrays.values())
    text = json.dumps({**head, "arrays": layout, "id": hashlib.sha256(body).hexdigest()[:16]}).encode()
    text += b" " * (-(len(text) + 4) % 4)  # the body starts 4-byte aligned
    return struct.pack("<I", len(text)) + text + body


def header(blob: bytes) -> dict:
    """The JSON header of a blob made by `pack`."""
    n = int.from_bytes(blob[:4], "little")
    return json.loads(blob[4:4 + n])
