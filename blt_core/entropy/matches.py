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
one in 2^31 a pair) and one sort per order of each row's (hash, position) keys, so a chunk of T
bytes costs O(T log T), in torch and in the exported ONNX graph (TopK) alike, no custom op. A chunk reads the W - 1 ids before it (`context`, PAD_ID where the input has fewer), so a
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


def order_hashes(full: torch.Tensor, orders: tuple[int, ...], seg: torch.Tensor | None = None) -> dict:
    """{k: kgram_hashes(full, k, seg)} for every order, a doubled order composed from its halves
    (h_2k(t) = h_k(t) * BASE^k + h_k(t - k)): a few graph nodes instead of k. The older half reads
    as padding where it lies before the array or in an earlier segment, as in kgram_hashes.

    >>> x = torch.tensor([[5, 6, 7, 5, 6, 7, 8, 9]])
    >>> bool((order_hashes(x, (2, 4))[4] == kgram_hashes(x, 4)).all())
    True
    """
    out = {}
    for k in sorted(orders):
        half = k // 2
        if k % 2 or half not in out:
            out[k] = kgram_hashes(full, k, seg)
            continue
        pad = sum((PAD_ID + 1) * pow(BASE, i, PRIME) for i in range(half)) % PRIME  # k/2 padding ids
        older = torch.cat([torch.full_like(full[:, :half], pad), out[half][:, :-half]], dim=1)
        if seg is not None:
            same = torch.cat([torch.full_like(seg[:, :half], -1), seg[:, :-half]], dim=1) == seg
            older = torch.where(same, older, torch.full_like(older, pad))
        out[k] = (out[half] * pow(BASE, half, PRIME) + older) % PRIME
    return out


def match_inputs(ids: torch.Tensor, context: torch.Tensor, *, orders: tuple[int, ...], window: int,
                 segments: torch.Tensor | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One (pred, found) pair of (B, T) tensors per order: the match's next byte (NONE if none)
    and whether there is one.

    context (B, window - 1): the ids before ids[:, 0], oldest first (PAD_ID where none); a packed
    row (segments (B, T)) passes padding, as its first segment starts the row.
    Per order, positions are sorted by (hash, position): each position's predecessor in that order,
    if it has the same hash, is the latest earlier position with the same k-gram; it counts if the
    whole k-gram and the byte after it lie in the window. O(N log N) per row, not O(N * W).
    """
    m = context_size(window)
    if context.shape[1] != m:
        raise ValueError(f"a match model reads window - 1 = {m} ids before a chunk, got {context.shape[1]}")
    full = torch.cat([context.to(ids.dtype), ids], dim=1)  # id t of the chunk at m + t
    N = full.shape[1]
    seg = None if segments is None else torch.cat([segments[:, :1].expand(-1, m), segments], dim=1)
    pos = torch.arange(N, device=ids.device)
    n = pos[-1:] + 1  # N as a tensor: the exported graph keeps the length dynamic
    hashes = order_hashes(full, orders, seg)
    out = []
    for k in orders:
        h = hashes[k]
        if seg is not None:  # the segment joins the hash: equal only within one segment
            h = (h + seg * SEGMENT_SALT) % PRIME
        h = torch.where(full == PAD_ID, torch.zeros_like(h), h + 1)  # padding: group 0, never compared
        ordered, at = torch.sort(h * n + pos, dim=1)  # unique keys: by hash, then by position (at)
        group = ordered - at  # hash * N: no integer division (the exported graph would do it in floats)
        same = torch.cat([torch.zeros_like(group[:, :1], dtype=torch.bool), group[:, 1:] == group[:, :-1]], dim=1)
        same = same & (group > 0)
        before = torch.where(same, torch.cat([at[:, :1], at[:, :-1]], dim=1), -n)  # -N: no earlier position
        j = torch.empty_like(before).scatter(1, at, before)[:, m:]  # per chunk byte: its latest match
        found = pos[None, m:] - j <= window - k  # j - k + 1 >= t - W + 1
        pred = torch.where(found, full.gather(1, (j + 1).clamp(min=0)), torch.full_like(ids, NONE))
        out.append((pred, found))
    return out
