"""score-corpus (issue 14, point 4): every input format scores as blt_core.score does, shards resume, ranks split.

The tiny 2-layer entropy card (window 16) keeps every run to a fraction of a second; one document
is longer than a scoring chunk (4,096 inputs), so the batched path's chunked branch runs too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

import blt_core  # noqa: E402
from blt_core.cli.main import main  # noqa: E402
from blt_core.corpus.calibrate import corpus_threshold, pooled_mean_length  # noqa: E402
from blt_core.corpus.summary import corpus_summary  # noqa: E402


RNG = np.random.default_rng(0)
DOCS = [b"Hello, world.", "Grüße aus Köln, 東京 и Москва.".encode(), b"bad \xff\xfe utf-8 \xc3 bytes",
        b"x", b"The quick brown fox jumps over the lazy dog. " * 3, bytes(RNG.integers(32, 127, 5000).astype(np.uint8)),
        b"tail\tend", b"0123456789" * 4, b"short one", b"Lorem ipsum dolor sit amet, consectetur."]


def _scored(out) -> dict[int, dict]:
    """Every shard's rows, by document index (and no index twice)."""
    rows = [r for f in sorted(out.glob("part-*.parquet")) for r in pq.read_table(f).to_pylist()]
    by_index = {r["doc_index"]: r for r in rows}
    assert len(by_index) == len(rows), "a document was written twice"
    return by_index


def _run(*args) -> int:
    return main(["score-corpus", *map(str, args)])


@pytest.fixture(scope="module")
def reference(tiny_card):
    """(threshold, [(entropies, patch lengths)]): blt_core.score on each document alone (ONNX, the tiny card),
    patched at a threshold in the widest gap between its entropies (float16 storage and batched float
    sums then cannot move a boundary)."""
    scores = [blt_core.score(d, backend="onnx", model=str(tiny_card)) for d in DOCS]
    e = np.unique(np.concatenate([s.entropies[1:] for s in scores]))
    e = e[(e > 2.0) & (e < 4.5)]  # inside the tiny model's range, so patches vary
    k = int(np.argmax(np.diff(e)))
    threshold = float((e[k] + e[k + 1]) / 2)
    return threshold, [(s.entropies, blt_core.patch_scores(s, threshold=threshold).patch_lengths) for s in scores]


def _inputs(kind: str, tmp_path) -> tuple[list, list]:
    """(input files, extra options) holding DOCS in one of the readable layouts."""
    if kind == "text files":
        paths = [tmp_path / f"doc{i:02d}.txt" for i in range(len(DOCS))]
        for p, d in zip(paths, DOCS):
            p.write_bytes(d)
        return paths, []
    if kind == "text lines":
        (tmp_path / "a.txt").write_bytes(b"".join(d + b"\n" for d in DOCS[:5]))
        (tmp_path / "b.txt").write_bytes(b"".join(d + b"\n" for d in DOCS[5:]))
        return [tmp_path / "a.txt", tmp_path / "b.txt"], ["--lines"]
    if kind == "jsonl":  # JSON holds text: the invalid UTF-8 document goes through Parquet's binary column
        (tmp_path / "c.jsonl").write_text("".join(json.dumps({"id": i, "body": d.decode("utf-8", "replace")}) + "\n"
                                                  for i, d in enumerate(DOCS)))
        return [tmp_path / "c.jsonl"], ["--field", "body"]
    pq.write_table(pa.table({"raw": pa.array(DOCS, pa.binary())}), tmp_path / "d.parquet", row_group_size=4)
    return [tmp_path / "d.parquet"], ["--field", "raw"]


