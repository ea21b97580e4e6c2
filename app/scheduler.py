"""One fair worker pool per server process: model work runs a chunk at a time, visitors in turn.

Every model call the app makes (a scoring chunk, a generation step, a big view) first takes
one of the pool's `slots`; between chunks it gives the slot back to whoever waits, and the
next slot goes round-robin across visitors (a visitor is a client address, so many tabs of one
visitor share one turn), oldest request first within a visitor. So a small input waits behind at most one chunk
of a large one (per busy slot), never behind the whole input:

>>> pool = FairPool(slots=1)
>>> heavy = pool.enqueue("heavy")   # granted at once: its first chunk runs
>>> small = pool.enqueue("small")   # arrives while it runs
>>> heavy = pool.requeue("heavy")   # heavy's chunk ends; it queues for the next one
>>> small.granted, pool.ahead(heavy)  # small went first; heavy waits for that one chunk
(True, 1)

Pure Python threading, no Streamlit: the app passes a callback that shows "N ahead".
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Hashable, Iterator

# ONNX Runtime's intra-op threads per scoring call (backends.onnx_session's default, min(cores, 8)):
# one call already uses the cores it can, so more concurrent calls would only interleave.
CALL_THREADS = min(os.cpu_count() or 1, 8)
SLOTS = int(os.environ.get("BLT_WORKER_SLOTS") or max(1, (os.cpu_count() or 1) // CALL_THREADS))
CHUNK_BYTES = 16_384  # the most bytes one model call scores (score_bytes' batch_tokens; 4,096 for one long input)
POLL_S = 0.25  # how often a waiting visitor's "N ahead" is refreshed
TRACE_PATH = os.environ.get("BLT_POOL_TRACE")  # bench/bench_load.py: a file that gets one line per queue event
# A shared server: ONNX Runtime's idle pool threads sleep instead of spinning (backends.onnx_session),
# so while one visitor's chunk runs, other sessions' page work gets the cores. Measured side by side
# (bench_load, 20 sessions, runs alternated): throughput 0.848 and 0.931x one session with it, 0.703 and
# 0.768x without; one session alone is about 8% slower. The library and CLI keep spinning (one stream).
os.environ.setdefault("BLT_ONNX_SPIN", "0")


class Ticket:
    """One request for a slot: who asked, when (a sequence number), and whether the slot is theirs yet."""

    __slots__ = ("visitor", "seq", "granted")

    def __init__(self, visitor: Hashable, seq: int):
        self.visitor, self.seq = visitor, seq
        self.granted = False


class FairPool:
    """`slots` slots lent in turn across visitors; see the module docstring.

    Turns are counted per visitor (start-time fair queueing): the next slot goes to the waiting
    visitor with the fewest grants, and a visitor who becomes active starts level with the last
    grant, so it never inherits credit from idle time nor queues behind a busy visitor's backlog.
    Ties go to the older request.
    """

    def __init__(self, slots: int = SLOTS, *, trace: Callable[[str], None] | None = None):
        if slots < 1:
            raise ValueError(f"a pool needs at least one slot, got {slots}")
        self.slots = slots
        self._cv = threading.Condition()
        self._running = 0
        self._seq = 0
        self._clock = 0  # the grant count of the visitor served last
        self._queues: dict[Hashable, deque[Ticket]] = {}  # waiting tickets per visitor, oldest first
        self._active: dict[Hashable, list[int]] = {}  # visitor -> [grants so far, slots held now]
        self.grants: deque[Hashable] = deque(maxlen=10_000)  # the latest grants' visitors, oldest first (tests read it)
        self._trace = trace

    # ---- the queue -------------------------------------------------------------------------

    def enqueue(self, visitor: Hashable) -> Ticket:
        """Ask for a slot without waiting; the ticket is granted now if a slot is free and it is next."""
        with self._cv:
            t = self._add(visitor)
            self._grant()
        return t

    def requeue(self, visitor: Hashable) -> Ticket:
        """Give a granted slot back and ask for the next one in one step (between two chunks)."""
        with self._cv:
            self._active[visitor][1] -= 1
            self._running -= 1
            t = self._add(visitor)
            self._grant()
        return t

    def _add(self, visitor: Hashable) -> Ticket:
        self._seq += 1
        t = Ticket(visitor, self._seq)
        self._active.setdefault(visitor, [self._clock, 0])
        self._queues.setdefault(visitor, deque()).append(t)
        if self._trace is not None:
            self._trace(f"{time.time():.6f} enqueue {t.seq} {visitor}")
        return t

    @staticmethod
    def _next(queues: dict, active: dict) -> Hashable:
        return min(queues, key=lambda v: (active[v][0], queues[v][0].seq))

    def _grant(self) -> None:
        """Hand free slots to the visitors whose turn it is (caller holds the lock)."""
        while self._running < self.slots and self._queues:
            v = self._next(self._queues, self._active)
            t = self._queues[v].popleft()
            if not self._queues[v]:
                del self._queues[v]
            self._clock = self._active[v][0]
            self._active[v][0] += 1
            self._active[v][1] += 1
            self._running += 1
            t.granted = True
            self.grants.append(v)
            if self._trace is not None:
                self._trace(f"{time.time():.6f} grant {t.seq} {v}")
            self._cv.notify_all()

    def ahead(self, t: Ticket) -> int:
        """Slots that will be granted before `t`, counting the chunks running now (0 once granted)."""
        with self._cv:
            if t.granted:
                return 0
            queues = {v: deque(q) for v, q in self._queues.items()}
            active = {v: list(a) for v, a in self._active.items()}
            n = self._running
            while queues:  # replay the grants to come
                v = self._next(queues, active)
                if queues[v].popleft() is t:
                    return n
                if not queues[v]:
                    del queues[v]
                active[v][0] += 1
                n += 1
            return 0  # cancelled: nothing is ahead of a ticket that no longer waits

    def wait(self, t: Ticket, *, on_wait: Callable[[int], None] | None = None) -> None:
        """Block until `t` is granted, calling on_wait(ahead) now and then; cancels `t` if interrupted.

        (A Turn also calls on_wait(0) once its wait is over, so a page can clear its note.)
        """
        try:
            with self._cv:
                while not t.granted:
                    if on_wait is not None:
                        self._cv.release()  # the callback may draw (slow) or raise (a rerun): not under the lock
                        try:
                            on_wait(self.ahead(t))
                        finally:
                            self._cv.acquire()
                        if t.granted:
                            break
                    self._cv.wait(POLL_S)
        except BaseException:
            self._cancel(t)
            raise

    def _cancel(self, t: Ticket) -> None:
        with self._cv:
            if t.granted:
                self._release_locked(t.visitor)
                return
            q = self._queues.get(t.visitor)
            if q is not None and t in q:
                q.remove(t)
                if not q:
                    del self._queues[t.visitor]
                self._forget_if_idle(t.visitor)

    def release(self, visitor: Hashable) -> None:
        """Give `visitor`'s granted slot back (to whoever is next)."""
        with self._cv:
            self._release_locked(visitor)

    def _release_locked(self, visitor: Hashable) -> None:
        a = self._active.get(visitor)
        if a is None or a[1] < 1:
            raise RuntimeError(f"release without a granted slot for {visitor!r}")
        a[1] -= 1
        self._running -= 1
        self._forget_if_idle(visitor)
        self._grant()

    def _forget_if_idle(self, visitor: Hashable) -> None:
        """Drop an idle visitor's count (memory stays bounded by the visitors active now)."""
        a = self._active.get(visitor)
        if a is not None and a[1] == 0 and visitor not in self._queues:
            del self._active[visitor]

    def waiting(self) -> int:
        """Tickets queued now (not counting running chunks)."""
        with self._cv:
            return sum(len(q) for q in self._queues.values())

    # ---- the way the app uses it ----------------------------------------------------------

    @contextmanager
    def turn(self, visitor: Hashable, *, on_wait: Callable[[int], None] | None = None) -> Iterator["Turn"]:
        """Hold a slot for a piece of work; call .between_chunks() between its model calls."""
        turn = Turn(self, visitor, on_wait)
        turn.take()
        try:
            yield turn
        finally:
            if turn.held:
                turn.held = False
                self.release(visitor)


