"""Real binary files for the corpus, labelled by kind, so the model learns their structure
rather than "anything odd is uniform".

Kinds (``Doc.kind``), all with ``lang="none"`` and ``script`` equal to the kind:

- ``"binary"``: structured bytes a user may upload: ELF executables and shared objects, ``.pyc``,
  SQLite databases, TrueType fonts, images in formats that are not entropy coded (BMP, PPM,
  uncompressed TIFF, raw samples), gettext ``.mo`` catalogs, PDFs, zoneinfo files.
- ``"compressed"``: entropy-coded bytes (``.deb`` payloads, PNG, JPEG): near-uniform by design.
- ``"random"``: seeded uniform bytes, so "random is uniform" is still taught, and labelled.

Documents are slices of real files (``slices``), so a training window sees headers, tables and
code of each format. Every function here is deterministic: same inputs, same bytes.
"""
from __future__ import annotations

import gzip
import importlib.util
import io
import marshal
import sqlite3
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from blt_core.train.corpus_sources import Doc, _files
from blt_core.train.text_clean import split_unit

RAW_KINDS = ("binary", "compressed", "random")  # documents the text cleaner never touches
ELF_PACKAGES = ["coreutils", "bible-kjv", "sqlite3", "libsqlite3-0", "libxml2", "zlib1g", "libbz2-1.0"]
FONT_PACKAGES = ["fonts-dejavu-core"]
PDF_PACKAGES = ["cups-filters"]
BINARY_PACKAGES = ELF_PACKAGES + FONT_PACKAGES + PDF_PACKAGES
PIECE = 16_384  # bytes per slice: several 512-byte windows of one region of a file
MAX_PER_FILE = 65_536  # at most this much of one file, so many files contribute
RANDOM_DOC_BYTES = 8192
# A stdlib test module left out of the corpus (test modules are sampled, this one is not
# among them) and out of the .pyc source: its .pyc is in the held-out binary set.
HELDOUT_PYC_MODULE = "test/test_heapq.py"


def _doc(source: str, package: str, kind: str, ident: str, data: bytes) -> Doc:
    return Doc(f"{source}/{ident}", source, package, "none", kind, data, script=kind)


def slices(blob: bytes, *, piece: int = PIECE, max_bytes: int = MAX_PER_FILE) -> list[tuple[int, bytes]]:
    """(offset, bytes) pieces of ``blob``: the head (where the headers are), then pieces spread
    evenly over the rest, at most ``max_bytes`` in all. A short blob is one piece.

    >>> [(o, len(b)) for o, b in slices(bytes(100), piece=10, max_bytes=30)]
    [(0, 10), (45, 10), (90, 10)]
    """
    if len(blob) <= max_bytes:
        return [(0, blob)] if len(blob) <= piece else [(o, blob[o:o + piece]) for o in range(0, len(blob), piece)]
    n = max_bytes // piece
    offsets = [round(i * (len(blob) - piece) / (n - 1)) for i in range(n)] if n > 1 else [0]
    return [(o, blob[o:o + piece]) for o in offsets]


def is_elf(blob: bytes) -> bool:
    """``b"\\x7fELF..."`` -> True."""
    return blob[:4] == b"\x7fELF"


def pyc_bytes(source: bytes, filename: str) -> bytes:
    """A ``.pyc`` as ``py_compile`` writes it with an unchecked source hash (PEP 552): no
    timestamp, so the bytes depend only on the source and the interpreter's minor version."""
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    flags = (1).to_bytes(4, "little")  # hash-based, not checked against the source
    return importlib.util.MAGIC_NUMBER + flags + importlib.util.source_hash(source) + marshal.dumps(code)


