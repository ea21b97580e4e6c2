"""The held-out binary set: a few real files that no training corpus contains, for measuring
how a model reads binaries (bench/bench_model.py).

    python -m blt_core.train.heldout_binaries --work data --out assets/heldout_binaries

- an ELF executable and an ELF shared object from Debian packages the corpus never fetches
  (``HELDOUT_PACKAGES``; a test checks they stay out of ``PACKAGES`` and ``BINARY_PACKAGES``);
- the ``.pyc`` of a standard-library test module that the corpus leaves out
  (``corpus_binaries.HELDOUT_PYC_MODULE``), compiled as the corpus compiles its own;
- a SQLite database built, as the corpus builds its own, from texts of the frozen eval subset,
  which is held out of every training split.

``manifest.json`` beside them gives each file's kind, size, sha256 and origin.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from blt_core.train.corpus_binaries import HELDOUT_PYC_MODULE, pyc_bytes, sqlite_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
EVAL_PATH = REPO_ROOT / "assets" / "eval" / "heldout_eval.jsonl"
# (package, path inside it, file name here, kind)
HELDOUT_FILES = [
    ("hello", "usr/bin/hello", "hello.elf", "elf"),
    ("liblz4-1", "usr/lib/x86_64-linux-gnu/liblz4.so.1.9.4", "liblz4.so.elf", "elf"),
    ("libpython3.11-testsuite", f"usr/lib/python3.11/{HELDOUT_PYC_MODULE}", "test_heapq.pyc", "pyc"),
]
HELDOUT_PACKAGES = sorted({p for p, *_ in HELDOUT_FILES})
SQLITE_LANGS = ("en", "de", "fr", "ru", "ja")  # eval texts that go into the database
SQLITE_DOCS_PER_LANG = 1


def eval_texts(path: Path, *, langs: tuple[str, ...], per_lang: int) -> list[str]:
    """The first ``per_lang`` prose texts of each language in the eval subset, in file order."""
    out: dict[str, list[str]] = {lang: [] for lang in langs}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r.get("kind") == "prose" and r["lang"] in out and len(out[r["lang"]]) < per_lang:
            out[r["lang"]].append(r["text"])
    return [t for lang in langs for t in out[lang]]


def build(work: Path, out: Path) -> dict:
    debs = work / "heldout_debs"
    debs.mkdir(parents=True, exist_ok=True)
    have = {p.name.split("_")[0] for p in debs.glob("*.deb")}
    missing = [p for p in HELDOUT_PACKAGES if p not in have]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with tempfile.TemporaryDirectory() as tmp:
        for pkg, inner, name, kind in HELDOUT_FILES:
            deb = next(debs.glob(f"{pkg}_*.deb"))
            subprocess.run(["dpkg-deb", "-x", str(deb), f"{tmp}/{pkg}"], check=True)
            blob = (Path(tmp) / pkg / inner).read_bytes()
            if kind == "pyc":
                blob = pyc_bytes(blob, f"/{inner}")
                origin = f"{deb.name}: /{inner}, compiled as the corpus compiles (hash-based .pyc)"
            else:
                origin = f"{deb.name}: /{inner}"
            (out / name).write_bytes(blob)
            files.append({"name": name, "kind": kind, "origin": origin, "bytes": len(blob),
                          "sha256": hashlib.sha256(blob).hexdigest()})
    texts = eval_texts(EVAL_PATH, langs=SQLITE_LANGS, per_lang=SQLITE_DOCS_PER_LANG)
    blob = sqlite_bytes("heldout", texts)
    (out / "heldout_texts.sqlite").write_bytes(blob)
    files.append({"name": "heldout_texts.sqlite", "kind": "sqlite", "bytes": len(blob),
                  "sha256": hashlib.sha256(blob).hexdigest(),
                  "origin": f"corpus_binaries.sqlite_bytes over the first {SQLITE_DOCS_PER_LANG} prose texts of "
                            f"{', '.join(SQLITE_LANGS)} in assets/eval/heldout_eval.jsonl (held out of training)"})
    manifest = {"built_with": "python -m blt_core.train.heldout_binaries", "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path("data"), help="download directory")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "assets" / "heldout_binaries")
    args = ap.parse_args(argv)
    print(json.dumps(build(args.work, args.out), indent=1))


if __name__ == "__main__":
    main()
