"""The generation loop, backend-neutral (numpy only; no torch import).

A `Stepper` runs the three step functions of cache.py on some backend (torch, ONNX Runtime,
or the no-cache baseline) and keeps their caches; this loop owns everything else: prompt
forcing, the patch rule, sampling, stopping, and counting steps. So every backend takes the
same decisions from the same numbers.

Token positions: token 0 is BOS, token k+1 is byte k. At position t the loop
  1. starts the entropy step on token t (-> entropy of token t+1, i.e. entropies[t] of byte t),
  2. opens a patch at token t if the rule says so (t == 1, or entropy of token t > threshold,
     or the max patch length is reached); opening one first closes the previous patch: one
     global step,
  3. runs the local step on token t (-> logits of token t+1),
  4. takes token t+1 from the prompt or samples it; EOS or max_bytes ends the row.

>>> class Fixed:  # a stepper whose logits always favour "a" (id 101) and whose entropy is 0
...     def start(self, batch): pass
...     def entropy_step(self, tokens, pos): return np.zeros(len(tokens))
...     def local_step(self, window, pos, patch_index):
...         out = np.zeros((len(window), 260), np.float32); out[:, 101] = 1.0; return out
...     def global_step(self, close, patch_start, pos, patch_index): pass
>>> r = run(Fixed(), [b"x"], max_bytes=2, threshold=1.0, max_patch_length=0, temperature=0.0,
...         top_k=None, seed=0, max_ngram=3)
>>> r.data[0], r.patch_starts[0], r.global_steps[0], r.local_steps
(b'xaa', [0], 1, 3)
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Iterator, Protocol

import numpy as np

from blt_core.generator.sampling import sample_next, validate
from blt_core.patching import exceeds
from blt_core.constants import BOE_ID, BOS_ID, EOS_ID, OFFSET


class Stepper(Protocol):
    def start(self, batch: int) -> None:
        """Fresh caches for `batch` rows."""

    def entropy_step(self, tokens: np.ndarray, pos: int) -> np.ndarray | Future:
        """(B,) token ids at position pos -> (B,) entropy in nats of the next token's prediction.

        May return a Future of that array: the loop asks for it only after the global and local
        steps of the same position, so a stepper can run the entropy model on another core.
        """

    def local_step(self, window: np.ndarray, pos: int, patch_index: np.ndarray) -> np.ndarray:
        """(B, max_ngram) ids ending at position pos, (B,) patch of that token -> (B, V) logits."""

    def global_step(self, close: np.ndarray, patch_start: np.ndarray, pos: int, patch_index: np.ndarray) -> None:
        """Close the patches [patch_start, pos) of rows where close (B,) is True; patch_index: theirs."""

    # optional, both or neither (decode's prefill):
    # prefill_entropy(tokens (B, m)) -> (B, m) entropies of positions 0 .. m-1, caches filled to m-1;
    # prefill(tokens (B, m), patch_ids (B, m)) -> None: the local and global caches filled to m-1,
    # with every patch below a row's patch of token m-1 closed


class Passthrough:
    """A Stepper that hands every call to `inner`; a wrapper overrides only what it watches or
    changes (the benchmarks mask EOS or record log-probabilities this way)."""

    def __init__(self, inner: Stepper):
        self.inner = inner

    def start(self, batch):
        self.inner.start(batch)

    def entropy_step(self, tokens, pos):
        return self.inner.entropy_step(tokens, pos)

    def local_step(self, window, pos, patch_index):
        return self.inner.local_step(window, pos, patch_index)

    def global_step(self, close, patch_start, pos, patch_index):
        self.inner.global_step(close, patch_start, pos, patch_index)


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="blt-step")


def in_background(fn, *args) -> Future:
    """fn(*args) on a worker thread shared by all steppers (up to 4 generations at once).

    Worth it because ONNX Runtime and torch release the GIL while they compute: an entropy
    step on the second core overlaps the local and global steps of the same position.
    >>> in_background(sum, [1, 2]).result()
    3
    """
    return _pool().submit(fn, *args)


def write_slots(caches, new, slots, rows) -> None:
    """Store each layer's new key or value (B, H, 1, D) in its ring cache (B, H, S, D), in place:
    row rows[i] gets slot slots[i] (its position % S; layers.py). numpy arrays or torch tensors.

    >>> c = [np.zeros((2, 1, 3, 1))]
    >>> write_slots(c, [np.ones((2, 1, 1, 1))], np.array([1]), np.array([0]))
    >>> c[0][:, 0, :, 0].tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    for c, n in zip(caches, new):
        c[rows, :, slots] = n[rows, :, 0]


