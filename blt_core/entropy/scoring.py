"""Score bytes with any entropy-model backend: chunking, batching and logit reductions (numpy).

A backend has `score_chunk(ids (B, L) int64, targets (B, L) int64, start_pos int, past_kv,
has_past (B,) bool, top_k) -> (entropy (B, L), surprisal (B, L), top (ids, probs) or None,
present_kv)` with L a multiple of the window W (`numpy_score_chunk` builds one from a plain
`forward_chunk` returning logits; the torch backend reduces on its device instead), where
past_kv / present_kv hold each layer's keys and values of the last W positions before /
of the chunk (shape (layers, 2, B, heads, W, head_dim)); keywords positions and segments
(B, L) int64 mark packed rows (pack_rows: per-token positions, a block-diagonal mask, no past).
Alignment: the model reads [BOS, b0, ..., b(n-2)] and output k predicts byte k, so
`entropies[k]` sits on the byte it predicts (DESIGN.md).

Long inputs are cut into chunks of `chunk_tokens`; each chunk attends to the previous
chunk's last window through past_kv, so chunked scoring equals one full sliding-window
pass (every layer, not just the first, sees its whole window) and each byte is computed
exactly once. Independent segments (newline reset, or many documents) are packed several to
a row (pack_rows), so their cost is their length, not a padded window each.

`row_tokens` instead reproduces the official preprocessing (facebookresearch/blt's
`calculate_entropies`): the model input [BOS, b0, b1, ...] is cut into rows of 8,192 tokens
(`OFFICIAL_ROW_TOKENS`), each scored from position 0 with no context from the row before, so
only row 0 starts with BOS and the first bytes of every later row see less than a window of context.

>>> plan_chunks([10, 3], window=4, chunk_tokens=8)
[[(0, 0, 8), (1, 0, 4)], [(0, 8, 4)]]
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from blt_core.constants import BOS_ID, NGRAM_PAD_ID as PAD_ID, OFFSET

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
    # numpy, not a Python loop over the bytes: that took ~0.1 s per MB, three times a GPU's budget (issue 14)
    ends = (np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A) + 1).tolist()
    if not ends or ends[-1] != n:
        ends.append(n)
    starts = [0] + ends[:-1]
    return [(s, e) for s, e in zip(starts, ends) if e > s]


def segment_inputs(ids: np.ndarray, segs: list[tuple[int, int]]) -> list[np.ndarray]:
    """Each segment's model inputs: BOS, then its ids but the last (input i predicts id i).

    Disjoint segments in order (newline reset, documents joined end to end) get views of one
    shifted copy of `ids`, not a copy each: 128 lines of an 8 MB input took 54 ms to copy one by
    one, about a third of score_bytes' host work, which a GPU waits for (issue 14).
    >>> [x.tolist() for x in segment_inputs(np.array([10, 11, 12, 13]), [(0, 2), (2, 4)])]
    [[1, 10], [1, 12]]
    """
    ordered = all(s < e for s, e in segs) and all(a[1] <= b[0] for a, b in zip(segs, segs[1:]))
    if not ordered:
        return [np.concatenate([[BOS_ID], ids[s:e - 1]]) for s, e in segs]
    shifted = np.empty_like(ids)
    shifted[1:] = ids[:-1]
    shifted[[s for s, _ in segs]] = BOS_ID
    return [shifted[s:e] for s, e in segs]


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
    """Wrap `forward_chunk(ids, start_pos, past_kv, has_past, *, positions=None, segments=None)
    -> (logits, present)` into a score_chunk (positions and segments: packed rows, pack_rows)."""

    def score_chunk(ids, targets, start_pos, past_kv, has_past, top_k, **packed):
        logits, present = forward_chunk(ids, start_pos, past_kv, has_past, **packed)
        B, L, V = logits.shape
        ent, sur, top = reduce_logits(logits.reshape(B * L, V), targets.reshape(-1), top_k=top_k)
        if top is not None:
            top = (top[0].reshape(B, L, -1), top[1].reshape(B, L, -1))
        return ent.reshape(B, L), sur.reshape(B, L), top, present

    return score_chunk


def pack_rows(lengths: list[int], *, capacity: int) -> list[list[tuple[int, int]]]:
    """Pack segments of at most `capacity` tokens into rows: per row, its (segment, offset) pairs.

    Best fit, longest first (a segment goes to the fullest row it still fits in), so rows are
    nearly full and the padding a packed pass computes stays small:
    >>> pack_rows([3, 5, 2, 4], capacity=8)
    [[(1, 0), (0, 5)], [(3, 0), (2, 4)]]
    """
    rows: list[list[tuple[int, int]]] = []
    free: list[tuple[int, int]] = []  # (room left, row), sorted: bisect finds the fullest row that fits
    for seg in sorted(range(len(lengths)), key=lambda i: (-lengths[i], i)):
        n = lengths[seg]
        if n > capacity:
            raise ValueError(f"segment {seg} ({n} tokens) is longer than a row ({capacity})")
        i = bisect.bisect_left(free, (n, -1))
        if i == len(free):
            rows.append([])
            room, r = capacity, len(rows) - 1
        else:
            room, r = free.pop(i)
        rows[r].append((seg, capacity - room))
        if room - n:
            bisect.insort(free, (room - n, r))
    return rows


class _Results:
    """The per-byte outputs of score_bytes, filled slice by slice from batched model calls."""

    def __init__(self, n: int, top_k: int):
        self.entropies = np.zeros(n, dtype=np.float32)
        self.surprisal = np.zeros(n, dtype=np.float32)
        self.top_ids = np.zeros((n, top_k), dtype=np.int16) if top_k else None
        self.top_probs = np.zeros((n, top_k), dtype=np.float32) if top_k else None

    def put(self, dst: int, out: tuple, b: int, src: int, m: int) -> None:
        """Bytes dst .. dst+m get row b, positions src .. src+m of one call's (entropy, surprisal, top)."""
        e_b, s_b, top_b = out
        self.entropies[dst:dst + m], self.surprisal[dst:dst + m] = e_b[b, src:src + m], s_b[b, src:src + m]
        if top_b is not None:
            self.top_ids[dst:dst + m], self.top_probs[dst:dst + m] = top_b[0][b, src:src + m], top_b[1][b, src:src + m]

    def scores(self) -> ByteScores:
        return ByteScores(self.entropies, self.surprisal, self.top_ids, self.top_probs)


