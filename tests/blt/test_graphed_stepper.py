"""GraphedStepper (CUDA graphs over static buffers; eager here on the CPU) decides the same bytes,
entropies and patches as TorchStepper: batch 1 and 3, with and without prefill, patches that span
several global-step buckets, a state ring that must grow, and patches past the largest bucket."""
import numpy as np
import pytest
import torch

from blt_core.generator import graphed_steps
from blt_core.generator.decoding import run
from blt_core.generator.graphed_stepper import GraphedStepper, StepsPool
from blt_core.generator.graphed_steps import bucket
from blt_core.generator.last_ngrams import LastNgramHasher, last_ngram_buckets
from blt_core.generator.steps import GlobalStep, global_cache_shapes
from blt_core.generator.torch_stepper import TorchStepper, step_functions

from .conftest import TINY, tiny_models

RNG = np.random.default_rng(0)
PROMPTS = [b"Hello world, this is longer than the local window.", b"ab", "Привет, мир! ".encode() * 3]
NEVER = 1e9  # a threshold no entropy exceeds: only max_patch_length closes patches


def _same(a, b) -> None:
    assert a.data == b.data and a.patch_starts == b.patch_starts and a.global_steps == b.global_steps
    for x, y in zip(a.entropies, b.entropies):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-5)


def _both(blt, ent, prompts, **kw):
    kw = {"threshold": TINY.patch_threshold, "max_patch_length": 0, "top_k": None, "seed": 3,
          "max_ngram": TINY.max_ngram, "temperature": 0.0, **kw}
    return run(TorchStepper(blt, ent), prompts, **kw), run(GraphedStepper(blt, ent), prompts, **kw)


@pytest.mark.parametrize("sizes,width", [((3, 4, 5, 6, 7, 8), 8), ((1, 2), 5), ((2,), 2)])
def test_hasher_equals_last_ngram_buckets(sizes, width):
    window = RNG.integers(0, 260, (7, width))
    window[0] = 259  # the largest id
    want = last_ngram_buckets(window, sizes, buckets=16384)
    assert LastNgramHasher(sizes, buckets=16384)(window).tolist() == want.tolist()


def test_bucket_hand_checked():
    assert [bucket(n) for n in (1, 7, 8, 9, 16, 17, 40)] == [8, 8, 8, 16, 16, 32, 64]


@torch.no_grad()
def test_padded_patch_pools_the_same():
    """The global step over Lp = 5 states equals the step over those states padded to 8, masked."""
    blt, _ = tiny_models()
    B, Lp = 2, 5
    states = torch.randn(B, Lp, TINY.local_hidden_size, generator=torch.Generator().manual_seed(0))
    mask = torch.tensor([[True] * 5, [False, False, True, True, True]])
    caches = [torch.randn(s) for s in global_cache_shapes(TINY, B)]
    index = torch.tensor([3, 9])  # past the 7-slot ring: every slot valid for row 1
    step = GlobalStep(blt)
    plain = step(states, mask, index, *caches)
    pad = torch.cat([states, torch.zeros(B, 3, states.shape[2])], 1)
    padded = step(pad, torch.cat([mask, torch.zeros(B, 3, dtype=torch.bool)], 1), index, *caches)
    for x, y in zip(plain, padded):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-5)  # float32 sums over 5 or 8 terms


@pytest.mark.parametrize("prefill", [True, False])
@pytest.mark.parametrize("prompts", [PROMPTS[:1], PROMPTS], ids=["batch1", "batch3"])
def test_tiny_greedy_equals_torch_stepper(prompts, prefill):
    blt, ent = tiny_models()
    a, b = _both(blt, ent, prompts, max_bytes=30, prefill=prefill)
    assert all(len(s) > 5 for s in a.patch_starts)  # global steps ran, the global ring (8) wrapped
    _same(a, b)


def test_long_patches_span_several_buckets():
    """Patches of exactly 40 bytes pool through the 64-wide graph; rows of uneven prompts close
    them at different positions, so a global step also carries rows that do not close."""
    blt, ent = tiny_models()
    a, b = _both(blt, ent, PROMPTS, max_bytes=60, threshold=NEVER, max_patch_length=40)
    assert {np.diff(s).max() for s in a.patch_starts} == {40}
    _same(a, b)


def test_ring_growth_and_eager_buckets(monkeypatch):
    """A state ring of 16 positions must grow for 40-byte patches, and buckets above 16 run eagerly
    (stepping through the prompts: the ring is filled by the local step alone)."""
    monkeypatch.setattr(graphed_steps, "RING", 16)
    monkeypatch.setattr(graphed_steps, "MAX_BUCKET", 16)
    blt, ent = tiny_models()
    s = GraphedStepper(blt, ent)
    kw = dict(threshold=NEVER, max_patch_length=40, top_k=None, seed=3, max_ngram=TINY.max_ngram, temperature=0.0,
              prefill=False)
    b = run(s, PROMPTS, max_bytes=60, **kw)
    assert s.graphed.ring.shape[1] >= 64  # rows that stopped keep their last patch's states too
    _same(run(TorchStepper(blt, ent), PROMPTS, max_bytes=60, **kw), b)


def test_pool_reuses_buffers_across_generations_and_batch_sizes():
    """Borrowed buffers are reset at start: a second generation (after one of another batch size
    and one cut short) decides as a fresh stepper does."""
    blt, ent = tiny_models()
    pool = StepsPool(step_functions(blt, ent), blt, ent, torch.device("cpu"))
    kw = dict(threshold=TINY.patch_threshold, max_patch_length=0, top_k=None, seed=3, max_ngram=TINY.max_ngram,
              temperature=0.0, max_bytes=16)
    first = GraphedStepper(blt, ent, pool=pool)
    run(first, PROMPTS, **kw)
    borrowed = first.graphed
    del first  # gives its buffers back
    second = GraphedStepper(blt, ent, pool=pool)
    run(second, PROMPTS[:1], **{**kw, "max_bytes": 4})
    got = run(second, PROMPTS, **kw)
    assert second.graphed is borrowed
    _same(run(TorchStepper(blt, ent), PROMPTS, **kw), got)


@pytest.fixture(scope="module")
def shipped():
    from blt_core.generator.generate import load_generator

    return load_generator(backend="torch")


def test_graphs_only_on_a_gpu(shipped):
    """Graphs are a GPU path: on the CPU the library's torch backend keeps TorchStepper."""
    assert type(shipped.new_stepper(False)) is (GraphedStepper if torch.cuda.is_available() else TorchStepper)
    assert type(shipped.graphed_stepper()) is GraphedStepper


@pytest.mark.parametrize("rows,prefill", [(1, False), (3, True)])
def test_shipped_greedy_equals_torch_stepper(shipped, rows, prefill):
    cfg = shipped.config
    prompts = [b"The Byte Latent Transformer reads raw bytes and ", b"def main():", b"Once upon a time, "][:rows]
    kw = dict(threshold=cfg.patch_threshold, max_patch_length=cfg.max_patch_length, top_k=None, seed=0,
              max_ngram=cfg.max_ngram, temperature=0.0, prefill=prefill, max_bytes=24)
    a, b = run(shipped.eager_stepper(), prompts, **kw), run(shipped.graphed_stepper(), prompts, **kw)
    assert all(len(s) > 4 for s in a.patch_starts)  # patches closed while generating
    _same(a, b)