@dataclass(frozen=True)
class Closing:
    """What a stepper's global step needs about the patches closing at position pos."""

    lo: int  # first position of the earliest closing patch: states [lo, pos) are pooled
    mask: np.ndarray  # (B, pos - lo) bool: row r pools position lo + j (rows not closing: anything)
    rows: np.ndarray  # indices of the rows that close a patch (their caches get the new keys)
    keep: int  # earliest start of a still-open patch: older encoder states can be dropped


def closing(close: np.ndarray, patch_start: np.ndarray, pos: int) -> Closing:
    """Shared bookkeeping of both steppers' global_step.

    >>> c = closing(np.array([True, False]), np.array([2, 1]), 4)
    >>> c.lo, c.mask.astype(int).tolist(), c.rows.tolist(), c.keep
    (2, [[1, 1], [1, 1]], [0], 1)
    """
    lo = int(patch_start[close].min())
    mask = (np.arange(lo, pos)[None, :] >= patch_start[:, None]) | ~close[:, None]
    return Closing(lo, mask, np.flatnonzero(close), int(np.where(close, pos, patch_start).min()))


@dataclass(frozen=True)
class ByteEvent:
    """One byte of prompt or output, as it is decided."""

    row: int
    index: int  # position in prompt + output
    byte: int
    entropy: float  # nats: the entropy model's uncertainty about this byte (entropies[index])
    opened_patch: bool  # this byte starts a patch
    is_prompt: bool
    global_steps: int  # global steps run so far for this row (patches closed)
    local_steps: int  # local steps run so far (one per token read, BOS included)

    def to_dict(self) -> dict:
        return {"index": self.index, "byte": self.byte, "entropy": self.entropy, "opened_patch": self.opened_patch,
                "is_prompt": self.is_prompt, "global_steps": self.global_steps, "local_steps": self.local_steps}


@dataclass
class Trace:
    """One row's bytes, entropies and patches as its ByteEvents arrive: the one fold of events.

    >>> tr = Trace(prompt_length=1)
    >>> for e in (ByteEvent(0, 0, 104, 2.0, True, True, 0, 1), ByteEvent(0, 1, 105, 0.5, False, False, 1, 2)):
    ...     tr.add(e)
    >>> bytes(tr.data), tr.patch_starts, tr.global_steps, tr.local_steps
    (b'hi', [0], 1, 2)
    """

    prompt_length: int
    data: bytearray = field(default_factory=bytearray)  # prompt + output so far
    entropies: list[float] = field(default_factory=list)  # nats, entropies[k] predicts byte k
    patch_starts: list[int] = field(default_factory=list)
    global_steps: int = 0  # patches closed so far
    local_steps: int = 0  # tokens read so far, BOS included

    def add(self, e: ByteEvent) -> None:
        self.data.append(e.byte)
        self.entropies.append(e.entropy)
        if e.opened_patch:
            self.patch_starts.append(e.index)
        self.global_steps, self.local_steps = e.global_steps, e.local_steps

    @property
    def output(self) -> bytes:
        return bytes(self.data[self.prompt_length:])


@dataclass
class DecodeResult:
    data: list[bytes]  # prompt + output per row
    prompt_lengths: list[int]
    entropies: list[list[float]]
    patch_starts: list[list[int]]
    global_steps: list[int]
    local_steps: int
    stopped_by_eos: list[bool]
    seconds: float


