import numpy as np
import pytest

from blt_core.entropy.scoring import plan_chunks, reduce_logits, score_bytes, segment_bounds


def test_plan_chunks_hand_example():
    assert plan_chunks([10, 3], window=4, chunk_tokens=8) == [[(0, 0, 8), (1, 0, 4)], [(0, 8, 4)]]


@pytest.mark.parametrize("n", [1, 15, 16, 17, 100, 1000])
def test_chunks_cover_every_position_once(n):
    rounds = plan_chunks([n], window=16, chunk_tokens=64)
    covered = [p for r in rounds for (_, start, _) in r for p in range(start, min(n, start + 64))]
    assert covered == list(range(n))
    assert all(L % 16 == 0 for r in rounds for (_, _, L) in r)


def test_segment_bounds():
    assert segment_bounds(b"ab\ncd", newline_reset=True) == [(0, 3), (3, 5)]
    assert segment_bounds(b"ab\n", newline_reset=True) == [(0, 3)]
    assert segment_bounds(b"ab\ncd", newline_reset=False) == [(0, 5)]


def test_reduce_logits_uniform():
    logits = np.zeros((3, 260), dtype=np.float32)
    e, s, (ids, p) = reduce_logits(logits, np.array([4, 5, 6]), top_k=2)
    assert np.allclose(e, np.log(260), atol=1e-5)
    assert np.allclose(s, np.log2(260), atol=1e-5)
    assert ids.shape == (3, 2) and np.allclose(p, 1 / 260)


def _torch_model(card):
    from blt_core.checkpoints import load_card
    from blt_core.entropy.torch_scorer import TorchEntropyModel

    return TorchEntropyModel.from_card(load_card(card), device="cpu")


def test_chunked_scoring_equals_one_full_pass(tiny_card):
    """Chunks of 64 tokens (window 16, 2 layers) give the entropies of one sliding-window pass."""
    torch = pytest.importorskip("torch")
    m = _torch_model(tiny_card)
    data = bytes(np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8))
    chunked = score_bytes(m.score_chunk, data, window=16, chunk_tokens=64, batch_tokens=256, stack=m.stack_pasts)
    ids = np.concatenate([[1], np.frombuffer(data[:-1], dtype=np.uint8).astype(np.int64) + 4])[None]
    with torch.no_grad():
        full = m.model(torch.from_numpy(ids), blocked=True).numpy()[0]
    e, _, _ = reduce_logits(full, np.frombuffer(data, dtype=np.uint8).astype(np.int64) + 4, top_k=0)
    assert np.abs(chunked.entropies - e).max() < 1e-4
    # without the carried past, every chunk would restart: the test can tell the difference
    restarted = score_bytes(m.score_chunk, data[64:], window=16, chunk_tokens=64)
    assert np.abs(restarted.entropies[16:64] - e[80:128]).max() > 1e-3


def test_newline_reset_scores_lines_independently(tiny_card):
    m = _torch_model(tiny_card)
    a = score_bytes(m.score_chunk, b"hello\nworld", window=16, newline_reset=True)
    b = score_bytes(m.score_chunk, b"world", window=16)
    c = score_bytes(m.score_chunk, b"hello\nworld", window=16, newline_reset=False)
    assert np.allclose(a.entropies[6:], b.entropies, atol=1e-5)
    assert not np.allclose(c.entropies[6:], b.entropies, atol=1e-5)


def test_progress_reports_every_call(tiny_card):
    m = _torch_model(tiny_card)
    seen = []
    score_bytes(m.score_chunk, b"x" * 500, window=16, chunk_tokens=64, batch_tokens=64, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (500, 500) and len(seen) > 3 and all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))


def _scorer(card, backend):
    """(score_chunk, stack) of the tiny card on one backend, as the facade wires them."""
    from blt_core.checkpoints import load_card

    if backend == "torch":
        m = _torch_model(card)
        return m.score_chunk, m.stack_pasts
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel

    return OnnxEntropyModel.from_card(load_card(card)).score_chunk, np.stack


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_chunked_entropies_beyond_the_receptive_field_are_unchanged(tiny_card, backend):
    """Window 16, 2 layers: a receptive field of 2 * 15 + 1 = 31 positions. Byte p is input p + 1
    (after BOS), so changing byte 20 may move entropies[21 .. 51] and none after. Chunks of one
    window (boundaries every 16 bytes) are the hardest case: the change reaches byte 48 only
    through two carried pasts, and the unchanged tail crosses six more boundaries."""
    if backend == "torch":
        pytest.importorskip("torch")
    score_chunk, stack = _scorer(tiny_card, backend)
    field, p = 2 * (16 - 1) + 1, 20
    data = bytes(np.random.default_rng(0).integers(0, 256, 5 * field, dtype=np.uint8))
    changed = bytearray(data)
    changed[p] ^= 0x01

    def entropies(d: bytes) -> np.ndarray:
        return score_bytes(score_chunk, d, window=16, chunk_tokens=16, stack=stack).entropies

    moved = np.abs(entropies(data) - entropies(bytes(changed)))
    assert moved[:p + 1].max() == 0  # entropies[k] reads bytes before k only
    assert moved[p + 1 + field:].max() <= 1e-6  # beyond the field: 103 bytes, none sees it
    assert moved[48:p + 1 + field].max() > 1e-3  # two chunk boundaries on, inside the field, it is seen


