"""The fair pool (app/scheduler.py): one heavy visitor, even with many tabs, cannot starve a small one."""

from __future__ import annotations

import threading
import time

import pytest

from app.scheduler import FairPool

CHUNK_S = 0.01  # one simulated model call


def _work(pool: FairPool, visitor: str, chunks: int, *, log: list | None = None, started=None) -> None:
    """A request of `chunks` model calls, yielding between them as the scoring loop does."""
    with pool.turn(visitor) as turn:
        for i in range(chunks):
            if log is not None:
                log.append(visitor)
            if started is not None and i == 0:
                started.set()
            time.sleep(CHUNK_S)
            if i < chunks - 1:
                turn.between_chunks()


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "a worker never finished: the pool deadlocked"


def test_small_input_waits_behind_at_most_one_chunk_of_a_heavy_one():
    pool = FairPool(slots=1)
    log: list[str] = []
    started = threading.Event()
    heavy = threading.Thread(target=_work, args=(pool, "heavy", 40), kwargs={"log": log, "started": started})
    heavy.start()
    started.wait(5)
    time.sleep(3 * CHUNK_S)
    before = len(log)  # heavy chunks already run when small arrives
    _run([threading.Thread(target=_work, args=(pool, "small", 1), kwargs={"log": log})])
    heavy.join(30)
    behind = log.index("small") - before
    assert behind <= 1, f"small waited behind {behind} chunks of heavy"
    assert log.count("heavy") == 40


def test_many_tabs_of_one_visitor_share_one_turn():
    pool = FairPool(slots=1)
    log: list[str] = []
    tabs = [threading.Thread(target=_work, args=(pool, "A", 10), kwargs={"log": log}) for _ in range(6)]
    other = threading.Thread(target=_work, args=(pool, "B", 10), kwargs={"log": log})
    _run(tabs + [other])
    last_b = len(log) - log[::-1].index("B")
    # round-robin by visitor: B's 10 chunks alternate with A's, so B is done within ~20 grants,
    # although A asked for 60 chunks from 6 tabs (FIFO by request would serve B last)
    assert last_b <= 22, f"B finished at grant {last_b} of {len(log)}"


def test_never_more_than_slots_run_at_once():
    pool = FairPool(slots=2)
    running, peak, lock = [0], [0], threading.Lock()

    def work(v: str) -> None:
        with pool.turn(v) as turn:
            for _ in range(5):
                with lock:
                    running[0] += 1
                    peak[0] = max(peak[0], running[0])
                time.sleep(CHUNK_S)
                with lock:
                    running[0] -= 1
                turn.between_chunks()

    _run([threading.Thread(target=work, args=(f"v{i}",)) for i in range(6)])
    assert peak[0] == 2


def test_a_waiting_visitor_is_told_how_many_are_ahead_and_can_give_up():
    pool = FairPool(slots=1)
    first = pool.enqueue("a")
    assert first.granted
    second = pool.enqueue("b")
    third = pool.enqueue("c")
    assert (pool.ahead(second), pool.ahead(third)) == (1, 2)
    seen: list[int] = []

    class Rerun(Exception):
        pass

    def on_wait(n: int) -> None:
        seen.append(n)
        raise Rerun  # Streamlit stops a script mid-wait with an exception

    with pytest.raises(Rerun):
        pool.wait(third, on_wait=on_wait)
    assert seen == [2]
    assert pool.waiting() == 1, "the abandoned ticket must leave the queue"
    pool.release("a")
    assert second.granted and not third.granted
    pool.release("b")
    assert pool.waiting() == 0


def test_between_chunks_keeps_the_slot_when_nobody_waits():
    pool = FairPool(slots=1)
    with pool.turn("a") as turn:
        turn.between_chunks()
        assert turn.held and turn.waited == 0
    assert list(pool.grants) == ["a"]


def test_a_pool_needs_a_slot():
    with pytest.raises(ValueError, match="at least one slot"):
        FairPool(slots=0)