@pytest.mark.parametrize("kind", ["text files", "text lines", "jsonl", "parquet"])
def test_every_format_scores_as_blt_core_score(kind, tiny_card, reference, tmp_path, capsys):
    threshold, reference = reference
    paths, extra = _inputs(kind, tmp_path)
    out = tmp_path / "out"
    assert _run(*paths, *extra, "--out", out, "--model", tiny_card, "--backend", "onnx", "--threshold", threshold,
                "--shard-docs", 4, "--batch-docs", 3) == 0
    rows = _scored(out)
    assert sorted(rows) == list(range(len(DOCS)))
    for i, d in enumerate(DOCS):
        want = d + b"\n" if kind == "text lines" else d.decode("utf-8", "replace").encode() if kind == "jsonl" else d
        r = rows[i]
        e_ref, lengths_ref = (reference[i] if want == d else
                              (lambda s: (s.entropies, blt_core.patch_scores(s, threshold=threshold).patch_lengths))(
                                  blt_core.score(want, backend="onnx", model=str(tiny_card))))
        assert r["n_bytes"] == len(want) and not r["truncated"]
        np.testing.assert_allclose(np.array(r["entropies"], np.float32), e_ref, rtol=1e-3, atol=1e-3)
        assert r["patch_lengths"] == lengths_ref.tolist()
        assert r["patch_count"] == len(lengths_ref) and r["mean_patch_length"] == pytest.approx(len(want) / len(lengths_ref))
        assert r["mean_entropy"] == pytest.approx(float(np.mean(e_ref)), abs=1e-4)
    m = json.loads((out / "manifest.json").read_text())
    assert [s["file"] for s in m["shards"]] == ["part-00000-00000.parquet", "part-00000-00001.parquet",
                                                "part-00000-00002.parquet"]
    assert [s["rows"] for s in m["shards"]] == [4, 4, 2]
    assert m["totals"]["documents"] == len(DOCS)
    assert m["totals"]["bytes"] == sum(r["n_bytes"] for r in rows.values())
    assert m["totals"]["patches"] == sum(r["patch_count"] for r in rows.values())
    assert m["threshold"] == {"value": threshold, "chosen": "given"}
    assert m["model"]["name"] == "tiny-test" and len(m["model"]["sha256"]) == 64
    assert [i["path"] for i in m["inputs"]] == [str(p) for p in paths] and all(i["size"] > 0 for i in m["inputs"])
    assert m["backend"] == "onnx:cpu" and m["chunking"] == "continuous"
    assert "10 documents" in capsys.readouterr().out


def test_a_killed_run_resumes_to_the_uninterrupted_result(tiny_card, tmp_path):
    paths, _ = _inputs("text files", tmp_path)
    common = ["--model", tiny_card, "--backend", "onnx", "--shard-docs", 3, "--batch-docs", 2]
    assert _run(*paths, "--out", tmp_path / "whole", *common) == 0
    cut = tmp_path / "cut"
    assert _run(*paths, "--out", cut, *common, "--stop-after-shards", 1) == 0  # as if killed after shard 1
    assert not (cut / "manifest.json").exists()
    assert sorted(_scored(cut)) == [0, 1, 2]
    (cut / "part-00000-00001.parquet").write_bytes(b"half a shard")  # written, never recorded: rewritten
    assert _run(*paths, "--out", cut, *common, "--stop-after-shards", 1) == 0
    assert sorted(_scored(cut)) == [0, 1, 2, 3, 4, 5]
    assert _run(*paths, "--out", cut, *common) == 0
    whole, resumed = _scored(tmp_path / "whole"), _scored(cut)
    assert resumed.keys() == whole.keys() == set(range(len(DOCS)))
    assert all(resumed[i] == whole[i] for i in whole)
    m_whole, m_cut = (json.loads((d / "manifest.json").read_text()) for d in (tmp_path / "whole", cut))
    assert m_cut["shards"] == m_whole["shards"] and m_cut["totals"] == m_whole["totals"]
    assert m_cut["threshold"] == {"value": 4.0, "chosen": "model default"}  # the tiny card's default


def test_empty_documents_are_skipped_and_counted(tiny_card, tmp_path):
    (tmp_path / "e.jsonl").write_text('{"text": "first"}\n{"text": ""}\n\n{"text": "fourth"}\n')
    pq.write_table(pa.table({"text": pa.array(["x", None, ""], pa.string())}), tmp_path / "e.parquet")
    out = tmp_path / "o"
    assert _run(tmp_path / "e.jsonl", tmp_path / "e.parquet", "--out", out, "--model", tiny_card,
                "--backend", "onnx") == 0
    rows = _scored(out)
    assert {i: r["n_bytes"] for i, r in rows.items()} == {0: 5, 3: 6, 4: 1}
    assert (rows[4]["source"], rows[4]["source_index"]) == (str(tmp_path / "e.parquet"), 0)
    totals = json.loads((out / "manifest.json").read_text())["totals"]
    assert totals["documents"] == 3 and totals["empty_documents_skipped"] == 4


def test_resuming_with_other_settings_is_refused(tiny_card, tmp_path, capsys):
    paths, _ = _inputs("text files", tmp_path)
    common = ["--model", tiny_card, "--backend", "onnx", "--shard-docs", 3, "--out", tmp_path / "o"]
    assert _run(*paths, *common, "--stop-after-shards", 1) == 0
    assert _run(*paths, *common, "--threshold", 2.0) == 2
    assert "holds a run with other settings" in capsys.readouterr().err


def test_long_documents_are_cut_and_counted(tiny_card, tmp_path):
    paths, _ = _inputs("text files", tmp_path)
    assert _run(*paths[4:6], "--out", tmp_path / "o", "--model", tiny_card, "--backend", "onnx",
                "--max-doc-bytes", 100) == 0
    rows = _scored(tmp_path / "o")
    assert [r["n_bytes"] for r in rows.values()] == [100, 100] and all(r["truncated"] for r in rows.values())
    e = blt_core.score(DOCS[5][:100], backend="onnx", model=str(tiny_card)).entropies
    np.testing.assert_allclose(np.array(rows[1]["entropies"], np.float32), e, rtol=1e-3, atol=1e-3)
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["max_doc_bytes"] == 100 and m["totals"]["truncated_documents"] == 2


