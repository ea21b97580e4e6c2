"""Prompt prefill bookkeeping shared by both steppers (numpy only; no torch import).

A prefill pass returns every position's key and value; a ring cache keeps position p in slot
p % S (layers.py), so only the last S positions of each row are stored (`fill_ring`). The
entropy model's scoring graph returns the keys and values of the last window positions of its
row, so its input is padded on the left (`left_padded`): the prompt ends the row, and padding
is a segment of its own that the prompt never sees.

>>> ids, pos, seg = left_padded(np.array([[1, 70, 71]]), window=4)
>>> ids.tolist(), pos.tolist(), seg.tolist()
([[0, 1, 70, 71]], [[0, 0, 1, 2]], [[-1, 0, 0, 0]])
>>> c = np.zeros((1, 1, 3, 1)); fill_ring(c, np.arange(5.0).reshape(1, 1, 5, 1), [5]); c[0, 0, :, 0].tolist()
[3.0, 4.0, 2.0]
"""

from __future__ import annotations

import numpy as np


def left_padded(tokens: np.ndarray, *, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, m) tokens -> ids, positions, segments (B, T), T the next multiple of the window, prompt last."""
    B, m = tokens.shape
    pad = -(-m // window) * window - m
    ids = np.concatenate([np.zeros((B, pad), dtype=np.int64), tokens], axis=1)
    positions = np.concatenate([np.zeros(pad, dtype=np.int64), np.arange(m)])
    segments = np.concatenate([np.full(pad, -1, dtype=np.int64), np.zeros(m, dtype=np.int64)])
    return ids, np.broadcast_to(positions, (B, pad + m)).copy(), np.broadcast_to(segments, (B, pad + m)).copy()


def right_padded(a: np.ndarray, *, window: int) -> np.ndarray:
    """(B, m) -> (B, T), T the next multiple of the window, each row's last value repeated.

    >>> right_padded(np.array([[3, 4, 5]]), window=2).tolist()
    [[3, 4, 5, 5]]
    """
    pad = -(-a.shape[1] // window) * window - a.shape[1]
    return np.concatenate([a, np.repeat(a[:, -1:], pad, axis=1)], axis=1)


def fill_ring(cache, kv, lengths) -> None:
    """Store positions max(0, n - S) .. n - 1 of each row's keys or values kv (B, H, T, D) into
    its ring cache (B, H, S, D), in place; lengths: n per row. numpy arrays or torch tensors."""
    slots = cache.shape[2]
    for r, n in enumerate(lengths):
        pos = np.arange(max(0, int(n) - slots), int(n))
        cache[r, :, pos % slots] = kv[r, :, pos]


def present_to_ring(caches, present, m: int) -> None:
    """Entropy caches (k0, v0, k1, ...) from a left-padded pass's present (layers, 2, B, H, W, D):
    its last W positions are the prompt's positions m - W .. m - 1."""
    W = present.shape[4]
    for i, c in enumerate(caches):
        layer, kv = divmod(i, 2)
        last = present[layer, kv]  # (B, H, W, D), position m - W + j at j
        slots = c.shape[2]
        pos = np.arange(max(0, m - slots), m)
        c[:, :, pos % slots] = last[:, :, pos - (m - W)]


def prefill_block(window: int) -> int:
    """The query block of nn.functional.blocked_window_attention (window / 4): Prefill's lengths are
    multiples of it, so a short prompt is not padded to a whole window of tokens or patches."""
    return max(1, window // 4)


def prefill_inputs(tokens: np.ndarray, patch_ids: np.ndarray, *, local_window: int,
                   global_window: int) -> tuple[np.ndarray, ...]:
    """The Prefill graph's inputs (tokens, patch_ids, token_pos, patch_pos) for prompt tokens (B, m):
    tokens right-padded to a multiple of the local block, patches (every closed one and the open
    one) to a multiple of the global block (prefill_block).

    >>> [a.tolist() for a in prefill_inputs(np.array([[1, 70, 71]]), np.array([[0, 1, 1]]),
    ...                                     local_window=8, global_window=8)]
    [[[1, 70, 71, 71]], [[0, 1, 1, 1]], [0, 1, 2, 3], [0, 1]]
    """
    tok = right_padded(tokens, window=prefill_block(local_window))
    pid = right_padded(patch_ids, window=prefill_block(local_window))
    P = -(-(int(patch_ids[:, -1].max()) + 1) // prefill_block(global_window)) * prefill_block(global_window)
    return tok, pid, np.arange(tok.shape[1], dtype=np.int64), np.arange(P, dtype=np.int64)


def keep_prefill(stepper, h, g, kv, patch_ids: np.ndarray) -> None:
    """Store a Prefill pass's outputs in a stepper (torch or ONNX) as if tokens 0 .. m-1 had been
    stepped: the local and global ring caches, the memory of the last closed patch, and the
    encoder states of the still-open patches (decoding.closing reads them when they close)."""
    B, m = patch_ids.shape
    closed = patch_ids[:, -1]  # every patch below the last token's is closed
    n_local = len(stepper.local_cache)
    for c, x in zip(stepper.local_cache, kv[:n_local]):
        fill_ring(c, x, [m] * B)
    for c, x in zip(stepper.global_cache, kv[n_local:]):
        fill_ring(c, x, closed)
    for r in np.flatnonzero(closed > 0):
        stepper.memory[r] = g[r, closed[r] - 1]
    keep = int(min(np.argmax(patch_ids[r] == closed[r]) for r in range(B)))  # earliest open patch start
    stepper.states = [h[:, t] for t in range(keep, m)]
    stepper.hist_from = keep
