"""The corpus build end to end on the committed sample (tests/fixtures/corpus_sample): it is
deterministic, reads only pinned inputs, keeps raw bytes raw and holds the frozen eval out.

Needs no network: the sample stands for the downloads (see its README)."""
import doctest
import hashlib
import importlib.util
import io
import marshal
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest

from blt_core.train import corpus as C
from blt_core.train import corpus_binaries as B
from blt_core.train import corpus_logs as L
from blt_core.train import corpus_pinned as P
from blt_core.train import corpus_sources as S
from blt_core.train import text_clean as T

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "corpus_sample"
X, SITE, DEBS, EVAL = SAMPLE / "x", SAMPLE / "w" / "site-packages", SAMPLE / "debs", SAMPLE / "heldout_eval.jsonl"
OUTPUTS = ("train.bin", "train_docs.npy", "heldout.bin", "heldout_docs.npy", "train.bin.xz", "corpus_manifest.json")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two independent builds of the sample."""
    outs = [tmp_path_factory.mktemp(f"build{i}") for i in range(2)]
    manifests = [C.build_local(X, SITE, DEBS, out, eval_path=EVAL, built_with="test") for out in outs]
    return outs, manifests


def test_sample_is_small():
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()) < 1_000_000


def test_two_builds_are_byte_identical(builds):
    (a, b), (ma, mb) = builds
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert ma == mb


def test_manifest_describes_the_bytes(builds):
    (out, _), (m, _) = builds
    train = (out / "train.bin").read_bytes()
    assert m["files"]["train.bin"] == {"bytes": len(train), "sha256": hashlib.sha256(train).hexdigest()}
    assert sum(s["bytes"] for s in m["sources"]) == len(train) == sum(m["totals"]["by_kind"].values())
    offsets = np.load(out / "train_docs.npy")
    assert offsets[0] == 0 and offsets[-1] == len(train) and len(offsets) == m["totals"]["train_docs"] + 1
    for s in m["sources"]:
        assert {"source", "package", "kind", "bytes", "docs", "sha256"} <= set(s) and len(s["sha256"]) == 64
    # every input file is recorded with its hash, so a changed download shows
    assert [i["file"] for i in m["inputs"]] == ["libbz2-1.0_1.0.8-5+b1_amd64.deb"]
    assert m["files"]["heldout_eval.jsonl"]["sha256"] == hashlib.sha256(EVAL.read_bytes()).hexdigest()


def test_every_kind_is_there_and_labelled(builds):
    (_, _), (m, _) = builds
    kinds = {s["source"]: s["kind"] for s in m["sources"]}
    for source in ("elf", "pyc", "sqlite", "pdf", "images", "mo-binary", "raw-samples"):
        assert kinds.get(source) == "binary", source
    assert kinds["random-bytes"] == "random" and kinds["binary-deb-chunks"] == "compressed"
    assert kinds["synthetic-logs"] == kinds["tables"] == kinds["structured-data"] == kinds["changelogs"] == "data"
    assert kinds["fortunes"] == "prose" and kinds["python-stdlib"] == "code"
    assert kinds["repeats"] in ("prose", "code")
    # raw bytes stay a labelled minority of what the sample's text gives
    assert {"binary", "random", "compressed"} <= set(m["totals"]["by_kind"])


def test_raw_files_reach_train_bin_unchanged(builds):
    (out, _), _ = builds
    data = (out / "train.bin").read_bytes() + (out / "heldout.bin").read_bytes()
    elf = (X / "coreutils/usr/bin/yes").read_bytes()
    assert elf[:B.PIECE] in data  # the head slice, byte for byte (NULs and all)
    pdf = (X / "cups-filters/usr/share/cups/data/default.pdf").read_bytes()
    assert pdf in data


def test_raw_docs_survive_cleaning():
    raw = (list(B.read_elf(X, SITE)) + list(B.read_pdfs(X)) + list(B.read_images(SITE))
           + list(B.read_mo_binary(X, S.MO_PACKAGES, skip_langs=S.MO_LANGS)) + list(B.read_zoneinfo(SITE))
           + B.random_docs(8192) + list(S.read_binary(DEBS, total_bytes=8192)))
    assert {d.kind for d in raw} == {"binary", "random", "compressed"}
    out = list(C.process(raw, seen_docs=set(), seen_paras=set()))
    assert [(d.id, d.data) for d in out] == [(d.id, d.data) for d in raw]
    # what the text cleaner would have done to them: the pass-through is what keeps them
    elf = next(d for d in raw if d.source == "elf").data
    assert T.clean_text(elf.decode("utf-8", "replace")).encode("utf-8") != elf


def test_raw_exact_duplicates_dropped():
    d = B.random_docs(8192)[0]
    twin = S.Doc("other/id", d.source, d.package, d.lang, d.kind, d.data, script=d.script)
    assert [x.id for x in C.process([d, twin], seen_docs=set(), seen_paras=set())] == [d.id]


def test_frozen_eval_ids_are_held_out():
    train, held = C.select_docs(X, SITE, DEBS, forced=C.frozen_ids(EVAL))
    assert "fortunes/computers#1" in {d.id for d in held}
    assert "fortunes/computers#1" not in {d.id for d in train}
    # derived files come from train documents only
    assert all(d.source not in ("pyc", "sqlite", "repeats") for d in held)
    repeats = [d for d in train if d.source == "repeats"]
    assert repeats and all(d.id.removeprefix("repeats/") in {t.id for t in train} for d in repeats)


def test_readers_use_only_the_given_trees():
    """No reader looks at the running interpreter or /usr/include: with the sample's trees
    they find exactly the sample's files."""
    assert {d.id for d in S.read_python_stdlib(X)} == {"python-stdlib/colorsys.py", "python-stdlib/bisect.py"}
    assert list(S.read_c_headers(X)) == []
    ids = {d.id for d in S.read_structured_data(X, SITE)}
    assert ids == {"structured-data/x/iso-codes/usr/share/iso-codes/json/iso_3166-3.json"}
    assert {d.id for d in L.read_tables(SITE)} == {
        "tables/site-packages/matplotlib/mpl-data/sample_data/msft.csv"}


