"""Match-model inputs for the entropy model: the byte that followed the latest earlier occurrence of
the current context inside the window (torch only, no I/O).

A small byte LM learns copying slowly and forgets it easily: five rounds of training with copied
spans in the rows (issue 13, entropy8-13) left the n-gram models paying 0.6-0.8 nats per byte on
a paragraph's second copy. Compressors solve this with a match model (PAQ, cmix, zstd's long
mode): find where the last k bytes occurred before and predict the byte that came next. Here that
is an input, one per order k: for byte t, the most recent j < t whose k bytes ending at j equal
the k bytes ending at t, with all of j - k + 1 .. j + 1 inside t's attention window (t - W + 1 .. t);
the input is the byte at j + 1 (the match's prediction for t + 1), or NONE. The model learns how
far to trust each order (a 4-byte match in prose is often wrong, a 24-byte one rarely).

Equal k-grams are found through a polynomial hash modulo a prime below 2^31 (collisions about
one in 2^31 a pair). The search is a band of W - k offsets per byte for the shortest order only
(longer orders AND its hits at shifted positions), so a chunk of T bytes costs O(T * W) integer
compares, in torch and in the exported ONNX graph alike (no custom op). A chunk reads the W - 1 ids before it (`context`, PAD_ID where the input has fewer), so a
chunked pass equals one pass over the whole input. Packed rows (`segments`) match only inside
their own segment.

>>> ids = torch.tensor([[10, 11, 12, 10, 11, 12, 10]])
>>> pred, found = match_inputs(ids, torch.full((1, 7), PAD_ID), orders=(2,), window=8)[0]
>>> pred.tolist(), found.tolist()  # "10 11" at t=4 matched t=1, whose next byte was 12
([[260, 260, 260, 260, 12, 10, 11]], [[False, False, False, False, True, True, True]])
"""

from __future__ import annotations

import torch

from blt_core.constants import NGRAM_PAD_ID

PAD_ID = NGRAM_PAD_ID  # what a byte before the input's start reads as
NONE = 260  # the prediction input of a byte with no match (one row past the 260 ids)
PRIME = 2_147_483_629  # below 2^31: hash * 263 + 261 stays far below 2^63
BASE = 263
SEGMENT_SALT = 1_000_003  # segment s moves a hash by s * this (mod PRIME): across segments only a collision matches


def context_size(window: int) -> int:
    """Ids before a chunk that a match model reads: the rest of the first byte's window."""
    return window - 1


def kgram_hashes(full: torch.Tensor, k: int, seg: torch.Tensor | None = None) -> torch.Tensor:
    """(B, N) ids -> (B, N) hash of the k ids ending at each position (ids before 0 read as PAD_ID;
    with `seg`, ids of another segment than the position's read as PAD_ID too).

    >>> h = kgram_hashes(torch.tensor([[1, 2, 1, 2]]), 2)
    >>> bool(h[0, 1] == h[0, 3]) and bool(h[0, 1] != h[0, 2])
    True
    """
    N = full.shape[1]
    h = torch.zeros_like(full)
    for j in range(k):  # add the id j back
        x = torch.cat([torch.full_like(full[:, :j], PAD_ID), full[:, :N - j]], dim=1)
        if seg is not None:
            s = torch.cat([torch.full_like(seg[:, :j], -1), seg[:, :N - j]], dim=1)
            x = torch.where(s == seg, x, torch.full_like(x, PAD_ID))
        h = (h * BASE + (x + 1)) % PRIME
    return h


def match_inputs(ids: torch.Tensor, context: torch.Tensor, *, orders: tuple[int, ...], window: int,
                 segments: torch.Tensor | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One (pred, found) pair of (B, T) tensors per order: the match's next byte (NONE if none)
    and whether there is one.

    context (B, window - 1): the ids before ids[:, 0], oldest first (PAD_ID where none); a packed
    row (segments (B, T)) passes padding, as its first segment starts the row.
    Only the shortest order is searched by hash; a longer order k matches at an offset where its
    k / k0 blocks of the shortest order k0 all match (doubling where it can), which is the same
    match (up to hash collisions) at a fraction of the integer work on a CPU.
    """
    m = context_size(window)
    if context.shape[1] != m:
        raise ValueError(f"a match model reads window - 1 = {m} ids before a chunk, got {context.shape[1]}")
    k0 = min(orders)
    if any(k % k0 for k in orders):
        raise ValueError(f"every match order must be a multiple of the shortest, got {orders}")
    B, T = ids.shape
    lead = max(orders) - k0  # how far before the chunk the shortest order's hits are needed
    pad = torch.full_like(ids[:, :1], PAD_ID).expand(-1, lead)  # so every offset below lands inside
    full = torch.cat([pad, context.to(ids.dtype), ids], dim=1)  # id t of the chunk at o + t
    o = lead + m
    seg = None if segments is None else torch.cat([segments[:, :1].expand(-1, o), segments], dim=1)
    D = window - k0  # offsets d = 1 .. D: j = t - d keeps j - k0 + 1 >= t - W + 1
    rows = torch.arange(m, o + T, device=ids.device)  # positions t' = t - lead .. T - 1, in full
    d = torch.arange(1, D + 1, device=ids.device)
    j = (rows[:, None] - d[None, :]).reshape(-1)  # ((lead + T) * D,), all >= 0: one index list for every row
    h = kgram_hashes(full, k0, seg)
    if seg is not None:  # the segment joins the hash: one compare finds same k-gram, same segment
        h = (h + seg * SEGMENT_SALT) % PRIME
    h = torch.where(full == PAD_ID, torch.full_like(h, -1), h).to(torch.int32)  # a padding j never matches
    hits = {k0: h.index_select(1, j).view(B, -1, D) == h[:, m:, None]}  # int32: half the bytes of int64
    # hits[k] (B, T + max - k, D): row r is byte t = r - (max - k); a 2k-gram matches where both k-grams do
    top = max(orders)
    for k in sorted(orders):
        if k in hits:
            continue
        half = k // 2
        if k % 2 == 0 and half in hits:
            hits[k] = hits[half][:, half:] & hits[half][:, :-half]
        else:  # where each of its k / k0 blocks does
            base = hits[k0]
            n = base.shape[1] - (k - k0)
            hits[k] = torch.stack([base[:, k - k0 - i * k0:k - k0 - i * k0 + n] for i in range(k // k0)]).all(dim=0)
    t = torch.arange(T, device=ids.device)
    out = []
    for k in orders:
        found_at = hits[k][:, top - k:, :window - k]  # offsets up to W - k keep the whole k-gram in the window
        first = found_at.to(torch.int8).argmax(dim=-1, keepdim=True)  # the smallest offset: the latest match
        found = found_at.gather(2, first).squeeze(2)
        nxt = o + t[None, :] - first.squeeze(2)  # j + 1 = t - d + 1, d = first + 1
        pred = torch.where(found, full.gather(1, nxt), torch.full_like(ids, NONE))
        out.append((pred, found))
    return out