class _Lagged:
    """Model calls whose outputs are consumed one call late (score_bytes' lag): the device computes
    call r while the host builds and launches call r+1, and only then waits for call r's outputs.

    With lag=False each call's outputs are consumed at once. With lag=True the backend is called
    with deferred=True and returns (pending, None, None, present), pending.wait() giving
    (entropy, surprisal, top); `present` must already be usable by the next call (a device tensor).
    On an H200 the host's share of score_bytes (batches, targets, results) was a third of the
    end-to-end time while the GPU sat idle (issue 14).
    >>> calls = _Lagged(lambda *a, **kw: (a[0], 0, None, None), lag=False)
    >>> got = []; _ = calls(1, then=got.append); got
    [(1, 0, None)]
    """

    def __init__(self, score_chunk: Callable, *, lag: bool):
        self.score_chunk, self.lag, self.waiting = score_chunk, lag, []

    def __call__(self, *args, then: Callable[[tuple], None], **kw):
        if not self.lag:
            e_b, s_b, top_b, present = self.score_chunk(*args, **kw)
            then((e_b, s_b, top_b))
            return present
        pending, _, _, present = self.score_chunk(*args, deferred=True, **kw)
        self.drain()  # the earlier call's outputs, now that this one is queued behind it
        self.waiting.append((pending, then))
        return present

    def drain(self) -> None:
        while self.waiting:
            pending, then = self.waiting.pop(0)
            then(pending.wait())


