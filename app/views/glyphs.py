"""The app's glyphs for bytes: blt_core.bytes_codec renders, this module adds the whitespace marks.

A unit is one UTF-8 character or one byte that is not valid UTF-8 where it stands.
Whitespace gets a glyph, control characters and invalid bytes show as \\xNN:

>>> [(u.start, u.length, u.text, u.kind) for u in units(b"a \\n\\xff\\xc3\\xa9")]
[(0, 1, 'a', 'char'), (1, 1, '·', 'space'), (2, 1, '↵', 'space'), (3, 1, '\\\\xff', 'invalid'), (4, 2, 'é', 'char')]
"""

from __future__ import annotations

from blt_core import Unit, byte_units, render_bytes

WHITESPACE = {" ": "·", "\n": "↵", "\t": "⇥"}


def units(data: bytes, lo: int = 0, hi: int | None = None) -> list[Unit]:
    """Units overlapping bytes [lo, hi), with the app's whitespace glyphs (see bytes_codec.byte_units)."""
    return byte_units(data, lo=lo, hi=hi, glyphs=WHITESPACE)


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
    """One byte value on its own (a model's candidate next byte): 'e', '·', '↵', '\\xc3', spelt as the patch view spells it.

    >>> byte_glyph(0x65), byte_glyph(0x20), byte_glyph(0x0A), byte_glyph(0xC3), byte_glyph(-1)
    ('e', '·', '↵', '\\\\xc3', '<special>')
    """
    if value < 0:
        return "<special>"
    return render_bytes(bytes([value]), glyphs=WHITESPACE)


def visible(data: bytes) -> str:
    """A whole byte string as one visible line (for captions and tables).

    >>> visible(b"a b\\x00")
    'a·b\\\\x00'
    """
    return render_bytes(data, glyphs=WHITESPACE)