class Turn:
    """A visitor's hold on a slot, given up and queued again at every chunk boundary."""

    def __init__(self, pool: FairPool, visitor: Hashable, on_wait: Callable[[int], None] | None):
        self.pool, self.visitor, self.on_wait = pool, visitor, on_wait
        self.held = False
        self.waited = 0  # how many times this turn had to wait for a slot

    def take(self) -> None:
        self._hold(self.pool.enqueue(self.visitor))

    def between_chunks(self) -> None:
        """Let waiting visitors go first; cheap when nobody waits (the slot is kept)."""
        if self.pool.waiting():
            self.held = False
            self._hold(self.pool.requeue(self.visitor))

    def _hold(self, t: Ticket) -> None:
        if not t.granted:
            self.waited += 1
            self.pool.wait(t, on_wait=self.on_wait)
        self.held = True  # before the callback, which may raise: the turn's exit gives the slot back
        if self.waited and self.on_wait is not None:
            self.on_wait(0)  # no wait now


def file_trace(path: str) -> Callable[[str], None]:
    """A trace that appends each event as a line to `path` (line-buffered, so a reader sees it at once)."""
    f = open(path, "a", buffering=1, encoding="utf-8")
    return lambda line: print(line, file=f)


POOL = FairPool(trace=file_trace(TRACE_PATH) if TRACE_PATH else None)  # the process's one pool: all model work
