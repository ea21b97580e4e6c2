"""Hashed n-gram ids for the entropy model's input (torch only, no I/O).

BLT's local encoder adds hashed n-gram embeddings to its byte embeddings: capacity that costs a
table lookup per byte, not matrix work. The entropy model can do the same (issue 13: a model
that sees structure while staying fast on CPU). Each n in `sizes` has its own table; the n-gram
ending at byte t (ids t-n+1 .. t) goes to bucket h_n(t) mod `buckets`, with the polynomial hash
h_n = h_(n-1) * BASE + (id + 1) over ids t, t-1, ..., t-n+1. Every value stays below
BASE ** 7 < 2 ** 63 for n <= 7, so int64 arithmetic never overflows, on any backend.

A chunk's first bytes need the ids before it: `context` (B, max(sizes) - 1) holds them, padded
with PAD_ID where the input has fewer (its start); a packed row's segments never see each
other's ids (their n-grams are padded at each segment's start, as if the segment were alone).
The context counts as the first segment's: a plain chunk (one segment) reads it, and a packed
row's caller passes padding (its first segment starts the row).

>>> ids = torch.tensor([[5, 6, 7]])  # bigram at t=1: ((6 + 1) * 263 + (5 + 1)) % 1000 = 847
>>> [h.tolist() for h in ngram_buckets(ids, torch.full((1, 1), PAD_ID), sizes=(2,), buckets=1000)]
[[[579, 847, 111]]]
"""

from __future__ import annotations

import torch

from blt_core.constants import NGRAM_PAD_ID

BASE = 263  # odd and above the 260 ids, so distinct n-grams have distinct hashes before the modulus
PAD_ID = NGRAM_PAD_ID  # what a byte before the input's start reads as
MAX_N = 7


def ngram_buckets(ids: torch.Tensor, context: torch.Tensor, *, sizes: tuple[int, ...], buckets: int,
                  segments: torch.Tensor | None = None) -> list[torch.Tensor]:
    """One (B, T) bucket index tensor per n in `sizes` (ascending), for ids (B, T).

    context (B, max(sizes) - 1): the ids just before ids[:, 0], oldest first (PAD_ID where none).
    segments (B, T): packed rows; an id from another segment reads as PAD_ID (the context is the
    first segment's).
    """
    m = max(sizes) - 1
    if max(sizes) > MAX_N or context.shape[1] != m:
        raise ValueError(f"n-grams up to {MAX_N}, with a context of max(sizes) - 1 = {m} ids")
    T = ids.shape[1]
    full = torch.cat([context.to(ids.dtype), ids], dim=1)  # id t of the chunk at m + t
    if segments is not None:
        seg = torch.cat([segments[:, :1].expand(-1, m), segments], dim=1)
    h = torch.zeros_like(ids)
    out = []
    for j in range(max(sizes)):  # add id t - j
        x = full[:, m - j:m - j + T]
        if segments is not None:
            x = torch.where(seg[:, m - j:m - j + T] == segments, x, torch.full_like(x, PAD_ID))
        h = h * BASE + (x + 1)
        if j + 1 in sizes:
            out.append(h % buckets)
    return out