def _batches(lengths: list[int], batch_tokens: int) -> list[list[int]]:
    """Indices of equal-length items, longest first, grouped so one call holds ~batch_tokens tokens.

    >>> _batches([8, 4, 8, 8], batch_tokens=16)
    [[0, 2], [3], [1]]
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    out: list[list[int]] = []
    for i in order:
        if out and lengths[out[-1][0]] == lengths[i] and len(out[-1]) < max(1, batch_tokens // lengths[i]):
            out[-1].append(i)
        else:
            out.append([i])
    return out


def score_bytes(score_chunk: Callable, data: bytes, *, window: int, chunk_tokens: int = 4096,
                batch_tokens: int = 16384, newline_reset: bool = False, top_k: int = 0,
                row_tokens: int | None = None, progress: Callable[[int, int], None] | None = None,
                stack: Callable = np.stack, pack: bool = True,
                segments: list[tuple[int, int]] | None = None, lag: bool = False, context: int = 0) -> ByteScores:
    """Per-byte entropies (and surprisal, top-k) of `data`, one model call per batch of chunks.

    `progress` receives (bytes done, total bytes) after every call. `stack(list, axis=2)`
    batches carried pasts: np.stack by default; a GPU backend passes its own so that the
    keys and values stay on the device between chunks. `row_tokens` (None: one continuous pass
    per segment) scores each segment in independent rows of that many inputs, as the official
    preprocessing does with OFFICIAL_ROW_TOKENS.

    Several segments (newline reset, official rows): those of at most `chunk_tokens` inputs are
    packed into shared rows (pack_rows), each with its own positions from 0 and a block-diagonal
    mask, so a 13-byte line costs 13 positions, not a padded window; longer ones are chunked
    alone as a single segment is. pack=False scores every segment alone (the reference the
    packed path is tested against). `segments` gives the (start, end) ranges to score
    independently instead (many documents joined into one `data`: corpus/score.py). lag=True:
    the backend defers its outputs (score_chunk(..., deferred=True), see _Lagged), so a GPU
    computes one batch while the host prepares the next; the results are the same. context > 0
    (a model with n-gram embeddings: its `.context`): every call also gets `context=` (B, context),
    the ids before each row's chunk (chunk_context), so chunked equals one pass there too.
    """
    n = len(data)
    # int16 (ids < 260): a quarter of int64's memory traffic here and in segment_inputs' shifted copy;
    # the batches themselves are int64, filled from it
    ids_all = np.add(np.frombuffer(data, dtype=np.uint8), OFFSET, dtype=np.int16)
    segs = segment_bounds(data, newline_reset=newline_reset) if segments is None else list(segments)
    seg_inputs = segment_inputs(ids_all, segs)
    if row_tokens is not None:
        segs, seg_inputs = rows(segs, seg_inputs, row_tokens=row_tokens)
    packed = [i for i, (s, e) in enumerate(segs) if e - s <= chunk_tokens] if pack and len(segs) > 1 else []
    out = _Results(n, top_k)
    calls = _Lagged(score_chunk, lag=lag)
    done = 0

    def report(m: int) -> None:
        nonlocal done
        done += m
        if progress is not None:
            progress(done, n)

    if packed:
        _score_packed(calls, [segs[i] for i in packed], [seg_inputs[i] for i in packed], ids_all, out,
                      window=window, chunk_tokens=chunk_tokens, batch_tokens=batch_tokens, top_k=top_k, report=report,
                      context=context)
    alone = sorted(set(range(len(segs))) - set(packed))
    _score_chunked(calls, [segs[i] for i in alone], [seg_inputs[i] for i in alone], ids_all, out,
                   window=window, chunk_tokens=chunk_tokens, batch_tokens=batch_tokens, top_k=top_k, stack=stack,
                   report=report, context=context)
    calls.drain()
    return out.scores()


def chunk_context(x: np.ndarray, start: int, m: int) -> np.ndarray:
    """The m ids of segment input x before index `start`, oldest first, PAD_ID where x has none.

    >>> chunk_context(np.array([1, 10, 11, 12]), 2, 3).tolist()
    [0, 1, 10]
    """
    got = np.asarray(x[max(0, start - m):start], dtype=np.int64)
    return np.concatenate([np.full(m - len(got), PAD_ID, dtype=np.int64), got])


def _score_packed(calls: _Lagged, segs, seg_inputs, ids_all, out: _Results, *, window, chunk_tokens, batch_tokens,
                  top_k, report, context: int = 0) -> None:
    """Score segments of at most chunk_tokens inputs packed into rows (one round, no past)."""
    packing = pack_rows([e - s for s, e in segs], capacity=chunk_tokens)
    lengths = [-(-max(o + segs[seg][1] - segs[seg][0] for seg, o in row) // window) * window for row in packing]
    for group in _batches(lengths, batch_tokens):
        B, L = len(group), lengths[group[0]]
        batch = np.zeros((B, L), dtype=np.int64)
        targets = np.full((B, L), OFFSET, dtype=np.int64)
        positions = np.zeros((B, L), dtype=np.int64)
        segments = np.full((B, L), -1, dtype=np.int64)  # padding: a segment of its own, seen by nothing real
        for b, r in enumerate(group):
            for j, (seg, o) in enumerate(packing[r]):
                s, e = segs[seg]
                batch[b, o:o + e - s] = seg_inputs[seg]
                targets[b, o:o + e - s] = ids_all[s:e]
                positions[b, o:o + e - s] = np.arange(e - s)
                segments[b, o:o + e - s] = j

        def then(outputs, group=group):
            m = 0
            for b, r in enumerate(group):
                for seg, o in packing[r]:
                    s, e = segs[seg]
                    out.put(s, outputs, b, o, e - s)
                    m += e - s
            report(m)

        # every segment of a packed row starts its input there: its n-grams see padding before it
        calls(batch, targets, 0, None, np.zeros(B, dtype=bool), top_k, positions=positions, segments=segments,
              then=then, **({"context": np.full((B, context), PAD_ID, dtype=np.int64)} if context else {}))


def _score_chunked(calls: _Lagged, segs, seg_inputs, ids_all, out: _Results, *, window, chunk_tokens, batch_tokens,
                   top_k, stack, report, context: int = 0) -> None:
    """Score each segment alone in chunks of chunk_tokens, carrying the last window between chunks."""
    rounds = plan_chunks([e - s for s, e in segs], window=window, chunk_tokens=chunk_tokens)
    pasts: dict[int, np.ndarray] = {}  # segment -> (layers, 2, heads, W, head_dim) of its last chunk
    for r, chunks in enumerate(rounds):
        for group in (([chunks[i] for i in g]) for g in _batches([c[2] for c in chunks], batch_tokens)):
            L = group[0][2]
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

            def then(outputs, group=group):
                m_all = 0
                for b, (seg, start, _) in enumerate(group):
                    seg_start, seg_end = segs[seg]
                    m = min(chunk_tokens, seg_end - seg_start - start)
                    out.put(seg_start + start, outputs, b, 0, m)
                    m_all += m
                report(m_all)

            # only an n-gram model reads the ids before each chunk; a plain one's hot path builds nothing
            ctx = {"context": np.stack([chunk_context(seg_inputs[seg], start, context) for seg, start, _ in group])
                   } if context else {}
            present = calls(batch, targets, r * chunk_tokens, past, has_past, top_k, then=then, **ctx)
            for b, (seg, start, _) in enumerate(group):
                if start + chunk_tokens < segs[seg][1] - segs[seg][0]:  # more chunks follow: keep the past
                    pasts[seg] = present[:, :, b]