@pytest.mark.parametrize("segs", [[(0, 5), (5, 9), (9, 20)], [(0, 3), (7, 20)], [(4, 9), (0, 4)], [(0, 9), (3, 12)],
                                  [(3, 3), (3, 5)]])
def test_segment_inputs_equal_one_copy_per_segment(segs):
    """The shifted-view inputs (disjoint, ordered segments) and the copies (any others) are the same
    numbers as BOS + the segment's ids but the last."""
    from blt_core.constants import BOS_ID
    from blt_core.entropy.scoring import segment_inputs

    ids = np.arange(100, 120, dtype=np.int64)
    got = segment_inputs(ids, segs)
    for (s, e), x in zip(segs, got):
        assert x.dtype == np.int64 and x.tolist() == np.concatenate([[BOS_ID], ids[s:e - 1]]).tolist()


@pytest.mark.parametrize("newline_reset", [False, True])
def test_lagged_scoring_equals_immediate(tiny_card, newline_reset):
    """lag=True (a GPU's deferred copies) gives the same outputs as lag=False on the chunked and packed
    paths, top-k included, and progress still adds up to the whole input."""
    m = _torch_model(tiny_card)
    rng = np.random.default_rng(3)
    data = b"\n".join(bytes(rng.integers(32, 127, n, dtype=np.uint8)) for n in (5, 300, 40, 700, 9))
    seen = []
    kw = dict(window=16, chunk_tokens=64, batch_tokens=128, newline_reset=newline_reset, top_k=3,
              stack=m.stack_pasts)
    now = score_bytes(m.score_chunk, data, **kw)
    later = score_bytes(m.score_chunk, data, lag=True, progress=lambda d, n: seen.append(d), **kw)
    for a, b in zip((now.entropies, now.surprisal, now.top_ids, now.top_probs),
                    (later.entropies, later.surprisal, later.top_ids, later.top_probs)):
        assert np.array_equal(a, b)
    assert seen[-1] == len(data) and seen == sorted(seen)


def test_lag_waits_for_a_call_only_after_the_next_is_queued():
    """The order a GPU needs: call r+1 is launched before call r's outputs are awaited."""
    log = []

    class Pending:
        def __init__(self, k):
            self.k = k

        def wait(self):
            log.append(f"wait {self.k}")
            return np.zeros((1, 16), np.float32), np.zeros((1, 16), np.float32), None

    def score_chunk(ids, targets, start_pos, past_kv, has_past, top_k, deferred=False, **_):
        assert deferred
        log.append(f"call {start_pos}")
        return Pending(start_pos), None, None, np.zeros((1, 2, 1, 1, 16, 4), np.float32)

    score_bytes(score_chunk, bytes(48), window=16, chunk_tokens=16, lag=True)
    assert log == ["call 0", "call 16", "wait 0", "call 32", "wait 16", "wait 32"]


@pytest.mark.parametrize("order", [[1, 2, 3], [0], [2, 1], [0, 2], [0, 1, 3], [3, 1, 0]])
def test_stack_pasts_views_only_evenly_spaced_slices(order):
    """A view of the last present when the streams go on in order (or evenly spaced), a copy otherwise;
    the same values."""
    torch = pytest.importorskip("torch")
    from blt_core.entropy.torch_scorer import TorchEntropyModel

    present = torch.arange(2 * 2 * 4 * 3 * 8 * 5, dtype=torch.float32).reshape(2, 2, 4, 3, 8, 5)
    got = TorchEntropyModel.stack_pasts([present[:, :, b] for b in order], 2)
    assert torch.equal(got, torch.stack([present[:, :, b] for b in order], dim=2))
    steps = set(np.diff(order).tolist()) or {1}
    evenly = len(steps) == 1 and steps.pop() > 0
    assert (got.untyped_storage().data_ptr() == present.untyped_storage().data_ptr()) == evenly
    # slices of different tensors, or of one tensor's different layers, are stacked by copy
    other = present.clone()
    mixed = TorchEntropyModel.stack_pasts([present[:, :, 0], other[:, :, 1]], 2)
    assert torch.equal(mixed, present[:, :, :2])
    assert mixed.untyped_storage().data_ptr() != present.untyped_storage().data_ptr()
