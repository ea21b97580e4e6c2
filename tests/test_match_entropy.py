"""An entropy model with match-model inputs (issue 13, entropy/matches.py): the search finds what a
brute-force scan finds, and chunked scoring, packed rows, the fused path and the ONNX graph all
equal one full pass, because each chunk gets the window's ids before it."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blt_core.constants import BOS_ID, OFFSET  # noqa: E402
from blt_core.entropy.matches import NONE, PAD_ID, kgram_hashes, match_inputs, order_hashes  # noqa: E402
from blt_core.entropy.model import EntropyModel, EntropyModelConfig  # noqa: E402
from blt_core.entropy.torch_scorer import TorchEntropyModel  # noqa: E402
from tests.test_ngram_entropy import TEXT, assert_one_pass, full_pass, sharp_model  # noqa: E402

CFG = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=16,
                         ngram_sizes=(2, 3), ngram_buckets=97, match_orders=(2, 4))


def brute_force(seq: list[int], t: int, k: int, window: int, seg: list[int] | None = None) -> int:
    """The match input of byte t by definition: the latest j < t with seq[j-k+1..j] == seq[t-k+1..t],
    all of j-k+1 .. j+1 inside t's window (and t's segment); the byte at j + 1, or NONE."""
    seg = seg or [0] * len(seq)
    if t - k + 1 < 0 or any(s != seg[t] for s in seg[t - k + 1:t + 1]):
        return NONE
    for j in range(t - 1, t - window + k - 1, -1):
        lo = j - k + 1
        if lo < 0 or any(s != seg[t] for s in seg[lo:j + 2]):
            continue
        if seq[lo:j + 1] == seq[t - k + 1:t + 1]:
            return seq[j + 1]
    return NONE


def test_search_equals_brute_force_with_segments_and_context():
    g = torch.Generator().manual_seed(0)
    window, orders = 12, (1, 2, 3)
    seq = torch.randint(10, 14, (60,), generator=g).tolist()  # four symbols: many matches of every order
    seg = [0] * 25 + [1] * 20 + [2] * 15
    ids, context = torch.tensor([seq]), torch.full((1, window - 1), PAD_ID)
    for k, (pred, found) in zip(orders, match_inputs(ids, context, orders=orders, window=window)):
        assert pred[0].tolist() == [brute_force(seq, t, k, window) for t in range(60)]
        assert torch.equal(found, pred != NONE)
    packed = match_inputs(ids, context, orders=orders, window=window, segments=torch.tensor([seg]))
    for k, (pred, _) in zip(orders, packed):
        assert pred[0].tolist() == [brute_force(seq, t, k, window, seg) for t in range(60)]
    # a chunk that starts at byte 30, with the 11 ids before it as context, sees what one pass sees
    late = match_inputs(ids[:, 30:], ids[:, 30 - (window - 1):30], orders=orders, window=window)
    for (pred, _), (whole, _) in zip(late, match_inputs(ids, context, orders=orders, window=window)):
        assert torch.equal(pred, whole[:, 30:])
    with pytest.raises(ValueError, match="window - 1"):
        match_inputs(ids, context[:, :3], orders=orders, window=window)


def test_doubled_orders_hash_as_the_definition_does():
    """order_hashes composes 8 from 4, 16 from 8 (and 12 by the loop): the same numbers as hashing
    each k-gram directly, padding before the array and other segments' ids included."""
    g = torch.Generator().manual_seed(2)
    full = torch.randint(4, 9, (2, 90), generator=g)
    full[:, :20] = PAD_ID
    seg = (torch.arange(90) // 23).repeat(2, 1)
    for s in (None, seg):
        got = order_hashes(full, (4, 8, 12, 16), s)
        for k in (4, 8, 12, 16):
            assert torch.equal(got[k], kgram_hashes(full, k, s)), k


def test_a_run_and_a_copy_predict_their_next_byte():
    run = torch.tensor([[20] * 10])
    pred, _ = match_inputs(run, torch.full((1, 15), PAD_ID), orders=(3,), window=16)[0]
    assert pred[0].tolist() == [NONE] * 3 + [20] * 7  # from the 4th byte the latest 3-gram is one back
    text = list(range(30, 42))
    pred, _ = match_inputs(torch.tensor([text + text]), torch.full((1, 31), PAD_ID), orders=(4,), window=32)[0]
    assert pred[0, 15:23].tolist() == text[4:12]  # the second copy predicts the first copy's next bytes


def test_config_context_and_older_cards():
    assert CFG.context == 15 and EntropyModelConfig(ngram_sizes=(2, 6), ngram_buckets=7).context == 5
    assert EntropyModelConfig().context == 0 and "match_orders" not in EntropyModelConfig().to_dict()
    again = EntropyModelConfig.from_dict({**CFG.to_dict(), "match_orders": [4, 2]})  # JSON gives a list
    assert again == CFG
    with pytest.raises(ValueError, match="match orders"):
        EntropyModelConfig(window=16, match_orders=(16,))


@pytest.fixture(scope="module")
def model() -> EntropyModel:
    return sharp_model(CFG)


def test_chunked_packed_and_fused_scoring_equal_one_pass(model):
    """Chunks of 32 with a window of 16: each chunk after the first needs the 15 ids before it."""
    plain = TorchEntropyModel(model, device="cpu")
    assert plain.context == 15
    assert_one_pass(model, plain)
    assert_one_pass(model, TorchEntropyModel(model, device="cpu", fused=True))
    from blt_core.entropy.scoring import score_bytes

    blind = score_bytes(plain.score_chunk, TEXT, window=16, chunk_tokens=32, batch_tokens=64, context=0)
    assert np.abs(blind.entropies - full_pass(model, TEXT)).max() > 1e-2  # the context is what makes them equal
    with pytest.raises(ValueError, match="window - 1"):  # the n-gram context alone is refused
        score_bytes(plain.score_chunk, TEXT, window=16, chunk_tokens=32, batch_tokens=64, context=3)


def test_match_rows_change_the_output_only_where_a_match_is(model):
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in TEXT[:60]]])
    bare = EntropyModel(CFG).eval()
    bare.load_state_dict(model.state_dict())
    with torch.no_grad():
        for t in bare.match_embeddings:
            t.weight[:NONE] = 0  # only the "no match" rows left
        diff = (bare(ids) - model(ids)).abs().amax(-1)[0]
    found = torch.stack([f for _, f in match_inputs(ids, torch.full((1, 15), PAD_ID), orders=(2, 4), window=16)]).any(0)[0]
    assert found.any() and not found.all()
    assert bool((diff[:int(found.nonzero()[0])] == 0).all())  # before the first match: identical


