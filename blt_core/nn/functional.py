"""Pure tensor functions shared by every model: RoPE, entropy, and the attention kernels.

Three attention entry points compute the same softmax attention for different callers:
`blocked_window_attention` (the entropy model's long passes, O(T * window)), `attend` (a
boolean mask, for pooling and the exported steps) and `attend_step` (one new position against
a ring KV cache, for generation). Ring caches: S = window - 1 slots per layer, the key of
position p in slot p % S, keys stored already rotated, so slot order does not matter.

>>> slot_valid(torch.tensor([0, 2, 9]), 4).int().tolist()  # 4 slots after 0, 2 and 9 positions
[[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]]
"""

from __future__ import annotations

import math

import torch


def rope_tables(head_dim: int, positions: torch.Tensor, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (*positions.shape, head_dim/2) for rotating interleaved pairs (x0,x1), (x2,x3), ...

    positions (T,) give tables (T, D/2) shared by every row; (B, T) give one table per row
    (packed rows, where each segment restarts at position 0)."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim))
    ang = positions.float()[..., None] * inv
    return torch.cos(ang), torch.sin(ang)


def rope_for_positions(head_dim: int, pos: torch.Tensor, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,) positions -> cos, sin of shape (B, 1, 1, D/2), to rotate one new position per row."""
    cos, sin = rope_tables(head_dim, pos, theta)
    B = pos.shape[0]
    return cos.view(B, 1, 1, -1).to(pos.device), sin.view(B, 1, 1, -1).to(pos.device)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs of x (B, H, T, D) by the angles in cos/sin (T, D/2)."""
    shape = x.shape
    xp = x.float().reshape(*shape[:-1], shape[-1] // 2, 2)
    x0, x1 = xp[..., 0], xp[..., 1]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)
    return out.reshape(shape).type_as(x)


def log_probs_and_entropy(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., V) logits -> (log-probabilities (..., V), entropy in nats (...)) over all V outputs.

    The one entropy of the project (DESIGN.md: nats, all 260 outputs, as the official code).
    >>> round(float(log_probs_and_entropy(torch.zeros(4))[1]), 4)  # uniform over 4: ln 4
    1.3863
    """
    logp = torch.log_softmax(logits.float(), dim=-1)
    return logp, -(logp.exp() * logp).sum(-1)


def entropy_nats(logits: torch.Tensor) -> torch.Tensor:
    """(..., V) logits -> (...) entropy in nats over all V outputs."""
    return log_probs_and_entropy(logits)[1]


def slot_valid(pos: torch.Tensor, slots: int) -> torch.Tensor:
    """(B,) position of each row's new token -> (B, S) bool: slots holding an earlier position.

    Slot s is filled once s < pos (every slot index is below S, so no clamp to S is needed).
    """
    return torch.arange(slots, device=pos.device)[None, :] < pos[:, None]


def no_empty_rows(allowed: torch.Tensor) -> torch.Tensor:
    """Let a query that may see nothing (a padding patch) see key 0 instead.

    CPU attention returns zeros for an all-masked row but CUDA kernels return NaN, and a NaN
    in a padding row poisons every gradient. Real queries always see something, so they are
    unchanged: [[T, F], [F, F]] -> [[T, F], [T, F]].
    """
    first = torch.zeros_like(allowed)
    first[..., 0] = True
    return allowed | (first & ~allowed.any(-1, keepdim=True))


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor | None) -> torch.Tensor:
    """Plain softmax attention; q (B, H, Q, D), k/v (B, H, K, D), allowed broadcastable to (B, H, Q, K)."""
    scores = torch.matmul(q, k.transpose(-1, -2)).float() / math.sqrt(q.shape[-1])
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1).type_as(v), v)


def attend_step(q, k, v, cache_k, cache_v, valid) -> torch.Tensor:
    """One new position: q, k, v (B, H, 1, D) attend to the valid cache slots and to k itself.

    cache_k, cache_v (B, H, S, D), valid (B, S) -> (B, H, 1, D); the same softmax as `attend`
    over the slots plus the new key, without copying the cache to append k.
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    old = (torch.matmul(q, cache_k.transpose(-1, -2)).float() * scale).masked_fill(~valid[:, None, None, :],
                                                                                   float("-inf"))
    new = (q * k).sum(-1, keepdim=True).float() * scale  # (B, H, 1, 1)
    p = torch.softmax(torch.cat([old, new], dim=-1), dim=-1).type_as(v)
    return torch.matmul(p[..., :-1], cache_v) + p[..., -1:] * v


def blocked_window_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int,
                             past_k: torch.Tensor | None = None, past_v: torch.Tensor | None = None,
                             has_past: torch.Tensor | None = None, block: int | None = None,
                             segments: torch.Tensor | None = None) -> torch.Tensor:
    """Exact sliding-window causal attention in O(T * (window + block)); T a multiple of `block`.

    q, k, v: (B, H, T, D). Queries go in blocks of `block` positions (default window / 4);
    a query block reads the `window + block` keys that end with it, so each query computes
    scores for window + block keys instead of all T (or 2 * window with window-sized blocks).
    With window=2, block=1 and T=4, query 3 sees keys 2 and 3, query 2 sees 1 and 2.
    past_k / past_v (B, H, window, D): keys and values of the window positions before this
    chunk (previous call), used where has_past (B,) is true, so a long input scored chunk by
    chunk equals one full pass while each byte is computed once.
    segments (B, T) int: a query sees only the chunk's keys of its own segment (a block-diagonal
    causal mask), so independent segments packed into one row never see each other; past keys
    are governed by has_past alone.
    """
    B, H, T, D = q.shape
    S = block or max(1, window // 4)
    if past_k is None:
        past_k = torch.zeros_like(k[:, :, :1]).expand(B, H, window, D)
        past_v = torch.zeros_like(v[:, :, :1]).expand(B, H, window, D)
    kf = torch.cat([past_k.to(k.dtype), k], dim=2)  # (B, H, W + T, D): key t of the chunk at W + t
    vf = torch.cat([past_v.to(v.dtype), v], dim=2)
    starts = torch.arange(0, T, S, device=q.device)  # (nb,) first position of each query block
    idx = starts[:, None] + torch.arange(window + S, device=q.device)[None, :]  # (nb, W + S) into kf
    # index_select + reshape, not kf[:, :, idx]: the same values, but advanced indexing exports to
    # ONNX as GatherND between transposes, which made ONNX Runtime about 25% slower per chunk
    kb = kf.index_select(2, idx.reshape(-1)).reshape(B, H, -1, window + S, D)  # (B, H, nb, W + S, D)
    vb = vf.index_select(2, idx.reshape(-1)).reshape(B, H, -1, window + S, D)
    qb = q.reshape(B, H, -1, S, D)  # -1: the block count stays dynamic in ONNX
    scores = torch.matmul(qb, kb.transpose(-1, -2)) * (1.0 / math.sqrt(D))  # (B, H, nb, S, W + S)
    # query and key indices into kf, per block: (nb, S, 1) and (nb, 1, W + S). Built from the
    # dynamic `starts`, so an export keeps them as a few ops instead of folding a (S, W + S) mask
    # into a constant in every layer (four copies made the entropy graph 0.65 MB larger)
    qi = (starts[:, None] + torch.arange(S, device=q.device)[None, :] + window)[:, :, None]
    kj = idx[:, None, :]
    allowed = (kj <= qi) & (kj > qi - window)  # (nb, S, W + S): distance qi - kj within 0 .. W-1
    in_chunk = kj >= window  # (nb, 1, W + S): not a past key
    ok = allowed[None, None] & in_chunk[None, None]
    if segments is not None:  # (B, 1, nb, S, W + S): the key's segment is the query's
        seg_f = torch.cat([torch.full_like(segments[:, :1], -1).expand(B, window), segments], dim=1)  # (B, W + T)
        key_seg = seg_f.index_select(1, idx.reshape(-1)).reshape(B, -1, window + S)  # (B, nb, W + S)
        same = segments.reshape(B, -1, S)[..., :, None] == key_seg[..., None, :]  # (B, nb, S, W + S)
        ok = ok & same[:, None]
    if has_past is not None:  # past keys count only for rows that have a past
        ok = ok | (allowed[None, None] & ~in_chunk[None, None] & has_past[:, None, None, None, None])
    # an additive bias over (B, 1, nb, S, W + S), broadcast over heads: cheaper than masking scores
    bias = torch.zeros(ok.shape, dtype=torch.float32, device=q.device).masked_fill(~ok, float("-inf"))
    probs = torch.softmax(scores.float() + bias, dim=-1).type_as(vb)
    return torch.matmul(probs, vb).reshape(B, H, T, D)
