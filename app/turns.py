"""The app's side of the fair pool (scheduler.py): who is asking, and the page's "waiting" note.

A visitor is the client's address (so many tabs of one visitor share one turn); without one
(AppTest, or a visit through localhost, where Streamlit gives none) each session is its own
visitor. Behind a proxy every visitor has the proxy's address: turns then go by request.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app.scheduler import CHUNK_BYTES, POOL, Turn


def visitor() -> str:
    """The key the pool takes turns by: the client address, else the session id."""
    try:
        ip = st.context.ip_address
    except Exception:  # no request behind this run (a bare script or a test harness)
        ip = None
    if ip:
        return f"ip:{ip}"
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id}" if ctx is not None else "session:none"


def waiting_text(ahead: int) -> str:
    """What a waiting page says.

    >>> waiting_text(2)
    'Waiting for the server: 2 ahead (other visitors’ work runs in turns of at most 16,384 bytes).'
    """
    return (f"Waiting for the server: {ahead} ahead (other visitors’ work runs in turns of at most "
            f"{CHUNK_BYTES:,} bytes).")


@contextmanager
def model_turn() -> Iterator[Turn]:
    """Hold one of the pool's slots for model work; the page says when and how long it waits.

    Call `.between_chunks()` on the turn between model calls, so other visitors get theirs.
    """
    note = st.empty()
    shown = [0]

    def on_wait(ahead: int) -> None:  # 0: the wait is over
        if ahead != shown[0]:
            shown[0] = ahead
            if ahead:
                note.info(waiting_text(ahead), icon="⏳")
            else:
                note.empty()

    try:
        with POOL.turn(visitor(), on_wait=on_wait) as turn:
            yield turn
    finally:
        note.empty()
