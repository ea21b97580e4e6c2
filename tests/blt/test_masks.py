"""Patch masks: no byte sees its own or a later patch's global state; pooling stays in its patch."""
import torch

from blt_core.generator.masks import (decoder_global_mask, local_causal_mask, patch_ids, patch_starts, pooling_mask,
                                split_long_patches, token_entropies)
from blt_core.constants import BOS_ID

from .conftest import tiny_models

STARTS = torch.tensor([[True, True, False, True, False, False, True]])  # patches: 0 | 1 2 | 3 4 5 | 6


def test_patch_ids_by_hand():
    assert patch_ids(STARTS).tolist() == [[0, 1, 1, 2, 2, 2, 3]]


def test_global_rule_in_token_terms():
    ids = torch.tensor([[BOS_ID, 70, 71, 72, 73]])
    ent = torch.tensor([[float("inf"), 0.1, 3.0, 0.2, 2.0]])  # entropies of tokens 0..4
    # BOS and byte 0 always open; then tokens whose entropy exceeds 1.0
    assert patch_starts(ids, ent, 1.0).tolist() == [[True, True, True, False, True]]
    assert split_long_patches(torch.tensor([[True, False, False, False, False]]), 2).tolist() == [
        [True, False, True, False, True]]


def test_token_entropies_alignment():
    logits = torch.zeros(1, 3, 260)
    logits[0, 1, 5] = 100.0  # position 1 is certain about token 2
    h = token_entropies(logits)
    assert h[0, 0] == float("inf")
    assert abs(h[0, 1].item() - torch.log(torch.tensor(260.0)).item()) < 1e-4  # token 1: uniform
    assert h[0, 2].item() < 1e-3


def test_pooling_sees_exactly_its_patch():
    pids = patch_ids(STARTS)
    m = pooling_mask(pids, 4, k=2)  # (1, 8, 7)
    for q in range(8):
        p = q // 2
        assert m[0, q].tolist() == [pid == p for pid in pids[0].tolist()]


def test_pooling_padding_patches_stay_finite():
    m = pooling_mask(patch_ids(STARTS), 6, k=1)
    assert m[0, 4].all() and m[0, 5].all()  # no bytes: may see all (never read by real patches)


def test_decoder_reads_previous_patch_only():
    pids = patch_ids(STARTS)[0].tolist()
    m = decoder_global_mask(patch_ids(STARTS), 4)[0]
    for t, p in enumerate(pids):
        assert m[t].tolist() == [g == p - 1 for g in range(4)]
        assert not m[t, p:].any()  # never its own or a later patch


def test_local_window_mask():
    m = local_causal_mask(5, 2)
    assert m.int().tolist() == [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]]


def test_model_is_causal_with_fixed_patches():
    """Changing tokens after t (patches fixed) never changes the logits at or before t."""
    blt, _ = tiny_models()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(4, 260, (1, 24), generator=g)
    starts = torch.rand(1, 24, generator=g) < 0.4
    starts[:, 0] = True
    base = blt(ids, starts)
    for t in (3, 10, 17):
        other = ids.clone()
        other[:, t + 1:] = torch.randint(4, 260, (1, 24 - t - 1), generator=g)
        out = blt(other, starts)
        assert torch.allclose(out[:, : t + 1], base[:, : t + 1], atol=1e-5)
        assert not torch.allclose(out[:, t + 1:], base[:, t + 1:], atol=1e-3)


def test_gather_equals_masked_dense_attention():
    """The decoder's gather of patch id - 1 is the dense mask of decoder_global_mask."""
    blt, _ = tiny_models()
    dec = blt.local_decoder
    g = torch.randn(1, 4, 64)
    pids = patch_ids(STARTS)
    mem = dec.memory_for(g, pids)  # (1, T, k, L)
    m = decoder_global_mask(pids, 4)[0].float()  # (T, P)
    dense = m @ g[0]  # rows of patch 0 are zero: they read the start state instead
    for t, p in enumerate(pids[0].tolist()):
        want = dec.memory_start if p == 0 else dense[t]
        assert torch.allclose(mem[0, t].reshape(-1), want)