def sqlite_bytes(name: str, texts: list[str]) -> bytes:
    """A small SQLite database holding ``texts`` as a table of lines and a table of word counts
    (with an index), serialized from memory: the layout depends only on the input and the
    SQLite library's version.

    >>> sqlite_bytes("t", ["a b a"])[:16]
    b'SQLite format 3\\x00'
    """
    con = sqlite3.connect(":memory:")
    con.executescript("""
        CREATE TABLE docs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n_lines INTEGER);
        CREATE TABLE lines (id INTEGER PRIMARY KEY, doc INTEGER REFERENCES docs(id), lineno INTEGER,
                            text TEXT, n_bytes INTEGER);
        CREATE TABLE words (word TEXT PRIMARY KEY, count INTEGER, first_doc INTEGER);
        CREATE INDEX lines_doc ON lines(doc, lineno);
    """)
    counts: dict[str, list[int]] = {}
    for d, text in enumerate(texts, start=1):
        lines = [ln for ln in text.split("\n") if ln.strip()]
        con.execute("INSERT INTO docs VALUES (?, ?, ?)", (d, f"{name}#{d}", len(lines)))
        con.executemany("INSERT INTO lines (doc, lineno, text, n_bytes) VALUES (?, ?, ?, ?)",
                        [(d, i, ln, len(ln.encode("utf-8"))) for i, ln in enumerate(lines, start=1)])
        for w in text.split():
            counts.setdefault(w, [0, d])[0] += 1
    con.executemany("INSERT INTO words VALUES (?, ?, ?)", [(w, c, d) for w, (c, d) in sorted(counts.items())])
    con.commit()
    data = con.serialize()
    con.close()
    return bytes(data)


def image_variants(encoded: bytes) -> dict[str, bytes]:
    """An image file (PNG, JPEG) decoded and re-written in formats without entropy coding:
    BMP, binary PPM and uncompressed TIFF, keyed by extension. Needs Pillow."""
    from PIL import Image

    img = Image.open(io.BytesIO(encoded))
    img = img.convert("RGB")
    out = {}
    for ext, fmt, extra in (("bmp", "BMP", {}), ("ppm", "PPM", {}), ("tif", "TIFF", {"compression": None})):
        buf = io.BytesIO()
        img.save(buf, format=fmt, **extra)
        out[ext] = buf.getvalue()
    return out


