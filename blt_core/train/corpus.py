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
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from blt_core.train.corpus_sources import (
    Doc, PACKAGES, read_bible, read_binary, read_c_headers, read_debian_reference, read_dicts, read_fortunes,
    read_libreoffice_help, read_manpages, read_mo_catalogs, read_python_stdlib, read_structured_data,
)
from blt_core.train.text_clean import (
    clean_text, dedup_paragraphs, detect_script, is_heldout, split_unit, truncate_utf8,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_PATH = REPO_ROOT / "assets" / "eval" / "heldout_eval.jsonl"
MANIFEST_PATH = REPO_ROOT / "assets" / "corpus_manifest.json"
HELDOUT_MIN_LANG_BYTES = 40_000  # top up a language's held-out bytes to this ...
HELDOUT_MAX_LANG_SHARE = 0.05  # ... but never hold out more than this share of the language
MIN_DOC_BYTES = 200  # shorter cleaned documents are dropped
DEFAULT_SOURCE_CAP = 2_700_000  # bytes kept per source unless SOURCE_CAPS says otherwise
BINARY_SHARE = 0.015  # binary bytes as a share of the text bytes in train
EVAL_MAX_BYTES = 1_900_000  # budget for the committed eval subset (hard limit 2 MB)
EVAL_DOC_MAX_BYTES = 8_000  # eval texts are truncated to this many bytes
NON_LATIN_LANGS = {"ru": "Cyrillic", "bg": "Cyrillic", "uk": "Cyrillic", "ja": "CJK", "zh": "CJK",
                   "hi": "Devanagari", "ar": "Arabic", "fa": "Arabic"}
SOURCE_CAPS = {  # sources that deserve more (or less) than DEFAULT_SOURCE_CAP
    "python-stdlib": 8_500_000,
    "c-headers": 3_000_000,
    "structured-data": 4_000_000,
    "dict-gcide": 4_000_000,
    "libreoffice-help-hi": 6_000_000,
}


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


def round_robin_by_source(docs: list[Doc]) -> list[Doc]:
    """Docs in hashed-id order within each source, taking one from each source in turn, so a
    language's eval share holds all its sources (English: scripture, fortunes and manuals as
    well as dictionary entries), not just whichever source's ids hash lowest.

    >>> d = lambda i, s: Doc(id=i, source=s, package=s, lang="en", kind="prose", data=b"x")
    >>> [x.source for x in round_robin_by_source([d("a", "dict"), d("b", "dict"), d("c", "bible")])]
    ['bible', 'dict', 'dict']
    """
    queues = {}
    for d in sorted(docs, key=lambda d: split_unit(d.id)):
        queues.setdefault(d.source, []).append(d)
    order = []
    for depth in range(max((len(q) for q in queues.values()), default=0)):
        order += [queues[s][depth] for s in sorted(queues) if depth < len(queues[s])]
    return order


def eval_records(heldout: list[Doc]) -> list[dict]:
    """Per language, held-out docs round-robin over their sources, truncated to
    ``EVAL_DOC_MAX_BYTES``, until the language's share of ``EVAL_MAX_BYTES``; every language
    (and so every script) appears."""
    langs = sorted({d.lang for d in heldout})
    per_lang = min(150_000, EVAL_MAX_BYTES // max(1, len(langs)))
    records = []
    for lang in langs:
        used = 0
        for d in round_robin_by_source([d for d in heldout if d.lang == lang]):
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

