"""The flex_attention forward (issue 14) computes EntropyModel.forward_chunk(blocked=True): same logits,
same present keys and values, for every case score_bytes sends (first chunk, carried past in some
rows only, packed rows, several windows per chunk); and its block layout never skips a seen pair."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.nn.attention.flex_attention import create_mask  # noqa: E402

from blt_core.entropy.flex_forward import FlexForward, window_blocks, window_mask_mod  # noqa: E402
from blt_core.entropy.model import EntropyModel, EntropyModelConfig  # noqa: E402
from blt_core.entropy.scoring import score_bytes  # noqa: E402
from blt_core.entropy.torch_scorer import TorchEntropyModel  # noqa: E402

W = 16
CFG = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=W)


@pytest.fixture(scope="module")
def model() -> EntropyModel:
    torch.manual_seed(0)
    m = EntropyModel(CFG).init_weights(seed=1)
    with torch.no_grad():  # sharper than the 0.02 init, so a wrong mask moves the outputs visibly
        for p in m.parameters():
            if p.dim() > 1:
                p.mul_(20)
    return m.eval()


def _past(B: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(CFG.num_hidden_layers, 2, B, CFG.num_attention_heads, W, CFG.head_dim, generator=g)


def _packed(B: int, T: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of random-length segments, each with positions from 0, and a padding tail of segment -1."""
    rng = np.random.default_rng(seed)
    positions, segments = np.zeros((B, T), dtype=np.int64), np.full((B, T), -1, dtype=np.int64)
    for b in range(B):
        o, j = 0, 0
        while o < T - 5:
            n = int(rng.integers(1, 2 * W))
            n = min(n, T - 5 - o)
            positions[b, o:o + n], segments[b, o:o + n] = np.arange(n), j
            o, j = o + n, j + 1
    return torch.from_numpy(positions), torch.from_numpy(segments)


def _check(model, ids, *, pad: bool = False, **kw):
    with torch.no_grad():
        ref, ref_present = model.forward_chunk(ids, blocked=True, **kw)
    flex = FlexForward(model)
    flex.pad_to_bucket = pad  # as when compiled: the chunk padded up to bucket_length
    got, present = flex(ids, **kw)
    assert got.shape == ref.shape and present.shape == ref_present.shape
    assert (got - ref).abs().max() < 1e-4
    assert (present - ref_present).abs().max() < 1e-4


@pytest.mark.parametrize("T", [W, 2 * W, 5 * W])
def test_no_past(model, T):
    _check(model, torch.randint(4, 260, (3, T), generator=torch.Generator().manual_seed(T)))


@pytest.mark.parametrize("T", [W, 4 * W])
def test_past_in_some_rows_only(model, T):
    ids = torch.randint(4, 260, (3, T), generator=torch.Generator().manual_seed(T))
    _check(model, ids, start_pos=3 * W, past_kv=_past(3, T), has_past=torch.tensor([True, False, True]))


@pytest.mark.parametrize("packed", [False, True])
def test_padded_to_a_bucket(model, packed):
    """3 windows run as 4 (bucket_length), as the compiled path does: the same outputs, the same present."""
    T = 3 * W
    ids = torch.randint(4, 260, (3, T), generator=torch.Generator().manual_seed(7))
    if packed:
        positions, segments = _packed(3, T, seed=7)
        _check(model, ids, pad=True, positions=positions, segments=segments)
    else:
        _check(model, ids, pad=True, start_pos=W, past_kv=_past(3, 7), has_past=torch.tensor([True, False, True]))


def test_the_past_matters(model):
    """A row with a past and the same row without one differ (so the test above can fail)."""
    ids = torch.randint(4, 260, (1, W), generator=torch.Generator().manual_seed(1)).expand(2, W)
    logits, _ = FlexForward(model)(ids, start_pos=W, past_kv=_past(2, 1), has_past=torch.tensor([True, False]))
    assert (logits[0] - logits[1]).abs().max() > 1e-2


def test_past_without_has_past_is_ignored(model):
    ids = torch.randint(4, 260, (2, 2 * W), generator=torch.Generator().manual_seed(2))
    _check(model, ids, past_kv=_past(2, 2))


@pytest.mark.parametrize("T", [2 * W, 6 * W])
def test_packed_rows(model, T):
    positions, segments = _packed(3, T, seed=T)
    _check(model, torch.randint(4, 260, (3, T), generator=torch.Generator().manual_seed(T)), positions=positions,
           segments=segments)


def test_packed_rows_with_a_past(model):
    """Not a case score_bytes sends, but the kernels agree on it: past keys follow has_past alone."""
    positions, segments = _packed(2, 2 * W, seed=3)
    ids = torch.randint(4, 260, (2, 2 * W), generator=torch.Generator().manual_seed(3))
    _check(model, ids, positions=positions, segments=segments, past_kv=_past(2, 3),
           has_past=torch.tensor([False, True]))


@pytest.mark.parametrize("window", [3, 4, 6, 16])
def test_block_layout_covers_the_mask(window):
    """For every block size and chunk length (ragged last blocks included), the blocks computed are
    exactly those holding a pair some row sees, and a full block's pairs are seen in every row (the
    compiled kernel skips the mask there). The CPU kernel never reads the layout, so this is its test."""
    for past_len in (0, window):
        mod = window_mask_mod(window, past_len, torch.tensor([True, False]), None)
        for q_len in (window, 3 * window + 1):
            dense = create_mask(mod, 2, 1, q_len, past_len + q_len, device="cpu")[:, 0]  # (B, Q, KV)
            for block in range(1, window + 2):
                partial, full = window_blocks(q_len, past_len=past_len, window=window, block=block)
                seen = torch.nn.functional.max_pool2d(dense.any(0)[None].float(), block, ceil_mode=True)[0].bool()
                assert torch.equal(partial | full, seen) and not (partial & full).any()
                in_full = full.repeat_interleave(block, 0)[:q_len].repeat_interleave(block, 1)[:, :past_len + q_len]
                assert dense[:, in_full].all()


def test_hand_checkable_window():
    """Window 2, no past: query 3 sees keys 2 and 3 (blocked_window_attention's own example)."""
    seen = create_mask(window_mask_mod(2, 0, None, None), 1, 1, 4, 4, device="cpu")[0, 0].tolist()
    assert seen[3] == [False, False, True, True] and seen[2] == [False, True, True, False]


@pytest.mark.parametrize("newline_reset", [False, True])
def test_scorer_fused_path_scores_as_the_blocked_one(model, newline_reset):
    """score_bytes through TorchEntropyModel(fused=True) (eager on CPU): chunked with carried pasts, or
    newline reset's packed rows; CPU keeps the blocked path unless asked."""
    fused, plain = (TorchEntropyModel(model, device="cpu", fused=f) for f in (True, None))
    assert plain._flex is None
    rng = np.random.default_rng(0)
    data = b"".join(bytes(rng.integers(32, 127, int(n), dtype=np.uint8)) + b"\n" for n in rng.integers(0, 90, 12))
    kw = {"window": 16, "chunk_tokens": 64, "batch_tokens": 256, "newline_reset": newline_reset, "top_k": 3}
    a = score_bytes(fused.score_chunk, data, stack=fused.stack_pasts, **kw)
    b = score_bytes(plain.score_chunk, data, stack=plain.stack_pasts, **kw)
    assert np.abs(a.entropies - b.entropies).max() < 1e-4
    assert np.abs(a.surprisal - b.surprisal).max() < 1e-4
    assert np.abs(a.top_probs - b.top_probs).max() < 1e-4