def test_target_patch_size_calibrates_on_the_sample(tiny_card, tmp_path):
    paths, _ = _inputs("text files", tmp_path)
    out = tmp_path / "o"
    assert _run(*paths, "--out", out, "--model", tiny_card, "--backend", "onnx", "--target-patch-size", 3,
                "--calibration-docs", 6) == 0
    th = json.loads((out / "manifest.json").read_text())["threshold"]
    assert th["chosen"] == "calibrated" and th["target"] == 3 and th["sample_docs"] == 6
    assert th["within_tolerance"] and th["achieved_mean_patch_length"] == pytest.approx(3, rel=0.02)
    rows = _scored(out)  # the written patches of the sample reach what calibration claims
    sample = [rows[i] for i in range(6)]
    assert sum(r["n_bytes"] for r in sample) / sum(r["patch_count"] for r in sample) == pytest.approx(
        th["achieved_mean_patch_length"])
    assert (out / "calibration.json").exists()


def test_corpus_threshold_is_the_best_pooled_candidate():
    """Against brute force over every candidate: no threshold gets nearer the pooled target."""
    rng = np.random.default_rng(3)
    docs = [rng.gamma(2.0, 1.0, n) for n in (1, 5, 40, 200, 17)]
    for target in (1.5, 3.0, 4.5, 8.0):
        cal = corpus_threshold(docs, target=target)
        cands = np.unique(np.concatenate([d[1:] for d in docs] + [[0.0]]))
        best = min(abs(pooled_mean_length(docs, c) - target) for c in cands)
        assert abs(cal.mean_patch_length - target) == pytest.approx(best)
        assert cal.mean_patch_length == pooled_mean_length(docs, cal.threshold)
    one_each = corpus_threshold(docs, target=100.0)  # above a document each: every document one patch
    assert one_each.mean_patch_length == pytest.approx(263 / 5) and not one_each.within_tolerance


