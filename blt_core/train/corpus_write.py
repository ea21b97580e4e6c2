"""Writing a built corpus: the splits, the xz copy that travels to the GPU, and its manifest.

I/O only; every choice of what goes where was made before (corpus.py, corpus_split.py).
"""
from __future__ import annotations

import hashlib
import json
import lzma
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from blt_core.checkpoints import sha256_file
from blt_core.train.corpus_sources import Doc


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


def source_records(train: list[Doc]) -> list[dict]:
    """One manifest entry per source: package, languages, scripts, kind, bytes, docs, sha256."""
    sources = []
    for source in sorted({d.source for d in train}):
        sdocs = [d for d in train if d.source == source]
        h = hashlib.sha256()
        for d in sdocs:
            h.update(d.data)
        langs = sorted({d.lang for d in sdocs})
        scripts = sorted({d.script for d in sdocs}, key=lambda s: -sum(len(d.data) for d in sdocs
                                                                       if d.script == s))
        packages = sorted({d.package for d in sdocs})
        sources.append({"source": source, "package": ",".join(packages)
                        if source.startswith("mo-") or len(packages) <= 8 else "various",
                        "lang": ",".join(langs), "script": scripts[0], "scripts": scripts,
                        "kind": sdocs[0].kind, "bytes": sum(len(d.data) for d in sdocs),
                        "docs": len(sdocs), "sha256": h.hexdigest()})
    return sources


def write_corpus(train: list[Doc], heldout: list[Doc], out: Path, *, built_with: str, inputs: list[dict],
                 eval_path: Path) -> dict:
    """Write the splits, the xz copy that travels, and ``corpus_manifest.json`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"train.bin": write_split(train, out, "train"),
             "heldout.bin": write_split(heldout, out, "heldout")}
    # preset 6 single-threaded: the .xz bytes, and so their sha256, are the same every build
    with open(out / "train.bin", "rb") as src, lzma.open(out / "train.bin.xz.tmp", "wb", preset=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(out / "train.bin.xz.tmp", out / "train.bin.xz")
    files["train.bin.xz"] = {"bytes": (out / "train.bin.xz").stat().st_size,
                             "sha256": sha256_file(out / "train.bin.xz")}
    if eval_path.exists():
        files["heldout_eval.jsonl"] = {"bytes": eval_path.stat().st_size, "sha256": sha256_file(eval_path),
                                       "frozen": True}
    by_lang: dict[str, int] = {}
    by_script: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for d in train:
        by_lang[d.lang] = by_lang.get(d.lang, 0) + len(d.data)
        by_script[d.script] = by_script.get(d.script, 0) + len(d.data)
        by_kind[d.kind] = by_kind.get(d.kind, 0) + len(d.data)
    import sqlite3

    manifest = {
        "schema": 1,
        "built_with": built_with,
        "tools": {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version, "pillow": _pillow_version()},
        "sources": source_records(train),
        "totals": {"train_bytes": files["train.bin"]["bytes"],
                   "heldout_bytes": files["heldout.bin"]["bytes"],
                   "train_docs": len(train), "heldout_docs": len(heldout),
                   "by_lang": dict(sorted(by_lang.items(), key=lambda kv: -kv[1])),
                   "by_script": dict(sorted(by_script.items(), key=lambda kv: -kv[1])),
                   "by_kind": dict(sorted(by_kind.items(), key=lambda kv: -kv[1]))},
        "files": files,
        "inputs": inputs,
    }
    (out / "corpus_manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return manifest


def _pillow_version() -> str | None:
    try:
        import PIL
    except ImportError:
        return None
    return PIL.__version__
