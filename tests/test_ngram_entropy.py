"""An entropy model with hashed n-gram embeddings (issue 13): chunked scoring, packed rows and the
ONNX graph all equal one full pass, because each chunk gets the ids before it (its `context`)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blt_core.constants import BOS_ID, OFFSET  # noqa: E402
from blt_core.entropy.model import EntropyModel, EntropyModelConfig  # noqa: E402
from blt_core.entropy.ngrams import PAD_ID, ngram_buckets  # noqa: E402
from blt_core.entropy.scoring import score_bytes  # noqa: E402
from blt_core.entropy.torch_scorer import TorchEntropyModel  # noqa: E402
from blt_core.nn import entropy_nats  # noqa: E402

CFG = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=16,
                         ngram_sizes=(2, 3, 4), ngram_buckets=97)
TEXT = "The cat sat on the mat. The cat sat on the mat again!\nA second line, and a third:\nabc abc abc.\n".encode()


def sharp_model(cfg: EntropyModelConfig) -> EntropyModel:
    """A random model with sharp outputs: entropies vary byte to byte, so a wrong context shows."""
    m = EntropyModel(cfg).init_weights(seed=3)
    with torch.no_grad():
        for p in m.parameters():
            if p.dim() > 1:
                p.mul_(20)
    return m.eval()


@pytest.fixture(scope="module")
def model() -> EntropyModel:
    return sharp_model(CFG)


def full_pass(model: EntropyModel, data: bytes) -> np.ndarray:
    """Entropies of one pass over [BOS, b0, ..., b(n-2)], the whole input at once."""
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in data[:-1]]])
    with torch.no_grad():
        return entropy_nats(model(ids))[0].numpy()


def test_hash_reads_only_its_own_segment_and_the_context():
    ids = torch.tensor([[10, 11, 12, 13]])
    ctx = torch.tensor([[7, 8]])
    plain = ngram_buckets(ids, ctx, sizes=(3,), buckets=10**9)[0]
    assert plain[0, 0] == ((10 + 1) * 263 + (8 + 1)) * 263 + (7 + 1)  # id t, t-1, t-2 (two from the context)
    seg = ngram_buckets(ids, ctx, sizes=(3,), buckets=10**9, segments=torch.tensor([[0, 0, 1, 1]]))[0]
    pad = PAD_ID + 1
    assert seg[0, 2] == ((12 + 1) * 263 + pad) * 263 + pad  # a segment's first id sees padding before it
    assert seg[0, 1] == ((11 + 1) * 263 + (10 + 1)) * 263 + (8 + 1)  # the context is the first segment's
    with pytest.raises(ValueError, match="context"):
        ngram_buckets(ids, ctx[:, :1], sizes=(3,), buckets=5)


def test_config_keeps_older_cards_unchanged():
    plain = EntropyModelConfig()
    assert "ngram_sizes" not in plain.to_dict()
    again = EntropyModelConfig.from_dict({**CFG.to_dict(), "ngram_sizes": [4, 2, 3]})  # JSON gives a list
    assert again == CFG and again.ngram_sizes == (2, 3, 4)


def test_chunked_scoring_equals_one_pass(model):
    """Chunks of 32 with a window of 16: every chunk after the first needs the three ids before it."""
    m = TorchEntropyModel(model, device="cpu")
    assert m.context == 3 and not m.fused
    ref = full_pass(model, TEXT)
    got = score_bytes(m.score_chunk, TEXT, window=16, chunk_tokens=32, batch_tokens=64, context=m.context)
    np.testing.assert_allclose(got.entropies, ref, atol=1e-4)
    blind = score_bytes(m.score_chunk, TEXT, window=16, chunk_tokens=32, batch_tokens=64, context=0)
    assert np.abs(blind.entropies - ref).max() > 1e-2  # the context is what makes them equal


def assert_one_pass(model: EntropyModel, m) -> None:
    """Scorer m, chunked (32 ids, window 16) and with packed lines, equals one full pass."""
    got = score_bytes(m.score_chunk, TEXT, window=16, chunk_tokens=32, batch_tokens=64, context=m.context)
    np.testing.assert_allclose(got.entropies, full_pass(model, TEXT), atol=1e-4)
    lines = score_bytes(m.score_chunk, TEXT, window=16, chunk_tokens=64, newline_reset=True, context=m.context)
    first = TEXT.index(b"\n") + 1
    np.testing.assert_allclose(lines.entropies[:first], full_pass(model, TEXT[:first]), atol=1e-4)


def test_fused_path_reads_the_context(model):
    """FlexForward (the GPU's path; eager here) takes the same context and segments."""
    assert_one_pass(model, TorchEntropyModel(model, device="cpu", fused=True))


def test_packed_lines_equal_each_line_alone(model):
    m = TorchEntropyModel(model, device="cpu")
    got = score_bytes(m.score_chunk, TEXT, window=16, chunk_tokens=64, newline_reset=True, context=m.context)
    start = 0
    for line in TEXT.splitlines(keepends=True):
        np.testing.assert_allclose(got.entropies[start:start + len(line)], full_pass(model, line), atol=1e-4)
        start += len(line)


def test_onnx_graph_reads_the_context_and_float16_tables(model, tmp_path):
    """As finalize_entropy ships it: float16 tables in the safetensors, read by the graph from there."""
    pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    import copy

    from safetensors.torch import save_file

    from blt_core.entropy.export import export
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel
    from blt_core.onnx_weights import link_weights

    half = copy.deepcopy(model).half_tables()
    st = tmp_path / "ngram.safetensors"
    save_file({k: v.contiguous() for k, v in half.state_dict().items()}, str(st))
    graph = export(half, tmp_path / "ngram.onnx")
    assert link_weights(graph, st) >= len(CFG.ngram_sizes)  # each table is stored once, in the safetensors
    tables = [i for i in onnx.load(str(graph), load_external_data=False).graph.initializer
              if i.data_type == onnx.TensorProto.FLOAT16 and list(i.dims) == [CFG.ngram_buckets, CFG.hidden_size]]
    assert len(tables) == len(CFG.ngram_sizes)
    assert all(t.data_location == onnx.TensorProto.EXTERNAL for t in tables)  # float16 as stored, not copied
    m = OnnxEntropyModel(str(graph), window=16)
    assert m.context == 3
    assert_one_pass(half, m)
    assert_one_pass(half, TorchEntropyModel(half, device="cpu"))
    assert np.abs(full_pass(half, TEXT) - full_pass(model, TEXT)).max() < 0.05  # float16 rounding moves little


def test_int8_tables_as_finalize_ships_them(model, tmp_path):
    """quantize_tables: int8 rows and a scale each, in the safetensors once and read by the graph
    from there; the card's config says so, and a model built from it loads them back."""
    pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    import copy

    from safetensors.torch import save_file

    from blt_core.backends import load_weights
    from blt_core.entropy.export import export
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel
    from blt_core.onnx_weights import link_weights

    q = copy.deepcopy(model).quantize_tables()
    assert q.config.to_dict()["ngram_tables"] == "int8" and "ngram_tables" not in model.config.to_dict()
    for t, f in zip(q.ngram_embeddings, model.ngram_embeddings):  # each element within half a step of its row
        assert t.weight.dtype == torch.int8
        assert bool(((t(torch.arange(CFG.ngram_buckets)) - f.weight).abs() <= t.scale[:, None] / 2 + 1e-7).all())
    st = tmp_path / "ngram.safetensors"
    save_file({k: v.contiguous() for k, v in q.state_dict().items()}, str(st))
    graph = export(q, tmp_path / "ngram.onnx")
    assert link_weights(graph, st) >= len(CFG.ngram_sizes)
    tables = [i for i in onnx.load(str(graph), load_external_data=False).graph.initializer
              if i.data_type == onnx.TensorProto.INT8 and list(i.dims) == [CFG.ngram_buckets, CFG.hidden_size]]
    assert len(tables) == len(CFG.ngram_sizes)
    assert all(t.data_location == onnx.TensorProto.EXTERNAL for t in tables)  # stored once, as int8
    assert_one_pass(q, OnnxEntropyModel(str(graph), window=16))
    loaded = load_weights(EntropyModel(EntropyModelConfig.from_dict(q.config.to_dict())), st).eval()
    assert np.array_equal(full_pass(loaded, TEXT), full_pass(q, TEXT))
    assert_one_pass(loaded, TorchEntropyModel(loaded, device="cpu"))
    assert np.abs(full_pass(q, TEXT) - full_pass(model, TEXT)).max() < 0.1  # int8 rounding moves little


def test_ngram_dropout_acts_in_training_only():
    """--ngram-dropout drops whole n-gram rows while training; evaluation and scoring never see it."""
    m = EntropyModel(CFG).init_weights(seed=3)
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in TEXT[:40]]])
    m.eval()
    plain = m.embed(ids)
    m.ngram_dropout = 0.5
    assert torch.equal(m.embed(ids), plain)  # eval: unchanged
    m.train()
    torch.manual_seed(0)
    x = m.embed(ids)
    assert not torch.allclose(x, plain)
    # each position keeps its byte embedding; every table row is either dropped or scaled by 2
    rows = [t(h) for t, h in zip(m.ngram_embeddings, ngram_buckets(ids, torch.full((1, 3), PAD_ID), sizes=CFG.ngram_sizes,
                                                                    buckets=CFG.ngram_buckets))]
    extra = x - m.tok_embeddings(ids)
    combos = list(itertools.product((0.0, 2.0), repeat=len(rows)))
    for pos in range(ids.shape[1]):
        assert any(torch.allclose(extra[0, pos], sum(c * r[0, pos] for c, r in zip(combo, rows)), atol=1e-6)
                   for combo in combos)
