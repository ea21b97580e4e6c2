"""Pure text helpers of the corpus build: splitting, HTML and gettext decoding, script detection,
cleaning, deduplication and the held-out split. No I/O.

>>> detect_script("Привет, мир")
'Cyrillic'
"""
from __future__ import annotations

import hashlib
import html
import html.parser
import re
import struct
from typing import Iterable


DEDUP_MIN_PARAGRAPH = 64  # only paragraphs at least this long (normalised) are deduplicated
HELDOUT_FRACTION = 0.01  # share of documents held out, chosen by a hash of the doc id



def split_fortunes(text: str) -> list[str]:
    """Split a fortune file on lines that are just ``%``.

    ``"a\\n%\\nb\\nc\\n%\\n"`` -> ``["a", "b\\nc"]``
    """
    parts = re.split(r"(?m)^%[ \t]*\n?", text.replace("\r\n", "\n"))
    return [p.strip("\n") for p in parts if p.strip()]


def group_texts(texts: Iterable[str], *, target_bytes: int, sep: str = "\n\n") -> list[str]:
    """Join consecutive texts into groups of about ``target_bytes`` (UTF-8).

    ``group_texts(["aa", "bb", "cc"], target_bytes=5, sep="|")`` -> ``["aa|bb", "cc"]``
    """
    groups: list[str] = []
    cur: list[str] = []
    size = 0
    for t in texts:
        cur.append(t)
        size += len(t.encode("utf-8")) + len(sep)
        if size >= target_bytes:
            groups.append(sep.join(cur))
            cur, size = [], 0
    if cur:
        groups.append(sep.join(cur))
    return groups


class _TextExtractor(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
             "dt", "dd", "title", "section", "blockquote", "ul", "ol", "hr"}
    SKIP = {"script", "style", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skip += 1
        if tag == "pre":
            self.pre += 1
        if tag in self.BLOCK:
            self.out.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in self.BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Strip tags (dropping script/style/head), unescape entities, keep block breaks.

    ``"<p>a &amp; b</p><p>c</p>"`` -> ``"a & b\\n\\nc"``
    """
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.out))
    lines = [ln.strip(" ") if not ln.startswith("  ") else ln.rstrip() for ln in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_SCRIPT_RANGES = {
    "Latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff",
    "Cyrillic": "\u0400-\u052f",
    "Greek": "\u0370-\u03ff",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff",
    "Devanagari": "\u0900-\u097f",
    "CJK": "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f",
    "Hangul": "\uac00-\ud7af\u1100-\u11ff",
}
_SCRIPT_RES = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPT_RANGES.items()}
NON_LATIN_MIN_SHARE = 0.2  # a non-Latin script wins with this share of the letters


def detect_script(text: str) -> str:
    """The document's script from its letters (digits, punctuation and spaces do not count).

    Technical text in Japanese or Russian carries much ASCII, so the leading non-Latin script
    wins once it holds ``NON_LATIN_MIN_SHARE`` of the letters.
    ``"Привет"`` -> ``"Cyrillic"``, ``"你好"`` -> ``"CJK"``, ``"hello"`` -> ``"Latin"``,
    ``"1 + 2"`` -> ``"Other"``
    """
    counts = {name: len(rx.findall(text)) for name, rx in _SCRIPT_RES.items()}
    total = sum(counts.values())
    if total == 0:
        return "Other"
    best_other = max((n for n in counts if n != "Latin"), key=counts.__getitem__)
    if counts[best_other] >= NON_LATIN_MIN_SHARE * total:
        return best_other
    return max(counts, key=counts.__getitem__)


_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_OVERSTRIKE_RE = re.compile(r".\x08")


def clean_text(text: str) -> str:
    """Normalise newlines, drop ANSI/overstrikes and control chars except \\t \\n, collapse blanks.

    ``"a\\r\\n\\x00b\\n\\n\\n\\n\\nc  \\n"`` -> ``"a\\nb\\n\\nc\\n"``
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI_RE.sub("", text)
    text = _OVERSTRIKE_RE.sub("", text)
    text = _CONTROL_RE.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = text.strip("\n")
    return text + "\n" if text else ""


def dedup_paragraphs(text: str, seen: set[bytes]) -> str:
    """Drop paragraphs (blank-line separated) whose normalised form is in ``seen``; update it.

    Short paragraphs (``}``, ``Example:``) are never dropped: they repeat legitimately.
    With ``seen`` holding the hash of "hello world ..." a second document repeating it loses it.
    """
    kept = []
    for para in text.split("\n\n"):
        norm = " ".join(para.lower().split())
        if len(norm) >= DEDUP_MIN_PARAGRAPH:
            h = hashlib.blake2b(norm.encode("utf-8"), digest_size=12).digest()
            if h in seen:
                continue
            seen.add(h)
        kept.append(para)
    return "\n\n".join(kept)


def split_unit(doc_id: str) -> float:
    """Deterministic pseudo-random number in [0, 1) from a document id (sha256)."""
    return int.from_bytes(hashlib.sha256(doc_id.encode("utf-8")).digest()[:8], "big") / 2**64


def is_heldout(doc_id: str, *, fraction: float = HELDOUT_FRACTION) -> bool:
    """Whether a document belongs to the held-out split; depends only on its id."""
    return split_unit(doc_id) < fraction


def parse_mo(blob: bytes) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a GNU gettext ``.mo`` catalog (either byte order)."""
    magic = struct.unpack("<I", blob[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, count, off_ids, off_strs = struct.unpack(order + "4I", blob[4:20])
    pairs = []
    for i in range(count):
        ln, off = struct.unpack(order + "2I", blob[off_ids + 8 * i: off_ids + 8 * i + 8])
        ls, offs = struct.unpack(order + "2I", blob[off_strs + 8 * i: off_strs + 8 * i + 8])
        msgid = blob[off: off + ln].decode("utf-8", "replace")
        msgstr = blob[offs: offs + ls].decode("utf-8", "replace")
        pairs.append((msgid, msgstr))
    return pairs


def mo_to_text(pairs: list[tuple[str, str]]) -> str:
    """Translated strings only, one per line (plural forms split); the header entry skipped."""
    lines = []
    for msgid, msgstr in pairs:
        if not msgid or not msgstr:
            continue
        lines.extend(s for s in msgstr.split("\x00") if s.strip())
    return "\n".join(lines)


def split_bible_books(text: str) -> list[tuple[str, str]]:
    """Group ``bible`` program output into (book, text) by its chapter headings ("Genesis 1")."""
    books: list[tuple[str, list[str]]] = []
    for block in re.split(r"\n(?=\S[^\n]* \d+\n)", "\n" + text):
        head = block.strip("\n").split("\n", 1)[0]
        m = re.fullmatch(r"(.+) \d+", head.strip())
        name = m.group(1) if m else "?"
        if books and books[-1][0] == name:
            books[-1][1].append(block.strip("\n"))
        else:
            books.append((name, [block.strip("\n")]))
    return [(name, "\n\n".join(parts)) for name, parts in books if "".join(parts).strip()]


def truncate_utf8(data: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes, cut at a UTF-8 character boundary.

    ``truncate_utf8("né".encode(), 2)`` -> ``b"n"``
    """
    if len(data) <= limit:
        return data
    cut = limit
    while cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return data[:cut]


def lang_of(code: str) -> str:
    """Package language suffix -> language code: ``"zh-cn"`` -> ``"zh"``, ``"en-us"`` -> ``"en"``."""
    return code.split("-")[0]