class _Rows:
    """The loop's state of every row, and the two decisions it takes at each position."""

    def __init__(self, prompts: list[bytes], max_bytes: int, max_ngram: int):
        B = len(prompts)
        self.prompts = prompts
        self.need = [len(p) + max_bytes for p in prompts]  # bytes each row will decide at most
        self.window = np.full((B, max_ngram), BOE_ID, dtype=np.int64)
        self.tokens = np.full(B, BOS_ID, dtype=np.int64)
        self.patch_index = np.zeros(B, dtype=np.int64)
        self.patch_start = np.zeros(B, dtype=np.int64)
        self.opens_next = np.zeros(B, dtype=bool)  # does token pos open a patch (decided with its byte)
        self.done = np.array([n == 0 for n in self.need])
        self.n_bytes = np.zeros(B, dtype=np.int64)
        self.global_steps = np.zeros(B, dtype=np.int64)

    def open_patches(self, pos: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Token pos opens a patch in some rows: (close, patch_start, patch_index) of the patches
        it closes, for the global step; None where none does. Then token pos joins the window."""
        closing_ = None
        if pos > 0 and self.opens_next.any():
            close = self.opens_next.copy()
            closing_ = (close, self.patch_start.copy(), self.patch_index.copy())
            self.global_steps += close
            self.patch_index += close
            self.patch_start[close] = pos
        self.window = np.concatenate([self.window[:, 1:], self.tokens[:, None]], axis=1)
        return closing_

    def decide(self, pos: int, entropy: np.ndarray, logits: np.ndarray | None, *, threshold: float,
               max_patch_length: int, temperature: float, top_k: int | None, rngs) -> list[ByteEvent]:
        """Each row's byte at position pos: the prompt's, or sampled from logits; EOS ends a row."""
        high = exceeds(entropy, threshold)
        events = []
        for r in range(len(self.prompts)):
            if self.done[r]:
                continue
            k = int(self.n_bytes[r])  # index of the byte decided now
            if k < len(self.prompts[r]):
                nxt, is_prompt = self.prompts[r][k] + OFFSET, True
            else:
                nxt, is_prompt = sample_next(logits[r], temperature=temperature, top_k=top_k, rng=rngs[r]), False
            if nxt == EOS_ID:
                self.done[r] = True
                self.tokens[r], self.opens_next[r] = EOS_ID, False
                continue
            opens = k == 0 or high[r] or (max_patch_length > 0 and pos + 1 - self.patch_start[r] >= max_patch_length)
            self.tokens[r], self.opens_next[r] = nxt, opens
            self.n_bytes[r] += 1
            events.append(ByteEvent(r, k, nxt - OFFSET, float(entropy[r]), bool(opens), is_prompt,
                                    int(self.global_steps[r]), pos + 1))
            if self.n_bytes[r] >= self.need[r]:
                self.done[r] = True
        self.opens_next &= ~self.done
        return events

    def read_prompts(self, m: int, entropies: np.ndarray, *, threshold: float, max_patch_length: int,
                     **_) -> tuple[np.ndarray, list[list[ByteEvent]]]:
        """open_patches then decide at positions 0 .. m-1, where every row reads its prompt, done
        for all of them at once: -> (patch_ids (B, m) of tokens 0 .. m-1, the events per position).
        The state after is the loop's (a test steps both ways); with max_patch_length a row's patch
        starts depend on each other, so that case scans each row in order."""
        B = len(self.prompts)
        opens = exceeds(entropies, threshold)  # (B, m): decision t opens the patch of token t + 1
        opens[:, 0] = True
        if max_patch_length > 0:
            for r in range(B):
                start = 0
                for t in range(m):
                    if t > 0 and opens[r, t - 1]:
                        start = t
                    opens[r, t] |= t + 1 - start >= max_patch_length
        patch_ids = np.zeros((B, m), dtype=np.int64)
        patch_ids[:, 1:] = np.cumsum(opens[:, :-1], axis=1)
        tokens = prompt_tokens(self.prompts, m)
        opened_at = np.where(opens[:, :-1], np.arange(1, m), 0)  # token t + 1 opens a patch
        self.patch_start = opened_at.max(axis=1, initial=0).astype(np.int64)
        self.patch_index, self.global_steps = patch_ids[:, -1].copy(), patch_ids[:, -1].copy()
        self.window = np.concatenate([self.window, tokens], axis=1)[:, -self.window.shape[1]:]
        self.tokens = np.array([p[m - 1] + OFFSET for p in self.prompts], dtype=np.int64)
        self.n_bytes[:] = m
        self.done = np.array([n <= m for n in self.need])
        self.opens_next = opens[:, -1] & ~self.done
        data = [[p[t] for p in self.prompts] for t in range(m)]
        ent = entropies.tolist()
        events = [[ByteEvent(r, t, data[t][r], ent[r][t], bool(opens[r, t]), True, int(patch_ids[r, t]), t + 1)
                   for r in range(B)] for t in range(m)]
        return patch_ids, events


def prompt_tokens(prompts: list[bytes], m: int) -> np.ndarray:
    """(B, m) tokens 0 .. m-1 of every row: BOS, then its prompt's first m - 1 bytes.

    >>> prompt_tokens([b"ab", b"xyz"], 2).tolist()
    [[1, 101], [1, 124]]
    """
    return np.array([[BOS_ID, *(b + OFFSET for b in p[:m - 1])] for p in prompts], dtype=np.int64)


def decode(stepper: Stepper, prompts: list[bytes], *, max_bytes: int, threshold: float, max_patch_length: int,
           temperature: float, top_k: int | None, seed: int, max_ngram: int,
           prefill: bool = True) -> Iterator[list[ByteEvent]]:
    """Yield, per position, the ByteEvents of the rows that decided a byte there.

    prefill: where the stepper has `prefill_entropy` and `prefill` (both steppers with caches),
    the positions where every row still reads its prompt are run in one batched pass of each
    model, then the loop steps on from there; the decisions are the same as stepping.
    """
    validate(temperature=temperature, top_k=top_k)
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    B = len(prompts)
    rngs = [np.random.default_rng([seed, r]) if B > 1 else np.random.default_rng(seed) for r in range(B)]
    rows = _Rows(prompts, max_bytes, max_ngram)
    if rows.done.all():
        return
    stepper.start(B)
    rule = dict(threshold=threshold, max_patch_length=max_patch_length, temperature=temperature, top_k=top_k,
                rngs=rngs)
    pos = 0
    m = min(len(p) for p in prompts) if prefill and callable(getattr(stepper, "prefill", None)) else 0
    if m > 0:  # positions 0 .. m-1 only read prompt bytes: their decisions need no logits
        tokens = prompt_tokens(prompts, m)
        entropies = np.asarray(stepper.prefill_entropy(tokens))  # (B, m): position t's entropy of byte t
        patch_ids, decided = rows.read_prompts(m, entropies, **rule)
        stepper.prefill(tokens, patch_ids)
        yield from decided
        pos = m
    while not rows.done.all():
        pending = stepper.entropy_step(rows.tokens.copy(), pos)  # needs nothing below: may run beside it
        closes = rows.open_patches(pos)
        if closes is not None:
            close, patch_start, patch_index = closes
            stepper.global_step(close, patch_start, pos, patch_index)
        logits = stepper.local_step(rows.window.copy(), pos, rows.patch_index.copy())
        entropy = np.asarray(pending.result() if isinstance(pending, Future) else pending)
        events = rows.decide(pos, entropy, logits, **rule)
        pos += 1
        yield events


def run(stepper: Stepper, prompts: list[bytes], **kw) -> DecodeResult:
    """Run `decode` to the end and gather per-row bytes, entropies and patch starts."""
    traces = [Trace(len(p)) for p in prompts]
    t0 = time.perf_counter()
    for events in decode(stepper, prompts, **kw):
        for e in events:
            traces[e.row].add(e)
    seconds = time.perf_counter() - t0
    # a row that stopped early without reaching its byte budget met EOS
    eos = [len(tr.data) < len(p) + kw["max_bytes"] for tr, p in zip(traces, prompts)]
    return DecodeResult([bytes(tr.data) for tr in traces], [len(p) for p in prompts], [tr.entropies for tr in traces],
                        [tr.patch_starts for tr in traces], [tr.global_steps for tr in traces],
                        max((tr.local_steps for tr in traces), default=0), eos, seconds)