def test_pinned_wheel_with_wrong_hash_is_refused(tmp_path):
    (tmp_path / "wheels").mkdir()
    name = "demo-1.0-py3-none-any.whl"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("demo/data.json", "{}")
    (tmp_path / "wheels" / name).write_bytes(buf.getvalue())
    good = hashlib.sha256(buf.getvalue()).hexdigest()
    site = P.fetch_wheels(tmp_path, {name: good})
    assert (site / "demo" / "data.json").read_text() == "{}"
    with pytest.raises(RuntimeError, match="pinned"):
        P.fetch_wheels(tmp_path, {name: "0" * 64})


def test_wheels_are_pinned_exactly():
    for name, sha in P.WHEELS.items():
        assert name.endswith(".whl") and len(sha) == 64 and int(sha, 16) >= 0
        assert "==" in P.wheel_requirement(name)


# ----------------------------------------------------------------------------- formats

def test_slices():
    assert [(o, len(b)) for o, b in B.slices(bytes(100), piece=10, max_bytes=30)] == [(0, 10), (45, 10), (90, 10)]
    assert B.slices(b"abc", piece=10, max_bytes=30) == [(0, b"abc")]
    assert [o for o, _ in B.slices(bytes(25), piece=10, max_bytes=30)] == [0, 10, 20]
    assert B.slices(b"") == [(0, b"")]


def test_pyc_is_loadable_and_deterministic():
    src = b"def f(x):\n    return x * 2\n"
    pyc = B.pyc_bytes(src, "/usr/lib/python3.11/demo.py")
    assert pyc == B.pyc_bytes(src, "/usr/lib/python3.11/demo.py")
    assert pyc[:4] == importlib.util.MAGIC_NUMBER and pyc[8:16] == importlib.util.source_hash(src)
    ns: dict = {}
    exec(marshal.loads(pyc[16:]), ns)
    assert ns["f"](21) == 42


def test_sqlite_database_is_real_and_deterministic():
    texts = ["the cat sat\non the mat", "the dog\nran"]
    blob = B.sqlite_bytes("demo", texts)
    assert blob == B.sqlite_bytes("demo", texts)
    assert blob[:16] == b"SQLite format 3\x00"
    con = sqlite3.connect(":memory:")
    con.deserialize(blob)
    assert con.execute("SELECT count FROM words WHERE word = 'the'").fetchone() == (3,)
    assert con.execute("SELECT text FROM lines WHERE doc = 2 AND lineno = 2").fetchone() == ("ran",)


def test_image_variants_are_uncompressed():
    png = (SITE / "matplotlib/mpl-data/images/matplotlib_large.png").read_bytes()
    from PIL import Image

    w, h = Image.open(io.BytesIO(png)).size
    v = B.image_variants(png)
    assert v["bmp"][:2] == b"BM" and v["ppm"][:2] == b"P6" and v["tif"][:4] == b"II*\x00"
    for blob in v.values():
        assert len(blob) >= w * h * 3  # every pixel stored, none entropy coded
    assert v == B.image_variants(png)


def test_random_docs_are_seeded():
    a, b = B.random_docs(16384), B.random_docs(16384)
    assert [d.data for d in a] == [d.data for d in b] and len(a) == 2
    assert a[0].data != a[1].data and a[0].kind == "random"


def test_repeat_passages_copies_within_a_window():
    text = "\n".join(f"line {i} of a passage that is long enough to stand alone" for i in range(12))
    out = L.repeat_passages(text, seed=1)
    parts = out.split("\n\n")
    assert len(parts) % 4 == 0 and out == L.repeat_passages(text, seed=1)
    for i in range(0, len(parts), 4):
        a, b, c, d = parts[i:i + 4]
        assert (a, b) == (c, d) or (a, c) == (b, d)  # A B A B or A A B B
        assert len("\n\n".join(parts[i:i + 3]).encode()) < 512  # the copy is inside the window
    assert L.repeat_passages("", seed=1) == ""


def test_synth_log_repeats_fields_and_is_seeded():
    log = L.synth_log(seed=3, n_lines=50)
    assert log == L.synth_log(seed=3, n_lines=50) != L.synth_log(seed=5, n_lines=50)
    lines = log.splitlines()
    assert len(lines) == 50
    # repeated fields: few distinct hosts / daemons across many lines
    assert len({ln.split()[3] for ln in lines}) <= len(L.HOSTS)


@pytest.mark.parametrize("module", [B, L, P, S])
def test_docstring_examples(module):
    assert doctest.testmod(module).failed == 0
