"""The app's model work under the fair pool, and caches that stay bounded (app/caching.py, app/turns.py).

These call the cached functions directly (Streamlit runs them without a server, drawing nothing)
with the tiny random-init model, so they take seconds.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import streamlit as st

import blt_core

from app import caching, turns
from app.scheduler import POOL


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def _text(i: int, n: int) -> bytes:
    return np.random.default_rng(i).integers(32, 127, n, dtype=np.uint8).tobytes()


@pytest.fixture
def fresh_cache():
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def test_a_small_input_waits_behind_at_most_one_chunk_of_a_big_ones_scoring(tiny_card, fresh_cache):
    """A 20 KB input is scored in 5 model calls of 4,096 bytes; a 200-byte one sent during the first gets the next."""
    model = str(tiny_card)
    caching.scores(_text(0, 300), False, "onnx", model)  # load the model outside the timed part
    first_grant = len(POOL.grants)
    order: list[str] = []
    names = threading.local()  # each thread plays one visitor

    def run(name: str, data: bytes) -> None:
        names.v = name
        caching.scores(data, False, "onnx", model)
        order.append(name)

    saved, turns.visitor = turns.visitor, lambda: names.v
    try:
        big = threading.Thread(target=run, args=("big", _text(1, 20_000)))
        big.start()
        while "big" not in list(POOL.grants)[first_grant:]:
            time.sleep(0.001)
        small = threading.Thread(target=run, args=("small", _text(2, 200)))
        small.start()
        small.join(60), big.join(60)
    finally:
        turns.visitor = saved
    grants = list(POOL.grants)[first_grant:]
    assert grants.count("big") >= 2, grants  # big yielded between its model calls
    assert grants.index("small") <= 2, grants  # behind big's first chunk (and at most one more)
    assert order == ["small", "big"]


def _model_free_score(data, *, top_k=0, **_):
    """Scores of the real shapes and dtypes (so the cache holds what it holds in the app), without a model:
    this test is about the cache's bound, and the model would take minutes on a busy 2-core machine."""
    n = len(data)
    x = np.frombuffer(data, dtype=np.uint8).astype(np.float32)
    return blt_core.Scores(data=data, entropies=x / 50, surprisal=x / 40,
                           top_k_bytes=np.tile(np.arange(top_k, dtype=np.int16), (n, 1)),
                           top_k_probs=np.full((n, top_k), 0.2, np.float32), backend="onnx:cpu", model="m",
                           defaults={})


def test_the_score_cache_is_bounded_so_memory_stays_flat(monkeypatch, fresh_cache):
    """Distinct 100 KB inputs (3.9 MB cached each): after the cache fills, RSS stops growing.

    An unbounded cache would grow by ~3.9 MB per input here (~160 MB over the 40 measured inputs);
    the full model over 500 inputs through a real server is bench/bench_load.py's job.
    """
    monkeypatch.setattr(blt_core, "score", _model_free_score)
    n = caching.SCORES_ENTRIES
    for i in range(2 * n):  # warm-up: fill the cache and let the allocator settle
        caching.scores(_text(i, 100_000), False, "onnx", None)
    before = _rss_mb()
    for i in range(2 * n, 2 * n + 40):
        caching.scores(_text(i, 100_000), False, "onnx", None)
    growth = _rss_mb() - before
    assert growth < 40, f"RSS grew {growth:.0f} MB over 40 distinct inputs after warm-up"


def test_a_page_says_when_it_waits(monkeypatch):
    """While another visitor holds the pool's slot, a page's model turn shows 'Waiting ... 1 ahead', then goes on."""
    from streamlit.testing.v1 import AppTest

    shown: list[int] = []
    real = turns.waiting_text
    monkeypatch.setattr(turns, "waiting_text", lambda ahead: (shown.append(ahead), real(ahead))[1])

    def page():
        import streamlit as st

        from app.turns import model_turn

        with model_turn():
            st.write("model work done")

    held = POOL.enqueue("another visitor")
    assert held.granted
    timer = threading.Timer(1.5, POOL.release, args=("another visitor",))
    timer.start()
    at = AppTest.from_function(page, default_timeout=30).run()
    timer.join()
    assert not at.exception
    assert shown and shown[0] == 1, shown
    assert at.markdown[0].value == "model work done"
    assert not at.get("alert"), "the waiting note is cleared once the turn comes"
