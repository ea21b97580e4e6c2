"""Score bytes with any entropy-model backend: chunking, batching and logit reductions (numpy).

A backend has `score_chunk(ids (B, L) int64, targets (B, L) int64, start_pos int, past_kv,
has_past (B,) bool, top_k) -> (entropy (B, L), surprisal (B, L), top (ids, probs) or None,
present_kv)` with L a multiple of the window W (`numpy_score_chunk` builds one from a plain
`forward_chunk` returning logits; the torch backend reduces on its device instead), where
past_kv / present_kv hold each layer's keys and values of the last W positions before /
of the chunk (shape (layers, 2, B, heads, W, head_dim)). Alignment: the model reads
[BOS, b0, ..., b(n-2)] and output k predicts byte k, so `entropies[k]` sits on the byte it
predicts (DESIGN.md).

Long inputs are cut into chunks of `chunk_tokens`; each chunk attends to the previous
chunk's last window through past_kv, so chunked scoring equals one full sliding-window
pass (every layer, not just the first, sees its whole window) and each byte is computed
exactly once. Independent segments (newline reset, or many documents) are batched.

`row_tokens` instead reproduces the official preprocessing (facebookresearch/blt's
`calculate_entropies`): the model input [BOS, b0, b1, ...] is cut into rows of 8,192 tokens
(`OFFICIAL_ROW_TOKENS`), each scored from position 0 with no context from the row before, so
only row 0 starts with BOS and the first bytes of every later row see less than a window of context.

>>> plan_chunks([10, 3], window=4, chunk_tokens=8)
[[(0, 0, 8), (1, 0, 4)], [(0, 8, 4)]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from blt_core.constants import BOS_ID, OFFSET

LN2 = float(np.log(2.0))
OFFICIAL_ROW_TOKENS = 8192  # calculate_entropies' max_length default (the official model sets none)


def plan_chunks(lengths: list[int], *, window: int, chunk_tokens: int) -> list[list[tuple[int, int, int]]]:
    """Rounds of (segment, start, padded length): round r holds chunk r of every long-enough segment.

    Chunk lengths are padded up to a multiple of the window (right padding is harmless: causal).
    """
    if chunk_tokens % window:
        raise ValueError("chunk_tokens must be a multiple of the window")
    rounds: list[list[tuple[int, int, int]]] = []
    for seg, n in enumerate(lengths):
        for r, start in enumerate(range(0, n, chunk_tokens)):
            m = min(chunk_tokens, n - start)
            if len(rounds) <= r:
                rounds.append([])
            rounds[r].append((seg, start, -(-m // window) * window))
    return rounds


def segment_bounds(data: bytes, *, newline_reset: bool) -> list[tuple[int, int]]:
    """(start, end) byte ranges scored independently: the whole input, or one per line.

    With newline_reset each line (its "\\n" included) starts again from BOS:
    >>> segment_bounds(b"ab\\ncd", newline_reset=True)
    [(0, 3), (3, 5)]
    """
    n = len(data)
    if not newline_reset:
        return [(0, n)]
    ends = [i + 1 for i, b in enumerate(data) if b == 0x0A]
    if not ends or ends[-1] != n:
        ends.append(n)
    starts = [0] + ends[:-1]
    return [(s, e) for s, e in zip(starts, ends) if e > s]


def rows(segs: list[tuple[int, int]], inputs: list[np.ndarray], *,
         row_tokens: int) -> tuple[list[tuple[int, int]], list[np.ndarray]]:
    """Cut every segment into independent rows of `row_tokens` model inputs (official chunking).

    Input i of a segment predicts its byte i, so a row keeps the bytes its inputs predict:
    >>> rows([(0, 5)], [np.array([1, 10, 11, 12, 13])], row_tokens=2)
    ([(0, 2), (2, 4), (4, 5)], [array([ 1, 10]), array([11, 12]), array([13])])
    """
    out_segs, out_inputs = [], []
    for (s, e), x in zip(segs, inputs):
        for r in range(0, e - s, row_tokens):
            out_segs.append((s + r, min(s + r + row_tokens, e)))
            out_inputs.append(x[r:r + row_tokens])
    return out_segs, out_inputs


@dataclass
class ByteScores:
    entropies: np.ndarray  # (n,) float32 nats, entropy over all 260 outputs
    surprisal: np.ndarray  # (n,) float32 bits of the actual byte
    top_ids: np.ndarray | None  # (n, k) int16 byte values (or -1 for special ids)
    top_probs: np.ndarray | None  # (n, k) float32


def reduce_logits(logits: np.ndarray, targets: np.ndarray, *, top_k: int) -> tuple:
    """logits (T, V), target ids (T,) -> entropy nats, surprisal bits, top-k (ids, probs)."""
    x = logits.astype(np.float64)
    x -= x.max(axis=-1, keepdims=True)
    logz = np.log(np.exp(x).sum(axis=-1, keepdims=True))
    logp = x - logz
    p = np.exp(logp)
    ent = -(p * logp).sum(axis=-1)
    surpr = -logp[np.arange(len(targets)), targets] / LN2
    top = None
    if top_k > 0:
        k = min(top_k, logits.shape[-1])
        idx = np.argpartition(-logp, k - 1, axis=-1)[:, :k]
        part = np.take_along_axis(logp, idx, axis=-1)
        order = np.argsort(-part, axis=-1)
        idx = np.take_along_axis(idx, order, axis=-1)
        top = (np.where(idx >= OFFSET, idx - OFFSET, -1).astype(np.int16),
               np.exp(np.take_along_axis(logp, idx, axis=-1)).astype(np.float32))
    return ent.astype(np.float32), surpr.astype(np.float32), top


def numpy_score_chunk(forward_chunk: Callable) -> Callable:
    """Wrap `forward_chunk(ids, start_pos, past_kv, has_past) -> (logits, present)` into a score_chunk."""

    def score_chunk(ids, targets, start_pos, past_kv, has_past, top_k):
        logits, present = forward_chunk(ids, start_pos, past_kv, has_past)
        B, L, V = logits.shape
        ent, sur, top = reduce_logits(logits.reshape(B * L, V), targets.reshape(-1), top_k=top_k)
        if top is not None:
            top = (top[0].reshape(B, L, -1), top[1].reshape(B, L, -1))
        return ent.reshape(B, L), sur.reshape(B, L), top, present

    return score_chunk


def score_bytes(score_chunk: Callable, data: bytes, *, window: int, chunk_tokens: int = 4096,
                batch_tokens: int = 16384, newline_reset: bool = False, top_k: int = 0,
                row_tokens: int | None = None, progress: Callable[[int, int], None] | None = None,
                stack: Callable = np.stack) -> ByteScores:
    """Per-byte entropies (and surprisal, top-k) of `data`, one model call per batch of chunks.

    `progress` receives (bytes done, total bytes) after every call. `stack(list, axis=2)`
    batches carried pasts: np.stack by default; a GPU backend passes its own so that the
    keys and values stay on the device between chunks. `row_tokens` (None: one continuous pass
    per segment) scores each segment in independent rows of that many inputs, as the official
    preprocessing does with OFFICIAL_ROW_TOKENS.
    """
    n = len(data)
    ids_all = np.frombuffer(data, dtype=np.uint8).astype(np.int64) + OFFSET
    segs = segment_bounds(data, newline_reset=newline_reset)
    seg_inputs = [np.concatenate([[BOS_ID], ids_all[s:e - 1]]) for s, e in segs]
    if row_tokens is not None:
        segs, seg_inputs = rows(segs, seg_inputs, row_tokens=row_tokens)
    rounds = plan_chunks([e - s for s, e in segs], window=window, chunk_tokens=chunk_tokens)

    ent = np.zeros(n, dtype=np.float32)
    sur = np.zeros(n, dtype=np.float32)
    top_ids = np.zeros((n, top_k), dtype=np.int16) if top_k else None
    top_p = np.zeros((n, top_k), dtype=np.float32) if top_k else None
    pasts: dict[int, np.ndarray] = {}  # segment -> (layers, 2, heads, W, head_dim) of its last chunk
    done = 0
    for r, chunks in enumerate(rounds):
        chunks = sorted(chunks, key=lambda c: -c[2])
        i = 0
        while i < len(chunks):
            L = chunks[i][2]
            group = chunks[i:i + max(1, batch_tokens // L)]
            group = [c for c in group if c[2] == L] or group[:1]
            i += len(group)
            batch = np.zeros((len(group), L), dtype=np.int64)
            targets = np.full((len(group), L), OFFSET, dtype=np.int64)
            for b, (seg, start, _) in enumerate(group):
                x = seg_inputs[seg][start:start + L]
                batch[b, :len(x)] = x
                s0 = segs[seg][0] + start
                t = ids_all[s0:min(s0 + L, segs[seg][1])]
                targets[b, :len(t)] = t
            past = stack([pasts.pop(seg) for seg, _, _ in group], axis=2) if r else None
            has_past = np.full(len(group), r > 0)
            e_b, s_b, top_b, present = score_chunk(batch, targets, r * chunk_tokens, past, has_past, top_k)
            for b, (seg, start, _) in enumerate(group):
                seg_start, seg_end = segs[seg]
                m = min(chunk_tokens, seg_end - seg_start - start)
                sl = slice(seg_start + start, seg_start + start + m)
                ent[sl], sur[sl] = e_b[b, :m], s_b[b, :m]
                if top_b is not None:
                    top_ids[sl], top_p[sl] = top_b[0][b, :m], top_b[1][b, :m]
                if start + chunk_tokens < seg_end - seg_start:  # more chunks follow: keep the past
                    pasts[seg] = present[:, :, b]
                done += m
            if progress is not None:
                progress(done, n)
    return ByteScores(entropies=ent, surprisal=sur, top_ids=top_ids, top_probs=top_p)