def test_onnx_graph_equals_one_pass(model, tmp_path):
    pytest.importorskip("onnxruntime")
    from blt_core.entropy.export import export
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel

    m = OnnxEntropyModel(str(export(model, tmp_path / "match.onnx")), window=16)
    assert m.context == 15
    assert_one_pass(model, m)


def test_fine_tune_from_a_model_without_matches_starts_where_it_was(tmp_path):
    """train_entropy --init-from a model without match tables: those start at zero, so the model
    scores as before; a weight of any other name missing is still an error."""
    from safetensors.torch import save_file

    from blt_core.train.common import init_from

    old_cfg = EntropyModelConfig(**{**CFG.__dict__, "match_orders": ()})
    old = EntropyModel(old_cfg).init_weights(seed=5).eval()
    f = tmp_path / "old.safetensors"
    save_file({k: v.contiguous() for k, v in old.state_dict().items()}, str(f))
    new = init_from(EntropyModel(CFG).init_weights(seed=9), str(f), new=("match_embeddings.",)).eval()
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in TEXT]])
    with torch.no_grad():
        assert torch.allclose(new(ids), old(ids), atol=1e-5)
    with pytest.raises(RuntimeError, match="does not fit"):
        init_from(EntropyModel(CFG), str(f))


@pytest.fixture(scope="module")
def boosted() -> EntropyModel:
    """A sharp match model with a match boost of its own (EntropyModel.head), not zero."""
    from dataclasses import replace

    m = sharp_model(replace(CFG, match_boost=True, match_boost_bytes=True))
    with torch.no_grad():
        m.match_boost.bias.copy_(torch.tensor([2.0, 3.0]))
        m.match_boost_run.copy_(torch.tensor([0.5, 1.0]))
        m.match_boost_run_byte.weight.copy_(torch.linspace(-1, 1, 2 * CFG.vocab_size).reshape(-1, 2))
    return m


