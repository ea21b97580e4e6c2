"""Bytes -> visible units: every byte shows, none is dropped.

A unit is one UTF-8 character or one byte that is not valid UTF-8 where it stands.
Whitespace gets a glyph, control characters and invalid bytes show as \\xNN:

>>> [(u.start, u.length, u.text, u.kind) for u in units(b"a \\n\\xff\\xc3\\xa9")]
[(0, 1, 'a', 'char'), (1, 1, '·', 'space'), (2, 1, '↵', 'space'), (3, 1, '\\\\xff', 'invalid'), (4, 2, 'é', 'char')]
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_WHITESPACE = {" ": "·", "\n": "↵", "\t": "⇥"}
# Format characters that would reorder or hide text around them (bidi overrides, zero-width
# space); ZWJ (U+200D) stays, since emoji sequences need it.
_KEEP_FORMAT = {"\u200d"}


@dataclass(frozen=True)
class Unit:
    start: int  # byte offset of the first byte
    length: int  # bytes in the unit (1..4)
    text: str  # what to show, not yet HTML-escaped
    kind: str  # 'char', 'space', 'control' or 'invalid'

    @property
    def end(self) -> int:
        return self.start + self.length


def _show(ch: str) -> tuple[str, str]:
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # an undecodable byte smuggled through by surrogateescape
        return f"\\x{cp - 0xDC00:02x}", "invalid"
    if ch in _WHITESPACE:
        return _WHITESPACE[ch], "space"
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}", "control"
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (cat == "Cf" and ch not in _KEEP_FORMAT):
        return f"\\u{cp:04x}", "control"
    if cat == "Zs":  # no-break space and friends look like nothing: name them
        return f"\\u{cp:04x}", "space"
    return ch, "char"


def _lead(data: bytes, lo: int) -> int:
    """Back up from `lo` over at most 3 continuation bytes to the character's lead byte."""
    k = lo
    while k > 0 and lo - k < 3 and (data[k] & 0xC0) == 0x80:
        k -= 1
    return k if (data[k] & 0xC0) != 0x80 else lo


def units(data: bytes, lo: int = 0, hi: int | None = None) -> list[Unit]:
    """Units overlapping bytes [lo, hi); the first may start before lo (a split character)."""
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
        shown, kind = _show(ch)
        if pos + n > lo:
            out.append(Unit(pos, n, shown, kind))
        pos += n
    return out


def byte_labels(data: bytes) -> list[str]:
    """One short label per byte for hover text: the character it belongs to and its hex.

    >>> byte_labels("é!".encode())
    ['é (1/2) c3', 'é (2/2) a9', '! 21']
    """
    labels: list[str] = []
    for u in units(data):
        for j in range(u.length):
            part = f" ({j + 1}/{u.length})" if u.length > 1 else ""
            labels.append(f"{u.text}{part} {data[u.start + j]:02x}")
    return labels


def byte_glyph(value: int) -> str:
    """One byte value on its own (a model's candidate next byte): 'e', '·', '\\x0a', '\\xc3'.

    >>> byte_glyph(0x65), byte_glyph(0x20), byte_glyph(0xC3), byte_glyph(-1)
    ('e', '·', '\\\\xc3', '<special>')
    """
    if value < 0:
        return "<special>"
    if value >= 0x80:
        return f"\\x{value:02x}"
    shown, _ = _show(chr(value))
    return "\\x0a" if value == 0x0A else shown


def visible(data: bytes) -> str:
    """A whole byte string as one visible line (for captions and tables).

    >>> visible(b"a b\\x00")
    'a·b\\\\x00'
    """
    return "".join(u.text for u in units(data))
