"""Patch bookkeeping and attention masks for teacher-forced training (torch only).

Positions here are token positions of the generator's input: token 0 is BOS when a
sequence starts a document, token i > 0 is byte i-1. The entropy model's logits at
position i-1 predict token i, so `token_entropies[i]` is the entropy of token i
(DESIGN.md's entropies[k] for byte k is token_entropies[k+1]).

Rule (DESIGN.md's global rule in token terms): token 0 starts a patch; a BOS starts one
and so does the token right after it (byte 0 of a document); any other token i starts one
when token_entropies[i] > threshold. Patch ids follow by a cumulative sum:

>>> starts = torch.tensor([[True, True, False, True, False]])
>>> patch_ids(starts).tolist()
[[0, 1, 1, 2, 2]]
>>> decoder_global_mask(patch_ids(starts), 3).int().tolist()  # byte t reads patch (its patch - 1)
[[[0, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]]]
"""

from __future__ import annotations

import torch

from blt_core.constants import BOS_ID
from blt_core.nn import entropy_nats


def token_entropies(logits: torch.Tensor) -> torch.Tensor:
    """Entropy-model logits (B, T, V) -> (B, T) entropy in nats of each token's prediction.

    Position 0 has no prediction inside the window and gets +inf (it always starts a patch).
    """
    h = entropy_nats(logits)  # (B, T): h[:, i] is about token i+1
    return torch.cat([torch.full_like(h[:, :1], float("inf")), h[:, :-1]], dim=1)


def patch_starts(ids: torch.Tensor, entropies: torch.Tensor, threshold: float, max_patch_length: int = 0) -> torch.Tensor:
    """ids, entropies (B, T) -> (B, T) bool patch starts by the global rule (+ optional max length)."""
    bos = ids == BOS_ID
    after_bos = torch.cat([torch.zeros_like(bos[:, :1]), bos[:, :-1]], dim=1)
    starts = (entropies > threshold) | bos | after_bos
    starts[:, 0] = True
    if max_patch_length > 0:
        starts = split_long_patches(starts, max_patch_length)
    return starts


def split_long_patches(starts: torch.Tensor, max_len: int) -> torch.Tensor:
    """Also start a patch every max_len tokens inside a longer one: [1,0,0,0,0] with 2 -> [1,0,1,0,1]."""
    T = starts.shape[1]
    pos = torch.arange(T, device=starts.device).expand_as(starts)
    last_start = torch.cummax(torch.where(starts, pos, torch.zeros_like(pos)), dim=1).values
    return starts | ((pos - last_start) % max_len == 0)


def patch_ids(starts: torch.Tensor) -> torch.Tensor:
    """(B, T) bool starts -> (B, T) int64 id of each token's patch (0-based)."""
    return torch.cumsum(starts.long(), dim=1) - 1


def local_causal_mask(T: int, window: int, device=None) -> torch.Tensor:
    """(T, T) bool: position i may attend to j when i - window < j <= i."""
    i = torch.arange(T, device=device)[:, None]
    j = torch.arange(T, device=device)[None, :]
    return (j <= i) & (j > i - window)


def pooling_mask(ids_of_patch: torch.Tensor, num_patches: int, k: int) -> torch.Tensor:
    """(B, T) patch ids -> (B, P*k, T) bool: query j of patch p sees exactly the bytes of patch p.

    Padding patches (beyond a row's last patch) have no bytes; they may see every byte so the
    softmax stays finite. They sit after every real patch, so the causal global model never
    lets a real patch read them.
    """
    p = torch.arange(num_patches, device=ids_of_patch.device).repeat_interleave(k)  # (P*k,)
    allowed = ids_of_patch[:, None, :] == p[None, :, None]
    empty = ~allowed.any(dim=-1, keepdim=True)
    return allowed | empty


def decoder_global_mask(ids_of_patch: torch.Tensor, num_patches: int) -> torch.Tensor:
    """(B, T) patch ids -> (B, T, P) bool: the one global output each byte reads (patch id - 1).

    Bytes of patch 0 read none: they get the learned start state instead. The model gathers
    instead of masking (each byte reads exactly k vectors); this mask states the rule for tests.
    """
    g = torch.arange(num_patches, device=ids_of_patch.device)
    return g[None, None, :] == (ids_of_patch[:, :, None] - 1)