def test_run_boost_per_byte_value_lifts_only_its_own_runs(boosted):
    """match_boost_bytes: where a match predicts the byte it reads again (a run), that byte value's own
    row adds to the shared run constant; elsewhere, and for other values, nothing changes."""
    import copy

    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in b"xyz " + b"a" * 12 + b" " + b"b" * 12]])
    other = copy.deepcopy(boosted)
    a = ord("a") + OFFSET
    with torch.no_grad():
        other.match_boost_run_byte.weight[a] += torch.tensor([0.7, 1.1])
        diff = other(ids) - boosted(ids)
    preds = [p for p, _ in match_inputs(ids, torch.full((1, 15), PAD_ID), orders=(2, 4), window=16)]
    changed = diff.abs().sum(-1)[0] > 0
    want = sum(((p == ids) & (ids == a)).long() for p in preds)[0] > 0  # inside the run of a, a match says a
    assert want.any() and torch.equal(changed, want)
    t = int(want.nonzero()[-1])  # deep in the run both orders match: both rows add to a's logit
    assert diff[0, t, a].item() == pytest.approx(1.8) and diff[0, t].abs().sum().item() == pytest.approx(1.8)
    with pytest.raises(ValueError, match="per byte value"):
        EntropyModelConfig(match_orders=(2,), match_boost_bytes=True)


def test_boost_raises_the_matched_byte_only_where_a_match_is(boosted):
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in TEXT[:60]]])
    plain = EntropyModel(CFG).eval()
    plain.load_state_dict({k: v for k, v in boosted.state_dict().items() if not k.startswith("match_boost")})
    preds = [p for p, _ in match_inputs(ids, torch.full((1, 15), PAD_ID), orders=(2, 4), window=16)]
    with torch.no_grad():
        diff = boosted(ids) - plain(ids)
    found = (preds[0] != NONE) | (preds[1] != NONE)
    assert found.any() and not found.all()
    assert bool((diff[~found] == 0).all())  # no match: the plain model's logits
    t = int(found[0].nonzero()[0])
    lifted = diff[0, t].nonzero().flatten().tolist()
    assert lifted == sorted({int(p[0, t]) for p in preds if p[0, t] != NONE})


def test_boosted_model_scores_as_one_pass_on_every_backend(boosted, tmp_path):
    pytest.importorskip("onnxruntime")
    from blt_core.entropy.export import export
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel

    assert_one_pass(boosted, TorchEntropyModel(boosted, device="cpu"))
    assert_one_pass(boosted, TorchEntropyModel(boosted, device="cpu", fused=True))
    assert_one_pass(boosted, OnnxEntropyModel(str(export(boosted, tmp_path / "boost.onnx")), window=16))
    with pytest.raises(ValueError, match="match boost"):
        EntropyModelConfig(match_boost=True)


def test_float_tables_start_from_a_shipped_int8_file(boosted, tmp_path):
    """init_from dequantizes a shipped card's int8 n-gram tables into a model with float tables (a GPU
    fine-tune from the shipped weights trains them): it scores as the int8 model does."""
    import copy

    from safetensors.torch import save_file

    from blt_core.train.common import init_from

    shipped = copy.deepcopy(boosted).quantize_tables()
    f = tmp_path / "shipped.safetensors"
    save_file({k: v.contiguous() for k, v in shipped.state_dict().items()}, str(f))
    grown = init_from(EntropyModel(boosted.config), str(f)).eval()
    assert all(isinstance(t, torch.nn.Embedding) for t in grown.ngram_embeddings)
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in TEXT[:80]]])
    with torch.no_grad():
        torch.testing.assert_close(grown(ids), shipped(ids), atol=1e-4, rtol=1e-5)
