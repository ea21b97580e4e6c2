"""Bytes <-> model ids, text/bytes normalisation of user input, and the one renderer of bytes as text.

>>> encode_bytes(b"Hi").tolist()
[76, 109]
>>> decode_ids([76, 109, 2])
b'Hi'
>>> render_bytes(b"a\\tb \\xc3\\xa9\\xff")
'a\\\\x09b é\\\\xff'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from blt_core.constants import OFFSET


def to_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    """Text is encoded as UTF-8; bytes pass through unchanged: "é" -> b"\\xc3\\xa9".

    Every public function that takes text coerces it here, so every one gives the same message.
    Lone surrogates U+DC80..U+DCFF are the bytes that surrogateescape decoding kept (undecodable
    file names, argv), so they turn back into those bytes; any other lone surrogate stands for
    no bytes at all and is refused:

    >>> to_bytes("a\\udcffb")
    b'a\\xffb'
    >>> to_bytes("a\\ud800b")
    Traceback (most recent call last):
    ValueError: text holds a lone surrogate U+D800 at index 1: it has no UTF-8 bytes (only U+DC80..U+DCFF stand for bytes)
    """
    if isinstance(data, str):
        try:
            return data.encode("utf-8", errors="surrogateescape")
        except UnicodeEncodeError as e:  # the only way UTF-8 encoding fails: a surrogate outside DC80..DCFF
            raise ValueError(f"text holds a lone surrogate U+{ord(data[e.start]):04X} at index {e.start}: it has no "
                             "UTF-8 bytes (only U+DC80..U+DCFF stand for bytes)") from None
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


# Format characters that would reorder or hide text around them (bidi overrides, zero-width
# space) are named; ZWJ (U+200D) stays, since emoji sequences need it.
_KEEP_FORMAT = {"\u200d"}
_INVISIBLE = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}


@dataclass(frozen=True)
class Unit:
    """One UTF-8 character, or one byte that is not valid UTF-8 where it stands."""

    start: int  # byte offset of the first byte
    length: int  # bytes in the unit (1..4)
    text: str  # what to show, not yet HTML-escaped
    kind: str  # 'char', 'space', 'control' or 'invalid'

    @property
    def end(self) -> int:
        return self.start + self.length


def _render_char(ch: str, glyphs: Mapping[str, str]) -> tuple[str, str]:
    """One character decoded with surrogateescape -> (text to show, kind)."""
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # an undecodable byte smuggled through by surrogateescape
        return f"\\x{cp - 0xDC00:02x}", "invalid"
    if ch in glyphs:
        return glyphs[ch], "space"
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}", "control"
    if ch == " ":
        return ch, "char"
    cat = unicodedata.category(ch)
    # \u / \U, never \x, so a named character cannot be mistaken for a raw byte
    named = f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"
    if cat in _INVISIBLE or (cat == "Cf" and ch not in _KEEP_FORMAT):
        return named, "control"
    if cat == "Zs":  # no-break space and friends look like nothing: name them
        return named, "space"
    return ch, "char"


def _lead(data: bytes, lo: int) -> int:
    """Back up from `lo` over at most 3 continuation bytes to the character's lead byte."""
    k = lo
    while k > 0 and lo - k < 3 and (data[k] & 0xC0) == 0x80:
        k -= 1
    return k if (data[k] & 0xC0) != 0x80 else lo


def byte_units(data: bytes, *, lo: int = 0, hi: int | None = None,
               glyphs: Mapping[str, str] | None = None) -> list[Unit]:
    """Units overlapping bytes [lo, hi); the first may start before lo (a split character).

    Every byte belongs to exactly one unit, so nothing is dropped. `glyphs` maps characters to
    stand-ins (the app shows " " as "·"); their units have kind 'space'.

    >>> [(u.start, u.length, u.text, u.kind) for u in byte_units(b"a\\n\\xff\\xc3\\xa9", glyphs={"\\n": "↵"})]
    [(0, 1, 'a', 'char'), (1, 1, '↵', 'space'), (2, 1, '\\\\xff', 'invalid'), (3, 2, 'é', 'char')]
    """
    glyphs = glyphs or {}
    hi = len(data) if hi is None else min(hi, len(data))
    if lo >= hi:
        return []
    begin = _lead(data, lo)
    # decode a little past hi so a character cut by the window is still seen whole
    text = data[begin:min(len(data), hi + 3)].decode("utf-8", errors="surrogateescape")
    out: list[Unit] = []
    pos = begin
    for ch in text:
        if pos >= hi:
            break
        cp = ord(ch)
        n = 1 if cp < 0x80 or 0xDC80 <= cp <= 0xDCFF else len(ch.encode("utf-8"))
        if pos + n > lo:
            out.append(Unit(pos, n, *_render_char(ch, glyphs)))
        pos += n
    return out


def render_bytes(data: bytes, *, glyphs: Mapping[str, str] | None = None) -> str:
    """Bytes as one line of text: valid UTF-8 as characters, nothing dropped.

    Invalid bytes and ASCII control bytes show as \\xNN (a character cut off at the end of
    `data` is invalid there, so it shows as its bytes); invisible or layout-changing characters
    (no-break space, zero-width space, bidi overrides, C1 controls) as \\uNNNN. `glyphs`
    substitutes characters first, e.g. {"\\n": "↵"}, or {"\\n": "\\n"} to keep newlines as they are.

    >>> render_bytes("a\\x00é\\u200b😀".encode() + b"\\xff\\xe2\\x82")
    'a\\\\x00é\\\\u200b😀\\\\xff\\\\xe2\\\\x82'
    """
    return "".join(u.text for u in byte_units(data, glyphs=glyphs))
