"""Newline reset packs lines into shared rows (scoring.pack_rows): the same numbers as scoring
every line alone, for a fraction of the positions computed (issue 12, point 2)."""

import numpy as np
import pytest

from blt_core.entropy.scoring import pack_rows, score_bytes

W, CHUNK = 16, 64  # the tiny card's window; rows of 4 windows, so long lines take the chunked path


def test_pack_rows_hand_example():
    assert pack_rows([3, 5, 2, 4], capacity=8) == [[(1, 0), (0, 5)], [(3, 0), (2, 4)]]


@pytest.mark.parametrize("seed", range(5))
def test_pack_rows_places_every_segment_once_without_overlap(seed):
    lengths = [int(n) for n in np.random.default_rng(seed).integers(1, 65, 200)]
    rows = pack_rows(lengths, capacity=64)
    placed = sorted(seg for row in rows for seg, _ in row)
    assert placed == list(range(len(lengths)))
    for row in rows:
        spans = sorted((o, o + lengths[seg]) for seg, o in row)
        assert spans[0][0] == 0 and spans[-1][1] <= 64
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    short = [int(n) for n in np.random.default_rng(seed).integers(1, 17, 400)]  # short lines fill rows
    assert len(pack_rows(short, capacity=64)) <= -(-sum(short) // 64) + 1


def _texts() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    line = lambda n: bytes(rng.integers(32, 127, n, dtype=np.uint8)) + b"\n"  # noqa: E731 (n + 1 bytes)
    return {
        "random lines with empty ones": b"".join(line(int(n)) if n else b"\n" for n in rng.integers(0, 40, 60)),
        "window and row edges": b"".join(line(n - 1) for n in (W - 1, W, W + 1, CHUNK - 1, CHUNK, CHUNK + 1, 511,
                                                               512, 513, 1)) + b"tail",
        "nul newline": b"\x00\n" * 150 + b"\x00",
        "binary": bytes(rng.integers(0, 256, 3000, dtype=np.uint8)),
    }


def _scorer(card, backend):
    from blt_core.checkpoints import load_card

    if backend == "torch":
        pytest.importorskip("torch")
        from blt_core.entropy.torch_scorer import TorchEntropyModel

        m = TorchEntropyModel.from_card(load_card(card), device="cpu")
        return m.score_chunk, m.stack_pasts
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel

    return OnnxEntropyModel.from_card(load_card(card)).score_chunk, np.stack


@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize("name", list(_texts()))
def test_packed_equals_every_line_alone(tiny_card, backend, name):
    data = _texts()[name]
    score_chunk, stack = _scorer(tiny_card, backend)
    kw = dict(window=W, chunk_tokens=CHUNK, newline_reset=True, top_k=3, stack=stack)
    packed = score_bytes(score_chunk, data, pack=True, **kw)
    alone = score_bytes(score_chunk, data, pack=False, **kw)
    assert np.abs(packed.entropies - alone.entropies).max() <= 1e-5
    assert np.abs(packed.surprisal - alone.surprisal).max() <= 1e-5
    np.testing.assert_array_equal(packed.top_ids, alone.top_ids)
    np.testing.assert_array_equal(packed.entropies > 4.0, alone.entropies > 4.0)  # the tiny card's threshold


def test_packing_is_what_the_lines_see(tiny_card):
    """Packed lines must not see each other: swapping two lines moves no entropy."""
    score_chunk, _ = _scorer(tiny_card, "onnx")
    a, b = b"first line\n", b"another one\n"
    x = score_bytes(score_chunk, a + b, window=W, newline_reset=True).entropies
    y = score_bytes(score_chunk, b + a, window=W, newline_reset=True).entropies
    assert np.abs(x[:len(a)] - y[len(b):]).max() <= 1e-5 and np.abs(x[len(a):] - y[:len(b)]).max() <= 1e-5


@pytest.mark.parametrize("name", ["random lines with empty ones", "nul newline", "window and row edges"])
def test_packed_rows_compute_about_the_text_length(tiny_card, name):
    """Positions the model computes: within 1.5x of the text's length, where every line padded to
    a window alone costs several times more."""
    data = _texts()[name]
    score_chunk, _ = _scorer(tiny_card, "onnx")
    fed = {True: 0, False: 0}

    def counting(pack):
        def f(ids, *a, **k):
            fed[pack] += ids.size
            return score_chunk(ids, *a, **k)
        return f

    for pack in (True, False):
        score_bytes(counting(pack), data, window=W, chunk_tokens=CHUNK, newline_reset=True, pack=pack)
    assert fed[True] <= 1.5 * len(data) + CHUNK
    assert fed[False] > fed[True]
