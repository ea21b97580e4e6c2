"""Reproducible byte-level training corpus from Debian packages and Python sources.

Run: ``python -m blt_core.train.corpus --out data/corpus``

Stages (pure functions first, I/O at the edges):

1. fetch: ``apt-get download`` the packages in ``PACKAGES`` into ``<work>/debs`` and
   ``dpkg-deb -x`` each into ``<work>/x/<package>``.
2. read: each reader turns one extracted package (or a local tree: Python stdlib, C headers,
   structured data files) into ``Doc`` records; language comes from the package, the script is
   detected from the text.
3. clean -> exact dedup (sha256) -> paragraph dedup -> per-source cap.
4. split train / held-out by a hash of the document id (about 1%, at least one doc per language).
5. write ``train.bin`` / ``train_docs.npy`` / ``heldout.bin`` / ``heldout_docs.npy`` /
   ``train.bin.xz`` under ``--out`` and the committed ``assets/eval/heldout_eval.jsonl`` and
   ``assets/corpus_manifest.json``.
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import html
import html.parser
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_PATH = REPO_ROOT / "assets" / "eval" / "heldout_eval.jsonl"
MANIFEST_PATH = REPO_ROOT / "assets" / "corpus_manifest.json"

HELDOUT_FRACTION = 0.01  # share of documents held out, chosen by a hash of the doc id
HELDOUT_MIN_LANG_BYTES = 40_000  # top up a language's held-out bytes to this ...
HELDOUT_MAX_LANG_SHARE = 0.05  # ... but never hold out more than this share of the language
MIN_DOC_BYTES = 200  # shorter cleaned documents are dropped
DEDUP_MIN_PARAGRAPH = 64  # only paragraphs at least this long (normalised) are deduplicated
DEFAULT_SOURCE_CAP = 2_700_000  # bytes kept per source unless SOURCE_CAPS says otherwise
BINARY_SHARE = 0.015  # binary bytes as a share of the text bytes in train
EVAL_MAX_BYTES = 1_900_000  # budget for the committed eval subset (hard limit 2 MB)
EVAL_DOC_MAX_BYTES = 8_000  # eval texts are truncated to this many bytes

LANGS_FORTUNES = ["de", "es", "it", "ru", "zh", "pl", "cs", "bg", "br", "eo", "ga"]
LANGS_DEBREF = ["en", "de", "fr", "es", "it", "ja", "pt", "zh-cn", "zh-tw"]
LANGS_MANPAGES = ["de", "fr", "es", "it", "ja", "ru", "pl", "pt-br", "uk", "nl", "cs", "sv", "vi", "zh"]
LANGS_LOHELP = ["en-us", "de", "fr", "es", "ja", "ru", "zh-cn", "hi"]
MO_PACKAGES = ["libreoffice-l10n-ar", "libreoffice-l10n-fa", "libc-l10n", "coreutils", "gcc-12-locales"]
MO_LANGS = ["ar", "fa", "hi"]  # catalogs in these languages become documents

PACKAGES = (
    ["fortunes", "fortunes-min"]
    + [f"fortunes-{lang}" for lang in LANGS_FORTUNES]
    + ["bible-kjv-text", "bible-kjv"]
    + [f"debian-reference-{lang}" for lang in LANGS_DEBREF]
    + ["manpages"]
    + [f"manpages-{lang}" for lang in LANGS_MANPAGES]
    + [f"libreoffice-help-{lang}" for lang in LANGS_LOHELP]
    + ["dict-gcide", "dict-jargon"]
    + MO_PACKAGES
)

SOURCE_CAPS = {  # sources that deserve more (or less) than DEFAULT_SOURCE_CAP
    "python-stdlib": 8_500_000,
    "c-headers": 3_000_000,
    "structured-data": 4_000_000,
    "dict-gcide": 4_000_000,
    "libreoffice-help-hi": 6_000_000,
}
MANPAGES_MAX_PAGES = 450  # rendered pages per manpages package (groff is the slow stage)

# Scripts whose text is expected for a language; documents of such a language detected as Latin
# are untranslated fallbacks and are dropped.
NON_LATIN_LANGS = {"ru": "Cyrillic", "bg": "Cyrillic", "uk": "Cyrillic", "ja": "CJK", "zh": "CJK",
                   "hi": "Devanagari", "ar": "Arabic", "fa": "Arabic"}


@dataclasses.dataclass
class Doc:
    """One training document; ``data`` is UTF-8 text bytes, or raw bytes for binary docs."""

    id: str  # unique, stable across builds: "<source>/<path>#<n>"
    source: str  # e.g. "manpages-de"
    package: str  # Debian package, or a local origin such as "python3.11"
    lang: str  # ISO code, "code", "data" or "none"
    kind: str  # "prose" | "code" | "data" | "binary"
    data: bytes
    script: str = ""  # filled in by detect_script for text docs


# ----------------------------------------------------------------------------- pure helpers

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


# ----------------------------------------------------------------------------- readers (I/O)

def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _files(root: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file() and not p.is_symlink())


def read_fortunes(x: Path) -> Iterator[Doc]:
    for pkg in ["fortunes", "fortunes-min"] + [f"fortunes-{lg}" for lg in LANGS_FORTUNES]:
        lang = "en" if pkg in ("fortunes", "fortunes-min") else pkg.split("-")[1]
        base = x / pkg / "usr/share/games/fortunes"
        for path in _files(base):
            rel = path.relative_to(base)
            # .dat are strfile indexes; "off" holds rot13-encoded offensive fortunes.
            if path.suffix in (".dat", ".u8") or "off" in rel.parts:
                continue
            for i, group in enumerate(group_texts(split_fortunes(_read_text(path)), target_bytes=6_000)):
                yield Doc(f"{pkg}/{rel}#{i}", pkg, pkg, lang, "prose", group.encode("utf-8"))


def read_bible(x: Path) -> Iterator[Doc]:
    prog = x / "bible-kjv/usr/bin/bible"
    data_dir = x / "bible-kjv-text/usr/lib"
    out = subprocess.run([str(prog), "-p", str(data_dir), "-d", "bible.data", "gen1:1-rev22:21"],
                         capture_output=True, stdin=subprocess.DEVNULL, check=True, timeout=120)
    for name, text in split_bible_books(out.stdout.decode("utf-8", "replace")):
        yield Doc(f"bible-kjv-text/{name}", "bible-kjv-text", "bible-kjv-text", "en", "prose",
                  text.encode("utf-8"))


def read_debian_reference(x: Path) -> Iterator[Doc]:
    for code in LANGS_DEBREF:
        pkg = f"debian-reference-{code}"
        for path in _files(x / pkg / "usr/share/debian-reference", "*.html"):
            text = html_to_text(_read_text(path))
            yield Doc(f"{pkg}/{path.name}", pkg, pkg, lang_of(code), "prose", text.encode("utf-8"))


def read_libreoffice_help(x: Path) -> Iterator[Doc]:
    for code in LANGS_LOHELP:
        pkg = f"libreoffice-help-{code}"
        base = x / pkg / "usr/share/libreoffice/help"
        for path in _files(base, "*.html"):
            text = html_to_text(_read_text(path))
            yield Doc(f"{pkg}/{path.relative_to(base)}", pkg, pkg, lang_of(code), "prose",
                      text.encode("utf-8"))


def render_manpage(path: Path) -> str:
    """Render one roff man page to plain UTF-8 text with groff (no bold/underline overstrikes)."""
    src = _read_text(path)
    if re.match(r"\.so\s", src.lstrip()) and len(src) < 300:
        return ""  # a link to another page
    res = subprocess.run(["groff", "-K", "utf8", "-t", "-T", "utf8", "-man", "-P", "-cbou"],
                         input=src.encode("utf-8"), capture_output=True, timeout=60,
                         env={**os.environ, "GROFF_NO_SGR": "1"})
    return res.stdout.decode("utf-8", "replace")


def read_manpages(x: Path) -> Iterator[Doc]:
    for pkg in ["manpages"] + [f"manpages-{lg}" for lg in LANGS_MANPAGES]:
        lang = "en" if pkg == "manpages" else lang_of(pkg.split("-", 1)[1])
        base = x / pkg / "usr/share/man"
        pages = sorted(_files(base), key=lambda p: split_unit(str(p.relative_to(base))))
        pages = pages[:MANPAGES_MAX_PAGES]
        with ThreadPoolExecutor(max_workers=4) as pool:
            texts = list(pool.map(render_manpage, pages))
        for path, text in sorted(zip(pages, texts)):
            yield Doc(f"{pkg}/{path.relative_to(base)}", pkg, pkg, lang, "prose", text.encode("utf-8"))


def read_dicts(x: Path) -> Iterator[Doc]:
    for pkg, name in [("dict-gcide", "gcide"), ("dict-jargon", "jargon")]:
        text = gzip.decompress((x / pkg / f"usr/share/dictd/{name}.dict.dz").read_bytes()).decode(
            "utf-8", "replace")
        chunks = group_texts(text.split("\n"), target_bytes=16_000, sep="\n")
        for i, chunk in enumerate(chunks):
            yield Doc(f"{pkg}/{name}#{i}", pkg, pkg, "en", "prose", chunk.encode("utf-8"))


def read_mo_catalogs(x: Path) -> Iterator[Doc]:
    for pkg in MO_PACKAGES:
        for path in _files(x / pkg, "*.mo"):
            parts = path.parts
            lang = next((p for p in parts if p in MO_LANGS), None)
            if lang is None or "LC_MESSAGES" not in parts:
                continue
            text = mo_to_text(parse_mo(path.read_bytes()))
            rel = path.relative_to(x / pkg)
            yield Doc(f"mo-{lang}/{pkg}/{rel}", f"mo-catalogs-{lang}", pkg, lang, "prose",
                      text.encode("utf-8"))


def read_python_stdlib() -> Iterator[Doc]:
    import sysconfig

    base = Path(sysconfig.get_paths()["stdlib"])
    for path in _files(base, "*.py"):
        rel = path.relative_to(base)
        if rel.parts[0] in ("site-packages", "lib2to3") or "__pycache__" in rel.parts:
            continue
        # Tests are plentiful and repetitive: keep a deterministic quarter of them.
        if any(p in ("test", "tests", "idle_test") for p in rel.parts) and split_unit(str(rel)) > 0.25:
            continue
        yield Doc(f"python-stdlib/{rel}", "python-stdlib", f"python{sys.version_info[0]}."
                  f"{sys.version_info[1]}", "code", "code", path.read_bytes())


def read_c_headers() -> Iterator[Doc]:
    base = Path("/usr/include")
    for path in sorted(_files(base, "*.h"), key=lambda p: split_unit(str(p))):
        yield Doc(f"c-headers/{path.relative_to(base)}", "c-headers", "libc6-dev", "code", "code",
                  path.read_bytes()[:64_000])


def read_structured_data(x: Path) -> Iterator[Doc]:
    import sysconfig

    roots = [Path(sysconfig.get_paths()["purelib"]), x]
    for root in roots:
        paths = [p for ext in ("json", "csv", "xml", "yaml", "yml", "tsv")
                 for p in _files(root, f"*.{ext}")]
        for path in sorted(paths, key=lambda p: split_unit(str(p.relative_to(root)))):
            yield Doc(f"structured-data/{root.name}/{path.relative_to(root)}", "structured-data",
                      "site-packages" if root != x else path.relative_to(x).parts[0], "data", "data",
                      path.read_bytes()[:48_000])


def read_binary(debs: Path, *, total_bytes: int, chunk: int = 8192) -> Iterator[Doc]:
    """Chunks of the compressed payload of downloaded .deb files: near-uniform bytes.

    Files are visited in hash order, taking chunks every 64 KB past the first 4 KB (ar member
    headers and control archive), until ``total_bytes``.
    """
    taken = 0
    for path in sorted(debs.glob("*.deb"), key=lambda p: split_unit(p.name)):
        blob = path.read_bytes()
        for i, start in enumerate(range(4096, len(blob) - chunk, 65536)):
            yield Doc(f"binary/{path.name}@{start}", "binary-deb-chunks", path.name.split("_")[0],
                      "none", "binary", blob[start: start + chunk], script="binary")
            taken += chunk
            if taken >= total_bytes:
                return
            if i >= 15:  # at most 16 chunks per file, so many files contribute
                break


# ----------------------------------------------------------------------------- pipeline

def fetch(work: Path) -> Path:
    """Download and extract ``PACKAGES``; returns the extraction root (idempotent)."""
    debs = work / "debs"
    x = work / "x"
    debs.mkdir(parents=True, exist_ok=True)
    have = {p.name.split("_")[0] for p in debs.glob("*.deb")}
    missing = [p for p in PACKAGES if p not in have]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    for deb in sorted(debs.glob("*.deb")):
        dest = x / deb.name.split("_")[0]
        if not dest.exists():
            dest.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    return x


def process(docs: Iterable[Doc], *, seen_docs: set[bytes], seen_paras: set[bytes]) -> Iterator[Doc]:
    """Clean, detect script, drop short, exact-duplicate and untranslated docs, dedup paragraphs."""
    for doc in docs:
        if doc.kind == "binary":
            yield doc
            continue
        text = clean_text(doc.data.decode("utf-8", "replace"))
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        if digest in seen_docs:
            continue
        seen_docs.add(digest)
        text = dedup_paragraphs(text, seen_paras)
        data = text.encode("utf-8")
        if len(data) < MIN_DOC_BYTES:
            continue
        script = detect_script(text)
        expected = NON_LATIN_LANGS.get(doc.lang)
        if expected and script != expected:
            continue
        yield dataclasses.replace(doc, data=data, script=script)


def cap_source(docs: list[Doc], cap: int) -> list[Doc]:
    """Keep docs (in hash order, so the choice is stable) until ``cap`` bytes."""
    kept, size = [], 0
    for doc in sorted(docs, key=lambda d: split_unit(d.id)):
        if size >= cap:
            break
        kept.append(doc)
        size += len(doc.data)
    return sorted(kept, key=lambda d: d.id)


def split_docs(docs: list[Doc]) -> tuple[list[Doc], list[Doc]]:
    """Held-out by id hash; then top up each language to ``HELDOUT_MIN_LANG_BYTES`` (at least one
    doc, at most ``HELDOUT_MAX_LANG_SHARE`` of it) taking the next docs in hash order."""
    held = {d.id for d in docs if is_heldout(d.id)}
    by_lang: dict[str, list[Doc]] = {}
    for d in docs:
        by_lang.setdefault(d.lang, []).append(d)
    for lang, ldocs in by_lang.items():
        total = sum(len(d.data) for d in ldocs)
        have = sum(len(d.data) for d in ldocs if d.id in held)
        n_held = sum(1 for d in ldocs if d.id in held)
        for d in sorted(ldocs, key=lambda d: split_unit(d.id)):
            if n_held >= 1 and (have >= HELDOUT_MIN_LANG_BYTES
                                or have + len(d.data) > HELDOUT_MAX_LANG_SHARE * total):
                break
            if d.id not in held:
                held.add(d.id)
                have += len(d.data)
                n_held += 1
    return [d for d in docs if d.id not in held], [d for d in docs if d.id in held]


def write_split(docs: list[Doc], out: Path, name: str) -> dict:
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    h = hashlib.sha256()
    with open(out / f"{name}.bin.tmp", "wb") as f:
        pos = 0
        for i, d in enumerate(docs):
            offsets[i] = pos
            f.write(d.data)
            h.update(d.data)
            pos += len(d.data)
        offsets[-1] = pos
    os.replace(out / f"{name}.bin.tmp", out / f"{name}.bin")
    np.save(out / f"{name}_docs.npy", offsets)
    return {"bytes": int(offsets[-1]), "sha256": h.hexdigest()}


def eval_records(heldout: list[Doc]) -> list[dict]:
    """Per language, held-out docs in id order truncated to ``EVAL_DOC_MAX_BYTES`` until the
    language's share of ``EVAL_MAX_BYTES``; every language (and so every script) appears."""
    langs = sorted({d.lang for d in heldout})
    per_lang = min(150_000, EVAL_MAX_BYTES // max(1, len(langs)))
    records = []
    for lang in langs:
        used = 0
        for d in sorted((d for d in heldout if d.lang == lang), key=lambda d: split_unit(d.id)):
            if used >= per_lang:
                break
            data = truncate_utf8(d.data, min(EVAL_DOC_MAX_BYTES, per_lang - used))
            if not data:
                continue
            rec = {"id": d.id, "source": d.source, "lang": d.lang, "script": d.script, "kind": d.kind}
            if d.kind == "binary":
                rec["hex"] = data.hex()
                used += len(data) * 2
            else:
                rec["text"] = data.decode("utf-8")
                used += len(data)
            records.append(rec)
    return records


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build(out: Path, work: Path, argv: list[str]) -> dict:
    x = fetch(work)
    seen_docs: set[bytes] = set()
    seen_paras: set[bytes] = set()
    readers: list[Callable[[], Iterable[Doc]]] = [
        lambda: read_mo_catalogs(x),  # first: the scarce Arabic must not lose paragraphs to others
        lambda: read_fortunes(x),
        lambda: read_bible(x),
        lambda: read_debian_reference(x),
        lambda: read_manpages(x),
        lambda: read_libreoffice_help(x),
        lambda: read_dicts(x),
        read_python_stdlib,
        read_c_headers,
        lambda: read_structured_data(x),
    ]
    by_source: dict[str, list[Doc]] = {}
    for reader in readers:
        for doc in process(reader(), seen_docs=seen_docs, seen_paras=seen_paras):
            by_source.setdefault(doc.source, []).append(doc)
        print(f"read {len(by_source)} sources, {sum(len(v) for v in by_source.values())} docs",
              file=sys.stderr)
    docs: list[Doc] = []
    for source in sorted(by_source):
        docs.extend(cap_source(by_source[source], SOURCE_CAPS.get(source, DEFAULT_SOURCE_CAP)))
    text_bytes = sum(len(d.data) for d in docs)
    docs.extend(read_binary(work / "debs", total_bytes=int(BINARY_SHARE * text_bytes)))
    train, heldout = split_docs(docs)

    out.mkdir(parents=True, exist_ok=True)
    files = {"train.bin": write_split(train, out, "train"),
             "heldout.bin": write_split(heldout, out, "heldout")}
    with open(out / "train.bin", "rb") as src, lzma.open(out / "train.bin.xz.tmp", "wb", preset=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(out / "train.bin.xz.tmp", out / "train.bin.xz")
    files["train.bin.xz"] = {"bytes": (out / "train.bin.xz").stat().st_size,
                             "sha256": _sha256_file(out / "train.bin.xz")}

    EVAL_PATH.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in eval_records(heldout)]
    EVAL_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files["heldout_eval.jsonl"] = {"bytes": EVAL_PATH.stat().st_size, "sha256": _sha256_file(EVAL_PATH)}

    sources = []
    for source in sorted({d.source for d in train}):
        sdocs = [d for d in train if d.source == source]
        h = hashlib.sha256()
        for d in sdocs:
            h.update(d.data)
        langs = sorted({d.lang for d in sdocs})
        scripts = sorted({d.script for d in sdocs}, key=lambda s: -sum(len(d.data) for d in sdocs
                                                                       if d.script == s))
        sources.append({"source": source, "package": ",".join(sorted({d.package for d in sdocs}))
                        if source in ("mo-catalogs-ar", "mo-catalogs-fa", "mo-catalogs-hi") else
                        sdocs[0].package if len({d.package for d in sdocs}) == 1 else "various",
                        "lang": ",".join(langs), "script": scripts[0], "scripts": scripts,
                        "kind": sdocs[0].kind, "bytes": sum(len(d.data) for d in sdocs),
                        "docs": len(sdocs), "sha256": h.hexdigest()})
    by_lang: dict[str, int] = {}
    by_script: dict[str, int] = {}
    for d in train:
        by_lang[d.lang] = by_lang.get(d.lang, 0) + len(d.data)
        by_script[d.script] = by_script.get(d.script, 0) + len(d.data)
    manifest = {
        "schema": 1,
        "built_with": "python -m blt_core.train.corpus " + " ".join(argv),
        "sources": sources,
        "totals": {"train_bytes": files["train.bin"]["bytes"],
                   "heldout_bytes": files["heldout.bin"]["bytes"],
                   "train_docs": len(train), "heldout_docs": len(heldout),
                   "by_lang": dict(sorted(by_lang.items(), key=lambda kv: -kv[1])),
                   "by_script": dict(sorted(by_script.items(), key=lambda kv: -kv[1]))},
        "files": files,
    }
    MANIFEST_PATH.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("data/corpus"), help="output directory")
    ap.add_argument("--work", type=Path, default=Path("data"), help="download/extract directory")
    args = ap.parse_args(argv)
    manifest = build(args.out, args.work, argv)
    t = manifest["totals"]
    print(json.dumps({"train_bytes": t["train_bytes"], "heldout_bytes": t["heldout_bytes"],
                      "xz_bytes": manifest["files"]["train.bin.xz"]["bytes"],
                      "by_lang": t["by_lang"], "by_script": t["by_script"]}, indent=1))


if __name__ == "__main__":
    main()
