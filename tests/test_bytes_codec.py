"""blt_core.bytes_codec: ids <-> bytes, and the one renderer of bytes as text (CLI and app)."""

import pytest
from hypothesis import given, strategies as st

from blt_core.bytes_codec import byte_units, decode_ids, encode_bytes, render_bytes, to_bytes


def test_ids_round_trip_and_specials_dropped():
    assert encode_bytes(b"A\x00\xff").tolist() == [69, 4, 259]
    assert decode_ids([1, 69, 4, 259, 2]) == b"A\x00\xff"
    assert to_bytes("é") == b"\xc3\xa9" and to_bytes(bytearray(b"x")) == b"x"


@pytest.mark.parametrize("data, shown", [
    (b"", ""),
    (b"Hello, world", "Hello, world"),
    (b"a\tb\nc\r\x00\x1f\x7f", "a\\x09b\\x0ac\\x0d\\x00\\x1f\\x7f"),  # ASCII controls are bytes: \xNN
    (b"ok\xff\xfe", "ok\\xff\\xfe"),  # invalid UTF-8
    (b"\xed\xa0\x80", "\\xed\\xa0\\x80"),  # an encoded surrogate is invalid UTF-8, byte by byte
    ("é中".encode(), "é中"),
    ("😀".encode(), "😀"),
    ("👩\u200d💻".encode(), "👩\u200d💻"),  # ZWJ stays: emoji sequences need it
    ("a\u00a0b\u200bc\u202ed\u0085".encode(), "a\\u00a0b\\u200bc\\u202ed\\u0085"),  # invisible: named
    ("\U000e0001".encode(), "\\U000e0001"),  # beyond the BMP: \U, eight digits
])
def test_render_bytes(data, shown):
    assert render_bytes(data) == shown


def test_a_character_split_across_pieces_shows_as_its_bytes():
    data = "aé😀".encode()  # 61 | c3 a9 | f0 9f 98 80
    pieces = [data[:2], data[2:4], data[4:]]
    assert [render_bytes(p) for p in pieces] == ["a\\xc3", "\\xa9\\xf0", "\\x9f\\x98\\x80"]
    assert render_bytes(data) == "aé😀"


def test_glyphs_substitute_before_the_control_rule():
    assert render_bytes(b"a b\n\t", glyphs={" ": "\u00b7", "\n": "\u21b5"}) == "a\u00b7b\u21b5\\x09"
    assert render_bytes(b"x\ny", glyphs={"\n": "\n"}) == "x\ny"


def test_units_in_a_window_start_at_the_lead_byte():
    data = "aé!".encode()  # 61 c3 a9 21
    units = byte_units(data, lo=2, hi=3)
    assert [(u.start, u.length, u.text, u.kind) for u in units] == [(1, 2, "é", "char")]
    assert byte_units(data, lo=3, hi=3) == []


@given(st.binary(max_size=64))
def test_every_byte_is_in_exactly_one_unit(data):
    units = byte_units(data)
    ends = [0] + [u.end for u in units]
    assert [u.start for u in units] == ends[:-1] and ends[-1] == len(data)
    assert all(u.kind in {"char", "space", "control", "invalid"} for u in units)


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=32))
def test_printable_text_shows_as_itself_and_nothing_invisible_passes(text):
    shown = render_bytes(text.encode())
    # Python's isprintable() rejects exactly the characters the renderer names, bar ZWJ and space
    assert (shown == text) == text.replace("\u200d", "").isprintable()


def test_docstring_examples():
    import doctest

    import blt_core.bytes_codec

    assert doctest.testmod(blt_core.bytes_codec).failed == 0
