"""Incremental steps equal full forwards; cached decoding equals the no-cache baseline."""
import numpy as np
import pytest
import torch

from blt_core.generator.steps import EntropyStep, entropy_cache_shapes
from blt_core.generator.decoding import run, write_slots
from blt_core.generator.masks import token_entropies
from blt_core.generator.torch_stepper import NoCacheStepper, TorchStepper
from blt_core.constants import BOS_ID

from .conftest import TINY, tiny_models

KW = dict(threshold=TINY.patch_threshold, max_patch_length=0, top_k=None, seed=3, max_ngram=TINY.max_ngram)


@torch.no_grad()
def test_entropy_step_equals_full_forward():
    """40 tokens through a window of 16: the sliding cache must see exactly the model's window."""
    _, ent = tiny_models()
    ids = torch.cat([torch.tensor([[BOS_ID]]), torch.randint(4, 260, (1, 39), generator=torch.Generator().manual_seed(0))], 1)
    full = token_entropies(ent(ids))[0, 1:]  # entropy of tokens 1..39 (the prediction made at 0..38)
    step = EntropyStep(ent)
    caches = [torch.zeros(s) for s in entropy_cache_shapes(ent.config, 1)]
    S = caches[0].shape[2]
    assert S == ent.config.window - 1
    got = []
    for t in range(39):
        h, *new = step(ids[:, t], torch.tensor([t]), *caches)
        assert new[0].shape == (1, ent.config.num_attention_heads, 1, ent.config.head_dim)
        write_slots(caches, new, t % S, slice(None))  # the ring wraps twice in 39 steps
        got.append(h.item())
    assert np.allclose(got, full.numpy(), atol=1e-4)


@pytest.mark.parametrize("prompt", [b"", b"Hello world, this is longer than the local window."])
def test_cached_equals_no_cache_greedy(prompt):
    blt, ent = tiny_models()
    a = run(TorchStepper(blt, ent), [prompt], max_bytes=40, temperature=0.0, **KW)
    b = run(NoCacheStepper(blt, ent), [prompt], max_bytes=40, temperature=0.0, **KW)
    assert a.data == b.data
    assert a.patch_starts == b.patch_starts
    assert len(a.patch_starts[0]) > 5  # patches (hence global steps and global window wrap) happened
    assert np.allclose(a.entropies[0], b.entropies[0], atol=1e-4)


def test_batch_rows_equal_single_rows():
    """A batch decodes each row as if alone (rows close patches at different times)."""
    blt, ent = tiny_models()
    prompts = [b"abc", b"A longer prompt here", b""]
    batch = run(TorchStepper(blt, ent), prompts, max_bytes=20, temperature=0.0, **KW)
    for r, p in enumerate(prompts):
        one = run(TorchStepper(blt, ent), [p], max_bytes=20, temperature=0.0, **KW)
        assert batch.data[r] == one.data[0]
        assert batch.patch_starts[r] == one.patch_starts[0]


def test_global_steps_count_patches():
    blt, ent = tiny_models()
    r = run(TorchStepper(blt, ent), [b"counting"], max_bytes=30, temperature=0.0, **KW)
    # every patch over the bytes but the last was closed by one global step, plus BOS's patch
    assert r.global_steps[0] == len(r.patch_starts[0])
    assert r.local_steps == len(r.data[0])


def test_shared_step_modules_equal_fresh_ones():
    """generate.py hands every stepper of a model the same step modules (step_functions); reusing
    them across runs must not change a byte, across ring caches that wrap, a sliding local
    window (60 > 16 bytes) and a batch of uneven rows."""
    from blt_core.generator.torch_stepper import step_functions

    blt, ent = tiny_models()
    prompts = [b"abc", b"A longer prompt here", b""]
    steps = step_functions(blt, ent)
    first = run(TorchStepper(blt, ent, steps=steps), prompts, max_bytes=60, temperature=0.8, **KW)
    again = run(TorchStepper(blt, ent, steps=steps), prompts, max_bytes=60, temperature=0.8, **KW)
    fresh = run(TorchStepper(blt, ent), prompts, max_bytes=60, temperature=0.8, **KW)
    assert [type(s).__name__ for s in steps] == ["EntropyStep", "LocalStep", "GlobalStep"]  # plain eager modules
    assert first.data == again.data == fresh.data and first.patch_starts == fresh.patch_starts
    for a, b in zip(first.entropies, fresh.entropies):
        assert np.array_equal(a, b)
