"""The committed held-out binary set: described by its manifest, small, and out of every corpus."""
import hashlib
import importlib.util
import json
import sqlite3

from blt_core.train import corpus_binaries as B
from blt_core.train import corpus_sources as S
from blt_core.train import heldout_binaries as H
from blt_core.train.text_clean import split_unit

FOLDER = H.REPO_ROOT / "assets" / "heldout_binaries"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_matches_files():
    names = {f["name"] for f in MANIFEST["files"]}
    assert names == {p.name for p in FOLDER.iterdir()} - {"manifest.json"}
    for f in MANIFEST["files"]:
        blob = (FOLDER / f["name"]).read_bytes()
        assert len(blob) == f["bytes"] and hashlib.sha256(blob).hexdigest() == f["sha256"], f["name"]
        assert f["origin"]
    assert sum(f["bytes"] for f in MANIFEST["files"]) < 400_000


def test_each_kind_is_what_it_says():
    kinds = {f["kind"] for f in MANIFEST["files"]}
    assert kinds == {"elf", "pyc", "sqlite"}
    for f in MANIFEST["files"]:
        head = (FOLDER / f["name"]).read_bytes()[:16]
        expected = {"elf": b"\x7fELF", "pyc": importlib.util.MAGIC_NUMBER, "sqlite": b"SQLite format 3\x00"}[f["kind"]]
        assert head.startswith(expected), f["name"]


def test_sources_never_reach_a_corpus():
    fetched = set(S.PACKAGES) | set(B.BINARY_PACKAGES)
    assert not set(H.HELDOUT_PACKAGES) & fetched
    # the .pyc's module: not among the sampled stdlib tests, and skipped by the .pyc reader
    assert split_unit(B.HELDOUT_PYC_MODULE) > 0.25
    doc = S.Doc(f"python-stdlib/{B.HELDOUT_PYC_MODULE}", "python-stdlib", "p", "code", "code", b"x = 1\n")
    assert list(B.read_pyc([doc])) == []
    other = S.Doc("python-stdlib/m.py", "python-stdlib", "p", "code", "code", b"x = 1\n")
    assert len(list(B.read_pyc([other]))) == 1


def test_sqlite_holds_eval_texts_only():
    con = sqlite3.connect(":memory:")
    con.deserialize((FOLDER / "heldout_texts.sqlite").read_bytes())
    n_docs = con.execute("SELECT count(*) FROM docs").fetchone()[0]
    assert n_docs == len(H.SQLITE_LANGS) * H.SQLITE_DOCS_PER_LANG
    texts = H.eval_texts(H.EVAL_PATH, langs=H.SQLITE_LANGS, per_lang=H.SQLITE_DOCS_PER_LANG)
    first = [ln for ln in texts[0].split("\n") if ln.strip()][0]
    assert con.execute("SELECT text FROM lines WHERE doc = 1 AND lineno = 1").fetchone() == (first,)
    # rebuilding it from the frozen eval gives the committed bytes
    assert B.sqlite_bytes("heldout", texts) == (FOLDER / "heldout_texts.sqlite").read_bytes()