def random_docs(total_bytes: int, *, seed: int = 13, size: int = RANDOM_DOC_BYTES) -> list[Doc]:
    """Uniform bytes from a seeded generator, ``size`` bytes a document, at least one document.

    >>> [len(d.data) for d in random_docs(10_000, size=4096)]
    [4096, 4096]
    """
    rng = np.random.default_rng(seed)
    n = max(1, total_bytes // size)
    return [_doc("random-bytes", "numpy-default_rng", "random", f"seed{seed}#{i}",
                 rng.integers(0, 256, size, dtype=np.uint8).tobytes()) for i in range(n)]


# ---- readers: one format each, over extracted packages (x) or unpacked wheels (site) -----------

def _sliced(source: str, package: str, kind: str, rel: str, blob: bytes) -> Iterator[Doc]:
    for off, piece in slices(blob):
        yield _doc(source, package, kind, f"{rel}@{off}", piece)


def read_elf(x: Path, site: Path | None = None) -> Iterator[Doc]:
    """ELF executables and shared objects of ``ELF_PACKAGES`` and the wheels' extension modules."""
    roots = [(pkg, x / pkg) for pkg in ELF_PACKAGES] + ([("wheels", site)] if site else [])
    for pkg, root in roots:
        for path in _files(root) if root.exists() else []:
            blob = path.read_bytes()
            if is_elf(blob):
                yield from _sliced("elf", pkg, "binary", f"{pkg}/{path.relative_to(root)}", blob)


def read_pyc(code_docs: Iterable[Doc]) -> Iterator[Doc]:
    """``.pyc`` of the standard-library modules already in the corpus (their source compiles
    with the interpreter that runs the build; the version is in the manifest)."""
    for d in code_docs:
        rel = d.id.split("/", 1)[1]
        if d.source != "python-stdlib" or rel == HELDOUT_PYC_MODULE:
            continue
        try:
            blob = pyc_bytes(d.data, f"/usr/lib/python3.11/{rel}")
        except (SyntaxError, ValueError):
            continue  # test data files written to fail compiling
        yield from _sliced("pyc", d.package, "binary", rel + "c", blob)


def read_sqlite(text_docs: list[Doc], *, docs_per_db: int = 6, max_dbs: int = 48) -> Iterator[Doc]:
    """SQLite databases built from groups of text documents of one source (train split only:
    the caller passes those), whole databases up to ``MAX_PER_FILE`` each."""
    by_source: dict[str, list[Doc]] = {}
    for d in sorted(text_docs, key=lambda d: split_unit(d.id)):
        by_source.setdefault(d.source, []).append(d)
    made = 0
    for depth in range(0, max((len(v) for v in by_source.values()), default=0), docs_per_db):
        for source in sorted(by_source):
            group = by_source[source][depth:depth + docs_per_db]
            if not group or made >= max_dbs:
                continue
            texts = [g.data.decode("utf-8")[:12_000] for g in group]
            blob = sqlite_bytes(source, texts)
            made += 1
            yield from _sliced("sqlite", f"sqlite-{sqlite3.sqlite_version}", "binary",
                               f"{source}-{depth // docs_per_db}.db", blob)


def read_fonts(x: Path) -> Iterator[Doc]:
    for pkg in FONT_PACKAGES:
        for path in _files(x / pkg, "*.ttf") if (x / pkg).exists() else []:
            yield from _sliced("fonts", pkg, "binary", f"{pkg}/{path.name}", path.read_bytes())


def read_pdfs(x: Path) -> Iterator[Doc]:
    for pkg in PDF_PACKAGES:
        for path in _files(x / pkg, "*.pdf") if (x / pkg).exists() else []:
            yield from _sliced("pdf", pkg, "binary", f"{pkg}/{path.name}", path.read_bytes())


def read_mo_binary(x: Path, packages: list[str], *, skip_langs: Iterable[str]) -> Iterator[Doc]:
    """Raw ``.mo`` catalogs (hash table, offsets, strings) of the languages not already read as
    text; a quarter of them, chosen by path hash, 16 KB each."""
    skip = set(skip_langs)
    for pkg in packages:
        for path in _files(x / pkg, "*.mo") if (x / pkg).exists() else []:
            rel = str(path.relative_to(x / pkg))
            if skip & set(path.parts) or split_unit(rel) > 0.25:
                continue
            yield _doc("mo-binary", pkg, "binary", f"{pkg}/{rel}", path.read_bytes()[:PIECE])


def read_images(site: Path) -> Iterator[Doc]:
    """Pixels of the wheels' PNG and JPEG images as BMP, PPM and TIFF; raw sample files
    (little-endian integers, floats: ``.dat``, ``.ima.gz`` unpacked, ``.npy`` inside ``.npz``)."""
    base = site / "matplotlib" / "mpl-data"
    for path in _files(base) if base.exists() else []:
        rel = str(path.relative_to(site))
        if path.suffix in (".png", ".jpg") and path.stat().st_size >= 2000:
            for ext, blob in image_variants(path.read_bytes()).items():
                yield from _sliced("images", "matplotlib", "binary", f"{rel}.{ext}", blob)
        elif path.suffix == ".dat" or path.name.endswith(".ima.gz") or path.suffix == ".npy":
            blob = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            yield from _sliced("raw-samples", "matplotlib", "binary", rel, blob)
        elif path.suffix == ".npz":
            with zipfile.ZipFile(path) as z:
                for member in sorted(z.namelist()):
                    yield from _sliced("raw-samples", "matplotlib", "binary", f"{rel}/{member}", z.read(member))


def read_zoneinfo(site: Path) -> Iterator[Doc]:
    """Compiled time-zone files (TZif: headers, transition tables); one file in eight."""
    base = site / "tzdata" / "zoneinfo"
    for path in _files(base) if base.exists() else []:
        rel = str(path.relative_to(site))
        blob = path.read_bytes()
        if blob[:4] == b"TZif" and split_unit(rel) < 0.125:
            yield _doc("zoneinfo", "tzdata", "binary", rel, blob[:PIECE])


def read_compressed_images(site: Path) -> Iterator[Doc]:
    """PNG and JPEG files as they are: entropy-coded, so labelled ``compressed``."""
    base = site / "matplotlib" / "mpl-data"
    for path in _files(base) if base.exists() else []:
        if path.suffix in (".png", ".jpg"):
            yield from _sliced("compressed-images", "matplotlib", "compressed",
                               str(path.relative_to(site)), path.read_bytes())
