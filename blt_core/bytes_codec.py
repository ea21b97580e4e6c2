"""Bytes <-> model ids, and text/bytes normalisation of user input.

>>> encode_bytes(b"Hi").tolist()
[76, 109]
>>> decode_ids([76, 109, 2])
b'Hi'
"""

from __future__ import annotations

import numpy as np

from blt_core.constants import OFFSET


def to_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    """Text is encoded as UTF-8; bytes pass through unchanged: "é" -> b"\\xc3\\xa9"."""
    if isinstance(data, str):
        return data.encode("utf-8", errors="surrogateescape")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"expected bytes or str, got {type(data).__name__}")


def encode_bytes(data: bytes) -> np.ndarray:
    """Byte values -> int64 ids (b + 4): b"A" -> [69]."""
    return np.frombuffer(data, dtype=np.uint8).astype(np.int64) + OFFSET


def decode_ids(ids) -> bytes:
    """Ids -> bytes, dropping special ids (< 4): [69, 2] -> b"A"."""
    arr = np.asarray(ids, dtype=np.int64)
    return (arr[arr >= OFFSET] - OFFSET).astype(np.uint8).tobytes()