@pytest.mark.parametrize("args, message", [
    (["missing.txt"], "error: file not found: missing.txt"),
    (["bad.jsonl"], "error: bad.jsonl line 2 has no field 'text' (choose the field with --field)"),
    (["t.parquet"], "error: t.parquet has no column 'text' (choose the column with --field); it has raw"),
    (["ok.txt", "--target-patch-size", "0.5"], "error: target mean patch length must be at least 1 byte, got 0.5"),
    (["ok.txt", "--dtype", "bfloat16"], "error: --dtype bfloat16 needs the torch backend"),
])
def test_bad_inputs_get_one_clear_line(args, message, tiny_card, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.jsonl").write_text('{"text": "fine"}\n{"body": "no text key"}\n')
    (tmp_path / "ok.txt").write_text("some text")
    pq.write_table(pa.table({"raw": [b"x"]}), tmp_path / "t.parquet")
    assert _run(*args, "--out", "o", "--model", tiny_card, "--backend", "onnx") == 2
    assert capsys.readouterr().err.strip() == message


def test_threshold_and_target_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as e:
        _run("a.txt", "--out", "o", "--threshold", "1", "--target-patch-size", "4")
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_a_broken_shard_is_reported_by_name_only(tmp_path):
    out = tmp_path / "runs" / "c"
    out.mkdir(parents=True)
    (out / "part-00000-00000.parquet").write_bytes(b"not parquet")
    (out / "manifest.json").write_text(json.dumps({"shards": [{"file": "part-00000-00000.parquet"}], "totals": {}}))
    with pytest.raises(ValueError, match=r"^corpus c: shard part-00000-00000.parquet cannot be read") as e:
        corpus_summary("c", [str(tmp_path / "runs")])
    assert str(tmp_path) not in str(e.value)
    (out / "manifest.json").write_text(json.dumps({"shards": [{"file": "../../etc/passwd"}], "totals": {}}))
    with pytest.raises(ValueError, match="is missing or not a shard file"):
        corpus_summary("c", [str(tmp_path / "runs")])


@pytest.mark.skipif(shutil.which("torchrun") is None and not (sys.prefix and __import__("os").path.exists(
    __import__("os").path.join(sys.prefix, "bin", "torchrun"))), reason="torchrun is not installed (torch missing)")
def test_two_ranks_under_torchrun_split_the_documents(tiny_card, reference, tmp_path):
    pytest.importorskip("torch")
    import os

    paths, _ = _inputs("text files", tmp_path)
    common = ["--model", str(tiny_card), "--backend", "onnx", "--shard-docs", "2", "--threshold", str(reference[0])]
    assert _run(*paths, "--out", tmp_path / "one", *common) == 0
    torchrun = os.path.join(sys.prefix, "bin", "torchrun")
    cmd = [torchrun, "--standalone", "--nproc-per-node", "2", "-m", "blt_core", "score-corpus",
           *map(str, paths), "--out", str(tmp_path / "two"), *common]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    two = tmp_path / "two"
    for rank in (0, 1):
        mine = [r["doc_index"] for f in sorted(two.glob(f"part-{rank:05d}-*.parquet")) for r in pq.read_table(f).to_pylist()]
        assert mine == list(range(rank, len(DOCS), 2))
    one, both = _scored(tmp_path / "one"), _scored(two)
    assert both.keys() == one.keys()
    for i in one:
        assert both[i]["patch_lengths"] == one[i]["patch_lengths"] and both[i]["n_bytes"] == one[i]["n_bytes"]
        np.testing.assert_allclose(np.array(both[i]["entropies"], np.float32), np.array(one[i]["entropies"], np.float32),
                                   atol=1e-3)
    m = json.loads((two / "manifest.json").read_text())
    assert m["world_size"] == 2 and m["totals"]["documents"] == len(DOCS)
    assert {s["file"][:10] for s in m["shards"]} == {"part-00000", "part-00001"}


@pytest.mark.parametrize("threshold", [0.5, 1.7, 99.0])
def test_batch_patch_lengths_equal_one_document_at_a_time(threshold):
    from blt_core.corpus.score import batch_patch_lengths, starts_lengths

    rng = np.random.default_rng(int(threshold * 10))
    docs = [rng.gamma(1.0, 1.0, int(n)).astype(np.float32) for n in rng.integers(1, 300, 40)]
    got = batch_patch_lengths(docs, threshold=threshold)
    want = [starts_lengths(e, bytes(len(e)), threshold=threshold) for e in docs]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == np.int32 and np.array_equal(g, w)


def test_a_failed_background_write_is_never_recorded(tiny_card, tmp_path, monkeypatch):
    """Shards are written on a background thread: one whose write fails stops the run with that error,
    stays out of the progress file, and the next run writes it and ends as an uninterrupted run."""
    import blt_core.corpus.run as corpus_run

    paths, _ = _inputs("text files", tmp_path)
    common = ["--model", tiny_card, "--backend", "onnx", "--shard-docs", 3, "--batch-docs", 2]
    assert _run(*paths, "--out", tmp_path / "whole", *common) == 0
    real = corpus_run.write_shard

    def second_fails(path, rows):
        if path.name == "part-00000-00001.parquet":
            raise OSError("disk full")
        return real(path, rows)

    monkeypatch.setattr(corpus_run, "write_shard", second_fails)
    cut = tmp_path / "cut"
    with pytest.raises(OSError, match="disk full"):
        corpus_run.run(corpus_run.Options(inputs=[str(p) for p in paths], out=str(cut), model=str(tiny_card),
                                          backend="onnx", shard_docs=3, batch_docs=2))
    progress = json.loads((cut / "progress-00000.json").read_text())
    assert [s["file"] for s in progress["shards"]] == ["part-00000-00000.parquet"] and not progress["done"]
    monkeypatch.setattr(corpus_run, "write_shard", real)
    assert _run(*paths, "--out", cut, *common) == 0
    assert _scored(cut) == _scored(tmp_path / "whole")


def test_compile_choice_picks_the_torch_path(tiny_card, tmp_path, monkeypatch):
    """--compile: on/off as given; auto compiles on a GPU only for a large share of the inputs; a bad
    choice is one clear line. On the CPU the torch backend stays eager whatever is chosen."""
    import blt_core.corpus.run as corpus_run

    assert corpus_run.use_fused("auto", corpus_run.FUSED_MIN_BYTES, cuda=True)
    assert not corpus_run.use_fused("auto", corpus_run.FUSED_MIN_BYTES - 1, cuda=True)
    assert not corpus_run.use_fused("on", 10**12, cuda=False) and not corpus_run.use_fused("off", 10**12, cuda=True)
    with pytest.raises(ValueError, match="unknown --compile 'yes'"):
        corpus_run.use_fused("yes", 1, cuda=True)
    paths, _ = _inputs("text files", tmp_path)
    seen = []
    monkeypatch.setattr(corpus_run, "use_fused", lambda choice, n, cuda: seen.append((choice, n, cuda)) or False)
    assert _run(*paths, "--out", tmp_path / "o", "--model", tiny_card, "--backend", "torch", "--compile", "on") == 0
    assert seen == [("on", sum(len(d) for d in DOCS), False)]
