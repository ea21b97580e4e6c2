"""Score bytes with any entropy-model backend: chunking, batching and logit reductions (numpy).

A backend is just `forward(ids: (B, L) int64) -> logits (B, L, 260) float32` where L is a
multiple of the window. Alignment: the model reads [BOS, b0, ..., b(n-2)] and output k
predicts byte k, so `entropies[k]` sits on the byte it predicts (DESIGN.md).

Long inputs are cut into rows of L tokens where the first W-1 tokens are context that was
already scored by the previous row; every output position still sees its full window of W
tokens, so chunked scoring equals one full sliding-window pass, and each byte is computed
about once (overhead (W-1) / L).

>>> [(r.start, r.keep_from, r.n_out) for r in plan_rows(10, window=4, row_tokens=8)]
[(0, 0, 8), (5, 3, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from blt_core.constants import BOS_ID, OFFSET

LN2 = float(np.log(2.0))


@dataclass(frozen=True)
class Row:
    start: int  # first input position (in the segment's input sequence) this row reads
    keep_from: int  # outputs before this index are context, already scored by an earlier row
    n_out: int  # outputs kept from this row
    segment: int = 0  # which independent segment (newline reset) the row belongs to


def plan_rows(n: int, *, window: int, row_tokens: int, segment: int = 0) -> list[Row]:
    """Rows that together produce outputs 0..n-1, each row at most row_tokens inputs long."""
    if row_tokens < window:
        raise ValueError("row_tokens must be at least the window")
    rows, pos = [], 0
    while pos < n:
        start = max(0, pos - (window - 1))
        end = min(n, start + row_tokens)
        rows.append(Row(start=start, keep_from=pos - start, n_out=end - pos, segment=segment))
        pos = end
    return rows


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


@dataclass
class Scores:
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


def score_bytes(forward: Callable[[np.ndarray], np.ndarray], data: bytes, *, window: int, row_tokens: int = 4096,
                batch_tokens: int = 16384, newline_reset: bool = False, top_k: int = 0,
                progress: Callable[[int, int], None] | None = None) -> Scores:
    """Per-byte entropies (and surprisal, top-k) of `data`, calling `forward` on padded batches.

    Rows of similar length are batched up to `batch_tokens` inputs per call. `progress`
    receives (bytes done, total bytes) after every call.
    """
    n = len(data)
    ids_all = np.frombuffer(data, dtype=np.uint8).astype(np.int64) + OFFSET
    segs = segment_bounds(data, newline_reset=newline_reset)
    seg_inputs = [np.concatenate([[BOS_ID], ids_all[s:e - 1]]) for s, e in segs]
    rows = [r for i, (s, e) in enumerate(segs) for r in plan_rows(e - s, window=window, row_tokens=row_tokens, segment=i)]
    pad_to = lambda m: -(-m // window) * window  # noqa: E731 - rounding helper
    rows.sort(key=lambda r: -pad_to(r.keep_from + r.n_out))

    ent = np.zeros(n, dtype=np.float32)
    sur = np.zeros(n, dtype=np.float32)
    top_ids = np.zeros((n, top_k), dtype=np.int16) if top_k else None
    top_p = np.zeros((n, top_k), dtype=np.float32) if top_k else None
    done = 0
    i = 0
    while i < len(rows):
        L = pad_to(rows[i].keep_from + rows[i].n_out)
        group = [rows[i]]
        i += 1
        while i < len(rows) and (len(group) + 1) * L <= batch_tokens:
            group.append(rows[i])
            i += 1
        batch = np.zeros((len(group), L), dtype=np.int64)
        for b, r in enumerate(group):
            x = seg_inputs[r.segment][r.start:r.start + r.keep_from + r.n_out]
            batch[b, :len(x)] = x
        logits = forward(batch)
        for b, r in enumerate(group):
            seg_start = segs[r.segment][0]
            out0 = seg_start + r.start + r.keep_from  # first byte this row scores
            sl = slice(out0, out0 + r.n_out)
            e, s, top = reduce_logits(logits[b, r.keep_from:r.keep_from + r.n_out], ids_all[sl], top_k=top_k)
            ent[sl], sur[sl] = e, s
            if top is not None:
                top_ids[sl], top_p[sl] = top
            done += r.n_out
        if progress is not None:
            progress(done, n)
    return Scores(entropies=ent, surprisal=sur, top_ids=top_ids, top_probs=top_p)
