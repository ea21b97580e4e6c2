"""AppTest: the Tune page's corpus summary reads score-corpus output from server-allowed folders only."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyarrow")

from blt_core.corpus.readers import Document  # noqa: E402
from blt_core.corpus.writer import row, write_json, write_shard  # noqa: E402

ENV = "BLT_CORPUS_DIRS"


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def root(tmp_path):
    """An allowed folder holding one scored corpus: 3 documents, patch lengths [1, 2, 2], [3], [70]."""
    out = tmp_path / "corpora" / "web-sample"
    docs = [(b"abcde", [1, 2, 2]), (b"xyz", [3]), (b"q" * 70, [70])]
    rows = [row(Document(i, "d.txt", i, d), np.full(len(d), 0.5), np.array(p, np.int32), False)
            for i, (d, p) in enumerate(docs)]
    write_shard(out / "part-00000-00000.parquet", rows)
    write_json(out / "manifest.json", {
        "shards": [{"file": "part-00000-00000.parquet", "rows": 3, "bytes": 78}], "chunking": "continuous",
        "model": {"name": "tiny-test"}, "threshold": {"value": 1.25, "chosen": "given"},
        "totals": {"documents": 3, "bytes": 78, "patches": 5, "mean_patch_length": 15.6}})
    (tmp_path / "corpora" / "notes").mkdir()
    return tmp_path / "corpora"


def test_without_a_folder_the_section_says_how_to_set_one(app):
    app.run()
    app.switch_page("app_pages/tune.py").run()
    assert not app.exception
    assert any("BLT_CORPUS_DIRS" in i.value and "score-corpus" in i.value for i in app.info)
    assert not [s for s in app.selectbox if s.key == "tune_corpus"]


def test_an_allowed_corpus_shows_its_distribution(app, root, monkeypatch):
    monkeypatch.setenv(ENV, str(root))
    app.run()
    app.switch_page("app_pages/tune.py").run()
    assert not app.exception and not app.error
    assert app.selectbox(key="tune_corpus").options == ["web-sample"]  # notes/ has no manifest: not offered
    assert _metric(app, "Documents") == "3" and _metric(app, "Bytes") == "78"
    assert _metric(app, "Mean patch length") == "15.60 bytes"
    assert _metric(app, "Threshold").endswith("(given)")
    import json

    fig = json.loads(app.get("plotly_chart")[-1].proto.spec)
    bars = fig["data"][0]
    counts = dict(zip(bars["x"], bars["y"]))
    assert counts["1"] == 1 and counts["2"] == 2 and counts["3"] == 1 and counts[">64"] == 1
    assert sum(counts.values()) == 5
    assert not any(str(root) in c.value for c in app.caption)  # a broken shard's message: tests/test_score_corpus.py

